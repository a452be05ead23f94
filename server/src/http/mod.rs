//! Thin HTTP adapters: parse the request, call the app, map the answer.

pub mod csrf;
pub mod events;
pub mod token;
