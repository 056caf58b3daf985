//! What a tenant may touch beyond its owner's chat: the callback queries
//! and files that reached it in its routed updates, and the file paths
//! Telegram then gave it. Entries expire, and the table is bounded so a
//! flood of updates cannot grow it without limit.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A kind of grant; keys of different kinds never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A callback query id the tenant may answer.
    Callback,
    /// A file id the tenant may ask `getFile` about.
    File,
    /// A file path the tenant may download.
    Path,
}

/// Grants of every tenant.
#[derive(Debug)]
pub struct Grants {
    ttl: Duration,
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_key: HashMap<(Kind, String), (String, Instant)>,
    /// Insertion order, for expiry and eviction.
    order: VecDeque<(Kind, String)>,
}

impl Grants {
    /// Grants that live `ttl`, at most `capacity` at once.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves a consistent map behind.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lets `account` use `key` of `kind` from now on.
    pub fn grant(&self, kind: Kind, key: &str, account: &str) {
        let now = Instant::now();
        let mut inner = self.lock();
        let entry = (kind, key.to_owned());
        if inner
            .by_key
            .insert(entry.clone(), (account.to_owned(), now))
            .is_none()
        {
            inner.order.push_back(entry);
        }
        while inner.order.len() > self.capacity || inner.front_expired(now, self.ttl) {
            if let Some(oldest) = inner.order.pop_front() {
                inner.by_key.remove(&oldest);
            }
        }
    }

    /// Whether `account` holds a live grant of `key`.
    pub fn holds(&self, kind: Kind, key: &str, account: &str) -> bool {
        let inner = self.lock();
        inner
            .by_key
            .get(&(kind, key.to_owned()))
            .is_some_and(|(holder, at)| holder == account && at.elapsed() < self.ttl)
    }
}

impl Inner {
    fn front_expired(&self, now: Instant, ttl: Duration) -> bool {
        self.order
            .front()
            .and_then(|key| self.by_key.get(key))
            .is_some_and(|(_, at)| now.duration_since(*at) >= ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_belongs_to_one_account_and_kind() {
        let grants = Grants::new(Duration::from_secs(60), 10);
        grants.grant(Kind::Callback, "q1", "wa-1");
        assert!(grants.holds(Kind::Callback, "q1", "wa-1"));
        assert!(!grants.holds(Kind::Callback, "q1", "wa-2"));
        assert!(!grants.holds(Kind::File, "q1", "wa-1"));
        assert!(!grants.holds(Kind::Callback, "q2", "wa-1"));
    }

    #[test]
    fn the_oldest_grants_go_first_when_full() {
        let grants = Grants::new(Duration::from_secs(60), 3);
        for key in ["a", "b", "c", "d"] {
            grants.grant(Kind::File, key, "wa-1");
        }
        assert!(!grants.holds(Kind::File, "a", "wa-1"));
        for key in ["b", "c", "d"] {
            assert!(grants.holds(Kind::File, key, "wa-1"), "{key}");
        }
    }

    #[test]
    fn grants_expire() {
        let grants = Grants::new(Duration::ZERO, 10);
        grants.grant(Kind::Path, "documents/x", "wa-1");
        assert!(!grants.holds(Kind::Path, "documents/x", "wa-1"));
    }
}
