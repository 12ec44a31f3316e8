//! Runs a workload: `threads` OS threads, each with its own single-threaded tokio runtime
//! (no work stealing, no cross-thread wake-ups on the hot path), each running `clients`
//! connections as local tasks. Stats are recorded per thread without locks and shipped to the
//! main thread a few times a second, which merges them, drives the progress bar and keeps the
//! per-second intervals for the HDR log.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::task::LocalSet;

use aegisr_proto::ClusterClient;

use crate::cli::Protocol;
use crate::cluster::{Connector, RespCluster};
use crate::grpc::GrpcConnection;
use crate::resp::{RespConnection, RespError};
use crate::stats::{Stats, latency_since, micros};
use crate::workload::{RequestGenerator, SequentialCursor, Workload, slice_start};

/// How often threads hand their stats to the main thread.
const SHIP_EVERY: Duration = Duration::from_millis(250);
/// Length of one interval of the HDR log and of the live ops/s figure.
const INTERVAL: Duration = Duration::from_secs(1);
/// How long to wait for clients to wind down after a fatal error before reporting anyway.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// The server to talk to and how.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port`.
    pub address: String,
    /// Wire protocol.
    pub protocol: Protocol,
    /// AUTH password (RESP).
    pub password: Option<String>,
    /// AUTH user name (RESP).
    pub user: Option<String>,
    /// Database to SELECT.
    pub db: u32,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Route each request to the cluster node owning its key's slot (`--cluster`).
    pub cluster: bool,
}

/// When a run ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// After this many requests in total.
    Requests(u64),
    /// After this long.
    Duration(Duration),
}

/// One run of a workload against one target.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// Where.
    pub target: Target,
    /// What.
    pub workload: Arc<Workload>,
    /// OS threads.
    pub threads: usize,
    /// Connections per thread.
    pub clients: usize,
    /// Requests in flight per connection.
    pub pipeline: usize,
    /// When to stop.
    pub limit: Limit,
    /// Open-loop rate, requests/s in total.
    pub rate: Option<f64>,
    /// Progress bar label; `None` hides the bar.
    pub progress: Option<String>,
}

/// Stats of one interval of a run.
#[derive(Debug, Clone)]
pub struct Interval {
    /// Start, from the start of the run.
    pub start: Duration,
    /// Length.
    pub length: Duration,
    /// What was recorded in it.
    pub stats: Stats,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Everything recorded.
    pub stats: Stats,
    /// From the moment all connections were ready to the last reply.
    pub elapsed: Duration,
    /// Wall-clock time the measured run started.
    pub started: SystemTime,
    /// Per-second stats.
    pub intervals: Vec<Interval>,
    /// The fatal error that cut the run short, if any (the stats are then partial).
    pub error: Option<String>,
}

/// Scheduled send times of one open-loop client: batch `k` is due at
/// `start + offset + k * period`, whatever happened to earlier batches.
#[derive(Debug, Clone)]
pub struct Schedule {
    start: Instant,
    period: f64,
    offset: f64,
    next: u64,
}

impl Schedule {
    /// A schedule sending batches of `batch` requests at `rate` requests/s; `phase` in
    /// `0.0..1.0` staggers clients so they do not all fire together.
    pub fn new(start: Instant, rate: f64, batch: usize, phase: f64) -> Schedule {
        let period = batch as f64 / rate;
        Schedule { start, period, offset: period * phase, next: 0 }
    }

    /// When the next batch is due.
    pub fn next_due(&mut self) -> Instant {
        let at = self.start + Duration::from_secs_f64(self.offset + self.next as f64 * self.period);
        self.next += 1;
        at
    }
}

/// tokio's timers tick in whole milliseconds and round deadlines up, so sleeping until `due`
/// would wake up to 1 ms late and that slack would be counted as latency. Sleeping until 1 ms
/// before instead wakes at most 1 ms early: the request goes out a little ahead of schedule
/// (the rate holds on average) and its latency is counted from the actual send (see
/// [`open_loop_origin`]).
async fn wait_for(due: Instant) {
    if let Some(early) = due.checked_sub(TIMER_GRANULARITY)
        && early > Instant::now()
    {
        tokio::time::sleep_until(early.into()).await;
    }
}

