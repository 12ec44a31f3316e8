//! Values and the data-only operations on them, one file per data type. Nothing here
//! knows about sockets, protocols or locks: functions take values and return typed results.

pub mod string;

/// A stored value. Strings that are canonical decimal integers are kept as integers (as
/// Redis does), which saves memory and makes INCR cheap.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string holding the canonical decimal form of an `i64`.
    Int(i64),
    /// Any other string.
    Str(Box<[u8]>),
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
        match self {
            Value::Int(_) | Value::Str(_) => ValueKind::String,
        }
    }

    /// The encoding `OBJECT ENCODING` reports, with Redis's names.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            // Redis keeps strings up to 44 bytes in one allocation with the object header.
            Value::Str(s) if s.len() <= 44 => "embstr",
            Value::Str(_) => "raw",
        }
    }
}
