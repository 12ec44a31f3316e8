//! Keys come over from a real Redis: its DUMP payloads (RDB values in every encoding Redis
//! 7.0 writes: listpacks, intsets, quicklists, hash tables, skiplists, LZF-compressed and
//! integer strings, streams with consumer groups) RESTORE into Aegisr as the same values,
//! and Redis's own MIGRATE moves keys into Aegisr. Damaged payloads get Redis's errors.
//! Uses redis-server (the redis-tools package `.ci/run` installs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{RealRedis, TestServer, run};
use redis::Value;

/// Commands that build, in Redis, a key of every type in its small and large encodings.
fn build(con: &mut redis::Connection) {
    let writes: &[&[&str]] = &[
        &["SET", "str", "hello"],
        &["SET", "int", "-12345"],
        &["SET", "int8", "7"],
        &["SET", "int32", "2000000000"],
        &["RPUSH", "list:small", "a", "b", "1", "-2", "70000"],
        &["SADD", "set:ints", "1", "2", "-3", "100000"],
        &["SADD", "set:small", "x", "y", "z"],
        &["HSET", "hash:small", "f1", "v1", "f2", "22"],
        &["ZADD", "zset:small", "1.5", "a", "-2", "b", "inf", "c", "3", "d"],
        &["PFADD", "hll", "a", "b", "c"],
        &["SETBIT", "bits", "1000", "1"],
        &["XADD", "stream", "1-1", "f", "v", "g", "w"],
        &["XADD", "stream", "1-2", "f", "v2", "g", "w2"],
        &["XADD", "stream", "2-0", "other", "field"],
        &["XADD", "stream", "3-0", "f", "v3", "g", "w3"],
        &["XDEL", "stream", "1-2"],
        &["XGROUP", "CREATE", "stream", "grp", "0"],
        &["XREADGROUP", "GROUP", "grp", "alice", "COUNT", "2", "STREAMS", "stream", ">"],
        &["XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM"],
    ];
    for args in writes {
        let _: Value = run(con, args);
    }
    // Large ones: past the listpack limits (512 hash fields), and strings long and repetitive enough for
    // Redis to compress them with LZF.
    let mut pipe = redis::pipe();
    pipe.cmd("SET").arg("compressed").arg("abcdefgh".repeat(500)).ignore();
    for i in 0..600 {
        pipe.cmd("RPUSH").arg("list:big").arg(format!("element-{i}")).ignore();
        pipe.cmd("SADD").arg("set:big").arg(format!("member-{i}")).ignore();
        pipe.cmd("SADD").arg("set:bigints").arg(i * 7).ignore();
        pipe.cmd("HSET").arg("hash:big").arg(format!("field-{i}")).arg(format!("value-{i}")).ignore();
        pipe.cmd("ZADD").arg("zset:big").arg(f64::from(i) / 3.0).arg(format!("m{i}")).ignore();
    }
    pipe.cmd("RPUSH").arg("list:big").arg("x".repeat(10_000)).ignore();
    let _: () = pipe.query(con).unwrap();
}

/// What a key holds, read the same way from either server.
fn read(con: &mut redis::Connection, key: &str) -> Value {
    let kind: String = run(con, &["TYPE", key]);
    let args: Vec<&str> = match kind.as_str() {
        "string" => vec!["GET", key],
        "list" => vec!["LRANGE", key, "0", "-1"],
        "set" => vec!["SORT", key, "ALPHA"],
        "hash" => vec!["HGETALL", key],
        "zset" => vec!["ZRANGE", key, "0", "-1", "WITHSCORES"],
        "stream" => vec!["XINFO", "STREAM", key, "FULL"],
        other => panic!("{key} is a {other}"),
    };
    let mut value: Value = run(con, &args);
    if kind == "zset" {
        // Redis 7.0 writes scores with 17 digits, Aegisr as 7.2 does (the shortest form
        // that reads back the same): compare the numbers.
        if let Value::Array(items) = &mut value {
            for score in items.iter_mut().skip(1).step_by(2) {
                if let Value::BulkString(text) = score {
                    let number: f64 = String::from_utf8_lossy(text).parse().unwrap();
                    *text = number.to_string().into_bytes();
                }
            }
        }
    }
    if kind == "hash" {
        // Field order is the encoding's: compare as a sorted list of pairs.
        if let Value::Array(items) = &mut value {
            let mut pairs: Vec<Vec<Value>> = items.chunks(2).map(<[Value]>::to_vec).collect();
            pairs.sort_by_key(|p| format!("{p:?}"));
            value = Value::Array(pairs.into_iter().flatten().collect());
        }
    }
    value
}

