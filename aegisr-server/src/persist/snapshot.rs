//! Snapshots without fork: each hash slot's image is taken under its shard's lock, one slot
//! at a time (a pause of one slot's worth of keys, while every other slot serves), and
//! written out before the next is taken, so memory grows by about one slot's encoded size
//! rather than doubling.
//!
//! Each image records the journal position (LSN) it was taken at. On recovery a journal
//! record is replayed for a key only if it came after the image of the key's slot: slots
//! taken at different moments still give one exact state. A write spanning slots some of
//! which are already taken makes the others be taken first (`Keyspace::settle_snapshot`),
//! so no write is half in the snapshot.
//!
//! File `snapshot-<LSN>.snap`, where LSN is where the journal was rotated when it began:
//!
//! ```text
//! header   "AEGISRS1" codec_version:u16 created_ms:i64 crc32c:u32
//! section  len:u32 crc32c:u32 payload      one per hash slot (16384), then the functions'
//! payload  lsn:u64 first_slot:u32 slot_count:u32 entry*
//! entry    flags:u8 db:varint key_len:varint key [expire_ms:i64] value_len:varint value
//! functions lsn:u64 0xFFFFFF00:u32 version:u32 (0xF5 len:varint code)*
//! end      0xFFFFFFFF sections:u32 keys:u64 crc32c:u32
//! ```
//!
//! The functions section holds the function libraries (FUNCTION LOAD's codes) as of its
//! LSN: journal records of FUNCTION commands before it are in it. It is written only when
//! there are libraries, so a node without any writes the files of earlier versions, and
//! files without one (earlier versions') load as before.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use super::codec;
use super::journal::Journal;
use super::record::{put_varint, read_varint};
use crate::engine::{Keyspace, Locked};

const MAGIC: &[u8; 8] = b"AEGISRS1";
const HEADER: usize = 22;
const END_MARK: u32 = u32::MAX;
const FLAG_EXPIRY: u8 = 1;
/// The `first_slot` field of the functions section.
const FUNCTIONS_SECTION: u32 = 0xFFFF_FF00;
/// The version of the functions section's format, in its `slot_count` field.
const FUNCTIONS_VERSION: u32 = 1;

/// The function libraries a snapshot holds, and the journal position they are current at.
#[derive(Debug, Clone, Default)]
pub struct FunctionsImage {
    pub lsn: u64,
    pub codes: Vec<bytes::Bytes>,
}

/// Per hash slot, and for the function libraries, the journal position a snapshot holds
/// them at: records before it are in the snapshot.
#[derive(Debug, Clone, Default)]
pub struct Covered {
    pub slots: Vec<u64>,
    pub functions: u64,
}

/// Whether a section's payload is the functions section.
fn is_functions(payload: &[u8]) -> bool {
    payload.get(8..12) == Some(&FUNCTIONS_SECTION.to_le_bytes()[..])
}

/// Reads the functions section's payload.
fn read_functions(offset: u64, payload: &[u8]) -> Result<FunctionsImage, (u64, String)> {
    let lsn = u64::from_le_bytes(payload[..8].try_into().unwrap_or([0; 8]));
    let version = u32::from_le_bytes(payload[12..16].try_into().unwrap_or([0; 4]));
    if version != FUNCTIONS_VERSION {
        return Err((offset, format!("functions section version {version}, this build reads {FUNCTIONS_VERSION}")));
    }
    let codes = crate::scripting::functions::decode_codes(&payload[16..])
        .ok_or_else(|| (offset, "bad functions section".to_owned()))?;
    Ok(FunctionsImage { lsn, codes })
}

/// The path of the snapshot begun at journal position `lsn`.
pub fn snapshot_path(dir: &Path, lsn: u64) -> PathBuf {
    dir.join(format!("snapshot-{lsn:020}.snap"))
}

pub fn snapshot_lsn(name: &str) -> Option<u64> {
    name.strip_prefix("snapshot-")?.strip_suffix(".snap")?.parse().ok()
}

/// One snapshot being written: the shards' images not yet written out, and which run
/// this is (shards remember the last run that took them).
pub struct SnapshotRun {
    pub epoch: u64,
    journal: Option<Arc<Journal>>,
    /// Redis's RDB format instead of the snapshot file's (`export_rdb`).
    rdb: bool,
    /// A key the RDB format cannot hold, met while encoding (the export stops there).
    unsupported: Mutex<Option<super::rdb::Unsupported>>,
    /// Slot images taken ahead of the writer (by a write that spanned slots), by slot.
    taken: Mutex<std::collections::HashMap<usize, Vec<u8>>>,
    /// An RDB export with a journal: the journal position each slot's image was taken at.
    slot_lsns: Mutex<Vec<u64>>,
    pub keys: AtomicU64,
}

