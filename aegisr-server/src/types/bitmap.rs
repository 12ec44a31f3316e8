//! Bitmaps: bit operations on string values, with Redis's bit order (bit 0 is the most
//! significant bit of the first byte) and its range rules for BITCOUNT and BITPOS.

/// The bit at `offset` (bits past the end read as 0).
pub fn get_bit(bytes: &[u8], offset: u64) -> bool {
    let Ok(byte) = usize::try_from(offset >> 3) else {
        return false;
    };
    bytes.get(byte).is_some_and(|b| b & (0x80 >> (offset & 7)) != 0)
}

/// Sets the bit at `offset` to `on`, growing `bytes` with zero bytes as needed, and returns
/// the previous bit. The caller bounds `offset` (by `proto-max-bulk-len`).
pub fn set_bit(bytes: &mut Vec<u8>, offset: u64, on: bool) -> bool {
    let byte = usize::try_from(offset >> 3).unwrap_or(usize::MAX);
    if byte >= bytes.len() {
        bytes.resize(byte + 1, 0);
    }
    let mask = 0x80u8 >> (offset & 7);
    let old = bytes[byte] & mask != 0;
    if on {
        bytes[byte] |= mask;
    } else {
        bytes[byte] &= !mask;
    }
    old
}

/// Resolves a `start end` range as Redis does for BITCOUNT and BITPOS: negative indexes
/// count from the end, both are clamped; `unit_len` is the length in bytes or in bits.
/// Returns `None` for an empty range.
pub fn resolve_range(start: i64, end: i64, unit_len: i64) -> Option<(u64, u64)> {
    let start = if start < 0 { unit_len.saturating_add(start).max(0) } else { start };
    let end = if end < 0 { unit_len.saturating_add(end).max(0) } else { end };
    let end = end.min(unit_len - 1);
    (start <= end && unit_len > 0).then_some((start as u64, end as u64))
}

/// The number of set bits in the inclusive bit range `first..=last`.
pub fn count_bits(bytes: &[u8], first: u64, last: u64) -> u64 {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    let Some(slice) = bytes.get(fb..=lb) else {
        return 0;
    };
    let mut total: u64 = slice.iter().map(|b| u64::from(b.count_ones())).sum();
    // Take away the bits of the first and last bytes that lie outside the range.
    let head = slice[0] & !(0xFFu8 >> (first & 7));
    let tail = slice[slice.len() - 1] & (0xFFu8.checked_shr(((last & 7) + 1) as u32).unwrap_or(0));
    total -= u64::from(head.count_ones()) + u64::from(tail.count_ones());
    total
}

/// The first bit equal to `bit` in the inclusive bit range `first..=last`, if any.
pub fn find_bit(bytes: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
    let mut pos = first;
    while pos <= last {
        let byte = bytes.get((pos >> 3) as usize).copied().unwrap_or(0);
        // Whole bytes that cannot hold the bit are skipped in one step.
        if pos & 7 == 0 && pos + 7 <= last && byte == if bit { 0 } else { 0xFF } {
            pos += 8;
            continue;
        }
        if (byte & (0x80 >> (pos & 7)) != 0) == bit {
            return Some(pos);
        }
        pos += 1;
    }
    None
}

/// The bitwise operations of BITOP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP: combines `sources` (missing keys are empty strings, shorter strings are padded
/// with zero bytes) into a result as long as the longest source.
pub fn bit_op(op: BitOp, sources: &[&[u8]]) -> Vec<u8> {
    let len = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    let byte = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    (0..len)
        .map(|i| {
            let mut values = sources.iter().map(|s| byte(s, i));
            let first = values.next().unwrap_or(0);
            match op {
                BitOp::Not => !first,
                BitOp::And => values.fold(first, |a, b| a & b),
                BitOp::Or => values.fold(first, |a, b| a | b),
                BitOp::Xor => values.fold(first, |a, b| a ^ b),
            }
        })
        .collect()
}

