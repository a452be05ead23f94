//! `wharf serve`: bind, serve HTTP or HTTPS, stop gracefully on Ctrl-C / SIGTERM.

use std::net::SocketAddr;
use std::time::Duration;

use leptos::prelude::get_configuration;
use wharf_app::backend::config::Config;

use crate::cli::CliError;
use crate::{router, startup};

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Where the built console (wasm, css) is: `LEPTOS_SITE_ROOT` when set (cargo-leptos sets it),
/// else `target/site` next to the working directory.
fn leptos_options(listen: SocketAddr) -> Result<leptos::prelude::LeptosOptions, CliError> {
    let conf = get_configuration(None).map_err(|e| CliError::Usage(format!("leptos configuration: {e}")))?;
    let mut opts = conf.leptos_options;
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_none() {
        opts.output_name = "wharf".into();
    }
    opts.site_addr = listen;
    Ok(opts)
}

pub async fn serve(config: Config) -> Result<(), CliError> {
    let db = startup::open_database(&config).await?;
    startup::record_declared_registries(&config, &db).await?;
    let listen = config.listen;
    let tls = config.tls_cert.clone().zip(config.tls_key.clone());
    let public_url = config.public_url.clone();
    let setup_file = startup::first_admin_setup(&config, &db).await?;
    let state = startup::state(config, db, leptos_options(listen)?)?;
    let background = startup::spawn_background(&state)?;
    let app = router::build(state).into_make_service_with_connect_info::<SocketAddr>();

    match tls {
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .map_err(|e| CliError::Usage(format!("loading TLS certificate {}: {e}", cert.display())))?;
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                h.graceful_shutdown(Some(Duration::from_secs(10)));
            });
            announce(listen, &public_url, setup_file.as_deref());
            axum_server::bind_rustls(listen, tls).handle(handle).serve(app).await?;
        }
        None => {
            let listener = tokio::net::TcpListener::bind(listen).await?;
            announce(listener.local_addr()?, &public_url, setup_file.as_deref());
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_signal())
                .await?;
        }
    }
    background.iter().for_each(|t| t.abort());
    tracing::info!("stopped");
    Ok(())
}

fn announce(addr: SocketAddr, public_url: &str, setup_file: Option<&std::path::Path>) {
    tracing::info!(%addr, %public_url, "wharf is listening");
    if let Some(file) = setup_file {
        // The token itself stays out of the log: logs are shipped and kept.
        tracing::warn!(
            "no administrator yet: sign up at {public_url}/signup with the one-time setup token in {} \
             (or run `wharf user add NAME --admin --password-stdin`)",
            file.display()
        );
    }
}
