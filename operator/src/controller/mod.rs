//! The `WhatsAppAccount` controller: reconcile hands each account to
//! `finalizer`, which either applies its children and status or cleans up
//! before deletion.
//!
//! - `watches`: what is watched and cached, and when the caches are full
//! - `context`: what every reconcile shares
//! - `reconcile`: one reconcile (children, status, seed, stuck pod) and
//!   the retry policy
//! - `cleanup`: what happens before an account is deleted
//! - `error`: why a reconcile failed
//! - `tests`: reconcile scenarios against a mocked API server

mod cleanup;
mod context;
mod error;
mod reconcile;
mod watches;

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crds::labels;
use crds::secret::InstallKey;
use futures::StreamExt;
use kube::Client;
use kube::runtime::controller;
use kube::runtime::events::{Recorder, Reporter};
use tracing::{Instrument, info, info_span};

pub use context::Context;
pub use error::{Error, Result};

use crate::metrics::Metrics;
use crate::settings::Settings;

/// Finalizer that holds an account until its tenant has logged out.
pub const FINALIZER: &str = "pawang.dev/cleanup";

/// How often a converged account is looked at again anyway.
const RESYNC: Duration = Duration::from_secs(300);

/// Runs the controller until `shutdown` resolves. `on_synced` is called
/// once every watch has listed its objects.
pub async fn run(
    client: Client,
    settings: Settings,
    install_key: InstallKey,
    metrics: Metrics,
    identity: String,
    on_synced: impl FnOnce() + Send + 'static,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let watches::Watches {
        controller,
        accounts,
        children,
        synced,
    } = watches::watch(&client, &settings.namespace);
    metrics.count_phases_of(accounts.clone());

    let (reconcile_all, reconcile_all_rx) = futures::channel::mpsc::unbounded();
    let controller = controller
        .reconcile_all_on(reconcile_all_rx)
        .with_config(controller::Config::default().concurrency(settings.concurrency));

    let context = Arc::new(Context {
        recorder: Recorder::new(
            client.clone(),
            Reporter {
                controller: labels::OPERATOR.into(),
                instance: Some(identity),
            },
        ),
        client,
        settings,
        install_key,
        accounts,
        children,
        synced: synced.clone(),
        metrics,
        http: reqwest::Client::new(),
        reconcile_all,
        failures: Mutex::default(),
    });

    let mut listed = synced;
    tokio::spawn(
        async move {
            if listed.wait_for(|done| *done).await.is_ok() {
                info!("watches synced");
                on_synced();
            }
        }
        .instrument(info_span!("sync")),
    );

    controller
        .graceful_shutdown_on(shutdown)
        .run(reconcile::reconcile, reconcile::error_policy, context)
        .for_each(|_| std::future::ready(()))
        .await;
}
