//! Commands: the table, the dispatcher, and one file per command family. A family file
//! parses and validates arguments, calls data operations from `types`, and writes the reply
//! into the sink; it never sees a socket or a protocol.

pub mod acl;
pub mod args;
mod arguments;
mod bitmap;
pub mod blocking;
mod bloom;
pub mod client_reply;
mod cluster;
mod connection;
mod debug;
pub(crate) mod dump;
pub mod errors;
pub(crate) mod functions;
mod geo;
mod hash;
mod hll;
mod key_flags;
mod key_specs;
mod keys;
mod list;
mod lolwut;
mod maxmemory;
mod memory;
pub mod migrate;
mod min_replicas;
mod module;
mod monitor;
mod observe;
mod persistence;
mod pubsub;
mod redirect;
mod replication;
mod scripting;
mod server;
mod set;
mod sort;
mod stream;
mod string;
pub mod sync;
pub mod table;
pub mod tracking;
pub mod transaction;
mod zset;

use bytes::Bytes;

pub use connection::REDIS_VERSION;
pub use errors::{CommandError, CommandResult};
use table::CommandSpec;

use crate::engine::{Entry, Locked, Tx};
use crate::metrics;
pub use crate::pubsub::notify::Class;
use crate::reply::{Protocol, ReplySink};
use crate::server::{ClientHandle, Server};
use crate::types::{Typed, ValueRef};

/// A command's arguments as the handlers see them (name first): slices of the door's input
/// buffer, built per command at no cost. What a command keeps beyond its run it copies.
pub type ArgViews<'a> = smallvec::SmallVec<[&'a [u8]; 16]>;

/// The argument views of an owned argument vector (a gRPC command, a script's redis.call,
/// a queued or replayed command), to run it with [`execute`].
pub fn views<A: AsRef<[u8]>>(owned: &[A]) -> ArgViews<'_> {
    owned.iter().map(AsRef::as_ref).collect()
}

/// Copies argument views out, for what outlives the command (a queued or blocked command).
pub fn owned_args(args: &[&[u8]]) -> Vec<Bytes> {
    args.iter().map(|arg| Bytes::copy_from_slice(arg)).collect()
}

/// One client's state, whichever door it came through.
pub struct Session {
    pub client: std::sync::Arc<ClientHandle>,
    /// The selected logical database.
    pub db: usize,
    pub protocol: Protocol,
    /// Set by QUIT: close the connection once the reply is written.
    pub quit: bool,
    /// Set by a blocking command (BLPOP...) that found nothing to serve and wrote no reply:
    /// the door parks the client on these keys and runs the command again when one is
    /// created, or writes the timeout reply.
    pub block: Option<BlockOn>,
    /// The commands queued since MULTI.
    pub multi: Option<transaction::Queued>,
    /// The keys watched since WATCH.
    pub watching: Option<transaction::Watching>,
    /// Channels and patterns subscribed to.
    pub subscriptions: Option<Box<crate::pubsub::Subscriptions>>,
    /// True while the door runs a blocked command again after a wake-up (XREADGROUP then
    /// reports a deleted stream or group differently).
    pub rerun: bool,
    /// End of the last journal record this client's writes appended: under `appendfsync
    /// always` its replies wait until the journal is synced that far.
    pub journal_end: u64,
    /// Cluster mode: the client sent READONLY (a replica may serve its reads).
    pub readonly: bool,
    /// Cluster mode: the client sent ASKING (the next command may use an importing slot).
    pub asking: bool,
    /// This session applies the primary's replication stream: never redirected.
    pub from_primary: bool,
    /// End of the last journal record this client's writes appended, kept (unlike
    /// `journal_end`) for WAIT.
    pub write_lsn: u64,
    /// Set by WAIT when it must block: (offset, replicas wanted).
    pub wait_acks: Option<(u64, usize)>,
    /// Set by WAITAOF: the offset to see synced locally (if asked) and on replicas.
    pub wait_aof: Option<blocking::AofWait>,
    /// REPLCONF rdb-only 1: SYNC and PSYNC send an RDB file of the dataset, then close.
    pub rdb_only: bool,
    /// REPLCONF rdb-filter-only: what that file holds.
    pub rdb_parts: crate::persist::rdb::Parts,
    /// REPLCONF capa eof: the client reads an RDB file of unknown length.
    pub capa_eof: bool,
    /// REPLCONF listening-port: where a replica says it listens (INFO replication).
    pub listening_port: Option<u16>,
    /// Set by SYNC or PSYNC: what the door sends once the batch's replies are out.
    pub sync: Option<sync::SyncStart>,
    /// Set by MONITOR: the queue of lines the door sends the client.
    pub monitor: Option<std::sync::Arc<crate::server::monitor::MonitorFeed>>,
    /// CLIENT REPLY: which replies the RESP door sends.
    pub reply: client_reply::ReplyMode,
    /// CLIENT TRACKING: set while the client tracks.
    pub tracking: Option<tracking::SessionTracking>,
    /// The user the client authenticated as; `None`: the default user.
    pub user: Option<std::sync::Arc<crate::acl::UserHandle>>,
    /// Whether the client authenticated, or connected while the default user needed no
    /// password (Redis's `c->authenticated`). A door serving clients sets it from
    /// `Acl::auth_required` when the connection starts; internal sessions keep `true`.
    pub authenticated: bool,
    /// When the last command run for this session ended (its statistics' clock reading).
    pub last_end: Option<crate::metrics::clock::Stamp>,
    /// Where the next command's duration starts, if not now: a door running a pipeline
    /// hands the previous command's end on, so back-to-back commands read the clock once
    /// each, not twice.
    pub next_start: Option<crate::metrics::clock::Stamp>,
}

