//! Reading manifests and image configurations as registries serve them: Docker schema2
//! manifests and manifest lists, OCI manifests and indexes, OCI artifacts.
//!
//! The shapes are read leniently (every field optional, unknown ones ignored): what a registry
//! stores was written by many tools, and a field this code does not know must never hide the
//! rest of an image. Only JSON that is not a manifest at all is refused, and the page then
//! shows it raw.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::domain::image::{
    artifact_kind, Accessory, AccessoryKind, ImageConfig, ImageDetail, Layer, Platform, PlatformImage,
};

/// A manifest or an index, as far as wharf reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Manifest {
    pub schema_version: Option<u32>,
    pub media_type: Option<String>,
    pub artifact_type: Option<String>,
    pub config: Option<Descriptor>,
    pub layers: Vec<Descriptor>,
    pub manifests: Vec<Descriptor>,
    pub subject: Option<Descriptor>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: i64,
    pub artifact_type: Option<String>,
    pub platform: Option<DescriptorPlatform>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DescriptorPlatform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

/// An image configuration blob (`application/vnd.oci.image.config.v1+json` and Docker's).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ConfigBlob {
    created: Option<String>,
    os: Option<String>,
    architecture: Option<String>,
    variant: Option<String>,
    config: Option<RunConfig>,
    history: Vec<HistoryStep>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RunConfig {
    #[serde(rename = "Entrypoint")]
    entrypoint: Option<Vec<String>>,
    #[serde(rename = "Cmd")]
    cmd: Option<Vec<String>>,
    #[serde(rename = "Env")]
    env: Option<Vec<String>>,
    #[serde(rename = "ExposedPorts")]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(rename = "User")]
    user: Option<String>,
    #[serde(rename = "WorkingDir")]
    working_dir: Option<String>,
    #[serde(rename = "Labels")]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HistoryStep {
    created: Option<String>,
    created_by: Option<String>,
    empty_layer: bool,
}

/// Docker's config media type; an OCI image's is `application/vnd.oci.image.config.v1+json`.
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// The config of an OCI artifact that has nothing to configure.
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// Buildx stores provenance and SBOM attestations as manifests in the index, marked so.
const REFERENCE_TYPE: &str = "vnd.docker.reference.type";
const REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a manifest: schemaVersion {0:?}")]
    NotAManifest(Option<u32>),
}

impl Manifest {
    pub fn parse(body: &[u8]) -> Result<Manifest, ParseError> {
        let m: Manifest = serde_json::from_slice(body).map_err(|e| ParseError::NotJson(e.to_string()))?;
        // Schema 1 (long gone from registries) and anything else has no descriptors to read.
        if m.schema_version != Some(2) {
            return Err(ParseError::NotAManifest(m.schema_version));
        }
        Ok(m)
    }

    pub fn is_index(&self) -> bool {
        !self.manifests.is_empty()
            || self
                .media_type
                .as_deref()
                .is_some_and(|t| t.contains("manifest.list") || t.contains("image.index"))
    }

    /// The config blob to fetch for the image's details: only an image configuration (an
    /// artifact's config is its own business).
    pub fn image_config(&self) -> Option<&Descriptor> {
        self.config
            .as_ref()
            .filter(|c| c.media_type == DOCKER_CONFIG || c.media_type == OCI_CONFIG)
    }

    /// What this manifest is, when it is an artifact rather than an image: its `artifactType`,
    /// else a config media type that is not an image's.
    pub fn artifact_type(&self) -> Option<String> {
        if let Some(t) = &self.artifact_type {
            return Some(t.clone());
        }
        let config = self.config.as_ref()?;
        if config.media_type == DOCKER_CONFIG || config.media_type == OCI_CONFIG {
            return None;
        }
        if config.media_type == OCI_EMPTY {
            // An artifact with an empty config is told by its first layer.
            return self.layers.first().map(|l| l.media_type.clone());
        }
        Some(config.media_type.clone())
    }