static EPOCH: AtomicU64 = AtomicU64::new(0);

impl SnapshotRun {
    fn new(journal: Option<Arc<Journal>>) -> SnapshotRun {
        SnapshotRun {
            epoch: EPOCH.fetch_add(1, Ordering::Relaxed) + 1,
            journal,
            rdb: false,
            unsupported: Mutex::new(None),
            taken: Mutex::new(std::collections::HashMap::new()),
            slot_lsns: Mutex::new(Vec::new()),
            keys: AtomicU64::new(0),
        }
    }

    /// Takes the image of hash slot `slot` now (its shard's lock is held by the caller)
    /// and keeps it for the writer.
    pub(crate) fn take_slot(&self, keyspace: &Keyspace, slot: usize, shard: &mut crate::engine::Shard) {
        let image = self.encode_slot(keyspace, slot, shard);
        self.taken.lock().insert(slot, image);
    }

    fn encode_slot(&self, keyspace: &Keyspace, slot: usize, shard: &mut crate::engine::Shard) -> Vec<u8> {
        if self.rdb {
            return self.encode_slot_rdb(keyspace, slot, shard);
        }
        // Read under the shard's lock: every record for this slot's keys before this
        // point is in the image, every one after it is not.
        let lsn = self.journal.as_ref().map_or(0, |j| j.next_lsn());
        let local = slot & (keyspace.shard_slots(0).1 - 1);
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&lsn.to_le_bytes());
        out.extend_from_slice(&(slot as u32).to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        let now = crate::engine::now_ms();
        let mut keys = 0;
        shard.for_each_entry_in_slot(local, |db, key, value, expiry| {
            if expiry.is_some_and(|at| at <= now) {
                return;
            }
            out.push(if expiry.is_some() { FLAG_EXPIRY } else { 0 });
            put_varint(&mut out, db);
            put_varint(&mut out, key.len());
            out.extend_from_slice(key);
            if let Some(at) = expiry {
                out.extend_from_slice(&at.to_le_bytes());
            }
            // The value's length is not known before encoding it: encode after a
            // placeholder wide enough for any length, then close the gap.
            let len_at = out.len();
            out.extend_from_slice(&[0; 10]);
            let start = out.len();
            codec::encode_value(value, &mut out);
            let mut len = Vec::with_capacity(10);
            put_varint(&mut len, out.len() - start);
            out.splice(len_at..start, len);
            keys += 1;
        });
        self.keys.fetch_add(keys, Ordering::Relaxed);
        shard.mark_slot_taken(self.epoch, local);
        out
    }

    /// The slot's keys as RDB entries, each database's after a SELECTDB.
    fn encode_slot_rdb(&self, keyspace: &Keyspace, slot: usize, shard: &mut crate::engine::Shard) -> Vec<u8> {
        let local = slot & (keyspace.shard_slots(0).1 - 1);
        let mut out = Vec::new();
        let now = crate::engine::now_ms();
        let mut keys = 0;
        let mut current_db = None;
        let mut unsupported = None;
        shard.for_each_entry_in_slot(local, |db, key, value, expiry| {
            if expiry.is_some_and(|at| at <= now) || unsupported.is_some() {
                return;
            }
            if current_db != Some(db) {
                super::rdb::select_db(&mut out, db);
                current_db = Some(db);
            }
            match super::rdb::entry(&mut out, key, value, expiry) {
                Ok(()) => keys += 1,
                Err(e) => unsupported = Some(e),
            }
        });
        if let Some(e) = unsupported {
            self.unsupported.lock().get_or_insert(e);
        }
        self.keys.fetch_add(keys, Ordering::Relaxed);
        shard.mark_slot_taken(self.epoch, local);
        // Read under the shard's lock, as for a snapshot file's slot (see `encode_slot`).
        if let Some(journal) = &self.journal {
            let mut lsns = self.slot_lsns.lock();
            if lsns.len() == crate::engine::slot::SLOT_COUNT {
                lsns[slot] = journal.next_lsn();
            }
        }
        out
    }
}

/// What an RDB export wrote, and, made with a journal, where in the journal's record stream
/// each part of it stands: a record before a slot's position is in the file, one after
/// it is not (see `resp::replica_feed`, which streams the records that follow the file).
#[derive(Debug, Clone, Default)]
pub struct RdbExport {
    pub keys: u64,
    /// Each hash slot's position; empty without a journal.
    pub slot_lsns: Vec<u64>,
    /// The function libraries' position.
    pub functions_lsn: u64,
}

/// What a finished snapshot wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub keys: u64,
    pub bytes: u64,
    pub lsn: u64,
}

