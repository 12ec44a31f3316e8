#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The operator's and client's view of a cluster over gRPC: Admin ClusterStatus /
//! ClusterRebalance / ClusterRemoveNode, and aegisr_proto::ClusterClient routing by slot
//! while a new group takes half the slots.

mod common;

use std::time::{Duration, Instant};

use aegisr_proto::{Client, ClientError, ClusterClient};
use common::TestServer;

fn args(parts: &[&str]) -> Vec<aegisr_proto::Bytes> {
    parts.iter().map(|p| aegisr_proto::Bytes::copy_from_slice(p.as_bytes())).collect()
}

/// Polls `check` every 50 ms until it holds or `timeout` passes.
async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn cluster_calls_need_cluster_mode() {
    let node = TestServer::start();
    let mut client = Client::connect(node.grpc_url()).await.unwrap();
    for result in [
        client.cluster_status().await.map(|_| ()),
        client.cluster_remove_node("1").await.map(|_| ()),
        client.cluster_rebalance().await.map(|_| ()),
    ] {
        match result {
            Err(ClientError::Status(status)) => {
                assert_eq!(status.code(), tonic::Code::FailedPrecondition);
                assert!(status.message().contains("not in cluster mode"), "{}", status.message());
                assert!(!status.message().contains('\n'));
            }
            other => panic!("expected FAILED_PRECONDITION, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_client_routes_by_slot_while_a_new_group_takes_half_the_slots() {
    let first = tokio::task::spawn_blocking(|| {
        TestServer::start_with(&["--cluster", "--cluster-port", "0", "--replicas", "0"])
    })
    .await
    .unwrap();
    let mut admin = Client::connect(first.grpc_url()).await.unwrap();
    // The leader hears its own heartbeat within a tick of starting.
    let heard = eventually(Duration::from_secs(5), || {
        let mut admin = admin.clone();
        async move {
            admin.cluster_status().await.is_ok_and(|s| {
                s.leader == Some(s.myself) && s.health.len() == 1 && s.health[0].seconds_since_heartbeat.is_some()
            })
        }
    })
    .await;
    assert!(heard);
    let status = admin.cluster_status().await.unwrap();
    assert_eq!(status.members.len(), 1);
    assert_eq!(status.leader, Some(status.myself));
    assert_eq!(status.members[0].role, "primary");
    assert_eq!(status.members[0].grpc_port, u32::from(first.grpc.port()));
    assert_eq!(status.members[0].resp_port, u32::from(first.resp.port()));
    assert_eq!(status.slots.len(), 1);
    assert_eq!((status.slots[0].start, status.slots[0].end), (0, 16383));
    assert_eq!(status.groups[0].slot_count, 16384);
    assert!(status.health[0].seconds_since_heartbeat.is_some(), "the leader hears itself");
    let mut unknown = admin.cluster_remove_node("no-such-node").await.unwrap_err();
    assert!(matches!(&unknown, ClientError::Status(s) if s.code() == tonic::Code::NotFound), "{unknown:?}");
    unknown = admin.cluster_remove_node("12345").await.unwrap_err();
    assert!(matches!(&unknown, ClientError::Status(s) if s.code() == tonic::Code::NotFound), "{unknown:?}");

    let mut cluster = ClusterClient::connect(first.grpc.to_string()).await.unwrap();
    assert_eq!(cluster.primaries(), vec![first.grpc.to_string()]);
    let second = tokio::task::spawn_blocking({
        let bus = first.cluster.unwrap().to_string();
        move || TestServer::start_with(&["--join", bus.as_str(), "--cluster-port", "0", "--replicas", "0"])
    })
    .await
    .unwrap();
    // Written while the slots move: redirections are followed, never returned.
    for i in 0..1000 {
        let reply = cluster.execute(["SET", &format!("key:{i}"), &i.to_string()]).await.unwrap();
        assert_eq!(reply.as_str(), Some("OK"), "key:{i}: {reply:?}");
    }
    let split = eventually(Duration::from_secs(60), || {
        let mut admin = admin.clone();
        async move {
            let Ok(status) = admin.cluster_status().await else { return false };
            status.groups.len() == 2
                && status.groups.iter().all(|g| g.slot_count == 8192)
                && status.migrations.is_empty()
        }
    })
    .await;
    assert!(split, "the new group takes half the slots");
    let rebalance = admin.cluster_rebalance().await.unwrap();
    assert_eq!((rebalance.slots_to_move, rebalance.migrations.len(), rebalance.groups), (0, 0, 2));

    for i in 0..1000 {
        let reply = cluster.execute(["GET", &format!("key:{i}")]).await.unwrap();
        assert_eq!(reply.as_bulk(), Some(i.to_string().as_bytes()), "key:{i}: {reply:?}");
    }
    // After the reads the client knows both owners, and each answered for its half.
    let mut primaries = cluster.primaries();
    primaries.sort();
    let mut expected = vec![first.grpc.to_string(), second.grpc.to_string()];
    expected.sort();
    assert_eq!(primaries, expected);
    let (_, node) = cluster.execute_routed(args(&["GET", "foo"])).await.unwrap();
    assert_eq!(Some(node.as_str()), cluster.owner_of(aegisr_proto::slot::key_slot(b"foo")));
    let mut counts = Vec::new();
    for node in [&first, &second] {
        let mut client = Client::connect(node.grpc_url()).await.unwrap();
        counts.push(client.execute(["DBSIZE"]).await.unwrap().as_integer().unwrap());
    }
    assert_eq!(counts.iter().sum::<i64>(), 1000, "every key on exactly one node: {counts:?}");
    assert!(counts.iter().all(|&c| c > 300), "both groups hold keys: {counts:?}");
    // A node that is not the owner answers MOVED; the client follows it.
    let mut plain = Client::connect(first.grpc_url()).await.unwrap();
    let misrouted = (0..1000).map(|i| format!("key:{i}")).find(|k| {
        cluster.owner_of(aegisr_proto::slot::key_slot(k.as_bytes())) == Some(second.grpc.to_string().as_str())
    });
    let key = misrouted.unwrap();
    let moved = plain.execute(["GET", key.as_str()]).await.unwrap();
    assert!(matches!(aegisr_proto::parse_redirect(&moved), Some(aegisr_proto::Redirect::Moved { .. })), "{moved:?}");
}
