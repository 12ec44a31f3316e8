//! Redis replicas of an Aegisr node: a real `redis-server --replicaof` gets the dataset
//! and then every write, and a raw SYNC client sees the writes in the form Redis
//! propagates them (absolute TTLs, DEL for GETDEL, MULTI/EXEC around transactions, SELECT
//! when the database changes). Uses redis-server (the redis-tools package `.ci/run`
//! installs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;
use std::time::Duration;

use common::{RawConn, RealRedis, TestServer, fail, get, run, wait_until};

fn info_field(con: &mut redis::Connection, section: &str, field: &str) -> String {
    let info: String = run(con, &["INFO", section]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("{field} not in {info}"))
}

/// Everything `db` of `con` holds, as (key, type, value dump, TTL set?), sorted.
fn contents(con: &mut redis::Connection, db: usize) -> Vec<(String, String, String, bool)> {
    let _: () = run(con, &["SELECT", &db.to_string()]);
    let mut keys: Vec<String> = run(con, &["KEYS", "*"]);
    keys.sort();
    keys.into_iter()
        .map(|key| {
            let kind: String = run(con, &["TYPE", &key]);
            let value = match kind.as_str() {
                "string" => format!("{:?}", run::<String>(con, &["GET", &key])),
                "hash" => {
                    let mut fields: Vec<(String, String)> = run(con, &["HGETALL", &key]);
                    fields.sort();
                    format!("{fields:?}")
                }
                "list" => format!("{:?}", run::<Vec<String>>(con, &["LRANGE", &key, "0", "-1"])),
                "set" => {
                    let mut members: Vec<String> = run(con, &["SMEMBERS", &key]);
                    members.sort();
                    format!("{members:?}")
                }
                "zset" => format!("{:?}", run::<Vec<String>>(con, &["ZRANGE", &key, "0", "-1", "WITHSCORES"])),
                other => other.to_owned(),
            };
            let ttl: i64 = run(con, &["PTTL", &key]);
            (key, kind, value, ttl > 0)
        })
        .collect()
}

fn write_a_bit_of_everything(con: &mut redis::Connection, tag: &str) {
    let _: () = run(con, &["SELECT", "0"]);
    let _: () = run(con, &["SET", &format!("s:{tag}"), "v", "EX", "1000"]);
    let _: () = run(con, &["SET", &format!("gone:{tag}"), "v"]);
    let _: Option<String> = run(con, &["GETDEL", &format!("gone:{tag}")]);
    let _: i64 = run(con, &["HSET", &format!("h:{tag}"), "a", "1", "b", "2"]);
    let _: i64 = run(con, &["RPUSH", &format!("l:{tag}"), "x", "y", "z"]);
    let _: Option<String> = run(con, &["LPOP", &format!("l:{tag}")]);
    let _: i64 = run(con, &["SADD", &format!("set:{tag}"), "a", "b", "c", "d"]);
    let _: Vec<String> = run(con, &["SPOP", &format!("set:{tag}"), "2"]);
    let _: i64 = run(con, &["ZADD", &format!("z:{tag}"), "1.5", "a", "2", "b"]);
    let _: String = run(con, &["INCRBYFLOAT", &format!("f:{tag}"), "0.25"]);
    let _: i64 = run(con, &["EXPIRE", &format!("h:{tag}"), "500"]);
    let _: () = run(con, &["SELECT", "3"]);
    let _: (i64, i64) = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg(format!("counter:{tag}"))
        .cmd("INCRBY")
        .arg(format!("counter:{tag}"))
        .arg(10)
        .query(con)
        .unwrap();
    let _: () = run(con, &["SELECT", "0"]);
}

/// A node with a bit of everything written, and a Redis replica of it that is online.
fn node_with_a_redis_replica() -> (TestServer, redis::Connection, RealRedis) {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    write_a_bit_of_everything(&mut con, "before");
    let redis = RealRedis::start(&["--replicaof", "127.0.0.1", &server.resp.port().to_string()]);
    assert!(
        wait_until(Duration::from_secs(20), || info_field(&mut con, "replication", "connected_slaves") == "1"),
        "the replica never came online"
    );
    (server, con, redis)
}

#[test]
fn a_redis_replica_gets_the_dataset_then_every_write() {
    let (_server, mut con, redis) = node_with_a_redis_replica();
    let mut replica = redis.conn();
    write_a_bit_of_everything(&mut con, "after");
    // WAIT counts the replica once it has acknowledged everything written so far.
    let acked: i64 = run(&mut con, &["WAIT", "1", "10000"]);
    assert_eq!(acked, 1);
    for db in [0, 3] {
        let ours = contents(&mut con, db);
        assert!(ours.len() >= 5 || db == 3, "{ours:?}");
        let mut theirs = Vec::new();
        let same = wait_until(Duration::from_secs(10), || {
            theirs = contents(&mut replica, db);
            theirs == ours
        });
        assert!(same, "db {db}: node {ours:?}\nreplica {theirs:?}");
    }
    let role: Vec<redis::Value> = run(&mut con, &["ROLE"]);
    assert_eq!(role[0], redis::Value::BulkString(b"master".to_vec()));
    let slave0 = info_field(&mut con, "replication", "slave0");
    assert!(slave0.starts_with("ip=127.0.0.1,port=") && slave0.contains("state=online"), "{slave0}");
    assert_eq!(info_field(&mut replica, "replication", "master_link_status"), "up");
    // FLUSHALL goes too.
    let _: () = run(&mut con, &["FLUSHALL"]);
    assert_eq!(run::<i64>(&mut con, &["WAIT", "1", "10000"]), 1);
    assert!(wait_until(Duration::from_secs(10), || run::<i64>(&mut replica, &["DBSIZE"]) == 0));
}

/// Waits for `replica` to hold what `con`'s node holds in databases 0 and 3.
fn assert_replica_has_the_same(con: &mut redis::Connection, replica: &mut redis::Connection) {
    for db in [0, 3] {
        let ours = contents(con, db);
        let mut theirs = Vec::new();
        let same = wait_until(Duration::from_secs(10), || {
            theirs = contents(replica, db);
            theirs == ours
        });
        assert!(same, "db {db}: node {ours:?}\nreplica {theirs:?}");
    }
}

/// Reads one command of the replication stream (a RESP array of bulk strings).
fn next_command(raw: &mut RawConn) -> Vec<String> {
    let header = raw.read_line();
    let count: usize = header.trim_end().strip_prefix('*').and_then(|n| n.parse().ok()).expect(&header);
    (0..count)
        .map(|_| {
            let len: usize = raw.read_line().trim_end().strip_prefix('$').and_then(|n| n.parse().ok()).unwrap();
            let bytes = raw.read_exact_len(len + 2);
            String::from_utf8_lossy(&bytes[..len]).into_owned()
        })
        .collect()
}

#[test]
fn sync_streams_the_writes_as_redis_propagates_them() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["SET", "old", "value"]);
    let mut raw = server.raw();
    raw.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // No `capa eof`: the file comes after its length, as Redis sends it from disk.
    raw.send(b"SYNC\r\n");
    let header = raw.read_line();
    let len: usize = header.trim_end().strip_prefix('$').and_then(|n| n.parse().ok()).expect(&header);
    let file = raw.read_exact_len(len);
    assert!(file.starts_with(b"REDIS0010"), "{:?}", &file[..file.len().min(16)]);
    assert!(file.windows(3).any(|w| w == b"old"));
    let before = common::now_ms();
    let _: () = run(&mut con, &["SET", "k", "v", "EX", "100"]);
    let _: () = run(&mut con, &["SETEX", "k", "100", "v"]);
    let _: i64 = run(&mut con, &["PEXPIRE", "k", "100000"]);
    let _: i64 = run(&mut con, &["EXPIREAT", "k", "1"]);
    let _: () = run(&mut con, &["SET", "k", "v"]);
    let _: Option<String> = run(&mut con, &["GETDEL", "k"]);
    let _: () = run(&mut con, &["SELECT", "5"]);
    let _: (i64, i64) = redis::pipe().atomic().cmd("INCR").arg("a").cmd("INCR").arg("b").query(&mut con).unwrap();
    let _: (i64,) = redis::pipe().atomic().cmd("INCR").arg("a").query(&mut con).unwrap();
    assert_eq!(next_command(&mut raw), ["SELECT", "0"]);
    // SET EX 100 and SETEX 100: both at an absolute time 100 s after they ran.
    for _ in 0..2 {
        let got = next_command(&mut raw);
        assert_eq!(&got[..4], ["SET", "k", "v", "PXAT"], "{got:?}");
        let at: i64 = got[4].parse().unwrap();
        assert!((before + 99_000..before + 101_000).contains(&at), "{at} against {before}");
    }
    let got = next_command(&mut raw);
    assert_eq!(&got[..2], ["PEXPIREAT", "k"], "{got:?}");
    let rest: Vec<Vec<String>> = (0..9).map(|_| next_command(&mut raw)).collect();
    let expected: Vec<Vec<&str>> = vec![
        vec!["DEL", "k"],
        vec!["SET", "k", "v"],
        vec!["DEL", "k"],
        vec!["SELECT", "5"],
        vec!["MULTI"],
        vec!["INCR", "a"],
        vec!["INCR", "b"],
        vec!["EXEC"],
        vec!["INCR", "a"],
    ];
    assert_eq!(rest, expected);
    // A command on the stream's connection gets no reply but acknowledgements are read.
    raw.send(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n");
    raw.stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut byte = [0u8; 1];
    assert!(raw.stream.read(&mut byte).is_err(), "nothing is sent back for an ACK");
    // CLIENT KILL ends the stream.
    let clients: String = run(&mut con, &["CLIENT", "LIST"]);
    let line = clients.lines().find(|l| l.contains("cmd=sync")).expect(&clients);
    assert!(line.contains(" flags=S "), "{line}");
    let replicas: String = run(&mut con, &["CLIENT", "LIST", "TYPE", "replica"]);
    assert_eq!(replicas.lines().count(), 1, "{replicas}");
    let id = line.split(' ').find_map(|f| f.strip_prefix("id=")).unwrap();
    assert_eq!(run::<i64>(&mut con, &["CLIENT", "KILL", "ID", id]), 1);
    raw.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert!(raw.is_closed());
}

