//! The test harness itself: what every other test relies on.

use crate::helpers::{scalar, DbKind, TestDb};

/// A test that panics halfway still drops its PostgreSQL database (no leftovers that fill the
/// server over many runs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_test_still_drops_its_database() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let test = tokio::spawn(async move {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDb::fresh(DbKind::Postgres, dir.path()).await;
        let name = db.url.rsplit('/').next().unwrap().to_owned();
        tx.send(name).unwrap();
        panic!("a failing test, holding {}", db.url);
    });
    assert!(test.await.unwrap_err().is_panic());
    let name = rx.await.unwrap();
    let admin = sea_orm::Database::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap();
    let left: i64 = scalar(
        &admin,
        &format!("SELECT COUNT(*) FROM pg_database WHERE datname = '{name}'"),
    )
    .await;
    assert_eq!(left, 0, "database {name} was left behind");
}