/// Writes a snapshot of `keyspace` into `dir`, shard by shard, while the node serves.
/// With a journal, rotates it first; afterwards older snapshots and the journal segments
/// the new snapshot covers are removed (every segment, without a journal: see
/// [`segments_superseded`]).
pub fn write(
    keyspace: &Keyspace,
    functions: &crate::scripting::functions::Functions,
    dir: &Path,
    journal: Option<Arc<Journal>>,
) -> anyhow::Result<Written> {
    let lsn = journal.as_ref().map_or(0, |j| j.rotate());
    let path = snapshot_path(dir, lsn);
    let tmp = path.with_extension("snap.tmp");
    let run = Arc::new(SnapshotRun::new(journal.clone()));
    keyspace.begin_snapshot(run.clone());
    let result = write_sections(keyspace, functions, &run, &tmp);
    keyspace.end_snapshot();
    let bytes = match result {
        Ok(bytes) => bytes,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, &path)?;
    super::journal::sync_dir(dir)?;
    remove_covered(dir, segments_superseded(journal.is_some(), lsn, keyspace.journal().as_deref()), &path);
    Ok(Written { path, keys: run.keys.load(Ordering::Relaxed), bytes, lsn })
}

/// Calls `write` with each hash slot's image in slot order. Slot by slot, each under its
/// shard's lock for the time of encoding that slot only: the pause a client can see is
/// one slot's worth of keys. A slot a write spanning slots made be taken ahead comes from
/// where that left it.
fn for_each_slot_image(
    keyspace: &Keyspace,
    run: &SnapshotRun,
    mut write: impl FnMut(usize, Vec<u8>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (_, per_shard) = keyspace.shard_slots(0);
    for slot in 0..crate::engine::slot::SLOT_COUNT {
        let index = slot / per_shard;
        let image = keyspace.with_shard(index, |shard| {
            if shard.slot_taken(run.epoch, slot % per_shard) {
                None
            } else {
                Some(run.encode_slot(keyspace, slot, shard))
            }
        });
        let image = match image {
            Some(image) => image,
            None => run.taken.lock().remove(&slot).unwrap_or_default(),
        };
        write(slot, image)?;
    }
    Ok(())
}

/// Writes the live dataset and function libraries in Redis's RDB format (`persist::rdb`)
/// to `sink`, a chunk at a time, from the snapshot's slot-by-slot images; with `journal`,
/// each image's position in its record stream is noted. The caller holds the snapshot
/// claim. Fails on a value the format cannot hold, or when `sink` does.
pub fn export_rdb(
    keyspace: &Keyspace,
    functions: &crate::scripting::functions::Functions,
    journal: Option<Arc<Journal>>,
    used_memory: u64,
    parts: super::rdb::Parts,
    mut sink: impl FnMut(Vec<u8>) -> anyhow::Result<()>,
) -> anyhow::Result<RdbExport> {
    let mut sum = super::rdb::Checksum::default();
    let mut chunk = Vec::with_capacity(CHUNK);
    super::rdb::header(&mut chunk, crate::engine::now_ms() / 1000, used_memory);
    let position = || journal.as_ref().map_or(0, |j| j.next_lsn());
    if !parts.keys {
        let functions_lsn = finish_rdb(functions, parts, chunk, sum, position, sink)?;
        return Ok(RdbExport { functions_lsn, ..RdbExport::default() });
    }
    let mut run = SnapshotRun::new(journal.clone());
    run.rdb = true;
    if journal.is_some() {
        run.slot_lsns = Mutex::new(vec![0; crate::engine::slot::SLOT_COUNT]);
    }
    let run = Arc::new(run);
    keyspace.begin_snapshot(run.clone());
    let result = for_each_slot_image(keyspace, &run, |_, image| {
        if let Some(e) = run.unsupported.lock().take() {
            return Err(e.into());
        }
        chunk.extend_from_slice(&image);
        if chunk.len() >= CHUNK {
            sum.update(&chunk);
            sink(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))?;
        }
        Ok(())
    });
    keyspace.end_snapshot();
    result?;
    if let Some(e) = run.unsupported.lock().take() {
        return Err(e.into());
    }
    let functions_lsn = finish_rdb(functions, parts, chunk, sum, position, sink)?;
    let slot_lsns = std::mem::take(&mut *run.slot_lsns.lock());
    Ok(RdbExport { keys: run.keys.load(Ordering::Relaxed), slot_lsns, functions_lsn })
}

