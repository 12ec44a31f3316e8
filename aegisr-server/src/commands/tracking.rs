//! Client-side caching commands: CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO, and
//! what the dispatcher does around each command while some client tracks (remember the
//! keys a tracking client read, send BCAST invalidations at the end). The table and the
//! messages are in `crate::pubsub::tracking`.

use bytes::Bytes;

use super::args::{int, is};
use super::errors::{CommandError, CommandResult};
use super::table::{CommandSpec, Flags};
use super::{Ctx, Session};
use crate::pubsub::tracking::{Mode, Tracking};
use crate::server::{Door, Server};

/// A tracking client's options, kept in its session for the per-command checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionTracking {
    pub mode: Mode,
    /// CLIENT CACHING YES (OPTIN) or NO (OPTOUT) applies to the next command.
    pub caching: bool,
}

/// Whether prefix `a` and prefix `b` overlap (one starts the other), as Redis's
/// `stringCheckPrefix`.
fn overlap(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

fn overlap_error(new: &[u8], other: &[u8], what: &str) -> CommandError {
    CommandError::err(format!(
        "Prefix '{}' overlaps with {what} '{}'. Prefixes for a single client must not overlap.",
        String::from_utf8_lossy(new),
        String::from_utf8_lossy(other)
    ))
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP],
/// with Redis's checks in Redis's order.
pub(super) fn client_tracking(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut redirect = 0u64;
    let mut mode = Mode::default();
    let mut prefixes: Vec<Bytes> = Vec::new();
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        let option = &args[j];
        if is(option, "redirect") && more {
            j += 1;
            if redirect != 0 {
                return Err(CommandError::err("A client can only redirect to a single other client"));
            }
            let id = int(args[j])?;
            redirect = u64::try_from(id)
                .ok()
                .filter(|&id| ctx.server.clients.get(id).is_some())
                .ok_or_else(|| CommandError::err("The client ID you want redirect to does not exist"))?;
        } else if is(option, "bcast") {
            mode.bcast = true;
        } else if is(option, "optin") {
            mode.optin = true;
        } else if is(option, "optout") {
            mode.optout = true;
        } else if is(option, "noloop") {
            mode.noloop = true;
        } else if is(option, "prefix") && more {
            j += 1;
            prefixes.push(Bytes::copy_from_slice(args[j]));
        } else {
            return Err(CommandError::Syntax);
        }
        j += 1;
    }
    let tracking = &ctx.server.pubsub.tracking;
    let id = ctx.session.client.id;
    if is(args[2], "off") {
        tracking.disable(id);
        ctx.session.tracking = None;
        ctx.out.ok();
        return Ok(());
    }
    if !is(args[2], "on") {
        return Err(CommandError::Syntax);
    }
    let current = ctx.session.tracking.map(|t| t.mode);
    if !mode.bcast && !prefixes.is_empty() {
        return Err(CommandError::err("PREFIX option requires BCAST mode to be enabled"));
    }
    if current.is_some_and(|c| c.bcast != mode.bcast) {
        return Err(CommandError::err(
            "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
        ));
    }
    if mode.bcast && (mode.optin || mode.optout) {
        return Err(CommandError::err("OPTIN and OPTOUT are not compatible with BCAST"));
    }
    if mode.optin && mode.optout {
        return Err(CommandError::err("You can't specify both OPTIN mode and OPTOUT mode"));
    }
    if current.is_some_and(|c| (mode.optin && c.optout) || (mode.optout && c.optin)) {
        return Err(CommandError::err(
            "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
        ));
    }
    if mode.bcast {
        let existing = tracking.prefixes_of(id);
        for (i, prefix) in prefixes.iter().enumerate() {
            if let Some(old) = existing.iter().find(|old| overlap(old, prefix)) {
                return Err(overlap_error(prefix, old, "an existing prefix"));
            }
            if let Some(other) = prefixes[i + 1..].iter().find(|other| overlap(prefix, other)) {
                return Err(overlap_error(prefix, other, "another provided prefix"));
            }
        }
    }
    if ctx.session.client.door == Door::Grpc {
        return Err(CommandError::err("client-side caching is not supported over gRPC"));
    }
    // Invalidations reach the connection through its mailbox.
    super::pubsub::subscriptions(ctx.server, ctx.session);
    tracking.enable(&ctx.session.client, redirect, mode, &prefixes);
    let caching = ctx.session.tracking.is_some_and(|t| t.caching);
    ctx.session.tracking = Some(SessionTracking { mode, caching });
    ctx.out.ok();
    Ok(())
}

