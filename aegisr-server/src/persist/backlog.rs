//! The replication backlog: the newest part of the journal's record stream, kept in memory
//! so replicas can follow it (Redis's `repl-backlog`). The journal's flusher pushes each
//! batch it takes, whole records only; a replica reads from its offset (an LSN) on, and
//! one that falls further behind than the backlog holds must sync in full again.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::Mutex;

/// A reader asked for bytes the backlog no longer (or not yet) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("offset {wanted} is outside the replication backlog ({start}..{end})")]
pub struct OutOfRange {
    pub wanted: u64,
    pub start: u64,
    pub end: u64,
}

struct Chunks {
    /// (LSN of the first byte, bytes), in stream order, contiguous.
    chunks: VecDeque<(u64, Bytes)>,
    bytes: usize,
    /// LSN of the first byte kept.
    start: u64,
    /// LSN just past the last byte kept.
    end: u64,
}

pub struct Backlog {
    /// Off until a node replicates (cluster mode): a standalone node keeps nothing.
    enabled: std::sync::atomic::AtomicBool,
    /// Bytes held, for memory accounting (left out of eviction's used memory).
    held: AtomicUsize,
    chunks: Mutex<Chunks>,
    /// The end LSN, for readers waiting for more.
    grown: tokio::sync::watch::Sender<u64>,
}

impl Backlog {
    pub fn new(start_lsn: u64) -> Backlog {
        Backlog {
            enabled: std::sync::atomic::AtomicBool::new(false),
            held: AtomicUsize::new(0),
            chunks: Mutex::new(Chunks { chunks: VecDeque::new(), bytes: 0, start: start_lsn, end: start_lsn }),
            grown: tokio::sync::watch::Sender::new(start_lsn),
        }
    }

    /// Starts keeping records (from the next batch on).
    pub fn enable(&self) {
        self.enabled.store(true, Ordering::Release);
    }

    /// Starts keeping records, for a reader that will read from the journal position
    /// `position` gives (read once records are kept, so none after it is missed), which
    /// it returns. While nothing is kept yet, the backlog starts there: a reader waits for
    /// the records to come rather than being told they are gone.
    pub fn start_reader(&self, position: impl FnOnce() -> u64) -> u64 {
        self.enable();
        let at = position();
        let mut c = self.chunks.lock();
        if c.chunks.is_empty() {
            c.start = at;
            c.end = at;
        }
        at
    }

    /// Stops keeping records and drops those kept (`repl-backlog-ttl` after the last
    /// replica left); readers are then told their offsets are gone.
    pub fn disable(&self) {
        self.enabled.store(false, Ordering::Release);
        let mut c = self.chunks.lock();
        c.chunks.clear();
        c.bytes = 0;
        c.start = c.end;
        self.held.store(0, Ordering::Relaxed);
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    /// Bytes the backlog holds.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Appends `bytes` (whole records) found at `start` in the stream, keeping about
    /// `capacity` bytes (`repl-backlog-size`). A gap (the journal was restarted elsewhere)
    /// restarts the backlog there.
    pub fn push(&self, start: u64, bytes: &[u8], capacity: usize) {
        if bytes.is_empty() || !self.enabled() {
            return;
        }
        let mut c = self.chunks.lock();
        if start != c.end {
            c.chunks.clear();
            c.bytes = 0;
            c.start = start;
        }
        c.chunks.push_back((start, Bytes::copy_from_slice(bytes)));
        c.bytes += bytes.len();
        c.end = start + bytes.len() as u64;
        // Whole chunks are dropped, and the newest is always kept.
        while c.bytes > capacity && c.chunks.len() > 1 {
            if let Some((_, old)) = c.chunks.pop_front() {
                c.bytes -= old.len();
            }
            c.start = c.chunks.front().map_or(c.end, |(at, _)| *at);
        }
        let end = c.end;
        self.held.store(c.bytes, Ordering::Relaxed);
        drop(c);
        self.grown.send_replace(end);
    }

    /// `(start, end)` LSNs of what is kept.
    pub fn range(&self) -> (u64, u64) {
        let c = self.chunks.lock();
        (c.start, c.end)
    }

    /// Up to about `max` bytes from `from` on, as `(lsn, bytes)` pieces in order; empty
    /// when `from` is the end.
    pub fn read(&self, from: u64, max: usize) -> Result<Vec<(u64, Bytes)>, OutOfRange> {
        let c = self.chunks.lock();
        if from < c.start || from > c.end {
            return Err(OutOfRange { wanted: from, start: c.start, end: c.end });
        }
        let mut out = Vec::new();
        let mut taken = 0;
        // Chunks are contiguous: find the one holding `from`.
        let first = c.chunks.partition_point(|(at, bytes)| at + bytes.len() as u64 <= from);
        for (at, bytes) in c.chunks.iter().skip(first) {
            let skip = usize::try_from(from.saturating_sub(*at)).unwrap_or(usize::MAX).min(bytes.len());
            let piece = bytes.slice(skip..);
            taken += piece.len();
            out.push((at + skip as u64, piece));
            if taken >= max {
                break;
            }
        }
        Ok(out)
    }

    /// A receiver of the end LSN, to wait for new records.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.grown.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPACITY: usize = 10;

    #[test]
    fn readers_get_what_is_kept_from_their_offset() {
        let backlog = Backlog::new(100);
        backlog.enable();
        backlog.push(100, b"abcd", CAPACITY);
        backlog.push(104, b"efgh", CAPACITY);
        let read = backlog.read(102, 100).unwrap();
        assert_eq!(read, vec![(102, Bytes::from_static(b"cd")), (104, Bytes::from_static(b"efgh"))]);
        assert_eq!(backlog.read(108, 100).unwrap(), vec![]);
        // Over capacity, the oldest chunk goes.
        backlog.push(108, b"ijkl", CAPACITY);
        assert_eq!(backlog.range(), (104, 112));
        assert_eq!(backlog.read(100, 100), Err(OutOfRange { wanted: 100, start: 104, end: 112 }));
        assert!(backlog.read(113, 1).is_err());
        // `max` bounds a read (in whole chunks after the first).
        assert_eq!(backlog.read(104, 1).unwrap().len(), 1);
    }

    #[test]
    fn a_gap_restarts_the_backlog() {
        let backlog = Backlog::new(0);
        backlog.push(0, b"not kept while disabled", CAPACITY);
        assert_eq!(backlog.range(), (0, 0));
        backlog.enable();
        backlog.push(0, b"ab", CAPACITY);
        backlog.push(50, b"cd", CAPACITY);
        assert_eq!(backlog.range(), (50, 52));
        assert_eq!(*backlog.subscribe().borrow(), 52);
    }

    #[test]
    fn a_disabled_backlog_drops_what_it_kept_and_keeps_nothing_more() {
        let backlog = Backlog::new(0);
        backlog.enable();
        backlog.push(0, b"abcd", CAPACITY);
        backlog.disable();
        assert!(!backlog.enabled());
        assert_eq!((backlog.range(), backlog.held()), ((4, 4), 0));
        assert!(backlog.read(0, 10).is_err());
        backlog.push(4, b"ef", CAPACITY);
        assert_eq!(backlog.range(), (4, 4));
        // A new reader starts it again where the stream is.
        assert_eq!(backlog.start_reader(|| 6), 6);
        backlog.push(6, b"gh", CAPACITY);
        assert_eq!(backlog.read(6, 10).unwrap(), vec![(6, Bytes::from_static(b"gh"))]);
    }
}
