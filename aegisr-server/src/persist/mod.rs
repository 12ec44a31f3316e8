//! Persistence: the append-only journal of every write, recovery at start, and the tools
//! that check a data directory. A node keeps its data in `--dir` unless started with
//! `--persistence none`.
//!
//! The journal is one stream for the whole node rather than one per shard, a deliberate
//! change from the first design: one file means one sync serves every writer under
//! `appendfsync always`, and a MULTI/EXEC over several shards is one record, so it replays
//! all or nothing without a cross-file commit protocol. Appends still happen under the
//! shard locks the command holds, so the stream's order is the data's order.

pub mod appendonly;
pub mod backlog;
pub mod backup;
pub mod capture;
pub mod check;
pub mod codec;
pub mod journal;
pub mod messages;
pub mod rdb;
pub mod record;
pub mod recovery;
pub mod redis_form;
pub mod snapshot;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use anyhow::Context as _;

use crate::commands::Session;
use crate::server::Server;
use journal::{FsyncPolicy, Journal};

/// How the node keeps its data, from the `persistence` and `appendonly` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Memory only: nothing is read or written.
    None,
    /// Every write is logged to the journal; snapshots bound its length.
    Journal,
    /// Snapshots only (by the save rules, SAVE, BGSAVE), as Redis with `appendonly no`.
    Snapshots,
}

impl Mode {
    pub fn of(config: &crate::config::ConfigStore) -> Mode {
        if config.string("persistence") == "none" {
            Mode::None
        } else if config.bool("appendonly") {
            Mode::Journal
        } else {
            Mode::Snapshots
        }
    }
}

/// Snapshot bookkeeping for SAVE, BGSAVE, LASTSAVE, the save rules and INFO.
#[derive(Debug, Default)]
pub struct SaveState {
    in_progress: AtomicBool,
    /// Unix seconds of the last successful snapshot (or of the start).
    last_save: AtomicI64,
    last_ok: AtomicBool,
    /// How long the last snapshot took; -1 before the first.
    last_duration_ms: AtomicI64,
    /// Unix ms the snapshot being written began; 0 while none is.
    current_since_ms: AtomicI64,
    /// Snapshots that failed since the last that succeeded.
    consecutive_failures: AtomicU64,
    /// `Keyspace::changes` when the last snapshot began.
    changes_at_save: AtomicU64,
    snapshots: AtomicU64,
    /// BGSAVE SCHEDULE asked for one while another ran.
    scheduled: AtomicBool,
    /// Journal position and snapshot size at the last snapshot (automatic rewrites).
    lsn_at_save: AtomicU64,
    snapshot_bytes: AtomicU64,
    /// BGSAVE asked for a snapshot: the ticker starts it at once.
    requested: AtomicBool,
    wake: tokio::sync::Notify,
    /// SHUTDOWN SAVE (1) or NOSAVE (2); 0: by the mode's default.
    on_shutdown: std::sync::atomic::AtomicU8,
    /// Keys the last snapshot loaded (at start, or a replica's full sync).
    keys_loaded: AtomicU64,
    /// A full sync's file is being loaded in place of the data (Redis's `loading`): unix
    /// seconds it began, 0 when none is; and the file's size.
    loading_since: AtomicI64,
    loading_bytes: AtomicU64,
}

impl SaveState {
    /// A snapshot was loaded with `keys` keys (INFO's `rdb_last_load_keys_loaded`).
    pub fn loaded(&self, keys: u64) {
        self.keys_loaded.store(keys, Ordering::Relaxed);
    }

    /// Marks a file of `bytes` as being loaded in place of the data until the returned
    /// guard goes: meanwhile INFO says `loading:1` and clients of a replica get LOADING.
    pub(crate) fn loading(&self, bytes: u64) -> Loading<'_> {
        self.loading_bytes.store(bytes, Ordering::Relaxed);
        self.loading_since.store(unix_secs().max(1), Ordering::Release);
        Loading(self)
    }

    /// Whether a file is being loaded in place of the data.
    pub fn is_loading(&self) -> bool {
        self.loading_since.load(Ordering::Acquire) != 0
    }
}

/// A load in progress (see [`SaveState::loading`]); ends when dropped, also on an error.
pub(crate) struct Loading<'a>(&'a SaveState);

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        self.0.loading_since.store(0, Ordering::Release);
    }
}

