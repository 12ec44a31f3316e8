//! INFO: the node's state as sections of `field:value` lines, with Redis's field names. The
//! RESP INFO command and the Admin gRPC Info call both render this.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::rates::Metric;
use super::{Server, ServerStats};
use crate::commands::REDIS_VERSION;
use crate::engine::Tx;

/// One INFO section.
pub struct Section {
    pub name: &'static str,
    pub fields: Vec<(Cow<'static, str>, String)>,
}

/// Sections INFO prints without arguments (or with `default`), in Redis's order.
pub const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Every section (`all`, `everything`), in Redis's order; `aegisr` is ours.
pub const ALL_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
    "aegisr",
];

/// Shards listed one per line in the `aegisr` section up to this many; beyond, only the
/// spread (a node with thousands of shards would print pages).
const MAX_SHARD_LINES: usize = 256;

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes}B") } else { format!("{value:.2}{}", UNITS[unit]) }
}

/// Bytes allocated (the counting allocator), or the resident set size where the process
/// does not count (a test binary with another allocator).
pub fn used_memory() -> u64 {
    super::allocator::used().unwrap_or_else(rss_bytes)
}

/// Used memory as eviction counts it: without the journal's buffers (Redis likewise
/// leaves its AOF buffers out), so evicting keys, which appends records, converges.
pub fn used_memory_for_eviction(server: &super::Server) -> u64 {
    let journal = server.keyspace.journal().map_or(0, |j| j.buffered());
    used_memory().saturating_sub(journal)
}

/// `a / b` with two decimals, as Redis prints ratios (0 when `b` is 0).
fn ratio(a: u64, b: u64) -> String {
    if b == 0 { "0.00".to_owned() } else { format!("{:.2}", a as f64 / b as f64) }
}

/// Resident set size of this process, from /proc.
/// What the allocated memory goes to, as INFO memory and MEMORY STATS report it: the
/// overhead is what the node allocated at startup plus the journal's buffers and its
/// replication backlog; the dataset is the rest (client buffers included: they are not
/// counted apart).
pub struct MemoryUse {
    pub used: u64,
    pub startup: u64,
    pub aof_buffer: u64,
    pub backlog: u64,
    pub overhead: u64,
    pub dataset: u64,
}

impl MemoryUse {
    pub fn now(server: &Server) -> MemoryUse {
        let used = used_memory();
        let startup = super::allocator::startup();
        let journal = server.keyspace.journal();
        let journal = journal.as_deref();
        let aof_buffer = journal.map_or(0, |j| j.buffered());
        let backlog = journal.map_or(0, |j| j.backlog().held() as u64);
        let overhead = startup + aof_buffer + backlog;
        MemoryUse { used, startup, aof_buffer, backlog, overhead, dataset: used.saturating_sub(overhead) }
    }

    /// The dataset's share of what was allocated since startup, in percent.
    pub fn dataset_percent(&self) -> f64 {
        let net = self.used.saturating_sub(self.startup);
        if net == 0 { 0.0 } else { self.dataset as f64 * 100.0 / net as f64 }
    }
}

/// The machine's memory (`MemTotal` of /proc/meminfo), 0 where unknown.
fn total_system_memory() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/meminfo") else { return 0 };
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

pub fn rss_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .unwrap_or(0);
    pages * 4096
}

fn os_name() -> String {
    let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim().to_owned()).unwrap_or_default();
    format!("{} {} {}", read("/proc/sys/kernel/ostype"), read("/proc/sys/kernel/osrelease"), std::env::consts::ARCH)
}

/// Collects the requested sections (`all`, `everything`, `default` or section names;
/// unknown names are ignored, as in Redis). `tx`: the shards of the EXEC running INFO.
pub fn collect<'a>(server: &'a Server, wanted: &[String], tx: Tx<'a>) -> Vec<Section> {
    let wanted: Vec<String> = wanted.iter().map(|s| s.to_ascii_lowercase()).collect();
    let all = wanted.iter().any(|w| w == "all" || w == "everything");
    let default = wanted.is_empty() || wanted.iter().any(|w| w == "default");
    let mut sections = Vec::new();
    for &name in ALL_SECTIONS {
        if all || (default && DEFAULT_SECTIONS.contains(&name)) || wanted.iter().any(|w| w == name) {
            sections.push(Section { name, fields: fields(server, name, tx) });
        }
    }
    sections
}

