//! Transactions: MULTI EXEC DISCARD WATCH UNWATCH.
//!
//! MULTI queues commands (checked for name and arity as they arrive; an error aborts the
//! transaction at EXEC). EXEC locks every shard the queued commands and the watched keys
//! need, once, in ascending order, then runs the commands on those held shards: no other
//! client sees a state between two of them, on any shard, and no lock order can deadlock.
//! WATCH registers the client on its keys' shards; any write to one of them raises the
//! client's flag, and so does a watched key that existed and has expired by EXEC.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::table::{CommandSpec, Flags, Group, KeyRange};
use super::{CommandError, CommandResult, Ctx, Session, execute, resolve};
use crate::engine::{HeldShards, ShardIndex, WatchFlag};
use crate::server::Server;

/// The commands of an open MULTI.
#[derive(Default)]
pub struct Queued {
    commands: Vec<Vec<Bytes>>,
    /// A command was rejected while queueing: EXEC will discard the transaction.
    aborted: bool,
}

impl Queued {
    /// The queued commands, in order.
    pub(crate) fn commands(&self) -> &[Vec<Bytes>] {
        &self.commands
    }

    /// Whether a queued command may grow memory: EXEC is then refused over maxmemory.
    pub(super) fn grows_memory(&self) -> bool {
        self.any_flagged(Flags::DENYOOM)
    }

    /// Whether a queued command writes: EXEC is then refused without enough good replicas.
    pub(super) fn writes(&self) -> bool {
        self.any_flagged(Flags::WRITE)
    }

    /// Whether a queued command is one a stale replica refuses (it lacks the `stale` flag).
    pub(super) fn denies_stale(&self) -> bool {
        self.commands
            .iter()
            .filter_map(|args| resolve(&super::views(args)).ok())
            .any(|spec| !spec.flags.contains(Flags::STALE))
    }

    fn any_flagged(&self, flag: Flags) -> bool {
        self.commands.iter().filter_map(|args| resolve(&super::views(args)).ok()).any(|spec| spec.flags.contains(flag))
    }
}

/// The keys a client watches, and the flag writers raise.
pub struct Watching {
    flag: WatchFlag,
    /// (database, key, whether it existed when watched).
    keys: Vec<(usize, Bytes, bool)>,
}

