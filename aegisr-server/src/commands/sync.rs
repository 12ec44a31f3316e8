//! SYNC, PSYNC and REPLCONF: Redis's replication handshake, served to Redis replicas and
//! tools. A client that said `REPLCONF rdb-only 1` (as `redis-cli --rdb` does) gets the
//! dataset as an RDB file (`persist::rdb`), and the connection closes after it. Any other
//! gets the file and then every write, as a Redis master sends them (`resp::replica_feed`):
//! a Redis replica follows an Aegisr node. The writes come from the journal, so that
//! needs `appendonly yes`. A replica that comes back with the replication id and offset
//! of a stream this node still holds continues it (`+CONTINUE`, see
//! `resp::replica_resume`); any other starts with a full sync (`+FULLRESYNC`).

use std::sync::Arc;

use super::args::is;
use super::table::{CommandSpec, Flags, Group};
use super::{CommandError, CommandResult, Ctx};
use crate::persist::journal::Journal;
use crate::resp::ReplicaStream;
use crate::server::ServerStats;

/// What the door sends after SYNC or PSYNC.
pub enum SyncStart {
    /// The RDB file alone (REPLCONF rdb-only 1), then the connection closes.
    RdbOnly,
    /// The journal's records as Redis commands, after the file or where a stream broke.
    Replica { journal: Arc<Journal>, from: FeedFrom },
}

/// Where a replica's stream starts.
pub enum FeedFrom {
    /// After the file, from journal position `offset`, under a new replication id.
    File { replid: String, offset: u64 },
    /// Where the replica left the stream it continues.
    Resume(Arc<ReplicaStream>),
}

/// Why a replica's SYNC or PSYNC is refused on a node without a journal.
const NO_JOURNAL: &str = "ERR Aegisr streams its writes to replicas from its append-only journal, which is off (appendonly no or --persistence none); only an RDB copy of the dataset is served, to a client that sent REPLCONF rdb-only 1 first (as redis-cli --rdb does)";

fn sync(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    if ctx.session.rdb_only {
        ctx.session.sync = Some(SyncStart::RdbOnly);
        return Ok(());
    }
    let journal = replica_journal(ctx)?;
    full_sync(ctx, journal);
    Ok(())
}

/// PSYNC replid offset: `+CONTINUE <replid>` and the stream from `offset` on when this
/// node still holds it, else `+FULLRESYNC <replid> <offset>` before the file, the offset
/// being where the stream after the file starts.
fn psync(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if ctx.session.rdb_only {
        ctx.session.sync = Some(SyncStart::RdbOnly);
        let offset = crate::cluster::replication::offset(ctx.server);
        ctx.out.simple(&format!("FULLRESYNC {} {offset}", ctx.server.run_id));
        return Ok(());
    }
    let (replid, offset) = (args[1], args[2]);
    if args.get(3).is_some_and(|arg| is(arg, "failover")) {
        take_over(ctx, replid, offset)?;
    }
    let journal = replica_journal(ctx)?;
    if let Some(stream) = ctx.server.redis_replicas.resume(replid, offset, &journal) {
        ServerStats::add(&ctx.server.stats.sync_partial_ok, 1);
        ctx.out.simple(&format!("CONTINUE {}", String::from_utf8_lossy(replid)));
        ctx.session.sync = Some(SyncStart::Replica { journal, from: FeedFrom::Resume(stream) });
        return Ok(());
    }
    // A replica that had no master asks with `?`; Redis counts the others it refuses.
    if replid != b"?" {
        ServerStats::add(&ctx.server.stats.sync_partial_err, 1);
    }
    let (replid, offset) = full_sync(ctx, journal);
    ctx.out.simple(&format!("FULLRESYNC {replid} {offset}"));
    Ok(())
}

/// `PSYNC <replid> <offset> FAILOVER`: the Redis master this node follows hands over to it
/// (its `FAILOVER TO`, once this node had all it sent). The node stops following it and
/// becomes a primary, which the old master then follows from `offset` on (the PSYNC goes
/// on to `+CONTINUE`). Refused unless `replid` is the master's and this node has applied
/// exactly up to `offset`: the master then stays the primary.
fn take_over(ctx: &Ctx<'_>, replid: &[u8], offset: &[u8]) -> Result<(), CommandError> {
    let replication = &ctx.server.replication;
    let journal = ctx.server.keyspace.journal().ok_or_else(|| CommandError::Message(NO_JOURNAL.into()))?;
    let following = replication.following().filter(|f| f.link_up && replication.has_upstream());
    let Some(following) = following.filter(|f| f.replid.as_bytes() == replid) else {
        return Err(CommandError::err("PSYNC FAILOVER replid must match my replid."));
    };
    let wanted = std::str::from_utf8(offset).ok().and_then(|o| o.parse::<u64>().ok()).and_then(|o| o.checked_sub(1));
    if wanted != Some(following.offset) {
        return Err(CommandError::err("PSYNC FAILOVER offset does not match what this node applied."));
    }
    // Stopped, nothing more is applied: the data is the master's at `offset`.
    replication.set_upstream(None);
    // The backlog keeps what follows, for the old master to read.
    let lsn = journal.backlog().start_reader(|| journal.next_lsn());
    ctx.server.redis_replicas.taken_over(following.replid, &journal, following.offset, lsn);
    tracing::info!("MASTER MODE enabled (failover request from '{}')", ctx.session.client.addr);
    Ok(())
}

