//! Functions: FUNCTION LOAD DELETE FLUSH LIST DUMP RESTORE STATS KILL HELP, FCALL FCALL_RO
//! (their runs are scripting.rs's; the libraries are `scripting::functions`).
//!
//! The changing subcommands are logged to the journal as themselves, like any write, but
//! from inside the library's lock (see `scripting::functions`), so a snapshot's libraries
//! and the journal's records after them agree; replicas get them through the journal.

use super::table::{CommandSpec, Flags, Group};
use super::{CommandError, CommandResult, Ctx, args};
use crate::scripting::functions::{self, ENGINE_NAME, RestorePolicy};
use crate::server::Server;

/// The version FUNCTION DUMP payloads carry (beside a CRC-64, the framing of DUMP): not an
/// RDB version, so Redis and Aegisr refuse each other's payloads.
const FUNCTIONS_DUMP_VERSION: u16 = 0xAF01;

/// Logs the running FUNCTION command (armed by `execute`) and counts it as a change for the
/// save rules: called under the libraries' lock, once the change is made.
fn commit(server: &Server) {
    if let Some(journal) = server.keyspace.journal() {
        crate::persist::capture::commit(&journal, crate::engine::now_ms());
    }
}

/// Redis's `addReplySubcommandSyntaxError`, with the subcommand as the client wrote it.
fn syntax_error(args: &[&[u8]]) -> CommandError {
    CommandError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
        String::from_utf8_lossy(args[1])
    ))
}

fn function_load(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (code, options) = args[2..].split_last().ok_or_else(|| syntax_error(args))?;
    let mut replace = false;
    for option in options {
        if !args::is(option, "replace") {
            return Err(CommandError::err(format!("Unknown option given: {}", String::from_utf8_lossy(option))));
        }
        replace = true;
    }
    let server = ctx.server;
    let scripting = &server.scripting;
    let name = scripting.functions.load(&scripting.run, code, replace, || commit(server)).map_err(CommandError::err)?;
    server.keyspace.count_change();
    ctx.out.bulk(name.as_bytes());
    Ok(())
}

fn function_delete(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let server = ctx.server;
    let scripting = &server.scripting;
    let name = String::from_utf8_lossy(args[2]);
    scripting.functions.delete(&scripting.run, &name, || commit(server)).map_err(CommandError::err)?;
    server.keyspace.count_change();
    ctx.out.ok();
    Ok(())
}

fn function_flush(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args.len() > 3 {
        return Err(syntax_error(args));
    }
    if let Some(mode) = args.get(2)
        && !args::is(mode, "sync")
        && !args::is(mode, "async")
    {
        return Err(CommandError::err("FUNCTION FLUSH only supports SYNC|ASYNC option"));
    }
    let server = ctx.server;
    server.scripting.functions.flush(|| commit(server));
    server.keyspace.count_change();
    ctx.out.ok();
    Ok(())
}

fn function_list(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let arg = &args[i];
        if !with_code && args::is(arg, "withcode") {
            with_code = true;
        } else if pattern.is_none() && args::is(arg, "libraryname") {
            let Some(p) = args.get(i + 1) else {
                return Err(CommandError::err("library name argument was not given"));
            };
            pattern = Some(p);
            i += 1;
        } else {
            return Err(CommandError::err(format!("Unknown argument {}", String::from_utf8_lossy(arg))));
        }
        i += 1;
    }
    let libraries = ctx.server.scripting.functions.list(pattern);
    let out = &mut *ctx.out;
    out.array(libraries.len());
    for library in libraries {
        out.map(if with_code { 4 } else { 3 });
        out.bulk(b"library_name");
        out.bulk(library.name.as_bytes());
        out.bulk(b"engine");
        out.bulk(ENGINE_NAME.as_bytes());
        out.bulk(b"functions");
        out.array(library.functions.len());
        for f in &library.functions {
            out.map(3);
            out.bulk(b"name");
            out.bulk(f.name.as_bytes());
            out.bulk(b"description");
            out.bulk_or_null(f.description.as_deref());
            out.bulk(b"flags");
            let names: Vec<&str> = f.flags.names().collect();
            out.set(names.len());
            for name in names {
                out.simple(name);
            }
        }
        if with_code {
            out.bulk(b"library_code");
            out.bulk(&library.code);
        }
    }
    Ok(())
}

fn function_dump(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let body = functions::encode_codes(&ctx.server.scripting.functions.codes());
    ctx.out.bulk(&super::dump::seal(body, FUNCTIONS_DUMP_VERSION));
    Ok(())
}

