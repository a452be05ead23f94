//! Administering users: list, create, disable/enable, make/unmake admin, reset password.
//! wharf never ends up without an enabled administrator.

use leptos::prelude::*;

use crate::domain::dto::{Page, UserRow};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
fn row(u: crate::backend::entity::user::Model) -> UserRow {
    UserRow {
        id: u.id,
        name: u.name,
        email: u.email,
        admin: u.admin,
        disabled: u.disabled,
        created_at: u.created_at.to_rfc3339(),
    }
}

#[server(endpoint = "list_users")]
pub async fn list_users(
    q: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Page<UserRow>, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        c.require_admin()?;
        let (page, per_page) = crate::domain::page_request(page, per_page, 25)?;
        let (rows, total) = crate::backend::store::users::page(&c.state.db, q.as_deref(), page, per_page).await?;
        Ok(Page {
            items: rows.into_iter().map(row).collect(),
            total,
            page,
            per_page,
        })
    })
    .await
}

#[server(endpoint = "create_user")]
pub async fn create_user(
    name: String,
    email: String,
    password: String,
    admin: Option<String>,
) -> Result<UserRow, AppError> {
    super::context::run(async move {
        use crate::backend::store::users;
        let c = super::context::caller().await?;
        c.require_admin()?;
        let email = email.trim();
        let u = users::create(
            &c.state.db,
            users::NewUser {
                name: crate::domain::NamespaceName::try_from(name.trim().to_lowercase())?,
                email: (!email.is_empty()).then(|| email.to_owned()),
                password,
                admin: admin.is_some_and(|v| v != "false"),
            },
        )
        .await?;
        c.audit(
            &c.state.db,
            "user.created",
            None,
            &u.name,
            if u.admin { "administrator" } else { "" },
        )
        .await?;
        Ok(row(u))
    })
    .await
}

/// What an administrator changes about a user.
#[cfg(feature = "ssr")]
enum Change {
    Disabled(bool),
    Admin(bool),
}

#[cfg(feature = "ssr")]
async fn change(name: String, what: Change) -> Result<UserRow, AppError> {
    use crate::backend::store::users;
    let c = super::context::caller().await?;
    c.require_admin()?;
    let target = users::require_by_name(&c.state.db, &name).await?;
    let (kind, u) = match what {
        Change::Disabled(true) => {
            let u = users::set_disabled(&c.state.db, target, true).await?;
            // A disabled user's console sessions end now, not when they expire.
            crate::backend::auth::session::end_all(&c.state.db, u.id).await?;
            ("user.disabled", u)
        }
        Change::Disabled(false) => ("user.enabled", users::set_disabled(&c.state.db, target, false).await?),
        Change::Admin(true) => ("user.made_admin", users::set_admin(&c.state.db, target, true).await?),
        Change::Admin(false) => ("user.unmade_admin", users::set_admin(&c.state.db, target, false).await?),
    };
    c.audit(&c.state.db, kind, None, &u.name, "").await?;
    Ok(row(u))
}

#[server(endpoint = "set_user_disabled")]
pub async fn set_user_disabled(name: String, disabled: bool) -> Result<UserRow, AppError> {
    super::context::run(change(name, Change::Disabled(disabled))).await
}

#[server(endpoint = "set_user_admin")]
pub async fn set_user_admin(name: String, admin: bool) -> Result<UserRow, AppError> {
    super::context::run(change(name, Change::Admin(admin))).await
}

/// Sets a new password for a user (their sessions end).
#[server(endpoint = "reset_password")]
pub async fn reset_password(name: String, password: String) -> Result<(), AppError> {
    super::context::run(async move {
        use crate::backend::store::users;
        let c = super::context::caller().await?;
        c.require_admin()?;
        let target = users::require_by_name(&c.state.db, &name).await?;
        let u = users::set_password(&c.state.db, target, password).await?;
        c.audit(&c.state.db, "user.password_reset", None, &u.name, "").await
    })
    .await
}
