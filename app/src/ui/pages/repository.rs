//! A repository: pull command, description, star, and its tags (grouped by digest), with
//! deletion for those the policy allows — after showing every tag that goes with it.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::browse::{get_repository, DeleteTag, PreviewTagDelete, SetRepositoryDescription, SetStar};
use crate::domain::dto::{RepositoryDetail, TagDeletion, TagView};
use crate::domain::scope::Action;
use crate::domain::TagSort;
use crate::ui::components::{
    style, toast_error, toast_ok, CopyButton, Empty, ErrorBox, Loading, Modal, Pager, QueryNav, SortSelect,
};
use crate::ui::pages::image::image_href;
use crate::ui::{human_size, namespace_href, namespace_label, permitted, short_digest, short_time, use_viewer};

const SORTS: &[(&str, &str)] = &[
    ("pushed", "Newest"),
    ("name", "Name"),
    ("pulls", "Most pulled"),
    ("size", "Largest"),
];

#[component]
pub fn RepositoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let name = move || params.with(|p| p.get("name")).unwrap_or_default();
    let get = move |k: &'static str| query.with(|m| m.get(k)).filter(|s| !s.is_empty());
    let changed = RwSignal::new(0u64);
    let detail = Resource::new(
        move || {
            (
                name(),
                get("q"),
                get("sort"),
                get("page").and_then(|p| p.parse::<u64>().ok()),
                changed.get(),
            )
        },
        |(name, q, sort, page, _)| get_repository(name, q, sort.and_then(|s| s.parse::<TagSort>().ok()), page, None),
    );
    let viewer = use_viewer();
    view! {
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                let d = match detail.await {
                    Ok(d) => d,
                    Err(e) => return view! { <ErrorBox message=e.to_string()/> }.into_any(),
                };
                let v = match viewer.await {
                    Ok(v) => v,
                    Err(e) => return view! { <ErrorBox message=e.to_string()/> }.into_any(),
                };
                let perms = permitted(&v, &d.facts);
                let can_delete = perms.contains(Action::Delete);
                let can_push = perms.contains(Action::Push);
                let can_describe = crate::authz::may_describe_repository(&v.settings.policy, &v.subject, &d.facts);
                let host = v.settings.registry_host.clone();
                view! {
                    <Summary detail=d.clone() host=host.clone() can_push signed_in=v.user.is_some() changed/>
                    <Description detail=d.clone() can_edit=can_describe/>
                    <Tags detail=d host can_delete changed/>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn Summary(
    detail: RepositoryDetail,
    host: String,
    can_push: bool,
    signed_in: bool,
    changed: RwSignal<u64>,
) -> impl IntoView {
    let star = ServerAction::<SetStar>::new();
    let starred = RwSignal::new(detail.starred);
    Effect::new(move |_| match star.value().get() {
        Some(Ok(now)) => {
            starred.set(now);
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    let name = detail.full_name.clone();
    // A tag that exists: `latest` if there is one, else the first listed (newest by default).
    let items = &detail.tags.items;
    let pull_tag = items
        .iter()
        .find(|t| t.row.tag == "latest")
        .or_else(|| items.first())
        .map_or_else(|| "TAG".to_owned(), |t| t.row.tag.clone());
    let pull = format!("docker pull {host}/{}:{pull_tag}", detail.full_name);
    let push = format!("docker push {host}/{}:TAG", detail.full_name);
    view! {
        <div class="mb-6">
            <p class="text-sm text-slate-500">
                <A href=namespace_href(&detail.namespace) attr:class=style::LINK>{namespace_label(&detail.namespace)}</A>" / "
            </p>
            <div class="flex flex-wrap items-center gap-3">
                <h1 class=format!("{} font-mono", style::H1) data-testid="repository-name">{detail.full_name.clone()}</h1>
                {signed_in.then(|| view! {
                    <button type="button" class=style::BUTTON_SECONDARY data-testid="star"
                        aria-pressed=move || starred.get().to_string()
                        on:click=move |_| { star.dispatch(SetStar { repository: name.clone(), starred: !starred.get_untracked() }); }>
                        {move || if starred.get() { "★ Starred" } else { "☆ Star" }}
                    </button>
                })}
            </div>
            <p class="mt-1 text-sm text-slate-600">
                {format!("{} tags · {} pulls · {} stars", detail.tags.total, detail.pulls, detail.stars)}
                {detail.last_pulled_at.as_deref().map(|t| format!(" · last pulled {}", short_time(t)))}
            </p>
            <div class="mt-3 flex flex-wrap items-center gap-2">
                <code class="rounded bg-slate-900 px-3 py-1.5 font-mono text-sm text-slate-100" data-testid="pull-command">{pull.clone()}</code>
                <CopyButton text=pull/>
                {can_push.then(|| view! {
                    <code class="rounded bg-slate-100 px-3 py-1.5 font-mono text-sm text-slate-700">{push.clone()}</code>
                })}
            </div>
        </div>
    }
}

#[component]
fn Description(detail: RepositoryDetail, can_edit: bool) -> impl IntoView {
    let html = RwSignal::new(detail.description_html.clone());
    let source = RwSignal::new(detail.description.clone());
    let editing = RwSignal::new(false);
    let save = ServerAction::<SetRepositoryDescription>::new();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(rendered)) => {
            html.set(rendered);
            editing.set(false);
            toast_ok("Description saved");
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    let name = detail.full_name.clone();
    view! {
        <section class=format!("mb-6 p-4 {}", style::CARD)>
            <div class="mb-2 flex items-center justify-between">
                <h2 class="font-semibold">"Description"</h2>
                {can_edit.then(|| view! {
                    <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| editing.update(|e| *e = !*e)>
                        {move || if editing.get() { "Cancel" } else { "Edit" }}
                    </button>
                })}
            </div>
            <Show when=move || editing.get() fallback=move || view! {
                <Show when=move || !html.get().is_empty() fallback=|| view! { <p class="text-sm text-slate-500">"No description yet."</p> }>
                    <div class="prose-wharf text-sm" inner_html=move || html.get()></div>
                </Show>
            }>
                <form on:submit={
                    let name = name.clone();
                    move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        save.dispatch(SetRepositoryDescription { repository: name.clone(), description: source.get_untracked() });
                    }
                }>
                    <label for="repo-description" class=style::LABEL>"Markdown"</label>
                    <textarea id="repo-description" rows="8" class=format!("{} font-mono", style::INPUT) bind:value=source></textarea>
                    <button type="submit" class=format!("mt-2 {}", style::BUTTON) disabled=save.pending()>"Save description"</button>
                </form>
            </Show>
        </section>
    }
}

#[component]
fn Tags(detail: RepositoryDetail, host: String, can_delete: bool, changed: RwSignal<u64>) -> impl IntoView {
    let query = use_query_map();
    let nav = QueryNav::current();
    let text = move || query.with(|m| m.get("q")).unwrap_or_default();
    let sort = query
        .with_untracked(|m| m.get("sort"))
        .unwrap_or_else(|| "pushed".into());
    let preview = ServerAction::<PreviewTagDelete>::new();
    let delete = ServerAction::<DeleteTag>::new();
    let pending: RwSignal<Option<(String, TagDeletion)>> = RwSignal::new(None);
    // The tag whose deletion is being previewed (an action forgets its input once done).
    let requested = RwSignal::new(String::new());
    let confirm = RwSignal::new(false);
    Effect::new(move |_| match preview.value().get() {
        Some(Ok(plan)) => {
            pending.set(Some((requested.get_untracked(), plan)));
            confirm.set(true);
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(done)) => {
            toast_ok(format!(
                "Deleted {} ({})",
                done.tags.join(", "),
                short_digest(&done.digest)
            ));
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    let repository = detail.full_name.clone();
    let page = &detail.tags;
    let (p, pages, total) = (page.page, page.pages(), page.total);
    let items = page.items.clone();
    let repo_for_rows = repository.clone();
    view! {
        <section>
            <div class="mb-3 flex flex-wrap items-end justify-between gap-3">
                <h2 class="text-lg font-semibold">"Tags"</h2>
                <div class="flex items-center gap-3">
                    <label class="text-sm">
                        <span class="sr-only">"Filter tags"</span>
                        <input type="search" placeholder="Filter tags" class="rounded border border-slate-300 px-3 py-1.5 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500"
                            prop:value=text on:input=move |ev| nav.set("q", &event_target_value(&ev))/>
                    </label>
                    <SortSelect options=SORTS current=sort/>
                </div>
            </div>
            {if items.is_empty() {
                view! { <Empty text="No tags. Push an image to see it here."/> }.into_any()
            } else {
                view! {
                    <div class=format!("overflow-x-auto {}", style::CARD)>
                        <table class=style::TABLE data-testid="tags">
                            <thead class=style::THEAD>
                                <tr>
                                    <th scope="col" class=style::TH>"Tag"</th>
                                    <th scope="col" class=style::TH>"Digest"</th>
                                    <th scope="col" class=format!("{} text-right", style::TH)>"Size"</th>
                                    <th scope="col" class=style::TH>"Pushed by"</th>
                                    <th scope="col" class=style::TH>"Pushed"</th>
                                    <th scope="col" class=format!("{} text-right", style::TH)>"Pulls"</th>
                                    <th scope="col" class=style::TH>"Last pulled"</th>
                                    <th scope="col" class=style::TH><span class="sr-only">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {group_rows(items).into_iter().map(|(t, first_of_group)| {
                                    view! { <TagRowView tag=t first_of_group repository=repo_for_rows.clone() host=host.clone() can_delete preview requested/> }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <Pager page=p pages total/>
            <Modal open=confirm title="Delete this image?">
                {move || pending.get().map(|(tag, plan)| {
                    let others: Vec<String> = plan.tags.iter().filter(|t| **t != tag).cloned().collect();
                    let repository = plan.repository.clone();
                    let digest = plan.digest.clone();
                    view! {
                        <p class="mb-2 text-sm text-slate-700">
                            "The registry deletes images by digest, so deleting "<code class="font-mono">{format!("{repository}:{tag}")}</code>
                            " removes every tag on "<code class="font-mono">{short_digest(&plan.digest)}</code>":"
                        </p>
                        <ul class="mb-4 list-inside list-disc font-mono text-sm" data-testid="delete-tags">
                            {plan.tags.iter().map(|t| view! { <li>{t.clone()}</li> }).collect_view()}
                        </ul>
                        {(!others.is_empty()).then(|| view! {
                            <p class="mb-4 text-sm font-medium text-rose-700">{format!("Also removed: {}", others.join(", "))}</p>
                        })}
                        {(!plan.accessories.is_empty()).then(|| view! {
                            <p class="mb-4 text-sm text-slate-700" data-testid="delete-accessories">
                                "Deleted with it: "
                                {plan.accessories.iter().map(|a| format!("{} {}", a.kind.as_str(), short_digest(&a.digest))).collect::<Vec<_>>().join(", ")}
                            </p>
                        })}
                        <div class="flex justify-end gap-2">
                            <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| confirm.set(false)>"Cancel"</button>
                            <button type="button" class=style::BUTTON_DANGER data-testid="confirm-delete" on:click={
                                let (repository, tag, digest) = (repository.clone(), tag.clone(), digest.clone());
                                move |_| {
                                    confirm.set(false);
                                    delete.dispatch(DeleteTag { repository: repository.clone(), tag: tag.clone(), digest: digest.clone() });
                                }
                            }>"Delete image"</button>
                        </div>
                    }
                })}
            </Modal>
        </section>
    }
}

/// Marks where a new digest starts, so rows of one image share a band.
fn group_rows(items: Vec<TagView>) -> Vec<(TagView, bool)> {
    let mut last: Option<String> = None;
    items
        .into_iter()
        .map(|t| {
            let first = last.as_deref() != Some(t.row.digest.as_str());
            last = Some(t.row.digest.clone());
            (t, first)
        })
        .collect()
}

#[component]
fn TagRowView(
    tag: TagView,
    first_of_group: bool,
    repository: String,
    host: String,
    can_delete: bool,
    preview: ServerAction<PreviewTagDelete>,
    requested: RwSignal<String>,
) -> impl IntoView {
    let t = tag.row.clone();
    let pull = format!("docker pull {host}/{repository}:{}", t.tag);
    let border = if first_of_group { style::TR } else { "hover:bg-slate-50" };
    let tag_name = t.tag.clone();
    let (tag_text, digest_text) = (t.tag.clone(), short_digest(&t.digest));
    view! {
        <tr class=border data-testid="tag-row" data-tag=t.tag.clone()>
            <td class=format!("{} font-mono font-medium", style::TD)>
                <A href=format!("/i/{repository}:{}", t.tag) attr:class=style::LINK attr:data-testid="tag-link">{tag_text}</A>
                {(!tag.same_digest.is_empty()).then(|| view! {
                    <div class="text-xs font-normal text-slate-500">{format!("same image as {}", tag.same_digest.join(", "))}</div>
                })}
            </td>
            <td class=format!("{} font-mono text-xs", style::TD)>
                <A href=image_href(&repository, &t.digest) attr:title=t.digest.clone() attr:data-testid="digest" attr:class=style::LINK>{digest_text}</A>" "
                <CopyButton text=t.digest.clone()/>
            </td>
            <td class=format!("{} text-right tabular-nums", style::TD) data-testid="size">{human_size(t.size)}</td>
            <td class=style::TD>{t.pushed_by.clone().unwrap_or_else(|| "—".into())}</td>
            <td class=format!("{} text-slate-600", style::TD)>{short_time(&t.pushed_at)}</td>
            <td class=format!("{} text-right tabular-nums", style::TD)>{t.pulls}</td>
            <td class=format!("{} text-slate-600", style::TD)>{t.last_pulled_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
            <td class=format!("{} whitespace-nowrap text-right", style::TD)>
                <CopyButton text=pull label="Copy pull"/>
                {can_delete.then(|| view! {
                    <button type="button" class="ml-2 rounded px-2 py-0.5 text-xs text-rose-700 hover:bg-rose-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-rose-400"
                        data-testid="delete-tag"
                        on:click={
                            let (repository, tag_name) = (repository.clone(), tag_name.clone());
                            move |_| {
                                requested.set(tag_name.clone());
                                preview.dispatch(PreviewTagDelete { repository: repository.clone(), tag: tag_name.clone() });
                            }
                        }>"Delete"</button>
                })}
            </td>
        </tr>
    }
}
