//! One key and its value, in as few bytes as we can. A slot table stores 8-byte entries: a
//! pointer to one allocation holding
//!
//! ```text
//! [access time: 3][flags: 1][key length: varint][data length: varint][key][data]
//! ```
//!
//! where the data is a string value itself, an integer (8 bytes), a small hash's or sorted set's listpack,
//! or a pointer to a boxed value (large strings, and the other aggregates). So `SET key:0000000001 <32 bytes>`
//! costs one 56-byte block plus an 8-byte table slot (Redis: a dict entry, an object and
//! two sds strings).
//!
//! This is the one place in the engine with `unsafe`: the entry is a thin pointer to a
//! `Box<[u8]>` whose length is recorded in the block's own header rather than beside the
//! pointer, which halves the table's footprint.
//!
//! The pointer's top 16 bits carry a tag for the key table (`key_table.rs`): bits of the
//! key's hash, so a lookup passes over other keys without loading their blocks. Linux
//! hands user space addresses below 2^48 on x86-64 and arm64 (higher ones only to a
//! mapping that asks for them, which no allocator here does), so those bits are free;
//! elsewhere entries carry no tag.

use std::ptr::NonNull;

use crate::types::listpack::LpRef;
use crate::types::{HashRef, Value, ValueKind, ValueRef, ZSetRef};

const HAS_EXPIRY: u8 = 1;
const INT: u8 = 2;
const BOXED: u8 = 4;
/// A string edited in place (APPEND, SETRANGE, SETBIT...): OBJECT ENCODING says "raw", as
/// Redis does for a string it has turned into a growable buffer.
const RAW: u8 = 8;
/// The data is a small hash's or sorted set's listpack, kept in the block like a string: a small hash is
/// one allocation, and a read needs no pointer chase.
const PACKED_HASH: u8 = 16;
/// The data is a small sorted set's listpack (as for hashes).
const PACKED_ZSET: u8 = 32;
/// Access time (3 bytes) and flags (1 byte).
const FIXED_HEADER: usize = 4;
/// Largest access time kept: 24 bits of seconds, wrapping every 194 days like Redis's clock.
const ACCESS_MASK: u32 = 0x00ff_ffff;
/// Bits of the block pointer that carry the key table's tag.
#[cfg(all(target_os = "linux", target_pointer_width = "64", any(target_arch = "x86_64", target_arch = "aarch64")))]
pub(crate) const TAG_BITS: u32 = 16;
#[cfg(not(all(
    target_os = "linux",
    target_pointer_width = "64",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
pub(crate) const TAG_BITS: u32 = 0;
const TAG_SHIFT: u32 = usize::BITS - TAG_BITS;
/// The address bits of the block pointer.
const ADDRESS_MASK: usize = usize::MAX >> TAG_BITS;
/// Strings up to this size are stored in the entry's block. Larger ones are boxed: the
/// per-key saving no longer matters, and the value is not copied again under the lock.
pub const PACK_LIMIT: usize = 4096;

fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// How many bytes `put_varint` writes for `n`.
fn varint_len(n: usize) -> usize {
    (usize::BITS - n.max(1).leading_zeros()).div_ceil(7) as usize
}

/// Reads a varint at `*pos` from `read(i)`, advancing `*pos`.
fn get_varint(read: impl Fn(usize) -> u8, pos: &mut usize) -> usize {
    let (mut n, mut shift) = (0usize, 0u32);
    loop {
        let byte = read(*pos);
        *pos += 1;
        n |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return n;
        }
        shift += 7;
    }
}

/// Where the parts of a block are.
#[derive(Clone, Copy)]
struct Shape {
    key_start: usize,
    key_len: usize,
    data_len: usize,
}

impl Shape {
    fn data_start(self) -> usize {
        self.key_start + self.key_len
    }

    fn total(self) -> usize {
        self.data_start() + self.data_len
    }
}

/// A key, its value, and the metadata every key carries.
pub struct Entry {
    /// The first byte of a `Box<[u8]>` whose length is `self.shape().total()`, with the
    /// key table's tag in the bits above `ADDRESS_MASK`.
    block: NonNull<u8>,
}

