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

    /// Whether CLIENT PAUSE holds the command `args` now (either door), and if so whether
    /// as a write: a write (or PUBLISH) under any pause, anything under a pause of ALL.
    /// CLIENT UNPAUSE is never held, so a pause can always be lifted; nor is a command
    /// that will be refused anyway (unknown, wrong arity). One load when no pause is on.
    pub fn holds(&self, args: &[bytes::Bytes]) -> Option<bool> {
        if !self.active() {
            return None;
        }
        let spec = crate::commands::resolve(args).ok()?;
        if spec.name == "client|unpause" {
            return None;
        }
        let write = spec.flags.contains(crate::commands::table::Flags::WRITE) || spec.name == "publish";
        match *self.state.lock() {
            Some((until, all)) if (all || write) && until > Instant::now() => Some(write),
            _ => None,
        }
    }

    /// Waits while CLIENT PAUSE holds the command `args` ([`Pause::holds`]), until the
    /// deadline or UNPAUSE. Call it holding no lock.
    pub async fn wait_for(&self, args: &[bytes::Bytes]) {
        if let Some(write) = self.holds(args) {
            self.wait(write).await;
        }
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
