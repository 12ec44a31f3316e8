//! Latency and count statistics: one HDR histogram per command, recorded in microseconds,
//! merged across threads and intervals; plus the summary figures reports print.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Largest latency tracked exactly (one hour, in microseconds); larger ones are clamped.
pub const MAX_LATENCY_US: u64 = 3_600_000_000;
/// Significant decimal digits kept by the histograms (0.1% relative error).
const SIGNIFICANT_DIGITS: u8 = 3;

/// An empty latency histogram with the bounds every histogram in this crate shares (so merging
/// never fails).
pub fn new_histogram() -> Histogram<u64> {
    #[allow(clippy::expect_used)]
    // The bounds are constants that hdrhistogram accepts; this cannot fail at run time.
    Histogram::new_with_bounds(1, MAX_LATENCY_US, SIGNIFICANT_DIGITS).expect("valid histogram bounds")
}

/// Microseconds in `d`, rounded to nearest, at least 1 (a reply cannot take no time; 0 would
/// fall below the histogram's lowest bucket anyway).
#[inline]
pub fn micros(d: Duration) -> u64 {
    let us = (d.as_nanos() + 500) / 1000;
    (us as u64).max(1)
}

/// Latency of a request as an open-loop (rate-limited) benchmark must count it: from the time
/// it was *meant* to be sent, not from when a backed-up client actually sent it. Measuring from
/// the actual send time hides the queueing a stall causes ("coordinated omission").
#[inline]
pub fn latency_since(intended: Instant, received: Instant) -> Duration {
    received.saturating_duration_since(intended)
}

/// Counts and latencies of one command.
#[derive(Debug, Clone)]
pub struct CommandStats {
    /// Latencies in microseconds, of every reply (errors included).
    pub latency: Histogram<u64>,
    /// Replies that were errors.
    pub errors: u64,
    /// The first error reply seen, to show the user what went wrong.
    pub first_error: Option<String>,
}

impl Default for CommandStats {
    fn default() -> Self {
        CommandStats { latency: new_histogram(), errors: 0, first_error: None }
    }
}

impl CommandStats {
    /// Records one reply.
    #[inline]
    pub fn record(&mut self, latency_us: u64, error: Option<&[u8]>) {
        self.latency.saturating_record(latency_us);
        if let Some(e) = error {
            self.errors += 1;
            if self.first_error.is_none() {
                self.first_error = Some(String::from_utf8_lossy(e).into_owned());
            }
        }
    }

    /// Replies recorded.
    pub fn ops(&self) -> u64 {
        self.latency.len()
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &CommandStats) {
        // Same bounds on both sides, so adding cannot overflow the range.
        let _ = self.latency.add(&other.latency);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error.clone_from(&other.first_error);
        }
    }
}

/// Stats of every command of a workload, indexed like the workload's commands.
#[derive(Debug, Clone)]
pub struct Stats {
    /// One entry per command.
    pub commands: Vec<CommandStats>,
    /// Requests answered by each node (`--cluster` runs only), by address.
    pub nodes: std::collections::BTreeMap<String, u64>,
}

impl Stats {
    /// Empty stats for `commands` commands.
    pub fn new(commands: usize) -> Stats {
        Stats { commands: (0..commands).map(|_| CommandStats::default()).collect(), nodes: Default::default() }
    }

    /// Records one reply of command `index`.
    #[inline]
    pub fn record(&mut self, index: usize, latency_us: u64, error: Option<&[u8]>) {
        if let Some(c) = self.commands.get_mut(index) {
            c.record(latency_us, error);
        }
    }

    /// Counts `n` requests answered by `node`.
    pub fn count_node(&mut self, node: &str, n: u64) {
        match self.nodes.get_mut(node) {
            Some(count) => *count += n,
            None => {
                self.nodes.insert(node.to_owned(), n);
            }
        }
    }

    /// Adds `other` (same workload) into `self`.
    pub fn merge(&mut self, other: &Stats) {
        for (mine, theirs) in self.commands.iter_mut().zip(&other.commands) {
            mine.merge(theirs);
        }
        for (node, n) in &other.nodes {
            self.count_node(node, *n);
        }
    }

    /// All commands together.
    pub fn total(&self) -> CommandStats {
        let mut total = CommandStats::default();
        for c in &self.commands {
            total.merge(c);
        }
        total
    }

    /// Replies recorded, all commands.
    pub fn ops(&self) -> u64 {
        self.commands.iter().map(CommandStats::ops).sum()
    }

