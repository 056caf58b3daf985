//! The Pawang operator: a kube-runtime controller that turns each
//! `WhatsAppAccount` into a tenant (StatefulSet, volume, Service, Secret,
//! RBAC, NetworkPolicy) and cleans up after it.

use clap::Parser;

/// Runs each WhatsAppAccount as an isolated tenant.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {}

fn main() -> anyhow::Result<()> {
    let Args {} = Args::parse();
    anyhow::bail!("the WhatsAppAccount controller is not part of this build yet")
}
