//! The account-wide lockout columns of the first schema (`users.failed_logins`,
//! `users.locked_until`) go: since issue 14 failed sign-ins are counted per (account, client
//! address) in `login_failures`, and nothing reads or writes these any more. SQLite (3.35+) and
//! PostgreSQL both drop a column in place; one column per statement, as SQLite wants.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in ["failed_logins", "locked_until"] {
            if m.has_column("users", column).await? {
                m.alter_table(Table::alter().table("users").drop_column(column).to_owned())
                    .await?;
            }
        }
        Ok(())
    }
}
