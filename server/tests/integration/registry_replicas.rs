//! Two real `docker-registry` replicas sharing storage and the Redis cache, behind a real nginx
//! configured by `wharf lb-config`, with wharf as token service and notification endpoint:
//! pushes and pulls recorded, replica failure and failover, sync repair and its guard,
//! deletes, notifications delivered after an outage, and one syncing process among several.

use std::path::Path;

use serde_json::Value;
use tokio::process::Command;

use crate::helpers::{
    eventually, free_port, run, unique_suffix, DbKind, RegistryOpts, TestNginx, TestRegistry, TestWharf,
};
use crate::oci;

const PW: &str = "correct-horse-battery";

fn skopeo(work: &Path) -> Command {
    let mut c = Command::new("skopeo");
    c.env("REGISTRY_AUTH_FILE", work.join("no-auth.json"));
    c
}

/// Pushes the test image to `host/repo_tag`; `docker_format` converts it to Docker schema2.
async fn push(work: &Path, image: &Path, host: &str, repo_tag: &str, docker_format: bool) {
    let mut c = skopeo(work);
    c.args([
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &format!("alice:{PW}"),
    ]);
    if docker_format {
        c.args(["--format", "v2s2"]);
    }
    let (ok, out) = run(c
        .arg(format!("oci:{}:v1", image.display()))
        .arg(format!("docker://{host}/{repo_tag}")))
    .await;
    assert!(ok, "push {repo_tag} via {host}: {out}");
}

pub(crate) async fn pull(work: &Path, host: &str, repo_tag: &str) -> (bool, String) {
    let out = work.join(format!("pull-{}", unique_suffix()));
    run(skopeo(work)
        .args(["copy", "--src-tls-verify=false", "--src-creds", &format!("alice:{PW}")])
        .arg(format!("docker://{host}/{repo_tag}"))
        .arg(format!("oci:{}:x", out.display())))
    .await
}

