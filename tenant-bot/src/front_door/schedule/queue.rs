//! What waits to be sent and the choice of what goes next: no tasks, no
//! clock of its own, so every decision is a plain function of `now`.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::limiter::{Bucket, WindowLog};
use super::{Error, Limits, Result, Stats};

/// How often chats with nothing queued and fully recovered limits are
/// forgotten, so the map follows recent chats rather than every chat ever.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// One caller waiting for the outcome of a send.
pub(super) type Waiter<T> = oneshot::Sender<Result<T>>;

/// One send to make, with everyone who waits for it.
#[derive(Debug)]
pub(super) struct Item<P, T> {
    pub(super) chat: i64,
    /// The message an edit replaces; `None` for a reply.
    pub(super) edit: Option<i64>,
    pub(super) payload: P,
    /// More than one when later edits were folded into this one.
    pub(super) waiters: Vec<Waiter<T>>,
}

impl<P, T> Item<P, T> {
    fn fail(self, error: &Error) {
        for waiter in self.waiters {
            // A caller that stopped waiting needs no answer.
            let _ = waiter.send(Err(error.clone()));
        }
    }
}

/// What the driver should do now.
#[derive(Debug)]
pub(super) enum Next<P, T> {
    /// Start this send; its tokens are spent.
    Send(Item<P, T>),
    /// Nothing may start before this instant, or before a submit or a
    /// finished send when `None`.
    Wait(Option<Instant>),
    /// Shut down: stop driving.
    Closed,
}

/// One chat's limits and queues.
#[derive(Debug)]
struct Chat<P, T> {
    bucket: Bucket,
    /// Groups (negative ids) have a per-minute cap on top of the pace.
    group: Option<WindowLog>,
    replies: VecDeque<Item<P, T>>,
    edits: VecDeque<Item<P, T>>,
}

impl<P, T> Chat<P, T> {
    fn new(id: i64, limits: &Limits) -> Self {
        Self {
            bucket: Bucket::new(limits.chat),
            group: (id < 0).then(|| WindowLog::new(limits.group)),
            replies: VecDeque::new(),
            edits: VecDeque::new(),
        }
    }

    fn ready_at(&self, now: Instant) -> Instant {
        let paced = self.bucket.ready_at(now);
        self.group
            .as_ref()
            .map_or(paced, |group| group.ready_at(now).max(paced))
    }

    fn take(&mut self, now: Instant) {
        self.bucket.take(now);
        if let Some(group) = &mut self.group {
            group.take(now);
        }
    }

    fn has_work(&self) -> bool {
        !self.replies.is_empty() || !self.edits.is_empty()
    }

    fn forgettable(&self, now: Instant) -> bool {
        !self.has_work()
            && self.bucket.idle(now)
            && self.group.as_ref().is_none_or(|group| group.idle(now))
    }
}

/// Everything queued, the limits' state and the counters.
#[derive(Debug)]
pub(super) struct Queue<P, T> {
    limits: Limits,
    global: WindowLog,
    chats: HashMap<i64, Chat<P, T>>,
    /// Chats with queued replies or edits, in turn order: a chat that
    /// sends goes to the back, so a busy chat cannot starve the others.
    turns: VecDeque<i64>,
    /// Items Telegram refused with a 429, retried before anything else.
    retries: VecDeque<Item<P, T>>,
    paused_until: Option<Instant>,
    next_prune: Instant,
    closed: bool,
    stats: Stats,
}

