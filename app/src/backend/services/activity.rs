//! The activity (audit) log: administrators read everything; others read what happened in
//! namespaces they may browse, with client addresses only on what they did themselves.

use super::Caller;
use crate::backend::store::activity;
use crate::backend::AppState;
use crate::domain::dto::{ActivityFilter, ActivityRow, Page};
use crate::domain::AppError;

/// One page of the log, newest first. Every filter is optional; `kind` is exact or a prefix
/// ending in `.` (`image.`), dates are `YYYY-MM-DD` (UTC, inclusive).
pub async fn list(
    state: &AppState,
    c: &Caller,
    filter: &ActivityFilter,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Page<ActivityRow>, AppError> {
    let (page, per_page) = crate::domain::page_request(page, per_page, 50)?;
    let resolved = resolve(state, c, filter).await?;
    activity::page(&state.db, &resolved.query(), page, per_page).await
}

/// The kinds of entry the log holds (`image.pushed`, `webhook.created`…), for the kind filter:
/// names of events, not events, so anyone who may read the log may read them.
pub async fn kinds(state: &AppState, c: &Caller) -> Result<Vec<String>, AppError> {
    c.require_user()?;
    activity::kinds(&state.db).await
}

/// Most rows one export holds.
pub const MAX_EXPORT_ROWS: u64 = 100_000;

/// Every entry matching the filter (up to [`MAX_EXPORT_ROWS`]), newest first, for CSV or JSON.
pub async fn export(state: &AppState, c: &Caller, filter: &ActivityFilter) -> Result<Vec<ActivityRow>, AppError> {
    newest(state, c, filter, MAX_EXPORT_ROWS).await
}

/// The newest `limit` entries matching the filter (at most [`MAX_EXPORT_ROWS`]).
pub async fn newest(
    state: &AppState,
    c: &Caller,
    filter: &ActivityFilter,
    limit: u64,
) -> Result<Vec<ActivityRow>, AppError> {
    let resolved = resolve(state, c, filter).await?;
    activity::newest(&state.db, &resolved.query(), limit.clamp(1, MAX_EXPORT_ROWS)).await
}

/// A filter turned into what the store needs, for one caller.
pub struct ResolvedFilter {
    visible: Option<Vec<i64>>,
    actor: Option<String>,
    namespace_id: Option<i64>,
    kind: Option<String>,
    from: Option<chrono::DateTime<chrono::Utc>>,
    until: Option<chrono::DateTime<chrono::Utc>>,
    addresses: activity::AddressView,
}

impl ResolvedFilter {
    pub fn query(&self) -> activity::ActivityQuery<'_> {
        activity::ActivityQuery {
            visible_namespaces: self.visible.as_deref(),
            actor: self.actor.as_deref(),
            namespace_id: self.namespace_id,
            kind: self.kind.as_deref(),
            from: self.from,
            until: self.until,
            addresses: self.addresses,
        }
    }
}

fn parse_day(s: &Option<String>, field: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| AppError::BadRequest(format!("{field}: {s:?} is not a date (YYYY-MM-DD)")))
        })
        .transpose()
}

/// Checks the caller may read the log and turns the filter into store terms.
pub async fn resolve(state: &AppState, c: &Caller, filter: &ActivityFilter) -> Result<ResolvedFilter, AppError> {
    // Signed-in users and the operator; anonymous visitors read no log.
    if !c.is_operator() {
        c.require_user()?;
    }
    let visible = c.visible_namespace_ids(state).await?;
    let namespace_id = match filter.namespace.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(name) => Some(
            c.namespace(state, if name == "(global)" { "" } else { name })
                .await?
                .0
                .id,
        ),
        None => None,
    };
    let start = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let from = parse_day(&filter.from, "from")?.and_then(start);
    let until = parse_day(&filter.to, "to")?.and_then(|d| d.succ_opt()).and_then(start);
    let clean = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    Ok(ResolvedFilter {
        visible,
        actor: clean(&filter.user),
        namespace_id,
        kind: clean(&filter.kind),
        from,
        until,
        addresses: activity::AddressView::for_reader(crate::authz::is_admin(&c.subject), c.user_id()),
    })
}
