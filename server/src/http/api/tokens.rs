//! `/api/v1/tokens`: the caller's application tokens.

use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use wharf_app::backend::error::ApiError;
use wharf_app::backend::services::tokens;
use wharf_app::domain::dto::{AppTokenRow, CreatedAppToken, Page};

use super::extract::{Json, Path, Query};
use super::{page_of, Api, Errors, Paging};

/// Your application tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "account", params(Paging),
    responses((status = 200, body = Page<AppTokenRow>), Errors))]
pub async fn list(api: Api, Query(p): Query<Paging>) -> Result<axum::Json<Page<AppTokenRow>>, ApiError> {
    let all = api.call(async |s, c| tokens::list(s, c, None).await).await?;
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
    let new = tokens::NewToken {
        of: None,
        name: t.name,
        read_only: t.read_only,
        // As in the console's form, 0 means never.
        expires_in_days: t.expires_in_days.filter(|d| *d > 0),
    };
    let created = api.call(async |s, c| tokens::create(s, c, new).await).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// Revokes one of your tokens; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{name}", tag = "account",
    params(("name" = String, Path, description = "Token name")),
    responses((status = 204, description = "Revoked"), Errors))]
pub async fn revoke(api: Api, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    api.call(async |s, c| tokens::revoke(s, c, None, &name).await).await?;
    Ok(StatusCode::NO_CONTENT)
}