/// The journal a replica's stream is read from.
fn replica_journal(ctx: &Ctx<'_>) -> Result<Arc<Journal>, CommandError> {
    let replication = &ctx.server.replication;
    if replication.has_upstream() {
        // A chained replica, as Redis has them: it follows this node's journal, which has
        // the master's writes as this node applies them. When the master sends a new file
        // instead, the link ends every such stream (`resp::master_link`), and they start
        // again with a full sync of the new data. Until the link is up there is nothing
        // to follow, as Redis says.
        if !replication.following().is_some_and(|f| f.link_up) {
            return Err(CommandError::Message("NOMASTERLINK Can't SYNC while not connected with my master".into()));
        }
    } else if crate::cluster::replication::is_replica(ctx.server) {
        return Err(CommandError::Message(
            "ERR this node is a replica in its cluster shard group: replicate from its primary".into(),
        ));
    }
    ctx.server.keyspace.journal().ok_or_else(|| CommandError::Message(NO_JOURNAL.into()))
}

/// Arms the file and the stream after it, which the door sends after this batch; returns
/// the stream's replication id and the offset it starts at.
fn full_sync(ctx: &mut Ctx<'_>, journal: Arc<Journal>) -> (String, u64) {
    ctx.server.replication.replica_syncing();
    let offset = journal.backlog().start_reader(|| journal.next_lsn());
    let replid = crate::server::random_hex40();
    ctx.session.sync = Some(SyncStart::Replica { journal, from: FeedFrom::File { replid: replid.clone(), offset } });
    (replid, offset)
}

/// REPLCONF option value [option value ...]: what a replica says of itself. `rdb-only`
/// is kept; the other options Redis's replicas and tools send are accepted.
fn replconf(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args.len() % 2 == 0 {
        return Err(CommandError::Message("ERR syntax error".into()));
    }
    // A replica's acknowledgement gets no reply, as in Redis (on a replica's own
    // connection the feed reads them: see `resp::replica_feed`).
    if args.get(1).is_some_and(|option| is(option, "ack") || is(option, "getack")) {
        return Ok(());
    }
    let mut rdb_only = ctx.session.rdb_only;
    let mut parts = ctx.session.rdb_parts;
    for pair in args[1..].chunks_exact(2) {
        let (option, value) = (pair[0], pair[1]);
        if is(option, "rdb-filter-only") {
            // Include filters: only "functions" exists; none at all is an empty file.
            parts = crate::persist::rdb::Parts { keys: false, functions: false };
            for filter in value.split(u8::is_ascii_whitespace).filter(|f| !f.is_empty()) {
                if !is(filter, "functions") {
                    return Err(CommandError::Message(format!(
                        "ERR Unsupported rdb-filter-only option: {}",
                        String::from_utf8_lossy(filter)
                    )));
                }
                parts.functions = true;
            }
        } else if is(option, "rdb-only") {
            rdb_only = match value {
                b"1" => true,
                b"0" => false,
                _ => return Err(CommandError::Message("ERR Value is not an integer or out of range".into())),
            };
        } else if is(option, "capa") {
            if is(value, "eof") {
                ctx.session.capa_eof = true;
            }
        } else if is(option, "listening-port") {
            ctx.session.listening_port = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
        } else if !is(option, "ip-address") {
            return Err(CommandError::Message(format!(
                "ERR Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(option)
            )));
        }
    }
    ctx.session.rdb_only = rdb_only;
    ctx.session.rdb_parts = parts;
    ctx.out.ok();
    Ok(())
}

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "sync",
        arity: 1,
        acl: &["@admin", "@slow", "@dangerous"],
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::NO_ASYNC_LOADING).or(Flags::NO_MULTI),
        group: Group::Server,
        since: "1.0.0",
        summary: "An internal command used in replication.",
        handler: Some(sync),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "psync",
        arity: -3,
        acl: &["@admin", "@slow", "@dangerous"],
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::NO_ASYNC_LOADING).or(Flags::NO_MULTI),
        group: Group::Server,
        since: "2.8.0",
        summary: "An internal command used in replication.",
        syntax: "replicationid offset",
        handler: Some(psync),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "replconf",
        arity: -1,
        acl: &["@admin", "@slow", "@dangerous"],
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE).or(Flags::ALLOW_BUSY),
        group: Group::Server,
        since: "3.0.0",
        summary: "An internal command for configuring the replication stream.",
        handler: Some(replconf),
        ..CommandSpec::BASE
    },
];
