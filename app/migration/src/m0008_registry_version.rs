//! Registry 3: which major version of the registry each replica runs (`2` or `3`), so the
//! configuration wharf generates for it uses that version's keys. Replicas recorded before
//! this migration ran registry 2.8, the only version wharf supported then.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("replicas")
                .add_column(string_len("registry_version", 8).default("2"))
                .to_owned(),
        )
        .await
    }
}
