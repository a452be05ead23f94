//! Sign in.

use leptos::prelude::*;

use crate::api::session::Login;
use crate::ui::components::ErrorBox;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let pending = login.pending();
    let result = login.value();
    Effect::new(move |_| {
        if let Some(Ok(_)) = result.get() {
            // A full navigation so the header re-reads the session.
            let _ = window().location().set_href("/");
        }
    });
    view! {
        <div class="mx-auto max-w-sm mt-12 rounded-lg bg-white p-6 shadow">
            <h1 class="text-xl font-semibold mb-4">"Sign in to Wharf"</h1>
            <ActionForm action=login attr:class="space-y-4">
                <div>
                    <label for="username" class="block text-sm font-medium">"User name"</label>
                    <input id="username" name="username" type="text" required autocomplete="username"
                        class="mt-1 w-full rounded border border-slate-300 px-3 py-2 focus:outline-none focus:ring-2 focus:ring-sky-500"/>
                </div>
                <div>
                    <label for="password" class="block text-sm font-medium">"Password"</label>
                    <input id="password" name="password" type="password" required autocomplete="current-password"
                        class="mt-1 w-full rounded border border-slate-300 px-3 py-2 focus:outline-none focus:ring-2 focus:ring-sky-500"/>
                </div>
                <button type="submit" disabled=pending
                    class="w-full rounded bg-sky-700 px-4 py-2 font-medium text-white hover:bg-sky-600 disabled:opacity-50 focus:outline-none focus:ring-2 focus:ring-sky-400">
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <div class="mt-4">
                {move || result.get().and_then(Result::err).map(|e| view! { <ErrorBox message=e.to_string()/> })}
            </div>
        </div>
    }
}
