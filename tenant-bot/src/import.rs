//! `tenant-bot import`: bringing the old Go bot's accounts along.
//!
//! The old bot keeps each user's files in `DB USER TELEGRAM/{telegramId}/`
//! (`whatsmeow-{telegramId}-{phone}.db` and `bot_data-…`) and lists its
//! accounts in a master `bot_data.db` (`whatsapp_accounts`). Both are read,
//! since the old bot itself registered folders its master did not know.
//! For every account its linked device is carried into the same layout
//! under a new data directory ([`crate::whatsapp::import`]); an account
//! that cannot be carried over is named with the reason, so its owner
//! knows to pair again. Imported accounts are listed in the standalone
//! registry of the data directory, so `tenant-bot standalone` serves them
//! at once. `--dry-run` does the whole conversion in a scratch directory
//! and throws it away. The old folder is never written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crds::PhoneNumber;
use crds::naming;
use rusqlite::{Connection, OpenFlags};

use crate::layout::write_private;
use crate::layout::{ACCESS_FILE, Access, TOKEN_FILE, USERS_DIR};
use crate::whatsapp::import;

/// Flags of `tenant-bot import`.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// The old bot's folder (holding `bot_data.db` and `DB USER TELEGRAM`).
    pub old_bot_dir: PathBuf,

    /// Where the imported files go, in the same layout.
    #[arg(long, env = "PAWANG_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Check everything and say what would happen; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Register the accounts in a Kubernetes namespace instead of the
    /// standalone registry: each as a `WhatsAppAccount`, its files in a
    /// seed Secret its tenant unpacks (the cluster of `KUBECONFIG`).
    #[arg(long)]
    pub kubernetes: bool,

    /// The namespace Pawang is installed in, with `--kubernetes`; the
    /// kubeconfig's namespace when not given.
    #[arg(long, requires = "kubernetes")]
    pub namespace: Option<String>,
}

/// One account of the old bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The owner's Telegram id.
    pub owner: i64,
    /// The account's number.
    pub phone: PhoneNumber,
    /// Its whatsmeow session file in the old folder.
    pub session: PathBuf,
}

/// What happened to one account.
#[derive(Debug)]
pub enum Outcome {
    /// The session was carried over (or would be, in a dry run).
    Imported(import::Imported),
    /// Imported before: the new session file exists.
    AlreadyThere,
    /// The owner must pair again, and why.
    NeedsPairing(String),
}

