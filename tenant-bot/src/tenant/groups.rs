//! The account's groups as the owner sees them: numbered pages in natural
//! order, search by a fragment of the name, and TXT and CSV exports. Pure
//! rendering; the runtime fetches and sends.

use crds::Language;

use super::input::selection;
use crate::protocol::callback::{Feature, Groups, Job, Tenant};
use crate::store::Group;
use crate::telegram::{Button, Catalog};

/// The groups in the order they are shown and numbered.
pub fn ordered(groups: &[Group]) -> Vec<&Group> {
    let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    selection::natural_order(&names)
        .into_iter()
        .map(|i| &groups[i])
        .collect()
}

fn line(catalog: &Catalog, language: Language, number: usize, group: &Group) -> String {
    let members = group.member_count.to_string();
    let number = number.to_string();
    let id = if group.is_admin {
        "groups-line-admin"
    } else {
        "groups-line"
    };
    catalog.text(
        language,
        id,
        &[
            ("number", &number),
            ("name", &group.name),
            ("members", &members),
        ],
    )
}

/// Page `page` (from 0) of the list, with its navigation buttons.
pub fn page(
    catalog: &Catalog,
    language: Language,
    groups: &[Group],
    page: usize,
) -> (String, Vec<Vec<Button>>) {
    let shown = ordered(groups);
    if shown.is_empty() {
        return (
            catalog.text(language, "groups-empty", &[]),
            menu_buttons(catalog, language),
        );
    }
    let pages = shown.len().div_ceil(selection::PAGE_SIZE);
    let page = page.min(pages - 1);
    let first = page * selection::PAGE_SIZE;
    let mut lines = vec![catalog.text(
        language,
        "groups-page",
        &[
            ("page", &(page + 1).to_string()),
            ("pages", &pages.to_string()),
            ("total", &shown.len().to_string()),
        ],
    )];
    for (offset, group) in shown
        .iter()
        .skip(first)
        .take(selection::PAGE_SIZE)
        .enumerate()
    {
        lines.push(line(catalog, language, first + offset + 1, group));
    }
    let mut navigation = Vec::new();
    if page > 0 {
        let previous = Tenant::Groups(Groups::Page(page - 1));
        navigation.push(Button::new("◀️", previous.to_string()));
    }
    if page + 1 < pages {
        let next = Tenant::Groups(Groups::Page(page + 1));
        navigation.push(Button::new("▶️", next.to_string()));
    }
    let mut buttons = vec![navigation];
    buttons.extend(menu_buttons(catalog, language));
    buttons.retain(|row| !row.is_empty());
    (lines.join("\n"), buttons)
}

/// The groups menu's buttons.
pub fn menu_buttons(catalog: &Catalog, language: Language) -> Vec<Vec<Button>> {
    let button =
        |id: &str, data: Tenant| Button::new(catalog.text(language, id, &[]), data.to_string());
    let job = |id: &str, feature| button(id, Tenant::Job(Job::Begin(feature)));
    vec![
        vec![
            button("button-refresh", Tenant::Groups(Groups::Refresh)),
            button("button-search", Tenant::Groups(Groups::Search)),
        ],
        vec![
            button("button-export-txt", Tenant::Groups(Groups::Txt)),
            button("button-export-csv", Tenant::Groups(Groups::Csv)),
        ],
        vec![
            job("button-invite-links", Feature::InviteLinks),
            job("button-join", Feature::Join),
            job("button-create", Feature::Create),
        ],
        vec![
            job("button-add", Feature::AddMembers),
            job("button-promote", Feature::Promote),
            job("button-demote", Feature::Demote),
        ],
        vec![
            job("button-description", Feature::Description),
            job("button-photo", Feature::Photo),
            job("button-settings", Feature::Settings),
        ],
        vec![
            job("button-requests", Feature::JoinRequests),
            job("button-broadcast", Feature::Broadcast),
            job("button-leave", Feature::Leave),
        ],
    ]
}

/// The groups whose name contains `fragment`, ignoring case, numbered as
/// in the list.
pub fn search(catalog: &Catalog, language: Language, groups: &[Group], fragment: &str) -> String {
    let needle = fragment.trim().to_lowercase();
    let found: Vec<String> = ordered(groups)
        .into_iter()
        .enumerate()
        .filter(|(_, g)| !needle.is_empty() && g.name.to_lowercase().contains(&needle))
        .map(|(i, g)| line(catalog, language, i + 1, g))
        .collect();
    if found.is_empty() {
        return catalog.text(language, "groups-search-none", &[("text", fragment.trim())]);
    }
    let mut lines = vec![catalog.text(
        language,
        "groups-search-found",
        &[
            ("text", fragment.trim()),
            ("count", &found.len().to_string()),
        ],
    )];
    lines.extend(found);
    // Telegram's limit is 4,096 characters; keep well inside it.
    let mut text = String::new();
    for line in lines {
        if text.chars().count() + line.chars().count() + 1 > 4000 {
            text.push('…');
            break;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&line);
    }
    text
}

/// The list as plain text, one group a line: name, JID, members, link.
pub fn to_txt(groups: &[Group]) -> String {
    let mut out = String::new();
    for (i, group) in ordered(groups).into_iter().enumerate() {
        out.push_str(&format!(
            "{}. {}\t{}\t{}\t{}\n",
            i + 1,
            group.name,
            group.jid,
            group.member_count,
            group.invite_link.as_deref().unwrap_or("")
        ));
    }
    out
}

/// The list as CSV with a header row.
pub fn to_csv(groups: &[Group]) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["name", "jid", "members", "admin", "invite_link"])?;
    for group in ordered(groups) {
        writer.write_record([
            group.name.as_str(),
            group.jid.as_str(),
            &group.member_count.to_string(),
            if group.is_admin { "yes" } else { "no" },
            group.invite_link.as_deref().unwrap_or(""),
        ])?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests;
