//! Scripting: EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT, and functions: FCALL FCALL_RO
//! FUNCTION (see `scripting::functions`).
//!
//! A script is atomic: it locks every shard (in standalone mode a script may touch keys it
//! did not declare), then runs each `redis.call` through [`resolve`] and [`execute`] on
//! those held shards, as EXEC runs its queued commands, with the effects logged as one
//! journal record. Inside EXEC the transaction already holds every shard (EVAL has movable
//! keys, so EXEC locks them all) and the script borrows them from it.

use std::cell::{Cell, RefCell};

use bytes::Bytes;

use super::table::{CommandSpec, Flags, Group};
use super::{CommandError, CommandResult, Ctx, Session, execute, resolve};
use crate::engine::HeldShards;
use crate::reply::{Protocol, Reply, ReplySink, ReplyTree};
use crate::scripting::{Call, KillOutcome, RunningFunction, ScriptFlags};
use crate::server::Server;

const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

fn eval(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    eval_generic(ctx, args, false, false)
}

fn evalsha(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    eval_generic(ctx, args, true, false)
}

fn eval_ro(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    eval_generic(ctx, args, false, true)
}

fn evalsha_ro(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    eval_generic(ctx, args, true, true)
}

/// The number of keys of `EVAL script numkeys ...`, checked against the arguments.
fn numkeys(args: &[&[u8]]) -> Result<usize, CommandError> {
    let n = super::args::int(args[2])?;
    if n < 0 {
        return Err(CommandError::err("Number of keys can't be negative"));
    }
    match usize::try_from(n) {
        Ok(n) if n <= args.len() - 3 => Ok(n),
        _ => Err(CommandError::err("Number of keys can't be greater than number of args")),
    }
}

fn eval_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], by_sha: bool, read_only: bool) -> CommandResult {
    let numkeys = numkeys(args)?;
    let scripting = &ctx.server.scripting;
    let (sha, flags) = if by_sha {
        // Digests are matched case-insensitively, as Redis lower-cases them.
        let sha = String::from_utf8_lossy(args[1]).to_ascii_lowercase();
        let flags = (sha.len() == 40).then(|| scripting.flags(&sha)).flatten();
        let Some(flags) = flags else {
            return Err(CommandError::Message(NOSCRIPT.into()));
        };
        (sha, flags)
    } else {
        let compiled = scripting.with_engine(|engine| engine.compile(args[1])).map_err(CommandError::err)?;
        let compiled = compiled.map_err(CommandError::err)?;
        (compiled.sha, compiled.flags)
    };
    prepare(ctx, flags, read_only)?;
    let keys = &args[3..3 + numkeys];
    let argv = &args[3 + numkeys..];
    let script = Script {
        sha: &sha,
        keys,
        argv,
        read_only: read_only || flags.no_writes,
        allow_oom: flags.allow_oom,
        function: None,
    };
    run_script(ctx, &script)
}

/// Redis's `scriptPrepareForRun` checks of a script that declares its flags (a shebang, or
/// any function); a legacy script runs whatever they would say.
fn prepare(ctx: &Ctx<'_>, flags: ScriptFlags, read_only: bool) -> CommandResult {
    if !flags.declared {
        return Ok(());
    }
    if flags.no_cluster && ctx.server.router.get().is_some() {
        return Err(CommandError::err("Can not run script on cluster, 'no-cluster' flag is set."));
    }
    if !flags.no_writes && read_only {
        return Err(CommandError::err("Can not execute a script with write flag using *_ro command."));
    }
    // no-writes implies allow-oom.
    if !flags.allow_oom && !flags.no_writes && super::maxmemory::over_limit() {
        return Err(CommandError::Oom);
    }
    if !flags.no_writes && !super::min_replicas::enough(ctx.server) {
        return Err(CommandError::Message(super::min_replicas::NOREPLICAS.into()));
    }
    Ok(())
}

pub(super) fn fcall(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    fcall_generic(ctx, args, false)
}

pub(super) fn fcall_ro(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    fcall_generic(ctx, args, true)
}

