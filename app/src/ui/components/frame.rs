//! The top bar: navigation (what the viewer may use), search as you type, the user menu.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use super::{encode, Badge};
use crate::api::browse::search;
use crate::api::session::Logout;
use crate::ui::{repo_href, use_viewer};

#[component]
pub fn Header() -> impl IntoView {
    let viewer = use_viewer();
    let location = leptos_router::hooks::use_location();
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if logout.version().get() > 0 {
            // A full load: every cached resource belongs to the old session.
            let _ = window().location().set_href("/login");
        }
    });
    let nav_link = "rounded px-2 py-1 text-sm text-slate-200 hover:bg-slate-800 hover:text-white focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 aria-[current=page]:bg-slate-800 aria-[current=page]:text-white";
    view! {
        <header class="bg-slate-900 text-white">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-2">
                <A href="/" attr:class="font-semibold text-lg tracking-tight focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 rounded">"⚓ Wharf"</A>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let v = viewer.await.ok();
                        let signed_in = v.as_ref().is_some_and(|v| v.user.is_some());
                        let admin = v.as_ref().is_some_and(|v| crate::authz::is_admin(&v.subject));
                        view! {
                            <nav class="flex flex-wrap items-center gap-1" aria-label="Main">
                                <A href="/namespaces" attr:class=nav_link>"Namespaces"</A>
                                <A href="/repositories" attr:class=nav_link>"Repositories"</A>
                                {signed_in.then(|| view! {
                                    <A href="/teams" attr:class=nav_link>"Teams"</A>
                                    <A href="/activity" attr:class=nav_link>"Activity"</A>
                                })}
                                {admin.then(|| view! {
                                    <A href="/admin/users" attr:class=nav_link>"Users"</A>
                                    <A href="/admin/registries" attr:class=nav_link>"Registries"</A>
                                })}
                            </nav>
                        }
                    })}
                </Transition>
                <div class="ml-auto flex flex-wrap items-center gap-3">
                    <SearchBox/>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            match viewer.await.ok().and_then(|v| v.user) {
                                Some(u) => view! {
                                    <div class="flex flex-wrap items-center gap-2 text-sm">
                                        <A href="/account" attr:class="hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400 rounded" attr:data-testid="current-user">{u.name.clone()}</A>
                                        {u.admin.then(|| view! { <Badge text="admin" tone="amber"/> })}
                                        <ActionForm action=logout>
                                            <button type="submit" class="rounded bg-slate-700 px-3 py-1 hover:bg-slate-600 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400">
                                                "Sign out"
                                            </button>
                                        </ActionForm>
                                    </div>
                                }.into_any(),
                                None => {
                                    let href = move || crate::ui::sign_in_href(&location.pathname.get());
                                    view! { <A href=href attr:class="text-sm underline">"Sign in"</A> }.into_any()
                                }
                            }
                        })}
                    </Transition>
                </div>
            </div>
        </header>
    }
}

/// Search as you type: namespaces, repositories and tags the viewer may see. Enter opens the
/// full results page.
#[component]
fn SearchBox() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let results = Resource::new(
        move || query.get(),
        |q| async move {
            if q.trim().is_empty() {
                return Ok(None);
            }
            search(q).await.map(Some)
        },
    );
    let navigate = use_navigate();
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Enter" => {
            open.set(false);
            navigate(
                &format!("/search?q={}", encode(&query.get_untracked())),
                Default::default(),
            );
        }
        "Escape" => open.set(false),
        _ => {}
    };
    let item = "block px-3 py-1.5 text-sm text-slate-800 hover:bg-sky-50 focus:bg-sky-50 focus:outline-none";
    view! {
        <div class="relative">
            <label for="global-search" class="sr-only">"Search"</label>
            <input id="global-search" type="search" placeholder="Search images…" autocomplete="off"
                class="w-56 rounded bg-slate-800 px-3 py-1.5 text-sm text-white placeholder-slate-400 focus:outline-none focus:ring-2 focus:ring-sky-400"
                prop:value=move || query.get()
                on:input=move |ev| { query.set(event_target_value(&ev)); open.set(true); }
                on:focus=move |_| open.set(true)
                on:keydown=on_keydown/>
            <Show when=move || open.get() && !query.get().trim().is_empty()>
                <div class="absolute right-0 z-30 mt-1 w-80 rounded-lg bg-white py-2 shadow-lg ring-1 ring-slate-200" data-testid="search-results"
                    on:click=move |_| open.set(false)>
                    <Transition fallback=|| view! { <p class="px-3 py-1 text-sm text-slate-500">"Searching…"</p> }>
                        {move || Suspend::new(async move {
                            match results.await {
                                Ok(Some(r)) if r.namespaces.is_empty() && r.repositories.is_empty() && r.tags.is_empty() =>
                                    view! { <p class="px-3 py-1 text-sm text-slate-500">"No matches"</p> }.into_any(),
                                Ok(Some(r)) => view! {
                                    {(!r.namespaces.is_empty()).then(|| view! { <p class="px-3 pt-1 text-xs font-semibold uppercase text-slate-500">"Namespaces"</p> })}
                                    {r.namespaces.into_iter().map(|n| view! {
                                        <A href=crate::ui::namespace_href(&n.name) attr:class=item>{crate::ui::namespace_label(&n.name)}</A>
                                    }).collect_view()}
                                    {(!r.repositories.is_empty()).then(|| view! { <p class="px-3 pt-1 text-xs font-semibold uppercase text-slate-500">"Repositories"</p> })}
                                    {r.repositories.into_iter().map(|repo| view! {
                                        <A href=repo_href(&repo.full_name) attr:class=item>{repo.full_name.clone()}</A>
                                    }).collect_view()}
                                    {(!r.tags.is_empty()).then(|| view! { <p class="px-3 pt-1 text-xs font-semibold uppercase text-slate-500">"Tags"</p> })}
                                    {r.tags.into_iter().map(|(repo, tag)| view! {
                                        <A href=repo_href(&repo) attr:class=item>{format!("{repo}:{tag}")}</A>
                                    }).collect_view()}
                                }.into_any(),
                                Ok(None) => ().into_any(),
                                Err(e) => view! { <p class="px-3 py-1 text-sm text-rose-700">{e.to_string()}</p> }.into_any(),
                            }
                        })}
                    </Transition>
                </div>
            </Show>
        </div>
    }
}
