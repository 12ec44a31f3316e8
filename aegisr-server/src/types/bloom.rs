//! Scalable Bloom filters, sized, hashed and grown exactly as RedisBloom's (its `sb.c` and
//! the `bloom.c` it builds on), so a filter here answers the same as one there, bit for bit:
//!
//! - a sub-filter for `capacity` items at false-positive rate `error` has
//!   `bpe = -ln(error) / ln(2)^2` bits per item, `floor(capacity * bpe)` bits rounded up to
//!   a whole number of 64-bit words, and `ceil(ln(2) * bpe)` hash functions;
//! - an item is hashed once with MurmurHash64A: `a = murmur(item, 0xc6a4a7935bd1e995)`,
//!   `b = murmur(item, a)`, and its `i`-th bit is `(a + i * b) mod bits` (wrapping 64-bit
//!   arithmetic, double hashing). The hash is fixed, never seeded per process, so stored
//!   filters stay valid across restarts and versions;
//! - a scaling filter starts at half the requested error rate, and when its newest
//!   sub-filter holds `capacity` items it adds one `expansion` times larger at half the
//!   previous error rate, so the compound rate stays below the requested one
//!   (`e/2 + e/4 + ... < e`). A non-scaling filter keeps the requested rate and refuses new
//!   items once full.
//!
//! Bit `x` of a sub-filter is bit `x % 64` of word `x / 64`: the little-endian bytes of the
//! words are RedisBloom's byte array (bit `x % 8` of byte `x / 8`).

use crate::types::hll::murmur64a;

/// The seed of the first hash (RedisBloom's `bloom_calc_hash64`).
const HASH_SEED: u64 = 0xc6a4_a793_5bd1_e995;
/// ln(2) and ln(2)^2, with the digits RedisBloom uses (not `std::f64::consts::LN_2`), so
/// hash counts and sizes match its own to the bit.
#[allow(clippy::approx_constant)]
const LN2: f64 = 0.693_147_180_559_945;
const LN2_SQUARED: f64 = 0.480_453_013_918_201;
/// Each new sub-filter's error rate is the previous one's times this.
const TIGHTENING: f64 = 0.5;
/// The bookkeeping RedisBloom counts in a filter's size beside the bits: the chain header,
/// and a header per sub-filter (BF.INFO's "Size" is this plus the bit arrays).
const CHAIN_OVERHEAD: u64 = 32;
const LINK_OVERHEAD: u64 = 64;

/// Why a filter could not be made, or an item not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BloomError {
    /// A non-scaling filter already holds its capacity.
    Full,
    /// The (next) sub-filter would take the filter past the size limit.
    TooLarge,
}

/// One fixed-size Bloom filter in the chain.
#[derive(Debug, Clone, PartialEq)]
struct SubFilter {
    words: Box<[u64]>,
    /// Items it is sized for.
    capacity: u64,
    /// Its false-positive rate.
    error: f64,
    hashes: u32,
    /// Items added to it.
    items: u64,
}

/// The size of a sub-filter for `capacity` items at rate `error`: (words, hashes), or
/// `None` when it would be larger than `max_bytes`.
fn sub_filter_shape(capacity: u64, error: f64, max_bytes: u64) -> Option<(usize, u32)> {
    let bits_per_item = (error.ln() / LN2_SQUARED).abs();
    let bits = (capacity as f64 * bits_per_item).floor();
    // Checked in floating point first: the product may not fit any integer.
    if !bits.is_finite() || bits > max_bytes.saturating_mul(8) as f64 {
        return None;
    }
    let bits = (bits as u64).max(1);
    let words = bits.div_ceil(64);
    if words.checked_mul(8)? > max_bytes {
        return None;
    }
    let hashes = (LN2 * bits_per_item).ceil() as u32;
    Some((usize::try_from(words).ok()?, hashes))
}

/// An item's hash pair.
fn hash(item: &[u8]) -> (u64, u64) {
    let a = murmur64a(item, HASH_SEED);
    (a, murmur64a(item, a))
}

impl SubFilter {
    fn new(capacity: u64, error: f64, max_bytes: u64) -> Result<SubFilter, BloomError> {
        let (words, hashes) = sub_filter_shape(capacity, error, max_bytes).ok_or(BloomError::TooLarge)?;
        Ok(SubFilter { words: vec![0u64; words].into_boxed_slice(), capacity, error, hashes, items: 0 })
    }

