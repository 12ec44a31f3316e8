//! Replies, protocol-neutral. A command writes its reply into a [`ReplySink`] as a stream of
//! typed items (RESP3's types); each door encodes them its own way. The RESP door writes the
//! bytes straight into the connection's output buffer, so a GET copies its value once, from
//! the table to the socket buffer, with no reply object in between.

mod tree;

pub use tree::{Reply, ReplyTree};

/// The protocol a session speaks, chosen with HELLO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    #[default]
    Resp2,
    Resp3,
}

impl Protocol {
    pub fn version(self) -> i64 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

/// Where a command writes its reply. Aggregates announce their length first, then their
/// items follow; a map of `n` entries is followed by `2n` items, key then value.
pub trait ReplySink {
    fn simple(&mut self, text: &str);
    /// An error; `message` starts with its code (`ERR ...`, `WRONGTYPE ...`).
    fn error(&mut self, message: &str);
    fn integer(&mut self, n: i64);
    fn bulk(&mut self, bytes: &[u8]);
    /// A missing string (RESP2 `$-1`).
    fn null(&mut self);
    /// A missing aggregate (RESP2 `*-1`).
    fn null_array(&mut self);
    fn double(&mut self, value: f64);
    /// A double whose text Redis formats its own way for this reply (GEOPOS coordinates
    /// are `%.17Lf` text, not the shortest form): a bulk string in RESP2, a double in
    /// RESP3. A sink keeping values rather than text keeps `value`.
    fn double_text(&mut self, value: f64, _text: &str) {
        self.double(value);
    }
    fn boolean(&mut self, value: bool);
    fn array(&mut self, len: usize);
    fn map(&mut self, len: usize);
    fn set(&mut self, len: usize);
    fn push(&mut self, len: usize);
    fn verbatim(&mut self, format: &str, text: &[u8]);
    fn big_number(&mut self, digits: &str);
    /// Starts a RESP3 attribute of `len` entries (its keys and values follow, then the
    /// reply it annotates); false, with nothing written, where attributes cannot be sent
    /// (RESP2 drops them, as Redis does).
    fn attribute(&mut self, _len: usize) -> bool {
        false
    }

    /// Switches the protocol for what follows (HELLO replies in the protocol it chose).
    fn set_protocol(&mut self, _protocol: Protocol) {}

    fn ok(&mut self) {
        self.simple("OK");
    }

    /// A count or length (lengths are far below `i64::MAX`; a larger one saturates).
    fn count(&mut self, n: usize) {
        self.integer(i64::try_from(n).unwrap_or(i64::MAX));
    }

    fn bulk_or_null(&mut self, bytes: Option<&[u8]>) {
        match bytes {
            Some(b) => self.bulk(b),
            None => self.null(),
        }
    }

    /// An array of bulk strings.
    fn bulks(&mut self, items: &mut dyn ExactSizeIterator<Item = &[u8]>) {
        self.array(items.len());
        for item in items {
            self.bulk(item);
        }
    }
}

/// Formats a double as Redis 7.0 does in replies (`addReplyDouble`): C's `%.17g`, so 17
/// significant digits with the trailing zeros of the fraction dropped ("1.1000000000000001"
/// for 1.1, "0.5", "10"), an exponent of at least two digits below 1e-4 and from 1e17 up
/// ("1.0000000000000001e-05", "1e+17"); `inf`, `-inf`, `nan`.
///
/// Redis 7.2 changed this to the shortest text that reads back as the same value ("1.1");
/// 7.0's layout is kept because Redis 7.0 is the reference server here and its clients and
/// tests compare score texts (7.2's own tests compare them as numbers, which this passes too).
pub fn format_double(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if value.is_nan() {
        return "nan".to_owned();
    }
    // `{:.16e}` gives the 17 significant digits `%.17g` works from, correctly rounded,
    // as "d.dddddddddddddddde<exponent>", written on the stack: a score reply allocates
    // only the text it returns.
    let mut scientific = StackText::default();
    let _ = std::fmt::Write::write_fmt(&mut scientific, format_args!("{:.16e}", value.abs()));
    let text = scientific.as_str();
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (first, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut out = String::with_capacity(32);
    if value.is_sign_negative() {
        out.push('-');
    }
    // %g: the exponent form when the exponent is below -4 or at least the precision (17).
    if !(-4..17).contains(&exponent) {
        out.push_str(first);
        let fraction = fraction.trim_end_matches('0');
        if !fraction.is_empty() {
            out.push('.');
            out.push_str(fraction);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        if exponent.abs() < 10 {
            out.push('0');
        }
        out.push_str(itoa::Buffer::new().format(exponent.abs()));
        return out;
    }
    if exponent >= 0 {
        // `exponent + 1` digits before the point, the rest of the 17 after it.
        let whole = usize::try_from(exponent).unwrap_or(0);
        let (head, tail) = fraction.split_at(whole.min(fraction.len()));
        out.push_str(first);
        out.push_str(head);
        let tail = tail.trim_end_matches('0');
        if !tail.is_empty() {
            out.push('.');
            out.push_str(tail);
        }
    } else {
        // 0.000ddd: `-exponent - 1` zeros after the point, then the digits.
        out.push_str("0.");
        (1..-exponent).for_each(|_| out.push('0'));
        out.push_str(first);
        out.push_str(fraction.trim_end_matches('0'));
    }
    out
}

/// A short text built on the stack (a double's digits are at most 24 bytes).
#[derive(Default)]
struct StackText {
    bytes: [u8; 32],
    len: usize,
}

impl StackText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::format_double;

    #[test]
    fn doubles_print_as_redis_7_0_does() {
        // Each text is what Redis 7.0.15's ZADD then ZSCORE (or C's printf("%.17g")) gives.
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-2.5, "-2.5"),
            (1.1, "1.1000000000000001"),
            (0.1, "0.10000000000000001"),
            (0.5, "0.5"),
            (12345.678, "12345.678"),
            (1e-4, "0.0001"),
            (1e-5, "1.0000000000000001e-05"),
            (1.5e-6, "1.5e-06"),
            (0.000123456789, "0.000123456789"),
            (100.0, "100"),
            (1e8, "100000000"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (3e20, "3e+20"),
            (4611686018427387904.0, "4.6116860184273879e+18"),
            (1.5e300, "1.5000000000000001e+300"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "4.9406564584124654e-324"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for &(value, text) in cases {
            assert_eq!(format_double(value), text, "{value:e}");
        }
    }

    #[test]
    fn printed_doubles_read_back_as_the_same_value() {
        let mut x = 0.123_456_789_f64;
        for _ in 0..2000 {
            x = x * 7.3 + 1e-9;
            if x > 1e300 {
                x = 1e-300;
            }
            for value in [x, -x, 1.0 / x] {
                let text = format_double(value);
                assert_eq!(text.parse::<f64>().ok(), Some(value), "{text}");
            }
        }
    }
}