/// One field of one section (e.g. `memory`, `used_memory`), for the other readers of the
/// same figures (Prometheus, the Admin stream).
pub fn field(server: &Server, section: &str, name: &str) -> Option<String> {
    fields(server, section, None).into_iter().find(|(field, _)| field == name).map(|(_, value)| value)
}

/// A duration in nanoseconds as microseconds with three decimals.
fn micros(nanos: u64) -> String {
    format!("{:.3}", nanos as f64 / 1000.0)
}

fn fields<'a>(server: &'a Server, section: &str, tx: Tx<'a>) -> Vec<(Cow<'static, str>, String)> {
    let stats = &server.stats;
    let uptime = server.started.elapsed().as_secs();
    match section {
        "server" => {
            let addrs = server.addrs.lock().clone();
            vec![
                ("redis_version".into(), REDIS_VERSION.to_owned()),
                // Not built from Redis's sources: its build fields say so, as a Redis built
                // outside git does.
                ("redis_git_sha1".into(), "00000000".to_owned()),
                ("redis_git_dirty".into(), "0".to_owned()),
                ("redis_build_id".into(), "0".to_owned()),
                ("aegisr_version".into(), env!("CARGO_PKG_VERSION").to_owned()),
                ("redis_mode".into(), "standalone".to_owned()),
                ("os".into(), os_name()),
                ("arch_bits".into(), (usize::BITS).to_string()),
                ("monotonic_clock".into(), "POSIX clock_gettime".to_owned()),
                ("multiplexing_api".into(), "epoll".to_owned()),
                ("atomicvar_api".into(), "c11-builtin".to_owned()),
                ("gcc_version".into(), "0.0.0".to_owned()),
                ("process_id".into(), std::process::id().to_string()),
                (
                    "process_supervised".into(),
                    if std::env::var_os("NOTIFY_SOCKET").is_some() { "systemd" } else { "no" }.to_owned(),
                ),
                ("run_id".into(), server.run_id.clone()),
                ("tcp_port".into(), addrs.resp.first().map_or(0, |a| a.port()).to_string()),
                ("grpc_port".into(), addrs.grpc.first().map_or(0, |a| a.port()).to_string()),
                ("server_time_usec".into(), (crate::engine::now_ms() * 1000).to_string()),
                ("uptime_in_seconds".into(), uptime.to_string()),
                ("uptime_in_days".into(), (uptime / 86400).to_string()),
                ("hz".into(), server.config.string("hz")),
                // No dynamic hz: the configured rate is the rate.
                ("configured_hz".into(), server.config.string("hz")),
                // Redis's LRU clock: seconds, on 24 bits.
                ("lru_clock".into(), ((crate::engine::now_ms() / 1000) & ((1 << 24) - 1)).to_string()),
                ("executable".into(), std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default()),
                ("config_file".into(), server.config.file().map(|p| p.display().to_string()).unwrap_or_default()),
                // Worker threads each do their own IO: no separate IO threads.
                ("io_threads_active".into(), "0".to_owned()),
                ("worker_threads".into(), server.threads.to_string()),
                // Where the connections are (see `worker-placement`).
                ("worker_clients".into(), comma_separated(&server.resp_doors.worker_clients())),
                ("shards".into(), server.keyspace.shard_count().to_string()),
            ]
        }
        "clients" => vec![
            ("connected_clients".into(), server.clients.len().to_string()),
            // The cluster's nodes talk over gRPC (Raft and replication), not a bus of
            // RESP connections.
            ("cluster_connections".into(), "0".to_owned()),
            ("maxclients".into(), server.config.string("maxclients")),
            // The largest query buffer a client holds now (an idle client holds none);
            // replies are written as soon as a batch has run, so none waits in a buffer.
            (
                "client_recent_max_input_buffer".into(),
                server.clients.all().iter().map(|c| c.query_buffer()).max().unwrap_or(0).to_string(),
            ),
            ("client_recent_max_output_buffer".into(), "0".to_owned()),
            ("blocked_clients".into(), ServerStats::get(&server.stats.blocked_clients).to_string()),
            ("clients_in_timeout_table".into(), ServerStats::get(&server.stats.clients_in_timeout_table).to_string()),
            ("tracking_clients".into(), server.pubsub.tracking.totals().0.to_string()),
        ],
        "memory" => {
            let rss = rss_bytes();
            let memory = MemoryUse::now(server);
            let (used, startup, journal_buffers) = (memory.used, memory.startup, memory.aof_buffer);
            let peak = super::allocator::peak(used);
            let maxmemory = server.config.u64("maxmemory");
            let system = total_system_memory();
            let lazyfree = server.keyspace.lazyfree_counts();
            let lua = server.scripting.memory.load(std::sync::atomic::Ordering::Relaxed) as u64;
            let scripts = server.scripting.cached.load(std::sync::atomic::Ordering::Relaxed);
            let relaxed = std::sync::atomic::Ordering::Relaxed;
            let script_bytes = server.scripting.script_bytes.load(relaxed) as u64;
            let functions = &server.scripting.functions;
            let functions_vm = functions.memory.load(relaxed) as u64;
            let function_bytes = functions.code_bytes.load(relaxed) as u64;
            vec![
                ("used_memory".into(), used.to_string()),
                ("used_memory_human".into(), human_bytes(used)),
                ("used_memory_rss".into(), rss.to_string()),
                ("used_memory_rss_human".into(), human_bytes(rss)),
                ("used_memory_peak".into(), peak.to_string()),
                ("used_memory_peak_human".into(), human_bytes(peak)),
                ("used_memory_peak_perc".into(), format!("{:.2}%", used as f64 * 100.0 / peak.max(1) as f64)),
                ("used_memory_overhead".into(), memory.overhead.to_string()),
                ("used_memory_startup".into(), startup.to_string()),
                ("used_memory_dataset".into(), memory.dataset.to_string()),
                ("used_memory_dataset_perc".into(), format!("{:.2}%", memory.dataset_percent())),
                // The allocator is counted, not asked: it reports what the node allocated,
                // and resident memory is the process's.
                ("allocator_allocated".into(), used.to_string()),
                ("allocator_active".into(), used.to_string()),
                ("allocator_resident".into(), rss.to_string()),
                ("total_system_memory".into(), system.to_string()),
                ("total_system_memory_human".into(), human_bytes(system)),
                ("used_memory_lua".into(), lua.to_string()),
                ("used_memory_vm_eval".into(), lua.to_string()),
                ("used_memory_lua_human".into(), human_bytes(lua)),
                ("used_memory_scripts_eval".into(), script_bytes.to_string()),
                ("number_of_cached_scripts".into(), scripts.to_string()),
                ("number_of_functions".into(), functions.function_count.load(relaxed).to_string()),
                ("number_of_libraries".into(), functions.library_count.load(relaxed).to_string()),
                ("used_memory_vm_functions".into(), functions_vm.to_string()),
                ("used_memory_vm_total".into(), (lua + functions_vm).to_string()),
                ("used_memory_vm_total_human".into(), human_bytes(lua + functions_vm)),
                ("used_memory_functions".into(), function_bytes.to_string()),
                ("used_memory_scripts".into(), (script_bytes + function_bytes).to_string()),
                ("used_memory_scripts_human".into(), human_bytes(script_bytes + function_bytes)),
                ("maxmemory".into(), maxmemory.to_string()),
                ("maxmemory_human".into(), human_bytes(maxmemory)),
                ("maxmemory_policy".into(), server.config.string("maxmemory-policy")),
                ("allocator_frag_ratio".into(), "1.00".to_owned()),
                ("allocator_frag_bytes".into(), "0".to_owned()),
                ("allocator_rss_ratio".into(), ratio(rss, used)),
                ("allocator_rss_bytes".into(), (rss as i64 - used as i64).to_string()),
                ("rss_overhead_ratio".into(), "1.00".to_owned()),
                ("rss_overhead_bytes".into(), "0".to_owned()),
                ("mem_fragmentation_ratio".into(), ratio(rss, used)),
                ("mem_fragmentation_bytes".into(), (rss as i64 - used as i64).to_string()),
                ("mem_not_counted_for_evict".into(), journal_buffers.to_string()),
                ("mem_clients_slaves".into(), "0".to_owned()),
                ("mem_clients_normal".into(), "0".to_owned()),
                ("mem_cluster_links".into(), "0".to_owned()),
                ("mem_aof_buffer".into(), journal_buffers.to_string()),
                ("mem_replication_backlog".into(), memory.backlog.to_string()),
                ("mem_total_replication_buffers".into(), memory.backlog.to_string()),
                ("mem_allocator".into(), "mimalloc".to_owned()),
                // No defragmentation pass (mimalloc returns freed pages by itself).
                ("active_defrag_running".into(), "0".to_owned()),
                // Large values are freed at once outside the shard lock; only flushed
                // databases (FLUSHALL / FLUSHDB ASYNC) are freed on a background thread.
                ("lazyfree_pending_objects".into(), lazyfree.0.to_string()),
                ("lazyfreed_objects".into(), lazyfree.1.to_string()),
            ]
        }
        "persistence" => crate::persist::info_fields(server).into_iter().map(|(k, v)| (k.into(), v)).collect(),
        "replication" => {
            crate::cluster::replication::info_fields(server).into_iter().map(|(k, v)| (k.into(), v)).collect()
        }
        "stats" => {
            let ks = server.keyspace.stats(tx);
            let exceeded = server.keyspace.eviction_exceeded_ms();
            let pubsub = server.pubsub.totals();
            let tracking = server.pubsub.tracking.totals();
            let kbps = |metric| format!("{:.2}", stats.rates.per_second(metric) / 1024.0);
            vec![
                ("total_connections_received".into(), ServerStats::get(&stats.total_connections_received).to_string()),
                ("total_commands_processed".into(), ServerStats::get(&stats.total_commands_processed).to_string()),
                ("instantaneous_ops_per_sec".into(), format!("{:.0}", stats.rates.per_second(Metric::Commands))),
                ("total_net_input_bytes".into(), ServerStats::get(&stats.total_net_input_bytes).to_string()),
                ("total_net_output_bytes".into(), ServerStats::get(&stats.total_net_output_bytes).to_string()),
                ("total_net_repl_input_bytes".into(), ServerStats::get(&stats.total_net_repl_input_bytes).to_string()),
                (
                    "total_net_repl_output_bytes".into(),
                    ServerStats::get(&stats.total_net_repl_output_bytes).to_string(),
                ),
                ("instantaneous_input_kbps".into(), kbps(Metric::NetInput)),
                ("instantaneous_output_kbps".into(), kbps(Metric::NetOutput)),
                ("instantaneous_input_repl_kbps".into(), kbps(Metric::ReplInput)),
                ("instantaneous_output_repl_kbps".into(), kbps(Metric::ReplOutput)),
                ("rejected_connections".into(), ServerStats::get(&stats.rejected_connections).to_string()),
                ("sync_full".into(), ServerStats::get(&stats.sync_full).to_string()),
                ("sync_partial_ok".into(), ServerStats::get(&stats.sync_partial_ok).to_string()),
                ("sync_partial_err".into(), ServerStats::get(&stats.sync_partial_err).to_string()),
                ("expired_keys".into(), ks.expired_keys.to_string()),
                ("expired_stale_perc".into(), format!("{:.2}", stats.expire_stale_share() * 100.0)),
                ("expired_time_cap_reached_count".into(), ServerStats::get(&stats.expire_time_cap_reached).to_string()),
                (
                    "expire_cycle_cpu_milliseconds".into(),
                    (ServerStats::get(&stats.expire_cycle_micros) / 1000).to_string(),
                ),
                ("evicted_keys".into(), ks.evicted_keys.to_string()),
                ("total_eviction_exceeded_time".into(), exceeded.1.to_string()),
                ("current_eviction_exceeded_time".into(), exceeded.0.to_string()),
                // No client eviction (maxmemory-clients), no defragmentation pass.
                ("evicted_clients".into(), "0".to_owned()),
                ("keyspace_hits".into(), ks.keyspace_hits.to_string()),
                ("keyspace_misses".into(), ks.keyspace_misses.to_string()),
                ("pubsub_channels".into(), pubsub.0.to_string()),
                ("pubsub_patterns".into(), pubsub.1.to_string()),
                ("pubsubshard_channels".into(), pubsub.2.to_string()),
                (
                    "client_output_buffer_limit_disconnections".into(),
                    server.pubsub.cut_off.load(std::sync::atomic::Ordering::Relaxed).to_string(),
                ),
                // Errors from a master or replica link are not replies to count here.
                ("unexpected_error_replies".into(), "0".to_owned()),
                ("total_error_replies".into(), ServerStats::get(&stats.total_error_replies).to_string()),
                // Redis counts the deep checks sanitize-dump-payload asks for; RESTORE
                // here checks every payload whole, uncounted.
                ("dump_payload_sanitizations".into(), "0".to_owned()),
                // Snapshots are written without fork(), and there is no I/O thread pool:
                // Redis's counters of these stay at zero.
                ("total_forks".into(), "0".to_owned()),
                ("latest_fork_usec".into(), "0".to_owned()),
                ("migrate_cached_sockets".into(), server.migrate_sockets.len().to_string()),
                ("active_defrag_hits".into(), "0".to_owned()),
                ("active_defrag_misses".into(), "0".to_owned()),
                ("active_defrag_key_hits".into(), "0".to_owned()),
                ("active_defrag_key_misses".into(), "0".to_owned()),
                ("total_active_defrag_time".into(), "0".to_owned()),
                ("current_active_defrag_time".into(), "0".to_owned()),
                // Replicas are read-only: none tracks keys it expired itself.
                ("slave_expires_tracked_keys".into(), "0".to_owned()),
                ("tracking_total_keys".into(), tracking.1.to_string()),
                ("tracking_total_items".into(), tracking.2.to_string()),
                ("tracking_total_prefixes".into(), tracking.3.to_string()),
                ("total_reads_processed".into(), ServerStats::get(&stats.total_reads_processed).to_string()),
                ("total_writes_processed".into(), ServerStats::get(&stats.total_writes_processed).to_string()),
                ("io_threaded_reads_processed".into(), "0".to_owned()),
                ("io_threaded_writes_processed".into(), "0".to_owned()),
                // Connection buffers come from a pool per worker, not resized per client.
                ("reply_buffer_shrinks".into(), "0".to_owned()),
                ("reply_buffer_expands".into(), "0".to_owned()),
            ]
        }
        "keyspace" => {
            let avg_ttls = server.keyspace.avg_ttls(tx);
            server
                .keyspace
                .db_sizes(tx)
                .into_iter()
                .zip(avg_ttls)
                .enumerate()
                .filter(|(_, ((keys, _), _))| *keys > 0)
                .map(|(db, ((keys, expires), avg_ttl))| {
                    (format!("db{db}").into(), format!("keys={keys},expires={expires},avg_ttl={avg_ttl}"))
                })
                .collect()
        }
        "cpu" => {
            let cpu = crate::metrics::cpu::times();
            let (workers_sys, workers_user) = server.resp_doors.worker_cpu_seconds();
            vec![
                ("used_cpu_sys".into(), format!("{:.6}", cpu.sys)),
                ("used_cpu_user".into(), format!("{:.6}", cpu.user)),
                ("used_cpu_sys_children".into(), format!("{:.6}", cpu.sys_children)),
                ("used_cpu_user_children".into(), format!("{:.6}", cpu.user_children)),
                // Redis's main thread runs the commands: here, the worker threads do.
                ("used_cpu_sys_main_thread".into(), format!("{workers_sys:.6}")),
                ("used_cpu_user_main_thread".into(), format!("{workers_user:.6}")),
            ]
        }
        "commandstats" => server
            .metrics
            .commands
            .seen()
            .into_iter()
            .map(|c| {
                let per_call = if c.calls == 0 { 0.0 } else { c.nanos as f64 / 1000.0 / c.calls as f64 };
                (
                    format!("cmdstat_{}", c.name).into(),
                    format!(
                        "calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                        c.calls,
                        c.usec(),
                        c.rejected,
                        c.failed
                    ),
                )
            })
            .collect(),
        "errorstats" => server
            .metrics
            .errors
            .counts()
            .into_iter()
            // A code is whatever a script made up: INFO's separators in it become '_' (Redis's
            // getSafeInfoString).
            .map(|(code, count)| {
                (format!("errorstat_{}", code.replace(['#', ':', '\r', '\n'], "_")).into(), format!("count={count}"))
            })
            .collect(),
        "latencystats" => {
            let percentiles = crate::config::percentiles(&server.config.string("latency-tracking-info-percentiles"))
                .unwrap_or_default();
            server
                .metrics
                .commands
                .seen()
                .into_iter()
                // Commands run while latency-tracking was off have no histogram to show.
                .filter(|c| c.latency.iter().any(|&n| n > 0))
                .map(|c| {
                    let at = |p: f64| micros(crate::metrics::histogram::percentile(&c.latency[..], p).unwrap_or(0));
                    let values: Vec<String> = percentiles
                        .iter()
                        .map(|&p| format!("p{}={}", crate::config::percentile_text(p), at(p)))
                        .collect();
                    (format!("latency_percentiles_usec_{}", c.name).into(), values.join(","))
                })
                .collect()
        }
        // No modules: the section is there, empty, as in a Redis without modules.
        "modules" => Vec::new(),
        "cluster" => {
            vec![("cluster_enabled".into(), u8::from(server.config.string("cluster-enabled") == "yes").to_string())]
        }
        "aegisr" => {
            let per_shard = server.keyspace.shard_key_counts(tx);
            let total: usize = per_shard.iter().sum();
            let mut fields: Vec<(Cow<'static, str>, String)> = vec![
                ("aegisr_version".into(), env!("CARGO_PKG_VERSION").to_owned()),
                // Worker threads each do their own IO: no separate IO threads.
                ("io_threads_active".into(), "0".to_owned()),
                ("worker_threads".into(), server.threads.to_string()),
                ("databases".into(), server.keyspace.databases().to_string()),
                ("shards".into(), per_shard.len().to_string()),
                ("shard_keys_min".into(), per_shard.iter().min().copied().unwrap_or(0).to_string()),
                ("shard_keys_max".into(), per_shard.iter().max().copied().unwrap_or(0).to_string()),
                ("shard_keys_avg".into(), format!("{:.2}", total as f64 / per_shard.len().max(1) as f64)),
                ("slowlog_len".into(), server.metrics.slowlog.len().to_string()),
            ];
            if per_shard.len() <= MAX_SHARD_LINES {
                fields.extend(
                    per_shard.iter().enumerate().map(|(i, keys)| (format!("shard{i}").into(), format!("keys={keys}"))),
                );
            }
            fields
        }
        _ => Vec::new(),
    }
}

/// Renders sections as Redis does: `# Name` headers, CRLF lines, a blank line between.
pub fn render(sections: &[Section]) -> String {
    let mut text = String::new();
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            text.push_str("\r\n");
        }
        let mut title = section.name.to_owned();
        if title == "cpu" {
            title.make_ascii_uppercase();
        } else if let Some(first) = title.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        let _ = write!(text, "# {title}\r\n");
        for (field, value) in &section.fields {
            let _ = write!(text, "{field}:{value}\r\n");
        }
    }
    text
}

/// `1,2,3`.
fn comma_separated(numbers: &[usize]) -> String {
    numbers.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}
