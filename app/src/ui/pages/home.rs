//! The start page: my namespaces and repositories (read-only).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::registry::list_my_namespaces;
use crate::domain::dto::MyRegistry;
use crate::ui::components::{Empty, ErrorBox, KindBadge, VisibilityBadge};

#[component]
pub fn HomePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| list_my_namespaces());
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Some(d)) => view! { <Overview data=d/> }.into_any(),
                    Ok(None) => view! {
                        <div class="text-center py-16">
                            <h1 class="text-2xl font-semibold mb-2">"Welcome to Wharf"</h1>
                            <p class="mb-4 text-slate-600">"Access control and a console for your Docker registry."</p>
                            <A href="/login" attr:class="rounded bg-sky-700 px-4 py-2 text-white">"Sign in"</A>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Overview(data: MyRegistry) -> impl IntoView {
    let host = data.registry_host.clone().unwrap_or_else(|| "REGISTRY".into());
    let namespaces = data.namespaces.clone();
    let repositories = data.repositories.clone();
    view! {
        <section class="mb-8">
            <h2 class="text-lg font-semibold mb-3">"Namespaces"</h2>
            {if namespaces.is_empty() {
                view! { <Empty text="No namespaces yet."/> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto rounded-lg bg-white shadow">
                    <table class="w-full text-left text-sm" data-testid="namespaces">
                        <thead class="bg-slate-100 text-slate-600">
                            <tr>
                                <th scope="col" class="px-4 py-2">"Name"</th>
                                <th scope="col" class="px-4 py-2">"Kind"</th>
                                <th scope="col" class="px-4 py-2">"Visibility"</th>
                                <th scope="col" class="px-4 py-2">"Team"</th>
                                <th scope="col" class="px-4 py-2">"My role"</th>
                                <th scope="col" class="px-4 py-2 text-right">"Repositories"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {namespaces.into_iter().map(|n| view! {
                                <tr class="border-t border-slate-100">
                                    <td class="px-4 py-2 font-mono">{if n.name.is_empty() { "(global)".to_string() } else { n.name.clone() }}</td>
                                    <td class="px-4 py-2"><KindBadge kind=n.kind/></td>
                                    <td class="px-4 py-2"><VisibilityBadge visibility=n.visibility/></td>
                                    <td class="px-4 py-2">{n.team.clone().unwrap_or_else(|| "—".into())}</td>
                                    <td class="px-4 py-2">{n.my_role.map(|r| r.as_str().to_string()).unwrap_or_else(|| "—".into())}</td>
                                    <td class="px-4 py-2 text-right">{n.repository_count}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any()
            }}
        </section>
        <section>
            <h2 class="text-lg font-semibold mb-3">"Repositories"</h2>
            {if repositories.is_empty() {
                view! { <Empty text="No repositories yet. Push an image to one of your namespaces."/> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto rounded-lg bg-white shadow">
                    <table class="w-full text-left text-sm" data-testid="repositories">
                        <thead class="bg-slate-100 text-slate-600">
                            <tr>
                                <th scope="col" class="px-4 py-2">"Repository"</th>
                                <th scope="col" class="px-4 py-2 text-right">"Tags"</th>
                                <th scope="col" class="px-4 py-2">"Pull"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {repositories.into_iter().map(|r| {
                                let pull = format!("docker pull {}/{}", host, r.full_name);
                                view! {
                                    <tr class="border-t border-slate-100">
                                        <td class="px-4 py-2 font-mono">{r.full_name.clone()}</td>
                                        <td class="px-4 py-2 text-right">{r.tag_count}</td>
                                        <td class="px-4 py-2 font-mono text-xs text-slate-600">{pull}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
