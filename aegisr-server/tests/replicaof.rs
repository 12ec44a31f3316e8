//! REPLICAOF / SLAVEOF: a standalone node follows a Redis master (a real redis-server
//! here) until REPLICAOF NO ONE; a cluster node refuses it (Aegisr's own replicas are
//! placed by the cluster).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{RealRedis, TestServer, fail, get, run, set, wait_until};

fn info_field(con: &mut redis::Connection, field: &str) -> String {
    let section = match field {
        _ if field.starts_with("loading") => "persistence",
        _ if field.starts_with("sync_") => "stats",
        _ => "replication",
    };
    let info: String = run(con, &["INFO", section]);
    info.lines().find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_owned)).unwrap_or_default()
}

/// A Redis master (`--repl-diskless-sync-delay 0` and `master_args`) and a node
/// (`node_args`) following it, the link up; with a connection to each.
fn following(
    master_args: &[&str],
    node_args: &[&str],
) -> (RealRedis, redis::Connection, TestServer, redis::Connection) {
    let master = RealRedis::start(&[&["--repl-diskless-sync-delay", "0"], master_args].concat());
    let m = master.conn();
    let server = TestServer::start_with(node_args);
    let mut c = server.sync_conn();
    assert_eq!(run::<String>(&mut c, &["REPLICAOF", "127.0.0.1", &master.port.to_string()]), "OK");
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut c, "master_link_status") == "up"));
    (master, m, server, c)
}

