//! Server commands: COMMAND, INFO, CONFIG, TIME, SHUTDOWN.

use super::args::{is, lower};
use super::errors::{CommandError, CommandResult};
use super::key_specs;
use super::table::{self, CommandSpec, Flags, Group, KeyRange};
use super::{Ctx, resolve};
use crate::engine::glob::glob_match;
use crate::reply::ReplySink;
use crate::server::info;

/// One COMMAND INFO entry, in Redis 7's ten-element shape.
fn write_info(out: &mut dyn ReplySink, spec: &CommandSpec) {
    out.array(10);
    out.bulk(spec.name.as_bytes());
    out.integer(i64::from(spec.arity));
    let flags: Vec<_> = spec.flags.names().collect();
    out.set(flags.len());
    for f in flags {
        out.simple(f);
    }
    let KeyRange { first, last, step } = spec.keys;
    out.integer(i64::from(first));
    out.integer(i64::from(last));
    out.integer(i64::from(step));
    let cats = spec.acl_categories();
    out.set(cats.len());
    for c in cats {
        out.simple(c);
    }
    // Tips, key specs and, when there are none, subcommands are RESP3 sets in Redis; a
    // container's subcommands an array.
    key_specs::write_tips_and_key_specs(out, spec);
    if spec.subcommands.is_empty() {
        out.set(0);
    } else {
        out.array(spec.subcommands.len());
    }
    for sub in spec.subcommands {
        write_info(out, sub);
    }
}

fn write_docs(out: &mut dyn ReplySink, spec: &CommandSpec) {
    let subs = !spec.subcommands.is_empty();
    // A container's arguments are its subcommands.
    let arguments = if subs { Vec::new() } else { super::arguments::parse(spec.syntax) };
    out.map(4 + usize::from(subs) + usize::from(!arguments.is_empty()));
    out.bulk(b"summary");
    out.bulk(spec.summary.as_bytes());
    out.bulk(b"since");
    out.bulk(spec.since.as_bytes());
    out.bulk(b"group");
    out.bulk(spec.group.name().as_bytes());
    out.bulk(b"syntax");
    out.bulk(spec.syntax.as_bytes());
    if !arguments.is_empty() {
        out.bulk(b"arguments");
        super::arguments::write(out, &arguments);
    }
    if subs {
        out.bulk(b"subcommands");
        out.map(spec.subcommands.len());
        for sub in spec.subcommands {
            out.bulk(sub.name.as_bytes());
            write_docs(out, sub);
        }
    }
}

/// A command or `container|sub` by name, for COMMAND INFO/DOCS.
fn find_spec(name: &[u8]) -> Option<&'static CommandSpec> {
    let text = lower(name);
    match text.split_once('|') {
        Some((container, sub)) => table::lookup(container.as_bytes())?.subcommand(sub.as_bytes()),
        None => table::lookup(name),
    }
}

