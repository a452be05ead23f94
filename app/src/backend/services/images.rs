//! The image page: what is inside an image (by tag or by digest) and what is attached to it.
//! Read from the stored manifests; a digest not read yet is read from the registry first.

use std::collections::BTreeMap;

use futures::StreamExt;

use super::Caller;
use crate::backend::entity::{manifest, repository};
use crate::backend::images::parse::{self, Manifest};
use crate::backend::images::{accessories, fetch};
use crate::backend::store::images::{self, Pending};
use crate::backend::store::{repositories, tags};
use crate::backend::AppState;
use crate::domain::image::ImageDetail;
use crate::domain::{AppError, Digest, RepositoryName, TagName};

/// A repository the caller may browse (administrators: any, orphans included).
async fn browsable(state: &AppState, c: &Caller, repository: &str) -> Result<repository::Model, AppError> {
    if c.is_admin() {
        let name = RepositoryName::try_from(repository)?;
        return repositories::find_by_name(&state.db, name.as_str())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no repository named {repository:?}")));
    }
    Ok(c.repository(state, repository).await?.0)
}

/// The image `repository:tag`.
pub async fn by_tag(state: &AppState, c: &Caller, repository: &str, tag: &str) -> Result<ImageDetail, AppError> {
    let repo = browsable(state, c, repository).await?;
    let tag = TagName::try_from(tag.to_owned())?;
    let row = tags::find(&state.db, repo.id, tag.as_str())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no tag {tag} in {repository}")))?;
    detail(state, &repo, &row.digest).await
}

/// The image `repository@digest` (an untagged one too, if the repository holds it).
pub async fn by_digest(state: &AppState, c: &Caller, repository: &str, digest: &str) -> Result<ImageDetail, AppError> {
    let repo = browsable(state, c, repository).await?;
    let digest = Digest::try_from(digest.to_owned())?;
    let held = images::holds(&state.db, repo.id, digest.as_str()).await?
        || tags::list(&state.db, repo.id)
            .await?
            .iter()
            .any(|t| t.digest == digest.as_str());
    if !held {
        return Err(AppError::NotFound(format!("{repository} holds no manifest {digest}")));
    }
    detail(state, &repo, digest.as_str()).await
}

/// The stored manifest of `digest`, read from the registry now if it was not yet.
async fn manifest_of(state: &AppState, repo: &repository::Model, digest: &str) -> Result<manifest::Model, AppError> {
    if let Some(m) = images::get(&state.db, digest).await? {
        return Ok(m);
    }
    let now = state.clock.now();
    images::note_digests(&state.db, repo.id, &[digest], now).await?;
    let client = crate::backend::sync::healthy_client(&state.db, &state.issuer).await?;
    let pending = Pending {
        repository_id: repo.id,
        repository: repo.name.clone(),
        digest: digest.to_owned(),
        attempts: 0,
    };
    fetch::fetch(&state.db, &client, &pending, now, &fetch::ReferrersApi::default())
        .await
        .map_err(|e| AppError::Unavailable(format!("reading {digest} from the registry: {e}")))
}

async fn detail(state: &AppState, repo: &repository::Model, digest: &str) -> Result<ImageDetail, AppError> {
    let stored = manifest_of(state, repo, digest).await?;
    let Ok(m) = Manifest::parse(stored.body.as_bytes()) else {
        // Not a manifest wharf can read: shown as it is.
        return Ok(ImageDetail {
            digest: stored.digest.clone(),
            media_type: stored.media_type.clone(),
            size: stored.size,
            raw: Some(stored.body),
            ..Default::default()
        });
    };
    // An index's platform images, read now where they were not yet (a few at a time).
    let mut platform_sizes = BTreeMap::new();
    if m.is_index() {
        let children: Vec<String> = m.platform_images().map(|d| d.digest.clone()).collect();
        let found: Vec<Result<manifest::Model, AppError>> = futures::stream::iter(children)
            .map(|child| async move { manifest_of(state, repo, &child).await })
            .buffer_unordered(4)
            .collect()
            .await;
        for child in found.into_iter().flatten() {
            platform_sizes.insert(child.digest.clone(), child.total_size);
        }
    }
    let mut out = parse::detail(
        &stored.digest,
        &stored.media_type,
        stored.size,
        &m,
        stored.config.as_deref().map(str::as_bytes),
        &platform_sizes,
    );
    out.accessories = accessories::of(&state.db, repo.id, digest, &m).await?;
    Ok(out)
}
