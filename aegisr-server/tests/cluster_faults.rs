#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Faults under load, with real processes: a primary killed or frozen while clients write.
//! Every write a client saw acknowledged must survive when it asked for quorum acks.

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, members, role, run, wait_until};

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
    let deadline = Instant::now() + Duration::from_secs(120);
    while !until(acked.len()) {
        assert!(Instant::now() < deadline, "only {} writes acknowledged in 120 s", acked.len());
        if conn.is_none() {
            let client = redis::Client::open(nodes[target].url()).unwrap();
            conn = client.get_connection_with_timeout(Duration::from_secs(2)).ok();
            // A frozen node must not hold the writer for ever.
            if let Some(con) = conn.as_mut() {
                con.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
            }
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

/// How many voters the node's control plane has (its Cluster.ClusterMap rpc).
fn voters(node: &TestServer) -> usize {
    let addr = node.cluster.expect("cluster bus address");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let Ok(mut client) = aegisr_proto::v1::cluster_client::ClusterClient::connect(format!("http://{addr}")).await
        else {
            return 0;
        };
        client
            .cluster_map(aegisr_proto::v1::ClusterMapRequest {})
            .await
            .map_or(0, |reply| reply.into_inner().voters.len())
    })
}

#[test]
fn a_frozen_primary_stops_acknowledging_and_rejoins_as_a_replica() {
    let (primary, a, b) = quorum_group();
    let pid = primary.pid().to_string();
    let signal = |sig: &str| {
        std::process::Command::new("kill").args([sig, &pid]).status().unwrap();
    };
    let mut frozen_at = None;
    let (acked, _) = write_through(&[&primary, &a, &b], |done| {
        if done == 300 && frozen_at.is_none() {
            // Cut off from everyone (SIGSTOP): the others promote a replica meanwhile.
            signal("-STOP");
            frozen_at = Some(Instant::now());
        }
        if frozen_at.is_some_and(|t| t.elapsed() > Duration::from_secs(3)) {
            signal("-CONT");
        }
        done >= 600
    });
    signal("-CONT");
    // The old primary comes back as a replica of the new one, with its data.
    assert!(wait_until(Duration::from_secs(20), || role(&primary) == "slave"), "the old primary demoted itself");
    let new_primary = [&a, &b].into_iter().find(|n| role(n) == "master").expect("a replica was promoted");
    let mut fresh = new_primary.sync_conn();
    let mut old = primary.sync_conn();
    run::<String>(&mut old, &["READONLY"]);
    let last = acked.last().copied().unwrap();
    assert!(wait_until(Duration::from_secs(20), || {
        redis::cmd("GET").arg(format!("key:{last}")).query::<Option<usize>>(&mut old).ok().flatten() == Some(last)
    }));
    for i in &acked {
        let key = format!("key:{i}");
        assert_eq!(redis::cmd("GET").arg(&key).query::<Option<usize>>(&mut fresh).unwrap(), Some(*i), "{key} lost");
    }
    // No key holds a value no client wrote, on either side.
    let keys: Vec<String> = run(&mut fresh, &["KEYS", "key:*"]);
    for key in keys {
        let value: usize = redis::cmd("GET").arg(&key).query(&mut fresh).unwrap();
        assert_eq!(format!("key:{value}"), key);
    }
    assert_eq!(run::<i64>(&mut old, &["DBSIZE"]), run::<i64>(&mut fresh, &["DBSIZE"]));
}

