//! Periodic sync: reconcile the database with what the registry really holds, through a
//! healthy replica, so notifications lost to restarts or outages are repaired.
//!
//! - [`client`]: the distribution API calls (catalog, tags, manifest HEAD/DELETE).
//! - [`reconcile`]: one sync run, with the mass-deletion guard.
//! - [`delete`]: deleting an image through a healthy replica.
//! - [`lease`]: which wharf process runs the periodic jobs when several share a database.
//! - [`probe`]: replica health checks.
//! - [`scheduler`]: the background loop tying them together.

pub mod client;
pub mod delete;
pub mod lease;
pub mod probe;
pub mod reconcile;
pub mod scheduler;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::ConnectionTrait;

pub use client::{RegistryClient, RegistryError};
pub use reconcile::{run_sync, Progress, SyncOptions};

use crate::backend::store::registries;
use crate::backend::token::TokenIssuer;
use crate::domain::AppError;

/// The `sub` of tokens wharf signs for itself. Not a valid user name (`:`), so it can never be
/// confused with a user; its pulls are not counted.
pub const SERVICE_SUBJECT: &str = "wharf:sync";

/// How long wharf waits on a replica for one request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Clients for every configured replica, healthiest first: sync and deletes try them in order
/// and use the first that answers.
pub async fn replica_clients(
    db: &impl ConnectionTrait,
    issuer: &Arc<TokenIssuer>,
) -> Result<Vec<RegistryClient>, AppError> {
    let replicas = registries::replicas(db, None).await?;
    if replicas.is_empty() {
        return Err(AppError::BadRequest(
            "no registry replica is configured: run `wharf registry-config` or `wharf registry replica add`".into(),
        ));
    }
    replicas
        .iter()
        .map(|r| {
            RegistryClient::new(&r.url, issuer.clone(), REQUEST_TIMEOUT)
                .map_err(|e| AppError::internal(format!("client for {}: {e}", r.url)))
        })
        .collect()
}

/// The first replica that answers `/v2/`, in health order; the error lists every failure.
pub async fn healthy_client(db: &impl ConnectionTrait, issuer: &Arc<TokenIssuer>) -> Result<RegistryClient, AppError> {
    let mut failures = Vec::new();
    for client in replica_clients(db, issuer).await? {
        match client.ping().await {
            Ok(()) => return Ok(client),
            Err(e) => failures.push(e.to_string()),
        }
    }
    Err(AppError::internal(format!(
        "no registry replica answers: {}",
        failures.join("; ")
    )))
}
