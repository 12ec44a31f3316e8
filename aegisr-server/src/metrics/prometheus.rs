//! The Prometheus text exposition (format 0.0.4) of the node's figures. Rendered from our
//! own counters on each scrape: one metrics stack, the one INFO reads too.

use std::fmt::Write as _;

use super::histogram;
use crate::server::{Server, ServerStats, info};

/// The `le` bounds of `aegisr_command_duration_seconds`, in nanoseconds: powers of two
/// (1.024 us to 8.6 s), which are edges of our latency buckets, so counts are exact.
const DURATION_BOUNDS_LOG2: [u32; 12] = [10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 33];

/// The content type Prometheus expects for this format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

struct Exposition {
    text: String,
}

impl Exposition {
    fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = write!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
        self.header(name, kind, help);
        let _ = writeln!(self.text, "{name} {value}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (label, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{label}=\"{}\"", escape(v));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }
}

/// Every metric of the node, as `/metrics` serves it.
pub fn render(server: &Server) -> String {
    let mut out = Exposition { text: String::with_capacity(16 * 1024) };
    let stats = &server.stats;
    let counter = |c: &std::sync::atomic::AtomicU64| ServerStats::get(c);

    out.single("aegisr_uptime_seconds", "gauge", "Seconds since the node started.", server.started.elapsed().as_secs());
    out.single("aegisr_worker_threads", "gauge", "Worker threads serving clients.", server.threads);
    out.single("aegisr_shards", "gauge", "Keyspace shards.", server.keyspace.shard_count());
    out.single("aegisr_connected_clients", "gauge", "Clients connected now.", server.clients.len());
    out.single(
        "aegisr_blocked_clients",
        "gauge",
        "Clients waiting in a blocking command.",
        counter(&stats.blocked_clients),
    );
    out.single(
        "aegisr_connections_received_total",
        "counter",
        "Connections accepted.",
        counter(&stats.total_connections_received),
    );
    out.single(
        "aegisr_rejected_connections_total",
        "counter",
        "Connections refused (maxclients).",
        counter(&stats.rejected_connections),
    );
    out.single(
        "aegisr_commands_processed_total",
        "counter",
        "Commands processed, all kinds.",
        counter(&stats.total_commands_processed),
    );
    out.single(
        "aegisr_net_input_bytes_total",
        "counter",
        "Bytes read from clients.",
        counter(&stats.total_net_input_bytes),
    );
    out.single(
        "aegisr_net_output_bytes_total",
        "counter",
        "Bytes written to clients.",
        counter(&stats.total_net_output_bytes),
    );
    out.single(
        "aegisr_net_repl_input_bytes_total",
        "counter",
        "Bytes read from the master (files and stream).",
        counter(&stats.total_net_repl_input_bytes),
    );
    out.single(
        "aegisr_net_repl_output_bytes_total",
        "counter",
        "Bytes written to replicas (files and stream).",
        counter(&stats.total_net_repl_output_bytes),
    );
    out.single("aegisr_error_replies_total", "counter", "Error replies sent.", counter(&stats.total_error_replies));

    let memory = |field: &str| info::field(server, "memory", field).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    out.single("aegisr_memory_used_bytes", "gauge", "Memory used by the node.", memory("used_memory"));
    out.single("aegisr_memory_rss_bytes", "gauge", "Resident set size of the process.", memory("used_memory_rss"));
    out.single("aegisr_memory_max_bytes", "gauge", "The maxmemory limit (0: none).", memory("maxmemory"));

    let ks = server.keyspace.stats(None);
    out.single("aegisr_expired_keys_total", "counter", "Keys removed because their TTL passed.", ks.expired_keys);
    let evicted = info::field(server, "stats", "evicted_keys").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    out.single("aegisr_evicted_keys_total", "counter", "Keys evicted to stay under maxmemory.", evicted);
    out.single("aegisr_keyspace_hits_total", "counter", "Key lookups that found the key.", ks.keyspace_hits);
    out.single("aegisr_keyspace_misses_total", "counter", "Key lookups that did not.", ks.keyspace_misses);

    let sizes = server.keyspace.db_sizes(None);
    out.header("aegisr_keys", "gauge", "Keys per logical database.");
    for (db, (keys, _)) in sizes.iter().enumerate().filter(|(_, (keys, _))| *keys > 0) {
        out.sample("aegisr_keys", &[("db", &db.to_string())], keys);
    }
    out.header("aegisr_expiring_keys", "gauge", "Keys with a TTL per logical database.");
    for (db, (_, expires)) in sizes.iter().enumerate().filter(|(_, (keys, _))| *keys > 0) {
        out.sample("aegisr_expiring_keys", &[("db", &db.to_string())], expires);
    }

    let cpu = super::cpu::times();
    out.single("aegisr_cpu_user_seconds_total", "counter", "User CPU time of the process.", cpu.user);
    out.single("aegisr_cpu_system_seconds_total", "counter", "System CPU time of the process.", cpu.sys);

    let commands = server.metrics.commands.seen();
    out.header("aegisr_commands_total", "counter", "Calls per command (subcommands as container|sub).");
    for c in &commands {
        out.sample("aegisr_commands_total", &[("cmd", c.name)], c.calls);
    }
    out.header(
        "aegisr_command_errors_total",
        "counter",
        "Commands that failed (ran, replied an error) or were rejected (refused before running).",
    );
    for c in &commands {
        out.sample("aegisr_command_errors_total", &[("cmd", c.name), ("kind", "failed")], c.failed);
        out.sample("aegisr_command_errors_total", &[("cmd", c.name), ("kind", "rejected")], c.rejected);
    }
    out.header("aegisr_command_duration_seconds", "histogram", "Time spent running each command.");
    for c in commands.iter().filter(|c| c.calls > 0) {
        let mut cumulative = 0u64;
        let mut bucket = 0;
        for log2 in DURATION_BOUNDS_LOG2 {
            let bound = 1u64 << log2;
            while bucket < histogram::BUCKETS && histogram::upper_bound(bucket) <= bound {
                cumulative += c.latency[bucket];
                bucket += 1;
            }
            let le = format!("{}", bound as f64 / 1e9);
            out.sample("aegisr_command_duration_seconds_bucket", &[("cmd", c.name), ("le", &le)], cumulative);
        }
        out.sample("aegisr_command_duration_seconds_bucket", &[("cmd", c.name), ("le", "+Inf")], c.calls);
        out.sample("aegisr_command_duration_seconds_sum", &[("cmd", c.name)], c.nanos as f64 / 1e9);
        out.sample("aegisr_command_duration_seconds_count", &[("cmd", c.name)], c.calls);
    }
    out.header("aegisr_errors_total", "counter", "Error replies by error code (ERR, WRONGTYPE...).");
    for (code, count) in server.metrics.errors.counts() {
        out.sample("aegisr_errors_total", &[("code", &code)], count);
    }
    out.single("aegisr_slowlog_length", "gauge", "Entries in the slow log.", server.metrics.slowlog.len());
    out.text
}
