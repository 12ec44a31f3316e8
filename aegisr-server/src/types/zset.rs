//! Sorted sets: unique members ordered by score, ties ordered by member bytes.
//!
//! Two representations, as in Redis:
//! - listpack: members and scores alternating in one buffer (see `listpack.rs`), kept
//!   sorted, for at most `zset-max-listpack-entries` members of at most
//!   `zset-max-listpack-value` bytes (lookups by member are linear, as in Redis's listpack,
//!   which is fine at that size); the entry keeps it inside the key's block;
//! - tree (reported as "skiplist", Redis's name for its large encoding): members in an
//!   arena, a hash index from member to arena slot, and the order in an order-statistic
//!   B+tree (`score_tree.rs`), so ranks cost O(log n) with a fraction of a skiplist's cache
//!   misses. A member's bytes are stored once.
//!
//! Everything positional is expressed with ranks (0-based, ascending): a score or lex range
//! becomes a rank range via [`ZSet::count_while`], and iteration starts at a rank.

use std::cmp::Ordering;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::listpack::{Listpack, LpRef};
use super::score_tree::{Cursor, Key, ScoreTree};

/// The thresholds that choose a sorted set's representation (from the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZSetLimits {
    pub max_listpack_entries: usize,
    pub max_listpack_value: usize,
}

impl Default for ZSetLimits {
    fn default() -> ZSetLimits {
        ZSetLimits { max_listpack_entries: 128, max_listpack_value: 64 }
    }
}

/// The order of entries: by score, then by member bytes. Scores are never NaN.
pub fn entry_cmp(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    a_score.partial_cmp(&b_score).unwrap_or(Ordering::Equal).then_with(|| a_member.cmp(b_member))
}

/// A member of a large sorted set in its arena slot. A free slot has an empty member and
/// a NaN score (scores are never NaN).
#[derive(Debug, Clone)]
struct Slot {
    member: Box<[u8]>,
    score: f64,
}

impl Slot {
    fn free() -> Slot {
        Slot { member: Box::default(), score: f64::NAN }
    }

    fn is_live(&self) -> bool {
        !self.score.is_nan()
    }
}

/// A large sorted set: members in an arena of slots, a hash index from member to slot,
/// and the order (by score, then member) in a [`ScoreTree`] of (score, slot) keys. A
/// member's bytes are stored once, in its slot, and a slot never moves while its member
/// lives, which ZSCAN's cursor relies on.
#[derive(Clone)]
pub struct TreeZSet {
    /// Slot 0 is never used, so a ZSCAN cursor of 0 can mean both "start" and "done".
    slots: Vec<Slot>,
    free: Vec<u32>,
    index: HashTable<u32>,
    hasher: foldhash::fast::RandomState,
    order: ScoreTree,
}

impl std::fmt::Debug for TreeZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        for (member, score) in ZSetRef::Tree(self).iter_from(0, false) {
            list.entry(&(score, String::from_utf8_lossy(member)));
        }
        list.finish()
    }
}

impl TreeZSet {
    fn new(capacity: usize) -> TreeZSet {
        let mut slots = Vec::with_capacity(capacity + 1);
        slots.push(Slot::free());
        TreeZSet {
            slots,
            free: Vec::new(),
            index: HashTable::with_capacity(capacity),
            hasher: Default::default(),
            order: ScoreTree::default(),
        }
    }

    fn len(&self) -> usize {
        self.order.len()
    }

    fn find(&self, member: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one(member);
        self.index.find(hash, |&i| *self.slots[i as usize].member == *member).copied()
    }

    fn slot(&self, id: u32) -> &Slot {
        &self.slots[id as usize]
    }

    /// Adds a member known not to be present.
    fn insert_new(&mut self, member: Box<[u8]>, score: f64) {
        let slot = Slot { member, score };
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                // Ids are u32: four billion members would need far more memory than a
                // sorted set can hold, long before this wraps.
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        let TreeZSet { slots, index, hasher, order, .. } = self;
        let slots: &Vec<Slot> = slots;
        let hash = hasher.hash_one(&*slots[id as usize].member);
        index.insert_unique(hash, id, |&i| hasher.hash_one(&*slots[i as usize].member));
        order.insert(Key { score, id }, &|i: u32| &slots[i as usize].member[..]);
    }

    fn set_score(&mut self, id: u32, score: f64) {
        let old = self.slot(id).score;
        if old == score {
            return;
        }
        let TreeZSet { slots, order, .. } = self;
        {
            let slots: &Vec<Slot> = slots;
            let member = |i: u32| &slots[i as usize].member[..];
            order.rescore(Key { score: old, id }, score, &member);
        }
        slots[id as usize].score = score;
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let id = self.find(member)?;
        let score = self.slot(id).score;
        let TreeZSet { slots, index, hasher, order, .. } = self;
        {
            let slots: &Vec<Slot> = slots;
            order.remove(Key { score, id }, &|i: u32| &slots[i as usize].member[..]);
        }
        let hash = hasher.hash_one(member);
        if let Ok(entry) = index.find_entry(hash, |&i| i == id) {
            entry.remove();
        }
        // Free the member's memory now; the slot is reused by the next insert.
        slots[id as usize] = Slot::free();
        self.free.push(id);
        Some(score)
    }

