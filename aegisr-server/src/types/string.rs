//! Strings: the byte-string value, its integer encoding, and the operations of the string
//! commands that only touch data (ranges, counters, appends).

use std::ops::Deref;

use super::long_double::{LongDouble, Parsed};
use super::strtod::{is_c_space, strtod};
use super::{Value, ValueRef};

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
    /// The value is not a string.
    WrongType,
}

/// The bytes of a string value: borrowed, or an integer formatted on the stack.
pub enum StrBytes<'a> {
    Borrowed(&'a [u8]),
    Int { buf: [u8; 20], start: u8 },
}

impl StrBytes<'_> {
    /// Formats an integer without allocating.
    pub fn int(n: i64) -> StrBytes<'static> {
        let mut formatter = itoa::Buffer::new();
        let text = formatter.format(n).as_bytes();
        let mut buf = [0u8; 20];
        // An i64 takes at most 20 bytes ("-9223372036854775808").
        let start = buf.len() - text.len();
        buf[start..].copy_from_slice(text);
        StrBytes::Int { buf, start: start as u8 }
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
    if negative { 0i64.checked_sub_unsigned(magnitude) } else { i64::try_from(magnitude).ok() }
}

/// Parses a float the way Redis's `getDoubleFromObject` and `string2ld` do: `strtod`
/// (so hex floats such as "0x1p3" too) over the whole string, no leading space; `inf`
/// written out is accepted, NaN is not, nor a number overflowing to infinity or
/// underflowing to zero ("1e400", "1e-400").
pub fn parse_f64(bytes: &[u8]) -> Option<f64> {
    // Integral scores and increments are the common case: up to 15 digits are exact in an
    // f64, so they skip the general parser. (A sign is left to it: "-0" is -0.0.)
    if (1..=15).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_digit) {
        return Some(bytes.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')) as f64);
    }
    if bytes.first().is_none_or(|&b| is_c_space(b)) {
        return None;
    }
    let read = strtod(bytes);
    let out_of_range = read.range_error && (read.value.is_infinite() || read.value == 0.0);
    (read.len == bytes.len() && !out_of_range && !read.value.is_nan()).then_some(read.value)
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
        ValueRef::from(self).string_bytes()
    }

    /// The integer a string value holds, for INCR and friends.
    pub fn as_i64(&self) -> Result<i64, StringError> {
        ValueRef::from(self).as_i64()
    }

    /// The length of a string value (`None` for other types); integers are not formatted.
    pub fn string_len(&self) -> Option<usize> {
        ValueRef::from(self).string_len()
    }
}

impl<'a> ValueRef<'a> {
    /// The bytes of a string value (`None` for other types).
    pub fn string_bytes(self) -> Option<StrBytes<'a>> {
        match self {
            ValueRef::Int(n) => Some(StrBytes::int(n)),
            ValueRef::Str(s) => Some(StrBytes::Borrowed(s)),
            _ => None,
        }
    }

    /// The integer a string value holds, for INCR and friends.
    pub fn as_i64(self) -> Result<i64, StringError> {
        match self {
            ValueRef::Int(n) => Ok(n),
            ValueRef::Str(s) => parse_i64(s).ok_or(StringError::NotInteger),
            _ => Err(StringError::WrongType),
        }
    }

    /// The length of a string value (`None` for other types); integers are not formatted.
    pub fn string_len(self) -> Option<usize> {
        match self {
            ValueRef::Int(n) => Some(decimal_len(n)),
            ValueRef::Str(s) => Some(s.len()),
            _ => None,
        }
    }
}

impl Value {
    /// A string value from owned bytes, as an integer when that reads back identically;
    /// other strings keep their buffer.
    pub fn from_vec(bytes: Vec<u8>) -> Value {
        match parse_i64(&bytes) {
            Some(n) => Value::Int(n),
            None => Value::Str(bytes),
        }
    }

    /// Moves a string value's bytes out, leaving an empty string (`None` for other types).
    fn take_string(&mut self) -> Option<Vec<u8>> {
        match self {
            Value::Int(n) => Some(StrBytes::int(*n).to_vec()),
            Value::Str(s) => Some(std::mem::take(s)),
            _ => None,
        }
    }

    /// INCRBY: adds `delta` to an integer string in place and returns the result. An
    /// integer-encoded value is updated without allocating.
    pub fn incr_by(&mut self, delta: i64) -> Result<i64, StringError> {
        let n = self.as_i64()?.checked_add(delta).ok_or(StringError::Overflow)?;
        *self = Value::Int(n);
        Ok(n)
    }

