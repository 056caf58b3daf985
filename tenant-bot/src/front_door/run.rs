//! Wiring of the front door: settings in, serving until SIGTERM.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use crds::Language;
use crds::secret::InstallKey;
use futures::StreamExt;
use teloxide::Bot;
use teloxide::payloads::{SetMyCommandsSetters as _, SetWebhookSetters as _};
use teloxide::prelude::Requester as _;
use teloxide::types::{AllowedUpdate, BotCommand};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, info, info_span, warn};

use super::accounts::Accounts;
use super::bot::FrontDoor;
use super::gateway::Gateway;
use super::gateway::grants::Grants;
use super::gateway::telegram::Telegram;
use super::handlers::{Dispatcher, Queues, commands};
use super::intake::{self, Intake, Webhook};
use super::metrics::Metrics;
use super::routing::Tenants;
use super::schedule::{Limits, Scheduler};
use super::settings::{Intake as IntakeKind, Settings};
use super::ui::Ui;
use crate::server::{self, Servers};
use crate::telegram::Catalog;

/// Updates one user may have waiting before they are told to wait.
const USER_QUEUE: usize = 64;
/// A user's worker ends after this long without updates.
const USER_IDLE: Duration = Duration::from_secs(300);

fn read_secret(path: &std::path::Path, what: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} from {}", path.display()))?;
    let text = text.trim().to_owned();
    anyhow::ensure!(
        !text.is_empty(),
        "the {what} file {} is empty",
        path.display()
    );
    Ok(text)
}

/// The address to reach a listener on from this process.
fn local(address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), address.port())
    } else {
        address
    }
}

/// Runs the front door until SIGTERM or Ctrl-C.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let token = read_secret(&settings.bot_token_file, "bot token")?;
    let install_key =
        InstallKey::new(read_secret(&settings.install_key_file, "install key")?.as_bytes())
            .context("the install key cannot be used")?;
    let webhook_secret = match &settings.webhook_secret_file {
        Some(path) => Some(read_secret(path, "webhook secret")?),
        None => None,
    };
    let client = kube::Client::try_default()
        .await
        .context("cannot reach the API server")?;
    let (accounts, changes) = Accounts::watch(client, &settings.namespace);
    let stop = crds::shutdown::on_signal();
    let parts = Parts {
        accounts,
        changes: changes.boxed(),
        endpoints: None,
        token,
        install_key,
        webhook_secret,
    };
    serve_with(settings, parts, stop).await
}

/// What a front door serves with, wherever its accounts live.
pub struct Parts {
    /// The accounts.
    pub accounts: Accounts,
    /// Every account that changes, as it does.
    pub changes: futures::stream::BoxStream<'static, Arc<crds::WhatsAppAccount>>,
    /// Tenants' endpoints the URL template cannot name, if any.
    pub endpoints: Option<super::routing::Endpoints>,
    /// The bot token.
    pub token: String,
    /// The key tenant secrets derive from.
    pub install_key: InstallKey,
    /// The webhook's secret, in webhook intake.
    pub webhook_secret: Option<String>,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts").finish_non_exhaustive()
    }
}

