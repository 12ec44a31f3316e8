//! `redis-cli --rdb` against Aegisr (REPLCONF rdb-only, then SYNC): the file it receives
//! passes Redis's own checker, and a real Redis loads it with every type, TTL, database and
//! function library as Aegisr held them. Without a journal, replicas proper (SYNC or PSYNC
//! without rdb-only) are told they are not served (`redis_replica.rs` has them served); a
//! value the format cannot hold fails cleanly.
//! Uses redis-cli, redis-check-rdb and redis-server (the redis-tools package `.ci/run`
//! installs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{RealRedis, TestServer, fail, run, wait_until};

/// `redis-cli <mode> FILE` (`--rdb`, `--functions-rdb`) against `server`: its exit status
/// and what it printed.
fn redis_cli_copy(server: &TestServer, mode: &str, file: &Path) -> (bool, String) {
    let url = server.url();
    let out = Command::new("redis-cli").args(["-u", &url, mode]).arg(file).output().expect("redis-cli");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn redis_loads_what_redis_cli_rdb_received() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let writes: &[&[&str]] = &[
        &["SET", "str", "hello"],
        &["SET", "int", "12345"],
        &["SET", "wide", "99999999999"],
        &["SET", "negative", "-7"],
        &["SET", "ttl", "v", "EX", "1000"],
        &["RPUSH", "list", "a", "b", "c", "1", "2"],
        &["SADD", "ints", "1", "2", "3"],
        &["SADD", "set", "x", "y", "1"],
        &["HSET", "hash", "f1", "v1", "f2", "v2"],
        &["ZADD", "zset", "1.5", "a", "2", "b", "-3", "c", "inf", "d"],
        &["PFADD", "hll", "a", "b", "c"],
        &["SETBIT", "bits", "100", "1"],
        &["GEOADD", "geo", "13.361389", "38.115556", "Palermo"],
        &["XADD", "stream", "1-1", "f", "v", "g", "w"],
        &["XADD", "stream", "1-2", "f", "v", "g", "w2"],
        &["XADD", "stream", "5-0", "other", "1"],
        &["XGROUP", "CREATE", "stream", "grp", "0"],
        &["XREADGROUP", "GROUP", "grp", "alice", "COUNT", "2", "STREAMS", "stream", ">"],
        &["XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM"],
        &["SELECT", "3"],
        &["SET", "in3", "yes"],
        &["SELECT", "0"],
        &["FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('f', function() return 1 end)"],
    ];
    for args in writes {
        let _: redis::Value = run(&mut con, args);
    }
    // Enough to take several chunks (1 MB each) of the transfer.
    let mut pipe = redis::pipe();
    for i in 0..30_000 {
        pipe.cmd("SET").arg(format!("bulk:{i}")).arg(format!("{i:0>64}")).ignore();
    }
    let _: () = pipe.query(&mut con).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dump.rdb");
    let (ok, printed) = redis_cli_copy(&server, "--rdb", &file);
    assert!(ok, "{printed}");
    assert!(printed.contains("Transfer finished with success"), "{printed}");
    let check = Command::new("redis-check-rdb").arg(&file).output().expect("redis-check-rdb");
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success() && report.contains("RDB looks OK"), "{report}");

    let dir_arg = dir.path().to_str().unwrap();
    let redis = RealRedis::start(&["--sanitize-dump-payload", "yes", "--dbfilename", "dump.rdb", "--dir", dir_arg]);
    let mut r = redis.client().get_connection().unwrap();
    let db0: i64 = run(&mut r, &["DBSIZE"]);
    assert_eq!(db0, 15 + 30_000);
    let strings: Vec<Option<String>> = run(&mut r, &["MGET", "str", "int", "wide", "negative", "bulk:29999"]);
    assert_eq!(
        strings,
        ["hello", "12345", "99999999999", "-7", &format!("{:0>64}", 29999)].map(|s| Some(s.to_owned()))
    );
    let ttl: i64 = run(&mut r, &["TTL", "ttl"]);
    assert!((990..=1000).contains(&ttl), "{ttl}");
    assert_eq!(run::<Vec<String>>(&mut r, &["LRANGE", "list", "0", "-1"]), ["a", "b", "c", "1", "2"]);
    let mut members: Vec<String> = run(&mut r, &["SMEMBERS", "set"]);
    members.sort();
    assert_eq!(members, ["1", "x", "y"]);
    assert_eq!(run::<String>(&mut r, &["OBJECT", "ENCODING", "ints"]), "intset");
    assert_eq!(run::<Vec<String>>(&mut r, &["HGETALL", "hash"]), ["f1", "v1", "f2", "v2"]);
    assert_eq!(
        run::<Vec<String>>(&mut r, &["ZRANGE", "zset", "0", "-1", "WITHSCORES"]),
        ["c", "-3", "a", "1.5", "b", "2", "d", "inf"]
    );
    assert_eq!(run::<i64>(&mut r, &["PFCOUNT", "hll"]), 3);
    assert_eq!(run::<i64>(&mut r, &["GETBIT", "bits", "100"]), 1);
    let position: Vec<Option<Vec<f64>>> = run(&mut r, &["GEOPOS", "geo", "Palermo"]);
    let position = position[0].clone().unwrap();
    assert!((position[0] - 13.361389).abs() < 1e-5 && (position[1] - 38.115556).abs() < 1e-5);
    assert_eq!(run::<i64>(&mut r, &["XLEN", "stream"]), 3);
    let last: Vec<Vec<redis::Value>> = run(&mut r, &["XREVRANGE", "stream", "+", "-", "COUNT", "1"]);
    assert_eq!(last[0][0], redis::Value::BulkString(b"5-0".to_vec()));
    let pending: Vec<redis::Value> = run(&mut r, &["XPENDING", "stream", "grp"]);
    assert_eq!(pending[0], redis::Value::Int(2));
    let groups: Vec<redis::Value> = run(&mut r, &["XINFO", "GROUPS", "empty"]);
    assert_eq!(groups.len(), 1);
    let _: () = run(&mut r, &["SELECT", "3"]);
    assert_eq!(run::<String>(&mut r, &["GET", "in3"]), "yes");
    assert_eq!(run::<i64>(&mut r, &["FCALL", "f", "0"]), 1);
}

