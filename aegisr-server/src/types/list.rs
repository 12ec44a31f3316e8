//! Lists: a deque of byte strings, in two encodings as Redis 7.2 keeps them.
//!
//! - **listpack** (small lists): every element in one packed run ([`Node`]), one allocation
//!   for the whole list, O(1) at both ends; other operations are O(n) over a buffer of at
//!   most a few kilobytes (the `list-max-listpack-size` limit), as in Redis.
//! - **quicklist** (larger lists): a deque of such runs, each within the same limit, as
//!   Redis chains listpacks: O(1) at both ends, never copied whole as it grows, and a few
//!   bytes per element (a slot per element took sixteen or more: a long list of short
//!   elements took four times the memory Redis's did). LINDEX, LSET and a range's start
//!   walk the runs from the nearer end, O(n / run length), as Redis's do.
//!
//! The conversion follows Redis 7.2's rules (`listTypeTryConvertListpack` /
//! `listTypeTryConvertQuicklist`): a listpack becomes a quicklist before a write would take
//! it past the limit, and a quicklist goes back to a listpack once it shrinks below half the
//! limit. To decide as Redis does, the list keeps the size its elements would have in a real
//! listpack (integers packed, per-entry headers and back-lengths).

use std::collections::VecDeque;

use std::collections::vec_deque;

use super::compact_bytes::CompactBytes;
use super::list_node::{self, Node, NodeIter};

/// Listpack header (total bytes: 4, count: 2) and end marker (1).
const LP_HEADER: usize = 7;
/// Redis's `SIZE_SAFETY_LIMIT`: a count-limited listpack still stays below 8 KiB.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Byte limits for `list-max-listpack-size` -1 .. -5.
const SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// The size limit of one listpack, from `list-max-listpack-size` (Redis's
/// `quicklistNodeLimit`): a positive fill limits the number of entries, a negative one the
/// bytes (-1: 4 KiB ... -5: 64 KiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    bytes: Option<usize>,
    count: usize,
}

impl Limit {
    pub fn from_fill(fill: i64) -> Limit {
        if fill >= 0 {
            let count = usize::try_from(fill).unwrap_or(usize::MAX).max(1);
            Limit { bytes: None, count }
        } else {
            let level = usize::try_from(fill.unsigned_abs() - 1).unwrap_or(usize::MAX).min(SIZE_LEVELS.len() - 1);
            Limit { bytes: Some(SIZE_LEVELS[level]), count: usize::MAX }
        }
    }

    /// Redis's `quicklistNodeExceedsLimit`.
    fn exceeded_by(self, bytes: usize, count: usize) -> bool {
        match self.bytes {
            Some(limit) => bytes > limit,
            None => bytes > SIZE_SAFETY_LIMIT || count > self.count,
        }
    }

    /// Half the limit: where a shrinking quicklist turns back into a listpack.
    fn halved(self) -> Limit {
        Limit { bytes: self.bytes.map(|b| b / 2), count: self.count / 2 }
    }
}

/// Bytes an element takes as a listpack entry: encoding header, data, back-length.
pub fn listpack_entry_size(elem: &[u8]) -> usize {
    let encoded = match crate::types::string::parse_i64(elem) {
        Some(n) if (0..=127).contains(&n) => 1,
        Some(n) if (-4096..4096).contains(&n) => 2,
        Some(n) if i16::try_from(n).is_ok() => 3,
        Some(n) if (-(1 << 23)..(1 << 23)).contains(&n) => 4,
        Some(n) if i32::try_from(n).is_ok() => 5,
        Some(_) => 9,
        None if elem.len() < 64 => 1 + elem.len(),
        None if elem.len() < 4096 => 2 + elem.len(),
        None => 5 + elem.len(),
    };
    encoded + listpack_backlen_size(encoded)
}

