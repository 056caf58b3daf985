//! Running this workspace's binaries from tests.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

/// A binary of this workspace, in the same profile directory as the
/// running executable (a test in `deps/`, or a binary next to it).
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let mut dir = exe.parent().expect("target directory");
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().unwrap_or(dir);
    }
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
