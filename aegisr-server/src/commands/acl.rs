//! ACL: the command family (CAT DELUSER DRYRUN GENPASS GETUSER LIST LOAD LOG SAVE SETUSER
//! USERS WHOAMI HELP), and the dispatcher's admission check (authentication, then
//! permissions) with the ACL LOG entries it writes.

use std::sync::Arc;
use std::time::Instant;

use super::errors::{CommandError, CommandResult};
use super::table::{CommandSpec, Flags, Group};
use super::{Ctx, Session};
use crate::acl::check::{self, Denied, Reason};
use crate::acl::{self, UserHandle, catalog, log};

/// The user a session runs as (the default user until it authenticates as another).
pub fn session_user<'a>(ctx: &'a Ctx<'_>) -> &'a Arc<UserHandle> {
    ctx.session.user.as_ref().unwrap_or(ctx.server.acl.default_user())
}

/// Whether a session may run `spec` with `args`: NOAUTH before authentication (unless
/// the command is one of AUTH HELLO QUIT RESET), NOPERM when the user's rules refuse it.
/// A user allowed everything costs one atomic load.
pub(super) fn admit(ctx: &Ctx<'_>, spec: &'static CommandSpec, args: &[&[u8]]) -> Result<(), CommandError> {
    let acl = &ctx.server.acl;
    if !ctx.session.authenticated && acl.auth_required() && !spec.flags.contains(Flags::NO_AUTH) {
        return Err(CommandError::Message(acl::NOAUTH.into()));
    }
    let handle = session_user(ctx);
    if handle.unrestricted() {
        return Ok(());
    }
    let Err(denied) = check::check(&handle.user(), spec, args) else { return Ok(()) };
    // A script's commands also run with the shards held: they are refused as Redis refuses
    // a script's (context "lua"), not as commands queued in MULTI.
    let in_script = crate::scripting::in_script();
    // Inside EXEC (the shards are held) the rules changed since the command was queued.
    let in_exec = ctx.tx.is_some() && !in_script;
    let context = if in_script {
        "lua"
    } else if in_exec || ctx.session.multi.is_some() {
        "multi"
    } else {
        "toplevel"
    };
    let object = match denied.reason {
        Reason::Command => spec.name.to_owned(),
        Reason::Key | Reason::Channel => String::from_utf8_lossy(args[denied.at]).into_owned(),
    };
    add_log_entry(ctx, spec.name, denied.reason.name(), context, object, handle.name.clone());
    if in_script {
        return Err(CommandError::err(match denied.reason {
            Reason::Command => "The user executing the script can't run this command or subcommand",
            Reason::Key => {
                "The user executing the script can't access at least one of the keys mentioned in the command arguments"
            }
            Reason::Channel => "The user executing the script can't publish to the channel mentioned in the command",
        }));
    }
    if in_exec {
        let why = match denied.reason {
            Reason::Command => "no permission to execute the command or subcommand",
            Reason::Key => "no permission to touch the specified keys",
            Reason::Channel => "no permission to access one of the channels used as arguments",
        };
        return Err(CommandError::Message(format!(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {why}"
        )));
    }
    Err(CommandError::Message(match denied.reason {
        Reason::Command => format!("NOPERM this user has no permissions to run the '{}' command", spec.name),
        Reason::Key => "NOPERM this user has no permissions to access one of the keys used as arguments".into(),
        Reason::Channel => "NOPERM this user has no permissions to access one of the channels used as arguments".into(),
    }))
}

fn add_log_entry(
    ctx: &Ctx<'_>,
    command: &'static str,
    reason: &'static str,
    context: &'static str,
    object: String,
    username: String,
) {
    // Activity is recorded per batch: record this command now so the entry's client
    // info names it, as Redis's does.
    ctx.session.client.touch(command);
    let max_len = usize::try_from(ctx.server.config.u64("acllog-max-len")).unwrap_or(usize::MAX);
    let entry = log::Entry {
        count: 1,
        reason,
        context,
        object,
        username,
        when: Instant::now(),
        client_info: ctx.session.client.info_line(),
    };
    ctx.server.acl.log.add(entry, max_len);
}

/// Whether the session's user may read every key with the command `args` names (a
/// selector allowing it reads `*`: `allkeys`, or `%R~*`): SORT's BY and GET patterns
/// need it, as Redis checks them.
pub(super) fn has_full_key_access(ctx: &Ctx<'_>, args: &[&[u8]]) -> bool {
    let handle = session_user(ctx);
    if handle.unrestricted() {
        return true;
    }
    let Ok(spec) = super::resolve(args) else { return false };
    let user = handle.user();
    std::iter::once(&user.root).chain(&user.selectors).any(|selector| {
        let reads_all = selector.all_keys
            || selector.keys.iter().any(|(pattern, flags)| pattern == b"*" && flags & acl::user::READ != 0);
        reads_all && check::check_selector(selector, spec, args).is_ok()
    })
}

