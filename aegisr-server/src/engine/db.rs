//! One database's share of one shard: a table per hash slot, so a slot's keys can be
//! enumerated (and later migrated) in O(keys in the slot), and every table stays small
//! enough that growing it never stalls the shard.

use hashbrown::HashMap;

use crate::types::Value;

/// A key's value plus the little metadata every key carries.
#[derive(Debug, Clone)]
pub struct Entry {
    pub value: Value,
    /// Seconds (Unix time, truncated) of the last access, for OBJECT IDLETIME and LRU.
    pub(crate) access_secs: u32,
    /// Whether the slot's expiry table holds a deadline for this key, so reads of keys
    /// without a TTL never look there.
    pub(crate) has_expiry: bool,
}

impl Entry {
    pub(crate) fn new(value: Value, now_ms: i64) -> Entry {
        Entry { value, access_secs: secs(now_ms), has_expiry: false }
    }

    /// Seconds since this key was last read or written.
    pub fn idle_secs(&self, now_ms: i64) -> u64 {
        u64::from(secs(now_ms).saturating_sub(self.access_secs))
    }
}

pub(crate) fn secs(now_ms: i64) -> u32 {
    u32::try_from(now_ms / 1000).unwrap_or(u32::MAX)
}

/// The keys of one hash slot in one database.
#[derive(Default)]
pub(crate) struct SlotTable {
    pub(crate) keys: HashMap<Box<[u8]>, Entry>,
    /// Absolute deadlines (Unix ms) of the keys that have one.
    pub(crate) expires: HashMap<Box<[u8]>, i64>,
}

/// One database's part of one shard.
pub(crate) struct DbShard {
    pub(crate) slots: Box<[SlotTable]>,
    pub(crate) key_count: usize,
    pub(crate) expire_count: usize,
}

impl DbShard {
    pub(crate) fn new(slot_count: usize) -> DbShard {
        DbShard { slots: (0..slot_count).map(|_| SlotTable::default()).collect(), key_count: 0, expire_count: 0 }
    }

    /// The entry for `key` if it exists and has not expired; an expired key is deleted
    /// here (lazy expiry) and reported through `expired`.
    pub(crate) fn live_entry(&mut self, slot: usize, key: &[u8], now_ms: i64, expired: &mut u64) -> Option<&mut Entry> {
        let table = &mut self.slots[slot];
        let has_expiry = table.keys.get(key)?.has_expiry;
        if has_expiry && table.expires.get(key).is_some_and(|&at| at <= now_ms) {
            table.keys.remove(key);
            table.expires.remove(key);
            self.key_count -= 1;
            self.expire_count -= 1;
            *expired += 1;
            return None;
        }
        self.slots[slot].keys.get_mut(key)
    }

    pub(crate) fn insert(&mut self, slot: usize, key: &[u8], entry: Entry) {
        let table = &mut self.slots[slot];
        match table.keys.get_mut(key) {
            Some(existing) => {
                if existing.has_expiry {
                    table.expires.remove(key);
                    self.expire_count -= 1;
                }
                *existing = entry;
            }
            None => {
                table.keys.insert(key.into(), entry);
                self.key_count += 1;
            }
        }
    }

    pub(crate) fn remove(&mut self, slot: usize, key: &[u8]) -> Option<Entry> {
        let table = &mut self.slots[slot];
        let entry = table.keys.remove(key)?;
        self.key_count -= 1;
        if entry.has_expiry {
            table.expires.remove(key);
            self.expire_count -= 1;
        }
        Some(entry)
    }

    pub(crate) fn expiry(&self, slot: usize, key: &[u8]) -> Option<i64> {
        self.slots[slot].expires.get(key).copied()
    }

    /// Sets or clears the deadline of an existing key; returns false if the key is absent.
    pub(crate) fn set_expiry(&mut self, slot: usize, key: &[u8], at: Option<i64>) -> bool {
        let table = &mut self.slots[slot];
        let Some(entry) = table.keys.get_mut(key) else {
            return false;
        };
        match at {
            Some(at) => {
                if !entry.has_expiry {
                    entry.has_expiry = true;
                    self.expire_count += 1;
                }
                match table.expires.get_mut(key) {
                    Some(deadline) => *deadline = at,
                    None => {
                        table.expires.insert(key.into(), at);
                    }
                }
            }
            None => {
                if entry.has_expiry {
                    entry.has_expiry = false;
                    table.expires.remove(key);
                    self.expire_count -= 1;
                }
            }
        }
        true
    }
}
