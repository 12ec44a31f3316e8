//! The cluster control plane with real processes on loopback: bootstrap and restart,
//! joining, failover of a killed primary, joining a dead address. Each node's view is read
//! through the `Cluster.ClusterMap` rpc on its cluster port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use aegisr_proto::v1::cluster_client::ClusterClient;
use aegisr_proto::v1::{ClusterMapRequest, ProposeRequest};
use aegisr_server::cluster::map::{Change, ChangeError, ClusterMap, NodeId, SlotRange};
use common::{TestServer, wait_until};

/// Log entries after which the leader snapshots (`LogsSinceLast` in control/mod.rs), plus
/// the entries it keeps behind a snapshot, plus a margin.
const ENTRIES_FOR_A_SNAPSHOT: usize = 500 + 100 + 50;

/// One node's view: its id and name, the leader it knows, its applied map.
#[derive(Debug, Clone, PartialEq)]
struct View {
    node: NodeId,
    name: String,
    leader: Option<NodeId>,
    map: ClusterMap,
    lease: bool,
    voters: Vec<NodeId>,
}

fn view(server: &TestServer) -> Option<View> {
    let addr = server.cluster.expect("cluster bus address");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut client = ClusterClient::connect(format!("http://{addr}")).await.ok()?;
        let reply = client.cluster_map(ClusterMapRequest {}).await.ok()?.into_inner();
        Some(View {
            node: reply.node,
            name: reply.name,
            leader: Some(reply.leader).filter(|&l| l != 0),
            map: serde_json::from_slice(&reply.map).unwrap(),
            lease: reply.lease,
            voters: reply.voters,
        })
    })
}

fn node(dir: &std::path::Path, args: &[&str]) -> TestServer {
    let mut all = vec!["--cluster-port", "0", "--metrics-port", "-1"];
    all.extend_from_slice(args);
    TestServer::start_in(dir, &all)
}

/// The shape of a map: per group, its primary and replicas.
fn shape(map: &ClusterMap) -> Vec<(NodeId, Vec<NodeId>)> {
    map.groups.values().map(|g| (g.primary, g.replicas.clone())).collect()
}

/// Three data directories kept by the test (to restart nodes on them).
fn dirs() -> Vec<tempfile::TempDir> {
    (0..3).map(|_| tempfile::tempdir().unwrap()).collect()
}

/// Node 1 bootstraps; 2 joins through 1, 3 through 2 (a follower, which forwards to the
/// leader). Waits until all three applied the same map.
fn three_nodes(dirs: &[tempfile::TempDir]) -> (Vec<TestServer>, Vec<NodeId>) {
    let n1 = node(dirs[0].path(), &["--cluster"]);
    let join1 = n1.cluster.unwrap().to_string();
    let n2 = node(dirs[1].path(), &["--join", &join1]);
    let join2 = n2.cluster.unwrap().to_string();
    let n3 = node(dirs[2].path(), &["--join", &join2]);
    let nodes = vec![n1, n2, n3];
    let ids: Vec<NodeId> = nodes.iter().map(|n| view(n).unwrap().node).collect();
    assert!(converged(&nodes), "views: {:?}", nodes.iter().map(view).collect::<Vec<_>>());
    let first = view(&nodes[0]).unwrap();
    assert_eq!(shape(&first.map), vec![(ids[0], vec![ids[1], ids[2]])]);
    let mut voters = ids.clone();
    voters.sort_unstable();
    assert_eq!(first.voters, voters, "every node votes");
    (nodes, ids)
}

