//! The standalone install's stand-in for the operator: each account's
//! tenant as a child process of this one, started when the account
//! appears, restarted with backoff when it dies, stopped (SIGTERM, then
//! waited for) when the account is suspended or the install stops, logged
//! out and removed with its files when the account is deleted. Its status
//! comes from the tenant's own account of its session.
//!
//! Files keep the old bot's layout: `DB USER TELEGRAM/{owner}/` holds an
//! account's `whatsmeow-…` and `bot_data-…` files, and beside them its
//! secret, its log and the address its tenant listens on (`.endpoint`).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use backon::BackoffBuilder as _;
use crds::secret::InstallKey;
use crds::{Phase, WhatsAppAccount, WhatsAppAccountStatus, naming};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use tokio::process::{Child, Command};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::registry::{Change, Local};
use crate::front_door::routing::Endpoints;
use crate::layout::{USERS_DIR, write_private};
use crate::tenant::status::{self, Session};

/// The namespace standalone accounts are said to live in.
pub const NAMESPACE: &str = "standalone";

/// How tenants are started.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The `tenant-bot` binary.
    pub binary: PathBuf,
    /// The data directory.
    pub data: PathBuf,
    /// The front door's Telegram gateway.
    pub gateway_url: String,
    /// `whatsapp-rust` or `fake`.
    pub backend: String,
    /// Seconds to enter a pairing code.
    pub pairing_timeout: u64,
}

/// Runs every account's tenant.
pub struct Supervisor {
    registry: Arc<Local>,
    launch: Launch,
    install_key: InstallKey,
    endpoints: Endpoints,
    http: reqwest::Client,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor").finish_non_exhaustive()
    }
}

/// How often a tenant's session is asked for.
const POLL: Duration = Duration::from_secs(1);
/// How long a tenant has to stop after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(10);

struct Running {
    child: Child,
    url: String,
    /// The tenant's secret, for its admin endpoints.
    secret: String,
}

impl Supervisor {
    /// A supervisor of `registry`'s accounts; tenants' addresses go into
    /// `endpoints` for the front door.
    pub fn new(
        registry: Arc<Local>,
        launch: Launch,
        install_key: InstallKey,
        endpoints: Endpoints,
    ) -> Self {
        Self {
            registry,
            launch,
            install_key,
            endpoints,
            http: reqwest::Client::new(),
        }
    }

