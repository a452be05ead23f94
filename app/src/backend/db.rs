//! Connecting to the database (SQLite by default, PostgreSQL to scale out) and migrating it.

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use wharf_migration::{Migrator, MigratorTrait};

use super::config::Config;

/// Opens the pool, creating the SQLite file and its directory when needed.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| DbErr::Custom(format!("creating data dir {}: {e}", config.data_dir.display())))?;
    }
    connect_url(&url, config.database_max_connections).await
}

pub async fn connect_url(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut opt = ConnectOptions::new(url.to_owned());
    opt.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(8))
        .acquire_timeout(Duration::from_secs(8))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // Connections read the planner's statistics when they open: recycled, they see newer.
        opt.max_lifetime(super::planner_statistics::CONNECTION_LIFETIME);
        // WAL lets readers run while a writer commits; busy_timeout waits instead of failing.
        opt.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    }
    Database::connect(opt).await
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Names of migrations not yet applied (for readiness checks).
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<usize, DbErr> {
    Ok(Migrator::get_pending_migrations(db).await?.len())
}

/// One writer at a time per process on SQLite: waiting on an async mutex is cheap, while
/// SQLite's own busy handler sleeps and retries, which under load costs most of the time.
static SQLITE_WRITE_GATE: std::sync::LazyLock<std::sync::Arc<tokio::sync::Mutex<()>>> =
    std::sync::LazyLock::new(Default::default);

/// A transaction that writes (see [`begin_write`]); use it as `&*txn`.
pub struct WriteTxn {
    txn: sea_orm::DatabaseTransaction,
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTxn {
    type Target = sea_orm::DatabaseTransaction;
    fn deref(&self) -> &Self::Target {
        &self.txn
    }
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

/// Starts a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later fails with
/// "database is locked" when another connection committed in between, and waiting cannot fix
/// that. Writers of this process queue on [`SQLITE_WRITE_GATE`] first (other processes, such
/// as the CLI, still meet the busy timeout). PostgreSQL ignores both.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let gate = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => Some(SQLITE_WRITE_GATE.clone().lock_owned().await),
        _ => None,
    };
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(WriteTxn { txn, _gate: gate })
}