/// What a blocked command waits for.
pub struct BlockOn {
    pub keys: Vec<Bytes>,
    /// `None`: wait for ever.
    pub timeout: Option<std::time::Duration>,
    /// Writes the reply for a timeout (a null array for BLPOP, a null for BLMOVE...).
    pub on_timeout: fn(&mut dyn ReplySink),
    /// The arguments to run on wake-up instead of the original ones (XREAD's `$` becomes
    /// the ID it stood for when the client blocked).
    pub rerun_args: Option<Vec<Bytes>>,
}

impl Session {
    pub fn new(client: std::sync::Arc<ClientHandle>) -> Session {
        Session {
            client,
            db: 0,
            protocol: Protocol::Resp2,
            quit: false,
            block: None,
            multi: None,
            watching: None,
            subscriptions: None,
            rerun: false,
            journal_end: 0,
            readonly: false,
            asking: false,
            from_primary: false,
            write_lsn: 0,
            wait_acks: None,
            wait_aof: None,
            rdb_only: false,
            rdb_parts: Default::default(),
            capa_eof: false,
            listening_port: None,
            sync: None,
            monitor: None,
            reply: client_reply::ReplyMode::On,
            tracking: None,
            user: None,
            authenticated: true,
            last_end: None,
            next_start: None,
        }
    }

    pub fn select(&mut self, db: usize) {
        self.db = db;
        self.client.set_db(db);
    }
}

/// What a command runs with: the node, the calling session, and where its reply goes.
pub struct Ctx<'a> {
    pub server: &'a Server,
    pub session: &'a mut Session,
    pub out: &'a mut dyn ReplySink,
    /// Inside EXEC: the shards the transaction holds, which commands borrow instead of
    /// locking.
    pub tx: Tx<'a>,
}

impl<'a> Ctx<'a> {
    pub fn new(server: &'a Server, session: &'a mut Session, out: &'a mut dyn ReplySink) -> Ctx<'a> {
        Ctx { server, session, out, tx: None }
    }

    /// Locks the shard of `key` in the session's database. The lock borrows the server, not
    /// the context, so the reply can be written into `out` while it is held (a value is
    /// copied once, from the table to the output buffer).
    pub fn lock(&self, key: &[u8]) -> Locked<'a> {
        let keyspace = &self.server.keyspace;
        keyspace.lock_shard(self.session.db, keyspace.shard_of(key), self.tx)
    }

