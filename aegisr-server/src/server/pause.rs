//! CLIENT PAUSE: holds clients' commands, all of them or only writes, until a deadline or
//! CLIENT UNPAUSE (a failover or a maintenance window). Held commands wait; they are not
//! refused. A second pause keeps the later deadline and the stricter mode, as in Redis.
//! A cluster primary handing over to a replica (CLUSTER FAILOVER) holds writes the same
//! way, under a pause of its own that CLIENT UNPAUSE leaves alone (as Redis keeps its
//! failover pause apart) and that ends as soon as the node is no longer the primary.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

#[derive(Debug, Default)]
pub struct Pause {
    /// Fast check on every command: false when no pause is in force.
    active: AtomicBool,
    /// The deadline, and whether every command (not only writes) is held.
    state: Mutex<Option<(Instant, bool)>>,
    /// The deadline of a manual failover's hold on writes.
    handoff: Mutex<Option<Instant>>,
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

    /// CLIENT UNPAUSE: ends the clients' pause (not a failover's).
    pub fn unpause(&self) {
        *self.state.lock() = None;
        self.active.store(self.handoff.lock().is_some(), Ordering::Release);
        self.changed.notify_waiters();
    }

    /// A primary handing over to a replica holds writes for `duration` at most.
    pub fn hold_writes_for_handoff(&self, duration: Duration) {
        *self.handoff.lock() = Some(Instant::now() + duration);
        self.active.store(true, Ordering::Release);
        self.changed.notify_waiters();
    }

    /// The node is no longer the primary (the replica took over): the writes held for the
    /// handoff go on, to be redirected. Does nothing when no handoff holds writes.
    pub fn end_handoff(&self) {
        if self.handoff.lock().take().is_none() {
            return;
        }
        self.active.store(self.state.lock().is_some(), Ordering::Release);
        self.changed.notify_waiters();
    }

    /// Until when a command (a write when `write`) is held, if it is now.
    fn held_until(&self, write: bool) -> Option<Instant> {
        let now = Instant::now();
        let client = match *self.state.lock() {
            Some((until, all)) if (all || write) && until > now => Some(until),
            _ => None,
        };
        let handoff = (*self.handoff.lock()).filter(|until| write && *until > now);
        client.max(handoff)
    }

    /// Whether any pause is in force (one load).
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// Whether CLIENT PAUSE holds the command `args` now (either door), and if so whether
    /// as a write: a write (or PUBLISH) under any pause, anything under a pause of ALL.
    /// CLIENT UNPAUSE is never held, so a pause can always be lifted; nor is a command
    /// that will be refused anyway (unknown, wrong arity). One load when no pause is on.
    pub fn holds(
        &self,
        server: &super::Server,
        args: &[&[u8]],
        queued: Option<&crate::commands::transaction::Queued>,
    ) -> Option<bool> {
        if !self.active() {
            return None;
        }
        let spec = crate::commands::resolve(args).ok()?;
        if spec.name == "client|unpause" {
            return None;
        }
        // EXEC is a write when what it runs is.
        let write = held_as_write(server, spec, args)
            || (spec.name == "exec"
                && queued.is_some_and(|q| {
                    q.commands().iter().any(|queued| {
                        let args = crate::commands::views(queued);
                        crate::commands::resolve(&args).is_ok_and(|spec| held_as_write(server, spec, &args))
                    })
                }));
        self.held_until(write).map(|_| write)
    }

    /// Waits while a command (a write when `write`) is held by a pause ([`Pause::holds`]),
    /// until the deadline or UNPAUSE. Call it holding no lock.
    pub async fn wait(&self, write: bool) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let Some(until) = self.held_until(write) else { return };
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep_until(until.into()) => {}
            }
        }
    }
}

/// Whether a write pause holds `args` (Redis's `is_may_replicate_command`): a write, or a
/// command that may add to the replication stream, unless it runs a script that declares
/// `no-writes`.
fn held_as_write(server: &super::Server, spec: &crate::commands::table::CommandSpec, args: &[&[u8]]) -> bool {
    use crate::commands::table::Flags;
    spec.flags.contains(Flags::WRITE)
        || (spec.flags.contains(Flags::MAY_REPLICATE) && !server.scripting.declares_no_writes(spec.name, args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handoff_holds_writes_apart_from_client_pause() {
        let pause = Pause::default();
        pause.hold_writes_for_handoff(Duration::from_secs(5));
        assert!(pause.active());
        assert!(pause.held_until(true).is_some(), "writes are held");
        assert!(pause.held_until(false).is_none(), "reads are not");
        pause.unpause();
        assert!(pause.held_until(true).is_some(), "CLIENT UNPAUSE leaves the handoff alone");
        pause.pause(Duration::from_secs(60), true);
        pause.end_handoff();
        assert!(pause.held_until(false).is_some(), "the client pause stays");
        pause.unpause();
        assert!(!pause.active());
        assert!(pause.held_until(true).is_none());
        pause.hold_writes_for_handoff(Duration::from_secs(5));
        pause.end_handoff();
        assert!(!pause.active(), "the replica took over: nothing held");
    }
}
