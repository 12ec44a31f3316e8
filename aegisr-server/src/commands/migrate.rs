//! MIGRATE: moves keys to another node (Aegisr's DUMP payloads, so another Aegisr) over a
//! plain RESP connection: `RESTORE key ttl payload [REPLACE]` for each key, then the keys
//! the target acknowledged are deleted here (unless COPY), logged as a DEL.
//!
//! As in Redis the command is atomic: the keys' shards stay locked from the first read to
//! the last delete, so no other client sees a key on both nodes or on neither. The
//! connection's IO blocks, so the RESP door runs MIGRATE off its worker's event loop, like a
//! script (see [`super::runs_off_loop`]). Connections are cached per target for ten
//! seconds (Redis's `migrateGetSocket`), with the database last selected on each.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::table::{CommandSpec, Flags, Group, KeyRange};
use super::{Class, Ctx, args, errors::CommandError, errors::CommandResult};
use crate::reply::{Protocol, ReplySink};
use crate::resp::RespWriter;

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "migrate",
    arity: -6,
    flags: Flags::WRITE.or(Flags::MOVABLE_KEYS),
    keys: KeyRange { first: 3, last: 3, step: 1 },
    keys_fn: Some(key_indexes),
    group: Group::Generic,
    acl: &["@dangerous"],
    since: "2.6.0",
    summary: "Atomically transfers a key from one Redis instance to another.",
    syntax: "host port <key | \"\"> destination-db timeout [COPY] [REPLACE] [AUTH password | AUTH2 username password] [KEYS key [key ...]]",
    handler: Some(migrate),
    ..CommandSpec::BASE
}];

/// How long an unused cached connection stays open (Redis's MIGRATE_SOCKET_CACHE_TTL).
const IDLE_TTL: Duration = Duration::from_secs(10);

/// How many targets keep a cached connection (Redis's MIGRATE_SOCKET_CACHE_ITEMS).
const CACHED_TARGETS: usize = 64;

/// The longest reply line read from the target (Redis reads into 1 KiB).
const MAX_LINE: usize = 1024;

/// MIGRATE's options after the timeout.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options<'a> {
    copy: bool,
    replace: bool,
    /// AUTH password, or AUTH2 username password.
    auth: Option<(Option<&'a [u8]>, &'a [u8])>,
    /// Where the keys of the KEYS form start.
    keys_at: Option<usize>,
}

