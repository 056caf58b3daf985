//! Bulk features in the runtime: the owner picks groups (or gives names
//! or links), answers the feature's questions, sees everything back with
//! the pause between items, confirms, and a persisted job runs with a
//! progress message and a cancel button, one job at a time; a job left
//! running by a stopped tenant resumes at its next start.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Map, Value, json};
use tokio::sync::watch;

use super::choices::{self, Choice};
use super::work::{self, Requests};
use super::{Dialog, Runtime, State};
use crate::store::{Group, JobId, Progress};
use crate::telegram::Button;
use crate::tenant::input::{file, links, names, numbers, photo, selection, vcf};
use crate::tenant::jobs::{self, End, Pacing, Report, Work};
use crate::tenant::pairing::format_remaining;
use crate::whatsapp::{self, Membership, Setting};

/// Callback data of the bulk buttons.
pub mod data {
    /// Start picking groups for invite links.
    pub const LINKS: &str = "job:links";
    /// Start picking groups to leave.
    pub const LEAVE: &str = "job:leave";
    /// Start picking groups for a new description.
    pub const DESCRIPTION: &str = "job:description";
    /// Start picking groups to add members to.
    pub const ADD: &str = "job:add";
    /// Start picking groups to promote members in.
    pub const PROMOTE: &str = "job:promote";
    /// Start picking groups to demote admins in.
    pub const DEMOTE: &str = "job:demote";
    /// Start picking groups for a new photo.
    pub const PHOTO: &str = "job:photo";
    /// Start picking groups to change settings of.
    pub const SETTINGS: &str = "job:settings";
    /// Start picking groups to answer join requests of.
    pub const REQUESTS: &str = "job:requests";
    /// Start picking groups to send a message to.
    pub const BROADCAST: &str = "job:broadcast";
    /// Start creating groups.
    pub const CREATE: &str = "job:create";
    /// Start joining groups by their links.
    pub const JOIN: &str = "job:join";
    /// Run the confirmed job.
    pub const START: &str = "job:start";
    /// Drop the confirmation.
    pub const ABORT: &str = "job:abort";
    /// Cancel the running job.
    pub const CANCEL: &str = "job:cancel";
    /// The pause between items: `job:delay:<seconds>`.
    pub const DELAY: &str = "job:delay:";
    /// Ask for a pause typed in seconds.
    pub const DELAY_TYPED: &str = "job:delay:other";
    /// Switch new invite links on or off.
    pub const RESET: &str = "job:reset";
    /// What to do with join requests: `job:req:<list|approve|reject>`.
    pub const REQUESTS_ACTION: &str = "job:req:";
    /// No more broadcast variants.
    pub const VARIANTS_DONE: &str = "job:done";
}

/// Results above this many go in a file rather than a message.
const FILE_ABOVE: usize = 50;
/// WhatsApp's limit on a group description, in characters; checked before
/// anything is sent.
const MAX_DESCRIPTION: usize = 512;
/// Largest text or vCard file read, in bytes.
const MAX_TEXT_FILE: usize = 1024 * 1024;
/// Largest photo read, in bytes.
pub(super) const MAX_PHOTO_FILE: usize = 10 * 1024 * 1024;
/// Numbers in one request; a group holds at most 1,024 members.
const MAX_NUMBERS: usize = 1024;
/// Invite links in one request.
const MAX_LINKS: usize = 200;
/// Broadcast variants, and the longest one (Telegram's own limit).
const MAX_VARIANTS: usize = 10;
const MAX_VARIANT_CHARS: usize = 4096;
/// The longest pause the owner may choose, in seconds.
const MAX_DELAY: u32 = 300;
/// The pauses offered as buttons, in seconds.
const DELAYS: [u32; 7] = [0, 2, 5, 10, 30, 60, 300];

