//! Callback data that names its account.
//!
//! A tenant's buttons leave through the gateway, which prefixes each
//! button's data with the tenant's account name; when the button is
//! pressed, the front door reads the account back from the data, checks
//! that the presser owns it, strips the prefix and forwards the press to
//! that account, whichever account is active. So a button on an older
//! message of another account reaches the account that sent it.

use crds::naming::ACCOUNT_NAME_PREFIX;

/// Separates the account name from the tenant's own data.
const SEPARATOR: char = '|';

/// Telegram's limit on callback data, in bytes.
pub const MAX_DATA: usize = 64;

/// Prefix of the front door's own buttons; never tagged.
pub const FRONT_DOOR: &str = "fd:";

/// The buttons of a tenant's pairing message, which the front door
/// also acts on (a cancelled pairing removes its account).
pub mod pair {
    /// Cancels the pairing.
    pub const CANCEL: &str = "pair:cancel";
    /// Asks for a new code.
    pub const RETRY: &str = "pair:retry";
}

/// Why data cannot be tagged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// With the account's name in front, the data exceeds Telegram's limit.
    #[error("callback data may have at most {0} bytes for this account")]
    TooLong(usize),
}

/// `data` with `account` in front.
pub fn tag(account: &str, data: &str) -> Result<String, Error> {
    let tagged = format!("{account}{SEPARATOR}{data}");
    if tagged.len() > MAX_DATA {
        return Err(Error::TooLong(MAX_DATA - account.len() - 1));
    }
    Ok(tagged)
}

/// The account and the tenant's own data of tagged `data`; `None` when the
/// data names no account.
pub fn untag(data: &str) -> Option<(&str, &str)> {
    let (account, rest) = data.split_once(SEPARATOR)?;
    let digits = account.strip_prefix(ACCOUNT_NAME_PREFIX)?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some((account, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let tagged = tag("wa-447700900123", "pair:cancel").unwrap();
        assert_eq!(tagged, "wa-447700900123|pair:cancel");
        assert_eq!(untag(&tagged), Some(("wa-447700900123", "pair:cancel")));
    }

    #[test]
    fn data_may_hold_the_separator() {
        let tagged = tag("wa-447700900123", "a|b").unwrap();
        assert_eq!(untag(&tagged), Some(("wa-447700900123", "a|b")));
    }

    #[test]
    fn too_long_is_refused() {
        let account = "wa-447700900123";
        let fits = "x".repeat(MAX_DATA - account.len() - 1);
        assert!(tag(account, &fits).is_ok());
        assert_eq!(
            tag(account, &format!("{fits}x")),
            Err(Error::TooLong(fits.len()))
        );
    }

    #[test]
    fn untagged_data_names_no_account() {
        for data in [
            "pair:cancel",
            "fd:use:wa-1",
            "wa-|x",
            "wa-12a|x",
            "xx-123|y",
            "",
        ] {
            assert_eq!(untag(data), None, "{data}");
        }
    }
}
