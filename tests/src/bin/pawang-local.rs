//! `make run-cluster`: the Kubernetes shape of the product on this
//! machine, talking to the real Telegram. A local cluster with its node
//! (in a sandbox of its own, with a way out to the internet), the CRD, the
//! operator, the front door with the bot token from `PAWANG_BOT_TOKEN`, and
//! each linked account's tenant as a pod on the node. Ctrl-C stops it all
//! and removes its state.
#![allow(clippy::expect_used)] // a local tool: a failed step ends it with its reason

use tests::Cluster;
use tests::front_door::{self, FrontDoor};
use tests::operator::{INSTALL_KEY, Operator};
use tests::stack::node_address;
use tests::tenants::Tenants;

#[tokio::main]
async fn main() {
    let token = std::env::var("PAWANG_BOT_TOKEN").unwrap_or_default();
    if token.trim().is_empty() {
        eprintln!(
            "Set PAWANG_BOT_TOKEN to your bot's token (from @BotFather), then run make run-cluster again."
        );
        std::process::exit(2);
    }
    let backend =
        std::env::var("PAWANG_WHATSAPP_BACKEND").unwrap_or_else(|_| "whatsapp-rust".to_owned());
    let telegram = std::env::var("PAWANG_TELEGRAM_API_URL")
        .unwrap_or_else(|_| "https://api.telegram.org".to_owned());
    let extra: Vec<String> = std::env::var("PAWANG_FRONT_DOOR_ARGS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();

    eprintln!("Starting the local cluster and its node (the first run builds them)…");
    let cluster = Cluster::shared();
    let client = cluster.client().await.expect("cluster client");
    cluster.install_crd(&client).await.expect("CRD");
    let namespace = cluster
        .namespace(&client, "local")
        .await
        .expect("namespace");

    // Tenants in pods reach the front door's gateway on the node.
    let gateway = node_address(cluster);
    let _tenants = Tenants::new(client.clone(), &namespace, INSTALL_KEY);
    let operator = Operator::start(
        cluster,
        &namespace,
        &[
            "--tenant-whatsapp-backend",
            &backend,
            "--telegram-gateway-url",
            &format!("http://{gateway}"),
            "--telegram-gateway-port",
            &gateway.port().to_string(),
        ],
    );
    let kubeconfig = front_door::identity(&client, &namespace).await;
    let door = FrontDoor::start(front_door::Options {
        namespace: namespace.clone(),
        kubeconfig,
        telegram_url: telegram,
        tenant_url_template: Tenants::url_template(),
        gateway,
        extra,
        token: Some(token),
    })
    .await;

    let sandbox = std::env::var("PAWANG_SANDBOX").unwrap_or_default();
    eprintln!();
    eprintln!("Pawang is running. Open your bot in Telegram and send /start, then /pair <number>.");
    eprintln!("In another shell (as root), see the tenants' pods:");
    eprintln!("  tests/controlplane/sandbox.sh --join {sandbox}");
    eprintln!(
        "  export KUBECONFIG={} PATH={}:$PATH",
        cluster.kubeconfig().display(),
        cluster.bin_dir().display()
    );
    eprintln!("  kubectl get wa,pods -n {namespace}");
    eprintln!("  front door log: {}", door.log_path().display());
    eprintln!("  metrics:        http://{}/metrics", door.address);
    eprintln!("Press Ctrl-C to stop; everything is removed.");
    stopped().await;
    eprintln!("Stopping…");
    drop(door);
    drop(operator);
}

/// Ctrl-C, or the TERM the sandbox passes on when its terminal's Ctrl-C
/// reaches it instead.
async fn stopped() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("TERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
