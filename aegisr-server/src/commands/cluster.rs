//! CLUSTER (the read side Redis Cluster clients use to learn the slot map), READONLY,
//! READWRITE and ASKING. Every reply is drawn from the node's current routing, which the
//! control plane keeps up to date. Redis's manual slot and membership subcommands (ADDSLOTS,
//! MEET, SETSLOT...) are refused with the aegisr-cli command to use instead: the control
//! plane owns slots and membership.

use std::sync::Arc;

use super::args::int;
use super::table::{CommandSpec, Flags, Group};
use super::{CommandError, CommandResult, Ctx};
use crate::cluster::map::{GroupId, Member};
use crate::cluster::routing::Routing;
use crate::engine::slot::{SLOT_COUNT, key_slot};

fn disabled() -> CommandError {
    CommandError::err("This instance has cluster support disabled")
}

/// The current routing, or Redis's error on a node not in cluster mode.
fn routing(ctx: &Ctx<'_>) -> Result<arc_swap::Guard<Arc<Routing>>, CommandError> {
    ctx.server.router.get().map(|r| r.load()).ok_or_else(disabled)
}

/// CLUSTER HELP in Redis's words; like every CLUSTER subcommand, refused outside cluster mode.
fn cluster_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    routing(ctx)?;
    super::redis_help(
        ctx.out,
        "CLUSTER",
        &[
            "ADDSLOTS <slot> [<slot> ...]",
            "    Assign slots to current node.",
            "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
            "    Assign slots which are between <start-slot> and <end-slot> to current node.",
            "BUMPEPOCH",
            "    Advance the cluster config epoch.",
            "COUNT-FAILURE-REPORTS <node-id>",
            "    Return number of failure reports for <node-id>.",
            "COUNTKEYSINSLOT <slot>",
            "    Return the number of keys in <slot>.",
            "DELSLOTS <slot> [<slot> ...]",
            "    Delete slots information from current node.",
            "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
            "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
            "FAILOVER [FORCE|TAKEOVER]",
            "    Promote current replica node to being a master.",
            "FORGET <node-id>",
            "    Remove a node from the cluster.",
            "GETKEYSINSLOT <slot> <count>",
            "    Return key names stored by current node in a slot.",
            "FLUSHSLOTS",
            "    Delete current node own slots information.",
            "INFO",
            "    Return information about the cluster.",
            "KEYSLOT <key>",
            "    Return the hash slot for <key>.",
            "MEET <ip> <port> [<bus-port>]",
            "    Connect nodes into a working cluster.",
            "MYID",
            "    Return the node id.",
            "NODES",
            "    Return cluster configuration seen by node. Output format:",
            "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
            "REPLICATE <node-id>",
            "    Configure current node as replica to <node-id>.",
            "RESET [HARD|SOFT]",
            "    Reset current node (default: soft).",
            "SET-CONFIG-EPOCH <epoch>",
            "    Set config epoch of current node.",
            "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
            "    Set slot state.",
            "REPLICAS <node-id>",
            "    Return <node-id> replicas.",
            "SAVECONFIG",
            "    Force saving cluster configuration on disk.",
            "SLOTS",
            "    Return information about slots range mappings. Each range is made of:",
            "    start, end, master and replicas IP addresses, ports and ids",
            "SHARDS",
            "    Return information about slot range mappings and the nodes associated with them.",
            "LINKS",
            "    Return information about all network links between this node and its peers.",
            "    Output format is an array where each array element is a map containing attributes of a link",
        ],
    );
    Ok(())
}

fn slot_arg(arg: &[u8]) -> Result<u16, CommandError> {
    let slot = int(arg)?;
    u16::try_from(slot).ok().filter(|&s| usize::from(s) < SLOT_COUNT).ok_or_else(|| CommandError::err("Invalid slot"))
}

fn keyslot(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    routing(ctx)?;
    ctx.out.integer(i64::from(key_slot(args[2])));
    Ok(())
}

fn countkeysinslot(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    routing(ctx)?;
    let slot = slot_arg(args[2])?;
    let count = ctx.server.keyspace.count_keys_in_slot(0, slot, ctx.tx);
    ctx.out.count(count);
    Ok(())
}

