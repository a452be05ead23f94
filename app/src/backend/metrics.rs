//! What `/metrics` reports, in the Prometheus text format.
//!
//! Counters and histograms are recorded where things happen (the token endpoint, the
//! notification endpoint, sync runs); gauges that describe shared state (replica health, the
//! connection pool) are read when Prometheus scrapes, so every wharf process reports the same
//! replica picture. With `metrics = false` nothing is recorded and `/metrics` answers 404.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use sea_orm::DatabaseConnection;

use crate::domain::AppError;

/// How a `/v2/token` request ended.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)] // label values are written as they appear in Prometheus
pub enum TokenOutcome {
    issued,
    bad_request,
    unauthorized,
    forbidden,
    too_many_requests,
    /// No password-verification slot in time (503).
    busy,
    error,
}

impl TokenOutcome {
    pub fn of_error(e: &AppError) -> TokenOutcome {
        match e {
            AppError::BadRequest(_)
            | AppError::PayloadTooLarge(_)
            | AppError::NotFound(_)
            | AppError::Conflict(_)
            | AppError::MethodNotAllowed(_)
            | AppError::UnsupportedMediaType(_)
            | AppError::Unprocessable(_) => TokenOutcome::bad_request,
            AppError::Unauthorized(_) => TokenOutcome::unauthorized,
            AppError::Forbidden(_) => TokenOutcome::forbidden,
            AppError::TooManyRequests(_) => TokenOutcome::too_many_requests,
            AppError::Unavailable(_) => TokenOutcome::busy,
            AppError::Internal { .. } | AppError::Transport(_) => TokenOutcome::error,
        }
    }
}

/// What happened to registry notifications.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum EventOutcome {
    /// Applied to the database.
    applied,
    /// Seen before (the registry retried): ignored.
    duplicate,
    /// Not about anything wharf tracks, or older than what it knows.
    ignored,
    /// Refused: bad secret, malformed body (the whole notification).
    rejected,
}

/// How a webhook delivery attempt ended.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum WebhookOutcome {
    /// The receiver answered 2xx.
    succeeded,
    /// It failed; another attempt is scheduled.
    retrying,
    /// It failed and no attempts are left (or the hook was disabled).
    failed,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    outcome: WebhookOutcome,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    outcome: TokenOutcome,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    outcome: EventOutcome,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReplicaLabels {
    registry: String,
    replica: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

struct Inner {
    registry: Registry,
    token_requests: Family<TokenLabels, Counter>,
    token_seconds: Histogram,
    events: Family<EventLabels, Counter>,
    sync_runs: Family<StatusLabels, Counter>,
    sync_seconds: Histogram,
    retention_runs: Family<StatusLabels, Counter>,
    retention_deleted: Counter,
    replica_up: Family<ReplicaLabels, Gauge>,
    webhook_attempts: Family<WebhookLabels, Counter>,
    webhook_seconds: Histogram,
    db_connections: Family<PoolLabels, Gauge>,
}

/// wharf's metrics; cheap to clone. `Metrics::disabled()` records nothing.
#[derive(Clone, Default)]
pub struct Metrics(Option<Arc<Inner>>);

impl Metrics {
    pub fn disabled() -> Metrics {
        Metrics(None)
    }

    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("wharf");
        let token_requests = Family::<TokenLabels, Counter>::default();
        registry.register(
            "token_requests",
            "Registry token requests (/v2/token) by outcome",
            token_requests.clone(),
        );
        // 100 µs … ~3.3 s: a cached credential answers in well under a millisecond, an argon2
        // verification takes tens of milliseconds.
        let token_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        registry.register(
            "token_request_duration_seconds",
            "Time to answer a registry token request",
            token_seconds.clone(),
        );
        let events = Family::<EventLabels, Counter>::default();
        registry.register(
            "registry_events",
            "Registry notification events by what happened to them",
            events.clone(),
        );
        let sync_runs = Family::<StatusLabels, Counter>::default();
        registry.register("sync_runs", "Catalog sync runs by final status", sync_runs.clone());
        let sync_seconds = Histogram::new(exponential_buckets(0.05, 2.0, 14));
        registry.register(
            "sync_run_duration_seconds",
            "Duration of catalog sync runs",
            sync_seconds.clone(),
        );
        let retention_runs = Family::<StatusLabels, Counter>::default();
        registry.register(
            "retention_runs",
            "Retention runs by final status",
            retention_runs.clone(),
        );
        let retention_deleted = Counter::default();
        registry.register(
            "retention_deleted_images",
            "Images (manifests) retention runs deleted from the registry",
            retention_deleted.clone(),
        );
        let replica_up = Family::<ReplicaLabels, Gauge>::default();
        registry.register(
            "replica_up",
            "1 when the replica's last health probe succeeded",
            replica_up.clone(),
        );
        let webhook_attempts = Family::<WebhookLabels, Counter>::default();
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts by outcome",
            webhook_attempts.clone(),
        );
        let webhook_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 15));
        registry.register(
            "webhook_delivery_duration_seconds",
            "Time from sending a webhook delivery to its response",
            webhook_seconds.clone(),
        );
        let db_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database pool connections: open and idle, and the configured maximum",
            db_connections.clone(),
        );
        Metrics(Some(Arc::new(Inner {
            registry,
            token_requests,
            token_seconds,
            events,
            sync_runs,
            sync_seconds,
            retention_runs,
            retention_deleted,
            replica_up,
            webhook_attempts,
            webhook_seconds,
            db_connections,
        })))
    }

    pub fn enabled(&self) -> bool {
        self.0.is_some()
    }

    pub fn token_request(&self, outcome: TokenOutcome, took: Duration) {
        if let Some(m) = &self.0 {
            m.token_requests.get_or_create(&TokenLabels { outcome }).inc();
            m.token_seconds.observe(took.as_secs_f64());
        }
    }

    pub fn events(&self, outcome: EventOutcome, n: u64) {
        if let Some(m) = &self.0 {
            m.events.get_or_create(&EventLabels { outcome }).inc_by(n);
        }
    }

    pub fn sync_run(&self, status: &str, took: Duration) {
        if let Some(m) = &self.0 {
            m.sync_runs
                .get_or_create(&StatusLabels {
                    status: status.to_owned(),
                })
                .inc();
            m.sync_seconds.observe(took.as_secs_f64());
        }
    }

    pub fn retention_run(&self, status: &str, deleted_images: u64) {
        if let Some(m) = &self.0 {
            m.retention_runs
                .get_or_create(&StatusLabels {
                    status: status.to_owned(),
                })
                .inc();
            m.retention_deleted.inc_by(deleted_images);
        }
    }

    pub fn webhook_attempt(&self, outcome: WebhookOutcome, took: Duration) {
        if let Some(m) = &self.0 {
            m.webhook_attempts.get_or_create(&WebhookLabels { outcome }).inc();
            m.webhook_seconds.observe(took.as_secs_f64());
        }
    }

    /// Reads the shared-state gauges and renders everything; `None` when disabled.
    pub async fn render(&self, db: &DatabaseConnection, max_connections: u32) -> Option<String> {
        let m = self.0.as_ref()?;
        match crate::backend::store::registries::status(db).await {
            Ok(replicas) => {
                m.replica_up.clear();
                for r in replicas {
                    let labels = ReplicaLabels {
                        registry: r.registry,
                        replica: r.name,
                    };
                    m.replica_up.get_or_create(&labels).set(i64::from(r.status == "up"));
                }
            }
            Err(e) => tracing::warn!(error = %e.detailed(), "reading replica status for /metrics"),
        }
        let (open, idle) = pool_usage(db);
        m.db_connections.get_or_create(&PoolLabels { state: "open" }).set(open);
        m.db_connections.get_or_create(&PoolLabels { state: "idle" }).set(idle);
        m.db_connections
            .get_or_create(&PoolLabels { state: "max" })
            .set(i64::from(max_connections));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &m.registry).ok()?;
        Some(out)
    }
}

