#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A true network partition (issue 9): a primary cut off from the rest of its cluster by
//! proxies on the cluster ports (see `common::partition`), while it keeps running and its
//! clients keep reaching it. It must stop acknowledging writes within its lease; the others
//! promote a replica; when the partition heals, the old primary demotes itself, discards
//! what it accepted alone and resyncs, and no acknowledged write is lost (with quorum acks).

mod common;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::partition::{Cut, Network};
use common::{TestServer, members, role, run, wait_until};

/// One SET a client sent, and whether it was acknowledged.
#[derive(Debug, Clone)]
struct Write {
    key: String,
    /// Per writer, increasing: the order of the writer's writes.
    seq: u64,
    value: String,
    /// The node it was sent to.
    node: usize,
    sent: Instant,
    /// When its reply (or error) came.
    at: Instant,
    acked: bool,
}

type Log = Arc<Mutex<Vec<Write>>>;

/// The node's control plane as its Cluster.ClusterMap rpc shows it, on its real cluster
/// port (the test is no node, so the proxies would not know it).
fn control_view(node: &TestServer) -> Option<aegisr_proto::v1::ClusterMapReply> {
    let addr = node.cluster.expect("cluster bus address");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut client =
            aegisr_proto::v1::cluster_client::ClusterClient::connect(format!("http://{addr}")).await.ok()?;
        client.cluster_map(aegisr_proto::v1::ClusterMapRequest {}).await.ok().map(tonic::Response::into_inner)
    })
}

fn voters(node: &TestServer) -> usize {
    control_view(node).map_or(0, |view| view.voters.len())
}

/// Whether the node leads the Raft group.
fn leads(node: &TestServer) -> bool {
    control_view(node).is_some_and(|view| view.leader == view.node)
}

