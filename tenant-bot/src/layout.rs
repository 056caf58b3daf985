//! The folder layout Pawang shares with the old bot: where each owner's
//! files are, the settings and token a standalone install keeps next to
//! them, and how private files are written. The import reads the old
//! folder by it, the standalone install keeps its own by it.

use std::path::Path;

/// The folder of users' files, in the old bot's layout and in ours.
pub const USERS_DIR: &str = "DB USER TELEGRAM";

/// Where a standalone install keeps imported settings.
pub const ACCESS_FILE: &str = "access.json";

/// The bot token a standalone install falls back on.
pub const TOKEN_FILE: &str = "bot-token";

/// The old bot's settings that matter here.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Access {
    /// Telegram ids with admin rights.
    pub admins: Vec<i64>,
    /// When not empty, the only Telegram ids that may use the bot.
    pub allowed_users: Vec<i64>,
}

/// Writes a file only its owner can read.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}
