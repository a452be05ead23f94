//! What is inside images (issue 17): each manifest and image configuration wharf has read
//! from the registry, stored once per digest (content-addressed: never fetched again), and
//! which digests each repository holds, tagged or not (platform images of an index, and
//! signatures or SBOMs pushed by digest with a `subject`), with the state of fetching them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("manifests")
                .col(string_len("digest", 80).primary_key())
                .col(string_len("media_type", 255))
                // The manifest's own bytes.
                .col(big_integer("size"))
                // The manifest as served (JSON), and the image configuration blob when it is
                // an image; both capped in size when fetched.
                .col(text("body"))
                .col(text_null("config"))
                // Bytes with what it references: config and layers, or an index's platforms.
                .col(big_integer("total_size"))
                // The image an accessory is attached to (OCI `subject`), and what it is.
                .col(string_len_null("subject", 80))
                .col(string_len_null("artifact_type", 255))
                .col(timestamp_with_time_zone("fetched_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_manifests_subject")
                .table("manifests")
                .col("subject")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("repository_manifests")
                .col(big_integer("repository_id"))
                .col(string_len("digest", 80))
                .col(timestamp_with_time_zone("seen_at"))
                // Fetching it: failures so far, when to try again, and why the last one failed.
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone_null("retry_at"))
                .col(string_len_null("last_error", 512))
                .primary_key(Index::create().col("repository_id").col("digest"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_repository_manifests_repository")
                        .from("repository_manifests", "repository_id")
                        .to("repositories", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Digest lookups (search by prefix, and "which repositories hold it").
        m.create_index(
            Index::create()
                .name("ix_repository_manifests_digest")
                .table("repository_manifests")
                .col("digest")
                .to_owned(),
        )
        .await?;
        // What the repositories hold already: the digests their tags point to, read in turn.
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO repository_manifests (repository_id, digest, seen_at, attempts) \
                 SELECT repository_id, digest, MIN(pushed_at), 0 FROM tags GROUP BY repository_id, digest",
            )
            .await?;
        Ok(())
    }
}
