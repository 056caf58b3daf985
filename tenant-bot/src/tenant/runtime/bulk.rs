//! Bulk features in the runtime: the owner picks groups (or gives names
//! or links), answers the feature's questions, sees everything back with
//! the pause between items, confirms, and a persisted job runs with a
//! progress message and a cancel button, one job at a time; a job left
//! running by a stopped tenant resumes at its next start.

use std::sync::Arc;

use serde_json::{Map, Value, json};

pub(in crate::tenant) use self::answers::Answer;
use self::answers::{MAX_DESCRIPTION, Step, text_of};
use super::choices::Choice;
use super::{Dialog, Runtime, State};
use crate::protocol::callback::{Job, Requests, Tenant};
use crate::store::Group;
use crate::telegram::{Button, Keyword};
use crate::tenant::input::{names, selection};

/// Largest photo read, in bytes.
pub(in crate::tenant) const MAX_PHOTO_FILE: usize = 10 * 1024 * 1024;
/// The longest pause the owner may choose, in seconds.
const MAX_DELAY: u32 = 300;
/// The pauses offered as buttons, in seconds.
const DELAYS: [u32; 7] = [0, 2, 5, 10, 30, 60, 300];

/// A bulk feature; its button's data is the protocol's, what it does is
/// here.
pub(super) use crate::protocol::callback::Feature;

/// A job being prepared: the items, the answers so far, the pause.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    feature: Feature,
    /// What each item works on: JIDs, names or invite codes.
    targets: Vec<String>,
    /// How the owner knows each item.
    labels: Vec<String>,
    /// Parameters kept with the job (a farewell message…).
    params: Map<String, Value>,
    /// The next question.
    step: usize,
    /// The pause between items, in seconds.
    delay: u32,
    /// Things to say with the confirmation (how many numbers…).
    notes: Vec<String>,
    /// What the owner's answers left out, to say with the confirmation.
    skipped: Skipped,
    /// Whether the file of what was left out was sent.
    skipped_file: bool,
    /// The settings chosen so far.
    choice: Choice,
    /// Broadcast variants so far.
    variants: Vec<String>,
}

impl Pending {
    fn new(feature: Feature) -> Self {
        Self {
            feature,
            targets: Vec::new(),
            labels: Vec::new(),
            params: Map::new(),
            step: 0,
            delay: 2,
            notes: Vec::new(),
            skipped: Skipped::default(),
            skipped_file: false,
            choice: Choice::default(),
            variants: Vec::new(),
        }
    }

    fn current(&self) -> Option<Step> {
        self.feature.steps().get(self.step).copied()
    }
}

/// The job this runtime runs.
#[derive(Debug)]
pub(super) struct Running {
    cancel: tokio_util::sync::CancellationToken,
    pub(super) task: tokio::task::JoinHandle<()>,
}

impl Runtime {
    fn say_id(&self, state: &State, id: &str, args: &[(&str, String)]) -> String {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.text(state, id, &args)
    }

    /// Whether a job runs now. The store says: a job is running from its
    /// creation until its last item is decided or it is cancelled (its
    /// task may still be sending the summary then).
    async fn busy(&self) -> bool {
        matches!(self.store.running_job().await, Ok(Some(_)))
    }

    /// Starts preparing `feature`: the list to pick from, or its first
    /// question.
    async fn begin(&self, state: &mut State, feature: Feature) {
        if self.busy().await {
            let text = self.text(state, "bulk-busy", &[]);
            self.say(text, vec![]).await;
            return;
        }
        state.pending = None;
        if feature.picks_groups() {
            self.groups_page(state, None, 0).await;
            state.dialog = Some(Dialog::Select(feature));
            let text = self.text(state, "bulk-select", &[]);
            self.say(text, vec![]).await;
        } else {
            state.pending = Some(Pending::new(feature));
            self.next_step(state).await;
        }
    }

