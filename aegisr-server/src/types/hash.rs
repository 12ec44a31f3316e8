//! Hashes: field -> value maps, in two encodings as Redis keeps them.
//!
//! - **listpack** (small hashes): fields and values alternating in one buffer (see
//!   `listpack.rs`), in insertion order, searched linearly, as Redis's listpack is; the
//!   entry keeps it inside the key's block. Deleting keeps the order.
//! - **hashtable** (past `hash-max-listpack-entries` entries or a field or value longer than
//!   `hash-max-listpack-value`): a vector of pairs (a field and its value in one 32-byte
//!   slot, see `compact_pair.rs`) plus a hash index of positions into it (the indexmap
//!   design). Deleting swaps the last pair into the hole.
//!
//! The conversion is one-way, as in Redis. Keeping the table's pairs in a vector gives O(1)
//! random picks (HRANDFIELD) and a simple HSCAN cursor: a position, scanned from the top
//! down. Pairs only move downwards (a delete moves the last pair into the hole) and
//! new pairs are appended, so a pair present for the whole scan is returned at least once.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::compact_pair::CompactPair;
use super::listpack::{Listpack, LpRef};

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

/// The hashtable form: pairs in a vector plus a hash index of positions into it.
#[derive(Debug, Clone)]
struct Table {
    pairs: Vec<CompactPair>,
    index: Index,
}

#[derive(Debug, Clone)]
enum Repr {
    /// Fields and values alternating in a listpack.
    Listpack(Listpack),
    Table(Box<Table>),
}

/// A hash value, owned. Small hashes are kept packed in their key's entry and only become
/// a `Hash` while a command changes them; reads go through [`HashRef`].
#[derive(Debug, Clone)]
pub struct Hash {
    repr: Repr,
}

impl Default for Hash {
    fn default() -> Hash {
        Hash { repr: Repr::Listpack(Listpack::default()) }
    }
}

impl PartialEq for Hash {
    fn eq(&self, other: &Hash) -> bool {
        self.view() == other.view()
    }
}

