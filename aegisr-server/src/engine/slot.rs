//! Hash slots: every key belongs to one of 16384 slots, computed exactly as Redis Cluster
//! does (CRC16/XMODEM of the key, or of its first non-empty `{hashtag}`, mod 16384).

/// Number of hash slots, as in Redis Cluster.
pub const SLOT_COUNT: usize = 16384;

const fn crc16_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

static CRC16_TABLE: [u16; 256] = crc16_table();

/// `SLICES[k][b]`: the CRC of byte `b` followed by `k` zero bytes, so eight bytes are
/// folded in at once from eight independent lookups ("slicing-by-8") instead of a chain
/// of eight dependent ones: every command hashes its keys, so this is on the hot path.
const fn crc16_slices() -> [[u16; 256]; 8] {
    let mut slices = [[0u16; 256]; 8];
    slices[0] = crc16_table();
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let previous = slices[k - 1][i];
            slices[k][i] = (previous << 8) ^ slices[0][(previous >> 8) as usize];
            i += 1;
        }
        k += 1;
    }
    slices
}

static CRC16_SLICES: [[u16; 256]; 8] = crc16_slices();

/// CRC16-CCITT (XMODEM), the checksum Redis Cluster uses for key slots.
pub fn crc16(bytes: &[u8]) -> u16 {
    let t = &CRC16_SLICES;
    let mut chunks = bytes.chunks_exact(8);
    let mut crc = 0u16;
    for c in &mut chunks {
        // The running CRC meets the first two bytes; each byte then contributes its CRC
        // shifted past the bytes that follow it.
        let [high, low] = crc.to_be_bytes();
        crc = t[7][usize::from(c[0] ^ high)]
            ^ t[6][usize::from(c[1] ^ low)]
            ^ t[5][usize::from(c[2])]
            ^ t[4][usize::from(c[3])]
            ^ t[3][usize::from(c[4])]
            ^ t[2][usize::from(c[5])]
            ^ t[1][usize::from(c[6])]
            ^ t[0][usize::from(c[7])];
    }
    chunks.remainder().iter().fold(crc, |crc, &b| (crc << 8) ^ CRC16_TABLE[usize::from(((crc >> 8) as u8) ^ b)])
}

/// Keys up to this long have their slot remembered (see [`key_slot`]).
const MEMO_LEN: usize = 32;

/// The last short key a thread computed the slot of, and that slot.
#[derive(Clone, Copy)]
struct SlotMemo {
    key: [u8; MEMO_LEN],
    /// `u8::MAX`: nothing remembered (longer than any key kept).
    len: u8,
    slot: u16,
}

thread_local! {
    static LAST_SLOT: std::cell::Cell<SlotMemo> =
        const { std::cell::Cell::new(SlotMemo { key: [0; MEMO_LEN], len: u8::MAX, slot: 0 }) };
}

/// The slot of `key`: only the part inside the first `{...}` counts when it is non-empty,
/// so related keys can be kept together. A command asks for its key's slot several times
/// (to lock its shard, to find its table, to prefetch): each thread remembers the last
/// short key's slot, compared byte for byte.
pub fn key_slot(key: &[u8]) -> u16 {
    if key.len() > MEMO_LEN {
        return compute_slot(key);
    }
    LAST_SLOT.with(|last| {
        let memo = last.get();
        if usize::from(memo.len) == key.len() && short_eq(&memo.key[..key.len()], key) {
            return memo.slot;
        }
        let slot = compute_slot(key);
        let mut copy = [0; MEMO_LEN];
        copy[..key.len()].copy_from_slice(key);
        last.set(SlotMemo { key: copy, len: key.len() as u8, slot });
        slot
    })
}

/// Whether two slices of the same length (at most [`MEMO_LEN`]) are equal, compared a
/// word at a time: for a key of a few bytes the call into `memcmp` that `==` makes costs
/// more than the comparison, and this runs several times per command.
fn short_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
    match n {
        // Overlapping words cover every length from 8 up.
        8.. => (0..n - 8).step_by(8).all(|at| word(a, at) == word(b, at)) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a.iter().zip(b).all(|(x, y)| x == y),
    }
}

fn compute_slot(key: &[u8]) -> u16 {
    let hashed = match memchr::memchr(b'{', key) {
        Some(open) => match memchr::memchr(b'}', &key[open + 1..]) {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16(hashed) & (SLOT_COUNT as u16 - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_eq_agrees_with_slice_equality_at_every_length_and_position() {
        let base: Vec<u8> = (0..MEMO_LEN as u8).map(|i| i.wrapping_mul(37).wrapping_add(1)).collect();
        for len in 0..=MEMO_LEN {
            let a = &base[..len];
            assert!(short_eq(a, a));
            for flip in 0..len {
                let mut b = a.to_vec();
                b[flip] ^= 0x40;
                assert!(!short_eq(a, &b), "length {len}, byte {flip} differs");
            }
        }
        assert!(!short_eq(b"abc", b"abcd"));
    }

    #[test]
    fn crc16_matches_the_redis_cluster_reference_vector() {
        // The check value given in the Redis Cluster specification.
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }

    #[test]
    fn sliced_crc16_matches_the_bytewise_definition() {
        let bytewise = |bytes: &[u8]| {
            bytes.iter().fold(0u16, |crc, &b| (crc << 8) ^ CRC16_TABLE[usize::from(((crc >> 8) as u8) ^ b)])
        };
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in 0..80 {
            for _ in 0..20 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        state as u8
                    })
                    .collect();
                assert_eq!(crc16(&bytes), bytewise(&bytes), "{bytes:?}");
            }
        }
    }

    #[test]
    fn slots_match_redis_cluster_keyslot() {
        // Values from `CLUSTER KEYSLOT` on Redis 7.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"key:0000000001"), key_slot(b"key:0000000001"));
        assert_eq!(key_slot(b""), 0);
    }

    #[test]
    fn remembered_slots_are_those_of_the_same_bytes() {
        // Alternating keys of one length, a key and its prefix, long keys: every answer is
        // the computed one.
        let keys: [&[u8]; 7] = [b"foo", b"bar", b"foo", b"fo", b"", b"{user1000}.following", &[b'x'; 40]];
        for _ in 0..3 {
            for key in keys {
                assert_eq!(key_slot(key), compute_slot(key), "{key:?}");
            }
        }
        assert_eq!(key_slot(&[0u8; 32]), compute_slot(&[0u8; 32]));
        assert_eq!(key_slot(&[0u8; 31]), compute_slot(&[0u8; 31]));
    }

    #[test]
    fn hashtags_select_the_hashed_part() {
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"{user1000}.followers"), key_slot(b"{user1000}.following"));
        // An empty tag hashes the whole key; only the first tag counts.
        assert_eq!(key_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") & 16383);
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(key_slot(b"foo{bar}{zap}"), key_slot(b"bar"));
        // No closing brace: the whole key.
        assert_eq!(key_slot(b"foo{bar"), crc16(b"foo{bar") & 16383);
    }
}
