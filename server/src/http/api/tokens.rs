//! `/api/v1/tokens`: the caller's application tokens.

use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use wharf_app::api::account;
use wharf_app::backend::error::ApiError;
use wharf_app::domain::dto::{AppTokenRow, CreatedAppToken, Page};

use super::extract::{Json, Path, Query};
use super::{page_of, Api, Errors, Paging};

/// Your application tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "account", params(Paging),
    responses((status = 200, body = Page<AppTokenRow>), Errors))]
pub async fn list(api: Api, Query(p): Query<Paging>) -> Result<axum::Json<Page<AppTokenRow>>, ApiError> {
    let all = api.run(account::list_app_tokens()).await?;
    page_of(all, &p).map(axum::Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// Pull only, and GET only on this API.
    #[serde(default)]
    pub read_only: bool,
    /// Days until it expires (1–3650); absent: never.
    pub expires_in_days: Option<u32>,
}

/// Makes an application token. Its secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "account", request_body = NewToken,
    responses((status = 201, body = CreatedAppToken), (status = 409, description = "You have a token of that name", body = wharf_app::backend::error::ErrorBody), Errors))]
pub async fn create(api: Api, Json(t): Json<NewToken>) -> Result<(StatusCode, axum::Json<CreatedAppToken>), ApiError> {
    let read_only = t.read_only.then(|| "on".to_owned());
    let days = t.expires_in_days.map(|d| d.to_string());
    let created = api.run(account::create_app_token(t.name, read_only, days)).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// Revokes one of your tokens; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{name}", tag = "account",
    params(("name" = String, Path, description = "Token name")),
    responses((status = 204, description = "Revoked"), Errors))]
pub async fn revoke(api: Api, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    api.run(account::revoke_app_token(name)).await?;
    Ok(StatusCode::NO_CONTENT)
}
