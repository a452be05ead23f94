//! Recording changes that invalidate cached credentials and policy facts (see migration
//! `m0002_auth_changes`). Writers call [`record`] in the same transaction as the change.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};

use crate::backend::entity::auth_change;
use crate::domain::AppError;

pub async fn record(db: &impl ConnectionTrait, reason: &str) -> Result<(), AppError> {
    auth_change::ActiveModel {
        reason: Set(reason.chars().take(64).collect()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The id of the latest change (0 when there is none).
pub async fn latest(db: &impl ConnectionTrait) -> Result<i64, AppError> {
    Ok(auth_change::Entity::find()
        .order_by_desc(auth_change::Column::Id)
        .limit(1)
        .one(db)
        .await?
        .map_or(0, |c| c.id))
}
