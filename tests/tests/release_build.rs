//! What test builds have and release builds must not.
//!
//! The scenario server's self-made certificate chain is accepted only by
//! a client built with whatsapp-rust's `danger-skip-cert-chain-verify`,
//! and the fake WhatsApp backend is tenant-bot's `fake` feature. This
//! crate turns both on for its own builds; the binaries the release image
//! ships (`-p operator -p tenant-bot`, see image/build.sh and the
//! Dockerfile) are built without either.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

const FEATURE: &str = "danger-skip-cert-chain-verify";
/// How `cargo tree` names tenant-bot's fake backend when it is on.
const FAKE: &str = "tenant-bot feature \"fake\"";

/// `cargo tree`'s features of the packages `packages` build, as cargo
/// resolves them for that build.
fn features(packages: &[&str]) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root).args([
        "tree",
        "--locked",
        "--offline",
        "--edges",
        "features",
        "--prefix",
        "none",
    ]);
    for package in packages {
        command.args(["--package", package]);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_shipped_binaries_verify_whatsapps_certificates() {
    let shipped = features(&["operator", "tenant-bot"]);
    assert!(
        shipped.contains("whatsapp-rust"),
        "the tree names whatsapp-rust"
    );
    let found: Vec<&str> = shipped.lines().filter(|l| l.contains(FEATURE)).collect();
    assert!(
        found.is_empty(),
        "the release build has {FEATURE}: {found:?}"
    );
}

#[test]
fn the_test_build_has_the_bypass_the_check_looks_for() {
    assert!(features(&["tests"]).contains(FEATURE));
}

#[test]
fn the_shipped_binaries_have_no_fake_whatsapp() {
    let shipped = features(&["operator", "tenant-bot"]);
    assert!(
        shipped.contains("tenant-bot v"),
        "the tree names tenant-bot"
    );
    assert!(
        !shipped.contains(FAKE),
        "the release build has the fake backend"
    );
}

#[test]
fn the_test_build_has_the_fake_the_check_looks_for() {
    assert!(features(&["tests"]).contains(FAKE));
}