/// A field of INFO replication.
fn replication(node: &TestServer, field: &str) -> String {
    let info: String = run(&mut node.sync_conn(), &["INFO", "replication"]);
    info.lines()
        .find_map(|l| l.strip_prefix(field).and_then(|l| l.strip_prefix(':')))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Three nodes on `ips`, each behind its proxy: one group (a primary, the first node, and
/// two replicas), all three Raft voters, both replicas streaming.
fn three_nodes(net: &Network, extra: &[&str]) -> Vec<TestServer> {
    let with = |i: usize, mode: &[String]| -> Vec<String> {
        net.args(i).into_iter().chain(mode.iter().cloned()).chain(extra.iter().map(|s| (*s).to_owned())).collect()
    };
    let start = |args: Vec<String>| TestServer::start_with(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut nodes = vec![start(with(0, &["--cluster".into(), "--replicas".into(), "1".into()]))];
    for i in 1..3 {
        nodes.push(start(with(i, &["--join".into(), net.bus(0)])));
    }
    for node in &nodes {
        assert!(wait_until(Duration::from_secs(20), || members(node) == 3), "three members");
    }
    assert!(wait_until(Duration::from_secs(20), || voters(&nodes[0]) == 3), "three voters");
    assert!(
        wait_until(Duration::from_secs(20), || replication(&nodes[0], "connected_slaves") == "2"),
        "both replicas streaming"
    );
    // The nodes know each other by their proxies.
    let mut con = nodes[0].sync_conn();
    let map: String = run(&mut con, &["CLUSTER", "NODES"]);
    for (i, server) in nodes.iter().enumerate() {
        let node = net.node(i);
        assert!(map.contains(&format!("{}:{}@{}", node.ip, server.resp.port(), node.proxy_port)), "{map}");
    }
    let announced: Vec<String> = run(&mut con, &["CONFIG", "GET", "cluster-announce-bus-port"]);
    assert_eq!(announced, ["cluster-announce-bus-port".to_owned(), net.node(0).proxy_port.to_string()]);
    let source: Vec<String> = run(&mut con, &["CONFIG", "GET", "bind-source-addr"]);
    assert_eq!(source, ["bind-source-addr".to_owned(), net.node(0).ip.to_string()]);
    nodes
}

/// The nodes' roles and what they logged (drained), for a failure's message.
fn diagnose(nodes: &[TestServer]) -> String {
    let mut out = String::new();
    for (i, node) in nodes.iter().enumerate() {
        out += &format!("--- node {i} ({}), role {}\n", node.resp, role(node));
        for line in node.log.try_iter() {
            if !line.contains("Ready to accept") {
                out += &line;
                out.push('\n');
            }
        }
    }
    out
}

/// The node other than `old` that is the primary now.
fn new_primary(nodes: &[TestServer], old: usize) -> &TestServer {
    match nodes.iter().enumerate().find(|(i, n)| *i != old && role(n) == "master") {
        Some((_, node)) => node,
        None => panic!("no replica was promoted:\n{}", diagnose(nodes)),
    }
}

/// Sends one SET to node `node` and logs it.
fn attempt(
    con: &mut redis::Connection,
    log: &Log,
    node: usize,
    key: String,
    seq: u64,
    value: String,
) -> redis::RedisResult<()> {
    let sent = Instant::now();
    let result = redis::cmd("SET").arg(&key).arg(&value).query::<()>(con);
    log.lock().unwrap().push(Write { key, seq, value, node, sent, at: Instant::now(), acked: result.is_ok() });
    result
}

fn connect(addr: SocketAddr, timeout: Duration) -> Option<redis::Connection> {
    let con = redis::Client::open(format!("redis://{addr}/")).ok()?.get_connection_with_timeout(timeout).ok()?;
    con.set_read_timeout(Some(timeout)).ok()?;
    Some(con)
}

/// Writes `k<id>:<n>` (over `keys` keys, or a new key every write with 0) = `<id>:<seq>`
/// to whichever node takes it, following MOVED and moving on from nodes that refuse or do
/// not answer, until `stop`. A write whose reply did not come is not retried: its outcome
/// is unknown, which the checks allow for.
fn writer(id: usize, addrs: Vec<SocketAddr>, keys: u64, stop: Arc<AtomicBool>, log: Log) {
    let mut target = 0;
    let mut conn: Option<redis::Connection> = None;
    let mut seq = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !stop.load(Ordering::Relaxed) {
        assert!(Instant::now() < deadline, "writer {id} ran for 120 s");
        if conn.is_none() {
            // A write waiting for replicas that are cut off is not waited out.
            conn = connect(addrs[target], Duration::from_millis(700));
        }
        let Some(con) = conn.as_mut() else {
            target = (target + 1) % addrs.len();
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        seq += 1;
        let key = if keys == 0 { format!("k{id}:{seq}") } else { format!("k{id}:{}", seq % keys) };
        if let Err(e) = attempt(con, &log, target, key, seq, format!("{id}:{seq}")) {
            conn = None;
            match e.redirect_node().and_then(|(addr, _)| addrs.iter().position(|a| a.to_string() == addr)) {
                Some(node) => target = node,
                None => {
                    target = (target + 1) % addrs.len();
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
    }
}

/// Every key of the node's keyspace with its value (READONLY: a replica answers itself).
fn dataset(node: &TestServer) -> HashMap<String, String> {
    let mut con = node.sync_conn();
    run::<String>(&mut con, &["READONLY"]);
    let keys: Vec<String> = run(&mut con, &["KEYS", "*"]);
    keys.into_iter().map(|k| (k.clone(), run::<String>(&mut con, &["GET", &k]))).collect()
}

/// Checks `data` against what clients wrote: every key holds a value a client wrote to it,
/// and, for each key in `kept`, its last write acknowledged by a node in `kept`'s sense or
/// a later one whose outcome the client did not learn. Returns how many keys were checked.
fn check(data: &HashMap<String, String>, log: &[Write], kept: impl Fn(&Write) -> bool, node: &str) -> usize {
    let mut writes: HashMap<&str, Vec<&Write>> = HashMap::new();
    for w in log {
        writes.entry(&w.key).or_default().push(w);
    }
    for (key, value) in data {
        let written = writes.get(key.as_str()).and_then(|ws| ws.iter().find(|w| &w.value == value));
        assert!(written.is_some(), "{node}: {key} = {value}, which no client wrote");
    }
    let mut checked = 0;
    for (key, ws) in &writes {
        let Some(last) = ws.iter().filter(|w| w.acked && kept(w)).map(|w| w.seq).max() else { continue };
        let value = data.get(*key);
        let fine = value.is_some_and(|v| ws.iter().any(|w| &w.value == v && w.seq >= last));
        assert!(fine, "{node}: {key} = {value:?}, but write {last} to it was acknowledged");
        checked += 1;
    }
    checked
}

/// Writes as `writers` writers do until `stop` is set; returns their threads.
fn start_writers(
    nodes: &[TestServer],
    writers: usize,
    keys: u64,
    stop: &Arc<AtomicBool>,
    log: &Log,
) -> Vec<std::thread::JoinHandle<()>> {
    let addrs: Vec<SocketAddr> = nodes.iter().map(|n| n.resp).collect();
    (0..writers)
        .map(|id| {
            let (addrs, stop, log) = (addrs.clone(), stop.clone(), log.clone());
            std::thread::spawn(move || writer(id, addrs, keys, stop, log))
        })
        .collect()
}

fn acked_since(log: &Log, since: Instant, on: impl Fn(usize) -> bool) -> usize {
    log.lock().unwrap().iter().filter(|w| w.acked && w.at >= since && on(w.node)).count()
}

/// How many writes sent to node `old` at or after `since` were acknowledged (a node whose
/// lease ran out, cut off, must take none: its lease cannot come back while it is).
fn acked_sent_after(log: &Log, old: usize, since: Instant) -> usize {
    log.lock().unwrap().iter().filter(|w| w.acked && w.node == old && w.sent >= since).count()
}

/// After the heal: hammers the old primary with writes until it redirects them; returns how
/// many it acknowledged meanwhile (a node that lost its primacy must take none).
fn writes_taken_until_demoted(nodes: &[TestServer], old: usize, log: &Log) -> (usize, Duration) {
    let (index, old) = (old, &nodes[old]);
    let started = Instant::now();
    let mut taken = 0;
    let mut con = connect(old.resp, Duration::from_secs(2)).unwrap();
    let mut seq = 0;
    loop {
        assert!(started.elapsed() < Duration::from_secs(30), "the old primary still not redirecting after 30 s");
        seq += 1;
        match attempt(&mut con, log, index, format!("heal:{seq}"), seq, format!("9:{seq}")) {
            Ok(()) => taken += 1,
            Err(e) if e.redirect_node().is_some() => return (taken, started.elapsed()),
            Err(e) if e.is_io_error() || e.is_timeout() => {
                con = connect(old.resp, Duration::from_secs(2)).unwrap();
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Waits until `old` follows `new` with the same offset; returns how long it took.
fn wait_resynced(old: &TestServer, new: &TestServer, within: Duration) -> Duration {
    let started = Instant::now();
    let synced = wait_until(within, || {
        replication(old, "master_link_status") == "up"
            && replication(old, "master_port") == new.resp.port().to_string()
            && replication(old, "master_repl_offset") == replication(new, "master_repl_offset")
    });
    assert!(
        synced,
        "the old primary resynced: link {}, offset {} of {}",
        replication(old, "master_link_status"),
        replication(old, "master_repl_offset"),
        replication(new, "master_repl_offset")
    );
    started.elapsed()
}

/// The old primary, cut off: how long until it refuses writes (CLUSTERDOWN), probing
/// with writes that are logged like any other (a probe stuck waiting for cut-off replicas
/// is given up on quickly).
fn time_to_refusal(nodes: &[TestServer], old: usize, log: &Log, cut: Instant) -> Duration {
    let (index, old) = (old, &nodes[old]);
    let mut con = connect(old.resp, Duration::from_millis(100)).unwrap();
    let mut seq = 0;
    loop {
        assert!(cut.elapsed() < Duration::from_secs(10), "the cut-off primary still takes writes after 10 s");
        seq += 1;
        match attempt(&mut con, log, index, format!("probe:{seq}"), seq, format!("8:{seq}")) {
            Err(e) if e.to_string().to_ascii_uppercase().contains("CLUSTERDOWN") => return cut.elapsed(),
            Err(e) if e.is_io_error() || e.is_timeout() => {
                con = connect(old.resp, Duration::from_millis(100)).unwrap();
            }
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Makes node `old` the primary (CLUSTER FAILOVER); the Raft leadership stays with node 0,
/// so that the primary's lease comes from the leader's acknowledgements.
fn make_primary(nodes: &[TestServer], old: usize) {
    if old == 0 {
        return;
    }
    run::<String>(&mut nodes[old].sync_conn(), &["CLUSTER", "FAILOVER"]);
    assert!(wait_until(Duration::from_secs(20), || {
        role(&nodes[old]) == "master" && replication(&nodes[old], "connected_slaves") == "2"
    }));
    assert!(leads(&nodes[0]) && !leads(&nodes[old]), "node 0 leads Raft, node {old} is the primary");
}

fn ips(subnet: u8) -> Vec<Ipv4Addr> {
    (1..=3).map(|n| Ipv4Addr::new(127, 0, subnet, n)).collect()
}

#[test]
fn a_partitioned_primary_stops_acknowledging_and_loses_no_quorum_acknowledged_write() {
    quorum_writes_survive(91, Cut::Refuse, 0);
}

#[test]
fn a_silently_partitioned_primary_stops_acknowledging_and_loses_no_quorum_acknowledged_write() {
    quorum_writes_survive(93, Cut::Silent, 0);
}

/// The primary cut off is not the Raft leader (a manual failover moved it): its lease
/// comes from the leader's acknowledgements.
#[test]
fn a_partitioned_primary_that_does_not_lead_raft_loses_no_quorum_acknowledged_write() {
    quorum_writes_survive(95, Cut::Silent, 1);
}

/// Stops the writers even when an assertion fails (the nodes and the proxies stop when
/// dropped).
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// With quorum acks: the primary, cut off `how`, stops acknowledging within its lease; the
/// majority promotes a replica; after the heal the old primary follows it with its data,
/// and no acknowledged write is lost on either.
fn quorum_writes_survive(subnet: u8, how: Cut, old: usize) {
    let net = Network::new(&ips(subnet));
    let nodes = three_nodes(&net, &["--min-replicas-ack", "1"]);
    make_primary(&nodes, old);
    let log: Log = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_writers = StopOnDrop(stop.clone());
    let writers = start_writers(&nodes, 2, 64, &stop, &log);
    let started = Instant::now();
    assert!(wait_until(Duration::from_secs(30), || acked_since(&log, started, |n| n == old) >= 300));

    net.partition(old, how);
    let cut = Instant::now();
    let refused = time_to_refusal(&nodes, old, &log, cut);
    // Reads still work there (it serves what it has).
    let mut reader = nodes[old].sync_conn();
    assert!(
        redis::cmd("GET").arg("k0:1").query::<Option<String>>(&mut reader).is_ok(),
        "the cut-off primary serves reads"
    );
    assert!(
        wait_until(Duration::from_secs(20), || acked_since(&log, cut, |n| n != old) >= 1),
        "writes resumed on the other side"
    );
    let resumed =
        log.lock().unwrap().iter().filter(|w| w.acked && w.at >= cut && w.node != old).map(|w| w.at - cut).min();
    let last_old_ack = log.lock().unwrap().iter().filter(|w| w.acked && w.node == old).map(|w| w.at).max();
    let old_acked_after_cut = last_old_ack.map_or(Duration::ZERO, |at| at.saturating_duration_since(cut));
    let after_refusal = acked_sent_after(&log, old, cut + refused);
    let label = format!("quorum, {how:?} cut, primary {}", if old == 0 { "leading Raft" } else { "not leading Raft" });
    let mut report = format!(
        "[{label}] cut: the cut-off primary refused writes after {} ms, acknowledged its last {} ms after the cut; writes resumed on the majority's side after {} ms",
        refused.as_millis(),
        old_acked_after_cut.as_millis(),
        resumed.unwrap_or_default().as_millis()
    );
    assert!(refused < Duration::from_secs(3), "refused within its lease ({} ms)", refused.as_millis());
    assert_eq!(after_refusal, 0, "writes sent to the cut-off primary after it refused were acknowledged");
    assert!(wait_until(Duration::from_secs(20), || acked_since(&log, cut, |n| n != old) >= 200));

    net.heal();
    let healed = Instant::now();
    let (taken, redirected) = writes_taken_until_demoted(&nodes, old, &log);
    assert!(
        wait_until(Duration::from_secs(20), || role(&nodes[old]) == "slave"),
        "the old primary did not demote itself:\n{}",
        diagnose(&nodes)
    );
    let demoted = healed.elapsed();
    let new = new_primary(&nodes, old);
    assert!(wait_until(Duration::from_secs(20), || acked_since(&log, healed, |n| n != old) >= 100));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let resynced = wait_resynced(&nodes[old], new, Duration::from_secs(20));
    report += &format!(
        "\n[{label}] heal: the old primary redirected writes after {} ms ({taken} taken meanwhile), was a replica after {} ms, in sync {} ms after the writers stopped",
        redirected.as_millis(),
        demoted.as_millis(),
        resynced.as_millis()
    );
    assert_eq!(taken, 0, "the old primary took writes after the heal");
    let log = log.lock().unwrap().clone();
    let acked = log.iter().filter(|w| w.acked).count();
    let fresh = dataset(new);
    let kept = dataset(&nodes[old]);
    let checked = check(&fresh, &log, |_| true, "new primary");
    check(&kept, &log, |_| true, "old primary");
    assert_eq!(kept, fresh, "the old primary holds the new primary's data");
    println!("{report}\n[{label}] {acked} writes acknowledged, {checked} keys checked on both nodes, none lost");
}

#[test]
fn a_partitioned_primary_discards_what_it_accepted_alone() {
    writes_taken_alone_are_discarded(92, Cut::Refuse, 0);
}

#[test]
fn a_silently_partitioned_primary_discards_what_it_accepted_alone() {
    writes_taken_alone_are_discarded(94, Cut::Silent, 0);
}

/// As above, with a primary that does not lead Raft: back from the partition, it must get
/// no lease from the leader until it has learned it is a replica.
#[test]
fn a_partitioned_primary_that_does_not_lead_raft_discards_what_it_accepted_alone() {
    writes_taken_alone_are_discarded(96, Cut::Silent, 1);
}

/// Asynchronous replication: what the primary, cut off `how`, took alone until its lease
/// ran out is discarded when it comes back and resyncs from the new primary.
fn writes_taken_alone_are_discarded(subnet: u8, how: Cut, old: usize) {
    let net = Network::new(&ips(subnet));
    let nodes = three_nodes(&net, &[]);
    make_primary(&nodes, old);
    let log: Log = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_writers = StopOnDrop(stop.clone());
    // A new key every write: what the old primary took alone exists nowhere else.
    let writers = start_writers(&nodes, 1, 0, &stop, &log);
    let started = Instant::now();
    assert!(wait_until(Duration::from_secs(30), || acked_since(&log, started, |n| n == old) >= 300));

    net.partition(old, how);
    let cut = Instant::now();
    let refused = time_to_refusal(&nodes, old, &log, cut);
    assert!(
        wait_until(Duration::from_secs(20), || acked_since(&log, cut, |n| n != old) >= 200),
        "writes resumed on the other side"
    );
    let alone: Vec<Write> =
        log.lock().unwrap().iter().filter(|w| w.acked && w.at >= cut && w.node == old).cloned().collect();
    let label = format!("async, {how:?} cut, primary {}", if old == 0 { "leading Raft" } else { "not leading Raft" });
    let mut report = format!(
        "[{label}] cut: the cut-off primary accepted {} writes alone, refused writes after {} ms",
        alone.len(),
        refused.as_millis()
    );
    assert!(refused < Duration::from_secs(3), "refused within its lease ({} ms)", refused.as_millis());
    let after_refusal = acked_sent_after(&log, old, cut + refused);
    assert_eq!(after_refusal, 0, "writes sent to the cut-off primary after it refused were acknowledged");

    net.heal();
    let healed = Instant::now();
    let (taken, redirected) = writes_taken_until_demoted(&nodes, old, &log);
    assert!(
        wait_until(Duration::from_secs(20), || role(&nodes[old]) == "slave"),
        "the old primary did not demote itself:\n{}",
        diagnose(&nodes)
    );
    let demoted = healed.elapsed();
    let new = new_primary(&nodes, old);
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let resynced = wait_resynced(&nodes[old], new, Duration::from_secs(20));
    report += &format!(
        "\n[{label}] heal: the old primary redirected writes after {} ms ({taken} taken meanwhile), was a replica after {} ms, in sync {} ms after the writers stopped",
        redirected.as_millis(),
        demoted.as_millis(),
        resynced.as_millis()
    );
    assert_eq!(taken, 0, "the old primary took writes after the heal");
    let log = log.lock().unwrap().clone();
    let fresh = dataset(new);
    let kept = dataset(&nodes[old]);
    assert_eq!(kept.len(), fresh.len(), "the old primary holds the new primary's data");
    assert_eq!(kept, fresh, "the old primary holds the new primary's data");
    for w in &alone {
        assert_eq!(kept.get(&w.key), fresh.get(&w.key), "{} (taken alone) is gone or the new primary's", w.key);
    }
    // What the new primary acknowledged is kept; nothing holds a value no client wrote.
    let checked = check(&fresh, &log, |w| w.node != old, "new primary");
    println!(
        "{report}\n[{label}] {} writes the old primary took alone discarded; {checked} keys the new primary acknowledged kept",
        alone.len()
    );
}