/// The end of an RDB export: the function libraries (if asked for), the EOF opcode and the
/// checksum, after what `chunk` holds. Returns the libraries' `position`.
fn finish_rdb(
    functions: &crate::scripting::functions::Functions,
    parts: super::rdb::Parts,
    mut chunk: Vec<u8>,
    mut sum: super::rdb::Checksum,
    position: impl FnOnce() -> u64,
    mut sink: impl FnMut(Vec<u8>) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    let (lsn, codes) = functions.image(position);
    if parts.functions {
        for code in &codes {
            super::rdb::function(&mut chunk, code);
        }
    }
    sum.update(&chunk);
    chunk.extend_from_slice(&sum.finish());
    sink(chunk)?;
    Ok(lsn)
}

/// Bytes an RDB export hands its sink at a time.
const CHUNK: usize = 1 << 20;

fn write_sections(
    keyspace: &Keyspace,
    functions: &crate::scripting::functions::Functions,
    run: &SnapshotRun,
    tmp: &Path,
) -> anyhow::Result<u64> {
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(tmp)?);
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&codec::CODEC_VERSION.to_le_bytes());
    header.extend_from_slice(&crate::engine::now_ms().to_le_bytes());
    let crc = crc32c::crc32c(&header);
    header.extend_from_slice(&crc.to_le_bytes());
    file.write_all(&header)?;
    let mut bytes = HEADER as u64;
    for_each_slot_image(keyspace, run, |slot, image| {
        let len = u32::try_from(image.len()).map_err(|_| anyhow::anyhow!("slot {slot} is over 4 GB encoded"))?;
        file.write_all(&len.to_le_bytes())?;
        file.write_all(&crc32c::crc32c(&image).to_le_bytes())?;
        file.write_all(&image)?;
        bytes += 8 + image.len() as u64;
        Ok(())
    })?;
    let mut sections = crate::engine::slot::SLOT_COUNT as u32;
    let (lsn, codes) = functions.image(|| run.journal.as_ref().map_or(0, |j| j.next_lsn()));
    if !codes.is_empty() {
        let mut image = Vec::new();
        image.extend_from_slice(&lsn.to_le_bytes());
        image.extend_from_slice(&FUNCTIONS_SECTION.to_le_bytes());
        image.extend_from_slice(&FUNCTIONS_VERSION.to_le_bytes());
        image.extend_from_slice(&crate::scripting::functions::encode_codes(&codes));
        let len = u32::try_from(image.len()).map_err(|_| anyhow::anyhow!("the function libraries are over 4 GB"))?;
        file.write_all(&len.to_le_bytes())?;
        file.write_all(&crc32c::crc32c(&image).to_le_bytes())?;
        file.write_all(&image)?;
        bytes += 8 + image.len() as u64;
        sections += 1;
    }
    let mut end = Vec::with_capacity(20);
    end.extend_from_slice(&END_MARK.to_le_bytes());
    end.extend_from_slice(&sections.to_le_bytes());
    end.extend_from_slice(&run.keys.load(Ordering::Relaxed).to_le_bytes());
    let crc = crc32c::crc32c(&end);
    end.extend_from_slice(&crc.to_le_bytes());
    file.write_all(&end)?;
    bytes += end.len() as u64;
    let file = file.into_inner().map_err(|e| anyhow::anyhow!("cannot write the snapshot: {}", e.error()))?;
    file.sync_all()?;
    Ok(bytes)
}

/// The journal segments a snapshot taken at `lsn` makes obsolete (those starting before the
/// LSN returned): taken with the journal, those before `lsn`; taken without it (`appendonly
/// no`), every one, as such a snapshot holds all the data, and segments left by an earlier
/// run with the journal on must not be replayed over it when the node next starts with the
/// journal on (they would bring back older values). `journal_now`: the journal running
/// when the snapshot ends, which CONFIG SET appendonly may have switched on meanwhile:
/// its segments come after this snapshot and stay.
pub(crate) fn segments_superseded(taken_with_journal: bool, lsn: u64, journal_now: Option<&Journal>) -> u64 {
    match (taken_with_journal, journal_now) {
        (true, _) => lsn,
        (false, Some(journal)) => journal.opened_at(),
        (false, None) => u64::MAX,
    }
}

/// Removes the snapshots older than `keep` and the journal segments before `lsn`.
pub(crate) fn remove_covered(dir: &Path, lsn: u64, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let old_snapshot = snapshot_lsn(name).is_some() && path != keep;
        let old_segment = super::journal::segment_start(name).is_some_and(|start| start < lsn);
        if (old_snapshot || old_segment)
            && let Err(e) = std::fs::remove_file(&path)
        {
            tracing::warn!("cannot remove {}: {e}", path.display());
        }
    }
}

