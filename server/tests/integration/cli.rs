//! The `wharf` command line: clear messages and meaningful exit codes on bad input, and its
//! changes audited like the console's.

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
        "user name \"bad name\" is invalid",
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
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("WHARF_NO_SUCH_SETTING") && stderr.contains("Remove or rename it"),
        "{stderr}"
    );
    w.stop().await;
}

/// The command line acts through the same services as the console: every change it makes is
/// in the activity log, under `wharf:cli`; and its exit codes tell scripts what went wrong
/// (2 usage or input, 3 not found or refused).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_changes_are_audited_and_exit_codes_say_why() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("alice", "long-enough-pw", false).await;
    w.add_user("bob", "long-enough-pw", false).await;
    w.cli_ok(&["team", "add", "devs", "--owner", "alice"], None).await;
    w.cli_ok(&["team", "member", "add", "devs", "bob", "--role", "contributor"], None)
        .await;
    w.cli_ok(&["namespace", "add", "web", "--team", "devs"], None).await;
    let token = w.cli_ok(&["token", "add", "alice", "ci", "--read-only"], None).await;
    assert!(token.trim().starts_with("wharf_at_"), "{token}");
    w.cli_ok(&["token", "revoke", "alice", "ci"], None).await;
    w.cli_ok(&["user", "disable", "bob"], None).await;
    w.cli_ok(&["registry", "add", "mirror", "--public", "mirror.example:443"], None)
        .await;
    w.cli_ok(
        &[
            "registry",
            "replica",
            "add",
            "mirror",
            "http://127.0.0.1:9",
            "--name",
            "m1",
        ],
        None,
    )
    .await;
    w.cli_ok(&["registry", "replica", "remove", "mirror", "http://127.0.0.1:9"], None)
        .await;

    let log = w.cli_json(&["activity", "list"]).await;
    let by_cli: Vec<(String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["actor"] == "wharf:cli")
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (kind, target) in [
        ("user.created", "alice"),
        ("user.created", "bob"),
        ("team.created", "devs"),
        ("team.member_set", "devs"),
        ("namespace.created", "web"),
        ("token.created", "alice/ci"),
        ("token.revoked", "alice/ci"),
        ("user.disabled", "bob"),
        ("registry.added", "registry:mirror"),
        ("replica.added", "replica:m1"),
        ("replica.removed", "registry:mirror"),
    ] {
        assert!(
            by_cli.iter().any(|(k, t)| k == kind && t == target),
            "no {kind} {target} by wharf:cli in {by_cli:?}"
        );
    }

    let code = |args: &'static [&'static str], stdin: Option<&'static str>| {
        let w = &w;
        async move { w.cli(args, stdin).await.status.code() }
    };
    assert_eq!(
        code(&["user", "add", "Bad Name", "--password-stdin"], Some("long-enough-pw")).await,
        Some(2)
    );
    assert_eq!(
        code(&["team", "add", "devs", "--owner", "alice"], None).await,
        Some(3),
        "taken"
    );
    assert_eq!(
        code(&["token", "add", "ghost", "ci"], None).await,
        Some(3),
        "no such user"
    );
    assert_eq!(code(&["user", "enable", "ghost"], None).await, Some(3));
    assert_eq!(
        code(&["registry-config", "--storage", "/tmp/x"], None).await,
        Some(2),
        "clap"
    );
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
