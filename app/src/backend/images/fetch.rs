//! Filling in image details: the manifests (and image configurations) of the digests
//! repositories hold are read from the registry with wharf's own service token, once per
//! digest, a few at a time, and stored. A failed read is tried again later (backing off); a
//! manifest that is gone, too large or not what its digest says is not.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use sea_orm::ConnectionTrait;
use sha2::{Digest as _, Sha256};

use super::parse::Manifest;
use crate::backend::entity::manifest;
use crate::backend::store::images::{self, Pending};
use crate::backend::sync::{healthy_client, RegistryClient, RegistryError};
use crate::backend::token::TokenIssuer;
use crate::domain::AppError;

/// The registry refuses manifests above 4 MiB; nothing larger is read.
pub const MANIFEST_CAP: usize = 4 << 20;
/// Image configurations with long histories run to a few hundred KiB; 8 MiB is generous.
pub const CONFIG_CAP: usize = 8 << 20;
/// Reads in flight at once: enough to hide latency, few enough to leave the registry to users.
const CONCURRENCY: usize = 4;
/// Digests taken per round; a fill goes on for at most `MAX_ROUNDS` rounds.
const ROUND: u64 = 64;
const MAX_ROUNDS: usize = 100;

/// What a fill did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FillReport {
    pub fetched: u32,
    pub failed: u32,
}

/// Why one digest could not be read, and whether trying again may help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FetchFailure {
    pub message: String,
    pub retry: bool,
}

impl From<RegistryError> for FetchFailure {
    fn from(e: RegistryError) -> Self {
        // Too large, or not a registry answer: the same next time.
        let retry = !matches!(e, RegistryError::Protocol { .. });
        FetchFailure {
            message: e.to_string(),
            retry,
        }
    }
}

impl From<AppError> for FetchFailure {
    fn from(e: AppError) -> Self {
        FetchFailure {
            message: e.to_string(),
            retry: true,
        }
    }
}

/// Whether the registry answers the OCI referrers API, learnt from its first answer: a
/// registry without it (distribution 2.8 and 3.1 answer 404) is not asked again in this fill.
#[derive(Debug, Default)]
pub struct ReferrersApi {
    absent: AtomicBool,
}

impl ReferrersApi {
    /// The digests naming `digest` as their subject, or none when the registry has no
    /// referrers API. A failure is not fatal: the cosign tags, the fallback index and the
    /// `subject` of manifests read otherwise still find accessories.
    async fn of(&self, client: &RegistryClient, repository: &str, digest: &str) -> Vec<String> {
        if self.absent.load(Ordering::Relaxed) {
            return Vec::new();
        }
        match client.referrers(repository, digest).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                self.absent.store(true, Ordering::Relaxed);
                Vec::new()
            }
            Err(e) => {
                tracing::debug!(%repository, %digest, error = %e, "asking the referrers API");
                Vec::new()
            }
        }
    }
}

