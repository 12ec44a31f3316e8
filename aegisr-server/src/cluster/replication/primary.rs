//! The primary's side: the `Replication.Sync` gRPC service on the cluster port. A replica
//! says where it is; it gets the records after its offset when the backlog still holds
//! them, else a full sync (a snapshot tagged with stream positions, then the records
//! from where the snapshot began). Then records stream as the journal's flusher takes
//! them, and the replica's acknowledgements feed WAIT and quorum writes.

use std::pin::Pin;
use std::sync::Arc;

use aegisr_proto::v1;
use aegisr_proto::v1::replication_server::Replication;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::persist::journal::Journal;
use crate::server::{Server, ServerStats};

/// Most bytes of records (or snapshot) per message.
const PIECE: usize = 1 << 20;

pub struct ReplicationService {
    server: Arc<Server>,
}

impl ReplicationService {
    pub fn new(server: Arc<Server>) -> ReplicationService {
        if let Some(journal) = server.keyspace.journal() {
            journal.backlog().enable();
        }
        ReplicationService { server }
    }
}

type SyncStream = Pin<Box<dyn tokio_stream::Stream<Item = Result<v1::SyncMessage, Status>> + Send>>;

fn message(kind: v1::sync_message::Kind) -> Result<v1::SyncMessage, Status> {
    Ok(v1::SyncMessage { kind: Some(kind) })
}

#[tonic::async_trait]
impl Replication for ReplicationService {
    type SyncStream = SyncStream;

