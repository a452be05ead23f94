//! A namespace's outgoing webhooks: list, create, change, delete, test-fire, and the delivery
//! log with redelivery. Only those who manage the namespace (authz::may_manage_webhooks).
//! Arguments travel as JSON: lists of headers and events do not survive form encoding.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::dto::{Page, WebhookDelivery, WebhookHeader, WebhookSummary};
use crate::domain::{AppError, WebhookEvent};

/// The namespace `name` if the caller manages its webhooks (404 when they may not see it).
#[cfg(feature = "ssr")]
async fn managed_namespace(
    c: &super::context::Caller,
    name: &str,
) -> Result<crate::backend::entity::namespace::Model, AppError> {
    c.require_user()?;
    let (ns, facts) = c.namespace(name).await?;
    if !crate::authz::may_manage_webhooks(&c.subject, &facts) {
        return Err(AppError::Forbidden(
            "only those who manage this namespace may see and change its webhooks".into(),
        ));
    }
    Ok(ns)
}

/// The webhook `id` with its namespace, if the caller manages it.
#[cfg(feature = "ssr")]
async fn managed_hook(
    c: &super::context::Caller,
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
    let hook = crate::backend::store::webhooks::find(&c.state.db, id)
        .await?
        .ok_or_else(not_found)?;
    let ns = crate::backend::entity::namespace::Entity::find_by_id(hook.namespace_id)
        .one(&c.state.db)
        .await?
        .ok_or_else(not_found)?;
    // A namespace the caller cannot see answers as if the hook did not exist.
    let ns = managed_namespace(c, &ns.name).await.map_err(|e| match e {
        AppError::NotFound(_) => not_found(),
        e => e,
    })?;
    Ok((hook, ns))
}

/// The webhooks of `namespace` (empty name: the global namespace).
#[server(endpoint = "list_webhooks")]
pub async fn list_webhooks(namespace: String) -> Result<Vec<WebhookSummary>, AppError> {
    super::context::run(async move {
        use crate::backend::store::webhooks;
        let c = super::context::caller().await?;
        let ns = managed_namespace(&c, &namespace).await?;
        let mut out = Vec::new();
        for hook in webhooks::for_namespace(&c.state.db, ns.id).await? {
            out.push(webhooks::summary(&c.state.db, &hook, &ns.name).await?);
        }
        Ok(out)
    })
    .await
}

/// One webhook.
#[server(endpoint = "get_webhook")]
pub async fn get_webhook(id: i64) -> Result<WebhookSummary, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let (hook, ns) = managed_hook(&c, id).await?;
        crate::backend::store::webhooks::summary(&c.state.db, &hook, &ns.name).await
    })
    .await
}

/// Creates a webhook. The secret (optional, 8–256 characters) signs every delivery and is
/// never shown again; header values are likewise write-only.
#[server(endpoint = "create_webhook", input = Json)]
pub async fn create_webhook(
    namespace: String,
    url: String,
    events: Vec<WebhookEvent>,
    headers: Vec<WebhookHeader>,
    secret: Option<String>,
    enabled: bool,
) -> Result<WebhookSummary, AppError> {
    super::context::run(async move {
        use crate::backend::store::webhooks;
        use crate::backend::webhooks::validate;
        let c = super::context::caller().await?;
        let ns = managed_namespace(&c, &namespace).await?;
        let hooks = &c.state.webhooks;
        let new = webhooks::NewWebhook {
            namespace_id: ns.id,
            url: validate::url(&url, &hooks.policy)?,
            events: validate::events(&events)?,
            headers: validate::headers(&headers)?,
            secret: validate::secret(secret.as_deref())?,
            enabled,
            created_by: c.name(),
        };
        let txn = crate::backend::db::begin_write(&c.state.db).await?;
        let hook = webhooks::create(&*txn, &hooks.sealer, new).await?;
        c.audit(&*txn, "webhook.created", Some(ns.id), &ns.name, &hook.events)
            .await?;
        txn.commit().await?;
        webhooks::summary(&c.state.db, &hook, &ns.name).await
    })
    .await
}