/// Whether a command runs at once even inside MULTI, instead of being queued.
fn runs_in_multi(spec: &CommandSpec) -> bool {
    matches!(spec.name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
}

/// Whether `args` would be queued inside MULTI (not refused, nor run at once).
pub(crate) fn queueable(args: &[&[u8]]) -> bool {
    resolve(args).is_ok_and(|spec| !runs_in_multi(spec) && !spec.flags.contains(Flags::NO_MULTI))
}

/// Inside MULTI, queues the command `args` (replying QUEUED), or rejects it and marks the
/// transaction aborted. Returns false when the command must run now instead.
pub(super) fn queue(ctx: &mut Ctx<'_>, args: &[&[u8]], resolved: &Result<&'static CommandSpec, CommandError>) -> bool {
    let Some(queued) = ctx.session.multi.as_mut() else {
        return false;
    };
    let rejection = match resolved {
        Ok(spec) if runs_in_multi(spec) => return false,
        Ok(spec) if spec.flags.contains(Flags::NO_MULTI) => {
            CommandError::err("Command not allowed inside a transaction")
        }
        Ok(_) => {
            queued.commands.push(super::owned_args(args));
            ctx.out.simple("QUEUED");
            return true;
        }
        Err(e) => CommandError::Message(e.to_string()),
    };
    queued.aborted = true;
    let text = rejection.to_string();
    ctx.out.error(&text);
    // Counted as Redis's rejectCommand counts it: the error, and a rejected call of the
    // command when it is one.
    crate::metrics::record_now(ctx, args, resolved.as_ref().ok().copied(), crate::metrics::Ended::Rejected(&text));
    true
}

/// EXEC refused before it runs (wrong arity, OOM...): as Redis's `rejectCommand`, the
/// transaction, if any, is discarded (watched keys too, as `discardTransaction` does) and
/// the error says so, inside MULTI or not.
pub(super) fn reject_exec(ctx: &mut Ctx<'_>, error: &CommandError) -> CommandError {
    ctx.session.multi = None;
    unwatch_all(ctx.server, ctx.session);
    let text = error.to_string();
    // Redis words it from the bare message: "ERR " is dropped, other codes (OOM) stay.
    let reason = text.strip_prefix("ERR ").unwrap_or(&text);
    CommandError::Message(format!("EXECABORT Transaction discarded because of: {reason}"))
}

fn multi(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    if ctx.session.multi.is_some() {
        return Err(CommandError::err("MULTI calls can not be nested"));
    }
    ctx.session.multi = Some(Queued::default());
    ctx.out.ok();
    Ok(())
}

fn discard(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    if ctx.session.multi.take().is_none() {
        return Err(CommandError::err("DISCARD without MULTI"));
    }
    unwatch_all(ctx.server, ctx.session);
    ctx.out.ok();
    Ok(())
}

fn exec(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let Some(queued) = ctx.session.multi.take() else {
        return Err(CommandError::err("EXEC without MULTI"));
    };
    if queued.aborted {
        unwatch_all(ctx.server, ctx.session);
        return Err(CommandError::Message("EXECABORT Transaction discarded because of previous errors.".into()));
    }
    let shards = shards_needed(ctx.server, ctx.session, &queued.commands);
    let mut guards = ctx.server.keyspace.lock_for_transaction(shards);
    let held = HeldShards::new(&mut guards);
    // One time for the whole transaction, watched keys' expiry included (Redis's).
    let _clock = crate::engine::FrozenClock::freeze();
    let mut inner = Ctx { server: ctx.server, session: &mut *ctx.session, out: &mut *ctx.out, tx: Some(&held) };
    if !end_watch(&mut inner) {
        inner.out.null_array();
        return Ok(());
    }
    inner.out.array(queued.commands.len());
    // The commands that change data are logged as one record, appended below while the
    // shards are still held: the journal replays the transaction all or nothing.
    crate::persist::capture::begin_batch();
    for args in &queued.commands {
        execute(&mut inner, &super::views(args));
        // A blocking command does not wait inside a transaction: it times out at once.
        if let Some(block) = inner.session.block.take() {
            (block.on_timeout)(&mut *inner.out);
        }
    }
    crate::persist::capture::end_batch(inner.server.keyspace.journal().as_deref());
    Ok(())
}

/// The shards EXEC must hold: those of every key the queued commands name and of the
/// watched keys; all of them when a command's keys are not known before it runs.
fn shards_needed(server: &Server, session: &Session, commands: &[Vec<Bytes>]) -> Vec<ShardIndex> {
    let keyspace = &server.keyspace;
    let everything = || (0..keyspace.shard_count()).collect();
    let mut shards: Vec<ShardIndex> =
        session.watching.iter().flat_map(|w| &w.keys).map(|(_, key, _)| keyspace.shard_of(key)).collect();
    for args in commands {
        let args = super::views(args);
        let Ok(spec) = resolve(&args) else { continue };
        if spec.flags.contains(Flags::MOVABLE_KEYS) {
            return everything();
        }
        match spec.keys_of(&args) {
            // Keyless commands outside the connection group walk the keyspace (DBSIZE,
            // FLUSHALL, SCAN...) or read its counters (INFO).
            Some(keys) if keys.is_empty() && spec.group != Group::Connection => return everything(),
            Some(keys) => shards.extend(keys.into_iter().map(|k| keyspace.shard_of(k))),
            None => return everything(),
        }
    }
    shards
}

/// Ends the client's WATCH at EXEC (shards held): false when a watched key changed.
fn end_watch(ctx: &mut Ctx<'_>) -> bool {
    let Some(watching) = ctx.session.watching.take() else {
        return true;
    };
    let mut locked = ctx.lock_keys(watching.keys.iter().map(|(_, key, _)| key));
    let mut unchanged = !watching.flag.load(Ordering::Acquire);
    for (db, key, existed) in &watching.keys {
        // A key that existed and has expired since changed, even if nothing wrote to it.
        if unchanged && *existed && !locked.exists_in(*db, key) {
            unchanged = false;
        }
        locked.unwatch(*db, key, &watching.flag);
    }
    unchanged
}

fn watch(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if ctx.session.multi.is_some() {
        return Err(CommandError::err("WATCH inside MULTI is not allowed"));
    }
    let db = ctx.session.db;
    let watching =
        ctx.session.watching.get_or_insert_with(|| Watching { flag: WatchFlag::default(), keys: Vec::new() });
    // Already changed: EXEC will fail whatever else is watched.
    if !watching.flag.load(Ordering::Acquire) {
        let mut locked = ctx.server.keyspace.lock_keys(db, args[1..].iter().map(|k| &k[..]));
        for key in &args[1..] {
            if !watching.keys.iter().any(|(d, k, _)| *d == db && k == key) {
                let existed = locked.watch(db, key, &watching.flag);
                watching.keys.push((db, Bytes::copy_from_slice(key), existed));
            }
        }
    }
    ctx.out.ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    unwatch_all(ctx.server, ctx.session);
    ctx.out.ok();
    Ok(())
}

/// Forgets the client's watched keys.
fn unwatch_all(server: &Server, session: &mut Session) {
    let Some(watching) = session.watching.take() else { return };
    let mut locked = server.keyspace.lock_keys(0, watching.keys.iter().map(|(_, key, _)| &key[..]));
    for (db, key, _) in &watching.keys {
        locked.unwatch(*db, key, &watching.flag);
    }
}

/// Drops the client's transaction state: RESET, and a client going away.
pub fn end_session(server: &Server, session: &mut Session) {
    session.multi = None;
    unwatch_all(server, session);
}

const TRANSACTION: CommandSpec = CommandSpec {
    group: Group::Transactions,
    since: "1.2.0",
    flags: Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST).or(Flags::ALLOW_BUSY),
    ..CommandSpec::BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "multi",
        arity: 1,
        since: "1.2.0",
        summary: "Starts a transaction.",
        handler: Some(multi),
        ..TRANSACTION
    },
    CommandSpec {
        name: "exec",
        arity: 1,
        flags: Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::SKIP_SLOWLOG),
        summary: "Executes all commands in a transaction.",
        handler: Some(exec),
        ..TRANSACTION
    },
    CommandSpec {
        name: "discard",
        arity: 1,
        since: "2.0.0",
        summary: "Discards a transaction.",
        handler: Some(discard),
        ..TRANSACTION
    },
    CommandSpec {
        name: "watch",
        arity: -2,
        since: "2.2.0",
        keys: KeyRange::ALL,
        summary: "Monitors changes to keys to determine the execution of a transaction.",
        syntax: "key [key ...]",
        handler: Some(watch),
        ..TRANSACTION
    },
    CommandSpec {
        name: "unwatch",
        arity: 1,
        since: "2.2.0",
        summary: "Forgets about watched keys of a transaction.",
        handler: Some(unwatch),
        ..TRANSACTION
    },
];
