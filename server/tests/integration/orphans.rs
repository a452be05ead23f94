//! Orphan repositories (in the registry under a namespace wharf did not know) are adopted only
//! by an administrator's explicit act: creating a namespace or a user of that name gives its
//! creator nothing — no adoption, no pull, push or delete through `/v2/token`. The REST API
//! adopts (the console and the CLI are tested in `console` and `registry_events`), and every
//! adoption is in the activity log. SQLite and PostgreSQL.

use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use wharf_app::backend::events::MANIFEST_MEDIA_TYPES;

use crate::helpers::{DbKind, TestWharf};
use crate::registry_events::{push, secret, Sender};
use crate::rest_api::Client;

const PW: &str = "correct horse battery staple";
const DIGEST: &str = "sha256:4444444444444444444444444444444444444444444444444444444444444444";

/// What `/v2/token` grants `user` of `scopes` (the token's `access` claim; the signature is
/// checked by the token endpoint tests).
async fn granted(w: &TestWharf, user: &str, scopes: &[&str]) -> Vec<(String, Vec<String>)> {
    let mut url = format!("{}/v2/token?service={}", w.url, w.config.service);
    for s in scopes {
        url.push_str(&format!("&scope={s}"));
    }
    let r = reqwest::Client::new()
        .get(url)
        .basic_auth(user, Some(PW))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let payload = body["token"].as_str().unwrap().split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    let mut access: Vec<(String, Vec<String>)> = claims["access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let mut actions: Vec<String> = e["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect();
            actions.sort();
            (e["name"].as_str().unwrap().to_owned(), actions)
        })
        .collect();
    access.sort();
    access
}