/// How BITFIELD handles a result that does not fit its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// A BITFIELD integer type: `i1`..`i64` or `u1`..`u63`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldType {
    pub signed: bool,
    pub bits: u32,
}

impl FieldType {
    /// Parses `i<bits>` / `u<bits>` (case-sensitive, as Redis).
    pub fn parse(arg: &[u8]) -> Option<FieldType> {
        let (&sign, digits) = arg.split_first()?;
        let signed = match sign {
            b'i' => true,
            b'u' => false,
            _ => return None,
        };
        let bits = super::string::parse_i64(digits)?;
        let max = if signed { 64 } else { 63 };
        (1..=max).contains(&bits).then_some(FieldType { signed, bits: bits as u32 })
    }

    /// `value + incr` fitted to the type under `overflow` (SET is an increment of 0);
    /// `None` when it does not fit and the policy is FAIL. Redis's
    /// `checkSignedBitfieldOverflow` / `checkUnsignedBitfieldOverflow` to the bit,
    /// including how their 64-bit arithmetic wraps: SET i8 of -2^63 under SAT gives 127,
    /// not -128, because the headroom `max - value` overflows to a negative number there.
    pub fn apply(self, value: i64, incr: i64, overflow: Overflow) -> Option<i64> {
        let bits = self.bits;
        if self.signed {
            let max: i64 = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
            let min = -max - 1;
            let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
            let min_incr = min.wrapping_sub(value);
            let high = value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr);
            let low =
                !high && (value < min || (bits != 64 && incr < min_incr) || (value < 0 && incr < 0 && incr < min_incr));
            if !high && !low {
                return Some(value.wrapping_add(incr));
            }
            match overflow {
                Overflow::Fail => None,
                Overflow::Sat => Some(if high { max } else { min }),
                Overflow::Wrap => {
                    let msb = 1u64 << (bits - 1);
                    let mut c = (value as u64).wrapping_add(incr as u64);
                    if bits < 64 {
                        let mask = u64::MAX << bits;
                        c = if c & msb != 0 { c | mask } else { c & !mask };
                    }
                    Some(c as i64)
                }
            }
        } else {
            // An unsigned field takes the value as C does: cast to 64 unsigned bits, so a
            // negative one overflows.
            let value = value as u64;
            let max: u64 = (1u64 << bits) - 1;
            let max_incr = max.wrapping_sub(value) as i64;
            let min_incr = value.wrapping_neg() as i64;
            let high = value > max || (incr > 0 && incr > max_incr);
            let low = !high && incr < 0 && incr < min_incr;
            if !high && !low {
                return Some(value.wrapping_add(incr as u64) as i64);
            }
            match overflow {
                Overflow::Fail => None,
                Overflow::Sat => Some(if high { max as i64 } else { 0 }),
                Overflow::Wrap => Some((value.wrapping_add(incr as u64) & !(u64::MAX << bits)) as i64),
            }
        }
    }
}

/// The field of type `ty` at bit `offset` (bits past the end read as 0).
pub fn get_field(bytes: &[u8], offset: u64, ty: FieldType) -> i64 {
    let mut raw: u64 = 0;
    for i in 0..u64::from(ty.bits) {
        raw = (raw << 1) | u64::from(get_bit(bytes, offset + i));
    }
    if ty.signed && ty.bits < 64 && raw & (1 << (ty.bits - 1)) != 0 {
        // Sign-extend.
        raw |= u64::MAX << ty.bits;
    }
    raw as i64
}

