//! Byte strings for the members of sets and the elements popped from lists: up to
//! [`INLINE`] bytes are kept in the 24-byte value itself, longer ones on the heap.
//!
//! Most members and list elements are short (ids, names, `element:000000012345`). Kept
//! inline they cost no allocation of their own, and a lookup that reaches the member
//! compares bytes already in the cache line it read, instead of chasing a pointer to a
//! separate block: one cache miss fewer per SISMEMBER or SADD on a large set. (A hash's
//! field and value share one such slot: `compact_pair.rs`.)

use std::ops::Deref;

/// The longest string kept inline.
pub const INLINE: usize = 22;

/// A byte string, inline when short (see the module docs).
#[derive(Clone)]
pub enum CompactBytes {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

// The whole point is the size: a slot of a member vector stays 24 bytes.
const _: () = assert!(std::mem::size_of::<CompactBytes>() == 24);

impl CompactBytes {
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            CompactBytes::Inline { .. } => self.to_vec(),
            CompactBytes::Heap(bytes) => bytes.into_vec(),
        }
    }
}

impl Deref for CompactBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            CompactBytes::Inline { len, bytes } => &bytes[..usize::from(*len)],
            CompactBytes::Heap(bytes) => bytes,
        }
    }
}

impl From<&[u8]> for CompactBytes {
    fn from(source: &[u8]) -> CompactBytes {
        if source.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..source.len()].copy_from_slice(source);
            CompactBytes::Inline { len: source.len() as u8, bytes }
        } else {
            CompactBytes::Heap(source.into())
        }
    }
}

impl From<Vec<u8>> for CompactBytes {
    fn from(source: Vec<u8>) -> CompactBytes {
        if source.len() <= INLINE { CompactBytes::from(&source[..]) } else { CompactBytes::Heap(source.into()) }
    }
}

impl PartialEq for CompactBytes {
    fn eq(&self, other: &CompactBytes) -> bool {
        **self == **other
    }
}

impl Eq for CompactBytes {}

impl std::hash::Hash for CompactBytes {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl std::fmt::Debug for CompactBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_are_inline_and_long_ones_on_the_heap() {
        for len in [0, 1, INLINE - 1, INLINE, INLINE + 1, 100] {
            let source: Vec<u8> = (0..len).map(|i| i as u8).collect();
            for compact in [CompactBytes::from(&source[..]), CompactBytes::from(source.clone())] {
                assert_eq!(&*compact, &source[..]);
                assert_eq!(matches!(compact, CompactBytes::Inline { .. }), len <= INLINE, "{len}");
                assert_eq!(compact.clone().into_vec(), source);
            }
        }
        assert_eq!(CompactBytes::from(&b"ab"[..]), CompactBytes::from(b"ab".to_vec()));
        assert_ne!(CompactBytes::from(&b"ab"[..]), CompactBytes::from(&b"abc"[..]));
    }
}
