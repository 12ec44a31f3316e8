//! The x87 80-bit "long double" that Redis's INCRBYFLOAT and HINCRBYFLOAT compute in
//! (x86-64 Linux): read with `strtold`, added with a 64-bit mantissa rounded to nearest
//! even, and written back as `%.17Lf` without trailing zeros. Emulated exactly in software
//! (Rust has no such type) so that the stored text is the one Redis stores: decimal
//! shortcuts differ from it in the last digit (`1/41` then `-1/41` must give "0"), and an
//! `f64` cannot hold what a long double can ("1e400").

use std::cmp::Ordering;

use super::strtod::{is_c_space, strtod};

/// Lowest exponent of the last mantissa bit: the smallest subnormal is 2^-16445.
const MIN_EXPONENT: i64 = -16445;
/// Highest exponent of the top bit of a finite value (the largest is just under 2^16384).
const MAX_TOP_EXPONENT: i64 = 16383;
/// Redis reads a long double from at most this many bytes (`MAX_LONG_DOUBLE_CHARS`, 5k,
/// less its terminating zero); longer texts are not a valid float.
const MAX_TEXT_LEN: usize = 5 * 1024 - 1;
/// Digits after the point of Redis's text (`%.17Lf`).
const FRACTION_DIGITS: u32 = 17;
/// Exponents beyond this decide overflow or underflow on their own; larger ones are
/// clamped so that the arithmetic on them cannot overflow.
const EXPONENT_CLAMP: i64 = 1_000_000;

/// A finite long double: `(-1)^negative × mantissa × 2^exponent`, mantissa below 2^64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongDouble {
    negative: bool,
    mantissa: u64,
    exponent: i64,
}

/// What `string2ld` makes of a text that it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    Finite(LongDouble),
    /// "inf" or "infinity": accepted, but no sum with it is finite.
    Infinite,
}

/// The result of rounding an exact value to a long double.
enum Rounded {
    Value(u64, i64),
    Overflow,
}

impl LongDouble {
    const ZERO: LongDouble = LongDouble { negative: false, mantissa: 0, exponent: 0 };

