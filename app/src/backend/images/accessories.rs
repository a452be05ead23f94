//! What is attached to an image: signatures, attestations, SBOMs. Found in every place tools
//! put them: manifests naming the image as their OCI `subject`, cosign's tags
//! (`sha256-<hex>.sig` / `.att` / `.sbom`), the referrers fallback index (`sha256-<hex>`), and
//! the attestation manifests buildx puts in an index beside the platform they describe.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::ConnectionTrait;

use super::parse::Manifest;
use crate::backend::store::{images, tags};
use crate::domain::image::{accessory_tag, artifact_kind, Accessory, AccessoryKind};
use crate::domain::AppError;

/// Everything attached to `digest` (whose manifest is `m`) in the repository, one entry per
/// accessory digest.
pub async fn of(
    db: &impl ConnectionTrait,
    repository_id: i64,
    digest: &str,
    m: &Manifest,
) -> Result<Vec<Accessory>, AppError> {
    let mut out: Vec<Accessory> = Vec::new();
    for a in images::attached_to(db, repository_id, &[digest.to_owned()]).await? {
        let artifact_type = a.artifact_type.clone();
        out.push(Accessory {
            kind: artifact_kind(artifact_type.as_deref().unwrap_or(&a.media_type)),
            digest: a.digest,
            media_type: a.media_type,
            artifact_type,
            tag: None,
        });
    }
    let cosign_prefix = format!("sha256-{}", digest.trim_start_matches("sha256:"));
    for t in tags::with_prefix(db, repository_id, &cosign_prefix).await? {
        let Some((subject, kind)) = accessory_tag(&t.name) else {
            continue;
        };
        if subject != digest {
            continue;
        }
        let stored = images::get(db, &t.digest).await?;
        match kind {
            Some(kind) => out.push(Accessory {
                kind,
                digest: t.digest.clone(),
                media_type: t.media_type.clone(),
                artifact_type: stored.and_then(|s| s.artifact_type),
                tag: Some(t.name.clone()),
            }),
            // The fallback index lists the referrers, each with its type.
            None => {
                if let Some(index) = stored.and_then(|s| Manifest::parse(s.body.as_bytes()).ok()) {
                    out.extend(index.referrers());
                }
            }
        }
    }
    // An index's attestations of its platforms belong to those platforms, and a platform
    // image's are found in the indexes that list it.
    if !m.is_index() {
        for index in images::indexes_listing(db, repository_id, digest).await? {
            if let Ok(parsed) = Manifest::parse(index.body.as_bytes()) {
                out.extend(
                    parsed
                        .in_index_attestations()
                        .into_iter()
                        .filter(|(subject, _)| subject == digest)
                        .map(|(_, a)| a),
                );
            }
        }
    }
    // One entry per digest (a signature both tagged and with a subject is one signature, with
    // its tag).
    let mut by_digest: BTreeMap<String, Accessory> = BTreeMap::new();
    for a in out {
        match by_digest.get_mut(&a.digest) {
            Some(known) => {
                if known.tag.is_none() {
                    known.tag = a.tag;
                }
            }
            None => {
                by_digest.insert(a.digest.clone(), a);
            }
        }
    }
    let mut out: Vec<Accessory> = by_digest.into_values().collect();
    out.sort_by(|a, b| (a.kind, &a.digest).cmp(&(b.kind, &b.digest)));
    Ok(out)
}

/// The kinds of accessory attached to each of `digests` (for the repository page's badges): by
/// OCI `subject`, by cosign tag, and through a referrers fallback index. Three queries
/// whatever the number of digests. (In-index attestations show on the image page.)
pub async fn kinds_of(
    db: &impl ConnectionTrait,
    repository_id: i64,
    digests: &[String],
) -> Result<HashMap<String, BTreeSet<AccessoryKind>>, AppError> {
    let mut out: HashMap<String, BTreeSet<AccessoryKind>> = HashMap::new();
    for a in images::attached_to(db, repository_id, digests).await? {
        if let Some(subject) = a.subject {
            let kind = artifact_kind(a.artifact_type.as_deref().unwrap_or(&a.media_type));
            out.entry(subject).or_default().insert(kind);
        }
    }
    let names: Vec<String> = digests
        .iter()
        .flat_map(|d| {
            let base = format!("sha256-{}", d.trim_start_matches("sha256:"));
            ["", ".sig", ".att", ".sbom"].map(|suffix| format!("{base}{suffix}"))
        })
        .collect();
    let mut fallback_indexes: Vec<(String, String)> = Vec::new();
    for t in tags::named(db, repository_id, &names).await? {
        match accessory_tag(&t.name) {
            Some((subject, Some(kind))) => {
                out.entry(subject).or_default().insert(kind);
            }
            Some((subject, None)) => fallback_indexes.push((subject, t.digest)),
            None => {}
        }
    }
    let stored = images::get_many(db, &fallback_indexes.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>()).await?;
    for (subject, index_digest) in fallback_indexes {
        let Some(index) = stored.iter().find(|m| m.digest == index_digest) else {
            continue;
        };
        if let Ok(parsed) = Manifest::parse(index.body.as_bytes()) {
            out.entry(subject)
                .or_default()
                .extend(parsed.referrers().into_iter().map(|a| a.kind));
        }
    }
    Ok(out)
}
