#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The cluster's data plane seen by clients: CLUSTER commands, redirections, replication
//! inside a shard group, WAIT, READONLY reads on replicas, manual failover.

mod common;

use std::time::Duration;

use common::{TestServer, fail, get, members, run, set, wait_until};

fn cluster_node(extra: &[&str]) -> TestServer {
    let mut args = vec!["--cluster", "--cluster-port", "0"];
    args.extend_from_slice(extra);
    TestServer::start_with(&args)
}

fn join(first: &TestServer, extra: &[&str]) -> TestServer {
    let bus = first.cluster.expect("the first node's cluster port").to_string();
    let mut args = vec!["--join", bus.as_str(), "--cluster-port", "0"];
    args.extend_from_slice(extra);
    TestServer::start_with(&args)
}

#[test]
fn cluster_commands_describe_a_one_node_cluster() {
    let node = cluster_node(&[]);
    let mut con = node.sync_conn();
    let info: String = run(&mut con, &["CLUSTER", "INFO"]);
    assert!(info.contains("cluster_state:ok\r\n"), "{info}");
    assert!(info.contains("cluster_slots_assigned:16384\r\n"), "{info}");
    assert!(info.contains("cluster_known_nodes:1\r\n"), "{info}");
    let id: String = run(&mut con, &["CLUSTER", "MYID"]);
    assert_eq!(id.len(), 40);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");

    let slots: redis::Value = run(&mut con, &["CLUSTER", "SLOTS"]);
    let expected = redis::Value::Array(vec![redis::Value::Array(vec![
        redis::Value::Int(0),
        redis::Value::Int(16383),
        redis::Value::Array(vec![
            redis::Value::BulkString(b"127.0.0.1".to_vec()),
            redis::Value::Int(i64::from(node.resp.port())),
            redis::Value::BulkString(id.clone().into_bytes()),
            redis::Value::Array(vec![]),
        ]),
    ])]);
    assert_eq!(slots, expected);
    let nodes: String = run(&mut con, &["CLUSTER", "NODES"]);
    assert!(nodes.starts_with(&format!("{id} 127.0.0.1:{}@", node.resp.port())), "{nodes}");
    assert!(nodes.contains(" myself,master - "), "{nodes}");
    assert!(nodes.trim_end().ends_with(" connected 0-16383"), "{nodes}");

    assert_eq!(run::<i64>(&mut con, &["CLUSTER", "KEYSLOT", "foo"]), 12182);
    assert_eq!(run::<i64>(&mut con, &["CLUSTER", "KEYSLOT", "{foo}bar"]), 12182);
    set(&mut con, "foo", "1");
    set(&mut con, "{foo}2", "2");
    assert_eq!(run::<i64>(&mut con, &["CLUSTER", "COUNTKEYSINSLOT", "12182"]), 2);
    let mut keys: Vec<String> = run(&mut con, &["CLUSTER", "GETKEYSINSLOT", "12182", "10"]);
    keys.sort();
    assert_eq!(keys, vec!["foo", "{foo}2"]);
    assert_eq!(run::<Vec<String>>(&mut con, &["CLUSTER", "GETKEYSINSLOT", "12182", "1"]).len(), 1);
    assert_eq!(fail(&mut con, &["CLUSTER", "COUNTKEYSINSLOT", "16384"]), "ERR Invalid slot");
    assert_eq!(fail(&mut con, &["CLUSTER", "GETKEYSINSLOT", "1", "-1"]), "ERR Invalid slot or number of keys");

    // Multi-key commands must stay in one slot; one database only.
    assert_eq!(fail(&mut con, &["MSET", "a", "1", "b", "2"]), "CROSSSLOT Keys in request don't hash to the same slot");
    assert_eq!(run::<String>(&mut con, &["MSET", "{a}1", "1", "{a}2", "2"]), "OK");
    assert_eq!(fail(&mut con, &["SELECT", "1"]), "ERR SELECT is not allowed in cluster mode");
    assert_eq!(run::<String>(&mut con, &["SELECT", "0"]), "OK");
    assert_eq!(fail(&mut con, &["SWAPDB", "0", "1"]), "ERR SWAPDB is not allowed in cluster mode");
    // A transaction whose commands span slots is refused at EXEC.
    run::<String>(&mut con, &["MULTI"]);
    run::<String>(&mut con, &["SET", "a", "1"]);
    run::<String>(&mut con, &["SET", "b", "1"]);
    assert_eq!(fail(&mut con, &["EXEC"]), "CROSSSLOT Keys in request don't hash to the same slot");
    assert_eq!(run::<String>(&mut con, &["READONLY"]), "OK");
    assert_eq!(run::<String>(&mut con, &["READWRITE"]), "OK");
    assert_eq!(run::<String>(&mut con, &["ASKING"]), "OK");
    assert_eq!(run::<String>(&mut con, &["GET", "foo"]), "1");
}

