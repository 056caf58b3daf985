//! A tenant's buttons as the tenant sends and reads them, untagged: one
//! family per screen (pairing, language, logout, dashboard, groups, bulk
//! jobs). The front door reads two of them too: the dashboard's
//! "accounts" button, which it answers itself, and the pairing's cancel,
//! after which it removes the account.

use std::fmt;
use std::str::FromStr;

use crds::Language;

use super::{Error, language};

/// A button of a tenant's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tenant {
    /// The pairing message's buttons: `pair:…`.
    Pair(Pair),
    /// A language picked in the chooser: `lang:<code>`.
    Language(Language),
    /// The answer to "log out?": `logout:yes` or `logout:no`.
    Logout {
        /// Whether the owner confirmed.
        confirmed: bool,
    },
    /// A dashboard button: `menu:…`.
    Menu(Menu),
    /// A button of the groups list: `groups:…`.
    Groups(Groups),
    /// A button of a bulk job, prepared or running: `job:…`.
    Job(Job),
}

/// The pairing message's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pair {
    /// Cancel the pairing: `pair:cancel`.
    Cancel,
    /// Ask for a new code: `pair:retry`.
    Retry,
}

/// The dashboard's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    /// The groups list: `menu:groups`.
    Groups,
    /// The owner's accounts, which the front door shows: `menu:accounts`.
    Accounts,
    /// The activity log: `menu:activity`.
    Activity,
    /// The language chooser: `menu:lang`.
    Language,
    /// The help: `menu:help`.
    Help,
    /// Log the account out, after asking: `menu:logout`.
    Logout,
}

/// The groups list's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Groups {
    /// A page of the list, from 0: `groups:page:<n>`.
    Page(usize),
    /// Fetch the list from WhatsApp again: `groups:refresh`.
    Refresh,
    /// Ask for a fragment of a name: `groups:search`.
    Search,
    /// The list as text: `groups:txt`.
    Txt,
    /// The list as CSV: `groups:csv`.
    Csv,
}

/// A bulk job's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Start preparing a job of this feature: `job:<feature>`.
    Begin(Feature),
    /// Run the confirmed job: `job:start`.
    Start,
    /// Drop the job being prepared: `job:abort`.
    Abort,
    /// Cancel the running job: `job:cancel`.
    Cancel,
    /// The pause between items, in seconds: `job:delay:<seconds>`.
    Delay(u32),
    /// Ask for the pause typed in seconds: `job:delay:other`.
    DelayTyped,
    /// Switch new invite links on or off: `job:reset`.
    Reset,
    /// What to do with join requests: `job:req:<action>`.
    Requests(Requests),
    /// No more broadcast variants: `job:done`.
    VariantsDone,
    /// The settings chosen are complete: `job:set:ok`.
    SettingsDone,
    /// Tap a value of a setting, by their places in the chooser:
    /// `job:set:<row>:<value>`.
    Tap {
        /// The setting's row.
        row: u8,
        /// The value's place in the row.
        value: u8,
    },
}

/// A bulk feature, as its button names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// Each selected group's invite link: `job:links`.
    InviteLinks,
    /// Leave the selected groups: `job:leave`.
    Leave,
    /// A new description: `job:description`.
    Description,
    /// Add members: `job:add`.
    AddMembers,
    /// Make members admins: `job:promote`.
    Promote,
    /// Take admin away: `job:demote`.
    Demote,
    /// A new photo: `job:photo`.
    Photo,
    /// Change settings: `job:settings`.
    Settings,
    /// Answer requests to join: `job:requests`.
    JoinRequests,
    /// Send a message: `job:broadcast`.
    Broadcast,
    /// Create groups: `job:create`.
    Create,
    /// Join groups by invite link: `job:join`.
    Join,
}

/// What to do with the requests to join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requests {
    /// List them: `job:req:list`.
    List,
    /// Approve them: `job:req:approve`.
    Approve,
    /// Reject them: `job:req:reject`.
    Reject,
}

impl Feature {
    /// Every feature.
    pub const ALL: [Self; 12] = [
        Self::InviteLinks,
        Self::Join,
        Self::Create,
        Self::AddMembers,
        Self::Promote,
        Self::Demote,
        Self::Description,
        Self::Photo,
        Self::Settings,
        Self::JoinRequests,
        Self::Broadcast,
        Self::Leave,
    ];

    /// The feature's name in its button's data.
    fn name(self) -> &'static str {
        match self {
            Self::InviteLinks => "links",
            Self::Leave => "leave",
            Self::Description => "description",
            Self::AddMembers => "add",
            Self::Promote => "promote",
            Self::Demote => "demote",
            Self::Photo => "photo",
            Self::Settings => "settings",
            Self::JoinRequests => "requests",
            Self::Broadcast => "broadcast",
            Self::Create => "create",
            Self::Join => "join",
        }
    }
}

