//! HyperLogLog in Redis's exact string format (see Redis's hyperloglog.c): a 16-byte header
//! ("HYLL", the encoding, 3 unused bytes, an 8-byte little-endian cached cardinality whose
//! top bit marks it stale) followed by the registers, 16384 of 6 bits each (dense), or
//! run-length opcodes (sparse). Elements are hashed with MurmurHash64A and Redis's seed, and
//! counted with Redis's improved estimator, so values and counts match Redis byte for byte
//! and number for number. New values start sparse, as in Redis, and become dense once a
//! register exceeds what the sparse form holds (32) or the value outgrows
//! `hll-sparse-max-bytes`.

/// Register index bits (16384 registers).
const P: u32 = 14;
/// Bits of the hash left for the run of zeros.
const Q: u32 = 64 - P;
pub const REGISTERS: usize = 1 << P;
const REGISTER_MAX: u8 = 63;
const HEADER: usize = 16;
/// The size of a dense value: the header and 16384 * 6 bits.
pub const DENSE_LEN: usize = HEADER + REGISTERS * 6 / 8;
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// Why a string is not usable as a HyperLogLog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HllError {
    /// Not a HyperLogLog at all (bad magic, encoding or size).
    Invalid,
    /// Looks like one, but its sparse opcodes do not add up.
    Corrupted,
}

