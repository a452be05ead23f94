//! wharf's one configuration struct.
//!
//! Layers, later wins: built-in defaults → `wharf.toml` (or `--config FILE`) → `WHARF_*`
//! environment variables (`__` separates nested keys) → command-line flags. Unknown keys are
//! errors, so a typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use super::secret_value::Secret;
use crate::authz::PolicySettings;
use crate::domain::{PushPolicy, SyncStrategy, Visibility};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SigningAlgorithm {
    Es256,
    Rs256,
}

/// How a registry token names the key that signed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenHeader {
    /// The certificate (`x5c`) and the libtrust `kid`: registry 2.8 and 3 with `rootcertbundle`.
    X5c,
    /// Only `kid`, the key's RFC 7638 thumbprint: registry 3 with `rootcertbundle` or `jwks`.
    Kid,
    /// Only `kid`, the libtrust id: registry 2.8 finds it among its bundle's keys without
    /// verifying a certificate chain on every request; registry 3 in the JWKS, which lists
    /// each key under both ids.
    #[serde(rename = "libtrust-kid")]
    LibtrustKid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Every setting wharf has. Field docs are the configuration reference (docs/CONFIGURATION.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP(S) server binds to.
    pub listen: SocketAddr,
    /// How registries and clients reach wharf (token realm, notification URL), e.g.
    /// `http://wharf.example.com:8080`.
    pub public_url: String,
    /// Where wharf keeps what it makes itself: the SQLite database, the first administrator's
    /// setup token, and (unless given below) its secrets and signing key. Must be writable.
    pub data_dir: PathBuf,
    /// Where the token signing key, its certificate, the bundle and the JWKS are (default:
    /// `data_dir`). May be a read-only mount (a Kubernetes Secret) once they exist: wharf
    /// only creates the ones that are missing.
    pub key_dir: Option<PathBuf>,
    /// `sqlite://…` or `postgres://…`; default: `sqlite://DATA_DIR/wharf.db`.
    pub database_url: Option<Secret>,
    /// A file holding the database URL (a mounted secret: it carries the password); used
    /// when `database_url` is unset.
    pub database_url_file: Option<PathBuf>,
    /// Maximum database connections in the pool.
    pub database_max_connections: u32,
    /// The registry's `auth.token.service`; the `aud` of every token.
    pub service: String,
    /// The registry's `auth.token.issuer`; the `iss` of every token.
    pub issuer: String,
    /// Lifetime of registry tokens in seconds (docker refreshes them as needed).
    pub token_ttl_secs: u64,
    /// Key type generated on first start: `ES256` (default) or `RS256`.
    pub signing_algorithm: SigningAlgorithm,
    /// How tokens name their key: `x5c` (default; every registry version), `kid` (registry
    /// 3 only: smaller tokens, and a registry trusting only `token-jwks.json` needs it) or
    /// `libtrust-kid` (registry 2.8 with its bundle and 3 with the JWKS: smaller tokens, and
    /// 2.8 no longer verifies a certificate chain on every request).
    pub token_header: TokenHeader,
    /// `host:port` of the registry as clients know it (shown in `docker pull` lines).
    pub registry_host: Option<String>,
    /// Shared secret the registry sends with notifications; generated under the data dir when
    /// unset. `WHARF_NOTIFICATION_SECRET_FILE` reads it from a file.
    pub notification_secret: Option<Secret>,
    pub notification_secret_file: Option<PathBuf>,
    /// Who may push: `allow-teams`, `allow-personal` or `admin-only`.
    pub push_policy: PushPolicy,
    /// Let team contributors delete images too.
    pub delete_contributors: bool,
    /// Allow image deletion at all.
    pub delete_enabled: bool,
    /// Visibility of the global namespace (repositories without a slash) when it is created.
    pub global_visibility: Visibility,
    /// How long a verified password or token is remembered, in seconds (0 disables the cache).
    pub credential_cache_ttl_secs: u64,
    /// How often each wharf process checks for credential or membership changes made
    /// elsewhere (another process, the CLI) and drops its caches, in milliseconds.
    pub auth_sync_interval_ms: u64,
    /// Failed sign-ins for one account before wharf slows it down.
    pub login_failures_before_backoff: u32,
    /// Longest wait imposed on an (account, client address) after repeated failures, in seconds.
    pub login_backoff_max_secs: u64,
    /// Password verifications (argon2id, 19 MiB each) running at once, over all clients.
    pub password_verifications_max: usize,
    /// How long a sign-in waits for a verification slot before it gets 503 + `Retry-After`,
    /// in milliseconds.
    pub password_verification_wait_ms: u64,
    /// Serve HTTPS with this certificate chain and key (PEM); plain HTTP when unset.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Mark session cookies `Secure` (default: when `public_url` is https).
    pub secure_cookies: Option<bool>,
    /// Console session lifetime in hours.
    pub session_ttl_hours: u64,
    /// Anyone may create an account from the sign-in page (the very first account is always
    /// allowed, and becomes an administrator).
    pub signup: bool,
    /// Visitors who are not signed in may browse public namespaces in the console.
    pub anonymous_browsing: bool,
    /// Seconds between periodic syncs with the registry; 0 disables them.
    pub sync_interval_secs: u64,
    /// `update-delete` (default: also remove what the registry no longer has) or `update`.
    pub sync_strategy: SyncStrategy,
    /// Largest share of known tags one sync may remove before it asks for confirmation.
    pub sync_max_delete_share: f64,
    /// Seconds between scheduled retention runs of every namespace with a policy (by the
    /// elected leader); 0 disables them (runs on demand still work).
    pub retention_interval_secs: u64,
    /// Largest share of a namespace's tags one retention run may delete before it is held for
    /// confirmation.
    pub retention_max_delete_share: f64,
    /// Registry requests one sync keeps in flight.
    pub sync_concurrency: usize,
    /// Seconds between replica health probes (also how often the job lease is renewed).
    pub probe_interval_secs: u64,
    /// Seconds a process holds the sync/probe lease without renewing it; another process takes
    /// over after that.
    pub leader_lease_secs: u64,
    /// Days received notification ids are kept for de-duplication.
    pub event_retention_days: u32,
    /// PostgreSQL: transactions writing notifications at once, each applying every
    /// notification waiting when it starts (group commit); 0 gives each request its own
    /// transaction. SQLite writes one transaction at a time whatever this says.
    pub event_writers: usize,
    /// Log filter, e.g. `info` or `warn,wharf=debug` (tracing `EnvFilter` syntax).
    pub log: String,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Failed sign-ins one client address may make per minute (any accounts) before it gets
    /// 429 until its budget refills; 0: no limit.
    pub ip_failures_per_minute: u32,
    /// Sign-in and token requests one client address may make per second (bursts of twice
    /// that); 0: no limit.
    pub ip_requests_per_second: u32,
    /// Proxies (addresses or CIDR ranges, e.g. the load balancer) whose `X-Forwarded-For` is
    /// believed for the client address.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Serve `/metrics` (Prometheus text format). Off: nothing is recorded and it answers 404.
    pub metrics: bool,
    /// When set, `/metrics` demands `Authorization: Bearer <this>`.
    pub metrics_token: Option<Secret>,
    /// The AES-256-GCM key (base64 of 32 bytes) that seals webhook secrets and custom header
    /// values in the database; generated under the data dir when unset. Every wharf process
    /// sharing a database needs the same key. `WHARF_WEBHOOK_KEY_FILE` reads it from a file.
    pub webhook_key: Option<Secret>,
    pub webhook_key_file: Option<PathBuf>,
    /// A file holding the `http.secret` every registry replica shares (what
    /// `wharf registry-config` and the console's configuration panel fill in); generated under
    /// the data dir when unset.
    pub registry_http_secret_file: Option<PathBuf>,
    /// Attempts per webhook delivery before it is marked failed.
    pub webhook_attempts: u32,
    /// Wait before the first retry of a failed delivery, in milliseconds; doubled after each
    /// failure.
    pub webhook_backoff_ms: u64,
    /// Longest wait between two attempts, in seconds.
    pub webhook_backoff_max_secs: u64,
    /// Deliveries each wharf process sends at the same time.
    pub webhook_concurrency: usize,
    /// How often an idle process looks for due deliveries, in milliseconds (deliveries
    /// enqueued by the same process start at once).
    pub webhook_poll_ms: u64,
    /// Days finished deliveries stay in the delivery log.
    pub webhook_retention_days: u32,
    /// Internal address ranges (CIDR) webhooks may reach anyway. Private, loopback and
    /// link-local targets are refused otherwise.
    pub webhook_allow: Vec<ipnet::IpNet>,
    /// Sign-in through an LDAP directory (`[ldap]` table; see docs/CONFIGURATION.md).
    pub ldap: Option<crate::backend::auth::ldap::LdapConfig>,
    /// Registries and their replicas declared here (deployments, where no one runs
    /// `wharf registry-config`): recorded, or updated, each time wharf starts.
    pub registries: Vec<DeclaredRegistry>,
}

