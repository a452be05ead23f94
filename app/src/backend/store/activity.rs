//! The audit log.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::backend::entity::activity;
use crate::domain::AppError;

/// One audit entry.
#[derive(Debug, Default, Clone)]
pub struct NewActivity<'a> {
    pub actor_user_id: Option<i64>,
    pub actor_name: &'a str,
    pub kind: &'a str,
    pub namespace_id: Option<i64>,
    pub target: &'a str,
    pub details: &'a str,
    pub client_addr: Option<&'a str>,
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

pub async fn record(db: &impl ConnectionTrait, a: NewActivity<'_>) -> Result<(), AppError> {
    activity::ActiveModel {
        created_at: Set(Utc::now()),
        actor_user_id: Set(a.actor_user_id),
        actor_name: Set(clip(a.actor_name, 64)),
        kind: Set(a.kind.to_owned()),
        namespace_id: Set(a.namespace_id),
        target: Set(clip(a.target, 255)),
        details: Set(clip(a.details, 2000)),
        client_addr: Set(a.client_addr.map(|s| clip(s, 64))),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Records a failed sign-in; a failure to write the log is logged, not returned, so it never
/// changes the answer the client gets.
pub async fn record_login_failure(
    db: &impl ConnectionTrait,
    user_id: Option<i64>,
    name: &str,
    reason: &str,
    client_addr: Option<&str>,
) {
    let entry = NewActivity {
        actor_user_id: user_id,
        actor_name: name,
        kind: "login.failed",
        target: name,
        details: reason,
        client_addr,
        ..Default::default()
    };
    if let Err(e) = record(db, entry).await {
        tracing::warn!(error = %e, "recording a failed login");
    }
}

/// The newest `limit` entries, newest first.
pub async fn recent(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<crate::domain::dto::ActivityRow>, AppError> {
    use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
    Ok(activity::Entity::find()
        .order_by_desc(activity::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|a| crate::domain::dto::ActivityRow {
            id: a.id,
            at: a.created_at.to_rfc3339(),
            actor: a.actor_name,
            kind: a.kind,
            target: a.target,
            details: a.details,
            client_addr: a.client_addr,
        })
        .collect())
}
