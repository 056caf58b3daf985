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
fn help_lists_every_role() {
    let (ok, text) = tenant_bot(&["--help"]);
    assert!(ok, "{text}");
    assert!(text.contains("front-door"), "{text}");
    assert!(text.contains("tenant"), "{text}");
    assert!(text.contains("import"), "{text}");
    for role in ["front-door", "tenant", "import"] {
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

#[test]
fn import_refuses_a_folder_that_is_not_the_old_bots() {
    let dir = std::env::temp_dir().join(format!("pawang-cli-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ok, text) = tenant_bot(&["import", dir.to_str().unwrap(), "--dry-run"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!ok);
    assert!(text.contains("is it the old bot's folder?"), "{text}");
}

/// Only a build without the fake backend (the release binary's kind) can
/// show it refused; a test build has it on purpose.
#[cfg(not(feature = "fake"))]
#[test]
fn a_build_without_the_fake_refuses_it_at_start() {
    let dir = std::env::temp_dir().join(format!("pawang-cli-fake-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret = dir.join("secret");
    std::fs::write(&secret, "a tenant secret").unwrap();
    let (ok, text) = tenant_bot(&[
        "tenant",
        "--account=wa-447700900123",
        "--namespace=pawang",
        "--phone=447700900123",
        "--owner=42",
        &format!("--secret-file={}", secret.display()),
        &format!("--data-dir={}", dir.display()),
        "--telegram-api-url=http://127.0.0.1:9",
        "--whatsapp-backend=fake",
    ]);
    let (standalone_ok, standalone) = tenant_bot(&[
        "standalone",
        "--bot-token=1:x",
        &format!("--data-dir={}", dir.join("standalone").display()),
        "--whatsapp-backend=fake",
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!ok, "{text}");
    assert!(text.contains("no fake WhatsApp backend"), "{text}");
    assert!(!standalone_ok, "{standalone}");
    assert!(
        standalone.contains("no fake WhatsApp backend"),
        "{standalone}"
    );
}
