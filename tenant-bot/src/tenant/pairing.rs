//! Linking the account by pairing code: ask WhatsApp for a code, show it
//! to the owner with instructions and a countdown edited in place, and end
//! in exactly one outcome: paired, timed out, cancelled, rate limited or
//! failed. Transient errors are retried with backoff; a timeout or cancel
//! really stops the pairing on WhatsApp's side.

use std::time::Duration;

use backon::Retryable as _;
use crds::{Language, PhoneNumber};
use tokio::sync::broadcast;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::protocol::callback::{Pair, Tenant};
use crate::telegram::{Button, Catalog, Messenger};
use crate::whatsapp::{self, Event, WhatsApp};

/// Timing of a pairing.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// How long the owner has to enter the code.
    pub timeout: Duration,
    /// How often the countdown is edited.
    pub tick: Duration,
    /// Attempts at getting a code on transient errors.
    pub attempts: u32,
    /// First wait between attempts; it grows as [`Peer::WhatsApp`]'s
    /// policy says.
    ///
    /// [`Peer::WhatsApp`]: crate::retry::Peer::WhatsApp
    pub backoff: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(180),
            tick: Duration::from_secs(15),
            attempts: 4,
            backoff: Duration::from_secs(2),
        }
    }
}

/// How a pairing ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The device is linked.
    Paired {
        /// The linked device's JID.
        jid: String,
        /// The account's WhatsApp name.
        push_name: String,
    },
    /// The owner did not enter the code in time.
    TimedOut,
    /// The owner cancelled.
    Cancelled,
    /// WhatsApp refused to issue codes for a while.
    RateLimited(Duration),
    /// Anything else; the reason was shown to the owner.
    Failed(Failure),
}

/// Why a pairing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The code could not be shown to the owner.
    #[error("the pairing code cannot be shown")]
    Telegram,
    /// WhatsApp banned the account while it was being linked.
    #[error("the account is banned")]
    Banned,
    /// The WhatsApp session ended while the code was shown.
    #[error("the WhatsApp session closed")]
    SessionClosed,
    /// WhatsApp would not give a code.
    #[error("no pairing code")]
    WhatsApp(#[source] whatsapp::Error),
}

/// What a pairing talks to.
pub struct Pairing<'a> {
    /// The session to link.
    pub whatsapp: &'a dyn WhatsApp,
    /// The owner's chat.
    pub messenger: &'a dyn Messenger,
    /// Texts.
    pub catalog: &'a Catalog,
    /// The owner's language.
    pub language: Language,
    /// The number being linked.
    pub phone: &'a PhoneNumber,
    /// Timing.
    pub timing: Timing,
}

impl std::fmt::Debug for Pairing<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pairing")
            .field("phone", self.phone)
            .finish_non_exhaustive()
    }
}

/// `ABCDEFGH` as `ABCD-EFGH`, the way WhatsApp shows codes.
pub fn format_code(code: &str) -> String {
    if code.len() == 8 && code.is_ascii() {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_owned()
    }
}

/// `m:ss`, rounded up so the countdown never shows 0:00 while time is left.
pub fn format_remaining(remaining: Duration) -> String {
    let seconds = remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0);
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

