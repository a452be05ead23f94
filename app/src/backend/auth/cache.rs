//! The caches that make `/v2/token` cheap: verified credentials, the policy facts of
//! namespaces, and which repositories are orphans. All are dropped whenever the `auth_changes` log moves — at once for changes
//! made by this process, within `auth_sync_interval_ms` for changes made elsewhere (another
//! wharf process, the CLI) — and expire after `credential_cache_ttl_secs` in any case.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use moka::future::Cache;
use sea_orm::DatabaseConnection;

use super::credentials::CredentialCache;
use crate::authz::NamespaceFacts;
use crate::backend::store::auth_changes;

/// (namespace name, "" for global; user id or None for anonymous).
pub type FactsKey = (String, Option<i64>);

#[derive(Clone)]
pub struct AuthCache {
    pub credentials: CredentialCache,
    /// `None` values mean "this namespace does not exist".
    pub facts: Cache<FactsKey, Option<NamespaceFacts>>,
    /// Repository name → whether it is an orphan (adopting one records an auth change).
    pub orphans: Cache<String, bool>,
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
            seen_change: Arc::new(Mutex::new(None)),
        }
    }

    pub fn clear(&self) {
        self.credentials.clear();
        self.facts.invalidate_all();
        self.orphans.invalidate_all();
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
                tracing::warn!(error = %e, "reading auth changes");
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
