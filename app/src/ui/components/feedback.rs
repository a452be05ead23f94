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
        None => view! { <span class="text-slate-400">"—"</span> }.into_any(),
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
