//! Lists: a deque of byte strings, in two encodings as Redis 7.2 keeps them.
//!
//! - **listpack** (small lists): every element in one contiguous buffer, each prefixed with
//!   its length as a varint. One allocation for the whole list; operations are O(n) over a
//!   buffer of at most a few kilobytes (the `list-max-listpack-size` limit), as in Redis.
//! - **quicklist** (larger lists): a [`ChunkedDeque`] of elements, O(1) at both ends and
//!   for LINDEX/LSET, and never copied whole as it grows. Short elements are kept in the
//!   deque's slots ([`CompactBytes`]), so a push or pop of one allocates nothing of its own.
//!
//! The conversion follows Redis 7.2's rules (`listTypeTryConvertListpack` /
//! `listTypeTryConvertQuicklist`): a listpack becomes a quicklist before a write would take
//! it past the limit, and a quicklist goes back to a listpack once it shrinks below half the
//! limit. To decide as Redis does, the list keeps the size its elements would have in a real
//! listpack (integers packed, per-entry headers and back-lengths).

use std::collections::VecDeque;

use super::chunked_deque::{self, ChunkedDeque};
use super::compact_bytes::CompactBytes;

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

/// `n` as a varint on the stack: the bytes and how many of them there are.
fn varint(mut n: usize) -> ([u8; 10], usize) {
    let mut out = [0u8; 10];
    let mut len = 0;
    while n >= 0x80 {
        out[len] = (n as u8) | 0x80;
        n >>= 7;
        len += 1;
    }
    out[len] = n as u8;
    (out, len + 1)
}

fn put_varint(out: &mut Vec<u8>, n: usize) {
    let (bytes, len) = varint(n);
    out.extend_from_slice(&bytes[..len]);
}

/// Decodes the element at the start of `buf`: (element, bytes consumed). Only ever reads
/// buffers this module wrote, so a short buffer just ends the list.
fn decode(buf: &[u8]) -> Option<(&[u8], usize)> {
    let (mut n, mut shift, mut pos) = (0usize, 0u32, 0usize);
    loop {
        let byte = *buf.get(pos)?;
        pos += 1;
        n |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let elem = buf.get(pos..pos.checked_add(n)?)?;
    Some((elem, pos + n))
}

#[derive(Debug, Clone)]
enum Repr {
    /// Varint-length-prefixed elements, front to back, and their count.
    Packed {
        buf: Vec<u8>,
        len: usize,
    },
    Deque(ChunkedDeque<CompactBytes>),
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
        List { repr: Repr::Packed { buf: Vec::new(), len: 0 }, lp_bytes: 0 }
    }
}

impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// The elements of a list, front to back.
pub enum Iter<'a> {
    Packed { buf: &'a [u8], remaining: usize },
    Deque(chunked_deque::Iter<'a, CompactBytes>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match self {
            Iter::Packed { buf, remaining } => {
                if *remaining == 0 {
                    return None;
                }
                let (elem, used) = decode(buf)?;
                *buf = &buf[used..];
                *remaining -= 1;
                Some(elem)
            }
            Iter::Deque(it) => it.next().map(|b| &**b),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self {
            Iter::Packed { remaining, .. } => *remaining,
            Iter::Deque(it) => it.len(),
        };
        (n, Some(n))
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
            Repr::Packed { len, .. } => *len,
            Repr::Deque(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding `OBJECT ENCODING` reports, with Redis's names.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Packed { .. } => "listpack",
            Repr::Deque(_) => "quicklist",
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        match &self.repr {
            Repr::Packed { buf, len } => Iter::Packed { buf, remaining: *len },
            Repr::Deque(d) => Iter::Deque(d.iter()),
        }
    }

    /// The elements back to front.
    pub fn iter_rev(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match &self.repr {
            // A listpack is small: collecting its slices is cheap.
            Repr::Packed { .. } => Box::new(self.iter().collect::<Vec<_>>().into_iter().rev()),
            Repr::Deque(d) => Box::new(d.iter_rev().map(|b| &**b)),
        }
    }

    /// Elements `start..=end` (already normalised, `end < len`).
    pub fn range(&self, start: usize, end: usize) -> Iter<'_> {
        match &self.repr {
            Repr::Packed { buf, len } => {
                let mut it = Iter::Packed { buf, remaining: *len };
                for _ in 0..start {
                    it.next();
                }
                if let Iter::Packed { remaining, .. } = &mut it {
                    *remaining = (*remaining).min(end.saturating_sub(start) + 1);
                }
                it
            }
            Repr::Deque(d) => Iter::Deque(d.range(start, end.saturating_sub(start) + 1)),
        }
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
            Repr::Packed { .. } => self.iter().nth(i),
            Repr::Deque(d) => d.get(i).map(|b| &**b),
        }
    }

    /// Converts to a quicklist if adding `add_count` elements of `add_bytes` would take the
    /// listpack past `limit` (Redis checks before the write, with raw element lengths).
    pub fn prepare_growth(&mut self, add_bytes: usize, add_count: usize, limit: Limit) {
        if let Repr::Packed { .. } = self.repr {
            let bytes = (LP_HEADER + self.lp_bytes).saturating_add(add_bytes);
            if limit.exceeded_by(bytes, self.len().saturating_add(add_count)) {
                self.repr = Repr::Deque(self.iter().map(CompactBytes::from).collect());
            }
        }
    }

    /// Converts back to a listpack once a quicklist fits in half the limit (after a
    /// removal, as Redis 7.2 does).
    pub fn after_shrink(&mut self, limit: Limit) {
        if let Repr::Deque(_) = self.repr {
            if !limit.halved().exceeded_by(LP_HEADER + self.lp_bytes, self.len()) {
                let mut buf = Vec::with_capacity(self.lp_bytes);
                for elem in self.iter() {
                    put_varint(&mut buf, elem.len());
                    buf.extend_from_slice(elem);
                }
                self.repr = Repr::Packed { buf, len: self.len() };
            }
        }
    }

    /// Adds `elem` at `end` (LPUSH/RPUSH); call [`List::prepare_growth`] first.
    pub fn push(&mut self, end: End, elem: &[u8]) {
        self.lp_bytes += listpack_entry_size(elem);
        match &mut self.repr {
            Repr::Packed { buf, len } => {
                match end {
                    End::Right => {
                        put_varint(buf, elem.len());
                        buf.extend_from_slice(elem);
                    }
                    End::Left => {
                        let (header, header_len) = varint(elem.len());
                        // One move of the buffer: the chained slices' exact length is known.
                        buf.splice(0..0, header[..header_len].iter().chain(elem).copied());
                    }
                }
                *len += 1;
            }
            Repr::Deque(d) => match end {
                End::Left => d.push_front(elem.into()),
                End::Right => d.push_back(elem.into()),
            },
        }
    }

    /// Removes and returns the element at `end`; call [`List::after_shrink`] after.
    pub fn pop(&mut self, end: End) -> Option<CompactBytes> {
        let popped = match &mut self.repr {
            Repr::Packed { buf, len } => {
                if *len == 0 {
                    return None;
                }
                let (start, stop) = match end {
                    End::Left => (0, decode(buf)?.1),
                    End::Right => {
                        let mut pos = 0;
                        for _ in 1..*len {
                            pos += decode(&buf[pos..])?.1;
                        }
                        (pos, buf.len())
                    }
                };
                let elem = CompactBytes::from(decode(&buf[start..stop])?.0);
                buf.drain(start..stop);
                *len -= 1;
                elem
            }
            Repr::Deque(d) => match end {
                End::Left => d.pop_front()?,
                End::Right => d.pop_back()?,
            },
        };
        self.lp_bytes -= listpack_entry_size(&popped);
        Some(popped)
    }

    /// Applies a general edit to the elements as one deque: a listpack is unpacked and
    /// packed again, a quicklist's chunks are joined and split again. Both are O(n), as
    /// the edits that use this are (LINSERT, LREM); this keeps one implementation of each.
    fn edit<R>(&mut self, f: impl FnOnce(&mut VecDeque<CompactBytes>, &mut usize) -> R) -> R {
        match &mut self.repr {
            Repr::Deque(d) => {
                let mut all = std::mem::take(d).into_vec_deque();
                let result = f(&mut all, &mut self.lp_bytes);
                *d = all.into_iter().collect();
                result
            }
            Repr::Packed { buf, len } => {
                let mut d: VecDeque<CompactBytes> =
                    Iter::Packed { buf, remaining: *len }.map(CompactBytes::from).collect();
                let result = f(&mut d, &mut self.lp_bytes);
                buf.clear();
                for elem in &d {
                    put_varint(buf, elem.len());
                    buf.extend_from_slice(elem);
                }
                *len = d.len();
                result
            }
        }
    }

    /// LSET: false when the index is out of range.
    pub fn set(&mut self, index: i64, elem: &[u8]) -> bool {
        let Some(i) = self.index(index) else {
            return false;
        };
        let replace = |slot: &mut CompactBytes, bytes: &mut usize| {
            *bytes = *bytes - listpack_entry_size(slot) + listpack_entry_size(elem);
            *slot = elem.into();
        };
        match &mut self.repr {
            // In place: a quicklist's element is found by division.
            Repr::Deque(d) => {
                if let Some(slot) = d.get_mut(i) {
                    replace(slot, &mut self.lp_bytes);
                }
            }
            Repr::Packed { .. } => self.edit(|d, bytes| {
                if let Some(slot) = d.get_mut(i) {
                    replace(slot, bytes);
                }
            }),
        }
        true
    }

    /// LINSERT: inserts `elem` before or after the first `pivot`; the new length, or `None`
    /// when there is no pivot.
    pub fn insert(&mut self, pivot: &[u8], after: bool, elem: &[u8]) -> Option<usize> {
        let at = self.iter().position(|e| e == pivot)?;
        self.edit(|d, bytes| {
            *bytes += listpack_entry_size(elem);
            d.insert(if after { at + 1 } else { at }, elem.into());
        });
        Some(self.len())
    }

    /// LREM: removes up to `count` occurrences of `elem` (0: all; negative: from the tail).
    pub fn remove(&mut self, count: i64, elem: &[u8]) -> usize {
        let limit = if count == 0 { usize::MAX } else { usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX) };
        let from_tail = count < 0;
        self.edit(|d, bytes| {
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
        if let (Repr::Deque(d), Some((start, end))) = (&mut self.repr, range) {
            // O(removed), from the ends, as Redis trims a quicklist.
            let drop_back = d.len() - 1 - end;
            for _ in 0..drop_back {
                if let Some(e) = d.pop_back() {
                    self.lp_bytes -= listpack_entry_size(&e);
                }
            }
            for _ in 0..start {
                if let Some(e) = d.pop_front() {
                    self.lp_bytes -= listpack_entry_size(&e);
                }
            }
            return;
        }
        self.edit(|d, bytes| match range {
            None => {
                d.clear();
                *bytes = 0;
            }
            Some((start, end)) => {
                let removed: usize = d.drain(end + 1..).map(|e| listpack_entry_size(&e)).sum();
                let removed = removed + d.drain(..start).map(|e| listpack_entry_size(&e)).sum::<usize>();
                *bytes -= removed;
            }
        });
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
