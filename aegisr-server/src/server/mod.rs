//! The node: shared state every door reaches, and the start-up and shutdown sequence.

pub mod abortable;
pub mod allocator;
pub(crate) mod balancer;
mod clients;
pub mod failover;
pub mod info;
pub mod monitor;
pub mod pause;
mod rates;
mod resp_doors;
pub mod shutdown;
mod stats;
pub mod unblock;
mod workers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use clients::{ClientHandle, ClientRegistry, ClientType, Door, Registration};
pub use resp_doors::RespDoors;
pub use stats::ServerStats;
pub use workers::{Destination, Seat, Workers, let_others_run, off_loop};

use crate::config::ConfigStore;
use crate::engine::Keyspace;
use crate::resp::master_position;

/// Addresses the listeners are bound to (ports resolved when 0 was asked for).
#[derive(Debug, Default, Clone)]
pub struct BoundAddrs {
    pub resp: Vec<SocketAddr>,
    pub grpc: Vec<SocketAddr>,
    pub metrics: Vec<SocketAddr>,
    /// The cluster bus (empty unless cluster mode is on).
    pub cluster: Vec<SocketAddr>,
}

/// The state shared by every connection and background task of one node.
pub struct Server {
    pub keyspace: Keyspace,
    /// Users, their permissions, and the ACL LOG.
    pub acl: crate::acl::Acl,
    pub config: ConfigStore,
    pub clients: ClientRegistry,
    /// Shared with the keyspace's notifier, which publishes keyspace events.
    pub pubsub: Arc<crate::pubsub::PubSub>,
    pub stats: ServerStats,
    /// Per-command statistics, error counts and the slow log.
    pub metrics: crate::metrics::Metrics,
    pub started: Instant,
    pub run_id: String,
    pub threads: usize,
    /// Cancelled when the node shuts down: listeners stop, connections close after their
    /// in-flight replies.
    pub shutdown: CancellationToken,
    /// Snapshot bookkeeping (SAVE, BGSAVE, the save rules, INFO persistence).
    pub saves: crate::persist::SaveState,
    /// CLIENT PAUSE.
    pub pause: pause::Pause,
    /// The clients in MONITOR mode.
    pub monitors: monitor::Monitors,
    pub addrs: Mutex<BoundAddrs>,
    /// The RESP listeners' accept loops, which CONFIG SET port moves.
    pub resp_doors: RespDoors,
    /// Cluster mode: where each slot is served (set once the control plane is up).
    pub router: std::sync::OnceLock<crate::cluster::routing::Router>,
    /// Replicas connected to this node, or the primary it follows.
    pub replication: crate::cluster::replication::ReplicationState,
    /// A coordinated failover to a Redis replica under way (see `failover`).
    pub failover: failover::FailoverState,
    /// A shutdown waiting for replicas (see `shutdown`).
    pub pending_shutdown: abortable::Abortable,
    /// Streams to Redis replicas, for PSYNC to continue.
    pub redis_replicas: crate::resp::ReplicaStreams,
    /// Cluster mode: the control plane.
    pub cluster: std::sync::OnceLock<Arc<crate::cluster::control::ControlPlane>>,
    /// Cluster mode: publishes to the other nodes.
    pub fanout: crate::cluster::bus::Fanout,
    /// Cluster mode: writes admitted to slots migrating away, fenced by the migration's
    /// last pass.
    pub migration_fence: Arc<crate::cluster::migration::WriteFence>,
    /// EVAL and SCRIPT: the Lua state, its script cache, the running script.
    pub scripting: crate::scripting::Scripting,
    /// MIGRATE's cached connections to its targets.
    pub migrate_sockets: crate::commands::migrate::Sockets,
    /// DEBUG PAUSE-CRON: the periodic work (active expiry, eviction, the tracking table's
    /// bound, rates) is skipped, as Redis's serverCron is paused.
    pub cron_paused: std::sync::atomic::AtomicBool,
    /// The node itself, for a command that starts a thread holding it (REPLICAOF).
    me: std::sync::OnceLock<std::sync::Weak<Server>>,
}

impl Server {
    /// The running node, shared (`None` for a node not started by [`run`]).
    pub fn shared(&self) -> Option<Arc<Server>> {
        self.me.get().and_then(std::sync::Weak::upgrade)
    }

