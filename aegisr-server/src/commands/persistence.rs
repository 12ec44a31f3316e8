//! SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE: snapshots on demand. A snapshot never forks:
//! SAVE writes it on the calling client's thread while every other client keeps being
//! served, BGSAVE on a thread of its own (see `persist::snapshot`).

use super::args::is;
use super::table::{CommandSpec, Flags, Group};
use super::{CommandError, CommandResult, Ctx};
use crate::persist::{self, SaveError};

fn save_error(e: SaveError, what: &str) -> CommandError {
    match e {
        SaveError::InProgress => CommandError::err(format!("Background {what} already in progress")),
        SaveError::Off => CommandError::err("persistence is off (--persistence none): nothing can be saved"),
        SaveError::Failed(e) => CommandError::err(format!("snapshot failed: {e:#}")),
    }
}

fn save(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    if persist::snapshot_in_progress(ctx.server) {
        return Err(CommandError::err("Background save already in progress"));
    }
    persist::snapshot_now(ctx.server).map_err(|e| save_error(e, "save"))?;
    ctx.out.ok();
    Ok(())
}

fn bgsave(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let schedule = match args.get(1) {
        None => false,
        Some(arg) if is(arg, "schedule") && args.len() == 2 => true,
        Some(_) => return Err(CommandError::Syntax),
    };
    if ctx.tx.is_some() {
        // Inside EXEC, as Redis: the snapshot starts after the transaction.
        persist::schedule_snapshot_after(ctx.server).map_err(|e| save_error(e, "save"))?;
        ctx.out.simple("Background saving scheduled");
        return Ok(());
    }
    match persist::request_snapshot(ctx.server) {
        Ok(()) => ctx.out.simple("Background saving started"),
        Err(SaveError::InProgress) if schedule => {
            persist::schedule_snapshot(ctx.server);
            ctx.out.simple("Background saving scheduled");
        }
        Err(e) => return Err(save_error(e, "save")),
    }
    Ok(())
}

/// The journal is bounded by snapshots: a rewrite is a snapshot, after which the journal
/// segments it covers are removed.
fn bgrewriteaof(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    if ctx.tx.is_some() {
        persist::schedule_snapshot_after(ctx.server).map_err(|e| save_error(e, "append only file rewriting"))?;
        ctx.out.simple("Background append only file rewriting scheduled");
        return Ok(());
    }
    match persist::request_snapshot(ctx.server) {
        Ok(()) => ctx.out.simple("Background append only file rewriting started"),
        Err(SaveError::InProgress) => {
            persist::schedule_snapshot(ctx.server);
            ctx.out.simple("Background append only file rewriting scheduled");
        }
        Err(e) => return Err(save_error(e, "append only file rewriting")),
    }
    Ok(())
}

fn lastsave(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    ctx.out.integer(persist::last_save(ctx.server));
    Ok(())
}

const PERSISTENCE: CommandSpec = CommandSpec { group: Group::Server, ..CommandSpec::BASE };
const ADMIN: Flags = Flags::ADMIN.or(Flags::NOSCRIPT);

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "bgrewriteaof",
        arity: 1,
        flags: ADMIN.or(Flags::NO_ASYNC_LOADING),
        since: "1.0.0",
        summary: "Asynchronously rewrites the append-only file to disk.",
        syntax: "",
        handler: Some(bgrewriteaof),
        ..PERSISTENCE
    },
    CommandSpec {
        name: "bgsave",
        arity: -1,
        flags: ADMIN.or(Flags::NO_ASYNC_LOADING),
        since: "1.0.0",
        summary: "Asynchronously saves the database(s) to disk.",
        syntax: "[SCHEDULE]",
        handler: Some(bgsave),
        ..PERSISTENCE
    },
    CommandSpec {
        name: "lastsave",
        arity: 1,
        acl: &["@admin", "@dangerous"],
        flags: Flags::LOADING.or(Flags::STALE).or(Flags::FAST),
        since: "1.0.0",
        summary: "Returns the Unix timestamp of the last successful save to disk.",
        syntax: "",
        handler: Some(lastsave),
        ..PERSISTENCE
    },
    CommandSpec {
        name: "save",
        arity: 1,
        flags: ADMIN.or(Flags::NO_MULTI).or(Flags::NO_ASYNC_LOADING),
        since: "1.0.0",
        summary: "Synchronously saves the database(s) to disk.",
        syntax: "",
        handler: Some(save),
        ..PERSISTENCE
    },
];
