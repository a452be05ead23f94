//! LDAP sign-in: where a team membership came from (`local`: made in wharf; `directory`: from
//! the user's LDAP groups, so the next sign-in may take it away again).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("team_members")
                .add_column(string_len("source", 16).default("local"))
                .to_owned(),
        )
        .await
    }
}