fn getkeysinslot(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    routing(ctx)?;
    let slot = int(args[2])?;
    let count = int(args[3])?;
    let (Some(slot), Ok(count)) =
        (u16::try_from(slot).ok().filter(|&s| usize::from(s) < SLOT_COUNT), usize::try_from(count))
    else {
        return Err(CommandError::err("Invalid slot or number of keys"));
    };
    let keys = ctx.server.keyspace.keys_in_slot(0, slot, count, ctx.tx);
    ctx.out.array(keys.len());
    for key in &keys {
        ctx.out.bulk(key);
    }
    Ok(())
}

fn myid(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let routing = routing(ctx)?;
    let name = routing.map.members.get(&routing.me).map_or("", |m| m.name.as_str());
    ctx.out.bulk(name.as_bytes());
    Ok(())
}

fn info(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let routing = routing(ctx)?;
    let map = &routing.map;
    let assigned: usize = map.slots.iter().map(|r| usize::from(r.end - r.start) + 1).sum();
    let state = if assigned == SLOT_COUNT { "ok" } else { "fail" };
    let groups_with_slots = map.groups.keys().filter(|&&g| map.slot_count(g) > 0).count();
    let text = format!(
        "cluster_state:{state}\r\ncluster_slots_assigned:{assigned}\r\ncluster_slots_ok:{assigned}\r\n\
         cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:{}\r\ncluster_size:{}\r\n\
         cluster_current_epoch:{epoch}\r\ncluster_my_epoch:{epoch}\r\ncluster_stats_messages_sent:0\r\n\
         cluster_stats_messages_received:0\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n",
        map.members.len(),
        groups_with_slots,
        epoch = map.epoch,
    );
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// The primary then the replicas of `group`, as members.
fn group_members(routing: &Routing, group: GroupId) -> Vec<&Member> {
    let Some(g) = routing.map.groups.get(&group) else { return Vec::new() };
    std::iter::once(&g.primary).chain(&g.replicas).filter_map(|id| routing.map.members.get(id)).collect()
}

fn slots(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let routing = routing(ctx)?;
    ctx.out.array(routing.map.slots.len());
    for range in &routing.map.slots {
        let members = group_members(&routing, range.group);
        ctx.out.array(2 + members.len());
        ctx.out.integer(i64::from(range.start));
        ctx.out.integer(i64::from(range.end));
        for member in members {
            ctx.out.array(4);
            ctx.out.bulk(member.host.as_bytes());
            ctx.out.integer(i64::from(member.resp_port));
            ctx.out.bulk(member.name.as_bytes());
            // Extra networking metadata (hostname): none.
            ctx.out.map(0);
        }
    }
    Ok(())
}

fn shards(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let routing = routing(ctx)?;
    let map = &routing.map;
    ctx.out.array(map.groups.len());
    for group in map.groups.keys() {
        ctx.out.map(2);
        ctx.out.bulk(b"slots");
        let ranges: Vec<_> = map.ranges_of(*group).collect();
        ctx.out.array(ranges.len() * 2);
        for range in ranges {
            ctx.out.integer(i64::from(range.start));
            ctx.out.integer(i64::from(range.end));
        }
        ctx.out.bulk(b"nodes");
        let members = group_members(&routing, *group);
        ctx.out.array(members.len());
        for (i, member) in members.into_iter().enumerate() {
            ctx.out.map(7);
            ctx.out.bulk(b"id");
            ctx.out.bulk(member.name.as_bytes());
            ctx.out.bulk(b"port");
            ctx.out.integer(i64::from(member.resp_port));
            ctx.out.bulk(b"ip");
            ctx.out.bulk(member.host.as_bytes());
            ctx.out.bulk(b"endpoint");
            ctx.out.bulk(member.host.as_bytes());
            ctx.out.bulk(b"role");
            ctx.out.bulk(if i == 0 { b"master".as_slice() } else { b"replica" });
            ctx.out.bulk(b"replication-offset");
            ctx.out.integer(0);
            ctx.out.bulk(b"health");
            ctx.out.bulk(b"online");
        }
    }
    Ok(())
}

/// CLUSTER NODES: one line per member in Redis's format.
pub fn nodes_text(routing: &Routing) -> String {
    let mut text = String::new();
    for member in routing.map.members.values() {
        text.push_str(&node_line(routing, member));
        text.push('\n');
    }
    text
}

/// One member's line of CLUSTER NODES (without the newline).
fn node_line(routing: &Routing, member: &Member) -> String {
    let map = &routing.map;
    let group = member.group.and_then(|g| map.groups.get(&g));
    let primary = group.is_some_and(|g| g.primary == member.id);
    let myself = if member.id == routing.me { "myself," } else { "" };
    let role = if primary { "master" } else { "slave" };
    let master = match group {
        Some(g) if !primary => map.members.get(&g.primary).map_or("-", |m| m.name.as_str()),
        _ => "-",
    };
    let mut line = format!(
        "{} {}:{}@{} {myself}{role} {master} 0 0 {} connected",
        member.name, member.host, member.resp_port, member.cluster_port, map.epoch
    );
    if primary && let Some(group) = member.group {
        for range in map.ranges_of(group) {
            if range.start == range.end {
                line.push_str(&format!(" {}", range.start));
            } else {
                line.push_str(&format!(" {}-{}", range.start, range.end));
            }
        }
        for (slot, migration) in &map.migrations {
            if migration.from == group
                && let Some(to) = map.primary_of(migration.to)
            {
                line.push_str(&format!(" [{slot}->-{}]", to.name));
            }
            if migration.to == group
                && let Some(from) = map.primary_of(migration.from)
            {
                line.push_str(&format!(" [{slot}-<-{}]", from.name));
            }
        }
    }
    line
}

/// The member named `name` (the 40 hex digits of CLUSTER MYID), or Redis's error.
fn named<'r>(routing: &'r Routing, name: &[u8]) -> Result<&'r Member, CommandError> {
    routing
        .map
        .members
        .values()
        .find(|m| m.name.as_bytes() == name)
        .ok_or_else(|| CommandError::err(format!("Unknown node {}", String::from_utf8_lossy(name))))
}