#[test]
fn a_standalone_node_follows_a_redis_master_until_no_one() {
    // No 5 s wait for more replicas before the master sends its file.
    let master = RealRedis::start(&["--repl-diskless-sync-delay", "0"]);
    let mut m = master.conn();
    set(&mut m, "s", "1");
    let _: i64 = run(&mut m, &["RPUSH", "l", "a", "b", "c"]);
    let _: i64 = run(&mut m, &["HSET", "h", "f", "v"]);
    let _: i64 = run(&mut m, &["ZADD", "z", "1.5", "m"]);
    let _: () = run(&mut m, &["SET", "ttl", "v", "EX", "1000"]);
    let _: () = run(&mut m, &["SELECT", "2"]);
    set(&mut m, "in2", "x");
    let _: () = run(&mut m, &["SELECT", "0"]);
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), &[]);
    let mut c = server.sync_conn();
    set(&mut c, "mine", "dropped by the full sync");
    assert_eq!(run::<String>(&mut c, &["REPLICAOF", "127.0.0.1", &master.port.to_string()]), "OK");
    assert_eq!(
        run::<String>(&mut c, &["REPLICAOF", "127.0.0.1", &master.port.to_string()]),
        "OK Already connected to specified master"
    );
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut c, "master_link_status") == "up"));
    assert_eq!(info_field(&mut c, "role"), "slave");
    assert_eq!(info_field(&mut c, "master_port"), master.port.to_string());
    // The master's dataset replaced the node's.
    assert_eq!(get(&mut c, "mine"), None);
    assert_eq!(get(&mut c, "s").as_deref(), Some("1"));
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "l", "0", "-1"]), ["a", "b", "c"]);
    assert_eq!(run::<Option<String>>(&mut c, &["HGET", "h", "f"]).as_deref(), Some("v"));
    assert_eq!(run::<Option<String>>(&mut c, &["ZSCORE", "z", "m"]).as_deref(), Some("1.5"));
    assert!(run::<i64>(&mut c, &["TTL", "ttl"]) > 900);
    let _: () = run(&mut c, &["SELECT", "2"]);
    assert_eq!(get(&mut c, "in2").as_deref(), Some("x"));
    let _: () = run(&mut c, &["SELECT", "0"]);
    // Then every write, transactions and other databases included.
    let _: i64 = run(&mut m, &["INCR", "s"]);
    let _: Vec<String> = run(&mut m, &["LPOP", "l", "2"]);
    let _: (i64, i64) = redis::pipe().atomic().cmd("INCR").arg("t1").cmd("INCR").arg("t2").query(&mut m).unwrap();
    let _: i64 = run(&mut m, &["DEL", "h"]);
    let _: () = run(&mut m, &["SELECT", "2"]);
    set(&mut m, "in2", "y");
    let _: () = run(&mut m, &["SELECT", "0"]);
    set(&mut m, "last", "1");
    assert!(wait_until(Duration::from_secs(10), || get(&mut c, "last").is_some()));
    assert_eq!(get(&mut c, "s").as_deref(), Some("2"));
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "l", "0", "-1"]), ["c"]);
    assert_eq!(
        run::<Vec<Option<String>>>(&mut c, &["MGET", "t1", "t2", "h"]),
        [Some("1".into()), Some("1".into()), None]
    );
    let _: () = run(&mut c, &["SELECT", "2"]);
    assert_eq!(get(&mut c, "in2").as_deref(), Some("y"));
    let _: () = run(&mut c, &["SELECT", "0"]);
    // A broken link continues where it was (PSYNC replid offset, +CONTINUE): no new file.
    let killed: i64 = run(&mut m, &["CLIENT", "KILL", "TYPE", "replica"]);
    assert_eq!(killed, 1);
    let _: i64 = run(&mut m, &["INCR", "s"]);
    set(&mut m, "after break", "1");
    assert!(wait_until(Duration::from_secs(10), || get(&mut c, "after break").is_some()));
    assert_eq!(get(&mut c, "s").as_deref(), Some("3"));
    let stats: String = run(&mut m, &["INFO", "stats"]);
    assert!(stats.contains("sync_full:1\r\n") && stats.contains("sync_partial_ok:1\r\n"), "{stats}");
    assert_eq!(info_field(&mut c, "master_sync_total_syncs"), "1");
    // The master's client is listed (flag M), and killing it breaks the link, which
    // continues again.
    let masters: String = run(&mut c, &["CLIENT", "LIST", "TYPE", "master"]);
    assert_eq!(masters.lines().count(), 1, "{masters}");
    assert!(masters.contains(" flags=M "), "{masters}");
    assert_eq!(run::<i64>(&mut c, &["CLIENT", "KILL", "TYPE", "master"]), 1);
    let stats = || run::<String>(&mut master.conn(), &["INFO", "stats"]);
    assert!(wait_until(Duration::from_secs(10), || stats().contains("sync_partial_ok:2\r\n")), "{}", stats());
    assert!(stats().contains("sync_full:1\r\n"));
    set(&mut m, "after kill", "1");
    assert!(wait_until(Duration::from_secs(10), || get(&mut c, "after kill").is_some()));
    // Its clients read but do not write, as on a Redis replica.
    assert_eq!(fail(&mut c, &["SET", "k", "v"]), "READONLY You can't write against a read only replica.");
    assert_eq!(fail(&mut c, &["FLUSHALL"]), "READONLY You can't write against a read only replica.");
    let role: Vec<redis::Value> = run(&mut c, &["ROLE"]);
    assert_eq!(role[0], redis::Value::BulkString(b"slave".to_vec()));
    assert_eq!(role[3], redis::Value::BulkString(b"connected".to_vec()));
    // The master sees it acknowledge what it applied.
    let master_offset = || info_field(&mut master.conn(), "master_repl_offset");
    assert!(wait_until(Duration::from_secs(10), || {
        let line = info_field(&mut master.conn(), "slave0");
        line.contains(&format!("offset={},", master_offset()))
    }));
    assert_eq!(run::<i64>(&mut m, &["WAIT", "1", "5000"]), 1);
    // NO ONE: a primary again, with the data it has.
    assert_eq!(run::<String>(&mut c, &["REPLICAOF", "NO", "ONE"]), "OK");
    assert_eq!(info_field(&mut c, "role"), "master");
    set(&mut c, "k", "mine now");
    set(&mut m, "after", "1");
    set(&mut c, "marker", "1");
    assert_eq!(get(&mut c, "after"), None);
    assert_eq!(get(&mut c, "s").as_deref(), Some("3"));
    // What it received is in its journal: a restart keeps it.
    drop(c);
    let mut server = server;
    server.kill9();
    let server = TestServer::start_in(dir.path(), &["--appendfsync", "always"]);
    let mut c = server.sync_conn();
    assert_eq!(get(&mut c, "s").as_deref(), Some("3"));
}

