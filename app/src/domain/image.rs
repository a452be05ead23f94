//! What is inside an image, as the image page and `GET /api/v1/repositories/{name}/manifests/{digest}`
//! show it: platforms, layers, configuration, history, and the accessories (signatures,
//! attestations, SBOMs) attached to it.

use serde::{Deserialize, Serialize};

/// An image (one manifest) or an index of images, by digest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImageDetail {
    pub digest: String,
    pub media_type: String,
    /// Bytes: the manifest, its config and its layers; for an index, itself plus the sum of
    /// its platform images.
    pub size: i64,
    /// RFC 3339, from the image configuration (what the build says, not when it was pushed).
    pub created: Option<String>,
    /// For an image.
    pub platform: Option<Platform>,
    /// For an index: its platform images (attestation manifests are not platforms).
    pub platforms: Vec<PlatformImage>,
    pub layers: Vec<Layer>,
    pub config: Option<ImageConfig>,
    pub annotations: std::collections::BTreeMap<String, String>,
    /// The OCI `artifactType`, or the config media type of an artifact.
    pub artifact_type: Option<String>,
    /// The image this one is attached to (an OCI `subject`).
    pub subject: Option<String>,
    pub accessories: Vec<Accessory>,
    /// The manifest as the registry sent it, when it could not be understood.
    pub raw: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// One platform of an index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlatformImage {
    pub digest: String,
    pub media_type: String,
    /// The platform image's manifest plus what it references, when known; its manifest alone
    /// otherwise.
    pub size: i64,
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

/// One layer, in order, with the build step that made it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Layer {
    /// Empty for a history step that made no layer (`empty_layer`).
    pub digest: String,
    pub media_type: String,
    /// Compressed bytes.
    pub size: i64,
    pub created_by: Option<String>,
    /// RFC 3339.
    pub created: Option<String>,
    pub empty_layer: bool,
}

/// How a container of this image runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImageConfig {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub exposed_ports: Vec<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub labels: std::collections::BTreeMap<String, String>,
}

/// What kind of thing is attached to an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AccessoryKind {
    Signature,
    Attestation,
    Sbom,
    Other,
}

impl AccessoryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessoryKind::Signature => "signature",
            AccessoryKind::Attestation => "attestation",
            AccessoryKind::Sbom => "sbom",
            AccessoryKind::Other => "other",
        }
    }
}

/// A signature, attestation or SBOM of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Accessory {
    pub kind: AccessoryKind,
    pub digest: String,
    pub media_type: String,
    pub artifact_type: Option<String>,
    /// The tag it is stored under (cosign's `sha256-<hex>.sig`), if any.
    pub tag: Option<String>,
}

/// An image as a docker reference names it: `repo:tag` or `repo@sha256:…` (no reference:
/// `latest`, as docker means it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    Tag { repository: String, tag: String },
    Digest { repository: String, digest: String },
}

impl ImageRef {
    pub fn parse(reference: &str) -> ImageRef {
        if let Some((repository, digest)) = reference.split_once('@') {
            return ImageRef::Digest {
                repository: repository.to_owned(),
                digest: digest.to_owned(),
            };
        }
        // A tag follows the last `:` after the last `/` (a registry host's port comes before).
        let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
        match reference[last_slash..].rfind(':') {
            Some(i) => ImageRef::Tag {
                repository: reference[..last_slash + i].to_owned(),
                tag: reference[last_slash + i + 1..].to_owned(),
            },
            None => ImageRef::Tag {
                repository: reference.to_owned(),
                tag: "latest".to_owned(),
            },
        }
    }

    pub fn repository(&self) -> &str {
        match self {
            ImageRef::Tag { repository, .. } | ImageRef::Digest { repository, .. } => repository,
        }
    }
}

/// What a tag name says it is attached to: cosign and its kin store accessories under
/// `sha256-<hex>.sig` / `.att` / `.sbom`, and the OCI referrers fallback under `sha256-<hex>`.
/// Returns the subject digest (`sha256:<hex>`) and the kind (`None` for the fallback index,
/// whose entries say their own kinds).
pub fn accessory_tag(tag: &str) -> Option<(String, Option<AccessoryKind>)> {
    let rest = tag.strip_prefix("sha256-")?;
    let (hex, kind) = match rest.split_once('.') {
        Some((hex, "sig")) => (hex, Some(AccessoryKind::Signature)),
        Some((hex, "att")) => (hex, Some(AccessoryKind::Attestation)),
        Some((hex, "sbom")) => (hex, Some(AccessoryKind::Sbom)),
        Some(_) => return None,
        None => (rest, None),
    };
    let is_hex = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    is_hex.then(|| (format!("sha256:{hex}"), kind))
}

