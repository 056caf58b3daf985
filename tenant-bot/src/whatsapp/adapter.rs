//! The production WhatsApp port: whatsapp-rust with its SQLite store in the
//! account's `whatsmeow-{owner}-{phone}.db`.
//!
//! whatsapp-rust logs through the `log` facade; the tenant's tracing
//! subscriber installs the bridge, so its lines arrive as tracing events.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::{Mutex, broadcast};
use tracing::info;
use whatsapp_rust::prelude::*;
use whatsapp_rust::transport::TokioWebSocketTransportFactory;
use whatsapp_rust::types::events::{ChannelEventHandler, Event as WaEvent};

use super::{Cause, Error, Event, Result, WhatsApp};

/// How long to wait for WhatsApp's socket before asking for a code.
const SOCKET_WAIT: Duration = Duration::from_secs(30);
/// How long a group call waits for a session that is still logging in
/// (a call right after a start, or while it connects again).
const LOGIN_WAIT: Duration = Duration::from_secs(30);
/// Wait after a rate limit when WhatsApp does not say how long.
const DEFAULT_BACKOFF: Duration = Duration::from_secs(300);
/// How long a sent message waits for WhatsApp's acknowledgement, which
/// says whether it was taken (a member may not write to an admins-only
/// group, say). Without one in time the message counts as sent.
const ACK_WAIT: Duration = Duration::from_secs(10);

/// Why the session store cannot be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the WhatsApp session store {path}")]
pub struct OpenError {
    path: PathBuf,
    #[source]
    reason: Box<dyn std::error::Error + Send + Sync>,
}

struct Running {
    /// Built and not yet started.
    bot: Option<Bot>,
    /// Started.
    handle: Option<BotHandle>,
    client: Arc<Client>,
    /// Set when the device was unlinked (by the owner, from the phone, or
    /// by WhatsApp): its keys are worthless, and the store starts afresh,
    /// as a new device, at its next use.
    unlinked: Arc<AtomicBool>,
}

/// Where the adapter finds WhatsApp, and which WhatsApp Web version it
/// says it is.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// The chat WebSocket's URL; WhatsApp's own when `None`.
    pub server: Option<String>,
    /// The WhatsApp Web version to present; when `None`, the current one
    /// is fetched over HTTPS at connect (at most once a day).
    pub version: Option<(u32, u32, u32)>,
}

/// WhatsApp's acknowledgement of a sent message: its id, and the code of
/// a refusal.
#[derive(Debug, Clone)]
struct Ack {
    id: String,
    error: Option<String>,
}

/// The account's real WhatsApp session.
pub struct Adapter {
    path: PathBuf,
    connection: Connection,
    running: Mutex<Running>,
    events: broadcast::Sender<Event>,
    acks: broadcast::Sender<Ack>,
}

impl std::fmt::Debug for Adapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Adapter")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Adapter {
    /// Opens (creating if needed) the session store at `path`, for
    /// WhatsApp's own servers; does not connect.
    pub async fn open(path: &Path) -> Result<Self, OpenError> {
        Self::open_with(path, Connection::default()).await
    }

    /// [`Adapter::open`], talking to WhatsApp as `connection` says.
    pub async fn open_with(path: &Path, connection: Connection) -> Result<Self, OpenError> {
        let (events, _) = broadcast::channel(64);
        let (acks, _) = broadcast::channel(64);
        let bridge = Bridge {
            events: events.clone(),
            acks: acks.clone(),
        };
        let running = build(path, &connection, bridge).await?;
        Ok(Self {
            path: path.to_owned(),
            connection,
            running: Mutex::new(running),
            events,
            acks,
        })
    }

    fn bridge(&self) -> Bridge {
        Bridge {
            events: self.events.clone(),
            acks: self.acks.clone(),
        }
    }

    /// Stops the client of an unlinked device and starts its store
    /// afresh: a new device, not paired, not started.
    async fn forget(&self, running: &mut Running) -> Result<(), OpenError> {
        if let Some(handle) = running.handle.take() {
            handle.shutdown().await;
        }
        running.bot = None;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut file = self.path.clone().into_os_string();
            file.push(suffix);
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(OpenError {
                        path: self.path.clone(),
                        reason: Box::new(error),
                    });
                }
            }
        }
        *running = build(&self.path, &self.connection, self.bridge()).await?;
        info!("the unlinked session was removed; a new device pairs next");
        Ok(())
    }

    /// The client, started if it is not running. One whose run loop ended
    /// on its own (WhatsApp replaced or refused the session, which the
    /// client does not retry) is built and started again.
    async fn client(&self) -> Result<Arc<Client>> {
        let mut running = self.running.lock().await;
        if running.unlinked.load(Ordering::SeqCst) {
            self.forget(&mut running)
                .await
                .map_err(|e| Error::Transient(Cause::new(e)))?;
        }
        if let Some(handle) = running.handle.as_mut()
            && handle.now_or_never().is_some()
        {
            info!("the WhatsApp session had stopped; starting it again");
            running.handle = None;
        }
        if running.handle.is_none() {
            if running.bot.is_none() {
                // A disconnected client cannot run again; build a new one.
                *running = build(&self.path, &self.connection, self.bridge())
                    .await
                    .map_err(|e| Error::Transient(Cause::new(e)))?;
            }
            if let Some(bot) = running.bot.take() {
                running.handle = Some(bot.spawn());
            }
        }
        Ok(running.client.clone())
    }

    /// The client of a paired session, logged in: a call made while it
    /// is still connecting waits for the login rather than failing.
    async fn groups_client(&self) -> Result<Arc<Client>> {
        if !self.is_paired().await {
            return Err(Error::NotPaired);
        }
        let client = self.client().await?;
        if client.pn().is_none() {
            return Err(Error::NotPaired);
        }
        client
            .wait_for_connected(LOGIN_WAIT)
            .await
            .map_err(|e| Error::Transient(format!("WhatsApp is not connected: {e}").into()))?;
        Ok(client)
    }
}

