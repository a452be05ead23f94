//! Namespaces: the list the viewer may browse, and one namespace's page with its
//! repositories and (for those the policy allows) its settings.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::dashboard::NamespaceTable;
use super::repositories::RepositoryTable;
use crate::api::browse::{get_namespace, list_namespaces, list_repositories};
use crate::api::namespaces::{DeleteNamespace, TransferNamespace, UpdateNamespace};
use crate::domain::dto::NamespaceDetail;
use crate::domain::{RepositorySort, Visibility};
use crate::ui::components::{
    style, toast_error, toast_ok, Badge, KindBadge, Loading, Modal, PageError, Pager, QueryNav, SortSelect,
    VisibilityBadge,
};
use crate::ui::{namespace_href, namespace_label, namespace_param, plural_repositories, use_viewer};

fn query_u64(key: &'static str) -> impl Fn() -> Option<u64> + Copy {
    let q = use_query_map();
    move || q.with(|m| m.get(key).and_then(|v| v.parse().ok()))
}

fn query_str(key: &'static str) -> impl Fn() -> Option<String> + Copy {
    let q = use_query_map();
    move || q.with(|m| m.get(key)).filter(|s| !s.is_empty())
}

#[component]
pub fn NamespacesPage() -> impl IntoView {
    let page = query_u64("page");
    let text = query_str("q");
    let data = Resource::new(move || (text(), page()), |(q, page)| list_namespaces(q, page, None));
    let nav = QueryNav::current();
    view! {
        <leptos_meta::Title text="Namespaces · wharf"/>
        <div class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <h1 class=style::H1>"Namespaces"</h1>
            <label class="text-sm">
                <span class="sr-only">"Filter namespaces"</span>
                <input type="search" placeholder="Filter by name" class="rounded border border-slate-300 px-3 py-1.5 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500"
                    prop:value=move || text().unwrap_or_default()
                    on:input=move |ev| nav.set("q", &event_target_value(&ev))/>
            </label>
        </div>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(p) => {
                        let (page, pages, total) = (p.page, p.pages(), p.total);
                        view! { <NamespaceTable items=p.items/> <Pager page pages total/> }.into_any()
                    }
                    Err(e) => view! { <PageError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn NamespacePage() -> impl IntoView {
    let name = namespace_param();
    let changed = RwSignal::new(0u64);
    let detail = Resource::new(move || (name(), changed.get()), |(n, _)| get_namespace(n));
    let viewer = use_viewer();
    let page = query_u64("page");
    let text = query_str("q");
    let sort = query_str("sort");
    let repos = Resource::new(
        move || (name(), text(), sort(), page(), changed.get()),
        |(n, q, sort, page, _)| {
            list_repositories(
                Some(n),
                q,
                sort.and_then(|s| s.parse::<RepositorySort>().ok()),
                page,
                None,
            )
        },
    );
    let nav = QueryNav::current();
    view! {
        <leptos_meta::Title text=move || format!("{} · namespace · wharf", namespace_label(&name()))/>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                let d = match detail.await {
                    Ok(d) => d,
                    Err(e) => return view! { <PageError error=e/> }.into_any(),
                };
                let v = viewer.await.ok();
                let manage = v.as_ref().is_some_and(|v| crate::authz::may_manage_namespace(&v.subject, &d.facts));
                let deletable = v.as_ref().is_some_and(|v| crate::authz::may_delete_namespace(&v.subject, &d.facts));
                let hooks = v.as_ref().is_some_and(|v| crate::authz::may_manage_webhooks(&v.subject, &d.facts));
                let s = d.summary.clone();
                view! {
                    <div class="mb-6">
                        <div class="flex flex-wrap items-center gap-3">
                            <h1 class=format!("{} font-mono", style::H1)>{namespace_label(&s.name)}</h1>
                            <KindBadge kind=s.kind/>
                            <VisibilityBadge visibility=s.visibility/>
                            {s.my_role.map(|r| view! { <Badge text=format!("you: {r}") tone="amber"/> })}
                        </div>
                        <p class="mt-1 text-sm text-slate-600">
                            {match (&s.team, &d.owner) {
                                (Some(t), _) => format!("Team {t}"),
                                (None, Some(o)) => format!("Personal namespace of {o}"),
                                _ => "Repositories without a namespace".to_string(),
                            }}
                            {format!(" · {}", plural_repositories(s.repository_count))}
                        </p>
                        {(!s.description.is_empty()).then(|| view! { <p class="mt-2 text-slate-700 whitespace-pre-line">{s.description.clone()}</p> })}
                    </div>
                    {(manage || hooks).then(|| {
                        let base = namespace_href(&s.name);
                        view! {
                            <p class="mb-3 flex flex-wrap gap-x-4 text-sm">
                                {manage.then(|| view! { <a class=style::LINK href=format!("{base}/retention") data-testid="retention-link">"Tag retention policy"</a> })}
                                {hooks.then(|| view! { <a class=style::LINK href=format!("{base}/webhooks") data-testid="webhooks-link">"Webhooks"</a> })}
                            </p>
                        }
                    })}
                    {manage.then(|| view! { <NamespaceSettings detail=d.clone() deletable changed/> })}
                }.into_any()
            })}
        </Suspense>
        <section class="mt-6">
            <div class="mb-3 flex flex-wrap items-end justify-between gap-3">
                <h2 class="text-lg font-semibold">"Repositories"</h2>
                <div class="flex flex-wrap items-center gap-3">
                    <label class="text-sm">
                        <span class="sr-only">"Filter repositories"</span>
                        <input type="search" placeholder="Filter by name" class="rounded border border-slate-300 px-3 py-1.5 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500"
                            prop:value=move || text().unwrap_or_default()
                            on:input={let nav = nav.clone(); move |ev| nav.set("q", &event_target_value(&ev))}/>
                    </label>
                    <SortSelect options=super::repositories::SORTS current=sort().unwrap_or_else(|| "name".into())/>
                </div>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match repos.await {
                        Ok(p) => {
                            let (page, pages, total, capped) = (p.page, p.pages(), p.total, p.total_capped);
                            view! { <RepositoryTable items=p.items/> <Pager page pages total capped/> }.into_any()
                        }
                        Err(e) => view! { <PageError error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Visibility, description, transfer and delete, for those the policy allows.
#[component]
fn NamespaceSettings(detail: NamespaceDetail, deletable: bool, changed: RwSignal<u64>) -> impl IntoView {
    let name = detail.summary.name.clone();
    let update = ServerAction::<UpdateNamespace>::new();
    let transfer = ServerAction::<TransferNamespace>::new();
    let delete = ServerAction::<DeleteNamespace>::new();
    let visibility = RwSignal::new(detail.summary.visibility.as_str().to_string());
    let description = RwSignal::new(detail.summary.description.clone());
    let to_team = RwSignal::new(String::new());
    let confirm_delete = RwSignal::new(false);
    let navigate = use_navigate();
    Effect::new(move |_| match update.value().get() {
        Some(Ok(())) => {
            toast_ok("Namespace saved");
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    Effect::new(move |_| match transfer.value().get() {
        Some(Ok(())) => {
            toast_ok("Namespace transferred");
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => {
            toast_ok("Namespace deleted");
            navigate("/namespaces", Default::default());
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    let save_name = name.clone();
    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        update.dispatch(UpdateNamespace {
            name: save_name.clone(),
            visibility: visibility.get_untracked().parse::<Visibility>().ok(),
            description: Some(description.get_untracked()),
        });
    };
    let transfer_name = name.clone();
    let on_transfer = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        transfer.dispatch(TransferNamespace {
            name: transfer_name.clone(),
            team: to_team.get_untracked(),
        });
    };
    let delete_name = name.clone();
    view! {
        <details class=format!("p-4 {}", style::CARD) data-testid="namespace-settings">
            <summary class="cursor-pointer font-medium">"Settings"</summary>
            <form class="mt-4 grid grid-cols-1 gap-4 sm:grid-cols-3" on:submit=on_save>
                <div>
                    <label for="ns-visibility" class=style::LABEL>"Visibility"</label>
                    <select id="ns-visibility" class=style::INPUT
                        on:change=move |ev| visibility.set(event_target_value(&ev))>
                        {Visibility::ALL.iter().map(|v| {
                            let selected = v.as_str() == visibility.get_untracked();
                            view! { <option value=v.as_str() selected=selected>{v.as_str()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="sm:col-span-2">
                    <label for="ns-description" class=style::LABEL>"Description"</label>
                    <input id="ns-description" type="text" class=style::INPUT bind:value=description/>
                </div>
                <div><button type="submit" class=style::BUTTON disabled=update.pending()>"Save"</button></div>
            </form>
            {deletable.then(|| view! {
                <form class="mt-6 flex flex-wrap items-end gap-3 border-t border-slate-100 pt-4" on:submit=on_transfer>
                    <div>
                        <label for="ns-transfer" class=style::LABEL>"Transfer to team"</label>
                        <input id="ns-transfer" type="text" required class=style::INPUT bind:value=to_team/>
                    </div>
                    <button type="submit" class=style::BUTTON_SECONDARY>"Transfer"</button>
                    <button type="button" class=format!("ml-auto {}", style::BUTTON_DANGER) on:click=move |_| confirm_delete.set(true)>"Delete namespace"</button>
                </form>
            })}
            <Modal open=confirm_delete title="Delete this namespace?">
                <p class="mb-4 text-sm text-slate-700">"Only empty namespaces can be deleted. This cannot be undone."</p>
                <div class="flex justify-end gap-2">
                    <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| confirm_delete.set(false)>"Cancel"</button>
                    <button type="button" class=style::BUTTON_DANGER on:click={
                        let delete_name = delete_name.clone();
                        move |_| { confirm_delete.set(false); delete.dispatch(DeleteNamespace { name: delete_name.clone() }); }
                    }>"Delete"</button>
                </div>
            </Modal>
        </details>
    }
}

/// The NamespacesPage as a route whose code is a separate wasm chunk, fetched on first visit
/// (`cargo leptos build --split`).
pub struct NamespacesRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for NamespacesRoute {
    fn data() -> Self {
        NamespacesRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <NamespacesPage/> }.into_any()
    }
}

/// The NamespacePage as a route whose code is a separate wasm chunk, fetched on first visit
/// (`cargo leptos build --split`).
pub struct NamespaceRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for NamespaceRoute {
    fn data() -> Self {
        NamespaceRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <NamespacePage/> }.into_any()
    }
}
