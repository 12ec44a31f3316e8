//! LATENCY DOCTOR: Redis's human-readable report on the recorded events — per event its
//! spikes, average, mean deviation and period, then the advice Redis gives for the kinds
//! of events Aegisr records (commands, expire and eviction cycles).

use std::fmt::Write as _;

use super::{LatencyMonitor, Sample};

/// The settings the advice depends on.
pub struct Settings {
    pub threshold_ms: u64,
    /// `slowlog-log-slower-than`; negative: the slow log is off.
    pub slowlog_slower_than_us: i64,
    pub hz: u64,
}

/// What Redis's `analyzeLatencyForEvent` computes: integer average and mean absolute
/// deviation, and the seconds since the oldest sample (at least 1).
struct Analysis {
    samples: usize,
    avg: u64,
    mad: u64,
    period: i64,
}

fn analyze(samples: &[Sample], now: i64) -> Analysis {
    let count = samples.len();
    if count == 0 {
        return Analysis { samples: 0, avg: 0, mad: 0, period: 0 };
    }
    let avg = samples.iter().map(|s| s.ms).sum::<u64>() / count as u64;
    let oldest = samples.iter().map(|s| s.time).min().unwrap_or(now);
    let period = (now - oldest).max(1);
    let mad = samples.iter().map(|s| s.ms.abs_diff(avg)).sum::<u64>() / count as u64;
    Analysis { samples: count, avg, mad, period }
}

#[derive(Default)]
struct Advice {
    slowlog_enabled: bool,
    slowlog_tuning: bool,
    slowlog_inspect: bool,
    scheduler: bool,
    hz: bool,
    large_objects: bool,
    mass_eviction: bool,
    count: usize,
}

/// The report, as Redis words it.
pub fn report(monitor: &LatencyMonitor, settings: &Settings, now: i64) -> String {
    let events = monitor.events();
    if events.is_empty() && settings.threshold_ms == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".to_owned();
    }
    let mut out = String::new();
    let mut advice = Advice::default();
    for (number, (event, samples, max)) in events.iter().enumerate() {
        if number == 0 {
            out.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let a = analyze(samples, now);
        let _ = write!(
            out,
            "{}. {event}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {max}ms.",
            number + 1,
            a.samples,
            a.avg,
            a.mad,
            a.period as f64 / a.samples.max(1) as f64,
        );
        match *event {
            "command" => {
                if settings.slowlog_slower_than_us < 0 {
                    advice.slowlog_enabled = true;
                    advice.count += 1;
                } else if settings.slowlog_slower_than_us.unsigned_abs() / 1000 > settings.threshold_ms {
                    advice.slowlog_tuning = true;
                    advice.count += 1;
                }
                advice.slowlog_inspect = true;
                advice.large_objects = true;
                advice.count += 2;
            }
            "fast-command" => {
                advice.scheduler = true;
                advice.count += 1;
            }
            "expire-cycle" => {
                advice.hz = true;
                advice.large_objects = true;
                advice.count += 2;
            }
            "eviction-del" => {
                advice.large_objects = true;
                advice.count += 1;
            }
            "eviction-cycle" => {
                advice.mass_eviction = true;
                advice.count += 1;
            }
            _ => {}
        }
        out.push('\n');
    }
    if events.is_empty() && advice.count == 0 {
        out.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
        return out;
    }
    if advice.count == 0 {
        out.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
        return out;
    }
    out.push_str("\nI have a few advices for you:\n\n");
    let suggested = settings.threshold_ms.saturating_mul(1000);
    if advice.slowlog_enabled {
        let _ = writeln!(
            out,
            "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {suggested}'. If the Slow log is disabled Redis is not able to log slow commands execution for you."
        );
    }
    if advice.slowlog_tuning {
        let _ = writeln!(
            out,
            "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {suggested}'."
        );
    }
    if advice.slowlog_inspect {
        out.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    }
    if advice.scheduler {
        out.push_str(concat!(
            "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n",
            "  1) Lower the system load.\n",
            "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n",
            "  3) Check if you have a \"noisy neighbour\" problem.\n",
            "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n",
            "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n",
        ));
    }
    if advice.hz && settings.hz < 100 {
        out.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
    }
    if advice.large_objects {
        out.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
    }
    if advice.mass_eviction {
        out.push_str("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(threshold_ms: u64) -> Settings {
        Settings { threshold_ms, slowlog_slower_than_us: 10000, hz: 10 }
    }

    #[test]
    fn disabled_and_quiet_reports() {
        let monitor = LatencyMonitor::default();
        assert!(report(&monitor, &settings(0), 100).starts_with("I'm sorry, Dave, I can't do that."));
        assert!(report(&monitor, &settings(1), 100).starts_with("Dave, no latency spike was observed"));
    }

    #[test]
    fn events_are_analysed_as_redis_does() {
        let monitor = LatencyMonitor::default();
        monitor.add("command", 20, 1000);
        monitor.add("command", 40, 1001);
        let text = report(&monitor, &settings(1), 1001);
        assert!(text.starts_with("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n1. command: 2 latency spikes (average 30ms, mean deviation 10ms, period 0.50 sec). Worst all time event 40ms.\n\nI have a few advices for you:\n\n- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 1000'.\n- Check your Slow Log"), "{text}");
        assert!(text.ends_with("try to fragment those objects into multiple smaller objects.\n"), "{text}");
    }
}
