//! Everything between "configuration loaded" and "ready to serve": database, migrations, the
//! global namespace, the signing key, secrets kept in the data dir, and the shared state.

use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::LeptosOptions;
use sea_orm::DatabaseConnection;
use wharf_app::backend::auth::cache::AuthCache;
use wharf_app::backend::auth::ldap::Directory;
use wharf_app::backend::auth::secret;
use wharf_app::backend::auth::throttle::ClientThrottle;
use wharf_app::backend::config::Config;
use wharf_app::backend::events::IngestSettings;
use wharf_app::backend::metrics::Metrics;
use wharf_app::backend::start_files::SecretSource;
use wharf_app::backend::sync::scheduler::{self, RetentionJob, Schedule};
use wharf_app::backend::sync::SyncOptions;
use wharf_app::backend::token::{keys, TokenIssuer};
use wharf_app::backend::webhooks::seal::Sealer;
use wharf_app::backend::webhooks::worker::Worker;
use wharf_app::backend::webhooks::Webhooks;
use wharf_app::backend::{db, store, AppState, SharedState};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database {url}: {source}")]
    Database { url: String, source: sea_orm::DbErr },
    #[error("{0}")]
    Key(#[from] keys::KeyError),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    App(#[from] wharf_app::domain::AppError),
}

/// Hides the password in a database URL for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Connects, migrates, and makes sure the global namespace exists.
pub async fn open_database(config: &Config) -> Result<DatabaseConnection, StartError> {
    let err = |source| StartError::Database {
        url: redact(&config.database_url()),
        source,
    };
    let conn = db::connect(config).await.map_err(err)?;
    db::migrate(&conn).await.map_err(err)?;
    store::namespaces::ensure_global(&conn, config.global_visibility).await?;
    Ok(conn)
}

/// Records the registries and replicas the configuration declares (`[[registries]]`), so a
/// deployment's wharf knows what to probe, sync and credit events to from its first start.
pub async fn record_declared_registries(config: &Config, db: &DatabaseConnection) -> Result<(), StartError> {
    for declared in &config.registries {
        // Validated at load: one of the two is set.
        let public_host = declared.public_host.as_ref().or(config.registry_host.as_ref());
        let reg = store::registries::upsert(db, &declared.name, public_host.map_or("", String::as_str)).await?;
        for r in &declared.replicas {
            store::registries::upsert_replica(
                db,
                &reg,
                r.name.as_deref(),
                &r.url,
                r.debug_url.as_deref(),
                r.registry_version,
            )
            .await?;
        }
    }
    Ok(())
}

/// A secret from where the configuration says (see `start_files`): set inline, read from a
/// provided file, or kept in the data dir and generated there on first use.
fn read_secret(source: SecretSource<'_>) -> Result<String, StartError> {
    match source {
        SecretSource::Inline(s) => Ok(s.expose().trim().to_owned()),
        SecretSource::File(path) => std::fs::read_to_string(path)
            .map(|s| s.trim().to_owned())
            .map_err(|e| StartError::Io(format!("reading {}: {e}", path.display()))),
        SecretSource::DataDir(path) => {
            if let Ok(s) = std::fs::read_to_string(&path) {
                if !s.trim().is_empty() {
                    return Ok(s.trim().to_owned());
                }
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| StartError::Io(format!("creating {}: {e}", dir.display())))?;
            }
            let value = secret::generate("");
            wharf_app::backend::secret_file::write(&path, value.as_bytes())
                .map_err(|e| StartError::Io(format!("writing {}: {e}", path.display())))?;
            Ok(value)
        }
    }
}

/// The secret registries send with notifications.
pub fn notification_secret(config: &Config) -> Result<String, StartError> {
    let secret = read_secret(config.notification_secret_source())?;
    if secret.len() < 16 {
        return Err(StartError::Io(
            "the notification secret must be at least 16 characters".into(),
        ));
    }
    Ok(secret)
}

/// The key sealing webhook secrets in the database.
pub fn webhook_sealer(config: &Config) -> Result<Sealer, StartError> {
    let text = read_secret(config.webhook_key_source())?;
    Sealer::from_base64(&text).map_err(|e| StartError::Io(e.to_string()))
}

/// The `http.secret` every registry replica must share (it signs upload state).
pub fn registry_http_secret(config: &Config) -> Result<String, StartError> {
    read_secret(config.registry_http_secret_source())
}

/// Loads (or creates) the token signing key.
pub fn signing_key(config: &Config) -> Result<keys::SigningKey, StartError> {
    let dir = config.key_dir();
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(|e| StartError::Io(format!("creating {}: {e}", dir.display())))?;
    }
    Ok(keys::load_or_generate(
        &keys::KeyPaths::in_dir(dir),
        config.signing_algorithm,
        &config.issuer,
        config.token_header,
    )?)
}

