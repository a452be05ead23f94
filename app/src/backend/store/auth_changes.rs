//! Recording changes that invalidate cached credentials and policy facts (see migration
//! `m0002_auth_changes`). Writers call [`record`] in the same transaction as the change.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QuerySelect, Set};

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

/// Where the change log stands: how many changes there are and the highest id. The count is
/// what catches a change whose id was handed out earlier but committed later (PostgreSQL
/// sequences do not commit in order): the highest id alone would not move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogPosition {
    pub count: i64,
    pub max_id: i64,
}

pub async fn position(db: &impl ConnectionTrait) -> Result<LogPosition, AppError> {
    use sea_orm::sea_query::{Expr, Func};
    let row: Option<(i64, Option<i64>)> = auth_change::Entity::find()
        .select_only()
        .expr(Func::count(Expr::col(auth_change::Column::Id)))
        .expr(Func::max(Expr::col(auth_change::Column::Id)))
        .into_tuple()
        .one(db)
        .await?;
    let (count, max_id) = row.unwrap_or((0, None));
    Ok(LogPosition {
        count,
        max_id: max_id.unwrap_or(0),
    })
}
