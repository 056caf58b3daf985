//! `tenant-bot import` into a standalone data directory: each account's
//! session converted into the same layout, its activity log carried
//! along, the old bot's settings written where a standalone install reads
//! them, and the accounts listed in the data directory's registry.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crds::naming;
use rusqlite::{Connection, OpenFlags};

use super::old_bot::Activity;
use super::{Account, Error, Outcome, Reason, session, snapshot};
use crate::layout::{
    ACCESS_FILE, Access, TOKEN_FILE, USERS_DIR, create_private_dirs, write_private,
};

/// Where an account's session goes under `data`.
pub fn target(data: &Path, account: &Account) -> PathBuf {
    data.join(USERS_DIR)
        .join(account.owner.to_string())
        .join(naming::whatsmeow_db_file(account.owner, &account.phone))
}

/// Writes the old bot's settings where a standalone install finds them;
/// what is there already stays.
fn write_config(data: &Path, access: &Access, token: Option<&str>) -> std::io::Result<()> {
    create_private_dirs(data)?;
    let access_file = data.join(ACCESS_FILE);
    if !access_file.exists() {
        let text = serde_json::to_string_pretty(access).map_err(std::io::Error::other)?;
        write_private(&access_file, &text)?;
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
    let accounts = super::old_bot::accounts(old)?;
    let written = |source| Error::Write {
        path: data.to_owned(),
        source,
    };
    create_private_dirs(data).map_err(written)?;
    if let Some((access, token)) = super::old_bot::config(old)? {
        write_config(data, &access, token.as_deref()).map_err(written)?;
    }
    // Read once for every account. Without it the sessions still come
    // along; only the history stays behind.
    let mut activity = super::old_bot::activity(old).unwrap_or_else(|error| {
        tracing::warn!(
            error = %naming::why(&error),
            "the old bot's activity log cannot be read; it is not carried over"
        );
        HashMap::new()
    });
    let mut results = Vec::new();
    for account in accounts {
        let entries = activity.remove(&account.owner).unwrap_or_default();
        let outcome = import_one(data, &account, entries).await;
        results.push((account, outcome));
    }
    Ok(results)
}

/// Imports one account, all or nothing: what a failed attempt made (its
/// files, an owner folder it left empty) is removed again.
async fn import_one(data: &Path, account: &Account, activity: Vec<Activity>) -> Outcome {
    let new = target(data, account);
    let found = match existing(&new) {
        Ok(found) => found,
        Err(reason) => return Outcome::Failed(reason),
    };
    match found {
        Existing::Session => {
            // Imported before; registering is idempotent, and finishes a
            // run that stopped between the two.
            return match register(data, account).await {
                Ok(()) => Outcome::AlreadyThere,
                Err(reason) => Outcome::Failed(reason),
            };
        }
        Existing::Nothing => {}
        Existing::Unusable => {
            if let Err(error) = set_aside(&new) {
                return Outcome::Failed(error.into());
            }
        }
    }
    let folder = new.parent().unwrap_or(data);
    let made = match create_private_dirs(folder) {
        Ok(made) => made,
        Err(error) => return Outcome::Failed(error.into()),
    };
    let outcome = attempt(data, account, &new, activity).await;
    if !new.exists() {
        for dir in made.iter().rev() {
            // Only when empty: nothing of anyone else's goes.
            let _ = std::fs::remove_dir(dir);
        }
    }
    outcome
}

async fn attempt(data: &Path, account: &Account, new: &Path, activity: Vec<Activity>) -> Outcome {
    // The bot data first, so the session, renamed into place last, marks
    // a finished import; bot data there already (the tenant's own, or an
    // earlier attempt's) stays as it is.
    let bot_data = new.with_file_name(naming::bot_data_db_file(account.owner, &account.phone));
    let fresh = !bot_data.exists();
    if fresh && let Err(error) = carry_activity(&bot_data, activity).await {
        return Outcome::Failed(error.into());
    }
    let outcome = match session::session(&account.session, new, Some(&account.phone)).await {
        Ok(imported) => {
            return match register(data, account).await {
                Ok(()) => Outcome::Imported(imported),
                // The session stays: the next run registers it.
                Err(reason) => Outcome::Failed(reason),
            };
        }
        Err(session::Error::Locked(path)) => Outcome::Locked(path),
        Err(error) if error.needs_pairing() => Outcome::NeedsPairing(error.into()),
        Err(error) => Outcome::Failed(error.into()),
    };
    if fresh {
        session::discard(&bot_data);
    }
    outcome
}

/// What the session file of an account holds already.
enum Existing {
    Nothing,
    /// A session that opens and holds a device identity.
    Session,
    /// Anything else: an empty or half-written file, another database.
    Unusable,
}

fn existing(path: &Path) -> Result<Existing, Reason> {
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(error) => return Err(error.into()),
        Ok(meta) if meta.len() == 0 => return Ok(Existing::Unusable),
        Ok(_) => {}
    }
    let device = || -> rusqlite::Result<bool> {
        let connection = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        // A running install may be writing it.
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        connection.query_row(
            "SELECT count(*) > 0 FROM device
             WHERE length(identity_key) > 0 AND length(noise_key) > 0 AND account IS NOT NULL",
            [],
            |r| r.get(0),
        )
    };
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    match device() {
        Ok(true) => Ok(Existing::Session),
        Ok(false) => Ok(Existing::Unusable),
        // Not a session store, or not one that can be read.
        Err(error)
            if matches!(
                error.sqlite_error_code(),
                Some(DatabaseCorrupt | NotADatabase)
            ) || error.to_string().starts_with("no such table") =>
        {
            Ok(Existing::Unusable)
        }
        // Anything else (busy, no access) says nothing about the session:
        // it is left alone.
        Err(error) => Err(error.into()),
    }
}