/// Changes a webhook; absent fields stay as they are. `secret` replaces the secret;
/// `remove_secret` stops signing; `headers` replaces every custom header. A different `url`
/// clears the secret and the custom headers unless this call gives them again: they were
/// meant for the old receiver.
#[server(endpoint = "update_webhook", input = Json)]
pub async fn update_webhook(
    id: i64,
    url: Option<String>,
    events: Option<Vec<WebhookEvent>>,
    headers: Option<Vec<WebhookHeader>>,
    secret: Option<String>,
    remove_secret: bool,
    enabled: Option<bool>,
) -> Result<WebhookSummary, AppError> {
    super::context::run(async move {
        use crate::backend::store::webhooks;
        use crate::backend::webhooks::validate;
        let c = super::context::caller().await?;
        let (hook, ns) = managed_hook(&c, id).await?;
        let hooks = &c.state.webhooks;
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
        let txn = crate::backend::db::begin_write(&c.state.db).await?;
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
        webhooks::summary(&c.state.db, &hook, &ns.name).await
    })
    .await
}

/// Deletes a webhook and its delivery log.
#[server(endpoint = "delete_webhook")]
pub async fn delete_webhook(id: i64) -> Result<(), AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let (hook, ns) = managed_hook(&c, id).await?;
        let txn = crate::backend::db::begin_write(&c.state.db).await?;
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
    })
    .await
}

/// Queues a `ping` delivery now (signed like any other), to check the receiver.
#[server(endpoint = "test_webhook")]
pub async fn test_webhook(id: i64) -> Result<WebhookDelivery, AppError> {
    super::context::run(async move {
        use crate::backend::webhooks::{payload, queue};
        let c = super::context::caller().await?;
        let (hook, ns) = managed_hook(&c, id).await?;
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
            registry_host: c.state.config.registry_host.as_deref(),
        }
        .to_json();
        queue::enqueue(&c.state.db, hook.id, WebhookEvent::Ping, &cause, &body).await?;
        c.state.webhooks.wake();
        latest_with_cause(&c, hook.id, &cause).await
    })
    .await
}

#[cfg(feature = "ssr")]
async fn latest_with_cause(c: &super::context::Caller, hook_id: i64, cause: &str) -> Result<WebhookDelivery, AppError> {
    use crate::backend::entity::webhook_delivery;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let d = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(hook_id))
        .filter(webhook_delivery::Column::Cause.eq(cause))
        .one(&c.state.db)
        .await?
        .ok_or_else(|| AppError::Internal("the queued delivery vanished".into()))?;
    crate::backend::store::webhooks::delivery(&c.state.db, hook_id, d.id)
        .await?
        .map(|(_, dto)| dto)
        .ok_or_else(|| AppError::Internal("the queued delivery vanished".into()))
}

/// The delivery log of a webhook, newest first, with every attempt.
#[server(endpoint = "list_webhook_deliveries")]
pub async fn list_webhook_deliveries(
    id: i64,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Page<WebhookDelivery>, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let (hook, _) = managed_hook(&c, id).await?;
        let (page, per_page) = crate::domain::page_request(page, per_page, 20)?;
        crate::backend::store::webhooks::deliveries(&c.state.db, hook.id, page, per_page).await
    })
    .await
}

/// One delivery of a webhook, with every attempt.
#[server(endpoint = "get_webhook_delivery")]
pub async fn get_webhook_delivery(id: i64, delivery: i64) -> Result<WebhookDelivery, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let (hook, _) = managed_hook(&c, id).await?;
        crate::backend::store::webhooks::delivery(&c.state.db, hook.id, delivery)
            .await?
            .map(|(_, dto)| dto)
            .ok_or_else(|| AppError::NotFound(format!("no delivery {delivery} of webhook {id}")))
    })
    .await
}

/// Sends a delivery again, as a new delivery with the same body.
#[server(endpoint = "redeliver_webhook")]
pub async fn redeliver_webhook(id: i64, delivery: i64) -> Result<WebhookDelivery, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let (hook, _) = managed_hook(&c, id).await?;
        let (original, _) = crate::backend::store::webhooks::delivery(&c.state.db, hook.id, delivery)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no delivery {delivery} of webhook {id}")))?;
        let copy = crate::backend::webhooks::queue::redeliver(&c.state.db, &original).await?;
        c.state.webhooks.wake();
        latest_with_cause(&c, hook.id, &copy.cause).await
    })
    .await
}