#[test]
fn a_node_with_an_unreachable_master_serves_reads_and_refuses_writes() {
    let server = TestServer::start_with(&["--persistence", "none"]);
    let mut c = server.sync_conn();
    set(&mut c, "k", "v");
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for command in ["REPLICAOF", "SLAVEOF"] {
        assert_eq!(fail(&mut c, &[command, "127.0.0.1", "port"]), "ERR Invalid master port");
        assert_eq!(fail(&mut c, &[command, "127.0.0.1", "65536"]), "ERR Invalid master port");
        assert_eq!(fail(&mut c, &[command, "no", "two"]), "ERR Invalid master port");
        assert!(fail(&mut c, &[command, "NO"]).contains("wrong number of arguments"));
        assert_eq!(run::<String>(&mut c, &[command, "127.0.0.1", &port.to_string()]), "OK");
        assert_eq!(info_field(&mut c, "role"), "slave");
        assert_eq!(info_field(&mut c, "master_link_status"), "down");
        // No replica of its own can sync until the link is up, as in Redis.
        for sync in [&["PSYNC", "?", "-1"][..], &["SYNC"]] {
            assert_eq!(fail(&mut c, sync), "NOMASTERLINK Can't SYNC while not connected with my master");
        }
        assert_eq!(get(&mut c, "k").as_deref(), Some("v"));
        assert_eq!(fail(&mut c, &["SET", "k", "w"]), "READONLY You can't write against a read only replica.");
        // Queued in a transaction, as Redis: refused, and EXEC discards the transaction.
        let _: () = run(&mut c, &["MULTI"]);
        assert_eq!(fail(&mut c, &["SET", "k", "w"]), "READONLY You can't write against a read only replica.");
        assert!(fail(&mut c, &["EXEC"]).starts_with("EXECABORT"), "EXEC");
        // replica-serve-stale-data no: while the link is down only `stale` commands run.
        let _: () = run(&mut c, &["CONFIG", "SET", "replica-serve-stale-data", "no"]);
        let masterdown = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
        assert_eq!(fail(&mut c, &["GET", "k"]), masterdown);
        assert_eq!(info_field(&mut c, "role"), "slave");
        // PING has no `stale` flag in Redis either; MULTI has.
        let _: () = run(&mut c, &["MULTI"]);
        assert_eq!(fail(&mut c, &["PING"]), masterdown);
        assert!(fail(&mut c, &["EXEC"]).starts_with("EXECABORT"));
        let _: () = run(&mut c, &["CONFIG", "SET", "replica-serve-stale-data", "yes"]);
        // replica-read-only no lets clients write (INFO's slave_read_only says which).
        assert_eq!(info_field(&mut c, "slave_read_only"), "1");
        let _: () = run(&mut c, &["CONFIG", "SET", "replica-read-only", "no"]);
        assert_eq!(info_field(&mut c, "slave_read_only"), "0");
        set(&mut c, "k2", "local");
        let _: () = run(&mut c, &["CONFIG", "SET", "replica-read-only", "yes"]);
        assert_eq!(run::<String>(&mut c, &[command, "NO", "ONE"]), "OK");
        assert_eq!(info_field(&mut c, "role"), "master");
        set(&mut c, "k", "v");
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

/// Accepts the node's link on `listener`, answers its handshake (PING, two REPLCONF, PSYNC
/// with +FULLRESYNC) and sends `file` as the master's RDB file. Returns the connection, a
/// reader of it that has read nothing past the handshake, and the commands it answered.
fn answer_handshake(
    listener: std::net::TcpListener,
    file: &[u8],
) -> (std::net::TcpStream, std::io::BufReader<std::net::TcpStream>, usize) {
    use std::io::{BufRead, Write};
    let (stream, _) = listener.accept().unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    let mut commands = 0;
    let mut line = String::new();
    // PING, two REPLCONF, PSYNC: each a RESP array; answer at each array's end.
    while commands < 4 {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let Some(count) = line.trim_end().strip_prefix('*').and_then(|n| n.parse::<usize>().ok()) else { continue };
        let mut args = Vec::new();
        for _ in 0..count {
            line.clear();
            reader.read_line(&mut line).unwrap();
            line.clear();
            reader.read_line(&mut line).unwrap();
            args.push(line.trim_end().to_ascii_uppercase());
        }
        commands += 1;
        let reply: &[u8] = match args[0].as_str() {
            "PING" => b"+PONG\r\n",
            "PSYNC" => b"+FULLRESYNC 0123456789012345678901234567890123456789 0\r\n",
            _ => b"+OK\r\n",
        };
        out.write_all(reply).unwrap();
    }
    out.write_all(format!("${}\r\n", file.len()).as_bytes()).unwrap();
    out.write_all(file).unwrap();
    (out, reader, commands)
}

/// A "master" that answers the handshake, then sends `file` as its RDB file.
fn fake_master(file: &'static [u8]) -> (u16, std::thread::JoinHandle<usize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let serve = std::thread::spawn(move || {
        let (_out, mut reader, commands) = answer_handshake(listener, file);
        // Held open until the node gives up on it.
        let mut rest = Vec::new();
        let _ = std::io::Read::read_to_end(&mut reader, &mut rest);
        commands
    });
    (port, serve)
}

