//! INFO's instantaneous rates (`instantaneous_ops_per_sec`, `instantaneous_input_kbps`,
//! `instantaneous_output_kbps` and their replication counterparts), as Redis's `trackInstantaneousMetric` keeps them: a
//! sample of each counter's rate every 100 ms or more, the figure being the mean of the
//! last 16 samples.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Samples kept per metric (Redis's STATS_METRIC_SAMPLES).
const SAMPLES: usize = 16;

/// The shortest time between two samples (Redis samples in its 100 ms cron).
const PERIOD: Duration = Duration::from_millis(100);

/// The metrics sampled, in the order [`Rates::sample`] takes their counters.
#[derive(Debug, Clone, Copy)]
pub enum Metric {
    Commands = 0,
    NetInput = 1,
    NetOutput = 2,
    ReplInput = 3,
    ReplOutput = 4,
}

/// How many metrics are sampled.
const METRICS: usize = 5;

#[derive(Debug, Default)]
pub struct Rates {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// When the counters were last read, and their values then.
    last: Option<(Instant, [u64; METRICS])>,
    /// Per-second rates, a ring per metric.
    samples: [[f64; SAMPLES]; METRICS],
    next: usize,
}

impl Rates {
    /// Takes a sample of the counters (commands, input bytes, output bytes, replication
    /// input and output bytes) if a period has passed since the last one.
    pub fn sample(&self, counters: [u64; METRICS]) {
        let now = Instant::now();
        let mut state = self.state.lock();
        let Some((at, before)) = state.last else {
            state.last = Some((now, counters));
            return;
        };
        let elapsed = now.duration_since(at);
        if elapsed < PERIOD {
            return;
        }
        let next = state.next;
        for (metric, (&value, &was)) in counters.iter().zip(before.iter()).enumerate() {
            // A counter reset (CONFIG RESETSTAT) reads as no activity, not a huge rate.
            let delta = value.saturating_sub(was);
            state.samples[metric][next] = delta as f64 / elapsed.as_secs_f64();
        }
        state.next = (next + 1) % SAMPLES;
        state.last = Some((now, counters));
    }

    /// The mean of the last samples of `metric`, per second.
    pub fn per_second(&self, metric: Metric) -> f64 {
        let state = self.state.lock();
        state.samples[metric as usize].iter().sum::<f64>() / SAMPLES as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_the_mean_of_the_samples() {
        let rates = Rates::default();
        rates.sample([0; METRICS]);
        assert_eq!(rates.per_second(Metric::Commands), 0.0);
        // Too soon after the first reading: no sample.
        rates.sample([1000, 0, 0, 0, 0]);
        assert_eq!(rates.per_second(Metric::Commands), 0.0);
        std::thread::sleep(PERIOD);
        rates.sample([1000, 2048, 0, 0, 0]);
        let ops = rates.per_second(Metric::Commands);
        // One sample of at most 10,000/s, averaged over 16.
        assert!(ops > 0.0 && ops <= 10_000.0 / 16.0, "{ops}");
        assert!(rates.per_second(Metric::NetInput) > 0.0);
        assert_eq!(rates.per_second(Metric::NetOutput), 0.0);
        // A reset counter is no activity.
        std::thread::sleep(PERIOD);
        rates.sample([0; METRICS]);
        assert_eq!(rates.per_second(Metric::Commands), ops);
    }
}
