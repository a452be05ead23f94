//! The files `wharf serve` reads and writes as it starts, worked out from the configuration
//! alone. The start-up code takes each secret's place from here, and the deployment checks
//! (`server/tests/integration/deploy.rs`) hold every Kubernetes pod's mounts against the same
//! list: what wharf reads must be mounted, what it may write must be on a writable volume.

use std::path::{Path, PathBuf};

use super::config::Config;
use super::secret_value::Secret;
use super::token::keys::KeyPaths;

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource<'a> {
    /// Set in the configuration itself.
    Inline(&'a Secret),
    /// Read from a file the operator provides (a mounted secret).
    File(&'a Path),
    /// Kept in the data dir, generated there on first start.
    DataDir(PathBuf),
}

impl Config {
    /// The secret registries send with notifications.
    pub fn notification_secret_source(&self) -> SecretSource<'_> {
        source(
            self.notification_secret.as_ref(),
            self.notification_secret_file.as_deref(),
            self.data_dir.join("notification-secret"),
        )
    }

    /// The key sealing webhook secrets in the database.
    pub fn webhook_key_source(&self) -> SecretSource<'_> {
        source(
            self.webhook_key.as_ref(),
            self.webhook_key_file.as_deref(),
            self.data_dir.join("webhook-key"),
        )
    }

    /// The registry replicas' shared `http.secret`.
    pub fn registry_http_secret_source(&self) -> SecretSource<'_> {
        source(
            None,
            self.registry_http_secret_file.as_deref(),
            self.data_dir
                .join(crate::backend::deploy::registry_yaml::HTTP_SECRET_FILE),
        )
    }
}

fn source<'a>(inline: Option<&'a Secret>, file: Option<&'a Path>, generated: PathBuf) -> SecretSource<'a> {
    match (inline, file) {
        (Some(s), _) => SecretSource::Inline(s),
        (None, Some(f)) => SecretSource::File(f),
        (None, None) => SecretSource::DataDir(generated),
    }
}

/// What wharf does with a file at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileUse {
    /// Read; must exist.
    Reads,
    /// Read when it exists, created when it does not (generated secrets and keys).
    CreatesIfMissing,
    /// Written (or replaced) at start.
    Writes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartFile {
    pub path: PathBuf,
    pub usage: FileUse,
    /// What it is, for messages.
    pub what: &'static str,
}

/// Every file `wharf serve` touches as it starts, under this configuration.
pub fn start_files(config: &Config) -> Vec<StartFile> {
    let mut files = Vec::new();
    let mut add = |path: &Path, usage, what| {
        files.push(StartFile {
            path: path.to_owned(),
            usage,
            what,
        })
    };
    if config.database_url.is_none() {
        match &config.database_url_file {
            Some(f) => add(f, FileUse::Reads, "database URL"),
            None => add(&config.data_dir.join("wharf.db"), FileUse::Writes, "SQLite database"),
        }
    }
    for (source, what) in [
        (config.notification_secret_source(), "notification secret"),
        (config.webhook_key_source(), "webhook key"),
    ] {
        match source {
            SecretSource::Inline(_) => {}
            SecretSource::File(f) => add(f, FileUse::Reads, what),
            SecretSource::DataDir(f) => add(&f, FileUse::CreatesIfMissing, what),
        }
    }
    // Read when the console shows a replica's configuration; generated only by
    // `wharf registry-config`, so a provided file is the one case to check.
    if let SecretSource::File(f) = config.registry_http_secret_source() {
        add(f, FileUse::Reads, "registry http secret");
    }
    let keys = KeyPaths::in_dir(config.key_dir());
    add(&keys.key, FileUse::CreatesIfMissing, "token signing key");
    add(&keys.cert, FileUse::CreatesIfMissing, "token signing certificate");
    add(&keys.bundle, FileUse::CreatesIfMissing, "certificate bundle");
    add(&keys.jwks, FileUse::CreatesIfMissing, "JWKS");
    // Written while no administrator exists (see `auth::setup`).
    add(
        &crate::backend::auth::setup::token_file(&config.data_dir),
        FileUse::Writes,
        "setup token",
    );
    if let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) {
        add(cert, FileUse::Reads, "TLS certificate");
        add(key, FileUse::Reads, "TLS key");
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keep_everything_in_the_data_dir() {
        let config = Config::default();
        let files = start_files(&config);
        assert!(files.iter().all(|f| f.path.starts_with(&config.data_dir)), "{files:?}");
        assert!(files
            .iter()
            .any(|f| f.what == "webhook key" && f.usage == FileUse::CreatesIfMissing));
    }

    #[test]
    fn provided_files_are_read_and_keys_follow_key_dir() {
        let config = Config {
            database_url_file: Some("/run/secrets/database_url".into()),
            notification_secret_file: Some("/run/secrets/notification_secret".into()),
            webhook_key_file: Some("/run/secrets/webhook_key".into()),
            key_dir: Some("/etc/wharf/keys".into()),
            data_dir: "/var/lib/wharf".into(),
            ..Config::default()
        };
        let files = start_files(&config);
        let reads: Vec<_> = files
            .iter()
            .filter(|f| f.usage == FileUse::Reads)
            .map(|f| &f.path)
            .collect();
        assert_eq!(reads.len(), 3, "{files:?}");
        assert!(reads.iter().all(|p| p.starts_with("/run/secrets")));
        let keys: Vec<_> = files.iter().filter(|f| f.usage == FileUse::CreatesIfMissing).collect();
        assert_eq!(keys.len(), 4, "{files:?}");
        assert!(keys.iter().all(|f| f.path.starts_with("/etc/wharf/keys")));
        let writes: Vec<_> = files.iter().filter(|f| f.usage == FileUse::Writes).collect();
        assert_eq!(writes.len(), 1);
        assert_eq!(writes[0].path, Path::new("/var/lib/wharf/setup-token"));
        assert_eq!(
            config.registry_http_secret_source(),
            SecretSource::DataDir("/var/lib/wharf/registry-http-secret".into())
        );
    }
}