    /// How many leading entries satisfy `before` (which must hold for a prefix only).
    fn count_while(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        self.order.count_while(|k: Key| before(k.score, &self.slot(k.id).member))
    }

    /// The 0-based ascending rank of the member in slot `id`.
    fn rank_of(&self, id: u32) -> usize {
        let Slot { member, score } = self.slot(id);
        self.count_while(|s, m| entry_cmp(s, m, *score, member) == Ordering::Less)
    }

    /// The member and score at `at`.
    fn entry(&self, at: Cursor) -> (&[u8], f64) {
        let key = self.order.key(at);
        (&self.slot(key.id).member, key.score)
    }

    /// Checks every structural invariant (tests only).
    #[cfg(test)]
    fn check(&self) {
        self.order.check(&|i: u32| &self.slots[i as usize].member[..]);
        let live = self.slots.iter().filter(|s| s.is_live()).count();
        assert_eq!((live, self.index.len()), (self.len(), self.len()));
        for (id, slot) in self.slots.iter().enumerate().filter(|(_, s)| s.is_live()) {
            assert_eq!(self.find(&slot.member), Some(id as u32));
            assert!(
                self.order
                    .locate(Key { score: slot.score, id: id as u32 }, &|i: u32| &self.slots[i as usize].member[..])
                    .is_some()
            );
        }
    }
}

#[derive(Debug, Clone)]
enum Repr {
    /// Members and their scores alternating in a listpack, sorted by score then member.
    Listpack(Listpack),
    Tree(Box<TreeZSet>),
}

/// A sorted set value, owned. Small sorted sets are kept packed in their key's entry and
/// only become a `ZSet` while a command changes them; reads go through [`ZSetRef`].
#[derive(Debug, Clone)]
pub struct ZSet {
    repr: Repr,
}

impl Default for ZSet {
    fn default() -> ZSet {
        ZSet { repr: Repr::Listpack(Listpack::default()) }
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &ZSet) -> bool {
        self.view() == other.view()
    }
}

/// Largest integer a packed score stores in fewer than 8 bytes (exact in an f64).
const PACKED_INT_LIMIT: f64 = (1u64 << 52) as f64;

/// A score as a listpack element: an integral score as a zigzag integer in 0-7 bytes (most
/// scores are small integers: ranks, counts, timestamps), anything else as the 8 bytes
/// of the double. -0 never reaches here (it is stored as 0, as Redis does).
pub(crate) fn encode_score(score: f64) -> ([u8; 8], usize) {
    if score.fract() == 0.0 && score.abs() < PACKED_INT_LIMIT {
        let n = score as i64;
        let zigzag = ((n << 1) ^ (n >> 63)) as u64;
        let len = 8 - zigzag.leading_zeros() as usize / 8;
        if len < 8 {
            return (zigzag.to_le_bytes(), len);
        }
    }
    (score.to_bits().to_le_bytes(), 8)
}

fn decode_score(bytes: &[u8]) -> f64 {
    let mut buf = [0u8; 8];
    let len = bytes.len().min(8);
    buf[..len].copy_from_slice(&bytes[..len]);
    let raw = u64::from_le_bytes(buf);
    if bytes.len() == 8 { f64::from_bits(raw) } else { (((raw >> 1) as i64) ^ -((raw & 1) as i64)) as f64 }
}

/// The (member, score, span) of each entry of a packed sorted set, in order.
fn packed_entries(lp: LpRef<'_>) -> impl Iterator<Item = (&[u8], f64, (usize, usize))> {
    let mut elements = lp.elements();
    std::iter::from_fn(move || {
        let member = elements.next()?;
        let score = elements.next()?;
        Some((member.bytes, decode_score(score.bytes), (member.span.0, score.span.1)))
    })
}

/// A sorted set, borrowed: a packed listpack (from an entry's block or a [`ZSet`]) or a
/// skiplist. Every read operation lives here.
#[derive(Debug, Clone, Copy)]
pub enum ZSetRef<'a> {
    Packed(LpRef<'a>),
    Tree(&'a TreeZSet),
}

impl PartialEq for ZSetRef<'_> {
    fn eq(&self, other: &ZSetRef<'_>) -> bool {
        self.len() == other.len()
            && self.iter_from(0, false).zip(other.iter_from(0, false)).all(|(a, b)| a.0 == b.0 && a.1 == b.1)
    }
}

