//! Administering users: list, create, disable/enable, make/unmake admin, reset password.
//! Administrators (and the operator) only; wharf never ends up without an enabled
//! administrator.

use super::Caller;
use crate::backend::db::begin_write;
use crate::backend::entity::user;
use crate::backend::store::users;
use crate::backend::AppState;
use crate::domain::dto::{Page, UserRow};
use crate::domain::AppError;

fn row(u: user::Model) -> UserRow {
    UserRow {
        id: u.id,
        name: u.name,
        email: u.email,
        admin: u.admin,
        disabled: u.disabled,
        created_at: u.created_at.to_rfc3339(),
    }
}

/// Users whose name (or email) contains `q`, a page at a time.
pub async fn list(
    state: &AppState,
    c: &Caller,
    q: Option<&str>,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Page<UserRow>, AppError> {
    c.require_admin()?;
    let (page, per_page) = crate::domain::page_request(page, per_page, 25)?;
    let (rows, total) = users::page(&state.db, q, page, per_page).await?;
    Ok(Page {
        items: rows.into_iter().map(row).collect(),
        total,
        page,
        per_page,
        total_capped: false,
    })
}

/// One user, by name.
pub async fn get(state: &AppState, c: &Caller, name: &str) -> Result<UserRow, AppError> {
    c.require_admin()?;
    users::require_by_name(&state.db, name).await.map(row)
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    /// Empty: none.
    pub email: String,
    pub password: String,
    pub admin: bool,
}

/// Creates a user with a local password, and their personal namespace.
pub async fn create(state: &AppState, c: &Caller, new: NewUser) -> Result<UserRow, AppError> {
    c.require_admin()?;
    let email = new.email.trim();
    let prepared = users::NewUser {
        name: crate::domain::names::name_for("user name", &new.name.trim().to_lowercase())?,
        email: (!email.is_empty()).then(|| email.to_owned()),
        password: new.password,
        admin: new.admin,
    }
    .prepare()
    .await?;
    let txn = begin_write(&state.db).await?;
    let u = users::insert(&*txn, prepared).await?;
    let details = if u.admin { "administrator" } else { "" };
    c.audit(&*txn, "user.created", None, &u.name, details).await?;
    txn.commit().await?;
    Ok(row(u))
}

/// Disables (ending their sessions and devices at once) or enables a user.
pub async fn set_disabled(state: &AppState, c: &Caller, name: &str, disabled: bool) -> Result<UserRow, AppError> {
    c.require_admin()?;
    let target = users::require_by_name(&state.db, name).await?;
    let txn = begin_write(&state.db).await?;
    let u = users::set_disabled(&txn, target, disabled).await?;
    let kind = if disabled { "user.disabled" } else { "user.enabled" };
    c.audit(&*txn, kind, None, &u.name, "").await?;
    txn.commit().await?;
    Ok(row(u))
}

/// Grants or takes away administrator rights.
pub async fn set_admin(state: &AppState, c: &Caller, name: &str, admin: bool) -> Result<UserRow, AppError> {
    c.require_admin()?;
    let target = users::require_by_name(&state.db, name).await?;
    let txn = begin_write(&state.db).await?;
    let u = users::set_admin(&txn, target, admin).await?;
    let kind = if admin { "user.made_admin" } else { "user.unmade_admin" };
    c.audit(&*txn, kind, None, &u.name, "").await?;
    txn.commit().await?;
    Ok(row(u))
}

/// Sets a new password for a user; their sessions and devices end.
pub async fn reset_password(state: &AppState, c: &Caller, name: &str, password: String) -> Result<(), AppError> {
    c.require_admin()?;
    let target = users::require_by_name(&state.db, name).await?;
    let hash = users::hash_new_password(password).await?;
    let txn = begin_write(&state.db).await?;
    let u = users::set_password(&*txn, target, hash).await?;
    c.audit(&*txn, "user.password_reset", None, &u.name, "").await?;
    txn.commit().await?;
    Ok(())
}
