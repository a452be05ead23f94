//! The delivery loop. Every wharf process runs one: it claims due deliveries, sends up to
//! `concurrency` at once, logs each attempt, and schedules retries with exponential backoff
//! until the attempts are used up.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use sea_orm::{DatabaseConnection, EntityTrait};

use super::queue::{self, Next};
use super::{deliver, Webhooks};
use crate::backend::entity::webhook;
use crate::backend::metrics::{Metrics, WebhookOutcome};

/// How long a claim lasts: longer than the guarded client's 10 s request timeout, so a live
/// worker always finishes before anyone else may take its delivery over.
pub const CLAIM_LEASE: Duration = Duration::from_secs(60);

pub struct Worker {
    pub db: DatabaseConnection,
    pub hooks: Arc<Webhooks>,
    pub client: reqwest::Client,
    pub metrics: Metrics,
    /// This process's name, recorded with each attempt.
    pub name: String,
}

impl Worker {
    /// Starts the loop; it runs until the task is aborted.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let worker = Arc::new(self);
            let mut last_prune = None::<std::time::Instant>;
            loop {
                let sent = match worker.run_once().await {
                    Ok(n) => n,
                    Err(e) => {
                        tracing::warn!(error = %e.detailed(), "webhook delivery");
                        0
                    }
                };
                if last_prune.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
                    last_prune = Some(std::time::Instant::now());
                    if let Err(e) = queue::prune(&worker.db, worker.hooks.settings.retention_days).await {
                        tracing::warn!(error = %e.detailed(), "pruning old webhook deliveries");
                    }
                }
                if sent < worker.hooks.settings.concurrency {
                    // Nothing more due right now: wait for the bell or the next poll.
                    let _ = tokio::time::timeout(worker.hooks.settings.poll, worker.hooks.wake.notified()).await;
                }
            }
        })
    }

    /// Claims one batch and delivers it; returns how many were claimed.
    pub async fn run_once(self: &Arc<Self>) -> Result<usize, crate::domain::AppError> {
        let settings = &self.hooks.settings;
        let lease = chrono::Duration::from_std(CLAIM_LEASE).unwrap_or(chrono::Duration::seconds(60));
        let batch = queue::claim(&self.db, &self.name, settings.concurrency as u64, lease).await?;
        let n = batch.len();
        futures::stream::iter(batch)
            .for_each_concurrent(settings.concurrency, |d| {
                let me = self.clone();
                async move {
                    if let Err(e) = me.deliver(d).await {
                        tracing::warn!(error = %e.detailed(), "recording a webhook attempt");
                    }
                }
            })
            .await;
        Ok(n)
    }

    async fn deliver(&self, d: crate::backend::entity::webhook_delivery::Model) -> Result<(), crate::domain::AppError> {
        let settings = &self.hooks.settings;
        let Some(hook) = webhook::Entity::find_by_id(d.webhook_id).one(&self.db).await? else {
            return Ok(()); // deleted meanwhile: its deliveries went with it
        };
        let attempt = deliver::attempt(&self.client, &self.hooks.policy, &self.hooks.sealer, &hook, &d).await;
        let number = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
        let (next, outcome) = if attempt.succeeded() {
            (Next::Succeeded, WebhookOutcome::succeeded)
        } else if number >= settings.max_attempts || !hook.enabled {
            (Next::GaveUp, WebhookOutcome::failed)
        } else {
            let wait = chrono::Duration::from_std(settings.delay_after(number)).unwrap_or(chrono::Duration::hours(1));
            (Next::Retry(Utc::now() + wait), WebhookOutcome::retrying)
        };
        self.metrics.webhook_attempt(
            outcome,
            Duration::from_millis(u64::try_from(attempt.duration_ms).unwrap_or(0)),
        );
        tracing::debug!(
            webhook = hook.id,
            delivery = %d.delivery_id,
            attempt = number,
            status = ?attempt.status_code,
            error = ?attempt.error,
            "webhook attempt"
        );
        if !queue::finish(&self.db, &d, &self.name, &attempt, next).await? {
            tracing::warn!(delivery = %d.delivery_id, "webhook claim expired before the attempt was recorded");
        }
        Ok(())
    }
}
