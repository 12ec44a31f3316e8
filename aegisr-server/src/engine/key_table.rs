//! The table of one hash slot's keys: open addressing with linear probing over a power-of-
//! two array of entries, each 8 bytes (the entry's block pointer, whose spare top bits
//! hold 16 bits of the key's hash: see `entry.rs`).
//!
//! A lookup reads the table header, then the bucket where the key's probe starts, then the
//! block of the one entry whose tag matches: three dependent loads, where a general hash
//! map adds a control-byte load before the bucket. The low bits of the tag are also the
//! start of the probe, so growing a table and closing the gap a deletion leaves (backward
//! shift, no tombstones) need no key reads while a table has at most 2^16 buckets.

use std::hash::BuildHasher;
use std::sync::LazyLock;

use super::entry::{Entry, TAG_BITS};

/// The key hash: seeded at random once per process, so clients cannot choose keys that
/// collide.
static KEY_HASHER: LazyLock<foldhash::fast::RandomState> = LazyLock::new(foldhash::fast::RandomState::default);

pub(crate) fn key_hash(key: &[u8]) -> u64 {
    KEY_HASHER.hash_one(key)
}

/// The tag of a key's hash: its top 16 bits (0 where entries carry no tag).
fn tag_of(hash: u64) -> u16 {
    if TAG_BITS == 0 { 0 } else { (hash >> 48) as u16 }
}

/// Where the probe for `hash` starts: the tag's bits first, then the hash's low bits for
/// tables of more than 2^16 buckets.
fn home(hash: u64, mask: usize) -> usize {
    (hash.rotate_left(16) as usize) & mask
}

/// Smallest table allocated.
const MIN_CAPACITY: usize = 4;

/// Most entries a table of `capacity` buckets holds. A table of up to 8 buckets is one
/// cache line, scanned whole at the cost of one miss: it may fill up (a probe then stops
/// after every bucket), which is most slots' tables in a keyspace of a few keys per slot.
/// Larger tables stay at most 7/8 full, so probes stay short.
fn max_len(capacity: usize) -> usize {
    if capacity <= 8 { capacity } else { capacity - capacity / 8 }
}

/// A hash table of entries, keyed by the entries' own keys.
#[derive(Default)]
pub(crate) struct KeyTable {
    /// Empty (no allocation) or a power of two long.
    buckets: Box<[Option<Entry>]>,
    len: u32,
}

impl KeyTable {
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.buckets.iter().flatten()
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    /// Where `key` (of hash `hash`) is: `Ok(index)`, or `Err` with the empty bucket its
    /// probe reached (none in a full table, or one without buckets).
    fn probe(&self, hash: u64, key: &[u8]) -> Result<usize, Option<usize>> {
        let mask = self.mask();
        let tag = tag_of(hash);
        let mut i = home(hash, mask);
        for _ in 0..self.buckets.len() {
            match &self.buckets[i] {
                None => return Err(Some(i)),
                Some(entry) if entry.tag() == tag && entry.key() == key => return Ok(i),
                Some(_) => i = (i + 1) & mask,
            }
        }
        Err(None)
    }

    fn find(&self, hash: u64, key: &[u8]) -> Option<usize> {
        self.probe(hash, key).ok()
    }

    pub(crate) fn get(&self, hash: u64, key: &[u8]) -> Option<&Entry> {
        let i = self.find(hash, key)?;
        self.buckets[i].as_ref()
    }

    pub(crate) fn get_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut Entry> {
        let i = self.find(hash, key)?;
        self.buckets[i].as_mut()
    }

    /// The entry of `key`, if present: `Ok` to use it, or `Err(entry)` removed because
    /// `remove_if` said so (lazy expiry).
    pub(crate) fn get_or_remove(
        &mut self,
        hash: u64,
        key: &[u8],
        remove_if: impl FnOnce(&Entry) -> bool,
    ) -> Option<Result<&mut Entry, Entry>> {
        let i = self.find(hash, key)?;
        if self.buckets[i].as_ref().is_some_and(remove_if) {
            return self.remove_at(i).map(Err);
        }
        self.buckets[i].as_mut().map(Ok)
    }

