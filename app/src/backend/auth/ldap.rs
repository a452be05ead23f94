//! Sign-in against an LDAP directory (OpenLDAP, Active Directory, …): search, then bind.
//!
//! wharf binds with its service account (or anonymously), searches `base_dn` for exactly one
//! entry whose `user_attribute` equals the login name (and that matches `user_filter`), then
//! binds as that entry's DN with the password given. On success it reads the entry's email and
//! the names of the groups the entry belongs to. Plain `ldap://`, StartTLS and `ldaps://` are
//! supported; TLS certificates are verified (against `ca_file` when set, else the system's).

use std::sync::Arc;
use std::time::Duration;

use ldap3::{ldap_escape, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use serde::{Deserialize, Serialize};

use crate::domain::Role;

/// The `[ldap]` table of the configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LdapConfig {
    /// `ldap://host:389` or `ldaps://host:636`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS before binding.
    pub starttls: bool,
    /// PEM file of the CA that signed the directory's certificate (default: the system's).
    pub ca_file: Option<std::path::PathBuf>,
    /// The service account wharf searches with; anonymous when unset.
    pub bind_dn: Option<String>,
    pub bind_password: Option<crate::backend::secret_value::Secret>,
    pub bind_password_file: Option<std::path::PathBuf>,
    /// Where users are searched (subtree).
    pub base_dn: String,
    /// The attribute holding the login name (`uid`, or `sAMAccountName` on Active Directory).
    pub user_attribute: String,
    /// Extra conditions on user entries, e.g. `(objectClass=inetOrgPerson)`.
    pub user_filter: String,
    pub email_attribute: String,
    /// Where groups are searched (default: `base_dn`).
    pub group_base_dn: Option<String>,
    /// Groups the user belongs to; `{dn}` is the user's DN, `{name}` the login name.
    pub group_filter: String,
    /// The attribute that names a group (matched against team names).
    pub group_attribute: String,
    /// Make users members of the teams named like their groups (and remove them when they
    /// leave the group).
    pub sync_teams: bool,
    /// The role users get in teams joined through their groups.
    pub default_role: Role,
    /// Members of this group are administrators; others are not (when set).
    pub admin_group: Option<String>,
    /// Connect and operation timeout, in seconds.
    pub timeout_secs: u64,
    /// How often, at most, the standing of a directory user with a lasting credential (refresh
    /// token, console session, application token) is checked with the directory again, in
    /// seconds. Someone removed from the directory or the admin group loses access or admin
    /// rights within this (plus one registry token's lifetime). At most 300.
    pub recheck_secs: u64,
}

impl Default for LdapConfig {
    fn default() -> Self {
        LdapConfig {
            url: String::new(),
            starttls: false,
            ca_file: None,
            bind_dn: None,
            bind_password: None,
            bind_password_file: None,
            base_dn: String::new(),
            user_attribute: "uid".into(),
            user_filter: "(objectClass=*)".into(),
            email_attribute: "mail".into(),
            group_base_dn: None,
            group_filter: "(|(member={dn})(uniqueMember={dn})(memberUid={name}))".into(),
            group_attribute: "cn".into(),
            sync_teams: false,
            default_role: Role::Viewer,
            admin_group: None,
            timeout_secs: 5,
            recheck_secs: 60,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LdapError {
    /// The password is wrong, or no (or more than one) entry has that name.
    #[error("invalid user name or password")]
    Rejected,
    /// The directory could not be reached or answered with an error.
    #[error("the directory is unavailable: {0}")]
    Unavailable(String),
    #[error("ldap configuration: {0}")]
    Config(String),
}

/// Who the directory says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    pub dn: String,
    pub email: Option<String>,
    /// Names of the groups the user is in.
    pub groups: Vec<String>,
}

impl DirectoryUser {
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g.eq_ignore_ascii_case(group))
    }
}

