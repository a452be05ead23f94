//! Webhooks and their delivery log: rows in, DTOs out. Secrets and header values are sealed
//! here on the way in and never leave in a DTO.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

use crate::backend::entity::{webhook, webhook_attempt, webhook_delivery};
use crate::backend::webhooks::deliver::{HEADERS_PURPOSE, SECRET_PURPOSE};
use crate::backend::webhooks::payload::rfc3339;
use crate::backend::webhooks::seal::Sealer;
use crate::backend::webhooks::validate::MAX_HOOKS_PER_NAMESPACE;
use crate::domain::dto::{DeliveryAttempt, Page, WebhookDelivery, WebhookHeader, WebhookSummary};
use crate::domain::{AppError, DeliveryStatus, WebhookEvent};

/// A webhook about to be created; every field already validated.
pub struct NewWebhook<'a> {
    pub namespace_id: i64,
    pub url: String,
    pub events: String,
    pub headers: Vec<WebhookHeader>,
    pub secret: Option<String>,
    pub enabled: bool,
    pub created_by: &'a str,
}

/// What to change; `None` keeps the current value, except that a new URL clears the secret
/// and the custom headers unless the change gives them again (see [`update`]).
#[derive(Default)]
pub struct WebhookChange {
    pub url: Option<String>,
    pub events: Option<String>,
    pub headers: Option<Vec<WebhookHeader>>,
    /// `Some(None)` removes the secret (deliveries are no longer signed).
    pub secret: Option<Option<String>>,
    pub enabled: Option<bool>,
}

fn seal_headers(sealer: &Sealer, headers: &[WebhookHeader]) -> (Option<String>, String) {
    if headers.is_empty() {
        return (None, String::new());
    }
    let json = serde_json::to_vec(headers).unwrap_or_default();
    let names = headers.iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join(",");
    (Some(sealer.seal(&json, HEADERS_PURPOSE)), names)
}

