//! Tag retention (issue 19): a policy per namespace, with per-repository overrides (the rules
//! as JSON, `domain::retention::RetentionRules`), and every run with what it deleted and kept.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("retention_policies")
                .col(big_pk_auto("id"))
                .col(big_integer("namespace_id"))
                // NULL: the namespace's policy; otherwise that repository's override.
                .col(big_integer_null("repository_id"))
                .col(text("rules"))
                .col(string_len("updated_by", 64))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_retention_policies_namespace")
                        .from("retention_policies", "namespace_id")
                        .to("namespaces", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_retention_policies_repository")
                        .from("retention_policies", "repository_id")
                        .to("repositories", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // One policy per namespace and one per repository (NULLs are distinct in a plain
        // unique index, hence the expression).
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_retention_policies_scope ON retention_policies \
                 (namespace_id, COALESCE(repository_id, 0))",
            )
            .await?;

        m.create_table(
            Table::create()
                .table("retention_runs")
                .col(big_pk_auto("id"))
                .col(big_integer("namespace_id"))
                // `manual` or `schedule`.
                .col(string_len("trigger", 16).check(Expr::col("trigger").is_in(["manual", "schedule"])))
                .col(string_len("actor", 64))
                // `running`, `succeeded`, `failed`, `needs-confirmation`.
                .col(string_len("status", 32).check(Expr::col("status").is_in([
                    "running",
                    "succeeded",
                    "partial",
                    "needs-confirmation",
                    "failed",
                ])))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .col(big_integer("deleted_images").default(0))
                .col(big_integer("deleted_tags").default(0))
                .col(big_integer("kept_images").default(0))
                // What it deleted and kept, and what failed (JSON).
                .col(text("report"))
                .col(text_null("error"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_retention_runs_namespace")
                        .from("retention_runs", "namespace_id")
                        .to("namespaces", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_retention_runs_namespace")
                .table("retention_runs")
                .col("namespace_id")
                .col("id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("retention_runs").to_owned()).await?;
        m.drop_table(Table::drop().table("retention_policies").to_owned()).await
    }
}
