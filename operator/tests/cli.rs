//! The binary explains itself.

use std::process::Command;

#[test]
fn help_describes_the_operator() {
    let output = Command::new(env!("CARGO_BIN_EXE_operator"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("Usage: operator"), "{text}");
    assert!(text.contains("WhatsAppAccount"), "{text}");
}
