//! Deleting an image: the registry deletes manifests, not tags, so deleting a tag removes
//! every tag sharing its digest. [`preview`] lists them so a user can confirm; [`delete_tag`]
//! deletes the manifest through a healthy replica (failing over to the next), then updates the
//! database and the audit log. It takes the policy's [`Grant`] for `delete`, so no caller can
//! skip the check (see `services::tags`).

use std::sync::Arc;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use serde::Serialize;

use super::client::RegistryError;
use crate::authz::Grant;
use crate::backend::images::accessories;
use crate::backend::images::parse::Manifest;
use crate::backend::store::activity::{self, NewActivity};
use crate::backend::store::{images, repositories, tags};
use crate::backend::token::TokenIssuer;
use crate::backend::webhooks::payload::{self, Payload};
use crate::domain::image::Accessory;
use crate::domain::scope::Action;
use crate::domain::{AppError, RepositoryName, TagName, WebhookEvent};

/// What a deletion removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeletionPlan {
    pub repository: String,
    pub digest: String,
    /// Every tag on that digest, the named one included.
    pub tags: Vec<String>,
    /// Its signatures, attestations and SBOMs, deleted with it (never left orphaned).
    pub accessories: Vec<Accessory>,
}

/// The tags that go when `repository:tag` is deleted.
pub async fn preview(
    db: &DatabaseConnection,
    repository: &RepositoryName,
    tag: &TagName,
) -> Result<DeletionPlan, AppError> {
    let not_found = || AppError::NotFound(format!("{repository}:{tag} is not known to wharf"));
    let repo = repositories::find_by_name(db, repository.as_str())
        .await?
        .ok_or_else(not_found)?;
    let target = tags::find(db, repo.id, tag.as_str()).await?.ok_or_else(not_found)?;
    let sharing = tags::list(db, repo.id)
        .await?
        .into_iter()
        .filter(|t| t.digest == target.digest)
        .map(|t| t.name)
        .collect();
    let manifest = images::get(db, &target.digest)
        .await?
        .and_then(|m| Manifest::parse(m.body.as_bytes()).ok())
        .unwrap_or_default();
    let accessories = accessories::of(db, repo.id, &target.digest, &manifest)
        .await?
        .into_iter()
        // Attestations inside an index go with the index itself.
        .filter(|a| a.digest != target.digest)
        .collect();
    Ok(DeletionPlan {
        repository: repository.to_string(),
        digest: target.digest,
        tags: sharing,
        accessories,
    })
}

/// One deletion: what, confirmed at which digest, and who asks (for the audit log).
pub struct Deletion<'a> {
    pub repository: &'a RepositoryName,
    pub tag: &'a TagName,
    /// The digest the plan (and the caller) saw: if the registry's tag moved, nothing goes.
    pub digest: &'a str,
    pub actor_user_id: Option<i64>,
    pub actor: &'a str,
    pub client_addr: Option<&'a str>,
    pub registry_host: Option<&'a str>,
}

/// Deletes `digest` from the registry, then its accessories, through the first replica that
/// answers (failing over to the next). With `tag`, the registry's tag must still point at
/// `digest`: if it moved, the plan the user confirmed is wrong and nothing is deleted.
async fn delete_in_registry(
    db: &DatabaseConnection,
    issuer: &Arc<TokenIssuer>,
    repository: &RepositoryName,
    tag: Option<&TagName>,
    digest: &str,
    accessories: &[Accessory],
) -> Result<(), AppError> {
    let mut failures = Vec::new();
    for client in super::replica_clients(db, issuer).await? {
        if let Some(tag) = tag {
            match client.head_manifest(repository.as_str(), tag.as_str()).await {
                Ok(Some(head)) if head.digest != digest => {
                    return Err(AppError::Conflict(format!(
                        "{repository}:{tag} now points at {} in the registry; review the deletion again",
                        head.digest
                    )))
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    return Err(AppError::NotFound(format!(
                        "the registry no longer has {repository}:{tag}; the next sync will catch up"
                    )))
                }
                Err(e @ (RegistryError::Transport { .. } | RegistryError::Status { status: 500.., .. })) => {
                    failures.push(e.to_string());
                    continue;
                }
                Err(e) => return Err(AppError::internal(format!("checking {repository}:{tag}: {e}"))),
            }
        }
        match client.delete_manifest(repository.as_str(), digest).await {
            Ok(()) => {
                // Its accessories after it: a failure here leaves an accessory whose subject
                // is gone, which the next deletion attempt or sync shows; never the reverse.
                for a in accessories {
                    if let Err(e) = client.delete_manifest(repository.as_str(), &a.digest).await {
                        tracing::warn!(digest = %a.digest, error = %e, "deleting an accessory with its image");
                    }
                }
                return Ok(());
            }
            // Unreachable or failing: try the next replica.
            Err(e @ (RegistryError::Transport { .. } | RegistryError::Status { status: 500.., .. })) => {
                failures.push(e.to_string())
            }
            Err(RegistryError::Status { status: 405, .. }) => {
                return Err(AppError::Forbidden(
                    "the registry does not allow deletes (storage.delete.enabled is false)".into(),
                ))
            }
            Err(e) => return Err(AppError::internal(format!("deleting {digest}: {e}"))),
        }
    }
    Err(AppError::Unavailable(format!(
        "no registry replica answers: {}",
        failures.join("; ")
    )))
}