/// A bulk feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Feature {
    /// Each selected group's invite link, optionally a new one.
    InviteLinks,
    /// Leave each selected group, after an optional farewell message.
    Leave,
    /// Give each selected group the same description.
    Description,
    /// Add the same numbers to each selected group.
    AddMembers,
    /// Make the same numbers admins in each selected group.
    Promote,
    /// Take admin away from the same numbers in each selected group.
    Demote,
    /// Give each selected group the same photo.
    Photo,
    /// Change settings of each selected group.
    Settings,
    /// List, approve or reject the requests to join.
    JoinRequests,
    /// Send a message (variants taking turns) to each selected group.
    Broadcast,
    /// Create groups by name.
    Create,
    /// Join groups by invite link.
    Join,
}

/// Every feature with its button and its kind in the store.
const FEATURES: [(Feature, &str, &str); 12] = [
    (Feature::InviteLinks, data::LINKS, "invite_links"),
    (Feature::Leave, data::LEAVE, "leave"),
    (Feature::Description, data::DESCRIPTION, "description"),
    (Feature::AddMembers, data::ADD, "add_members"),
    (Feature::Promote, data::PROMOTE, "promote"),
    (Feature::Demote, data::DEMOTE, "demote"),
    (Feature::Photo, data::PHOTO, "photo"),
    (Feature::Settings, data::SETTINGS, "settings"),
    (Feature::JoinRequests, data::REQUESTS, "join_requests"),
    (Feature::Broadcast, data::BROADCAST, "broadcast"),
    (Feature::Create, data::CREATE, "create"),
    (Feature::Join, data::JOIN, "join"),
];

/// A question a feature asks before its confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// A farewell message, or `/skip`.
    Farewell,
    /// The new description.
    Description,
    /// Phone numbers (text, `.txt` or `.vcf`).
    Numbers,
    /// Members for new groups, or `/skip`.
    Members,
    /// A photo.
    Photo,
    /// Settings, at least one.
    Settings,
    /// Settings for new groups, maybe none.
    NewSettings,
    /// What to do with join requests.
    Requests,
    /// Message variants, then `/done`.
    Variants,
    /// Names of groups to create.
    Names,
    /// Invite links.
    Links,
}

impl Step {
    /// The question's catalog id.
    fn ask(self) -> &'static str {
        match self {
            Self::Farewell => "bulk-farewell-ask",
            Self::Description => "bulk-description-ask",
            Self::Numbers => "bulk-numbers-ask",
            Self::Members => "bulk-members-ask",
            Self::Photo => "bulk-photo-ask",
            Self::Settings => "settings-ask",
            Self::NewSettings => "settings-ask-optional",
            Self::Requests => "bulk-requests-ask",
            Self::Variants => "bulk-variants-ask",
            Self::Names => "bulk-names-ask",
            Self::Links => "bulk-links-ask",
        }
    }
}

impl Feature {
    fn kind(self) -> &'static str {
        FEATURES
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or("", |(_, _, kind)| kind)
    }

    fn from_kind(kind: &str) -> Option<Self> {
        FEATURES.iter().find(|(_, _, k)| *k == kind).map(|f| f.0)
    }

    fn from_button(data: &str) -> Option<Self> {
        FEATURES.iter().find(|(_, d, _)| *d == data).map(|f| f.0)
    }

    fn title(self) -> &'static str {
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
    fn picks_groups(self) -> bool {
        !matches!(self, Self::Create | Self::Join)
    }

    /// The questions after the selection, in order.
    fn steps(self) -> &'static [Step] {
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
    fn changes_the_list(self) -> bool {
        matches!(self, Self::Leave | Self::Create | Self::Join)
    }
}

/// What the owner sent in answer to a question.
#[derive(Debug)]
pub(super) enum Answer {
    /// Typed text.
    Text(String),
    /// An uploaded file (or photo) and its name.
    File { name: String, bytes: Vec<u8> },
    /// An upload over the size the bot reads, in bytes.
    TooLarge(u64),
    /// An upload that could not be fetched.
    Unreadable,
}

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
    /// Things to say with the confirmation (numbers ignored…).
    notes: Vec<String>,
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
    cancel: watch::Sender<bool>,
    pub(super) task: tokio::task::JoinHandle<()>,
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