/// Moves an unusable session file out of the way, so it is imported
/// again; an empty one goes, anything else is kept beside it with its
/// logs.
fn set_aside(path: &Path) -> std::io::Result<()> {
    if std::fs::metadata(path)?.len() == 0 {
        session::discard(path);
        return Ok(());
    }
    tracing::warn!(
        file = %naming::Redacted(path.display()),
        "the session there does not open or holds no device: kept as .unusable and imported again"
    );
    for suffix in ["-wal", "-shm", "-journal", ""] {
        let from = snapshot::with_suffix(path, suffix);
        let to = snapshot::with_suffix(path, &format!(".unusable{suffix}"));
        match std::fs::rename(from, to) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// The old master's activity log of the account's owner added to the
/// account's new bot data at `path`, as `imported` entries; the file is
/// made whole under a temporary name, then renamed.
async fn carry_activity(path: &Path, entries: Vec<Activity>) -> Result<(), Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let partial = session::partial(path);
    session::discard(&partial);
    let written = |source: Reason| Error::Write {
        path: path.to_owned(),
        source: std::io::Error::other(source),
    };
    let result = async {
        crate::layout::create_private(&partial).map_err(|e| written(e.into()))?;
        let store = crate::store::Store::open(&partial)
            .await
            .map_err(|e| written(e.into()))?;
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
                .map_err(|e| written(e.into()))?;
        }
        drop(store);
        let (from, to) = (partial.clone(), path.to_owned());
        tokio::task::spawn_blocking(move || session::settle(&from, &to))
            .await
            .map_err(|e| written(e.into()))?
            .map_err(written)
    }
    .await;
    if result.is_err() {
        session::discard(&partial);
    }
    result
}

/// SQLite's `CURRENT_TIMESTAMP` text (UTC, `YYYY-MM-DD HH:MM:SS`) in Unix
/// seconds; 0 when it is something else.
fn unix_seconds(text: &str) -> i64 {
    let iso = format!("{}Z", text.trim().replacen(' ', "T", 1));
    iso.parse::<k8s_openapi::jiff::Timestamp>()
        .map_or(0, |t| t.as_second())
}

/// Lists `account` in the standalone registry of `data`, so a standalone
/// install serves it at its next start; listed already is fine.
async fn register(data: &Path, account: &Account) -> Result<(), Reason> {
    use crate::protocol::registry::{self as accounts, Registry as _};
    let file = data.join("pawang.db");
    if !file.exists() {
        // It lists owners and numbers.
        crate::layout::create_private(&file)?;
    }
    let registry = crate::standalone::registry::Local::open(&file)?;
    let resource =
        crds::WhatsAppAccount::for_phone(&account.phone, account.owner, crds::Language::Id);
    match registry.create(&resource).await {
        Ok(()) | Err(accounts::Error::Taken) => Ok(()),
        Err(error) => Err(error.into()),
    }
}