/// Granularity of tokio's timer wheel.
const TIMER_GRANULARITY: Duration = Duration::from_millis(1);

/// Where an open-loop request's latency is counted from: its scheduled time, so that time spent
/// queued behind a slow reply counts (no coordinated omission), or its actual send when the timer
/// let it go early.
#[inline]
pub fn open_loop_origin(due: Instant, sent: Instant) -> Instant {
    due.min(sent)
}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    error: Mutex<Option<String>>,
}

impl Shared {
    fn fail(&self, error: String) {
        if let Ok(mut slot) = self.error.lock() {
            slot.get_or_insert(error);
        }
        self.stop.store(true, Ordering::Relaxed);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|e| e.clone())
    }
}

enum Message {
    Stats(Stats),
    Done(Instant),
}

/// A connection of either protocol.
pub enum Connection {
    /// RESP over TCP.
    Resp(RespConnection),
    /// gRPC (boxed: a tonic client is several times larger than a RESP connection).
    Grpc(Box<GrpcConnection>),
    /// RESP to every node of a cluster, routed by slot (`--cluster`).
    RespCluster(Box<RespCluster>),
    /// gRPC to every node of a cluster, routed by slot (`--cluster`).
    GrpcCluster(Box<ClusterClient>),
}

/// Opens a connection and runs the setup commands (AUTH, SELECT); with `--cluster`, reads
/// the slot map through the target.
pub async fn connect(target: &Target) -> Result<Connection, String> {
    let address = &target.address;
    match (target.protocol, target.cluster) {
        (Protocol::Resp, true) => {
            let base = target.clone();
            let connector: Connector = std::rc::Rc::new(move |address: String| {
                let node = Target { address, ..base.clone() };
                Box::pin(async move { connect_resp(&node).await })
            });
            let cluster = RespCluster::connect(address, connector).await?;
            Ok(Connection::RespCluster(Box::new(cluster)))
        }
        (Protocol::Grpc, true) => {
            let client = ClusterClient::connect(address.clone())
                .await
                .map_err(|e| format!("cannot read the cluster's slot map from {address} (gRPC): {e}"))?;
            Ok(Connection::GrpcCluster(Box::new(client)))
        }
        (Protocol::Resp, false) => Ok(Connection::Resp(connect_resp(target).await?)),
        (Protocol::Grpc, false) => {
            let (user, password) = (target.user.as_deref(), target.password.as_deref());
            let conn = GrpcConnection::connect(address, target.db, target.connect_timeout, user, password).await?;
            Ok(Connection::Grpc(Box::new(conn)))
        }
    }
}

/// A RESP connection to `target.address` with AUTH and SELECT done.
async fn connect_resp(target: &Target) -> Result<RespConnection, String> {
    let address = &target.address;
    let mut conn = RespConnection::connect(address, target.connect_timeout)
        .await
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    if let Some(password) = &target.password {
        let result = match &target.user {
            Some(user) => conn.command(&["AUTH", user, password]).await,
            None => conn.command(&["AUTH", password]).await,
        };
        result.map_err(|e| format!("authentication to {address} failed: {e}"))?;
    }
    if target.db != 0 {
        let db = target.db.to_string();
        conn.command(&["SELECT", &db]).await.map_err(|e| format!("SELECT {db} on {address} failed: {e}"))?;
    }
    Ok(conn)
}

/// Whether an error reply means the workload itself is wrong (so running it is pointless).
fn is_fatal_reply(error: &str) -> bool {
    let lower = error.to_ascii_lowercase();
    lower.starts_with("err unknown command")
        || lower.starts_with("err unknown subcommand")
        || lower.starts_with("err wrong number of arguments")
        || lower.contains("syntax error")
        || lower.starts_with("noauth")
        || lower.starts_with("noperm")
        || lower.starts_with("wrongpass")
}

