//! The append-only journal: one stream of records for the whole node, in segment files
//! `journal-<start LSN>.log` under the data directory. A record's LSN is its byte offset in
//! the stream since the node's first record, so it orders everything logged and names a
//! position across segments (a replica's offset later).
//!
//! Commands append to an in-memory buffer under their shard locks (a memcpy under one short
//! mutex); a flusher thread writes the buffer out and syncs it by the `appendfsync` policy.
//! Under `always` a reply waits until its record is synced; everyone waiting when a sync
//! starts is covered by it (group commit), and the sync is done by a waiting connection's
//! own worker thread after the other ready connections ran (Redis's event-loop shape), not
//! handed to the flusher and back. Under `everysec` and `no` the flusher gathers a
//! millisecond of records per write, so a busy node makes about a thousand writes a second
//! whatever its command rate.

use std::fs::{File, OpenOptions};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::record;

/// Bytes of a segment file's header: magic, start LSN, CRC32C of both.
pub const SEGMENT_HEADER: usize = 20;
const SEGMENT_MAGIC: &[u8; 8] = b"AEGISRJ1";

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    Always = 0,
    EverySec = 1,
    No = 2,
}

impl FsyncPolicy {
    pub fn parse(text: &str) -> Option<FsyncPolicy> {
        match text.to_ascii_lowercase().as_str() {
            "always" => Some(FsyncPolicy::Always),
            "everysec" => Some(FsyncPolicy::EverySec),
            "no" => Some(FsyncPolicy::No),
            _ => None,
        }
    }

    fn from_u8(n: u8) -> FsyncPolicy {
        match n {
            0 => FsyncPolicy::Always,
            1 => FsyncPolicy::EverySec,
            _ => FsyncPolicy::No,
        }
    }
}

/// The path of the segment whose first record is at `start_lsn`.
pub fn segment_path(dir: &Path, start_lsn: u64) -> PathBuf {
    dir.join(format!("journal-{start_lsn:020}.log"))
}

/// The start LSN a segment file name stands for.
pub fn segment_start(name: &str) -> Option<u64> {
    name.strip_prefix("journal-")?.strip_suffix(".log")?.parse().ok()
}

pub fn segment_header(start_lsn: u64) -> [u8; SEGMENT_HEADER] {
    let mut header = [0u8; SEGMENT_HEADER];
    header[..8].copy_from_slice(SEGMENT_MAGIC);
    header[8..16].copy_from_slice(&start_lsn.to_le_bytes());
    let crc = crc32c::crc32c(&header[..16]);
    header[16..].copy_from_slice(&crc.to_le_bytes());
    header
}

/// The start LSN a segment header records, or why the header is bad.
pub fn parse_segment_header(bytes: &[u8]) -> Result<u64, String> {
    let header = bytes.get(..SEGMENT_HEADER).ok_or("file shorter than a segment header")?;
    if &header[..8] != SEGMENT_MAGIC {
        return Err("not an Aegisr journal segment (bad magic)".into());
    }
    if crc32c::crc32c(&header[..16]).to_le_bytes() != header[16..20] {
        return Err("segment header checksum mismatch".into());
    }
    let mut lsn = [0u8; 8];
    lsn.copy_from_slice(&header[8..16]);
    Ok(u64::from_le_bytes(lsn))
}

struct Pending {
    buf: Vec<u8>,
    /// LSN of `buf[0]`.
    buf_start: u64,
    /// LSNs where a new segment must start (snapshots rotate the journal), ascending.
    rotations: Vec<u64>,
}

/// What INFO persistence reports about the journal.
#[derive(Debug, Clone, Default)]
pub struct JournalInfo {
    pub policy: &'static str,
    /// Bytes of the stream written to files (from LSN 0).
    pub written_lsn: u64,
    pub synced_lsn: u64,
    pub appended_lsn: u64,
    pub last_write_ok: bool,
    pub last_error: Option<String>,
    pub current_segment_start: u64,
}

