//! Round-trips through an in-process tonic server on 127.0.0.1 (port 0).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::pin::Pin;

use aegisr_proto::v1::admin_server::{Admin, AdminServer};
use aegisr_proto::v1::data_server::{Data, DataServer};
use aegisr_proto::v1::shutdown_request::Save;
use aegisr_proto::v1::{self, InfoRequest, InfoSection, ShutdownReply, ShutdownRequest};
use aegisr_proto::{Bytes, Client, ClientError, Command, InfoReply, Message, Reply, SubscribeRequest};
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;
use tonic::{Request, Response, Status, Streaming};

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Execute: a bulk of the args joined by spaces (prefixed `db=N ` when db > 0).
fn echo(command: &Command) -> Reply {
    let mut out = Vec::new();
    if command.db > 0 {
        out.extend_from_slice(format!("db={} ", command.db).as_bytes());
    }
    out.extend_from_slice(&command.args.join(&b' '));
    Reply::bulk(out)
}

struct Echo {
    shutdown: mpsc::UnboundedSender<i32>,
}

#[tonic::async_trait]
impl Data for Echo {
    async fn execute(&self, request: Request<Command>) -> Result<Response<Reply>, Status> {
        let command = request.into_inner();
        if command.args.first().is_some_and(|a| a.as_ref() == b"FAIL") {
            return Err(Status::unavailable("asked to fail"));
        }
        Ok(Response::new(echo(&command)))
    }

    type PipelineStream = BoxStream<Reply>;

    async fn pipeline(&self, request: Request<Streaming<Command>>) -> Result<Response<Self::PipelineStream>, Status> {
        let replies = request.into_inner().map(|c| c.map(|c| echo(&c)));
        Ok(Response::new(Box::pin(replies)))
    }

    type SubscribeStream = BoxStream<Message>;

    async fn subscribe(&self, request: Request<SubscribeRequest>) -> Result<Response<Self::SubscribeStream>, Status> {
        let request = request.into_inner();
        let messages: Vec<_> = request
            .channels
            .into_iter()
            .map(|c| {
                Ok(Message { channel: Bytes::from(c), payload: Bytes::from_static(b"hello"), pattern: Bytes::new() })
            })
            .collect();
        Ok(Response::new(Box::pin(futures_util::stream::iter(messages))))
    }
}

#[tonic::async_trait]
impl Admin for Echo {
    async fn info(&self, request: Request<InfoRequest>) -> Result<Response<InfoReply>, Status> {
        let sections = request.into_inner().sections;
        let text = sections.iter().map(|s| format!("# {s}\r\n")).collect::<String>();
        let sections = sections
            .into_iter()
            .map(|name| InfoSection { fields: HashMap::from([("name".to_owned(), name.clone())]), name })
            .collect();
        Ok(Response::new(InfoReply { text, sections }))
    }

    async fn shutdown(&self, request: Request<ShutdownRequest>) -> Result<Response<ShutdownReply>, Status> {
        let _ = self.shutdown.send(request.into_inner().save);
        Ok(Response::new(ShutdownReply {}))
    }

    type WatchStatsStream = BoxStream<v1::NodeStats>;

    /// Two messages, the uptime counting the interval.
    async fn watch_stats(
        &self,
        request: Request<v1::WatchStatsRequest>,
    ) -> Result<Response<Self::WatchStatsStream>, Status> {
        let interval = u64::from(request.into_inner().interval_ms);
        let stats = (1..=2).map(move |i| Ok(v1::NodeStats { uptime_seconds: i * interval, ..Default::default() }));
        Ok(Response::new(Box::pin(futures_util::stream::iter(stats))))
    }

    async fn slow_log(&self, request: Request<v1::SlowLogRequest>) -> Result<Response<v1::SlowLogReply>, Status> {
        Ok(Response::new(v1::SlowLogReply { entries: Vec::new(), len: u64::from(request.into_inner().count) }))
    }

    async fn clients(&self, _request: Request<v1::ClientsRequest>) -> Result<Response<v1::ClientsReply>, Status> {
        Ok(Response::new(v1::ClientsReply { clients: vec![v1::ClientInfo { id: 1, ..Default::default() }] }))
    }

    async fn config_get(&self, request: Request<v1::ConfigGetRequest>) -> Result<Response<v1::ConfigGetReply>, Status> {
        let values = request.into_inner().patterns.into_iter().map(|p| (p, "1".to_owned())).collect();
        Ok(Response::new(v1::ConfigGetReply { values }))
    }

