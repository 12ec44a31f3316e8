//! Redis's packed encodings as RDB files carry them inside strings: listpacks (7.0+),
//! ziplists (before 7.0), intsets and zipmaps (before 2.6). Each is read into its elements
//! (integers as decimal text, the way Redis returns them), checking every length against
//! the bytes there are.

/// One element: bytes, or an integer the encoding packed.
pub enum Element<'a> {
    Bytes(&'a [u8]),
    Int(i64),
}

impl Element<'_> {
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Element::Bytes(b) => b.to_vec(),
            Element::Int(n) => n.to_string().into_bytes(),
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Element::Int(n) => Some(*n),
            Element::Bytes(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        }
    }
}

fn take<'a>(input: &'a [u8], at: &mut usize, n: usize) -> Option<&'a [u8]> {
    let bytes = input.get(*at..at.checked_add(n)?)?;
    *at += n;
    Some(bytes)
}

fn le(bytes: &[u8]) -> u64 {
    bytes.iter().rev().fold(0, |n, &b| (n << 8) | u64::from(b))
}

/// Sign-extends the low `bits` of `n`.
fn signed(n: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((n << shift) as i64) >> shift
}

/// The elements of a listpack: `total:u32 count:u16 (element backlen)* 0xFF`.
pub fn listpack(lp: &[u8]) -> Option<Vec<Element<'_>>> {
    if lp.len() < 7 || le(&lp[..4]) != lp.len() as u64 || lp.last() != Some(&0xFF) {
        return None;
    }
    let mut at = 6;
    let mut out = Vec::new();
    while at < lp.len() - 1 {
        let start = at;
        let byte = lp[at];
        at += 1;
        let element = if byte & 0x80 == 0 {
            Element::Int(i64::from(byte))
        } else if byte & 0xC0 == 0x80 {
            Element::Bytes(take(lp, &mut at, usize::from(byte & 0x3F))?)
        } else if byte & 0xE0 == 0xC0 {
            let low = *take(lp, &mut at, 1)?.first()?;
            Element::Int(signed((u64::from(byte & 0x1F) << 8) | u64::from(low), 13))
        } else if byte & 0xF0 == 0xE0 {
            let low = *take(lp, &mut at, 1)?.first()?;
            Element::Bytes(take(lp, &mut at, (usize::from(byte & 0x0F) << 8) | usize::from(low))?)
        } else {
            match byte {
                0xF0 => {
                    let len = le(take(lp, &mut at, 4)?) as usize;
                    Element::Bytes(take(lp, &mut at, len)?)
                }
                0xF1 => Element::Int(signed(le(take(lp, &mut at, 2)?), 16)),
                0xF2 => Element::Int(signed(le(take(lp, &mut at, 3)?), 24)),
                0xF3 => Element::Int(signed(le(take(lp, &mut at, 4)?), 32)),
                0xF4 => Element::Int(le(take(lp, &mut at, 8)?) as i64),
                _ => return None,
            }
        };
        // The back-length: 1 to 5 bytes, by the size of what precedes it.
        let back = crate::types::list::listpack_backlen_size(at - start);
        take(lp, &mut at, back)?;
        out.push(element);
    }
    Some(out)
}

/// The elements of a ziplist: `zlbytes:u32 zltail:u32 zllen:u16 (prevlen encoding data)* 0xFF`.
pub fn ziplist(zl: &[u8]) -> Option<Vec<Element<'_>>> {
    if zl.len() < 11 || le(&zl[..4]) != zl.len() as u64 || zl.last() != Some(&0xFF) {
        return None;
    }
    let mut at = 10;
    let mut out = Vec::new();
    while at < zl.len() - 1 {
        // The previous entry's length: one byte, or 0xFE and four.
        if *zl.get(at)? == 0xFE {
            at += 5;
        } else {
            at += 1;
        }
        let byte = *zl.get(at)?;
        at += 1;
        let element = match byte >> 6 {
            0 => Element::Bytes(take(zl, &mut at, usize::from(byte & 0x3F))?),
            1 => {
                let low = *take(zl, &mut at, 1)?.first()?;
                Element::Bytes(take(zl, &mut at, (usize::from(byte & 0x3F) << 8) | usize::from(low))?)
            }
            2 => {
                let len = take(zl, &mut at, 4)?.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b));
                Element::Bytes(take(zl, &mut at, len)?)
            }
            _ => match byte {
                0xC0 => Element::Int(signed(le(take(zl, &mut at, 2)?), 16)),
                0xD0 => Element::Int(signed(le(take(zl, &mut at, 4)?), 32)),
                0xE0 => Element::Int(le(take(zl, &mut at, 8)?) as i64),
                0xF0 => Element::Int(signed(le(take(zl, &mut at, 3)?), 24)),
                0xFE => Element::Int(signed(le(take(zl, &mut at, 1)?), 8)),
                0xF1..=0xFD => Element::Int(i64::from(byte & 0x0F) - 1),
                _ => return None,
            },
        };
        out.push(element);
    }
    Some(out)
}

