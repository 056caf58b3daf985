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
//! and throws it away. The old folder is never written ([`snapshot`]), each
//! account is imported all or nothing, and a summary says what needs the
//! user ([`Tally`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crds::{PhoneNumber, naming};

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

/// Why something could not be done, kept with its causes.
pub type Reason = Box<dyn std::error::Error + Send + Sync>;

/// What happened to one account.
#[derive(Debug)]
pub enum Outcome {
    /// The session was carried over (or would be, in a dry run).
    Imported(session::Imported),
    /// Imported before: the new session is there and holds a device.
    AlreadyThere,
    /// The old session cannot be used: its owner must pair again.
    NeedsPairing(Reason),
    /// The old bot holds the store (it seems to be running): nothing was
    /// done, and a run after it is stopped imports the account.
    Locked(PathBuf),
    /// This side failed (writing, registering); nothing half-done is
    /// left, and running the import again finishes the job.
    Failed(Reason),
}

/// Why the old folder cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Neither a master database nor a users' folder is there.
    #[error("{0} holds neither bot_data.db nor {USERS_DIR}/; is it the old bot's folder?")]
    NotOldBot(PathBuf),
    /// The old bot holds its master database: it seems to be running.
    #[error("{0} is in use: the old bot seems to be running; stop it, then run the import again")]
    Locked(PathBuf),
    /// A database of the old folder could not be copied to be read.
    #[error(transparent)]
    Copy(snapshot::Error),
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
    /// A folder could not be listed.
    #[error("cannot list {path}")]
    List {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The data directory is the old folder, or inside it, or holds it.
    #[error(
        "the data directory {data} and the old bot's folder {old} overlap; the old folder is never written: choose another --data-dir"
    )]
    Overlap {
        /// The old folder.
        old: PathBuf,
        /// The data directory.
        data: PathBuf,
    },
    /// The data directory could not be written.
    #[error("cannot write {path}")]
    Write {
        /// What was being written.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The exit status of an import that ran but left something needing the
/// user: an account to pair again, one skipped because the old bot holds
/// it, or one to import again.
pub const NEEDS_ATTENTION: u8 = 2;

/// How many accounts ended each way.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Imported now (or, in a dry run, would be).
    pub imported: usize,
    /// There from an earlier run, left alone.
    pub already_there: usize,
    /// To pair again.
    pub to_pair: usize,
    /// Skipped because the old bot holds them.
    pub locked: usize,
    /// Failed on this side; a rerun finishes them.
    pub failed: usize,
}

impl Tally {
    /// Counts `outcome`.
    pub fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Imported(_) => self.imported += 1,
            Outcome::AlreadyThere => self.already_there += 1,
            Outcome::NeedsPairing(_) => self.to_pair += 1,
            Outcome::Locked(_) => self.locked += 1,
            Outcome::Failed(_) => self.failed += 1,
        }
    }

    /// Whether anything needs the user.
    pub fn needs_attention(&self) -> bool {
        self.to_pair + self.locked + self.failed > 0
    }

    /// The closing lines of a run, with what to do about each kind.
    pub fn summary(&self, dry_run: bool) -> String {
        let imported = if dry_run {
            "would be imported"
        } else {
            "imported"
        };
        let mut lines = vec![
            format!(
                "summary: {} accounts",
                self.imported + self.already_there + self.to_pair + self.locked + self.failed
            ),
            format!("  {imported}: {}", self.imported),
            format!("  already there: {}", self.already_there),
            format!("  to pair again: {}", self.to_pair),
            format!("  skipped because locked: {}", self.locked),
            format!("  failed: {}", self.failed),
        ];
        if self.to_pair > 0 {
            lines.push("their owners link them again with /pair; the reasons are above".to_owned());
        }
        if self.locked > 0 {
            lines.push(
                "the old bot seems to be running: stop it, then run the import again".to_owned(),
            );
        }
        if self.failed > 0 {
            lines.push("nothing half-done was left: run the import again to finish".to_owned());
        }
        lines.push("the old folder was not changed".to_owned());
        lines.join("\n")
    }
}

