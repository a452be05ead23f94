//! The activity log with filters (user, namespace, kind, dates) kept in the URL, and CSV /
//! JSON export of the same filter.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::activity::{activity_kinds, list_activities};
use crate::domain::dto::ActivityFilter;
use crate::ui::components::{encode, style, Empty, Loading, PageError, Pager, QueryNav};
use crate::ui::short_time;

/// The kind filter's choices: each group (`image.*`) followed by its kinds, from the kinds the
/// log holds.
fn kind_choices(kinds: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for kind in kinds {
        if let Some((group, _)) = kind.split_once('.') {
            let prefix = format!("{group}.");
            if !out.contains(&prefix) {
                out.push(prefix);
            }
        }
        out.push(kind.clone());
    }
    out
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| query.with(|m| m.get(k)).filter(|s| !s.is_empty());
    let filter = move || ActivityFilter {
        user: get("user"),
        namespace: get("namespace"),
        kind: get("kind"),
        from: get("from"),
        to: get("to"),
    };
    let data = Resource::new(
        move || (filter(), get("page").and_then(|p| p.parse::<u64>().ok())),
        |(f, page)| list_activities(f.user, f.namespace, f.kind, f.from, f.to, page, None),
    );
    let nav = QueryNav::current();
    let export = move |format: &str| {
        let f = filter();
        let mut parts = vec![format!("format={format}")];
        for (k, v) in [
            ("user", f.user),
            ("namespace", f.namespace),
            ("kind", f.kind),
            ("from", f.from),
            ("to", f.to),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={}", encode(&v)));
            }
        }
        format!("/console/activity/export?{}", parts.join("&"))
    };
    let filter_input = move |key: &'static str, label: &'static str, kind: &'static str| {
        let nav = nav.clone();
        view! {
            <div>
                <label for=format!("filter-{key}") class=style::LABEL>{label}</label>
                <input id=format!("filter-{key}") type=kind class=style::INPUT
                    prop:value=move || get(key).unwrap_or_default()
                    on:change=move |ev| nav.set(key, &event_target_value(&ev))/>
            </div>
        }
    };
    let kind_nav = QueryNav::current();
    let kinds = Resource::new(|| (), |_| activity_kinds());
    view! {
        <leptos_meta::Title text="Activity · wharf"/>
        <div class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <h1 class=style::H1>"Activity"</h1>
            <div class="flex gap-2">
                <a class=style::BUTTON_SECONDARY href=move || export("csv") rel="external" download="wharf-activity.csv">"Export CSV"</a>
                <a class=style::BUTTON_SECONDARY href=move || export("json") rel="external" download="wharf-activity.json">"Export JSON"</a>
            </div>
        </div>
        <div class=format!("mb-4 grid grid-cols-1 gap-3 p-4 sm:grid-cols-5 {}", style::CARD) data-testid="activity-filters">
            {filter_input("user", "User", "text")}
            {filter_input("namespace", "Namespace", "text")}
            <div>
                <label for="filter-kind" class=style::LABEL>"Kind"</label>
                <select id="filter-kind" class=style::INPUT on:change=move |ev| kind_nav.set("kind", &event_target_value(&ev))>
                    <option value="">"any"</option>
                    <Suspense>
                        {move || Suspend::new(async move {
                            let known = kinds.await.unwrap_or_default();
                            kind_choices(&known).into_iter().map(|k| {
                                let selected = get("kind").as_deref() == Some(k.as_str());
                                let label = if k.ends_with('.') { format!("{k}*") } else { k.clone() };
                                view! { <option value=k selected=selected>{label}</option> }
                            }).collect_view()
                        })}
                    </Suspense>
                </select>
            </div>
            {filter_input("from", "From", "date")}
            {filter_input("to", "To", "date")}
        </div>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(p) if p.items.is_empty() => view! { <Empty text="No activity matches."/> }.into_any(),
                    Ok(p) => {
                        let (page, pages, total, capped) = (p.page, p.pages(), p.total, p.total_capped);
                        view! {
                            <div class=format!("relative overflow-x-auto {}", style::CARD)>
                                <table class=style::TABLE data-testid="activities">
                                    <thead class=style::THEAD><tr>
                                        <th scope="col" class=style::TH>"When (UTC)"</th>
                                        <th scope="col" class=style::TH>"Who"</th>
                                        <th scope="col" class=style::TH>"What"</th>
                                        <th scope="col" class=style::TH>"Target"</th>
                                        <th scope="col" class=style::TH>"Details"</th>
                                        <th scope="col" class=style::TH>"From"</th>
                                    </tr></thead>
                                    <tbody>
                                        {p.items.into_iter().map(|a| view! {
                                            <tr class=style::TR>
                                                <td class=format!("{} whitespace-nowrap text-slate-600", style::TD)>{short_time(&a.at)}</td>
                                                <td class=style::TD>{a.actor.clone()}</td>
                                                <td class=format!("{} font-mono text-xs", style::TD)>{a.kind.clone()}</td>
                                                <td class=format!("{} font-mono text-xs", style::TD)>{a.target.clone()}</td>
                                                <td class=format!("{} text-xs text-slate-600", style::TD)>{a.details.clone()}</td>
                                                <td class=format!("{} text-xs text-slate-500", style::TD)>{a.client_addr.clone().unwrap_or_default()}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager page pages total capped/>
                        }.into_any()
                    }
                    Err(e) => view! { <PageError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The ActivityPage as a route whose code is a separate wasm chunk, fetched on first visit
/// (`cargo leptos build --split`).
pub struct ActivityRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for ActivityRoute {
    fn data() -> Self {
        ActivityRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <ActivityPage/> }.into_any()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn kinds_come_grouped() {
        let kinds = ["image.pushed", "login.failed", "webhook.created", "webhook.deleted"].map(String::from);
        assert_eq!(
            super::kind_choices(&kinds),
            [
                "image.",
                "image.pushed",
                "login.",
                "login.failed",
                "webhook.",
                "webhook.created",
                "webhook.deleted"
            ]
        );
    }
}
