//! Strings: the byte-string value, its integer encoding, and the operations of the string
//! commands that only touch data (ranges, counters, appends).

use std::ops::Deref;

use super::Value;

/// Errors of string operations; the command layer turns them into Redis's replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringError {
    /// The stored value or the argument is not an integer, or is out of range.
    NotInteger,
    /// The stored value or the argument is not a valid float.
    NotFloat,
    /// Incrementing would overflow an `i64`.
    Overflow,
    /// The float result would be NaN or infinite.
    NanOrInfinity,
    /// The result would exceed `proto-max-bulk-len`.
    TooLarge,
}

/// The bytes of a string value: borrowed, or an integer formatted on the stack.
pub enum StrBytes<'a> {
    Borrowed(&'a [u8]),
    Int { buf: [u8; 20], start: u8 },
}

impl StrBytes<'_> {
    /// Formats an integer without allocating.
    pub fn int(n: i64) -> StrBytes<'static> {
        let mut buf = [0u8; 20];
        let mut pos = buf.len();
        let mut rest = n.unsigned_abs();
        loop {
            pos -= 1;
            buf[pos] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if n < 0 {
            pos -= 1;
            buf[pos] = b'-';
        }
        StrBytes::Int { buf, start: pos as u8 }
    }
}

impl Deref for StrBytes<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            StrBytes::Borrowed(b) => b,
            StrBytes::Int { buf, start } => &buf[usize::from(*start)..],
        }
    }
}

/// Parses a canonical decimal `i64` the way Redis's `string2ll` does: an optional `-`, no
/// `+`, no spaces, no leading zeros (except "0" itself), at most 20 bytes.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 20 {
        return None;
    }
    if bytes == b"0" {
        return Some(0);
    }
    let (negative, digits) = match bytes[0] {
        b'-' => (true, &bytes[1..]),
        _ => (false, bytes),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut magnitude: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Parses a float the way Redis's `string2ld` does: the whole string must be a number, no
/// leading or trailing spaces; `inf` is accepted, NaN is not.
pub fn parse_f64(bytes: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(bytes).ok()?;
    if text.is_empty() || text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    (!value.is_nan()).then_some(value)
}

/// Formats a float as Redis's INCRBYFLOAT does: plain decimal, no exponent, no trailing
/// zeros, the shortest form that reads back as the same number.
pub fn format_f64(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    format!("{value}")
}

impl Value {
    /// Stores `bytes` as a string value, as an integer when that reads back identically.
    pub fn from_bytes(bytes: &[u8]) -> Value {
        match parse_i64(bytes) {
            Some(n) => Value::Int(n),
            None => Value::Str(bytes.into()),
        }
    }

    /// The bytes of a string value (`None` for other types).
    pub fn string_bytes(&self) -> Option<StrBytes<'_>> {
        match self {
            Value::Int(n) => Some(StrBytes::int(*n)),
            Value::Str(s) => Some(StrBytes::Borrowed(s)),
        }
    }

    /// The integer a string value holds, for INCR and friends.
    pub fn as_i64(&self) -> Result<i64, StringError> {
        match self {
            Value::Int(n) => Ok(*n),
            Value::Str(s) => parse_i64(s).ok_or(StringError::NotInteger),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_stored_only_when_canonical() {
        assert_eq!(Value::from_bytes(b"123"), Value::Int(123));
        assert_eq!(Value::from_bytes(b"-9223372036854775808"), Value::Int(i64::MIN));
        assert_eq!(Value::from_bytes(b"9223372036854775807"), Value::Int(i64::MAX));
        for raw in [&b"007"[..], b"+1", b" 1", b"1 ", b"-0", b"", b"9223372036854775808", b"1.0", b"-"] {
            assert_eq!(Value::from_bytes(raw), Value::Str(raw.into()), "{raw:?}");
        }
    }

    #[test]
    fn integers_format_back_exactly() {
        for n in [0, 1, -1, 42, i64::MIN, i64::MAX, 1_000_000] {
            assert_eq!(&*StrBytes::int(n), n.to_string().as_bytes());
        }
    }

    #[test]
    fn floats_parse_like_redis() {
        assert_eq!(parse_f64(b"10.5"), Some(10.5));
        assert_eq!(parse_f64(b"5.0e3"), Some(5000.0));
        assert_eq!(parse_f64(b"inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"abc"), None);
        assert_eq!(format_f64(10.5 + 0.1), "10.6");
        assert_eq!(format_f64(5200.0), "5200");
        assert_eq!(format_f64(-0.0), "0");
    }
}