#[test]
fn a_master_sending_a_damaged_file_leaves_the_node_serving() {
    let server = TestServer::start_with(&["--persistence", "none"]);
    let mut c = server.sync_conn();
    let (port, master) = fake_master(b"REDIS0010\xff not an RDB file at all");
    assert_eq!(run::<String>(&mut c, &["REPLICAOF", "127.0.0.1", &port.to_string()]), "OK");
    // The node read the whole handshake, then refused the file and closed the link.
    assert_eq!(master.join().unwrap(), 4);
    assert_eq!(info_field(&mut c, "master_link_status"), "down");
    assert_eq!(run::<String>(&mut c, &["PING"]), "PONG");
    assert_eq!(run::<i64>(&mut c, &["DBSIZE"]), 0);
    assert_eq!(run::<String>(&mut c, &["REPLICAOF", "NO", "ONE"]), "OK");
    set(&mut c, "k", "v");
}

#[test]
fn replicaof_at_start_follows_the_master_from_the_first_moment() {
    let master = RealRedis::start(&["--repl-diskless-sync-delay", "0"]);
    let mut m = master.conn();
    set(&mut m, "k", "from the master");
    let follow = format!("127.0.0.1 {}", master.port);
    let server = TestServer::start_with(&["--persistence", "none", "--replicaof", &follow]);
    let mut c = server.sync_conn();
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut c, "master_link_status") == "up"));
    assert_eq!(get(&mut c, "k").as_deref(), Some("from the master"));
    assert_eq!(fail(&mut c, &["SET", "k", "v"]), "READONLY You can't write against a read only replica.");
    assert_eq!(run::<Vec<String>>(&mut c, &["CONFIG", "GET", "replicaof"]), ["replicaof", &follow]);
    // A value that is not "<host> <port>" stops the start with the reason.
    let dir = tempfile::tempdir().unwrap();
    for bad in ["nohost", "127.0.0.1 port", "127.0.0.1 70000", "a b c"] {
        let (status, output) = TestServer::start_failing(dir.path(), &["--replicaof", bad]);
        assert!(!status.success());
        assert!(output.contains("option 'replicaof' wants \"<host> <port>\""), "{output}");
    }
    let (status, output) = TestServer::start_failing(dir.path(), &["--replicaof", &follow, "--cluster"]);
    assert!(!status.success());
    assert!(output.contains("for standalone nodes"), "{output}");
}

