//! Per-address limits on sign-in and token requests, behind a trusted load balancer: an
//! address spraying passwords over many accounts is stopped (429) while other addresses and
//! the accounts themselves keep working; a flood of token requests from one address is cut
//! to its rate; an untrusted peer cannot choose its address with `X-Forwarded-For`.

use base64::Engine;
use serde_json::Value;

use crate::helpers::{DbKind, TestWharf};

const PW: &str = "correct horse battery staple";

async fn token(w: &TestWharf, from: &str, user: &str, password: &str) -> (u16, Value) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let r = reqwest::Client::new()
        .get(format!("{}/v2/token?service=wharf-registry", w.url))
        .header("authorization", format!("Basic {auth}"))
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_address_spraying_passwords_is_stopped_and_others_are_not() {
    let w = TestWharf::start_with(DbKind::Sqlite, |c| {
        c.ip_failures_per_minute = 5;
        c.ip_requests_per_second = 0;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    for u in ["u1", "u2", "u3", "u4", "u5", "u6", "u7"] {
        w.add_user(u, PW, false).await;
    }
    // One wrong password per account: per-account backoff never starts, the address's
    // budget runs out.
    for u in ["u1", "u2", "u3", "u4", "u5", "u6"] {
        let (status, _) = token(&w, "198.51.100.1", u, "guess-1").await;
        assert_eq!(status, 401, "{u}");
    }
    let (status, body) = token(&w, "198.51.100.1", "u7", PW).await;
    assert_eq!(
        status, 429,
        "the spraying address waits, even with a right password: {body}"
    );
    assert_eq!(body["errors"][0]["code"], "TOOMANYREQUESTS");
    let console = reqwest::Client::new()
        .post(format!("{}/api/login", w.url))
        .header("origin", &w.url)
        .header("x-forwarded-for", "198.51.100.1")
        .form(&[("username", "u7"), ("password", PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), 429, "the console sign-in shares the limit");

    // Someone else, and the targeted accounts, are unaffected.
    let (status, body) = token(&w, "198.51.100.2", "u1", PW).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = token(&w, "198.51.100.2", "u7", PW).await;
    assert_eq!(status, 200);
    w.stop().await;
}

#[tokio::test]
async fn a_flood_of_uncached_credentials_is_cut_to_the_rate_and_xff_is_believed_only_from_proxies() {
    let w = TestWharf::start_with(DbKind::Sqlite, |c| {
        c.ip_failures_per_minute = 0;
        c.ip_requests_per_second = 5;
        c.login_failures_before_backoff = 1000;
    })
    .await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..40 {
        // Credentials the cache cannot answer: each one would cost a verification.
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("user{i}:guess-{i}"));
        // No trusted proxies: the forged header does not give each request a new address.
        let r = http
            .get(format!("{}/v2/token?service=wharf-registry", w.url))
            .header("authorization", format!("Basic {auth}"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    let verified = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(verified + limited, 40, "{statuses:?}");
    assert!((10..=14).contains(&verified), "a burst of 10 then 5/s: {statuses:?}");
    // Anonymous token requests verify nothing, so the limit leaves them alone.
    for _ in 0..20 {
        let r = http
            .get(format!("{}/v2/token?service=wharf-registry", w.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    w.stop().await;
}
