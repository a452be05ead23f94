//! sea-orm entities, one per table (schema in `wharf-migration`).

pub mod activity;
pub mod app_token;
pub mod auth_change;
pub mod namespace;
pub mod refresh_token;
pub mod registry;
pub mod replica;
pub mod repository;
pub mod session;
pub mod tag;
pub mod team;
pub mod team_member;
pub mod user;
