//! Clients blocked on keys (BLPOP and friends). A blocked client registers a waker per
//! key; whatever creates a key (a push to a missing list, RENAME, COPY...) wakes the
//! longest-waiting client on it, who then retries its command. When that client leaves the
//! queue (served, timed out or gone) the next one is woken to look again, so clients are
//! served first come, first served, as in Redis. No polling: a blocked client costs nothing
//! until its key appears or its timeout passes.
//!
//! Redis serves the clients a command wakes before that command's reply and before the
//! client's next command (`handleClientsBlockedOnKeys` after each `call`): once RPUSH has
//! replied, a BLMOVE it woke has moved the element, and a BLMOVE that one woke in turn too.
//! Here the woken client runs on its own connection's thread, so the command that woke it
//! collects its wake-ups ([`collecting_wakes`]) and its connection waits until each woken
//! client has run its command again ([`served`]) before going on. A woken client that
//! wakes others waits for them the same way before it counts as served, so a chain of
//! them completes before the first writer's reply.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

type Waiting = HashMap<(usize, Bytes), Vec<Arc<Waker>>, foldhash::fast::RandomState>;

/// How long a writer waits for the clients it woke: a bound against a client that cannot
/// run (its thread busy with a long command), not a time anything is expected to take.
const SERVED_WITHIN: Duration = Duration::from_secs(1);

/// Every client blocked on a key, by (database, key).
#[derive(Default)]
pub struct Waiters {
    /// How many registrations exist: writers skip the lock entirely while it is zero.
    count: AtomicUsize,
    waiting: Mutex<Waiting>,
}

/// One blocked client's wake-up line: woken by writers, and telling them when it has
/// looked again.
#[derive(Default)]
pub struct Waker {
    wake: Notify,
    /// Wake-ups sent, and how many of them the client has run its command again for.
    signaled: AtomicU64,
    handled: AtomicU64,
    /// The client left (served, timed out, gone): nothing more is waited for from it.
    closed: AtomicBool,
    /// Raised when `handled` or `closed` changes.
    progress: Notify,
}

impl Waker {
    fn signal(self: &Arc<Waker>) {
        let generation = self.signaled.fetch_add(1, Ordering::AcqRel) + 1;
        self.wake.notify_one();
        WOKEN.with_borrow_mut(|woken| {
            if let Some(woken) = woken {
                woken.push(Wake { waker: self.clone(), generation });
            }
        });
    }

    /// Completes when a wake-up is pending (one sent before this call is not lost).
    pub async fn notified(&self) {
        self.wake.notified().await;
    }

    /// The wake-ups sent so far: call it before running the command again, and pass the
    /// result to [`Waker::handled`] once that run (and what it woke) is done.
    pub fn seen(&self) -> u64 {
        self.signaled.load(Ordering::Acquire)
    }

    /// The client ran its command again after the wake-ups up to `seen`.
    pub fn handled(&self, seen: u64) {
        self.handled.fetch_max(seen, Ordering::AcqRel);
        self.progress.notify_waiters();
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.progress.notify_waiters();
    }

    fn answered(&self, generation: u64) -> bool {
        self.closed.load(Ordering::Acquire) || self.handled.load(Ordering::Acquire) >= generation
    }
}

/// A wake-up sent to a blocked client, which its sender waits to see handled.
pub struct Wake {
    waker: Arc<Waker>,
    generation: u64,
}

thread_local! {
    /// The wake-ups sent by the command running on this thread, while it collects them.
    static WOKEN: RefCell<Option<Vec<Wake>>> = const { RefCell::new(None) };
}

/// Runs `f` (a command), returning with its result the wake-ups it sent to blocked
/// clients, for [`served`].
pub fn collecting_wakes<T>(f: impl FnOnce() -> T) -> (T, Vec<Wake>) {
    let outer = WOKEN.with_borrow_mut(|woken| woken.replace(Vec::new()));
    let result = f();
    let wakes = WOKEN.with_borrow_mut(|woken| std::mem::replace(woken, outer)).unwrap_or_default();
    (result, wakes)
}

