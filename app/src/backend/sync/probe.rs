//! Replica health: `/v2/` must answer like a registry and, when the replica has a debug
//! address, `/debug/health` must answer 200. Results are stored with a short history; changes
//! are logged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;

use super::client::RegistryClient;
use crate::backend::entity::replica;
use crate::backend::store::registries;
use crate::backend::token::TokenIssuer;
use crate::domain::AppError;

/// Probes answer fast or count as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Checks one replica; `Err` holds what failed.
pub async fn check(replica: &replica::Model, issuer: &Arc<TokenIssuer>) -> Result<(), String> {
    let client = RegistryClient::new(&replica.url, issuer.clone(), PROBE_TIMEOUT).map_err(|e| e.to_string())?;
    client.ping().await.map_err(|e| e.to_string())?;
    if let Some(debug) = &replica.debug_url {
        client
            .health(&format!("{}/debug/health", debug.trim_end_matches('/')))
            .await
            .map_err(|e| format!("health check: {e}"))?;
    }
    Ok(())
}

/// Probes every replica once, all at the same time, and stores the results.
pub async fn probe_all(db: &impl ConnectionTrait, issuer: &Arc<TokenIssuer>) -> Result<(), AppError> {
    let replicas = registries::replicas(db, None).await?;
    let results = futures::future::join_all(replicas.iter().map(|r| async move {
        let started = Instant::now();
        let result = check(r, issuer).await;
        (result, started.elapsed().as_millis().min(i32::MAX as u128) as i32)
    }))
    .await;
    for (r, (result, latency)) in replicas.iter().zip(results) {
        let healthy = result.is_ok();
        let detail = result.err().unwrap_or_default();
        if registries::record_probe(db, r, healthy, &detail, latency).await? {
            if healthy {
                tracing::info!(replica = %r.name, url = %r.url, "replica is up");
            } else {
                tracing::warn!(replica = %r.name, url = %r.url, error = %detail, "replica is down");
            }
        }
    }
    Ok(())
}
