//! A namespace's webhooks, on their own page (`/namespaces/NAME/webhooks`, linked from the
//! namespace page for those who manage them): the list, a form to add one, and per hook: edit,
//! test-fire, delete, and the delivery log with every attempt and redelivery.

use leptos::prelude::*;

use crate::api::webhooks::{
    list_webhook_deliveries, list_webhooks, CreateWebhook, DeleteWebhook, RedeliverWebhook, TestWebhook, UpdateWebhook,
};
use crate::domain::dto::{WebhookDelivery, WebhookHeader, WebhookSummary};
use crate::domain::{DeliveryStatus, WebhookEvent};
use crate::ui::components::{style, toast_error, toast_ok, toast_outcome, Badge, Empty, Loading, Modal, PageError};
use crate::ui::{namespace_href, namespace_label, namespace_param, short_time};

/// `Name: value` lines into headers; blank lines are skipped.
fn parse_headers(text: &str) -> Result<Vec<WebhookHeader>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once(':') {
            Some((n, v)) => Ok(WebhookHeader {
                name: n.trim().to_owned(),
                value: v.trim().to_owned(),
            }),
            None => Err(format!("{l:?}: write headers as Name: value, one per line")),
        })
        .collect()
}

fn chosen_events(push: bool, delete: bool) -> Vec<WebhookEvent> {
    let mut e = Vec::new();
    if push {
        e.push(WebhookEvent::Push);
    }
    if delete {
        e.push(WebhookEvent::Delete);
    }
    e
}

fn status_badge(status: DeliveryStatus) -> impl IntoView {
    let tone = match status {
        DeliveryStatus::Succeeded => "green",
        DeliveryStatus::Failed => "red",
        DeliveryStatus::Delivering => "sky",
        DeliveryStatus::Pending => "amber",
    };
    view! { <Badge text=status.as_str() tone/> }
}

const CHECKBOX: &str = "h-4 w-4 rounded border-slate-300 focus:ring-sky-500";

/// The page: the namespace's webhooks (the server answers 403 to those who may not manage them).
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let name = namespace_param();
    view! {
        <leptos_meta::Title text=move || format!("Webhooks · {} · wharf", namespace_label(&name()))/>
        <nav class="mb-2 text-sm">
            <a class=style::LINK href=move || namespace_href(&name())>
                {move || namespace_label(&name())}
            </a>
        </nav>
        {move || view! { <NamespaceWebhooks namespace=name()/> }}
    }
}

/// The WebhooksPage as a route whose code is a separate wasm chunk, fetched on first visit
/// (`cargo leptos build --split`): the namespace page stays small for everyone.
pub struct WebhooksRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for WebhooksRoute {
    fn data() -> Self {
        WebhooksRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <WebhooksPage/> }.into_any()
    }
}

#[component]
fn NamespaceWebhooks(namespace: String) -> impl IntoView {
    let changed = RwSignal::new(0u64);
    let ns = namespace.clone();
    let hooks = Resource::new(move || (ns.clone(), changed.get()), |(n, _)| list_webhooks(n));
    view! {
        <section class=format!("mt-6 p-4 {}", style::CARD) data-testid="webhooks">
            <h2 class=style::H2>"Webhooks"</h2>
            <p class="mb-3 text-sm text-slate-600">
                "wharf POSTs a JSON event to each URL when images are pushed or deleted here, signed with "
                <code class="font-mono">"X-Wharf-Signature: t=…,v1=…"</code>
                " (HMAC-SHA256 of the timestamp, a dot and the body) when the hook has a secret. Failed deliveries are retried with growing waits."
            </p>
            <Transition fallback=|| view! { <Loading/> }>
                {move || { let namespace = namespace.clone(); Suspend::new(async move {
                    match hooks.await {
                        Ok(list) if list.is_empty() => view! { <Empty text="No webhooks yet."/> <NewWebhookForm namespace changed/> }.into_any(),
                        Ok(list) => view! {
                            <ul class="space-y-3" data-testid="webhook-list">
                                {list.into_iter().map(|h| view! { <WebhookItem hook=h changed/> }).collect_view()}
                            </ul>
                            <NewWebhookForm namespace changed/>
                        }.into_any(),
                        // Refused (or gone): no form to fill in for nothing.
                        Err(e) => view! { <PageError error=e/> }.into_any(),
                    }
                })}}
            </Transition>
        </section>
    }
}

