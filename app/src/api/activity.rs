//! The activity log: administrators see everything; others see what happened in namespaces
//! they may browse, with client addresses only on what they did themselves. Exports (CSV,
//! JSON) are plain GET routes in the server, over the same service, so a browser can download
//! them.

use leptos::prelude::*;

use crate::domain::dto::{ActivityRow, Page};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
use crate::backend::services::activity as svc;

/// One page of the log, newest first. Every filter is optional; `kind` is exact or a prefix
/// ending in `.` (`image.`), dates are `YYYY-MM-DD` (UTC, inclusive).
#[server(endpoint = "list_activities")]
pub async fn list_activities(
    user: Option<String>,
    namespace: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Page<ActivityRow>, AppError> {
    let filter = crate::domain::dto::ActivityFilter {
        user,
        namespace,
        kind,
        from,
        to,
    };
    super::context::serve(async move |state, c| svc::list(state, c, &filter, page, per_page).await).await
}

/// The kinds of entry the log holds, for the kind filter.
#[server(endpoint = "activity_kinds")]
pub async fn activity_kinds() -> Result<Vec<String>, AppError> {
    super::context::serve(async move |state, c| svc::kinds(state, c).await).await
}