/// A registry named in the configuration, as `[[registries]]` in `wharf.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DeclaredRegistry {
    pub name: String,
    /// `host:port` users give to `docker login` (the load balancer); default: `registry_host`.
    pub public_host: Option<String>,
    #[serde(default)]
    pub replicas: Vec<DeclaredReplica>,
}

/// One replica of a declared registry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DeclaredReplica {
    /// Default: `host:port` of `url`. Must match the `?replica=` of its notifications.
    pub name: Option<String>,
    /// `http://host:port` of the registry API.
    pub url: String,
    /// `http://host:port` of its debug server (`/debug/health`).
    pub debug_url: Option<String>,
    /// `2` or `3` (default for a new replica: 3, the current release).
    #[serde(default)]
    pub registry_version: Option<crate::domain::RegistryVersion>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            data_dir: PathBuf::from("wharf-data"),
            key_dir: None,
            database_url: None,
            database_url_file: None,
            database_max_connections: 16,
            service: "wharf-registry".into(),
            issuer: "wharf".into(),
            token_ttl_secs: 300,
            signing_algorithm: SigningAlgorithm::Es256,
            token_header: TokenHeader::X5c,
            registry_host: None,
            notification_secret: None,
            notification_secret_file: None,
            push_policy: PushPolicy::AllowTeams,
            delete_contributors: false,
            delete_enabled: true,
            global_visibility: Visibility::Protected,
            credential_cache_ttl_secs: 60,
            auth_sync_interval_ms: 1000,
            login_failures_before_backoff: 5,
            login_backoff_max_secs: 300,
            password_verifications_max: 8,
            password_verification_wait_ms: 2000,
            tls_cert: None,
            tls_key: None,
            secure_cookies: None,
            session_ttl_hours: 12,
            signup: false,
            anonymous_browsing: true,
            sync_interval_secs: 600,
            sync_strategy: SyncStrategy::UpdateDelete,
            sync_max_delete_share: 0.2,
            retention_interval_secs: 86_400,
            retention_max_delete_share: 0.5,
            sync_concurrency: 8,
            probe_interval_secs: 10,
            leader_lease_secs: 30,
            event_retention_days: 7,
            event_writers: 1,
            log: "info,sqlx=warn,sea_orm=warn".into(),
            log_format: LogFormat::Text,
            ip_failures_per_minute: 30,
            ip_requests_per_second: 50,
            trusted_proxies: Vec::new(),
            metrics: true,
            metrics_token: None,
            webhook_key: None,
            webhook_key_file: None,
            registry_http_secret_file: None,
            webhook_attempts: 8,
            webhook_backoff_ms: 10_000,
            webhook_backoff_max_secs: 3600,
            webhook_concurrency: 8,
            webhook_poll_ms: 1000,
            webhook_retention_days: 30,
            webhook_allow: Vec::new(),
            ldap: None,
            registries: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Figment(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads defaults → `file` (or `./wharf.toml` when present) → `WHARF_*` env → `overrides`,
    /// and reads `database_url_file`.
    pub fn load(file: Option<&Path>, overrides: impl Serialize) -> Result<Config, ConfigError> {
        let mut config = Config::layered(file, overrides)?;
        if let (None, Some(file)) = (&config.database_url, &config.database_url_file) {
            let url = std::fs::read_to_string(file)
                .map_err(|e| ConfigError::Invalid(format!("database_url_file {}: {e}", file.display())))?;
            config.database_url = Some(url.trim().into());
        }
        Ok(config)
    }

    /// The layers merged and checked, without reading any file the settings name (what
    /// `wharf check-config` shows, on a machine that may not have them).
    pub fn layered(file: Option<&Path>, overrides: impl Serialize) -> Result<Config, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(f) => {
                if !f.exists() {
                    return Err(ConfigError::Invalid(format!(
                        "config file {} does not exist",
                        f.display()
                    )));
                }
                fig = fig.merge(Toml::file_exact(f));
            }
            None if Path::new("wharf.toml").exists() => fig = fig.merge(Toml::file_exact("wharf.toml")),
            None => {}
        }
        reject_unknown_env(std::env::vars())?;
        let config: Config = fig
            .merge(Env::prefixed("WHARF_").split("__"))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let url = url::Url::parse(&self.public_url)
            .map_err(|e| ConfigError::Invalid(format!("public_url {:?}: {e}", self.public_url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid("public_url must be http:// or https://".into()));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ConfigError::Invalid("tls_cert and tls_key must be set together".into()));
        }
        if !(10..=86_400).contains(&self.token_ttl_secs) {
            return Err(ConfigError::Invalid(
                "token_ttl_secs must be between 10 and 86400".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.sync_max_delete_share) {
            return Err(ConfigError::Invalid(
                "sync_max_delete_share must be between 0.0 and 1.0".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.retention_max_delete_share) {
            return Err(ConfigError::Invalid(
                "retention_max_delete_share must be between 0.0 and 1.0".into(),
            ));
        }
        if self.event_retention_days == 0 {
            return Err(ConfigError::Invalid(
                "event_retention_days must be at least 1 (event ids de-duplicate retries)".into(),
            ));
        }
        if !(1..=256).contains(&self.sync_concurrency) {
            return Err(ConfigError::Invalid(
                "sync_concurrency must be between 1 and 256".into(),
            ));
        }
        if self.probe_interval_secs == 0 || self.leader_lease_secs <= self.probe_interval_secs {
            return Err(ConfigError::Invalid(
                "probe_interval_secs must be at least 1 and leader_lease_secs longer than it".into(),
            ));
        }
        if !(1..=100).contains(&self.webhook_attempts) {
            return Err(ConfigError::Invalid(
                "webhook_attempts must be between 1 and 100".into(),
            ));
        }
        if !(1..=256).contains(&self.webhook_concurrency) {
            return Err(ConfigError::Invalid(
                "webhook_concurrency must be between 1 and 256".into(),
            ));
        }
        if self.webhook_poll_ms == 0 || self.webhook_backoff_max_secs == 0 || self.webhook_retention_days == 0 {
            return Err(ConfigError::Invalid(
                "webhook_poll_ms, webhook_backoff_max_secs and webhook_retention_days must be at least 1".into(),
            ));
        }
        for r in &self.registries {
            if r.public_host.is_none() && self.registry_host.is_none() {
                return Err(ConfigError::Invalid(format!(
                    "registries: {}: set its public_host, or registry_host",
                    r.name
                )));
            }
            if r.replicas.iter().any(|rep| rep.url.trim().is_empty()) {
                return Err(ConfigError::Invalid(format!(
                    "registries: {}: every replica needs a url",
                    r.name
                )));
            }
        }
        if self.service.trim().is_empty() || self.issuer.trim().is_empty() {
            return Err(ConfigError::Invalid("service and issuer must not be empty".into()));
        }
        Ok(())
    }

    /// The database URL: `database_url`, else the contents of `database_url_file` (read when
    /// the configuration is loaded), else SQLite in the data dir.
    pub fn database_url(&self) -> String {
        self.database_url
            .as_ref()
            .map(|u| u.expose().to_owned())
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("wharf.db").display()))
    }

    /// Where the signing key and its certificates are: `key_dir`, else the data dir.
    pub fn key_dir(&self) -> &Path {
        self.key_dir.as_deref().unwrap_or(&self.data_dir)
    }

    /// The token endpoint registries and clients are sent to.
    pub fn token_realm(&self) -> String {
        format!("{}/v2/token", self.public_url.trim_end_matches('/'))
    }

    pub fn notification_url(&self) -> String {
        format!("{}/v2/webhooks/events", self.public_url.trim_end_matches('/'))
    }

    /// The periodic jobs' schedule (`sync_interval_secs = 0` disables sync, not probes).
    pub fn sync_interval(&self) -> Option<std::time::Duration> {
        (self.sync_interval_secs > 0).then(|| std::time::Duration::from_secs(self.sync_interval_secs))
    }

    pub fn policy(&self) -> PolicySettings {
        PolicySettings {
            push_policy: self.push_policy,
            delete_contributors: self.delete_contributors,
            delete_enabled: self.delete_enabled,
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
            .unwrap_or_else(|| self.public_url.starts_with("https://"))
    }
}

/// Refuses `WHARF_*` variables that name no setting, each by its name, before figment would
/// report one lower-cased key without saying where it came from. Kubernetes' service links
/// (a Service named `wharf` gives every pod `WHARF_PORT`, `WHARF_SERVICE_HOST`, …) get the
/// fix that applies to them.
pub fn reject_unknown_env(vars: impl IntoIterator<Item = (String, String)>) -> Result<(), ConfigError> {
    let known = known_keys();
    let mut unknown: Vec<String> = vars
        .into_iter()
        .filter_map(|(name, _)| {
            let key = name.strip_prefix("WHARF_")?;
            let top = key.split("__").next().unwrap_or(key).to_ascii_lowercase();
            (!known.contains(&top)).then_some(name)
        })
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort();
    let service_links = unknown.iter().any(|n| is_kubernetes_service_link(n));
    let mut message = format!(
        "unknown environment variable{} {}: wharf reads every WHARF_* variable as a setting, \
         and {} none (the settings are in docs/CONFIGURATION.md). Remove or rename {}.",
        if unknown.len() == 1 { "" } else { "s" },
        unknown.join(", "),
        if unknown.len() == 1 { "this names" } else { "these name" },
        if unknown.len() == 1 { "it" } else { "them" },
    );
    if service_links {
        message.push_str(
            " These look like Kubernetes service links, made for a Service named `wharf`: \
             set `enableServiceLinks: false` in the pod spec.",
        );
    }
    Err(ConfigError::Invalid(message))
}

/// The top-level setting names, as `WHARF_<NAME>` spells them lower-cased.
fn known_keys() -> std::collections::HashSet<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => std::collections::HashSet::new(),
    }
}

