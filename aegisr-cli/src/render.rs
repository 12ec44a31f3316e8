//! Turns a reply into the bytes printed for it, in one of four modes:
//! redis-cli's terminal layout (`"quoted"`, `(integer) 5`, numbered
//! aggregates), `--raw`, `--csv` and `--json`.

use std::fmt::Write as _;

use aegisr_proto::Reply;
use aegisr_proto::v1::reply::Kind;
use nu_ansi_term::Color;

use crate::table;

/// How replies are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Mode {
    /// redis-cli's terminal layout.
    #[default]
    Human,
    /// Bare values, one per line; nothing for nil (`--raw`).
    Raw,
    /// Comma-separated, strings quoted (`--csv`).
    Csv,
    /// One JSON document per reply (`--json`).
    Json,
}

/// Terminal features the human layout may use.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Style {
    /// ANSI colours (errors in red).
    pub color: bool,
    /// Width of the terminal, when tables are wanted and stdout is one.
    pub table_width: Option<u16>,
}

/// The full output for `reply`, newline included.
pub(crate) fn render(reply: &Reply, mode: Mode, style: Style) -> Vec<u8> {
    match mode {
        Mode::Human => {
            if let Some(width) = style.table_width
                && let Some(text) = table::render(reply, width)
            {
                return text.into_bytes();
            }
            let mut out = String::new();
            human(reply, "", &mut out);
            if style.color && reply.as_error().is_some() {
                out = format!("{}\n", Color::Red.paint(out.trim_end_matches('\n')));
            }
            out.into_bytes()
        }
        Mode::Raw => {
            let mut out = Vec::new();
            raw(reply, &mut out);
            out.push(b'\n');
            out
        }
        Mode::Csv => {
            let mut out = String::new();
            csv(reply, &mut out);
            out.push('\n');
            out.into_bytes()
        }
        Mode::Json => {
            let mut out = String::new();
            json(reply, &mut out);
            out.push('\n');
            out.into_bytes()
        }
    }
}

fn kind(reply: &Reply) -> Option<&Kind> {
    reply.kind.as_ref()
}

/// redis-cli's `cliFormatReplyTTY`: every value ends with a newline; nested
/// aggregates are indented by `prefix`, which grows by the index width + 2.
fn human(reply: &Reply, prefix: &str, out: &mut String) {
    match kind(reply) {
        None | Some(Kind::Null(_)) => out.push_str("(nil)\n"),
        Some(Kind::Simple(s)) => {
            out.push_str(s);
            out.push('\n');
        }
        Some(Kind::Error(e)) => {
            let _ = writeln!(out, "(error) {}", e.message);
        }
        Some(Kind::Integer(i)) => {
            let _ = writeln!(out, "(integer) {i}");
        }
        Some(Kind::Double(d)) => {
            let _ = writeln!(out, "(double) {}", double(*d));
        }
        Some(Kind::Boolean(b)) => out.push_str(if *b { "(true)\n" } else { "(false)\n" }),
        Some(Kind::BigNumber(n)) => {
            let _ = writeln!(out, "(big number) {n}");
        }
        Some(Kind::Bulk(b)) => {
            quote(b, out);
            out.push('\n');
        }
        Some(Kind::Verbatim(v)) => {
            out.push_str(&String::from_utf8_lossy(&v.text));
            out.push('\n');
        }
        Some(Kind::Array(a)) => aggregate(&a.items, ')', "(empty array)", prefix, out),
        Some(Kind::Push(a)) => aggregate(&a.items, ')', "(empty push)", prefix, out),
        Some(Kind::Set(a)) => aggregate(&a.items, '~', "(empty set)", prefix, out),
        Some(Kind::Map(m)) => {
            if m.entries.is_empty() {
                out.push_str("(empty hash)\n");
                return;
            }
            let width = digits(m.entries.len());
            let inner = format!("{prefix}{}", " ".repeat(width + 2));
            let missing = Reply::default();
            for (i, entry) in m.entries.iter().enumerate() {
                let _ = write!(out, "{}{:>width$}# ", if i == 0 { "" } else { prefix }, i + 1);
                human(entry.key.as_ref().unwrap_or(&missing), &inner, out);
                if out.ends_with('\n') {
                    out.pop();
                }
                out.push_str(" => ");
                let value = entry.value.as_ref().unwrap_or(&missing);
                // An aggregate value starts on its own line, as redis-cli 7 prints it.
                if is_nonempty_aggregate(value) {
                    out.push('\n');
                    out.push_str(&inner);
                }
                human(value, &inner, out);
            }
        }
    }
}

