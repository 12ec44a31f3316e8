//! DEBUG: Redis's developer command, off unless `enable-debug-command` allows it. The
//! subcommands tests and tools rely on: SLEEP, OBJECT, DIGEST, DIGEST-VALUE, RELOAD,
//! POPULATE, SET-ACTIVE-EXPIRE, PROTOCOL, ERROR, LOG, CHANGE-REPL-ID and
//! QUICKLIST-PACKED-THRESHOLD. Those that crash or inspect Redis's C structures are not.

mod digest;
mod reload;

use std::time::Duration;

use super::args::{int, is};
use super::errors::{CommandError, CommandResult};
use super::table::{CommandSpec, Flags, Group};
use super::{Ctx, redis_help};

/// Whether a protected command (or option) may run (be set), as its `enable-*` option
/// says: no, yes, or local (Redis's `islocalClient`: the loopback addresses exactly).
/// DEBUG and MODULE's LOAD / LOADEX / UNLOAD are protected, as in Redis, and so are the
/// options of `config::PROTECTED_IN_REDIS` (`enable-protected-configs`).
pub(super) fn protected_allowed(ctx: &Ctx<'_>, option: &str) -> bool {
    match ctx.server.config.string(option).as_str() {
        "yes" => true,
        "local" => {
            ctx.session.client.addr.rsplit_once(':').is_some_and(|(host, _)| {
                matches!(host.trim_start_matches('[').trim_end_matches(']'), "127.0.0.1" | "::1")
            })
        }
        _ => false,
    }
}

/// Redis's refusal of a protected command the client may not run: checked before the
/// command is queued in MULTI or looked at in any other way, as Redis does.
pub(super) fn refuse_protected(ctx: &Ctx<'_>, spec: &CommandSpec) -> Result<(), CommandError> {
    if !spec.flags.contains(Flags::PROTECTED) {
        return Ok(());
    }
    let (command, option) = if spec.name.starts_with("module|") {
        ("MODULE", "enable-module-command")
    } else {
        ("DEBUG", "enable-debug-command")
    };
    if protected_allowed(ctx, option) {
        return Ok(());
    }
    Err(CommandError::Message(format!(
        "ERR {command} command not allowed. If the {option} option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
    )))
}

const HELP: &[&str] = &[
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOADAOF",
    "    Sync the journal, then load the data directory (snapshot and journal) in place",
    "    of the dataset, as a restart would.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Serialize every key and load it back (Aegisr's persistence codec, in memory).",
    "    NOSAVE changes nothing; NOFLUSH without MERGE fails on a non-empty dataset, as",
    "    every key would load twice.",
    "SET-DISABLE-DENY-SCRIPTS <0|1>",
    "    Setting it to 1 lets scripts call commands flagged noscript (CLIENT LIST...).",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Accepted for compatibility: Aegisr's lists have no plain nodes.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
];