fn function_restore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args.len() > 4 {
        return Err(syntax_error(args));
    }
    let policy = match args.get(3) {
        None => RestorePolicy::Append,
        Some(p) if args::is(p, "append") => RestorePolicy::Append,
        Some(p) if args::is(p, "replace") => RestorePolicy::Replace,
        Some(p) if args::is(p, "flush") => RestorePolicy::Flush,
        Some(_) => {
            return Err(CommandError::err(
                "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ));
        }
    };
    let codes = super::dump::unseal(args[2], FUNCTIONS_DUMP_VERSION)
        .and_then(functions::decode_codes)
        .ok_or_else(|| CommandError::err("DUMP payload version or checksum are wrong"))?;
    let server = ctx.server;
    let scripting = &server.scripting;
    scripting.functions.restore(&scripting.run, &codes, policy, || commit(server)).map_err(CommandError::err)?;
    server.keyspace.count_change();
    ctx.out.ok();
    Ok(())
}

fn function_stats(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let scripting = &ctx.server.scripting;
    let running = scripting.run.running_function();
    if running.is_none() && scripting.run.is_running() && !crate::scripting::in_script() {
        return Err(CommandError::Message(crate::scripting::BUSY_SCRIPT.into()));
    }
    let functions = &scripting.functions;
    let out = &mut *ctx.out;
    out.map(2);
    out.bulk(b"running_script");
    match running {
        None => out.null(),
        Some(running) => {
            out.map(3);
            out.bulk(b"name");
            out.bulk(running.name.as_bytes());
            out.bulk(b"command");
            out.array(running.command.len());
            for arg in &running.command {
                out.bulk(arg);
            }
            out.bulk(b"duration_ms");
            out.integer(i64::try_from(running.started.elapsed().as_millis()).unwrap_or(i64::MAX));
        }
    }
    out.bulk(b"engines");
    out.map(1);
    out.bulk(ENGINE_NAME.as_bytes());
    out.map(2);
    out.bulk(b"libraries_count");
    out.integer(functions.library_count.load(std::sync::atomic::Ordering::Relaxed) as i64);
    out.bulk(b"functions_count");
    out.integer(functions.function_count.load(std::sync::atomic::Ordering::Relaxed) as i64);
    Ok(())
}

fn function_kill(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::scripting::kill(ctx, true)
}

fn function_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::redis_help(
        &mut *ctx.out,
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
    Ok(())
}

const FCALL_FLAGS: Flags =
    Flags::NOSCRIPT.or(Flags::SKIP_MONITOR).or(Flags::STALE).or(Flags::NO_MANDATORY_KEYS).or(Flags::MOVABLE_KEYS);

const SUB: CommandSpec =
    CommandSpec { flags: Flags::NOSCRIPT, group: Group::Scripting, since: "7.0.0", ..CommandSpec::BASE };

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "fcall",
        arity: -3,
        flags: FCALL_FLAGS.or(Flags::MAY_REPLICATE),
        numkeys_at: Some(2),
        group: Group::Scripting,
        since: "7.0.0",
        summary: "Invokes a function.",
        syntax: "function numkeys [key [key ...]] [arg [arg ...]]",
        handler: Some(super::scripting::fcall),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "fcall_ro",
        arity: -3,
        flags: Flags::READONLY.or(FCALL_FLAGS),
        numkeys_at: Some(2),
        group: Group::Scripting,
        since: "7.0.0",
        summary: "Invokes a read-only function.",
        syntax: "function numkeys [key [key ...]] [arg [arg ...]]",
        handler: Some(super::scripting::fcall_ro),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "function",
        arity: -2,
        group: Group::Scripting,
        since: "7.0.0",
        summary: "A container for function commands.",
        subcommands: &[
            CommandSpec {
                name: "function|delete",
                arity: 3,
                flags: Flags::WRITE.or(Flags::NOSCRIPT),
                summary: "Deletes a library and its functions.",
                syntax: "library-name",
                handler: Some(function_delete),
                ..SUB
            },
            CommandSpec {
                name: "function|dump",
                arity: 2,
                summary: "Dumps all libraries into a serialized binary payload.",
                handler: Some(function_dump),
                ..SUB
            },
            CommandSpec {
                name: "function|flush",
                arity: -2,
                flags: Flags::WRITE.or(Flags::NOSCRIPT),
                summary: "Deletes all libraries and functions.",
                syntax: "[ASYNC | SYNC]",
                handler: Some(function_flush),
                ..SUB
            },
            CommandSpec {
                name: "function|help",
                arity: 2,
                flags: Flags::LOADING.or(Flags::STALE),
                summary: "Returns helpful text about the different subcommands.",
                handler: Some(function_help),
                ..SUB
            },
            CommandSpec {
                name: "function|kill",
                arity: 2,
                flags: Flags::NOSCRIPT.or(Flags::ALLOW_BUSY),
                summary: "Terminates a function during execution.",
                handler: Some(function_kill),
                ..SUB
            },
            CommandSpec {
                name: "function|list",
                arity: -2,
                summary: "Returns information about all libraries.",
                syntax: "[LIBRARYNAME library-name-pattern] [WITHCODE]",
                handler: Some(function_list),
                ..SUB
            },
            CommandSpec {
                name: "function|load",
                arity: -3,
                flags: Flags::WRITE.or(Flags::DENYOOM).or(Flags::NOSCRIPT),
                summary: "Creates a library.",
                syntax: "[REPLACE] function-code",
                handler: Some(function_load),
                ..SUB
            },
            CommandSpec {
                name: "function|restore",
                arity: -3,
                flags: Flags::WRITE.or(Flags::DENYOOM).or(Flags::NOSCRIPT),
                summary: "Restores all libraries from a payload.",
                syntax: "serialized-value [FLUSH | APPEND | REPLACE]",
                handler: Some(function_restore),
                ..SUB
            },
            CommandSpec {
                name: "function|stats",
                arity: 2,
                flags: Flags::NOSCRIPT.or(Flags::ALLOW_BUSY),
                summary: "Returns information about a function during execution.",
                handler: Some(function_stats),
                ..SUB
            },
        ],
        ..CommandSpec::BASE
    },
];
