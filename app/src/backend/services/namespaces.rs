//! Managing namespaces: create in a team, change visibility and description, move to another
//! team, delete. The policy decides who (`authz::may_manage_namespace` and friends).

use super::Caller;
use crate::authz::{self, NamespaceFacts};
use crate::backend::db::begin_write;
use crate::backend::entity::{namespace, team};
use crate::backend::store::{namespaces, teams};
use crate::backend::AppState;
use crate::domain::{AppError, NamespaceName, Role, Visibility};

/// The caller's role in `team` (none for the operator, who manages every team anyway).
async fn role_in(state: &AppState, c: &Caller, team: &team::Model) -> Result<Option<Role>, AppError> {
    match c.user_id() {
        Some(id) => teams::role_of(&state.db, team.id, id).await,
        None => Ok(None),
    }
}

/// A namespace to create in a team.
#[derive(Debug, Clone)]
pub struct NewNamespace {
    pub team: String,
    pub name: String,
    pub visibility: Visibility,
    pub description: String,
}

/// Creates a namespace owned by a team (admins and that team's owners); returns its name.
/// Names follow the registry's grammar: lower-case letters, digits and single separators.
pub async fn create(state: &AppState, c: &Caller, new: NewNamespace) -> Result<String, AppError> {
    if c.user.is_none() && !c.is_operator() {
        return Err(AppError::Unauthorized("sign in first".into()));
    }
    let name = NamespaceName::try_from(new.name.trim().to_owned())?;
    let t = teams::require_by_name(&state.db, new.team.trim()).await?;
    if !authz::may_manage_team(&c.subject, role_in(state, c, &t).await?) {
        return Err(AppError::Forbidden(format!(
            "only owners of {} may create namespaces in it",
            t.name
        )));
    }
    let visibility = new.visibility;
    let txn = begin_write(&state.db).await?;
    let ns = namespaces::create_for_team(&*txn, &name, &t, visibility, new.description.trim()).await?;
    let details = format!("team {}, {visibility}", t.name);
    c.audit(&*txn, "namespace.created", Some(ns.id), &ns.name, &details)
        .await?;
    txn.commit().await?;
    Ok(ns.name)
}

/// A namespace the caller may see and manage, or 404/403.
async fn managed(state: &AppState, c: &Caller, name: &str) -> Result<(namespace::Model, NamespaceFacts), AppError> {
    if c.user.is_none() && !c.is_operator() {
        return Err(AppError::Unauthorized("sign in first".into()));
    }
    let (ns, facts) = c.namespace(state, name).await?;
    if !authz::may_manage_namespace(&c.subject, &facts) {
        return Err(AppError::Forbidden("you may not change this namespace".into()));
    }
    Ok((ns, facts))
}

/// Changes visibility and/or description.
pub async fn update(
    state: &AppState,
    c: &Caller,
    name: &str,
    visibility: Option<Visibility>,
    description: Option<&str>,
) -> Result<(), AppError> {
    let (ns, _) = managed(state, c, name).await?;
    let txn = begin_write(&state.db).await?;
    let ns = namespaces::update(&*txn, ns, visibility, description).await?;
    let details = visibility.map(|v| format!("visibility {v}")).unwrap_or_default();
    c.audit(&*txn, "namespace.updated", Some(ns.id), &ns.name, &details)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Moves a team namespace to another team the caller manages.
pub async fn transfer(state: &AppState, c: &Caller, name: &str, team: &str) -> Result<(), AppError> {
    let (ns, facts) = managed(state, c, name).await?;
    if !authz::may_delete_namespace(&c.subject, &facts) {
        return Err(AppError::BadRequest("only team namespaces move between teams".into()));
    }
    let to = teams::require_by_name(&state.db, team.trim()).await?;
    if !authz::may_manage_team(&c.subject, role_in(state, c, &to).await?) {
        return Err(AppError::Forbidden(format!(
            "only owners of {} may receive namespaces",
            to.name
        )));
    }
    let txn = begin_write(&state.db).await?;
    let ns = namespaces::transfer(&*txn, ns, &to).await?;
    let details = format!("to team {}", to.name);
    c.audit(&*txn, "namespace.transferred", Some(ns.id), &ns.name, &details)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes an empty team namespace (personal and global ones cannot be deleted).
pub async fn delete(state: &AppState, c: &Caller, name: &str) -> Result<(), AppError> {
    let (ns, facts) = managed(state, c, name).await?;
    if !authz::may_delete_namespace(&c.subject, &facts) {
        return Err(AppError::BadRequest(format!(
            "the {} namespace {:?} cannot be deleted",
            ns.kind, ns.name
        )));
    }
    let (id, ns_name) = (ns.id, ns.name.clone());
    let txn = begin_write(&state.db).await?;
    namespaces::delete(&*txn, ns).await?;
    c.audit(&*txn, "namespace.deleted", Some(id), &ns_name, "").await?;
    txn.commit().await?;
    Ok(())
}
