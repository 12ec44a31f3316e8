//! Following a Redis master: `REPLICAOF host port` on a standalone node makes it a replica
//! of a Redis (or Valkey, or Aegisr) server, the way a dataset moves to Aegisr without
//! stopping its clients: follow the old master, let the clients move, `REPLICAOF NO ONE`.
//!
//! A thread of its own speaks the replica's side of Redis's protocol: PING, REPLCONF
//! listening-port and capa, `PSYNC ? -1`, the RDB file (after its length, or between EOF
//! marks when the master sends it from memory), then every write as the master propagates
//! it, applied through the command table as the node's own journal replays records (so the
//! node's persistence keeps what it receives). It acknowledges its offset every second and
//! when asked (`REPLCONF GETACK`). A broken link is retried every second and continues
//! where the data is (`PSYNC <replid> <offset>`, a partial resync) when the master's
//! backlog still holds what it missed, else with a full sync (as does a start after a
//! clean shutdown, from the position it kept: `master_position`); meanwhile, as a Redis
//! replica, the node serves the data it has and refuses writes from its clients
//! (`replica-read-only`). Redis replicas may follow the node meanwhile (chained, as Redis
//! allows): they get its journal's records, which hold the master's writes as the node
//! applied them; a new file from the master, which no record carries, ends their streams
//! and they sync again. Failovers go both ways: the master's `FAILOVER TO` this node
//! ends the link (`PSYNC ... FAILOVER`, see `commands::sync`), and this node's FAILOVER to
//! its own Redis replica starts one with that PSYNC (`server::failover`).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::master_position::Position;
use crate::cluster::replication::Following;
use crate::persist::record::{LoggedCommand, Record};
use crate::persist::recovery::Replayer;
use crate::server::{Server, ServerStats};

/// How often the link looks at its stop flag while it waits for the master.
const TICK: Duration = Duration::from_millis(100);

/// Most arguments in one command of the stream: a bound on what a header may make this
/// node reserve (the master sends what its clients sent, which it bounded already).
const MAX_ARGS: usize = 1 << 20;

/// A running link to a Redis master.
#[derive(Debug)]
pub struct MasterLink {
    pub host: String,
    pub port: u16,
    stop: Arc<AtomicBool>,
    /// Held while the link changes the dataset: `REPLICAOF NO ONE` takes it after stopping
    /// the link, so nothing from the old master lands once it has answered. It holds where
    /// the data is in the master's stream, once that is known to reach the disk with the
    /// data (see `master_position`).
    applying: Arc<parking_lot::Mutex<Option<Position>>>,
}

/// Where a link starts: from nothing (`PSYNC ? -1`), or continuing a stream this node's
/// data is at, for a coordinated failover to the replica it fed (`PSYNC <replid>
/// <offset> FAILOVER` makes that replica a master which this node then follows).
#[derive(Debug, Clone)]
pub struct HandOver {
    pub replid: String,
    /// The stream's bytes this node's data holds.
    pub offset: u64,
}

/// Where a hand-over continues: the new master, a primary from then on, selects its
/// database before its first write.
fn handed_over(hand_over: &HandOver) -> Position {
    Position { replid: hand_over.replid.clone(), offset: hand_over.offset, db: 0 }
}

impl MasterLink {
    /// Starts following `host:port` on a thread of its own.
    pub fn start(server: &Arc<Server>, host: String, port: u16) -> std::io::Result<MasterLink> {
        MasterLink::start_from(server, host, port, None)
    }

    /// [`MasterLink::start`], continuing from `position` (the data's, kept across a
    /// restart) rather than asking for the master's file.
    pub fn start_at(server: &Arc<Server>, host: String, port: u16, position: Position) -> std::io::Result<MasterLink> {
        MasterLink::spawn(server, host, port, None, Some(position))
    }

