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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
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
