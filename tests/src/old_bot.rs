//! The old Go bot's folder, written by the libraries that bot runs on:
//! `tests/oldbot` (whatsmeow's SQL store over go-sqlite3), built from its
//! Go modules by `oldbot/build.sh` and cached.
//!
//! Its folder: its settings (`config/config.json`: admins 11 and 12,
//! allowed users 21 and 22, a bot token), a master listing two accounts (`6281200000100` of owner
//! `6069200001`, linked, and `6281200000300` of the same owner, logged
//! out), and `6281200000200` of owner `6069200002`, linked, which only its
//! folder shows.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;

/// How the old bot left its databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Journal {
    /// Rollback-journal mode, closed.
    Delete,
    /// WAL mode (what the old bot uses), closed cleanly.
    Wal,
    /// WAL mode, the bot killed after its last write: every store's
    /// committed pages are still in the `-wal` beside it.
    Crashed,
}

impl Journal {
    fn flag(self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Wal => "wal",
            Self::Crashed => "crashed",
        }
    }
}

/// What an account's whatsmeow store holds, as the writer reports it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Written {
    /// The owner's Telegram id.
    pub owner: i64,
    /// The account's number.
    pub phone: String,
    /// The linked device's JID.
    pub jid: String,
    /// Its registration id.
    pub registration_id: u32,
    /// The noise key's public half, hex.
    pub noise_public: String,
    /// The identity key's public half, hex.
    pub identity_public: String,
    /// The signed pre-key's id.
    pub signed_pre_key_id: u32,
    /// The ADV secret, hex.
    pub adv_secret: String,
    /// The push name.
    pub push_name: String,
    /// The one-time pre-keys' ids.
    pub pre_keys: Vec<u32>,
    /// False when the account was logged out (its device deleted).
    pub linked: bool,
}

/// The writer, built once per test process.
fn writer() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let script = std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
            .join("oldbot/build.sh");
        let output = Command::new(&script)
            .stderr(Stdio::inherit())
            .output()
            .expect("run oldbot/build.sh");
        assert!(output.status.success(), "oldbot/build.sh failed");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .last()
            .map(PathBuf::from)
            .expect("oldbot/build.sh printed the binary")
    })
}

fn command(dir: &Path, journal: Journal) -> Command {
    let mut command = Command::new(writer());
    command
        .arg("-dir")
        .arg(dir)
        .args(["-journal", journal.flag()])
        .stderr(Stdio::inherit());
    command
}

/// Writes the old bot's folder into `dir`, its stores left in `journal`
/// mode; what each store holds.
pub fn write(dir: &Path, journal: Journal) -> Vec<Written> {
    let output = command(dir, journal).output().expect("run oldbot");
    assert!(output.status.success(), "oldbot failed");
    serde_json::from_slice(&output.stdout).expect("oldbot's report")
}

/// The old bot still running: it holds one account's store open (in WAL
/// mode, with its read lock) until dropped.
#[derive(Debug)]
pub struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Running {
    /// Writes the old bot's folder into `dir` and keeps the store of
    /// `phone` open (`master`: the master database); what each store
    /// holds.
    pub fn write_and_hold(dir: &Path, phone: &str) -> (Vec<Written>, Self) {
        let mut child = command(dir, Journal::Wal)
            .args(["-hold", phone])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run oldbot");
        let stdin = child.stdin.take();
        let mut lines = BufReader::new(child.stdout.take().expect("oldbot's stdout")).lines();
        let report = lines.next().expect("oldbot's report").expect("read oldbot");
        // It says so once the store is held.
        let holding = lines.next().expect("oldbot holds").expect("read oldbot");
        assert_eq!(holding, "holding");
        let written = serde_json::from_str(&report).expect("oldbot's report");
        (written, Self { child, stdin })
    }

    /// Stops the old bot: it closes the store and ends.
    pub fn stop(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("wait for oldbot");
        assert!(status.success(), "oldbot ended with {status}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            drop(self.stdin.take());
            let _ = self.child.wait();
        }
    }
}
