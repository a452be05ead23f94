//! `/api/v1/namespaces`. The global namespace (repositories without a slash) is named `_` here.

use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use wharf_app::backend::error::ApiError;
use wharf_app::backend::services::{browse, namespaces};
use wharf_app::domain::dto::{NamespaceDetail, NamespaceSummary, Page};
use wharf_app::domain::Visibility;

use super::extract::{Json, Path, Query};
use super::{Api, Errors};

/// How the API spells the global namespace, whose real name is empty.
const GLOBAL: &str = "_";

pub(super) fn real_name(name: String) -> String {
    if name == GLOBAL {
        String::new()
    } else {
        name
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NamespaceQuery {
    /// Part of the namespace name.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// Namespaces you may pull from, by name.
#[utoipa::path(get, path = "/api/v1/namespaces", tag = "namespaces", params(NamespaceQuery),
    responses((status = 200, body = Page<NamespaceSummary>), Errors))]
pub async fn list(api: Api, Query(q): Query<NamespaceQuery>) -> Result<axum::Json<Page<NamespaceSummary>>, ApiError> {
    api.call(async move |s, c| browse::list_namespaces(s, c, q.q, q.page, q.per_page).await)
        .await
        .map(axum::Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNamespace {
    /// The team that owns it (you must manage that team).
    pub team: String,
    pub name: String,
    pub visibility: Visibility,
    #[serde(default)]
    pub description: String,
}

/// Creates a team namespace.
#[utoipa::path(post, path = "/api/v1/namespaces", tag = "namespaces", request_body = NewNamespace,
    responses((status = 201, body = NamespaceDetail), (status = 409, description = "The name is taken", body = wharf_app::backend::error::ErrorBody), Errors))]
pub async fn create(
    api: Api,
    Json(n): Json<NewNamespace>,
) -> Result<(StatusCode, axum::Json<NamespaceDetail>), ApiError> {
    let new = namespaces::NewNamespace {
        team: n.team,
        name: n.name,
        visibility: n.visibility,
        description: n.description,
    };
    let name = api.call(async |s, c| namespaces::create(s, c, new).await).await?;
    let detail = api
        .call(async move |s, c| browse::get_namespace(s, c, name).await)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(detail)))
}

/// A namespace (`_` is the global one).
#[utoipa::path(get, path = "/api/v1/namespaces/{name}", tag = "namespaces",
    params(("name" = String, Path, description = "Namespace name (`_`: the global namespace)")),
    responses((status = 200, body = NamespaceDetail), Errors))]
pub async fn get(api: Api, Path(name): Path<String>) -> Result<axum::Json<NamespaceDetail>, ApiError> {
    let name = real_name(name);
    api.call(async move |s, c| browse::get_namespace(s, c, name).await)
        .await
        .map(axum::Json)
}

/// What to change about a namespace; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamespaceChange {
    pub visibility: Option<Visibility>,
    pub description: Option<String>,
    /// Give the namespace to another team (you must manage both).
    pub team: Option<String>,
}

/// Changes a namespace's visibility or description, or moves it to another team.
#[utoipa::path(patch, path = "/api/v1/namespaces/{name}", tag = "namespaces", request_body = NamespaceChange,
    params(("name" = String, Path, description = "Namespace name")),
    responses((status = 200, body = NamespaceDetail), Errors))]
pub async fn update(
    api: Api,
    Path(name): Path<String>,
    Json(c): Json<NamespaceChange>,
) -> Result<axum::Json<NamespaceDetail>, ApiError> {
    let name = real_name(name);
    api.call(async |s, caller| {
        if c.visibility.is_some() || c.description.is_some() {
            namespaces::update(s, caller, &name, c.visibility, c.description.as_deref()).await?;
        }
        match &c.team {
            Some(team) => namespaces::transfer(s, caller, &name, team).await,
            None => Ok(()),
        }
    })
    .await?;
    api.call(async move |s, c| browse::get_namespace(s, c, name).await)
        .await
        .map(axum::Json)
}

/// Deletes an empty namespace.
#[utoipa::path(delete, path = "/api/v1/namespaces/{name}", tag = "namespaces",
    params(("name" = String, Path, description = "Namespace name")),
    responses((status = 204, description = "Deleted"), (status = 409, description = "It still has repositories", body = wharf_app::backend::error::ErrorBody), Errors))]
pub async fn delete(api: Api, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    let name = real_name(name);
    api.call(async |s, c| namespaces::delete(s, c, &name).await).await?;
    Ok(StatusCode::NO_CONTENT)
}
