//! The maxmemory gate in front of every command: evict first, and refuse commands that may
//! grow memory when nothing more can be evicted (Redis's `performEvictions` and the OOM
//! check of `processCommand`). The eviction itself is engine/evict.rs.

use super::table::{CommandSpec, Flags};
use super::{CommandError, CommandResult, Ctx, Session};
use crate::engine::evict::Outcome;

thread_local! {
    /// Whether the node was over maxmemory, with nothing left to evict, when the command
    /// running on this thread was admitted (Redis's `pre_command_oom_state`).
    static OVER_LIMIT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the running command found the node over maxmemory (a script declaring its
/// flags is then refused unless it allows OOM).
pub(super) fn over_limit() -> bool {
    OVER_LIMIT.with(std::cell::Cell::get)
}

/// Evicts keys if the node is over maxmemory; `Err(Oom)` if it stays over and `spec` must
/// not run then. One relaxed load when there is no limit.
pub(super) fn admit(ctx: &mut Ctx<'_>, spec: &CommandSpec) -> CommandResult {
    // EXEC's commands run on shards the transaction already holds (eviction would lock
    // them again); EXEC itself was admitted, as in Redis. A blocked command served after a
    // wake-up was admitted when it first ran (Redis serves it without processCommand).
    if ctx.tx.is_some() || ctx.session.rerun {
        return Ok(());
    }
    OVER_LIMIT.with(|o| o.set(false));
    let limits = ctx.server.config.limits();
    if limits.maxmemory.load(std::sync::atomic::Ordering::Relaxed) == 0 {
        return Ok(());
    }
    // Following a Redis master, the node leaves eviction to the master, whose deletions
    // it applies (`replica-ignore-maxmemory`, yes by default, as Redis's replicas):
    // evicting on its own would make it differ from its master. The master's own writes
    // are never refused: that would lose them.
    if ctx.server.replication.has_upstream()
        && (ctx.session.from_primary || ctx.server.config.bool("replica-ignore-maxmemory"))
    {
        return Ok(());
    }
    // Another client's script holds every shard: nothing is evicted while it runs (as
    // Redis's isSafeToPerformEvictions); the command gets BUSY anyway.
    if ctx.server.scripting.run.others_running() {
        return Ok(());
    }
    let server = ctx.server;
    let outcome = server.keyspace.evict_to_limit(&|| crate::server::info::used_memory_for_eviction(server));
    OVER_LIMIT.with(|o| o.set(outcome == Outcome::Fail));
    if outcome != Outcome::Fail || !refused(ctx.session, spec) {
        return Ok(());
    }
    Err(CommandError::Oom)
}

/// Whether `spec` is refused while over the limit: commands flagged `denyoom`, EXEC of a
/// transaction holding one, and inside MULTI anything that would be queued (queueing
/// itself takes memory), as Redis decides.
fn refused(session: &Session, spec: &CommandSpec) -> bool {
    if spec.flags.contains(Flags::DENYOOM) {
        return true;
    }
    match &session.multi {
        Some(queued) if spec.name == "exec" => queued.grows_memory(),
        Some(_) => !matches!(spec.name, "discard" | "quit" | "reset"),
        None => false,
    }
}
