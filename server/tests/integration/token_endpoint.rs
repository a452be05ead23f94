//! `/v2/token` over HTTP: claims, grants, and every kind of bad input.

use base64::Engine;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};

use crate::helpers::{DbKind, TestWharf};

const PW: &str = "correct-horse-battery";

async fn world(kind: DbKind) -> TestWharf {
    let w = TestWharf::start_with(kind, |c| {
        c.login_failures_before_backoff = 2;
        c.login_backoff_max_secs = 2;
    })
    .await;
    w.add_user("root", PW, true).await;
    w.add_user("alice", PW, false).await;
    w.add_user("carol", PW, false).await;
    w.cli_ok(&["team", "add", "devs", "--owner", "alice"], None).await;
    w.cli_ok(
        &["team", "member", "add", "devs", "carol", "--role", "contributor"],
        None,
    )
    .await;
    w.cli_ok(&["namespace", "add", "devs", "--team", "devs"], None).await;
    w
}

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

async fn token(w: &TestWharf, auth: Option<&str>, query: &str) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}/v2/token?{query}", w.url));
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    req.send().await.unwrap()
}

/// Decodes a token, verifying its signature with the certificate wharf generated.
fn verify(w: &TestWharf, token: &str) -> (jsonwebtoken::Header, serde_json::Value) {
    let header = jsonwebtoken::decode_header(token).unwrap();
    let cert = std::fs::read(w.data_dir.join("token.crt")).unwrap();
    let key = jsonwebtoken::DecodingKey::from_ec_pem(&cert).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.set_audience(&[&w.config.service]);
    v.set_issuer(&[&w.config.issuer]);
    let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &v).expect("valid signature and claims");
    (header, data.claims)
}

async fn access_of(w: &TestWharf, user: &str, query: &str) -> serde_json::Value {
    let r = token(w, Some(&basic(user, PW)), query).await;
    assert_eq!(r.status(), 200, "{query}");
    let body: serde_json::Value = r.json().await.unwrap();
    verify(w, body["token"].as_str().unwrap()).1["access"].clone()
}

async fn claims_and_grants(kind: DbKind) {
    let w = world(kind).await;
    let svc = format!("service={}", w.config.service);

    // The token has the shape registry 2.8 checks.
    let r = token(
        &w,
        Some(&basic("alice", PW)),
        &format!("{svc}&scope=repository:devs/app:pull,push&account=someone-else"),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["token"], body["access_token"]);
    assert_eq!(body["expires_in"], 300);
    assert!(body["issued_at"].as_str().unwrap().contains('T'));
    assert!(body.get("refresh_token").is_none(), "GET never returns refresh tokens");
    let (header, claims) = verify(&w, body["token"].as_str().unwrap());
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(header.kid.as_deref().unwrap().split(':').count(), 12, "libtrust kid");
    assert_eq!(header.x5c.as_ref().unwrap().len(), 1);
    assert_eq!(
        claims["sub"], "alice",
        "sub is the authenticated user, not the account param"
    );
    assert!(claims["aud"].is_string());
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 300);
    assert!(claims["jti"].as_str().unwrap().len() >= 16);
    assert_eq!(
        claims["access"],
        serde_json::json!([{"type": "repository", "name": "devs/app", "actions": ["pull", "push"]}])
    );

    // Partial grants: the overlap, never an error.
    assert_eq!(
        access_of(
            &w,
            "carol",
            &format!("{svc}&scope=repository:devs/app:pull,push,delete")
        )
        .await,
        serde_json::json!([{"type": "repository", "name": "devs/app", "actions": ["pull", "push"]}])
    );
    assert_eq!(
        access_of(&w, "carol", &format!("{svc}&scope=repository:devs/app:*")).await,
        serde_json::json!([{"type": "repository", "name": "devs/app", "actions": ["pull", "push"]}])
    );
    // Several scopes, one refused entirely (alice's personal namespace for carol).
    assert_eq!(
        access_of(
            &w,
            "carol",
            &format!("{svc}&scope=repository:devs/app:pull&scope=repository:alice/x:pull,push")
        )
        .await,
        serde_json::json!([{"type": "repository", "name": "devs/app", "actions": ["pull"]}])
    );
    // host:port in the name is valid grammar, and grants nothing.
    assert_eq!(
        access_of(
            &w,
            "alice",
            &format!("{svc}&scope=repository:localhost:5000/devs/app:pull")
        )
        .await,
        serde_json::json!([])
    );
    // The catalog: admins only.
    assert_eq!(
        access_of(&w, "root", &format!("{svc}&scope=registry:catalog:*")).await,
        serde_json::json!([{"type": "registry", "name": "catalog", "actions": ["*"]}])
    );
    assert_eq!(
        access_of(&w, "alice", &format!("{svc}&scope=registry:catalog:*")).await,
        serde_json::json!([])
    );

    // Anonymous: a token, but nothing on a private namespace.
    let r = token(&w, None, &format!("{svc}&scope=repository:devs/app:pull")).await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    let (_, claims) = verify(&w, body["token"].as_str().unwrap());
    assert_eq!(claims["access"], serde_json::json!([]));
    assert_eq!(claims["sub"], "");

    w.stop().await;
}

