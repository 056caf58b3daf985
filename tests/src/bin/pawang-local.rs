//! `make run`: the whole product on this machine, talking to the real
//! Telegram. A local control plane, the CRD, the operator, the front door
//! with the bot token from `PAWANG_BOT_TOKEN`, and tenants as local
//! processes (the local control plane has no kubelet). Ctrl-C stops it all
//! and removes its state.
#![allow(clippy::expect_used)] // a local tool: a failed step ends it with its reason

use tests::Cluster;
use tests::front_door::{self, FrontDoor};
use tests::local_tenants::{self, LocalTenants};
use tests::operator::{INSTALL_KEY, Operator};
use tests::process::free_address;

#[tokio::main]
async fn main() {
    let token = std::env::var("PAWANG_BOT_TOKEN").unwrap_or_default();
    if token.trim().is_empty() {
        eprintln!(
            "Set PAWANG_BOT_TOKEN to your bot's token (from @BotFather), then run make run again."
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

    eprintln!("Starting the local control plane (the first run builds it)…");
    let cluster = Cluster::shared();
    let client = cluster.client().await.expect("control plane client");
    cluster.install_crd(&client).await.expect("CRD");
    let namespace = cluster
        .namespace(&client, "local")
        .await
        .expect("namespace");
    let state = std::env::temp_dir().join(format!("pawang-local-{}", std::process::id()));

    let gateway = free_address();
    let tenants = LocalTenants::start(
        client.clone(),
        local_tenants::Options {
            namespace: namespace.clone(),
            install_key: INSTALL_KEY.to_owned(),
            gateway_url: format!("http://{gateway}"),
            dir: state.join("tenants"),
            backend,
            pairing_timeout: 180,
            kubeconfig: cluster.kubeconfig().to_owned(),
        },
    )
    .await;
    let operator = Operator::start(
        cluster,
        &namespace,
        &["--tenant-url-template", &tenants.url_template()],
    );
    let kubeconfig = front_door::identity(&client, &namespace).await;
    let door = FrontDoor::start(front_door::Options {
        namespace: namespace.clone(),
        kubeconfig,
        telegram_url: telegram,
        tenant_url_template: tenants.url_template(),
        gateway,
        extra,
        token: Some(token),
    })
    .await;

    eprintln!();
    eprintln!("Pawang is running. Open your bot in Telegram and send /start, then /pair <number>.");
    eprintln!(
        "  accounts:   KUBECONFIG={} kubectl get wa -n {namespace}",
        cluster.kubeconfig().display()
    );
    eprintln!("  front door: {}", door.log_path().display());
    eprintln!("  tenants:    {}", state.join("tenants").display());
    eprintln!("  metrics:    http://{}/metrics", door.address);
    eprintln!("Press Ctrl-C to stop; everything is removed.");
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("Stopping…");
    drop(door);
    drop(operator);
    drop(tenants);
    let _ = std::fs::remove_dir_all(&state);
}
