//! Seeds: an imported account's files, carried to its tenant's new volume.
//!
//! On Kubernetes the import cannot write into a volume no pod has mounted
//! yet. It packs each account's files (`whatsmeow-…` and `bot_data-…`),
//! gzip-compressed, into a Secret named [`crds::naming::seed_secret`]. The
//! tenant's pod mounts that Secret when it exists, and at start the tenant
//! unpacks it into an empty volume ([`unpack`]). A volume that already
//! holds a session is never overwritten. Once the tenant reports the
//! account paired, the operator deletes the Secret, so session keys do not
//! linger outside the volume.

use std::io::{Read as _, Write as _};
use std::path::Path;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

/// What a seed file's key ends with in its Secret.
pub const SUFFIX: &str = ".gz";
/// The most one unpacked file may hold (a guard against a gzip bomb; a
/// session store is well under a megabyte).
pub const MAX_UNPACKED: u64 = 64 * 1024 * 1024;
/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";

/// Why a seed cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// An unpacked file is not an SQLite database.
    #[error("{0} in the seed is not an SQLite database")]
    NotSqlite(String),
    /// An unpacked file is larger than [`MAX_UNPACKED`].
    #[error("{0} in the seed unpacks to more than {MAX_UNPACKED} bytes")]
    TooLarge(String),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

/// The gzip-compressed bytes of `path`.
pub fn pack(path: &Path) -> Result<Vec<u8>, Error> {
    let bytes = std::fs::read(path).map_err(io(format!("cannot read {}", path.display())))?;
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder
        .write_all(&bytes)
        .and_then(|()| encoder.finish())
        .map_err(io("cannot compress"))
}

/// What [`unpack`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unpacked {
    /// The seed holds no session for this account.
    NoSeed,
    /// The volume holds a session already; the seed was left alone.
    SessionThere,
    /// These files were written.
    Files(Vec<String>),
}

/// Unpacks the seed in `seed_dir` into `data_dir`: `files` are the names
/// this account's files have, `files[0]` its session store. Only those are
/// taken, only when the session store is not in `data_dir` yet, and none
/// that is there already; the session store is written last, so a start
/// interrupted halfway unpacks it again. Each file is written under a
/// temporary name and renamed, so none is ever seen half-written.
pub fn unpack(seed_dir: &Path, data_dir: &Path, files: &[String]) -> Result<Unpacked, Error> {
    let Some((session, rest)) = files.split_first() else {
        return Ok(Unpacked::NoSeed);
    };
    let packed = |name: &str| seed_dir.join(format!("{name}{SUFFIX}"));
    if !packed(session).is_file() {
        return Ok(Unpacked::NoSeed);
    }
    if data_dir.join(session).exists() {
        return Ok(Unpacked::SessionThere);
    }
    let mut written = Vec::new();
    for name in rest.iter().chain(std::iter::once(session)) {
        let source = packed(name);
        let target = data_dir.join(name);
        if !source.is_file() || target.exists() {
            continue;
        }
        let bytes = unpack_file(&source, name)?;
        let partial = data_dir.join(format!(".{name}.seeding"));
        let write = || -> std::io::Result<()> {
            // Session keys: readable by the tenant alone, so what an
            // interrupted start left (of any mode) goes first.
            match std::fs::remove_file(&partial) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
                _ => {}
            }
            crate::layout::create_private(&partial)?;
            let mut file = std::fs::OpenOptions::new().write(true).open(&partial)?;
            file.write_all(&bytes)?;
            drop(file);
            crate::layout::make_durable(&partial, &target)
        };
        write().map_err(io(format!("cannot write {}", target.display())))?;
        written.push(name.clone());
    }
    Ok(Unpacked::Files(written))
}

