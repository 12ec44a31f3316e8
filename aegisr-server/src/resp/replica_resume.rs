//! Partial resynchronisation of Redis replicas: PSYNC answered `+CONTINUE`, so a replica
//! whose link broke (a timeout, CLIENT KILL, a network blip) picks up where it was instead
//! of loading the whole dataset again.
//!
//! A Redis master keeps one stream for all its replicas; here each full sync starts a
//! stream of its own (`resp::replica_feed`): the journal's records after the file, in
//! Redis's form, counted in bytes from the offset `+FULLRESYNC` gave. Two such streams
//! differ (what their files already held, when they selected a database), so their byte
//! counts do not line up, and each full sync gets its own replication id. The stream keeps
//! [`Mark`]s of where each write to the replica ended: bytes sent, journal position
//! reached, database selected. A replica that comes back with that id and an offset at a
//! mark, or at a record's end after one (found by rendering those records again), goes on
//! from there while the backlog still holds what follows; any other gets a full sync, as
//! in Redis.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::persist::backlog::Backlog;
use crate::persist::journal::Journal;
use crate::persist::record::{self, Record};
use crate::persist::redis_form::{Covered, RedisStream};

/// Streams remembered for a resume: the newest ones, live or ended.
const KEPT_STREAMS: usize = 16;
/// Marks kept per stream: a replica acknowledges once a second, which drops the marks
/// before its offset, so these only cover what was sent since.
const KEPT_MARKS: usize = 4096;
/// Most bytes of records read from the backlog at a time.
pub(super) const PIECE: usize = 256 * 1024;

/// A point of a stream between two records.
#[derive(Debug, Clone)]
pub(super) struct Mark {
    /// Bytes sent, in the replica's terms (its replication offset there).
    pub bytes: u64,
    /// The journal position the stream reached.
    pub lsn: u64,
    /// What the stream had selected.
    pub form: RedisStream,
}

/// One stream to a Redis replica, under the replication id its full sync gave.
pub struct ReplicaStream {
    replid: String,
    journal: Weak<Journal>,
    /// What the file the stream started with holds, shared by the streams that continue it.
    covered: Arc<Covered>,
    marks: Mutex<VecDeque<Mark>>,
    /// The replica's node id among the node's replicas while a link serves the stream.
    node: AtomicU64,
    /// The replica's last acknowledgement: its offset, and the journal position that is.
    acked: Mutex<Option<(u64, u64)>>,
}

impl ReplicaStream {
    fn new(replid: String, journal: Weak<Journal>, covered: Arc<Covered>, start: Mark) -> ReplicaStream {
        ReplicaStream {
            replid,
            journal,
            covered,
            marks: Mutex::new(VecDeque::from([start])),
            node: AtomicU64::new(0),
            acked: Mutex::new(None),
        }
    }

    pub fn replid(&self) -> &str {
        &self.replid
    }

    /// The link serving the stream now is the replica `node`'s.
    pub(super) fn served_to(&self, node: u64) {
        self.node.store(node, Ordering::Relaxed);
    }

    /// The replica's last acknowledgement: its offset in the stream and the journal
    /// position its data is at.
    pub fn acknowledged(&self) -> Option<(u64, u64)> {
        *self.acked.lock()
    }

    pub(super) fn covered(&self) -> &Covered {
        &self.covered
    }

    /// Where the stream starts.
    pub(super) fn first(&self) -> Option<Mark> {
        self.marks.lock().front().cloned()
    }

    /// Records that a write to the replica ended at `mark`.
    pub(super) fn mark(&self, mark: Mark) {
        let mut marks = self.marks.lock();
        // Records the file already held send nothing: the byte count did not move.
        if marks.back().is_some_and(|last| last.bytes == mark.bytes) {
            marks.pop_back();
        }
        if marks.len() >= KEPT_MARKS {
            marks.pop_front();
        }
        marks.push_back(mark);
    }

    /// The journal position a replica that acknowledged `offset` has applied: that of the
    /// last mark at or before it (`None`: none is), which also becomes the oldest kept.
    pub(super) fn acked(&self, offset: u64) -> Option<u64> {
        let mut marks = self.marks.lock();
        let at = marks.partition_point(|m| m.bytes <= offset).checked_sub(1)?;
        marks.drain(..at);
        let lsn = marks.front().map(|m| m.lsn)?;
        *self.acked.lock() = Some((offset, lsn));
        Some(lsn)
    }

