//! Phone numbers as users type them: any text gives valid numbers in
//! E.164 digits, each once, and the rest as invalid; nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenant_bot::tenant::input::numbers;

fuzz_target!(|text: &str| {
    let read = numbers::from_text(text);
    let mut seen = std::collections::HashSet::new();
    for number in &read.valid {
        assert!(number.bytes().all(|b| b.is_ascii_digit()), "{number:?}");
        assert!((8..=15).contains(&number.len()), "{number:?}");
        assert!(seen.insert(number), "{number:?} twice");
    }
    let _ = tenant_bot::phone::normalize(text);
});
