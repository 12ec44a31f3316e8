//! `cluster status | nodes | slots | failover | remove-node | rebalance | add-node`: the
//! cluster as the Admin API shows it (ClusterStatus, ClusterRemoveNode, ClusterRebalance).
//! Heartbeat ages and offsets are known only to the control plane's leader, so they are
//! read from it when the node asked is not the leader.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant};

use aegisr_proto::Bytes;
use aegisr_proto::v1::{ClusterMember, ClusterNodeHealth, ClusterStatusReply};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use super::seconds;
use crate::args::ClusterOp;
use crate::connection::{Connection, ConnectionError};
use crate::output::{Output, Status};
use crate::render::Mode;

/// How often `failover` and `rebalance` look at the map again.
const POLL: Duration = Duration::from_millis(100);

pub(super) async fn run(
    connection: &mut Connection,
    output: &Output,
    op: ClusterOp,
) -> Result<Status, ConnectionError> {
    match op {
        ClusterOp::Status => {
            let view = View::read(connection).await?;
            let rebalance = connection.cluster_rebalance().await?;
            if output.mode == Mode::Json {
                let mut doc = view.status_json();
                doc["slots_to_move"] = json!(rebalance.slots_to_move);
                print_json(output, &doc);
            } else {
                output.text(&view.status_text(rebalance.slots_to_move));
            }
            Ok(Status::Ok)
        }
        ClusterOp::Nodes => {
            let view = View::read(connection).await?;
            if output.mode == Mode::Json {
                print_json(output, &Value::Array(view.nodes_json()));
            } else {
                output.text(&view.nodes_table());
            }
            Ok(Status::Ok)
        }
        ClusterOp::Slots => {
            let view = View::read(connection).await?;
            if output.mode == Mode::Json {
                print_json(output, &view.slots_json());
            } else {
                output.text(&view.slots_table());
            }
            Ok(Status::Ok)
        }
        ClusterOp::Failover { node, force, wait } => {
            failover(connection, output, &node, force, seconds(wait, 30.0)).await
        }
        ClusterOp::RemoveNode { node, yes } => remove_node(connection, output, &node, yes).await,
        ClusterOp::Rebalance { wait } => rebalance(connection, output, seconds(wait, 600.0)).await,
        ClusterOp::AddNode => {
            let view = View::read(connection).await?;
            output.text(&view.add_node_text());
            Ok(Status::Ok)
        }
    }
}

fn print_json(output: &Output, doc: &Value) {
    let text = serde_json::to_string_pretty(doc).unwrap_or_default();
    output.text(&(text + "\n"));
}

