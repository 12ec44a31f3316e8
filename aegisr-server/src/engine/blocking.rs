//! Clients blocked on keys (BLPOP and friends). A blocked client registers a waker per
//! key; whatever creates a key (a push to a missing list, RENAME, COPY...) wakes the
//! longest-waiting client on it, who then retries its command. When that client leaves the
//! queue (served, timed out or gone) the next one is woken to look again, so clients are
//! served first come, first served, as in Redis. No polling: a blocked client costs nothing
//! until its key appears or its timeout passes.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

type Waiting = HashMap<(usize, Bytes), Vec<Arc<Notify>>, foldhash::fast::RandomState>;

/// Every client blocked on a key, by (database, key).
#[derive(Default)]
pub struct Waiters {
    /// How many registrations exist: writers skip the lock entirely while it is zero.
    count: AtomicUsize,
    waiting: Mutex<Waiting>,
}

/// A client's registration on some keys; unregisters when dropped.
pub struct WaitGuard<'a> {
    waiters: &'a Waiters,
    db: usize,
    keys: Vec<Bytes>,
    pub notify: Arc<Notify>,
}

impl Waiters {
    /// Registers a waker for `keys` of `db`. Wake-ups that happen after this call are not
    /// lost, even before the caller starts waiting (the waker keeps a permit).
    pub fn register(&self, db: usize, keys: &[Bytes]) -> WaitGuard<'_> {
        let notify = Arc::new(Notify::new());
        let mut waiting = self.waiting.lock();
        for key in keys {
            waiting.entry((db, key.clone())).or_default().push(notify.clone());
        }
        self.count.fetch_add(keys.len(), Ordering::Release);
        WaitGuard { waiters: self, db, keys: keys.to_vec(), notify }
    }

    /// Wakes the client that has waited longest on `key` of `db`.
    pub fn signal(&self, db: usize, key: &[u8]) {
        if self.count.load(Ordering::Acquire) == 0 {
            return;
        }
        let waiting = self.waiting.lock();
        if let Some(first) = waiting.get(&(db, Bytes::copy_from_slice(key))).and_then(|w| w.first()) {
            first.notify_one();
        }
    }

    /// Wakes every waiting client (FLUSHALL, SWAPDB: any key may now exist or not).
    pub fn signal_all(&self) {
        if self.count.load(Ordering::Acquire) == 0 {
            return;
        }
        for wakers in self.waiting.lock().values() {
            for waker in wakers {
                waker.notify_one();
            }
        }
    }
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        let mut waiting = self.waiters.waiting.lock();
        for key in &self.keys {
            let slot = (self.db, key.clone());
            if let Some(wakers) = waiting.get_mut(&slot) {
                wakers.retain(|w| !Arc::ptr_eq(w, &self.notify));
                // The next in line looks again: what this client was woken for, or what
                // is left after it was served, may be for it.
                if let Some(next) = wakers.first() {
                    next.notify_one();
                }
                if wakers.is_empty() {
                    waiting.remove(&slot);
                }
            }
        }
        self.waiters.count.fetch_sub(self.keys.len(), Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_signal_before_waiting_is_not_lost_and_guards_clean_up() {
        let waiters = Waiters::default();
        let keys = [Bytes::from("a"), Bytes::from("b")];
        let guard = waiters.register(0, &keys);
        waiters.signal(1, b"a"); // another database: no wake-up
        waiters.signal(0, b"b");
        tokio::time::timeout(std::time::Duration::from_secs(5), guard.notify.notified())
            .await
            .expect("woken by the earlier signal");
        drop(guard);
        assert_eq!(waiters.count.load(Ordering::Relaxed), 0);
        assert!(waiters.waiting.lock().is_empty());
    }
}
