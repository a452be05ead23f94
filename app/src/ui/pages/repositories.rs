//! Every repository the viewer may browse, filtered, sorted and paginated on the server.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::browse::list_repositories;
use crate::domain::dto::RepositoryListItem;
use crate::domain::RepositorySort;
use crate::ui::components::{style, Empty, Loading, PageError, Pager, QueryNav, SortSelect};
use crate::ui::{namespace_href, namespace_label, repo_href, short_time};

pub const SORTS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("updated", "Recently pushed"),
    ("pulls", "Most pulled"),
];

#[component]
pub fn RepositoriesPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| query.with(|m| m.get(k)).filter(|s| !s.is_empty());
    let data = Resource::new(
        move || (get("q"), get("sort"), get("page").and_then(|p| p.parse::<u64>().ok())),
        |(q, sort, page)| list_repositories(None, q, sort.and_then(|s| s.parse::<RepositorySort>().ok()), page, None),
    );
    let nav = QueryNav::current();
    view! {
        <leptos_meta::Title text="Repositories · wharf"/>
        <div class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <h1 class=style::H1>"Repositories"</h1>
            <div class="flex flex-wrap items-center gap-3">
                <label class="text-sm">
                    <span class="sr-only">"Filter repositories"</span>
                    <input type="search" placeholder="Filter by name" class="rounded border border-slate-300 px-3 py-1.5 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500"
                        prop:value=move || get("q").unwrap_or_default()
                        on:input=move |ev| nav.set("q", &event_target_value(&ev))/>
                </label>
                <SortSelect options=SORTS current=get("sort").unwrap_or_else(|| "name".into())/>
            </div>
        </div>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(p) => {
                        let (page, pages, total, capped) = (p.page, p.pages(), p.total, p.total_capped);
                        view! { <RepositoryTable items=p.items/> <Pager page pages total capped/> }.into_any()
                    }
                    Err(e) => view! { <PageError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn RepositoryTable(items: Vec<RepositoryListItem>) -> impl IntoView {
    if items.is_empty() {
        return view! { <Empty text="No repositories match."/> }.into_any();
    }
    view! {
        <div class=format!("relative overflow-x-auto {}", style::CARD)>
            <table class=style::TABLE data-testid="repositories">
                <thead class=style::THEAD>
                    <tr>
                        <th scope="col" class=style::TH>"Repository"</th>
                        <th scope="col" class=style::TH>"Namespace"</th>
                        <th scope="col" class=format!("{} text-right", style::TH)>"Tags"</th>
                        <th scope="col" class=format!("{} text-right", style::TH)>"Pulls"</th>
                        <th scope="col" class=style::TH>"Last push"</th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|r| view! {
                        <tr class=style::TR>
                            <td class=format!("{} font-mono", style::TD)>
                                {r.starred.then(|| view! { <span class="text-amber-500" title="starred">"★ "</span> })}
                                <A href=repo_href(&r.full_name) attr:class=style::LINK>{r.full_name.clone()}</A>
                            </td>
                            <td class=style::TD><A href=namespace_href(&r.namespace) attr:class=style::LINK>{namespace_label(&r.namespace)}</A></td>
                            <td class=format!("{} text-right tabular-nums", style::TD)>{r.tag_count}</td>
                            <td class=format!("{} text-right tabular-nums", style::TD)>{r.pulls}</td>
                            <td class=format!("{} text-slate-600", style::TD)>{short_time(&r.updated_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}
