//! Sets: unordered collections of unique byte strings.
//!
//! Three representations, as Redis 7.2 has them:
//! - intset: a sorted `Vec<i64>` while every member is a canonical integer and there are at
//!   most `set-max-intset-entries` of them;
//! - listpack: a small `Vec` of members in insertion order, up to `set-max-listpack-entries`
//!   members of at most `set-max-listpack-value` bytes;
//! - hashtable: a dense `Vec` of members plus a hash index into it (see [`Table`]).
//!
//! A set converts once to a larger representation and never back, as in Redis.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::compact_bytes::CompactBytes;
use super::string::parse_i64;

/// The thresholds that choose a set's representation (from the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetLimits {
    pub max_intset_entries: usize,
    pub max_listpack_entries: usize,
    pub max_listpack_value: usize,
}

impl Default for SetLimits {
    fn default() -> SetLimits {
        SetLimits { max_intset_entries: 512, max_listpack_entries: 128, max_listpack_value: 64 }
    }
}

/// A member as stored: intsets hold integers, the other forms bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl Member<'_> {
    /// The member's bytes (integers in canonical decimal form).
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Member::Int(n) => itoa::Buffer::new().format(n).as_bytes().to_vec(),
            Member::Bytes(b) => b.to_vec(),
        }
    }

    /// Runs `f` on the member's bytes without allocating.
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Member::Int(n) => f(itoa::Buffer::new().format(n).as_bytes()),
            Member::Bytes(b) => f(b),
        }
    }
}

/// The hashtable form: members in a dense vector (so a random member is one index away and
/// a scan cursor is a position), with a hash table of positions for membership. Removal
/// moves the last member into the hole, so members only ever move towards the front; SSCAN
/// walks positions from the back, which is what guarantees that members present for the
/// whole scan are returned (see [`Set::scan`]).
#[derive(Clone, Default)]
pub struct Table {
    members: Vec<CompactBytes>,
    index: HashTable<usize>,
    hasher: foldhash::fast::RandomState,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.members.iter().map(|m| String::from_utf8_lossy(m))).finish()
    }
}

impl Table {
    fn with_capacity(n: usize) -> Table {
        Table { members: Vec::with_capacity(n), index: HashTable::with_capacity(n), hasher: Default::default() }
    }

    fn position(&self, member: &[u8]) -> Option<usize> {
        let hash = self.hasher.hash_one(member);
        self.index.find(hash, |&i| *self.members[i] == *member).copied()
    }

    fn contains(&self, member: &[u8]) -> bool {
        self.position(member).is_some()
    }

    fn insert(&mut self, member: &[u8]) -> bool {
        if self.contains(member) {
            return false;
        }
        self.push_new(member.into());
        true
    }

    /// Adds a member known not to be present.
    fn push_new(&mut self, member: CompactBytes) {
        let Table { members, index, hasher } = self;
        let hash = hasher.hash_one(&*member);
        index.insert_unique(hash, members.len(), |&i| hasher.hash_one(&*members[i]));
        members.push(member);
    }

    fn remove(&mut self, member: &[u8]) -> bool {
        match self.position(member) {
            Some(pos) => {
                self.remove_at(pos);
                true
            }
            None => false,
        }
    }

    /// Removes the member at `pos`, moving the last member into its place.
    fn remove_at(&mut self, pos: usize) -> CompactBytes {
        let Table { members, index, hasher } = self;
        let hash = hasher.hash_one(&*members[pos]);
        if let Ok(entry) = index.find_entry(hash, |&i| i == pos) {
            entry.remove();
        }
        let last = members.len() - 1;
        if pos != last {
            // Re-point the last member's index entry to its new position.
            let hash = hasher.hash_one(&*members[last]);
            if let Some(slot) = index.find_mut(hash, |&i| i == last) {
                *slot = pos;
            }
        }
        members.swap_remove(pos)
    }
}

#[derive(Debug, Clone)]
enum Repr {
    Intset(Vec<i64>),
    Listpack(Vec<CompactBytes>),
    Hashtable(Table),
}

/// A set value.
#[derive(Debug, Clone)]
pub struct Set {
    repr: Repr,
}

impl Default for Set {
    fn default() -> Set {
        Set { repr: Repr::Intset(Vec::new()) }
    }
}