// SAFETY: an Entry owns its block (and the boxed value the block may point to) exactly as a
// `Box<[u8]>` and a `Box<Value>` would; both are Send and Sync, and shared access only reads.
unsafe impl Send for Entry {}
// SAFETY: see above.
unsafe impl Sync for Entry {}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("key", &String::from_utf8_lossy(self.key()))
            .field("value", &self.value())
            .finish()
    }
}

impl Entry {
    /// Builds the block for `key` and `data` and takes ownership of it.
    fn build(key: &[u8], flags: u8, access_secs: u32, data: &[u8]) -> Entry {
        // Exactly the size needed: the allocator keeps a shrunk block in its original size
        // class, so any slack here would stay allocated for the key's lifetime.
        let size = FIXED_HEADER + varint_len(key.len()) + varint_len(data.len()) + key.len() + data.len();
        let mut block = Vec::with_capacity(size);
        block.extend_from_slice(&(access_secs & ACCESS_MASK).to_le_bytes()[..3]);
        block.push(flags);
        put_varint(&mut block, key.len());
        put_varint(&mut block, data.len());
        block.extend_from_slice(key);
        block.extend_from_slice(data);
        // Leaked here, reclaimed in `drop` from the length the header records.
        debug_assert_eq!(block.len(), size);
        let block = NonNull::from(Box::leak(block.into_boxed_slice())).cast::<u8>();
        debug_assert_eq!(block.addr().get() & !ADDRESS_MASK, 0, "block address above the tag bits");
        Entry { block }
    }

    /// The block's address, without the tag.
    fn ptr(&self) -> *mut u8 {
        self.block.as_ptr().map_addr(|address| address & ADDRESS_MASK)
    }

    /// The key table's tag (0 until the table sets one).
    pub(crate) fn tag(&self) -> u16 {
        (self.block.addr().get().checked_shr(TAG_SHIFT).unwrap_or(0)) as u16
    }

    /// Sets the key table's tag (ignored where entries carry none).
    pub(crate) fn set_tag(&mut self, tag: u16) {
        let tag_bits = usize::from(tag).checked_shl(TAG_SHIFT).unwrap_or(0);
        // The address part is non-zero, so the result is too.
        self.block = self
            .block
            .map_addr(|address| std::num::NonZero::new(address.get() & ADDRESS_MASK | tag_bits).unwrap_or(address));
    }

    /// Starts loading the block into cache (see `prefetch.rs`).
    pub(crate) fn prefetch(&self) {
        super::prefetch::prefetch_read(self.ptr());
    }

    fn shape(&self) -> Shape {
        // SAFETY: the fixed header and both varints were written by `build` and lie inside
        // the block; `get_varint` stops at the last byte of each.
        let read = |i: usize| unsafe { *self.ptr().add(i) };
        let mut pos = FIXED_HEADER;
        let key_len = get_varint(read, &mut pos);
        let data_len = get_varint(read, &mut pos);
        Shape { key_start: pos, key_len, data_len }
    }

    fn block(&self) -> &[u8] {
        // SAFETY: `block`'s address points to a live allocation of exactly `shape().total()`
        // bytes that this entry owns; the slice borrows `self`.
        unsafe { std::slice::from_raw_parts(self.ptr(), self.shape().total()) }
    }

    fn block_mut(&mut self) -> &mut [u8] {
        let len = self.shape().total();
        // SAFETY: as in `block`, and `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr(), len) }
    }

    fn flags(&self) -> u8 {
        self.block()[3]
    }

    fn data(&self) -> &[u8] {
        let shape = self.shape();
        &self.block()[shape.data_start()..]
    }

    /// The boxed value a BOXED block points to.
    fn boxed(&self) -> Option<&Value> {
        if self.flags() & BOXED == 0 {
            return None;
        }
        let ptr = usize::from_le_bytes(self.data().try_into().ok()?) as *const Value;
        // SAFETY: a BOXED block's data is the address from `Box::into_raw` of a value this
        // entry owns until `drop` or `set_value` frees it.
        Some(unsafe { &*ptr })
    }

