//! One database's share of one shard: a table per hash slot, so a slot's keys can be
//! enumerated (and later migrated) in O(keys in the slot), and every table stays small
//! enough that growing it never stalls the shard.

use hashbrown::HashMap;

pub use super::entry::Entry;
use super::key_table::{KeyTable, key_hash as hash};

/// Seconds (Unix time, truncated to u32) for access times.
pub(crate) fn secs(now_ms: i64) -> u32 {
    u32::try_from(now_ms / 1000).unwrap_or(u32::MAX)
}

/// Absolute deadlines (Unix ms) of the keys of a slot that have one.
type Expires = HashMap<Box<[u8]>, i64>;

/// The keys of one hash slot in one database: 32 bytes, so a shard's slot headers stay in
/// cache (the expiry map is boxed: most slots of most workloads have none).
#[derive(Default)]
pub(crate) struct SlotTable {
    keys: KeyTable,
    expires: Option<Box<Expires>>,
}

impl SlotTable {
    pub(crate) fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.keys.get(hash(key), key)
    }

    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.keys.get_mut(hash(key), key)
    }

    fn remove_key(&mut self, key: &[u8]) -> Option<Entry> {
        self.keys.remove(hash(key), key)
    }

    /// Starts loading the bucket where a lookup of `hash` begins.
    pub(crate) fn prefetch_bucket(&self, hash: u64) {
        self.keys.prefetch_bucket(hash);
    }

    /// Starts loading the block of the entry a lookup of `hash` would compare first.
    pub(crate) fn prefetch_entry(&self, hash: u64) {
        self.keys.prefetch_entry(hash);
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.keys.iter()
    }

    /// How many keys the slot holds (eviction sampling).
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The keys with a deadline, and their deadlines (volatile eviction sampling).
    pub(crate) fn deadlines(&self) -> impl Iterator<Item = (&[u8], i64)> {
        self.expires.iter().flat_map(|e| e.iter()).map(|(key, at)| (&key[..], *at))
    }

    /// Whether `key` (present in the table) is not past its deadline.
    pub(crate) fn is_live(&self, key: &[u8], now_ms: i64) -> bool {
        self.expiry(key).is_none_or(|at| at > now_ms)
    }

    pub(crate) fn expiry(&self, key: &[u8]) -> Option<i64> {
        self.expires.as_ref()?.get(key).copied()
    }

    /// How many keys of this slot have a deadline.
    pub(crate) fn expiring(&self) -> usize {
        self.expires.as_ref().map_or(0, |e| e.len())
    }

    fn set_deadline(&mut self, key: &[u8], at: i64) {
        let expires = self.expires.get_or_insert_with(Box::default);
        match expires.get_mut(key) {
            Some(deadline) => *deadline = at,
            None => {
                expires.insert(key.into(), at);
            }
        }
    }

    fn clear_deadline(expires: &mut Option<Box<Expires>>, key: &[u8]) {
        if let Some(map) = expires {
            map.remove(key);
            if map.is_empty() {
                *expires = None;
            }
        }
    }

    /// Deletes every key whose deadline is not after `now_ms`, telling `on_expired` each key;
    /// returns how many, and what is left with a deadline.
    pub(crate) fn remove_expired(&mut self, now_ms: i64, mut on_expired: impl FnMut(&[u8])) -> Swept {
        let mut swept = Swept::default();
        let Some(expires) = self.expires.as_mut() else { return swept };
        let before = expires.len();
        let keys = &mut self.keys;
        expires.retain(|key, at| {
            let live = *at > now_ms;
            if live {
                swept.ttl_sum_ms += (*at - now_ms).unsigned_abs();
            } else {
                keys.remove(hash(key), key);
                on_expired(&key[..]);
            }
            live
        });
        swept.removed = before - expires.len();
        swept.live = expires.len();
        if expires.is_empty() {
            self.expires = None;
        }
        swept
    }
}

