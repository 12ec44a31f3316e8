//! The control plane: a Raft group (openraft) over the nodes' cluster ports that
//! replicates [`Change`]s, so every node applies the same history to the same
//! [`ClusterMap`]. This module is what the data plane uses: the map and its updates,
//! proposing changes (forwarded to the leader), leadership, and the write lease.
//!
//! Files: `types` (openraft's type configuration), `log_store` and `state_machine`
//! (durable storage under `<dir>/cluster/`), `network` (Raft messages over gRPC),
//! `service` (the `Cluster` gRPC service), `detector` and `duties` (heartbeats, failover,
//! removal of gone nodes), `identity` (the node's id and name).

pub mod detector;
mod duties;
mod files;
mod identity;
mod log_store;
mod network;
pub mod service;
mod state_machine;
mod types;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aegisr_proto::v1::{JoinRequest, ProposeRequest};
use openraft::error::{ClientWriteError, RaftError};
use openraft::{BasicNode, ChangeMembers};
use parking_lot::RwLock;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::cluster::map::{Change, ChangeError, ClusterMap, Member, NodeId};
use network::{NetworkFactory, Peers};
use types::Raft;

/// What a node removed from the cluster is told when it comes back.
const REMOVED: &str = "this node was removed from the cluster (silent past the node-gone timeout, or removed by an operator); to rejoin, delete its cluster state (<dir>/cluster) and start it with --join";

/// At most this many Raft voters; later nodes stay learners (they still get the map).
const MAX_VOTERS: usize = 5;
/// How long a proposal may wait for a leader to take it.
const PROPOSE_WAIT: Duration = Duration::from_secs(10);
/// How long a node asked to join keeps trying: an address where nothing answers is given
/// up on sooner than a cluster that answers but cannot take the node yet.
const JOIN_UNREACHABLE_FOR: Duration = Duration::from_secs(5);
const JOIN_WAIT: Duration = Duration::from_secs(30);
/// How long the leader waits for a joining node to catch up with the log.
const CATCH_UP: Duration = Duration::from_secs(10);
/// How long the leader waits for a learner to count towards its lease before making it a
/// voter anyway (a node that never heartbeats would otherwise never become one).
const VOUCH_WAIT: Duration = Duration::from_secs(5);

/// What the control plane needs to start.
#[derive(Debug, Clone)]
pub struct ControlOptions {
    /// The data directory; the control plane keeps its state in `<dir>/cluster/`.
    pub dir: PathBuf,
    /// The address other nodes and clients use for this node.
    pub host: String,
    pub resp_port: u16,
    pub grpc_port: u16,
    /// The cluster port other nodes are told (`cluster-announce-bus-port`, else the
    /// port bound).
    pub cluster_port: u16,
    /// The local address of connections to other nodes (`bind-source-addr`).
    pub source_addr: Option<std::net::IpAddr>,
    /// Replicas per shard group (`--replicas`), used when this node bootstraps a cluster.
    pub replicas: u32,
    /// A primary silent this long is failed over (`--failover-timeout`).
    pub failover_timeout: Duration,
    /// A node silent this long is removed (`--node-gone-timeout`; `None`: never).
    pub node_gone_timeout: Option<Duration>,
}

/// Why the control plane could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ControlError {
    #[error("no cluster leader took the change within {} s", .0.as_secs())]
    NoLeader(Duration),
    #[error("this node is not the cluster leader")]
    NotLeader,
    #[error("the cluster control plane is shut down")]
    Stopped,
    #[error("cluster membership change failed: {0}")]
    Membership(String),
    #[error(
        "cannot join the cluster at {addr}: {reason} (--join takes the cluster port of a member: its RESP port + 10000 unless --cluster-port says otherwise)"
    )]
    Join { addr: String, reason: String },
    #[error("cluster state in {dir}: {reason}")]
    Storage { dir: String, reason: String },
    #[error("cluster peer {addr}: {reason}")]
    Peer { addr: String, reason: String },
    /// A request that will never succeed as made (retrying is pointless).
    #[error("{0}")]
    Refused(String),
}