    /// [`MasterLink::start`], handing over to `host:port` first when `hand_over` says so.
    pub fn start_from(
        server: &Arc<Server>,
        host: String,
        port: u16,
        hand_over: Option<HandOver>,
    ) -> std::io::Result<MasterLink> {
        // This node's data was its own, in its journal: known to be on disk.
        let position = hand_over.as_ref().map(handed_over);
        MasterLink::spawn(server, host, port, hand_over, position)
    }

    fn spawn(
        server: &Arc<Server>,
        host: String,
        port: u16,
        hand_over: Option<HandOver>,
        position: Option<Position>,
    ) -> std::io::Result<MasterLink> {
        let stop = Arc::new(AtomicBool::new(false));
        let applying = Arc::new(parking_lot::Mutex::new(position));
        let link = MasterLink { host: host.clone(), port, stop: stop.clone(), applying: applying.clone() };
        server.replication.update_following(|f| {
            *f = Following { primary: format!("{host}:{port}"), ..Default::default() };
        });
        let server = server.clone();
        std::thread::Builder::new()
            .name("aegisr-master-link".into())
            .spawn(move || follow(&server, &host, port, &stop, &applying, hand_over))?;
        Ok(link)
    }

    /// Stops the link; returns once nothing more from the master will change the data,
    /// with where the data then is in the master's stream, if that is known to reach the
    /// disk with it.
    pub fn stop(self) -> Option<Position> {
        self.stop.store(true, Ordering::Release);
        self.applying.lock().clone()
    }
}

fn follow(
    server: &Arc<Server>,
    host: &str,
    port: u16,
    stop: &AtomicBool,
    applying: &parking_lot::Mutex<Option<Position>>,
    mut hand_over: Option<HandOver>,
) {
    // As on a Redis replica, keys expire when the master says so (its DEL), not here.
    let _following = server.keyspace.follow_primary();
    // A link that breaks after its full sync is retried in a second, as Redis does; one
    // that fails before (no master there, a file this node cannot load) waits twice as
    // long each time, up to half a minute, rather than asking for a new file every second.
    let mut failures = 0u32;
    // Where the last link left the data: the next one asks to continue from there.
    let mut resume: Option<Position> = applying.lock().clone();
    while !stop.load(Ordering::Acquire) && !server.shutdown.is_cancelled() {
        // The master's client, one per connection as in Redis (CLIENT LIST flag M):
        // CLIENT KILL TYPE master breaks the link, which then resyncs.
        // The master's PUBLISH reach this node's subscribers, as a Redis replica's.
        let mut replayer = match Replayer::new(server, "").map(Replayer::publishing) {
            Ok(replayer) => replayer,
            Err(e) => {
                tracing::error!("cannot follow {host}:{port}: {e:#}");
                return;
            }
        };
        replayer.client().set_master();
        let mut link = Link {
            server,
            stop,
            applying,
            replayer: &mut replayer,
            replid: String::new(),
            offset: 0,
            applied: 0,
            applied_db: 0,
            synced: false,
        };
        let result = link.session(host, port, resume.take(), hand_over.is_some());
        failures = if link.synced { 0 } else { failures.saturating_add(1) };
        if link.synced {
            resume = Some(Position { replid: link.replid.clone(), offset: link.applied, db: link.applied_db });
            hand_over = None;
        } else if let Some(h) = &hand_over {
            // The hand-over is asked again until it is taken (or the failover gives up).
            resume = Some(handed_over(h));
        }
        let delay = Duration::from_secs(1 << failures.saturating_sub(1).min(5)).min(Duration::from_secs(30));
        server.replication.touch_following(|f| {
            f.link_up = false;
            f.sync = None;
        });
        if stop.load(Ordering::Acquire) || server.shutdown.is_cancelled() {
            break;
        }
        if let Err(e) = result {
            tracing::warn!("replication from {host}:{port}: {e}; retrying in {} s", delay.as_secs());
        }
        let retry = Instant::now() + delay;
        while Instant::now() < retry && !stop.load(Ordering::Acquire) && !server.shutdown.is_cancelled() {
            std::thread::sleep(TICK);
        }
    }
    tracing::info!("stopped following {host}:{port}");
}