/// Waits until every client in `wakes` has run its command again or left (bounded by
/// [`SERVED_WITHIN`]). `own`: the waiting client's own waker, which a command may wake
/// (BLMOVE from a list to itself) and which it must not wait for.
pub async fn served(wakes: Vec<Wake>, own: Option<&Arc<Waker>>) {
    let deadline = tokio::time::Instant::now() + SERVED_WITHIN;
    for wake in wakes {
        if own.is_some_and(|own| Arc::ptr_eq(own, &wake.waker)) {
            continue;
        }
        loop {
            let progress = wake.waker.progress.notified();
            tokio::pin!(progress);
            progress.as_mut().enable();
            if wake.waker.answered(wake.generation) {
                break;
            }
            if tokio::time::timeout_at(deadline, progress).await.is_err() {
                tracing::debug!("a woken blocked client did not run again within {SERVED_WITHIN:?}");
                return;
            }
        }
    }
}

/// A client's registration on some keys; unregisters when dropped or left.
pub struct WaitGuard<'a> {
    waiters: &'a Waiters,
    db: usize,
    keys: Vec<Bytes>,
    pub waker: Arc<Waker>,
}

impl Waiters {
    /// Registers a waker for `keys` of `db`. Wake-ups that happen after this call are not
    /// lost, even before the caller starts waiting (the waker keeps a permit).
    pub fn register(&self, db: usize, keys: &[Bytes]) -> WaitGuard<'_> {
        let waker = Arc::new(Waker::default());
        let mut waiting = self.waiting.lock();
        for key in keys {
            waiting.entry((db, key.clone())).or_default().push(waker.clone());
        }
        self.count.fetch_add(keys.len(), Ordering::Release);
        WaitGuard { waiters: self, db, keys: keys.to_vec(), waker }
    }

    /// Wakes the client that has waited longest on `key` of `db`.
    pub fn signal(&self, db: usize, key: &[u8]) {
        if self.count.load(Ordering::Acquire) == 0 {
            return;
        }
        let waiting = self.waiting.lock();
        if let Some(first) = waiting.get(&(db, Bytes::copy_from_slice(key))).and_then(|w| w.first()) {
            first.signal();
        }
    }

    /// Wakes every waiting client (FLUSHALL, SWAPDB: any key may now exist or not).
    pub fn signal_all(&self) {
        if self.count.load(Ordering::Acquire) == 0 {
            return;
        }
        for wakers in self.waiting.lock().values() {
            for waker in wakers {
                waker.signal();
            }
        }
    }
}

impl WaitGuard<'_> {
    /// Leaves the queues, waking the next client in each (what this client was woken
    /// for, or what is left after it was served, may be for it), and waits until they
    /// have looked. Only then does this client count as done for whoever woke it.
    pub async fn leave(mut self) {
        let ((), wakes) = collecting_wakes(|| self.unregister());
        served(wakes, None).await;
    }

    fn unregister(&mut self) {
        let keys = std::mem::take(&mut self.keys);
        if keys.is_empty() {
            return;
        }
        let mut waiting = self.waiters.waiting.lock();
        for key in &keys {
            let slot = (self.db, key.clone());
            if let Some(wakers) = waiting.get_mut(&slot) {
                wakers.retain(|w| !Arc::ptr_eq(w, &self.waker));
                if let Some(next) = wakers.first() {
                    next.signal();
                }
                if wakers.is_empty() {
                    waiting.remove(&slot);
                }
            }
        }
        self.waiters.count.fetch_sub(keys.len(), Ordering::Release);
    }
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        self.unregister();
        self.waker.close();
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
        tokio::time::timeout(std::time::Duration::from_secs(5), guard.waker.notified())
            .await
            .expect("woken by the earlier signal");
        drop(guard);
        assert_eq!(waiters.count.load(Ordering::Relaxed), 0);
        assert!(waiters.waiting.lock().is_empty());
    }
}
