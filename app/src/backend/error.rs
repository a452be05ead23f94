//! Mapping errors to HTTP, in one place.
//!
//! Server code returns [`AppError`]; database and other internal failures are logged here with
//! their details and reach clients only as a generic message.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::domain::AppError;

/// Logs an internal failure and turns it into a safe [`AppError::Internal`].
pub fn internal(context: &'static str) -> impl FnOnce(&dyn std::fmt::Display) -> AppError {
    move |e| {
        tracing::error!(error = %e, "{context}");
        AppError::Internal(context.to_owned())
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = e.sql_err() {
            return AppError::Conflict("that name is already taken".into());
        }
        tracing::error!(error = %e, "database error");
        AppError::Internal("database error".into())
    }
}

fn status_of(e: &AppError) -> StatusCode {
    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// wharf's JSON error body: `{"error":{"code","message","details"}}`.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable and machine-readable: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `payload_too_large`, `unsupported_media_type`, `method_not_allowed`,
    /// `too_many_requests`, `internal`.
    pub code: String,
    /// For people: what went wrong and what to change.
    pub message: String,
    /// More about the error where there is more to say (the field at fault, a wait); else `{}`.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Answers with wharf's JSON error body; every JSON endpoint's errors go through here.
pub fn json_error(status: StatusCode, code: &str, message: impl Into<String>, details: serde_json::Value) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message: message.into(),
            details,
        },
    };
    (status, axum::Json(body)).into_response()
}

/// An [`AppError`] answered as wharf's JSON error body.
pub struct ApiError(pub AppError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        with_retry_after(
            &self.0,
            json_error(status_of(&self.0), self.0.code(), self.0.to_string(), json!({})),
        )
    }
}

/// 503s say when to come back (clients and load balancers honour `Retry-After`).
pub fn with_retry_after(error: &AppError, mut resp: Response) -> Response {
    if matches!(error, AppError::Unavailable(_)) {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    resp
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

/// An [`AppError`] answered the way docker clients expect from registry endpoints:
/// `{"errors":[{"code","message"}]}`, with a `WWW-Authenticate: Basic` challenge on 401.
pub struct DistributionError {
    pub error: AppError,
    pub realm: String,
}

impl IntoResponse for DistributionError {
    fn into_response(self) -> Response {
        let code = match &self.error {
            AppError::BadRequest(_) => "INVALID_REQUEST",
            AppError::Unauthorized(_) => "UNAUTHORIZED",
            AppError::Forbidden(_) => "DENIED",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::TooManyRequests(_) => "TOOMANYREQUESTS",
            AppError::Unavailable(_) => "UNAVAILABLE",
            _ => "UNKNOWN",
        };
        let body = json!({"errors": [{"code": code, "message": self.error.to_string()}]});
        let mut resp = with_retry_after(&self.error, (status_of(&self.error), axum::Json(body)).into_response());
        if matches!(self.error, AppError::Unauthorized(_)) {
            let challenge = format!("Basic realm=\"{}\"", self.realm.replace('"', ""));
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        resp
    }
}