impl PartialEq for Set {
    fn eq(&self, other: &Set) -> bool {
        self.len() == other.len() && self.iter().all(|m| m.with_bytes(|b| other.contains(b)))
    }
}

impl Set {
    /// An empty set ready for about `size_hint` members, the first of which is `first`
    /// (Redis's `setTypeCreate`): an intset if `first` is an integer and the hint fits one,
    /// else a listpack if the hint fits one, else a hashtable.
    pub fn for_members(first: Option<&[u8]>, size_hint: usize, limits: &SetLimits) -> Set {
        let repr = if first.is_some_and(|m| parse_i64(m).is_some()) && size_hint <= limits.max_intset_entries {
            Repr::Intset(Vec::new())
        } else if size_hint <= limits.max_listpack_entries {
            Repr::Listpack(Vec::new())
        } else {
            Repr::Hashtable(Table::with_capacity(size_hint))
        };
        Set { repr }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Intset(v) => v.len(),
            Repr::Listpack(v) => v.len(),
            Repr::Hashtable(t) => t.members.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding `OBJECT ENCODING` reports, with Redis's names.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Intset(_) => "intset",
            Repr::Listpack(_) => "listpack",
            Repr::Hashtable(_) => "hashtable",
        }
    }

    /// Converts to a hashtable now if about `size_hint` more members would not fit the
    /// current form anyway (Redis's `setTypeMaybeConvert`, used by SADD).
    pub fn prepare_for(&mut self, size_hint: usize, limits: &SetLimits) {
        let too_big = match self.repr {
            Repr::Intset(_) => size_hint > limits.max_intset_entries,
            Repr::Listpack(_) => size_hint > limits.max_listpack_entries,
            Repr::Hashtable(_) => false,
        };
        if too_big {
            self.convert_to_hashtable(size_hint);
        }
    }

    fn convert_to_hashtable(&mut self, extra: usize) {
        let mut table = Table::with_capacity(self.len() + extra);
        for m in self.iter() {
            table.push_new(CompactBytes::from(m.to_vec()));
        }
        self.repr = Repr::Hashtable(table);
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Intset(v) => parse_i64(member).is_some_and(|n| v.binary_search(&n).is_ok()),
            Repr::Listpack(v) => v.iter().any(|m| **m == *member),
            Repr::Hashtable(t) => t.contains(member),
        }
    }

    /// Adds `member`; false if it was already there. Converts the representation when a
    /// threshold is crossed, as Redis's `setTypeAdd` does.
    pub fn insert(&mut self, member: &[u8], limits: &SetLimits) -> bool {
        match &mut self.repr {
            Repr::Intset(v) => match parse_i64(member) {
                Some(n) => match v.binary_search(&n) {
                    Ok(_) => false,
                    Err(pos) => {
                        v.insert(pos, n);
                        if v.len() > limits.max_intset_entries {
                            self.convert_to_hashtable(0);
                        }
                        true
                    }
                },
                None => {
                    // The widest integer's text bounds every member's length.
                    let widest = v.first().into_iter().chain(v.last()).map(|n| digits(*n)).max().unwrap_or(0);
                    if v.len() < limits.max_listpack_entries
                        && member.len() <= limits.max_listpack_value
                        && widest <= limits.max_listpack_value
                    {
                        let mut list: Vec<CompactBytes> = Vec::with_capacity(v.len() + 1);
                        list.extend(v.iter().map(|n| CompactBytes::from(Member::Int(*n).to_vec())));
                        list.push(member.into());
                        self.repr = Repr::Listpack(list);
                    } else {
                        self.convert_to_hashtable(1);
                        if let Repr::Hashtable(t) = &mut self.repr {
                            t.push_new(member.into());
                        }
                    }
                    true
                }
            },
            Repr::Listpack(v) => {
                if v.iter().any(|m| **m == *member) {
                    return false;
                }
                if v.len() < limits.max_listpack_entries && member.len() <= limits.max_listpack_value {
                    v.push(member.into());
                } else {
                    self.convert_to_hashtable(1);
                    if let Repr::Hashtable(t) = &mut self.repr {
                        t.push_new(member.into());
                    }
                }
                true
            }
            Repr::Hashtable(t) => t.insert(member),
        }
    }

    /// Removes `member`; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Intset(v) => match parse_i64(member).map(|n| v.binary_search(&n)) {
                Some(Ok(pos)) => {
                    v.remove(pos);
                    true
                }
                _ => false,
            },
            Repr::Listpack(v) => match v.iter().position(|m| **m == *member) {
                Some(pos) => {
                    v.remove(pos);
                    true
                }
                None => false,
            },
            Repr::Hashtable(t) => t.remove(member),
        }
    }

    /// The member at position `i` of the representation's order (for random picks).
    pub fn get(&self, i: usize) -> Option<Member<'_>> {
        match &self.repr {
            Repr::Intset(v) => v.get(i).map(|n| Member::Int(*n)),
            Repr::Listpack(v) => v.get(i).map(|m| Member::Bytes(m)),
            Repr::Hashtable(t) => t.members.get(i).map(|m| Member::Bytes(m)),
        }
    }

    /// A uniformly random member.
    pub fn random(&self) -> Option<Member<'_>> {
        if self.is_empty() { None } else { self.get(fastrand::usize(..self.len())) }
    }

    /// Removes and returns the member at position `i`.
    pub fn remove_at(&mut self, i: usize) -> Option<Vec<u8>> {
        if i >= self.len() {
            return None;
        }
        Some(match &mut self.repr {
            Repr::Intset(v) => Member::Int(v.remove(i)).to_vec(),
            Repr::Listpack(v) => v.remove(i).into_vec(),
            Repr::Hashtable(t) => t.remove_at(i).into_vec(),
        })
    }

    /// Removes and returns a random member.
    pub fn pop_random(&mut self) -> Option<Vec<u8>> {
        if self.is_empty() {
            return None;
        }
        self.remove_at(fastrand::usize(..self.len()))
    }

    /// Every member, in the representation's order (sorted for intsets, insertion order
    /// for listpacks, arbitrary for hashtables).
    pub fn iter(&self) -> impl Iterator<Item = Member<'_>> + '_ {
        (0..self.len()).filter_map(move |i| self.get(i))
    }

    /// One SSCAN step. Compact forms return everything at once with cursor 0, as Redis
    /// does. A hashtable cursor `c` means "positions below `c` are left" (0 starts at the
    /// end); each step visits about `count` positions downwards. Members only move towards
    /// the front (removal moves the last one into the hole), so a member present for the
    /// whole scan is always still ahead of the cursor until it is visited: it is returned
    /// at least once. Returns the next cursor (0 when done) and the members visited.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<Member<'_>>) {
        let Repr::Hashtable(t) = &self.repr else {
            return (0, self.iter().collect());
        };
        let len = t.members.len();
        let upper = if cursor == 0 { len } else { usize::try_from(cursor).unwrap_or(usize::MAX).min(len) };
        let lower = upper.saturating_sub(count.max(1));
        let found = t.members[lower..upper].iter().rev().map(|m| Member::Bytes(m)).collect();
        (lower as u64, found)
    }
}