/// The newest snapshot in `dir`, if any.
pub fn newest(dir: &Path) -> std::io::Result<Option<PathBuf>> {
    let mut best: Option<(u64, PathBuf)> = None;
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry?;
                if let Some(lsn) = entry.file_name().to_str().and_then(snapshot_lsn)
                    && best.as_ref().is_none_or(|(b, _)| lsn > *b)
                {
                    best = Some((lsn, entry.path()));
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    Ok(best.map(|(_, p)| p))
}

/// A snapshot's sections, checked: the LSN each slot's image was taken at, and the
/// sections' payloads. Errors carry the offset of the damage.
pub struct Loaded {
    /// Per hash slot (and for the function libraries): records at or after this LSN are
    /// replayed for the slot's keys.
    pub covered: Covered,
    pub keys: u64,
    /// The function libraries, if the snapshot has any.
    pub functions: Option<FunctionsImage>,
}

/// A checked section: where its payload is in the file, its LSN and slots.
struct SectionRef {
    offset: u64,
    len: usize,
}

/// The one reader of the file format, for a file streamed from disk (recovery) and for
/// bytes in memory (backups): checks the header, every section's checksum and the end
/// mark, calling `on_section` with each section's file offset and payload.
fn walk_sections(
    reader: &mut impl std::io::Read,
    mut on_section: impl FnMut(u64, &[u8]) -> Result<(), (u64, String)>,
) -> Result<(), (u64, String)> {
    use std::io::Read;
    let mut header = [0u8; HEADER];
    reader.read_exact(&mut header).map_err(|_| (0, "not an Aegisr snapshot (bad magic)".to_owned()))?;
    check_header(&header)?;
    let mut sections = 0;
    let mut at = HEADER as u64;
    let mut payload = Vec::new();
    loop {
        let io = |e: std::io::Error| (at, format!("cannot read: {e}"));
        let mut head = [0u8; 8];
        reader.read_exact(&mut head).map_err(|_| (at, "snapshot ends before its end mark".to_owned()))?;
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        if len == END_MARK {
            let mut end = [0u8; 20];
            end[..8].copy_from_slice(&head);
            reader.read_exact(&mut end[8..]).map_err(|_| (at, "truncated end mark".to_owned()))?;
            if crc32c::crc32c(&end[..16]).to_le_bytes() != end[16..20] {
                return Err((at, "end mark checksum mismatch".into()));
            }
            let count = u32::from_le_bytes([end[4], end[5], end[6], end[7]]) as usize;
            if count != sections {
                return Err((at, format!("{sections} sections where the end mark says {count}")));
            }
            if reader.read(&mut [0u8; 1]).map_err(io)? != 0 {
                return Err((at + 20, "bytes after the end mark".into()));
            }
            return Ok(());
        }
        payload.clear();
        let taken = reader.by_ref().take(u64::from(len)).read_to_end(&mut payload).map_err(io)?;
        if taken != len as usize {
            return Err((at, "section runs past the end of the file".into()));
        }
        if crc32c::crc32c(&payload).to_le_bytes() != head[4..8] {
            return Err((at, "section checksum mismatch".into()));
        }
        if payload.len() < 16 {
            return Err((at, "section too short".into()));
        }
        on_section(at + 8, &payload)?;
        sections += 1;
        at += 8 + u64::from(len);
    }
}

/// What checking a snapshot file found: its key sections, per hash slot the LSN of its
/// image, and its function libraries.
type Checked = (Vec<SectionRef>, Vec<u64>, Option<FunctionsImage>);

/// Reads the whole snapshot at `path` once to check it, without keeping it in memory.
fn check_file(path: &Path) -> Result<Checked, (u64, String)> {
    let file = std::fs::File::open(path).map_err(|e| (0, format!("cannot read: {e}")))?;
    let mut sections = Vec::new();
    let mut covered = vec![0u64; crate::engine::slot::SLOT_COUNT];
    let mut functions = None;
    walk_sections(&mut std::io::BufReader::with_capacity(1 << 20, file), |offset, payload| {
        if is_functions(payload) {
            functions = Some(read_functions(offset, payload)?);
            return Ok(());
        }
        cover(&mut covered, offset, payload)?;
        sections.push(SectionRef { offset, len: payload.len() });
        Ok(())
    })?;
    Ok((sections, covered, functions))
}

/// Checks the snapshot at `path`, then loads its keys into `keyspace` using `threads`
/// threads, each reading one section at a time: memory grows by a few sections, not by
/// the file. Errors carry the offset of the damage.
pub fn load(keyspace: &Keyspace, path: &Path, limits: &codec::Limits, threads: usize) -> Result<Loaded, (u64, String)> {
    let (sections, covered, functions) = check_file(path)?;
    let file = std::fs::File::open(path).map_err(|e| (0, format!("cannot read: {e}")))?;
    let keys = in_parallel(sections.len(), threads, |i| {
        let section = &sections[i];
        let mut payload = vec![0; section.len];
        std::os::unix::fs::FileExt::read_exact_at(&file, &mut payload, section.offset)
            .map_err(|e| (section.offset, format!("cannot read: {e}")))?;
        load_section(keyspace, &payload[16..], limits).map_err(|(at, what)| (section.offset + 16 + at as u64, what))
    })?;
    let covered = Covered { slots: covered, functions: functions.as_ref().map_or(0, |f| f.lsn) };
    Ok(Loaded { covered, keys: keys.into_iter().sum(), functions })
}

/// Per hash slot, the LSN of the section holding it (0 where none does).
fn covered_slots(sections: &[(usize, &[u8])]) -> Result<Vec<u64>, (u64, String)> {
    let mut covered = vec![0u64; crate::engine::slot::SLOT_COUNT];
    for (offset, payload) in sections {
        cover(&mut covered, *offset as u64, payload)?;
    }
    Ok(covered)
}

/// Marks the slots of the section at `offset` (its `payload`) with the section's LSN.
fn cover(covered: &mut [u64], offset: u64, payload: &[u8]) -> Result<(), (u64, String)> {
    let lsn = u64::from_le_bytes(payload[..8].try_into().unwrap_or([0; 8]));
    let first = u32::from_le_bytes(payload[8..12].try_into().unwrap_or([0; 4])) as usize;
    let count = u32::from_le_bytes(payload[12..16].try_into().unwrap_or([0; 4])) as usize;
    let slots = covered.get_mut(first..first.saturating_add(count)).ok_or((offset, "bad slot range".to_owned()))?;
    slots.iter_mut().for_each(|c| *c = lsn);
    Ok(())
}

/// Checks a snapshot's header (magic, checksum, value encoding version): `bytes` starts
/// with it.
fn check_header(bytes: &[u8]) -> Result<(), (u64, String)> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err((0, "not an Aegisr snapshot (bad magic)".into()));
    }
    if crc32c::crc32c(&bytes[..18]).to_le_bytes() != bytes[18..22] {
        return Err((0, "snapshot header checksum mismatch".into()));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != codec::CODEC_VERSION {
        return Err((8, format!("value encoding version {version}, this build reads {}", codec::CODEC_VERSION)));
    }
    Ok(())
}