/// `host:port`, with IPv6 hosts in brackets.
fn address(host: &str, port: u32) -> String {
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// A node's name as tables show it: enough digits to name it in `cluster` commands.
fn short(name: &str) -> &str {
    name.get(..12).unwrap_or(name)
}

/// The status of the node asked, and the leader's heartbeat figures when it could be read.
struct View {
    status: ClusterStatusReply,
    /// By member id, from the leader.
    health: HashMap<u64, ClusterNodeHealth>,
}

impl View {
    async fn read(connection: &mut Connection) -> Result<View, ConnectionError> {
        let status = connection.cluster_status().await?;
        let leader_status = if status.leader == Some(status.myself) {
            Some(status.clone())
        } else {
            // Only the leader hears heartbeats; a leader that cannot be reached leaves
            // the figures out rather than failing the command.
            let leader = status.leader.and_then(|id| status.members.iter().find(|m| m.id == id));
            match leader.and_then(|m| u16::try_from(m.grpc_port).ok().map(|p| (m.host.clone(), p))) {
                Some((host, port)) => connection.sibling(&host, port).cluster_status().await.ok(),
                None => None,
            }
        };
        let health = leader_status.map(|s| s.health.into_iter().map(|h| (h.id, h)).collect()).unwrap_or_default();
        Ok(View { status, health })
    }

    fn member(&self, id: u64) -> Option<&ClusterMember> {
        self.status.members.iter().find(|m| m.id == id)
    }

    fn label(&self, id: u64) -> String {
        match self.member(id) {
            Some(m) => format!("{} {}", short(&m.name), address(&m.host, m.resp_port)),
            None => format!("node {id}"),
        }
    }

    /// "ok" when every slot has an owner with a primary, as CLUSTER INFO's cluster_state.
    fn state(&self) -> &'static str {
        let assigned: u32 = self.status.slots.iter().map(|r| r.end - r.start + 1).sum();
        if assigned == 16384 { "ok" } else { "fail" }
    }

    fn offset(&self, id: u64) -> Option<u64> {
        self.health.get(&id).filter(|h| h.seconds_since_heartbeat.is_some()).map(|h| h.offset)
    }

    /// How far a replica is behind its group's primary, in bytes of the write log.
    fn lag(&self, replica: u64) -> Option<u64> {
        let group = self.status.groups.iter().find(|g| g.replicas.contains(&replica))?;
        Some(self.offset(group.primary)?.saturating_sub(self.offset(replica)?))
    }

    fn last_seen(&self, id: u64) -> Option<f64> {
        self.health.get(&id).and_then(|h| h.seconds_since_heartbeat)
    }

    fn slots_of_member(&self, member: &ClusterMember) -> u32 {
        match self.status.groups.iter().find(|g| Some(g.id) == member.group) {
            Some(g) if g.primary == member.id => g.slot_count,
            _ => 0,
        }
    }

    fn role(&self, member: &ClusterMember) -> String {
        if self.status.leader == Some(member.id) { format!("{} (leader)", member.role) } else { member.role.clone() }
    }

    fn status_text(&self, slots_to_move: u64) -> String {
        let s = &self.status;
        let assigned: u32 = s.slots.iter().map(|r| r.end - r.start + 1).sum();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "cluster {}  epoch {}  {} members, {} groups, {assigned}/16384 slots assigned, {} replica(s) per group wanted",
            self.state(),
            s.epoch,
            s.members.len(),
            s.groups.len(),
            s.replicas_wanted
        );
        let leader = s.leader.map_or_else(|| "none (election under way?)".to_owned(), |id| self.label(id));
        let _ = writeln!(out, "leader  {leader}");
        let lease = if s.lease_valid { "holds its write lease" } else { "has NO write lease" };
        let _ = writeln!(out, "asked   {} ({lease})", self.label(s.myself));
        for group in &s.groups {
            let _ = writeln!(out, "\ngroup {}: {} slots", group.id, group.slot_count);
            let _ = writeln!(out, "  primary  {}", self.label(group.primary));
            if group.replicas.is_empty() {
                let _ = writeln!(out, "  no replicas");
            }
            for &replica in &group.replicas {
                let lag = self.lag(replica).map_or_else(|| "lag unknown".to_owned(), |lag| format!("lag {lag} bytes"));
                let _ = writeln!(out, "  replica  {}  {lag}", self.label(replica));
            }
        }
        let _ = writeln!(out);
        if s.migrations.is_empty() {
            let _ = writeln!(out, "migrations  none in flight");
        } else {
            let mut moves: Vec<((u32, u32), usize)> = Vec::new();
            for m in &s.migrations {
                match moves.iter_mut().find(|(k, _)| *k == (m.from_group, m.to_group)) {
                    Some((_, n)) => *n += 1,
                    None => moves.push(((m.from_group, m.to_group), 1)),
                }
            }
            let moves: Vec<String> = moves.iter().map(|((from, to), n)| format!("{n} slots {from} -> {to}")).collect();
            let _ = writeln!(out, "migrations  {}", moves.join(", "));
        }
        let _ = writeln!(
            out,
            "rebalance   {}",
            match slots_to_move {
                0 => "nothing left to move".to_owned(),
                n => format!("{n} slots still to move"),
            }
        );
        out
    }

    fn status_json(&self) -> Value {
        let s = &self.status;
        json!({
            "state": self.state(),
            "epoch": s.epoch,
            "replicas_wanted": s.replicas_wanted,
            "leader": s.leader.and_then(|id| self.member(id)).map(|m| m.name.clone()),
            "myself": self.member(s.myself).map(|m| m.name.clone()),
            "lease_valid": s.lease_valid,
            "members": self.nodes_json(),
            "groups": s.groups.iter().map(|g| json!({
                "id": g.id,
                "slots": g.slot_count,
                "primary": self.member(g.primary).map(|m| m.name.clone()),
                "replicas": g.replicas.iter().map(|&r| json!({
                    "name": self.member(r).map(|m| m.name.clone()),
                    "lag": self.lag(r),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "migrations": s.migrations.iter().map(|m| json!({"slot": m.slot, "from": m.from_group, "to": m.to_group})).collect::<Vec<_>>(),
        })
    }

    fn nodes_json(&self) -> Vec<Value> {
        self.status
            .members
            .iter()
            .map(|m| {
                json!({
                    "name": m.name,
                    "id": m.id,
                    "host": m.host,
                    "resp_port": m.resp_port,
                    "grpc_port": m.grpc_port,
                    "cluster_port": m.cluster_port,
                    "role": m.role,
                    "leader": self.status.leader == Some(m.id),
                    "group": m.group,
                    "slots": self.slots_of_member(m),
                    "offset": self.offset(m.id),
                    "last_seen_seconds": self.last_seen(m.id),
                })
            })
            .collect()
    }

    fn nodes_table(&self) -> String {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        table.set_header(["name", "address (resp/grpc)", "role", "group", "slots", "offset", "last seen"]);
        for m in &self.status.members {
            table.add_row([
                short(&m.name).to_owned(),
                format!("{}/{}", address(&m.host, m.resp_port), m.grpc_port),
                self.role(m),
                m.group.map_or_else(|| "-".to_owned(), |g| g.to_string()),
                self.slots_of_member(m).to_string(),
                self.offset(m.id).map_or_else(|| "?".to_owned(), |o| o.to_string()),
                self.last_seen(m.id).map_or_else(|| "?".to_owned(), |s| format!("{:.0} ms ago", s * 1000.0)),
            ]);
        }
        table.to_string() + "\n"
    }

    fn primary_of(&self, group: u32) -> Option<&ClusterMember> {
        let primary = self.status.groups.iter().find(|g| g.id == group)?.primary;
        self.member(primary)
    }

    fn slots_json(&self) -> Value {
        Value::Array(
            self.status
                .slots
                .iter()
                .map(|r| {
                    let primary = self.primary_of(r.group);
                    json!({
                        "start": r.start,
                        "end": r.end,
                        "count": r.end - r.start + 1,
                        "group": r.group,
                        "primary": primary.map(|m| m.name.clone()),
                        "address": primary.map(|m| address(&m.host, m.resp_port)),
                        "grpc_address": primary.map(|m| address(&m.host, m.grpc_port)),
                    })
                })
                .collect(),
        )
    }

    fn slots_table(&self) -> String {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        table.set_header(["slots", "count", "group", "primary", "address (resp)", "grpc"]);
        for r in &self.status.slots {
            let primary = self.primary_of(r.group);
            table.add_row([
                if r.start == r.end { r.start.to_string() } else { format!("{}-{}", r.start, r.end) },
                (r.end - r.start + 1).to_string(),
                r.group.to_string(),
                primary.map_or("?", |m| short(&m.name)).to_owned(),
                primary.map_or_else(String::new, |m| address(&m.host, m.resp_port)),
                primary.map_or_else(String::new, |m| m.grpc_port.to_string()),
            ]);
        }
        let mut out = table.to_string() + "\n";
        if !self.status.migrations.is_empty() {
            let _ = writeln!(out, "{} slots migrating (see `cluster rebalance`)", self.status.migrations.len());
        }
        out
    }

    fn add_node_text(&self) -> String {
        let s = &self.status;
        // The leader's bus address: any member's works, the leader's saves a forward.
        let via = s.leader.and_then(|id| self.member(id)).or_else(|| s.members.first());
        let bus = via.map_or_else(|| "<a member's host:cluster-port>".to_owned(), |m| address(&m.host, m.cluster_port));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Nodes join by themselves. Start the new node with --join and a member's cluster bus address:\n"
        );
        let _ = writeln!(
            out,
            "  aegisr-server --join {bus} --port <RESP port> --grpc-port <gRPC port> --dir <its own data dir>\n"
        );
        let _ = writeln!(
            out,
            "Its cluster bus is its RESP port + 10000 unless --cluster-port; other members' bus addresses work too:"
        );
        for m in &s.members {
            let _ = writeln!(out, "  {}  ({} {})", address(&m.host, m.cluster_port), short(&m.name), m.role);
        }
        let spare: usize = s.groups.iter().map(|g| g.replicas.len().saturating_sub(s.replicas_wanted as usize)).sum();
        let wanted = s.replicas_wanted as usize;
        let _ = writeln!(out);
        if spare >= wanted {
            let _ = writeln!(
                out,
                "With {wanted} replica(s) wanted per group and {spare} spare replica(s), the new node forms a new group as \
                 its primary; the group then takes an even share of the slots by live migration (follow it with \
                 `aegisr-cli cluster rebalance`)."
            );
        } else {
            let _ = writeln!(
                out,
                "With {wanted} replica(s) wanted per group and {spare} spare replica(s), the new node joins the group \
                 with the fewest replicas as a replica; a new group forms once enough spare nodes joined."
            );
        }
        out
    }

    /// The member NODE names: its id, its name or a unique prefix (8+ digits), or its RESP
    /// or gRPC address.
    fn find(&self, node: &str) -> Result<&ClusterMember, ConnectionError> {
        let node = node.trim();
        let wanted = node.to_ascii_lowercase();
        let matching: Vec<&ClusterMember> = self
            .status
            .members
            .iter()
            .filter(|m| {
                node.parse::<u64>().is_ok_and(|id| id == m.id)
                    || (wanted.len() >= 8 && m.name.starts_with(&wanted))
                    || address(&m.host, m.resp_port) == node
                    || address(&m.host, m.grpc_port) == node
            })
            .collect();
        match matching.as_slice() {
            [one] => Ok(one),
            [] => Err(ConnectionError::new(format!(
                "No node {node} in the cluster (give its name or an 8+ digit prefix, its id, or its RESP or gRPC \
                 host:port; see `aegisr-cli cluster nodes`)"
            ))),
            _ => Err(ConnectionError::new(format!("{node} names more than one node; give more of its name"))),
        }
    }
}

fn connection_to(connection: &Connection, member: &ClusterMember) -> Result<Connection, ConnectionError> {
    let port = u16::try_from(member.grpc_port)
        .map_err(|_| ConnectionError::new(format!("node {} has no valid gRPC port", member.name)))?;
    Ok(connection.sibling(&member.host, port))
}

async fn failover(
    connection: &mut Connection,
    output: &Output,
    node: &str,
    force: bool,
    wait: Duration,
) -> Result<Status, ConnectionError> {
    let view = View::read(connection).await?;
    let member = view.find(node)?.clone();
    if member.role != "replica" {
        return Err(ConnectionError::new(format!(
            "{} is a {}, not a replica: failover promotes a replica (see `aegisr-cli cluster nodes`)",
            short(&member.name),
            member.role
        )));
    }
    let mut target = connection_to(connection, &member)?;
    let mut args = vec![Bytes::from_static(b"CLUSTER"), Bytes::from_static(b"FAILOVER")];
    if force {
        args.push(Bytes::from_static(b"FORCE"));
    }
    let started = Instant::now();
    let reply = target.execute(args).await?;
    if let Some(error) = reply.as_error() {
        output.problem(&format!("{} refused the failover: {}", short(&member.name), error.message));
        return Ok(Status::ErrorReply);
    }
    let deadline = started + wait;
    loop {
        if let Ok(status) = target.cluster_status().await {
            let promoted = status.groups.iter().find(|g| g.primary == member.id);
            if let Some(group) = promoted {
                output.text(&format!(
                    "{} ({}) is the primary of group {} (epoch {}); the failover took {:.2} s\n",
                    short(&member.name),
                    address(&member.host, member.resp_port),
                    group.id,
                    status.epoch,
                    started.elapsed().as_secs_f64()
                ));
                return Ok(Status::Ok);
            }
        }
        if Instant::now() >= deadline {
            return Err(ConnectionError::new(format!(
                "{} accepted the failover but the map did not show it primary within {:.1} s",
                short(&member.name),
                wait.as_secs_f64()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn remove_node(
    connection: &mut Connection,
    output: &Output,
    node: &str,
    yes: bool,
) -> Result<Status, ConnectionError> {
    let view = View::read(connection).await?;
    let member = view.find(node)?.clone();
    let what = format!(
        "{} ({}, {} of group {})",
        short(&member.name),
        address(&member.host, member.resp_port),
        member.role,
        member.group.map_or_else(|| "-".to_owned(), |g| g.to_string())
    );
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(ConnectionError::new(format!(
                "Removing {what} from the cluster is for good; pass --yes to confirm without a terminal"
            )));
        }
        eprint!("Remove {what} from the cluster for good? [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
            output.text("Nothing removed.\n");
            return Ok(Status::Failed);
        }
    }
    // Asked of the leader when it can be reached: it also takes the node out of Raft.
    let leader = view.status.leader.and_then(|id| view.member(id)).filter(|m| m.id != view.status.myself);
    let reply = match leader.map(|m| connection_to(connection, m)) {
        Some(Ok(mut to_leader)) => match to_leader.cluster_remove_node(&member.name).await {
            Ok(reply) => reply,
            Err(_) => connection.cluster_remove_node(&member.name).await?,
        },
        _ => connection.cluster_remove_node(&member.name).await?,
    };
    output.text(&format!("Removed {what} (epoch {}).\n", reply.epoch));
    Ok(Status::Ok)
}

async fn rebalance(connection: &mut Connection, output: &Output, wait: Duration) -> Result<Status, ConnectionError> {
    let first = connection.cluster_rebalance().await?;
    let left = |r: &aegisr_proto::v1::ClusterRebalanceReply| r.slots_to_move + r.migrations.len() as u64;
    let total = left(&first);
    if total == 0 {
        output.text(&format!("Nothing to move: the {} group(s) hold even shares of the slots.\n", first.groups));
        return Ok(Status::Ok);
    }
    output.text(&format!(
        "{} slots to move to even out {} groups ({} migrating now); the leader moves them by itself.\n",
        total,
        first.groups,
        first.migrations.len()
    ));
    if wait.is_zero() {
        return Ok(Status::Ok);
    }
    let target =
        if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    if let Ok(style) = ProgressStyle::with_template("rebalance [{bar:40}] {pos}/{len} slots {per_sec} eta {eta} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    let started = Instant::now();
    let mut total = total;
    loop {
        let now = connection.cluster_rebalance().await?;
        let remaining = left(&now);
        // A group formed meanwhile adds moves.
        if remaining > total {
            total = remaining;
            bar.set_length(total);
        }
        bar.set_position(total - remaining);
        bar.set_message(format!("{} in flight", now.migrations.len()));
        if remaining == 0 {
            bar.finish_and_clear();
            output.text(&format!(
                "Done: {total} slots moved in {:.1} s; {} groups hold even shares.\n",
                started.elapsed().as_secs_f64(),
                now.groups
            ));
            return Ok(Status::Ok);
        }
        if started.elapsed() >= wait {
            bar.abandon();
            return Err(ConnectionError::new(format!(
                "{remaining} slots still to move after {:.0} s (the moves go on; run `aegisr-cli cluster rebalance` \
                 again to follow them)",
                wait.as_secs_f64()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use aegisr_proto::v1::{ClusterGroup, ClusterMigration, ClusterSlotRange};

    use super::*;

    fn member(id: u64, role: &str, group: u32) -> ClusterMember {
        ClusterMember {
            id,
            name: format!("{id:0>40}"),
            host: "127.0.0.1".into(),
            resp_port: 6000 + id as u32,
            grpc_port: 7000 + id as u32,
            cluster_port: 16000 + id as u32,
            role: role.into(),
            group: Some(group),
        }
    }

    fn view() -> View {
        let status = ClusterStatusReply {
            epoch: 9,
            replicas_wanted: 1,
            members: vec![member(1, "primary", 0), member(2, "replica", 0), member(3, "primary", 1)],
            groups: vec![
                ClusterGroup { id: 0, primary: 1, replicas: vec![2], slot_count: 8192 },
                ClusterGroup { id: 1, primary: 3, replicas: vec![], slot_count: 8190 },
            ],
            slots: vec![
                ClusterSlotRange { start: 0, end: 8191, group: 0 },
                ClusterSlotRange { start: 8192, end: 16381, group: 1 },
            ],
            migrations: vec![ClusterMigration { slot: 16382, from_group: 1, to_group: 0 }],
            leader: Some(1),
            myself: 1,
            lease_valid: true,
            health: Vec::new(),
        };
        let health = [(1, 500), (2, 480), (3, 70)]
            .into_iter()
            .map(|(id, offset)| (id, ClusterNodeHealth { id, seconds_since_heartbeat: Some(0.05), offset }))
            .collect();
        View { status, health }
    }

    #[test]
    fn status_shows_groups_lag_and_migrations() {
        let text = view().status_text(1);
        assert!(text.starts_with("cluster fail  epoch 9  3 members, 2 groups, 16382/16384 slots assigned"), "{text}");
        assert!(text.contains("group 0: 8192 slots\n  primary  000000000000 127.0.0.1:6001\n"), "{text}");
        assert!(text.contains("replica  000000000000 127.0.0.1:6002  lag 20 bytes"), "{text}");
        assert!(text.contains("migrations  1 slots 1 -> 0"), "{text}");
        assert!(text.contains("rebalance   1 slots still to move"), "{text}");
    }

    #[test]
    fn nodes_are_found_by_name_id_or_address() {
        let view = view();
        assert_eq!(view.find("2").unwrap().id, 2);
        assert_eq!(view.find("127.0.0.1:6003").unwrap().id, 3);
        assert_eq!(view.find("127.0.0.1:7002").unwrap().id, 2);
        assert_eq!(view.find(&format!("{:0>40}", 3)).unwrap().id, 3);
        assert!(view.find("00000000").is_err(), "ambiguous prefix");
        assert!(view.find("9").is_err());
    }

    #[test]
    fn json_documents_carry_the_map() {
        let view = view();
        let nodes = view.nodes_json();
        assert_eq!(nodes[1]["role"], "replica");
        assert_eq!(nodes[0]["leader"], true);
        assert_eq!(nodes[2]["slots"], 8190);
        let slots = view.slots_json();
        assert_eq!(slots[1]["address"], "127.0.0.1:6003");
        assert_eq!(slots[1]["count"], 8190);
        assert_eq!(view.status_json()["groups"][0]["replicas"][0]["lag"], 20);
        assert!(view.add_node_text().contains("aegisr-server --join 127.0.0.1:16001"));
    }
}
