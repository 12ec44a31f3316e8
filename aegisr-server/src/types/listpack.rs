//! Listpacks: small aggregates as one buffer, `[varint count][varint length][bytes]...`,
//! the way Redis packs small hashes and sorted sets. A listpack costs its bytes and nothing
//! else: no allocation per element, no pointers. The engine keeps one inside the key's own
//! block, so a small hash is a single allocation.
//!
//! Operations are linear, which is what Redis's thresholds (`*-max-listpack-entries`,
//! `*-max-listpack-value`) bound.

use std::ops::Range;

pub fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn varint(n: usize) -> ([u8; 10], usize) {
    let mut buf = [0u8; 10];
    let mut v = Vec::with_capacity(10);
    put_varint(&mut v, n);
    buf[..v.len()].copy_from_slice(&v);
    (buf, v.len())
}

/// The varint at `pos` and the position after it; `None` past the end.
pub(crate) fn read_varint(bytes: &[u8], mut pos: usize) -> Option<(usize, usize)> {
    let (mut n, mut shift) = (0usize, 0u32);
    loop {
        let byte = *bytes.get(pos)?;
        pos += 1;
        n |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some((n, pos));
        }
        shift += 7;
    }
}

/// A listpack, borrowed (from an entry's block or an owned [`Listpack`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LpRef<'a> {
    bytes: &'a [u8],
}

/// One element: its bytes, and where its encoding starts and ends in the buffer.
#[derive(Debug, Clone, Copy)]
pub struct Element<'a> {
    pub bytes: &'a [u8],
    pub span: (usize, usize),
}

impl<'a> LpRef<'a> {
    pub fn new(bytes: &'a [u8]) -> LpRef<'a> {
        LpRef { bytes }
    }

    pub fn bytes(self) -> &'a [u8] {
        self.bytes
    }

    /// Number of elements.
    pub fn count(self) -> usize {
        read_varint(self.bytes, 0).map_or(0, |(n, _)| n)
    }

    pub fn elements(self) -> Elements<'a> {
        let pos = read_varint(self.bytes, 0).map_or(self.bytes.len(), |(_, p)| p);
        Elements { bytes: self.bytes, pos }
    }
}

pub struct Elements<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Element<'a>;

    fn next(&mut self) -> Option<Element<'a>> {
        let start = self.pos;
        let (len, at) = read_varint(self.bytes, start)?;
        let bytes = self.bytes.get(at..at.checked_add(len)?)?;
        self.pos = at + len;
        Some(Element { bytes, span: (start, self.pos) })
    }
}

/// An owned listpack. The empty buffer is the empty listpack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    bytes: Vec<u8>,
}

impl Listpack {
    /// Takes bytes made by [`Listpack::bytes`] (an entry's block keeps them verbatim).
    pub fn from_bytes(bytes: Vec<u8>) -> Listpack {
        Listpack { bytes }
    }

    pub fn view(&self) -> LpRef<'_> {
        LpRef::new(&self.bytes)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn count(&self) -> usize {
        self.view().count()
    }

    /// Replaces the encoded elements in `span` (positions from [`Element::span`]; an empty
    /// span at the end appends) with `elements`, adjusting the count by `delta`.
    pub fn splice(&mut self, span: Range<usize>, elements: &[&[u8]], delta: isize) {
        let mut encoded = Vec::with_capacity(elements.iter().map(|e| e.len() + 2).sum());
        for e in elements {
            put_varint(&mut encoded, e.len());
            encoded.extend_from_slice(e);
        }
        let (old_count, header_end) = read_varint(&self.bytes, 0).unwrap_or((0, 0));
        let span = span.start.max(header_end)..span.end.max(header_end);
        // Grow exactly: listpacks are small and many, spare capacity would be waste.
        let grow = encoded.len().saturating_sub(span.len());
        self.bytes.reserve_exact(grow + 10);
        self.bytes.splice(span, encoded);
        let count = old_count.saturating_add_signed(delta);
        let (header, len) = varint(count);
        self.bytes.splice(0..header_end, header[..len].iter().copied());
        if self.bytes.capacity() > self.bytes.len() + 64 {
            self.bytes.shrink_to_fit();
        }
    }

    /// Appends elements at the end.
    pub fn push(&mut self, elements: &[&[u8]]) {
        let end = self.bytes.len();
        self.splice(end..end, elements, elements.len() as isize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_push_and_iterate() {
        let mut lp = Listpack::default();
        assert_eq!(lp.count(), 0);
        lp.push(&[b"a", b"bb"]);
        lp.push(&[&[b'x'; 200]]);
        assert_eq!(lp.count(), 3);
        let elems: Vec<_> = lp.view().elements().collect();
        assert_eq!(elems.len(), 3);
        assert_eq!(elems[1].bytes, b"bb");
        assert_eq!(elems[2].bytes.len(), 200);
        let (s, e) = elems[1].span;
        lp.splice(s..e, &[b"replacement", b"two"], 1);
        let got: Vec<&[u8]> = lp.view().elements().map(|e| e.bytes).collect();
        assert_eq!(got[..3], [&b"a"[..], b"replacement", b"two"]);
        assert_eq!(lp.count(), 4);
        let all: Vec<_> = lp.view().elements().collect();
        lp.splice(all[0].span.0..all[3].span.1, &[], -4);
        assert_eq!(lp.count(), 0);
        assert_eq!(lp.view().elements().count(), 0);
    }

    #[test]
    fn truncated_bytes_end_the_iteration() {
        let mut lp = Listpack::default();
        lp.push(&[b"hello"]);
        let cut = &lp.bytes()[..lp.bytes().len() - 1];
        assert_eq!(LpRef::new(cut).elements().count(), 0);
    }
}
