//! The front door's own buttons: `fd:` and what it does. They are never
//! tagged, since no tenant sends them; those that act on an account name
//! it, and the front door checks who presses them.

use std::fmt;
use std::str::FromStr;

use crds::Language;

use super::{Error, language};

/// A button of the front door's own messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrontDoor {
    /// Link a number: `fd:pair`.
    Pair,
    /// The front door's help: `fd:help`.
    Help,
    /// The language chooser: `fd:lang`.
    Languages,
    /// A language picked in the chooser: `fd:lang:<code>`.
    Language(Language),
    /// The user's accounts: `fd:accounts`.
    Accounts,
    /// Make this account the active one: `fd:use:<account>`.
    Use(String),
    /// Ask to confirm deleting this account: `fd:del:<account>`.
    Delete(String),
    /// Delete this account, confirmed: `fd:delyes:<account>`.
    DeleteConfirmed(String),
    /// An admin's button: `fd:adm:…`.
    Admin(Admin),
}

/// A button of the admin overview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admin {
    /// The overview again: `fd:adm:list:`.
    List,
    /// Suspend this account: `fd:adm:sus:<account>`.
    Suspend(String),
    /// Resume this account: `fd:adm:res:<account>`.
    Resume(String),
    /// Ask to confirm deleting this account: `fd:adm:del:<account>`.
    Delete(String),
    /// Delete this account, confirmed: `fd:adm:delyes:<account>`.
    DeleteConfirmed(String),
}

impl FrontDoor {
    /// What every front door button's data starts with.
    pub const PREFIX: &str = "fd:";

    /// Whether `data` is meant for the front door itself (whether or not
    /// it still means anything).
    pub fn owns(data: &str) -> bool {
        data.starts_with(Self::PREFIX)
    }

    /// The account an accounts menu's button names.
    pub fn account(&self) -> Option<&str> {
        match self {
            Self::Use(account) | Self::Delete(account) | Self::DeleteConfirmed(account) => {
                Some(account)
            }
            _ => None,
        }
    }
}

impl Admin {
    /// The account the button names.
    pub fn account(&self) -> Option<&str> {
        match self {
            Self::List => None,
            Self::Suspend(account)
            | Self::Resume(account)
            | Self::Delete(account)
            | Self::DeleteConfirmed(account) => Some(account),
        }
    }
}

impl fmt::Display for FrontDoor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::PREFIX)?;
        match self {
            Self::Pair => f.write_str("pair"),
            Self::Help => f.write_str("help"),
            Self::Languages => f.write_str("lang"),
            Self::Language(language) => write!(f, "lang:{}", language.code()),
            Self::Accounts => f.write_str("accounts"),
            Self::Use(account) => write!(f, "use:{account}"),
            Self::Delete(account) => write!(f, "del:{account}"),
            Self::DeleteConfirmed(account) => write!(f, "delyes:{account}"),
            Self::Admin(admin) => write!(f, "adm:{admin}"),
        }
    }
}

impl fmt::Display for Admin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The trailing colon is what buttons already sent carry.
            Self::List => f.write_str("list:"),
            Self::Suspend(account) => write!(f, "sus:{account}"),
            Self::Resume(account) => write!(f, "res:{account}"),
            Self::Delete(account) => write!(f, "del:{account}"),
            Self::DeleteConfirmed(account) => write!(f, "delyes:{account}"),
        }
    }
}

/// `data` as an action and what follows its first colon (empty without
/// one).
fn action(data: &str) -> (&str, &str) {
    data.split_once(':').unwrap_or((data, ""))
}

impl FromStr for FrontDoor {
    type Err = Error;

    fn from_str(data: &str) -> Result<Self, Error> {
        let own = data.strip_prefix(Self::PREFIX).ok_or(Error::Unknown)?;
        if let Some(admin) = own.strip_prefix("adm:") {
            return admin.parse().map(Self::Admin);
        }
        let account = |rest: &str| rest.to_owned();
        match action(own) {
            ("pair", "") => Ok(Self::Pair),
            ("help", "") => Ok(Self::Help),
            ("accounts", "") => Ok(Self::Accounts),
            ("lang", "") => Ok(Self::Languages),
            ("lang", code) => language(code).map(Self::Language),
            ("use", rest) => Ok(Self::Use(account(rest))),
            ("del", rest) => Ok(Self::Delete(account(rest))),
            ("delyes", rest) => Ok(Self::DeleteConfirmed(account(rest))),
            _ => Err(Error::Unknown),
        }
    }
}

impl FromStr for Admin {
    type Err = Error;

    fn from_str(data: &str) -> Result<Self, Error> {
        let account = |rest: &str| rest.to_owned();
        match action(data) {
            ("list", "") => Ok(Self::List),
            ("sus", rest) => Ok(Self::Suspend(account(rest))),
            ("res", rest) => Ok(Self::Resume(account(rest))),
            ("del", rest) => Ok(Self::Delete(account(rest))),
            ("delyes", rest) => Ok(Self::DeleteConfirmed(account(rest))),
            _ => Err(Error::Unknown),
        }
    }
}