    /// The owner's selection: on to the feature's questions, or say what
    /// is wrong (and keep asking).
    pub(in crate::tenant) async fn selected(
        &self,
        state: &mut State,
        feature: Feature,
        answer: Answer,
    ) {
        let text = match text_of(&answer) {
            Ok(text) => text,
            Err(error) => {
                let reason = self.text(state, error.message_id(), &[]);
                self.say(reason, vec![]).await;
                state.dialog = Some(Dialog::Select(feature));
                return;
            }
        };
        let groups = self.store.groups().await.unwrap_or_default();
        let chosen = match select(&text, &groups, self.catalog.keywords()) {
            Ok(chosen) => chosen,
            Err((error, unknown)) => {
                let mut args: Vec<(&str, String)> = error.args();
                args.push(("names", unknown.join(", ")));
                let id = if unknown.is_empty() {
                    error.message_id()
                } else {
                    "bulk-unknown-names"
                };
                let reason = self.say_id(state, id, &args);
                self.say(reason, vec![]).await;
                state.dialog = Some(Dialog::Select(feature));
                return;
            }
        };
        let chosen = in_shown_order(chosen, &groups);
        let mut pending = Pending::new(feature);
        pending.targets = chosen.iter().map(|i| groups[*i].jid.clone()).collect();
        pending.labels = chosen.iter().map(|i| groups[*i].name.clone()).collect();
        state.pending = Some(pending);
        self.next_step(state).await;
    }

    /// Asks the pending feature's next question, or shows the
    /// confirmation when there is none left.
    async fn next_step(&self, state: &mut State) {
        let Some(pending) = &state.pending else {
            return;
        };
        let Some(step) = pending.current() else {
            self.confirm(state, None).await;
            return;
        };
        match step {
            Step::Settings | Step::NewSettings => {
                let optional = step == Step::NewSettings;
                let (text, buttons) =
                    pending
                        .choice
                        .render(&self.catalog, state.language, optional);
                self.say(text, buttons).await;
            }
            Step::Requests => {
                let button = |id: &str, action| {
                    let data = Tenant::Job(Job::Requests(action));
                    Button::new(self.text(state, id, &[]), data.to_string())
                };
                let buttons = vec![vec![
                    button("button-requests-list", Requests::List),
                    button("button-requests-approve", Requests::Approve),
                    button("button-requests-reject", Requests::Reject),
                ]];
                let text = self.text(state, step.ask(), &[]);
                self.say(text, buttons).await;
            }
            _ => {
                let args = [
                    ("max", MAX_DESCRIPTION.to_string()),
                    ("count", names::MAX_GROUPS.to_string()),
                ];
                let text = self.say_id(state, step.ask(), &args);
                state.dialog = Some(Dialog::Step);
                self.say(text, vec![]).await;
            }
        }
    }

    /// The answer to the pending feature's current question.
    pub(in crate::tenant) async fn step_answer(&self, state: &mut State, answer: Answer) {
        let Some(mut pending) = state.pending.take() else {
            return;
        };
        let Some(step) = pending.current() else {
            state.pending = Some(pending);
            return;
        };
        let taken = self.take(state, &mut pending, step, answer);
        state.pending = Some(pending);
        match taken {
            Ok(true) => {
                if let Some(pending) = state.pending.as_mut() {
                    pending.step += 1;
                }
                self.next_step(state).await;
            }
            Ok(false) => {
                state.dialog = Some(Dialog::Step);
                if step == Step::Variants {
                    let count = state.pending.as_ref().map_or(0, |p| p.variants.len());
                    let text =
                        self.say_id(state, "bulk-variant-saved", &[("count", count.to_string())]);
                    let done = Button::new(
                        self.text(state, "button-done", &[]),
                        Tenant::Job(Job::VariantsDone).to_string(),
                    );
                    self.say(text, vec![vec![done]]).await;
                }
            }
            Err(reason) => {
                self.say(reason, vec![]).await;
                state.dialog = Some(Dialog::Step);
            }
        }
    }