    fn bits(&self) -> u64 {
        self.words.len() as u64 * 64
    }

    fn bytes(&self) -> u64 {
        self.words.len() as u64 * 8
    }

    fn positions(&self, (a, b): (u64, u64)) -> impl Iterator<Item = (usize, u64)> + use<> {
        let bits = self.bits();
        (0..u64::from(self.hashes)).map(move |i| {
            let x = a.wrapping_add(i.wrapping_mul(b)) % bits;
            ((x / 64) as usize, 1u64 << (x % 64))
        })
    }

    fn contains(&self, h: (u64, u64)) -> bool {
        self.positions(h).all(|(word, mask)| self.words[word] & mask != 0)
    }

    fn insert(&mut self, h: (u64, u64)) {
        for (word, mask) in self.positions(h) {
            self.words[word] |= mask;
        }
        self.items += 1;
    }
}

/// A scalable Bloom filter: a chain of sub-filters, newest last.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalableBloom {
    filters: Vec<SubFilter>,
    /// Items added (each one set at least one new bit when it was added).
    items: u64,
    /// How much larger each new sub-filter is; `None` for a non-scaling filter.
    expansion: Option<u32>,
}

impl ScalableBloom {
    /// A filter for `capacity` items at compound false-positive rate `error` (0 < error < 1,
    /// capacity > 0: the caller validates). `expansion: None` makes it non-scaling. Fails
    /// when the first sub-filter alone would be larger than `max_bytes`.
    pub fn new(capacity: u64, error: f64, expansion: Option<u32>, max_bytes: u64) -> Result<ScalableBloom, BloomError> {
        let first_error = if expansion.is_some() { error * TIGHTENING } else { error };
        let budget = max_bytes.saturating_sub(CHAIN_OVERHEAD + LINK_OVERHEAD);
        let first = SubFilter::new(capacity, first_error, budget)?;
        Ok(ScalableBloom { filters: vec![first], items: 0, expansion })
    }

    /// Whether `item` may have been added (false positives possible, false negatives not).
    pub fn contains(&self, item: &[u8]) -> bool {
        let h = hash(item);
        self.filters.iter().rev().any(|f| f.contains(h))
    }

    /// Adds `item`: `Ok(true)` if it was new, `Ok(false)` if it (probably) was there. Adds a
    /// sub-filter when the newest is full, unless that would take the filter past
    /// `max_bytes` in all; a non-scaling filter refuses new items once full.
    pub fn add(&mut self, item: &[u8], max_bytes: u64) -> Result<bool, BloomError> {
        let h = hash(item);
        if self.filters.iter().rev().any(|f| f.contains(h)) {
            return Ok(false);
        }
        let Some(newest) = self.filters.last() else {
            return Err(BloomError::TooLarge);
        };
        if newest.items >= newest.capacity {
            let expansion = self.expansion.ok_or(BloomError::Full)?;
            let capacity = newest.capacity.checked_mul(u64::from(expansion)).ok_or(BloomError::TooLarge)?;
            let budget = max_bytes.saturating_sub(self.size() + LINK_OVERHEAD);
            let next = SubFilter::new(capacity, newest.error * TIGHTENING, budget)?;
            self.filters.push(next);
        }
        if let Some(newest) = self.filters.last_mut() {
            newest.insert(h);
        }
        self.items += 1;
        Ok(true)
    }

    /// Items added (BF.CARD; BF.INFO's "Number of items inserted").
    pub fn items(&self) -> u64 {
        self.items
    }

    /// The sum of the sub-filters' capacities (BF.INFO's "Capacity").
    pub fn capacity(&self) -> u64 {
        self.filters.iter().map(|f| f.capacity).fold(0, u64::saturating_add)
    }

    /// Bytes used, counted as RedisBloom counts them (BF.INFO's "Size").
    pub fn size(&self) -> u64 {
        self.filters.iter().map(|f| LINK_OVERHEAD + f.bytes()).fold(CHAIN_OVERHEAD, u64::saturating_add)
    }

    /// The number of sub-filters.
    pub fn filter_count(&self) -> usize {
        self.filters.len()
    }