    /// Tends every account until `stop` is cancelled, then stops every
    /// tenant.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        let mut changes = self.registry.changes();
        let mut tended = HashSet::new();
        let mut tasks = tokio::task::JoinSet::new();
        use crate::protocol::registry::Registry as _;
        for account in self.registry.state() {
            if let Some(name) = account.metadata.name.clone() {
                tended.insert(name.clone());
                tasks.spawn(self.clone().tend(name, stop.clone()));
            }
        }
        loop {
            tokio::select! {
                change = changes.recv() => match change {
                    Ok(Change::Applied(account)) => {
                        let Some(name) = account.metadata.name.clone() else { continue };
                        if tended.insert(name.clone()) {
                            tasks.spawn(self.clone().tend(name, stop.clone()));
                        }
                    }
                    Ok(Change::Removed(name)) => {
                        tended.remove(&name);
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        for account in self.registry.state() {
                            if let Some(name) = account.metadata.name.clone()
                                && tended.insert(name.clone())
                            {
                                tasks.spawn(self.clone().tend(name, stop.clone()));
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                () = stop.cancelled() => break,
            }
        }
        // Every tend task stops its tenant when it sees the stop.
        while tasks.join_next().await.is_some() {}
        info!("every tenant stopped");
    }

    /// Keeps one account's tenant as the account says, until the account
    /// is gone or the install stops.
    async fn tend(self: Arc<Self>, name: String, stop: CancellationToken) {
        let mut running: Option<Running> = None;
        let restarts = crate::retry::Peer::Process.policy();
        let mut backoff = restarts.build();
        let mut last: Option<Session> = None;
        let mut changes = self.registry.changes();
        loop {
            use crate::protocol::registry::Registry as _;
            let Some(account) = self.registry.find(&name) else {
                self.stop(&name, running.take()).await;
                return;
            };
            if account.metadata.deletion_timestamp.is_some() {
                self.finish(&account, running.take()).await;
                return;
            }
            if account.spec.suspend {
                if running.is_some() {
                    self.stop(&name, running.take()).await;
                }
                self.set_phase(&account, Phase::Suspended, None);
                last = None;
            } else {
                match running.as_mut().map(|r| r.child.try_wait()) {
                    None => match self.start(&account).await {
                        Ok(started) => running = Some(started),
                        Err(error) => {
                            warn!(error = %crds::naming::why(&error), "cannot start a tenant")
                        }
                    },
                    Some(Ok(Some(exit))) => {
                        let wait = backoff.next().unwrap_or(POLL);
                        warn!(%exit, ?wait, "a tenant stopped; starting it again");
                        running = None;
                        if !crds::shutdown::pause(&stop, wait).await {
                            return;
                        }
                        continue;
                    }
                    Some(_) => {
                        if let Some(session) = self.session(running.as_ref()).await {
                            backoff = restarts.build();
                            if last.as_ref() != Some(&session) {
                                self.report(&account, &session);
                                last = Some(session);
                            }
                        }
                    }
                }
            }
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                _ = changes.recv() => {}
                () = stop.cancelled() => {
                    self.stop(&name, running.take()).await;
                    return;
                }
            }
        }
    }

    fn folder(&self, account: &WhatsAppAccount) -> PathBuf {
        self.launch
            .data
            .join(USERS_DIR)
            .join(account.owner_id().to_string())
    }

    /// Starts `account`'s tenant on a free loopback port.
    async fn start(&self, account: &WhatsAppAccount) -> std::io::Result<Running> {
        let name = account.metadata.name.clone().unwrap_or_default();
        let folder = self.folder(account);
        std::fs::create_dir_all(&folder)?;
        let secret_file = folder.join(format!("{name}.secret"));
        let secret = self.install_key.tenant_secret(&name);
        write_private(&secret_file, &secret)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::fs::File::create(folder.join(format!("{name}.log")))?;
        let child = Command::new(&self.launch.binary)
            .arg("tenant")
            .args(["--account", &name, "--namespace", NAMESPACE])
            .args(["--phone", &account.spec.phone_number])
            .args(["--owner", &account.owner_id().to_string()])
            .args(["--language", account.spec.language.code()])
            .arg("--data-dir")
            .arg(&folder)
            .arg("--secret-file")
            .arg(&secret_file)
            .args(["--telegram-api-url", &self.launch.gateway_url])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--whatsapp-backend", &self.launch.backend])
            .args(["--report-status", "false"])
            .arg("--exit-with-parent")
            .args([
                "--pairing-timeout",
                &self.launch.pairing_timeout.to_string(),
            ])
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()?;
        let url = format!("http://127.0.0.1:{port}");
        // Where it listens, for whoever looks after the machine.
        std::fs::write(folder.join(format!("{name}.endpoint")), &url)?;
        if let Ok(mut endpoints) = self.endpoints.write() {
            endpoints.insert(name.clone(), url.clone());
        }
        info!(account = %naming::Redacted(&name), port, "tenant started");
        Ok(Running { child, url, secret })
    }

    /// What `name`'s tenant says of its session.
    async fn session(&self, running: Option<&Running>) -> Option<Session> {
        let running = running?;
        let response = self
            .http
            .get(format!("{}/admin/session", running.url))
            .header(crds::secret::HEADER, &running.secret)
            .timeout(POLL)
            .send()
            .await
            .ok()?;
        response.json().await.ok()
    }

    /// Writes the status a cluster's operator would derive from `session`.
    fn report(&self, account: &WhatsAppAccount, session: &Session) {
        let phase = match session {
            Session::AwaitingPairing => Phase::AwaitingPairing,
            Session::Connected { .. } => Phase::Connected,
            Session::Disconnected => Phase::Disconnected,
            Session::LoggedOut => Phase::LoggedOut,
            Session::Banned => Phase::Banned,
        };
        self.set_phase(account, phase, Some(session));
    }

    fn set_phase(&self, account: &WhatsAppAccount, phase: Phase, session: Option<&Session>) {
        let name = account.metadata.name.clone().unwrap_or_default();
        let current = account.status.as_ref();
        if session.is_none() && current.and_then(|s| s.phase) == Some(phase) {
            return;
        }
        let mut status = match session {
            Some(session) => {
                let now = Time(k8s_openapi::jiff::Timestamp::now());
                let body = status::desired(session, current, &now);
                serde_json::from_value::<WhatsAppAccountStatus>(body["status"].clone())
                    .unwrap_or_default()
            }
            None => current.cloned().unwrap_or_default(),
        };
        status.phase = Some(phase);
        status.observed_generation = account.metadata.generation;
        if let Err(error) = self.registry.set_status(&name, status) {
            warn!(error = %crds::naming::why(&error), "cannot write an account's status");
        }
    }

    /// Stops a tenant: SIGTERM, then a kill if it does not go in time.
    async fn stop(&self, name: &str, running: Option<Running>) {
        if let Ok(mut endpoints) = self.endpoints.write() {
            endpoints.remove(name);
        }
        let Some(mut running) = running else {
            return;
        };
        if let Some(pid) = running.child.id().and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        if tokio::time::timeout(STOP_GRACE, running.child.wait())
            .await
            .is_err()
        {
            let _ = running.child.kill().await;
        }
        info!(account = %naming::Redacted(name), "tenant stopped");
    }

    /// A deleted account: its tenant logs out, stops, and its files go
    /// unless the account keeps them.
    async fn finish(&self, account: &WhatsAppAccount, running: Option<Running>) {
        let name = account.metadata.name.clone().unwrap_or_default();
        if let Some(running) = &running {
            let logged_out = self
                .http
                .post(format!("{}/admin/logout", running.url))
                .header(crds::secret::HEADER, &running.secret)
                .timeout(STOP_GRACE)
                .send()
                .await;
            if let Err(error) = logged_out {
                warn!(error = %crds::naming::why(&error), "the tenant did not log out");
            }
        }
        self.stop(&name, running).await;
        if !account.spec.storage.retain_on_delete
            && let Ok(phone) = account.phone()
        {
            let folder = self.folder(account);
            let owner = account.owner_id();
            for file in [
                naming::whatsmeow_db_file(owner, &phone),
                naming::bot_data_db_file(owner, &phone),
            ] {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(folder.join(format!("{file}{suffix}")));
                }
            }
            for extra in ["secret", "endpoint"] {
                let _ = std::fs::remove_file(folder.join(format!("{name}.{extra}")));
            }
        }
        if let Err(error) = self.registry.remove(&name) {
            warn!(error = %crds::naming::why(&error), "cannot remove a deleted account");
        }
        info!(account = %naming::Redacted(&name), "account removed");
    }
}
