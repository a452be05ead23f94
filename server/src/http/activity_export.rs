//! `GET /console/activity/export?format=csv|json&user=&namespace=&kind=&from=&to=`: the
//! activity log as a download, with the console session and the same filter and visibility
//! rules as the activity page (a GET, so it changes nothing and needs no CSRF check).

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wharf_app::backend::{ApiError, AppState};
use wharf_app::domain::dto::ActivityFilter;
use wharf_app::domain::AppError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    format: String,
    user: Option<String>,
    namespace: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<ExportParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    match run(state, headers, params).await {
        Ok(resp) => resp,
        Err(e) => ApiError(e).into_response(),
    }
}

async fn run(
    state: AppState,
    headers: HeaderMap,
    params: Result<Query<ExportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    use wharf_app::api::context;
    use wharf_app::backend::services::{activity, Caller};
    let Query(p) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let cookie = context::session_cookie_in(&headers, state.config.secure_cookies());
    let caller = Caller::for_session(&state, cookie.as_deref(), None).await?;
    let filter = ActivityFilter {
        user: p.user,
        namespace: p.namespace,
        kind: p.kind,
        from: p.from,
        to: p.to,
    };
    let rows = activity::export(&state, &caller, &filter).await?;
    let (body, content_type, ext) = match p.format.as_str() {
        "csv" => (
            wharf_app::backend::store::activity::to_csv(&rows),
            "text/csv; charset=utf-8",
            "csv",
        ),
        "json" => (
            serde_json::to_string_pretty(&rows).map_err(|e| AppError::internal(format!("encoding the export: {e}")))?,
            "application/json",
            "json",
        ),
        other => {
            return Err(AppError::BadRequest(format!(
                "format {other:?} is not one of: csv, json"
            )))
        }
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"wharf-activity.{ext}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