impl Requests {
    /// The action's name, in the button and in the job's parameters.
    pub fn name(self) -> &'static str {
        match self {
            Self::List => "list",
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pair(Pair::Cancel) => f.write_str("pair:cancel"),
            Self::Pair(Pair::Retry) => f.write_str("pair:retry"),
            Self::Language(language) => write!(f, "lang:{}", language.code()),
            Self::Logout { confirmed: true } => f.write_str("logout:yes"),
            Self::Logout { confirmed: false } => f.write_str("logout:no"),
            Self::Menu(menu) => write!(f, "menu:{menu}"),
            Self::Groups(groups) => write!(f, "groups:{groups}"),
            Self::Job(job) => write!(f, "job:{job}"),
        }
    }
}

impl fmt::Display for Menu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Groups => "groups",
            Self::Accounts => "accounts",
            Self::Activity => "activity",
            Self::Language => "lang",
            Self::Help => "help",
            Self::Logout => "logout",
        })
    }
}

impl fmt::Display for Groups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Page(page) => write!(f, "page:{page}"),
            Self::Refresh => f.write_str("refresh"),
            Self::Search => f.write_str("search"),
            Self::Txt => f.write_str("txt"),
            Self::Csv => f.write_str("csv"),
        }
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Begin(feature) => f.write_str(feature.name()),
            Self::Start => f.write_str("start"),
            Self::Abort => f.write_str("abort"),
            Self::Cancel => f.write_str("cancel"),
            Self::Delay(seconds) => write!(f, "delay:{seconds}"),
            Self::DelayTyped => f.write_str("delay:other"),
            Self::Reset => f.write_str("reset"),
            Self::Requests(action) => write!(f, "req:{}", action.name()),
            Self::VariantsDone => f.write_str("done"),
            Self::SettingsDone => f.write_str("set:ok"),
            Self::Tap { row, value } => write!(f, "set:{row}:{value}"),
        }
    }
}

/// A number in callback data; only ASCII digits, so one number has one
/// spelling.
fn number<T: FromStr>(digits: &str) -> Result<T, Error> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Unknown);
    }
    digits.parse().map_err(|_| Error::Unknown)
}

impl FromStr for Tenant {
    type Err = Error;

    fn from_str(data: &str) -> Result<Self, Error> {
        let (family, rest) = data.split_once(':').ok_or(Error::Unknown)?;
        match (family, rest) {
            ("pair", "cancel") => Ok(Self::Pair(Pair::Cancel)),
            ("pair", "retry") => Ok(Self::Pair(Pair::Retry)),
            ("lang", code) => language(code).map(Self::Language),
            ("logout", "yes") => Ok(Self::Logout { confirmed: true }),
            ("logout", "no") => Ok(Self::Logout { confirmed: false }),
            ("menu", menu) => menu.parse().map(Self::Menu),
            ("groups", groups) => groups.parse().map(Self::Groups),
            ("job", job) => job.parse().map(Self::Job),
            _ => Err(Error::Unknown),
        }
    }
}

impl FromStr for Menu {
    type Err = Error;

    fn from_str(data: &str) -> Result<Self, Error> {
        match data {
            "groups" => Ok(Self::Groups),
            "accounts" => Ok(Self::Accounts),
            "activity" => Ok(Self::Activity),
            "lang" => Ok(Self::Language),
            "help" => Ok(Self::Help),
            "logout" => Ok(Self::Logout),
            _ => Err(Error::Unknown),
        }
    }
}

impl FromStr for Groups {
    type Err = Error;

    fn from_str(data: &str) -> Result<Self, Error> {
        match data {
            "refresh" => Ok(Self::Refresh),
            "search" => Ok(Self::Search),
            "txt" => Ok(Self::Txt),
            "csv" => Ok(Self::Csv),
            other => {
                let page = other.strip_prefix("page:").ok_or(Error::Unknown)?;
                number(page).map(Self::Page)
            }
        }
    }
}

impl FromStr for Job {
    type Err = Error;

    fn from_str(data: &str) -> Result<Self, Error> {
        if let Some(feature) = Feature::ALL.into_iter().find(|f| f.name() == data) {
            return Ok(Self::Begin(feature));
        }
        match data.split_once(':') {
            None => match data {
                "start" => Ok(Self::Start),
                "abort" => Ok(Self::Abort),
                "cancel" => Ok(Self::Cancel),
                "reset" => Ok(Self::Reset),
                "done" => Ok(Self::VariantsDone),
                _ => Err(Error::Unknown),
            },
            Some(("delay", "other")) => Ok(Self::DelayTyped),
            Some(("delay", seconds)) => number(seconds).map(Self::Delay),
            Some(("req", action)) => [Requests::List, Requests::Approve, Requests::Reject]
                .into_iter()
                .find(|r| r.name() == action)
                .map(Self::Requests)
                .ok_or(Error::Unknown),
            Some(("set", "ok")) => Ok(Self::SettingsDone),
            Some(("set", tap)) => {
                let (row, value) = tap.split_once(':').ok_or(Error::Unknown)?;
                Ok(Self::Tap {
                    row: number(row)?,
                    value: number(value)?,
                })
            }
            Some(_) => Err(Error::Unknown),
        }
    }
}