impl<'a> From<&'a ZSet> for ZSetRef<'a> {
    fn from(z: &'a ZSet) -> ZSetRef<'a> {
        z.view()
    }
}

impl<'a> ZSetRef<'a> {
    pub fn len(self) -> usize {
        match self {
            ZSetRef::Packed(lp) => lp.count() / 2,
            ZSetRef::Tree(s) => s.len(),
        }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The encoding `OBJECT ENCODING` reports, with Redis's names.
    pub fn encoding(self) -> &'static str {
        match self {
            ZSetRef::Packed(_) => "listpack",
            ZSetRef::Tree(_) => "skiplist",
        }
    }

    pub fn score(self, member: &[u8]) -> Option<f64> {
        match self {
            ZSetRef::Packed(lp) => packed_entries(lp).find(|(m, _, _)| *m == member).map(|(_, s, _)| s),
            ZSetRef::Tree(s) => s.find(member).map(|id| s.slot(id).score),
        }
    }

    /// The 0-based ascending rank of `member`, and its score.
    pub fn rank(self, member: &[u8]) -> Option<(usize, f64)> {
        match self {
            ZSetRef::Packed(lp) => {
                packed_entries(lp).enumerate().find(|(_, (m, _, _))| *m == member).map(|(r, (_, s, _))| (r, s))
            }
            ZSetRef::Tree(s) => {
                let id = s.find(member)?;
                Some((s.rank_of(id), s.slot(id).score))
            }
        }
    }

    /// How many leading (lowest) entries satisfy `before`, which must hold for a prefix of
    /// the order only (e.g. "score below the range's minimum"). O(log n) on a skiplist.
    pub fn count_while(self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        match self {
            ZSetRef::Packed(lp) => packed_entries(lp).take_while(|(m, s, _)| before(*s, m)).count(),
            ZSetRef::Tree(s) => s.count_while(before),
        }
    }

    /// The entry at 0-based ascending `rank`.
    pub fn get(self, rank: usize) -> Option<(&'a [u8], f64)> {
        match self {
            ZSetRef::Packed(lp) => packed_entries(lp).nth(rank).map(|(m, s, _)| (m, s)),
            ZSetRef::Tree(s) => s.order.select(rank).map(|at| s.entry(at)),
        }
    }

    /// Entries from `rank` on, ascending, or (`rev`) from `rank` down to rank 0.
    pub fn iter_from(self, rank: usize, rev: bool) -> ZIter<'a> {
        match self {
            ZSetRef::Packed(lp) => {
                // Small by construction: decoding up front makes reverse walks simple.
                let entries: Vec<(&'a [u8], f64)> = packed_entries(lp).map(|(m, s, _)| (m, s)).collect();
                let next = Some(rank).filter(|&r| r < entries.len());
                ZIter::Packed { entries, next, rev }
            }
            ZSetRef::Tree(s) => ZIter::Tree { set: s, at: s.order.select(rank), rev },
        }
    }

    /// One ZSCAN step. A listpack returns everything at once with cursor 0, as Redis does.
    /// A skiplist cursor is an arena slot: nodes never move in the arena while they live
    /// (a score change relinks the same node), so walking slots upwards returns every
    /// member present for the whole scan exactly once. Slot 0 is the header, so cursor 0
    /// can mean "start" and "done". Returns the next cursor and the entries visited.
    pub fn scan(self, cursor: u64, count: usize) -> (u64, Vec<(&'a [u8], f64)>) {
        let ZSetRef::Tree(s) = self else {
            return (0, self.iter_from(0, false).collect());
        };
        let start = usize::try_from(cursor).unwrap_or(usize::MAX).max(1);
        let end = start.saturating_add(count.max(1)).min(s.slots.len());
        let found = s
            .slots
            .get(start..end)
            .unwrap_or(&[])
            .iter()
            .filter(|slot| slot.is_live())
            .map(|slot| (&slot.member[..], slot.score))
            .collect();
        let next = if end >= s.slots.len() { 0 } else { end as u64 };
        (next, found)
    }

    pub fn to_owned(self) -> ZSet {
        match self {
            ZSetRef::Packed(lp) => ZSet { repr: Repr::Listpack(Listpack::from_bytes(lp.bytes().to_vec())) },
            ZSetRef::Tree(s) => ZSet { repr: Repr::Tree(Box::new(s.clone())) },
        }
    }
}

impl ZSet {
    /// An empty sorted set for about `size_hint` members of at most `max_member_len` bytes
    /// (Redis's `zsetTypeCreate`).
    pub fn for_members(size_hint: usize, max_member_len: usize, limits: &ZSetLimits) -> ZSet {
        if size_hint <= limits.max_listpack_entries && max_member_len <= limits.max_listpack_value {
            ZSet::default()
        } else {
            ZSet { repr: Repr::Tree(Box::new(TreeZSet::new(size_hint))) }
        }
    }