/// Where a client's events go.
struct Bridge {
    events: broadcast::Sender<Event>,
    acks: broadcast::Sender<Ack>,
}

async fn build(path: &Path, connection: &Connection, bridge: Bridge) -> Result<Running, OpenError> {
    let fail = |reason: Box<dyn std::error::Error + Send + Sync>| OpenError {
        path: path.to_owned(),
        reason,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail(e.into()))?;
    }
    let url = path
        .to_str()
        .ok_or_else(|| fail("its path is not UTF-8".into()))?;
    let store = SqliteStore::new(url).await.map_err(|e| fail(e.into()))?;
    let mut transport = TokioWebSocketTransportFactory::new();
    if let Some(url) = &connection.server {
        transport = transport.with_url(url.as_str());
    }
    let mut builder = Bot::builder()
        .with_backend(store)
        .with_transport_factory(transport)
        .skip_history_sync();
    if let Some(version) = connection.version {
        builder = builder.with_version(version);
    }
    let bot = builder.build().await.map_err(|e| fail(e.into()))?;
    let client = bot.client();
    let (handler, receiver) = ChannelEventHandler::new();
    client.subscribe_handler(handler).detach();
    let unlinked = Arc::new(AtomicBool::new(false));
    let unlinking = unlinked.clone();
    // Weak: the task ends with the client it serves.
    let served = Arc::downgrade(&client);
    tokio::spawn(async move {
        while let Ok(event) = receiver.recv().await {
            let Some(client) = served.upgrade() else {
                break;
            };
            match &*event {
                WaEvent::ServerAck(ack) if ack.class.as_deref() == Some("message") => {
                    let _ = bridge.acks.send(Ack {
                        id: ack.id.clone(),
                        error: ack.error.clone(),
                    });
                }
                WaEvent::LoggedOut(_) => unlinking.store(true, Ordering::SeqCst),
                _ => {}
            }
            if let Some(event) = translate(&event, &client) {
                let _ = bridge.events.send(event);
            }
        }
    });
    Ok(Running {
        bot: Some(bot),
        handle: None,
        client,
        unlinked,
    })
}

mod convert;
mod port;

use convert::translate;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opening_creates_the_session_store_without_pairing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/whatsmeow-42-447700900123.db");
        let adapter = Adapter::open(&path).await.unwrap();
        assert!(path.exists(), "store file created");
        assert!(!adapter.is_paired().await);
        drop(adapter);

        // The store is whatsapp-rust's SQLite schema, readable by rusqlite.
        let db = rusqlite::Connection::open(&path).unwrap();
        let mut statement = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        let tables: Vec<String> = statement
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for table in ["device", "identities", "prekeys", "sessions", "sender_keys"] {
            assert!(tables.iter().any(|t| t == table), "{table} in {tables:?}");
        }
        let devices: i64 = db
            .query_row("SELECT COUNT(*) FROM device", [], |r| r.get(0))
            .unwrap();
        assert_eq!(devices, 1);

        // Reopening finds the same, still unpaired, device.
        let again = Adapter::open(&path).await.unwrap();
        assert!(!again.is_paired().await);
    }
}