fn unix_secs() -> i64 {
    crate::engine::now_ms() / 1000
}

/// The data directory from the configuration, created if missing.
pub fn data_dir(server: &Server) -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(server.config.string("dir"));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    Ok(dir)
}

/// Loads the data directory into the keyspace and starts the journal. Runs before any
/// listener opens, so no client sees a half-loaded dataset.
pub fn start(server: &Server) -> anyhow::Result<()> {
    let state = &server.saves;
    state.last_save.store(unix_secs(), Ordering::Relaxed);
    state.last_ok.store(true, Ordering::Relaxed);
    state.last_duration_ms.store(-1, Ordering::Relaxed);
    let mode = Mode::of(&server.config);
    if mode == Mode::None {
        tracing::info!("persistence is off: the data lives in memory only");
        return Ok(());
    }
    let dir = data_dir(server)?;
    let started = std::time::Instant::now();
    tracing::info!("loading the data directory {}", dir.display());
    let imported = rdb::import::import_dump(server, &dir)?;
    let loaded = load_dir(server, &dir, mode, false)?;
    if let Some(keys) = loaded.snapshot_keys {
        state.loaded(keys);
    }
    if let Some(bytes) = loaded.snapshot_bytes {
        state.snapshot_bytes.store(bytes, Ordering::Relaxed);
    }
    let next_lsn = loaded.next_lsn;
    // Loading counted its commands and changes like clients' ones: start afresh.
    server.metrics.reset();
    server.keyspace.reset_changes();
    server.keyspace.set_persistent();
    let keys: usize = server.keyspace.db_sizes(None).iter().map(|s| s.0).sum();
    if mode == Mode::Journal {
        let journal = Journal::open(&dir, next_lsn, server.config.shared_limits())
            .with_context(|| format!("cannot open the journal in {}", dir.display()))?;
        server.keyspace.set_journal(Some(journal));
        state.lsn_at_save.store(next_lsn, Ordering::Relaxed);
    }
    if let Some(keys) = imported {
        // From now on the node's own files hold the data: the next start loads them, and
        // the RDB file is not read again.
        state.loaded(keys);
        snapshot_now(server).map_err(|e| anyhow::anyhow!("cannot write the snapshot of the imported RDB file: {e}"))?;
    }
    tracing::info!(
        keys,
        "data directory loaded in {:.3} s; {}",
        started.elapsed().as_secs_f64(),
        match mode {
            Mode::Journal =>
                format!("journal open at LSN {next_lsn} (appendfsync {})", server.config.string("appendfsync")),
            _ => "snapshots only (appendonly no)".to_owned(),
        }
    );
    Ok(())
}

/// What [`load_dir`] found.
struct LoadedDir {
    /// The LSN the journal's next record gets (0 without a journal).
    next_lsn: u64,
    /// The keys in the snapshot loaded, and its size, if there was one.
    snapshot_keys: Option<u64>,
    snapshot_bytes: Option<u64>,
}

/// Loads the newest snapshot in `dir` and then, with the journal on, the journal's records
/// the snapshot does not hold, into `server` (empty). `live`: the node whose journal this
/// is keeps running and writing it (DEBUG LOADAOF), so its end is read, never cut.
fn load_dir(server: &Server, dir: &std::path::Path, mode: Mode, live: bool) -> anyhow::Result<LoadedDir> {
    let started = std::time::Instant::now();
    let mut loaded_dir = LoadedDir { next_lsn: 0, snapshot_keys: None, snapshot_bytes: None };
    let mut covered = snapshot::Covered { slots: vec![0u64; crate::engine::slot::SLOT_COUNT], functions: 0 };
    let mut has_functions = false;
    let newest = snapshot::newest(dir)?;
    if let Some(path) = &newest {
        let limits = codec::Limits::from_config(&server.config);
        let loaded =
            snapshot::load(&server.keyspace, path, &limits, server.threads.max(2)).map_err(|(offset, what)| {
                recovery::Damaged { file: path.display().to_string(), offset, what, dir: dir.display().to_string() }
            })?;
        tracing::info!(
            "snapshot {} loaded: {} keys in {:.3} s",
            path.display(),
            loaded.keys,
            started.elapsed().as_secs_f64()
        );
        covered = loaded.covered;
        loaded_dir.snapshot_keys = Some(loaded.keys);
        if let Some(functions) = loaded.functions {
            has_functions = true;
            load_functions(server, &functions.codes)
                .with_context(|| format!("cannot load the function libraries of {}", path.display()))?;
        }
        loaded_dir.snapshot_bytes = std::fs::metadata(path).ok().map(|meta| meta.len());
    }
    if mode == Mode::Journal {
        let segments = recovery::segments(dir)?;
        recovery::check_continues(dir, &segments, newest.as_deref(), &covered, has_functions)?;
        let skip = |args: &[&[u8]], lsn: u64| recovery::covered_by_snapshot(&covered, args, lsn);
        loaded_dir.next_lsn = recovery::replay_journal(server, dir, &segments, &skip, live)?;
    }
    Ok(loaded_dir)
}