    /// A listpack sorted set from the bytes an entry kept packed.
    pub fn from_packed(bytes: &[u8]) -> ZSet {
        ZSet { repr: Repr::Listpack(Listpack::from_bytes(bytes.to_vec())) }
    }

    /// The listpack bytes, while the set is one (the entry packs them into its block).
    pub fn packed(&self) -> Option<&[u8]> {
        match &self.repr {
            Repr::Listpack(lp) => Some(lp.bytes()),
            Repr::Tree(_) => None,
        }
    }

    /// This sorted set, borrowed, for the read operations.
    pub fn view(&self) -> ZSetRef<'_> {
        match &self.repr {
            Repr::Listpack(lp) => ZSetRef::Packed(lp.view()),
            Repr::Tree(s) => ZSetRef::Tree(s),
        }
    }

    /// A sorted set of `entries` (sorted by [`entry_cmp`], no duplicate members), in the
    /// representation their count and sizes call for (as Redis stores command results).
    pub fn from_sorted(entries: Vec<(f64, Box<[u8]>)>, limits: &ZSetLimits) -> ZSet {
        let longest = entries.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        let mut z = ZSet::for_members(entries.len(), longest, limits);
        match &mut z.repr {
            Repr::Listpack(lp) => {
                for (score, member) in &entries {
                    // -0 is stored as 0, as in `set_score`.
                    let score = if *score == 0.0 { 0.0 } else { *score };
                    let (bytes, len) = encode_score(score);
                    lp.push(&[member, &bytes[..len]]);
                }
            }
            Repr::Tree(s) => {
                for (score, member) in entries {
                    s.insert_new(member, if score == 0.0 { 0.0 } else { score });
                }
            }
        }
        z
    }

    pub fn len(&self) -> usize {
        self.view().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding `OBJECT ENCODING` reports, with Redis's names.
    pub fn encoding(&self) -> &'static str {
        self.view().encoding()
    }

    /// Converts to a skiplist now if `size_hint` members or one of `max_member_len` bytes
    /// would not fit a listpack (Redis's `zsetTypeMaybeConvert`, used by ZADD).
    pub fn prepare_for(&mut self, size_hint: usize, max_member_len: usize, limits: &ZSetLimits) {
        if matches!(self.repr, Repr::Listpack(_))
            && (size_hint > limits.max_listpack_entries || max_member_len > limits.max_listpack_value)
        {
            self.convert_to_skiplist(size_hint);
        }
    }

    fn convert_to_skiplist(&mut self, extra: usize) {
        if let Repr::Listpack(lp) = &self.repr {
            let mut s = TreeZSet::new(lp.count() / 2 + extra);
            for (member, score, _) in packed_entries(lp.view()) {
                s.insert_new(member.into(), score);
            }
            self.repr = Repr::Tree(Box::new(s));
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.view().score(member)
    }

    /// Sets the score of `member`, adding it if absent; returns its previous score.
    /// Converts to a skiplist when a listpack would outgrow the limits.
    pub fn set_score(&mut self, member: &[u8], score: f64, limits: &ZSetLimits) -> Option<f64> {
        // -0 is stored as 0, as Redis's listpack stores it (and replies it).
        let score = if score == 0.0 { 0.0 } else { score };
        if let Repr::Listpack(lp) = &mut self.repr {
            let found = packed_entries(lp.view()).find(|(m, _, _)| *m == member).map(|(_, s, span)| (s, span));
            if found.is_none()
                && (lp.count() / 2 >= limits.max_listpack_entries || member.len() > limits.max_listpack_value)
            {
                self.convert_to_skiplist(1);
            } else {
                if let Some((_, (start, end))) = found {
                    lp.splice(start..end, &[], -2);
                }
                // Insert before the first entry that sorts after (score, member).
                let at = packed_entries(lp.view())
                    .find(|(m, s, _)| entry_cmp(*s, m, score, member) == Ordering::Greater)
                    .map_or(lp.bytes().len(), |(_, _, (start, _))| start);
                let (bytes, len) = encode_score(score);
                lp.splice(at..at, &[member, &bytes[..len]], 2);
                return found.map(|(old, _)| old);
            }
        }
        match &mut self.repr {
            Repr::Tree(s) => match s.find(member) {
                Some(id) => {
                    let old = s.slot(id).score;
                    s.set_score(id, score);
                    Some(old)
                }
                None => {
                    s.insert_new(member.into(), score);
                    None
                }
            },
            Repr::Listpack(_) => None,
        }
    }

    /// Removes `member`; returns its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Listpack(lp) => {
                let (_, score, (start, end)) = packed_entries(lp.view()).find(|(m, _, _)| *m == member)?;
                lp.splice(start..end, &[], -2);
                Some(score)
            }
            Repr::Tree(s) => s.remove(member),
        }
    }

    /// The 0-based ascending rank of `member`, and its score.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        self.view().rank(member)
    }

    /// How many leading (lowest) entries satisfy `before` (see [`ZSetRef::count_while`]).
    pub fn count_while(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        self.view().count_while(before)
    }

    /// The entry at 0-based ascending `rank`.
    pub fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        self.view().get(rank)
    }

    /// Entries from `rank` on, ascending, or (`rev`) from `rank` down to rank 0.
    pub fn iter_from(&self, rank: usize, rev: bool) -> ZIter<'_> {
        self.view().iter_from(rank, rev)
    }

    /// One ZSCAN step (see [`ZSetRef::scan`]).
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<(&[u8], f64)>) {
        self.view().scan(cursor, count)
    }

    /// Removes the entries of ranks `start..end`; returns how many were removed.
    pub fn remove_ranks(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        if let Repr::Listpack(lp) = &mut self.repr {
            let spans: Vec<(usize, usize)> =
                packed_entries(lp.view()).skip(start).take(end - start).map(|(_, _, span)| span).collect();
            if let (Some(first), Some(last)) = (spans.first(), spans.last()) {
                lp.splice(first.0..last.1, &[], -2 * (spans.len() as isize));
            }
            return end - start;
        }
        let members: Vec<Box<[u8]>> = self.iter_from(start, false).take(end - start).map(|(m, _)| m.into()).collect();
        if let Repr::Tree(s) = &mut self.repr {
            for m in members {
                s.remove(&m);
            }
        }
        end - start
    }
}