/// FCALL / FCALL_RO: the function first, then its key count, as Redis checks them.
fn fcall_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], read_only: bool) -> CommandResult {
    let name = String::from_utf8_lossy(args[1]).into_owned();
    let Some(flags) = ctx.server.scripting.functions.flags(&name) else {
        return Err(CommandError::err("Function not found"));
    };
    let Some(numkeys) = crate::types::string::parse_i64(args[2]) else {
        return Err(CommandError::err("Bad number of keys provided"));
    };
    let numkeys = match usize::try_from(numkeys) {
        Err(_) => return Err(CommandError::err("Number of keys can't be negative")),
        Ok(n) if n > args.len() - 3 => {
            return Err(CommandError::err("Number of keys can't be greater than number of args"));
        }
        Ok(n) => n,
    };
    prepare(ctx, flags, read_only)?;
    let script = Script {
        sha: &name,
        keys: &args[3..3 + numkeys],
        argv: &args[3 + numkeys..],
        read_only: read_only || flags.no_writes,
        allow_oom: flags.allow_oom,
        function: Some(args),
    };
    run_script(ctx, &script)
}

/// Runs a script or function atomically: on the transaction's shards inside EXEC, on every
/// shard otherwise.
fn run_script(ctx: &mut Ctx<'_>, script: &Script<'_>) -> CommandResult {
    let server = ctx.server;
    match ctx.tx {
        // Inside EXEC: borrow the transaction's shards (all of them) for the run.
        Some(tx) => {
            let mut taken = tx.take_all();
            let result = {
                let held = HeldShards::from_shards(taken.iter_mut().map(|(i, s)| (*i, &mut **s)));
                let state = SinkState::default();
                let mut sink = ScriptSink { state: &state };
                run_held(server, &mut *ctx.session, &held, &state, &mut sink, &mut *ctx.out, script)
            };
            tx.give_back(taken);
            result
        }
        None => {
            let keyspace = &server.keyspace;
            // Other clients' commands that passed the BUSY check finish first: one that
            // found its shard taken by the script would block its worker until the end.
            server.scripting.run.announce(busy_threshold(server));
            let mut guards = keyspace.lock_for_transaction(0..keyspace.shard_count());
            let held = HeldShards::new(&mut guards);
            let state = SinkState::default();
            let mut sink = ScriptSink { state: &state };
            // The script's writes are logged as one record, appended before the shards
            // are released: the journal replays the script all or nothing.
            crate::persist::capture::begin_batch();
            let result = run_held(server, &mut *ctx.session, &held, &state, &mut sink, &mut *ctx.out, script);
            crate::persist::capture::end_batch(keyspace.journal().as_deref());
            result
        }
    }
}

/// `busy-reply-threshold`: how long a script runs before other clients get BUSY.
fn busy_threshold(server: &Server) -> u64 {
    u64::try_from(server.config.i64("busy-reply-threshold")).unwrap_or(0)
}

/// A script about to run.
struct Script<'a> {
    /// The script's digest, or the function's name.
    sha: &'a str,
    keys: &'a [&'a [u8]],
    argv: &'a [&'a [u8]],
    read_only: bool,
    /// Declared `allow-oom`: its commands run over maxmemory.
    allow_oom: bool,
    /// For a function: the FCALL that runs it.
    function: Option<&'a [&'a [u8]]>,
}

