//! Glob-style pattern matching with Redis's rules (`*`, `?`, `[abc]`, `[^a-z]`, `\x`), used
//! by KEYS, SCAN MATCH, CONFIG GET and pub/sub patterns.

/// Whether `text` matches `pattern` as KEYS, SCAN MATCH and friends see it: a pattern of
/// `*` alone matches every name, the empty one included (those commands do not match at
/// all then); anything else is [`string_match`]. `nocase` folds ASCII case.
pub fn glob_match(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    pattern == b"*" || string_match(pattern, text, nocase)
}

/// Redis's `stringmatchlen` exactly, quirks included (pub/sub patterns use it as is): an
/// empty `text` matches only an empty pattern (so `*` does not match it), and in a class a
/// `-` after a character always makes a range with the next one, even `]` (`[a-]` is the
/// range `]`..`a`, and the class then runs to the pattern's end).
pub fn string_match(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    if text.is_empty() {
        return pattern.is_empty();
    }
    // Iterative matcher with single-star backtracking: linear in practice and free of the
    // exponential blow-up a recursive matcher has on patterns like `a*a*a*a*b`.
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    let eq = |a: u8, b: u8| if nocase { a.eq_ignore_ascii_case(&b) } else { a == b };
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    star = Some((p, t));
                    continue;
                }
                b'?' => {
                    p += 1;
                    t += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = match_class(pattern, p, text[t], nocase) {
                        if matched {
                            p = next;
                            t += 1;
                            continue;
                        }
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if eq(pattern[p + 1], text[t]) {
                        p += 2;
                        t += 1;
                        continue;
                    }
                }
                c => {
                    if eq(c, text[t]) {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, st)) => {
                p = sp;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Matches `c` against the class starting at `pattern[open] == b'['`. Returns whether it
/// matched and the index after the class. An unterminated class runs to the pattern's end,
/// as in Redis.
fn match_class(pattern: &[u8], open: usize, c: u8, nocase: bool) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negate = pattern.get(i) == Some(&b'^');
    if negate {
        i += 1;
    }
    let fold = |x: u8| if nocase { x.to_ascii_lowercase() } else { x };
    let c = fold(c);
    let mut matched = false;
    while i < pattern.len() && pattern[i] != b']' {
        if pattern[i] == b'\\' && i + 1 < pattern.len() {
            matched |= fold(pattern[i + 1]) == c;
            i += 2;
        } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' {
            let (mut lo, mut hi) = (fold(pattern[i]), fold(pattern[i + 2]));
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            matched |= (lo..=hi).contains(&c);
            i += 3;
        } else {
            matched |= fold(pattern[i]) == c;
            i += 1;
        }
    }
    let next = if i < pattern.len() { i + 1 } else { i };
    Some((matched != negate, next))
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, t: &str) -> bool {
        glob_match(p.as_bytes(), t.as_bytes(), false)
    }

    #[test]
    fn redis_documented_examples() {
        assert!(m("h?llo", "hello") && m("h?llo", "hallo") && !m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo") && m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hello") && m("h[ae]llo", "hallo") && !m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo") && !m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hallo") && m("h[a-b]llo", "hbllo") && !m("h[a-b]llo", "hcllo"));
        assert!(m("*", "") && m("*", "anything") && m("", "") && !m("", "x"));
        assert!(m("h\\*llo", "h*llo") && !m("h\\*llo", "hello"));
        assert!(m("user:*:name", "user:42:name") && !m("user:*:name", "user:42:age"));
    }

    #[test]
    fn redis_quirks() {
        use super::string_match;
        let exact = |p: &str, t: &str| string_match(p.as_bytes(), t.as_bytes(), false);
        // Only an empty pattern matches an empty text; `*` alone does for KEYS and SCAN.
        assert!(!exact("*", "") && !exact("**", "") && exact("", ""));
        assert!(m("*", "") && !m("**", ""));
        // `-` then `]` is a range (`]`..`a`), and the class swallows the rest of the pattern.
        assert!(!m("h[a-]llo", "hallo") && !m("h[a-]llo", "h-llo") && m("h[a-]llo", "ha") && m("h[a-]", "h_"));
        assert!(m("h[-a]llo", "h-llo") && m("h[\\-]llo", "h-llo") && m("h[a\\-c]llo", "h-llo"));
        assert!(!m("h[a\\-c]llo", "hbllo"));
        // Reversed ranges are swapped; an unterminated class matches nothing after it.
        assert!(m("[z-a]x", "bx") && !m("h[abc", "h[abc") && m("h[abc", "ha"));
        // A trailing backslash is a literal one; `[^]llo` is a negated empty class: any one character.
        assert!(m("a\\", "a\\") && m("h[^]llo", "hello") && m("h[^]llo", "h]llo") && m("h**o", "hoo"));
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        let text = "a".repeat(10_000);
        assert!(!m("a*a*a*a*a*a*a*a*a*a*b", &text));
    }

    #[test]
    fn case_folding() {
        assert!(glob_match(b"MAX*", b"maxmemory", true));
        assert!(glob_match(b"[A-Z]x", b"qx", true));
    }
}
