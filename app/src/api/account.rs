//! The signed-in user's own things: profile, password, application tokens, docker devices.

use leptos::prelude::*;

use crate::domain::dto::{AppTokenRow, CreatedAppToken, CurrentUser, DeviceRow};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
use crate::backend::services::tokens;

/// Changes the email address shown on the profile (empty removes it).
#[server(endpoint = "update_profile")]
pub async fn update_profile(email: String) -> Result<CurrentUser, AppError> {
    super::context::run(async move {
        let (state, c) = super::context::caller().await?;
        let user = c.require_user()?.clone();
        let u = crate::backend::store::users::set_email(&state.db, user, &email).await?;
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
        let (state, c) = super::context::caller().await?;
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
        let hash = crate::backend::store::users::hash_new_password(new_password).await?;
        let txn = crate::backend::db::begin_write(&state.db).await?;
        let user = crate::backend::store::users::set_password(&*txn, user, hash).await?;
        c.audit(&*txn, "user.password_changed", None, &user.name, "").await?;
        txn.commit().await?;
        // Every other session ended with the old password; this browser signs in anew.
        let value = session::create(&state.db, user.id, state.config.session_ttl_hours).await?;
        super::context::set_cookie(&session::cookie(
            &value,
            state.config.secure_cookies(),
            state.config.session_ttl_hours * 3600,
        ))
    })
    .await
}

#[server(endpoint = "list_app_tokens")]
pub async fn list_app_tokens() -> Result<Vec<AppTokenRow>, AppError> {
    super::context::serve(async |state, c| tokens::list(state, c, None).await).await
}

/// Creates an application token; the secret is in the answer and never shown again.
/// `expires_in_days` 0 or empty: never expires.
#[server(endpoint = "create_app_token")]
pub async fn create_app_token(
    name: String,
    read_only: Option<String>,
    expires_in_days: Option<String>,
) -> Result<CreatedAppToken, AppError> {
    // A form's empty number field arrives as "".
    let expires = match expires_in_days.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(
            d.parse::<u32>()
                .map_err(|_| AppError::BadRequest(format!("expiry {d:?} is not a number of days")))?,
        ),
        None => None,
    }
    .filter(|d| *d > 0);
    let new = tokens::NewToken {
        of: None,
        name,
        // A checkbox: present (any value but "false") means checked.
        read_only: read_only.is_some_and(|v| v != "false"),
        expires_in_days: expires,
    };
    super::context::serve(async |state, c| tokens::create(state, c, new).await).await
}

#[server(endpoint = "revoke_app_token")]
pub async fn revoke_app_token(name: String) -> Result<(), AppError> {
    super::context::serve(async |state, c| tokens::revoke(state, c, None, &name).await).await
}

/// Where docker logged in with `docker login` (refresh tokens).
#[server(endpoint = "list_devices")]
pub async fn list_devices() -> Result<Vec<DeviceRow>, AppError> {
    super::context::serve(async |state, c| tokens::devices(state, c, None).await).await
}

#[server(endpoint = "revoke_device")]
pub async fn revoke_device(id: i64) -> Result<(), AppError> {
    super::context::serve(async |state, c| tokens::revoke_device(state, c, None, id).await).await
}