/// CLUSTER REPLICAS / SLAVES node-id: the CLUSTER NODES lines of a primary's replicas.
fn replicas(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let routing = routing(ctx)?;
    let member = named(&routing, args[2])?;
    let group = member.group.and_then(|g| routing.map.groups.get(&g)).filter(|g| g.primary == member.id);
    let Some(group) = group else { return Err(CommandError::err("The specified node is not a master")) };
    let lines: Vec<String> =
        group.replicas.iter().filter_map(|id| routing.map.members.get(id)).map(|m| node_line(&routing, m)).collect();
    ctx.out.array(lines.len());
    for line in lines {
        ctx.out.bulk(line.as_bytes());
    }
    Ok(())
}

/// CLUSTER COUNT-FAILURE-REPORTS node-id: how many nodes report it failing. Aegisr's Raft
/// leader alone watches heartbeats; it reports a node silent for the failover timeout.
fn count_failure_reports(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let routing = routing(ctx)?;
    let member = named(&routing, args[2])?;
    let reports = ctx.server.cluster.get().map_or(0, |control| control.failure_reports(member.id));
    ctx.out.count(reports);
    Ok(())
}

/// CLUSTER LINKS: the connections of this node's cluster bus, as Redis 7 lists them. Aegisr
/// lists the control-plane connections it opened to other members ("to"); their buffers
/// are gRPC's, not counted here.
fn links(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let routing = routing(ctx)?;
    let links = ctx.server.cluster.get().map(|control| control.links()).unwrap_or_default();
    let links: Vec<(&Member, i64)> =
        links.into_iter().filter_map(|(id, created)| Some((routing.map.members.get(&id)?, created))).collect();
    ctx.out.array(links.len());
    for (member, created) in links {
        ctx.out.map(6);
        ctx.out.bulk(b"direction");
        ctx.out.bulk(b"to");
        ctx.out.bulk(b"node");
        ctx.out.bulk(member.name.as_bytes());
        ctx.out.bulk(b"create-time");
        ctx.out.integer(created);
        ctx.out.bulk(b"events");
        ctx.out.bulk(b"r");
        ctx.out.bulk(b"send-buffer-allocated");
        ctx.out.integer(0);
        ctx.out.bulk(b"send-buffer-used");
        ctx.out.integer(0);
    }
    Ok(())
}

/// CLUSTER BUMPEPOCH: the configuration epoch is the control plane's, raised by every
/// change it commits, so there is nothing to bump: Redis's reply for that case.
fn bumpepoch(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let routing = routing(ctx)?;
    ctx.out.simple(&format!("STILL {}", routing.map.epoch));
    Ok(())
}

/// CLUSTER SAVECONFIG: the cluster state is already durable (the control plane's Raft log
/// and snapshots), so there is nothing to save.
fn saveconfig(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    routing(ctx)?;
    ctx.out.ok();
    Ok(())
}

