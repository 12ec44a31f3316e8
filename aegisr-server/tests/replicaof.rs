//! REPLICAOF / SLAVEOF: what a standalone node and a cluster node answer (Aegisr's
//! replicas are placed by the cluster, not attached by hand).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, fail, run};

#[test]
fn a_standalone_primary_accepts_no_one_and_explains_the_rest() {
    let server = TestServer::start_with(&["--persistence", "none"]);
    let mut c = server.sync_conn();
    for command in ["REPLICAOF", "SLAVEOF"] {
        assert_eq!(run::<String>(&mut c, &[command, "NO", "ONE"]), "OK");
        assert_eq!(fail(&mut c, &[command, "127.0.0.1", "port"]), "ERR Invalid master port");
        assert_eq!(fail(&mut c, &[command, "no", "two"]), "ERR Invalid master port");
        assert!(fail(&mut c, &[command, "127.0.0.1", "6379"]).contains("--cluster"));
        assert!(fail(&mut c, &[command, "NO"]).contains("wrong number of arguments"));
    }
    assert_eq!(fail(&mut c, &["FAILOVER"]), "ERR FAILOVER requires connected replicas.");
    assert_eq!(fail(&mut c, &["FAILOVER", "ABORT"]), "ERR No failover in progress.");
    assert_eq!(fail(&mut c, &["FAILOVER", "TIMEOUT", "-1"]), "ERR FAILOVER timeout must be greater than 0");
    assert_eq!(fail(&mut c, &["FAILOVER", "sideways"]), "ERR syntax error");
    // Still a primary, taking writes.
    run::<()>(&mut c, &["SET", "k", "v"]);
    let role: Vec<redis::Value> = run(&mut c, &["ROLE"]);
    assert_eq!(role[0], redis::Value::BulkString(b"master".to_vec()));
}

#[test]
fn a_cluster_node_refuses_it_as_redis_cluster_does() {
    let server = TestServer::start_with(&["--cluster", "--cluster-port", "0", "--replicas", "0"]);
    let mut c = server.sync_conn();
    assert_eq!(fail(&mut c, &["REPLICAOF", "NO", "ONE"]), "ERR REPLICAOF not allowed in cluster mode.");
    assert_eq!(fail(&mut c, &["FAILOVER"]), "ERR FAILOVER not allowed in cluster mode.");
}