/// Checks the server is there and accepts every command of the workload, sending each once.
/// Returns a one-line error otherwise.
pub async fn preflight(target: &Target, workload: &Workload) -> Result<(), String> {
    if target.cluster {
        // The slot map can be read; the commands are then tried on the node given (a
        // redirection is no reason to stop).
        connect(target).await?;
    }
    let mut conn = connect(&Target { cluster: false, ..target.clone() }).await?;
    let mut generator = RequestGenerator::new(workload, u64::MAX, SequentialCursor::new(0));
    let address = &target.address;
    let ping = match &mut conn {
        Connection::Resp(c) => {
            crate::resp::encode_command(&mut c.out, &["PING"]);
            c.roundtrip_first_error(1).await.map_err(|e| format!("{address}: {e}"))?
        }
        Connection::Grpc(c) => c.execute(vec![Bytes::from_static(b"PING")]).await?,
        Connection::RespCluster(_) | Connection::GrpcCluster(_) => None,
    };
    if let Some(error) = ping {
        if error.starts_with("NOAUTH") {
            return Err(format!("{address} requires a password (use -a/--password): {error}"));
        }
        return Err(format!("{address} refused PING: {error}"));
    }
    for template in &workload.commands {
        let key = generator.next_key().to_vec();
        let data = workload.data.slice(..workload.value_size.max().min(workload.data.len()));
        let error = match &mut conn {
            Connection::Resp(c) => {
                template.encode_resp(&mut c.out, &key, &data);
                c.roundtrip_first_error(1).await.map_err(|e| format!("{address}: {e}"))?
            }
            Connection::Grpc(c) => c.execute(template.to_args(&key, &data)).await?,
            Connection::RespCluster(_) | Connection::GrpcCluster(_) => None,
        };
        if let Some(error) = error.filter(|e| is_fatal_reply(e)) {
            return Err(format!("the server rejects command \"{template}\": {}", error.trim_end()));
        }
    }
    Ok(())
}

/// What every client of a thread shares.
struct ThreadContext {
    workload: Arc<Workload>,
    shared: Arc<Shared>,
    stats: RefCell<Stats>,
    /// Requests this thread may still send (request-count runs).
    remaining: Cell<u64>,
    end: Option<Instant>,
    pipeline: usize,
    address: String,
}

impl ThreadContext {
    /// How many requests the next batch holds; 0 when the client should stop.
    #[inline]
    fn take_batch(&self, now: Instant) -> usize {
        if self.shared.stopped() {
            return 0;
        }
        match self.end {
            Some(end) => {
                if now >= end {
                    0
                } else {
                    self.pipeline
                }
            }
            None => {
                let remaining = self.remaining.get();
                let n = remaining.min(self.pipeline as u64);
                self.remaining.set(remaining - n);
                n as usize
            }
        }
    }
}

struct ClientPlan {
    id: u64,
    schedule: Option<Schedule>,
    cursor: SequentialCursor,
}

/// Waits for the next scheduled send (open loop) and claims the next batch: its intended
/// send time, if scheduled, and its size. `None` when the run is over.
async fn next_batch(ctx: &ThreadContext, schedule: &mut Option<Schedule>) -> Option<(Option<Instant>, usize)> {
    let due = match schedule {
        Some(s) => {
            let due = s.next_due();
            if ctx.end.is_some_and(|end| due >= end) {
                return None;
            }
            wait_for(due).await;
            Some(due)
        }
        None => None,
    };
    let n = ctx.take_batch(Instant::now());
    (n > 0).then_some((due, n))
}

async fn run_resp_client(mut conn: RespConnection, ctx: Rc<ThreadContext>, plan: ClientPlan) -> Result<(), String> {
    let workload = Arc::clone(&ctx.workload);
    let mut generator = RequestGenerator::new(&workload, plan.id, plan.cursor);
    let mut schedule = plan.schedule;
    let mut commands: Vec<usize> = Vec::with_capacity(ctx.pipeline);
    loop {
        let Some((due, n)) = next_batch(&ctx, &mut schedule).await else {
            break;
        };
        commands.clear();
        for _ in 0..n {
            commands.push(generator.encode_next_resp(&workload, &mut conn.out));
        }
        let now = Instant::now();
        let sent = due.map_or(now, |due| open_loop_origin(due, now));
        let lost = |e: RespError| format!("connection to {} lost: {e}", ctx.address);
        conn.flush().await.map_err(lost)?;
        let received = Cell::new(sent);
        conn.read_replies(
            n,
            || received.set(Instant::now()),
            |i, error| {
                let latency = micros(latency_since(sent, received.get()));
                ctx.stats.borrow_mut().record(commands[i], latency, error);
            },
        )
        .await
        .map_err(lost)?;
    }
    Ok(())
}

