//! Teams and their members. Admins and team owners manage a team; members see it; anyone
//! signed in may create one (and owns it).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::Caller;
use crate::authz;
use crate::backend::db::begin_write;
use crate::backend::entity::{namespace, team};
use crate::backend::store::{teams, users};
use crate::backend::AppState;
use crate::domain::dto::{TeamDetail, TeamMemberRow, TeamSummary};
use crate::domain::{AppError, Role};

/// Teams the caller belongs to (administrators: every team).
pub async fn list(state: &AppState, c: &Caller) -> Result<Vec<TeamSummary>, AppError> {
    let db = &state.db;
    let roles = match &c.user {
        Some(u) => teams::roles_of(db, u.id).await?,
        None if c.is_operator() => HashMap::new(),
        None => return Err(AppError::Unauthorized("sign in first".into())),
    };
    let members = teams::member_counts(db).await?;
    let ns_counts = namespace_counts(db).await?;
    let admin = c.is_admin();
    Ok(teams::list(db)
        .await?
        .into_iter()
        .filter(|t| admin || roles.contains_key(&t.id))
        .map(|t| TeamSummary {
            id: t.id,
            members: members.get(&t.id).copied().unwrap_or(0),
            namespaces: ns_counts.get(&t.id).copied().unwrap_or(0),
            my_role: roles.get(&t.id).copied(),
            name: t.name,
            description: t.description,
        })
        .collect())
}

/// How many namespaces each team owns, in one grouped query.
async fn namespace_counts(db: &impl ConnectionTrait) -> Result<HashMap<i64, u64>, AppError> {
    let rows: Vec<(Option<i64>, i64)> = namespace::Entity::find()
        .select_only()
        .column(namespace::Column::TeamId)
        .column_as(namespace::Column::Id.count(), "n")
        .filter(namespace::Column::TeamId.is_not_null())
        .group_by(namespace::Column::TeamId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(t, n)| Some((t?, u64::try_from(n).unwrap_or(0))))
        .collect())
}

/// A team the caller may see (members and admins; 404 for anyone else, so team names do not
/// leak), with the caller's role in it.
async fn visible_team(state: &AppState, c: &Caller, name: &str) -> Result<(team::Model, Option<Role>), AppError> {
    let not_found = || AppError::NotFound(format!("no team named {name:?}"));
    if c.user.is_none() && !c.is_operator() {
        return Err(AppError::Unauthorized("sign in first".into()));
    }
    let team = teams::find_by_name(&state.db, name).await?.ok_or_else(not_found)?;
    let role = match c.user_id() {
        Some(id) => teams::role_of(&state.db, team.id, id).await?,
        None => None,
    };
    if role.is_none() && !c.is_admin() {
        return Err(not_found());
    }
    Ok((team, role))
}

/// A team the caller may manage, or 404/403.
async fn managed_team(state: &AppState, c: &Caller, name: &str) -> Result<team::Model, AppError> {
    let (team, role) = visible_team(state, c, name).await?;
    if !authz::may_manage_team(&c.subject, role) {
        return Err(AppError::Forbidden(format!("only owners of {name} may do that")));
    }
    Ok(team)
}

/// A team, its members and the namespaces the caller can see in it.
pub async fn get(state: &AppState, c: &Caller, name: &str) -> Result<TeamDetail, AppError> {
    let (team, role) = visible_team(state, c, name).await?;
    let members: Vec<TeamMemberRow> = teams::members(&state.db, team.id)
        .await?
        .into_iter()
        .map(|(user, role)| TeamMemberRow { user, role })
        .collect();
    let of_team = c
        .visible_namespaces(state)
        .await?
        .into_iter()
        .filter(|v| v.namespace.team_id == Some(team.id))
        .collect();
    let namespaces: Vec<_> = crate::backend::store::namespaces::summaries(&state.db, of_team)
        .await?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    Ok(TeamDetail {
        summary: TeamSummary {
            id: team.id,
            members: members.len() as u64,
            namespaces: namespaces.len() as u64,
            my_role: role,
            name: team.name,
            description: team.description,
        },
        can_manage: authz::may_manage_team(&c.subject, role),
        members,
        namespaces,
    })
}

/// A team to create.
#[derive(Debug, Clone)]
pub struct NewTeam {
    pub name: String,
    pub description: String,
    /// Its first owner: the caller when `None`. Only administrators (and the operator) may
    /// name someone else.
    pub owner: Option<String>,
}

/// Creates a team; returns its name.
pub async fn create(state: &AppState, c: &Caller, new: NewTeam) -> Result<String, AppError> {
    let name = crate::domain::names::name_for("team name", new.name.trim())?;
    let owner = match new.owner.as_deref().map(str::trim) {
        None => c.require_user()?.clone(),
        Some(other) => {
            c.require_admin()?;
            users::require_by_name(&state.db, other).await?
        }
    };
    let txn = begin_write(&state.db).await?;
    let team = teams::create(&*txn, &name, new.description.trim(), &owner).await?;
    c.audit(
        &*txn,
        "team.created",
        None,
        &team.name,
        &format!("owner {}", owner.name),
    )
    .await?;
    txn.commit().await?;
    Ok(team.name)
}

/// Renames a team and/or changes its description; returns the (new) name.
pub async fn update(
    state: &AppState,
    c: &Caller,
    name: &str,
    new_name: Option<&str>,
    description: Option<&str>,
) -> Result<String, AppError> {
    let team = managed_team(state, c, name).await?;
    let new_name = new_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| crate::domain::names::name_for("team name", n))
        .transpose()?;
    let txn = begin_write(&state.db).await?;
    let team = teams::update(&*txn, team, new_name.as_ref(), description).await?;
    c.audit(&*txn, "team.updated", None, &team.name, &format!("was {name}"))
        .await?;
    txn.commit().await?;
    Ok(team.name)
}

/// Adds a member or changes their role (a team always keeps an owner).
pub async fn set_member(state: &AppState, c: &Caller, team: &str, user: &str, role: Role) -> Result<(), AppError> {
    let t = managed_team(state, c, team).await?;
    let member = users::require_by_name(&state.db, user.trim()).await?;
    let txn = begin_write(&state.db).await?;
    teams::set_member(&*txn, &t, &member, role).await?;
    c.audit(
        &*txn,
        "team.member_set",
        None,
        &t.name,
        &format!("{} as {role}", member.name),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Removes a member (not the last owner).
pub async fn remove_member(state: &AppState, c: &Caller, team: &str, user: &str) -> Result<(), AppError> {
    let t = managed_team(state, c, team).await?;
    let member = users::require_by_name(&state.db, user.trim()).await?;
    let txn = begin_write(&state.db).await?;
    teams::remove_member(&*txn, &t, &member).await?;
    c.audit(&*txn, "team.member_removed", None, &t.name, &member.name)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes a team; its namespaces move to `transfer_to` (which the caller must manage too).
/// Returns how many namespaces moved.
pub async fn delete(state: &AppState, c: &Caller, name: &str, transfer_to: Option<&str>) -> Result<u64, AppError> {
    let team = managed_team(state, c, name).await?;
    let to = match transfer_to.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(managed_team(state, c, t).await?),
        None => None,
    };
    let txn = begin_write(&state.db).await?;
    let moved = teams::delete(&*txn, team, to.as_ref()).await?;
    let details = to
        .map(|t| format!("{moved} namespaces moved to {}", t.name))
        .unwrap_or_default();
    c.audit(&*txn, "team.deleted", None, name, &details).await?;
    txn.commit().await?;
    Ok(moved)
}