/// MurmurHash64A, as Redis's hyperloglog.c has it (little-endian reads).
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for chunk in &mut chunks {
        let mut k = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, b) in tail.iter().enumerate() {
            h ^= u64::from(*b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element lands in, and the rank (length of the run of zeros + 1) it
/// offers: Redis's `hllPatLen`.
pub fn register_and_rank(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, 0xadc8_3b19);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    // The sentinel bit makes the count at most Q + 1.
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Checks that `bytes` is a HyperLogLog (Redis's `isHLLObjectOrReply`).
pub fn validate(bytes: &[u8]) -> Result<(), HllError> {
    if bytes.len() < HEADER || &bytes[..4] != b"HYLL" || bytes[4] > SPARSE {
        return Err(HllError::Invalid);
    }
    if bytes[4] == DENSE && bytes.len() != DENSE_LEN {
        return Err(HllError::Invalid);
    }
    Ok(())
}

/// Largest register value the sparse encoding can hold.
const SPARSE_VAL_MAX: u8 = 32;

/// A new, empty HyperLogLog (sparse: the header and one XZERO covering every register).
pub fn new_sparse() -> Vec<u8> {
    let mut v = new_header(SPARSE);
    encode_sparse(&vec![0; REGISTERS], &mut v);
    v
}

fn new_header(encoding: u8) -> Vec<u8> {
    let mut v = vec![0u8; HEADER];
    v[..4].copy_from_slice(b"HYLL");
    v[4] = encoding;
    v
}

/// Appends the sparse opcodes for `regs` (all at most 32) to `out`.
fn encode_sparse(regs: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < regs.len() {
        let value = regs[i];
        let run = regs[i..].iter().take_while(|&&r| r == value).count();
        i += run;
        if value == 0 {
            let mut left = run;
            while left > 0 {
                let n = left.min(REGISTERS);
                if n > 64 {
                    // XZERO: 01xxxxxx yyyyyyyy, length - 1 in 14 bits.
                    out.push(0x40 | ((n - 1) >> 8) as u8);
                    out.push(((n - 1) & 0xFF) as u8);
                } else {
                    // ZERO: 00xxxxxx, length - 1 in 6 bits.
                    out.push((n - 1) as u8);
                }
                left -= n;
            }
        } else {
            let mut left = run;
            while left > 0 {
                let n = left.min(4);
                // VAL: 1vvvvvxx, value - 1 in 5 bits, length - 1 in 2 bits.
                out.push(0x80 | ((value - 1) << 2) | (n - 1) as u8);
                left -= n;
            }
        }
    }
}

/// `bytes` (valid, either encoding) rewritten with `regs`, sparse when every register fits
/// and the result is at most `sparse_max` bytes, dense otherwise; the cache byte is kept.
fn rewrite(bytes: &mut Vec<u8>, regs: &[u8], sparse_max: usize) {
    if bytes[4] == SPARSE && regs.iter().all(|&r| r <= SPARSE_VAL_MAX) {
        let mut sparse = new_header(SPARSE);
        sparse[5..HEADER].copy_from_slice(&bytes[5..HEADER]);
        encode_sparse(regs, &mut sparse);
        if sparse.len() <= sparse_max {
            *bytes = sparse;
            return;
        }
    }
    let mut dense = new_dense();
    dense[5..HEADER].copy_from_slice(&bytes[5..HEADER]);
    for (i, r) in regs.iter().enumerate().filter(|(_, r)| **r != 0) {
        dense_set(&mut dense[HEADER..], i, *r);
    }
    *bytes = dense;
}

/// Whether a valid HyperLogLog is sparse.
pub fn is_sparse(bytes: &[u8]) -> bool {
    bytes.get(4) == Some(&SPARSE)
}

/// A new, empty HyperLogLog (dense).
pub fn new_dense() -> Vec<u8> {
    let mut v = vec![0u8; DENSE_LEN];
    v[..4].copy_from_slice(b"HYLL");
    v
}

fn dense_get(regs: &[u8], index: usize) -> u8 {
    let bit = index * 6;
    let (byte, fb) = (bit / 8, bit % 8);
    let b0 = u16::from(regs[byte]);
    let b1 = u16::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) & u16::from(REGISTER_MAX)) as u8
}

fn dense_set(regs: &mut [u8], index: usize, value: u8) {
    let bit = index * 6;
    let (byte, fb) = (bit / 8, bit % 8);
    let v = u16::from(value);
    let word = u16::from(regs[byte]) | (u16::from(regs.get(byte + 1).copied().unwrap_or(0)) << 8);
    let word = (word & !(u16::from(REGISTER_MAX) << fb)) | (v << fb);
    regs[byte] = word as u8;
    if let Some(next) = regs.get_mut(byte + 1) {
        *next = (word >> 8) as u8;
    }
}

/// All register values of a valid HyperLogLog, whichever its encoding.
pub fn registers(bytes: &[u8]) -> Result<Vec<u8>, HllError> {
    validate(bytes)?;
    let body = &bytes[HEADER..];
    if bytes[4] == DENSE {
        return Ok((0..REGISTERS).map(|i| dense_get(body, i)).collect());
    }
    let mut regs = Vec::with_capacity(REGISTERS);
    let mut i = 0;
    while i < body.len() {
        let op = body[i];
        let (value, run) = if op & 0xC0 == 0 {
            // ZERO: 00xxxxxx, a run of 1..64 zero registers.
            i += 1;
            (0, usize::from(op & 0x3F) + 1)
        } else if op & 0xC0 == 0x40 {
            // XZERO: 01xxxxxx yyyyyyyy, a run of 1..16384 zero registers.
            let low = *body.get(i + 1).ok_or(HllError::Corrupted)?;
            i += 2;
            (0, ((usize::from(op & 0x3F) << 8) | usize::from(low)) + 1)
        } else {
            // VAL: 1vvvvvxx, a run of 1..4 registers holding 1..32.
            i += 1;
            (((op >> 2) & 0x1F) + 1, usize::from(op & 0x03) + 1)
        };
        if regs.len() + run > REGISTERS {
            return Err(HllError::Corrupted);
        }
        regs.resize(regs.len() + run, value);
    }
    if regs.len() != REGISTERS {
        return Err(HllError::Corrupted);
    }
    Ok(regs)
}

/// Converts a valid HyperLogLog to the dense encoding in place (the cache is kept).
fn to_dense(bytes: &mut Vec<u8>) -> Result<(), HllError> {
    if bytes[4] == DENSE {
        return Ok(());
    }
    let regs = registers(bytes)?;
    let mut dense = new_dense();
    dense[5..HEADER].copy_from_slice(&bytes[5..HEADER]);
    for (i, r) in regs.iter().enumerate().filter(|(_, r)| **r != 0) {
        dense_set(&mut dense[HEADER..], i, *r);
    }
    *bytes = dense;
    Ok(())
}

/// Marks the cached cardinality stale (the top bit of the header's last count byte).
pub fn invalidate_cache(bytes: &mut [u8]) {
    bytes[15] |= 0x80;
}

/// PFADD of several elements: raises registers and returns whether any changed. A sparse
/// value stays sparse while it can (see [`rewrite`]). `bytes` must be valid.
pub fn add(bytes: &mut Vec<u8>, elements: &[impl AsRef<[u8]>], sparse_max: usize) -> Result<bool, HllError> {
    let mut changed = false;
    if bytes[4] == DENSE {
        for element in elements {
            let (index, rank) = register_and_rank(element.as_ref());
            if dense_get(&bytes[HEADER..], index) < rank {
                dense_set(&mut bytes[HEADER..], index, rank);
                changed = true;
            }
        }
    } else {
        let mut regs = registers(bytes)?;
        for element in elements {
            let (index, rank) = register_and_rank(element.as_ref());
            if regs[index] < rank {
                regs[index] = rank;
                changed = true;
            }
        }
        if changed {
            rewrite(bytes, &regs, sparse_max);
        }
    }
    if changed {
        invalidate_cache(bytes);
    }
    Ok(changed)
}

/// Converts to dense (PFDEBUG TODENSE); true when it was sparse.
pub fn make_dense(bytes: &mut Vec<u8>) -> Result<bool, HllError> {
    let was_sparse = is_sparse(bytes);
    to_dense(bytes)?;
    Ok(was_sparse)
}

/// The sparse opcodes in Redis's PFDEBUG DECODE notation: `z:<len>`, `Z:<len>`, `v:<value>,<len>`.
pub fn decode_sparse(bytes: &[u8]) -> Result<String, HllError> {
    validate(bytes)?;
    let body = &bytes[HEADER..];
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let op = body[i];
        if op & 0xC0 == 0 {
            out.push(format!("z:{}", usize::from(op & 0x3F) + 1));
            i += 1;
        } else if op & 0xC0 == 0x40 {
            let low = *body.get(i + 1).ok_or(HllError::Corrupted)?;
            out.push(format!("Z:{}", ((usize::from(op & 0x3F) << 8) | usize::from(low)) + 1));
            i += 2;
        } else {
            out.push(format!("v:{},{}", ((op >> 2) & 0x1F) + 1, (op & 0x03) + 1));
            i += 1;
        }
    }
    Ok(out.join(" "))
}

