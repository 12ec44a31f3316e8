//! Hashes: field -> value maps, in two encodings as Redis keeps them.
//!
//! - **listpack** (small hashes): a vector of (field, value) pairs in insertion order,
//!   searched linearly, as Redis's listpack is. Deleting keeps the order.
//! - **hashtable** (past `hash-max-listpack-entries` entries or a field or value longer than
//!   `hash-max-listpack-value`): the same vector plus a hash index of positions into it
//!   (the indexmap design). Deleting swaps the last pair into the hole.
//!
//! The conversion is one-way, as in Redis. Keeping the pairs in a vector in both encodings
//! gives O(1) random picks (HRANDFIELD) and a simple HSCAN cursor: a position, scanned from
//! the top down. Pairs only move downwards (a delete moves the last pair into the hole) and
//! new pairs are appended, so a pair present for the whole scan is returned at least once.

use std::hash::BuildHasher;

use hashbrown::HashTable;

type Pair = (Box<[u8]>, Box<[u8]>);

/// The `hash-max-listpack-*` limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl Limits {
    pub fn new(entries: i64, value: i64) -> Limits {
        Limits { entries: usize::try_from(entries).unwrap_or(0), value: usize::try_from(value).unwrap_or(0) }
    }
}

#[derive(Clone)]
struct Index {
    table: HashTable<usize>,
    state: foldhash::fast::RandomState,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("len", &self.table.len()).finish()
    }
}

/// A hash value.
#[derive(Debug, Clone, Default)]
pub struct Hash {
    pairs: Vec<Pair>,
    /// Present once the hash is a hashtable.
    index: Option<Index>,
}

impl PartialEq for Hash {
    fn eq(&self, other: &Hash) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

impl Hash {
    pub fn new() -> Hash {
        Hash::default()
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The encoding `OBJECT ENCODING` reports, with Redis's names.
    pub fn encoding(&self) -> &'static str {
        if self.index.is_some() { "hashtable" } else { "listpack" }
    }

    /// The pairs, in storage order (insertion order while a listpack).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], &[u8])> {
        self.pairs.iter().map(|(f, v)| (&f[..], &v[..]))
    }

    /// The pair at storage position `i` (for random picks).
    pub fn pair_at(&self, i: usize) -> Option<(&[u8], &[u8])> {
        self.pairs.get(i).map(|(f, v)| (&f[..], &v[..]))
    }