#[test]
fn a_standalone_node_has_cluster_support_disabled() {
    let node = TestServer::start();
    let mut con = node.sync_conn();
    for args in [
        &["CLUSTER", "INFO"][..],
        &["CLUSTER", "SLOTS"],
        &["CLUSTER", "KEYSLOT", "a"],
        &["CLUSTER", "HELP"],
        &["READONLY"],
        &["CLUSTER", "REPLICAS", "x"],
        &["CLUSTER", "SLAVES", "x"],
        &["CLUSTER", "COUNT-FAILURE-REPORTS", "x"],
        &["CLUSTER", "LINKS"],
        &["CLUSTER", "ADDSLOTS", "1"],
        &["CLUSTER", "MEET", "127.0.0.1", "1"],
        &["CLUSTER", "SETSLOT", "1", "STABLE"],
        &["CLUSTER", "SAVECONFIG"],
        &["CLUSTER", "BUMPEPOCH"],
    ] {
        assert_eq!(fail(&mut con, args), "ERR This instance has cluster support disabled", "{args:?}");
    }
    assert_eq!(run::<String>(&mut con, &["SELECT", "1"]), "OK");
    // No replicas: WAIT 0 answers at once, WAIT 1 after its timeout.
    assert_eq!(run::<i64>(&mut con, &["WAIT", "0", "0"]), 0);
    assert_eq!(run::<i64>(&mut con, &["WAIT", "1", "50"]), 0);
    assert_eq!(fail(&mut con, &["WAIT", "1", "-1"]), "ERR timeout is negative");
    let role: redis::Value = run(&mut con, &["ROLE"]);
    let redis::Value::Array(role) = role else { panic!("{role:?}") };
    assert_eq!(role[0], redis::Value::BulkString(b"master".to_vec()));
}