fn unpack_file(source: &Path, name: &str) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(source).map_err(io(format!("cannot read {name}{SUFFIX}")))?;
    let mut bytes = Vec::new();
    GzDecoder::new(file)
        .take(MAX_UNPACKED + 1)
        .read_to_end(&mut bytes)
        .map_err(io(format!("cannot unpack {name}{SUFFIX}")))?;
    if bytes.len() as u64 > MAX_UNPACKED {
        return Err(Error::TooLarge(name.to_owned()));
    }
    if !bytes.starts_with(SQLITE_HEADER) {
        return Err(Error::NotSqlite(name.to_owned()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const SESSION: &str = "whatsmeow-42-6281200000100.db";
    const DATA: &str = "bot_data-42-6281200000100.db";

    fn names() -> Vec<String> {
        vec![SESSION.to_owned(), DATA.to_owned()]
    }

    /// A seed folder holding `files` packed, each an SQLite file.
    fn seed_with(dir: &Path, files: &[&str]) {
        std::fs::create_dir_all(dir).unwrap();
        for name in files {
            let plain = dir.join(format!("{name}.plain"));
            let connection = rusqlite::Connection::open(&plain).unwrap();
            connection
                .execute_batch(&format!(
                    "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('{name}');"
                ))
                .unwrap();
            drop(connection);
            std::fs::write(dir.join(format!("{name}{SUFFIX}")), pack(&plain).unwrap()).unwrap();
            std::fs::remove_file(plain).unwrap();
        }
    }

    fn value(path: &Path) -> String {
        rusqlite::Connection::open(path)
            .unwrap()
            .query_row("SELECT v FROM t", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn an_empty_volume_takes_the_seed_and_the_session_comes_last() {
        let dir = tempfile::tempdir().unwrap();
        let (seed, data) = (dir.path().join("seed"), dir.path().join("data"));
        std::fs::create_dir_all(&data).unwrap();
        seed_with(&seed, &[SESSION, DATA, "whatsmeow-7-6281200000200.db"]);

        let done = unpack(&seed, &data, &names()).unwrap();

        assert_eq!(done, Unpacked::Files(vec![DATA.into(), SESSION.into()]));
        assert_eq!(value(&data.join(SESSION)), SESSION);
        assert_eq!(value(&data.join(DATA)), DATA);
        // Another account's file in the seed is not taken, and nothing
        // half-written is left.
        let mut left: Vec<_> = std::fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, vec![DATA.to_owned(), SESSION.to_owned()]);
        use std::os::unix::fs::PermissionsExt as _;
        for name in [SESSION, DATA] {
            let mode = std::fs::metadata(data.join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }

    #[test]
    fn a_volume_with_a_session_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (seed, data) = (dir.path().join("seed"), dir.path().join("data"));
        std::fs::create_dir_all(&data).unwrap();
        seed_with(&seed, &[SESSION, DATA]);
        std::fs::write(data.join(SESSION), b"mine").unwrap();

        assert_eq!(
            unpack(&seed, &data, &names()).unwrap(),
            Unpacked::SessionThere
        );
        assert_eq!(std::fs::read(data.join(SESSION)).unwrap(), b"mine");
        assert!(!data.join(DATA).exists());
    }

    #[test]
    fn bot_data_already_there_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (seed, data) = (dir.path().join("seed"), dir.path().join("data"));
        std::fs::create_dir_all(&data).unwrap();
        seed_with(&seed, &[SESSION, DATA]);
        std::fs::write(data.join(DATA), b"mine").unwrap();

        let done = unpack(&seed, &data, &names()).unwrap();

        assert_eq!(done, Unpacked::Files(vec![SESSION.into()]));
        assert_eq!(std::fs::read(data.join(DATA)).unwrap(), b"mine");
    }

    #[test]
    fn no_seed_or_a_seed_without_the_session_does_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (seed, data) = (dir.path().join("seed"), dir.path().join("data"));
        std::fs::create_dir_all(&data).unwrap();
        assert_eq!(unpack(&seed, &data, &names()).unwrap(), Unpacked::NoSeed);
        seed_with(&seed, &[DATA]);
        assert_eq!(unpack(&seed, &data, &names()).unwrap(), Unpacked::NoSeed);
        assert!(!data.join(DATA).exists());
    }

    #[test]
    fn a_bad_seed_is_refused_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (seed, data) = (dir.path().join("seed"), dir.path().join("data"));
        std::fs::create_dir_all(&data).unwrap();
        std::fs::create_dir_all(&seed).unwrap();
        let packed = seed.join(format!("{SESSION}{SUFFIX}"));

        std::fs::write(&packed, b"not gzip at all").unwrap();
        assert!(matches!(
            unpack(&seed, &data, &names()),
            Err(Error::Io { .. })
        ));

        let text = seed.join("text");
        std::fs::write(&text, b"hello, not a database").unwrap();
        std::fs::write(&packed, pack(&text).unwrap()).unwrap();
        assert!(matches!(
            unpack(&seed, &data, &names()),
            Err(Error::NotSqlite(name)) if name == SESSION
        ));

        // A gzip bomb stops at the limit.
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(SQLITE_HEADER).unwrap();
        let zeros = vec![0_u8; 1024 * 1024];
        for _ in 0..=MAX_UNPACKED / zeros.len() as u64 {
            encoder.write_all(&zeros).unwrap();
        }
        std::fs::write(&packed, encoder.finish().unwrap()).unwrap();
        assert!(matches!(
            unpack(&seed, &data, &names()),
            Err(Error::TooLarge(_))
        ));

        assert_eq!(std::fs::read_dir(&data).unwrap().count(), 0);
    }
}
