//! FAILOVER: Redis's coordinated failover of a standalone primary to one of its replicas,
//! here a Redis replica following this node (`resp::replica_feed`). Clients' writes are
//! held while the node waits for the replica (the one named with TO, else the first) to
//! acknowledge everything written; then the node sends it `PSYNC <replid> <offset>
//! FAILOVER`, which makes the replica a primary that this node follows from that offset
//! on, with no file sent: no write is lost and none is applied twice. Without TIMEOUT the
//! wait lasts as long as it takes; a TIMEOUT ends it (the failover is called off), unless
//! FORCE says to hand over anyway. FAILOVER ABORT calls it off while it waits.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use super::Server;
use crate::resp::master_link::{HandOver, MasterLink};

/// How long the replica has to take over once asked.
const TAKE_OVER: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Phase {
    #[default]
    None,
    WaitingForSync,
    InProgress,
}

/// The failover under way, if any.
#[derive(Default)]
pub struct FailoverState {
    phase: Mutex<Phase>,
    abort: super::abortable::Abortable,
}

impl FailoverState {
    /// INFO's `master_failover_state`.
    pub fn state_name(&self) -> &'static str {
        match *self.phase.lock() {
            Phase::None => "no-failover",
            Phase::WaitingForSync => "waiting-for-sync",
            Phase::InProgress => "failover-in-progress",
        }
    }

    /// FAILOVER ABORT: false when no failover waits.
    pub fn abort(&self) -> bool {
        self.abort.abort()
    }

    fn set(&self, phase: Phase) {
        *self.phase.lock() = phase;
    }
}

/// What FAILOVER asked for.
pub struct Request {
    pub target: Option<(String, u16)>,
    pub timeout: Option<Duration>,
    pub force: bool,
}

/// Starts the failover `request` asks for, after Redis's checks (the error text when one
/// fails); it goes on in the background.
pub fn start(server: &Arc<Server>, request: Request) -> Result<(), String> {
    if request.force && (request.timeout.is_none() || request.target.is_none()) {
        return Err("ERR FAILOVER with force option requires both a timeout and target HOST and IP.".into());
    }
    let replication = &server.replication;
    if replication.has_upstream() {
        return Err("ERR FAILOVER is not valid when server is a replica.".into());
    }
    if replication.replicas().is_empty() {
        return Err("ERR FAILOVER requires connected replicas.".into());
    }
    if *server.failover.phase.lock() != Phase::None {
        return Err("ERR FAILOVER already in progress.".into());
    }
    if let Some((host, port)) = &request.target
        && find(server, Some((host, *port))).is_none()
    {
        return Err("ERR FAILOVER target HOST and PORT is not a replica.".into());
    }
    let Some(journal) = server.keyspace.journal() else {
        return Err("ERR FAILOVER needs the journal the replicas follow (appendonly yes)".into());
    };
    let Some(abort) = server.failover.abort.begin() else {
        return Err("ERR FAILOVER already in progress.".into());
    };
    server.failover.set(Phase::WaitingForSync);
    let server = server.clone();
    tokio::spawn(async move {
        let outcome = run(&server, &journal, &request, &abort).await;
        server.failover.abort.end();
        server.failover.set(Phase::None);
        server.pause.end_handoff();
        match outcome {
            Ok(to) => tracing::info!("FAILOVER to {to} done: this node is its replica"),
            Err(why) => tracing::warn!("FAILOVER called off: {why}; this node stays a primary"),
        }
    });
    Ok(())
}

/// The Redis replica at `target` (any one without), as `(node, host, port)`.
fn find(server: &Server, target: Option<(&str, u16)>) -> Option<(u64, String, u16)> {
    server.replication.replicas().into_iter().find_map(|(node, link)| candidate(server, node, &link.addr, target))
}

/// The replica `node` at `addr` as `(node, host, port)`, if it is a Redis replica (one this
/// node streams to) and the one `target` names, when it names one.
fn candidate(server: &Server, node: u64, addr: &str, target: Option<(&str, u16)>) -> Option<(u64, String, u16)> {
    server.redis_replicas.of_node(node)?;
    let (host, port) = addr.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let wanted = target.is_none_or(|(h, p)| h.eq_ignore_ascii_case(host) && p == port);
    wanted.then(|| (node, host.to_owned(), port))
}

async fn run(
    server: &Arc<Server>,
    journal: &crate::persist::journal::Journal,
    request: &Request,
    abort: &CancellationToken,
) -> Result<String, String> {
    let target = request.target.as_ref().map(|(h, p)| (h.as_str(), *p));
    // Without a timeout, writes are held until the replica has caught up.
    server.pause.hold_writes_for_handoff(request.timeout.unwrap_or(Duration::from_secs(365 * 24 * 3600)));
    let deadline = request.timeout.map(|t| tokio::time::Instant::now() + t);
    let mut changes = server.replication.ack_changes();
    let (node, host, port) = loop {
        let end = journal.next_lsn();
        // Caught up by its own acknowledgement (a replica that just connected has given none
        // yet; its offset is what the hand-over sends).
        let caught_up = server.replication.replicas().into_iter().find_map(|(node, link)| {
            let chosen = candidate(server, node, &link.addr, target)?;
            let (_, lsn) = server.redis_replicas.of_node(node)?.acknowledged()?;
            (lsn >= end).then_some(chosen)
        });
        if let Some(chosen) = caught_up {
            break chosen;
        }
        server.replication.request_acks(end);
        let timed_out = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return Err("the node is stopping".into()) },
            () = timed_out => {
                if !request.force {
                    return Err("the replica did not catch up before the timeout".into());
                }
                break find(server, target).ok_or("the target replica is gone")?;
            }
            () = abort.cancelled() => return Err("FAILOVER ABORT".into()),
        }
    };
    server.failover.abort.end();
    server.failover.set(Phase::InProgress);
    let stream = server.redis_replicas.of_node(node).ok_or("the replica's stream is gone")?;
    let (offset, _) = stream.acknowledged().ok_or("the replica has acknowledged nothing yet")?;
    let hand_over = HandOver { replid: stream.replid().to_owned(), offset };
    tracing::info!("FAILOVER: {host}:{port} has everything (offset {offset}); asking it to take over");
    let link = MasterLink::start_from(server, host.clone(), port, Some(hand_over))
        .map_err(|e| format!("cannot start following {host}:{port}: {e}"))?;
    server.replication.set_upstream(Some(link));
    let taken = async {
        while !server.replication.following().is_some_and(|f| f.link_up) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    if tokio::time::timeout(TAKE_OVER, taken).await.is_err() {
        server.replication.set_upstream(None);
        return Err(format!("{host}:{port} did not take over within {} s", TAKE_OVER.as_secs()));
    }
    Ok(format!("{host}:{port}"))
}
