//! C's `strtod`, which Redis uses (directly or through `getDoubleFromObject` and
//! `string2ld`) for every float argument: which text it takes decides which arguments
//! Redis accepts. Beyond Rust's `f64::from_str` it skips leading white space, reads the
//! longest numeric prefix (the caller decides whether a rest is allowed), reads hex floats
//! ("0x1p3") and reports range errors (`ERANGE`).

/// What `strtod` made of a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Strtod {
    pub value: f64,
    /// Bytes read, white space included; 0 when no number was found (`value` is then 0).
    pub len: usize,
    /// `errno == ERANGE`: the number overflowed to infinity, or underflowed (to zero or to
    /// a subnormal value) as glibc reports it.
    pub range_error: bool,
}

const NOTHING: Strtod = Strtod { value: 0.0, len: 0, range_error: false };

/// C's `isspace` in the "C" locale.
pub fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Reads the longest prefix of `text` that `strtod` would read.
pub fn strtod(text: &[u8]) -> Strtod {
    let start = text.iter().take_while(|&&b| is_c_space(b)).count();
    let body = &text[start..];
    let (negative, sign_len) = match body.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let unsigned = &body[sign_len..];
    let Some((magnitude, len, range_error)) = special(unsigned).or_else(|| hex(unsigned)).or_else(|| decimal(unsigned))
    else {
        return NOTHING;
    };
    Strtod { value: if negative { -magnitude } else { magnitude }, len: start + sign_len + len, range_error }
}

