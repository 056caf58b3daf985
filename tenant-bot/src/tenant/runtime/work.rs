//! What each bulk feature does for one item, against WhatsApp: the work
//! the job runner paces, retries and records. An item is a group (by JID)
//! for most features, a name for group creation and an invite code for
//! joining.
//!
//! Results are short lines for the owner's summary; reasons of failures
//! are WhatsApp's errors, in the owner's words.

use std::sync::Arc;

use async_trait::async_trait;

use crds::Language;

use crate::telegram::Catalog;
use crate::tenant::jobs::Work;
use crate::whatsapp::{self, Error, MemberFailure, MemberOutcome, Membership, Setting, WhatsApp};

/// Each group's invite link, a new one when `reset`.
pub(super) struct InviteLinks {
    pub whatsapp: Arc<dyn WhatsApp>,
    pub reset: bool,
}

#[async_trait]
impl Work for InviteLinks {
    async fn run(&self, _seq: u32, group: &str) -> whatsapp::Result<Option<String>> {
        self.whatsapp.invite_link(group, self.reset).await.map(Some)
    }

    /// A reset that may have happened is not done twice: the current link
    /// is as new as the owner asked for.
    async fn happened(&self, group: &str) -> whatsapp::Result<Option<Option<String>>> {
        if !self.reset {
            return Ok(None);
        }
        self.whatsapp
            .invite_link(group, false)
            .await
            .map(|link| Some(Some(link)))
    }
}

/// Sets one description on groups.
pub(super) struct Describe {
    pub whatsapp: Arc<dyn WhatsApp>,
    pub text: String,
}

#[async_trait]
impl Work for Describe {
    async fn run(&self, _seq: u32, group: &str) -> whatsapp::Result<Option<String>> {
        self.whatsapp
            .set_description(group, &self.text)
            .await
            .map(|()| None)
    }
}

/// Leaves groups, saying `farewell` first when there is one.
pub(super) struct Leave {
    pub whatsapp: Arc<dyn WhatsApp>,
    pub farewell: Option<String>,
}

#[async_trait]
impl Work for Leave {
    async fn run(&self, _seq: u32, group: &str) -> whatsapp::Result<Option<String>> {
        if let Some(text) = &self.farewell {
            self.whatsapp.send_text(group, text).await?;
        }
        self.whatsapp.leave(group).await.map(|()| None)
    }

    /// Left already when the account is no longer in the group, so a
    /// resumed job neither says goodbye twice nor fails on it.
    async fn happened(&self, group: &str) -> whatsapp::Result<Option<Option<String>>> {
        let groups = self.whatsapp.groups().await?;
        Ok((!groups.iter().any(|g| g.jid == group)).then_some(None))
    }
}

/// The owner's words for what happened to numbers.
#[derive(Debug, Clone)]
pub(super) struct Words {
    /// Added, promoted or demoted.
    pub done: String,
    /// Invited because of their privacy settings.
    pub invited: String,
    /// Failed.
    pub failed: String,
    /// Why a number failed.
    pub why: Reasons,
}

/// The owner's words for why a number failed, in their language.
#[derive(Clone)]
pub(super) struct Reasons {
    pub catalog: Arc<Catalog>,
    pub language: Language,
}

impl std::fmt::Debug for Reasons {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reasons")
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

impl Reasons {
    fn of(&self, failure: &MemberFailure) -> String {
        let code = match failure {
            MemberFailure::Other(code) => code.as_str(),
            _ => "",
        };
        self.catalog
            .text(self.language, failure.catalog_id(), &[("code", code)])
    }
}

/// Adds, promotes or demotes the same numbers in each group.
pub(super) struct Members {
    pub whatsapp: Arc<dyn WhatsApp>,
    pub change: Membership,
    pub numbers: Vec<String>,
    pub words: Words,
}

impl Members {
    /// One part per outcome kind (done, invited, failed with the reason),
    /// and whether anything was done.
    fn describe(&self, outcomes: &[(String, MemberOutcome)]) -> (String, bool) {
        let mut ok = Vec::new();
        let mut invited = Vec::new();
        let mut failed = Vec::new();
        for (number, outcome) in outcomes {
            match outcome {
                MemberOutcome::Ok => ok.push(format!("+{number}")),
                MemberOutcome::Invited => invited.push(format!("+{number}")),
                MemberOutcome::Failed(why) => {
                    failed.push(format!("+{number} ({})", self.words.why.of(why)));
                }
            }
        }
        let words = &self.words;
        let mut parts = Vec::new();
        if !ok.is_empty() {
            parts.push(format!("{} {}", words.done, ok.join(", ")));
        }
        if !invited.is_empty() {
            parts.push(format!("{} {}", words.invited, invited.join(", ")));
        }
        if !failed.is_empty() {
            parts.push(format!("{} {}", words.failed, failed.join(", ")));
        }
        (parts.join("; "), !ok.is_empty() || !invited.is_empty())
    }
}

#[async_trait]
impl Work for Members {
    async fn run(&self, _seq: u32, group: &str) -> whatsapp::Result<Option<String>> {
        let mut outcomes = self
            .whatsapp
            .change_members(group, self.change, &self.numbers)
            .await?;
        if matches!(self.change, Membership::Promote | Membership::Demote) {
            // WhatsApp's answer is checked against the group afterwards: a
            // number reported done but not (or still) an admin failed.
            let want_admin = self.change == Membership::Promote;
            let groups = self.whatsapp.groups().await?;
            let admins = groups
                .iter()
                .find(|g| g.jid == group)
                .map(|g| g.admins.clone())
                .unwrap_or_default();
            for (number, outcome) in &mut outcomes {
                if *outcome == MemberOutcome::Ok && admins.contains(number) != want_admin {
                    *outcome = MemberOutcome::Failed(MemberFailure::Unchanged);
                }
            }
        }
        let (text, any) = self.describe(&outcomes);
        if any {
            Ok(Some(text))
        } else {
            Err(Error::Rejected(text.into()))
        }
    }
}

/// Sets one photo (a 640x640 JPEG) on groups.
pub(super) struct Photo {
    pub whatsapp: Arc<dyn WhatsApp>,
    pub jpeg: Vec<u8>,
}

#[async_trait]
impl Work for Photo {
    async fn run(&self, _seq: u32, group: &str) -> whatsapp::Result<Option<String>> {
        self.whatsapp
            .set_photo(group, &self.jpeg)
            .await
            .map(|()| None)
    }
}

/// Applies settings in order; setting the same value twice is harmless,
/// so a resumed item simply applies them again.
pub(super) struct Settings {
    pub whatsapp: Arc<dyn WhatsApp>,
    pub settings: Vec<Setting>,
}

#[async_trait]
impl Work for Settings {
    async fn run(&self, _seq: u32, group: &str) -> whatsapp::Result<Option<String>> {
        for setting in &self.settings {
            self.whatsapp.set_setting(group, *setting).await?;
        }
        Ok(None)
    }
}

/// What to do with the requests to join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Requests {
    /// Show who is waiting.
    List,
    /// Let everyone in.
    Approve,
    /// Turn everyone down.
    Reject,
}

