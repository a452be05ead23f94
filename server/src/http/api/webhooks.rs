//! `/api/v1/namespaces/{name}/webhooks` and `/api/v1/webhooks/{id}`: outgoing webhooks and
//! their delivery log, for those who manage the namespace.

use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use wharf_app::backend::error::ApiError;
use wharf_app::backend::services::webhooks;
use wharf_app::domain::dto::{Page, WebhookDelivery, WebhookHeader, WebhookSummary};
use wharf_app::domain::WebhookEvent;

use super::extract::{Json, Path, Query};
use super::namespaces::real_name;
use super::{Api, Errors, Paging};

/// A namespace's webhooks.
#[utoipa::path(get, path = "/api/v1/namespaces/{name}/webhooks", tag = "webhooks",
    params(("name" = String, Path, description = "Namespace name (`_`: the global namespace)")),
    responses((status = 200, body = Vec<WebhookSummary>), Errors))]
pub async fn list(api: Api, Path(name): Path<String>) -> Result<axum::Json<Vec<WebhookSummary>>, ApiError> {
    let name = real_name(name);
    api.call(async |s, c| webhooks::list(s, c, name).await)
        .await
        .map(axum::Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where deliveries are POSTed (http or https).
    pub url: String,
    /// `push` and/or `delete`.
    pub events: Vec<WebhookEvent>,
    /// Sent with every delivery; the values are never shown again.
    #[serde(default)]
    pub headers: Vec<WebhookHeader>,
    /// Signs every delivery (`X-Wharf-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
    /// "<t>.<body>">`); 8–256 characters; never shown again.
    pub secret: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// Creates a webhook in a namespace you manage.
#[utoipa::path(post, path = "/api/v1/namespaces/{name}/webhooks", tag = "webhooks", request_body = NewWebhook,
    params(("name" = String, Path, description = "Namespace name (`_`: the global namespace)")),
    responses((status = 201, body = WebhookSummary), (status = 409, description = "The namespace has as many webhooks as it may", body = wharf_app::backend::error::ErrorBody), Errors))]
pub async fn create(
    api: Api,
    Path(name): Path<String>,
    Json(n): Json<NewWebhook>,
) -> Result<(StatusCode, axum::Json<WebhookSummary>), ApiError> {
    let new = webhooks::NewWebhook {
        namespace: real_name(name),
        url: n.url,
        events: n.events,
        headers: n.headers,
        secret: n.secret,
        enabled: n.enabled,
    };
    let hook = api.call(async |s, c| webhooks::create(s, c, new).await).await?;
    Ok((StatusCode::CREATED, axum::Json(hook)))
}

/// A webhook.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, body = WebhookSummary), Errors))]
pub async fn get(api: Api, Path(id): Path<i64>) -> Result<axum::Json<WebhookSummary>, ApiError> {
    api.call(async |s, c| webhooks::get(s, c, id).await)
        .await
        .map(axum::Json)
}

/// What to change about a webhook; absent fields stay as they are, except that a new URL
/// clears the secret and the custom headers unless the same request gives them again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChange {
    /// A different URL clears the secret and the custom headers (they were meant for the old
    /// receiver) unless `secret` and `headers` are given in the same request.
    pub url: Option<String>,
    pub events: Option<Vec<WebhookEvent>>,
    /// Replaces every custom header.
    pub headers: Option<Vec<WebhookHeader>>,
    /// A new secret.
    pub secret: Option<String>,
    /// Stop signing deliveries.
    #[serde(default)]
    pub remove_secret: bool,
    pub enabled: Option<bool>,
}

/// Changes a webhook.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", request_body = WebhookChange,
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, body = WebhookSummary), Errors))]
pub async fn update(
    api: Api,
    Path(id): Path<i64>,
    Json(c): Json<WebhookChange>,
) -> Result<axum::Json<WebhookSummary>, ApiError> {
    let change = webhooks::WebhookChange {
        url: c.url,
        events: c.events,
        headers: c.headers,
        secret: c.secret,
        remove_secret: c.remove_secret,
        enabled: c.enabled,
    };
    api.call(async |s, caller| webhooks::update(s, caller, id, change).await)
        .await
        .map(axum::Json)
}

/// Deletes a webhook and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 204, description = "Deleted"), Errors))]
pub async fn delete(api: Api, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    api.call(async |s, c| webhooks::delete(s, c, id).await).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Queues a signed `ping` delivery now.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 202, description = "Queued; poll the delivery for its outcome", body = WebhookDelivery), Errors))]
pub async fn test(api: Api, Path(id): Path<i64>) -> Result<(StatusCode, axum::Json<WebhookDelivery>), ApiError> {
    let d = api.call(async |s, c| webhooks::test(s, c, id).await).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(d)))
}

/// The delivery log, newest first, with every attempt (status, duration, response excerpt).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id"), Paging),
    responses((status = 200, body = Page<WebhookDelivery>), Errors))]
pub async fn deliveries(
    api: Api,
    Path(id): Path<i64>,
    Query(p): Query<Paging>,
) -> Result<axum::Json<Page<WebhookDelivery>>, ApiError> {
    api.call(async |s, c| webhooks::deliveries(s, c, id, p.page, p.per_page).await)
        .await
        .map(axum::Json)
}

/// One delivery with every attempt.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries/{delivery}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id"), ("delivery" = i64, Path, description = "Delivery id (the number, not the UUID)")),
    responses((status = 200, body = WebhookDelivery), Errors))]
pub async fn delivery(
    api: Api,
    Path((id, delivery)): Path<(i64, i64)>,
) -> Result<axum::Json<WebhookDelivery>, ApiError> {
    api.call(async |s, c| webhooks::delivery(s, c, id, delivery).await)
        .await
        .map(axum::Json)
}

/// Sends a delivery again, as a new delivery with the same body.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id"), ("delivery" = i64, Path, description = "Delivery id")),
    responses((status = 202, description = "Queued", body = WebhookDelivery), Errors))]
pub async fn redeliver(
    api: Api,
    Path((id, delivery)): Path<(i64, i64)>,
) -> Result<(StatusCode, axum::Json<WebhookDelivery>), ApiError> {
    let d = api
        .call(async |s, c| webhooks::redeliver(s, c, id, delivery).await)
        .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(d)))
}
