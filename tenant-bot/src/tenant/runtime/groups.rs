//! The groups menu in the runtime: the list from the cache (fetched from
//! WhatsApp when empty or on Refresh), its pages, search and exports.

use std::sync::Arc;

use super::{Dialog, Runtime, State};
use crate::protocol::callback::Groups;
use crate::store::Group;
use crate::tenant::groups;

impl Runtime {
    /// The cached groups; fetched from WhatsApp first when the cache is
    /// empty.
    async fn cached_groups(&self, state: &State) -> Vec<Group> {
        match self.store.groups().await {
            Ok(groups) if !groups.is_empty() => groups,
            _ => self.refresh_groups(state).await.unwrap_or_default(),
        }
    }

    /// Fetches the groups from WhatsApp into the cache; `None` (after
    /// telling the owner) when WhatsApp fails.
    async fn refresh_groups(&self, state: &State) -> Option<Vec<Group>> {
        match self.fetch_groups().await {
            Ok(groups) => Some(groups),
            Err(error) => {
                let reason = crds::naming::Chain(&error).to_string();
                let text = self.text(state, "groups-refresh-failed", &[("reason", &reason)]);
                self.say(text, vec![]).await;
                None
            }
        }
    }

    /// Fetches the groups into the cache without a word to the owner (on
    /// a timer, after a job that changed the list).
    pub(super) async fn refresh_quietly(&self) {
        if let Err(error) = self.fetch_groups().await {
            tracing::info!(error = %crds::naming::why(&error), "cannot refresh the groups");
        }
    }

    /// Fetches the groups from WhatsApp and replaces the cache, keeping
    /// the invite links already known.
    async fn fetch_groups(&self) -> crate::whatsapp::Result<Vec<Group>> {
        let fetched = self.whatsapp.groups().await?;
        let links: std::collections::HashMap<String, String> = self
            .store
            .groups()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter_map(|g| Some((g.jid, g.invite_link?)))
            .collect();
        let groups: Vec<Group> = fetched
            .into_iter()
            .map(|g| Group {
                member_count: u32::try_from(g.members.len()).unwrap_or(u32::MAX),
                name: g.name,
                is_admin: g.is_admin,
                invite_link: links.get(&g.jid).cloned(),
                jid: g.jid,
            })
            .collect();
        let at = crate::store::unix_seconds();
        if let Err(error) = self.store.replace_groups(groups.clone(), at).await {
            tracing::warn!(error = %crds::naming::why(&error), "cannot cache the groups");
        }
        Ok(groups)
    }

    /// Shows page `page` of the list in `message` (or a new message).
    pub(in crate::tenant) async fn groups_page(
        &self,
        state: &State,
        message: Option<i32>,
        page: usize,
    ) {
        let list = self.cached_groups(state).await;
        self.show_page(state, message, &list, page).await;
    }

    /// Shows page `page` of `list` in `message` (or a new message).
    async fn show_page(&self, state: &State, message: Option<i32>, list: &[Group], page: usize) {
        let (text, buttons) = groups::page(&self.catalog, state.language, list, page);
        match message {
            Some(id) => {
                if let Err(error) = self.messenger.edit(id, text, buttons).await {
                    tracing::warn!(error = %crds::naming::why(&error), "cannot show the groups");
                }
            }
            None => self.say(text, buttons).await,
        }
    }

    /// Handles a button of the groups list.
    pub(in crate::tenant) async fn on_groups_button(
        self: &Arc<Self>,
        button: Groups,
        state: &mut State,
        message: Option<i32>,
    ) {
        match button {
            Groups::Page(page) => self.groups_page(state, message, page).await,
            Groups::Refresh => {
                if let Some(list) = self.refresh_groups(state).await {
                    let count = list.len().to_string();
                    let text = self.text(state, "groups-refreshed", &[("count", &count)]);
                    self.say(text, vec![]).await;
                    // The list just fetched: an empty one read back from
                    // the cache would be fetched again.
                    self.show_page(state, None, &list, 0).await;
                }
            }
            Groups::Search => {
                state.dialog = Some(Dialog::Search);
                let text = self.text(state, "groups-search-ask", &[]);
                self.say(text, vec![]).await;
            }
            Groups::Txt | Groups::Csv => {
                let list = self.cached_groups(state).await;
                let (name, body) = if button == Groups::Txt {
                    ("groups.txt", Ok(groups::to_txt(&list)))
                } else {
                    ("groups.csv", groups::to_csv(&list))
                };
                let body = match body {
                    Ok(body) => body,
                    Err(error) => {
                        tracing::warn!(error = %crds::naming::why(&error), "cannot write the export");
                        return;
                    }
                };
                let count = list.len().to_string();
                let caption = self.text(state, "groups-export-caption", &[("count", &count)]);
                let sent = self
                    .messenger
                    .send_file(name.to_owned(), body.into_bytes(), caption)
                    .await;
                if let Err(error) = sent {
                    tracing::warn!(error = %crds::naming::why(&error), "cannot send the export");
                }
            }
        }
    }

    /// A search answered with the text the owner sent.
    pub(in crate::tenant) async fn search_groups(&self, state: &State, fragment: &str) {
        let list = self.cached_groups(state).await;
        let text = groups::search(&self.catalog, state.language, &list, fragment);
        self.say(text, vec![]).await;
    }
}