    /// Locks the shards of all `keys`, in the global order, like [`Ctx::lock`].
    pub fn lock_keys<K: AsRef<[u8]>>(&self, keys: impl IntoIterator<Item = K>) -> Locked<'a> {
        let keyspace = &self.server.keyspace;
        keyspace.lock_shards(self.session.db, keys.into_iter().map(|k| keyspace.shard_of(k.as_ref())), self.tx)
    }

    /// Locks every shard, for the rare command whose keys are not known before it runs
    /// (SORT ... BY / GET patterns). Other clients wait while it is held: keep it short.
    pub fn lock_all(&self) -> Locked<'a> {
        let keyspace = &self.server.keyspace;
        keyspace.lock_shards(self.session.db, 0..keyspace.shard_count(), self.tx)
    }
}

impl Ctx<'_> {
    /// Publishes keyspace event `event` of `class` for `key` in the session's database, if
    /// `notify-keyspace-events` enables it (one relaxed load when it does not). Call it where
    /// Redis calls `notifyKeyspaceEvent`, once the change has really been made, e.g.
    /// `ctx.notify(Class::Stream, "xadd", key)`.
    pub fn notify(&self, class: Class, event: &str, key: &[u8]) {
        self.server.keyspace.notifier().notify(class, event, key, self.session.db);
    }

    /// [`Ctx::notify`] for a key of another database (MOVE, COPY ... DB).
    pub fn notify_in(&self, db: usize, class: Class, event: &str, key: &[u8]) {
        self.server.keyspace.notifier().notify(class, event, key, db);
    }
}

/// Forgets a client's transaction, watched keys and subscriptions: RESET, and a client
/// going away.
pub fn end_session(server: &Server, session: &mut Session) {
    transaction::end_session(server, session);
    pubsub::end_session(server, session);
    monitor::end_session(server, session);
    tracking::end_session(server, session);
}

/// The timeout argument of a blocking command: seconds, fractions allowed; 0 is for ever.
pub fn block_timeout(arg: &[u8]) -> Result<Option<std::time::Duration>, CommandError> {
    // Redis reads a long double (string2ld): what overflows an f64 ("1e400", like "inf") is
    // still a number there, too large for a timeout; what underflows is a tiny positive one.
    let read = crate::types::strtod::strtod(arg);
    if arg.first().is_none_or(|&b| crate::types::strtod::is_c_space(b)) || read.len != arg.len() || read.value.is_nan()
    {
        return Err(CommandError::err("timeout is not a float or out of range"));
    }
    let seconds = if read.range_error && read.value == 0.0 && read.value.is_sign_positive() {
        f64::MIN_POSITIVE
    } else {
        read.value
    };
    if seconds < 0.0 {
        return Err(CommandError::err("timeout is negative"));
    }
    // Redis counts in whole milliseconds, rounding up.
    let millis = (seconds * 1000.0).ceil();
    if millis > 1e15 {
        return Err(CommandError::err("timeout is out of range"));
    }
    Ok((millis > 0.0).then(|| std::time::Duration::from_millis(millis as u64)))
}

/// Creates `key` holding a string Redis builds as a growable buffer (SETBIT, SETRANGE,
/// BITFIELD, BITOP, PFADD, PFMERGE on a new key): OBJECT ENCODING says "raw" whatever its
/// size or content, as for a string edited in place.
pub fn set_raw_string(locked: &mut Locked<'_>, key: &[u8], bytes: Vec<u8>) {
    locked.set(key, crate::types::Value::Str(bytes));
    if let Some(entry) = locked.get(key) {
        entry.mark_raw();
    }
}