#[test]
fn replconf_ack_on_a_client_connection_gets_no_reply_and_bad_options_an_error() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$2\r\n10\r\n");
    raw.expect(&["PING"], "+PONG\r\n");
    let mut con = server.sync_conn();
    assert_eq!(fail(&mut con, &["REPLCONF", "nonsense", "1"]), "ERR Unrecognized REPLCONF option: nonsense");
}

#[test]
fn pops_and_float_increments_stream_as_the_writes_they_amount_to() {
    let dir = tempfile::tempdir().unwrap();
    // `always`: the restart below follows a kill -9.
    let mut server = TestServer::start_in(dir.path(), &["--appendfsync", "always"]);
    let mut con = server.sync_conn();
    let mut raw = server.raw();
    raw.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    raw.send(b"SYNC\r\n");
    let header = raw.read_line();
    let len: usize = header.trim_end().strip_prefix('$').and_then(|n| n.parse().ok()).expect(&header);
    raw.read_exact_len(len);
    // Redis propagates the multi-key and blocking pops as the plain pop they amount to,
    // with the count actually popped; float increments as the value they set.
    let _: i64 = run(&mut con, &["RPUSH", "l", "a", "b", "c"]);
    let _: redis::Value = run(&mut con, &["LMPOP", "2", "none", "l", "LEFT", "COUNT", "2"]);
    let _: redis::Value = run(&mut con, &["LMPOP", "1", "l", "RIGHT"]);
    let _: i64 = run(&mut con, &["RPUSH", "l", "x", "y"]);
    let _: redis::Value = run(&mut con, &["BLPOP", "none", "l", "0"]);
    let _: redis::Value = run(&mut con, &["BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "2"]);
    let _: i64 = run(&mut con, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    let _: redis::Value = run(&mut con, &["ZMPOP", "1", "z", "MAX", "COUNT", "2"]);
    let _: redis::Value = run(&mut con, &["BZPOPMIN", "z", "0"]);
    let _: i64 = run(&mut con, &["RPUSH", "s", "1", "2"]);
    let _: String = run(&mut con, &["BLMOVE", "s", "d", "LEFT", "RIGHT", "0"]);
    let _: String = run(&mut con, &["BRPOPLPUSH", "s", "d", "0"]);
    let _: () = run(&mut con, &["SET", "f", "1.5", "EX", "1000"]);
    let _: String = run(&mut con, &["INCRBYFLOAT", "f", "0.25"]);
    let _: String = run(&mut con, &["HINCRBYFLOAT", "h", "x", "2.5"]);
    // A pop that waited: logged when it is served, as what it popped.
    let url = server.url();
    let waiter = std::thread::spawn(move || {
        let mut other = redis::Client::open(url).unwrap().get_connection().unwrap();
        run::<redis::Value>(&mut other, &["BZMPOP", "0", "2", "w1", "w2", "MIN", "COUNT", "5"])
    });
    assert!(wait_until(Duration::from_secs(10), || info_field(&mut con, "clients", "blocked_clients") == "1"));
    let _: i64 = run(&mut con, &["ZADD", "w2", "1", "m", "2", "n"]);
    waiter.join().unwrap();
    let mut got: Vec<Vec<String>> = (0..18).map(|_| next_command(&mut raw)).collect();
    // SET EX goes at an absolute time (compared without it below).
    assert_eq!(&got[13][..4], ["SET", "f", "1.5", "PXAT"], "{got:?}");
    got[13].truncate(3);
    let expected: Vec<Vec<&str>> = vec![
        vec!["SELECT", "0"],
        vec!["RPUSH", "l", "a", "b", "c"],
        vec!["LPOP", "l", "2"],
        vec!["RPOP", "l", "1"],
        vec!["RPUSH", "l", "x", "y"],
        vec!["LPOP", "l"],
        vec!["RPOP", "l", "1"],
        vec!["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        vec!["ZPOPMAX", "z", "2"],
        vec!["ZPOPMIN", "z"],
        vec!["RPUSH", "s", "1", "2"],
        vec!["LMOVE", "s", "d", "LEFT", "RIGHT"],
        vec!["RPOPLPUSH", "s", "d"],
        vec!["SET", "f", "1.5"],
        vec!["SET", "f", "1.75", "KEEPTTL"],
        vec!["HSET", "h", "x", "2.5"],
        vec!["ZADD", "w2", "1", "m", "2", "n"],
        vec!["ZPOPMIN", "w2", "2"],
    ];
    assert_eq!(got, expected);
    // The journal replays the same forms: after a restart everything is as it was, the
    // float's TTL included.
    let before: Vec<String> = ["l", "d", "s"]
        .iter()
        .map(|k| format!("{:?}", run::<Vec<String>>(&mut con, &["LRANGE", k, "0", "-1"])))
        .collect();
    drop(con);
    server.kill9();
    let server = TestServer::start_in(dir.path(), &["--appendfsync", "always"]);
    let mut con = server.sync_conn();
    let after: Vec<String> = ["l", "d", "s"]
        .iter()
        .map(|k| format!("{:?}", run::<Vec<String>>(&mut con, &["LRANGE", k, "0", "-1"])))
        .collect();
    assert_eq!(before, after);
    assert_eq!(get(&mut con, "f").as_deref(), Some("1.75"));
    assert!(run::<i64>(&mut con, &["TTL", "f"]) > 900);
    assert_eq!(run::<Option<String>>(&mut con, &["HGET", "h", "x"]).as_deref(), Some("2.5"));
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "z", "w1", "w2"]), 0);
}

/// The next command of the replication stream that is not a keep-alive PING (a slow run
/// may last past `repl-ping-replica-period`).
fn next_write(raw: &mut RawConn) -> Vec<String> {
    loop {
        let command = next_command(raw);
        if command != ["PING"] {
            return command;
        }
    }
}

/// Sends SYNC on a new raw connection and reads the RDB file: the stream follows.
fn attach_replica(server: &TestServer) -> RawConn {
    let mut raw = server.raw();
    raw.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    raw.send(b"SYNC\r\n");
    let header = raw.read_line();
    let len: usize = header.trim_end().strip_prefix('$').and_then(|n| n.parse().ok()).expect(&header);
    raw.read_exact_len(len);
    raw
}

/// Flags for a server on `dir` that takes DEBUG and logs every command it runs in its slow
/// log, replayed ones too (only a configuration file sets those), and syncs every write
/// (the restarts below follow a kill -9).
fn debug_flags(dir: &std::path::Path) -> Vec<String> {
    let path = dir.join("aegisr.toml");
    let config = "enable-debug-command = \"yes\"\nslowlog-log-slower-than = 0\nslowlog-max-len = 10000\n";
    std::fs::write(&path, config).unwrap();
    ["--config", path.to_str().unwrap(), "--appendfsync", "always"].map(str::to_owned).to_vec()
}

fn strs(flags: &[String]) -> Vec<&str> {
    flags.iter().map(String::as_str).collect()
}

/// Reads one message a raw RESP2 subscriber was sent and checks it is exactly `kind`
/// (`message`, `smessage`...) on `channel` with `payload`.
fn expect_push(raw: &mut RawConn, kind: &str, channel: &str, payload: &str) {
    let want = format!(
        "*3\r\n${}\r\n{kind}\r\n${}\r\n{channel}\r\n${}\r\n{payload}\r\n",
        kind.len(),
        channel.len(),
        payload.len()
    );
    let got = raw.read_exact_len(want.len());
    assert_eq!(String::from_utf8_lossy(&got), want);
}

#[test]
fn publish_streams_in_its_place_among_the_writes_and_is_never_published_again() {
    let dir = tempfile::tempdir().unwrap();
    let flags = debug_flags(dir.path());
    let mut server = TestServer::start_in(dir.path(), &strs(&flags));
    let mut con = server.sync_conn();
    let mut raw = attach_replica(&server);
    let _: () = run(&mut con, &["SET", "a", "1"]);
    let _: i64 = run(&mut con, &["PUBLISH", "ch", "m1"]);
    let _: () = run(&mut con, &["SELECT", "2"]);
    let _: i64 = run(&mut con, &["SPUBLISH", "sch", "m2"]);
    let _: () = run(&mut con, &["SELECT", "0"]);
    // Inside a transaction or a script, in the record of their writes; a lone PUBLISH
    // goes without MULTI (Redis's "MULTI propagation of PUBLISH").
    let _: (i64,) = redis::pipe().atomic().cmd("PUBLISH").arg("ch").arg("m3").query(&mut con).unwrap();
    let _: ((), i64) =
        redis::pipe().atomic().cmd("SET").arg("b").arg("1").cmd("PUBLISH").arg("ch").arg("m4").query(&mut con).unwrap();
    let script = "redis.call('set', KEYS[1], '1'); return redis.call('publish', 'ch', 'm5')";
    let _: i64 = run(&mut con, &["EVAL", script, "1", "c"]);
    let _: () = run(&mut con, &["SET", "d", "1"]);
    let got: Vec<Vec<String>> = (0..16).map(|_| next_write(&mut raw)).collect();
    let expected: Vec<Vec<&str>> = vec![
        vec!["SELECT", "0"],
        vec!["SET", "a", "1"],
        vec!["PUBLISH", "ch", "m1"],
        vec!["SELECT", "2"],
        vec!["SPUBLISH", "sch", "m2"],
        vec!["SELECT", "0"],
        vec!["PUBLISH", "ch", "m3"],
        vec!["MULTI"],
        vec!["SET", "b", "1"],
        vec!["PUBLISH", "ch", "m4"],
        vec!["EXEC"],
        vec!["MULTI"],
        vec!["set", "c", "1"],
        vec!["publish", "ch", "m5"],
        vec!["EXEC"],
        vec!["SET", "d", "1"],
    ];
    assert_eq!(got, expected);
    drop(raw);

    // Loading the journal again (DEBUG LOADAOF replays it as a restart does) publishes
    // none of the messages it holds: the first ones subscribers get are the new ones.
    let mut sub_con = server.sync_conn();
    let mut sub = sub_con.as_pubsub();
    sub.subscribe("ch").unwrap();
    sub.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut shard_sub = server.raw();
    shard_sub.expect(&["SSUBSCRIBE", "sch"], "*3\r\n$10\r\nssubscribe\r\n$3\r\nsch\r\n:1\r\n");
    assert_eq!(run::<String>(&mut con, &["DEBUG", "LOADAOF"]), "OK");
    assert_eq!(run::<Vec<Option<String>>>(&mut con, &["MGET", "a", "b", "c", "d"]), vec![Some("1".to_owned()); 4]);
    assert_eq!(run::<i64>(&mut con, &["PUBLISH", "ch", "after load"]), 1);
    assert_eq!(sub.get_message().unwrap().get_payload::<String>().unwrap(), "after load");
    assert_eq!(run::<i64>(&mut con, &["SPUBLISH", "sch", "after load"]), 1);
    expect_push(&mut shard_sub, "smessage", "sch", "after load");
    drop(sub);
    drop(sub_con);
    drop(shard_sub);

    // Nor does a restart after a crash, which finds the journal whole.
    drop(con);
    server.kill9();
    let server = TestServer::start_in(dir.path(), &strs(&flags));
    let replayed = server.startup_log.iter().find(|l| l.contains("journal replayed")).expect("a replayed journal");
    assert!(replayed.contains("failed=0"), "{replayed}");
    let mut con = server.sync_conn();
    assert_eq!(run::<Vec<Option<String>>>(&mut con, &["MGET", "a", "b", "c", "d"]), vec![Some("1".to_owned()); 4]);
    // Replay runs the records as commands, which the slow log shows: no PUBLISH among them.
    let replayed: Vec<redis::Value> = run(&mut con, &["SLOWLOG", "GET", "10000"]);
    let replayed: Vec<String> = replayed
        .iter()
        .filter_map(|entry| match entry {
            redis::Value::Array(fields) => match fields.get(3) {
                Some(redis::Value::Array(args)) => Some(format!("{args:?}").to_lowercase()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert!(replayed.iter().any(|args| args.contains("\"set\"")), "{replayed:?}");
    assert!(!replayed.iter().any(|args| args.contains("publish")), "{replayed:?}");
}

#[test]
fn a_node_following_a_redis_master_publishes_the_messages_it_streams() {
    let master = RealRedis::start(&["--repl-diskless-sync-delay", "0"]);
    let mut m = master.conn();
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: String = run(&mut con, &["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut con, "replication", "master_link_status") == "up"));
    let mut sub_con = server.sync_conn();
    let mut sub = sub_con.as_pubsub();
    sub.subscribe("ch").unwrap();
    sub.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // The master's subscribers are its own: the node's get the message through the stream.
    assert_eq!(run::<i64>(&mut m, &["PUBLISH", "ch", "one"]), 0);
    assert_eq!(sub.get_message().unwrap().get_payload::<String>().unwrap(), "one");
    // In a transaction too, after the write before it.
    let _: ((), i64) =
        redis::pipe().atomic().cmd("SET").arg("k").arg("v").cmd("PUBLISH").arg("ch").arg("two").query(&mut m).unwrap();
    assert_eq!(sub.get_message().unwrap().get_payload::<String>().unwrap(), "two");
    assert_eq!(get(&mut con, "k").as_deref(), Some("v"));
}

/// The stream and its consumer groups as XINFO STREAM FULL shows them, as text, leaving
/// out what a restart or a replica does not bring back exactly: the consumers' seen-time (a
/// read that changes nothing else is not logged), the groups' read counter and the lag
/// derived from it (Redis 7.0 propagates an XREADGROUP without NOACK as XCLAIMs only, whose
/// LASTID moves the last id but not the counter: its own AOF and replicas lose it the same
/// way), and how the entries are laid out in memory.
fn groups_of(con: &mut redis::Connection, key: &str) -> String {
    fn plain(value: &redis::Value, out: &mut String) {
        match value {
            redis::Value::Array(items) | redis::Value::Set(items) => {
                out.push('[');
                let mut skip = false;
                for item in items {
                    let text = match item {
                        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                        _ => String::new(),
                    };
                    if std::mem::take(&mut skip) {
                        continue;
                    }
                    const LEFT_OUT: [&str; 5] =
                        ["seen-time", "entries-read", "lag", "radix-tree-keys", "radix-tree-nodes"];
                    if LEFT_OUT.contains(&text.as_str()) {
                        skip = true;
                        continue;
                    }
                    plain(item, out);
                    out.push(' ');
                }
                out.push(']');
            }
            redis::Value::BulkString(b) => out.push_str(&String::from_utf8_lossy(b)),
            other => out.push_str(&format!("{other:?}")),
        }
    }
    let info: redis::Value = run(con, &["XINFO", "STREAM", key, "FULL"]);
    let mut out = String::new();
    plain(&info, &mut out);
    out
}

#[test]
fn consumer_groups_stream_as_redis_propagates_them_and_survive_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let flags = debug_flags(dir.path());
    let mut server = TestServer::start_in(dir.path(), &strs(&flags));
    let mut con = server.sync_conn();
    let mut raw = attach_replica(&server);
    for id in ["1-0", "2-0", "3-0", "4-0", "5-0"] {
        let _: String = run(&mut con, &["XADD", "s", id, "f", "v"]);
    }
    let _: () = run(&mut con, &["XGROUP", "CREATE", "s", "g", "0"]);
    let started = common::now_ms();
    let read = |con: &mut redis::Connection, args: &[&str]| {
        let _: redis::Value = run(con, &[&["XREADGROUP", "GROUP", "g"][..], args].concat());
    };
    read(&mut con, &["alice", "COUNT", "1", "STREAMS", "s", ">"]);
    read(&mut con, &["bob", "COUNT", "2", "STREAMS", "s", ">"]);
    read(&mut con, &["carol", "NOACK", "STREAMS", "s", ">"]);
    // Alice's history: delivered again.
    read(&mut con, &["alice", "STREAMS", "s", "0"]);
    // Nothing new, and a claim of nothing: no record.
    read(&mut con, &["alice", "STREAMS", "s", ">"]);
    let claimed: Vec<String> = run(&mut con, &["XCLAIM", "s", "g", "erin", "100000", "1-0", "JUSTID"]);
    assert!(claimed.is_empty());
    let claimed_at = common::now_ms();
    let _: redis::Value = run(&mut con, &["XCLAIM", "s", "g", "dave", "0", "2-0", "IDLE", "5000", "JUSTID"]);
    let _: i64 = run(&mut con, &["XDEL", "s", "3-0"]);
    let _: redis::Value = run(&mut con, &["XAUTOCLAIM", "s", "g", "erin", "0", "0-0"]);
    read(&mut con, &["erin", "STREAMS", "s", "0"]);
    // A reader that waited: logged when it is served, as what it was served.
    let url = server.url();
    let waiter = std::thread::spawn(move || {
        let mut other = redis::Client::open(url).unwrap().get_connection().unwrap();
        run::<redis::Value>(&mut other, &["XREADGROUP", "GROUP", "g", "frank", "BLOCK", "0", "STREAMS", "s", ">"])
    });
    assert!(wait_until(Duration::from_secs(10), || info_field(&mut con, "clients", "blocked_clients") == "1"));
    let _: String = run(&mut con, &["XADD", "s", "6-0", "f", "v"]);
    waiter.join().unwrap();
    // Inside a transaction: its XCLAIMs in the transaction's MULTI/EXEC.
    let _: (String, redis::Value) = redis::pipe()
        .atomic()
        .cmd("XADD")
        .arg("s")
        .arg("7-0")
        .arg("f")
        .arg("v")
        .cmd("XREADGROUP")
        .arg(&["GROUP", "g", "gina", "STREAMS", "s", ">"])
        .query(&mut con)
        .unwrap();
    let _: () = run(&mut con, &["SET", "end", "1"]);
    let finished = common::now_ms();

    let mut got: Vec<Vec<String>> = (0..34).map(|_| next_write(&mut raw)).collect();
    // Delivery times are absolute (TIME): checked against the clock, then left out.
    for command in got.iter_mut().filter(|c| c[0] == "XCLAIM") {
        let time: i64 = command[7].parse().unwrap();
        let idle_given = command[3] == "dave";
        let (low, high) = if idle_given { (claimed_at - 5000, finished - 5000) } else { (started, finished) };
        assert!((low..=high).contains(&time), "{command:?}: {time} not in {low}..={high}");
        command[7] = "T".to_owned();
    }
    let claim = |consumer: &str, id: &str, count: &str, last: &str| {
        ["XCLAIM", "s", "g", consumer, "0", id, "TIME", "T", "RETRYCOUNT", count, "FORCE", "JUSTID", "LASTID", last]
            .map(str::to_owned)
            .to_vec()
    };
    let words = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    let expected: Vec<Vec<String>> = vec![
        words(&["SELECT", "0"]),
        words(&["XADD", "s", "1-0", "f", "v"]),
        words(&["XADD", "s", "2-0", "f", "v"]),
        words(&["XADD", "s", "3-0", "f", "v"]),
        words(&["XADD", "s", "4-0", "f", "v"]),
        words(&["XADD", "s", "5-0", "f", "v"]),
        words(&["XGROUP", "CREATE", "s", "g", "0"]),
        // One entry for alice: a lone XCLAIM, the entry's ID as the group's last.
        claim("alice", "1-0", "1", "1-0"),
        // Two for bob: one MULTI/EXEC, as Redis's "MULTI propagation of XREADGROUP" expects.
        words(&["MULTI"]),
        claim("bob", "2-0", "1", "2-0"),
        claim("bob", "3-0", "1", "3-0"),
        words(&["EXEC"]),
        // NOACK: the new consumer and the group's last ID with its read counter.
        words(&["MULTI"]),
        words(&["XGROUP", "CREATECONSUMER", "s", "g", "carol"]),
        words(&["XGROUP", "SETID", "s", "g", "5-0", "ENTRIESREAD", "5"]),
        words(&["EXEC"]),
        claim("alice", "1-0", "2", "5-0"),
        claim("dave", "2-0", "1", "5-0"),
        words(&["XDEL", "s", "3-0"]),
        // XAUTOCLAIM: what it claimed, and the entry it dropped as it was (bob's, deleted).
        words(&["MULTI"]),
        claim("erin", "1-0", "3", "5-0"),
        claim("erin", "2-0", "2", "5-0"),
        claim("bob", "3-0", "1", "5-0"),
        words(&["EXEC"]),
        words(&["MULTI"]),
        claim("erin", "1-0", "4", "5-0"),
        claim("erin", "2-0", "3", "5-0"),
        words(&["EXEC"]),
        words(&["XADD", "s", "6-0", "f", "v"]),
        claim("frank", "6-0", "1", "6-0"),
        words(&["MULTI"]),
        words(&["XADD", "s", "7-0", "f", "v"]),
        claim("gina", "7-0", "1", "7-0"),
        words(&["EXEC"]),
    ];
    assert_eq!(got, expected);
    assert_eq!(next_write(&mut raw), ["SET", "end", "1"]);
    drop(raw);

    // The journal holds the same: after a kill -9 the groups come back as they were, PEL
    // entries with their consumers, delivery times and counts, consumers, last IDs.
    let before = groups_of(&mut con, "s");
    assert!(before.contains("[2-0 erin "), "{before}");
    drop(con);
    server.kill9();
    let server = TestServer::start_in(dir.path(), &strs(&flags));
    let mut con = server.sync_conn();
    assert_eq!(groups_of(&mut con, "s"), before);
}

#[test]
fn a_redis_replica_gets_the_messages_and_the_consumer_groups() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let redis = RealRedis::start(&["--replicaof", "127.0.0.1", &server.resp.port().to_string()]);
    let mut replica = redis.conn();
    assert!(
        wait_until(Duration::from_secs(20), || info_field(&mut con, "replication", "connected_slaves") == "1"),
        "the replica never came online"
    );
    // Its subscribers get what is published here.
    let mut sub_con = redis.conn();
    let mut sub = sub_con.as_pubsub();
    sub.subscribe("ch").unwrap();
    sub.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(run::<i64>(&mut con, &["PUBLISH", "ch", "hello"]), 0);
    assert_eq!(sub.get_message().unwrap().get_payload::<String>().unwrap(), "hello");
    // It runs the XCLAIM and XGROUP commands the reads and claims are sent as, and ends
    // with the same groups.
    for id in ["1-0", "2-0", "3-0", "4-0"] {
        let _: String = run(&mut con, &["XADD", "s", id, "f", "v"]);
    }
    let _: () = run(&mut con, &["XGROUP", "CREATE", "s", "g", "0"]);
    for args in [
        &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"][..],
        &["XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "1", "STREAMS", "s", ">"],
        &["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", ">"],
        &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
        &["XCLAIM", "s", "g", "dave", "0", "1-0", "IDLE", "60000"],
        &["XDEL", "s", "2-0"],
        &["XAUTOCLAIM", "s", "g", "erin", "0", "0-0", "COUNT", "1"],
    ] {
        let _: redis::Value = run(&mut con, args);
    }
    assert_eq!(run::<i64>(&mut con, &["WAIT", "1", "10000"]), 1);
    let ours = groups_of(&mut con, "s");
    assert!(ours.contains("[4-0 carol "), "{ours}");
    let mut theirs = String::new();
    let same = wait_until(Duration::from_secs(10), || {
        theirs = groups_of(&mut replica, "s");
        theirs == ours
    });
    assert!(same, "node {ours}\nreplica {theirs}");
}

/// Writes Redis refuses, or that change nothing, for [`refused_and_no_op_writes_are_not_propagated`]:
/// a command line (words split on spaces, `""` an empty word) and the start of the error
/// Redis 7.0.15 answers, `None` for no error. Every one (but the bloom filters') was run on a
/// real Redis 7.0.15 read by a raw SYNC client, set up as below: none reached its
/// replication stream, and none made a transaction watching its keys fail (Redis's `call()`
/// propagates a command only when it moved `server.dirty`, and `signalModifiedKey` comes
/// with a change).
const REFUSED_OR_NO_OP: &[(&str, Option<&str>)] = &[
    // Strings.
    ("INCR str", Some("ERR value is not an integer or out of range")),
    ("DECR str", Some("ERR value is not an integer or out of range")),
    ("INCRBY str 5", Some("ERR value is not an integer or out of range")),
    ("DECRBY str 5", Some("ERR value is not an integer or out of range")),
    ("INCRBY num 1", Some("ERR increment or decrement would overflow")),
    ("DECRBY num -1", Some("ERR increment or decrement would overflow")),
    ("INCR num", Some("ERR increment or decrement would overflow")),
    ("INCRBYFLOAT str 1", Some("ERR value is not a valid float")),
    ("INCRBYFLOAT fl 1e4932", Some("ERR increment would produce NaN or Infinity")),
    ("INCRBYFLOAT fi 1", Some("ERR increment would produce NaN or Infinity")),
    ("INCRBYFLOAT list 1", Some("WRONGTYPE")),
    ("APPEND list x", Some("WRONGTYPE")),
    ("SETRANGE list 0 x", Some("WRONGTYPE")),
    ("INCR list", Some("WRONGTYPE")),
    ("SET str x NX", None),
    ("SET nokey x XX", None),
    ("SET list x GET", Some("WRONGTYPE")),
    ("SET str x NX GET", None),
    ("SETNX str x", None),
    ("MSETNX nokey y plain x", None),
    ("SETRANGE str 536870912 x", Some("ERR string exceeds maximum allowed size")),
    ("SETRANGE str 0 \"\"", None),
    ("SETRANGE nokey 0 \"\"", None),
    ("GETEX str BADOPT", Some("ERR syntax error")),
    ("GETEX str EX 100 PERSIST", Some("ERR syntax error")),
    ("GETEX str", None),
    ("GETEX plain PERSIST", None),
    ("GETEX nokey EX 100", None),
    ("GETEX list EX 100", Some("WRONGTYPE")),
    ("GETDEL list", Some("WRONGTYPE")),
    ("GETDEL nokey", None),
    ("GETSET list x", Some("WRONGTYPE")),
    ("SETEX str -1 x", Some("ERR invalid expire time in 'setex' command")),
    ("PSETEX str 0 x", Some("ERR invalid expire time in 'psetex' command")),
    // Lists.
    ("LPUSH str a", Some("WRONGTYPE")),
    ("RPUSH str a", Some("WRONGTYPE")),
    ("LPUSHX str a", Some("WRONGTYPE")),
    ("RPUSHX nokey a", None),
    ("LSET str 0 x", Some("WRONGTYPE")),
    ("LSET list 10 x", Some("ERR index out of range")),
    ("LSET nokey 0 x", Some("ERR no such key")),
    ("LINSERT str BEFORE a b", Some("WRONGTYPE")),
    ("LINSERT list BEFORE zzz x", None),
    ("LINSERT list MIDDLE a x", Some("ERR syntax error")),
    ("LINSERT nokey BEFORE a x", None),
    ("LREM str 0 a", Some("WRONGTYPE")),
    ("LREM list 0 zzz", None),
    ("LREM nokey 0 a", None),
    ("LTRIM str 0 1", Some("WRONGTYPE")),
    ("LTRIM nokey 0 1", None),
    ("LPOP str", Some("WRONGTYPE")),
    ("RPOP nokey", None),
    ("LPOP list 0", None),
    ("RPOPLPUSH str list", Some("WRONGTYPE")),
    ("RPOPLPUSH list str", Some("WRONGTYPE")),
    ("RPOPLPUSH nokey list", None),
    ("LMOVE list str LEFT LEFT", Some("WRONGTYPE")),
    ("LMOVE nokey list LEFT LEFT", None),
    ("LMPOP 1 str LEFT", Some("WRONGTYPE")),
    ("LMPOP 1 nokey LEFT", None),
    ("BLPOP str 0", Some("WRONGTYPE")),
    ("BLMOVE list str LEFT LEFT 0", Some("WRONGTYPE")),
    ("BLMPOP 0 1 str LEFT", Some("WRONGTYPE")),
    // Hashes.
    ("HINCRBY hash f 1", Some("ERR hash value is not an integer")),
    ("HINCRBY hash n 1", Some("ERR increment or decrement would overflow")),
    ("HINCRBY hash f abc", Some("ERR value is not an integer or out of range")),
    ("HINCRBYFLOAT hash fl 1e4932", Some("ERR increment would produce NaN or Infinity")),
    ("HINCRBYFLOAT hash fi 1", Some("ERR increment would produce NaN or Infinity")),
    ("HINCRBYFLOAT hash fl inf", Some("ERR value is NaN or Infinity")),
    ("HINCRBYFLOAT hash f 1", Some("ERR hash value is not a float")),
    ("HINCRBY str f 1", Some("WRONGTYPE")),
    ("HINCRBYFLOAT str f 1", Some("WRONGTYPE")),
    ("HSET str f v", Some("WRONGTYPE")),
    ("HMSET str f v", Some("WRONGTYPE")),
    ("HSETNX hash f v", None),
    ("HSETNX str f v", Some("WRONGTYPE")),
    ("HDEL str f", Some("WRONGTYPE")),
    ("HDEL hash zz", None),
    ("HDEL nokey f", None),
    // Sets.
    ("SADD str a", Some("WRONGTYPE")),
    ("SADD set a", None),
    ("SREM str a", Some("WRONGTYPE")),
    ("SREM set zz", None),
    ("SREM nokey a", None),
    ("SMOVE str set a", Some("WRONGTYPE")),
    ("SMOVE set str a", Some("WRONGTYPE")),
    ("SMOVE set set2 zz", None),
    ("SMOVE set set a", None),
    ("SMOVE nokey set a", None),
    ("SPOP str", Some("WRONGTYPE")),
    ("SPOP nokey", None),
    ("SPOP set 0", None),
    ("SPOP nokey 2", None),
    ("SINTERSTORE dst str", Some("WRONGTYPE")),
    ("SUNIONSTORE dst str", Some("WRONGTYPE")),
    ("SDIFFSTORE nodst nokey", None),
    ("SINTERSTORE nodst set nokey", None),
    ("SINTERSTORE nodst set set2", None),
    // Read-only commands on sources: not even their watchers are told.
    ("SUNION set", None),
    ("SINTER set set2", None),
    ("SDIFF set set2", None),
    ("SINTERCARD 2 set set", None),
    ("ZUNION 1 zset", None),
    ("ZINTER 2 zset zset", None),
    ("ZDIFF 2 zset zinf", None),
    ("ZINTERCARD 2 zset zset", None),
    // Sorted sets.
    ("ZADD zset NX 5 a", None),
    ("ZADD zset XX 5 zz", None),
    ("ZADD zset GT 0 a", None),
    ("ZADD zset LT 5 a", None),
    ("ZADD zset 1 a", None),
    ("ZADD zset GT CH 0 a", None),
    ("ZADD zset NX INCR 5 a", None),
    ("ZADD zset XX 1 a 2 b", None),
    ("ZADD zinf INCR -inf m", Some("ERR resulting score is not a number (NaN)")),
    ("ZADD str 1 a", Some("WRONGTYPE")),
    ("ZINCRBY zset abc a", Some("ERR value is not a valid float")),
    ("ZINCRBY zset 0 a", None),
    ("ZINCRBY str 1 a", Some("WRONGTYPE")),
    ("ZINCRBY zinf -inf m", Some("ERR resulting score is not a number (NaN)")),
    ("ZREM zset zz", None),
    ("ZREM str a", Some("WRONGTYPE")),
    ("ZREM nokey a", None),
    ("ZREMRANGEBYSCORE zset 100 200", None),
    ("ZREMRANGEBYRANK zset 10 20", None),
    ("ZREMRANGEBYLEX zset [x [y", None),
    ("ZREMRANGEBYSCORE str 0 1", Some("WRONGTYPE")),
    ("ZPOPMIN str", Some("WRONGTYPE")),
    ("ZPOPMIN nokey", None),
    ("ZPOPMAX zset 0", None),
    ("ZMPOP 1 str MIN", Some("WRONGTYPE")),
    ("ZMPOP 1 nokey MIN", None),
    ("BZPOPMIN str 0", Some("WRONGTYPE")),
    ("ZUNIONSTORE dst 1 str", Some("WRONGTYPE")),
    ("ZINTERSTORE nodst 2 zset nokey", None),
    ("ZRANGESTORE dst str 0 -1", Some("WRONGTYPE")),
    ("ZRANGESTORE nodst zset 10 20", None),
    ("ZDIFFSTORE nodst 1 nokey", None),
    ("GEOADD str 1 1 m", Some("WRONGTYPE")),
    ("GEOADD geo NX 13.361389 38.115556 m", None),
    ("GEOADD geo 13.361389 38.115556 m", None),
    ("GEOSEARCHSTORE dst str FROMLONLAT 0 0 BYRADIUS 1 km", Some("WRONGTYPE")),
    ("GEOSEARCHSTORE nodst geo FROMLONLAT 0 0 BYRADIUS 1 km", None),
    ("GEORADIUS str 0 0 1 km STORE dst", Some("WRONGTYPE")),
    // Streams.
    ("XADD stream 1-0 f v", Some("ERR The ID specified in XADD is equal or smaller")),
    ("XADD stream 0-1 f v", Some("ERR The ID specified in XADD is equal or smaller")),
    ("XADD str * f v", Some("WRONGTYPE")),
    ("XADD nokey NOMKSTREAM * f v", None),
    ("XADD str NOMKSTREAM * f v", Some("WRONGTYPE")),
    ("XACK str g 1-0", Some("WRONGTYPE")),
    ("XACK stream g 99-0", None),
    ("XACK stream nogroup 1-0", None),
    ("XACK nokey g 1-0", None),
    ("XDEL str 1-0", Some("WRONGTYPE")),
    ("XDEL stream 99-0", None),
    ("XDEL stream 1-0 bad", Some("ERR Invalid stream ID")),
    ("XDEL nokey 1-0", None),
    ("XTRIM str MAXLEN 0", Some("WRONGTYPE")),
    ("XTRIM stream MAXLEN 100", None),
    ("XTRIM nokey MAXLEN 0", None),
    ("XGROUP CREATE str g $", Some("WRONGTYPE")),
    ("XGROUP CREATE stream g $", Some("BUSYGROUP Consumer Group name already exists")),
    ("XGROUP CREATE stream g2 bad", Some("ERR Invalid stream ID")),
    ("XGROUP CREATE nokey g $", Some("ERR The XGROUP subcommand requires the key to exist")),
    ("XGROUP DESTROY stream nogroup", None),
    ("XGROUP DESTROY str g", Some("WRONGTYPE")),
    ("XGROUP CREATECONSUMER stream g alice", None),
    ("XGROUP CREATECONSUMER str g alice", Some("WRONGTYPE")),
    ("XGROUP CREATECONSUMER stream nogroup bob", Some("NOGROUP")),
    ("XGROUP DELCONSUMER stream g nobody", None),
    ("XGROUP SETID stream nogroup $", Some("NOGROUP No such consumer group 'nogroup'")),
    ("XGROUP SETID stream g bad", Some("ERR Invalid stream ID")),
    ("XGROUP SETID str g $", Some("WRONGTYPE")),
    ("XSETID stream 0-1", Some("ERR The ID specified in XSETID is smaller than the target")),
    ("XSETID str 1-0", Some("WRONGTYPE")),
    ("XCLAIM str g c 0 1-0", Some("WRONGTYPE")),
    ("XCLAIM stream g c 0 99-0", None),
    ("XAUTOCLAIM str g c 0 0", Some("WRONGTYPE")),
    ("XREADGROUP GROUP g alice STREAMS str >", Some("WRONGTYPE")),
    ("XREADGROUP GROUP nogroup alice STREAMS stream >", Some("NOGROUP")),
    ("XREADGROUP GROUP g alice STREAMS stream >", None),
    // Bitmaps.
    ("SETBIT bits 0 2", Some("ERR bit is not an integer or out of range")),
    ("SETBIT bits 7 1", None),
    ("SETBIT list 0 1", Some("WRONGTYPE")),
    ("BITFIELD bits OVERFLOW FAIL INCRBY u2 0 10", None),
    ("BITFIELD bits SET u8 0 abc", Some("ERR value is not an integer or out of range")),
    ("BITFIELD list SET u8 0 1", Some("WRONGTYPE")),
    ("BITFIELD bits GET u8 0", None),
    ("BITFIELD nokey GET u8 0", None),
    ("BITOP AND dst list", Some("WRONGTYPE")),
    ("BITOP AND nodst nokey", None),
    // HyperLogLogs.
    ("PFADD str a", Some("WRONGTYPE Key is not a valid HyperLogLog string value.")),
    ("PFADD hll a", None),
    ("PFADD hll", None),
    ("PFADD list a", Some("WRONGTYPE Operation against a key")),
    ("PFMERGE hll str", Some("WRONGTYPE Key is not a valid HyperLogLog string value.")),
    ("PFMERGE nodst str", Some("WRONGTYPE Key is not a valid HyperLogLog string value.")),
    ("PFCOUNT str", Some("WRONGTYPE Key is not a valid HyperLogLog string value.")),
    ("PFDEBUG ENCODING hll", None),
    ("PFDEBUG DECODE hll", None),
    ("PFDEBUG GETREG str", Some("WRONGTYPE Key is not a valid HyperLogLog string value.")),
    // Keys.
    ("EXPIRE ttl 100 NX", None),
    ("EXPIRE plain 100 XX", None),
    ("EXPIRE plain 100 GT", None),
    ("EXPIRE nokey 100", None),
    ("PEXPIRE ttl 100 NX", None),
    ("EXPIREAT ttl 9999999999 NX", None),
    ("EXPIRE ttl 100000 LT", None),
    ("EXPIRE str abc", Some("ERR value is not an integer or out of range")),
    ("PERSIST plain", None),
    ("PERSIST nokey", None),
    ("RENAME nokey x", Some("ERR no such key")),
    ("RENAMENX nokey x", Some("ERR no such key")),
    ("RENAMENX str plain", None),
    ("RENAME str str", None),
    ("RENAMENX str str", None),
    ("MOVE str 1", None),
    ("MOVE nokey 1", None),
    ("MOVE str 0", Some("ERR source and destination objects are the same")),
    ("COPY str plain", None),
    ("COPY nokey x", None),
    ("COPY str str", Some("ERR source and destination objects are the same")),
    ("COPY str str DB 1", None),
    ("SORT str STORE dst", Some("WRONGTYPE")),
    ("SORT nokey STORE nodst", None),
    ("SORT list STORE dst", Some("ERR One or more scores can't be converted into double")),
    ("SORT list ALPHA", None),
    ("DEL nokey", None),
    ("UNLINK nokey", None),
    // Bloom filters: RedisBloom is no part of Redis 7.0.15, so these are Aegisr's refusals,
    // which change nothing either.
    ("BF.ADD str x", Some("WRONGTYPE")),
    ("BF.MADD str x", Some("WRONGTYPE")),
    ("BF.INSERT str ITEMS x", Some("WRONGTYPE")),
    ("BF.RESERVE str 0.01 100", Some("WRONGTYPE")),
    ("BF.RESERVE bf 0.01 100", Some("ERR item exists")),
];

/// The keys the refused writes use, which a transaction watches around each of them.
const CASE_KEYS: &[&str] = &[
    "str", "num", "fl", "fi", "plain", "ttl", "list", "hash", "set", "set2", "zset", "zinf", "stream", "hll", "bits",
    "geo", "nokey", "dst", "nodst", "x", "bf",
];

/// Whether the transaction `watcher` watches still runs: EXEC of a PING answers `[PONG]`,
/// or nil once a watched key was changed.
fn exec_runs(watcher: &mut redis::Connection) -> bool {
    assert_eq!(run::<String>(watcher, &["MULTI"]), "OK");
    assert_eq!(run::<String>(watcher, &["PING"]), "QUEUED");
    match run::<redis::Value>(watcher, &["EXEC"]) {
        redis::Value::Array(replies) => replies.len() == 1,
        redis::Value::Nil => false,
        other => panic!("EXEC answered {other:?}"),
    }
}

/// Runs `args` on `con`; its error as the server wrote it (`ERR ...`), if it failed.
fn outcome(con: &mut redis::Connection, args: &[Vec<u8>]) -> Option<String> {
    let mut cmd = redis::cmd(std::str::from_utf8(&args[0]).unwrap());
    for arg in &args[1..] {
        cmd.arg(&arg[..]);
    }
    cmd.query::<redis::Value>(con)
        .err()
        .map(|e| format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or("")).trim_end().to_owned())
}

#[test]
fn refused_and_no_op_writes_are_not_propagated() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let mut watcher = server.sync_conn();
    for args in [
        &["SET", "str", "abc"][..],
        &["SET", "num", "9223372036854775807"],
        // Past a double but not a long double, which Redis's float increments use.
        &["SET", "fl", "1e4932"],
        &["SET", "fi", "inf"],
        &["SET", "plain", "x"],
        &["SET", "ttl", "x", "EX", "1000"],
        &["SET", "k", "abc"],
        &["RPUSH", "list", "a", "b", "c"],
        &["HSET", "hash", "f", "abc", "n", "9223372036854775807", "fl", "1e4932", "fi", "inf"],
        &["SADD", "set", "a", "b"],
        &["SADD", "set2", "c"],
        &["ZADD", "zset", "1", "a", "2", "b"],
        &["ZADD", "zinf", "inf", "m"],
        &["XADD", "stream", "1-0", "f", "v"],
        &["XGROUP", "CREATE", "stream", "g", "$"],
        &["XGROUP", "CREATECONSUMER", "stream", "g", "alice"],
        &["PFADD", "hll", "a", "b"],
        &["SETBIT", "bits", "7", "1"],
        &["GEOADD", "geo", "13.361389", "38.115556", "m"],
        &["SELECT", "1"],
        &["SET", "str", "other"],
        &["SELECT", "0"],
    ] {
        let _: redis::Value = run(&mut con, args);
    }
    let payload: Vec<u8> = run(&mut con, &["DUMP", "plain"]);
    let mut raw = attach_replica(&server);
    // A bloom filter cannot go in the RDB file a replica loads: made once the stream runs.
    let _: i64 = run(&mut con, &["BF.ADD", "bf", "x"]);
    assert_eq!(next_write(&mut raw), ["SELECT", "0"]);
    assert_eq!(next_write(&mut raw), ["BF.ADD", "bf", "x"]);

    let words = |line: &str| -> Vec<Vec<u8>> {
        line.split(' ').map(|w| if w == "\"\"" { Vec::new() } else { w.as_bytes().to_vec() }).collect()
    };
    let bytes = |args: &[&str]| -> Vec<Vec<u8>> { args.iter().map(|a| a.as_bytes().to_vec()).collect() };
    let mut cases: Vec<(Vec<Vec<u8>>, Option<&str>)> =
        REFUSED_OR_NO_OP.iter().map(|&(line, error)| (words(line), error)).collect();
    let mut restore = bytes(&["RESTORE", "str", "0"]);
    restore.push(payload);
    cases.push((restore, Some("BUSYKEY Target key name already exists.")));
    // A script's refused writes: it propagates only its effects, here none.
    let script = "redis.pcall('incr', KEYS[1]); redis.pcall('sadd', KEYS[2], 'a'); return 1";
    cases.push((bytes(&["EVAL", script, "2", "str", "set"]), None));
    cases.push((bytes(&["EVAL", "return redis.call('sort', KEYS[1], 'alpha')", "1", "list"]), None));

    // Every difference from Redis, reported together at the end.
    let mut wrong = Vec::new();
    for (args, error) in &cases {
        let shown: Vec<String> = args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        let keys: Vec<&str> =
            CASE_KEYS.iter().copied().filter(|k| args[1..].iter().any(|a| a == k.as_bytes())).collect();
        let _: () = run(&mut watcher, &[&["WATCH"][..], &keys].concat());
        let got = outcome(&mut con, args);
        let as_redis = match (error, &got) {
            (Some(prefix), Some(text)) => text.starts_with(prefix),
            (None, None) => true,
            _ => false,
        };
        if !as_redis {
            wrong.push(format!("{shown:?} answered {got:?}, Redis {error:?}"));
        }
        if !exec_runs(&mut watcher) {
            wrong.push(format!("{shown:?} aborted a transaction watching {keys:?}"));
        }
    }
    // A transaction of refused writes, and one of reads: nothing to propagate.
    let _: redis::Value = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("str")
        .cmd("SADD")
        .arg("set")
        .arg("a")
        .query(&mut con)
        .unwrap_or(redis::Value::Nil);
    let _: redis::Value =
        redis::pipe().atomic().cmd("GET").arg("str").cmd("SORT").arg("list").arg("ALPHA").query(&mut con).unwrap();
    // LTRIM keeping the whole list: Redis signals the key (the watcher's EXEC fails) but
    // adds nothing to `server.dirty`, so it is not propagated.
    let _: () = run(&mut watcher, &["WATCH", "list"]);
    let _: () = run(&mut con, &["LTRIM", "list", "0", "-1"]);
    if exec_runs(&mut watcher) {
        wrong.push("LTRIM list 0 -1 did not tell the list's watchers".to_owned());
    }

    // Nothing of the above reached the stream: the marker comes next.
    let _: () = run(&mut con, &["SET", "marker", "1"]);
    loop {
        let command = next_write(&mut raw);
        if command == ["SET", "marker", "1"] {
            break;
        }
        wrong.push(format!("propagated {command:?}"));
    }
    assert!(wrong.is_empty(), "{} differences from Redis:\n{}", wrong.len(), wrong.join("\n"));

    // A refused write on a watched key leaves the transaction watching it to run.
    let _: () = run(&mut watcher, &["WATCH", "k"]);
    assert_eq!(fail(&mut con, &["INCR", "k"]), "ERR value is not an integer or out of range");
    let _: () = run(&mut watcher, &["MULTI"]);
    let _: String = run(&mut watcher, &["SET", "x", "1"]);
    assert_eq!(run::<Option<Vec<String>>>(&mut watcher, &["EXEC"]), Some(vec!["OK".to_owned()]));
    assert_eq!(next_write(&mut raw), ["SET", "x", "1"]);
    assert_eq!(get(&mut con, "k").as_deref(), Some("abc"));
}

#[test]
fn a_redis_replica_whose_link_broke_continues_without_a_new_file() {
    let (_server, mut con, redis) = node_with_a_redis_replica();
    let mut replica = redis.conn();
    write_a_bit_of_everything(&mut con, "first");
    assert_eq!(run::<i64>(&mut con, &["WAIT", "1", "10000"]), 1);
    // The link breaks; writes go on meanwhile, in another database too.
    assert_eq!(run::<i64>(&mut con, &["CLIENT", "KILL", "TYPE", "replica"]), 1);
    write_a_bit_of_everything(&mut con, "while-away");
    // The replica comes back with PSYNC and continues its stream.
    assert!(
        wait_until(Duration::from_secs(20), || info_field(&mut con, "stats", "sync_partial_ok") == "1"),
        "no partial resync: {}",
        run::<String>(&mut con, &["INFO", "stats"])
    );
    assert_eq!(info_field(&mut con, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut con, "stats", "sync_partial_err"), "0");
    write_a_bit_of_everything(&mut con, "after");
    assert_eq!(run::<i64>(&mut con, &["WAIT", "1", "10000"]), 1);
    assert_replica_has_the_same(&mut con, &mut replica);
    assert_eq!(info_field(&mut replica, "replication", "master_link_status"), "up");
}

/// The file a raw SYNC/PSYNC client is sent first (its length, then the bytes).
fn skip_file(raw: &mut RawConn) {
    let header = raw.read_line();
    let len: usize = header.trim_end().strip_prefix('$').and_then(|n| n.parse().ok()).expect(&header);
    raw.read_exact_len(len);
}

/// One command of the stream, with its size on the wire.
fn next_command_sized(raw: &mut RawConn) -> (Vec<String>, u64) {
    let command = next_command(raw);
    let size = wire_len(&command);
    (command, size)
}

/// The size of `args` on the wire, as a RESP array of bulk strings.
fn wire_len<A: AsRef<str>>(args: &[A]) -> u64 {
    let bulks: usize = args.iter().map(|a| format!("${}\r\n", a.as_ref().len()).len() + a.as_ref().len() + 2).sum();
    (format!("*{}\r\n", args.len()).len() + bulks) as u64
}

#[test]
fn psync_continues_a_stream_at_any_command_it_ended_with() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let mut raw = server.raw();
    raw.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    raw.command(&[b"PSYNC", b"?", b"-1"]);
    let fullresync = raw.read_line();
    let parts: Vec<String> = fullresync.trim_end().split(' ').map(str::to_owned).collect();
    assert_eq!(parts[0], "+FULLRESYNC", "{fullresync}");
    let (replid, start): (String, u64) = (parts[1].clone(), parts[2].parse().unwrap());
    skip_file(&mut raw);
    // Several writes in one go, so they may reach the stream in one write.
    let _: () = redis::pipe()
        .cmd("SET")
        .arg("a")
        .arg("1")
        .cmd("SET")
        .arg("b")
        .arg("2")
        .cmd("SET")
        .arg("c")
        .arg("3")
        .query(&mut con)
        .unwrap();
    let mut offset = start;
    let mut sizes = Vec::new();
    for expected in [vec!["SELECT", "0"], vec!["SET", "a", "1"], vec!["SET", "b", "2"], vec!["SET", "c", "3"]] {
        let (command, size) = next_command_sized(&mut raw);
        assert_eq!(command, expected);
        offset += size;
        sizes.push(offset);
    }
    drop(raw);
    // After `SET a`: the rest of the stream, with no file and no SELECT (0 is selected).
    let mut again = server.raw();
    again.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    again.command(&[b"PSYNC", replid.as_bytes(), (sizes[1] + 1).to_string().as_bytes()]);
    assert_eq!(again.read_line(), format!("+CONTINUE {replid}\r\n"));
    assert_eq!(next_command(&mut again), ["SET", "b", "2"]);
    assert_eq!(next_command(&mut again), ["SET", "c", "3"]);
    let _: () = run(&mut con, &["SET", "d", "4"]);
    assert_eq!(next_command(&mut again), ["SET", "d", "4"]);
    let mut con2 = server.sync_conn();
    assert_eq!(info_field(&mut con2, "stats", "sync_partial_ok"), "1");
    drop(again);

    // Inside a command, past the end, another id: a full sync, counted as refused.
    for (id, at) in
        [(replid.as_str(), sizes[1] + 3), (replid.as_str(), sizes[3] + 10_000), ("f".repeat(40).as_str(), sizes[1] + 1)]
    {
        let mut other = server.raw();
        other.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        other.command(&[b"PSYNC", id.as_bytes(), at.to_string().as_bytes()]);
        let reply = other.read_line();
        assert!(reply.starts_with("+FULLRESYNC "), "{id} {at}: {reply}");
        assert!(!reply.contains(&replid), "a full sync starts a stream of its own: {reply}");
    }
    assert_eq!(info_field(&mut con2, "stats", "sync_partial_err"), "3");
    // A failover hand-over is for the master this node follows, and it follows none.
    assert_eq!(
        fail(&mut con2, &["PSYNC", &replid, "1", "FAILOVER"]),
        "ERR PSYNC FAILOVER replid must match my replid."
    );
    // A replica without a master (`?`) is not counted as refused.
    let mut fresh = server.raw();
    fresh.command(&[b"PSYNC", b"?", b"-1"]);
    assert!(fresh.read_line().starts_with("+FULLRESYNC "));
    assert_eq!(info_field(&mut con2, "stats", "sync_partial_err"), "3");
}

#[test]
fn the_backlog_keeps_repl_backlog_size_and_goes_after_repl_backlog_ttl() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let size: Vec<String> = run(&mut con, &["CONFIG", "GET", "repl-backlog-size"]);
    assert_eq!(size, ["repl-backlog-size", "67108864"]);
    assert_eq!(info_field(&mut con, "replication", "repl_backlog_active"), "0");
    let _: () = run(&mut con, &["CONFIG", "SET", "repl-backlog-size", "64kb"]);
    assert_eq!(info_field(&mut con, "replication", "repl_backlog_size"), "65536");
    let mut raw = server.raw();
    raw.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    raw.command(&[b"PSYNC", b"?", b"-1"]);
    let fullresync = raw.read_line();
    let parts: Vec<&str> = fullresync.trim_end().split(' ').collect();
    let (replid, start) = (parts[1].to_owned(), parts[2].parse::<u64>().unwrap());
    skip_file(&mut raw);
    assert_eq!(info_field(&mut con, "replication", "repl_backlog_active"), "1");
    // 300 KB of writes, one at a time: the backlog keeps the newest 64 KB of them.
    let value = "v".repeat(1000);
    for i in 0..300 {
        let _: () = run(&mut con, &["SET", &format!("k{i}"), &value]);
    }
    assert!(wait_until(Duration::from_secs(10), || {
        let held: u64 = info_field(&mut con, "replication", "repl_backlog_histlen").parse().unwrap();
        held > 32 * 1024
    }));
    let held: u64 = info_field(&mut con, "replication", "repl_backlog_histlen").parse().unwrap();
    assert!(held <= 64 * 1024 + 2048, "{held}");
    // So a replica back from the start of its stream can no longer continue it.
    let mut late = server.raw();
    late.command(&[b"PSYNC", replid.as_bytes(), (start + 1).to_string().as_bytes()]);
    assert!(late.read_line().starts_with("+FULLRESYNC "));
    assert_eq!(info_field(&mut con, "stats", "sync_partial_err"), "1");
    // An hour without replicas by default; one second here: then the backlog goes.
    let _: () = run(&mut con, &["CONFIG", "SET", "repl-backlog-ttl", "1"]);
    drop(raw);
    drop(late);
    assert!(
        wait_until(Duration::from_secs(20), || info_field(&mut con, "replication", "repl_backlog_active") == "0"),
        "{}",
        run::<String>(&mut con, &["INFO", "replication"])
    );
    assert_eq!(info_field(&mut con, "replication", "repl_backlog_histlen"), "0");
    // The next replica starts it again.
    let mut next = server.raw();
    next.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    next.command(&[b"PSYNC", b"?", b"-1"]);
    assert!(next.read_line().starts_with("+FULLRESYNC "));
    skip_file(&mut next);
    let _: () = run(&mut con, &["SET", "after", "1"]);
    assert_eq!(next_command(&mut next), ["SELECT", "0"]);
    assert_eq!(next_command(&mut next), ["SET", "after", "1"]);
    assert_eq!(info_field(&mut con, "replication", "repl_backlog_active"), "1");
}

#[test]
fn a_redis_replica_restarted_from_its_own_file_continues_its_stream() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    write_a_bit_of_everything(&mut con, "before");
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    let port = server.resp.port().to_string();
    let args = ["--replicaof", "127.0.0.1", port.as_str(), "--dir", dir_arg];
    let redis = RealRedis::start(&args);
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut con, "replication", "connected_slaves") == "1"));
    write_a_bit_of_everything(&mut con, "first");
    assert_eq!(run::<i64>(&mut con, &["WAIT", "1", "10000"]), 1);
    // The replica stops, saving its data with where it was in the stream (Redis keeps the
    // replication id and offset in its RDB file), while the node takes more writes.
    let _ = redis::cmd("SHUTDOWN").arg("SAVE").query::<()>(&mut redis.conn());
    assert!(wait_until(Duration::from_secs(20), || info_field(&mut con, "replication", "connected_slaves") == "0"));
    drop(redis);
    write_a_bit_of_everything(&mut con, "while-down");
    let redis = RealRedis::start(&args);
    let mut replica = redis.conn();
    assert!(
        wait_until(Duration::from_secs(20), || info_field(&mut con, "stats", "sync_partial_ok") == "1"),
        "{}",
        run::<String>(&mut con, &["INFO", "stats"])
    );
    assert_eq!(info_field(&mut con, "stats", "sync_full"), "1");
    assert_eq!(run::<i64>(&mut con, &["WAIT", "1", "10000"]), 1);
    assert_replica_has_the_same(&mut con, &mut replica);
}

