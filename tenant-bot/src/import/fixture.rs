//! An old bot's folder as the old Go bot leaves it, for tests.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use rusqlite::Connection;
use rusqlite::types::Value;

use super::session::fixture::{Journal, old_store_in};
use crate::layout::USERS_DIR;

/// An old bot's folder: a master listing two accounts (one with a linked
/// device, one logged out), and a third account only its folder shows;
/// its databases in WAL mode, as the old bot opens them.
pub fn old_bot(dir: &Path) {
    old_bot_in(dir, Journal::Wal);
}

/// [`old_bot`] with its stores left in `journal` mode (the logged-out
/// one is closed cleanly whatever the mode).
pub fn old_bot_in(dir: &Path, journal: Journal) {
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(
        dir.join("config/config.json"),
        r#"{"telegram_token": "123456:old-token", "admin_ids": [11, "12"],
            "allowed_user_ids": [21], "user_allowed_id": 22}"#,
    )
    .unwrap();
    let users = dir.join(USERS_DIR);
    for owner in ["6069200001", "6069200002"] {
        std::fs::create_dir_all(users.join(owner)).unwrap();
    }
    let linked = users.join("6069200001/whatsmeow-6069200001-6281200000100.db");
    old_store_in(&linked, journal, |_| {});
    let logged_out = users.join("6069200001/whatsmeow-6069200001-6281200000300.db");
    let closed = if journal == Journal::Delete {
        Journal::Delete
    } else {
        Journal::Wal
    };
    old_store_in(&logged_out, closed, |row| {
        row[0].1 = Value::Text("6281200000300:4@s.whatsapp.net".into());
    });
    Connection::open(&logged_out)
        .unwrap()
        .execute_batch("DELETE FROM whatsmeow_device")
        .unwrap();
    let unlisted = users.join("6069200002/whatsmeow-6069200002-6281200000200.db");
    old_store_in(&unlisted, journal, |row| {
        row[0].1 = Value::Text("6281200000200:7@s.whatsapp.net".into());
    });
    let master = Connection::open(dir.join("bot_data.db")).unwrap();
    if journal != Journal::Delete {
        master.execute_batch("PRAGMA journal_mode = WAL").unwrap();
    }
    master
        .execute_batch(
            "CREATE TABLE whatsapp_accounts (id INTEGER PRIMARY KEY AUTOINCREMENT,
               phone_number TEXT UNIQUE NOT NULL, db_path TEXT NOT NULL,
               bot_data_db_path TEXT NOT NULL, status TEXT DEFAULT 'active',
               created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
               updated_at DATETIME DEFAULT CURRENT_TIMESTAMP);
             INSERT INTO whatsapp_accounts (phone_number, db_path, bot_data_db_path) VALUES
               ('6281200000100', 'DB USER TELEGRAM/6069200001/whatsmeow-6069200001-6281200000100.db',
                'DB USER TELEGRAM/6069200001/bot_data-6069200001-6281200000100.db'),
               ('6281200000300', 'DB USER TELEGRAM/6069200001/whatsmeow-6069200001-6281200000300.db',
                'DB USER TELEGRAM/6069200001/bot_data-6069200001-6281200000300.db');
             CREATE TABLE activity_logs (id INTEGER PRIMARY KEY AUTOINCREMENT,
               action TEXT NOT NULL, description TEXT, telegram_chat_id INTEGER,
               success INTEGER DEFAULT 1, error_message TEXT, metadata TEXT,
               created_at DATETIME DEFAULT CURRENT_TIMESTAMP);
             INSERT INTO activity_logs (action, description, telegram_chat_id, success, error_message, created_at) VALUES
               ('get_links', '12 grup', 6069200001, 1, NULL, '2025-03-01 10:00:00'),
               ('leave', '3 grup', 6069200001, 0, 'rate-overlimit', '2025-03-02 11:30:00'),
               ('pair', NULL, 6069200002, 1, NULL, '2025-03-03 09:00:00');",
        )
        .unwrap();
}