    /// The confirmation: what will happen to what, the pause between
    /// items, and the buttons to change the pause, start or drop it. Yes
    /// or no may be typed too.
    async fn confirm(&self, state: &mut State, message: Option<i32>) {
        let Some(pending) = &state.pending else {
            return;
        };
        let title = self.text(state, pending.feature.title(), &[]);
        let count = pending.targets.len().to_string();
        let delay = pending.delay.to_string();
        let mut lines = vec![self.text(
            state,
            "bulk-confirm",
            &[("title", &title), ("count", &count), ("delay", &delay)],
        )];
        lines.extend(pending.labels.iter().take(10).map(|l| format!("• {l}")));
        if pending.labels.len() > 10 {
            lines.push(format!("… +{}", pending.labels.len() - 10));
        }
        let settings = Choice::of(&settings_of(
            &Value::Object(pending.params.clone()),
            "settings",
        ));
        lines.extend(settings.lines(&self.catalog, state.language, false));
        if pending.feature == Feature::InviteLinks {
            let reset = pending.params.get("reset") == Some(&json!(true));
            let id = if reset {
                "bulk-reset-on"
            } else {
                "bulk-reset-off"
            };
            lines.push(self.text(state, id, &[]));
        }
        if let Some(action) = pending.params.get("action").and_then(Value::as_str) {
            lines.push(self.text(state, &format!("bulk-requests-{action}"), &[]));
        }
        if !pending.variants.is_empty() {
            let count = pending.variants.len().to_string();
            lines.push(self.text(state, "bulk-variants-count", &[("count", &count)]));
        }
        lines.extend(pending.notes.iter().cloned());
        let left_out = pending.skipped.report(
            &self.catalog,
            state.language,
            &title,
            &lines,
            pending.skipped_file,
        );
        lines.extend(left_out.lines);

        let delay_button = |seconds: u32| {
            let mark = if seconds == pending.delay { "• " } else { "" };
            let data = Tenant::Job(Job::Delay(seconds));
            Button::new(format!("{mark}⏱ {seconds}s"), data.to_string())
        };
        let mut buttons = vec![
            DELAYS[..4]
                .iter()
                .map(|s| delay_button(*s))
                .collect::<Vec<_>>(),
            DELAYS[4..]
                .iter()
                .map(|s| delay_button(*s))
                .collect::<Vec<_>>(),
        ];
        let button =
            |id: &str, job| Button::new(self.text(state, id, &[]), Tenant::Job(job).to_string());
        buttons[1].push(button("button-delay-other", Job::DelayTyped));
        if pending.feature == Feature::InviteLinks {
            buttons.push(vec![button("button-reset", Job::Reset)]);
        }
        buttons.push(vec![
            button("button-start", Job::Start),
            button("button-cancel", Job::Abort),
        ]);
        let text = lines.join("\n");
        state.dialog = Some(Dialog::Confirm);
        if let Some((name, body, caption)) = left_out.file {
            if let Some(pending) = state.pending.as_mut() {
                pending.skipped_file = true;
            }
            let sent = self
                .messenger
                .send_file(name, body.into_bytes(), caption)
                .await;
            if let Err(error) = sent {
                tracing::warn!(error = %crds::naming::why(&error), "cannot send what was left out");
            }
        }
        match message {
            Some(id) => {
                if let Err(error) = self.messenger.edit(id, text, buttons).await {
                    tracing::warn!(error = %crds::naming::why(&error), "cannot update the confirmation");
                }
            }
            None => self.say(text, buttons).await,
        }
    }

    /// A pause typed in seconds: a whole number, with or without the
    /// word for seconds after it ("10", "10s", "10 detik").
    pub(in crate::tenant) async fn delay_typed(&self, state: &mut State, text: &str) {
        let text = text.trim();
        let digits = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(digits);
        let unit = unit.trim();
        let keywords = self.catalog.keywords();
        let seconds = match number.parse::<u32>() {
            Ok(seconds) if unit.is_empty() || keywords.is(Keyword::Seconds, unit) => Some(seconds),
            _ => None,
        };
        match seconds {
            Some(seconds) if seconds <= MAX_DELAY => {
                if let Some(pending) = state.pending.as_mut() {
                    pending.delay = seconds;
                }
                self.confirm(state, None).await;
            }
            _ => {
                let text = self.say_id(
                    state,
                    "bulk-delay-invalid",
                    &[("max", MAX_DELAY.to_string())],
                );
                self.say(text, vec![]).await;
                state.dialog = Some(Dialog::Delay);
            }
        }
    }