    /// A node with `threads` workers over the given configuration.
    pub fn new(config: ConfigStore, threads: usize) -> Server {
        let shards = match config.u64("shards") {
            0 => (threads * 16).next_power_of_two(),
            n => usize::try_from(n).unwrap_or(16384),
        };
        let databases = usize::try_from(config.u64("databases")).unwrap_or(16);
        let pubsub = Arc::new(crate::pubsub::PubSub::default());
        let metrics = crate::metrics::Metrics::default();
        let notifier = crate::pubsub::notify::Notifier::new(pubsub.clone(), config.shared_limits());
        let acl = crate::acl::Acl::new();
        let requirepass = config.string("requirepass");
        if !requirepass.is_empty() {
            acl.set_requirepass(&requirepass);
        }
        acl.set_pubsub_default(config.string("acl-pubsub-default") == "allchannels");
        let shutdown = CancellationToken::new();
        Server {
            acl,
            keyspace: Keyspace::new(shards, databases)
                .with_notifier(notifier)
                .with_limits(config.shared_limits())
                .with_latency_monitor(metrics.latency.clone()),
            config,
            clients: ClientRegistry::closing_with(shutdown.clone()),
            pubsub,
            stats: ServerStats::default(),
            metrics,
            started: Instant::now(),
            run_id: random_hex40(),
            threads,
            shutdown: shutdown.clone(),
            saves: crate::persist::SaveState::default(),
            pause: pause::Pause::default(),
            monitors: monitor::Monitors::default(),
            addrs: Mutex::new(BoundAddrs::default()),
            resp_doors: RespDoors::default(),
            router: std::sync::OnceLock::new(),
            replication: Default::default(),
            redis_replicas: Default::default(),
            pending_shutdown: Default::default(),
            failover: Default::default(),
            cluster: std::sync::OnceLock::new(),
            fanout: Default::default(),
            migration_fence: Arc::default(),
            scripting: crate::scripting::Scripting::new(shutdown),
            migrate_sockets: crate::commands::migrate::Sockets::default(),
            cron_paused: std::sync::atomic::AtomicBool::new(false),
            me: std::sync::OnceLock::new(),
        }
    }
}

/// Worker threads for a configured value (0: one per core).
pub fn worker_threads(configured: u64) -> usize {
    match configured {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => usize::try_from(n).unwrap_or(1),
    }
}

/// After port 0 picked a free port, CONFIG GET port says which (and a later CONFIG SET
/// port compares with the port really in use).
fn record_port(config: &ConfigStore, port: u16) {
    if config.u64("port") != u64::from(port) {
        let _ = config.set_many(&[("port".to_owned(), port.to_string())], true);
    }
}

