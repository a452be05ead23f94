//! `POST /v2/webhooks/events` as a contract: authentication, de-duplication, ordering, every
//! kind of bad input, orphans, and a database outage answered with a retryable 5xx.

use serde_json::{json, Value};
use wharf_app::backend::events::MANIFEST_MEDIA_TYPES;

use crate::helpers::{DbKind, TestWharf};

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

pub(crate) fn secret(w: &TestWharf) -> String {
    std::fs::read_to_string(w.data_dir.join("notification-secret"))
        .unwrap()
        .trim()
        .to_owned()
}

pub(crate) fn push(id: &str, at: &str, repo: &str, tag: &str, digest: &str, media_type: &str) -> Value {
    json!({
        "id": id, "timestamp": at, "action": "push",
        "target": {"mediaType": media_type, "size": 400, "digest": digest, "length": 400,
                   "repository": repo, "tag": tag,
                   "references": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 1000, "digest": D2}]},
        "request": {"id": "r", "addr": "127.0.0.1:5555", "host": "lb", "method": "PUT", "useragent": "skopeo"},
        "actor": {"name": "alice"},
        "source": {"addr": "replica-a:5000", "instanceID": "inst-a"}
    })
}

fn pull(id: &str, at: &str, repo: &str, tag: &str, method: &str) -> Value {
    json!({
        "id": id, "timestamp": at, "action": "pull",
        "target": {"mediaType": MANIFEST_MEDIA_TYPES[2], "size": 400, "digest": D1, "repository": repo, "tag": tag},
        "request": {"method": method}, "actor": {"name": "bob"},
        "source": {"addr": "replica-a:5000", "instanceID": "inst-a"}
    })
}

fn delete_digest(id: &str, at: &str, repo: &str, digest: &str) -> Value {
    json!({"id": id, "timestamp": at, "action": "delete", "target": {"digest": digest, "repository": repo},
           "actor": {"name": "alice"}, "source": {"addr": "replica-a:5000", "instanceID": "inst-a"}})
}

pub(crate) struct Sender<'a> {
    pub w: &'a TestWharf,
    pub http: reqwest::Client,
    pub secret: String,
}

impl Sender<'_> {
    async fn send_raw(&self, auth: Option<&str>, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}/v2/webhooks/events?replica=r1", self.w.url))
            .header("content-type", content_type)
            .body(body);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn send(&self, events: &[Value]) -> (u16, Value) {
        let body = serde_json::to_vec(&json!({ "events": events })).unwrap();
        self.send_raw(
            Some(&format!("Bearer {}", self.secret)),
            "application/vnd.docker.distribution.events.v1+json",
            body,
        )
        .await
    }
}

