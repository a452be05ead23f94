//! `GET /metrics`: Prometheus text format. 404 when `metrics = false`; when `metrics_token`
//! is set, scrapes must send it as a Bearer token.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;
use wharf_app::backend::error::ApiError;
use wharf_app::backend::AppState;
use wharf_app::domain::AppError;

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !state.metrics.enabled() {
        return ApiError(AppError::NotFound("metrics are turned off (metrics = false)".into())).into_response();
    }
    if let Some(token) = &state.config.metrics_token {
        let expected = format!("Bearer {}", token.expose());
        let given = headers
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !bool::from(given.ct_eq(expected.as_bytes())) {
            return ApiError(AppError::Unauthorized(
                "send the metrics token as a Bearer token".into(),
            ))
            .into_response();
        }
    }
    match state
        .metrics
        .render(&state.db, state.config.database_max_connections)
        .await
    {
        Some(text) => (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        None => ApiError(AppError::internal("rendering metrics")).into_response(),
    }
}
