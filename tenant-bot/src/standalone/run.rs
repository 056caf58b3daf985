//! `tenant-bot standalone`: the front door, a local account registry and
//! the supervisor of tenant processes, in one process on one machine.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use crds::secret::InstallKey;
use futures::StreamExt as _;
use tracing::info;

use super::registry::{Change, Local};
use super::supervisor::{self, Launch, Supervisor};
use crate::front_door::accounts::Accounts;
use crate::front_door::run::{Parts, serve_with};
use crate::front_door::settings::{Access, Intake, Settings as DoorSettings};

/// Flags of `tenant-bot standalone`.
#[derive(Clone, clap::Args)]
pub struct Settings {
    /// The bot token from @BotFather; when not given, the one `tenant-bot
    /// import` brought along (`bot-token` in the data directory).
    #[arg(long, env = "PAWANG_BOT_TOKEN", hide_env_values = true)]
    pub bot_token: Option<String>,

    /// Where everything is kept: the account registry, the install key and
    /// every account's files (in `DB USER TELEGRAM/{telegramId}/`).
    #[arg(long, env = "PAWANG_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Who may use the bot and how much. Without admins or allowed users
    /// given, those `tenant-bot import` brought along (`access.json`).
    #[command(flatten)]
    pub access: Access,

    /// The Telegram Bot API.
    #[arg(
        long,
        env = "PAWANG_TELEGRAM_API_URL",
        default_value = "https://api.telegram.org"
    )]
    pub telegram_api_url: String,

    /// Address of health and metrics.
    #[arg(long, env = "PAWANG_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Address of the Telegram gateway tenants call.
    #[arg(long, env = "PAWANG_GATEWAY_LISTEN", default_value = "127.0.0.1:8081")]
    pub gateway_listen: SocketAddr,

    /// WhatsApp implementation of the tenants: `whatsapp-rust`, or `fake`
    /// for tests.
    #[arg(
        long,
        env = "PAWANG_WHATSAPP_BACKEND",
        default_value = "whatsapp-rust",
        value_parser = ["whatsapp-rust", "fake"]
    )]
    pub whatsapp_backend: String,

    /// Seconds an owner has to enter a pairing code.
    #[arg(long, env = "PAWANG_PAIRING_TIMEOUT", default_value_t = 180)]
    pub pairing_timeout: u64,

    /// Deleted accounts keep their files.
    #[arg(long, env = "PAWANG_RETAIN_VOLUMES", default_value_t = false, action = clap::ArgAction::Set)]
    pub retain_volumes: bool,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

/// The install key in the data directory, made on first start.
fn install_key(data: &std::path::Path) -> anyhow::Result<InstallKey> {
    let path = data.join("install-key");
    let key = match std::fs::read_to_string(&path) {
        Ok(key) => key.trim().to_owned(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 32];
            getrandom(&mut bytes)?;
            let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            crate::layout::write_private(&path, &key)
                .with_context(|| format!("cannot write {}", path.display()))?;
            key
        }
        Err(error) => return Err(error).context("cannot read the install key"),
    };
    InstallKey::new(key.as_bytes()).context("the install key cannot be used")
}

/// Random bytes from the kernel.
fn getrandom(bytes: &mut [u8]) -> anyhow::Result<()> {
    use std::io::Read as _;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(bytes))
        .context("cannot read random bytes")
}

/// Runs the whole product until SIGTERM or Ctrl-C.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    #[cfg(not(feature = "fake"))]
    anyhow::ensure!(
        settings.whatsapp_backend != "fake",
        crate::whatsapp::NO_FAKE
    );
    let data = settings.data_dir.clone();
    std::fs::create_dir_all(&data).with_context(|| format!("cannot make {}", data.display()))?;
    let install_key = install_key(&data)?;
    let token = match &settings.bot_token {
        Some(token) => token.clone(),
        None => std::fs::read_to_string(data.join(crate::layout::TOKEN_FILE))
            .map(|t| t.trim().to_owned())
            .ok()
            .filter(|t| !t.is_empty())
            .context("no bot token: set PAWANG_BOT_TOKEN")?,
    };
    let imported: crate::layout::Access =
        std::fs::read_to_string(data.join(crate::layout::ACCESS_FILE))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
    let mut access = settings.access.clone();
    if access.admins.is_empty() {
        access.admins = imported.admins;
    }
    if access.allowed_users.is_empty() {
        access.allowed_users = imported.allowed_users;
    }
    let registry = Arc::new(Local::open(&data.join("pawang.db"))?);
    let stop = crds::shutdown::on_signal();

    let endpoints = crate::front_door::routing::Endpoints::default();
    let launch = Launch {
        binary: std::env::current_exe().context("cannot find this program")?,
        data: data.clone(),
        gateway_url: format!("http://{}", local(settings.gateway_listen)),
        backend: settings.whatsapp_backend.clone(),
        pairing_timeout: settings.pairing_timeout,
    };
    let supervisor = Arc::new(Supervisor::new(
        registry.clone(),
        launch,
        install_key.clone(),
        endpoints.clone(),
    ));
    let supervised = tokio::spawn(supervisor.run(stop.clone()));

    let changes = tokio_stream_of(registry.changes());
    let door = DoorSettings {
        bot_token_file: PathBuf::new(),
        install_key_file: PathBuf::new(),
        namespace: supervisor::NAMESPACE.to_owned(),
        access,
        // Every tenant is in the endpoints table; nothing is reached by name.
        tenant_url_template: "http://127.0.0.1:1/{name}".to_owned(),
        telegram_api_url: settings.telegram_api_url.clone(),
        intake: Intake::Polling,
        webhook_url: None,
        webhook_secret_file: None,
        listen: settings.listen,
        gateway_listen: settings.gateway_listen,
        retain_volumes: settings.retain_volumes,
    };
    let parts = Parts {
        accounts: Accounts::new(registry),
        changes,
        endpoints: Some(endpoints),
        token,
        install_key,
        webhook_secret: None,
    };
    info!(data = %data.display(), "standalone install starting");
    let served = serve_with(door, parts, stop.clone()).await;
    stop.cancel();
    let _ = supervised.await;
    served
}

/// The accounts that change, as the front door takes them.
fn tokio_stream_of(
    changes: tokio::sync::broadcast::Receiver<Change>,
) -> futures::stream::BoxStream<'static, Arc<crds::WhatsAppAccount>> {
    futures::stream::unfold(changes, |mut changes| async move {
        loop {
            match changes.recv().await {
                Ok(Change::Applied(account)) => return Some((account, changes)),
                Ok(Change::Removed(_))
                | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .boxed()
}

/// The address to reach a listener on from this machine.
fn local(address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), address.port())
    } else {
        address
    }
}
