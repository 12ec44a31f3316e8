//! The Admin service: INFO, live stats, the slow log, clients, configuration and SHUTDOWN
//! for operators and tools.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use aegisr_proto::v1::{self, admin_server::Admin};

use super::{cluster_admin, watch};
use crate::persist::backup::{self, BackupError};
use crate::server::monitor::MonitorFeed;
use crate::server::{Door, Server, info};

/// WatchStats intervals below this are raised to it: each message sums every thread's
/// counters and locks each shard briefly.
const MIN_INTERVAL_MS: u32 = 50;

pub struct AdminService {
    server: Arc<Server>,
}

impl AdminService {
    pub fn new(server: Arc<Server>) -> AdminService {
        AdminService { server }
    }
}

type StatsStream = Pin<Box<dyn Stream<Item = Result<v1::NodeStats, Status>> + Send + 'static>>;
type MonitorStream = Pin<Box<dyn Stream<Item = Result<v1::MonitorLine, Status>> + Send + 'static>>;
type BackupStream = Pin<Box<dyn Stream<Item = Result<v1::BackupChunk, Status>> + Send + 'static>>;

fn backup_status(error: BackupError) -> Status {
    match error {
        BackupError::Busy(what) => Status::unavailable(what),
        BackupError::Invalid(what) => Status::invalid_argument(what),
        BackupError::Damaged(what) => Status::data_loss(what),
        BackupError::Failed(what) => Status::internal(what),
    }
}

/// The `key=value` fields of a CLIENT LIST line.
fn client_info(line: String) -> v1::ClientInfo {
    let field = |name: &str| {
        line.split(' ').find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('='))).unwrap_or("").to_owned()
    };
    let number = |name: &str| field(name).parse::<u64>().unwrap_or(0);
    v1::ClientInfo {
        id: number("id"),
        addr: field("addr"),
        name: field("name"),
        age_seconds: number("age"),
        idle_seconds: number("idle"),
        db: u32::try_from(number("db")).unwrap_or(0),
        last_command: field("cmd"),
        line,
    }
}

#[tonic::async_trait]
impl Admin for AdminService {
    async fn info(&self, request: Request<v1::InfoRequest>) -> Result<Response<v1::InfoReply>, Status> {
        let wanted = request.into_inner().sections;
        // The keyspace figures lock every shard, which a running script holds.
        self.server.scripting.run.ended().await;
        let sections = info::collect(&self.server, &wanted, None);
        let text = info::render(&sections);
        let sections = sections
            .into_iter()
            .map(|s| v1::InfoSection {
                name: s.name.to_owned(),
                fields: s.fields.into_iter().map(|(k, v)| (k.into_owned(), v)).collect(),
            })
            .collect();
        Ok(Response::new(v1::InfoReply { text, sections }))
    }

    async fn shutdown(&self, request: Request<v1::ShutdownRequest>) -> Result<Response<v1::ShutdownReply>, Status> {
        let save = request.into_inner().save();
        tracing::info!(?save, "Shutdown requested through the Admin API...");
        crate::server::shutdown::begin(&self.server, false);
        Ok(Response::new(v1::ShutdownReply {}))
    }

    type WatchStatsStream = StatsStream;