    /// The point at `wanted` bytes: a mark, or the end of a record after one.
    fn point(&self, wanted: u64, backlog: &Backlog) -> Option<Mark> {
        let marks = self.marks.lock();
        let at = marks.partition_point(|m| m.bytes <= wanted).checked_sub(1)?;
        let mark = marks[at].clone();
        let next = marks.get(at + 1).map(|m| m.lsn);
        drop(marks);
        if mark.bytes == wanted {
            return backlog.read(mark.lsn, 1).is_ok().then_some(mark);
        }
        // Between two marks: render the records after the first again, up to `wanted`.
        let Mark { mut bytes, mut lsn, mut form } = mark;
        let mut out = Vec::new();
        loop {
            let pieces = backlog.read(lsn, PIECE).ok()?;
            if pieces.is_empty() {
                return None;
            }
            for (start, data) in &pieces {
                for frame in frames(*start, data) {
                    let (record, at, end) = frame.ok()?;
                    out.clear();
                    form.record(&record, at, &self.covered, &mut out);
                    bytes += out.len() as u64;
                    lsn = end;
                    if bytes == wanted {
                        return Some(Mark { bytes, lsn, form });
                    }
                    // Inside a record (after its SELECT) or past the next mark: the
                    // replica is not at a point this stream can start from.
                    if bytes > wanted || next.is_some_and(|next| lsn >= next) {
                        return None;
                    }
                }
            }
        }
    }
}

/// The records in `data` (found at journal position `lsn`), each with its position and
/// the position after it.
pub(super) fn frames(lsn: u64, data: &[u8]) -> impl Iterator<Item = Result<(Record, u64, u64), String>> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= data.len() {
            return None;
        }
        let at = lsn + pos as u64;
        match record::read_frame(&data[pos..]) {
            Ok((record, used)) => {
                pos += used;
                Some(Ok((record, at, lsn + pos as u64)))
            }
            Err(e) => {
                pos = data.len();
                Some(Err(format!("unreadable record at {at}: {e:?}")))
            }
        }
    })
}

/// The node's recent streams to Redis replicas, by replication id.
#[derive(Default)]
pub struct ReplicaStreams {
    streams: Mutex<VecDeque<Arc<ReplicaStream>>>,
}

impl ReplicaStreams {
    /// A stream that starts after a full sync at journal position `offset` (also its byte
    /// count: `+FULLRESYNC <replid> <offset>`), the file having held `covered`.
    pub(super) fn started(
        &self,
        replid: String,
        journal: &Arc<Journal>,
        covered: Covered,
        offset: u64,
    ) -> Arc<ReplicaStream> {
        let start = Mark { bytes: offset, lsn: offset, form: RedisStream::default() };
        self.keep(ReplicaStream::new(replid, Arc::downgrade(journal), Arc::new(covered), start))
    }

    /// A stream that goes on from a Redis master's: this node followed it (`replid`) up to
    /// `offset`, which is its journal's position `lsn`, and took over (`PSYNC ... FAILOVER`);
    /// the old master continues it as this node's replica.
    pub(crate) fn taken_over(&self, replid: String, journal: &Arc<Journal>, offset: u64, lsn: u64) {
        let start = Mark { bytes: offset, lsn, form: RedisStream::default() };
        self.keep(ReplicaStream::new(replid, Arc::downgrade(journal), Arc::new(Covered::default()), start));
    }

    /// The stream a replica that asked `PSYNC <replid> <offset>` continues (`offset` being
    /// the first byte it wants), if this node can serve it from `journal`'s backlog. It
    /// replaces the stream it continues, which may not have noticed yet that its replica
    /// went away.
    pub fn resume(&self, replid: &[u8], offset: &[u8], journal: &Arc<Journal>) -> Option<Arc<ReplicaStream>> {
        let wanted = std::str::from_utf8(offset).ok()?.parse::<u64>().ok()?.checked_sub(1)?;
        let old = self.streams.lock().iter().rev().find(|s| s.replid.as_bytes() == replid).cloned()?;
        if !old.journal.upgrade().is_some_and(|j| Arc::ptr_eq(&j, journal)) {
            return None;
        }
        let point = old.point(wanted, journal.backlog())?;
        Some(self.keep(ReplicaStream::new(old.replid.clone(), old.journal.clone(), old.covered.clone(), point)))
    }

    /// Forgets every stream: none can be continued any more.
    pub(super) fn forget_all(&self) {
        self.streams.lock().clear();
    }

