//! The registries page (administrators): each replica's live health with its recent probes and
//! last notification, sync runs with "sync now" and the confirmation a guarded run needs, and
//! orphan repositories to adopt.

use leptos::prelude::*;

use crate::api::registries::{get_registry_overview, AdoptOrphans, DeploymentConfigs, SetRegistryEndpoint, SyncNow};
use crate::domain::dto::{ReplicaStatus, SyncRunSummary};
use crate::ui::components::{style, toast_outcome, AdminOnly, Badge, CopyButton, Empty, Loading, PageError};
use crate::ui::short_time;

/// Administrators only.
#[component]
pub fn RegistriesPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Registries · wharf"/>
        <AdminOnly><RegistriesAdmin/></AdminOnly>
    }
}

#[component]
fn RegistriesAdmin() -> impl IntoView {
    let changed = RwSignal::new(0u64);
    let sync = ServerAction::<SyncNow>::new();
    let adopt = ServerAction::<AdoptOrphans>::new();
    let endpoint = ServerAction::<SetRegistryEndpoint>::new();
    toast_outcome(endpoint, "Public endpoint saved", Some(changed));
    toast_outcome(sync, "Sync finished", Some(changed));
    toast_outcome(adopt, "Orphans adopted", Some(changed));
    let data = Resource::new(move || changed.get(), |_| get_registry_overview());
    // Live health: reload every 10 s while the page is open.
    Effect::new(move |_| {
        let handle = set_interval_with_handle(move || changed.update(|c| *c += 1), std::time::Duration::from_secs(10));
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    view! {
        <div class="mb-4 flex flex-wrap items-center justify-between gap-3">
            <h1 class=style::H1>"Registries"</h1>
            <button type="button" class=style::BUTTON disabled=sync.pending() data-testid="sync-now"
                on:click=move |_| { sync.dispatch(SyncNow { confirm_deletions: false }); }>
                {move || if sync.pending().get() { "Syncing…" } else { "Sync now" }}
            </button>
        </div>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                let o = match data.await {
                    Ok(o) => o,
                    Err(e) => return view! { <PageError error=e/> }.into_any(),
                };
                let needs_confirmation = o.sync_runs.first().is_some_and(|r| r.status == "needs-confirmation");
                // One public endpoint per registry (the replicas of one registry share it).
                let mut endpoints: Vec<(String, String)> =
                    o.replicas.iter().map(|r| (r.registry.clone(), r.public_host.clone())).collect();
                endpoints.sort();
                endpoints.dedup();
                view! {
                    {(!endpoints.is_empty()).then(|| view! {
                        <section class="mb-8">
                            <h2 class=style::H2>"Public endpoint"</h2>
                            <p class="mb-3 text-sm text-slate-600">"What users give to docker login: the load balancer in front of the replicas. Every pull and push line in the console shows it."</p>
                            {endpoints.into_iter().map(|(registry, host)| {
                                let value = RwSignal::new(host);
                                let input_id = format!("endpoint-{registry}");
                                view! {
                                    <form class="mb-2 flex flex-wrap items-center gap-2" data-testid="registry-endpoint"
                                        on:submit=move |ev: leptos::ev::SubmitEvent| {
                                            ev.prevent_default();
                                            endpoint.dispatch(SetRegistryEndpoint { registry: registry.clone(), public_host: value.get_untracked() });
                                        }>
                                        <label class="text-sm font-medium" for=input_id.clone()>{format!("Registry {}", input_id.trim_start_matches("endpoint-"))}</label>
                                        <input id=input_id type="text" required placeholder="registry.example.com:443"
                                            class="min-w-0 flex-1 rounded border border-slate-300 px-2 py-1 font-mono text-sm" bind:value=value/>
                                        <button type="submit" class=style::BUTTON_SECONDARY disabled=endpoint.pending()>"Save"</button>
                                    </form>
                                }
                            }).collect_view()}
                        </section>
                    })}
                    <section class="mb-8">
                        <h2 class=style::H2>"Replicas"</h2>
                        {if o.replicas.is_empty() {
                            view! { <Empty text="No replica yet: generate a registry configuration with `wharf registry-config`."/> }.into_any()
                        } else {
                            view! { <div class="grid grid-cols-1 gap-4 md:grid-cols-2">{o.replicas.into_iter().map(|r| view! { <ReplicaCard replica=r/> }).collect_view()}</div> }.into_any()
                        }}
                    </section>
                    {needs_confirmation.then(|| view! {
                        <div role="alert" class="mb-4 rounded border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900">
                            <p class="mb-2 font-medium">"The last sync held back removals: the registry lacks more tags than the guard allows."</p>
                            <p class="mb-3">"Check that the registry's storage is intact before confirming."</p>
                            <button type="button" class=style::BUTTON_DANGER data-testid="confirm-sync"
                                on:click=move |_| { sync.dispatch(SyncNow { confirm_deletions: true }); }>"Confirm and remove"</button>
                        </div>
                    })}
                    <section class="mb-8">
                        <h2 class=style::H2>{format!("Sync runs{}", if o.sync_interval_secs > 0 { format!(" (every {} s)", o.sync_interval_secs) } else { " (scheduled sync off)".into() })}</h2>
                        <SyncRuns runs=o.sync_runs/>
                    </section>
                    <section>
                        <h2 class=style::H2>"Orphan repositories"</h2>
                        <p class="mb-3 text-sm text-slate-600">"In the registry under a namespace wharf did not know when they appeared; nobody may pull, push or delete them until adopted. Adopting moves every orphan of that namespace into it: leave the team empty when the namespace exists, or name the team to create it (private) in."</p>
                        {if o.orphans.is_empty() {
                            view! { <Empty text="No orphans."/> }.into_any()
                        } else {
                            view! {
                                <div class=format!("relative overflow-x-auto {}", style::CARD)>
                                    <table class=style::TABLE data-testid="orphans">
                                        <thead class=style::THEAD><tr>
                                            <th scope="col" class=style::TH>"Repository"</th>
                                            <th scope="col" class=format!("{} text-right", style::TH)>"Tags"</th>
                                            <th scope="col" class=style::TH>"Updated"</th>
                                            <th scope="col" class=style::TH>"Adopt (team, if new)"</th>
                                        </tr></thead>
                                        <tbody>
                                            {o.orphans.into_iter().map(|r| {
                                                let team = RwSignal::new(String::new());
                                                // Only the namespace its name starts with can hold it.
                                                let namespace = crate::domain::RepositoryName::try_from(r.name.clone())
                                                    .ok()
                                                    .and_then(|n| n.namespace())
                                                    .map(|n| n.to_string())
                                                    .unwrap_or_default();
                                                view! {
                                                    <tr class=style::TR>
                                                        <td class=format!("{} font-mono", style::TD)>{r.name.clone()}</td>
                                                        <td class=format!("{} text-right", style::TD)>{r.tags}</td>
                                                        <td class=style::TD>{short_time(&r.updated_at)}</td>
                                                        <td class=style::TD>
                                                            <form class="flex gap-2" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                                                ev.prevent_default();
                                                                adopt.dispatch(AdoptOrphans { namespace: namespace.clone(), team: Some(team.get_untracked()) });
                                                            }>
                                                                <label class="sr-only" for=format!("adopt-{}", r.id)>"Team"</label>
                                                                <input id=format!("adopt-{}", r.id) type="text" placeholder="team (new namespace)" class="rounded border border-slate-300 px-2 py-1 text-sm" bind:value=team/>
                                                                <button type="submit" class=style::BUTTON_SECONDARY>"Adopt"</button>
                                                            </form>
                                                        </td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }}
                    </section>
                }.into_any()
            })}
        </Transition>
        <Configurations/>
    }
}

/// The configuration files for the replicas wharf knows (registry, nginx, keepalived), generated
/// by the same code as `wharf registry-config`, `lb-config` and `keepalived-config`.
#[component]
fn Configurations() -> impl IntoView {
    let generate = ServerAction::<DeploymentConfigs>::new();
    let field = |id: &'static str, label: &'static str, value: &'static str, hint: &'static str| {
        view! {
            <div>
                <label class=style::LABEL for=id>{label}</label>
                <input id=id name=id type="text" value=value placeholder=hint class=style::INPUT/>
            </div>
        }
    };
    view! {
        <section class="mt-8" data-testid="configurations">
            <h2 class=style::H2>"Configuration"</h2>
            <p class="mb-3 text-sm text-slate-600">
                "Each replica's registry config.yml, the nginx load balancer and a keepalived pair sharing a virtual IP, with wharf's values filled in. They contain secrets: copy them straight to the hosts."
            </p>
            <ActionForm action=generate attr:class=format!("mb-4 grid grid-cols-1 gap-3 p-4 sm:grid-cols-3 sm:items-end {}", style::CARD)>
                {field("storage", "Registry storage", "/var/lib/registry", "/var/lib/registry")}
                {field("redis", "Redis (host:port)", "", "optional")}
                {field("lb_listen", "nginx listens on", "0.0.0.0:443", "0.0.0.0:443")}
                <div>
                    <label class=style::LABEL for="registry_version">"Registry version"</label>
                    <select id="registry_version" name="registry_version" class=style::INPUT>
                        <option value="" selected>"As each replica records"</option>
                        <option value="3">"3.x (registry:3)"</option>
                        <option value="2">"2.8"</option>
                    </select>
                </div>
                {field("vip", "Virtual IP (keepalived)", "", "e.g. 10.0.0.100/24")}
                {field("interface", "Interface", "eth0", "eth0")}
                <div>
                    <label class=style::LABEL for="vrrp_password">"VRRP password"</label>
                    <input id="vrrp_password" name="vrrp_password" type="password" maxlength="8" autocomplete="new-password" placeholder="random when empty" class=style::INPUT/>
                </div>
                <div class="sm:col-span-3">
                    <button type="submit" class=style::BUTTON data-testid="generate-configs" disabled=generate.pending()>"Generate"</button>
                </div>
            </ActionForm>
            {move || match generate.value().get() {
                None => ().into_any(),
                Some(Err(e)) => view! { <PageError error=e/> }.into_any(),
                Some(Ok(files)) if files.is_empty() => view! { <Empty text="No replica yet: add one first."/> }.into_any(),
                Some(Ok(files)) => files.into_iter().map(|f| view! {
                    <div class=format!("mb-4 {}", style::CARD) data-testid="generated-file">
                        <div class="flex items-center justify-between border-b border-slate-100 px-4 py-2">
                            <h3 class="text-sm font-medium">{f.title}<span class="ml-2 font-mono text-xs text-slate-500">{f.filename}</span></h3>
                            <CopyButton text=f.content.clone() label="Copy file"/>
                        </div>
                        <pre class="max-h-80 overflow-auto px-4 py-3 font-mono text-xs leading-5">{f.content}</pre>
                    </div>
                }).collect_view().into_any(),
            }}
        </section>
    }
}

#[component]
fn ReplicaCard(replica: ReplicaStatus) -> impl IntoView {
    let tone = match replica.status.as_str() {
        "up" => "green",
        "down" => "red",
        _ => "slate",
    };
    view! {
        <div class=format!("p-4 {}", style::CARD) data-testid="replica" data-replica=replica.name.clone()>
            <div class="mb-2 flex items-center justify-between">
                <h3 class="font-semibold">{format!("{} / {}", replica.registry, replica.name)}</h3>
                <Badge text=replica.status.clone() tone/>
            </div>
            <dl class="grid grid-cols-3 gap-x-2 gap-y-1 text-sm">
                <dt class="text-slate-500">"URL"</dt><dd class="col-span-2 font-mono text-xs break-all">{replica.url.clone()}</dd>
                <dt class="text-slate-500">"Public"</dt><dd class="col-span-2 font-mono text-xs">{replica.public_host.clone()}</dd>
                <dt class="text-slate-500">"Registry"</dt><dd class="col-span-2" data-testid="replica-version">{if replica.registry_version == "2" { "2.8" } else { "3.x" }}</dd>
                <dt class="text-slate-500">"Last probe"</dt><dd class="col-span-2">{replica.last_probe_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</dd>
                <dt class="text-slate-500">"Last event"</dt><dd class="col-span-2">{replica.last_event_at.as_deref().map(short_time).unwrap_or_else(|| "none yet".into())}</dd>
                {replica.last_error.clone().filter(|e| !e.is_empty()).map(|e| view! {
                    <dt class="text-slate-500">"Error"</dt><dd class="col-span-2 text-rose-700 text-xs">{e}</dd>
                })}
            </dl>
            <div class="mt-3 flex gap-1" aria-label="Recent probes, newest first">
                {replica.history.iter().map(|p| {
                    let class = if p.up { "h-3 w-3 rounded-sm bg-emerald-500" } else { "h-3 w-3 rounded-sm bg-rose-500" };
                    let title = format!("{} {}{}", short_time(&p.at), if p.up { format!("up, {} ms", p.latency_ms) } else { "down".into() },
                        if p.detail.is_empty() { String::new() } else { format!(": {}", p.detail) });
                    view! { <span class=class title=title></span> }
                }).collect_view()}
            </div>
        </div>
    }
}

#[component]
fn SyncRuns(runs: Vec<SyncRunSummary>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <Empty text="No sync has run yet."/> }.into_any();
    }
    view! {
        <div class=format!("relative overflow-x-auto {}", style::CARD)>
            <table class=style::TABLE data-testid="sync-runs">
                <thead class=style::THEAD><tr>
                    <th scope="col" class=style::TH>"Started"</th>
                    <th scope="col" class=style::TH>"Trigger"</th>
                    <th scope="col" class=style::TH>"Status"</th>
                    <th scope="col" class=format!("{} text-right", style::TH)>"Repos"</th>
                    <th scope="col" class=format!("{} text-right", style::TH)>"Tags seen"</th>
                    <th scope="col" class=format!("{} text-right", style::TH)>"+ / ~ / −"</th>
                    <th scope="col" class=format!("{} text-right", style::TH)>"Held"</th>
                    <th scope="col" class=style::TH>"Errors"</th>
                </tr></thead>
                <tbody>
                    {runs.into_iter().map(|r| {
                        let tone = match r.status.as_str() {
                            "succeeded" => "green",
                            "failed" => "red",
                            "needs-confirmation" | "partial" => "amber",
                            _ => "slate",
                        };
                        view! {
                            <tr class=style::TR>
                                <td class=format!("{} whitespace-nowrap", style::TD)>{short_time(&r.started_at)}</td>
                                <td class=style::TD>{r.trigger.clone()}</td>
                                <td class=style::TD><Badge text=r.status.clone() tone/></td>
                                <td class=format!("{} text-right tabular-nums", style::TD)>{r.repositories_seen}</td>
                                <td class=format!("{} text-right tabular-nums", style::TD)>{r.tags_seen}</td>
                                <td class=format!("{} text-right tabular-nums", style::TD)>{format!("{} / {} / {}", r.tags_added, r.tags_updated, r.tags_removed)}</td>
                                <td class=format!("{} text-right tabular-nums", style::TD)>{r.removals_held}</td>
                                <td class=format!("{} text-xs text-rose-700", style::TD)>{r.errors.join("; ")}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}

/// The RegistriesPage as a route whose code is a separate wasm chunk, fetched on first visit
/// (`cargo leptos build --split`).
pub struct RegistriesRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for RegistriesRoute {
    fn data() -> Self {
        RegistriesRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <RegistriesPage/> }.into_any()
    }
}
