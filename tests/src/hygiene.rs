//! Log hygiene: what no log of any process the tests run may hold.
//!
//! Every harness that runs a process (the operator, the front door, the
//! tenants, a standalone install) scans its logs with [`assert_clean`]
//! when it is dropped, so every end-to-end, fault and load run is checked
//! without each test remembering to. Found are:
//! - the tests' bot tokens and install keys, and anything shaped like a
//!   bot token (`<digits>:<35 characters>`);
//! - tenant secrets and other long hex strings (40 hex digits or more);
//! - pairing codes: the fake WhatsApp's (`FAKE0001`) and WhatsApp's shape
//!   (`ABCD-EFGH`);
//! - full phone numbers: the tests use only the fictional ranges `44 7700
//!   900…` and `62 812…` (`0812…` typed locally), so any run of 11 to 15
//!   digits starting `44`, `62` or `08` is one. A masked number
//!   (`62812*****100`) is fine.

use std::sync::LazyLock;

use regex::Regex;

/// Literal secrets of the test harnesses.
fn literals() -> [&'static str; 2] {
    [crate::front_door::BOT_TOKEN, crate::operator::INSTALL_KEY]
}

static PATTERNS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("a bot token", r"\b\d{6,12}:[A-Za-z0-9_-]{35}\b"),
        ("a secret (long hex)", r"\b[0-9a-f]{40,}\b"),
        (
            "a pairing code",
            r"\bFAKE\d{4}\b|\b[A-Z0-9]{4}-[A-Z0-9]{4}\b",
        ),
        (
            "a full phone number",
            r"(?:^|[^0-9])((?:44|62|08)\d{9,13})(?:[^0-9]|$)",
        ),
    ]
    .into_iter()
    .map(|(what, pattern)| (what, Regex::new(pattern).expect("a valid pattern")))
    .collect()
});

/// Every line of `log` that holds something it must not, with what.
pub fn findings(log: &str, also: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for line in log.lines() {
        for secret in literals().iter().chain(also) {
            if !secret.is_empty() && line.contains(secret) {
                found.push(format!("a test secret: {line}"));
            }
        }
        for (what, pattern) in PATTERNS.iter() {
            if pattern.is_match(line) {
                found.push(format!("{what}: {line}"));
            }
        }
    }
    found
}

/// Panics with every finding of `log` (named `name`), unless the thread
/// is panicking already (a failed test keeps its own message).
pub fn assert_clean(name: &str, log: &str, also: &[&str]) {
    if std::thread::panicking() {
        return;
    }
    let found = findings(log, also);
    assert!(
        found.is_empty(),
        "{name} logged what it must not:\n{}",
        found.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_must_not_be_logged() {
        let bad = [
            "token 123456:TEST-TOKEN-not-a-real-one",
            "bot 1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
            "secret=3f1c9a0e5b7d2468ace013579bdf2468ace013579bdf2468ace013579bdf2468",
            "your code is FAKE0042",
            "code ABCD-1234 sent",
            "account=wa-6281200000100",
            "phone 447700900123 linked",
            "typed 081200010042",
        ];
        for line in bad {
            assert_eq!(findings(line, &[]).len(), 1, "{line}");
        }
        assert_eq!(findings("x my-secret y", &["my-secret"]).len(), 1);
    }

    #[test]
    fn lets_ordinary_lines_through() {
        let good = [
            "account=wa-62812*****100 phase changed",
            "owner 6069200001 paired at 1764000000123",
            "uid 0b5e3c1a-7f24-68ac-e013-579bdf2468ac",
            "resourceVersion 123456789012",
            "serving address=127.0.0.1:38899",
            "Invite links: 3 done in 2 s",
        ];
        for line in good {
            assert!(
                findings(line, &[]).is_empty(),
                "{line}: {:?}",
                findings(line, &[])
            );
        }
    }
}
