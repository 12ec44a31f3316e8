//! Enumerating keys: SCAN's cursor, KEYS and RANDOMKEY.
//!
//! A SCAN cursor is `slot << 32 | h`: the scan has returned every key of the slots before
//! `slot`, and every key of `slot` whose 32-bit scan hash is below `h`. Scan hashes do not
//! change when tables grow or shrink, so a key present for the whole scan is returned
//! (exactly once, unless it is deleted and re-added), which is Redis's guarantee.

use std::hash::BuildHasher;

use bytes::Bytes;

use super::held::Tx;
use super::keyspace::{Keyspace, Shard};
use super::slot::SLOT_COUNT;
use crate::engine::glob::glob_match;
use crate::types::ValueKind;

/// What SCAN and KEYS return: keys matching a pattern and of a type, both optional.
#[derive(Debug, Default, Clone, Copy)]
pub struct ScanFilter<'a> {
    pub pattern: Option<&'a [u8]>,
    pub kind: Option<ValueKind>,
}

impl ScanFilter<'_> {
    fn accepts(&self, key: &[u8], kind: ValueKind) -> bool {
        self.pattern.is_none_or(|p| glob_match(p, key, false)) && self.kind.is_none_or(|k| k == kind)
    }
}

fn scan_hash(key: &[u8]) -> u32 {
    // Fixed seed: the order must be the same on every call of one scan, and across restarts.
    foldhash::fast::FixedState::with_seed(0x6165_6769_7372_5f73).hash_one(key) as u32
}

