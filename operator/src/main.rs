//! The Pawang operator binary: parse settings, run.

use std::io::IsTerminal as _;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Runs each WhatsAppAccount as an isolated tenant.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    #[command(flatten)]
    settings: operator::Settings,

    /// Log lines as JSON objects instead of text.
    #[arg(long, env = "PAWANG_LOG_JSON")]
    log_json: bool,
}

/// What is logged unless `RUST_LOG` says otherwise.
const DEFAULT_LOG_FILTER: &str = "info,kube=warn";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // kube's own spans name each object it reconciles in full, and an
    // account's name holds its phone number: they are left out unless asked
    // for. The operator's own lines mask the number.
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colours only for a person at a terminal, not in a pod's log.
        .with_ansi(std::io::stdout().is_terminal());
    if args.log_json {
        logs.json().init();
    } else {
        logs.init();
    }
    operator::run::run(args.settings).await
}
