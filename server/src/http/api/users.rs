//! `/api/v1/user` (who am I) and `/api/v1/users` (administrators).

use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use wharf_app::backend::error::ApiError;
use wharf_app::backend::services::users;
use wharf_app::domain::dto::{CurrentUser, Page, UserRow};
use wharf_app::domain::AppError;

use super::extract::{Json, Path, Query};
use super::{Api, Errors};

/// The authenticated user.
#[utoipa::path(get, path = "/api/v1/user", tag = "account",
    responses((status = 200, body = CurrentUser), Errors))]
pub async fn whoami(api: Api) -> Result<axum::Json<CurrentUser>, ApiError> {
    api.call(async |_, c| Ok(c.current_user()))
        .await?
        .map(axum::Json)
        .ok_or_else(|| ApiError(AppError::Unauthorized("authenticate with an application token".into())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of the user name or e-mail address.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// Users, by name.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, body = Page<UserRow>), Errors))]
pub async fn list(api: Api, Query(q): Query<UserQuery>) -> Result<axum::Json<Page<UserRow>>, ApiError> {
    api.call(async |s, c| users::list(s, c, q.q.as_deref(), q.page, q.per_page).await)
        .await
        .map(axum::Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub name: String,
    #[serde(default)]
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub admin: bool,
}

/// Creates a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = UserRow), (status = 409, description = "The name is taken", body = wharf_app::backend::error::ErrorBody), Errors))]
pub async fn create(api: Api, Json(u): Json<NewUser>) -> Result<(StatusCode, axum::Json<UserRow>), ApiError> {
    let new = users::NewUser {
        name: u.name,
        email: u.email,
        password: u.password,
        admin: u.admin,
    };
    let row = api.call(async |s, c| users::create(s, c, new).await).await?;
    Ok((StatusCode::CREATED, axum::Json(row)))
}

/// What to change about a user; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub disabled: Option<bool>,
    pub admin: Option<bool>,
    /// A new password; the user's sessions end.
    pub password: Option<String>,
}

/// Disables or enables a user, makes or unmakes an administrator, resets a password.
#[utoipa::path(patch, path = "/api/v1/users/{name}", tag = "users", request_body = UserChange,
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, body = UserRow), Errors))]
pub async fn update(
    api: Api,
    Path(name): Path<String>,
    Json(change): Json<UserChange>,
) -> Result<axum::Json<UserRow>, ApiError> {
    if change.disabled.is_none() && change.admin.is_none() && change.password.is_none() {
        return Err(ApiError(AppError::BadRequest(
            "nothing to change: give disabled, admin or password".into(),
        )));
    }
    api.call(async |s, c| {
        if let Some(p) = change.password {
            users::reset_password(s, c, &name, p).await?;
        }
        if let Some(d) = change.disabled {
            users::set_disabled(s, c, &name, d).await?;
        }
        if let Some(a) = change.admin {
            users::set_admin(s, c, &name, a).await?;
        }
        users::get(s, c, &name).await
    })
    .await
    .map(axum::Json)
}
