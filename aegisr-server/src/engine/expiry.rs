//! Active expiry: besides deleting expired keys when they are touched, a background ticker
//! sweeps each shard's expiry tables from a saved cursor, a bounded number of deadlines per
//! shard per pass, so memory held by keys nobody reads again is reclaimed without a pause.

use super::keyspace::Keyspace;
use crate::pubsub::notify::Class;

/// What one pass did, so the ticker can decide whether to go on.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExpireCycle {
    pub examined: usize,
    pub expired: usize,
}

impl Keyspace {
    /// Turns the active sweep on or off (DEBUG SET-ACTIVE-EXPIRE); lazy expiry stays.
    pub fn set_active_expire(&self, on: bool) {
        self.active_expire_off.store(!on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Marks this node as applying a primary's stream until the returned guard is dropped.
    ///
    /// A replica's clock runs ahead of the stream it has applied: deleting a key by its
    /// own clock could run before the primary's PERSIST or EXPIRE that kept the key alive,
    /// and the replica would lose it. So, as a Redis replica, it leaves expired keys to the
    /// stream: its clients no longer see a key past its deadline, but only the applier
    /// deletes it, by the primary's clock (records replay at the time they ran), lazily
    /// and with [`Keyspace::active_expire_pass`] after each batch. By that clock a key
    /// that has expired stays expired, whatever comes later in the stream.
    pub fn follow_primary(&self) -> FollowingPrimary<'_> {
        self.primary_appliers.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        FollowingPrimary(self)
    }

    /// Whether expired keys met on this thread are left in place (see
    /// [`Keyspace::follow_primary`]): on a replica, except for the applier.
    pub(super) fn keeps_expired_keys(&self) -> bool {
        let following = self.primary_appliers.load(std::sync::atomic::Ordering::Relaxed) != 0;
        let held = self.expiry_held_until.load(std::sync::atomic::Ordering::Relaxed);
        (following || (held != 0 && super::wall_ms() < held)) && !super::replaying()
    }

    /// CLIENT PAUSE until `until_ms` (wall clock; a pause only grows), or UNPAUSE with
    /// `None`: meanwhile expired keys are hidden, not deleted (see `keeps_expired_keys`).
    pub fn hold_expiry(&self, until_ms: Option<i64>) {
        let held = &self.expiry_held_until;
        match until_ms {
            Some(at) => held.fetch_max(at, std::sync::atomic::Ordering::Relaxed),
            None => held.swap(0, std::sync::atomic::Ordering::Relaxed),
        };
    }

    /// Sweeps every shard and database for expired keys, examining at most `budget`
    /// deadlines per shard and database. Each shard is locked only for its own sweep.
    pub fn active_expire_pass(&self, budget: usize) -> ExpireCycle {
        let mut cycle = ExpireCycle::default();
        if self.active_expire_off.load(std::sync::atomic::Ordering::Relaxed) || self.keeps_expired_keys() {
            return cycle;
        }
        for index in 0..self.shard_count() {
            let mut shard = self.shard(index, None);
            let now = super::now_ms();
            for db in 0..self.databases() {
                let mut cursor = shard.expire_cursor[db];
                let Some(table) = shard.db_mut(db).filter(|t| t.expire_count > 0) else {
                    shard.avg_ttl_ms[db] = 0;
                    continue;
                };
                let slot_count = table.slots.len();
                let mut examined = 0;
                let mut expired_here = 0;
                let (mut live, mut ttl_sum) = (0u64, 0u64);
                for _ in 0..slot_count {
                    let slot = &mut table.slots[cursor];
                    cursor = (cursor + 1) % slot_count;
                    if slot.expiring() == 0 {
                        continue;
                    }
                    examined += slot.expiring();
                    let swept = slot.remove_expired(now, |key| {
                        self.with_journal(|journal| journal.map(|j| crate::persist::capture::log_expiry(j, db, key)));
                        self.notifier().notify(Class::Expired, "expired", key, db);
                        // A client blocked in XREADGROUP on an expired stream learns it is gone.
                        self.waiters().signal(db, key);
                    });
                    expired_here += swept.removed;
                    live += swept.live as u64;
                    ttl_sum = ttl_sum.saturating_add(swept.ttl_sum_ms);
                    if examined >= budget {
                        break;
                    }
                }
                table.key_count -= expired_here;
                table.expire_count -= expired_here;
                shard.expire_cursor[db] = cursor;
                // Redis's estimate: each sample moves the average by a fiftieth.
                if let Some(sample) = ttl_sum.checked_div(live) {
                    let avg = &mut shard.avg_ttl_ms[db];
                    *avg = if *avg == 0 { sample } else { *avg / 50 * 49 + sample / 50 };
                }
                shard.stats.expired_keys += expired_here as u64;
                cycle.examined += examined;
                cycle.expired += expired_here;
            }
        }
        cycle
    }
}

/// While alive, the node applies a primary's stream (see [`Keyspace::follow_primary`]).
pub struct FollowingPrimary<'a>(&'a Keyspace);

impl Drop for FollowingPrimary<'_> {
    fn drop(&mut self) {
        self.0.primary_appliers.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Keyspace;
    use crate::types::Value;

    #[test]
    fn the_sweep_removes_expired_keys_and_keeps_the_rest() {
        let ks = Keyspace::new(4, 2);
        for i in 0..1000u32 {
            let key = format!("k{i}");
            let mut l = ks.lock_key(i as usize % 2, key.as_bytes());
            l.set(key.as_bytes(), Value::Int(i.into()));
            if i % 4 != 0 {
                let now = l.now();
                // A quarter never expire; the rest are given a deadline then moved past it.
                assert!(l.set_expiry(key.as_bytes(), Some(now + 50)));
            }
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            ks.active_expire_pass(usize::MAX);
            let left: usize = ks.db_sizes(None).iter().map(|s| s.0).sum();
            if left == 250 || std::time::Instant::now() > deadline {
                assert_eq!(left, 250);
                break;
            }
            std::thread::yield_now();
        }
        assert_eq!(ks.stats(None).expired_keys, 750);
        assert_eq!(ks.db_sizes(None).iter().map(|s| s.1).sum::<usize>(), 0);
    }
}