    async fn watch_stats(&self, request: Request<v1::WatchStatsRequest>) -> Result<Response<StatsStream>, Status> {
        let interval_ms = match request.into_inner().interval_ms {
            0 => 1000,
            ms => ms.max(MIN_INTERVAL_MS),
        };
        let server = self.server.clone();
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(async move {
            let mut previous = None;
            let mut ticks = tokio::time::interval(Duration::from_millis(u64::from(interval_ms)));
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    () = tx.closed() => return,
                    () = server.shutdown.cancelled() => return,
                }
                // The keyspace figures lock every shard, which a running script holds.
                server.scripting.run.ended().await;
                let stats = watch::take(&server, &mut previous);
                if tx.send(Ok(stats)).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn slow_log(&self, request: Request<v1::SlowLogRequest>) -> Result<Response<v1::SlowLogReply>, Status> {
        let request = request.into_inner();
        let slowlog = &self.server.metrics.slowlog;
        let count = (request.count > 0).then(|| usize::try_from(request.count).unwrap_or(usize::MAX));
        let len = slowlog.len() as u64;
        let entries = slowlog
            .get(count)
            .into_iter()
            .map(|e| v1::SlowLogEntry {
                id: e.id,
                timestamp: e.timestamp,
                duration_usec: e.duration_us,
                args: e.args,
                client_addr: e.client_addr,
                client_name: e.client_name,
            })
            .collect();
        if request.reset {
            slowlog.reset();
        }
        Ok(Response::new(v1::SlowLogReply { entries, len }))
    }

    async fn clients(&self, _request: Request<v1::ClientsRequest>) -> Result<Response<v1::ClientsReply>, Status> {
        let clients = self.server.clients.all().into_iter().map(|c| client_info(c.info_line())).collect();
        Ok(Response::new(v1::ClientsReply { clients }))
    }

    async fn config_get(&self, request: Request<v1::ConfigGetRequest>) -> Result<Response<v1::ConfigGetReply>, Status> {
        let patterns = request.into_inner().patterns;
        let patterns: Vec<&[u8]> = patterns.iter().map(|p| p.as_bytes()).collect();
        let values = self.server.config.matching(&patterns).into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        Ok(Response::new(v1::ConfigGetReply { values }))
    }

    async fn config_set(&self, request: Request<v1::ConfigSetRequest>) -> Result<Response<v1::ConfigSetReply>, Status> {
        let pairs: Vec<(String, String)> = request.into_inner().values.into_iter().collect();
        self.server.config.set_many(&pairs, false).map_err(|e| Status::invalid_argument(e.to_string()))?;
        Ok(Response::new(v1::ConfigSetReply {}))
    }

    type MonitorStream = MonitorStream;

    async fn monitor(&self, request: Request<v1::MonitorRequest>) -> Result<Response<MonitorStream>, Status> {
        let addr = request.remote_addr().map(|a| a.to_string()).unwrap_or_default();
        let server = self.server.clone();
        // Few lines wait in the channel: the bytes a slow caller holds up are counted in
        // the monitor's queue, which its output buffer limit bounds.
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(async move {
            // Registered for the stream's whole life, so CLIENT LIST shows the monitor and
            // CLIENT KILL can end it.
            let Some(registration) = server.clients.register(Door::Grpc, addr, String::new(), -1, usize::MAX) else {
                let _ = tx.send(Err(Status::resource_exhausted("max number of clients reached"))).await;
                return;
            };
            let client = registration.client.clone();
            client.set_monitoring(true);
            client.touch("monitor");
            let feed = server.monitors.attach(client.clone());
            let killed = forward_monitor_lines(&server, &feed, &tx).await;
            server.monitors.detach(&feed);
            drop(registration);
            if !killed {
                return;
            }
            let status = if feed.cut_off() {
                Status::resource_exhausted(
                    "the monitor fell behind past its output buffer limit (client-output-buffer-limit normal)",
                )
            } else {
                Status::cancelled("the monitor was disconnected (CLIENT KILL)")
            };
            // After the lines already in the stream, for a caller that reads them; one that
            // does not is waited for no longer than it keeps the call open.
            tokio::select! {
                _ = tx.send(Err(status)) => {}
                () = tx.closed() => {}
                () = server.shutdown.cancelled() => {}
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn cluster_status(
        &self,
        _request: Request<v1::ClusterStatusRequest>,
    ) -> Result<Response<v1::ClusterStatusReply>, Status> {
        let control = cluster_admin::control(&self.server)?;
        Ok(Response::new(cluster_admin::status(control)))
    }

    async fn cluster_remove_node(
        &self,
        request: Request<v1::ClusterRemoveNodeRequest>,
    ) -> Result<Response<v1::ClusterRemoveNodeReply>, Status> {
        let control = cluster_admin::control(&self.server)?;
        Ok(Response::new(cluster_admin::remove_node(control, &request.into_inner().node).await?))
    }

    async fn cluster_rebalance(
        &self,
        _request: Request<v1::ClusterRebalanceRequest>,
    ) -> Result<Response<v1::ClusterRebalanceReply>, Status> {
        let control = cluster_admin::control(&self.server)?;
        Ok(Response::new(cluster_admin::rebalance(control)))
    }

    type BackupStream = BackupStream;

    async fn backup(&self, _request: Request<v1::BackupRequest>) -> Result<Response<BackupStream>, Status> {
        let server = self.server.clone();
        let prepared = tokio::task::spawn_blocking(move || backup::prepare(&server))
            .await
            .map_err(|e| Status::internal(format!("backup task failed: {e}")))?
            .map_err(backup_status)?;
        let (tx, rx) = mpsc::channel(4);
        // Read and send from a blocking thread; the temporary snapshot goes when it ends
        // (`prepared` is dropped), whether the client read it all or went away.
        tokio::task::spawn_blocking(move || {
            use v1::backup_chunk::Part;
            // Own all of it (closures capture only the fields they name): its temporary
            // directory must live until the last byte is sent.
            let prepared = prepared;
            let manifest = v1::BackupChunk { part: Some(Part::Manifest(prepared.manifest.clone())) };
            if tx.blocking_send(Ok(manifest)).is_err() {
                return;
            }
            let mut file = match std::fs::File::open(&prepared.path) {
                Ok(file) => file,
                Err(e) => {
                    let _ = tx.blocking_send(Err(Status::internal(format!("cannot read the backup snapshot: {e}"))));
                    return;
                }
            };
            loop {
                let mut buf = vec![0u8; backup::CHUNK_SIZE];
                match backup::read_full(&mut file, &mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        buf.truncate(n);
                        let chunk = v1::BackupChunk { part: Some(Part::Data(buf.into())) };
                        if tx.blocking_send(Ok(chunk)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ =
                            tx.blocking_send(Err(Status::internal(format!("cannot read the backup snapshot: {e}"))));
                        return;
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn restore(
        &self,
        request: Request<tonic::Streaming<v1::RestoreChunk>>,
    ) -> Result<Response<v1::RestoreReply>, Status> {
        use v1::restore_chunk::Part;
        let mut stream = request.into_inner();
        let start = match stream.message().await? {
            Some(v1::RestoreChunk { part: Some(Part::Start(start)) }) => start,
            Some(_) => {
                return Err(Status::invalid_argument(
                    "the first message of a restore must be its start (the manifest)",
                ));
            }
            None => return Err(Status::invalid_argument("empty restore stream: no manifest")),
        };
        let merge = start.mode() == v1::restore_start::Mode::Merge;
        let manifest =
            start.manifest.ok_or_else(|| Status::invalid_argument("the restore's start carries no manifest"))?;
        let mut receiver = backup::Receiver::new(&self.server, manifest).map_err(backup_status)?;
        while let Some(chunk) = stream.message().await? {
            match chunk.part {
                Some(Part::Data(data)) => receiver.push(&data).map_err(backup_status)?,
                _ => return Err(Status::invalid_argument("only data may follow a restore's start")),
            }
        }
        let server = self.server.clone();
        // Off the async threads: finishing syncs the received file, and the restore decodes
        // all of it and may write a snapshot.
        let restored = tokio::task::spawn_blocking(move || {
            receiver.finish().and_then(|received| backup::restore(&server, received, merge))
        })
        .await
        .map_err(|e| Status::internal(format!("restore task failed: {e}")))?
        .map_err(backup_status)?;
        Ok(Response::new(v1::RestoreReply {
            keys_loaded: restored.keys_loaded,
            keys_replaced: restored.keys_replaced,
            pause_ms: u64::try_from(restored.pause.as_millis()).unwrap_or(u64::MAX),
            snapshot_written: restored.snapshot_written,
        }))
    }
}

/// Sends the monitor's lines down the stream until the caller cancels it, the monitor is
/// killed (cut off by its output buffer limit, or CLIENT KILL) or the server stops.
/// Returns whether it was killed.
async fn forward_monitor_lines(
    server: &Server,
    feed: &MonitorFeed,
    tx: &mpsc::Sender<Result<v1::MonitorLine, Status>>,
) -> bool {
    let killed = &feed.client.kill;
    loop {
        tokio::select! {
            () = feed.wake.notified() => {}
            () = tx.closed() => return false,
            () = killed.cancelled() => return true,
            () = server.shutdown.cancelled() => return false,
        }
        for line in feed.drain() {
            let line = v1::MonitorLine { line: String::from_utf8_lossy(&line).into_owned() };
            // A full stream waits here; meanwhile the queue absorbs new lines up to the
            // output buffer limit.
            let sent = tokio::select! {
                sent = tx.send(Ok(line)) => sent.is_ok(),
                () = killed.cancelled() => return true,
            };
            if !sent {
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_lines_are_parsed() {
        let line = "id=7 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=8 name=worker age=12 idle=3 flags=N db=2 cmd=get user=default".to_owned();
        let info = client_info(line.clone());
        assert_eq!((info.id, info.addr.as_str(), info.name.as_str()), (7, "127.0.0.1:5000", "worker"));
        assert_eq!((info.age_seconds, info.idle_seconds, info.db, info.last_command.as_str()), (12, 3, 2, "get"));
        assert_eq!(info.line, line);
    }
}