/// How far the data plane is, sent with heartbeats.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    /// Its replication offset.
    pub offset: u64,
    /// The epoch of the map its routing follows (what decides whether it takes writes).
    pub epoch: u64,
}

/// Where the control plane reads the data plane's [`Progress`].
pub type ProgressSource = Arc<dyn Fn() -> Progress + Send + Sync>;

/// One node's control plane.
pub struct ControlPlane {
    member: Member,
    raft: Raft,
    peers: Arc<Peers>,
    map: watch::Receiver<Arc<ClusterMap>>,
    health: detector::Health,
    replicas: u32,
    failover_timeout: Duration,
    node_gone_timeout: Option<Duration>,
    progress_source: RwLock<Option<ProgressSource>>,
    /// One join handled at a time: Raft allows one membership change in flight.
    admitting: tokio::sync::Mutex<()>,
    stop: CancellationToken,
}

/// A Raft membership change, given up after [`PROPOSE_WAIT`] (a leader that cannot reach
/// a majority would otherwise hold the caller, and the one-change-at-a-time lock, forever).
async fn bounded<T, E: std::fmt::Display>(
    change: impl std::future::Future<Output = Result<T, E>>,
) -> Result<(), ControlError> {
    match tokio::time::timeout(PROPOSE_WAIT, change).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(ControlError::Membership(e.to_string())),
        Err(_) => Err(ControlError::Membership(format!("not committed within {} s", PROPOSE_WAIT.as_secs()))),
    }
}

/// Whether two views of a member agree on where to reach it.
fn same_addresses(a: &Member, b: &Member) -> bool {
    (&a.host, a.resp_port, a.grpc_port, a.cluster_port) == (&b.host, b.resp_port, b.grpc_port, b.cluster_port)
}