    /// APPEND: appends `tail` and returns the new length; refused (value untouched) when the
    /// result would exceed `max_len` bytes.
    pub fn append(&mut self, tail: &[u8], max_len: u64) -> Result<usize, StringError> {
        let len = self.string_len().ok_or(StringError::WrongType)?;
        check_length(len as u64, tail.len() as u64, max_len)?;
        // Even an empty tail turns an integer into a string, as Redis unshares the value
        // (OBJECT ENCODING "raw") before appending.
        let mut bytes = self.take_string().unwrap_or_default();
        // Greedy growth, so appending to a value again and again costs amortised O(1) per
        // byte, not a copy of the whole value each time.
        bytes.reserve(tail.len());
        bytes.extend_from_slice(tail);
        let new_len = bytes.len();
        // Stays a string even when it reads as a number: Redis's APPEND leaves a raw string
        // (OBJECT ENCODING "raw"), never an integer.
        *self = Value::Str(bytes);
        Ok(new_len)
    }

    /// SETRANGE: writes `bytes` at `offset`, zero-padding as needed, and returns the new
    /// length. An empty `bytes` changes nothing. Refused (value untouched) when
    /// `offset + bytes.len()` would exceed `max_len`, checked before anything is allocated.
    pub fn set_range(&mut self, offset: u64, bytes: &[u8], max_len: u64) -> Result<usize, StringError> {
        let len = self.string_len().ok_or(StringError::WrongType)?;
        if bytes.is_empty() {
            return Ok(len);
        }
        check_length(offset, bytes.len() as u64, max_len)?;
        let start = usize::try_from(offset).map_err(|_| StringError::TooLarge)?;
        let end = start.checked_add(bytes.len()).ok_or(StringError::TooLarge)?;
        let mut value = self.take_string().unwrap_or_default();
        if value.len() < end {
            value.reserve_exact(end - value.len());
            value.resize(end, 0);
        }
        value[start..end].copy_from_slice(bytes);
        let new_len = value.len();
        // A raw string, as APPEND's result.
        *self = Value::Str(value);
        Ok(new_len)
    }
}

/// Redis's `checkStringLength`: `len + extra` must not exceed `max_len`.
fn check_length(len: u64, extra: u64, max_len: u64) -> Result<(), StringError> {
    match len.checked_add(extra) {
        Some(total) if total <= max_len => Ok(()),
        _ => Err(StringError::TooLarge),
    }
}

/// Number of bytes in the decimal form of `n`.
fn decimal_len(n: i64) -> usize {
    let digits = n.unsigned_abs().checked_ilog10().map_or(1, |d| d as usize + 1);
    digits + usize::from(n < 0)
}

/// GETRANGE: the bytes from `start` to `end` inclusive, negative indexes counting from the
/// end, clamped to the string, as Redis 7.0 computes them (a range entirely before the
/// start of the string still yields the first byte, as in Redis).
pub fn get_range(s: &[u8], start: i64, end: i64) -> &[u8] {
    if start < 0 && end < 0 && start > end {
        return &[];
    }
    // A string is far shorter than i64::MAX, so these additions cannot overflow.
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end }.max(0).min(len - 1);
    if s.is_empty() || start > end {
        return &[];
    }
    // Both are within 0..len here.
    &s[start as usize..=end as usize]
}

/// INCRBYFLOAT: `current + incr` formatted as Redis stores and replies it (`%.17Lf` with
/// trailing zeros removed). Both operands must be valid floats and the sum finite.
///
/// Redis reads and adds in 80-bit long doubles: emulated exactly, so that the text is
/// Redis's to the last digit (`0.1 + 0.2` gives "0.3", and "1e400" is a number).
pub fn incr_by_float(current: &[u8], incr: &[u8]) -> Result<String, StringError> {
    let a = LongDouble::parse(current).ok_or(StringError::NotFloat)?;
    let b = LongDouble::parse(incr).ok_or(StringError::NotFloat)?;
    let (Parsed::Finite(a), Parsed::Finite(b)) = (a, b) else {
        return Err(StringError::NanOrInfinity);
    };
    a.plus(b).map(LongDouble::to_redis_text).ok_or(StringError::NanOrInfinity)
}

