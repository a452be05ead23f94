//! Checking a user name + secret (a password or an application token), with a cache of
//! recently verified credentials and backoff per (account, client address) after failures.
//!
//! Docker sends Basic credentials on every token request and argon2id costs tens of
//! milliseconds, so verified credentials are remembered for `credential_cache_ttl_secs`. The
//! cache key is an HMAC (with a per-process random key) of user name and secret: the secret
//! itself is never kept, and a memory dump does not reveal it. The cache is dropped whenever
//! credentials or memberships change anywhere (see [`super::cache`]); an entry verified before
//! such a drop is never used after it (each entry carries the cache's epoch).
//!
//! Only requests that miss the cache count against the client's request rate and need one
//! of the few password-verification slots.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use moka::future::Cache;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::Sha256;

use super::backoff::{self, Attempt, BackoffSettings};
use super::{password, secret, Identity, TokenCredential};
use crate::backend::entity::{app_token, user};
use crate::backend::store::activity;
use crate::backend::AppState;
use crate::domain::AppError;

/// A verified credential: who it is, and for tokens which row to re-check.
#[derive(Debug, Clone)]
struct Cached {
    identity: Identity,
    /// Until when the entry may be used: the cache lifetime, cut short by the token's expiry
    /// or a directory user's next re-check.
    usable_until: chrono::DateTime<Utc>,
    /// The cache's epoch when verification started: entries from before a clear are stale.
    epoch: u64,
}

/// Verified credentials, keyed by HMAC(user, secret).
#[derive(Clone)]
pub struct CredentialCache {
    cache: Cache<[u8; 32], Cached>,
    key: Arc<[u8; 32]>,
    epoch: Arc<AtomicU64>,
    /// How long a verification is trusted, read against the state's clock (moka's own
    /// time-to-live only bounds memory).
    ttl: chrono::TimeDelta,
}

impl CredentialCache {
    pub fn new(ttl: Duration) -> Self {
        let mut key = [0u8; 32];
        super::secret::fill_random(&mut key);
        CredentialCache {
            cache: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl.max(Duration::from_millis(1)))
                .build(),
            key: Arc::new(key),
            epoch: Arc::new(AtomicU64::new(0)),
            ttl: chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX),
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

    /// The epoch to stamp on a verification starting now.
    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// The identity cached under `key`, unless it is too old, its token has expired or the
    /// cache was cleared since it was verified (then forgotten).
    async fn fresh(&self, key: &[u8; 32], now: chrono::DateTime<Utc>) -> Option<Identity> {
        let hit = self.cache.get(key).await?;
        if hit.epoch == self.epoch() && hit.usable_until > now {
            return Some(hit.identity);
        }
        self.cache.invalidate(key).await;
        None
    }

    /// Keeps a verification that started at `epoch` (and ended `now`) and hands back its identity.
    async fn remember(
        &self,
        key: [u8; 32],
        epoch: u64,
        (identity, expires_at): Verified,
        now: chrono::DateTime<Utc>,
    ) -> Identity {
        // Verified against data read before a clear: not worth keeping (and `fresh` would
        // refuse it anyway).
        if epoch == self.epoch() {
            let lifetime_end = now
                .checked_add_signed(self.ttl)
                .unwrap_or(chrono::DateTime::<Utc>::MAX_UTC);
            let entry = Cached {
                identity: identity.clone(),
                usable_until: expires_at.map_or(lifetime_end, |t| t.min(lifetime_end)),
                epoch,
            };
            self.cache.insert(key, entry).await;
        }
        identity
    }

    /// Forgets every cached credential, including verifications still in flight.
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.cache.invalidate_all();
    }
}

/// Why an account is refused; the HTTP layer turns it into 401 or 429.
pub(super) fn bad_credentials() -> AppError {
    AppError::Unauthorized("invalid user name or password".into())
}

/// Checks `name` + `secret` from `client` and returns who it is. Disabled users, unknown
/// users, wrong secrets and expired tokens are all the same 401; a client in backoff gets
/// 429 for any account name, known or not. With a directory, passwords of users without a
/// local password are checked by LDAP (and the result is cached like any other).
#[tracing::instrument(skip(state, secret), fields(user = %name))]
pub async fn authenticate(
    state: &AppState,
    name: &str,
    secret: &str,
    client: Option<IpAddr>,
) -> Result<Identity, AppError> {
    if name.is_empty() || secret.is_empty() || name.len() > 255 || secret.len() > password::MAX_PASSWORD_LEN {
        return Err(bad_credentials());
    }
    let cache = &state.auth_cache.credentials;
    let key = cache.cache_key(name, secret);
    if let Some(identity) = cache.fresh(&key, state.clock.now()).await {
        return Ok(identity);
    }
    // The slow path (database, argon2id or the directory) has a large future: boxed, it stays
    // out of this one, which every cached token request otherwise moves around in memory.
    Box::pin(verify_and_remember(state, name, secret, client, key)).await
}

