//! `make run-cluster`: the product installed on this machine as a cluster
//! admin installs it, talking to the real Telegram. A local cluster with
//! its node (in a sandbox of its own, with a way out to the internet) and
//! NetworkPolicies enforced; `helm install` of charts/pawang with the
//! image built here, its bot token from `PAWANG_BOT_TOKEN` kept in a
//! Secret of its own; the chart's operator and front door as pods, and
//! each linked account's tenant as a pod the operator makes. Ctrl-C stops
//! it all and removes its state.
#![allow(clippy::expect_used)] // a local tool: a failed step ends it with its reason

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{ObjectMeta, PostParams};
use tests::Cluster;
use tests::release::{FRONT_DOOR, Release};

/// The Secret `make run-cluster` keeps the bot token in.
const BOT_TOKEN_SECRET: &str = "pawang-local-bot-token";

#[tokio::main]
async fn main() {
    let token = std::env::var("PAWANG_BOT_TOKEN").unwrap_or_default();
    if token.trim().is_empty() {
        eprintln!(
            "Set PAWANG_BOT_TOKEN to your bot's token (from @BotFather), then run make run-cluster again."
        );
        std::process::exit(2);
    }
    let mut values = serde_json::json!({
        "telegram": {"existingSecret": BOT_TOKEN_SECRET},
    });
    if let Ok(url) = std::env::var("PAWANG_TELEGRAM_API_URL") {
        values["telegram"]["apiUrl"] = url.into();
    }
    if let Ok(backend) = std::env::var("PAWANG_WHATSAPP_BACKEND") {
        values["tenant"] = serde_json::json!({"whatsappBackend": backend});
    }
    // A values file of the user's, as `helm install --values` takes it.
    let own_values = std::env::var("PAWANG_VALUES").ok();
    let mut extra = Vec::new();
    if let Some(file) = &own_values {
        extra.extend(["--values", file.as_str()]);
    }

    eprintln!("Starting the local cluster and its node (the first run builds them)…");
    let cluster = Cluster::shared();
    let client = cluster.client().await.expect("cluster client");
    let namespace = cluster
        .namespace(&client, "local")
        .await
        .expect("namespace");
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(BOT_TOKEN_SECRET.to_owned()),
            ..ObjectMeta::default()
        },
        string_data: Some([("token".to_owned(), token.trim().to_owned())].into()),
        ..Secret::default()
    };
    Api::<Secret>::namespaced(client, &namespace)
        .create(&PostParams::default(), &secret)
        .await
        .expect("the bot token's Secret");
    eprintln!("Installing the chart…");
    let release = Release::install(cluster, &namespace, &values.to_string(), &extra).await;

    let sandbox = std::env::var("PAWANG_SANDBOX").unwrap_or_default();
    eprintln!();
    eprintln!("Pawang is running. Open your bot in Telegram and send /start, then /pair <number>.");
    eprintln!("In another shell (as root), see what runs:");
    eprintln!("  tests/controlplane/sandbox.sh --join {sandbox}");
    eprintln!(
        "  export KUBECONFIG={} PATH={}:$PATH",
        cluster.kubeconfig().display(),
        cluster.bin_dir().display()
    );
    eprintln!("  kubectl get deployments,wa,pods -n {}", release.namespace);
    eprintln!(
        "  kubectl logs -n {} deployment/{FRONT_DOOR} --follow",
        release.namespace
    );
    eprintln!("Press Ctrl-C to stop; everything is removed.");
    stopped().await;
    eprintln!("Stopping…");
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