/// The room each of the journal's three buffers (pending, being written, spare) starts
/// with: a pass's records under a heavy pipelined load.
const BUFFER_START: usize = 1 << 16;
/// An emptied buffer grown past this (one big record did it: a SADD of 100,000 members) is
/// replaced by a new one of [`BUFFER_START`] bytes, so it does not stay allocated for
/// the node's life, as Redis frees a big AOF buffer once written.
const BUFFER_KEEP_AT_MOST: usize = 1 << 18;

fn release_if_big(buffer: &mut Vec<u8>) {
    if buffer.is_empty() && buffer.capacity() > BUFFER_KEEP_AT_MOST {
        *buffer = Vec::with_capacity(BUFFER_START);
    }
}

pub struct Journal {
    dir: PathBuf,
    /// The LSN of the first record this journal logs (where it was opened).
    opened_at: u64,
    /// The file and the batch being written; locked before `pending` when both are.
    writer: Mutex<Writer>,
    pending: Mutex<Pending>,
    /// Wakes the flusher (a record arrived, a rotation, a policy change, stop).
    wake: Condvar,
    /// Wakes `sync_now` callers after the flusher synced.
    synced: Condvar,
    /// Where `appendfsync` is read from (CONFIG SET changes it live).
    limits: Arc<crate::config::Limits>,
    /// End of what is on disk by the policy: synced under `always`, written otherwise.
    durable_end: AtomicU64,
    synced_end: AtomicU64,
    written_end: AtomicU64,
    segment_start: AtomicU64,
    durable_waiters: tokio::sync::Notify,
    healthy: AtomicBool,
    last_error: Mutex<Option<String>>,
    stop: AtomicBool,
    /// Bytes held by the journal's buffers (the append buffer and the flusher's), which
    /// eviction leaves out of used memory as Redis leaves out its AOF buffers: evicting a
    /// key appends a record, and must not chase its own tail.
    buffered_pending: AtomicU64,
    buffered_flusher: AtomicU64,
    /// Set by `sync_now`: sync at the next pass whatever the policy.
    sync_requested: AtomicBool,
    flusher: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The replication backlog, fed with every batch the flusher takes.
    backlog: super::backlog::Backlog,
}

impl Journal {
    /// Opens a new segment at `start_lsn` in `dir` and starts the flusher thread.
    pub fn open(dir: &Path, start_lsn: u64, limits: Arc<crate::config::Limits>) -> std::io::Result<Arc<Journal>> {
        remove_torn_segments(dir)?;
        let file = create_segment(dir, start_lsn)?;
        let writer = Writer {
            file,
            file_len: SEGMENT_HEADER as u64,
            allocated: SEGMENT_HEADER as u64,
            can_preallocate: true,
            unwritten: Vec::new(),
            unwritten_start: start_lsn,
            spare: Vec::with_capacity(BUFFER_START),
            rotations: Vec::new(),
            last_sync: Instant::now(),
            dirty: false,
        };
        let journal = Arc::new(Journal {
            writer: Mutex::new(writer),
            dir: dir.to_path_buf(),
            opened_at: start_lsn,
            pending: Mutex::new(Pending {
                buf: Vec::with_capacity(BUFFER_START),
                buf_start: start_lsn,
                rotations: Vec::new(),
            }),
            wake: Condvar::new(),
            synced: Condvar::new(),
            limits,
            durable_end: AtomicU64::new(start_lsn),
            synced_end: AtomicU64::new(start_lsn),
            written_end: AtomicU64::new(start_lsn),
            segment_start: AtomicU64::new(start_lsn),
            durable_waiters: tokio::sync::Notify::new(),
            healthy: AtomicBool::new(true),
            last_error: Mutex::new(None),
            stop: AtomicBool::new(false),
            buffered_pending: AtomicU64::new(0),
            buffered_flusher: AtomicU64::new(0),
            sync_requested: AtomicBool::new(false),
            flusher: Mutex::new(None),
            backlog: super::backlog::Backlog::new(start_lsn),
        });
        let worker = journal.clone();
        let handle =
            std::thread::Builder::new().name("aegisr-journal".into()).spawn(move || worker.flush_until_stopped())?;
        *journal.flusher.lock() = Some(handle);
        Ok(journal)
    }

