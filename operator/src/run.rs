//! Wiring: settings in, operator running until SIGTERM or lost leadership.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context as _;
use crds::WhatsAppAccount;
use crds::secret::InstallKey;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{Api, Client, CustomResourceExt};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, error, info, info_span, warn};

use crate::http::{self, Health};
use crate::leader::LeaseLock;
use crate::metrics::Metrics;
use crate::{Settings, controller};

/// Runs the operator until it is told to stop.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let key_bytes = std::fs::read(&settings.install_key_file).with_context(|| {
        format!(
            "cannot read the install key {}",
            settings.install_key_file.display()
        )
    })?;
    let install_key = InstallKey::new(&key_bytes)?;
    let client = Client::try_default()
        .await
        .context("cannot reach the API server")?;
    let metrics = Metrics::new()?;
    let health = Arc::new(Health::default());

    // One shutdown path: a signal (or lost leadership) cancels this, every
    // task holds it.
    let stop = crds::shutdown::on_signal();

    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    info!(address = %settings.listen, "serving metrics and health");
    let server = axum::serve(listener, http::router(metrics.clone(), health.clone()))
        .with_graceful_shutdown(stop.clone().cancelled_owned());
    let server = tokio::spawn(server.into_future().instrument(info_span!("http")));

    let identity = settings
        .leader
        .identity
        .clone()
        .unwrap_or_else(|| format!("operator-{}", std::process::id()));
    let outcome = lead(
        client,
        settings,
        install_key,
        metrics,
        health,
        identity,
        stop.clone(),
    )
    .await;
    stop.cancel();
    if let Ok(Err(error)) = server.await {
        warn!(error = %crds::naming::why(&error), "metrics server failed");
    }
    outcome
}

/// Waits for the CRD and the Lease, then runs the controller while the
/// Lease is held.
#[allow(clippy::too_many_arguments)]
async fn lead(
    client: Client,
    settings: Settings,
    install_key: InstallKey,
    metrics: Metrics,
    health: Arc<Health>,
    identity: String,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let crds = Api::<CustomResourceDefinition>::all(client.clone());
    let crd_name = WhatsAppAccount::crd_name();
    loop {
        match crds.get_opt(crd_name).await {
            Ok(Some(_)) => break,
            Ok(None) => warn!(crd = crd_name, "CRD not installed yet"),
            Err(error) => warn!(error = %crds::naming::why(&error), "cannot look up the CRD"),
        }
        if !crds::shutdown::pause(&stop, Duration::from_secs(5)).await {
            return Ok(());
        }
    }
    health.crd_present.store(true, Ordering::Release);

    let lock = LeaseLock::new(
        client.clone(),
        &settings.namespace,
        &settings.leader.lease_name,
        &identity,
        settings.leader.lease_duration,
    );
    info!(%identity, lease = %settings.leader.lease_name, "waiting for leadership");
    loop {
        match lock.try_acquire_or_renew().await {
            Ok(true) => break,
            Ok(false) => {}
            Err(error) => warn!(error = %crds::naming::why(&error), "cannot take the lease"),
        }
        if !crds::shutdown::pause(&stop, lock.renew_interval()).await {
            return Ok(());
        }
    }
    info!("leading");
    health.leading.store(true, Ordering::Release);

    let (lost_tx, mut lost) = watch::channel(false);
    let renewer =
        tokio::spawn(renew(lock.clone(), stop.clone(), lost_tx).instrument(info_span!("lease")));
    let synced = health.clone();
    controller::run(
        client,
        settings,
        install_key,
        metrics,
        identity,
        move || synced.synced.store(true, Ordering::Release),
        stop.cancelled_owned(),
    )
    .await;
    renewer.abort();
    if *lost.borrow_and_update() {
        anyhow::bail!("lost the lease; stopping so that only the leader reconciles");
    }
    if let Err(error) = lock.release().await {
        warn!(error = %crds::naming::why(&error), "cannot release the lease");
    }
    info!("stopped");
    Ok(())
}

/// Renews the Lease; when it cannot for a whole lease duration, another
/// replica may already lead, so this one stops.
async fn renew(lock: LeaseLock, stop: CancellationToken, lost: watch::Sender<bool>) {
    let mut last_renewed = tokio::time::Instant::now();
    let deadline = lock.renew_interval() * 3;
    loop {
        if !crds::shutdown::pause(&stop, lock.renew_interval()).await {
            return;
        }
        match lock.try_acquire_or_renew().await {
            Ok(true) => last_renewed = tokio::time::Instant::now(),
            Ok(false) => {
                error!("another replica holds the lease");
                break;
            }
            Err(error) => warn!(error = %crds::naming::why(&error), "cannot renew the lease"),
        }
        if last_renewed.elapsed() >= deadline {
            error!("lease not renewed in time");
            break;
        }
    }
    let _ = lost.send(true);
    stop.cancel();
}
