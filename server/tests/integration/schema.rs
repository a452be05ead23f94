//! The schema guards its own data: columns holding one of a fixed set of words refuse any
//! other (CHECK constraints on PostgreSQL, equivalent triggers on SQLite), so the entities never
//! meet a value they cannot read.

use sea_orm::{ConnectionTrait, Database};

use crate::helpers::{DbKind, TestWharf};

async fn stored_words_are_checked(kind: DbKind) {
    let w = TestWharf::start(kind).await;
    w.add_user("alice", "long-enough-pw", false).await;
    w.cli_ok(&["team", "add", "devs", "--owner", "alice"], None).await;
    w.cli_ok(&["namespace", "add", "web", "--team", "devs"], None).await;
    let db = Database::connect(&w.db.url).await.unwrap();
    for (sql, check) in [
        ("UPDATE team_members SET role = 'boss'", "ck_team_members_role"),
        (
            "UPDATE namespaces SET visibility = 'secret' WHERE name = 'web'",
            "ck_namespaces_visibility",
        ),
        (
            "UPDATE namespaces SET kind = 'shared' WHERE name = 'web'",
            "ck_namespaces_kind",
        ),
        (
            "INSERT INTO sync_runs (started_at, trigger, strategy, status) \
             VALUES ('2026-01-01T00:00:00Z', 'test', 'update', 'half-done')",
            "ck_sync_runs_status",
        ),
    ] {
        let err = db.execute_unprepared(sql).await.expect_err(sql).to_string();
        assert!(err.contains(check), "{sql}: {err}");
    }
    // The allowed words still go in.
    db.execute_unprepared("UPDATE namespaces SET visibility = 'public' WHERE name = 'web'")
        .await
        .unwrap();
    db.execute_unprepared("UPDATE team_members SET role = 'viewer' WHERE role = 'owner' AND 1 = 0")
        .await
        .unwrap();
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_words_are_checked_sqlite() {
    stored_words_are_checked(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_words_are_checked_postgres() {
    stored_words_are_checked(DbKind::Postgres).await;
}