    /// Appends one record (a command body, or `multi` bodies of a transaction); returns
    /// the LSN just past it.
    pub fn append(&self, at_ms: i64, multi: Option<usize>, body: &[u8]) -> u64 {
        let mut pending = self.pending.lock();
        let was_empty = pending.buf.is_empty();
        let capacity = pending.buf.capacity();
        record::put_frame(&mut pending.buf, at_ms, multi, body);
        if pending.buf.capacity() != capacity {
            self.buffered_pending.store(pending.buf.capacity() as u64, Ordering::Relaxed);
        }
        let end = pending.buf_start + pending.buf.len() as u64;
        drop(pending);
        // Under `always` the connection waiting for this record syncs it (`wait_durable`).
        if was_empty && self.policy() != FsyncPolicy::Always {
            self.wake.notify_one();
        }
        end
    }

    /// The newest records, for replicas.
    pub fn backlog(&self) -> &super::backlog::Backlog {
        &self.backlog
    }

    /// The LSN this journal was opened at: its first segment starts there.
    pub fn opened_at(&self) -> u64 {
        self.opened_at
    }

    /// The LSN the next record will get.
    pub fn next_lsn(&self) -> u64 {
        let pending = self.pending.lock();
        pending.buf_start + pending.buf.len() as u64
    }

    /// Ends the current segment here: records appended from now on go to a new segment.
    /// Returns the new segment's start LSN.
    pub fn rotate(&self) -> u64 {
        let mut pending = self.pending.lock();
        let at = pending.buf_start + pending.buf.len() as u64;
        if pending.rotations.last() != Some(&at) {
            pending.rotations.push(at);
        }
        drop(pending);
        self.wake.notify_one();
        at
    }

    pub fn policy(&self) -> FsyncPolicy {
        FsyncPolicy::from_u8(self.limits.appendfsync.load(Ordering::Relaxed))
    }

    /// False after a failed write until a retry succeeds: writes are refused meanwhile.
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Whether everything appended is on disk (after [`Journal::close`]: all of it).
    pub fn all_synced(&self) -> bool {
        self.healthy() && self.synced_end.load(Ordering::Acquire) >= self.next_lsn()
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().clone()
    }

    /// Waits until everything up to `end` is on disk as `appendfsync always` promises.
    ///
    /// The connections of one worker thread wait as a group: one of them leads (syncs, or
    /// waits for the sync that covers it) and wakes the others when it is done, so a sync
    /// on one thread wakes each other thread once, not once per waiting connection.
    pub async fn wait_durable(&self, end: u64) {
        let group = WAIT_GROUP.with(Arc::clone);
        loop {
            let woken = group.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if self.is_durable(end) {
                return;
            }
            if !group.leading.swap(true, Ordering::AcqRel) {
                let _leading = Leading(&group);
                self.lead_until_durable(end).await;
                continue;
            }
            woken.await;
        }
    }

    fn is_durable(&self, end: u64) -> bool {
        self.durable_end.load(Ordering::Acquire) >= end || self.stop.load(Ordering::Acquire)
    }

    /// [`Journal::wait_durable`] for the connection leading its thread's group.
    async fn lead_until_durable(&self, end: u64) {
        let mut yielded = false;
        loop {
            let notified = self.durable_waiters.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_durable(end) {
                return;
            }
            // Nobody is writing: sync here, on this worker thread, blocking it for the sync
            // as Redis's event loop does; its other clients wait for durability anyway.
            // After a failed write the flusher's once-a-second retry takes over.
            if self.healthy() && self.policy() == FsyncPolicy::Always {
                if !yielded {
                    // First let the other ready connections run their commands, so that
                    // one sync covers them all (Redis syncs once per event-loop pass).
                    yielded = true;
                    tokio::task::yield_now().await;
                    continue;
                }
                if let Some(mut writer) = self.writer.try_lock() {
                    self.pass(&mut writer);
                    continue;
                }
            }
            notified.await;
        }
    }

