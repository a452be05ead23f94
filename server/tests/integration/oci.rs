//! A tiny OCI image written by the test itself (no Docker engine needed): an image layout
//! directory `skopeo copy oci:DIR:TAG …` can push.

use std::path::Path;

use sha2::{Digest, Sha256};

fn sha(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

fn write_blob(dir: &Path, data: &[u8]) -> String {
    let digest = sha(data);
    let path = dir.join("blobs/sha256").join(digest.trim_start_matches("sha256:"));
    std::fs::write(path, data).unwrap();
    digest
}

/// One platform's image manifest (a one-file layer and its config) written into `dir`'s blobs:
/// returns (manifest digest, manifest size, total size with config and layer).
fn write_platform_image(dir: &Path, content: &str, os: &str, architecture: &str) -> (String, usize, usize) {
    let (layer, diff_id) = layer_of("hello.txt", content);
    let layer_digest = write_blob(dir, &layer);

    let config = serde_json::json!({
        "architecture": architecture,
        "os": os,
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    })
    .to_string();
    let config_digest = write_blob(dir, config.as_bytes());

    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer.len()}],
    })
    .to_string();
    let manifest_digest = write_blob(dir, manifest.as_bytes());
    (
        manifest_digest,
        manifest.len(),
        manifest.len() + config.len() + layer.len(),
    )
}

fn write_layout(dir: &Path, tag: &str, media_type: &str, digest: &str, size: usize) {
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": media_type,
            "digest": digest,
            "size": size,
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
}

/// Writes an OCI layout at `dir` holding one image tagged `tag`, whose single file contains
/// `content` (so different contents give different digests). Returns the manifest digest.
pub fn write_image(dir: &Path, tag: &str, content: &str) -> String {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let (digest, size, _) = write_platform_image(dir, content, "linux", "amd64");
    write_layout(dir, tag, "application/vnd.oci.image.manifest.v1+json", &digest, size);
    digest
}

/// Writes an OCI layout at `dir` holding a two-platform index (linux/amd64, linux/arm64)
/// tagged `tag` (push it with `skopeo copy --all`). Returns the index digest and the total
/// size of everything it references (index, manifests, configs, layers).
pub fn write_index(dir: &Path, tag: &str, content: &str) -> (String, usize) {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let mut total = 0;
    let mut manifests = Vec::new();
    for arch in ["amd64", "arm64"] {
        let (digest, size, all) = write_platform_image(dir, &format!("{content} ({arch})"), "linux", arch);
        total += all;
        manifests.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest,
            "size": size,
            "platform": {"os": "linux", "architecture": arch},
        }));
    }
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    })
    .to_string();
    let digest = write_blob(dir, index.as_bytes());
    write_layout(
        dir,
        tag,
        "application/vnd.oci.image.index.v1+json",
        &digest,
        index.len(),
    );
    (digest, total + index.len())
}

/// A gzipped tar layer holding one file: (layer bytes, diff id).
fn layer_of(name: &str, content: &str) -> (Vec<u8>, String) {
    let mut tar_bytes = Vec::new();
    {
        let mut builder = tar::Builder::new(&mut tar_bytes);
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        builder.append_data(&mut header, name, content.as_bytes()).unwrap();
        builder.finish().unwrap();
    }
    let diff_id = sha(&tar_bytes);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar_bytes).unwrap();
    (gz.finish().unwrap(), diff_id)
}

/// What [`write_rich_image`] wrote, to compare with what wharf shows.
pub struct RichImage {
    pub digest: String,
    pub manifest_size: usize,
    /// Config + layers + manifest.
    pub total_size: usize,
    pub layers: Vec<(String, usize)>,
}

/// An OCI layout at `dir` holding a three-layer linux/amd64 image tagged `tag`, built the way
/// a Dockerfile would leave it: labels, environment, entrypoint, command, exposed port, user,
/// working directory, a history with empty steps between the layers, and OCI annotations.
pub fn write_rich_image(dir: &Path, tag: &str) -> RichImage {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let mut layers = Vec::new();
    let mut diff_ids = Vec::new();
    for (name, content) in [
        ("rootfs.txt", "base system"),
        ("app.txt", "the app"),
        ("conf.txt", "its settings"),
    ] {
        let (bytes, diff_id) = layer_of(name, content);
        layers.push((write_blob(dir, &bytes), bytes.len()));
        diff_ids.push(diff_id);
    }
    let config = serde_json::json!({
        "created": "2026-11-30T12:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "User": "1000:1000",
            "Env": ["PATH=/usr/local/bin:/usr/bin", "APP_MODE=production"],
            "Entrypoint": ["/usr/local/bin/app"],
            "Cmd": ["--serve"],
            "ExposedPorts": {"8080/tcp": {}},
            "WorkingDir": "/srv",
            "Labels": {"org.opencontainers.image.source": "https://git.example.com/app", "maintainer": "devs"},
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created": "2026-11-30T11:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:rootfs in /"},
            {"created": "2026-11-30T11:00:01Z", "created_by": "ENV APP_MODE=production", "empty_layer": true},
            {"created": "2026-11-30T12:00:00Z", "created_by": "COPY app.txt /srv/ # buildkit"},
            {"created": "2026-11-30T12:00:00Z", "created_by": "EXPOSE map[8080/tcp:{}]", "empty_layer": true},
            {"created": "2026-11-30T12:00:00Z", "created_by": "COPY conf.txt /srv/ # buildkit"},
        ],
    })
    .to_string();
    let config_digest = write_blob(dir, config.as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": layers.iter().map(|(d, n)| serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n,
        })).collect::<Vec<_>>(),
        "annotations": {"org.opencontainers.image.revision": "abc1234"},
    })
    .to_string();
    let digest = write_blob(dir, manifest.as_bytes());
    write_layout(
        dir,
        tag,
        "application/vnd.oci.image.manifest.v1+json",
        &digest,
        manifest.len(),
    );
    RichImage {
        total_size: manifest.len() + config.len() + layers.iter().map(|(_, n)| n).sum::<usize>(),
        manifest_size: manifest.len(),
        digest,
        layers,
    }
}

/// An OCI layout at `dir` holding one artifact tagged `tag`: `artifact_type` with one
/// `layer_type` blob, and `subject` (digest, size) when given, as signing and SBOM tools push
/// them. Returns its digest.
pub fn write_artifact(
    dir: &Path,
    tag: &str,
    artifact_type: Option<&str>,
    layer_type: &str,
    content: &str,
    subject: Option<(&str, usize)>,
) -> String {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let empty = write_blob(dir, b"{}");
    let layer = write_blob(dir, content.as_bytes());
    let mut manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": layer_type, "digest": layer, "size": content.len()}],
    });
    if let Some(t) = artifact_type {
        manifest["artifactType"] = t.into();
    }
    if let Some((digest, size)) = subject {
        manifest["subject"] = serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": size});
    }
    let manifest = manifest.to_string();
    let digest = write_blob(dir, manifest.as_bytes());
    write_layout(
        dir,
        tag,
        "application/vnd.oci.image.manifest.v1+json",
        &digest,
        manifest.len(),
    );
    digest
}
