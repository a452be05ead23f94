//! A lease row per job: the process holding an unexpired lease does the job; another takes it
//! over once the holder stops renewing (it died or lost the database). Works the same on SQLite
//! and PostgreSQL, with one atomic statement per attempt.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::backend::entity::lease;
use crate::domain::AppError;

/// Takes or renews the lease `name` for `holder` at `now`; true when `holder` has it then.
pub async fn try_acquire(
    db: &impl ConnectionTrait,
    name: &str,
    holder: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
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

/// Who holds the lease at `now`, if anyone.
pub async fn holder(db: &impl ConnectionTrait, name: &str, now: DateTime<Utc>) -> Result<Option<String>, AppError> {
    Ok(lease::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .filter(|l| l.expires_at > now)
        .map(|l| l.holder))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::clock::Clock;
    use crate::backend::store::test_db::memory_db;

    #[tokio::test]
    async fn the_holder_keeps_renewing_and_another_takes_over_only_after_expiry() {
        let db = memory_db().await;
        let clock = Clock::system();
        let ttl = Duration::seconds(30);
        assert!(try_acquire(&db, "jobs", "a", ttl, clock.now()).await.unwrap());
        assert!(
            !try_acquire(&db, "jobs", "b", ttl, clock.now()).await.unwrap(),
            "a holds it"
        );
        clock.advance(std::time::Duration::from_secs(20));
        assert!(
            try_acquire(&db, "jobs", "a", ttl, clock.now()).await.unwrap(),
            "a renews"
        );
        clock.advance(std::time::Duration::from_secs(20));
        assert!(
            !try_acquire(&db, "jobs", "b", ttl, clock.now()).await.unwrap(),
            "the renewal counts from when it was made"
        );
        assert_eq!(holder(&db, "jobs", clock.now()).await.unwrap().as_deref(), Some("a"));
        clock.advance(std::time::Duration::from_secs(11));
        assert_eq!(
            holder(&db, "jobs", clock.now()).await.unwrap(),
            None,
            "a stopped renewing"
        );
        assert!(
            try_acquire(&db, "jobs", "b", ttl, clock.now()).await.unwrap(),
            "b takes over"
        );
        assert!(!try_acquire(&db, "jobs", "a", ttl, clock.now()).await.unwrap());
    }

    #[tokio::test]
    async fn releasing_hands_the_lease_over_at_once() {
        let db = memory_db().await;
        let now = Utc::now();
        assert!(try_acquire(&db, "jobs", "a", Duration::seconds(30), now).await.unwrap());
        release(&db, "jobs", "b").await.unwrap();
        assert_eq!(
            holder(&db, "jobs", now).await.unwrap().as_deref(),
            Some("a"),
            "only the holder releases"
        );
        release(&db, "jobs", "a").await.unwrap();
        assert!(try_acquire(&db, "jobs", "b", Duration::seconds(30), now).await.unwrap());
    }
}
