//! Small building blocks shared by pages.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::session::{whoami, Logout};
use crate::domain::{NamespaceKindName, Visibility};

/// The top bar: brand, and the signed-in user with a sign-out button.
#[component]
pub fn Header() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let user = Resource::new(move || logout.version().get(), |_| whoami());
    Effect::new(move |_| {
        if logout.version().get() > 0 {
            let navigate = leptos_router::hooks::use_navigate();
            navigate("/login", Default::default());
        }
    });
    view! {
        <header class="bg-slate-900 text-white">
            <div class="mx-auto max-w-6xl px-4 h-14 flex items-center justify-between">
                <A href="/" attr:class="font-semibold text-lg tracking-tight">"⚓ Wharf"</A>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match user.await {
                            Ok(Some(u)) => view! {
                                <div class="flex items-center gap-3 text-sm">
                                    <span data-testid="current-user">{u.name.clone()}</span>
                                    {u.admin.then(|| view! { <Badge text="admin".to_string() tone="amber"/> })}
                                    <ActionForm action=logout>
                                        <button type="submit" class="rounded px-3 py-1 bg-slate-700 hover:bg-slate-600 focus:outline-none focus:ring-2 focus:ring-sky-400">
                                            "Sign out"
                                        </button>
                                    </ActionForm>
                                </div>
                            }.into_any(),
                            _ => view! { <A href="/login" attr:class="text-sm underline">"Sign in"</A> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </header>
    }
}

/// A small coloured label.
#[component]
pub fn Badge(text: String, #[prop(default = "slate")] tone: &'static str) -> impl IntoView {
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
    view! { <Badge text=visibility.as_str().to_string() tone/> }
}

#[component]
pub fn KindBadge(kind: NamespaceKindName) -> impl IntoView {
    view! { <Badge text=kind.as_str().to_string()/> }
}

/// Shown when a list has nothing in it.
#[component]
pub fn Empty(text: &'static str) -> impl IntoView {
    view! { <p class="rounded border border-dashed border-slate-300 p-6 text-center text-slate-500">{text}</p> }
}

/// A readable error box.
#[component]
pub fn ErrorBox(message: String) -> impl IntoView {
    view! { <p role="alert" class="rounded border border-rose-300 bg-rose-50 p-3 text-rose-800">{message}</p> }
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
