//! The replica's applier: a thread of its own that loads full syncs and runs the primary's
//! records through the command table, in stream order, with the clock each record ran at
//! on the primary. The async side feeds it and reads back the applied offset.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;

use crate::persist::record::{self, FrameError};
use crate::persist::recovery::{Replayer, covered_by_snapshot};
use crate::persist::{codec, snapshot};
use crate::server::Server;

/// Work for the applier.
pub enum Apply {
    /// Replace the dataset with the snapshot at `path`; the stream goes on from `lsn`.
    FullSync { path: PathBuf, lsn: u64 },
    /// Whole records starting at `lsn`.
    Records { lsn: u64, data: Bytes },
    /// Answers with the offset reached once everything queued before it is applied.
    Barrier(tokio::sync::oneshot::Sender<u64>),
}

/// The feeding end of a running applier.
pub struct Applier {
    /// Dropping it ends the thread after what is queued.
    work: tokio::sync::mpsc::Sender<Apply>,
    /// The primary offset applied so far (`u64::MAX` once the applier has failed).
    pub applied: tokio::sync::watch::Receiver<u64>,
}

impl Applier {
    /// Starts an applier at `offset` (where the dataset already is).
    pub fn start(server: Arc<Server>, offset: u64) -> std::io::Result<Applier> {
        let (work, mut inbox) = tokio::sync::mpsc::channel::<Apply>(64);
        let (applied_tx, applied) = tokio::sync::watch::channel(offset);
        std::thread::Builder::new().name("aegisr-replica".into()).spawn(move || {
            if let Err(e) = run(&server, offset, &mut inbox, &applied_tx) {
                tracing::error!("replication stopped: {e:#}");
                applied_tx.send_replace(u64::MAX);
            }
        })?;
        Ok(Applier { work, applied })
    }

    /// Queues work; waits while the applier is 64 batches behind (back-pressure reaches the
    /// primary through the stream). False once the applier has stopped.
    pub async fn send(&self, apply: Apply) -> bool {
        self.work.send(apply).await.is_ok()
    }

    /// The offset reached once all queued work is applied; `None` if the applier stopped.
    pub async fn drain(&self) -> Option<u64> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if !self.send(Apply::Barrier(tx)).await {
            return None;
        }
        rx.await.ok()
    }
}

fn run(
    server: &Server,
    mut offset: u64,
    inbox: &mut tokio::sync::mpsc::Receiver<Apply>,
    applied: &tokio::sync::watch::Sender<u64>,
) -> anyhow::Result<()> {
    let mut replayer = Replayer::new(server, "primary")?;
    // Expired keys are this thread's to delete from now on, by the primary's clock.
    let _following = server.keyspace.follow_primary();
    // Per slot, the stream position the last full sync's image holds (records before it
    // are already in the data).
    let mut covered = snapshot::Covered::default();
    while let Some(work) = inbox.blocking_recv() {
        match work {
            Apply::FullSync { path, lsn } => {
                covered = load_full_sync(server, &path)?;
                let _ = std::fs::remove_file(&path);
                offset = lsn;
            }
            Apply::Records { lsn, data } => {
                anyhow::ensure!(lsn == offset, "records at {lsn} arrived where {offset} was expected");
                let mut at = 0;
                while at < data.len() {
                    let (record, used) = match record::read_frame(&data[at..]) {
                        Ok(found) => found,
                        Err(FrameError::Truncated) => anyhow::bail!("a record is cut at offset {}", lsn + at as u64),
                        Err(FrameError::Corrupt(why)) => {
                            anyhow::bail!("bad record at offset {}: {why}", lsn + at as u64)
                        }
                    };
                    let record_lsn = lsn + at as u64;
                    replayer.apply(&record, record_lsn, &|args, at_lsn| covered_by_snapshot(&covered, args, at_lsn));
                    at += used;
                }
                // Still on the last record's clock: reclaim what had expired by then on
                // the primary (the replica's own ticker leaves expired keys alone).
                expire_by_primary_clock(server);
                crate::engine::end_replay_clock();
                offset = lsn + data.len() as u64;
            }
            Apply::Barrier(reply) => {
                let _ = reply.send(offset);
                continue;
            }
        }
        applied.send_replace(offset);
    }
    Ok(())
}

/// Active expiry for a replica, after each batch of records: passes while they find over a
/// tenth of what they look at expired, up to a bound so the stream is not held up.
fn expire_by_primary_clock(server: &Server) {
    const BUDGET_PER_SHARD: usize = 64;
    for _ in 0..16 {
        let pass = server.keyspace.active_expire_pass(BUDGET_PER_SHARD);
        if pass.examined == 0 || pass.expired * 10 < pass.examined {
            break;
        }
    }
}

/// Empties the dataset and loads the primary's snapshot; returns its per-slot positions.
/// The node's own persistence then takes a snapshot of the result, so a restart does not
/// come back empty (until then it would: the flush is journaled, the load is not).
fn load_full_sync(server: &Server, path: &std::path::Path) -> anyhow::Result<snapshot::Covered> {
    let claim = crate::persist::claim_snapshots_for_load(server, || false);
    server.keyspace.flush(None, false, None);
    let limits = codec::Limits::from_config(&server.config);
    let loaded = snapshot::load(&server.keyspace, path, &limits, server.threads.max(2))
        .map_err(|(offset, what)| anyhow::anyhow!("the primary's snapshot is damaged at offset {offset}: {what}"))?;
    // The primary's function libraries replace the replica's, as Redis's full sync does.
    let codes = loaded.functions.as_ref().map(|f| f.codes.as_slice()).unwrap_or_default();
    crate::persist::load_functions(server, codes)?;
    tracing::info!("full sync loaded: {} keys", loaded.keys);
    server.saves.loaded(loaded.keys);
    if let Some(claim) = claim
        && let Err(e) = claim.snapshot()
    {
        tracing::warn!("no snapshot after the full sync: {e}; a restart before the next one loses it");
    }
    Ok(loaded.covered)
}
