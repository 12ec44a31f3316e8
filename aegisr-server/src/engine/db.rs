//! One database's share of one shard: a table per hash slot, so a slot's keys can be
//! enumerated (and later migrated) in O(keys in the slot), and every table stays small
//! enough that growing it never stalls the shard.

use std::hash::BuildHasher;
use std::sync::LazyLock;

use hashbrown::{HashMap, HashTable};

pub use super::entry::Entry;

/// Seconds (Unix time, truncated to u32) for access times.
pub(crate) fn secs(now_ms: i64) -> u32 {
    u32::try_from(now_ms / 1000).unwrap_or(u32::MAX)
}

/// The key hash of every slot table: seeded at random once per process, so clients cannot
/// choose keys that collide.
static KEY_HASHER: LazyLock<foldhash::fast::RandomState> = LazyLock::new(foldhash::fast::RandomState::default);

fn hash(key: &[u8]) -> u64 {
    KEY_HASHER.hash_one(key)
}

/// Absolute deadlines (Unix ms) of the keys of a slot that have one.
type Expires = HashMap<Box<[u8]>, i64>;

/// The keys of one hash slot in one database: 40 bytes, so a shard's slot headers stay in
/// cache (the expiry map is boxed: most slots of most workloads have none).
#[derive(Default)]
pub(crate) struct SlotTable {
    keys: HashTable<Entry>,
    expires: Option<Box<Expires>>,
}

impl SlotTable {
    pub(crate) fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.keys.find(hash(key), |e| e.key() == key)
    }

    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.keys.find_mut(hash(key), |e| e.key() == key)
    }

    fn remove_key(&mut self, key: &[u8]) -> Option<Entry> {
        self.keys.find_entry(hash(key), |e| e.key() == key).ok().map(|o| o.remove().0)
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
    /// returns how many.
    pub(crate) fn remove_expired(&mut self, now_ms: i64, mut on_expired: impl FnMut(&[u8])) -> usize {
        let Some(expires) = self.expires.as_mut() else { return 0 };
        let before = expires.len();
        let keys = &mut self.keys;
        expires.retain(|key, at| {
            let live = *at > now_ms;
            if !live {
                if let Ok(found) = keys.find_entry(hash(key), |e| e.key() == &key[..]) {
                    found.remove();
                }
                on_expired(&key[..]);
            }
            live
        });
        let removed = before - expires.len();
        if expires.is_empty() {
            self.expires = None;
        }
        removed
    }
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
    ) -> Option<&mut Entry> {
        let SlotTable { keys, expires } = &mut self.slots[slot];
        let found = keys.find_entry(hash(key), |e| e.key() == key).ok()?;
        if found.get().has_expiry() && expires.as_ref().and_then(|e| e.get(key)).is_some_and(|&at| at <= now_ms()) {
            found.remove();
            SlotTable::clear_deadline(expires, key);
            self.key_count -= 1;
            self.expire_count -= 1;
            *expired += 1;
            return None;
        }
        Some(found.into_mut())
    }

    /// Stores `entry`, replacing (and dropping the expiry of) any entry with its key.
    /// Returns the replaced entry so the caller can free it after unlocking.
    pub(crate) fn insert(&mut self, slot: usize, entry: Entry) -> Option<Entry> {
        let SlotTable { keys, expires } = &mut self.slots[slot];
        let h = hash(entry.key());
        match keys.entry(h, |e| e.key() == entry.key(), |e| hash(e.key())) {
            hashbrown::hash_table::Entry::Occupied(mut occupied) => {
                if occupied.get().has_expiry() {
                    SlotTable::clear_deadline(expires, entry.key());
                    self.expire_count -= 1;
                }
                Some(std::mem::replace(occupied.get_mut(), entry))
            }
            hashbrown::hash_table::Entry::Vacant(vacant) => {
                vacant.insert(entry);
                self.key_count += 1;
                None
            }
        }
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
