//! Running a blocking command to completion: the loop both doors share. The command runs;
//! if it asks to block, the client is registered on the keys, the command runs again (a
//! key may have appeared meanwhile), and then the client sleeps until a key it waits for is
//! created, its timeout passes, or it goes away.

pub use crate::engine::blocking::{Wake, collecting_wakes, served};

use super::{Ctx, Session, execute};
use crate::reply::{Protocol, ReplySink};
use crate::server::Server;
use crate::server::unblock::Unblock;

/// The error a command unblocked by CLIENT UNBLOCK ... ERROR replies with.
const UNBLOCKED: &str = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

/// Where a door wants replies: a RESP output buffer, a gRPC reply tree.
pub trait ReplyTarget {
    /// Runs `write` with a sink for this target in `protocol`.
    fn with_sink(&mut self, protocol: Protocol, write: &mut dyn FnMut(&mut dyn ReplySink));
}

/// How a blocked command ended.
pub enum Unblocked {
    /// It was served, or timed out; its reply has been written.
    Replied,
    /// The client is gone (killed, disconnected) or the server is shutting down.
    Abandoned,
}

/// Waits out the block the last run of `args` asked for, re-running the command on each
/// wake-up and writing its replies to `target`. `gone` completes when the client
/// disconnects.
pub async fn wait(
    server: &Server,
    session: &mut Session,
    args: &[&[u8]],
    target: &mut (dyn ReplyTarget + Send),
    gone: impl std::future::Future<Output = ()>,
) -> Unblocked {
    let Some(block) = session.block.take() else {
        return Unblocked::Replied;
    };
    let rerun_args = block.rerun_args.as_deref().map(super::views);
    let args = rerun_args.as_deref().unwrap_or(args);
    let deadline = block.timeout.map(|t| tokio::time::Instant::now() + t);
    if let Some((offset, count)) = session.wait_acks.take() {
        return wait_acks(server, session, args, target, gone, offset, count, deadline).await;
    }
    if let Some(wanted) = session.wait_aof.take() {
        return wait_aof(server, session, args, target, gone, wanted, deadline).await;
    }
    let guard = server.keyspace.waiters().register(session.db, &block.keys);
    let _counted = BlockedGauge::new(&server.stats.blocked_clients);
    // With a timeout, it is also in Redis's timeout table.
    let _timed = deadline.map(|_| BlockedGauge::new(&server.stats.clients_in_timeout_table));
    let client = session.client.clone();
    let _blocked = client.blocking.enter();
    tokio::pin!(gone);
    let run = &server.scripting.run;
    loop {
        let protocol = session.protocol;
        // A script running now holds the keys (it may be what woke the client): the
        // command runs again once it has ended, as Redis serves blocked clients after the
        // command that woke them.
        let script_running = run.others_running();
        let seen = guard.waker.seen();
        if !script_running
            && waits_for(args).is_none_or(|kind| !only_other_kinds(server, session.db, &block.keys, kind))
        {
            // Run again: also covers a key created between the first run and registering.
            let mut woken = Vec::new();
            target.with_sink(protocol, &mut |out| {
                session.rerun = true;
                let mut ctx = Ctx::new(server, &mut *session, out);
                woken = collecting_wakes(|| execute(&mut ctx, args)).1;
                ctx.session.rerun = false;
            });
            // Whoever this run woke is served before this client counts as served (a
            // chain of BLMOVEs completes before the push that started it replies).
            served(woken, Some(&guard.waker)).await;
            if session.block.take().is_none() {
                guard.leave().await;
                return Unblocked::Replied;
            }
        }
        guard.waker.handled(seen);
        let script_ended = async { if script_running { run.ended().await } else { std::future::pending().await } };
        let timeout = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = guard.waker.notified() => {}
            () = script_ended => {}
            () = timeout => {
                target.with_sink(protocol, &mut |out| {
                    (block.on_timeout)(out);
                    record_ended(server, session, args, out, None);
                });
                return Unblocked::Replied;
            }
            how = client.blocking.requested() => {
                target.with_sink(protocol, &mut |out| match how {
                    Unblock::Timeout => {
                        (block.on_timeout)(out);
                        record_ended(server, session, args, out, None);
                    }
                    Unblock::Error => {
                        out.error(UNBLOCKED);
                        record_ended(server, session, args, out, Some(UNBLOCKED));
                    }
                });
                return Unblocked::Replied;
            }
            () = &mut gone => return Unblocked::Abandoned,
            () = session.client.kill.cancelled() => return Unblocked::Abandoned,
            () = server.shutdown.cancelled() => return Unblocked::Abandoned,
        }
    }
}

