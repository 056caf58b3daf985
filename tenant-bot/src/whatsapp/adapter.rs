//! The production WhatsApp port: whatsapp-rust with its SQLite store in the
//! account's `whatsmeow-{owner}-{phone}.db`.
//!
//! whatsapp-rust logs through the `log` facade; the tenant's tracing
//! subscriber installs the bridge, so its lines arrive as tracing events.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use crds::PhoneNumber;
use futures::FutureExt;
use tokio::sync::{Mutex, broadcast};
use tracing::{info, warn};
use whatsapp_rust::pair_code::PairCodeOptions;
use whatsapp_rust::prelude::*;
use whatsapp_rust::transport::TokioWebSocketTransportFactory;
use whatsapp_rust::types::events::{ChannelEventHandler, Event as WaEvent};
use whatsapp_rust::{
    ErrorChainExt, GroupCreateOptions, GroupDescription, GroupParticipantOptions, JoinGroupResult,
    MemberAddMode, MembershipApprovalMode, PreviousDescription,
};

use super::{
    Cause, Error, Event, GroupInfo, MemberFailure, MemberOutcome, Membership, Result, Setting,
    WhatsApp,
};

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

pub use open::OpenError;

/// Apart from whatsapp-rust's error trait, whose method names clash with
/// the derive's.
mod open {
    use std::path::PathBuf;

