//! `wharf serve` terminating TLS itself (`tls_cert` / `tls_key`).

use std::time::Duration;

use crate::helpers::{free_port, DbKind, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_with_the_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.path().join("tls.crt"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("tls.key"), key.serialize_pem()).unwrap();
    let db = TestDb::fresh(DbKind::Sqlite, dir.path()).await;

    let port = free_port();
    let url = format!("https://127.0.0.1:{port}");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--public-url", &url])
        .env("WHARF_DATA_DIR", dir.path().join("data"))
        .env("WHARF_DATABASE_URL", &db.url)
        .env("WHARF_TLS_CERT", dir.path().join("tls.crt"))
        .env("WHARF_TLS_KEY", dir.path().join("tls.key"))
        .env("WHARF_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let mut answered = None;
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("{url}/health/live")).send().await {
            answered = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = answered.expect("wharf answers over https");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let r = client
        .get(format!("{url}/v2/token?service=wharf-registry"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "anonymous token over https");

    // Plain HTTP to the TLS port is not served.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/health/live"))
        .send()
        .await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));
    child.kill().await.ok();
}