async fn contract(kind: DbKind) {
    let w = TestWharf::start(kind).await;
    w.add_user("alice", "correct-horse-battery", false).await;
    w.cli_ok(&["registry", "add", "default", "--public", "lb.example:443"], None)
        .await;
    w.cli_ok(
        &[
            "registry",
            "replica",
            "add",
            "default",
            "http://127.0.0.1:9",
            "--name",
            "r1",
        ],
        None,
    )
    .await;
    let s = Sender {
        w: &w,
        http: reqwest::Client::new(),
        secret: secret(&w),
    };
    let ev = push(
        "e1",
        "2026-11-28T10:00:00Z",
        "alice/app",
        "v1",
        D1,
        MANIFEST_MEDIA_TYPES[2],
    );

    // Wrong or missing secret: 401, nothing stored.
    let body = serde_json::to_vec(&json!({"events": [ev.clone()]})).unwrap();
    for auth in [None, Some("Bearer wrong"), Some("Basic Zm9vOmJhcg==")] {
        let (status, _) = s.send_raw(auth, "application/json", body.clone()).await;
        assert_eq!(status, 401, "auth {auth:?}");
    }
    assert!(
        w.tags("alice/app").await.is_empty(),
        "nothing stored without the secret"
    );

    // A push: repository and tag with digest, media type, size incl. layers, pusher.
    let (status, report) = s.send(std::slice::from_ref(&ev)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["applied"], 1);
    let t = w.tags("alice/app").await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["tag"], "v1");
    assert_eq!(t[0]["digest"], D1);
    assert_eq!(t[0]["media_type"], MANIFEST_MEDIA_TYPES[2]);
    assert_eq!(t[0]["size"], 1400);
    assert_eq!(t[0]["pushed_by"], "alice");

    // The same event again (a retry) changes nothing.
    let (status, report) = s.send(std::slice::from_ref(&ev)).await;
    assert_eq!(status, 200);
    assert_eq!(report["duplicates"], 1);
    assert_eq!(report["applied"], 0);
    assert_eq!(w.tags("alice/app").await, t);

    // Pulls: GET counts, HEAD does not, a duplicate pull does not count twice.
    let get = pull("p1", "2026-11-28T10:01:00Z", "alice/app", "v1", "GET");
    s.send(&[
        get.clone(),
        get,
        pull("p2", "2026-11-28T10:01:01Z", "alice/app", "v1", "HEAD"),
    ])
    .await;
    let t = w.tags("alice/app").await;
    assert_eq!(t[0]["pulls"], 1, "{t:?}");
    assert!(t[0]["last_pulled_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-28T10:01:00"));
    let repos = w.cli_json(&["repo", "list"]).await;
    let app = repos
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "alice/app")
        .unwrap();
    assert_eq!(app["pulls"], 1);

    // Blob pushes are ignored.
    let blob = push(
        "b1",
        "2026-11-28T10:02:00Z",
        "alice/app",
        "",
        D2,
        "application/octet-stream",
    );
    let (_, report) = s.send(&[blob]).await;
    assert_eq!(report["ignored"], 1);
    assert_eq!(w.tags("alice/app").await.len(), 1);

    // Out of order: the delete of v2's manifest arrives before v2's push. The registry no
    // longer has it, so it must not appear.
    s.send(&[delete_digest("d2", "2026-11-28T10:05:00Z", "alice/app", D2)])
        .await;
    let (_, report) = s
        .send(&[push(
            "e2",
            "2026-11-28T10:04:00Z",
            "alice/app",
            "v2",
            D2,
            MANIFEST_MEDIA_TYPES[0],
        )])
        .await;
    assert_eq!(report["stale"], 1, "{report}");
    assert!(w.tags("alice/app").await.iter().all(|t| t["tag"] != "v2"));
    // An older push of v1 (another digest) arriving late does not overwrite the newer one.
    let (_, report) = s
        .send(&[push(
            "e0",
            "2026-11-28T09:00:00Z",
            "alice/app",
            "v1",
            D2,
            MANIFEST_MEDIA_TYPES[0],
        )])
        .await;
    assert_eq!(report["stale"], 1);
    assert_eq!(w.tags("alice/app").await[0]["digest"], D1);

    // A manifest deleted and pushed again, the re-push's event arriving before the delete's:
    // the registry has the tag, so wharf keeps it.
    let (_, report) = s
        .send(&[push(
            "e3",
            "2026-11-28T10:05:30Z",
            "alice/app",
            "v1",
            D1,
            MANIFEST_MEDIA_TYPES[2],
        )])
        .await;
    assert_eq!(report["applied"], 1, "{report}");
    s.send(&[delete_digest("d0", "2026-11-28T10:05:10Z", "alice/app", D1)])
        .await;
    assert_eq!(
        w.tags("alice/app").await.len(),
        1,
        "the late delete predates the re-push"
    );

    // A blob delete (same shape as a manifest delete, no tag on it) and a sha384 blob push are
    // accepted and change nothing.
    let before = w.cli_json(&["activity", "list"]).await.as_array().unwrap().len();
    let (status, _) = s
        .send(&[delete_digest("bd", "2026-11-28T10:05:40Z", "alice/app", D2)])
        .await;
    assert_eq!(status, 200);
    let sha384 = format!("sha384:{}", "3".repeat(96));
    let (status, report) = s
        .send(&[push(
            "b384",
            "2026-11-28T10:05:41Z",
            "alice/app",
            "",
            &sha384,
            "application/octet-stream",
        )])
        .await;
    assert_eq!((status, report["ignored"].as_i64()), (200, Some(1)), "{report}");
    assert_eq!(
        w.cli_json(&["activity", "list"]).await.as_array().unwrap().len(),
        before
    );

    // Delete by digest removes the tags on it; the repository stays, empty.
    let (status, _) = s
        .send(&[delete_digest("d1", "2026-11-28T10:06:00Z", "alice/app", D1)])
        .await;
    assert_eq!(status, 200);
    assert!(w.tags("alice/app").await.is_empty());
    let repos = w.cli_json(&["repo", "list"]).await;
    assert!(repos
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "alice/app" && r["tags"] == 0));

    // A push into a namespace wharf does not know is kept as an orphan.
    s.send(&[push(
        "o1",
        "2026-11-28T10:07:00Z",
        "ghost/tool",
        "latest",
        D1,
        MANIFEST_MEDIA_TYPES[3],
    )])
    .await;
    let repos = w.cli_json(&["repo", "list"]).await;
    let ghost = repos
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "ghost/tool")
        .unwrap();
    assert!(ghost["namespace"].is_null(), "{ghost}");
    assert_eq!(w.tags("ghost/tool").await.len(), 1);
    // Creating the namespace does not adopt it, nor does another push; the operator does.
    w.cli_ok(&["team", "add", "ghosts", "--owner", "alice"], None).await;
    w.cli_ok(&["namespace", "add", "ghost", "--team", "ghosts"], None).await;
    s.send(&[push(
        "o2",
        "2026-11-28T10:07:30Z",
        "ghost/tool",
        "v2",
        D1,
        MANIFEST_MEDIA_TYPES[3],
    )])
    .await;
    assert_eq!(w.cli_json(&["repo", "list", "--namespace", "ghost"]).await, json!([]));
    let adopted = w.cli_json(&["repo", "adopt", "ghost"]).await;
    assert_eq!(
        adopted,
        json!({"namespace": "ghost", "created": false, "repositories": ["ghost/tool"]})
    );
    let repos = w.cli_json(&["repo", "list", "--namespace", "ghost"]).await;
    assert_eq!(repos[0]["name"], "ghost/tool", "{repos}");
    assert_eq!(repos[0]["namespace"], "ghost");
    // An admin can forget an emptied repository, not one with tags.
    let refused = w.cli(&["repo", "remove", "ghost/tool"], None).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("still has tags"));
    w.cli_ok(&["repo", "remove", "alice/app"], None).await;
    assert!(!w
        .cli_json(&["repo", "list"])
        .await
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "alice/app"));

    // Activities for pushes and deletes.
    let acts = w.cli_json(&["activity", "list"]).await;
    let kinds: Vec<&str> = acts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"image.pushed") && kinds.contains(&"image.deleted"),
        "{kinds:?}"
    );
    assert!(
        acts.as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "repository.adopted" && a["target"] == "ghost/tool" && a["actor"] == "wharf:cli"),
        "the CLI's adoption is in the log: {acts}"
    );
    assert!(
        acts.as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "repository.removed" && a["target"] == "alice/app" && a["actor"] == "wharf:cli"),
        "the CLI's removal is in the log: {acts}"
    );

    // The replica named in the URL is credited with the events.
    let status = w.cli_json(&["registry", "status"]).await;
    let r1 = &status[0];
    assert_eq!(r1["name"], "r1");
    assert!(r1["last_event_at"].is_string(), "{r1}");
    assert_eq!(r1["instance_id"], "inst-a");
    assert_eq!(r1["source_addr"], "replica-a:5000");

    // Bad input: clear 4xx, nothing half-written (the valid first event is not stored either).
    let good = push(
        "n1",
        "2026-11-28T11:00:00Z",
        "alice/new",
        "v1",
        D1,
        MANIFEST_MEDIA_TYPES[0],
    );
    let mut bad_action = good.clone();
    bad_action["id"] = json!("n2");
    bad_action["action"] = json!("explode");
    let mut absurd = good.clone();
    absurd["id"] = json!("n3");
    absurd["target"]["repository"] = json!(format!("alice/{}", "x".repeat(400)));
    let mut bad_digest = good.clone();
    bad_digest["target"]["digest"] = json!("md5:abc");
    for (events, needle) in [
        (vec![good.clone(), bad_action], "unknown action"),
        (vec![good.clone(), absurd], "repository name"),
        (vec![bad_digest], "digest"),
    ] {
        let (status, body) = s.send(&events).await;
        assert_eq!(status, 400, "{body}");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{msg}");
    }
    let auth = format!("Bearer {}", s.secret);
    let (status, body) = s
        .send_raw(Some(&auth), "application/json", b"{\"events\": [".to_vec())
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = s.send_raw(Some(&auth), "text/plain", b"{}".to_vec()).await;
    assert_eq!(status, 415);
    assert_eq!(
        body["error"]["code"], "unsupported_media_type",
        "the code says what the status says"
    );
    let (status, _) = s
        .send_raw(Some(&auth), "application/json", vec![b' '; 2 * 1024 * 1024])
        .await;
    assert_eq!(status, 413);
    assert!(
        !w.cli_json(&["repo", "list"])
            .await
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "alice/new"),
        "nothing half-written"
    );
    w.stop().await;
}