/// CLIENT CACHING YES|NO: whether the next command's keys are tracked (OPTIN / OPTOUT).
pub(super) fn client_caching(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let Some(state) = ctx.session.tracking.as_mut() else {
        return Err(CommandError::err(
            "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ));
    };
    if is(args[2], "yes") {
        if !state.mode.optin {
            return Err(CommandError::err("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."));
        }
    } else if is(args[2], "no") {
        if !state.mode.optout {
            return Err(CommandError::err("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."));
        }
    } else {
        return Err(CommandError::Syntax);
    }
    state.caching = true;
    ctx.out.ok();
    Ok(())
}

/// CLIENT GETREDIR: the redirect target, 0 for none, -1 when not tracking.
pub(super) fn client_getredir(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let redirect = ctx.server.pubsub.tracking.info(ctx.session.client.id).map(|(r, _, _)| r);
    ctx.out.integer(redirect.map_or(-1, |r| i64::try_from(r).unwrap_or(i64::MAX)));
    Ok(())
}

/// CLIENT TRACKINGINFO: a map of flags (a set), redirect and prefixes, as Redis 7.
pub(super) fn client_trackinginfo(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let info = ctx.server.pubsub.tracking.info(ctx.session.client.id);
    let session = ctx.session.tracking.filter(|_| info.is_some());
    let mut flags = vec![if session.is_some() { "on" } else { "off" }];
    if let Some(state) = session {
        let mode = state.mode;
        if mode.bcast {
            flags.push("bcast");
        }
        if mode.optin {
            flags.push("optin");
            if state.caching {
                flags.push("caching-yes");
            }
        }
        if mode.optout {
            flags.push("optout");
            if state.caching {
                flags.push("caching-no");
            }
        }
        if mode.noloop {
            flags.push("noloop");
        }
    }
    if info.as_ref().is_some_and(|(_, broken, _)| *broken) {
        flags.push("broken_redirect");
    }
    let out = &mut *ctx.out;
    out.map(3);
    out.bulk(b"flags");
    out.set(flags.len());
    for flag in flags {
        out.bulk(flag.as_bytes());
    }
    out.bulk(b"redirect");
    out.integer(info.as_ref().map_or(-1, |(r, _, _)| i64::try_from(*r).unwrap_or(i64::MAX)));
    out.bulk(b"prefixes");
    let prefixes = info.map(|(_, _, p)| p).unwrap_or_default();
    out.array(prefixes.len());
    for prefix in &prefixes {
        out.bulk(prefix);
    }
    Ok(())
}

/// Before a command runs, while some client tracks: marks whose command runs on this
/// thread (NOLOOP, and BCAST messages batched per command), and brings the table back
/// under tracking-table-max-keys (lowered by CONFIG SET), as Redis's processCommand does
/// before any command, one queued in MULTI included.
pub(super) fn begin(ctx: &Ctx<'_>) {
    Tracking::begin(ctx.session.client.id);
    let max_keys = ctx.server.config.u64("tracking-table-max-keys");
    ctx.server.pubsub.tracking.bound(max_keys, ctx.server.config.limits());
}

/// Remembers the keys a tracking client's read-only command names (Redis's
/// `trackingRememberKeys`). Called before the command runs, so a change made meanwhile by
/// another client is sent (after this reply), and again after, so a change made after the
/// read is too. Only the second call bounds the table (`bounded`), so a key is evicted
/// once, after the reply, as Redis does between commands.
/// Read-only scripts (EVAL_RO, FCALL_RO) are not reads themselves: their keys are
/// remembered when they call a read (see [`remember_script_keys`]), as any script's.
pub(super) fn remember(ctx: &Ctx<'_>, spec: &CommandSpec, args: &[&[u8]], bounded: bool) {
    let Some(state) = ctx.session.tracking else { return };
    if !wants_keys(state) || !spec.flags.contains(Flags::READONLY) || spec.flags.contains(Flags::PUBSUB) {
        return;
    }
    if matches!(spec.name, "eval_ro" | "evalsha_ro" | "fcall_ro") {
        return;
    }
    let Some(keys) = spec.keys_of(args).filter(|k| !k.is_empty()) else { return };
    let max_keys = if bounded { ctx.server.config.u64("tracking-table-max-keys") } else { 0 };
    ctx.server.pubsub.tracking.remember(ctx.session.client.id, keys, max_keys, ctx.server.config.limits());
}

/// Whether the tracking client's next read is remembered: not in BCAST mode, and as
/// OPTIN / OPTOUT and CLIENT CACHING say.
fn wants_keys(state: SessionTracking) -> bool {
    let mode = state.mode;
    let by_caching = if mode.optin {
        state.caching
    } else if mode.optout {
        !state.caching
    } else {
        true
    };
    !mode.bcast && by_caching
}

/// A script called a read: its caller, tracking as `state`, is remembered on the keys the
/// script declared (Redis 7: not on the keys of the commands it calls).
pub(super) fn remember_script_keys(ctx: &Ctx<'_>, state: SessionTracking, keys: &[&[u8]]) {
    if wants_keys(state) && !keys.is_empty() {
        let tracking = &ctx.server.pubsub.tracking;
        tracking.remember(ctx.session.client.id, keys.iter().copied(), 0, ctx.server.config.limits());
    }
}

/// After a command, while some client tracks: remembers its keys, ends CLIENT CACHING's
/// one-command scope (kept by CLIENT commands and inside MULTI, as Redis), and sends the
/// BCAST invalidations of what it changed.
pub(super) fn end(ctx: &mut Ctx<'_>, ran: Option<&CommandSpec>, args: &[&[u8]]) {
    if let Some(spec) = ran {
        remember(ctx, spec, args, true);
    }
    let keeps_caching =
        ctx.session.multi.is_some() || ctx.tx.is_some() || ran.is_some_and(|spec| spec.name.starts_with("client|"));
    if let Some(state) = ctx.session.tracking.as_mut()
        && !keeps_caching
    {
        state.caching = false;
    }
    ctx.server.pubsub.tracking.end(ctx.server.config.limits());
}

/// A client going away or RESET: it stops tracking.
pub fn end_session(server: &Server, session: &mut Session) {
    if session.tracking.take().is_some() {
        server.pubsub.tracking.disable(session.client.id);
    }
}
