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

#[test]
fn a_redis_replica_gets_the_dataset_then_every_write() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    write_a_bit_of_everything(&mut con, "before");
    let redis = RealRedis::start(&["--replicaof", "127.0.0.1", &server.resp.port().to_string()]);
    let mut replica = redis.conn();
    assert!(
        wait_until(Duration::from_secs(20), || info_field(&mut con, "replication", "connected_slaves") == "1"),
        "the replica never came online"
    );
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
