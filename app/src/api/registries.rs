//! The registries page (administrators): replica health, sync runs, orphans; sync now,
//! confirm a guarded sync, adopt orphans (the only way they join a namespace).

use leptos::prelude::*;

use crate::domain::dto::{RegistryOverview, SyncRunSummary};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
use crate::backend::services::registries as svc;

#[server(endpoint = "registry_overview")]
pub async fn get_registry_overview() -> Result<RegistryOverview, AppError> {
    super::context::serve(async move |state, c| svc::overview(state, c).await).await
}

/// Runs a sync now and returns its summary. `confirm_deletions` lets it remove more than the
/// guard allows (after an admin reviewed a `needs-confirmation` run).
#[server(endpoint = "sync_now")]
pub async fn sync_now(confirm_deletions: bool) -> Result<SyncRunSummary, AppError> {
    super::context::serve(async move |state, c| svc::sync_now(state, c, confirm_deletions).await).await
}

/// Changes a registry's public endpoint: the `host:port` users `docker login` to, shown in every
/// pull and push line of the console. Administrators only; audited.
#[server(endpoint = "set_registry_endpoint")]
pub async fn set_registry_endpoint(
    registry: String,
    public_host: String,
) -> Result<crate::domain::dto::RegistryEndpoint, AppError> {
    super::context::serve(async move |state, c| svc::set_endpoint(state, c, &registry, &public_host).await).await
}

/// Adopts the orphan repositories under `namespace` (`""`: those without a slash) into that
/// namespace; administrators only. When the namespace does not exist, `team` names the team to
/// create it (private) in; when it does, `team` may be empty, or must be its owning team.
#[server(endpoint = "adopt_orphans")]
pub async fn adopt_orphans(namespace: String, team: Option<String>) -> Result<crate::domain::dto::Adoption, AppError> {
    super::context::serve(async move |state, c| svc::adopt_orphans(state, c, &namespace, team.as_deref()).await).await
}

/// The registry, nginx and keepalived configurations for the replicas wharf knows, with wharf's
/// values (and secrets: administrators only) filled in. Empty `vip`/`interface`: no keepalived
/// files; empty `vrrp_password`: a random one.
#[server(endpoint = "deployment_configs")]
pub async fn deployment_configs(
    storage: String,
    redis: String,
    lb_listen: String,
    registry_version: String,
    vip: String,
    interface: String,
    vrrp_password: String,
) -> Result<Vec<crate::domain::dto::GeneratedFile>, AppError> {
    let request = svc::DeploymentRequest {
        storage,
        redis,
        lb_listen,
        registry_version,
        vip,
        interface,
        vrrp_password,
    };
    super::context::serve(async move |state, c| svc::deployment_configs(state, c, &request).await).await
}