    /// Whether every record up to `end` is synced to disk, whatever the policy.
    pub fn is_synced(&self, end: u64) -> bool {
        self.synced_end.load(Ordering::Acquire) >= end
    }

    /// Waits until every record up to `end` is synced to disk, whatever the policy
    /// (WAITAOF), asking the flusher for a sync now rather than at its next due one.
    pub async fn wait_synced(&self, end: u64) {
        loop {
            let notified = self.durable_waiters.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_synced(end) {
                return;
            }
            self.sync_requested.store(true, Ordering::Release);
            self.wake.notify_one();
            // The flusher wakes durable waiters after each pass; a second's timeout covers
            // a wake-up lost while it was between passes.
            let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
        }
    }

    /// Blocks until every record appended so far is written and synced (SHUTDOWN, SAVE).
    pub fn sync_now(&self) {
        let end = self.next_lsn();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut pending = self.pending.lock();
        while self.synced_end.load(Ordering::Acquire) < end && Instant::now() < deadline && self.healthy() {
            self.sync_requested.store(true, Ordering::Release);
            self.wake.notify_one();
            self.synced.wait_for(&mut pending, Duration::from_millis(5));
        }
    }

    /// Writes out and syncs what is pending, then stops the flusher.
    pub fn close(&self) {
        self.sync_now();
        self.stop.store(true, Ordering::Release);
        self.wake.notify_all();
        if let Some(handle) = self.flusher.lock().take() {
            let _ = handle.join();
        }
        self.writer.lock().trim();
        self.durable_waiters.notify_waiters();
    }

    pub fn info(&self) -> JournalInfo {
        JournalInfo {
            policy: match self.policy() {
                FsyncPolicy::Always => "always",
                FsyncPolicy::EverySec => "everysec",
                FsyncPolicy::No => "no",
            },
            written_lsn: self.written_end.load(Ordering::Relaxed),
            synced_lsn: self.synced_end.load(Ordering::Relaxed),
            appended_lsn: self.next_lsn(),
            last_write_ok: self.healthy(),
            last_error: self.last_error(),
            current_segment_start: self.segment_start.load(Ordering::Relaxed),
        }
    }

    /// Bytes the journal's buffers hold (left out of used memory for eviction).
    pub fn buffered(&self) -> u64 {
        self.buffered_pending.load(Ordering::Relaxed)
            + self.buffered_flusher.load(Ordering::Relaxed)
            + self.backlog.held() as u64
    }
}

/// Starts a segment file. It is written under a temporary name and renamed once its header
/// is on disk, so a crash while creating it never leaves a segment without a header (which
/// recovery would rightly refuse); the temporary file is removed at the next start.
fn create_segment(dir: &Path, start_lsn: u64) -> std::io::Result<File> {
    let path = segment_path(dir, start_lsn);
    let tmp = path.with_extension("log.tmp");
    let mut file = OpenOptions::new().create(true).write(true).truncate(true).open(&tmp)?;
    file.write_all(&segment_header(start_lsn))?;
    file.sync_all()?;
    // The open handle follows the rename: records are appended to the named segment.
    std::fs::rename(&tmp, &path)?;
    sync_dir(dir)?;
    Ok(file)
}

