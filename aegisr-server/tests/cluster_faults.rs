#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Faults under load, with real processes: a primary killed or frozen while clients write.
//! Every write a client saw acknowledged must survive when it asked for quorum acks.

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, run, wait_until};

fn members(node: &TestServer) -> usize {
    redis::cmd("CLUSTER").arg("NODES").query::<String>(&mut node.sync_conn()).map_or(0, |n| n.lines().count())
}

/// A group of a primary and two replicas, every write acknowledged by one replica.
fn quorum_group() -> (TestServer, TestServer, TestServer) {
    let args = ["--cluster", "--cluster-port", "0", "--replicas", "1", "--min-replicas-ack", "1"];
    let primary = TestServer::start_with(&args);
    let bus = primary.cluster.unwrap().to_string();
    let join = ["--join", bus.as_str(), "--cluster-port", "0", "--min-replicas-ack", "1"];
    let a = TestServer::start_with(&join);
    let b = TestServer::start_with(&join);
    for node in [&primary, &a, &b] {
        assert!(wait_until(Duration::from_secs(20), || members(node) == 3));
    }
    // Both replicas are streaming before the load starts.
    assert!(wait_until(Duration::from_secs(20), || {
        let info: String = run(&mut primary.sync_conn(), &["INFO", "replication"]);
        info.contains("connected_slaves:2\r\n")
    }));
    (primary, a, b)
}

/// Writes `key:i` = i in order to whichever of `nodes` takes it, following MOVED and
/// skipping dead nodes, until `until` says stop. Returns the writes acknowledged and the
/// longest time no write succeeded.
fn write_through(nodes: &[&TestServer], mut until: impl FnMut(usize) -> bool) -> (Vec<usize>, Duration) {
    let mut acked = Vec::new();
    let mut target = 0;
    let mut conn: Option<redis::Connection> = None;
    let mut last_ok = Instant::now();
    let mut longest_gap = Duration::ZERO;
    let mut i = 0;
    while !until(acked.len()) {
        if conn.is_none() {
            let client = redis::Client::open(nodes[target].url()).unwrap();
            conn = client.get_connection_with_timeout(Duration::from_secs(2)).ok();
        }
        let reply = match conn.as_mut() {
            Some(con) => redis::cmd("SET").arg(format!("key:{i}")).arg(i).query::<()>(con),
            None => Err(redis::RedisError::from((redis::ErrorKind::Io, "node unreachable"))),
        };
        match reply {
            Ok(_) => {
                acked.push(i);
                longest_gap = longest_gap.max(last_ok.elapsed());
                last_ok = Instant::now();
                i += 1;
            }
            Err(e) => {
                // Redirected, refused (lease lost) or the node is gone: try the next node.
                // The write's outcome is unknown, so it is not counted (and not retried
                // under the same key, which keeps "acknowledged" exact).
                if !e.to_string().contains("MOVED") {
                    std::thread::sleep(Duration::from_millis(20));
                }
                i += 1;
                conn = None;
                target = (target + 1) % nodes.len();
            }
        }
    }
    (acked, longest_gap)
}

#[test]
fn killing_the_primary_loses_no_quorum_acknowledged_write() {
    let (mut primary, a, b) = quorum_group();
    // Write; kill the primary after 300 acknowledged writes (SIGKILL: nothing is flushed
    // or handed over); go on until 300 more succeed on the promoted replica.
    let pid = primary.pid();
    let (acked, gap) = write_through(&[&primary, &a, &b], |done| {
        if done == 300 {
            std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap();
        }
        done >= 600
    });
    primary.kill9();
    println!("longest time without a successful write: {} ms", gap.as_millis());
    assert!(gap < Duration::from_secs(10), "writes resumed on the promoted replica ({} ms)", gap.as_millis());
    let new_primary = [&a, &b]
        .into_iter()
        .find(|n| {
            let role: redis::Value = run(&mut n.sync_conn(), &["ROLE"]);
            matches!(role, redis::Value::Array(ref r) if r[0] == redis::Value::BulkString(b"master".to_vec()))
        })
        .expect("a replica was promoted");
    let mut con = new_primary.sync_conn();
    let missing: Vec<usize> = acked
        .iter()
        .copied()
        .filter(|i| redis::cmd("GET").arg(format!("key:{i}")).query::<Option<usize>>(&mut con).unwrap() != Some(*i))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(10)]
    );
}
