//! The replica's side: follow the group's primary over its cluster port, apply what it
//! sends, acknowledge what was applied; on any break, reconnect and resume from the
//! offset reached (or sync in full if the primary cannot resume it).

use std::sync::Arc;
use std::time::Duration;

use aegisr_proto::v1;
use aegisr_proto::v1::replication_client::ReplicationClient;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use super::applier::{Applier, Apply};
use crate::server::Server;

/// Where the primary is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryAddr {
    pub host: String,
    pub cluster_port: u16,
    pub resp_port: u16,
}

/// Follows `primary` until `stop` is cancelled. `me` is this node's id in the map.
pub async fn follow(server: Arc<Server>, me: u64, primary: PrimaryAddr, stop: CancellationToken) {
    let resp = format!("{}:{}", primary.host, primary.resp_port);
    server.replication.update_following(|f| {
        *f = super::Following { primary: resp.clone(), ..Default::default() };
    });
    let mut backoff = Duration::from_millis(50);
    let mut state = FollowState { stream_id: String::new(), applier: None };
    while !stop.is_cancelled() {
        let result = tokio::select! {
            result = session(&server, me, &primary, &mut state) => result,
            () = stop.cancelled() => break,
        };
        server.replication.update_following(|f| f.link_up = false);
        match result {
            Ok(()) => backoff = Duration::from_millis(50),
            Err(e) => {
                tracing::warn!("replication from {resp}: {e:#}; retrying in {} ms", backoff.as_millis());
            }
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = stop.cancelled() => break,
        }
        backoff = (backoff * 2).min(Duration::from_secs(1));
    }
    server.replication.stop_following();
}

/// What outlives a connection: the stream followed and the applier, whose offset is where
/// the next connection resumes.
struct FollowState {
    stream_id: String,
    applier: Option<Applier>,
}

/// One connection to the primary, until it breaks.
async fn session(server: &Arc<Server>, me: u64, primary: &PrimaryAddr, state: &mut FollowState) -> anyhow::Result<()> {
    let url = format!("http://{}:{}", primary.host, primary.cluster_port);
    let source = crate::cluster::endpoint::source_addr(&server.config);
    let channel = crate::cluster::endpoint::endpoint(url, source)?.connect().await?;
    let mut client = ReplicationClient::new(channel).max_decoding_message_size(64 << 20);
    let offset = match state.applier.as_ref() {
        Some(applier) => applier.drain().await,
        None => None,
    };
    let (replid, offset) = match offset {
        Some(offset) => (state.stream_id.clone(), offset),
        None => {
            state.applier = None;
            (String::new(), 0)
        }
    };
    let (acks, outgoing) = tokio::sync::mpsc::channel::<v1::ReplicaMessage>(16);
    acks.send(v1::ReplicaMessage {
        kind: Some(v1::replica_message::Kind::Hello(v1::SyncHello { node: me, replid: replid.clone(), offset })),
    })
    .await?;
    let mut incoming = client.sync(tokio_stream::wrappers::ReceiverStream::new(outgoing)).await?.into_inner();
    let mut snapshot: Option<(tokio::fs::File, std::path::PathBuf, u64)> = None;
    let mut acked = offset;
    // Acknowledged again every second even when nothing new was applied, as a Redis
    // replica's REPLCONF ACK: the primary's lag figures (INFO, min-replicas-max-lag) stay
    // true on an idle link.
    let mut keepalive = tokio::time::interval(std::time::Duration::from_secs(1));
    keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        // Acknowledge what the applier has done whenever it moves on.
        let applied = async {
            match state.applier.as_mut() {
                Some(a) => {
                    let _ = a.applied.changed().await;
                    *a.applied.borrow()
                }
                None => std::future::pending().await,
            }
        };
        let message = tokio::select! {
            message = incoming.message() => message?,
            _ = keepalive.tick() => {
                acks.send(v1::ReplicaMessage { kind: Some(v1::replica_message::Kind::Applied(acked)) }).await?;
                continue;
            }
            () = server.replication.failover_requested.notified() => {
                acks.send(v1::ReplicaMessage { kind: Some(v1::replica_message::Kind::Failover(true)) }).await?;
                continue;
            }
            offset = applied => {
                anyhow::ensure!(offset != u64::MAX, "the applier stopped");
                if offset != acked {
                    acked = offset;
                    server.replication.update_following(|f| { f.offset = offset; f.last_io = Some(std::time::Instant::now()); });
                    acks.send(v1::ReplicaMessage { kind: Some(v1::replica_message::Kind::Applied(offset)) }).await?;
                }
                continue;
            }
        };
        let Some(message) = message else { return Ok(()) };
        server.replication.update_following(|f| f.last_io = Some(std::time::Instant::now()));
        match message.kind {
            Some(v1::sync_message::Kind::Resume(resume)) => {
                anyhow::ensure!(
                    state.applier.is_some() && resume.replid == state.stream_id && resume.offset == offset,
                    "the primary resumed a stream this replica does not follow"
                );
                server.replication.update_following(|f| {
                    f.link_up = true;
                    f.replid = resume.replid.clone();
                });
            }
            Some(v1::sync_message::Kind::FullSync(full)) => {
                let dir = crate::persist::data_dir(server)?;
                std::fs::create_dir_all(&dir)?;
                let path = dir.join("replica-sync.snap.tmp");
                let file = tokio::fs::File::create(&path).await?;
                snapshot = Some((file, path, full.lsn));
                state.stream_id = full.replid;
            }
            Some(v1::sync_message::Kind::Snapshot(piece)) => {
                let Some((file, _, _)) = snapshot.as_mut() else { anyhow::bail!("snapshot data outside a full sync") };
                file.write_all(&piece).await?;
            }
            Some(v1::sync_message::Kind::SnapshotEnd(_)) => {
                let Some((mut file, path, lsn)) = snapshot.take() else {
                    anyhow::bail!("snapshot end outside a full sync")
                };
                file.flush().await?;
                drop(file);
                if state.applier.is_none() {
                    state.applier = Some(Applier::start(server.clone(), lsn)?);
                }
                let applier = state.applier.as_ref().ok_or_else(|| anyhow::anyhow!("no applier"))?;
                anyhow::ensure!(applier.send(Apply::FullSync { path, lsn }).await, "the applier stopped");
                server.replication.update_following(|f| {
                    f.link_up = true;
                    f.replid = state.stream_id.clone();
                    f.full_syncs += 1;
                });
            }
            Some(v1::sync_message::Kind::Records(records)) => {
                let Some(a) = state.applier.as_ref() else { anyhow::bail!("records before a sync") };
                anyhow::ensure!(
                    a.send(Apply::Records { lsn: records.lsn, data: records.data }).await,
                    "the applier stopped"
                );
            }
            Some(v1::sync_message::Kind::Handoff(end)) => {
                let Some(a) = state.applier.as_ref() else { anyhow::bail!("a handoff before a sync") };
                let reached = a.drain().await.ok_or_else(|| anyhow::anyhow!("the applier stopped"))?;
                anyhow::ensure!(reached >= end, "handoff at {end} but the stream stopped at {reached}");
                tracing::info!("manual failover: caught up with the primary at offset {end}");
                server.replication.handed_over.notify_one();
            }
            None => {}
        }
    }
}
