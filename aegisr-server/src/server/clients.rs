//! Connected clients: what CLIENT LIST/INFO show and `maxclients` counts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

/// Which door a client came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Resp,
    Grpc,
}

/// One connected client, shared between its connection and the registry.
pub struct ClientHandle {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub fd: i64,
    pub door: Door,
    created: Instant,
    /// When the last command ran (or the client connected), on [`idle_clock_ms`].
    last_active_ms: AtomicU64,
    db: AtomicUsize,
    resp: AtomicU8,
    /// Bytes received and not yet run (CLIENT LIST's qbuf): a client listing itself sees
    /// its own CLIENT LIST there, as in Redis.
    query_buffer: AtomicUsize,
    name: Mutex<String>,
    lib: Mutex<(String, String)>,
    /// The ACL user the client runs as (CLIENT LIST's user=, CLIENT KILL USER).
    user: Mutex<String>,
    last_command: Mutex<&'static str>,
    /// Channels, patterns and shard channels subscribed to (CLIENT LIST's sub, psub, ssub).
    subscribed: [AtomicUsize; 3],
    /// In MONITOR mode (CLIENT LIST's flag O).
    monitoring: AtomicBool,
    /// A replication link: 1 a replica fed from here (flag S), 2 the master this node
    /// follows (flag M); 0 neither.
    link: AtomicU8,
    /// Cancelled to disconnect the client (CLIENT KILL, shutdown).
    pub kill: CancellationToken,
    /// CLIENT TRACKING as CLIENT LIST shows it: flags t, R, B (bits 0-2), and `redir`.
    tracking: AtomicU8,
    redirect: AtomicI64,
    /// Whether the client waits in a blocking command, and CLIENT UNBLOCK's request.
    pub blocking: super::unblock::BlockState,
}

/// Redis's client types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    Normal,
    Pubsub,
    Replica,
    Master,
}

impl ClientType {
    /// A type by the names Redis takes (`slave` for `replica`).
    pub fn parse(name: &str) -> Option<ClientType> {
        match name.to_ascii_lowercase().as_str() {
            "normal" => Some(ClientType::Normal),
            "pubsub" => Some(ClientType::Pubsub),
            "replica" | "slave" => Some(ClientType::Replica),
            "master" => Some(ClientType::Master),
            _ => None,
        }
    }
}

impl ClientHandle {
    pub fn set_db(&self, db: usize) {
        self.db.store(db, Ordering::Relaxed);
    }

    pub fn set_query_buffer(&self, bytes: usize) {
        self.query_buffer.store(bytes, Ordering::Relaxed);
    }

    pub fn query_buffer(&self) -> usize {
        self.query_buffer.load(Ordering::Relaxed)
    }

    pub fn set_resp(&self, version: u8) {
        self.resp.store(version, Ordering::Relaxed);
    }

    pub fn name(&self) -> String {
        self.name.lock().clone()
    }

    pub fn set_name(&self, name: &str) {
        *self.name.lock() = name.to_owned();
    }

    pub fn set_lib(&self, name: Option<&str>, version: Option<&str>) {
        let mut lib = self.lib.lock();
        if let Some(n) = name {
            lib.0 = n.to_owned();
        }
        if let Some(v) = version {
            lib.1 = v.to_owned();
        }
    }

    /// The ACL user the client runs as.
    pub fn user(&self) -> String {
        self.user.lock().clone()
    }

    pub fn set_user(&self, name: &str) {
        name.clone_into(&mut self.user.lock());
    }

    /// Records activity: called once per batch of commands, not per command.
    pub fn touch(&self, last_command: &'static str) {
        self.last_active_ms.store(idle_clock_ms(), Ordering::Relaxed);
        *self.last_command.lock() = last_command;
    }

    /// Records how many channels, patterns and shard channels the client subscribes to.
    pub fn set_subscribed(&self, channels: usize, patterns: usize, shard_channels: usize) {
        for (counter, n) in self.subscribed.iter().zip([channels, patterns, shard_channels]) {
            counter.store(n, Ordering::Relaxed);
        }
    }

    /// The protocol version the client speaks (2 or 3).
    pub fn resp(&self) -> u8 {
        self.resp.load(Ordering::Relaxed)
    }

    /// Records the tracking state for CLIENT LIST: `Some((redirect, broken, bcast))`, or
    /// `None` when the client does not track.
    pub fn set_tracking(&self, state: Option<(u64, bool, bool)>) {
        let (flags, redirect) = match state {
            Some((redirect, broken, bcast)) => {
                (1 | u8::from(broken) << 1 | u8::from(bcast) << 2, i64::try_from(redirect).unwrap_or(i64::MAX))
            }
            None => (0, -1),
        };
        self.tracking.store(flags, Ordering::Relaxed);
        self.redirect.store(redirect, Ordering::Relaxed);
    }

    /// Marks the client as a replica this node feeds (SYNC, PSYNC).
    pub fn set_replica(&self) {
        self.link.store(1, Ordering::Relaxed);
    }

    /// Marks the client as the master this node follows (the replication link's own).
    pub fn set_master(&self) {
        self.link.store(2, Ordering::Relaxed);
    }

    /// Redis's client type (CLIENT LIST TYPE, CLIENT KILL TYPE).
    pub fn client_type(&self) -> ClientType {
        match self.link.load(Ordering::Relaxed) {
            2 => ClientType::Master,
            1 if !self.monitoring.load(Ordering::Relaxed) => ClientType::Replica,
            _ if self.is_pubsub() => ClientType::Pubsub,
            _ => ClientType::Normal,
        }
    }

