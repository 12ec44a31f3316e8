//! The Raft log and vote, durable under `<dir>/cluster/`: `log` is an append-only file of
//! framed JSON entries, synced before an append is acknowledged; `log-state.json` holds the
//! vote and the last purged log id, replaced atomically and synced; `committed.json` the
//! last committed log id, replaced but not synced (openraft does not need it durable: a
//! node that lost it applies the entries again once the leader tells it). Truncation
//! and purging (both rare: a follower's conflicting tail, and the log behind a snapshot)
//! rewrite the log file through a temporary file and a rename.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::fs::File;
use std::io::{self, Write};
use std::ops::RangeBounds;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{OptionalSend, RaftLogReader, StorageIOError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::files;
use super::types::{Entry, LogId, StorageError, TypeConfig, Vote};

const LOG_FILE: &str = "log";
const STATE_FILE: &str = "log-state.json";
const COMMITTED_FILE: &str = "committed.json";

/// What is kept beside the entries.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct LogMeta {
    vote: Option<Vote>,
    purged: Option<LogId>,
}

struct Inner {
    dir: PathBuf,
    file: File,
    entries: BTreeMap<u64, Entry>,
    meta: LogMeta,
    committed: Option<LogId>,
}

/// The log store; clones share it (one of them is openraft's log reader).
#[derive(Clone)]
pub struct LogStore {
    inner: Arc<Mutex<Inner>>,
}

impl LogStore {
    /// Opens (or creates) the log in `dir`. A torn or damaged tail of the log file (a crash
    /// in the middle of an append that was therefore never acknowledged) is cut off.
    pub fn open(dir: &Path) -> io::Result<LogStore> {
        std::fs::create_dir_all(dir)?;
        let meta: LogMeta = match files::read_optional(&dir.join(STATE_FILE))? {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(io::Error::other)?,
            None => LogMeta::default(),
        };
        let bytes = files::read_optional(&dir.join(LOG_FILE))?.unwrap_or_default();
        let (records, valid) = files::unframe(&bytes);
        if valid < bytes.len() {
            tracing::warn!("cluster log: dropping {} bytes of an incomplete record at its end", bytes.len() - valid);
        }
        let purged_index = meta.purged.map(|l| l.index);
        let mut entries = BTreeMap::new();
        for record in records {
            let entry: Entry = serde_json::from_slice(record).map_err(io::Error::other)?;
            if purged_index.is_some_and(|p| entry.log_id.index <= p) {
                continue;
            }
            entries.insert(entry.log_id.index, entry);
        }
        // Unsynced: a crash may have left it empty or stale, which only means re-applying.
        let committed = files::read_optional(&dir.join(COMMITTED_FILE))?
            .and_then(|bytes| serde_json::from_slice::<Option<LogId>>(&bytes).ok())
            .flatten();
        let file = files::open_append(&dir.join(LOG_FILE), valid)?;
        let inner = Inner { dir: dir.to_path_buf(), file, entries, meta, committed };
        Ok(LogStore { inner: Arc::new(Mutex::new(inner)) })
    }

    /// Appends entries and syncs them to disk.
    pub fn append_entries(&self, entries: impl IntoIterator<Item = Entry>) -> io::Result<()> {
        let mut inner = self.inner.lock();
        let mut buf = Vec::new();
        let mut added = Vec::new();
        for entry in entries {
            frame_entry(&entry, &mut buf)?;
            added.push(entry);
        }
        inner.file.write_all(&buf)?;
        inner.file.sync_data()?;
        for entry in added {
            inner.entries.insert(entry.log_id.index, entry);
        }
        Ok(())
    }

    /// Drops the entries from `index` on (a conflicting tail).
    pub fn truncate_from(&self, index: u64) -> io::Result<()> {
        let mut inner = self.inner.lock();
        let _ = inner.entries.split_off(&index);
        inner.rewrite()
    }

    /// Drops the entries up to and including `log_id` (they are in a snapshot now).
    pub fn purge_upto(&self, log_id: LogId) -> io::Result<()> {
        let mut inner = self.inner.lock();
        // The purged id is made durable first: a crash before the rewrite leaves entries
        // that load ignores.
        inner.meta.purged = Some(log_id);
        inner.save_meta()?;
        inner.entries = inner.entries.split_off(&(log_id.index + 1));
        inner.rewrite()
    }

    pub fn entries<R: RangeBounds<u64>>(&self, range: R) -> Vec<Entry> {
        self.inner.lock().entries.range(range).map(|(_, e)| e.clone()).collect()
    }

    pub fn state(&self) -> (Option<LogId>, Option<LogId>) {
        let inner = self.inner.lock();
        let last = inner.entries.values().next_back().map(|e| e.log_id).or(inner.meta.purged);
        (inner.meta.purged, last)
    }