/// [`authenticate`] for a credential not in the cache: checks it and caches the answer.
async fn verify_and_remember(
    state: &AppState,
    name: &str,
    secret: &str,
    client: Option<IpAddr>,
    key: [u8; 32],
) -> Result<Identity, AppError> {
    let cache = &state.auth_cache.credentials;
    if let Some(ip) = client {
        state.throttle.admit_uncached(ip)?;
    }
    let epoch = cache.epoch();
    let db = &state.db;
    let found = user::Entity::find().filter(user::Column::Name.eq(name)).one(db).await?;
    let local_password = found.as_ref().is_some_and(|u| u.password_hash.is_some());
    let addr = client.map(|ip| ip.to_string());
    let (identity, expires_at) = if secret.starts_with(secret::APP_TOKEN_PREFIX) {
        authenticate_app_token(state, found.as_ref(), secret).await?
    } else {
        let attempt = Attempt::new(name, client);
        let settings = BackoffSettings::of(&state.config);
        backoff::refuse_while_locked(db, &settings, &attempt, state.clock.now()).await?;
        // A directory's answer is cached only until the next re-check is due.
        let (result, expires_at) = match (state.directory.as_deref(), local_password) {
            (Some(dir), false) => (
                super::directory::authenticate(
                    db,
                    dir,
                    found.as_ref(),
                    name,
                    secret,
                    addr.as_deref(),
                    state.clock.now(),
                )
                .await,
                chrono::Duration::from_std(dir.recheck_every())
                    .ok()
                    .map(|d| state.clock.now() + d),
            ),
            _ => (
                authenticate_password(state, found.as_ref(), name, secret, addr.as_deref()).await,
                None,
            ),
        };
        match &result {
            Err(AppError::Unauthorized(_)) => backoff::count_failure(db, &attempt, state.clock.now()).await?,
            Ok(_) => backoff::forget(db, &attempt).await?,
            Err(_) => {}
        }
        (result?, expires_at)
    };
    Ok(cache
        .remember(key, epoch, (identity, expires_at), state.clock.now())
        .await)
}

/// Checks an application token given on its own (`Authorization: Bearer`, the REST API): the
/// token's hash finds its row and its owner. Same cache, same 401s as [`authenticate`].
#[tracing::instrument(skip_all)]
pub async fn authenticate_token(state: &AppState, token: &str, client: Option<IpAddr>) -> Result<Identity, AppError> {
    if !token.starts_with(secret::APP_TOKEN_PREFIX) || token.len() > password::MAX_PASSWORD_LEN {
        return Err(AppError::Unauthorized("that is not a wharf application token".into()));
    }
    let cache = &state.auth_cache.credentials;
    // The empty user name cannot collide with a real one (names are never empty).
    let key = cache.cache_key("", token);
    if let Some(identity) = cache.fresh(&key, state.clock.now()).await {
        return Ok(identity);
    }
    if let Some(ip) = client {
        state.throttle.admit_uncached(ip)?;
    }
    let epoch = cache.epoch();
    let row = app_token::Entity::find()
        .filter(app_token::Column::TokenHash.eq(secret::digest(token).as_str()))
        .one(&state.db)
        .await?
        .ok_or_else(bad_credentials)?;
    let owner = user::Entity::find_by_id(row.user_id).one(&state.db).await?;
    let verified = authenticate_app_token(state, owner.as_ref(), token).await?;
    Ok(cache.remember(key, epoch, verified, state.clock.now()).await)
}

type Verified = (Identity, Option<chrono::DateTime<Utc>>);

