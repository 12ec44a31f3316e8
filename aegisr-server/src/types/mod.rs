//! Values and the data-only operations on them, one file per data type. Nothing here
//! knows about sockets, protocols or locks: functions take values and return typed results.

pub mod bitmap;
pub mod bloom;
pub mod compact_bytes;
mod compact_pair;
pub mod geo;
pub mod hash;
pub mod hll;
pub mod list;
mod list_node;
pub mod listpack;
pub mod long_double;
pub mod pqsort;
mod score_tree;
pub mod set;
pub mod stream;
pub mod string;
pub mod strtod;
pub mod zset;

pub use bloom::ScalableBloom;
pub use hash::{Hash, HashRef};
pub use list::List;
pub use set::Set;
pub use stream::Stream;
pub use zset::{ZSet, ZSetRef};

/// A stored value. Strings that are canonical decimal integers are kept as integers (as
/// Redis does), which saves memory and makes INCR cheap.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string holding the canonical decimal form of an `i64`.
    Int(i64),
    /// Any other string. A `Vec` so that APPEND and SETRANGE on a large value grow it in
    /// place, amortised, as Redis's sds strings do.
    Str(Vec<u8>),
    List(List),
    Hash(Hash),
    Set(Set),
    ZSet(ZSet),
    /// Boxed: a filter is rare and its header large, and `Value` must not grow for it.
    Bloom(Box<ScalableBloom>),
    /// Boxed: a stream's bookkeeping is larger than the other variants.
    Stream(Box<Stream>),
}