/// Serves until `stop` is cancelled (and cancels it when it ends on its
/// own).
pub async fn serve_with(
    settings: Settings,
    parts: Parts,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let Parts {
        accounts,
        changes,
        endpoints,
        token,
        install_key,
        webhook_secret,
    } = parts;
    let settings = Arc::new(settings);
    let metrics = Metrics::new()?;
    let catalog = Arc::new(Catalog::new()?);
    let accounts = accounts.retaining_volumes(settings.retain_volumes);

    let grants = Grants::new(install_key.clone());
    let telegram = Telegram::new(
        &settings.telegram_api_url,
        token.clone(),
        metrics.telegram_errors.clone(),
    );
    let scheduler = Scheduler::spawn(Limits::default(), telegram.clone());
    let gateway = Gateway::new(
        install_key.clone(),
        accounts.clone(),
        grants.clone(),
        telegram,
        scheduler,
        metrics.clone(),
    );
    let gateway_listener = server::bind(settings.gateway_listen).await?;
    let gateway_url = format!("http://{}", local(gateway_listener.local_addr()?));
    let bot = Bot::new(Gateway::own_credential(&install_key))
        .set_api_url(gateway_url.parse().context("gateway URL")?);
    let door = Arc::new(FrontDoor::new(
        settings.clone(),
        accounts.clone(),
        catalog.clone(),
        Ui::new(bot, metrics.telegram_errors.clone()),
        Tenants::new(
            &settings.tenant_url_template,
            &settings.namespace,
            install_key,
        )
        .with_endpoints(endpoints),
        grants,
        metrics.clone(),
    ));
    let queues = Queues::new(
        Arc::new(Dispatcher::new(door.clone())),
        USER_QUEUE,
        USER_IDLE,
        metrics.active_users.clone(),
    );
    let rate = NonZeroU32::new(settings.access.user_rate_per_minute).unwrap_or(NonZeroU32::MIN);
    let intake = Arc::new(Intake::new(door.clone(), queues, rate, metrics.clone()));

    let watch_door = door.clone();
    tokio::spawn(
        async move {
            let mut changes = std::pin::pin!(changes);
            while let Some(account) = changes.next().await {
                let door = watch_door.clone();
                tokio::spawn(async move { door.on_change(&account).await });
            }
        }
        .instrument(info_span!("accounts")),
    );

    let ready = Arc::new(AtomicBool::new(false));
    let mut main = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(|State(ready): State<Arc<AtomicBool>>| async move {
                if ready.load(Ordering::Acquire) {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                }
            }),
        )
        .with_state(ready.clone());
    let metrics_route = metrics.clone();
    main = main.route(
        "/metrics",
        get(move || async move { metrics_route.render() }),
    );
    if let Some(secret) = &webhook_secret {
        let hook = Webhook::new(intake.clone(), secret.as_str());
        main = main.merge(
            Router::new()
                .route("/telegram/webhook", post(intake::webhook))
                .with_state(hook),
        );
    }
    let mut servers = Servers::new(&stop);
    servers.serve(server::bind(settings.listen).await?, main, "http");
    info!(listen = %settings.listen, gateway = %settings.gateway_listen, "serving");

    tokio::select! {
        synced = accounts.ready() => anyhow::ensure!(synced, "the account cache never filled"),
        () = stop.cancelled() => {
            servers.stopped().await;
            return Ok(());
        }
    }
    // The gateway answers only once it knows every account: before, a
    // tenant's call (right after this front door restarted) would be
    // refused as unknown and its message lost. Its port is bound already,
    // so such calls wait in the queue of connections meanwhile.
    servers.serve(gateway_listener, gateway.router(), "gateway");
    ready.store(true, Ordering::Release);
    let setup = Setup::new(&settings.telegram_api_url, &token)?;
    setup.set_commands(&catalog).await;
    match settings.intake {
        IntakeKind::Polling => {
            Setup::report("deleteWebhook", setup.0.delete_webhook().await);
            info!("taking updates by long polling");
            intake::poll(
                intake,
                settings.telegram_api_url.clone(),
                token,
                stop.clone(),
            )
            .await;
        }
        IntakeKind::Webhook => {
            let url = settings.webhook_url.clone().unwrap_or_default();
            let url = url
                .parse()
                .with_context(|| format!("the webhook URL {url} is not a URL"))?;
            let set = setup
                .0
                .set_webhook(url)
                .secret_token(webhook_secret.unwrap_or_default())
                .allowed_updates([
                    AllowedUpdate::Message,
                    AllowedUpdate::EditedMessage,
                    AllowedUpdate::CallbackQuery,
                ])
                .await;
            Setup::report("setWebhook", set);
            info!("taking updates by webhook");
            stop.cancelled().await;
        }
    }
    servers.stopped().await;
    info!("stopped");
    Ok(())
}

/// The Bot API with the real token, for the few setup calls that are
/// not anyone's messages.
struct Setup(Bot);

impl Setup {
    fn new(api: &str, token: &str) -> anyhow::Result<Self> {
        let api = api
            .parse()
            .with_context(|| format!("the Telegram API URL {api} is not a URL"))?;
        Ok(Self(Bot::new(token).set_api_url(api)))
    }

    /// Logs a failed call (teloxide's errors never hold the token).
    fn report<T>(method: &str, result: Result<T, teloxide::RequestError>) {
        if let Err(error) = result {
            warn!(error = %crds::naming::why(&error), method, "Telegram setup call failed");
        }
    }

    /// The command menu in both languages; Indonesian is the default.
    async fn set_commands(&self, catalog: &Catalog) {
        for language in [Language::Id, Language::En] {
            let commands = commands::menu(catalog, language)
                .into_iter()
                .map(|(name, description)| BotCommand::new(name, description));
            let mut request = self.0.set_my_commands(commands);
            if language != Language::Id {
                request = request.language_code(language.code());
            }
            Self::report("setMyCommands", request.await);
        }
    }
}