    pub(crate) fn remove(&mut self, hash: u64, key: &[u8]) -> Option<Entry> {
        let i = self.find(hash, key)?;
        self.remove_at(i)
    }

    /// Stores `entry` under its key, returning the entry it replaces.
    pub(crate) fn insert(&mut self, hash: u64, mut entry: Entry) -> Option<Entry> {
        entry.set_tag(tag_of(hash));
        let free = match self.probe(hash, entry.key()) {
            Ok(i) => return self.buckets[i].replace(entry),
            Err(Some(free)) if self.len() < max_len(self.buckets.len()) => free,
            // Full (or no buckets yet): the key is absent, so after growing, its place is
            // the first empty bucket of its probe.
            _ => {
                self.resize((self.buckets.len() * 2).max(MIN_CAPACITY));
                self.first_free(home(hash, self.mask()))
            }
        };
        self.buckets[free] = Some(entry);
        self.len += 1;
        None
    }

    /// Where the probe of `entry` starts in a table of `mask + 1` buckets.
    fn home_of(entry: &Entry, mask: usize) -> usize {
        if TAG_BITS != 0 && mask <= usize::from(u16::MAX) {
            usize::from(entry.tag()) & mask
        } else {
            home(key_hash(entry.key()), mask)
        }
    }

    /// Takes the entry at `i` out and closes the gap: every entry after it in the run that
    /// would no longer be found moves back (so probes never need tombstones). The run ends
    /// at an empty bucket, at the latest the gap itself.
    fn remove_at(&mut self, mut i: usize) -> Option<Entry> {
        let removed = self.buckets[i].take()?;
        self.len -= 1;
        let mask = self.mask();
        let mut j = (i + 1) & mask;
        while let Some(entry) = &self.buckets[j] {
            let home = Self::home_of(entry, mask);
            // The entry at j may fill the gap at i unless its home lies in (i, j].
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(i) & mask) {
                self.buckets[i] = self.buckets[j].take();
                i = j;
            }
            j = (j + 1) & mask;
        }
        // Give memory back when most of the table is empty, as Redis shrinks its dicts.
        if self.len == 0 {
            self.buckets = Box::default();
        } else if self.buckets.len() > MIN_CAPACITY && self.len() < self.buckets.len() / 8 {
            self.resize(self.buckets.len() / 2);
        }
        Some(removed)
    }

    /// Moves every entry into a table of `capacity` buckets (a power of two).
    fn resize(&mut self, capacity: usize) {
        let old = std::mem::replace(&mut self.buckets, (0..capacity).map(|_| None).collect());
        let mask = capacity - 1;
        for entry in old.into_vec().into_iter().flatten() {
            let i = self.first_free(Self::home_of(&entry, mask));
            self.buckets[i] = Some(entry);
        }
    }

    /// The first empty bucket from `start` on (there is one: called on a table just grown
    /// or shrunk, so not full).
    fn first_free(&self, mut i: usize) -> usize {
        let mask = self.mask();
        while self.buckets[i].is_some() {
            i = (i + 1) & mask;
        }
        i
    }

    /// Starts loading the bucket where the probe for `hash` begins.
    pub(crate) fn prefetch_bucket(&self, hash: u64) {
        if !self.buckets.is_empty() {
            super::prefetch::prefetch_read(&self.buckets[home(hash, self.mask())]);
        }
    }

    /// Starts loading the block of the first entry whose tag matches `hash` (the bucket
    /// itself is read: call after [`KeyTable::prefetch_bucket`] had time to work).
    pub(crate) fn prefetch_entry(&self, hash: u64) {
        if self.buckets.is_empty() {
            return;
        }
        let mask = self.mask();
        let tag = tag_of(hash);
        let mut i = home(hash, mask);
        for _ in 0..self.buckets.len() {
            match &self.buckets[i] {
                Some(entry) if entry.tag() == tag => return entry.prefetch(),
                Some(_) => i = (i + 1) & mask,
                None => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::types::{Value, ValueRef};

    fn entry(key: &[u8], n: i64) -> Entry {
        Entry::new(key, Value::Int(n), 0)
    }

    fn value(table: &KeyTable, hash: u64, key: &[u8]) -> Option<i64> {
        match table.get(hash, key)?.value() {
            ValueRef::Int(n) => Some(n),
            _ => None,
        }
    }

    /// A small xorshift generator: the test is the same on every run.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Random inserts, replacements and removals agree with a HashMap, under real hashes
    /// and under hashes crafted to collide (few homes, equal tags), which exercise long
    /// probes, wrap-around and the backward shift.
    #[test]
    fn agrees_with_a_model_under_random_operations() {
        let crafted: [fn(&[u8]) -> u64; 3] = [
            key_hash,
            // Every key starts its probe in one of two buckets, with one of two tags.
            |key| if key_hash(key) & 1 == 0 { 0x0001_0000_0000_0000 } else { 0x0003_0000_0000_0000 },
            // Distinct tags, homes crowded near the end so runs wrap around.
            |key| (key_hash(key) & 0xffff_0000_0000_0000) | 0x0000_ffff_ffff_fff0,
        ];
        for hash_of in crafted {
            let mut table = KeyTable::default();
            let mut model: HashMap<Vec<u8>, i64> = HashMap::new();
            let mut state = 0x9e37_79b9_7f4a_7c15u64;
            for step in 0..40_000i64 {
                // Phases of few keys (full one-line tables) and of many (long runs).
                let range = if (step / 2000) % 2 == 0 { 12 } else { 300 };
                let key = format!("k{}", next(&mut state) % range).into_bytes();
                let hash = hash_of(&key);
                match next(&mut state) % 3 {
                    0 | 1 => {
                        let replaced = table.insert(hash, entry(&key, step)).map(|e| e.key().to_vec());
                        let before = model.insert(key.clone(), step);
                        assert_eq!(replaced.is_some(), before.is_some());
                    }
                    _ => {
                        let removed = table.remove(hash, &key).map(|e| e.key().to_vec());
                        assert_eq!(removed, model.remove(&key).map(|_| key.clone()));
                    }
                }
                assert_eq!(table.len(), model.len());
                if step % 97 == 0 {
                    for (key, &n) in &model {
                        assert_eq!(value(&table, hash_of(key), key), Some(n), "step {step}");
                    }
                    assert_eq!(table.iter().count(), model.len());
                }
            }
            for (key, &n) in &model {
                assert_eq!(value(&table, hash_of(key), key), Some(n));
            }
        }
    }

    #[test]
    fn grows_keeping_a_free_bucket_and_gives_memory_back_when_emptied() {
        let mut table = KeyTable::default();
        assert_eq!(table.buckets.len(), 0);
        assert!(table.get(key_hash(b"x"), b"x").is_none());
        let keys: Vec<Vec<u8>> = (0..1000).map(|i| format!("key:{i}").into_bytes()).collect();
        for (i, key) in keys.iter().enumerate() {
            assert!(table.insert(key_hash(key), entry(key, i as i64)).is_none());
            assert!(table.len() <= max_len(table.buckets.len()));
            assert!(table.buckets.len().is_power_of_two());
        }
        assert_eq!(table.buckets.len(), 2048);
        for key in &keys[..990] {
            assert!(table.remove(key_hash(key), key).is_some());
        }
        assert!(table.buckets.len() <= 128, "shrunk to {}", table.buckets.len());
        for (i, key) in keys.iter().enumerate().skip(990) {
            assert_eq!(value(&table, key_hash(key), key), Some(i as i64));
        }
        for key in &keys[990..] {
            assert!(table.remove(key_hash(key), key).is_some());
        }
        assert_eq!((table.len(), table.buckets.len()), (0, 0));
    }

    /// Past 2^16 buckets the probe start needs more bits than the tag: moves rehash keys.
    #[test]
    fn tables_beyond_the_tag_range_stay_consistent() {
        let mut table = KeyTable::default();
        let keys: Vec<Vec<u8>> = (0..70_000).map(|i| format!("{{slot}}:{i}").into_bytes()).collect();
        for (i, key) in keys.iter().enumerate() {
            table.insert(key_hash(key), entry(key, i as i64));
        }
        assert!(table.buckets.len() > 1 << 16);
        for key in keys.iter().step_by(2) {
            assert!(table.remove(key_hash(key), key).is_some());
        }
        for (i, key) in keys.iter().enumerate() {
            let expected = (i % 2 == 1).then_some(i as i64);
            assert_eq!(value(&table, key_hash(key), key), expected);
        }
    }

    /// A one-line table fills up: lookups of absent keys, removals and prefetches still
    /// end, and the ninth key grows it.
    #[test]
    fn small_tables_fill_up_and_still_answer() {
        let mut table = KeyTable::default();
        let keys: Vec<Vec<u8>> = (0..9).map(|i| format!("f{i}").into_bytes()).collect();
        for (i, key) in keys.iter().take(8).enumerate() {
            table.insert(key_hash(key), entry(key, i as i64));
        }
        assert_eq!((table.len(), table.buckets.len()), (8, 8));
        assert!(table.get(key_hash(b"absent"), b"absent").is_none());
        assert!(table.remove(key_hash(b"absent"), b"absent").is_none());
        table.prefetch_entry(key_hash(b"absent"));
        assert!(table.remove(key_hash(&keys[3]), &keys[3]).is_some());
        table.insert(key_hash(&keys[3]), entry(&keys[3], 3));
        assert_eq!(table.buckets.len(), 8);
        table.insert(key_hash(&keys[8]), entry(&keys[8], 8));
        assert_eq!((table.len(), table.buckets.len()), (9, 16));
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(value(&table, key_hash(key), key), Some(i as i64));
        }
    }

    #[test]
    fn get_or_remove_removes_only_when_asked() {
        let mut table = KeyTable::default();
        let hash = key_hash(b"a");
        table.insert(hash, entry(b"a", 1));
        assert!(matches!(table.get_or_remove(hash, b"a", |_| false), Some(Ok(_))));
        assert!(matches!(table.get_or_remove(hash, b"a", |_| true), Some(Err(_))));
        assert!(table.get_or_remove(hash, b"a", |_| true).is_none());
        assert_eq!(table.len(), 0);
    }

    /// A value replaced in place (a new block) is still found: it keeps its tag.
    #[test]
    fn a_new_value_keeps_the_tag_the_table_set() {
        let mut table = KeyTable::default();
        let hash = key_hash(b"s");
        table.insert(hash, Entry::new(b"s", Value::Str(b"small".to_vec()), 0));
        let tag = table.get(hash, b"s").map(Entry::tag);
        if let Some(e) = table.get_mut(hash, b"s") {
            e.set_value(Value::Str(vec![b'x'; 10_000]));
        }
        assert_eq!(table.get(hash, b"s").map(Entry::tag), tag);
        assert_eq!(table.get(hash, b"s").map(|e| e.value().string_len()), Some(Some(10_000)));
        if TAG_BITS != 0 {
            assert_eq!(tag, Some((hash >> 48) as u16));
        }
        // Prefetching reads only what the table owns, found or not.
        table.prefetch_bucket(hash);
        table.prefetch_entry(hash);
        table.prefetch_entry(key_hash(b"absent"));
        KeyTable::default().prefetch_entry(hash);
    }
}
