//! The engine: the keyspace split into hash slots and shards, expiry, and the locking
//! discipline that makes multi-key commands atomic. It knows nothing of sockets or protocols.

pub mod blocking;
mod db;
mod entry;
pub mod evict;
mod expiry;
pub mod glob;
mod held;
mod key_table;
mod keyspace;
mod prefetch;
mod scan;
pub mod slot;
mod watch;

pub use entry::{Entry, PACK_LIMIT};
pub use held::{HeldShards, Tx};
pub(crate) use keyspace::Shard;
pub(crate) use keyspace::StagedTables;
pub use keyspace::{Keyspace, KeyspaceStats, Locked, ShardIndex};
pub use scan::ScanFilter;
pub use watch::WatchFlag;

thread_local! {
    /// While a thread replays the record stream (the journal at start, or a primary's
    /// stream on a replica), the time each record was written at: commands then see the
    /// clock they saw when they first ran, so relative TTLs, lazy expiry and stream IDs
    /// replay exactly. Zero otherwise. Per thread: a replica's clients keep the real time.
    static REPLAY_CLOCK: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
    /// While a script or a transaction runs on this thread, the time it started at (see
    /// [`FrozenClock`]); zero otherwise.
    static FROZEN_CLOCK: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

/// The current time as Unix milliseconds, the unit every expiry is stored in.
pub fn now_ms() -> i64 {
    let replayed = REPLAY_CLOCK.with(std::cell::Cell::get);
    if replayed != 0 {
        return replayed;
    }
    let frozen = FROZEN_CLOCK.with(std::cell::Cell::get);
    if frozen != 0 {
        return frozen;
    }
    wall_ms()
}

/// The wall clock as Unix milliseconds, whatever [`now_ms`] says on this thread: for the
/// node's own timing (how long a script has run), never for the data.
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Stops [`now_ms`] on this thread at the time it is made, until dropped: a script or a
/// transaction sees one time from its start to its end, as in Redis, so a key cannot
/// expire halfway through it, and the journal, which replays it at one time, replays
/// exactly what ran. Nested freezes keep the outer time.
pub(crate) struct FrozenClock {
    previous: i64,
}

impl FrozenClock {
    pub(crate) fn freeze() -> FrozenClock {
        let at = now_ms();
        FrozenClock { previous: FROZEN_CLOCK.with(|c| c.replace(at)) }
    }
}

impl Drop for FrozenClock {
    fn drop(&mut self) {
        FROZEN_CLOCK.with(|c| c.set(self.previous));
    }
}

/// The time as Unix milliseconds from the kernel's coarse clock: a few milliseconds behind
/// [`now_ms`] but read without touching the hardware counter. For access times (LRU, LFU),
/// which count in seconds or minutes.
pub fn coarse_now_ms() -> i64 {
    #[cfg(target_os = "linux")]
    if REPLAY_CLOCK.with(std::cell::Cell::get) == 0
        && let Some(ms) = coarse_clock_ms(libc::CLOCK_REALTIME_COARSE)
    {
        return ms;
    }
    now_ms()
}

/// Milliseconds on one of the kernel's coarse clocks, read without touching the hardware
/// counter; `None` if the kernel refuses (never expected: every Linux kernel has them).
#[cfg(target_os = "linux")]
pub(crate) fn coarse_clock_ms(clock: libc::clockid_t) -> Option<i64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec that outlives the call.
    let read = unsafe { libc::clock_gettime(clock, &mut ts) } == 0;
    // time_t and c_long are narrower than i64 on 32-bit targets.
    #[allow(clippy::useless_conversion)]
    read.then(|| i64::from(ts.tv_sec) * 1000 + i64::from(ts.tv_nsec) / 1_000_000)
}

/// Makes [`now_ms`] on this thread return `at` (a record's time) until
/// [`end_replay_clock`].
pub(crate) fn set_replay_clock(at: i64) {
    REPLAY_CLOCK.with(|c| c.set(at.max(1)));
}

/// Whether this thread is replaying records (see [`set_replay_clock`]).
pub(crate) fn replaying() -> bool {
    REPLAY_CLOCK.with(std::cell::Cell::get) != 0
}

pub(crate) fn end_replay_clock() {
    REPLAY_CLOCK.with(|c| c.set(0));
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    #[test]
    fn a_frozen_clock_stands_still_until_dropped_and_nests() {
        let outer = FrozenClock::freeze();
        let at = now_ms();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(now_ms(), at);
        assert!(wall_ms() > at);
        let inner = FrozenClock::freeze();
        assert_eq!(now_ms(), at);
        drop(inner);
        assert_eq!(now_ms(), at);
        drop(outer);
        assert!(now_ms() > at);
    }

    #[test]
    fn the_coarse_clock_is_at_most_a_little_behind() {
        let (coarse, precise) = (coarse_now_ms(), now_ms());
        assert!(coarse <= precise + 1 && precise - coarse < 1000, "{coarse} vs {precise}");
    }
}
