//! The `wharf` binary.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = wharf_server::cli::Cli::parse();
    match wharf_server::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The operator's terminal: an internal failure's cause is theirs to see.
            match &e {
                wharf_server::cli::CliError::App(app) => eprintln!("wharf: {}", app.detailed()),
                other => eprintln!("wharf: {other}"),
            }
            ExitCode::from(e.exit_code())
        }
    }
}
