//! MODULE: Redis's module commands. Aegisr cannot load Redis modules (its extensions, such
//! as RedisBloom's BF.* commands, are built in), so none is ever loaded: LIST is empty and
//! LOAD / LOADEX fail with Redis's error for a failed load, the reason in the log. LOAD,
//! LOADEX and UNLOAD are protected by `enable-module-command`, as in Redis.

use super::errors::{CommandError, CommandResult};
use super::table::{CommandSpec, Flags, Group};
use super::{Ctx, redis_help};

fn list(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    ctx.out.array(0);
    Ok(())
}

/// MODULE LOAD path [arg ...] and MODULE LOADEX path [CONFIG name value ...] [ARGS ...]:
/// the load fails, as a load Redis could not do does.
fn load(_ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    tracing::warn!(
        "Module {} failed to load: Aegisr cannot load Redis modules (its extensions, such as the BF.* bloom filter commands, are built in)",
        String::from_utf8_lossy(args[2])
    );
    Err(CommandError::err("Error loading the extension. Please check the server logs."))
}

fn unload(_ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    Err(CommandError::err("Error unloading module: no such module with that name"))
}

/// MODULE HELP in Redis's words.
fn help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    redis_help(
        ctx.out,
        "MODULE",
        &[
            "LIST",
            "    Return a list of loaded modules.",
            "LOAD <path> [<arg> ...]",
            "    Load a module library from <path>, passing to it any optional arguments.",
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "    Load a module library from <path>, while passing it module configurations and optional arguments.",
            "UNLOAD <name>",
            "    Unload a module.",
        ],
    );
    Ok(())
}

const MODULE: CommandSpec = CommandSpec { group: Group::Server, since: "4.0.0", ..CommandSpec::BASE };
const ADMIN: Flags = Flags::ADMIN.or(Flags::NOSCRIPT);
const PROTECTED: Flags = ADMIN.or(Flags::PROTECTED);

pub(super) const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "module",
    arity: -2,
    summary: "A container for module commands.",
    syntax: "<subcommand> [arguments]",
    subcommands: &[
        CommandSpec {
            name: "module|help",
            arity: 2,
            flags: Flags::LOADING.or(Flags::STALE),
            since: "5.0.0",
            summary: "Returns helpful text about the different subcommands.",
            handler: Some(help),
            ..MODULE
        },
        CommandSpec {
            name: "module|list",
            arity: 2,
            flags: ADMIN,
            summary: "Returns all loaded modules.",
            handler: Some(list),
            ..MODULE
        },
        CommandSpec {
            name: "module|load",
            arity: -3,
            flags: PROTECTED.or(Flags::NO_ASYNC_LOADING),
            summary: "Loads a module.",
            syntax: "path [arg [arg ...]]",
            handler: Some(load),
            ..MODULE
        },
        CommandSpec {
            name: "module|loadex",
            arity: -3,
            flags: PROTECTED.or(Flags::NO_ASYNC_LOADING),
            since: "7.0.0",
            summary: "Loads a module using extended parameters.",
            syntax: "path [CONFIG name value [CONFIG name value ...]] [ARGS args [args ...]]",
            handler: Some(load),
            ..MODULE
        },
        CommandSpec {
            name: "module|unload",
            arity: 3,
            flags: PROTECTED.or(Flags::NO_ASYNC_LOADING),
            summary: "Unloads a module.",
            syntax: "name",
            handler: Some(unload),
            ..MODULE
        },
    ],
    ..MODULE
}];
