//! A namespace's tag retention: the policy form with a live preview of exactly what a run
//! would delete (the same `domain::retention::plan` a run uses), "Run now", and the last runs.

use leptos::prelude::*;

use crate::api::retention::{
    get_retention, retention_storage, ClearRetention, PreviewRetention, RunRetention, SaveRetention,
};
use crate::domain::retention::{RetentionPlan, RetentionRules, RetentionRunRow, RetentionSettings, StorageReport};
use crate::domain::RetentionStatus;
use crate::ui::components::{style, toast_error, toast_ok, Badge, Empty, Loading, Modal, PageError};
use crate::ui::{human_size, namespace_href, namespace_label, namespace_param};

/// `a, b c` → `["a", "b", "c"]`.
fn patterns(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number(text: &str) -> Option<u32> {
    text.trim().parse().ok()
}

fn short(digest: &str) -> String {
    digest.trim_start_matches("sha256:").chars().take(12).collect()
}

#[component]
pub fn RetentionPage() -> impl IntoView {
    let name = namespace_param();
    let changed = RwSignal::new(0u64);
    let settings = Resource::new(move || (name(), changed.get()), |(n, _)| get_retention(n));
    let storage = Resource::new(move || (name(), changed.get()), |(n, _)| retention_storage(n));
    view! {
        <leptos_meta::Title text=move || format!("Retention · {} · wharf", namespace_label(&name()))/>
        <nav class="mb-2 text-sm">
            <a class=style::LINK href=move || namespace_href(&name())>
                {move || namespace_label(&name())}
            </a>
        </nav>
        <h1 class=style::H1>"Tag retention"</h1>
        <p class="mt-1 mb-6 max-w-3xl text-sm text-slate-600">
            "Tags are kept if any keep rule keeps them; a policy with neither keep-last nor keep-days keeps every tag. "
            "The registry deletes an image with every tag on it, so an image goes only when all its tags are selected; "
            "signatures and SBOMs go with their image. Deleting frees storage once the registry's garbage collection runs."
        </p>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => view! { <RetentionBody settings=s changed/> }.into_any(),
                    Err(e) => view! { <PageError error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                storage.await.ok().map(|s| view! { <StorageView report=s/> })
            })}
        </Suspense>
    }
}

