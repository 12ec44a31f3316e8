//! Sorted sets: unique members ordered by score.
//!
//! Placeholder representation: the family's engineer replaces it (compact encoding for
//! small values, the full structure past the `*-max-listpack-*` thresholds).

/// A zset value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZSet {
    len: usize,
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The encoding `OBJECT ENCODING` reports, with Redis's names.
    pub fn encoding(&self) -> &'static str {
        if self.len <= 128 { "listpack" } else { "skiplist" }
    }
}
