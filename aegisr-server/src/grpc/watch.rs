//! Admin.WatchStats: the node's figures, taken every interval; rates and percentiles come
//! from the difference with the previous take.

use std::time::Instant;

use aegisr_proto::v1;

use crate::metrics::{CommandTotals, histogram};
use crate::server::{Server, ServerStats, info};

/// What the previous message was computed from.
pub struct Previous {
    at: Instant,
    commands: Vec<CommandTotals>,
}

fn micros(nanos: Option<u64>) -> f64 {
    nanos.map_or(0.0, |n| n as f64 / 1000.0)
}

fn number(server: &Server, section: &str, field: &str) -> u64 {
    info::field(server, section, field).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// The figures now; `previous` is updated for the next call.
pub fn take(server: &Server, previous: &mut Option<Previous>) -> v1::NodeStats {
    let now = Instant::now();
    let commands = server.metrics.commands.totals();
    let (since, before) = match previous {
        Some(p) => (now.duration_since(p.at), Some(&p.commands)),
        None => (server.started.elapsed(), None),
    };
    let seconds = since.as_secs_f64().max(1e-3);
    let mut all = [0u64; histogram::BUCKETS];
    let mut interval_calls = 0u64;
    let mut per_command = Vec::new();
    for (i, c) in commands.iter().enumerate() {
        if !c.seen() {
            continue;
        }
        let old = before.and_then(|b| b.get(i));
        let calls = c.calls.saturating_sub(old.map_or(0, |o| o.calls));
        let mut latency = [0u64; histogram::BUCKETS];
        for (b, slot) in latency.iter_mut().enumerate() {
            *slot = c.latency[b].saturating_sub(old.map_or(0, |o| o.latency[b]));
            all[b] += *slot;
        }
        interval_calls += calls;
        per_command.push(v1::CommandStats {
            name: c.name.to_owned(),
            calls: c.calls,
            usec: c.usec(),
            failed_calls: c.failed,
            rejected_calls: c.rejected,
            ops_per_sec: calls as f64 / seconds,
            p50_usec: micros(histogram::percentile(&latency, 50.0)),
            p99_usec: micros(histogram::percentile(&latency, 99.0)),
            p999_usec: micros(histogram::percentile(&latency, 99.9)),
        });
    }
    *previous = Some(Previous { at: now, commands });

    let ks = server.keyspace.stats(None);
    let keyspace = server
        .keyspace
        .db_sizes(None)
        .into_iter()
        .enumerate()
        .filter(|(_, (keys, _))| *keys > 0)
        .map(|(db, (keys, expires))| v1::DbStats { db: db as u32, keys: keys as u64, expires: expires as u64 })
        .collect();
    let stats = &server.stats;
    v1::NodeStats {
        role: if crate::cluster::replication::is_replica(server) { "slave" } else { "master" }.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_seconds: server.started.elapsed().as_secs(),
        timestamp_ms: crate::engine::now_ms(),
        worker_threads: u32::try_from(server.threads).unwrap_or(u32::MAX),
        worker_clients: server
            .resp_doors
            .worker_clients()
            .into_iter()
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            .collect(),
        shards: u32::try_from(server.keyspace.shard_count()).unwrap_or(u32::MAX),
        used_memory: number(server, "memory", "used_memory"),
        used_memory_rss: number(server, "memory", "used_memory_rss"),
        maxmemory: server.config.u64("maxmemory"),
        maxmemory_policy: server.config.string("maxmemory-policy"),
        connected_clients: server.clients.len() as u64,
        blocked_clients: ServerStats::get(&stats.blocked_clients),
        ops_per_sec: interval_calls as f64 / seconds,
        p50_usec: micros(histogram::percentile(&all, 50.0)),
        p99_usec: micros(histogram::percentile(&all, 99.0)),
        total_commands_processed: ServerStats::get(&stats.total_commands_processed),
        total_error_replies: ServerStats::get(&stats.total_error_replies),
        expired_keys: ks.expired_keys,
        evicted_keys: number(server, "stats", "evicted_keys"),
        keyspace_hits: ks.keyspace_hits,
        keyspace_misses: ks.keyspace_misses,
        keyspace,
        commands: per_command,
        slowlog_len: server.metrics.slowlog.len() as u64,
        persistence: persistence_state(server),
        repl_offset: crate::cluster::replication::offset(server),
        replicas: replicas(server),
        master_link_up: server.replication.following().is_some_and(|f| f.link_up),
    }
}

/// "off", "snapshots", "journal (everysec)"..., or "error: ..." while the journal cannot
/// be written.
fn persistence_state(server: &Server) -> String {
    match crate::persist::Mode::of(&server.config) {
        crate::persist::Mode::None => "off".to_owned(),
        crate::persist::Mode::Snapshots => "snapshots".to_owned(),
        crate::persist::Mode::Journal => match server.keyspace.journal() {
            Some(journal) if !journal.healthy() => {
                format!("error: {}", journal.last_error().unwrap_or_else(|| "cannot write the journal".into()))
            }
            Some(journal) => format!("journal ({})", journal.info().policy),
            None => "journal".to_owned(),
        },
    }
}

/// The primary's replicas with their lag.
fn replicas(server: &Server) -> Vec<v1::ReplicaStats> {
    let end = crate::cluster::replication::offset(server);
    server
        .replication
        .replicas()
        .into_iter()
        .map(|(_, link)| v1::ReplicaStats {
            addr: link.addr,
            offset: link.acked,
            lag_bytes: end.saturating_sub(link.acked),
        })
        .collect()
}
