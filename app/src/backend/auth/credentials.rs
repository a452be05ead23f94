//! Checking a user name + secret (a password or an application token), with a cache of
//! recently verified credentials and per-account backoff after repeated failures.
//!
//! Docker sends Basic credentials on every token request and argon2id costs tens of
//! milliseconds, so verified credentials are remembered for `credential_cache_ttl_secs`. The
//! cache key is an HMAC (with a per-process random key) of user name and secret: the secret
//! itself is never kept, and a memory dump does not reveal it. The cache is dropped whenever
//! credentials or memberships change anywhere (see [`super::cache`]).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use moka::future::Cache;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::Sha256;

use super::{password, secret, Identity};
use crate::backend::entity::{app_token, user};
use crate::backend::store::activity;
use crate::domain::AppError;

/// A verified credential: who it is, and for tokens which row to re-check.
#[derive(Debug, Clone)]
struct Cached {
    identity: Identity,
    /// Application tokens keep working only until they expire, cached or not.
    expires_at: Option<chrono::DateTime<Utc>>,
}

/// Verified credentials, keyed by HMAC(user, secret).
#[derive(Clone)]
pub struct CredentialCache {
    cache: Cache<[u8; 32], Cached>,
    key: Arc<[u8; 32]>,
}

impl CredentialCache {
    pub fn new(ttl: Duration) -> Self {
        let mut key = [0u8; 32];
        if let Err(e) = getrandom::fill(&mut key) {
            panic!("the operating system refused random bytes: {e}");
        }
        CredentialCache {
            cache: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl.max(Duration::from_millis(1)))
                .build(),
            key: Arc::new(key),
        }
    }

    fn cache_key(&self, name: &str, secret: &str) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.as_slice()).unwrap_or_else(|_| unreachable!());
        mac.update(name.as_bytes());
        mac.update(&[0]);
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The identity cached under `key`, unless its token has expired since (then forgotten).
    async fn fresh(&self, key: &[u8; 32]) -> Option<Identity> {
        let hit = self.cache.get(key).await?;
        if hit.expires_at.is_none_or(|t| t > Utc::now()) {
            return Some(hit.identity);
        }
        self.cache.invalidate(key).await;
        None
    }

    /// Forgets every cached credential.
    pub fn clear(&self) {
        self.cache.invalidate_all();
    }
}

/// Why an account is refused; the HTTP layer turns it into 401 or 429.
pub(super) fn bad_credentials() -> AppError {
    AppError::Unauthorized("invalid user name or password".into())
}

/// Checks `name` + `secret` and returns who it is. Disabled users, unknown users, wrong
/// secrets and expired tokens are all the same 401; accounts in backoff get 429. With a
/// `directory`, passwords of users without a local password are checked by LDAP (and the
/// result is cached like any other).
#[tracing::instrument(skip(db, cache, secret, settings, directory), fields(user = %name))]
pub async fn authenticate(
    db: &DatabaseConnection,
    cache: &CredentialCache,
    settings: &BackoffSettings,
    directory: Option<&super::ldap::Directory>,
    name: &str,
    secret: &str,
    client_addr: Option<&str>,
) -> Result<Identity, AppError> {
    if name.is_empty() || secret.is_empty() || name.len() > 255 || secret.len() > password::MAX_PASSWORD_LEN {
        return Err(bad_credentials());
    }
    let key = cache.cache_key(name, secret);
    if let Some(identity) = cache.fresh(&key).await {
        return Ok(identity);
    }

    let found = user::Entity::find().filter(user::Column::Name.eq(name)).one(db).await?;
    let local_password = found.as_ref().is_some_and(|u| u.password_hash.is_some());
    let cached = if secret.starts_with(secret::APP_TOKEN_PREFIX) {
        authenticate_app_token(db, found.as_ref(), secret).await?
    } else if let (Some(dir), false) = (directory, local_password) {
        Cached {
            identity: super::directory::authenticate(db, dir, settings, found.as_ref(), name, secret, client_addr)
                .await?,
            expires_at: None,
        }
    } else {
        Cached {
            identity: authenticate_password(db, settings, found.as_ref(), name, secret, client_addr).await?,
            expires_at: None,
        }
    };
    cache.cache.insert(key, cached.clone()).await;
    Ok(cached.identity)
}

/// Checks an application token given on its own (`Authorization: Bearer`, the REST API): the
/// token's hash finds its row and its owner. Same cache, same 401s as [`authenticate`].
#[tracing::instrument(skip_all)]
pub async fn authenticate_token(
    db: &DatabaseConnection,
    cache: &CredentialCache,
    token: &str,
) -> Result<Identity, AppError> {
    if !token.starts_with(secret::APP_TOKEN_PREFIX) || token.len() > password::MAX_PASSWORD_LEN {
        return Err(AppError::Unauthorized("that is not a wharf application token".into()));
    }
    // The empty user name cannot collide with a real one (names are never empty).
    let key = cache.cache_key("", token);
    if let Some(identity) = cache.fresh(&key).await {
        return Ok(identity);
    }
    let row = app_token::Entity::find()
        .filter(app_token::Column::TokenHash.eq(secret::digest(token).as_str()))
        .one(db)
        .await?
        .ok_or_else(bad_credentials)?;
    let owner = user::Entity::find_by_id(row.user_id).one(db).await?;
    let cached = authenticate_app_token(db, owner.as_ref(), token).await?;
    cache.cache.insert(key, cached.clone()).await;
    Ok(cached.identity)
}

