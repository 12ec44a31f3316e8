//! Error replies counted by their code (the first word: ERR, WRONGTYPE...), for INFO
//! errorstats. Errors are the rare path, so a lock is fine here.

use std::collections::BTreeMap;

use parking_lot::Mutex;

/// Distinct codes tracked at most (Redis 7.2's ERROR_STATS_NUMBER): a client making up
/// error codes cannot grow the table without end.
const MAX_CODES: usize = 128;

/// The one code shown once more codes came than [`MAX_CODES`].
const DISABLED: &str = "ERRORSTATS_DISABLED";

/// A code is the error's first word when a space ends it within this many bytes of the
/// reply (its '-' included), else ERR (Redis's `afterErrorReply`).
const CODE_WITHIN: usize = 32;

#[derive(Default)]
pub struct ErrorStats {
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    counts: BTreeMap<String, u64>,
    /// Flooded with codes: nothing is counted by code until CONFIG RESETSTAT.
    disabled: bool,
}

impl ErrorStats {
    /// Counts one error reply whose text is `message`.
    pub fn record(&self, message: &str) {
        let code = code_of(message);
        let mut table = self.table.lock();
        if table.disabled {
            return;
        }
        if let Some(count) = table.counts.get_mut(code) {
            *count += 1;
            return;
        }
        if table.counts.len() >= MAX_CODES {
            // As Redis 7.2: the table is dropped for one line that says so, and the codes
            // go to the log.
            let codes: Vec<&str> = table.counts.keys().map(String::as_str).collect();
            tracing::warn!(
                "Errorstats stopped adding new errors because the number of different errors reached {MAX_CODES}; all errors will be aggregated on '{DISABLED}' error"
            );
            tracing::warn!("Current errors code list: {}", codes.join(", "));
            table.counts.clear();
            table.counts.insert(DISABLED.to_owned(), 1);
            table.disabled = true;
            return;
        }
        table.counts.insert(code.to_owned(), 1);
    }

    /// `(code, count)` by code.
    pub fn counts(&self) -> Vec<(String, u64)> {
        self.table.lock().counts.iter().map(|(c, n)| (c.clone(), *n)).collect()
    }

    pub fn reset(&self) {
        *self.table.lock() = Table::default();
    }
}

/// The code an error is counted under: its first word, if a space ends it within
/// [`CODE_WITHIN`] bytes of the reply, else ERR.
fn code_of(message: &str) -> &str {
    let head = &message.as_bytes()[..message.len().min(CODE_WITHIN - 1)];
    match head.iter().position(|&b| b == b' ') {
        Some(0) | None => "ERR",
        Some(end) => &message[..end],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_first_word_then_stops_when_flooded() {
        let stats = ErrorStats::default();
        stats.record("ERR unknown command 'x'");
        stats.record("WRONGTYPE Operation against a key holding the wrong kind of value");
        stats.record("ERR syntax error");
        stats.record("NOSPACE");
        stats.record(&format!("{} is too long to be a code", "X".repeat(31)));
        stats.record(&format!("{} is just short enough", "Y".repeat(30)));
        let y = ("Y".repeat(30), 1);
        assert_eq!(stats.counts(), [("ERR".to_owned(), 4), ("WRONGTYPE".to_owned(), 1), y]);
        for i in 0..500 {
            stats.record(&format!("CODE{i} x"));
        }
        assert_eq!(stats.counts(), [(DISABLED.to_owned(), 1)]);
        stats.record("ERR again");
        assert_eq!(stats.counts(), [(DISABLED.to_owned(), 1)]);
        stats.reset();
        assert!(stats.counts().is_empty());
        stats.record("ERR again");
        assert_eq!(stats.counts(), [("ERR".to_owned(), 1)]);
    }
}
