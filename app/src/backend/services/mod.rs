//! The service layer: what the console, the REST API and the CLI can do, as plain async
//! functions of `(&AppState, &Caller, input)`, with no Leptos in them. Each service does the
//! policy check, the transaction, the audit entry and the auth-change record; server
//! functions, REST handlers and CLI commands are thin adapters that translate their inputs
//! and outputs.

pub mod account;
pub mod activity;
pub mod browse;
pub mod caller;
pub mod images;
pub mod namespaces;
pub mod registries;
pub mod repositories;
pub mod retention;
pub mod tags;
pub mod teams;
pub mod tokens;
pub mod users;
pub mod webhooks;

pub use caller::Caller;

use crate::backend::AppState;
use crate::domain::AppError;

/// `host:port` for `docker pull` lines: `registry_host`, else the first registry's public
/// endpoint, else a placeholder.
pub async fn registry_host(state: &AppState) -> Result<String, AppError> {
    if let Some(h) = &state.config.registry_host {
        return Ok(h.clone());
    }
    Ok(crate::backend::store::registries::list(&state.db)
        .await?
        .into_iter()
        .next()
        .map_or_else(|| "REGISTRY".to_owned(), |r| r.public_host))
}
