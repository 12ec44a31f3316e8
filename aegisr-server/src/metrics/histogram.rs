//! Latency buckets: log-linear, four sub-buckets per power of two (at most 25% wide, so a
//! percentile is within 25% of the truth), from 0 to about 18 minutes in 128 buckets of
//! nanoseconds. Fixed buckets need no allocation and no lock on the hot path, and merge
//! by adding, which is how per-thread histograms become one.

/// Buckets per histogram.
pub const BUCKETS: usize = 128;
/// Below `1 << LINEAR_LOG2` ns the buckets are linear (256 ns each).
const LINEAR_LOG2: u32 = 10;
const SUB_LOG2: u32 = 2;
const SUB: usize = 1 << SUB_LOG2;

/// The bucket a duration of `nanos` falls in.
pub fn bucket_of(nanos: u64) -> usize {
    if nanos < 1 << LINEAR_LOG2 {
        return (nanos >> (LINEAR_LOG2 - SUB_LOG2)) as usize;
    }
    let log2 = 63 - nanos.leading_zeros();
    let sub = ((nanos >> (log2 - SUB_LOG2)) as usize) & (SUB - 1);
    (SUB + (log2 - LINEAR_LOG2) as usize * SUB + sub).min(BUCKETS - 1)
}

/// The smallest duration (ns) in `bucket`.
pub fn lower_bound(bucket: usize) -> u64 {
    if bucket < SUB {
        return (bucket as u64) << (LINEAR_LOG2 - SUB_LOG2);
    }
    let log2 = ((bucket - SUB) / SUB) as u32 + LINEAR_LOG2;
    let sub = ((bucket - SUB) % SUB) as u64;
    (1u64 << log2) + (sub << (log2 - SUB_LOG2))
}

/// One past the largest duration (ns) in `bucket`.
pub fn upper_bound(bucket: usize) -> u64 {
    lower_bound(bucket + 1)
}

/// The duration (ns) at or under which `percentile` percent of the samples fall: the top
/// of the bucket holding that rank, as HDR histograms report it. `None` without samples.
pub fn percentile(counts: &[u64], percentile: f64) -> Option<u64> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = ((percentile / 100.0 * total as f64).ceil() as u64).clamp(1, total);
    let mut seen = 0;
    for (bucket, &count) in counts.iter().enumerate() {
        seen += count;
        if seen >= rank {
            return Some(upper_bound(bucket).saturating_sub(1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_durations_in_order() {
        for nanos in [0, 1, 255, 256, 1023, 1024, 1279, 1280, 5_000, 1_000_000, 3_000_000_000, u64::MAX] {
            let b = bucket_of(nanos);
            assert!(b < BUCKETS);
            if b < BUCKETS - 1 {
                assert!(lower_bound(b) <= nanos && nanos < upper_bound(b), "{nanos} in {b}");
                // At most a quarter of the bucket's start wide, past the linear part.
                if nanos >= 1024 {
                    assert!(upper_bound(b) - lower_bound(b) <= lower_bound(b) / 4, "{b}");
                }
            }
        }
        for b in 1..BUCKETS {
            assert!(lower_bound(b) > lower_bound(b - 1));
            assert_eq!(bucket_of(lower_bound(b)), b);
        }
    }

    #[test]
    fn percentiles_pick_the_bucket_of_the_rank() {
        let mut counts = [0u64; BUCKETS];
        for _ in 0..99 {
            counts[bucket_of(2_000)] += 1;
        }
        counts[bucket_of(1_000_000)] += 1;
        let p50 = percentile(&counts, 50.0).unwrap();
        assert!((2_000..2_600).contains(&p50), "{p50}");
        let p999 = percentile(&counts, 99.9).unwrap();
        assert!((1_000_000..1_250_000).contains(&p999), "{p999}");
        assert_eq!(percentile(&[0; BUCKETS], 50.0), None);
    }
}
