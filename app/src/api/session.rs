//! Signing in and out of the console: server functions over
//! [`crate::backend::services::account`]; setting and clearing the session cookie is theirs.

use leptos::prelude::*;

use crate::domain::dto::{CurrentUser, Viewer};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
use crate::backend::services::account;

/// Sets the session cookie for a new session.
#[cfg(feature = "ssr")]
fn start_session(state: &crate::backend::AppState, signed_in: account::SignedIn) -> Result<CurrentUser, AppError> {
    let ttl = state.config.session_ttl_hours;
    super::context::set_cookie(&crate::backend::auth::session::cookie(
        &signed_in.session,
        state.config.secure_cookies(),
        ttl * 3600,
    ))?;
    Ok(signed_in.user)
}

/// The signed-in user, or `None`.
#[server(endpoint = "whoami")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    super::context::with_status(async move { Ok(super::context::caller().await?.1.current_user()) }.await)
}

/// Signs in with a user name and password and starts a new session (a fresh id every time).
#[server(endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<CurrentUser, AppError> {
    super::context::with_status(
        async move {
            let state = super::context::state()?;
            let previous = super::context::session_cookie();
            let ip = super::context::client_ip();
            let signed_in = account::sign_in(&state, &username, &password, ip, previous.as_deref()).await?;
            start_session(&state, signed_in)
        }
        .await,
    )
}

/// Ends the current session.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    super::context::with_status(
        async move {
            let state = super::context::state()?;
            account::sign_out(&state, super::context::session_cookie().as_deref()).await?;
            super::context::set_cookie(&crate::backend::auth::session::clearing_cookie(
                state.config.secure_cookies(),
            ))
        }
        .await,
    )
}

/// Who is looking and the console-wide settings: what every page needs to decide what to show
/// (the UI asks the same policy as the server with these).
#[server(endpoint = "viewer")]
pub async fn get_viewer() -> Result<Viewer, AppError> {
    super::context::serve(async |state, c| account::viewer(state, c).await).await
}

/// Creates an account and signs it in. Allowed when `signup` is on; with the one-time setup
/// token that `wharf serve` issues while no administrator exists, the account is the first
/// administrator (whether or not `signup` is on).
#[server(endpoint = "signup")]
pub async fn signup(
    username: String,
    email: String,
    password: String,
    password_again: String,
    setup_token: Option<String>,
) -> Result<CurrentUser, AppError> {
    let new = account::NewAccount {
        username,
        email,
        password,
        password_again,
        setup_token,
    };
    super::context::serve(async move |state, c| {
        let signed_in = account::sign_up(state, c, new).await?;
        start_session(state, signed_in)
    })
    .await
}