/// Number of characters of `n` in decimal.
fn digits(n: i64) -> usize {
    itoa::Buffer::new().format(n).len()
}

/// `count` distinct positions out of `0..len` in random order (Floyd's algorithm: O(count)
/// time and memory). `count` must not exceed `len`.
pub fn sample_positions(len: usize, count: usize) -> Vec<usize> {
    let count = count.min(len);
    let mut chosen = hashbrown::HashSet::with_capacity_and_hasher(count, foldhash::fast::RandomState::default());
    let mut out = Vec::with_capacity(count);
    for j in len - count..len {
        let t = fastrand::usize(..=j);
        let pick = if chosen.insert(t) { t } else { j };
        if pick == j {
            chosen.insert(j);
        }
        out.push(pick);
    }
    fastrand::shuffle(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    fn small() -> SetLimits {
        SetLimits { max_intset_entries: 4, max_listpack_entries: 3, max_listpack_value: 5 }
    }

    fn members(s: &Set) -> HashSet<Vec<u8>> {
        s.iter().map(Member::to_vec).collect()
    }

    #[test]
    fn encodings_convert_at_the_thresholds() {
        let l = small();
        let mut s = Set::for_members(Some(b"1"), 1, &l);
        assert_eq!(s.encoding(), "intset");
        for n in 1..=4 {
            assert!(s.insert(n.to_string().as_bytes(), &l));
        }
        assert_eq!(s.encoding(), "intset");
        assert!(!s.insert(b"4", &l));
        assert!(s.insert(b"5", &l));
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 5);

        // An intset meeting a string becomes a listpack when it fits one.
        let mut s = Set::for_members(Some(b"1"), 1, &l);
        s.insert(b"1", &l);
        s.insert(b"a", &l);
        assert_eq!(s.encoding(), "listpack");
        s.insert(b"b", &l);
        assert_eq!(s.encoding(), "listpack");
        s.insert(b"c", &l);
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(members(&s), ["1", "a", "b", "c"].iter().map(|m| m.as_bytes().to_vec()).collect());

        // A long member goes straight to a hashtable.
        let mut s = Set::for_members(Some(b"x"), 1, &l);
        assert_eq!(s.encoding(), "listpack");
        s.insert(b"toolong", &l);
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"toolong"));

        assert_eq!(Set::for_members(Some(b"x"), 3, &l).encoding(), "listpack");
        assert_eq!(Set::for_members(Some(b"1"), 5, &l).encoding(), "hashtable");
        assert_eq!(Set::for_members(Some(b"x"), 4, &l).encoding(), "hashtable");
    }

    #[test]
    fn intset_members_are_canonical_integers() {
        let l = SetLimits::default();
        let mut s = Set::for_members(Some(b"10"), 1, &l);
        s.insert(b"10", &l);
        assert!(!s.contains(b"010"));
        assert!(s.contains(b"10"));
        s.insert(b"-5", &l);
        assert_eq!(s.iter().map(Member::to_vec).collect::<Vec<_>>(), vec![b"-5".to_vec(), b"10".to_vec()]);
        assert!(!s.remove(b"+10"));
        assert!(s.remove(b"10"));
    }

    #[test]
    fn a_scan_returns_members_present_throughout_despite_removals() {
        let l = SetLimits { max_intset_entries: 0, max_listpack_entries: 0, max_listpack_value: 0 };
        let mut s = Set::for_members(None, 1000, &l);
        for i in 0..1000 {
            s.insert(format!("m{i}").as_bytes(), &l);
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            let (next, found) = s.scan(cursor, 7);
            seen.extend(found.into_iter().map(Member::to_vec));
            // Remove some odd members and add new ones between steps.
            let victim = format!("m{}", (round * 2 + 1) % 1000);
            s.remove(victim.as_bytes());
            s.insert(format!("new{round}").as_bytes(), &l);
            round += 1;
            if next == 0 {
                break;
            }
            cursor = next;
        }
        for i in (0..1000).step_by(2) {
            assert!(seen.contains(format!("m{i}").as_bytes()), "m{i} missed");
        }
    }

    #[test]
    fn sampling_is_distinct() {
        for (len, count) in [(10, 10), (10, 3), (1000, 999), (5, 0)] {
            let picks = sample_positions(len, count);
            assert_eq!(picks.len(), count);
            let unique: HashSet<_> = picks.iter().collect();
            assert_eq!(unique.len(), count);
            assert!(picks.iter().all(|&p| p < len));
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(String),
        Remove(String),
        PopAt(usize),
    }

    fn member() -> impl Strategy<Value = String> {
        prop_oneof![(0i64..20).prop_map(|n| n.to_string()), "[a-d]{1,7}",]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => member().prop_map(Op::Insert),
            2 => member().prop_map(Op::Remove),
            1 => (0usize..30).prop_map(Op::PopAt),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_hash_set(ops in proptest::collection::vec(op(), 1..200)) {
            let l = small();
            let mut s = Set::default();
            let mut model: HashSet<Vec<u8>> = HashSet::new();
            for op in ops {
                match op {
                    Op::Insert(m) => prop_assert_eq!(s.insert(m.as_bytes(), &l), model.insert(m.into_bytes())),
                    Op::Remove(m) => prop_assert_eq!(s.remove(m.as_bytes()), model.remove(m.as_bytes())),
                    Op::PopAt(i) => match s.remove_at(i) {
                        Some(m) => prop_assert!(model.remove(&m)),
                        None => prop_assert!(i >= model.len()),
                    },
                }
                prop_assert_eq!(s.len(), model.len());
                for m in &model {
                    prop_assert!(s.contains(m));
                }
            }
            prop_assert_eq!(members(&s), model);
        }
    }
}