    /// Attestation manifests an index carries for its platforms: (platform digest, attestation).
    pub fn in_index_attestations(&self) -> Vec<(String, Accessory)> {
        self.manifests
            .iter()
            .filter(|d| d.annotations.get(REFERENCE_TYPE).map(String::as_str) == Some("attestation-manifest"))
            .filter_map(|d| {
                let subject = d.annotations.get(REFERENCE_DIGEST)?.clone();
                Some((
                    subject,
                    Accessory {
                        kind: AccessoryKind::Attestation,
                        digest: d.digest.clone(),
                        media_type: d.media_type.clone(),
                        artifact_type: d.artifact_type.clone(),
                        tag: None,
                    },
                ))
            })
            .collect()
    }

    /// The platform images of an index (its attestation manifests are not platforms).
    pub fn platform_images(&self) -> impl Iterator<Item = &Descriptor> {
        self.manifests
            .iter()
            .filter(|d| !d.annotations.contains_key(REFERENCE_TYPE))
    }

    /// Referrers listed by an index (the referrers API's answer, or its `sha256-<hex>`
    /// fallback tag): each says its kind by its artifact type.
    pub fn referrers(&self) -> Vec<Accessory> {
        self.manifests
            .iter()
            .map(|d| {
                let artifact_type = d.artifact_type.clone();
                Accessory {
                    kind: artifact_kind(artifact_type.as_deref().unwrap_or(&d.media_type)),
                    digest: d.digest.clone(),
                    media_type: d.media_type.clone(),
                    artifact_type,
                    tag: None,
                }
            })
            .collect()
    }
}

/// The detail of a manifest of `manifest_len` bytes: for an image, with its configuration
/// blob when fetched; for an index, with the total size of each platform image when known.
pub fn detail(
    digest: &str,
    media_type: &str,
    manifest_len: i64,
    m: &Manifest,
    config: Option<&[u8]>,
    platform_sizes: &BTreeMap<String, i64>,
) -> ImageDetail {
    let media_type = m.media_type.clone().unwrap_or_else(|| media_type.to_owned());
    let mut out = ImageDetail {
        digest: digest.to_owned(),
        media_type,
        annotations: m.annotations.clone(),
        artifact_type: m.artifact_type(),
        subject: m.subject.as_ref().map(|s| s.digest.clone()),
        ..Default::default()
    };
    if m.is_index() {
        out.platforms = m
            .platform_images()
            .map(|d| {
                let p = d.platform.clone().unwrap_or_default();
                PlatformImage {
                    digest: d.digest.clone(),
                    media_type: d.media_type.clone(),
                    size: platform_sizes.get(&d.digest).copied().unwrap_or(d.size),
                    os: p.os,
                    architecture: p.architecture,
                    variant: p.variant,
                }
            })
            .collect();
        out.size = manifest_len + out.platforms.iter().map(|p| p.size).sum::<i64>();
        return out;
    }
    out.size = manifest_len + m.config.as_ref().map_or(0, |c| c.size) + m.layers.iter().map(|l| l.size).sum::<i64>();
    let blob: Option<ConfigBlob> = config.and_then(|c| serde_json::from_slice(c).ok());
    let Some(blob) = blob else {
        out.layers = m.layers.iter().map(|l| layer(l, None)).collect();
        return out;
    };
    out.created = blob.created.clone();
    if let (Some(os), Some(architecture)) = (&blob.os, &blob.architecture) {
        out.platform = Some(Platform {
            os: os.clone(),
            architecture: architecture.clone(),
            variant: blob.variant.clone(),
        });
    }
    out.layers = layers_with_history(&m.layers, &blob.history);
    if let Some(c) = blob.config {
        out.config = Some(ImageConfig {
            entrypoint: c.entrypoint.unwrap_or_default(),
            cmd: c.cmd.unwrap_or_default(),
            env: c.env.unwrap_or_default(),
            exposed_ports: c.exposed_ports.map(|p| p.into_keys().collect()).unwrap_or_default(),
            user: c.user.filter(|u| !u.is_empty()),
            working_dir: c.working_dir.filter(|w| !w.is_empty()),
            labels: c.labels.unwrap_or_default(),
        });
    }
    out
}

fn layer(d: &Descriptor, step: Option<&HistoryStep>) -> Layer {
    Layer {
        digest: d.digest.clone(),
        media_type: d.media_type.clone(),
        size: d.size,
        created_by: step.and_then(|s| s.created_by.clone()),
        created: step.and_then(|s| s.created.clone()),
        empty_layer: false,
    }
}