#[test]
fn without_a_journal_only_an_rdb_copy_is_served() {
    let server = TestServer::start_with(&["--appendonly", "no"]);
    let mut con = server.sync_conn();
    let refused = fail(&mut con, &["SYNC"]);
    assert!(refused.starts_with("ERR Aegisr streams its writes to replicas from its append-only journal"), "{refused}");
    let refused = fail(&mut con, &["PSYNC", "?", "-1"]);
    assert!(refused.starts_with("ERR Aegisr streams its writes"), "{refused}");
    assert_eq!(fail(&mut con, &["REPLCONF", "nonsense", "1"]), "ERR Unrecognized REPLCONF option: nonsense");
    assert_eq!(fail(&mut con, &["REPLCONF", "rdb-only"]), "ERR syntax error");
    let _: () = run(&mut con, &["REPLCONF", "listening-port", "6380", "capa", "eof"]);
    // The connection still serves after the refusals.
    let _: () = run(&mut con, &["SET", "k", "v"]);

    // PSYNC after rdb-only: a full resynchronisation, the file in the diskless form, and
    // the connection closes after the end mark.
    let mut raw = server.raw();
    raw.command(&[b"REPLCONF", b"rdb-only", b"1"]);
    assert_eq!(raw.read_line(), "+OK\r\n");
    raw.command(&[b"PSYNC", b"?", b"-1"]);
    let fullresync = raw.read_line();
    let parts: Vec<&str> = fullresync.trim_end().split(' ').collect();
    assert_eq!(parts[0], "+FULLRESYNC", "{fullresync}");
    assert_eq!(parts[1].len(), 40, "{fullresync}");
    assert!(parts[2].parse::<u64>().is_ok(), "{fullresync}");
    let header = raw.read_line();
    let mark = header.strip_prefix("$EOF:").unwrap().trim_end().to_owned();
    assert_eq!(mark.len(), 40);
    let mut file = Vec::new();
    std::io::Read::read_to_end(&mut raw.stream, &mut file).unwrap();
    assert!(file.starts_with(b"REDIS0010"));
    assert!(file.ends_with(mark.as_bytes()));
}

#[test]
fn a_bloom_filter_fails_the_copy_with_a_clear_error() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["SET", "k", "v"]);
    let _: bool = run(&mut con, &["BF.ADD", "filter", "x"]);
    let dir = tempfile::tempdir().unwrap();
    let (ok, printed) = redis_cli_copy(&server, "--rdb", &dir.path().join("dump.rdb"));
    assert!(!ok);
    assert!(printed.contains("key 'filter' is a bloom filter"), "{printed}");
    // Nothing else is harmed: the node serves, and snapshots still run.
    let _: () = run(&mut con, &["SAVE"]);
    assert_eq!(run::<String>(&mut con, &["GET", "k"]), "v");
}