/// Runs `script` on `held` shards; its commands reply into `sink`, the script's reply
/// goes to `out`.
fn run_held<'s>(
    server: &'s Server,
    session: &'s mut Session,
    held: &'s HeldShards<'s>,
    state: &'s SinkState,
    sink: &'s mut ScriptSink<'s>,
    out: &mut dyn ReplySink,
    script: &Script<'_>,
) -> CommandResult {
    let threshold = busy_threshold(server);
    let run = &server.scripting.run;
    let (saved_db, saved_protocol) = (session.db, session.protocol);
    // A tracking caller is remembered on the script's declared keys when the script reads
    // (below), not on what its commands read.
    let tracking = session.tracking.take();
    // A script sees one time from start to end: a key does not expire halfway through it.
    let _clock = crate::engine::FrozenClock::freeze();
    let mut inner = Ctx { server, session, out: sink, tx: Some(held) };
    let mut call = |mode: Call, args: Vec<Bytes>| -> Reply {
        let args = super::views(&args);
        // Refused before running, as Redis's scriptCall refuses: counted as the command's
        // rejection (the error reaches the script as a command's error).
        let reject = |spec: Option<&'static CommandSpec>, text: &str| {
            crate::metrics::record_now(&inner, &args, spec, crate::metrics::Ended::Rejected(text));
            Reply::Error(text.into())
        };
        let resp3 = match mode {
            Call::Run { resp3 } => resp3,
            Call::AclCheck => {
                let Ok(spec) = resolve(&args) else {
                    return Reply::Error("ERR Invalid command passed to redis.acl_check_cmd()".into());
                };
                let user = super::acl::session_user(&inner);
                let allowed = user.unrestricted() || crate::acl::check::check(&user.user(), spec, &args).is_ok();
                return Reply::Integer(i64::from(allowed));
            }
        };
        let spec = match resolve(&args) {
            Ok(spec) => spec,
            Err(CommandError::WrongArity(_)) => {
                return reject(None, "ERR Wrong number of args calling Redis command from script");
            }
            Err(_) => return reject(None, "ERR Unknown Redis command called from script"),
        };
        if spec.flags.contains(Flags::NOSCRIPT)
            && !server.scripting.deny_disabled.load(std::sync::atomic::Ordering::Relaxed)
        {
            return reject(Some(spec), "ERR This Redis command is not allowed from script");
        }
        if (spec.flags.contains(Flags::WRITE) || spec.flags.contains(Flags::MAY_REPLICATE)) && script.read_only {
            return reject(Some(spec), "ERR Write commands are not allowed from read-only scripts.");
        }
        // Over maxmemory when the script started (Redis's pre-command OOM state), a
        // script not declared allow-oom may not grow memory until it has written (from
        // then on it must complete).
        if spec.flags.contains(Flags::DENYOOM) && !script.allow_oom && !run.wrote() && super::maxmemory::over_limit() {
            return reject(Some(spec), &CommandError::Oom.to_string());
        }
        if spec.flags.contains(Flags::WRITE) {
            // A legacy script finds out at its first write (a declared one was refused at
            // start).
            if !super::min_replicas::enough(server) {
                return reject(Some(spec), super::min_replicas::NOREPLICAS);
            }
            run.note_write();
        }
        inner.session.protocol = if resp3 { Protocol::Resp3 } else { Protocol::Resp2 };
        state.resp3.set(resp3);
        execute(&mut inner, &args);
        if let Some(state) = tracking
            && spec.flags.contains(Flags::READONLY)
        {
            super::tracking::remember_script_keys(&inner, state, script.keys);
        }
        // A blocking command does not wait inside a script: it times out at once (and is
        // counted then, as a blocked command is).
        if let Some(block) = inner.session.block.take() {
            (block.on_timeout)(&mut *inner.out);
            super::blocking::record_ended(server, &mut *inner.session, &args, &mut *inner.out, None);
        }
        inner.session.protocol = saved_protocol;
        state.tree.borrow_mut().take().pop().unwrap_or(Reply::Null)
    };
    let result = match script.function {
        None => {
            let _guard = run.start(threshold);
            server.scripting.with_engine(|engine| engine.run(script.sha, script.keys, script.argv, &mut call, out))
        }
        Some(command) => {
            let running = RunningFunction {
                name: script.sha.to_owned(),
                command: super::owned_args(command),
                started: std::time::Instant::now(),
            };
            let _guard = run.start_function(threshold, running);
            server.scripting.functions.run(run, script.sha, script.keys, script.argv, &mut call, out)
        }
    };
    inner.session.tracking = tracking;
    // SELECT inside a script does not change the caller's database.
    if inner.session.db != saved_db {
        inner.session.select(saved_db);
    }
    inner.session.protocol = saved_protocol;
    match result {
        Ok(Ok(errors)) => {
            count_reply_errors(server, &errors);
            Ok(())
        }
        Ok(Err(error)) if error.passed_on => Err(CommandError::PassedOn(error.text)),
        Ok(Err(error)) => Err(CommandError::Message(error.text)),
        Err(message) => Err(CommandError::err(message)),
    }
}

/// The errors inside a script's reply, counted as Redis counts them: those the script made
/// as error replies sent; each one passed on from a command as a failure of the command
/// that ran the script (its own errors make it fail too, see `metrics::record`).
fn count_reply_errors(server: &Server, errors: &crate::scripting::convert::ReplyErrors) {
    for text in &errors.own {
        crate::metrics::count_error_reply(server, text);
    }
    for _ in 0..errors.passed_on {
        crate::metrics::note_passed_on_error();
    }
}