#[test]
fn wait_asks_a_redis_replica_for_its_acknowledgement() {
    let server = TestServer::start();
    let (mut raw, start) = raw_replica(&server);
    let mut client = server.sync_conn();
    let waiter = std::thread::spawn(move || {
        common::set(&mut client, "k", "v");
        run::<i64>(&mut client, &["WAIT", "1", "0"])
    });
    // The write, then at once (not at the replica's next acknowledgement, a second later)
    // the question a Redis master asks when a client waits.
    let mut offset = start;
    for expected in [vec!["SELECT", "0"], vec!["SET", "k", "v"]] {
        let (command, size) = next_command_sized(&mut raw);
        assert_eq!(command, expected);
        offset += size;
    }
    assert_eq!(next_command(&mut raw), ["REPLCONF", "GETACK", "*"]);
    // A Redis replica answers with its offset before the GETACK.
    raw.command(&[b"REPLCONF", b"ACK", offset.to_string().as_bytes()]);
    assert_eq!(waiter.join().unwrap(), 1);
}

/// A raw replica of `server` (PSYNC, the file skipped) and the offset its stream starts at.
fn raw_replica(server: &TestServer) -> (RawConn, u64) {
    let mut raw = server.raw();
    raw.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    raw.command(&[b"PSYNC", b"?", b"-1"]);
    let fullresync = raw.read_line();
    let start: u64 = fullresync.trim_end().rsplit(' ').next().and_then(|o| o.parse().ok()).expect(&fullresync);
    skip_file(&mut raw);
    (raw, start)
}