/// Parses the options as Redis's `migrateCommand` does: KEYS takes every argument after it.
fn parse_options<'a>(args: &[&'a [u8]]) -> Result<Options<'a>, CommandError> {
    let mut opts = Options::default();
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let arg = args[j];
        if args::is(arg, "copy") {
            opts.copy = true;
        } else if args::is(arg, "replace") {
            opts.replace = true;
        } else if args::is(arg, "auth") && more >= 1 {
            opts.auth = Some((None, args[j + 1]));
            j += 1;
        } else if args::is(arg, "auth2") && more >= 2 {
            opts.auth = Some((Some(args[j + 1]), args[j + 2]));
            j += 2;
        } else if args::is(arg, "keys") {
            if !args[3].is_empty() {
                return Err(CommandError::err(
                    "When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            opts.keys_at = Some(j + 1);
            break;
        } else {
            return Err(CommandError::Syntax);
        }
        j += 1;
    }
    Ok(opts)
}

/// The key arguments (Redis's `migrateGetKeys`): the one at index 3, or with KEYS every
/// argument after it (none when the key argument is not empty then).
fn key_indexes(args: &[&[u8]]) -> Option<Vec<usize>> {
    let mut j = 6;
    while j < args.len() {
        let arg = args[j];
        if args::is(arg, "keys") {
            return Some(if args.get(3).is_some_and(|k| k.is_empty()) {
                (j + 1..args.len()).collect()
            } else {
                vec![]
            });
        }
        j += if args::is(arg, "auth") {
            2
        } else if args::is(arg, "auth2") {
            3
        } else {
            1
        };
    }
    Some(if args.len() > 3 { vec![3] } else { vec![] })
}

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password |
/// AUTH2 username password] [KEYS key ...].
fn migrate(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let opts = parse_options(args)?;
    let timeout = args::int(args[5])?;
    let db = args::int(args[4])?;
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout.unsigned_abs() });
    let keys: &[&[u8]] = match opts.keys_at {
        Some(at) => &args[at..],
        None => &args[3..4],
    };
    let target = Target {
        host: String::from_utf8_lossy(args[1]).into_owned(),
        port: String::from_utf8_lossy(args[2]).into_owned(),
    };

    // The keys' shards stay locked until the acknowledged keys are deleted.
    let mut locked = ctx.lock_keys(keys.iter());
    let now = locked.now();
    let mut moving: Vec<&[u8]> = Vec::new();
    // In cluster mode the target may be importing the keys' slot (Redis sends the same).
    let restore_command: &[u8] = if ctx.server.router.get().is_some() { b"RESTORE-ASKING" } else { b"RESTORE" };
    let mut restores = BytesMut::new();
    for &key in keys {
        let Some(entry) = locked.read(key) else { continue };
        let payload = super::dump::portable_payload(entry.value());
        // What is left of its TTL, at least a millisecond; 0: none.
        let ttl = match locked.expiry(key).flatten() {
            Some(at) => (at - now).max(1),
            None => 0,
        };
        let mut restore: Vec<&[u8]> = vec![restore_command, key];
        let ttl = ttl.to_string();
        restore.push(ttl.as_bytes());
        restore.push(&payload);
        if opts.replace {
            restore.push(b"REPLACE");
        }
        write_command(&mut restores, &restore);
        moving.push(key);
    }
    if moving.is_empty() {
        // Nothing to move (the keys may have expired meanwhile): not an error.
        drop(locked);
        ctx.out.simple("NOKEY");
        return Ok(());
    }
    let mut prefix = BytesMut::new();
    if let Some((user, password)) = opts.auth {
        let mut auth: Vec<&[u8]> = vec![b"AUTH"];
        auth.extend(user);
        auth.push(password);
        write_command(&mut prefix, &auth);
    }
    // The IO may take up to the timeout: the worker's other clients are served meanwhile.
    crate::server::let_others_run();
    let sockets = &ctx.server.migrate_sockets;
    let outcome = sockets.exchange(&target, db, opts.auth.is_some(), &prefix, &restores, moving.len(), timeout);
    let acked: Vec<&[u8]> = outcome.acked.iter().map(|&i| moving[i]).collect();
    if !opts.copy && !acked.is_empty() {
        for key in &acked {
            locked.remove(key);
        }
        // The journal (and replicas) see the keys deleted, not the transfer.
        let mut del: Vec<&[u8]> = vec![b"DEL"];
        del.extend(acked.iter().copied());
        crate::persist::capture::log_as(ctx.session.db, &del);
    }
    drop(locked);
    if !opts.copy {
        for key in &acked {
            ctx.notify(Class::Generic, "del", key);
        }
    }
    match outcome.error {
        None => {
            ctx.out.ok();
            Ok(())
        }
        Some(text) => Err(CommandError::Message(text)),
    }
}

/// Appends `args` as a RESP multibulk (a request is an array of bulk strings).
fn write_command(out: &mut BytesMut, args: &[&[u8]]) {
    let mut writer = RespWriter::new(out, Protocol::Resp2);
    writer.array(args.len());
    for arg in args {
        writer.bulk(arg);
    }
}

/// Where MIGRATE sends, as given (Redis caches connections by "host:port").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Target {
    host: String,
    port: String,
}

/// What came of a transfer.
struct Exchange {
    /// The indexes of the RESTOREs the target acknowledged: those keys moved.
    acked: Vec<usize>,
    /// The error to reply: the target's first (AUTH's, SELECT's or a RESTORE's), or why
    /// the connection failed.
    error: Option<String>,
}

/// Why the connection failed: Redis's IOERR errors.
#[derive(Debug, Clone, Copy, thiserror::Error)]
enum Failure {
    #[error("IOERR error or timeout connecting to the client")]
    Connecting,
    #[error("IOERR error or timeout writing to target instance")]
    Writing,
    #[error("IOERR error or timeout reading to target instance")]
    Reading,
}

