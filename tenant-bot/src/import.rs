//! `tenant-bot import`: bringing the old Go bot's accounts along.
//!
//! The old bot keeps each user's files in `DB USER TELEGRAM/{telegramId}/`
//! (`whatsmeow-{telegramId}-{phone}.db` and `bot_data-…`) and lists its
//! accounts in a master `bot_data.db` (`whatsapp_accounts`). Both are read,
//! since the old bot itself registered folders its master did not know.
//! For every account its linked device is carried into the same layout
//! under a new data directory ([`session`]); an account
//! that cannot be carried over is named with the reason, so its owner
//! knows to pair again. Imported accounts are listed in the standalone
//! registry of the data directory, so `tenant-bot standalone` serves them
//! at once. `--dry-run` does the whole conversion in a scratch directory
//! and throws it away. The old folder is never written.

use std::path::PathBuf;

use crds::PhoneNumber;

use crate::layout::{Access, USERS_DIR};

pub use local::{run_import, target};
pub use old_bot::accounts;

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
    Imported(session::Imported),
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
    #[error("cannot read {path}")]
    Config {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
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

/// Runs `tenant-bot import` and prints what happened to each account.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    if settings.kubernetes {
        return cluster::run(settings).await;
    }
    let results =
        local::run_import(&settings.old_bot_dir, &settings.data_dir, settings.dry_run).await?;
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
    match old_bot::config(&settings.old_bot_dir)? {
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

/// An account as the import names it: never its number in full.
pub(crate) fn who(account: &Account) -> String {
    format!("{} (owner {})", account.phone.masked(), account.owner)
}

/// `text` with the account's number masked (reasons name files).
pub(crate) fn masked(account: &Account, text: &str) -> String {
    text.replace(account.phone.as_str(), &account.phone.masked())
}

pub(crate) fn summary(access: &Access, token: Option<&str>) -> String {
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
mod local;
pub mod old_bot;
pub mod seed;
pub mod session;
#[cfg(test)]
mod tests;