    fn position(&self, field: &[u8]) -> Option<usize> {
        match &self.index {
            None => self.pairs.iter().position(|(f, _)| **f == *field),
            Some(index) => {
                let hash = index.state.hash_one(field);
                index.table.find(hash, |&i| *self.pairs[i].0 == *field).copied()
            }
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.position(field).map(|i| &self.pairs[i].1[..])
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.position(field).is_some()
    }

    fn convert(&mut self) {
        if self.index.is_some() {
            return;
        }
        let state = foldhash::fast::RandomState::default();
        let mut table = HashTable::with_capacity(self.pairs.len());
        let pairs = &self.pairs;
        for (i, (field, _)) in pairs.iter().enumerate() {
            table.insert_unique(state.hash_one(&field[..]), i, |&j| state.hash_one(&pairs[j].0[..]));
        }
        self.index = Some(Index { table, state });
    }

    /// Sets `field` to `value`; true when the field is new. Converts to a hashtable when
    /// the field or value is too long for a listpack, or the hash has too many entries.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if self.index.is_none() && (field.len() > limits.value || value.len() > limits.value) {
            self.convert();
        }
        if let Some(i) = self.position(field) {
            self.pairs[i].1 = value.into();
            return false;
        }
        let i = self.pairs.len();
        self.pairs.push((field.into(), value.into()));
        match &mut self.index {
            Some(index) => {
                let pairs = &self.pairs;
                let state = &index.state;
                index.table.insert_unique(state.hash_one(field), i, |&j| state.hash_one(&pairs[j].0[..]));
            }
            None if self.pairs.len() > limits.entries => self.convert(),
            None => {}
        }
        true
    }

    /// Deletes `field`; true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        let Some(i) = self.position(field) else {
            return false;
        };
        match &mut self.index {
            // A listpack keeps its order.
            None => drop(self.pairs.remove(i)),
            Some(index) => {
                let hash = index.state.hash_one(field);
                if let Ok(entry) = index.table.find_entry(hash, |&j| j == i) {
                    entry.remove();
                }
                let last = self.pairs.len() - 1;
                if i != last {
                    let moved = index.state.hash_one(&self.pairs[last].0[..]);
                    if let Some(slot) = index.table.find_mut(moved, |&j| j == last) {
                        *slot = i;
                    }
                }
                drop(self.pairs.swap_remove(i));
            }
        }
        true
    }

    /// One HSCAN step from `cursor`, looking at about `count` pairs: the next cursor (0 when
    /// done) and the positions of the pairs returned. A listpack is returned whole.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, std::ops::Range<usize>) {
        if self.index.is_none() {
            return (0, 0..self.pairs.len());
        }
        // The cursor is the (exclusive) top of the positions still to visit; 0 starts.
        let top = if cursor == 0 { self.pairs.len() } else { usize::try_from(cursor).unwrap_or(usize::MAX) };
        let top = top.min(self.pairs.len());
        let bottom = top.saturating_sub(count.max(1));
        let next = if bottom == 0 { 0 } else { bottom as u64 };
        (next, bottom..top)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::{BTreeMap, HashSet};

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn converts_on_entries_and_value_length() {
        let limits = Limits::new(2, 4);
        let mut h = Hash::new();
        assert!(h.insert(b"a", b"1", limits));
        assert!(h.insert(b"b", b"2", limits));
        assert!(!h.insert(b"a", b"3", limits));
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(h.iter().map(|(f, _)| f).collect::<Vec<_>>(), vec![&b"a"[..], b"b"]);
        h.insert(b"c", b"3", limits);
        assert_eq!(h.encoding(), "hashtable");
        assert!(h.remove(b"a") && h.remove(b"b") && h.remove(b"c"));
        assert_eq!(h.encoding(), "hashtable");
        let mut long = Hash::new();
        long.insert(b"f", b"12345", limits);
        assert_eq!(long.encoding(), "hashtable");
        assert_eq!(long.get(b"f"), Some(&b"12345"[..]));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(Vec<u8>, Vec<u8>),
        Remove(Vec<u8>),
    }

    fn field() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => (0u8..24).prop_map(|i| format!("f{i}").into_bytes()),
            1 => prop::collection::vec(any::<u8>(), 0..10),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (field(), prop::collection::vec(any::<u8>(), 0..8)).prop_map(|(f, v)| Op::Insert(f, v)),
            2 => field().prop_map(Op::Remove),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_btreemap(ops in prop::collection::vec(op(), 1..150), entries in 1i64..12) {
            let limits = Limits::new(entries, 6);
            let mut hash = Hash::new();
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            let mut order: Vec<Vec<u8>> = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(f, v) => {
                        let new = hash.insert(&f, &v, limits);
                        prop_assert_eq!(new, model.insert(f.clone(), v).is_none());
                        if new { order.push(f); }
                    }
                    Op::Remove(f) => {
                        prop_assert_eq!(hash.remove(&f), model.remove(&f).is_some());
                        order.retain(|x| *x != f);
                    }
                }
                prop_assert_eq!(hash.len(), model.len());
                for (f, v) in &model {
                    prop_assert_eq!(hash.get(f), Some(&v[..]));
                }
                prop_assert_eq!(hash.get(b"missing-field"), None);
                if hash.encoding() == "listpack" {
                    // Insertion order, as a listpack.
                    prop_assert!(hash.iter().map(|(f, _)| f).eq(order.iter().map(|f| &f[..])));
                }
                // A full scan returns every pair exactly once.
                let mut seen = HashSet::new();
                let mut cursor = 0;
                loop {
                    let (next, range) = hash.scan(cursor, 3);
                    for i in range {
                        prop_assert!(seen.insert(hash.pair_at(i).unwrap().0.to_vec()));
                    }
                    cursor = next;
                    if cursor == 0 { break; }
                }
                prop_assert_eq!(seen.len(), model.len());
            }
        }

        #[test]
        fn scans_survive_deletes(n in 20usize..60, count in 1usize..7, deletes in prop::collection::vec(0usize..60, 0..20)) {
            let limits = Limits::new(4, 64);
            let mut hash = Hash::new();
            for i in 0..n {
                hash.insert(format!("f{i}").as_bytes(), b"v", limits);
            }
            let deleted: HashSet<String> = deletes.iter().map(|i| format!("f{i}")).collect();
            let mut seen = HashSet::new();
            let mut cursor = 0;
            let mut pending = deleted.iter();
            loop {
                let (next, range) = hash.scan(cursor, count);
                for i in range {
                    seen.insert(String::from_utf8(hash.pair_at(i).unwrap().0.to_vec()).unwrap());
                }
                // Delete between scan steps.
                if let Some(f) = pending.next() {
                    hash.remove(f.as_bytes());
                }
                cursor = next;
                if cursor == 0 { break; }
            }
            for i in 0..n {
                let f = format!("f{i}");
                if !deleted.contains(&f) {
                    prop_assert!(seen.contains(&f), "{} missed", f);
                }
            }
        }
    }
}
