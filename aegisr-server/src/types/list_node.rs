//! A run of list elements packed into one buffer: a small list is one of these (Redis's
//! listpack), a large one a chain of them (Redis's quicklist of listpacks).
//!
//! An entry is `varint(len) data reversed-varint(len)`: the length at both ends, so the run
//! reads from either end and both ends push and pop in O(1). An element of a few bytes
//! takes two bytes more than itself, where a slot holding it apart took sixteen or more.
//!
//! The buffer keeps free room on both sides of the data (a gap buffer): a push at the front
//! writes before the data, at the back after it. When a side runs out, the data moves or
//! the buffer grows, and the side that ran out gets most of the free room: the moves
//! are amortised even when the pushes alternate between the ends.

use super::compact_bytes::CompactBytes;

/// The smallest buffer a run allocates.
const MIN_CAPACITY: usize = 32;
/// Past this size a buffer grows by at most this much at once, not doubling: a node
/// holding one element of hundreds of megabytes takes about its size, not twice it.
const MAX_GROWTH: usize = 64 * 1024;

/// See the module docs.
#[derive(Debug, Clone, Default)]
pub struct Node {
    buf: Box<[u8]>,
    /// The entries are `buf[start..end]`.
    start: usize,
    end: usize,
    count: usize,
}

/// Bytes of `n` as a varint.
fn varint_len(n: usize) -> usize {
    let bits = usize::BITS - n.leading_zeros();
    (bits as usize).div_ceil(7).max(1)
}

/// Bytes an entry of an element of `len` bytes takes.
pub fn entry_len(len: usize) -> usize {
    len + 2 * varint_len(len)
}

/// Writes the entry of `elem` into `out`, which is exactly [`entry_len`] bytes.
fn write_entry(out: &mut [u8], elem: &[u8]) {
    let k = varint_len(elem.len());
    let mut n = elem.len();
    for i in 0..k {
        let byte = (n & 0x7f) as u8 | if i + 1 < k { 0x80 } else { 0 };
        out[i] = byte;
        // The same bytes in reverse order after the data: read right to left, they are
        // the varint again.
        out[out.len() - 1 - i] = byte;
        n >>= 7;
    }
    out[k..k + elem.len()].copy_from_slice(elem);
}

/// The element of the entry at the start of `buf`, and the entry's length. Reads only
/// buffers this module wrote; a short one just ends the run.
fn read_front(buf: &[u8]) -> Option<(&[u8], usize)> {
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
    Some((elem, n + 2 * pos))
}

/// The element of the entry at the end of `buf`, and the entry's length.
fn read_back(buf: &[u8]) -> Option<(&[u8], usize)> {
    let (mut n, mut shift, mut pos) = (0usize, 0u32, buf.len());
    loop {
        pos = pos.checked_sub(1)?;
        let byte = *buf.get(pos)?;
        n |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let k = buf.len() - pos;
    let elem = buf.get(pos.checked_sub(n)?..pos)?;
    Some((elem, n + 2 * k))
}

impl Node {
    /// A run holding `elems`, with little free room (see [`Node::shrink_to_fit`]).
    pub fn packed<'a>(elems: impl IntoIterator<Item = &'a [u8]>) -> Node {
        let mut node = Node::default();
        for elem in elems {
            node.push_back(elem);
        }
        node.shrink_to_fit();
        node
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes the buffer holds, free room included.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Bytes the entries take.
    pub fn bytes(&self) -> usize {
        self.end - self.start
    }

    pub fn push_front(&mut self, elem: &[u8]) {
        let need = entry_len(elem.len());
        if self.start < need {
            self.make_room(need, true);
        }
        let at = self.start - need;
        write_entry(&mut self.buf[at..self.start], elem);
        self.start = at;
        self.count += 1;
    }

    pub fn push_back(&mut self, elem: &[u8]) {
        let need = entry_len(elem.len());
        if self.buf.len() - self.end < need {
            self.make_room(need, false);
        }
        let at = self.end;
        write_entry(&mut self.buf[at..at + need], elem);
        self.end = at + need;
        self.count += 1;
    }

    pub fn pop_front(&mut self) -> Option<CompactBytes> {
        let (elem, used) = read_front(&self.buf[self.start..self.end])?;
        let elem = CompactBytes::from(elem);
        self.start += used;
        self.count -= 1;
        self.release_if_empty();
        Some(elem)
    }

    pub fn pop_back(&mut self) -> Option<CompactBytes> {
        let (elem, used) = read_back(&self.buf[self.start..self.end])?;
        let elem = CompactBytes::from(elem);
        self.end -= used;
        self.count -= 1;
        self.release_if_empty();
        Some(elem)
    }

    pub fn iter(&self) -> NodeIter<'_> {
        NodeIter { entries: &self.buf[self.start..self.end], remaining: self.count }
    }

    /// The element at `index` (< len), read from the nearer end.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index < self.count / 2 {
            self.iter().nth(index)
        } else {
            self.iter().nth_back(self.count.checked_sub(index + 1)?)
        }
    }

    /// Replaces the element at `index` (< len); the run is rewritten without free room.
    pub fn replace(&mut self, index: usize, elem: &[u8]) {
        let mut rest = &self.buf[self.start..self.end];
        for _ in 0..index {
            match read_front(rest) {
                Some((_, used)) => rest = &rest[used..],
                None => return,
            }
        }
        let Some((_, old)) = read_front(rest) else {
            return;
        };
        let at = self.bytes() - rest.len();
        let entries = &self.buf[self.start..self.end];
        let new = entry_len(elem.len());
        let mut buf = vec![0u8; entries.len() - old + new].into_boxed_slice();
        buf[..at].copy_from_slice(&entries[..at]);
        write_entry(&mut buf[at..at + new], elem);
        buf[at + new..].copy_from_slice(&entries[at + old..]);
        self.end = buf.len();
        self.start = 0;
        self.buf = buf;
    }

    /// Gives back the free room when it is over an eighth of what the entries take (a run
    /// that no longer grows: one that is not at an end of its list any more, or was just
    /// built).
    pub fn shrink_to_fit(&mut self) {
        let used = self.bytes();
        if self.buf.len() - used > used / 8 {
            self.buf = Box::from(&self.buf[self.start..self.end]);
            self.start = 0;
            self.end = used;
        }
    }

    fn release_if_empty(&mut self) {
        if self.count == 0 {
            *self = Node::default();
        }
    }

    /// Moves the data, or grows the buffer, so that `need` bytes are free at the front
    /// (`front`) or the back.
    #[cold]
    fn make_room(&mut self, need: usize, front: bool) {
        let used = self.bytes();
        let wanted = used + need;
        // Moving the data is amortised while it fills no more than half the buffer.
        let capacity = if self.buf.len() >= 2 * wanted {
            self.buf.len()
        } else {
            (wanted + wanted.min(MAX_GROWTH)).max(MIN_CAPACITY)
        };
        let free = capacity - used;
        let this_side = (free - free / 4).max(need);
        let start = if front { this_side } else { free - this_side };
        if capacity == self.buf.len() {
            self.buf.copy_within(self.start..self.end, start);
        } else {
            let mut buf = vec![0u8; capacity].into_boxed_slice();
            buf[start..start + used].copy_from_slice(&self.buf[self.start..self.end]);
            self.buf = buf;
        }
        self.start = start;
        self.end = start + used;
    }
}