/// A client that asks for the file and stops reading must not hold the export (and the
/// snapshot claim, and the slot images writes encode ahead) for ever: `repl-timeout`.
#[test]
fn a_client_that_stops_reading_is_dropped_after_repl_timeout() {
    let server = TestServer::start_with(&["--persistence", "none"]);
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["CONFIG", "SET", "repl-timeout", "1"]);
    // More than the loopback socket buffers hold, so the transfer stalls.
    let value = "x".repeat(1024);
    let mut pipe = redis::pipe();
    for i in 0..40_000 {
        pipe.cmd("SET").arg(format!("k{i}")).arg(&value).ignore();
    }
    let _: () = pipe.query(&mut con).unwrap();
    let mut raw = server.raw();
    raw.command(&[b"REPLCONF", b"rdb-only", b"1"]);
    assert_eq!(raw.read_line(), "+OK\r\n");
    raw.command(&[b"SYNC"]);
    assert!(raw.read_line().starts_with("$EOF:"));
    // The export counts as a snapshot being written until the stalled client is dropped;
    // writes are served meanwhile.
    let in_progress =
        |con: &mut redis::Connection| run::<String>(con, &["INFO", "persistence"]).contains("rdb_bgsave_in_progress:1");
    assert!(in_progress(&mut con));
    let _: () = run(&mut con, &["SET", "during", "1"]);
    assert!(wait_until(Duration::from_secs(20), || !in_progress(&mut con)), "the stalled transfer was never dropped");
    drop(raw);
}

/// The way out key by key: DUMP payloads restore into a real Redis, and Aegisr's MIGRATE
/// moves keys into one (TTLs and all), every type but bloom filters.
#[test]
fn redis_restores_dump_payloads_and_takes_migrated_keys() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let writes: &[&[&str]] = &[
        &["SET", "str", "hello"],
        &["SET", "int", "-42"],
        &["RPUSH", "list", "a", "b", "1"],
        &["SADD", "set", "x", "1", "2"],
        &["HSET", "hash", "f", "v"],
        &["ZADD", "zset", "1.5", "a", "-inf", "b"],
        &["XADD", "stream", "1-1", "f", "v"],
        &["XGROUP", "CREATE", "stream", "g", "0"],
        &["SET", "ttl", "v", "PX", "100000"],
    ];
    for args in writes {
        let _: redis::Value = run(&mut con, args);
    }
    let redis = RealRedis::start(&["--sanitize-dump-payload", "yes"]);
    let mut r = redis.conn();
    for key in ["str", "int", "list", "set", "hash", "zset", "stream"] {
        let payload: Vec<u8> = run(&mut con, &["DUMP", key]);
        let restored: redis::RedisResult<()> = redis::cmd("RESTORE").arg(key).arg(0).arg(&payload).query(&mut r);
        assert!(restored.is_ok(), "Redis refused Aegisr's DUMP of {key}: {restored:?}");
    }
    assert_eq!(run::<Vec<String>>(&mut r, &["LRANGE", "list", "0", "-1"]), ["a", "b", "1"]);
    assert_eq!(run::<String>(&mut r, &["GET", "int"]), "-42");
    assert_eq!(run::<Vec<String>>(&mut r, &["ZRANGE", "zset", "0", "-1", "WITHSCORES"]), ["b", "-inf", "a", "1.5"]);
    let _: () = run(&mut r, &["FLUSHALL"]);
    let moved: String = run(
        &mut con,
        &["MIGRATE", "127.0.0.1", &redis.port.to_string(), "", "0", "5000", "KEYS", "hash", "stream", "ttl"],
    );
    assert_eq!(moved, "OK");
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "hash", "stream", "ttl"]), 0);
    assert_eq!(run::<Vec<String>>(&mut r, &["HGETALL", "hash"]), ["f", "v"]);
    assert_eq!(run::<i64>(&mut r, &["XLEN", "stream"]), 1);
    let ttl: i64 = run(&mut r, &["PTTL", "ttl"]);
    assert!((90_000..=100_000).contains(&ttl), "{ttl}");
}

/// `redis-cli --functions-rdb` (REPLCONF rdb-filter-only functions): the file holds the
/// function libraries and no keys.
#[test]
fn functions_rdb_holds_only_the_libraries() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["SET", "k", "v"]);
    let _: String =
        run(&mut con, &["FUNCTION", "LOAD", "#!lua name=only\nredis.register_function('g', function() return 3 end)"]);
    assert_eq!(
        fail(&mut con, &["REPLCONF", "rdb-filter-only", "functions keys"]),
        "ERR Unsupported rdb-filter-only option: keys"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dump.rdb");
    let (ok, printed) = redis_cli_copy(&server, "--functions-rdb", &file);
    assert!(ok, "{printed}");
    let dir_arg = dir.path().to_str().unwrap();
    let redis = RealRedis::start(&["--dbfilename", "dump.rdb", "--dir", dir_arg]);
    let mut r = redis.conn();
    assert_eq!(run::<i64>(&mut r, &["DBSIZE"]), 0);
    assert_eq!(run::<i64>(&mut r, &["FCALL", "g", "0"]), 3);
}