/// Waits until every node knows a leader and has applied the same map, in which every
/// node has the addresses it runs on.
fn converged(nodes: &[TestServer]) -> bool {
    wait_until(Duration::from_secs(10), || {
        let views: Vec<View> = nodes.iter().filter_map(view).collect();
        views.len() == nodes.len()
            && views.iter().all(|v| v.map == views[0].map && v.leader.is_some() && v.leader == views[0].leader)
            && views.iter().zip(nodes).all(|(v, n)| {
                v.map.members.get(&v.node).is_some_and(|m| {
                    (m.resp_port, m.grpc_port, Some(m.cluster_port))
                        == (n.resp.port(), n.grpc.port(), n.cluster.map(|c| c.port()))
                })
            })
    })
}

/// Waits until the server logs a line containing `text`.
fn wait_for_line(server: &TestServer, text: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match server.log.recv_timeout(left) {
            Ok(line) if line.contains(text) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

#[test]
fn one_node_bootstraps_then_restarts_with_its_identity_and_map() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--cluster", "--cluster-port", "0", "--metrics-port", "-1"];
    let first = TestServer::start_in(dir.path(), &args);
    let before = view(&first).unwrap();
    assert_eq!(before.leader, Some(before.node));
    assert!(before.lease, "a one-node cluster is its own majority");
    assert_eq!(before.name.len(), 40);
    assert_eq!(shape(&before.map), vec![(before.node, vec![])]);
    assert_eq!(before.map.slots, vec![SlotRange { start: 0, end: 16383, group: 0 }]);
    assert_eq!(before.map.replicas_wanted, 1);
    let member = &before.map.members[&before.node];
    assert_eq!((member.host.as_str(), member.resp_port), ("127.0.0.1", first.resp.port()));
    assert_eq!(member.cluster_port, first.cluster.unwrap().port());
    drop(first);

    // Killed and restarted on the same directory: same identity, same map; a --join
    // given now is ignored (the node has cluster state). It runs on other ports now (all
    // were picked free), which the map takes in a new epoch.
    let again = TestServer::start_in(dir.path(), &[&args[..], &["--join", "127.0.0.1:1"]].concat());
    assert!(again.startup_log.iter().any(|l| l.contains("rejoining with the saved cluster state")));
    assert!(converged(std::slice::from_ref(&again)));
    let after = view(&again).unwrap();
    assert_eq!((after.node, &after.name, after.leader), (before.node, &before.name, before.leader));
    assert!(after.lease);
    assert_eq!(shape(&after.map), shape(&before.map));
    assert_eq!(after.map.slots, before.map.slots);
    assert_eq!(after.map.epoch, before.map.epoch + 1, "one UpdateMember");
}

#[test]
fn a_replica_restarted_on_other_ports_rejoins_with_them() {
    let dirs = dirs();
    let (mut nodes, ids) = three_nodes(&dirs);
    nodes.pop();
    let n3 = node(dirs[2].path(), &["--cluster"]);
    assert!(n3.startup_log.iter().any(|l| l.contains("rejoining with the saved cluster state")));
    assert_eq!(view(&n3).unwrap().node, ids[2]);
    nodes.push(n3);
    assert!(converged(&nodes), "views: {:?}", nodes.iter().map(view).collect::<Vec<_>>());
    assert_eq!(shape(&view(&nodes[2]).unwrap().map), vec![(ids[0], vec![ids[1], ids[2]])]);
}

#[test]
fn three_nodes_converge_on_one_group_of_a_primary_and_two_replicas() {
    let dirs = dirs();
    let (mut nodes, mut ids) = three_nodes(&dirs);
    let map = view(&nodes[2]).unwrap().map;
    assert_eq!(map.members.len(), 3);
    assert_eq!(map.slots, vec![SlotRange { start: 0, end: 16383, group: 0 }]);
    for (n, id) in nodes.iter().zip(&ids) {
        let member = &map.members[id];
        assert_eq!(member.resp_port, n.resp.port());
        assert_eq!(member.cluster_port, n.cluster.unwrap().port());
        assert_eq!(member.group, Some(0));
    }
    // Every node knows the same leader.
    let leaders: Vec<_> = nodes.iter().map(|n| view(n).unwrap().leader).collect();
    assert!(leaders.iter().all(|l| *l == leaders[0]), "{leaders:?}");

    // A 4th node can form a second group with the spare replica: it is its primary, and
    // the data plane moves half of the slots to it (the rebalance plan).
    let fourth = tempfile::tempdir().unwrap();
    nodes.push(node(fourth.path(), &["--join", &nodes[2].cluster.unwrap().to_string()]));
    ids.push(view(&nodes[3]).unwrap().node);
    assert!(converged(&nodes), "views: {:?}", nodes.iter().map(view).collect::<Vec<_>>());
    let map = view(&nodes[3]).unwrap().map;
    assert_eq!(shape(&map), vec![(ids[0], vec![ids[1]]), (ids[3], vec![ids[2]])]);
    assert_eq!(view(&nodes[0]).unwrap().voters.len(), 4);
    let rebalanced = wait_until(Duration::from_secs(30), || {
        view(&nodes[0]).is_some_and(|v| v.map.slot_count(1) == 8192 && v.map.rebalance_plan().is_empty())
    });
    assert!(rebalanced, "map: {:?}", view(&nodes[0]).map(|v| v.map));
}

#[test]
fn killing_the_primary_and_leader_promotes_a_replica() {
    let dirs = dirs();
    let (mut nodes, ids) = three_nodes(&dirs);
    let before = view(&nodes[0]).unwrap();
    // The bootstrapping node is the primary, and normally still the Raft leader (a
    // loaded machine may have moved leadership: the failover must happen either way).
    let what = if before.leader == Some(ids[0]) { "the primary and leader" } else { "the primary" };
    nodes[0].kill9();
    let killed = Instant::now();
    let failed_over = wait_until(Duration::from_secs(10), || {
        nodes[1..].iter().all(|n| {
            view(n).is_some_and(|v| {
                let group = &v.map.groups[&0];
                v.leader.is_some_and(|l| l != ids[0])
                    && group.primary != ids[0]
                    && group.replicas.contains(&ids[0])
                    && v.map.epoch > before.map.epoch
            })
        })
    });
    let took = killed.elapsed();
    eprintln!("failover after kill -9 of {what}: {} ms", took.as_millis());
    assert!(failed_over, "views: {:?}", nodes[1..].iter().map(view).collect::<Vec<_>>());
    assert!(took < Duration::from_secs(10));
    let (a, b) = (view(&nodes[1]).unwrap(), view(&nodes[2]).unwrap());
    assert_eq!(a.map, b.map);
    assert_eq!(a.leader, b.leader);
}

#[test]
fn a_node_gone_past_the_timeout_is_removed_and_leases_follow_the_majority() {
    let dirs = dirs();
    let gone = ["--node-gone-timeout", "1500"];
    let n1 = node(dirs[0].path(), &["--cluster", gone[0], gone[1]]);
    let join = n1.cluster.unwrap().to_string();
    let n2 = node(dirs[1].path(), &["--join", &join, gone[0], gone[1]]);
    let mut n3 = node(dirs[2].path(), &["--join", &join, gone[0], gone[1]]);
    let nodes = [n1, n2];
    let ids: Vec<NodeId> = nodes.iter().map(|n| view(n).unwrap().node).collect();
    assert!(wait_until(Duration::from_secs(10), || [&nodes[0], &nodes[1], &n3]
        .iter()
        .all(|n| view(n).is_some_and(|v| v.lease && v.map.members.len() == 3))));

    // A replica dies: after the node-gone timeout it is no longer a member.
    n3.kill9();
    let removed = wait_until(Duration::from_secs(10), || {
        nodes
            .iter()
            .all(|n| view(n).is_some_and(|v| v.map.members.len() == 2 && shape(&v.map) == vec![(ids[0], vec![ids[1]])]))
    });
    assert!(removed, "views: {:?}", nodes.iter().map(view).collect::<Vec<_>>());
    // n3 left the Raft voters too; the two left hold their leases.
    let mut two: Vec<NodeId> = ids.clone();
    two.sort_unstable();
    assert!(wait_until(Duration::from_secs(5), || nodes
        .iter()
        .all(|n| view(n).is_some_and(|v| v.lease && v.voters == two))));

    // Back with its old state (and new ports), it is told it was removed, is not let
    // back in, and holds no lease.
    let back = node(dirs[2].path(), &["--cluster"]);
    let told = wait_for_line(&back, "this node was removed from the cluster", Duration::from_secs(10));
    assert!(told, "the returning node is told");
    assert!(view(&back).is_some_and(|v| !v.lease));
    assert!(nodes.iter().all(|n| view(n).is_some_and(|v| v.map.members.len() == 2 && v.lease)));
    drop(back);

    // The leader alone is no majority: its lease lapses (no failover can happen either).
    let [n1, mut n2] = nodes;
    n2.kill9();
    assert!(wait_until(Duration::from_secs(5), || view(&n1).is_some_and(|v| !v.lease)));
}

#[test]
fn joining_a_dead_address_fails_with_a_clear_error() {
    // A port nothing listens on, on a loopback address no other test binds: a port freed on
    // 127.0.0.1 can be taken at once by a node of a test running beside this one, and the
    // join then gets an answer and waits the full answered-join time (CI saw that once).
    let dead = std::net::TcpListener::bind("127.0.0.77:0").unwrap().local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (status, output) = TestServer::start_failing(dir.path(), &["--join", &dead.to_string(), "--cluster-port", "0"]);
    assert!(!status.success());
    let line = output.lines().find(|l| l.starts_with("aegisr-server: ")).unwrap_or_else(|| panic!("{output}"));
    assert!(line.contains(&format!("cannot join the cluster at {dead}")), "{line}");
    assert!(line.contains("cluster port"), "{line}");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}: {line}", started.elapsed());

    // Its own cluster port: refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let own = format!("127.0.0.1:{port}");
    let (status, output) =
        TestServer::start_failing(dir.path(), &["--join", &own, "--cluster-port", &port.to_string()]);
    assert!(!status.success());
    assert!(output.contains(&format!("cannot join the cluster at {own}: that is the joining node itself")), "{output}");
}

