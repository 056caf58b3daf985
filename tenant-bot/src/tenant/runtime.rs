//! One account's runtime: the owner's updates in order, WhatsApp's events,
//! pairing, the dashboard and logout, and the status of its resource.

use std::sync::Arc;

use crds::naming::{Chain, Redacted};
use crds::{Language, PhoneNumber};
use teloxide::Bot;
use teloxide::prelude::Requester;
use teloxide::types::{CallbackQuery, Message, Update, UpdateKind};
use teloxide::utils::command::BotCommands;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::metrics::Metrics;
use super::pairing::{Outcome, Pairing, Timing};
use super::status::Session;
use crate::protocol::callback::{Menu, Pair, Tenant};
use crate::store::{Activity, Store};
use crate::telegram::{Button, Catalog, Messenger};
use crate::whatsapp::{Event, WhatsApp};

mod bulk;
mod choices;
mod groups;
mod work;

/// Commands the tenant understands; texts come from the catalog.
#[derive(Debug, Clone, PartialEq, Eq, BotCommands)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// The dashboard.
    Menu,
    /// Help.
    Help,
    /// Language choice.
    Lang,
    /// Log the account out.
    Logout,
    /// Link the account again.
    Pair,
    /// The front door's entry point; the tenant shows its dashboard.
    Start,
    /// The account's groups.
    Groups,
}

/// Everything the runtime works with.
pub struct Runtime {
    /// The account's number.
    pub phone: PhoneNumber,
    /// Language until the owner picks one.
    pub default_language: Language,
    /// Texts.
    pub catalog: Arc<Catalog>,
    /// Bot data.
    pub store: Store,
    /// The WhatsApp session.
    pub whatsapp: Arc<dyn WhatsApp>,
    /// The owner's chat.
    pub messenger: Arc<dyn Messenger>,
    /// For answering callback queries.
    pub bot: Bot,
    /// How often the group list is fetched again from WhatsApp, if at all.
    pub refresh_every: Option<std::time::Duration>,
    /// Pairing timing.
    pub timing: Timing,
    /// The tenant's metrics.
    pub metrics: Metrics,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("phone", &self.phone)
            .finish_non_exhaustive()
    }
}

struct Active {
    cancel: CancellationToken,
    task: JoinHandle<Outcome>,
}

/// The runtime's mutable state, owned by its one loop.
struct State {
    /// The owner's language, read from the store once and kept here.
    language: Language,
    session: Session,
    push_name: String,
    pairing: Option<Active>,
    /// What the owner's next text answers.
    dialog: Option<Dialog>,
    /// A selection waiting for confirmation.
    pending: Option<bulk::Pending>,
    /// The job this process runs.
    job: Option<bulk::Running>,
    /// Cancelled when the tenant stops; jobs stop then and resume later.
    stop: CancellationToken,
}

/// A question the owner's next text answers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Dialog {
    /// A fragment of a group name to search for.
    Search,
    /// The groups a bulk feature works on.
    Select(bulk::Feature),
    /// The answer to the prepared job's current question (a farewell,
    /// numbers, a photo…).
    Step,
    /// The pause between a job's items, typed in seconds.
    Delay,
}

