//! The real thing: registry 3.1.1 (and Debian's `docker-registry` 2.8.2) trusting wharf, driven
//! by `skopeo` and `podman`. Pushes and pulls succeed exactly where the policy says so.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use crate::helpers::{run, DbKind, RegistryVersion, TestRegistry, TestWharf};
use crate::oci;

const PW: &str = "correct-horse-battery";

/// Users, teams and namespaces every scenario starts from.
async fn seed(w: &TestWharf) -> String {
    w.add_user("admin", PW, true).await;
    for u in ["alice", "carol", "victor", "mallory"] {
        w.add_user(u, PW, false).await;
    }
    w.cli_ok(&["team", "add", "devs", "--owner", "alice"], None).await;
    w.cli_ok(
        &["team", "member", "add", "devs", "carol", "--role", "contributor"],
        None,
    )
    .await;
    w.cli_ok(&["team", "member", "add", "devs", "victor", "--role", "viewer"], None)
        .await;
    w.cli_ok(
        &["namespace", "add", "devs", "--team", "devs", "--visibility", "private"],
        None,
    )
    .await;
    w.cli_ok(
        &["namespace", "add", "pub", "--team", "devs", "--visibility", "public"],
        None,
    )
    .await;
    w.cli_ok(
        &[
            "namespace",
            "add",
            "prot",
            "--team",
            "devs",
            "--visibility",
            "protected",
        ],
        None,
    )
    .await;
    let token = w.cli_ok(&["token", "add", "alice", "ci", "--read-only"], None).await;
    token.trim().to_owned()
}

struct Skopeo<'a> {
    registry: &'a TestRegistry,
    image: PathBuf,
    work: &'a Path,
}

impl Skopeo<'_> {
    fn cmd(&self) -> Command {
        let mut c = Command::new("skopeo");
        // Never read a developer's own credentials.
        c.env("REGISTRY_AUTH_FILE", self.work.join("no-auth.json"));
        c
    }

    async fn push(&self, creds: &str, repo_tag: &str) -> (bool, String) {
        run(self
            .cmd()
            .args(["copy", "--dest-tls-verify=false", "--dest-creds", creds])
            .arg(format!("oci:{}:v1", self.image.display()))
            .arg(format!("docker://{}/{repo_tag}", self.registry.host)))
        .await
    }

    async fn pull(&self, creds: Option<&str>, repo_tag: &str) -> (bool, String) {
        let out = self.work.join(format!("pull-{}", crate::helpers::unique_suffix()));
        let mut c = self.cmd();
        c.args(["copy", "--src-tls-verify=false"]);
        match creds {
            Some(creds) => c.args(["--src-creds", creds]),
            None => c.arg("--src-no-creds"),
        };
        run(c
            .arg(format!("docker://{}/{repo_tag}", self.registry.host))
            .arg(format!("oci:{}:x", out.display())))
        .await
    }

    async fn list_tags(&self, creds: &str, repo: &str) -> (bool, String) {
        run(self
            .cmd()
            .args(["list-tags", "--tls-verify=false", "--creds", creds])
            .arg(format!("docker://{}/{repo}", self.registry.host)))
        .await
    }

    async fn delete(&self, creds: &str, repo_tag: &str) -> (bool, String) {
        run(self
            .cmd()
            .args(["delete", "--tls-verify=false", "--creds", creds])
            .arg(format!("docker://{}/{repo_tag}", self.registry.host)))
        .await
    }

    async fn login(&self, user: &str, password: &str) -> (bool, String) {
        run(self
            .cmd()
            .args(["login", "--tls-verify=false", "--authfile"])
            .arg(self.work.join("auth.json"))
            .args(["-u", user, "-p", password, &self.registry.host]))
        .await
    }
}

fn creds(user: &str) -> String {
    format!("{user}:{PW}")
}