/// DEBUG LOADAOF: replaces the dataset and the function libraries with what the data
/// directory holds (the snapshot and the journal after it), as a restart would load them,
/// so what the journal logged for each command can be checked against what ran. Loads
/// into a staging node of the same shape with every shard of this one held (clients wait,
/// as Redis's clients wait for its reload), then swaps the tables in. Returns the keys
/// loaded.
pub fn reload_from_disk(server: &Server) -> anyhow::Result<u64> {
    let Some(journal) = server.keyspace.journal() else {
        anyhow::bail!("the journal is off (appendonly no): there is nothing to load");
    };
    let dir = data_dir(server)?;
    let started = std::time::Instant::now();
    let (_, keys) = server.keyspace.replace_built(|| {
        // With every shard held nothing more is appended: this is all the journal holds.
        journal.sync_now();
        let staging = Server::new(server.config.duplicate(), server.threads);
        capture::isolated(|| load_dir(&staging, &dir, Mode::Journal, true))?;
        load_functions(server, &staging.scripting.functions.codes())?;
        let keys: usize = staging.keyspace.db_sizes(None).iter().map(|s| s.0).sum();
        anyhow::Ok((staging.keyspace.take_tables(), keys as u64))
    })?;
    // Whoever cached a key of the old dataset hears it is gone, as after FLUSHALL.
    server.keyspace.notifier().flushed();
    tracing::warn!("data directory loaded by DEBUG LOADAOF: {keys} keys in {:.3} s", started.elapsed().as_secs_f64());
    Ok(keys)
}

/// Replaces the node's function libraries with `codes` (from a snapshot).
pub fn load_functions(server: &Server, codes: &[bytes::Bytes]) -> anyhow::Result<()> {
    let scripting = &server.scripting;
    scripting
        .functions
        .restore(&scripting.run, codes, crate::scripting::functions::RestorePolicy::Flush, || {})
        .map_err(|e| anyhow::anyhow!(e))?;
    tracing::info!("{} function libraries loaded", codes.len());
    Ok(())
}

/// Writes out and syncs the journal before the node exits; with snapshots only, takes a
/// last snapshot if anything changed (as Redis saves on SHUTDOWN when save rules are set).
/// Returns whether the data on disk is now the data in memory, all of it.
pub fn stop(server: &Server) -> bool {
    let mode = Mode::of(&server.config);
    let rules = !server.config.string("save").trim().is_empty();
    let wanted = match server.saves.on_shutdown.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => mode == Mode::Snapshots && rules && changes_since_save(server) > 0,
    };
    let mut saved = false;
    if wanted && mode != Mode::None {
        match snapshot_now(server) {
            Ok(written) => {
                tracing::info!("DB saved on disk ({} keys)", written.keys);
                saved = true;
            }
            Err(e) => tracing::error!("snapshot at shutdown failed: {e:#}"),
        }
    }
    let journal = server.keyspace.journal();
    if let Some(journal) = &journal {
        journal.close();
        tracing::info!("journal synced and closed");
    }
    match mode {
        Mode::None => false,
        Mode::Journal => journal.is_some_and(|j| j.all_synced()),
        Mode::Snapshots => saved || changes_since_save(server) == 0,
    }
}