/// Why the old folder cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Neither a master database nor a users' folder is there.
    #[error("{0} holds neither bot_data.db nor {USERS_DIR}/; is it the old bot's folder?")]
    NotOldBot(PathBuf),
    /// The master database could not be read.
    #[error("cannot read {path}")]
    Master {
        /// The master database.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// The old bot's configuration is not JSON.
    #[error("cannot read {path}: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The standalone registry could not take the accounts.
    #[error("cannot register the accounts")]
    Registry(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A folder could not be listed.
    #[error("cannot list {path}")]
    List {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

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

/// `(phone_number, db_path)` of every account the master lists.
fn master_accounts(master: &Path) -> Result<Vec<(String, String)>, Error> {
    let read = || -> rusqlite::Result<Vec<(String, String)>> {
        let connection = Connection::open_with_flags(master, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut statement = connection
            .prepare("SELECT phone_number, db_path FROM whatsapp_accounts ORDER BY id")?;
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
    };
    read().map_err(|source| Error::Master {
        path: master.to_owned(),
        source,
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

/// Where an account's session goes under `data`.
pub fn target(data: &Path, account: &Account) -> PathBuf {
    data.join(USERS_DIR)
        .join(account.owner.to_string())
        .join(naming::whatsmeow_db_file(account.owner, &account.phone))
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
pub fn old_config(old: &Path) -> Result<Option<(Access, Option<String>)>, Error> {
    for name in ["config/config.json", "akses.json"] {
        let path = old.join(name);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Config {
            path: path.clone(),
            reason: e.to_string(),
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
fn scratch() -> Result<tempfile::TempDir, Error> {
    tempfile::Builder::new()
        .prefix("pawang-import-")
        .tempdir()
        .map_err(|source| Error::List {
            path: std::env::temp_dir(),
            source,
        })
}

async fn import_all(old: &Path, data: &Path) -> Result<Vec<(Account, Outcome)>, Error> {
    if let Some((access, token)) = old_config(old)? {
        write_config(data, &access, token.as_deref()).map_err(|source| Error::List {
            path: data.to_owned(),
            source,
        })?;
    }
    let mut results = Vec::new();
    for account in accounts(old)? {
        let new = target(data, &account);
        let outcome = if new.exists() {
            Outcome::AlreadyThere
        } else if let Err(error) = new.parent().map_or(Ok(()), std::fs::create_dir_all) {
            Outcome::NeedsPairing(format!("cannot make the folder: {error}"))
        } else {
            match import::session(&account.session, &new, Some(&account.phone)).await {
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
    use crate::front_door::accounts::{self, Registry as _};
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

/// Runs `tenant-bot import` and prints what happened to each account.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    if settings.kubernetes {
        return run_in_cluster(settings).await;
    }
    let results = run_import(&settings.old_bot_dir, &settings.data_dir, settings.dry_run).await?;
    let verb = if settings.dry_run {
        "would be imported"
    } else {
        "imported"
    };
    let mut pairing = 0;
    for (account, outcome) in &results {
        let who = who(account);
        match outcome {
            Outcome::Imported(imported) => {
                println!("{who}: session {verb}, {} pre-keys", imported.pre_keys);
            }
            Outcome::AlreadyThere => println!("{who}: imported before, left as it is"),
            Outcome::NeedsPairing(reason) => {
                pairing += 1;
                println!("{who}: must pair again: {}", masked(account, reason));
            }
        }
    }
    match old_config(&settings.old_bot_dir)? {
        Some((access, token)) => println!("settings: {}", summary(&access, token.as_deref())),
        None => println!("settings: no config/config.json or akses.json"),
    }
    println!(
        "{} accounts, {} to pair again; the old folder was not changed",
        results.len(),
        pairing
    );
    Ok(())
}

/// `tenant-bot import --kubernetes`: converts in a private scratch
/// directory, then registers each account with its seed
/// ([`cluster::Namespace::place`]).
async fn run_in_cluster(settings: Settings) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let client = kube::Client::try_default()
        .await
        .context("cannot reach the cluster (is KUBECONFIG set?)")?;
    let namespace = settings
        .namespace
        .clone()
        .unwrap_or_else(|| client.default_namespace().to_owned());
    let target = cluster::Namespace::new(client, &namespace);
    let scratch = scratch()?;
    let results = import_all(&settings.old_bot_dir, scratch.path()).await?;
    let verb = if settings.dry_run {
        "would be imported"
    } else {
        "imported"
    };
    let (mut pairing, mut failed) = (0, 0);
    for (account, outcome) in &results {
        let who = who(account);
        let imported = match outcome {
            Outcome::Imported(imported) => imported,
            Outcome::AlreadyThere => continue,
            Outcome::NeedsPairing(reason) => {
                pairing += 1;
                println!("{who}: must pair again: {}", masked(account, reason));
                continue;
            }
        };
        match target
            .place(scratch.path(), account, settings.dry_run)
            .await
        {
            Ok(cluster::Placed::Created { with_bot_data }) => {
                let left = if with_bot_data {
                    ""
                } else {
                    "; its activity log is left behind, too large to carry"
                };
                println!(
                    "{who}: session {verb} into namespace {namespace}, {} pre-keys{left}",
                    imported.pre_keys
                );
            }
            Ok(cluster::Placed::AlreadyThere) => {
                println!("{who}: already in namespace {namespace}, left as it is");
            }
            Ok(cluster::Placed::TooLarge(bytes)) => {
                pairing += 1;
                println!(
                    "{who}: must pair again: its session packs to {bytes} bytes, more than a Secret holds"
                );
            }
            Err(error) => {
                failed += 1;
                println!(
                    "{who}: not imported: {}",
                    masked(account, &error.to_string())
                );
            }
        }
    }
    if let Some((access, token)) = old_config(&settings.old_bot_dir)? {
        println!("settings: {}", summary(&access, token.as_deref()));
        println!(
            "  give them to the chart: --set-json 'frontDoor.admins={:?}' --set-json 'frontDoor.allowedUsers={:?}'{}",
            access.admins,
            access.allowed_users,
            if token.is_some() {
                ", and the token as telegram.botToken (or in telegram.existingSecret)"
            } else {
                ""
            }
        );
    }
    println!(
        "{} accounts, {} to pair again, {} failed; the old folder was not changed",
        results.len(),
        pairing,
        failed
    );
    anyhow::ensure!(
        failed == 0,
        "{failed} accounts were not imported; run the import again"
    );
    Ok(())
}

/// An account as the import names it: never its number in full.
fn who(account: &Account) -> String {
    format!("{} (owner {})", account.phone.masked(), account.owner)
}

/// `text` with the account's number masked (reasons name files).
fn masked(account: &Account, text: &str) -> String {
    text.replace(account.phone.as_str(), &account.phone.masked())
}

fn summary(access: &Access, token: Option<&str>) -> String {
    format!(
        "{} admins, {} allowed users, bot token {}",
        access.admins.len(),
        access.allowed_users.len(),
        if token.is_some() {
            "found"
        } else {
            "not found"
        }
    )
}

pub mod cluster;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixture;
#[cfg(test)]
mod tests;