#[component]
fn RetentionBody(settings: RetentionSettings, changed: RwSignal<u64>) -> impl IntoView {
    let ns = settings.namespace.clone();
    let rules = settings.policy.clone().unwrap_or_default();
    let show_num = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
    let keep_last = RwSignal::new(show_num(rules.keep_last));
    let keep_days = RwSignal::new(show_num(rules.keep_days));
    let tags = RwSignal::new(rules.tags.join(", "));
    let exclude = RwSignal::new(rules.exclude.join(", "));
    let protect = RwSignal::new(rules.protect.join(", "));
    let untagged_days = RwSignal::new(show_num(rules.untagged_days));
    let draft = move || RetentionRules {
        keep_last: number(&keep_last.get_untracked()),
        keep_days: number(&keep_days.get_untracked()),
        tags: patterns(&tags.get_untracked()),
        exclude: patterns(&exclude.get_untracked()),
        protect: patterns(&protect.get_untracked()),
        untagged_days: number(&untagged_days.get_untracked()),
    };
    let save = ServerAction::<SaveRetention>::new();
    let clear = ServerAction::<ClearRetention>::new();
    let preview = ServerAction::<PreviewRetention>::new();
    let run = ServerAction::<RunRetention>::new();
    let confirm_run = RwSignal::new(false);
    Effect::new(move |_| match save.value().get() {
        Some(Ok(_)) => {
            toast_ok("Retention policy saved");
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    Effect::new(move |_| match clear.value().get() {
        Some(Ok(_)) => {
            toast_ok("Retention policy removed");
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    Effect::new(move |_| {
        if let Some(Err(e)) = preview.value().get() {
            toast_error(e.to_string());
        }
    });
    Effect::new(move |_| match run.value().get() {
        Some(Ok(r)) => {
            if r.status == RetentionStatus::NeedsConfirmation {
                toast_error(r.error.clone().unwrap_or_else(|| "held for confirmation".into()));
            } else {
                toast_ok(format!("Run {}: {} images deleted", r.id, r.deleted_images));
            }
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    let (save_ns, preview_ns, clear_ns) = (ns.clone(), ns.clone(), ns.clone());
    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveRetention {
            namespace: save_ns.clone(),
            repository: None,
            rules: draft(),
        });
    };
    let on_preview = move |_| {
        preview.dispatch(PreviewRetention {
            namespace: preview_ns.clone(),
            repository: None,
            rules: draft(),
        });
    };
    let manage = settings.may_manage;
    // The last run was held: running again confirms it.
    let held_before = settings
        .runs
        .first()
        .is_some_and(|r| r.status == RetentionStatus::NeedsConfirmation);
    let has_policy = settings.policy.is_some();
    let share = (settings.max_delete_share * 100.0).round();
    let field = |id: &'static str, label: &'static str, hint: &'static str, value: RwSignal<String>, numeric: bool| {
        view! {
            <div>
                <label for=id class=style::LABEL>{label}</label>
                <input id=id type=if numeric { "number" } else { "text" } min="0" class=style::INPUT
                    placeholder=hint bind:value=value disabled=!manage/>
            </div>
        }
    };
    view! {
        <section class=format!("p-4 {}", style::CARD) data-testid="retention-policy">
            <h2 class=style::H2>{if has_policy { "Policy" } else { "Policy (none yet: everything is kept)" }}</h2>
            <form class="grid grid-cols-1 gap-4 sm:grid-cols-3" on:submit=on_save>
                {field("keep-last", "Keep the last N images", "e.g. 10", keep_last, true)}
                {field("keep-days", "Keep what was pushed or pulled within D days", "e.g. 30", keep_days, true)}
                {field("untagged-days", "Delete untagged manifests after D days", "e.g. 7", untagged_days, true)}
                {field("tags", "Apply to tags matching", "every tag (e.g. build-*, pr-*)", tags, false)}
                {field("exclude", "Except tags matching", "e.g. build-keep*", exclude, false)}
                {field("protect", "Always keep tags matching", "e.g. v*, latest", protect, false)}
                {manage.then(|| view! {
                    <div class="flex flex-wrap gap-2 sm:col-span-3">
                        <button type="button" class=style::BUTTON_SECONDARY on:click=on_preview disabled=preview.pending()>"Preview"</button>
                        <button type="submit" class=style::BUTTON disabled=save.pending()>"Save policy"</button>
                        {has_policy.then(|| view! {
                            <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| {
                                clear.dispatch(ClearRetention { namespace: clear_ns.clone(), repository: None });
                            }>"Remove policy"</button>
                        })}
                        {has_policy.then(|| view! {
                            <button type="button" class=format!("ml-auto {}", style::BUTTON_DANGER) on:click=move |_| confirm_run.set(true)>"Run now"</button>
                        })}
                    </div>
                })}
            </form>
            {(!settings.overrides.is_empty()).then(|| view! {
                <div class="mt-4 border-t border-slate-100 pt-3 text-sm">
                    <p class="font-medium">"Repositories with their own policy"</p>
                    <ul class="mt-1 list-disc pl-5">
                        {settings.overrides.iter().map(|o| view! {
                            <li><span class="font-mono">{o.repository.clone()}</span>": "{describe(&o.rules)}</li>
                        }).collect_view()}
                    </ul>
                </div>
            })}
        </section>
        <Show when=move || preview.value().with(|v| matches!(v, Some(Ok(_))))>
            <section class="mt-6" data-testid="retention-preview">
                <h2 class=style::H2>"Preview"</h2>
                {move || preview.value().get().and_then(Result::ok).map(|plan| view! { <PlanView plan/> })}
            </section>
        </Show>
        <Modal open=confirm_run title="Run the retention policy now?">
            <p class="mb-4 text-sm text-slate-700">
                {format!("Every image the saved policy selects is deleted from the registry, with its tags and what is attached to it. A run deleting more than {share} % of the namespace's tags is held; run it again to confirm.")}
            </p>
            <div class="flex justify-end gap-2">
                <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| confirm_run.set(false)>"Cancel"</button>
                <button type="button" class=style::BUTTON_DANGER on:click={
                    let ns = ns.clone();
                    move |_| {
                        confirm_run.set(false);
                        run.dispatch(RunRetention { namespace: ns.clone(), confirm: held_before });
                    }
                }>{if held_before { "Delete anyway" } else { "Run" }}</button>
            </div>
        </Modal>
        <section class="mt-6">
            <h2 class=style::H2>"Runs"</h2>
            <RunsTable runs=settings.runs/>
        </section>
    }
}

fn describe(r: &RetentionRules) -> String {
    let mut parts = Vec::new();
    if let Some(n) = r.keep_last {
        parts.push(format!("keep last {n}"));
    }
    if let Some(d) = r.keep_days {
        parts.push(format!("keep {d} days"));
    }
    if !r.tags.is_empty() {
        parts.push(format!("tags {}", r.tags.join(", ")));
    }
    if !r.exclude.is_empty() {
        parts.push(format!("except {}", r.exclude.join(", ")));
    }
    if !r.protect.is_empty() {
        parts.push(format!("protect {}", r.protect.join(", ")));
    }
    if let Some(d) = r.untagged_days {
        parts.push(format!("untagged after {d} days"));
    }
    if parts.is_empty() {
        "keeps everything".into()
    } else {
        parts.join("; ")
    }
}

#[component]
fn PlanView(plan: RetentionPlan) -> impl IntoView {
    let summary = format!(
        "{} images ({} tags) would be deleted; {} kept",
        plan.delete.len(),
        plan.deleted_tags(),
        plan.keep.len()
    );
    view! {
        <p class="mb-3 text-sm font-medium" data-testid="retention-summary">{summary}</p>
        <div class=format!("overflow-x-auto {}", style::CARD)>
            <table class=style::TABLE>
                <thead class=style::THEAD><tr>
                    <th class=style::TH>""</th>
                    <th class=style::TH>"Repository"</th>
                    <th class=style::TH>"Image"</th>
                    <th class=style::TH>"Tags"</th>
                    <th class=style::TH>"Why"</th>
                </tr></thead>
                <tbody>
                    {plan.delete.into_iter().map(|d| {
                        let with = if d.accessories.is_empty() { String::new() } else { format!("with {} attached", d.accessories.len()) };
                        let tags = if d.tags.is_empty() { "(untagged)".to_owned() } else { d.tags.join(", ") };
                        view! {
                            <tr class=style::TR data-testid="retention-delete">
                                <td class=style::TD><Badge text="delete" tone="red"/></td>
                                <td class=format!("{} font-mono", style::TD)>{d.repository}</td>
                                <td class=format!("{} font-mono", style::TD) title=d.digest.clone()>{short(&d.digest)}</td>
                                <td class=format!("{} min-w-40 max-w-xs [overflow-wrap:anywhere]", style::TD)>{tags}</td>
                                <td class=style::TD>{with}</td>
                            </tr>
                        }
                    }).collect_view()}
                    {plan.keep.into_iter().map(|k| view! {
                        <tr class=style::TR data-testid="retention-keep">
                            <td class=style::TD><Badge text="keep" tone="green"/></td>
                            <td class=format!("{} font-mono", style::TD)>{k.repository}</td>
                            <td class=format!("{} font-mono", style::TD) title=k.digest.clone()>{short(&k.digest)}</td>
                            <td class=format!("{} min-w-40 max-w-xs [overflow-wrap:anywhere]", style::TD)>{k.tags.join(", ")}</td>
                            <td class=format!("{} min-w-48 max-w-md text-slate-600 [overflow-wrap:anywhere]", style::TD)>{k.reason}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn StorageView(report: StorageReport) -> impl IntoView {
    let unread = (report.manifests_unread > 0).then(|| {
        format!(
            " {} manifests not read from the registry yet are not counted.",
            report.manifests_unread
        )
    });
    view! {
        <section class="mt-6" data-testid="retention-storage">
            <h2 class=style::H2>"Storage"</h2>
            <p class="mb-3 text-sm text-slate-600">
                {format!(
                    "{} in use; the garbage collection would free {} once the saved policy has run (layers other images use stay).",
                    human_size(report.in_use),
                    human_size(report.freed_by_plan)
                )}
                {unread}
            </p>
            <div class=format!("overflow-x-auto {}", style::CARD)>
                <table class=style::TABLE>
                    <thead class=style::THEAD><tr>
                        <th class=style::TH>"Repository"</th>
                        <th class=style::TH>"In use"</th>
                        <th class=style::TH>"Freed by the plan"</th>
                    </tr></thead>
                    <tbody>
                        {report.repositories.into_iter().map(|r| view! {
                            <tr class=style::TR>
                                <td class=format!("{} font-mono", style::TD)>{r.repository}</td>
                                <td class=style::TD>{human_size(r.in_use)}</td>
                                <td class=style::TD>{human_size(r.freed_by_plan)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn RunsTable(runs: Vec<RetentionRunRow>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <Empty text="No runs yet."/> }.into_any();
    }
    view! {
        <div class=format!("overflow-x-auto {}", style::CARD)>
            <table class=style::TABLE>
                <thead class=style::THEAD><tr>
                    <th class=style::TH>"Run"</th>
                    <th class=style::TH>"Started"</th>
                    <th class=style::TH>"By"</th>
                    <th class=style::TH>"Status"</th>
                    <th class=style::TH>"Deleted"</th>
                    <th class=style::TH>"Kept"</th>
                </tr></thead>
                <tbody>
                    {runs.into_iter().map(|r| {
                        let tone = match r.status {
                            RetentionStatus::Succeeded => "green",
                            RetentionStatus::NeedsConfirmation | RetentionStatus::Partial => "amber",
                            RetentionStatus::Failed => "red",
                            RetentionStatus::Running => "slate",
                        };
                        let images = if r.deleted_images == 1 { "image" } else { "images" };
                        view! {
                            <tr class=style::TR data-testid="retention-run">
                                <td class=style::TD>{r.id}</td>
                                <td class=style::TD>{r.started_at.get(..19).unwrap_or(&r.started_at).replace('T', " ")}</td>
                                <td class=style::TD>{format!("{} ({})", r.actor, r.trigger)}</td>
                                <td class=style::TD title=r.error.clone().unwrap_or_default()><Badge text=r.status.as_str() tone/></td>
                                <td class=style::TD>{format!("{} {images}, {} tags", r.deleted_images, r.deleted_tags)}</td>
                                <td class=style::TD>{r.kept_images}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The RetentionPage as a route whose code is a separate wasm chunk, fetched on first visit
/// (`cargo leptos build --split`).
pub struct RetentionRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for RetentionRoute {
    fn data() -> Self {
        RetentionRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <RetentionPage/> }.into_any()
    }
}
