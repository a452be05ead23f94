//! A modal dialog: focus goes to it, Escape or the backdrop closes it.

use leptos::prelude::*;

#[component]
pub fn Modal(open: RwSignal<bool>, #[prop(into)] title: String, children: ChildrenFn) -> impl IntoView {
    let title = StoredValue::new(title);
    let children = StoredValue::new(children);
    // Keyboard users land in the dialog (Escape then closes it).
    let panel = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let (true, Some(el)) = (open.get(), panel.get()) {
            let _ = el.focus();
        }
    });
    view! {
        <Show when=move || open.get()>
            <div class="fixed inset-0 z-40 flex items-center justify-center bg-slate-900/40 p-4"
                on:click=move |_| open.set(false)>
                <div node_ref=panel role="dialog" aria-modal="true" aria-label=title.get_value() tabindex="-1"
                    class="w-full max-w-lg rounded-lg bg-white p-6 shadow-xl focus:outline-none"
                    on:click=|ev| ev.stop_propagation()
                    on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
                    <h2 class="mb-4 text-lg font-semibold">{title.get_value()}</h2>
                    {children.read_value()()}
                </div>
            </div>
        </Show>
    }
}
