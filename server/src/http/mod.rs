//! Thin HTTP adapters: parse the request, call the app, map the answer.

pub mod activity_export;
pub mod api;
pub mod assets;
pub mod authorization;
pub mod csrf;
pub mod events;
pub mod health;
pub mod metrics;
pub mod request_id;
pub mod token;
