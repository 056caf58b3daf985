//! Text files as users upload them: any bytes are read as text within the
//! limit or refused with a reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenant_bot::tenant::input::file;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = file::text(bytes, 4096) {
        assert!(text.len() <= 4 * 4096 + 4, "{} bytes", text.len());
    }
});
