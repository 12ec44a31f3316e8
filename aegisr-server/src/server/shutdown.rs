//! Stopping the node as Redis 7 stops: when replicas are connected, clients' writes are
//! held and the node waits, at most `shutdown-timeout` seconds, for every replica to
//! acknowledge everything written, so a replica taking over (a cluster failover, Sentinel)
//! has the last writes; then the node shuts down. SHUTDOWN NOW skips the wait, SHUTDOWN
//! ABORT ends it and the node goes on serving, and a second SIGINT or SIGTERM stops at once.

use std::sync::Arc;
use std::time::Duration;

use super::Server;

/// Shuts the node down: at once when `now`, when no replica is connected, without a
/// journal or with `shutdown-timeout` 0; else after the wait the module docs describe.
pub fn begin(server: &Arc<Server>, now: bool) {
    let timeout = Duration::from_secs(server.config.u64("shutdown-timeout"));
    let replicated = !server.replication.replicas().is_empty() && server.keyspace.journal().is_some();
    if now || timeout.is_zero() || !replicated || server.shutdown.is_cancelled() {
        server.shutdown.cancel();
        return;
    }
    // Already waiting: that wait goes on, this request adds nothing.
    let Some(abort) = server.pending_shutdown.begin() else { return };
    let server = server.clone();
    tokio::spawn(async move {
        tracing::info!("Waiting for replicas before shutting down.");
        server.pause.hold_writes_for_handoff(timeout);
        let end = server.keyspace.journal().map_or(0, |j| j.next_lsn());
        let deadline = tokio::time::Instant::now() + timeout;
        let (acked, total) = tokio::select! {
            counts = server.replication.wait_all(end, deadline) => counts,
            () = abort.cancelled() => {
                server.pause.end_handoff();
                tracing::warn!("Shutdown aborted (SHUTDOWN ABORT): serving again");
                return;
            }
        };
        server.pending_shutdown.end();
        if acked < total {
            tracing::warn!(
                "{} of {total} replicas did not acknowledge offset {end} within shutdown-timeout ({} s); shutting down anyway",
                total - acked,
                timeout.as_secs()
            );
        } else {
            tracing::info!("{total} replicas are in sync at offset {end}: shutting down");
        }
        server.shutdown.cancel();
    });
}
