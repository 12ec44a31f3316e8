//! Recovery at start: the newest valid snapshot, then the journal's records after it, run
//! again through the command table with the clock each record ran at. A torn last record
//! (the node died while writing it) is cut off with a warning; damage anywhere else stops
//! the start with the file, the offset and the repair command to run.

use std::path::{Path, PathBuf};
use std::time::Instant;

use bytes::BytesMut;

use super::journal::{self, SEGMENT_HEADER};
use super::record::{self, FrameError, Record};
use crate::commands::{self, Ctx, Session};
use crate::reply::Protocol;
use crate::resp::RespWriter;
use crate::server::Server;

/// Why the data directory cannot be loaded.
#[derive(Debug, thiserror::Error)]
#[error(
    "{file}: {what} at offset {offset}; the node will not start on damaged data. Run `aegisr-server check-data {dir}` to see what is wrong and `aegisr-server check-data {dir} --repair` to cut the journal at the damage (it says what would be lost first)"
)]
pub struct Damaged {
    pub file: String,
    pub offset: u64,
    pub what: String,
    pub dir: String,
}

/// A journal segment on disk.
#[derive(Debug, Clone)]
pub struct Segment {
    pub path: PathBuf,
    pub start_lsn: u64,
}

/// The journal segments in `dir`, in LSN order.
pub fn segments(dir: &Path) -> std::io::Result<Vec<Segment>> {
    let mut found = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name();
                if let Some(start_lsn) = name.to_str().and_then(journal::segment_start) {
                    found.push(Segment { path: entry.path(), start_lsn });
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    found.sort_by_key(|s| s.start_lsn);
    Ok(found)
}

/// The journal in a data directory starts after the position of the snapshot beside it:
/// the writes between are in neither, so loading both would give a state that never was.
#[derive(Debug, thiserror::Error)]
#[error(
    "{segment} starts at LSN {start}, but {snapshot} holds the data as of LSN {covered}: the journal does not continue it. This happens when the journal was switched on while the node ran (CONFIG SET appendonly yes) and the node stopped before the snapshot that follows was written: the writes before the switch are only in the snapshot, those after it only in the journal, and the node will not start on half of them. Start with --appendonly no to load the snapshot alone, or move the journal segments out of {dir} to drop them"
)]
pub struct Discontinuous {
    pub segment: String,
    pub start: u64,
    pub snapshot: String,
    pub covered: u64,
    pub dir: String,
}

/// Checks that the journal in `dir` (its `segments`) continues the snapshot loaded from
/// it (`snapshot`, `None` if there is none), whose images were taken at `covered`: the
/// first segment must start at or before each image's position, or the records between
/// are lost. `functions`: the snapshot has a function-library image.
pub fn check_continues(
    dir: &Path,
    segments: &[Segment],
    snapshot: Option<&Path>,
    covered: &super::snapshot::Covered,
    functions: bool,
) -> Result<(), Discontinuous> {
    let Some(first) = segments.first() else { return Ok(()) };
    let slots = covered.slots.iter().copied().min().unwrap_or(0);
    let oldest = if functions { slots.min(covered.functions) } else { slots };
    if first.start_lsn <= oldest {
        return Ok(());
    }
    Err(Discontinuous {
        segment: first.path.display().to_string(),
        start: first.start_lsn,
        snapshot: snapshot.map_or_else(|| "no snapshot (an empty dataset)".to_owned(), |p| p.display().to_string()),
        covered: oldest,
        dir: dir.display().to_string(),
    })
}

/// What scanning one segment found.
pub struct SegmentScan {
    /// Offset just past the last good record.
    pub good_end: u64,
    pub records: u64,
    /// The damage that stopped the scan, if any: its offset and what it is, and whether it
    /// is a torn tail (nothing valid can follow it).
    pub damage: Option<(u64, String, bool)>,
}