/// Lists, approves or rejects the requests to join each group.
pub(super) struct JoinRequests {
    pub whatsapp: Arc<dyn WhatsApp>,
    pub action: Requests,
}

#[async_trait]
impl Work for JoinRequests {
    async fn run(&self, _seq: u32, group: &str) -> whatsapp::Result<Option<String>> {
        let waiting = self.whatsapp.join_requests(group).await?;
        let listed = waiting
            .iter()
            .map(|n| format!("+{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let count = waiting.len();
        match self.action {
            Requests::List if waiting.is_empty() => Ok(Some("0".into())),
            Requests::List => Ok(Some(format!("{count}: {listed}"))),
            _ if waiting.is_empty() => Ok(Some("0".into())),
            action => {
                let approve = action == Requests::Approve;
                self.whatsapp
                    .answer_join_requests(group, &waiting, approve)
                    .await?;
                Ok(Some(format!("{count}: {listed}")))
            }
        }
    }
}

/// Sends a message to each group, the variants taking turns.
pub(super) struct Broadcast {
    pub whatsapp: Arc<dyn WhatsApp>,
    pub variants: Vec<String>,
}

#[async_trait]
impl Work for Broadcast {
    async fn run(&self, seq: u32, group: &str) -> whatsapp::Result<Option<String>> {
        let count = self.variants.len().max(1);
        let Some(text) = self.variants.get(seq as usize % count) else {
            return Err(Error::Rejected("no message to send".into()));
        };
        self.whatsapp.send_text(group, text).await?;
        Ok((self.variants.len() > 1).then(|| format!("#{}", seq as usize % count + 1)))
    }
}

/// Creates a group per name, with members and settings, and gives its
/// invite link.
pub(super) struct Create {
    pub whatsapp: Arc<dyn WhatsApp>,
    pub members: Vec<String>,
    pub settings: Vec<Setting>,
    /// The account's groups before the job, so a group with the same name
    /// that existed already is not taken for one this job made.
    pub before: Vec<String>,
}

impl Create {
    /// Settings and the link of a new group; the group exists whatever
    /// happens here, so failures are noted in the result, not retried.
    async fn finish(&self, jid: &str) -> String {
        let mut notes = Vec::new();
        for setting in &self.settings {
            if let Err(error) = self.whatsapp.set_setting(jid, *setting).await {
                notes.push(format!("setting not applied: {error}"));
                break;
            }
        }
        let link = match self.whatsapp.invite_link(jid, false).await {
            Ok(link) => link,
            Err(error) => format!("no link: {error}"),
        };
        notes.insert(0, link);
        notes.join("; ")
    }
}

#[async_trait]
impl Work for Create {
    async fn run(&self, _seq: u32, name: &str) -> whatsapp::Result<Option<String>> {
        let group = self.whatsapp.create_group(name, &self.members).await?;
        Ok(Some(self.finish(&group.jid).await))
    }

    /// A group of this name that was not there before the job is the one
    /// a stopped tenant created: it is not created twice.
    async fn happened(&self, name: &str) -> whatsapp::Result<Option<Option<String>>> {
        let groups = self.whatsapp.groups().await?;
        match groups
            .iter()
            .find(|g| g.name == name && !self.before.contains(&g.jid))
        {
            Some(group) => Ok(Some(Some(self.finish(&group.jid).await))),
            None => Ok(None),
        }
    }
}

/// Joins groups by invite code; the result is the group joined.
pub(super) struct Join {
    pub whatsapp: Arc<dyn WhatsApp>,
}

#[async_trait]
impl Work for Join {
    async fn run(&self, _seq: u32, code: &str) -> whatsapp::Result<Option<String>> {
        self.whatsapp.join_with_code(code).await.map(Some)
    }
}

#[cfg(test)]
mod tests;