fn changes_since_save(server: &Server) -> u64 {
    server.keyspace.changes().saturating_sub(server.saves.changes_at_save.load(Ordering::Relaxed))
}

/// Why a snapshot could not start.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("persistence is off (--persistence none)")]
    Off,
    #[error("a snapshot is already being written")]
    InProgress,
    #[error("{0:#}")]
    Failed(anyhow::Error),
}

/// Writes a snapshot of the live dataset into `dir` (a backup: the data directory and its
/// journal are left alone), on this thread; other clients keep being served. Works with
/// persistence off too.
pub fn snapshot_into(server: &Server, dir: &std::path::Path) -> Result<snapshot::Written, SaveError> {
    let state = &server.saves;
    if state.in_progress.swap(true, Ordering::AcqRel) {
        return Err(SaveError::InProgress);
    }
    let result = snapshot::write(&server.keyspace, &server.scripting.functions, dir, None);
    state.in_progress.store(false, Ordering::Release);
    result.map_err(SaveError::Failed)
}

/// Takes a snapshot on this thread (SAVE, SHUTDOWN SAVE); other clients keep being served.
pub fn snapshot_now(server: &Server) -> Result<snapshot::Written, SaveError> {
    if Mode::of(&server.config) == Mode::None {
        return Err(SaveError::Off);
    }
    claim_snapshots(server)?.snapshot()
}

/// While alive, no snapshot (SAVE, BGSAVE, the save rules, a backup) can start: a restore
/// holds it across swapping the dataset in, then writes the snapshot of the result with
/// [`SnapshotClaim::snapshot`], so no snapshot mixes the data from before and after.
pub struct SnapshotClaim<'a> {
    server: &'a Server,
}

impl Drop for SnapshotClaim<'_> {
    fn drop(&mut self) {
        self.server.saves.in_progress.store(false, Ordering::Release);
    }
}

/// Claims the right to write the next snapshot; `InProgress` if one is being written.
pub fn claim_snapshots(server: &Server) -> Result<SnapshotClaim<'_>, SaveError> {
    if server.saves.in_progress.swap(true, Ordering::AcqRel) {
        return Err(SaveError::InProgress);
    }
    Ok(SnapshotClaim { server })
}

/// For replacing the whole dataset (a replica's full sync): the claim, waiting while a
/// snapshot is being written, so that no snapshot mixes the data from before and after,
/// and the one written right after the load (with [`SnapshotClaim::snapshot`]) makes it
/// durable, the journal then holding what follows. Without it, a node stopped before a
/// later snapshot would come back with its old snapshot plus the journal of the new data.
/// `None` without persistence, or once `give_up` says so while waiting.
pub fn claim_snapshots_for_load(server: &Server, give_up: impl Fn() -> bool) -> Option<SnapshotClaim<'_>> {
    if Mode::of(&server.config) == Mode::None {
        return None;
    }
    loop {
        match claim_snapshots(server) {
            Ok(claim) => return Some(claim),
            Err(SaveError::InProgress) if !give_up() => std::thread::sleep(std::time::Duration::from_millis(50)),
            Err(_) => return None,
        }
    }
}