#[component]
fn NewWebhookForm(namespace: String, changed: RwSignal<u64>) -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let url = RwSignal::new(String::new());
    let push = RwSignal::new(true);
    let delete = RwSignal::new(false);
    let secret = RwSignal::new(String::new());
    let headers = RwSignal::new(String::new());
    Effect::new(move |_| match create.value().get() {
        Some(Ok(_)) => {
            toast_ok("Webhook added");
            url.set(String::new());
            secret.set(String::new());
            headers.set(String::new());
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let headers = match parse_headers(&headers.get_untracked()) {
            Ok(h) => h,
            Err(e) => return toast_error(e),
        };
        let secret = Some(secret.get_untracked()).filter(|s| !s.trim().is_empty());
        create.dispatch(CreateWebhook {
            namespace: namespace.clone(),
            url: url.get_untracked(),
            events: chosen_events(push.get_untracked(), delete.get_untracked()),
            headers,
            secret,
            enabled: true,
        });
    };
    view! {
        <details class="mt-4 border-t border-slate-100 pt-4" data-testid="new-webhook">
            <summary class="cursor-pointer font-medium">"Add a webhook"</summary>
            <form class="mt-3 grid grid-cols-1 gap-3 sm:grid-cols-2" on:submit=on_submit>
                <div class="sm:col-span-2">
                    <label for="wh-url" class=style::LABEL>"Payload URL"</label>
                    <input id="wh-url" type="url" required placeholder="https://ci.example.com/hooks/registry" class=style::INPUT bind:value=url/>
                </div>
                <fieldset class="flex items-center gap-4 text-sm">
                    <legend class=style::LABEL>"Events"</legend>
                    <label class="flex items-center gap-2"><input type="checkbox" class=CHECKBOX bind:checked=push/>"push"</label>
                    <label class="flex items-center gap-2"><input type="checkbox" class=CHECKBOX bind:checked=delete/>"delete"</label>
                </fieldset>
                <div>
                    <label for="wh-secret" class=style::LABEL>"Secret (optional, shown only now)"</label>
                    <input id="wh-secret" type="password" autocomplete="new-password" minlength="8" maxlength="256" class=style::INPUT bind:value=secret/>
                </div>
                <div class="sm:col-span-2">
                    <label for="wh-headers" class=style::LABEL>"Custom headers (optional, one Name: value per line)"</label>
                    <textarea id="wh-headers" rows="2" class=format!("{} font-mono", style::INPUT) placeholder="Authorization: Bearer …" bind:value=headers></textarea>
                </div>
                <div><button type="submit" class=style::BUTTON disabled=create.pending()>"Add webhook"</button></div>
            </form>
        </details>
    }
}

#[component]
fn WebhookItem(hook: WebhookSummary, changed: RwSignal<u64>) -> impl IntoView {
    let id = hook.id;
    let test = ServerAction::<TestWebhook>::new();
    let remove = ServerAction::<DeleteWebhook>::new();
    let editing = RwSignal::new(false);
    let show_log = RwSignal::new(false);
    let confirm = RwSignal::new(false);
    let log_version = RwSignal::new(0u64);
    toast_outcome(remove, "Webhook deleted", Some(changed));
    Effect::new(move |_| match test.value().get() {
        Some(Ok(_)) => {
            toast_ok("Ping queued");
            show_log.set(true);
            log_version.update(|v| *v += 1);
            // Delivery takes a moment; look again shortly.
            set_timeout(
                move || log_version.update(|v| *v += 1),
                std::time::Duration::from_millis(1500),
            );
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    let events = hook.events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ");
    let url = hook.url.clone();
    let stored_hook = StoredValue::new(hook.clone());
    view! {
        <li class="rounded border border-slate-200 p-3" data-testid="webhook">
            <div class="flex flex-wrap items-center gap-2">
                <code class="break-all font-mono text-sm" data-testid="webhook-url">{url}</code>
                <Badge text=events tone="sky"/>
                {if hook.enabled { view! { <Badge text="enabled" tone="green"/> } } else { view! { <Badge text="disabled"/> } }}
                {hook.has_secret.then(|| view! { <Badge text="signed" tone="amber"/> })}
                {hook.last_delivery.map(|s| view! { <span class="text-xs text-slate-500">"last delivery:"</span> {status_badge(s)} })}
            </div>
            {(!hook.header_names.is_empty()).then(|| view! {
                <p class="mt-1 text-xs text-slate-500">{format!("Headers: {}", hook.header_names.join(", "))}</p>
            })}
            <div class="mt-2 flex flex-wrap gap-2">
                <button type="button" class=style::BUTTON_SECONDARY disabled=test.pending()
                    on:click=move |_| { test.dispatch(TestWebhook { id }); }>"Test"</button>
                <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| show_log.update(|s| *s = !*s)>
                    {move || if show_log.get() { "Hide deliveries" } else { "Deliveries" }}
                </button>
                <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| editing.update(|e| *e = !*e)>"Edit"</button>
                <button type="button" class=format!("ml-auto {}", style::BUTTON_DANGER) on:click=move |_| confirm.set(true)>"Delete"</button>
            </div>
            <Show when=move || editing.get()>
                <Suspense fallback=|| view! { <Loading/> }>
                    {move || {
                        let hook = stored_hook.get_value();
                        Suspend::new(async move { edit_webhook(hook, changed, editing).await })
                    }}
                </Suspense>
            </Show>
            <Show when=move || show_log.get()>
                <Suspense fallback=|| view! { <Loading/> }>
                    {move || Suspend::new(async move { delivery_log(id, log_version).await })}
                </Suspense>
            </Show>
            <Modal open=confirm title="Delete this webhook?">
                <p class="mb-4 text-sm text-slate-700">"Its delivery log goes with it."</p>
                <div class="flex justify-end gap-2">
                    <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| confirm.set(false)>"Cancel"</button>
                    <button type="button" class=style::BUTTON_DANGER on:click=move |_| { confirm.set(false); remove.dispatch(DeleteWebhook { id }); }>"Delete"</button>
                </div>
            </Modal>
        </li>
    }
}

/// The edit form, a wasm chunk of its own fetched on the first "Edit" click (`cargo leptos
/// build --split`): the page most visits only read stays smaller.
#[lazy]
async fn edit_webhook(hook: WebhookSummary, changed: RwSignal<u64>, editing: RwSignal<bool>) -> AnyView {
    view! { <EditWebhook hook changed editing/> }.into_any()
}

#[component]
fn EditWebhook(hook: WebhookSummary, changed: RwSignal<u64>, editing: RwSignal<bool>) -> impl IntoView {
    let update = ServerAction::<UpdateWebhook>::new();
    let id = hook.id;
    let url = RwSignal::new(hook.url.clone());
    let push = RwSignal::new(hook.events.contains(&WebhookEvent::Push));
    let delete = RwSignal::new(hook.events.contains(&WebhookEvent::Delete));
    let enabled = RwSignal::new(hook.enabled);
    let secret = RwSignal::new(String::new());
    let remove_secret = RwSignal::new(false);
    let replace_headers = RwSignal::new(false);
    let headers = RwSignal::new(String::new());
    let has_secret = hook.has_secret;
    let had_credentials = has_secret || !hook.header_names.is_empty();
    let original_url = hook.url.clone();
    // Compared as typed; the server decides on the normalised URL.
    let url_changed = Memo::new(move |_| url.with(|u| u.trim() != original_url));
    Effect::new(move |_| match update.value().get() {
        Some(Ok(_)) => {
            toast_ok("Webhook saved");
            editing.set(false);
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let headers = if replace_headers.get_untracked() {
            match parse_headers(&headers.get_untracked()) {
                Ok(h) => Some(h),
                Err(e) => return toast_error(e),
            }
        } else {
            None
        };
        update.dispatch(UpdateWebhook {
            id,
            url: Some(url.get_untracked()),
            events: Some(chosen_events(push.get_untracked(), delete.get_untracked())),
            headers,
            secret: Some(secret.get_untracked()).filter(|s| !s.trim().is_empty()),
            remove_secret: remove_secret.get_untracked(),
            enabled: Some(enabled.get_untracked()),
        });
    };
    let uid = |what: &str| format!("wh-{id}-{what}");
    view! {
        <form class="mt-3 grid grid-cols-1 gap-3 border-t border-slate-100 pt-3 sm:grid-cols-2" on:submit=on_submit data-testid="edit-webhook">
            <div class="sm:col-span-2">
                <label for=uid("url") class=style::LABEL>"Payload URL"</label>
                <input id=uid("url") type="url" required class=style::INPUT bind:value=url/>
                <p class="mt-1 text-xs text-slate-500">"Changing the URL clears the secret and the custom headers unless you enter them again here."</p>
                {had_credentials.then(|| view! {
                    <Show when=move || url_changed.get()>
                        <p class="mt-1 text-sm text-amber-700" role="status" data-testid="url-change-warning">
                            "The URL changed: on saving, the secret and the custom headers are cleared unless you enter them again below."
                        </p>
                    </Show>
                })}
            </div>
            <fieldset class="flex items-center gap-4 text-sm">
                <legend class=style::LABEL>"Events"</legend>
                <label class="flex items-center gap-2"><input type="checkbox" class=CHECKBOX bind:checked=push/>"push"</label>
                <label class="flex items-center gap-2"><input type="checkbox" class=CHECKBOX bind:checked=delete/>"delete"</label>
                <label class="flex items-center gap-2"><input type="checkbox" class=CHECKBOX bind:checked=enabled/>"enabled"</label>
            </fieldset>
            <div>
                <label for=uid("secret") class=style::LABEL>{move || match (has_secret, url_changed.get()) {
                    (true, false) => "New secret (empty: keep the current one)",
                    (true, true) => "Secret for the new URL (empty: unsigned)",
                    (false, _) => "Secret (empty: unsigned)",
                }}</label>
                <input id=uid("secret") type="password" autocomplete="new-password" class=style::INPUT bind:value=secret/>
                {hook.has_secret.then(|| view! {
                    <label class="mt-1 flex items-center gap-2 text-sm"><input type="checkbox" class=CHECKBOX bind:checked=remove_secret/>"Remove the secret"</label>
                })}
            </div>
            <div class="sm:col-span-2">
                <label class="flex items-center gap-2 text-sm"><input type="checkbox" class=CHECKBOX bind:checked=replace_headers/>"Replace the custom headers"</label>
                <textarea rows="2" aria-label="Custom headers" class=format!("{} font-mono", style::INPUT) placeholder="Name: value, one per line; empty removes them all"
                    disabled=move || !replace_headers.get() bind:value=headers></textarea>
            </div>
            <div class="flex gap-2">
                <button type="submit" class=style::BUTTON disabled=update.pending()>"Save"</button>
                <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| editing.set(false)>"Cancel"</button>
            </div>
        </form>
    }
}

/// The delivery log, a wasm chunk of its own fetched when a hook's deliveries are first shown.
#[lazy]
async fn delivery_log(id: i64, version: RwSignal<u64>) -> AnyView {
    view! { <DeliveryLog id version/> }.into_any()
}

#[component]
fn DeliveryLog(id: i64, version: RwSignal<u64>) -> impl IntoView {
    let page = RwSignal::new(1u64);
    let redeliver = ServerAction::<RedeliverWebhook>::new();
    Effect::new(move |_| match redeliver.value().get() {
        Some(Ok(_)) => {
            toast_ok("Redelivery queued");
            version.update(|v| *v += 1);
            set_timeout(
                move || version.update(|v| *v += 1),
                std::time::Duration::from_millis(1500),
            );
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
    let log = Resource::new(
        move || (page.get(), version.get()),
        move |(p, _)| list_webhook_deliveries(id, Some(p), Some(10)),
    );
    view! {
        <div class="mt-3 border-t border-slate-100 pt-3" data-testid="delivery-log">
            <div class="mb-2 flex items-center justify-between">
                <h3 class="font-medium">"Recent deliveries"</h3>
                <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| version.update(|v| *v += 1)>"Refresh"</button>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match log.await {
                        Ok(p) if p.items.is_empty() => view! { <Empty text="No deliveries yet."/> }.into_any(),
                        Ok(p) => {
                            let pages = p.pages();
                            let current = p.page;
                            view! {
                                <ul class="space-y-2">
                                    {p.items.into_iter().map(|d| view! { <DeliveryRow d redeliver hook=id/> }).collect_view()}
                                </ul>
                                <div class="mt-2 flex items-center gap-2 text-sm">
                                    <button type="button" class=style::BUTTON_SECONDARY disabled={current <= 1} on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))>"Newer"</button>
                                    <span>{format!("page {current} of {pages} · {} deliveries", p.total)}</span>
                                    <button type="button" class=style::BUTTON_SECONDARY disabled={current >= pages} on:click=move |_| page.update(|p| *p += 1)>"Older"</button>
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <PageError error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn DeliveryRow(d: WebhookDelivery, redeliver: ServerAction<RedeliverWebhook>, hook: i64) -> impl IntoView {
    let delivery = d.id;
    let summary = format!(
        "{} · {} · {} attempt{}{}",
        d.event,
        short_time(&d.created_at),
        d.attempts,
        if d.attempts == 1 { "" } else { "s" },
        d.last_status_code.map(|c| format!(" · HTTP {c}")).unwrap_or_default()
    );
    view! {
        <li data-testid="delivery">
            <details class="rounded bg-slate-50 p-2 text-sm">
                <summary class="flex cursor-pointer flex-wrap items-center gap-2">
                    {status_badge(d.status)}
                    <span>{summary}</span>
                    <code class="font-mono text-xs text-slate-500">{d.delivery_id.clone()}</code>
                </summary>
                <div class="mt-2 space-y-2">
                    {d.next_attempt_at.as_ref().map(|t| view! { <p class="text-xs text-slate-600">{format!("Next attempt {}", short_time(t))}</p> })}
                    <table class=style::TABLE>
                        <thead class=style::THEAD><tr>
                            <th scope="col" class=style::TH>"#"</th>
                            <th scope="col" class=style::TH>"When"</th>
                            <th scope="col" class=style::TH>"Result"</th>
                            <th scope="col" class=style::TH>"Took"</th>
                            <th scope="col" class=style::TH>"Response"</th>
                        </tr></thead>
                        <tbody>
                            {d.attempt_log.into_iter().map(|a| view! {
                                <tr class=style::TR data-testid="attempt">
                                    <td class=style::TD>{a.number}</td>
                                    <td class=style::TD>{short_time(&a.started_at)}</td>
                                    <td class=style::TD>{a.status_code.map(|c| format!("HTTP {c}")).or(a.error).unwrap_or_default()}</td>
                                    <td class=style::TD>{format!("{} ms", a.duration_ms)}</td>
                                    <td class=format!("{} font-mono text-xs break-all", style::TD)>{a.response_excerpt}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <pre class="max-h-48 overflow-auto rounded bg-white p-2 font-mono text-xs">{d.payload}</pre>
                    <button type="button" class=style::BUTTON_SECONDARY disabled=redeliver.pending()
                        on:click=move |_| { redeliver.dispatch(RedeliverWebhook { id: hook, delivery }); }>"Redeliver"</button>
                </div>
            </details>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines() {
        let h = parse_headers("Authorization: Bearer a:b\n\n  X-Team : infra ").unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].value, "Bearer a:b");
        assert_eq!(h[1].name, "X-Team");
        assert!(parse_headers("no colon here").is_err());
    }
}
