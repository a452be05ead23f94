//! Administering users: search, create, disable/enable, admin rights, password reset.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::users::{list_users, CreateUser, ResetPassword, SetUserAdmin, SetUserDisabled};
use crate::ui::components::{
    reset_on_success, style, toast_outcome, AdminOnly, Badge, Empty, Loading, Modal, PageError, Pager, QueryNav,
};
use crate::ui::short_time;

/// Administrators only.
#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Users · wharf"/>
        <AdminOnly><UsersAdmin/></AdminOnly>
    }
}

#[component]
fn UsersAdmin() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| query.with(|m| m.get(k)).filter(|s| !s.is_empty());
    let changed = RwSignal::new(0u64);
    let create = ServerAction::<CreateUser>::new();
    let disable = ServerAction::<SetUserDisabled>::new();
    let admin = ServerAction::<SetUserAdmin>::new();
    let reset = ServerAction::<ResetPassword>::new();
    toast_outcome(create, "User created", Some(changed));
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(create, form);
    toast_outcome(disable, "User updated", Some(changed));
    toast_outcome(admin, "User updated", Some(changed));
    toast_outcome(reset, "Password reset; the user's sessions ended", None);
    let users = Resource::new(
        move || (get("q"), get("page").and_then(|p| p.parse::<u64>().ok()), changed.get()),
        |(q, page, _)| list_users(q, page, None),
    );
    let nav = QueryNav::current();
    let reset_for = RwSignal::new(String::new());
    let reset_open = RwSignal::new(false);
    let reset_password = RwSignal::new(String::new());
    view! {
        <div class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <h1 class=style::H1>"Users"</h1>
            <label class="text-sm">
                <span class="sr-only">"Filter users"</span>
                <input type="search" placeholder="Filter by name or email" class="rounded border border-slate-300 px-3 py-1.5 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500"
                    prop:value=move || get("q").unwrap_or_default()
                    on:input=move |ev| nav.set("q", &event_target_value(&ev))/>
            </label>
        </div>
        <section class=format!("mb-6 p-4 {}", style::CARD)>
            <h2 class=style::H2>"Create a user"</h2>
            <ActionForm action=create node_ref=form attr:class="grid grid-cols-1 gap-3 sm:grid-cols-5 sm:items-end">
                <div><label for="new-user-name" class=style::LABEL>"User name"</label>
                    <input id="new-user-name" name="name" type="text" required class=style::INPUT/></div>
                <div><label for="new-user-email" class=style::LABEL>"Email"</label>
                    <input id="new-user-email" name="email" type="email" class=style::INPUT/></div>
                <div><label for="new-user-password" class=style::LABEL>"Password"</label>
                    <input id="new-user-password" name="password" type="password" required minlength="8" autocomplete="new-password" class=style::INPUT/></div>
                <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="admin" value="true" class="h-4 w-4"/>"Administrator"</label>
                <div><button type="submit" class=style::BUTTON disabled=create.pending()>"Create user"</button></div>
            </ActionForm>
        </section>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(p) if p.items.is_empty() => view! { <Empty text="No users match."/> }.into_any(),
                    Ok(p) => {
                        let (page, pages, total) = (p.page, p.pages(), p.total);
                        view! {
                            <div class=format!("relative overflow-x-auto {}", style::CARD)>
                                <table class=style::TABLE data-testid="users">
                                    <thead class=style::THEAD><tr>
                                        <th scope="col" class=style::TH>"User"</th>
                                        <th scope="col" class=style::TH>"Email"</th>
                                        <th scope="col" class=style::TH>"Status"</th>
                                        <th scope="col" class=style::TH>"Created"</th>
                                        <th scope="col" class=style::TH><span class="sr-only">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {p.items.into_iter().map(|u| {
                                            let (n1, n2, n3) = (u.name.clone(), u.name.clone(), u.name.clone());
                                            let (is_admin, disabled) = (u.admin, u.disabled);
                                            view! {
                                                <tr class=style::TR data-testid="user-row" data-user=u.name.clone()>
                                                    <td class=format!("{} font-medium", style::TD)>{u.name.clone()}</td>
                                                    <td class=style::TD>{u.email.clone().unwrap_or_default()}</td>
                                                    <td class=format!("{} space-x-1", style::TD)>
                                                        {is_admin.then(|| view! { <Badge text="admin" tone="amber"/> })}
                                                        {if disabled { view! { <Badge text="disabled" tone="red"/> }.into_any() } else { view! { <Badge text="active" tone="green"/> }.into_any() }}
                                                    </td>
                                                    <td class=style::TD>{short_time(&u.created_at)}</td>
                                                    <td class=format!("{} whitespace-nowrap text-right space-x-1", style::TD)>
                                                        <button type="button" class=style::BUTTON_SECONDARY
                                                            on:click=move |_| { disable.dispatch(SetUserDisabled { name: n1.clone(), disabled: !disabled }); }>
                                                            {if disabled { "Enable" } else { "Disable" }}
                                                        </button>
                                                        <button type="button" class=style::BUTTON_SECONDARY
                                                            on:click=move |_| { admin.dispatch(SetUserAdmin { name: n2.clone(), admin: !is_admin }); }>
                                                            {if is_admin { "Remove admin" } else { "Make admin" }}
                                                        </button>
                                                        <button type="button" class=style::BUTTON_SECONDARY
                                                            on:click=move |_| { reset_for.set(n3.clone()); reset_password.set(String::new()); reset_open.set(true); }>
                                                            "Reset password"
                                                        </button>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager page pages total/>
                        }.into_any()
                    }
                    Err(e) => view! { <PageError error=e/> }.into_any(),
                }
            })}
        </Transition>
        <Modal open=reset_open title="Reset password">
            <form on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                reset_open.set(false);
                reset.dispatch(ResetPassword { name: reset_for.get_untracked(), password: reset_password.get_untracked() });
            }>
                <p class="mb-3 text-sm text-slate-700">{move || format!("New password for {}", reset_for.get())}</p>
                <label for="reset-password" class=style::LABEL>"New password"</label>
                <input id="reset-password" type="password" required minlength="8" autocomplete="new-password" class=style::INPUT bind:value=reset_password/>
                <div class="mt-4 flex justify-end gap-2">
                    <button type="button" class=style::BUTTON_SECONDARY on:click=move |_| reset_open.set(false)>"Cancel"</button>
                    <button type="submit" class=style::BUTTON>"Set password"</button>
                </div>
            </form>
        </Modal>
    }
}

/// The UsersPage as a route whose code is a separate wasm chunk, fetched on first visit
/// (`cargo leptos build --split`).
pub struct UsersRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for UsersRoute {
    fn data() -> Self {
        UsersRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <UsersPage/> }.into_any()
    }
}
