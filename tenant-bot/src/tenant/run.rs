//! Wiring of one tenant process: settings in, serving until SIGTERM.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use crds::WhatsAppAccount;
use kube::Api;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::http::{self, Endpoint};
use super::metrics::{Metered, Metrics};
use super::pairing::Timing;
use super::runtime::Runtime;
use super::settings::{Backend, Settings};
use super::status::{Reporter, Session};
use crate::import::seed::Unpacked;
use crate::server::{self, Servers};
use crate::store::Store;
use crate::telegram::{Catalog, TelegramMessenger};
use crate::whatsapp::WhatsApp;
use crate::whatsapp::adapter::{Adapter, Connection};
#[cfg(feature = "fake")]
use crate::whatsapp::fake::Fake;

/// Updates waiting for the runtime; beyond this the front door is told to
/// retry later.
const QUEUE: usize = 64;

/// How long a stopping tenant waits for its work to wind down (a job's
/// current item recorded, a pairing ended) before it stops anyway: well
/// within the 30 s Kubernetes gives a pod before it kills it.
const STOP_GRACE: Duration = Duration::from_secs(20);

/// Runs the tenant until SIGTERM or Ctrl-C.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    #[cfg(not(feature = "fake"))]
    anyhow::ensure!(
        settings.whatsapp_backend != Backend::Fake,
        crate::whatsapp::NO_FAKE
    );
    let secret = std::fs::read_to_string(&settings.secret_file)
        .with_context(|| format!("cannot read {}", settings.secret_file.display()))?
        .trim()
        .to_owned();
    anyhow::ensure!(!secret.is_empty(), "the tenant secret file is empty");
    let credential = format!("{}:{secret}", settings.account);
    let api_url: reqwest::Url = settings
        .telegram_api_url
        .parse()
        .context("the Telegram API URL is not a URL")?;

    super::volume::prepare(&settings.data_dir)?;
    if let Some(seed_dir) = &settings.seed_dir {
        unpack_seed(seed_dir, &settings);
    }
    let store = Store::open(settings.bot_data_db())
        .await
        .context("cannot open the bot data")?;
    #[cfg(feature = "fake")]
    let mut fake = None;
    let whatsapp: Arc<dyn WhatsApp> = match settings.whatsapp_backend {
        #[cfg(not(feature = "fake"))]
        Backend::Fake => anyhow::bail!(crate::whatsapp::NO_FAKE),
        #[cfg(feature = "fake")]
        Backend::Fake => {
            warn!("using the fake WhatsApp backend; for tests only");
            // Its state where the session store would be, as the store's
            // kind of file.
            let backend = Arc::new(Fake::persistent(settings.whatsmeow_db())?);
            fake = Some(backend.clone());
            backend
        }
        Backend::WhatsappRust => {
            let connection = Connection {
                server: None,
                version: settings.whatsapp_version,
            };
            Arc::new(Adapter::open_with(&settings.whatsmeow_db(), connection).await?)
        }
    };
    let metrics = Metrics::new()?;
    let store = store.with_error_counter(metrics.store_errors.clone());
    let whatsapp: Arc<dyn WhatsApp> = Arc::new(Metered::new(whatsapp, metrics.clone()));
    let reporter = if settings.report_status {
        let client = kube::Client::try_default()
            .await
            .context("cannot reach the API server to report status")?;
        let api = Api::<WhatsAppAccount>::namespaced(client, &settings.namespace);
        Some(Reporter::new(api, &settings.account))
    } else {
        None
    };

    let stop = crds::shutdown::on_signal();
    let runtime = Arc::new(Runtime {
        phone: settings.phone.clone(),
        default_language: settings.language,
        catalog: Arc::new(Catalog::new()?),
        store,
        whatsapp: whatsapp.clone(),
        messenger: Arc::new(
            TelegramMessenger::new(api_url.clone(), &credential, settings.owner)
                .with_error_counter(metrics.telegram_errors.clone())
                .stopping_on(stop.clone()),
        ),
        bot: crate::telegram::messenger::gateway_bot(api_url, &credential),
        refresh_every: (settings.groups_refresh > 0)
            .then(|| Duration::from_secs(settings.groups_refresh * 60)),
        timing: Timing {
            timeout: Duration::from_secs(settings.pairing_timeout),
            ..Timing::default()
        },
        metrics: metrics.clone(),
    });

    if settings.exit_with_parent {
        tokio::spawn(stop_with_parent(stop.clone()));
    }
    let (updates, updates_rx) = mpsc::channel(QUEUE);
    let ready = Arc::new(AtomicBool::new(false));
    let secret: Arc<str> = secret.into();
    let (session_tx, session) = watch::channel(Session::AwaitingPairing);
    if let Some(reporter) = reporter {
        tokio::spawn(reporter.follow(session.clone(), stop.clone()));
    }
    let endpoint = Endpoint {
        secret: secret.clone(),
        owner: settings.owner,
        updates,
        whatsapp,
        ready: ready.clone(),
        metrics: metrics.clone(),
        session,
        recent: Arc::new(crate::telegram::RecentUpdates::new(
            super::http::RECENT_UPDATES,
        )),
    };
    let main = http::router(endpoint.clone());
    #[cfg(feature = "fake")]
    let main = match fake {
        Some(fake) => main.merge(super::fake_control::router(fake, secret)),
        None => main,
    };
    let admin = http::admin_router(endpoint);
    let mut servers = Servers::new(&stop);
    let main = match settings.admin_listen {
        Some(address) => {
            servers.serve(server::bind(address).await?, admin, "admin");
            main
        }
        None => main.merge(admin),
    };
    if let Some(address) = settings.metrics_listen {
        let router = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || async move { metrics.render() }),
        );
        servers.serve(server::bind(address).await?, router, "metrics");
    }
    servers.serve(server::bind(settings.listen).await?, main, "http");
    info!(address = %settings.listen, account = %crds::naming::Redacted(&settings.account), "serving");

    ready.store(true, Ordering::Release);
    let running = runtime.run(updates_rx, stop.clone(), session_tx);
    tokio::select! {
        () = running => {}
        () = grace_after(&stop) => warn!(grace = ?STOP_GRACE, "work did not wind down in time; stopping anyway"),
    }
    servers.stopped().await;
    info!("stopped");
    Ok(())
}

