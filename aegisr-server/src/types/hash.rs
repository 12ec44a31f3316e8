//! Hashes: field -> value maps.
//!
//! Placeholder representation: the family's engineer replaces it (compact encoding for
//! small values, the full structure past the `*-max-listpack-*` thresholds).

/// A hash value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hash {
    len: usize,
}

impl Hash {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The encoding `OBJECT ENCODING` reports, with Redis's names.
    pub fn encoding(&self) -> &'static str {
        if self.len <= 128 { "listpack" } else { "hashtable" }
    }
}
