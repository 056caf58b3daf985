//! The WhatsApp port: everything the tenant asks of WhatsApp, behind one
//! trait. The production adapter uses whatsapp-rust; the fake stands in for
//! WhatsApp's servers, which tests cannot reach.

pub mod adapter;
#[cfg(any(test, feature = "fake"))]
pub mod fake;

use std::time::Duration;

use async_trait::async_trait;
use crds::PhoneNumber;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// Why a WhatsApp operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// WhatsApp asks us to slow down (`rate-overlimit`).
    #[error("WhatsApp is rate limiting; retry in {retry_after:?}")]
    RateLimited {
        /// How long to wait, when WhatsApp says; a default otherwise.
        retry_after: Duration,
    },
    /// A network or server hiccup worth retrying.
    #[error("temporary WhatsApp failure")]
    Transient(#[source] Cause),
    /// The session is not paired (or no longer is).
    #[error("the account is not linked")]
    NotPaired,
    /// The account is banned.
    #[error("the account is banned")]
    Banned,
    /// The group does not exist or the account is not in it.
    #[error("group not found")]
    GroupNotFound,
    /// The account is not an admin of the group.
    #[error("the account is not an admin of this group")]
    NotAdmin,
    /// An invite link or code that WhatsApp does not know.
    #[error("invalid or expired invite link")]
    InvalidInvite,
    /// The request itself was refused (too long a name, bad image…).
    #[error("refused by WhatsApp")]
    Rejected(#[source] Cause),
}

/// What lies under a [`Error::Transient`] or [`Error::Rejected`]: the
/// error of the layer below, kept whole for logs, or WhatsApp's (or our
/// own check's) words when there is no error below. Compared by its text,
/// so errors stay comparable in tests and job records.
#[derive(Clone)]
pub struct Cause(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl Cause {
    /// The error below (or words, when there is none), kept as the source.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(error.into().into())
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0.to_string())
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for Cause {}

impl From<&str> for Cause {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for Cause {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl Error {
    /// Whether waiting and trying again may help.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Transient(_))
    }
}

/// Why a build without the `fake` feature refuses the fake backend.
#[cfg(not(feature = "fake"))]
pub const NO_FAKE: &str = "this build has no fake WhatsApp backend: it is for tests, in builds \
     with tenant-bot's `fake` feature (the tests' image, `make image-dev`)";

/// Result of WhatsApp operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What happens to the session, as the tenant hears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The owner entered the pairing code; the device is linked.
    Paired {
        /// The linked device's JID.
        jid: String,
        /// The account's WhatsApp name.
        push_name: String,
    },
    /// The session is connected.
    Connected,
    /// The connection dropped; the session stays paired.
    Disconnected,
    /// The device was unlinked from the phone.
    LoggedOut,
    /// Another program logged in with this same device (an old bot still
    /// running on a copy of the session, say) and WhatsApp let it take
    /// over; the session stays paired and is used again on the next call.
    Replaced,
    /// WhatsApp banned the account; `until` in unix seconds when temporary.
    Banned {
        /// End of a temporary ban.
        until: Option<i64>,
    },
}

/// One group as WhatsApp describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// The group's JID.
    pub jid: String,
    /// Its subject.
    pub name: String,
    /// Participants' phone numbers (digits).
    pub members: Vec<String>,
    /// Which of them are admins.
    pub admins: Vec<String>,
    /// Whether this account is an admin.
    pub is_admin: bool,
}

/// A group setting and its new value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Setting {
    /// Only admins may send messages.
    AdminsOnlyMessages(bool),
    /// Only admins may edit the group's info.
    AdminsOnlyEditInfo(bool),
    /// Only admins may add members.
    AdminsOnlyAddMembers(bool),
    /// New members need an admin's approval.
    JoinApproval(bool),
    /// Disappearing messages: 0 (off), 86400, 604800 or 7776000 seconds.
    DisappearingSeconds(u32),
}

/// What happened to one number in an add/promote/demote request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberOutcome {
    /// Done.
    Ok,
    /// Their privacy settings forbid adding them; an invite was sent.
    Invited,
    /// Not done, and why.
    Failed(MemberFailure),
}

