//! Managing namespaces: create in a team, change visibility and description, move to another
//! team, delete. The policy decides who (authz::may_manage_namespace and friends).

use leptos::prelude::*;

use crate::domain::{AppError, Visibility};

/// Creates a namespace owned by `team` (admins and that team's owners). Names follow the
/// registry's grammar: lower-case letters, digits and single separators.
#[server(endpoint = "create_namespace")]
pub async fn create_namespace(
    team: String,
    name: String,
    visibility: Visibility,
    description: String,
) -> Result<String, AppError> {
    super::context::run(async move {
        use crate::backend::store::{namespaces, teams};
        let c = super::context::caller().await?;
        let user = c.require_user()?;
        let name = crate::domain::NamespaceName::try_from(name.trim().to_owned())?;
        let t = teams::require_by_name(&c.state.db, team.trim()).await?;
        let role = teams::role_of(&c.state.db, t.id, user.id).await?;
        if !crate::authz::may_manage_team(&c.subject, role) {
            return Err(AppError::Forbidden(format!(
                "only owners of {} may create namespaces in it",
                t.name
            )));
        }
        let txn = crate::backend::db::begin_write(&c.state.db).await?;
        let ns = namespaces::create_for_team(&*txn, &name, &t, visibility, description.trim()).await?;
        c.audit(
            &*txn,
            "namespace.created",
            Some(ns.id),
            &ns.name,
            &format!("team {}, {visibility}", t.name),
        )
        .await?;
        txn.commit().await?;
        Ok(ns.name)
    })
    .await
}

/// A namespace the caller may see and manage, or 404/403.
#[cfg(feature = "ssr")]
async fn managed(
    c: &super::context::Caller,
    name: &str,
) -> Result<(crate::backend::entity::namespace::Model, crate::authz::NamespaceFacts), AppError> {
    c.require_user()?;
    let (ns, facts) = c.namespace(name).await?;
    if !crate::authz::may_manage_namespace(&c.subject, &facts) {
        return Err(AppError::Forbidden("you may not change this namespace".into()));
    }
    Ok((ns, facts))
}

/// Changes visibility and/or description.
#[server(endpoint = "update_namespace")]
pub async fn update_namespace(
    name: String,
    visibility: Option<Visibility>,
    description: Option<String>,
) -> Result<(), AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let (ns, _) = managed(&c, &name).await?;
        let txn = crate::backend::db::begin_write(&c.state.db).await?;
        let ns = crate::backend::store::namespaces::update(&*txn, ns, visibility, description.as_deref()).await?;
        let details = visibility.map(|v| format!("visibility {v}")).unwrap_or_default();
        c.audit(&*txn, "namespace.updated", Some(ns.id), &ns.name, &details)
            .await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

/// Moves a team namespace to another team the caller manages.
#[server(endpoint = "transfer_namespace")]
pub async fn transfer_namespace(name: String, team: String) -> Result<(), AppError> {
    super::context::run(async move {
        use crate::backend::store::{namespaces, teams};
        let c = super::context::caller().await?;
        let (ns, facts) = managed(&c, &name).await?;
        if !crate::authz::may_delete_namespace(&c.subject, &facts) {
            return Err(AppError::BadRequest("only team namespaces move between teams".into()));
        }
        let to = teams::require_by_name(&c.state.db, team.trim()).await?;
        let role = teams::role_of(&c.state.db, to.id, c.require_user()?.id).await?;
        if !crate::authz::may_manage_team(&c.subject, role) {
            return Err(AppError::Forbidden(format!(
                "only owners of {} may receive namespaces",
                to.name
            )));
        }
        let txn = crate::backend::db::begin_write(&c.state.db).await?;
        let ns = namespaces::transfer(&*txn, ns, &to).await?;
        c.audit(
            &*txn,
            "namespace.transferred",
            Some(ns.id),
            &ns.name,
            &format!("to team {}", to.name),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

/// Deletes an empty team namespace (personal and global ones cannot be deleted).
#[server(endpoint = "delete_namespace")]
pub async fn delete_namespace(name: String) -> Result<(), AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let (ns, facts) = managed(&c, &name).await?;
        if !crate::authz::may_delete_namespace(&c.subject, &facts) {
            return Err(AppError::BadRequest(format!(
                "the {} namespace {:?} cannot be deleted",
                ns.kind, ns.name
            )));
        }
        let txn = crate::backend::db::begin_write(&c.state.db).await?;
        let (id, ns_name) = (ns.id, ns.name.clone());
        crate::backend::store::namespaces::delete(&*txn, ns).await?;
        c.audit(&*txn, "namespace.deleted", Some(id), &ns_name, "").await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}
