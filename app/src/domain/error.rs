//! The one application error. It crosses the server-function boundary (serializable), carries
//! its HTTP status, and its message is safe to show: an internal error's cause travels with it
//! to the edge (the HTTP response, the CLI), which logs it once, and is never serialized.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What made an internal error happen (a database error, an I/O error…), kept for the log.
#[derive(Debug, Clone)]
pub struct Cause(Arc<str>);

impl Cause {
    /// The cause and every error below it, as one line.
    pub fn of(e: &(dyn std::error::Error + 'static)) -> Cause {
        let mut text = e.to_string();
        let mut next = e.source();
        while let Some(inner) = next {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            next = inner.source();
        }
        Cause(text.into())
    }

    /// A cause known only by its message.
    pub fn described(message: &dyn std::fmt::Display) -> Cause {
        Cause(message.to_string().into())
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Two errors are alike whatever their causes (tests compare what a client sees).
impl PartialEq for Cause {
    fn eq(&self, _: &Cause) -> bool {
        true
    }
}

impl Eq for Cause {}

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
    /// The endpoint does not take this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The body is not in a media type the endpoint reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Well-formed, but not what the endpoint takes (a JSON body with the wrong fields).
    #[error("{0}")]
    Unprocessable(String),
    /// Busy or a dependency is down: try again shortly (503 with `Retry-After`).
    #[error("{0}")]
    Unavailable(String),
    /// Something failed on our side; the client sees `context`, the server log the cause.
    #[error("internal error ({context}); the server log has details")]
    Internal {
        context: String,
        #[serde(skip)]
        cause: Option<Cause>,
    },
    /// The server function transport failed (network, serialization).
    #[error("request failed: {0}")]
    Transport(String),
}

impl AppError {
    /// An internal error without a deeper cause; `context` (what was being done) is shown.
    pub fn internal(context: impl Into<String>) -> AppError {
        AppError::Internal {
            context: context.into(),
            cause: None,
        }
    }

    /// An internal error caused by `cause`, which only the server log will show.
    pub fn internal_from(context: impl Into<String>, cause: &(dyn std::error::Error + 'static)) -> AppError {
        AppError::Internal {
            context: context.into(),
            cause: Some(Cause::of(cause)),
        }
    }

    /// For logs and the operator's terminal, never for a client: the message, and an internal
    /// error's cause after it.
    pub fn detailed(&self) -> String {
        match self {
            AppError::Internal {
                context,
                cause: Some(cause),
            } => format!("{context}: {cause}"),
            other => other.to_string(),
        }
    }

    /// The same error (same status, same cause), its message led by `prefix`.
    pub fn prefixed(self, prefix: &str) -> AppError {
        use AppError::*;
        let p = |m: String| format!("{prefix}: {m}");
        match self {
            BadRequest(m) => BadRequest(p(m)),
            Unauthorized(m) => Unauthorized(p(m)),
            Forbidden(m) => Forbidden(p(m)),
            NotFound(m) => NotFound(p(m)),
            Conflict(m) => Conflict(p(m)),
            PayloadTooLarge(m) => PayloadTooLarge(p(m)),
            TooManyRequests(m) => TooManyRequests(p(m)),
            MethodNotAllowed(m) => MethodNotAllowed(p(m)),
            UnsupportedMediaType(m) => UnsupportedMediaType(p(m)),
            Unprocessable(m) => Unprocessable(p(m)),
            Unavailable(m) => Unavailable(p(m)),
            Internal { context, cause } => Internal {
                context: p(context),
                cause,
            },
            Transport(m) => Transport(p(m)),
        }
    }

    /// The cause of an internal error, for the log.
    pub fn cause(&self) -> Option<&Cause> {
        match self {
            AppError::Internal { cause, .. } => cause.as_ref(),
            _ => None,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::MethodNotAllowed(_) => 405,
            AppError::PayloadTooLarge(_) => 413,
            AppError::UnsupportedMediaType(_) => 415,
            AppError::Unprocessable(_) => 422,
            AppError::TooManyRequests(_) => 429,
            AppError::Unavailable(_) => 503,
            AppError::Internal { .. } | AppError::Transport(_) => 500,
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
            AppError::MethodNotAllowed(_) => "method_not_allowed",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Unprocessable(_) => "unprocessable",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal { .. } => "internal",
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
        let error = match value {
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
        };
        // On the server this is a request that failed before the function ran (a missing or
        // malformed field): it answers with its own status, not the transport's default 500.
        #[cfg(feature = "ssr")]
        crate::api::context::set_status(&error);
        error
    }
}