/// Writes `roll:i` = i through whichever node takes it, following MOVED to new addresses,
/// until `stop`; returns the writes acknowledged, the errors other than redirections and
/// unreachable nodes, and the longest time without a successful write.
fn roll_writer(
    addrs: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (Vec<usize>, Vec<String>, Duration) {
    let mut acked = Vec::new();
    let mut errors = Vec::new();
    let mut conn: Option<redis::Connection> = None;
    let (mut last_ok, mut longest_gap) = (Instant::now(), Duration::ZERO);
    let mut next_addr: Option<String> = None;
    let mut i = 0;
    let mut rotate = 0;
    // At least 200 writes, so the check at the end means something on a slow machine; a
    // cluster that stops taking writes fails the test instead of hanging it.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !(stop.load(std::sync::atomic::Ordering::Relaxed) && acked.len() >= 200) {
        assert!(Instant::now() < deadline, "only {} writes acknowledged in 120 s", acked.len());
        if conn.is_none() {
            let addr = next_addr.take().unwrap_or_else(|| {
                let addrs = addrs.lock().unwrap();
                rotate += 1;
                addrs[rotate % addrs.len()].clone()
            });
            conn = redis::Client::open(format!("redis://{addr}/"))
                .unwrap()
                .get_connection_with_timeout(Duration::from_secs(1))
                .ok();
            if let Some(c) = conn.as_mut() {
                c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            }
        }
        let Some(c) = conn.as_mut() else {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        match redis::cmd("SET").arg(format!("roll:{i}")).arg(i).query::<()>(c) {
            Ok(()) => {
                acked.push(i);
                longest_gap = longest_gap.max(last_ok.elapsed());
                last_ok = Instant::now();
            }
            Err(e) => {
                let text = e.to_string();
                if let Some((addr, _slot)) = e.redirect_node() {
                    next_addr = Some(addr.to_owned());
                } else if !e.is_io_error()
                    && !e.is_connection_dropped()
                    && !e.is_timeout()
                    && !text.to_ascii_uppercase().contains("CLUSTERDOWN")
                {
                    // Redirections, unreachable nodes and a moment without a primary are
                    // what a cluster client retries; anything else is an error.
                    errors.push(text);
                }
                conn = None;
            }
        }
        i += 1;
    }
    (acked, errors, longest_gap)
}

#[test]
fn a_rolling_restart_keeps_the_cluster_available() {
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let common = ["--cluster-port", "0", "--replicas", "1", "--min-replicas-ack", "1"];
    let first_args: Vec<&str> = ["--cluster"].into_iter().chain(common).collect();
    let mut nodes = vec![TestServer::start_in(dirs[0].path(), &first_args)];
    let bus = nodes[0].cluster.unwrap().to_string();
    let join_args: Vec<&str> = ["--join", bus.as_str()].into_iter().chain(common).collect();
    for dir in &dirs[1..] {
        nodes.push(TestServer::start_in(dir.path(), &join_args));
    }
    for node in &nodes {
        assert!(wait_until(Duration::from_secs(20), || members(node) == 3));
    }
    let streaming = |node: &TestServer| {
        redis::cmd("INFO")
            .arg("replication")
            .query::<String>(&mut node.sync_conn())
            .is_ok_and(|i| i.contains("master_link_status:up") || i.contains("connected_slaves:2"))
    };
    for node in &nodes {
        assert!(wait_until(Duration::from_secs(20), || streaming(node)));
    }
    let addrs =
        std::sync::Arc::new(std::sync::Mutex::new(nodes.iter().map(|n| n.resp.to_string()).collect::<Vec<_>>()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = std::thread::spawn({
        let (addrs, stop) = (addrs.clone(), stop.clone());
        move || roll_writer(addrs, stop)
    });
    for at in 0..nodes.len() {
        // A primary hands over to a replica first, as an operator would.
        if role(&nodes[at]) == "master" {
            let replica = (0..nodes.len()).find(|&i| i != at && role(&nodes[i]) == "slave").unwrap();
            run::<String>(&mut nodes[replica].sync_conn(), &["CLUSTER", "FAILOVER"]);
            assert!(wait_until(Duration::from_secs(20), || role(&nodes[at]) == "slave"), "handover before restart");
        }
        nodes[at].kill9();
        // With cluster state in its directory the node rejoins by itself.
        let args: Vec<&str> = ["--cluster"].into_iter().chain(common).collect();
        nodes[at] = TestServer::start_in(dirs[at].path(), &args);
        addrs.lock().unwrap()[at] = nodes[at].resp.to_string();
        assert!(wait_until(Duration::from_secs(30), || streaming(&nodes[at])), "node {at} back in its group");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (acked, errors, gap) = writer.join().unwrap();
    println!(
        "rolling restart: {} writes acknowledged, {} errors, longest unavailability {} ms",
        acked.len(),
        errors.len(),
        gap.as_millis()
    );
    assert!(errors.is_empty(), "{errors:?}");
    let primary = nodes.iter().find(|n| role(n) == "master").unwrap();
    let mut con = primary.sync_conn();
    for i in &acked {
        assert_eq!(redis::cmd("GET").arg(format!("roll:{i}")).query::<Option<usize>>(&mut con).unwrap(), Some(*i));
    }
}

#[test]
fn a_primary_without_a_majority_stops_taking_writes_within_its_lease() {
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let common = ["--cluster-port", "0", "--replicas", "1"];
    let first_args: Vec<&str> = ["--cluster"].into_iter().chain(common).collect();
    let primary = TestServer::start_in(dirs[0].path(), &first_args);
    let bus = primary.cluster.unwrap().to_string();
    let join_args: Vec<&str> = ["--join", bus.as_str()].into_iter().chain(common).collect();
    let mut replicas: Vec<TestServer> = dirs[1..].iter().map(|d| TestServer::start_in(d.path(), &join_args)).collect();
    for node in std::iter::once(&primary).chain(&replicas) {
        assert!(wait_until(Duration::from_secs(20), || members(node) == 3));
    }
    // Every node votes: the primary alone is no majority.
    assert!(wait_until(Duration::from_secs(20), || voters(&primary) == 3), "three voters");
    let mut con = primary.sync_conn();
    for i in 0..100 {
        run::<String>(&mut con, &["SET", &format!("k{i}"), &i.to_string()]);
    }
    // The majority goes away; the primary keeps running and clients still reach it.
    for replica in &mut replicas {
        replica.kill9();
    }
    let cut_off = Instant::now();
    let refused = wait_until(Duration::from_secs(10), || {
        redis::cmd("SET")
            .arg("during")
            .arg("1")
            .query::<()>(&mut con)
            .is_err_and(|e| e.to_string().to_ascii_uppercase().contains("CLUSTERDOWN"))
    });
    let took = cut_off.elapsed();
    println!("writes refused {} ms after the majority went away", took.as_millis());
    assert!(refused, "the primary stops taking writes");
    // Within the lease (half the 1 s failover timeout), with room for a slow machine, and
    // before any replica could have been promoted elsewhere.
    assert!(took < Duration::from_secs(3), "{} ms", took.as_millis());
    // Reads still work; writes stay refused.
    assert_eq!(run::<String>(&mut con, &["GET", "k7"]), "7");
    // The majority comes back: the primary takes writes again, with everything it had.
    let back_args: Vec<&str> = ["--cluster"].into_iter().chain(common).collect();
    let _replicas: Vec<TestServer> = dirs[1..].iter().map(|d| TestServer::start_in(d.path(), &back_args)).collect();
    assert!(wait_until(Duration::from_secs(30), || {
        redis::cmd("SET").arg("after").arg("1").query::<()>(&mut con).is_ok()
    }));
    for i in 0..100 {
        assert_eq!(run::<String>(&mut con, &["GET", &format!("k{i}")]), i.to_string());
    }
}
