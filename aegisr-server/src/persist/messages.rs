//! Pub/Sub messages in the record stream. Redis 7 sends PUBLISH and SPUBLISH to its
//! replicas in their place among the writes, so that the replicas' subscribers get them
//! too (`forceCommandPropagation(c, PROPAGATE_REPL)`), and never writes them to its AOF:
//! loading an AOF does not publish anything. Here a message is logged only while a replica
//! reads the record stream (the backlog is on, see `persist::backlog`), which is the only
//! reader that wants it, and replay leaves it out (`recovery::Replayer`).
//!
//! Why it goes to the journal's files at all, only to be skipped on replay: a record's LSN
//! is its byte offset in the one stream that the segment files, the replication backlog and
//! the replicas' offsets share (`persist::journal`). A record kept out of the files would
//! make every file offset after it differ from the stream's, and recovery, segment names and
//! the positions a replica resumes from are all built on them being the same. A message
//! costs its few bytes on disk instead, and only while a replica is attached.
//!
//! In cluster mode nothing is logged: as in Redis Cluster, a message reaches the other nodes,
//! replicas included, over the cluster bus (`cluster::bus`); a replica applying the record
//! stream would deliver it a second time.

use super::capture;
use crate::commands::args::is;
use crate::server::Server;

/// Logs PUBLISH or SPUBLISH (`args`, run in `db`) for the replicas, if any reads the
/// stream; call it once the message is delivered here. Returns the end of the record
/// appended, for WAIT (0: nothing appended, or inside a transaction).
pub(crate) fn propagate(server: &Server, db: usize, args: &[&[u8]]) -> u64 {
    if server.router.get().is_some() {
        return 0;
    }
    // Without a replica this is all a message costs: the journal's flag and the backlog's.
    server.keyspace.with_journal(|journal| match journal {
        Some(journal) if journal.backlog().enabled() => capture::log_unarmed(journal, db, args),
        _ => 0,
    })
}

/// Whether a logged command is a message (PUBLISH, SPUBLISH), which replay skips.
pub fn is_message(args: &[&[u8]]) -> bool {
    args.first().is_some_and(|name| match name.len() {
        7 => is(name, "publish"),
        8 => is(name, "spublish"),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_are_told_from_writes_by_name_in_any_case() {
        for name in ["publish", "PUBLISH", "SPublish"] {
            assert!(super::is_message(&[name.as_bytes(), b"ch", b"m"]), "{name}");
        }
        for name in ["set", "publishx", "pubsub", ""] {
            assert!(!super::is_message(&[name.as_bytes(), b"ch", b"m"]), "{name}");
        }
        assert!(!super::is_message(&[]));
    }
}
