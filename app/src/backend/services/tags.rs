//! Deleting images. The registry deletes manifests, not tags, so deleting a tag removes every
//! tag on its digest: [`preview_delete`] lists them for the confirmation, [`delete`] deletes
//! what the caller confirmed. Only those the policy grants `delete` may do either.

use super::Caller;
use crate::authz::{self, Grant};
use crate::backend::sync::delete::{self, DeletionPlan};
use crate::backend::AppState;
use crate::domain::dto::TagDeletion;
use crate::domain::scope::Action;
use crate::domain::{AppError, RepositoryName, TagName};

/// Parses the names and checks the policy grants `delete` there.
async fn deletable(
    state: &AppState,
    c: &Caller,
    repository: &str,
    tag: &str,
) -> Result<(RepositoryName, TagName, Grant), AppError> {
    if c.user.is_none() && !c.is_operator() {
        return Err(AppError::Unauthorized("sign in first".into()));
    }
    let (repo, _, facts) = c.repository(state, repository).await?;
    let tag = TagName::try_from(tag.to_owned())?;
    let grant = authz::authorize(
        &state.config.policy(),
        &c.subject,
        authz::Target::Namespace(Some(&facts)),
        Action::Delete,
    )
    .ok_or_else(|| AppError::Forbidden("you may not delete images here".into()))?;
    Ok((RepositoryName::try_from(repo.name)?, tag, grant))
}

/// Every tag of a repository the caller may browse (administrators: any, orphans included).
pub async fn list(state: &AppState, c: &Caller, repository: &str) -> Result<Vec<crate::domain::dto::TagRow>, AppError> {
    let repo = if c.is_admin() {
        let name = RepositoryName::try_from(repository)?;
        crate::backend::store::repositories::find_by_name(&state.db, name.as_str())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no repository named {repository:?}")))?
    } else {
        c.repository(state, repository).await?.0
    };
    Ok(crate::backend::store::tags::list(&state.db, repo.id)
        .await?
        .into_iter()
        .map(crate::domain::dto::TagRow::from)
        .collect())
}

fn answer(plan: DeletionPlan) -> TagDeletion {
    TagDeletion {
        repository: plan.repository,
        digest: plan.digest,
        tags: plan.tags,
        accessories: plan.accessories,
    }
}

/// What deleting `repository:tag` removes (every tag on its digest).
pub async fn preview_delete(
    state: &AppState,
    c: &Caller,
    repository: &str,
    tag: &str,
) -> Result<TagDeletion, AppError> {
    let (repo, tag, _) = deletable(state, c, repository, tag).await?;
    delete::preview(&state.db, &repo, &tag).await.map(answer)
}

/// Deletes the image `repository:tag` points at from the registry (by digest, so every tag on
/// it goes). `digest` is the one the caller confirmed (`None`: whatever it points at now); if
/// the tag moved since, nothing is deleted (409).
pub async fn delete(
    state: &AppState,
    c: &Caller,
    repository: &str,
    tag: &str,
    digest: Option<&str>,
) -> Result<TagDeletion, AppError> {
    let (repo, tag, grant) = deletable(state, c, repository, tag).await?;
    let plan = delete::preview(&state.db, &repo, &tag).await?;
    if let Some(confirmed) = digest {
        if plan.digest != confirmed {
            return Err(AppError::Conflict(format!(
                "{repo}:{tag} now points at {}; review the deletion again",
                plan.digest
            )));
        }
    }
    let request = delete::Deletion {
        repository: &repo,
        tag: &tag,
        digest: &plan.digest,
        actor_user_id: c.user_id(),
        actor: c.name(),
        client_addr: c.client_addr.as_deref(),
        registry_host: state.config.registry_host.as_deref(),
    };
    let done = delete::delete_tag(&state.db, &state.issuer, grant, request).await?;
    state.webhooks.wake();
    Ok(answer(done))
}

/// At most this many images in one bulk deletion.
pub const MAX_BULK_DELETE: usize = 100;

/// The images `digests` of a repository, each by one of its tags (the registry deletes by
/// digest; wharf checks and audits by tag).
async fn images_by_tag(
    state: &AppState,
    c: &Caller,
    repository: &str,
    digests: &[String],
) -> Result<Vec<(String, String)>, AppError> {
    if digests.is_empty() {
        return Err(AppError::BadRequest("choose at least one image".into()));
    }
    if digests.len() > MAX_BULK_DELETE {
        return Err(AppError::BadRequest(format!(
            "at most {MAX_BULK_DELETE} images at a time ({} chosen)",
            digests.len()
        )));
    }
    let (repo, _, _) = c.repository(state, repository).await?;
    let mut out = Vec::new();
    for digest in digests {
        let tag = crate::backend::store::tags::on_digest(&state.db, repo.id, digest)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::NotFound(format!("{repository} has no tagged image {digest}")))?;
        out.push((tag.name, digest.clone()));
    }
    Ok(out)
}

/// What deleting the images `digests` removes: each with every tag on it and its accessories.
pub async fn preview_images_delete(
    state: &AppState,
    c: &Caller,
    repository: &str,
    digests: &[String],
) -> Result<Vec<TagDeletion>, AppError> {
    let mut out = Vec::new();
    for (tag, _) in images_by_tag(state, c, repository, digests).await? {
        out.push(preview_delete(state, c, repository, &tag).await?);
    }
    Ok(out)
}

/// Deletes the images `digests` (each with every tag on it and its accessories), one after
/// the other; stops at the first that cannot be deleted, saying how many went before it.
pub async fn delete_images(
    state: &AppState,
    c: &Caller,
    repository: &str,
    digests: &[String],
) -> Result<Vec<TagDeletion>, AppError> {
    let mut done = Vec::new();
    for (tag, digest) in images_by_tag(state, c, repository, digests).await? {
        match delete(state, c, repository, &tag, Some(&digest)).await {
            Ok(d) => done.push(d),
            Err(e) if done.is_empty() => return Err(e),
            Err(e) => return Err(e.prefixed(&format!("{} of {} images deleted, then", done.len(), digests.len()))),
        }
    }
    Ok(done)
}