/// Authenticates the session as `user` with `password` (AUTH, HELLO ... AUTH); a failure
/// is logged and answered WRONGPASS. `typed` is the command's name as the client sent it:
/// the log entry's object, as Redis records it.
pub(super) fn authenticate(
    ctx: &mut Ctx<'_>,
    command: &'static str,
    typed: &[u8],
    user: &[u8],
    password: &[u8],
) -> CommandResult {
    match ctx.server.acl.authenticate(user, password) {
        Some(handle) => {
            ctx.session.client.set_user(&handle.name);
            ctx.session.user = Some(handle);
            ctx.session.authenticated = true;
            Ok(())
        }
        None => {
            let context = if ctx.session.multi.is_some() || ctx.tx.is_some() { "multi" } else { "toplevel" };
            let object = String::from_utf8_lossy(typed).into_owned();
            add_log_entry(ctx, command, "auth", context, object, String::from_utf8_lossy(user).into_owned());
            Err(CommandError::Message(acl::WRONGPASS.into()))
        }
    }
}

/// RESET: back to the default user, unauthenticated if it needs a password.
pub(super) fn reset_user(server: &crate::server::Server, session: &mut Session) {
    session.user = None;
    session.authenticated = !server.acl.auth_required();
    session.client.set_user("default");
}

/// Closes the connections authenticated as one of `names`: the calling one after its
/// reply (Redis's CLIENT_CLOSE_AFTER_COMMAND), the others at once.
fn disconnect_users(ctx: &mut Ctx<'_>, names: &[String]) {
    let me = ctx.session.client.id;
    if ctx.session.user.as_ref().is_some_and(|u| names.contains(&u.name)) {
        ctx.session.quit = true;
    }
    for client in ctx.server.clients.all() {
        if client.id != me && names.contains(&client.user()) {
            client.kill.cancel();
        }
    }
}

fn acl_cat(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let Some(name) = args.get(2) else {
        ctx.out.array(catalog::CATEGORIES.len());
        for cat in catalog::CATEGORIES {
            ctx.out.bulk(cat.as_bytes());
        }
        return Ok(());
    };
    if args.len() > 3 {
        // ACL CAT's arity is -2: Redis's ACL command itself refuses the extra arguments.
        return Err(CommandError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try ACL HELP.",
            String::from_utf8_lossy(args[1])
        )));
    }
    let lossy = String::from_utf8_lossy(name);
    let cat =
        catalog::category_index(&lossy).ok_or_else(|| CommandError::err(format!("Unknown category '{lossy}'")))?;
    let catalog = catalog::catalog();
    let names: Vec<&str> =
        (0..catalog.len()).filter(|&id| catalog.in_category(id, cat)).map(|id| catalog.specs[id].name).collect();
    ctx.out.array(names.len());
    for name in names {
        ctx.out.bulk(name.as_bytes());
    }
    Ok(())
}

fn acl_deluser(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args[2..].iter().any(|name| &name[..] == b"default") {
        return Err(CommandError::err("The 'default' user cannot be removed"));
    }
    let mut deleted = Vec::new();
    for name in &args[2..] {
        if ctx.server.acl.delete(name) {
            deleted.push(String::from_utf8_lossy(name).into_owned());
        }
    }
    disconnect_users(ctx, &deleted);
    ctx.out.count(deleted.len());
    Ok(())
}

fn acl_dryrun(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let name = String::from_utf8_lossy(args[2]).into_owned();
    let handle = ctx.server.acl.get(args[2]).ok_or_else(|| CommandError::err(format!("User '{name}' not found")))?;
    let command = &args[3..];
    let spec = super::resolve(command).map_err(|e| match e {
        CommandError::WrongArity(_) => e,
        _ => CommandError::err(format!("Command '{}' not found", String::from_utf8_lossy(command[0]))),
    })?;
    match check::check(&handle.user(), spec, command) {
        Ok(()) => ctx.out.ok(),
        Err(Denied { reason, at }) => {
            let text = match reason {
                Reason::Command => format!("This user has no permissions to run the '{}' command", spec.name),
                Reason::Key => {
                    format!("This user has no permissions to access the '{}' key", String::from_utf8_lossy(command[at]))
                }
                Reason::Channel => format!(
                    "This user has no permissions to access the '{}' channel",
                    String::from_utf8_lossy(command[at])
                ),
            };
            ctx.out.bulk(text.as_bytes());
        }
    }
    Ok(())
}

