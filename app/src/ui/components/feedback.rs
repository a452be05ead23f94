//! Labels and the empty, loading, error and not-found states.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::domain::{NamespaceKindName, Role, Visibility};

/// A small coloured label.
#[component]
pub fn Badge(#[prop(into)] text: String, #[prop(default = "slate")] tone: &'static str) -> impl IntoView {
    let class = match tone {
        "green" => "bg-emerald-100 text-emerald-800",
        "amber" => "bg-amber-100 text-amber-800",
        "red" => "bg-rose-100 text-rose-800",
        "sky" => "bg-sky-100 text-sky-800",
        _ => "bg-slate-200 text-slate-800",
    };
    view! { <span class=format!("inline-block rounded px-2 py-0.5 text-xs font-medium {class}")>{text}</span> }
}

#[component]
pub fn VisibilityBadge(visibility: Visibility) -> impl IntoView {
    let tone = match visibility {
        Visibility::Public => "green",
        Visibility::Protected => "sky",
        Visibility::Private => "red",
    };
    view! { <Badge text=visibility.as_str() tone/> }
}

#[component]
pub fn KindBadge(kind: NamespaceKindName) -> impl IntoView {
    view! { <Badge text=kind.as_str()/> }
}

#[component]
pub fn RoleBadge(role: Option<Role>) -> impl IntoView {
    match role {
        Some(r) => view! { <Badge text=r.as_str() tone="amber"/> }.into_any(),
        None => view! { <span class="text-slate-500">"—"</span> }.into_any(),
    }
}

/// Shown when a list has nothing in it.
#[component]
pub fn Empty(#[prop(into)] text: String) -> impl IntoView {
    view! { <p class="rounded border border-dashed border-slate-300 p-6 text-center text-slate-500">{text}</p> }
}

/// Shown while data loads.
#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <p class="flex items-center gap-2 text-slate-500" role="status" aria-live="polite">
            <span class="inline-block h-4 w-4 animate-spin rounded-full border-2 border-slate-300 border-t-sky-600"></span>
            "Loading…"
        </p>
    }
}

/// A readable error box.
#[component]
pub fn ErrorBox(#[prop(into)] message: String) -> impl IntoView {
    view! { <p role="alert" class="rounded border border-rose-300 bg-rose-50 p-3 text-sm text-rose-800">{message}</p> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <div class="text-center py-16">
            <h1 class="text-2xl font-semibold">"Page not found"</h1>
            <A href="/" attr:class="text-sky-700 underline">"Back to the start page"</A>
        </div>
    }
}

/// Shows `children` only to administrators: others get a plain refusal instead of forms they
/// could not use (the server refuses their requests anyway).
#[component]
pub fn AdminOnly(children: ChildrenFn) -> impl IntoView {
    let viewer = crate::ui::use_viewer();
    let location = leptos_router::hooks::use_location();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(v) if v.user.as_ref().is_some_and(|u| u.admin) => children.with_value(|c| c()).into_any(),
                    Ok(v) => {
                        let signed_out = v.user.is_none();
                        view! {
                            <p role="alert" class="rounded border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900" data-testid="admin-only">
                                {if signed_out { "Sign in as an administrator to see this page. " } else { "Only administrators may see this page." }}
                                {signed_out.then(|| view! {
                                    <A href=crate::ui::sign_in_href(&location.pathname.get_untracked()) attr:class="underline" attr:data-testid="sign-in-to-see">"Sign in"</A>
                                })}
                            </p>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A page that could not load: the error and, for a signed-out visitor whom signing in may
/// help (a private page answers 401, 403 or 404), a way to sign in and come back here. A page
/// that needs a session (401) goes straight to the sign-in page.
#[component]
pub fn PageError(error: crate::domain::AppError) -> impl IntoView {
    let viewer = crate::ui::use_viewer();
    let location = leptos_router::hooks::use_location();
    let status = error.status();
    let message = error.to_string();
    let here = move || {
        let search = location.search.get_untracked();
        let search = search.trim_start_matches('?');
        let path = location.pathname.get_untracked();
        if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        }
    };
    view! {
        <ErrorBox message/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let signed_out = viewer.await.map(|v| v.user.is_none()).unwrap_or(false);
                match (signed_out, status) {
                    (true, 401) => view! { <leptos_router::components::Redirect path=crate::ui::sign_in_href(&here())/> }.into_any(),
                    (true, 403 | 404) => view! {
                        <p class="mt-3 text-sm">
                            <A href=crate::ui::sign_in_href(&here()) attr:class="text-sky-700 underline" attr:data-testid="sign-in-to-see">"Sign in to see it"</A>
                        </p>
                    }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}