/// The `T` (list, hash, set, sorted set) a value holds, or WRONGTYPE.
pub fn typed<T: Typed>(value: ValueRef<'_>) -> Result<T::Ref<'_>, CommandError> {
    T::from_ref(value).ok_or(CommandError::WrongType)
}

/// [`Locked::get`] for a command on values of type `T`: a key of another type is still
/// returned, for [`update_typed`] to refuse with WRONGTYPE, and that refusal is no change
/// (not logged, the key's watchers not told), as in Redis.
pub fn get_typed<'l, T: Typed>(locked: &'l mut Locked<'_>, key: &[u8]) -> Option<&'l mut Entry> {
    locked.get_kind(key, T::KIND)
}

/// [`get_typed`] for a write WATCH does not see ([`Locked::get_kind_unwatched`]: a stream's
/// consumer groups and XSETID's fields).
pub fn get_typed_unwatched<'l, T: Typed>(locked: &'l mut Locked<'_>, key: &[u8]) -> Option<&'l mut Entry> {
    locked.get_kind_unwatched(key, T::KIND)
}

/// [`get_typed`] for a command on strings.
pub fn get_string<'l>(locked: &'l mut Locked<'_>, key: &[u8]) -> Option<&'l mut Entry> {
    locked.get_kind(key, crate::types::ValueKind::String)
}

/// The `T` at `key`, read with hit/miss counting; `None` when the key is absent.
pub fn read_typed<'l, T: Typed>(locked: &'l mut Locked<'_>, key: &[u8]) -> Result<Option<T::Ref<'l>>, CommandError> {
    locked.read(key).map(|entry| typed::<T>(entry.value())).transpose()
}

/// Changes the `T` in `entry` in place; WRONGTYPE, and nothing touched, for another type.
pub fn update_typed<T: Typed, R>(entry: &mut Entry, change: impl FnOnce(&mut T) -> R) -> Result<R, CommandError> {
    update_typed_unless(entry, |_| None, change)
}

/// [`update_typed`] for a change that often turns out to change nothing (ZADD of members
/// at their scores, HSET of fields to their values): `unchanged` looks at the value where
/// it is stored and, when nothing would change, gives the change's result. A small value
/// kept in its entry's block is then not copied out and stored back.
pub fn update_typed_unless<T: Typed, R>(
    entry: &mut Entry,
    unchanged: impl FnOnce(T::Ref<'_>) -> Option<R>,
    change: impl FnOnce(&mut T) -> R,
) -> Result<R, CommandError> {
    // The type is checked first, so a wrong-type entry is never copied out and back.
    if let Some(result) = unchanged(typed::<T>(entry.value())?) {
        return Ok(result);
    }
    entry.update(|value| T::from_mut(value).map(change).ok_or(CommandError::WrongType))
}

/// Runs one command (name first) and writes its reply, or its error, into `ctx.out`.
/// Returns the command that ran, for statistics.
pub fn execute(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> Option<&'static CommandSpec> {
    let started = ctx.session.next_start.take().unwrap_or_else(metrics::clock::now);
    metrics::command_started();
    // While any client tracks keys (one relaxed load otherwise).
    let tracked = ctx.server.pubsub.tracking.active();
    if tracked {
        tracking::begin(ctx);
    }
    // Over maxmemory, keys are evicted before any command runs, and a command that may
    // grow memory is refused with OOM if none could be (Redis's processCommand order:
    // before queueing into MULTI, which an OOM refusal then aborts).
    // A write to a slot migrating away is admitted until it has run (see `redirect::check`).
    let mut admitted = None;
    let resolved = admit(ctx, args, &mut admitted);
    if ctx.session.multi.is_some() && transaction::queue(ctx, args, &resolved) {
        if tracked {
            tracking::end(ctx, None, args);
        }
        return resolved.ok();
    }
    let (spec, result, ran) = match resolved {
        Ok(spec) => match pubsub::allowed_while_subscribed(ctx.session, spec)
            .and_then(|()| monitor::allowed_while_monitoring(ctx.session, spec))
            .and_then(|()| journal_accepts(ctx, spec))
        {
            Ok(logged) => {
                if logged {
                    // Only while a snapshot runs does it matter which slots a write touches.
                    // Movable keys may hide some (SORT's BY and GET patterns): then they
                    // count as unknown, and every slot of the command's shards is settled.
                    let known =
                        ctx.server.keyspace.snapshot_running() && !spec.flags.contains(table::Flags::MOVABLE_KEYS);
                    let slots = known.then(|| spec.keys_of(args)).flatten().map(|keys| {
                        keys.iter().map(|k| crate::engine::slot::key_slot(k)).collect::<smallvec::SmallVec<[u16; 4]>>()
                    });
                    crate::persist::capture::arm(ctx.session.db, args, slots);
                }
                if tracked {
                    tracking::remember(ctx, spec, args, false);
                    crate::pubsub::tracking::Tracking::running();
                }
                // A script is shown to MONITOR before the commands it runs, as Redis's
                // EVAL and FCALL feed it themselves.
                let runs_script = spec.flags.contains(table::Flags::SKIP_MONITOR);
                if runs_script && ctx.server.monitors.active() {
                    monitor::feed(ctx, spec, args);
                }
                let result = spec.handler.map_or(Ok(()), |handler| handler(ctx, args));
                if logged {
                    crate::persist::capture::disarm();
                    let end = crate::persist::capture::take_last_end();
                    ctx.session.journal_end = ctx.session.journal_end.max(end);
                    ctx.session.write_lsn = ctx.session.write_lsn.max(end);
                }
                (Some(spec), result, true)
            }
            Err(e) => (Some(spec), Err(e), false),
        },
        Err(e) => (None, Err(e), false),
    };
    let passed_on = matches!(result, Err(CommandError::PassedOn(_)));
    let error = result.err().map(|e| e.to_string());
    if let Some(text) = &error {
        ctx.out.error(text);
    }
    // As Redis, after the command ran (so inside EXEC its commands come before EXEC),
    // whether it failed or not; never a command refused before running.
    if ran
        && ctx.server.monitors.active()
        && let Some(spec) = spec.filter(|spec| !spec.flags.contains(table::Flags::SKIP_MONITOR))
    {
        monitor::feed(ctx, spec, args);
    }
    // A command that blocked is counted when it is served (it runs again then), as Redis.
    if ctx.session.block.is_none() {
        let ended = match &error {
            None => metrics::Ended::Ran,
            Some(_) if ran && passed_on => metrics::Ended::FailedCounted,
            Some(text) if ran => metrics::Ended::Failed(text),
            Some(text) => metrics::Ended::Rejected(text),
        };
        let ended_at = metrics::clock::now();
        metrics::record(ctx, args, spec, ended, started, ended_at);
        ctx.session.last_end = Some(ended_at);
    }
    drop(admitted);
    if tracked {
        tracking::end(ctx, spec.filter(|_| ran), args);
    }
    spec
}

/// Whether `args` may run now (Redis's `processCommand` checks, in its order): the command
/// exists with its arity, is not protected, is allowed to the user, is served by this node
/// (a write to a slot migrating away comes with its admission, in `admitted`), fits in
/// maxmemory, has its replicas, and is not held back by another client's busy script.
fn admit(
    ctx: &mut Ctx<'_>,
    args: &[&[u8]],
    admitted: &mut Option<crate::cluster::migration::Admitted>,
) -> Result<&'static CommandSpec, CommandError> {
    let mut redirected = false;
    let mut checks = |ctx: &mut Ctx<'_>, redirected: &mut bool| {
        let spec = resolve(args)?;
        debug::refuse_protected(ctx, spec)?;
        acl::admit(ctx, spec, args)?;
        *admitted = redirect::check(ctx, spec, args).inspect_err(|_| *redirected = true)?;
        maxmemory::admit(ctx, spec)?;
        min_replicas::admit(ctx, spec)?;
        as_replica(ctx, spec)?;
        // Once another client's script has run past busy-reply-threshold, commands get
        // BUSY (and may only SCRIPT KILL): the doors have waited in `wait_for_script`
        // until then. A blocked command served again is not refused (Redis serves it
        // after the command that woke it, never BUSY).
        let run = &ctx.server.scripting.run;
        if !spec.flags.contains(table::Flags::ALLOW_BUSY) && !ctx.session.rerun && run.busy_now() {
            return Err(CommandError::Message(run.busy_error().into()));
        }
        Ok(spec)
    };
    checks(ctx, &mut redirected).map_err(|e| {
        // Redis's rejectCommand: a refused EXEC (wrong arity, OOM, NOREPLICAS, BUSY...)
        // discards the transaction and says why in an EXECABORT error. A redirection
        // answers as is (`redirect::check` has discarded the transaction).
        let is_exec = args.first().is_some_and(|name| name.eq_ignore_ascii_case(b"exec"));
        if is_exec && !redirected { transaction::reject_exec(ctx, &e) } else { e }
    })
}

