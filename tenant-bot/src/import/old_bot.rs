//! Reading the old bot's folder: its accounts (from the master
//! `bot_data.db` and from the users' folders, since the old bot itself
//! registered folders its master did not know), its activity log and its
//! settings. Nothing here writes, and its databases are read from private
//! copies ([`Snapshot`]), so not even SQLite leaves a file beside them.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rusqlite::Connection;

use super::snapshot::{self, Snapshot};
use super::{Account, Error};
use crate::layout::{Access, USERS_DIR};

/// The old bot's accounts: the master's, and those only its folders show.
pub fn accounts(old: &Path) -> Result<Vec<Account>, Error> {
    let master = old.join("bot_data.db");
    let users = old.join(USERS_DIR);
    if !master.exists() && !users.is_dir() {
        return Err(Error::NotOldBot(old.to_owned()));
    }
    let mut found: BTreeMap<(i64, String), Account> = BTreeMap::new();
    if master.exists() {
        for (phone, db_path) in master_accounts(&master)? {
            // Paths are relative to the old bot's folder; the owner is in
            // the file's name.
            let file = Path::new(&db_path);
            let session = if file.is_absolute() {
                file.to_owned()
            } else {
                old.join(file)
            };
            if let Some(account) = from_file_name(&session, Some(&phone)) {
                found.insert((account.owner, phone), account);
            }
        }
    }
    if users.is_dir() {
        let list = |path: &Path| {
            std::fs::read_dir(path).map_err(|source| Error::List {
                path: path.to_owned(),
                source,
            })
        };
        for folder in list(&users)?.flatten() {
            if !folder.path().is_dir() {
                continue;
            }
            for file in list(&folder.path())?.flatten() {
                if let Some(account) = from_file_name(&file.path(), None) {
                    let key = (account.owner, account.phone.as_str().to_owned());
                    found.entry(key).or_insert(account);
                }
            }
        }
    }
    Ok(found.into_values().collect())
}

/// Runs `read` on a private copy of the master database ([`Snapshot`]).
fn read_master<T>(
    master: &Path,
    read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> Result<T, Error> {
    let snapshot = Snapshot::take(master).map_err(|error| match error {
        snapshot::Error::Locked(path) => Error::Locked(path),
        error => Error::Copy(error),
    })?;
    snapshot
        .open()
        .and_then(|connection| read(&connection))
        .map_err(|source| Error::Master {
            path: master.to_owned(),
            source,
        })
}

/// `(phone_number, db_path)` of every account the master lists.
fn master_accounts(master: &Path) -> Result<Vec<(String, String)>, Error> {
    read_master(master, |connection| {
        let mut statement = connection
            .prepare("SELECT phone_number, db_path FROM whatsapp_accounts ORDER BY id")?;
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
    })
}

/// One entry of the old master's activity log: when (SQLite's text),
/// action, description, success, error message.
pub type Activity = (String, String, Option<String>, bool, Option<String>);

/// The old master's activity log, per owner (the old bot kept one per
/// Telegram chat, not per account), oldest first; none without a master
/// or its log.
pub fn activity(old: &Path) -> Result<HashMap<i64, Vec<Activity>>, Error> {
    let master = old.join("bot_data.db");
    if !master.exists() {
        return Ok(HashMap::new());
    }
    read_master(&master, |connection| {
        let tables: i64 = connection.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'activity_logs'",
            [],
            |r| r.get(0),
        )?;
        let mut log: HashMap<i64, Vec<Activity>> = HashMap::new();
        if tables == 0 {
            return Ok(log);
        }
        let mut statement = connection.prepare(
            "SELECT telegram_chat_id, CAST(created_at AS TEXT), action, description, success,
                    error_message
             FROM activity_logs WHERE telegram_chat_id IS NOT NULL ORDER BY id",
        )?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                (
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get(2)?,
                    r.get(3)?,
                    r.get::<_, Option<i64>>(4)?.unwrap_or(1) != 0,
                    r.get(5)?,
                ),
            ))
        })?;
        for row in rows {
            let (owner, entry) = row?;
            log.entry(owner).or_default().push(entry);
        }
        Ok(log)
    })
}

/// The account a `whatsmeow-{owner}-{phone}.db` file belongs to; `phone`
/// must match when the master named it.
fn from_file_name(path: &Path, phone: Option<&str>) -> Option<Account> {
    let name = path.file_name()?.to_str()?;
    let rest = name.strip_prefix("whatsmeow-")?.strip_suffix(".db")?;
    let (owner, digits) = rest.split_once('-')?;
    if phone.is_some_and(|p| p != digits) {
        return None;
    }
    Some(Account {
        owner: owner.parse().ok()?,
        phone: digits.parse().ok()?,
        session: path.to_owned(),
    })
}

/// Ids written as a number, a string of digits, or a list of either.
fn ids(value: Option<&serde_json::Value>) -> Vec<i64> {
    let one = |v: &serde_json::Value| match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match value {
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(one).collect(),
        Some(v) => one(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The old bot's access settings and token, from `config/config.json` or
/// `akses.json`, when either is there.
pub fn config(old: &Path) -> Result<Option<(Access, Option<String>)>, Error> {
    for name in ["config/config.json", "akses.json"] {
        let path = old.join(name);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| Error::Config {
                path: path.clone(),
                source,
            })?;
        let mut allowed = ids(value.get("allowed_user_ids"));
        allowed.extend(ids(value.get("user_allowed_id")));
        allowed.sort_unstable();
        allowed.dedup();
        let access = Access {
            admins: ids(value.get("admin_ids")),
            allowed_users: allowed,
        };
        let token = value
            .get("telegram_token")
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        return Ok(Some((access, token)));
    }
    Ok(None)
}