async fn tag_names(w: &TestWharf, repo: &str) -> Vec<String> {
    let mut names: Vec<String> = w
        .tags(repo)
        .await
        .iter()
        .map(|t| t["tag"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn wait_tags(w: &TestWharf, repo: &str, want: &[&str]) -> Vec<Value> {
    let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    eventually(&format!("tags {want:?} in {repo}"), 30, || async {
        (tag_names(w, repo).await == want).then_some(())
    })
    .await;
    w.tags(repo).await
}

async fn replica_status(w: &TestWharf, name: &str) -> Value {
    let all = w.cli_json(&["registry", "status"]).await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

/// The replicas (by name, sorted) that notified wharf of a push.
async fn push_replicas(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let sql = "SELECT DISTINCT r.name FROM registry_events e JOIN replicas r ON r.id = e.replica_id \
               WHERE e.action = 'push' ORDER BY r.name";
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "name").unwrap()).collect()
}

async fn seed(w: &TestWharf) {
    w.add_user("admin", PW, true).await;
    w.add_user("alice", PW, false).await;
}

#[tokio::test]
async fn replicas_behind_nginx() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    seed(&w).await;
    let work = tempfile::tempdir().unwrap();
    let shared = work.path().join("shared-storage");
    let image = work.path().join("image");
    oci::write_image(&image, "v1", &format!("replicas {}", unique_suffix()));
    let storage = Some(shared.as_path());
    let mut r1 = TestRegistry::start_with(
        &w,
        RegistryOpts {
            storage,
            redis: true,
            name: Some("r1"),
            ..Default::default()
        },
    )
    .await;
    let mut r2 = TestRegistry::start_with(
        &w,
        RegistryOpts {
            storage,
            redis: true,
            name: Some("r2"),
            ..Default::default()
        },
    )
    .await;
    let nginx = TestNginx::start(&w).await;
    assert!(
        nginx.conf.contains(&format!("server {} ", r1.addr)) && nginx.conf.contains(&format!("server {} ", r2.addr))
    );
    let lb = nginx.addr.to_string();

    // Pushes through the load balancer: OCI and Docker media types, digest, size, pusher.
    push(work.path(), &image, &lb, "alice/app:v1", false).await;
    push(work.path(), &image, &lb, "alice/app:v2", true).await;
    let t = wait_tags(&w, "alice/app", &["v1", "v2"]).await;
    assert_eq!(t[0]["media_type"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(
        t[1]["media_type"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    for tag in &t {
        assert!(tag["digest"].as_str().unwrap().starts_with("sha256:"));
        assert!(tag["size"].as_i64().unwrap() > 100, "{tag}");
        assert_eq!(tag["pushed_by"], "alice");
    }

    // Pulls are counted (and only once per pull).
    let (ok, out) = pull(work.path(), &lb, "alice/app:v1").await;
    assert!(ok, "{out}");
    eventually("the pull to be counted", 30, || async {
        (w.tags("alice/app").await[0]["pulls"] == 1).then_some(())
    })
    .await;

    // Both replicas probed up; the one that got the traffic is credited with events.
    eventually("both replicas up", 30, || async {
        let (a, b) = (replica_status(&w, "r1").await, replica_status(&w, "r2").await);
        (a["status"] == "up" && b["status"] == "up").then_some(())
    })
    .await;
    // nginx pins one client address to one replica: that one is credited with the pushes.
    // (Both replicas send events: wharf's own manifest reads for the image pages go to a
    // replica directly and are notified as pulls; those are not counted as pulls.)
    let conn = w.connect().await;
    let pushed_through = push_replicas(&conn).await;
    assert_eq!(pushed_through.len(), 1, "{pushed_through:?}");
    let (busy, idle) = if pushed_through[0] == "r1" {
        (&mut r1, &r2)
    } else {
        (&mut r2, &r1)
    };
    let (busy_name, idle_name) = if pushed_through[0] == "r1" {
        ("r1", "r2")
    } else {
        ("r2", "r1")
    };

    // The replica serving this client dies: nginx fails over, pushes still work, the probe
    // marks it down, and the other replica now sends the events.
    busy.kill();
    push(work.path(), &image, &lb, "alice/app:v3", false).await;
    wait_tags(&w, "alice/app", &["v1", "v2", "v3"]).await;
    eventually("the dead replica marked down", 30, || async {
        let s = replica_status(&w, busy_name).await;
        (s["status"] == "down" && replica_status(&w, idle_name).await["status"] == "up").then_some(())
    })
    .await;
    eventually("the other replica to send the pushes", 30, || async {
        (push_replicas(&conn).await == ["r1", "r2"]).then_some(())
    })
    .await;
    // The recent history shows it going down after being up.
    let history = replica_status(&w, busy_name).await["history"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(history[0]["up"], false, "{history:?}");
    assert!(!history[0]["detail"].as_str().unwrap().is_empty());
    assert!(history.iter().any(|p| p["up"] == true), "{history:?}");
    let healthy_url = format!("http://{}", idle.addr);

    // `wharf sync` prints a one-line summary (the progress bar only draws on a terminal).
    let summary = w.cli_ok(&["sync"], None).await;
    assert!(
        summary.contains("succeeded") && summary.contains("1 repositories, 3 tags seen; 0 added, 0 updated, 0 removed"),
        "{summary}"
    );
    // Sync uses the healthy replica and finds nothing to change.
    let run = w.cli_json(&["sync"]).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["replica_url"], healthy_url);
    assert_eq!(run["tags_seen"], 3);
    assert_eq!(run["tags_added"], 0);
    assert_eq!(run["tags_removed"], 0);

    // Sync repairs a database that missed events.
    use sea_orm::ConnectionTrait;
    conn.execute_unprepared("DELETE FROM tags").await.unwrap();
    let run = w.cli_json(&["sync"]).await;
    assert_eq!(run["tags_added"], 3, "{run}");
    assert_eq!(tag_names(&w, "alice/app").await, ["v1", "v2", "v3"]);
    // Its own requests are not pulls.
    assert!(w.tags("alice/app").await.iter().all(|t| t["pulls"] == 0));

    // Deleting a tag goes through the healthy replica and takes the tags sharing its digest.
    let v1_digest = w.tags("alice/app").await[0]["digest"].clone();
    let sharing: Vec<String> = w
        .tags("alice/app")
        .await
        .iter()
        .filter(|t| t["digest"] == v1_digest)
        .map(|t| t["tag"].as_str().unwrap().to_owned())
        .collect();
    let refused = w.cli(&["tag", "delete", "alice/app:v1"], None).await;
    assert!(
        !refused.status.success(),
        "deleting without --yes only shows what would go"
    );
    let done = w.cli_json(&["tag", "delete", "alice/app:v1", "--yes"]).await;
    assert_eq!(done["tags"], serde_json::json!(sharing), "{done}");
    let left = tag_names(&w, "alice/app").await;
    assert!(sharing.iter().all(|t| !left.contains(t)), "{left:?}");
    let (ok, _) = pull(work.path(), &lb, "alice/app:v1").await;
    assert!(!ok, "deleted from the registry too");
    let acts = w.cli_json(&["activity", "list"]).await;
    assert!(acts.as_array().unwrap().iter().any(|a| a["kind"] == "image.deleted"));

    // An emptied registry (replicas replaced by one with empty storage) must not wipe the
    // database: the guard holds the removals until confirmed.
    w.cli_ok(
        &[
            "registry",
            "replica",
            "remove",
            "default",
            &format!("http://{}", r1.addr),
        ],
        None,
    )
    .await;
    w.cli_ok(
        &[
            "registry",
            "replica",
            "remove",
            "default",
            &format!("http://{}", r2.addr),
        ],
        None,
    )
    .await;
    let _empty = TestRegistry::start_with(
        &w,
        RegistryOpts {
            name: Some("empty"),
            ..Default::default()
        },
    )
    .await;
    let before = tag_names(&w, "alice/app").await;
    assert!(!before.is_empty());
    let run = w.cli_json(&["sync"]).await;
    assert_eq!(run["status"], "needs-confirmation", "{run}");
    assert_eq!(run["removals_held"], before.len());
    assert_eq!(
        tag_names(&w, "alice/app").await,
        before,
        "nothing removed without confirmation"
    );
    let run = w.cli_json(&["sync", "--confirm-deletions"]).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["tags_removed"], before.len());
    assert!(tag_names(&w, "alice/app").await.is_empty());
    drop(nginx);
    w.stop().await;
}

/// wharf's notification endpoint is down while images are pushed; when it comes back the
/// registry's retries deliver every event, and a sync then finds nothing missing.
#[tokio::test]
async fn notifications_survive_an_outage() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    seed(&w).await;
    let work = tempfile::tempdir().unwrap();
    let image = work.path().join("image");
    oci::write_image(&image, "v1", &format!("outage {}", unique_suffix()));
    let receiver_port = free_port();
    let receiver_url = format!("http://127.0.0.1:{receiver_port}");
    let reg = TestRegistry::start_with(
        &w,
        RegistryOpts {
            notify_url: Some(&receiver_url),
            ..Default::default()
        },
    )
    .await;
    for tag in ["a", "b", "c"] {
        push(work.path(), &image, &reg.host, &format!("alice/app:{tag}"), false).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(w.tags("alice/app").await.is_empty(), "nothing can have arrived yet");
    // The receiver comes back (a second wharf process on the same database).
    let receiver = w.start_peer(receiver_port, |_| {}).await;
    let t = wait_tags(&w, "alice/app", &["a", "b", "c"]).await;
    assert!(t.iter().all(|t| t["pushed_by"] == "alice"));
    let run = w.cli_json(&["sync"]).await;
    assert_eq!(
        (run["tags_added"].clone(), run["tags_removed"].clone()),
        (0.into(), 0.into()),
        "{run}"
    );
    receiver.kill();
    w.stop().await;
}

/// Two wharf processes on one PostgreSQL database: only the lease holder syncs; when it dies
/// the other takes over.
#[tokio::test]
async fn one_syncing_process_and_takeover() {
    let a = TestWharf::start_with(DbKind::Postgres, |c| c.sync_interval_secs = 1).await;
    let _reg = TestRegistry::start(&a).await;
    let b = a.start_peer(0, |_| {}).await;
    let conn = a.connect().await;
    let runners = |limit| {
        let conn = conn.clone();
        async move {
            wharf_app::backend::store::sync_runs::recent(&conn, limit)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.trigger == "schedule")
                .map(|r| r.runner)
                .collect::<Vec<_>>()
        }
    };
    eventually("three scheduled syncs", 30, || async {
        (runners(100).await.len() >= 3).then_some(())
    })
    .await;
    let before = runners(100).await;
    assert!(
        before.iter().all(|r| r == &before[0]),
        "only one process syncs: {before:?}"
    );
    let first = before[0].clone();
    a.kill();
    let second = eventually("the other process to take over", 30, || async {
        runners(1).await.into_iter().next().filter(|r| r != &first)
    })
    .await;
    assert!(!second.is_empty());
    b.kill();
    a.stop().await;
}

/// Syncs running while images are pushed and deleted never undo an event: at the end the
/// database holds exactly what the registry holds, and one more sync changes nothing.
#[tokio::test]
async fn sync_converges_with_concurrent_pushes_and_deletes() {
    let w = TestWharf::start(DbKind::Postgres).await;
    seed(&w).await;
    let reg = TestRegistry::start(&w).await;
    let work = tempfile::tempdir().unwrap();
    let suffix = unique_suffix();
    let names: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    for n in &names {
        oci::write_image(&work.path().join(n), "v1", &format!("converge {n} {suffix}"));
    }
    let pushes = {
        let (dir, host, names) = (work.path().to_owned(), reg.host.clone(), names.clone());
        tokio::spawn(async move {
            for n in &names {
                push(&dir, &dir.join(n), &host, &format!("alice/app:{n}"), false).await;
            }
            for n in &names[..3] {
                let (ok, out) = run(skopeo(&dir)
                    .args(["delete", "--tls-verify=false", "--creds", &format!("alice:{PW}")])
                    .arg(format!("docker://{host}/alice/app:{n}")))
                .await;
                assert!(ok, "delete {n}: {out}");
            }
        })
    };
    let mut syncs = 0;
    while !pushes.is_finished() {
        let run = w.cli_json(&["sync", "--confirm-deletions"]).await;
        assert_ne!(run["status"], "failed", "{run}");
        syncs += 1;
    }
    pushes.await.unwrap();
    assert!(syncs >= 2, "syncs overlapped the pushes ({syncs})");
    let want: Vec<&str> = names[3..].iter().map(String::as_str).collect();
    wait_tags(&w, "alice/app", &want).await;
    let run = w.cli_json(&["sync"]).await;
    assert_eq!(
        (
            run["status"].as_str(),
            run["tags_added"].as_i64(),
            run["tags_updated"].as_i64(),
            run["tags_removed"].as_i64()
        ),
        (Some("succeeded"), Some(0), Some(0), Some(0)),
        "{run}"
    );
    assert_eq!(tag_names(&w, "alice/app").await, want);
    w.stop().await;
}