/// The elements of a run, from either end.
#[derive(Debug, Clone, Default)]
pub struct NodeIter<'a> {
    entries: &'a [u8],
    remaining: usize,
}

impl<'a> Iterator for NodeIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        let (elem, used) = read_front(self.entries)?;
        self.entries = &self.entries[used..];
        self.remaining -= 1;
        Some(elem)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<'a> DoubleEndedIterator for NodeIter<'a> {
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        let (elem, used) = read_back(self.entries)?;
        self.entries = &self.entries[..self.entries.len() - used];
        self.remaining -= 1;
        Some(elem)
    }
}

impl ExactSizeIterator for NodeIter<'_> {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    #[test]
    fn entries_read_from_both_ends() {
        for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            let elem: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut buf = vec![0u8; entry_len(len)];
            write_entry(&mut buf, &elem);
            assert_eq!(read_front(&buf), Some((&elem[..], buf.len())), "{len}");
            assert_eq!(read_back(&buf), Some((&elem[..], buf.len())), "{len}");
        }
        assert_eq!(entry_len(3), 5);
        assert_eq!(entry_len(200), 204);
    }

    #[test]
    fn a_huge_element_takes_about_its_size() {
        let mut node = Node::default();
        node.push_back(&vec![b'x'; 1 << 20]);
        assert!(node.buf.len() < (1 << 20) + 2 * MAX_GROWTH);
    }

    proptest! {
        #[test]
        fn behaves_like_a_vecdeque(ops in prop::collection::vec((0u8..5, prop::collection::vec(any::<u8>(), 0..200)), 1..300)) {
            let mut node = Node::default();
            let mut model: VecDeque<Vec<u8>> = VecDeque::new();
            for (op, elem) in ops {
                match op {
                    0 => { node.push_front(&elem); model.push_front(elem); }
                    1 => { node.push_back(&elem); model.push_back(elem); }
                    2 => prop_assert_eq!(node.pop_front().map(CompactBytes::into_vec), model.pop_front()),
                    3 => prop_assert_eq!(node.pop_back().map(CompactBytes::into_vec), model.pop_back()),
                    _ => if !model.is_empty() {
                        let i = elem.len() % model.len();
                        node.replace(i, &elem);
                        model[i] = elem;
                    },
                }
                prop_assert_eq!(node.len(), model.len());
                prop_assert!(node.iter().eq(model.iter().map(|e| &e[..])));
                prop_assert!(node.iter().rev().eq(model.iter().rev().map(|e| &e[..])));
                for (i, elem) in model.iter().enumerate() {
                    prop_assert_eq!(node.get(i), Some(&elem[..]));
                }
                let bytes: usize = model.iter().map(|e| entry_len(e.len())).sum();
                prop_assert_eq!(node.bytes(), bytes);
            }
            node.shrink_to_fit();
            prop_assert!(node.iter().eq(model.iter().map(|e| &e[..])));
        }
    }
}
