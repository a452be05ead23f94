//! The same contract on both registry releases users run: Debian's `docker-registry` 2.8.2 and
//! distribution 3.1.1 (`registry:3`, built from its released source). For each: wharf's tokens
//! are accepted, notifications (v1 and v2 envelopes) record pushes with pusher and size, count
//! pulls and apply deletes, and a sync finds what notifications missed — on registry 3 with
//! `catalog.maxentries` and `tags.maxtags` small enough to make it page (and refuse a large
//! `n`). Registry 3 also trusts wharf through a JWKS file instead of the certificate bundle.

use std::path::Path;

use serde_json::Value;
use tokio::process::Command;
use wharf_app::backend::config::TokenHeader;

use crate::helpers::{eventually, run, DbKind, RegistryOpts, RegistryVersion, TestRegistry, TestWharf};
use crate::oci;

const PW: &str = "correct-horse-battery";

fn skopeo(work: &Path) -> Command {
    let mut c = Command::new("skopeo");
    c.env("REGISTRY_AUTH_FILE", work.join("no-auth.json"));
    c
}

async fn push(work: &Path, image: &Path, host: &str, repo_tag: &str) -> (bool, String) {
    run(skopeo(work)
        .args([
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            &format!("alice:{PW}"),
        ])
        .arg(format!("oci:{}:v1", image.display()))
        .arg(format!("docker://{host}/{repo_tag}")))
    .await
}

async fn pull(work: &Path, host: &str, repo_tag: &str) -> (bool, String) {
    let out = work.join(format!("pull-{}", crate::helpers::unique_suffix()));
    run(skopeo(work)
        .args(["copy", "--src-tls-verify=false", "--src-creds", &format!("alice:{PW}")])
        .arg(format!("docker://{host}/{repo_tag}"))
        .arg(format!("oci:{}:x", out.display())))
    .await
}

fn tag<'a>(tags: &'a [Value], name: &str) -> Option<&'a Value> {
    tags.iter().find(|t| t["tag"] == name)
}