#[test]
fn shutdown_waits_for_the_replicas_to_acknowledge_everything_written() {
    let mut server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["CONFIG", "SET", "shutdown-timeout", "60"]);
    let (mut raw, mut offset) = raw_replica(&server);
    common::set(&mut con, "k", "v");
    for expected in [vec!["SELECT", "0"], vec!["SET", "k", "v"]] {
        let (command, size) = next_command_sized(&mut raw);
        assert_eq!(command, expected);
        offset += size;
    }
    // SHUTDOWN: the node asks its replica where it is and waits, writes held, reads served.
    let _ = redis::cmd("SHUTDOWN").query::<()>(&mut server.sync_conn());
    let (getack, size) = next_command_sized(&mut raw);
    assert_eq!(getack, ["REPLCONF", "GETACK", "*"]);
    offset += size;
    assert!(server.is_running());
    assert_eq!(common::get(&mut con, "k").as_deref(), Some("v"));
    let mut writer = server.sync_conn();
    let held = std::thread::spawn(move || run::<String>(&mut writer, &["SET", "during", "wait"]));
    // SHUTDOWN ABORT calls it off: the held write goes through and the node serves on.
    assert_eq!(fail(&mut con, &["SHUTDOWN", "ABORT", "NOW"]), "ERR syntax error");
    assert_eq!(run::<String>(&mut con, &["SHUTDOWN", "ABORT"]), "OK");
    assert_eq!(held.join().unwrap(), "OK");
    assert_eq!(fail(&mut con, &["SHUTDOWN", "ABORT"]), "ERR No shutdown in progress.");
    assert_eq!(next_command(&mut raw), ["SET", "during", "wait"]);
    offset += wire_len(&["SET", "during", "wait"]);
    // Again, and this time the replica answers: the node stops once it has everything.
    let _ = redis::cmd("SHUTDOWN").query::<()>(&mut server.sync_conn());
    let (getack, _) = next_command_sized(&mut raw);
    assert_eq!(getack, ["REPLCONF", "GETACK", "*"]);
    assert!(server.is_running());
    raw.command(&[b"REPLCONF", b"ACK", offset.to_string().as_bytes()]);
    assert!(server.wait_exit().success());

    // SHUTDOWN NOW does not wait.
    let mut server = TestServer::start();
    let _: () = run(&mut server.sync_conn(), &["CONFIG", "SET", "shutdown-timeout", "60"]);
    let (_replica, _) = raw_replica(&server);
    common::set(&mut server.sync_conn(), "k", "v");
    let _ = redis::cmd("SHUTDOWN").arg("NOW").query::<()>(&mut server.sync_conn());
    assert!(server.wait_exit().success());
}