/// One connection to the master.
struct Link<'a, 's> {
    server: &'a Arc<Server>,
    stop: &'a AtomicBool,
    applying: &'a parking_lot::Mutex<Option<Position>>,
    replayer: &'a mut Replayer<'s>,
    /// The master's replication id and offset reached (what PSYNC said, plus the stream
    /// since), and the offset up to which everything is applied (before a transaction
    /// still coming in): where a partial resync continues from.
    replid: String,
    offset: u64,
    applied: u64,
    /// The database the stream had selected at `applied`.
    applied_db: usize,
    /// Whether the master's file was loaded.
    synced: bool,
}

impl Link<'_, '_> {
    fn session(&mut self, host: &str, port: u16, resume: Option<Position>, hand_over: bool) -> Result<(), String> {
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host} has no address"))?;
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        stream.set_read_timeout(Some(TICK)).map_err(|e| e.to_string())?;
        let _ = stream.set_nodelay(true);
        let mut conn = Conn {
            killed: self.replayer.client().kill.clone(),
            stream,
            input: Vec::new(),
            at: 0,
            stop: self.stop,
            shutdown: &self.server.shutdown,
            stats: &self.server.stats,
            last_io: Instant::now(),
            max_bulk: usize::try_from(self.server.config.u64("proto-max-bulk-len")).unwrap_or(usize::MAX),
        };
        let config = &self.server.config;
        let (user, password) = (config.string("masteruser"), config.string("masterauth"));
        if !password.is_empty() {
            let mut auth = vec!["AUTH"];
            if !user.is_empty() {
                auth.push(&user);
            }
            auth.push(&password);
            conn.send(&auth)?;
            // Redis's words, which tools and tests look for in the log.
            let reply = conn.reply_line(self.timeout())?;
            if !reply.starts_with('+') {
                return Err(format!("Unable to AUTH to MASTER: {reply}"));
            }
        }
        conn.send(&["PING"])?;
        let pong = conn.reply_line(self.timeout())?;
        if pong.starts_with("-NOAUTH") || pong.starts_with("-NOPERM") || pong.starts_with("-WRONGPASS") {
            return Err(format!("the master refused PING ({pong}): set masterauth (and masteruser)"));
        }
        let listening = self.server.addrs.lock().resp.first().map_or(0, std::net::SocketAddr::port);
        conn.send(&["REPLCONF", "listening-port", &listening.to_string()])?;
        conn.reply_line(self.timeout())?;
        conn.send(&["REPLCONF", "capa", "eof", "capa", "psync2"])?;
        conn.reply_line(self.timeout())?;
        // After a break, ask to continue where the data is; the master answers +CONTINUE
        // if its backlog still holds what follows, else sends its file again.
        match &resume {
            Some(r) if hand_over => conn.send(&["PSYNC", &r.replid, &(r.offset + 1).to_string(), "FAILOVER"])?,
            Some(r) => conn.send(&["PSYNC", &r.replid, &(r.offset + 1).to_string()])?,
            None => conn.send(&["PSYNC", "?", "-1"])?,
        }
        let reply = conn.reply_line(self.timeout())?;
        if hand_over && !reply.starts_with("+CONTINUE") {
            // Never a full sync instead: the failover gives up and this node stays a primary.
            return Err(format!("the replica refused to take over (PSYNC FAILOVER answered '{reply}')"));
        }
        let mut words = reply.split(' ');
        if let (Some("+CONTINUE"), Some(Position { replid, offset: applied, db })) = (words.next(), resume) {
            // A new id after the master's own failover; the offsets go on.
            self.replid = words.next().map_or(replid, str::to_owned);
            (self.offset, self.applied, self.applied_db, self.synced) = (applied, applied, db, true);
            if let Some(position) = self.applying.lock().as_mut() {
                position.replid.clone_from(&self.replid);
            }
            self.server.replication.touch_following(|f| {
                f.link_up = true;
                f.replid = self.replid.clone();
                f.last_io = Some(Instant::now());
            });
            tracing::info!("partial resync with {host}:{port} from offset {applied}; applying its writes");
            // The stream goes on in the database it had selected: the master selects it
            // again only when it changes (a Redis replica keeps its master client's).
            return self.stream(&mut conn, db);
        }
        let mut words = reply.split(' ');
        let (Some("+FULLRESYNC"), Some(replid), Some(offset)) = (words.next(), words.next(), words.next()) else {
            return Err(format!("PSYNC answered '{reply}'"));
        };
        let offset: u64 = offset.parse().map_err(|_| format!("PSYNC answered '{reply}'"))?;
        tracing::info!("full sync from {host}:{port}: the master's replication id {replid}, offset {offset}");
        let dir = crate::persist::backup::temp_dir(self.server, "sync").map_err(|e| e.to_string())?;
        let file = dir.path().join("master.rdb");
        let replication = &self.server.replication;
        let mut progress = |total: i64, read: u64| {
            replication.touch_following(|f| {
                f.sync = Some((total, read));
                f.last_io = Some(Instant::now());
            });
        };
        progress(-1, 0);
        conn.receive_rdb(&file, self.timeout(), &mut progress)?;
        let keys = self.load(&file, Position { replid: replid.to_owned(), offset, db: 0 })?;
        drop(dir);
        self.synced = true;
        (self.replid, self.offset, self.applied, self.applied_db) = (replid.to_owned(), offset, offset, 0);
        self.server.replication.touch_following(|f| {
            f.link_up = true;
            f.replid = replid.to_owned();
            (f.offset, f.read_offset) = (offset, offset);
            f.full_syncs += 1;
            f.last_io = Some(Instant::now());
            f.sync = None;
        });
        tracing::info!("in sync with {host}:{port} ({keys} keys); applying its writes");
        // After a file the master selects its database before its first write.
        self.stream(&mut conn, 0)
    }

    /// `repl-timeout`: how long the master may stay silent.
    fn timeout(&self) -> Duration {
        Duration::from_secs(self.server.config.u64("repl-timeout").max(1))
    }

    /// Replaces the dataset with the master's RDB file, which is at `at` in its stream.
    fn load(&mut self, file: &Path, at: Position) -> Result<u64, String> {
        let mut applying = self.applying.lock();
        if self.stop.load(Ordering::Acquire) {
            return Err("stopped".into());
        }
        let server = &**self.server;
        let keyspace = &server.keyspace;
        let claim = crate::persist::claim_snapshots_for_load(server, || self.stop.load(Ordering::Acquire));
        let bytes = std::fs::metadata(file).map_or(0, |m| m.len());
        let loading = server.saves.loading(bytes);
        // This node's own replicas (chained) follow its journal, which will not carry the
        // new file: they come back for a full sync once it is loaded (meanwhile PSYNC gets
        // LOADING). Ended before the load, so that they stop getting writes at once, and
        // after it, for a replica whose sync began as the load did.
        super::replica_feed::end_all(server);
        // Where the data was in the stream is no more; where it will be is known to reach
        // the disk once the snapshot below is written.
        *applying = None;
        keyspace.flush(None, false, None);
        let mut delay = server.config.i64("key-load-delay");
        let loaded = crate::persist::rdb::import::load_into(server, file, |keys| {
            // Read again now and then: a test turns it off to let the load finish.
            if keys % 256 == 0 {
                delay = server.config.i64("key-load-delay");
            }
            key_load_delay(delay, keys);
        })
        .map_err(|e| format!("the master's RDB file cannot be loaded: {e}"))?;
        server.saves.loaded(loaded.keys);
        super::replica_feed::end_all(server);
        // The data is whole: clients are served again while the snapshot is written.
        drop(loading);
        match claim.map(|claim| claim.snapshot()) {
            Some(Ok(_)) => *applying = Some(at),
            Some(Err(e)) => {
                tracing::warn!("no snapshot after the full sync: {e}; a restart before the next one loses it");
            }
            None => {}
        }
        Ok(loaded.keys)
    }

    /// Applies the master's writes until the link breaks or is stopped.
    fn stream(&mut self, conn: &mut Conn<'_>, mut db: usize) -> Result<(), String> {
        let mut transaction: Option<Vec<LoggedCommand>> = None;
        // The first acknowledgement says the file is loaded: a master that sent it from
        // memory starts the stream only then.
        conn.send(&["REPLCONF", "ACK", &self.applied.to_string()])?;
        let mut last_ack = Instant::now();
        loop {
            while let Some((args, used)) = parse_command(&conn.input[conn.at..], conn.max_bulk)? {
                conn.at += used;
                let name = args.first().map_or(&b""[..], |a| &a[..]);
                let is = |wanted: &str| crate::commands::args::is(name, wanted);
                if is("select") {
                    db = args
                        .get(1)
                        .and_then(|n| std::str::from_utf8(n).ok()?.parse().ok())
                        .filter(|&n| n < self.server.keyspace.databases())
                        .ok_or("the master selected a database this node does not have")?;
                } else if is("replconf") {
                    if args.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"getack")) {
                        conn.send(&["REPLCONF", "ACK", &self.applied.to_string()])?;
                        last_ack = Instant::now();
                    }
                } else if is("multi") {
                    transaction = Some(Vec::new());
                } else if is("exec") {
                    let commands = transaction.take().unwrap_or_default();
                    self.apply(commands, self.offset + used as u64, db)?;
                } else if !is("ping") {
                    let command = LoggedCommand { db, args };
                    match &mut transaction {
                        Some(queued) => queued.push(command),
                        None => self.apply(vec![command], self.offset + used as u64, db)?,
                    }
                }
                self.offset += used as u64;
                if transaction.is_none() {
                    (self.applied, self.applied_db) = (self.offset, db);
                }
            }
            if conn.at == conn.input.len() {
                conn.input.clear();
                conn.at = 0;
            }
            // As a Redis replica's offset, what it acknowledges and shows stays before a
            // transaction until its EXEC has been applied.
            self.server.replication.touch_following(|f| {
                f.offset = self.applied;
                // Read but not applied yet: a command still coming in, or a transaction.
                f.read_offset = self.offset + (conn.input.len() - conn.at) as u64;
                f.last_io = Some(conn.last_io);
            });
            // Acknowledged once a second, idle or not (the master measures its replicas'
            // lag by it).
            if last_ack.elapsed() >= Duration::from_secs(1) {
                conn.send(&["REPLCONF", "ACK", &self.applied.to_string()])?;
                last_ack = Instant::now();
            }
            conn.poll(self.timeout())?;
        }
    }

    /// Applies `commands`, after which the data is at `end` in the stream, with `db`
    /// selected.
    fn apply(&mut self, commands: Vec<LoggedCommand>, end: u64, db: usize) -> Result<(), String> {
        let mut applying = self.applying.lock();
        if self.stop.load(Ordering::Acquire) {
            return Err("stopped".into());
        }
        let record = Record { at_ms: crate::engine::now_ms(), commands };
        // A transaction (what came between MULTI and EXEC) is applied as one.
        self.replayer.apply_transaction(&record, self.offset);
        crate::engine::end_replay_clock();
        // The journal has what was applied: the position goes with it (when it is kept).
        if let Some(position) = applying.as_mut() {
            (position.offset, position.db) = (end, db);
        }
        Ok(())
    }
}

