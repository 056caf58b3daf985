//! The gateway's send schedule: every tenant's Bot API calls share one
//! bot's budget, so they are queued here and started only when Telegram's
//! limits for the whole bot allow.
//!
//! Replies (what a user waits for) go before edits (progress bars); edits
//! of a message still queued are folded into one send; chats take turns;
//! a 429 pauses everything for the time Telegram asks. Sends run
//! concurrently; this only decides when each starts.

mod limiter;
mod queue;

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;
use tracing::Instrument;

use queue::{Item, Next, Queue};

/// Why a call was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The queue holds `Limits::max_queued` items already; the caller
    /// should answer 429 or 503 itself.
    #[error("the Telegram send queue is full")]
    Full,
    /// The scheduler was shut down, or its last handle dropped, before the
    /// call was sent.
    #[error("the Telegram send scheduler is closed")]
    Closed,
    /// Telegram refused a free (unscheduled) call with a 429; it may be
    /// retried after this long.
    #[error("Telegram asked to retry after {0:?}")]
    RetryAfter(Duration),
}

/// Results of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// At most `count` sends in any `span`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Sends allowed in one span (at least one is always allowed).
    pub count: u32,
    /// The length of the window.
    pub span: Duration,
}

/// One send per `interval` on average, with up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// The steady pace.
    pub interval: Duration,
    /// Sends allowed at once after a quiet spell (at least one).
    pub burst: u32,
}

/// Telegram's limits for one bot, and the scheduler's own bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Every scheduled send of the bot.
    pub global: Window,
    /// Each chat's pace.
    pub chat: Rate,
    /// Each group's (negative chat id) cap, on top of its pace.
    pub group: Window,
    /// Queued items beyond which `submit` answers `Error::Full`.
    pub max_queued: usize,
    /// Sends waiting on Telegram at once, so a slow Telegram holds a
    /// bounded number of requests.
    pub max_in_flight: usize,
}

impl Default for Limits {
    /// Telegram's published figures (Bots FAQ): 30 messages a second in
    /// all, about one a second per chat with short bursts tolerated, 20 a
    /// minute per group.
    fn default() -> Self {
        Self {
            global: Window {
                count: 30,
                span: Duration::from_secs(1),
            },
            chat: Rate {
                interval: Duration::from_secs(1),
                burst: 3,
            },
            group: Window {
                count: 20,
                span: Duration::from_secs(60),
            },
            max_queued: 10_000,
            max_in_flight: 64,
        }
    }
}

/// What a call is, for the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A new message, document or callback answer: a user waits for it.
    Reply,
    /// An edit of `message`, such as a progress bar; yields to replies,
    /// and a queued edit of the same message takes the newer payload.
    Edit {
        /// The edited message's id in its chat.
        message: i64,
    },
    /// Not rate limited (getMe, getFile, downloads): sent at once.
    Free,
}

/// The outcome of one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent<T> {
    /// Telegram answered; transient failures other than 429 are the
    /// sender's to report inside `T`.
    Done(T),
    /// Telegram answered 429 with this `retry_after`.
    RetryAfter(Duration),
}

/// Makes one call to Telegram.
#[async_trait]
pub trait Sender<P, T>: Send + Sync + 'static {
    /// Sends `payload`. Scheduled calls get a clone, the scheduler keeping
    /// the original to retry after a 429, so `P` should be cheap to clone
    /// (`Bytes` bodies).
    async fn send(&self, payload: P) -> Sent<T>;
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Items waiting to be sent.
    pub queued: usize,
    /// Scheduled sends waiting on Telegram.
    pub in_flight: usize,
    /// Scheduled sends that Telegram answered (not counting 429s).
    pub sent: u64,
    /// Edits folded into a queued edit of the same message.
    pub coalesced: u64,
    /// 429 answers, each of which paused all sending.
    pub rate_limited: u64,
    /// Submissions refused with `Error::Full`.
    pub rejected: u64,
    /// Free calls passed straight to the sender.
    pub free: u64,
    /// Whether sending is paused by a 429 right now.
    pub paused: bool,
}

/// A handle to the schedule; cheap to clone. When the last handle is
/// dropped the schedule shuts down.
pub struct Scheduler<P, T> {
    handle: Arc<Handle<P, T>>,
}

impl<P, T> Clone for Scheduler<P, T> {
    fn clone(&self) -> Self {
        Self {
            handle: Arc::clone(&self.handle),
        }
    }
}

impl<P, T> fmt::Debug for Scheduler<P, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.handle.shared.lock().stats(Instant::now());
        f.debug_struct("Scheduler").field("stats", &stats).finish()
    }
}

/// Owned by the handles only, so that dropping the last one closes the
/// schedule while the driver and the sends hold `Shared`.
struct Handle<P, T> {
    shared: Arc<Shared<P, T>>,
}

impl<P, T> Drop for Handle<P, T> {
    fn drop(&mut self) {
        self.shared.close();
    }
}

struct Shared<P, T> {
    queue: Mutex<Queue<P, T>>,
    /// Wakes the driver: something was queued, a send finished, or the
    /// schedule closed.
    wake: Notify,
    sender: Box<dyn Sender<P, T>>,
}

impl<P, T> Shared<P, T> {
    fn lock(&self) -> MutexGuard<'_, Queue<P, T>> {
        // The queue is never left half-updated by a panic (no user code
        // runs under the lock), so a poisoned lock is still sound.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn close(&self) {
        self.lock().close();
        self.wake.notify_one();
    }
}