/// `WHARF_PORT`, `WHARF_PORT_8080_TCP…`, `WHARF_SERVICE_HOST`, `WHARF_SERVICE_PORT…`.
fn is_kubernetes_service_link(name: &str) -> bool {
    name == "WHARF_PORT"
        || name.starts_with("WHARF_PORT_")
        || name == "WHARF_SERVICE_HOST"
        || name.starts_with("WHARF_SERVICE_PORT")
}

/// Trait object–free helper: a `Serialize` value with no fields, for callers without flags.
#[derive(Serialize)]
pub struct NoOverrides {}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail API returns its own large error
mod tests {
    use super::*;

    // Env-var tests use figment's jail so they don't race with each other.
    #[test]
    fn layers_and_unknown_keys() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("w.toml", "listen = \"127.0.0.1:9000\"\nservice = \"from-file\"\n")?;
            jail.set_env("WHARF_SERVICE", "from-env");
            #[derive(Serialize)]
            struct Flags {
                issuer: &'static str,
            }
            let c =
                Config::load(Some(Path::new("w.toml")), Flags { issuer: "from-flag" }).map_err(|e| e.to_string())?;
            assert_eq!(c.listen.port(), 9000);
            assert_eq!(c.service, "from-env");
            assert_eq!(c.issuer, "from-flag");

