//! A log of changes that affect authentication or authorization (a user disabled, a token
//! revoked, a membership or namespace changed). Every wharf process polls its highest id and
//! drops its credential and policy caches when it moves, so changes made by another process
//! or the CLI take effect within one poll interval.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("auth_changes")
                .col(big_pk_auto("id"))
                .col(string_len("reason", 64))
                .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                .to_owned(),
        )
        .await
    }
}