#[test]
fn failover_hands_the_node_over_to_its_redis_replica_without_losing_a_write() {
    let (_server, mut con, redis) = node_with_a_redis_replica();
    let mut replica = redis.conn();
    write_a_bit_of_everything(&mut con, "first");
    let port = redis.port.to_string();
    assert_eq!(
        fail(&mut con, &["FAILOVER", "TO", "127.0.0.1", "1"]),
        "ERR FAILOVER target HOST and PORT is not a replica."
    );
    assert_eq!(
        fail(&mut con, &["FAILOVER", "TO", "127.0.0.1", &port, "FORCE"]),
        "ERR FAILOVER with force option requires both a timeout and target HOST and IP."
    );
    assert_eq!(fail(&mut con, &["FAILOVER", "ABORT"]), "ERR No failover in progress.");
    // Writes right before it are not lost: the replica takes over once it has them all.
    common::set(&mut con, "last", "write");
    assert_eq!(run::<String>(&mut con, &["FAILOVER", "TO", "127.0.0.1", &port, "TIMEOUT", "20000"]), "OK");
    assert!(
        wait_until(Duration::from_secs(20), || info_field(&mut replica, "replication", "role") == "master"
            && info_field(&mut con, "replication", "role") == "slave"
            && info_field(&mut con, "replication", "master_link_status") == "up"
            && info_field(&mut con, "replication", "master_failover_state") == "no-failover"),
        "node: {}\nreplica: {}",
        run::<String>(&mut con, &["INFO", "replication"]),
        run::<String>(&mut replica, &["INFO", "replication"])
    );
    assert_eq!(info_field(&mut con, "replication", "master_port"), port);
    // No file went either way: the node continued the replica's stream.
    assert_eq!(info_field(&mut replica, "stats", "sync_partial_ok"), "1");
    assert_eq!(info_field(&mut replica, "stats", "sync_full"), "0");
    assert_eq!(common::get(&mut replica, "last").as_deref(), Some("write"));
    // The new primary's writes reach the node, which refuses its clients' own.
    common::set(&mut replica, "after", "failover");
    assert!(wait_until(Duration::from_secs(10), || common::get(&mut con, "after").as_deref() == Some("failover")));
    assert!(fail(&mut con, &["SET", "x", "1"]).starts_with("READONLY"));
    assert_replica_has_the_same(&mut replica, &mut con);
}

