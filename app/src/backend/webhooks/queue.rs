//! The delivery queue, in the database. Deliveries are enqueued in the transaction of the
//! event that causes them (so an event is never applied without its deliveries, nor the other
//! way round), and claimed by any wharf process:
//!
//! - PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent claimers never wait for or take each
//!   other's rows;
//! - SQLite: writers are serialized anyway, so the same single `UPDATE … RETURNING` is atomic.
//!
//! A claim is a lease (`claimed_until`): if the process dies mid-delivery, the row becomes
//! claimable again once the lease expires, and a late finisher whose lease was taken over
//! cannot overwrite the new holder's result.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, Set, Statement,
};

use super::payload::Payload;
use crate::backend::entity::{webhook, webhook_attempt, webhook_delivery};
use crate::domain::{AppError, DeliveryStatus, WebhookEvent};

/// Whether `hook` subscribes to `event` (its `events` column is a comma-separated list).
pub fn subscribes(hook: &webhook::Model, event: WebhookEvent) -> bool {
    hook.events.split(',').any(|e| e.trim() == event.as_str())
}

pub fn new_delivery_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Enqueues `payload` for every enabled hook of `namespace_id` that subscribes to its event;
/// returns how many deliveries were added. `cause` (the registry event id) makes it
/// idempotent per hook.
pub async fn enqueue_event(
    db: &impl ConnectionTrait,
    namespace_id: i64,
    cause: &str,
    payload: &Payload<'_>,
) -> Result<u64, AppError> {
    let hooks = enabled_hooks(db, namespace_id).await?;
    enqueue_for(db, &hooks, cause, payload).await
}

/// The enabled hooks of `namespace_id` (read once for many events by notification ingest).
pub async fn enabled_hooks(db: &impl ConnectionTrait, namespace_id: i64) -> Result<Vec<webhook::Model>, AppError> {
    Ok(webhook::Entity::find()
        .filter(webhook::Column::NamespaceId.eq(namespace_id))
        .filter(webhook::Column::Enabled.eq(true))
        .all(db)
        .await?)
}

/// Enqueues `payload` for those of `hooks` that subscribe to its event; how many were added.
pub async fn enqueue_for(
    db: &impl ConnectionTrait,
    hooks: &[webhook::Model],
    cause: &str,
    payload: &Payload<'_>,
) -> Result<u64, AppError> {
    // Collected first: an iterator adapter held across the awaits below would make the
    // future not `Send` (its closure is higher-ranked over the borrow).
    let subscribed: Vec<&webhook::Model> = hooks.iter().filter(|h| subscribes(h, payload.event)).collect();
    if subscribed.is_empty() {
        return Ok(0);
    }
    let body = payload.to_json();
    let mut added = 0;
    for hook in subscribed {
        if enqueue(db, hook.id, payload.event, cause, &body).await? {
            added += 1;
        }
    }
    Ok(added)
}