/// Bytes read from a segment at a time: recovery's memory does not grow with the journal.
const READ_CHUNK: usize = 8 << 20;
/// Damage with more than this after it cannot be the last write torn by a crash (the
/// flusher writes about a millisecond of records at a time).
const MAX_TORN_TAIL: u64 = 16 << 20;

/// Reads the segment at `path` record by record, calling `apply` with each good record and
/// its LSN, until the end or the first damage. `Err` is damage in the header (offset, what).
pub fn scan_segment(
    path: &Path,
    expected_start: Option<u64>,
    mut apply: impl FnMut(Record, u64),
) -> std::io::Result<Result<SegmentScan, (u64, String)>> {
    let mut file = std::fs::File::open(path)?;
    let file_len = file.metadata()?.len();
    let mut header = [0u8; SEGMENT_HEADER];
    let got = read_up_to(&mut file, &mut header)?;
    let start_lsn = match journal::parse_segment_header(&header[..got]) {
        Ok(lsn) => lsn,
        Err(e) => return Ok(Err((0, e))),
    };
    if let Some(expected) = expected_start
        && expected != start_lsn
    {
        return Ok(Err((0, format!("segment starts at LSN {start_lsn}, but the previous one ends at {expected}"))));
    }
    // `buf` holds the file from offset `buf_at`; `at` is the next record's offset in it.
    let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut buf_at = SEGMENT_HEADER as u64;
    let mut at = 0usize;
    let mut records = 0;
    loop {
        match record::read_frame(&buf[at..]) {
            Ok((record, used)) => {
                apply(record, start_lsn + buf_at + at as u64 - SEGMENT_HEADER as u64);
                records += 1;
                at += used;
                continue;
            }
            Err(FrameError::Truncated) if buf_at + (buf.len() as u64) < file_len => {
                // Read on: keep the partial record, and room for all of it.
                buf.drain(..at);
                buf_at += at as u64;
                at = 0;
                let wanted = if buf.len() >= record::FRAME_HEADER {
                    record::FRAME_HEADER + u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize
                } else {
                    0
                };
                let left = usize::try_from(file_len - buf_at).unwrap_or(usize::MAX);
                let target = wanted.max(buf.len() + READ_CHUNK).min(left);
                let old = buf.len();
                buf.resize(target, 0);
                let got = read_up_to(&mut file, &mut buf[old..])?;
                buf.truncate(old + got);
                if got == 0 {
                    break;
                }
            }
            Err(e) => {
                let offset = buf_at + at as u64;
                if offset >= file_len {
                    break;
                }
                if zero_filled(&mut file, offset, file_len)? {
                    // The space the journal reserved ahead of its writes (see
                    // `journal::PREALLOCATE`), left by a crash: the records end here.
                    return Ok(Ok(SegmentScan { good_end: offset, records, damage: None }));
                }
                let what = match e {
                    FrameError::Truncated => format!("incomplete record ({} bytes at the end)", file_len - offset),
                    FrameError::Corrupt(why) => format!("bad record ({why})"),
                };
                let torn = is_torn_tail(&mut file, offset, file_len)?;
                return Ok(Ok(SegmentScan { good_end: offset, records, damage: Some((offset, what, torn)) }));
            }
        }
    }
    Ok(Ok(SegmentScan { good_end: buf_at + at as u64, records, damage: None }))
}

/// Reads as much of `buf` as the file has.
fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read;
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Cuts the segment at `path` to `len` bytes, durably.
fn cut_segment(path: &Path, len: u64) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.set_len(len)?;
    file.sync_all()
}

/// Whether the file holds nothing but zero bytes from `offset` to `file_len`.
fn zero_filled(file: &mut std::fs::File, offset: u64, file_len: u64) -> std::io::Result<bool> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    let mut left = file_len - offset;
    let mut chunk = vec![0u8; 64 << 10];
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
        let got = read_up_to(file, &mut chunk[..want])?;
        if got == 0 {
            break;
        }
        if chunk[..got].iter().any(|&b| b != 0) {
            return Ok(false);
        }
        left -= got as u64;
    }
    Ok(true)
}

