//! maxmemory eviction: when the memory used passes `maxmemory`, keys are deleted by the
//! configured policy until it is back under, before a command runs (as Redis's
//! `performEvictions` in `processCommand`), and from the background ticker.
//!
//! Approximated LRU, LFU and TTL by sampling, as Redis does, with Redis's eviction pool:
//! a small set of the best candidates seen so far (highest idle time, lowest frequency or
//! soonest deadline), kept across rounds so that a few samples per round still find good
//! victims over time. One pool serves all shards. Each round samples `maxmemory-samples`
//! keys per database from the next shard in turn (one shard lock at a time, never two),
//! then evicts the pool's best candidate, locking its shard. We chose one shared pool over
//! per-shard sampling because per-shard eviction would pick the best key of whichever shard
//! happened to be sampled, not the best key seen across the keyspace; the shared pool makes
//! every shard's samples compete, which is what Redis's single pool over all databases
//! does. The pool's mutex also serialises evicting threads: whoever gets it next finds
//! memory already under the limit and returns at once.
//!
//! The per-key access data is the entry's 24-bit access field: seconds under LRU policies,
//! and under LFU ones, as Redis reuses its 24-bit `lru` field, 16 bits of minutes (when the
//! counter was last decremented) and an 8-bit logarithmic access counter.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::db::{DbShard, Entry};
use super::keyspace::{Keyspace, Shard, ShardIndex};
use crate::config::Limits;
use crate::metrics::latency_monitor::LatencyMonitor;
use crate::types::ValueRef;

/// `maxmemory-policy`, numbered for [`Limits::maxmemory_policy`] (0, the default of an
/// empty `Limits`, is noeviction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Policy {
    NoEviction = 0,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

impl Policy {
    const ALL: [Policy; 8] = [
        Policy::NoEviction,
        Policy::AllKeysLru,
        Policy::AllKeysLfu,
        Policy::AllKeysRandom,
        Policy::VolatileLru,
        Policy::VolatileLfu,
        Policy::VolatileRandom,
        Policy::VolatileTtl,
    ];

    /// The policy of a `maxmemory-policy` value (noeviction for anything else).
    pub fn from_name(name: &str) -> Policy {
        match name {
            "allkeys-lru" => Policy::AllKeysLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "allkeys-random" => Policy::AllKeysRandom,
            "volatile-lru" => Policy::VolatileLru,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            _ => Policy::NoEviction,
        }
    }

    pub fn from_code(code: u32) -> Policy {
        Policy::ALL.get(code as usize).copied().unwrap_or(Policy::NoEviction)
    }

    /// Whether only keys with a TTL may be evicted.
    pub fn volatile(self) -> bool {
        matches!(self, Policy::VolatileLru | Policy::VolatileLfu | Policy::VolatileRandom | Policy::VolatileTtl)
    }

    /// Whether access frequencies are tracked (and OBJECT FREQ answers).
    pub fn lfu(self) -> bool {
        matches!(self, Policy::AllKeysLfu | Policy::VolatileLfu)
    }

    fn random(self) -> bool {
        matches!(self, Policy::AllKeysRandom | Policy::VolatileRandom)
    }
}

/// What an eviction attempt achieved (Redis's EVICT_OK / EVICT_RUNNING / EVICT_FAIL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Memory is under the limit (or there is none).
    Ok,
    /// Still over, but the time allowed ran out while keys were being evicted: the command
    /// runs, and the next one (or the ticker) goes on.
    Running,
    /// Over the limit and nothing can be evicted: commands that may grow memory are refused.
    Fail,
}

/// The counter of a new key under LFU, so it is not evicted before it had a chance to be
/// read (Redis's `LFU_INIT_VAL`).
pub const LFU_INIT_VAL: u8 = 5;

/// Minutes on a 16-bit clock, the LFU field's time unit.
fn lfu_minutes(now_ms: i64) -> u32 {
    (now_ms / 60_000) as u32 & 0xffff
}