/// The socket and what has been read from it.
struct Conn<'a> {
    stream: TcpStream,
    input: Vec<u8>,
    /// Where the unread part of `input` starts.
    at: usize,
    stop: &'a AtomicBool,
    shutdown: &'a tokio_util::sync::CancellationToken,
    /// INFO's `total_net_repl_input_bytes`.
    stats: &'a ServerStats,
    /// The master's client's kill (CLIENT KILL).
    killed: tokio_util::sync::CancellationToken,
    last_io: Instant,
    /// `proto-max-bulk-len`: no argument of the stream may claim more.
    max_bulk: usize,
}

impl Conn<'_> {
    fn send(&mut self, args: &[&str]) -> Result<(), String> {
        let mut out = Vec::new();
        crate::persist::redis_form::put(&mut out, args);
        self.stream.write_all(&out).map_err(|e| format!("cannot write to the master: {e}"))
    }

    /// Reads more input: an error once stopped, on EOF, or after `timeout` of silence.
    fn fill(&mut self, timeout: Duration) -> Result<(), String> {
        while !self.poll(timeout)? {}
        Ok(())
    }

    /// Waits up to a [`TICK`] for input: whether some came. An error once stopped, on EOF,
    /// or after `timeout` of silence.
    fn poll(&mut self, timeout: Duration) -> Result<bool, String> {
        if self.stop.load(Ordering::Acquire) || self.shutdown.is_cancelled() {
            return Err("stopped".into());
        }
        if self.killed.is_cancelled() {
            return Err("the master's client was killed (CLIENT KILL)".into());
        }
        let mut chunk = [0u8; 64 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err("the master closed the connection".into()),
            Ok(n) => {
                self.input.extend_from_slice(&chunk[..n]);
                self.last_io = Instant::now();
                ServerStats::add(&self.stats.total_net_repl_input_bytes, n as u64);
                Ok(true)
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                if self.last_io.elapsed() > timeout {
                    return Err(format!("nothing from the master for {} s (repl-timeout)", timeout.as_secs()));
                }
                Ok(false)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(false),
            Err(e) => Err(format!("cannot read from the master: {e}")),
        }
    }

    /// The next line the master sends, without its CRLF; the bare newlines a master sends
    /// while it prepares the file are skipped.
    fn reply_line(&mut self, timeout: Duration) -> Result<String, String> {
        loop {
            let rest = &self.input[self.at..];
            if let Some(end) = rest.iter().position(|&b| b == b'\n') {
                let line = String::from_utf8_lossy(&rest[..end]).trim_end_matches('\r').to_owned();
                self.at += end + 1;
                if !line.is_empty() {
                    return Ok(line);
                }
                continue;
            }
            if rest.len() > 64 * 1024 {
                return Err("the master sent a line longer than 64 KB".into());
            }
            self.fill(timeout)?;
        }
    }

    /// Receives the RDB file into `path`: `$<length>` then that many bytes, or
    /// `$EOF:<40-byte mark>` then bytes up to that mark.
    /// `progress(size, received)` says how far it is (size -1: sent with an end mark).
    fn receive_rdb(
        &mut self,
        path: &Path,
        timeout: Duration,
        progress: &mut dyn FnMut(i64, u64),
    ) -> Result<(), String> {
        let header = self.reply_line(timeout)?;
        let body = header.strip_prefix('$').ok_or_else(|| format!("expected the RDB file, got '{header}'"))?;
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?,
        );
        let write_failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        if let Some(mark) = body.strip_prefix("EOF:") {
            let mark = mark.as_bytes();
            if mark.len() != 40 {
                return Err(format!("bad EOF mark in '{header}'"));
            }
            // Everything but the last 40 bytes received can go to the file: those may be
            // the mark.
            let mut received = 0u64;
            loop {
                let rest = &self.input[self.at..];
                // What follows the mark is the stream's start (an older master sends it
                // without waiting for the first acknowledgement).
                if let Some(end) = memchr::memmem::find(rest, mark) {
                    file.write_all(&rest[..end]).map_err(write_failed)?;
                    self.at += end + 40;
                    progress(-1, received + end as u64);
                    break;
                }
                if rest.len() > 40 {
                    let keep = rest.len() - 40;
                    file.write_all(&rest[..keep]).map_err(write_failed)?;
                    self.at += keep;
                    received += keep as u64;
                    progress(-1, received);
                }
                let tail = self.input[self.at..].to_vec();
                self.input = tail;
                self.at = 0;
                self.fill(timeout)?;
            }
        } else {
            let size: u64 = body.parse().map_err(|_| format!("bad RDB length in '{header}'"))?;
            let total = i64::try_from(size).map_err(|_| format!("bad RDB length in '{header}'"))?;
            let mut left = size;
            progress(total, 0);
            while left > 0 {
                if self.at == self.input.len() {
                    self.input.clear();
                    self.at = 0;
                    self.fill(timeout)?;
                }
                let take = (self.input.len() - self.at).min(usize::try_from(left).unwrap_or(usize::MAX));
                file.write_all(&self.input[self.at..self.at + take]).map_err(write_failed)?;
                self.at += take;
                left -= take as u64;
                progress(total, size - left);
            }
        }
        file.flush().map_err(write_failed)?;
        Ok(())
    }
}

