//! The whole repository catalog as an operator sees it (orphans included), and removing a
//! repository that has no tags left: administrators only. Browsing for everyone else is in
//! [`super::browse`].

use super::Caller;
use crate::backend::store::{namespaces, repositories, tags};
use crate::backend::AppState;
use crate::domain::dto::RepositoryRow;
use crate::domain::{AppError, NamespaceName};

/// Every repository, or those of one namespace (`""`: the global one), orphans included.
pub async fn list(state: &AppState, c: &Caller, namespace: Option<&str>) -> Result<Vec<RepositoryRow>, AppError> {
    c.require_admin()?;
    let namespace_id = match namespace {
        Some(n) => {
            let name = (!n.is_empty())
                .then(|| NamespaceName::try_from(n.to_owned()))
                .transpose()?;
            let ns = namespaces::find(&state.db, name.as_ref())
                .await?
                .ok_or_else(|| AppError::NotFound(format!("no namespace called {n:?}")))?;
            Some(ns.id)
        }
        None => None,
    };
    repositories::rows(&state.db, namespace_id).await
}

/// Forgets a repository with no tags (one emptied on the registry). Checked and removed in one
/// transaction, so a tag pushed meanwhile is never lost; audited.
pub async fn remove(state: &AppState, c: &Caller, name: &str) -> Result<(), AppError> {
    c.require_admin()?;
    let txn = crate::backend::db::begin_write(&state.db).await?;
    let repo = repositories::find_by_name(&*txn, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no repository called {name:?}")))?;
    if !tags::list(&*txn, repo.id).await?.is_empty() {
        return Err(AppError::Conflict(format!(
            "{name} still has tags: delete them first (wharf tag delete)"
        )));
    }
    repositories::remove(&*txn, repo.id).await?;
    c.audit(&*txn, "repository.removed", repo.namespace_id, &repo.name, "")
        .await?;
    txn.commit().await?;
    Ok(())
}
