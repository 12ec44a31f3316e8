//! The control plane's background tasks: every node heartbeats the leader; the leader
//! turns the heartbeat table into failovers and removals (see [`super::detector`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use aegisr_proto::v1::HeartbeatRequest;

use super::ControlPlane;
use super::detector::{self, Action};
use crate::cluster::map::{Change, NodeId};

/// How often nodes heartbeat the leader, and the leader looks at its table.
const TICK: Duration = Duration::from_millis(100);
/// How often a group with no live node is reported again.
const STRANDED_REPEAT: Duration = Duration::from_secs(30);

pub fn spawn(control: Arc<ControlPlane>) {
    tokio::spawn(heartbeats(control.clone()));
    tokio::spawn(lead(control));
}

/// Tells the leader this node is alive, every [`TICK`].
async fn heartbeats(control: Arc<ControlPlane>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The last stamp a leader put in its reply, sent back to it with the next heartbeat.
    let mut stamped: Option<(NodeId, u64)> = None;
    loop {
        tokio::select! {
            () = control.stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let super::Progress { offset, epoch } = control.progress();
        let Some(leader) = control.leader() else { continue };
        if leader == control.me() {
            control.health.record(leader, offset, None);
            continue;
        }
        let Some(addr) = control.address_of(leader) else { continue };
        let Ok(mut client) = control.peers.client(&addr) else { continue };
        let stamp = stamped.filter(|(from, _)| *from == leader).map_or(0, |(_, stamp)| stamp);
        let mut request =
            tonic::Request::new(HeartbeatRequest { node: control.me(), offset, epoch, stamp: Some(stamp) });
        // A heartbeat older than a tick is worthless: the next one is on its way.
        request.set_timeout(TICK * 2);
        let sent = Instant::now();
        match client.heartbeat(request).await {
            Ok(reply) => {
                control.peers.reached(&addr);
                let reply = reply.into_inner();
                stamped = Some((leader, reply.stamp));
                // The first heartbeat to a leader counts for nothing towards its lease (it
                // carried no stamp of it): the second goes at once, so that a new voter or
                // leader is not left without a majority for a tick.
                if stamp == 0 && reply.stamp != 0 {
                    tick.reset_immediately();
                }
                control.health.replied(leader, reply.acknowledged, sent);
                if reply.removed {
                    control.peers.warn(&addr, "heartbeat to the leader at", &super::REMOVED);
                }
            }
            Err(status) => control.peers.warn(&addr, "heartbeat to the leader at", &super::network::describe(&status)),
        }
    }
}

/// The leader's duties, every [`TICK`] while this node leads.
async fn lead(control: Arc<ControlPlane>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut leading = false;
    let mut groups = control.map().groups.len();
    let mut last_tick = Instant::now();
    loop {
        tokio::select! {
            () = control.stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        // A node that was stalled (stopped, swapped out, starved) heard nothing meanwhile,
        // though the others kept heartbeating: its table says nothing about them.
        let stalled = last_tick.elapsed();
        last_tick = Instant::now();
        let now_leading = control.is_leader();
        if now_leading && !leading {
            let map = control.map();
            tracing::info!("cluster: this node leads the control plane (epoch {})", map.epoch);
            control.health.start_leading(map.members.keys().copied());
        } else if now_leading && stalled > control.failover_timeout / 2 {
            tracing::warn!(
                "cluster: this node was stalled for {} ms; not failing anyone over on what it missed",
                stalled.as_millis()
            );
            control.health.start_leading(control.map().members.keys().copied());
        }
        leading = now_leading;
        if !leading {
            continue;
        }
        let map = control.map();
        control.health.track(map.members.keys().copied());
        if map.groups.len() > groups {
            let moves = map.rebalance_plan().len();
            if moves > 0 {
                tracing::info!("cluster: a new shard group formed; {moves} slots are to move to even out the groups");
            }
        }
        groups = map.groups.len();
        let seen = control.health.observations();
        let mut actions =
            detector::decide(&map, control.me(), &seen, control.failover_timeout, control.node_gone_timeout);
        let voters = control.voters();
        if let Some(node) = detector::voter_to_add(&map, &voters, super::MAX_VOTERS, &seen, control.failover_timeout) {
            actions.push(Action::AddVoter(node));
        }
        for action in actions {
            // A promotion is not repeated for the group until the new primary has had a
            // failover timeout to heartbeat; a removal not until it had time to finish.
            let cool_down = match action {
                Action::Promote { .. } => control.failover_timeout,
                Action::Remove(_) => control.node_gone_timeout.unwrap_or(control.failover_timeout),
                Action::AddVoter(_) => control.failover_timeout,
                Action::Stranded(_) => STRANDED_REPEAT,
            };
            if control.health.take(action, cool_down) {
                tokio::spawn(act(control.clone(), action));
            }
        }
    }
}

async fn act(control: Arc<ControlPlane>, action: Action) {
    let started = Instant::now();
    match action {
        Action::Promote { group, node } => {
            tracing::warn!(
                "cluster: the primary of group {group} missed heartbeats for {} ms; promoting node {node}",
                control.failover_timeout.as_millis()
            );
            match control.propose_here(Change::Promote { group, node }).await {
                Ok(Ok(())) => tracing::info!(
                    "cluster: node {node} is the primary of group {group} (epoch {}, committed in {} ms)",
                    control.map().epoch,
                    started.elapsed().as_millis()
                ),
                Ok(Err(e)) => tracing::info!("cluster: promotion in group {group} refused: {e}"),
                Err(e) => tracing::warn!("cluster: promotion in group {group} failed: {e}"),
            }
        }
        Action::Stranded(group) => tracing::warn!(
            "cluster: the primary of group {group} is silent and none of its replicas is live: its slots are unavailable until one of its nodes returns"
        ),
        Action::AddVoter(node) => match control.add_voter(node).await {
            Ok(()) => tracing::info!("cluster: node {node} is a Raft voter now"),
            Err(e) => tracing::info!("cluster: making node {node} a Raft voter failed: {e}"),
        },
        Action::Remove(node) => {
            tracing::warn!("cluster: node {node} has been silent past the node-gone timeout; removing it");
            match control.propose_here(Change::Remove(node)).await {
                Ok(Ok(())) | Ok(Err(crate::cluster::map::ChangeError::UnknownNode(_))) => {}
                Ok(Err(e)) => tracing::info!("cluster: removing node {node} refused: {e}"),
                Err(e) => {
                    tracing::warn!("cluster: removing node {node} failed: {e}");
                    return;
                }
            }
            match control.forget(node).await {
                Ok(()) => tracing::info!("cluster: node {node} removed"),
                Err(e) => tracing::warn!("cluster: taking node {node} out of Raft failed: {e}"),
            }
        }
    }
}
