//! Parsing of command arguments: numbers, options, and keyword matching, with Redis's
//! errors for each.

use super::errors::CommandError;
use crate::types::string::{parse_f64, parse_i64};

/// Whether an argument is the keyword `word` (ASCII case-insensitive).
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// An integer argument (Redis: "value is not an integer or out of range").
pub fn int(arg: &[u8]) -> Result<i64, CommandError> {
    parse_i64(arg).ok_or(CommandError::NotInteger)
}

/// A non-negative integer argument that fits `usize`.
pub fn uint(arg: &[u8]) -> Result<usize, CommandError> {
    usize::try_from(int(arg)?).map_err(|_| CommandError::NotInteger)
}

/// A float argument (Redis: "value is not a valid float").
pub fn float(arg: &[u8]) -> Result<f64, CommandError> {
    parse_f64(arg).ok_or(CommandError::NotFloat)
}

/// The lower-cased text of an argument, for messages and keyword dispatch.
pub fn lower(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).to_ascii_lowercase()
}

/// The argument list without the command name.
pub fn rest<'a>(args: &'a [&'a [u8]]) -> &'a [&'a [u8]] {
    args.get(1..).unwrap_or(&[])
}

/// A SCAN-family cursor as Redis's `parseScanCursorOrReply` reads it (`strtoul`: an optional
/// sign and decimal digits, a negative value wrapping around; spaces and trailing garbage
/// are refused).
pub fn cursor(arg: &[u8]) -> Result<u64, CommandError> {
    let (negative, digits) = match arg.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(CommandError::InvalidCursor);
    }
    let value: u64 =
        std::str::from_utf8(digits).ok().and_then(|s| s.parse().ok()).ok_or(CommandError::InvalidCursor)?;
    Ok(if negative { value.wrapping_neg() } else { value })
}

/// The options of SCAN, HSCAN, SSCAN and ZSCAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOptions<'a> {
    /// `None` for no MATCH, or for `MATCH *` (matching is skipped, as Redis does).
    pub pattern: Option<&'a [u8]>,
    pub count: usize,
    /// SCAN's TYPE (only accepted when asked for).
    pub type_name: Option<&'a [u8]>,
}

/// Parses `[MATCH pattern] [COUNT count]` (and `[TYPE type]` when `with_type`).
pub fn scan_options<'a>(opts: &[&'a [u8]], with_type: bool) -> Result<ScanOptions<'a>, CommandError> {
    let mut options = ScanOptions { pattern: None, count: 10, type_name: None };
    for pair in opts.chunks(2) {
        let &[name, value] = pair else {
            return Err(CommandError::Syntax);
        };
        if is(name, "count") {
            let n = int(value)?;
            if n < 1 {
                return Err(CommandError::Syntax);
            }
            options.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if is(name, "match") {
            options.pattern = (value != b"*").then_some(value);
        } else if with_type && is(name, "type") {
            options.type_name = Some(value);
        } else {
            return Err(CommandError::Syntax);
        }
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_like_strtoul() {
        assert_eq!(cursor(b"0"), Ok(0));
        assert_eq!(cursor(b"+12"), Ok(12));
        assert_eq!(cursor(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(cursor(b"-1"), Ok(u64::MAX));
        for bad in [&b""[..], b"abc", b" 1", b"1 ", b"18446744073709551616", b"-"] {
            assert_eq!(cursor(bad), Err(CommandError::InvalidCursor), "{bad:?}");
        }
    }

    #[test]
    fn scan_options_parse_and_refuse() {
        let opts: Vec<&[u8]> = vec![b"MATCH", b"a*", b"count", b"5"];
        assert_eq!(
            scan_options(&opts, false),
            Ok(ScanOptions { pattern: Some(&b"a*"[..]), count: 5, type_name: None })
        );
        let typed: Vec<&[u8]> = vec![b"TYPE", b"hash"];
        assert_eq!(scan_options(&typed, true).map(|o| o.type_name), Ok(Some(&b"hash"[..])));
        assert_eq!(scan_options(&typed, false), Err(CommandError::Syntax));
        for bad in [&["COUNT", "0"][..], &["COUNT"], &["MATCH", "*", "NOPE", "1"]] {
            let bad: Vec<&[u8]> = bad.iter().map(|s| s.as_bytes()).collect();
            assert_eq!(scan_options(&bad, true), Err(CommandError::Syntax), "{bad:?}");
        }
    }
}