/// A configured directory, ready to check passwords.
pub struct Directory {
    pub config: LdapConfig,
    bind_password: Option<String>,
    tls: Option<Arc<rustls::ClientConfig>>,
    /// When the directory last confirmed each user (see `directory::recheck`); moka's
    /// time-to-live only bounds memory, freshness is read against the state's clock.
    confirmed: moka::future::Cache<i64, chrono::DateTime<chrono::Utc>>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("url", &self.config.url)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> LdapError {
    LdapError::Unavailable(e.to_string())
}

impl Directory {
    pub fn new(config: LdapConfig) -> Result<Directory, LdapError> {
        let url = url::Url::parse(&config.url).map_err(|e| LdapError::Config(format!("url {:?}: {e}", config.url)))?;
        let secure = match url.scheme() {
            "ldaps" => true,
            "ldap" => config.starttls,
            _ => return Err(LdapError::Config("url must start with ldap:// or ldaps://".into())),
        };
        if url.scheme() == "ldaps" && config.starttls {
            return Err(LdapError::Config(
                "starttls is for ldap:// URLs; ldaps:// is TLS already".into(),
            ));
        }
        if config.base_dn.trim().is_empty() {
            return Err(LdapError::Config("base_dn is required".into()));
        }
        let bind_password = match (&config.bind_password, &config.bind_password_file) {
            (Some(p), _) => Some(p.expose().to_owned()),
            (None, Some(f)) => Some(
                std::fs::read_to_string(f)
                    .map_err(|e| LdapError::Config(format!("bind_password_file {}: {e}", f.display())))?
                    .trim()
                    .to_owned(),
            ),
            (None, None) => None,
        };
        if config.bind_dn.is_some() != bind_password.is_some() {
            return Err(LdapError::Config("bind_dn and bind_password go together".into()));
        }
        if config.recheck_secs == 0 || config.recheck_secs > 300 {
            return Err(LdapError::Config("recheck_secs must be between 1 and 300".into()));
        }
        let tls = secure.then(|| tls_config(config.ca_file.as_deref())).transpose()?;
        let recheck = Duration::from_secs(config.recheck_secs);
        Ok(Directory {
            config,
            bind_password,
            tls,
            confirmed: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(recheck)
                .build(),
        })
    }

    /// How long a directory user's standing is trusted before the directory is asked again.
    pub fn recheck_every(&self) -> Duration {
        Duration::from_secs(self.config.recheck_secs)
    }

    /// Notes that the directory vouched for user `id` at `now`.
    pub(super) async fn confirm(&self, id: i64, now: chrono::DateTime<chrono::Utc>) {
        self.confirmed.insert(id, now).await;
    }

    /// Whether the directory vouched for user `id` within the last `recheck_secs` before `now`.
    pub(super) async fn confirmed_recently(&self, id: i64, now: chrono::DateTime<chrono::Utc>) -> bool {
        let window = chrono::TimeDelta::from_std(self.recheck_every()).unwrap_or(chrono::TimeDelta::MAX);
        self.confirmed
            .get(&id)
            .await
            .is_some_and(|at| at.checked_add_signed(window).is_none_or(|until| until > now))
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.config.timeout_secs.max(1))
    }

    async fn connect(&self) -> Result<ldap3::Ldap, LdapError> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(self.timeout())
            .set_starttls(self.config.starttls);
        if let Some(tls) = &self.tls {
            settings = settings.set_config(tls.clone());
        }
        let (conn, ldap) = LdapConnAsync::with_settings(settings, &self.config.url)
            .await
            .map_err(unavailable)?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    /// Binds as the service account (or anonymously).
    async fn bind_service(&self, ldap: &mut ldap3::Ldap) -> Result<(), LdapError> {
        let (dn, pw) = match (&self.config.bind_dn, &self.bind_password) {
            (Some(d), Some(p)) => (d.as_str(), p.as_str()),
            _ => ("", ""),
        };
        ldap.with_timeout(self.timeout())
            .simple_bind(dn, pw)
            .await
            .map_err(unavailable)?
            .success()
            .map_err(|e| LdapError::Unavailable(format!("the service account could not bind: {e}")))?;
        Ok(())
    }

    /// Checks `name` + `password` against the directory.
    pub async fn authenticate(&self, name: &str, password: &str) -> Result<DirectoryUser, LdapError> {
        // An empty password would be an unauthenticated bind, which "succeeds".
        if password.is_empty() || name.is_empty() {
            return Err(LdapError::Rejected);
        }
        let mut ldap = self.connect().await?;
        let result = self.search_and_bind(&mut ldap, name, password).await;
        let _ = ldap.unbind().await;
        result
    }