    async fn config_set(&self, request: Request<v1::ConfigSetRequest>) -> Result<Response<v1::ConfigSetReply>, Status> {
        if request.into_inner().values.contains_key("bad") {
            return Err(Status::invalid_argument("ERR bad"));
        }
        Ok(Response::new(v1::ConfigSetReply {}))
    }

    type MonitorStream = BoxStream<v1::MonitorLine>;

    /// One line.
    async fn monitor(&self, _request: Request<v1::MonitorRequest>) -> Result<Response<Self::MonitorStream>, Status> {
        let line = v1::MonitorLine { line: r#"1700000000.000001 [0 127.0.0.1:1] "ping""#.to_owned() };
        Ok(Response::new(Box::pin(futures_util::stream::iter([Ok(line)]))))
    }

    type BackupStream = BoxStream<v1::BackupChunk>;

    /// The manifest of BACKUP_DATA (checksummed in 4-byte pieces), then the data in three
    /// messages of other sizes.
    async fn backup(&self, _request: Request<v1::BackupRequest>) -> Result<Response<Self::BackupStream>, Status> {
        use v1::backup_chunk::Part;
        let mut messages = vec![Ok(v1::BackupChunk { part: Some(Part::Manifest(backup_manifest())) })];
        for piece in [&BACKUP_DATA[..3], &BACKUP_DATA[3..9], &BACKUP_DATA[9..]] {
            messages.push(Ok(v1::BackupChunk { part: Some(Part::Data(Bytes::copy_from_slice(piece))) }));
        }
        Ok(Response::new(Box::pin(futures_util::stream::iter(messages))))
    }

    /// Replies with the data bytes received as `keys_loaded`, and the merge flag as
    /// `snapshot_written`, after checking the manifest arrived first.
    async fn restore(
        &self,
        request: Request<Streaming<v1::RestoreChunk>>,
    ) -> Result<Response<v1::RestoreReply>, Status> {
        use v1::restore_chunk::Part;
        let mut stream = request.into_inner();
        let Some(v1::RestoreChunk { part: Some(Part::Start(start)) }) = stream.message().await? else {
            return Err(Status::invalid_argument("no start"));
        };
        if start.manifest != Some(backup_manifest()) {
            return Err(Status::invalid_argument("another manifest"));
        }
        let mut received = 0;
        while let Some(chunk) = stream.message().await? {
            if let Some(Part::Data(data)) = chunk.part {
                received += data.len() as u64;
            }
        }
        let merge = start.mode() == v1::restore_start::Mode::Merge;
        Ok(Response::new(v1::RestoreReply { keys_loaded: received, snapshot_written: merge, ..Default::default() }))
    }
}

const BACKUP_DATA: &[u8] = b"0123456789abc";

fn backup_manifest() -> v1::BackupManifest {
    v1::BackupManifest {
        format_version: 1,
        total_bytes: BACKUP_DATA.len() as u64,
        chunk_size: 4,
        chunk_crc32c: BACKUP_DATA.chunks(4).map(crc32c::crc32c).collect(),
        crc32c: crc32c::crc32c(BACKUP_DATA),
        ..Default::default()
    }
}

/// Starts the echo server on a loopback port; returns its address and the
/// receiver of the `save` values of Shutdown calls.
async fn start() -> (String, mpsc::UnboundedReceiver<i32>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let data = DataServer::new(Echo { shutdown: tx.clone() });
    let admin = AdminServer::new(Echo { shutdown: tx });
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(data)
            .add_service(admin)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
            .unwrap();
    });
    (addr.to_string(), rx)
}

#[tokio::test]
async fn execute_round_trips() {
    let (addr, _rx) = start().await;
    let mut client = Client::connect(addr.clone()).await.unwrap();
    let reply = client.execute(["SET", "foo", "bar"]).await.unwrap();
    assert_eq!(reply.as_bulk(), Some(&b"SET foo bar"[..]));
    assert_eq!(reply.to_string(), "\"SET foo bar\"");

    let reply = client.execute([b"GET".to_vec(), vec![0, 255]]).await.unwrap();
    assert_eq!(reply.as_bulk(), Some(&b"GET \x00\xff"[..]));

    let reply = client.execute_in_db(3, ["PING"]).await.unwrap();
    assert_eq!(reply.as_str(), Some("db=3 PING"));

    // An http:// address works the same.
    let mut other = Client::connect(format!("http://{addr}")).await.unwrap();
    assert_eq!(other.execute(["PING"]).await.unwrap().as_str(), Some("PING"));
}

