//! Outgoing webhooks of a namespace and their delivery log: whoever manages the namespace (`authz::may_manage_webhooks`) lists, creates, changes, tests and deletes them.

use super::Caller;
use crate::backend::AppState;
use crate::domain::dto::{Page, WebhookDelivery, WebhookHeader, WebhookSummary};
use crate::domain::{AppError, WebhookEvent};

/// The namespace `name` if the caller manages its webhooks (404 when they may not see it).
async fn managed_namespace(
    state: &AppState,
    c: &Caller,
    name: &str,
) -> Result<crate::backend::entity::namespace::Model, AppError> {
    c.require_user()?;
    let (ns, facts) = c.namespace(state, name).await?;
    if !crate::authz::may_manage_webhooks(&c.subject, &facts) {
        return Err(AppError::Forbidden(
            "only those who manage this namespace may see and change its webhooks".into(),
        ));
    }
    Ok(ns)
}

/// The webhook `id` with its namespace, if the caller manages it.
async fn managed_hook(
    state: &AppState,
    c: &Caller,
    id: i64,
) -> Result<
    (
        crate::backend::entity::webhook::Model,
        crate::backend::entity::namespace::Model,
    ),
    AppError,
> {
    use sea_orm::EntityTrait;
    c.require_user()?;
    let not_found = || AppError::NotFound(format!("no webhook {id}"));
    let hook = crate::backend::store::webhooks::find(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    let ns = crate::backend::entity::namespace::Entity::find_by_id(hook.namespace_id)
        .one(&state.db)
        .await?
        .ok_or_else(not_found)?;
    // A namespace the caller cannot see answers as if the hook did not exist.
    let ns = managed_namespace(state, c, &ns.name).await.map_err(|e| match e {
        AppError::NotFound(_) => not_found(),
        e => e,
    })?;
    Ok((hook, ns))
}

async fn latest_with_cause(state: &AppState, hook_id: i64, cause: &str) -> Result<WebhookDelivery, AppError> {
    use crate::backend::entity::webhook_delivery;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let d = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(hook_id))
        .filter(webhook_delivery::Column::Cause.eq(cause))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("the queued delivery vanished"))?;
    crate::backend::store::webhooks::delivery(&state.db, hook_id, d.id)
        .await?
        .map(|(_, dto)| dto)
        .ok_or_else(|| AppError::internal("the queued delivery vanished"))
}

/// The webhooks of `namespace` (empty name: the global namespace).
pub async fn list(state: &AppState, c: &Caller, namespace: String) -> Result<Vec<WebhookSummary>, AppError> {
    use crate::backend::store::webhooks;
    let ns = managed_namespace(state, c, &namespace).await?;
    let hooks = webhooks::for_namespace(&state.db, ns.id).await?;
    webhooks::summaries(&state.db, &hooks, &ns.name).await
}

/// One webhook.
pub async fn get(state: &AppState, c: &Caller, id: i64) -> Result<WebhookSummary, AppError> {
    let (hook, ns) = managed_hook(state, c, id).await?;
    crate::backend::store::webhooks::summary(&state.db, &hook, &ns.name).await
}

/// A webhook to create.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    /// Its namespace (empty: the global one).
    pub namespace: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub headers: Vec<WebhookHeader>,
    pub secret: Option<String>,
    pub enabled: bool,
}

/// What to change about a webhook; `None` keeps it.
#[derive(Debug, Clone, Default)]
pub struct WebhookChange {
    pub url: Option<String>,
    pub events: Option<Vec<WebhookEvent>>,
    pub headers: Option<Vec<WebhookHeader>>,
    pub secret: Option<String>,
    pub remove_secret: bool,
    pub enabled: Option<bool>,
}

/// Creates a webhook. The secret (optional, 8–256 characters) signs every delivery and is
/// never shown again; header values are likewise write-only.
pub async fn create(state: &AppState, c: &Caller, new: NewWebhook) -> Result<WebhookSummary, AppError> {
    use crate::backend::store::webhooks;
    let NewWebhook {
        namespace,
        url,
        events,
        headers,
        secret,
        enabled,
    } = new;
    use crate::backend::webhooks::validate;
    let ns = managed_namespace(state, c, &namespace).await?;
    let hooks = &state.webhooks;
    let new = webhooks::NewWebhook {
        namespace_id: ns.id,
        url: validate::url(&url, &hooks.policy)?,
        events: validate::events(&events)?,
        headers: validate::headers(&headers)?,
        secret: validate::secret(secret.as_deref())?,
        enabled,
        created_by: c.name(),
    };
    let txn = crate::backend::db::begin_write(&state.db).await?;
    let hook = webhooks::create(&*txn, &hooks.sealer, new).await?;
    c.audit(&*txn, "webhook.created", Some(ns.id), &ns.name, &hook.events)
        .await?;
    txn.commit().await?;
    webhooks::summary(&state.db, &hook, &ns.name).await
}

