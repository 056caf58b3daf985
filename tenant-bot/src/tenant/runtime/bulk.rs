//! Bulk features in the runtime: the owner picks groups, confirms, and a
//! persisted job runs with a progress message and a cancel button, one
//! job at a time; a job left running by a stopped tenant resumes at its
//! next start. Invite links are the first feature on this pipeline.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use tokio::sync::watch;

use super::{Dialog, Runtime, State};
use crate::store::{Group, JobId, Progress};
use crate::telegram::Button;
use crate::tenant::input::selection;
use crate::tenant::jobs::{self, End, Pacing, Report, Work};
use crate::tenant::pairing::format_remaining;
use crate::whatsapp::{self, WhatsApp};

/// Callback data of the bulk buttons.
pub mod data {
    /// Start picking groups for invite links.
    pub const LINKS: &str = "job:links";
    /// Start picking groups to leave.
    pub const LEAVE: &str = "job:leave";
    /// Start picking groups for a new description.
    pub const DESCRIPTION: &str = "job:description";
    /// Run the confirmed job.
    pub const START: &str = "job:start";
    /// Drop the confirmation.
    pub const ABORT: &str = "job:abort";
    /// Cancel the running job.
    pub const CANCEL: &str = "job:cancel";
}

/// Results above this many go in a file rather than a message.
const FILE_ABOVE: usize = 50;

/// A bulk feature: its kind in the store and its texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Feature {
    /// Each selected group's invite link.
    InviteLinks,
    /// Leave each selected group, after an optional farewell message.
    Leave,
    /// Give each selected group the same description.
    Description,
}

impl Feature {
    fn kind(self) -> &'static str {
        match self {
            Self::InviteLinks => "invite_links",
            Self::Leave => "leave",
            Self::Description => "description",
        }
    }

    fn from_kind(kind: &str) -> Option<Self> {
        match kind {
            "invite_links" => Some(Self::InviteLinks),
            "leave" => Some(Self::Leave),
            "description" => Some(Self::Description),
            _ => None,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::InviteLinks => "bulk-title-invite-links",
            Self::Leave => "bulk-title-leave",
            Self::Description => "bulk-title-description",
        }
    }

    /// The text this feature asks for after the selection, if any.
    fn asks(self) -> Option<&'static str> {
        match self {
            Self::InviteLinks => None,
            Self::Leave => Some("bulk-farewell-ask"),
            Self::Description => Some("bulk-description-ask"),
        }
    }
}

/// A selection waiting for the owner's confirmation.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    feature: Feature,
    jids: Vec<String>,
    /// Parameters kept with the job (a farewell message…).
    params: serde_json::Value,
}

/// The job this runtime runs.
#[derive(Debug)]
pub(super) struct Running {
    cancel: watch::Sender<bool>,
    pub(super) task: tokio::task::JoinHandle<()>,
}

struct InviteLinks(Arc<dyn WhatsApp>);

/// WhatsApp's limit on a group description, in characters; checked before
/// anything is sent.
const MAX_DESCRIPTION: usize = 512;

/// Sets one description on groups.
struct Describe {
    whatsapp: Arc<dyn WhatsApp>,
    text: String,
}

#[async_trait]
impl Work for Describe {
    async fn run(&self, group: &str) -> whatsapp::Result<Option<String>> {
        self.whatsapp
            .set_description(group, &self.text)
            .await
            .map(|()| None)
    }
}

/// Leaves groups, saying `farewell` first when there is one.
struct Leave {
    whatsapp: Arc<dyn WhatsApp>,
    farewell: Option<String>,
}

