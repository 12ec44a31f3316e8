//! Replication inside a shard group: the primary streams its journal's records to each
//! replica (after a full sync from a snapshot when the replica cannot resume), and each
//! replica applies them in order and acknowledges how far it got. Offsets are LSNs of the
//! primary's record stream, so they count bytes like Redis's replication offsets.

pub mod applier;
pub mod primary;
pub mod replica;

use std::collections::BTreeMap;
use std::time::Instant;

use parking_lot::Mutex;

use super::map::NodeId;

/// One replica as its primary sees it.
#[derive(Debug, Clone)]
pub struct ReplicaLink {
    /// Which of the replica's connections this is: a replica that reconnects has a new one
    /// before the old one is noticed gone.
    pub link: u64,
    pub addr: String,
    /// The offset it has acknowledged.
    pub acked: u64,
    pub last_ack: Instant,
}

/// What this node follows, as a replica.
#[derive(Debug, Clone, Default)]
pub struct Following {
    /// `host:port` (RESP) of the primary.
    pub primary: String,
    pub link_up: bool,
    pub replid: String,
    /// The primary's offset applied here.
    pub offset: u64,
    /// The primary's offset read here, applied or not (a Redis master's link sets it).
    pub read_offset: u64,
    pub full_syncs: u64,
    pub last_io: Option<Instant>,
    /// A full sync under way (Redis's transfer state, the file's load included): the file's
    /// size (-1: sent with an end mark, size unknown) and the bytes received so far.
    pub sync: Option<(i64, u64)>,
}

/// The node's replication state, for INFO replication, WAIT and quorum acknowledgement.
#[derive(Debug)]
pub struct ReplicationState {
    replicas: Mutex<BTreeMap<NodeId, ReplicaLink>>,
    links: std::sync::atomic::AtomicU64,
    following: Mutex<Option<Following>>,
    /// Bumped on every acknowledgement, to wake WAIT.
    acks: tokio::sync::watch::Sender<u64>,
    /// The highest journal position a WAIT waits for: a Redis replica's stream asks for an
    /// acknowledgement (REPLCONF GETACK) once it has sent that far.
    ack_wanted: tokio::sync::watch::Sender<u64>,
    /// Manual failover, replica side: asked of the replication session...
    failover_requested: tokio::sync::Notify,
    /// ... which signals once it has applied everything the paused primary wrote.
    handed_over: tokio::sync::Notify,
    /// CLUSTER FAILOVER, for the node's data plane to carry out: 1 graceful, 2 forced.
    failover_order: std::sync::atomic::AtomicU8,
    failover_ordered: tokio::sync::Notify,
    /// A standalone node following a Redis master (REPLICAOF host port), and whether it
    /// does (read on every write, without the lock).
    upstream: Mutex<Option<crate::resp::master_link::MasterLink>>,
    has_upstream: std::sync::atomic::AtomicBool,
    /// Since when no replica has been connected (`None` while one is), for
    /// `repl-backlog-ttl`.
    alone_since: Mutex<Option<Instant>>,
}