/// Whether damage at `offset` is the end of a write the crash cut short: nothing after it
/// reads as a record. A good record further on means the damage is in the middle.
fn is_torn_tail(file: &mut std::fs::File, offset: u64, file_len: u64) -> std::io::Result<bool> {
    use std::io::{Seek, SeekFrom};
    if file_len - offset > MAX_TORN_TAIL {
        return Ok(false);
    }
    let mut rest = vec![0u8; (file_len - offset) as usize];
    file.seek(SeekFrom::Start(offset))?;
    let got = read_up_to(file, &mut rest)?;
    rest.truncate(got);
    Ok(!(1..rest.len()).any(|i| record::read_frame(&rest[i..]).is_ok()))
}

/// Replays the journal in `dir` (its `segments`, see [`segments`]) into `server`'s keyspace. Returns the LSN the next record
/// gets. `skip` tells whether a record at an LSN is already in the loaded snapshot for the
/// slots it touches. `live`: a running node still writes this journal (DEBUG LOADAOF), so
/// its last segment is read up to its last whole record and never cut.
pub fn replay_journal(
    server: &Server,
    dir: &Path,
    segments: &[Segment],
    skip: &dyn Fn(&[&[u8]], u64) -> bool,
    live: bool,
) -> anyhow::Result<u64> {
    let Some(last) = segments.last().map(|s| s.path.clone()) else { return Ok(0) };
    let started = Instant::now();
    let mut replayer = Replayer::new(server, "journal")?;
    let mut next_lsn = 0;
    let mut expected: Option<u64> = None;
    let mut records = 0u64;
    for segment in segments {
        let is_last = segment.path == last;
        let scan = scan_segment(&segment.path, expected, |record, lsn| replayer.apply(&record, lsn, skip))?
            .map_err(|(offset, what)| damaged(&segment.path, offset, what, dir))?;
        let file_len = std::fs::metadata(&segment.path)?.len();
        records += scan.records;
        if let Some((offset, what, torn)) = scan.damage {
            if !(is_last && torn) {
                return Err(damaged(&segment.path, offset, what, dir).into());
            }
            if live {
                next_lsn = segment.start_lsn + scan.good_end - SEGMENT_HEADER as u64;
                break;
            }
            tracing::warn!(
                "{}: {what} at offset {offset}: the node stopped while writing it; cutting the journal there ({} bytes dropped)",
                segment.path.display(),
                file_len - offset
            );
            cut_segment(&segment.path, offset)?;
        } else if scan.good_end < file_len && !live {
            tracing::info!(
                "{}: cutting the {} bytes of space reserved after the last record (left by a crash)",
                segment.path.display(),
                file_len - scan.good_end
            );
            cut_segment(&segment.path, scan.good_end)?;
        }
        next_lsn = segment.start_lsn + scan.good_end - SEGMENT_HEADER as u64;
        expected = Some(next_lsn);
    }
    crate::engine::end_replay_clock();
    tracing::info!(
        records,
        failed = replayer.failed,
        "journal replayed in {:.3} s ({} segments)",
        started.elapsed().as_secs_f64(),
        segments.len()
    );
    Ok(next_lsn)
}

fn damaged(path: &Path, offset: u64, what: String, dir: &Path) -> Damaged {
    Damaged { file: path.display().to_string(), offset, what, dir: dir.display().to_string() }
}

/// Whether the record at `lsn` for command `args` is already in a snapshot whose slot
/// images (and function libraries) were taken at `covered`: then replaying it would apply
/// it twice.
pub fn covered_by_snapshot(covered: &super::snapshot::Covered, args: &[&[u8]], lsn: u64) -> bool {
    let spec = crate::commands::resolve(args).ok();
    if spec.is_some_and(|spec| spec.name.starts_with("function|")) {
        return covered.functions > lsn;
    }
    let slot = spec
        .and_then(|spec| spec.keys_of(args))
        .and_then(|keys| keys.first().map(|k| usize::from(crate::engine::slot::key_slot(k))))
        .unwrap_or(0);
    covered.slots.get(slot).is_some_and(|&at| at > lsn)
}