#[test]
fn replicas_follow_their_primary_and_serve_reads_on_request() {
    let primary = cluster_node(&["--replicas", "1"]);
    let mut con = primary.sync_conn();
    // Data written before the replicas exist reaches them by full sync.
    for i in 0..200 {
        set(&mut con, &format!("before:{i}"), &i.to_string());
    }
    let replica = join(&primary, &[]);
    let second = join(&primary, &[]);
    for node in [&primary, &replica, &second] {
        assert!(wait_until(Duration::from_secs(20), || members(node) == 3), "the map reaches every node");
    }
    for i in 0..200 {
        set(&mut con, &format!("after:{i}"), &i.to_string());
    }
    // Both replicas have applied every write: WAIT says so.
    assert_eq!(run::<i64>(&mut con, &["WAIT", "2", "10000"]), 2);
    let info: String = run(&mut con, &["INFO", "replication"]);
    assert!(info.contains("role:master\r\n"), "{info}");
    assert!(info.contains("connected_slaves:2\r\n"), "{info}");
    // Each new replica was served a full sync (a link that dropped and came back may have
    // resumed, or synced again).
    let stats: String = run(&mut con, &["INFO", "stats"]);
    let field = |name: &str| -> u64 {
        stats.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).and_then(|v| v.parse().ok()).unwrap()
    };
    assert!(field("sync_full") >= 2, "{stats}");

    let mut rcon = replica.sync_conn();
    let slot_owner = format!("127.0.0.1:{}", primary.resp.port());
    // Without READONLY a replica redirects to the primary, reads and writes alike.
    let moved = fail(&mut rcon, &["GET", "after:1"]);
    assert!(moved.starts_with("MOVED ") && moved.ends_with(&slot_owner), "{moved}");
    let moved = fail(&mut rcon, &["SET", "x", "1"]);
    assert!(moved.starts_with("MOVED ") && moved.ends_with(&slot_owner), "{moved}");
    assert_eq!(fail(&mut rcon, &["FLUSHALL"]), "READONLY You can't write against a read only replica.");
    run::<String>(&mut rcon, &["READONLY"]);
    for i in (0..200).step_by(17) {
        assert_eq!(get(&mut rcon, &format!("before:{i}")), Some(i.to_string()));
        assert_eq!(get(&mut rcon, &format!("after:{i}")), Some(i.to_string()));
    }
    // Writes still go to the primary.
    assert!(fail(&mut rcon, &["SET", "x", "1"]).starts_with("MOVED "));
    let info: String = run(&mut rcon, &["INFO", "replication"]);
    assert!(info.contains("role:slave\r\n"), "{info}");
    assert!(info.contains("master_link_status:up\r\n"), "{info}");
    assert!(info.contains(&format!("master_port:{}\r\n", primary.resp.port())), "{info}");
    assert_eq!(
        fail(&mut rcon, &["WAIT", "1", "0"]).split('.').next().unwrap(),
        "ERR WAIT cannot be used with replica instances"
    );

    // The Admin stream shows the same.
    let stats = |node: &TestServer| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let mut client = aegisr_proto::Client::connect(node.grpc_url()).await.unwrap();
            let mut stream = client.watch_stats(100).await.unwrap();
            stream.message().await.unwrap().unwrap()
        })
    };
    let (primary_stats, replica_stats) = (stats(&primary), stats(&replica));
    assert_eq!((primary_stats.role.as_str(), primary_stats.replicas.len()), ("master", 2));
    assert_eq!(replica_stats.role, "slave");
    assert!(replica_stats.master_link_up);
    assert!(primary_stats.persistence.starts_with("journal"), "{}", primary_stats.persistence);

    // Later writes, deletes and expiries stream too.
    run::<i64>(&mut con, &["DEL", "before:0"]);
    run::<String>(&mut con, &["SET", "ttl", "v", "PX", "100000"]);
    run::<i64>(&mut con, &["RPUSH", "list", "a", "b", "c"]);
    assert_eq!(run::<i64>(&mut con, &["WAIT", "2", "10000"]), 2);
    assert_eq!(get(&mut rcon, "before:0"), None);
    assert!(run::<i64>(&mut rcon, &["PTTL", "ttl"]) > 0);
    assert_eq!(run::<Vec<String>>(&mut rcon, &["LRANGE", "list", "0", "-1"]), vec!["a", "b", "c"]);

    // Past its deadline a key is gone for the replica's clients at once, but only the
    // primary's stream deletes it (by the primary's clock), so a PERSIST the replica has
    // not applied yet can never find the key already deleted there.
    run::<String>(&mut con, &["SET", "short", "v", "PX", "50"]);
    assert_eq!(run::<i64>(&mut con, &["WAIT", "2", "10000"]), 2);
    let with_short: i64 = run(&mut rcon, &["DBSIZE"]);
    assert!(wait_until(Duration::from_secs(10), || get(&mut rcon, "short").is_none()));
    assert_eq!(run::<i64>(&mut rcon, &["EXISTS", "short"]), 0);
    assert_eq!(run::<i64>(&mut rcon, &["PTTL", "short"]), -2);
    // The replica's reads delete nothing; the primary's own active expiry may have
    // deleted the key meanwhile (its DEL is streamed), and only then may it be gone.
    let after_reads: i64 = run(&mut rcon, &["DBSIZE"]);
    let mut primary_expired = || {
        let stats: String = run(&mut con, &["INFO", "stats"]);
        stats.lines().find_map(|l| l.strip_prefix("expired_keys:")).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
    };
    assert!(
        after_reads == with_short || (after_reads == with_short - 1 && primary_expired() >= 1),
        "a replica's reads delete nothing: {after_reads} keys, {with_short} before"
    );
    // The next record the replica applies runs on a primary clock past the deadline.
    set(&mut con, "after:0", "again");
    assert_eq!(run::<i64>(&mut con, &["WAIT", "2", "10000"]), 2);
    assert!(wait_until(Duration::from_secs(10), || run::<i64>(&mut rcon, &["DBSIZE"]) == with_short - 1));
}