async fn authenticate_app_token(
    state: &AppState,
    found: Option<&user::Model>,
    token: &str,
) -> Result<Verified, AppError> {
    let db = &state.db;
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
    if row.expires_at.is_some_and(|t| t <= state.clock.now()) {
        return Err(AppError::Unauthorized("this application token has expired".into()));
    }
    // A directory user's tokens work only while the directory still knows them.
    let user = super::directory::recheck(state, user.clone()).await?;
    // last_used_at is informational; a failure to record it must not refuse the login.
    let read_only = row.read_only;
    let credential = TokenCredential {
        id: row.id,
        expires_at: row.expires_at,
    };
    let mut am: app_token::ActiveModel = row.into();
    am.last_used_at = Set(Some(state.clock.now()));
    if let Err(e) = am.update(db).await {
        tracing::warn!(error = %e, "recording token use");
    }
    // A directory user's token is cached only until their next re-check is due.
    let recheck_due = state
        .directory
        .as_deref()
        .filter(|_| user.password_hash.is_none())
        .and_then(|d| chrono::Duration::from_std(d.recheck_every()).ok())
        .map(|d| state.clock.now() + d);
    let expires_at = match (credential.expires_at, recheck_due) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Ok((
        Identity {
            read_only,
            app_token: Some(credential),
            ..Identity::of_user(&user)
        },
        expires_at,
    ))
}

async fn authenticate_password(
    state: &AppState,
    found: Option<&user::Model>,
    name: &str,
    password_given: &str,
    client_addr: Option<&str>,
) -> Result<Identity, AppError> {
    let db: &DatabaseConnection = &state.db;
    // Unknown accounts cost the same verification, so timing does not tell them apart.
    let _slot = state.verifications.acquire().await?;
    let Some(user) = found else {
        password::verify_dummy(password_given.to_owned()).await;
        activity::record_login_failure(db, None, name, "unknown user", client_addr).await;
        return Err(bad_credentials());
    };
    let Some(phc) = user.password_hash.clone() else {
        password::verify_dummy(password_given.to_owned()).await;
        return Err(bad_credentials());
    };
    let ok = password::verify(password_given.to_owned(), phc).await;
    if !ok || user.disabled {
        let reason = if ok { "account disabled" } else { "wrong password" };
        activity::record_login_failure(db, Some(user.id), name, reason, client_addr).await;
        return Err(bad_credentials());
    }
    Ok(Identity::of_user(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keys_depend_on_both_name_and_secret() {
        let c = CredentialCache::new(Duration::from_secs(1));
        assert_ne!(c.cache_key("a", "bc"), c.cache_key("ab", "c"));
        assert_eq!(c.cache_key("a", "b"), c.cache_key("a", "b"));
        let other = CredentialCache::new(Duration::from_secs(1));
        assert_ne!(c.cache_key("a", "b"), other.cache_key("a", "b"), "keys are per process");
    }

    fn verified() -> Verified {
        let identity = Identity {
            user_id: 1,
            name: "a".into(),
            admin: false,
            read_only: false,
            app_token: None,
        };
        (identity, None)
    }

    #[tokio::test]
    async fn a_verification_that_straddles_a_clear_is_not_cached() {
        let c = CredentialCache::new(Duration::from_secs(60));
        let now = Utc::now();
        let key = c.cache_key("a", "b");
        // Verification starts (reads the database), then a change clears the cache…
        let started = c.epoch();
        c.clear();
        // …and only then does the verification finish.
        c.remember(key, started, verified(), now).await;
        assert!(
            c.fresh(&key, now).await.is_none(),
            "verified before the change: not trusted after it"
        );
        c.remember(key, c.epoch(), verified(), now).await;
        assert!(
            c.fresh(&key, now).await.is_some(),
            "a verification after the change is cached"
        );
        // An entry that made it in just before the clear is dropped by the clear.
        c.clear();
        assert!(c.fresh(&key, now).await.is_none());
    }

    #[tokio::test]
    async fn a_cached_verification_lasts_its_lifetime_or_its_tokens_whichever_ends_first() {
        let c = CredentialCache::new(Duration::from_secs(60));
        let clock = crate::backend::clock::Clock::system();
        let (long, short) = (c.cache_key("a", "long"), c.cache_key("a", "short"));
        c.remember(long, c.epoch(), verified(), clock.now()).await;
        let (identity, _) = verified();
        let token_ends = clock.now() + chrono::TimeDelta::seconds(10);
        c.remember(short, c.epoch(), (identity, Some(token_ends)), clock.now())
            .await;
        assert!(c.fresh(&long, clock.now()).await.is_some());
        assert!(c.fresh(&short, clock.now()).await.is_some());
        clock.advance(Duration::from_secs(11));
        assert!(c.fresh(&long, clock.now()).await.is_some(), "within the cache lifetime");
        assert!(c.fresh(&short, clock.now()).await.is_none(), "the token expired");
        clock.advance(Duration::from_secs(50));
        assert!(c.fresh(&long, clock.now()).await.is_none(), "the lifetime is over");
    }
}
