//! Parsing of command arguments: numbers, options, and keyword matching, with Redis's
//! errors for each.

use bytes::Bytes;

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
pub fn rest(args: &[Bytes]) -> &[Bytes] {
    args.get(1..).unwrap_or(&[])
}