async fn bad_input(kind: DbKind) {
    let w = world(kind).await;
    let svc = format!("service={}", w.config.service);
    let alice = basic("alice", PW);

    let expect_400 = |r: reqwest::Response, what: &'static str| async move {
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{what}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(
            body["errors"][0]["code"].is_string() && body["errors"][0]["message"].is_string(),
            "{what}: {body}"
        );
    };
    expect_400(
        token(&w, Some(&alice), &format!("{svc}&scope=repository:devs/app")).await,
        "malformed scope",
    )
    .await;
    expect_400(
        token(&w, Some(&alice), &format!("{svc}&scope=repository:Devs/App:pull")).await,
        "invalid name",
    )
    .await;
    expect_400(
        token(&w, Some(&alice), "service=some-other-registry").await,
        "unknown service",
    )
    .await;
    let many: String = (0..65).map(|i| format!("&scope=repository:devs/app{i}:pull")).collect();
    expect_400(
        token(&w, Some(&alice), &format!("{svc}{many}")).await,
        "too many scopes",
    )
    .await;
    expect_400(
        token(&w, Some(&alice), &format!("{svc}&scope=repository:devs/%FF:pull")).await,
        "non-UTF-8",
    )
    .await;
    expect_400(token(&w, Some("Basic %%%"), &svc).await, "garbage Basic header").await;
    let huge = "x".repeat(20_000);
    let r = reqwest::Client::new()
        .get(format!("{}/v2/token?{svc}", w.url))
        .header("X-Padding", huge)
        .send()
        .await
        .unwrap();
    assert!(
        r.status() == StatusCode::BAD_REQUEST || r.status() == StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "{}",
        r.status()
    );
    let r = reqwest::Client::new()
        .post(format!("{}/v2/token", w.url))
        .form(&[("grant_type", "magic")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "unknown grant type");

    // Wrong credentials: 401 with a Basic challenge and a JSON body; recorded as activity.
    let r = token(&w, Some(&basic("alice", "wrong-password")), &svc).await;
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic realm="));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "UNAUTHORIZED");
    let r = token(&w, Some(&basic("nobody", "whatever-pass")), &svc).await;
    assert_eq!(r.status(), 401);
    let db = Database::connect(&w.db.url).await.unwrap();
    let failures = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT actor_name FROM activities WHERE kind = 'login.failed'".to_owned(),
        ))
        .await
        .unwrap();
    assert_eq!(failures.len(), 2, "failed logins are audited");

    w.stop().await;
}

async fn revocation_and_backoff(kind: DbKind) {
    let w = world(kind).await;
    let svc = format!("service={}", w.config.service);
    let db = Database::connect(&w.db.url).await.unwrap();
    let status = |user: &str, secret: &str| {
        let auth = basic(user, secret);
        let w = &w;
        let svc = svc.clone();
        async move { token(w, Some(&auth), &svc).await.status() }
    };

    // A cached success does not outlive disabling the user.
    assert_eq!(status("carol", PW).await, 200);
    w.cli_ok(&["user", "disable", "carol"], None).await;
    w.settle().await;
    assert_eq!(status("carol", PW).await, 401, "disabled user");
    w.cli_ok(&["user", "enable", "carol"], None).await;
    w.settle().await;
    assert_eq!(status("carol", PW).await, 200, "enabled again");

    // Application tokens: work for their user only; revocation takes effect at once.
    let app_token = w
        .cli_ok(&["token", "add", "alice", "deploy"], None)
        .await
        .trim()
        .to_owned();
    assert_eq!(status("alice", &app_token).await, 200);
    assert_eq!(status("carol", &app_token).await, 401, "a token belongs to its user");
    let listed = w.cli_ok(&["token", "list", "alice"], None).await;
    assert!(listed.contains("deploy") && listed.contains("full"), "{listed}");
    w.cli_ok(&["token", "revoke", "alice", "deploy"], None).await;
    w.settle().await;
    assert_eq!(status("alice", &app_token).await, 401, "revoked token");

    // An expired token is refused.
    let expiring = w
        .cli_ok(&["token", "add", "alice", "expiring", "--expires", "1"], None)
        .await
        .trim()
        .to_owned();
    db.execute_unprepared("UPDATE app_tokens SET expires_at = '2000-01-01T00:00:00+00:00' WHERE name = 'expiring'")
        .await
        .unwrap();
    assert_eq!(status("alice", &expiring).await, 401, "expired token");

    // Backoff: after 2 failures the account waits (429) even with the right password, then
    // the right password works again.
    for _ in 0..2 {
        assert_eq!(status("alice", "bad-password").await, 401);
    }
    assert_eq!(status("alice", PW).await, 429, "account in backoff");
    w.advance_clock(std::time::Duration::from_secs(3));
    assert_eq!(status("alice", PW).await, 200, "backoff is not a lockout");

    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_and_grants_sqlite() {
    claims_and_grants(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_and_grants_postgres() {
    claims_and_grants(DbKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_sqlite() {
    bad_input(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_postgres() {
    bad_input(DbKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_and_backoff_sqlite() {
    revocation_and_backoff(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_and_backoff_postgres() {
    revocation_and_backoff(DbKind::Postgres).await;
}
