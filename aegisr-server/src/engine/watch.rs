//! WATCH: which clients watch which keys. Each shard keeps the watchers of its own keys, so
//! a write finds them under the lock it already holds, and a shard nobody watches pays one
//! emptiness check per write. A watcher is a flag its client checks at EXEC: any write to a
//! watched key raises it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use hashbrown::HashMap;
use smallvec::SmallVec;

/// Raised when a key its client watches is modified; one per client.
pub type WatchFlag = Arc<AtomicBool>;

/// The watchers of one shard's keys: key -> (database, flag) for each watching client.
#[derive(Default)]
pub(crate) struct Watches {
    by_key: HashMap<Bytes, SmallVec<[(usize, WatchFlag); 1]>, foldhash::fast::RandomState>,
}

impl Watches {
    pub(crate) fn add(&mut self, db: usize, key: &[u8], flag: &WatchFlag) {
        match self.by_key.get_mut(key) {
            Some(watchers) if watchers.iter().any(|(d, f)| *d == db && Arc::ptr_eq(f, flag)) => {}
            Some(watchers) => watchers.push((db, flag.clone())),
            None => {
                self.by_key.insert(Bytes::copy_from_slice(key), SmallVec::from_elem((db, flag.clone()), 1));
            }
        }
    }

    pub(crate) fn remove(&mut self, db: usize, key: &[u8], flag: &WatchFlag) {
        if let Some(watchers) = self.by_key.get_mut(key) {
            watchers.retain(|(d, f)| !(*d == db && Arc::ptr_eq(f, flag)));
            if watchers.is_empty() {
                self.by_key.remove(key);
            }
        }
    }

    /// Whether a client watches `key` in `db`.
    #[inline]
    pub(crate) fn watched(&self, db: usize, key: &[u8]) -> bool {
        !self.by_key.is_empty() && self.by_key.get(key).is_some_and(|w| w.iter().any(|(d, _)| *d == db))
    }

    /// Raises the flags of the clients watching `key` in `db`.
    #[inline]
    pub(crate) fn touch(&self, db: usize, key: &[u8]) {
        if self.by_key.is_empty() {
            return;
        }
        if let Some(watchers) = self.by_key.get(key) {
            for (_, flag) in watchers.iter().filter(|(d, _)| *d == db) {
                flag.store(true, Ordering::Release);
            }
        }
    }

    /// Raises the flags of the watchers of every key of `db` for which `changed` holds
    /// (FLUSHDB, SWAPDB: only keys that logically change count).
    pub(crate) fn touch_where(&self, db: usize, mut changed: impl FnMut(&[u8]) -> bool) {
        for (key, watchers) in &self.by_key {
            if watchers.iter().any(|(d, _)| *d == db) && changed(key) {
                self.touch(db, key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_raises_only_the_watchers_of_that_key_and_database() {
        let (a, b) = (WatchFlag::default(), WatchFlag::default());
        let mut watches = Watches::default();
        watches.add(0, b"k", &a);
        watches.add(0, b"k", &a);
        watches.add(1, b"k", &b);
        watches.touch(0, b"other");
        watches.touch(0, b"k");
        assert!(a.load(Ordering::Acquire));
        assert!(!b.load(Ordering::Acquire));
        watches.remove(1, b"k", &b);
        watches.touch(1, b"k");
        assert!(!b.load(Ordering::Acquire));
        watches.remove(0, b"k", &a);
        assert!(watches.by_key.is_empty());
    }
}
