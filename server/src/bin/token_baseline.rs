//! The yardstick for `/v2/token` (issue 20): a server that only signs.
//!
//! Every `GET /v2/token` gets a token for a fixed subject and one `pull,push` repository entry,
//! signed by wharf's own signer (same key, same header, same claims) and served by the same
//! runtime and HTTP stack (tokio, axum, `Json`), and nothing else: no credentials, no scope
//! parsing, no policy, no middleware, no metrics. What wharf's `/v2/token` costs beyond this is
//! wharf's own work; `scripts/bench-token-baseline.sh` measures both in alternating rounds.
//!
//! Usage: `WHARF_DATA_DIR=DIR wharf-token-baseline 127.0.0.1:PORT` (the key is read from, or
//! made in, DIR's key directory, as `wharf serve` does). Built on demand:
//! `cargo leptos build --release --split --server-only --bin-cargo-args=--bin=wharf-token-baseline`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use wharf_app::backend::config::Config;
use wharf_app::backend::token::{AccessEntry, TokenIssuer};

async fn token(State(issuer): State<Arc<TokenIssuer>>) -> Response {
    let access = vec![AccessEntry {
        kind: "repository".into(),
        name: "bench/app".into(),
        actions: vec!["pull".into(), "push".into()],
    }];
    match issuer.issue("bench", access) {
        Ok(token) => Json(token).into_response(),
        Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen: SocketAddr = std::env::args()
        .nth(1)
        .ok_or("usage: wharf-token-baseline LISTEN_ADDR (with WHARF_DATA_DIR set)")?
        .parse()?;
    let no_overrides = std::collections::BTreeMap::<String, String>::new();
    let config = Config::load(None, no_overrides)?;
    let issuer = Arc::new(wharf_server::startup::issuer(&config)?);
    let app = Router::new()
        .route("/v2/token", get(token))
        .route("/health/live", get(|| async { "ok" }))
        .with_state(issuer);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
