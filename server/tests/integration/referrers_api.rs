//! Issue 17: accessories found through the OCI referrers API where the registry answers it.
//!
//! Neither distribution release answers `GET /v2/<name>/referrers/<digest>` (3.1.1 has no such
//! route; 2.8 predates it), so the test puts a small front before a real registry 3.1.1 that
//! answers it the way registries that do (zot, Harbor) answer, and passes every other request
//! through. The SBOM is pushed by digest, untagged, while wharf hears no notification: only
//! the referrers API can tell wharf it exists.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method as HttpMethod, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{eventually, free_port, run, DbKind, RegistryOpts, TestRegistry, TestWharf};
use crate::oci;
use crate::rest_api::Client;

const PW: &str = "correct horse battery";

#[derive(Clone)]
struct Front {
    upstream: String,
    /// `(subject, referrer descriptor)` the front's referrers API lists.
    referrers: Arc<Vec<(String, Value)>>,
    asked: Arc<AtomicUsize>,
    http: reqwest::Client,
}

async fn front(State(f): State<Front>, method: HttpMethod, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path();
    if let Some((_, subject)) = path.strip_prefix("/v2/").and_then(|p| p.rsplit_once("/referrers/")) {
        f.asked.fetch_add(1, Ordering::SeqCst);
        let manifests: Vec<&Value> = f
            .referrers
            .iter()
            .filter(|(s, _)| s == subject)
            .map(|(_, d)| d)
            .collect();
        let index = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests,
        });
        return (
            [("content-type", "application/vnd.oci.image.index.v1+json")],
            index.to_string(),
        )
            .into_response();
    }
    let url = format!("{}{}", f.upstream, uri.path_and_query().map_or(path, |p| p.as_str()));
    let mut req = f.http.request(method, &url).body(body);
    for name in ["authorization", "accept", "content-type"] {
        for v in headers.get_all(name) {
            req = req.header(name, v);
        }
    }
    let Ok(resp) = req.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = resp.status();
    let mut out = HeaderMap::new();
    for (name, v) in resp.headers() {
        if name != "transfer-encoding" && name != "connection" {
            out.append(name, v.clone());
        }
    }
    let bytes = resp.bytes().await.unwrap_or_default();
    (status, out, bytes).into_response()
}

#[tokio::test]
async fn an_untagged_sbom_is_found_through_the_referrers_api() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("alice", PW, false).await;
    let token = w.cli_ok(&["token", "add", "alice", "ci"], None).await.trim().to_owned();
    w.settle().await;
    let alice = Client::bearer(&w, &token);
    // Notifications go nowhere: wharf learns of images only by syncing.
    let registry = TestRegistry::start_with(
        &w,
        RegistryOpts {
            notify_url: Some("http://127.0.0.1:9"),
            ..RegistryOpts::default()
        },
    )
    .await;
    let host = &registry.host;
    let work = tempfile::tempdir().unwrap();
    let dir = |name: &str| work.path().join(name);
    let push = |layout: std::path::PathBuf, tag: &'static str, dest: String| {
        let auth = work.path().join("no-auth.json");
        async move {
            let (ok, out) = run(tokio::process::Command::new("skopeo")
                .env("REGISTRY_AUTH_FILE", auth)
                .args([
                    "copy",
                    "--dest-tls-verify=false",
                    "--dest-creds",
                    &format!("alice:{PW}"),
                ])
                .arg(format!("oci:{}:{tag}", layout.display()))
                .arg(format!("docker://{dest}")))
            .await;
            assert!(ok, "push {dest}: {out}");
        }
    };
    let rich = oci::write_rich_image(&dir("rich"), "1.0");
    push(dir("rich"), "1.0", format!("{host}/alice/app:1.0")).await;
    let sbom_body = r#"{"spdxVersion":"SPDX-2.3"}"#;
    let sbom = oci::write_artifact(
        &dir("sbom"),
        "sbom",
        Some("application/spdx+json"),
        "application/spdx+json",
        sbom_body,
        Some((&rich.digest, rich.manifest_size)),
    );
    push(dir("sbom"), "sbom", format!("{host}/alice/app@{sbom}")).await;
    let sbom_size = std::fs::metadata(
        dir("sbom")
            .join("blobs/sha256")
            .join(sbom.trim_start_matches("sha256:")),
    )
    .unwrap()
    .len();

    // wharf reads the registry through the front.
    let front_state = Front {
        upstream: format!("http://{host}"),
        referrers: Arc::new(vec![(
            rich.digest.clone(),
            json!({
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": sbom,
                "size": sbom_size,
                "artifactType": "application/spdx+json",
            }),
        )]),
        asked: Arc::new(AtomicUsize::new(0)),
        http: reqwest::Client::new(),
    };
    let asked = front_state.asked.clone();
    let port = free_port();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let app = axum::Router::new().fallback(front).with_state(front_state);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let front_url = format!("http://127.0.0.1:{port}");
    w.cli_ok(&["registry", "replica", "add", "default", &front_url], None)
        .await;
    w.cli_ok(
        &["registry", "replica", "remove", "default", &format!("http://{host}")],
        None,
    )
    .await;

    let run_ = w.cli_json(&["sync"]).await;
    assert_eq!(run_["status"], "succeeded", "{run_}");
    let path = "/api/v1/repositories/alice%2Fapp/tags/1.0";
    let image = eventually("the referrers API names the SBOM", 30, || async {
        let (status, v) = alice.get(path).await;
        assert_eq!(status, 200, "{v}");
        (!v["accessories"].as_array()?.is_empty()).then_some(v)
    })
    .await;
    assert!(asked.load(Ordering::SeqCst) >= 1, "the referrers API was asked");
    let accessories = image["accessories"].as_array().unwrap();
    assert_eq!(accessories.len(), 1, "{image}");
    assert_eq!(accessories[0]["kind"], "sbom");
    assert_eq!(accessories[0]["digest"], sbom.as_str());
    assert_eq!(accessories[0]["artifact_type"], "application/spdx+json");
    assert_eq!(accessories[0]["tag"], Value::Null);
    // The tag list still shows only the image.
    let tags: Vec<String> = w
        .tags("alice/app")
        .await
        .iter()
        .map(|t| t["tag"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(tags, ["1.0"]);

    // Deleting the image takes the SBOM the referrers API named, in the registry too.
    let deleted = alice
        .ok(
            Method::DELETE,
            &format!("/api/v1/repositories/alice%2Fapp/manifests/{}", rich.digest),
            None,
        )
        .await;
    let named: Vec<&str> = deleted["accessories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["digest"].as_str().unwrap())
        .collect();
    assert_eq!(named, [sbom.as_str()], "{deleted}");
    let (ok, out) = run(tokio::process::Command::new("skopeo")
        .env("REGISTRY_AUTH_FILE", work.path().join("no-auth.json"))
        .args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            &format!("alice:{PW}"),
        ])
        .arg(format!("docker://{host}/alice/app@{sbom}")))
    .await;
    assert!(!ok, "the SBOM is still in the registry: {out}");
    server.abort();
    w.stop().await;
}
