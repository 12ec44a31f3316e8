//! Node-wide counters for INFO. Connections add their counts once per batch of commands,
//! so the hot path touches these shared cache lines rarely.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct ServerStats {
    pub total_connections_received: AtomicU64,
    pub total_commands_processed: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub total_net_input_bytes: AtomicU64,
    pub total_net_output_bytes: AtomicU64,
    pub total_error_replies: AtomicU64,
    /// Clients parked by a blocking command right now (a gauge, not reset by RESETSTAT).
    pub blocked_clients: AtomicU64,
}

impl ServerStats {
    pub fn add(counter: &AtomicU64, n: u64) {
        if n > 0 {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        for c in [
            &self.total_connections_received,
            &self.total_commands_processed,
            &self.rejected_connections,
            &self.total_net_input_bytes,
            &self.total_net_output_bytes,
            &self.total_error_replies,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}