#[async_trait::async_trait]
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

    fn decided(&self, ok: bool) {
        let result = if ok { "ok" } else { "failed" };
        self.runtime
            .metrics
            .job_items
            .with_label_values(&[result])
            .inc();
    }

    fn reason(&self, error: &whatsapp::Error) -> String {
        let (id, detail) = match error {
            whatsapp::Error::RateLimited { .. } => ("whatsapp-error-rate-limited", ""),
            whatsapp::Error::Transient(detail) => ("whatsapp-error-transient", detail.as_str()),
            whatsapp::Error::NotPaired => ("whatsapp-error-not-paired", ""),
            whatsapp::Error::Banned => ("whatsapp-error-banned", ""),
            whatsapp::Error::GroupNotFound => ("whatsapp-error-group-not-found", ""),
            whatsapp::Error::NotAdmin => ("whatsapp-error-not-admin", ""),
            whatsapp::Error::InvalidInvite => ("whatsapp-error-invalid-invite", ""),
            whatsapp::Error::Rejected(detail) => ("whatsapp-error-rejected", detail.as_str()),
        };
        self.runtime
            .catalog
            .text(self.language, id, &[("reason", detail)])
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

/// The text of an answer: typed, or a text file's content.
fn text_of(answer: &Answer) -> Result<String, file::Error> {
    match answer {
        Answer::Text(text) => Ok(text.clone()),
        Answer::File { bytes, .. } => file::text(bytes, MAX_TEXT_FILE),
        Answer::TooLarge(size) => Err(file::Error::TooLarge {
            size: usize::try_from(*size).unwrap_or(usize::MAX),
            limit: MAX_TEXT_FILE,
        }),
        Answer::Unreadable => Err(file::Error::NotText),
    }
}

/// Why an answer is refused: a catalog id and the values it shows.
type Refusal = (&'static str, Vec<(&'static str, String)>);

/// Numbers from typed text, a `.txt` or a `.vcf`; the reason when there
/// are none.
fn numbers_of(answer: &Answer) -> Result<numbers::Numbers, Refusal> {
    let text = text_of(answer).map_err(|e| (e.message_id(), vec![]))?;
    let is_vcard = matches!(answer, Answer::File { name, .. } if name.to_lowercase().ends_with(".vcf"))
        || text.trim_start().to_uppercase().starts_with("BEGIN:VCARD");
    let found = if is_vcard {
        let contacts = vcf::contacts(&text).map_err(|e| (e.message_id(), vec![]))?;
        numbers::from_contacts(&contacts)
    } else {
        numbers::from_text(&text)
    };
    if found.valid.is_empty() {
        return Err(("input-numbers-none", vec![]));
    }
    if found.valid.len() > MAX_NUMBERS {
        let args = vec![
            ("count", found.valid.len().to_string()),
            ("max", MAX_NUMBERS.to_string()),
        ];
        return Err(("input-numbers-too-many", args));
    }
    Ok(found)
}