    /// Error replies, all commands.
    pub fn errors(&self) -> u64 {
        self.commands.iter().map(|c| c.errors).sum()
    }
}

/// The figures a report shows for one command (latencies in milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Replies.
    pub ops: u64,
    /// Error replies.
    pub errors: u64,
    /// Replies per second of run time.
    pub ops_per_sec: f64,
    /// Mean latency.
    pub mean_ms: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest latency.
    pub max_ms: f64,
}

impl Summary {
    /// Summarizes `stats` over a run of `elapsed`.
    pub fn of(stats: &CommandStats, elapsed: Duration) -> Summary {
        let h = &stats.latency;
        let ms = |us: u64| us as f64 / 1000.0;
        let secs = elapsed.as_secs_f64();
        let empty = h.is_empty();
        let q = |quantile: f64| if empty { 0.0 } else { ms(h.value_at_quantile(quantile)) };
        Summary {
            ops: h.len(),
            errors: stats.errors,
            ops_per_sec: if secs > 0.0 { h.len() as f64 / secs } else { 0.0 },
            mean_ms: if empty { 0.0 } else { h.mean() / 1000.0 },
            p50_ms: q(0.50),
            p90_ms: q(0.90),
            p99_ms: q(0.99),
            p999_ms: q(0.999),
            max_ms: if empty { 0.0 } else { ms(h.max()) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_and_floor_at_one() {
        assert_eq!(micros(Duration::from_nanos(0)), 1);
        assert_eq!(micros(Duration::from_nanos(1499)), 1);
        assert_eq!(micros(Duration::from_nanos(1500)), 2);
        assert_eq!(micros(Duration::from_millis(3)), 3000);
    }

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut stats = CommandStats::default();
        for us in 1..=10_000u64 {
            stats.record(us, None);
        }
        let s = Summary::of(&stats, Duration::from_secs(2));
        assert_eq!(s.ops, 10_000);
        assert!((s.ops_per_sec - 5_000.0).abs() < 1e-9);
        let close = |got: f64, want_ms: f64| (got - want_ms).abs() / want_ms < 0.002;
        assert!(close(s.mean_ms, 5.0005), "{s:?}");
        assert!(close(s.p50_ms, 5.0), "{s:?}");
        assert!(close(s.p90_ms, 9.0), "{s:?}");
        assert!(close(s.p99_ms, 9.9), "{s:?}");
        assert!(close(s.p999_ms, 9.99), "{s:?}");
        assert!(close(s.max_ms, 10.0), "{s:?}");
    }

    #[test]
    fn merging_equals_recording_everything_in_one() {
        let mut rng = fastrand::Rng::with_seed(3);
        let values: Vec<u64> = (0..50_000).map(|_| rng.u64(1..2_000_000)).collect();
        let mut whole = Stats::new(2);
        let mut parts = [Stats::new(2), Stats::new(2), Stats::new(2)];
        for (i, v) in values.iter().enumerate() {
            let error = (i % 97 == 0).then_some(&b"ERR x"[..]);
            whole.record(i % 2, *v, error);
            parts[i % 3].record(i % 2, *v, error);
        }
        let mut merged = Stats::new(2);
        for p in &parts {
            merged.merge(p);
        }
        for (a, b) in whole.commands.iter().zip(&merged.commands) {
            assert_eq!(a.latency, b.latency);
            assert_eq!(a.errors, b.errors);
        }
        assert_eq!(merged.ops(), 50_000);
        assert_eq!(merged.errors(), whole.errors());
        assert_eq!(merged.commands[0].first_error.as_deref(), Some("ERR x"));
        let total = merged.total();
        assert_eq!(total.ops(), 50_000);
        assert_eq!(Summary::of(&total, Duration::from_secs(1)), Summary::of(&whole.total(), Duration::from_secs(1)));
    }

    #[test]
    fn huge_latencies_are_clamped_not_lost() {
        let mut stats = CommandStats::default();
        stats.record(u64::MAX, None);
        assert_eq!(stats.ops(), 1);
        assert!(Summary::of(&stats, Duration::from_secs(1)).max_ms >= MAX_LATENCY_US as f64 / 1000.0 * 0.99);
    }

    #[test]
    fn empty_stats_summarize_to_zero() {
        let s = Summary::of(&CommandStats::default(), Duration::ZERO);
        assert_eq!(s.ops, 0);
        assert_eq!(s.ops_per_sec, 0.0);
        assert_eq!(s.p99_ms, 0.0);
    }
}
