//! Updates arriving from Telegram, by long polling or webhook, into the
//! users' queues; a flooding user is slowed down here, before anything
//! else is spent on them.
//!
//! An update is acknowledged to Telegram only once it has been handled
//! (handed to its tenant, or answered by the front door): a polled one by
//! the offset of a later `getUpdates`, a webhook's by the answer to its
//! request. A front door that stops at any point therefore loses nothing
//! it had taken; Telegram gives the unacknowledged updates again, and the
//! ones already handed over are recognised by their id (here, and by the
//! tenant) and not handled twice.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use backon::BackoffBuilder as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::{Value, json};
use tokio::sync::{Notify, oneshot};
use tokio_util::sync::CancellationToken;

use super::bot::FrontDoor;
use super::handlers::Queues;
use super::metrics::Metrics;
use super::routing::Receipt;
use crate::protocol::update::sender;
use crate::telegram::RecentUpdates;

/// Takes updates from either intake.
pub struct Intake {
    door: Arc<FrontDoor>,
    queues: Arc<Queues>,
    limiter: DefaultKeyedRateLimiter<i64>,
    metrics: Metrics,
}

impl std::fmt::Debug for Intake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intake").finish_non_exhaustive()
    }
}

impl Intake {
    /// An intake letting each user send `per_minute` updates (with a burst
    /// of a third of that) into their queue.
    pub fn new(
        door: Arc<FrontDoor>,
        queues: Arc<Queues>,
        per_minute: NonZeroU32,
        metrics: Metrics,
    ) -> Self {
        let burst = NonZeroU32::new(per_minute.get().div_ceil(3)).unwrap_or(per_minute);
        Self {
            door,
            queues,
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            metrics,
        }
    }

    /// Takes one update: rate limit, then the user's queue. `receipt` is
    /// let go once the update is handled, or at once when it is not
    /// queued (nobody to serve, over the rate, a full queue).
    pub fn accept(&self, update: Value, receipt: Receipt) {
        tracing::debug!(update_id = update["update_id"].as_i64(), "update taken");
        let Some(user) = sender(&update) else {
            // Channel posts and the like: nobody to serve.
            return;
        };
        let hint = language_hint(&update);
        if self.limiter.check_key(&user).is_err() {
            self.metrics.update("rate_limited");
            let door = self.door.clone();
            tokio::spawn(async move { door.slow_down(user, hint.as_deref()).await });
            return;
        }
        if self.queues.push(user, update, receipt).is_err() {
            self.metrics.update("queue_full");
            let door = self.door.clone();
            tokio::spawn(async move { door.busy(user, hint.as_deref()).await });
        }
    }