#[test]
fn a_node_joining_after_many_changes_gets_a_snapshot() {
    let dirs = dirs();
    let n1 = node(dirs[0].path(), &["--cluster"]);
    let addr = n1.cluster.unwrap();
    // Refused changes are log entries too: enough of them make the leader snapshot its
    // map and drop the log before it.
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let client = ClusterClient::connect(format!("http://{addr}")).await.unwrap();
        let change = serde_json::to_vec(&Change::AbortMigration { slot: 7 }).unwrap();
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..ENTRIES_FOR_A_SNAPSHOT {
            let mut client = client.clone();
            let change = change.clone();
            calls.spawn(async move {
                let request = ProposeRequest { change: change.into(), hops: 0 };
                let reply = client.propose(request).await.unwrap().into_inner();
                let result: Result<(), ChangeError> = serde_json::from_slice(&reply.result).unwrap();
                assert_eq!(result, Err(ChangeError::NotMigrating(7)));
            });
            if calls.len() >= 32 {
                calls.join_next().await.unwrap().unwrap();
            }
        }
        while let Some(done) = calls.join_next().await {
            done.unwrap();
        }
    });
    eprintln!("{ENTRIES_FOR_A_SNAPSHOT} proposals in {} ms", started.elapsed().as_millis());
    let n2 = node(dirs[1].path(), &["--join", &addr.to_string()]);
    // It joins before it serves: the snapshot arrives during its start.
    assert!(n2.startup_log.iter().any(|l| l.contains("installed a snapshot from the leader")));
    let nodes = [n1, n2];
    assert!(converged(&nodes), "views: {:?}", nodes.iter().map(view).collect::<Vec<_>>());
    assert_eq!(view(&nodes[1]).unwrap().map.members.len(), 2);
}

