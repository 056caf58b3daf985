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
        "{} is missing; build it first (`cargo build -p {name} --features tenant-bot/fake`, as `make e2e` does)",
        path.display()
    );
    path
}

/// The peak resident memory of process `pid` so far, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A loopback address nothing listens on right now.
pub fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// Prints the last lines of `log`, read from `source`, for a failing test.
pub fn print_tail(source: impl std::fmt::Display, log: &str) {
    let tail: Vec<_> = log.lines().rev().take(40).collect();
    eprintln!("--- last lines of {source}");
    for line in tail.iter().rev() {
        eprintln!("{line}");
    }
}
