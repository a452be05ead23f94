//! Issue 19: tag retention with a real registry 3.1.1 and skopeo. 12 tags on 9 images in one
//! repository (some sharing an image, one image signed), a policy of keep-last 3 + protect
//! `v*`: the plan names exactly the expected images, a run above the delete share is held,
//! the confirmed run deletes exactly those through the registry (with the signature), and
//! the scheduled run is made by the leader.

use std::path::Path;

use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use wharf_app::backend::entity::tag;

use crate::helpers::{eventually, run, DbKind, TestRegistry, TestWharf};
use crate::oci;
use crate::rest_api::Client;

const PW: &str = "correct horse battery";

async fn skopeo(work: &Path, args: &[&str], target: String) -> (bool, String) {
    run(tokio::process::Command::new("skopeo")
        .env("REGISTRY_AUTH_FILE", work.join("no-auth.json"))
        .args(args)
        .arg(target))
    .await
}

async fn push(work: &Path, layout: &Path, tag: &str, dest: String) {
    let creds = format!("alice:{PW}");
    let src = format!("oci:{}:{tag}", layout.display());
    let (ok, out) = skopeo(
        work,
        &["copy", "--dest-tls-verify=false", "--dest-creds", &creds, &src],
        format!("docker://{dest}"),
    )
    .await;
    assert!(ok, "push {dest}: {out}");
}

async fn exists(work: &Path, host: &str, reference: &str) -> bool {
    let creds = format!("alice:{PW}");
    skopeo(
        work,
        &["inspect", "--raw", "--tls-verify=false", "--creds", &creds],
        format!("docker://{host}/alice/app{reference}"),
    )
    .await
    .0
}

/// The images of the issue, pushed to `alice/app`: (digest, tags, days since its push).
async fn push_twelve_tags(w: &TestWharf, host: &str, work: &Path) -> (Vec<String>, String) {
    let layout: Vec<(&[&str], i64)> = vec![
        (&["v1.0"], 90),
        (&["build-2"], 80),
        (&["build-3", "staging"], 70),
        (&["build-4", "v0.9"], 60),
        (&["v1.1"], 50),
        (&["build-6"], 40),
        (&["build-7"], 30),
        (&["build-8", "latest"], 20),
        (&["build-9"], 10),
    ];
    let mut digests = Vec::new();
    for (i, (tags, _)) in layout.iter().enumerate() {
        let dir = work.join(format!("image{i}"));
        let digest = oci::write_image(&dir, tags[0], &format!("image number {}", i + 1));
        for t in *tags {
            push(work, &dir, tags[0], format!("{host}/alice/app:{t}")).await;
        }
        digests.push(digest);
    }
    // A cosign signature of image 2.
    let sig_tag = format!("sha256-{}.sig", digests[1].trim_start_matches("sha256:"));
    let sig = oci::write_artifact(
        &work.join("sig"),
        &sig_tag,
        None,
        "application/vnd.dev.cosign.simplesigning.v1+json",
        r#"{"critical":{}}"#,
        None,
    );
    push(work, &work.join("sig"), &sig_tag, format!("{host}/alice/app:{sig_tag}")).await;
    eventually("wharf knows the 13 tags", 30, || async {
        (w.tags("alice/app").await.len() == 13).then_some(())
    })
    .await;
    // Push times as the issue has them (the pushes above took seconds, not months).
    let db = w.connect().await;
    for (tags, days) in &layout {
        let at = chrono::Utc::now() - chrono::Duration::days(*days);
        tag::Entity::update_many()
            .col_expr(tag::Column::PushedAt, Expr::value(at))
            .filter(tag::Column::Name.is_in(tags.iter().copied()))
            .exec(&db)
            .await
            .unwrap();
    }
    (digests, sig)
}

fn digests_of(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["digest"].as_str().unwrap().to_owned())
        .collect()
}

