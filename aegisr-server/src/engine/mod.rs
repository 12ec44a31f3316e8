//! The engine: the keyspace split into hash slots and shards, expiry, and the locking
//! discipline that makes multi-key commands atomic. It knows nothing of sockets or protocols.

pub mod blocking;
mod db;
mod entry;
pub mod evict;
mod expiry;
pub mod glob;
mod held;
mod keyspace;
mod scan;
pub mod slot;
mod watch;

pub use entry::{Entry, PACK_LIMIT};
pub use held::{HeldShards, Tx};
pub use keyspace::{Keyspace, KeyspaceStats, Locked, ShardIndex};
pub use scan::ScanFilter;
pub use watch::WatchFlag;

/// The current time as Unix milliseconds, the unit every expiry is stored in.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
