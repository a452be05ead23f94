//! The browser half of wharf: hydrates the server-rendered page. Must never depend on server
//! crates (CI runs a wasm32 clippy of this crate to prove it).

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // hydrate_lazy: some routes are separate wasm chunks, loaded before their page hydrates.
    leptos::mount::hydrate_lazy(wharf_app::ui::App);
}