fn command(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let all = table::all();
    ctx.out.array(all.len());
    for spec in all {
        write_info(ctx.out, spec);
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    ctx.out.count(table::all().len());
    Ok(())
}

fn command_info(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args.len() == 2 {
        return command(ctx, args);
    }
    ctx.out.array(args.len() - 2);
    for name in &args[2..] {
        match find_spec(name) {
            Some(spec) => write_info(ctx.out, spec),
            // A nil bulk string in RESP2, as Redis writes it.
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn command_docs(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let specs: Vec<&CommandSpec> =
        if args.len() == 2 { table::all() } else { args[2..].iter().filter_map(|n| find_spec(n)).collect() };
    ctx.out.map(specs.len());
    for spec in specs {
        ctx.out.bulk(spec.name.as_bytes());
        write_docs(ctx.out, spec);
    }
    Ok(())
}

fn command_list(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut names: Vec<&str> = Vec::new();
    let all = table::all();
    let every = all.iter().flat_map(|c| std::iter::once(*c).chain(c.subcommands.iter()));
    match args.len() {
        2 => names.extend(every.map(|c| c.name)),
        5 if is(args[2], "filterby") => {
            let value = &args[4];
            if is(args[3], "module") {
            } else if is(args[3], "aclcat") {
                let cat = format!("@{}", lower(value));
                names.extend(every.filter(|c| c.acl_categories().contains(&cat.as_str())).map(|c| c.name));
            } else if is(args[3], "pattern") {
                names.extend(every.filter(|c| glob_match(value, c.name.as_bytes(), true)).map(|c| c.name));
            } else {
                return Err(CommandError::Syntax);
            }
        }
        _ => return Err(CommandError::Syntax),
    }
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

/// The command COMMAND GETKEYS[ANDFLAGS] is asked about, and its keys.
fn target_keys<'a>(args: &'a [&'a [u8]]) -> Result<(&'static CommandSpec, Vec<&'a [u8]>), CommandError> {
    let target = &args[2..];
    let spec = match resolve(target) {
        Ok(spec) => spec,
        Err(CommandError::WrongArity(_)) => {
            return Err(CommandError::err("Invalid number of arguments specified for command"));
        }
        Err(_) => return Err(CommandError::err("Invalid command specified")),
    };
    let mut keys = spec.keys_of(target).ok_or_else(|| CommandError::err("Invalid arguments specified for command"))?;
    match spec.name {
        "xread" | "xreadgroup" => keys.extend(stream_keys(target)),
        // Shard channels are routed like keys but are not keys (Redis's "not_key").
        "spublish" | "ssubscribe" | "sunsubscribe" => keys.clear(),
        _ => {}
    }
    if keys.is_empty() && !spec.flags.contains(super::table::Flags::NO_MANDATORY_KEYS) {
        return Err(CommandError::err("The command has no key arguments"));
    }
    Ok((spec, keys))
}

fn command_getkeys(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (_, keys) = target_keys(args)?;
    ctx.out.array(keys.len());
    for k in keys {
        ctx.out.bulk(k);
    }
    Ok(())
}

/// COMMAND GETKEYSANDFLAGS: each key with its flags (a set in RESP3), as Redis 7 writes them.
fn command_getkeysandflags(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (spec, keys) = target_keys(args)?;
    let flags = super::key_flags::of_keys(spec, &args[2..], keys.len());
    ctx.out.array(keys.len());
    for (key, flags) in keys.into_iter().zip(flags) {
        ctx.out.array(2);
        ctx.out.bulk(key);
        let names: Vec<&str> = flags.names().collect();
        ctx.out.set(names.len());
        for name in names {
            ctx.out.simple(name);
        }
    }
    Ok(())
}

/// The keys of XREAD / XREADGROUP: the first half of what follows STREAMS (the other half
/// are their IDs), as Redis's key spec finds them.
fn stream_keys<'a>(args: &'a [&'a [u8]]) -> impl Iterator<Item = &'a [u8]> {
    let after = args.iter().position(|a| is(a, "streams")).map_or(&[][..], |at| &args[at + 1..]);
    after[..after.len() / 2].iter().copied()
}

fn info_cmd(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let wanted: Vec<String> = args[1..].iter().map(|a| lower(a)).collect();
    let text = info::render(&info::collect(ctx.server, &wanted, ctx.tx));
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

fn config_get(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let patterns: Vec<&[u8]> = args[2..].iter().map(|a| &a[..]).collect();
    let found = ctx.server.config.matching(&patterns);
    ctx.out.map(found.len());
    for (name, value) in found {
        ctx.out.bulk(name.as_bytes());
        ctx.out.bulk(value.as_bytes());
    }
    Ok(())
}

fn config_set(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args.len() % 2 != 0 {
        return Err(CommandError::WrongArity("config|set".into()));
    }
    let pairs: Vec<(String, String)> = args[2..]
        .chunks_exact(2)
        .map(|p| (String::from_utf8_lossy(p[0]).into_owned(), String::from_utf8_lossy(p[1]).into_owned()))
        .collect();
    // A new port is bound, and a journal switched on is opened, before anything is
    // applied: either failing fails the whole CONFIG SET, as Redis rolls back when an
    // option's apply fails.
    let current_port = ctx.server.config.u64("port");
    // Redis's protected options, refused before anything else is looked at while
    // enable-protected-configs forbids them to this client.
    let protected = pairs.iter().find(|(name, _)| {
        crate::config::find_option(name).is_some_and(|o| crate::config::PROTECTED_IN_REDIS.contains(&o.name))
    });
    if let Some((given, _)) = protected
        && !super::debug::protected_allowed(ctx, "enable-protected-configs")
    {
        return Err(CommandError::Message(crate::config::ConfigError::Protected(given.clone()).to_string()));
    }
    let (moved, journal) = ctx
        .server
        .config
        .set_many_then(&pairs, false, |checked| {
            let mut moved = None;
            if let Some(&(given, _, value)) = checked.iter().find(|(_, name, _)| *name == "port") {
                let port: u16 = value.parse().unwrap_or(0);
                if u64::from(port) != current_port {
                    let listeners =
                        ctx.server.resp_doors.bind(port).map_err(|e| crate::config::ConfigError::Invalid {
                            name: given.to_owned(),
                            reason: format!("Unable to listen on this port: {e}"),
                        })?;
                    moved = Some(listeners);
                }
            }
            let mut journal = None;
            if let Some(&(given, _, value)) = checked.iter().find(|(_, name, _)| *name == "appendonly") {
                journal = crate::persist::appendonly::prepare(ctx.server, value == "yes")
                    .map_err(|reason| crate::config::ConfigError::Invalid { name: given.to_owned(), reason })?;
            }
            Ok((moved, journal))
        })
        .map_err(|e| CommandError::Message(e.to_string()))?;
    if let Some(listeners) = moved {
        ctx.server.resp_doors.move_to(listeners);
    }
    if let Some(journal) = journal {
        crate::persist::appendonly::apply(ctx.server, journal);
    }
    // Options that live outside the store take their new value now.
    for (name, value) in &pairs {
        match crate::config::find_option(name).map(|o| o.name) {
            Some("requirepass") => ctx.server.acl.set_requirepass(value),
            Some("acl-pubsub-default") => {
                ctx.server.acl.set_pubsub_default(ctx.server.config.string("acl-pubsub-default") == "allchannels");
            }
            Some("acllog-max-len") => {
                ctx.server.acl.log.trim(usize::try_from(ctx.server.config.u64("acllog-max-len")).unwrap_or(usize::MAX))
            }
            _ => {}
        }
    }
    ctx.out.ok();
    Ok(())
}

/// CONFIG REWRITE: the running configuration back into the config file (see
/// `config::rewrite`).
fn config_rewrite(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    crate::config::rewrite(&ctx.server.config, &ctx.server.acl.list()).map_err(|e| {
        if !matches!(e, crate::config::RewriteError::NoFile) {
            tracing::warn!("CONFIG REWRITE failed: {e}");
        }
        CommandError::Message(e.to_string())
    })?;
    tracing::info!("CONFIG REWRITE executed with success.");
    ctx.out.ok();
    Ok(())
}

fn config_resetstat(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    ctx.server.stats.reset();
    ctx.server.metrics.reset();
    ctx.server.keyspace.reset_stats(ctx.tx);
    ctx.out.ok();
    Ok(())
}

fn time(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    ctx.out.array(2);
    ctx.out.bulk(now.as_secs().to_string().as_bytes());
    ctx.out.bulk(now.subsec_micros().to_string().as_bytes());
    Ok(())
}

fn shutdown(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (mut save, mut nosave, mut now, mut abort) = (false, false, false, false);
    for arg in &args[1..] {
        if is(arg, "save") {
            save = true;
        } else if is(arg, "nosave") {
            nosave = true;
        } else if is(arg, "abort") {
            abort = true;
        } else if is(arg, "now") {
            now = true;
        } else if !is(arg, "force") {
            return Err(CommandError::Syntax);
        }
    }
    if (save && nosave) || (abort && args.len() > 2) {
        return Err(CommandError::Syntax);
    }
    if abort {
        // A shutdown waiting for replicas is called off; the node serves on.
        if !ctx.server.pending_shutdown.abort() {
            return Err(CommandError::err("No shutdown in progress."));
        }
        // The called-off shutdown's SAVE or NOSAVE does not carry over to the next one.
        crate::persist::save_on_shutdown(ctx.server, None);
        ctx.out.ok();
        return Ok(());
    }
    // As Redis: while a script is busy, the node stops only without saving (SHUTDOWN
    // NOSAVE stops the script where it is, even one that wrote).
    let run = &ctx.server.scripting.run;
    if !nosave && run.busy_now() {
        return Err(CommandError::Message(run.busy_error().into()));
    }
    crate::persist::save_on_shutdown(
        ctx.server,
        if save {
            Some(true)
        } else if nosave {
            Some(false)
        } else {
            None
        },
    );
    tracing::info!(client = %ctx.session.client.addr, "User requested shutdown...");
    match ctx.server.shared() {
        Some(server) => crate::server::shutdown::begin(&server, now),
        None => ctx.server.shutdown.cancel(),
    }
    // Like Redis, no reply: the connection closes.
    ctx.session.quit = true;
    Ok(())
}

const SERVER: CommandSpec = CommandSpec { group: Group::Server, ..CommandSpec::BASE };
const LOADING_STALE: Flags = Flags::LOADING.or(Flags::STALE);

const COMMAND_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "command|count",
        arity: 2,
        acl: &["@connection"],
        flags: LOADING_STALE,
        since: "2.8.13",
        summary: "Returns a count of commands.",
        handler: Some(command_count),
        ..SERVER
    },
    CommandSpec {
        name: "command|docs",
        arity: -2,
        acl: &["@connection"],
        flags: LOADING_STALE,
        since: "7.0.0",
        summary: "Returns documentary information about one, multiple or all commands.",
        syntax: "[command-name [command-name ...]]",
        handler: Some(command_docs),
        ..SERVER
    },
    CommandSpec {
        name: "command|getkeys",
        // Redis 7.0 wants the command and at least one of its arguments.
        arity: -4,
        acl: &["@connection"],
        flags: LOADING_STALE,
        since: "2.8.13",
        summary: "Extracts the key names from an arbitrary command.",
        syntax: "command [arg [arg ...]]",
        handler: Some(command_getkeys),
        ..SERVER
    },
    CommandSpec {
        name: "command|getkeysandflags",
        arity: -4,
        acl: &["@connection"],
        flags: LOADING_STALE,
        since: "7.0.0",
        summary: "Extracts the key names and access flags for an arbitrary command.",
        syntax: "command [arg [arg ...]]",
        handler: Some(command_getkeysandflags),
        ..SERVER
    },
    CommandSpec {
        name: "command|help",
        arity: 2,
        acl: &["@connection"],
        flags: LOADING_STALE,
        since: "5.0.0",
        summary: "Returns helpful text about the different subcommands.",
        handler: Some(command_help),
        ..SERVER
    },
    CommandSpec {
        name: "command|info",
        arity: -2,
        acl: &["@connection"],
        flags: LOADING_STALE,
        since: "2.8.13",
        summary: "Returns information about one, multiple or all commands.",
        syntax: "[command-name [command-name ...]]",
        handler: Some(command_info),
        ..SERVER
    },
    CommandSpec {
        name: "command|list",
        arity: -2,
        acl: &["@connection"],
        flags: LOADING_STALE,
        since: "7.0.0",
        summary: "Returns a list of command names.",
        syntax: "[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]",
        handler: Some(command_list),
        ..SERVER
    },
];

const CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "config|get",
        arity: -3,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(LOADING_STALE),
        since: "2.0.0",
        summary: "Returns the effective values of configuration parameters.",
        syntax: "parameter [parameter ...]",
        handler: Some(config_get),
        ..SERVER
    },
    CommandSpec {
        name: "config|help",
        arity: 2,
        flags: LOADING_STALE,
        since: "5.0.0",
        summary: "Returns helpful text about the different subcommands.",
        handler: Some(config_help),
        ..SERVER
    },
    CommandSpec {
        name: "config|resetstat",
        arity: 2,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(LOADING_STALE),
        since: "2.0.0",
        summary: "Resets the server's statistics.",
        handler: Some(config_resetstat),
        ..SERVER
    },
    CommandSpec {
        name: "config|rewrite",
        arity: 2,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(LOADING_STALE),
        since: "2.8.0",
        summary: "Persists the effective configuration to file.",
        handler: Some(config_rewrite),
        ..SERVER
    },
    CommandSpec {
        name: "config|set",
        arity: -4,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(LOADING_STALE),
        since: "2.0.0",
        summary: "Sets configuration parameters in-flight, all or none.",
        syntax: "parameter value [parameter value ...]",
        handler: Some(config_set),
        ..SERVER
    },
];

pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "command",
        arity: -1,
        acl: &["@connection"],
        flags: LOADING_STALE,
        since: "2.8.13",
        summary: "Returns detailed information about all commands.",
        syntax: "[subcommand]",
        handler: Some(command),
        subcommands: COMMAND_SUBCOMMANDS,
        ..SERVER
    },
    CommandSpec {
        name: "config",
        arity: -2,
        since: "2.0.0",
        summary: "A container for server configuration commands.",
        syntax: "<subcommand> [arguments]",
        subcommands: CONFIG_SUBCOMMANDS,
        ..SERVER
    },
    CommandSpec {
        name: "info",
        arity: -1,
        flags: LOADING_STALE,
        since: "1.0.0",
        summary: "Returns information and statistics about the server.",
        syntax: "[section [section ...]]",
        handler: Some(info_cmd),
        acl: &["@dangerous"],
        ..SERVER
    },
    CommandSpec {
        name: "shutdown",
        arity: -1,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(LOADING_STALE).or(Flags::NO_MULTI).or(Flags::ALLOW_BUSY),
        since: "1.0.0",
        summary: "Synchronously saves the database(s) to disk and shuts down the server.",
        syntax: "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]",
        handler: Some(shutdown),
        ..SERVER
    },
    CommandSpec {
        name: "time",
        arity: 1,
        flags: LOADING_STALE.or(Flags::FAST),
        since: "2.6.0",
        summary: "Returns the server time.",
        handler: Some(time),
        ..SERVER
    },
];

/// COMMAND HELP in Redis's words.
fn command_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::redis_help(
        ctx.out,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
    Ok(())
}

/// CONFIG HELP in Redis's words.
fn config_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::redis_help(
        ctx.out,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}
