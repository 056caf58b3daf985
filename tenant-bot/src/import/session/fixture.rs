//! A whatsmeow store as the old bot leaves it, for tests.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use rusqlite::{Connection, params};

use super::key_pair;
use crate::import::snapshot::with_suffix;

/// A private key as whatsmeow makes one (clamped).
pub fn private(seed: u8) -> [u8; 32] {
    let mut key = [seed; 32];
    key[0] &= 248;
    key[31] &= 127;
    key[31] |= 64;
    key
}

pub const JID: &str = "6281200000100:12@s.whatsapp.net";

/// How an old store was left on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Journal {
    /// In rollback-journal mode, closed.
    Delete,
    /// In WAL mode, closed cleanly: no log beside it.
    Wal,
    /// In WAL mode by a bot killed after its last write: the schema is in
    /// the file, the device and everything after it only in the `-wal`
    /// (and `-shm`) left beside it.
    Crashed,
}

/// A whatsmeow store as the old bot left it: schema of whatsmeow's latest
/// upgrade, one linked device, three one-time pre-keys.
pub fn old_store(
    path: &Path,
    tweak: impl FnOnce(&mut Vec<(&'static str, rusqlite::types::Value)>),
) {
    old_store_in(path, Journal::Delete, tweak);
}

/// [`old_store`], left in `journal` mode.
pub fn old_store_in(
    path: &Path,
    journal: Journal,
    tweak: impl FnOnce(&mut Vec<(&'static str, rusqlite::types::Value)>),
) {
    let live = match journal {
        Journal::Crashed => path.with_extension("live"),
        _ => path.to_owned(),
    };
    let connection = Connection::open(&live).unwrap();
    if journal != Journal::Delete {
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;")
            .unwrap();
    }
    let identity = key_pair("identity_key", &private(0x11)).unwrap();
    let signed = key_pair("signed_pre_key", &private(0x22)).unwrap();
    let signature = identity
        .private_key
        .calculate_signature(&signed.public_key.serialize(), &mut rand::rng())
        .unwrap();
    connection
        .execute_batch(
            "CREATE TABLE whatsmeow_device (jid TEXT PRIMARY KEY, lid TEXT, facebook_uuid uuid,
               registration_id BIGINT NOT NULL, noise_key bytea NOT NULL,
               identity_key bytea NOT NULL, signed_pre_key bytea NOT NULL,
               signed_pre_key_id INTEGER NOT NULL, signed_pre_key_sig bytea NOT NULL,
               adv_key bytea NOT NULL, adv_details bytea NOT NULL, adv_account_sig bytea NOT NULL,
               adv_account_sig_key bytea NOT NULL, adv_device_sig bytea NOT NULL,
               platform TEXT NOT NULL DEFAULT '', business_name TEXT NOT NULL DEFAULT '',
               push_name TEXT NOT NULL DEFAULT '', lid_migration_ts BIGINT NOT NULL DEFAULT 0);
             CREATE TABLE whatsmeow_pre_keys (jid TEXT, key_id INTEGER, key bytea NOT NULL,
               uploaded BOOLEAN NOT NULL, PRIMARY KEY (jid, key_id));
             CREATE TABLE whatsmeow_sessions (our_jid TEXT, their_id TEXT, session bytea,
               PRIMARY KEY (our_jid, their_id));
             PRAGMA wal_checkpoint(TRUNCATE);",
        )
        .unwrap();
    use rusqlite::types::Value;
    let mut row: Vec<(&'static str, Value)> = vec![
        ("jid", Value::Text(JID.into())),
        ("lid", Value::Text("123456789012345:12@lid".into())),
        ("registration_id", Value::Integer(3_000_000_000)),
        ("noise_key", Value::Blob(private(0x33).to_vec())),
        ("identity_key", Value::Blob(private(0x11).to_vec())),
        ("signed_pre_key", Value::Blob(private(0x22).to_vec())),
        ("signed_pre_key_id", Value::Integer(1)),
        ("signed_pre_key_sig", Value::Blob(signature.to_vec())),
        ("adv_key", Value::Blob(vec![0x44; 32])),
        ("adv_details", Value::Blob(vec![0x08, 0x01, 0x10, 0x02])),
        ("adv_account_sig", Value::Blob(vec![0x55; 64])),
        ("adv_account_sig_key", Value::Blob(vec![0x66; 32])),
        ("adv_device_sig", Value::Blob(vec![0x77; 64])),
        ("platform", Value::Text("android".into())),
        ("business_name", Value::Text("Toko Budi".into())),
        ("push_name", Value::Text("Budi".into())),
        ("lid_migration_ts", Value::Integer(1_700_000_000)),
    ];
    tweak(&mut row);
    let names: Vec<&str> = row.iter().map(|(n, _)| *n).collect();
    let marks: Vec<String> = (1..=row.len()).map(|i| format!("?{i}")).collect();
    let insert = format!(
        "INSERT INTO whatsmeow_device ({}) VALUES ({})",
        names.join(", "),
        marks.join(", ")
    );
    let values: Vec<&Value> = row.iter().map(|(_, v)| v).collect();
    connection
        .execute(&insert, rusqlite::params_from_iter(values))
        .unwrap();
    let jid = match &row[0].1 {
        Value::Text(jid) => jid.clone(),
        _ => JID.to_owned(),
    };
    for id in 1..=3u32 {
        connection
            .execute(
                "INSERT INTO whatsmeow_pre_keys VALUES (?1, ?2, ?3, ?4)",
                params![jid, id, private(id as u8).to_vec(), id <= 2],
            )
            .unwrap();
    }
    if journal == Journal::Crashed {
        // What the disk holds when the bot is killed now.
        for suffix in ["", "-wal", "-shm"] {
            std::fs::copy(with_suffix(&live, suffix), with_suffix(path, suffix)).unwrap();
        }
        drop(connection);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(with_suffix(&live, suffix));
        }
    }
}

/// Overwrites the start of the first page of `table` in the store at
/// `path` with noise: a store damaged part-way through, whose device row
/// still reads.
pub fn damage(path: &Path, table: &str) {
    let connection = Connection::open(path).unwrap();
    let page: i64 = connection
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE name = ?1",
            [table],
            |r| r.get(0),
        )
        .unwrap();
    let size: i64 = connection
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap();
    drop(connection);
    let mut bytes = std::fs::read(path).unwrap();
    let start = usize::try_from((page - 1) * size).unwrap();
    for (i, byte) in bytes[start..start + 64].iter_mut().enumerate() {
        *byte = 0xA5 ^ u8::try_from(i).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}
