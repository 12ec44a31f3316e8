//! Inline commands (`SET k "a b"` typed into telnet), split the way Redis's `sdssplitargs`
//! splits them: spaces separate, double quotes take `\n \r \t \b \a \\ \" \xHH` escapes,
//! single quotes take `\'`, and a closing quote must be followed by a space or the end.

use bytes::Bytes;

/// The arguments of one inline line, or `None` if its quotes are unbalanced.
pub fn split_inline(line: &[u8]) -> Option<Vec<Bytes>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= line.len() {
            return Some(args);
        }
        let mut current = Vec::new();
        let mut in_double = false;
        let mut in_single = false;
        loop {
            if in_double {
                let c = *line.get(i)?;
                if c == b'\\'
                    && i + 3 < line.len()
                    && line[i + 1] == b'x'
                    && line[i + 2].is_ascii_hexdigit()
                    && line[i + 3].is_ascii_hexdigit()
                {
                    let hex = std::str::from_utf8(&line[i + 2..i + 4]).ok()?;
                    current.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 4;
                    continue;
                } else if c == b'\\' && i + 1 < line.len() {
                    current.push(match line[i + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                    i += 2;
                    continue;
                } else if c == b'"' {
                    if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                        return None;
                    }
                    i += 1;
                    break;
                }
                current.push(c);
                i += 1;
            } else if in_single {
                let c = *line.get(i)?;
                if c == b'\\' && line.get(i + 1) == Some(&b'\'') {
                    current.push(b'\'');
                    i += 2;
                    continue;
                } else if c == b'\'' {
                    if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                        return None;
                    }
                    i += 1;
                    break;
                }
                current.push(c);
                i += 1;
            } else {
                match line.get(i) {
                    None => break,
                    Some(c) if c.is_ascii_whitespace() => break,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(&c) => current.push(c),
                }
                i += 1;
            }
        }
        args.push(Bytes::from(current));
    }
}

#[cfg(test)]
mod tests {
    use super::split_inline;

    fn split(s: &str) -> Option<Vec<String>> {
        split_inline(s.as_bytes()).map(|v| v.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect())
    }

    #[test]
    fn quoting_rules() {
        assert_eq!(split("set k v\r").unwrap(), ["set", "k", "v"]);
        assert_eq!(split("set k \"a b\\n\\x41\"").unwrap(), ["set", "k", "a b\nA"]);
        assert_eq!(split("set k 'it\\'s'").unwrap(), ["set", "k", "it's"]);
        assert_eq!(split("set k \"\"").unwrap(), ["set", "k", ""]);
        assert_eq!(split("   ").unwrap(), Vec::<String>::new());
        assert!(split("set k \"open").is_none());
        assert!(split("set k \"a\"b").is_none());
        assert!(split("set k 'a'b").is_none());
    }
}