async fn run_grpc_client(mut conn: GrpcConnection, ctx: Rc<ThreadContext>, plan: ClientPlan) -> Result<(), String> {
    let workload = Arc::clone(&ctx.workload);
    let mut generator = RequestGenerator::new(&workload, plan.id, plan.cursor);
    let mut schedule = plan.schedule;
    let mut commands: Vec<usize> = Vec::with_capacity(ctx.pipeline);
    loop {
        let Some((due, n)) = next_batch(&ctx, &mut schedule).await else {
            break;
        };
        commands.clear();
        let mut batch = Vec::with_capacity(n);
        for _ in 0..n {
            let (index, args) = generator.next_args(&workload);
            commands.push(index);
            batch.push(args);
        }
        let now = Instant::now();
        let sent = due.map_or(now, |due| open_loop_origin(due, now));
        let errors = conn.run_batch(batch).await?;
        let latency = micros(latency_since(sent, Instant::now()));
        let mut stats = ctx.stats.borrow_mut();
        for (index, error) in commands.iter().zip(&errors) {
            stats.record(*index, latency, error.as_deref().map(str::as_bytes));
        }
    }
    Ok(())
}

/// A request of a batch: its command's index in the workload and its arguments.
type Request = (usize, Vec<Bytes>);

/// `--cluster` over RESP: each batch's requests go to their slots' owners at once (one
/// write per node), then the replies are read node by node; a redirected request is
/// followed on its own (see [`RespCluster::follow`]), its latency counted from the batch's
/// send.
async fn run_resp_cluster_client(
    mut cluster: RespCluster,
    ctx: Rc<ThreadContext>,
    plan: ClientPlan,
) -> Result<(), String> {
    let workload = Arc::clone(&ctx.workload);
    let mut generator = RequestGenerator::new(&workload, plan.id, plan.cursor);
    let mut schedule = plan.schedule;
    // Per node: its address and the batch's requests for it.
    let mut groups: Vec<(String, Vec<Request>)> = Vec::new();
    loop {
        let Some((due, n)) = next_batch(&ctx, &mut schedule).await else {
            break;
        };
        groups.clear();
        for _ in 0..n {
            let (index, args) = generator.next_args(&workload);
            let node = cluster.map.route(&args).unwrap_or_default().to_owned();
            match groups.iter_mut().find(|(addr, _)| *addr == node) {
                Some((_, requests)) => requests.push((index, args)),
                None => groups.push((node, vec![(index, args)])),
            }
        }
        let now = Instant::now();
        let sent = due.map_or(now, |due| open_loop_origin(due, now));
        for (node, requests) in &groups {
            let conn = cluster.connection(node).await?;
            for (_, args) in requests {
                crate::resp::encode_command(&mut conn.out, args);
            }
            conn.flush().await.map_err(|e| format!("connection to {node} lost: {e}"))?;
        }
        let mut redirected = Vec::new();
        for (node, requests) in &groups {
            let conn = cluster.connection(node).await?;
            let received = Cell::new(sent);
            let mut answered = 0;
            conn.read_replies(
                requests.len(),
                || received.set(Instant::now()),
                |i, error| match error.and_then(crate::cluster::redirect) {
                    Some(redirect) => redirected.push((i, redirect)),
                    None => {
                        let latency = micros(latency_since(sent, received.get()));
                        ctx.stats.borrow_mut().record(requests[i].0, latency, error);
                        answered += 1;
                    }
                },
            )
            .await
            .map_err(|e| format!("connection to {node} lost: {e}"))?;
            ctx.stats.borrow_mut().count_node(node, answered);
            for (i, redirect) in redirected.drain(..) {
                let (index, args) = &requests[i];
                let (answered_by, error) = cluster.follow(args, redirect).await?;
                let latency = micros(latency_since(sent, Instant::now()));
                let mut stats = ctx.stats.borrow_mut();
                stats.record(*index, latency, error.as_deref());
                stats.count_node(&answered_by, 1);
            }
        }
    }
    Ok(())
}

