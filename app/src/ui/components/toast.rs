//! Toasts: short messages after an action, dismissed after a few seconds.

use leptos::prelude::*;

#[derive(Clone)]
struct Toast {
    id: u64,
    text: String,
    error: bool,
}

#[derive(Clone, Copy)]
struct ToastList(RwSignal<Vec<Toast>>, RwSignal<u64>);

pub fn provide_toasts() {
    provide_context(ToastList(RwSignal::new(Vec::new()), RwSignal::new(0)));
}

fn push(text: String, error: bool) {
    let Some(ToastList(list, next)) = use_context::<ToastList>() else {
        return;
    };
    let id = next.get_untracked() + 1;
    next.set(id);
    list.update(|l| {
        // A success says the earlier failure is behind the user: its toast goes.
        if !error {
            l.retain(|t| !t.error);
        }
        l.push(Toast { id, text, error });
        // Only the latest few: a burst of actions must not bury the page.
        let excess = l.len().saturating_sub(3);
        l.drain(..excess);
    });
    set_timeout(
        move || list.update(|l| l.retain(|t| t.id != id)),
        std::time::Duration::from_secs(if error { 8 } else { 4 }),
    );
}

pub fn toast_ok(text: impl Into<String>) {
    push(text.into(), false)
}

pub fn toast_error(text: impl Into<String>) {
    push(text.into(), true)
}

/// Where toasts appear (once, in the app frame).
#[component]
pub fn Toasts() -> impl IntoView {
    let list = use_context::<ToastList>().map(|t| t.0);
    view! {
        <div class="fixed bottom-4 right-4 z-50 flex w-80 flex-col gap-2" aria-live="polite">
            <For each=move || list.map(|l| l.get()).unwrap_or_default() key=|t| t.id let:t>
                <div role=if t.error { "alert" } else { "status" } data-testid=if t.error { "toast-error" } else { "toast" }
                    class=if t.error { "rounded bg-rose-700 px-4 py-3 text-sm text-white shadow-lg" } else { "rounded bg-slate-800 px-4 py-3 text-sm text-white shadow-lg" }>
                    {t.text.clone()}
                </div>
            </For>
        </div>
    }
}

/// Toasts a server action's outcome (its error's message, or `ok`) and bumps `changed` on
/// success so the page reloads what the action changed.
pub fn toast_outcome<S>(action: ServerAction<S>, ok: &'static str, changed: Option<RwSignal<u64>>)
where
    S: leptos::server_fn::ServerFn<Error = crate::domain::AppError> + Send + Sync + Clone + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| match action.value().get() {
        Some(Ok(_)) => {
            toast_ok(ok);
            if let Some(c) = changed {
                c.update(|n| *n += 1);
            }
        }
        Some(Err(e)) => toast_error(e.to_string()),
        None => {}
    });
}

/// Empties `form` once `action` succeeds, so the next entry starts from a blank form (a failed
/// one keeps what was typed, to fix it).
pub fn reset_on_success<S>(action: ServerAction<S>, form: NodeRef<leptos::html::Form>)
where
    S: leptos::server_fn::ServerFn<Error = crate::domain::AppError> + Send + Sync + Clone + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(f)) = (action.value().get(), form.get_untracked()) {
            f.reset();
        }
    });
}
