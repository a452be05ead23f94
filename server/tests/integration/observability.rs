//! Running the real `wharf serve` with JSON logs at debug level: every request has an id
//! (kept from the load balancer when it sends one) that is in the response and in the log
//! lines; `/metrics` counts tokens, events and sync runs and reports replicas and the pool;
//! and no secret (password, application token, refresh token, registry token, session id,
//! notification secret, metrics token) ever reaches the log.

use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use crate::helpers::{free_port, DbKind, TestDb};

const PASSWORD: &str = "observable-password-93f1";
const WRONG_PASSWORD: &str = "wrong-password-never-logged-17ab";
const METRICS_TOKEN: &str = "metrics-token-5c2e90d1";

fn basic(user: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_metrics_and_no_secrets_in_logs() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::fresh(DbKind::Sqlite, dir.path()).await;
    let data = dir.path().join("data");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    // A declared replica nobody runs: the metrics report it down.
    let dead = free_port();
    let config = dir.path().join("wharf.toml");
    std::fs::write(
        &config,
        format!(
            "registry_host = \"127.0.0.1:{dead}\"\nprobe_interval_secs = 1\n\n[[registries]]\nname = \"default\"\nreplicas = [{{ name = \"r1\", url = \"http://127.0.0.1:{dead}\" }}]\n"
        ),
    )
    .unwrap();
    let wharf = |args: &[&str]| {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_wharf"));
        c.arg("--config")
            .arg(&config)
            .args(args)
            .env("WHARF_DATA_DIR", &data)
            .env("WHARF_DATABASE_URL", &db.url)
            .env("WHARF_PUBLIC_URL", &url)
            .env("WHARF_METRICS_TOKEN", METRICS_TOKEN);
        c
    };
    let mut add = wharf(&["user", "add", "admin", "--admin", "--password-stdin"]);
    let mut child = add.stdin(Stdio::piped()).spawn().unwrap();
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(PASSWORD.as_bytes()).await.unwrap();
    }
    assert!(child.wait().await.unwrap().success());
    let out = wharf(&["token", "add", "admin", "ci"]).output().await.unwrap();
    assert!(out.status.success());
    let app_token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let log_path = dir.path().join("wharf.log");
    let mut server = wharf(&["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("WHARF_LOG", "debug,wharf_app=trace,wharf_server=trace,tower_http=trace")
        .env("WHARF_LOG_FORMAT", "json")
        // Without it Leptos prints a plain-text hint before logging starts (cargo-leptos sets it).
        .env("LEPTOS_OUTPUT_NAME", "wharf")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if http.get(format!("{url}/health/live")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        up,
        "wharf serve did not start: {}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );

    // Every secret kind goes over the wire at least once.
    let mut secrets = vec![
        PASSWORD.to_owned(),
        WRONG_PASSWORD.to_owned(),
        app_token.clone(),
        METRICS_TOKEN.to_owned(),
    ];
    let login = http
        .post(format!("{url}/api/login"))
        .header("origin", &url)
        .form(&[("username", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    secrets.push(cookie.trim_start_matches("wharf_session=").to_owned());
    let failed = http
        .post(format!("{url}/api/login"))
        .header("origin", &url)
        .form(&[("username", "admin"), ("password", WRONG_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 401);
    for secret in [PASSWORD, app_token.as_str()] {
        let r = http
            .get(format!(
                "{url}/v2/token?service=wharf-registry&scope=repository:admin/app:pull,push"
            ))
            .header("authorization", basic("admin", secret))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        secrets.push(body["token"].as_str().unwrap().to_owned());
    }
    let r = http
        .get(format!("{url}/v2/token?service=wharf-registry"))
        .header("authorization", basic("admin", WRONG_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let offline: Value = http
        .post(format!("{url}/v2/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", PASSWORD),
            ("service", "wharf-registry"),
            ("access_type", "offline"),
            ("client_id", "test"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = offline["refresh_token"].as_str().unwrap().to_owned();
    secrets.push(refresh.clone());
    let refreshed = http
        .post(format!("{url}/v2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("service", "wharf-registry"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200);
    let made: Value = http
        .post(format!("{url}/api/v1/tokens"))
        .bearer_auth(&app_token)
        .json(&serde_json::json!({"name": "made-by-api"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    secrets.push(made["token"].as_str().unwrap().to_owned());
    let notification_secret = std::fs::read_to_string(data.join("notification-secret"))
        .unwrap()
        .trim()
        .to_owned();
    secrets.push(notification_secret.clone());
    let event = serde_json::json!({"events": [{
        "id": "obs-1", "timestamp": "2026-12-01T10:00:00Z", "action": "push",
        "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 400,
                   "digest": "sha256:4444444444444444444444444444444444444444444444444444444444444444",
                   "repository": "admin/app", "tag": "v1"},
        "actor": {"name": "admin"}, "source": {"addr": "r1", "instanceID": "i"}
    }]});
    for _ in 0..2 {
        let r = http
            .post(format!("{url}/v2/webhooks/events"))
            .bearer_auth(&notification_secret)
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = http
        .post(format!("{url}/v2/webhooks/events"))
        .bearer_auth("not-the-secret")
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let sync = http
        .post(format!("{url}/api/v1/registries/sync"))
        .bearer_auth(&app_token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert!(
        sync.status().is_client_error() || sync.status().is_success(),
        "{}",
        sync.status()
    );

    // Request ids: made up when absent, kept when the load balancer sends one.
    let r = http
        .get(format!("{url}/api/v1/user"))
        .bearer_auth(&app_token)
        .send()
        .await
        .unwrap();
    let generated = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(
        generated.len() == 32 && generated.bytes().all(|b| b.is_ascii_hexdigit()),
        "32 hex digits: {generated}"
    );
    let r = http
        .get(format!("{url}/health/ready"))
        .header("x-request-id", "lb-request-4711")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "lb-request-4711");

    // Security headers: pages carry a nonce policy that matches their scripts; the rest a
    // policy that runs nothing.
    let page = http.get(format!("{url}/login")).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert!(
        page.headers().get("strict-transport-security").is_none(),
        "no HSTS over plain http"
    );
    let html = page.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {csp}"));
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the page's scripts carry the nonce: {html}"
    );
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let again = http.get(format!("{url}/login")).send().await.unwrap();
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp,
        "a fresh nonce per page"
    );
    let api = http.get(format!("{url}/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(
        api.headers()["content-security-policy"],
        wharf_app::backend::csp::NON_PAGE
    );

    // Metrics: refused without the token, counted with it.
    let r = http.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let metrics = crate::helpers::eventually("the dead replica probed", 20, || async {
        let text = http
            .get(format!("{url}/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.contains("wharf_replica_up{registry=\"default\",replica=\"r1\"} 0")
            .then_some(text)
    })
    .await;
    let value = |line: &str| -> f64 {
        metrics
            .lines()
            .find(|l| l.starts_with(line))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {line} in\n{metrics}"))
    };
    assert_eq!(value("wharf_token_requests_total{outcome=\"issued\"}"), 4.0);
    assert_eq!(value("wharf_token_requests_total{outcome=\"unauthorized\"}"), 1.0);
    assert_eq!(value("wharf_token_request_duration_seconds_count"), 5.0);
    assert_eq!(value("wharf_registry_events_total{outcome=\"applied\"}"), 1.0);
    assert_eq!(value("wharf_registry_events_total{outcome=\"duplicate\"}"), 1.0);
    assert_eq!(value("wharf_registry_events_total{outcome=\"rejected\"}"), 1.0);
    assert!(value("wharf_sync_runs_total{status=") >= 1.0);
    assert_eq!(value("wharf_db_pool_connections{state=\"max\"}"), 16.0);
    assert!(value("wharf_db_pool_connections{state=\"open\"}") >= 1.0);
    assert!(metrics.ends_with("# EOF\n"));

    // Stop, then read what was logged.
    let pid = server.id().unwrap();
    let _ = std::process::Command::new("kill").arg(pid.to_string()).status();
    let _ = tokio::time::timeout(Duration::from_secs(10), server.wait()).await;
    let log = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}")))
        .collect();
    assert!(lines.len() > 20, "debug logging logs: {log}");
    for s in &secrets {
        assert!(s.len() >= 16, "a real secret: {s:?}");
        assert!(!log.contains(s.as_str()), "a secret reached the log: {s:?}");
    }
    // The JWT payload must not be logged either (its signature part alone would not match).
    for s in secrets.iter().filter(|s| s.matches('.').count() == 2) {
        let payload = s.split('.').nth(1).unwrap();
        assert!(!log.contains(payload), "a registry token's payload reached the log");
    }
    for id in [generated.as_str(), "lb-request-4711"] {
        let tagged = lines
            .iter()
            .filter(|l| l["span"]["request_id"] == id || l["spans"].to_string().contains(id))
            .count();
        assert!(tagged >= 1, "log lines of request {id}:\n{log}");
    }
}
