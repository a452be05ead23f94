//! `/api/v1` as a CI job would use it: application tokens (Bearer and Basic), read-only
//! tokens, the same policy as the console, JSON errors with the right statuses, pagination,
//! filters, sorting, a tag deleted from a real registry, and an OpenAPI document that lists
//! exactly the operations the server answers. SQLite and PostgreSQL.

use std::collections::BTreeSet;

use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{eventually, run, DbKind, TestRegistry, TestWharf};
use crate::oci;

const PW: &str = "correct horse battery staple";

/// A client with one way of authenticating.
#[derive(Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    auth: Option<String>,
}

impl Client {
    pub(crate) fn new(w: &TestWharf, auth: Option<String>) -> Client {
        Client::at(&w.url, auth)
    }

    /// A client of the wharf at `base` (another process than a [`TestWharf`]).
    pub(crate) fn at(base: &str, auth: Option<String>) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            auth,
        }
    }

    pub(crate) fn bearer(w: &TestWharf, token: &str) -> Client {
        Client::new(w, Some(format!("Bearer {token}")))
    }

    pub(crate) fn basic(w: &TestWharf, user: &str, secret: &str) -> Client {
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
        Client::new(w, Some(format!("Basic {b64}")))
    }

    pub(crate) async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(a) = &self.auth {
            req = req.header("authorization", a);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} answered non-JSON ({e}): {text}"))
        };
        // Readiness answers 503 with its own documented body while no replica is up.
        let readiness = path == "/api/v1/health" && status == 503;
        if status >= 400 && !readiness {
            let e = &value["error"];
            assert!(
                e["code"].is_string() && e["message"].is_string() && e["details"].is_object(),
                "{path}: error body is not {{error:{{code,message,details}}}}: {value}"
            );
        }
        (status, value)
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        self.send(Method::GET, path, None).await
    }

    pub(crate) async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.send(method.clone(), path, body).await;
        assert!((200..300).contains(&status), "{method} {path}: {status} {v}");
        v
    }

    pub(crate) async fn fails(&self, method: Method, path: &str, body: Option<Value>, want: u16) -> Value {
        let (status, v) = self.send(method.clone(), path, body).await;
        assert_eq!(status, want, "{method} {path}: {v}");
        v
    }
}