#[tokio::test]
async fn event_contract_sqlite() {
    contract(DbKind::Sqlite).await;
}

#[tokio::test]
async fn event_contract_postgres() {
    contract(DbKind::Postgres).await;
}

/// With its database unreachable wharf answers 503, so the registry keeps the event and
/// retries; once the database is back the retry is stored.
#[tokio::test]
async fn database_outage_answers_retryable_5xx() {
    use sea_orm::{ConnectionTrait, Database};
    let w = TestWharf::start(DbKind::Postgres).await;
    w.add_user("alice", "correct-horse-battery", false).await;
    let s = Sender {
        w: &w,
        http: reqwest::Client::new(),
        secret: secret(&w),
    };
    let db_name = w.db.url.rsplit('/').next().unwrap().to_owned();
    let admin = Database::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("ALTER DATABASE \"{db_name}\" ALLOW_CONNECTIONS false"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db_name}'"
        ))
        .await
        .unwrap();
    let ev = push(
        "x1",
        "2026-11-28T12:00:00Z",
        "alice/app",
        "v1",
        D1,
        MANIFEST_MEDIA_TYPES[0],
    );
    let (status, body) = s.send(std::slice::from_ref(&ev)).await;
    assert!(status >= 500, "{status} {body}");
    admin
        .execute_unprepared(&format!("ALTER DATABASE \"{db_name}\" ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    // The registry's retry, once the database is back.
    let report = crate::helpers::eventually("the retried event to be stored", 30, || async {
        let (status, body) = s.send(std::slice::from_ref(&ev)).await;
        (status == 200).then_some(body)
    })
    .await;
    assert_eq!(report["applied"], 1, "{report}");
    assert_eq!(w.tags("alice/app").await.len(), 1);
    w.stop().await;
}

/// wharf's own delete (console, API, CLI) is audited by the delete itself, under the person
/// who asked; the registry's notification of it, made with wharf's service identity, removes
/// the tags if it arrives first but adds no second `image.deleted` entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wharfs_own_delete_is_audited_once() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("alice", "correct-horse-battery", false).await;
    let s = Sender {
        w: &w,
        http: reqwest::Client::new(),
        secret: secret(&w),
    };
    let manifest = MANIFEST_MEDIA_TYPES[2];
    for (id, tag, digest) in [("p1", "v1", D1), ("p2", "v2", D2)] {
        let (status, body) = s
            .send(&[push(id, "2026-11-28T10:00:00Z", "alice/app", tag, digest, manifest)])
            .await;
        assert_eq!(status, 200, "{body}");
    }
    // The notification of wharf's own delete, arriving before the delete's own commit.
    let mut own = delete_digest("d1", "2026-11-28T10:01:00Z", "alice/app", D1);
    own["actor"]["name"] = json!(wharf_app::backend::sync::SERVICE_SUBJECT);
    // A delete someone made at the registry directly: audited from its notification.
    let theirs = delete_digest("d2", "2026-11-28T10:02:00Z", "alice/app", D2);
    let (status, body) = s.send(&[own, theirs]).await;
    assert_eq!(status, 200, "{body}");
    assert!(w.tags("alice/app").await.is_empty(), "both deletes removed their tags");
    let log = w.cli_json(&["activity", "list"]).await;
    let deletes: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "image.deleted")
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0]["actor"], "alice");
    w.stop().await;
}