#[test]
fn a_failover_waiting_for_its_replica_holds_writes_until_aborted_or_timed_out() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // A replica that never acknowledges.
    let (_replica, _) = raw_replica(&server);
    common::set(&mut con, "k", "v");
    assert_eq!(run::<String>(&mut con, &["FAILOVER"]), "OK");
    assert_eq!(info_field(&mut con, "replication", "master_failover_state"), "waiting-for-sync");
    assert_eq!(fail(&mut con, &["FAILOVER"]), "ERR FAILOVER already in progress.");
    let mut writer = server.sync_conn();
    let held = std::thread::spawn(move || run::<String>(&mut writer, &["SET", "during", "failover"]));
    assert_eq!(fail(&mut con, &["FAILOVER", "ABORT", "TIMEOUT", "10"]), "ERR syntax error");
    assert_eq!(run::<String>(&mut con, &["FAILOVER", "ABORT"]), "OK");
    assert_eq!(held.join().unwrap(), "OK");
    assert!(wait_until(Duration::from_secs(10), || info_field(&mut con, "replication", "master_failover_state")
        == "no-failover"));
    assert_eq!(info_field(&mut con, "replication", "role"), "master");
    // With a timeout, the failover is called off when it runs out.
    assert_eq!(run::<String>(&mut con, &["FAILOVER", "TIMEOUT", "200"]), "OK");
    assert!(wait_until(Duration::from_secs(10), || info_field(&mut con, "replication", "master_failover_state")
        == "no-failover"));
    assert_eq!(info_field(&mut con, "replication", "role"), "master");
    common::set(&mut con, "still", "primary");
}
