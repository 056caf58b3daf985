//! Update ids seen lately, so an update Telegram or the front door gives
//! again is recognised and not handled twice.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

/// The last `capacity` update ids seen, oldest forgotten first; shared
/// between request handlers.
#[derive(Debug)]
pub struct RecentUpdates {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    ids: HashSet<i64>,
    order: VecDeque<i64>,
}

impl RecentUpdates {
    /// Remembers the last `capacity` ids (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Records `id`; false when it is among the ids seen lately.
    pub fn first_time(&self, id: i64) -> bool {
        // Every call leaves the set whole, so a poisoned lock is still
        // good.
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if !inner.ids.insert(id) {
            return false;
        }
        inner.order.push_back(id);
        if inner.order.len() > self.capacity
            && let Some(oldest) = inner.order.pop_front()
        {
            inner.ids.remove(&oldest);
        }
        true
    }

    /// Forgets `id`, for an update that was recorded but then not taken.
    pub fn forget(&self, id: i64) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.ids.remove(&id) {
            inner.order.retain(|&kept| kept != id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_ids_are_forgotten_first() {
        let recent = RecentUpdates::new(3);
        for id in 1..=3 {
            assert!(recent.first_time(id));
        }
        assert!(!recent.first_time(2));
        assert!(recent.first_time(4));
        assert!(recent.first_time(1), "1 was the oldest and is forgotten");
        assert!(!recent.first_time(4));
    }

    #[test]
    fn a_forgotten_id_is_new_again() {
        let recent = RecentUpdates::new(3);
        assert!(recent.first_time(9));
        recent.forget(9);
        assert!(recent.first_time(9));
        assert!(!recent.first_time(9));
    }
}