/// A cached connection to a target.
struct Cached {
    stream: BufReader<TcpStream>,
    /// The database selected on it; `None` after an error (SELECT is sent again).
    db: Option<i64>,
    last_used: Instant,
}

/// The node's cached MIGRATE connections, by target.
#[derive(Default)]
pub struct Sockets {
    cached: parking_lot::Mutex<HashMap<Target, Cached>>,
}

impl Sockets {
    /// How many targets have a cached connection (INFO's `migrate_cached_sockets`).
    pub fn len(&self) -> usize {
        self.cached.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes the connections unused for [`IDLE_TTL`] (the server's ticker calls this).
    pub fn close_idle(&self) {
        let mut cached = self.cached.lock();
        if !cached.is_empty() {
            cached.retain(|_, c| c.last_used.elapsed() < IDLE_TTL);
        }
    }

    /// Sends `prefix` (AUTH, if `auth`), SELECT `db` if the connection has another one
    /// selected, then `restores` (`count` RESTOREs), and reads the replies. When the
    /// connection fails before anything was acknowledged (a cached one may have been closed
    /// by the target), it is opened again once, unless it timed out.
    #[allow(clippy::too_many_arguments)]
    fn exchange(
        &self,
        target: &Target,
        db: i64,
        auth: bool,
        prefix: &[u8],
        restores: &[u8],
        count: usize,
        timeout: Duration,
    ) -> Exchange {
        let mut may_retry = true;
        loop {
            let mut conn = match self.take(target, timeout) {
                Ok(conn) => conn,
                Err(failure) => return Exchange { acked: Vec::new(), error: Some(failure.to_string()) },
            };
            let select = conn.db != Some(db);
            let mut request = BytesMut::from(prefix);
            if select {
                write_command(&mut request, &[b"SELECT", db.to_string().as_bytes()]);
            }
            request.extend_from_slice(restores);
            let mut replies = Replies { acked: Vec::new(), target_error: None };
            match talk(&mut conn, &request, auth, select, count, timeout, &mut replies) {
                Ok(()) => {
                    let error = replies.target_error.map(|e| format!("ERR Target instance replied with error: {e}"));
                    // After an error the selected database is not known.
                    conn.db = if error.is_none() { Some(db) } else { None };
                    conn.last_used = Instant::now();
                    self.put(target.clone(), conn);
                    return Exchange { acked: replies.acked, error };
                }
                Err((failure, timed_out)) => {
                    let nothing_done = replies.acked.is_empty() && replies.target_error.is_none();
                    if nothing_done && may_retry && !timed_out {
                        may_retry = false;
                        continue;
                    }
                    // The target's error, if it sent one, is the one to reply.
                    let error = match replies.target_error {
                        Some(e) => format!("ERR Target instance replied with error: {e}"),
                        None => failure.to_string(),
                    };
                    return Exchange { acked: replies.acked, error: Some(error) };
                }
            }
        }
    }

    /// The cached connection to `target`, or a new one.
    fn take(&self, target: &Target, timeout: Duration) -> Result<Cached, Failure> {
        if let Some(conn) = self.cached.lock().remove(target) {
            return Ok(conn);
        }
        // Redis connects without blocking and waits for the socket to be writable: a refused
        // connection (or port 0, what atoi makes of a port that is not a number) shows up
        // as the write failing; a timeout or a host that does not resolve as connecting.
        let port: u16 = target.port.parse().map_err(|_| Failure::Writing)?;
        let addrs = (target.host.as_str(), port).to_socket_addrs().map_err(|_| Failure::Connecting)?;
        let mut failure = Failure::Connecting;
        let mut stream = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(connected) => {
                    stream = Some(connected);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => failure = Failure::Writing,
                Err(_) => {}
            }
        }
        let stream = stream.ok_or(failure)?;
        let _ = stream.set_nodelay(true);
        Ok(Cached { stream: BufReader::new(stream), db: None, last_used: Instant::now() })
    }

    fn put(&self, target: Target, conn: Cached) {
        let mut cached = self.cached.lock();
        if cached.len() >= CACHED_TARGETS
            && !cached.contains_key(&target)
            && let Some(oldest) = cached.iter().min_by_key(|(_, c)| c.last_used).map(|(t, _)| t.clone())
        {
            cached.remove(&oldest);
        }
        cached.insert(target, conn);
    }
}

/// The replies read so far.
struct Replies {
    acked: Vec<usize>,
    /// The target's first error, without its '-'.
    target_error: Option<String>,
}

/// Writes `request` and reads the replies into `replies`: AUTH's (if `auth`), SELECT's (if
/// `select`), then `count` RESTOREs'. A RESTORE is acknowledged when it and the AUTH and
/// SELECT before it succeeded (Redis's rule). Fails with why, and whether it timed out.
fn talk(
    conn: &mut Cached,
    request: &[u8],
    auth: bool,
    select: bool,
    count: usize,
    timeout: Duration,
    replies: &mut Replies,
) -> Result<(), (Failure, bool)> {
    let failed = |kind: Failure, e: std::io::Error| {
        (kind, matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut))
    };
    let stream = conn.stream.get_mut();
    stream
        .set_write_timeout(Some(timeout))
        .and_then(|()| stream.set_read_timeout(Some(timeout)))
        .and_then(|()| stream.write_all(request))
        .map_err(|e| failed(Failure::Writing, e))?;
    let mut prefix_failed = false;
    for i in 0..usize::from(auth) + usize::from(select) + count {
        let line = read_line(&mut conn.stream).map_err(|e| failed(Failure::Reading, e))?;
        let is_error = line.first() == Some(&b'-');
        if is_error && replies.target_error.is_none() {
            replies.target_error = Some(String::from_utf8_lossy(&line[1..]).into_owned());
        }
        match i.checked_sub(usize::from(auth) + usize::from(select)) {
            None => prefix_failed |= is_error,
            Some(restore) if !is_error && !prefix_failed => replies.acked.push(restore),
            Some(_) => {}
        }
    }
    Ok(())
}