#[track_caller]
fn ok(result: (bool, String), what: &str, registry: &TestRegistry) {
    assert!(
        result.0,
        "{what} on registry {}: {}\n--- registry log (tail) ---\n{}",
        registry.version,
        result.1,
        registry
            .log_text()
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

async fn contract(version: RegistryVersion) {
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("alice", PW, false).await;
    let work = tempfile::tempdir().unwrap();
    let image = work.path().join("image");
    oci::write_image(&image, "v1", &format!("hello from registry {version}"));
    // Registry 3 answers 400 to `n` above catalog.maxentries; small limits make both lists page.
    let limits = "catalog:\n  maxentries: 2\ntags:\n  maxtags: 2\n";
    let storage = work.path().join("storage");
    let reg = TestRegistry::start_with(
        &w,
        RegistryOpts {
            storage: Some(&storage),
            version: Some(version),
            name: Some("loud"),
            extra_yaml: (version == RegistryVersion::V3).then_some(limits),
            ..Default::default()
        },
    )
    .await;
    let host = reg.host.clone();

    // A push is recorded from its notification, with the pusher and the size with layers.
    ok(push(work.path(), &image, &host, "alice/app:1").await, "push", &reg);
    let tags = eventually("the push notification", 30, || async {
        let tags = w.tags("alice/app").await;
        tag(&tags, "1").is_some().then_some(tags)
    })
    .await;
    let t = tag(&tags, "1").unwrap();
    assert_eq!(t["pushed_by"], "alice", "{t}");
    assert!(t["size"].as_i64().unwrap() > 200, "manifest plus layers: {t}");
    assert!(t["digest"].as_str().unwrap().starts_with("sha256:"), "{t}");

    // A pull (manifest GET) is counted.
    ok(pull(work.path(), &host, "alice/app:1").await, "pull", &reg);
    eventually("the pull to be counted", 30, || async {
        let tags = w.tags("alice/app").await;
        (tag(&tags, "1")?["pulls"].as_i64()? >= 1).then_some(())
    })
    .await;
    // Blob events (a layer and a config each way) are dropped by the registry, both versions:
    // none reached wharf to be ignored there.
    let metrics = w.metrics().await;
    assert!(
        metrics.contains("wharf_registry_events_total{outcome=\"applied\"} 2"),
        "the push and the pull: {metrics}"
    );
    assert!(
        metrics.contains("wharf_registry_events_total{outcome=\"ignored\"} 0"),
        "{metrics}"
    );
    let replica = w.cli_json(&["registry", "status"]).await;
    let loud = replica
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "loud")
        .unwrap();
    assert!(loud["last_event_at"].is_string(), "the replica is credited: {loud}");

    // Pushes wharf never hears of (a replica whose notifications go nowhere), found by a sync.
    let silent = TestRegistry::start_with(
        &w,
        RegistryOpts {
            storage: Some(&storage),
            version: Some(version),
            name: Some("silent"),
            notify_url: Some("http://127.0.0.1:9"),
            extra_yaml: (version == RegistryVersion::V3).then_some(limits),
            ..Default::default()
        },
    )
    .await;
    for repo_tag in ["alice/app:2", "alice/app:3", "alice/b:1", "alice/c:1", "alice/d:1"] {
        ok(
            push(work.path(), &image, &silent.host, repo_tag).await,
            "silent push",
            &silent,
        );
    }
    let summary = w.cli_json(&["sync"]).await;
    assert_eq!(summary["status"], "succeeded", "{summary}");
    let mut names: Vec<String> = w
        .tags("alice/app")
        .await
        .iter()
        .map(|t| t["tag"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["1", "2", "3"], "three tags, listed two per page on registry 3");
    for repo in ["alice/b", "alice/c", "alice/d"] {
        assert_eq!(w.tags(repo).await.len(), 1, "{repo} found by the sync (catalog paged)");
    }

    // A delete through wharf reaches the registry, and the notification agrees.
    w.cli_ok(&["tag", "delete", "alice/b:1", "--yes"], None).await;
    assert!(w.tags("alice/b").await.is_empty());
    let (gone, _) = pull(work.path(), &host, "alice/b:1").await;
    assert!(!gone, "the manifest is deleted in the registry");
    drop(silent);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_3_tokens_notifications_sync_and_limits() {
    contract(RegistryVersion::V3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_2_8_tokens_notifications_and_sync() {
    contract(RegistryVersion::V2).await;
}

/// `token_header = "kid"`: tokens name their key by RFC 7638 thumbprint and carry no
/// certificate; registry 3 finds the key in the JWKS wharf writes (no bundle in its config),
/// or among its bundle's keys. After `wharf key rotate` the JWKS keeps the previous key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_3_trusts_wharf_through_a_jwks() {
    let w = TestWharf::start_with(DbKind::Sqlite, |c| c.token_header = TokenHeader::Kid).await;
    w.add_user("alice", PW, false).await;
    let work = tempfile::tempdir().unwrap();
    let image = work.path().join("image");
    oci::write_image(&image, "v1", "signed by a thumbprint");

    let jwks_only = TestRegistry::start_with(
        &w,
        RegistryOpts {
            jwks: true,
            ..Default::default()
        },
    )
    .await;
    let config = std::fs::read_to_string(jwks_only.log.with_file_name("config.yml")).unwrap();
    assert!(
        config.contains("jwks: ") && !config.contains("rootcertbundle"),
        "{config}"
    );
    ok(
        push(work.path(), &image, &jwks_only.host, "alice/app:1").await,
        "push (JWKS)",
        &jwks_only,
    );
    ok(
        pull(work.path(), &jwks_only.host, "alice/app:1").await,
        "pull (JWKS)",
        &jwks_only,
    );

    let bundle_only = TestRegistry::start(&w).await;
    ok(
        push(work.path(), &image, &bundle_only.host, "alice/app:2").await,
        "push (bundle thumbprint)",
        &bundle_only,
    );

    // A 2.8 registry cannot resolve a thumbprint: registry-config says so instead of writing
    // a file that refuses every token.
    let out = w
        .cli(
            &[
                "registry-config",
                "--listen",
                "127.0.0.1:1",
                "--storage",
                "/tmp/x",
                "--registry-version",
                "2",
            ],
            None,
        )
        .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("token_header"), "{out:?}");

    let jwks_path = w.data_dir.join("token-jwks.json");
    let before: Value = serde_json::from_slice(&std::fs::read(&jwks_path).unwrap()).unwrap();
    w.cli_ok(&["key", "rotate"], None).await;
    let after: Value = serde_json::from_slice(&std::fs::read(&jwks_path).unwrap()).unwrap();
    let kids = |v: &Value| -> Vec<String> {
        v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    // Each key under its thumbprint, then under its libtrust id.
    assert_eq!(kids(&before).len(), 2);
    assert_eq!(kids(&after).len(), 4);
    assert_eq!(kids(&after)[1], kids(&before)[0], "the previous key stays trusted");
    assert_eq!(kids(&after)[3], kids(&before)[1], "under both ids");
    w.stop().await;
}

/// `token_header = "libtrust-kid"`: tokens name their key by its libtrust id and carry no
/// certificate. Registry 2.8 finds the key among its bundle's keys (no chain verified on each
/// request); registry 3 in the JWKS, which `registry-config` then trusts without `--jwks`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libtrust_kid_tokens_work_with_registry_2_8_and_3() {
    let w = TestWharf::start_with(DbKind::Sqlite, |c| c.token_header = TokenHeader::LibtrustKid).await;
    w.add_user("alice", PW, false).await;
    let work = tempfile::tempdir().unwrap();
    let image = work.path().join("image");
    oci::write_image(&image, "v1", "signed by a libtrust id");
    for version in [RegistryVersion::V2, RegistryVersion::V3] {
        let registry = TestRegistry::start_with(
            &w,
            RegistryOpts {
                version: Some(version),
                ..Default::default()
            },
        )
        .await;
        let config = std::fs::read_to_string(registry.log.with_file_name("config.yml")).unwrap();
        let trusts_jwks = config.contains("jwks: ") && !config.contains("rootcertbundle");
        assert_eq!(trusts_jwks, version == RegistryVersion::V3, "{config}");
        let reference = format!("alice/app:{version:?}");
        ok(
            push(work.path(), &image, &registry.host, &reference).await,
            &format!("push ({version:?})"),
            &registry,
        );
        ok(
            pull(work.path(), &registry.host, &reference).await,
            &format!("pull ({version:?})"),
            &registry,
        );
    }
    w.stop().await;
}

/// A P-256 key whose x coordinate starts with a zero byte (one key in 256): registry 3 names
/// bundle keys by a thumbprint that drops that byte, so a token carrying the textbook RFC 7638
/// thumbprint is refused ("untrusted key ID"). Wharf's `kid` is the id the registry computes,
/// found both among the bundle's keys and in the JWKS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_3_finds_a_key_whose_coordinate_starts_with_zero() {
    use rcgen::PublicKeyData;
    use wharf_app::backend::token::keys::Jwk;
    let keys = tempfile::tempdir().unwrap();
    let key_pair = (0..100_000)
        .map(|_| rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap())
        .find(|k| matches!(Jwk::from_spki(&k.subject_public_key_info()), Ok(Jwk::Ec { x, .. }) if x[0] == 0))
        .expect("one P-256 key in 256 has such an x");
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name.push(rcgen::DnType::CommonName, "wharf");
    let cert = params.self_signed(&key_pair).unwrap();
    std::fs::write(keys.path().join("token.key"), key_pair.serialize_pem()).unwrap();
    std::fs::write(keys.path().join("token.crt"), cert.pem()).unwrap();
    let key_dir = keys.path().to_owned();
    let w = TestWharf::start_with(DbKind::Sqlite, |c| {
        c.token_header = TokenHeader::Kid;
        c.key_dir = Some(key_dir);
    })
    .await;
    w.add_user("alice", PW, false).await;
    let work = tempfile::tempdir().unwrap();
    let image = work.path().join("image");
    oci::write_image(&image, "v1", "a key with a leading zero");
    // Trusting the bundle, then the JWKS.
    for jwks in [false, true] {
        let registry = TestRegistry::start_with(
            &w,
            RegistryOpts {
                jwks,
                ..Default::default()
            },
        )
        .await;
        let what = if jwks { "push (JWKS)" } else { "push (bundle)" };
        ok(
            push(work.path(), &image, &registry.host, "alice/app:1").await,
            what,
            &registry,
        );
    }
    w.stop().await;
}

/// The first `registry-config` creates the registry with a public endpoint and says so; an
/// administrator changes it through the API (and the console's server function), which the
/// console's pull lines then use. Others get 403; a malformed endpoint 400.
#[tokio::test]
async fn the_public_endpoint_is_said_and_editable() {
    use crate::rest_api::Client;
    use reqwest::Method;
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("admin", PW, true).await;
    w.add_user("alice", PW, false).await;
    let out = w
        .cli(
            &[
                "registry-config",
                "--listen",
                "127.0.0.1:5999",
                "--storage",
                "/tmp/wharf-none",
            ],
            None,
        )
        .await;
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("public endpoint 127.0.0.1:5999"), "{said}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("public endpoint"),
        "stdout stays YAML"
    );
    let admin_token = w.cli_ok(&["token", "add", "admin", "ci"], None).await.trim().to_owned();
    let alice_token = w.cli_ok(&["token", "add", "alice", "ci"], None).await.trim().to_owned();
    w.settle().await;
    let admin = Client::bearer(&w, &admin_token);
    let alice = Client::bearer(&w, &alice_token);
    let body = |h: &str| Some(serde_json::json!({ "public_host": h }));
    alice
        .fails(
            Method::PATCH,
            "/api/v1/registries/default",
            body("evil.example.com:443"),
            403,
        )
        .await;
    admin
        .fails(Method::PATCH, "/api/v1/registries/default", body("has space:443"), 400)
        .await;
    admin
        .fails(
            Method::PATCH,
            "/api/v1/registries/nope",
            body("registry.example.com:443"),
            404,
        )
        .await;
    let changed = admin
        .ok(
            Method::PATCH,
            "/api/v1/registries/default",
            body("registry.example.com:443"),
        )
        .await;
    assert_eq!(changed["public_host"], "registry.example.com:443");
    let status = w.cli_json(&["registry", "status"]).await;
    assert_eq!(status[0]["public_host"], "registry.example.com:443", "{status}");
    let activity = w.cli_json(&["activity", "list"]).await;
    assert!(
        activity
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "registry.updated"),
        "audited: {activity}"
    );
    w.stop().await;
}