/// A snapshot's sections: `(offset in the file, payload)`.
type Sections<'a> = Vec<(usize, &'a [u8])>;

/// Checks the header, every section's checksum and the end mark of a snapshot held in
/// `bytes`: its sections as `(offset, payload)`, or the offset and nature of the damage.
/// Nothing is loaded from a damaged file. (Split out of `load` for backups: a restore
/// checks a whole backup before touching the keyspace.)
fn check_sections(bytes: &[u8]) -> Result<Sections<'_>, (u64, String)> {
    let mut found = Vec::new();
    walk_sections(&mut &bytes[..], |offset, payload| {
        found.push((offset as usize, payload.len()));
        Ok(())
    })?;
    Ok(found.into_iter().map(|(offset, len)| (offset, &bytes[offset..offset + len])).collect())
}

/// The function libraries of a whole snapshot held in `bytes` (checked here), if it has any.
pub fn functions_of(bytes: &[u8]) -> Result<Option<FunctionsImage>, (u64, String)> {
    let sections = check_sections(bytes)?;
    let found = sections.iter().find(|(_, payload)| is_functions(payload));
    found.map(|(offset, payload)| read_functions(*offset as u64, payload)).transpose()
}

/// Runs `f` for `0..count` on `threads` threads: its results in order, or the first
/// failure (with its file offset).
fn in_parallel<T: Send>(
    count: usize,
    threads: usize,
    f: impl Fn(usize) -> Result<T, (u64, String)> + Sync,
) -> Result<Vec<T>, (u64, String)> {
    let next = AtomicU64::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..count).map(|_| None).collect());
    let failure: Mutex<Option<(u64, String)>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, count.max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    if i >= count {
                        break;
                    }
                    match f(i) {
                        Ok(result) => {
                            if let Some(slot) = results.lock().get_mut(i) {
                                *slot = Some(result);
                            }
                        }
                        Err(e) => {
                            *failure.lock() = Some(e);
                            break;
                        }
                    }
                }
            });
        }
    });
    if let Some(failure) = failure.into_inner() {
        return Err(failure);
    }
    Ok(results.into_inner().into_iter().flatten().collect())
}

