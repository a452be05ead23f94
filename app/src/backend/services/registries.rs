//! Registry replicas and their health, the public endpoint, catalog sync on demand, orphan
//! repositories and the generated deployment files: administrators only.

use super::Caller;
use crate::backend::AppState;
use crate::domain::dto::{Adoption, GeneratedFile, RegistryEndpoint, RegistryOverview, SyncRunSummary};
use crate::domain::AppError;

/// Every replica's health, the recent sync runs and the orphan repositories.
pub async fn overview(state: &AppState, c: &Caller) -> Result<RegistryOverview, AppError> {
    use crate::backend::store::{registries, repositories, sync_runs};
    c.require_admin()?;
    let db = &state.db;
    Ok(RegistryOverview {
        replicas: registries::status(db).await?,
        sync_runs: sync_runs::recent(db, 20).await?.iter().map(Into::into).collect(),
        orphans: repositories::orphans(db, 200).await?,
        sync_interval_secs: state.config.sync_interval_secs,
    })
}

/// Runs a sync now and returns its summary. `confirm_deletions` lets it remove more than the
/// guard allows (after an admin reviewed a `needs-confirmation` run).
pub async fn sync_now(state: &AppState, c: &Caller, confirm_deletions: bool) -> Result<SyncRunSummary, AppError> {
    let request = SyncRequest {
        confirm_deletions,
        strategy: None,
    };
    sync(state, c, &request, &|_| {}).await
}

/// How a sync started by hand runs.
#[derive(Debug, Clone, Default)]
pub struct SyncRequest {
    /// Remove even beyond the guard's share (after reviewing a `needs-confirmation` run).
    pub confirm_deletions: bool,
    /// Instead of the configured `sync_strategy`.
    pub strategy: Option<crate::domain::SyncStrategy>,
}

/// Runs a sync for an administrator (console, API) or the operator (CLI), reporting progress
/// after each repository; the run is audited and counted like a scheduled one.
pub async fn sync(
    state: &AppState,
    c: &Caller,
    request: &SyncRequest,
    progress: &(dyn Fn(crate::backend::sync::reconcile::Progress) + Send + Sync),
) -> Result<SyncRunSummary, AppError> {
    use crate::backend::sync::reconcile;
    c.require_admin()?;
    let mut options = if c.is_operator() {
        reconcile::SyncOptions::configured(&state.config, "cli", "cli")
    } else {
        reconcile::SyncOptions::configured(&state.config, "console", &format!("console:{}", c.name()))
    };
    options.confirm_deletions = request.confirm_deletions;
    if let Some(strategy) = request.strategy {
        options.strategy = strategy;
    }
    let started = std::time::Instant::now();
    let run = reconcile::run_sync(&state.db, &state.issuer, &options, progress).await;
    let status = run.as_ref().map_or("error", |r| r.status.as_str());
    state.metrics.sync_run(status, started.elapsed());
    let run = run?;
    c.audit(
        &state.db,
        "sync.started",
        None,
        "registry",
        &format!("run {} {}", run.id, run.status),
    )
    .await?;
    Ok(run)
}

/// Reads the whole catalog and every tag list through a healthy replica and writes nothing:
/// `(repositories, tags, failures)`. How long a full listing takes, as a baseline for sync.
pub async fn read_catalog(state: &AppState, c: &Caller) -> Result<(u64, u64, u64), AppError> {
    c.require_admin()?;
    crate::backend::sync::reconcile::read_only_pass(&state.db, &state.issuer, state.config.sync_concurrency).await
}

/// Probes every replica now (when `probe`) and returns their health.
pub async fn replica_status(
    state: &AppState,
    c: &Caller,
    probe: bool,
) -> Result<Vec<crate::domain::dto::ReplicaStatus>, AppError> {
    use crate::backend::store::registries;
    c.require_admin()?;
    if probe {
        crate::backend::sync::probe::probe_all(&state.db, &state.issuer).await?;
    }
    registries::status(&state.db).await
}

/// Declares a registry (or changes the public `host:port` of one already declared).
pub async fn add_registry(
    state: &AppState,
    c: &Caller,
    name: &str,
    public_host: &str,
) -> Result<RegistryEndpoint, AppError> {
    use crate::backend::store::registries;
    c.require_admin()?;
    let txn = crate::backend::db::begin_write(&state.db).await?;
    let r = registries::upsert(&*txn, name.trim(), public_host.trim()).await?;
    let details = format!("public endpoint {}", r.public_host);
    c.audit(&*txn, "registry.added", None, &format!("registry:{}", r.name), &details)
        .await?;
    txn.commit().await?;
    Ok(RegistryEndpoint {
        name: r.name,
        public_host: r.public_host,
    })
}

/// A replica to add to a registry.
#[derive(Debug, Clone)]
pub struct NewReplica<'a> {
    pub registry: &'a str,
    pub url: &'a str,
    pub debug_url: Option<&'a str>,
    /// Its name in health reports and notification URLs (default: from the URL).
    pub name: Option<&'a str>,
    pub registry_version: Option<crate::domain::RegistryVersion>,
}