/// The old folder as an absolute path, after making sure the data
/// directory is neither the old folder nor inside it, nor the other way
/// round: nothing may be written there.
fn apart(old: &Path, data: Option<&Path>) -> Result<PathBuf, Error> {
    let old = std::fs::canonicalize(old).map_err(|source| Error::List {
        path: old.to_owned(),
        source,
    })?;
    let Some(data) = data else {
        return Ok(old);
    };
    // The data directory may not exist yet: its nearest existing folder
    // decides, with the rest of the path after it.
    let mut existing = data.to_owned();
    let mut rest = Vec::new();
    let data = loop {
        match std::fs::canonicalize(&existing) {
            Ok(found) => break rest.iter().rev().fold(found, |path, part| path.join(part)),
            Err(_) => match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_owned());
                    existing = if parent.as_os_str().is_empty() {
                        PathBuf::from(".")
                    } else {
                        parent.to_owned()
                    };
                }
                _ => break existing.clone(),
            },
        }
    };
    if data.starts_with(&old) || old.starts_with(&data) {
        return Err(Error::Overlap { old, data });
    }
    Ok(old)
}

/// One account's line, the outcome's causes included, numbers masked,
/// the old bot's files named from its folder `old`.
pub(crate) fn line(account: &Account, outcome: &Outcome, imported: &str, old: &Path) -> String {
    let who = who(account);
    let told = match outcome {
        Outcome::Imported(session) => format!("{imported}, {} pre-keys", session.pre_keys),
        Outcome::AlreadyThere => "imported before, left as it is".to_owned(),
        Outcome::NeedsPairing(reason) => format!("must pair again: {}", chain(reason)),
        Outcome::Locked(path) => format!(
            "skipped: {} is in use; the old bot seems to be running",
            path.display()
        ),
        Outcome::Failed(reason) => {
            format!("not imported, run the import again: {}", chain(reason))
        }
    };
    let told = told.replace(&format!("{}/", old.display()), "");
    format!("{who}: {}", naming::Redacted(told))
}

/// Runs `tenant-bot import`, prints what happened to each account and
/// a summary, and says whether anything needs the user
/// ([`NEEDS_ATTENTION`]).
pub async fn run(mut settings: Settings) -> anyhow::Result<ExitCode> {
    // With --kubernetes nothing is written but a private scratch folder.
    let data = (!settings.kubernetes).then_some(settings.data_dir.as_path());
    settings.old_bot_dir = apart(&settings.old_bot_dir, data)?;
    let tally = if settings.kubernetes {
        cluster::run(&settings).await?
    } else {
        let results =
            local::run_import(&settings.old_bot_dir, &settings.data_dir, settings.dry_run).await?;
        let imported = if settings.dry_run {
            "session would be imported"
        } else {
            "session imported"
        };
        let mut tally = Tally::default();
        for (account, outcome) in &results {
            println!(
                "{}",
                line(account, outcome, imported, &settings.old_bot_dir)
            );
            tally.add(outcome);
        }
        match old_bot::config(&settings.old_bot_dir)? {
            Some((access, token)) => println!("settings: {}", summary(&access, token.as_deref())),
            None => println!("settings: no config/config.json or akses.json"),
        }
        tally
    };
    println!("{}", tally.summary(settings.dry_run));
    Ok(if tally.needs_attention() {
        ExitCode::from(NEEDS_ATTENTION)
    } else {
        ExitCode::SUCCESS
    })
}

fn chain(reason: &Reason) -> naming::Chain<'_> {
    naming::Chain(&**reason)
}

/// An account as the import names it: never its number in full.
pub(crate) fn who(account: &Account) -> String {
    format!("{} (owner {})", account.phone.masked(), account.owner)
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
pub mod snapshot;
#[cfg(test)]
mod tests;