#[test]
fn a_full_sync_is_on_disk_once_the_link_is_up() {
    // Enough keys that a snapshot written in the background after the load would still be
    // running when the node is killed.
    let master = RealRedis::start(&["--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes"]);
    let mut m = master.conn();
    let _: () = run(&mut m, &["DEBUG", "POPULATE", "200000"]);
    set(&mut m, "k", "from the master");
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start_in(dir.path(), &["--appendfsync", "always"]);
    let mut c = server.sync_conn();
    set(&mut c, "mine", "replaced by the master's data");
    let _: String = run(&mut c, &["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut c, "master_link_status") == "up"));
    // Killed at once: the snapshot written after the load holds the master's data.
    drop(c);
    server.kill9();
    let server = TestServer::start_in(dir.path(), &[]);
    let mut c = server.sync_conn();
    assert_eq!(get(&mut c, "mine"), None);
    assert_eq!(get(&mut c, "k").as_deref(), Some("from the master"));
    assert_eq!(run::<i64>(&mut c, &["DBSIZE"]), 200_001);
}

/// While the master's file is loaded in place of the data, the node says so (INFO's
/// `loading:1`) and answers commands without the `loading` flag with LOADING, as Redis
/// does; INFO and CONFIG keep working. Redis's `key-load-delay` hook stretches the load.
#[test]
fn clients_get_loading_while_the_masters_file_is_loaded() {
    let master = RealRedis::start(&["--repl-diskless-sync-delay", "0", "--enable-debug-command", "local"]);
    let mut m = master.conn();
    let _: () = run(&mut m, &["DEBUG", "POPULATE", "5000", "key"]);
    let server = TestServer::start_with(&["--persistence", "none"]);
    let mut c = server.sync_conn();
    set(&mut c, "mine", "v");
    // 1 ms per key: 5 s of loading unless the test ends it sooner.
    let _: () = run(&mut c, &["CONFIG", "SET", "key-load-delay", "1000"]);
    assert_eq!(run::<String>(&mut c, &["REPLICAOF", "127.0.0.1", &master.port.to_string()]), "OK");
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut c, "loading") == "1"));
    let loading = "LOADING Redis is loading the dataset in memory";
    assert_eq!(fail(&mut c, &["GET", "key:1"]), loading);
    assert_eq!(fail(&mut c, &["DBSIZE"]), loading);
    assert_eq!(fail(&mut c, &["PING"]), loading);
    let info: String = run(&mut c, &["INFO", "persistence"]);
    assert!(info.contains("loading_start_time:"), "{info}");
    assert!(info.contains("loading_total_bytes:"), "{info}");
    // The sync is in progress until the file is loaded, all of it received by then. Redis
    // 7.0 sends it diskless by default, with an end mark: its size is not told (-1).
    assert_eq!(info_field(&mut c, "master_sync_in_progress"), "1");
    assert_eq!(info_field(&mut c, "master_sync_total_bytes"), "-1");
    let read: i64 = info_field(&mut c, "master_sync_read_bytes").parse().unwrap();
    assert!(read > 5000 * 10, "{read}");
    assert_eq!(info_field(&mut c, "master_sync_left_bytes"), (-1 - read).to_string());
    // A transaction queues nothing refused this way: EXEC then aborts.
    let _: () = run(&mut c, &["MULTI"]);
    assert_eq!(fail(&mut c, &["GET", "key:1"]), loading);
    assert!(fail(&mut c, &["EXEC"]).starts_with("EXECABORT"));
    let _: () = run(&mut c, &["CONFIG", "SET", "key-load-delay", "0"]);
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut c, "master_link_status") == "up"));
    assert_eq!(info_field(&mut c, "loading"), "0");
    assert_eq!(info_field(&mut c, "master_sync_in_progress"), "0");
    assert_eq!(info_field(&mut c, "master_sync_total_bytes"), "");
    assert_eq!(run::<i64>(&mut c, &["DBSIZE"]), 5000);
    assert_eq!(get(&mut c, "mine"), None);
    assert_eq!(get(&mut c, "key:1").as_deref(), Some("value:1"));
}

#[test]
fn a_redis_replica_of_the_node_follows_what_the_nodes_master_sends() {
    // Chained: a Redis master, this node following it, a Redis replica following the node.
    let (_master, mut m, server, mut c) = following(&["--enable-debug-command", "yes"], &[]);
    set(&mut m, "before", "1");
    let replica = RealRedis::start(&["--repl-diskless-sync-delay", "0"]);
    let mut r = replica.conn();
    let _: String = run(&mut r, &["REPLICAOF", "127.0.0.1", &server.resp.port().to_string()]);
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut r, "master_link_status") == "up"));
    assert_eq!(get(&mut r, "before").as_deref(), Some("1"));
    assert_eq!(info_field(&mut c, "connected_slaves"), "1");
    assert_eq!(info_field(&mut c, "role"), "slave");
    // The master's writes reach it through the node.
    set(&mut m, "through", "the node");
    let _: i64 = run(&mut m, &["RPUSH", "list", "a", "b"]);
    // (The replica applies each write as it arrives: the last one is waited for.)
    assert!(wait_until(Duration::from_secs(20), || run::<Vec<String>>(&mut r, &["LRANGE", "list", "0", "-1"])
        == ["a", "b"]));
    assert_eq!(get(&mut r, "through").as_deref(), Some("the node"));
    assert_eq!(info_field(&mut c, "sync_full"), "1");
    // Replication traffic is counted apart from the clients', both ways.
    let stats: String = run(&mut c, &["INFO", "stats"]);
    let counted = |name: &str| {
        stats.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).and_then(|v| v.parse::<u64>().ok())
    };
    assert!(counted("total_net_repl_input_bytes") > Some(0), "{stats}");
    assert!(counted("total_net_repl_output_bytes") > Some(0), "{stats}");
    // The master's next file (its replication id changed, so the node cannot continue)
    // replaces the node's data, which no write of the node's stream carries: the chained
    // replica is sent the new data whole. The write made while the node is away is only
    // in that file.
    let _: String = run(&mut m, &["DEBUG", "CHANGE-REPL-ID"]);
    let _: i64 = run(&mut m, &["CLIENT", "KILL", "TYPE", "replica"]);
    set(&mut m, "while", "away");
    assert!(
        wait_until(Duration::from_secs(30), || get(&mut r, "while").as_deref() == Some("away")),
        "node: {}\nreplica: {}",
        run::<String>(&mut c, &["INFO", "replication"]),
        run::<String>(&mut r, &["INFO", "replication"])
    );
    assert_eq!(info_field(&mut c, "sync_full"), "2");
    assert_eq!(get(&mut r, "before").as_deref(), Some("1"));
    set(&mut m, "after", "2");
    assert!(wait_until(Duration::from_secs(20), || get(&mut r, "after").as_deref() == Some("2")));
    // The node leaves its master: the replica goes on following it.
    let _: String = run(&mut c, &["REPLICAOF", "NO", "ONE"]);
    set(&mut c, "own", "write");
    assert!(wait_until(Duration::from_secs(20), || get(&mut r, "own").as_deref() == Some("write")));
}