async fn authenticate_app_token(
    db: &DatabaseConnection,
    found: Option<&user::Model>,
    token: &str,
) -> Result<Cached, AppError> {
    let Some(user) = found.filter(|u| !u.disabled) else {
        return Err(bad_credentials());
    };
    let hash = secret::digest(token);
    let row = app_token::Entity::find()
        .filter(app_token::Column::TokenHash.eq(hash.as_str()))
        .filter(app_token::Column::UserId.eq(user.id))
        .one(db)
        .await?;
    let Some(row) = row else {
        return Err(bad_credentials());
    };
    if row.expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(AppError::Unauthorized("this application token has expired".into()));
    }
    // last_used_at is informational; a failure to record it must not refuse the login.
    let read_only = row.read_only;
    let expires_at = row.expires_at;
    let mut am: app_token::ActiveModel = row.into();
    am.last_used_at = Set(Some(Utc::now()));
    if let Err(e) = am.update(db).await {
        tracing::warn!(error = %e, "recording token use");
    }
    Ok(Cached {
        identity: Identity {
            user_id: user.id,
            name: user.name.clone(),
            admin: user.admin,
            read_only,
        },
        expires_at,
    })
}

/// How failed sign-ins slow an account down.
#[derive(Debug, Clone, Copy)]
pub struct BackoffSettings {
    /// Failures allowed before any wait.
    pub free_failures: u32,
    /// The longest wait, in seconds.
    pub max_wait_secs: u64,
}

impl BackoffSettings {
    /// The backoff the configuration asks for.
    pub fn of(config: &crate::backend::config::Config) -> BackoffSettings {
        BackoffSettings {
            free_failures: config.login_failures_before_backoff,
            max_wait_secs: config.login_backoff_max_secs,
        }
    }

    /// The wait after `failures` consecutive failures: none for the first few, then doubling
    /// from one second up to the maximum. A correct password works again once it has passed.
    pub fn wait_after(&self, failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(self.free_failures)?;
        let secs = 1u64.checked_shl(over).unwrap_or(u64::MAX).min(self.max_wait_secs);
        Some(Duration::from_secs(secs))
    }
}

async fn authenticate_password(
    db: &DatabaseConnection,
    settings: &BackoffSettings,
    found: Option<&user::Model>,
    name: &str,
    password_given: &str,
    client_addr: Option<&str>,
) -> Result<Identity, AppError> {
    let Some(user) = found else {
        password::verify_dummy(password_given.to_owned()).await;
        activity::record_login_failure(db, None, name, "unknown user", client_addr).await;
        return Err(bad_credentials());
    };
    refuse_while_locked(user)?;
    let Some(phc) = user.password_hash.clone() else {
        password::verify_dummy(password_given.to_owned()).await;
        return Err(bad_credentials());
    };
    let ok = password::verify(password_given.to_owned(), phc).await;
    if !ok || user.disabled {
        if !ok {
            count_failure(db, settings, user).await?;
        }
        let reason = if ok { "account disabled" } else { "wrong password" };
        activity::record_login_failure(db, Some(user.id), name, reason, client_addr).await;
        return Err(bad_credentials());
    }
    if user.failed_logins != 0 || user.locked_until.is_some() {
        let mut am: user::ActiveModel = user.clone().into();
        am.failed_logins = Set(0);
        am.locked_until = Set(None);
        am.update(db).await?;
    }
    Ok(Identity {
        user_id: user.id,
        name: user.name.clone(),
        admin: user.admin,
        read_only: false,
    })
}

/// 429 while the account waits out its backoff.
pub(super) fn refuse_while_locked(user: &user::Model) -> Result<(), AppError> {
    let now = Utc::now();
    match user.locked_until.filter(|t| *t > now) {
        Some(until) => Err(AppError::TooManyRequests(format!(
            "too many failed sign-ins for this account; try again in {} s",
            (until - now).num_seconds().max(1)
        ))),
        None => Ok(()),
    }
}

/// One more failed sign-in for `user`, and the wait it now owes.
pub(super) async fn count_failure(
    db: &DatabaseConnection,
    settings: &BackoffSettings,
    user: &user::Model,
) -> Result<(), AppError> {
    let failures = user.failed_logins.saturating_add(1);
    let mut am: user::ActiveModel = user.clone().into();
    am.failed_logins = Set(failures);
    am.locked_until = Set(settings
        .wait_after(failures.max(0) as u32)
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .map(|d| Utc::now() + d));
    am.update(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let s = BackoffSettings {
            free_failures: 3,
            max_wait_secs: 60,
        };
        assert_eq!(s.wait_after(2), None);
        assert_eq!(s.wait_after(3), Some(Duration::from_secs(1)));
        assert_eq!(s.wait_after(4), Some(Duration::from_secs(2)));
        assert_eq!(s.wait_after(8), Some(Duration::from_secs(32)));
        assert_eq!(s.wait_after(9), Some(Duration::from_secs(60)));
        assert_eq!(s.wait_after(200), Some(Duration::from_secs(60)));
    }

    #[test]
    fn cache_keys_depend_on_both_name_and_secret() {
        let c = CredentialCache::new(Duration::from_secs(1));
        assert_ne!(c.cache_key("a", "bc"), c.cache_key("ab", "c"));
        assert_eq!(c.cache_key("a", "b"), c.cache_key("a", "b"));
        let other = CredentialCache::new(Duration::from_secs(1));
        assert_ne!(c.cache_key("a", "b"), other.cache_key("a", "b"), "keys are per process");
    }
}
