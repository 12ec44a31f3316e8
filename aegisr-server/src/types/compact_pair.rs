//! A hash field and its value in one 32-byte slot: side by side inline when both fit in
//! [`INLINE`] bytes, else in one heap block (the field's length as a varint, the field,
//! the value).
//!
//! A large hash's pairs are a vector of these (see `hash.rs`). Most fields and values are
//! short (`field:123456` -> `v123456`, `element:000000012345` -> `xxx`); as two
//! [`super::compact_bytes::CompactBytes`] a pair took 48 bytes, here 32, and a long one
//! allocates one block, not two. Inline, a lookup that reaches the pair compares the field
//! in the cache line it read. (A 24-byte slot held 21 bytes: redis-benchmark's 20-byte
//! fields and 3-byte values went to the heap, and HSET into a large hash was 17% slower
//! for the pointer chased on every lookup.)

/// The most bytes a field and value keep inline together.
pub const INLINE: usize = 29;

/// See the module docs.
#[derive(Clone)]
pub enum CompactPair {
    Inline { field_len: u8, value_len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

// The whole point is the size: a slot of the pair vector stays 32 bytes.
const _: () = assert!(std::mem::size_of::<CompactPair>() == 32);

impl CompactPair {
    pub fn new(field: &[u8], value: &[u8]) -> CompactPair {
        let len = field.len() + value.len();
        if len <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..field.len()].copy_from_slice(field);
            bytes[field.len()..len].copy_from_slice(value);
            // Both below INLINE: they fit a byte.
            return CompactPair::Inline { field_len: field.len() as u8, value_len: value.len() as u8, bytes };
        }
        let mut block = Vec::with_capacity(10 + len);
        let mut n = field.len();
        while n >= 0x80 {
            block.push((n as u8) | 0x80);
            n >>= 7;
        }
        block.push(n as u8);
        block.extend_from_slice(field);
        block.extend_from_slice(value);
        CompactPair::Heap(block.into_boxed_slice())
    }

    /// The field and the value.
    #[inline]
    pub fn get(&self) -> (&[u8], &[u8]) {
        match self {
            CompactPair::Inline { field_len, value_len, bytes } => {
                let (field_len, value_len) = (usize::from(*field_len), usize::from(*value_len));
                (&bytes[..field_len], &bytes[field_len..field_len + value_len])
            }
            CompactPair::Heap(block) => {
                let (mut n, mut shift, mut at) = (0usize, 0u32, 0usize);
                // The block was written by `new`: the varint ends within it.
                while let Some(&byte) = block.get(at) {
                    at += 1;
                    n |= usize::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
                    if byte & 0x80 == 0 {
                        break;
                    }
                    shift += 7;
                }
                let field_end = (at + n).min(block.len());
                (&block[at..field_end], &block[field_end..])
            }
        }
    }

    pub fn field(&self) -> &[u8] {
        self.get().0
    }

    pub fn value(&self) -> &[u8] {
        self.get().1
    }

    /// Gives the field `value` (the pair is written again).
    pub fn set_value(&mut self, value: &[u8]) {
        *self = CompactPair::new(self.field(), value);
    }
}

impl std::fmt::Debug for CompactPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (field, value) = self.get();
        write!(f, "{:?} -> {:?}", String::from_utf8_lossy(field), String::from_utf8_lossy(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_of_every_size_come_back() {
        for field_len in [0usize, 1, 10, 21, 29, 30, 127, 128, 300, 20_000] {
            for value_len in [0usize, 1, 11, 29, 30, 200] {
                let field: Vec<u8> = (0..field_len).map(|i| i as u8).collect();
                let value: Vec<u8> = (0..value_len).map(|i| (i * 7) as u8).collect();
                let mut pair = CompactPair::new(&field, &value);
                assert_eq!(pair.get(), (&field[..], &value[..]), "{field_len} {value_len}");
                assert_eq!(matches!(pair, CompactPair::Inline { .. }), field_len + value_len <= INLINE);
                pair.set_value(b"other");
                assert_eq!(pair.get(), (&field[..], &b"other"[..]));
            }
        }
    }
}