    /// The stream the replica `node` is served now.
    pub fn of_node(&self, node: u64) -> Option<Arc<ReplicaStream>> {
        self.streams.lock().iter().rev().find(|s| s.node.load(Ordering::Relaxed) == node).cloned()
    }

    fn keep(&self, stream: ReplicaStream) -> Arc<ReplicaStream> {
        let stream = Arc::new(stream);
        let mut streams = self.streams.lock();
        streams.retain(|s| s.replid != stream.replid);
        if streams.len() >= KEPT_STREAMS {
            streams.pop_front();
        }
        streams.push_back(stream.clone());
        stream
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(db: usize, args: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        record::put_command(&mut body, db, args);
        let mut out = Vec::new();
        record::put_frame(&mut out, 0, None, &body);
        out
    }

    /// A stream at journal position 100 and byte 1000, a batch of three records (the
    /// second in another database) sent in one write, then its mark.
    fn sent_batch() -> (ReplicaStream, Backlog, Vec<u8>, Vec<usize>) {
        let records = [frame(0, &[b"SET", b"a", b"1"]), frame(2, &[b"SET", b"b", b"2"]), frame(2, &[b"DEL", b"a"])];
        let backlog = Backlog::new(100);
        backlog.enable();
        let data = records.concat();
        backlog.push(100, &data, 1 << 20);
        let stream = ReplicaStream::new(
            "r".into(),
            Weak::new(),
            Arc::new(Covered { slot_lsns: vec![0; 16384], functions_lsn: 0 }),
            Mark { bytes: 1000, lsn: 100, form: RedisStream::default() },
        );
        let mut form = RedisStream::default();
        let (mut out, mut ends) = (Vec::new(), Vec::new());
        for frame in frames(100, &data) {
            let (record, at, _) = frame.unwrap();
            form.record(&record, at, &stream.covered, &mut out);
            ends.push(out.len());
        }
        stream.mark(Mark { bytes: 1000 + out.len() as u64, lsn: 100 + data.len() as u64, form });
        (stream, backlog, out, ends)
    }

    /// What the stream sends from `point` on, up to the backlog's end.
    fn rest_from(stream: &ReplicaStream, backlog: &Backlog, point: &Mark) -> Vec<u8> {
        let mut out = Vec::new();
        let mut form = point.form.clone();
        for frame in frames(point.lsn, &backlog.read(point.lsn, PIECE).unwrap()[0].1) {
            let (record, at, _) = frame.unwrap();
            form.record(&record, at, &stream.covered, &mut out);
        }
        out
    }

    #[test]
    fn a_replica_resumes_at_a_mark_or_a_record_end_between_two() {
        let (stream, backlog, out, ends) = sent_batch();
        let end = stream.point(1000 + out.len() as u64, &backlog).unwrap();
        assert_eq!(end.lsn, backlog.range().1);
        // After the first record: the second is sent again, with its SELECT.
        let after_first = stream.point(1000 + ends[0] as u64, &backlog).unwrap();
        assert_eq!(rest_from(&stream, &backlog, &after_first), out[ends[0]..]);
        // After the second record, which selected database 2: the third goes without one.
        let after_second = stream.point(1000 + ends[1] as u64, &backlog).unwrap();
        assert_eq!(after_second.lsn, end.lsn - frame(2, &[b"DEL", b"a"]).len() as u64);
        let last = rest_from(&stream, &backlog, &after_second);
        assert_eq!(last, out[ends[1]..]);
        assert!(!last.windows(6).any(|w| w == b"SELECT"));
        // Inside a record (between SELECT 2 and its SET), before the stream, past its end.
        let select = b"*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n".len() as u64;
        assert!(stream.point(1000 + ends[0] as u64 + select, &backlog).is_none());
        assert!(stream.point(999, &backlog).is_none());
        assert!(stream.point(1000 + out.len() as u64 + 1, &backlog).is_none());
    }

    #[test]
    fn an_acknowledgement_maps_to_the_last_mark_before_it_and_drops_older_ones() {
        let (stream, _, out, _) = sent_batch();
        assert_eq!(stream.acked(999), None);
        assert_eq!(stream.acked(1005), Some(100));
        assert_eq!(stream.acked(1000 + out.len() as u64), Some(stream.marks.lock()[0].lsn));
        assert_eq!(stream.marks.lock().len(), 1);
    }
}
