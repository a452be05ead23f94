//! The signed-in user's page: profile, password, application tokens, docker devices.

use leptos::prelude::*;

use crate::api::account::{
    list_app_tokens, list_devices, ChangePassword, CreateAppToken, RevokeAppToken, RevokeDevice, UpdateProfile,
};
use crate::ui::components::{reset_on_success, style, toast_outcome, CopyButton, Empty, Loading, PageError};
use crate::ui::{short_time, use_viewer};

#[component]
pub fn AccountPage() -> impl IntoView {
    let viewer = use_viewer();
    view! {
        <leptos_meta::Title text="Account · wharf"/>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match viewer.await.ok().and_then(|v| v.user) {
                    None => view! { <PageError error=crate::domain::AppError::Unauthorized("Sign in to see your account.".into())/> }.into_any(),
                    Some(u) => view! {
                        <h1 class=format!("{} mb-6", style::H1)>{format!("Account: {}", u.name)}</h1>
                        <div class="grid grid-cols-1 gap-6 lg:grid-cols-2">
                            <Profile email=u.email.clone().unwrap_or_default()/>
                            <Password/>
                        </div>
                        <Tokens/>
                        <Devices/>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Profile(email: String) -> impl IntoView {
    let update = ServerAction::<UpdateProfile>::new();
    toast_outcome(update, "Profile saved", None);
    view! {
        <section class=format!("p-4 {}", style::CARD)>
            <h2 class=style::H2>"Profile"</h2>
            <ActionForm action=update attr:class="space-y-3">
                <div>
                    <label for="profile-email" class=style::LABEL>"Email"</label>
                    <input id="profile-email" name="email" type="email" value=email autocomplete="email" class=style::INPUT/>
                </div>
                <button type="submit" class=style::BUTTON disabled=update.pending()>"Save profile"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Password() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    toast_outcome(change, "Password changed; other sessions were signed out", None);
    view! {
        <section class=format!("p-4 {}", style::CARD)>
            <h2 class=style::H2>"Change password"</h2>
            <ActionForm action=change attr:class="space-y-3">
                <div>
                    <label for="pw-current" class=style::LABEL>"Current password"</label>
                    <input id="pw-current" name="current" type="password" required autocomplete="current-password" class=style::INPUT/>
                </div>
                <div>
                    <label for="pw-new" class=style::LABEL>"New password"</label>
                    <input id="pw-new" name="new_password" type="password" required minlength="8" autocomplete="new-password" class=style::INPUT/>
                </div>
                <div>
                    <label for="pw-again" class=style::LABEL>"New password again"</label>
                    <input id="pw-again" name="new_password_again" type="password" required minlength="8" autocomplete="new-password" class=style::INPUT/>
                </div>
                <button type="submit" class=style::BUTTON disabled=change.pending()>"Change password"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let create = ServerAction::<CreateAppToken>::new();
    let revoke = ServerAction::<RevokeAppToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_app_tokens(),
    );
    toast_outcome(revoke, "Token revoked", None);
    let created = create.value();
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(create, form);
    view! {
        <section class=format!("mt-6 p-4 {}", style::CARD)>
            <h2 class=style::H2>"Application tokens"</h2>
            <p class="mb-3 text-sm text-slate-600">"For docker login in CI and scripts. A read-only token can only pull."</p>
            <ActionForm action=create node_ref=form attr:class="grid grid-cols-1 gap-3 sm:grid-cols-4 sm:items-end">
                <div class="sm:col-span-2">
                    <label for="token-name" class=style::LABEL>"Name"</label>
                    <input id="token-name" name="name" type="text" required maxlength="64" class=style::INPUT/>
                </div>
                <div>
                    <label for="token-expiry" class=style::LABEL>"Expires in days (empty: never)"</label>
                    <input id="token-expiry" name="expires_in_days" type="number" min="1" max="3650" class=style::INPUT/>
                </div>
                <label class="flex items-center gap-2 text-sm">
                    <input type="checkbox" name="read_only" value="true" class="h-4 w-4 rounded border-slate-300 focus:ring-sky-500"/>
                    "Read-only"
                </label>
                <div><button type="submit" class=style::BUTTON disabled=create.pending()>"Create token"</button></div>
            </ActionForm>
            {move || created.get().map(|r| match r {
                Ok(t) => view! {
                    <div class="mt-4 rounded border border-emerald-300 bg-emerald-50 p-3 text-sm" data-testid="new-token">
                        <p class="mb-2 font-medium text-emerald-900">"Copy this token now: it is not shown again."</p>
                        <div class="flex items-center gap-2">
                            <code class="break-all rounded bg-white px-2 py-1 font-mono" data-testid="new-token-value">{t.token.clone()}</code>
                            <CopyButton text=t.token.clone()/>
                        </div>
                        <div class="mt-2 flex items-center gap-2">
                            <code class="rounded bg-white px-2 py-1 font-mono">{t.login_command.clone()}</code>
                            <CopyButton text=t.login_command.clone()/>
                        </div>
                    </div>
                }.into_any(),
                Err(e) => view! { <div class="mt-4"><PageError error=e/></div> }.into_any(),
            })}
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <div class="mt-4"><Empty text="No application tokens."/></div> }.into_any(),
                        Ok(list) => view! {
                            <table class=format!("mt-4 {}", style::TABLE) data-testid="tokens">
                                <thead class=style::THEAD><tr>
                                    <th scope="col" class=style::TH>"Name"</th>
                                    <th scope="col" class=style::TH>"Access"</th>
                                    <th scope="col" class=style::TH>"Created"</th>
                                    <th scope="col" class=style::TH>"Expires"</th>
                                    <th scope="col" class=style::TH>"Last used"</th>
                                    <th scope="col" class=style::TH><span class="sr-only">"Actions"</span></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| {
                                        let name = t.name.clone();
                                        view! {
                                            <tr class=style::TR data-testid="token-row">
                                                <td class=format!("{} font-mono", style::TD)>{t.name.clone()}</td>
                                                <td class=style::TD>{if t.read_only { "read-only" } else { "full" }}</td>
                                                <td class=style::TD>{short_time(&t.created_at)}</td>
                                                <td class=style::TD>{t.expires_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
                                                <td class=style::TD>{t.last_used_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
                                                <td class=format!("{} text-right", style::TD)>
                                                    <button type="button" class=style::BUTTON_SECONDARY
                                                        on:click=move |_| { revoke.dispatch(RevokeAppToken { name: name.clone() }); }>"Revoke"</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <PageError error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Devices() -> impl IntoView {
    let revoke = ServerAction::<RevokeDevice>::new();
    toast_outcome(revoke, "Device signed out", None);
    let devices = Resource::new(move || revoke.version().get(), |_| list_devices());
    view! {
        <section class=format!("mt-6 p-4 {}", style::CARD)>
            <h2 class=style::H2>"Devices"</h2>
            <p class="mb-3 text-sm text-slate-600">"Where docker logged in and keeps a refresh token."</p>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match devices.await {
                        Ok(list) if list.is_empty() => view! { <Empty text="No devices."/> }.into_any(),
                        Ok(list) => view! {
                            <table class=style::TABLE data-testid="devices">
                                <thead class=style::THEAD><tr>
                                    <th scope="col" class=style::TH>"Client"</th>
                                    <th scope="col" class=style::TH>"User agent"</th>
                                    <th scope="col" class=style::TH>"Signed in"</th>
                                    <th scope="col" class=style::TH>"Last used"</th>
                                    <th scope="col" class=style::TH><span class="sr-only">"Actions"</span></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|d| {
                                        let id = d.id;
                                        view! {
                                            <tr class=style::TR>
                                                <td class=format!("{} font-mono", style::TD)>{d.client_id.clone()}</td>
                                                <td class=format!("{} text-xs", style::TD)>{d.user_agent.clone()}</td>
                                                <td class=style::TD>{short_time(&d.created_at)}</td>
                                                <td class=style::TD>{d.last_used_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
                                                <td class=format!("{} text-right", style::TD)>
                                                    <button type="button" class=style::BUTTON_SECONDARY
                                                        on:click=move |_| { revoke.dispatch(RevokeDevice { id }); }>"Sign out device"</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <PageError error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The AccountPage as a route whose code is a separate wasm chunk, fetched on first visit
/// (`cargo leptos build --split`).
pub struct AccountRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for AccountRoute {
    fn data() -> Self {
        AccountRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <AccountPage/> }.into_any()
    }
}
