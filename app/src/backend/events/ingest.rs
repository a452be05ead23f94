//! Applying checked events to the database, all in one transaction, so the registry gets a
//! 2xx only once everything is committed (and a 5xx, hence a retry, otherwise).

use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::Serialize;

use super::envelope::{EventAction, RegistryEvent};
use crate::backend::entity::registry_event;
use crate::backend::store::activity::{self, NewActivity};
use crate::backend::store::tags::{TagPush, TagWrite};
use crate::backend::store::{registries, repositories, tags};
use crate::backend::webhooks::payload::{self, Payload};
use crate::backend::webhooks::queue;
use crate::domain::{AppError, WebhookEvent};

/// What ingestion needs to know beyond the events.
#[derive(Debug, Clone, Default)]
pub struct IngestSettings {
    /// The `sub` of wharf's own service tokens: its requests are not user pulls.
    pub own_subject: String,
    /// `host:port` clients pull from, put in webhook payloads.
    pub registry_host: Option<String>,
}

/// How many events did what; returned to the registry as the response body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub applied: u32,
    pub duplicates: u32,
    pub ignored: u32,
    /// Events older than what the database already knows (out-of-order delivery).
    pub stale: u32,
    /// Webhook deliveries enqueued (with the events, in the same transaction).
    pub webhooks: u32,
}

/// Applies `events` (sent by the replica named `replica_name`, when the URL says) atomically.
pub async fn ingest(
    db: &DatabaseConnection,
    settings: &IngestSettings,
    replica_name: Option<&str>,
    events: &[RegistryEvent],
) -> Result<IngestReport, AppError> {
    let first = events.first();
    let replica_id =
        registries::event_source(db, replica_name, first.and_then(|e| e.source_instance.as_deref())).await?;
    let txn = crate::backend::db::begin_write(db).await?;
    let mut report = IngestReport::default();
    for event in events {
        if event.action == EventAction::Ignored {
            report.ignored += 1;
            continue;
        }
        if !claim(&*txn, event, replica_id).await? {
            report.duplicates += 1;
            continue;
        }
        if let Some(applied) = apply(&*txn, settings, event).await? {
            report.applied += 1;
            report.webhooks += applied.webhooks;
        } else {
            report.stale += 1;
        }
    }
    txn.commit().await?;
    if let (Some(id), Some(first)) = (replica_id, first) {
        // After the commit and outside its transaction: bookkeeping, not part of the events.
        if let Err(e) = registries::note_event(
            db,
            id,
            first.source_addr.as_deref(),
            first.source_instance.as_deref(),
            chrono::Utc::now(),
        )
        .await
        {
            tracing::warn!(error = %e.detailed(), "recording the replica's last event");
        }
    }
    Ok(report)
}

