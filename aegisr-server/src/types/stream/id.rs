//! Stream entry IDs (`<ms>-<seq>`) and their parsing, with Redis's leniencies and limits.

use std::fmt;

/// An entry ID: a millisecond time and a sequence number, ordered as a 128-bit number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The next ID up, `None` past the largest.
    pub fn next(self) -> Option<StreamId> {
        match self.seq.checked_add(1) {
            Some(seq) => Some(StreamId { ms: self.ms, seq }),
            None => self.ms.checked_add(1).map(|ms| StreamId { ms, seq: 0 }),
        }
    }

    /// The previous ID, `None` below 0-0.
    pub fn prev(self) -> Option<StreamId> {
        match self.seq.checked_sub(1) {
            Some(seq) => Some(StreamId { ms: self.ms, seq }),
            None => self.ms.checked_sub(1).map(|ms| StreamId { ms, seq: u64::MAX }),
        }
    }

    /// The ID as Redis prints it, in a stack buffer (replies write many of them).
    pub fn format(self) -> IdText {
        let mut text = IdText { buf: [0; 41], len: 0 };
        let mut ms = itoa::Buffer::new();
        let mut seq = itoa::Buffer::new();
        for part in [ms.format(self.ms).as_bytes(), b"-", seq.format(self.seq).as_bytes()] {
            text.buf[text.len..text.len + part.len()].copy_from_slice(part);
            text.len += part.len();
        }
        text
    }
}

/// An ID's text: at most 20 + 1 + 20 bytes.
pub struct IdText {
    buf: [u8; 41],
    len: usize,
}

impl std::ops::Deref for IdText {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// How the sequence of a parsed ID was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seq {
    Given,
    /// `<ms>-*`: XADD picks the sequence.
    Auto,
}

/// Parses `<ms>[-<seq>]`, `-` and `+` (unless `strict`); a missing sequence is
/// `missing_seq`; `<ms>-*` only when `allow_auto_seq`. `None` for anything else (Redis:
/// "Invalid stream ID specified as stream command argument").
pub fn parse(arg: &[u8], missing_seq: u64, strict: bool, allow_auto_seq: bool) -> Option<(StreamId, Seq)> {
    // Redis copies the argument into a 128-byte buffer first.
    if arg.len() > 127 {
        return None;
    }
    match arg {
        b"-" | b"+" if strict => None,
        b"-" => Some((StreamId::MIN, Seq::Given)),
        b"+" => Some((StreamId::MAX, Seq::Given)),
        _ => {
            let (ms, seq) = match arg.iter().position(|&b| b == b'-') {
                Some(dash) => (&arg[..dash], Some(&arg[dash + 1..])),
                None => (arg, None),
            };
            let ms = parse_u64(ms)?;
            match seq {
                None => Some((StreamId::new(ms, missing_seq), Seq::Given)),
                Some(b"*") if allow_auto_seq => Some((StreamId::new(ms, 0), Seq::Auto)),
                Some(seq) => Some((StreamId::new(ms, parse_u64(seq)?), Seq::Given)),
            }
        }
    }
}

/// A plain ID argument (`-` and `+` allowed).
pub fn parse_plain(arg: &[u8], missing_seq: u64) -> Option<StreamId> {
    parse(arg, missing_seq, false, false).map(|(id, _)| id)
}

/// An ID argument where `-` and `+` make no sense.
pub fn parse_strict(arg: &[u8]) -> Option<StreamId> {
    parse(arg, 0, true, false).map(|(id, _)| id)
}

/// One end of a range (XRANGE, XPENDING, XAUTOCLAIM): `(` makes it exclusive (and the rest
/// strict). Returns the ID and whether it was exclusive.
pub fn parse_interval(arg: &[u8], missing_seq: u64) -> Option<(StreamId, bool)> {
    match arg {
        [b'(', rest @ ..] if !rest.is_empty() => parse(rest, missing_seq, true, false).map(|(id, _)| (id, true)),
        _ => parse_plain(arg, missing_seq).map(|id| (id, false)),
    }
}

/// Redis's `string2ull`: a canonical non-negative integer, or else whatever C's `strtoull`
/// reads in full (leading spaces, a sign, leading zeros; a minus wraps around).
fn parse_u64(text: &[u8]) -> Option<u64> {
    if let Some(n) = crate::types::string::parse_i64(text) {
        return u64::try_from(n).ok();
    }
    let mut rest = text;
    while let [b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c', tail @ ..] = rest {
        rest = tail;
    }
    let (negative, digits) = match rest {
        [b'-', tail @ ..] => (true, tail),
        [b'+', tail @ ..] => (false, tail),
        _ => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for &d in digits {
        value = value.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { value.wrapping_neg() } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_redis() {
        assert_eq!(parse_plain(b"5", 0), Some(StreamId::new(5, 0)));
        assert_eq!(parse_plain(b"5", u64::MAX), Some(StreamId::new(5, u64::MAX)));
        assert_eq!(parse_plain(b"5-3", 0), Some(StreamId::new(5, 3)));
        assert_eq!(parse_plain(b"-", 9), Some(StreamId::MIN));
        assert_eq!(parse_plain(b"+", 9), Some(StreamId::MAX));
        assert_eq!(parse_strict(b"+"), None);
        assert_eq!(parse_strict(b"-"), None);
        assert_eq!(parse_plain(b"18446744073709551615-18446744073709551615", 0), Some(StreamId::MAX));
        assert_eq!(parse_plain(b"18446744073709551616", 0), None);
        assert_eq!(parse_plain(b"007-01", 0), Some(StreamId::new(7, 1)));
        for bad in [&b""[..], b"x", b"1-", b"-1", b"1-x", b"1-2-3", b"1.5", b"1-*", b"(1"] {
            assert_eq!(parse_plain(bad, 0), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse(b"1-*", 0, true, true), Some((StreamId::new(1, 0), Seq::Auto)));
        assert_eq!(parse(b"1-2", 0, true, true), Some((StreamId::new(1, 2), Seq::Given)));
        assert_eq!(parse(&[b'1'; 128], 0, false, false), None);
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval(b"(5-1", 0), Some((StreamId::new(5, 1), true)));
        assert_eq!(parse_interval(b"(5", u64::MAX), Some((StreamId::new(5, u64::MAX), true)));
        assert_eq!(parse_interval(b"(-", 0), None);
        assert_eq!(parse_interval(b"(+", 0), None);
        assert_eq!(parse_interval(b"(", 0), None);
        assert_eq!(parse_interval(b"-", 0), Some((StreamId::MIN, false)));
    }

    #[test]
    fn neighbours_and_text() {
        assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(StreamId::new(2, 0).prev(), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(StreamId::MIN.prev(), None);
        assert_eq!(&*StreamId::MAX.format(), b"18446744073709551615-18446744073709551615");
        assert_eq!(StreamId::new(3, 4).to_string(), "3-4");
    }
}
