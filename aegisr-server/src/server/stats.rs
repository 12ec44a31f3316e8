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
    /// Replication traffic, kept apart from the clients' as Redis 7 does: what a replica
    /// reads from its master, what a primary sends its replicas (files and stream).
    pub total_net_repl_input_bytes: AtomicU64,
    pub total_net_repl_output_bytes: AtomicU64,
    /// Reads from and writes to RESP clients (Redis's read and write events).
    pub total_reads_processed: AtomicU64,
    pub total_writes_processed: AtomicU64,
    pub total_error_replies: AtomicU64,
    /// Replicas served a full sync, and resumes accepted and refused.
    pub sync_full: AtomicU64,
    pub sync_partial_ok: AtomicU64,
    pub sync_partial_err: AtomicU64,
    /// Clients parked by a blocking command right now (a gauge, not reset by RESETSTAT).
    pub blocked_clients: AtomicU64,
    /// Of those, the ones waiting with a timeout (a gauge).
    pub clients_in_timeout_table: AtomicU64,
    /// Active expiry: the time its cycles took (µs), how many stopped at their time budget,
    /// and the share of the keys it looks at that had expired (an f64's bits, a moving
    /// average as Redis's `expired_stale_perc`).
    pub expire_cycle_micros: AtomicU64,
    pub expire_time_cap_reached: AtomicU64,
    pub expire_stale_share: AtomicU64,
    /// INFO's instantaneous rates.
    pub rates: super::rates::Rates,
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
            &self.total_net_repl_input_bytes,
            &self.total_net_repl_output_bytes,
            &self.total_reads_processed,
            &self.total_writes_processed,
            &self.total_error_replies,
            &self.sync_full,
            &self.sync_partial_ok,
            &self.sync_partial_err,
            &self.expire_cycle_micros,
            &self.expire_time_cap_reached,
            &self.expire_stale_share,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

impl ServerStats {
    /// One active expiry cycle: `examined` keys looked at, `expired` of them gone, `took`
    /// long, stopped by its time budget or not.
    pub fn expire_cycle(&self, examined: usize, expired: usize, took: std::time::Duration, capped: bool) {
        Self::add(&self.expire_cycle_micros, u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
        if capped {
            Self::add(&self.expire_time_cap_reached, 1);
        }
        if examined > 0 {
            // Redis's moving average: 5% of this cycle's share, 95% of the past.
            let share = expired as f64 / examined as f64;
            let past = f64::from_bits(self.expire_stale_share.load(Ordering::Relaxed));
            self.expire_stale_share.store((share * 0.05 + past * 0.95).to_bits(), Ordering::Relaxed);
        }
    }

    /// The moving average of the share of expired keys active expiry finds.
    pub fn expire_stale_share(&self) -> f64 {
        f64::from_bits(self.expire_stale_share.load(Ordering::Relaxed))
    }
}
