//! Versioned schema changes, tracked in SQLite's `user_version`. Each step
//! runs in its own transaction; released steps are never edited, only
//! followed by new ones.

use std::path::Path;

use rusqlite::Connection;

use super::{Error, Result};

/// The schema steps, in order; step `i` brings the version to `i + 1`.
const STEPS: &[&str] = &[
    // 1: settings, group cache, jobs, activity log.
    "CREATE TABLE settings (
         key   TEXT PRIMARY KEY,
         value TEXT NOT NULL
     ) STRICT;
     CREATE TABLE groups (
         jid          TEXT PRIMARY KEY,
         name         TEXT NOT NULL,
         member_count INTEGER NOT NULL,
         is_admin     INTEGER NOT NULL,
         invite_link  TEXT,
         refreshed_at INTEGER NOT NULL
     ) STRICT;
     CREATE TABLE jobs (
         id          INTEGER PRIMARY KEY,
         kind        TEXT NOT NULL,
         params      TEXT NOT NULL,
         delay_ms    INTEGER NOT NULL,
         state       TEXT NOT NULL,
         created_at  INTEGER NOT NULL,
         updated_at  INTEGER NOT NULL
     ) STRICT;
     CREATE TABLE job_items (
         job_id  INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
         seq     INTEGER NOT NULL,
         target  TEXT NOT NULL,
         state   TEXT NOT NULL,
         result  TEXT,
         error   TEXT,
         PRIMARY KEY (job_id, seq)
     ) STRICT;
     CREATE INDEX jobs_by_state ON jobs(state);
     CREATE TABLE activity (
         id     INTEGER PRIMARY KEY,
         at     INTEGER NOT NULL,
         kind   TEXT NOT NULL,
         detail TEXT NOT NULL
     ) STRICT;",
];

/// The schema version this build writes.
pub const LATEST: i64 = STEPS.len() as i64;

/// Brings the schema from its current version to [`LATEST`].
pub fn run(connection: &mut Connection, path: &Path) -> Result<()> {
    let current: i64 = connection.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST {
        return Err(Error::TooNew {
            path: path.to_owned(),
            found: current,
            known: LATEST,
        });
    }
    for (index, step) in STEPS.iter().enumerate().skip(current as usize) {
        let tx = connection.transaction()?;
        tx.execute_batch(step)?;
        tx.execute_batch(&format!("PRAGMA user_version = {};", index + 1))?;
        tx.commit()?;
        tracing::info!(version = index + 1, "bot data schema migrated");
    }
    Ok(())
}