impl Runtime {
    /// Runs until `updates` closes or `shutdown` is cancelled.
    pub async fn run(
        self: Arc<Self>,
        mut updates: mpsc::Receiver<String>,
        shutdown: CancellationToken,
        session_tx: watch::Sender<Session>,
    ) {
        let mut events = self.whatsapp.events();
        let mut state = State {
            language: self.stored_language().await,
            session: Session::AwaitingPairing,
            push_name: String::new(),
            pairing: None,
            dialog: None,
            pending: None,
            job: None,
            stop: shutdown.clone(),
        };
        if self.whatsapp.is_paired().await {
            // A restart logs in from the stored session; no pairing. Until
            // WhatsApp says connected, the account is linked and offline.
            self.set(&mut state, Session::Disconnected, &session_tx)
                .await;
            if let Err(error) = self.whatsapp.connect().await {
                warn!(error = %crds::naming::Redacted(&error), "cannot connect the stored session");
            }
            // A job the last process left running goes on where it was.
            self.resume_job(&mut state).await;
        } else {
            self.start_pairing(&mut state).await;
            self.set(&mut state, Session::AwaitingPairing, &session_tx)
                .await;
        }

        let mut refresh = self.refresh_every.map(|every| {
            let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval
        });
        loop {
            let refresh_due = async {
                match refresh.as_mut() {
                    Some(interval) => interval.tick().await,
                    None => std::future::pending().await,
                }
            };
            let pairing_done = async {
                match state.pairing.as_mut() {
                    Some(active) => Some((&mut active.task).await),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                update = updates.recv() => match update {
                    Some(update) => self.handle(update, &mut state).await,
                    None => break,
                },
                event = events.recv() => match event {
                    Ok(event) => self.on_event(event, &mut state, &session_tx).await,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        warn!(skipped = n, "missed WhatsApp events");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                done = pairing_done => {
                    state.pairing = None;
                    if let Some(done) = done {
                        self.ended(done);
                    }
                }
                _ = refresh_due => {
                    if matches!(state.session, Session::Connected { .. }) {
                        self.refresh_quietly().await;
                    }
                }
                () = shutdown.cancelled() => break,
            }
        }
        if let Some(active) = state.pairing.take() {
            active.cancel.cancel();
            let _ = active.task.await;
        }
        if let Some(job) = state.job.take() {
            // On shutdown the job records its current item and stops;
            // otherwise it is dropped, and a started item is checked when
            // the job resumes.
            if shutdown.is_cancelled() {
                let _ = job.task.await;
            } else {
                job.task.abort();
            }
        }
        if let Err(error) = self.store.flush().await {
            warn!(error = %crds::naming::Redacted(&error), "cannot flush the bot data");
        }
    }

    fn ended(&self, done: Result<Outcome, tokio::task::JoinError>) {
        match done {
            Ok(outcome) => {
                let kind = outcome_kind(&outcome);
                info!(outcome = kind, "pairing ended");
                self.metrics.pairings.with_label_values(&[kind]).inc();
            }
            Err(error) => warn!(error = %crds::naming::Redacted(&error), "pairing task failed"),
        }
    }

    async fn stored_language(&self) -> Language {
        match self.store.language().await {
            Ok(Some(language)) => language,
            Ok(None) => self.default_language,
            Err(error) => {
                warn!(error = %crds::naming::Redacted(&error), "cannot read the language");
                self.default_language
            }
        }
    }

    fn text(&self, state: &State, id: &str, args: &[(&str, &str)]) -> String {
        self.catalog.text(state.language, id, args)
    }

    async fn say(&self, text: String, buttons: Vec<Vec<Button>>) {
        if let Err(error) = self.messenger.send(text, buttons).await {
            warn!(error = %Redacted(Chain(&error)), "cannot message the owner");
        }
    }

    async fn set(&self, state: &mut State, session: Session, tx: &watch::Sender<Session>) {
        let connected = matches!(session, Session::Connected { .. });
        self.metrics.connected.set(i64::from(connected));
        state.session = session.clone();
        // The status follows from here (see `Reporter::follow`).
        let _ = tx.send(session);
    }

    async fn start_pairing(self: &Arc<Self>, state: &mut State) {
        // A pairing that ended but whose end the loop has not seen yet
        // does not block a new one (the owner may press Retry quickly).
        if let Some(ended) = state.pairing.take_if(|p| p.task.is_finished()) {
            self.ended(ended.task.await);
        }
        if state.pairing.is_some() {
            return;
        }
        let cancel = state.stop.child_token();
        let cancelled = cancel.clone();
        let runtime = self.clone();
        let language = state.language;
        let task = tokio::spawn(async move {
            Pairing {
                whatsapp: runtime.whatsapp.as_ref(),
                messenger: runtime.messenger.as_ref(),
                catalog: &runtime.catalog,
                language,
                phone: &runtime.phone,
                timing: runtime.timing,
            }
            .run(cancelled)
            .await
        });
        state.pairing = Some(Active { cancel, task });
    }

    async fn on_event(&self, event: Event, state: &mut State, tx: &watch::Sender<Session>) {
        match event {
            Event::Paired { jid, push_name } => {
                state.push_name = push_name.clone();
                self.log("paired", "").await;
                self.set(state, Session::Connected { jid, push_name }, tx)
                    .await;
            }
            Event::Connected => {
                if !matches!(state.session, Session::Connected { .. }) {
                    let jid = String::new();
                    let push_name = state.push_name.clone();
                    self.set(state, Session::Connected { jid, push_name }, tx)
                        .await;
                }
            }
            Event::Disconnected => self.set(state, Session::Disconnected, tx).await,
            Event::Replaced => {
                self.lost(state, Session::Disconnected, "replaced", tx)
                    .await;
            }
            // The account's status first: telling the owner may wait on a
            // gateway that is away, and the status must not.
            Event::LoggedOut => {
                self.lost(state, Session::LoggedOut, "logged_out", tx).await;
            }
            Event::Banned { .. } => self.lost(state, Session::Banned, "banned", tx).await,
        }
    }

    /// The session ended up as `session` for a reason of `kind`: the
    /// status says so first, then, unless it said so already, the
    /// activity log and the owner (`notice-{kind}`).
    async fn lost(
        &self,
        state: &mut State,
        session: Session,
        kind: &str,
        tx: &watch::Sender<Session>,
    ) {
        let news = state.session != session;
        self.set(state, session, tx).await;
        if news {
            self.log(kind, "").await;
            let masked = self.phone.masked();
            let notice = format!("notice-{}", kind.replace('_', "-"));
            let text = self.text(state, &notice, &[("phone", &masked)]);
            self.say(text, vec![]).await;
        }
    }

    async fn log(&self, kind: &str, detail: &str) {
        let at = crate::store::unix_seconds();
        let entry = Activity {
            at,
            kind: kind.to_owned(),
            detail: detail.to_owned(),
        };
        if let Err(error) = self.store.log_activity(entry).await {
            warn!(error = %crds::naming::Redacted(&error), "cannot log activity");
        }
    }

    async fn handle(self: &Arc<Self>, update: String, state: &mut State) {
        let update: Update = match serde_json::from_str(&update) {
            Ok(update) => update,
            Err(error) => {
                warn!(error = %crds::naming::Redacted(&error), "update not understood");
                return;
            }
        };
        match update.kind {
            UpdateKind::Message(message) => self.on_message(message, state).await,
            UpdateKind::CallbackQuery(query) => self.on_callback(query, state).await,
            UpdateKind::Error(_) => warn!(update_id = update.id.0, "update not understood"),
            _ => {}
        }
    }

    async fn on_message(self: &Arc<Self>, message: Message, state: &mut State) {
        if message.document().is_some() || message.photo().is_some() {
            self.on_upload(&message, state).await;
            return;
        }
        let Some(text) = message.text() else {
            return;
        };
        let command = Command::parse(text, "");
        // A command ends any question; plain text answers it, and so do
        // `/skip` (an optional answer) and `/done` (the last of several).
        if let Some(dialog) = state.dialog.take()
            && command.is_err()
            && (!text.starts_with('/') || ["/skip", "/done"].contains(&text.trim()))
        {
            let answer = bulk::Answer::Text(text.to_owned());
            match dialog {
                Dialog::Search => self.search_groups(state, text).await,
                Dialog::Select(feature) => self.selected(state, feature, answer).await,
                Dialog::Step => self.step_answer(state, answer).await,
                Dialog::Delay => self.delay_typed(state, text).await,
            }
            return;
        }
        match command {
            Ok(Command::Groups) => self.groups_page(state, None, 0).await,
            Ok(Command::Menu | Command::Start) => self.dashboard(state).await,
            Ok(Command::Help) => self.help(state).await,
            Ok(Command::Lang) => self.choose_language(state).await,
            Ok(Command::Logout) => self.confirm_logout(state).await,
            Ok(Command::Pair) => {
                if !matches!(
                    state.session,
                    Session::Connected { .. } | Session::Disconnected
                ) {
                    self.start_pairing(state).await;
                }
            }
            Err(_) => {
                let text = self.text(state, "unknown-command", &[]);
                self.say(text, vec![]).await;
            }
        }
    }

    /// A file or photo: the answer to a question that takes one, else
    /// explained.
    async fn on_upload(&self, message: &Message, state: &mut State) {
        let feature = match state.dialog {
            Some(Dialog::Select(feature)) => Some(feature),
            Some(Dialog::Step) => None,
            _ => {
                let text = self.text(state, "upload-unexpected", &[]);
                self.say(text, vec![]).await;
                return;
            }
        };
        let answer = self.download(message).await;
        if matches!(answer, bulk::Answer::Unreadable) {
            let text = self.text(state, "input-file-unreadable", &[]);
            self.say(text, vec![]).await;
            return;
        }
        state.dialog = None;
        match feature {
            Some(feature) => self.selected(state, feature, answer).await,
            None => self.step_answer(state, answer).await,
        }
    }

    /// Fetches an uploaded document or the largest size of a photo,
    /// refusing what is larger than any question reads.
    async fn download(&self, message: &Message) -> bulk::Answer {
        use teloxide::net::Download;
        let (meta, name) = if let Some(document) = message.document() {
            let name = document.file_name.clone().unwrap_or_default();
            (document.file.clone(), name)
        } else if let Some(largest) = message.photo().and_then(|sizes| {
            sizes
                .iter()
                .max_by_key(|p| u64::from(p.width) * u64::from(p.height))
        }) {
            (largest.file.clone(), "photo.jpg".to_owned())
        } else {
            return bulk::Answer::Unreadable;
        };
        if u64::from(meta.size) > bulk::MAX_PHOTO_FILE as u64 {
            return bulk::Answer::TooLarge(u64::from(meta.size));
        }
        let file = match self.bot.get_file(meta.id).await {
            Ok(file) => file,
            Err(error) => {
                warn!(error = %crds::naming::Redacted(&error), "cannot look up an upload");
                return bulk::Answer::Unreadable;
            }
        };
        let mut bytes = Vec::new();
        if let Err(error) = self.bot.download_file(&file.path, &mut bytes).await {
            warn!(error = %crds::naming::Redacted(&error), "cannot download an upload");
            return bulk::Answer::Unreadable;
        }
        bulk::Answer::File { name, bytes }
    }

    async fn help(&self, state: &State) {
        let help = self.text(state, "help", &[]);
        self.say(help, vec![]).await;
    }

    async fn choose_language(&self, state: &State) {
        let text = self.text(state, "lang-choose", &[]);
        let buttons = vec![vec![
            Button::new(
                "🇮🇩 Bahasa Indonesia",
                Tenant::Language(Language::Id).to_string(),
            ),
            Button::new("🇬🇧 English", Tenant::Language(Language::En).to_string()),
        ]];
        self.say(text, buttons).await;
    }

    async fn confirm_logout(&self, state: &State) {
        let text = self.text(state, "logout-confirm", &[("phone", &self.phone.masked())]);
        let button = |id: &str, confirmed| {
            let data = Tenant::Logout { confirmed };
            Button::new(self.text(state, id, &[]), data.to_string())
        };
        let buttons = vec![vec![button("button-yes", true), button("button-no", false)]];
        self.say(text, buttons).await;
    }

    /// The latest entries of the activity log.
    async fn activity(&self, state: &State) {
        let entries = self.store.recent_activity(10).await.unwrap_or_default();
        let mut lines = vec![self.text(state, "activity-title", &[])];
        if entries.is_empty() {
            lines.push(self.text(state, "activity-none", &[]));
        }
        for entry in entries {
            let when = k8s_openapi::jiff::Timestamp::from_second(entry.at)
                .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default();
            let what = self.text(
                state,
                &format!("activity-{}", entry.kind.replace('_', "-")),
                &[("detail", &entry.detail)],
            );
            lines.push(format!("{when} · {what}"));
        }
        self.say(lines.join("\n"), vec![]).await;
    }

    async fn dashboard(&self, state: &State) {
        let state_id = match state.session {
            Session::Connected { .. } => "state-connected",
            Session::Disconnected => "state-disconnected",
            Session::AwaitingPairing => "state-awaiting-pairing",
            Session::LoggedOut => "state-logged-out",
            Session::Banned => "state-banned",
        };
        let groups = self.store.groups().await.map_or(0, |g| g.len()).to_string();
        let jobs = match self.store.running_job().await {
            Ok(Some(_)) => "1",
            _ => "0",
        };
        let lines = [
            self.text(state, "menu-title", &[]),
            self.text(
                state,
                "menu-account",
                &[("phone", &self.phone.masked()), ("name", &state.push_name)],
            ),
            self.text(
                state,
                "menu-state",
                &[("state", &self.text(state, state_id, &[]))],
            ),
            self.text(state, "menu-groups", &[("count", &groups)]),
            self.text(state, "menu-jobs", &[("count", jobs)]),
        ];
        let mut buttons = Vec::new();
        for row in [
            [
                ("button-groups", Menu::Groups),
                ("button-accounts", Menu::Accounts),
            ],
            [
                ("button-activity", Menu::Activity),
                ("button-language", Menu::Language),
            ],
            [("button-help", Menu::Help), ("button-logout", Menu::Logout)],
        ] {
            let mut out = Vec::new();
            for (label, menu) in row {
                let data = Tenant::Menu(menu).to_string();
                out.push(Button::new(self.text(state, label, &[]), data));
            }
            buttons.push(out);
        }
        self.say(lines.join("\n"), buttons).await;
    }

    async fn on_callback(self: &Arc<Self>, query: CallbackQuery, state: &mut State) {
        let message_id = query.message.as_ref().map(|m| m.id().0);
        let button = query.data.as_deref().unwrap_or_default().parse::<Tenant>();
        let mut answer = None;
        match button {
            Ok(Tenant::Pair(Pair::Cancel)) => {
                if let Some(active) = &state.pairing {
                    active.cancel.cancel();
                } else {
                    answer = Some(self.text(state, "stale-button", &[]));
                }
            }
            Ok(Tenant::Pair(Pair::Retry)) => {
                // Retry is offered once a pairing ended; one that is still
                // finishing (its last message sent, its task not yet done)
                // is stopped and awaited rather than raced, so the press is
                // never lost.
                if let Some(active) = state.pairing.take() {
                    active.cancel.cancel();
                    self.ended(active.task.await);
                }
                self.start_pairing(state).await
            }
            Ok(Tenant::Language(language)) => {
                if let Err(error) = self.store.set_language(language).await {
                    warn!(error = %crds::naming::Redacted(&error), "cannot save the language");
                }
                state.language = language;
                self.replace(message_id, self.text(state, "lang-set", &[]))
                    .await;
            }
            Ok(Tenant::Logout { confirmed: true }) => match self.whatsapp.logout().await {
                Ok(()) => {
                    self.replace(message_id, self.text(state, "logout-done", &[]))
                        .await
                }
                Err(error) => {
                    let reason = crds::naming::Chain(&error).to_string();
                    let text = self.text(state, "pairing-failed", &[("reason", &reason)]);
                    self.replace(message_id, text).await;
                }
            },
            Ok(Tenant::Logout { confirmed: false }) => {
                self.replace(message_id, self.text(state, "logout-kept", &[]))
                    .await
            }
            Ok(Tenant::Menu(Menu::Groups)) => self.groups_page(state, message_id, 0).await,
            Ok(Tenant::Menu(Menu::Help)) => self.help(state).await,
            Ok(Tenant::Menu(Menu::Language)) => self.choose_language(state).await,
            Ok(Tenant::Menu(Menu::Logout)) => self.confirm_logout(state).await,
            Ok(Tenant::Menu(Menu::Activity)) => self.activity(state).await,
            Ok(Tenant::Groups(button)) => self.on_groups_button(button, state, message_id).await,
            Ok(Tenant::Job(button)) => {
                if !self.on_bulk_button(button, state, message_id).await {
                    answer = Some(self.text(state, "stale-button", &[]));
                }
            }
            // The accounts are the front door's; a press that reaches the
            // tenant anyway, or data it does not know, is stale.
            Ok(Tenant::Menu(Menu::Accounts)) | Err(_) => {
                answer = Some(self.text(state, "stale-button", &[]));
            }
        }
        let mut request = self.bot.answer_callback_query(query.id);
        if let Some(text) = answer {
            request.text = Some(text);
        }
        if let Err(error) = request.await {
            warn!(error = %crds::naming::Redacted(&error), "cannot answer the callback query");
        }
    }

    async fn replace(&self, message: Option<i32>, text: String) {
        let result = match message {
            Some(id) => self.messenger.edit(id, text, vec![]).await,
            None => self.messenger.send(text, vec![]).await.map(|_| ()),
        };
        if let Err(error) = result {
            warn!(error = %crds::naming::Redacted(&error), "cannot update the message");
        }
    }
}

fn outcome_kind(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Paired { .. } => "paired",
        Outcome::TimedOut => "timed_out",
        Outcome::Cancelled => "cancelled",
        Outcome::RateLimited(_) => "rate_limited",
        Outcome::Failed(_) => "failed",
    }
}