/// A hash, borrowed: a packed listpack (from an entry's block) or a [`Hash`].
#[derive(Debug, Clone, Copy)]
pub enum HashRef<'a> {
    Packed(LpRef<'a>),
    Table(&'a Hash),
}

impl PartialEq for HashRef<'_> {
    fn eq(&self, other: &HashRef<'_>) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

/// The (field, value) pairs of a listpack, with the span each pair occupies.
fn packed_pairs(lp: LpRef<'_>) -> impl Iterator<Item = (&[u8], &[u8], (usize, usize))> {
    let mut elements = lp.elements();
    std::iter::from_fn(move || {
        let field = elements.next()?;
        let value = elements.next()?;
        Some((field.bytes, value.bytes, (field.span.0, value.span.1)))
    })
}

impl<'a> HashRef<'a> {
    pub fn len(self) -> usize {
        match self {
            HashRef::Packed(lp) => lp.count() / 2,
            HashRef::Table(h) => h.len(),
        }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    pub fn encoding(self) -> &'static str {
        match self {
            HashRef::Packed(_) => "listpack",
            HashRef::Table(h) => h.encoding(),
        }
    }

    /// The pairs, in storage order (insertion order while a listpack).
    pub fn iter(self) -> Box<dyn Iterator<Item = (&'a [u8], &'a [u8])> + 'a> {
        match self {
            HashRef::Packed(lp) => Box::new(packed_pairs(lp).map(|(f, v, _)| (f, v))),
            HashRef::Table(h) => h.iter(),
        }
    }

    /// The pair at storage position `i` (for random picks).
    pub fn pair_at(self, i: usize) -> Option<(&'a [u8], &'a [u8])> {
        match self {
            HashRef::Packed(lp) => packed_pairs(lp).nth(i).map(|(f, v, _)| (f, v)),
            HashRef::Table(h) => h.pair_at(i),
        }
    }

    pub fn get(self, field: &[u8]) -> Option<&'a [u8]> {
        match self {
            HashRef::Packed(lp) => packed_pairs(lp).find(|(f, _, _)| *f == field).map(|(_, v, _)| v),
            HashRef::Table(h) => h.get(field),
        }
    }

    pub fn contains(self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// One HSCAN step from `cursor`, looking at about `count` pairs: the next cursor (0 when
    /// done) and the positions of the pairs returned. A listpack is returned whole.
    pub fn scan(self, cursor: u64, count: usize) -> (u64, std::ops::Range<usize>) {
        match self {
            HashRef::Packed(lp) => (0, 0..lp.count() / 2),
            HashRef::Table(h) => h.scan(cursor, count),
        }
    }

    pub fn to_owned(self) -> Hash {
        match self {
            HashRef::Packed(lp) => Hash { repr: Repr::Listpack(Listpack::from_bytes(lp.bytes().to_vec())) },
            HashRef::Table(h) => h.clone(),
        }
    }
}

impl Hash {
    pub fn new() -> Hash {
        Hash::default()
    }

    /// A listpack hash from the bytes an entry kept packed.
    pub fn from_packed(bytes: &[u8]) -> Hash {
        Hash { repr: Repr::Listpack(Listpack::from_bytes(bytes.to_vec())) }
    }

    /// The listpack bytes, while the hash is one (the entry packs them into its block).
    pub fn packed(&self) -> Option<&[u8]> {
        match &self.repr {
            Repr::Listpack(lp) => Some(lp.bytes()),
            Repr::Table(_) => None,
        }
    }

    /// This hash, borrowed, for the read operations.
    pub fn view(&self) -> HashRef<'_> {
        match &self.repr {
            Repr::Listpack(lp) => HashRef::Packed(lp.view()),
            Repr::Table(_) => HashRef::Table(self),
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(lp) => lp.count() / 2,
            Repr::Table(t) => t.pairs.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding `OBJECT ENCODING` reports, with Redis's names.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Listpack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// The pairs, in storage order (insertion order while a listpack).
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match &self.repr {
            Repr::Listpack(lp) => Box::new(packed_pairs(lp.view()).map(|(f, v, _)| (f, v))),
            Repr::Table(t) => Box::new(t.pairs.iter().map(CompactPair::get)),
        }
    }

    /// The pair at storage position `i` (for random picks).
    pub fn pair_at(&self, i: usize) -> Option<(&[u8], &[u8])> {
        match &self.repr {
            Repr::Listpack(lp) => packed_pairs(lp.view()).nth(i).map(|(f, v, _)| (f, v)),
            Repr::Table(t) => t.pairs.get(i).map(CompactPair::get),
        }
    }

    fn position(table: &Table, field: &[u8]) -> Option<usize> {
        let hash = table.index.state.hash_one(field);
        table.index.table.find(hash, |&i| table.pairs[i].field() == field).copied()
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Listpack(lp) => packed_pairs(lp.view()).find(|(f, _, _)| *f == field).map(|(_, v, _)| v),
            Repr::Table(t) => Hash::position(t, field).map(|i| t.pairs[i].value()),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    fn convert(&mut self) {
        let Repr::Listpack(lp) = &self.repr else { return };
        let pairs: Vec<CompactPair> = packed_pairs(lp.view()).map(|(f, v, _)| CompactPair::new(f, v)).collect();
        let state = foldhash::fast::RandomState::default();
        let mut table = HashTable::with_capacity(pairs.len());
        for (i, pair) in pairs.iter().enumerate() {
            table.insert_unique(state.hash_one(pair.field()), i, |&j| state.hash_one(pairs[j].field()));
        }
        self.repr = Repr::Table(Box::new(Table { pairs, index: Index { table, state } }));
    }

    /// Sets `field` to `value`; true when the field is new. Converts to a hashtable when
    /// the field or value is too long for a listpack, or the hash has too many entries.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if let Repr::Listpack(lp) = &mut self.repr {
            if field.len() <= limits.value && value.len() <= limits.value {
                let found = packed_pairs(lp.view()).find(|(f, _, _)| *f == field).map(|(_, _, span)| span);
                match found {
                    Some((start, end)) => {
                        lp.splice(start..end, &[field, value], 0);
                        return false;
                    }
                    None if lp.count() / 2 < limits.entries => {
                        lp.push(&[field, value]);
                        return true;
                    }
                    None => {}
                }
            }
            self.convert();
        }
        let Repr::Table(t) = &mut self.repr else { return false };
        if let Some(i) = Hash::position(t, field) {
            t.pairs[i].set_value(value);
            return false;
        }
        let i = t.pairs.len();
        t.pairs.push(CompactPair::new(field, value));
        let pairs = &t.pairs;
        let state = &t.index.state;
        t.index.table.insert_unique(state.hash_one(field), i, |&j| state.hash_one(pairs[j].field()));
        true
    }

    /// Deletes `field`; true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            // A listpack keeps its order.
            Repr::Listpack(lp) => {
                let Some((_, _, (start, end))) = packed_pairs(lp.view()).find(|(f, _, _)| *f == field) else {
                    return false;
                };
                lp.splice(start..end, &[], -2);
                true
            }
            Repr::Table(t) => {
                let Some(i) = Hash::position(t, field) else { return false };
                let index = &mut t.index;
                let hash = index.state.hash_one(field);
                if let Ok(entry) = index.table.find_entry(hash, |&j| j == i) {
                    entry.remove();
                }
                let last = t.pairs.len() - 1;
                if i != last {
                    let moved = index.state.hash_one(t.pairs[last].field());
                    if let Some(slot) = index.table.find_mut(moved, |&j| j == last) {
                        *slot = i;
                    }
                }
                drop(t.pairs.swap_remove(i));
                true
            }
        }
    }

    /// One HSCAN step from `cursor`, looking at about `count` pairs: the next cursor (0 when
    /// done) and the positions of the pairs returned. A listpack is returned whole.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, std::ops::Range<usize>) {
        let Repr::Table(t) = &self.repr else {
            return (0, 0..self.len());
        };
        // The cursor is the (exclusive) top of the positions still to visit; 0 starts.
        let len = t.pairs.len();
        let top = if cursor == 0 { len } else { usize::try_from(cursor).unwrap_or(usize::MAX) };
        let top = top.min(len);
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