fn acl_genpass(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args.len() > 3 {
        return Err(CommandError::WrongArity("acl|genpass".into()));
    }
    let bits = match args.get(2) {
        Some(arg) => super::args::int(arg)?,
        None => 256,
    };
    if !(1..=4096).contains(&bits) {
        return Err(CommandError::err(
            "ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096",
        ));
    }
    let chars = usize::try_from((bits + 3) / 4).unwrap_or(64);
    let mut bytes = vec![0u8; chars.div_ceil(2)];
    random_bytes(&mut bytes).map_err(|e| CommandError::err(format!("cannot read random bytes: {e}")))?;
    let mut hex = acl::user::hex(&bytes);
    hex.truncate(chars);
    ctx.out.bulk(hex.as_bytes());
    Ok(())
}

/// Bytes from the kernel's secure generator, as Redis's `getRandomBytes`.
fn random_bytes(buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}

fn acl_getuser(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let Some(handle) = ctx.server.acl.get(args[2]) else {
        ctx.out.null();
        return Ok(());
    };
    let user = handle.user();
    let out = &mut *ctx.out;
    out.map(6);
    out.bulk(b"flags");
    let flags = user.flags();
    out.set(flags.len());
    for flag in flags {
        out.bulk(flag.as_bytes());
    }
    out.bulk(b"passwords");
    out.array(user.passwords.len());
    for p in &user.passwords {
        out.bulk(p.as_bytes());
    }
    out.bulk(b"commands");
    out.bulk(user.root.describe_commands().as_bytes());
    out.bulk(b"keys");
    out.bulk(user.root.describe_keys().as_bytes());
    out.bulk(b"channels");
    out.bulk(user.root.describe_channels().as_bytes());
    out.bulk(b"selectors");
    out.array(user.selectors.len());
    for selector in &user.selectors {
        out.map(3);
        out.bulk(b"commands");
        out.bulk(selector.describe_commands().as_bytes());
        out.bulk(b"keys");
        out.bulk(selector.describe_keys().as_bytes());
        out.bulk(b"channels");
        out.bulk(selector.describe_channels().as_bytes());
    }
    Ok(())
}

fn acl_list(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let lines = ctx.server.acl.list();
    ctx.out.array(lines.len());
    for line in lines {
        ctx.out.bulk(line.as_bytes());
    }
    Ok(())
}

fn acl_file(ctx: &Ctx<'_>) -> Result<std::path::PathBuf, CommandError> {
    acl::file::configured_path(&ctx.server.config).ok_or_else(|| CommandError::Message(acl::file::NO_FILE.into()))
}

fn acl_load(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let path = acl_file(ctx)?;
    let users = acl::file::read(&path, ctx.server.acl.all_channels_by_default()).map_err(CommandError::err)?;
    let gone: Vec<String> = ctx.server.acl.replace_all(users).into_iter().map(|h| h.name.clone()).collect();
    disconnect_users(ctx, &gone);
    ctx.out.ok();
    Ok(())
}

fn acl_save(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let path = acl_file(ctx)?;
    acl::file::write(&path, &ctx.server.acl.list()).map_err(|e| {
        tracing::warn!("cannot save the ACL file {}: {e}", path.display());
        CommandError::err(
            "There was an error trying to save the ACLs. Please check the server logs for more information",
        )
    })?;
    ctx.out.ok();
    Ok(())
}

fn acl_log(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let count = match args.get(2) {
        _ if args.len() > 3 => {
            return Err(CommandError::err("unknown subcommand or wrong number of arguments for 'log'. Try ACL HELP."));
        }
        Some(arg) if arg.eq_ignore_ascii_case(b"reset") => {
            ctx.server.acl.log.reset();
            ctx.out.ok();
            return Ok(());
        }
        // A negative count lists nothing, as in Redis.
        Some(arg) => usize::try_from(super::args::int(arg)?).unwrap_or(0),
        None => 10,
    };
    let entries = ctx.server.acl.log.newest(count);
    let now = Instant::now();
    let out = &mut *ctx.out;
    out.array(entries.len());
    for e in entries {
        out.map(7);
        out.bulk(b"count");
        out.integer(i64::try_from(e.count).unwrap_or(i64::MAX));
        out.bulk(b"reason");
        out.bulk(e.reason.as_bytes());
        out.bulk(b"context");
        out.bulk(e.context.as_bytes());
        out.bulk(b"object");
        out.bulk(e.object.as_bytes());
        out.bulk(b"username");
        out.bulk(e.username.as_bytes());
        out.bulk(b"age-seconds");
        // Whole milliseconds, as Redis counts them.
        out.double(now.saturating_duration_since(e.when).as_millis() as f64 / 1000.0);
        out.bulk(b"client-info");
        out.bulk(e.client_info.as_bytes());
    }
    Ok(())
}

fn acl_setuser(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let rules: Vec<&[u8]> = args[3..].iter().map(|a| &a[..]).collect();
    let handle = ctx.server.acl.set_user(args[2], &rules).map_err(CommandError::Message)?;
    disconnect_forbidden_subscribers(ctx, &handle);
    ctx.out.ok();
    Ok(())
}