    /// Handles a bulk job's button; false when it means nothing now.
    pub(in crate::tenant) async fn on_bulk_button(
        self: &Arc<Self>,
        button: Job,
        state: &mut State,
        message: Option<i32>,
    ) -> bool {
        let stale = |state: &State| state.pending.as_ref().is_none_or(|p| p.current().is_some());
        match button {
            Job::Begin(feature) => self.begin(state, feature).await,
            Job::Abort => {
                state.pending = None;
                state.dialog = None;
                let text = self.text(state, "bulk-aborted", &[]);
                self.replace(message, text).await;
            }
            Job::Cancel => match &state.job {
                Some(job) if !job.task.is_finished() => {
                    job.cancel.cancel();
                }
                _ => {
                    let text = self.text(state, "stale-button", &[]);
                    self.say(text, vec![]).await;
                }
            },
            Job::Start => {
                if state.dialog == Some(Dialog::Confirm) {
                    state.dialog = None;
                }
                self.start(state).await;
            }
            Job::DelayTyped if !stale(state) => {
                state.dialog = Some(Dialog::Delay);
                let text = self.say_id(state, "bulk-delay-ask", &[("max", MAX_DELAY.to_string())]);
                self.say(text, vec![]).await;
            }
            Job::Reset if !stale(state) => {
                if let Some(pending) = state.pending.as_mut() {
                    let reset = pending.params.get("reset") == Some(&json!(true));
                    pending.params.insert("reset".into(), json!(!reset));
                }
                self.confirm(state, message).await;
            }
            Job::DelayTyped | Job::Reset => return false,
            Job::VariantsDone => {
                if state.pending.as_ref().and_then(Pending::current) != Some(Step::Variants) {
                    return false;
                }
                state.dialog = None;
                self.step_answer(state, Answer::Text("/done".into())).await;
            }
            Job::SettingsDone => {
                let Some(pending) = state.pending.as_mut() else {
                    return false;
                };
                let step = pending.current();
                let settings = pending.choice.settings();
                if step == Some(Step::Settings) && settings.is_empty() {
                    let text = self.text(state, "settings-none", &[]);
                    self.say(text, vec![]).await;
                    return true;
                }
                if !matches!(step, Some(Step::Settings | Step::NewSettings)) {
                    return false;
                }
                pending.params.insert("settings".into(), json!(settings));
                pending.step += 1;
                self.next_step(state).await;
            }
            Job::Delay(seconds) => match state.pending.as_mut() {
                Some(pending) if seconds <= MAX_DELAY && pending.current().is_none() => {
                    pending.delay = seconds;
                    self.confirm(state, message).await;
                }
                _ => return false,
            },
            Job::Tap { row, value } => {
                let Some(pending) = state.pending.as_mut() else {
                    return false;
                };
                if !matches!(pending.current(), Some(Step::Settings | Step::NewSettings))
                    || !pending.choice.tap(row, value)
                {
                    return false;
                }
                let optional = pending.current() == Some(Step::NewSettings);
                let (text, buttons) =
                    pending
                        .choice
                        .render(&self.catalog, state.language, optional);
                if let Some(id) = message
                    && let Err(error) = self.messenger.edit(id, text, buttons).await
                {
                    tracing::warn!(error = %crds::naming::why(&error), "cannot update the settings");
                }
            }
            Job::Requests(action) => {
                let Some(pending) = state.pending.as_mut() else {
                    return false;
                };
                if pending.current() != Some(Step::Requests) {
                    return false;
                }
                pending.params.insert("action".into(), json!(action.name()));
                pending.step += 1;
                self.next_step(state).await;
            }
        }
        true
    }
}

mod answers;
mod feature;
mod job;
mod skipped;
mod summary;

#[cfg(test)]
use self::feature::FEATURES;
use self::feature::select;

use self::job::settings_of;
use self::skipped::Skipped;

#[cfg(test)]
mod tests;

/// `chosen` (positions into `groups`) in the order `/groups` shows them,
/// each once: the confirmation, the job, its progress and its results
/// all follow it, so the first ten done are the first ten shown.
fn in_shown_order(mut chosen: Vec<usize>, groups: &[Group]) -> Vec<usize> {
    let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    let mut rank = vec![0; groups.len()];
    for (shown, position) in selection::natural_order(&names).into_iter().enumerate() {
        rank[position] = shown;
    }
    chosen.sort_by_key(|&position| rank.get(position).copied().unwrap_or(usize::MAX));
    chosen.dedup();
    chosen
}