/// Collects the replies of the commands a script calls. In RESP2 a double Redis formats
/// its own way (GEOPOS) keeps that text, as a RESP2 client would get it.
struct ScriptSink<'a> {
    state: &'a SinkState,
}

/// What the script's sink collected, read between commands.
#[derive(Default)]
struct SinkState {
    tree: RefCell<ReplyTree>,
    /// The script asked for RESP3 (`redis.setresp(3)`).
    resp3: Cell<bool>,
}

impl ScriptSink<'_> {
    fn tree(&self) -> std::cell::RefMut<'_, ReplyTree> {
        self.state.tree.borrow_mut()
    }
}

impl ReplySink for ScriptSink<'_> {
    fn simple(&mut self, text: &str) {
        self.tree().simple(text);
    }
    fn error(&mut self, message: &str) {
        self.tree().error(message);
    }
    fn integer(&mut self, n: i64) {
        self.tree().integer(n);
    }
    fn bulk(&mut self, bytes: &[u8]) {
        self.tree().bulk(bytes);
    }
    fn null(&mut self) {
        self.tree().null();
    }
    fn null_array(&mut self) {
        self.tree().null_array();
    }
    fn double(&mut self, value: f64) {
        self.tree().double(value);
    }
    fn double_text(&mut self, value: f64, text: &str) {
        if self.state.resp3.get() { self.tree().double(value) } else { self.tree().bulk(text.as_bytes()) }
    }
    fn boolean(&mut self, value: bool) {
        self.tree().boolean(value);
    }
    fn array(&mut self, len: usize) {
        self.tree().array(len);
    }
    fn map(&mut self, len: usize) {
        self.tree().map(len);
    }
    fn set(&mut self, len: usize) {
        self.tree().set(len);
    }
    fn push(&mut self, len: usize) {
        self.tree().push(len);
    }
    fn verbatim(&mut self, format: &str, text: &[u8]) {
        self.tree().verbatim(format, text);
    }
    fn big_number(&mut self, digits: &str) {
        self.tree().big_number(digits);
    }
}

fn script_load(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let compiled = ctx.server.scripting.with_engine(|engine| engine.compile(args[2])).map_err(CommandError::err)?;
    let sha = compiled.map_err(CommandError::err)?.sha;
    ctx.out.bulk(sha.as_bytes());
    Ok(())
}

fn script_exists(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let scripting = &ctx.server.scripting;
    ctx.out.array(args.len() - 2);
    for sha in &args[2..] {
        let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
        ctx.out.integer(i64::from(sha.len() == 40 && scripting.exists(&sha)));
    }
    Ok(())
}

fn script_flush(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    match args.get(2) {
        None => {}
        Some(mode) if args.len() == 3 && (super::args::is(mode, "sync") || super::args::is(mode, "async")) => {}
        Some(_) => return Err(CommandError::err("SCRIPT FLUSH only support SYNC|ASYNC option")),
    }
    ctx.server.scripting.flush();
    ctx.out.ok();
    Ok(())
}

fn script_kill(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    kill(ctx, false)
}

/// SCRIPT KILL (`function` false) and FUNCTION KILL.
pub(super) fn kill(ctx: &mut Ctx<'_>, function: bool) -> CommandResult {
    match ctx.server.scripting.run.kill(function) {
        KillOutcome::Killed => {
            ctx.out.ok();
            Ok(())
        }
        KillOutcome::NotBusy => Err(CommandError::Message("NOTBUSY No scripts in execution right now.".into())),
        KillOutcome::Unkillable => Err(CommandError::Message(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.".into(),
        )),
        KillOutcome::WrongKind(busy) => Err(CommandError::Message(busy.into())),
    }
}

/// SCRIPT DEBUG YES|SYNC|NO: Aegisr has no Lua debugger, so only NO (the debugger off,
/// which it always is) succeeds; the argument errors are Redis's.
fn script_debug(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    // Redis refuses it while replies are pending, as inside EXEC they always are.
    if ctx.tx.is_some() {
        return Err(CommandError::err("SCRIPT DEBUG must be called outside a pipeline"));
    }
    let mode = &args[2];
    if super::args::is(mode, "no") {
        ctx.out.ok();
        Ok(())
    } else if super::args::is(mode, "yes") || super::args::is(mode, "sync") {
        Err(CommandError::err(
            "SCRIPT DEBUG YES and SYNC are not supported: Aegisr has no Lua debugger (SCRIPT DEBUG NO is accepted)",
        ))
    } else {
        Err(CommandError::err("Use SCRIPT DEBUG YES/SYNC/NO"))
    }
}