/// Bytes of a Redis listpack element's back-length, for an element of `encoded` bytes
/// (header and data).
pub fn listpack_backlen_size(encoded: usize) -> usize {
    match encoded {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

#[derive(Debug, Clone)]
enum Repr {
    /// One packed run: Redis's listpack.
    Packed(Node),
    /// A chain of them: Redis's quicklist (boxed: a list this large has kilobytes anyway,
    /// and a small one stays small).
    Quick(Box<Quick>),
}

/// A large list: packed runs, each within the node limit, front to back.
#[derive(Debug, Clone)]
struct Quick {
    nodes: VecDeque<Node>,
    len: usize,
    /// The limit of a node (`list-max-listpack-size` when the list last grew).
    limit: Limit,
}

impl Quick {
    fn build<'a>(elems: impl IntoIterator<Item = &'a [u8]>, limit: Limit) -> Quick {
        let mut quick = Quick { nodes: VecDeque::new(), len: 0, limit };
        for elem in elems {
            quick.push(End::Right, elem);
        }
        if let Some(last) = quick.nodes.back_mut() {
            last.shrink_to_fit();
        }
        quick
    }

    /// Whether `node` takes one more element of `len` bytes within the limit (an empty
    /// node takes any element, as a quicklist node holds one element larger than the
    /// limit).
    fn takes(&self, node: &Node, len: usize) -> bool {
        node.is_empty() || !self.limit.exceeded_by(LP_HEADER + node.bytes() + list_node::entry_len(len), node.len() + 1)
    }

    /// The node at `end`.
    fn end_node(&self, end: End) -> Option<&Node> {
        match end {
            End::Left => self.nodes.front(),
            End::Right => self.nodes.back(),
        }
    }

    fn end_node_mut(&mut self, end: End) -> Option<&mut Node> {
        match end {
            End::Left => self.nodes.front_mut(),
            End::Right => self.nodes.back_mut(),
        }
    }

    fn push(&mut self, end: End, elem: &[u8]) {
        if !self.end_node(end).is_some_and(|node| self.takes(node, elem.len())) {
            // The full node stops growing: its free room goes back.
            if let Some(full) = self.end_node_mut(end) {
                full.shrink_to_fit();
            }
            match end {
                End::Left => self.nodes.push_front(Node::default()),
                End::Right => self.nodes.push_back(Node::default()),
            }
        }
        if let Some(node) = self.end_node_mut(end) {
            match end {
                End::Left => node.push_front(elem),
                End::Right => node.push_back(elem),
            }
            self.len += 1;
        }
    }

    fn pop(&mut self, end: End) -> Option<CompactBytes> {
        let node = self.end_node_mut(end)?;
        let elem = match end {
            End::Left => node.pop_front()?,
            End::Right => node.pop_back()?,
        };
        if node.is_empty() {
            match end {
                End::Left => self.nodes.pop_front(),
                End::Right => self.nodes.pop_back(),
            };
        }
        self.len -= 1;
        Some(elem)
    }

    /// LINSERT: `elem` goes beside the first `pivot`; only the node holding it is packed
    /// again (into two when it outgrows the limit). `None` when there is no pivot.
    fn insert(&mut self, pivot: &[u8], after: bool, elem: &[u8]) -> Option<()> {
        let (at, offset) =
            self.nodes.iter().enumerate().find_map(|(i, node)| Some((i, node.iter().position(|e| e == pivot)?)))?;
        let rebuilt = {
            let mut elems: Vec<&[u8]> = self.nodes.get(at)?.iter().collect();
            elems.insert(offset + usize::from(after), elem);
            Quick::build(elems, self.limit).nodes
        };
        self.nodes.remove(at);
        for (i, node) in rebuilt.into_iter().enumerate() {
            self.nodes.insert(at + i, node);
        }
        self.len += 1;
        self.merge_small();
        Some(())
    }

    /// LREM: removes up to `limit` elements equal to `elem`, from the tail when `from_tail`;
    /// only the nodes holding one are packed again. Returns how many went.
    fn remove(&mut self, limit: usize, from_tail: bool, elem: &[u8]) -> usize {
        let mut removed = 0;
        let order: Vec<usize> =
            if from_tail { (0..self.nodes.len()).rev().collect() } else { (0..self.nodes.len()).collect() };
        for i in order {
            if removed >= limit {
                break;
            }
            let Some(node) = self.nodes.get(i) else { continue };
            if !node.iter().any(|e| e == elem) {
                continue;
            }
            let rebuilt = {
                let elems: Vec<&[u8]> = if from_tail { node.iter().rev().collect() } else { node.iter().collect() };
                let mut kept = Vec::with_capacity(elems.len());
                for e in elems {
                    if removed < limit && e == elem {
                        removed += 1;
                    } else {
                        kept.push(e);
                    }
                }
                if from_tail {
                    kept.reverse();
                }
                Node::packed(kept)
            };
            self.nodes[i] = rebuilt;
        }
        self.nodes.retain(|node| !node.is_empty());
        self.len -= removed;
        self.merge_small();
        removed
    }

    /// Joins neighbouring nodes that fit in one, as Redis merges quicklist nodes after an
    /// edit: removals (and splits by inserts) would otherwise leave runs of a few elements,
    /// each a buffer and a slot of its own. At most O(n), after edits that are O(n) anyway.
    fn merge_small(&mut self) {
        let mut merged: VecDeque<Node> = VecDeque::with_capacity(self.nodes.len());
        for node in std::mem::take(&mut self.nodes) {
            match merged.back_mut() {
                Some(last)
                    if !self.limit.exceeded_by(LP_HEADER + last.bytes() + node.bytes(), last.len() + node.len()) =>
                {
                    for elem in node.iter() {
                        last.push_back(elem);
                    }
                }
                _ => merged.push_back(node),
            }
        }
        // What the joins left free goes back.
        merged.iter_mut().for_each(Node::shrink_to_fit);
        self.nodes = merged;
    }

    /// The node holding element `index` (< len) and the element's place in it, found by
    /// walking the nodes from the nearer end, as Redis walks a quicklist.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index < self.len / 2 {
            let mut skipped = 0;
            for (i, node) in self.nodes.iter().enumerate() {
                if index < skipped + node.len() {
                    return Some((i, index - skipped));
                }
                skipped += node.len();
            }
        } else {
            let mut first = self.len;
            for (i, node) in self.nodes.iter().enumerate().rev() {
                first -= node.len();
                if index >= first {
                    return Some((i, index - first));
                }
            }
        }
        None
    }
}

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

