//! A deterministic, scriptable stand-in for WhatsApp, used by tests and
//! never by default.
//!
//! Pairing completes only when a test says the code was entered; failures,
//! latency, logout and bans are injected; groups have members, admins,
//! settings, invite links and join requests. Given a state file, every
//! change is saved to it, so the fake survives a restart of the tenant the
//! way a real session does. The file is an SQLite database, as a real
//! session store is, and a tenant gives it the session store's name: a
//! volume holds the same files whichever WhatsApp serves the account.
//!
//! Numbers follow fixed rules so tests can predict outcomes: numbers
//! ending in `999` are not on WhatsApp, numbers ending in `888` only
//! accept invites (privacy settings). Such numbers are still valid phone
//! numbers, so they pass the tenant's checks as real ones would.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::{Cause, Error, Event, GroupInfo, Result, Setting};

/// Longest group name WhatsApp accepts.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest group description WhatsApp accepts.
pub const MAX_DESCRIPTION_CHARS: usize = 2048;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Group {
    name: String,
    members: Vec<String>,
    admins: Vec<String>,
    description: String,
    photo_bytes: usize,
    settings: Vec<Setting>,
    invite_code: String,
    join_requests: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    /// The account's own number, known once a code was requested.
    own: Option<String>,
    /// Set once the owner "entered" the code.
    paired: Option<(String, String)>,
    connected: bool,
    banned: bool,
    pending_code: Option<String>,
    groups: BTreeMap<String, Group>,
    /// Invite codes of groups this account may join.
    invites: BTreeMap<String, String>,
    /// Messages sent, as (group, text).
    sent: Vec<(String, String)>,
    next_id: u64,
}

/// The fake WhatsApp session.
#[derive(Debug)]
pub struct Fake {
    state: Mutex<State>,
    failures: Mutex<HashMap<&'static str, Vec<Error>>>,
    latency: Mutex<Duration>,
    state_file: Option<PathBuf>,
    events: broadcast::Sender<Event>,
}

impl Fake {
    /// A fake with no state file: it forgets everything when dropped.
    pub fn new() -> Self {
        Self::with_state(State::default(), None)
    }