/// Raises the registers of `max` to those of `bytes` (PFMERGE, multi-key PFCOUNT).
pub fn merge_into(max: &mut [u8], bytes: &[u8]) -> Result<(), HllError> {
    for (m, r) in max.iter_mut().zip(registers(bytes)?) {
        *m = (*m).max(r);
    }
    Ok(())
}

/// Writes `regs` into a (valid) HyperLogLog and marks its cache stale: dense when `dense`
/// (PFMERGE with a dense input, as Redis 7.0), else kept sparse while it can be.
pub fn store_registers(bytes: &mut Vec<u8>, regs: &[u8], dense: bool, sparse_max: usize) -> Result<(), HllError> {
    validate(bytes)?;
    if dense {
        to_dense(bytes)?;
    }
    rewrite(bytes, regs, sparse_max);
    invalidate_cache(bytes);
    Ok(())
}

/// The cached cardinality, if it is fresh.
pub fn cached_count(bytes: &[u8]) -> Option<u64> {
    let card: [u8; 8] = bytes.get(8..HEADER)?.try_into().ok()?;
    (card[7] & 0x80 == 0).then(|| u64::from_le_bytes(card))
}

/// Stores a fresh cached cardinality.
pub fn set_cached_count(bytes: &mut [u8], count: u64) {
    bytes[8..HEADER].copy_from_slice(&count.to_le_bytes());
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if previous == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if previous == z {
            return z / 3.0;
        }
    }
}

