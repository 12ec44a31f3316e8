//! Clustering: the control plane (a Raft group holding the [`map::ClusterMap`]: members,
//! shard groups, slot owners), and what the data plane derives from it (redirections,
//! replication, failover, slot migration).

pub mod bus;
pub mod control;
pub mod endpoint;
pub mod map;
pub mod migration;
pub mod node;
pub mod replication;
pub mod routing;
