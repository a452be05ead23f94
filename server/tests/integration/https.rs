//! `wharf serve` terminating TLS itself (`tls_cert` / `tls_key`), and what https changes:
//! HSTS and the `__Host-` session cookie.

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
    let wharf = |args: &[&str]| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_wharf"));
        cmd.args(args)
            .env("WHARF_DATA_DIR", dir.path().join("data"))
            .env("WHARF_DATABASE_URL", &db.url)
            .env("WHARF_LOG", "warn");
        cmd
    };
    let mut add = wharf(&["user", "add", "admin", "--admin", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = add.stdin.take().unwrap();
        stdin.write_all(b"admin-password-1").await.unwrap();
    }
    assert!(add.wait().await.unwrap().success(), "wharf user add");

    let port = free_port();
    let url = format!("https://127.0.0.1:{port}");
    let mut child = wharf(&["serve", "--listen", &format!("127.0.0.1:{port}"), "--public-url", &url])
        .env("WHARF_TLS_CERT", dir.path().join("tls.crt"))
        .env("WHARF_TLS_KEY", dir.path().join("tls.key"))
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

    // Over https the session cookie is `__Host-` prefixed (Secure, Path=/, no Domain), and
    // only that name signs in: a plain `wharf_session` (which a subdomain or a plain-http
    // attacker could plant) is not read.
    let r = client
        .post(format!("{url}/api/login"))
        .header("origin", &url)
        .form(&[("username", "admin"), ("password", "admin-password-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("__Host-wharf_session="), "{set_cookie}");
    let attrs: Vec<&str> = set_cookie.split("; ").collect();
    assert!(attrs.contains(&"Secure") && attrs.contains(&"Path=/"), "{set_cookie}");
    assert!(!set_cookie.to_ascii_lowercase().contains("domain="), "{set_cookie}");
    let value = attrs[0].trim_start_matches("__Host-wharf_session=");
    let me = |cookie: String| client.get(format!("{url}/api/v1/user")).header("cookie", cookie).send();
    let r = me(format!("__Host-wharf_session={value}")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["name"], "admin");
    let r = me(format!("wharf_session={value}")).await.unwrap();
    assert_eq!(r.status(), 401, "the unprefixed name is not a session over https");

    // Plain HTTP to the TLS port is not served.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/health/live"))
        .send()
        .await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));
    child.kill().await.ok();
}