/// While the node follows a Redis master, Redis's replica checks (after maxmemory's and
/// min-replicas', as Redis orders them): a client's write, or the EXEC of a transaction
/// holding one, is refused with `replica-read-only yes`; while the link is down, with
/// `replica-serve-stale-data no`, so is every command without the `stale` flag (INFO,
/// REPLICAOF, PING... keep working). While the master's file is loaded in place of the
/// data, every command without the `loading` flag gets LOADING, as in Redis (it would see
/// half the master's keys). What the master sends is applied.
fn as_replica(ctx: &Ctx<'_>, spec: &CommandSpec) -> Result<(), CommandError> {
    let server = ctx.server;
    if !server.replication.has_upstream() || ctx.session.from_primary || ctx.tx.is_some() {
        return Ok(());
    }
    let queued = ctx.session.multi.as_ref().filter(|_| spec.name == "exec");
    let write = spec.flags.contains(table::Flags::WRITE) || queued.is_some_and(transaction::Queued::writes);
    if write && server.config.bool("replica-read-only") {
        return Err(CommandError::Message("READONLY You can't write against a read only replica.".into()));
    }
    let denies_stale =
        !spec.flags.contains(table::Flags::STALE) || queued.is_some_and(transaction::Queued::denies_stale);
    if denies_stale
        && !server.config.bool("replica-serve-stale-data")
        && !server.replication.following().is_some_and(|f| f.link_up)
    {
        return Err(CommandError::Message(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.".into(),
        ));
    }
    if server.saves.is_loading() && !spec.flags.contains(table::Flags::LOADING) {
        return Err(CommandError::Message("LOADING Redis is loading the dataset in memory".into()));
    }
    Ok(())
}

