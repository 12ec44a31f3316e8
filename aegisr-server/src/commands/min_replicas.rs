//! `min-replicas-to-write`: while fewer replicas than that have acknowledged within
//! `min-replicas-max-lag` seconds, a primary refuses writes with NOREPLICAS (Redis's
//! checkGoodReplicasStatus, applied where Redis applies it: write commands, EXEC of a
//! transaction that writes, scripts that may write). A standalone node has no replicas,
//! so any value above 0 refuses every write there, as on a Redis primary without any.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::table::{CommandSpec, Flags};
use super::{CommandError, CommandResult, Ctx};
use crate::server::Server;

/// Redis's reply, word for word.
pub(super) const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";

/// Whether writes may go on (Redis's checkGoodReplicasStatus): always on a replica, and
/// while either option is 0.
pub(super) fn enough(server: &Server) -> bool {
    let limits = server.config.limits();
    let needed = limits.min_replicas_to_write.load(Ordering::Relaxed);
    if needed == 0 {
        return true;
    }
    let max_lag = limits.min_replicas_max_lag.load(Ordering::Relaxed);
    if max_lag == 0 || crate::cluster::replication::is_replica(server) {
        return true;
    }
    let good = server.replication.acknowledged_within(Duration::from_secs(max_lag));
    u64::try_from(good).unwrap_or(u64::MAX) >= needed
}

/// Refuses a write command, or the EXEC of a transaction holding one, while there are not
/// enough good replicas. Commands run by EXEC or a script are not checked here: EXEC was,
/// and a script checks its own calls.
pub(super) fn admit(ctx: &mut Ctx<'_>, spec: &CommandSpec) -> CommandResult {
    if ctx.tx.is_some() || ctx.session.rerun || enough(ctx.server) {
        return Ok(());
    }
    if spec.flags.contains(Flags::WRITE) {
        return Err(CommandError::Message(NOREPLICAS.into()));
    }
    // EXEC turns the refusal into EXECABORT (see `commands::admit`).
    if spec.name == "exec" && ctx.session.multi.as_ref().is_some_and(super::transaction::Queued::writes) {
        return Err(CommandError::Message(NOREPLICAS.into()));
    }
    Ok(())
}