    /// The growth factor; `None` for a non-scaling filter.
    pub fn expansion(&self) -> Option<u32> {
        self.expansion
    }

    /// The sub-filters, oldest first, as serialization stores them (DUMP, snapshots).
    pub fn sub_filters(&self) -> impl ExactSizeIterator<Item = SubFilterState<'_>> {
        self.filters.iter().map(|f| SubFilterState {
            words: &f.words,
            capacity: f.capacity,
            error: f.error,
            hashes: f.hashes,
            items: f.items,
        })
    }

    /// Rebuilds a filter from its stored parts. `None` unless every sub-filter has exactly
    /// the shape its capacity and error rate give (so a restored filter hashes and grows
    /// as the original did) and the chain is not empty.
    pub fn from_parts(filters: Vec<OwnedSubFilter>, items: u64, expansion: Option<u32>) -> Option<ScalableBloom> {
        if filters.is_empty() || expansion == Some(0) {
            return None;
        }
        let mut chain = Vec::with_capacity(filters.len());
        for f in filters {
            let error_ok = f.error > 0.0 && f.error < 1.0;
            if !error_ok || f.capacity == 0 {
                return None;
            }
            let (words, hashes) = sub_filter_shape(f.capacity, f.error, u64::MAX)?;
            if words != f.words.len() || hashes != f.hashes {
                return None;
            }
            chain.push(SubFilter { words: f.words, capacity: f.capacity, error: f.error, hashes, items: f.items });
        }
        Some(ScalableBloom { filters: chain, items, expansion })
    }
}

/// One sub-filter's state, borrowed, for serialization.
#[derive(Debug, Clone, Copy)]
pub struct SubFilterState<'a> {
    /// The bit array: bit `x` is bit `x % 64` of word `x / 64`.
    pub words: &'a [u64],
    pub capacity: u64,
    pub error: f64,
    pub hashes: u32,
    pub items: u64,
}

/// One sub-filter's state, owned, for [`ScalableBloom::from_parts`].
#[derive(Debug, Clone)]
pub struct OwnedSubFilter {
    pub words: Box<[u64]>,
    pub capacity: u64,
    pub error: f64,
    pub hashes: u32,
    pub items: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_LIMIT: u64 = u64::MAX / 2;

    /// RedisBloom's BF.DEBUG line for each sub-filter: (bytes, hashes, capacity, items).
    fn links(bf: &ScalableBloom) -> Vec<(u64, u32, u64, u64)> {
        bf.filters.iter().map(|f| (f.bytes(), f.hashes, f.capacity, f.items)).collect()
    }

    #[test]
    fn sizes_match_redisbloom() {
        // BF.RESERVE bf 0.001 100: one 200-byte sub-filter, 11 hashes; BF.INFO Size 296.
        let bf = ScalableBloom::new(100, 0.001, Some(2), NO_LIMIT).unwrap();
        assert_eq!(links(&bf), [(200, 11, 100, 0)]);
        assert_eq!(bf.size(), 296);
        // The default filter (BF.ADD on a new key): Size 240, as RedisBloom's docs show.
        let bf = ScalableBloom::new(100, 0.01, Some(2), NO_LIMIT).unwrap();
        assert_eq!(bf.size(), 240);
        assert_eq!(bf.capacity(), 100);
        // Non-scaling keeps the requested rate for its only sub-filter.
        let bf = ScalableBloom::new(50_000, 0.001, None, NO_LIMIT).unwrap();
        assert_eq!(bf.filters[0].error, 0.001);
        let bf = ScalableBloom::new(50_000, 0.001, Some(2), NO_LIMIT).unwrap();
        assert_eq!((bf.filters[0].bytes(), bf.filters[0].bits(), bf.filters[0].hashes), (98_880, 791_040, 11));
    }

