//! The tenant's data directory: made if missing and checked writable
//! before anything is opened in it, so that a volume the tenant cannot
//! write is named as such, with who owns it, instead of surfacing as
//! SQLite's "unable to open database file".

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// Why the data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The directory cannot be made.
    #[error("cannot create the data directory {path}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The directory is there, but this process may not write in it.
    #[error(
        "the data directory {path} is not writable by this process (uid {uid}, gid {gid}): \
         it belongs to uid {owner}, gid {group}, mode {mode:04o}; its volume must let the \
         pod's user write (a storage class that applies the pod's fsGroup, or one that \
         makes folders anyone may write)"
    )]
    NotWritable {
        path: PathBuf,
        uid: u32,
        gid: u32,
        owner: u32,
        group: u32,
        mode: u32,
        #[source]
        source: std::io::Error,
    },
    /// Writing failed for another reason (a read-only or full volume).
    #[error("cannot write in the data directory {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Makes `dir` if needed and proves a file can be written in it.
pub fn prepare(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Create {
        path: dir.to_owned(),
        source,
    })?;
    match tempfile::Builder::new()
        .prefix(".write-check")
        .tempfile_in(dir)
    {
        Ok(_) => Ok(()),
        Err(source) if source.kind() == std::io::ErrorKind::PermissionDenied => {
            let meta = std::fs::metadata(dir).map_err(|source| Error::Write {
                path: dir.to_owned(),
                source,
            })?;
            Err(Error::NotWritable {
                path: dir.to_owned(),
                uid: nix::unistd::getuid().as_raw(),
                gid: nix::unistd::getgid().as_raw(),
                owner: meta.uid(),
                group: meta.gid(),
                mode: meta.mode() & 0o7777,
                source,
            })
        }
        Err(source) => Err(Error::Write {
            path: dir.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writable_directory_is_made_and_left_clean() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        prepare(&data).unwrap();
        assert!(data.is_dir());
        assert_eq!(std::fs::read_dir(&data).unwrap().count(), 0);
    }

    // A directory this process may not write is met end to end, on a
    // volume of the node that only root may write; here, what it says.
    #[test]
    fn a_directory_that_is_not_writable_is_named_with_its_owner_and_mode() {
        let error = Error::NotWritable {
            path: "/data".into(),
            uid: 65532,
            gid: 65532,
            owner: 0,
            group: 0,
            mode: 0o750,
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        let said = error.to_string();
        assert!(said.contains("/data is not writable"), "{said}");
        assert!(said.contains("uid 65532"), "{said}");
        assert!(
            said.contains("belongs to uid 0, gid 0, mode 0750"),
            "{said}"
        );
        assert!(said.contains("fsGroup"), "{said}");
    }
}