/// Requests that arrive while a notification transaction runs are applied together in the
/// next one (group commit), each still answered with its own report: here the writer is held
/// at the SQLite write lock while 16 requests queue, then two transactions apply all 17, and an
/// event id sent twice within the second batch is applied once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_notifications_share_one_commit() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("alice", "correct-horse-battery", false).await;
    let s = std::sync::Arc::new(Sender {
        w: &w,
        http: reqwest::Client::new(),
        secret: secret(&w),
    });
    let writer = w.state.ingest.clone();
    let before = writer.transactions();
    let held = wharf_app::backend::db::begin_write(&w.state.db).await.unwrap();
    let digest = |i: usize| format!("sha256:{i:064x}");
    let request = |i: usize| {
        // Request 16 repeats request 15's event, in the same batch: applied once.
        let n = if i == 16 { 15 } else { i };
        let ev = push(
            &format!("g{n}"),
            &format!("2026-11-28T10:00:{n:02}Z"),
            "alice/app",
            &format!("t{n}"),
            &digest(n),
            MANIFEST_MEDIA_TYPES[2],
        );
        let s = s.clone();
        async move { s.send(&[ev]).await }
    };
    let others = async {
        crate::helpers::eventually("the writer to take the first request", 30, || async {
            (writer.transactions() == before + 1).then_some(())
        })
        .await;
        let sent = futures::future::join_all((1..17).map(request));
        let release = async {
            crate::helpers::eventually("16 requests waiting behind the held write lock", 30, || async {
                (writer.waiting() == 16).then_some(())
            })
            .await;
            drop(held);
        };
        tokio::join!(sent, release).0
    };
    let (first, mut answers) = tokio::join!(request(0), others);
    answers.push(first);
    let (mut applied, mut duplicates) = (0, 0);
    for (status, report) in &answers {
        assert_eq!(*status, 200, "{report}");
        applied += report["applied"].as_u64().unwrap();
        duplicates += report["duplicates"].as_u64().unwrap();
    }
    assert_eq!((applied, duplicates), (16, 1), "{answers:?}");
    assert_eq!(
        writer.transactions() - before,
        2,
        "one transaction for the request that found the writer idle, one for the 16 that waited"
    );
    assert_eq!(w.tags("alice/app").await.len(), 16);
    let pushed = w.cli_json(&["activity", "list"]).await;
    let pushes = pushed
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "image.pushed")
        .count();
    assert_eq!(pushes, 16, "one audit entry per applied push, written with the batch");
    w.stop().await;
}