/// The layers in order, each with the history step that made it; steps that made no layer
/// (`empty_layer`: ENV, CMD, LABEL …) in their place between them.
fn layers_with_history(layers: &[Descriptor], history: &[HistoryStep]) -> Vec<Layer> {
    let mut out = Vec::with_capacity(layers.len().max(history.len()));
    let mut next = layers.iter();
    for step in history {
        if step.empty_layer {
            out.push(Layer {
                created_by: step.created_by.clone(),
                created: step.created.clone(),
                empty_layer: true,
                ..Default::default()
            });
        } else if let Some(d) = next.next() {
            out.push(layer(d, Some(step)));
        }
    }
    // Layers the history does not account for (a config without history) still show.
    out.extend(next.map(|d| layer(d, None)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u8) -> String {
        format!("sha256:{}", format!("{n:02x}").repeat(32))
    }

    #[test]
    fn an_image_with_history_places_empty_steps_between_its_layers() {
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":700}},
            "layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":1000}},
                      {{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":2000}}],
            "annotations":{{"org.opencontainers.image.source":"https://example.com/app"}}}}"#,
            d(1),
            d(2),
            d(3)
        );
        let config = br#"{"created":"2026-11-01T10:00:00Z","os":"linux","architecture":"arm64","variant":"v8",
            "config":{"Entrypoint":["/app"],"Cmd":null,"Env":["PATH=/bin"],"ExposedPorts":{"8080/tcp":{}},
                      "User":"1000","WorkingDir":"","Labels":{"org.opencontainers.image.version":"1.2"}},
            "history":[{"created_by":"ADD rootfs /"},{"created_by":"ENV PATH=/bin","empty_layer":true},
                       {"created_by":"COPY app /app","created":"2026-11-01T10:00:00Z"}]}"#;
        let m = Manifest::parse(manifest.as_bytes()).unwrap();
        assert!(!m.is_index());
        assert_eq!(m.image_config().map(|c| c.digest.as_str()), Some(d(1).as_str()));
        let out = detail(&d(9), "", manifest.len() as i64, &m, Some(config), &BTreeMap::new());
        assert_eq!(out.size, manifest.len() as i64 + 700 + 1000 + 2000);
        assert_eq!(out.created.as_deref(), Some("2026-11-01T10:00:00Z"));
        assert_eq!(
            out.platform.as_ref().map(ToString::to_string).as_deref(),
            Some("linux/arm64/v8")
        );
        let steps: Vec<(&str, bool, Option<&str>)> = out
            .layers
            .iter()
            .map(|l| (l.digest.as_str(), l.empty_layer, l.created_by.as_deref()))
            .collect();
        assert_eq!(
            steps,
            vec![
                (d(2).as_str(), false, Some("ADD rootfs /")),
                ("", true, Some("ENV PATH=/bin")),
                (d(3).as_str(), false, Some("COPY app /app")),
            ]
        );
        let c = out.config.unwrap();
        assert_eq!(c.entrypoint, vec!["/app"]);
        assert!(c.cmd.is_empty());
        assert_eq!(c.exposed_ports, vec!["8080/tcp"]);
        assert_eq!(c.user.as_deref(), Some("1000"));
        assert_eq!(c.working_dir, None);
        assert_eq!(c.labels["org.opencontainers.image.version"], "1.2");
        assert_eq!(
            out.annotations["org.opencontainers.image.source"],
            "https://example.com/app"
        );
        assert_eq!(out.artifact_type, None);
    }

    #[test]
    fn an_index_lists_platforms_and_keeps_attestations_apart() {
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
              {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{a}","size":500,"platform":{{"os":"linux","architecture":"amd64"}}}},
              {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{b}","size":501,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}},
              {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{att}","size":800,"platform":{{"os":"unknown","architecture":"unknown"}},
               "annotations":{{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"{a}"}}}}]}}"#,
            a = d(1),
            b = d(2),
            att = d(3)
        );
        let m = Manifest::parse(index.as_bytes()).unwrap();
        assert!(m.is_index());
        // The amd64 image's total is known (fetched), the arm64 one's not yet.
        let sizes = BTreeMap::from([(d(1), 10_500)]);
        let out = detail(&d(9), "", index.len() as i64, &m, None, &sizes);
        let platforms: Vec<(String, String, i64)> = out
            .platforms
            .iter()
            .map(|p| (p.digest.clone(), format!("{}/{}", p.os, p.architecture), p.size))
            .collect();
        assert_eq!(
            platforms,
            vec![(d(1), "linux/amd64".into(), 10_500), (d(2), "linux/arm64".into(), 501)]
        );
        assert_eq!(out.platforms[1].variant.as_deref(), Some("v8"));
        assert_eq!(out.size, index.len() as i64 + 10_500 + 501);
        let attestations = m.in_index_attestations();
        assert_eq!(attestations.len(), 1);
        assert_eq!(attestations[0].0, d(1));
        assert_eq!(attestations[0].1.digest, d(3));
        assert_eq!(attestations[0].1.kind, AccessoryKind::Attestation);
    }

    #[test]
    fn artifacts_say_their_type_and_subject() {
        let sbom = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/spdx+json",
              "config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{e}","size":2}},
              "layers":[{{"mediaType":"application/spdx+json","digest":"{l}","size":300}}],
              "subject":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{s}","size":500}}}}"#,
            e = d(1),
            l = d(2),
            s = d(3)
        );
        let m = Manifest::parse(sbom.as_bytes()).unwrap();
        assert_eq!(m.artifact_type().as_deref(), Some("application/spdx+json"));
        assert!(m.image_config().is_none());
        let out = detail(&d(9), "", sbom.len() as i64, &m, None, &BTreeMap::new());
        assert_eq!(out.subject, Some(d(3)));
        // Without `artifactType`, an empty config defers to the first layer's type; another
        // config type is the artifact's type.
        let legacy = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{e}","size":2}},
              "layers":[{{"mediaType":"application/vnd.cyclonedx+json","digest":"{l}","size":3}}]}}"#,
            e = d(1),
            l = d(2)
        );
        let m = Manifest::parse(legacy.as_bytes()).unwrap();
        assert_eq!(m.artifact_type().as_deref(), Some("application/vnd.cyclonedx+json"));
        let notation = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.cncf.notary.signature","digest":"{e}","size":2}},"layers":[]}}"#,
            e = d(1)
        );
        assert_eq!(
            Manifest::parse(notation.as_bytes())
                .unwrap()
                .artifact_type()
                .map(|t| artifact_kind(&t)),
            Some(AccessoryKind::Signature)
        );
    }

    #[test]
    fn a_referrers_index_names_each_kind() {
        let referrers = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
              {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{a}","size":5,"artifactType":"application/vnd.dev.cosign.artifact.sig.v1+json"}},
              {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{b}","size":5,"artifactType":"application/vnd.cyclonedx+json"}}]}}"#,
            a = d(1),
            b = d(2)
        );
        let kinds: Vec<AccessoryKind> = Manifest::parse(referrers.as_bytes())
            .unwrap()
            .referrers()
            .iter()
            .map(|a| a.kind)
            .collect();
        assert_eq!(kinds, vec![AccessoryKind::Signature, AccessoryKind::Sbom]);
    }

    #[test]
    fn what_is_not_a_manifest_is_refused_not_guessed() {
        assert!(matches!(Manifest::parse(b"<html>"), Err(ParseError::NotJson(_))));
        assert_eq!(
            Manifest::parse(br#"{"schemaVersion":1,"fsLayers":[]}"#).unwrap_err(),
            ParseError::NotAManifest(Some(1))
        );
        assert_eq!(
            Manifest::parse(br#"{"x":1}"#).unwrap_err(),
            ParseError::NotAManifest(None)
        );
        // A config that is not JSON leaves the layers, without history.
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"{DOCKER_CONFIG}","digest":"{c}","size":1}},
              "layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"{l}","size":9}}]}}"#,
            c = d(1),
            l = d(2)
        );
        let m = Manifest::parse(manifest.as_bytes()).unwrap();
        let out = detail(
            &d(9),
            "application/vnd.docker.distribution.manifest.v2+json",
            10,
            &m,
            Some(b"garbage"),
            &BTreeMap::new(),
        );
        assert_eq!(out.media_type, "application/vnd.docker.distribution.manifest.v2+json");
        assert_eq!(out.layers.len(), 1);
        assert_eq!(out.config, None);
        assert_eq!(out.size, 10 + 1 + 9);
    }
}
