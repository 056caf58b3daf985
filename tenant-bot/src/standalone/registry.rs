//! The account registry of a standalone install: `WhatsAppAccount`s kept in
//! a local SQLite master database instead of a cluster, with the same
//! shape and the same rules, so the front door cannot tell the difference.
//!
//! Every account is one row (its name and its JSON). Reads come from a
//! copy in memory; every write goes to the database first, then to the
//! copy, then to whoever watches (the front door and the supervisor).
//! Deleting an account marks it, as a cluster would, so its tenant can log
//! out first; [`Local::remove`] then lets it go.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use crds::{WhatsAppAccount, WhatsAppAccountStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use rusqlite::{Connection, params};
use serde_json::Value;
use tokio::sync::broadcast;

use crate::protocol::registry::{Error, Registry, Result};

/// A change to the registry.
#[derive(Debug, Clone)]
pub enum Change {
    /// An account was added or changed (or marked for deletion).
    Applied(Arc<WhatsAppAccount>),
    /// An account is gone for good.
    Removed(String),
}

/// The local registry.
pub struct Local {
    connection: Mutex<Connection>,
    accounts: RwLock<BTreeMap<String, Arc<WhatsAppAccount>>>,
    changes: broadcast::Sender<Change>,
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local").finish_non_exhaustive()
    }
}

fn local(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::Local(error.into())
}

/// A lock whose holder panicked: the registry's state cannot be trusted.
fn poisoned() -> Error {
    local("a writer of the registry failed part-way")
}

fn now() -> Time {
    Time(k8s_openapi::jiff::Timestamp::now())
}

/// RFC 7386 JSON merge patch: objects merge, `null` removes, the rest
/// replaces.
fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

impl Local {
    /// Opens (creating when missing) the registry database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let connection = Connection::open(path).map_err(local)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 CREATE TABLE IF NOT EXISTS accounts (
                     name TEXT PRIMARY KEY,
                     body TEXT NOT NULL
                 );",
            )
            .map_err(local)?;
        let mut accounts = BTreeMap::new();
        {
            let mut statement = connection
                .prepare("SELECT name, body FROM accounts")
                .map_err(local)?;
            let rows = statement
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(local)?;
            for row in rows {
                let (name, body) = row.map_err(local)?;
                let account: WhatsAppAccount = serde_json::from_str(&body)
                    .map_err(|e| local(format!("account {name} is unreadable: {e}")))?;
                accounts.insert(name, Arc::new(account));
            }
        }
        let (changes, _) = broadcast::channel(1024);
        Ok(Self {
            connection: Mutex::new(connection),
            accounts: RwLock::new(accounts),
            changes,
        })
    }

    /// Changes from now on.
    pub fn changes(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Writes `account` to the database, then the copy, then tells.
    fn store(&self, account: WhatsAppAccount) -> Result<()> {
        let name = account.metadata.name.clone().unwrap_or_default();
        let body = serde_json::to_string(&account).map_err(local)?;
        {
            let connection = self.connection.lock().map_err(|_| poisoned())?;
            connection
                .execute(
                    "INSERT INTO accounts (name, body) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET body = excluded.body",
                    params![name, body],
                )
                .map_err(local)?;
        }
        let account = Arc::new(account);
        self.accounts
            .write()
            .map_err(|_| poisoned())?
            .insert(name, account.clone());
        let _ = self.changes.send(Change::Applied(account));
        Ok(())
    }

    fn current(&self, name: &str) -> Result<WhatsAppAccount> {
        self.find(name)
            .map(|a| (*a).clone())
            .ok_or_else(|| local(format!("no account {name}")))
    }

    /// Replaces an account's status (what its tenant reports).
    pub fn set_status(&self, name: &str, status: WhatsAppAccountStatus) -> Result<()> {
        let mut account = self.current(name)?;
        account.status = Some(status);
        self.store(account)
    }

    /// Lets a deleted account go for good, once its tenant is done.
    pub fn remove(&self, name: &str) -> Result<()> {
        {
            let connection = self.connection.lock().map_err(|_| poisoned())?;
            connection
                .execute("DELETE FROM accounts WHERE name = ?1", [name])
                .map_err(local)?;
        }
        self.accounts.write().map_err(|_| poisoned())?.remove(name);
        let _ = self.changes.send(Change::Removed(name.to_owned()));
        Ok(())
    }
}

#[async_trait::async_trait]
impl Registry for Local {
    async fn ready(&self) -> bool {
        true
    }

    fn state(&self) -> Vec<Arc<WhatsAppAccount>> {
        self.accounts
            .read()
            .map(|a| a.values().cloned().collect())
            .unwrap_or_default()
    }

    fn find(&self, name: &str) -> Option<Arc<WhatsAppAccount>> {
        self.accounts.read().ok()?.get(name).cloned()
    }

    async fn create(&self, account: &WhatsAppAccount) -> Result<()> {
        let name = account
            .metadata
            .name
            .clone()
            .ok_or_else(|| local("an account needs a name"))?;
        if self.find(&name).is_some() {
            return Err(Error::Taken);
        }
        let mut account = account.clone();
        account.metadata.creation_timestamp = Some(now());
        account.metadata.generation = Some(1);
        account.metadata.uid = Some(format!("local-{name}"));
        self.store(account)
    }

    async fn merge(&self, name: &str, patch: Value) -> Result<()> {
        let current = self.current(name)?;
        let mut body = serde_json::to_value(&current).map_err(local)?;
        merge(&mut body, &patch);
        let mut account: WhatsAppAccount = serde_json::from_value(body).map_err(local)?;
        // Only metadata and spec are the front door's to change.
        account.metadata.name = current.metadata.name.clone();
        account.status = current.status.clone();
        if account.spec != current.spec {
            account.metadata.generation = Some(current.metadata.generation.unwrap_or(1) + 1);
        }
        self.store(account)
    }

    async fn delete(&self, name: &str) -> Result<()> {
        let Some(current) = self.find(name) else {
            return Ok(());
        };
        if current.metadata.deletion_timestamp.is_some() {
            return Ok(());
        }
        let mut account = (*current).clone();
        account.metadata.deletion_timestamp = Some(now());
        self.store(account)
    }
}

#[cfg(test)]
mod tests;
