//! Constructors, accessors and redis-cli style display for [`Reply`].

use std::fmt::{self, Write as _};

use bytes::Bytes;

use crate::v1::{Aggregate, Error, MapEntry, MapReply, Null, Reply, reply::Kind};

impl Reply {
    fn of(kind: Kind) -> Self {
        Self { kind: Some(kind) }
    }

    /// A null (RESP2 `$-1`, RESP3 `_`).
    pub fn null() -> Self {
        Self::of(Kind::Null(Null { array: false }))
    }

    /// A RESP2 null array (`*-1`).
    pub fn null_array() -> Self {
        Self::of(Kind::Null(Null { array: true }))
    }

    /// A simple string, e.g. `Reply::simple("OK")`.
    pub fn simple(s: impl Into<String>) -> Self {
        Self::of(Kind::Simple(s.into()))
    }

    /// An error; `code` is the first word of `message` (`ERR`, `WRONGTYPE`...).
    pub fn error(message: impl Into<String>) -> Self {
        let message = message.into();
        let code = message.split_whitespace().next().unwrap_or("").to_owned();
        Self::of(Kind::Error(Error { code, message }))
    }

    /// An integer.
    pub fn integer(i: i64) -> Self {
        Self::of(Kind::Integer(i))
    }

    /// A double (RESP3).
    pub fn double(d: f64) -> Self {
        Self::of(Kind::Double(d))
    }

    /// A boolean (RESP3).
    pub fn boolean(b: bool) -> Self {
        Self::of(Kind::Boolean(b))
    }

    /// A bulk string.
    pub fn bulk(b: impl Into<Bytes>) -> Self {
        Self::of(Kind::Bulk(b.into()))
    }

    /// An array.
    pub fn array(items: Vec<Reply>) -> Self {
        Self::of(Kind::Array(Aggregate { items }))
    }

    /// A map (RESP3), entries in the given order.
    pub fn map(entries: Vec<(Reply, Reply)>) -> Self {
        let entries = entries.into_iter().map(|(key, value)| MapEntry { key: Some(key), value: Some(value) }).collect();
        Self::of(Kind::Map(MapReply { entries }))
    }

    /// A set (RESP3).
    pub fn set(items: Vec<Reply>) -> Self {
        Self::of(Kind::Set(Aggregate { items }))
    }

    /// A push (RESP3 out-of-band data, e.g. pub/sub messages).
    pub fn push(items: Vec<Reply>) -> Self {
        Self::of(Kind::Push(Aggregate { items }))
    }

    /// The bytes of a bulk string.
    pub fn as_bulk(&self) -> Option<&[u8]> {
        match &self.kind {
            Some(Kind::Bulk(b)) => Some(b),
            _ => None,
        }
    }

    /// The value of an integer.
    pub fn as_integer(&self) -> Option<i64> {
        match self.kind {
            Some(Kind::Integer(i)) => Some(i),
            _ => None,
        }
    }

    /// The text of a simple string, or of a bulk or verbatim string that is
    /// valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Some(Kind::Simple(s)) => Some(s),
            Some(Kind::Bulk(b)) => std::str::from_utf8(b).ok(),
            Some(Kind::Verbatim(v)) => std::str::from_utf8(&v.text).ok(),
            _ => None,
        }
    }

    /// The error, if this reply is one.
    pub fn as_error(&self) -> Option<&Error> {
        match &self.kind {
            Some(Kind::Error(e)) => Some(e),
            _ => None,
        }
    }

    /// True for a null, and for a reply with no kind set.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, None | Some(Kind::Null(_)))
    }

    /// The items of an array, set or push.
    pub fn as_array(&self) -> Option<&[Reply]> {
        match &self.kind {
            Some(Kind::Array(a) | Kind::Set(a) | Kind::Push(a)) => Some(&a.items),
            _ => None,
        }
    }
}

/// Renders the reply as redis-cli does on a terminal: `"bar"`, `(integer) 1`,
/// `(nil)`, `(error) ERR ...`, numbered `1) ...` lines for aggregates.
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        render(self, &mut out)?;
        f.write_str(&out)
    }
}

fn render(reply: &Reply, out: &mut String) -> fmt::Result {
    match &reply.kind {
        None | Some(Kind::Null(_)) => out.push_str("(nil)"),
        Some(Kind::Simple(s)) => out.push_str(s),
        Some(Kind::Error(e)) => write!(out, "(error) {}", e.message)?,
        Some(Kind::Integer(i)) => write!(out, "(integer) {i}")?,
        Some(Kind::Double(d)) if d.is_nan() => out.push_str("(double) nan"),
        Some(Kind::Double(d)) => write!(out, "(double) {d}")?,
        Some(Kind::Boolean(b)) => write!(out, "({b})")?,
        Some(Kind::Bulk(b)) => quote(b, out)?,
        Some(Kind::Verbatim(v)) => out.push_str(&String::from_utf8_lossy(&v.text)),
        Some(Kind::BigNumber(n)) => write!(out, "(big number) {n}")?,
        Some(Kind::Array(a) | Kind::Push(a)) => list(&a.items, "(empty array)", out)?,
        Some(Kind::Set(a)) => list(&a.items, "(empty set)", out)?,
        Some(Kind::Map(m)) => {
            if m.entries.is_empty() {
                out.push_str("(empty hash)");
            }
            let width = m.entries.len().to_string().len();
            for (i, entry) in m.entries.iter().enumerate() {
                let mut body = String::new();
                render(entry.key.as_ref().unwrap_or(&Reply::default()), &mut body)?;
                body.push_str(" => ");
                render(entry.value.as_ref().unwrap_or(&Reply::default()), &mut body)?;
                item(&format!("{:>width$}# ", i + 1), &body, i, out);
            }
        }
    }
    Ok(())
}

