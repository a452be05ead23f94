//! Teams and their members. Admins and team owners manage a team; members see it.

use leptos::prelude::*;

use crate::domain::dto::{TeamDetail, TeamSummary};
use crate::domain::{AppError, Role};

/// Teams the caller belongs to (administrators: every team).
#[server(endpoint = "list_teams")]
pub async fn list_teams() -> Result<Vec<TeamSummary>, AppError> {
    super::context::run(async move {
        use crate::backend::store::teams;
        let c = super::context::caller().await?;
        let user = c.require_user()?;
        let db = &c.state.db;
        let roles = teams::roles_of(db, user.id).await?;
        let members = teams::member_counts(db).await?;
        let ns_counts = namespace_counts(db).await?;
        let admin = crate::authz::is_admin(&c.subject);
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
    })
    .await
}

#[cfg(feature = "ssr")]
async fn namespace_counts(db: &impl sea_orm::ConnectionTrait) -> Result<std::collections::HashMap<i64, u64>, AppError> {
    use crate::backend::entity::namespace;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
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

/// A team the caller may see (members and admins; 404 for anyone else).
#[cfg(feature = "ssr")]
async fn visible_team(
    c: &super::context::Caller,
    name: &str,
) -> Result<(crate::backend::entity::team::Model, Option<Role>), AppError> {
    use crate::backend::store::teams;
    let user = c.require_user()?;
    let team = teams::find_by_name(&c.state.db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no team named {name:?}")))?;
    let role = teams::role_of(&c.state.db, team.id, user.id).await?;
    if role.is_none() && !crate::authz::is_admin(&c.subject) {
        return Err(AppError::NotFound(format!("no team named {name:?}")));
    }
    Ok((team, role))
}

/// A team the caller may manage, or 403.
#[cfg(feature = "ssr")]
async fn managed_team(c: &super::context::Caller, name: &str) -> Result<crate::backend::entity::team::Model, AppError> {
    let (team, role) = visible_team(c, name).await?;
    if !crate::authz::may_manage_team(&c.subject, role) {
        return Err(AppError::Forbidden(format!("only owners of {name} may do that")));
    }
    Ok(team)
}

#[server(endpoint = "get_team")]
pub async fn get_team(name: String) -> Result<TeamDetail, AppError> {
    super::context::run(async move {
        use crate::backend::store::teams;
        let c = super::context::caller().await?;
        let (team, role) = visible_team(&c, &name).await?;
        let members: Vec<crate::domain::dto::TeamMemberRow> = teams::members(&c.state.db, team.id)
            .await?
            .into_iter()
            .map(|(user, role)| crate::domain::dto::TeamMemberRow { user, role })
            .collect();
        let namespaces: Vec<_> = c
            .visible_namespaces()
            .await?
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| n.team.as_deref() == Some(team.name.as_str()))
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
            can_manage: crate::authz::may_manage_team(&c.subject, role),
            members,
            namespaces,
        })
    })
    .await
}

/// Creates a team with the caller as its owner.
#[server(endpoint = "create_team")]
pub async fn create_team(name: String, description: String) -> Result<String, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let user = c.require_user()?.clone();
        let name = crate::domain::NamespaceName::try_from(name.trim().to_owned())?;
        let team = crate::backend::store::teams::create(&c.state.db, &name, description.trim(), &user).await?;
        c.audit(&c.state.db, "team.created", None, &team.name, "").await?;
        Ok(team.name)
    })
    .await
}

/// Renames a team and/or changes its description; returns the (new) name.
#[server(endpoint = "update_team")]
pub async fn update_team(
    name: String,
    new_name: Option<String>,
    description: Option<String>,
) -> Result<String, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let team = managed_team(&c, &name).await?;
        let new_name = new_name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .map(crate::domain::NamespaceName::try_from)
            .transpose()?;
        let team =
            crate::backend::store::teams::update(&c.state.db, team, new_name.as_ref(), description.as_deref()).await?;
        c.audit(&c.state.db, "team.updated", None, &team.name, &format!("was {name}"))
            .await?;
        Ok(team.name)
    })
    .await
}

/// Adds a member or changes their role (a team always keeps an owner).
#[server(endpoint = "set_team_member")]
pub async fn set_team_member(team: String, user: String, role: Role) -> Result<(), AppError> {
    super::context::run(async move {
        use crate::backend::store::{teams, users};
        let c = super::context::caller().await?;
        let t = managed_team(&c, &team).await?;
        let member = users::require_by_name(&c.state.db, user.trim()).await?;
        let txn = crate::backend::db::begin_write(&c.state.db).await?;
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
    })
    .await
}

#[server(endpoint = "remove_team_member")]
pub async fn remove_team_member(team: String, user: String) -> Result<(), AppError> {
    super::context::run(async move {
        use crate::backend::store::{teams, users};
        let c = super::context::caller().await?;
        let t = managed_team(&c, &team).await?;
        let member = users::require_by_name(&c.state.db, &user).await?;
        let txn = crate::backend::db::begin_write(&c.state.db).await?;
        teams::remove_member(&*txn, &t, &member).await?;
        c.audit(&*txn, "team.member_removed", None, &t.name, &member.name)
            .await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

/// Deletes a team; its namespaces move to `transfer_to` (which the caller must manage too).
#[server(endpoint = "delete_team")]
pub async fn delete_team(name: String, transfer_to: Option<String>) -> Result<u64, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let team = managed_team(&c, &name).await?;
        let to = match transfer_to.filter(|t| !t.trim().is_empty()) {
            Some(t) => Some(managed_team(&c, t.trim()).await?),
            None => None,
        };
        let txn = crate::backend::db::begin_write(&c.state.db).await?;
        let moved = crate::backend::store::teams::delete(&*txn, team, to.as_ref()).await?;
        let details = to
            .map(|t| format!("{moved} namespaces moved to {}", t.name))
            .unwrap_or_default();
        c.audit(&*txn, "team.deleted", None, &name, &details).await?;
        txn.commit().await?;
        Ok(moved)
    })
    .await
}
