//! `POST /v2/webhooks/events`: notifications from the registry replicas.
//!
//! The registry retries an event until it gets a 2xx, so wharf answers 2xx only after the
//! events are committed, 401 for a wrong secret, 4xx for input it will never accept, and 5xx
//! (retry later) when the database is unavailable.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use wharf_app::backend::error::ApiError;
use wharf_app::backend::events;
use wharf_app::backend::metrics::EventOutcome;
use wharf_app::backend::AppState;
use wharf_app::domain::AppError;

/// The envelope media types: registry 2.8 sends v1, registry 3 sends v2 (the same envelope;
/// v3's `target` embeds the OCI descriptor). Plain JSON is accepted too (curl, proxies).
const EVENTS_MEDIA_TYPES: [&str; 3] = [
    "application/vnd.docker.distribution.events.v1+json",
    "application/vnd.docker.distribution.events.v2+json",
    "application/json",
];

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// The replica the notification URL was generated for (`wharf registry-config`).
    replica: Option<String>,
}

fn authorized(headers: &HeaderMap, secret: &str) -> bool {
    let expected = format!("Bearer {secret}");
    headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| bool::from(v.as_bytes().ct_eq(expected.as_bytes())))
}

fn content_type_ok(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let essence = ct.split(';').next().unwrap_or("").trim();
    EVENTS_MEDIA_TYPES.iter().any(|m| essence.eq_ignore_ascii_case(m))
}

pub async fn receive(
    State(state): State<AppState>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let resp = receive_inner(&state, query, &headers, &body).await;
    if resp.status().is_client_error() {
        state.metrics.events(EventOutcome::rejected, 1);
    }
    resp
}

async fn receive_inner(state: &AppState, query: EventsQuery, headers: &HeaderMap, body: &[u8]) -> Response {
    if !authorized(headers, &state.notification_secret) {
        return ApiError(AppError::Unauthorized(
            "notifications need the shared secret wharf registry-config puts in the registry config".into(),
        ))
        .into_response();
    }
    if !content_type_ok(headers) {
        let err = AppError::UnsupportedMediaType(format!("send one of {}", EVENTS_MEDIA_TYPES.join(", ")));
        return ApiError(err).into_response();
    }
    let parsed = match events::parse_envelope(body) {
        Ok(e) => e,
        Err(e) => return ApiError(e).into_response(),
    };
    match state.ingest.ingest(query.replica, parsed).await {
        Ok(report) => {
            if report.webhooks > 0 {
                state.webhooks.wake();
            }
            let m = &state.metrics;
            m.events(EventOutcome::applied, report.applied.into());
            m.events(EventOutcome::duplicate, report.duplicates.into());
            m.events(
                EventOutcome::ignored,
                u64::from(report.ignored) + u64::from(report.stale),
            );
            (StatusCode::OK, Json(report)).into_response()
        }
        Err(e) => {
            // Anything but bad input is "try again": the registry keeps the event queued.
            let e = match e {
                AppError::BadRequest(_) => e,
                // The client sees only the context; the log at the edge keeps the cause.
                other => AppError::internal_from("storing events", &other),
            };
            let mut resp = ApiError(e.clone()).into_response();
            if matches!(e, AppError::Internal { .. }) {
                *resp.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            }
            resp
        }
    }
}
