//! The openraft type configuration of the control plane: log entries carry a
//! [`Change`], applying one answers how the cluster map took it, nodes are `u64` ids
//! reached at their cluster address (`host:cluster_port`).

use std::io::Cursor;

use crate::cluster::map::{Change, ChangeError, NodeId};

openraft::declare_raft_types!(
    /// The control plane's Raft types.
    pub TypeConfig:
        D = Change,
        R = Result<(), ChangeError>,
        NodeId = NodeId,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

pub type Raft = openraft::Raft<TypeConfig>;
pub type Entry = openraft::Entry<TypeConfig>;
pub type LogId = openraft::LogId<NodeId>;
pub type Vote = openraft::Vote<NodeId>;
pub type StorageError = openraft::StorageError<NodeId>;
pub type StoredMembership = openraft::StoredMembership<NodeId, openraft::BasicNode>;
pub type SnapshotMeta = openraft::SnapshotMeta<NodeId, openraft::BasicNode>;
pub type Snapshot = openraft::Snapshot<TypeConfig>;