/// A stored value, borrowed from its entry (which may keep it packed with its key).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Int(i64),
    Str(&'a [u8]),
    List(&'a List),
    /// Packed in the entry's block, or a boxed [`Hash`].
    Hash(HashRef<'a>),
    Set(&'a Set),
    /// Packed in the entry's block, or a boxed [`ZSet`].
    ZSet(ZSetRef<'a>),
    Bloom(&'a ScalableBloom),
    Stream(&'a Stream),
}

impl<'a> From<&'a Value> for ValueRef<'a> {
    fn from(value: &'a Value) -> ValueRef<'a> {
        match value {
            Value::Int(n) => ValueRef::Int(*n),
            Value::Str(s) => ValueRef::Str(s),
            Value::List(l) => ValueRef::List(l),
            Value::Hash(h) => ValueRef::Hash(h.view()),
            Value::Set(s) => ValueRef::Set(s),
            Value::ZSet(z) => ValueRef::ZSet(z.view()),
            Value::Bloom(b) => ValueRef::Bloom(b),
            Value::Stream(s) => ValueRef::Stream(s),
        }
    }
}

impl ValueRef<'_> {
    pub fn kind(self) -> ValueKind {
        match self {
            ValueRef::Int(_) | ValueRef::Str(_) => ValueKind::String,
            ValueRef::List(_) => ValueKind::List,
            ValueRef::Hash(_) => ValueKind::Hash,
            ValueRef::Set(_) => ValueKind::Set,
            ValueRef::ZSet(_) => ValueKind::ZSet,
            ValueRef::Bloom(_) => ValueKind::Bloom,
            ValueRef::Stream(_) => ValueKind::Stream,
        }
    }

    /// The encoding `OBJECT ENCODING` reports, with Redis's names.
    pub fn encoding(self) -> &'static str {
        match self {
            ValueRef::Int(_) => "int",
            // Redis keeps strings up to 44 bytes in one allocation with the object header.
            ValueRef::Str(s) if s.len() <= 44 => "embstr",
            ValueRef::Str(_) => "raw",
            ValueRef::List(l) => l.encoding(),
            ValueRef::Hash(h) => h.encoding(),
            ValueRef::Set(s) => s.encoding(),
            ValueRef::ZSet(z) => z.encoding(),
            // Redis reports every module type's value as "raw".
            ValueRef::Bloom(_) => "raw",
            ValueRef::Stream(_) => "stream",
        }
    }

    /// An owned copy.
    pub fn to_owned(self) -> Value {
        match self {
            ValueRef::Int(n) => Value::Int(n),
            ValueRef::Str(s) => Value::Str(s.to_vec()),
            ValueRef::List(l) => Value::List(l.clone()),
            ValueRef::Hash(h) => Value::Hash(h.to_owned()),
            ValueRef::Set(s) => Value::Set(s.clone()),
            ValueRef::ZSet(z) => Value::ZSet(z.to_owned()),
            ValueRef::Bloom(b) => Value::Bloom(Box::new(b.clone())),
            ValueRef::Stream(s) => Value::Stream(Box::new(s.clone())),
        }
    }
}

/// The aggregate types, so commands can reach "the list in this entry" generically.
pub trait Typed: Sized {
    /// The kind of value this is.
    const KIND: ValueKind;
    /// How a stored value of this type is read: `&Self`, or a view of a packed form.
    type Ref<'a>: Copy;
    fn from_ref(value: ValueRef<'_>) -> Option<Self::Ref<'_>>;
    fn from_mut(value: &mut Value) -> Option<&mut Self>;
}

macro_rules! typed {
    ($type:ident) => {
        impl Typed for $type {
            const KIND: ValueKind = ValueKind::$type;
            type Ref<'a> = &'a $type;

            fn from_ref(value: ValueRef<'_>) -> Option<&$type> {
                match value {
                    ValueRef::$type(inner) => Some(inner),
                    _ => None,
                }
            }

            fn from_mut(value: &mut Value) -> Option<&mut $type> {
                match value {
                    Value::$type(inner) => Some(inner),
                    _ => None,
                }
            }
        }
    };
}

impl Typed for Hash {
    const KIND: ValueKind = ValueKind::Hash;
    type Ref<'a> = HashRef<'a>;

    fn from_ref(value: ValueRef<'_>) -> Option<HashRef<'_>> {
        match value {
            ValueRef::Hash(inner) => Some(inner),
            _ => None,
        }
    }

    fn from_mut(value: &mut Value) -> Option<&mut Hash> {
        match value {
            Value::Hash(inner) => Some(inner),
            _ => None,
        }
    }
}

typed!(List);
typed!(Set);
impl Typed for ZSet {
    const KIND: ValueKind = ValueKind::ZSet;
    type Ref<'a> = ZSetRef<'a>;

    fn from_ref(value: ValueRef<'_>) -> Option<ZSetRef<'_>> {
        match value {
            ValueRef::ZSet(inner) => Some(inner),
            _ => None,
        }
    }

    fn from_mut(value: &mut Value) -> Option<&mut ZSet> {
        match value {
            Value::ZSet(inner) => Some(inner),
            _ => None,
        }
    }
}

impl Typed for ScalableBloom {
    const KIND: ValueKind = ValueKind::Bloom;
    type Ref<'a> = &'a ScalableBloom;

    fn from_ref(value: ValueRef<'_>) -> Option<&ScalableBloom> {
        match value {
            ValueRef::Bloom(inner) => Some(inner),
            _ => None,
        }
    }

    fn from_mut(value: &mut Value) -> Option<&mut ScalableBloom> {
        match value {
            Value::Bloom(inner) => Some(inner),
            _ => None,
        }
    }
}

/// The kinds of value, as `TYPE` names them and `SCAN ... TYPE` filters them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    String,
    List,
    Hash,
    Set,
    ZSet,
    /// A RedisBloom-compatible scalable Bloom filter.
    Bloom,
    Stream,
}

impl ValueKind {
    /// The name `TYPE` replies with.
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::String => "string",
            ValueKind::List => "list",
            ValueKind::Hash => "hash",
            ValueKind::Set => "set",
            ValueKind::ZSet => "zset",
            // RedisBloom's module type name, which TYPE reports for its filters.
            ValueKind::Bloom => "MBbloom--",
            ValueKind::Stream => "stream",
        }
    }

    /// Parses a type name as `SCAN ... TYPE` takes it (case-insensitive).
    pub fn parse(name: &[u8]) -> Option<ValueKind> {
        [
            ValueKind::String,
            ValueKind::List,
            ValueKind::Hash,
            ValueKind::Set,
            ValueKind::ZSet,
            ValueKind::Bloom,
            ValueKind::Stream,
        ]
        .into_iter()
        .find(|k| name.eq_ignore_ascii_case(k.name().as_bytes()))
    }
}

impl Value {
    /// The kind of this value.
    pub fn kind(&self) -> ValueKind {
        ValueRef::from(self).kind()
    }

    /// The encoding `OBJECT ENCODING` reports, with Redis's names.
    pub fn encoding(&self) -> &'static str {
        ValueRef::from(self).encoding()
    }

    /// About how many allocations freeing this value walks (Redis's
    /// `lazyfreeGetFreeEffort`): 1 for a string or a compact encoding, the elements of a
    /// full one, a stream's blocks and pending entries. Past [`LAZYFREE_THRESHOLD`] UNLINK
    /// frees it in the background.
    pub fn free_effort(&self) -> usize {
        match self {
            Value::Int(_) | Value::Str(_) | Value::Bloom(_) => 1,
            Value::Stream(stream) => {
                stream.block_count() + stream.groups().map(|(_, group)| 1 + group.pel.len()).sum::<usize>()
            }
            _ if matches!(self.encoding(), "listpack" | "intset") => 1,
            Value::List(list) => list.len(),
            Value::Hash(hash) => hash.len(),
            Value::Set(set) => set.len(),
            Value::ZSet(zset) => zset.len(),
        }
    }
}

/// The free effort past which UNLINK frees a value in the background (Redis's
/// `LAZYFREE_THRESHOLD`).
pub const LAZYFREE_THRESHOLD: usize = 64;

impl Typed for Stream {
    const KIND: ValueKind = ValueKind::Stream;
    type Ref<'a> = &'a Stream;

    fn from_ref(value: ValueRef<'_>) -> Option<&Stream> {
        match value {
            ValueRef::Stream(inner) => Some(inner),
            _ => None,
        }
    }

    fn from_mut(value: &mut Value) -> Option<&mut Stream> {
        match value {
            Value::Stream(inner) => Some(inner),
            _ => None,
        }
    }
}
