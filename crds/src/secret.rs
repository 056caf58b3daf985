//! The per-tenant secret, derived rather than stored.
//!
//! `HMAC-SHA256(install key, account name)`: the operator writes it into
//! the tenant's Secret, the front door computes it on the fly, so the front
//! door never needs to read a Secret, and one tenant's secret reveals
//! nothing about another's. Rotating the install key rotates them all.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header carrying a tenant secret on every call to a tenant (forwarded
/// updates, the operator's logout), the header Telegram itself uses for
/// webhook secrets. Lowercase, as HTTP/2 sends it.
pub const HEADER: &str = "x-telegram-bot-api-secret-token";

/// Bytes an install key must have at least; shorter keys are guessable.
pub const MIN_INSTALL_KEY_LEN: usize = 32;

/// Why an install key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The key is shorter than [`MIN_INSTALL_KEY_LEN`] bytes.
    #[error("the install key has {0} bytes; at least {MIN_INSTALL_KEY_LEN} are needed")]
    KeyTooShort(usize),
}

/// The install-wide key every tenant secret is derived from.
#[derive(Clone)]
pub struct InstallKey(Vec<u8>);

impl InstallKey {
    /// A key from its bytes, surrounding whitespace (a trailing newline in
    /// a mounted file) ignored.
    pub fn new(bytes: &[u8]) -> Result<Self, Error> {
        let trimmed = bytes.trim_ascii();
        if trimmed.len() < MIN_INSTALL_KEY_LEN {
            return Err(Error::KeyTooShort(trimmed.len()));
        }
        Ok(Self(trimmed.to_vec()))
    }

    /// The secret of the tenant serving `account`, as lowercase hex.
    pub fn tenant_secret(&self, account: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(account.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Compares secrets in time independent of where they differ.
pub fn same(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

impl std::fmt::Debug for InstallKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InstallKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> InstallKey {
        InstallKey::new(s.as_bytes()).unwrap()
    }

    #[test]
    fn derives_stable_distinct_secrets() {
        let k = key("0123456789abcdef0123456789abcdef");
        let a = k.tenant_secret("wa-447700900123");
        assert_eq!(a, k.tenant_secret("wa-447700900123"));
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, k.tenant_secret("wa-12025550123"));
        assert_ne!(
            a,
            key("fedcba9876543210fedcba9876543210").tenant_secret("wa-447700900123")
        );
    }

    #[test]
    fn is_plain_hmac_sha256() {
        // Computed independently: HMAC-SHA256(key = 32 x 'a', "abc").
        let k = key(&"a".repeat(32));
        assert_eq!(
            k.tenant_secret("abc"),
            "cf737c83fbee5dcacf131760736bc36844d8767039ecadf42d18c43bda160ae0"
        );
    }

    #[test]
    fn trims_and_rejects_short_keys() {
        assert_eq!(
            key("0123456789abcdef0123456789abcdef\n").tenant_secret("x"),
            key("0123456789abcdef0123456789abcdef").tenant_secret("x")
        );
        assert_eq!(
            InstallKey::new(b"short\n").err(),
            Some(Error::KeyTooShort(5))
        );
        assert!(!format!("{:?}", key(&"k".repeat(40))).contains("kkk"));
    }
}