    /// Why the session store cannot be opened.
    #[derive(Debug, thiserror::Error)]
    #[error("cannot open the WhatsApp session store {path}")]
    pub struct OpenError {
        pub(super) path: PathBuf,
        #[source]
        pub(super) reason: Box<dyn std::error::Error + Send + Sync>,
    }
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

/// whatsapp-rust's events, as the tenant knows them.
fn translate(event: &WaEvent, client: &Client) -> Option<Event> {
    match event {
        WaEvent::PairSuccess(paired) => Some(Event::Paired {
            jid: paired.id.to_string(),
            push_name: client.push_name(),
        }),
        WaEvent::Connected(_) => Some(Event::Connected),
        WaEvent::Disconnected(_) => Some(Event::Disconnected),
        // The client does not connect again after these; the next call
        // starts it (see `Adapter::client`).
        WaEvent::StreamReplaced(_) => Some(Event::Replaced),
        WaEvent::ClientOutdated(_) => {
            warn!("WhatsApp refused this client's version");
            Some(Event::Disconnected)
        }
        WaEvent::ConnectFailure(failure) => {
            warn!(reason = ?failure.reason, "WhatsApp refused the login");
            Some(Event::Disconnected)
        }
        WaEvent::LoggedOut(_) => Some(Event::LoggedOut),
        WaEvent::TemporaryBan(ban) => {
            let now = crate::store::unix_seconds();
            Some(Event::Banned {
                until: Some(now + ban.expire.num_seconds()),
            })
        }
        _ => None,
    }
}

/// A WhatsApp failure as the tenant can act on it.
fn classify(error: impl std::error::Error + Send + Sync + 'static) -> Error {
    let chain: &(dyn std::error::Error + 'static) = &error;
    if let Some(rejection) = chain.server_rejection() {
        return refusal(rejection.code, rejection.text, rejection.backoff);
    }
    Error::Transient(Cause::new(error))
}

/// WhatsApp's refusal `code`, with its `text` and the seconds it asks to
/// wait, as the tenant can act on it.
fn refusal(code: u16, text: &str, backoff: Option<u32>) -> Error {
    match code {
        429 => Error::RateLimited {
            retry_after: backoff.map_or(DEFAULT_BACKOFF, |s| Duration::from_secs(u64::from(s))),
        },
        401 | 403 => Error::NotAdmin,
        404 => Error::GroupNotFound,
        406 | 410 => Error::InvalidInvite,
        500..=599 => Error::Transient(text.into()),
        _ => Error::Rejected(text.into()),
    }
}

fn jid(group: &str) -> Result<Jid> {
    group
        .parse()
        .map_err(|_| Error::Rejected(format!("{group} is not a WhatsApp ID").into()))
}

fn digits(jid: &Jid) -> String {
    jid.user.to_string()
}

#[async_trait]
impl WhatsApp for Adapter {
    fn events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    async fn is_paired(&self) -> bool {
        let running = self.running.lock().await;
        !running.unlinked.load(Ordering::SeqCst) && running.client.pn().is_some()
    }

    async fn request_pairing_code(&self, phone: &PhoneNumber) -> Result<String> {
        let client = self.client().await?;
        client
            .wait_for_socket(SOCKET_WAIT)
            .await
            .map_err(|e| Error::Transient(Cause::new(e)))?;
        let options = PairCodeOptions {
            phone_number: phone.as_str().to_owned(),
            ..PairCodeOptions::default()
        };
        match client.pair_with_code(options).await {
            Ok(code) => Ok(code),
            Err(error) => {
                let throttled = error.rejection().is_some_and(|r| r.is_throttled());
                if throttled {
                    return Err(Error::RateLimited {
                        retry_after: error.backoff().unwrap_or(DEFAULT_BACKOFF),
                    });
                }
                Err(classify(error))
            }
        }
    }

    async fn cancel_pairing(&self) -> Result<()> {
        let client = self.running.lock().await.client.clone();
        client.cancel_pair_code().await;
        Ok(())
    }

    async fn connect(&self) -> Result<()> {
        // An unpaired client would connect to offer pairing; that is
        // `request_pairing_code`'s to start.
        if !self.is_paired().await {
            return Err(Error::NotPaired);
        }
        self.client().await?;
        info!("connecting the stored session");
        Ok(())
    }

    async fn disconnect(&self) -> Result<()> {
        let handle = self.running.lock().await.handle.take();
        if let Some(handle) = handle {
            handle.shutdown().await;
        }
        Ok(())
    }

    async fn logout(&self) -> Result<()> {
        let mut running = self.running.lock().await;
        // Tells WhatsApp when connected; a refusal is only logged by the
        // client, and the device is unlinked here all the same.
        running.client.logout().await;
        running.unlinked.store(true, Ordering::SeqCst);
        let _ = self.events.send(Event::LoggedOut);
        self.forget(&mut running)
            .await
            .map_err(|e| Error::Transient(Cause::new(e)))
    }

    async fn groups(&self) -> Result<Vec<GroupInfo>> {
        let client = self.groups_client().await?;
        let own = client.pn().map(|j| digits(&j)).unwrap_or_default();
        let groups = client
            .groups()
            .get_participating()
            .await
            .map_err(classify)?;
        Ok(groups
            .into_iter()
            .map(|(id, meta)| {
                let number = |p: &whatsapp_rust::GroupParticipant| {
                    p.phone_number
                        .as_ref()
                        .map_or_else(|| digits(&p.jid), digits)
                };
                let members: Vec<String> = meta.participants.iter().map(number).collect();
                let admins: Vec<String> = meta
                    .participants
                    .iter()
                    .filter(|p| p.is_admin())
                    .map(number)
                    .collect();
                GroupInfo {
                    jid: id.to_string(),
                    name: meta.subject,
                    is_admin: admins.contains(&own),
                    members,
                    admins,
                }
            })
            .collect())
    }

    async fn create_group(&self, name: &str, members: &[String]) -> Result<GroupInfo> {
        let client = self.groups_client().await?;
        let participants = members
            .iter()
            .map(|m| GroupParticipantOptions::new(Jid::pn(m.as_str())))
            .collect();
        let options = GroupCreateOptions::new(name).with_participants(participants);
        let created = client
            .groups()
            .create_group(options)
            .await
            .map_err(classify)?;
        let meta = created.metadata;
        Ok(GroupInfo {
            jid: meta.id.to_string(),
            name: meta.subject,
            members: meta.participants.iter().map(|p| digits(&p.jid)).collect(),
            admins: vec![],
            is_admin: true,
        })
    }

    async fn invite_link(&self, group: &str, reset: bool) -> Result<String> {
        let client = self.groups_client().await?;
        client
            .groups()
            .get_invite_link(&jid(group)?, reset)
            .await
            .map_err(classify)
    }

    async fn join_with_code(&self, code: &str) -> Result<String> {
        let client = self.groups_client().await?;
        match client
            .groups()
            .join_with_invite_code(code)
            .await
            .map_err(classify)?
        {
            JoinGroupResult::Joined(j) | JoinGroupResult::PendingApproval(j) => Ok(j.to_string()),
        }
    }

    async fn leave(&self, group: &str) -> Result<()> {
        let client = self.groups_client().await?;
        client.groups().leave(&jid(group)?).await.map_err(classify)
    }

    async fn change_members(
        &self,
        group: &str,
        change: Membership,
        numbers: &[String],
    ) -> Result<Vec<(String, MemberOutcome)>> {
        let client = self.groups_client().await?;
        let group = jid(group)?;
        let jids: Vec<Jid> = numbers.iter().map(|n| Jid::pn(n.as_str())).collect();
        let groups = client.groups();
        let responses = match change {
            Membership::Add => groups.add_participants(&group, &jids).await,
            Membership::Remove => groups.remove_participants(&group, &jids).await,
            Membership::Promote => groups.promote_participants(&group, &jids).await,
            Membership::Demote => groups.demote_participants(&group, &jids).await,
        }
        .map_err(classify)?;
        Ok(responses
            .into_iter()
            .map(|r| {
                let number = r
                    .phone_number
                    .as_ref()
                    .map_or_else(|| digits(&r.jid), digits);
                let outcome = match (&r.add_request, &r.error) {
                    (Some(_), _) => MemberOutcome::Invited,
                    (None, None) => MemberOutcome::Ok,
                    (None, Some(error)) => {
                        MemberOutcome::Failed(MemberFailure::from_code(change, error))
                    }
                };
                (number, outcome)
            })
            .collect())
    }

    async fn set_description(&self, group: &str, text: &str) -> Result<()> {
        let client = self.groups_client().await?;
        let description =
            GroupDescription::new(text).map_err(|e| Error::Rejected(Cause::new(e)))?;
        client
            .groups()
            .set_description(
                &jid(group)?,
                Some(description),
                PreviousDescription::Resolve,
            )
            .await
            .map_err(classify)
    }

    async fn set_photo(&self, group: &str, jpeg: &[u8]) -> Result<()> {
        let client = self.groups_client().await?;
        client
            .groups()
            .set_profile_picture(&jid(group)?, jpeg.to_vec())
            .await
            .map(|_| ())
            .map_err(classify)
    }

    async fn set_setting(&self, group: &str, setting: Setting) -> Result<()> {
        let client = self.groups_client().await?;
        let group = jid(group)?;
        let groups = client.groups();
        match setting {
            Setting::AdminsOnlyMessages(on) => groups.set_announce(&group, on).await,
            Setting::AdminsOnlyEditInfo(on) => groups.set_locked(&group, on).await,
            Setting::AdminsOnlyAddMembers(on) => {
                let mode = if on {
                    MemberAddMode::AdminAdd
                } else {
                    MemberAddMode::AllMemberAdd
                };
                groups.set_member_add_mode(&group, mode).await
            }
            Setting::JoinApproval(on) => {
                let mode = if on {
                    MembershipApprovalMode::On
                } else {
                    MembershipApprovalMode::Off
                };
                groups.set_membership_approval(&group, mode).await
            }
            Setting::DisappearingSeconds(seconds) => groups.set_ephemeral(&group, seconds).await,
        }
        .map_err(classify)
    }

    async fn join_requests(&self, group: &str) -> Result<Vec<String>> {
        let client = self.groups_client().await?;
        let requests = client
            .groups()
            .get_membership_requests(&jid(group)?)
            .await
            .map_err(classify)?;
        Ok(requests.iter().map(|r| digits(&r.jid)).collect())
    }

    async fn answer_join_requests(
        &self,
        group: &str,
        numbers: &[String],
        approve: bool,
    ) -> Result<()> {
        let client = self.groups_client().await?;
        let group = jid(group)?;
        let jids: Vec<Jid> = numbers.iter().map(|n| Jid::pn(n.as_str())).collect();
        let groups = client.groups();
        let answered = if approve {
            groups.approve_membership_requests(&group, &jids).await
        } else {
            groups.reject_membership_requests(&group, &jids).await
        };
        answered.map(|_| ()).map_err(classify)
    }

    async fn send_text(&self, group: &str, text: &str) -> Result<()> {
        let client = self.groups_client().await?;
        // Listening before sending: the acknowledgement may come at once.
        let mut acks = self.acks.subscribe();
        let sent = match client
            .send_message(jid(group)?, wa::Message::text(text))
            .await
        {
            Ok(sent) => sent,
            Err(error) => {
                warn!(error = %crds::naming::why(&error), "message not sent");
                return Err(classify(error));
            }
        };
        let acknowledged = tokio::time::timeout(ACK_WAIT, async {
            loop {
                match acks.recv().await {
                    Ok(ack) if ack.id == sent.message_id => return Some(ack.error),
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
        .await;
        match acknowledged {
            Ok(Some(None)) => Ok(()),
            Ok(Some(Some(code))) => {
                warn!(code = code.as_str(), "WhatsApp refused the message");
                let text = format!("the message was refused ({code})");
                Err(refusal(code.parse().unwrap_or(0), &text, None))
            }
            Ok(None) | Err(_) => {
                info!("WhatsApp did not acknowledge the message in time; counted as sent");
                Ok(())
            }
        }
    }
}

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

    #[test]
    fn group_ids_are_checked() {
        assert!(jid("120363000000000001@g.us").is_ok());
        assert!(matches!(jid("not a jid"), Err(Error::Rejected(_))));
    }
}
