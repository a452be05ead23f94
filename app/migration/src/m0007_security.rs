//! Security review fixes:
//! - refresh tokens remember the credential they were made from (an application token, and
//!   whether it was read-only), so a refresh never grants more, or for longer, than it;
//! - failed sign-ins are counted per (account, client address), atomically, in their own
//!   table, so an attacker's failures never lock the account for its owner;
//! - the one-time setup token that lets the first administrator sign up (stored hashed).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        m.alter_table(
            Table::alter()
                .table("refresh_tokens")
                .add_column(big_integer_null("app_token_id"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("refresh_tokens")
                .add_column(boolean("read_only").default(false))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("login_failures")
                .col(big_pk_auto("id"))
                // The account name as typed (lower-cased), known or not: unknown names are
                // counted the same way, so statuses do not tell who exists.
                .col(string_len("account", 255))
                // The client address (IPv6: its /64).
                .col(string_len("client", 64))
                .col(integer("failures"))
                .col(timestamp_with_time_zone("last_failure_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_login_failures_account_client")
                .table("login_failures")
                .col("account")
                .col("client")
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("setup_tokens")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("token_hash", 128))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await
    }
}