/// Redis's `key-load-delay` test hook, after the `loaded`-th key: `delay` microseconds, or
/// for a negative `delay` one microsecond every `-delay` keys (Redis sleeps that long at
/// random with that chance; here every so many keys, which averages the same).
fn key_load_delay(delay: i64, loaded: u64) {
    let micros = match delay {
        0 => return,
        1.. => delay.unsigned_abs(),
        _ if loaded % delay.unsigned_abs() == 0 => 1,
        _ => return,
    };
    std::thread::sleep(Duration::from_micros(micros));
}

/// One command of the stream (`*<n>` then `$<len>` bulks), with the bytes it took; `None`
/// until it has all arrived.
fn parse_command(buf: &[u8], max_bulk: usize) -> Result<Option<(Vec<Bytes>, usize)>, String> {
    fn line(buf: &[u8], at: usize) -> Option<(&[u8], usize)> {
        let end = memchr::memchr(b'\n', buf.get(at..)?)? + at;
        let text = buf[at..end].strip_suffix(b"\r").unwrap_or(&buf[at..end]);
        Some((text, end + 1))
    }
    fn number(text: &[u8], kind: u8) -> Result<usize, String> {
        text.strip_prefix(&[kind])
            .and_then(|n| std::str::from_utf8(n).ok()?.parse().ok())
            .ok_or_else(|| format!("the master sent '{}' in its stream", String::from_utf8_lossy(text)))
    }
    let Some((header, mut at)) = line(buf, 0) else { return Ok(None) };
    let count = number(header, b'*')?;
    if count > MAX_ARGS {
        return Err(format!("the master sent a command of {count} arguments"));
    }
    let mut args = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        let Some((header, start)) = line(buf, at) else { return Ok(None) };
        let len = number(header, b'$')?;
        if len > max_bulk {
            return Err(format!("the master sent an argument of {len} bytes (proto-max-bulk-len)"));
        }
        let Some(end) = start.checked_add(len).filter(|&end| end + 2 <= buf.len()) else { return Ok(None) };
        args.push(Bytes::copy_from_slice(&buf[start..end]));
        at = end + 2;
    }
    Ok(Some((args, at)))
}

#[cfg(test)]
mod tests {
    use super::parse_command;

    #[test]
    fn commands_are_parsed_once_whole() {
        let stream = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\n";
        let (args, used) = parse_command(stream, 100).unwrap().unwrap();
        assert_eq!(args, ["SELECT", "0"]);
        let (args, rest) = parse_command(&stream[used..], 100).unwrap().unwrap();
        assert_eq!(args, ["SET", "k", "vv"]);
        assert_eq!(used + rest, stream.len());
        for cut in 0..used {
            assert_eq!(parse_command(&stream[..cut], 100).unwrap(), None, "{cut}");
        }
        assert!(parse_command(b"+OK\r\n", 100).is_err());
        assert!(parse_command(b"*99999999999\r\n", 100).is_err());
        assert!(parse_command(b"*1\r\n$101\r\n", 100).is_err());
    }
}