impl Default for ReplicationState {
    fn default() -> Self {
        ReplicationState {
            replicas: Mutex::new(BTreeMap::new()),
            links: std::sync::atomic::AtomicU64::new(0),
            following: Mutex::new(None),
            acks: tokio::sync::watch::Sender::new(0),
            ack_wanted: tokio::sync::watch::Sender::new(0),
            failover_requested: tokio::sync::Notify::new(),
            handed_over: tokio::sync::Notify::new(),
            failover_order: std::sync::atomic::AtomicU8::new(0),
            failover_ordered: tokio::sync::Notify::new(),
            upstream: Mutex::new(None),
            alone_since: Mutex::new(None),
            has_upstream: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl ReplicationState {
    /// A replica connected; returns the link's number, for its acks and its end.
    pub(crate) fn replica_connected(&self, node: NodeId, addr: String, offset: u64) -> u64 {
        let link = self.links.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.replicas.lock().insert(node, ReplicaLink { link, addr, acked: offset, last_ack: Instant::now() });
        *self.alone_since.lock() = None;
        self.acks.send_modify(|n| *n += 1);
        link
    }

    /// A replica's full sync begins: the backlog it will read from is kept at least
    /// `repl-backlog-ttl` from now, however long ago the last replica left.
    pub(crate) fn replica_syncing(&self) {
        let mut alone = self.alone_since.lock();
        if alone.is_some() {
            *alone = Some(Instant::now());
        }
    }

    pub(crate) fn replica_acked(&self, node: NodeId, link: u64, offset: u64) {
        if let Some(replica) = self.replicas.lock().get_mut(&node).filter(|r| r.link == link) {
            replica.acked = replica.acked.max(offset);
            replica.last_ack = Instant::now();
        }
        self.acks.send_modify(|n| *n += 1);
    }

    /// Link `link` of `node` ended (unless the replica has connected again since).
    pub(crate) fn replica_gone(&self, node: NodeId, link: u64) {
        let mut replicas = self.replicas.lock();
        if replicas.get(&node).is_some_and(|r| r.link == link) {
            replicas.remove(&node);
            if replicas.is_empty() {
                *self.alone_since.lock() = Some(Instant::now());
            }
        }
        drop(replicas);
        self.acks.send_modify(|n| *n += 1);
    }

    /// The replicas connected to this node (as a primary).
    pub fn replicas(&self) -> Vec<(NodeId, ReplicaLink)> {
        self.replicas.lock().iter().map(|(id, link)| (*id, link.clone())).collect()
    }

    /// How many replicas have acknowledged something within `lag` (min-replicas-max-lag).
    pub fn acknowledged_within(&self, lag: std::time::Duration) -> usize {
        self.replicas.lock().values().filter(|l| l.last_ack.elapsed() <= lag).count()
    }

    /// Waits until every replica connected has acknowledged `offset` (those that leave
    /// meanwhile are not waited for) or `deadline` passes; returns how many have, of how
    /// many.
    pub async fn wait_all(&self, offset: u64, deadline: tokio::time::Instant) -> (usize, usize) {
        let mut acks = self.acks.subscribe();
        self.request_acks(offset);
        loop {
            let (acked, total) = {
                let replicas = self.replicas.lock();
                (replicas.values().filter(|l| l.acked >= offset).count(), replicas.len())
            };
            if acked >= total || tokio::time::timeout_at(deadline, acks.changed()).await.is_err() {
                return (acked, total);
            }
        }
    }

    /// Asks the replicas' streams to get acknowledgements up to `offset` now.
    pub(crate) fn request_acks(&self, offset: u64) {
        self.ack_wanted.send_if_modified(|wanted| {
            let higher = offset > *wanted;
            *wanted = (*wanted).max(offset);
            higher
        });
    }

    /// Changes whenever a replica acknowledges, connects or leaves.
    pub(crate) fn ack_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.acks.subscribe()
    }

    /// The journal positions WAIT waits for (see `ack_wanted`).
    pub(crate) fn ack_requests(&self) -> tokio::sync::watch::Receiver<u64> {
        self.ack_wanted.subscribe()
    }

    /// How many replicas have acknowledged `offset`.
    pub fn acked_at_least(&self, offset: u64) -> usize {
        self.replicas.lock().values().filter(|l| l.acked >= offset).count()
    }

    /// Waits until `count` replicas have acknowledged `offset` or `deadline` passes;
    /// returns how many have.
    pub async fn wait_for(&self, offset: u64, count: usize, deadline: Option<tokio::time::Instant>) -> usize {
        let mut acks = self.acks.subscribe();
        if self.acked_at_least(offset) < count {
            self.request_acks(offset);
        }
        loop {
            let acked = self.acked_at_least(offset);
            if acked >= count {
                return acked;
            }
            let changed = acks.changed();
            match deadline {
                Some(at) => {
                    if tokio::time::timeout_at(at, changed).await.is_err() {
                        return self.acked_at_least(offset);
                    }
                }
                None => {
                    if changed.await.is_err() {
                        return self.acked_at_least(offset);
                    }
                }
            }
        }
    }

    /// CLUSTER FAILOVER [FORCE]: hands the order to the node's data plane.
    pub fn order_failover(&self, force: bool) {
        self.failover_order.store(if force { 2 } else { 1 }, std::sync::atomic::Ordering::Release);
        self.failover_ordered.notify_one();
    }

    /// Waits for a CLUSTER FAILOVER order; true when forced.
    pub(crate) async fn failover_ordered(&self) -> bool {
        loop {
            match self.failover_order.swap(0, std::sync::atomic::Ordering::AcqRel) {
                0 => self.failover_ordered.notified().await,
                order => return order == 2,
            }
        }
    }

    /// Manual failover: asks the primary to pause its writes and hand its stream over;
    /// returns once this replica has applied all of it, or `false` after `within`.
    pub async fn request_handoff(&self, within: std::time::Duration) -> bool {
        let handed = self.handed_over.notified();
        tokio::pin!(handed);
        handed.as_mut().enable();
        self.failover_requested.notify_one();
        tokio::time::timeout(within, handed).await.is_ok()
    }

    pub fn following(&self) -> Option<Following> {
        self.following.lock().clone()
    }

    pub(crate) fn update_following(&self, change: impl FnOnce(&mut Following)) {
        change(self.following.lock().get_or_insert_with(Following::default));
    }

    pub(crate) fn stop_following(&self) {
        *self.following.lock() = None;
    }

    /// Changes what is followed, if anything still is (a link that was stopped does not
    /// bring it back).
    pub(crate) fn touch_following(&self, change: impl FnOnce(&mut Following)) {
        if let Some(following) = self.following.lock().as_mut() {
            change(following);
        }
    }

    /// Whether this standalone node follows a Redis master.
    pub fn has_upstream(&self) -> bool {
        self.has_upstream.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The Redis master followed, as `(host, port)`.
    pub fn upstream(&self) -> Option<(String, u16)> {
        self.upstream.lock().as_ref().map(|link| (link.host.clone(), link.port))
    }

    /// Stops following the Redis master (at shutdown): its address, and where the data is
    /// in its stream if that is known to reach the disk with the data.
    pub(crate) fn stop_upstream(&self) -> Option<(String, u16, Option<crate::resp::master_position::Position>)> {
        let link = self.upstream.lock().take()?;
        let (host, port) = (link.host.clone(), link.port);
        let position = link.stop();
        self.has_upstream.store(false, std::sync::atomic::Ordering::Release);
        self.stop_following();
        Some((host, port, position))
    }

    /// Follows `link`'s master instead of the one followed so far, if any.
    pub(crate) fn set_upstream(&self, link: Option<crate::resp::master_link::MasterLink>) {
        let mut upstream = self.upstream.lock();
        if let Some(old) = upstream.take() {
            old.stop();
        }
        self.has_upstream.store(link.is_some(), std::sync::atomic::Ordering::Release);
        if link.is_none() {
            self.stop_following();
        }
        *upstream = link;
    }
}

/// Whether this node is a replica: in a cluster shard group, or of a Redis master.
pub fn is_replica(server: &crate::server::Server) -> bool {
    server.replication.has_upstream()
        || server.router.get().is_some_and(|r| {
            let routing = r.load();
            routing.group.is_some() && !routing.primary
        })
}

/// This node's offset in its group's stream: what it applied as a replica, what it wrote
/// as a primary.
pub fn offset(server: &crate::server::Server) -> u64 {
    if is_replica(server) {
        server.replication.following().map_or(0, |f| f.offset)
    } else {
        server.keyspace.journal().map_or(0, |j| j.next_lsn())
    }
}

/// `repl-backlog-ttl`: a node that has had no replica for that long drops its backlog, as
/// a Redis master frees its own; the next replica starts it again. Cluster nodes and a
/// node following a master keep theirs (a Redis replica never frees its backlog either).
pub fn drop_idle_backlog(server: &crate::server::Server) {
    let ttl = server.config.u64("repl-backlog-ttl");
    if ttl == 0 || server.router.get().is_some() || server.replication.has_upstream() {
        return;
    }
    let Some(journal) = server.keyspace.journal() else { return };
    let alone = *server.replication.alone_since.lock();
    if journal.backlog().enabled() && alone.is_some_and(|since| since.elapsed().as_secs() >= ttl) {
        journal.backlog().disable();
        tracing::info!("replication backlog dropped: no replica for {ttl} s (repl-backlog-ttl)");
    }
}

/// INFO replication, with Redis's field names.
pub fn info_fields(server: &crate::server::Server) -> Vec<(String, String)> {
    let state = &server.replication;
    let journal = server.keyspace.journal();
    let journal = journal.as_deref();
    let following = state.following();
    let replica = is_replica(server);
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: String| fields.push((k.to_owned(), v));
    let offset;
    if replica {
        let f = following.clone().unwrap_or_default();
        offset = f.offset;
        push("role", "slave".into());
        let (host, port) = f.primary.rsplit_once(':').unwrap_or((f.primary.as_str(), "0"));
        push("master_host", host.to_owned());
        push("master_port", port.to_owned());
        push("master_link_status", if f.link_up { "up" } else { "down" }.into());
        push("master_last_io_seconds_ago", f.last_io.map_or(-1, |t| t.elapsed().as_secs() as i64).to_string());
        push("master_sync_in_progress", u8::from(f.sync.is_some()).to_string());
        if let Some((total, read)) = f.sync {
            // Redis's fields of a transfer under way.
            let read_signed = i64::try_from(read).unwrap_or(i64::MAX);
            let perc = if total > 0 { read as f64 / total as f64 * 100.0 } else { 0.0 };
            push("master_sync_total_bytes", total.to_string());
            push("master_sync_read_bytes", read.to_string());
            push("master_sync_left_bytes", total.saturating_sub(read_signed).to_string());
            push("master_sync_perc", format!("{perc:.2}"));
            push("master_sync_last_io_seconds_ago", f.last_io.map_or(0, |t| t.elapsed().as_secs()).to_string());
        }
        push("slave_read_repl_offset", f.read_offset.max(f.offset).to_string());
        push("slave_repl_offset", f.offset.to_string());
        push("slave_priority", "100".into());
        // A cluster replica takes no client writes; one following a Redis master as
        // `replica-read-only` says.
        let read_only = !state.has_upstream() || server.config.bool("replica-read-only");
        push("slave_read_only", u8::from(read_only).to_string());
        push("replica_announced", "1".into());
        push("master_sync_total_syncs", f.full_syncs.to_string());
    } else {
        offset = journal.map_or(0, |j| j.next_lsn());
        push("role", "master".into());
    }
    let replicas = state.replicas();
    push("connected_slaves", replicas.len().to_string());
    for (i, (_, link)) in replicas.iter().enumerate() {
        let (ip, port) = link.addr.rsplit_once(':').unwrap_or((link.addr.as_str(), "0"));
        push(
            &format!("slave{i}"),
            format!("ip={ip},port={port},state=online,offset={},lag={}", link.acked, link.last_ack.elapsed().as_secs()),
        );
    }
    push("master_failover_state", server.failover.state_name().into());
    push(
        "master_replid",
        following.as_ref().filter(|_| replica).map_or_else(|| server.run_id.clone(), |f| f.replid.clone()),
    );
    push("master_replid2", "0".repeat(40));
    push("master_repl_offset", offset.to_string());
    push("second_repl_offset", "-1".into());
    let (start, end, active) = journal.map_or((0, 0, false), |j| {
        let (start, end) = j.backlog().range();
        (start, end, j.backlog().enabled())
    });
    push("repl_backlog_active", u8::from(active).to_string());
    push("repl_backlog_size", server.config.u64("repl-backlog-size").to_string());
    push("repl_backlog_first_byte_offset", start.to_string());
    push("repl_backlog_histlen", (end - start).to_string());
    fields
}