impl SnapshotClaim<'_> {
    /// Writes a snapshot into the data directory (persistence must be on), then releases
    /// the claim.
    pub fn snapshot(self) -> Result<snapshot::Written, SaveError> {
        let server = self.server;
        if Mode::of(&server.config) == Mode::None {
            return Err(SaveError::Off);
        }
        let state = &server.saves;
        let started = std::time::Instant::now();
        state.current_since_ms.store(crate::engine::now_ms(), Ordering::Relaxed);
        let changes = server.keyspace.changes();
        let result = data_dir(server).and_then(|dir| {
            let journal = server.keyspace.journal();
            snapshot::write(&server.keyspace, &server.scripting.functions, &dir, journal)
        });
        state.last_duration_ms.store(started.elapsed().as_millis() as i64, Ordering::Relaxed);
        state.current_since_ms.store(0, Ordering::Relaxed);
        drop(self);
        match result {
            Ok(written) => {
                note_snapshot(server, &written, changes, started);
                Ok(written)
            }
            Err(e) => {
                state.last_ok.store(false, Ordering::Relaxed);
                state.consecutive_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!("snapshot failed: {e:#}");
                Err(SaveError::Failed(e))
            }
        }
    }

    /// Makes `file`, a checked snapshot (a restored backup, `persist::backup`) in the data
    /// directory's file system, the node's newest snapshot, at this point of the journal:
    /// its sections are retagged with the journal's position, and it is synced and renamed
    /// into place. Call it with every shard held, so that position separates the writes
    /// before (which recovery then skips) from those after (which it replays on top).
    pub fn adopt(
        &self,
        file: &std::path::Path,
        retag: &snapshot::Retag,
        keys: u64,
    ) -> anyhow::Result<snapshot::Written> {
        let dir = data_dir(self.server)?;
        let lsn = self.server.keyspace.journal().map_or(0, |j| j.rotate());
        retag.apply(&std::fs::OpenOptions::new().write(true).open(file)?, lsn)?;
        let bytes = std::fs::metadata(file)?.len();
        let path = snapshot::snapshot_path(&dir, lsn);
        std::fs::rename(file, &path)?;
        // Renamed: this is the node's snapshot now, so the swap must follow whatever else
        // happens (a restart would load it).
        if let Err(e) = journal::sync_dir(&dir) {
            tracing::warn!("cannot sync {} after adopting a restored backup: {e}", dir.display());
        }
        Ok(snapshot::Written { path, keys, bytes, lsn })
    }

    /// After [`SnapshotClaim::adopt`], with the shards released: removes what the adopted
    /// snapshot covers and counts it as a snapshot; releases the claim.
    pub fn adopted(self, written: &snapshot::Written, started: std::time::Instant) {
        if let Some(dir) = written.path.parent() {
            let journal = self.server.keyspace.journal();
            let superseded = snapshot::segments_superseded(journal.is_some(), written.lsn, journal.as_deref());
            snapshot::remove_covered(dir, superseded, &written.path);
        }
        note_snapshot(self.server, written, self.server.keyspace.changes(), started);
    }
}

/// Counts a finished snapshot (LASTSAVE, INFO persistence, the save rules).
fn note_snapshot(server: &Server, written: &snapshot::Written, changes: u64, started: std::time::Instant) {
    let state = &server.saves;
    state.last_ok.store(true, Ordering::Relaxed);
    state.consecutive_failures.store(0, Ordering::Relaxed);
    state.last_save.store(unix_secs(), Ordering::Relaxed);
    state.changes_at_save.store(changes, Ordering::Relaxed);
    state.snapshots.fetch_add(1, Ordering::Relaxed);
    state.lsn_at_save.store(written.lsn, Ordering::Relaxed);
    state.snapshot_bytes.store(written.bytes, Ordering::Relaxed);
    tracing::info!(
        "snapshot {} written: {} keys, {} bytes in {:.3} s",
        written.path.display(),
        written.keys,
        written.bytes,
        started.elapsed().as_secs_f64()
    );
}

/// Asks for a snapshot on a thread of its own (BGSAVE, BGREWRITEAOF): the ticker starts
/// it at once.
pub fn request_snapshot(server: &Server) -> Result<(), SaveError> {
    if Mode::of(&server.config) == Mode::None {
        return Err(SaveError::Off);
    }
    let state = &server.saves;
    if state.in_progress.load(Ordering::Acquire) || state.requested.swap(true, Ordering::AcqRel) {
        return Err(SaveError::InProgress);
    }
    state.wake.notify_one();
    Ok(())
}

/// Whether a snapshot is being written.
pub fn snapshot_in_progress(server: &Server) -> bool {
    server.saves.in_progress.load(Ordering::Acquire) || server.saves.requested.load(Ordering::Acquire)
}

/// SHUTDOWN SAVE / NOSAVE: what `stop` does about a last snapshot.
pub fn save_on_shutdown(server: &Server, save: Option<bool>) {
    let code = match save {
        None => 0,
        Some(true) => 1,
        Some(false) => 2,
    };
    server.saves.on_shutdown.store(code, Ordering::Relaxed);
}

fn start_background(server: &Arc<Server>) {
    let server = server.clone();
    let spawned = std::thread::Builder::new().name("aegisr-snapshot".into()).spawn(move || {
        lower_thread_priority();
        let _ = snapshot_now(&server);
        server.saves.requested.store(false, Ordering::Release);
    });
    if let Err(e) = spawned {
        tracing::error!("cannot start the snapshot thread: {e}");
    }
}