/// A string list kept in the job's parameters.
fn strings(params: &Value, name: &str) -> Vec<String> {
    params
        .get(name)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn settings_of(params: &Value, name: &str) -> Vec<Setting> {
    params
        .get(name)
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// The work of `feature` with the job's `params`, its results in
/// `language`.
fn work_for(
    runtime: &Runtime,
    feature: Feature,
    params: &Value,
    language: crds::Language,
) -> Result<Box<dyn Work>, &'static str> {
    let whatsapp = runtime.whatsapp.clone();
    let word = |id: &str| runtime.catalog.text(language, id, &[]);
    let text = |name: &str| params.get(name).and_then(Value::as_str).map(str::to_owned);
    let members = |change| -> Box<dyn Work> {
        let done = match change {
            Membership::Add => "result-added",
            Membership::Remove => "result-removed",
            Membership::Promote => "result-promoted",
            Membership::Demote => "result-demoted",
        };
        Box::new(work::Members {
            whatsapp: whatsapp.clone(),
            change,
            numbers: strings(params, "numbers"),
            words: work::Words {
                done: word(done),
                invited: word("result-invited"),
                failed: word("result-failed"),
                unchanged: word("result-unchanged"),
            },
        })
    };
    Ok(match feature {
        Feature::InviteLinks => Box::new(work::InviteLinks {
            whatsapp,
            reset: params.get("reset").and_then(Value::as_bool) == Some(true),
        }),
        Feature::Leave => Box::new(work::Leave {
            whatsapp,
            farewell: text("farewell"),
        }),
        Feature::Description => Box::new(work::Describe {
            whatsapp,
            text: text("text").ok_or("no description")?,
        }),
        Feature::AddMembers => members(Membership::Add),
        Feature::Promote => members(Membership::Promote),
        Feature::Demote => members(Membership::Demote),
        Feature::Photo => {
            let jpeg = text("photo")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .ok_or("no photo")?;
            Box::new(work::Photo { whatsapp, jpeg })
        }
        Feature::Settings => Box::new(work::Settings {
            whatsapp,
            settings: settings_of(params, "settings"),
        }),
        Feature::JoinRequests => Box::new(work::JoinRequests {
            whatsapp,
            action: match text("action").as_deref() {
                Some("approve") => Requests::Approve,
                Some("reject") => Requests::Reject,
                _ => Requests::List,
            },
        }),
        Feature::Broadcast => Box::new(work::Broadcast {
            whatsapp,
            variants: strings(params, "variants"),
        }),
        Feature::Create => Box::new(work::Create {
            whatsapp,
            members: strings(params, "members"),
            settings: settings_of(params, "settings"),
            before: strings(params, "before"),
        }),
        Feature::Join => Box::new(work::Join { whatsapp }),
    })
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
    pub(super) async fn selected(&self, state: &mut State, feature: Feature, answer: Answer) {
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
        let chosen = match select(&text, &groups) {
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
                let button = |id: &str, action: &str| {
                    Button::new(
                        self.text(state, id, &[]),
                        format!("{}{action}", data::REQUESTS_ACTION),
                    )
                };
                let buttons = vec![vec![
                    button("button-requests-list", "list"),
                    button("button-requests-approve", "approve"),
                    button("button-requests-reject", "reject"),
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
    pub(super) async fn step_answer(&self, state: &mut State, answer: Answer) {
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
                    let done =
                        Button::new(self.text(state, "button-done", &[]), data::VARIANTS_DONE);
                    self.say(text, vec![vec![done]]).await;
                }
            }
            Err(reason) => {
                self.say(reason, vec![]).await;
                state.dialog = Some(Dialog::Step);
            }
        }
    }

    /// Takes `answer` for `step` into `pending`: true when the step is
    /// done, false when it wants more, the reason when the answer is
    /// refused.
    fn take(
        &self,
        state: &State,
        pending: &mut Pending,
        step: Step,
        answer: Answer,
    ) -> Result<bool, String> {
        let typed = match &answer {
            Answer::Text(text) => Some(text.trim().to_owned()),
            _ => None,
        };
        match step {
            Step::Farewell => match answer {
                Answer::Text(text) if text.trim() == "/skip" => Ok(true),
                Answer::Text(text) if !text.starts_with('/') => {
                    pending.params.insert("farewell".into(), json!(text));
                    Ok(true)
                }
                _ => Err(self.text(state, step.ask(), &[])),
            },
            Step::Description => {
                let Answer::Text(text) = answer else {
                    return Err(self.say_id(
                        state,
                        step.ask(),
                        &[("max", MAX_DESCRIPTION.to_string())],
                    ));
                };
                if text.trim() == "/skip" {
                    return Err(self.say_id(
                        state,
                        step.ask(),
                        &[("max", MAX_DESCRIPTION.to_string())],
                    ));
                }
                let length = text.chars().count();
                if length > MAX_DESCRIPTION {
                    let args = [
                        ("length", length.to_string()),
                        ("max", MAX_DESCRIPTION.to_string()),
                    ];
                    return Err(self.say_id(state, "bulk-description-too-long", &args));
                }
                pending.params.insert("text".into(), json!(text));
                Ok(true)
            }
            Step::Numbers | Step::Members => {
                if step == Step::Members && typed.as_deref() == Some("/skip") {
                    return Ok(true);
                }
                let found =
                    numbers_of(&answer).map_err(|(id, args)| self.say_id(state, id, &args))?;
                let key = if step == Step::Members {
                    "members"
                } else {
                    "numbers"
                };
                pending.params.insert(key.into(), json!(found.valid));
                let count = found.valid.len().to_string();
                pending
                    .notes
                    .push(self.text(state, "bulk-numbers-found", &[("count", &count)]));
                if !found.invalid.is_empty() {
                    let ignored: Vec<String> = found
                        .invalid
                        .iter()
                        .take(10)
                        .map(|(raw, why)| {
                            format!("{raw} ({})", self.text(state, why.message_id(), &[]))
                        })
                        .collect();
                    let args = [
                        ("count", found.invalid.len().to_string()),
                        ("names", ignored.join("; ")),
                    ];
                    pending
                        .notes
                        .push(self.say_id(state, "bulk-numbers-ignored", &args));
                }
                Ok(true)
            }
            Step::Photo => {
                let bytes = match answer {
                    Answer::File { bytes, .. } => bytes,
                    Answer::TooLarge(size) => {
                        let error = photo::Error::TooLarge {
                            size: usize::try_from(size).unwrap_or(usize::MAX),
                            limit: MAX_PHOTO_FILE,
                        };
                        return Err(self.say_id(state, error.message_id(), &error.args()));
                    }
                    Answer::Text(_) | Answer::Unreadable => {
                        return Err(self.text(state, step.ask(), &[]));
                    }
                };
                let jpeg = photo::square_jpeg(&bytes, MAX_PHOTO_FILE)
                    .map_err(|e| self.say_id(state, e.message_id(), &e.args()))?;
                let encoded = base64::engine::general_purpose::STANDARD.encode(jpeg);
                pending.params.insert("photo".into(), json!(encoded));
                Ok(true)
            }
            Step::Variants => match answer {
                Answer::Text(text) if text.trim() == "/done" => {
                    if pending.variants.is_empty() {
                        return Err(self.text(state, step.ask(), &[]));
                    }
                    pending
                        .params
                        .insert("variants".into(), json!(pending.variants));
                    Ok(true)
                }
                Answer::Text(text) if !text.starts_with('/') => {
                    if text.chars().count() > MAX_VARIANT_CHARS {
                        let args = [("max", MAX_VARIANT_CHARS.to_string())];
                        return Err(self.say_id(state, "bulk-variant-too-long", &args));
                    }
                    if pending.variants.len() >= MAX_VARIANTS {
                        let args = [("max", MAX_VARIANTS.to_string())];
                        return Err(self.say_id(state, "bulk-variants-full", &args));
                    }
                    pending.variants.push(text);
                    Ok(false)
                }
                _ => Err(self.text(state, step.ask(), &[])),
            },
            Step::Names => {
                let text = text_of(&answer).map_err(|e| self.text(state, e.message_id(), &[]))?;
                let parsed = names::parse(&text)
                    .map_err(|e| self.say_id(state, e.message_id(), &e.args()))?;
                if parsed.duplicates > 0 {
                    let count = parsed.duplicates.to_string();
                    pending.notes.push(self.text(
                        state,
                        "bulk-names-duplicates",
                        &[("count", &count)],
                    ));
                }
                pending.labels = parsed.names.clone();
                pending.targets = parsed.names;
                Ok(true)
            }
            Step::Links => {
                let text = text_of(&answer).map_err(|e| self.text(state, e.message_id(), &[]))?;
                let found = links::invite_links(&text);
                if found.codes.is_empty() {
                    let args = [("names", found.invalid.join(", "))];
                    return Err(self.say_id(state, "input-links-none", &args));
                }
                if found.codes.len() > MAX_LINKS {
                    let args = [
                        ("count", found.codes.len().to_string()),
                        ("max", MAX_LINKS.to_string()),
                    ];
                    return Err(self.say_id(state, "input-links-too-many", &args));
                }
                if !found.invalid.is_empty() {
                    let args = [
                        ("count", found.invalid.len().to_string()),
                        (
                            "names",
                            found
                                .invalid
                                .iter()
                                .take(10)
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                    ];
                    pending
                        .notes
                        .push(self.say_id(state, "bulk-links-invalid", &args));
                }
                if found.duplicates > 0 {
                    let count = found.duplicates.to_string();
                    pending.notes.push(self.text(
                        state,
                        "bulk-links-duplicates",
                        &[("count", &count)],
                    ));
                }
                pending.labels = found
                    .codes
                    .iter()
                    .map(|c| format!("chat.whatsapp.com/{c}"))
                    .collect();
                pending.targets = found.codes;
                Ok(true)
            }
            // Answered with buttons.
            Step::Settings | Step::NewSettings | Step::Requests => Ok(false),
        }
    }

    /// The confirmation: what will happen to what, the pause between
    /// items, and the buttons to change the pause, start or drop it.
    async fn confirm(&self, state: &State, message: Option<i32>) {
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

        let delay_button = |seconds: u32| {
            let mark = if seconds == pending.delay { "• " } else { "" };
            Button::new(
                format!("{mark}⏱ {seconds}s"),
                format!("{}{seconds}", data::DELAY),
            )
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
        buttons[1].push(Button::new(
            self.text(state, "button-delay-other", &[]),
            data::DELAY_TYPED,
        ));
        if pending.feature == Feature::InviteLinks {
            buttons.push(vec![Button::new(
                self.text(state, "button-reset", &[]),
                data::RESET,
            )]);
        }
        buttons.push(vec![
            Button::new(self.text(state, "button-start", &[]), data::START),
            Button::new(self.text(state, "button-cancel", &[]), data::ABORT),
        ]);
        let text = lines.join("\n");
        match message {
            Some(id) => {
                if let Err(error) = self.messenger.edit(id, text, buttons).await {
                    tracing::warn!(%error, "cannot update the confirmation");
                }
            }
            None => self.say(text, buttons).await,
        }
    }

    /// A pause typed in seconds.
    pub(super) async fn delay_typed(&self, state: &mut State, text: &str) {
        match text.trim().trim_end_matches('s').trim().parse::<u32>() {
            Ok(seconds) if seconds <= MAX_DELAY => {
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

    /// Handles a bulk button; false when `data` is not one.
    pub(super) async fn on_bulk_button(
        self: &Arc<Self>,
        data: &str,
        state: &mut State,
        message: Option<i32>,
    ) -> bool {
        if let Some(feature) = Feature::from_button(data) {
            self.begin(state, feature).await;
            return true;
        }
        let stale = |state: &State| state.pending.as_ref().is_none_or(|p| p.current().is_some());
        match data {
            data::ABORT => {
                state.pending = None;
                state.dialog = None;
                let text = self.text(state, "bulk-aborted", &[]);
                self.replace(message, text).await;
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
            data::START => self.start(state).await,
            data::DELAY_TYPED if !stale(state) => {
                state.dialog = Some(Dialog::Delay);
                let text = self.say_id(state, "bulk-delay-ask", &[("max", MAX_DELAY.to_string())]);
                self.say(text, vec![]).await;
            }
            data::RESET if !stale(state) => {
                if let Some(pending) = state.pending.as_mut() {
                    let reset = pending.params.get("reset") == Some(&json!(true));
                    pending.params.insert("reset".into(), json!(!reset));
                }
                self.confirm(state, message).await;
            }
            data::VARIANTS_DONE => {
                if state.pending.as_ref().and_then(Pending::current) != Some(Step::Variants) {
                    return false;
                }
                state.dialog = None;
                self.step_answer(state, Answer::Text("/done".into())).await;
            }
            choices::DONE => {
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
            other => {
                if let Some(seconds) = other
                    .strip_prefix(data::DELAY)
                    .and_then(|s| s.parse::<u32>().ok())
                {
                    match state.pending.as_mut() {
                        Some(pending) if seconds <= MAX_DELAY && pending.current().is_none() => {
                            pending.delay = seconds;
                            self.confirm(state, message).await;
                        }
                        _ => return false,
                    }
                } else if let Some(tap) = other.strip_prefix(choices::TAP) {
                    let Some(pending) = state.pending.as_mut() else {
                        return false;
                    };
                    if !matches!(pending.current(), Some(Step::Settings | Step::NewSettings))
                        || !pending.choice.tap(tap)
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
                        tracing::warn!(%error, "cannot update the settings");
                    }
                } else if let Some(action) = other.strip_prefix(data::REQUESTS_ACTION) {
                    let Some(pending) = state.pending.as_mut() else {
                        return false;
                    };
                    if pending.current() != Some(Step::Requests)
                        || !["list", "approve", "reject"].contains(&action)
                    {
                        return false;
                    }
                    pending.params.insert("action".into(), json!(action));
                    pending.step += 1;
                    self.next_step(state).await;
                } else {
                    return false;
                }
            }
        }
        true
    }

    /// Creates the confirmed job and starts it.
    async fn start(self: &Arc<Self>, state: &mut State) {
        let Some(mut pending) = state.pending.take_if(|p| p.current().is_none()) else {
            let text = self.text(state, "stale-button", &[]);
            self.say(text, vec![]).await;
            return;
        };
        if self.busy().await {
            let text = self.text(state, "bulk-busy", &[]);
            self.say(text, vec![]).await;
            return;
        }
        if pending.feature == Feature::Create {
            // What exists before, so a resumed job can tell its own new
            // groups from older ones of the same name.
            let before: Vec<String> = match self.whatsapp.groups().await {
                Ok(groups) => groups.into_iter().map(|g| g.jid).collect(),
                Err(_) => self
                    .store
                    .groups()
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .map(|g| g.jid)
                    .collect(),
            };
            pending.params.insert("before".into(), json!(before));
        }
        let delay_ms = pending.delay * 1000;
        let created = self
            .store
            .create_job(
                pending.feature.kind(),
                Value::Object(pending.params),
                delay_ms,
                pending.targets,
                now(),
            )
            .await;
        match created {
            Ok(job) => {
                let delay = Duration::from_millis(u64::from(delay_ms));
                self.start_job(state, job, pending.feature, delay).await
            }
            Err(error) => tracing::warn!(%error, "cannot create a job"),
        }
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
        let params = match self.store.job_params(job).await {
            Ok(Some(params)) => params,
            Ok(None) => Value::Null,
            Err(error) => {
                tracing::warn!(%error, "cannot read the job");
                return;
            }
        };
        let work = match work_for(self, feature, &params, state.language) {
            Ok(work) => work,
            Err(reason) => {
                tracing::warn!(reason, "the job cannot run");
                return;
            }
        };
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
                    if feature.changes_the_list() {
                        runtime.refresh_quietly().await;
                    }
                    runtime.summarize(job, feature, progress, &report).await;
                }
                Ok(End::Interrupted) => {}
                Err(error) => tracing::warn!(%error, "the job failed"),
            }
        });
        state.job = Some(Running { cancel, task });
    }

    /// The final summary: the outcome of every item, in a file when long.
    async fn summarize(&self, job: JobId, feature: Feature, progress: Progress, report: &Edits) {
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
        if feature == Feature::InviteLinks {
            let links = outcomes
                .iter()
                .filter_map(|(jid, outcome)| Some((jid.clone(), outcome.clone().ok()??)))
                .collect();
            if let Err(error) = self.store.set_invite_links(links).await {
                tracing::warn!(%error, "cannot keep the invite links");
            }
        }
        let name_of = |jid: &str| names.get(jid).cloned().unwrap_or_else(|| jid.to_owned());
        let lines: Vec<String> = outcomes
            .iter()
            .map(|(target, outcome)| {
                let label = match feature {
                    Feature::Join => format!("chat.whatsapp.com/{target}"),
                    _ => name_of(target),
                };
                match outcome {
                    Ok(Some(result)) if feature == Feature::Join => {
                        format!("✅ {label}: {}", name_of(result))
                    }
                    Ok(Some(result)) => format!("✅ {label}: {result}"),
                    Ok(None) => format!("✅ {label}"),
                    Err(reason) => format!("❌ {label}: {reason}"),
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
                .send_file(format!("{}.txt", feature.kind()), body.into_bytes(), head)
                .await;
            if let Err(error) = sent {
                tracing::warn!(%error, "cannot send the job's results");
            }
        } else if !lines.is_empty() {
            for chunk in chunks(&lines, 4000) {
                let _ = self.messenger.send(chunk, vec![]).await;
            }
        }
    }
}

/// Lines joined into messages of at most `limit` characters each.
fn chunks(lines: &[String], limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in lines {
        let line: String = line.chars().take(limit).collect();
        if !current.is_empty() && current.chars().count() + 1 + line.chars().count() > limit {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
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

    #[test]
    fn numbers_come_from_text_text_files_and_vcards() {
        let typed =
            numbers_of(&Answer::Text("0812-0000-0001, 0812 0000 0002\nabc".into())).unwrap();
        assert_eq!(typed.valid, ["6281200000001", "6281200000002"]);
        assert_eq!(typed.invalid.len(), 1);
        let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nTEL:+62 812-0000-0003\r\nEND:VCARD\r\n";
        let file = Answer::File {
            name: "kontak.VCF".into(),
            bytes: card.as_bytes().to_vec(),
        };
        assert_eq!(numbers_of(&file).unwrap().valid, ["6281200000003"]);
        for (answer, reason) in [
            (Answer::Text("hello".into()), "input-numbers-none"),
            (
                Answer::File {
                    name: "a.txt".into(),
                    bytes: vec![],
                },
                "input-file-empty",
            ),
            (
                Answer::File {
                    name: "a.txt".into(),
                    bytes: vec![0, 159, 146, 150],
                },
                "input-file-not-text",
            ),
            (Answer::TooLarge(50_000_000), "input-file-too-large"),
            (
                Answer::File {
                    name: "a.vcf".into(),
                    bytes: b"BEGIN:VCARD\nFN:A\nEND:VCARD\n".to_vec(),
                },
                "input-vcf-no-numbers",
            ),
        ] {
            assert_eq!(
                numbers_of(&answer).map_err(|e| e.0).err(),
                Some(reason),
                "{answer:?}"
            );
        }
    }

    #[test]
    fn long_results_are_split_under_the_limit() {
        let lines: Vec<String> = (0..100)
            .map(|n| format!("✅ Grup {n}: {}", "x".repeat(90)))
            .collect();
        let parts = chunks(&lines, 4000);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.chars().count() <= 4000));
        assert_eq!(parts.join("\n"), lines.join("\n"));
    }

    #[test]
    fn features_are_found_by_button_and_by_kind() {
        for (feature, button, kind) in FEATURES {
            assert_eq!(Feature::from_button(button), Some(feature));
            assert_eq!(Feature::from_kind(kind), Some(feature));
            assert_eq!(feature.kind(), kind);
        }
        assert_eq!(Feature::from_kind("nope"), None);
    }
}