#[test]
fn redis_dump_payloads_restore_as_the_same_values() {
    let redis = RealRedis::start(&[]);
    let mut source = redis.conn();
    build(&mut source);
    let server = TestServer::start();
    let mut target = server.sync_conn();
    let keys: Vec<String> = run(&mut source, &["KEYS", "*"]);
    assert_eq!(keys.len(), 19);
    for key in &keys {
        let payload: Vec<u8> = run(&mut source, &["DUMP", key]);
        let _: () = redis::cmd("RESTORE").arg(key).arg(0).arg(&payload).query(&mut target).unwrap_or_else(|e| {
            panic!("RESTORE of Redis's {key} ({} bytes): {e}", payload.len());
        });
        // Not assert_eq: a large value would fill the log.
        assert!(read(&mut target, key) == read(&mut source, key), "{key} differs after RESTORE");
    }
    // Encodings follow Aegisr's own limits, as Redis's loading follows its.
    assert_eq!(run::<String>(&mut target, &["OBJECT", "ENCODING", "set:ints"]), "intset");
    assert_eq!(run::<String>(&mut target, &["OBJECT", "ENCODING", "hash:big"]), "hashtable");
    // The stream's group and pending entries came along.
    let pending: Vec<Value> = run(&mut target, &["XPENDING", "stream", "grp"]);
    assert_eq!(pending[0], Value::Int(2));
    // New entries follow the last ID Redis had.
    let id: String = run(&mut target, &["XADD", "stream", "3-*", "new", "1"]);
    assert_eq!(id, "3-1");
}

#[test]
fn redis_migrates_keys_into_aegisr() {
    let redis = RealRedis::start(&[]);
    let mut source = redis.conn();
    build(&mut source);
    let expected = read(&mut source, "zset:big");
    let server = TestServer::start();
    let port = server.url().rsplit(':').next().unwrap().trim_end_matches('/').to_owned();
    let moved: String = run(
        &mut source,
        &["MIGRATE", "127.0.0.1", &port, "", "0", "5000", "KEYS", "zset:big", "stream", "compressed", "hash:small"],
    );
    assert_eq!(moved, "OK");
    assert_eq!(run::<i64>(&mut source, &["EXISTS", "zset:big", "stream", "compressed", "hash:small"]), 0);
    let mut target = server.sync_conn();
    assert!(read(&mut target, "zset:big") == expected, "zset:big differs after MIGRATE");
    assert_eq!(run::<String>(&mut target, &["GET", "compressed"]), "abcdefgh".repeat(500));
    assert_eq!(run::<i64>(&mut target, &["XLEN", "stream"]), 3);
}

#[test]
fn damaged_redis_payloads_get_redis_errors() {
    let redis = RealRedis::start(&[]);
    let mut source = redis.conn();
    build(&mut source);
    let server = TestServer::start();
    let mut target = server.sync_conn();
    for key in ["list:big", "stream", "compressed", "hash:small"] {
        let payload: Vec<u8> = run(&mut source, &["DUMP", key]);
        // A flipped byte in the body: the checksum no longer matches.
        let mut flipped = payload.clone();
        flipped[payload.len() / 2] ^= 0x40;
        let error = redis::cmd("RESTORE").arg(key).arg(0).arg(&flipped).query::<()>(&mut target).unwrap_err();
        assert!(error.to_string().contains("DUMP payload version or checksum are wrong"), "{key}: {error}");
        // A body cut short with a checksum made to match: the body does not decode.
        let body = &payload[..payload.len() - 10];
        let mut cut = body[..body.len() * 2 / 3].to_vec();
        cut.extend_from_slice(&payload[payload.len() - 10..payload.len() - 8]);
        let crc = crc::Crc::<u64>::new(&crc::CRC_64_REDIS).checksum(&cut);
        cut.extend_from_slice(&crc.to_le_bytes());
        let error = redis::cmd("RESTORE").arg(key).arg(0).arg(&cut).query::<()>(&mut target).unwrap_err();
        assert!(error.to_string().contains("Bad data format"), "{key}: {error}");
    }
    assert_eq!(run::<i64>(&mut target, &["DBSIZE"]), 0);
    // A payload of a newer RDB version than 11 is refused as Redis 7.2 refuses it.
    let payload: Vec<u8> = run(&mut source, &["DUMP", "str"]);
    let mut newer = payload[..payload.len() - 10].to_vec();
    newer.extend_from_slice(&12u16.to_le_bytes());
    let crc = crc::Crc::<u64>::new(&crc::CRC_64_REDIS).checksum(&newer);
    newer.extend_from_slice(&crc.to_le_bytes());
    let error = redis::cmd("RESTORE").arg("str").arg(0).arg(&newer).query::<()>(&mut target).unwrap_err();
    assert!(error.to_string().contains("DUMP payload version or checksum are wrong"), "{error}");
}

