//! The text of a MONITOR line, byte for byte as Redis 7 writes it:
//! `1700000000.123456 [0 127.0.0.1:53412] "set" "k" "v"` — the time, the database, the
//! client, then each argument quoted as `sdscatrepr` does. Secrets (AUTH's, HELLO ...
//! AUTH's, MIGRATE ... AUTH's, ACL SETUSER's) are shown as `(redacted)`, as Redis redacts them.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

const REDACTED: &[u8] = b"(redacted)";

/// The line (without RESP framing) for `args` run by the client at `addr`, in `db`.
pub fn format_line(now: SystemTime, db: usize, addr: &str, args: &[&[u8]]) -> Bytes {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut out = Vec::with_capacity(48 + addr.len() + args.iter().map(|a| a.len() + 3).sum::<usize>());
    out.extend_from_slice(format!("{}.{:06} [{db} {addr}] ", since.as_secs(), since.subsec_micros()).as_bytes());
    for (i, arg) in redacted_args(args).iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        quote_into(&mut out, arg);
    }
    Bytes::from(out)
}

/// `args` with the secrets replaced by `(redacted)`.
pub fn redacted_args<'a>(args: &[&'a [u8]]) -> Vec<Cow<'a, [u8]>> {
    let mut shown: Vec<Cow<'_, [u8]>> = args.iter().map(|a| Cow::Borrowed(&a[..])).collect();
    let Some(name) = args.first() else { return shown };
    let mut redact = |i: usize| {
        if let Some(arg) = shown.get_mut(i) {
            *arg = Cow::Borrowed(REDACTED);
        }
    };
    if name.eq_ignore_ascii_case(b"auth") {
        (1..args.len()).for_each(redact);
    } else if name.eq_ignore_ascii_case(b"hello") {
        // HELLO protover [AUTH username password] [SETNAME clientname]
        let mut j = 2;
        while j < args.len() {
            let more = args.len() - j - 1;
            if args[j].eq_ignore_ascii_case(b"auth") && more >= 2 {
                redact(j + 1);
                redact(j + 2);
                j += 3;
            } else if args[j].eq_ignore_ascii_case(b"setname") && more >= 1 {
                j += 2;
            } else {
                break;
            }
        }
    } else if name.eq_ignore_ascii_case(b"migrate") {
        let mut j = 6;
        while j < args.len() {
            if args[j].eq_ignore_ascii_case(b"auth") {
                redact(j + 1);
                j += 2;
            } else if args[j].eq_ignore_ascii_case(b"auth2") {
                redact(j + 1);
                redact(j + 2);
                j += 3;
            } else if args[j].eq_ignore_ascii_case(b"keys") {
                break;
            } else {
                j += 1;
            }
        }
    } else if name.eq_ignore_ascii_case(b"acl") && args.get(1).is_some_and(|sub| sub.eq_ignore_ascii_case(b"setuser")) {
        // The user's name and every rule (passwords among them), refused or not.
        (2..args.len()).for_each(redact);
    } else if name.eq_ignore_ascii_case(b"config") && args.get(1).is_some_and(|sub| sub.eq_ignore_ascii_case(b"set")) {
        // Redis's sensitive options: their values never show.
        for j in (2..args.len()).step_by(2) {
            if args[j].eq_ignore_ascii_case(b"requirepass") || args[j].eq_ignore_ascii_case(b"masterauth") {
                redact(j + 1);
            }
        }
    }
    shown
}

/// Appends `bytes` quoted and escaped as Redis's `sdscatrepr`.
pub fn quote_into(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for &b in bytes {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            // C's isprint: space to tilde.
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn line(items: &[&[u8]]) -> String {
        let at = UNIX_EPOCH + Duration::from_micros(1_700_000_000_012_345);
        String::from_utf8(format_line(at, 3, "127.0.0.1:53412", items).to_vec()).unwrap()
    }

    #[test]
    fn lines_look_like_redis() {
        assert_eq!(line(&[b"SET", b"k", b"v"]), r#"1700000000.012345 [3 127.0.0.1:53412] "SET" "k" "v""#);
        assert_eq!(
            line(&[b"set", b"a b\x01\"", b"\xff\n\t\\\r\x07\x08~"]),
            r#"1700000000.012345 [3 127.0.0.1:53412] "set" "a b\x01\"" "\xff\n\t\\\r\a\b~""#
        );
    }

    #[test]
    fn secrets_are_redacted() {
        assert!(
            line(&[b"CONFIG", b"SET", b"hz", b"10", b"requirepass", b"pw"])
                .ends_with(r#""CONFIG" "SET" "hz" "10" "requirepass" "(redacted)""#)
        );
        assert!(line(&[b"AUTH", b"user", b"pw"]).ends_with(r#""AUTH" "(redacted)" "(redacted)""#));
        assert!(line(&[b"auth", b"pw"]).ends_with(r#""auth" "(redacted)""#));
        assert!(
            line(&[b"acl", b"SETUSER", b"u", b">secret", b"on"])
                .ends_with(r#""acl" "SETUSER" "(redacted)" "(redacted)" "(redacted)""#)
        );
        assert!(
            line(&[b"HELLO", b"3", b"SETNAME", b"n", b"AUTH", b"u", b"p"])
                .ends_with(r#""HELLO" "3" "SETNAME" "n" "AUTH" "(redacted)" "(redacted)""#)
        );
        assert!(line(&[b"HELLO", b"2"]).ends_with(r#""HELLO" "2""#));
        assert!(
            line(&[b"MIGRATE", b"h", b"1", b"", b"0", b"5", b"AUTH2", b"u", b"p", b"KEYS", b"a"])
                .ends_with(r#""AUTH2" "(redacted)" "(redacted)" "KEYS" "a""#)
        );
    }
}
