//! Thin HTTP adapters: parse the request, call the app, map the answer.

pub mod activity_export;
pub mod assets;
pub mod csrf;
pub mod events;
pub mod health;
pub mod server_fn_status;
pub mod token;
