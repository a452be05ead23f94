//! What the console adds: starred repositories, and indexes for its filtered, paginated lists
//! (activity by namespace, kind and actor; repositories by update time).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("stars")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(big_integer("repository_id"))
                .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_stars_user")
                        .from("stars", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_stars_repository")
                        .from("stars", "repository_id")
                        .to("repositories", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_stars_user_repository")
                .table("stars")
                .col("user_id")
                .col("repository_id")
                .unique()
                .to_owned(),
        )
        .await?;
        for (name, table, cols) in [
            ("ix_activities_namespace", "activities", &["namespace_id", "id"][..]),
            ("ix_activities_kind", "activities", &["kind", "id"][..]),
            ("ix_activities_actor", "activities", &["actor_name", "id"][..]),
            ("ix_repositories_updated", "repositories", &["updated_at"][..]),
            ("ix_tags_name", "tags", &["name"][..]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(table);
            for c in cols {
                idx.col(*c);
            }
            m.create_index(idx.to_owned()).await?;
        }
        Ok(())
    }
}