/// PostgreSQL with four writers: 80 requests at once, each naming the same repositories in a
/// different order (pushes, pulls) and pairs of them claiming one event id between them. The
/// batches lock repositories in name order and claim ids in id order, so none deadlocks (a
/// deadlocked batch would be retried one request at a time: counted) and nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_on_postgres_neither_deadlock_nor_lose_events() {
    let w = TestWharf::start_with(DbKind::Postgres, |c| c.event_writers = 4).await;
    w.add_user("alice", "correct-horse-battery", false).await;
    let s = std::sync::Arc::new(Sender {
        w: &w,
        http: reqwest::Client::new(),
        secret: secret(&w),
    });
    let media = MANIFEST_MEDIA_TYPES[2];
    let (status, body) = s
        .send(&[push("seed", "2026-11-28T09:00:00Z", "alice/c", "v1", D1, media)])
        .await;
    assert_eq!(status, 200, "{body}");
    let digest = |i: usize| format!("sha256:{i:064x}");
    const REQUESTS: usize = 80;
    let request = |i: usize| {
        let at = format!("2026-11-28T10:{:02}:{:02}Z", i / 60, i % 60);
        let mut events = vec![
            push(&format!("a{i}"), &at, "alice/a", &format!("t{i}"), &digest(i), media),
            push(&format!("b{i}"), &at, "alice/b", &format!("t{i}"), &digest(i), media),
            pull(&format!("c{i}"), &at, "alice/c", "v1", "GET"),
            // Shared by requests 2k and 2k+1: claimed by whichever commits first.
            push(
                &format!("shared{}", i / 2),
                &at,
                "alice/d",
                &format!("s{}", i / 2),
                &digest(i),
                media,
            ),
        ];
        if i % 2 == 1 {
            events.reverse();
        }
        let s = s.clone();
        async move { s.send(&events).await }
    };
    let answers = futures::future::join_all((0..REQUESTS).map(request)).await;
    let (mut applied, mut duplicates, mut stale) = (0, 0, 0);
    for (status, report) in &answers {
        assert_eq!(*status, 200, "{report}");
        applied += report["applied"].as_u64().unwrap();
        duplicates += report["duplicates"].as_u64().unwrap();
        stale += report["stale"].as_u64().unwrap();
    }
    let n = REQUESTS as u64;
    assert_eq!(duplicates, n / 2, "each shared id applied once: {answers:?}");
    assert_eq!(applied + stale, 3 * n + n / 2, "{answers:?}");
    assert_eq!(
        w.state.ingest.batches_retried(),
        0,
        "no batch failed (deadlocked) and was redone"
    );
    assert_eq!(w.tags("alice/a").await.len(), REQUESTS);
    assert_eq!(w.tags("alice/b").await.len(), REQUESTS);
    assert_eq!(w.tags("alice/d").await.len(), REQUESTS / 2);
    let pulls: i64 = crate::helpers::scalar(
        &w.state.db,
        "SELECT pull_count FROM repositories WHERE name = 'alice/c'",
    )
    .await;
    assert_eq!(pulls, REQUESTS as i64, "every pull counted once");
    w.stop().await;
}