async fn scenario(kind: DbKind) {
    let w = TestWharf::start(kind).await;
    w.add_user("admin", PW, true).await;
    w.add_user("alice", PW, false).await;
    w.add_user("bob", PW, false).await;
    let admin_token = w.cli_ok(&["token", "add", "admin", "ci"], None).await.trim().to_owned();
    let alice_token = w.cli_ok(&["token", "add", "alice", "ci"], None).await.trim().to_owned();
    let bob_token = w.cli_ok(&["token", "add", "bob", "ci"], None).await.trim().to_owned();
    w.settle().await;
    let anon = Client::new(&w, None);
    let admin = Client::bearer(&w, &admin_token);
    let alice = Client::bearer(&w, &alice_token);
    let bob = Client::bearer(&w, &bob_token);

    // Authentication: Bearer and Basic with a token work; passwords and bad tokens do not.
    let me = admin.ok(Method::GET, "/api/v1/user", None).await;
    assert_eq!(me["name"], "admin");
    assert_eq!(me["admin"], true);
    let me = Client::basic(&w, "alice", &alice_token)
        .ok(Method::GET, "/api/v1/user", None)
        .await;
    assert_eq!(me["name"], "alice");
    let refused = Client::basic(&w, "alice", PW)
        .fails(Method::GET, "/api/v1/user", None, 401)
        .await;
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("application token"));
    Client::bearer(&w, "wharf_at_not-a-real-token")
        .fails(Method::GET, "/api/v1/user", None, 401)
        .await;
    let resp = reqwest::get(format!("{}/api/v1/user", w.url)).await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer realm=\"wharf\"");
    Client::new(&w, Some("Digest x".into()))
        .fails(Method::GET, "/api/v1/user", None, 400)
        .await;

    // Users (administrators only), with the console's rules and clear errors.
    anon.fails(Method::GET, "/api/v1/users", None, 401).await;
    alice.fails(Method::GET, "/api/v1/users", None, 403).await;
    let body = json!({"name": "carol", "email": "carol@example.org", "password": PW});
    let carol = admin.send(Method::POST, "/api/v1/users", Some(body.clone())).await;
    assert_eq!(carol.0, 201, "{}", carol.1);
    assert_eq!(carol.1["name"], "carol");
    admin.fails(Method::POST, "/api/v1/users", Some(body), 409).await;
    admin
        .fails(Method::POST, "/api/v1/users", Some(json!({"name": "dave"})), 422)
        .await;
    admin
        .fails(
            Method::POST,
            "/api/v1/users",
            Some(json!({"name": "Bad Name!", "password": PW})),
            400,
        )
        .await;
    let (status, _) = raw(&admin, Method::POST, "/api/v1/users", "application/json", "{not json").await;
    assert_eq!(status, 400);
    let (status, body) = raw(&admin, Method::POST, "/api/v1/users", "text/plain", "{}").await;
    assert_eq!(status, 415);
    assert_eq!(body["error"]["code"], "unsupported_media_type", "{body}");
    let page = admin.ok(Method::GET, "/api/v1/users?per_page=2&page=2", None).await;
    assert_eq!(page["total"], 4);
    assert_eq!(page["page"], 2);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let found = admin.ok(Method::GET, "/api/v1/users?q=car", None).await;
    assert_eq!(found["total"], 1);
    admin.fails(Method::GET, "/api/v1/users?page=x", None, 400).await;
    // Pages out of range are refused everywhere, never wrapped into another offset.
    for q in [
        "page=0",
        "page=1000001",
        "page=18446744073709551615",
        "per_page=0",
        "per_page=101",
    ] {
        for list in ["users", "activities", "namespaces", "repositories", "teams", "tokens"] {
            let v = admin
                .fails(Method::GET, &format!("/api/v1/{list}?{q}"), None, 400)
                .await;
            assert!(
                v["error"]["message"].as_str().unwrap().contains("between 1 and"),
                "{list}?{q}: {v}"
            );
        }
    }
    let last = admin
        .ok(Method::GET, "/api/v1/users?page=1000000&per_page=100", None)
        .await;
    assert_eq!(last["items"], json!([]));
    let disabled = admin
        .ok(Method::PATCH, "/api/v1/users/carol", Some(json!({"disabled": true})))
        .await;
    assert_eq!(disabled["disabled"], true);
    admin
        .fails(Method::PATCH, "/api/v1/users/carol", Some(json!({})), 400)
        .await;
    admin
        .fails(Method::PATCH, "/api/v1/users/nobody", Some(json!({"admin": true})), 404)
        .await;

    // Teams and namespaces: alice builds her team's space through the API.
    let team = alice
        .send(
            Method::POST,
            "/api/v1/teams",
            Some(json!({"name": "devs", "description": "the devs"})),
        )
        .await;
    assert_eq!(team.0, 201, "{}", team.1);
    assert_eq!(team.1["members"][0]["user"], "alice");
    alice
        .ok(
            Method::PUT,
            "/api/v1/teams/devs/members/bob",
            Some(json!({"role": "viewer"})),
        )
        .await;
    alice
        .fails(
            Method::PUT,
            "/api/v1/teams/devs/members/bob",
            Some(json!({"role": "boss"})),
            422,
        )
        .await;
    bob.fails(
        Method::PATCH,
        "/api/v1/teams/devs",
        Some(json!({"description": "mine"})),
        403,
    )
    .await;
    let ns = alice
        .send(
            Method::POST,
            "/api/v1/namespaces",
            Some(json!({"team": "devs", "name": "devs", "visibility": "private"})),
        )
        .await;
    assert_eq!(ns.0, 201, "{}", ns.1);
    let teams = bob.ok(Method::GET, "/api/v1/teams?mine=true", None).await;
    assert_eq!(teams["total"], 1);
    assert_eq!(teams["items"][0]["my_role"], "viewer");
    let changed = alice
        .ok(
            Method::PATCH,
            "/api/v1/namespaces/devs",
            Some(json!({"visibility": "protected"})),
        )
        .await;
    assert_eq!(changed["summary"]["visibility"], "protected");
    // Anonymous visitors do not learn that a protected namespace exists.
    anon.fails(Method::GET, "/api/v1/namespaces/devs", None, 404).await;

    // Tokens: made through the API; read-only ones may only read.
    let created = alice
        .send(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "reader", "read_only": true, "expires_in_days": 30})),
        )
        .await;
    assert_eq!(created.0, 201, "{}", created.1);
    let reader = Client::bearer(&w, created.1["token"].as_str().unwrap());
    assert_eq!(reader.ok(Method::GET, "/api/v1/user", None).await["name"], "alice");
    let refused = reader
        .fails(Method::POST, "/api/v1/teams", Some(json!({"name": "x"})), 403)
        .await;
    assert!(refused["error"]["message"].as_str().unwrap().contains("read-only"));
    reader.fails(Method::DELETE, "/api/v1/tokens/reader", None, 403).await;
    let tokens = alice.ok(Method::GET, "/api/v1/tokens", None).await;
    assert_eq!(tokens["total"], 2);
    assert!(
        !tokens.to_string().contains("wharf_at_"),
        "token secrets are never listed: {tokens}"
    );

    // Images pushed to a real registry appear; repositories and tags paginate and sort.
    let registry = TestRegistry::start(&w).await;
    let work = tempfile::tempdir().unwrap();
    let image = work.path().join("image");
    oci::write_image(&image, "v1", "hello from the API test");
    for repo_tag in ["devs/app:1", "devs/app:2", "devs/tool:1"] {
        let (ok, out) = run(tokio::process::Command::new("skopeo")
            .env("REGISTRY_AUTH_FILE", work.path().join("no-auth.json"))
            .args(["copy", "--dest-tls-verify=false", "--dest-creds"])
            .arg(format!("alice:{alice_token}"))
            .arg(format!("oci:{}:v1", image.display()))
            .arg(format!("docker://{}/{repo_tag}", registry.host)))
        .await;
        assert!(ok, "push {repo_tag}: {out}\n{}", registry.log_text());
    }
    eventually("three tags recorded", 20, || async {
        let p = alice.get("/api/v1/repositories?namespace=devs").await.1;
        let tags: u64 = p["items"]
            .as_array()?
            .iter()
            .map(|r| r["tag_count"].as_u64().unwrap_or(0))
            .sum();
        (tags == 3).then_some(())
    })
    .await;
    let first = alice
        .ok(
            Method::GET,
            "/api/v1/repositories?namespace=devs&per_page=1&sort=name",
            None,
        )
        .await;
    assert_eq!(first["total"], 2);
    assert_eq!(first["items"][0]["full_name"], "devs/app");
    let second = alice
        .ok(
            Method::GET,
            "/api/v1/repositories?namespace=devs&per_page=1&page=2&sort=name",
            None,
        )
        .await;
    assert_eq!(second["items"][0]["full_name"], "devs/tool");
    alice
        .fails(Method::GET, "/api/v1/repositories?sort=sideways", None, 400)
        .await;
    let tags = alice
        .ok(Method::GET, "/api/v1/repositories/devs%2Fapp/tags?sort=name", None)
        .await;
    assert_eq!(tags["total"], 2);
    assert_eq!(tags["items"][0]["row"]["tag"], "1");
    // Both tags are the same image: the one digest lists the other tag.
    assert_eq!(tags["items"][0]["same_digest"], json!(["2"]));
    let repo = alice
        .ok(
            Method::PATCH,
            "/api/v1/repositories/devs%2Ftool",
            Some(json!({"description": "# Tool", "starred": true})),
        )
        .await;
    assert_eq!(repo["starred"], true);
    assert!(repo["description_html"].as_str().unwrap().contains("<h1>"));

    // Deleting: bob (viewer) may not; alice may, and the registry loses the image too.
    bob.fails(Method::DELETE, "/api/v1/repositories/devs%2Ftool/tags/1", None, 403)
        .await;
    alice
        .fails(
            Method::DELETE,
            "/api/v1/repositories/devs%2Ftool/tags/1?digest=sha256:0000000000000000000000000000000000000000000000000000000000000000",
            None,
            409,
        )
        .await;
    let deleted = alice
        .ok(Method::DELETE, "/api/v1/repositories/devs%2Ftool/tags/1", None)
        .await;
    assert_eq!(deleted["tags"], json!(["1"]));
    let manifest = reqwest::Client::new()
        .get(format!("http://{}/v2/devs/tool/manifests/1", registry.host))
        .send()
        .await
        .unwrap();
    assert_eq!(manifest.status(), 401, "the registry still demands a token");
    let left = alice
        .ok(Method::GET, "/api/v1/repositories/devs%2Ftool/tags", None)
        .await;
    assert_eq!(left["total"], 0);
    alice
        .fails(Method::GET, "/api/v1/repositories/devs%2Fnope", None, 404)
        .await;

    // The activity log, filtered.
    let pushes = alice
        .ok(Method::GET, "/api/v1/activities?kind=image.&namespace=devs", None)
        .await;
    assert!(pushes["total"].as_u64().unwrap() >= 4, "{pushes}");
    let mine = admin
        .ok(Method::GET, "/api/v1/activities?user=alice&kind=team.", None)
        .await;
    assert!(mine["items"].as_array().unwrap().iter().all(|a| a["actor"] == "alice"));
    admin
        .fails(Method::GET, "/api/v1/activities?from=yesterday", None, 400)
        .await;

    // Registries and health: administrators only, and the detail only for them.
    alice.fails(Method::GET, "/api/v1/registries", None, 403).await;
    let overview = admin.ok(Method::GET, "/api/v1/registries", None).await;
    assert_eq!(overview["replicas"].as_array().unwrap().len(), 1);
    let run = admin.ok(Method::POST, "/api/v1/registries/sync", Some(json!({}))).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let health = eventually("the replica probed up", 20, || async {
        let (s, h) = admin.get("/api/v1/health").await;
        (s == 200).then_some(h)
    })
    .await;
    assert_eq!(health["checks"]["database"]["ok"], true);
    assert!(alice.get("/api/v1/health").await.1.get("checks").is_none());

    // Unknown endpoints and methods answer JSON too.
    admin.fails(Method::GET, "/api/v1/nothing-here", None, 404).await;
    let refused = admin.fails(Method::PUT, "/api/v1/users", None, 405).await;
    assert_eq!(refused["error"]["code"], "method_not_allowed", "{refused}");

    documented_operations_exist(&w, &admin).await;
    drop(registry);
    w.stop().await;
}