    #[test]
    fn scaling_matches_redisbloom_bit_for_bit() {
        // RedisBloom's test_debug: the same items give the same sub-filters, and the same
        // false positives (99 of 100 counted as new), only if sizing and hashing are its own.
        let mut bf = ScalableBloom::new(10, 0.01, Some(2), NO_LIMIT).unwrap();
        for i in 0..100 {
            bf.add(i.to_string().as_bytes(), NO_LIMIT).unwrap();
        }
        assert_eq!(bf.items(), 99);
        assert_eq!(links(&bf), [(16, 8, 10, 10), (32, 9, 20, 20), (72, 10, 40, 40), (160, 11, 80, 29)]);

        let mut bf = ScalableBloom::new(100, 0.001, Some(2), NO_LIMIT).unwrap();
        for i in 0..4000 {
            bf.add(i.to_string().as_bytes(), NO_LIMIT).unwrap();
        }
        assert_eq!(bf.items(), 3997);
        assert_eq!(
            links(&bf),
            [
                (200, 11, 100, 100),
                (432, 12, 200, 200),
                (936, 13, 400, 400),
                (2016, 14, 800, 800),
                (4320, 15, 1600, 1600),
                (9216, 16, 3200, 897)
            ]
        );
    }

    #[test]
    fn expansion_sets_how_many_sub_filters_grow() {
        // RedisBloom's test_expansion: capacity 4, 100 items.
        for (expansion, filters) in [(1, 23), (2, 5), (4, 4)] {
            let mut bf = ScalableBloom::new(4, 0.01, Some(expansion), NO_LIMIT).unwrap();
            for i in 0..100 {
                bf.add(i.to_string().as_bytes(), NO_LIMIT).unwrap();
            }
            assert_eq!(bf.filter_count(), filters, "expansion {expansion}");
            assert!((0..100).all(|i| bf.contains(i.to_string().as_bytes())));
        }
    }

    #[test]
    fn no_false_negatives_and_a_bounded_false_positive_rate() {
        let mut bf = ScalableBloom::new(100, 0.01, Some(2), NO_LIMIT).unwrap();
        for i in 0..20_000u32 {
            bf.add(format!("member:{i}").as_bytes(), NO_LIMIT).unwrap();
        }
        assert!(bf.filter_count() > 5);
        assert!((0..20_000u32).all(|i| bf.contains(format!("member:{i}").as_bytes())));
        let false_positives = (0..100_000u32).filter(|i| bf.contains(format!("other:{i}").as_bytes())).count();
        assert!(false_positives < 1_000, "{false_positives} false positives in 100000");
    }

    #[test]
    fn non_scaling_filters_fill_up() {
        let mut bf = ScalableBloom::new(3, 0.01, None, NO_LIMIT).unwrap();
        for i in 0..3 {
            assert_eq!(bf.add(&[i], NO_LIMIT), Ok(true));
        }
        assert_eq!(bf.add(&[0], NO_LIMIT), Ok(false));
        assert_eq!(bf.add(b"more", NO_LIMIT), Err(BloomError::Full));
        assert_eq!((bf.items(), bf.filter_count(), bf.expansion()), (3, 1, None));
    }

    #[test]
    fn size_limits_refuse_instead_of_allocating() {
        assert_eq!(ScalableBloom::new(1 << 40, 1e-300, Some(2), 1 << 29), Err(BloomError::TooLarge));
        assert_eq!(ScalableBloom::new(u64::MAX, 0.5, None, u64::MAX), Err(BloomError::TooLarge));
        // Growth stops at the limit and leaves the filter as it was.
        let mut bf = ScalableBloom::new(1, 0.01, Some(1000), 1024).unwrap();
        assert_eq!(bf.add(b"a", 1024), Ok(true));
        assert_eq!(bf.add(b"b", 1024), Err(BloomError::TooLarge));
        assert_eq!((bf.items(), bf.filter_count()), (1, 1));
        // Growth that overflows the capacity is refused, not wrapped.
        let full = SubFilter {
            words: vec![0; 1].into_boxed_slice(),
            capacity: u64::MAX / 2 + 1,
            error: 0.5,
            hashes: 1,
            items: 0,
        };
        let mut bf =
            ScalableBloom { filters: vec![SubFilter { items: full.capacity, ..full }], items: 0, expansion: Some(4) };
        assert_eq!(bf.add(b"x", u64::MAX), Err(BloomError::TooLarge));
    }

    #[test]
    fn the_value_stays_small() {
        // A filter is boxed in `Value`: 72 bytes is what `Value` took before bloom filters.
        assert!(std::mem::size_of::<crate::types::Value>() <= 72, "{}", std::mem::size_of::<crate::types::Value>());
    }
}
