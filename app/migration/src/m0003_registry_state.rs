//! What wharf learns from the registry: the notifications it received (kept for de-duplication
//! and ordering), pull counts per repository, replica health history, sync runs, and the lease
//! that elects the one process that syncs and probes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("registry_events")
                .col(big_pk_auto("id"))
                // The registry's event id: the same id again is a retry or duplicate.
                .col(string_len_uniq("event_id", 128))
                .col(string_len("action", 16))
                .col(string_len("repository", 255))
                .col(string_len_null("tag", 128))
                .col(string_len_null("digest", 140))
                // When the registry says it happened; orders out-of-order deliveries.
                .col(timestamp_with_time_zone("occurred_at"))
                .col(timestamp_with_time_zone("received_at").default(Expr::current_timestamp()))
                .col(big_integer_null("replica_id"))
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
        .await?;
        m.create_index(
            Index::create()
                .name("ix_registry_events_received")
                .table("registry_events")
                .col("received_at")
                .to_owned(),
        )
        .await?;

        // SQLite alters one column per statement.
        for col in [
            big_integer("pull_count").default(0).to_owned(),
            timestamp_with_time_zone_null("last_pulled_at"),
        ] {
            m.alter_table(Table::alter().table("repositories").add_column(col).to_owned())
                .await?;
        }
        // The registry time the tag's state was last confirmed (by an event or a sync); what
        // out-of-order writes are compared with. `pushed_at` stays the first push, for display.
        m.alter_table(
            Table::alter()
                .table("tags")
                .add_column(timestamp_with_time_zone_null("seen_at"))
                .to_owned(),
        )
        .await?;
        for col in [
            string_len_null("source_addr", 255),
            text_null("last_error"),
            timestamp_with_time_zone_null("status_changed_at"),
        ] {
            m.alter_table(Table::alter().table("replicas").add_column(col).to_owned())
                .await?;
        }

        m.create_table(
            Table::create()
                .table("replica_probes")
                .col(big_pk_auto("id"))
                .col(big_integer("replica_id"))
                .col(timestamp_with_time_zone("probed_at"))
                .col(boolean("healthy"))
                .col(string_len("detail", 255).default(""))
                .col(integer("latency_ms").default(0))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_replica_probes_replica")
                        .from("replica_probes", "replica_id")
                        .to("replicas", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_replica_probes_replica_time")
                .table("replica_probes")
                .col("replica_id")
                .col("probed_at")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("sync_runs")
                .col(big_pk_auto("id"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                // "schedule", "cli", "console"
                .col(string_len("trigger", 16))
                // "update" or "update-delete"
                .col(string_len("strategy", 16))
                // "running", "succeeded", "failed", "needs-confirmation"
                .col(string_len("status", 24))
                // The process that ran it (host-pid-random, or "cli").
                .col(string_len("runner", 64).default(""))
                .col(string_len_null("replica_url", 255))
                .col(big_integer("repositories_seen").default(0))
                .col(big_integer("tags_seen").default(0))
                .col(big_integer("tags_added").default(0))
                .col(big_integer("tags_updated").default(0))
                .col(big_integer("tags_removed").default(0))
                // Tags the guard kept because removing them needs an admin's confirmation.
                .col(big_integer("removals_held").default(0))
                .col(text("errors").default(""))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("leases")
                .col(string_len("name", 64).primary_key())
                .col(string_len("holder", 64))
                .col(timestamp_with_time_zone("expires_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