fn orphan_names(overview: &Value) -> Vec<&str> {
    overview["orphans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect()
}

fn actions(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

async fn scenario(kind: DbKind) {
    let w = TestWharf::start(kind).await;
    w.add_user("admin", PW, true).await;
    w.add_user("mallory", PW, false).await;
    let admin_token = w.cli_ok(&["token", "add", "admin", "ci"], None).await.trim().to_owned();
    let mallory_token = w
        .cli_ok(&["token", "add", "mallory", "ci"], None)
        .await
        .trim()
        .to_owned();
    w.settle().await;
    let admin = Client::bearer(&w, &admin_token);
    let mallory = Client::bearer(&w, &mallory_token);

    // Images pushed under namespaces wharf does not know are kept as orphans.
    let sender = Sender {
        w: &w,
        http: reqwest::Client::new(),
        secret: secret(&w),
    };
    let events: Vec<Value> = ["legacy/app", "carol/tool", "gone/x"]
        .iter()
        .enumerate()
        .map(|(i, repo)| {
            push(
                &format!("o{i}"),
                "2026-11-01T10:00:00Z",
                repo,
                "1",
                DIGEST,
                MANIFEST_MEDIA_TYPES[2],
            )
        })
        .collect();
    let (status, body) = sender.send(&events).await;
    assert_eq!(status, 200, "{body}");

    // Any user may make a team and a namespace called `legacy`: the orphan stays an orphan...
    let team = mallory
        .send(Method::POST, "/api/v1/teams", Some(json!({"name": "squat"})))
        .await;
    assert_eq!(team.0, 201, "{}", team.1);
    let ns = mallory
        .send(
            Method::POST,
            "/api/v1/namespaces",
            Some(json!({"team": "squat", "name": "legacy", "visibility": "private"})),
        )
        .await;
    assert_eq!(ns.0, 201, "{}", ns.1);
    // ...even when the registry reports it again.
    let again = push(
        "o9",
        "2026-11-01T10:05:00Z",
        "legacy/app",
        "2",
        DIGEST,
        MANIFEST_MEDIA_TYPES[2],
    );
    assert_eq!(sender.send(&[again]).await.0, 200);
    let overview = admin.ok(Method::GET, "/api/v1/registries", None).await;
    assert_eq!(orphan_names(&overview), ["carol/tool", "gone/x", "legacy/app"]);
    let listed = mallory
        .ok(Method::GET, "/api/v1/repositories?namespace=legacy", None)
        .await;
    assert_eq!(listed["total"], 0, "{listed}");
    // The namespace is hers for new repositories, but the orphan gets her nothing.
    assert_eq!(
        granted(
            &w,
            "mallory",
            &[
                "repository:legacy/app:pull,push,delete",
                "repository:legacy/new:pull,push"
            ]
        )
        .await,
        [("legacy/new".to_owned(), actions(&["pull", "push"]))]
    );

    // A user named like an orphan's namespace does not get it either.
    let carol = admin
        .send(
            Method::POST,
            "/api/v1/users",
            Some(json!({"name": "carol", "email": "carol@example.org", "password": PW})),
        )
        .await;
    assert_eq!(carol.0, 201, "{}", carol.1);
    let overview = admin.ok(Method::GET, "/api/v1/registries", None).await;
    assert_eq!(orphan_names(&overview), ["carol/tool", "gone/x", "legacy/app"]);
    assert!(granted(&w, "carol", &["repository:carol/tool:pull,push,delete"])
        .await
        .is_empty());

    // Only administrators adopt.
    mallory
        .fails(Method::POST, "/api/v1/orphans/legacy/adopt", Some(json!({})), 403)
        .await;
    Client::new(&w, None)
        .fails(Method::POST, "/api/v1/orphans/legacy/adopt", Some(json!({})), 401)
        .await;
    // An existing namespace is adopted into as it is; naming another team than its owner is
    // refused rather than silently giving the images to whoever took the name.
    admin
        .ok(Method::POST, "/api/v1/teams", Some(json!({"name": "platform"})))
        .await;
    admin
        .fails(
            Method::POST,
            "/api/v1/orphans/legacy/adopt",
            Some(json!({"team": "platform"})),
            409,
        )
        .await;
    // A missing namespace needs a team to be created in.
    admin
        .fails(Method::POST, "/api/v1/orphans/gone/adopt", Some(json!({})), 404)
        .await;
    let adopted = admin
        .ok(Method::POST, "/api/v1/orphans/legacy/adopt", Some(json!({})))
        .await;
    assert_eq!(
        adopted,
        json!({"namespace": "legacy", "created": false, "repositories": ["legacy/app"]})
    );
    let adopted = admin
        .ok(
            Method::POST,
            "/api/v1/orphans/gone/adopt",
            Some(json!({"team": "platform"})),
        )
        .await;
    assert_eq!(
        adopted,
        json!({"namespace": "gone", "created": true, "repositories": ["gone/x"]})
    );
    let adopted = admin
        .ok(Method::POST, "/api/v1/orphans/carol/adopt", Some(json!({})))
        .await;
    assert_eq!(adopted["repositories"], json!(["carol/tool"]));
    assert_eq!(
        orphan_names(&admin.ok(Method::GET, "/api/v1/registries", None).await),
        Vec::<&str>::new()
    );

    // Adopted, the repository is the namespace's like any other: the admin decided.
    let listed = mallory
        .ok(Method::GET, "/api/v1/repositories?namespace=legacy", None)
        .await;
    assert_eq!(listed["items"][0]["full_name"], "legacy/app");
    assert_eq!(
        granted(&w, "mallory", &["repository:legacy/app:pull,push"]).await,
        [("legacy/app".to_owned(), actions(&["pull", "push"]))]
    );

    // Every adoption is in the activity log, with who did it.
    let log = admin
        .ok(Method::GET, "/api/v1/activities?kind=repository.adopted", None)
        .await;
    let mut targets: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["actor"], "admin", "{a}");
            a["target"].as_str().unwrap()
        })
        .collect();
    targets.sort();
    assert_eq!(targets, ["carol/tool", "gone/x", "legacy/app"]);
    w.stop().await;
}

#[tokio::test]
async fn orphans_are_adopted_only_by_admins_on_sqlite() {
    scenario(DbKind::Sqlite).await;
}

#[tokio::test]
async fn orphans_are_adopted_only_by_admins_on_postgres() {
    scenario(DbKind::Postgres).await;
}
