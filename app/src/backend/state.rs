//! The one state every handler and server function shares.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sea_orm::DatabaseConnection;

use super::auth::cache::AuthCache;
use super::config::Config;
use super::token::TokenIssuer;

/// The one state every handler and server function shares. axum clones it for every request
/// (each handler's `State` and each middleware that takes state), so it is one reference count
/// to bump, not one per field: on the token hot path two cores otherwise bounced some twenty
/// shared counters between them on every request.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl AppState {
    pub fn new(shared: SharedState) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;
    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// What leptos_axum takes from the state to serve the console.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

/// What [`AppState`] holds.
pub struct SharedState {
    /// Where the built site (wasm, css) is served from.
    pub leptos_options: LeptosOptions,
    /// Loaded once at start-up; never a global.
    pub config: Arc<Config>,
    /// The connection pool.
    pub db: DatabaseConnection,
    /// Signs registry tokens with the key under the data dir.
    pub issuer: Arc<TokenIssuer>,
    /// Recently verified passwords and tokens, and namespace facts, so docker's Basic auth on
    /// every token request costs neither an argon2 verification nor database reads.
    pub auth_cache: AuthCache,
    /// What the registry must send in `Authorization` with notifications.
    pub notification_secret: Arc<String>,
    /// The bound on password verifications running at once.
    pub verifications: Arc<super::auth::password::VerificationSlots>,
    /// Per-client-address limits on sign-in and token requests.
    pub throttle: Arc<super::auth::throttle::ClientThrottle>,
    /// Counters and histograms for `/metrics` (records nothing when disabled).
    pub metrics: super::metrics::Metrics,
    /// The key sealing webhook secrets, the outbound allow-list and the delivery settings.
    pub webhooks: Arc<super::webhooks::Webhooks>,
    /// The LDAP directory that checks passwords of users without a local one (`[ldap]`).
    pub directory: Option<Arc<super::auth::ldap::Directory>>,
    /// The time every expiry, backoff and lease decision reads (tests move it forward).
    pub clock: super::clock::Clock,
    /// Applies registry notifications, many requests to a transaction under load.
    pub ingest: super::events::IngestWriter,
}

impl AppState {
    /// The client address of a request from `peer` (see [`super::client_ip`]).
    pub fn client_ip(&self, peer: std::net::IpAddr, headers: &axum::http::HeaderMap) -> std::net::IpAddr {
        super::client_ip::resolve(peer, headers, &self.config.trusted_proxies)
    }
}