/// `host:port`, with IPv6 hosts in brackets.
pub fn address(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

fn raft_config() -> Result<openraft::Config, ControlError> {
    let config = openraft::Config {
        cluster_name: "aegisr".into(),
        // Tuned for failover in about a second: a dead leader is replaced after the
        // election timeout plus openraft's leader lease (about a second), and the new
        // leader fails the dead primary over at once if it was also the old leader.
        heartbeat_interval: 100,
        election_timeout_min: 300,
        election_timeout_max: 600,
        install_snapshot_timeout: 2000,
        // Snapshot chunks travel as JSON (a byte array is several bytes a byte).
        snapshot_max_chunk_size: 256 * 1024,
        snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(500),
        max_in_snapshot_log_to_keep: 100,
        ..Default::default()
    };
    config.validate().map_err(|e| ControlError::Membership(e.to_string()))
}

impl ControlPlane {
    /// Opens the node's cluster state (creating its identity at the first start) and
    /// starts its Raft node. Serve [`service`] on the cluster port, then call
    /// [`ControlPlane::start`].
    pub async fn open(options: &ControlOptions) -> Result<Arc<ControlPlane>, ControlError> {
        let dir = options.dir.join("cluster");
        let storage =
            |e: std::io::Error| ControlError::Storage { dir: dir.display().to_string(), reason: e.to_string() };
        let identity = identity::Identity::load_or_create(&dir).map_err(storage)?;
        let log = log_store::LogStore::open(&dir).map_err(storage)?;
        let (published, map) = watch::channel(Arc::new(ClusterMap::default()));
        let state_machine = state_machine::StateMachine::open(&dir, Arc::new(published)).map_err(storage)?;
        let peers = Arc::new(Peers::new(options.source_addr));
        let network = NetworkFactory { peers: peers.clone() };
        let raft = Raft::new(identity.id, Arc::new(raft_config()?), network, log, state_machine)
            .await
            .map_err(|e| ControlError::Storage { dir: dir.display().to_string(), reason: e.to_string() })?;
        let member = Member {
            id: identity.id,
            name: identity.name,
            host: options.host.clone(),
            resp_port: options.resp_port,
            grpc_port: options.grpc_port,
            cluster_port: options.cluster_port,
            group: None,
        };
        tracing::info!("cluster: this node is {} (id {})", member.name, member.id);
        Ok(Arc::new(ControlPlane {
            member,
            raft,
            peers,
            map,
            health: detector::Health::default(),
            replicas: options.replicas,
            failover_timeout: options.failover_timeout,
            node_gone_timeout: options.node_gone_timeout,
            progress_source: RwLock::new(None),
            admitting: tokio::sync::Mutex::new(()),
            stop: CancellationToken::new(),
        }))
    }

    /// Brings the node into its cluster: a node with saved state rejoins with it (`join`
    /// is then ignored); otherwise it joins the member at `join`, or bootstraps a new
    /// one-node cluster owning every slot. Then starts heartbeats and the leader's duties.
    pub async fn start(self: &Arc<Self>, join: Option<&str>) -> Result<(), ControlError> {
        // Heartbeats start before the join: a joining node heartbeats the leader as soon as
        // it is a learner (it then knows the leader), so it already counts towards the
        // leader's lease when it becomes a voter (see `make_voter`).
        duties::spawn(self.clone());
        let initialized = self.raft.is_initialized().await.map_err(|_| ControlError::Stopped)?;
        if initialized {
            match join {
                Some(addr) => tracing::info!("cluster: rejoining with the saved cluster state; --join {addr} ignored"),
                None => tracing::info!("cluster: rejoining with the saved cluster state"),
            }
            // Crashed between creating the Raft group and writing the first map entry.
            if self.map().members.is_empty() && self.voters() == BTreeSet::from([self.me()]) {
                self.bootstrap_map().await?;
            }
            if self.addresses_stale() {
                tokio::spawn(self.clone().announce_addresses());
            }
        } else if let Some(addr) = join {
            self.join(addr).await?;
        } else {
            let me = BTreeMap::from([(self.me(), self.node())]);
            self.raft.initialize(me).await.map_err(|e| ControlError::Membership(e.to_string()))?;
            self.bootstrap_map().await?;
            tracing::info!("cluster: bootstrapped a new cluster; this node owns every slot");
        }
        Ok(())
    }

    async fn bootstrap_map(&self) -> Result<(), ControlError> {
        let change = Change::Bootstrap { member: self.member.clone(), replicas_wanted: self.replicas };
        match self.propose(change).await? {
            Ok(()) | Err(ChangeError::AlreadyBootstrapped) => Ok(()),
            Err(e) => Err(ControlError::Membership(e.to_string())),
        }
    }

    /// This node's id.
    pub fn me(&self) -> NodeId {
        self.member.id
    }

    /// This node as a member: its addresses of this run and its group in the map.
    pub fn member(&self) -> Member {
        let group = self.map().members.get(&self.me()).and_then(|m| m.group);
        Member { group, ..self.member.clone() }
    }

    /// The latest applied cluster map.
    pub fn map(&self) -> Arc<ClusterMap> {
        self.map.borrow().clone()
    }

    /// The map, updated after every applied batch of entries and every installed snapshot.
    pub fn watch(&self) -> watch::Receiver<Arc<ClusterMap>> {
        self.map.clone()
    }

    /// The Raft leader this node knows of.
    pub fn leader(&self) -> Option<NodeId> {
        self.raft.metrics().borrow().current_leader
    }

    pub fn is_leader(&self) -> bool {
        self.leader() == Some(self.me())
    }

    /// The data plane's progress, reported with every heartbeat.
    pub fn set_progress_source(&self, source: ProgressSource) {
        *self.progress_source.write() = Some(source);
    }

    fn progress(&self) -> Progress {
        self.progress_source.read().as_ref().map_or_else(Progress::default, |f| f())
    }

    /// Whether this node has heard from a Raft majority within the lease (half the
    /// failover timeout): as leader, a majority of voters heartbeated it; as follower, a
    /// leader holding its own lease acknowledged this node's last heartbeat. A primary
    /// without a lease must refuse writes: a failover may already be under way.
    pub fn lease_valid(&self) -> bool {
        self.health.lease_valid(self.me(), self.is_leader(), &self.voters(), self.failover_timeout / 2)
    }

    /// The members this node keeps a control-plane connection to (Raft messages,
    /// heartbeats, joins), each with the Unix time in milliseconds it was set up: what
    /// CLUSTER LINKS shows.
    pub fn links(&self) -> Vec<(NodeId, i64)> {
        let map = self.map();
        let links = self.peers.links();
        map.members
            .values()
            .filter(|m| m.id != self.me())
            .filter_map(|m| {
                let addr = address(&m.host, m.cluster_port);
                links.iter().find(|(a, _)| *a == addr).map(|&(_, created)| (m.id, created))
            })
            .collect()
    }

    /// How many nodes report `node` as failing (CLUSTER COUNT-FAILURE-REPORTS). Only the
    /// Raft leader hears heartbeats and decides failovers: it reports a node silent for the
    /// failover timeout; every other node reports none.
    pub fn failure_reports(&self, node: NodeId) -> usize {
        if !self.is_leader() || node == self.me() {
            return 0;
        }
        usize::from(self.health.heard(node).is_some_and(|(silent, _)| silent >= self.failover_timeout))
    }

    /// Per member: time since its last heartbeat (`None`: not heard of) and its
    /// replication offset. Only the leader hears heartbeats; elsewhere every member
    /// reads `None`.
    pub fn health(&self) -> Vec<(NodeId, Option<Duration>, u64)> {
        self.map()
            .members
            .keys()
            .map(|&id| match self.health.heard(id) {
                Some((silent, offset)) => (id, Some(silent), offset),
                None => (id, None, 0),
            })
            .collect()
    }

    /// Commits `change` through Raft (on the leader, forwarded there if need be) and
    /// returns how the cluster map took it.
    pub async fn propose(&self, change: Change) -> Result<Result<(), ChangeError>, ControlError> {
        self.propose_from(change, 0).await
    }

    /// Commits `change` only if this node is the leader (never forwarded): for the
    /// leader's own decisions, which a node that lost the leadership without noticing yet
    /// (it was paused, or cut off) must not get committed by its successor.
    pub(crate) async fn propose_here(&self, change: Change) -> Result<Result<(), ChangeError>, ControlError> {
        self.propose_from(change, 1).await
    }

    /// `hops`: how many nodes already forwarded the change (only one forward is made).
    pub(crate) async fn propose_from(
        &self,
        change: Change,
        hops: u32,
    ) -> Result<Result<(), ChangeError>, ControlError> {
        let deadline = Instant::now() + PROPOSE_WAIT;
        let mut delay = Duration::from_millis(20);
        loop {
            match self.raft.client_write(change.clone()).await {
                Ok(written) => return Ok(written.data),
                Err(RaftError::Fatal(_)) => return Err(ControlError::Stopped),
                Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(e))) => {
                    return Err(ControlError::Membership(e.to_string()));
                }
                Err(RaftError::APIError(ClientWriteError::ForwardToLeader(to))) => {
                    if hops > 0 {
                        return Err(ControlError::NotLeader);
                    }
                    if let Some(leader) = to.leader_node {
                        match self.forward_propose(&leader.addr, &change).await {
                            Ok(result) => return Ok(result),
                            Err(e) => tracing::debug!("cluster: forwarding a change to {}: {e}", leader.addr),
                        }
                    }
                }
            }
            if self.stop.is_cancelled() {
                return Err(ControlError::Stopped);
            }
            if Instant::now() >= deadline {
                return Err(ControlError::NoLeader(PROPOSE_WAIT));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(200));
        }
    }

    async fn forward_propose(&self, addr: &str, change: &Change) -> Result<Result<(), ChangeError>, ControlError> {
        let peer = |reason: String| ControlError::Peer { addr: addr.to_owned(), reason };
        let payload = serde_json::to_vec(change).map_err(|e| peer(e.to_string()))?;
        let mut client = self.peers.client(addr).map_err(|e| peer(e.message().to_owned()))?;
        let mut request = tonic::Request::new(ProposeRequest { change: payload.into(), hops: 1 });
        request.set_timeout(Duration::from_secs(5));
        let reply = client.propose(request).await.map_err(|e| peer(e.message().to_owned()))?.into_inner();
        serde_json::from_slice(&reply.result).map_err(|e| peer(e.to_string()))
    }

    /// Raft's view of this node.
    fn node(&self) -> BasicNode {
        BasicNode::new(address(&self.member.host, self.member.cluster_port))
    }

    /// The current Raft voters.
    pub(crate) fn voters(&self) -> BTreeSet<NodeId> {
        self.raft.metrics().borrow().membership_config.membership().voter_ids().collect()
    }

    /// The cluster address of Raft member `node`.
    pub(crate) fn address_of(&self, node: NodeId) -> Option<String> {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        metrics.membership_config.membership().get_node(&node).map(|n| n.addr.clone())
    }

    /// Asks the member at `addr` to let this node in, retrying with backoff, then waits
    /// until this node has applied the map that includes it.
    async fn join(&self, addr: &str) -> Result<(), ControlError> {
        tracing::info!("cluster: joining the cluster at {addr}");
        let failed = |reason: String| ControlError::Join { addr: addr.to_owned(), reason };
        let payload = serde_json::to_vec(&self.member).map_err(|e| failed(e.to_string()))?;
        let started = Instant::now();
        let mut delay = Duration::from_millis(100);
        let mut answered = false;
        loop {
            let mut client = self.peers.client(addr).map_err(|e| failed(e.message().to_owned()))?;
            let mut request =
                tonic::Request::new(JoinRequest { member: payload.clone().into(), hops: 0, rejoin: false });
            request.set_timeout(CATCH_UP + PROPOSE_WAIT);
            match client.join(request).await {
                Ok(_) => break,
                Err(status) if status.code() == tonic::Code::InvalidArgument => {
                    return Err(failed(status.message().to_owned()));
                }
                Err(status) => {
                    let unreachable = network::unreachable(&status);
                    answered |= !unreachable;
                    let limit = if answered { JOIN_WAIT } else { JOIN_UNREACHABLE_FOR };
                    if started.elapsed() + delay >= limit {
                        let reason = if unreachable {
                            format!("nothing answered for {} s ({})", limit.as_secs(), network::describe(&status))
                        } else {
                            status.message().to_owned()
                        };
                        return Err(failed(reason));
                    }
                    tracing::debug!("cluster: join via {addr}: {}", status.message());
                }
            }
            if self.stop.is_cancelled() {
                return Err(ControlError::Stopped);
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
        let mut map = self.watch();
        let me = self.me();
        let joined = tokio::time::timeout(PROPOSE_WAIT, map.wait_for(|m| m.members.contains_key(&me))).await;
        match joined {
            Ok(Ok(_)) => {
                tracing::info!("cluster: joined the cluster via {addr}");
                let kept = self.map().replicas_wanted;
                if kept != self.replicas {
                    tracing::info!(
                        "cluster: the cluster keeps {kept} replicas per group (set when it was bootstrapped); --replicas {} has no effect here",
                        self.replicas
                    );
                }
                Ok(())
            }
            _ => Err(failed("the cluster accepted this node but its map did not arrive".into())),
        }
    }

    /// Handles a `Join`: the leader admits the node; a follower forwards to the leader.
    /// `rejoin`: the node only tells its new addresses (see [`ControlPlane::admit`]).
    pub(crate) async fn handle_join(&self, member: Member, hops: u32, rejoin: bool) -> Result<(), ControlError> {
        if member.id == self.me() && self.address_of(self.me()).is_none() {
            return Err(ControlError::Refused("that is the joining node itself, not a member of a cluster".into()));
        }
        let deadline = Instant::now() + PROPOSE_WAIT;
        loop {
            if self.is_leader() {
                return self.admit(member, rejoin).await;
            }
            if hops > 0 {
                return Err(ControlError::NotLeader);
            }
            if let Some(addr) = self.leader().and_then(|l| self.address_of(l)) {
                match self.forward_join(&addr, &member, 1, rejoin).await {
                    Ok(()) => return Ok(()),
                    Err(e @ ControlError::Refused(_)) => return Err(e),
                    Err(e) => tracing::debug!("cluster: forwarding a join to {addr}: {e}"),
                }
            }
            if Instant::now() >= deadline {
                return Err(ControlError::NoLeader(PROPOSE_WAIT));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn forward_join(&self, addr: &str, member: &Member, hops: u32, rejoin: bool) -> Result<(), ControlError> {
        let peer = |reason: String| ControlError::Peer { addr: addr.to_owned(), reason };
        let payload = serde_json::to_vec(member).map_err(|e| peer(e.to_string()))?;
        let mut client = self.peers.client(addr).map_err(|e| peer(e.message().to_owned()))?;
        let mut request = tonic::Request::new(JoinRequest { member: payload.into(), hops, rejoin });
        request.set_timeout(CATCH_UP + PROPOSE_WAIT);
        match client.join(request).await {
            Ok(_) => Ok(()),
            Err(status) if status.code() == tonic::Code::InvalidArgument => {
                Err(ControlError::Refused(status.message().to_owned()))
            }
            Err(status) => Err(peer(status.message().to_owned())),
        }
    }

    /// On the leader: adds `member` to Raft as a learner, waits for it to catch up, makes
    /// it a voter while there are fewer than [`MAX_VOTERS`], then places it in the map. A
    /// known member is updated to the addresses it gives. With `rejoin` (a node with
    /// cluster state that restarted on other addresses) an unknown node is refused: it was
    /// removed, and coming back must be an explicit `--join` with fresh state.
    async fn admit(&self, member: Member, rejoin: bool) -> Result<(), ControlError> {
        let _one_at_a_time = self.admitting.lock().await;
        let id = member.id;
        if rejoin && self.address_of(id).is_none() && !self.map().members.contains_key(&id) {
            return Err(ControlError::Refused(REMOVED.into()));
        }
        let membership = |e: String| ControlError::Membership(e);
        let addr = address(&member.host, member.cluster_port);
        match self.address_of(id) {
            None => {
                tracing::info!("cluster: node {} (id {id}) at {addr} is joining", member.name);
                let node = BasicNode::new(addr);
                match tokio::time::timeout(CATCH_UP, self.raft.add_learner(id, node, true)).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return Err(membership(e.to_string())),
                    Err(_) => {
                        return Err(membership(format!("node {id} did not catch up within {} s", CATCH_UP.as_secs())));
                    }
                }
            }
            Some(known) if known != addr => {
                // The same node (same id, same state) restarted on another address.
                tracing::info!("cluster: node {id} moved from {known} to {addr}");
                let nodes = BTreeMap::from([(id, BasicNode::new(addr))]);
                bounded(self.raft.change_membership(ChangeMembers::SetNodes(nodes), false)).await?;
            }
            Some(_) => {}
        }
        let voters = self.voters();
        if !voters.contains(&id) && voters.len() < MAX_VOTERS {
            self.make_voter(id).await?;
        }
        match self.propose(Change::Join(member.clone())).await? {
            Ok(()) => Ok(()),
            Err(ChangeError::AlreadyMember(_)) => {
                let moved = self.map().members.get(&id).is_some_and(|known| !same_addresses(known, &member));
                if moved {
                    self.propose(Change::UpdateMember(member)).await?.map_err(|e| membership(e.to_string()))?;
                }
                Ok(())
            }
            Err(e) => Err(membership(e.to_string())),
        }
    }

    /// Whether the map or Raft still has this node at the addresses of an earlier run.
    fn addresses_stale(&self) -> bool {
        let in_map = self.map().members.get(&self.me()).is_some_and(|known| !same_addresses(known, &self.member));
        in_map || self.address_of(self.me()).is_some_and(|known| known != self.node().addr)
    }

    /// Tells the cluster this node's addresses of this run (it restarted on others), via
    /// any other member, until the map and Raft have them.
    async fn announce_addresses(self: Arc<Self>) {
        tracing::info!("cluster: this node's addresses changed since its last run; telling the cluster");
        let mut delay = Duration::from_millis(100);
        while self.addresses_stale() && !self.stop.is_cancelled() {
            if self.is_leader() {
                match self.admit(self.member.clone(), true).await {
                    Ok(()) => {}
                    Err(ControlError::Refused(reason)) => {
                        tracing::error!("cluster: {reason}");
                        return;
                    }
                    Err(e) => tracing::debug!("cluster: updating this node's addresses: {e}"),
                }
            } else {
                let peers: Vec<String> = {
                    let metrics = self.raft.metrics();
                    let metrics = metrics.borrow();
                    let membership = metrics.membership_config.membership();
                    membership.nodes().filter(|(id, _)| **id != self.me()).map(|(_, n)| n.addr.clone()).collect()
                };
                for addr in peers {
                    match self.forward_join(&addr, &self.member, 0, true).await {
                        Ok(()) => break,
                        Err(ControlError::Refused(reason)) => {
                            tracing::error!("cluster: {reason}");
                            return;
                        }
                        Err(e) => tracing::debug!("cluster: updating this node's addresses via {addr}: {e}"),
                    }
                }
            }
            tokio::select! {
                () = self.stop.cancelled() => return,
                () = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(Duration::from_secs(2));
        }
        if !self.stop.is_cancelled() {
            tracing::info!("cluster: the cluster has this node's new addresses");
        }
    }

    /// Makes learner `node` a Raft voter.
    pub(crate) async fn add_voter(&self, node: NodeId) -> Result<(), ControlError> {
        let _one_at_a_time = self.admitting.lock().await;
        let voters = self.voters();
        if voters.contains(&node) || voters.len() >= MAX_VOTERS || self.address_of(node).is_none() {
            return Ok(());
        }
        self.make_voter(node).await
    }

    /// Makes learner `node` a voter once it counts towards this leader's lease. A voter
    /// raises the majority the lease needs: the second node of a cluster makes it two of
    /// two. Counted before its heartbeats carry this leader's stamps, it would take the
    /// lease away until they do, and a primary without a lease refuses writes
    /// (CLUSTERDOWN): a node joining a one-node cluster under load did that for up to a
    /// second. A voter that vouches keeps the lease: if `f` of `n` voters vouch and
    /// `2f > n`, then `2(f + 1) > n + 1`.
    async fn make_voter(&self, node: NodeId) -> Result<(), ControlError> {
        let lease = self.failover_timeout / 2;
        let deadline = Instant::now() + VOUCH_WAIT;
        while !self.health.vouches(node, lease) {
            if Instant::now() >= deadline || self.stop.is_cancelled() {
                tracing::warn!(
                    "cluster: node {node} did not heartbeat within {} s; making it a voter anyway (a primary leading the control plane may refuse writes until it does)",
                    VOUCH_WAIT.as_secs()
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bounded(self.raft.change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([node])), false)).await
    }

    /// Takes `node` out of the Raft group (it is gone for good).
    pub(crate) async fn forget(&self, node: NodeId) -> Result<(), ControlError> {
        let _one_at_a_time = self.admitting.lock().await;
        let changes = if self.voters().contains(&node) {
            ChangeMembers::RemoveVoters(BTreeSet::from([node]))
        } else if self.address_of(node).is_some() {
            ChangeMembers::RemoveNodes(BTreeSet::from([node]))
        } else {
            return Ok(());
        };
        bounded(self.raft.change_membership(changes, false)).await
    }

    /// Stops heartbeats, the leader's duties and the Raft node.
    pub async fn shutdown(&self) {
        self.stop.cancel();
        if let Err(e) = self.raft.shutdown().await {
            tracing::warn!("cluster: stopping Raft: {e}");
        }
    }
}