/// A list value.
#[derive(Debug, Clone)]
pub struct List {
    repr: Repr,
    /// Sum of [`listpack_entry_size`] over the elements (header excluded).
    lp_bytes: usize,
}

impl Default for List {
    fn default() -> List {
        List { repr: Repr::Packed(Node::default()), lp_bytes: 0 }
    }
}

impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// The elements of a list (or of a range of it), front to back.
pub struct Iter<'a> {
    /// What is left of the node being read.
    node: NodeIter<'a>,
    /// The nodes after it.
    rest: Option<vec_deque::Iter<'a, Node>>,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            if let Some(elem) = self.node.next() {
                self.remaining -= 1;
                return Some(elem);
            }
            self.node = self.rest.as_mut()?.next()?.iter();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// Normalises Redis's inclusive `start`/`end` indexes (negative count from the end) against
/// a length: `None` when the range is empty (LRANGE, LTRIM).
pub fn normalize_range(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { len + end } else { end.min(len - 1) };
    if start > end || start >= len || end < 0 {
        return None;
    }
    Some((usize::try_from(start).ok()?, usize::try_from(end).ok()?))
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Packed(node) => node.len(),
            Repr::Quick(q) => q.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding `OBJECT ENCODING` reports, with Redis's names.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Packed(_) => "listpack",
            Repr::Quick(_) => "quicklist",
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        match &self.repr {
            Repr::Packed(node) => Iter { node: node.iter(), rest: None, remaining: node.len() },
            Repr::Quick(q) => Iter { node: NodeIter::default(), rest: Some(q.nodes.iter()), remaining: q.len },
        }
    }

    /// The elements back to front.
    pub fn iter_rev(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match &self.repr {
            Repr::Packed(node) => Box::new(node.iter().rev()),
            Repr::Quick(q) => Box::new(q.nodes.iter().rev().flat_map(|node| node.iter().rev())),
        }
    }

    /// Elements `start..=end` (already normalised, `end < len`).
    pub fn range(&self, start: usize, end: usize) -> Iter<'_> {
        let remaining = (end + 1).saturating_sub(start);
        let (mut node, rest, skip) = match &self.repr {
            Repr::Packed(node) => (node.iter(), None, start),
            Repr::Quick(q) => match q.locate(start) {
                Some((at, offset)) => {
                    (q.nodes.get(at).map(Node::iter).unwrap_or_default(), Some(q.nodes.range(at + 1..)), offset)
                }
                None => return Iter { node: NodeIter::default(), rest: None, remaining: 0 },
            },
        };
        if skip > 0 {
            node.nth(skip - 1);
        }
        Iter { node, rest, remaining }
    }

    /// Resolves a Redis index (negative counts from the end).
    fn index(&self, index: i64) -> Option<usize> {
        let len = i64::try_from(self.len()).ok()?;
        let i = if index < 0 { len.checked_add(index)? } else { index };
        if (0..len).contains(&i) { usize::try_from(i).ok() } else { None }
    }

    /// LINDEX.
    pub fn get(&self, index: i64) -> Option<&[u8]> {
        let i = self.index(index)?;
        match &self.repr {
            Repr::Packed(node) => node.get(i),
            Repr::Quick(q) => {
                let (at, offset) = q.locate(i)?;
                q.nodes.get(at)?.get(offset)
            }
        }
    }

    /// Converts to a quicklist if adding `add_count` elements of `add_bytes` would take the
    /// listpack past `limit` (Redis checks before the write, with raw element lengths).
    pub fn prepare_growth(&mut self, add_bytes: usize, add_count: usize, limit: Limit) {
        match &mut self.repr {
            Repr::Packed(node) => {
                let bytes = (LP_HEADER + self.lp_bytes).saturating_add(add_bytes);
                if limit.exceeded_by(bytes, node.len().saturating_add(add_count)) {
                    self.repr = Repr::Quick(Box::new(Quick::build(node.iter(), limit)));
                }
            }
            Repr::Quick(q) => q.limit = limit,
        }
    }

    /// Converts back to a listpack once a quicklist fits in half the limit (after a
    /// removal, as Redis 7.2 does).
    pub fn after_shrink(&mut self, limit: Limit) {
        if let Repr::Quick(q) = &self.repr {
            if !limit.halved().exceeded_by(LP_HEADER + self.lp_bytes, q.len) {
                self.repr = Repr::Packed(Node::packed(self.iter()));
            }
        }
    }

    /// Adds `elem` at `end` (LPUSH/RPUSH); call [`List::prepare_growth`] first.
    pub fn push(&mut self, end: End, elem: &[u8]) {
        self.lp_bytes += listpack_entry_size(elem);
        match &mut self.repr {
            Repr::Packed(node) => match end {
                End::Left => node.push_front(elem),
                End::Right => node.push_back(elem),
            },
            Repr::Quick(q) => q.push(end, elem),
        }
    }

    /// Removes and returns the element at `end`; call [`List::after_shrink`] after.
    pub fn pop(&mut self, end: End) -> Option<CompactBytes> {
        let popped = match &mut self.repr {
            Repr::Packed(node) => match end {
                End::Left => node.pop_front()?,
                End::Right => node.pop_back()?,
            },
            Repr::Quick(q) => q.pop(end)?,
        };
        self.lp_bytes -= listpack_entry_size(&popped);
        Some(popped)
    }

    /// Applies a general edit to a listpack's elements as one deque, then packs them again:
    /// O(n) over a few kilobytes, as the edits that use it are (LINSERT, LREM, LTRIM).
    /// A quicklist is edited node by node instead (see [`Quick`]).
    fn edit_packed<R>(&mut self, f: impl FnOnce(&mut VecDeque<CompactBytes>, &mut usize) -> R) -> R {
        let mut all: VecDeque<CompactBytes> = self.iter().map(CompactBytes::from).collect();
        let result = f(&mut all, &mut self.lp_bytes);
        self.repr = Repr::Packed(Node::packed(all.iter().map(|e| &**e)));
        result
    }

    /// LSET: false when the index is out of range.
    pub fn set(&mut self, index: i64, elem: &[u8]) -> bool {
        let Some(i) = self.index(index) else {
            return false;
        };
        let (node, offset) = match &mut self.repr {
            Repr::Packed(node) => (node, i),
            Repr::Quick(q) => match q.locate(i) {
                Some((at, offset)) => match q.nodes.get_mut(at) {
                    Some(node) => (node, offset),
                    None => return false,
                },
                None => return false,
            },
        };
        if let Some(old) = node.get(offset) {
            self.lp_bytes = self.lp_bytes - listpack_entry_size(old) + listpack_entry_size(elem);
        }
        node.replace(offset, elem);
        true
    }

    /// LINSERT: inserts `elem` before or after the first `pivot`; the new length, or `None`
    /// when there is no pivot.
    pub fn insert(&mut self, pivot: &[u8], after: bool, elem: &[u8]) -> Option<usize> {
        if let Repr::Quick(q) = &mut self.repr {
            q.insert(pivot, after, elem)?;
            self.lp_bytes += listpack_entry_size(elem);
            return Some(q.len);
        }
        let at = self.iter().position(|e| e == pivot)?;
        self.edit_packed(|d, bytes| {
            *bytes += listpack_entry_size(elem);
            d.insert(if after { at + 1 } else { at }, elem.into());
        });
        Some(self.len())
    }

    /// LREM: removes up to `count` occurrences of `elem` (0: all; negative: from the tail).
    pub fn remove(&mut self, count: i64, elem: &[u8]) -> usize {
        let limit = if count == 0 { usize::MAX } else { usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX) };
        let from_tail = count < 0;
        if let Repr::Quick(q) = &mut self.repr {
            let removed = q.remove(limit, from_tail, elem);
            self.lp_bytes -= removed * listpack_entry_size(elem);
            return removed;
        }
        self.edit_packed(|d, bytes| {
            let mut removed = 0usize;
            let mut keep = |e: &[u8]| {
                if removed < limit && e == elem {
                    removed += 1;
                    *bytes -= listpack_entry_size(e);
                    false
                } else {
                    true
                }
            };
            if from_tail {
                let mut kept: VecDeque<CompactBytes> = VecDeque::with_capacity(d.len());
                while let Some(e) = d.pop_back() {
                    if keep(&e) {
                        kept.push_front(e);
                    }
                }
                *d = kept;
            } else {
                d.retain(|e| keep(e));
            }
            removed
        })
    }

    /// LTRIM: keeps `start..=end` (Redis indexes); may leave the list empty.
    pub fn trim(&mut self, start: i64, end: i64) {
        let range = normalize_range(self.len(), start, end);
        match (&mut self.repr, range) {
            (_, None) => {
                self.repr = Repr::Packed(Node::default());
                self.lp_bytes = 0;
            }
            (Repr::Quick(q), Some((start, end))) => {
                // O(removed), from the ends, as Redis trims a quicklist.
                let drop_back = q.len - 1 - end;
                for _ in 0..drop_back {
                    if let Some(e) = q.pop(End::Right) {
                        self.lp_bytes -= listpack_entry_size(&e);
                    }
                }
                for _ in 0..start {
                    if let Some(e) = q.pop(End::Left) {
                        self.lp_bytes -= listpack_entry_size(&e);
                    }
                }
            }
            (Repr::Packed(_), Some((start, end))) => self.edit_packed(|d, bytes| {
                let removed: usize = d.drain(end + 1..).map(|e| listpack_entry_size(&e)).sum();
                let removed = removed + d.drain(..start).map(|e| listpack_entry_size(&e)).sum::<usize>();
                *bytes -= removed;
            }),
        }
    }

    /// LPOS: indexes of the matches of `elem`. `rank` is 1-based, negative from the tail
    /// (`None`: Redis's LONG_MIN quirk, where every match from the tail qualifies and COUNT
    /// never stops the search); `count` 0 means all, `maxlen` 0 means the whole list.
    pub fn positions(&self, elem: &[u8], rank: Option<i64>, count: usize, maxlen: usize) -> Vec<usize> {
        let (from_tail, skip, count) = match rank {
            Some(r) => (r < 0, usize::try_from(r.unsigned_abs() - 1).unwrap_or(usize::MAX), count),
            None => (true, 0, 0),
        };
        let len = self.len();
        let maxlen = if maxlen == 0 { usize::MAX } else { maxlen };
        let items: Box<dyn Iterator<Item = &[u8]>> = if from_tail { self.iter_rev() } else { Box::new(self.iter()) };
        let mut out = Vec::new();
        let mut matches = 0usize;
        for (i, e) in items.take(maxlen).enumerate() {
            if e == elem {
                matches += 1;
                if matches > skip {
                    out.push(if from_tail { len - 1 - i } else { i });
                    if count != 0 && out.len() >= count {
                        break;
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn entry_sizes_match_listpack() {
        assert_eq!(listpack_entry_size(b"5"), 2);
        assert_eq!(listpack_entry_size(b"1000"), 3);
        assert_eq!(listpack_entry_size(b"-70000"), 5);
        assert_eq!(listpack_entry_size(b"9223372036854775807"), 10);
        assert_eq!(listpack_entry_size(b"abc"), 5);
        assert_eq!(listpack_entry_size(&[b'x'; 100]), 103);
        assert_eq!(listpack_entry_size(&[b'x'; 200]), 204);
    }

    #[test]
    fn converts_at_the_limit_and_back() {
        let limit = Limit::from_fill(4);
        let mut l = List::new();
        for e in [b"a", b"b", b"c", b"d"] {
            l.prepare_growth(1, 1, limit);
            l.push(End::Right, e);
        }
        assert_eq!(l.encoding(), "listpack");
        l.prepare_growth(1, 1, limit);
        l.push(End::Right, b"e");
        assert_eq!(l.encoding(), "quicklist");
        l.pop(End::Left);
        l.after_shrink(limit);
        l.pop(End::Left);
        l.after_shrink(limit);
        assert_eq!(l.encoding(), "quicklist");
        l.pop(End::Left);
        l.after_shrink(limit);
        assert_eq!(l.encoding(), "listpack");
        assert_eq!(l.iter().collect::<Vec<_>>(), vec![&b"d"[..], b"e"]);
        let mut big = List::new();
        big.prepare_growth(9000, 1, Limit::from_fill(-2));
        assert_eq!(big.encoding(), "quicklist");
    }

    #[test]
    fn a_long_list_is_packed_runs_within_the_limit() {
        let limit = Limit::from_fill(-1);
        let mut list = List::new();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        for i in 0..20_000usize {
            let elem = format!("{i}").repeat(1 + i % 5).into_bytes();
            list.prepare_growth(elem.len(), 1, limit);
            if i % 3 == 0 {
                list.push(End::Left, &elem);
                model.push_front(elem);
            } else {
                list.push(End::Right, &elem);
                model.push_back(elem);
            }
        }
        let Repr::Quick(quick) = &list.repr else { panic!("{}", list.encoding()) };
        assert!(quick.nodes.len() > 10);
        assert!(quick.nodes.iter().all(|node| LP_HEADER + node.bytes() <= 4096));
        assert!(list.iter().eq(model.iter().map(|e| &e[..])));
        assert!(list.iter_rev().eq(model.iter().rev().map(|e| &e[..])));
        for i in (0..model.len()).step_by(97).chain([model.len() - 1]) {
            assert_eq!(list.get(i as i64), Some(&model[i][..]), "{i}");
            let end = (i + 150).min(model.len() - 1);
            assert!(list.range(i, end).eq(model.range(i..=end).map(|e| &e[..])), "{i}");
        }
        assert!(list.set(12_345, b"changed"));
        model[12_345] = b"changed".to_vec();
        assert_eq!(list.get(12_345), Some(&b"changed"[..]));
        assert!(list.iter().eq(model.iter().map(|e| &e[..])));
        // LINSERT and LREM repack only the nodes they touch.
        let pivot = model[15_000].clone();
        assert_eq!(list.insert(&pivot, true, b"inserted"), Some(model.len() + 1));
        model.insert(15_001, b"inserted".to_vec());
        for (i, elem) in [(3, b"x"), (9_000, b"x"), (19_000, b"x")] {
            model[i] = elem.to_vec();
            assert!(list.set(i as i64, elem));
        }
        assert_eq!(list.remove(-2, b"x"), 2);
        model.remove(19_000);
        model.remove(9_000);
        assert_eq!(list.len(), model.len());
        assert!(list.iter().eq(model.iter().map(|e| &e[..])));
        assert_eq!(list.lp_bytes, model.iter().map(|e| listpack_entry_size(e)).sum::<usize>());
        // Runs that removals leave short are joined.
        let nodes = |list: &List| if let Repr::Quick(q) = &list.repr { q.nodes.len() } else { 0 };
        let before = nodes(&list);
        for i in (0..model.len()).filter(|i| i % 10 != 0) {
            list.set(i as i64, b"gone");
        }
        list.remove(0, b"gone");
        model = model.into_iter().enumerate().filter(|(i, _)| i % 10 == 0).map(|(_, e)| e).collect();
        assert!(list.iter().eq(model.iter().map(|e| &e[..])));
        assert!(nodes(&list) <= before / 5, "{} nodes, {before} before", nodes(&list));
    }

    #[test]
    fn short_elements_take_a_few_bytes_each() {
        // Redis's listpack takes 5 bytes for "abc"; a slot per element took 24.
        let limit = Limit::from_fill(-2);
        let mut list = List::new();
        for i in 0..100_000 {
            list.prepare_growth(3, 1, limit);
            list.push(if i % 2 == 0 { End::Left } else { End::Right }, b"abc");
        }
        let Repr::Quick(quick) = &list.repr else { panic!("{}", list.encoding()) };
        let held: usize = quick.nodes.iter().map(Node::capacity).sum();
        assert!(held < 100_000 * 6, "{held} bytes for 100,000 elements");
    }

    #[test]
    fn ranges_normalise_like_redis() {
        assert_eq!(normalize_range(3, 0, -1), Some((0, 2)));
        assert_eq!(normalize_range(3, -100, 100), Some((0, 2)));
        assert_eq!(normalize_range(3, 2, 1), None);
        assert_eq!(normalize_range(3, 5, 10), None);
        assert_eq!(normalize_range(0, 0, -1), None);
        assert_eq!(normalize_range(3, i64::MIN, i64::MAX), Some((0, 2)));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(bool, Vec<u8>),
        Pop(bool),
        Set(i64, Vec<u8>),
        Insert(Vec<u8>, bool, Vec<u8>),
        Remove(i64, Vec<u8>),
        Trim(i64, i64),
    }

    fn elem() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::sample::select(vec![b"a".to_vec(), b"b".to_vec(), b"7".to_vec(), b"-300".to_vec()]),
            prop::collection::vec(any::<u8>(), 0..40),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (any::<bool>(), elem()).prop_map(|(l, e)| Op::Push(l, e)),
            2 => any::<bool>().prop_map(Op::Pop),
            1 => (-12i64..12, elem()).prop_map(|(i, e)| Op::Set(i, e)),
            1 => (elem(), any::<bool>(), elem()).prop_map(|(p, a, e)| Op::Insert(p, a, e)),
            1 => (-3i64..3, elem()).prop_map(|(c, e)| Op::Remove(c, e)),
            1 => (-12i64..12, -12i64..12).prop_map(|(s, e)| Op::Trim(s, e)),
        ]
    }

    fn model_index(len: usize, i: i64) -> Option<usize> {
        let len = len as i64;
        let i = if i < 0 { len + i } else { i };
        (0..len).contains(&i).then_some(i as usize)
    }

    proptest! {
        #[test]
        fn behaves_like_a_vecdeque(ops in prop::collection::vec(op(), 1..120), fill in prop::sample::select(vec![3i64, 8, -1])) {
            let limit = Limit::from_fill(fill);
            let mut list = List::new();
            let mut model: VecDeque<Vec<u8>> = VecDeque::new();
            for op in ops {
                match op {
                    Op::Push(left, e) => {
                        list.prepare_growth(e.len(), 1, limit);
                        list.push(if left { End::Left } else { End::Right }, &e);
                        if left { model.push_front(e) } else { model.push_back(e) }
                    }
                    Op::Pop(left) => {
                        let got = list.pop(if left { End::Left } else { End::Right });
                        list.after_shrink(limit);
                        let want = if left { model.pop_front() } else { model.pop_back() };
                        prop_assert_eq!(got.map(CompactBytes::into_vec), want);
                    }
                    Op::Set(i, e) => {
                        list.prepare_growth(e.len(), 1, limit);
                        let ok = list.set(i, &e);
                        list.after_shrink(limit);
                        match model_index(model.len(), i) {
                            Some(i) => { prop_assert!(ok); model[i] = e; }
                            None => prop_assert!(!ok),
                        }
                    }
                    Op::Insert(p, after, e) => {
                        list.prepare_growth(e.len(), 1, limit);
                        let got = list.insert(&p, after, &e);
                        let want = model.iter().position(|x| *x == p).map(|at| {
                            model.insert(if after { at + 1 } else { at }, e.clone());
                            model.len()
                        });
                        prop_assert_eq!(got, want);
                    }
                    Op::Remove(count, e) => {
                        let got = list.remove(count, &e);
                        list.after_shrink(limit);
                        let limit = if count == 0 { usize::MAX } else { count.unsigned_abs() as usize };
                        let mut removed = 0;
                        let mut idx: Vec<usize> = (0..model.len()).collect();
                        if count < 0 { idx.reverse(); }
                        let mut drop = vec![false; model.len()];
                        for i in idx {
                            if removed < limit && model[i] == e { drop[i] = true; removed += 1; }
                        }
                        let mut i = 0;
                        model.retain(|_| { i += 1; !drop[i - 1] });
                        prop_assert_eq!(got, removed);
                    }
                    Op::Trim(s, e) => {
                        list.trim(s, e);
                        list.after_shrink(limit);
                        match normalize_range(model.len(), s, e) {
                            Some((s, e)) => { model.truncate(e + 1); model.drain(..s); }
                            None => model.clear(),
                        }
                    }
                }
                prop_assert_eq!(list.len(), model.len());
                prop_assert!(list.iter().eq(model.iter().map(|e| &e[..])));
                prop_assert!(list.iter_rev().eq(model.iter().rev().map(|e| &e[..])));
                let bytes: usize = model.iter().map(|e| listpack_entry_size(e)).sum();
                prop_assert_eq!(list.lp_bytes, bytes);
                for i in [-1i64, 0, 2] {
                    prop_assert_eq!(list.get(i), model_index(model.len(), i).map(|i| &model[i][..]));
                }
                if let Some((s, e)) = normalize_range(model.len(), 1, -2) {
                    prop_assert!(list.range(s, e).eq(model.range(s..=e).map(|e| &e[..])));
                }
                let pos = list.positions(b"a", Some(-1), 0, 0);
                let want: Vec<usize> = (0..model.len()).rev().filter(|&i| model[i] == b"a").collect();
                prop_assert_eq!(pos, want);
            }
        }
    }
}
