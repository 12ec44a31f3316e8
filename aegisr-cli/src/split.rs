//! Splits a command line into arguments with redis-cli's quoting rules
//! (`sdssplitargs`): words separated by whitespace; `"..."` with `\n \r \t \b
//! \a \xHH` and `\<any>` escapes; `'...'` where only `\'` is an escape. A
//! closing quote must be followed by whitespace or the end of the line.

/// Why a line could not be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SplitError {
    /// A quote was opened and not closed: the line may continue on the next.
    #[error("Invalid argument(s): unterminated quote")]
    Unterminated,
    /// A closing quote was followed by something other than whitespace.
    #[error("Invalid argument(s): closing quote must be followed by a space or nothing")]
    TextAfterQuote,
}

/// Splits `line` into arguments. An empty or blank line gives no arguments.
pub(crate) fn split(line: &[u8]) -> Result<Vec<Vec<u8>>, SplitError> {
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= line.len() {
            return Ok(args);
        }
        let mut current = Vec::new();
        while let Some(&c) = line.get(i) {
            match c {
                b'"' => i = double_quoted(line, i + 1, &mut current)?,
                b'\'' => i = single_quoted(line, i + 1, &mut current)?,
                c if c.is_ascii_whitespace() => break,
                c => {
                    current.push(c);
                    i += 1;
                }
            }
        }
        args.push(current);
    }
}

/// Reads a double-quoted run starting after the opening quote; returns the
/// index after the closing quote.
fn double_quoted(line: &[u8], mut i: usize, out: &mut Vec<u8>) -> Result<usize, SplitError> {
    loop {
        let Some(&c) = line.get(i) else { return Err(SplitError::Unterminated) };
        match c {
            b'\\' if line.get(i + 1) == Some(&b'x') && hex_pair(line, i + 2).is_some() => {
                out.extend(hex_pair(line, i + 2));
                i += 4;
            }
            b'\\' if i + 1 < line.len() => {
                out.push(match line[i + 1] {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 0x08,
                    b'a' => 0x07,
                    other => other,
                });
                i += 2;
            }
            b'"' => return after_closing_quote(line, i + 1),
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// Reads a single-quoted run starting after the opening quote.
fn single_quoted(line: &[u8], mut i: usize, out: &mut Vec<u8>) -> Result<usize, SplitError> {
    loop {
        let Some(&c) = line.get(i) else { return Err(SplitError::Unterminated) };
        match c {
            b'\\' if line.get(i + 1) == Some(&b'\'') => {
                out.push(b'\'');
                i += 2;
            }
            b'\'' => return after_closing_quote(line, i + 1),
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}

fn after_closing_quote(line: &[u8], i: usize) -> Result<usize, SplitError> {
    match line.get(i) {
        None => Ok(i),
        Some(c) if c.is_ascii_whitespace() => Ok(i),
        Some(_) => Err(SplitError::TextAfterQuote),
    }
}

fn hex_pair(line: &[u8], i: usize) -> Option<u8> {
    let hi = char::from(*line.get(i)?).to_digit(16)?;
    let lo = char::from(*line.get(i + 1)?).to_digit(16)?;
    u8::try_from(hi * 16 + lo).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split(line.as_bytes()).unwrap().into_iter().map(|w| String::from_utf8(w).unwrap()).collect()
    }

    #[test]
    fn splits_on_whitespace() {
        assert_eq!(words("set  k\tv "), ["set", "k", "v"]);
        assert!(words("").is_empty());
        assert!(words("   \t ").is_empty());
    }

    #[test]
    fn double_quotes_and_escapes() {
        assert_eq!(words(r#"set k "hello world""#), ["set", "k", "hello world"]);
        assert_eq!(words(r#""a\nb\tc\rd""#), ["a\nb\tc\rd"]);
        assert_eq!(words(r#""\x41\x7a" "\a\b""#), ["Az", "\x07\x08"]);
        assert_eq!(words(r#""q\"uote\\" "\z""#), ["q\"uote\\", "z"]);
        assert_eq!(words(r#""""#), [""]);
        // \x without two hex digits is a plain escape of 'x'.
        assert_eq!(words(r#""\xZZ""#), ["xZZ"]);
        assert_eq!(split(br#""\xff\x00""#).unwrap(), vec![vec![0xff, 0x00]]);
    }

    #[test]
    fn single_quotes_keep_backslashes() {
        assert_eq!(words(r"'a\nb'"), [r"a\nb"]);
        assert_eq!(words(r"'it\'s'"), ["it's"]);
        assert_eq!(words(r#"'say "hi"'"#), [r#"say "hi""#]);
    }

    #[test]
    fn quotes_may_start_inside_a_word() {
        assert_eq!(words(r#"foo"bar baz""#), ["foobar baz"]);
        assert_eq!(words("a'b c'"), ["ab c"]);
    }

    #[test]
    fn unbalanced_quotes_are_errors() {
        assert_eq!(split(br#"set k "open"#), Err(SplitError::Unterminated));
        assert_eq!(split(b"set k 'open"), Err(SplitError::Unterminated));
        assert_eq!(split(br#"set k "ends with backslash\"#), Err(SplitError::Unterminated));
        assert_eq!(split(br#""closed"x"#), Err(SplitError::TextAfterQuote));
        assert_eq!(split(b"'closed'x"), Err(SplitError::TextAfterQuote));
    }

    #[test]
    fn multi_line_quoted_string() {
        assert_eq!(words("set k \"line1\nline2\""), ["set", "k", "line1\nline2"]);
    }

    #[test]
    fn non_utf8_bytes_pass_through() {
        assert_eq!(split(b"set \xff\xfe").unwrap(), vec![b"set".to_vec(), vec![0xff, 0xfe]]);
    }
}
