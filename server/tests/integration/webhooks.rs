//! Outgoing webhooks end to end: a hook made through the API, an image pushed with skopeo to
//! a real registry, and a local receiver that checks every delivery's timestamped HMAC
//! signature, answers 500 a few times (retries with backoff, every attempt logged), and
//! records test-fires and redeliveries. Secrets never come back and are sealed in the
//! database, and do not follow a hook to a new URL. Then two real `wharf serve` processes on
//! one PostgreSQL database deliver every event exactly once between them, and a process with
//! proxy variables set delivers straight to the receiver.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{eventually, free_port, run, DbKind, TestDb, TestRegistry, TestWharf};
use crate::oci;
use crate::registry_events::push as push_event;
use crate::rest_api::Client;

const PW: &str = "correct horse battery staple";
const SECRET: &str = "receiver-shared-secret-7d1f";
const NEW_SECRET: &str = "rotated-secret-0b9a2c";
const HEADER_TOKEN: &str = "Bearer receiver-header-token-55e1";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
    at: Instant,
    /// When it arrived, in unix seconds (to compare with the signature's timestamp).
    unix: i64,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Clone, Default)]
struct ReceiverState {
    got: Arc<Mutex<Vec<Received>>>,
    /// Requests to `/hook` answered 500 before it starts answering 200.
    fail_next: Arc<AtomicUsize>,
    /// How long each answer takes.
    delay_ms: Arc<AtomicU64>,
}

