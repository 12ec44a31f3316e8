//! One key and its value, in as few bytes as we can: the slot tables store 16-byte
//! entries, and a string key with its string value lives in a single allocation
//! `[access time: 4][flags: 1][key length: 4][key][value]`, so `SET key:0000000001 <32 B>`
//! costs one 56-byte block plus the table slot (Redis: a dict entry, an object, two sds).
//! Values of the other types live in a separate box with their key.

use crate::types::{Value, ValueRef};

const HAS_EXPIRY: u8 = 1;
const INT: u8 = 2;
const HEADER: usize = 9;
/// Strings up to this size are packed with their key. Larger ones stay in their own buffer:
/// the per-key saving no longer matters, and the value is not copied again under the lock.
pub const PACK_LIMIT: usize = 4096;

#[derive(Debug, Clone)]
enum Repr {
    /// A string (or integer) value packed after its key.
    Packed(Box<[u8]>),
    /// Any other value.
    Boxed(Box<BoxedEntry>),
}

#[derive(Debug, Clone)]
struct BoxedEntry {
    key: Box<[u8]>,
    value: Value,
    access_secs: u32,
    has_expiry: bool,
}

/// A key, its value, and the metadata every key carries.
#[derive(Debug, Clone)]
pub struct Entry(Repr);

/// The packed form of `key` and a string value, or `None` when it should not be packed.
fn pack(key: &[u8], value: ValueRef<'_>, access_secs: u32, has_expiry: bool) -> Option<Box<[u8]>> {
    let key_len = u32::try_from(key.len()).ok()?;
    let int_bytes;
    let (flags, data): (u8, &[u8]) = match value {
        ValueRef::Int(n) => {
            int_bytes = n.to_le_bytes();
            (INT, &int_bytes)
        }
        ValueRef::Str(s) if s.len() <= PACK_LIMIT => (0, s),
        ValueRef::Str(_) => return None,
    };
    let mut blob = Vec::with_capacity(HEADER + key.len() + data.len());
    blob.extend_from_slice(&access_secs.to_le_bytes());
    blob.push(flags | if has_expiry { HAS_EXPIRY } else { 0 });
    blob.extend_from_slice(&key_len.to_le_bytes());
    blob.extend_from_slice(key);
    blob.extend_from_slice(data);
    Some(blob.into_boxed_slice())
}

fn packed_key_len(blob: &[u8]) -> usize {
    let mut len = [0u8; 4];
    len.copy_from_slice(&blob[5..HEADER]);
    u32::from_le_bytes(len) as usize
}

impl Entry {
    pub(crate) fn new(key: &[u8], value: Value, access_secs: u32) -> Entry {
        Entry::with_meta(key, value, access_secs, false)
    }

    /// A string entry built straight from the bytes a client sent (one copy, no
    /// intermediate value) when it is small enough to pack.
    pub(crate) fn from_string(key: &[u8], bytes: &[u8], access_secs: u32) -> Option<Entry> {
        let value = match crate::types::string::parse_i64(bytes) {
            Some(n) => ValueRef::Int(n),
            None => ValueRef::Str(bytes),
        };
        pack(key, value, access_secs, false).map(|blob| Entry(Repr::Packed(blob)))
    }

    fn with_meta(key: &[u8], value: Value, access_secs: u32, has_expiry: bool) -> Entry {
        match pack(key, ValueRef::from(&value), access_secs, has_expiry) {
            Some(blob) => Entry(Repr::Packed(blob)),
            None => Entry(Repr::Boxed(Box::new(BoxedEntry { key: key.into(), value, access_secs, has_expiry }))),
        }
    }

    pub fn key(&self) -> &[u8] {
        match &self.0 {
            Repr::Packed(blob) => &blob[HEADER..HEADER + packed_key_len(blob)],
            Repr::Boxed(b) => &b.key,
        }
    }

