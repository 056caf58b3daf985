//! Updates arriving from Telegram, by long polling or webhook, into the
//! users' queues; a flooding user is slowed down here, before anything
//! else is spent on them.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::bot::{FrontDoor, Queues};
use super::metrics::Metrics;
use crate::shutdown;
use crate::tenant::http::sender;

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

    /// Takes one update: rate limit, then the user's queue.
    pub fn accept(&self, update: Value) {
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
        if self.queues.push(user, update).is_err() {
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

/// Long polling until `stop`: `getUpdates` with the real token, each
/// update into the intake, acknowledged by the next call's offset.
pub async fn poll(
    intake: Arc<Intake>,
    api: String,
    token: String,
    mut stop: watch::Receiver<bool>,
) {
    let http = reqwest::Client::new();
    let url = format!("{}/bot{token}/getUpdates", api.trim_end_matches('/'));
    let mut offset = 0_i64;
    let mut pause = Duration::from_secs(1);
    let mut polls = 0_u64;
    loop {
        let body = json!({
            "offset": offset,
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
            () = shutdown::requested(&mut stop) => return,
        };
        match read_updates(response).await {
            Ok(updates) => {
                tracing::debug!(count = updates.len(), offset, "updates received");
                pause = Duration::from_secs(1);
                for update in updates {
                    if let Some(id) = update["update_id"].as_i64() {
                        offset = offset.max(id + 1);
                    }
                    intake.accept(update);
                }
            }
            Err(error) => {
                tracing::warn!(error = %crds::naming::Redacted(&error), retry_in = ?pause, "getUpdates failed");
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = shutdown::requested(&mut stop) => return,
                }
                pause = (pause * 2).min(Duration::from_secs(30));
            }
        }
        polls += 1;
        if polls.is_multiple_of(100) {
            intake.tidy();
        }
    }
}

async fn read_updates(response: reqwest::Result<reqwest::Response>) -> Result<Vec<Value>, String> {
    // The URL holds the token; errors are reported without it.
    let response = response.map_err(|e| e.without_url().to_string())?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| e.without_url().to_string())?;
    match body["result"].as_array() {
        Some(updates) if status.is_success() => Ok(updates.clone()),
        _ => Err(format!(
            "Telegram answered {status}: {}",
            body["description"].as_str().unwrap_or_default()
        )),
    }
}

/// The webhook's state: the intake and the secret Telegram must send.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Where updates go.
    pub intake: Arc<Intake>,
    /// The secret set with `setWebhook`.
    pub secret: Arc<str>,
}

/// `POST /telegram/webhook`: an update from Telegram, with its secret.
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
    hook.intake.accept(update);
    StatusCode::OK
}
