//! ACL LOG: the recent refusals (commands, keys, channels, failed authentications),
//! newest first; a refusal repeating one of the last few within a minute counts into it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Entries searched for a match before a new one is added (Redis's 10).
const MATCH_WINDOW: usize = 10;
/// How far apart two refusals may be to count as one entry (Redis's 60 s).
const GROUPING: Duration = Duration::from_secs(60);

/// One entry: what was refused, to whom, how often.
#[derive(Debug, Clone)]
pub struct Entry {
    pub count: u64,
    /// "command", "key", "channel" or "auth".
    pub reason: &'static str,
    /// "toplevel" or "multi".
    pub context: &'static str,
    pub object: String,
    pub username: String,
    /// The last occurrence.
    pub when: Instant,
    pub client_info: String,
}

#[derive(Default)]
pub struct AclLog {
    entries: Mutex<VecDeque<Entry>>,
}

impl AclLog {
    /// Records a refusal, keeping at most `max_len` entries.
    pub fn add(&self, entry: Entry, max_len: usize) {
        let mut entries = self.entries.lock();
        let found = entries.iter().take(MATCH_WINDOW).position(|e| {
            e.reason == entry.reason
                && e.context == entry.context
                && entry.when.saturating_duration_since(e.when) <= GROUPING
                && e.object == entry.object
                && e.username == entry.username
        });
        match found.and_then(|at| entries.remove(at)) {
            Some(mut existing) => {
                existing.count += 1;
                existing.when = entry.when;
                existing.client_info = entry.client_info;
                entries.push_front(existing);
            }
            None => entries.push_front(entry),
        }
        entries.truncate(max_len);
    }

    /// The newest `count` entries.
    pub fn newest(&self, count: usize) -> Vec<Entry> {
        self.entries.lock().iter().take(count).cloned().collect()
    }

    pub fn reset(&self) {
        self.entries.lock().clear();
    }

    /// Drops the oldest entries past `max_len` (after CONFIG SET acllog-max-len).
    pub fn trim(&self, max_len: usize) {
        self.entries.lock().truncate(max_len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(object: &str) -> Entry {
        Entry {
            count: 1,
            reason: "key",
            context: "toplevel",
            object: object.into(),
            username: "u".into(),
            when: Instant::now(),
            client_info: String::new(),
        }
    }

    #[test]
    fn repeats_are_grouped_and_the_log_is_bounded() {
        let log = AclLog::default();
        log.add(entry("a"), 3);
        log.add(entry("b"), 3);
        log.add(entry("a"), 3);
        let all = log.newest(10);
        assert_eq!(all.iter().map(|e| (e.object.as_str(), e.count)).collect::<Vec<_>>(), [("a", 2), ("b", 1)]);
        for o in ["c", "d", "e"] {
            log.add(entry(o), 3);
        }
        assert_eq!(log.newest(10).len(), 3);
        log.reset();
        assert!(log.newest(10).is_empty());
    }
}