fn signal(server: &TestServer, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(server.pid()).unwrap();
    // SAFETY: sends a signal to a child process this test started.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

#[test]
fn a_paused_leader_does_not_act_on_what_it_missed() {
    let dirs = dirs();
    // Only node 1 would remove silent nodes, and soon: if it acted on its stale table when
    // it resumes, it would remove the two others.
    let n1 = node(dirs[0].path(), &["--cluster", "--node-gone-timeout", "1500"]);
    let join = n1.cluster.unwrap().to_string();
    let n2 = node(dirs[1].path(), &["--join", &join, "--node-gone-timeout", "0"]);
    let n3 = node(dirs[2].path(), &["--join", &join, "--node-gone-timeout", "0"]);
    let nodes = [n1, n2, n3];
    assert!(converged(&nodes));
    let ids: Vec<NodeId> = nodes.iter().map(|n| view(n).unwrap().node).collect();
    let epoch = view(&nodes[1]).unwrap().map.epoch;

    signal(&nodes[0], libc::SIGSTOP);
    let paused = Instant::now();
    // The others fail the paused primary over, and keep it (no node-gone timeout there).
    let failed_over = wait_until(Duration::from_secs(10), || {
        nodes[1..]
            .iter()
            .all(|n| view(n).is_some_and(|v| v.map.groups[&0].primary != ids[0] && v.map.epoch == epoch + 1))
    });
    // Paused past its own node-gone timeout (a duration the scenario needs, not a wait
    // for a result).
    std::thread::sleep(Duration::from_millis(2000).saturating_sub(paused.elapsed()));
    signal(&nodes[0], libc::SIGCONT);
    assert!(failed_over);
    // Paused past its node-gone timeout, it comes back, follows the new leader, and no
    // one was removed on its word.
    assert!(converged(&nodes), "views: {:?}", nodes.iter().map(view).collect::<Vec<_>>());
    let shrunk = wait_until(Duration::from_secs(1), || {
        nodes.iter().any(|n| view(n).is_some_and(|v| v.map.members.len() < 3 || v.map.epoch != epoch + 1))
    });
    assert!(!shrunk, "views: {:?}", nodes.iter().map(view).collect::<Vec<_>>());
}

/// A free loopback port (free when asked: a node started right after takes it).
fn free_port() -> String {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string()
}

#[test]
fn a_whole_cluster_restarted_on_its_cluster_ports_comes_back() {
    let dirs = dirs();
    let ports: Vec<String> = (0..3).map(|_| free_port()).collect();
    let start = |i: usize, extra: &[&str]| {
        let mut args = vec!["--cluster", "--metrics-port", "-1", "--cluster-port", &ports[i]];
        args.extend_from_slice(extra);
        TestServer::start_in(dirs[i].path(), &args)
    };
    let join = format!("127.0.0.1:{}", ports[0]);
    let mut nodes = vec![start(0, &[]), start(1, &["--join", &join]), start(2, &["--join", &join])];
    assert!(converged(&nodes));
    let before = view(&nodes[0]).unwrap();
    for n in &mut nodes {
        n.kill9();
    }
    drop(nodes);

    // Back on the same cluster ports (their RESP and gRPC ports are new): a leader is
    // elected, the map is the same but for the new addresses.
    let nodes = vec![start(0, &[]), start(1, &[]), start(2, &[])];
    assert!(converged(&nodes), "views: {:?}", nodes.iter().map(view).collect::<Vec<_>>());
    let after = view(&nodes[0]).unwrap();
    assert_eq!(shape(&after.map), shape(&before.map));
    assert_eq!(after.map.slots, before.map.slots);
    assert_eq!(after.map.members.keys().collect::<Vec<_>>(), before.map.members.keys().collect::<Vec<_>>());
}
