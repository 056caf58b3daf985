//! The account's groups as the owner sees them: numbered pages in natural
//! order, search by a fragment of the name, and TXT and CSV exports. Pure
//! rendering; the runtime fetches and sends.

use crds::Language;

use super::input::selection;
use crate::store::Group;
use crate::telegram::{Button, Catalog};

/// Callback data of the groups menu's buttons.
pub mod data {
    /// The menu itself.
    pub const MENU: &str = "menu:groups";
    /// A page of the list: `groups:page:<n>`.
    pub const PAGE: &str = "groups:page:";
    /// Fetch the list from WhatsApp again.
    pub const REFRESH: &str = "groups:refresh";
    /// Ask for a name fragment.
    pub const SEARCH: &str = "groups:search";
    /// Export as text.
    pub const TXT: &str = "groups:txt";
    /// Export as CSV.
    pub const CSV: &str = "groups:csv";
}

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
        navigation.push(Button::new("◀️", format!("{}{}", data::PAGE, page - 1)));
    }
    if page + 1 < pages {
        navigation.push(Button::new("▶️", format!("{}{}", data::PAGE, page + 1)));
    }
    let mut buttons = vec![navigation];
    buttons.extend(menu_buttons(catalog, language));
    buttons.retain(|row| !row.is_empty());
    (lines.join("\n"), buttons)
}

/// The groups menu's buttons.
pub fn menu_buttons(catalog: &Catalog, language: Language) -> Vec<Vec<Button>> {
    let button = |id: &str, data: &str| Button::new(catalog.text(language, id, &[]), data);
    vec![
        vec![
            button("button-refresh", data::REFRESH),
            button("button-search", data::SEARCH),
        ],
        vec![
            button("button-export-txt", data::TXT),
            button("button-export-csv", data::CSV),
        ],
        vec![
            button("button-invite-links", "job:links"),
            button("button-join", "job:join"),
            button("button-create", "job:create"),
        ],
        vec![
            button("button-add", "job:add"),
            button("button-promote", "job:promote"),
            button("button-demote", "job:demote"),
        ],
        vec![
            button("button-description", "job:description"),
            button("button-photo", "job:photo"),
            button("button-settings", "job:settings"),
        ],
        vec![
            button("button-requests", "job:requests"),
            button("button-broadcast", "job:broadcast"),
            button("button-leave", "job:leave"),
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
