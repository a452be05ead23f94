//! The one application error. It crosses the server-function boundary (serializable), carries
//! its HTTP status, and its message is safe to show: internal details stay in the server log.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Bad input: the message says what to fix.
    #[error("{0}")]
    BadRequest(String),
    /// Not signed in, or the credentials are wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the policy says no.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The request body is over the size limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Too many attempts; try again later.
    #[error("{0}")]
    TooManyRequests(String),
    /// Busy or a dependency is down: try again shortly (503 with `Retry-After`).
    #[error("{0}")]
    Unavailable(String),
    /// Something failed on our side; details are in the server log only.
    #[error("internal error ({0}); the server log has details")]
    Internal(String),
    /// The server function transport failed (network, serialization).
    #[error("request failed: {0}")]
    Transport(String),
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::PayloadTooLarge(_) => 413,
            AppError::TooManyRequests(_) => 429,
            AppError::Unavailable(_) => 503,
            AppError::Internal(_) | AppError::Transport(_) => 500,
        }
    }

    /// A stable machine-readable code for JSON bodies.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
            AppError::Transport(_) => "transport",
        }
    }
}

impl From<crate::domain::NameError> for AppError {
    fn from(e: crate::domain::NameError) -> Self {
        AppError::BadRequest(e.to_string())
    }
}

/// Lets server functions return `AppError` directly; transport failures become `Transport`.
impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;
    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            // The request itself is wrong (a missing or malformed field): the caller's to fix.
            E::Args(m) => AppError::BadRequest(format!("malformed request: {m}")),
            E::MissingArg(m) => AppError::BadRequest(format!("missing field: {m}")),
            E::UnsupportedRequestMethod(m) => AppError::BadRequest(m),
            // A body that is not what the function reads (not UTF-8, not a form, not JSON).
            E::Deserialization(m) => AppError::BadRequest(format!("malformed request: {m}")),
            // Reading the body failed: over the size limit, or the client broke off.
            E::Request(m) if m.contains("length limit") => {
                AppError::PayloadTooLarge("the request body is larger than the 1 MiB limit".into())
            }
            E::Request(m) => AppError::BadRequest(format!("unreadable request: {m}")),
            other => AppError::Transport(other.to_string()),
        }
    }
}
