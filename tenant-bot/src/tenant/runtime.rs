//! One account's runtime: its state and the loop that owns it, taking
//! the owner's updates in order (handed to [`super::handlers`]),
//! WhatsApp's events, the pairing's end and the groups' refresh, and
//! reporting the session to the status of its resource.

use std::sync::Arc;

use crds::{Language, PhoneNumber};
use teloxide::Bot;
use teloxide::payloads::AnswerCallbackQuerySetters;
use teloxide::prelude::Requester;
use teloxide::types::CallbackQuery;
use tokio::sync::{Mutex, broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::handlers::{self, Shared};
use super::metrics::Metrics;
use super::pairing::{Outcome, Pairing, Timing};
use super::status::Session;
use crate::store::{Activity, Store};
use crate::telegram::{Button, Catalog, Messenger};
use crate::whatsapp::{Event, WhatsApp};

mod bulk;
mod choices;
mod groups;
mod screens;
mod typed;
mod work;

pub(in crate::tenant) use self::bulk::{Answer, MAX_PHOTO_FILE};

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

/// A pairing under way.
pub(in crate::tenant) struct Active {
    cancel: CancellationToken,
    /// Its task, which ends in the pairing's outcome.
    pub(in crate::tenant) task: JoinHandle<Outcome>,
}

impl Active {
    /// Asks the pairing to stop.
    pub(in crate::tenant) fn cancel(&self) {
        self.cancel.cancel();
    }
}

/// The runtime's mutable state, owned by its one loop, which lends it to
/// the handlers for one update at a time.
pub(in crate::tenant) struct State {
    /// The owner's language, read from the store once and kept here.
    pub(in crate::tenant) language: Language,
    /// Where the WhatsApp session is.
    pub(in crate::tenant) session: Session,
    push_name: String,
    /// The pairing under way, if any.
    pub(in crate::tenant) pairing: Option<Active>,
    /// What the owner's next text answers.
    pub(in crate::tenant) dialog: Option<Dialog>,
    /// A selection waiting for confirmation.
    pending: Option<bulk::Pending>,
    /// The job this process runs.
    job: Option<bulk::Running>,
    /// Cancelled when the tenant stops; jobs stop then and resume later.
    stop: CancellationToken,
}

/// A question the owner's next text answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::tenant) enum Dialog {
    /// A fragment of a group name to search for.
    Search,
    /// The groups a bulk feature works on.
    Select(bulk::Feature),
    /// The answer to the prepared job's current question (a farewell,
    /// numbers, a photo…).
    Step,
    /// The pause between a job's items, typed in seconds.
    Delay,
    /// The confirmation of a prepared job: yes starts it, no drops it.
    Confirm,
    /// The logout confirmation: yes logs the account out, no keeps it.
    Logout,
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
                warn!(error = %crds::naming::why(&error), "cannot connect the stored session");
            }
            // A job the last process left running goes on where it was.
            self.resume_job(&mut state).await;
        } else {
            self.start_pairing(&mut state).await;
            self.set(&mut state, Session::AwaitingPairing, &session_tx)
                .await;
        }

        let state: Shared = Arc::new(Mutex::new(state));
        let handlers = handlers::schema();
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
                // The loop alone locks the state, one step at a time:
                // select! drops this future, and the lock with it, before
                // any arm runs.
                let mut state = state.lock().await;
                match state.pairing.as_mut() {
                    Some(active) => Some((&mut active.task).await),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                update = updates.recv() => match update {
                    Some(update) => {
                        handlers::handle(&handlers, self.clone(), state.clone(), &update).await;
                    }
                    None => break,
                },
                event = events.recv() => match event {
                    Ok(event) => {
                        let mut state = state.lock().await;
                        self.on_event(event, &mut state, &session_tx).await;
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        warn!(skipped = n, "missed WhatsApp events");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                done = pairing_done => {
                    state.lock().await.pairing = None;
                    if let Some(done) = done {
                        self.ended(done);
                    }
                }
                _ = refresh_due => {
                    let connected = matches!(state.lock().await.session, Session::Connected { .. });
                    if connected {
                        self.refresh_quietly().await;
                    }
                }
                () = shutdown.cancelled() => break,
            }
        }
        let mut state = state.lock().await;
        if let Some(active) = state.pairing.take() {
            active.cancel();
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
            warn!(error = %crds::naming::why(&error), "cannot flush the bot data");
        }
    }

    /// Counts and logs how a pairing ended.
    pub(in crate::tenant) fn ended(&self, done: Result<Outcome, tokio::task::JoinError>) {
        match done {
            Ok(outcome) => {
                let kind = outcome_kind(&outcome);
                info!(outcome = kind, "pairing ended");
                self.metrics.pairings.with_label_values(&[kind]).inc();
            }
            Err(error) => warn!(error = %crds::naming::why(&error), "pairing task failed"),
        }
    }

    async fn stored_language(&self) -> Language {
        match self.store.language().await {
            Ok(Some(language)) => language,
            Ok(None) => self.default_language,
            Err(error) => {
                warn!(error = %crds::naming::why(&error), "cannot read the language");
                self.default_language
            }
        }
    }

    /// Text `id` of the catalog in the owner's language.
    pub(in crate::tenant) fn text(&self, state: &State, id: &str, args: &[(&str, &str)]) -> String {
        self.catalog.text(state.language, id, args)
    }

    /// Sends the owner `text` with rows of buttons.
    pub(in crate::tenant) async fn say(&self, text: String, buttons: Vec<Vec<Button>>) {
        if let Err(error) = self.messenger.send(text, buttons).await {
            warn!(error = %crds::naming::why(&error), "cannot message the owner");
        }
    }

    async fn set(&self, state: &mut State, session: Session, tx: &watch::Sender<Session>) {
        let connected = matches!(session, Session::Connected { .. });
        self.metrics.connected.set(i64::from(connected));
        state.session = session.clone();
        // The status follows from here (see `Reporter::follow`).
        let _ = tx.send(session);
    }

    /// Starts a pairing, unless one is under way.
    pub(in crate::tenant) async fn start_pairing(self: &Arc<Self>, state: &mut State) {
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
            warn!(error = %crds::naming::why(&error), "cannot log activity");
        }
    }

    /// Replaces `message` with `text`, or sends it without one.
    pub(in crate::tenant) async fn replace(&self, message: Option<i32>, text: String) {
        let result = match message {
            Some(id) => self.messenger.edit(id, text, vec![]).await,
            None => self.messenger.send(text, vec![]).await.map(|_| ()),
        };
        if let Err(error) = result {
            warn!(error = %crds::naming::why(&error), "cannot update the message");
        }
    }

    /// Answers a button press, with a short notice when given.
    pub(in crate::tenant) async fn answer(&self, query: &CallbackQuery, notice: Option<String>) {
        let mut request = self.bot.answer_callback_query(query.id.clone());
        if let Some(text) = notice {
            request = request.text(text);
        }
        if let Err(error) = request.await {
            warn!(error = %crds::naming::why(&error), "cannot answer the callback query");
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

#[cfg(test)]
mod tests;
