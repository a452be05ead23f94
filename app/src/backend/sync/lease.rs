//! A lease row per job: the process holding an unexpired lease does the job; another takes it
//! over once the holder stops renewing (it died or lost the database). Works the same on SQLite
//! and PostgreSQL, with one atomic statement per attempt.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::backend::entity::lease;
use crate::domain::AppError;

/// Takes or renews the lease `name` for `holder`; true when `holder` has it now.
pub async fn try_acquire(db: &impl ConnectionTrait, name: &str, holder: &str, ttl: Duration) -> Result<bool, AppError> {
    let now = Utc::now();
    let inserted = lease::Entity::insert(lease::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(holder.to_owned()),
        expires_at: Set(now + ttl),
    })
    .on_conflict_do_nothing_on([lease::Column::Name])
    .exec_without_returning(db)
    .await?;
    if matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0) {
        return Ok(true);
    }
    let updated = lease::Entity::update_many()
        .col_expr(lease::Column::Holder, Expr::value(holder))
        .col_expr(lease::Column::ExpiresAt, Expr::value(now + ttl))
        .filter(lease::Column::Name.eq(name))
        .filter(
            Condition::any()
                .add(lease::Column::Holder.eq(holder))
                .add(lease::Column::ExpiresAt.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// Gives the lease up so another process need not wait for it to expire.
pub async fn release(db: &impl ConnectionTrait, name: &str, holder: &str) -> Result<(), AppError> {
    lease::Entity::delete_many()
        .filter(lease::Column::Name.eq(name))
        .filter(lease::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// Who holds the lease now, if anyone.
pub async fn holder(db: &impl ConnectionTrait, name: &str) -> Result<Option<String>, AppError> {
    Ok(lease::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .filter(|l| l.expires_at > Utc::now())
        .map(|l| l.holder))
}