    fn encode(key: &[u8], value: Value, access_secs: u32, has_expiry: bool) -> Entry {
        let expiry = if has_expiry { HAS_EXPIRY } else { 0 };
        match value {
            Value::Int(n) => Entry::build(key, INT | expiry, access_secs, &n.to_le_bytes()),
            Value::Str(s) if s.len() <= PACK_LIMIT => Entry::build(key, expiry, access_secs, &s),
            Value::Hash(h) if h.packed().is_some_and(|p| p.len() <= PACK_LIMIT) => {
                Entry::build(key, PACKED_HASH | expiry, access_secs, h.packed().unwrap_or_default())
            }
            Value::ZSet(z) if z.packed().is_some_and(|p| p.len() <= PACK_LIMIT) => {
                Entry::build(key, PACKED_ZSET | expiry, access_secs, z.packed().unwrap_or_default())
            }
            other => {
                let ptr = Box::into_raw(Box::new(other)) as usize;
                Entry::build(key, BOXED | expiry, access_secs, &ptr.to_le_bytes())
            }
        }
    }

    pub(crate) fn new(key: &[u8], value: Value, access_secs: u32) -> Entry {
        Entry::encode(key, value, access_secs, false)
    }

    /// A string entry built straight from the bytes a client sent (one copy, no
    /// intermediate value); `None` when the string is too large to pack.
    pub(crate) fn from_string(key: &[u8], bytes: &[u8], access_secs: u32) -> Option<Entry> {
        match crate::types::string::parse_i64(bytes) {
            Some(n) => Some(Entry::build(key, INT, access_secs, &n.to_le_bytes())),
            None if bytes.len() <= PACK_LIMIT => Some(Entry::build(key, 0, access_secs, bytes)),
            None => None,
        }
    }

    /// Makes this entry the fresh string `bytes` (as [`Entry::from_string`] would build it:
    /// no expiry, not raw) in its own block, when the block has exactly the room: a SET
    /// over a value of the same size then neither allocates nor frees. False (nothing
    /// changed) otherwise.
    pub(crate) fn overwrite_string(&mut self, bytes: &[u8], access_secs: u32) -> bool {
        if self.flags() & (BOXED | PACKED_HASH | PACKED_ZSET) != 0 {
            return false;
        }
        let int = crate::types::string::parse_i64(bytes).map(i64::to_le_bytes);
        let (flags, data) = match &int {
            Some(n) => (INT, &n[..]),
            None => (0, bytes),
        };
        let start = self.shape().data_start();
        let block = self.block_mut();
        if block.len() - start != data.len() {
            return false;
        }
        block[start..].copy_from_slice(data);
        block[3] = flags;
        self.set_access_secs(access_secs);
        true
    }

    pub fn key(&self) -> &[u8] {
        let shape = self.shape();
        &self.block()[shape.key_start..shape.data_start()]
    }

    /// Bytes of the entry's own block (the key, small values, and the header).
    pub fn block_len(&self) -> usize {
        self.shape().total()
    }

    /// Whether the value lives in its own allocation behind the block.
    pub fn is_boxed(&self) -> bool {
        self.flags() & BOXED != 0
    }

    /// The value, borrowed.
    /// The kind of value held, from the flags alone for a value kept in the block (a write
    /// lookup checks it on every typed command).
    pub fn kind(&self) -> ValueKind {
        let flags = self.flags();
        if flags & BOXED != 0 {
            self.value().kind()
        } else if flags & PACKED_HASH != 0 {
            ValueKind::Hash
        } else if flags & PACKED_ZSET != 0 {
            ValueKind::ZSet
        } else {
            ValueKind::String
        }
    }

