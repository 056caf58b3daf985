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

/// Creates the empty file `path`, readable and writable by its owner
/// alone (files that take session keys are made so before the keys go in).
pub fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map(drop)
}

/// Creates `dir` and any missing parents, each only its owner may enter;
/// folders already there keep their mode. Returns the folders it made,
/// outermost first, so a failed attempt can remove them again.
pub fn create_private_dirs(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    use std::os::unix::fs::DirBuilderExt as _;
    let mut missing = Vec::new();
    let mut next = Some(dir);
    while let Some(path) = next.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        missing.push(path.to_owned());
        next = path.parent();
    }
    missing.reverse();
    for path in &missing {
        match std::fs::DirBuilder::new().mode(0o700).create(path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
    }
    Ok(missing)
}

/// Makes the finished file `from` durable and renames it to `to`, in the
/// same folder: after a crash, `to` is either absent or whole.
pub fn make_durable(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::File::open(from)?.sync_all()?;
    std::fs::rename(from, to)?;
    if let Some(folder) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(folder)?.sync_all()?;
    }
    Ok(())
}