/// The manual slot and membership commands of Redis Cluster: Aegisr's control plane owns
/// slots and membership, so each is refused with what to use instead.
fn managed(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    routing(ctx)?;
    let sub = String::from_utf8_lossy(args[1]).to_ascii_uppercase();
    let instead = match sub.as_str() {
        "MEET" => {
            "nodes join by themselves: start the new node with `aegisr-server --join <a member's cluster bus address>` (`aegisr-cli cluster add-node` prints the address)"
        }
        "FORGET" | "RESET" => "take a node out of the cluster with `aegisr-cli cluster remove-node <node>`",
        "REPLICATE" => {
            "the control plane places replicas (start a node with `aegisr-server --join <address>`); promote one with `aegisr-cli cluster failover <node>`"
        }
        "SET-CONFIG-EPOCH" => "the config epoch is the control plane's (see `aegisr-cli cluster status`)",
        _ => {
            "the control plane assigns slots and moves them to balance the shard groups (see `aegisr-cli cluster slots` and `aegisr-cli cluster rebalance`)"
        }
    };
    Err(CommandError::err(format!("CLUSTER {sub} is not supported by Aegisr: {instead}")))
}

fn nodes(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let routing = routing(ctx)?;
    ctx.out.verbatim("txt", nodes_text(&routing).as_bytes());
    Ok(())
}

/// CLUSTER FAILOVER [FORCE|TAKEOVER], sent to a replica: it takes its primary's place.
/// Without an option the primary pauses its writes and hands its stream over first, so no
/// acknowledged write is lost; FORCE and TAKEOVER do not wait for the primary. The reply
/// comes at once; the switch follows (watch CLUSTER NODES or ROLE).
fn failover(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let routing = routing(ctx)?;
    let force = match args.get(2) {
        None => false,
        Some(arg) if super::args::is(arg, "force") || super::args::is(arg, "takeover") => true,
        Some(_) => return Err(CommandError::Syntax),
    };
    if args.len() > 3 {
        return Err(CommandError::Syntax);
    }
    if routing.primary || routing.group.is_none() {
        return Err(CommandError::err("You should send CLUSTER FAILOVER to a replica"));
    }
    ctx.server.replication.order_failover(force);
    ctx.out.ok();
    Ok(())
}

fn readonly(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    routing(ctx)?;
    ctx.session.readonly = true;
    ctx.out.ok();
    Ok(())
}

fn readwrite(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    routing(ctx)?;
    ctx.session.readonly = false;
    ctx.out.ok();
    Ok(())
}

fn asking(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    routing(ctx)?;
    ctx.session.asking = true;
    ctx.out.ok();
    Ok(())
}