#[async_trait]
impl Work for Leave {
    async fn run(&self, group: &str) -> whatsapp::Result<Option<String>> {
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

#[async_trait]
impl Work for InviteLinks {
    async fn run(&self, group: &str) -> whatsapp::Result<Option<String>> {
        self.0.invite_link(group, false).await.map(Some)
    }
}

/// Progress edited into one message, with a cancel button.
struct Edits {
    runtime: Arc<Runtime>,
    message: i32,
    title: String,
    language: crds::Language,
}

fn bar(progress: Progress) -> String {
    let decided = progress.done + progress.failed;
    let filled = (decided * 10).checked_div(progress.total).unwrap_or(10) as usize;
    format!("{}{}", "▓".repeat(filled), "░".repeat(10 - filled.min(10)))
}

#[async_trait]
impl Report for Edits {
    async fn progress(&self, progress: Progress, left: Option<Duration>) {
        let catalog = &self.runtime.catalog;
        let text = catalog.text(
            self.language,
            "bulk-progress",
            &[
                ("title", &self.title),
                ("decided", &(progress.done + progress.failed).to_string()),
                ("total", &progress.total.to_string()),
                ("ok", &progress.done.to_string()),
                ("failed", &progress.failed.to_string()),
                ("bar", &bar(progress)),
                ("left", &format_remaining(left.unwrap_or_default())),
            ],
        );
        let cancel = catalog.text(self.language, "button-cancel", &[]);
        let buttons = vec![vec![Button::new(cancel, data::CANCEL)]];
        if let Err(error) = self
            .runtime
            .messenger
            .edit(self.message, text, buttons)
            .await
        {
            tracing::warn!(%error, "cannot show the job's progress");
        }
    }
}

/// The owner's text as a selection: numbers as shown, a pattern, or
/// names one per line.
fn select(text: &str, groups: &[Group]) -> Result<Vec<usize>, (selection::Error, Vec<String>)> {
    let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    let order = selection::natural_order(&names);
    let looks_numeric = text
        .chars()
        .all(|c| c.is_ascii_digit() || " ,-–\n".contains(c))
        || text.trim().eq_ignore_ascii_case("all");
    if looks_numeric {
        return selection::shown(text, &order).map_err(|e| (e, vec![]));
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

impl Runtime {
    /// Asks which groups, showing the list.
    pub(super) async fn ask_selection(&self, state: &mut State, feature: Feature) {
        self.groups_page(state, None, 0).await;
        state.dialog = Some(Dialog::Select(feature));
        let text = self.text(state, "bulk-select", &[]);
        self.say(text, vec![]).await;
    }

    /// The owner's selection: confirm it, or say what is wrong (and keep
    /// asking).
    pub(super) async fn selected(&self, state: &mut State, feature: Feature, text: &str) {
        let groups = self.store.groups().await.unwrap_or_default();
        let chosen = match select(text, &groups) {
            Ok(chosen) => chosen,
            Err((error, unknown)) => {
                let mut args: Vec<(&str, String)> = error.args();
                args.push(("names", unknown.join(", ")));
                let borrowed: Vec<(&str, &str)> =
                    args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let id = if unknown.is_empty() {
                    error.message_id()
                } else {
                    "bulk-unknown-names"
                };
                let reason = self.text(state, id, &borrowed);
                self.say(reason, vec![]).await;
                state.dialog = Some(Dialog::Select(feature));
                return;
            }
        };
        let names: Vec<&str> = chosen.iter().map(|i| groups[*i].name.as_str()).collect();
        let mut listed = names
            .iter()
            .take(10)
            .map(|n| format!("• {n}"))
            .collect::<Vec<_>>();
        if names.len() > 10 {
            listed.push(format!("… +{}", names.len() - 10));
        }
        let title = self.text(state, feature.title(), &[]);
        let count = names.len().to_string();
        let mut text = self.text(
            state,
            "bulk-confirm",
            &[("title", &title), ("count", &count)],
        );
        text.push('\n');
        text.push_str(&listed.join("\n"));
        let buttons = vec![vec![
            Button::new(self.text(state, "button-start", &[]), data::START),
            Button::new(self.text(state, "button-cancel", &[]), data::ABORT),
        ]];
        state.pending = Some(Pending {
            feature,
            jids: chosen.iter().map(|i| groups[*i].jid.clone()).collect(),
            params: json!({}),
        });
        if let Some(ask) = feature.asks() {
            // The confirmation waits for the feature's text.
            state.dialog = Some(Dialog::Text(feature, text));
            let ask = self.text(state, ask, &[]);
            self.say(ask, vec![]).await;
            return;
        }
        self.say(text, buttons).await;
    }

    /// The text a feature asked for, then the confirmation: a farewell for
    /// leaving (none after `/skip`), a description within WhatsApp's limit.
    pub(super) async fn feature_text(
        &self,
        state: &mut State,
        feature: Feature,
        confirm: String,
        text: &str,
    ) {
        let params = match feature {
            Feature::Leave if text.trim() == "/skip" => json!({}),
            Feature::Leave => json!({"farewell": text}),
            Feature::Description if text.trim() == "/skip" => {
                // A description is required; ask again.
                let ask = self.text(state, "bulk-description-ask", &[]);
                self.say(ask, vec![]).await;
                state.dialog = Some(Dialog::Text(feature, confirm));
                return;
            }
            Feature::Description => {
                let length = text.chars().count();
                if length > MAX_DESCRIPTION {
                    let args = [
                        ("length", length.to_string()),
                        ("max", MAX_DESCRIPTION.to_string()),
                    ];
                    let args: Vec<(&str, &str)> =
                        args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    let reason = self.text(state, "bulk-description-too-long", &args);
                    self.say(reason, vec![]).await;
                    state.dialog = Some(Dialog::Text(feature, confirm));
                    return;
                }
                json!({"text": text})
            }
            Feature::InviteLinks => json!({}),
        };
        if let Some(pending) = state.pending.as_mut() {
            pending.params = params;
        }
        let buttons = vec![vec![
            Button::new(self.text(state, "button-start", &[]), data::START),
            Button::new(self.text(state, "button-cancel", &[]), data::ABORT),
        ]];
        self.say(confirm, buttons).await;
    }

    /// Handles a bulk button; false when `data` is not one.
    pub(super) async fn on_bulk_button(self: &Arc<Self>, data: &str, state: &mut State) -> bool {
        match data {
            data::LINKS => self.ask_selection(state, Feature::InviteLinks).await,
            data::LEAVE => self.ask_selection(state, Feature::Leave).await,
            data::DESCRIPTION => self.ask_selection(state, Feature::Description).await,
            data::ABORT => {
                state.pending = None;
                let text = self.text(state, "bulk-aborted", &[]);
                self.say(text, vec![]).await;
            }
            data::CANCEL => match &state.job {
                Some(job) if !job.task.is_finished() => {
                    let _ = job.cancel.send(true);
                }
                _ => {
                    let text = self.text(state, "stale-button", &[]);
                    self.say(text, vec![]).await;
                }
            },
            data::START => {
                let Some(pending) = state.pending.take() else {
                    let text = self.text(state, "stale-button", &[]);
                    self.say(text, vec![]).await;
                    return true;
                };
                let busy = state.job.as_ref().is_some_and(|j| !j.task.is_finished())
                    || matches!(self.store.running_job().await, Ok(Some(_)));
                if busy {
                    let text = self.text(state, "bulk-busy", &[]);
                    self.say(text, vec![]).await;
                    return true;
                }
                let created = self
                    .store
                    .create_job(
                        pending.feature.kind(),
                        pending.params,
                        2000,
                        pending.jids,
                        now(),
                    )
                    .await;
                match created {
                    Ok(job) => {
                        self.start_job(state, job, pending.feature, Duration::from_secs(2))
                            .await
                    }
                    Err(error) => tracing::warn!(%error, "cannot create a job"),
                }
            }
            _ => return false,
        }
        true
    }

    /// Resumes a job a stopped tenant left running.
    pub(super) async fn resume_job(self: &Arc<Self>, state: &mut State) {
        let Ok(Some(job)) = self.store.running_job().await else {
            return;
        };
        match self.store.job_kind(job).await {
            Ok(Some((kind, delay_ms))) => match Feature::from_kind(&kind) {
                Some(feature) => {
                    let delay = Duration::from_millis(u64::from(delay_ms));
                    self.start_job(state, job, feature, delay).await;
                }
                None => tracing::warn!(%kind, "a running job of an unknown kind"),
            },
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "cannot read the running job"),
        }
    }

    async fn start_job(
        self: &Arc<Self>,
        state: &mut State,
        job: JobId,
        feature: Feature,
        delay: Duration,
    ) {
        let title = self.text(state, feature.title(), &[]);
        let text = self.text(state, "bulk-started", &[("title", &title)]);
        let cancel_label = self.text(state, "button-cancel", &[]);
        let buttons = vec![vec![Button::new(cancel_label, data::CANCEL)]];
        let message = match self.messenger.send(text, buttons).await {
            Ok(id) => id,
            Err(error) => {
                tracing::warn!(%error, "cannot start the job's message");
                return;
            }
        };
        let (cancel, cancelled) = watch::channel(false);
        let runtime = self.clone();
        let language = state.language;
        let stop = state.stop.clone();
        let task = tokio::spawn(async move {
            let report = Edits {
                runtime: runtime.clone(),
                message,
                title,
                language,
            };
            let work: Box<dyn Work> = match feature {
                Feature::InviteLinks => Box::new(InviteLinks(runtime.whatsapp.clone())),
                Feature::Leave => Box::new(Leave {
                    whatsapp: runtime.whatsapp.clone(),
                    farewell: runtime.job_param(job, "farewell").await,
                }),
                Feature::Description => Box::new(Describe {
                    whatsapp: runtime.whatsapp.clone(),
                    text: runtime.job_param(job, "text").await.unwrap_or_default(),
                }),
            };
            let pacing = Pacing {
                delay,
                ..Pacing::default()
            };
            let end = jobs::run(
                &runtime.store,
                job,
                work.as_ref(),
                &report,
                pacing,
                cancelled,
                stop,
            )
            .await;
            match end {
                Ok(End::Finished(progress) | End::Cancelled(progress)) => {
                    runtime.summarize(job, progress, &report).await;
                }
                Ok(End::Interrupted) => {}
                Err(error) => tracing::warn!(%error, "the job failed"),
            }
        });
        state.job = Some(Running { cancel, task });
    }

    /// A string parameter the job was created with.
    async fn job_param(&self, job: JobId, name: &str) -> Option<String> {
        let params = self.store.job_params(job).await.ok()??;
        params.get(name)?.as_str().map(str::to_owned)
    }

    /// The final summary: the outcome of every item, in a file when long.
    async fn summarize(&self, job: JobId, progress: Progress, report: &Edits) {
        let language = report.language;
        let outcomes = self.store.job_outcomes(job).await.unwrap_or_default();
        let names: std::collections::HashMap<String, String> = self
            .store
            .groups()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|g| (g.jid, g.name))
            .collect();
        let lines: Vec<String> = outcomes
            .iter()
            .map(|(jid, outcome)| {
                let name = names.get(jid).map_or(jid.as_str(), String::as_str);
                match outcome {
                    Ok(result) => format!("✅ {name}: {}", result.as_deref().unwrap_or("")),
                    Err(reason) => format!("❌ {name}: {reason}"),
                }
            })
            .collect();
        let head = self.catalog.text(
            language,
            "bulk-done",
            &[
                ("title", &report.title),
                ("ok", &progress.done.to_string()),
                ("failed", &progress.failed.to_string()),
                (
                    "skipped",
                    &(progress.total - progress.done - progress.failed).to_string(),
                ),
            ],
        );
        let _ = self
            .messenger
            .edit(report.message, head.clone(), vec![])
            .await;
        if lines.len() > FILE_ABOVE {
            let body = lines.join("\n") + "\n";
            let sent = self
                .messenger
                .send_file(format!("{}.txt", "results"), body.into_bytes(), head)
                .await;
            if let Err(error) = sent {
                tracing::warn!(%error, "cannot send the job's results");
            }
        } else if !lines.is_empty() {
            let _ = self.messenger.send(lines.join("\n"), vec![]).await;
        }
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str) -> Group {
        Group {
            jid: format!("{name}@g.us"),
            name: name.to_owned(),
            member_count: 1,
            is_admin: true,
            invite_link: None,
        }
    }

    #[test]
    fn a_selection_by_numbers_patterns_or_names() {
        let groups: Vec<Group> = ["Grup 10", "Grup 2", "Toko"].map(group).to_vec();
        // Shown as 1. Grup 2, 2. Grup 10, 3. Toko.
        assert_eq!(select("1", &groups), Ok(vec![1]));
        assert_eq!(select("1-2", &groups), Ok(vec![0, 1]));
        assert_eq!(select("all", &groups), Ok(vec![0, 1, 2]));
        assert_eq!(select("grup*", &groups), Ok(vec![0, 1]));
        assert_eq!(select("Toko\ngrup 2", &groups), Ok(vec![1, 2]));
        assert_eq!(
            select("Toko\nSekolah", &groups),
            Err((selection::Error::NoMatch, vec!["Sekolah".to_owned()]))
        );
        assert_eq!(
            select("4", &groups),
            Err((selection::Error::OutOfRange { number: 4, max: 3 }, vec![]))
        );
    }

    #[test]
    fn the_bar_fills_with_decided_items() {
        let p = |total, done, failed| Progress {
            total,
            done,
            failed,
        };
        assert_eq!(bar(p(10, 0, 0)), "░░░░░░░░░░");
        assert_eq!(bar(p(10, 3, 2)), "▓▓▓▓▓░░░░░");
        assert_eq!(bar(p(4, 4, 0)), "▓▓▓▓▓▓▓▓▓▓");
        assert_eq!(bar(p(0, 0, 0)), "▓▓▓▓▓▓▓▓▓▓");
    }
}
