//! Which replica sent a notification, and when each last did. Every envelope asks both, so the
//! answers are kept in memory instead of costing database round trips on each request: a
//! replica is looked up at most once every [`LOOKUP_TTL`] (replicas are added and renamed
//! rarely; a change made by this process is seen at once), and its "last event" time is
//! written at most once a second.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::ingest::Envelope;
use crate::backend::store::registries;
use crate::domain::AppError;

/// How long a lookup (found or not) is trusted when another process may have changed replicas.
const LOOKUP_TTL: Duration = Duration::from_secs(5);
/// A replica's last-event time is written at most this often (it is shown to the minute).
const NOTE_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

/// `(replica name from the URL, the registry's instance id)`.
type SourceKey = (Option<String>, Option<String>);
/// A lookup's answer, when it was made, and the replicas' change count then.
type Lookup = (Option<i64>, Instant, u64);
/// The instance and event time last written for a replica.
type Noted = (Option<String>, DateTime<Utc>);

/// The memory of one ingest writer (one per process).
#[derive(Debug, Default)]
pub struct ReplicaSources {
    /// Lookups, with when they were made and the replicas' change count then.
    known: Mutex<HashMap<SourceKey, Lookup>>,
    /// Per replica: the instance and event time last written.
    noted: Mutex<HashMap<i64, Noted>>,
}

impl ReplicaSources {
    /// The replica each envelope came from (a database lookup only for keys not known fresh).
    pub async fn resolve(
        &self,
        db: &impl ConnectionTrait,
        envelopes: &[Envelope<'_>],
    ) -> Result<Vec<Option<i64>>, AppError> {
        let generation = registries::replicas_changed();
        let mut sources = Vec::with_capacity(envelopes.len());
        for envelope in envelopes {
            let instance = envelope.events.first().and_then(|e| e.source_instance.as_deref());
            let key: SourceKey = (envelope.replica_name.map(str::to_owned), instance.map(str::to_owned));
            let cached = lock(&self.known)
                .get(&key)
                .filter(|(_, at, seen)| *seen == generation && at.elapsed() < LOOKUP_TTL)
                .map(|(id, _, _)| *id);
            let id = match cached {
                Some(id) => id,
                None => {
                    let id = registries::event_source(db, key.0.as_deref(), key.1.as_deref()).await?;
                    let mut known = lock(&self.known);
                    // Bounded: the keys are replicas and their instances, a handful; a flood of
                    // made-up instance ids only empties the memory.
                    if known.len() >= 1024 {
                        known.clear();
                    }
                    known.insert(key, (id, Instant::now(), generation));
                    id
                }
            };
            sources.push(id);
        }
        Ok(sources)
    }

    /// After the commit and outside its transaction (bookkeeping, not part of the events): when
    /// each replica last sent something, from its newest envelope in the batch.
    pub async fn note(&self, db: &impl ConnectionTrait, envelopes: &[Envelope<'_>], sources: &[Option<i64>]) {
        let now = Utc::now();
        let mut due = Vec::new();
        {
            let mut noted = lock(&self.noted);
            for (envelope, source) in envelopes.iter().zip(sources).rev() {
                let (Some(id), Some(first)) = (source, envelope.events.first()) else {
                    continue;
                };
                let instance = first.source_instance.as_deref();
                let fresh = noted
                    .get(id)
                    .is_some_and(|(i, at)| i.as_deref() == instance && *at > now - NOTE_EVERY);
                if fresh || due.iter().any(|(d, _, _)| d == id) {
                    continue;
                }
                noted.insert(*id, (instance.map(str::to_owned), now));
                due.push((*id, first.source_addr.clone(), instance.map(str::to_owned)));
            }
        }
        for (id, addr, instance) in due {
            if let Err(e) = registries::note_event(db, id, addr.as_deref(), instance.as_deref(), now).await {
                tracing::warn!(error = %e.detailed(), "recording the replica's last event");
            }
        }
    }
}

/// The map, even if a thread panicked while holding it (the entries stay valid).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
