//! What every server function needs: the state, and who is asking (from the session cookie).

use axum::http::request::Parts;
use leptos::prelude::{expect_context, use_context};

use crate::backend::auth::session;
use crate::backend::entity::user;
use crate::backend::AppState;
use crate::domain::AppError;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::Internal("server state missing".into()))
}

/// The session cookie value, if the request has one.
pub fn session_cookie() -> Option<String> {
    let parts = use_context::<Parts>()?;
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == session::COOKIE_NAME)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// The signed-in user, if any.
pub async fn current_user(state: &AppState) -> Result<Option<user::Model>, AppError> {
    match session_cookie() {
        Some(c) => session::user_for(&state.db, &c).await,
        None => Ok(None),
    }
}

/// The client address as the server saw it (for the audit log).
pub fn client_addr() -> Option<String> {
    use_context::<Parts>().and_then(|p| {
        p.extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
    })
}

/// Sets a response header from a server function.
pub fn set_cookie(value: &str) -> Result<(), AppError> {
    let opts = expect_context::<leptos_axum::ResponseOptions>();
    let v = axum::http::HeaderValue::from_str(value).map_err(|e| crate::backend::internal("building a cookie")(&e))?;
    opts.append_header(axum::http::header::SET_COOKIE, v);
    Ok(())
}

/// Gives a failed server function the HTTP status of its error (401, 403, …) instead of
/// the default 500, so logs and clients see what happened.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(
                axum::http::StatusCode::from_u16(e.status()).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    }
    result
}