async fn scenario(kind: DbKind) {
    // 4 of the 12 tags is above a 25 % share: the first run is held.
    let w = TestWharf::start_with(kind, |c| c.retention_max_delete_share = 0.25).await;
    w.add_user("alice", PW, false).await;
    w.add_user("bob", PW, false).await;
    let alice_token = w.cli_ok(&["token", "add", "alice", "ci"], None).await.trim().to_owned();
    let bob_token = w.cli_ok(&["token", "add", "bob", "ci"], None).await.trim().to_owned();
    w.settle().await;
    let alice = Client::bearer(&w, &alice_token);
    let bob = Client::bearer(&w, &bob_token);
    let registry = TestRegistry::start(&w).await;
    let host = registry.host.clone();
    let work = tempfile::tempdir().unwrap();
    let (d, sig) = push_twelve_tags(&w, &host, work.path()).await;

    // An empty policy keeps everything.
    let plan = w.cli_json(&["retention", "plan", "alice"]).await;
    assert!(plan["delete"].as_array().unwrap().is_empty(), "{plan}");

    // Bad input is refused with the reason; others may not change alice's namespace.
    let (status, body) = alice
        .send(
            Method::PUT,
            "/api/v1/namespaces/alice/retention",
            Some(json!({"keep_last": 0})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("keep-last must be at least 1"), "{body}");
    let (status, _) = alice
        .send(
            Method::PUT,
            "/api/v1/namespaces/alice/retention",
            Some(json!({"keep_lats": 3})),
        )
        .await;
    assert_eq!(status, 422, "unknown fields are refused");
    let (status, _) = bob
        .send(
            Method::PUT,
            "/api/v1/namespaces/alice/retention",
            Some(json!({"keep_last": 3})),
        )
        .await;
    assert_eq!(status, 404, "bob does not see alice's namespace");

    w.cli_ok(
        &["retention", "set", "alice", "--keep-last", "3", "--protect", "v*"],
        None,
    )
    .await;
    let plan = w.cli_json(&["retention", "plan", "alice"]).await;
    // Images 6, 3 and 2 go (newest first); image 2 with its signature; 4 stays for v0.9.
    assert_eq!(
        digests_of(&plan["delete"]),
        vec![d[5].clone(), d[2].clone(), d[1].clone()],
        "{plan}"
    );
    assert_eq!(plan["delete"][1]["tags"], json!(["build-3", "staging"]));
    assert_eq!(plan["delete"][2]["accessories"], json!([sig]));
    assert_eq!(
        digests_of(&plan["keep"]),
        vec![
            d[8].clone(),
            d[7].clone(),
            d[6].clone(),
            d[4].clone(),
            d[3].clone(),
            d[0].clone()
        ]
    );
    let reasons: Vec<&str> = plan["keep"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons[0], "build-9: among the 3 most recently pushed");
    assert_eq!(
        reasons[4],
        "v0.9: protected by \"v*\" (the other tags on this image stay with it)"
    );
    // The API answers the same plan.
    let api_plan = alice
        .ok(Method::GET, "/api/v1/namespaces/alice/retention/plan", None)
        .await;
    assert_eq!(api_plan, plan);

    // Held: it would delete 4 of 12 tags (33 %), above 25 %. Nothing is deleted.
    let held = alice
        .ok(Method::POST, "/api/v1/namespaces/alice/retention/runs", Some(json!({})))
        .await;
    assert_eq!(held["status"], "needs-confirmation", "{held}");
    assert_eq!(held["deleted_images"], 0);
    assert!(
        exists(work.path(), &host, ":build-2").await,
        "a held run deletes nothing"
    );
    assert_eq!(w.tags("alice/app").await.len(), 13);

    // Confirmed: exactly those images go, from the registry and from wharf.
    let done = alice
        .ok(
            Method::POST,
            "/api/v1/namespaces/alice/retention/runs",
            Some(json!({"confirm": true})),
        )
        .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["trigger"], "manual");
    assert_eq!(done["actor"], "alice");
    assert_eq!(done["deleted_images"], 3);
    assert_eq!(done["deleted_tags"], 4);
    assert_eq!(digests_of(&done["report"]["deleted"]), digests_of(&plan["delete"]));
    for gone in [":build-2", ":build-3", ":staging", ":build-6"] {
        assert!(
            !exists(work.path(), &host, gone).await,
            "{gone} is still in the registry"
        );
    }
    assert!(
        !exists(work.path(), &host, &format!("@{sig}")).await,
        "the signature went with its image"
    );
    for kept in [
        ":v1.0", ":build-4", ":v0.9", ":v1.1", ":build-7", ":build-8", ":latest", ":build-9",
    ] {
        assert!(exists(work.path(), &host, kept).await, "{kept} was deleted");
    }
    let mut left: Vec<String> = w
        .tags("alice/app")
        .await
        .iter()
        .map(|t| t["tag"].as_str().unwrap().to_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["build-4", "build-7", "build-8", "build-9", "latest", "v0.9", "v1.0", "v1.1"]
    );

    // Both runs are stored, newest first, and audited; the metrics count them.
    let settings = alice.ok(Method::GET, "/api/v1/namespaces/alice/retention", None).await;
    assert_eq!(settings["policy"]["keep_last"], 3);
    assert_eq!(settings["policy"]["protect"], json!(["v*"]));
    let statuses: Vec<&str> = settings["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["succeeded", "needs-confirmation"]);
    let acts = w.cli_json(&["activity", "list"]).await;
    let kinds: Vec<&str> = acts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"retention.updated") && kinds.contains(&"retention.run"),
        "{kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| **k == "image.deleted").count(), 3, "{kinds:?}");

    let metrics = w.metrics().await;
    for line in [
        "wharf_retention_runs_total{status=\"succeeded\"} 1",
        "wharf_retention_runs_total{status=\"needs-confirmation\"} 1",
        "wharf_retention_deleted_images_total 3",
    ] {
        assert!(metrics.contains(line), "{line} not in:\n{metrics}");
    }

    // Nothing left to delete: the next plan is empty.
    let again = w.cli_json(&["retention", "plan", "alice"]).await;
    assert!(again["delete"].as_array().unwrap().is_empty(), "{again}");
    w.stop().await;
}