impl<P, T> Queue<P, T> {
    pub(super) fn new(limits: Limits, now: Instant) -> Self {
        Self {
            global: WindowLog::new(limits.global),
            limits,
            chats: HashMap::new(),
            turns: VecDeque::new(),
            retries: VecDeque::new(),
            paused_until: None,
            next_prune: now + PRUNE_EVERY,
            closed: false,
            stats: Stats::default(),
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Queues a reply (`edit` is `None`) or an edit, or folds an edit into
    /// a queued edit of the same message, which then carries the newer
    /// payload to both waiters.
    pub(super) fn push(
        &mut self,
        chat: i64,
        edit: Option<i64>,
        payload: P,
        waiter: Waiter<T>,
    ) -> Result<()> {
        if self.closed {
            return Err(Error::Closed);
        }
        if let Some(message) = edit
            && let Some(queued) = self.queued_edit(chat, message)
        {
            queued.payload = payload;
            queued.waiters.push(waiter);
            self.stats.coalesced += 1;
            return Ok(());
        }
        // Folding above adds no send, so only new items count toward the cap.
        if self.stats.queued >= self.limits.max_queued {
            self.stats.rejected += 1;
            return Err(Error::Full);
        }
        let item = Item {
            chat,
            edit,
            payload,
            waiters: vec![waiter],
        };
        let entry = self
            .chats
            .entry(chat)
            .or_insert_with(|| Chat::new(chat, &self.limits));
        if !entry.has_work() {
            self.turns.push_back(chat);
        }
        match edit {
            None => entry.replies.push_back(item),
            Some(_) => entry.edits.push_back(item),
        }
        self.stats.queued += 1;
        Ok(())
    }

    fn queued_edit(&mut self, chat: i64, message: i64) -> Option<&mut Item<P, T>> {
        let same = |item: &&mut Item<P, T>| item.chat == chat && item.edit == Some(message);
        // A refused edit waiting for its retry has not reached the chat
        // either, so it takes the newer text too.
        if let Some(item) = self.retries.iter_mut().find(same) {
            return Some(item);
        }
        self.chats.get_mut(&chat)?.edits.iter_mut().find(same)
    }

    /// The next thing to do at `now`.
    pub(super) fn next(&mut self, now: Instant) -> Next<P, T> {
        if self.closed {
            return Next::Closed;
        }
        if now >= self.next_prune {
            self.chats.retain(|_, chat| !chat.forgettable(now));
            self.next_prune = now + PRUNE_EVERY;
        }
        if self.stats.queued == 0 || self.stats.in_flight >= self.limits.max_in_flight {
            return Next::Wait(None);
        }
        match self.paused_until {
            Some(until) if until > now => return Next::Wait(Some(until)),
            Some(_) => self.paused_until = None,
            None => {}
        }
        let global = self.global.ready_at(now);
        if global > now {
            return Next::Wait(Some(global));
        }
        match self.pick(now) {
            Some(item) => {
                self.global.take(now);
                self.chats
                    .entry(item.chat)
                    .or_insert_with(|| Chat::new(item.chat, &self.limits))
                    .take(now);
                self.stats.queued -= 1;
                self.stats.in_flight += 1;
                Next::Send(item)
            }
            None => Next::Wait(self.earliest(now).map(|at| at.max(global))),
        }
    }

    /// The first item allowed now: a refused item's retry, then a reply,
    /// then an edit, taking chats in turn.
    fn pick(&mut self, now: Instant) -> Option<Item<P, T>> {
        // A chat missing from the map has been forgotten as idle: ready.
        let ready = |chats: &HashMap<i64, Chat<P, T>>, id: i64| {
            chats.get(&id).is_none_or(|chat| chat.ready_at(now) <= now)
        };
        if let Some(at) = self.retries.iter().position(|i| ready(&self.chats, i.chat)) {
            return self.retries.remove(at);
        }
        for edits in [false, true] {
            let found = self.turns.iter().position(|&id| {
                self.chats.get(&id).is_some_and(|chat| {
                    let queue = if edits { &chat.edits } else { &chat.replies };
                    !queue.is_empty() && chat.ready_at(now) <= now
                })
            });
            let Some(at) = found else { continue };
            let id = self.turns.remove(at)?;
            let chat = self.chats.get_mut(&id)?;
            let item = if edits {
                chat.edits.pop_front()
            } else {
                chat.replies.pop_front()
            };
            if chat.has_work() {
                self.turns.push_back(id);
            }
            return item;
        }
        None
    }

    /// When the first waiting chat's limits allow a send again.
    fn earliest(&self, now: Instant) -> Option<Instant> {
        let chat_ready = |id: i64| self.chats.get(&id).map_or(now, |c| c.ready_at(now));
        let queued = self.turns.iter().copied();
        let retried = self.retries.iter().map(|item| item.chat);
        queued.chain(retried).map(chat_ready).min()
    }

    /// A send finished, whatever its outcome.
    pub(super) fn finished(&mut self) {
        self.stats.in_flight = self.stats.in_flight.saturating_sub(1);
    }

    /// A send went through.
    pub(super) fn sent(&mut self) {
        self.stats.sent += 1;
    }

    /// Telegram refused `item` with a 429: nothing at all is sent until
    /// `now + after`, and then `item` goes first.
    pub(super) fn retry(&mut self, item: Item<P, T>, now: Instant, after: Duration) {
        self.stats.rate_limited += 1;
        let until = now + after;
        self.paused_until = Some(self.paused_until.map_or(until, |at| at.max(until)));
        if self.closed {
            item.fail(&Error::Closed);
            return;
        }
        // Counted although it may pass the cap: it was admitted already.
        self.stats.queued += 1;
        self.retries.push_back(item);
    }

    /// A free call went straight to the sender.
    pub(super) fn free(&mut self) {
        self.stats.free += 1;
    }

    /// Refuses everything queued and everything submitted from now on.
    pub(super) fn close(&mut self) {
        self.closed = true;
        self.turns.clear();
        let queued = self.chats.drain().flat_map(|(_, chat)| {
            let Chat { replies, edits, .. } = chat;
            replies.into_iter().chain(edits)
        });
        for item in queued.chain(self.retries.drain(..)) {
            item.fail(&Error::Closed);
        }
        self.stats.queued = 0;
    }

    pub(super) fn stats(&self, now: Instant) -> Stats {
        Stats {
            paused: self.paused_until.is_some_and(|until| until > now),
            ..self.stats
        }
    }
}