/// Resolves [`STOP_GRACE`] after `stop` is cancelled.
async fn grace_after(stop: &CancellationToken) {
    stop.cancelled().await;
    tokio::time::sleep(STOP_GRACE).await;
}

/// Unpacks an imported account's seed into an empty data directory. A
/// seed that cannot be used is reported and left; pairing is then offered
/// as for any new account.
fn unpack_seed(seed_dir: &std::path::Path, settings: &Settings) {
    let files = [
        crds::naming::whatsmeow_db_file(settings.owner, &settings.phone),
        crds::naming::bot_data_db_file(settings.owner, &settings.phone),
    ];
    match crate::import::seed::unpack(seed_dir, &settings.data_dir, &files) {
        Ok(Unpacked::NoSeed) => {}
        Ok(Unpacked::SessionThere) => info!("a session is on the volume; the seed is not used"),
        Ok(Unpacked::Files(files)) => info!(files = files.len(), "imported files unpacked"),
        Err(error) => {
            warn!(error = %crds::naming::why(&error), "the seed cannot be used; pairing is offered instead")
        }
    }
}

/// Cancels `stop` once this process's parent is gone (it is then adopted by
/// another, and its parent id changes).
async fn stop_with_parent(stop: CancellationToken) {
    let parent = nix::unistd::getppid();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    loop {
        ticks.tick().await;
        if nix::unistd::getppid() != parent {
            warn!("the supervising process is gone; stopping");
            stop.cancel();
            return;
        }
    }
}
