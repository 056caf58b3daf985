//! Running this workspace's binaries from tests.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

/// A binary of this workspace, next to the test executable's `deps/`.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing; build it first (`cargo build -p {name}`, as `make e2e` does)",
        path.display()
    );
    path
}

/// A loopback address nothing listens on right now.
pub fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}