/// One key read from a snapshot section.
pub struct SnapshotEntry<'a> {
    pub db: usize,
    pub key: &'a [u8],
    pub value: crate::types::Value,
    pub expiry: Option<i64>,
}

/// Decodes every entry of a section's entries part (each value in full, against
/// `limits`), handing each to `f`; the number of keys, or the offset and nature of the
/// damage. Touches no keyspace: `load` and the backup verification share it.
fn read_entries<'a>(
    mut input: &'a [u8],
    databases: usize,
    limits: &codec::Limits,
    mut f: impl FnMut(SnapshotEntry<'a>),
) -> Result<u64, (usize, String)> {
    let total = input.len();
    let mut keys = 0;
    while let Some((&flags, rest)) = input.split_first() {
        let at = total - input.len();
        let bad = |what: &str| (at, what.to_owned());
        input = rest;
        let db = take_varint(&mut input).ok_or_else(|| bad("bad database"))?;
        if db >= databases {
            return Err(bad("database out of range"));
        }
        let key_len = take_varint(&mut input).ok_or_else(|| bad("bad key length"))?;
        let key = input.get(..key_len).ok_or_else(|| bad("key runs past the section"))?;
        input = &input[key_len..];
        let expiry = if flags & FLAG_EXPIRY != 0 {
            let raw = input.get(..8).ok_or_else(|| bad("expiry runs past the section"))?;
            input = &input[8..];
            Some(i64::from_le_bytes(raw.try_into().unwrap_or([0; 8])))
        } else {
            None
        };
        let value_len = take_varint(&mut input).ok_or_else(|| bad("bad value length"))?;
        let raw = input.get(..value_len).ok_or_else(|| bad("value runs past the section"))?;
        input = &input[value_len..];
        let value = codec::decode_value_with(raw, limits).map_err(|e| (at, e.to_string()))?;
        f(SnapshotEntry { db, key, value, expiry });
        keys += 1;
    }
    Ok(keys)
}

fn load_section(keyspace: &Keyspace, input: &[u8], limits: &codec::Limits) -> Result<u64, (usize, String)> {
    let mut locked: Option<(usize, Locked<'_>)> = None;
    read_entries(input, keyspace.databases(), limits, |entry| {
        // Keys of one section are mostly of one shard: keep its lock across them.
        let shard = keyspace.shard_of(entry.key);
        if locked.as_ref().is_none_or(|(s, _)| *s != shard) {
            // One shard at a time: release the last before locking the next.
            drop(locked.take());
            locked = Some((shard, keyspace.lock_key(entry.db, entry.key)));
        }
        if let Some((_, l)) = locked.as_mut() {
            l.set_in(entry.db, entry.key, entry.value);
            if let Some(at) = entry.expiry {
                l.load_expiry(entry.db, entry.key, at);
            }
        }
    })
}

/// Checks a whole snapshot held in `bytes` (header, sections, end mark) and decodes every
/// value without touching any keyspace, on `threads` threads: each section's entries, in
/// order. For backups: nothing is restored from a damaged one.
pub fn decode_all<'a>(
    bytes: &'a [u8],
    databases: usize,
    limits: &codec::Limits,
    threads: usize,
) -> Result<Vec<Vec<SnapshotEntry<'a>>>, (u64, String)> {
    let mut sections = check_sections(bytes)?;
    for (offset, payload) in &sections {
        if is_functions(payload) {
            read_functions(*offset as u64, payload)?;
        }
    }
    sections.retain(|(_, payload)| !is_functions(payload));
    // As `load` would check them, should this file become the node's snapshot.
    covered_slots(&sections)?;
    in_parallel(sections.len(), threads, |i| {
        let (offset, payload) = sections[i];
        let mut out = Vec::new();
        read_entries(&payload[16..], databases, limits, |entry| out.push(entry))
            .map_err(|(at, what)| ((offset + 16 + at) as u64, what))?;
        Ok(out)
    })
}

/// The varint at the start of `input`, which then starts after it.
fn take_varint(input: &mut &[u8]) -> Option<usize> {
    let (n, next) = read_varint(input, 0)?;
    *input = &input[next..];
    Some(n)
}

/// How to give a checked snapshot file a new journal position without reading it again
/// (a restore adopts the backup's file as the node's snapshot, `persist::backup`): for each
/// section, the file offset of its payload, and the CRC32C and length of the payload after
/// its LSN field.
pub struct Retag {
    sections: Vec<(u64, u32, usize)>,
}

/// Plans the retagging of the snapshot in `bytes` (checked here).
pub fn retag_plan(bytes: &[u8]) -> Result<Retag, (u64, String)> {
    let sections = check_sections(bytes)?;
    let sections =
        sections.iter().map(|(offset, payload)| (*offset as u64, crc32c::crc32c(&payload[8..]), payload.len() - 8));
    Ok(Retag { sections: sections.collect() })
}

