//! The two shapes of Telegram's limits. Each can say when its next send
//! would be allowed without spending it, because a send must pass the
//! bot's limit and its chat's before either is spent.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::{Rate, Window};

/// A token bucket: `burst` sends at once, then one per `interval`.
///
/// Held as the instant the bucket is full again (GCRA's "theoretical
/// arrival time") instead of a token count: no fractional tokens, no
/// refill ticks, exact with the virtual clock in tests.
#[derive(Debug, Clone)]
pub(super) struct Bucket {
    interval: Duration,
    /// How far the bucket may run ahead of now: `burst - 1` intervals.
    tolerance: Duration,
    /// When the bucket is full again; `None` until the first send.
    full_at: Option<Instant>,
}

impl Bucket {
    pub(super) fn new(rate: Rate) -> Self {
        // A burst of zero would never allow a send and stall the chat.
        let burst = rate.burst.max(1);
        Self {
            interval: rate.interval,
            tolerance: rate.interval.saturating_mul(burst - 1),
            full_at: None,
        }
    }

    /// The first instant, not before `now`, at which a send is allowed.
    pub(super) fn ready_at(&self, now: Instant) -> Instant {
        self.full_at
            // Underflow means "long ago": the bucket has room now.
            .and_then(|full| full.checked_sub(self.tolerance))
            .map_or(now, |at| at.max(now))
    }

    /// Spends one send at `now`. Callers check `ready_at` first; spending
    /// early only pushes the next send further out.
    pub(super) fn take(&mut self, now: Instant) {
        let base = self.full_at.map_or(now, |full| full.max(now));
        self.full_at = Some(base + self.interval);
    }

    /// Whether the bucket is as good as new, so forgetting it changes
    /// nothing.
    pub(super) fn idle(&self, now: Instant) -> bool {
        self.full_at.is_none_or(|full| full <= now)
    }
}

/// A sliding window: at most `count` sends in any `span`.
///
/// Used where Telegram states a count per period (30 a second for the
/// bot, 20 a minute for a group): a token bucket refilled at that rate
/// admits its capacity on top of the rate within one period, which would
/// break the stated figure.
#[derive(Debug, Clone)]
pub(super) struct WindowLog {
    count: usize,
    span: Duration,
    /// The last `count` sends, oldest first.
    sent: VecDeque<Instant>,
}

impl WindowLog {
    pub(super) fn new(window: Window) -> Self {
        // A count of zero would never allow a send and stall everything.
        let count = usize::try_from(window.count.max(1)).unwrap_or(usize::MAX);
        Self {
            count,
            span: window.span,
            sent: VecDeque::with_capacity(count.min(64)),
        }
    }

    /// The first instant, not before `now`, at which a send is allowed.
    pub(super) fn ready_at(&self, now: Instant) -> Instant {
        match self.sent.front() {
            Some(&oldest) if self.sent.len() >= self.count => (oldest + self.span).max(now),
            _ => now,
        }
    }

    /// Records a send at `now`.
    pub(super) fn take(&mut self, now: Instant) {
        if self.sent.len() >= self.count {
            self.sent.pop_front();
        }
        self.sent.push_back(now);
    }

    /// Whether no recorded send still counts, so forgetting the log changes
    /// nothing.
    pub(super) fn idle(&self, now: Instant) -> bool {
        self.sent.back().is_none_or(|&last| last + self.span <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn bucket_allows_the_burst_then_one_per_interval() {
        let start = Instant::now();
        let mut bucket = Bucket::new(Rate {
            interval: SECOND,
            burst: 3,
        });
        for _ in 0..3 {
            assert_eq!(bucket.ready_at(start), start);
            bucket.take(start);
        }
        assert_eq!(bucket.ready_at(start), start + SECOND);
        bucket.take(start + SECOND);
        assert_eq!(bucket.ready_at(start + SECOND), start + 2 * SECOND);
        assert!(!bucket.idle(start + 3 * SECOND));
        assert!(bucket.idle(start + 4 * SECOND));
    }

    #[test]
    fn bucket_refills_while_unused() {
        let start = Instant::now();
        let mut bucket = Bucket::new(Rate {
            interval: SECOND,
            burst: 3,
        });
        for _ in 0..3 {
            bucket.take(start);
        }
        let later = start + 10 * SECOND;
        for _ in 0..3 {
            assert_eq!(bucket.ready_at(later), later);
            bucket.take(later);
        }
        assert_eq!(bucket.ready_at(later), later + SECOND);
    }

    #[test]
    fn window_allows_count_per_span() {
        let start = Instant::now();
        let mut log = WindowLog::new(Window {
            count: 2,
            span: 10 * SECOND,
        });
        log.take(start);
        assert_eq!(log.ready_at(start), start);
        log.take(start + SECOND);
        assert_eq!(log.ready_at(start + SECOND), start + 10 * SECOND);
        log.take(start + 10 * SECOND);
        assert_eq!(log.ready_at(start + 10 * SECOND), start + 11 * SECOND);
        assert!(!log.idle(start + 19 * SECOND));
        assert!(log.idle(start + 20 * SECOND));
    }

    #[test]
    fn zero_limits_still_let_sends_through() {
        let start = Instant::now();
        let bucket = Bucket::new(Rate {
            interval: SECOND,
            burst: 0,
        });
        assert_eq!(bucket.ready_at(start), start);
        let log = WindowLog::new(Window {
            count: 0,
            span: SECOND,
        });
        assert_eq!(log.ready_at(start), start);
    }
}