/// Removes segments left half-created by a crash (see `create_segment`).
fn remove_torn_segments(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("journal-") && name.ends_with(".log.tmp") {
            tracing::warn!(
                "removing {name}: a journal segment whose creation a crash interrupted (it held no records)"
            );
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Makes a created or renamed file's directory entry durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The journal's file and what was taken from the buffer but not yet on disk. Under
/// `always` a connection that waits for its record does the pass itself when nobody else
/// is (the way Redis syncs in its event loop), so a sync costs no hand-off to another
/// thread and back; otherwise, and for records no one waits on, the flusher thread does.
struct Writer {
    file: File,
    /// Bytes of records (and header) in the segment file.
    file_len: u64,
    /// The file's length with its preallocated tail (see [`PREALLOCATE`]).
    allocated: u64,
    /// False once the filesystem said it cannot preallocate (the journal then appends).
    can_preallocate: bool,
    /// Bytes taken from the buffer but not yet written (a failed write is retried).
    unwritten: Vec<u8>,
    unwritten_start: u64,
    spare: Vec<u8>,
    rotations: Vec<u64>,
    last_sync: Instant,
    /// Written but not synced.
    dirty: bool,
}

/// How long the flusher sleeps under `always` (appends do not wake it then: waiting
/// connections sync themselves) before it looks for records no one waits on.
const ALWAYS_IDLE: Duration = Duration::from_millis(5);

/// The connections of one thread waiting for `appendfsync always` (see
/// [`Journal::wait_durable`]).
#[derive(Default)]
struct WaitGroup {
    /// One of them is leading.
    leading: AtomicBool,
    /// Wakes the others when the leader is done.
    wake: tokio::sync::Notify,
}

thread_local! {
    static WAIT_GROUP: Arc<WaitGroup> = Arc::new(WaitGroup::default());
}

/// Held by a group's leader; hands the lead on when dropped, also when the leading
/// connection goes away mid-wait.
struct Leading<'a>(&'a WaitGroup);

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        self.0.leading.store(false, Ordering::Release);
        self.0.wake.notify_waiters();
    }
}

