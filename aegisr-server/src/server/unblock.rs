//! CLIENT UNBLOCK: a client waiting in a blocking command (BLPOP, XREAD BLOCK, WAIT...)
//! can be made to answer at once, as if its timeout had passed or with an error. A client
//! held by CLIENT PAUSE is not blocked in this sense, and is left alone (Redis 7.0.15
//! crashes on it; later versions reply 0).

use std::sync::atomic::{AtomicU8, Ordering};

use tokio::sync::Notify;

const NOT_BLOCKED: u8 = 0;
const BLOCKED: u8 = 1;
const UNBLOCK_TIMEOUT: u8 = 2;
const UNBLOCK_ERROR: u8 = 3;

/// How CLIENT UNBLOCK wants a blocked command to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unblock {
    /// The reply of a timeout.
    Timeout,
    /// `-UNBLOCKED client unblocked via CLIENT UNBLOCK`.
    Error,
}

/// One client's blocked state, shared by its connection and CLIENT UNBLOCK.
#[derive(Default)]
pub struct BlockState {
    state: AtomicU8,
    wake: Notify,
}

impl BlockState {
    /// Marks the client blocked until the guard is dropped.
    pub fn enter(&self) -> BlockedGuard<'_> {
        self.state.store(BLOCKED, Ordering::Release);
        BlockedGuard(self)
    }

    pub fn is_blocked(&self) -> bool {
        self.state.load(Ordering::Acquire) != NOT_BLOCKED
    }

    /// CLIENT UNBLOCK: true if the client was blocked (and will now answer).
    pub fn unblock(&self, how: Unblock) -> bool {
        let to = if how == Unblock::Error { UNBLOCK_ERROR } else { UNBLOCK_TIMEOUT };
        let unblocked = self.state.compare_exchange(BLOCKED, to, Ordering::AcqRel, Ordering::Acquire).is_ok();
        if unblocked {
            self.wake.notify_one();
        }
        unblocked
    }

    /// Completes when CLIENT UNBLOCK asks this client to stop waiting.
    pub async fn requested(&self) -> Unblock {
        loop {
            // A wake-up left over from an earlier block (served before it looked) is
            // ignored: only the state says whether an unblock is pending.
            self.wake.notified().await;
            match self.state.load(Ordering::Acquire) {
                UNBLOCK_TIMEOUT => return Unblock::Timeout,
                UNBLOCK_ERROR => return Unblock::Error,
                _ => {}
            }
        }
    }
}

/// Keeps a client marked blocked; unmarks it when dropped.
pub struct BlockedGuard<'a>(&'a BlockState);

impl Drop for BlockedGuard<'_> {
    fn drop(&mut self) {
        self.0.state.store(NOT_BLOCKED, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_a_blocked_client_is_unblocked() {
        let state = BlockState::default();
        assert!(!state.unblock(Unblock::Timeout));
        let guard = state.enter();
        assert!(state.is_blocked());
        assert!(state.unblock(Unblock::Error));
        assert!(!state.unblock(Unblock::Timeout), "once");
        let how = tokio::time::timeout(std::time::Duration::from_secs(5), state.requested()).await;
        assert_eq!(how.ok(), Some(Unblock::Error));
        drop(guard);
        assert!(!state.is_blocked());
    }
}
