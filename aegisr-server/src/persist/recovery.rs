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

/// What scanning one segment found.
pub struct SegmentScan {
    /// Offset just past the last good record.
    pub good_end: u64,
    pub records: u64,
    /// The damage that stopped the scan, if any: its offset and what it is, and whether it
    /// is a torn tail (nothing valid can follow it).
    pub damage: Option<(u64, String, bool)>,
}

/// Reads `bytes` (a whole segment file), calling `apply` with each good record and its
/// LSN, until the end or the first damage.
pub fn scan_segment(
    bytes: &[u8],
    expected_start: Option<u64>,
    mut apply: impl FnMut(Record, u64),
) -> Result<SegmentScan, (u64, String)> {
    let start_lsn = journal::parse_segment_header(bytes).map_err(|e| (0, e))?;
    if let Some(expected) = expected_start
        && expected != start_lsn
    {
        return Err((0, format!("segment starts at LSN {start_lsn}, but the previous one ends at {expected}")));
    }
    let mut at = SEGMENT_HEADER;
    let mut records = 0;
    while at < bytes.len() {
        match record::read_frame(&bytes[at..]) {
            Ok((record, used)) => {
                apply(record, start_lsn + (at - SEGMENT_HEADER) as u64);
                records += 1;
                at += used;
            }
            Err(FrameError::Truncated) => {
                let what = format!("incomplete record ({} bytes at the end)", bytes.len() - at);
                return Ok(SegmentScan { good_end: at as u64, records, damage: Some((at as u64, what, true)) });
            }
            Err(FrameError::Corrupt(why)) => {
                // A bad record that reaches exactly to the end was being written when the
                // node died: a torn tail too.
                let claimed = u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
                let torn = at + record::FRAME_HEADER + claimed == bytes.len();
                return Ok(SegmentScan {
                    good_end: at as u64,
                    records,
                    damage: Some((at as u64, format!("bad record ({why})"), torn)),
                });
            }
        }
    }
    Ok(SegmentScan { good_end: at as u64, records, damage: None })
}

/// Replays the journal in `dir` into `server`'s keyspace. Returns the LSN the next record
/// gets. `covered(slot_lsn_check)` tells whether a record at an LSN is already in the
/// loaded snapshot for the slots it touches.
pub fn replay_journal(server: &Server, dir: &Path, skip: &dyn Fn(&[bytes::Bytes], u64) -> bool) -> anyhow::Result<u64> {
    let segments = segments(dir)?;
    let Some(last) = segments.last().map(|s| s.path.clone()) else { return Ok(0) };
    let started = Instant::now();
    let mut replayer = Replayer::new(server)?;
    let mut next_lsn = 0;
    let mut expected: Option<u64> = None;
    let mut records = 0u64;
    for segment in &segments {
        let bytes = std::fs::read(&segment.path)?;
        let is_last = segment.path == last;
        let scan = scan_segment(&bytes, expected, |record, lsn| replayer.apply(&record, lsn, skip))
            .map_err(|(offset, what)| damaged(&segment.path, offset, what, dir))?;
        records += scan.records;
        if let Some((offset, what, torn)) = scan.damage {
            if !(is_last && torn) {
                return Err(damaged(&segment.path, offset, what, dir).into());
            }
            tracing::warn!(
                "{}: {what} at offset {offset}: the node stopped while writing it; cutting the journal there ({} bytes dropped)",
                segment.path.display(),
                bytes.len() as u64 - offset
            );
            let file = std::fs::OpenOptions::new().write(true).open(&segment.path)?;
            file.set_len(offset)?;
            file.sync_all()?;
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

/// Runs logged commands through the command table as a client of its own.
struct Replayer<'a> {
    server: &'a Server,
    session: Session,
    scratch: BytesMut,
    _registration: Option<crate::server::Registration<'a>>,
    failed: u64,
}

impl<'a> Replayer<'a> {
    fn new(server: &'a Server) -> anyhow::Result<Replayer<'a>> {
        let registration = server
            .clients
            .register(crate::server::Door::Resp, "journal".into(), String::new(), -1, usize::MAX)
            .ok_or_else(|| anyhow::anyhow!("cannot register the journal's replay client"))?;
        let session = Session::new(registration.client.clone());
        Ok(Replayer { server, session, scratch: BytesMut::new(), _registration: Some(registration), failed: 0 })
    }

    fn apply(&mut self, record: &Record, lsn: u64, skip: &dyn Fn(&[bytes::Bytes], u64) -> bool) {
        crate::engine::set_replay_clock(record.at_ms);
        for command in &record.commands {
            if skip(&command.args, lsn) {
                continue;
            }
            self.session.db = command.db.min(self.server.keyspace.databases() - 1);
            self.scratch.clear();
            let mut writer = RespWriter::new(&mut self.scratch, Protocol::Resp2);
            let mut ctx = Ctx::new(self.server, &mut self.session, &mut writer);
            commands::execute(&mut ctx, &command.args);
            if writer.errors > 0 {
                self.failed += 1;
                if self.failed <= 10 {
                    tracing::warn!(
                        "journal record at LSN {lsn} failed on replay: {}",
                        String::from_utf8_lossy(&self.scratch).trim_end()
                    );
                }
            }
            // A blocking command that found nothing changed nothing when it first ran
            // either (it was logged when it was served).
            self.session.block = None;
            self.session.multi = None;
        }
    }
}