#[test]
fn a_continued_link_keeps_the_database_the_master_selected() {
    let (_master, mut m, _server, mut c) = following(&[], &[]);
    let _: () = run(&mut m, &["SELECT", "2"]);
    set(&mut m, "first", "1");
    let _: () = run(&mut c, &["SELECT", "2"]);
    assert!(wait_until(Duration::from_secs(20), || get(&mut c, "first").is_some()));
    // The link breaks and the node continues the stream, in which the master selects its
    // database no more (it did once already, as a Redis replica remembers).
    let _: i64 = run(&mut m, &["CLIENT", "KILL", "TYPE", "replica"]);
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut m, "sync_partial_ok") == "1"
        && info_field(&mut c, "master_link_status") == "up"));
    set(&mut m, "second", "2");
    assert!(
        wait_until(Duration::from_secs(20), || get(&mut c, "second").as_deref() == Some("2")),
        "db 0 has {:?}",
        redis::cmd("SELECT").arg(0).query::<()>(&mut c).map(|()| get(&mut c, "second"))
    );
    assert_eq!(info_field(&mut m, "sync_full"), "1");
}

#[test]
fn a_restarted_node_continues_its_masters_stream() {
    let master = RealRedis::start(&["--repl-diskless-sync-delay", "0"]);
    let mut m = master.conn();
    set(&mut m, "before", "1");
    let follow = format!("127.0.0.1 {}", master.port);
    let args = ["--replicaof", follow.as_str()];
    let dir = tempfile::tempdir().unwrap();
    let counter_is = |c: &mut redis::Connection, n: &str| {
        let _: () = run(c, &["SELECT", "3"]);
        let counter = get(c, "counter");
        let _: () = run(c, &["SELECT", "0"]);
        counter.as_deref() == Some(n)
    };
    let mut server = TestServer::start_in(dir.path(), &args);
    let mut c = server.sync_conn();
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut c, "master_link_status") == "up"));
    let _: () = run(&mut m, &["SELECT", "3"]);
    for _ in 0..10 {
        let _: i64 = run(&mut m, &["INCR", "counter"]);
    }
    assert!(wait_until(Duration::from_secs(20), || counter_is(&mut c, "10")));
    // A clean shutdown keeps where the data is in the master's stream, which goes on
    // meanwhile, in the database it selected (no SELECT again).
    let _: () = redis::cmd("SHUTDOWN").query(&mut c).unwrap_or(());
    assert!(server.wait_exit().success());
    for _ in 0..5 {
        let _: i64 = run(&mut m, &["INCR", "counter"]);
    }
    let mut server = TestServer::start_in(dir.path(), &args);
    let mut c = server.sync_conn();
    assert!(wait_until(Duration::from_secs(20), || counter_is(&mut c, "15")));
    // Continued: not sent the data again, and nothing applied twice.
    assert_eq!(info_field(&mut m, "sync_full"), "1");
    assert_eq!(info_field(&mut m, "sync_partial_ok"), "1");
    assert_eq!(get(&mut c, "before").as_deref(), Some("1"));
    // The position serves once: after a crash the node asks for the whole data again.
    let _: i64 = run(&mut m, &["INCR", "counter"]);
    assert!(wait_until(Duration::from_secs(20), || counter_is(&mut c, "16")));
    server.kill9();
    let _: i64 = run(&mut m, &["INCR", "counter"]);
    let mut server = TestServer::start_in(dir.path(), &args);
    let mut c = server.sync_conn();
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut c, "master_link_status") == "up"
        && counter_is(&mut c, "17")));
    assert_eq!(info_field(&mut m, "sync_full"), "2");
    // A start that does not follow the master uses the position up too: the writes it
    // takes then are in no stream of the master's.
    let _: () = redis::cmd("SHUTDOWN").query(&mut c).unwrap_or(());
    assert!(server.wait_exit().success());
    let mut server = TestServer::start_in(dir.path(), &[]);
    let mut c = server.sync_conn();
    set(&mut c, "own", "write");
    let _: () = redis::cmd("SHUTDOWN").query(&mut c).unwrap_or(());
    assert!(server.wait_exit().success());
    let server = TestServer::start_in(dir.path(), &args);
    let mut c = server.sync_conn();
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut c, "master_link_status") == "up"
        && get(&mut c, "own").is_none()));
    assert_eq!(info_field(&mut m, "sync_full"), "3");
}

