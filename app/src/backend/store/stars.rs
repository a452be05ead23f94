//! Repositories users starred (shown on their dashboard).

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::backend::entity::star;
use crate::domain::AppError;

/// Stars or unstars; returns whether the repository is starred now.
pub async fn set(db: &impl ConnectionTrait, user_id: i64, repository_id: i64, starred: bool) -> Result<bool, AppError> {
    if starred {
        star::Entity::insert(star::ActiveModel {
            user_id: Set(user_id),
            repository_id: Set(repository_id),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([star::Column::UserId, star::Column::RepositoryId])
        .exec_without_returning(db)
        .await?;
    } else {
        star::Entity::delete_many()
            .filter(star::Column::UserId.eq(user_id))
            .filter(star::Column::RepositoryId.eq(repository_id))
            .exec(db)
            .await?;
    }
    Ok(starred)
}

/// Which of `repository_ids` the user starred.
pub async fn starred_among(
    db: &impl ConnectionTrait,
    user_id: Option<i64>,
    repository_ids: &[i64],
) -> Result<HashSet<i64>, AppError> {
    let Some(uid) = user_id else {
        return Ok(HashSet::new());
    };
    Ok(star::Entity::find()
        .filter(star::Column::UserId.eq(uid))
        .filter(star::Column::RepositoryId.is_in(repository_ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.repository_id)
        .collect())
}

/// Every repository id the user starred.
pub async fn of_user(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<i64>, AppError> {
    Ok(star::Entity::find()
        .filter(star::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.repository_id)
        .collect())
}

pub async fn count(db: &impl ConnectionTrait, repository_id: i64) -> Result<u64, AppError> {
    Ok(star::Entity::find()
        .filter(star::Column::RepositoryId.eq(repository_id))
        .count(db)
        .await?)
}
