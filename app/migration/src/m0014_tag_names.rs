//! Search at a million tags (issue 20): tag search looked for its text in every tag's name, a
//! scan of the whole `tags` table on every keystroke. Catalogs repeat a few names (`latest`,
//! `v1`, …) across many repositories, so the distinct names are few: `tag_names` keeps them,
//! search matches the text against those, then reads only the tags so named
//! (`store::tag_names`). Rows are added with the tags that bring a new name, in the same
//! transaction.
//!
//! On PostgreSQL, `ix_tags_digest` becomes a `varchar_pattern_ops` index, which serves a
//! digest-prefix search (`LIKE 'sha256:abc…%'`) in any collation as well as the equality
//! lookups it served before. (SQLite searches a prefix as a range of the plain index.) Where
//! the `pg_trgm` extension can be had (PostgreSQL's contrib, trusted since PostgreSQL 13),
//! repository and tag names get trigram indexes, which serve `LIKE '%text%'`: filtering
//! 100,000 repositories by part of their name reads the few that match instead of every one.
//! Without it the same queries scan, as before.

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("tag_names")
                .col(string_len("name", 128).primary_key())
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared("INSERT INTO tag_names (name) SELECT DISTINCT name FROM tags")
            .await?;
        if m.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP INDEX ix_tags_digest").await?;
            db.execute_unprepared("CREATE INDEX ix_tags_digest ON tags (digest varchar_pattern_ops)")
                .await?;
            trigram_indexes(db).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            let db = m.get_connection();
            db.execute_unprepared("DROP INDEX IF EXISTS ix_repositories_name_trgm")
                .await?;
            db.execute_unprepared("DROP INDEX IF EXISTS ix_tag_names_name_trgm")
                .await?;
            db.execute_unprepared("DROP INDEX ix_tags_digest").await?;
            db.execute_unprepared("CREATE INDEX ix_tags_digest ON tags (digest)")
                .await?;
        }
        m.drop_table(Table::drop().table("tag_names").to_owned()).await
    }
}

/// Trigram indexes for `LIKE '%text%'` on repository and tag names, when `pg_trgm` is there to
/// be created (or already is). A server without PostgreSQL's contrib, or a role that may not
/// create it, keeps working without them: the attempt is undone and logged, not fatal.
async fn trigram_indexes(db: &sea_orm_migration::SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::Statement;
    let available = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT 1 AS one FROM pg_available_extensions WHERE name = 'pg_trgm'",
        ))
        .await?
        .is_some();
    if !available {
        eprintln!("wharf migration: pg_trgm is not installed; names are searched without trigram indexes");
        return Ok(());
    }
    // A failed statement spoils the migration's transaction: a savepoint keeps it usable.
    db.execute_unprepared("SAVEPOINT trigram").await?;
    match db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm").await {
        Ok(_) => db.execute_unprepared("RELEASE SAVEPOINT trigram").await?,
        Err(e) => {
            db.execute_unprepared("ROLLBACK TO SAVEPOINT trigram").await?;
            eprintln!(
                "wharf migration: pg_trgm could not be created ({e}); names are searched without trigram indexes"
            );
            return Ok(());
        }
    };
    db.execute_unprepared("CREATE INDEX ix_repositories_name_trgm ON repositories USING gin (name gin_trgm_ops)")
        .await?;
    db.execute_unprepared("CREATE INDEX ix_tag_names_name_trgm ON tag_names USING gin (name gin_trgm_ops)")
        .await?;
    Ok(())
}
