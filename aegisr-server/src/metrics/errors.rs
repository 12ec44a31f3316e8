//! Error replies counted by their code (the first word: ERR, WRONGTYPE...), for INFO
//! errorstats. Errors are the rare path, so a lock is fine here.

use std::collections::BTreeMap;

use parking_lot::Mutex;

/// Distinct codes tracked at most, as in Redis: a client cannot grow the table without end
/// by making up error codes.
const MAX_CODES: usize = 128;

#[derive(Default)]
pub struct ErrorStats {
    counts: Mutex<BTreeMap<String, u64>>,
}

impl ErrorStats {
    /// Counts one error reply whose text is `message`.
    pub fn record(&self, message: &str) {
        let code = message.split(' ').next().filter(|c| !c.is_empty()).unwrap_or("ERR");
        let mut counts = self.counts.lock();
        if let Some(count) = counts.get_mut(code) {
            *count += 1;
        } else if counts.len() < MAX_CODES {
            counts.insert(code.to_owned(), 1);
        }
    }

    /// `(code, count)` by code.
    pub fn counts(&self) -> Vec<(String, u64)> {
        self.counts.lock().iter().map(|(c, n)| (c.clone(), *n)).collect()
    }

    pub fn reset(&self) {
        self.counts.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_first_word_and_caps_the_codes() {
        let stats = ErrorStats::default();
        stats.record("ERR unknown command 'x'");
        stats.record("WRONGTYPE Operation against a key holding the wrong kind of value");
        stats.record("ERR syntax error");
        assert_eq!(stats.counts(), [("ERR".to_owned(), 2), ("WRONGTYPE".to_owned(), 1)]);
        for i in 0..500 {
            stats.record(&format!("CODE{i} x"));
        }
        assert_eq!(stats.counts().len(), MAX_CODES);
        stats.reset();
        assert!(stats.counts().is_empty());
    }
}
