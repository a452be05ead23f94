//! `/api/v1/registries` (replicas, their health, sync runs; administrators) and
//! `/api/v1/health` (readiness, with each check's detail for administrators).

use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use wharf_app::backend::error::ApiError;
use wharf_app::backend::services::registries;
use wharf_app::domain::dto::{RegistryEndpoint, RegistryOverview, SyncRunSummary};

use super::extract::{Json, Path};
use super::{Api, Errors};
use crate::http::health::{readiness, Readiness};

/// Every registry replica with its probe history, recent sync runs, orphaned repositories.
#[utoipa::path(get, path = "/api/v1/registries", tag = "registries",
    responses((status = 200, body = RegistryOverview), Errors))]
pub async fn registries(api: Api) -> Result<axum::Json<RegistryOverview>, ApiError> {
    api.call(async |s, c| registries::overview(s, c).await)
        .await
        .map(axum::Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistryUpdate {
    /// `host:port` users give to `docker login` (the load balancer in front of the replicas).
    pub public_host: String,
}

/// Changes a registry's public endpoint (shown in every pull and push line). Administrators only.
#[utoipa::path(patch, path = "/api/v1/registries/{name}", tag = "registries", request_body = RegistryUpdate,
    params(("name" = String, Path, description = "Registry name (`default` for a single-registry install)")),
    responses((status = 200, body = RegistryEndpoint), Errors))]
pub async fn update_registry(
    api: Api,
    Path(name): Path<String>,
    Json(r): Json<RegistryUpdate>,
) -> Result<axum::Json<RegistryEndpoint>, ApiError> {
    api.call(async |s, c| registries::set_endpoint(s, c, &name, &r.public_host).await)
        .await
        .map(axum::Json)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    /// Also remove from wharf what the registry no longer has, past the safety threshold.
    #[serde(default)]
    pub confirm_deletions: bool,
}

/// Reconciles wharf with the registry catalog now, and reports the run.
#[utoipa::path(post, path = "/api/v1/registries/sync", tag = "registries", request_body = SyncRequest,
    responses((status = 200, body = SyncRunSummary), (status = 409, description = "A sync is already running", body = wharf_app::backend::error::ErrorBody), Errors))]
pub async fn sync(api: Api, Json(r): Json<SyncRequest>) -> Result<axum::Json<SyncRunSummary>, ApiError> {
    api.call(async |s, c| registries::sync_now(s, c, r.confirm_deletions).await)
        .await
        .map(axum::Json)
}

/// Whether wharf can do its job: database, migrations, a healthy replica. 503 when not.
#[utoipa::path(get, path = "/api/v1/health", tag = "registries",
    responses((status = 200, body = Readiness), (status = 503, description = "Not ready", body = Readiness), Errors))]
pub async fn health(api: Api) -> (StatusCode, axum::Json<Readiness>) {
    let (code, body) = readiness(api.state(), api.is_admin()).await;
    (code, axum::Json(body))
}