pub async fn create(
    db: &impl ConnectionTrait,
    sealer: &Sealer,
    new: NewWebhook<'_>,
) -> Result<webhook::Model, AppError> {
    let existing = webhook::Entity::find()
        .filter(webhook::Column::NamespaceId.eq(new.namespace_id))
        .count(db)
        .await?;
    if existing >= MAX_HOOKS_PER_NAMESPACE {
        return Err(AppError::Conflict(format!(
            "a namespace has at most {MAX_HOOKS_PER_NAMESPACE} webhooks"
        )));
    }
    let (headers_sealed, header_names) = seal_headers(sealer, &new.headers);
    let now = Utc::now();
    Ok(webhook::ActiveModel {
        namespace_id: Set(new.namespace_id),
        url: Set(new.url),
        events: Set(new.events),
        enabled: Set(new.enabled),
        secret_sealed: Set(new.secret.map(|s| sealer.seal(s.as_bytes(), SECRET_PURPOSE))),
        headers_sealed: Set(headers_sealed),
        header_names: Set(header_names),
        created_by: Set(new.created_by.chars().take(64).collect()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// What an update cleared because the URL changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cleared {
    pub secret: bool,
    pub headers: bool,
}

/// Applies `change`. The secret and header values were given for the receiver at the old URL:
/// a new URL does not inherit them, or anyone who may edit the hook could send them (an
/// `Authorization` header, a signing key) to a server of their own with one edit and a
/// test-fire. Those the change gives again are kept.
pub async fn update(
    db: &impl ConnectionTrait,
    sealer: &Sealer,
    hook: webhook::Model,
    mut change: WebhookChange,
) -> Result<(webhook::Model, Cleared), AppError> {
    let mut cleared = Cleared::default();
    if change.url.as_ref().is_some_and(|u| *u != hook.url) {
        if change.secret.is_none() {
            cleared.secret = hook.secret_sealed.is_some();
            change.secret = Some(None);
        }
        if change.headers.is_none() {
            cleared.headers = hook.headers_sealed.is_some();
            change.headers = Some(Vec::new());
        }
    }
    let mut m: webhook::ActiveModel = hook.into();
    if let Some(url) = change.url {
        m.url = Set(url);
    }
    if let Some(events) = change.events {
        m.events = Set(events);
    }
    if let Some(headers) = change.headers {
        let (sealed, names) = seal_headers(sealer, &headers);
        m.headers_sealed = Set(sealed);
        m.header_names = Set(names);
    }
    if let Some(secret) = change.secret {
        m.secret_sealed = Set(secret.map(|s| sealer.seal(s.as_bytes(), SECRET_PURPOSE)));
    }
    if let Some(enabled) = change.enabled {
        m.enabled = Set(enabled);
    }
    m.updated_at = Set(Utc::now());
    Ok((m.update(db).await?, cleared))
}

pub async fn delete(db: &impl ConnectionTrait, hook: webhook::Model) -> Result<(), AppError> {
    webhook::Entity::delete_by_id(hook.id).exec(db).await?;
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<webhook::Model>, AppError> {
    Ok(webhook::Entity::find_by_id(id).one(db).await?)
}

pub async fn for_namespace(db: &impl ConnectionTrait, namespace_id: i64) -> Result<Vec<webhook::Model>, AppError> {
    Ok(webhook::Entity::find()
        .filter(webhook::Column::NamespaceId.eq(namespace_id))
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await?)
}

fn events_of(hook: &webhook::Model) -> Vec<WebhookEvent> {
    hook.events.split(',').filter_map(|e| e.trim().parse().ok()).collect()
}

/// The webhook as the console and the API show it.
pub async fn summary(
    db: &impl ConnectionTrait,
    hook: &webhook::Model,
    namespace: &str,
) -> Result<WebhookSummary, AppError> {
    let mut all = summaries(db, std::slice::from_ref(hook), namespace).await?;
    all.pop().ok_or_else(|| AppError::internal("summarising a webhook"))
}

/// Several webhooks of one namespace, with the status of each one's latest delivery: two
/// queries whatever their number (the latest delivery ids, grouped; then those rows).
pub async fn summaries(
    db: &impl ConnectionTrait,
    hooks: &[webhook::Model],
    namespace: &str,
) -> Result<Vec<WebhookSummary>, AppError> {
    let ids: Vec<i64> = hooks.iter().map(|h| h.id).collect();
    let latest: Vec<i64> = webhook_delivery::Entity::find()
        .select_only()
        .column_as(webhook_delivery::Column::Id.max(), "latest")
        .filter(webhook_delivery::Column::WebhookId.is_in(ids))
        .group_by(webhook_delivery::Column::WebhookId)
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let last: std::collections::HashMap<i64, DeliveryStatus> = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Id.is_in(latest))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.webhook_id, d.status))
        .collect();
    Ok(hooks
        .iter()
        .map(|hook| WebhookSummary {
            id: hook.id,
            namespace: namespace.to_owned(),
            url: hook.url.clone(),
            events: events_of(hook),
            enabled: hook.enabled,
            has_secret: hook.secret_sealed.is_some(),
            header_names: hook
                .header_names
                .split(',')
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect(),
            created_by: hook.created_by.clone(),
            created_at: rfc3339(hook.created_at),
            updated_at: rfc3339(hook.updated_at),
            last_delivery: last.get(&hook.id).copied(),
        })
        .collect())
}

fn delivery_dto(d: webhook_delivery::Model, attempts: Vec<webhook_attempt::Model>) -> WebhookDelivery {
    let status = d.status;
    WebhookDelivery {
        id: d.id,
        delivery_id: d.delivery_id,
        event: d.event,
        status,
        attempts: d.attempts,
        created_at: rfc3339(d.created_at),
        next_attempt_at: (status == DeliveryStatus::Pending).then(|| rfc3339(d.next_attempt_at)),
        finished_at: d.finished_at.map(rfc3339),
        last_status_code: d.last_status_code,
        payload: d.payload,
        attempt_log: attempts
            .into_iter()
            .map(|a| DeliveryAttempt {
                number: a.number,
                started_at: rfc3339(a.started_at),
                duration_ms: a.duration_ms,
                status_code: a.status_code,
                error: a.error,
                response_excerpt: a.response_excerpt,
                worker: a.worker,
            })
            .collect(),
    }
}

/// The delivery log of `webhook_id`, newest first, each delivery with its attempts.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    webhook_id: i64,
    page: u64,
    per_page: u64,
) -> Result<Page<WebhookDelivery>, AppError> {
    let query = webhook_delivery::Entity::find().filter(webhook_delivery::Column::WebhookId.eq(webhook_id));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(webhook_delivery::Column::Id)
        .offset((page - 1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    let mut by_delivery: std::collections::HashMap<i64, Vec<webhook_attempt::Model>> = Default::default();
    for a in webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.is_in(ids))
        .order_by_asc(webhook_attempt::Column::Number)
        .all(db)
        .await?
    {
        by_delivery.entry(a.delivery_id).or_default().push(a);
    }
    let items = rows
        .into_iter()
        .map(|d| {
            let attempts = by_delivery.remove(&d.id).unwrap_or_default();
            delivery_dto(d, attempts)
        })
        .collect();
    Ok(Page {
        items,
        total,
        page,
        per_page,
        total_capped: false,
    })
}

/// One delivery of `webhook_id` with its attempts.
pub async fn delivery(
    db: &impl ConnectionTrait,
    webhook_id: i64,
    id: i64,
) -> Result<Option<(webhook_delivery::Model, WebhookDelivery)>, AppError> {
    let Some(d) = webhook_delivery::Entity::find_by_id(id)
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let attempts = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.eq(d.id))
        .order_by_asc(webhook_attempt::Column::Number)
        .all(db)
        .await?;
    Ok(Some((d.clone(), delivery_dto(d, attempts))))
}
