#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `aegisr-cli cluster ...` against a live two-node cluster (a primary and its replica).

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, stderr, stdout};

fn json(server: &TestServer, args: &[&str]) -> serde_json::Value {
    let out = server.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", stdout(&out)))
}

fn wait_for(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn cluster_subcommands_on_a_primary_and_its_replica() {
    let first = TestServer::start_with(0, &["--cluster", "--cluster-port", "0", "--replicas", "1"]);
    let bus = first.cluster.unwrap().to_string();
    let second = TestServer::start_with(0, &["--join", &bus, "--cluster-port", "0"]);
    assert!(
        wait_for(Duration::from_secs(20), || json(&second, &["cluster", "nodes", "--json"]).as_array().unwrap().len()
            == 2),
        "the map reaches the second node"
    );

    let nodes = json(&first, &["cluster", "nodes", "--json"]);
    let nodes = nodes.as_array().unwrap();
    let by_port = |port: u16| nodes.iter().find(|n| n["grpc_port"] == u64::from(port)).unwrap().clone();
    let (primary, replica) = (by_port(first.grpc.port()), by_port(second.grpc.port()));
    assert_eq!((primary["role"].as_str(), primary["slots"].as_u64()), (Some("primary"), Some(16384)));
    assert_eq!((replica["role"].as_str(), replica["slots"].as_u64()), (Some("replica"), Some(0)));
    assert_eq!(primary["leader"], true);
    assert_eq!(primary["resp_port"], u64::from(first.resp.port()));
    assert_eq!(replica["group"], primary["group"]);
    assert!(replica["last_seen_seconds"].as_f64().is_some(), "the leader hears the replica: {replica}");

    // Asked of the replica (not the leader): the heartbeat figures come from the leader,
    // and the replica's lag once it has reported an offset.
    assert!(wait_for(Duration::from_secs(10), || {
        json(&second, &["cluster", "status", "--json"])["groups"][0]["replicas"][0]["lag"].as_u64().is_some()
    }));
    let status = json(&second, &["cluster", "status", "--json"]);
    assert_eq!(status["state"], "ok");
    assert_eq!(status["leader"], primary["name"]);
    assert_eq!(status["groups"].as_array().unwrap().len(), 1);
    assert_eq!(status["groups"][0]["replicas"][0]["name"], replica["name"]);
    assert!(status["groups"][0]["replicas"][0]["lag"].as_u64().is_some(), "{status}");
    assert_eq!(status["slots_to_move"], 0);
    let text = stdout(&first.run(&["cluster", "status"]));
    assert!(text.starts_with("cluster ok  epoch "), "{text}");
    assert!(text.contains("group 0: 16384 slots"), "{text}");
    assert!(text.contains("lag "), "{text}");

    let slots = json(&first, &["cluster", "slots", "--json"]);
    assert_eq!(slots[0]["start"], 0);
    assert_eq!(slots[0]["end"], 16383);
    assert_eq!(slots[0]["address"], format!("127.0.0.1:{}", first.resp.port()));
    let table = stdout(&first.run(&["cluster", "nodes"]));
    assert!(table.contains("primary (leader)") && table.contains("replica"), "{table}");

    let add = stdout(&first.run(&["cluster", "add-node"]));
    assert!(add.contains(&format!("aegisr-server --join {bus}")), "{add}");
    let rebalance = first.run(&["cluster", "rebalance", "--wait", "0"]);
    assert!(stdout(&rebalance).starts_with("Nothing to move"), "{}", stdout(&rebalance));

    // Failover to the replica, named by a prefix of its name.
    let name = replica["name"].as_str().unwrap();
    let out = first.run(&["cluster", "failover", &name[..10], "--wait", "20"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("is the primary of group 0"), "{}", stdout(&out));
    let nodes = json(&first, &["cluster", "nodes", "--json"]);
    let promoted = nodes.as_array().unwrap().iter().find(|n| n["name"] == replica["name"]).unwrap();
    assert_eq!(promoted["role"], "primary");
    // A primary cannot be failed over to.
    let out = first.run(&["cluster", "failover", &name[..10]]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a replica"), "{}", stderr(&out));

    // Removing needs --yes without a terminal.
    let old = primary["name"].as_str().unwrap();
    let out = second.run(&["cluster", "remove-node", old]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    let out = second.run(&["cluster", "remove-node", old, "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Removed "), "{}", stdout(&out));
    let nodes = json(&second, &["cluster", "nodes", "--json"]);
    assert_eq!(nodes.as_array().unwrap().len(), 1, "{nodes}");
    let out = second.run(&["cluster", "remove-node", "no-such-node", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cluster_subcommands_explain_a_node_outside_cluster_mode() {
    let server = TestServer::start();
    let out = server.run(&["cluster", "status"]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(message.contains("not in cluster mode"), "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
}

#[test]
fn rebalance_follows_a_new_group_taking_its_share() {
    let first = TestServer::start_with(0, &["--cluster", "--cluster-port", "0", "--replicas", "0"]);
    let bus = first.cluster.unwrap().to_string();
    let _second = TestServer::start_with(0, &["--join", &bus, "--cluster-port", "0", "--replicas", "0"]);
    let out = first.run(&["cluster", "rebalance", "--wait", "60"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // The moves may all be over before the command looks.
    assert!(text.contains("Done: ") || text.starts_with("Nothing to move"), "{text}");
    let status = json(&first, &["cluster", "status", "--json"]);
    assert_eq!(status["slots_to_move"], 0, "{status}");
    let groups = status["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert!(groups.iter().all(|g| g["slots"] == 8192), "{status}");
    let slots = json(&first, &["cluster", "slots", "--json"]);
    let counted: u64 = slots.as_array().unwrap().iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, 16384);
}
