//! Sign-in backoff per (account, client address).
//!
//! Failures slow down the one who fails, never the account's owner: they are counted per
//! account name *and* client address (an IPv6 client's /64), so an attacker guessing `admin`'s
//! password from one place gets longer and longer waits while `admin` signs in from anywhere
//! else. Unknown account names are counted exactly like known ones, so the answers (401, then
//! 429) never tell who has an account. Counting is one atomic upsert: parallel failures each
//! count. Spraying many accounts from one address is stopped by the per-address failure budget
//! in [`super::throttle`].

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::backend::entity::login_failure;
use crate::domain::AppError;

/// Failures older than this are forgotten.
const FORGET_AFTER: chrono::Duration = chrono::Duration::hours(24);

/// How failed sign-ins slow a client down.
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
    /// from one second up to the maximum.
    pub fn wait_after(&self, failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(self.free_failures)?;
        let secs = 1u64.checked_shl(over).unwrap_or(u64::MAX).min(self.max_wait_secs);
        Some(Duration::from_secs(secs))
    }

    /// Until when a client with `failures`, the last at `last`, must wait.
    pub fn locked_until(&self, failures: u32, last: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let wait = chrono::Duration::from_std(self.wait_after(failures)?).ok()?;
        Some(last + wait)
    }
}

/// Who is trying: an account name (as typed, lower-cased) from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    account: String,
    client: String,
}

impl Attempt {
    /// `client` is `None` for callers without a network address (the CLI).
    pub fn new(account: &str, client: Option<IpAddr>) -> Attempt {
        Attempt {
            account: account.to_lowercase().chars().take(255).collect(),
            client: client.map_or_else(
                || "-".to_owned(),
                |ip| crate::backend::client_ip::limit_key(ip).to_string(),
            ),
        }
    }
}

/// 429 while this (account, client) waits out its backoff.
pub async fn refuse_while_locked(
    db: &impl ConnectionTrait,
    settings: &BackoffSettings,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(row) = find(db, attempt).await? else {
        return Ok(());
    };
    if row.last_failure_at + FORGET_AFTER < now {
        return Ok(());
    }
    match settings
        .locked_until(row.failures.max(0) as u32, row.last_failure_at)
        .filter(|t| *t > now)
    {
        Some(until) => Err(AppError::TooManyRequests(format!(
            "too many failed sign-ins; try again in {} s",
            (until - now).num_seconds().max(1)
        ))),
        None => Ok(()),
    }
}

/// Counts one more failure, atomically (`failures = failures + 1` in the database).
pub async fn count_failure(db: &impl ConnectionTrait, attempt: &Attempt, now: DateTime<Utc>) -> Result<(), AppError> {
    use login_failure::Column as C;
    // A count whose last failure is long past starts again from zero.
    login_failure::Entity::delete_many()
        .filter(C::Account.eq(&attempt.account))
        .filter(C::Client.eq(&attempt.client))
        .filter(C::LastFailureAt.lt(now - FORGET_AFTER))
        .exec(db)
        .await?;
    let row = login_failure::ActiveModel {
        account: Set(attempt.account.clone()),
        client: Set(attempt.client.clone()),
        failures: Set(1),
        last_failure_at: Set(now),
        ..Default::default()
    };
    login_failure::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([C::Account, C::Client])
                .value(C::Failures, Expr::cust("login_failures.failures + 1"))
                .update_column(C::LastFailureAt)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// After a successful sign-in: this client starts again from zero.
pub async fn forget(db: &impl ConnectionTrait, attempt: &Attempt) -> Result<(), AppError> {
    use login_failure::Column as C;
    // Most sign-ins follow no failure: read first, so they cost no write.
    if find(db, attempt).await?.is_none() {
        return Ok(());
    }
    login_failure::Entity::delete_many()
        .filter(C::Account.eq(&attempt.account))
        .filter(C::Client.eq(&attempt.client))
        .exec(db)
        .await?;
    Ok(())
}

/// The failures counted for this (account, client), if any.
pub async fn failures(db: &impl ConnectionTrait, attempt: &Attempt) -> Result<u32, AppError> {
    Ok(find(db, attempt).await?.map_or(0, |r| r.failures.max(0) as u32))
}

async fn find(db: &impl ConnectionTrait, attempt: &Attempt) -> Result<Option<login_failure::Model>, AppError> {
    use login_failure::Column as C;
    Ok(login_failure::Entity::find()
        .filter(C::Account.eq(&attempt.account))
        .filter(C::Client.eq(&attempt.client))
        .one(db)
        .await?)
}

/// Drops counts nobody added to for a day (run by the periodic maintenance).
pub async fn prune(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, AppError> {
    Ok(login_failure::Entity::delete_many()
        .filter(login_failure::Column::LastFailureAt.lt(now - FORGET_AFTER))
        .exec(db)
        .await?
        .rows_affected)
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
    fn attempts_are_keyed_by_lowercased_account_and_client_network() {
        let a = Attempt::new("Admin", Some("2001:db8::1".parse().unwrap()));
        let b = Attempt::new("admin", Some("2001:db8::ffff".parse().unwrap()));
        assert_eq!(a, b, "same account, same /64");
        assert_ne!(a, Attempt::new("admin", Some("192.0.2.1".parse().unwrap())));
        assert_ne!(a, Attempt::new("admin", None));
    }
}