/// Adds one delivery due now; false when this hook already has one for `cause`.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    webhook_id: i64,
    event: WebhookEvent,
    cause: &str,
    body: &str,
) -> Result<bool, AppError> {
    let now = Utc::now();
    let res = webhook_delivery::Entity::insert(webhook_delivery::ActiveModel {
        webhook_id: Set(webhook_id),
        delivery_id: Set(new_delivery_id()),
        event: Set(event),
        cause: Set(cause.chars().take(140).collect()),
        payload: Set(body.to_owned()),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([webhook_delivery::Column::WebhookId, webhook_delivery::Column::Cause])
    .exec_without_returning(db)
    .await?;
    Ok(matches!(res, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// Claims up to `limit` due deliveries for `worker` until `now + lease`.
pub async fn claim(
    db: &DatabaseConnection,
    worker: &str,
    limit: u64,
    lease: Duration,
) -> Result<Vec<webhook_delivery::Model>, AppError> {
    let backend = db.get_database_backend();
    let now = Utc::now();
    let (lock, p) = match backend {
        DatabaseBackend::Postgres => (" FOR UPDATE SKIP LOCKED", ["$1", "$2", "$3", "$4"]),
        _ => ("", ["?", "?", "?", "?"]),
    };
    let sql = format!(
        "UPDATE webhook_deliveries SET status = 'delivering', claimed_by = {p1}, claimed_until = {p2} \
         WHERE id IN (SELECT id FROM webhook_deliveries \
           WHERE (status = 'pending' AND next_attempt_at <= {p3}) \
              OR (status = 'delivering' AND claimed_until < {p3}) \
           ORDER BY next_attempt_at LIMIT {p4}{lock}) \
         RETURNING *",
        p1 = p[0],
        p2 = p[1],
        p3 = p[2],
        p4 = p[3],
    );
    let values: Vec<sea_orm::Value> = vec![
        worker.into(),
        (now + lease).into(),
        now.into(),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
    ];
    // SQLite binds `?` in order of appearance, and p3 appears twice there.
    let values = match backend {
        DatabaseBackend::Postgres => values,
        _ => vec![
            values[0].clone(),
            values[1].clone(),
            values[2].clone(),
            values[2].clone(),
            values[3].clone(),
        ],
    };
    let stmt = Statement::from_sql_and_values(backend, sql, values);
    let txn = crate::backend::db::begin_write(db).await?;
    let rows = webhook_delivery::Entity::find().from_raw_sql(stmt).all(&*txn).await?;
    txn.commit().await?;
    Ok(rows)
}

/// What one attempt found out.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub response_excerpt: String,
}

impl AttemptRecord {
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

/// Where a delivery goes after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Succeeded,
    /// Try again at this time.
    Retry(DateTime<Utc>),
    /// No attempts left.
    GaveUp,
}

/// Logs the attempt and moves the delivery on, if `worker` still holds its claim; false when
/// the claim was lost (it expired and another process took the delivery over).
pub async fn finish(
    db: &DatabaseConnection,
    delivery: &webhook_delivery::Model,
    worker: &str,
    attempt: &AttemptRecord,
    next: Next,
) -> Result<bool, AppError> {
    use sea_orm::sea_query::Expr;
    let txn = crate::backend::db::begin_write(db).await?;
    let number = delivery.attempts + 1;
    let now = Utc::now();
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(number))
        .col_expr(
            webhook_delivery::Column::LastStatusCode,
            Expr::value(attempt.status_code),
        )
        .col_expr(webhook_delivery::Column::ClaimedBy, Expr::value(Option::<String>::None))
        .col_expr(
            webhook_delivery::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    update = match next {
        Next::Succeeded => update
            .col_expr(
                webhook_delivery::Column::Status,
                Expr::value(DeliveryStatus::Succeeded.as_str()),
            )
            .col_expr(webhook_delivery::Column::FinishedAt, Expr::value(Some(now))),
        Next::GaveUp => update
            .col_expr(
                webhook_delivery::Column::Status,
                Expr::value(DeliveryStatus::Failed.as_str()),
            )
            .col_expr(webhook_delivery::Column::FinishedAt, Expr::value(Some(now))),
        Next::Retry(at) => update
            .col_expr(
                webhook_delivery::Column::Status,
                Expr::value(DeliveryStatus::Pending.as_str()),
            )
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(at)),
    };
    let res = update
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .filter(webhook_delivery::Column::ClaimedBy.eq(worker))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Delivering.as_str()))
        .exec(&*txn)
        .await?;
    if res.rows_affected == 0 {
        return Ok(false);
    }
    webhook_attempt::Entity::insert(webhook_attempt::ActiveModel {
        delivery_id: Set(delivery.id),
        number: Set(number),
        started_at: Set(attempt.started_at),
        duration_ms: Set(attempt.duration_ms),
        status_code: Set(attempt.status_code),
        error: Set(attempt.error.clone()),
        response_excerpt: Set(attempt.response_excerpt.clone()),
        worker: Set(worker.chars().take(128).collect()),
        ..Default::default()
    })
    .exec_without_returning(&*txn)
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Queues a fresh copy of `delivery` (same event, same body, a new delivery id), due now.
pub async fn redeliver(
    db: &impl ConnectionTrait,
    delivery: &webhook_delivery::Model,
) -> Result<webhook_delivery::Model, AppError> {
    let event = delivery.event;
    let cause = format!("redeliver:{}", new_delivery_id());
    enqueue(db, delivery.webhook_id, event, &cause, &delivery.payload).await?;
    webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(delivery.webhook_id))
        .filter(webhook_delivery::Column::Cause.eq(cause))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the redelivery vanished"))
}

/// Forgets finished deliveries (and their attempts) older than `days`.
pub async fn prune(db: &impl ConnectionTrait, days: i64) -> Result<u64, AppError> {
    let cutoff = Utc::now() - Duration::days(days);
    Ok(webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::FinishedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}