    /// What the directory says of `name` now, without a password (the service account
    /// searches): `None` when the user is gone. Used to re-check directory users whose
    /// credential (a refresh token, a session, an application token) outlives a sign-in.
    pub async fn lookup(&self, name: &str) -> Result<Option<DirectoryUser>, LdapError> {
        if name.is_empty() {
            return Ok(None);
        }
        let mut ldap = self.connect().await?;
        let result = async {
            self.bind_service(&mut ldap).await?;
            let Some(entry) = self.find_entry(&mut ldap, name).await? else {
                return Ok(None);
            };
            self.with_groups(&mut ldap, name, entry).await.map(Some)
        }
        .await;
        let _ = ldap.unbind().await;
        result
    }

    async fn search_and_bind(
        &self,
        ldap: &mut ldap3::Ldap,
        name: &str,
        password: &str,
    ) -> Result<DirectoryUser, LdapError> {
        self.bind_service(ldap).await?;
        let entry = self.find_entry(ldap, name).await?.ok_or(LdapError::Rejected)?;
        match ldap.with_timeout(self.timeout()).simple_bind(&entry.dn, password).await {
            Ok(r) if r.rc == 0 => {}
            // 49: invalidCredentials (also what a locked account answers on most servers).
            Ok(r) if r.rc == 49 || r.rc == 53 => return Err(LdapError::Rejected),
            Ok(r) => return Err(LdapError::Unavailable(format!("bind answered {}", r.rc))),
            Err(e) => return Err(unavailable(e)),
        }
        // Groups are read as the service account again: users may not see group entries.
        self.bind_service(ldap).await?;
        self.with_groups(ldap, name, entry).await
    }

    /// The one entry under `base_dn` for `name` (bound as the service account); `None` when
    /// there is none, or more than one.
    async fn find_entry(&self, ldap: &mut ldap3::Ldap, name: &str) -> Result<Option<SearchEntry>, LdapError> {
        let c = &self.config;
        let filter = format!("(&{}({}={}))", c.user_filter, c.user_attribute, ldap_escape(name));
        let (entries, _) = ldap
            .with_timeout(self.timeout())
            .search(&c.base_dn, Scope::Subtree, &filter, vec![c.email_attribute.as_str()])
            .await
            .map_err(unavailable)?
            .success()
            .map_err(unavailable)?;
        Ok(<[_; 1]>::try_from(entries).ok().map(|[e]| SearchEntry::construct(e)))
    }

    /// The user's groups, read as the service account.
    async fn with_groups(
        &self,
        ldap: &mut ldap3::Ldap,
        name: &str,
        entry: SearchEntry,
    ) -> Result<DirectoryUser, LdapError> {
        let c = &self.config;
        let group_filter = c
            .group_filter
            .replace("{dn}", &ldap_escape(&entry.dn))
            .replace("{name}", &ldap_escape(name));
        let base = c.group_base_dn.as_deref().unwrap_or(&c.base_dn);
        let (groups, _) = ldap
            .with_timeout(self.timeout())
            .search(base, Scope::Subtree, &group_filter, vec![c.group_attribute.as_str()])
            .await
            .map_err(unavailable)?
            .success()
            .map_err(unavailable)?;
        let mut names: Vec<String> = groups
            .into_iter()
            .map(SearchEntry::construct)
            .filter_map(|g| g.attrs.get(&c.group_attribute).and_then(|v| v.first().cloned()))
            .collect();
        names.sort();
        names.dedup();
        Ok(DirectoryUser {
            email: entry.attrs.get(&c.email_attribute).and_then(|v| v.first().cloned()),
            dn: entry.dn,
            groups: names,
        })
    }
}

/// TLS settings: the CA in `ca_file`, or the system's trust store.
fn tls_config(ca_file: Option<&std::path::Path>) -> Result<Arc<rustls::ClientConfig>, LdapError> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(f) => {
            let certs = rustls_pki_types::CertificateDer::pem_file_iter(f)
                .map_err(|e| LdapError::Config(format!("ca_file {}: {e}", f.display())))?;
            for cert in certs {
                let cert = cert.map_err(|e| LdapError::Config(format!("ca_file {}: {e}", f.display())))?;
                roots
                    .add(cert)
                    .map_err(|e| LdapError::Config(format!("ca_file {}: {e}", f.display())))?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LdapError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
