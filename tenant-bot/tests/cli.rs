//! The binary explains itself and refuses what it does not know.
#![allow(clippy::unwrap_used)] // a test helper: failing to run the binary fails the test

use std::process::Command;

fn tenant_bot(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tenant-bot"))
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn help_lists_both_roles() {
    let (ok, text) = tenant_bot(&["--help"]);
    assert!(ok, "{text}");
    assert!(text.contains("front-door"), "{text}");
    assert!(text.contains("tenant"), "{text}");
    for role in ["front-door", "tenant"] {
        let (ok, text) = tenant_bot(&[role, "--help"]);
        assert!(ok, "{text}");
        assert!(
            text.contains(&format!("Usage: tenant-bot {role}")),
            "{text}"
        );
    }
}

#[test]
fn unknown_role_is_an_error() {
    let (ok, text) = tenant_bot(&["bogus"]);
    assert!(!ok);
    assert!(text.contains("unrecognized subcommand 'bogus'"), "{text}");
}