/// Adds a replica to a registry (or updates the one with that URL).
pub async fn add_replica(
    state: &AppState,
    c: &Caller,
    new: &NewReplica<'_>,
) -> Result<crate::backend::entity::replica::Model, AppError> {
    use crate::backend::store::registries;
    c.require_admin()?;
    let txn = crate::backend::db::begin_write(&state.db).await?;
    let reg = registries::require(&*txn, new.registry).await?;
    let r = registries::upsert_replica(&*txn, &reg, new.name, new.url, new.debug_url, new.registry_version).await?;
    let details = format!("{} (registry {})", r.url, r.registry_version);
    c.audit(&*txn, "replica.added", None, &format!("replica:{}", r.name), &details)
        .await?;
    txn.commit().await?;
    Ok(r)
}

/// Removes the replica with `url` from `registry`.
pub async fn remove_replica(state: &AppState, c: &Caller, registry: &str, url: &str) -> Result<(), AppError> {
    use crate::backend::store::registries;
    c.require_admin()?;
    let txn = crate::backend::db::begin_write(&state.db).await?;
    let reg = registries::require(&*txn, registry).await?;
    registries::remove_replica(&*txn, &reg, url).await?;
    c.audit(&*txn, "replica.removed", None, &format!("registry:{}", reg.name), url)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Changes a registry's public endpoint: the `host:port` users `docker login` to, shown in every
/// pull and push line of the console. Administrators only; audited.
pub async fn set_endpoint(
    state: &AppState,
    c: &Caller,
    registry: &str,
    public_host: &str,
) -> Result<RegistryEndpoint, AppError> {
    use crate::backend::store::registries;
    c.require_admin()?;
    let db = &state.db;
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
    Ok(RegistryEndpoint {
        name: after.name,
        public_host: after.public_host,
    })
}

/// Adopts the orphan repositories under `namespace` (`""`: those without a slash) into that
/// namespace; administrators only. When the namespace does not exist, `team` names the team to
/// create it (private) in; when it does, `team` may be empty, or must be its owning team.
pub async fn adopt_orphans(
    state: &AppState,
    c: &Caller,
    namespace: &str,
    team: Option<&str>,
) -> Result<Adoption, AppError> {
    use crate::backend::orphans::{self, AdoptRequest, Adopter};
    let grant = c.require_admin()?;
    let namespace = namespace.trim();
    let name = (!namespace.is_empty())
        .then(|| crate::domain::NamespaceName::try_from(namespace.to_owned()))
        .transpose()?;
    let addr = c.client_addr.clone();
    orphans::adopt(
        &state.db,
        grant,
        Adopter {
            user_id: c.user_id(),
            name: c.name(),
            client_addr: addr.as_deref(),
        },
        AdoptRequest {
            namespace: name.as_ref(),
            team,
        },
        state.config.global_visibility,
    )
    .await
}

/// What the console's configuration panel asks for; empty strings mean "not given".
#[derive(Debug, Clone, Default)]
pub struct DeploymentRequest {
    pub storage: String,
    pub redis: String,
    pub lb_listen: String,
    /// `2` or `3`; empty: each replica's recorded version.
    pub registry_version: String,
    pub vip: String,
    pub interface: String,
    pub vrrp_password: String,
}

/// The registry, nginx and keepalived configurations for the replicas wharf knows, with wharf's
/// values (and secrets: administrators only) filled in. Empty `vip`/`interface`: no keepalived
/// files; empty `vrrp_password`: a random one.
pub async fn deployment_configs(
    state: &AppState,
    c: &Caller,
    request: &DeploymentRequest,
) -> Result<Vec<GeneratedFile>, AppError> {
    let DeploymentRequest {
        storage,
        redis,
        lb_listen,
        registry_version,
        vip,
        interface,
        vrrp_password,
    } = request;
    use crate::backend::deploy::registry_yaml::HTTP_SECRET_PLACEHOLDER;
    use crate::backend::deploy::{for_console, ConsoleRequest};
    use crate::backend::start_files::SecretSource;
    use crate::backend::store::registries;
    c.require_admin()?;
    let cfg = &state.config;
    // The replicas' shared `http.secret`, as `wharf registry-config` keeps it.
    let read_or_placeholder = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| HTTP_SECRET_PLACEHOLDER.into())
    };
    let http_secret = match cfg.registry_http_secret_source() {
        SecretSource::File(path) => read_or_placeholder(path),
        SecretSource::DataDir(path) => read_or_placeholder(&path),
        SecretSource::Inline(s) => s.expose().to_owned(),
    };
    let password = match vrrp_password.trim() {
        "" => crate::backend::auth::secret::generate("")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(8)
            .collect(),
        p => p.to_owned(),
    };
    let non_empty = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
    let (redis, vip, interface) = (non_empty(redis), non_empty(vip), non_empty(interface));
    // Empty: each replica's recorded version.
    let version = non_empty(registry_version)
        .map(|v| v.parse::<crate::domain::RegistryVersion>())
        .transpose()
        .map_err(|e| AppError::BadRequest(format!("registry version: {e}")))?;
    let replicas = registries::replicas(&state.db, None).await?;
    for_console(
        cfg,
        &state.notification_secret,
        &http_secret,
        &replicas,
        &ConsoleRequest {
            storage: storage.trim(),
            redis: redis.as_deref(),
            lb_listen,
            version,
            vip: vip.as_deref(),
            interface: interface.as_deref(),
            vrrp_password: &password,
        },
    )
}
