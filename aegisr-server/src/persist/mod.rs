//! Persistence: how the keyspace outlives the process (append-only log, snapshots,
//! backups) and how a value is written as bytes ([`codec`], shared with DUMP/RESTORE).

pub mod codec;
