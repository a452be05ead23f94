//! Teams and their members.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::backend::entity::{team, team_member, user};
use crate::domain::{AppError, NamespaceName, Role};

/// Creates a team with `owner` as its first owner.
pub async fn create(
    db: &DatabaseConnection,
    name: &NamespaceName,
    description: &str,
    owner: &user::Model,
) -> Result<team::Model, AppError> {
    let txn = crate::backend::db::begin_write(db).await?;
    if find_by_name(&*txn, name.as_str()).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "a team named {:?} already exists",
            name.as_str()
        )));
    }
    let team = team::ActiveModel {
        name: Set(name.to_string()),
        description: Set(description.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    set_member(&*txn, &team, owner, Role::Owner).await?;
    txn.commit().await?;
    Ok(team)
}

pub async fn find_by_name(db: &impl ConnectionTrait, name: &str) -> Result<Option<team::Model>, AppError> {
    Ok(team::Entity::find().filter(team::Column::Name.eq(name)).one(db).await?)
}

pub async fn require_by_name(db: &impl ConnectionTrait, name: &str) -> Result<team::Model, AppError> {
    find_by_name(db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no team named {name:?}")))
}

/// Adds `user` to `team` with `role`, or changes their role if already a member.
pub async fn set_member(
    db: &impl ConnectionTrait,
    team: &team::Model,
    user: &user::Model,
    role: Role,
) -> Result<(), AppError> {
    let existing = team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(team.id))
        .filter(team_member::Column::UserId.eq(user.id))
        .one(db)
        .await?;
    match existing {
        Some(m) => {
            if m.role == Role::Owner.as_str() && role != Role::Owner && owner_count(db, team.id).await? <= 1 {
                return Err(AppError::Conflict(format!(
                    "team {:?} must keep at least one owner",
                    team.name
                )));
            }
            let mut am: team_member::ActiveModel = m.into();
            am.role = Set(role.as_str().into());
            am.update(db).await?;
        }
        None => {
            team_member::ActiveModel {
                team_id: Set(team.id),
                user_id: Set(user.id),
                role: Set(role.as_str().into()),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    super::auth_changes::record(db, "team.member").await?;
    Ok(())
}

async fn owner_count(db: &impl ConnectionTrait, team_id: i64) -> Result<usize, AppError> {
    Ok(team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(team_id))
        .filter(team_member::Column::Role.eq(Role::Owner.as_str()))
        .all(db)
        .await?
        .len())
}

/// The role of `user_id` in `team_id`, if a member.
pub async fn role_of(db: &impl ConnectionTrait, team_id: i64, user_id: i64) -> Result<Option<Role>, AppError> {
    let m = team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(team_id))
        .filter(team_member::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    Ok(m.and_then(|m| m.role.parse().ok()))
}
