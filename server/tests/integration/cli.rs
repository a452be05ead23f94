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

/// The key and every secret wharf generates are its owner's alone (0600) even under the usual
/// umask 022, while public files (the certificate) keep the umask's 0644.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_keys_and_secrets_are_owner_only_under_umask_022() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = crate::helpers::TestDb::fresh(DbKind::Sqlite, dir.path()).await;
    let port = crate::helpers::free_port();
    let wharf = |args: &[&str]| {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.arg("-c")
            .arg("umask 022 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_wharf"))
            .args(args)
            .env("WHARF_DATA_DIR", &data)
            .env("WHARF_DATABASE_URL", &db.url)
            .env("WHARF_LOG", "warn");
        cmd
    };
    let storage = dir.path().join("storage");
    let out = wharf(&[
        "registry-config",
        "--listen",
        "127.0.0.1:5000",
        "--storage",
        storage.to_str().unwrap(),
    ])
    .output()
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The webhook key is made when the server starts.
    let mut serve = wharf(&["serve", "--listen", &format!("127.0.0.1:{port}")])
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let webhook_key = data.join("webhook-key");
    let webhook_key = &webhook_key;
    crate::helpers::eventually("wharf serve to make its webhook key", 30, || async move {
        webhook_key.exists().then_some(())
    })
    .await;
    let out = wharf(&["key", "rotate"]).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serve.kill().await.ok();

    let mode = |name: &str| std::fs::metadata(data.join(name)).unwrap().permissions().mode() & 0o777;
    for secret in [
        "token.key",
        "notification-secret",
        "registry-http-secret",
        "webhook-key",
    ] {
        assert_eq!(mode(secret), 0o600, "{secret}");
    }
    assert_eq!(mode("token.crt"), 0o644, "the umask really was 022");
    db.drop_db().await;
}