/// What a command must wait for before it runs, while another client's script runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptWait {
    /// Nothing: no script runs, or the command is one a busy node still runs at once
    /// (SCRIPT KILL, SHUTDOWN...).
    Nothing,
    /// Until the script ends or has run past busy-reply-threshold (then BUSY), as Redis
    /// reads no command before.
    BusyOrEnd,
    /// Until the script ends: a command allowed while busy that touches the keyspace
    /// (WATCH, and UNWATCH, DISCARD and RESET of watched keys, lock their shards, which the
    /// script holds; Redis runs them at once, with nothing to wait for).
    End,
}

/// What `args`, sent by `session`, must wait for before it runs (see [`wait_for_script`]).
/// One relaxed load when no script runs.
pub fn script_wait(server: &Server, session: &Session, args: &[&[u8]]) -> ScriptWait {
    if !server.scripting.run.others_running() {
        return ScriptWait::Nothing;
    }
    match resolve(args) {
        Ok(spec) if spec.flags.contains(table::Flags::ALLOW_BUSY) => {
            let locks = spec.name == "watch"
                || (matches!(spec.name, "unwatch" | "discard" | "reset") && session.watching.is_some());
            // SHUTDOWN refuses to save while a script is busy (see `server::shutdown`).
            let saves = spec.name == "shutdown" && !args[1..].iter().any(|a| a.eq_ignore_ascii_case(b"nosave"));
            if locks {
                ScriptWait::End
            } else if saves {
                ScriptWait::BusyOrEnd
            } else {
                ScriptWait::Nothing
            }
        }
        _ => ScriptWait::BusyOrEnd,
    }
}

/// Waits (without blocking the thread) for what [`script_wait`] said. The doors call it
/// before [`execute`], whose BUSY check never waits.
pub async fn wait_for_script(server: &Server, wait: ScriptWait) {
    match wait {
        ScriptWait::Nothing => {}
        ScriptWait::BusyOrEnd => server.scripting.run.busy_or_ended().await,
        ScriptWait::End => server.scripting.run.ended().await,
    }
}