/// The members of an intset: `encoding:u32 (2, 4 or 8) length:u32 integers`, little-endian.
pub fn intset(is: &[u8]) -> Option<Vec<i64>> {
    let width = le(is.get(..4)?) as usize;
    let count = le(is.get(4..8)?) as usize;
    if !matches!(width, 2 | 4 | 8) || is.len() != 8 + width.checked_mul(count)? {
        return None;
    }
    Some(is[8..].chunks_exact(width).map(|n| signed(le(n), width as u32 * 8)).collect())
}

/// The field/value pairs of a zipmap (hashes of Redis before 2.6).
pub fn zipmap(zm: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut at = 1;
    let mut pairs = Vec::new();
    let len = |at: &mut usize| -> Option<usize> {
        let first = *zm.get(*at)?;
        *at += 1;
        match first {
            0..=253 => Some(usize::from(first)),
            254 => Some(le(take(zm, at, 4)?) as usize),
            _ => None,
        }
    };
    loop {
        if *zm.get(at)? == 0xFF {
            return (at + 1 == zm.len()).then_some(pairs);
        }
        let field_len = len(&mut at)?;
        let field = take(zm, &mut at, field_len)?;
        let value_len = len(&mut at)?;
        let free = usize::from(*take(zm, &mut at, 1)?.first()?);
        let value = take(zm, &mut at, value_len)?;
        take(zm, &mut at, free)?;
        pairs.push((field, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(elements: Vec<Element<'_>>) -> Vec<String> {
        elements.iter().map(|e| String::from_utf8(e.to_vec()).unwrap()).collect()
    }

    #[test]
    fn listpacks_read_what_the_writer_wrote() {
        // 7-bit 5, 13-bit -1, "ab", 16-bit 1000.
        let lp = [17, 0, 0, 0, 4, 0, 5, 1, 0xDF, 0xFF, 2, 0x82, b'a', b'b', 3, 0xF1, 0xE8, 0x03, 3, 0xFF];
        let mut lp = lp.to_vec();
        lp[0] = lp.len() as u8;
        assert_eq!(texts(listpack(&lp).unwrap()), ["5", "-1", "ab", "1000"]);
        // A length field that does not match, or an element running past the end.
        assert!(listpack(&lp[..lp.len() - 1]).is_none());
        let mut bad = lp.clone();
        bad[11] = 0x8F;
        assert!(listpack(&bad).is_none());
    }

    #[test]
    fn ziplists_intsets_and_zipmaps() {
        // Entries "a" and the immediate 7 (0xF8), then the end.
        let mut zl = vec![0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0x01, b'a', 3, 0xF8, 0xFF];
        zl[0] = zl.len() as u8;
        assert_eq!(texts(ziplist(&zl).unwrap()), ["a", "7"]);
        let is = [2, 0, 0, 0, 2, 0, 0, 0, 0xFF, 0xFF, 5, 0];
        assert_eq!(intset(&is), Some(vec![-1, 5]));
        assert_eq!(intset(&is[..11]), None);
        let zm = [1, 1, b'f', 2, 0, b'v', b'1', 0xFF];
        assert_eq!(zipmap(&zm), Some(vec![(&b"f"[..], &b"v1"[..])]));
    }
}
