//! Keyed, time-windowed state with hard memory bounds.
//!
//! Detectors that count ("ten failures for one account in five minutes") keep a
//! [`KeyedWindows`]: per key, the recent items within a time window. Three bounds keep memory
//! flat on any input: items older than the window (relative to the key's newest item) are
//! dropped, each key keeps at most `max_per_key` items, and at most `max_keys` keys are kept
//! (the least recently touched are evicted first).
//!
//! Time comes from the events, not the wall clock, and events may arrive out of order (an
//! offline scan reads one file after another): items are kept sorted by time, and the window is
//! judged from the newest item seen for the key.

use chrono::Duration;
use rampart_core::Timestamp;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

#[derive(Debug)]
pub struct KeyedWindows<K, V> {
    map: HashMap<K, Slot<V>>,
    window: Duration,
    max_keys: usize,
    max_per_key: usize,
    tick: u64,
}

#[derive(Debug)]
struct Slot<V> {
    items: VecDeque<(Timestamp, V)>,
    touched: u64,
}

impl<K: Eq + Hash + Clone, V> KeyedWindows<K, V> {
    pub fn new(window: Duration, max_keys: usize, max_per_key: usize) -> Self {
        KeyedWindows {
            map: HashMap::new(),
            window,
            max_keys: max_keys.max(1),
            max_per_key: max_per_key.max(1),
            tick: 0,
        }
    }

    /// Adds an item and returns the key's items within the window, oldest first; `None` when
    /// the item is itself older than the window (it arrived late and was dropped), so that a
    /// late event never triggers on evidence it is not part of.
    pub fn push(&mut self, key: K, time: Timestamp, value: V) -> Option<&VecDeque<(Timestamp, V)>> {
        self.tick += 1;
        if !self.map.contains_key(&key) && self.map.len() >= self.max_keys {
            self.evict_oldest_keys();
        }
        let window = self.window;
        let max_per_key = self.max_per_key;
        let slot = self.map.entry(key).or_insert_with(|| Slot {
            items: VecDeque::new(),
            touched: 0,
        });
        slot.touched = self.tick;
        // Keep items sorted by time; events mostly arrive in order, so search from the back.
        let pos = slot
            .items
            .iter()
            .rposition(|(t, _)| *t <= time)
            .map_or(0, |p| p + 1);
        slot.items.insert(pos, (time, value));
        if let Some(&(newest, _)) = slot.items.back() {
            let horizon = newest - window;
            while slot.items.front().is_some_and(|(t, _)| *t < horizon) {
                slot.items.pop_front();
            }
        }
        while slot.items.len() > max_per_key {
            slot.items.pop_front();
        }
        let kept = slot.items.front().is_some_and(|(t, _)| *t <= time);
        kept.then_some(&slot.items)
    }

    /// The key's items, if any are held.
    pub fn get<Q>(&self, key: &Q) -> Option<&VecDeque<(Timestamp, V)>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.map.get(key).map(|s| &s.items)
    }

    /// Removes a key and returns its items, oldest first.
    pub fn take(&mut self, key: &K) -> Vec<V> {
        self.map
            .remove(key)
            .map(|s| s.items.into_iter().map(|(_, v)| v).collect())
            .unwrap_or_default()
    }

    /// Forgets a key (after an alert, so that the next alert needs fresh evidence).
    pub fn clear(&mut self, key: &K) {
        self.map.remove(key);
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Evicts the least recently touched tenth of the keys.
    fn evict_oldest_keys(&mut self) {
        let n = (self.max_keys / 10).max(1);
        let mut touched: Vec<u64> = self.map.values().map(|s| s.touched).collect();
        touched.sort_unstable();
        let cutoff = touched.get(n - 1).copied().unwrap_or(0);
        self.map.retain(|_, s| s.touched > cutoff);
    }
}

/// A bounded set of keys remembered for a while (e.g. "accounts that got a TGT recently").
#[derive(Debug)]
pub struct RecentSet<K> {
    map: HashMap<K, Timestamp>,
    max: usize,
    ttl: Duration,
}

impl<K: Eq + Hash + Clone> RecentSet<K> {
    pub fn new(ttl: Duration, max: usize) -> Self {
        RecentSet {
            map: HashMap::new(),
            max: max.max(1),
            ttl,
        }
    }

    pub fn insert(&mut self, key: K, time: Timestamp) {
        if self.map.len() >= self.max && !self.map.contains_key(&key) {
            // Drop everything older than the ttl relative to this event; if that frees
            // nothing, drop the oldest half.
            let horizon = time - self.ttl;
            self.map.retain(|_, t| *t >= horizon);
            if self.map.len() >= self.max {
                let mut times: Vec<Timestamp> = self.map.values().copied().collect();
                times.sort_unstable();
                let cutoff = times[times.len() / 2];
                self.map.retain(|_, t| *t > cutoff);
            }
        }
        let e = self.map.entry(key).or_insert(time);
        if time > *e {
            *e = time;
        }
    }

    /// Whether the key was seen within the ttl of `time` (before or after: order-tolerant).
    pub fn contains(&self, key: &K, time: Timestamp) -> bool {
        self.map
            .get(key)
            .is_some_and(|t| (time - *t).abs() <= self.ttl)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> Timestamp {
        chrono::Utc.timestamp_opt(1_600_000_000 + s, 0).unwrap()
    }

    #[test]
    fn keeps_only_the_window() {
        let mut w = KeyedWindows::new(Duration::seconds(60), 10, 100);
        w.push("a", t(0), 1);
        w.push("a", t(30), 2);
        let items = w.push("a", t(90), 3).unwrap();
        assert_eq!(
            items.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            vec![2, 3]
        );
    }

    #[test]
    fn tolerates_out_of_order_items() {
        let mut w = KeyedWindows::new(Duration::seconds(60), 10, 100);
        w.push("a", t(50), 1);
        let items = w.push("a", t(20), 2).unwrap();
        assert_eq!(
            items.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            vec![2, 1]
        );
        // Older than the window relative to the newest: dropped at once, and said so.
        assert!(w.push("a", t(-100), 3).is_none());
        assert_eq!(w.get(&"a").map(|v| v.len()), Some(2));
    }

    #[test]
    fn bounds_keys_and_items() {
        let mut w = KeyedWindows::new(Duration::hours(1), 100, 5);
        for i in 0..10_000 {
            w.push(i % 1000, t(i), i);
        }
        assert!(w.len() <= 100);
        for i in 0..20 {
            w.push(7, t(20_000 + i), i);
        }
        assert_eq!(w.get(&7).map(|v| v.len()), Some(5));
    }

    #[test]
    fn recent_set_is_bounded_and_order_tolerant() {
        let mut s = RecentSet::new(Duration::minutes(10), 50);
        for i in 0..1000 {
            s.insert(i, t(i));
        }
        assert!(s.len() <= 50);
        s.insert(5000, t(100));
        assert!(s.contains(&5000, t(50)));
        assert!(!s.contains(&5000, t(100 + 3600)));
    }
}
