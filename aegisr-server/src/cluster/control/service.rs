//! The `Cluster` gRPC service on the cluster port: Raft messages, joins, forwarded
//! proposals, heartbeats, and the map for tools. One struct holds every rpc, so the data
//! plane's rpcs (replication) go here too.

use std::sync::Arc;

use aegisr_proto::v1::cluster_server::{Cluster, ClusterServer};
use aegisr_proto::v1::raft_request::Kind;
use aegisr_proto::v1::{
    ClusterMapReply, ClusterMapRequest, HeartbeatReply, HeartbeatRequest, JoinReply, JoinRequest, ProposeReply,
    ProposeRequest, RaftReply, RaftRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::{ControlError, ControlPlane, detector};
use crate::cluster::map::{Change, Member};

/// Largest message on the cluster bus (snapshot chunks are far smaller).
pub(crate) const MAX_MESSAGE: usize = 64 << 20;

pub struct ClusterService {
    control: Arc<ControlPlane>,
}

impl ClusterService {
    pub fn new(control: Arc<ControlPlane>) -> ClusterService {
        ClusterService { control }
    }
}

/// Serves the cluster bus on `listener` until `shutdown`: this service, and the data
/// plane's (replication, pub/sub).
pub async fn serve(
    control: Arc<ControlPlane>,
    data_plane: tonic::service::Routes,
    listener: TcpListener,
    shutdown: CancellationToken,
) {
    let incoming = TcpListenerStream::new(listener).map(|accepted| {
        if let Ok(stream) = &accepted {
            let _ = stream.set_nodelay(true);
        }
        accepted
    });
    let service = ClusterServer::new(ClusterService::new(control))
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);
    let serving = tonic::transport::Server::builder()
        .add_routes(data_plane)
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned());
    if let Err(e) = serving.await {
        tracing::error!("cluster listener failed: {e}");
    }
}

fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Status> {
    serde_json::from_slice(bytes).map_err(|e| Status::invalid_argument(format!("bad {what}: {e}")))
}

fn encode<T: Serialize>(value: &T) -> Result<bytes::Bytes, Status> {
    serde_json::to_vec(value).map(Into::into).map_err(|e| Status::internal(e.to_string()))
}

fn status(e: ControlError) -> Status {
    match e {
        // "Try another node or later": not UNAVAILABLE, which callers read as "nothing
        // answers at this address".
        ControlError::NotLeader | ControlError::NoLeader(_) => Status::aborted(e.to_string()),
        ControlError::Stopped => Status::unavailable(e.to_string()),
        ControlError::Refused(_) => Status::invalid_argument(e.to_string()),
        _ => Status::failed_precondition(e.to_string()),
    }
}

#[tonic::async_trait]
impl Cluster for ClusterService {
    async fn raft(&self, request: Request<RaftRequest>) -> Result<Response<RaftReply>, Status> {
        let request = request.into_inner();
        let raft = &self.control.raft;
        let payload = match Kind::try_from(request.kind) {
            Ok(Kind::AppendEntries) => encode(&raft.append_entries(decode(&request.payload, "request")?).await)?,
            Ok(Kind::Vote) => encode(&raft.vote(decode(&request.payload, "request")?).await)?,
            Ok(Kind::InstallSnapshot) => encode(&raft.install_snapshot(decode(&request.payload, "request")?).await)?,
            _ => return Err(Status::invalid_argument("unknown Raft message kind")),
        };
        Ok(Response::new(RaftReply { payload }))
    }

    async fn join(&self, request: Request<JoinRequest>) -> Result<Response<JoinReply>, Status> {
        let request = request.into_inner();
        let member: Member = decode(&request.member, "member")?;
        self.control.handle_join(member, request.hops, request.rejoin).await.map_err(status)?;
        Ok(Response::new(JoinReply {}))
    }

    async fn propose(&self, request: Request<ProposeRequest>) -> Result<Response<ProposeReply>, Status> {
        let request = request.into_inner();
        let change: Change = decode(&request.change, "change")?;
        let result = self.control.propose_from(change, request.hops.max(1)).await.map_err(status)?;
        Ok(Response::new(ProposeReply { result: encode(&result)? }))
    }

    async fn heartbeat(&self, request: Request<HeartbeatRequest>) -> Result<Response<HeartbeatReply>, Status> {
        let request = request.into_inner();
        let control = &self.control;
        if !control.is_leader() {
            return Ok(Response::new(HeartbeatReply { acknowledged: false, removed: false, stamp: 0 }));
        }
        // A node removed while it was away (partitioned past the node-gone timeout) still
        // thinks it is a member: it gets no lease, and is told.
        let member = control.map().members.contains_key(&request.node) || control.address_of(request.node).is_some();
        if !member {
            return Ok(Response::new(HeartbeatReply { acknowledged: false, removed: true, stamp: 0 }));
        }
        // From a node of an older version, which sends no stamp: counted from the arrival.
        let vouched = match request.stamp {
            None => Some(std::time::Instant::now()),
            Some(stamp) => detector::stamped_at(stamp),
        };
        control.health.record(request.node, request.offset, vouched);
        let acknowledged = detector::grants_lease(control.lease_valid(), request.epoch, control.map().roles_epoch());
        Ok(Response::new(HeartbeatReply { acknowledged, removed: false, stamp: detector::stamp() }))
    }

    async fn cluster_map(&self, _: Request<ClusterMapRequest>) -> Result<Response<ClusterMapReply>, Status> {
        let control = &self.control;
        Ok(Response::new(ClusterMapReply {
            node: control.me(),
            name: control.member.name.clone(),
            leader: control.leader().unwrap_or(0),
            map: encode(&*control.map())?,
            lease: control.lease_valid(),
            voters: control.voters().into_iter().collect(),
        }))
    }
}
