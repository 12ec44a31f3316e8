//! CLIENT PAUSE holds gRPC Execute and Pipeline commands as it holds RESP ones: writes
//! under WRITE, everything under ALL, until the deadline or CLIENT UNPAUSE (never held).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use aegisr_proto::Client;
use common::TestServer;

#[tokio::test]
async fn grpc_execute_is_held_by_a_pause_until_its_deadline() {
    let server = TestServer::start();
    let mut grpc = Client::connect(server.grpc_url()).await.unwrap();
    assert_eq!(grpc.execute(["SET", "k", "v"]).await.unwrap().as_str(), Some("OK"));
    // WRITE: reads go on at once, writes wait for the deadline.
    let reply = grpc.execute(["CLIENT", "PAUSE", "500", "WRITE"]).await.unwrap();
    assert_eq!(reply.as_str(), Some("OK"));
    let started = Instant::now();
    assert_eq!(grpc.execute(["GET", "k"]).await.unwrap().as_bulk(), Some(&b"v"[..]));
    assert!(started.elapsed() < Duration::from_millis(400), "a read was held by a WRITE pause");
    assert_eq!(grpc.execute(["SET", "k", "w"]).await.unwrap().as_str(), Some("OK"));
    assert!(started.elapsed() >= Duration::from_millis(400), "the write was not held");
    // ALL: reads wait too.
    grpc.execute(["CLIENT", "PAUSE", "300", "ALL"]).await.unwrap();
    let started = Instant::now();
    assert_eq!(grpc.execute(["GET", "k"]).await.unwrap().as_bulk(), Some(&b"w"[..]));
    assert!(started.elapsed() >= Duration::from_millis(200), "the read was not held");
}

#[tokio::test]
async fn unpause_over_grpc_releases_held_pipeline_commands() {
    let server = TestServer::start();
    let mut grpc = Client::connect(server.grpc_url()).await.unwrap();
    grpc.execute(["CLIENT", "PAUSE", "60000", "ALL"]).await.unwrap();
    // A pipelined session's write waits...
    let mut writer = grpc.clone();
    let held = tokio::spawn(async move {
        let commands = vec![vec![aegisr_proto::Bytes::from_static(b"SET"), "k".into(), "held".into()]];
        writer.pipeline(commands).await
    });
    let waited = tokio::time::timeout(Duration::from_millis(300), async {
        while !held.is_finished() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(waited.is_err(), "the write ran during a pause of ALL");
    // ... while CLIENT UNPAUSE itself is never held, and lifts the pause at once.
    let started = Instant::now();
    let reply = tokio::time::timeout(Duration::from_secs(10), grpc.execute(["CLIENT", "UNPAUSE"])).await.unwrap();
    assert_eq!(reply.unwrap().as_str(), Some("OK"));
    let replies = tokio::time::timeout(Duration::from_secs(10), held).await.unwrap().unwrap().unwrap();
    assert_eq!(replies[0].as_str(), Some("OK"));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(grpc.execute(["GET", "k"]).await.unwrap().as_bulk(), Some(&b"held"[..]));
}
