//! The activity log: administrators see everything; others see what happened in namespaces
//! they may browse, with client addresses only on what they did themselves. Exports (CSV,
//! JSON) are plain GET routes in the server using [`activity_query`], so a browser can
//! download them.

use leptos::prelude::*;

use crate::domain::dto::{ActivityRow, Page};
use crate::domain::AppError;

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
    super::context::run(async move {
        let filter = crate::domain::dto::ActivityFilter {
            user,
            namespace,
            kind,
            from,
            to,
        };
        let c = super::context::caller().await?;
        let (page, per_page) = crate::domain::page_request(page, per_page, 50)?;
        let resolved = resolve(&c, &filter).await?;
        crate::backend::store::activity::page(&c.state.db, &resolved.query(), page, per_page).await
    })
    .await
}

/// A filter turned into what the store needs, for one caller.
#[cfg(feature = "ssr")]
pub struct ResolvedFilter {
    visible: Option<Vec<i64>>,
    actor: Option<String>,
    namespace_id: Option<i64>,
    kind: Option<String>,
    from: Option<chrono::DateTime<chrono::Utc>>,
    until: Option<chrono::DateTime<chrono::Utc>>,
    addresses: crate::backend::store::activity::AddressView,
}

#[cfg(feature = "ssr")]
impl ResolvedFilter {
    pub fn query(&self) -> crate::backend::store::activity::ActivityQuery<'_> {
        crate::backend::store::activity::ActivityQuery {
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

#[cfg(feature = "ssr")]
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
#[cfg(feature = "ssr")]
pub async fn resolve(
    c: &super::context::Caller,
    filter: &crate::domain::dto::ActivityFilter,
) -> Result<ResolvedFilter, AppError> {
    c.require_user()?;
    let visible = c.visible_namespace_ids().await?;
    let namespace_id = match filter.namespace.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(name) => Some(c.namespace(if name == "(global)" { "" } else { name }).await?.0.id),
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
        addresses: crate::backend::store::activity::AddressView::for_reader(
            crate::authz::is_admin(&c.subject),
            c.user_id(),
        ),
    })
}