/// One matching range of LCS ... IDX: inclusive byte ranges in each string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LcsMatch {
    pub a: (usize, usize),
    pub b: (usize, usize),
    pub len: usize,
}

/// The result of LCS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lcs {
    /// Length of the longest common subsequence.
    pub len: usize,
    /// The subsequence itself (empty unless backtracked).
    pub text: Vec<u8>,
    /// The matching ranges, from the end of the strings backwards, as Redis lists them.
    pub matches: Vec<LcsMatch>,
}

/// Why LCS was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LcsError {
    /// A string is 4 GiB or longer (the table holds `u32` lengths).
    StringTooLong,
    /// The dynamic-programming table would exceed the allowed memory.
    TableTooLarge,
    /// The table could not be allocated.
    OutOfMemory,
}

/// LCS of `a` and `b` by the classic dynamic-programming table, as Redis computes it (same
/// tie-breaking, so the same subsequence and ranges). The table takes
/// `(a.len()+1) * (b.len()+1) * 4` bytes and is refused above `max_table_bytes`, which also
/// bounds the O(n·m) time. With `backtrack` false only the length is computed; otherwise the
/// text and the ranges at least `min_match_len` long (0: all) are too.
pub fn lcs(a: &[u8], b: &[u8], max_table_bytes: u64, backtrack: bool, min_match_len: usize) -> Result<Lcs, LcsError> {
    let limit = u32::MAX as usize - 1;
    if a.len() >= limit || b.len() >= limit {
        return Err(LcsError::StringTooLong);
    }
    let cols = b.len() + 1;
    let cells = (a.len() as u64 + 1).checked_mul(cols as u64).ok_or(LcsError::TableTooLarge)?;
    if cells.checked_mul(4).is_none_or(|bytes| bytes > max_table_bytes) {
        return Err(LcsError::TableTooLarge);
    }
    let cells = usize::try_from(cells).map_err(|_| LcsError::OutOfMemory)?;
    let mut dp: Vec<u32> = Vec::new();
    dp.try_reserve_exact(cells).map_err(|_| LcsError::OutOfMemory)?;
    dp.resize(cells, 0);
    // Row i holds LCS(a[..i], b[..j]) for every j; row 0 and column 0 stay zero.
    for (i, &ai) in a.iter().enumerate() {
        let (done, rest) = dp.split_at_mut((i + 1) * cols);
        let prev = &done[i * cols..];
        let cur = &mut rest[..cols];
        for (j, &bj) in b.iter().enumerate() {
            cur[j + 1] = if ai == bj { prev[j] + 1 } else { prev[j + 1].max(cur[j]) };
        }
    }
    let at = |i: usize, j: usize| dp[i * cols + j];
    let len = at(a.len(), b.len()) as usize;
    let mut out = Lcs { len, ..Lcs::default() };
    if !backtrack {
        return Ok(out);
    }
    // Walk back from the end, collecting the text (backwards) and contiguous ranges.
    let mut text = vec![0u8; len];
    let mut idx = len;
    let (mut i, mut j) = (a.len(), b.len());
    let mut range: Option<LcsMatch> = None;
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            text[idx - 1] = a[i - 1];
            let r = range.get_or_insert(LcsMatch { a: (i, i - 1), b: (j, j - 1), len: 0 });
            // Every step after a match moves both indexes back, so a match right after
            // another extends the same range.
            r.a.0 -= 1;
            r.b.0 -= 1;
            r.len += 1;
            if r.a.0 == 0 || r.b.0 == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if at(i - 1, j) > at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = range.is_some();
        }
        if emit {
            if let Some(r) = range.take() {
                if min_match_len == 0 || r.len >= min_match_len {
                    out.matches.push(r);
                }
            }
        }
    }
    out.text = text;
    Ok(out)
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
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"1e400"), None);
        assert_eq!(parse_f64(b"1e-400"), None);
        assert_eq!(parse_f64(b"1e-310"), Some(1e-310));
        assert_eq!(parse_f64(b""), None);
        assert_eq!(parse_f64(b"1 "), None);
        // The integral fast path and the general parser agree, sign of zero included.
        for text in ["0", "7", "007", "123456789012345", "1234567890123456", "99999999999999999999"] {
            assert_eq!(parse_f64(text.as_bytes()), text.parse::<f64>().ok(), "{text}");
        }
        assert!(parse_f64(b"-0").is_some_and(|z| z == 0.0 && z.is_sign_negative()));
        assert!(parse_f64(b"0").is_some_and(|z| z.is_sign_positive()));
        assert_eq!(format_f64(10.5 + 0.1), "10.6");
        assert_eq!(format_f64(5200.0), "5200");
        assert_eq!(format_f64(-0.0), "0");
    }

    #[test]
    fn incr_by_keeps_integers_and_detects_overflow() {
        let mut v = Value::Int(41);
        assert_eq!(v.incr_by(1), Ok(42));
        assert_eq!(v, Value::Int(42));
        let mut v = Value::Str(b"0010"[..].into());
        assert_eq!(v.incr_by(1), Err(StringError::NotInteger));
        assert_eq!(v, Value::Str(b"0010"[..].into()), "untouched on error");
        let mut v = Value::Int(i64::MAX);
        assert_eq!(v.incr_by(1), Err(StringError::Overflow));
        let mut v = Value::Int(i64::MIN);
        assert_eq!(v.incr_by(-1), Err(StringError::Overflow));
        assert_eq!(v.incr_by(i64::MAX), Ok(-1));
    }

    #[test]
    fn string_len_counts_integer_digits() {
        for n in [0, 7, -7, 10, 99, 100, -100, i64::MIN, i64::MAX] {
            assert_eq!(Value::Int(n).string_len(), Some(n.to_string().len()), "{n}");
        }
        assert_eq!(Value::from_bytes(b"hello").string_len(), Some(5));
    }

    #[test]
    fn append_converts_between_encodings_and_respects_the_limit() {
        let mut v = Value::Int(12);
        assert_eq!(v.append(b"3", 100), Ok(3));
        assert_eq!(v, Value::Str(b"123"[..].into()), "a raw string, as in Redis");
        assert_eq!(v.append(b"x", 100), Ok(4));
        assert_eq!(v, Value::Str(b"123x"[..].into()));
        assert_eq!(v.append(b"", 100), Ok(4));
        let mut n = Value::Int(7);
        assert_eq!(n.append(b"", 100), Ok(1));
        assert_eq!(n, Value::Str(b"7"[..].into()), "a raw string, as in Redis");
        assert_eq!(v.append(b"12345", 8), Err(StringError::TooLarge));
        assert_eq!(v, Value::Str(b"123x"[..].into()), "untouched on error");
        assert_eq!(v.append(b"1234", 8), Ok(8));
    }

    #[test]
    fn set_range_pads_with_zeros_and_checks_the_limit_first() {
        let mut v = Value::Str(b"Hello World"[..].into());
        assert_eq!(v.set_range(6, b"Redis", 100), Ok(11));
        assert_eq!(v, Value::Str(b"Hello Redis"[..].into()));
        let mut v = Value::Str(Vec::new());
        assert_eq!(v.set_range(3, b"ab", 100), Ok(5));
        assert_eq!(v, Value::Str(b"\0\0\0ab"[..].into()));
        let mut v = Value::Int(123);
        assert_eq!(v.set_range(0, b"9", 100), Ok(3));
        assert_eq!(v, Value::Str(b"923"[..].into()), "a raw string, as in Redis");
        assert_eq!(v.set_range(u64::MAX, b"", 100), Ok(3), "empty writes nothing");
        assert_eq!(v.set_range(100, b"x", 100), Err(StringError::TooLarge));
        assert_eq!(v.set_range(u64::MAX, b"x", u64::MAX), Err(StringError::TooLarge));
        assert_eq!(v.set_range(99, b"x", 100), Ok(100));
    }

    #[test]
    fn get_range_follows_redis_7_0() {
        let s = b"This is a string";
        assert_eq!(get_range(s, 0, 3), b"This");
        assert_eq!(get_range(s, -3, -1), b"ing");
        assert_eq!(get_range(s, 0, -1), s);
        assert_eq!(get_range(s, 10, 100), b"string");
        assert_eq!(get_range(s, -1, -5), b"");
        assert_eq!(get_range(s, 5, 3), b"");
        assert_eq!(get_range(s, -100, -50), b"T");
        assert_eq!(get_range(s, 0, -100), b"T");
        assert_eq!(get_range(s, 16, 20), b"");
        assert_eq!(get_range(s, i64::MIN, i64::MAX), s);
        assert_eq!(get_range(b"", 0, -1), b"");
        assert_eq!(get_range(b"", 0, 0), b"");
    }

    #[test]
    fn incr_by_float_matches_redis_text() {
        let cases: &[(&str, &str, &str)] = &[
            ("10.50", "0.1", "10.6"),
            ("10.6", "-5", "5.6"),
            ("5.0e3", "2.0e2", "5200"),
            ("0.1", "0.2", "0.3"),
            ("0", "1e-20", "0"),
            ("1", "-1.0000000000000000001", "0"),
            ("3", "-3.5", "-0.5"),
            ("0", "+.5", "0.5"),
            ("1", "1", "2"),
            ("12345678901234567890", "0.5", "12345678901234567890"),
            ("0", "1.5e10", "15000000000"),
            ("0", "0.00000000000000001", "0.00000000000000001"),
            ("0", "0.000000000000000015", "0.00000000000000002"),
            // Redis 7.0.15's replies: a long double's exact binary value, in full.
            ("0", "123456789012345678901234567890123456", "123456789012345678897784912655417344"),
            ("1", "1234567890123456789012345678901234567890", "1234567890123456788999898750329779388416"),
            ("0", "18446744073709551617", "18446744073709551616"),
            ("0", "4e-4951", "0"),
            ("0", "0x1.8p1", "3"),
            ("0", "0.024390243902439025", "0.02439024390243902"),
            ("0.02439024390243902", "-0.024390243902439025", "0"),
        ];
        for (a, b, want) in cases {
            assert_eq!(incr_by_float(a.as_bytes(), b.as_bytes()).as_deref(), Ok(*want), "{a} + {b}");
        }
        let big = incr_by_float(b"1e300", b"0").unwrap_or_default();
        assert!(big.starts_with("10000000000000000000089973240795591938705239442732907479382600823212656465961809"));
        assert!(big.ends_with("7386105690089424915104006144") && big.len() == 301, "{big}");
        assert_eq!(incr_by_float(b"abc", b"1"), Err(StringError::NotFloat));
        assert_eq!(incr_by_float(b"1", b"nan"), Err(StringError::NotFloat));
        assert_eq!(incr_by_float(b"1", b" 1"), Err(StringError::NotFloat));
        assert_eq!(incr_by_float(b"0", b"1e-4960"), Err(StringError::NotFloat), "underflows to zero");
        assert_eq!(incr_by_float(b"1", b"inf"), Err(StringError::NanOrInfinity));
        assert_eq!(incr_by_float(b"0", b"infinity"), Err(StringError::NanOrInfinity));
        assert_eq!(incr_by_float(b"1.1e4932", b"1e4932"), Err(StringError::NanOrInfinity));
        // Beyond an f64, still a long double.
        assert!(incr_by_float(b"1.7e308", b"1.7e308").is_ok_and(|t| t.len() == 309));
    }

    #[test]
    fn lcs_matches_the_redis_docs() {
        let r = lcs(b"ohmytext", b"mynewtext", u64::MAX, true, 0).unwrap();
        assert_eq!(r.len, 6);
        assert_eq!(r.text, b"mytext");
        assert_eq!(
            r.matches,
            vec![LcsMatch { a: (4, 7), b: (5, 8), len: 4 }, LcsMatch { a: (2, 3), b: (0, 1), len: 2 }]
        );
        let r = lcs(b"ohmytext", b"mynewtext", u64::MAX, true, 4).unwrap();
        assert_eq!(r.matches, vec![LcsMatch { a: (4, 7), b: (5, 8), len: 4 }]);
        let r = lcs(b"ohmytext", b"mynewtext", u64::MAX, false, 0).unwrap();
        assert_eq!((r.len, r.text.len(), r.matches.len()), (6, 0, 0));
        let r = lcs(b"", b"abc", u64::MAX, true, 0).unwrap();
        assert_eq!((r.len, r.text.len(), r.matches.len()), (0, 0, 0));
        let r = lcs(b"abc", b"abc", u64::MAX, true, 0).unwrap();
        assert_eq!(r.matches, vec![LcsMatch { a: (0, 2), b: (0, 2), len: 3 }]);
    }

    #[test]
    fn lcs_refuses_tables_over_the_limit() {
        // (3+1) * (3+1) cells of 4 bytes.
        assert!(lcs(b"abc", b"abd", 64, true, 0).is_ok());
        assert_eq!(lcs(b"abc", b"abd", 63, true, 0), Err(LcsError::TableTooLarge));
        assert_eq!(lcs(b"abc", b"abd", 63, false, 0), Err(LcsError::TableTooLarge));
    }
}
