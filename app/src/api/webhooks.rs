//! A namespace's outgoing webhooks: list, create, change, delete, test-fire, and the delivery
//! log with redelivery. Only those who manage the namespace (authz::may_manage_webhooks).
//! Arguments travel as JSON: lists of headers and events do not survive form encoding.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::dto::{Page, WebhookDelivery, WebhookHeader, WebhookSummary};
use crate::domain::{AppError, WebhookEvent};

#[cfg(feature = "ssr")]
use crate::backend::services::webhooks as svc;

/// The webhooks of `namespace` (empty name: the global namespace).
#[server(endpoint = "list_webhooks")]
pub async fn list_webhooks(namespace: String) -> Result<Vec<WebhookSummary>, AppError> {
    super::context::serve(async move |state, c| svc::list(state, c, namespace).await).await
}

/// One webhook.
#[server(endpoint = "get_webhook")]
pub async fn get_webhook(id: i64) -> Result<WebhookSummary, AppError> {
    super::context::serve(async move |state, c| svc::get(state, c, id).await).await
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
    let new = svc::NewWebhook {
        namespace,
        url,
        events,
        headers,
        secret,
        enabled,
    };
    super::context::serve(async move |state, c| svc::create(state, c, new).await).await
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
    let change = svc::WebhookChange {
        url,
        events,
        headers,
        secret,
        remove_secret,
        enabled,
    };
    super::context::serve(async move |state, c| svc::update(state, c, id, change).await).await
}

/// Deletes a webhook and its delivery log.
#[server(endpoint = "delete_webhook")]
pub async fn delete_webhook(id: i64) -> Result<(), AppError> {
    super::context::serve(async move |state, c| svc::delete(state, c, id).await).await
}

/// Queues a `ping` delivery now (signed like any other), to check the receiver.
#[server(endpoint = "test_webhook")]
pub async fn test_webhook(id: i64) -> Result<WebhookDelivery, AppError> {
    super::context::serve(async move |state, c| svc::test(state, c, id).await).await
}

/// The delivery log of a webhook, newest first, with every attempt.
#[server(endpoint = "list_webhook_deliveries")]
pub async fn list_webhook_deliveries(
    id: i64,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Page<WebhookDelivery>, AppError> {
    super::context::serve(async move |state, c| svc::deliveries(state, c, id, page, per_page).await).await
}

/// One delivery of a webhook, with every attempt.
#[server(endpoint = "get_webhook_delivery")]
pub async fn get_webhook_delivery(id: i64, delivery: i64) -> Result<WebhookDelivery, AppError> {
    super::context::serve(async move |state, c| svc::delivery(state, c, id, delivery).await).await
}

/// Sends a delivery again, as a new delivery with the same body.
#[server(endpoint = "redeliver_webhook")]
pub async fn redeliver_webhook(id: i64, delivery: i64) -> Result<WebhookDelivery, AppError> {
    super::context::serve(async move |state, c| svc::redeliver(state, c, id, delivery).await).await
}
