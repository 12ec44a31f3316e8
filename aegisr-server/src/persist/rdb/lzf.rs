//! LZF decompression (liblzf's format, which Redis uses for strings in RDB files with
//! `rdbcompression yes`): literal runs and back references, every one bounds-checked.

/// Decompresses `input` into exactly `expected` bytes; `None` if the data is malformed or
/// does not come to that length.
pub fn decompress(input: &[u8], expected: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(expected);
    let mut i = 0;
    while i < input.len() {
        let ctrl = usize::from(input[i]);
        i += 1;
        if ctrl < 32 {
            // A literal run of ctrl + 1 bytes.
            let run = ctrl + 1;
            let literal = input.get(i..i + run)?;
            if out.len() + run > expected {
                return None;
            }
            out.extend_from_slice(literal);
            i += run;
        } else {
            // A back reference: length (3 bits, or 7 + the next byte), then the distance.
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(i)?);
                i += 1;
            }
            len += 2;
            let distance = ((ctrl & 0x1F) << 8) + usize::from(*input.get(i)?) + 1;
            i += 1;
            if distance > out.len() || out.len() + len > expected {
                return None;
            }
            // Byte by byte: the reference may overlap what it writes.
            let from = out.len() - distance;
            for k in 0..len {
                let byte = out[from + k];
                out.push(byte);
            }
        }
    }
    (out.len() == expected).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::decompress;

    #[test]
    fn literals_and_overlapping_references() {
        // "abc" literal, then a back reference of 6 bytes at distance 3: "abcabcabc".
        let data = [2, b'a', b'b', b'c', (4 << 5), 2];
        assert_eq!(decompress(&data, 9).as_deref(), Some(&b"abcabcabc"[..]));
        // Wrong expected length, reference before the start, truncated literal.
        assert_eq!(decompress(&data, 8), None);
        assert_eq!(decompress(&[(1 << 5), 5], 3), None);
        assert_eq!(decompress(&[5, b'a'], 6), None);
    }
}