/// `--cluster` over gRPC: every request through [`ClusterClient`], one `Execute` each (the
/// batch's requests one after the other: `--pipeline` sets how many a client claims at once).
async fn run_grpc_cluster_client(
    mut cluster: ClusterClient,
    ctx: Rc<ThreadContext>,
    plan: ClientPlan,
) -> Result<(), String> {
    let workload = Arc::clone(&ctx.workload);
    let mut generator = RequestGenerator::new(&workload, plan.id, plan.cursor);
    let mut schedule = plan.schedule;
    loop {
        let Some((due, n)) = next_batch(&ctx, &mut schedule).await else {
            break;
        };
        let now = Instant::now();
        let mut sent = due.map_or(now, |due| open_loop_origin(due, now));
        for _ in 0..n {
            let (index, args) = generator.next_args(&workload);
            let (reply, node) =
                cluster.execute_routed(args).await.map_err(|e| format!("gRPC request to the cluster failed: {e}"))?;
            let answered = Instant::now();
            let latency = micros(latency_since(sent, answered));
            let mut stats = ctx.stats.borrow_mut();
            stats.record(index, latency, reply.as_error().map(|e| e.message.as_bytes()));
            stats.count_node(&node, 1);
            sent = answered;
        }
    }
    Ok(())
}

fn thread_main(thread: usize, spec: &RunSpec, shared: &Arc<Shared>, barrier: &Barrier, tx: &mpsc::Sender<Message>) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => Some(rt),
        Err(e) => {
            shared.fail(format!("cannot start a client thread: {e}"));
            None
        }
    };
    let local = LocalSet::new();
    let mut connections = Vec::with_capacity(spec.clients);
    if let Some(rt) = &runtime {
        local.block_on(rt, async {
            for _ in 0..spec.clients {
                if shared.stopped() {
                    break;
                }
                match connect(&spec.target).await {
                    Ok(c) => connections.push(c),
                    Err(e) => {
                        shared.fail(e);
                        break;
                    }
                }
            }
        });
    }
    // Everyone starts the clock together, once every connection is up.
    barrier.wait();
    let (Some(rt), false) = (runtime, shared.stopped()) else {
        let _ = tx.send(Message::Done(Instant::now()));
        return;
    };
    let start = Instant::now();
    let threads = spec.threads.max(1);
    let total_clients = (threads * spec.clients) as u64;
    let requests = match spec.limit {
        Limit::Requests(n) => slice_start(n, thread + 1, threads) - slice_start(n, thread, threads),
        Limit::Duration(_) => 0,
    };
    let ctx = Rc::new(ThreadContext {
        workload: Arc::clone(&spec.workload),
        shared: Arc::clone(shared),
        stats: RefCell::new(Stats::new(spec.workload.commands.len())),
        remaining: Cell::new(requests),
        end: match spec.limit {
            Limit::Duration(d) => Some(start + d),
            Limit::Requests(_) => None,
        },
        pipeline: spec.pipeline.max(1),
        address: spec.target.address.clone(),
    });
    let cursor = SequentialCursor::new(slice_start(spec.workload.keyspace, thread, threads));
    let per_client_rate = spec.rate.map(|r| r / total_clients as f64);
    local.block_on(&rt, async {
        let shipper = {
            let ctx = Rc::clone(&ctx);
            let tx = tx.clone();
            tokio::task::spawn_local(async move {
                let mut tick = tokio::time::interval(SHIP_EVERY);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let fresh = Stats::new(ctx.workload.commands.len());
                    let stats = ctx.stats.replace(fresh);
                    if tx.send(Message::Stats(stats)).is_err() {
                        break;
                    }
                }
            })
        };
        let mut tasks = Vec::with_capacity(connections.len());
        for (c, connection) in connections.into_iter().enumerate() {
            let id = (thread * spec.clients + c) as u64;
            let plan = ClientPlan {
                id,
                schedule: per_client_rate
                    .map(|rate| Schedule::new(start, rate, ctx.pipeline, id as f64 / total_clients as f64)),
                cursor: cursor.clone(),
            };
            let ctx = Rc::clone(&ctx);
            tasks.push(match connection {
                Connection::Resp(conn) => tokio::task::spawn_local(run_resp_client(conn, ctx, plan)),
                Connection::Grpc(conn) => tokio::task::spawn_local(run_grpc_client(*conn, ctx, plan)),
                Connection::RespCluster(cluster) => {
                    tokio::task::spawn_local(run_resp_cluster_client(*cluster, ctx, plan))
                }
                Connection::GrpcCluster(cluster) => {
                    tokio::task::spawn_local(run_grpc_cluster_client(*cluster, ctx, plan))
                }
            });
        }
        for task in tasks {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => shared.fail(e),
                Err(e) => shared.fail(format!("client task failed: {e}")),
            }
        }
        shipper.abort();
    });
    let finished = Instant::now();
    let _ = tx.send(Message::Stats(ctx.stats.replace(Stats::new(0))));
    let _ = tx.send(Message::Done(finished));
}

