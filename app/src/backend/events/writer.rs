//! Group commit for notifications. Writer tasks apply them: the requests that arrive while
//! the writers' transactions run wait for the next free writer, which applies all of them
//! together ([`super::ingest::ingest_batch`]) and then answers each with its own report. Under
//! load a transaction carries many envelopes (one commit, shared statements); a request
//! arriving alone is applied at once.
//!
//! SQLite has one writer (it writes one transaction at a time anyway). PostgreSQL has
//! `event_writers` of them (default 1, which measured fastest: about half the CPU per event of
//! one transaction per request; more writers split the waiting requests into smaller batches
//! that wait on each other's repository locks, docs/BENCHMARKS.md). Batches written at once
//! lock their repositories in name order
//! ([`crate::backend::store::repositories::LockedRepositories`]) and claim their event ids in
//! id order, so they wait for each other rather than deadlock.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use futures::FutureExt;
use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};

use super::envelope::RegistryEvent;
use super::ingest::{self, Envelope, IngestReport, IngestSettings};
use super::sources::ReplicaSources;
use crate::domain::AppError;

/// At most this many envelopes share a transaction: bounds its length, and the work redone
/// one envelope at a time when a shared transaction fails.
const MAX_ENVELOPES: usize = 64;
/// Requests that may wait beyond the running batch; further ones wait for room, which slows
/// the registry's sender rather than growing memory.
const QUEUE_LENGTH: usize = 1024;

/// One request's events and where its answer goes.
struct Job {
    replica: Option<String>,
    events: Vec<RegistryEvent>,
    reply: oneshot::Sender<Result<IngestReport, AppError>>,
}

/// Hands notifications to the writer task (started by the first one) and waits for the commit.
#[derive(Clone)]
pub struct IngestWriter {
    inner: Arc<Inner>,
}

struct Inner {
    db: DatabaseConnection,
    /// Writer tasks sharing the queue; 0: each request applies its own transaction.
    writers: usize,
    settings: IngestSettings,
    /// Which replica sent what, remembered across requests.
    replicas: ReplicaSources,
    queue: OnceLock<mpsc::Sender<Job>>,
    /// Shared transactions attempted (one per batch; a failed one retried alone adds more).
    transactions: AtomicU64,
    /// Batches that failed as a whole and were applied again one envelope at a time.
    retried: AtomicU64,
}

impl IngestWriter {
    /// `writers`: how many transactions may write notifications at once on PostgreSQL (0:
    /// one per request, no queue); SQLite always has one.
    pub fn new(db: DatabaseConnection, settings: IngestSettings, writers: usize) -> IngestWriter {
        let writers = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => 1,
            _ => writers,
        };
        IngestWriter {
            inner: Arc::new(Inner {
                db,
                writers,
                settings,
                replicas: ReplicaSources::default(),
                queue: OnceLock::new(),
                transactions: AtomicU64::new(0),
                retried: AtomicU64::new(0),
            }),
        }
    }

    /// Requests waiting for the next transaction (not counting the one being written).
    pub fn waiting(&self) -> usize {
        self.inner.queue.get().map_or(0, |q| q.max_capacity() - q.capacity())
    }

    /// Transactions the writer has run so far (each batch of requests is one).
    pub fn transactions(&self) -> u64 {
        self.inner.transactions.load(Ordering::Relaxed)
    }

    /// Batches that failed as a whole (bad data, a conflict, a deadlock) and were applied
    /// again one request at a time.
    pub fn batches_retried(&self) -> u64 {
        self.inner.retried.load(Ordering::Relaxed)
    }

    /// Applies `events` (from the replica named `replica`, when the URL says) and returns what
    /// they did, once they are committed.
    pub async fn ingest(&self, replica: Option<String>, events: Vec<RegistryEvent>) -> Result<IngestReport, AppError> {
        if self.inner.writers == 0 {
            return ingest::ingest(
                &self.inner.db,
                &self.inner.settings,
                &self.inner.replicas,
                replica.as_deref(),
                &events,
            )
            .await;
        }
        let queue = self.inner.queue.get_or_init(|| {
            let (queue, jobs) = mpsc::channel(QUEUE_LENGTH);
            let jobs = Arc::new(tokio::sync::Mutex::new(jobs));
            for _ in 0..self.inner.writers {
                tokio::spawn(run(self.inner.clone(), jobs.clone()));
            }
            queue
        });
        let (reply, answer) = oneshot::channel();
        let stopped = || AppError::Unavailable("the notification writer stopped; the registry will retry".into());
        queue
            .send(Job { replica, events, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// A writer: takes whatever is waiting (at least one request), applies it, answers, repeats.
/// One idle writer at a time waits on the queue; the others wait for their turn to.
async fn run(inner: Arc<Inner>, jobs: Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let mut batch = Vec::with_capacity(MAX_ENVELOPES);
        if jobs.lock().await.recv_many(&mut batch, MAX_ENVELOPES).await == 0 {
            return;
        }
        write(&inner, batch).await;
    }
}

async fn write(inner: &Inner, batch: Vec<Job>) {
    match apply(inner, &batch).await {
        Ok(reports) => {
            for (job, report) in batch.into_iter().zip(reports) {
                // The registry may have hung up; its retry will be a duplicate.
                let _ = job.reply.send(Ok(report));
            }
        }
        Err(e) if batch.len() > 1 => {
            // All or nothing was rolled back: apply each alone, so one request's failure
            // (bad data, a conflict) is its own and not its neighbours'.
            tracing::debug!(error = %e.detailed(), envelopes = batch.len(), "shared notification transaction failed; applying one by one");
            inner.retried.fetch_add(1, Ordering::Relaxed);
            for job in batch {
                let report = apply(inner, std::slice::from_ref(&job))
                    .await
                    .map(|mut reports| reports.pop().unwrap_or_default());
                let _ = job.reply.send(report);
            }
        }
        Err(e) => {
            for job in batch {
                let _ = job.reply.send(Err(e.clone()));
            }
        }
    }
}

/// One transaction for `batch`; a panic in it fails the batch, not the writer.
async fn apply(inner: &Inner, batch: &[Job]) -> Result<Vec<IngestReport>, AppError> {
    let envelopes: Vec<Envelope<'_>> = batch
        .iter()
        .map(|job| Envelope {
            replica_name: job.replica.as_deref(),
            events: &job.events,
        })
        .collect();
    inner.transactions.fetch_add(1, Ordering::Relaxed);
    AssertUnwindSafe(ingest::ingest_batch(
        &inner.db,
        &inner.settings,
        &inner.replicas,
        &envelopes,
    ))
    .catch_unwind()
    .await
    .unwrap_or_else(|_| Err(AppError::internal("applying notifications failed unexpectedly")))
}
