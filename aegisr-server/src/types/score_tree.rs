//! An order-statistic B+tree of sorted-set entries: the ordered half of a large sorted set
//! (`zset.rs` keeps the members and the member index).
//!
//! Redis orders large sorted sets with a skiplist. A skiplist search hops through
//! ~log4(n) levels, one scattered node per hop, and every hop is a cache miss; on a
//! 100,000-member set that search was most of ZADD's time. A B+tree visits one node per
//! level, compares against keys laid out next to each other, and its upper levels stay in
//! cache. Inner nodes keep each child's entry count, so rank and select stay O(log n).
//!
//! An entry is a [`Key`]: a score and the id of its member in the caller's storage. Ties on
//! score are broken by member bytes, which the caller supplies through a lookup function,
//! so member bytes are stored once, outside the tree. Every key in the tree is distinct.
//! Nodes live in two arenas and name each other by index: no unsafe code, no per-node box.

use std::cmp::Ordering;

/// Entries per leaf and children per inner node. 32 keeps a leaf's scores in four cache
/// lines and measured as fast as 64 on a 100,000-member ZADD.
const LEAF_CAP: usize = 32;
const INNER_CAP: usize = 32;
/// A node below these is merged with or refilled from a sibling, which bounds the memory a
/// tree keeps after deletions to about four times its entries' worth.
const LEAF_MIN: usize = LEAF_CAP / 4;
const INNER_MIN: usize = INNER_CAP / 4;
/// "No node" in leaf links.
const NONE: u32 = u32::MAX;

/// One entry: a score (never NaN) and its member's id in the caller's storage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Key {
    pub score: f64,
    pub id: u32,
}

/// Compares two keys by score, then by member bytes (`member` maps an id to its bytes).
fn cmp_keys<'m>(a: Key, b: Key, member: &impl Fn(u32) -> &'m [u8]) -> Ordering {
    match a.score.partial_cmp(&b.score) {
        Some(Ordering::Equal) | None if a.id == b.id => Ordering::Equal,
        Some(Ordering::Equal) | None => member(a.id).cmp(member(b.id)),
        Some(order) => order,
    }
}

#[derive(Debug, Clone)]
struct Leaf {
    len: u32,
    prev: u32,
    next: u32,
    scores: [f64; LEAF_CAP],
    ids: [u32; LEAF_CAP],
}

impl Leaf {
    fn empty() -> Leaf {
        Leaf { len: 0, prev: NONE, next: NONE, scores: [0.0; LEAF_CAP], ids: [0; LEAF_CAP] }
    }

    fn len(&self) -> usize {
        self.len as usize
    }

    fn key(&self, pos: usize) -> Key {
        Key { score: self.scores[pos], id: self.ids[pos] }
    }

    /// How many entries sort before `key`.
    fn below<'m>(&self, key: Key, member: &impl Fn(u32) -> &'m [u8]) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if cmp_keys(self.key(mid), key, member) == Ordering::Less {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn insert(&mut self, pos: usize, key: Key) {
        let len = self.len();
        self.scores.copy_within(pos..len, pos + 1);
        self.ids.copy_within(pos..len, pos + 1);
        self.scores[pos] = key.score;
        self.ids[pos] = key.id;
        self.len += 1;
    }

    fn remove(&mut self, pos: usize) {
        let len = self.len();
        self.scores.copy_within(pos + 1..len, pos);
        self.ids.copy_within(pos + 1..len, pos);
        self.len -= 1;
    }
}

/// An inner node: for each child, its smallest key, its index and how many entries it
/// holds. Separators are kept exact (not merely lower bounds, as B+trees often allow):
/// a separator names a member by id, and a removed member's id is reused, so a stale
/// separator could change meaning.
#[derive(Debug, Clone)]
struct Inner {
    len: u32,
    seps: [Key; INNER_CAP],
    children: [u32; INNER_CAP],
    counts: [usize; INNER_CAP],
}

impl Inner {
    fn empty() -> Inner {
        Inner { len: 0, seps: [Key { score: 0.0, id: 0 }; INNER_CAP], children: [0; INNER_CAP], counts: [0; INNER_CAP] }
    }

    fn len(&self) -> usize {
        self.len as usize
    }