/// Lowers the calling thread's scheduling priority (nice +10): a background snapshot then
/// yields the CPU to the threads serving clients, which is what keeps their tail latency
/// down on a machine with few cores.
fn lower_thread_priority() {
    // SAFETY: setpriority reads only its three integer arguments; with PRIO_PROCESS and
    // who = 0 it sets the nice value of the calling thread (Linux threads have their own).
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS as _, 0, 10) };
    if rc != 0 {
        tracing::debug!("cannot lower the snapshot thread's priority: {}", std::io::Error::last_os_error());
    }
}

/// After FLUSHALL: with save rules set, Redis saves the emptied dataset at once, so the
/// snapshot on disk no longer holds the flushed keys (with snapshots only, a restart would
/// otherwise bring them back) and the change count starts again from zero. So does this.
/// Inside a transaction or a script, which hold the shards a snapshot reads, or while
/// another snapshot is written, one is scheduled instead (as BGSAVE SCHEDULE).
pub fn after_flushall(server: &Server, holding_shards: bool) {
    if Mode::of(&server.config) == Mode::None || save_rules(&server.config.string("save")).is_empty() {
        return;
    }
    if holding_shards {
        schedule_snapshot(server);
        return;
    }
    match snapshot_now(server) {
        Ok(_) => {}
        Err(SaveError::InProgress) => schedule_snapshot(server),
        Err(e) => tracing::warn!("the snapshot after FLUSHALL failed: {e:#}"),
    }
}

/// BGSAVE SCHEDULE: runs one as soon as the current one ends.
pub fn schedule_snapshot(server: &Server) {
    server.saves.scheduled.store(true, Ordering::Release);
}

/// BGSAVE or BGREWRITEAOF inside EXEC: a snapshot once the transaction is over (the
/// once-a-second check starts it), unless persistence is off.
pub fn schedule_snapshot_after(server: &Server) -> Result<(), SaveError> {
    if Mode::of(&server.config) == Mode::None {
        return Err(SaveError::Off);
    }
    schedule_snapshot(server);
    Ok(())
}

/// Unix time of the last successful snapshot (LASTSAVE).
pub fn last_save(server: &Server) -> i64 {
    server.saves.last_save.load(Ordering::Relaxed)
}

/// The `save` rules: `(seconds, changes)` pairs.
fn save_rules(text: &str) -> Vec<(i64, u64)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.chunks(2).filter_map(|pair| Some((pair.first()?.parse().ok()?, pair.get(1)?.parse().ok()?))).collect()
}

/// Once a second: a snapshot when a save rule is met, a scheduled BGSAVE, or (with the
/// journal) when the journal has grown past `auto-aof-rewrite-*` since the last snapshot.
pub async fn ticker(server: Arc<Server>) {
    if Mode::of(&server.config) == Mode::None {
        return;
    }
    loop {
        let state = &server.saves;
        tokio::select! {
            () = server.shutdown.cancelled() => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            () = state.wake.notified() => {}
        }
        if state.in_progress.load(Ordering::Acquire) {
            continue;
        }
        if state.requested.load(Ordering::Acquire) {
            start_background(&server);
            continue;
        }
        // A script holds every shard while it runs: nothing to do until it ends (Redis
        // runs no cron while a script is busy), and never wait on its shards here, on
        // the runtime that accepts connections (SCRIPT KILL must get through).
        if server.scripting.run.is_running() {
            continue;
        }
        let Some(changes) = server.keyspace.changes_within(std::time::Duration::from_millis(10)) else { continue };
        let changes = changes.saturating_sub(state.changes_at_save.load(Ordering::Relaxed));
        let elapsed = unix_secs() - state.last_save.load(Ordering::Relaxed);
        let rule_met = save_rules(&server.config.string("save"))
            .into_iter()
            .any(|(seconds, wanted)| changes >= wanted.max(1) && elapsed >= seconds);
        let journal_grown = server.keyspace.journal().is_some_and(|journal| {
            let grown = journal.next_lsn().saturating_sub(state.lsn_at_save.load(Ordering::Relaxed));
            let base = state.snapshot_bytes.load(Ordering::Relaxed);
            let min_size = server.config.u64("auto-aof-rewrite-min-size");
            let percentage = server.config.u64("auto-aof-rewrite-percentage");
            percentage > 0 && grown >= min_size && grown.saturating_mul(100) >= base.saturating_mul(percentage)
        });
        let scheduled = state.scheduled.swap(false, Ordering::AcqRel);
        if (rule_met || journal_grown || scheduled) && !state.requested.swap(true, Ordering::AcqRel) {
            start_background(&server);
        }
    }
}

