//! The caches that make `/v2/token` cheap: verified credentials, the policy facts of
//! namespaces, and which repositories are orphans. All are dropped whenever the `auth_changes` log moves — at once for changes
//! made by this process, within `auth_sync_interval_ms` for changes made elsewhere (another
//! wharf process, the CLI) — and expire after `credential_cache_ttl_secs` in any case.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use moka::future::Cache;
use sea_orm::DatabaseConnection;

use super::credentials::CredentialCache;
use crate::authz::NamespaceFacts;
use crate::backend::store::auth_changes;

/// "Does any orphan repository exist?", remembered until the next clear.
///
/// An orphan only matters once a namespace of its name exists, and creating one is an auth
/// change that clears this; so "none" stays true until then even if orphans appear meanwhile.
/// The value carries the generation it was learnt in: an answer read before a clear is never
/// stored after it.
#[derive(Clone, Default)]
pub struct OrphansKnown(Arc<AtomicU64>);

const UNKNOWN: u64 = 0;
const NONE: u64 = 1;
const SOME: u64 = 2;

impl OrphansKnown {
    /// `Some(answer)` when known; otherwise the generation to hand to [`OrphansKnown::learn`].
    pub fn get(&self) -> Result<bool, u64> {
        let v = self.0.load(Ordering::Acquire);
        match v & 3 {
            NONE => Ok(false),
            SOME => Ok(true),
            _ => Err(v >> 2),
        }
    }

    /// Stores `any` if no clear happened since generation `generation` was read.
    pub fn learn(&self, generation: u64, any: bool) {
        let state = if any { SOME } else { NONE };
        let _ = self.0.compare_exchange(
            generation << 2 | UNKNOWN,
            generation << 2 | state,
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
    }

    fn forget(&self) {
        let _ = self.0.fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
            Some(((v >> 2) + 1) << 2 | UNKNOWN)
        });
    }
}

/// (namespace name, "" for global; user id or None for anonymous).
pub type FactsKey = (String, Option<i64>);

#[derive(Clone)]
pub struct AuthCache {
    pub credentials: CredentialCache,
    /// `None` values mean "this namespace does not exist".
    pub facts: Cache<FactsKey, Option<NamespaceFacts>>,
    /// Repository name → whether it is an orphan (adopting one records an auth change).
    pub orphans: Cache<String, bool>,
    /// Whether any orphan exists at all, so the usual case (none) costs no lookup per token.
    pub any_orphans: OrphansKnown,
    seen_change: Arc<Mutex<Option<auth_changes::LogPosition>>>,
}

impl AuthCache {
    pub fn new(ttl: Duration) -> Self {
        AuthCache {
            credentials: CredentialCache::new(ttl),
            facts: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl.max(Duration::from_millis(1)))
                .build(),
            orphans: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl.max(Duration::from_millis(1)))
                .build(),
            any_orphans: OrphansKnown::default(),
            seen_change: Arc::new(Mutex::new(None)),
        }
    }

    pub fn clear(&self) {
        self.credentials.clear();
        self.facts.invalidate_all();
        self.orphans.invalidate_all();
        self.any_orphans.forget();
    }

    /// Clears the caches if the change log moved since the last look.
    pub async fn sync(&self, db: &DatabaseConnection) {
        match auth_changes::position(db).await {
            Ok(now) => {
                let moved = {
                    let mut seen = self
                        .seen_change
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    seen.replace(now) != Some(now)
                };
                if moved {
                    self.clear();
                }
            }
            // Unknown state: forget everything rather than trust stale entries.
            Err(e) => {
                tracing::warn!(error = %e.detailed(), "reading auth changes");
                self.clear();
            }
        }
    }

    /// Polls the change log until the process ends.
    pub fn spawn_watcher(&self, db: DatabaseConnection, every: Duration) -> tokio::task::JoinHandle<()> {
        let cache = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                cache.sync(&db).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::OrphansKnown;

    #[test]
    fn an_answer_learnt_before_a_clear_is_not_kept() {
        let known = OrphansKnown::default();
        let generation = known.get().unwrap_err();
        known.learn(generation, false);
        assert_eq!(known.get(), Ok(false));
        let stale = {
            known.forget();
            known.get().unwrap_err()
        };
        known.forget(); // a clear while the query for `stale` runs
        known.learn(stale, false);
        assert!(known.get().is_err(), "a stale answer must not be stored");
        let fresh = known.get().unwrap_err();
        known.learn(fresh, true);
        assert_eq!(known.get(), Ok(true));
    }
}
