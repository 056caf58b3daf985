//! The Pawang bot. One binary, one role per subcommand: the front door
//! that every Telegram user talks to, or the tenant that runs one WhatsApp
//! account.

use clap::{Parser, Subcommand};

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
    Tenant,
}

fn main() -> anyhow::Result<()> {
    let role = match Cli::parse().role {
        Role::FrontDoor => "front door",
        Role::Tenant => "tenant",
    };
    anyhow::bail!("the {role} is not part of this build yet")
}
