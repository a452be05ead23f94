//! Server functions, one file per resource. Thin: who is asking → policy → store → DTO.
//! Every one has a fixed endpoint under `/api/` (e.g. `/api/list_repositories`).

pub mod account;
pub mod activity;
pub mod browse;
pub mod namespaces;
pub mod registries;
pub mod retention;
pub mod session;
pub mod teams;
pub mod users;
pub mod webhooks;

#[cfg(feature = "ssr")]
pub mod context;
