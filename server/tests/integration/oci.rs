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
    let mut tar_bytes = Vec::new();
    {
        let mut builder = tar::Builder::new(&mut tar_bytes);
        let data = content.as_bytes();
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        builder.append_data(&mut header, "hello.txt", data).unwrap();
        builder.finish().unwrap();
    }
    let diff_id = sha(&tar_bytes);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar_bytes).unwrap();
    let layer = gz.finish().unwrap();
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