#[test]
fn the_masters_transactions_are_seen_whole() {
    let (_master, mut m, _server, mut c) = following(&[], &[]);
    // Each transaction moves both counters: a reader of the node never sees one moved
    // without the other (it would if the node applied them one by one).
    const ROUNDS: i64 = 3000;
    let writer = std::thread::spawn(move || {
        let mut pipe = redis::pipe();
        for _ in 0..ROUNDS {
            pipe.atomic().cmd("INCR").arg("a").ignore().cmd("INCR").arg("b").ignore();
            let () = pipe.query(&mut m).unwrap();
            pipe.clear();
        }
    });
    let mut reads = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (a, b): (Option<i64>, Option<i64>) = run(&mut c, &["MGET", "a", "b"]);
        assert_eq!(a, b, "after {reads} reads");
        reads += 1;
        if a == Some(ROUNDS) || std::time::Instant::now() > deadline {
            break;
        }
    }
    writer.join().unwrap();
    assert_eq!(get(&mut c, "a").as_deref(), Some("3000"));
}

#[test]
fn following_a_master_the_node_leaves_eviction_to_it() {
    let (_master, mut m, _server, mut c) = following(&[], &["--persistence", "none"]);
    // Far over its limit, it evicts nothing: the master decides (replica-ignore-maxmemory
    // yes, as Redis's replicas).
    let _: () = run(&mut c, &["CONFIG", "SET", "maxmemory", "1", "maxmemory-policy", "allkeys-lru"]);
    for i in 0..50 {
        set(&mut m, &format!("key:{i}"), "value");
    }
    assert!(wait_until(Duration::from_secs(20), || get(&mut c, "key:49").is_some()));
    assert_eq!(run::<i64>(&mut c, &["DBSIZE"]), 50);
    assert_eq!(
        run::<Vec<String>>(&mut c, &["CONFIG", "GET", "replica-ignore-maxmemory"]),
        ["replica-ignore-maxmemory", "yes"]
    );
    // With no, its own clients' writes are refused as on a primary; the master's never are.
    let no = ["replica-ignore-maxmemory", "no", "replica-read-only", "no", "maxmemory-policy", "noeviction"];
    let _: () = run(&mut c, &[&["CONFIG", "SET"][..], &no].concat());
    assert!(fail(&mut c, &["SET", "mine", "x"]).starts_with("OOM"));
    set(&mut m, "from", "master");
    assert!(wait_until(Duration::from_secs(20), || get(&mut c, "from").as_deref() == Some("master")));
    assert_eq!(run::<i64>(&mut c, &["DBSIZE"]), 51);
}

