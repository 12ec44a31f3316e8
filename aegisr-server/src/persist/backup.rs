//! Backup and restore through the Admin gRPC service.
//!
//! A backup is a manifest (format and codec versions, when and where it was taken, sizes,
//! a CRC32C per `chunk_size` piece of the data and one of the whole) followed by the bytes
//! of one snapshot file, taken from the live node with [`super::snapshot_into`] into a
//! temporary directory under the data directory (removed once streamed).
//!
//! A restore receives the data into a temporary file, checking each piece's checksum as it
//! completes, then checks the whole: the total and its checksum, the snapshot's header,
//! every section's checksum and its end mark, and decodes every value
//! ([`snapshot::decode_all`]) into a staging list, all before touching the keyspace. Only
//! then does it hold every shard and swap the staged keys in: clients see the dataset from
//! before or from after. A replace builds the new tables before taking any lock and the
//! swap exchanges them ([`Keyspace::replace_with`]; 1M keys, debug build: clients held
//! under 1 ms, about 10 ms with persistence on for the syncs below); a merge stores each key
//! under all the shard locks ([`Keyspace::merge_in`]: 1.4 to 2.3 s for a million keys in a
//! debug build). Staging costs memory: about the backup's decoded size
//! on top of the live data, until the swap.
//!
//! With persistence on, the restored data is on disk before the restore returns. A replace
//! adopts the received file itself as the node's snapshot: with every shard held, just
//! before the swap, the journal is rotated and each section of the file is retagged with
//! that position, synced and renamed into place ([`super::SnapshotClaim::adopt`]). Recovery
//! then skips every journal record from before the swap and replays those after it, so a
//! crash at any moment comes back with the old data (before the rename) or the restored
//! data plus the writes since (after it). A merge writes a snapshot after the swap; a crash
//! before that snapshot is complete recovers the previous snapshot and journal, then the
//! writes made after the swap, on top of the data from before the merge (the merge itself
//! is not logged: it would put the whole backup through the journal). No other snapshot
//! may run from just before the swap until the restore's is in place
//! ([`super::SnapshotClaim`]).
//!
//! [`Keyspace::replace_with`]: crate::engine::Keyspace
//! [`Keyspace::merge_in`]: crate::engine::Keyspace

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aegisr_proto::v1::BackupManifest;

use super::{Mode, SaveError, capture, codec, snapshot};
use crate::server::Server;

/// Layout of a backup (the manifest plus one snapshot file).
pub const FORMAT_VERSION: u32 = 1;
/// Bytes per data message and per checksummed piece of a backup.
pub const CHUNK_SIZE: usize = 1 << 20;
/// Largest checksum piece a restore accepts (a gRPC message is 4 MiB at most anyway).
const MAX_CHUNK_SIZE: u32 = 64 << 20;
/// How long a backup or restore waits for a snapshot already being written.
const SNAPSHOT_WAIT: Duration = Duration::from_secs(60);

/// Why a backup or restore failed, by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A snapshot is being written and did not end in time: try again.
    #[error("{0}")]
    Busy(String),
    /// The request cannot be used (no manifest, another format or codec version).
    #[error("{0}")]
    Invalid(String),
    /// The backup's data is damaged or incomplete.
    #[error("{0}")]
    Damaged(String),
    /// The node could not do it (disk, I/O).
    #[error("{0}")]
    Failed(String),
}

fn io_failed(what: &str) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |e| BackupError::Failed(format!("{what}: {e}"))
}

/// A directory removed with everything in it when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove {}: {e}", self.0.display());
        }
    }
}

/// A fresh directory `<what>-<pid>-<n>.tmp` in the data directory: it is where snapshots
/// are written, so it has the room (and the node's own snapshot scan ignores it). `what`
/// is one of the names [`remove_leftovers`] knows.
pub(crate) fn temp_dir(server: &Server, what: &str) -> Result<TempDir, BackupError> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let parent = super::data_dir(server).map_err(|e| BackupError::Failed(format!("{e:#}")))?;
    remove_leftovers(&parent);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = parent.join(format!("{what}-{}-{n}.tmp", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(io_failed(&format!("cannot create {}", dir.display())))?;
    Ok(TempDir(dir))
}

/// Removes the temporary directories a previous process left (it died during a backup, a
/// restore or an RDB transfer to a replica): those named with another process id.
fn remove_leftovers(parent: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    let ours = std::process::id().to_string();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let temporary =
            ["backup-", "restore-", "sync-"].iter().any(|what| name.starts_with(what)) && name.ends_with(".tmp");
        // `<what>-<pid>-<n>.tmp`
        let pid = name.split('-').nth(1);
        if temporary && pid.is_some_and(|pid| pid != ours) && entry.path().is_dir() {
            match std::fs::remove_dir_all(entry.path()) {
                Ok(()) => tracing::info!("removed {} left by an earlier run", entry.path().display()),
                Err(e) => tracing::warn!("cannot remove {}: {e}", entry.path().display()),
            }
        }
    }
}

