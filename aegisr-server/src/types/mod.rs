//! Values and the data-only operations on them, one file per data type. Nothing here
//! knows about sockets, protocols or locks: functions take values and return typed results.

pub mod string;

/// A stored value. Strings that are canonical decimal integers are kept as integers (as
/// Redis does), which saves memory and makes INCR cheap.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string holding the canonical decimal form of an `i64`.
    Int(i64),
    /// Any other string. A `Vec` so that APPEND and SETRANGE on a large value grow it in
    /// place, amortised, as Redis's sds strings do.
    Str(Vec<u8>),
}

/// A stored value, borrowed from its entry (which may keep it packed with its key).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl<'a> From<&'a Value> for ValueRef<'a> {
    fn from(value: &'a Value) -> ValueRef<'a> {
        match value {
            Value::Int(n) => ValueRef::Int(*n),
            Value::Str(s) => ValueRef::Str(s),
        }
    }
}

impl ValueRef<'_> {
    pub fn kind(self) -> ValueKind {
        match self {
            ValueRef::Int(_) | ValueRef::Str(_) => ValueKind::String,
        }
    }

    /// The encoding `OBJECT ENCODING` reports, with Redis's names.
    pub fn encoding(self) -> &'static str {
        match self {
            ValueRef::Int(_) => "int",
            // Redis keeps strings up to 44 bytes in one allocation with the object header.
            ValueRef::Str(s) if s.len() <= 44 => "embstr",
            ValueRef::Str(_) => "raw",
        }
    }

    /// An owned copy.
    pub fn to_owned(self) -> Value {
        match self {
            ValueRef::Int(n) => Value::Int(n),
            ValueRef::Str(s) => Value::Str(s.to_vec()),
        }
    }
}

/// The kinds of value, as `TYPE` names them and `SCAN ... TYPE` filters them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    String,
}

impl ValueKind {
    /// The name `TYPE` replies with.
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::String => "string",
        }
    }

    /// Parses a type name as `SCAN ... TYPE` takes it (case-insensitive).
    pub fn parse(name: &[u8]) -> Option<ValueKind> {
        name.eq_ignore_ascii_case(b"string").then_some(ValueKind::String)
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
}