/// While no administrator exists: a one-time setup token for the first one, written to the
/// data dir (see `wharf_app::backend::auth::setup`). Returns the file it is in.
pub async fn first_admin_setup(
    config: &Config,
    db: &DatabaseConnection,
) -> Result<Option<std::path::PathBuf>, StartError> {
    wharf_app::backend::auth::setup::issue_if_no_admin(db, &config.data_dir)
        .await
        .map_err(|e| StartError::Io(format!("issuing the setup token: {e}")))
}

/// The token signer, for the server and for CLI commands that talk to the registry.
pub fn issuer(config: &Config) -> Result<TokenIssuer, StartError> {
    Ok(TokenIssuer {
        key: signing_key(config)?,
        issuer: config.issuer.clone(),
        service: config.service.clone(),
        ttl_secs: config.token_ttl_secs,
    })
}

/// Builds the shared state for the server.
pub fn state(config: Config, db: DatabaseConnection, leptos_options: LeptosOptions) -> Result<AppState, StartError> {
    let issuer = issuer(&config)?;
    Ok(AppState::new(SharedState {
        leptos_options,
        notification_secret: Arc::new(notification_secret(&config)?),
        auth_cache: AuthCache::new(Duration::from_secs(config.credential_cache_ttl_secs)),
        issuer: Arc::new(issuer),
        verifications: Arc::new(wharf_app::backend::auth::password::VerificationSlots::new(
            config.password_verifications_max,
            Duration::from_millis(config.password_verification_wait_ms),
        )),
        throttle: Arc::new(ClientThrottle::new(
            config.ip_failures_per_minute,
            config.ip_requests_per_second,
        )),
        metrics: if config.metrics {
            Metrics::new()
        } else {
            Metrics::disabled()
        },
        webhooks: Webhooks::new(webhook_sealer(&config)?, &config),
        directory: match &config.ldap {
            Some(ldap) => Some(Arc::new(
                Directory::new(ldap.clone()).map_err(|e| StartError::Io(e.to_string()))?,
            )),
            None => None,
        },
        ingest: wharf_app::backend::events::IngestWriter::new(
            db.clone(),
            IngestSettings {
                own_subject: wharf_app::backend::sync::SERVICE_SUBJECT.to_owned(),
                registry_host: config.registry_host.clone(),
            },
            config.event_writers,
        ),
        config: Arc::new(config),
        db,
        clock: wharf_app::backend::clock::Clock::system(),
    }))
}

/// The shared state for a command-line command that calls the service layer: the database
/// (migrated) and the same caches and keys the server has; no console.
pub async fn cli_state(config: &Config) -> Result<AppState, StartError> {
    let db = open_database(config).await?;
    state(
        config.clone(),
        db,
        LeptosOptions::builder().output_name("wharf").build(),
    )
}

fn hex_bytes(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A name for this process in the job lease: host, pid and a random suffix.
fn process_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let mut rnd = [0u8; 4];
    let _ = getrandom::fill(&mut rnd);
    let host: String = host.trim().chars().take(40).collect();
    format!("{host}-{}-{}", std::process::id(), hex_bytes(&rnd))
}

/// Starts what runs beside the HTTP server: the watcher that drops auth caches when
/// credentials or memberships change elsewhere, the webhook delivery worker (in every
/// process), and the registry jobs (probes, periodic sync) in whichever process holds their
/// lease.
pub fn spawn_background(state: &AppState) -> Result<Vec<tokio::task::JoinHandle<()>>, StartError> {
    let config = &state.config;
    let holder = process_name();
    let sync = SyncOptions::configured(config, "schedule", &holder);
    let schedule = Schedule {
        sync_interval: config.sync_interval(),
        probe_interval: Duration::from_secs(config.probe_interval_secs),
        lease_ttl: Duration::from_secs(config.leader_lease_secs),
        sync,
        event_retention_days: i64::from(config.event_retention_days),
        holder: holder.clone(),
        clock: state.clock.clone(),
        retention: (config.retention_interval_secs > 0).then(|| RetentionJob {
            state: state.clone(),
            check_every: Duration::from_secs(config.retention_interval_secs.min(60)),
        }),
    };
    let webhooks = Worker {
        db: state.db.clone(),
        hooks: state.webhooks.clone(),
        client: wharf_app::backend::outbound::client(state.webhooks.policy.clone())
            .map_err(|e| StartError::Io(format!("webhook client: {e}")))?,
        metrics: state.metrics.clone(),
        name: holder,
    };
    Ok(vec![
        state.auth_cache.spawn_watcher(
            state.db.clone(),
            Duration::from_millis(state.config.auth_sync_interval_ms),
        ),
        scheduler::spawn(state.db.clone(), state.issuer.clone(), state.metrics.clone(), schedule),
        webhooks.spawn(),
        // SQLite only; cheap when nothing grew (six MAX(id) lookups).
        wharf_app::backend::planner_statistics::PlannerStatistics::spawn(state.db.clone(), Duration::from_secs(10)),
    ])
}
