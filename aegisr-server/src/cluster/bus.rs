//! Pub/sub across the cluster: what a node's clients PUBLISH is sent to every other node,
//! what they SPUBLISH to the other nodes of the channel's shard group, over the cluster
//! port. One task per peer sends in publication order; a peer that is down or too slow
//! loses messages (a bounded queue, counted), as pub/sub is fire-and-forget in Redis too.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aegisr_proto::v1;
use aegisr_proto::v1::bus_client::BusClient;
use aegisr_proto::v1::bus_server::Bus;
use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::mpsc;
use tonic::{Request, Response, Status};

use super::map::{ClusterMap, NodeId};
use crate::server::Server;

/// Messages queued per peer before new ones are dropped.
const QUEUE: usize = 4096;
/// Messages sent per call.
const BATCH: usize = 256;

/// The sending side: a queue per peer.
#[derive(Default)]
pub struct Fanout {
    peers: Mutex<HashMap<NodeId, (String, mpsc::Sender<v1::Published>)>>,
    /// Messages dropped because a peer's queue was full.
    pub dropped: AtomicU64,
}

impl Fanout {
    /// Sends a message published here to the nodes that must see it.
    pub fn publish(&self, map: &ClusterMap, me: NodeId, channel: &Bytes, message: &Bytes, sharded: bool) {
        let targets: Vec<NodeId> = if sharded {
            let slot = crate::engine::slot::key_slot(channel);
            let Some(group) = map.owner(slot).and_then(|g| map.groups.get(&g)) else { return };
            std::iter::once(group.primary).chain(group.replicas.iter().copied()).filter(|&n| n != me).collect()
        } else {
            map.members.keys().copied().filter(|&n| n != me).collect()
        };
        if targets.is_empty() {
            return;
        }
        let peers = self.peers.lock();
        for node in targets {
            let Some((_, queue)) = peers.get(&node) else { continue };
            let published = v1::Published { channel: channel.clone(), message: message.clone(), sharded };
            if queue.try_send(published).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Keeps one sender per member of `map` other than `me`, at its current address.
    /// `source`: the local address of its connections (`bind-source-addr`).
    pub fn follow_map(
        &self,
        map: &ClusterMap,
        me: NodeId,
        source: Option<IpAddr>,
        shutdown: &tokio_util::sync::CancellationToken,
    ) {
        let mut peers = self.peers.lock();
        peers.retain(|node, (addr, _)| {
            map.members.get(node).is_some_and(|m| super::control::address(&m.host, m.cluster_port) == *addr)
        });
        for (node, member) in &map.members {
            if *node == me || peers.contains_key(node) {
                continue;
            }
            let addr = super::control::address(&member.host, member.cluster_port);
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(send_to(format!("http://{addr}"), source, rx, shutdown.clone()));
            peers.insert(*node, (addr, tx));
        }
    }
}

/// Sends what is queued for one peer until the queue is dropped (the peer left the map).
async fn send_to(
    url: String,
    source: Option<IpAddr>,
    mut queue: mpsc::Receiver<v1::Published>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let mut client: Option<BusClient<tonic::transport::Channel>> = None;
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        batch.clear();
        tokio::select! {
            count = queue.recv_many(&mut batch, BATCH) => if count == 0 { return },
            () = shutdown.cancelled() => return,
        }
        if client.is_none() {
            client = match super::endpoint::endpoint(url.clone(), source) {
                Ok(endpoint) => endpoint.connect().await.ok().map(BusClient::new),
                Err(_) => None,
            };
        }
        let Some(c) = client.as_mut() else {
            tracing::debug!("pub/sub: {url} unreachable; {} messages for it dropped", batch.len());
            continue;
        };
        if let Err(e) = c.publish(v1::PublishBatch { messages: std::mem::take(&mut batch) }).await {
            tracing::debug!("pub/sub: sending to {url} failed: {e}");
            client = None;
        }
    }
}

/// The receiving side, on the cluster port.
pub struct BusService {
    server: Arc<Server>,
}

impl BusService {
    pub fn new(server: Arc<Server>) -> BusService {
        BusService { server }
    }
}

#[tonic::async_trait]
impl Bus for BusService {
    async fn publish(&self, request: Request<v1::PublishBatch>) -> Result<Response<v1::PublishAck>, Status> {
        let limit = self.server.config.limits().pubsub();
        for m in request.into_inner().messages {
            self.server.pubsub.publish(&m.channel, &m.message, m.sharded, limit);
        }
        Ok(Response::new(v1::PublishAck {}))
    }
}