/// The LFU counter of an access field, decayed by one per `decay_minutes` elapsed since it
/// was last decremented (Redis's `LFUDecrAndReturn`).
pub fn lfu_counter(access: u32, now_ms: i64, decay_minutes: u64) -> u8 {
    let last = (access >> 8) & 0xffff;
    let counter = (access & 0xff) as u8;
    let now = lfu_minutes(now_ms);
    // The 16-bit clock wraps every 45 days, as Redis's.
    let elapsed = if now >= last { now - last } else { 0xffff - last + now };
    // A decay time of 0 never decays.
    let periods = u64::from(elapsed).checked_div(decay_minutes).unwrap_or(0);
    counter.saturating_sub(u8::try_from(periods).unwrap_or(u8::MAX))
}

/// The counter after one more access: incremented with probability 1 / ((counter - 5) *
/// log_factor + 1), so it grows logarithmically and 255 means about a million hits at the
/// default factor (Redis's `LFULogIncr`).
fn lfu_increment(counter: u8, log_factor: u64) -> u8 {
    if counter == u8::MAX {
        return counter;
    }
    let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if fastrand::f64() < p { counter + 1 } else { counter }
}

/// The LFU access field for `counter` now.
fn lfu_field(counter: u8, now_ms: i64) -> u32 {
    (lfu_minutes(now_ms) << 8) | u32::from(counter)
}

/// The most keys sampled per database per round, whatever `maxmemory-samples` says.
const MAX_SAMPLES: usize = 1024;

/// The most candidates the pool keeps (Redis's `EVPOOL_SIZE`).
const POOL_SIZE: usize = 16;

/// A key worth evicting, and how much: the higher `score`, the better a victim.
struct Candidate {
    score: u64,
    db: usize,
    shard: ShardIndex,
    key: Box<[u8]>,
}

#[derive(Default)]
struct Pool {
    /// Sorted by ascending score: the best victim is last.
    candidates: Vec<Candidate>,
    /// The shard sampled next (round robin).
    next_shard: ShardIndex,
}

impl Pool {
    fn offer(&mut self, score: u64, db: usize, shard: ShardIndex, key: &[u8]) {
        let full = self.candidates.len() >= POOL_SIZE;
        if full && self.candidates.first().is_some_and(|worst| worst.score >= score) {
            return;
        }
        if self.candidates.iter().any(|c| c.db == db && *c.key == *key) {
            return;
        }
        if full {
            self.candidates.remove(0);
        }
        let at = self.candidates.partition_point(|c| c.score <= score);
        self.candidates.insert(at, Candidate { score, db, shard, key: key.into() });
    }
}

/// The eviction state of a keyspace: the configuration it reads and the candidate pool.
pub(crate) struct Eviction {
    limits: Arc<Limits>,
    pool: Mutex<Pool>,
    /// Where `eviction-cycle` and `eviction-del` go when `latency-monitor-threshold` is on.
    latency: Arc<LatencyMonitor>,
    /// Since when the node has been over maxmemory (ms, 0: it is not), and how long it was
    /// over before (ms): INFO's `current_` and `total_eviction_exceeded_time`.
    over_since_ms: std::sync::atomic::AtomicI64,
    over_total_ms: std::sync::atomic::AtomicU64,
}

impl Eviction {
    pub(crate) fn new(limits: Arc<Limits>) -> Eviction {
        Eviction {
            limits,
            pool: Mutex::default(),
            latency: Arc::default(),
            over_since_ms: Default::default(),
            over_total_ms: Default::default(),
        }
    }