impl Keyspace {
    /// One SCAN step from `cursor`, looking at about `count` keys; returns the next cursor
    /// (0 when the scan is complete) and the keys that passed the filter.
    pub fn scan<'a>(
        &'a self,
        db: usize,
        cursor: u64,
        count: usize,
        filter: &ScanFilter<'_>,
        tx: Tx<'a>,
    ) -> (u64, Vec<Bytes>) {
        let count = count.max(1);
        let mut slot = usize::try_from(cursor >> 32).unwrap_or(usize::MAX);
        let mut threshold = cursor as u32;
        let mut out = Vec::new();
        let mut examined = 0usize;
        let slot_mask = (1usize << self.slot_shift()) - 1;
        while slot < SLOT_COUNT {
            let shard_index = slot >> self.slot_shift();
            let mut shard = self.shard(shard_index, tx);
            let now = super::now_ms();
            let Some(table) = shard.db_mut(db) else {
                // Nothing in this shard for this database: skip all its slots.
                slot = (shard_index + 1) << self.slot_shift();
                threshold = 0;
                continue;
            };
            // Expired keys met, deleted once this shard's table is no longer borrowed.
            let mut expired = Vec::new();
            let mut done = None;
            while slot < SLOT_COUNT && slot >> self.slot_shift() == shard_index {
                let local = slot & slot_mask;
                let slot_table = &table.slots[local];
                let mut candidates: Vec<(u32, &[u8])> =
                    slot_table.iter().map(|e| (scan_hash(e.key()), e.key())).filter(|&(h, _)| h >= threshold).collect();
                candidates.sort_unstable_by_key(|&(h, _)| h);
                let room = count.saturating_sub(examined);
                // Take `room` keys, plus any that share the last taken hash: a cursor cannot
                // point between keys of equal hash.
                let mut take = room.min(candidates.len());
                while take > 0 && take < candidates.len() && candidates[take].0 == candidates[take - 1].0 {
                    take += 1;
                }
                for &(_, key) in &candidates[..take] {
                    if let Some(entry) = slot_table.get(key) {
                        if !slot_table.is_live(key, now) {
                            expired.push((local, Bytes::copy_from_slice(key)));
                        } else if filter.accepts(key, entry.value().kind()) {
                            out.push(Bytes::copy_from_slice(key));
                        }
                    }
                }
                examined += take;
                if take < candidates.len() {
                    // The slot is not finished; resume after the last hash returned.
                    let next = u64::from(candidates[take - 1].0) + 1;
                    done = Some(((slot as u64) << 32) | next);
                    break;
                }
                slot += 1;
                threshold = 0;
                if examined >= count {
                    done = Some(if slot >= SLOT_COUNT { 0 } else { (slot as u64) << 32 });
                    break;
                }
            }
            self.delete_expired(&mut shard, db, expired);
            if let Some(next) = done {
                return (next, out);
            }
        }
        (0, out)
    }

    /// Every live key of `db` that passes `filter` (KEYS). Each shard is locked in turn.
    pub fn keys<'a>(&'a self, db: usize, filter: &ScanFilter<'_>, tx: Tx<'a>) -> Vec<Bytes> {
        let mut out = Vec::new();
        self.for_each_db_shard(db, tx, |_, table, now| {
            for slot in table.slots.iter() {
                for entry in slot.iter() {
                    let key = entry.key();
                    if slot.is_live(key, now) && filter.accepts(key, entry.value().kind()) {
                        out.push(Bytes::copy_from_slice(key));
                    }
                }
            }
        });
        out
    }

    /// A random live key of `db`, or `None` when it is empty.
    pub fn random_key<'a>(&'a self, db: usize, tx: Tx<'a>) -> Option<Bytes> {
        if self.db_size(db, tx) == 0 {
            return None;
        }
        // Random slots first (cheap when the database is dense), then a sweep from a random
        // start so a sparse database still answers in one pass.
        for _ in 0..64 {
            let slot = fastrand::usize(..SLOT_COUNT);
            if let Some(key) = self.random_key_in_slot(db, slot, tx) {
                return Some(key);
            }
        }
        let start = fastrand::usize(..SLOT_COUNT);
        (0..SLOT_COUNT).find_map(|i| self.random_key_in_slot(db, (start + i) % SLOT_COUNT, tx))
    }

    fn random_key_in_slot<'a>(&'a self, db: usize, slot: usize, tx: Tx<'a>) -> Option<Bytes> {
        let mut shard = self.shard(slot >> self.slot_shift(), tx);
        let now = super::now_ms();
        let local = slot & ((1 << self.slot_shift()) - 1);
        let table = &shard.db_mut(db)?.slots[local];
        let expired: Vec<Bytes> =
            table.iter().filter(|e| !table.is_live(e.key(), now)).map(|e| Bytes::copy_from_slice(e.key())).collect();
        let live = table.len() - expired.len();
        let picked = (live > 0).then(|| {
            let pick = fastrand::usize(..live);
            table.iter().filter(|e| table.is_live(e.key(), now)).nth(pick).map(|e| Bytes::copy_from_slice(e.key()))
        });
        self.delete_expired(&mut shard, db, expired.into_iter().map(|key| (local, key)).collect());
        picked.flatten()
    }

    /// Deletes the expired keys SCAN or RANDOMKEY met in `db` (with their local slots), as a
    /// command's lookup does (and as Redis's SCAN and RANDOMKEY do): counted, announced,
    /// and logged for replicas. Left in place where expired keys are kept (a replica, or
    /// while clients are paused).
    fn delete_expired(&self, shard: &mut Shard, db: usize, keys: Vec<(usize, Bytes)>) {
        if keys.is_empty() || self.keeps_expired_keys() {
            return;
        }
        let Some(table) = shard.db_mut(db) else { return };
        let mut deleted = Vec::with_capacity(keys.len());
        for (local, key) in keys {
            if table.remove(local, &key).is_some() {
                deleted.push(key);
            }
        }
        shard.stats.expired_keys += deleted.len() as u64;
        for key in deleted {
            self.with_journal(|journal| journal.map(|j| crate::persist::capture::log_expiry(j, db, &key)));
            self.notifier().notify(crate::pubsub::notify::Class::Expired, "expired", &key, db);
            self.waiters().signal(db, &key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::types::Value;

    fn filled(n: usize) -> Keyspace {
        let ks = Keyspace::new(8, 1);
        for i in 0..n {
            let key = format!("key:{i}");
            ks.lock_key(0, key.as_bytes()).set(key.as_bytes(), Value::Int(i as i64));
        }
        ks
    }

    #[test]
    fn a_full_scan_returns_every_key_once() {
        let ks = filled(5000);
        let mut seen = HashSet::new();
        let mut cursor = 0;
        loop {
            let (next, keys) = ks.scan(0, cursor, 37, &ScanFilter::default(), None);
            for k in keys {
                assert!(seen.insert(k), "duplicate");
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        assert_eq!(seen.len(), 5000);
    }

    #[test]
    fn keys_added_during_a_scan_do_not_hide_existing_ones() {
        let ks = filled(2000);
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            let (next, keys) = ks.scan(0, cursor, 10, &ScanFilter::default(), None);
            seen.extend(keys);
            // Grow every table while the scan is under way.
            for j in 0..20 {
                let key = format!("new:{round}:{j}");
                ks.lock_key(0, key.as_bytes()).set(key.as_bytes(), Value::Int(0));
            }
            round += 1;
            if next == 0 {
                break;
            }
            cursor = next;
        }
        for i in 0..2000 {
            assert!(seen.contains(format!("key:{i}").as_bytes()), "key:{i} missed");
        }
    }

    #[test]
    fn one_huge_slot_is_scanned_in_steps() {
        let ks = Keyspace::new(8, 1);
        for i in 0..1000 {
            let key = format!("{{tag}}:{i}");
            ks.lock_key(0, key.as_bytes()).set(key.as_bytes(), Value::Int(i));
        }
        let (next, keys) = ks.scan(0, 0, 10, &ScanFilter::default(), None);
        assert!(next != 0 && keys.len() < 50);
    }

    #[test]
    fn keys_filters_by_pattern_and_random_key_finds_one() {
        let ks = filled(100);
        let filter = ScanFilter { pattern: Some(b"key:1?"), kind: None };
        assert_eq!(ks.keys(0, &filter, None).len(), 10);
        assert!(ks.random_key(0, None).is_some());
        assert!(Keyspace::new(4, 1).random_key(0, None).is_none());
    }
}
