//! MONITOR: the client receives a line for every command run on the node from then on
//! (see `server::monitor`), and may then no longer touch the keyspace, as a Redis monitor
//! (a replica to Redis) may not.

use super::errors::{CommandError, CommandResult};
use super::table::{CommandSpec, Flags, Group};
use super::{Ctx, Session};
use crate::server::Door;

fn monitor(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    // A client that expects one reply per command (inside EXEC, or a gRPC call) cannot
    // become a monitor: Redis's CLIENT_DENY_BLOCKING. The gRPC door has Admin.Monitor.
    if ctx.tx.is_some() || ctx.session.client.door == Door::Grpc {
        return Err(CommandError::err("MONITOR isn't allowed for DENY BLOCKING client"));
    }
    // Already a monitor: ignored, with no reply, as Redis does.
    if ctx.session.monitor.is_some() {
        return Ok(());
    }
    let feed = ctx.server.monitors.attach(ctx.session.client.clone());
    ctx.session.client.set_monitoring(true);
    ctx.session.monitor = Some(feed);
    ctx.out.ok();
    Ok(())
}

/// Stops monitoring: RESET, and the client going away.
pub fn end_session(server: &crate::server::Server, session: &mut Session) {
    if let Some(feed) = session.monitor.take() {
        server.monitors.detach(&feed);
        session.client.set_monitoring(false);
    }
}

/// A monitor may run only the commands that do not touch the keyspace (PING, CLIENT ...,
/// INFO, RESET, QUIT...): Redis refuses the others to a monitor as to any replica.
pub(super) fn allowed_while_monitoring(session: &Session, spec: &CommandSpec) -> Result<(), CommandError> {
    if session.monitor.is_none() {
        return Ok(());
    }
    let touches_keyspace = spec.flags.contains(Flags::WRITE)
        || spec.flags.contains(Flags::READONLY)
        || spec.flags.contains(Flags::MAY_REPLICATE);
    if touches_keyspace {
        return Err(CommandError::err("Replica can't interact with the keyspace"));
    }
    Ok(())
}

/// Sends a command that ran to the monitors, unless it is one Redis keeps from them (the
/// admin commands: CONFIG, DEBUG, CLIENT LIST...). Called only while monitors are attached.
pub(super) fn feed(ctx: &Ctx<'_>, spec: &CommandSpec, args: &[&[u8]]) {
    if spec.flags.contains(Flags::ADMIN) || ctx.session.rerun {
        return;
    }
    let limit = ctx.server.config.limits().normal();
    // A script's commands come from Redis's `lua` client.
    let addr = if crate::scripting::in_script() { "lua" } else { &ctx.session.client.addr };
    ctx.server.monitors.feed(ctx.session.db, addr, args, limit);
}

pub(super) const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "monitor",
    arity: 1,
    flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
    group: Group::Server,
    since: "1.0.0",
    summary: "Listens for all requests received by the server in real-time.",
    handler: Some(monitor),
    ..CommandSpec::BASE
}];
