//! The bot's own data for one account, `bot_data-{telegramId}-{phone}.db`:
//! settings, the group cache, jobs and the activity log.
//!
//! One SQLite connection in WAL mode behind a mutex; every call runs on
//! tokio's blocking pool, so a slow disk never stalls the async threads.

mod activity;
mod groups;
mod jobs;
mod migrations;
mod settings;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

pub use activity::Activity;

/// Now, in Unix seconds: how bot data stamps times.
pub fn unix_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
pub use groups::Group;
pub use jobs::{ItemState, JobId, JobState, Progress};

/// How long a statement waits for a lock held by another connection.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite refused or failed a statement.
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer version of the bot; opening it with
    /// this one could lose data.
    #[error("{path} has schema version {found}; this build knows up to {known}")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    /// A stored value could not be read back.
    #[error("stored value is malformed")]
    Malformed(#[from] serde_json::Error),
    /// The blocking task running a call panicked or was cancelled.
    #[error("store task failed")]
    Task(#[from] tokio::task::JoinError),
    /// A previous call panicked while holding the connection.
    #[error("the connection was poisoned by an earlier failure")]
    Poisoned,
}

/// Result of store calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A handle on one account's bot data; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    connection: Arc<Mutex<Connection>>,
    errors: Option<prometheus::IntCounter>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_owned();
        let connection = tokio::task::spawn_blocking(move || open_blocking(&path)).await??;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            errors: None,
        })
    }

    /// Counts every call that fails in `errors` (a full or failing volume
    /// shows there first).
    pub fn with_error_counter(mut self, errors: prometheus::IntCounter) -> Self {
        self.errors = Some(errors);
        self
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let connection = self.connection.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut connection = connection.lock().map_err(|_| Error::Poisoned)?;
            f(&mut connection)
        })
        .await?;
        if let (Err(_), Some(errors)) = (&result, &self.errors) {
            errors.inc();
        }
        result
    }

    /// Checkpoints the WAL into the main file, as on shutdown.
    pub async fn flush(&self) -> Result<()> {
        self.call(|c| {
            c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
            Ok(())
        })
        .await
    }
}

fn open_blocking(path: &Path) -> Result<Connection> {
    let mut connection = Connection::open(path)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;",
    )?;
    migrations::run(&mut connection, path)?;
    Ok(connection)
}

#[cfg(test)]
pub(crate) mod testing {
    use super::Store;

    /// A store in a fresh temporary directory, kept alive with it.
    pub async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("bot_data-1-447700900123.db"))
            .await
            .unwrap();
        (store, dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_in_wal_mode_with_the_latest_schema() {
        let (store, _dir) = testing::store().await;
        let (mode, version, foreign_keys) = store
            .call(|c| {
                let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                let fk: i64 = c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
                Ok((mode, version, fk))
            })
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(version, migrations::LATEST);
        assert_eq!(foreign_keys, 1);
    }

    #[tokio::test]
    async fn reopening_keeps_data_and_does_not_migrate_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bot_data.db");
        let store = Store::open(&path).await.unwrap();
        store.set_language(crds::Language::En).await.unwrap();
        store.flush().await.unwrap();
        drop(store);
        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.language().await.unwrap(), Some(crds::Language::En));
    }

    #[tokio::test]
    async fn refuses_a_database_from_a_newer_build() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bot_data.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(&format!(
                "PRAGMA user_version = {};",
                migrations::LATEST + 1
            ))
            .unwrap();
        }
        let err = Store::open(&path).await.unwrap_err();
        assert!(matches!(err, Error::TooNew { found, .. } if found == migrations::LATEST + 1));
    }

    #[tokio::test]
    async fn reports_a_file_that_is_not_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bot_data.db");
        std::fs::write(&path, b"this is not sqlite, just text that is long enough").unwrap();
        let original = std::fs::read(&path).unwrap();
        assert!(matches!(Store::open(&path).await, Err(Error::Sqlite(_))));
        // Nothing was overwritten.
        assert_eq!(std::fs::read(&path).unwrap(), original);
    }
}
