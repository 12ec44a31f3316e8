//! CLIENT PAUSE: holds clients' commands, all of them or only writes, until a deadline or
//! CLIENT UNPAUSE (a failover or a maintenance window). Held commands wait; they are not
//! refused. A second pause keeps the later deadline and the stricter mode, as in Redis.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

#[derive(Debug, Default)]
pub struct Pause {
    /// Fast check on every command: false when no pause is in force.
    active: AtomicBool,
    /// The deadline, and whether every command (not only writes) is held.
    state: Mutex<Option<(Instant, bool)>>,
    changed: tokio::sync::Notify,
}

impl Pause {
    /// Holds commands (`all`, or writes only) for `duration`.
    pub fn pause(&self, duration: Duration, all: bool) {
        let until = Instant::now() + duration;
        let mut state = self.state.lock();
        *state = Some(match *state {
            Some((was, was_all)) => (was.max(until), was_all || all),
            None => (until, all),
        });
        self.active.store(true, Ordering::Release);
        drop(state);
        self.changed.notify_waiters();
    }

    pub fn unpause(&self) {
        *self.state.lock() = None;
        self.active.store(false, Ordering::Release);
        self.changed.notify_waiters();
    }

    /// Whether any pause is in force (one load).
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// Waits while a command (a write when `write`) is held by a pause.
    pub async fn wait(&self, write: bool) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let until = match *self.state.lock() {
                Some((until, all)) if (all || write) && until > Instant::now() => until,
                _ => return,
            };
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep_until(until.into()) => {}
            }
        }
    }
}