/// An iterator over entries in rank order (or reverse), yielding `(member, score)`.
pub enum ZIter<'a> {
    Packed { entries: Vec<(&'a [u8], f64)>, next: Option<usize>, rev: bool },
    Tree { set: &'a TreeZSet, at: Option<Cursor>, rev: bool },
}

impl<'a> Iterator for ZIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<(&'a [u8], f64)> {
        match self {
            ZIter::Packed { entries, next, rev } => {
                let i = (*next)?;
                *next = if *rev { i.checked_sub(1) } else { Some(i + 1).filter(|&n| n < entries.len()) };
                entries.get(i).copied()
            }
            ZIter::Tree { set, at, rev } => {
                let here = (*at)?;
                *at = if *rev { set.order.prev(here) } else { set.order.next(here) };
                Some(set.entry(here))
            }
        }
    }
}

impl std::fmt::Debug for ZIter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ZIter")
    }
}

/// A score range bound as ZRANGEBYSCORE takes it: `1.5`, `(1.5` (exclusive), `-inf`, `+inf`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreBound {
    pub value: f64,
    pub exclusive: bool,
}

impl ScoreBound {
    /// Parses one bound (Redis's `zslParseRange` half); `None` when not a float.
    pub fn parse(arg: &[u8]) -> Option<ScoreBound> {
        let (exclusive, text) = match arg.split_first() {
            Some((b'(', rest)) => (true, rest),
            _ => (false, arg),
        };
        // `zslParseRange` checks only that strtod read everything and that the value is a
        // number: leading spaces, an empty text (0) and overflow to infinity all pass.
        let read = super::strtod::strtod(text);
        (read.len == text.len() && !read.value.is_nan()).then_some(ScoreBound { value: read.value, exclusive })
    }
}

/// A score range `[min, max]` with optionally exclusive ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    pub min: ScoreBound,
    pub max: ScoreBound,
}

impl ScoreRange {
    /// The ascending rank range of the entries within this range.
    pub fn ranks<'z>(&self, z: impl Into<ZSetRef<'z>>) -> std::ops::Range<usize> {
        let z = z.into();
        let (min, max) = (self.min, self.max);
        let start = z.count_while(|s, _| if min.exclusive { s <= min.value } else { s < min.value });
        let end = z.count_while(|s, _| if max.exclusive { s < max.value } else { s <= max.value });
        start..end.max(start)
    }
}

/// A lex range bound: `-` (before everything), `+` (after everything), `[x` or `(x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    Min,
    Max,
    Inclusive(Vec<u8>),
    Exclusive(Vec<u8>),
}

impl LexBound {
    /// Parses one bound (Redis's `zslParseLexRangeItem`); `None` when malformed.
    pub fn parse(arg: &[u8]) -> Option<LexBound> {
        match arg.split_first() {
            Some((b'+', [])) => Some(LexBound::Max),
            Some((b'-', [])) => Some(LexBound::Min),
            Some((b'(', rest)) => Some(LexBound::Exclusive(rest.to_vec())),
            Some((b'[', rest)) => Some(LexBound::Inclusive(rest.to_vec())),
            _ => None,
        }
    }