#[test]
fn the_redis_master_hands_over_to_the_node_with_failover() {
    let master = RealRedis::start(&["--repl-diskless-sync-delay", "0"]);
    let mut m = master.conn();
    set(&mut m, "before", "1");
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let port = server.resp.port().to_string();
    assert_eq!(run::<String>(&mut c, &["REPLICAOF", "127.0.0.1", &master.port.to_string()]), "OK");
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut c, "master_link_status") == "up"));
    set(&mut m, "last", "write");
    let _: i64 = run(&mut m, &["INCR", "counter"]);
    // Redis's own FAILOVER: it waits for the node to have everything, then the node takes
    // over (PSYNC ... FAILOVER) and the old master follows it, with no file either way.
    assert_eq!(run::<String>(&mut m, &["FAILOVER", "TO", "127.0.0.1", &port, "TIMEOUT", "20000"]), "OK");
    assert!(
        wait_until(Duration::from_secs(20), || info_field(&mut c, "role") == "master"
            && info_field(&mut m, "role") == "slave"
            && info_field(&mut m, "master_link_status") == "up"),
        "node: {}\nold master: {}",
        run::<String>(&mut c, &["INFO", "replication"]),
        run::<String>(&mut m, &["INFO", "replication"])
    );
    assert_eq!(info_field(&mut m, "master_port"), port);
    let stats: String = run(&mut c, &["INFO", "stats"]);
    assert!(stats.contains("sync_partial_ok:1") && stats.contains("sync_full:0"), "{stats}");
    assert_eq!(get(&mut c, "last").as_deref(), Some("write"));
    assert_eq!(run::<i64>(&mut c, &["GET", "counter"]), 1);
    // The node takes writes now, and the old master gets them.
    let _: i64 = run(&mut c, &["INCR", "counter"]);
    assert_eq!(run::<i64>(&mut c, &["WAIT", "1", "10000"]), 1);
    assert!(wait_until(Duration::from_secs(10), || get(&mut m, "counter").as_deref() == Some("2")));
    assert!(fail(&mut m, &["SET", "x", "1"]).starts_with("READONLY"));
}

/// A "master" that takes the node's handshake and sends an empty RDB file; returns the
/// connection, to send the stream on and read the node's acknowledgements from.
fn fake_master_link() -> (u16, std::thread::JoinHandle<std::net::TcpStream>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let serve = std::thread::spawn(move || {
        // An empty RDB file (version 9, no checksum).
        let (stream, reader, _) = answer_handshake(listener, b"REDIS0009\xff\0\0\0\0\0\0\0\0");
        // Nothing the node sent was read ahead: the test reads the rest from `stream`.
        assert!(reader.buffer().is_empty());
        stream
    });
    (port, serve)
}

/// The offset of the next `REPLCONF ACK` the node sends on `stream`.
fn next_ack(stream: &mut std::net::TcpStream) -> u64 {
    let mut received = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        std::io::Read::read_exact(stream, &mut byte).unwrap();
        received.push(byte[0]);
        let text = String::from_utf8_lossy(&received);
        let parts: Vec<&str> = text.split("\r\n").collect();
        // *3 $8 REPLCONF $3 ACK $n <offset> then the final CRLF.
        if parts.len() == 8 {
            assert_eq!(parts[2], "REPLCONF", "{text}");
            return parts[6].parse().unwrap();
        }
    }
}

#[test]
fn the_node_acknowledges_a_transaction_only_once_it_has_applied_it() {
    use std::io::Write;
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let (port, master) = fake_master_link();
    assert_eq!(run::<String>(&mut c, &["REPLICAOF", "127.0.0.1", &port.to_string()]), "OK");
    let mut stream = master.join().unwrap();
    // Loaded: the first acknowledgement.
    assert_eq!(next_ack(&mut stream), 0);
    let multi = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";
    stream.write_all(multi).unwrap();
    // Half a transaction: the once-a-second acknowledgement stays before its MULTI.
    let select = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n".len() as u64;
    assert_eq!(next_ack(&mut stream), select);
    assert_eq!(get(&mut c, "a"), None);
    // INFO as a Redis replica's: applied, and read.
    assert_eq!(info_field(&mut c, "slave_repl_offset"), select.to_string());
    assert_eq!(info_field(&mut c, "slave_read_repl_offset"), multi.len().to_string());
    let exec = b"*1\r\n$4\r\nEXEC\r\n";
    stream.write_all(exec).unwrap();
    stream.write_all(b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n").unwrap();
    assert_eq!(next_ack(&mut stream), (multi.len() + exec.len()) as u64);
    assert_eq!(get(&mut c, "a").as_deref(), Some("1"));
}