    /// Redis's `string2ld`: the whole text must be a number `strtold` reads, without
    /// leading space; NaN, and numbers overflowing or underflowing to zero, are refused.
    pub fn parse(text: &[u8]) -> Option<Parsed> {
        if text.is_empty() || text.len() > MAX_TEXT_LEN || is_c_space(text[0]) {
            return None;
        }
        // strtod's grammar is strtold's; only the range differs, so only its extent and
        // its NaN and infinity words are taken from it.
        let read = strtod(text);
        if read.len != text.len() || read.value.is_nan() {
            return None;
        }
        if read.value.is_infinite() && !read.range_error {
            return Some(Parsed::Infinite);
        }
        let (negative, body) = match text[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let magnitude = if body.len() > 1 && body[0] == b'0' && matches!(body[1], b'x' | b'X') {
            parse_hex(&body[2..])?
        } else {
            parse_decimal(body)?
        };
        Some(Parsed::Finite(LongDouble { negative, ..magnitude }))
    }

    /// `self + other` rounded as the x87 rounds it; `None` when it overflows.
    pub fn plus(self, other: LongDouble) -> Option<LongDouble> {
        let (a, b) = (self.normalized(), other.normalized());
        if b.mantissa == 0 {
            return Some(a);
        }
        if a.mantissa == 0 {
            return Some(b);
        }
        let (big, small) = if (a.exponent, a.mantissa) >= (b.exponent, b.mantissa) { (a, b) } else { (b, a) };
        // 62 guard bits below both mantissas; what the smaller one loses in the shift is
        // folded into a sticky lowest bit, enough for one correct rounding.
        let shift = big.exponent - small.exponent;
        let wide_small = u128::from(small.mantissa) << 62;
        let aligned = if shift >= 126 {
            1
        } else {
            let kept = wide_small >> shift;
            kept | u128::from(kept << shift != wide_small)
        };
        let wide_big = u128::from(big.mantissa) << 62;
        let sum = if big.negative == small.negative { wide_big + aligned } else { wide_big - aligned };
        if sum == 0 {
            return Some(LongDouble::ZERO);
        }
        match round(sum, big.exponent - 62, false) {
            Rounded::Value(mantissa, exponent) => Some(LongDouble { negative: big.negative, mantissa, exponent }),
            Rounded::Overflow => None,
        }
    }

    /// The mantissa shifted up to its top bit (exponent possibly below the subnormal
    /// range: an exact internal form for adding).
    fn normalized(self) -> LongDouble {
        if self.mantissa == 0 {
            return self;
        }
        let zeros = self.mantissa.leading_zeros();
        LongDouble { mantissa: self.mantissa << zeros, exponent: self.exponent - i64::from(zeros), ..self }
    }

    /// Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf` (exact digits, ties to even),
    /// trailing zeros and point removed, "-0" written "0".
    pub fn to_redis_text(self) -> String {
        let (int, fraction) = if self.exponent >= 0 {
            let shift = usize::try_from(self.exponent).unwrap_or(usize::MAX);
            (Big::from_u128(u128::from(self.mantissa)).shifted_left(shift).into_decimal(), 0)
        } else {
            // value × 10^17 = mantissa × 10^17 / 2^k, below 2^121: a u128 holds it.
            let scaled = u128::from(self.mantissa) * 10u128.pow(FRACTION_DIGITS);
            let k = self.exponent.unsigned_abs();
            let rounded = if k >= 128 {
                0
            } else {
                let k = k as u32;
                let (q, rem) = (scaled >> k, scaled & ((1u128 << k) - 1));
                let half = 1u128 << (k - 1);
                q + u128::from(rem > half || (rem == half && q & 1 == 1))
            };
            let unit = 10u128.pow(FRACTION_DIGITS);
            ((rounded / unit).to_string(), rounded % unit)
        };
        let mut out = String::with_capacity(int.len() + 20);
        if self.negative && (int != "0" || fraction != 0) {
            out.push('-');
        }
        out.push_str(&int);
        if fraction != 0 {
            let digits = format!("{fraction:017}");
            out.push('.');
            out.push_str(digits.trim_end_matches('0'));
        }
        out
    }
}

/// Rounds `value × 2^exponent` (plus a sticky fraction below `value` when `sticky`) to a
/// 64-bit mantissa, to nearest even, subnormal below 2^-16382.
fn round(value: u128, exponent: i64, sticky: bool) -> Rounded {
    if value == 0 {
        return Rounded::Value(0, 0);
    }
    let bits = i64::from(128 - value.leading_zeros());
    let mut shift = bits - 64;
    if exponent + shift < MIN_EXPONENT {
        shift = MIN_EXPONENT - exponent;
    }
    let (mut mantissa, mut exponent) = if shift <= 0 {
        // Exact: callers pass a sticky fraction only with bits to spare above it.
        (value << shift.unsigned_abs(), exponent + shift)
    } else if shift > 128 {
        (0, exponent + shift)
    } else {
        let shift_bits = shift as u32;
        let kept = value.checked_shr(shift_bits).unwrap_or(0);
        let rest = if shift_bits == 128 { value } else { value & ((1u128 << shift_bits) - 1) };
        let half = 1u128 << (shift_bits - 1);
        let up = rest > half || (rest == half && (sticky || kept & 1 == 1));
        (kept + u128::from(up), exponent + shift)
    };
    if mantissa >> 64 != 0 {
        mantissa >>= 1;
        exponent += 1;
    }
    let top = exponent + i64::from(128 - mantissa.leading_zeros()) - 1;
    if mantissa != 0 && top > MAX_TOP_EXPONENT {
        return Rounded::Overflow;
    }
    Rounded::Value(mantissa as u64, exponent)
}

/// `digits[.digits][e[+-]digits]`, already checked by `strtod`.
fn parse_decimal(text: &[u8]) -> Option<LongDouble> {
    let mut digits = Vec::with_capacity(text.len());
    let mut exponent: i64 = 0;
    let mut point = false;
    let mut rest = text;
    while let Some((&c, tail)) = rest.split_first() {
        match c {
            b'0'..=b'9' => {
                digits.push(c - b'0');
                if point {
                    exponent -= 1;
                }
            }
            b'.' => point = true,
            _ => break,
        }
        rest = tail;
    }
    if let Some((_, tail)) = rest.split_first() {
        exponent += read_exponent(tail);
    }
    let first = digits.iter().position(|&d| d != 0);
    let Some(first) = first else { return Some(LongDouble::ZERO) };
    let last = digits.iter().rposition(|&d| d != 0).unwrap_or(first);
    exponent += (digits.len() - 1 - last) as i64;
    let significant = &digits[first..=last];
    // value < 10^magnitude: beyond the range by a margin, decided without arithmetic.
    let magnitude = exponent + significant.len() as i64;
    if !(-4952..=4934).contains(&magnitude) {
        return None;
    }
    let mut number = Big::default();
    for chunk in significant.chunks(9) {
        let mut scale = 1u32;
        let mut add = 0u32;
        for &d in chunk {
            scale *= 10;
            add = add * 10 + u32::from(d);
        }
        number.mul_add(scale, add);
    }
    let rounded = if exponent >= 0 {
        number.mul_pow10(exponent as u64);
        let (top, shift, sticky) = number.top_bits(67);
        round(top, shift, sticky)
    } else {
        // value = number / 10^k: a quotient of 65 to 67 bits, the remainder as sticky.
        let divisor = Big::pow10(exponent.unsigned_abs());
        let s = 66 + divisor.bit_len() as i64 - number.bit_len() as i64;
        let (mut numerator, divisor) = if s >= 0 {
            (number.shifted_left(s as usize), divisor)
        } else {
            (number, divisor.shifted_left(s.unsigned_abs() as usize))
        };
        let mut quotient = 0u128;
        for bit in (0..68).rev() {
            let step = divisor.shifted_left(bit);
            if numerator.compare(&step) != Ordering::Less {
                numerator.sub_assign(&step);
                quotient |= 1u128 << bit;
            }
        }
        round(quotient, -s, !numerator.is_zero())
    };
    finite(rounded)
}

/// `hexdigits[.hexdigits][p[+-]digits]` after the "0x", already checked by `strtod`.
fn parse_hex(text: &[u8]) -> Option<LongDouble> {
    let mut number = Big::default();
    let mut exponent: i64 = 0;
    let mut point = false;
    let mut rest = text;
    while let Some((&c, tail)) = rest.split_first() {
        if let Some(d) = char::from(c).to_digit(16) {
            number.mul_add(16, d);
            if point {
                exponent -= 4;
            }
        } else if c == b'.' {
            point = true;
        } else {
            break;
        }
        rest = tail;
    }
    if let Some((_, tail)) = rest.split_first() {
        exponent += read_exponent(tail);
    }
    if number.is_zero() {
        return Some(LongDouble::ZERO);
    }
    let top = exponent + number.bit_len() as i64;
    if !(MIN_EXPONENT - 2..=MAX_TOP_EXPONENT + 2).contains(&top) {
        return None;
    }
    let (value, shift, sticky) = number.top_bits(67);
    finite(round(value, exponent + shift, sticky))
}

/// `[+-]digits` of an exponent, clamped.
fn read_exponent(text: &[u8]) -> i64 {
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |acc, b| (acc * 10 + i64::from(b - b'0')).min(EXPONENT_CLAMP));
    if negative { -magnitude } else { magnitude }
}