    async fn sync(&self, request: Request<Streaming<v1::ReplicaMessage>>) -> Result<Response<SyncStream>, Status> {
        let peer = request.remote_addr().map_or_else(|| "?".to_owned(), |a| a.to_string());
        let mut incoming = request.into_inner();
        let hello = match incoming.message().await? {
            Some(v1::ReplicaMessage { kind: Some(v1::replica_message::Kind::Hello(hello)) }) => hello,
            _ => return Err(Status::invalid_argument("a replica must start with its hello")),
        };
        let journal = self.server.keyspace.journal().ok_or_else(|| {
            Status::failed_precondition(
                "this node keeps no journal (--persistence none or --appendonly no): it cannot be replicated",
            )
        })?;
        journal.backlog().enable();
        let server = self.server.clone();
        let node = hello.node;
        tracing::info!(
            "replica {node:x} at {peer} asks to sync from offset {} of stream {:?}",
            hello.offset,
            hello.replid
        );
        // The address clients would use for the replica, as Redis lists its replicas.
        let addr = server
            .router
            .get()
            .and_then(|r| r.load().map.members.get(&node).map(crate::cluster::routing::resp_addr))
            .unwrap_or(peer);
        let link = server.replication.replica_connected(node, addr, hello.offset);
        let (tx, rx) = mpsc::channel(8);
        // Acknowledgements and failover requests come back on the request stream.
        let acks_server = server.clone();
        let failover = Arc::new(tokio::sync::Notify::new());
        let failover_requested = failover.clone();
        tokio::spawn(async move {
            while let Ok(Some(message)) = incoming.message().await {
                match message.kind {
                    Some(v1::replica_message::Kind::Applied(offset)) => {
                        acks_server.replication.replica_acked(node, link, offset);
                    }
                    Some(v1::replica_message::Kind::Failover(true)) => failover_requested.notify_one(),
                    _ => {}
                }
            }
        });
        tokio::spawn(async move {
            if let Err(status) = stream_to(&server, &journal, hello, &tx, &failover).await {
                let _ = tx.send(Err(status)).await;
            }
            server.replication.replica_gone(node, link);
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

/// Feeds one replica until it goes away or the node shuts down.
async fn stream_to(
    server: &Arc<Server>,
    journal: &Arc<Journal>,
    hello: v1::SyncHello,
    tx: &mpsc::Sender<Result<v1::SyncMessage, Status>>,
    failover: &tokio::sync::Notify,
) -> Result<(), Status> {
    let backlog = journal.backlog();
    let replid = server.run_id.clone();
    let resumable = hello.replid == replid && backlog.read(hello.offset, 0).is_ok();
    // INFO's sync_full, sync_partial_ok and sync_partial_err (a resume asked for and refused).
    let stats = &server.stats;
    let mut at = if resumable {
        ServerStats::add(&stats.sync_partial_ok, 1);
        send(tx, message(v1::sync_message::Kind::Resume(v1::Resume { replid, offset: hello.offset }))).await?;
        hello.offset
    } else {
        ServerStats::add(&stats.sync_full, 1);
        if !hello.replid.is_empty() {
            ServerStats::add(&stats.sync_partial_err, 1);
        }
        full_sync(server, tx, replid).await?
    };
    let mut grown = backlog.subscribe();
    let mut handoff: Option<u64> = None;
    loop {
        let pieces = backlog.read(at, PIECE).map_err(|e| {
            Status::out_of_range(format!("the replica fell behind the replication backlog: {e}; it must sync in full"))
        })?;
        if let Some(end) = handoff.filter(|&end| at >= end && pieces.is_empty()) {
            send(tx, message(v1::sync_message::Kind::Handoff(end))).await?;
            handoff = None;
        }
        if pieces.is_empty() {
            tokio::select! {
                changed = grown.changed() => if changed.is_err() { return Ok(()) },
                () = failover.notified() => handoff = Some(pause_for_handoff(server, journal).await),
                () = tx.closed() => return Ok(()),
                () = server.shutdown.cancelled() => return Ok(()),
            }
            continue;
        }
        for (lsn, data) in pieces {
            at = lsn + data.len() as u64;
            send(tx, message(v1::sync_message::Kind::Records(v1::Records { lsn, data }))).await?;
        }
    }
}

/// How long a primary holds writes for a manual failover at most: they go on as soon as
/// the replica has taken over (and are redirected to it), or after this if it has not.
const HANDOFF_PAUSE: std::time::Duration = std::time::Duration::from_secs(5);

/// Holds clients' writes and returns the stream's final offset, once the writes that
/// were already running when the pause began have appended their records.
async fn pause_for_handoff(server: &Server, journal: &Journal) -> u64 {
    server.pause.hold_writes_for_handoff(HANDOFF_PAUSE);
    let mut end = journal.next_lsn();
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let now = journal.next_lsn();
        if now == end {
            // Let the flusher hand the last records to the backlog.
            let mut grown = journal.backlog().subscribe();
            while *grown.borrow_and_update() < end {
                if tokio::time::timeout(std::time::Duration::from_millis(100), grown.changed()).await.is_err() {
                    break;
                }
            }
            tracing::info!("manual failover: writes paused, the stream ends at {end}");
            return end;
        }
        end = now;
    }
}

async fn send(
    tx: &mpsc::Sender<Result<v1::SyncMessage, Status>>,
    message: Result<v1::SyncMessage, Status>,
) -> Result<(), Status> {
    tx.send(message).await.map_err(|_| Status::cancelled("the replica went away"))
}

/// Takes a snapshot for the replica and sends it; returns the stream position the
/// records must follow from.
async fn full_sync(
    server: &Arc<Server>,
    tx: &mpsc::Sender<Result<v1::SyncMessage, Status>>,
    replid: String,
) -> Result<u64, Status> {
    let snapshotting = server.clone();
    let written = tokio::task::spawn_blocking(move || snapshot_for_replica(&snapshotting))
        .await
        .map_err(|e| Status::internal(format!("snapshot task failed: {e}")))?
        .map_err(|e| Status::unavailable(format!("cannot take a snapshot for the replica: {e:#}")))?;
    let removed = RemoveOnDrop(written.path.clone());
    send(
        tx,
        message(v1::sync_message::Kind::FullSync(v1::FullSync { replid, lsn: written.lsn, bytes: written.bytes })),
    )
    .await?;
    let mut file = tokio::fs::File::open(&written.path)
        .await
        .map_err(|e| Status::internal(format!("cannot read the snapshot: {e}")))?;
    loop {
        use tokio::io::AsyncReadExt;
        let mut piece = vec![0u8; PIECE];
        let got =
            file.read(&mut piece).await.map_err(|e| Status::internal(format!("cannot read the snapshot: {e}")))?;
        if got == 0 {
            break;
        }
        piece.truncate(got);
        send(tx, message(v1::sync_message::Kind::Snapshot(Bytes::from(piece)))).await?;
    }
    send(tx, message(v1::sync_message::Kind::SnapshotEnd(true))).await?;
    drop(removed);
    tracing::info!("full sync sent: {} keys, {} bytes, stream from {}", written.keys, written.bytes, written.lsn);
    Ok(written.lsn)
}

/// A snapshot of the dataset whose slot images are tagged with journal positions, in a
/// directory of its own under the data directory. Waits for a snapshot in progress.
fn snapshot_for_replica(server: &Server) -> anyhow::Result<crate::persist::snapshot::Written> {
    let dir = crate::persist::data_dir(server)?.join("replication");
    std::fs::create_dir_all(&dir)?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let claim = loop {
        match crate::persist::claim_snapshots(server) {
            Ok(claim) => break claim,
            Err(_) if std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => return Err(e.into()),
        }
    };
    let written =
        crate::persist::snapshot::write(&server.keyspace, &server.scripting.functions, &dir, server.keyspace.journal());
    drop(claim);
    written
}

/// Removes the file when dropped (the snapshot is the replica's now, or the sync failed).
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