/// A webhook receiver on a loopback port: `/always-500` always fails, anything else fails
/// while `fail_next` lasts and then answers 200.
struct Receiver {
    url: String,
    state: ReceiverState,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Receiver {
        let state = ReceiverState::default();
        let s = state.clone();
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let s = s.clone();
                async move {
                    let delay = s.delay_ms.load(Ordering::SeqCst);
                    if delay > 0 {
                        tokio::time::sleep(Duration::from_millis(delay)).await;
                    }
                    let headers = headers
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                        .collect();
                    s.got.lock().unwrap().push(Received {
                        path: uri.path().to_owned(),
                        headers,
                        body: body.to_vec(),
                        at: Instant::now(),
                        unix: unix_now(),
                    });
                    let failing = uri.path() == "/always-500"
                        || s.fail_next
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                    if failing {
                        (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "nope, try again later")
                    } else {
                        (axum::http::StatusCode::OK, "thanks")
                    }
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Receiver { url, state, task }
    }

    fn at(&self, path: &str) -> Vec<Received> {
        self.state
            .got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    async fn wait_for(&self, path: &str, n: usize) -> Vec<Received> {
        eventually(&format!("{n} requests to {path}"), 30, || async {
            let got = self.at(path);
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a receiver does with `X-Wharf-Signature: t=<unix seconds>,v1=<hex>`, written here
/// independently of wharf: the HMAC of `"<t>.<body>"`, and `t` within 5 minutes of now.
/// Deliveries of hook `id` still waiting or being sent.
async fn unsent(db: &sea_orm::DatabaseConnection, id: i64) -> i64 {
    let sql = format!(
        "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = {id} AND status IN ('pending', 'delivering')"
    );
    crate::helpers::scalar::<i64>(db, &sql).await
}

fn signed_by(r: &Received, secret: &str) -> bool {
    let Some((t, v1)) = signature_parts(r) else {
        return false;
    };
    if (unix_now() - t).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&r.body);
    mac.verify_slice(&hex::decode(v1).unwrap_or_default()).is_ok()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The `t` and `v1` of a delivery's signature header.
fn signature_parts(r: &Received) -> Option<(i64, &str)> {
    let (t, v1) = r.header("x-wharf-signature").split_once(',')?;
    Some((t.strip_prefix("t=")?.parse().ok()?, v1.strip_prefix("v1=")?))
}

fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
}

async fn skopeo_push(registry: &TestRegistry, image: &std::path::Path, user: &str, token: &str, dest: &str) {
    let auth = tempfile::tempdir().unwrap();
    let (ok, out) = run(tokio::process::Command::new("skopeo")
        .env("REGISTRY_AUTH_FILE", auth.path().join("no-auth.json"))
        .args(["copy", "--dest-tls-verify=false", "--dest-creds"])
        .arg(format!("{user}:{token}"))
        .arg(format!("oci:{}:v1", image.display()))
        .arg(format!("docker://{}/{dest}", registry.host)))
    .await;
    assert!(ok, "push {dest}: {out}\n{}", registry.log_text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_deliveries_retries_log_test_fire_and_redelivery() {
    let w = TestWharf::start_with(DbKind::Sqlite, |c| {
        // The receiver is on loopback, which webhooks may not reach unless allowed.
        c.webhook_allow = vec!["127.0.0.0/8".parse().unwrap()];
        c.webhook_backoff_ms = 300;
        c.webhook_attempts = 3;
        c.webhook_poll_ms = 100;
    })
    .await;
    w.add_user("alice", PW, false).await;
    w.add_user("bob", PW, false).await;
    let alice_token = w.cli_ok(&["token", "add", "alice", "ci"], None).await.trim().to_owned();
    let bob_token = w.cli_ok(&["token", "add", "bob", "ci"], None).await.trim().to_owned();
    w.settle().await;
    let alice = Client::bearer(&w, &alice_token);
    let bob = Client::bearer(&w, &bob_token);
    let anon = Client::new(&w, None);
    alice
        .ok(Method::POST, "/api/v1/teams", Some(json!({"name": "devs"})))
        .await;
    alice
        .ok(
            Method::PUT,
            "/api/v1/teams/devs/members/bob",
            Some(json!({"role": "contributor"})),
        )
        .await;
    alice
        .ok(
            Method::POST,
            "/api/v1/namespaces",
            Some(json!({"team": "devs", "name": "devs", "visibility": "private"})),
        )
        .await;
    let rx = Receiver::start().await;
    rx.state.fail_next.store(2, Ordering::SeqCst);

    // A hook with a secret and a credential header: neither ever comes back.
    let (status, hook) = alice
        .send(
            Method::POST,
            "/api/v1/namespaces/devs/webhooks",
            Some(json!({
                "url": format!("{}/hook", rx.url),
                "events": ["push", "delete"],
                "headers": [{"name": "Authorization", "value": HEADER_TOKEN}],
                "secret": SECRET,
            })),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    assert_eq!(hook["has_secret"], true);
    assert_eq!(hook["header_names"], json!(["Authorization"]));
    assert_eq!(hook["events"], json!(["push", "delete"]));
    let id = hook["id"].as_i64().unwrap();
    let failing = alice
        .ok(
            Method::POST,
            "/api/v1/namespaces/devs/webhooks",
            Some(json!({"url": format!("{}/always-500", rx.url), "events": ["push"]})),
        )
        .await;
    let failing_id = failing["id"].as_i64().unwrap();
    assert_eq!(failing["has_secret"], false);
    let listed = alice.ok(Method::GET, "/api/v1/namespaces/devs/webhooks", None).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let shown = alice.ok(Method::GET, &format!("/api/v1/webhooks/{id}"), None).await;
    for leaked in [listed.to_string(), shown.to_string()] {
        assert!(
            !leaked.contains(SECRET) && !leaked.contains("receiver-header-token"),
            "{leaked}"
        );
    }

    // Bad hooks are clear 4xx; others' hooks are not theirs to see.
    for (body, want) in [
        (json!({"url": "http://10.1.2.3/hook", "events": ["push"]}), 400),
        (json!({"url": "http://169.254.169.254/latest", "events": ["push"]}), 400),
        (json!({"url": "ftp://example.com/", "events": ["push"]}), 400),
        (json!({"url": "https://u:p@example.com/", "events": ["push"]}), 400),
        (json!({"url": "https://example.com/", "events": []}), 400),
        (json!({"url": "https://example.com/", "events": ["ping"]}), 400),
        (json!({"url": "https://example.com/", "events": ["explode"]}), 422),
        (
            json!({"url": "https://example.com/", "events": ["push"], "secret": "short"}),
            400,
        ),
        (
            json!({"url": "https://example.com/", "events": ["push"], "headers": [{"name": "X-Wharf-Signature", "value": "forged"}]}),
            400,
        ),
        (
            json!({"url": "https://example.com/", "events": ["push"], "headers": [{"name": "bad name", "value": "v"}]}),
            400,
        ),
        (
            json!({"url": "https://example.com/", "events": ["push"], "colour": "red"}),
            422,
        ),
    ] {
        let v = alice
            .fails(
                Method::POST,
                "/api/v1/namespaces/devs/webhooks",
                Some(body.clone()),
                want,
            )
            .await;
        assert!(!v["error"]["message"].as_str().unwrap().is_empty(), "{body}: {v}");
    }
    bob.fails(Method::GET, "/api/v1/namespaces/devs/webhooks", None, 403)
        .await;
    bob.fails(Method::GET, &format!("/api/v1/webhooks/{id}"), None, 403)
        .await;
    bob.fails(Method::POST, &format!("/api/v1/webhooks/{id}/test"), None, 403)
        .await;
    anon.fails(Method::GET, &format!("/api/v1/webhooks/{id}"), None, 401)
        .await;
    alice.fails(Method::GET, "/api/v1/webhooks/999999", None, 404).await;
    alice.fails(Method::GET, "/api/v1/webhooks/abc", None, 400).await;

    // A real push: the registry's notification enqueues one delivery per hook.
    let registry = TestRegistry::start(&w).await;
    let work = tempfile::tempdir().unwrap();
    let image = work.path().join("image");
    let digest = oci::write_image(&image, "v1", "hello from the webhook test");
    skopeo_push(&registry, &image, "alice", &alice_token, "devs/app:1").await;

    // Two 500s, then 200: three attempts of the same delivery, waiting longer each time.
    let got = rx.wait_for("/hook", 3).await;
    let delivery_id = got[0].header("x-wharf-delivery").to_owned();
    for r in &got {
        assert!(signed_by(r, SECRET), "signature of {:?}", r.headers);
        assert!(!signed_by(r, "some-other-secret"));
        assert_eq!(r.header("x-wharf-event"), "push");
        assert_eq!(
            r.header("x-wharf-delivery"),
            delivery_id,
            "retries are the same delivery"
        );
        assert_eq!(r.header("authorization"), HEADER_TOKEN);
        assert_eq!(r.header("content-type"), "application/json");
        assert_eq!(r.body, got[0].body, "every attempt sends the same bytes");
        let (t, _) = signature_parts(r).unwrap();
        assert!(
            (r.unix - t).abs() <= 1,
            "each attempt is signed when it is sent: t={t}, arrived {}",
            r.unix
        );
    }
    let body = got[0].json();
    assert_eq!(body["event"], "push");
    assert_eq!(body["namespace"], "devs");
    assert_eq!(body["repository"], "devs/app");
    assert_eq!(body["tag"], "1");
    assert_eq!(body["digest"], digest.as_str());
    assert_eq!(body["actor"], "alice");
    assert!(body["event_id"].as_str().is_some_and(|e| !e.is_empty()));
    let (gap1, gap2) = (got[1].at - got[0].at, got[2].at - got[1].at);
    assert!(
        gap1 >= Duration::from_millis(290),
        "first retry after the backoff: {gap1:?}"
    );
    assert!(gap2 >= Duration::from_millis(590), "the wait doubles: {gap2:?}");

    // The delivery log has every attempt: status, duration, response excerpt, worker.
    let log = eventually("the delivery marked succeeded", 10, || async {
        let log = alice.get(&format!("/api/v1/webhooks/{id}/deliveries")).await.1;
        (log["items"][0]["status"] == "succeeded").then_some(log)
    })
    .await;
    assert_eq!(log["total"], 1);
    let d = &log["items"][0];
    assert_eq!(d["delivery_id"], delivery_id.as_str());
    assert_eq!(d["attempts"], 3);
    assert_eq!(d["last_status_code"], 200);
    let attempts = d["attempt_log"].as_array().unwrap();
    let codes: Vec<i64> = attempts.iter().map(|a| a["status_code"].as_i64().unwrap()).collect();
    assert_eq!(codes, [500, 500, 200]);
    assert_eq!(attempts[0]["response_excerpt"], "nope, try again later");
    assert_eq!(attempts[2]["response_excerpt"], "thanks");
    assert!(attempts
        .iter()
        .all(|a| a["duration_ms"].as_i64().unwrap() >= 0 && a["worker"].is_string()));
    let push_delivery = d["id"].as_i64().unwrap();
    let one = alice
        .ok(
            Method::GET,
            &format!("/api/v1/webhooks/{id}/deliveries/{push_delivery}"),
            None,
        )
        .await;
    assert_eq!(one["attempt_log"].as_array().unwrap().len(), 3);

    // The hook that always fails gives up after the configured attempts.
    let failed = eventually("the failing hook to give up", 15, || async {
        let log = alice.get(&format!("/api/v1/webhooks/{failing_id}/deliveries")).await.1;
        (log["items"][0]["status"] == "failed").then_some(log)
    })
    .await;
    assert_eq!(failed["items"][0]["attempts"], 3);
    assert_eq!(rx.at("/always-500").len(), 3, "no attempt after giving up");
    assert!(rx
        .at("/always-500")
        .iter()
        .all(|r| r.header("x-wharf-signature").is_empty()));
    let metrics = w.metrics().await;
    assert_eq!(
        metric(&metrics, "wharf_webhook_deliveries_total{outcome=\"succeeded\"}"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "wharf_webhook_deliveries_total{outcome=\"retrying\"}"),
        Some(4.0)
    );
    assert_eq!(
        metric(&metrics, "wharf_webhook_deliveries_total{outcome=\"failed\"}"),
        Some(1.0)
    );

    // Test-fire: a signed ping.
    let (status, ping) = alice
        .send(Method::POST, &format!("/api/v1/webhooks/{id}/test"), None)
        .await;
    assert_eq!(status, 202, "{ping}");
    assert_eq!(ping["event"], "ping");
    let got = rx.wait_for("/hook", 4).await;
    assert_eq!(got[3].header("x-wharf-event"), "ping");
    assert!(signed_by(&got[3], SECRET));
    assert_eq!(got[3].json()["namespace"], "devs");

    // Redeliver: the same body again, as a new delivery.
    let (status, again) = alice
        .send(
            Method::POST,
            &format!("/api/v1/webhooks/{id}/deliveries/{push_delivery}/redeliver"),
            None,
        )
        .await;
    assert_eq!(status, 202, "{again}");
    let got = rx.wait_for("/hook", 5).await;
    assert_eq!(got[4].body, got[0].body);
    let (t, _) = signature_parts(&got[4]).unwrap();
    assert!((got[4].unix - t).abs() <= 1, "a redelivery is signed when it is sent");
    assert_ne!(got[4].header("x-wharf-delivery"), delivery_id);
    assert_eq!(
        got[4].header("x-wharf-delivery"),
        again["delivery_id"].as_str().unwrap()
    );
    assert!(signed_by(&got[4], SECRET));
    alice
        .fails(
            Method::POST,
            &format!("/api/v1/webhooks/{failing_id}/deliveries/{push_delivery}/redeliver"),
            None,
            404,
        )
        .await;

    // Secrets are sealed at rest: nothing in the table reads as the secret or the header.
    let db = w.connect().await;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT url, events, secret_sealed, headers_sealed, header_names FROM webhooks".to_owned(),
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let mut dump = String::new();
    for row in &rows {
        for col in ["url", "events", "secret_sealed", "headers_sealed", "header_names"] {
            let v: Option<String> = row.try_get("", col).unwrap();
            dump.push_str(&format!("{col}={} ", v.unwrap_or_default()));
        }
    }
    assert!(dump.contains("secret_sealed=") && dump.len() > 200, "{dump}");
    assert!(
        !dump.contains(SECRET) && !dump.contains("receiver-header-token"),
        "{dump}"
    );
    assert!(dump.contains("Authorization"), "header names stay readable: {dump}");

    // Rotating the secret: later deliveries are signed with the new one only.
    let rotated = alice
        .ok(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(json!({"secret": NEW_SECRET})),
        )
        .await;
    assert_eq!(rotated["has_secret"], true);
    alice
        .ok(Method::POST, &format!("/api/v1/webhooks/{id}/test"), None)
        .await;
    let got = rx.wait_for("/hook", 6).await;
    assert!(signed_by(&got[5], NEW_SECRET) && !signed_by(&got[5], SECRET));
    alice
        .fails(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(json!({"secret": NEW_SECRET, "remove_secret": true})),
            400,
        )
        .await;

    // A disabled hook gets nothing; the other hook shows the push was processed.
    alice
        .ok(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(json!({"enabled": false})),
        )
        .await;
    let image2 = work.path().join("image2");
    oci::write_image(&image2, "v1", "a second image");
    skopeo_push(&registry, &image2, "alice", &alice_token, "devs/app:2").await;
    rx.wait_for("/always-500", 4).await;
    // The other hook's deliveries were enqueued in the push's own transaction: whatever the
    // disabled hook was to get would be queued by now.
    assert_eq!(unsent(&db, id).await, 0, "nothing is queued for a disabled hook");
    assert_eq!(rx.at("/hook").len(), 6, "a disabled hook is not sent anything");

    // Deleting a tag (a manifest delete on the registry) sends a delete event.
    alice
        .ok(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(json!({"enabled": true})),
        )
        .await;
    alice
        .ok(Method::DELETE, "/api/v1/repositories/devs%2Fapp/tags/1", None)
        .await;
    let got = rx.wait_for("/hook", 7).await;
    let deleted = got[6].json();
    assert_eq!(got[6].header("x-wharf-event"), "delete");
    assert_eq!(deleted["repository"], "devs/app");
    assert_eq!(deleted["digest"], digest.as_str());
    assert_eq!(deleted["tags"], json!(["1"]));
    assert!(signed_by(&got[6], NEW_SECRET));
    // The registry's notification of that delete arrives too, and finds nothing left to send.
    let delete_seen = format!(
        "SELECT count(*) FROM registry_events WHERE action = 'delete' AND repository = 'devs/app' AND digest = '{digest}'"
    );
    eventually("the registry's delete notification", 20, || async {
        (crate::helpers::scalar::<i64>(&db, &delete_seen).await > 0).then_some(())
    })
    .await;
    let deletes = format!("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = {id} AND event = 'delete'");
    assert_eq!(
        crate::helpers::scalar::<i64>(&db, &deletes).await,
        1,
        "the notification queued nothing more"
    );
    // (The receiver may have the delivery before wharf records it delivered.)
    eventually("the delete delivery recorded", 20, || async {
        (unsent(&db, id).await == 0).then_some(())
    })
    .await;
    assert_eq!(rx.at("/hook").len(), 7, "one delete event, not two");

    // Deleting a hook takes its log with it.
    let (status, _) = alice
        .send(Method::DELETE, &format!("/api/v1/webhooks/{failing_id}"), None)
        .await;
    assert_eq!(status, 204);
    alice
        .fails(Method::GET, &format!("/api/v1/webhooks/{failing_id}"), None, 404)
        .await;
    let activity = alice.ok(Method::GET, "/api/v1/activities?namespace=devs", None).await;
    assert!(activity.to_string().contains("webhook.created"), "{activity}");
    w.stop().await;
}

/// Alice and a private namespace `devs` she owns, with a receiver and a token for the API.
async fn owner_with_namespace(w: &TestWharf) -> Client {
    w.add_user("alice", PW, false).await;
    let token = w.cli_ok(&["token", "add", "alice", "ci"], None).await.trim().to_owned();
    w.settle().await;
    let alice = Client::bearer(w, &token);
    alice
        .ok(Method::POST, "/api/v1/teams", Some(json!({"name": "devs"})))
        .await;
    alice
        .ok(
            Method::POST,
            "/api/v1/namespaces",
            Some(json!({"team": "devs", "name": "devs", "visibility": "private"})),
        )
        .await;
    alice
}

/// Test-fires hook `id` and waits for the `n`-th request at `path`.
async fn ping(alice: &Client, rx: &Receiver, id: i64, path: &str, n: usize) -> Received {
    alice
        .ok(Method::POST, &format!("/api/v1/webhooks/{id}/test"), None)
        .await;
    rx.wait_for(path, n).await[n - 1].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_url_drops_the_secret_and_headers_unless_given_again() {
    let w = TestWharf::start_with(DbKind::Sqlite, |c| {
        c.webhook_allow = vec!["127.0.0.0/8".parse().unwrap()];
        c.webhook_poll_ms = 100;
    })
    .await;
    let alice = owner_with_namespace(&w).await;
    let rx = Receiver::start().await;
    let hook = alice
        .ok(
            Method::POST,
            "/api/v1/namespaces/devs/webhooks",
            Some(json!({
                "url": format!("{}/ci", rx.url),
                "events": ["push"],
                "headers": [{"name": "Authorization", "value": HEADER_TOKEN}, {"name": "X-Team", "value": "devs"}],
                "secret": SECRET,
            })),
        )
        .await;
    let id = hook["id"].as_i64().unwrap();
    let url = format!("/api/v1/webhooks/{id}");
    let got = ping(&alice, &rx, id, "/ci", 1).await;
    assert!(signed_by(&got, SECRET) && got.header("authorization") == HEADER_TOKEN);

    // Saving the same URL again (as the console's edit form does) keeps everything.
    let same = alice
        .ok(
            Method::PATCH,
            &url,
            Some(json!({"url": format!("{}/ci", rx.url), "events": ["push", "delete"]})),
        )
        .await;
    assert_eq!(same["has_secret"], true, "{same}");
    assert_eq!(same["header_names"], json!(["Authorization", "X-Team"]));

    // Another owner points the hook elsewhere: the secret and header values stay behind.
    let moved = alice
        .ok(
            Method::PATCH,
            &url,
            Some(json!({"url": format!("{}/elsewhere", rx.url)})),
        )
        .await;
    assert_eq!(moved["has_secret"], false, "{moved}");
    assert_eq!(moved["header_names"], json!([]));
    let got = ping(&alice, &rx, id, "/elsewhere", 1).await;
    assert_eq!(got.header("x-wharf-signature"), "", "no signature: {:?}", got.headers);
    assert_eq!(got.header("authorization"), "", "the credential did not follow the URL");
    assert_eq!(got.header("x-team"), "");

    // Re-entering them with the new URL keeps what was given.
    let both = alice
        .ok(
            Method::PATCH,
            &url,
            Some(json!({
                "url": format!("{}/ci", rx.url),
                "secret": NEW_SECRET,
                "headers": [{"name": "Authorization", "value": "Bearer new"}],
            })),
        )
        .await;
    assert_eq!(both["has_secret"], true, "{both}");
    assert_eq!(both["header_names"], json!(["Authorization"]));
    let got = ping(&alice, &rx, id, "/ci", 2).await;
    assert!(signed_by(&got, NEW_SECRET) && !signed_by(&got, SECRET));
    assert_eq!(got.header("authorization"), "Bearer new");

    // A new URL with only a new secret: signed with it, the headers gone.
    let secret_only = alice
        .ok(
            Method::PATCH,
            &url,
            Some(json!({"url": format!("{}/elsewhere", rx.url), "secret": SECRET})),
        )
        .await;
    assert_eq!(secret_only["has_secret"], true, "{secret_only}");
    assert_eq!(secret_only["header_names"], json!([]));
    let got = ping(&alice, &rx, id, "/elsewhere", 2).await;
    assert!(signed_by(&got, SECRET));
    assert_eq!(got.header("authorization"), "");
    let activity = alice.ok(Method::GET, "/api/v1/activities?namespace=devs", None).await;
    assert!(
        activity.to_string().contains("URL changed"),
        "the audit log says what was cleared: {activity}"
    );
    w.stop().await;
}

/// A `wharf serve` process of its own.
struct Process {
    url: String,
    _child: tokio::process::Child,
}

async fn serve(
    config: &std::path::Path,
    data: &std::path::Path,
    db_url: &str,
    log: std::fs::File,
    env: &[(&str, &str)],
) -> Process {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_wharf"))
        .envs(env.iter().copied())
        .arg("--config")
        .arg(config)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("WHARF_DATA_DIR", data)
        .env("WHARF_DATABASE_URL", db_url)
        .env("WHARF_PUBLIC_URL", &url)
        .env("WHARF_LOG", "warn")
        .env("LEPTOS_OUTPUT_NAME", "wharf")
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    eventually("wharf serve to answer", 30, || async {
        http.get(format!("{url}/health/live")).send().await.ok().map(|_| ())
    })
    .await;
    Process { url, _child: child }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_postgres_deliver_each_event_exactly_once() {
    const EVENTS: usize = 60;
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::fresh(DbKind::Postgres, dir.path()).await;
    let data = dir.path().join("data");
    let config = dir.path().join("wharf.toml");
    std::fs::write(
        &config,
        "webhook_allow = [\"127.0.0.0/8\"]\nwebhook_poll_ms = 50\nwebhook_concurrency = 4\nwebhook_backoff_ms = 100\n",
    )
    .unwrap();
    let cli = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_wharf"));
        c.arg("--config")
            .arg(&config)
            .args(args)
            .env("WHARF_DATA_DIR", &data)
            .env("WHARF_DATABASE_URL", &db.url)
            .env("WHARF_LOG", "warn")
            .stdin(Stdio::piped());
        c
    };
    let mut add = cli(&["user", "add", "admin", "--admin", "--password-stdin"])
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut add.stdin.take().unwrap(), PW.as_bytes()).unwrap();
    assert!(add.wait().unwrap().success());
    let out = cli(&["token", "add", "admin", "ci"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    // One after the other: the first creates the keys in the shared data dir.
    let log = dir.path().join("wharf.log");
    let a = serve(&config, &data, &db.url, std::fs::File::create(&log).unwrap(), &[]).await;
    let b = serve(
        &config,
        &data,
        &db.url,
        std::fs::File::options().append(true).open(&log).unwrap(),
        &[],
    )
    .await;
    let admin = Client::at(&a.url, Some(format!("Bearer {token}")));
    admin
        .ok(Method::POST, "/api/v1/teams", Some(json!({"name": "ops"})))
        .await;
    admin
        .ok(
            Method::POST,
            "/api/v1/namespaces",
            Some(json!({"team": "ops", "name": "ops", "visibility": "private"})),
        )
        .await;
    let rx = Receiver::start().await;
    // Slow enough that both processes have deliveries in flight at once.
    rx.state.delay_ms.store(15, Ordering::SeqCst);
    admin
        .ok(
            Method::POST,
            "/api/v1/namespaces/ops/webhooks",
            Some(json!({"url": format!("{}/hook", rx.url), "events": ["push"], "secret": SECRET})),
        )
        .await;

    // Notifications go to both processes (as replicas behind a load balancer send them),
    // and each is sent twice, once to each process (a registry retrying elsewhere).
    let secret = std::fs::read_to_string(data.join("notification-secret"))
        .unwrap()
        .trim()
        .to_owned();
    let http = reqwest::Client::new();
    let envelopes: Vec<Value> = (0..EVENTS / 5)
        .map(|batch| {
            let events: Vec<Value> = (0..5)
                .map(|i| {
                    let n = batch * 5 + i;
                    push_event(
                        &format!("event-{n}"),
                        &format!("2026-12-01T10:{:02}:{:02}Z", n / 60, n % 60),
                        "ops/app",
                        &format!("t{n}"),
                        &format!("sha256:{n:064x}"),
                        "application/vnd.oci.image.manifest.v1+json",
                    )
                })
                .collect();
            json!({ "events": events })
        })
        .collect();
    for round in 0..2 {
        for (i, envelope) in envelopes.iter().enumerate() {
            let to = if (i + round) % 2 == 0 { &a.url } else { &b.url };
            let resp = http
                .post(format!("{to}/v2/webhooks/events"))
                .header("authorization", format!("Bearer {secret}"))
                .header("content-type", "application/vnd.docker.distribution.events.v1+json")
                .json(envelope)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        }
    }

    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    let count = |sql: &'static str| {
        let conn = conn.clone();
        async move { crate::helpers::scalar::<i64>(&conn, sql).await }
    };
    eventually("every delivery to succeed", 60, || async {
        let done = count("SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'").await;
        (done as usize == EVENTS).then_some(())
    })
    .await;
    // Anything delivered twice would arrive within this.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got = rx.at("/hook");
    let event_ids: BTreeSet<String> = got
        .iter()
        .map(|r| r.json()["event_id"].as_str().unwrap().to_owned())
        .collect();
    let delivery_ids: BTreeSet<&str> = got.iter().map(|r| r.header("x-wharf-delivery")).collect();
    assert_eq!(got.len(), EVENTS, "each event exactly once");
    assert_eq!(event_ids.len(), EVENTS);
    assert_eq!(delivery_ids.len(), EVENTS);
    assert!(got.iter().all(|r| signed_by(r, SECRET)));
    assert_eq!(count("SELECT count(*) FROM webhook_deliveries").await as usize, EVENTS);
    assert_eq!(count("SELECT count(*) FROM webhook_attempts").await as usize, EVENTS);
    assert_eq!(
        count("SELECT count(DISTINCT worker) FROM webhook_attempts").await,
        2,
        "both processes delivered"
    );
    conn.close().await.ok();
    drop((a, b));
    db.drop_db().await;
}

/// A listener posing as an HTTP proxy: counts connections and answers each with a 502.
async fn fake_proxy() -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let _ = conn
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (url, hits, task)
}

/// The outbound client ignores proxy variables: a proxy would be connected to instead of the
/// target, past the guarded resolver, and would see every delivery with its credentials. The
/// variables are set on a `wharf serve` process of its own so no other test sees them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_ignore_proxy_variables() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::fresh(DbKind::Sqlite, dir.path()).await;
    let data = dir.path().join("data");
    let config = dir.path().join("wharf.toml");
    std::fs::write(&config, "webhook_allow = [\"127.0.0.0/8\"]\nwebhook_poll_ms = 50\n").unwrap();
    let cli = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_wharf"));
        c.arg("--config")
            .arg(&config)
            .args(args)
            .env("WHARF_DATA_DIR", &data)
            .env("WHARF_DATABASE_URL", &db.url)
            .env("WHARF_LOG", "warn")
            .stdin(Stdio::piped());
        c
    };
    let mut add = cli(&["user", "add", "admin", "--admin", "--password-stdin"])
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut add.stdin.take().unwrap(), PW.as_bytes()).unwrap();
    assert!(add.wait().unwrap().success());
    let out = cli(&["token", "add", "admin", "ci"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let (proxy, proxied, proxy_task) = fake_proxy().await;
    let mut env: Vec<(&str, &str)> = [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .into_iter()
    .map(|k| (k, proxy.as_str()))
    .collect();
    // Nothing exempts loopback: without the fix the delivery would go to the proxy.
    env.extend([("NO_PROXY", ""), ("no_proxy", "")]);
    let wharf = serve(
        &config,
        &data,
        &db.url,
        std::fs::File::create(dir.path().join("wharf.log")).unwrap(),
        &env,
    )
    .await;
    let admin = Client::at(&wharf.url, Some(format!("Bearer {token}")));
    admin
        .ok(Method::POST, "/api/v1/teams", Some(json!({"name": "ops"})))
        .await;
    admin
        .ok(
            Method::POST,
            "/api/v1/namespaces",
            Some(json!({"team": "ops", "name": "ops", "visibility": "private"})),
        )
        .await;
    let rx = Receiver::start().await;
    let hook = admin
        .ok(
            Method::POST,
            "/api/v1/namespaces/ops/webhooks",
            Some(json!({"url": format!("{}/hook", rx.url), "events": ["push"], "secret": SECRET})),
        )
        .await;
    let id = hook["id"].as_i64().unwrap();
    admin
        .ok(Method::POST, &format!("/api/v1/webhooks/{id}/test"), None)
        .await;
    let attempt = eventually("the ping's first attempt", 30, || async {
        let log = admin.get(&format!("/api/v1/webhooks/{id}/deliveries")).await.1;
        let first = log["items"][0]["attempt_log"][0].clone();
        (!first.is_null()).then_some(first)
    })
    .await;
    assert_eq!(proxied.load(Ordering::SeqCst), 0, "the proxy was used: {attempt}");
    assert_eq!(attempt["status_code"], 200, "{attempt}");
    let got = rx.at("/hook");
    assert_eq!(got.len(), 1);
    assert!(signed_by(&got[0], SECRET));
    proxy_task.abort();
    drop(wharf);
}
