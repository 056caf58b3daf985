//! Reading the old bot's SQLite files without leaving a trace.
//!
//! Opening a database, even read-only, is not harmless: in WAL mode SQLite
//! makes `-wal` and `-shm` files beside it, and a leftover log from a
//! crashed bot would be replayed into the file itself. So the old file is
//! never opened by SQLite. It is first checked for locks (an old bot that
//! is running holds its stores, and a copy taken under a writer is not
//! consistent) and read-locked as a reader would, so no writer commits
//! meanwhile; then it is copied with its write-ahead log or rollback
//! journal into a private scratch folder, and the copy is opened: SQLite applies the committed
//! part of a leftover log to the copy, exactly as the old bot would have
//! at its next start, and rolls back what a crash left unfinished.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use nix::fcntl::{FcntlArg, fcntl};
use nix::libc;
use rusqlite::Connection;

/// The files SQLite may keep beside a database, which hold committed data
/// a copy must take along (`-shm` is only an index, rebuilt from `-wal`).
const LOGS: [&str; 2] = ["-wal", "-journal"];

/// Why an old file could not be copied.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another process holds the file or is writing it.
    #[error("{0} is in use by another process")]
    Locked(PathBuf),
    /// The file could not be read or the copy written.
    #[error("cannot copy {path}")]
    Io {
        /// The old file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A private copy of an old database, gone when dropped.
#[derive(Debug)]
pub struct Snapshot {
    copy: PathBuf,
    _scratch: tempfile::TempDir,
}

impl Snapshot {
    /// Copies `file` and its log, after making sure no other process
    /// holds it, while keeping a writer from committing, and checking
    /// that nothing changed while it was copied.
    pub fn take(file: &Path) -> Result<Self, Error> {
        let io = |source| Error::Io {
            path: file.to_owned(),
            source,
        };
        let scratch = tempfile::Builder::new()
            .prefix("pawang-old-")
            .tempdir()
            .map_err(io)?;
        let name = file.file_name().unwrap_or(file.as_os_str());
        let copy = scratch.path().join(name);
        let database = std::fs::File::open(file).map_err(io)?;
        if in_use(&database, file).map_err(io)? || !hold_shared(&database).map_err(io)? {
            return Err(Error::Locked(file.to_owned()));
        }
        let before = state(file).map_err(io)?;
        copy_private(file, &copy).map_err(io)?;
        for log in LOGS {
            match copy_private(&with_suffix(file, log), &with_suffix(&copy, log)) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(io(error)),
            }
        }
        if in_use(&database, file).map_err(io)? || state(file).map_err(io)? != before {
            return Err(Error::Locked(file.to_owned()));
        }
        // The shared lock goes with the handle.
        drop(database);
        Ok(Self {
            copy,
            _scratch: scratch,
        })
    }

    /// Opens the copy; the first read applies a leftover log to it.
    pub fn open(&self) -> rusqlite::Result<Connection> {
        Connection::open(&self.copy)
    }
}

/// Copies `from` to `to`, readable and writable by its owner alone
/// whatever the original's mode (SQLite must be able to apply a log to
/// the copy).
fn copy_private(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::copy(from, to)?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600))
}

/// `path` with `suffix` added to its name (`x.db` and `-wal`: `x.db-wal`).
pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Size and modification time of the database and its logs, to see
/// whether anything wrote them while they were copied.
type State = Vec<Option<(u64, std::time::SystemTime)>>;

fn state(file: &Path) -> std::io::Result<State> {
    std::iter::once("")
        .chain(LOGS)
        .map(
            |suffix| match std::fs::metadata(with_suffix(file, suffix)) {
                Ok(meta) => Ok(Some((meta.len(), meta.modified()?))),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(error),
            },
        )
        .collect()
}

/// Where SQLite takes its locks in a database file: past the first
/// gigabyte, whatever the file's size. A reader holds a read lock on the
/// shared range; a writer must lock all of it to write the file.
const SHARED_FIRST: i64 = 0x4000_0002;
const SHARED_SIZE: i64 = 510;

/// A lock request or probe of `kind` over `start` and `len` bytes (a
/// length of 0 runs to the end of the file and beyond).
#[allow(clippy::cast_possible_truncation)]
fn lock(kind: i32, start: i64, len: i64) -> libc::flock {
    libc::flock {
        l_type: kind as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: start,
        l_len: len,
        l_pid: 0,
    }
}

/// Takes a read lock on the database's shared range for as long as
/// `database` stays open, as a reader would: a writer in rollback-journal
/// mode cannot commit meanwhile. An open-file-description lock, so the
/// copy's own opening and closing of the file cannot drop it. False when
/// a writer holds the range.
fn hold_shared(database: &std::fs::File) -> std::io::Result<bool> {
    let shared = lock(libc::F_RDLCK, SHARED_FIRST, SHARED_SIZE);
    match fcntl(database, FcntlArg::F_OFD_SETLK(&shared)) {
        Ok(_) => Ok(true),
        Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EACCES) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Whether another process holds a lock on the database or its
/// shared-memory index. SQLite locks with POSIX record locks: a
/// connection in WAL mode holds a read lock on both for as long as it is
/// open, and a writer in any mode holds one while it writes. Asking
/// takes no lock and writes nothing, and sees past this process's own
/// lock on `database`.
fn in_use(database: &std::fs::File, file: &Path) -> std::io::Result<bool> {
    if locked_by_another(database)? {
        return Ok(true);
    }
    match std::fs::File::open(with_suffix(file, "-shm")) {
        Ok(index) => locked_by_another(&index),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
    }
}

/// Whether any byte of `file` is locked by another open file.
fn locked_by_another(file: &impl AsFd) -> std::io::Result<bool> {
    let mut probe = lock(libc::F_WRLCK, 0, 0);
    fcntl(file, FcntlArg::F_OFD_GETLK(&mut probe))?;
    Ok(i32::from(probe.l_type) != libc::F_UNLCK)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_copy_carries_the_committed_part_of_a_leftover_log() {
        let dir = tempfile::tempdir().unwrap();
        let (live, crashed) = (dir.path().join("live.db"), dir.path().join("crashed.db"));
        let writer = Connection::open(&live).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2);",
            )
            .unwrap();
        // What a bot killed now leaves behind: the file and its log.
        for suffix in ["", "-wal", "-shm"] {
            std::fs::copy(with_suffix(&live, suffix), with_suffix(&crashed, suffix)).unwrap();
        }
        drop(writer);
        let before = std::fs::read(&crashed).unwrap();

        let snapshot = Snapshot::take(&crashed).unwrap();
        let sum: i64 = snapshot
            .open()
            .unwrap()
            .query_row("SELECT sum(v) FROM t", [], |r| r.get(0))
            .unwrap();

        assert_eq!(sum, 3);
        assert_eq!(std::fs::read(&crashed).unwrap(), before);
    }
}