fn list(items: &[Reply], empty: &str, out: &mut String) -> fmt::Result {
    if items.is_empty() {
        out.push_str(empty);
    }
    let width = items.len().to_string().len();
    for (i, reply) in items.iter().enumerate() {
        let mut body = String::new();
        render(reply, &mut body)?;
        item(&format!("{:>width$}) ", i + 1), &body, i, out);
    }
    Ok(())
}

/// Appends `body` after `prefix`, indenting its continuation lines to match.
fn item(prefix: &str, body: &str, index: usize, out: &mut String) {
    if index > 0 {
        out.push('\n');
    }
    out.push_str(prefix);
    let pad = " ".repeat(prefix.len());
    for (j, line) in body.split('\n').enumerate() {
        if j > 0 {
            out.push('\n');
            out.push_str(&pad);
        }
        out.push_str(line);
    }
}

/// Quotes bytes as redis-cli (sdscatrepr) does.
fn quote(bytes: &[u8], out: &mut String) -> fmt::Result {
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => write!(out, "\\x{b:02x}")?,
        }
    }
    out.push('"');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_and_accessors() {
        assert!(Reply::null().is_null());
        assert!(Reply::null_array().is_null());
        assert!(Reply::default().is_null());
        assert!(!Reply::integer(0).is_null());
        assert_eq!(Reply::integer(7).as_integer(), Some(7));
        assert_eq!(Reply::simple("OK").as_integer(), None);
        assert_eq!(Reply::bulk("bar").as_bulk(), Some(&b"bar"[..]));
        assert_eq!(Reply::simple("OK").as_bulk(), None);
        assert_eq!(Reply::simple("OK").as_str(), Some("OK"));
        assert_eq!(Reply::bulk(vec![b'h', b'i']).as_str(), Some("hi"));
        assert_eq!(Reply::bulk(vec![0xff]).as_str(), None);
        let arr = Reply::array(vec![Reply::integer(1), Reply::bulk("a")]);
        assert_eq!(arr.as_array().map(<[Reply]>::len), Some(2));
        assert_eq!(Reply::set(vec![Reply::null()]).as_array().map(<[Reply]>::len), Some(1));
        assert_eq!(Reply::push(vec![]).as_array().map(<[Reply]>::len), Some(0));
        assert!(Reply::integer(1).as_array().is_none());
        assert_eq!(Reply::boolean(true).kind, Some(Kind::Boolean(true)));
        assert_eq!(Reply::double(1.5).kind, Some(Kind::Double(1.5)));
        let map = Reply::map(vec![(Reply::simple("k"), Reply::integer(1))]);
        let Some(Kind::Map(m)) = &map.kind else { panic!("not a map") };
        assert_eq!(m.entries[0].key, Some(Reply::simple("k")));
        assert_eq!(m.entries[0].value, Some(Reply::integer(1)));
    }

    #[test]
    fn error_code_is_first_word() {
        let r = Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value");
        let e = r.as_error().unwrap();
        assert_eq!(e.code, "WRONGTYPE");
        assert!(e.message.starts_with("WRONGTYPE Operation"));
        assert_eq!(Reply::error("ERR").as_error().unwrap().code, "ERR");
        assert_eq!(Reply::error("").as_error().unwrap().code, "");
        assert!(Reply::simple("ERR x").as_error().is_none());
    }

    #[test]
    fn displays_like_redis_cli() {
        assert_eq!(Reply::bulk("bar").to_string(), "\"bar\"");
        assert_eq!(Reply::bulk(&b"a\"b\\\n\x01\xff"[..]).to_string(), r#""a\"b\\\n\x01\xff""#);
        assert_eq!(Reply::simple("OK").to_string(), "OK");
        assert_eq!(Reply::integer(1).to_string(), "(integer) 1");
        assert_eq!(Reply::null().to_string(), "(nil)");
        assert_eq!(Reply::error("ERR unknown command").to_string(), "(error) ERR unknown command");
        assert_eq!(Reply::double(3.5).to_string(), "(double) 3.5");
        assert_eq!(Reply::boolean(false).to_string(), "(false)");
        assert_eq!(Reply::array(vec![]).to_string(), "(empty array)");
        assert_eq!(Reply::set(vec![]).to_string(), "(empty set)");
        assert_eq!(Reply::map(vec![]).to_string(), "(empty hash)");
        assert_eq!(Reply::array(vec![Reply::bulk("a"), Reply::null()]).to_string(), "1) \"a\"\n2) (nil)");
        let nested = Reply::array(vec![Reply::array(vec![Reply::bulk("x"), Reply::integer(2)]), Reply::bulk("y")]);
        assert_eq!(nested.to_string(), "1) 1) \"x\"\n   2) (integer) 2\n2) \"y\"");
        let ten = Reply::array((0..10).map(Reply::integer).collect());
        let text = ten.to_string();
        assert!(text.starts_with(" 1) (integer) 0\n"), "{text}");
        assert!(text.ends_with("\n10) (integer) 9"), "{text}");
        let map = Reply::map(vec![(Reply::bulk("k"), Reply::integer(1))]);
        assert_eq!(map.to_string(), "1# \"k\" => (integer) 1");
    }
}