fn progress_bar(spec: &RunSpec) -> ProgressBar {
    let Some(label) = &spec.progress else { return ProgressBar::hidden() };
    let (len, unit) = match spec.limit {
        Limit::Requests(n) => (n, "{human_pos}/{human_len} req"),
        Limit::Duration(d) => (d.as_secs().max(1), "{pos}/{len} s"),
    };
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr_with_hz(4));
    let template = format!("{{prefix:>8}} [{{elapsed_precise}}] {{bar:30.cyan/blue}} {unit}  {{msg}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(label.clone());
    bar
}

/// Runs `spec` to completion (or to its first fatal error) and returns what was measured.
pub fn run(spec: &RunSpec) -> RunResult {
    let threads = spec.threads.max(1);
    let commands = spec.workload.commands.len();
    let shared = Arc::new(Shared::default());
    let barrier = Arc::new(Barrier::new(threads + 1));
    let (tx, rx) = mpsc::channel();
    for thread in 0..threads {
        let (spec, shared, barrier, tx) = (spec.clone(), Arc::clone(&shared), Arc::clone(&barrier), tx.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("bench-{thread}"))
            .spawn(move || thread_main(thread, &spec, &shared, &barrier, &tx));
        if let Err(e) = spawned {
            // Threads already started wait on the barrier forever; the process is about to
            // report the error and exit, which ends them.
            return RunResult {
                stats: Stats::new(commands),
                elapsed: Duration::ZERO,
                started: SystemTime::now(),
                intervals: Vec::new(),
                error: Some(format!("cannot start a client thread: {e}")),
            };
        }
    }
    drop(tx);
    // The clock starts once every connection is up, so connection setup is not measured.
    barrier.wait();
    let start = Instant::now();
    let started = SystemTime::now();
    let bar = if shared.stopped() { ProgressBar::hidden() } else { progress_bar(spec) };
    let mut total = Stats::new(commands);
    let mut current = Stats::new(commands);
    let mut interval_start = start;
    let mut intervals = Vec::new();
    let mut done = 0;
    let mut last_finish = start;
    let mut give_up_at: Option<Instant> = None;
    while done < threads {
        let now = Instant::now();
        let mut wait = (interval_start + INTERVAL).saturating_duration_since(now);
        if let Some(deadline) = give_up_at {
            wait = wait.min(deadline.saturating_duration_since(now));
        }
        match rx.recv_timeout(wait.max(Duration::from_millis(1))) {
            Ok(Message::Stats(stats)) => {
                total.merge(&stats);
                current.merge(&stats);
            }
            Ok(Message::Done(at)) => {
                done += 1;
                last_finish = last_finish.max(at);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let now = Instant::now();
        if now >= interval_start + INTERVAL {
            let length = now - interval_start;
            let summary = crate::stats::Summary::of(&current.total(), length);
            bar.set_message(format!(
                "{:>10.0} ops/s  p99 {:.3} ms{}",
                summary.ops_per_sec,
                summary.p99_ms,
                match total.errors() {
                    0 => String::new(),
                    n => format!("  {n} errors"),
                }
            ));
            intervals.push(Interval {
                start: interval_start - start,
                length,
                stats: std::mem::replace(&mut current, Stats::new(commands)),
            });
            interval_start = now;
        }
        match spec.limit {
            Limit::Requests(_) => bar.set_position(total.ops()),
            Limit::Duration(_) => bar.set_position(start.elapsed().as_secs()),
        }
        if shared.stopped() && give_up_at.is_none() {
            give_up_at = Some(now + STOP_GRACE);
        }
        if give_up_at.is_some_and(|deadline| now >= deadline) {
            break;
        }
    }
    // Drain stats already sent by threads that finished while we were giving up.
    while let Ok(message) = rx.try_recv() {
        if let Message::Stats(stats) = message {
            total.merge(&stats);
            current.merge(&stats);
        }
    }
    let end = if done == threads { last_finish } else { Instant::now() };
    if current.ops() > 0 {
        intervals.push(Interval {
            start: interval_start - start,
            length: end.saturating_duration_since(interval_start),
            stats: current,
        });
    }
    bar.finish_and_clear();
    RunResult { stats: total, elapsed: end.saturating_duration_since(start), started, intervals, error: shared.error() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::CommandStats;

    #[test]
    fn schedule_is_fixed_and_staggered() {
        let start = Instant::now();
        let mut s = Schedule::new(start, 1000.0, 10, 0.5);
        // 10 requests per batch at 1000/s: a batch every 10 ms, this client 5 ms in.
        let due: Vec<Duration> = (0..3).map(|_| s.next_due() - start).collect();
        let ms = |d: Duration| (d.as_secs_f64() * 1000.0).round() as u64;
        assert_eq!(due.iter().map(|d| ms(*d)).collect::<Vec<_>>(), [5, 15, 25]);
    }

    /// Simulates one open-loop client against a server that answers in 1 ms but stalls once
    /// for 100 ms, and records latencies both ways.
    fn simulate(measure_from_schedule: bool) -> CommandStats {
        let start = Instant::now();
        let mut schedule = Schedule::new(start, 1000.0, 1, 0.0);
        let mut stats = CommandStats::default();
        let mut free_at = start;
        for i in 0..1000 {
            let due = schedule.next_due();
            // The client can only send once its previous reply is in.
            let sent = due.max(free_at);
            let service = if i == 100 { Duration::from_millis(100) } else { Duration::from_micros(500) };
            let received = sent + service;
            free_at = received;
            let from = if measure_from_schedule { open_loop_origin(due, sent) } else { sent };
            stats.record(micros(latency_since(from, received)), None);
        }
        stats
    }

    #[test]
    fn coordinated_omission_is_corrected() {
        let naive = simulate(false);
        let corrected = simulate(true);
        // Measured from the send time, the stall is one slow request among 1000: p99 looks fine.
        assert_eq!(naive.latency.value_at_quantile(0.99), 500);
        // From the schedule, every request that queued behind it is late too: the backlog of
        // 100 ms drains by 0.5 ms per request, so about 200 requests are late by 100 ms down to
        // ~1 ms, which is what users of the server would have seen.
        assert!(corrected.latency.value_at_quantile(0.95) > 40_000, "{}", corrected.latency.value_at_quantile(0.95));
        assert!(corrected.latency.max() >= 100_000);
        let late = corrected
            .latency
            .iter_recorded()
            .filter(|v| v.value_iterated_to() > 1000)
            .map(|v| v.count_at_value())
            .sum::<u64>();
        assert!((190..=201).contains(&late), "{late}");
    }

    #[test]
    fn early_sends_count_from_the_send() {
        let due = Instant::now() + Duration::from_millis(5);
        let early = due - Duration::from_micros(300);
        let late = due + Duration::from_millis(2);
        assert_eq!(open_loop_origin(due, early), early);
        assert_eq!(open_loop_origin(due, late), due);
    }

    #[test]
    fn fatal_replies() {
        assert!(is_fatal_reply("ERR unknown command 'FOO', with args beginning with: "));
        assert!(is_fatal_reply("ERR wrong number of arguments for 'get' command"));
        assert!(is_fatal_reply("NOAUTH Authentication required."));
        assert!(!is_fatal_reply("WRONGTYPE Operation against a key holding the wrong kind of value"));
    }
}