/// One reply line, without its CRLF; an error if the connection ends first or the line is
/// longer than [`MAX_LINE`].
fn read_line(stream: &mut BufReader<TcpStream>) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let read = Read::by_ref(stream).take(MAX_LINE as u64).read_until(b'\n', &mut line)?;
    if read == 0 || !line.ends_with(b"\n") {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no reply line"));
    }
    line.pop();
    if line.ends_with(b"\r") {
        line.pop();
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(|w| if w == "\"\"" { &b""[..] } else { w.as_bytes() }).collect()
    }

    #[test]
    fn keys_are_found_as_redis_finds_them() {
        assert_eq!(key_indexes(&words("MIGRATE h 1 k 0 5")), Some(vec![3]));
        assert_eq!(key_indexes(&words("MIGRATE h 1 \"\" 0 5 COPY AUTH keys KEYS a b")), Some(vec![10, 11]));
        assert_eq!(key_indexes(&words("MIGRATE h 1 \"\" 0 5 AUTH2 keys keys KEYS a")), Some(vec![10]));
        assert_eq!(key_indexes(&words("MIGRATE h 1 k 0 5 KEYS a")), Some(vec![]));
    }

    #[test]
    fn options_as_redis_parses_them() {
        let opts = parse_options(&words("MIGRATE h 1 \"\" 0 5 COPY REPLACE AUTH2 u p KEYS a b")).unwrap();
        assert!(opts.copy && opts.replace);
        assert_eq!(opts.auth, Some((Some(&b"u"[..]), &b"p"[..])));
        assert_eq!(opts.keys_at, Some(12));
        assert_eq!(parse_options(&words("MIGRATE h 1 k 0 5 AUTH")), Err(CommandError::Syntax));
        assert_eq!(parse_options(&words("MIGRATE h 1 k 0 5 BOGUS")), Err(CommandError::Syntax));
        assert!(parse_options(&words("MIGRATE h 1 k 0 5 KEYS a")).is_err());
    }
}
