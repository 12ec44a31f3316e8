//! The latency monitor (LATENCY LATEST / HISTORY / RESET / DOCTOR): while
//! `latency-monitor-threshold` is set, every event (a command, an expire cycle, an
//! eviction...) that lasts at least that many milliseconds is recorded under its name, as
//! Redis's latency.c does: per event, the all-time maximum and the last 160 samples, at
//! most one a second (the largest of that second).
//!
//! With the threshold at 0 the callers pay one relaxed load (`Limits::
//! latency_monitor_threshold`) and never reach this file; past it, the recording takes a
//! lock, which only events slower than a millisecond do.

pub mod doctor;
pub mod graph;

use std::collections::BTreeMap;
use std::time::Duration;

use parking_lot::Mutex;

/// Samples kept per event (Redis's `LATENCY_TS_LEN`).
pub const HISTORY_LEN: usize = 160;

/// One sample: a Unix second and the largest latency seen in it, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    pub time: i64,
    pub ms: u64,
}

/// One event's samples, a ring of [`HISTORY_LEN`].
#[derive(Debug, Clone)]
struct Series {
    samples: [Sample; HISTORY_LEN],
    /// Where the next sample goes.
    next: usize,
    max: u64,
}

impl Series {
    fn new() -> Series {
        Series { samples: [Sample::default(); HISTORY_LEN], next: 0, max: 0 }
    }

    fn add(&mut self, now: i64, ms: u64) {
        self.max = self.max.max(ms);
        let previous = &mut self.samples[(self.next + HISTORY_LEN - 1) % HISTORY_LEN];
        if previous.time == now {
            previous.ms = previous.ms.max(ms);
            return;
        }
        self.samples[self.next] = Sample { time: now, ms };
        self.next = (self.next + 1) % HISTORY_LEN;
    }

    fn latest(&self) -> Sample {
        self.samples[(self.next + HISTORY_LEN - 1) % HISTORY_LEN]
    }

    /// The samples, oldest first.
    fn history(&self) -> Vec<Sample> {
        (0..HISTORY_LEN).map(|i| self.samples[(self.next + i) % HISTORY_LEN]).filter(|s| s.time != 0).collect()
    }
}

/// LATENCY LATEST's row for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    pub event: &'static str,
    pub time: i64,
    pub ms: u64,
    pub max: u64,
}

/// The recorded events, by name.
#[derive(Default)]
pub struct LatencyMonitor {
    events: Mutex<BTreeMap<&'static str, Series>>,
}

impl LatencyMonitor {
    /// Records that `event` took `elapsed` if that reaches `threshold_ms` (0: off). Redis
    /// compares whole milliseconds, truncated.
    pub fn add_if_needed(&self, threshold_ms: u64, event: &'static str, elapsed: Duration) {
        let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        if threshold_ms > 0 && ms >= threshold_ms {
            self.add(event, ms, unix_seconds());
        }
    }

    /// Records a sample of `ms` for `event` at Unix second `now`.
    pub fn add(&self, event: &'static str, ms: u64, now: i64) {
        self.events.lock().entry(event).or_insert_with(Series::new).add(now, ms);
    }

    /// Every event's latest sample and maximum.
    pub fn latest(&self) -> Vec<Latest> {
        self.events
            .lock()
            .iter()
            .map(|(&event, series)| {
                let last = series.latest();
                Latest { event, time: last.time, ms: last.ms, max: series.max }
            })
            .collect()
    }

    /// The samples of `event`, oldest first (none for an event never recorded).
    pub fn history(&self, event: &[u8]) -> Vec<Sample> {
        let events = self.events.lock();
        events.iter().find(|(name, _)| name.as_bytes() == event).map(|(_, s)| s.history()).unwrap_or_default()
    }

    /// The samples of `event` (oldest first) and its all-time maximum, if it was recorded.
    pub fn series(&self, event: &[u8]) -> Option<(&'static str, Vec<Sample>, u64)> {
        let events = self.events.lock();
        events.iter().find(|(name, _)| name.as_bytes() == event).map(|(&name, s)| (name, s.history(), s.max))
    }

    /// Forgets the named events (all of them when `events` is empty); returns how many
    /// there were.
    pub fn reset(&self, events: &[&[u8]]) -> usize {
        let mut recorded = self.events.lock();
        if events.is_empty() {
            let count = recorded.len();
            recorded.clear();
            return count;
        }
        let mut count = 0;
        for event in events {
            let found = recorded.keys().find(|name| name.as_bytes() == *event).copied();
            if let Some(name) = found {
                recorded.remove(name);
                count += 1;
            }
        }
        count
    }

    /// Every event with its samples (oldest first) and all-time maximum.
    pub fn events(&self) -> Vec<(&'static str, Vec<Sample>, u64)> {
        self.events.lock().iter().map(|(&event, series)| (event, series.history(), series.max)).collect()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.events.lock().is_empty()
    }
}

fn unix_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_a_second_keeping_the_largest() {
        let monitor = LatencyMonitor::default();
        monitor.add("command", 5, 100);
        monitor.add("command", 9, 100);
        monitor.add("command", 3, 100);
        monitor.add("command", 2, 101);
        assert_eq!(monitor.history(b"command"), [Sample { time: 100, ms: 9 }, Sample { time: 101, ms: 2 }]);
        assert_eq!(monitor.latest(), [Latest { event: "command", time: 101, ms: 2, max: 9 }]);
        assert!(monitor.history(b"nosuch").is_empty());
    }

    #[test]
    fn history_keeps_the_last_160_seconds() {
        let monitor = LatencyMonitor::default();
        for second in 1..=200 {
            monitor.add("expire-cycle", second as u64, second);
        }
        let history = monitor.history(b"expire-cycle");
        assert_eq!(history.len(), HISTORY_LEN);
        assert_eq!(history.first(), Some(&Sample { time: 41, ms: 41 }));
        assert_eq!(history.last(), Some(&Sample { time: 200, ms: 200 }));
        assert_eq!(monitor.latest()[0].max, 200);
    }

    #[test]
    fn threshold_and_reset() {
        let monitor = LatencyMonitor::default();
        monitor.add_if_needed(0, "command", Duration::from_secs(1));
        monitor.add_if_needed(5, "command", Duration::from_micros(4999));
        assert!(monitor.is_empty());
        monitor.add_if_needed(5, "command", Duration::from_millis(5));
        monitor.add_if_needed(1, "fast-command", Duration::from_millis(2));
        assert_eq!(monitor.latest().len(), 2);
        assert_eq!(monitor.reset(&[b"command", b"nosuch"]), 1);
        assert_eq!(monitor.reset(&[]), 1);
        assert!(monitor.is_empty());
    }
}