#[tokio::test]
async fn retention_plans_and_runs_on_sqlite() {
    scenario(DbKind::Sqlite).await;
}

#[tokio::test]
async fn retention_plans_and_runs_on_postgres() {
    scenario(DbKind::Postgres).await;
}

/// The elected leader runs due policies on its own, one interval after the policy changed,
/// audited as `wharf:retention`; the second process (not the leader) does not run them too.
#[tokio::test]
async fn the_leader_runs_retention_on_schedule() {
    let w = TestWharf::start_with(DbKind::Sqlite, |c| c.retention_interval_secs = 2).await;
    w.add_user("alice", PW, false).await;
    let registry = TestRegistry::start(&w).await;
    let host = registry.host.clone();
    let work = tempfile::tempdir().unwrap();
    for (i, t) in ["old", "new"].iter().enumerate() {
        let dir = work.path().join(t);
        oci::write_image(&dir, t, &format!("scheduled {i}"));
        push(work.path(), &dir, t, format!("{host}/alice/app:{t}")).await;
        // Distinct push times, in order.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    eventually("wharf knows both tags", 30, || async {
        (w.tags("alice/app").await.len() == 2).then_some(())
    })
    .await;
    let peer = w.start_peer(0, |_| {}).await;
    w.cli_ok(&["retention", "set", "alice", "--keep-last", "1"], None).await;
    // A run is listed from its start ("running"): wait for it to finish.
    let runs = eventually("a scheduled run, finished", 30, || async {
        let s = w.cli_json(&["retention", "show", "alice"]).await;
        let runs = s["runs"].as_array()?.clone();
        (runs.first()?["status"] != "running").then_some(runs)
    })
    .await;
    assert_eq!(runs[0]["trigger"], "schedule", "{runs:?}");
    assert_eq!(runs[0]["actor"], "wharf:retention");
    assert_eq!(runs[0]["status"], "succeeded");
    assert_eq!(runs[0]["deleted_images"], 1);
    assert!(!exists(work.path(), &host, ":old").await);
    assert!(exists(work.path(), &host, ":new").await);
    // Only one process holds the lease: one run per interval, not one per process.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let s = w.cli_json(&["retention", "show", "alice"]).await;
    let runs = s["runs"].as_array().unwrap();
    let starts: Vec<chrono::DateTime<chrono::Utc>> = runs
        .iter()
        .map(|r| r["started_at"].as_str().unwrap().parse().unwrap())
        .collect();
    for pair in starts.windows(2) {
        assert!(
            (pair[0] - pair[1]).num_milliseconds() >= 1900,
            "two runs within one interval: {runs:?}"
        );
    }
    peer.kill();
    w.stop().await;
}

