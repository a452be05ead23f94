//! `/api/v1/activities`: the activity log.

use serde::Deserialize;
use utoipa::IntoParams;
use wharf_app::backend::error::ApiError;
use wharf_app::backend::services::activity;
use wharf_app::domain::dto::{ActivityFilter, ActivityRow, Page};

use super::extract::Query;
use super::{Api, Errors};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Who did it (user name).
    pub user: Option<String>,
    /// Where (namespace name).
    pub namespace: Option<String>,
    /// What: an exact kind (`image.pushed`) or a prefix ending in `.` (`image.`).
    pub kind: Option<String>,
    /// From this day on (`YYYY-MM-DD`, UTC, inclusive).
    pub from: Option<String>,
    /// Up to this day (`YYYY-MM-DD`, UTC, inclusive).
    pub to: Option<String>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    /// Default 50, at most 100.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// What happened, newest first: administrators see everything, others what happened in
/// namespaces they may pull from, with client addresses only on their own entries.
#[utoipa::path(get, path = "/api/v1/activities", tag = "activities", params(ActivityQuery),
    responses((status = 200, body = Page<ActivityRow>), Errors))]
pub async fn list(api: Api, Query(q): Query<ActivityQuery>) -> Result<axum::Json<Page<ActivityRow>>, ApiError> {
    let filter = ActivityFilter {
        user: q.user,
        namespace: q.namespace,
        kind: q.kind,
        from: q.from,
        to: q.to,
    };
    api.call(async |s, c| activity::list(s, c, &filter, q.page, q.per_page).await)
        .await
        .map(axum::Json)
}
