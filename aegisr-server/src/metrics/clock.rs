//! The clock commands are timed with. On x86-64 it is the time-stamp counter: a pair of
//! RDTSC reads costs about 19 ns here against 49 ns for a pair of `Instant::now()` (the
//! vDSO clock_gettime), and the dispatcher takes a pair per command. Ticks become
//! nanoseconds with a rate measured once at start. Elsewhere it is `Instant`.

use std::time::{Duration, Instant};

/// A point in time, in ticks of the clock.
#[derive(Debug, Clone, Copy)]
pub struct Stamp(u64);

#[cfg(target_arch = "x86_64")]
pub fn now() -> Stamp {
    // SAFETY: RDTSC exists on every x86-64 processor and only reads a counter.
    Stamp(unsafe { core::arch::x86_64::_rdtsc() })
}

#[cfg(not(target_arch = "x86_64"))]
pub fn now() -> Stamp {
    static EPOCH: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);
    Stamp(u64::try_from(EPOCH.elapsed().as_nanos()).unwrap_or(u64::MAX))
}

/// Converts ticks to nanoseconds.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    nanos_per_tick: f64,
}

impl Rate {
    /// Measures the tick rate against `Instant` over a couple of milliseconds.
    pub fn measure() -> Rate {
        if cfg!(not(target_arch = "x86_64")) {
            return Rate { nanos_per_tick: 1.0 };
        }
        let (started, first) = (Instant::now(), now());
        while started.elapsed() < Duration::from_millis(2) {
            std::hint::spin_loop();
        }
        let (elapsed, last) = (started.elapsed(), now());
        let ticks = last.0.saturating_sub(first.0).max(1);
        Rate { nanos_per_tick: elapsed.as_nanos() as f64 / ticks as f64 }
    }

    /// Nanoseconds from `start` to now.
    pub fn elapsed_nanos(&self, start: Stamp) -> u64 {
        self.nanos_between(start, now())
    }

    /// Nanoseconds from `start` to `end`.
    pub fn nanos_between(&self, start: Stamp, end: Stamp) -> u64 {
        (end.0.saturating_sub(start.0) as f64 * self.nanos_per_tick) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_convert_to_about_the_wall_time() {
        let rate = Rate::measure();
        let (start, wall) = (now(), Instant::now());
        std::thread::sleep(Duration::from_millis(20));
        let (ours, real) = (rate.elapsed_nanos(start) as f64, wall.elapsed().as_nanos() as f64);
        assert!((ours / real - 1.0).abs() < 0.05, "{ours} vs {real}");
    }
}