/// Runs `attempt` until no snapshot is in the way, for [`SNAPSHOT_WAIT`] at most.
fn when_no_snapshot<T>(mut attempt: impl FnMut() -> Result<T, SaveError>) -> Result<T, BackupError> {
    let deadline = Instant::now() + SNAPSHOT_WAIT;
    loop {
        match attempt() {
            Ok(value) => return Ok(value),
            Err(SaveError::InProgress) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(SaveError::InProgress) => {
                return Err(BackupError::Busy(format!(
                    "a snapshot (SAVE, BGSAVE, the save rules, or another backup or restore) has been running for \
                     over {} s; try again when it ends (INFO persistence: rdb_bgsave_in_progress)",
                    SNAPSHOT_WAIT.as_secs()
                )));
            }
            Err(e) => return Err(BackupError::Failed(e.to_string())),
        }
    }
}

/// A backup ready to stream: its manifest and its snapshot file (removed when dropped).
pub struct PreparedBackup {
    pub manifest: BackupManifest,
    pub path: PathBuf,
    _dir: TempDir,
}

/// Takes a snapshot of the live node for a backup (waiting up to a minute for one already
/// being written) and computes its manifest. Blocking: run it off the async threads.
pub fn prepare(server: &Server) -> Result<PreparedBackup, BackupError> {
    let dir = temp_dir(server, "backup")?;
    let written = when_no_snapshot(|| super::snapshot_into(server, &dir.0))?;
    let mut file = File::open(&written.path).map_err(io_failed("cannot read the backup snapshot"))?;
    let mut chunk_crc32c = Vec::new();
    let mut whole = 0u32;
    let mut total = 0u64;
    let mut buf = vec![0u8; CHUNK_SIZE];
    loop {
        let n = read_full(&mut file, &mut buf).map_err(io_failed("cannot read the backup snapshot"))?;
        if n == 0 {
            break;
        }
        chunk_crc32c.push(crc32c::crc32c(&buf[..n]));
        whole = crc32c::crc32c_append(whole, &buf[..n]);
        total += n as u64;
    }
    let manifest = BackupManifest {
        format_version: FORMAT_VERSION,
        codec_version: u32::from(codec::CODEC_VERSION),
        created_ms: crate::engine::now_ms(),
        run_id: server.run_id.clone(),
        total_bytes: total,
        key_count: written.keys,
        chunk_size: CHUNK_SIZE as u32,
        chunk_crc32c,
        crc32c: whole,
        server_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    tracing::info!("backup prepared: {} keys, {total} bytes", written.keys);
    Ok(PreparedBackup { manifest, path: written.path, _dir: dir })
}

/// Reads until `buf` is full or the input ends; the bytes read.
pub fn read_full(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A restore being received: the data goes to a temporary file, each piece checked
/// against the manifest as it completes.
pub struct Receiver {
    manifest: BackupManifest,
    file: BufWriter<File>,
    path: PathBuf,
    dir: TempDir,
    received: u64,
    /// CRC32C of the current piece so far, and its bytes.
    piece_crc: u32,
    piece_len: u64,
    pieces: usize,
    whole: u32,
}

impl Receiver {
    /// Checks the manifest and opens the temporary file.
    pub fn new(server: &Server, manifest: BackupManifest) -> Result<Receiver, BackupError> {
        if manifest.format_version != FORMAT_VERSION {
            return Err(BackupError::Invalid(format!(
                "backup format version {}, this node reads {FORMAT_VERSION}",
                manifest.format_version
            )));
        }
        if manifest.codec_version != u32::from(codec::CODEC_VERSION) {
            return Err(BackupError::Invalid(format!(
                "the backup's values are encoded in version {}, this node reads {}",
                manifest.codec_version,
                codec::CODEC_VERSION
            )));
        }
        if manifest.chunk_size == 0 || manifest.chunk_size > MAX_CHUNK_SIZE {
            return Err(BackupError::Invalid(format!(
                "manifest chunk_size {} is not in 1..={MAX_CHUNK_SIZE}",
                manifest.chunk_size
            )));
        }
        let pieces = manifest.total_bytes.div_ceil(u64::from(manifest.chunk_size));
        if pieces != manifest.chunk_crc32c.len() as u64 {
            return Err(BackupError::Invalid(format!(
                "the manifest has {} chunk checksums for {} bytes in chunks of {} (expected {pieces})",
                manifest.chunk_crc32c.len(),
                manifest.total_bytes,
                manifest.chunk_size
            )));
        }
        let dir = temp_dir(server, "restore")?;
        let path = dir.0.join("backup.snap");
        let file = File::create(&path).map_err(io_failed(&format!("cannot create {}", path.display())))?;
        Ok(Receiver {
            manifest,
            file: BufWriter::with_capacity(1 << 20, file),
            path,
            dir,
            received: 0,
            piece_crc: 0,
            piece_len: 0,
            pieces: 0,
            whole: 0,
        })
    }

    /// Takes the next bytes of the data.
    pub fn push(&mut self, mut data: &[u8]) -> Result<(), BackupError> {
        let total = self.manifest.total_bytes;
        if self.received + data.len() as u64 > total {
            return Err(BackupError::Damaged(format!("the backup has more data than its manifest's {total} bytes")));
        }
        self.file.write_all(data).map_err(io_failed("cannot write the received backup"))?;
        self.whole = crc32c::crc32c_append(self.whole, data);
        let chunk = u64::from(self.manifest.chunk_size);
        while !data.is_empty() {
            let take = (chunk - self.piece_len).min(data.len() as u64) as usize;
            self.piece_crc = crc32c::crc32c_append(self.piece_crc, &data[..take]);
            self.piece_len += take as u64;
            self.received += take as u64;
            data = &data[take..];
            if self.piece_len == chunk || self.received == total {
                self.end_piece()?;
            }
        }
        Ok(())
    }

    fn end_piece(&mut self) -> Result<(), BackupError> {
        let index = self.pieces;
        let expected = self.manifest.chunk_crc32c.get(index).copied();
        if expected != Some(self.piece_crc) {
            let start = index as u64 * u64::from(self.manifest.chunk_size);
            return Err(BackupError::Damaged(format!(
                "chunk {index} (bytes {start}..{}) of the backup fails its checksum",
                start + self.piece_len
            )));
        }
        self.pieces += 1;
        self.piece_crc = 0;
        self.piece_len = 0;
        Ok(())
    }

    /// The data has all been sent: checks its length and checksum.
    pub fn finish(mut self) -> Result<ReceivedBackup, BackupError> {
        let total = self.manifest.total_bytes;
        if self.received < total {
            return Err(BackupError::Damaged(format!(
                "the backup is cut short: {} of its {total} bytes arrived",
                self.received
            )));
        }
        if self.whole != self.manifest.crc32c {
            return Err(BackupError::Damaged("the backup's data fails its whole-file checksum".to_owned()));
        }
        // Synced: a replace may make this very file the node's snapshot.
        self.file
            .flush()
            .and_then(|()| self.file.get_ref().sync_all())
            .map_err(io_failed("cannot write the received backup"))?;
        Ok(ReceivedBackup { manifest: self.manifest, path: self.path, _dir: self.dir })
    }
}

/// A backup received whole, checksums checked, in a temporary file (removed when dropped).
pub struct ReceivedBackup {
    manifest: BackupManifest,
    path: PathBuf,
    _dir: TempDir,
}

/// What a restore did.
#[derive(Debug, Clone, Copy)]
pub struct Restored {
    pub keys_loaded: u64,
    pub keys_replaced: u64,
    pub pause: Duration,
    pub snapshot_written: bool,
}

/// What a restore swaps in: the new tables, or the keys to merge.
enum Swap<I> {
    Replace(crate::engine::StagedTables),
    Merge(I),
}

/// Checks the received backup's snapshot through and through, then swaps it in (replacing
/// every database, or merging with `merge`), then with persistence on writes a snapshot.
/// Blocking: run it off the async threads.
pub fn restore(server: &Server, backup: ReceivedBackup, merge: bool) -> Result<Restored, BackupError> {
    let bytes = std::fs::read(&backup.path).map_err(io_failed("cannot read the received backup"))?;
    let staged = stage(server, &bytes, &backup.manifest)?;
    let functions = snapshot::functions_of(&bytes)
        .map_err(|(offset, what)| {
            BackupError::Damaged(format!("the backup's snapshot is damaged at offset {offset}: {what}"))
        })?
        .map(|f| f.codes)
        .unwrap_or_default();
    let now = crate::engine::now_ms();
    let mut keys_loaded = 0u64;
    let entries = staged
        .into_iter()
        .flatten()
        // A key whose deadline passed since the backup was taken is not brought back.
        .filter(|e| e.expiry.is_none_or(|at| at > now))
        .inspect(|_| keys_loaded += 1)
        .map(|e| (e.db, e.key, e.value, e.expiry));
    // Replace: the new tables are built before any lock is taken, then swapped in whole.
    let swap = if merge { Swap::Merge(entries) } else { Swap::Replace(server.keyspace.build_tables(entries)) };
    let persistent = Mode::of(&server.config) != Mode::None;
    // A replace makes the backup's own snapshot file the node's snapshot (see the module's
    // comment); plan it now, while nothing is held.
    let retag = if persistent && !merge {
        let plan = snapshot::retag_plan(&bytes).map_err(|(offset, what)| {
            BackupError::Damaged(format!("the backup's snapshot is damaged at offset {offset}: {what}"))
        })?;
        Some(plan)
    } else {
        None
    };
    let claim = when_no_snapshot(|| super::claim_snapshots(server))?;
    // The swap is not a client's command: nothing of a command may be armed for the
    // journal on this thread.
    capture::disarm();
    let started = Instant::now();
    let (keys_replaced, adopted) = match swap {
        Swap::Replace(tables) => server
            .keyspace
            .replace_with(tables, || {
                // The backup's function libraries replace the node's, as its keys do.
                super::load_functions(server, &functions)?;
                match &retag {
                    Some(retag) => claim.adopt(&backup.path, retag, backup.manifest.key_count).map(Some),
                    None => Ok(None),
                }
            })
            .map_err(|e| {
                BackupError::Failed(format!(
                    "cannot make the backup the node's snapshot ({e:#}); the data was left as it was"
                ))
            })?,
        Swap::Merge(entries) => {
            server.keyspace.merge_in(entries);
            if !functions.is_empty() {
                let scripting = &server.scripting;
                let policy = crate::scripting::functions::RestorePolicy::Replace;
                if let Err(e) = scripting.functions.restore(&scripting.run, &functions, policy, || {}) {
                    tracing::warn!("the backup's function libraries were not merged: {e}");
                }
            }
            (0, None)
        }
    };
    let pause = started.elapsed();
    tracing::info!(
        "backup restored ({}): {keys_loaded} keys loaded, {keys_replaced} dropped; clients held for {:.3} s",
        if merge { "merge" } else { "replace" },
        pause.as_secs_f64()
    );
    let snapshot_written = match adopted {
        Some(written) => {
            claim.adopted(&written, started);
            true
        }
        None if persistent => {
            claim.snapshot().map_err(|e| {
                BackupError::Failed(format!(
                    "the backup was merged in memory, but the snapshot that keeps it across a restart failed: \
                     {e}; run SAVE once the cause is fixed"
                ))
            })?;
            true
        }
        None => false,
    };
    Ok(Restored { keys_loaded, keys_replaced, pause, snapshot_written })
}

/// The verify pass: every section and value of the snapshot in `bytes`, decoded into the
/// staging form, and its key count checked against the manifest and the end mark.
fn stage<'a>(
    server: &Server,
    bytes: &'a [u8],
    manifest: &BackupManifest,
) -> Result<Vec<Vec<snapshot::SnapshotEntry<'a>>>, BackupError> {
    let limits = codec::Limits::from_config(&server.config);
    let databases = server.keyspace.databases();
    let staged = snapshot::decode_all(bytes, databases, &limits, server.threads.max(2)).map_err(|(offset, what)| {
        if what == "database out of range" {
            // Sound data this node cannot hold: not damage.
            BackupError::Invalid(format!(
                "the backup has keys in a database this node does not have (it has {databases}; start it with \
                 --databases to match the backup's node)"
            ))
        } else {
            BackupError::Damaged(format!("the backup's snapshot is damaged at offset {offset}: {what}"))
        }
    })?;
    let keys: u64 = staged.iter().map(|s| s.len() as u64).sum();
    if keys != manifest.key_count || keys != snapshot::recorded_keys(bytes) {
        return Err(BackupError::Damaged(format!(
            "the backup's snapshot holds {keys} keys, its manifest says {} and its end mark {}",
            manifest.key_count,
            snapshot::recorded_keys(bytes)
        )));
    }
    Ok(staged)
}