async fn raw(c: &Client, method: Method, path: &str, content_type: &str, body: &str) -> (u16, Value) {
    let resp = c
        .http
        .request(method, format!("{}{path}", c.base))
        .header("authorization", c.auth.clone().unwrap())
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let v: Value = resp.json().await.unwrap();
    assert!(v["error"]["code"].is_string(), "{v}");
    (status, v)
}

/// The served document is the committed one, and every operation it lists is answered by
/// the server with one of the statuses it documents (never 404/405 from a missing route).
async fn documented_operations_exist(w: &TestWharf, admin: &Client) {
    let served = admin.ok(Method::GET, "/api/v1/openapi.json", None).await;
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(served, committed, "the served document is docs/openapi.json");
    assert!(served["openapi"].as_str().unwrap().starts_with("3."));
    let mut seen = BTreeSet::new();
    for (path, item) in served["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let documented: BTreeSet<u16> = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(|k| k.parse().unwrap())
                .collect();
            // Placeholder path parameters: names nobody has (404s are documented everywhere).
            let url = path
                .replace("{name}", "no-such-thing")
                .replace("{user}", "no-such-user")
                .replace("{tag}", "no-such-tag")
                .replace("{id}", "999999")
                .replace("{delivery}", "999999");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = op.get("requestBody").map(|_| json!({}));
            let (status, v) = admin.send(m, &url, body).await;
            assert!(
                documented.contains(&status),
                "{method} {path} answered {status} ({v}); documented: {documented:?}"
            );
            if status == 404 || status == 405 {
                assert_ne!(
                    v["error"]["message"].as_str().unwrap_or_default(),
                    "no such API endpoint; see /api/v1/openapi.json"
                );
            }
            seen.insert(format!("{method} {path}"));
        }
    }
    assert!(seen.len() >= 25, "documented operations: {seen:?}");
    let _ = w;
}

#[tokio::test]
async fn rest_api_on_sqlite() {
    scenario(DbKind::Sqlite).await;
}

#[tokio::test]
async fn rest_api_on_postgres() {
    scenario(DbKind::Postgres).await;
}