impl Journal {
    /// One pass: takes the buffer, hands it to the backlog, writes it out and syncs by
    /// the policy. Returns the policy it ran under and whether some bytes are left
    /// unwritten (the disk refused them).
    fn pass(&self, w: &mut Writer) -> (FsyncPolicy, bool) {
        let batch_start;
        {
            let mut pending = self.pending.lock();
            if w.unwritten.is_empty() {
                w.unwritten_start = pending.buf_start;
            }
            batch_start = pending.buf_start;
            let end = pending.buf_start + pending.buf.len() as u64;
            std::mem::swap(&mut w.spare, &mut pending.buf);
            pending.buf_start = end;
            pending.buf.clear();
            release_if_big(&mut pending.buf);
            self.buffered_pending.store(pending.buf.capacity() as u64, Ordering::Relaxed);
            w.rotations.append(&mut pending.rotations);
        }
        // Read after taking the batch: CONFIG SET may have changed it meanwhile, and a
        // client waiting under `always` must not be released by a pass that did not sync.
        let policy = self.policy();
        // Replicas get the records as soon as they are taken, not after the disk.
        let capacity = usize::try_from(self.limits.repl_backlog_size.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
        self.backlog.push(batch_start, &w.spare, capacity);
        // Usually nothing is left from a failed write: take the batch as it is.
        if w.unwritten.is_empty() {
            std::mem::swap(&mut w.unwritten, &mut w.spare);
        } else {
            let Writer { unwritten, spare, .. } = w;
            unwritten.extend_from_slice(spare);
        }
        w.spare.clear();
        release_if_big(&mut w.spare);
        if w.write_out(self) {
            w.dirty = true;
        }
        if w.unwritten.is_empty() {
            release_if_big(&mut w.unwritten);
        }
        self.buffered_flusher.store((w.unwritten.capacity() + w.spare.capacity()) as u64, Ordering::Relaxed);
        let sync_due = self.sync_requested.swap(false, Ordering::AcqRel)
            || match policy {
                FsyncPolicy::Always => true,
                FsyncPolicy::EverySec => w.last_sync.elapsed() >= Duration::from_secs(1),
                FsyncPolicy::No => false,
            };
        if w.dirty && w.unwritten.is_empty() && (sync_due || self.stop.load(Ordering::Acquire)) {
            w.sync(self);
            w.dirty = false;
        }
        // Wake SAVE/SHUTDOWN waiting in `sync_now` even under `appendfsync no`.
        if w.unwritten.is_empty() && !w.dirty {
            let written = self.written_end.load(Ordering::Acquire);
            self.synced_end.fetch_max(written, Ordering::AcqRel);
            self.synced.notify_all();
        }
        if policy != FsyncPolicy::Always {
            self.durable_end.store(self.written_end.load(Ordering::Acquire), Ordering::Release);
            self.durable_waiters.notify_waiters();
        }
        (policy, !w.unwritten.is_empty())
    }

    /// The flusher thread's loop.
    fn flush_until_stopped(&self) {
        loop {
            let (idle_writer, dirty) = {
                let w = self.writer.lock();
                (w.unwritten.is_empty(), w.dirty)
            };
            {
                let mut pending = self.pending.lock();
                if pending.buf.is_empty() && pending.rotations.is_empty() && idle_writer {
                    if self.stop.load(Ordering::Acquire) {
                        break;
                    }
                    // Idle: sleep until a record arrives, waking for the once-a-second sync.
                    let idle = if self.policy() == FsyncPolicy::Always {
                        ALWAYS_IDLE
                    } else {
                        Duration::from_millis(if dirty { 100 } else { 1000 })
                    };
                    self.wake.wait_for(&mut pending, idle);
                }
            }
            let (policy, failed) = self.pass(&mut self.writer.lock());
            if failed {
                // The disk refused the write: retry in a second.
                std::thread::sleep(Duration::from_secs(1));
            } else if policy != FsyncPolicy::Always && !self.stop.load(Ordering::Acquire) {
                // Gather records into the next write: a millisecond's while replicas read
                // them as they are taken (and WAIT counts on them); else ten, as no client
                // waits for them (everysec and no sync on their own schedule), and each
                // pass costs a write call (35 µs on a test host) and a sleep.
                let gather = if self.backlog.enabled() { 1 } else { 10 };
                std::thread::sleep(Duration::from_millis(gather));
            }
        }
        let mut w = self.writer.lock();
        if w.dirty {
            w.sync(self);
        }
    }
}

impl Writer {
    /// Writes `data` (starting at LSN `start`) to the segments, starting a new segment at
    /// each rotation point. On failure keeps the unwritten rest in `data` and returns
    /// whether anything was written.
    fn write_out(&mut self, journal: &Journal) -> bool {
        let mut wrote = false;
        loop {
            let Writer {
                file,
                file_len,
                allocated,
                can_preallocate,
                unwritten: data,
                unwritten_start: start,
                rotations,
                ..
            } = self;
            // The part of `data` before the next rotation point.
            let next_rotation = rotations.first().copied();
            let cut = match next_rotation {
                Some(at) => usize::try_from(at.saturating_sub(*start)).unwrap_or(usize::MAX).min(data.len()),
                None => data.len(),
            };
            if cut > 0 {
                if *can_preallocate && *file_len + cut as u64 > *allocated {
                    match preallocate(file, *file_len + cut as u64) {
                        Ok(length) => *allocated = length,
                        // A full disk may have room again later; a filesystem without
                        // fallocate never will.
                        Err(e) => *can_preallocate = e.raw_os_error() != Some(libc::EOPNOTSUPP),
                    }
                }
                if let Err(e) = file.write_all(&data[..cut]) {
                    // Take back a partial write so the file ends on a record boundary, and
                    // write the retry there (not after a hole where the cursor was left).
                    let _ = file.set_len(*file_len);
                    *allocated = *file_len;
                    let _ = file.seek(std::io::SeekFrom::Start(*file_len));
                    journal.fail(format!("{e}"));
                    return wrote;
                }
                *file_len += cut as u64;
                data.drain(..cut);
                *start += cut as u64;
                journal.written_end.store(*start, Ordering::Release);
                wrote = true;
                journal.recover();
            }
            match next_rotation {
                Some(at) if at <= *start => {
                    sync_file(journal, file);
                    self.trim();
                    match create_segment(&journal.dir, at) {
                        Ok(new) => {
                            self.file = new;
                            self.file_len = SEGMENT_HEADER as u64;
                            self.allocated = SEGMENT_HEADER as u64;
                            journal.segment_start.store(at, Ordering::Release);
                            self.rotations.remove(0);
                        }
                        Err(e) => {
                            journal.fail(format!("cannot start journal segment: {e}"));
                            return wrote;
                        }
                    }
                }
                _ => return wrote,
            }
        }
    }