/// Open and idle connections of the pool behind `db`.
fn pool_usage(db: &DatabaseConnection) -> (i64, i64) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (i64::from(p.size()), i64::try_from(p.num_idle()).unwrap_or(i64::MAX))
        }
        sea_orm::DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (i64::from(p.size()), i64::try_from(p.num_idle()).unwrap_or(i64::MAX))
        }
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_records_nothing_and_enabled_counts() {
        let off = Metrics::disabled();
        off.token_request(TokenOutcome::issued, Duration::from_millis(1));
        assert!(!off.enabled());

        let on = Metrics::new();
        on.token_request(TokenOutcome::issued, Duration::from_micros(300));
        on.token_request(TokenOutcome::unauthorized, Duration::from_millis(40));
        on.events(EventOutcome::duplicate, 3);
        on.sync_run("succeeded", Duration::from_secs(2));
        on.webhook_attempt(WebhookOutcome::retrying, Duration::from_millis(5));
        on.webhook_attempt(WebhookOutcome::succeeded, Duration::from_millis(5));
        let inner = on.0.as_ref().unwrap();
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &inner.registry).unwrap();
        assert!(
            out.contains("wharf_token_requests_total{outcome=\"issued\"} 1"),
            "{out}"
        );
        assert!(
            out.contains("wharf_token_requests_total{outcome=\"unauthorized\"} 1"),
            "{out}"
        );
        assert!(out.contains("wharf_token_request_duration_seconds_count 2"), "{out}");
        assert!(
            out.contains("wharf_registry_events_total{outcome=\"duplicate\"} 3"),
            "{out}"
        );
        assert!(out.contains("wharf_sync_runs_total{status=\"succeeded\"} 1"), "{out}");
        assert!(
            out.contains("wharf_webhook_deliveries_total{outcome=\"retrying\"} 1"),
            "{out}"
        );
        assert!(out.contains("wharf_webhook_delivery_duration_seconds_count 2"), "{out}");
    }
}