/// Writes the low `ty.bits` bits of `value` at bit `offset`, growing `bytes` as needed.
pub fn set_field(bytes: &mut Vec<u8>, offset: u64, ty: FieldType, value: i64) {
    let raw = value as u64;
    for i in 0..u64::from(ty.bits) {
        let bit = (raw >> (u64::from(ty.bits) - 1 - i)) & 1 != 0;
        set_bit(bytes, offset + i, bit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip() {
        let mut v = Vec::new();
        assert!(!set_bit(&mut v, 7, true));
        assert_eq!(v, vec![1]);
        assert!(set_bit(&mut v, 7, false));
        assert!(!set_bit(&mut v, 100, true));
        assert_eq!(v.len(), 13);
        assert!(get_bit(&v, 100));
        assert!(!get_bit(&v, 101));
        assert!(!get_bit(&v, u64::MAX));
    }

    #[test]
    fn counts_and_positions() {
        let s = b"foobar";
        assert_eq!(count_bits(s, 0, 47), 26);
        assert_eq!(count_bits(s, 8, 15), 6);
        assert_eq!(count_bits(s, 5, 30), 17);
        assert_eq!(resolve_range(-2, -1, 6), Some((4, 5)));
        assert_eq!(resolve_range(3, 1, 6), None);
        assert_eq!(resolve_range(0, -1, 0), None);
        assert_eq!(find_bit(&[0xff, 0xf0, 0], false, 0, 23), Some(12));
        assert_eq!(find_bit(&[0, 0xff, 0xf0], true, 0, 23), Some(8));
        assert_eq!(find_bit(&[0, 0, 0], true, 0, 23), None);
    }

    #[test]
    fn operations() {
        assert_eq!(bit_op(BitOp::And, &[b"\xff\x0f", b"\x0f"]), vec![0x0f, 0]);
        assert_eq!(bit_op(BitOp::Or, &[b"\xf0", b"\x0f\x01"]), vec![0xff, 1]);
        assert_eq!(bit_op(BitOp::Xor, &[b"\xff", b"\x0f"]), vec![0xf0]);
        assert_eq!(bit_op(BitOp::Not, &[b"\x0f"]), vec![0xf0]);
        assert!(bit_op(BitOp::Or, &[b"", b""]).is_empty());
    }

    #[test]
    fn fields() {
        let u8t = FieldType::parse(b"u8").unwrap();
        let i8t = FieldType::parse(b"i8").unwrap();
        assert_eq!(FieldType::parse(b"u64"), None);
        assert_eq!(FieldType::parse(b"i65"), None);
        assert_eq!(FieldType::parse(b"i0"), None);
        assert_eq!(FieldType::parse(b"I8"), None);
        assert!(FieldType::parse(b"i64").is_some() && FieldType::parse(b"u63").is_some());
        let mut v = Vec::new();
        set_field(&mut v, 4, i8t, -2);
        assert_eq!(v, vec![0x0f, 0xe0]);
        assert_eq!(get_field(&v, 4, i8t), -2);
        assert_eq!(get_field(&v, 4, u8t), 254);
        assert_eq!(get_field(&v, 100, u8t), 0);
        let i64t = FieldType::parse(b"i64").unwrap();
        set_field(&mut v, 3, i64t, i64::MIN);
        assert_eq!(get_field(&v, 3, i64t), i64::MIN);
        assert_eq!(u8t.apply(256, 0, Overflow::Wrap), Some(0));
        assert_eq!(u8t.apply(300, 0, Overflow::Sat), Some(255));
        assert_eq!(u8t.apply(0, -1, Overflow::Sat), Some(0));
        assert_eq!(u8t.apply(0, -1, Overflow::Wrap), Some(255));
        assert_eq!(u8t.apply(-1, 0, Overflow::Sat), Some(255));
        assert_eq!(u8t.apply(256, 0, Overflow::Fail), None);
        assert_eq!(i8t.apply(127, 1, Overflow::Wrap), Some(-128));
        assert_eq!(i8t.apply(-128, -1, Overflow::Sat), Some(-128));
        assert_eq!(i64t.apply(i64::MAX, 1, Overflow::Wrap), Some(i64::MIN));
        assert_eq!(i64t.apply(i64::MAX, 1, Overflow::Sat), Some(i64::MAX));
        // Redis's quirk (7.0.15 answers so): the headroom of a huge negative value wraps.
        assert_eq!(i8t.apply(i64::MIN, 0, Overflow::Sat), Some(127));
        assert_eq!(FieldType::parse(b"i1").unwrap().apply(i64::MIN, 0, Overflow::Sat), Some(0));
    }
}
