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

/// A fresh, migrated PostgreSQL database on the server the tests use (127.0.0.1:5432, trust
/// auth: see README), for the few store tests whose answer depends on the database's planner
/// or collation. Dropped when the returned guard is.
pub async fn postgres_db() -> (DatabaseConnection, PostgresGuard) {
    use sea_orm::ConnectionTrait;
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).expect("random name");
    let name = format!("wharf_unit_{}", hex::encode(suffix));
    let admin = Database::connect(PG_ADMIN_URL)
        .await
        .expect("PostgreSQL at 127.0.0.1:5432 (see README)");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create database");
    admin.close().await.ok();
    let db = Database::connect(format!("postgres://postgres@127.0.0.1:5432/{name}"))
        .await
        .expect("test database");
    Migrator::up(&db, None).await.expect("migrations");
    (db, PostgresGuard { name })
}

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Drops its database (on a thread of its own: the test's runtime may be unwinding).
pub struct PostgresGuard {
    name: String,
}

impl Drop for PostgresGuard {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        let dropper = std::thread::spawn(move || {
            use sea_orm::ConnectionTrait;
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    if let Ok(admin) = Database::connect(PG_ADMIN_URL).await {
                        let _ = admin
                            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .await;
                    }
                });
            }
        });
        let _ = dropper.join();
    }
}
