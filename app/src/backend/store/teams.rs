//! Teams and their members.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::backend::entity::{team, team_member, user};
use crate::domain::{AppError, NamespaceName, Role};

/// Creates a team with `owner` as its first owner.
/// Run it inside a write transaction: the name check and the insert belong together.
pub async fn create(
    txn: &impl ConnectionTrait,
    name: &NamespaceName,
    description: &str,
    owner: &user::Model,
) -> Result<team::Model, AppError> {
    if find_by_name(txn, name.as_str()).await?.is_some() {
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
    .insert(txn)
    .await?;
    set_member(txn, &team, owner, Role::Owner).await?;
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
            if m.role == Role::Owner && role != Role::Owner && owner_count(db, team.id).await? <= 1 {
                return Err(AppError::Conflict(format!(
                    "team {:?} must keep at least one owner",
                    team.name
                )));
            }
            let mut am: team_member::ActiveModel = m.into();
            am.role = Set(role);
            // Set by hand: no longer the directory's to take away.
            am.source = Set("local".into());
            am.update(db).await?;
        }
        None => {
            team_member::ActiveModel {
                team_id: Set(team.id),
                user_id: Set(user.id),
                role: Set(role),
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
        .filter(team_member::Column::Role.eq(Role::Owner))
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
    Ok(m.map(|m| m.role))
}

/// Every team, by name.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<team::Model>, AppError> {
    use sea_orm::QueryOrder;
    Ok(team::Entity::find().order_by_asc(team::Column::Name).all(db).await?)
}

/// The members of a team with their user names, owners first.
pub async fn members(db: &impl ConnectionTrait, team_id: i64) -> Result<Vec<(String, Role)>, AppError> {
    let rows = team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(team_id))
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|m| m.user_id).collect();
    let names: std::collections::HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut out: Vec<(String, Role)> = rows
        .into_iter()
        .filter_map(|m| Some((names.get(&m.user_id)?.clone(), m.role)))
        .collect();
    let rank = |r: &Role| match r {
        Role::Owner => 0,
        Role::Contributor => 1,
        Role::Viewer => 2,
    };
    out.sort_by(|a, b| rank(&a.1).cmp(&rank(&b.1)).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// Member counts per team id.
pub async fn member_counts(db: &impl ConnectionTrait) -> Result<std::collections::HashMap<i64, u64>, AppError> {
    use sea_orm::QuerySelect;
    let rows: Vec<(i64, i64)> = team_member::Entity::find()
        .select_only()
        .column(team_member::Column::TeamId)
        .column_as(team_member::Column::Id.count(), "n")
        .group_by(team_member::Column::TeamId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(t, n)| (t, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// The teams `user_id` belongs to, with their role.
pub async fn roles_of(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<std::collections::HashMap<i64, Role>, AppError> {
    Ok(team_member::Entity::find()
        .filter(team_member::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.team_id, m.role))
        .collect())
}

/// Renames a team and/or changes its description.
pub async fn update(
    db: &impl ConnectionTrait,
    team: team::Model,
    name: Option<&NamespaceName>,
    description: Option<&str>,
) -> Result<team::Model, AppError> {
    if let Some(n) = name {
        if n.as_str() != team.name && find_by_name(db, n.as_str()).await?.is_some() {
            return Err(AppError::Conflict(format!(
                "a team named {:?} already exists",
                n.as_str()
            )));
        }
    }
    if description.is_some_and(|d| d.len() > 2000) {
        return Err(AppError::BadRequest(
            "team descriptions are limited to 2000 bytes".into(),
        ));
    }
    let mut am: team::ActiveModel = team.into();
    if let Some(n) = name {
        am.name = Set(n.to_string());
    }
    if let Some(d) = description {
        am.description = Set(d.to_owned());
    }
    Ok(am.update(db).await?)
}

/// Removes a member; the last owner cannot be removed.
pub async fn remove_member(db: &impl ConnectionTrait, team: &team::Model, user: &user::Model) -> Result<(), AppError> {
    let Some(m) = team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(team.id))
        .filter(team_member::Column::UserId.eq(user.id))
        .one(db)
        .await?
    else {
        return Err(AppError::NotFound(format!(
            "{} is not a member of {}",
            user.name, team.name
        )));
    };
    if m.role == Role::Owner && owner_count(db, team.id).await? <= 1 {
        return Err(AppError::Conflict(format!(
            "team {:?} must keep at least one owner",
            team.name
        )));
    }
    team_member::Entity::delete_by_id(m.id).exec(db).await?;
    super::auth_changes::record(db, "team.member").await?;
    Ok(())
}

/// Deletes a team. Its namespaces move to `transfer_to`; without one, a team that still owns
/// namespaces is refused.
pub async fn delete(
    db: &impl ConnectionTrait,
    team: team::Model,
    transfer_to: Option<&team::Model>,
) -> Result<u64, AppError> {
    use crate::backend::entity::namespace;
    use sea_orm::sea_query::Expr;
    if transfer_to.is_some_and(|t| t.id == team.id) {
        return Err(AppError::BadRequest(
            "a team cannot take over its own namespaces".into(),
        ));
    }
    let owned = namespace::Entity::find()
        .filter(namespace::Column::TeamId.eq(team.id))
        .all(db)
        .await?;
    let moved = match (owned.is_empty(), transfer_to) {
        (true, _) => 0,
        (false, None) => {
            return Err(AppError::Conflict(format!(
                "team {:?} owns {} namespaces: choose a team to transfer them to",
                team.name,
                owned.len()
            )))
        }
        (false, Some(to)) => {
            namespace::Entity::update_many()
                .col_expr(namespace::Column::TeamId, Expr::value(Some(to.id)))
                .filter(namespace::Column::TeamId.eq(team.id))
                .exec(db)
                .await?
                .rows_affected
        }
    };
    team_member::Entity::delete_many()
        .filter(team_member::Column::TeamId.eq(team.id))
        .exec(db)
        .await?;
    team::Entity::delete_by_id(team.id).exec(db).await?;
    super::auth_changes::record(db, "team.deleted").await?;
    Ok(moved)
}

/// `team_members.source` of memberships that come from the user's LDAP groups.
pub const MEMBERSHIP_FROM_DIRECTORY: &str = "directory";

/// Makes `user` a member (with `role`) of every team named like one of `groups`, and removes
/// memberships that came from the directory for teams no longer among them. Memberships made
/// in wharf are left alone. True when anything changed.
pub async fn sync_directory_memberships(
    db: &impl ConnectionTrait,
    user: &user::Model,
    groups: &[String],
    role: Role,
) -> Result<bool, AppError> {
    let wanted: std::collections::HashSet<String> = groups.iter().map(|g| g.to_lowercase()).collect();
    let all = team::Entity::find().all(db).await?;
    let current = team_member::Entity::find()
        .filter(team_member::Column::UserId.eq(user.id))
        .all(db)
        .await?;
    let mut changed = false;
    for t in &all {
        let member = current.iter().find(|m| m.team_id == t.id);
        let in_group = wanted.contains(&t.name.to_lowercase());
        match (member, in_group) {
            (None, true) => {
                team_member::ActiveModel {
                    team_id: Set(t.id),
                    user_id: Set(user.id),
                    role: Set(role),
                    source: Set(MEMBERSHIP_FROM_DIRECTORY.into()),
                    created_at: Set(Utc::now()),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                changed = true;
            }
            (Some(m), false) if m.source == MEMBERSHIP_FROM_DIRECTORY => {
                // A team keeps its last owner, even one the directory made.
                if m.role == Role::Owner && owner_count(db, t.id).await? <= 1 {
                    continue;
                }
                team_member::Entity::delete_by_id(m.id).exec(db).await?;
                changed = true;
            }
            _ => {}
        }
    }
    Ok(changed)
}
