//! Full search results (`/search?q=`), the page the header's search box opens on Enter.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::dashboard::NamespaceTable;
use super::repositories::RepositoryTable;
use crate::api::browse::search;
use crate::ui::components::{style, Empty, Loading, PageError};
use crate::ui::repo_href;

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q")).unwrap_or_default();
    let results = Resource::new(q, search);
    view! {
        <leptos_meta::Title text="Search · wharf"/>
        <h1 class=format!("{} mb-4", style::H1)>{move || format!("Search: {}", q())}</h1>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(r) => view! {
                        <section class="mb-6"><h2 class=style::H2>"Namespaces"</h2><NamespaceTable items=r.namespaces/></section>
                        <section class="mb-6"><h2 class=style::H2>"Repositories"</h2><RepositoryTable items=r.repositories/></section>
                        <section>
                            <h2 class=style::H2>"Tags"</h2>
                            {if r.tags.is_empty() {
                                view! { <Empty text="No tags match."/> }.into_any()
                            } else {
                                view! {
                                    <ul class=format!("divide-y divide-slate-100 {}", style::CARD) data-testid="tag-results">
                                        {r.tags.into_iter().map(|(repo, tag)| view! {
                                            <li class="px-4 py-2 font-mono text-sm"><A href=repo_href(&repo) attr:class=style::LINK>{format!("{repo}:{tag}")}</A></li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        </section>
                    }.into_any(),
                    Err(e) => view! { <PageError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The SearchPage as a route whose code is a separate wasm chunk, fetched on first visit
/// (`cargo leptos build --split`).
pub struct SearchRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for SearchRoute {
    fn data() -> Self {
        SearchRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <SearchPage/> }.into_any()
    }
}
