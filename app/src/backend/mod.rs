//! Everything that runs only on the server: configuration, database, credentials, token
//! signing and the stores. Compiled with the `ssr` feature only.

pub mod auth;
pub mod client_ip;
pub mod clock;
pub mod config;
pub mod csp;
pub mod db;
pub mod deploy;
pub mod entity;
pub mod error;
pub mod events;
pub mod images;
pub mod markdown;
pub mod metrics;
pub mod orphans;
pub mod outbound;
pub mod planner_statistics;
pub mod registry_auth;
pub mod secret_file;
pub mod secret_value;
pub mod services;
pub mod start_files;
pub mod state;
pub mod store;
pub mod sync;
pub mod token;
pub mod webhooks;

pub use error::{internal, ApiError};
pub use state::{AppState, SharedState};