    /// A fake that loads its state from the SQLite file at `path` (when
    /// it exists) and saves every change to it.
    pub fn persistent(path: impl Into<PathBuf>) -> std::io::Result<Self> {
        let path = path.into();
        let state = match state_file::load(&path)? {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other)?,
            None => State::default(),
        };
        Ok(Self::with_state(state, Some(path)))
    }

    fn with_state(mut state: State, state_file: Option<PathBuf>) -> Self {
        // A restarted process starts disconnected, like a real client.
        state.connected = false;
        let (events, _) = broadcast::channel(64);
        Self {
            state: Mutex::new(state),
            failures: Mutex::default(),
            latency: Mutex::new(Duration::ZERO),
            state_file,
            events,
        }
    }

    // ---- what tests do to the fake -------------------------------------

    /// The owner entered the pairing code on the phone.
    pub fn enter_code(&self) -> Result<()> {
        let paired = self.mutate(|s| {
            s.pending_code.take().ok_or(Error::NotPaired)?;
            let own = s.own.clone().ok_or(Error::NotPaired)?;
            let paired = (format!("{own}:1@s.whatsapp.net"), "Fake account".to_owned());
            s.paired = Some(paired.clone());
            s.connected = true;
            Ok(paired)
        })?;
        let _ = self.events.send(Event::Paired {
            jid: paired.0,
            push_name: paired.1,
        });
        let _ = self.events.send(Event::Connected);
        Ok(())
    }

    /// The next `times` calls of `operation` (a method name such as
    /// `"create_group"`) fail with `error`.
    pub fn fail_next(&self, operation: &'static str, error: Error, times: usize) {
        if let Ok(mut failures) = self.failures.lock() {
            failures
                .entry(operation)
                .or_default()
                .extend(std::iter::repeat_n(error, times));
        }
    }

    /// Every operation takes this long.
    pub fn set_latency(&self, latency: Duration) {
        if let Ok(mut l) = self.latency.lock() {
            *l = latency;
        }
    }

    /// The device was unlinked from the phone.
    pub fn log_out_from_phone(&self) {
        let _ = self.mutate(|s| {
            s.paired = None;
            s.connected = false;
            Ok(())
        });
        let _ = self.events.send(Event::LoggedOut);
    }

    /// WhatsApp bans the account.
    pub fn ban(&self, until: Option<i64>) {
        let _ = self.mutate(|s| {
            s.banned = true;
            s.connected = false;
            Ok(())
        });
        let _ = self.events.send(Event::Banned { until });
    }

    /// The connection drops.
    pub fn drop_connection(&self) {
        let _ = self.mutate(|s| {
            s.connected = false;
            Ok(())
        });
        let _ = self.events.send(Event::Disconnected);
    }

    /// Adds a group the account is in (and admin of, if `admin`); returns
    /// its JID.
    pub fn add_group(&self, name: &str, members: &[&str], admin: bool) -> String {
        self.mutate(|s| {
            let own = s.own.clone().unwrap_or_default();
            let jid = s.new_group_jid();
            let mut group = Group {
                name: name.to_owned(),
                members: members.iter().map(|m| (*m).to_owned()).collect(),
                invite_code: s.new_invite_code(),
                ..Group::default()
            };
            group.members.push(own.clone());
            if admin {
                group.admins.push(own);
            }
            s.groups.insert(jid.clone(), group);
            Ok(jid)
        })
        .unwrap_or_default()
    }

    /// A group the account is not in yet, joinable with the returned code.
    pub fn add_joinable(&self, name: &str) -> String {
        self.mutate(|s| {
            let jid = s.new_group_jid();
            let code = s.new_invite_code();
            s.invites.insert(code.clone(), jid.clone());
            s.groups.insert(
                jid,
                Group {
                    name: name.to_owned(),
                    invite_code: code.clone(),
                    ..Group::default()
                },
            );
            Ok(code)
        })
        .unwrap_or_default()
    }

    /// Numbers asking to join `group`.
    pub fn request_to_join(&self, group: &str, numbers: &[&str]) {
        let _ = self.mutate(|s| {
            let g = s.groups.get_mut(group).ok_or(Error::GroupNotFound)?;
            g.join_requests
                .extend(numbers.iter().map(|n| (*n).to_owned()));
            Ok(())
        });
    }

    /// Messages sent so far, as (group, text).
    pub fn sent(&self) -> Vec<(String, String)> {
        self.state
            .lock()
            .map(|s| s.sent.clone())
            .unwrap_or_default()
    }

    /// The current description of a group.
    pub fn description(&self, group: &str) -> Option<String> {
        let state = self.state.lock().ok()?;
        state.groups.get(group).map(|g| g.description.clone())
    }

    /// The groups the account is in, as WhatsApp would list them, read
    /// without latency or injected failures.
    pub fn all_groups(&self) -> Vec<GroupInfo> {
        let Ok(state) = self.state.lock() else {
            return Vec::new();
        };
        let own = state.own.clone().unwrap_or_default();
        state
            .groups
            .iter()
            .filter(|(_, g)| g.members.contains(&own))
            .map(|(jid, g)| state.info(jid, g))
            .collect()
    }

    /// The size of the group's photo in bytes; 0 when it has none.
    pub fn photo_bytes(&self, group: &str) -> usize {
        self.state
            .lock()
            .ok()
            .and_then(|s| s.groups.get(group).map(|g| g.photo_bytes))
            .unwrap_or_default()
    }

    /// The settings applied to a group, in order.
    pub fn settings(&self, group: &str) -> Vec<Setting> {
        self.state
            .lock()
            .ok()
            .and_then(|s| s.groups.get(group).map(|g| g.settings.clone()))
            .unwrap_or_default()
    }

    // ---- internals -------------------------------------------------------

    fn mutate<T>(&self, f: impl FnOnce(&mut State) -> Result<T>) -> Result<T> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| Error::Transient("fake state poisoned".into()))?;
        let Some(path) = &self.state_file else {
            return f(&mut state);
        };
        let before = serde_json::to_vec(&*state).map_err(|e| Error::Transient(Cause::new(e)))?;
        let out = f(&mut state)?;
        let after = serde_json::to_vec(&*state).map_err(|e| Error::Transient(Cause::new(e)))?;
        // Only a change is saved: WhatsApp's servers do not write to the
        // tenant's volume when they are only asked.
        if after != before {
            // One transaction: a crash never leaves half a state.
            if let Err(e) = state_file::save(path, &after) {
                return Err(Error::Transient(
                    format!("fake state not saved: {e}").into(),
                ));
            }
        }
        Ok(out)
    }

    /// Latency, then an injected failure if one is queued for `operation`.
    async fn enter(&self, operation: &'static str) -> Result<()> {
        let latency = self.latency.lock().map(|l| *l).unwrap_or_default();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let injected = self.failures.lock().ok().and_then(|mut f| {
            let queue = f.get_mut(operation)?;
            (!queue.is_empty()).then(|| queue.remove(0))
        });
        injected.map_or(Ok(()), Err)
    }

    /// Like `enter`, and the session must be usable.
    async fn online(&self, operation: &'static str) -> Result<()> {
        self.enter(operation).await?;
        let state = self
            .state
            .lock()
            .map_err(|_| Error::Transient("fake state poisoned".into()))?;
        if state.banned {
            return Err(Error::Banned);
        }
        if state.paired.is_none() {
            return Err(Error::NotPaired);
        }
        if !state.connected {
            return Err(Error::Transient("not connected".into()));
        }
        Ok(())
    }

    /// Runs `f` on a group this account administers.
    fn admin_of<T>(&self, group: &str, f: impl FnOnce(&mut Group) -> Result<T>) -> Result<T> {
        self.mutate(|s| {
            let own = s.own.clone().unwrap_or_default();
            let g = s.groups.get_mut(group).ok_or(Error::GroupNotFound)?;
            if !g.members.contains(&own) {
                return Err(Error::GroupNotFound);
            }
            if !g.admins.contains(&own) {
                return Err(Error::NotAdmin);
            }
            f(g)
        })
    }
}

