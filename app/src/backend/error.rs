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

/// An [`AppError`] answered as wharf's JSON error body `{"error":{"code","message"}}`.
pub struct ApiError(pub AppError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.0.code(), "message": self.0.to_string()}});
        (status_of(&self.0), axum::Json(body)).into_response()
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
            _ => "UNKNOWN",
        };
        let body = json!({"errors": [{"code": code, "message": self.error.to_string()}]});
        let mut resp = (status_of(&self.error), axum::Json(body)).into_response();
        if matches!(self.error, AppError::Unauthorized(_)) {
            let challenge = format!("Basic realm=\"{}\"", self.realm.replace('"', ""));
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        resp
    }
}