    fn sync(&mut self, journal: &Journal) {
        if sync_file(journal, &self.file) {
            self.last_sync = Instant::now();
        }
    }

    /// Cuts the unused preallocated tail off the segment (it is complete, or the node
    /// stops), so that only a crash leaves one behind. Best effort: recovery reads a
    /// zero-filled tail as the end of the segment anyway.
    fn trim(&mut self) {
        if self.allocated > self.file_len && self.file.set_len(self.file_len).is_ok() {
            self.allocated = self.file_len;
            let _ = self.file.sync_all();
        }
    }
}

/// Bytes the journal reserves ahead of its writes. Writing into space the file already has
/// makes each sync flush the data alone; an append also has to commit the file's new length
/// in the filesystem's journal, which made a sync about half as slow again on this
/// machine's ext4 (110 against 70 µs). A crash leaves at most this much zero-filled tail,
/// which recovery reads as the end of the segment (see `recovery::scan_segment`).
const PREALLOCATE: u64 = 4 << 20;

/// Extends `file` (`fallocate`, which writes nothing) so that it has room up to `needed`
/// plus [`PREALLOCATE`], and returns its new length. On failure the journal appends as
/// usual, and a full disk shows on the write itself.
#[cfg(target_os = "linux")]
fn preallocate(file: &File, needed: u64) -> std::io::Result<u64> {
    use std::os::fd::AsRawFd;
    let target = needed.saturating_add(PREALLOCATE);
    let length = libc::off_t::try_from(target).map_err(std::io::Error::other)?;
    // SAFETY: fallocate only reads its integer arguments, and `file` is an open descriptor
    // for the duration of the call.
    if unsafe { libc::fallocate(file.as_raw_fd(), 0, 0, length) } == 0 {
        Ok(target)
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn preallocate(_file: &File, _needed: u64) -> std::io::Result<u64> {
    Err(std::io::Error::from_raw_os_error(libc::EOPNOTSUPP))
}

/// Syncs the segment being written and publishes what that made durable; false if the
/// sync failed.
fn sync_file(journal: &Journal, file: &File) -> bool {
    match file.sync_data() {
        Ok(()) => {
            let written = journal.written_end.load(Ordering::Acquire);
            journal.synced_end.store(written, Ordering::Release);
            if journal.policy() == FsyncPolicy::Always {
                journal.durable_end.store(written, Ordering::Release);
                journal.durable_waiters.notify_waiters();
            }
            journal.synced.notify_all();
            true
        }
        Err(e) => {
            journal.fail(format!("fsync failed: {e}"));
            false
        }
    }
}

impl Journal {
    fn fail(&self, error: String) {
        if self.healthy.swap(false, Ordering::AcqRel) {
            tracing::error!("error writing the journal: {error}; refusing writes until it can be written again");
        }
        *self.last_error.lock() = Some(error);
    }

    fn recover(&self) {
        if !self.healthy.swap(true, Ordering::AcqRel) {
            tracing::warn!("journal writes succeed again; accepting writes");
            *self.last_error.lock() = None;
        }
    }
}
