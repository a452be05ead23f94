//! Malformed requests to every public endpoint: every server function (found in server_fn's
//! registry, so a new one is covered without editing this file), the token endpoint, the
//! notification endpoint, every REST API operation (from its OpenAPI document), the activity
//! export, health and the static files. Anonymous and
//! administrator callers alike get a 4xx (or a 2xx where the input happens to be valid) and
//! never a 5xx.

use crate::console::Browser;
use crate::helpers::{DbKind, TestWharf};
use crate::registry_events::secret;

const PW: &str = "correct-horse-battery";

fn junk(len: usize, seed: u64) -> Vec<u8> {
    // A small xorshift: reproducible bytes without a dependency.
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tokio::test]
async fn no_public_endpoint_answers_5xx_to_malformed_requests() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("admin", PW, true).await;
    let admin = Browser::signed_in(&w, "admin", PW).await;
    let admin_cookie = admin.cookie.clone().unwrap();
    let http = reqwest::Client::new();

    let mut server_fns: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_owned())
        .filter(|p| p != "/api/logout")
        .collect();
    server_fns.sort();
    assert!(server_fns.len() >= 30, "server functions found: {server_fns:?}");

    let form = "application/x-www-form-urlencoded";
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        (form, Vec::new()),
        (form, b"%%%&&=&=%ZZ&%".to_vec()),
        (
            form,
            b"page=-1&per_page=99999999999999999999999&name=..%2F..%2Fetc&visibility=x&role=god&\
              confirm_deletions=maybe&expires_days=-5&read_only=2&q=%00%FF&sort=drop"
                .to_vec(),
        ),
        (form, "name=\u{202e}\u{0}&team=\u{1F600}".repeat(50).into_bytes()),
        ("application/json", b"{\"page\": [".to_vec()),
        ("text/plain", junk(4096, 7)),
        // Over the 1 MiB body limit.
        (form, vec![b'a'; 2 * 1024 * 1024]),
    ];

    let mut failures = Vec::new();
    let mut check = |what: String, status: reqwest::StatusCode| {
        if status.is_server_error() {
            failures.push(format!("{status} for {what}"));
        }
    };

    for path in &server_fns {
        for cookie in [None, Some(admin_cookie.as_str())] {
            for (i, (content_type, body)) in bodies.iter().enumerate() {
                let mut req = http
                    .post(format!("{}{path}", w.url))
                    .header("origin", &w.url)
                    .header("content-type", *content_type)
                    .body(body.clone());
                if let Some(c) = cookie {
                    req = req.header("cookie", c);
                }
                let status = req.send().await.unwrap().status();
                check(
                    format!("POST {path} body #{i} (signed in: {})", cookie.is_some()),
                    status,
                );
            }
            let mut req = http.get(format!("{}{path}?page=zz&%%", w.url));
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            check(format!("GET {path}"), req.send().await.unwrap().status());
        }
    }

    // The token endpoint: bad scopes, services, grant types, credentials.
    for query in [
        "",
        "service=%%%",
        "service=wharf-registry&scope=repository",
        "service=wharf-registry&scope=repository:::::",
        "service=wharf-registry&scope=repository:A/B:pull&scope=registry:catalog:*&offline_token=maybe",
        "service=wharf-registry&scope=%FF%FE",
    ] {
        let status = http
            .get(format!("{}/v2/token?{query}", w.url))
            .send()
            .await
            .unwrap()
            .status();
        check(format!("GET /v2/token?{query}"), status);
        let status = http
            .get(format!("{}/v2/token?{query}", w.url))
            .header("authorization", "Basic !!!not-base64")
            .send()
            .await
            .unwrap()
            .status();
        check(format!("GET /v2/token?{query} with bad Basic"), status);
    }
    for (i, (content_type, body)) in bodies.iter().enumerate() {
        let status = http
            .post(format!("{}/v2/token", w.url))
            .header("content-type", *content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap()
            .status();
        check(format!("POST /v2/token body #{i}"), status);
    }

    // Notifications: with and without the shared secret.
    let auth = format!("Bearer {}", secret(&w));
    for (i, (_, body)) in bodies.iter().enumerate() {
        for with_secret in [false, true] {
            let mut req = http
                .post(format!("{}/v2/webhooks/events", w.url))
                .header("content-type", "application/vnd.docker.distribution.events.v1+json")
                .body(body.clone());
            if with_secret {
                req = req.header("authorization", &auth);
            }
            check(
                format!("POST /v2/webhooks/events body #{i} (secret: {with_secret})"),
                req.send().await.unwrap().status(),
            );
        }
    }

    // The export, health, pages and static files. (`/health/ready` is left out: its 503 while
    // no replica is up is the answer, not a failure; tests/integration/deploy.rs covers it.)
    for path in [
        "/console/activity/export",
        "/console/activity/export?format=zip",
        "/console/activity/export?format=csv&from=yesterday&to=%%",
        "/console/activity/export?format=json&unknown=1",
        "/health/live?x=%%",
        "/r/%00%FF",
        "/namespaces/..%2F..",
        "/pkg/../../etc/passwd",
        "/pkg/%2e%2e/Cargo.toml",
        "/search?q=%FF",
        "/teams/%00",
    ] {
        for cookie in [None, Some(admin_cookie.as_str())] {
            let mut req = http.get(format!("{}{path}", w.url));
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            check(format!("GET {path}"), req.send().await.unwrap().status());
        }
    }
    // The REST API: every operation its OpenAPI document lists (so new ones are covered),
    // with hostile path segments, queries and bodies, anonymous, with a session, and with
    // broken credentials. (`/api/v1/health` is left out like `/health/ready`.)
    let doc: serde_json::Value = http
        .get(format!("{}/api/v1/openapi.json", w.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let json = "application/json";
    let api_bodies: Vec<(&str, Vec<u8>)> = vec![
        (json, Vec::new()),
        (json, b"{\"name\": [".to_vec()),
        (
            json,
            b"{\"name\": 1, \"role\": \"god\", \"page\": -1, \"x\": null}".to_vec(),
        ),
        (json, b"[1, 2, 3]".to_vec()),
        (json, "{\"name\": \"\u{202e}\u{0}\"}".repeat(3).into_bytes()),
        ("text/plain", junk(4096, 11)),
        (json, vec![b'a'; 2 * 1024 * 1024]),
    ];
    let auths = [
        None,
        Some(("cookie", admin_cookie.clone())),
        Some(("authorization", "Bearer wharf_at_forged".to_owned())),
        Some(("authorization", "Basic !!!".to_owned())),
    ];
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path == "/api/v1/health" {
            continue;
        }
        let url = path
            .replace("{name}", "..%2F%00%FF")
            .replace("{user}", "%E2%80%AE")
            .replace("{tag}", "%2e%2e")
            .replace("{id}", "9223372036854775808")
            .replace("{delivery}", "-1");
        for method in item.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for auth in &auths {
                for (i, (content_type, body)) in api_bodies.iter().enumerate() {
                    let mut req = http
                        .request(m.clone(), format!("{}{url}?page=zz&per_page=-1&sort=%FF&%%", w.url))
                        .header("origin", &w.url)
                        .header("content-type", *content_type)
                        .body(body.clone());
                    if let Some((k, v)) = auth {
                        req = req.header(*k, v);
                    }
                    check(
                        format!("{method} {url} body #{i} ({:?})", auth.as_ref().map(|a| a.0)),
                        req.send().await.unwrap().status(),
                    );
                }
            }
        }
    }

    // Oversized headers.
    let status = http
        .get(format!("{}/v2/token", w.url))
        .header("x-junk", "a".repeat(20 * 1024))
        .send()
        .await
        .unwrap()
        .status();
    check("20 KiB header".into(), status);

    assert!(
        failures.is_empty(),
        "{} requests answered 5xx:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
