//! `/api/v1/namespaces/{name}/retention`: a namespace's tag retention policy (with repository
//! overrides), what it would delete, and runs. Namespace owners manage it.

use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use wharf_app::backend::error::ApiError;
use wharf_app::backend::services::retention;
use wharf_app::domain::retention::{RetentionPlan, RetentionRules, RetentionRunRow, RetentionSettings, StorageReport};

use super::extract::{Json, Path, Query};
use super::namespaces::real_name;
use super::{Api, Errors};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Scope {
    /// A repository of the namespace (`NAME` or `NS/NAME`): its override instead of the
    /// namespace's policy.
    pub repository: Option<String>,
}

/// The namespace's retention policy, the repositories' overrides and the last runs.
#[utoipa::path(get, path = "/api/v1/namespaces/{name}/retention", tag = "retention",
    params(("name" = String, Path, description = "Namespace name (`_`: the global namespace)")),
    responses((status = 200, body = RetentionSettings), Errors))]
pub async fn get(api: Api, Path(name): Path<String>) -> Result<axum::Json<RetentionSettings>, ApiError> {
    let name = real_name(name);
    api.call(async move |s, c| retention::show(s, c, &name).await)
        .await
        .map(axum::Json)
}

/// Sets the namespace's policy, or a repository's override (`?repository=`). Tags are kept if
/// any keep rule (`keep_last`, `keep_days`, `protect`, not matching `tags`, matching
/// `exclude`) keeps them; a policy without `keep_last` and `keep_days` keeps every tag.
#[utoipa::path(put, path = "/api/v1/namespaces/{name}/retention", tag = "retention", request_body = RetentionRules,
    params(("name" = String, Path, description = "Namespace name"), Scope),
    responses((status = 200, body = RetentionSettings), Errors))]
pub async fn put(
    api: Api,
    Path(name): Path<String>,
    Query(scope): Query<Scope>,
    Json(rules): Json<RetentionRules>,
) -> Result<axum::Json<RetentionSettings>, ApiError> {
    let name = real_name(name);
    api.call(async move |s, c| retention::set(s, c, &name, scope.repository.as_deref(), rules).await)
        .await
        .map(axum::Json)
}

/// Removes the namespace's policy, or a repository's override (`?repository=`).
#[utoipa::path(delete, path = "/api/v1/namespaces/{name}/retention", tag = "retention",
    params(("name" = String, Path, description = "Namespace name"), Scope),
    responses((status = 200, body = RetentionSettings), Errors))]
pub async fn delete(
    api: Api,
    Path(name): Path<String>,
    Query(scope): Query<Scope>,
) -> Result<axum::Json<RetentionSettings>, ApiError> {
    let name = real_name(name);
    api.call(async move |s, c| retention::clear(s, c, &name, scope.repository.as_deref()).await)
        .await
        .map(axum::Json)
}

/// What a run would delete now (each image with every tag on it and what is attached to it),
/// and what it keeps and why.
#[utoipa::path(get, path = "/api/v1/namespaces/{name}/retention/plan", tag = "retention",
    params(("name" = String, Path, description = "Namespace name")),
    responses((status = 200, body = RetentionPlan), Errors))]
pub async fn plan(api: Api, Path(name): Path<String>) -> Result<axum::Json<RetentionPlan>, ApiError> {
    let name = real_name(name);
    api.call(async move |s, c| retention::plan(s, c, &name, None).await)
        .await
        .map(axum::Json)
}

/// Disk space per repository (manifests, configurations, layers wharf knows; each blob once),
/// and what the garbage collection would free once the plan is carried out (blobs no kept
/// manifest anywhere in the registry uses).
#[utoipa::path(get, path = "/api/v1/namespaces/{name}/retention/storage", tag = "retention",
    params(("name" = String, Path, description = "Namespace name")),
    responses((status = 200, body = StorageReport), Errors))]
pub async fn storage(api: Api, Path(name): Path<String>) -> Result<axum::Json<StorageReport>, ApiError> {
    let name = real_name(name);
    api.call(async move |s, c| retention::storage(s, c, &name).await)
        .await
        .map(axum::Json)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRun {
    /// Go ahead even if the run deletes more than `retention_max_delete_share` of the
    /// namespace's tags (otherwise it is recorded as `needs-confirmation` and deletes nothing).
    #[serde(default)]
    pub confirm: bool,
}

/// Runs the policy now. The answer is the run, with what it deleted, kept and failed to delete.
#[utoipa::path(post, path = "/api/v1/namespaces/{name}/retention/runs", tag = "retention", request_body = NewRun,
    params(("name" = String, Path, description = "Namespace name")),
    responses((status = 201, body = RetentionRunRow), Errors))]
pub async fn run(
    api: Api,
    Path(name): Path<String>,
    Json(r): Json<NewRun>,
) -> Result<(StatusCode, axum::Json<RetentionRunRow>), ApiError> {
    let name = real_name(name);
    let row = api
        .call(async move |s, c| retention::run(s, c, &name, r.confirm).await)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(row)))
}