/// The kind of value a blocked command is served from. Redis serves a blocked client only
/// from a key of that kind: one deleted and recreated as another kind (LPUSH, DEL, SET in a
/// transaction) leaves it blocked, where running it again would reply WRONGTYPE. XREADGROUP
/// is not here: its group's key going away or changing kind unblocks it with an error.
fn waits_for(args: &[&[u8]]) -> Option<crate::types::ValueKind> {
    use crate::types::ValueKind;
    let name = args.first()?;
    let is = |candidates: &[&str]| candidates.iter().any(|c| name.eq_ignore_ascii_case(c.as_bytes()));
    if is(&["blpop", "brpop", "blmove", "brpoplpush", "blmpop"]) {
        Some(ValueKind::List)
    } else if is(&["bzpopmin", "bzpopmax", "bzmpop"]) {
        Some(ValueKind::ZSet)
    } else if is(&["xread"]) {
        Some(ValueKind::Stream)
    } else {
        None
    }
}

/// Whether none of `keys` holds a value of `kind` and one holds another kind: running the
/// command again would reply WRONGTYPE instead of waiting on. With every key absent it runs
/// again, and waits again (or is redirected, its slot having moved away).
fn only_other_kinds(server: &Server, db: usize, keys: &[bytes::Bytes], kind: crate::types::ValueKind) -> bool {
    let mut locked = server.keyspace.lock_keys(db, keys.iter().map(|k| k.as_ref()));
    let (mut other, mut wanted) = (false, false);
    for key in keys {
        match locked.peek(key).map(|entry| entry.kind()) {
            Some(found) if found == kind => wanted = true,
            Some(_) => other = true,
            None => {}
        }
    }
    other && !wanted
}

/// Records a blocked command that ended without running again (timed out, or unblocked
/// with an error), as Redis's `updateStatsOnUnblock`: a call, failed if it replied an error.
pub fn record_ended(
    server: &Server,
    session: &mut Session,
    args: &[&[u8]],
    out: &mut dyn ReplySink,
    error: Option<&str>,
) {
    let ctx = Ctx::new(server, session, out);
    let ended = match error {
        Some(text) => crate::metrics::Ended::Failed(text),
        None => crate::metrics::Ended::Ran,
    };
    crate::metrics::record_now(&ctx, args, super::resolve(args).ok(), ended);
}

/// WAIT: until `count` replicas acknowledge `offset` or the deadline; replies with how
/// many did.
#[allow(clippy::too_many_arguments)]
async fn wait_acks(
    server: &Server,
    session: &mut Session,
    args: &[&[u8]],
    target: &mut (dyn ReplyTarget + Send),
    gone: impl std::future::Future<Output = ()>,
    offset: u64,
    count: usize,
    deadline: Option<tokio::time::Instant>,
) -> Unblocked {
    let _counted = BlockedGauge::new(&server.stats.blocked_clients);
    // With a timeout, it is also in Redis's timeout table.
    let _timed = deadline.map(|_| BlockedGauge::new(&server.stats.clients_in_timeout_table));
    let client = session.client.clone();
    let _blocked = client.blocking.enter();
    let acked = tokio::select! {
        acked = server.replication.wait_for(offset, count, deadline) => acked,
        how = client.blocking.requested() => match how {
            // As a timeout: the replicas that acknowledged so far.
            Unblock::Timeout => server.replication.wait_for(offset, count, Some(tokio::time::Instant::now())).await,
            Unblock::Error => {
                target.with_sink(session.protocol, &mut |out| {
                    out.error(UNBLOCKED);
                    record_ended(server, session, args, out, Some(UNBLOCKED));
                });
                return Unblocked::Replied;
            }
        },
        () = gone => return Unblocked::Abandoned,
        () = session.client.kill.cancelled() => return Unblocked::Abandoned,
        () = server.shutdown.cancelled() => return Unblocked::Abandoned,
    };
    target.with_sink(session.protocol, &mut |out| {
        out.count(acked);
        record_ended(server, session, args, out, None);
    });
    Unblocked::Replied
}

