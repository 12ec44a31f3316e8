//! The data plane of a cluster node: follows the control plane's map, keeps the routing
//! table current, and makes this node what the map says it is: a replica following its
//! group's primary, or a primary serving its replicas (a primary that has lost its lease
//! refuses writes, see `commands::redirect`).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::control::ControlPlane;
use super::map::{Change, ClusterMap, NodeId};
use super::replication::replica::{PrimaryAddr, follow};
use super::routing::Router;
use crate::server::Server;

/// The primary this node must follow according to `map`, if it is a replica.
fn primary_to_follow(map: &ClusterMap, me: NodeId) -> Option<PrimaryAddr> {
    let group = map.members.get(&me)?.group?;
    let primary = map.primary_of(group)?;
    (primary.id != me).then(|| PrimaryAddr {
        host: primary.host.clone(),
        cluster_port: primary.cluster_port,
        resp_port: primary.resp_port,
    })
}

/// The data plane's services on the cluster port: replication and pub/sub.
pub fn services(server: &Arc<Server>) -> tonic::service::Routes {
    use super::control::service::MAX_MESSAGE;
    let replication = aegisr_proto::v1::replication_server::ReplicationServer::new(
        super::replication::primary::ReplicationService::new(server.clone()),
    )
    .max_decoding_message_size(MAX_MESSAGE)
    .max_encoding_message_size(MAX_MESSAGE);
    let bus = aegisr_proto::v1::bus_server::BusServer::new(super::bus::BusService::new(server.clone()))
        .max_decoding_message_size(MAX_MESSAGE);
    tonic::service::Routes::new(replication).add_service(bus)
}

/// Installs the routing for the current map, then runs the data plane until the node
/// shuts down.
pub fn start(server: Arc<Server>, control: Arc<ControlPlane>) {
    if server.router.set(Router::new(control.map(), control.me())).is_err() {
        tracing::error!("the cluster data plane was started twice");
        return;
    }
    tokio::spawn(run(server, control));
}

async fn run(server: Arc<Server>, control: Arc<ControlPlane>) {
    let me = control.me();
    let mut maps = control.watch();
    let progress = server.clone();
    control.set_progress_source(Arc::new(move || super::control::Progress {
        offset: super::replication::offset(&progress),
        epoch: progress.router.get().map_or(0, |r| r.load().map.epoch),
    }));
    let mut following: Option<(PrimaryAddr, CancellationToken)> = None;
    let moving = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let source = super::endpoint::source_addr(&server.config);
    loop {
        let map = maps.borrow_and_update().clone();
        if let Some(router) = server.router.get() {
            router.publish(map.clone());
        }
        // Clients blocked on keys of a slot this node no longer serves run their command
        // again, and are redirected (as Redis redirects blocked clients on a slot move).
        server.keyspace.waiters().signal_all();
        server.fanout.follow_map(&map, me, source, &server.shutdown);
        // A manual failover held this node's writes until the replica took over: once the
        // map says so, they go on (and are redirected); if the node were promoted again
        // soon after, they would otherwise wait out the hold.
        if !map.is_primary(me) {
            server.pause.end_handoff();
        }
        if has_slots_to_give(&map, me) && !moving.swap(true, std::sync::atomic::Ordering::AcqRel) {
            let (server, control, moving) = (server.clone(), control.clone(), moving.clone());
            tokio::spawn(async move {
                loop {
                    match super::migration::rebalance(server.clone(), control.clone()).await {
                        Ok(0) => {}
                        Ok(keys) => tracing::info!("rebalancing done: {keys} keys moved"),
                        Err(e) => {
                            tracing::warn!("rebalancing interrupted: {e:#}; retrying in 1 s");
                            tokio::select! {
                                () = tokio::time::sleep(std::time::Duration::from_secs(1)) => continue,
                                () = server.shutdown.cancelled() => {}
                            }
                        }
                    }
                    break;
                }
                moving.store(false, std::sync::atomic::Ordering::Release);
            });
        }
        let wanted = primary_to_follow(&map, me);
        if following.as_ref().map(|(addr, _)| addr) != wanted.as_ref() {
            if let Some((old, stop)) = following.take() {
                tracing::info!("no longer following {}:{}", old.host, old.resp_port);
                stop.cancel();
            }
            match wanted {
                Some(primary) => {
                    tracing::info!("following the primary {}:{}", primary.host, primary.resp_port);
                    let stop = server.shutdown.child_token();
                    tokio::spawn(follow(server.clone(), me, primary.clone(), stop.clone()));
                    following = Some((primary, stop));
                }
                None => {
                    // A primary now (or out of the map): nothing to follow; writes here
                    // start a new stream, which replicas sync to in full.
                    server.replication.stop_following();
                }
            }
        }
        tokio::select! {
            changed = maps.changed() => if changed.is_err() { break },
            force = server.replication.failover_ordered() => {
                tokio::spawn(manual_failover(server.clone(), force));
            }
            () = server.shutdown.cancelled() => break,
        }
    }
    if let Some((_, stop)) = following {
        stop.cancel();
    }
}

/// Whether this node is a primary whose group must give slots away (a rebalance plan
/// names them, or a move from it was left half done).
fn has_slots_to_give(map: &ClusterMap, me: NodeId) -> bool {
    let Some(group) = map.members.get(&me).and_then(|m| m.group) else { return false };
    map.is_primary(me)
        && (map.migrations.values().any(|m| m.from == group)
            || map.rebalance_plan().iter().any(|(slot, _)| map.owner(*slot) == Some(group)))
}

/// Whether a write may run on this node now: a primary that has not heard from a Raft
/// majority within its lease must not take writes another primary may be taking.
pub fn lease_valid(server: &Server) -> bool {
    server.cluster.get().is_none_or(|control| control.lease_valid())
}

/// CLUSTER FAILOVER on a replica: with `force`, take over at once (the primary is gone);
/// otherwise have the primary pause its writes and hand over its stream first, so no
/// acknowledged write is lost.
pub async fn manual_failover(server: Arc<Server>, force: bool) {
    let Some(control) = server.cluster.get().cloned() else { return };
    let me = control.me();
    let map = control.map();
    let Some(group) = map.members.get(&me).and_then(|m| m.group) else { return };
    if !force && !server.replication.request_handoff(std::time::Duration::from_secs(5)).await {
        tracing::warn!("manual failover: the primary did not hand over within 5 s; not taking over (use FORCE)");
        return;
    }
    match control.propose(Change::Promote { group, node: me }).await {
        Ok(Ok(())) => tracing::info!("manual failover: this node is now the primary of group {group}"),
        Ok(Err(e)) => tracing::warn!("manual failover refused: {e}"),
        Err(e) => tracing::warn!("manual failover failed: {e}"),
    }
}