            jail.set_env("WHARF_NO_SUCH_KEY", "x");
            let err = Config::load(None, NoOverrides {}).unwrap_err().to_string();
            assert!(err.contains("WHARF_NO_SUCH_KEY"), "{err}");
            assert!(!err.contains("enableServiceLinks"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_clear_errors() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("WHARF_PUSH_POLICY", "everyone");
            let err = Config::load(None, NoOverrides {}).unwrap_err().to_string();
            assert!(err.contains("push_policy") || err.contains("everyone"), "{err}");
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.set_env("WHARF_PUBLIC_URL", "ftp://x");
            assert!(Config::load(None, NoOverrides {}).is_err());
            Ok(())
        });
    }

    #[test]
    fn an_ldap_table_with_defaults_for_what_it_leaves_out() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "wharf.toml",
                "[ldap]\nurl = \"ldaps://ldap.example.com\"\nbase_dn = \"ou=people,dc=example,dc=com\"\n\
                 sync_teams = true\ndefault_role = \"contributor\"\n",
            )?;
            jail.set_env("WHARF_LDAP__ADMIN_GROUP", "registry-admins");
            let c = Config::load(None, NoOverrides {}).map_err(|e| e.to_string())?;
            let ldap = c.ldap.ok_or("no [ldap]")?;
            assert_eq!(ldap.url, "ldaps://ldap.example.com");
            assert_eq!(ldap.user_attribute, "uid");
            assert_eq!(ldap.default_role, crate::domain::Role::Contributor);
            assert_eq!(ldap.admin_group.as_deref(), Some("registry-admins"));
            assert!(Config::load(None, NoOverrides {}).is_ok());
            jail.create_file("bad.toml", "[ldap]\nurl = \"x\"\nbase = \"typo\"\n")?;
            let err = Config::load(Some(Path::new("bad.toml")), NoOverrides {})
                .unwrap_err()
                .to_string();
            assert!(err.contains("base"), "{err}");
            Ok(())
        });
        use crate::backend::auth::ldap::{Directory, LdapConfig};
        let ok = LdapConfig {
            url: "ldap://127.0.0.1:1".into(),
            base_dn: "dc=x".into(),
            ..LdapConfig::default()
        };
        assert!(Directory::new(ok.clone()).is_ok());
        for bad in [
            LdapConfig {
                url: "http://x".into(),
                ..ok.clone()
            },
            LdapConfig {
                base_dn: String::new(),
                ..ok.clone()
            },
            LdapConfig {
                url: "ldaps://x".into(),
                starttls: true,
                ..ok.clone()
            },
            LdapConfig {
                bind_dn: Some("cn=x".into()),
                ..ok.clone()
            },
        ] {
            assert!(Directory::new(bad).is_err());
        }
    }

    #[test]
    fn declared_registries_and_a_database_url_from_a_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "wharf.toml",
                "registry_host = \"registry.example.com\"\n\
                 [[registries]]\nname = \"default\"\nreplicas = [\n\
                 { name = \"r1\", url = \"http://r1:5000\", debug_url = \"http://r1:5001\" },\n\
                 { url = \"http://r2:5000\" },\n]\n",
            )?;
            jail.create_file("db-url", "postgres://wharf:s3cret@db/wharf\n")?;
            jail.set_env("WHARF_DATABASE_URL_FILE", "db-url");
            let c = Config::load(None, NoOverrides {}).map_err(|e| e.to_string())?;
            assert_eq!(c.database_url(), "postgres://wharf:s3cret@db/wharf");
            assert_eq!(c.registries.len(), 1);
            assert_eq!(c.registries[0].public_host, None);
            assert_eq!(c.registries[0].replicas[0].name.as_deref(), Some("r1"));
            assert_eq!(c.registries[0].replicas[1].debug_url, None);

            // Without registry_host, a declared registry must name its public host.
            jail.create_file("w2.toml", "[[registries]]\nname = \"default\"\n")?;
            let err = Config::load(Some(Path::new("w2.toml")), NoOverrides {})
                .unwrap_err()
                .to_string();
            assert!(err.contains("public_host"), "{err}");
            jail.set_env("WHARF_DATABASE_URL_FILE", "missing");
            let err = Config::load(None, NoOverrides {}).unwrap_err().to_string();
            assert!(err.contains("database_url_file"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn unknown_variables_are_named_and_service_links_explained() {
        let env = |names: &[&str]| {
            names
                .iter()
                .map(|n| (n.to_string(), "x".to_string()))
                .collect::<Vec<_>>()
        };
        // Settings, nested settings and other programs' variables pass.
        assert!(reject_unknown_env(env(&[
            "WHARF_SERVICE",
            "WHARF_LDAP__URL",
            "WHARF_KEY_DIR",
            "HOME",
            "PORT"
        ]))
        .is_ok());
        // What Kubernetes injects for a Service named `wharf` (service = "wharf-registry" is a
        // setting, WHARF_SERVICE_HOST is not).
        let links = env(&[
            "WHARF_SERVICE",
            "WHARF_SERVICE_HOST",
            "WHARF_SERVICE_PORT",
            "WHARF_SERVICE_PORT_HTTP",
            "WHARF_PORT",
            "WHARF_PORT_8080_TCP_ADDR",
        ]);
        let err = reject_unknown_env(links).unwrap_err().to_string();
        for name in [
            "WHARF_SERVICE_HOST",
            "WHARF_SERVICE_PORT_HTTP",
            "WHARF_PORT,",
            "WHARF_PORT_8080_TCP_ADDR",
        ] {
            assert!(err.contains(name), "{name} missing: {err}");
        }
        assert!(!err.contains("WHARF_SERVICE,"), "{err}");
        assert!(err.contains("enableServiceLinks: false"), "{err}");
        let err = reject_unknown_env(env(&["WHARF_DATABSE_URL"])).unwrap_err().to_string();
        assert!(
            err.contains("variable WHARF_DATABSE_URL:") && err.contains("Remove or rename it"),
            "{err}"
        );
    }
}