/// `host:port`, with an IPv6 host in brackets.
fn listen_address(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// The addresses of `bind`. One written `-addr` is optional, as in Redis (`bind 127.0.0.1
/// -::1`): left out, with a warning, when this machine does not have it (no IPv6, say).
fn usable_binds(bind: &str) -> Vec<String> {
    bind.split_whitespace()
        .filter_map(|host| match host.strip_prefix('-') {
            None => Some(host.to_owned()),
            Some(host) => match std::net::TcpListener::bind(listen_address(host, 0)) {
                Ok(_) => Some(host.to_owned()),
                Err(e) => {
                    tracing::warn!("not listening on {host} (optional in bind): {e}");
                    None
                }
            },
        })
        .collect()
}

async fn bind_all(binds: &[String], port: u16) -> anyhow::Result<Vec<TcpListener>> {
    let mut listeners = Vec::new();
    let mut port = port;
    for host in binds {
        let addr = listen_address(host, port);
        let listener = TcpListener::bind(&addr).await.with_context(|| format!("cannot listen on {addr}"))?;
        // With port 0, every address gets the port the first one was given.
        port = listener.local_addr()?.port();
        listeners.push(listener);
    }
    Ok(listeners)
}

/// The listeners of the HTTP metrics endpoint; none when `port` is negative. A port that
/// cannot be bound is logged and the node runs without the endpoint: it is for tooling,
/// and refusing to serve data because a scrape port is taken would be the worse failure.
async fn bind_metrics(binds: &[String], port: i64) -> Vec<TcpListener> {
    let Ok(port) = u16::try_from(port) else { return Vec::new() };
    match bind_all(binds, port).await {
        Ok(listeners) => listeners,
        Err(e) => {
            tracing::warn!("metrics endpoint off: {e:#}");
            Vec::new()
        }
    }
}

/// `replicaof "<host> <port>"` (the option or `--replicaof`): follows that Redis master from
/// the start, as REPLICAOF does.
/// `saved`: where the last clean shutdown left a master's stream (`master_position`).
fn follow_configured_master(server: &Arc<Server>, saved: Option<master_position::Saved>) -> anyhow::Result<()> {
    let value = server.config.string("replicaof");
    let words: Vec<&str> = value.split_whitespace().collect();
    let (host, port) = match words.as_slice() {
        [] => return Ok(()),
        [host, port] => (*host, port.parse::<u16>().ok()),
        _ => ("", None),
    };
    let port = port.with_context(|| format!("option 'replicaof' wants \"<host> <port>\", not \"{value}\""))?;
    anyhow::ensure!(
        !cluster_enabled(&server.config),
        "option 'replicaof' is for standalone nodes: a cluster node's replicas come from the cluster (--replicas)"
    );
    let position = saved
        .filter(|(saved_host, saved_port, _)| (saved_host.as_str(), *saved_port) == (host, port))
        .map(|(_, _, position)| position);
    let link = match position {
        Some(position) => {
            tracing::info!(
                "following {host}:{port} (replicaof) from offset {} of {}",
                position.offset,
                position.replid
            );
            crate::resp::master_link::MasterLink::start_at(server, host.to_owned(), port, position)
        }
        None => {
            tracing::info!("following {host}:{port} (replicaof)");
            crate::resp::master_link::MasterLink::start(server, host.to_owned(), port)
        }
    }
    .context("cannot start following the master")?;
    server.replication.set_upstream(Some(link));
    Ok(())
}

/// Runs a node until it is shut down (SHUTDOWN, Admin.Shutdown, SIGINT or SIGTERM). Call
/// it on a current-thread runtime: it keeps the control work (accepting, gRPC, expiry,
/// signals) there and serves RESP connections on `threads` worker threads of their own.
pub async fn run(config: ConfigStore, threads: usize) -> anyhow::Result<()> {
    let binds = usable_binds(&config.string("bind"));
    anyhow::ensure!(!binds.is_empty(), "option 'bind' names no address");
    let resp_port = u16::try_from(config.u64("port")).context("option 'port' out of range")?;
    let grpc_port = u16::try_from(config.u64("grpc-port")).context("option 'grpc-port' out of range")?;
    let server = Arc::new(Server::new(config, threads));
    let _ = server.me.set(Arc::downgrade(&server));
    // What the node holds before any data: INFO's used_memory_startup.
    allocator::mark_startup();
    let aclfile = crate::acl::file::configured_path(&server.config);
    let file_users = server.config.file_users();
    if let Some(aclfile) = aclfile {
        anyhow::ensure!(
            file_users.is_empty(),
            "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both."
        );
        let users = crate::acl::file::read(&aclfile, server.acl.all_channels_by_default())
            .map_err(|e| anyhow::anyhow!("Aborting startup because of ACL errors: {e}"))?;
        server.acl.replace_all(users);
    } else if !file_users.is_empty() {
        // A redis.conf's `user` lines (and `--user` flags): read as an ACL file's.
        let file = server.config.file().unwrap_or_default();
        let mut users = crate::acl::file::parse(&file, &file_users.join("\n"), server.acl.all_channels_by_default())
            .map_err(|e| {
                anyhow::anyhow!(
                    "Aborting startup because of ACL errors in the `user` lines of the config file or command line: {e}"
                )
            })?;
        // Unlike an ACL file's, these lines leave the default user as it is unless they
        // define it (requirepass keeps its effect), as in Redis.
        if !users.iter().any(|(name, _)| name == "default") {
            users.push(("default".to_owned(), (*server.acl.default_user().user()).clone()));
        }
        server.acl.replace_all(users);
    }
    crate::persist::start(&server)?;
    // Taken at every start (used or not) before anything changes the data: see
    // `master_position`.
    let saved_position = (crate::persist::Mode::of(&server.config) != crate::persist::Mode::None)
        .then(|| master_position::take(std::path::Path::new(&server.config.string("dir"))))
        .flatten();

    let resp_listeners = bind_all(&binds, resp_port).await?;
    if let Some(chosen) = resp_listeners.first().and_then(|l| l.local_addr().ok()) {
        record_port(&server.config, chosen.port());
    }
    let grpc_listeners = bind_all(&binds, grpc_port).await?;
    let metrics_listeners = bind_metrics(&binds, server.config.i64("metrics-port")).await;
    {
        let mut addrs = server.addrs.lock();
        addrs.resp = resp_listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
        addrs.grpc = grpc_listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
        for a in &addrs.resp {
            tracing::info!("RESP listening on {a}");
        }
        for a in &addrs.grpc {
            tracing::info!("gRPC listening on {a}");
        }
        addrs.metrics = metrics_listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
        for a in &addrs.metrics {
            tracing::info!("metrics listening on {a}");
        }
    }
    if cluster_enabled(&server.config) {
        start_cluster(&server, &binds).await?;
    } else if std::path::Path::new(&server.config.string("dir")).join("cluster").exists() {
        tracing::warn!(
            "the data directory holds cluster state (its cluster/ folder) but cluster mode is off: this node runs standalone (start it with --cluster to rejoin its cluster)"
        );
    }
    follow_configured_master(&server, saved_position)?;
    let signals = watch_signals(server.clone());
    tracing::info!(
        threads,
        shards = server.keyspace.shard_count(),
        databases = server.keyspace.databases(),
        "Ready to accept connections"
    );

    let tracker = TaskTracker::new();
    let workers = Arc::new(Workers::start(threads, &server.shutdown, &tracker).context("cannot start worker threads")?);
    server.resp_doors.open(&server, binds.clone(), resp_listeners, workers.clone(), tracker.clone());
    {
        let (workers, server) = (workers.clone(), server.clone());
        tracker.spawn(async move {
            let spread = || balancer::spread_configured(&server.config);
            workers.balance(&server.shutdown, spread).await;
        });
    }
    for listener in grpc_listeners {
        tracker.spawn(crate::grpc::serve(server.clone(), listener));
    }
    // Not tracked: a scraper's idle keep-alive connection must not hold up shutdown.
    for listener in metrics_listeners {
        tokio::spawn(crate::metrics::http::serve(server.clone(), listener));
    }
    tokio::spawn(expiry_ticker(server.clone()));
    tokio::spawn(crate::persist::ticker(server.clone()));
    tokio::spawn(signals);

    server.shutdown.cancelled().await;
    tracing::info!("Shutting down: no new connections, finishing in-flight replies");
    tracker.close();
    if tokio::time::timeout(Duration::from_secs(10), tracker.wait()).await.is_err() {
        tracing::warn!("some connections did not finish within 10 s; closing them");
    }
    server.resp_doors.close();
    if let Ok(workers) = Arc::try_unwrap(workers) {
        tokio::task::spawn_blocking(move || workers.join()).await.ok();
    }
    if let Some(control) = server.cluster.get() {
        control.shutdown().await;
    }
    // The master followed stops before the data is written out: all it applied is on
    // disk then, and where that is in its stream is kept for the next start.
    let upstream = server.replication.stop_upstream();
    let on_disk = crate::persist::stop(&server);
    if let Some((host, port, Some(position))) = upstream.filter(|_| on_disk) {
        let dir = std::path::PathBuf::from(server.config.string("dir"));
        match master_position::save(&dir, &host, port, &position) {
            Ok(()) => tracing::info!(
                "replication position {}:{} of {host}:{port} kept: the next start continues from there",
                position.replid,
                position.offset
            ),
            Err(e) => tracing::warn!("cannot keep the replication position: {e}; the next start syncs in full"),
        }
    }
    tracing::info!("Aegisr is now ready to exit, bye bye...");
    Ok(())
}

/// 40 random hexadecimal characters, as Redis's run IDs and diskless-transfer end marks.
pub fn random_hex40() -> String {
    (0..40).map(|_| char::from(b"0123456789abcdef"[fastrand::usize(..16)])).collect()
}

/// Cluster mode: `cluster-enabled`, or a `join` address (which implies it).
fn cluster_enabled(config: &ConfigStore) -> bool {
    config.bool("cluster-enabled") || !config.string("join").trim().is_empty()
}

/// Binds the cluster bus, starts the control plane on it and brings the node into its
/// cluster (bootstrap, join or rejoin); the node serves clients only after that.
async fn start_cluster(server: &Arc<Server>, binds: &[String]) -> anyhow::Result<()> {
    use crate::cluster::control::{ControlOptions, ControlPlane, service};
    let config = &server.config;
    let (resp_port, grpc_port) = {
        let addrs = server.addrs.lock();
        (addrs.resp.first().map_or(0, SocketAddr::port), addrs.grpc.first().map_or(0, SocketAddr::port))
    };
    let cluster_port = match config.i64("cluster-port") {
        // A RESP port picked free: the cluster port is picked free too.
        -1 if config.u64("port") == 0 => 0,
        // As Redis's cluster bus: the RESP port + 10000.
        -1 => u16::try_from(u32::from(resp_port) + 10000)
            .ok()
            .context("the cluster port (the RESP port + 10000) is above 65535: set --cluster-port")?,
        port => u16::try_from(port).context("option 'cluster-port' out of range")?,
    };
    let listeners = bind_all(binds, cluster_port).await?;
    let cluster_port = listeners.first().and_then(|l| l.local_addr().ok()).map_or(cluster_port, |a| a.port());
    {
        let mut addrs = server.addrs.lock();
        addrs.cluster = listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
        for a in &addrs.cluster {
            tracing::info!("cluster bus listening on {a}");
        }
    }
    // Behind NAT or a proxy the others reach this node's cluster port at another port.
    let announced_port = match config.u64("cluster-announce-bus-port") {
        0 => cluster_port,
        port => u16::try_from(port).context("option 'cluster-announce-bus-port' out of range")?,
    };
    let options = ControlOptions {
        dir: std::path::PathBuf::from(config.string("dir")),
        host: announce_ip(config, binds),
        resp_port,
        grpc_port,
        cluster_port: announced_port,
        source_addr: crate::cluster::endpoint::check_source_addr(config)?,
        replicas: u32::try_from(config.u64("replicas")).unwrap_or(1),
        failover_timeout: Duration::from_millis(config.u64("failover-timeout")),
        node_gone_timeout: match config.u64("node-gone-timeout") {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        },
    };
    let control = ControlPlane::open(&options).await?;
    for listener in listeners {
        let data_plane = crate::cluster::node::services(server);
        tokio::spawn(service::serve(control.clone(), data_plane, listener, server.shutdown.clone()));
    }
    let join = config.string("join");
    let join = Some(join.trim()).filter(|j| !j.is_empty());
    if let Err(e) = control.start(join).await {
        control.shutdown().await;
        return Err(e.into());
    }
    let _ = server.cluster.set(control.clone());
    // Routing is in place before the first client command; the runner keeps it current.
    crate::cluster::node::start(server.clone(), control);
    Ok(())
}

/// The address other nodes and clients are told: `cluster-announce-ip`, else the bind
/// address when it is one specific IP, else loopback.
fn announce_ip(config: &ConfigStore, binds: &[String]) -> String {
    let configured = config.string("cluster-announce-ip");
    if !configured.trim().is_empty() {
        return configured.trim().to_owned();
    }
    match binds {
        [one] => match one.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
            Ok(ip) if !ip.is_unspecified() => ip.to_string(),
            _ => "127.0.0.1".to_owned(),
        },
        _ => "127.0.0.1".to_owned(),
    }
}