#[test]
fn manual_failover_hands_over_without_losing_writes() {
    let primary = cluster_node(&["--replicas", "1"]);
    let replica = join(&primary, &[]);
    for node in [&primary, &replica] {
        assert!(wait_until(Duration::from_secs(20), || members(node) == 2));
    }
    let mut con = primary.sync_conn();
    for i in 0..100 {
        set(&mut con, &format!("k{i}"), &i.to_string());
    }
    let mut rcon = replica.sync_conn();
    // A client blocked on the old primary is redirected when its slot moves away.
    let mut blocked = primary.raw();
    blocked.command(&[b"BLPOP", b"queue", b"0"]);
    assert!(wait_until(Duration::from_secs(10), || {
        run::<String>(&mut con, &["INFO", "clients"]).contains("blocked_clients:1\r\n")
    }));
    assert_eq!(fail(&mut con, &["CLUSTER", "FAILOVER"]), "ERR You should send CLUSTER FAILOVER to a replica");
    assert_eq!(run::<String>(&mut rcon, &["CLUSTER", "FAILOVER"]), "OK");
    let failover = std::time::Instant::now();
    let new_owner = format!("127.0.0.1:{}", replica.resp.port());
    assert!(
        wait_until(Duration::from_secs(15), || {
            let reply = redis::cmd("SET").arg("probe").arg("1").query::<String>(&mut con);
            matches!(reply, Err(e) if e.to_string().contains(&new_owner))
        }),
        "the old primary redirects writes to the new one"
    );
    // Writes held for the handoff go on (redirected) once the replica has taken over, not
    // when the 5 s hold runs out.
    assert!(failover.elapsed() < Duration::from_secs(4), "redirected after {} ms", failover.elapsed().as_millis());
    // Each node applies the promotion on its own: the new primary may route by it a
    // moment after the old one (until then it redirects to the old one).
    assert!(wait_until(Duration::from_secs(15), || {
        redis::cmd("GET").arg("k0").query::<Option<String>>(&mut rcon).is_ok()
    }));
    for i in 0..100 {
        assert_eq!(get(&mut rcon, &format!("k{i}")), Some(i.to_string()));
    }
    let redirected = blocked.read_line();
    assert!(redirected.starts_with("-MOVED ") && redirected.trim_end().ends_with(&new_owner), "{redirected}");
    set(&mut rcon, "written-on-the-new-primary", "yes");
    let role: redis::Value = run(&mut rcon, &["ROLE"]);
    let redis::Value::Array(role) = role else { panic!("{role:?}") };
    assert_eq!(role[0], redis::Value::BulkString(b"master".to_vec()));
    // The old primary follows the new one.
    run::<String>(&mut con, &["READONLY"]);
    assert!(wait_until(Duration::from_secs(15), || {
        get(&mut con, "written-on-the-new-primary").as_deref() == Some("yes")
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_group_takes_half_the_slots_while_a_cluster_client_keeps_working() {
    let first = cluster_node(&["--replicas", "0"]);
    let client = redis::cluster::ClusterClient::new(vec![first.url()]).unwrap();
    let mut cluster = client.get_async_connection().await.unwrap();
    for i in 0..2000 {
        let _: () = redis::cmd("SET").arg(format!("key:{i}")).arg(i).query_async(&mut cluster).await.unwrap();
    }
    // Writes keep flowing during the move; only redirections may be seen by the client,
    // which follows them.
    let writer = {
        let mut cluster = client.get_async_connection().await.unwrap();
        tokio::spawn(async move {
            let mut errors = Vec::new();
            for i in 0..3000 {
                let result: redis::RedisResult<()> =
                    redis::cmd("SET").arg(format!("live:{i}")).arg(i).query_async(&mut cluster).await;
                if let Err(e) = result {
                    errors.push(e.to_string());
                }
            }
            errors
        })
    };
    let second = tokio::task::spawn_blocking({
        let bus = first.cluster.unwrap().to_string();
        move || TestServer::start_with(&["--join", bus.as_str(), "--cluster-port", "0", "--replicas", "0"])
    })
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let halves = || {
        let slots: Vec<(i64, i64, Vec<redis::Value>)> = run(&mut first.sync_conn(), &["CLUSTER", "SLOTS"]);
        let owned_by = |port: u16| -> i64 {
            slots
                .iter()
                // The primary's entry: [ip, port, id, metadata].
                .filter(|(_, _, primary)| primary.get(1) == Some(&redis::Value::Int(i64::from(port))))
                .map(|(start, end, _)| end - start + 1)
                .sum()
        };
        owned_by(first.resp.port()) == 8192 && owned_by(second.resp.port()) == 8192
    };
    assert!(tokio::task::block_in_place(|| wait_until(Duration::from_secs(120), halves)), "the slots are split evenly");
    let moved_in = started.elapsed();
    let errors = writer.await.unwrap();
    assert!(errors.is_empty(), "the cluster client saw errors: {:?}", &errors[..errors.len().min(5)]);
    // Every key is on exactly one node, with its value.
    let keys_on = |node: &TestServer| -> i64 { run(&mut node.sync_conn(), &["DBSIZE"]) };
    assert_eq!(keys_on(&first) + keys_on(&second), 5000);
    assert!(keys_on(&second) > 1000, "about half the keys moved");
    for i in (0..2000).step_by(7) {
        let value: i64 = redis::cmd("GET").arg(format!("key:{i}")).query_async(&mut cluster).await.unwrap();
        assert_eq!(value, i);
    }
    for i in (0..3000).step_by(11) {
        let value: i64 = redis::cmd("GET").arg(format!("live:{i}")).query_async(&mut cluster).await.unwrap();
        assert_eq!(value, i);
    }
    println!("moved 8192 slots in {:.2} s", moved_in.as_secs_f64());
}

/// Reads a pushed `[kind, channel, message]` from a subscriber's raw connection.
fn read_message(sub: &mut common::RawConn) -> (String, String, String) {
    assert_eq!(sub.read_line(), "*3\r\n");
    let mut field = || {
        let line = sub.read_line();
        match line.strip_prefix(':') {
            // The subscription count is an integer.
            Some(count) => count.trim_end().to_owned(),
            None => sub.read_line().trim_end().to_owned(),
        }
    };
    (field(), field(), field())
}

#[test]
fn messages_published_on_one_node_reach_subscribers_on_the_others() {
    let primary = cluster_node(&["--replicas", "1"]);
    let replica = join(&primary, &[]);
    let other = join(&primary, &[]);
    for node in [&primary, &replica, &other] {
        assert!(wait_until(Duration::from_secs(20), || members(node) == 3));
    }
    let mut sub_con = other.sync_conn();
    let mut sub = sub_con.as_pubsub();
    sub.subscribe("news").unwrap();
    sub.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    // A shard channel is served by every node of its slot's group, replicas included.
    let mut shard_sub = replica.raw();
    shard_sub.command(&[b"SSUBSCRIBE", b"orders"]);
    assert_eq!(read_message(&mut shard_sub), ("ssubscribe".into(), "orders".into(), "1".into()));

    let mut con = primary.sync_conn();
    // The first messages may go out before a node's links to its peers are up: publish
    // until one arrives, then the following ones arrive in order.
    let mut sent = 0;
    let first = loop {
        sent += 1;
        assert!(sent < 200, "no message crossed the cluster");
        // The reply counts this node's receivers only, as Redis Cluster does.
        assert_eq!(run::<i64>(&mut con, &["PUBLISH", "news", &format!("m{sent}")]), 0);
        if let Ok(message) = sub.get_message() {
            break message.get_payload::<String>().unwrap();
        }
    };
    let first: u32 = first.trim_start_matches('m').parse().unwrap();
    sub.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for n in first + 1..=sent {
        assert_eq!(sub.get_message().unwrap().get_payload::<String>().unwrap(), format!("m{n}"));
    }
    run::<i64>(&mut con, &["PUBLISH", "news", "last"]);
    let last = sub.get_message().unwrap();
    assert_eq!((last.get_channel_name(), last.get_payload::<String>().unwrap().as_str()), ("news", "last"));

    run::<i64>(&mut con, &["SPUBLISH", "orders", "o1"]);
    assert_eq!(read_message(&mut shard_sub), ("smessage".into(), "orders".into(), "o1".into()));
}

#[test]
fn replicas_links_and_the_subcommands_the_control_plane_owns() {
    let primary = cluster_node(&["--replicas", "1"]);
    let replica = join(&primary, &[]);
    for node in [&primary, &replica] {
        assert!(wait_until(Duration::from_secs(20), || members(node) == 2), "the map reaches every node");
    }
    let mut con = primary.sync_conn();
    let mut rcon = replica.sync_conn();
    let primary_id: String = run(&mut con, &["CLUSTER", "MYID"]);
    let replica_id: String = run(&mut rcon, &["CLUSTER", "MYID"]);
    assert!(wait_until(Duration::from_secs(20), || {
        run::<String>(&mut con, &["CLUSTER", "NODES"]).contains(&format!(" slave {primary_id} "))
    }));

    // REPLICAS and SLAVES: the replica's CLUSTER NODES line, without its newline.
    let nodes: String = run(&mut con, &["CLUSTER", "NODES"]);
    let line = nodes.lines().find(|l| l.starts_with(&replica_id)).unwrap().to_owned();
    for sub in ["REPLICAS", "SLAVES"] {
        assert_eq!(run::<Vec<String>>(&mut con, &["CLUSTER", sub, &primary_id]), std::slice::from_ref(&line));
        assert_eq!(fail(&mut con, &["CLUSTER", sub, &replica_id]), "ERR The specified node is not a master");
        assert_eq!(fail(&mut con, &["CLUSTER", sub, "nosuch"]), "ERR Unknown node nosuch");
    }
    assert_eq!(run::<i64>(&mut con, &["CLUSTER", "COUNT-FAILURE-REPORTS", &replica_id]), 0);
    assert_eq!(run::<i64>(&mut rcon, &["CLUSTER", "COUNT-FAILURE-REPORTS", &primary_id]), 0);
    assert_eq!(fail(&mut con, &["CLUSTER", "COUNT-FAILURE-REPORTS", "nosuch"]), "ERR Unknown node nosuch");

    // LINKS: the replica heartbeats the leader (the primary, which bootstrapped), so it holds a
    // link to it, in Redis 7's shape.
    let links = |con: &mut redis::Connection| -> Vec<Vec<(String, redis::Value)>> {
        let links: Vec<redis::Value> = run(con, &["CLUSTER", "LINKS"]);
        links
            .into_iter()
            .map(|link| {
                let redis::Value::Array(fields) = link else { panic!("{link:?}") };
                fields.chunks(2).map(|kv| (redis::from_redis_value(kv[0].clone()).unwrap(), kv[1].clone())).collect()
            })
            .collect()
    };
    assert!(wait_until(Duration::from_secs(20), || !links(&mut rcon).is_empty()));
    let link = links(&mut rcon).remove(0);
    let names: Vec<&str> = link.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["direction", "node", "create-time", "events", "send-buffer-allocated", "send-buffer-used"]);
    assert_eq!(link[0].1, redis::Value::BulkString(b"to".to_vec()));
    assert_eq!(link[1].1, redis::Value::BulkString(primary_id.clone().into_bytes()));
    let redis::Value::Int(created) = link[2].1 else { panic!("{link:?}") };
    assert!(created > 0 && created <= common::now_ms(), "{created}");

    // The state is durable already; the epoch is the control plane's.
    assert_eq!(run::<String>(&mut con, &["CLUSTER", "SAVECONFIG"]), "OK");
    let info: String = run(&mut con, &["CLUSTER", "INFO"]);
    let epoch = info.lines().find_map(|l| l.strip_prefix("cluster_current_epoch:")).unwrap().trim().to_owned();
    assert_eq!(run::<String>(&mut con, &["CLUSTER", "BUMPEPOCH"]), format!("STILL {epoch}"));

    // Slots and membership are the control plane's: each refusal names what to use.
    for (args, hint) in [
        (&["ADDSLOTS", "1"][..], "aegisr-cli cluster rebalance"),
        (&["ADDSLOTSRANGE", "1", "2"], "aegisr-cli cluster slots"),
        (&["DELSLOTS", "1"], "aegisr-cli cluster rebalance"),
        (&["DELSLOTSRANGE", "1", "2"], "aegisr-cli cluster rebalance"),
        (&["FLUSHSLOTS"], "aegisr-cli cluster rebalance"),
        (&["SETSLOT", "1", "STABLE"], "aegisr-cli cluster rebalance"),
        (&["MEET", "127.0.0.1", "7000"], "aegisr-server --join"),
        (&["FORGET", &replica_id], "aegisr-cli cluster remove-node"),
        (&["RESET", "HARD"], "aegisr-cli cluster remove-node"),
        (&["REPLICATE", &primary_id], "aegisr-cli cluster failover"),
        (&["SET-CONFIG-EPOCH", "5"], "aegisr-cli cluster status"),
    ] {
        let mut full = vec!["CLUSTER"];
        full.extend_from_slice(args);
        let error = fail(&mut con, &full);
        let expected = format!("ERR CLUSTER {} is not supported by Aegisr: ", args[0]);
        assert!(error.starts_with(&expected) && error.contains(hint), "{args:?}: {error}");
    }
    // Nothing changed.
    assert_eq!(run::<Vec<String>>(&mut con, &["CLUSTER", "REPLICAS", &primary_id]).len(), 1);
}