/// Why one number's membership was not changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberFailure {
    /// The number has no WhatsApp account.
    NotOnWhatsApp,
    /// Already in the group (adding).
    AlreadyMember,
    /// Not in the group (removing, promoting).
    NotMember,
    /// Not an admin (demoting).
    NotAdmin,
    /// Left the group a short while ago; WhatsApp lets them be added
    /// again later.
    LeftRecently,
    /// The group has no room left.
    GroupFull,
    /// Their privacy settings forbid it, and no invitation went out.
    NotAllowed,
    /// Reported done by WhatsApp, not so when checked.
    Unchanged,
    /// Another refusal, with WhatsApp's code.
    Other(String),
}

impl MemberFailure {
    /// WhatsApp's per-number `error` code in its answer to `change`.
    pub fn from_code(change: Membership, code: &str) -> Self {
        match (code, change) {
            ("404", Membership::Add) => Self::NotOnWhatsApp,
            ("404", _) => Self::NotMember,
            ("409", Membership::Add) => Self::AlreadyMember,
            ("408", Membership::Add) => Self::LeftRecently,
            ("419", Membership::Add) => Self::GroupFull,
            ("403", _) => Self::NotAllowed,
            (other, _) => Self::Other(other.to_owned()),
        }
    }

    /// The catalog id of the owner's words for it (`member-other` takes
    /// the code as `code`).
    pub fn catalog_id(&self) -> &'static str {
        match self {
            Self::NotOnWhatsApp => "member-not-on-whatsapp",
            Self::AlreadyMember => "member-already",
            Self::NotMember => "member-not-member",
            Self::NotAdmin => "member-not-admin",
            Self::LeftRecently => "member-left-recently",
            Self::GroupFull => "member-group-full",
            Self::NotAllowed => "member-not-allowed",
            Self::Unchanged => "result-unchanged",
            Self::Other(_) => "member-other",
        }
    }
}

/// A changed membership request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Membership {
    /// Add as member.
    Add,
    /// Remove from the group.
    Remove,
    /// Make admin.
    Promote,
    /// Take admin away.
    Demote,
}

/// The WhatsApp operations a tenant needs.
#[async_trait]
pub trait WhatsApp: Send + Sync {
    /// Events of this session from now on.
    fn events(&self) -> broadcast::Receiver<Event>;

    /// Whether a device is linked (a restart then connects without pairing).
    async fn is_paired(&self) -> bool;

    /// Asks for a pairing code for `phone`, to be entered on the phone
    /// under Linked devices > Link with phone number.
    async fn request_pairing_code(&self, phone: &PhoneNumber) -> Result<String>;

    /// Stops a pairing in progress.
    async fn cancel_pairing(&self) -> Result<()>;

    /// Connects a paired session.
    async fn connect(&self) -> Result<()>;

    /// Disconnects, keeping the pairing.
    async fn disconnect(&self) -> Result<()>;

    /// Unlinks this device from the account.
    async fn logout(&self) -> Result<()>;

    /// Every group the account is in.
    async fn groups(&self) -> Result<Vec<GroupInfo>>;

    /// Creates a group with `members` (digits) and returns it.
    async fn create_group(&self, name: &str, members: &[String]) -> Result<GroupInfo>;

    /// The group's invite link, a fresh one if `reset`.
    async fn invite_link(&self, group: &str, reset: bool) -> Result<String>;

    /// Joins by an invite code (the part after `chat.whatsapp.com/`).
    async fn join_with_code(&self, code: &str) -> Result<String>;

    /// Leaves a group.
    async fn leave(&self, group: &str) -> Result<()>;

    /// Adds, removes, promotes or demotes `numbers` (digits).
    async fn change_members(
        &self,
        group: &str,
        change: Membership,
        numbers: &[String],
    ) -> Result<Vec<(String, MemberOutcome)>>;

    /// Sets the description.
    async fn set_description(&self, group: &str, text: &str) -> Result<()>;

    /// Sets the photo (a 640x640 JPEG).
    async fn set_photo(&self, group: &str, jpeg: &[u8]) -> Result<()>;

    /// Changes one setting.
    async fn set_setting(&self, group: &str, setting: Setting) -> Result<()>;

    /// Numbers waiting for approval to join.
    async fn join_requests(&self, group: &str) -> Result<Vec<String>>;

    /// Approves or rejects waiting numbers.
    async fn answer_join_requests(
        &self,
        group: &str,
        numbers: &[String],
        approve: bool,
    ) -> Result<()>;

    /// Sends a text message to a group.
    async fn send_text(&self, group: &str, text: &str) -> Result<()>;
}
