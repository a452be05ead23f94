//! Outgoing webhooks: per-namespace hooks (secrets sealed with AES-GCM), the delivery queue
//! (rows enqueued in the transaction of the event that causes them, claimed by any wharf
//! process), and the log of every attempt.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("webhooks")
                .col(big_pk_auto("id"))
                .col(big_integer("namespace_id"))
                .col(string_len("url", 2048))
                // Comma-separated event kinds: push,delete.
                .col(string_len("events", 64))
                .col(boolean("enabled").default(true))
                // Nonce + AES-256-GCM ciphertext, base64; NULL when the hook has no secret.
                .col(text_null("secret_sealed"))
                // The custom headers, JSON sealed the same way (values may be credentials);
                // their names stay readable for the console.
                .col(text_null("headers_sealed"))
                .col(string_len("header_names", 1024).default(""))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_webhooks_namespace")
                        .from("webhooks", "namespace_id")
                        .to("namespaces", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_webhooks_namespace")
                .table("webhooks")
                .col("namespace_id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("webhook_deliveries")
                .col(big_pk_auto("id"))
                .col(big_integer("webhook_id"))
                // The id receivers see in X-Wharf-Delivery and the body (de-duplication key).
                .col(string_len_uniq("delivery_id", 64))
                .col(string_len("event", 16))
                // What caused it: the registry event id, "test", or the delivery redelivered.
                .col(string_len("cause", 140))
                .col(text("payload"))
                // pending → delivering → succeeded | failed (attempts used up).
                .col(string_len("status", 16))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone("next_attempt_at"))
                // Who claimed it and until when: a claim that outlives its holder expires.
                .col(string_len_null("claimed_by", 128))
                .col(timestamp_with_time_zone_null("claimed_until"))
                .col(integer_null("last_status_code"))
                .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                .col(timestamp_with_time_zone_null("finished_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_webhook_deliveries_webhook")
                        .from("webhook_deliveries", "webhook_id")
                        .to("webhooks", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // One delivery per hook and cause: an event applied once enqueues once.
        m.create_index(
            Index::create()
                .name("ux_webhook_deliveries_cause")
                .table("webhook_deliveries")
                .col("webhook_id")
                .col("cause")
                .unique()
                .to_owned(),
        )
        .await?;
        // What the claim query scans: due pending rows, expired claims.
        m.create_index(
            Index::create()
                .name("ix_webhook_deliveries_due")
                .table("webhook_deliveries")
                .col("status")
                .col("next_attempt_at")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("webhook_attempts")
                .col(big_pk_auto("id"))
                .col(big_integer("delivery_id"))
                .col(integer("number"))
                .col(timestamp_with_time_zone("started_at"))
                .col(big_integer("duration_ms"))
                .col(integer_null("status_code"))
                // Why it failed before any response (refused address, timeout, …).
                .col(text_null("error"))
                // The first KiB of the response body.
                .col(text("response_excerpt").default(""))
                .col(string_len("worker", 128))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_webhook_attempts_delivery")
                        .from("webhook_attempts", "delivery_id")
                        .to("webhook_deliveries", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_webhook_attempts_delivery")
                .table("webhook_attempts")
                .col("delivery_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
