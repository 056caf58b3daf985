//! vCard files as users upload them: contacts or a reason, never a panic;
//! the numbers found read like the typed ones.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenant_bot::tenant::input::{numbers, vcf};

fuzz_target!(|text: &str| {
    if let Ok(contacts) = vcf::contacts(text) {
        let read = numbers::from_contacts(&contacts);
        for number in &read.valid {
            assert!(number.bytes().all(|b| b.is_ascii_digit()), "{number:?}");
        }
    }
});