/// Closes the connections of `user` subscribed to a channel or pattern its rules no
/// longer allow (Redis's ACLKillPubsubClientsIfNeeded).
fn disconnect_forbidden_subscribers(ctx: &mut Ctx<'_>, user: &UserHandle) {
    let rules = user.user();
    if rules.root.all_channels {
        return;
    }
    let me = ctx.session.client.id;
    let subscriptions = ctx.server.pubsub.subscriptions_where(|s| s.client.user() == user.name);
    for (subscriber, name, is_pattern) in subscriptions {
        if !check::channel_allowed(&rules, &name, is_pattern) {
            if subscriber.client.id == me {
                ctx.session.quit = true;
            } else {
                subscriber.client.kill.cancel();
            }
        }
    }
}

fn acl_users(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let names = ctx.server.acl.names();
    ctx.out.array(names.len());
    for name in names {
        ctx.out.bulk(name.as_bytes());
    }
    Ok(())
}

fn acl_whoami(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let name = session_user(ctx).name.clone();
    ctx.out.bulk(name.as_bytes());
    Ok(())
}

fn acl_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::redis_help(
        ctx.out,
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
    Ok(())
}

const ACL: CommandSpec = CommandSpec { group: Group::Server, since: "6.0.0", ..CommandSpec::BASE };
const ADMIN: Flags = Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE);
const PLAIN: Flags = Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE);

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "acl|cat",
        arity: -2,
        flags: PLAIN,
        summary: "Lists the ACL categories, or the commands inside a category.",
        syntax: "[category]",
        handler: Some(acl_cat),
        ..ACL
    },
    CommandSpec {
        name: "acl|deluser",
        arity: -3,
        flags: ADMIN,
        summary: "Deletes ACL users, and terminates their connections.",
        syntax: "username [username ...]",
        handler: Some(acl_deluser),
        ..ACL
    },
    CommandSpec {
        name: "acl|dryrun",
        arity: -4,
        flags: ADMIN,
        since: "7.0.0",
        summary: "Simulates the execution of a command by a user, without executing the command.",
        syntax: "username command [arg [arg ...]]",
        handler: Some(acl_dryrun),
        ..ACL
    },
    CommandSpec {
        name: "acl|genpass",
        arity: -2,
        flags: PLAIN,
        summary: "Generates a pseudorandom, secure password that can be used to identify ACL users.",
        syntax: "[bits]",
        handler: Some(acl_genpass),
        ..ACL
    },
    CommandSpec {
        name: "acl|getuser",
        arity: 3,
        flags: ADMIN,
        summary: "Lists the ACL rules of a user.",
        syntax: "username",
        handler: Some(acl_getuser),
        ..ACL
    },
    CommandSpec {
        name: "acl|help",
        arity: 2,
        flags: Flags::LOADING.or(Flags::STALE),
        summary: "Returns helpful text about the different subcommands.",
        handler: Some(acl_help),
        ..ACL
    },
    CommandSpec {
        name: "acl|list",
        arity: 2,
        flags: ADMIN,
        summary: "Dumps the effective rules in ACL file format.",
        handler: Some(acl_list),
        ..ACL
    },
    CommandSpec {
        name: "acl|load",
        arity: 2,
        flags: ADMIN,
        summary: "Reloads the rules from the configured ACL file.",
        handler: Some(acl_load),
        ..ACL
    },
    CommandSpec {
        name: "acl|log",
        arity: -2,
        flags: ADMIN,
        summary: "Lists recent security events generated due to commands rejected by ACL rules.",
        syntax: "[count | RESET]",
        handler: Some(acl_log),
        ..ACL
    },
    CommandSpec {
        name: "acl|save",
        arity: 2,
        flags: ADMIN,
        summary: "Saves the effective ACL rules in the configured ACL file.",
        handler: Some(acl_save),
        ..ACL
    },
    CommandSpec {
        name: "acl|setuser",
        arity: -3,
        flags: ADMIN,
        summary: "Creates and modifies an ACL user and its rules.",
        syntax: "username [rule [rule ...]]",
        handler: Some(acl_setuser),
        ..ACL
    },
    CommandSpec {
        name: "acl|users",
        arity: 2,
        flags: ADMIN,
        summary: "Lists all ACL users.",
        handler: Some(acl_users),
        ..ACL
    },
    CommandSpec {
        name: "acl|whoami",
        arity: 2,
        flags: PLAIN,
        summary: "Returns the authenticated username of the current connection.",
        handler: Some(acl_whoami),
        ..ACL
    },
];

pub(super) const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "acl",
    arity: -2,
    summary: "A container for Access List Control commands.",
    syntax: "<subcommand> [arguments]",
    subcommands: SUBCOMMANDS,
    ..ACL
}];
