//! Sign in, and sign up (when enabled, and with the one-time setup token for the first
//! administrator).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::session::{Login, Signup};
use crate::ui::components::{style, ErrorBox};
use crate::ui::use_viewer;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let pending = login.pending();
    let result = login.value();
    let viewer = use_viewer();
    // Back to the page that sent the visitor here (`?next=`), when it is one of ours.
    let query = leptos_router::hooks::use_query_map();
    Effect::new(move |_| {
        if let Some(Ok(_)) = result.get() {
            let next = query.with_untracked(|q| q.get("next"));
            // A full navigation so every page re-reads the session.
            let _ = window().location().set_href(&crate::ui::after_sign_in(next.as_deref()));
        }
    });
    view! {
        <leptos_meta::Title text="Sign in · wharf"/>
        <div class=format!("mx-auto max-w-sm mt-12 p-6 {}", style::CARD)>
            <h1 class="text-xl font-semibold mb-4">"Sign in to Wharf"</h1>
            <ActionForm action=login attr:class="space-y-4">
                <div>
                    <label for="username" class=style::LABEL>"User name"</label>
                    <input id="username" name="username" type="text" required autocomplete="username" class=style::INPUT/>
                </div>
                <div>
                    <label for="password" class=style::LABEL>"Password"</label>
                    <input id="password" name="password" type="password" required autocomplete="current-password" class=style::INPUT/>
                </div>
                <button type="submit" disabled=pending class=format!("w-full justify-center {}", style::BUTTON)>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <div class="mt-4">
                {move || result.get().and_then(Result::err).map(|e| view! { <ErrorBox message=e.to_string()/> })}
            </div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    viewer.await.ok().filter(|v| v.settings.signup_enabled).map(|_| view! {
                        <p class="mt-4 text-sm text-slate-600">"No account yet? "
                            <A href="/signup" attr:class=style::LINK>"Create one"</A></p>
                    })
                })}
            </Transition>
        </div>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let signup = ServerAction::<Signup>::new();
    let pending = signup.pending();
    let result = signup.value();
    let viewer = use_viewer();
    Effect::new(move |_| {
        if let Some(Ok(_)) = result.get() {
            let _ = window().location().set_href("/");
        }
    });
    let field = |id: &'static str, label: &'static str, kind: &'static str, auto: &'static str, required: bool| {
        view! {
            <div>
                <label for=id class=style::LABEL>{label}</label>
                <input id=id name=id type=kind required=required autocomplete=auto class=style::INPUT/>
            </div>
        }
    };
    view! {
        <leptos_meta::Title text="Sign up · wharf"/>
        <div class=format!("mx-auto max-w-sm mt-12 p-6 {}", style::CARD)>
            <h1 class="text-xl font-semibold mb-4">"Create your Wharf account"</h1>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let v = viewer.await.ok();
                    let enabled = v.as_ref().is_some_and(|v| v.settings.signup_enabled);
                    let setup = v.as_ref().is_some_and(|v| v.settings.setup_required);
                    if !enabled {
                        return view! { <ErrorBox message="Sign-up is disabled here; ask an administrator for an account."/> }.into_any();
                    }
                    view! {
                        <ActionForm action=signup attr:class="space-y-4">
                            {setup.then(|| view! {
                                <p class="text-sm text-slate-600">"No administrator yet. The first one signs up with the one-time setup token that wharf wrote to "<code>"setup-token"</code>" in its data directory (its log names the file)."</p>
                                {field("setup_token", "Setup token", "password", "off", true)}
                            })}
                            {field("username", "User name (your personal namespace)", "text", "username", true)}
                            <p class="text-xs text-slate-500">"Lower-case letters, digits, and . _ - between them."</p>
                            {field("email", "Email (optional)", "email", "email", false)}
                            {field("password", "Password (at least 8 characters)", "password", "new-password", true)}
                            {field("password_again", "Password again", "password", "new-password", true)}
                            <button type="submit" disabled=pending class=format!("w-full justify-center {}", style::BUTTON)>
                                {move || if pending.get() { "Creating…" } else { "Create account" }}
                            </button>
                        </ActionForm>
                    }.into_any()
                })}
            </Transition>
            <div class="mt-4">
                {move || result.get().and_then(Result::err).map(|e| view! { <ErrorBox message=e.to_string()/> })}
            </div>
        </div>
    }
}

/// The SignupPage as a route whose code is a separate wasm chunk, fetched on first visit
/// (`cargo leptos build --split`).
pub struct SignupRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for SignupRoute {
    fn data() -> Self {
        SignupRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <SignupPage/> }.into_any()
    }
}