fn aggregate(items: &[Reply], separator: char, empty: &str, prefix: &str, out: &mut String) {
    if items.is_empty() {
        out.push_str(empty);
        out.push('\n');
        return;
    }
    let width = digits(items.len());
    let inner = format!("{prefix}{}", " ".repeat(width + 2));
    for (i, item) in items.iter().enumerate() {
        // The first index follows whatever the caller already wrote on this line.
        let _ = write!(out, "{}{:>width$}{separator} ", if i == 0 { "" } else { prefix }, i + 1);
        human(item, &inner, out);
    }
}

fn is_nonempty_aggregate(reply: &Reply) -> bool {
    match kind(reply) {
        Some(Kind::Array(a) | Kind::Set(a) | Kind::Push(a)) => !a.items.is_empty(),
        Some(Kind::Map(m)) => !m.entries.is_empty(),
        _ => false,
    }
}

fn digits(n: usize) -> usize {
    n.to_string().len()
}

/// A double as Redis 7.2 prints it: shortest round-trip digits, `inf`,
/// `-inf`, `nan`, exponent form for very large or small magnitudes.
pub(crate) fn double(d: f64) -> String {
    if d.is_nan() {
        return "nan".to_owned();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let magnitude = d.abs();
    if magnitude != 0.0 && !(1e-5..1e17).contains(&magnitude) {
        // Rust writes `1e300`; Redis (printf %g style) writes `1e+300`.
        let text = format!("{d:e}");
        return match text.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
            _ => text,
        };
    }
    format!("{d}")
}

/// Quotes bytes as redis-cli's `sdscatrepr` does.
pub(crate) fn quote(bytes: &[u8], out: &mut String) {
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
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
}

/// `--raw`: values as they are, aggregates one item per line, a map entry as
/// `key value`, nothing for nil.
fn raw(reply: &Reply, out: &mut Vec<u8>) {
    match kind(reply) {
        None | Some(Kind::Null(_)) => {}
        Some(Kind::Simple(s)) => out.extend_from_slice(s.as_bytes()),
        Some(Kind::Error(e)) => out.extend_from_slice(e.message.as_bytes()),
        Some(Kind::Integer(i)) => out.extend_from_slice(i.to_string().as_bytes()),
        Some(Kind::Double(d)) => out.extend_from_slice(double(*d).as_bytes()),
        Some(Kind::Boolean(b)) => out.extend_from_slice(if *b { b"(true)" } else { b"(false)" }),
        Some(Kind::BigNumber(n)) => out.extend_from_slice(n.as_bytes()),
        Some(Kind::Bulk(b)) => out.extend_from_slice(b),
        Some(Kind::Verbatim(v)) => out.extend_from_slice(&v.text),
        Some(Kind::Array(a) | Kind::Set(a) | Kind::Push(a)) => {
            for (i, item) in a.items.iter().enumerate() {
                if i > 0 {
                    out.push(b'\n');
                }
                raw(item, out);
            }
        }
        Some(Kind::Map(m)) => {
            let missing = Reply::default();
            for (i, entry) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push(b'\n');
                }
                raw(entry.key.as_ref().unwrap_or(&missing), out);
                out.push(b' ');
                raw(entry.value.as_ref().unwrap_or(&missing), out);
            }
        }
    }
}