#[track_caller]
fn expect(result: (bool, String), ok: bool, what: &str, registry: &TestRegistry) {
    if result.0 != ok {
        panic!(
            "{what}: expected {}, got:\n{}\n--- registry log (tail) ---\n{}",
            if ok { "success" } else { "refusal" },
            result.1,
            registry
                .log_text()
                .lines()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

async fn scenario(kind: DbKind, version: RegistryVersion) {
    let w = TestWharf::start(kind).await;
    let ro_token = seed(&w).await;
    let registry = TestRegistry::start_version(&w, version).await;
    let work = tempfile::tempdir().unwrap();
    let image = work.path().join("image");
    oci::write_image(&image, "v1", "hello from wharf");
    let s = Skopeo {
        registry: &registry,
        image,
        work: work.path(),
    };
    let r = &registry;

    // Login: right password works, wrong one is refused.
    expect(s.login("alice", PW).await, true, "alice logs in", r);
    expect(s.login("alice", "wrong-password").await, false, "wrong password", r);

    // Personal namespaces: your own yes, someone else's no.
    expect(
        s.push(&creds("alice"), "alice/app:1").await,
        true,
        "alice pushes to alice/",
        r,
    );
    let refused = s.push(&creds("mallory"), "alice/app:evil").await;
    assert!(
        refused.1.contains("denied") || refused.1.contains("unauthorized"),
        "{}",
        refused.1
    );
    expect(refused, false, "mallory pushes to alice/", r);

    // Team namespace: viewer refused, contributor and owner allowed.
    expect(
        s.push(&creds("victor"), "devs/app:1").await,
        false,
        "viewer pushes to devs/",
        r,
    );
    expect(
        s.push(&creds("carol"), "devs/app:1").await,
        true,
        "contributor pushes to devs/",
        r,
    );
    expect(
        s.push(&creds("alice"), "pub/app:1").await,
        true,
        "owner pushes to pub/",
        r,
    );
    expect(
        s.push(&creds("alice"), "prot/app:1").await,
        true,
        "owner pushes to prot/",
        r,
    );
    // Global namespace: admins only.
    expect(
        s.push(&creds("alice"), "toplevel:1").await,
        false,
        "non-admin pushes to global",
        r,
    );
    expect(
        s.push(&creds("admin"), "toplevel:1").await,
        true,
        "admin pushes to global",
        r,
    );
    // A namespace that does not exist: refused even for admins.
    expect(
        s.push(&creds("admin"), "nowhere/app:1").await,
        false,
        "push to missing namespace",
        r,
    );

    // Visibility: public for anyone, protected for signed-in users, private for members.
    expect(s.pull(None, "pub/app:1").await, true, "anonymous pulls public", r);
    expect(s.pull(None, "prot/app:1").await, false, "anonymous pulls protected", r);
    expect(
        s.pull(Some(&creds("mallory")), "prot/app:1").await,
        true,
        "signed-in pulls protected",
        r,
    );
    expect(
        s.pull(Some(&creds("mallory")), "devs/app:1").await,
        false,
        "outsider pulls private",
        r,
    );
    expect(
        s.list_tags(&creds("mallory"), "devs/app").await,
        false,
        "outsider lists private tags",
        r,
    );
    expect(
        s.list_tags(&creds("victor"), "devs/app").await,
        true,
        "viewer lists private tags",
        r,
    );

    // A read-only application token pulls but never pushes.
    let ro = format!("alice:{ro_token}");
    expect(s.pull(Some(&ro), "alice/app:1").await, true, "read-only token pulls", r);
    expect(s.push(&ro, "alice/app:2").await, false, "read-only token pushes", r);

    // Deletes: contributors no (default), owners and admins yes.
    expect(
        s.delete(&creds("carol"), "devs/app:1").await,
        false,
        "contributor deletes",
        r,
    );
    expect(s.delete(&creds("alice"), "devs/app:1").await, true, "owner deletes", r);
    expect(
        s.pull(Some(&creds("alice")), "devs/app:1").await,
        false,
        "deleted image is gone",
        r,
    );
    expect(
        s.delete(&creds("mallory"), "alice/app:1").await,
        false,
        "outsider deletes",
        r,
    );
    expect(s.delete(&creds("admin"), "pub/app:1").await, true, "admin deletes", r);

    refresh_token_flow(&w, &registry).await;
    if kind == DbKind::Sqlite {
        podman_login_and_pull(&registry, work.path()).await;
    }

    drop(registry);
    w.stop().await;
}

/// The OAuth2 POST flow docker uses: password grant with `access_type=offline` returns a
/// refresh token; the refresh grant then gets a token the real registry accepts.
async fn refresh_token_flow(w: &TestWharf, registry: &TestRegistry) {
    let client = reqwest::Client::new();
    let service = &w.config.service;
    let first: serde_json::Value = client
        .post(format!("{}/v2/token", w.url))
        .form(&[
            ("grant_type", "password"),
            ("service", service.as_str()),
            ("client_id", "integration-test"),
            ("access_type", "offline"),
            ("username", "alice"),
            ("password", PW),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = first["refresh_token"]
        .as_str()
        .expect("refresh_token in the password grant")
        .to_owned();

    let second = client
        .post(format!("{}/v2/token", w.url))
        .form(&[
            ("grant_type", "refresh_token"),
            ("service", service.as_str()),
            ("client_id", "integration-test"),
            ("refresh_token", refresh.as_str()),
            ("scope", "repository:alice/app:pull"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 200);
    let second: serde_json::Value = second.json().await.unwrap();
    assert!(
        second.get("refresh_token").is_none(),
        "only the password grant hands out refresh tokens"
    );
    let token = second["token"].as_str().unwrap();

    let tags = client
        .get(format!("http://{}/v2/alice/app/tags/list", registry.addr))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.status(),
        200,
        "registry accepts the refreshed token: {}",
        registry.log_text()
    );
    let body: serde_json::Value = tags.json().await.unwrap();
    assert_eq!(body["tags"], serde_json::json!(["1"]));

    let bogus = client
        .post(format!("{}/v2/token", w.url))
        .form(&[
            ("grant_type", "refresh_token"),
            ("service", service.as_str()),
            ("refresh_token", "wharf_rt_nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bogus.status(), 401);

    // Devices are listed and revocable; a revoked refresh token stops working.
    let devices = w.cli_ok(&["token", "devices", "alice"], None).await;
    let id = devices
        .lines()
        .find(|l| l.contains("integration-test"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("device listed: {devices}"))
        .to_owned();
    w.cli_ok(&["token", "revoke-device", "alice", &id], None).await;
    let revoked = client
        .post(format!("{}/v2/token", w.url))
        .form(&[
            ("grant_type", "refresh_token"),
            ("service", service.as_str()),
            ("refresh_token", refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401, "revoked device");
}

async fn podman_login_and_pull(registry: &TestRegistry, work: &Path) {
    let root = work.join("podman");
    std::fs::create_dir_all(&root).unwrap();
    let storage_conf = root.join("storage.conf");
    std::fs::write(
        &storage_conf,
        format!(
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
            root.join("graph").display(),
            root.join("run").display()
        ),
    )
    .unwrap();
    let podman = |args: &[&str]| {
        let mut c = Command::new("podman");
        c.env("CONTAINERS_STORAGE_CONF", &storage_conf)
            .env("REGISTRY_AUTH_FILE", root.join("auth.json"))
            .env("XDG_RUNTIME_DIR", root.join("xdg"))
            .args([
                "--root",
                root.join("graph").to_str().unwrap(),
                "--runroot",
                root.join("run").to_str().unwrap(),
            ])
            .args(args);
        c
    };
    std::fs::create_dir_all(root.join("xdg")).unwrap();
    let host = registry.host.as_str();
    expect(
        run(&mut podman(&[
            "login",
            "--tls-verify=false",
            "-u",
            "alice",
            "-p",
            PW,
            host,
        ]))
        .await,
        true,
        "podman login",
        registry,
    );
    expect(
        run(&mut podman(&[
            "login",
            "--tls-verify=false",
            "-u",
            "alice",
            "-p",
            "nope-nope",
            host,
        ]))
        .await,
        false,
        "podman login with a wrong password",
        registry,
    );
    expect(
        run(&mut podman(&[
            "pull",
            "--tls-verify=false",
            &format!("{host}/alice/app:1"),
        ]))
        .await,
        true,
        "podman pull",
        registry,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_registry_and_clients_on_sqlite() {
    scenario(DbKind::Sqlite, RegistryVersion::V3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_registry_and_clients_on_postgres() {
    scenario(DbKind::Postgres, RegistryVersion::V3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_registry_2_8_and_clients() {
    scenario(DbKind::Sqlite, RegistryVersion::V2).await;
}