/// A push waiting on its repository's lock while another transaction deletes the manifest (a
/// later delete, committed while the push waits) must see that delete: it is stale and the tag
/// stays deleted. The batch reads earlier deletes only after it holds its repositories.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_waiting_on_a_delete_sees_it_once_committed() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let w = TestWharf::start(DbKind::Postgres).await;
    w.add_user("alice", "correct-horse-battery", false).await;
    let s = Sender {
        w: &w,
        http: reqwest::Client::new(),
        secret: secret(&w),
    };
    let media = MANIFEST_MEDIA_TYPES[2];
    let (status, body) = s
        .send(&[push("p1", "2026-11-28T10:00:00Z", "alice/app", "v1", D1, media)])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(w.tags("alice/app").await.len(), 1);

    // Another writer applying a delete of D1 at 10:02: it holds the repository meanwhile.
    let deleting = w.state.db.begin().await.unwrap();
    for sql in [
        "SELECT id FROM repositories WHERE name = 'alice/app' FOR UPDATE",
        "INSERT INTO registry_events (event_id, action, repository, digest, occurred_at, received_at) \
         VALUES ('d1', 'delete', 'alice/app', 'sha256:1111111111111111111111111111111111111111111111111111111111111111', \
         '2026-11-28T10:02:00Z', now())",
        "DELETE FROM tags WHERE name = 'v1'",
    ] {
        deleting.execute_unprepared(sql).await.unwrap();
    }
    // A push of the same manifest from 10:01, before the delete: it must not bring v1 back.
    let late = [push("p2", "2026-11-28T10:01:00Z", "alice/app", "v1", D1, media)];
    let release = async {
        crate::helpers::eventually("the push to wait on the repository lock", 30, || async {
            let waiting: i64 = crate::helpers::scalar(
                &w.state.db,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .await;
            (waiting > 0).then_some(())
        })
        .await;
        deleting.commit().await.unwrap();
    };
    let ((status, report), ()) = tokio::join!(s.send(&late), release);
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["applied"].as_u64(), report["stale"].as_u64()),
        (Some(0), Some(1)),
        "{report}"
    );
    assert!(w.tags("alice/app").await.is_empty(), "the delete stands");
    w.stop().await;
}