/// Benchmark (docs/BENCHMARKS.md): the plan of a namespace holding 100,000 tags (1,000
/// repositories × 100 tags, each tag its own image), on SQLite. Ignored by default; run with
/// `cargo test -p wharf-server --test integration -- --ignored --nocapture retention_plan_at_100k_tags`.
#[tokio::test]
#[ignore = "benchmark (docs/BENCHMARKS.md); scripts/test.sh runs it"]
async fn retention_plan_at_100k_tags() {
    use sea_orm::{ActiveValue::Set, ConnectionTrait};
    use wharf_app::backend::entity::{repository, repository_manifest};
    use wharf_app::backend::services::{retention, Caller};

    let (repos, per_repo) = (1000usize, 100usize);
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("owner", PW, false).await;
    w.cli_ok(&["team", "add", "big", "--owner", "owner"], None).await;
    w.cli_ok(&["namespace", "add", "big", "--team", "big"], None).await;
    let db = w.connect().await;
    let ns_id: i64 = crate::helpers::scalar(&db, "SELECT id FROM namespaces WHERE name = 'big'").await;
    let seeded = std::time::Instant::now();
    let now = chrono::Utc::now();
    for r in 0..repos {
        let repo = repository::ActiveModel {
            namespace_id: Set(Some(ns_id)),
            name: Set(format!("big/app{r:04}")),
            description: Set(String::new()),
            created_at: Set(now),
            updated_at: Set(now),
            pull_count: Set(0),
            last_pulled_at: Set(None),
            ..Default::default()
        };
        let id = repository::Entity::insert(repo).exec(&db).await.unwrap().last_insert_id;
        let digest = |t: usize| format!("sha256:{:064x}", r * per_repo + t);
        let tags = (0..per_repo).map(|t| tag::ActiveModel {
            repository_id: Set(id),
            name: Set(if t % 10 == 0 {
                format!("v{t}")
            } else {
                format!("build-{t}")
            }),
            digest: Set(digest(t)),
            media_type: Set("application/vnd.oci.image.manifest.v1+json".into()),
            size: Set(1000),
            pushed_by: Set(Some("owner".into())),
            pushed_at: Set(now - chrono::Duration::hours(t as i64)),
            pull_count: Set(0),
            last_pulled_at: Set(None),
            seen_at: Set(Some(now)),
            ..Default::default()
        });
        tag::Entity::insert_many(tags).exec(&db).await.unwrap();
        let held = (0..per_repo).map(|t| repository_manifest::ActiveModel {
            repository_id: Set(id),
            digest: Set(digest(t)),
            seen_at: Set(now),
            attempts: Set(0),
            retry_at: Set(None),
            last_error: Set(None),
        });
        repository_manifest::Entity::insert_many(held).exec(&db).await.unwrap();
    }
    db.execute_unprepared("ANALYZE").await.ok();
    println!(
        "seeded {} tags in {:.1} s",
        repos * per_repo,
        seeded.elapsed().as_secs_f64()
    );
    w.cli_ok(
        &["retention", "set", "big", "--keep-last", "10", "--protect", "v*"],
        None,
    )
    .await;
    let operator = Caller::operator();
    let mut times = Vec::new();
    let mut deleted = 0;
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let plan = retention::plan(&w.state, &operator, "big", None).await.unwrap();
        times.push(started.elapsed().as_secs_f64());
        deleted = plan.delete.len();
        assert_eq!(plan.delete.len() + plan.keep.len(), repos * per_repo);
    }
    // Per repository: 10 latest kept, 10 `v*` protected (one of them among the latest).
    assert_eq!(deleted, repos * (per_repo - 19));
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "retention plan of {} tags: median {:.3} s (min {:.3}, max {:.3}), {} images to delete",
        repos * per_repo,
        times[2],
        times[0],
        times[4],
        deleted
    );
    w.stop().await;
}