fn debug(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let sub = &args[1];
    let n = args.len();
    match () {
        () if n == 2 && is(sub, "help") => redis_help(ctx.out, "DEBUG", HELP),
        () if n == 3 && is(sub, "sleep") => sleep(ctx, args[2]),
        () if n == 3 && is(sub, "object") => return reload::object(ctx, args[2]),
        () if n == 2 && is(sub, "digest") => reload::digest(ctx),
        () if n >= 2 && is(sub, "digest-value") => reload::digest_value(ctx, &args[2..]),
        () if n >= 2 && is(sub, "reload") => return reload::reload(ctx, &args[2..]),
        () if n == 2 && is(sub, "loadaof") => return reload::load_journal(ctx),
        () if (3..=5).contains(&n) && is(sub, "populate") => return reload::populate(ctx, &args[2..]),
        () if n == 3 && is(sub, "set-active-expire") => {
            ctx.server.keyspace.set_active_expire(int(args[2])? != 0);
            ctx.out.ok();
        }
        () if n == 3 && is(sub, "pause-cron") => {
            ctx.server.cron_paused.store(int(args[2])? != 0, std::sync::atomic::Ordering::Relaxed);
            ctx.out.ok();
        }
        () if n == 3 && is(sub, "set-disable-deny-scripts") => {
            let disabled = int(args[2])? != 0;
            ctx.server.scripting.deny_disabled.store(disabled, std::sync::atomic::Ordering::Relaxed);
            ctx.out.ok();
        }
        () if n == 3 && is(sub, "protocol") => return protocol(ctx, args[2]),
        () if n == 3 && is(sub, "error") => ctx.out.error(&String::from_utf8_lossy(args[2])),
        () if n == 3 && is(sub, "log") => {
            tracing::warn!("DEBUG LOG: {}", String::from_utf8_lossy(args[2]));
            ctx.out.ok();
        }
        () if n == 2 && is(sub, "change-repl-id") => ctx.out.ok(),
        () if n == 3 && is(sub, "quicklist-packed-threshold") => {
            let size = crate::config::parse_memory(&String::from_utf8_lossy(args[2]));
            if size.is_none_or(|s| s >= 4 * 1024 * 1024 * 1024) {
                return Err(CommandError::err("argument must be a memory value bigger than 1 and smaller than 4gb"));
            }
            ctx.out.ok();
        }
        () => {
            return Err(CommandError::err(format!(
                "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                String::from_utf8_lossy(sub)
            )));
        }
    }
    Ok(())
}

fn sleep(ctx: &mut Ctx<'_>, arg: &[u8]) {
    // As Redis (strtod): what does not parse is 0; negative or absurd values too.
    let seconds = std::str::from_utf8(arg).ok().and_then(|s| s.trim().parse::<f64>().ok()).unwrap_or(0.0);
    let pause = Duration::try_from_secs_f64(seconds).unwrap_or(Duration::ZERO);
    // Blocks this worker thread, as DEBUG SLEEP blocks Redis's only one.
    std::thread::sleep(pause);
    ctx.out.ok();
}

/// DEBUG PROTOCOL: one test value of each reply type, as Redis sends it (RESP2 clients get
/// RESP2's rendering of each, and an error for a push).
fn protocol(ctx: &mut Ctx<'_>, kind: &[u8]) -> CommandResult {
    let resp3 = ctx.session.protocol == crate::reply::Protocol::Resp3;
    let kind = String::from_utf8_lossy(kind).to_ascii_lowercase();
    let out = &mut *ctx.out;
    match kind.as_str() {
        "string" => out.bulk(b"Hello World"),
        "integer" => out.integer(12345),
        // Redis's test value, not pi.
        #[allow(clippy::approx_constant)]
        "double" => out.double(3.141),
        "bignum" => out.big_number("1234567999999999999999999999999999999"),
        "null" => out.null(),
        "array" | "set" | "map" => {
            match kind.as_str() {
                "array" => out.array(3),
                "set" => out.set(3),
                _ => out.map(3),
            }
            for i in 0..3 {
                out.integer(i);
                if kind == "map" {
                    out.boolean(i == 1);
                }
            }
        }
        "attrib" => {
            if out.attribute(1) {
                out.bulk(b"key-popularity");
                out.array(2);
                out.bulk(b"key:123");
                out.integer(90);
            }
            out.bulk(b"Some real reply following the attribute");
        }
        "push" => {
            if !resp3 {
                return Err(CommandError::err("RESP2 is not supported by this command"));
            }
            out.push(2);
            out.bulk(b"server-cpu-usage");
            out.integer(42);
            out.bulk(b"Some real reply following the push reply");
        }
        "verbatim" => out.verbatim("txt", b"This is a verbatim\nstring"),
        "true" => out.boolean(true),
        "false" => out.boolean(false),
        _ => {
            return Err(CommandError::err(
                "Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            ));
        }
    }
    Ok(())
}

pub(super) const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "debug",
    arity: -2,
    flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE).or(Flags::PROTECTED),
    group: Group::Server,
    since: "1.0.0",
    summary: "A container for debugging commands.",
    syntax: "subcommand [argument [argument ...]]",
    handler: Some(debug),
    ..CommandSpec::BASE
}];