impl Pairing<'_> {
    fn text(&self, id: &str, args: &[(&str, &str)]) -> String {
        self.catalog.text(self.language, id, args)
    }

    fn retry_button(&self) -> Vec<Vec<Button>> {
        vec![vec![Button::new(
            self.text("button-retry", &[]),
            Tenant::Pair(Pair::Retry).to_string(),
        )]]
    }

    /// Runs one pairing until it ends; cancelling `cancel` cancels it.
    pub async fn run(&self, cancel: CancellationToken) -> Outcome {
        // Subscribe first: the owner may be quicker than our next step.
        let mut events = self.whatsapp.events();
        let code = match self.request_code(&cancel).await {
            Ok(code) => code,
            Err(outcome) => return outcome,
        };
        info!(phone = %self.phone, "pairing code issued");

        let deadline = Instant::now() + self.timing.timeout;
        let masked = self.phone.masked();
        let code = format_code(&code);
        let code_text = |remaining: Duration| {
            let main = self.text(
                "pairing-code",
                &[
                    ("phone", &masked),
                    ("code", &code),
                    ("remaining", &format_remaining(remaining)),
                ],
            );
            format!("{main}\n\n{}", self.text("pairing-passkey-hint", &[]))
        };
        let cancel_button = vec![vec![Button::new(
            self.text("button-cancel", &[]),
            Tenant::Pair(Pair::Cancel).to_string(),
        )]];
        let message = match self
            .messenger
            .send(code_text(self.timing.timeout), cancel_button.clone())
            .await
        {
            Ok(id) => id,
            Err(error) => {
                warn!(error = %crds::naming::why(&error), "cannot show the pairing code");
                let _ = self.whatsapp.cancel_pairing().await;
                return Outcome::Failed(Failure::Telegram);
            }
        };

        let mut next_tick = Instant::now() + self.timing.tick;
        loop {
            // Biased: a pairing that completes as time runs out counts, and
            // the deadline wins over a countdown tick due at the same time.
            tokio::select! {
                biased;
                event = events.recv() => match event {
                    Ok(Event::Paired { jid, push_name }) => {
                        // A device paired by code learns the account's
                        // name later, from the phone; the number says
                        // which account it is until then.
                        let name = if push_name.trim().is_empty() {
                            masked.as_str()
                        } else {
                            push_name.as_str()
                        };
                        let done = self.text("pairing-done", &[("name", name)]);
                        self.edit(message, done, vec![]).await;
                        return Outcome::Paired { jid, push_name };
                    }
                    Ok(Event::Banned { .. }) => {
                        let reason = self.text("state-banned", &[]);
                        let text = self.text("pairing-failed", &[("reason", &reason)]);
                        self.edit(message, text, vec![]).await;
                        return Outcome::Failed(Failure::Banned);
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => {
                        return Outcome::Failed(Failure::SessionClosed);
                    }
                },
                () = sleep_until(deadline) => {
                    let _ = self.whatsapp.cancel_pairing().await;
                    let text = self.text("pairing-timeout", &[]);
                    self.edit(message, text, self.retry_button()).await;
                    return Outcome::TimedOut;
                }
                () = cancel.cancelled() => {
                    let _ = self.whatsapp.cancel_pairing().await;
                    let text = self.text("pairing-cancelled", &[]);
                    self.edit(message, text, vec![]).await;
                    return Outcome::Cancelled;
                }
                () = sleep_until(next_tick) => {
                    next_tick += self.timing.tick;
                    let remaining = deadline.saturating_duration_since(Instant::now());
                    self.edit(message, code_text(remaining), cancel_button.clone()).await;
                }
            }
        }
    }

    async fn edit(&self, message: i32, text: String, buttons: Vec<Vec<Button>>) {
        if let Err(error) = self.messenger.edit(message, text, buttons).await {
            warn!(error = %crds::naming::why(&error), "cannot update the pairing message");
        }
    }

    /// A code, after retrying transient errors; or how it ended.
    async fn request_code(&self, cancel: &CancellationToken) -> Result<String, Outcome> {
        let tries = &std::sync::atomic::AtomicU32::new(0);
        // Copies of references only, so the tries' futures borrow nothing
        // of the closure.
        let this = self;
        let request = move || async move {
            if tries.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 1 {
                // The first retry: the owner hears why the code is late.
                let _ = this
                    .messenger
                    .send(this.text("pairing-retrying", &[]), vec![])
                    .await;
            }
            this.whatsapp.request_pairing_code(this.phone).await
        };
        let policy = crate::retry::Peer::WhatsApp
            .policy()
            .with_min_delay(self.timing.backoff)
            .with_max_times(self.timing.attempts.saturating_sub(1) as usize);
        let requested = request
            .retry(policy)
            .when(|error| {
                error.is_retryable() && !matches!(error, whatsapp::Error::RateLimited { .. })
            })
            .notify(|error, wait| {
                warn!(error = %crds::naming::why(error), retry_in = ?wait, "pairing code request failed; retrying");
            });
        let Some(requested) = crate::retry::until_cancelled(cancel, requested).await else {
            return Err(Outcome::Cancelled);
        };
        match requested {
            Ok(code) => Ok(code),
            Err(whatsapp::Error::RateLimited { retry_after }) => {
                let minutes = retry_after.as_secs().div_ceil(60).max(1).to_string();
                let text = self.text("pairing-rate-limited", &[("minutes", &minutes)]);
                let _ = self.messenger.send(text, self.retry_button()).await;
                Err(Outcome::RateLimited(retry_after))
            }
            Err(error) => {
                let reason = crds::naming::Chain(&error).to_string();
                let text = self.text("pairing-failed", &[("reason", &reason)]);
                let _ = self.messenger.send(text, self.retry_button()).await;
                Err(Outcome::Failed(Failure::WhatsApp(error)))
            }
        }
    }
}

#[cfg(test)]
mod tests;
