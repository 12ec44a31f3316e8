//! Raft's transport: every message goes to the peer's cluster port as one `Cluster.Raft`
//! gRPC call carrying openraft's request as JSON. Connections are made lazily and kept per
//! address; a peer that cannot be reached is warned about once in a while, not on every
//! retry (a dead node would otherwise fill the log ten times a second).

use std::collections::HashMap;
use std::error::Error;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aegisr_proto::v1::RaftRequest;
use aegisr_proto::v1::cluster_client::ClusterClient;
use aegisr_proto::v1::raft_request::Kind;
use openraft::BasicNode;
use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest,
    VoteResponse,
};
use parking_lot::Mutex;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::transport::Channel;

use super::types::TypeConfig;
use crate::cluster::map::NodeId;

/// How long connecting to a peer may take before the call fails.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// At most one warning per peer this often; the rest go to the debug level.
const WARN_EVERY: Duration = Duration::from_secs(30);

/// Connections to the other nodes, by cluster address.
pub struct Peers {
    /// Each client with the Unix time in milliseconds it was set up.
    clients: Mutex<HashMap<String, (ClusterClient<Channel>, i64)>>,
    warned: Mutex<HashMap<String, Instant>>,
    /// The local address connections leave from (`bind-source-addr`).
    source: Option<IpAddr>,
}

impl Peers {
    pub fn new(source: Option<IpAddr>) -> Peers {
        Peers { clients: Mutex::default(), warned: Mutex::default(), source }
    }

    /// A client for the node at `addr` (`host:port`); connects on first use.
    pub fn client(&self, addr: &str) -> Result<ClusterClient<Channel>, tonic::Status> {
        if let Some((client, _)) = self.clients.lock().get(addr) {
            return Ok(client.clone());
        }
        let endpoint = crate::cluster::endpoint::endpoint(format!("http://{addr}"), self.source)
            .map_err(|e| tonic::Status::invalid_argument(format!("bad cluster address {addr}: {e}")))?
            .connect_timeout(CONNECT_TIMEOUT);
        let client = ClusterClient::new(endpoint.connect_lazy());
        self.clients.lock().insert(addr.to_owned(), (client.clone(), crate::engine::now_ms()));
        Ok(client)
    }

    /// The addresses this node keeps a connection to, each with the Unix time in
    /// milliseconds it was set up.
    pub fn links(&self) -> Vec<(String, i64)> {
        self.clients.lock().iter().map(|(addr, (_, created))| (addr.clone(), *created)).collect()
    }

    /// Logs that `addr` failed: a warning the first time in a while, else at debug level.
    pub fn warn(&self, addr: &str, what: &str, error: &dyn std::fmt::Display) {
        let now = Instant::now();
        let mut warned = self.warned.lock();
        let due = warned.get(addr).is_none_or(|at| now.duration_since(*at) >= WARN_EVERY);
        if due {
            warned.insert(addr.to_owned(), now);
            tracing::warn!("cluster: {what} {addr} failed: {error} (repeats logged at debug level for 30 s)");
        } else {
            tracing::debug!("cluster: {what} {addr} failed: {error}");
        }
    }

    /// Forgets the warning state of `addr` once it answers again.
    pub fn reached(&self, addr: &str) {
        if self.warned.lock().remove(addr).is_some() {
            tracing::info!("cluster: {addr} answers again");
        }
    }
}

/// A failed call in a few words: tonic's message and the innermost cause ("tcp connect
/// error: Connection refused (os error 111)").
pub fn describe(status: &tonic::Status) -> String {
    let mut cause: Option<&dyn Error> = status.source();
    while let Some(inner) = cause.and_then(Error::source) {
        cause = Some(inner);
    }
    match cause {
        Some(root) if !status.message().contains(&root.to_string()) => format!("{}: {root}", status.message()),
        _ => status.message().to_owned(),
    }
}

/// Whether a failed call means the peer could not be reached at all (as opposed to a
/// call that reached it and failed there).
pub fn unreachable(status: &tonic::Status) -> bool {
    matches!(status.code(), tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Cancelled)
        || status.source().is_some_and(|s| s.downcast_ref::<tonic::transport::Error>().is_some())
}

/// openraft's factory of per-peer connections.
#[derive(Clone)]
pub struct NetworkFactory {
    pub peers: Arc<Peers>,
}

impl RaftNetworkFactory<TypeConfig> for NetworkFactory {
    type Network = PeerNetwork;

    async fn new_client(&mut self, target: NodeId, node: &BasicNode) -> PeerNetwork {
        PeerNetwork { target, addr: node.addr.clone(), peers: self.peers.clone() }
    }
}

/// The connection to one peer.
pub struct PeerNetwork {
    target: NodeId,
    addr: String,
    peers: Arc<Peers>,
}

impl PeerNetwork {
    /// Sends one Raft message and decodes the peer's `Result<reply, RaftError<E>>`.
    async fn call<Req, Resp, E>(
        &self,
        kind: Kind,
        request: &Req,
        option: &RPCOption,
    ) -> Result<Resp, RPCError<NodeId, BasicNode, RaftError<NodeId, E>>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: Error + DeserializeOwned,
    {
        let payload = serde_json::to_vec(request).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let mut client = self.peers.client(&self.addr).map_err(|e| RPCError::Unreachable(Unreachable::new(&e)))?;
        let mut call = tonic::Request::new(RaftRequest { kind: kind as i32, payload: payload.into() });
        call.set_timeout(option.hard_ttl());
        let reply = match client.raft(call).await {
            Ok(reply) => reply.into_inner(),
            Err(status) => {
                self.peers.warn(&self.addr, "Raft message to", &describe(&status));
                return Err(if unreachable(&status) {
                    RPCError::Unreachable(Unreachable::new(&status))
                } else {
                    RPCError::Network(NetworkError::new(&status))
                });
            }
        };
        self.peers.reached(&self.addr);
        let result: Result<Resp, RaftError<NodeId, E>> =
            serde_json::from_slice(&reply.payload).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl RaftNetwork<TypeConfig> for PeerNetwork {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, BasicNode, RaftError<NodeId>>> {
        self.call(Kind::AppendEntries, &rpc, &option).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<NodeId>, RPCError<NodeId, BasicNode, RaftError<NodeId, InstallSnapshotError>>>
    {
        self.call(Kind::InstallSnapshot, &rpc, &option).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, BasicNode, RaftError<NodeId>>> {
        self.call(Kind::Vote, &rpc, &option).await
    }

    /// Retries to an unreachable peer: soon enough that a restarted node is back in the
    /// group within a failover timeout, rarely enough not to busy-loop on a dead one.
    fn backoff(&self) -> openraft::network::Backoff {
        openraft::network::Backoff::new(std::iter::repeat(Duration::from_millis(200)))
    }
}
