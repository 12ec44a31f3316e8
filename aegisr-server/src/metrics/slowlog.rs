//! SLOWLOG: the most recent commands that ran longer than `slowlog-log-slower-than`
//! microseconds, at most `slowlog-max-len` of them, newest first. Only slow commands come
//! here, so a lock is fine.

use std::collections::VecDeque;

use bytes::Bytes;
use parking_lot::Mutex;

/// Arguments kept per entry, the last one standing for the rest (as Redis).
const MAX_ARGS: usize = 32;
/// Bytes kept per argument; longer ones are cut and say how much was left out.
const MAX_ARG_LEN: usize = 128;

#[derive(Debug, Clone)]
pub struct SlowEntry {
    pub id: u64,
    /// Unix time, seconds.
    pub timestamp: i64,
    pub duration_us: u64,
    pub args: Vec<Bytes>,
    pub client_addr: String,
    pub client_name: String,
}

#[derive(Default)]
pub struct SlowLog {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    entries: VecDeque<SlowEntry>,
}

/// The arguments as the slow log keeps them: at most 32, each at most 128 bytes.
fn trimmed(args: &[&[u8]]) -> Vec<Bytes> {
    let kept = args.len().min(MAX_ARGS);
    let mut out: Vec<Bytes> = args[..kept]
        .iter()
        .map(|a| {
            if a.len() > MAX_ARG_LEN {
                let mut cut = a[..MAX_ARG_LEN].to_vec();
                cut.extend_from_slice(format!("... ({} more bytes)", a.len() - MAX_ARG_LEN).as_bytes());
                Bytes::from(cut)
            } else {
                Bytes::copy_from_slice(a)
            }
        })
        .collect();
    if args.len() > MAX_ARGS {
        out[MAX_ARGS - 1] = Bytes::from(format!("... ({} more arguments)", args.len() - MAX_ARGS + 1));
    }
    out
}

impl SlowLog {
    /// Adds an entry, dropping the oldest beyond `max_len`.
    pub fn push(&self, args: &[&[u8]], duration_us: u64, client_addr: String, client_name: String, max_len: usize) {
        let timestamp = crate::engine::now_ms() / 1000;
        let args = trimmed(args);
        let mut inner = self.inner.lock();
        let id = inner.next_id;
        inner.next_id += 1;
        inner.entries.push_front(SlowEntry { id, timestamp, duration_us, args, client_addr, client_name });
        inner.entries.truncate(max_len);
    }

    /// The newest `count` entries (all with `None`), newest first.
    pub fn get(&self, count: Option<usize>) -> Vec<SlowEntry> {
        let inner = self.inner.lock();
        inner.entries.iter().take(count.unwrap_or(usize::MAX)).cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// SLOWLOG RESET: empties the log; ids go on counting, as in Redis.
    pub fn reset(&self) {
        self.inner.lock().entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args<'a>(items: &[&'a str]) -> Vec<&'a [u8]> {
        items.iter().map(|s| s.as_bytes()).collect()
    }

    #[test]
    fn keeps_newest_first_within_max_len() {
        let log = SlowLog::default();
        for i in 0..5 {
            log.push(&args(&["set", &format!("k{i}"), "v"]), 10 + i, "127.0.0.1:1".into(), String::new(), 3);
        }
        let entries = log.get(None);
        assert_eq!(entries.iter().map(|e| e.id).collect::<Vec<_>>(), [4, 3, 2]);
        assert_eq!(log.get(Some(1))[0].args[1], "k4");
        log.reset();
        assert!(log.is_empty());
        log.push(&args(&["get", "k"]), 1, String::new(), String::new(), 3);
        assert_eq!(log.get(None)[0].id, 5);
    }

    #[test]
    fn long_commands_are_cut_as_redis_does() {
        let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let kept = trimmed(&args(&many));
        assert_eq!(kept.len(), 32);
        assert_eq!(kept[31], "... (9 more arguments)");
        let long = "x".repeat(200);
        let kept = trimmed(&args(&["set", "k", &long]));
        assert_eq!(kept[2], format!("{}... (72 more bytes)", "x".repeat(128)));
    }
}