/// Redis's improved estimator (Ertl) over register values.
pub fn estimate(regs: &[u8]) -> u64 {
    let mut histogram = [0u32; 64];
    for r in regs {
        histogram[usize::from(*r & REGISTER_MAX)] += 1;
    }
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(histogram[Q as usize + 1])) / m);
    for j in (1..=Q as usize).rev() {
        z += f64::from(histogram[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(histogram[0]) / m);
    (ALPHA_INF * m * m / z).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_round_trip() {
        let mut v = new_dense();
        for i in [0, 1, 2, 3, 100, REGISTERS - 1] {
            dense_set(&mut v[HEADER..], i, (i % 64) as u8);
        }
        dense_set(&mut v[HEADER..], 5, 63);
        for i in [0, 1, 2, 3, 100, REGISTERS - 1] {
            assert_eq!(dense_get(&v[HEADER..], i), (i % 64) as u8);
        }
        assert_eq!(dense_get(&v[HEADER..], 5), 63);
        assert_eq!(dense_get(&v[HEADER..], 4), 0);
        assert_eq!(dense_get(&v[HEADER..], 6), 0);
    }

    #[test]
    fn sparse_values_read() {
        // Redis's empty value: one XZERO opcode covering all 16384 registers.
        let mut v = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        v.extend_from_slice(&[0x7f, 0xff]);
        assert_eq!(estimate(&registers(&v).unwrap()), 0);
        assert_eq!(new_sparse(), v, "a new value is Redis's empty sparse value");
        assert!(add(&mut v, &[b"a"], 3000).unwrap());
        assert!(is_sparse(&v), "a small value stays sparse");
        assert_eq!(estimate(&registers(&v).unwrap()), 1);
        assert_eq!(registers(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x01"), Err(HllError::Corrupted));
        assert_eq!(validate(b"HYLL"), Err(HllError::Invalid));
    }

    #[test]
    fn counts_match_redis() {
        // Values from Redis 7.0.15.
        for mut v in [new_dense(), new_sparse()] {
            let letters: Vec<String> = ('a'..='z').map(String::from).collect();
            add(&mut v, &letters, 3000).unwrap();
            assert_eq!(estimate(&registers(&v).unwrap()), 25);
        }
        for mut v in [new_dense(), new_sparse()] {
            let elements: Vec<String> = (0..10_000).map(|i| format!("element:{i}")).collect();
            add(&mut v, &elements, 3000).unwrap();
            assert_eq!(estimate(&registers(&v).unwrap()), 10017);
            assert!(!is_sparse(&v), "10,000 elements outgrow 3000 sparse bytes");
        }
    }

    #[test]
    fn sparse_opcodes_match_redis() {
        // PFADD h a b c on Redis 7.0.15: PFDEBUG DECODE and STRLEN.
        let mut v = new_sparse();
        add(&mut v, &[b"a", b"b", b"c"], 3000).unwrap();
        assert_eq!(decode_sparse(&v).unwrap(), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
        assert_eq!(v.len(), 27);
        // Short zero runs use ZERO, long ones XZERO; runs of a value are split by 4.
        let mut regs = vec![0u8; REGISTERS];
        regs[10..16].fill(5);
        regs[80] = 32;
        let mut out = Vec::new();
        encode_sparse(&regs, &mut out);
        let mut with_header = new_header(SPARSE);
        with_header.extend_from_slice(&out);
        assert_eq!(decode_sparse(&with_header).unwrap(), "z:10 v:5,4 v:5,2 z:64 v:32,1 Z:16303");
        assert_eq!(registers(&with_header).unwrap(), regs);
    }

    #[test]
    fn a_register_over_32_or_a_long_value_makes_it_dense() {
        let mut v = new_sparse();
        let mut regs = vec![0u8; REGISTERS];
        regs[7] = 33;
        rewrite(&mut v, &regs, 3000);
        assert!(!is_sparse(&v));
        assert_eq!(registers(&v).unwrap(), regs);
        let mut v = new_sparse();
        let regs: Vec<u8> = (0..REGISTERS).map(|i| (i % 3) as u8).collect();
        rewrite(&mut v, &regs, 3000);
        assert!(!is_sparse(&v), "alternating values need more than 3000 bytes");
        let mut v = new_sparse();
        rewrite(&mut v, &regs, 32768);
        assert!(is_sparse(&v));
        assert_eq!(registers(&v).unwrap(), regs);
    }
}