    /// Records what an eviction check found, as Redis's `performEvictions` does: over the
    /// limit (still evicting, or failing) starts the clock, back under stops it.
    fn note(&self, outcome: Outcome) {
        let since = self.over_since_ms.load(Ordering::Relaxed);
        match outcome {
            Outcome::Ok if since != 0 => {
                let now = super::now_ms();
                self.over_total_ms.fetch_add((now - since).max(0).unsigned_abs(), Ordering::Relaxed);
                self.over_since_ms.store(0, Ordering::Relaxed);
            }
            Outcome::Running | Outcome::Fail if since == 0 => {
                self.over_since_ms.store(super::now_ms().max(1), Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// How long the node has been over maxmemory now, and in all (ms).
    pub(crate) fn exceeded_ms(&self) -> (u64, u64) {
        let since = self.over_since_ms.load(Ordering::Relaxed);
        let current = if since == 0 { 0 } else { (super::now_ms() - since).max(0).unsigned_abs() };
        (current, self.over_total_ms.load(Ordering::Relaxed) + current)
    }

    /// CONFIG RESETSTAT.
    pub(crate) fn reset_stats(&self) {
        self.over_total_ms.store(0, Ordering::Relaxed);
        self.over_since_ms.store(0, Ordering::Relaxed);
    }

    fn policy(&self) -> Policy {
        Policy::from_code(self.limits.maxmemory_policy.load(Ordering::Relaxed))
    }

    /// Whether access data are LFU counters (an LFU policy is in force).
    pub(crate) fn lfu(&self) -> bool {
        self.policy().lfu()
    }

    /// The access field of a key created now: the time under LRU policies, the initial
    /// counter under LFU ones.
    pub(crate) fn new_access(&self, now_ms: i64) -> u32 {
        if self.policy().lfu() { lfu_field(LFU_INIT_VAL, now_ms) } else { super::db::secs(now_ms) }
    }

    /// Records an access to `entry` (Redis's `updateLFU`, or the LRU clock).
    pub(crate) fn touch(&self, entry: &mut Entry, now_ms: i64) {
        if self.policy().lfu() {
            let decay = self.limits.lfu_decay_time.load(Ordering::Relaxed);
            let counter = lfu_counter(entry.access_secs(), now_ms, decay);
            let counter = lfu_increment(counter, self.limits.lfu_log_factor.load(Ordering::Relaxed));
            entry.set_access_secs(lfu_field(counter, now_ms));
        } else {
            entry.set_access_secs(super::db::secs(now_ms));
        }
    }

    /// How long one eviction call may run (Redis's `evictionTimeLimitUs`): 50 us per unit
    /// of tenacity up to 10, then growing 15% per unit; 100 is unlimited.
    fn time_limit(&self) -> Option<Duration> {
        let tenacity = self.limits.maxmemory_eviction_tenacity.load(Ordering::Relaxed);
        match tenacity {
            0..=10 => Some(Duration::from_micros(50 * tenacity)),
            11..=99 => Some(Duration::from_micros((500.0 * 1.15f64.powi((tenacity - 10) as i32)) as u64)),
            _ => None,
        }
    }
}

impl Keyspace {
    /// The LFU counter OBJECT FREQ reports for `entry` (meaningful under LFU policies).
    pub fn lfu_frequency(&self, entry: &Entry, now_ms: i64) -> u8 {
        lfu_counter(entry.access_secs(), now_ms, self.eviction.limits.lfu_decay_time.load(Ordering::Relaxed))
    }

    /// RESTORE's IDLETIME and FREQ (Redis's `objectSetLRUOrLFU`): under an LFU policy FREQ
    /// sets the key's counter, under the others IDLETIME its idle time; the other is ignored.
    pub fn restore_access(&self, entry: &mut Entry, idle_secs: Option<u64>, freq: Option<u8>, now_ms: i64) {
        if self.eviction.lfu() {
            if let Some(freq) = freq {
                entry.set_access_secs(lfu_field(freq, now_ms));
            }
        } else if let Some(idle) = idle_secs {
            entry.set_idle_secs(idle, now_ms);
        }
    }

    /// The `maxmemory-policy` in force.
    pub fn eviction_policy(&self) -> Policy {
        self.eviction.policy()
    }

    /// Records eviction latency events (`eviction-cycle`, `eviction-del`) into `latency`;
    /// call after [`Keyspace::with_limits`].
    pub fn with_latency_monitor(mut self, latency: Arc<LatencyMonitor>) -> Keyspace {
        self.eviction.latency = latency;
        self
    }

    /// Evicts keys until `used()` is at most `maxmemory`. `used` is read after each
    /// eviction, so it must see this thread's frees at once.
    pub fn evict_to_limit(&self, used: &dyn Fn() -> u64) -> Outcome {
        let outcome = self.evict_to_limit_once(used);
        self.eviction.note(outcome);
        outcome
    }

    fn evict_to_limit_once(&self, used: &dyn Fn() -> u64) -> Outcome {
        let limits = &self.eviction.limits;
        let max = limits.maxmemory.load(Ordering::Relaxed);
        if max == 0 || used() <= max {
            return Outcome::Ok;
        }
        let policy = self.eviction.policy();
        if policy == Policy::NoEviction {
            return Outcome::Fail;
        }
        // Redis accepts up to 2^31 samples (and then spends seconds per eviction); more
        // than MAX_SAMPLES per round buys no precision worth its cost, so that is the most.
        let samples = usize::try_from(limits.maxmemory_samples.load(Ordering::Relaxed))
            .unwrap_or(MAX_SAMPLES)
            .clamp(1, MAX_SAMPLES);
        let time_limit = self.eviction.time_limit();
        let started = Instant::now();
        // Read once per cycle: with the latency monitor off, evicting reads no more clocks.
        let latency_threshold = limits.latency_monitor_threshold.load(Ordering::Relaxed);
        let latency = &self.eviction.latency;
        let outcome = 'cycle: {
            let mut pool = self.eviction.pool.lock();
            let mut evicted = 0u64;
            while used() > max {
                let victim = if policy.random() {
                    self.evict_random(&mut pool, policy)
                } else {
                    self.evict_pooled(&mut pool, policy, samples)
                };
                // Freed here, outside every shard lock; `used` sees it on the next check.
                let Some(victim) = victim else {
                    break 'cycle Outcome::Fail;
                };
                // `eviction-del` is what freeing the value costs (the table removal
                // before it is a hash delete).
                let deleting = (latency_threshold > 0).then(Instant::now);
                drop(victim);
                if let Some(deleting) = deleting {
                    latency.add_if_needed(latency_threshold, "eviction-del", deleting.elapsed());
                }
                evicted += 1;
                // The clock is read every 16 keys, as Redis does.
                if evicted % 16 == 0 && time_limit.is_some_and(|limit| started.elapsed() > limit) {
                    break 'cycle if used() > max { Outcome::Running } else { Outcome::Ok };
                }
            }
            Outcome::Ok
        };
        if latency_threshold > 0 {
            latency.add_if_needed(latency_threshold, "eviction-cycle", started.elapsed());
        }
        outcome
    }

    /// One LRU / LFU / TTL eviction: sample shards in turn into the pool until its best
    /// candidate can be evicted. `None` when no shard has a key the policy may evict.
    fn evict_pooled(&self, pool: &mut Pool, policy: Policy, samples: usize) -> Option<Entry> {
        let shards = self.shard_count();
        let mut barren = 0;
        // Bounded: a full sweep finding nothing ends it, and so do pathological runs of
        // candidates that keep changing under us.
        for _ in 0..4 * shards + POOL_SIZE {
            let index = pool.next_shard % shards;
            pool.next_shard = (index + 1) % shards;
            if self.sample_into(pool, index, policy, samples) {
                barren = 0;
            } else {
                barren += 1;
            }
            if let Some(victim) = self.evict_best(pool, policy) {
                return Some(victim);
            }
            if barren >= shards {
                return None;
            }
        }
        None
    }

    /// Offers `samples` keys per database of shard `index` to the pool; false if the shard
    /// has no key the policy may evict.
    fn sample_into(&self, pool: &mut Pool, index: ShardIndex, policy: Policy, samples: usize) -> bool {
        let shard = self.shard(index, None);
        let now = super::now_ms();
        let mut found = false;
        for db in 0..self.databases() {
            let Some(table) = shard.db(db) else { continue };
            sample(table, policy, samples, |entry, deadline| {
                found = true;
                pool.offer(score(self, policy, entry, deadline, now), db, index, entry.key());
            });
        }
        found
    }

    /// Evicts the pool's best candidate that still exists (and still qualifies and has not
    /// been accessed since it was sampled); `None` once the pool has none.
    fn evict_best(&self, pool: &mut Pool, policy: Policy) -> Option<Entry> {
        while let Some(candidate) = pool.candidates.pop() {
            let mut shard = self.shard(candidate.shard, None);
            let now = super::now_ms();
            let (_, slot) = self.split_slot(&candidate.key);
            let Some(table) = shard.db(candidate.db) else { continue };
            let Some(entry) = table.slots[slot].get(&candidate.key) else { continue };
            let deadline = table.slots[slot].expiry(&candidate.key);
            if policy.volatile() && deadline.is_none() {
                continue;
            }
            // A key read since it was sampled is no longer as good a victim.
            if score(self, policy, entry, deadline, now) < candidate.score {
                continue;
            }
            return delete_evicted(self, &mut shard, candidate.db, &candidate.key);
        }
        None
    }

    /// One random eviction (allkeys-random, volatile-random): a random key of the next
    /// shard and database that has one.
    fn evict_random(&self, pool: &mut Pool, policy: Policy) -> Option<Entry> {
        let shards = self.shard_count();
        for _ in 0..shards {
            let index = pool.next_shard % shards;
            pool.next_shard = (index + 1) % shards;
            let mut shard = self.shard(index, None);
            for db in 0..self.databases() {
                let Some(table) = shard.db(db) else { continue };
                let mut victim = None;
                sample(table, policy, 1, |entry, _| victim = Some(Box::<[u8]>::from(entry.key())));
                if let Some(key) = victim {
                    return delete_evicted(self, &mut shard, db, &key);
                }
            }
        }
        None
    }
}

/// How good a victim `entry` is under `policy`: idle seconds (LRU), 255 minus the counter
/// (LFU), or how soon it expires (TTL).
fn score(keyspace: &Keyspace, policy: Policy, entry: &Entry, deadline: Option<i64>, now: i64) -> u64 {
    match policy {
        Policy::AllKeysLfu | Policy::VolatileLfu => 255 - u64::from(keyspace.lfu_frequency(entry, now)),
        Policy::VolatileTtl => u64::MAX - u64::try_from(deadline.unwrap_or(i64::MAX)).unwrap_or(0),
        _ => entry.idle_secs(now),
    }
}

/// Calls `visit` on up to `samples` keys of `table` the policy may evict (those with a
/// deadline for volatile policies, with it), taken from consecutive slots from a random
/// one, starting at a random position in the first (Redis's `dictGetSomeKeys` likewise
/// takes neighbours from a random bucket). Costs at most one pass over the slots.
fn sample(table: &DbShard, policy: Policy, samples: usize, mut visit: impl FnMut(&Entry, Option<i64>)) {
    let volatile = policy.volatile();
    if (if volatile { table.expire_count } else { table.key_count }) == 0 {
        return;
    }
    let slot_count = table.slots.len();
    let start = fastrand::usize(..slot_count);
    let mut taken = 0;
    for i in 0..slot_count {
        let slot = &table.slots[(start + i) % slot_count];
        let len = if volatile { slot.expiring() } else { slot.len() };
        if len == 0 {
            continue;
        }
        let offset = if taken == 0 { fastrand::usize(..len) } else { 0 };
        let want = samples - taken;
        if volatile {
            let keys = slot.deadlines().skip(offset).chain(slot.deadlines().take(offset)).take(want);
            for (key, deadline) in keys {
                if let Some(entry) = slot.get(key) {
                    visit(entry, Some(deadline));
                    taken += 1;
                }
            }
        } else {
            for entry in slot.iter().skip(offset).chain(slot.iter().take(offset)).take(want) {
                visit(entry, if entry.has_expiry() { slot.expiry(entry.key()) } else { None });
                taken += 1;
            }
        }
        if taken >= samples {
            return;
        }
    }
}

/// Deletes `key` of `db`, evicted to free memory, from its (locked) shard, exactly as a
/// deletion: watchers of the key see it changed, clients blocked on a stream there are
/// woken, the `evicted` keyspace event is published and INFO's `evicted_keys` counts it.
/// Every eviction goes through here. Returns the entry so it is freed after the shard is
/// unlocked.
fn delete_evicted(keyspace: &Keyspace, shard: &mut Shard, db: usize, key: &[u8]) -> Option<Entry> {
    let (_, slot) = keyspace.split_slot(key);
    let entry = shard.db_mut(db)?.remove(slot, key)?;
    // Logged under the shard's lock like any write, so replay deletes it at the same point.
    if keyspace
        .with_journal(|journal| journal.map(|journal| crate::persist::capture::log_deletion(journal, db, key)))
        .is_some()
    {
        shard.changes += 1;
    }
    shard.stats.evicted_keys += 1;
    shard.watches.touch(db, key);
    keyspace.notifier().evicted(key, db);
    if matches!(entry.value(), ValueRef::Stream(_)) {
        keyspace.waiters().signal(db, key);
    }
    Some(entry)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

    use super::*;
    use crate::types::Value;

    fn keyspace(policy: &str, maxmemory: u64) -> (Keyspace, Arc<Limits>) {
        let limits = Arc::new(Limits::default());
        limits.maxmemory.store(maxmemory, Ordering::Relaxed);
        limits.maxmemory_policy.store(Policy::from_name(policy) as u32, Ordering::Relaxed);
        limits.maxmemory_samples.store(5, Ordering::Relaxed);
        limits.maxmemory_eviction_tenacity.store(100, Ordering::Relaxed);
        limits.lfu_log_factor.store(10, Ordering::Relaxed);
        limits.lfu_decay_time.store(1, Ordering::Relaxed);
        (Keyspace::new(8, 2).with_limits(limits.clone()), limits)
    }

    fn keys(ks: &Keyspace, db: usize) -> usize {
        ks.db_size(db, None)
    }

    /// "Memory" is the number of keys in all databases, so the limit is a key count.
    fn used(ks: &Keyspace) -> u64 {
        ks.db_sizes(None).iter().map(|s| s.0 as u64).sum()
    }

    #[test]
    fn policies_round_trip_their_names() {
        for name in ["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random"] {
            let p = Policy::from_name(name);
            assert_eq!(Policy::from_code(p as u32), p);
            assert!(!p.volatile());
        }
        assert!(Policy::from_name("volatile-ttl").volatile() && Policy::from_name("volatile-lfu").lfu());
        assert_eq!(Policy::from_code(99), Policy::NoEviction);
    }

    #[test]
    fn every_policy_gets_under_the_limit_and_volatile_ones_spare_persistent_keys() {
        for policy in [
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
        ] {
            let (ks, _) = keyspace(policy, 300);
            for i in 0..400 {
                let key = format!("k{i}");
                let mut l = ks.lock_key(i % 2, key.as_bytes());
                l.set(key.as_bytes(), Value::Int(i as i64));
                if i % 2 == 0 {
                    let at = l.now() + 1_000_000 + i as i64;
                    l.set_expiry(key.as_bytes(), Some(at));
                }
            }
            let outcome = ks.evict_to_limit(&|| used(&ks));
            assert_eq!((policy, outcome), (policy, Outcome::Ok));
            assert_eq!(used(&ks), 300, "{policy}");
            assert_eq!(ks.stats(None).evicted_keys, 100, "{policy}");
            if policy.starts_with("volatile") {
                assert_eq!(keys(&ks, 1), 200, "{policy}: db 1 has no key with a TTL");
            }
        }
    }

    #[test]
    fn volatile_policies_fail_without_keys_with_a_ttl_and_noeviction_always_fails() {
        let (ks, limits) = keyspace("volatile-lru", 10);
        for i in 0..20 {
            let key = format!("k{i}");
            ks.lock_key(0, key.as_bytes()).set(key.as_bytes(), Value::Int(i));
        }
        assert_eq!(ks.evict_to_limit(&|| used(&ks)), Outcome::Fail);
        assert_eq!(used(&ks), 20);
        limits.maxmemory_policy.store(Policy::NoEviction as u32, Ordering::Relaxed);
        assert_eq!(ks.evict_to_limit(&|| used(&ks)), Outcome::Fail);
        limits.maxmemory.store(0, Ordering::Relaxed);
        assert_eq!(ks.evict_to_limit(&|| used(&ks)), Outcome::Ok, "no limit");
    }

    #[test]
    fn volatile_ttl_evicts_the_soonest_deadlines_first() {
        let (ks, limits) = keyspace("volatile-ttl", 150);
        // Many samples: the order is then exact enough to check strictly.
        limits.maxmemory_samples.store(64, Ordering::Relaxed);
        for i in 0..200i64 {
            let key = format!("k{i}");
            let mut l = ks.lock_key(0, key.as_bytes());
            l.set(key.as_bytes(), Value::Int(i));
            let at = l.now() + 1_000_000 + i * 1000;
            l.set_expiry(key.as_bytes(), Some(at));
        }
        assert_eq!(ks.evict_to_limit(&|| used(&ks)), Outcome::Ok);
        let survivors_late = (100..200)
            .filter(|i| ks.lock_key(0, format!("k{i}").as_bytes()).exists(format!("k{i}").as_bytes()))
            .count();
        assert!(survivors_late >= 95, "the later half mostly survives: {survivors_late}");
    }

    #[test]
    fn lfu_counters_start_at_five_grow_logarithmically_and_decay() {
        let now = 10 * 60_000;
        let field = lfu_field(LFU_INIT_VAL, now);
        assert_eq!(lfu_counter(field, now, 1), 5);
        assert_eq!(lfu_counter(field, now + 3 * 60_000, 1), 2, "one per idle minute");
        assert_eq!(lfu_counter(field, now + 3 * 60_000, 0), 5, "decay off");
        assert_eq!(lfu_counter(field, now + 60 * 60_000, 1), 0);
        let mut counter = LFU_INIT_VAL;
        for _ in 0..1000 {
            counter = lfu_increment(counter, 10);
        }
        // Redis's table: about 18 after 1000 hits at factor 10 (a probability, so a range).
        assert!((10..=30).contains(&counter), "{counter}");
        assert_eq!(lfu_increment(255, 0), 255);
    }

    #[test]
    fn under_lfu_an_overwritten_key_keeps_its_counter() {
        let (ks, limits) = keyspace("allkeys-lfu", 0);
        let mut l = ks.lock_key(0, b"k");
        l.set(b"k", Value::Int(1));
        let now = l.now();
        assert_eq!(lfu_counter(l.peek(b"k").unwrap().access_secs(), now, 1), LFU_INIT_VAL);
        l.get(b"k").unwrap().set_access_secs(lfu_field(40, now));
        l.set(b"k", Value::Int(2));
        l.set_string(b"k", b"x");
        assert_eq!(lfu_counter(l.peek(b"k").unwrap().access_secs(), now, 1), 40);
        // Under LRU a write is a new access time.
        limits.maxmemory_policy.store(Policy::AllKeysLru as u32, Ordering::Relaxed);
        l.set(b"k", Value::Int(3));
        let now = l.now();
        assert_eq!(l.peek(b"k").unwrap().idle_secs(now), 0);
    }

    #[test]
    fn a_tenacity_time_limit_stops_a_long_eviction_as_running() {
        let (ks, limits) = keyspace("allkeys-random", 1);
        limits.maxmemory_eviction_tenacity.store(0, Ordering::Relaxed);
        for i in 0..100 {
            let key = format!("k{i}");
            ks.lock_key(0, key.as_bytes()).set(key.as_bytes(), Value::Int(i));
        }
        let calls = AtomicU64::new(0);
        let outcome = ks.evict_to_limit(&|| {
            calls.fetch_add(1, Ordering::Relaxed);
            used(&ks)
        });
        assert_eq!(outcome, Outcome::Running);
        assert_eq!(used(&ks), 100 - 16, "the clock is read every 16 keys");
    }
}
