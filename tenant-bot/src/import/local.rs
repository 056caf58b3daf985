//! `tenant-bot import` into a standalone data directory: each account's
//! session converted into the same layout, its activity log carried
//! along, the old bot's settings written where a standalone install reads
//! them, and the accounts listed in the data directory's registry.

use std::path::{Path, PathBuf};

use crds::naming;
use rusqlite::{Connection, OpenFlags};

use super::{Account, Error, Outcome, session};
use crate::layout::{ACCESS_FILE, Access, TOKEN_FILE, USERS_DIR, write_private};

/// Where an account's session goes under `data`.
pub fn target(data: &Path, account: &Account) -> PathBuf {
    data.join(USERS_DIR)
        .join(account.owner.to_string())
        .join(naming::whatsmeow_db_file(account.owner, &account.phone))
}

/// Writes the old bot's settings where a standalone install finds them;
/// what is there already stays.
fn write_config(data: &Path, access: &Access, token: Option<&str>) -> std::io::Result<()> {
    std::fs::create_dir_all(data)?;
    let access_file = data.join(ACCESS_FILE);
    if !access_file.exists() {
        let text = serde_json::to_string_pretty(access).map_err(std::io::Error::other)?;
        std::fs::write(&access_file, text)?;
    }
    let token_file = data.join(TOKEN_FILE);
    if let Some(token) = token
        && !token_file.exists()
    {
        write_private(&token_file, token)?;
    }
    Ok(())
}

/// Imports every account's session into `data` (or, with `dry_run`, into
/// a scratch directory that is then removed).
pub async fn run_import(
    old: &Path,
    data: &Path,
    dry_run: bool,
) -> Result<Vec<(Account, Outcome)>, Error> {
    if dry_run {
        let scratch = scratch()?;
        return import_all(old, scratch.path()).await;
    }
    import_all(old, data).await
}

/// A private scratch directory (it holds session keys), removed when
/// dropped.
pub(super) fn scratch() -> Result<tempfile::TempDir, Error> {
    tempfile::Builder::new()
        .prefix("pawang-import-")
        .tempdir()
        .map_err(|source| Error::List {
            path: std::env::temp_dir(),
            source,
        })
}

pub(super) async fn import_all(old: &Path, data: &Path) -> Result<Vec<(Account, Outcome)>, Error> {
    if let Some((access, token)) = super::old_bot::config(old)? {
        write_config(data, &access, token.as_deref()).map_err(|source| Error::List {
            path: data.to_owned(),
            source,
        })?;
    }
    let mut results = Vec::new();
    for account in super::old_bot::accounts(old)? {
        let new = target(data, &account);
        let outcome = if new.exists() {
            Outcome::AlreadyThere
        } else if let Err(error) = new.parent().map_or(Ok(()), std::fs::create_dir_all) {
            Outcome::NeedsPairing(format!("cannot make the folder: {error}"))
        } else {
            match session::session(&account.session, &new, Some(&account.phone)).await {
                Ok(imported) => Outcome::Imported(imported),
                Err(error) => Outcome::NeedsPairing(error.to_string()),
            }
        };
        results.push((account, outcome));
    }
    register(data, &results).await?;
    for (account, outcome) in &results {
        if matches!(outcome, Outcome::Imported(_)) {
            carry_activity(old, data, account).await?;
        }
    }
    Ok(results)
}

/// One entry of the old master's activity log: when (SQLite's text),
/// action, description, success, error message.
type OldActivity = (String, String, Option<String>, bool, Option<String>);

/// The old master's activity log of `account`'s owner (the old bot kept
/// one per Telegram chat, not per account), added to the account's own
/// log as `imported` entries, oldest first.
async fn carry_activity(old: &Path, data: &Path, account: &Account) -> Result<(), Error> {
    let master = old.join("bot_data.db");
    if !master.exists() {
        return Ok(());
    }
    let owner = account.owner;
    let read = || -> rusqlite::Result<Vec<OldActivity>> {
        let connection = Connection::open_with_flags(&master, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let tables: i64 = connection.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'activity_logs'",
            [],
            |r| r.get(0),
        )?;
        if tables == 0 {
            return Ok(Vec::new());
        }
        let mut statement = connection.prepare(
            "SELECT CAST(created_at AS TEXT), action, description, success, error_message
             FROM activity_logs WHERE telegram_chat_id = ?1 ORDER BY id",
        )?;
        statement
            .query_map([owner], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    r.get(1)?,
                    r.get(2)?,
                    r.get::<_, Option<i64>>(3)?.unwrap_or(1) != 0,
                    r.get(4)?,
                ))
            })?
            .collect()
    };
    let entries = read().map_err(|source| Error::Master {
        path: master.clone(),
        source,
    })?;
    if entries.is_empty() {
        return Ok(());
    }
    let file = naming::bot_data_db_file(account.owner, &account.phone);
    let path = data.join(USERS_DIR).join(owner.to_string()).join(file);
    let store = crate::store::Store::open(&path)
        .await
        .map_err(|e| Error::Registry(e.into()))?;
    for (at, action, description, success, error) in entries {
        let mut detail = action;
        if let Some(description) = description.filter(|d| !d.is_empty()) {
            detail = format!("{detail}: {description}");
        }
        if !success {
            detail = format!("{detail} ✗ {}", error.unwrap_or_default());
        }
        let entry = crate::store::Activity {
            at: unix_seconds(&at),
            kind: "imported".into(),
            detail,
        };
        store
            .log_activity(entry)
            .await
            .map_err(|e| Error::Registry(e.into()))?;
    }
    store.flush().await.map_err(|e| Error::Registry(e.into()))?;
    Ok(())
}

/// SQLite's `CURRENT_TIMESTAMP` text (UTC, `YYYY-MM-DD HH:MM:SS`) in Unix
/// seconds; 0 when it is something else.
fn unix_seconds(text: &str) -> i64 {
    let iso = format!("{}Z", text.trim().replacen(' ', "T", 1));
    iso.parse::<k8s_openapi::jiff::Timestamp>()
        .map_or(0, |t| t.as_second())
}

/// Lists the imported accounts in the standalone registry of `data`, so
/// a standalone install serves them at its next start.
async fn register(data: &Path, results: &[(Account, Outcome)]) -> Result<(), Error> {
    use crate::protocol::registry::{self as accounts, Registry as _};
    let imported: Vec<&Account> = results
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Imported(_)))
        .map(|(a, _)| a)
        .collect();
    if imported.is_empty() {
        return Ok(());
    }
    let registry = crate::standalone::registry::Local::open(&data.join("pawang.db"))
        .map_err(|e| Error::Registry(e.into()))?;
    for account in imported {
        let resource =
            crds::WhatsAppAccount::for_phone(&account.phone, account.owner, crds::Language::Id);
        match registry.create(&resource).await {
            Ok(()) | Err(accounts::Error::Taken) => {}
            Err(error) => return Err(Error::Registry(error.into())),
        }
    }
    Ok(())
}
