//! Queries, one module per aggregate. Functions take any connection or transaction.

pub mod activity;
pub mod auth_changes;
pub mod namespaces;
pub mod registries;
pub mod repositories;
pub mod sync_runs;
pub mod tags;
pub mod teams;
pub mod tokens;
pub mod users;
