//! The start page: my namespaces, starred and recently pushed repositories, recent activity.
//! Anonymous visitors see public namespaces (when allowed) and an invitation to sign in.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::browse::get_dashboard;
use crate::domain::dto::{ActivityRow, NamespaceSummary, RepositoryListItem};
use crate::ui::components::{style, Empty, KindBadge, Loading, PageError, RoleBadge, VisibilityBadge};
use crate::ui::{namespace_href, namespace_label, plural, repo_href, short_time, use_viewer};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_dashboard());
    let viewer = use_viewer();
    view! {
        <leptos_meta::Title text="Dashboard · wharf"/>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                let v = match viewer.await {
                    Ok(v) => v,
                    Err(e) => return view! { <PageError error=e/> }.into_any(),
                };
                let d = match data.await {
                    Ok(d) => d,
                    Err(e) => return view! { <PageError error=e/> }.into_any(),
                };
                let signed_in = v.user.is_some();
                view! {
                    {(!signed_in).then(|| view! {
                        <div class="mb-8 rounded-lg bg-gradient-to-r from-slate-900 to-sky-900 p-8 text-white">
                            <h1 class="text-2xl font-semibold mb-2">"Welcome to Wharf"</h1>
                            <p class="mb-4 text-slate-200">"Access control and a console for your Docker registry."</p>
                            <A href="/login" attr:class="rounded bg-white px-4 py-2 font-medium text-slate-900 hover:bg-slate-100">"Sign in"</A>
                        </div>
                    })}
                    {signed_in.then(|| view! { <h1 class=format!("{} mb-6", style::H1)>"Dashboard"</h1> })}
                    <div class="grid grid-cols-1 gap-6 lg:grid-cols-3">
                        <div class="lg:col-span-2 space-y-6">
                            <section>
                                <h2 class=style::H2>{if signed_in { "My namespaces" } else { "Public namespaces" }}</h2>
                                <NamespaceTable items=d.namespaces.clone() testid="namespaces"/>
                                {(d.namespace_total > d.namespaces.len() as u64).then(|| view! {
                                    <A href="/namespaces" attr:class=format!("mt-2 inline-block text-sm {}", style::LINK) attr:data-testid="all-namespaces">
                                        {format!("{} of {} shown · all namespaces →", d.namespaces.len(), d.namespace_total)}
                                    </A>
                                })}
                            </section>
                            {signed_in.then(|| view! {
                                <section>
                                    <h2 class=style::H2>"Starred repositories"</h2>
                                    <RepoList items=d.starred.clone() empty="Star a repository to find it here." testid="starred"/>
                                </section>
                            })}
                            <section>
                                <h2 class=style::H2>"Recently pushed"</h2>
                                <RepoList items=d.recent empty="No images yet. Push one to a namespace you may write to." testid="recent"/>
                            </section>
                        </div>
                        {signed_in.then(|| view! {
                            <section>
                                <h2 class=style::H2>"Recent activity"</h2>
                                <ActivityFeed items=d.activity.clone()/>
                                <A href="/activity" attr:class=format!("mt-2 inline-block text-sm {}", style::LINK)>"Full activity log →"</A>
                            </section>
                        })}
                    </div>
                }.into_any()
            })}
        </Suspense>
    }
}

/// Namespaces with kind, visibility, team, my role and repository count.
#[component]
pub fn NamespaceTable(
    items: Vec<NamespaceSummary>,
    #[prop(default = "namespaces")] testid: &'static str,
) -> impl IntoView {
    if items.is_empty() {
        return view! { <Empty text="No namespaces yet."/> }.into_any();
    }
    view! {
        <div class=format!("relative overflow-x-auto {}", style::CARD)>
            <table class=style::TABLE data-testid=testid>
                <thead class=style::THEAD>
                    <tr>
                        <th scope="col" class=style::TH>"Name"</th>
                        <th scope="col" class=style::TH>"Kind"</th>
                        <th scope="col" class=style::TH>"Visibility"</th>
                        <th scope="col" class=style::TH>"Team"</th>
                        <th scope="col" class=style::TH>"My role"</th>
                        <th scope="col" class=format!("{} text-right", style::TH)>"Repositories"</th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|n| view! {
                        <tr class=style::TR>
                            <td class=format!("{} font-mono", style::TD)>
                                <A href=namespace_href(&n.name) attr:class=style::LINK>{namespace_label(&n.name)}</A>
                            </td>
                            <td class=style::TD><KindBadge kind=n.kind/></td>
                            <td class=style::TD><VisibilityBadge visibility=n.visibility/></td>
                            <td class=style::TD>{n.team.clone().map(|t| view! { <A href=format!("/teams/{t}") attr:class=style::LINK>{t.clone()}</A> })}</td>
                            <td class=style::TD><RoleBadge role=n.my_role/></td>
                            <td class=format!("{} text-right tabular-nums", style::TD)>{n.repository_count}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}

/// A compact list of repositories.
#[component]
pub fn RepoList(items: Vec<RepositoryListItem>, empty: &'static str, testid: &'static str) -> impl IntoView {
    if items.is_empty() {
        return view! { <Empty text=empty/> }.into_any();
    }
    view! {
        <ul class=format!("divide-y divide-slate-100 {}", style::CARD) data-testid=testid>
            {items.into_iter().map(|r| view! {
                <li class="flex items-center justify-between px-4 py-2 text-sm">
                    <A href=repo_href(&r.full_name) attr:class=format!("font-mono {}", style::LINK)>{r.full_name.clone()}</A>
                    <span class="text-slate-500">{format!("{} · {} · {}", plural(r.tag_count, "tag"), plural(r.pulls.max(0) as u64, "pull"), short_time(&r.updated_at))}</span>
                </li>
            }).collect_view()}
        </ul>
    }.into_any()
}

#[component]
pub fn ActivityFeed(items: Vec<ActivityRow>) -> impl IntoView {
    if items.is_empty() {
        return view! { <Empty text="Nothing happened yet."/> }.into_any();
    }
    view! {
        <ul class=format!("divide-y divide-slate-100 {}", style::CARD) data-testid="activity-feed">
            {items.into_iter().map(|a| view! {
                <li class="px-4 py-2 text-sm">
                    <div><span class="font-medium">{a.actor.clone()}</span>" "<span class="text-slate-500">{a.kind.clone()}</span></div>
                    <div class="font-mono text-xs text-slate-700 truncate">{a.target.clone()}</div>
                    <div class="text-xs text-slate-500">{short_time(&a.at)}</div>
                </li>
            }).collect_view()}
        </ul>
    }.into_any()
}