/// How long a write waits for `min-replicas-ack` replicas before its client is cut off.
const QUORUM_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Waits until the session's writes are kept as the node promises: on disk under
/// `appendfsync always`, applied by `min-replicas-ack` replicas in cluster mode. Call it
/// before sending the session's replies. False when the replicas did not acknowledge in
/// time: the replies must not be sent (the door closes the connection), since the write
/// is not as safe as they would say.
#[must_use]
pub async fn durable(server: &Server, session: &mut Session) -> bool {
    let end = std::mem::take(&mut session.journal_end);
    if end == 0 {
        return true;
    }
    // The policy is read without taking a reference (every write batch comes here; two
    // workers counting references on the journal's Arc would trade its line back and
    // forth): only `always` needs the journal across the wait.
    let always = server.keyspace.with_journal(|journal| journal.is_some_and(|j| j.policy() == FsyncPolicy::Always));
    if always && let Some(journal) = server.keyspace.journal() {
        journal.wait_durable(end).await;
    }
    let quorum = server.config.limits().min_replicas_ack.load(Ordering::Relaxed);
    if quorum == 0 || session.from_primary || server.router.get().is_none() {
        return true;
    }
    let wanted = usize::try_from(quorum).unwrap_or(usize::MAX);
    let deadline = tokio::time::Instant::now() + QUORUM_WAIT;
    let acked = server.replication.wait_for(end, wanted, Some(deadline)).await;
    if acked < wanted {
        tracing::warn!(
            client = %session.client.addr,
            "a write was acknowledged by {acked} of {wanted} replicas in {} s: closing the client's connection unconfirmed",
            QUORUM_WAIT.as_secs()
        );
        return false;
    }
    true
}