const CLUSTER: CommandSpec = CommandSpec { group: Group::Cluster, since: "3.0.0", ..CommandSpec::BASE };
const STALE: Flags = Flags::LOADING.or(Flags::STALE);

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "cluster|addslots",
        arity: -3,
        flags: Flags::ADMIN.or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        summary: "Assigns new hash slots to a node.",
        syntax: "slot [slot ...]",
        handler: Some(managed),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|addslotsrange",
        arity: -4,
        flags: Flags::ADMIN.or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        since: "7.0.0",
        summary: "Assigns new hash slot ranges to a node.",
        syntax: "start-slot end-slot [start-slot end-slot ...]",
        handler: Some(managed),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|bumpepoch",
        arity: 2,
        flags: Flags::ADMIN.or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        summary: "Advances the cluster config epoch.",
        handler: Some(bumpepoch),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|count-failure-reports",
        arity: 3,
        flags: Flags::ADMIN.or(Flags::STALE),
        summary: "Returns the number of active failure reports active for a node.",
        syntax: "node-id",
        handler: Some(count_failure_reports),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|countkeysinslot",
        arity: 3,
        flags: STALE,
        summary: "Returns the number of keys in a hash slot.",
        syntax: "slot",
        handler: Some(countkeysinslot),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|delslots",
        arity: -3,
        flags: Flags::ADMIN.or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        summary: "Sets hash slots as unbound for a node.",
        syntax: "slot [slot ...]",
        handler: Some(managed),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|delslotsrange",
        arity: -4,
        flags: Flags::ADMIN.or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        since: "7.0.0",
        summary: "Sets hash slot ranges as unbound for a node.",
        syntax: "start-slot end-slot [start-slot end-slot ...]",
        handler: Some(managed),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|failover",
        arity: -2,
        flags: Flags::ADMIN.or(STALE).or(Flags::NO_ASYNC_LOADING),
        summary: "Forces a replica to perform a manual failover of its master.",
        syntax: "[FORCE | TAKEOVER]",
        handler: Some(failover),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|flushslots",
        arity: 2,
        flags: Flags::ADMIN.or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        summary: "Deletes all slots information from a node.",
        handler: Some(managed),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|forget",
        arity: 3,
        flags: Flags::ADMIN.or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        summary: "Removes a node from the nodes table.",
        syntax: "node-id",
        handler: Some(managed),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|getkeysinslot",
        arity: 4,
        flags: STALE,
        summary: "Returns the key names in a hash slot.",
        syntax: "slot count",
        handler: Some(getkeysinslot),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|help",
        arity: 2,
        flags: STALE,
        summary: "Returns helpful text about the different subcommands.",
        handler: Some(cluster_help),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|info",
        arity: 2,
        flags: STALE,
        summary: "Returns information about the state of a node.",
        handler: Some(info),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|keyslot",
        arity: 3,
        flags: STALE,
        summary: "Returns the hash slot for a key.",
        syntax: "key",
        handler: Some(keyslot),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|links",
        arity: 2,
        flags: Flags::STALE,
        since: "7.0.0",
        summary: "Returns a list of all TCP links to and from peer nodes.",
        handler: Some(links),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|meet",
        arity: -4,
        flags: Flags::ADMIN.or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        summary: "Forces a node to handshake with another node.",
        syntax: "ip port [cluster-bus-port]",
        handler: Some(managed),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|myid",
        arity: 2,
        flags: STALE,
        summary: "Returns the ID of a node.",
        handler: Some(myid),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|nodes",
        arity: 2,
        flags: STALE,
        summary: "Returns the cluster configuration for a node.",
        handler: Some(nodes),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|replicas",
        arity: 3,
        flags: Flags::ADMIN.or(Flags::STALE),
        since: "5.0.0",
        summary: "Lists the replica nodes of a master node.",
        syntax: "node-id",
        handler: Some(replicas),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|replicate",
        arity: 3,
        flags: Flags::ADMIN.or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        summary: "Configure a node as replica of a master node.",
        syntax: "node-id",
        handler: Some(managed),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|reset",
        arity: -2,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::STALE),
        summary: "Resets a node.",
        syntax: "[HARD | SOFT]",
        handler: Some(managed),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|saveconfig",
        arity: 2,
        flags: Flags::ADMIN.or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        summary: "Forces a node to save the cluster configuration to disk.",
        handler: Some(saveconfig),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|set-config-epoch",
        arity: 3,
        flags: Flags::ADMIN.or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        summary: "Sets the configuration epoch for a new node.",
        syntax: "config-epoch",
        handler: Some(managed),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|setslot",
        arity: -4,
        flags: Flags::ADMIN.or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        summary: "Binds a hash slot to a node.",
        syntax: "slot <IMPORTING node-id | MIGRATING node-id | NODE node-id | STABLE>",
        handler: Some(managed),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|shards",
        arity: 2,
        flags: STALE,
        since: "7.0.0",
        summary: "Returns the mapping of cluster slots to shards.",
        handler: Some(shards),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|slaves",
        arity: 3,
        flags: Flags::ADMIN.or(Flags::STALE),
        summary: "Lists the replica nodes of a master node.",
        syntax: "node-id",
        handler: Some(replicas),
        ..CLUSTER
    },
    CommandSpec {
        name: "cluster|slots",
        arity: 2,
        flags: STALE,
        summary: "Returns the mapping of cluster slots to nodes.",
        handler: Some(slots),
        ..CLUSTER
    },
];

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "cluster",
        arity: -2,
        summary: "A container for Redis Cluster commands.",
        subcommands: SUBCOMMANDS,
        ..CLUSTER
    },
    CommandSpec {
        name: "asking",
        arity: 1,
        acl: &["@connection"],
        flags: Flags::FAST,
        summary: "Signals that a cluster client is following an -ASK redirect.",
        handler: Some(asking),
        ..CLUSTER
    },
    CommandSpec {
        name: "readonly",
        arity: 1,
        acl: &["@connection"],
        flags: Flags::FAST.or(STALE),
        summary: "Enables read-only queries for a connection to a Redis Cluster replica node.",
        handler: Some(readonly),
        ..CLUSTER
    },
    CommandSpec {
        name: "readwrite",
        arity: 1,
        acl: &["@connection"],
        flags: Flags::FAST.or(STALE),
        summary: "Enables read-write queries for a connection to a Redis Cluster replica node.",
        handler: Some(readwrite),
        ..CLUSTER
    },
];