    /// The child whose range holds `key`: the last one whose smallest key is at most `key`.
    fn route<'m>(&self, key: Key, member: &impl Fn(u32) -> &'m [u8]) -> usize {
        self.last_where(|sep| cmp_keys(sep, key, member) != Ordering::Greater)
    }

    /// The last child whose smallest key satisfies `holds` (true for a prefix of the
    /// order), or child 0.
    fn last_where(&self, holds: impl Fn(Key) -> bool) -> usize {
        let (mut lo, mut hi) = (1, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if holds(self.seps[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo - 1
    }

    fn insert(&mut self, pos: usize, sep: Key, child: u32, count: usize) {
        let len = self.len();
        self.seps.copy_within(pos..len, pos + 1);
        self.children.copy_within(pos..len, pos + 1);
        self.counts.copy_within(pos..len, pos + 1);
        self.seps[pos] = sep;
        self.children[pos] = child;
        self.counts[pos] = count;
        self.len += 1;
    }

    fn remove(&mut self, pos: usize) {
        let len = self.len();
        self.seps.copy_within(pos + 1..len, pos);
        self.children.copy_within(pos + 1..len, pos);
        self.counts.copy_within(pos + 1..len, pos);
        self.len -= 1;
    }

    fn total(&self) -> usize {
        self.counts[..self.len()].iter().sum()
    }
}

/// What a removal (or rescoring) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Missing,
    Removed,
    Rescored,
}

/// A position in the tree: a leaf and an index in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    leaf: u32,
    pos: u32,
}

/// The B+tree. Keys are compared with a member lookup passed to each call.
#[derive(Debug, Clone)]
pub struct ScoreTree {
    leaves: Vec<Leaf>,
    inners: Vec<Inner>,
    free_leaves: Vec<u32>,
    free_inners: Vec<u32>,
    root: u32,
    /// Inner levels above the leaves (0: the root is a leaf).
    height: u32,
    len: usize,
}

impl Default for ScoreTree {
    fn default() -> ScoreTree {
        ScoreTree {
            leaves: vec![Leaf::empty()],
            inners: Vec::new(),
            free_leaves: Vec::new(),
            free_inners: Vec::new(),
            root: 0,
            height: 0,
            len: 0,
        }
    }
}

impl ScoreTree {
    pub fn len(&self) -> usize {
        self.len
    }

    fn new_leaf(&mut self) -> u32 {
        match self.free_leaves.pop() {
            Some(i) => {
                self.leaves[i as usize] = Leaf::empty();
                i
            }
            None => {
                self.leaves.push(Leaf::empty());
                (self.leaves.len() - 1) as u32
            }
        }
    }

    fn new_inner(&mut self) -> u32 {
        match self.free_inners.pop() {
            Some(i) => {
                self.inners[i as usize] = Inner::empty();
                i
            }
            None => {
                self.inners.push(Inner::empty());
                (self.inners.len() - 1) as u32
            }
        }
    }

    fn leaf(&self, i: u32) -> &Leaf {
        &self.leaves[i as usize]
    }

    fn leaf_mut(&mut self, i: u32) -> &mut Leaf {
        &mut self.leaves[i as usize]
    }

    fn inner(&self, i: u32) -> &Inner {
        &self.inners[i as usize]
    }

    fn inner_mut(&mut self, i: u32) -> &mut Inner {
        &mut self.inners[i as usize]
    }

    /// The smallest key below `node` at `height`.
    fn min_key(&self, node: u32, height: u32) -> Key {
        if height == 0 { self.leaf(node).key(0) } else { self.inner(node).seps[0] }
    }