/// INFO persistence, with Redis's field names.
pub fn info_fields(server: &Server) -> Vec<(String, String)> {
    let state = &server.saves;
    let journal = server.keyspace.journal();
    let info = journal.as_deref().map(Journal::info);
    let rdb_status = if state.last_ok.load(Ordering::Relaxed) { "ok" } else { "err" };
    // Snapshots are written without fork(): Redis's copy-on-write and fork figures are 0
    // (as are a few others, said where they are listed).
    let zero = |name: &str| (name.to_owned(), "0".to_owned());
    let since = state.current_since_ms.load(Ordering::Relaxed);
    let current_secs = if since == 0 { -1 } else { (crate::engine::now_ms() - since).max(0) / 1000 };
    let last_secs = match state.last_duration_ms.load(Ordering::Relaxed) {
        ms if ms < 0 => -1,
        ms => ms / 1000,
    };
    // With the journal on, a snapshot is what rewrites it (the journal is cut after it):
    // the same work is both Redis's BGSAVE and its BGREWRITEAOF.
    let (rewrite_current, rewrite_last, rewrites) = if journal.is_some() {
        (current_secs, last_secs, state.snapshots.load(Ordering::Relaxed))
    } else {
        (-1, -1, 0)
    };
    let loading_since = state.loading_since.load(Ordering::Acquire);
    let mut fields = vec![("loading".to_owned(), u8::from(loading_since != 0).to_string())];
    if loading_since != 0 {
        // Redis's fields of a load in progress, those known here (the loader does not
        // report how far it has read).
        fields.push(("loading_start_time".to_owned(), loading_since.to_string()));
        fields.push(("loading_total_bytes".to_owned(), state.loading_bytes.load(Ordering::Relaxed).to_string()));
    }
    fields.extend([
        zero("async_loading"),
        zero("current_cow_peak"),
        zero("current_cow_size"),
        zero("current_cow_size_age"),
        ("current_fork_perc".to_owned(), "0.00".to_owned()),
        // The snapshot writer does not report its progress key by key.
        zero("current_save_keys_processed"),
        zero("current_save_keys_total"),
        ("rdb_changes_since_last_save".to_owned(), changes_since_save(server).to_string()),
        ("rdb_bgsave_in_progress".to_owned(), u8::from(snapshot_in_progress(server)).to_string()),
        ("rdb_last_save_time".to_owned(), state.last_save.load(Ordering::Relaxed).to_string()),
        ("rdb_last_bgsave_status".to_owned(), rdb_status.to_owned()),
        ("rdb_last_bgsave_time_sec".to_owned(), last_secs.to_string()),
        ("rdb_current_bgsave_time_sec".to_owned(), current_secs.to_string()),
        ("rdb_saves".to_owned(), state.snapshots.load(Ordering::Relaxed).to_string()),
        ("rdb_last_cow_size".to_owned(), "0".to_owned()),
        // Keys past their deadline are loaded with it and expire as any other.
        zero("rdb_last_load_keys_expired"),
        ("rdb_last_load_keys_loaded".to_owned(), state.keys_loaded.load(Ordering::Relaxed).to_string()),
        ("aof_enabled".to_owned(), u8::from(journal.is_some()).to_string()),
        ("aof_rewrite_in_progress".to_owned(), u8::from(journal.is_some() && snapshot_in_progress(server)).to_string()),
        ("aof_rewrite_scheduled".to_owned(), u8::from(state.scheduled.load(Ordering::Relaxed)).to_string()),
        ("aof_last_rewrite_time_sec".to_owned(), rewrite_last.to_string()),
        ("aof_current_rewrite_time_sec".to_owned(), rewrite_current.to_string()),
    ]);
    if let Some(info) = info {
        let status = if info.last_write_ok { "ok" } else { "err" };
        fields.extend([
            ("aof_last_bgrewrite_status".to_owned(), rdb_status.to_owned()),
            ("aof_rewrites".to_owned(), rewrites.to_string()),
            (
                "aof_rewrites_consecutive_failures".to_owned(),
                state.consecutive_failures.load(Ordering::Relaxed).to_string(),
            ),
            ("aof_last_write_status".to_owned(), status.to_owned()),
            ("aof_current_size".to_owned(), info.appended_lsn.saturating_sub(info.current_segment_start).to_string()),
            ("aof_base_size".to_owned(), state.snapshot_bytes.load(Ordering::Relaxed).to_string()),
            ("aof_fsync_policy".to_owned(), info.policy.to_owned()),
            ("aof_appended_offset".to_owned(), info.appended_lsn.to_string()),
            ("aof_written_offset".to_owned(), info.written_lsn.to_string()),
            ("aof_synced_offset".to_owned(), info.synced_lsn.to_string()),
            ("aof_buffer_length".to_owned(), info.appended_lsn.saturating_sub(info.written_lsn).to_string()),
        ]);
        if let Some(error) = info.last_error {
            fields.push(("aof_last_error".to_owned(), error));
        }
    } else {
        fields.extend([
            ("aof_last_bgrewrite_status".to_owned(), "ok".to_owned()),
            zero("aof_rewrites"),
            zero("aof_rewrites_consecutive_failures"),
            ("aof_last_write_status".to_owned(), "ok".to_owned()),
        ]);
    }
    fields.extend([zero("aof_last_cow_size"), zero("module_fork_in_progress"), zero("module_fork_last_cow_size")]);
    fields
}

#[cfg(test)]
mod tests {
    /// The nice value of the calling thread, from /proc.
    fn own_nice() -> i64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
        let after_name = stat.rsplit(')').next().unwrap_or_default();
        // Field 19 of stat; 17th after the command name.
        after_name.split_whitespace().nth(16).and_then(|n| n.parse().ok()).unwrap_or(i64::MIN)
    }

    #[test]
    fn the_snapshot_thread_runs_at_lower_priority_and_others_do_not() {
        let before = own_nice();
        let lowered = std::thread::spawn(|| {
            super::lower_thread_priority();
            own_nice()
        })
        .join()
        .unwrap_or(i64::MIN);
        assert_eq!(lowered, (before + 10).min(19));
        assert_eq!(own_nice(), before, "only the calling thread changes");
    }
}
