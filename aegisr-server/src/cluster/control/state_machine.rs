//! The replicated state machine: the [`ClusterMap`] every committed [`Change`] is applied
//! to. Its snapshot (the map as JSON, with openraft's metadata) is kept in
//! `<dir>/cluster/snapshot.json`, replaced atomically; at start the map is the snapshot's
//! and openraft re-applies the committed entries after it.
//!
//! [`Change`]: crate::cluster::map::Change

use std::io::{self, Cursor};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use openraft::storage::RaftStateMachine;
use openraft::{EntryPayload, OptionalSend, RaftSnapshotBuilder, StorageIOError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::files;
use super::types::{Entry, LogId, Snapshot, SnapshotMeta, StorageError, StoredMembership, TypeConfig};
use crate::cluster::map::{Change, ChangeError, ClusterMap};

const SNAPSHOT_FILE: &str = "snapshot.json";

/// A snapshot as stored on disk.
#[derive(Serialize, Deserialize)]
struct StoredSnapshot {
    meta: SnapshotMeta,
    map: ClusterMap,
}

struct Inner {
    map: ClusterMap,
    last_applied: Option<LogId>,
    membership: StoredMembership,
    /// The latest snapshot: its metadata and the map's JSON.
    snapshot: Option<(SnapshotMeta, Vec<u8>)>,
    snapshots_built: u64,
}

/// The state machine; clones share it (one of them is openraft's snapshot builder).
#[derive(Clone)]
pub struct StateMachine {
    inner: Arc<Mutex<Inner>>,
    dir: PathBuf,
    /// Every node's latest applied map, published after each applied batch of entries and
    /// after a snapshot is installed.
    published: Arc<watch::Sender<Arc<ClusterMap>>>,
}

impl StateMachine {
    /// The state machine at the snapshot kept in `dir`, if any.
    pub fn open(dir: &Path, published: Arc<watch::Sender<Arc<ClusterMap>>>) -> io::Result<StateMachine> {
        std::fs::create_dir_all(dir)?;
        let mut inner = Inner {
            map: ClusterMap::default(),
            last_applied: None,
            membership: StoredMembership::default(),
            snapshot: None,
            snapshots_built: 0,
        };
        if let Some(bytes) = files::read_optional(&dir.join(SNAPSHOT_FILE))? {
            let stored: StoredSnapshot = serde_json::from_slice(&bytes).map_err(io::Error::other)?;
            let data = serde_json::to_vec(&stored.map).map_err(io::Error::other)?;
            inner.last_applied = stored.meta.last_log_id;
            inner.membership = stored.meta.last_membership.clone();
            inner.map = stored.map;
            inner.snapshot = Some((stored.meta, data));
        }
        published.send_replace(Arc::new(inner.map.clone()));
        Ok(StateMachine { inner: Arc::new(Mutex::new(inner)), dir: dir.to_path_buf(), published })
    }

    fn save_snapshot(&self, meta: &SnapshotMeta, map: &ClusterMap) -> io::Result<()> {
        let json =
            serde_json::to_vec(&StoredSnapshot { meta: meta.clone(), map: map.clone() }).map_err(io::Error::other)?;
        files::replace(&self.dir.join(SNAPSHOT_FILE), &json)
    }

    fn publish(&self, map: &ClusterMap) {
        self.published.send_replace(Arc::new(map.clone()));
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot, StorageError> {
        let (meta, map) = {
            let mut inner = self.inner.lock();
            inner.snapshots_built += 1;
            let last = inner.last_applied.map_or(0, |l| l.index);
            let meta = SnapshotMeta {
                last_log_id: inner.last_applied,
                last_membership: inner.membership.clone(),
                snapshot_id: format!("{last}-{}", inner.snapshots_built),
            };
            (meta, inner.map.clone())
        };
        let data = serde_json::to_vec(&map).map_err(|e| StorageIOError::write_snapshot(Some(meta.signature()), &e))?;
        self.save_snapshot(&meta, &map).map_err(|e| StorageIOError::write_snapshot(Some(meta.signature()), &e))?;
        self.inner.lock().snapshot = Some((meta.clone(), data.clone()));
        Ok(Snapshot { meta, snapshot: Box::new(Cursor::new(data)) })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        let inner = self.inner.lock();
        Ok((inner.last_applied, inner.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Result<(), ChangeError>>, StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut inner = self.inner.lock();
        let mut replies = Vec::new();
        for entry in entries {
            inner.last_applied = Some(entry.log_id);
            let reply = match entry.payload {
                EntryPayload::Blank => Ok(()),
                EntryPayload::Normal(change) => {
                    let result = inner.map.apply(&change);
                    // Slot moves come by the thousand when groups are rebalanced: only
                    // changes of members and roles are worth a line at the default level.
                    let routine = matches!(
                        change,
                        Change::BeginMigration { .. }
                            | Change::FinishMigration { .. }
                            | Change::AbortMigration { .. }
                            | Change::BeginMigrations { .. }
                            | Change::FinishMigrations { .. }
                    );
                    match &result {
                        Ok(()) if routine => tracing::debug!("cluster map: applied {change:?}"),
                        Ok(()) => tracing::info!("cluster map: applied {change:?} (epoch {})", inner.map.epoch),
                        Err(e) if routine => tracing::debug!("cluster map: refused {change:?}: {e}"),
                        Err(e) => tracing::info!("cluster map: refused {change:?}: {e}"),
                    }
                    result
                }
                EntryPayload::Membership(membership) => {
                    inner.membership = StoredMembership::new(Some(entry.log_id), membership);
                    Ok(())
                }
            };
            replies.push(reply);
        }
        self.publish(&inner.map);
        Ok(replies)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let data = snapshot.into_inner();
        let map: ClusterMap =
            serde_json::from_slice(&data).map_err(|e| StorageIOError::read_snapshot(Some(meta.signature()), &e))?;
        self.save_snapshot(meta, &map).map_err(|e| StorageIOError::write_snapshot(Some(meta.signature()), &e))?;
        let mut inner = self.inner.lock();
        inner.last_applied = meta.last_log_id;
        inner.membership = meta.last_membership.clone();
        inner.map = map;
        inner.snapshot = Some((meta.clone(), data));
        self.publish(&inner.map);
        tracing::info!("cluster map: installed a snapshot from the leader (epoch {})", inner.map.epoch);
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, StorageError> {
        let inner = self.inner.lock();
        Ok(inner
            .snapshot
            .as_ref()
            .map(|(meta, data)| Snapshot { meta: meta.clone(), snapshot: Box::new(Cursor::new(data.clone())) }))
    }
}

#[cfg(test)]
mod tests {
    use crate::cluster::map::test_member as member;
    use std::collections::{BTreeMap, BTreeSet};

    use openraft::{BasicNode, CommittedLeaderId, Membership};

    use super::*;

    fn entry(index: u64, payload: EntryPayload<TypeConfig>) -> Entry {
        Entry { log_id: LogId::new(CommittedLeaderId::new(1, 1), index), payload }
    }

    fn open(dir: &Path) -> (StateMachine, watch::Receiver<Arc<ClusterMap>>) {
        let (tx, rx) = watch::channel(Arc::new(ClusterMap::default()));
        (StateMachine::open(dir, Arc::new(tx)).unwrap(), rx)
    }

    #[tokio::test]
    async fn applies_changes_and_moves_the_map_through_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let (mut sm, published) = open(dir.path());
        let membership =
            Membership::new(vec![BTreeSet::from([1])], BTreeMap::from([(1, BasicNode::new("127.0.0.1:3"))]));
        let replies = sm
            .apply([
                entry(1, EntryPayload::Blank),
                entry(2, EntryPayload::Membership(membership)),
                entry(3, EntryPayload::Normal(Change::Bootstrap { member: member(1), replicas_wanted: 1 })),
                entry(4, EntryPayload::Normal(Change::Join(member(2)))),
                entry(5, EntryPayload::Normal(Change::Join(member(2)))),
            ])
            .await
            .unwrap();
        assert_eq!(replies, vec![Ok(()), Ok(()), Ok(()), Ok(()), Err(ChangeError::AlreadyMember(2))]);
        assert_eq!(published.borrow().members.len(), 2, "published after applying");
        let (applied, stored) = sm.applied_state().await.unwrap();
        assert_eq!(applied.map(|l| l.index), Some(5));
        assert_eq!(stored.log_id().map(|l| l.index), Some(2));

        let snapshot = sm.get_snapshot_builder().await.build_snapshot().await.unwrap();
        assert_eq!(snapshot.meta.last_log_id.map(|l| l.index), Some(5));

        // A fresh node installs it, and keeps it across a restart.
        let other = tempfile::tempdir().unwrap();
        let (mut fresh, fresh_published) = open(other.path());
        fresh.install_snapshot(&snapshot.meta, snapshot.snapshot).await.unwrap();
        assert_eq!(*fresh_published.borrow(), *published.borrow());
        drop(fresh);
        let (mut reopened, reopened_published) = open(other.path());
        assert_eq!(*reopened_published.borrow(), *published.borrow());
        assert_eq!(reopened.applied_state().await.unwrap().0.map(|l| l.index), Some(5));
        let current = reopened.get_current_snapshot().await.unwrap().unwrap();
        assert_eq!(current.meta.snapshot_id, snapshot.meta.snapshot_id);
    }
}