#[tokio::test]
async fn status_errors_surface_as_client_errors() {
    let (addr, _rx) = start().await;
    let mut client = Client::connect(addr).await.unwrap();
    let err = client.execute(["FAIL"]).await.unwrap_err();
    match err {
        ClientError::Status(s) => assert_eq!(s.code(), tonic::Code::Unavailable),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn pipeline_keeps_order() {
    let (addr, _rx) = start().await;
    let mut client = Client::connect(addr).await.unwrap();
    let commands: Vec<Vec<Bytes>> =
        (0..1000).map(|i| vec![Bytes::from_static(b"ECHO"), Bytes::from(i.to_string())]).collect();
    let replies = client.pipeline(commands).await.unwrap();
    assert_eq!(replies.len(), 1000);
    for (i, reply) in replies.iter().enumerate() {
        assert_eq!(reply.as_str(), Some(format!("ECHO {i}").as_str()));
    }
    assert!(client.pipeline(Vec::new()).await.unwrap().is_empty());
}

#[tokio::test]
async fn subscribe_info_and_shutdown() {
    let (addr, mut rx) = start().await;
    let mut client = Client::connect(addr).await.unwrap();

    let request = SubscribeRequest { channels: vec!["a".into(), "b".into()], ..Default::default() };
    let mut stream = client.subscribe(request).await.unwrap();
    let mut channels = Vec::new();
    while let Some(message) = stream.message().await.unwrap() {
        assert_eq!(message.payload.as_ref(), b"hello");
        channels.push(message.channel);
    }
    assert_eq!(channels, vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]);

    let info = client.info(&["server", "clients"]).await.unwrap();
    assert_eq!(info.text, "# server\r\n# clients\r\n");
    assert_eq!(info.sections.len(), 2);
    assert_eq!(info.sections[1].fields["name"], "clients");

    for (save, expected) in [(None, Save::Default), (Some(true), Save::Save), (Some(false), Save::Nosave)] {
        client.shutdown(save).await.unwrap();
        assert_eq!(rx.recv().await, Some(expected as i32));
    }
}

#[tokio::test]
async fn admin_stats_slowlog_clients_and_config() {
    let (addr, _rx) = start().await;
    let mut client = Client::connect(addr).await.unwrap();
    let mut stream = client.watch_stats(250).await.unwrap();
    let mut uptimes = Vec::new();
    while let Some(stats) = stream.message().await.unwrap() {
        uptimes.push(stats.uptime_seconds);
    }
    assert_eq!(uptimes, [250, 500]);
    let mut lines = client.monitor().await.unwrap();
    assert!(lines.message().await.unwrap().unwrap().line.ends_with(r#""ping""#));
    assert_eq!(client.slowlog(7, false).await.unwrap().len, 7);
    assert_eq!(client.clients().await.unwrap()[0].id, 1);
    assert_eq!(client.config_get(&["b", "a"]).await.unwrap(), [("a".into(), "1".into()), ("b".into(), "1".into())]);
    client.config_set(&[("hz", "20")]).await.unwrap();
    match client.config_set(&[("bad", "1")]).await.unwrap_err() {
        ClientError::Status(s) => assert_eq!(s.code(), tonic::Code::InvalidArgument),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn backup_writes_a_file_that_restore_sends_back() {
    let (addr, _rx) = start().await;
    let mut client = Client::connect(addr).await.unwrap();
    let mut file = Vec::new();
    let mut seen = Vec::new();
    let manifest = client.backup_with_progress(&mut file, |done, total| seen.push((done, total))).await.unwrap();
    assert_eq!(manifest, backup_manifest());
    assert_eq!(seen.last(), Some(&(13, 13)));
    assert!(file.starts_with(b"AEGISRB1") && file.ends_with(BACKUP_DATA));
    assert_eq!(aegisr_proto::read_manifest(&mut file.as_slice()).unwrap(), manifest);
    let reply = client.restore(std::io::Cursor::new(file.clone()), true).await.unwrap();
    assert_eq!((reply.keys_loaded, reply.snapshot_written), (13, true));
    let reply = client.restore(std::io::Cursor::new(file), false).await.unwrap();
    assert!(!reply.snapshot_written);
    let error = client.restore(std::io::Cursor::new(b"nope".to_vec()), false).await.unwrap_err();
    assert!(matches!(error, ClientError::Backup(_)), "{error:?}");
}
