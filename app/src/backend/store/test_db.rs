//! For the stores' unit tests: a fresh, migrated in-memory SQLite database per test.

use sea_orm::{Database, DatabaseConnection};
use wharf_migration::{Migrator, MigratorTrait};

pub async fn memory_db() -> DatabaseConnection {
    // One connection: every connection to `sqlite::memory:` would be a database of its own.
    let mut opt = sea_orm::ConnectOptions::new("sqlite::memory:");
    opt.max_connections(1).sqlx_logging(false);
    let db = Database::connect(opt).await.expect("in-memory SQLite");
    Migrator::up(&db, None).await.expect("migrations");
    db
}