    /// Whether `member` sorts before this bound taken as a range's start.
    fn before_start(&self, member: &[u8]) -> bool {
        match self {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(b) => member < &b[..],
            LexBound::Exclusive(b) => member <= &b[..],
        }
    }

    /// Whether `member` is not after this bound taken as a range's end.
    fn within_end(&self, member: &[u8]) -> bool {
        match self {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(b) => member <= &b[..],
            LexBound::Exclusive(b) => member < &b[..],
        }
    }
}

/// A lex range, meaningful when all scores are equal (as in Redis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    /// The ascending rank range of the entries within this range, read from the lowest
    /// (ZRANGEBYLEX, ZLEXCOUNT, ZREMRANGEBYLEX).
    pub fn ranks<'z>(&self, z: impl Into<ZSetRef<'z>>) -> std::ops::Range<usize> {
        match z.into() {
            ZSetRef::Packed(lp) => self.packed_ranks(lp, false),
            z => self.sorted_ranks(z),
        }
    }

    /// The same, read from the highest (ZREVRANGEBYLEX): the two differ only when the
    /// scores are not all equal, where Redis leaves the result unspecified.
    pub fn ranks_rev<'z>(&self, z: impl Into<ZSetRef<'z>>) -> std::ops::Range<usize> {
        match z.into() {
            ZSetRef::Packed(lp) => self.packed_ranks(lp, true),
            z => self.sorted_ranks(z),
        }
    }

    /// On a skiplist: two searches that take the members to be in order, as Redis's
    /// skiplist walk does.
    fn sorted_ranks(&self, z: ZSetRef<'_>) -> std::ops::Range<usize> {
        let start = z.count_while(|_, m| self.min.before_start(m));
        let end = z.count_while(|_, m| self.max.within_end(m));
        start..end.max(start)
    }

    /// On a listpack, Redis's walk (`zzlFirstInLexRange`, `zzlLastInLexRange`), which
    /// gives the same as the searches when all scores are equal and, when they are not,
    /// what Redis answers: nothing unless the last member is not below the minimum and the
    /// first not above the maximum; else, from the first member not below the minimum, the
    /// run not above the maximum (reading from the lowest), or back from the last member
    /// not above the maximum, the run not below the minimum (from the highest).
    fn packed_ranks(&self, lp: LpRef<'_>, rev: bool) -> std::ops::Range<usize> {
        let members: Vec<&[u8]> = packed_entries(lp).map(|(m, _, _)| m).collect();
        let (Some(first), Some(last)) = (members.first(), members.last()) else { return 0..0 };
        if self.min.before_start(last) || !self.max.within_end(first) {
            return 0..0;
        }
        // The walk checks the far bound only: a member past the near one does not stop it.
        if rev {
            let Some(end) = members.iter().rposition(|m| self.max.within_end(m)) else { return 0..0 };
            let run = members[..=end].iter().rev().take_while(|m| !self.min.before_start(m)).count();
            end + 1 - run..end + 1
        } else {
            let Some(start) = members.iter().position(|m| !self.min.before_start(m)) else { return 0..0 };
            let run = members[start..].iter().take_while(|m| self.max.within_end(m)).count();
            start..start + run
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    fn entries(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
        z.iter_from(0, false).map(|(m, s)| (m.to_vec(), s)).collect()
    }

    fn skiplist(z: &ZSet) -> &TreeZSet {
        match &z.repr {
            Repr::Tree(s) => s,
            Repr::Listpack(_) => panic!("not a skiplist"),
        }
    }

    #[test]
    fn packed_scores_round_trip() {
        for score in [
            0.0,
            1.0,
            -1.0,
            7.0,
            255.0,
            256.0,
            -65536.0,
            1.5,
            -0.25,
            4503599627370495.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ] {
            let (bytes, len) = encode_score(score);
            assert_eq!(decode_score(&bytes[..len]).to_bits(), score.to_bits(), "{score}");
        }
        assert_eq!(encode_score(3.0).1, 1, "small integers take one byte");
    }

    #[test]
    fn orders_by_score_then_member_and_ranks() {
        let l = ZSetLimits { max_listpack_entries: 0, max_listpack_value: 0 };
        let mut z = ZSet::for_members(1, 1, &l);
        assert_eq!(z.encoding(), "skiplist");
        for (m, s) in [("b", 1.0), ("a", 1.0), ("c", 0.5), ("d", f64::INFINITY), ("e", f64::NEG_INFINITY)] {
            assert_eq!(z.set_score(m.as_bytes(), s, &l), None);
        }
        skiplist(&z).check();
        let order: Vec<_> = z.iter_from(0, false).map(|(m, _)| String::from_utf8_lossy(m).into_owned()).collect();
        assert_eq!(order, ["e", "c", "a", "b", "d"]);
        let rev: Vec<_> = z.iter_from(4, true).map(|(m, _)| String::from_utf8_lossy(m).into_owned()).collect();
        assert_eq!(rev, ["d", "b", "a", "c", "e"]);
        assert_eq!(z.rank(b"a"), Some((2, 1.0)));
        assert_eq!(z.get(3), Some((&b"b"[..], 1.0)));
        assert_eq!(z.set_score(b"a", 2.0, &l), Some(1.0));
        assert_eq!(z.rank(b"a"), Some((3, 2.0)));
        skiplist(&z).check();
        assert_eq!(z.remove(b"c"), Some(0.5));
        assert_eq!(z.remove(b"c"), None);
        skiplist(&z).check();
        assert_eq!(z.remove_ranks(1, 3), 2);
        skiplist(&z).check();
        assert_eq!(entries(&z), vec![(b"e".to_vec(), f64::NEG_INFINITY), (b"d".to_vec(), f64::INFINITY)]);
    }

    #[test]
    fn listpack_converts_past_the_limits() {
        let l = ZSetLimits { max_listpack_entries: 2, max_listpack_value: 3 };
        let mut z = ZSet::for_members(1, 1, &l);
        z.set_score(b"a", 1.0, &l);
        z.set_score(b"b", 2.0, &l);
        assert_eq!(z.encoding(), "listpack");
        z.set_score(b"c", 3.0, &l);
        assert_eq!(z.encoding(), "skiplist");
        skiplist(&z).check();
        let mut z = ZSet::for_members(1, 1, &l);
        z.set_score(b"long", 1.0, &l);
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(ZSet::for_members(3, 1, &l).encoding(), "skiplist");
        let mut z = ZSet::default();
        z.prepare_for(1, 4, &l);
        assert_eq!(z.encoding(), "skiplist");
    }

    #[test]
    fn ranges_map_to_ranks() {
        let l = ZSetLimits::default();
        for limits in [l, ZSetLimits { max_listpack_entries: 0, max_listpack_value: 0 }] {
            let mut z = ZSet::for_members(5, 1, &limits);
            for (i, m) in ["a", "b", "c", "d", "e"].iter().enumerate() {
                z.set_score(m.as_bytes(), i as f64, &limits);
            }
            let r = |min: &str, max: &str| {
                ScoreRange {
                    min: ScoreBound::parse(min.as_bytes()).unwrap(),
                    max: ScoreBound::parse(max.as_bytes()).unwrap(),
                }
                .ranks(&z)
            };
            assert_eq!(r("1", "3"), 1..4);
            assert_eq!(r("(1", "(3"), 2..3);
            assert_eq!(r("-inf", "+inf"), 0..5);
            assert!(r("3", "1").is_empty());
            let lex = |min: &str, max: &str| LexRange {
                min: LexBound::parse(min.as_bytes()).unwrap(),
                max: LexBound::parse(max.as_bytes()).unwrap(),
            };
            let mut same = ZSet::for_members(5, 1, &limits);
            for m in ["a", "b", "c", "d", "e"] {
                same.set_score(m.as_bytes(), 0.0, &limits);
            }
            assert_eq!(lex("[b", "(d").ranks(&same), 1..3);
            assert_eq!(lex("-", "+").ranks(&same), 0..5);
            assert_eq!(lex("+", "-").ranks(&same).len(), 0);
            assert_eq!(lex("(a", "[a").ranks(&same).len(), 0);
        }
        assert!(ScoreBound::parse(b"nan").is_none());
        // strtod reads nothing from an empty text: 0, as Redis takes it.
        assert_eq!(ScoreBound::parse(b"("), Some(ScoreBound { value: 0.0, exclusive: true }));
        assert_eq!(ScoreBound::parse(b" 1"), Some(ScoreBound { value: 1.0, exclusive: false }));
        assert!(ScoreBound::parse(b"1 ").is_none());
        assert!(LexBound::parse(b"a").is_none());
        assert!(LexBound::parse(b"").is_none());
    }

    #[test]
    fn many_members_keep_the_invariants() {
        let l = ZSetLimits { max_listpack_entries: 0, max_listpack_value: 0 };
        let mut z = ZSet::for_members(1000, 8, &l);
        for i in 0..1000u32 {
            z.set_score(format!("m{i}").as_bytes(), f64::from(i % 37), &l);
        }
        for i in (0..1000u32).step_by(3) {
            z.remove(format!("m{i}").as_bytes());
        }
        for i in (0..1000u32).step_by(5) {
            z.set_score(format!("m{i}").as_bytes(), f64::from(i % 11), &l);
        }
        skiplist(&z).check();
    }

    #[test]
    fn reused_member_slots_keep_the_order_and_ranks() {
        // Removed members' slots are reused by new members while the tree still holds
        // separators: enough members for a tree of several levels, few distinct scores.
        let l = ZSetLimits { max_listpack_entries: 0, max_listpack_value: 0 };
        let mut z = ZSet::for_members(1, 1, &l);
        let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
        fastrand::seed(11);
        for round in 0..30_000u32 {
            let member = format!("m{}", fastrand::u32(..3000)).into_bytes();
            if fastrand::u8(..3) == 0 {
                assert_eq!(z.remove(&member), model.remove(&member));
            } else {
                let score = f64::from(fastrand::u8(..20));
                assert_eq!(z.set_score(&member, score, &l), model.insert(member, score));
            }
            if round % 3000 == 2999 {
                skiplist(&z).check();
                let mut sorted: Vec<_> = model.iter().map(|(m, s)| (m.clone(), *s)).collect();
                sorted.sort_by(|x, y| entry_cmp(x.1, &x.0, y.1, &y.0));
                assert_eq!(entries(&z), sorted);
                for (r, (m, s)) in sorted.iter().enumerate() {
                    assert_eq!(z.rank(m), Some((r, *s)));
                    assert_eq!(z.get(r), Some((&m[..], *s)));
                }
            }
        }
    }

    #[test]
    fn a_scan_returns_members_present_throughout() {
        let l = ZSetLimits { max_listpack_entries: 0, max_listpack_value: 0 };
        let mut z = ZSet::for_members(1, 1, &l);
        for i in 0..500u32 {
            z.set_score(format!("m{i}").as_bytes(), f64::from(i), &l);
        }
        let mut seen = std::collections::HashSet::new();
        let (mut cursor, mut round) = (0, 0u32);
        loop {
            let (next, found) = z.scan(cursor, 9);
            for (m, _) in found {
                assert!(seen.insert(m.to_vec()), "duplicate");
            }
            z.remove(format!("m{}", round * 2 + 1).as_bytes());
            z.set_score(format!("new{round}").as_bytes(), 1.0, &l);
            z.set_score(format!("m{}", round * 2).as_bytes(), -f64::from(round), &l);
            round += 1;
            if next == 0 {
                break;
            }
            cursor = next;
        }
        for i in (0..500u32).step_by(2) {
            assert!(seen.contains(format!("m{i}").as_bytes()), "m{i} missed");
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Set(u8, i8),
        Remove(u8),
        RemoveRanks(usize, usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            5 => (0u8..40, -5i8..5).prop_map(|(m, s)| Op::Set(m, s)),
            2 => (0u8..40).prop_map(Op::Remove),
            1 => (0usize..20, 0usize..4).prop_map(|(a, n)| Op::RemoveRanks(a, a + n)),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_sorted_model(ops in proptest::collection::vec(op(), 1..300), entries_limit in 0usize..12) {
            let l = ZSetLimits { max_listpack_entries: entries_limit, max_listpack_value: 3 };
            let mut z = ZSet::default();
            let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Set(m, s) => {
                        // Some members are longer than the value limit.
                        let member = if m % 7 == 0 { format!("long{m}") } else { format!("m{m}") };
                        let old = z.set_score(member.as_bytes(), f64::from(s), &l);
                        prop_assert_eq!(old, model.insert(member.into_bytes(), f64::from(s)));
                    }
                    Op::Remove(m) => {
                        let member = format!("m{m}");
                        prop_assert_eq!(z.remove(member.as_bytes()), model.remove(member.as_bytes()));
                    }
                    Op::RemoveRanks(a, b) => {
                        let mut sorted: Vec<_> = model.iter().map(|(m, s)| (*s, m.clone())).collect();
                        sorted.sort_by(|x, y| entry_cmp(x.0, &x.1, y.0, &y.1));
                        let removed = z.remove_ranks(a, b);
                        let expected: Vec<_> = sorted.iter().skip(a).take(b.saturating_sub(a)).collect();
                        prop_assert_eq!(removed, expected.len());
                        for (_, m) in expected {
                            model.remove(m);
                        }
                    }
                }
                let mut sorted: Vec<_> = model.iter().map(|(m, s)| (m.clone(), *s)).collect();
                sorted.sort_by(|x, y| entry_cmp(x.1, &x.0, y.1, &y.0));
                prop_assert_eq!(entries(&z), sorted.clone());
                for (r, (m, s)) in sorted.iter().enumerate() {
                    prop_assert_eq!(z.rank(m), Some((r, *s)));
                    prop_assert_eq!(z.score(m), Some(*s));
                }
                let rev: Vec<_> = z.iter_from(z.len().saturating_sub(1), true).map(|(m, s)| (m.to_vec(), s)).collect();
                prop_assert_eq!(rev.len(), sorted.len());
                if let Repr::Tree(s) = &z.repr {
                    s.check();
                }
            }
        }
    }
}