impl Default for Fake {
    fn default() -> Self {
        Self::new()
    }
}

impl State {
    fn new_group_jid(&mut self) -> String {
        self.next_id += 1;
        format!("1203630000{:08}@g.us", self.next_id)
    }

    fn new_invite_code(&mut self) -> String {
        self.next_id += 1;
        format!("FakeInvite{:012}", self.next_id)
    }

    fn info(&self, jid: &str, group: &Group) -> GroupInfo {
        let own = self.own.clone().unwrap_or_default();
        GroupInfo {
            jid: jid.to_owned(),
            name: group.name.clone(),
            members: group.members.clone(),
            admins: group.admins.clone(),
            is_admin: group.admins.contains(&own),
        }
    }
}

mod port;

#[cfg(test)]
mod tests;

/// The fake's state as one row of an SQLite file.
mod state_file {
    use std::path::Path;

    use rusqlite::{Connection, OpenFlags, OptionalExtension};

    const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS fake_session (id INTEGER PRIMARY KEY CHECK (id = 1), state BLOB NOT NULL)";

    /// The saved state, or `None` when there is no file yet.
    pub(super) fn load(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
        if !path.exists() {
            return Ok(None);
        }
        let connection = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(std::io::Error::other)?;
        connection
            .query_row("SELECT state FROM fake_session WHERE id = 1", [], |row| {
                row.get(0)
            })
            .optional()
            .map_err(std::io::Error::other)
    }

    /// Replaces the saved state with `state`.
    pub(super) fn save(path: &Path, state: &[u8]) -> rusqlite::Result<()> {
        let connection = Connection::open(path)?;
        connection.execute(SCHEMA, [])?;
        connection.execute(
            "INSERT INTO fake_session (id, state) VALUES (1, ?1) \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state",
            [state],
        )?;
        Ok(())
    }
}
