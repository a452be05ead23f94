//! Outgoing webhooks: what a namespace's hooks are sent when images are pushed or deleted.
//!
//! - [`seal`]: secrets and custom header values are stored encrypted (AES-256-GCM);
//! - [`validate`]: what a hook may be (URL, events, headers, secret);
//! - [`payload`]: the JSON body, built when the delivery is enqueued;
//! - [`queue`]: the delivery queue in the database (enqueued in the event's transaction,
//!   claimed with `SKIP LOCKED` on PostgreSQL and a lease everywhere);
//! - [`deliver`]: one signed attempt through the guarded client ([`crate::backend::outbound`]);
//! - [`worker`]: the loop every wharf process runs, with retries and exponential backoff.

pub mod deliver;
pub mod payload;
pub mod queue;
pub mod seal;
pub mod signature;
pub mod validate;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use crate::backend::config::Config;
use crate::backend::outbound::OutboundPolicy;

/// How deliveries are retried and how many run at once.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Attempts per delivery before it is marked failed.
    pub max_attempts: u32,
    /// Wait before the first retry; doubled after each failure.
    pub backoff: Duration,
    /// Longest wait between attempts.
    pub backoff_max: Duration,
    /// Deliveries one process sends at the same time.
    pub concurrency: usize,
    /// How often an idle worker looks for due deliveries.
    pub poll: Duration,
    /// Days finished deliveries stay in the log.
    pub retention_days: i64,
}

impl DeliverySettings {
    pub fn of(config: &Config) -> DeliverySettings {
        DeliverySettings {
            max_attempts: config.webhook_attempts,
            backoff: Duration::from_millis(config.webhook_backoff_ms),
            backoff_max: Duration::from_secs(config.webhook_backoff_max_secs),
            concurrency: config.webhook_concurrency,
            poll: Duration::from_millis(config.webhook_poll_ms),
            retention_days: i64::from(config.webhook_retention_days),
        }
    }

    /// The wait after failed attempt number `attempt` (1-based): backoff · 2^(attempt-1),
    /// capped at `backoff_max`.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.backoff.saturating_mul(factor).min(self.backoff_max)
    }
}

/// What the server shares with the webhook services: the key, which targets are allowed, and
/// a bell that wakes this process's worker when something was enqueued.
pub struct Webhooks {
    pub sealer: seal::Sealer,
    pub policy: OutboundPolicy,
    pub settings: DeliverySettings,
    pub wake: tokio::sync::Notify,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Webhooks {
    pub fn new(sealer: seal::Sealer, config: &Config) -> Arc<Webhooks> {
        Arc::new(Webhooks {
            sealer,
            policy: OutboundPolicy {
                allow: config.webhook_allow.clone(),
            },
            settings: DeliverySettings::of(config),
            wake: tokio::sync::Notify::new(),
        })
    }

    /// Tells this process's worker there is work (other processes find it when they poll).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let s = DeliverySettings {
            max_attempts: 10,
            backoff: Duration::from_secs(10),
            backoff_max: Duration::from_secs(60),
            concurrency: 1,
            poll: Duration::from_secs(1),
            retention_days: 1,
        };
        let waits: Vec<u64> = (1..=5).map(|a| s.delay_after(a).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 60, 60]);
        assert_eq!(s.delay_after(200), Duration::from_secs(60), "no overflow");
    }
}
