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

/// Formats a double as Redis 7.2 and later do in replies (`d2string`): an integral value
/// up to 2^62 as an integer; otherwise the shortest digits that read back as the same
/// value, laid out by `fpconv_dtoa`'s rules — digits in full when at most 7 zeros follow
/// them (1.2345678901234567e19 is "12345678901234567000"), fractions in plain decimal down
/// to 6 places past the point (1e-5 is "0.00001"), otherwise an exponent without padding
/// ("1e+20", "1.5e-7"); `inf`, `-inf`, `nan`. (Redis 7.0 printed `%.17g`:
/// "1.1000000000000001" for 1.1.)
pub fn format_double(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if value.is_nan() {
        return "nan".to_owned();
    }
    let sign = if value.is_sign_negative() { "-" } else { "" };
    if value == 0.0 {
        return format!("{sign}0");
    }
    // Redis's d2string prints an integral value as an integer while |value| <= 2^62.
    const INTEGRAL_LIMIT: f64 = (i64::MAX / 2) as f64;
    if value.fract() == 0.0 && value.abs() <= INTEGRAL_LIMIT {
        #[allow(clippy::cast_possible_truncation)]
        return itoa::Buffer::new().format(value as i64).to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits as "d.ddde<exponent>", written
    // on the stack: a score reply allocates only the text it returns.
    let mut scientific = StackText::default();
    let _ = std::fmt::Write::write_fmt(&mut scientific, format_args!("{:e}", value.abs()));
    let text = scientific.as_str();
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let mut digits = StackText::default();
    for part in mantissa.split('.') {
        let _ = std::fmt::Write::write_str(&mut digits, part);
    }
    let digits = digits.as_str();
    let count = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    // The value is `digits` × 10^k.
    let k = exponent - (count - 1);
    let magnitude = exponent.abs();
    let mut out = String::with_capacity(32);
    out.push_str(sign);
    if k >= 0 && magnitude < count + 7 {
        out.push_str(digits);
        (0..k).for_each(|_| out.push('0'));
    } else if k < 0 && (k > -7 || magnitude < 4) {
        let point = count + k;
        if point <= 0 {
            out.push_str("0.");
            (point..0).for_each(|_| out.push('0'));
            out.push_str(digits);
        } else {
            let (whole, fraction) = digits.split_at(usize::try_from(point).unwrap_or(0));
            out.push_str(whole);
            out.push('.');
            out.push_str(fraction);
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        out.push_str(itoa::Buffer::new().format(magnitude));
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
    fn doubles_print_as_redis_7_2_does() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-2.5, "-2.5"),
            (1.1, "1.1"),
            (0.1, "0.1"),
            (12345.678, "12345.678"),
            (1e-5, "0.00001"),
            (1e-6, "0.000001"),
            (1.5e-6, "1.5e-6"),
            (1e-7, "1e-7"),
            (0.000123456789, "1.23456789e-4"),
            (0.0012, "0.0012"),
            (100.0, "100"),
            (1e8, "100000000"),
            (1e17, "100000000000000000"),
            (4e18, "4000000000000000000"),
            (5e18, "5e+18"),
            (1.2345678901234567e19, "12345678901234567000"),
            (123456789012345678.0, "123456789012345680"),
            (1e20, "1e+20"),
            (1.5e300, "1.5e+300"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
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