    pub fn value(&self) -> ValueRef<'_> {
        if let Some(value) = self.boxed() {
            return ValueRef::from(value);
        }
        let data = self.data();
        if self.flags() & PACKED_HASH != 0 {
            return ValueRef::Hash(HashRef::Packed(LpRef::new(data)));
        }
        if self.flags() & PACKED_ZSET != 0 {
            return ValueRef::ZSet(ZSetRef::Packed(LpRef::new(data)));
        }
        match <[u8; 8]>::try_from(data) {
            Ok(n) if self.flags() & INT != 0 => ValueRef::Int(i64::from_le_bytes(n)),
            _ => ValueRef::Str(data),
        }
    }

    /// Replaces the value, keeping the key's expiry and access time.
    pub fn set_value(&mut self, value: Value) {
        // An integer replacing an integer is rewritten in place: INCR does not allocate.
        if let Value::Int(n) = value {
            if self.flags() & INT != 0 {
                let start = self.shape().data_start();
                self.block_mut()[start..].copy_from_slice(&n.to_le_bytes());
                return;
            }
        }
        let mut replacement = Entry::encode(self.key(), value, self.access_secs(), self.has_expiry());
        // The table found this entry by its tag: the new block keeps it.
        replacement.set_tag(self.tag());
        *self = replacement;
    }

    /// The value, owned, consuming the entry (a boxed value is moved out, not copied).
    pub fn into_value(mut self) -> Value {
        if self.flags() & BOXED != 0 {
            if let Ok(bytes) = <[u8; 8]>::try_from(self.data()) {
                // The entry gives up the box: `drop` must not free it.
                self.block_mut()[3] &= !BOXED;
                let ptr = usize::from_le_bytes(bytes) as *mut Value;
                // SAFETY: the address came from `Box::into_raw` in `encode`; clearing the
                // flag above makes this the box's only owner.
                return *unsafe { Box::from_raw(ptr) };
            }
        }
        self.value().to_owned()
    }

    /// Applies `change` to the value: how string commands (INCR, APPEND, SETRANGE) edit a
    /// value. A boxed value is changed in place (so APPEND to a large string does not copy
    /// it); a value kept in the block is copied out, changed and stored back.
    pub fn update<R>(&mut self, change: impl FnOnce(&mut Value) -> R) -> R {
        if let Some(boxed) = self.boxed_value_mut() {
            return change(boxed);
        }
        let mut value = self.value().to_owned();
        let result = change(&mut value);
        self.set_value(value);
        self.mark_raw();
        result
    }

    /// [`Entry::update`] for a change that may be refused: on `Err` nothing is stored, so
    /// the value and the encoding OBJECT ENCODING reports stay as they were. (A boxed value
    /// is changed in place, so `change` must leave it untouched when it fails.)
    pub fn try_update<T, E>(&mut self, change: impl FnOnce(&mut Value) -> Result<T, E>) -> Result<T, E> {
        if let Some(boxed) = self.boxed_value_mut() {
            return change(boxed);
        }
        let mut value = self.value().to_owned();
        let result = change(&mut value)?;
        self.set_value(value);
        self.mark_raw();
        Ok(result)
    }

    /// The boxed value, for a change in place (so APPEND to a large string does not copy it).
    fn boxed_value_mut(&mut self) -> Option<&mut Value> {
        if self.flags() & BOXED == 0 {
            return None;
        }
        let bytes = <[u8; 8]>::try_from(self.data()).ok()?;
        let ptr = usize::from_le_bytes(bytes) as *mut Value;
        // SAFETY: the address came from `Box::into_raw` in `encode` and the entry owns the
        // box; the returned borrow of `self` makes it the only reference while it lives.
        Some(unsafe { &mut *ptr })
    }

    /// Marks a string value as a buffer edited in place: OBJECT ENCODING then says "raw", as
    /// Redis does for strings it built or changed byte by byte. Nothing for other values.
    pub fn mark_raw(&mut self) {
        if matches!(self.value(), ValueRef::Str(_)) {
            self.block_mut()[3] |= RAW;
        }
    }

    /// The encoding OBJECT ENCODING reports, with Redis's names.
    pub fn encoding(&self) -> &'static str {
        match self.value() {
            ValueRef::Str(_) if self.flags() & RAW != 0 => "raw",
            value => value.encoding(),
        }
    }

    pub(crate) fn access_secs(&self) -> u32 {
        let b = self.block();
        u32::from_le_bytes([b[0], b[1], b[2], 0])
    }

    pub(crate) fn set_access_secs(&mut self, secs: u32) {
        self.block_mut()[..3].copy_from_slice(&(secs & ACCESS_MASK).to_le_bytes()[..3]);
    }

    pub(crate) fn has_expiry(&self) -> bool {
        self.flags() & HAS_EXPIRY != 0
    }

    pub(crate) fn set_has_expiry(&mut self, on: bool) {
        let flags = &mut self.block_mut()[3];
        if on {
            *flags |= HAS_EXPIRY;
        } else {
            *flags &= !HAS_EXPIRY;
        }
    }

    /// Makes the key look idle for `idle_secs` (RESTORE ... IDLETIME). As Redis's
    /// `objectSetLRUOrLFU`: an idle time longer than the clock reaches back is clamped to
    /// half the clock's range before now.
    pub fn set_idle_secs(&mut self, idle_secs: u64, now_ms: i64) {
        let now = super::db::secs(now_ms) & ACCESS_MASK;
        let access = match u32::try_from(idle_secs) {
            Ok(idle) if idle <= now => now - idle,
            _ => now.wrapping_add(ACCESS_MASK / 2) % ACCESS_MASK,
        };
        self.set_access_secs(access);
    }

    /// Seconds since this key was last read or written.
    pub fn idle_secs(&self, now_ms: i64) -> u64 {
        let now = super::db::secs(now_ms) & ACCESS_MASK;
        // The 24-bit clock wraps; a wrapped difference is still the right idle time.
        u64::from(now.wrapping_sub(self.access_secs()) & ACCESS_MASK)
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        if self.flags() & BOXED != 0 {
            if let Ok(bytes) = <[u8; 8]>::try_from(self.data()) {
                let ptr = usize::from_le_bytes(bytes) as *mut Value;
                // SAFETY: the address came from `Box::into_raw` in `encode`, and this entry
                // is its only owner; it is freed once, here.
                drop(unsafe { Box::from_raw(ptr) });
            }
        }
        let len = self.shape().total();
        let raw = std::ptr::slice_from_raw_parts_mut(self.ptr(), len);
        // SAFETY: `block`'s address (without the tag) and `len` describe exactly the
        // `Box<[u8]>` leaked in `build`, which this entry owns and nothing else frees.
        drop(unsafe { Box::from_raw(raw) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_len_matches_put_varint() {
        for n in [0usize, 1, 127, 128, 16383, 16384, 1 << 40, usize::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, n);
            assert_eq!(varint_len(n), out.len(), "{n}");
        }
    }

    #[test]
    fn entries_are_one_pointer() {
        assert_eq!(std::mem::size_of::<Entry>(), 8);
        assert_eq!(std::mem::size_of::<Option<Entry>>(), 8);
    }

    #[test]
    fn kind_from_the_flags_is_the_value_s_kind() {
        // A typed write lookup trusts `kind`: a wrong answer would leave a write unlogged.
        use crate::types::{Hash, List, Set, Stream, ZSet, hash};
        let mut small = Hash::new();
        small.insert(b"f", b"v", hash::Limits::new(128, 64));
        let mut large = Hash::new();
        large.insert(b"f", &[b'x'; 1000], hash::Limits::new(128, 64));
        let values = [
            Value::Int(7),
            Value::Str(b"short"[..].into()),
            Value::Str(vec![b'x'; 1000]),
            Value::Hash(small),
            Value::Hash(large),
            Value::Hash(Hash::new()),
            Value::ZSet(ZSet::default()),
            Value::List(List::new()),
            Value::Set(Set::default()),
            Value::Stream(Box::new(Stream::new())),
        ];
        for value in values {
            let entry = Entry::new(b"k", value, 0);
            assert_eq!(entry.kind(), entry.value().kind(), "flags {:#x}", entry.flags());
        }
    }

    #[test]
    fn packed_strings_and_integers_round_trip() {
        let mut e = Entry::new(b"key:0000000001", Value::Str(b"hello"[..].into()), 7);
        assert_eq!(e.key(), b"key:0000000001");
        assert_eq!(e.value(), ValueRef::Str(b"hello"));
        assert_eq!(e.access_secs(), 7);
        e.set_has_expiry(true);
        e.set_value(Value::Int(-42));
        assert_eq!(e.value(), ValueRef::Int(-42));
        assert!(e.has_expiry(), "expiry flag survives a new value");
        e.set_value(Value::Int(i64::MAX));
        assert_eq!(e.value(), ValueRef::Int(i64::MAX));
        e.set_access_secs(99);
        e.set_has_expiry(false);
        assert_eq!((e.access_secs(), e.has_expiry(), e.key()), (99, false, &b"key:0000000001"[..]));
        // An 8-byte string is not mistaken for an integer.
        e.set_value(Value::Str(b"12345678"[..].into()));
        assert_eq!(e.value(), ValueRef::Str(b"12345678"));
        let empty = Entry::new(b"", Value::Str(Vec::new()), 0);
        assert_eq!((empty.key(), empty.value()), (&b""[..], ValueRef::Str(b"")));
    }

    #[test]
    fn long_keys_and_large_values_use_wide_lengths_and_boxes() {
        let key = vec![b'k'; 300];
        let big = vec![b'x'; PACK_LIMIT + 1];
        let mut e = Entry::new(&key, Value::Str(big.clone()), 1);
        assert_eq!((e.key(), e.value()), (&key[..], ValueRef::Str(&big)));
        e.set_has_expiry(true);
        e.set_value(Value::Str(vec![b'y'; PACK_LIMIT]));
        assert_eq!(e.value().string_len(), Some(PACK_LIMIT));
        assert!(e.has_expiry());
        e.set_value(Value::Str(big.clone()));
        // Strings edited in place report "raw", as in Redis; a new value clears that.
        let mut small = Entry::new(b"s", Value::Str(b"ab".to_vec()), 0);
        assert_eq!(small.encoding(), "embstr");
        small.update(|v| v.append(b"c", u64::MAX)).unwrap();
        assert_eq!((small.encoding(), small.value()), ("raw", ValueRef::Str(b"abc")));
        small.set_value(Value::Str(b"x".to_vec()));
        assert_eq!(small.encoding(), "embstr");
        // A boxed value is edited in place.
        e.update(|v| v.append(b"!", u64::MAX)).unwrap();
        let mut expected = big.clone();
        expected.push(b'!');
        assert_eq!(e.value(), ValueRef::Str(&expected));
        assert_eq!(e.into_value(), Value::Str(expected));
        assert!(Entry::from_string(b"n", &vec![b'x'; PACK_LIMIT + 1], 0).is_none());
        assert_eq!(Entry::from_string(b"n", b"12", 0).map(|e| e.value().to_owned()), Some(Value::Int(12)));
    }

    #[test]
    fn strings_of_the_same_size_are_overwritten_in_place() {
        let mut e = Entry::new(b"k", Value::Str(b"abc".to_vec()), 1);
        e.set_has_expiry(true);
        e.mark_raw();
        e.set_tag(7);
        let block = e.ptr();
        assert!(e.overwrite_string(b"xyz", 5));
        assert_eq!(
            (e.value(), e.has_expiry(), e.encoding(), e.access_secs()),
            (ValueRef::Str(b"xyz"), false, "embstr", 5)
        );
        assert_eq!((e.ptr(), e.tag()), (block, if TAG_BITS == 0 { 0 } else { 7 }), "same block, same tag");
        // Another size, an integer where a string was, or another type: not in place.
        assert!(!e.overwrite_string(b"toolong", 5));
        assert!(!e.overwrite_string(b"12", 5));
        let mut int = Entry::new(b"n", Value::Int(1), 0);
        assert!(int.overwrite_string(b"-42", 0));
        assert_eq!((int.value(), int.encoding()), (ValueRef::Int(-42), "int"));
        // An 8-byte string takes an integer's 8 bytes and stays a string.
        assert!(int.overwrite_string(b"abcdefgh", 0));
        assert_eq!((int.value(), int.encoding()), (ValueRef::Str(b"abcdefgh"), "embstr"));
        let mut boxed = Entry::new(b"b", Value::Str(vec![b'x'; PACK_LIMIT + 1]), 0);
        assert!(!boxed.overwrite_string(&vec![b'y'; PACK_LIMIT + 1], 0));
        assert_eq!(e.key(), b"k");
    }

    #[test]
    fn access_time_wraps_at_24_bits() {
        let mut e = Entry::new(b"k", Value::Int(1), 0);
        e.set_access_secs(ACCESS_MASK);
        // Two seconds later, after the clock wrapped.
        assert_eq!(e.idle_secs(i64::from(ACCESS_MASK + 2) * 1000), 2);
    }

    #[test]
    fn many_entries_are_freed_without_leaks_or_double_frees() {
        // Boxed and packed alike; run under valgrind to see leaks or double frees.
        let entries: Vec<Entry> = (0..1000)
            .map(|i| {
                let value = if i % 3 == 0 { Value::Str(vec![b'v'; PACK_LIMIT + i]) } else { Value::Int(i as i64) };
                Entry::new(format!("key{i}").as_bytes(), value, 0)
            })
            .collect();
        assert_eq!(entries.iter().filter(|e| e.value().string_len() >= Some(PACK_LIMIT)).count(), 334);
        drop(entries);
    }
}
