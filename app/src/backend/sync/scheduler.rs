//! The background loop: the process holding the `registry-jobs` lease probes replicas every
//! `probe_interval`, reads the manifests of newly seen digests, starts a sync when
//! `sync_interval` has passed since the last run (whoever ran it), and forgets old event ids. Other processes only keep trying for the lease, so one
//! takes over within a lease period when the holder dies.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;

use super::reconcile::{run_sync, SyncOptions};
use super::{lease, probe};
use crate::backend::events::ingest;
use crate::backend::store::{registries, sync_runs};
use crate::backend::token::TokenIssuer;

pub const LEASE_NAME: &str = "registry-jobs";

#[derive(Debug, Clone)]
pub struct Schedule {
    /// `None`: periodic sync disabled.
    pub sync_interval: Option<Duration>,
    pub probe_interval: Duration,
    /// How long the lease lasts without renewal.
    pub lease_ttl: Duration,
    pub sync: SyncOptions,
    pub event_retention_days: i64,
    /// This process's name in the lease table.
    pub holder: String,
    /// The time the lease and the sync interval are measured against.
    pub clock: crate::backend::clock::Clock,
    /// Scheduled retention runs (`None`: none, as in the CLI's one-off processes).
    pub retention: Option<RetentionJob>,
}

/// Retention runs go through the whole service layer (policy, deletes, audit), so they take
/// the application state.
#[derive(Clone)]
pub struct RetentionJob {
    pub state: crate::backend::AppState,
    /// How often the leader looks for namespaces whose run is due.
    pub check_every: Duration,
}

impl std::fmt::Debug for RetentionJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetentionJob")
            .field("check_every", &self.check_every)
            .finish()
    }
}

async fn sync_due(db: &DatabaseConnection, every: Duration, now: chrono::DateTime<Utc>) -> bool {
    // Nothing to sync with yet (a fresh install): no run, rather than a failed one each time.
    if registries::replicas(db, None).await.map_or(true, |r| r.is_empty()) {
        return false;
    }
    match sync_runs::recent(db, 1).await {
        Ok(runs) => runs.first().is_none_or(|last| {
            let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
            last.started_at + every <= now
        }),
        Err(_) => false,
    }
}

/// Starts the loop; it runs until the task is aborted.
pub fn spawn(
    db: DatabaseConnection,
    issuer: Arc<TokenIssuer>,
    metrics: crate::backend::metrics::Metrics,
    schedule: Schedule,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let syncing = Arc::new(AtomicBool::new(false));
        let filling = Arc::new(AtomicBool::new(false));
        let retaining = Arc::new(AtomicBool::new(false));
        let mut last_retention_check: Option<std::time::Instant> = None;
        let mut leader = false;
        let mut last_prune = None;
        let mut tick = tokio::time::interval(schedule.probe_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let ttl = chrono::Duration::from_std(schedule.lease_ttl).unwrap_or(chrono::Duration::seconds(30));
        loop {
            tick.tick().await;
            let now_leader =
                match lease::try_acquire(&db, LEASE_NAME, &schedule.holder, ttl, schedule.clock.now()).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e.detailed(), "renewing the registry-jobs lease");
                        false
                    }
                };
            if now_leader != leader {
                tracing::info!(holder = %schedule.holder, leader = now_leader, "registry jobs lease changed");
                leader = now_leader;
            }
            if !leader {
                continue;
            }
            if let Err(e) = probe::probe_all(&db, &issuer).await {
                tracing::warn!(error = %e.detailed(), "probing replicas");
            }
            if let Some(every) = schedule.sync_interval {
                if !syncing.load(Ordering::SeqCst) && sync_due(&db, every, schedule.clock.now()).await {
                    syncing.store(true, Ordering::SeqCst);
                    let (db, issuer, opts, flag) = (db.clone(), issuer.clone(), schedule.sync.clone(), syncing.clone());
                    let metrics = metrics.clone();
                    // Its own task, so the lease keeps being renewed during a long sync.
                    tokio::spawn(async move {
                        let started = std::time::Instant::now();
                        match run_sync(&db, &issuer, &opts, &|_| {}).await {
                            Ok(run) => metrics.sync_run(&run.status, started.elapsed()),
                            Err(e) => {
                                metrics.sync_run("error", started.elapsed());
                                tracing::warn!(error = %e.detailed(), "periodic sync");
                            }
                        }
                        flag.store(false, Ordering::SeqCst);
                    });
                }
            }
            // The manifests of newly seen digests, for the image pages (its own task: a
            // registry that is slow to answer must not hold up the probes).
            if !filling.swap(true, Ordering::SeqCst) {
                let (db, issuer, clock, flag) = (db.clone(), issuer.clone(), schedule.clock.clone(), filling.clone());
                tokio::spawn(async move {
                    match crate::backend::images::fetch::fill(&db, &issuer, &clock).await {
                        Ok(r) if r.fetched + r.failed > 0 => {
                            tracing::debug!(fetched = r.fetched, failed = r.failed, "read image manifests")
                        }
                        Ok(_) => {}
                        Err(e) => tracing::debug!(error = %e.detailed(), "reading image manifests"),
                    }
                    flag.store(false, Ordering::SeqCst);
                });
            }
            if let Some(job) = &schedule.retention {
                let due = last_retention_check.is_none_or(|t| t.elapsed() >= job.check_every);
                if due && !retaining.swap(true, Ordering::SeqCst) {
                    last_retention_check = Some(std::time::Instant::now());
                    let (state, flag) = (job.state.clone(), retaining.clone());
                    // Its own task: deleting many images must not hold up the probes.
                    tokio::spawn(async move {
                        match crate::backend::services::retention::run_due(&state).await {
                            Ok(0) => {}
                            Ok(n) => tracing::info!(namespaces = n, "scheduled retention runs"),
                            Err(e) => tracing::warn!(error = %e.detailed(), "scheduled retention runs"),
                        }
                        flag.store(false, Ordering::SeqCst);
                    });
                }
            }
            if last_prune.is_none_or(|t: std::time::Instant| t.elapsed() > Duration::from_secs(3600)) {
                last_prune = Some(std::time::Instant::now());
                match ingest::prune(&db, schedule.event_retention_days).await {
                    Ok(n) if n > 0 => tracing::info!(removed = n, "forgot old registry event ids"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e.detailed(), "pruning registry events"),
                }
                if let Err(e) = crate::backend::auth::backoff::prune(&db, schedule.clock.now()).await {
                    tracing::warn!(error = %e.detailed(), "pruning old sign-in failure counts");
                }
            }
        }
    })
}