/// What WAITAOF waits for: `offset` synced to this node's journal (when `local`) and
/// acknowledged by `replicas` replicas.
#[derive(Debug, Clone, Copy)]
pub struct AofWait {
    pub offset: u64,
    pub local: bool,
    pub replicas: usize,
}

/// WAITAOF's reply: whether `offset` is synced locally, and how many replicas have it.
pub fn aof_acks(server: &Server, offset: u64) -> (bool, usize) {
    let local = server.keyspace.journal().is_some_and(|j| j.is_synced(offset));
    (local, server.replication.acked_at_least(offset))
}

pub fn write_aof_acks(out: &mut dyn crate::reply::ReplySink, (local, replicas): (bool, usize)) {
    out.array(2);
    out.integer(i64::from(local));
    out.count(replicas);
}

/// WAITAOF: until the local sync and the replicas asked for, or the deadline; replies
/// with what was reached.
async fn wait_aof(
    server: &Server,
    session: &mut Session,
    args: &[&[u8]],
    target: &mut (dyn ReplyTarget + Send),
    gone: impl std::future::Future<Output = ()>,
    wanted: AofWait,
    deadline: Option<tokio::time::Instant>,
) -> Unblocked {
    let _counted = BlockedGauge::new(&server.stats.blocked_clients);
    // With a timeout, it is also in Redis's timeout table.
    let _timed = deadline.map(|_| BlockedGauge::new(&server.stats.clients_in_timeout_table));
    let client = session.client.clone();
    let _blocked = client.blocking.enter();
    let reached = async {
        if wanted.local
            && let Some(journal) = server.keyspace.journal()
        {
            journal.wait_synced(wanted.offset).await;
        }
        server.replication.wait_for(wanted.offset, wanted.replicas, None).await;
    };
    let timeout = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = reached => {}
        () = timeout => {}
        how = client.blocking.requested() => {
            if let Unblock::Error = how {
                target.with_sink(session.protocol, &mut |out| {
                    out.error(UNBLOCKED);
                    record_ended(server, session, args, out, Some(UNBLOCKED));
                });
                return Unblocked::Replied;
            }
        }
        () = gone => return Unblocked::Abandoned,
        () = session.client.kill.cancelled() => return Unblocked::Abandoned,
        () = server.shutdown.cancelled() => return Unblocked::Abandoned,
    }
    let acks = aof_acks(server, wanted.offset);
    target.with_sink(session.protocol, &mut |out| {
        write_aof_acks(out, acks);
        record_ended(server, session, args, out, None);
    });
    Unblocked::Replied
}

/// Counts a client in a gauge (INFO's `blocked_clients`...) while it lives: a client
/// blocked on keys, or held by CLIENT PAUSE.
pub(crate) struct BlockedGauge<'a>(&'a std::sync::atomic::AtomicU64);

impl<'a> BlockedGauge<'a> {
    pub(crate) fn new(gauge: &'a std::sync::atomic::AtomicU64) -> BlockedGauge<'a> {
        gauge.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        BlockedGauge(gauge)
    }
}

impl Drop for BlockedGauge<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}
