//! Invite links and group names typed by users: codes found once each,
//! names accepted or refused with a reason, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenant_bot::tenant::input::{links, names};

fuzz_target!(|text: &str| {
    let found = links::invite_links(text);
    let unique: std::collections::HashSet<_> = found.codes.iter().collect();
    assert_eq!(unique.len(), found.codes.len(), "a code twice");
    let _ = names::parse(text);
});
