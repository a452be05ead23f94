//! Issue 17: what is inside an image, through the REST API, with a real registry and skopeo:
//! a three-layer image with labels and history, a Docker schema2 copy of it, a two-platform
//! OCI index, a cosign-style signature tag, and an SBOM pushed by digest with a `subject`.

use std::path::Path;

use reqwest::Method;
use serde_json::Value;

use crate::console::Browser;
use crate::helpers::{eventually, run, DbKind, RegistryVersion, TestRegistry, TestWharf};
use crate::oci;
use crate::rest_api::Client;

const PW: &str = "correct horse battery";

async fn push(work: &Path, layout: &Path, tag: &str, dest: &str, extra: &[&str]) {
    let (ok, out) = run(tokio::process::Command::new("skopeo")
        .env("REGISTRY_AUTH_FILE", work.join("no-auth.json"))
        .args([
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            &format!("alice:{PW}"),
        ])
        .args(extra)
        .arg(format!("oci:{}:{tag}", layout.display()))
        .arg(format!("docker://{dest}")))
    .await;
    assert!(ok, "push {dest}: {out}");
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

async fn scenario(kind: DbKind, version: RegistryVersion) {
    let w = TestWharf::start(kind).await;
    w.add_user("alice", PW, false).await;
    w.add_user("bob", PW, false).await;
    let alice_token = w.cli_ok(&["token", "add", "alice", "ci"], None).await.trim().to_owned();
    let bob_token = w.cli_ok(&["token", "add", "bob", "ci"], None).await.trim().to_owned();
    w.settle().await;
    let alice = Client::bearer(&w, &alice_token);
    let bob = Client::bearer(&w, &bob_token);
    let registry = TestRegistry::start_version(&w, version).await;
    let host = &registry.host;
    let work = tempfile::tempdir().unwrap();
    let dir = |name: &str| work.path().join(name);

    let rich = oci::write_rich_image(&dir("rich"), "1.0");
    push(work.path(), &dir("rich"), "1.0", &format!("{host}/alice/app:1.0"), &[]).await;
    push(
        work.path(),
        &dir("rich"),
        "1.0",
        &format!("{host}/alice/app:docker"),
        &["--format", "v2s2"],
    )
    .await;
    let (index_digest, index_total) = oci::write_index(&dir("multi"), "latest", "multi-platform");
    push(
        work.path(),
        &dir("multi"),
        "latest",
        &format!("{host}/alice/multi:latest"),
        &["--all"],
    )
    .await;
    let hex = rich.digest.trim_start_matches("sha256:");
    let sig_tag = format!("sha256-{hex}.sig");
    let sig = oci::write_artifact(
        &dir("sig"),
        &sig_tag,
        None,
        "application/vnd.dev.cosign.simplesigning.v1+json",
        r#"{"critical":{"image":{"docker-manifest-digest":"x"}}}"#,
        None,
    );
    push(
        work.path(),
        &dir("sig"),
        &sig_tag,
        &format!("{host}/alice/app:{sig_tag}"),
        &[],
    )
    .await;
    let sbom = oci::write_artifact(
        &dir("sbom"),
        "sbom",
        Some("application/spdx+json"),
        "application/spdx+json",
        r#"{"spdxVersion":"SPDX-2.3"}"#,
        Some((&rich.digest, rich.manifest_size)),
    );
    // By digest: no tag names it; only its `subject` ties it to the image.
    push(
        work.path(),
        &dir("sbom"),
        "sbom",
        &format!("{host}/alice/app@{sbom}"),
        &[],
    )
    .await;

    // The image by tag: everything its manifest and configuration say, and both accessories
    // (the SBOM once wharf has read the manifest the push notification named).
    let path = "/api/v1/repositories/alice%2Fapp/tags/1.0";
    let image = eventually("the SBOM pushed by digest is attached", 30, || async {
        let (status, v) = alice.get(path).await;
        assert_eq!(status, 200, "{v}");
        (v["accessories"].as_array()?.len() == 2).then_some(v)
    })
    .await;
    assert_eq!(image["digest"], rich.digest.as_str());
    assert_eq!(image["media_type"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(image["size"], rich.total_size as u64);
    assert_eq!(image["created"], "2026-11-30T12:00:00Z");
    assert_eq!(image["platform"]["os"], "linux");
    assert_eq!(image["platform"]["architecture"], "amd64");
    let layers = image["layers"].as_array().unwrap();
    let real: Vec<(String, u64)> = layers
        .iter()
        .filter(|l| l["empty_layer"] == false)
        .map(|l| (l["digest"].as_str().unwrap().to_owned(), l["size"].as_u64().unwrap()))
        .collect();
    let want: Vec<(String, u64)> = rich.layers.iter().map(|(d, n)| (d.clone(), *n as u64)).collect();
    assert_eq!(real, want, "layers in order with their sizes");
    let steps: Vec<(bool, &str)> = layers
        .iter()
        .map(|l| (l["empty_layer"].as_bool().unwrap(), l["created_by"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (false, "/bin/sh -c #(nop) ADD file:rootfs in /"),
            (true, "ENV APP_MODE=production"),
            (false, "COPY app.txt /srv/ # buildkit"),
            (true, "EXPOSE map[8080/tcp:{}]"),
            (false, "COPY conf.txt /srv/ # buildkit"),
        ]
    );
    let config = &image["config"];
    assert_eq!(strs(&config["entrypoint"]), ["/usr/local/bin/app"]);
    assert_eq!(strs(&config["cmd"]), ["--serve"]);
    assert_eq!(
        strs(&config["env"]),
        ["PATH=/usr/local/bin:/usr/bin", "APP_MODE=production"]
    );
    assert_eq!(strs(&config["exposed_ports"]), ["8080/tcp"]);
    assert_eq!(config["user"], "1000:1000");
    assert_eq!(config["working_dir"], "/srv");
    assert_eq!(
        config["labels"]["org.opencontainers.image.source"],
        "https://git.example.com/app"
    );
    assert_eq!(image["annotations"]["org.opencontainers.image.revision"], "abc1234");
    let accessories: Vec<(String, String, Value)> = image["accessories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["digest"].as_str().unwrap().to_owned(),
                a["tag"].clone(),
            )
        })
        .collect();
    assert_eq!(
        accessories,
        vec![
            ("signature".to_owned(), sig.clone(), Value::from(sig_tag.as_str())),
            ("sbom".to_owned(), sbom.clone(), Value::Null),
        ]
    );
    let sbom_entry = &image["accessories"][1];
    assert_eq!(sbom_entry["artifact_type"], "application/spdx+json");

    // The same image by digest, and the SBOM's own page names its subject.
    let by_digest = alice
        .ok(
            Method::GET,
            &format!("/api/v1/repositories/alice%2Fapp/manifests/{}", rich.digest),
            None,
        )
        .await;
    assert_eq!(by_digest["layers"], image["layers"]);
    let sbom_page = alice
        .ok(
            Method::GET,
            &format!("/api/v1/repositories/alice%2Fapp/manifests/{sbom}"),
            None,
        )
        .await;
    assert_eq!(sbom_page["subject"], rich.digest.as_str());
    assert_eq!(sbom_page["artifact_type"], "application/spdx+json");

    // Docker schema2: skopeo converted it, so its own digest and media type, same contents.
    let docker = alice
        .ok(Method::GET, "/api/v1/repositories/alice%2Fapp/tags/docker", None)
        .await;
    assert_eq!(
        docker["media_type"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_ne!(docker["digest"], image["digest"]);
    assert_eq!(docker["config"]["labels"], image["config"]["labels"]);
    assert_eq!(docker["layers"].as_array().unwrap().len(), 5);

    // The index: its platforms, each with its own page, and the size of everything.
    let multi = alice
        .ok(Method::GET, "/api/v1/repositories/alice%2Fmulti/tags/latest", None)
        .await;
    assert_eq!(multi["digest"], index_digest.as_str());
    assert_eq!(multi["media_type"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(multi["size"], index_total as u64, "{multi}");
    let platforms: Vec<String> = multi["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{}/{}", p["os"].as_str().unwrap(), p["architecture"].as_str().unwrap()))
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    let arm = multi["platforms"][1]["digest"].as_str().unwrap();
    let arm_page = alice
        .ok(
            Method::GET,
            &format!("/api/v1/repositories/alice%2Fmulti/manifests/{arm}"),
            None,
        )
        .await;
    assert_eq!(arm_page["platform"]["architecture"], "arm64");
    assert_eq!(arm_page["layers"].as_array().unwrap().len(), 1);

    // Search finds an image by a prefix of its digest (7+ hex digits), with or without
    // `sha256:`; six digits are a plain name search.
    let mut browser = Browser::signed_in(&w, "alice", PW).await;
    for q in [&hex[..7], &format!("sha256:{}", &hex[..12])] {
        let found = browser.ok("search", &[("q", q)]).await;
        let tags: Vec<&str> = found["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t[1].as_str().unwrap())
            .collect();
        assert!(tags.contains(&"1.0"), "{q}: {found}");
    }
    let found = browser.ok("search", &[("q", &hex[..6])]).await;
    assert!(
        !found["tags"].as_array().unwrap().iter().any(|t| t[1] == "1.0"),
        "{found}"
    );

    // The repository's images: one row per digest with all its tags and what is attached to
    // it; the signature's tag is hidden unless asked for, and then says whose it is.
    let rows = |v: &Value| -> Vec<(String, Vec<String>, Vec<String>)> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["digest"].as_str().unwrap().to_owned(),
                    strs(&r["tags"]),
                    strs(&r["attached"]),
                )
            })
            .collect()
    };
    let images = alice
        .ok(Method::GET, "/api/v1/repositories/alice%2Fapp/images?sort=name", None)
        .await;
    assert_eq!(
        rows(&images),
        vec![
            (
                rich.digest.clone(),
                vec!["1.0".to_owned()],
                vec!["signature".to_owned(), "sbom".to_owned()]
            ),
            (
                docker["digest"].as_str().unwrap().to_owned(),
                vec!["docker".to_owned()],
                vec![]
            ),
        ],
        "{images}"
    );
    let all = alice
        .ok(
            Method::GET,
            "/api/v1/repositories/alice%2Fapp/images?sort=name&accessories=true",
            None,
        )
        .await;
    assert_eq!(all["total"], 3);
    let sig_row = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["digest"] == sig.as_str())
        .unwrap();
    assert_eq!(sig_row["accessory_of"], rich.digest.as_str());
    assert_eq!(strs(&sig_row["tags"]), [sig_tag.as_str()]);
    // The tag list (one row per tag) hides it the same way.
    for (query, total) in [("", 2), ("?accessories=true", 3)] {
        let tags = alice
            .ok(
                Method::GET,
                &format!("/api/v1/repositories/alice%2Fapp/tags{query}"),
                None,
            )
            .await;
        assert_eq!(tags["total"], total, "{query}: {tags}");
    }
    let repo = alice.ok(Method::GET, "/api/v1/repositories/alice%2Fapp", None).await;
    assert_eq!(
        (repo["tag_count"].as_u64(), repo["accessory_tags"].as_u64()),
        (Some(3), Some(1))
    );

    // Bad input and other people's images: clear 4xx answers.
    alice
        .fails(Method::GET, "/api/v1/repositories/alice%2Fapp/tags/nope", None, 404)
        .await;
    alice
        .fails(
            Method::GET,
            "/api/v1/repositories/alice%2Fapp/manifests/not-a-digest",
            None,
            400,
        )
        .await;
    let unknown = format!("sha256:{}", "0".repeat(64));
    alice
        .fails(
            Method::GET,
            &format!("/api/v1/repositories/alice%2Fapp/manifests/{unknown}"),
            None,
            404,
        )
        .await;
    bob.fails(Method::GET, path, None, 404).await;
    alice
        .fails(
            Method::DELETE,
            &format!("/api/v1/repositories/alice%2Fapp/manifests/{unknown}"),
            None,
            404,
        )
        .await;
    bob.fails(
        Method::DELETE,
        &format!("/api/v1/repositories/alice%2Fapp/manifests/{}", rich.digest),
        None,
        404,
    )
    .await;

    // Deleting the image (by digest) deletes its signature and SBOM with it, in wharf and in
    // the registry.
    let deleted = alice
        .ok(
            Method::DELETE,
            &format!("/api/v1/repositories/alice%2Fapp/manifests/{}", rich.digest),
            None,
        )
        .await;
    assert_eq!(strs(&deleted["tags"]), ["1.0"]);
    let named: Vec<&str> = deleted["accessories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["digest"].as_str().unwrap())
        .collect();
    assert_eq!(named, [sig.as_str(), sbom.as_str()], "{deleted}");
    let left: Vec<String> = w
        .tags("alice/app")
        .await
        .iter()
        .map(|t| t["tag"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, ["docker"]);
    for gone in [&rich.digest, &sig, &sbom] {
        let (ok, out) = run(tokio::process::Command::new("skopeo")
            .env("REGISTRY_AUTH_FILE", work.path().join("no-auth.json"))
            .args([
                "inspect",
                "--raw",
                "--tls-verify=false",
                "--creds",
                &format!("alice:{PW}"),
            ])
            .arg(format!("docker://{host}/alice/app@{gone}")))
        .await;
        assert!(!ok, "{gone} is still in the registry: {out}");
    }
}

#[tokio::test]
async fn image_details_on_sqlite_with_registry_3() {
    scenario(DbKind::Sqlite, RegistryVersion::V3).await;
}

#[tokio::test]
async fn image_details_on_postgres_with_registry_2() {
    scenario(DbKind::Postgres, RegistryVersion::V2).await;
}
