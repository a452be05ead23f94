//! Gives every failed server function the HTTP status of its error.
//!
//! Server function bodies set their status themselves (`api::context::with_status`), but a
//! request that fails before the body runs (a missing or malformed field) leaves the server_fn
//! crate's default 500. Its body is still our [`AppError`] as JSON, so the status is read from
//! there: malformed input answers 400, never 500.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use wharf_app::domain::AppError;

/// Error bodies are short messages; anything bigger is passed on untouched.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn fix_status(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    if resp.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !resp
            .headers()
            .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = match to_bytes(body, MAX_ERROR_BODY).await {
        Ok(b) => b,
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}