/// A parsed magnitude: overflow and underflow to zero are `strtold`'s range errors, which
/// Redis refuses.
fn finite(rounded: Rounded) -> Option<LongDouble> {
    match rounded {
        Rounded::Value(0, _) | Rounded::Overflow => None,
        Rounded::Value(mantissa, exponent) => Some(LongDouble { negative: false, mantissa, exponent }),
    }
}

/// An unsigned integer of any size: 32-bit limbs, least significant first, no zero limb
/// at the top. Only what exact conversions need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u128(mut value: u128) -> Big {
        let mut limbs = Vec::new();
        while value != 0 {
            limbs.push(value as u32);
            value >>= 32;
        }
        Big(limbs)
    }

    fn pow10(power: u64) -> Big {
        let mut out = Big(vec![1]);
        out.mul_pow10(power);
        out
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bit_len(&self) -> u64 {
        self.0.last().map_or(0, |top| (self.0.len() as u64 - 1) * 32 + u64::from(32 - top.leading_zeros()))
    }

    /// `self × factor + add`.
    fn mul_add(&mut self, factor: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow10(&mut self, mut power: u64) {
        while power >= 9 {
            self.mul_add(1_000_000_000, 0);
            power -= 9;
        }
        self.mul_add(10u32.pow(power as u32), 0);
    }

    fn shifted_left(&self, bits: usize) -> Big {
        if self.is_zero() {
            return Big::default();
        }
        let (limbs, within) = (bits / 32, (bits % 32) as u32);
        let mut out = vec![0u32; limbs];
        out.reserve(self.0.len() + 1);
        let mut carry = 0u32;
        for &limb in &self.0 {
            out.push((limb << within) | carry);
            carry = if within == 0 { 0 } else { limb >> (32 - within) };
        }
        if carry != 0 {
            out.push(carry);
        }
        Big(out)
    }

    /// The top `count` bits (at most 127) as `(bits, shift, rest_nonzero)`: self is
    /// `bits × 2^shift` plus a rest below 2^shift.
    fn top_bits(&self, count: u64) -> (u128, i64, bool) {
        let len = self.bit_len();
        let shift = len.saturating_sub(count);
        let mut top = 0u128;
        for bit in (shift..len).rev() {
            top = (top << 1) | u128::from(self.bit(bit));
        }
        let whole = (shift / 32) as usize;
        let partial = self.0.get(whole).is_some_and(|&limb| limb & ((1u32 << (shift % 32)) - 1) != 0);
        let rest = partial || self.0[..whole.min(self.0.len())].iter().any(|&limb| limb != 0);
        (top, shift as i64, rest)
    }

    fn bit(&self, index: u64) -> bool {
        self.0.get((index / 32) as usize).is_some_and(|&limb| limb >> (index % 32) & 1 == 1)
    }

    fn compare(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// `self -= other`, with `other <= self`.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let diff = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            (*limb, borrow) = if diff < 0 { ((diff + (1 << 32)) as u32, 1) } else { (diff as u32, 0) };
        }
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn into_decimal(mut self) -> String {
        if self.is_zero() {
            return "0".to_owned();
        }
        let mut chunks = Vec::new();
        while !self.is_zero() {
            let mut rem = 0u64;
            for limb in self.0.iter_mut().rev() {
                let cur = (rem << 32) | u64::from(*limb);
                *limb = (cur / 1_000_000_000) as u32;
                rem = cur % 1_000_000_000;
            }
            while self.0.last() == Some(&0) {
                self.0.pop();
            }
            chunks.push(rem as u32);
        }
        let mut out = String::with_capacity(chunks.len() * 9);
        for (i, chunk) in chunks.iter().rev().enumerate() {
            if i == 0 {
                out.push_str(&chunk.to_string());
            } else {
                out.push_str(&format!("{chunk:09}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> LongDouble {
        match LongDouble::parse(text.as_bytes()) {
            Some(Parsed::Finite(v)) => v,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn sum(a: &str, b: &str) -> String {
        value(a).plus(value(b)).map(LongDouble::to_redis_text).unwrap_or_default()
    }

    #[test]
    fn parses_exactly_to_a_64_bit_mantissa() {
        assert_eq!(value("1"), LongDouble { negative: false, mantissa: 1 << 63, exponent: -63 });
        assert_eq!(value("-0.5").to_redis_text(), "-0.5");
        assert_eq!(value("0x1p3").to_redis_text(), "8");
        assert_eq!(value("18446744073709551615").to_redis_text(), "18446744073709551615");
        // 2^64 + 1 is a tie between 2^64 and 2^64 + 2: even mantissa wins.
        assert_eq!(value("18446744073709551617").to_redis_text(), "18446744073709551616");
        assert_eq!(value("1e400").to_redis_text().len(), 401);
        assert_eq!(value("5.0e3").to_redis_text(), "5000");
    }

    #[test]
    fn refuses_what_string2ld_refuses() {
        for text in ["", " 1", "1 ", "nan", "abc", "1e5000", "1e-5000", "0x", "1.2.3", "--1"] {
            assert_eq!(LongDouble::parse(text.as_bytes()), None, "{text}");
        }
        assert_eq!(LongDouble::parse(b"-inf"), Some(Parsed::Infinite));
        assert!(matches!(LongDouble::parse(b"1e-4940"), Some(Parsed::Finite(_))), "subnormal");
        assert!(matches!(LongDouble::parse(b"0e-5000"), Some(Parsed::Finite(_))), "an exact zero");
        assert_eq!(LongDouble::parse("1".repeat(5120).as_bytes()), None, "too long for Redis's buffer");
    }

    #[test]
    fn adds_and_prints_as_redis() {
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("10.50", "0.1"), "10.6");
        // Tcl's 1.0/41 and back: Redis's "No negative zero" test.
        assert_eq!(sum("0", "0.024390243902439025"), "0.02439024390243902");
        assert_eq!(sum("0.02439024390243902", "-0.024390243902439025"), "0");
        assert_eq!(sum("3", "-3.5"), "-0.5");
        assert_eq!(sum("1", "-1"), "0");
        assert_eq!(sum("0", "-1e-30"), "0");
        assert_eq!(sum("1e400", "-1e400"), "0");
        assert!(value("1.1e4932").plus(value("1e4932")).is_none(), "overflow");
    }
}