    /// The value, borrowed.
    pub fn value(&self) -> ValueRef<'_> {
        match &self.0 {
            Repr::Packed(blob) => {
                let data = &blob[HEADER + packed_key_len(blob)..];
                if blob[4] & INT != 0 {
                    let mut n = [0u8; 8];
                    n.copy_from_slice(data);
                    ValueRef::Int(i64::from_le_bytes(n))
                } else {
                    ValueRef::Str(data)
                }
            }
            Repr::Boxed(b) => ValueRef::from(&b.value),
        }
    }

    /// Replaces the value, keeping the key's expiry and access time.
    pub fn set_value(&mut self, value: Value) {
        // An integer replacing an integer is rewritten in place: INCR does not allocate.
        if let (Repr::Packed(blob), Value::Int(n)) = (&mut self.0, &value) {
            if blob[4] & INT != 0 {
                let start = HEADER + packed_key_len(blob);
                blob[start..].copy_from_slice(&n.to_le_bytes());
                return;
            }
        }
        *self = Entry::with_meta(self.key(), value, self.access_secs(), self.has_expiry());
    }

    /// The value, owned, consuming the entry.
    pub fn into_value(self) -> Value {
        match self.0 {
            Repr::Packed(_) => self.value().to_owned(),
            Repr::Boxed(b) => b.value,
        }
    }

    /// Applies `change` to the value and stores the result: how string commands (INCR,
    /// APPEND, SETRANGE) edit a value that is kept packed with its key.
    pub fn update<R>(&mut self, change: impl FnOnce(&mut Value) -> R) -> R {
        let mut value = self.value().to_owned();
        let result = change(&mut value);
        self.set_value(value);
        result
    }

    /// The value for in-place changes (aggregates); a packed entry is unpacked first.
    pub fn value_mut(&mut self) -> &mut Value {
        if let Repr::Packed(_) = &self.0 {
            let boxed = BoxedEntry {
                key: self.key().into(),
                value: self.value().to_owned(),
                access_secs: self.access_secs(),
                has_expiry: self.has_expiry(),
            };
            self.0 = Repr::Boxed(Box::new(boxed));
        }
        match &mut self.0 {
            Repr::Boxed(b) => &mut b.value,
            Repr::Packed(_) => unreachable!("unpacked just above"),
        }
    }

    pub(crate) fn access_secs(&self) -> u32 {
        match &self.0 {
            Repr::Packed(blob) => u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]),
            Repr::Boxed(b) => b.access_secs,
        }
    }

    pub(crate) fn set_access_secs(&mut self, secs: u32) {
        match &mut self.0 {
            Repr::Packed(blob) => blob[..4].copy_from_slice(&secs.to_le_bytes()),
            Repr::Boxed(b) => b.access_secs = secs,
        }
    }

    pub(crate) fn has_expiry(&self) -> bool {
        match &self.0 {
            Repr::Packed(blob) => blob[4] & HAS_EXPIRY != 0,
            Repr::Boxed(b) => b.has_expiry,
        }
    }

    pub(crate) fn set_has_expiry(&mut self, on: bool) {
        match &mut self.0 {
            Repr::Packed(blob) => {
                if on {
                    blob[4] |= HAS_EXPIRY;
                } else {
                    blob[4] &= !HAS_EXPIRY;
                }
            }
            Repr::Boxed(b) => b.has_expiry = on,
        }
    }

    /// Seconds since this key was last read or written.
    pub fn idle_secs(&self, now_ms: i64) -> u64 {
        u64::from(super::db::secs(now_ms).saturating_sub(self.access_secs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 16);
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
        let big = Entry::new(b"big", Value::Str(vec![b'x'; PACK_LIMIT + 1].into()), 0);
        assert_eq!((big.key(), big.value().string_len()), (&b"big"[..], Some(PACK_LIMIT + 1)));
        let from_client = Entry::from_string(b"n", b"12", 0).unwrap();
        assert_eq!(from_client.value(), ValueRef::Int(12));
        assert!(Entry::from_string(b"n", &vec![b'x'; PACK_LIMIT + 1], 0).is_none());
        let empty = Entry::new(b"", Value::Str(Box::new([])), 0);
        assert_eq!((empty.key(), empty.value()), (&b""[..], ValueRef::Str(b"")));
    }

    #[test]
    fn value_mut_unpacks_and_keeps_metadata() {
        let mut e = Entry::new(b"k", Value::Int(1), 5);
        e.set_has_expiry(true);
        *e.value_mut() = Value::Str(b"changed"[..].into());
        assert_eq!(e.value(), ValueRef::Str(b"changed"));
        assert_eq!((e.key(), e.access_secs(), e.has_expiry()), (&b"k"[..], 5, true));
        e.set_value(Value::Int(3));
        assert_eq!(e.value(), ValueRef::Int(3));
    }
}