/// Changes a webhook; absent fields stay as they are. `secret` replaces the secret;
/// `remove_secret` stops signing; `headers` replaces every custom header. A different `url`
/// clears the secret and the custom headers unless this call gives them again: they were
/// meant for the old receiver.
pub async fn update(state: &AppState, c: &Caller, id: i64, change: WebhookChange) -> Result<WebhookSummary, AppError> {
    use crate::backend::store::webhooks;
    let WebhookChange {
        url,
        events,
        headers,
        secret,
        remove_secret,
        enabled,
    } = change;
    use crate::backend::webhooks::validate;
    let (hook, ns) = managed_hook(state, c, id).await?;
    let hooks = &state.webhooks;
    let new_secret = validate::secret(secret.as_deref())?;
    if remove_secret && new_secret.is_some() {
        return Err(AppError::BadRequest("give a new secret or remove it, not both".into()));
    }
    let change = webhooks::WebhookChange {
        url: url.map(|u| validate::url(&u, &hooks.policy)).transpose()?,
        events: events.map(|e| validate::events(&e)).transpose()?,
        headers: headers.map(|h| validate::headers(&h)).transpose()?,
        secret: if remove_secret {
            Some(None)
        } else {
            new_secret.map(Some)
        },
        enabled,
    };
    let txn = crate::backend::db::begin_write(&state.db).await?;
    let (hook, cleared) = webhooks::update(&*txn, &hooks.sealer, hook, change).await?;
    let mut details = format!("webhook {}", hook.id);
    if cleared.secret || cleared.headers {
        let what = match (cleared.secret, cleared.headers) {
            (true, true) => "secret and custom headers",
            (true, false) => "secret",
            _ => "custom headers",
        };
        details.push_str(&format!(": URL changed, {what} cleared"));
    }
    c.audit(&*txn, "webhook.updated", Some(ns.id), &ns.name, &details)
        .await?;
    txn.commit().await?;
    webhooks::summary(&state.db, &hook, &ns.name).await
}

/// Deletes a webhook and its delivery log.
pub async fn delete(state: &AppState, c: &Caller, id: i64) -> Result<(), AppError> {
    let (hook, ns) = managed_hook(state, c, id).await?;
    let txn = crate::backend::db::begin_write(&state.db).await?;
    crate::backend::store::webhooks::delete(&*txn, hook).await?;
    c.audit(
        &*txn,
        "webhook.deleted",
        Some(ns.id),
        &ns.name,
        &format!("webhook {id}"),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Queues a `ping` delivery now (signed like any other), to check the receiver.
pub async fn test(state: &AppState, c: &Caller, id: i64) -> Result<WebhookDelivery, AppError> {
    use crate::backend::webhooks::{payload, queue};
    let (hook, ns) = managed_hook(state, c, id).await?;
    let cause = format!("ping:{}", queue::new_delivery_id());
    let body = payload::Payload {
        event: WebhookEvent::Ping,
        event_id: &cause,
        occurred_at: payload::rfc3339(chrono::Utc::now()),
        namespace: &ns.name,
        repository: "",
        tag: None,
        digest: None,
        tags: &[],
        actor: Some(c.name()),
        registry_host: state.config.registry_host.as_deref(),
    }
    .to_json();
    queue::enqueue(&state.db, hook.id, WebhookEvent::Ping, &cause, &body).await?;
    state.webhooks.wake();
    latest_with_cause(state, hook.id, &cause).await
}

/// The delivery log of a webhook, newest first, with every attempt.
pub async fn deliveries(
    state: &AppState,
    c: &Caller,
    id: i64,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Page<WebhookDelivery>, AppError> {
    let (hook, _) = managed_hook(state, c, id).await?;
    let (page, per_page) = crate::domain::page_request(page, per_page, 20)?;
    crate::backend::store::webhooks::deliveries(&state.db, hook.id, page, per_page).await
}

/// One delivery of a webhook, with every attempt.
pub async fn delivery(state: &AppState, c: &Caller, id: i64, delivery: i64) -> Result<WebhookDelivery, AppError> {
    let (hook, _) = managed_hook(state, c, id).await?;
    crate::backend::store::webhooks::delivery(&state.db, hook.id, delivery)
        .await?
        .map(|(_, dto)| dto)
        .ok_or_else(|| AppError::NotFound(format!("no delivery {delivery} of webhook {id}")))
}

/// Sends a delivery again, as a new delivery with the same body.
pub async fn redeliver(state: &AppState, c: &Caller, id: i64, delivery: i64) -> Result<WebhookDelivery, AppError> {
    let (hook, _) = managed_hook(state, c, id).await?;
    let (original, _) = crate::backend::store::webhooks::delivery(&state.db, hook.id, delivery)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no delivery {delivery} of webhook {id}")))?;
    let copy = crate::backend::webhooks::queue::redeliver(&state.db, &original).await?;
    state.webhooks.wake();
    latest_with_cause(state, hook.id, &copy.cause).await
}
