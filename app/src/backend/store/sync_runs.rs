//! The record of every sync run, for the console and `wharf sync --json`.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};

use crate::backend::entity::sync_run;
use crate::domain::AppError;

pub async fn start(
    db: &impl ConnectionTrait,
    trigger: &str,
    strategy: crate::domain::SyncStrategy,
    runner: &str,
) -> Result<sync_run::Model, AppError> {
    Ok(sync_run::ActiveModel {
        started_at: Set(Utc::now()),
        trigger: Set(trigger.to_owned()),
        strategy: Set(strategy),
        status: Set(crate::domain::SyncStatus::Running),
        runner: Set(runner.chars().take(64).collect()),
        errors: Set(String::new()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn save(db: &impl ConnectionTrait, run: sync_run::Model) -> Result<sync_run::Model, AppError> {
    // Write every column: the run struct is the source of truth.
    let active = sync_run::ActiveModel::from(run).reset_all();
    Ok(active.update(db).await?)
}

/// Newest first.
pub async fn recent(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<sync_run::Model>, AppError> {
    Ok(sync_run::Entity::find()
        .order_by_desc(sync_run::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
