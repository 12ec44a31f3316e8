//! CONFIG SET appendonly: the journal switched on and off while the node runs.
//!
//! On: the journal segments in the data directory are stale (an earlier run's, or this
//! run's from before the journal went off: the data has changed since without them), so
//! they are removed; a journal opens at an LSN past every position the directory names,
//! and a snapshot follows at once, as Redis rewrites its AOF after `appendonly yes`. Until
//! that snapshot is written the journal does not continue the snapshot on disk (the writes
//! before the switch are only in memory), and recovery refuses such a directory rather
//! than replay half of the history (`recovery::check_continues`).
//!
//! Off: the journal is synced and closed. Its segments stay until the next snapshot, which,
//! taken without the journal, supersedes them all.

use std::path::Path;
use std::sync::Arc;

use super::journal::{self, Journal, SEGMENT_HEADER};
use super::{Mode, SaveError};
use crate::server::Server;

/// A switch [`prepare`] made ready and [`apply`] carries out once the configuration has
/// the new value.
pub enum Switch {
    /// A journal opened, not yet logging; dropped unused (CONFIG SET failed), it is closed.
    On(Option<Arc<Journal>>),
    Off,
}

impl Drop for Switch {
    fn drop(&mut self) {
        if let Switch::On(opened) = self
            && let Some(journal) = opened.take()
        {
            journal.close();
        }
    }
}

/// What CONFIG SET appendonly `on` needs done before the configuration changes: with
/// `on` and the journal off, the journal opened; nothing when it is already as asked.
/// Errors say why the switch is refused.
pub fn prepare(server: &Server, on: bool) -> Result<Option<Switch>, String> {
    if Mode::of(&server.config) == Mode::None {
        // Nothing is written whatever the option says: saying so again, or off, is fine.
        if on && !server.config.bool("appendonly") {
            return Err("persistence is off (--persistence none): there is nowhere to write the journal".into());
        }
        return Ok(None);
    }
    if on == server.keyspace.journal().is_some() {
        return Ok(None);
    }
    if server.cluster.get().is_some() {
        // Replicas follow the journal's positions; a journal that stops, or starts at a
        // new position, would leave them on a stream that no longer exists.
        return Err("the journal carries replication in cluster mode and cannot be switched while it runs".into());
    }
    if !on {
        return Ok(Some(Switch::Off));
    }
    let dir = super::data_dir(server).map_err(|e| format!("{e:#}"))?;
    let start = remove_segments(&dir).map_err(|e| format!("cannot clear the old journal in {}: {e}", dir.display()))?;
    let journal = Journal::open(&dir, start, server.config.shared_limits())
        .map_err(|e| format!("cannot open the journal in {}: {e}", dir.display()))?;
    Ok(Some(Switch::On(Some(journal))))
}

/// Switches the journal as [`prepare`] made ready, once the configuration has its new
/// value: installs the opened journal and starts the snapshot it needs, or stops and
/// closes the running one.
pub fn apply(server: &Server, mut switch: Switch) {
    let opened = match &mut switch {
        Switch::On(opened) => opened.take(),
        Switch::Off => None,
    };
    match opened {
        Some(journal) => {
            let start = journal.next_lsn();
            server.keyspace.set_journal(Some(journal));
            tracing::info!("journal switched on at LSN {start}; a snapshot follows so that it continues one");
            match super::request_snapshot(server) {
                Ok(()) => {}
                // The snapshot being written began without the journal: one more after it.
                Err(SaveError::InProgress) => {
                    tracing::info!(
                        "AOF background was scheduled: a snapshot is being written, the next one follows it"
                    );
                    super::schedule_snapshot(server);
                }
                Err(e) => tracing::warn!("cannot start the snapshot after switching the journal on: {e}"),
            }
        }
        None => {
            if let Some(journal) = server.keyspace.set_journal(None) {
                // Clients still waiting on it (appendfsync always) are released by the
                // sync or by the close.
                journal.close();
                tracing::info!("journal switched off at LSN {}: snapshots only from now on", journal.next_lsn());
            }
        }
    }
}

/// Removes every journal segment in `dir` and returns an LSN past every position the
/// directory names (segment ends, snapshot names), so no snapshot there covers the new
/// journal's records. Never 0: a snapshot taken without the journal covers up to 0.
fn remove_segments(dir: &Path) -> std::io::Result<u64> {
    let mut highest = 0u64;
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(1),
        Err(e) => return Err(e),
    };
    let mut stale = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
        if let Some(lsn) = super::snapshot::snapshot_lsn(&name) {
            highest = highest.max(lsn);
        } else if let Some(start) = journal::segment_start(&name) {
            let len = entry.metadata()?.len();
            // The file's length bounds its records' end (it may hold reserved space too).
            highest = highest.max(start.saturating_add(len.saturating_sub(SEGMENT_HEADER as u64)));
            stale.push(entry.path());
        }
    }
    for path in &stale {
        std::fs::remove_file(path)?;
        tracing::info!("removed {}: the journal was off, the data has changed since", path.display());
    }
    if !stale.is_empty() {
        journal::sync_dir(dir)?;
    }
    Ok(highest.saturating_add(1))
}