/// Starting Aegisr on a Redis's data directory loads its dump.rdb (every type, databases,
/// TTLs, function libraries); from then on Aegisr's own files hold the data.
#[test]
fn a_redis_dump_rdb_is_imported_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    let expected: Vec<(String, Value)> = {
        let redis = RealRedis::start(&["--dir", dir_arg, "--dbfilename", "dump.rdb"]);
        let mut source = redis.conn();
        build(&mut source);
        let _: Value = run(&mut source, &["SET", "ttl", "v", "EX", "1000"]);
        let _: Value = run(&mut source, &["SET", "gone", "v", "PX", "1"]);
        let _: Value = run(&mut source, &["SELECT", "5"]);
        let _: Value = run(&mut source, &["SET", "in5", "yes"]);
        let _: Value = run(&mut source, &["SELECT", "0"]);
        let _: Value = run(
            &mut source,
            &["FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 7 end)"],
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        let _: () = run(&mut source, &["SAVE"]);
        let keys: Vec<String> = run(&mut source, &["KEYS", "*"]);
        keys.into_iter().filter(|k| k != "gone").map(|k| (k.clone(), read(&mut source, &k))).collect()
    };
    {
        let mut server = TestServer::start_in(dir.path(), &[]);
        assert!(server.startup_log.iter().any(|l| l.contains("Redis RDB file") && l.contains("imported")));
        let mut target = server.sync_conn();
        assert_eq!(run::<i64>(&mut target, &["DBSIZE"]), expected.len() as i64);
        for (key, value) in &expected {
            assert!(read(&mut target, key) == *value, "{key} differs after the import");
        }
        let ttl: i64 = run(&mut target, &["TTL", "ttl"]);
        assert!((990..=1000).contains(&ttl), "{ttl}");
        assert_eq!(run::<i64>(&mut target, &["FCALL", "f", "0"]), 7);
        let _: () = run(&mut target, &["SELECT", "5"]);
        assert_eq!(run::<String>(&mut target, &["GET", "in5"]), "yes");
        server.kill9();
    }
    // The node's own snapshot holds it all now: the RDB file is not needed (nor read).
    std::fs::remove_file(dir.path().join("dump.rdb")).unwrap();
    let server = TestServer::start_in(dir.path(), &[]);
    let mut target = server.sync_conn();
    assert_eq!(run::<i64>(&mut target, &["DBSIZE"]), expected.len() as i64);
    assert_eq!(run::<i64>(&mut target, &["FCALL", "f", "0"]), 7);
}

#[test]
fn a_damaged_dump_rdb_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    {
        let redis = RealRedis::start(&["--dir", dir_arg, "--dbfilename", "dump.rdb"]);
        let mut source = redis.conn();
        build(&mut source);
        let _: () = run(&mut source, &["SAVE"]);
    }
    let path = dir.path().join("dump.rdb");
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let (status, output) = TestServer::start_failing(dir.path(), &[]);
    assert!(!status.success());
    assert!(output.contains("dump.rdb") && output.contains("will not start on a damaged RDB file"), "{output}");
    // Nothing was written beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_dump_rdb_with_a_key_twice_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    // RDB version 9: database 0, string a = x, string a = y, end, no checksum (zeros).
    let mut file = b"REDIS0009\xfe\x00".to_vec();
    file.extend_from_slice(b"\x00\x01a\x01x\x00\x01a\x01y\xff");
    file.extend_from_slice(&[0; 8]);
    std::fs::write(dir.path().join("dump.rdb"), &file).unwrap();
    let (status, output) = TestServer::start_failing(dir.path(), &[]);
    assert!(!status.success());
    assert!(output.contains("dump.rdb: key 'a' is in the file twice; the node will not start on it"), "{output}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
