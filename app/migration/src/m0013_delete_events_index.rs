//! Only deletes are ever looked up by repository in `registry_events` (a push is checked
//! against the deletes of its repository that happened after it). The index over every event's
//! repository, action and time was written by every push, for nothing; a partial index over the
//! deletes alone serves the same lookup, and pushes, the bulk of events, no longer touch it.
//!
//! Queries must say `action = 'delete'` literally (not as a bound value) for the planner to
//! know the partial index applies: `events::ingest::DELETES_ONLY`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_registry_events_repository_action_time")
                .table("registry_events")
                .to_owned(),
        )
        .await?;
        // Both SQLite and PostgreSQL know partial indexes, in this same syntax.
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_registry_events_deletes ON registry_events (repository, occurred_at) \
                 WHERE action = 'delete'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_registry_events_deletes")
                .table("registry_events")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_registry_events_repository_action_time")
                .table("registry_events")
                .col("repository")
                .col("action")
                .col("occurred_at")
                .to_owned(),
        )
        .await
    }
}
