//! The registries page (administrators): replica health, sync runs, orphans; sync now,
//! confirm a guarded sync, adopt orphans (the only way they join a namespace).

use leptos::prelude::*;

use crate::domain::dto::{RegistryOverview, SyncRunSummary};
use crate::domain::AppError;

#[server(endpoint = "registry_overview")]
pub async fn get_registry_overview() -> Result<RegistryOverview, AppError> {
    super::context::run(async move {
        use crate::backend::store::{registries, repositories, sync_runs};
        let c = super::context::caller().await?;
        c.require_admin()?;
        let db = &c.state.db;
        Ok(RegistryOverview {
            replicas: registries::status(db).await?,
            sync_runs: sync_runs::recent(db, 20).await?.iter().map(Into::into).collect(),
            orphans: repositories::orphans(db, 200).await?,
            sync_interval_secs: c.state.config.sync_interval_secs,
        })
    })
    .await
}

/// Runs a sync now and returns its summary. `confirm_deletions` lets it remove more than the
/// guard allows (after an admin reviewed a `needs-confirmation` run).
#[server(endpoint = "sync_now")]
pub async fn sync_now(confirm_deletions: bool) -> Result<SyncRunSummary, AppError> {
    super::context::run(async move {
        use crate::backend::sync::reconcile;
        let c = super::context::caller().await?;
        let admin = c.require_admin()?;
        let cfg = &c.state.config;
        let options = reconcile::SyncOptions {
            strategy: cfg.sync_strategy,
            max_delete_share: cfg.sync_max_delete_share,
            confirm_deletions,
            concurrency: cfg.sync_concurrency,
            trigger: "console".into(),
            runner: format!("console:{}", admin.name),
        };
        let started = std::time::Instant::now();
        let run = reconcile::run_sync(&c.state.db, &c.state.issuer, &options, &|_| {}).await;
        let status = run.as_ref().map_or("error", |r| r.status.as_str());
        c.state.metrics.sync_run(status, started.elapsed());
        let run = run?;
        c.audit(
            &c.state.db,
            "sync.started",
            None,
            "registry",
            &format!("run {} {}", run.id, run.status),
        )
        .await?;
        Ok(run)
    })
    .await
}

/// Changes a registry's public endpoint: the `host:port` users `docker login` to, shown in every
/// pull and push line of the console. Administrators only; audited.
#[server(endpoint = "set_registry_endpoint")]
pub async fn set_registry_endpoint(
    registry: String,
    public_host: String,
) -> Result<crate::domain::dto::RegistryEndpoint, AppError> {
    super::context::run(async move {
        use crate::backend::store::registries;
        let c = super::context::caller().await?;
        c.require_admin()?;
        let db = &c.state.db;
        let before = registries::require(db, registry.trim()).await?;
        let after = registries::upsert(db, &before.name, public_host.trim()).await?;
        c.audit(
            db,
            "registry.updated",
            None,
            &format!("registry:{}", after.name),
            &format!("public endpoint {} -> {}", before.public_host, after.public_host),
        )
        .await?;
        Ok(crate::domain::dto::RegistryEndpoint {
            name: after.name,
            public_host: after.public_host,
        })
    })
    .await
}

/// Adopts the orphan repositories under `namespace` (`""`: those without a slash) into that
/// namespace; administrators only. When the namespace does not exist, `team` names the team to
/// create it (private) in; when it does, `team` may be empty, or must be its owning team.
#[server(endpoint = "adopt_orphans")]
pub async fn adopt_orphans(namespace: String, team: Option<String>) -> Result<crate::domain::dto::Adoption, AppError> {
    super::context::run(async move {
        use crate::backend::orphans::{self, AdoptRequest, Adopter};
        let c = super::context::caller().await?;
        let admin = c.require_admin()?;
        let grant = crate::authz::authorize_admin(&c.subject)
            .ok_or_else(|| AppError::Forbidden("only administrators may adopt orphans".into()))?;
        let namespace = namespace.trim();
        let name = (!namespace.is_empty())
            .then(|| crate::domain::NamespaceName::try_from(namespace.to_owned()))
            .transpose()?;
        let addr = super::context::client_addr();
        orphans::adopt(
            &c.state.db,
            grant,
            Adopter {
                user_id: Some(admin.id),
                name: &admin.name,
                client_addr: addr.as_deref(),
            },
            AdoptRequest {
                namespace: name.as_ref(),
                team: team.as_deref(),
            },
            c.state.config.global_visibility,
        )
        .await
    })
    .await
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
    super::context::run(async move {
        use crate::backend::deploy::registry_yaml::{HTTP_SECRET_FILE, HTTP_SECRET_PLACEHOLDER};
        use crate::backend::deploy::{for_console, ConsoleRequest};
        use crate::backend::store::registries;
        let c = super::context::caller().await?;
        c.require_admin()?;
        let cfg = &c.state.config;
        // The replicas' shared `http.secret`, as `wharf registry-config` keeps it.
        let http_secret = std::fs::read_to_string(cfg.data_dir.join(HTTP_SECRET_FILE))
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| HTTP_SECRET_PLACEHOLDER.into());
        let password = match vrrp_password.trim() {
            "" => crate::backend::auth::secret::generate("")
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(8)
                .collect(),
            p => p.to_owned(),
        };
        let non_empty = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
        let (redis, vip, interface) = (non_empty(&redis), non_empty(&vip), non_empty(&interface));
        // Empty: each replica's recorded version.
        let version = non_empty(&registry_version)
            .map(|v| v.parse::<crate::domain::RegistryVersion>())
            .transpose()
            .map_err(|e| AppError::BadRequest(format!("registry version: {e}")))?;
        let replicas = registries::replicas(&c.state.db, None).await?;
        for_console(
            cfg,
            &c.state.notification_secret,
            &http_secret,
            &replicas,
            &ConsoleRequest {
                storage: storage.trim(),
                redis: redis.as_deref(),
                lb_listen: &lb_listen,
                version,
                vip: vip.as_deref(),
                interface: interface.as_deref(),
                vrrp_password: &password,
            },
        )
    })
    .await
}
