//! Mapping errors to HTTP, in one place.
//!
//! Server code returns [`AppError`]; an internal failure carries its cause up to the edge,
//! where [`log_at_edge`] logs it once (in the request's span, so with its request id) and the
//! client sees only what was being done.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::domain::AppError;

/// Turns a failure into an [`AppError::Internal`] saying what was being done, keeping the
/// failure as its cause (for the log at the edge, never for the client).
pub fn internal(context: &'static str) -> impl FnOnce(&dyn std::fmt::Display) -> AppError {
    move |e| AppError::Internal {
        context: context.to_owned(),
        cause: Some(crate::domain::error::Cause::described(e)),
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = e.sql_err() {
            return AppError::Conflict("that name is already taken".into());
        }
        AppError::internal_from("database error", &e)
    }
}

/// Logs an error where it leaves wharf (an HTTP answer, a server function's): internal
/// failures with their cause, once. Everything else is the client's business (the access log
/// has its status).
pub fn log_at_edge(e: &AppError) {
    if let AppError::Internal { context, cause } = e {
        match cause {
            Some(cause) => tracing::error!(%cause, "{context}"),
            None => tracing::error!("{context}"),
        }
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
    /// `method_not_allowed`, `conflict`, `payload_too_large`, `unsupported_media_type`,
    /// `unprocessable`, `too_many_requests`, `unavailable`, `internal`.
    pub code: String,
    /// For people: what went wrong and what to change.
    pub message: String,
    /// More about the error where there is more to say (the field at fault, a wait); else `{}`.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Answers with wharf's JSON error body; every JSON endpoint's errors go through here.
fn json_error(status: StatusCode, code: &str, message: impl Into<String>, details: serde_json::Value) -> Response {
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

impl ApiError {
    /// The answer, with more to say in `details` (the field at fault, a parser's reason).
    pub fn with_details(self, details: serde_json::Value) -> Response {
        log_at_edge(&self.0);
        with_retry_after(
            &self.0,
            json_error(status_of(&self.0), self.0.code(), self.0.to_string(), details),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.with_details(json!({}))
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
        log_at_edge(&self.error);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_keeps_its_cause_for_the_log_not_the_client() {
        let e = AppError::from(sea_orm::DbErr::Custom("relation \"secret_table\" is broken".into()));
        assert_eq!(e.status(), 500);
        let shown = e.to_string();
        assert!(
            !shown.contains("secret_table"),
            "the client never sees the cause: {shown}"
        );
        assert!(e.detailed().contains("secret_table"), "the log does: {}", e.detailed());
        // The cause is not serialized either (server functions send AppError as JSON).
        let wire = serde_json::to_string(&e).unwrap();
        assert!(!wire.contains("secret_table"), "{wire}");
        let back: AppError = serde_json::from_str(&wire).unwrap();
        assert_eq!(back.to_string(), shown);
    }

    #[test]
    fn every_status_has_its_code() {
        for (e, status, code) in [
            (AppError::MethodNotAllowed("x".into()), 405, "method_not_allowed"),
            (
                AppError::UnsupportedMediaType("x".into()),
                415,
                "unsupported_media_type",
            ),
            (AppError::Unprocessable("x".into()), 422, "unprocessable"),
            (AppError::Unavailable("x".into()), 503, "unavailable"),
        ] {
            assert_eq!((e.status(), e.code()), (status, code));
            let resp = ApiError(e).into_response();
            assert_eq!(resp.status().as_u16(), status);
        }
    }
}
