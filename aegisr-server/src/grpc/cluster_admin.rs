//! The Admin service's cluster calls: the map as structured messages (ClusterStatus),
//! removing a node (ClusterRemoveNode) and what is left of the automatic rebalance
//! (ClusterRebalance).

use std::sync::Arc;

use tonic::Status;

use aegisr_proto::v1;

use crate::cluster::control::ControlPlane;
use crate::cluster::map::{Change, ChangeError, ClusterMap, Member, NodeId};
use crate::server::Server;

/// The node's control plane, or FAILED_PRECONDITION outside cluster mode.
pub fn control(server: &Server) -> Result<&Arc<ControlPlane>, Status> {
    server.cluster.get().ok_or_else(|| {
        Status::failed_precondition("this node is not in cluster mode (start it with --cluster or --join)")
    })
}

fn role(map: &ClusterMap, member: &Member) -> &'static str {
    match member.group.and_then(|g| map.groups.get(&g)) {
        Some(group) if group.primary == member.id => "primary",
        Some(_) => "replica",
        None => "none",
    }
}

fn migrations(map: &ClusterMap) -> Vec<v1::ClusterMigration> {
    map.migrations
        .iter()
        .map(|(&slot, m)| v1::ClusterMigration { slot: u32::from(slot), from_group: m.from, to_group: m.to })
        .collect()
}

pub fn status(control: &ControlPlane) -> v1::ClusterStatusReply {
    let map = control.map();
    let members = map
        .members
        .values()
        .map(|m| v1::ClusterMember {
            id: m.id,
            name: m.name.clone(),
            host: m.host.clone(),
            resp_port: u32::from(m.resp_port),
            grpc_port: u32::from(m.grpc_port),
            cluster_port: u32::from(m.cluster_port),
            role: role(&map, m).to_owned(),
            group: m.group,
        })
        .collect();
    let groups = map
        .groups
        .values()
        .map(|g| v1::ClusterGroup {
            id: g.id,
            primary: g.primary,
            replicas: g.replicas.clone(),
            slot_count: u32::try_from(map.slot_count(g.id)).unwrap_or(u32::MAX),
        })
        .collect();
    let slots = map
        .slots
        .iter()
        .map(|r| v1::ClusterSlotRange { start: u32::from(r.start), end: u32::from(r.end), group: r.group })
        .collect();
    // Only the leader hears heartbeats: elsewhere every figure would read "never heard".
    let leading = control.is_leader();
    let health = control
        .health()
        .into_iter()
        .map(|(id, silent, offset)| v1::ClusterNodeHealth {
            id,
            seconds_since_heartbeat: if leading { silent.map(|d| d.as_secs_f64()) } else { None },
            offset,
        })
        .collect();
    v1::ClusterStatusReply {
        epoch: map.epoch,
        replicas_wanted: map.replicas_wanted,
        members,
        groups,
        slots,
        migrations: migrations(&map),
        leader: control.leader(),
        myself: control.me(),
        lease_valid: control.lease_valid(),
        health,
    }
}

/// The member `node` names: its id in decimal, its 40-hex-digit name, or a unique prefix
/// of the name of at least 8 digits.
fn find(map: &ClusterMap, node: &str) -> Result<NodeId, Status> {
    let node = node.trim();
    if let Ok(id) = node.parse::<NodeId>() {
        if map.members.contains_key(&id) {
            return Ok(id);
        }
    }
    let wanted = node.to_ascii_lowercase();
    if wanted.len() >= 8 {
        let matching: Vec<NodeId> =
            map.members.values().filter(|m| m.name.starts_with(&wanted)).map(|m| m.id).collect();
        match matching.as_slice() {
            [id] => return Ok(*id),
            [] => {}
            _ => return Err(Status::invalid_argument(format!("{node} names more than one node; give more digits"))),
        }
    }
    Err(Status::not_found(format!("no node {node} in the cluster map (give its name or its id)")))
}

pub async fn remove_node(control: &ControlPlane, node: &str) -> Result<v1::ClusterRemoveNodeReply, Status> {
    let map = control.map();
    let id = find(&map, node)?;
    let name = map.members.get(&id).map(|m| m.name.clone()).unwrap_or_default();
    match control.propose(Change::Remove(id)).await {
        Ok(Ok(()) | Err(ChangeError::UnknownNode(_))) => {}
        Ok(Err(e)) => return Err(Status::failed_precondition(e.to_string())),
        Err(e) => return Err(Status::unavailable(e.to_string())),
    }
    // Raft membership changes are the leader's: elsewhere the node stays a Raft member
    // (harmless while the majority is alive) until the leader removes it when gone.
    if control.is_leader() {
        if let Err(e) = control.forget(id).await {
            tracing::warn!("cluster: taking node {id} out of Raft failed: {e}");
        }
    }
    Ok(v1::ClusterRemoveNodeReply { id, name, epoch: control.map().epoch })
}

pub fn rebalance(control: &ControlPlane) -> v1::ClusterRebalanceReply {
    let map = control.map();
    v1::ClusterRebalanceReply {
        slots_to_move: map.rebalance_plan().len() as u64,
        migrations: migrations(&map),
        groups: u32::try_from(map.groups.len()).unwrap_or(u32::MAX),
        epoch: map.epoch,
    }
}