impl Retag {
    /// Rewrites every section's LSN in `file` (the snapshot the plan was made from) to
    /// `lsn`, with its checksum, and syncs the file.
    pub fn apply(&self, file: &std::fs::File, lsn: u64) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let lsn_bytes = lsn.to_le_bytes();
        let lsn_crc = crc32c::crc32c(&lsn_bytes);
        for &(offset, rest_crc, rest_len) in &self.sections {
            let crc = crc32c::crc32c_combine(lsn_crc, rest_crc, rest_len);
            file.write_all_at(&crc.to_le_bytes(), offset - 4)?;
            file.write_all_at(&lsn_bytes, offset)?;
        }
        file.sync_data()
    }
}

/// The key count a snapshot's end mark records (0 if `bytes` has none).
pub fn recorded_keys(bytes: &[u8]) -> u64 {
    bytes
        .len()
        .checked_sub(20)
        .and_then(|at| bytes.get(at + 8..at + 16))
        .and_then(|raw| raw.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::types::Value;

    #[test]
    fn a_retagged_snapshot_loads_with_its_new_position_into_another_shard_count() {
        let keyspace = Keyspace::new(4, 16);
        for i in 0..100 {
            let key = format!("key:{i}");
            keyspace.lock_key(0, key.as_bytes()).set_in(i % 3, key.as_bytes(), Value::from_bytes(b"v"));
        }
        let dir = tempfile::tempdir().unwrap();
        let functions = crate::scripting::functions::Functions::default();
        let written = write(&keyspace, &functions, dir.path(), None).unwrap();
        let bytes = std::fs::read(&written.path).unwrap();
        let entries = decode_all(&bytes, 16, &codec::Limits::default(), 2).unwrap();
        assert_eq!(entries.iter().map(Vec::len).sum::<usize>(), 100);
        assert!(decode_all(&bytes, 2, &codec::Limits::default(), 2).is_err(), "db 2 on a node of 2 databases");

        let plan = retag_plan(&bytes).unwrap();
        plan.apply(&std::fs::OpenOptions::new().write(true).open(&written.path).unwrap(), 77).unwrap();
        let fresh = Keyspace::new(2, 16);
        let loaded = load(&fresh, &written.path, &codec::Limits::default(), 2).unwrap();
        assert!(loaded.covered.slots.iter().all(|&lsn| lsn == 77));
        assert!(loaded.functions.is_none());
        assert_eq!((loaded.keys, recorded_keys(&std::fs::read(&written.path).unwrap())), (100, 100));
        assert_eq!(fresh.db_sizes(None)[..3].iter().map(|s| s.0).sum::<usize>(), 100);
    }

    #[test]
    fn function_libraries_round_trip_in_their_section() {
        let keyspace = Keyspace::new(2, 16);
        keyspace.lock_key(0, b"k").set_in(0, b"k", Value::from_bytes(b"v"));
        let functions = crate::scripting::functions::Functions::default();
        let run = Arc::new(crate::scripting::RunState::default());
        let code = b"#!lua name=lib\nredis.register_function('f', function() return 1 end)";
        functions.load(&run, code, false, || {}).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let written = write(&keyspace, &functions, dir.path(), None).unwrap();
        let fresh = Keyspace::new(2, 16);
        let loaded = load(&fresh, &written.path, &codec::Limits::default(), 2).unwrap();
        assert_eq!(loaded.keys, 1);
        assert_eq!(loaded.functions.unwrap().codes, vec![bytes::Bytes::from_static(code)]);
        let bytes = std::fs::read(&written.path).unwrap();
        assert_eq!(
            decode_all(&bytes, 16, &codec::Limits::default(), 2).unwrap().iter().map(Vec::len).sum::<usize>(),
            1
        );
        assert_eq!(functions_of(&bytes).unwrap().unwrap().codes.len(), 1);
        // Retagging moves the section's position with the slots'.
        let plan = retag_plan(&bytes).unwrap();
        plan.apply(&std::fs::OpenOptions::new().write(true).open(&written.path).unwrap(), 55).unwrap();
        let loaded = load(&Keyspace::new(2, 16), &written.path, &codec::Limits::default(), 2).unwrap();
        assert_eq!((loaded.covered.functions, loaded.functions.unwrap().lsn), (55, 55));
        // A flipped byte in the section is caught by its checksum.
        let mut bad = std::fs::read(&written.path).unwrap();
        let at = bad.len() - 30;
        bad[at] ^= 1;
        assert!(functions_of(&bad).is_err());
    }
}
