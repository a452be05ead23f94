//! The signed-in user's own things: profile, password, application tokens, docker devices.

use leptos::prelude::*;

use crate::domain::dto::{AppTokenRow, CreatedAppToken, CurrentUser, DeviceRow};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
use crate::backend::services::{account, tokens};

/// Changes the email address shown on the profile (empty removes it).
#[server(endpoint = "update_profile")]
pub async fn update_profile(email: String) -> Result<CurrentUser, AppError> {
    super::context::serve(async |state, c| account::update_profile(state, c, &email).await).await
}

/// Changes the caller's password after checking the current one. Every other session ends;
/// this one continues under a new id.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current: String,
    new_password: String,
    new_password_again: String,
) -> Result<(), AppError> {
    super::context::serve(async move |state, c| {
        let session = account::change_password(state, c, current, new_password, new_password_again).await?;
        super::context::set_cookie(&crate::backend::auth::session::cookie(
            &session,
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