/// The node's periodic work (Redis's serverCron, as much of it as Aegisr needs).
/// Active expiry: `hz` passes a second, each bounded per shard; a pass that finds many
/// expired keys is followed at once by another, up to a quarter of the tick.
/// `active-expire-effort` (1-10) raises all three as Redis's does: keys per pass, share of
/// the tick, and (lowered) the share of expired keys that is tolerated.
async fn expiry_ticker(server: Arc<Server>) {
    loop {
        let effort = server.config.u64("active-expire-effort").clamp(1, 10) - 1;
        let budget_per_shard = 64 + 16 * usize::try_from(effort).unwrap_or(0);
        let (time_share, stale_percent) = (25 + 2 * effort as u32, 10 - effort as usize);
        let hz = server.config.limits().hz.load(std::sync::atomic::Ordering::Relaxed).clamp(1, 500);
        let tick = Duration::from_millis(1000 / hz);
        tokio::select! {
            () = server.shutdown.cancelled() => return,
            () = tokio::time::sleep(tick) => {}
        }
        if server.cron_paused.load(std::sync::atomic::Ordering::Relaxed) {
            continue;
        }
        // A lowered tracking-table-max-keys is reached here too when no command arrives.
        let limits = server.config.limits();
        server.pubsub.tracking.bound(server.config.u64("tracking-table-max-keys"), limits);
        let stats = &server.stats;
        stats.rates.sample([
            ServerStats::get(&stats.total_commands_processed),
            ServerStats::get(&stats.total_net_input_bytes),
            ServerStats::get(&stats.total_net_output_bytes),
            ServerStats::get(&stats.total_net_repl_input_bytes),
            ServerStats::get(&stats.total_net_repl_output_bytes),
        ]);
        // A script holds every shard: waiting for one here would block a thread of the
        // runtime that accepts connections (SCRIPT KILL must get through). Redis runs no
        // cron while a script is busy either.
        if server.scripting.run.is_running() {
            continue;
        }
        let started = Instant::now();
        let (mut examined, mut expired) = (0, 0);
        loop {
            let pass = server.keyspace.active_expire_pass(budget_per_shard);
            examined += pass.examined;
            expired += pass.expired;
            // Go on while more than the tolerated share of what was looked at had expired
            // (a tenth at the least effort), within the tick's share.
            let capped = started.elapsed() > tick * time_share / 100;
            let stale = pass.expired * 100 > pass.examined * stale_percent;
            if pass.examined == 0 || !stale || capped {
                stats.expire_cycle(examined, expired, started.elapsed(), capped && stale);
                break;
            }
            tokio::task::yield_now().await;
        }
        let latency_threshold =
            server.config.limits().latency_monitor_threshold.load(std::sync::atomic::Ordering::Relaxed);
        server.metrics.latency.add_if_needed(latency_threshold, "expire-cycle", started.elapsed());
        server.migrate_sockets.close_idle();
        crate::cluster::replication::drop_idle_backlog(&server);
        // Over maxmemory with no command arriving, or after CONFIG SET lowered it, keys are
        // evicted here too (as Redis's eviction time proc does), for up to a quarter tick.
        let started = Instant::now();
        while server.keyspace.evict_to_limit(&|| info::used_memory_for_eviction(&server))
            == crate::engine::evict::Outcome::Running
            && started.elapsed() < tick / 4
        {
            tokio::task::yield_now().await;
        }
    }
}