/// Deletes the manifest `repository:tag` points at, by digest, and records it. The delete
/// webhooks go out from here or from the registry's notification, whichever removes the tags
/// first (the other finds nothing left to remove), so exactly once; the audit entry is this
/// one (the notification of wharf's own delete is not audited again).
pub async fn delete_tag(
    db: &DatabaseConnection,
    issuer: &Arc<TokenIssuer>,
    grant: Grant,
    d: Deletion<'_>,
) -> Result<DeletionPlan, AppError> {
    debug_assert!(grant.actions().contains(Action::Delete));
    let Deletion {
        repository,
        tag,
        actor,
        registry_host,
        ..
    } = d;
    let plan = preview(db, repository, tag).await?;
    if plan.digest != d.digest {
        return Err(AppError::Conflict(format!(
            "{repository}:{tag} now points at {}; review the deletion again",
            plan.digest
        )));
    }
    delete_in_registry(db, issuer, repository, Some(tag), &plan.digest, &plan.accessories).await?;
    let txn = crate::backend::db::begin_write(db).await?;
    if let Some(repo) = repositories::find_by_name(&*txn, repository.as_str()).await? {
        // The same lock the notification's ingest takes: one of the two removes the tags.
        repositories::lock(&*txn, repo.id).await?;
        let removed = tags::remove_by_digest(&*txn, repo.id, &plan.digest, Utc::now()).await?;
        let mut gone = vec![plan.digest.clone()];
        for a in &plan.accessories {
            tags::remove_by_digest(&*txn, repo.id, &a.digest, Utc::now()).await?;
            gone.push(a.digest.clone());
        }
        images::forget(&*txn, repo.id, &gone).await?;
        if let (Some(namespace_id), false) = (repo.namespace_id, removed.is_empty()) {
            let cause = format!("delete:{}", crate::backend::webhooks::queue::new_delivery_id());
            let namespace = repository.namespace();
            let payload = Payload {
                event: WebhookEvent::Delete,
                event_id: &cause,
                occurred_at: payload::rfc3339(Utc::now()),
                namespace: namespace.as_ref().map_or("", |n| n.as_str()),
                repository: repository.as_str(),
                tag: None,
                digest: Some(&plan.digest),
                tags: &removed,
                actor: Some(actor),
                registry_host,
            };
            crate::backend::webhooks::queue::enqueue_event(&*txn, namespace_id, &cause, &payload).await?;
        }
        let mut details = format!("{} (tags {})", plan.digest, plan.tags.join(", "));
        if !plan.accessories.is_empty() {
            let list: Vec<String> = plan
                .accessories
                .iter()
                .map(|a| format!("{} {}", a.kind.as_str(), a.digest))
                .collect();
            details.push_str(&format!(" with {}", list.join(", ")));
        }
        activity::record(
            &*txn,
            NewActivity {
                actor_user_id: d.actor_user_id,
                actor_name: actor,
                kind: "image.deleted",
                namespace_id: repo.namespace_id,
                target: repository.as_str(),
                details: &details,
                client_addr: d.client_addr,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(plan)
}

/// Deletes a manifest no tag points at (retention's untagged rule), with the accessories
/// attached to it, and records it. If a tag has come to point at it since the plan, nothing is
/// deleted (409).
pub async fn delete_untagged(
    db: &DatabaseConnection,
    issuer: &Arc<TokenIssuer>,
    grant: Grant,
    repository: &RepositoryName,
    digest: &str,
    (actor_user_id, actor): (Option<i64>, &str),
) -> Result<Vec<Accessory>, AppError> {
    debug_assert!(grant.actions().contains(Action::Delete));
    let repo = repositories::find_by_name(db, repository.as_str())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{repository} is not known to wharf")))?;
    if !tags::on_digest(db, repo.id, digest).await?.is_empty() {
        return Err(AppError::Conflict(format!(
            "a tag of {repository} points at {digest} now; review the plan again"
        )));
    }
    let manifest = images::get(db, digest)
        .await?
        .and_then(|m| Manifest::parse(m.body.as_bytes()).ok())
        .unwrap_or_default();
    let accessories: Vec<Accessory> = accessories::of(db, repo.id, digest, &manifest)
        .await?
        .into_iter()
        .filter(|a| a.digest != digest)
        .collect();
    delete_in_registry(db, issuer, repository, None, digest, &accessories).await?;
    let txn = crate::backend::db::begin_write(db).await?;
    repositories::lock(&*txn, repo.id).await?;
    let mut gone = vec![digest.to_owned()];
    for a in &accessories {
        tags::remove_by_digest(&*txn, repo.id, &a.digest, Utc::now()).await?;
        gone.push(a.digest.clone());
    }
    images::forget(&*txn, repo.id, &gone).await?;
    let mut details = format!("{digest} (untagged)");
    if !accessories.is_empty() {
        let list: Vec<String> = accessories
            .iter()
            .map(|a| format!("{} {}", a.kind.as_str(), a.digest))
            .collect();
        details.push_str(&format!(" with {}", list.join(", ")));
    }
    activity::record(
        &*txn,
        NewActivity {
            actor_user_id,
            actor_name: actor,
            kind: "image.deleted",
            namespace_id: repo.namespace_id,
            target: repository.as_str(),
            details: &details,
            client_addr: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(accessories)
}
