//! SQLite chooses indexes from statistics that only `ANALYZE` gathers (`sqlite_stat1`).
//! Without them it guesses, and guesses wrong once the catalog is large: for a user who may see
//! half of 100,000 repositories it reads all 50,000 through the namespace index and sorts them
//! to show 25, where walking the name index and stopping at 25 takes a fraction of a
//! millisecond. This keeps the statistics in step with the tables' sizes: they are gathered
//! again (`ANALYZE` over a sample, `analysis_limit`) when a table has doubled since the last
//! time. PostgreSQL's autovacuum does the same on its own; there this does nothing.
//!
//! A connection reads the statistics when it opens, so SQLite connections are recycled after
//! [`CONNECTION_LIFETIME`] (`db::connect_url`).

use std::collections::HashMap;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::domain::AppError;

/// How long a SQLite connection lives, at most, before newer statistics reach it.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);

/// The tables whose growth changes the plans of the console's queries.
const TABLES: [&str; 6] = [
    "namespaces",
    "repositories",
    "tags",
    "activities",
    "stars",
    "team_members",
];

/// Rows sampled per index: enough to tell a selective index from a poor one, and quick on
/// any size of table.
const ANALYSIS_LIMIT: u32 = 1000;

/// What the statistics were last gathered at: each table's largest id, a cheap stand-in for
/// its size (ids only grow).
#[derive(Debug, Default)]
pub struct PlannerStatistics {
    analysed_at: HashMap<&'static str, i64>,
}

impl PlannerStatistics {
    /// Gathers the statistics again if a table has doubled (and grown by 100 rows or more)
    /// since the last time, or they were never gathered by this process. Returns whether it
    /// did.
    pub async fn refresh(&mut self, db: &DatabaseConnection) -> Result<bool, AppError> {
        if db.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
            return Ok(false);
        }
        let mut sizes = HashMap::new();
        for table in TABLES {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DatabaseBackend::Sqlite,
                    format!("SELECT COALESCE(MAX(id), 0) AS n FROM {table}"),
                ))
                .await?;
            sizes.insert(table, row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0));
        }
        let grown = self.analysed_at.is_empty()
            || sizes.iter().any(|(table, now)| {
                let then = self.analysed_at.get(table).copied().unwrap_or(0);
                *now >= then.saturating_mul(2) && *now >= then + 100
            });
        if !grown {
            return Ok(false);
        }
        // ANALYZE writes `sqlite_stat1`: it queues with the other writers of this process.
        let txn = crate::backend::db::begin_write(db).await?;
        txn.execute_unprepared(&format!("PRAGMA analysis_limit = {ANALYSIS_LIMIT}"))
            .await?;
        txn.execute_unprepared("ANALYZE").await?;
        txn.commit().await?;
        tracing::debug!(?sizes, "SQLite planner statistics gathered");
        self.analysed_at = sizes;
        Ok(true)
    }

    /// Checks every `every` until the task is aborted.
    pub fn spawn(db: DatabaseConnection, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut statistics = PlannerStatistics::default();
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = statistics.refresh(&db).await {
                    tracing::warn!(error = %e, "gathering SQLite planner statistics failed");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::store::test_db::memory_db;

    async fn stat_rows(db: &DatabaseConnection) -> i64 {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Sqlite,
                "SELECT COUNT(*) AS n FROM sqlite_stat1 WHERE tbl = 'namespaces'",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    /// Gathered at first, not again until a table doubles, then again.
    #[tokio::test]
    async fn statistics_follow_the_tables_growth() {
        let db = memory_db().await;
        let mut statistics = PlannerStatistics::default();
        assert!(statistics.refresh(&db).await.unwrap(), "never gathered yet");
        assert!(!statistics.refresh(&db).await.unwrap(), "nothing grew");
        assert_eq!(stat_rows(&db).await, 0, "empty tables say nothing");
        db.execute_unprepared(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150) \
             INSERT INTO namespaces (name, kind, visibility, description, created_at) \
             SELECT 'ns' || i, 'team', 'private', '', '2026-12-07T00:00:00Z' FROM n",
        )
        .await
        .unwrap();
        assert!(statistics.refresh(&db).await.unwrap(), "namespaces grew from 0 to 150");
        assert!(stat_rows(&db).await > 0, "and now the planner knows their indexes");
        assert!(!statistics.refresh(&db).await.unwrap());
    }
}