    fn set_committed(&self, committed: Option<LogId>) -> io::Result<()> {
        let mut inner = self.inner.lock();
        inner.committed = committed;
        let json = serde_json::to_vec(&committed).map_err(io::Error::other)?;
        let path = inner.dir.join(COMMITTED_FILE);
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, &path)
    }

    fn update_meta(&self, change: impl FnOnce(&mut LogMeta)) -> io::Result<()> {
        let mut inner = self.inner.lock();
        change(&mut inner.meta);
        inner.save_meta()
    }
}

fn frame_entry(entry: &Entry, buf: &mut Vec<u8>) -> io::Result<()> {
    let json = serde_json::to_vec(entry).map_err(io::Error::other)?;
    files::frame(&json, buf)
}

impl Inner {
    fn save_meta(&self) -> io::Result<()> {
        let json = serde_json::to_vec(&self.meta).map_err(io::Error::other)?;
        files::replace(&self.dir.join(STATE_FILE), &json)
    }

    /// Writes the log file anew from the entries in memory.
    fn rewrite(&mut self) -> io::Result<()> {
        let mut buf = Vec::new();
        for entry in self.entries.values() {
            frame_entry(entry, &mut buf)?;
        }
        let path = self.dir.join(LOG_FILE);
        files::replace(&path, &buf)?;
        self.file = files::open_append(&path, buf.len())?;
        Ok(())
    }
}

// The control plane's log is small and rarely written (membership and map changes only),
// so its file operations run inline rather than on a blocking pool.
impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        Ok(self.entries(range))
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let (last_purged_log_id, last_log_id) = self.state();
        Ok(LogState { last_purged_log_id, last_log_id })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        self.update_meta(|m| m.vote = Some(*vote)).map_err(|e| StorageIOError::write_vote(&e).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        Ok(self.inner.lock().meta.vote)
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        self.set_committed(committed).map_err(|e| StorageIOError::write_logs(&e).into())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        Ok(self.inner.lock().committed)
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        match self.append_entries(entries) {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                let err = StorageIOError::write_logs(&e).into();
                callback.log_io_completed(Err(e));
                Err(err)
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.truncate_from(log_id.index).map_err(|e| StorageIOError::write_logs(&e).into())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.purge_upto(log_id).map_err(|e| StorageIOError::write_logs(&e).into())
    }
}

#[cfg(test)]
mod tests {
    use openraft::{CommittedLeaderId, EntryPayload};

    use super::*;
    use crate::cluster::map::Change;

    fn entry(term: u64, index: u64) -> Entry {
        Entry {
            log_id: LogId::new(CommittedLeaderId::new(term, 1), index),
            payload: EntryPayload::Normal(Change::Remove(index)),
        }
    }

    fn indexes(store: &LogStore) -> Vec<u64> {
        store.entries(..).iter().map(|e| e.log_id.index).collect()
    }

    #[test]
    fn append_truncate_purge_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::open(dir.path()).unwrap();
        store.append_entries((1..=5).map(|i| entry(1, i))).unwrap();
        store.truncate_from(4).unwrap();
        store.append_entries([entry(2, 4)]).unwrap();
        assert_eq!(indexes(&store), [1, 2, 3, 4]);
        store.purge_upto(entry(1, 2).log_id).unwrap();
        assert_eq!(indexes(&store), [3, 4]);
        store.append_entries([entry(2, 5)]).unwrap();
        store.update_meta(|m| m.vote = Some(Vote::new(2, 1))).unwrap();
        store.set_committed(Some(entry(2, 4).log_id)).unwrap();
        drop(store);

        let store = LogStore::open(dir.path()).unwrap();
        assert_eq!(indexes(&store), [3, 4, 5]);
        assert_eq!(store.entries(4..=4)[0].log_id.leader_id.term, 2);
        assert_eq!(store.state(), (Some(entry(1, 2).log_id), Some(entry(2, 5).log_id)));
        assert_eq!(store.inner.lock().meta.vote, Some(Vote::new(2, 1)));
        assert_eq!(store.inner.lock().committed, Some(entry(2, 4).log_id));
        // A damaged committed id (it is not synced) reads as none.
        drop(store);
        std::fs::write(dir.path().join(COMMITTED_FILE), b"").unwrap();
        assert_eq!(LogStore::open(dir.path()).unwrap().inner.lock().committed, None);
    }

    #[test]
    fn a_torn_tail_is_dropped_and_appends_continue_after_the_last_whole_entry() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::open(dir.path()).unwrap();
        store.append_entries((1..=3).map(|i| entry(1, i))).unwrap();
        drop(store);
        let path = dir.path().join(LOG_FILE);
        let len = std::fs::metadata(&path).unwrap().len();
        // A crash in the middle of writing entry 3.
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(len - 3).unwrap();

        let store = LogStore::open(dir.path()).unwrap();
        assert_eq!(indexes(&store), [1, 2]);
        store.append_entries([entry(2, 3)]).unwrap();
        drop(store);
        let store = LogStore::open(dir.path()).unwrap();
        assert_eq!(indexes(&store), [1, 2, 3]);
        assert_eq!(store.state().1, Some(entry(2, 3).log_id));
        // An empty directory is an empty log.
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(LogStore::open(empty.path()).unwrap().state(), (None, None));
    }
}
