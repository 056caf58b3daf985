//! What each bulk feature is: its kind in the store, its title, whether
//! it works on groups the owner picks, its questions; and how the owner's
//! text picks groups.

use super::Feature;
use super::answers::Step;
use crate::store::Group;
use crate::telegram::{Keyword, Keywords};
use crate::tenant::input::selection;

/// Every feature with its kind in the store.
pub(super) const FEATURES: [(Feature, &str); 12] = [
    (Feature::InviteLinks, "invite_links"),
    (Feature::Leave, "leave"),
    (Feature::Description, "description"),
    (Feature::AddMembers, "add_members"),
    (Feature::Promote, "promote"),
    (Feature::Demote, "demote"),
    (Feature::Photo, "photo"),
    (Feature::Settings, "settings"),
    (Feature::JoinRequests, "join_requests"),
    (Feature::Broadcast, "broadcast"),
    (Feature::Create, "create"),
    (Feature::Join, "join"),
];

impl Feature {
    pub(in crate::tenant) fn kind(self) -> &'static str {
        FEATURES
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("", |(_, kind)| kind)
    }

    pub(in crate::tenant) fn from_kind(kind: &str) -> Option<Self> {
        FEATURES.iter().find(|(_, k)| *k == kind).map(|f| f.0)
    }

    pub(in crate::tenant) fn title(self) -> &'static str {
        match self {
            Self::InviteLinks => "bulk-title-invite-links",
            Self::Leave => "bulk-title-leave",
            Self::Description => "bulk-title-description",
            Self::AddMembers => "bulk-title-add",
            Self::Promote => "bulk-title-promote",
            Self::Demote => "bulk-title-demote",
            Self::Photo => "bulk-title-photo",
            Self::Settings => "bulk-title-settings",
            Self::JoinRequests => "bulk-title-requests",
            Self::Broadcast => "bulk-title-broadcast",
            Self::Create => "bulk-title-create",
            Self::Join => "bulk-title-join",
        }
    }

    /// Whether the items are groups the owner selects.
    pub(in crate::tenant) fn picks_groups(self) -> bool {
        !matches!(self, Self::Create | Self::Join)
    }

    /// The questions after the selection, in order.
    pub(super) fn steps(self) -> &'static [Step] {
        match self {
            Self::InviteLinks => &[],
            Self::Leave => &[Step::Farewell],
            Self::Description => &[Step::Description],
            Self::AddMembers | Self::Promote | Self::Demote => &[Step::Numbers],
            Self::Photo => &[Step::Photo],
            Self::Settings => &[Step::Settings],
            Self::JoinRequests => &[Step::Requests],
            Self::Broadcast => &[Step::Variants],
            Self::Create => &[Step::Names, Step::Members, Step::NewSettings],
            Self::Join => &[Step::Links],
        }
    }

    /// Whether the job changes which groups the account is in.
    pub(in crate::tenant) fn changes_the_list(self) -> bool {
        matches!(self, Self::Leave | Self::Create | Self::Join)
    }
}

/// The owner's text as a selection: a word for all (in any language),
/// numbers as shown, a pattern, or names one per line.
pub(super) fn select(
    text: &str,
    groups: &[Group],
    keywords: &Keywords,
) -> Result<Vec<usize>, (selection::Error, Vec<String>)> {
    if keywords.read(text) == Some(Keyword::All) {
        return Ok((0..groups.len()).collect());
    }
    let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    let order = selection::natural_order(&names);
    let looks_numeric = text
        .chars()
        .all(|c| c.is_ascii_digit() || " ,-–\n".contains(c));
    if looks_numeric {
        let all = keywords.words(Keyword::All);
        return selection::shown(text, &order, &all).map_err(|e| (e, vec![]));
    }
    if text.contains(['*', '?']) {
        return selection::by_pattern(text.trim(), &names).map_err(|e| (e, vec![]));
    }
    let by_name = selection::by_names(text, &names);
    if by_name.found.is_empty() || !by_name.unknown.is_empty() {
        return Err((selection::Error::NoMatch, by_name.unknown));
    }
    Ok(by_name.found)
}