/// Records the event id; false when it was already recorded (a retry or a duplicate).
async fn claim(db: &impl ConnectionTrait, e: &RegistryEvent, replica_id: Option<i64>) -> Result<bool, AppError> {
    let (tag, digest) = match &e.action {
        EventAction::PushManifest { tag, digest, .. } => (tag.as_ref(), Some(digest)),
        EventAction::PullManifest { tag, digest } => (tag.as_ref(), digest.as_ref()),
        EventAction::DeleteManifest { digest } => (None, Some(digest)),
        EventAction::DeleteTag { tag } => (Some(tag), None),
        EventAction::Ignored => (None, None),
    };
    let res = registry_event::Entity::insert(registry_event::ActiveModel {
        event_id: Set(e.id.clone()),
        action: Set(e.action_name().to_owned()),
        repository: Set(e.repository.to_string()),
        tag: Set(tag.map(|t| t.to_string())),
        digest: Set(digest.map(|d| d.to_string())),
        occurred_at: Set(e.occurred_at),
        received_at: Set(chrono::Utc::now()),
        replica_id: Set(replica_id),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([registry_event::Column::EventId])
    .exec_without_returning(db)
    .await?;
    Ok(matches!(res, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// The deletes received for one repository that happened after some moment: a push or a sync
/// observation from before one of them must not bring its tag back.
pub struct LaterDeletes(Vec<(Option<String>, Option<String>, chrono::DateTime<chrono::Utc>)>);

impl LaterDeletes {
    /// Whether `tag` or the manifest `digest` was deleted after `at`.
    pub fn cover(&self, tag: &str, digest: &str, at: chrono::DateTime<chrono::Utc>) -> bool {
        self.0
            .iter()
            .any(|(t, d, when)| *when > at && (t.as_deref() == Some(tag) || d.as_deref() == Some(digest)))
    }
}

/// The deletes received for `repository` that happened after `after` (one query, however many
/// tags are then checked against them).
pub async fn deletes_after(
    db: &impl ConnectionTrait,
    repository: &str,
    after: chrono::DateTime<chrono::Utc>,
) -> Result<LaterDeletes, AppError> {
    Ok(LaterDeletes(
        registry_event::Entity::find()
            .filter(registry_event::Column::Repository.eq(repository))
            .filter(registry_event::Column::Action.eq("delete"))
            .filter(registry_event::Column::OccurredAt.gt(after))
            .all(db)
            .await?
            .into_iter()
            .map(|e| (e.tag, e.digest, e.occurred_at))
            .collect(),
    ))
}

/// What applying one event did beyond the database rows.
#[derive(Default)]
struct Applied {
    webhooks: u32,
}

/// Applied, with no webhook to notify.
fn applied() -> Result<Option<Applied>, AppError> {
    Ok(Some(Applied::default()))
}

/// Enqueues the webhook deliveries an applied push or delete causes, in the event's transaction.
async fn notify_hooks(
    db: &impl ConnectionTrait,
    settings: &IngestSettings,
    e: &RegistryEvent,
    namespace_id: Option<i64>,
    what: HookEvent<'_>,
) -> Result<Option<Applied>, AppError> {
    let Some(namespace_id) = namespace_id else {
        return applied();
    };
    let namespace = e.repository.namespace();
    let (event, tag, digest, tags) = match what {
        HookEvent::Push { tag, digest } => (WebhookEvent::Push, Some(tag), Some(digest), &[][..]),
        HookEvent::Delete { digest, tags } => (WebhookEvent::Delete, None, Some(digest), tags),
    };
    let payload = Payload {
        event,
        event_id: &e.id,
        occurred_at: payload::rfc3339(e.occurred_at),
        namespace: namespace.as_ref().map_or("", |n| n.as_str()),
        repository: e.repository.as_str(),
        tag,
        digest,
        tags,
        actor: e.actor.as_deref(),
        registry_host: settings.registry_host.as_deref(),
    };
    let n = queue::enqueue_event(db, namespace_id, &e.id, &payload).await?;
    Ok(Some(Applied {
        webhooks: u32::try_from(n).unwrap_or(u32::MAX),
    }))
}

enum HookEvent<'a> {
    Push { tag: &'a str, digest: &'a str },
    Delete { digest: &'a str, tags: &'a [String] },
}

/// Applies one new event; `None` when it is older than what the database holds.
async fn apply(
    db: &impl ConnectionTrait,
    settings: &IngestSettings,
    e: &RegistryEvent,
) -> Result<Option<Applied>, AppError> {
    let actor = e.actor.as_deref().unwrap_or("");
    match &e.action {
        EventAction::PushManifest {
            tag,
            digest,
            media_type,
            size,
        } => {
            let (repo, _) = repositories::ensure(db, &e.repository, e.occurred_at).await?;
            repositories::lock(db, repo.id).await?;
            let Some(tag) = tag else {
                // Pushed by digest only (a platform image of a multi-arch push): no tag to record.
                return applied();
            };
            let deletes = deletes_after(db, e.repository.as_str(), e.occurred_at).await?;
            if deletes.cover(tag.as_str(), digest.as_str(), e.occurred_at) {
                return Ok(None);
            }
            let write = tags::record_push(
                db,
                TagPush {
                    repository_id: repo.id,
                    tag: tag.as_str(),
                    digest: digest.as_str(),
                    media_type,
                    size: *size,
                    pushed_by: e.actor.as_deref(),
                    at: e.occurred_at,
                },
            )
            .await?;
            if write == TagWrite::Stale {
                return Ok(None);
            }
            let target = format!("{}:{}", e.repository, tag);
            activity::record(
                db,
                NewActivity {
                    actor_name: actor,
                    kind: "image.pushed",
                    namespace_id: repo.namespace_id,
                    target: &target,
                    details: digest.as_str(),
                    client_addr: e.client_addr.as_deref(),
                    ..Default::default()
                },
            )
            .await?;
            notify_hooks(
                db,
                settings,
                e,
                repo.namespace_id,
                HookEvent::Push {
                    tag: tag.as_str(),
                    digest: digest.as_str(),
                },
            )
            .await
        }
        EventAction::PullManifest { tag, digest } => {
            if !settings.own_subject.is_empty() && actor == settings.own_subject {
                return applied();
            }
            let Some(repo) = repositories::find_by_name(db, e.repository.as_str()).await? else {
                // A pull of something wharf has not seen pushed: sync will add it.
                return applied();
            };
            repositories::count_pull(db, repo.id, e.occurred_at).await?;
            tags::count_pull(
                db,
                repo.id,
                tag.as_ref().map(|t| t.as_str()),
                digest.as_ref().map(|d| d.as_str()),
                e.occurred_at,
            )
            .await?;
            applied()
        }
        EventAction::DeleteManifest { digest } => {
            let Some(repo) = repositories::find_by_name(db, e.repository.as_str()).await? else {
                return applied();
            };
            repositories::lock(db, repo.id).await?;
            let removed = tags::remove_by_digest(db, repo.id, digest.as_str(), e.occurred_at).await?;
            if removed.is_empty() {
                // A blob delete has the same shape, or the tags went already: nothing to audit.
                return applied();
            }
            repositories::touch(db, repo.id, e.occurred_at).await?;
            // wharf's own delete (console, API, CLI) is audited under the person who asked,
            // by `sync::delete`; its notification must not add a second entry.
            let own = !settings.own_subject.is_empty() && actor == settings.own_subject;
            let details = format!("{digest} (tags {})", removed.join(", "));
            if !own {
                activity::record(
                    db,
                    NewActivity {
                        actor_name: actor,
                        kind: "image.deleted",
                        namespace_id: repo.namespace_id,
                        target: e.repository.as_str(),
                        details: &details,
                        client_addr: e.client_addr.as_deref(),
                        ..Default::default()
                    },
                )
                .await?;
            }
            notify_hooks(
                db,
                settings,
                e,
                repo.namespace_id,
                HookEvent::Delete {
                    digest: digest.as_str(),
                    tags: &removed,
                },
            )
            .await
        }
        EventAction::DeleteTag { tag } => {
            let Some(repo) = repositories::find_by_name(db, e.repository.as_str()).await? else {
                return applied();
            };
            // The digest delete usually removed it already; this only settles a lone tag delete.
            repositories::lock(db, repo.id).await?;
            tags::remove_named(db, repo.id, tag.as_str(), e.occurred_at).await?;
            applied()
        }
        EventAction::Ignored => applied(),
    }
}

/// Forgets received event ids older than `days` (duplicates arrive within seconds or minutes).
pub async fn prune(db: &impl ConnectionTrait, days: i64) -> Result<u64, AppError> {
    let cutoff = chrono::Utc::now() - chrono::Duration::days(days);
    Ok(registry_event::Entity::delete_many()
        .filter(registry_event::Column::ReceivedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}
