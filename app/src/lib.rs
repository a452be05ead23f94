//! wharf-app: the shared heart of wharf.
//!
//! - [`domain`]: names, scopes, DTOs and the application error (server and browser)
//! - [`authz`]: THE policy (server and browser)
//! - [`api`]: server functions the console calls
//! - [`ui`]: the Leptos console
//! - `backend` (feature `ssr`): configuration, database, credentials, token signing

#![recursion_limit = "256"]

pub mod api;
pub mod authz;
pub mod domain;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod backend;