/// Runs logged commands through the command table as a client of its own.
pub(crate) struct Replayer<'a> {
    server: &'a Server,
    session: Session,
    scratch: BytesMut,
    _registration: Option<crate::server::Registration<'a>>,
    pub(crate) failed: u64,
    /// Whether logged messages (PUBLISH) are published again: only for a stream that is
    /// happening now (a Redis master's), never for one that happened already (the journal
    /// at start, a cluster primary's records), see `persist::messages`.
    publishes: bool,
}

impl<'a> Replayer<'a> {
    /// A replayer whose client (in CLIENT LIST) is named `name`.
    pub(crate) fn new(server: &'a Server, name: &str) -> anyhow::Result<Replayer<'a>> {
        let registration = server
            .clients
            .register(crate::server::Door::Resp, name.into(), String::new(), -1, usize::MAX)
            .ok_or_else(|| anyhow::anyhow!("cannot register the {name} replay client"))?;
        let mut session = Session::new(registration.client.clone());
        // What it replays already ran where it was written: never redirect it.
        session.from_primary = true;
        // Nor check it against ACL rules: it was allowed when it first ran (Redis's
        // internal clients have no user).
        session.user = Some(server.acl.superuser().clone());
        Ok(Replayer {
            server,
            session,
            scratch: BytesMut::new(),
            _registration: Some(registration),
            failed: 0,
            publishes: false,
        })
    }

    /// Makes the replayer publish the messages it meets to this node's subscribers, as a
    /// Redis replica does with the PUBLISH its master sends.
    pub(crate) fn publishing(mut self) -> Replayer<'a> {
        self.publishes = true;
        self
    }

    /// The client it runs as.
    pub(crate) fn client(&self) -> &crate::server::ClientHandle {
        &self.session.client
    }

    pub(crate) fn apply(&mut self, record: &Record, lsn: u64, skip: &dyn Fn(&[&[u8]], u64) -> bool) {
        crate::engine::set_replay_clock(record.at_ms);
        for command in &record.commands {
            let args = commands::views(&command.args);
            if skip(&args, lsn) || (!self.publishes && super::messages::is_message(&args)) {
                continue;
            }
            self.session.db = self.db(command.db);
            self.run(&args, lsn);
            // A blocking command that found nothing changed nothing when it first ran
            // either (it was logged when it was served).
            self.session.block = None;
            self.session.multi = None;
        }
    }

    /// Applies `record`'s commands as one transaction (MULTI ... EXEC), as a Redis replica
    /// applies its master's: clients see all of them or none, and the node's journal
    /// keeps them as one record (which its own replicas get as a transaction too). A
    /// command MULTI would refuse (unknown here) makes them run one by one instead, as
    /// [`Replayer::apply`] runs them, rather than be discarded together.
    pub(crate) fn apply_transaction(&mut self, record: &Record, lsn: u64) {
        let all_queueable = record.commands.iter().all(|c| commands::transaction::queueable(&commands::views(&c.args)));
        let Some(first) = record.commands.first().filter(|_| all_queueable && record.commands.len() > 1) else {
            return self.apply(record, lsn, &|_, _| false);
        };
        crate::engine::set_replay_clock(record.at_ms);
        self.session.db = self.db(first.db);
        self.run(&[b"MULTI"], lsn);
        let mut db = self.session.db;
        for command in &record.commands {
            let wanted = self.db(command.db);
            if wanted != db {
                // Run inside EXEC, as a SELECT the master's transaction held would be.
                self.run(&[b"SELECT", wanted.to_string().as_bytes()], lsn);
                db = wanted;
            }
            self.run(&commands::views(&command.args), lsn);
        }
        self.run(&[b"EXEC"], lsn);
        self.session.block = None;
        self.session.multi = None;
    }

    fn db(&self, db: usize) -> usize {
        db.min(self.server.keyspace.databases() - 1)
    }