fn script_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::redis_help(
        &mut *ctx.out,
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
    Ok(())
}

const EVAL_FLAGS: Flags =
    Flags::NOSCRIPT.or(Flags::SKIP_MONITOR).or(Flags::STALE).or(Flags::NO_MANDATORY_KEYS).or(Flags::MOVABLE_KEYS);

const SCRIPTING: CommandSpec = CommandSpec {
    arity: -3,
    flags: EVAL_FLAGS,
    numkeys_at: Some(2),
    group: Group::Scripting,
    since: "2.6.0",
    ..CommandSpec::BASE
};

const SCRIPT_SUB: CommandSpec =
    CommandSpec { flags: Flags::NOSCRIPT, group: Group::Scripting, since: "2.6.0", ..CommandSpec::BASE };

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "eval",
        flags: EVAL_FLAGS.or(Flags::MAY_REPLICATE),
        summary: "Executes a server-side Lua script.",
        syntax: "script numkeys [key [key ...]] [arg [arg ...]]",
        handler: Some(eval),
        ..SCRIPTING
    },
    CommandSpec {
        name: "evalsha",
        flags: EVAL_FLAGS.or(Flags::MAY_REPLICATE),
        summary: "Executes a server-side Lua script by SHA1 digest.",
        syntax: "sha1 numkeys [key [key ...]] [arg [arg ...]]",
        handler: Some(evalsha),
        ..SCRIPTING
    },
    CommandSpec {
        name: "eval_ro",
        flags: Flags::READONLY.or(EVAL_FLAGS),
        since: "7.0.0",
        summary: "Executes a read-only server-side Lua script.",
        syntax: "script numkeys [key [key ...]] [arg [arg ...]]",
        handler: Some(eval_ro),
        ..SCRIPTING
    },
    CommandSpec {
        name: "evalsha_ro",
        flags: Flags::READONLY.or(EVAL_FLAGS),
        since: "7.0.0",
        summary: "Executes a read-only server-side Lua script by SHA1 digest.",
        syntax: "sha1 numkeys [key [key ...]] [arg [arg ...]]",
        handler: Some(evalsha_ro),
        ..SCRIPTING
    },
    CommandSpec {
        name: "script",
        arity: -2,
        group: Group::Scripting,
        since: "2.6.0",
        summary: "A container for Lua scripts management commands.",
        subcommands: &[
            CommandSpec {
                name: "script|debug",
                arity: 3,
                since: "3.2.0",
                summary: "Sets the debug mode of server-side Lua scripts.",
                syntax: "<YES | SYNC | NO>",
                handler: Some(script_debug),
                ..SCRIPT_SUB
            },
            CommandSpec {
                name: "script|exists",
                arity: -3,
                summary: "Determines whether server-side Lua scripts exist in the script cache.",
                syntax: "sha1 [sha1 ...]",
                handler: Some(script_exists),
                ..SCRIPT_SUB
            },
            CommandSpec {
                name: "script|flush",
                arity: -2,
                summary: "Removes all server-side Lua scripts from the script cache.",
                syntax: "[ASYNC | SYNC]",
                handler: Some(script_flush),
                ..SCRIPT_SUB
            },
            CommandSpec {
                name: "script|help",
                arity: 2,
                flags: Flags::LOADING.or(Flags::STALE),
                summary: "Returns helpful text about the different subcommands.",
                handler: Some(script_help),
                ..SCRIPT_SUB
            },
            CommandSpec {
                name: "script|kill",
                arity: 2,
                flags: Flags::NOSCRIPT.or(Flags::ALLOW_BUSY),
                summary: "Terminates a server-side Lua script during execution.",
                handler: Some(script_kill),
                ..SCRIPT_SUB
            },
            CommandSpec {
                name: "script|load",
                arity: 3,
                flags: Flags::NOSCRIPT.or(Flags::STALE),
                summary: "Loads a server-side Lua script to the script cache.",
                syntax: "script",
                handler: Some(script_load),
                ..SCRIPT_SUB
            },
        ],
        ..CommandSpec::BASE
    },
];
