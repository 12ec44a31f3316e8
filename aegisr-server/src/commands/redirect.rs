//! Cluster redirection, checked before a command runs (Redis's `getNodeByQuery`): a
//! command whose keys this node does not serve gets `-MOVED`, `-ASK`, `-TRYAGAIN`,
//! `-CROSSSLOT` or `-CLUSTERDOWN` instead of running. Outside cluster mode it costs one
//! atomic load.

use super::table::{CommandSpec, Flags};
use super::{CommandError, Ctx, resolve};
use crate::cluster::migration::Admitted;
use crate::cluster::routing::{Presence, Request, Verdict};
use crate::engine::slot::key_slot;

/// `Ok` to run the command here, else the redirection (or error) to reply with. A write to
/// a slot migrating away comes with its admission, to hold until it has run.
pub(super) fn check(ctx: &mut Ctx<'_>, spec: &CommandSpec, args: &[&[u8]]) -> Result<Option<Admitted>, CommandError> {
    let Some(router) = ctx.server.router.get() else { return Ok(None) };
    // Inside EXEC the transaction was checked as a whole; the primary's stream is obeyed.
    if ctx.tx.is_some() || ctx.session.from_primary {
        return Ok(None);
    }
    // ASKING holds for the next command only, or for a whole MULTI ... EXEC;
    // RESTORE-ASKING carries its own.
    let mut asking = ctx.session.asking || spec.flags.contains(Flags::ASKING);
    if ctx.session.multi.is_none() || spec.name == "exec" {
        ctx.session.asking = false;
    }
    let routing = router.load();
    let mut write = spec.flags.contains(Flags::WRITE);
    let keys: Vec<&[u8]> = if spec.name == "exec" {
        let Some(queued) = ctx.session.multi.as_ref() else { return Ok(None) };
        let mut keys = Vec::new();
        for command in queued.commands() {
            let command = super::views(command);
            if let Ok(queued_spec) = resolve(&command) {
                write |= queued_spec.flags.contains(Flags::WRITE);
                asking |= queued_spec.flags.contains(Flags::ASKING);
                keys.extend(queued_spec.keys_of(&command).unwrap_or_default());
            }
        }
        keys
    } else {
        // Malformed key counts are left to the command's own error.
        spec.keys_of(args).unwrap_or_default()
    };
    // A primary cut off from the control plane's majority stops taking writes once its
    // lease runs out: by then a replica may have been promoted in its place. Checked only
    // for writes it would run: one it redirects is redirected, lease or not, as Redis
    // answers CLUSTERDOWN only for what it would serve.
    let lease_lost = || write && routing.primary && !crate::cluster::node::lease_valid(ctx.server);
    let down = || CommandError::Message("CLUSTERDOWN The cluster is down".into());
    let Some(first) = keys.first() else {
        // A replica takes no keyless writes (FLUSHALL...) from clients.
        if write && !routing.primary && routing.group.is_some() {
            return Err(CommandError::Message("READONLY You can't write against a read only replica.".into()));
        }
        return if lease_lost() { Err(down()) } else { Ok(None) };
    };
    let slot = key_slot(first);
    if keys[1..].iter().any(|k| key_slot(k) != slot) {
        if spec.name == "exec" {
            super::transaction::end_session(ctx.server, ctx.session);
        }
        return Err(CommandError::Message(Verdict::CrossSlot.error().unwrap_or_default()));
    }
    // Shard channels are served by every node of the slot's group, as in Redis.
    let shard_channel = matches!(spec.name, "ssubscribe" | "sunsubscribe" | "spublish");
    let readonly_client = ctx.session.readonly || shard_channel;
    let request = Request { slot, write, multiple_keys: keys.len() > 1, readonly_client, asking };
    let db = ctx.session.db;
    let keyspace = &ctx.server.keyspace;
    let presence = || {
        let mut locked = keyspace.lock_keys(db, keys.iter().map(|k| k.as_ref()));
        let present = keys.iter().filter(|k| locked.exists(k)).count();
        Presence { missing: keys.len() - present, present }
    };
    match routing.route(request, presence).error() {
        None if lease_lost() => Err(down()),
        None => {
            // A write to a slot this primary is migrating away could run just after the
            // migration copied and deleted its key, and recreate the key here after the
            // slot's last pass: left behind, its value lost to the target's older copy.
            // The migration's last pass waits for admitted writes and pauses new ones
            // (TRYAGAIN, as Redis answers what it cannot serve during a slot move).
            let migrating_away = write
                && routing.primary
                && routing.map.migrations.get(&slot).is_some_and(|m| Some(m.from) == routing.group);
            if !migrating_away {
                return Ok(None);
            }
            match ctx.server.migration_fence.admit() {
                Some(admitted) => Ok(Some(admitted)),
                None => {
                    if spec.name == "exec" {
                        super::transaction::end_session(ctx.server, ctx.session);
                    }
                    Err(CommandError::Message(Verdict::TryAgain.error().unwrap_or_default()))
                }
            }
        }
        Some(error) => {
            // As Redis: a redirected EXEC discards the transaction (a queued command
            // only flags it, see `transaction::queue`).
            if spec.name == "exec" {
                super::transaction::end_session(ctx.server, ctx.session);
            }
            Err(CommandError::Message(error))
        }
    }
}