/// Bytes of every file under `dir`.
fn disk_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            total += disk_bytes(&entry.path());
        } else {
            total += meta.len();
        }
    }
    total
}

/// Content that does not compress: `n` bytes of a SHA-256 chain, hex-encoded.
fn incompressible(seed: &str, n: usize) -> String {
    use sha2::Digest as _;
    let mut out = String::with_capacity(n + 64);
    let mut block = sha2::Sha256::digest(seed.as_bytes());
    while out.len() < n {
        out.push_str(&hex::encode(block));
        block = sha2::Sha256::digest(block);
    }
    out.truncate(n);
    out
}

/// The garbage-collection procedure (deploy/README.md): after retention deleted manifests, the
/// replica restarts read-only (`registry-config --read-only`), `registry garbage-collect` runs
/// once against the storage, and the replica comes back. Pulls work throughout, pushes get the
/// registry's answer in read-only mode (405), and the disk space of the deleted images is freed.
#[tokio::test]
async fn garbage_collection_after_retention_frees_the_disk() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("alice", PW, false).await;
    let storage = tempfile::tempdir().unwrap();
    let opts = |read_only| crate::helpers::RegistryOpts {
        storage: Some(storage.path()),
        read_only,
        ..Default::default()
    };
    let mut registry = TestRegistry::start_with(&w, opts(false)).await;
    let work = tempfile::tempdir().unwrap();
    // The two older images go: their blobs (gzipped layers of ~300 KB, configs, manifests).
    let (mut deleted_blobs, mut all_blobs) = (0, 0);
    for t in ["one", "two", "three"] {
        let dir = work.path().join(t);
        oci::write_image(&dir, t, &incompressible(t, 600_000));
        all_blobs += disk_bytes(&dir.join("blobs"));
        if t != "three" {
            deleted_blobs += disk_bytes(&dir.join("blobs"));
        }
        push(work.path(), &dir, t, format!("{}/alice/app:{t}", registry.host)).await;
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    eventually("wharf knows the 3 tags", 30, || async {
        (w.tags("alice/app").await.len() == 3).then_some(())
    })
    .await;
    w.cli_ok(&["retention", "set", "alice", "--keep-last", "1"], None).await;
    // What wharf says the plan frees: exactly the blobs of the two images it deletes.
    let storage_report = eventually("wharf has read the three manifests", 30, || async {
        let s = w.cli_json(&["retention", "storage", "alice"]).await;
        (s["manifests_unread"] == 0 && s["in_use"].as_i64()? > 0).then_some(s)
    })
    .await;
    assert_eq!(storage_report["freed_by_plan"], deleted_blobs, "{storage_report}");
    assert_eq!(storage_report["in_use"], all_blobs, "{storage_report}");
    assert_eq!(storage_report["repositories"][0]["repository"], "alice/app");
    assert_eq!(storage_report["repositories"][0]["freed_by_plan"], deleted_blobs);
    let run_ = w.cli_json(&["retention", "run", "alice", "--yes"]).await;
    assert_eq!(run_["deleted_images"], 2, "{run_}");
    let before = disk_bytes(storage.path());

    // Maintenance: the replica read-only.
    registry.kill();
    let read_only = TestRegistry::start_with(&w, opts(true)).await;
    let host = read_only.host.clone();
    let creds = format!("alice:{PW}");
    let pull = |host: String| {
        let (work, creds) = (work.path().to_owned(), creds.clone());
        async move {
            let dest = format!("oci:{}:three", work.join("pulled").display());
            skopeo(
                &work,
                &[
                    "copy",
                    "--src-tls-verify=false",
                    "--src-creds",
                    &creds,
                    &format!("docker://{host}/alice/app:three"),
                ],
                dest,
            )
            .await
        }
    };
    let (ok, out) = pull(host.clone()).await;
    assert!(ok, "pulls work while read-only: {out}");
    let dir = work.path().join("four");
    oci::write_image(&dir, "four", "pushed during maintenance");
    let src = format!("oci:{}:four", dir.display());
    let (ok, out) = skopeo(
        work.path(),
        &[
            "copy",
            "--retry-times=0",
            "--dest-tls-verify=false",
            "--dest-creds",
            &creds,
            &src,
        ],
        format!("docker://{host}/alice/app:four"),
    )
    .await;
    assert!(!ok, "a push during maintenance must fail");
    // A read-only registry has no upload routes: it answers 405 Method Not Allowed.
    assert!(out.contains("405"), "{out}");

    // Garbage collection, once, against the shared storage.
    let (ok, out) = run(
        tokio::process::Command::new(crate::helpers::registry_binary(read_only.version))
            .arg("garbage-collect")
            .arg(&read_only.config),
    )
    .await;
    assert!(ok, "garbage-collect: {out}");
    let after = disk_bytes(storage.path());
    let freed = before.saturating_sub(after);
    println!("garbage collection freed {freed} bytes ({before} -> {after})");
    assert!(
        freed >= deleted_blobs,
        "the deleted images' {deleted_blobs} bytes of blobs were not freed: {before} -> {after}\n{out}"
    );
    let (ok, out) = pull(host).await;
    assert!(ok, "the kept image survives garbage collection: {out}");

    // Back to normal: pushes work again.
    drop(read_only);
    let normal = TestRegistry::start_with(&w, opts(false)).await;
    push(work.path(), &dir, "four", format!("{}/alice/app:four", normal.host)).await;
    w.stop().await;
}

