//! sea-orm entities, one per table (schema in `wharf-migration`).

pub mod activity;
pub mod app_token;
pub mod auth_change;
pub mod lease;
pub mod login_failure;
pub mod manifest;
pub mod namespace;
pub mod refresh_token;
pub mod registry;
pub mod registry_event;
pub mod replica;
pub mod replica_probe;
pub mod repository;
pub mod repository_manifest;
pub mod session;
pub mod setup_token;
pub mod star;
pub mod sync_run;
pub mod tag;
pub mod team;
pub mod team_member;
pub mod user;
pub mod webhook;
pub mod webhook_attempt;
pub mod webhook_delivery;
