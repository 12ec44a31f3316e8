//! What the console knows of a cluster: the latest `ClusterStatus`, the leader's heartbeat
//! figures, and the changes seen between two updates (epoch bumps, new primaries, members
//! joining or leaving), kept as a short event log; a new primary stays highlighted for a
//! few updates.

use std::collections::{HashMap, VecDeque};

use aegisr_proto::v1::{ClusterMember, ClusterNodeHealth, ClusterStatusReply};

/// Events kept for the cluster view.
pub const EVENTS: usize = 50;
/// Updates during which a new primary stays highlighted.
pub const HIGHLIGHT_UPDATES: u32 = 10;

/// One reading of the cluster: a node's status and, when the leader could be asked, its
/// per-member heartbeat figures.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub status: ClusterStatusReply,
    pub health: Vec<ClusterNodeHealth>,
}

#[derive(Debug, Clone, Default)]
pub struct ClusterState {
    pub status: ClusterStatusReply,
    /// By member id; empty when the leader could not be asked.
    pub health: HashMap<u64, ClusterNodeHealth>,
    /// Oldest first.
    pub events: VecDeque<String>,
    /// Members that became primary at the latest change, highlighted while
    /// `highlight_left` > 0.
    pub promoted: Vec<u64>,
    pub highlight_left: u32,
}

/// `host:port`, with IPv6 hosts in brackets.
pub fn address(host: &str, port: u32) -> String {
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// A node's name as the console shows it.
pub fn short(name: &str) -> &str {
    name.get(..8).unwrap_or(name)
}

impl ClusterState {
    pub fn new(snapshot: Snapshot) -> ClusterState {
        let mut state = ClusterState::default();
        let epoch = snapshot.status.epoch;
        state.set(snapshot);
        state.log(format!("watching the cluster at epoch {epoch}"));
        state
    }

    fn set(&mut self, snapshot: Snapshot) {
        self.status = snapshot.status;
        self.health = snapshot.health.into_iter().map(|h| (h.id, h)).collect();
    }

    fn log(&mut self, event: String) {
        self.events.push_back(event);
        while self.events.len() > EVENTS {
            self.events.pop_front();
        }
    }

    pub fn member(&self, id: u64) -> Option<&ClusterMember> {
        self.status.members.iter().find(|m| m.id == id)
    }

    fn label(status: &ClusterStatusReply, id: u64) -> String {
        match status.members.iter().find(|m| m.id == id) {
            Some(m) => format!("{} ({})", short(&m.name), address(&m.host, m.resp_port)),
            None => format!("node {id}"),
        }
    }

    /// Takes a new reading, logging what changed since the last one.
    pub fn update(&mut self, snapshot: Snapshot) {
        let old = std::mem::take(&mut self.status);
        let new = &snapshot.status;
        let mut events = Vec::new();
        let mut promoted = Vec::new();
        if new.epoch != old.epoch {
            events.push(format!("epoch {} -> {}", old.epoch, new.epoch));
        }
        for group in &new.groups {
            let before = old.groups.iter().find(|g| g.id == group.id);
            match before {
                Some(before) if before.primary != group.primary => {
                    events.push(format!(
                        "FAILOVER group {}: {} is primary (was {})",
                        group.id,
                        Self::label(new, group.primary),
                        Self::label(&old, before.primary)
                    ));
                    promoted.push(group.primary);
                }
                None => events.push(format!("group {} formed, primary {}", group.id, Self::label(new, group.primary))),
                Some(_) => {}
            }
        }
        for member in &new.members {
            if !old.members.iter().any(|m| m.id == member.id) {
                events.push(format!("{} joined as {}", Self::label(new, member.id), member.role));
            }
        }
        for member in &old.members {
            if !new.members.iter().any(|m| m.id == member.id) {
                events.push(format!("{} left the cluster", Self::label(&old, member.id)));
            }
        }
        if new.leader != old.leader {
            if let Some(leader) = new.leader {
                events.push(format!("control plane leader: {}", Self::label(new, leader)));
            }
        }
        self.set(snapshot);
        for event in events {
            self.log(event);
        }
        if promoted.is_empty() {
            self.highlight_left = self.highlight_left.saturating_sub(1);
        } else {
            self.promoted = promoted;
            self.highlight_left = HIGHLIGHT_UPDATES;
        }
    }

    /// Whether `id` became primary recently enough to be highlighted.
    pub fn is_new_primary(&self, id: u64) -> bool {
        self.highlight_left > 0 && self.promoted.contains(&id)
    }

    /// The replication offset the leader heard from `id` (only with heartbeat figures).
    pub fn offset(&self, id: u64) -> Option<u64> {
        self.health.get(&id).filter(|h| h.seconds_since_heartbeat.is_some()).map(|h| h.offset)
    }

    /// How far replica `id` is behind its primary, in bytes of the write log.
    pub fn lag(&self, id: u64) -> Option<u64> {
        let group = self.status.groups.iter().find(|g| g.replicas.contains(&id))?;
        Some(self.offset(group.primary)?.saturating_sub(self.offset(id)?))
    }

    /// Seconds since the leader heard `id`.
    pub fn last_seen(&self, id: u64) -> Option<f64> {
        self.health.get(&id).and_then(|h| h.seconds_since_heartbeat)
    }

    /// The gRPC addresses of every member.
    pub fn grpc_addresses(&self) -> Vec<String> {
        self.status.members.iter().map(|m| address(&m.host, m.grpc_port)).collect()
    }
}

#[cfg(test)]
mod tests {
    use aegisr_proto::v1::ClusterGroup;

    use super::*;

    fn member(id: u64) -> ClusterMember {
        ClusterMember {
            id,
            name: format!("{id:0>40}"),
            host: "127.0.0.1".into(),
            resp_port: 6000 + id as u32,
            grpc_port: 7000 + id as u32,
            ..Default::default()
        }
    }

    fn snapshot(epoch: u64, primary: u64, replica: u64) -> Snapshot {
        Snapshot {
            status: ClusterStatusReply {
                epoch,
                members: vec![member(1), member(2)],
                groups: vec![ClusterGroup { id: 0, primary, replicas: vec![replica], slot_count: 16384 }],
                leader: Some(1),
                ..Default::default()
            },
            health: Vec::new(),
        }
    }

    #[test]
    fn a_failover_is_logged_and_highlighted_for_a_while() {
        let mut state = ClusterState::new(snapshot(3, 1, 2));
        state.update(snapshot(3, 1, 2));
        assert_eq!(state.events.len(), 1);
        state.update(snapshot(4, 2, 1));
        assert!(state.events.iter().any(|e| e == "epoch 3 -> 4"), "{:?}", state.events);
        assert!(state.events.iter().any(|e| e.starts_with("FAILOVER group 0: 00000000 (127.0.0.1:6002) is primary")));
        assert!(state.is_new_primary(2));
        for _ in 0..HIGHLIGHT_UPDATES {
            state.update(snapshot(4, 2, 1));
        }
        assert!(!state.is_new_primary(2));
        assert_eq!(state.grpc_addresses(), ["127.0.0.1:7001", "127.0.0.1:7002"]);
    }
}
