//! A wait that a command can call off: a shutdown waiting for replicas (SHUTDOWN ABORT), a
//! failover waiting for its replica (FAILOVER ABORT).

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub struct Abortable {
    token: Mutex<Option<CancellationToken>>,
}

impl Abortable {
    /// Starts a wait: the token its abort cancels, or `None` when one is already under way.
    pub fn begin(&self) -> Option<CancellationToken> {
        let mut token = self.token.lock();
        if token.is_some() {
            return None;
        }
        let started = CancellationToken::new();
        *token = Some(started.clone());
        Some(started)
    }

    /// The wait is over: it can no longer be called off.
    pub fn end(&self) {
        self.token.lock().take();
    }

    /// Calls the wait off; false when none is under way.
    pub fn abort(&self) -> bool {
        match self.token.lock().take() {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }
}