    /// Adds `key`, which must not be in the tree.
    pub fn insert<'m>(&mut self, key: Key, member: &impl Fn(u32) -> &'m [u8]) {
        if let Some((sep, node, count)) = self.insert_into(self.root, self.height, key, member) {
            let old = self.root;
            let low = self.min_key(old, self.height);
            let root = self.new_inner();
            let total = self.len + 1;
            let r = self.inner_mut(root);
            r.insert(0, low, old, total - count);
            r.insert(1, sep, node, count);
            self.root = root;
            self.height += 1;
        }
        self.len += 1;
    }

    /// Inserts below `node`; returns the node split off to its right (its smallest key,
    /// index and count) when `node` was full.
    fn insert_into<'m>(
        &mut self,
        node: u32,
        height: u32,
        key: Key,
        member: &impl Fn(u32) -> &'m [u8],
    ) -> Option<(Key, u32, usize)> {
        if height == 0 {
            let pos = self.leaf(node).below(key, member);
            if self.leaf(node).len() < LEAF_CAP {
                self.leaf_mut(node).insert(pos, key);
                return None;
            }
            let right = self.new_leaf();
            let left = self.leaf(node).clone();
            // Appending past the last leaf (loading a snapshot, building a result in order)
            // starts a new leaf and leaves the full one full: half-full leaves would cost a
            // third more memory for every sorted set loaded in order.
            let half = if pos == LEAF_CAP && left.next == NONE { LEAF_CAP } else { LEAF_CAP / 2 };
            let next = left.next;
            {
                let r = self.leaf_mut(right);
                r.scores[..LEAF_CAP - half].copy_from_slice(&left.scores[half..]);
                r.ids[..LEAF_CAP - half].copy_from_slice(&left.ids[half..]);
                r.len = (LEAF_CAP - half) as u32;
                r.prev = node;
                r.next = next;
            }
            {
                let l = self.leaf_mut(node);
                l.len = half as u32;
                l.next = right;
            }
            if next != NONE {
                self.leaf_mut(next).prev = right;
            }
            if pos < half {
                self.leaf_mut(node).insert(pos, key);
            } else {
                self.leaf_mut(right).insert(pos - half, key);
            }
            let r = self.leaf(right);
            return Some((r.key(0), right, r.len()));
        }
        let i = self.inner(node).route(key, member);
        let child = self.inner(node).children[i];
        let split = self.insert_into(child, height - 1, key, member);
        let inner = self.inner_mut(node);
        inner.counts[i] += 1;
        // Only the first child can receive a key below its smallest one.
        if i == 0 && cmp_keys(key, inner.seps[0], member) == Ordering::Less {
            inner.seps[0] = key;
        }
        let (sep, new_child, count) = split?;
        self.inner_mut(node).counts[i] -= count;
        if self.inner(node).len() < INNER_CAP {
            self.inner_mut(node).insert(i + 1, sep, new_child, count);
            return None;
        }
        let right = self.new_inner();
        let half = INNER_CAP / 2;
        let left = self.inner(node).clone();
        {
            let r = self.inner_mut(right);
            r.seps[..INNER_CAP - half].copy_from_slice(&left.seps[half..]);
            r.children[..INNER_CAP - half].copy_from_slice(&left.children[half..]);
            r.counts[..INNER_CAP - half].copy_from_slice(&left.counts[half..]);
            r.len = (INNER_CAP - half) as u32;
        }
        self.inner_mut(node).len = half as u32;
        if i < half {
            self.inner_mut(node).insert(i + 1, sep, new_child, count);
        } else {
            self.inner_mut(right).insert(i + 1 - half, sep, new_child, count);
        }
        let r = self.inner(right);
        Some((r.seps[0], right, r.total()))
    }

    /// Removes `key`; false if it was not in the tree.
    pub fn remove<'m>(&mut self, key: Key, member: &impl Fn(u32) -> &'m [u8]) -> bool {
        self.remove_or_rescore(key, None, member) == Found::Removed
    }

    /// Gives the entry `key` the score `score`: in place when it stays between its
    /// neighbours in its leaf (as Redis's zslUpdateScore does), which costs one descent,
    /// else by removing it and inserting it again. False if `key` was not in the tree.
    pub fn rescore<'m>(&mut self, key: Key, score: f64, member: &impl Fn(u32) -> &'m [u8]) -> bool {
        match self.remove_or_rescore(key, Some(score), member) {
            Found::Missing => false,
            Found::Rescored => true,
            Found::Removed => {
                self.insert(Key { score, id: key.id }, member);
                true
            }
        }
    }

    fn remove_or_rescore<'m>(&mut self, key: Key, score: Option<f64>, member: &impl Fn(u32) -> &'m [u8]) -> Found {
        let found = self.remove_from(self.root, self.height, key, score, member);
        if found != Found::Removed {
            return found;
        }
        self.len -= 1;
        while self.height > 0 && self.inner(self.root).len() == 1 {
            let old = self.root;
            self.root = self.inner(old).children[0];
            self.free_inners.push(old);
            self.height -= 1;
        }
        Found::Removed
    }

    /// Removes `key` below `node`, or with `score`, rescores it in place if it can.
    fn remove_from<'m>(
        &mut self,
        node: u32,
        height: u32,
        key: Key,
        score: Option<f64>,
        member: &impl Fn(u32) -> &'m [u8],
    ) -> Found {
        if height == 0 {
            let leaf = self.leaf(node);
            let pos = leaf.below(key, member);
            if pos >= leaf.len() || leaf.ids[pos] != key.id {
                return Found::Missing;
            }
            let at = Cursor { leaf: node, pos: pos as u32 };
            if score.is_some_and(|score| self.rescore_in_place(at, score, member)) {
                return Found::Rescored;
            }
            self.leaf_mut(node).remove(pos);
            return Found::Removed;
        }
        let i = self.inner(node).route(key, member);
        let child = self.inner(node).children[i];
        let found = self.remove_from(child, height - 1, key, score, member);
        if found != Found::Removed {
            return found;
        }
        self.inner_mut(node).counts[i] -= 1;
        let (child_len, min) =
            if height == 1 { (self.leaf(child).len(), LEAF_MIN) } else { (self.inner(child).len(), INNER_MIN) };
        // The child's smallest key went. Only the last leaf, which appends can leave nearly
        // empty, can be emptied; `rebalance` then merges it away with its separator.
        if child_len > 0 && self.inner(node).seps[i].id == key.id {
            let smallest = self.min_key(child, height - 1);
            self.inner_mut(node).seps[i] = smallest;
        }
        if child_len < min && self.inner(node).len() > 1 {
            self.rebalance(node, i, height - 1);
        }
        Found::Removed
    }

    /// Child `i` of `parent` fell below its minimum: merge it with a sibling, or even the
    /// two out when together they would overfill one node.
    fn rebalance(&mut self, parent: u32, i: usize, child_height: u32) {
        let (l, r) = if i + 1 < self.inner(parent).len() { (i, i + 1) } else { (i - 1, i) };
        let p = self.inner(parent).clone();
        let (left, right) = (p.children[l], p.children[r]);
        if child_height == 0 {
            let (ln, rn) = (self.leaf(left).len(), self.leaf(right).len());
            if ln + rn <= LEAF_CAP {
                let rl = self.leaf(right).clone();
                let lf = self.leaf_mut(left);
                lf.scores[ln..ln + rn].copy_from_slice(&rl.scores[..rn]);
                lf.ids[ln..ln + rn].copy_from_slice(&rl.ids[..rn]);
                lf.len = (ln + rn) as u32;
                lf.next = rl.next;
                if rl.next != NONE {
                    self.leaf_mut(rl.next).prev = left;
                }
                self.free_leaves.push(right);
                self.merged(parent, l, r);
                return;
            }
            let keep = (ln + rn) / 2;
            let (mut lf, mut rl) = (self.leaf(left).clone(), self.leaf(right).clone());
            let mut all: Vec<Key> = (0..ln).map(|k| lf.key(k)).chain((0..rn).map(|k| rl.key(k))).collect();
            let moved = all.split_off(keep);
            for (k, key) in all.iter().enumerate() {
                (lf.scores[k], lf.ids[k]) = (key.score, key.id);
            }
            for (k, key) in moved.iter().enumerate() {
                (rl.scores[k], rl.ids[k]) = (key.score, key.id);
            }
            (lf.len, rl.len) = (all.len() as u32, moved.len() as u32);
            let sep = rl.key(0);
            *self.leaf_mut(left) = lf;
            *self.leaf_mut(right) = rl;
            let pm = self.inner_mut(parent);
            pm.seps[r] = sep;
            (pm.counts[l], pm.counts[r]) = (all.len(), moved.len());
            return;
        }
        let (ln, rn) = (self.inner(left).len(), self.inner(right).len());
        // Right's first child is bounded by the parent's separator for right.
        let mut ri = self.inner(right).clone();
        ri.seps[0] = p.seps[r];
        if ln + rn <= INNER_CAP {
            let lf = self.inner_mut(left);
            lf.seps[ln..ln + rn].copy_from_slice(&ri.seps[..rn]);
            lf.children[ln..ln + rn].copy_from_slice(&ri.children[..rn]);
            lf.counts[ln..ln + rn].copy_from_slice(&ri.counts[..rn]);
            lf.len = (ln + rn) as u32;
            self.free_inners.push(right);
            self.merged(parent, l, r);
            return;
        }
        let keep = (ln + rn) / 2;
        let lf = self.inner(left).clone();
        let mut entries: Vec<(Key, u32, usize)> = (0..ln)
            .map(|k| (lf.seps[k], lf.children[k], lf.counts[k]))
            .chain((0..rn).map(|k| (ri.seps[k], ri.children[k], ri.counts[k])))
            .collect();
        let moved = entries.split_off(keep);
        let mut new_left = Inner::empty();
        for (k, &(sep, child, count)) in entries.iter().enumerate() {
            new_left.insert(k, sep, child, count);
        }
        let mut new_right = Inner::empty();
        for (k, &(sep, child, count)) in moved.iter().enumerate() {
            new_right.insert(k, sep, child, count);
        }
        let (lc, rc, sep) = (new_left.total(), new_right.total(), new_right.seps[0]);
        *self.inner_mut(left) = new_left;
        *self.inner_mut(right) = new_right;
        let pm = self.inner_mut(parent);
        pm.seps[r] = sep;
        (pm.counts[l], pm.counts[r]) = (lc, rc);
    }

    /// Child `r` of `parent` was merged into child `l`.
    fn merged(&mut self, parent: u32, l: usize, r: usize) {
        let pm = self.inner_mut(parent);
        pm.counts[l] += pm.counts[r];
        pm.remove(r);
    }

    /// Where `key` is; None if it is not in the tree.
    #[cfg(test)]
    pub fn locate<'m>(&self, key: Key, member: &impl Fn(u32) -> &'m [u8]) -> Option<Cursor> {
        let mut node = self.root;
        for _ in 0..self.height {
            let inner = self.inner(node);
            node = inner.children[inner.route(key, member)];
        }
        let pos = self.leaf(node).below(key, member);
        (pos < self.leaf(node).len() && self.leaf(node).ids[pos] == key.id)
            .then_some(Cursor { leaf: node, pos: pos as u32 })
    }

    /// Changes the score of the entry at `at` in place when it keeps its position between
    /// its neighbours in the leaf; false otherwise. Never the leaf's first entry, which
    /// the separators above name.
    fn rescore_in_place<'m>(&mut self, at: Cursor, score: f64, member: &impl Fn(u32) -> &'m [u8]) -> bool {
        let leaf = self.leaf(at.leaf);
        let pos = at.pos as usize;
        let old = leaf.key(pos);
        let new = Key { score, id: old.id };
        let after_prev = pos > 0 && cmp_keys(leaf.key(pos - 1), new, member) == Ordering::Less;
        let before_next = pos + 1 < leaf.len() && cmp_keys(new, leaf.key(pos + 1), member) == Ordering::Less;
        if after_prev && before_next {
            self.leaf_mut(at.leaf).scores[pos] = score;
            return true;
        }
        false
    }

    /// How many leading entries satisfy `before`, which must hold for a prefix of the
    /// order only (e.g. "score below the range's minimum"). O(log n).
    pub fn count_while(&self, before: impl Fn(Key) -> bool) -> usize {
        let mut node = self.root;
        let mut count = 0;
        for _ in 0..self.height {
            let inner = self.inner(node);
            let i = inner.last_where(&before);
            count += inner.counts[..i].iter().sum::<usize>();
            node = inner.children[i];
        }
        let leaf = self.leaf(node);
        let (mut lo, mut hi) = (0, leaf.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if before(leaf.key(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        count + lo
    }

    /// The position of the entry of 0-based `rank`.
    pub fn select(&self, rank: usize) -> Option<Cursor> {
        if rank >= self.len {
            return None;
        }
        let mut node = self.root;
        let mut rest = rank;
        for _ in 0..self.height {
            let inner = self.inner(node);
            let mut i = 0;
            while i + 1 < inner.len() && rest >= inner.counts[i] {
                rest -= inner.counts[i];
                i += 1;
            }
            node = inner.children[i];
        }
        (rest < self.leaf(node).len()).then_some(Cursor { leaf: node, pos: rest as u32 })
    }

    pub fn key(&self, at: Cursor) -> Key {
        self.leaf(at.leaf).key(at.pos as usize)
    }

    /// The position after `at` in ascending order.
    pub fn next(&self, at: Cursor) -> Option<Cursor> {
        let leaf = self.leaf(at.leaf);
        if (at.pos as usize) + 1 < leaf.len() {
            return Some(Cursor { leaf: at.leaf, pos: at.pos + 1 });
        }
        let mut next = leaf.next;
        // Only the root leaf of an empty tree is empty; skip defensively all the same.
        while next != NONE {
            if self.leaf(next).len() > 0 {
                return Some(Cursor { leaf: next, pos: 0 });
            }
            next = self.leaf(next).next;
        }
        None
    }

    /// The position before `at` in ascending order.
    pub fn prev(&self, at: Cursor) -> Option<Cursor> {
        if at.pos > 0 {
            return Some(Cursor { leaf: at.leaf, pos: at.pos - 1 });
        }
        let mut prev = self.leaf(at.leaf).prev;
        while prev != NONE {
            let len = self.leaf(prev).len();
            if len > 0 {
                return Some(Cursor { leaf: prev, pos: (len - 1) as u32 });
            }
            prev = self.leaf(prev).prev;
        }
        None
    }

    /// Checks every structural invariant (tests only).
    #[cfg(test)]
    pub fn check<'m>(&self, member: &impl Fn(u32) -> &'m [u8]) {
        let count = self.check_node(self.root, self.height, (None, None), member, true);
        assert_eq!(count, self.len);
        // The leaf chain holds every entry in order, both ways.
        let mut at = self.select(0);
        let mut seen = 0;
        let mut prev: Option<Cursor> = None;
        while let Some(c) = at {
            if let Some(p) = prev {
                assert_eq!(cmp_keys(self.key(p), self.key(c), member), Ordering::Less);
                assert_eq!(self.prev(c), Some(p));
            }
            seen += 1;
            prev = Some(c);
            at = self.next(c);
        }
        assert_eq!(seen, self.len);
    }

    #[cfg(test)]
    fn check_node<'m>(
        &self,
        node: u32,
        height: u32,
        (low, high): (Option<Key>, Option<Key>),
        member: &impl Fn(u32) -> &'m [u8],
        rightmost: bool,
    ) -> usize {
        let root = self.root;
        let in_range = |k: Key| {
            low.is_none_or(|l| cmp_keys(l, k, member) != Ordering::Greater)
                && high.is_none_or(|h| cmp_keys(k, h, member) == Ordering::Less)
        };
        if height == 0 {
            let leaf = self.leaf(node);
            // The last leaf may be short after appends.
            assert!(node == root || rightmost || leaf.len() >= LEAF_MIN, "leaf underfull: {}", leaf.len());
            for k in 0..leaf.len() {
                assert!(in_range(leaf.key(k)));
            }
            return leaf.len();
        }
        let inner = self.inner(node);
        assert!(if node == root { inner.len() >= 2 } else { inner.len() >= INNER_MIN });
        let mut total = 0;
        for i in 0..inner.len() {
            let lo = if i == 0 { low } else { Some(inner.seps[i]) };
            let hi = if i + 1 < inner.len() { Some(inner.seps[i + 1]) } else { high };
            if i > 0 {
                assert!(in_range(inner.seps[i]));
            }
            let last = rightmost && i + 1 == inner.len();
            let n = self.check_node(inner.children[i], height - 1, (lo, hi), member, last);
            assert_eq!(n, inner.counts[i]);
            assert_eq!(inner.seps[i], self.min_key(inner.children[i], height - 1), "separators are exact");
            total += n;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Members are their id's decimal digits, so ties on score order by those bytes.
    fn names(n: u32) -> Vec<Vec<u8>> {
        (0..n).map(|i| i.to_string().into_bytes()).collect()
    }

    #[test]
    fn random_inserts_and_removes_keep_order_ranks_and_shape() {
        let members = names(5000);
        let member = |id: u32| &members[id as usize][..];
        let mut tree = ScoreTree::default();
        let mut model: std::collections::BTreeMap<(i64, Vec<u8>), u32> = Default::default();
        let mut scores = vec![None; members.len()];
        fastrand::seed(7);
        for round in 0..40_000 {
            let id = fastrand::u32(..members.len() as u32);
            // Few distinct scores, so member tie-breaks are exercised.
            let score = fastrand::i64(0..50);
            match scores[id as usize] {
                Some(old) if round % 3 != 0 => {
                    assert!(tree.remove(Key { score: old as f64, id }, &member));
                    model.remove(&(old, members[id as usize].clone()));
                    scores[id as usize] = None;
                }
                Some(old) => {
                    assert!(tree.rescore(Key { score: old as f64, id }, score as f64, &member));
                    model.remove(&(old, members[id as usize].clone()));
                    model.insert((score, members[id as usize].clone()), id);
                    scores[id as usize] = Some(score);
                }
                None => {
                    tree.insert(Key { score: score as f64, id }, &member);
                    model.insert((score, members[id as usize].clone()), id);
                    scores[id as usize] = Some(score);
                }
            }
            if round % 4000 == 0 || round == 39_999 {
                tree.check(&member);
                assert_eq!(tree.len(), model.len());
                for (rank, ((score, _), &id)) in model.iter().enumerate() {
                    let key = Key { score: *score as f64, id };
                    assert_eq!(tree.key(tree.select(rank).unwrap()), key);
                    let below = tree.count_while(|k| cmp_keys(k, key, &member) == Ordering::Less);
                    assert_eq!(below, rank);
                }
            }
        }
        // Emptying the tree leaves a single empty leaf that works again.
        for (id, score) in scores.iter().enumerate() {
            if let Some(s) = score {
                assert!(tree.remove(Key { score: *s as f64, id: id as u32 }, &member));
            }
        }
        tree.check(&member);
        assert_eq!((tree.len(), tree.height), (0, 0));
        assert!(!tree.remove(Key { score: 1.0, id: 1 }, &member));
        tree.insert(Key { score: 1.0, id: 1 }, &member);
        assert_eq!(tree.select(0).map(|c| tree.key(c)), Some(Key { score: 1.0, id: 1 }));
    }

    #[test]
    fn the_short_last_leaf_of_an_append_can_be_emptied() {
        let members = names(200);
        let member = |id: u32| &members[id as usize][..];
        let mut tree = ScoreTree::default();
        for n in (LEAF_CAP as u32 + 1)..200 {
            for i in 0..n {
                tree.insert(Key { score: f64::from(i), id: i }, &member);
            }
            // The last leaf holds what went past the last full one; take it all back.
            for i in (0..n).rev().take(3) {
                assert!(tree.remove(Key { score: f64::from(i), id: i }, &member));
                tree.check(&member);
            }
            for i in 0..n - 3 {
                assert!(tree.remove(Key { score: f64::from(i), id: i }, &member));
            }
            assert_eq!(tree.len(), 0);
        }
    }

    #[test]
    fn ascending_and_descending_bulk_loads_stay_balanced() {
        let members = names(20_000);
        let member = |id: u32| &members[id as usize][..];
        for descending in [false, true] {
            let mut tree = ScoreTree::default();
            for i in 0..20_000u32 {
                let score = if descending { f64::from(20_000 - i) } else { f64::from(i) };
                tree.insert(Key { score, id: i }, &member);
            }
            tree.check(&member);
            assert!(tree.height <= 4, "height {}", tree.height);
            if !descending {
                // Appends fill leaves instead of leaving them half full.
                let leaves = tree.leaves.len() - tree.free_leaves.len();
                assert!(leaves <= 20_000 / LEAF_CAP + 1, "{leaves} leaves");
            }
            // Removing every other entry merges and refills nodes.
            for i in (0..20_000u32).step_by(2) {
                let score = if descending { f64::from(20_000 - i) } else { f64::from(i) };
                assert!(tree.remove(Key { score, id: i }, &member));
            }
            tree.check(&member);
            assert_eq!(tree.len(), 10_000);
        }
    }
}
