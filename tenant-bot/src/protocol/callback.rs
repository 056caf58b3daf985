//! Callback data: what each button sends back, typed, and the account
//! name in front of a tenant's.
//!
//! Every button is built from, and every press read into, one of the
//! enums here ([`FrontDoor`] for the front door's own, [`Tenant`] for a
//! tenant's), so a button's data is spelled in one place: its `Display`,
//! read back by its `FromStr`. The spellings are those of buttons already
//! sent, which keep working.
//!
//! A tenant's buttons leave through the gateway, which prefixes each
//! button's data with the tenant's account name; when the button is
//! pressed, the front door reads the account back from the data, checks
//! that the presser owns it, strips the prefix and forwards the press to
//! that account, whichever account is active. So a button on an older
//! message of another account reaches the account that sent it.

mod front_door;
mod tenant;

use crds::Language;
use crds::naming::ACCOUNT_NAME_PREFIX;

pub use self::front_door::{Admin, FrontDoor};
pub use self::tenant::{Feature, Groups, Job, Menu, Pair, Requests, Tenant};

/// Separates the account name from the tenant's own data.
const SEPARATOR: char = '|';

/// Telegram's limit on callback data, in bytes.
pub const MAX_DATA: usize = 64;

/// What is wrong with callback data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// With the account's name in front, the data exceeds Telegram's limit.
    #[error("callback data may have at most {0} bytes for this account")]
    TooLong(usize),
    /// The data is no button of ours (any more).
    #[error("unknown callback data")]
    Unknown,
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

/// The language of `code` in callback data.
fn language(code: &str) -> Result<Language, Error> {
    match code {
        "id" => Ok(Language::Id),
        "en" => Ok(Language::En),
        _ => Err(Error::Unknown),
    }
}

#[cfg(test)]
mod tests;
