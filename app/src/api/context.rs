//! What every server function needs: the state, and who is asking (from the session cookie).

use axum::http::request::Parts;
use leptos::prelude::{expect_context, use_context};

use crate::backend::auth::session;
pub use crate::backend::services::Caller;
use crate::backend::AppState;
use crate::domain::AppError;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("server state missing"))
}

/// The session cookie value, if the request has one.
pub fn session_cookie() -> Option<String> {
    let parts = use_context::<Parts>()?;
    let secure = state().ok()?.config.secure_cookies();
    session_cookie_in(&parts.headers, secure)
}

/// The session cookie value in these request headers: the cookie named for this mode
/// (`secure`: `Config::secure_cookies`), never the other one.
pub fn session_cookie_in(headers: &axum::http::HeaderMap, secure: bool) -> Option<String> {
    let name = session::cookie_name(secure);
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// The client's address (the peer, or what a trusted proxy says), for limits.
pub fn client_ip() -> Option<std::net::IpAddr> {
    let parts = use_context::<Parts>()?;
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    Some(match state() {
        Ok(s) => s.client_ip(peer, &parts.headers),
        Err(_) => peer,
    })
}

/// The client's address as text, for the audit log.
pub fn client_addr() -> Option<String> {
    client_ip().map(|a| a.to_string())
}

/// Sets a response header from a server function.
pub fn set_cookie(value: &str) -> Result<(), AppError> {
    let opts = expect_context::<leptos_axum::ResponseOptions>();
    let v = axum::http::HeaderValue::from_str(value).map_err(|e| crate::backend::internal("building a cookie")(&e))?;
    opts.append_header(axum::http::header::SET_COOKIE, v);
    Ok(())
}

/// Gives a failed server function the HTTP status of its error (401, 403, …) instead of
/// the default 500, so logs and clients see what happened; the edge of a server function,
/// where an internal error is logged.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        crate::backend::error::log_at_edge(e);
        set_status(e);
    }
    result
}

/// Sets this server function's response status to the error's.
pub fn set_status(e: &AppError) {
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(
            axum::http::StatusCode::from_u16(e.status()).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
}

/// The state and who is calling this server function (from the session cookie), resolved once.
pub async fn caller() -> Result<(AppState, Caller), AppError> {
    let state = state()?;
    let addr = client_addr();
    let caller = Caller::for_session(&state, session_cookie().as_deref(), addr).await?;
    Ok((state, caller))
}

/// Runs a server function body and gives its error the right HTTP status.
pub async fn run<T>(body: impl std::future::Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    // A change made here (a revoked token, a disabled user, a new member) holds for this
    // process's very next docker request, not only after the next poll of the change log.
    if result.is_ok() {
        if let Ok(s) = state() {
            s.auth_cache.sync(&s.db).await;
        }
    }
    with_status(result)
}

/// Runs a service as this server function's caller: resolves the caller, calls `service`,
/// and gives an error its HTTP status (see [`run`]).
pub async fn serve<T>(service: impl AsyncFnOnce(&AppState, &Caller) -> Result<T, AppError>) -> Result<T, AppError> {
    run(async move {
        let (state, caller) = caller().await?;
        service(&state, &caller).await
    })
    .await
}