    /// CLIENT LIST's flags, in Redis's order.
    fn flags(&self) -> String {
        let mut flags = String::new();
        if self.monitoring.load(Ordering::Relaxed) {
            flags.push('O');
        }
        match self.link.load(Ordering::Relaxed) {
            1 if !self.monitoring.load(Ordering::Relaxed) => flags.push('S'),
            2 => flags.push('M'),
            _ => {}
        }
        if self.is_pubsub() {
            flags.push('P');
        }
        if self.blocking.is_blocked() {
            flags.push('b');
        }
        let tracking = self.tracking.load(Ordering::Relaxed);
        for (bit, letter) in [(1, 't'), (2, 'R'), (4, 'B')] {
            if tracking & bit != 0 {
                flags.push(letter);
            }
        }
        if flags.is_empty() {
            flags.push('N');
        }
        flags
    }

    pub fn set_monitoring(&self, on: bool) {
        self.monitoring.store(on, Ordering::Relaxed);
    }

    /// Whether the client subscribes to anything: Redis's `pubsub` client type (flag P).
    pub fn is_pubsub(&self) -> bool {
        self.subscribed.iter().any(|n| n.load(Ordering::Relaxed) > 0)
    }

    /// Seconds since the client connected.
    pub fn age_secs(&self) -> u64 {
        self.created.elapsed().as_secs()
    }

    /// Seconds since the last command.
    pub fn idle_secs(&self) -> u64 {
        idle_clock_ms().saturating_sub(self.last_active_ms.load(Ordering::Relaxed)) / 1000
    }

    /// The CLIENT LIST / CLIENT INFO line, with Redis 7's fields.
    pub fn info_line(&self) -> String {
        let (lib_name, lib_ver) = self.lib.lock().clone();
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi=-1 qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user={} redir={} resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            self.name(),
            self.created.elapsed().as_secs(),
            self.idle_secs(),
            self.flags(),
            self.db.load(Ordering::Relaxed),
            self.subscribed[0].load(Ordering::Relaxed),
            self.subscribed[1].load(Ordering::Relaxed),
            self.subscribed[2].load(Ordering::Relaxed),
            self.query_buffer.load(Ordering::Relaxed),
            self.last_command.lock(),
            self.user.lock(),
            self.redirect.load(Ordering::Relaxed),
            self.resp.load(Ordering::Relaxed),
            lib_name,
            lib_ver,
        )
    }
}

/// Milliseconds on the kernel's coarse monotonic clock: a client's idle time counts in
/// seconds, and each batch of commands stamps it, so the precise clock (which reads the
/// hardware counter) would be wasted here.
fn idle_clock_ms() -> u64 {
    #[cfg(target_os = "linux")]
    if let Some(ms) = crate::engine::coarse_clock_ms(libc::CLOCK_MONOTONIC_COARSE) {
        return u64::try_from(ms).unwrap_or(0);
    }
    static EPOCH: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);
    u64::try_from(EPOCH.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The registry of connected clients.
#[derive(Default)]
pub struct ClientRegistry {
    next_id: AtomicU64,
    clients: Mutex<BTreeMap<u64, Arc<ClientHandle>>>,
    /// Cancelled when the server shuts down; every client's `kill` is its child, so a
    /// connection waits on one token for both.
    closing: CancellationToken,
}

/// Keeps a client registered; unregisters it when dropped.
pub struct Registration<'a> {
    registry: &'a ClientRegistry,
    pub client: Arc<ClientHandle>,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.registry.clients.lock().remove(&self.client.id);
    }
}

impl ClientRegistry {
    /// A registry whose clients are all killed when `closing` is cancelled.
    pub fn closing_with(closing: CancellationToken) -> ClientRegistry {
        ClientRegistry { next_id: AtomicU64::new(0), clients: Mutex::default(), closing }
    }

    /// Registers a new client, unless `max` are already connected.
    pub fn register(&self, door: Door, addr: String, laddr: String, fd: i64, max: usize) -> Option<Registration<'_>> {
        let mut clients = self.clients.lock();
        if clients.len() >= max {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let client = Arc::new(ClientHandle {
            id,
            addr,
            laddr,
            fd,
            door,
            created: Instant::now(),
            last_active_ms: AtomicU64::new(idle_clock_ms()),
            db: AtomicUsize::new(0),
            resp: AtomicU8::new(2),
            query_buffer: AtomicUsize::new(0),
            name: Mutex::new(String::new()),
            lib: Mutex::new((String::new(), String::new())),
            user: Mutex::new("default".to_owned()),
            last_command: Mutex::new("NULL"),
            subscribed: Default::default(),
            monitoring: AtomicBool::new(false),
            link: AtomicU8::new(0),
            kill: self.closing.child_token(),
            tracking: AtomicU8::new(0),
            redirect: AtomicI64::new(-1),
            blocking: Default::default(),
        });
        clients.insert(id, client.clone());
        Some(Registration { registry: self, client })
    }

    pub fn len(&self) -> usize {
        self.clients.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A snapshot of every client, by id. A killed client is gone from the moment it is
    /// killed (as in Redis), though its connection may take a moment to close.
    /// The client with this id, unless it is gone or killed.
    pub fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        self.clients.lock().get(&id).filter(|c| !c.kill.is_cancelled()).cloned()
    }

    pub fn all(&self) -> Vec<Arc<ClientHandle>> {
        self.clients.lock().values().filter(|c| !c.kill.is_cancelled()).cloned().collect()
    }
}