/// What a sweep of a slot's deadlines found: the keys it deleted, and the keys left with a
/// deadline and their remaining time to live, summed (for INFO's `avg_ttl`).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Swept {
    pub(crate) removed: usize,
    pub(crate) live: usize,
    pub(crate) ttl_sum_ms: u64,
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
    /// here (lazy expiry) and counted in `expired`. One hash lookup either way.
    /// `now_ms` is asked only for a key that has a deadline.
    pub(crate) fn live_entry(
        &mut self,
        slot: usize,
        key: &[u8],
        now_ms: impl FnOnce() -> i64,
        expired: &mut u64,
        keep_expired: bool,
    ) -> Option<&mut Entry> {
        let SlotTable { keys, expires } = &mut self.slots[slot];
        let is_expired =
            |e: &Entry| e.has_expiry() && expires.as_ref().and_then(|e| e.get(key)).is_some_and(|&at| at <= now_ms());
        if keep_expired {
            // A replica's client: the key is gone for it, but deleting it is the primary's
            // stream's job (see `Keyspace::follow_primary`).
            return keys.get_mut(hash(key), key).filter(|e| !is_expired(e));
        }
        match keys.get_or_remove(hash(key), key, is_expired)? {
            Ok(entry) => Some(entry),
            Err(_expired) => {
                SlotTable::clear_deadline(expires, key);
                self.key_count -= 1;
                self.expire_count -= 1;
                *expired += 1;
                None
            }
        }
    }

    /// Overwrites the string of an existing `key` with `bytes` in its own block, dropping its
    /// expiry, when the block has exactly the room (see [`Entry::overwrite_string`]); false
    /// (nothing changed) otherwise.
    pub(crate) fn overwrite_string(&mut self, slot: usize, key: &[u8], bytes: &[u8], access_secs: u32) -> bool {
        let SlotTable { keys, expires } = &mut self.slots[slot];
        let Some(entry) = keys.get_mut(hash(key), key) else { return false };
        let had_expiry = entry.has_expiry();
        if !entry.overwrite_string(bytes, access_secs) {
            return false;
        }
        if had_expiry {
            SlotTable::clear_deadline(expires, key);
            self.expire_count -= 1;
        }
        true
    }

    /// Stores `entry`, replacing (and dropping the expiry of) any entry with its key.
    /// Returns the replaced entry so the caller can free it after unlocking.
    pub(crate) fn insert(&mut self, slot: usize, entry: Entry) -> Option<Entry> {
        let SlotTable { keys, expires } = &mut self.slots[slot];
        let replaced = keys.insert(hash(entry.key()), entry);
        match &replaced {
            Some(old) if old.has_expiry() => {
                SlotTable::clear_deadline(expires, old.key());
                self.expire_count -= 1;
            }
            Some(_) => {}
            None => self.key_count += 1,
        }
        replaced
    }

    pub(crate) fn remove(&mut self, slot: usize, key: &[u8]) -> Option<Entry> {
        let table = &mut self.slots[slot];
        let entry = table.remove_key(key)?;
        self.key_count -= 1;
        if entry.has_expiry() {
            SlotTable::clear_deadline(&mut table.expires, key);
            self.expire_count -= 1;
        }
        Some(entry)
    }

    pub(crate) fn expiry(&self, slot: usize, key: &[u8]) -> Option<i64> {
        self.slots[slot].expiry(key)
    }

    /// Sets or clears the deadline of an existing key; returns false if the key is absent.
    pub(crate) fn set_expiry(&mut self, slot: usize, key: &[u8], at: Option<i64>) -> bool {
        let table = &mut self.slots[slot];
        let Some(entry) = table.get_mut(key) else {
            return false;
        };
        match at {
            Some(at) => {
                if !entry.has_expiry() {
                    entry.set_has_expiry(true);
                    self.expire_count += 1;
                }
                table.set_deadline(key, at);
            }
            None => {
                if entry.has_expiry() {
                    entry.set_has_expiry(false);
                    SlotTable::clear_deadline(&mut table.expires, key);
                    self.expire_count -= 1;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shard holds a header per slot whether the slot has keys or not.
    #[test]
    fn slot_headers_are_32_bytes() {
        assert_eq!(std::mem::size_of::<SlotTable>(), 32);
    }
}
