//! A repository: pull command, description, star, and its images (one row per digest with
//! every tag on it, and badges for what is attached), with deletion — one image or several —
//! for those the policy allows, after showing every tag and accessory that goes with them.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::browse::{get_repository, preview_images_delete, DeleteImages, SetRepositoryDescription, SetStar};
use crate::domain::dto::{ImageRow, RepositoryDetail, TagListing};
use crate::domain::scope::Action;
use crate::domain::TagSort;
use crate::ui::components::{
    style, toast_error, toast_ok, CopyButton, Empty, Loading, Modal, PageError, Pager, QueryNav, SortSelect,
};
use crate::ui::pages::image::{accessory_badges, image_href};
use crate::ui::{human_size, namespace_href, namespace_label, permitted, plural, short_digest, short_time, use_viewer};

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
                get("accessories").is_some(),
                changed.get(),
            )
        },
        |(name, q, sort, page, accessories, _)| {
            let listing = TagListing {
                q,
                sort: sort.and_then(|s| s.parse::<TagSort>().ok()),
                page,
                per_page: None,
                accessories: Some(accessories),
            };
            get_repository(name, listing)
        },
    );
    let viewer = use_viewer();
    view! {
        <leptos_meta::Title text=move || format!("{} · wharf", name())/>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                let d = match detail.await {
                    Ok(d) => d,
                    Err(e) => return view! { <PageError error=e/> }.into_any(),
                };
                let v = match viewer.await {
                    Ok(v) => v,
                    Err(e) => return view! { <PageError error=e/> }.into_any(),
                };
                let perms = permitted(&v, &d.facts);
                let can_delete = perms.contains(Action::Delete);
                let can_push = perms.contains(Action::Push);
                let can_describe = crate::authz::may_describe_repository(&v.settings.policy, &v.subject, &d.facts);
                let host = v.settings.registry_host.clone();
                view! {
                    <Summary detail=d.clone() host=host.clone() can_push signed_in=v.user.is_some() changed/>
                    <Description detail=d.clone() can_edit=can_describe/>
                    <Images detail=d host can_delete changed/>
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
    let items = &detail.images.items;
    let tags = items
        .iter()
        .filter(|i| i.accessory_of.is_none())
        .flat_map(|i| i.tags.iter());
    let pull_tag = tags
        .clone()
        .find(|t| *t == "latest")
        .or_else(|| tags.clone().next())
        .map_or_else(|| "TAG".to_owned(), Clone::clone);
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
                {format!(
                    "{} · {} · {}",
                    plural(detail.tag_count.saturating_sub(detail.accessory_tags), "tag"),
                    plural(detail.pulls.max(0) as u64, "pull"),
                    plural(detail.stars, "star"),
                )}
                {detail.last_pulled_at.as_deref().map(|t| format!(" · last pulled {}", short_time(t)))}
            </p>
            <div class="mt-3 flex flex-wrap items-center gap-2">
                <code class="break-all rounded bg-slate-900 px-3 py-1.5 font-mono text-sm text-slate-100" data-testid="pull-command">{pull.clone()}</code>
                <CopyButton text=pull/>
                {can_push.then(|| view! {
                    <code class="break-all rounded bg-slate-100 px-3 py-1.5 font-mono text-sm text-slate-700">{push.clone()}</code>
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
    let repository = StoredValue::new(detail.full_name.clone());
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
                <Suspense fallback=|| view! { <Loading/> }>
                    {move || {
                        let editor = DescriptionEditor { repository: repository.get_value(), source, html, editing };
                        Suspend::new(async move { description_editor(editor).await })
                    }}
                </Suspense>
            </Show>
        </section>
    }
}

/// The description's Markdown editor and what it updates.
struct DescriptionEditor {
    repository: String,
    source: RwSignal<String>,
    html: RwSignal<String>,
    editing: RwSignal<bool>,
}

/// The editor's code (a wasm chunk of its own) is fetched when "Edit" is first clicked: only
/// those who may describe the repository ever need it.
#[lazy]
async fn description_editor(editor: DescriptionEditor) -> AnyView {
    let DescriptionEditor {
        repository,
        source,
        html,
        editing,
    } = editor;
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
    view! {
        <form on:submit=move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            save.dispatch(SetRepositoryDescription { repository: repository.clone(), description: source.get_untracked() });
        }>
            <label for="repo-description" class=style::LABEL>"Markdown"</label>
            <textarea id="repo-description" rows="8" class=format!("{} font-mono", style::INPUT) bind:value=source></textarea>
            <button type="submit" class=format!("mt-2 {}", style::BUTTON) disabled=save.pending()>"Save description"</button>
        </form>
    }
    .into_any()
}

/// The images table: filter, sort, show accessories, select and delete.
#[component]
fn Images(detail: RepositoryDetail, host: String, can_delete: bool, changed: RwSignal<u64>) -> impl IntoView {
    let query = use_query_map();
    let nav = QueryNav::current();
    let text = move || query.with(|m| m.get("q")).unwrap_or_default();
    let sort = query
        .with_untracked(|m| m.get("sort"))
        .unwrap_or_else(|| "pushed".into());
    let showing_accessories = query.with_untracked(|m| m.get("accessories")).is_some();
    let selected: RwSignal<BTreeSet<String>> = RwSignal::new(BTreeSet::new());
    // What the delete dialog asks about: the repository and the digests chosen.
    let asked: RwSignal<Option<(String, Vec<String>)>> = RwSignal::new(None);
    let confirm = RwSignal::new(false);
    let repository = detail.full_name.clone();
    let page = &detail.images;
    let (p, pages, total) = (page.page, page.pages(), page.total);
    let items = page.items.clone();
    let on_page: Vec<String> = items.iter().map(|i| i.digest.clone()).collect();
    let all_on_page = on_page.clone();
    let hidden = detail.accessory_tags;
    let repo_for_rows = repository.clone();
    let repo_for_bulk = repository.clone();
    let ask = move |repository: String, digests: Vec<String>| {
        asked.set(Some((repository, digests)));
        confirm.set(true);
    };
    let empty = if !items.is_empty() {
        None
    } else if query.with_untracked(|m| m.get("q")).is_some_and(|q| !q.is_empty()) {
        Some("No image has a tag or digest matching this filter.".to_owned())
    } else if hidden > 0 && !showing_accessories {
        Some(format!(
            "Only signatures, attestations or SBOMs remain here ({}); the images they belong to were deleted.",
            plural(hidden, "tag")
        ))
    } else {
        Some("No tags. Push an image to see it here.".to_owned())
    };
    view! {
        <section>
            <div class="mb-3 flex flex-wrap items-end justify-between gap-3">
                <h2 class="text-lg font-semibold">"Images"</h2>
                <div class="flex flex-wrap items-center gap-3">
                    {(hidden > 0).then(|| view! {
                        <label class="flex items-center gap-2 text-sm text-slate-600">
                            <input type="checkbox" data-testid="show-accessories" prop:checked=showing_accessories
                                on:change=move |ev| nav.set("accessories", if event_target_checked(&ev) { "1" } else { "" })/>
                            {format!("Show signatures and SBOMs ({hidden})")}
                        </label>
                    })}
                    <label class="text-sm">
                        <span class="sr-only">"Filter tags"</span>
                        <input type="search" placeholder="Filter by tag or digest" class="rounded border border-slate-300 px-3 py-1.5 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500"
                            prop:value=text on:input={
                                let nav = QueryNav::current();
                                move |ev| nav.set("q", &event_target_value(&ev))
                            }/>
                    </label>
                    <SortSelect options=SORTS current=sort/>
                </div>
            </div>
            {can_delete.then(|| view! {
                <Show when=move || !selected.with(|s| s.is_empty())>
                    <div class="mb-2 flex flex-wrap items-center gap-3 rounded bg-rose-50 px-3 py-2 text-sm text-rose-800">
                        <span>{move || format!("{} selected", plural(selected.with(|s| s.len() as u64), "image"))}</span>
                        <button type="button" class=style::BUTTON_DANGER data-testid="delete-selected" on:click={
                            let repository = repo_for_bulk.clone();
                            move |_| ask(repository.clone(), selected.get_untracked().into_iter().collect())
                        }>"Delete selected"</button>
                        <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| selected.set(BTreeSet::new())>"Clear"</button>
                    </div>
                </Show>
            })}
            {match empty {
                Some(text) => view! { <Empty text/> }.into_any(),
                None => view! {
                    <div class=format!("relative overflow-x-auto {}", style::CARD)>
                        <table class=style::TABLE data-testid="images">
                            <thead class=style::THEAD>
                                <tr>
                                    {can_delete.then(|| view! {
                                        <th scope="col" class=style::TH>
                                            <input type="checkbox" aria-label="Select every image on this page" data-testid="select-all"
                                                prop:checked=move || { let all = on_page.clone(); selected.with(|s| all.iter().all(|d| s.contains(d))) }
                                                on:change={
                                                    let all = all_on_page.clone();
                                                    move |ev| {
                                                        let on = event_target_checked(&ev);
                                                        selected.update(|s| for d in &all {
                                                            if on { s.insert(d.clone()); } else { s.remove(d); }
                                                        });
                                                    }
                                                }/>
                                        </th>
                                    })}
                                    <th scope="col" class=style::TH>"Tags"</th>
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
                                {items.into_iter().map(|image| {
                                    let repository = repo_for_rows.clone();
                                    view! { <ImageRowView image repository host=host.clone() can_delete selected ask/> }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
            }}
            <Pager page=p pages total/>
            <Modal open=confirm title="Delete these images?">
                <Suspense fallback=|| view! { <Loading/> }>
                    {move || asked.get().map(|(repository, digests)| Suspend::new(async move {
                        delete_dialog(DeleteRequest { repository, digests, open: confirm, selected, changed }).await
                    }))}
                </Suspense>
            </Modal>
        </section>
    }
}

/// What the delete dialog is asked to delete, and the signals it answers through.
struct DeleteRequest {
    repository: String,
    digests: Vec<String>,
    open: RwSignal<bool>,
    selected: RwSignal<BTreeSet<String>>,
    changed: RwSignal<u64>,
}

/// The delete dialog's body: what would go (every tag and accessory of the chosen images, as
/// the server plans it) and the button that deletes them. Its code, with the plan's types and
/// both server calls, is a wasm chunk of its own, fetched on the first "Delete" click: most
/// visits never delete, and the repository page stays smaller (`cargo leptos build --split`).
#[lazy]
async fn delete_dialog(request: DeleteRequest) -> AnyView {
    let DeleteRequest {
        repository,
        digests,
        open,
        selected,
        changed,
    } = request;
    let found = match preview_images_delete(repository.clone(), digests).await {
        Ok(found) => found,
        Err(e) => return view! {
            <p class="mb-4 text-sm text-rose-700" role="alert">{e.to_string()}</p>
            <div class="flex justify-end">
                <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| open.set(false)>"Close"</button>
            </div>
        }
        .into_any(),
    };
    let digests: Vec<String> = found.iter().map(|d| d.digest.clone()).collect();
    let count = found.len() as u64;
    // A server action, not a spawned future: a future spawned here would pull its code into
    // the main module (measured: +22 KB gzip on every page). The dialog stays open until the
    // answer, so the action's owner lives to see it.
    let delete = ServerAction::<DeleteImages>::new();
    Effect::new(move |_| {
        let Some(result) = delete.value().get() else { return };
        match result {
            Ok(done) => {
                let what: Vec<String> = done
                    .iter()
                    .map(|d| format!("{} ({})", d.tags.join(", "), short_digest(&d.digest)))
                    .collect();
                toast_ok(format!("Deleted {}", what.join("; ")));
                selected.set(BTreeSet::new());
            }
            Err(e) => toast_error(e.to_string()),
        }
        open.set(false);
        changed.update(|c| *c += 1);
    });
    let confirmed = move |_| {
        delete.dispatch(DeleteImages {
            repository: repository.clone(),
            digests: digests.clone(),
        });
    };
    view! {
        <p class="mb-2 text-sm text-slate-700">
            "The registry deletes images by digest: every tag on an image goes with it, and so do its signatures, attestations and SBOMs."
        </p>
        <ul class="mb-4 space-y-2 text-sm" data-testid="delete-plan">
            {found.into_iter().map(|plan| view! {
                <li>
                    <code class="font-mono text-xs">{short_digest(&plan.digest)}</code>": "
                    <span class="font-mono" data-testid="delete-tags">{plan.tags.join(", ")}</span>
                    {(!plan.accessories.is_empty()).then(|| view! {
                        <div class="text-slate-600" data-testid="delete-accessories">
                            "with "
                            {plan.accessories.iter().map(|a| format!("{} {}", a.kind.as_str(), short_digest(&a.digest))).collect::<Vec<_>>().join(", ")}
                        </div>
                    })}
                </li>
            }).collect_view()}
        </ul>
        <div class="flex justify-end gap-2">
            <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| open.set(false)>"Cancel"</button>
            <button type="button" class=style::BUTTON_DANGER data-testid="confirm-delete"
                disabled=move || count == 0 || delete.pending().get() on:click=confirmed>
                {format!("Delete {}", plural(count, "image"))}
            </button>
        </div>
    }
    .into_any()
}

/// One image: its tags (each opening the image page), badges, digest, figures and actions.
#[component]
fn ImageRowView(
    image: ImageRow,
    repository: String,
    host: String,
    can_delete: bool,
    selected: RwSignal<BTreeSet<String>>,
    ask: impl Fn(String, Vec<String>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let digest = image.digest.clone();
    // Pull by a tag when it has one (accessories by digest).
    let pull = match (image.accessory_of.is_none(), image.tags.first()) {
        (true, Some(tag)) => format!("docker pull {host}/{repository}:{tag}"),
        _ => format!("docker pull {host}/{repository}@{digest}"),
    };
    let tag_links = image
        .tags
        .iter()
        .map(|tag| {
            let href = format!("/i/{repository}:{tag}");
            let text = tag.clone();
            view! {
                <A href=href attr:class=format!("{} mr-2", style::LINK) attr:data-testid="tag-link" attr:data-tag=tag.clone()>{text}</A>
            }
        })
        .collect_view();
    let accessory_of = image.accessory_of.clone().map(|subject| {
        let href = image_href(&repository, &subject);
        let text = short_digest(&subject);
        view! {
            <div class="text-xs font-normal text-slate-500" data-testid="accessory-of">
                "attached to "<A href=href attr:class=style::LINK>{text}</A>
            </div>
        }
    });
    let digest_text = short_digest(&digest);
    let checkbox_digest = digest.clone();
    let checkbox_label = format!("Select {}", short_digest(&digest));
    let toggle_digest = digest.clone();
    let delete_digest = digest.clone();
    let repository_for_delete = repository.clone();
    view! {
        <tr class=style::TR data-testid="image-row" data-digest=digest.clone()>
            {can_delete.then(|| view! {
                <td class=style::TD>
                    <input type="checkbox" data-testid="select-image" aria-label=checkbox_label
                        prop:checked=move || selected.with(|s| s.contains(&checkbox_digest))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            selected.update(|s| if on { s.insert(toggle_digest.clone()); } else { s.remove(&toggle_digest); });
                        }/>
                </td>
            })}
            <td class=format!("{} max-w-xs break-words font-mono font-medium", style::TD)>
                {tag_links}
                {accessory_badges(&image.attached)}
                {accessory_of}
            </td>
            <td class=format!("{} whitespace-nowrap font-mono text-xs", style::TD)>
                <A href=image_href(&repository, &digest) attr:title=digest.clone() attr:data-testid="digest" attr:class=style::LINK>{digest_text}</A>" "
                <CopyButton text=digest.clone()/>
            </td>
            <td class=format!("{} text-right tabular-nums", style::TD) data-testid="size">{human_size(image.size)}</td>
            <td class=style::TD>{image.pushed_by.clone().unwrap_or_else(|| "—".into())}</td>
            <td class=format!("{} whitespace-nowrap text-slate-600", style::TD)>{short_time(&image.pushed_at)}</td>
            <td class=format!("{} text-right tabular-nums", style::TD)>{image.pulls}</td>
            <td class=format!("{} whitespace-nowrap text-slate-600", style::TD)>{image.last_pulled_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
            <td class=format!("{} whitespace-nowrap text-right", style::TD)>
                <CopyButton text=pull label="Copy pull"/>
                {can_delete.then(|| view! {
                    <button type="button" class="ml-2 rounded px-2 py-0.5 text-xs text-rose-700 hover:bg-rose-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-rose-400"
                        data-testid="delete-image"
                        on:click=move |_| ask(repository_for_delete.clone(), vec![delete_digest.clone()])>"Delete"</button>
                })}
            </td>
        </tr>
    }
}

/// The RepositoryPage as a route whose code is a separate wasm chunk, fetched on first visit
/// (`cargo leptos build --split`): the main module every page loads stays smaller.
pub struct RepositoryRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for RepositoryRoute {
    fn data() -> Self {
        RepositoryRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <RepositoryPage/> }.into_any()
    }
}