/// `--csv`: strings quoted and escaped, aggregates flattened with commas.
fn csv(reply: &Reply, out: &mut String) {
    match kind(reply) {
        None | Some(Kind::Null(_)) => out.push_str("NULL"),
        Some(Kind::Simple(s)) => quote(s.as_bytes(), out),
        Some(Kind::Error(e)) => {
            out.push_str("ERROR,");
            quote(e.message.as_bytes(), out);
        }
        Some(Kind::Integer(i)) => {
            let _ = write!(out, "{i}");
        }
        Some(Kind::Double(d)) => out.push_str(&double(*d)),
        Some(Kind::Boolean(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Kind::BigNumber(n)) => out.push_str(n),
        Some(Kind::Bulk(b)) => quote(b, out),
        Some(Kind::Verbatim(v)) => quote(&v.text, out),
        Some(Kind::Array(a) | Kind::Set(a) | Kind::Push(a)) => {
            for (i, item) in a.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                csv(item, out);
            }
        }
        Some(Kind::Map(m)) => {
            let missing = Reply::default();
            for (i, entry) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                csv(entry.key.as_ref().unwrap_or(&missing), out);
                out.push(',');
                csv(entry.value.as_ref().unwrap_or(&missing), out);
            }
        }
    }
}

/// `--json`: one document per reply. Errors become `{"error": "..."}`;
/// strings that are not UTF-8 are decoded lossily (U+FFFD); infinite and NaN
/// doubles become the strings `"inf"`, `"-inf"`, `"nan"`; big numbers are
/// JSON numbers with all their digits.
fn json(reply: &Reply, out: &mut String) {
    match kind(reply) {
        None | Some(Kind::Null(_)) => out.push_str("null"),
        Some(Kind::Simple(s)) => json_string(s, out),
        Some(Kind::Error(e)) => {
            out.push_str("{\"error\":");
            json_string(&e.message, out);
            out.push('}');
        }
        Some(Kind::Integer(i)) => {
            let _ = write!(out, "{i}");
        }
        Some(Kind::Double(d)) if d.is_finite() => out.push_str(&double(*d)),
        Some(Kind::Double(d)) => json_string(&double(*d), out),
        Some(Kind::Boolean(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Kind::BigNumber(n)) if is_json_integer(n) => out.push_str(n),
        Some(Kind::BigNumber(n)) => json_string(n, out),
        Some(Kind::Bulk(b)) => json_string(&String::from_utf8_lossy(b), out),
        Some(Kind::Verbatim(v)) => json_string(&String::from_utf8_lossy(&v.text), out),
        Some(Kind::Array(a) | Kind::Set(a) | Kind::Push(a)) => {
            out.push('[');
            for (i, item) in a.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json(item, out);
            }
            out.push(']');
        }
        Some(Kind::Map(m)) => {
            let missing = Reply::default();
            out.push('{');
            for (i, entry) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(&key_text(entry.key.as_ref().unwrap_or(&missing)), out);
                out.push(':');
                json(entry.value.as_ref().unwrap_or(&missing), out);
            }
            out.push('}');
        }
    }
}

