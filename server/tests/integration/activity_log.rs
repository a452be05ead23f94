//! Client addresses in the activity log say where a person was: administrators see them all,
//! a user sees those of what they did themselves, and nobody else sees any — in the REST API,
//! the console's server functions (log and dashboard) and the exports. SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::{json, Value};
use wharf_app::backend::events::MANIFEST_MEDIA_TYPES;

use crate::console::Browser;
use crate::helpers::{DbKind, TestWharf};
use crate::registry_events::{push, secret, Sender};
use crate::rest_api::Client;

const PW: &str = "correct horse battery staple";
const DIGEST: &str = "sha256:5555555555555555555555555555555555555555555555555555555555555555";
/// What the REST API and the console record for a loopback client.
const ME: &str = "127.0.0.1";
/// `request.addr` of the registry notification fixture.
const PUSHER: &str = "127.0.0.1:5555";

/// The `client_addr` of the first entry of `kind` in a list of activity rows.
fn addr_of(rows: &Value, kind: &str) -> Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {rows}"))["client_addr"]
        .clone()
}

async fn export(w: &TestWharf, b: &Browser, format: &str) -> String {
    let r = reqwest::Client::new()
        .get(format!(
            "{}/console/activity/export?format={format}&namespace=devs",
            w.url
        ))
        .header("cookie", b.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

async fn scenario(kind: DbKind) {
    let w = TestWharf::start(kind).await;
    for (name, admin) in [("admin", true), ("alice", false), ("bob", false)] {
        w.add_user(name, PW, admin).await;
    }
    w.cli_ok(&["team", "add", "devs", "--owner", "alice"], None).await;
    w.cli_ok(&["team", "member", "add", "devs", "bob", "--role", "viewer"], None)
        .await;
    w.cli_ok(&["namespace", "add", "devs", "--team", "devs"], None).await;
    let mut rest = Vec::new();
    for name in ["admin", "alice", "bob"] {
        let token = w.cli_ok(&["token", "add", name, "ci"], None).await.trim().to_owned();
        rest.push(Client::bearer(&w, &token));
    }
    w.settle().await;

    // Alice changes her namespace (an entry with her address); the registry reports a push
    // (an address, but of nobody wharf can vouch for).
    rest[1]
        .ok(
            Method::PATCH,
            "/api/v1/namespaces/devs",
            Some(json!({"description": "ours"})),
        )
        .await;
    let sender = Sender {
        w: &w,
        http: reqwest::Client::new(),
        secret: secret(&w),
    };
    let ev = push(
        "p1",
        "2026-11-01T10:00:00Z",
        "devs/app",
        "1",
        DIGEST,
        MANIFEST_MEDIA_TYPES[2],
    );
    assert_eq!(sender.send(&[ev]).await.0, 200);

    // (reader, address on alice's change, address on the push)
    let expected = [
        ("admin", json!(ME), json!(PUSHER)),
        ("alice", json!(ME), Value::Null),
        ("bob", Value::Null, Value::Null),
    ];

    // The REST API.
    for (client, (who, change, pushed)) in rest.iter().zip(&expected) {
        let page = client.ok(Method::GET, "/api/v1/activities?namespace=devs", None).await;
        assert_eq!(&addr_of(&page["items"], "namespace.updated"), change, "{who}: {page}");
        assert_eq!(&addr_of(&page["items"], "image.pushed"), pushed, "{who}: {page}");
    }

    // The console: the log, the dashboard, and both exports.
    for (who, change, pushed) in &expected {
        let mut b = Browser::signed_in(&w, who, PW).await;
        let page = b.ok("list_activities", &[("namespace", "devs")]).await;
        assert_eq!(&addr_of(&page["items"], "namespace.updated"), change, "{who}: {page}");
        assert_eq!(&addr_of(&page["items"], "image.pushed"), pushed, "{who}: {page}");
        let dash = b.ok("dashboard", &[]).await;
        assert_eq!(
            &addr_of(&dash["activity"], "namespace.updated"),
            change,
            "{who}: {dash}"
        );
        let json: Value = serde_json::from_str(&export(&w, &b, "json").await).unwrap();
        assert_eq!(&addr_of(&json, "namespace.updated"), change, "{who}: {json}");
        assert_eq!(&addr_of(&json, "image.pushed"), pushed, "{who}: {json}");
        let csv = export(&w, &b, "csv").await;
        assert_eq!(csv.contains(PUSHER), pushed.is_string(), "{who}: {csv}");
        assert_eq!(csv.contains(&format!(",{ME}\r\n")), change.is_string(), "{who}: {csv}");
    }
    w.stop().await;
}

#[tokio::test]
async fn activity_addresses_on_sqlite() {
    scenario(DbKind::Sqlite).await;
}

#[tokio::test]
async fn activity_addresses_on_postgres() {
    scenario(DbKind::Postgres).await;
}