/// Benchmark (docs/BENCHMARKS.md): a retention run against the real registry 3.1.1, deleting
/// 150 of 200 images (each its own tag) through the registry. Ignored by default; run with
/// `cargo test -p wharf-server --test integration -- --ignored --nocapture retention_run_against_registry_3`.
#[tokio::test]
#[ignore = "benchmark (docs/BENCHMARKS.md); scripts/test.sh runs it"]
async fn retention_run_against_registry_3() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("alice", PW, false).await;
    let registry = TestRegistry::start(&w).await;
    let work = tempfile::tempdir().unwrap();
    let images = 200;
    let pushed = std::time::Instant::now();
    for i in 0..images {
        let dir = work.path().join(format!("i{i}"));
        let tag = format!("build-{i:03}");
        oci::write_image(&dir, &tag, &format!("benchmark image {i}"));
        push(work.path(), &dir, &tag, format!("{}/alice/app:{tag}", registry.host)).await;
    }
    eventually("wharf knows every tag", 60, || async {
        (w.tags("alice/app").await.len() == images).then_some(())
    })
    .await;
    println!(
        "pushed {images} images with skopeo in {:.1} s",
        pushed.elapsed().as_secs_f64()
    );
    w.cli_ok(&["retention", "set", "alice", "--keep-last", "50"], None)
        .await;
    let started = std::time::Instant::now();
    let run_ = w.cli_json(&["retention", "run", "alice", "--yes"]).await;
    let took = started.elapsed().as_secs_f64();
    assert_eq!(run_["status"], "succeeded", "{run_}");
    assert_eq!(run_["deleted_images"], images - 50);
    println!(
        "retention run: {} images deleted through registry 3.1.1 in {took:.2} s ({:.1} images/s), the CLI process included",
        images - 50,
        (images - 50) as f64 / took
    );
    assert_eq!(w.tags("alice/app").await.len(), 50);
    w.stop().await;
}
