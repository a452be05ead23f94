//! The signed-in user's own things: profile, password, application tokens, docker devices.

use leptos::prelude::*;

use crate::domain::dto::{AppTokenRow, CreatedAppToken, CurrentUser, DeviceRow};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
fn token_row(t: crate::backend::entity::app_token::Model) -> AppTokenRow {
    AppTokenRow {
        name: t.name,
        read_only: t.read_only,
        created_at: t.created_at.to_rfc3339(),
        expires_at: t.expires_at.map(|d| d.to_rfc3339()),
        last_used_at: t.last_used_at.map(|d| d.to_rfc3339()),
    }
}

/// Changes the email address shown on the profile (empty removes it).
#[server(endpoint = "update_profile")]
pub async fn update_profile(email: String) -> Result<CurrentUser, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let user = c.require_user()?.clone();
        let u = crate::backend::store::users::set_email(&c.state.db, user, &email).await?;
        Ok(CurrentUser {
            id: u.id,
            name: u.name,
            email: u.email,
            admin: u.admin,
        })
    })
    .await
}

/// Changes the caller's password after checking the current one. Every other session ends;
/// this one continues under a new id.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current: String,
    new_password: String,
    new_password_again: String,
) -> Result<(), AppError> {
    super::context::run(async move {
        use crate::backend::auth::{password, session};
        let c = super::context::caller().await?;
        let user = c.require_user()?.clone();
        if new_password != new_password_again {
            return Err(AppError::BadRequest("the two new passwords differ".into()));
        }
        let ok = match user.password_hash.clone() {
            Some(phc) => password::verify(current, phc).await,
            None => false,
        };
        if !ok {
            return Err(AppError::BadRequest("the current password is wrong".into()));
        }
        let user = crate::backend::store::users::set_password(&c.state.db, user, new_password).await?;
        let value = session::create(&c.state.db, user.id, c.state.config.session_ttl_hours).await?;
        super::context::set_cookie(&session::cookie(
            &value,
            c.state.config.secure_cookies(),
            c.state.config.session_ttl_hours * 3600,
        ))?;
        c.audit(&c.state.db, "user.password_changed", None, &user.name, "")
            .await
    })
    .await
}

#[server(endpoint = "list_app_tokens")]
pub async fn list_app_tokens() -> Result<Vec<AppTokenRow>, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let user = c.require_user()?;
        Ok(crate::backend::store::tokens::list_app_tokens(&c.state.db, user.id)
            .await?
            .into_iter()
            .map(token_row)
            .collect())
    })
    .await
}

/// Creates an application token; the secret is in the answer and never shown again.
/// `expires_in_days` 0 or empty: never expires.
#[server(endpoint = "create_app_token")]
pub async fn create_app_token(
    name: String,
    read_only: Option<String>,
    expires_in_days: Option<String>,
) -> Result<CreatedAppToken, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let user = c.require_user()?.clone();
        // A form's empty number field arrives as "".
        let expires = match expires_in_days.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => Some(
                d.parse::<u32>()
                    .map_err(|_| AppError::BadRequest(format!("expiry {d:?} is not a number of days")))?,
            ),
            None => None,
        }
        .filter(|d| *d > 0);
        if expires.is_some_and(|d| d > 3650) {
            return Err(AppError::BadRequest("tokens expire after at most 3650 days".into()));
        }
        // A checkbox: present (any value but "false") means checked.
        let read_only = read_only.is_some_and(|v| v != "false");
        // Made with an application token: no stronger, and not longer-lived, than it.
        if !read_only && matches!(&c.subject, crate::authz::Subject::User(u) if u.read_only) {
            return Err(AppError::Forbidden(
                "a read-only token can only make read-only tokens".into(),
            ));
        }
        let limit = c.credential.as_ref().and_then(|t| t.expires_at);
        let (row, token) =
            crate::backend::store::tokens::create_app_token(&c.state.db, &user, &name, read_only, expires, limit)
                .await?;
        let host = super::context::registry_host(&c.state).await?;
        c.audit(
            &c.state.db,
            "token.created",
            None,
            &row.name,
            if read_only { "read-only" } else { "full" },
        )
        .await?;
        Ok(CreatedAppToken {
            login_command: format!("docker login {host} -u {} --password-stdin", user.name),
            token,
            row: token_row(row),
        })
    })
    .await
}

#[server(endpoint = "revoke_app_token")]
pub async fn revoke_app_token(name: String) -> Result<(), AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let user = c.require_user()?;
        crate::backend::store::tokens::revoke_app_token(&c.state.db, user.id, &name).await?;
        c.audit(&c.state.db, "token.revoked", None, &name, "").await
    })
    .await
}

/// Where docker logged in with `docker login` (refresh tokens).
#[server(endpoint = "list_devices")]
pub async fn list_devices() -> Result<Vec<DeviceRow>, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let user = c.require_user()?;
        Ok(crate::backend::store::tokens::list_refresh_tokens(&c.state.db, user.id)
            .await?
            .into_iter()
            .map(|d| DeviceRow {
                id: d.id,
                client_id: d.client_id,
                user_agent: d.user_agent,
                created_at: d.created_at.to_rfc3339(),
                last_used_at: d.last_used_at.map(|t| t.to_rfc3339()),
                expires_at: d.expires_at.to_rfc3339(),
            })
            .collect())
    })
    .await
}

#[server(endpoint = "revoke_device")]
pub async fn revoke_device(id: i64) -> Result<(), AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let user = c.require_user()?;
        crate::backend::store::tokens::revoke_refresh_token(&c.state.db, user.id, id, chrono::Utc::now()).await?;
        crate::backend::store::auth_changes::record(&c.state.db, "device.revoked").await?;
        c.audit(&c.state.db, "device.revoked", None, &id.to_string(), "").await
    })
    .await
}