/// Whether `args` may run long: a script (EVAL, EVALSHA, their _RO forms, FCALL,
/// FCALL_RO), MIGRATE (network IO), or EXEC of a transaction that queued one (queued in
/// MULTI, they run at EXEC). The RESP door runs those off its worker's event loop
/// (`server::off_loop`), so that the worker's other clients are served meanwhile. A few
/// byte compares.
pub fn runs_off_loop(session: &Session, args: &[&[u8]]) -> bool {
    let Some(name) = args.first() else { return false };
    if name.eq_ignore_ascii_case(b"exec") {
        return session
            .multi
            .as_ref()
            .is_some_and(|queued| queued.commands().iter().any(|c| c.first().is_some_and(|n| runs_long(n))));
    }
    session.multi.is_none() && runs_long(name)
}

/// Whether a command name is one that may run long (see [`runs_off_loop`]).
fn runs_long(name: &[u8]) -> bool {
    let candidates: &[&[u8]] = match name.len() {
        4 => &[b"eval"],
        5 => &[b"fcall"],
        7 => &[b"evalsha", b"eval_ro", b"migrate"],
        8 => &[b"fcall_ro"],
        10 => &[b"evalsha_ro"],
        _ => return false,
    };
    candidates.iter().any(|c| name.eq_ignore_ascii_case(c))
}

/// Whether a command is logged to the journal (a write while persistence is on), or the
/// MISCONF error when the journal cannot be written and the command would change data.
fn journal_accepts(ctx: &Ctx<'_>, spec: &CommandSpec) -> Result<bool, CommandError> {
    let keyspace = &ctx.server.keyspace;
    if !keyspace.persistent() {
        return Ok(false);
    }
    if !spec.flags.contains(table::Flags::WRITE) {
        // EXEC appends its commands as one record, and must hand the reply's wait on.
        // So do scripts, whose commands' writes are one record.
        return Ok(matches!(spec.name, "exec" | "eval" | "evalsha" | "fcall"));
    }
    keyspace.with_journal(|journal| match journal {
        Some(journal) if !journal.healthy() => {
            let why = journal.last_error().unwrap_or_else(|| "unknown error".into());
            Err(CommandError::Message(format!("MISCONF Errors writing to the AOF file: {why}")))
        }
        _ => Ok(true),
    })
}

/// Finds the command (or subcommand) `args` names and checks its arity.
pub fn resolve(args: &[&[u8]]) -> Result<&'static CommandSpec, CommandError> {
    let Some(name) = args.first() else {
        return Err(CommandError::unknown_command(b"", &[]));
    };
    let spec = table::lookup(name).ok_or_else(|| CommandError::unknown_command(name, &args[1..]))?;
    if !spec.arity_ok(args.len()) {
        return Err(CommandError::WrongArity(spec.name.to_owned()));
    }
    // A container with a handler of its own (COMMAND) runs it when given no subcommand.
    if spec.subcommands.is_empty() || (args.len() == 1 && spec.handler.is_some()) {
        return Ok(spec);
    }
    let sub_name = &args[1];
    let sub = spec.subcommand(sub_name).ok_or_else(|| CommandError::UnknownSubcommand {
        command: spec.name.to_ascii_uppercase(),
        sub: String::from_utf8_lossy(sub_name).into_owned(),
    })?;
    if !sub.arity_ok(args.len()) {
        return Err(CommandError::WrongArity(sub.name.to_owned()));
    }
    Ok(sub)
}

/// `<COMMAND> HELP` with Redis's own text (`addReplyHelp`): the header, `lines`, then the
/// HELP entry Redis appends.
pub fn redis_help(out: &mut dyn ReplySink, command: &str, lines: &[&str]) {
    out.array(lines.len() + 3);
    out.simple(&format!("{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
    for line in lines {
        out.simple(line);
    }
    out.simple("HELP");
    out.simple("    Prints this help.");
}
