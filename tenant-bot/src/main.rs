//! The Pawang bot. One binary, one role per subcommand: the front door
//! that every Telegram user talks to, or the tenant that runs one WhatsApp
//! account.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tenant_bot::{exit, front_door, import, standalone, tenant};
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
    FrontDoor(front_door::Settings),
    /// The runtime of one WhatsApp account: session, pairing, status and
    /// group features, serving only the account's owner.
    Tenant(tenant::Settings),
    /// The whole product on one machine, no cluster: the front door and
    /// every account's tenant as a child process, data in `./data`.
    Standalone(standalone::Settings),
    /// Bring the old bot's accounts along: their WhatsApp sessions, so
    /// their owners need not pair again. Never changes the old folder.
    Import(import::Settings),
}

#[tokio::main]
async fn main() -> ExitCode {
    let role = Cli::parse().role;
    // kube's own spans and lines name objects in full, and an account's
    // name holds its phone number: they are left out unless asked for.
    // The import speaks to a person on stdout; its log says only what
    // went wrong.
    let default = match role {
        Role::Import(_) => "warn",
        _ => "info,kube=warn",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colours only for a person at a terminal, not in a pod's log.
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    let done = |outcome: anyhow::Result<()>| outcome.map(|()| ExitCode::SUCCESS);
    let outcome = match role {
        Role::FrontDoor(settings) => done(front_door::run::run(settings).await),
        Role::Tenant(settings) => done(tenant::run::run(settings).await),
        // It tells an import that ran but needs the user apart.
        Role::Import(settings) => import::run(settings).await,
        Role::Standalone(settings) => done(standalone::run::run(settings).await),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            exit::report(&error);
            ExitCode::FAILURE
        }
    }
}
