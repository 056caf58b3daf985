//! The Pawang bot. One binary, one role per subcommand: the front door
//! that every Telegram user talks to, or the tenant that runs one WhatsApp
//! account.

use clap::{Parser, Subcommand};
use tenant_bot::tenant;
use tracing_subscriber::EnvFilter;

/// Manage WhatsApp groups from Telegram, for many users at once.
#[derive(Debug, Parser)]
#[command(name = "tenant-bot", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    role: Role,
}

#[derive(Debug, Subcommand)]
enum Role {
    /// The single Telegram endpoint of an install: /start, /pair, accounts,
    /// access control, routing to tenants and the Telegram gateway.
    FrontDoor,
    /// The runtime of one WhatsApp account: session, pairing, status and
    /// group features, serving only the account's owner.
    Tenant(tenant::Settings),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().role {
        Role::FrontDoor => anyhow::bail!("the front door is not part of this build yet"),
        Role::Tenant(settings) => {
            let filter =
                EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
            tracing_subscriber::fmt().with_env_filter(filter).init();
            tenant::run::run(settings).await
        }
    }
}
