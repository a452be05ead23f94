//! The `wharf` command line: clear messages and non-zero exits on bad input.

use crate::helpers::{DbKind, TestWharf};

async fn fails_with(w: &TestWharf, args: &[&str], stdin: Option<&str>, needle: &str) {
    let out = w.cli(args, stdin).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "wharf {args:?} should fail");
    assert!(
        stderr.contains(needle),
        "wharf {args:?}: expected {needle:?} in {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_reports_bad_input_clearly() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.cli_ok(&["migrate"], None).await;
    w.add_user("alice", "long-enough-pw", false).await;

    fails_with(
        &w,
        &["user", "add", "Bad Name", "--password-stdin"],
        Some("long-enough-pw"),
        "namespace name",
    )
    .await;
    fails_with(
        &w,
        &["user", "add", "bob", "--password-stdin"],
        Some("short"),
        "at least 8",
    )
    .await;
    fails_with(
        &w,
        &["user", "add", "alice", "--password-stdin"],
        Some("long-enough-pw"),
        "already taken",
    )
    .await;
    fails_with(&w, &["user", "add", "bob"], None, "--password-stdin").await;
    fails_with(&w, &["team", "add", "devs", "--owner", "ghost"], None, "no user named").await;
    fails_with(
        &w,
        &["namespace", "add", "x", "--team", "ghosts"],
        None,
        "no team named",
    )
    .await;
    w.cli_ok(&["team", "add", "devs", "--owner", "alice"], None).await;
    fails_with(
        &w,
        &["team", "member", "add", "devs", "alice", "--role", "boss"],
        None,
        "not one of",
    )
    .await;
    fails_with(
        &w,
        &["namespace", "add", "alice", "--team", "devs"],
        None,
        "already exists",
    )
    .await;
    fails_with(
        &w,
        &["namespace", "add", "x", "--team", "devs", "--visibility", "secret"],
        None,
        "not one of",
    )
    .await;
    fails_with(
        &w,
        &["team", "member", "add", "devs", "alice", "--role", "viewer"],
        None,
        "at least one owner",
    )
    .await;
    fails_with(
        &w,
        &["registry-config", "--listen", "nonsense", "--storage", "/tmp/x"],
        None,
        "invalid",
    )
    .await;
    fails_with(&w, &["registry-config", "--storage", "/tmp/x"], None, "--listen").await;
    fails_with(&w, &["token", "add", "ghost", "ci"], None, "no user named").await;

    // Unknown configuration keys are errors, not silently ignored.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_wharf"))
        .arg("migrate")
        .env("WHARF_DATA_DIR", &w.data_dir)
        .env("WHARF_DATABASE_URL", &w.db.url)
        .env("WHARF_NO_SUCH_SETTING", "1")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no_such_setting"));
    w.stop().await;
}
