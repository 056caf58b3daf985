//! What the front door and tenants read from an update before anything
//! else: its sender and the account a button names. Any JSON, or none.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenant_bot::protocol::callback;
use tenant_bot::protocol::update::sender;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(update) = serde_json::from_slice::<serde_json::Value>(bytes) {
        let _ = sender(&update);
        if let Some(data) = update["callback_query"]["data"].as_str()
            && let Some((account, _)) = callback::untag(data)
        {
            assert!(account.starts_with("wa-"), "{account:?}");
        }
    }
    if let Ok(data) = std::str::from_utf8(bytes)
        && let Some((account, rest)) = callback::untag(data)
    {
        assert!(data.ends_with(rest));
        assert!(account[3..].bytes().all(|b| b.is_ascii_digit()));
    }
});