fn sha256(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

/// Reads and stores the manifest `p` names (and its image configuration); the platform images
/// and attestations an index lists, and the referrers the registry names (where it offers the
/// referrers API), are noted for the same repository, to be read in turn.
pub async fn fetch(
    db: &impl ConnectionTrait,
    client: &RegistryClient,
    p: &Pending,
    now: DateTime<Utc>,
    referrers_api: &ReferrersApi,
) -> Result<manifest::Model, FetchFailure> {
    let Some(got) = client.get_manifest(&p.repository, &p.digest, MANIFEST_CAP).await? else {
        return Err(FetchFailure {
            message: "the registry no longer has this manifest".into(),
            retry: false,
        });
    };
    // Content-addressed: bytes that do not hash to the digest are never stored under it.
    let actual = sha256(&got.body);
    if p.digest.starts_with("sha256:") && actual != p.digest {
        return Err(FetchFailure {
            message: format!("the registry served {actual} for {}", p.digest),
            retry: false,
        });
    }
    let size = got.body.len() as i64;
    let body = String::from_utf8_lossy(&got.body).into_owned();
    let mut row = manifest::Model {
        digest: p.digest.clone(),
        media_type: got.media_type.clone(),
        size,
        body,
        config: None,
        total_size: size,
        subject: None,
        artifact_type: None,
        fetched_at: now,
    };
    // Unreadable as a manifest: stored as it is, and shown raw.
    if let Ok(m) = Manifest::parse(&got.body) {
        if let Some(t) = &m.media_type {
            row.media_type.clone_from(t);
        }
        row.subject = m.subject.as_ref().map(|s| s.digest.clone());
        row.artifact_type = m.artifact_type();
        if m.is_index() {
            row.total_size = size + m.manifests.iter().map(|d| d.size.max(0)).sum::<i64>();
            let children: Vec<&str> = m.manifests.iter().map(|d| d.digest.as_str()).collect();
            images::note_digests(db, p.repository_id, &children, now).await?;
        } else {
            row.total_size = size
                + m.config.as_ref().map_or(0, |c| c.size.max(0))
                + m.layers.iter().map(|l| l.size.max(0)).sum::<i64>();
            if let Some(config) = m.image_config() {
                match client.get_blob(&p.repository, &config.digest, CONFIG_CAP).await {
                    Ok(Some(blob)) if sha256(&blob) == config.digest => {
                        row.config = String::from_utf8(blob).ok();
                    }
                    // A config that is missing or wrong leaves the layers, without history.
                    Ok(_) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    // What refers to an image: signatures and SBOMs pushed by digest, untagged, which no tag
    // listing shows. (An accessory's own referrers are not followed.)
    if row.subject.is_none() {
        let found = referrers_api.of(client, &p.repository, &p.digest).await;
        if !found.is_empty() {
            let found: Vec<&str> = found.iter().map(String::as_str).collect();
            images::note_digests(db, p.repository_id, &found, now).await?;
        }
    }
    images::store(db, row.clone()).await?;
    Ok(row)
}

/// When to try a failed digest again: 1, 2, 4 … minutes after, at most 6 hours.
fn retry_at(attempts: i32, now: DateTime<Utc>) -> DateTime<Utc> {
    let minutes = 1i64 << attempts.clamp(0, 9);
    now + chrono::Duration::minutes(minutes.min(360))
}

/// Reads every pending digest (a bounded number of rounds), through a healthy replica.
pub async fn fill(
    db: &impl ConnectionTrait,
    issuer: &Arc<TokenIssuer>,
    clock: &crate::backend::clock::Clock,
) -> Result<FillReport, AppError> {
    let mut report = FillReport::default();
    let mut client = None;
    let referrers_api = ReferrersApi::default();
    let referrers_api = &referrers_api;
    for _ in 0..MAX_ROUNDS {
        let now = clock.now();
        let due = images::pending(db, now, ROUND).await?;
        if due.is_empty() {
            break;
        }
        let client = match &client {
            Some(c) => c,
            None => client.insert(healthy_client(db, issuer).await?),
        };
        let results: Vec<(Pending, Result<manifest::Model, FetchFailure>)> = futures::stream::iter(due)
            .map(|p| async move {
                let r = fetch(db, client, &p, now, referrers_api).await;
                (p, r)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for (p, r) in results {
            match r {
                Ok(_) => report.fetched += 1,
                Err(f) => {
                    report.failed += 1;
                    tracing::debug!(repository = %p.repository, digest = %p.digest, error = %f.message, "reading a manifest");
                    let when = f.retry.then(|| retry_at(p.attempts, now));
                    images::fetch_failed(db, &p, &f.message, when, now).await?;
                }
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_up_to_six_hours() {
        let now = Utc::now();
        let waits: Vec<i64> = [0, 1, 2, 5, 8, 9, 30]
            .iter()
            .map(|a| (retry_at(*a, now) - now).num_minutes())
            .collect();
        assert_eq!(waits, vec![1, 2, 4, 32, 256, 360, 360]);
    }
}