/// `inf`, `infinity` and `nan`, `nan(chars)`, in any case.
fn special(text: &[u8]) -> Option<(f64, usize, bool)> {
    let starts = |word: &[u8]| text.len() >= word.len() && text[..word.len()].eq_ignore_ascii_case(word);
    if starts(b"infinity") {
        return Some((f64::INFINITY, 8, false));
    }
    if starts(b"inf") {
        return Some((f64::INFINITY, 3, false));
    }
    if starts(b"nan") {
        let rest = &text[3..];
        if rest.first() == Some(&b'(') {
            let chars = rest[1..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
            if rest.get(1 + chars) == Some(&b')') {
                return Some((f64::NAN, 3 + chars + 2, false));
            }
        }
        return Some((f64::NAN, 3, false));
    }
    None
}

fn digits_in(text: &[u8], is_digit: impl Fn(&u8) -> bool) -> usize {
    text.iter().take_while(|b| is_digit(b)).count()
}

/// `digits[.digits][e[+-]digits]` (or `.digits...`), handed to Rust's correctly rounded
/// parser once its extent is known.
fn decimal(text: &[u8]) -> Option<(f64, usize, bool)> {
    let int_digits = digits_in(text, u8::is_ascii_digit);
    let mut len = int_digits;
    let mut frac_digits = 0;
    if text.get(len) == Some(&b'.') {
        frac_digits = digits_in(&text[len + 1..], u8::is_ascii_digit);
        if int_digits + frac_digits > 0 {
            len += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    let mantissa_len = len;
    if matches!(text.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(text.get(len + 1), Some(b'+' | b'-')));
        let exp_digits = digits_in(&text[len + 1 + sign..], u8::is_ascii_digit);
        if exp_digits > 0 {
            len += 1 + sign + exp_digits;
        }
    }
    let value: f64 = std::str::from_utf8(&text[..len]).ok()?.parse().ok()?;
    let nonzero = text[..mantissa_len].iter().any(|b| (b'1'..=b'9').contains(b));
    Some((value, len, range_error(value, nonzero)))
}

/// `0x` hex digits `[.hexdigits][p[+-]digits]`: mantissa × 2^exponent.
fn hex(text: &[u8]) -> Option<(f64, usize, bool)> {
    if text.len() < 2 || text[0] != b'0' || !matches!(text[1], b'x' | b'X') {
        return None;
    }
    let digits = &text[2..];
    let int_digits = digits_in(digits, u8::is_ascii_hexdigit);
    let mut frac_digits = 0;
    let mut len = int_digits;
    if digits.get(len) == Some(&b'.') {
        frac_digits = digits_in(&digits[len + 1..], u8::is_ascii_hexdigit);
        if int_digits + frac_digits > 0 {
            len += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        // "0x" alone: strtod reads the "0" and stops at the "x".
        return None;
    }
    // The first 15 significant hex digits (60 bits) are kept; later ones only scale, which
    // is exact enough for a 53-bit result (a sticky low bit keeps rounding honest).
    let mut mantissa: u64 = 0;
    let mut exponent: i64 = 0;
    let mut kept = 0;
    let mut sticky = false;
    let mut nonzero = false;
    for (i, &b) in digits[..len].iter().enumerate() {
        let Some(d) = char::from(b).to_digit(16) else { continue };
        let fractional = i > int_digits;
        nonzero |= d != 0;
        if mantissa == 0 && d == 0 {
            if fractional {
                exponent -= 4;
            }
            continue;
        }
        if kept < 15 {
            mantissa = (mantissa << 4) | u64::from(d);
            kept += 1;
            if fractional {
                exponent -= 4;
            }
        } else {
            sticky |= d != 0;
            if !fractional {
                exponent += 4;
            }
        }
    }
    if matches!(digits.get(len), Some(b'p' | b'P')) {
        let sign = usize::from(matches!(digits.get(len + 1), Some(b'+' | b'-')));
        let exp_digits = digits_in(&digits[len + 1 + sign..], u8::is_ascii_digit);
        if exp_digits > 0 {
            let text = &digits[len + 1 + sign..len + 1 + sign + exp_digits];
            // Saturate: anything past ±100000 is as good as infinite.
            let magnitude = text.iter().fold(0i64, |acc, b| (acc * 10 + i64::from(b - b'0')).min(100_000));
            exponent += if digits[len + 1] == b'-' { -magnitude } else { magnitude };
            len += 1 + sign + exp_digits;
        }
    }
    let mantissa = (mantissa << 1) | u64::from(sticky);
    let value = scale(mantissa as f64, exponent - 1);
    Some((value, 2 + len, range_error(value, nonzero)))
}

/// `value × 2^exponent`, in steps so that no intermediate power of two overflows or
/// underflows before the product does.
fn scale(mut value: f64, mut exponent: i64) -> f64 {
    while exponent > 1000 && value.is_finite() {
        value *= 2f64.powi(1000);
        exponent -= 1000;
    }
    while exponent < -1000 {
        let next = value * 2f64.powi(-1000);
        if next.abs() < f64::MIN_POSITIVE {
            break;
        }
        value = next;
        exponent += 1000;
    }
    value * 2f64.powi(exponent.clamp(-1100, 1100) as i32)
}

/// glibc's ERANGE: a finite text overflowing, or a nonzero one underflowing.
fn range_error(value: f64, nonzero: bool) -> bool {
    value.is_infinite() || (nonzero && (value == 0.0 || value.abs() < f64::MIN_POSITIVE))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (f64, usize, bool) {
        let r = strtod(text.as_bytes());
        (r.value, r.len, r.range_error)
    }

    #[test]
    fn reads_decimal_prefixes_like_c() {
        assert_eq!(read("1.5"), (1.5, 3, false));
        assert_eq!(read("  -2e3xyz"), (-2000.0, 6, false));
        assert_eq!(read(".5"), (0.5, 2, false));
        assert_eq!(read("5."), (5.0, 2, false));
        assert_eq!(read("+7"), (7.0, 2, false));
        assert_eq!(read("1e"), (1.0, 1, false));
        assert_eq!(read("1e+"), (1.0, 1, false));
        assert_eq!(read("."), (0.0, 0, false));
        assert_eq!(read(""), (0.0, 0, false));
        assert_eq!(read("-"), (0.0, 0, false));
        assert_eq!(read("x1"), (0.0, 0, false));
        assert_eq!(read("1 "), (1.0, 1, false));
    }

    #[test]
    fn reports_range_errors() {
        assert_eq!(read("1e400"), (f64::INFINITY, 5, true));
        assert_eq!(read("-1e400"), (f64::NEG_INFINITY, 6, true));
        assert_eq!(read("1e-400"), (0.0, 6, true));
        assert!(read("1e-310").2, "subnormal");
        assert_eq!(read("0e-400"), (0.0, 6, false));
        assert_eq!(read("0.000"), (0.0, 5, false));
    }

    #[test]
    fn reads_infinities_and_nans() {
        assert_eq!(read("inf"), (f64::INFINITY, 3, false));
        assert_eq!(read("-Infinity"), (f64::NEG_INFINITY, 9, false));
        assert_eq!(read("infinit"), (f64::INFINITY, 3, false));
        assert!(read("nan").0.is_nan() && read("nan").1 == 3);
        assert_eq!(read("NaN(abc_1)").1, 10);
        assert_eq!(read("nan(").1, 3);
    }

    #[test]
    fn reads_hex_floats() {
        assert_eq!(read("0x10"), (16.0, 4, false));
        assert_eq!(read("0X1p3"), (8.0, 5, false));
        assert_eq!(read("0x1p-1"), (0.5, 6, false));
        assert_eq!(read("0x.8"), (0.5, 4, false));
        assert_eq!(read("0x1.8p1"), (3.0, 7, false));
        assert_eq!(read("-0xffp0"), (-255.0, 7, false));
        assert_eq!(read("0x"), (0.0, 1, false));
        assert_eq!(read("0x1p"), (1.0, 3, false));
        assert_eq!(read("0x1p99999"), (f64::INFINITY, 9, true));
        assert_eq!(read("0x1p-99999"), (0.0, 10, true));
        assert_eq!(read("0x1p-1074"), (f64::from_bits(1), 9, true));
        assert_eq!(read("0x1fffffffffffffp0").0, 9007199254740991.0);
        assert_eq!(read("0x123456789abcdef0123p0").0, 0x123456789abcdef0123u128 as f64);
        assert_eq!(read("0x0.0000000001p40").0, 1.0);
    }
}