/// A digest prefix as users type it (`sha256:` optional, then 7 to 64 lower-case hex digits):
/// the `sha256:<hex>` prefix to search for.
pub fn digest_prefix(text: &str) -> Option<String> {
    let hex = text.strip_prefix("sha256:").unwrap_or(text);
    let is_hex = (7..=64).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    is_hex.then(|| format!("sha256:{hex}"))
}

/// The kind of an artifact by its `artifactType` (or config media type, or a layer's).
pub fn artifact_kind(media_type: &str) -> AccessoryKind {
    let m = media_type.to_ascii_lowercase();
    if m.contains("notary.signature") || (m.contains("cosign") && m.contains("sig")) || m.contains("sigstore.bundle") {
        AccessoryKind::Signature
    } else if m.contains("spdx") || m.contains("cyclonedx") || m.contains("syft") {
        AccessoryKind::Sbom
    } else if m.contains("in-toto") || m.contains("dsse") || m.contains("attestation") {
        AccessoryKind::Attestation
    } else {
        AccessoryKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn cosign_tags_name_their_subject_and_kind() {
        let subject = format!("sha256:{HEX}");
        assert_eq!(
            accessory_tag(&format!("sha256-{HEX}.sig")),
            Some((subject.clone(), Some(AccessoryKind::Signature)))
        );
        assert_eq!(
            accessory_tag(&format!("sha256-{HEX}.att")),
            Some((subject.clone(), Some(AccessoryKind::Attestation)))
        );
        assert_eq!(
            accessory_tag(&format!("sha256-{HEX}.sbom")),
            Some((subject.clone(), Some(AccessoryKind::Sbom)))
        );
        // The referrers fallback index: the kinds are in its entries.
        assert_eq!(accessory_tag(&format!("sha256-{HEX}")), Some((subject, None)));
        for plain in [
            "latest",
            "v1.2",
            "sha256-abc.sig",
            &format!("sha256-{HEX}.txt"),
            &format!("sha256-{}.sig", HEX.to_uppercase()),
        ] {
            assert_eq!(accessory_tag(plain), None, "{plain}");
        }
    }

    #[test]
    fn references_name_a_tag_or_a_digest() {
        let tag = |r: &str, t: &str| ImageRef::Tag {
            repository: r.into(),
            tag: t.into(),
        };
        assert_eq!(ImageRef::parse("alice/app:1.0"), tag("alice/app", "1.0"));
        assert_eq!(ImageRef::parse("alice/app"), tag("alice/app", "latest"));
        assert_eq!(ImageRef::parse("app:v1"), tag("app", "v1"));
        assert_eq!(
            ImageRef::parse(&format!("a/b@sha256:{HEX}")),
            ImageRef::Digest {
                repository: "a/b".into(),
                digest: format!("sha256:{HEX}")
            }
        );
        assert_eq!(ImageRef::parse("a/b:c").repository(), "a/b");
    }

    #[test]
    fn digest_prefixes_need_seven_hex_digits() {
        assert_eq!(digest_prefix("0123abc").as_deref(), Some("sha256:0123abc"));
        assert_eq!(digest_prefix("sha256:0123abcd").as_deref(), Some("sha256:0123abcd"));
        assert_eq!(digest_prefix(HEX).map(|d| d.len()), Some(71));
        for not in ["0123ab", "app0123abc", "sha256:xyz1234", "", &format!("{HEX}0")] {
            assert_eq!(digest_prefix(not), None, "{not}");
        }
    }

    #[test]
    fn artifact_types_map_to_kinds() {
        assert_eq!(
            artifact_kind("application/vnd.cncf.notary.signature"),
            AccessoryKind::Signature
        );
        assert_eq!(
            artifact_kind("application/vnd.dev.cosign.simplesigning.v1+json"),
            AccessoryKind::Signature
        );
        assert_eq!(
            artifact_kind("application/vnd.dev.cosign.artifact.sig.v1+json"),
            AccessoryKind::Signature
        );
        assert_eq!(
            artifact_kind("application/vnd.dev.sigstore.bundle.v0.3+json"),
            AccessoryKind::Signature
        );
        assert_eq!(artifact_kind("application/spdx+json"), AccessoryKind::Sbom);
        assert_eq!(artifact_kind("application/vnd.cyclonedx+json"), AccessoryKind::Sbom);
        assert_eq!(
            artifact_kind("application/vnd.in-toto+json"),
            AccessoryKind::Attestation
        );
        assert_eq!(artifact_kind("application/vnd.example.thing"), AccessoryKind::Other);
    }
}