    /// Runs one command, counting (and logging the first few of) those that fail.
    fn run(&mut self, args: &[&[u8]], lsn: u64) {
        self.scratch.clear();
        let mut writer = RespWriter::new(&mut self.scratch, Protocol::Resp2);
        let mut ctx = Ctx::new(self.server, &mut self.session, &mut writer);
        commands::execute(&mut ctx, args);
        if writer.errors > 0 {
            self.failed += 1;
            if self.failed <= 10 {
                tracing::warn!(
                    "journal record at LSN {lsn} failed on replay: {}",
                    String::from_utf8_lossy(&self.scratch).trim_end()
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn frame(value: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        record::put_command(&mut body, 0, &[b"SET", b"k", value]);
        let mut out = Vec::new();
        record::put_frame(&mut out, 1, None, &body);
        out
    }

    /// Writes the segment starting at LSN 0 in `dir`: its header, then `parts`.
    fn segment(dir: &Path, parts: &[&[u8]]) -> PathBuf {
        let path = journal::segment_path(dir, 0);
        let mut bytes = journal::segment_header(0).to_vec();
        for part in parts {
            bytes.extend_from_slice(part);
        }
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn scan(path: &Path) -> SegmentScan {
        scan_segment(path, None, |_, _| {}).unwrap().unwrap()
    }

    #[test]
    fn a_zero_filled_tail_is_the_end_of_the_records() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (frame(b"1"), frame(b"2"));
        let records_end = (SEGMENT_HEADER + a.len() + b.len()) as u64;
        let scanned = scan(&segment(dir.path(), &[&a, &b, &vec![0u8; 100_000]]));
        assert_eq!((scanned.records, scanned.good_end, scanned.damage), (2, records_end, None));
        // Fewer zero bytes than a record header: the same.
        let scanned = scan(&segment(dir.path(), &[&a, &b, &[0u8; 3]]));
        assert_eq!((scanned.records, scanned.good_end, scanned.damage), (2, records_end, None));
    }

    #[test]
    fn a_record_cut_short_before_the_zeros_is_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (frame(b"1"), frame(b"a longer value"));
        let scanned = scan(&segment(dir.path(), &[&a, &b[..b.len() - 3], &[0u8; 4096]]));
        assert_eq!(scanned.records, 1);
        let (offset, _, torn) = scanned.damage.expect("the cut record is damage");
        assert_eq!(offset, (SEGMENT_HEADER + a.len()) as u64);
        assert!(torn);
    }

    #[test]
    fn zeros_with_a_record_after_them_are_damage_in_the_middle() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (frame(b"1"), frame(b"2"));
        let scanned = scan(&segment(dir.path(), &[&a, &[0u8; 64], &b, &[0u8; 64]]));
        assert_eq!(scanned.records, 1);
        let (offset, _, torn) = scanned.damage.expect("the zeros are damage");
        assert_eq!(offset, (SEGMENT_HEADER + a.len()) as u64);
        assert!(!torn, "a good record follows: not the end of a write");
    }

    #[test]
    fn the_journal_reserves_space_ahead_and_gives_back_what_it_did_not_use() {
        let dir = tempfile::tempdir().unwrap();
        let journal = journal::Journal::open(dir.path(), 0, Arc::new(crate::config::Limits::default())).unwrap();
        let mut body = Vec::new();
        record::put_command(&mut body, 0, &[b"SET", b"k", b"v"]);
        let end = journal.append(1, None, &body);
        journal.sync_now();
        let path = journal::segment_path(dir.path(), 0);
        let records_end = SEGMENT_HEADER as u64 + end;
        assert!(std::fs::metadata(&path).unwrap().len() > records_end, "no space reserved");
        // A crash now would leave the reserved zeros: they read as the end of the records.
        let scanned = scan(&path);
        assert_eq!((scanned.records, scanned.good_end, scanned.damage), (1, records_end, None));
        journal.close();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), records_end);
    }
}