/// A JSON object key for a map key of any type.
fn key_text(key: &Reply) -> String {
    match kind(key) {
        Some(Kind::Simple(s)) => s.clone(),
        Some(Kind::Bulk(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(Kind::Verbatim(v)) => String::from_utf8_lossy(&v.text).into_owned(),
        _ => {
            let mut text = String::new();
            json(key, &mut text);
            text
        }
    }
}

fn is_json_integer(n: &str) -> bool {
    let digits = n.strip_prefix('-').unwrap_or(n);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn json_string(s: &str, out: &mut String) {
    // serde_json's escaping cannot fail for a &str.
    out.push_str(&serde_json::Value::from(s).to_string());
}

#[cfg(test)]
mod tests {
    use aegisr_proto::v1::Verbatim;

    use super::*;

    fn text(reply: &Reply, mode: Mode) -> String {
        String::from_utf8(render(reply, mode, Style::default())).unwrap()
    }

    fn verbatim(s: &str) -> Reply {
        Reply { kind: Some(Kind::Verbatim(Verbatim { format: "txt".into(), text: s.as_bytes().to_vec().into() })) }
    }

    fn big(n: &str) -> Reply {
        Reply { kind: Some(Kind::BigNumber(n.into())) }
    }

    /// One reply of every RESP3 type, with its rendering in each mode.
    fn every_type() -> Vec<(Reply, &'static str, &'static str, &'static str, &'static str)> {
        vec![
            (Reply::null(), "(nil)\n", "\n", "NULL\n", "null\n"),
            (Reply::null_array(), "(nil)\n", "\n", "NULL\n", "null\n"),
            (Reply::simple("OK"), "OK\n", "OK\n", "\"OK\"\n", "\"OK\"\n"),
            (
                Reply::error("ERR bad \"x\""),
                "(error) ERR bad \"x\"\n",
                "ERR bad \"x\"\n",
                "ERROR,\"ERR bad \\\"x\\\"\"\n",
                "{\"error\":\"ERR bad \\\"x\\\"\"}\n",
            ),
            (Reply::integer(-5), "(integer) -5\n", "-5\n", "-5\n", "-5\n"),
            (Reply::double(1.5), "(double) 1.5\n", "1.5\n", "1.5\n", "1.5\n"),
            (Reply::double(3.0), "(double) 3\n", "3\n", "3\n", "3\n"),
            (Reply::double(f64::INFINITY), "(double) inf\n", "inf\n", "inf\n", "\"inf\"\n"),
            (Reply::double(f64::NAN), "(double) nan\n", "nan\n", "nan\n", "\"nan\"\n"),
            (Reply::boolean(true), "(true)\n", "(true)\n", "true\n", "true\n"),
            (Reply::boolean(false), "(false)\n", "(false)\n", "false\n", "false\n"),
            (Reply::bulk("a b"), "\"a b\"\n", "a b\n", "\"a b\"\n", "\"a b\"\n"),
            (
                Reply::bulk(&b"q\"\\\n\t\x01\xff"[..]),
                "\"q\\\"\\\\\\n\\t\\x01\\xff\"\n",
                "q\"\\\n\t\x01\u{fffd}\n",
                "\"q\\\"\\\\\\n\\t\\x01\\xff\"\n",
                "\"q\\\"\\\\\\n\\t\\u0001\u{fffd}\"\n",
            ),
            (verbatim("a:1\nb:2"), "a:1\nb:2\n", "a:1\nb:2\n", "\"a:1\\nb:2\"\n", "\"a:1\\nb:2\"\n"),
            (
                big("1234567890123456789012345678901234567890"),
                "(big number) 1234567890123456789012345678901234567890\n",
                "1234567890123456789012345678901234567890\n",
                "1234567890123456789012345678901234567890\n",
                "1234567890123456789012345678901234567890\n",
            ),
            (Reply::array(vec![]), "(empty array)\n", "\n", "\n", "[]\n"),
            (Reply::set(vec![]), "(empty set)\n", "\n", "\n", "[]\n"),
            (Reply::map(vec![]), "(empty hash)\n", "\n", "\n", "{}\n"),
            (Reply::push(vec![]), "(empty push)\n", "\n", "\n", "[]\n"),
            (
                Reply::array(vec![Reply::bulk("a"), Reply::null(), Reply::integer(2)]),
                "1) \"a\"\n2) (nil)\n3) (integer) 2\n",
                "a\n\n2\n",
                "\"a\",NULL,2\n",
                "[\"a\",null,2]\n",
            ),
            (Reply::set(vec![Reply::bulk("x")]), "1~ \"x\"\n", "x\n", "\"x\"\n", "[\"x\"]\n"),
            (
                Reply::push(vec![Reply::bulk("message"), Reply::bulk("ch")]),
                "1) \"message\"\n2) \"ch\"\n",
                "message\nch\n",
                "\"message\",\"ch\"\n",
                "[\"message\",\"ch\"]\n",
            ),
            (
                Reply::map(vec![(Reply::bulk("f1"), Reply::bulk("v1")), (Reply::bulk("f2"), Reply::integer(2))]),
                "1# \"f1\" => \"v1\"\n2# \"f2\" => (integer) 2\n",
                "f1 v1\nf2 2\n",
                "\"f1\",\"v1\",\"f2\",2\n",
                "{\"f1\":\"v1\",\"f2\":2}\n",
            ),
        ]
    }

    #[test]
    fn renders_every_type_in_every_mode() {
        for (reply, human, raw, csv, json) in every_type() {
            assert_eq!(text(&reply, Mode::Human), human, "human {reply:?}");
            let raw_bytes = render(&reply, Mode::Raw, Style::default());
            assert_eq!(String::from_utf8_lossy(&raw_bytes), raw, "raw {reply:?}");
            assert_eq!(text(&reply, Mode::Csv), csv, "csv {reply:?}");
            assert_eq!(text(&reply, Mode::Json), json, "json {reply:?}");
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(json);
            assert!(parsed.is_ok(), "json must parse: {json}");
        }
    }

    #[test]
    fn raw_keeps_bytes_that_are_not_utf8() {
        assert_eq!(render(&Reply::bulk(&b"\xff\x00"[..]), Mode::Raw, Style::default()), b"\xff\x00\n");
    }

    #[test]
    fn nested_arrays_indent_like_redis_cli() {
        let scores = Reply::array(vec![
            Reply::array(vec![Reply::bulk("m"), Reply::double(1.5)]),
            Reply::array(vec![Reply::bulk("n"), Reply::double(2.0)]),
        ]);
        assert_eq!(text(&scores, Mode::Human), "1) 1) \"m\"\n   2) (double) 1.5\n2) 1) \"n\"\n   2) (double) 2\n");
        assert_eq!(text(&scores, Mode::Json), "[[\"m\",1.5],[\"n\",2]]\n");
        assert_eq!(text(&scores, Mode::Csv), "\"m\",1.5,\"n\",2\n");
        let ten = Reply::array((0..10).map(Reply::integer).collect());
        let out = text(&ten, Mode::Human);
        assert!(out.starts_with(" 1) (integer) 0\n 2)"), "{out}");
        assert!(out.ends_with("\n10) (integer) 9\n"), "{out}");
        let deep = Reply::array((0..10).map(|i| Reply::array(vec![Reply::integer(i), Reply::bulk("x")])).collect());
        assert!(text(&deep, Mode::Human).contains("\n10) 1) (integer) 9\n    2) \"x\"\n"));
    }

    #[test]
    fn map_with_aggregate_values_like_redis_cli_7() {
        let docs = Reply::map(vec![(
            Reply::bulk("get"),
            Reply::map(vec![
                (Reply::bulk("summary"), Reply::bulk("Get the value of a key")),
                (Reply::bulk("args"), Reply::array(vec![Reply::bulk("key")])),
            ]),
        )]);
        assert_eq!(
            text(&docs, Mode::Human),
            "1# \"get\" => \n   1# \"summary\" => \"Get the value of a key\"\n   2# \"args\" => \n      1) \"key\"\n"
        );
        assert_eq!(text(&docs, Mode::Raw), "get summary Get the value of a key\nargs key\n");
        assert_eq!(text(&docs, Mode::Json), "{\"get\":{\"summary\":\"Get the value of a key\",\"args\":[\"key\"]}}\n");
    }

    #[test]
    fn json_map_keys_of_other_types_are_stringified() {
        let map = Reply::map(vec![(Reply::integer(1), Reply::bulk("a")), (Reply::null(), Reply::boolean(true))]);
        assert_eq!(text(&map, Mode::Json), "{\"1\":\"a\",\"null\":true}\n");
    }

    #[test]
    fn errors_are_red_only_with_colour() {
        let err = Reply::error("ERR x");
        let coloured = String::from_utf8(render(&err, Mode::Human, Style { color: true, table_width: None })).unwrap();
        assert!(coloured.starts_with("\u{1b}[31m(error) ERR x"), "{coloured:?}");
        assert!(coloured.ends_with("\u{1b}[0m\n"), "{coloured:?}");
        assert_eq!(text(&err, Mode::Human), "(error) ERR x\n");
        let ok = String::from_utf8(render(&Reply::simple("OK"), Mode::Human, Style { color: true, table_width: None }));
        assert_eq!(ok.unwrap(), "OK\n");
    }

    #[test]
    fn doubles_format_like_redis() {
        assert_eq!(double(0.1), "0.1");
        assert_eq!(double(-2.5), "-2.5");
        assert_eq!(double(0.0), "0");
        assert_eq!(double(1e300), "1e+300");
        assert_eq!(double(1.5e-10), "1.5e-10");
        assert_eq!(double(f64::NEG_INFINITY), "-inf");
    }
}