    /// Forgets the limiter state of users who have been quiet.
    pub fn tidy(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// The sender's Telegram language, for answers given before the update
/// is parsed.
fn language_hint(update: &Value) -> Option<String> {
    ["message", "edited_message", "callback_query"]
        .iter()
        .find_map(|kind| update.get(kind))?
        .get("from")?
        .get("language_code")?
        .as_str()
        .map(str::to_owned)
}

/// Longest wait Telegram holds a `getUpdates` open.
const POLL_TIMEOUT: u64 = 30;
/// Most updates one `getUpdates` returns (Telegram's own cap).
const POLL_LIMIT: usize = 100;
/// How long a poll that brought nothing new waits for an update to be
/// handled before asking again.
const REPOLL: Duration = Duration::from_millis(500);
/// How long a polled update may stay unacknowledged while it is handled.
/// Past this it is acknowledged anyway, so that one stuck tenant cannot
/// hold back the offset, and with it every other user, for good.
const HOLD: Duration = Duration::from_secs(60);

/// The polled updates taken but not yet acknowledged, and so the offset
/// the next `getUpdates` may confirm.
#[derive(Debug, Default)]
struct Ledger {
    /// By update id: when it was taken, or `None` once it is handled.
    taken: BTreeMap<i64, Option<Instant>>,
    /// Every update below this id is acknowledged.
    next: i64,
}

impl Ledger {
    /// The ledger behind `shared`; its state is whole after every call, so
    /// a panic elsewhere does not spoil it.
    fn lock(shared: &Mutex<Self>) -> std::sync::MutexGuard<'_, Self> {
        shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `id` as taken now; false when it was taken before (Telegram
    /// gives an update again until the offset passes it).
    fn take(&mut self, id: i64, now: Instant) -> bool {
        if id < self.next || self.taken.contains_key(&id) {
            return false;
        }
        self.taken.insert(id, Some(now));
        true
    }

    /// Records `id` as handled.
    fn handled(&mut self, id: i64) {
        if let Some(entry) = self.taken.get_mut(&id) {
            *entry = None;
        }
    }

    /// Whether a taken update is still being handled.
    fn pending(&self) -> bool {
        self.taken.values().any(Option::is_some)
    }

    /// The offset to confirm at `now`: the oldest update still being
    /// handled, or past the newest once all are. Also how many updates
    /// were acknowledged unhandled because they were held past `hold`.
    fn offset(&mut self, now: Instant, hold: Duration) -> (i64, usize) {
        let mut released = 0;
        while let Some(entry) = self.taken.first_entry() {
            match *entry.get() {
                Some(since) if now.duration_since(since) < hold => return (*entry.key(), released),
                Some(_) => released += 1,
                None => {}
            }
            self.next = *entry.key() + 1;
            entry.remove();
        }
        (self.next, released)
    }
}

/// Long polling until `stop`: `getUpdates` with the real token, each
/// update into the intake, acknowledged by a later call's offset once it
/// is handled.
///
/// A raw HTTP call, not teloxide's: updates travel on to tenants as the
/// JSON Telegram sent (fields teloxide's types do not know included), and
/// the offset moves only once an update is handled, which teloxide's
/// polling does not offer.
pub async fn poll(intake: Arc<Intake>, api: String, token: String, stop: CancellationToken) {
    let http = reqwest::Client::new();
    let url = format!("{}/bot{token}/getUpdates", api.trim_end_matches('/'));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let handled = Arc::new(Notify::new());
    // Failures wait as Telegram's policy says, without giving up.
    let policy = crate::retry::Peer::Telegram.policy().without_max_times();
    let mut waits = policy.build();
    let mut polls = 0_u64;
    loop {
        let (offset, released) = Ledger::lock(&ledger).offset(Instant::now(), HOLD);
        if released > 0 {
            tracing::warn!(
                released,
                "updates held too long were acknowledged before being handled"
            );
            intake.metrics.updates_by("released_unhandled", released);
        }
        let body = json!({
            "offset": offset,
            "limit": POLL_LIMIT,
            "timeout": POLL_TIMEOUT,
            "allowed_updates": ["message", "edited_message", "callback_query"],
        });
        let request = http
            .post(&url)
            .json(&body)
            .timeout(Duration::from_secs(POLL_TIMEOUT + 10))
            .send();
        let response = tokio::select! {
            response = request => response,
            () = stop.cancelled() => break,
        };
        match read_updates(response).await {
            Ok(updates) => {
                tracing::debug!(count = updates.len(), offset, "updates received");
                waits = policy.build();
                let mut fresh = 0;
                for update in updates {
                    let Some(id) = update["update_id"].as_i64() else {
                        continue;
                    };
                    if !Ledger::lock(&ledger).take(id, Instant::now()) {
                        // Given again while being handled: expected.
                        continue;
                    }
                    fresh += 1;
                    let (ledger, handled) = (ledger.clone(), handled.clone());
                    let receipt = Receipt::new(move || {
                        Ledger::lock(&ledger).handled(id);
                        handled.notify_one();
                    });
                    intake.accept(update, receipt);
                }
                if fresh == 0 && Ledger::lock(&ledger).pending() {
                    // Telegram answers at once while an update it gave is
                    // unacknowledged: wait for one to be handled instead
                    // of asking in a loop.
                    tokio::select! {
                        () = handled.notified() => {}
                        () = tokio::time::sleep(REPOLL) => {}
                        () = stop.cancelled() => break,
                    }
                }
            }
            Err(error) => {
                let pause = waits.next().unwrap_or(Duration::from_secs(30));
                tracing::warn!(error = %crds::naming::why(&error), retry_in = ?pause, "getUpdates failed");
                if !crds::shutdown::pause(&stop, pause).await {
                    break;
                }
            }
        }
        polls += 1;
        if polls.is_multiple_of(100) {
            intake.tidy();
        }
    }
    // Stopping: confirm what is handled by now, so the next front door
    // does not answer it again. What is not is given to that one.
    let (offset, _) = Ledger::lock(&ledger).offset(Instant::now(), HOLD);
    let confirm = http
        .post(&url)
        .json(&json!({"offset": offset, "limit": 1, "timeout": 0}))
        .timeout(Duration::from_secs(5))
        .send();
    if let Err(error) = read_updates(confirm.await).await {
        tracing::warn!(error = %crds::naming::why(&error), "cannot confirm the handled updates");
    }
}

/// Why a `getUpdates` call gave no updates.
#[derive(Debug, thiserror::Error)]
enum PollError {
    /// The call did not complete (its URL, which holds the token, is
    /// removed from the error).
    #[error("getUpdates failed")]
    Request(#[source] reqwest::Error),
    /// Telegram refused it.
    #[error("Telegram answered {status}: {description}")]
    Refused {
        status: reqwest::StatusCode,
        description: String,
    },
}

async fn read_updates(
    response: reqwest::Result<reqwest::Response>,
) -> Result<Vec<Value>, PollError> {
    // The URL holds the token; errors are reported without it.
    let request = |e: reqwest::Error| PollError::Request(e.without_url());
    let response = response.map_err(request)?;
    let status = response.status();
    let body: Value = response.json().await.map_err(request)?;
    match body["result"].as_array() {
        Some(updates) if status.is_success() => Ok(updates.clone()),
        _ => Err(PollError::Refused {
            status,
            description: body["description"].as_str().unwrap_or_default().to_owned(),
        }),
    }
}

/// How many webhook update ids are remembered to answer Telegram's
/// repeats without handling them again.
const WEBHOOK_RECENT: usize = 4096;
/// Longest a webhook request waits for its update to be handled before it
/// is answered anyway, inside the time Telegram waits for an answer.
const WEBHOOK_HOLD: Duration = Duration::from_secs(20);

/// The webhook's state: the intake, the secret Telegram must send and the
/// updates seen lately.
#[derive(Debug, Clone)]
pub struct Webhook {
    intake: Arc<Intake>,
    secret: Arc<str>,
    recent: Arc<RecentUpdates>,
}

impl Webhook {
    /// Updates into `intake`, from requests carrying `secret` (the one
    /// set with `setWebhook`).
    pub fn new(intake: Arc<Intake>, secret: &str) -> Self {
        Self {
            intake,
            secret: secret.into(),
            recent: Arc::new(RecentUpdates::new(WEBHOOK_RECENT)),
        }
    }
}

/// `POST /telegram/webhook`: an update from Telegram, with its secret.
/// Answered once the update is handled, so that Telegram sends it again
/// if the front door stops first.
pub async fn webhook(State(hook): State<Webhook>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers
        .get(crds::secret::HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !crds::secret::same(given, hook.secret.as_bytes()) {
        tracing::warn!("webhook call refused: missing or wrong secret");
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(update) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if let Some(id) = update["update_id"].as_i64()
        && !hook.recent.first_time(id)
    {
        hook.intake.metrics.update("duplicate");
        return StatusCode::OK;
    }
    let (done, handled) = oneshot::channel::<()>();
    hook.intake.accept(update, Receipt::new(move || drop(done)));
    // Either way the receiver ends: the receipt was let go, or the wait
    // is over and Telegram is answered regardless.
    let _ = tokio::time::timeout(WEBHOOK_HOLD, handled).await;
    StatusCode::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_stops_at_the_oldest_update_being_handled() {
        let now = Instant::now();
        let mut ledger = Ledger::default();
        assert_eq!(ledger.offset(now, HOLD), (0, 0));
        for id in 10..15 {
            assert!(ledger.take(id, now));
        }
        assert_eq!(ledger.offset(now, HOLD), (10, 0));
        ledger.handled(11);
        ledger.handled(12);
        assert_eq!(ledger.offset(now, HOLD), (10, 0), "10 is still handled");
        ledger.handled(10);
        assert_eq!(ledger.offset(now, HOLD), (13, 0));
        ledger.handled(13);
        ledger.handled(14);
        assert_eq!(ledger.offset(now, HOLD), (15, 0));
        assert!(!ledger.pending());
    }

    #[test]
    fn an_update_given_again_is_taken_once() {
        let now = Instant::now();
        let mut ledger = Ledger::default();
        assert!(ledger.take(7, now));
        assert!(!ledger.take(7, now), "still being handled");
        ledger.handled(7);
        assert!(!ledger.take(7, now), "handled, not yet acknowledged");
        assert_eq!(ledger.offset(now, HOLD), (8, 0));
        assert!(!ledger.take(7, now), "acknowledged");
        assert!(ledger.take(8, now));
    }

    #[test]
    fn an_update_held_too_long_is_let_go() {
        let start = Instant::now();
        let mut ledger = Ledger::default();
        ledger.take(1, start);
        ledger.take(2, start + Duration::from_secs(30));
        assert_eq!(
            ledger.offset(start + HOLD - Duration::from_secs(1), HOLD),
            (1, 0)
        );
        assert_eq!(ledger.offset(start + HOLD, HOLD), (2, 1));
        // A late handling of the released update changes nothing.
        ledger.handled(1);
        assert_eq!(ledger.offset(start + HOLD, HOLD), (2, 0));
        assert!(ledger.pending());
    }
}