/// What `submit` decided before its future is first polled.
enum Ticket<P, T> {
    Free(Arc<Shared<P, T>>, P),
    Queued(oneshot::Receiver<Result<T>>),
    Refused(Error),
}

impl<P, T> Scheduler<P, T>
where
    P: Clone + Send + 'static,
    T: Clone + Send + 'static,
{
    /// Starts the schedule on the current Tokio runtime.
    pub fn spawn(limits: Limits, sender: impl Sender<P, T>) -> Self {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::new(limits, Instant::now())),
            wake: Notify::new(),
            sender: Box::new(sender),
        });
        let span = tracing::info_span!("telegram_schedule");
        tokio::spawn(drive(Arc::clone(&shared)).instrument(span));
        Self {
            handle: Arc::new(Handle { shared }),
        }
    }

    /// Sends `payload` to `chat` when the limits allow, and gives the
    /// sender's result.
    ///
    /// The call is queued (or refused with `Error::Full`) when `submit` is
    /// called, not when the future is first polled, so the order of calls
    /// is the order in the queue; the future holds no borrow and may be
    /// spawned. A queued call is sent even if its future is dropped.
    pub fn submit(
        &self,
        chat: i64,
        kind: Kind,
        payload: P,
    ) -> impl Future<Output = Result<T>> + Send + use<P, T> {
        let shared = &self.handle.shared;
        let ticket = match kind {
            Kind::Free => {
                let mut queue = shared.lock();
                if queue.is_closed() {
                    Ticket::Refused(Error::Closed)
                } else {
                    queue.free();
                    Ticket::Free(Arc::clone(shared), payload)
                }
            }
            Kind::Reply => self.enqueue(chat, None, payload),
            Kind::Edit { message } => self.enqueue(chat, Some(message), payload),
        };
        async move {
            match ticket {
                Ticket::Free(shared, payload) => match shared.sender.send(payload).await {
                    Sent::Done(value) => Ok(value),
                    Sent::RetryAfter(after) => Err(Error::RetryAfter(after)),
                },
                // A dropped waiter means the scheduler went away unanswered.
                Ticket::Queued(answer) => answer.await.unwrap_or(Err(Error::Closed)),
                Ticket::Refused(error) => Err(error),
            }
        }
    }

    fn enqueue(&self, chat: i64, edit: Option<i64>, payload: P) -> Ticket<P, T> {
        let shared = &self.handle.shared;
        let (waiter, answer) = oneshot::channel();
        let pushed = shared.lock().push(chat, edit, payload, waiter);
        match pushed {
            Ok(()) => {
                shared.wake.notify_one();
                Ticket::Queued(answer)
            }
            Err(error) => {
                tracing::debug!(chat, error = %crds::naming::why(&error), "Telegram call refused");
                Ticket::Refused(error)
            }
        }
    }

    /// Stops the schedule: queued calls resolve with `Error::Closed`, sends
    /// already started finish, later submissions are refused.
    pub fn shutdown(&self) {
        self.handle.shared.close();
    }

    /// The counters as of now.
    pub fn stats(&self) -> Stats {
        self.handle.shared.lock().stats(Instant::now())
    }
}

/// Starts each send when the queue says so, until the schedule closes.
async fn drive<P, T>(shared: Arc<Shared<P, T>>)
where
    P: Clone + Send + 'static,
    T: Clone + Send + 'static,
{
    loop {
        let next = shared.lock().next(Instant::now());
        match next {
            Next::Closed => break,
            Next::Send(item) => {
                let span = tracing::debug_span!("telegram_send", chat = item.chat);
                tokio::spawn(send(Arc::clone(&shared), item).instrument(span));
            }
            Next::Wait(until) => {
                // A wake-up between the unlock above and this point is kept
                // by `Notify` as a permit, so none is lost.
                let woken = shared.wake.notified();
                match until {
                    Some(until) => {
                        tokio::select! {
                            () = woken => {}
                            () = tokio::time::sleep_until(until) => {}
                        }
                    }
                    None => woken.await,
                }
            }
        }
    }
    tracing::debug!("Telegram send schedule stopped");
}

/// Frees an in-flight slot when a send ends, even by a panicking sender.
struct InFlight<P, T>(Arc<Shared<P, T>>);

impl<P, T> Drop for InFlight<P, T> {
    fn drop(&mut self) {
        self.0.lock().finished();
        self.0.wake.notify_one();
    }
}

async fn send<P, T>(shared: Arc<Shared<P, T>>, item: Item<P, T>)
where
    P: Clone + Send + 'static,
    T: Clone + Send + 'static,
{
    let slot = InFlight(Arc::clone(&shared));
    match shared.sender.send(item.payload.clone()).await {
        Sent::Done(value) => {
            shared.lock().sent();
            let mut waiters = item.waiters;
            let last = waiters.pop();
            // A caller that stopped waiting needs no answer.
            for waiter in waiters {
                let _ = waiter.send(Ok(value.clone()));
            }
            if let Some(waiter) = last {
                let _ = waiter.send(Ok(value));
            }
        }
        Sent::RetryAfter(after) => {
            tracing::warn!(
                chat = item.chat,
                ?after,
                "Telegram rate limit hit, pausing all sends"
            );
            shared.lock().retry(item, Instant::now(), after);
        }
    }
    drop(slot);
}

#[cfg(test)]
mod tests;
