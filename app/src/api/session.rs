//! Signing in and out of the console.

use leptos::prelude::*;

use crate::domain::dto::CurrentUser;
use crate::domain::AppError;

#[cfg(feature = "ssr")]
fn to_dto(u: &crate::backend::entity::user::Model) -> CurrentUser {
    CurrentUser {
        id: u.id,
        name: u.name.clone(),
        email: u.email.clone(),
        admin: u.admin,
    }
}

/// The signed-in user, or `None`.
#[server]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    super::context::with_status(
        async move {
            let state = super::context::state()?;
            Ok(super::context::current_user(&state).await?.as_ref().map(to_dto))
        }
        .await,
    )
}

/// Signs in with a user name and password and starts a new session (a fresh id every time).
#[server]
pub async fn login(username: String, password: String) -> Result<CurrentUser, AppError> {
    super::context::with_status(
        async move {
            use crate::backend::auth::{credentials, secret, session};
            let state = super::context::state()?;
            // Application tokens are for docker and the API, not for the console.
            if password.starts_with(secret::APP_TOKEN_PREFIX) {
                return Err(AppError::Unauthorized(
                    "sign in with your password, not an application token".into(),
                ));
            }
            let addr = super::context::client_addr();
            let backoff = credentials::BackoffSettings {
                free_failures: state.config.login_failures_before_backoff,
                max_wait_secs: state.config.login_backoff_max_secs,
            };
            let identity = credentials::authenticate(
                &state.db,
                &state.auth_cache.credentials,
                &backoff,
                username.trim(),
                &password,
                addr.as_deref(),
            )
            .await?;
            if let Some(old) = super::context::session_cookie() {
                session::end(&state.db, &old).await?;
            }
            let value = session::create(&state.db, identity.user_id, state.config.session_ttl_hours).await?;
            super::context::set_cookie(&session::cookie(
                &value,
                state.config.secure_cookies(),
                state.config.session_ttl_hours * 3600,
            ))?;
            let user = crate::backend::store::users::require_by_name(&state.db, &identity.name).await?;
            Ok(to_dto(&user))
        }
        .await,
    )
}

/// Ends the current session.
#[server]
pub async fn logout() -> Result<(), AppError> {
    super::context::with_status(
        async move {
            use crate::backend::auth::session;
            let state = super::context::state()?;
            if let Some(c) = super::context::session_cookie() {
                session::end(&state.db, &c).await?;
            }
            super::context::set_cookie(&session::clearing_cookie(state.config.secure_cookies()))
        }
        .await,
    )
}
