//! Group photos as users upload them: any bytes are decoded, cropped and
//! re-encoded as a JPEG, or refused with a reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenant_bot::tenant::input::photo;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(jpeg) = photo::square_jpeg(bytes, 1 << 20) {
        assert!(jpeg.starts_with(&[0xFF, 0xD8]), "not a JPEG");
    }
});