/// Installs the SIGTERM/SIGINT handlers now (before "Ready" is logged, so a signal sent
/// as soon as the node says it is ready stops it cleanly) and returns the task that waits
/// for them.
fn watch_signals(server: Arc<Server>) -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let handlers = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()));
    async move {
        let (Ok(mut term), Ok(mut int)) = handlers else {
            tracing::warn!("cannot install signal handlers; use SHUTDOWN to stop");
            return;
        };
        let shutdown = server.shutdown.clone();
        tokio::select! {
            _ = term.recv() => tracing::info!("Received SIGTERM scheduling shutdown..."),
            _ = int.recv() => tracing::info!("Received SIGINT scheduling shutdown..."),
            () = shutdown.cancelled() => return,
        }
        shutdown::begin(&server, false);
        // While the shutdown waits for replicas, a second signal stops the node at once.
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            () = shutdown.cancelled() => return,
        }
        tracing::warn!("You insist... exiting now.");
        shutdown.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_optional_bind_address_this_machine_lacks_is_left_out() {
        // 192.0.2.0/24 is for documentation: no machine has it. Nothing is sent anywhere.
        assert_eq!(usable_binds("127.0.0.1 -192.0.2.77 -127.0.0.2"), ["127.0.0.1", "127.0.0.2"]);
    }

    #[test]
    fn the_announced_address_is_the_configured_one_else_a_specific_bind_address() {
        let config = ConfigStore::new();
        let binds = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(announce_ip(&config, &binds(&["10.1.2.3"])), "10.1.2.3");
        assert_eq!(announce_ip(&config, &binds(&["::1"])), "::1");
        assert_eq!(announce_ip(&config, &binds(&["0.0.0.0"])), "127.0.0.1");
        assert_eq!(announce_ip(&config, &binds(&["10.1.2.3", "::1"])), "127.0.0.1");
        assert_eq!(announce_ip(&config, &binds(&["localhost"])), "127.0.0.1");
        config.set_many(&[("cluster-announce-ip".to_owned(), "192.0.2.7".to_owned())], true).unwrap();
        assert_eq!(announce_ip(&config, &binds(&["0.0.0.0"])), "192.0.2.7");
    }
}