/// The reference deployment on registry 3: two replicas sharing storage and the Redis cache
/// (`redis.addrs`, which registry 3 requires) behind nginx. A two-platform OCI index pushed with
/// `skopeo copy --all` is recorded with its pusher and size; podman pulls it (its own platform)
/// and skopeo copies it back whole, both through nginx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_platform_index_through_registry_3_behind_nginx() {
    use crate::helpers::TestNginx;
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("alice", PW, false).await;
    let work = tempfile::tempdir().unwrap();
    let storage = work.path().join("storage");
    let mut replicas = Vec::new();
    for name in ["r1", "r2"] {
        replicas.push(
            TestRegistry::start_with(
                &w,
                RegistryOpts {
                    storage: Some(&storage),
                    redis: true,
                    name: Some(name),
                    ..Default::default()
                },
            )
            .await,
        );
    }
    let config = std::fs::read_to_string(replicas[0].log.with_file_name("config.yml")).unwrap();
    assert!(config.contains("addrs: [\"127.0.0.1:6379\"]"), "{config}");
    let nginx = TestNginx::start(&w).await;
    let lb = nginx.addr.to_string();

    let layout = work.path().join("index");
    // Unique content: the Redis cache outlives the test, and would vouch for blobs of an earlier
    // run that this run's storage does not have.
    let (digest, _) = oci::write_index(
        &layout,
        "multi",
        &format!("two platforms {}", crate::helpers::unique_suffix()),
    );
    let index_len = std::fs::metadata(layout.join("blobs/sha256").join(digest.trim_start_matches("sha256:")))
        .unwrap()
        .len() as i64;
    let (pushed, out) = run(skopeo(work.path())
        .args([
            "copy",
            "--all",
            "--dest-tls-verify=false",
            "--dest-creds",
            &format!("alice:{PW}"),
        ])
        .arg(format!("oci:{}:multi", layout.display()))
        .arg(format!("docker://{lb}/alice/multi:1")))
    .await;
    assert!(pushed, "push of the index through nginx: {out}");
    let tags = eventually("the index push in wharf", 30, || async {
        let tags = w.tags("alice/multi").await;
        (!tags.is_empty()).then_some(tags)
    })
    .await;
    assert_eq!(tags[0]["digest"], digest.as_str());
    assert_eq!(tags[0]["media_type"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(tags[0]["pushed_by"], "alice");
    assert!(
        tags[0]["size"].as_i64().unwrap() > index_len,
        "the index and what it lists: {}",
        tags[0]
    );

    // skopeo copies the whole index back.
    let back = work.path().join("back");
    let (pulled, out) = run(skopeo(work.path())
        .args([
            "copy",
            "--all",
            "--src-tls-verify=false",
            "--src-creds",
            &format!("alice:{PW}"),
        ])
        .arg(format!("docker://{lb}/alice/multi:1"))
        .arg(format!("oci:{}:x", back.display())))
    .await;
    assert!(pulled, "skopeo copy --all back: {out}");
    let copied: Value = serde_json::from_slice(&std::fs::read(back.join("index.json")).unwrap()).unwrap();
    assert_eq!(
        copied["manifests"][0]["digest"],
        digest.as_str(),
        "the same index came back"
    );

    // podman pulls its own platform through nginx.
    let root = work.path().join("podman");
    std::fs::create_dir_all(root.join("xdg")).unwrap();
    // An empty credentials file of its own: never a developer's, and podman wants it to exist.
    std::fs::write(root.join("auth.json"), "{}").unwrap();
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
    let (pulled, out) = run(Command::new("podman")
        .env("CONTAINERS_STORAGE_CONF", &storage_conf)
        .env("REGISTRY_AUTH_FILE", root.join("auth.json"))
        .env("XDG_RUNTIME_DIR", root.join("xdg"))
        .arg("--root")
        .arg(root.join("graph"))
        .arg("--runroot")
        .arg(root.join("run"))
        .args(["pull", "--tls-verify=false", "--creds", &format!("alice:{PW}")])
        .arg(format!("{lb}/alice/multi:1")))
    .await;
    assert!(pulled, "podman pull of the index through nginx: {out}");
    eventually("the pulls to be counted", 30, || async {
        let tags = w.tags("alice/multi").await;
        (tags.first()?["pulls"].as_i64()? >= 1).then_some(())
    })
    .await;
    drop(nginx);
    drop(replicas);
    w.stop().await;
}
