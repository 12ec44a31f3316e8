//! DUMP and RESTORE through a real client, after Redis's own tests (dump.tcl): every type
//! round-trips with its encoding, TTLs, REPLACE / BUSYKEY / ABSTTL / IDLETIME / FREQ, the
//! exact errors for damaged, foreign and malformed payloads, and the `restore` event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fail, now_ms, run};

/// Redis's DUMP checksum.
const CRC64: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_REDIS);

/// `DUMP foo` after `SET foo bar` on Redis 7.0.15 (RDB version 10 in the trailer).
const REDIS_7_PAYLOAD: &[u8] =
    &[0x00, 0x03, b'b', b'a', b'r', 0x0a, 0x00, 0xe6, 0xbe, 0x49, 0x60, 0xee, 0x66, 0xfd, 0x17];

fn dump(con: &mut redis::Connection, key: &str) -> Option<Vec<u8>> {
    redis::cmd("DUMP").arg(key).query(con).unwrap()
}

/// RESTORE with a binary payload and extra words; the reply or the error text.
fn restore(con: &mut redis::Connection, key: &str, ttl: &str, payload: &[u8], extra: &[&str]) -> Result<(), String> {
    let mut cmd = redis::cmd("RESTORE");
    cmd.arg(key).arg(ttl).arg(payload);
    for word in extra {
        cmd.arg(*word);
    }
    cmd.query::<()>(con)
        .map_err(|e| format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or("")).trim_end().to_owned())
}

fn encoding(con: &mut redis::Connection, key: &str) -> String {
    run(con, &["OBJECT", "ENCODING", key])
}

/// The version Aegisr's payloads carry: codec version 1 under a tag above every RDB version.
const AEGISR_DUMP_VERSION: u16 = 0xAE01;

/// A payload with its checksum recomputed over `body` and our version.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut payload = body.to_vec();
    payload.extend_from_slice(&AEGISR_DUMP_VERSION.to_le_bytes());
    let crc = CRC64.checksum(&payload);
    payload.extend_from_slice(&crc.to_le_bytes());
    payload
}

/// Everything a client can read of a key, for comparing a copy with its original.
fn contents(con: &mut redis::Connection, key: &str) -> redis::Value {
    let kind: String = run(con, &["TYPE", key]);
    let read: &[&str] = match kind.as_str() {
        "string" => &["GET"],
        "list" => &["LRANGE", "_", "0", "-1"],
        "hash" => &["HGETALL"],
        "set" => &["SMEMBERS"],
        "zset" => &["ZRANGE", "_", "0", "-1", "WITHSCORES"],
        "stream" => &["XINFO", "STREAM", "_", "FULL"],
        "MBbloom--" => &["BF.INFO"],
        other => panic!("unexpected type {other}"),
    };
    let mut cmd = redis::cmd(read[0]);
    match read.iter().position(|w| *w == "_") {
        Some(at) => {
            for word in &read[1..at] {
                cmd.arg(*word);
            }
            cmd.arg(key);
            for word in &read[at + 1..] {
                cmd.arg(*word);
            }
        }
        None => {
            cmd.arg(key);
        }
    }
    sorted(cmd.query(con).unwrap())
}

/// Hash fields and set members have no defined order: sort them for comparison.
fn sorted(value: redis::Value) -> redis::Value {
    match value {
        redis::Value::Array(mut items) => {
            items.sort_by_key(|v| format!("{v:?}"));
            redis::Value::Array(items)
        }
        other => other,
    }
}

/// Builds one key of every type and representation with commands.
fn populate(con: &mut redis::Connection) -> Vec<(&'static str, &'static str)> {
    let big = "x".repeat(100);
    let mut pipe = redis::pipe();
    pipe.cmd("SET").arg("str:int").arg("-12345");
    pipe.cmd("SET").arg("str:emb").arg("hello");
    pipe.cmd("SET").arg("str:raw").arg(&big);
    pipe.cmd("SET").arg("str:bin").arg(&[0u8, 255, 13, 10, 0][..]);
    pipe.cmd("PFADD").arg("hll").arg("a").arg("b").arg("c");
    pipe.cmd("RPUSH").arg("list:lp").arg("a").arg("1").arg("-7").arg(&big);
    for i in 0..2_000 {
        pipe.cmd("RPUSH").arg("list:ql").arg(format!("element {i}"));
        pipe.cmd("HSET").arg("hash:ht").arg(format!("f{i}")).arg(i);
        pipe.cmd("SADD").arg("set:ht").arg(format!("m{i}"));
        pipe.cmd("ZADD").arg("zset:sl").arg(i % 50).arg(format!("m{i}"));
    }
    pipe.cmd("HSET").arg("hash:lp").arg("f1").arg("v1").arg("f2").arg("2");
    pipe.cmd("SADD").arg("set:int").arg("1").arg("-20").arg("300");
    pipe.cmd("SADD").arg("set:lp").arg("a").arg("b").arg("3");
    pipe.cmd("ZADD").arg("zset:lp").arg("1.5").arg("a").arg("-inf").arg("b").arg("inf").arg("c").arg("0.1").arg("d");
    pipe.cmd("BF.RESERVE").arg("bloom").arg("0.01").arg("10");
    for i in 0..50 {
        pipe.cmd("BF.ADD").arg("bloom").arg(format!("item{i}"));
    }
    for i in 1..=20 {
        pipe.cmd("XADD").arg("stream").arg(format!("{i}-{i}")).arg("f").arg(i).arg("other").arg("x");
    }
    pipe.cmd("XDEL").arg("stream").arg("3-3");
    pipe.cmd("XGROUP").arg("CREATE").arg("stream").arg("g1").arg("0");
    pipe.cmd("XGROUP").arg("CREATE").arg("stream").arg("g2").arg("$");
    pipe.cmd("XREADGROUP")
        .arg("GROUP")
        .arg("g1")
        .arg("alice")
        .arg("COUNT")
        .arg(3)
        .arg("STREAMS")
        .arg("stream")
        .arg(">");
    pipe.cmd("XREADGROUP").arg("GROUP").arg("g1").arg("bob").arg("COUNT").arg(2).arg("STREAMS").arg("stream").arg(">");
    pipe.cmd("XACK").arg("stream").arg("g1").arg("1-1");
    pipe.cmd("XGROUP").arg("CREATECONSUMER").arg("stream").arg("g2").arg("idle");
    pipe.query::<()>(con).unwrap();
    vec![
        ("str:int", "int"),
        ("str:emb", "embstr"),
        ("str:raw", "raw"),
        ("str:bin", "embstr"),
        // Redis reports a HyperLogLog made by PFADD as "raw" and a restored one as
        // "embstr" (short strings are loaded embedded); only the latter is checked.
        ("hll", "embstr"),
        ("list:lp", "listpack"),
        ("list:ql", "quicklist"),
        ("hash:lp", "listpack"),
        ("hash:ht", "hashtable"),
        ("set:int", "intset"),
        ("set:lp", "listpack"),
        ("set:ht", "hashtable"),
        ("zset:lp", "listpack"),
        ("zset:sl", "skiplist"),
        ("bloom", "raw"),
        ("stream", "stream"),
    ]
}

#[test]
fn every_type_round_trips_with_its_encoding() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    for (key, expected) in populate(&mut con) {
        if key != "hll" {
            assert_eq!(encoding(&mut con, key), expected, "{key} before");
        }
        let payload = dump(&mut con, key).unwrap();
        let copy = format!("{key}:copy");
        restore(&mut con, &copy, "0", &payload, &[]).unwrap();
        assert_eq!(encoding(&mut con, &copy), expected, "{key} restored");
        assert_eq!(contents(&mut con, &copy), contents(&mut con, key), "{key} contents");
        // The encoding describes the data, so the copy dumps to the same bytes.
        assert_eq!(dump(&mut con, &copy).unwrap(), payload, "{key} dumps differently");
        let ttl: i64 = run(&mut con, &["PTTL", &copy]);
        assert_eq!(ttl, -1);
    }
    // An appended string is "raw"; restored, a short one is "embstr" again, and a string
    // holding a canonical integer an "int", as Redis loads them.
    run::<()>(&mut con, &["SET", "app", "12"]);
    run::<()>(&mut con, &["APPEND", "app", "3"]);
    run::<()>(&mut con, &["SET", "app2", "ab"]);
    run::<()>(&mut con, &["APPEND", "app2", "c"]);
    assert_eq!(encoding(&mut con, "app2"), "raw");
    for (key, after) in [("app", "int"), ("app2", "embstr")] {
        let payload = dump(&mut con, key).unwrap();
        restore(&mut con, key, "0", &payload, &["REPLACE"]).unwrap();
        assert_eq!(encoding(&mut con, key), after);
    }
    assert_eq!(common::get(&mut con, "app").as_deref(), Some("123"));
    // The restored HyperLogLog and filter still work as such.
    let count: i64 = run(&mut con, &["PFCOUNT", "hll:copy"]);
    assert_eq!(count, 3);
    let found: i64 = run(&mut con, &["BF.EXISTS", "bloom:copy", "item7"]);
    assert_eq!(found, 1);
    // The stream's groups, consumers and pending entries came along.
    let pending: redis::Value = run(&mut con, &["XPENDING", "stream:copy", "g1"]);
    let original: redis::Value = run(&mut con, &["XPENDING", "stream", "g1"]);
    assert_eq!(pending, original);
    let info: redis::Value = run(&mut con, &["XINFO", "GROUPS", "stream:copy"]);
    assert_eq!(info, run::<redis::Value>(&mut con, &["XINFO", "GROUPS", "stream"]));
}

#[test]
fn restore_chooses_encodings_from_the_current_config() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<()>(&mut con, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    run::<()>(&mut con, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    run::<()>(&mut con, &["RPUSH", "l", "a", "b", "c"]);
    run::<()>(&mut con, &["SADD", "s", "1", "2", "3"]);
    let payloads: Vec<Vec<u8>> = ["h", "z", "l", "s"].iter().map(|k| dump(&mut con, k).unwrap()).collect();
    for (option, value) in [
        ("hash-max-listpack-entries", "2"),
        ("zset-max-listpack-entries", "2"),
        ("list-max-listpack-size", "2"),
        ("set-max-intset-entries", "2"),
        ("set-max-listpack-entries", "2"),
    ] {
        run::<()>(&mut con, &["CONFIG", "SET", option, value]);
    }
    for ((key, payload), expected) in
        ["h", "z", "l", "s"].iter().zip(&payloads).zip(["hashtable", "skiplist", "quicklist", "hashtable"])
    {
        restore(&mut con, key, "0", payload, &["REPLACE"]).unwrap();
        assert_eq!(encoding(&mut con, key), expected, "{key}");
    }
    // A hash that grew and shrank is a table; restored, its size makes it a listpack again.
    run::<()>(&mut con, &["CONFIG", "SET", "hash-max-listpack-entries", "128"]);
    for i in 0..200 {
        run::<()>(&mut con, &["HSET", "grown", &format!("f{i}"), "v"]);
    }
    for i in 2..200 {
        run::<()>(&mut con, &["HDEL", "grown", &format!("f{i}")]);
    }
    assert_eq!(encoding(&mut con, "grown"), "hashtable");
    let payload = dump(&mut con, "grown").unwrap();
    restore(&mut con, "grown", "0", &payload, &["REPLACE"]).unwrap();
    assert_eq!(encoding(&mut con, "grown"), "listpack");
}

#[test]
fn ttl_replace_busykey_absttl() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    common::set(&mut con, "src", "value");
    let payload = dump(&mut con, "src").unwrap();

    restore(&mut con, "rel", "100000", &payload, &[]).unwrap();
    let ttl: i64 = run(&mut con, &["PTTL", "rel"]);
    assert!((90_000..=100_000).contains(&ttl), "{ttl}");

    let at = now_ms() + 200_000;
    restore(&mut con, "abs", &at.to_string(), &payload, &["ABSTTL"]).unwrap();
    let deadline: i64 = run(&mut con, &["PEXPIRETIME", "abs"]);
    assert_eq!(deadline, at);

    // An existing key: BUSYKEY unless REPLACE, which also drops the old TTL.
    assert_eq!(restore(&mut con, "abs", "0", &payload, &[]).unwrap_err(), "BUSYKEY Target key name already exists.");
    restore(&mut con, "abs", "0", &payload, &["REPLACE"]).unwrap();
    assert_eq!(run::<i64>(&mut con, &["PTTL", "abs"]), -1);
    // BUSYKEY comes before the TTL and payload checks, as in Redis.
    assert_eq!(restore(&mut con, "abs", "-1", b"junk", &[]).unwrap_err(), "BUSYKEY Target key name already exists.");

    // A deadline already past: OK, and no key (an existing one REPLACE removed stays gone).
    restore(&mut con, "past", "1", &payload, &["ABSTTL"]).unwrap();
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "past"]), 0);
    restore(&mut con, "abs", "1", &payload, &["ABSTTL", "REPLACE"]).unwrap();
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "abs"]), 0);
    // A relative TTL whose deadline overflows counts as past, as Redis's wrapped sum does.
    restore(&mut con, "huge", &i64::MAX.to_string(), &payload, &[]).unwrap();
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "huge"]), 0);

    assert_eq!(restore(&mut con, "neg", "-1", &payload, &[]).unwrap_err(), "ERR Invalid TTL value, must be >= 0");
    assert_eq!(
        restore(&mut con, "nan", "abc", &payload, &[]).unwrap_err(),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn idletime_and_freq() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    common::set(&mut con, "src", "value");
    let payload = dump(&mut con, "src").unwrap();
    restore(&mut con, "idle", "0", &payload, &["IDLETIME", "1000"]).unwrap();
    let idle: i64 = run(&mut con, &["OBJECT", "IDLETIME", "idle"]);
    assert!((1000..1010).contains(&idle), "{idle}");
    restore(&mut con, "fresh", "0", &payload, &[]).unwrap();
    let idle: i64 = run(&mut con, &["OBJECT", "IDLETIME", "fresh"]);
    assert!(idle < 10, "{idle}");
    restore(&mut con, "freq", "0", &payload, &["FREQ", "100"]).unwrap();
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "freq"]), 1);
    // Redis's dump.tcl "RESTORE can set LFU": under an LFU policy FREQ is the key's counter
    // (and IDLETIME is ignored, as Redis's objectSetLRUOrLFU ignores it there).
    run::<()>(&mut con, &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]);
    restore(&mut con, "lfu", "0", &payload, &["FREQ", "100"]).unwrap();
    assert_eq!(run::<i64>(&mut con, &["OBJECT", "FREQ", "lfu"]), 100);
    restore(&mut con, "lfu-idle", "0", &payload, &["IDLETIME", "1000"]).unwrap();
    assert_eq!(run::<i64>(&mut con, &["OBJECT", "FREQ", "lfu-idle"]), 5, "a new key's counter");
    run::<()>(&mut con, &["CONFIG", "SET", "maxmemory-policy", "noeviction"]);

    let err = |con: &mut redis::Connection, extra: &[&str]| restore(con, "x", "0", &payload, extra).unwrap_err();
    assert_eq!(err(&mut con, &["IDLETIME", "-1"]), "ERR Invalid IDLETIME value, must be >= 0");
    assert_eq!(err(&mut con, &["IDLETIME", "abc"]), "ERR value is not an integer or out of range");
    assert_eq!(err(&mut con, &["FREQ", "256"]), "ERR Invalid FREQ value, must be >= 0 and <= 255");
    assert_eq!(err(&mut con, &["FREQ", "-1"]), "ERR Invalid FREQ value, must be >= 0 and <= 255");
    assert_eq!(err(&mut con, &["IDLETIME", "1", "FREQ", "1"]), "ERR syntax error");
    assert_eq!(err(&mut con, &["FREQ", "1", "IDLETIME", "1"]), "ERR syntax error");
    assert_eq!(err(&mut con, &["IDLETIME"]), "ERR syntax error");
    assert_eq!(err(&mut con, &["BOGUS"]), "ERR syntax error");
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "x"]), 0);
}

#[test]
fn damaged_foreign_and_malformed_payloads() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<()>(&mut con, &["RPUSH", "list", "a", "b", "c"]);
    let payload = dump(&mut con, "list").unwrap();
    let wrong = "ERR DUMP payload version or checksum are wrong";
    for i in 0..payload.len() {
        let mut bad = payload.clone();
        bad[i] ^= 0x04;
        assert_eq!(restore(&mut con, "x", "0", &bad, &[]).unwrap_err(), wrong, "flipped byte {i}");
    }
    for cut in [0, 1, 9, 10, payload.len() - 1] {
        assert_eq!(restore(&mut con, "x", "0", &payload[..cut], &[]).unwrap_err(), wrong, "cut at {cut}");
    }
    // Redis's own payloads (an RDB value, version 10 here) restore as what Redis held.
    restore(&mut con, "from-redis", "0", REDIS_7_PAYLOAD, &[]).unwrap();
    assert_eq!(run::<String>(&mut con, &["GET", "from-redis"]), "bar");
    run::<i64>(&mut con, &["DEL", "from-redis"]);
    // DUMP writes Redis's payload (RDB version 10) for the types Redis has, so a Redis
    // restores it; a bloom filter gets Aegisr's own, under a version above every RDB
    // version (Redis 7.2 writes 11 and refuses higher ones), so Redis refuses it rather than
    // misreading it.
    assert_eq!(u16::from_le_bytes([payload[payload.len() - 10], payload[payload.len() - 9]]), 10);
    run::<bool>(&mut con, &["BF.ADD", "filter", "item"]);
    let bloom = dump(&mut con, "filter").unwrap();
    let version = u16::from_le_bytes([bloom[bloom.len() - 10], bloom[bloom.len() - 9]]);
    assert_eq!(version, AEGISR_DUMP_VERSION);
    assert!(version > 255, "{version}");
    // A good checksum over a body that is not a value, in either framing.
    let bad_format = "ERR Bad data format";
    let rdb_framed = |body: &[u8]| {
        let mut payload = body.to_vec();
        payload.extend_from_slice(&10u16.to_le_bytes());
        let crc = CRC64.checksum(&payload);
        payload.extend_from_slice(&crc.to_le_bytes());
        payload
    };
    let body = &payload[..payload.len() - 10];
    let bloom_body = &bloom[..bloom.len() - 10];
    for bad_body in [&b""[..], &[0xee], &body[..body.len() - 1], &[body, &[0][..]].concat(), &[2, 0]] {
        assert_eq!(restore(&mut con, "x", "0", &rdb_framed(bad_body), &[]).unwrap_err(), bad_format, "{bad_body:?}");
    }
    for bad_body in [&b""[..], &[0xee], &bloom_body[..bloom_body.len() - 1], &[bloom_body, &[0][..]].concat(), &[2, 0]]
    {
        assert_eq!(restore(&mut con, "x", "0", &framed(bad_body), &[]).unwrap_err(), bad_format, "{bad_body:?}");
    }
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "x"]), 0);
    // The framings themselves are what this test computes.
    restore(&mut con, "bloom-copy", "0", &framed(bloom_body), &[]).unwrap();
    assert!(run::<bool>(&mut con, &["BF.EXISTS", "bloom-copy", "item"]));
    restore(&mut con, "x", "0", &rdb_framed(body), &[]).unwrap();
    assert_eq!(run::<Vec<String>>(&mut con, &["LRANGE", "x", "0", "-1"]), ["a", "b", "c"]);
    // A wrong type after RESTORE behaves as any other key of that type.
    assert!(fail(&mut con, &["GET", "x"]).starts_with("WRONGTYPE"));
}

#[test]
fn dump_of_a_missing_key_is_null() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(dump(&mut con, "nothing"), None);
    let mut resp3 = server.client_resp3().get_connection().unwrap();
    let reply: redis::Value = redis::cmd("DUMP").arg("nothing").query(&mut resp3).unwrap();
    assert_eq!(reply, redis::Value::Nil);
    // Expired keys are missing too.
    run::<()>(&mut con, &["SET", "gone", "v", "PX", "1"]);
    assert!(common::wait_until(Duration::from_secs(5), || dump(&mut con, "gone").is_none()));
}

#[test]
fn restore_publishes_its_event() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<()>(&mut con, &["CONFIG", "SET", "notify-keyspace-events", "KEg"]);
    common::set(&mut con, "src", "v");
    let payload = dump(&mut con, "src").unwrap();
    let mut events = Box::leak(Box::new(server.sync_conn())).as_pubsub();
    events.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    events.psubscribe("__keyevent@0__:*").unwrap();
    assert!(common::wait_until(Duration::from_secs(10), || run::<i64>(&mut con, &["PUBSUB", "NUMPAT"]) == 1));
    restore(&mut con, "dst", "0", &payload, &[]).unwrap();
    restore(&mut con, "dst", "1", &payload, &["REPLACE", "ABSTTL"]).unwrap();
    let mut next = || {
        let msg = events.get_message().unwrap();
        format!("{} {}", msg.get_channel_name(), msg.get_payload::<String>().unwrap())
    };
    assert_eq!(next(), "__keyevent@0__:restore dst");
    // REPLACE with a past deadline deletes the old key: a "del".
    assert_eq!(next(), "__keyevent@0__:del dst");
}

#[test]
fn command_info_matches_redis() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let info: Vec<redis::Value> = run(&mut con, &["COMMAND", "INFO", "dump", "restore"]);
    let summary = |v: &redis::Value| -> (String, i64, Vec<String>, Vec<String>) {
        let redis::Value::Array(items) = v else { panic!("{v:?}") };
        let name: String = redis::from_redis_value(items[0].clone()).unwrap();
        let arity: i64 = redis::from_redis_value(items[1].clone()).unwrap();
        let mut flags: Vec<String> = redis::from_redis_value(items[2].clone()).unwrap();
        let keys: Vec<i64> = items[3..6].iter().map(|k| redis::from_redis_value(k.clone()).unwrap()).collect();
        assert_eq!(keys, [1, 1, 1]);
        let mut acl: Vec<String> = redis::from_redis_value(items[6].clone()).unwrap();
        flags.sort();
        acl.sort();
        (name, arity, flags, acl)
    };
    // As Redis 7.0.15 answers.
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(summary(&info[0]), ("dump".into(), 2, words(&["readonly"]), words(&["@keyspace", "@read", "@slow"])));
    assert_eq!(
        summary(&info[1]),
        ("restore".into(), -4, words(&["denyoom", "write"]), words(&["@dangerous", "@keyspace", "@slow", "@write"]))
    );
}

#[test]
fn restore_asking_is_restore_outside_cluster_mode() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    common::set(&mut con, "src", "value");
    let payload = dump(&mut con, "src").unwrap();
    let restore_asking = |con: &mut redis::Connection, key: &str, extra: &[&str]| -> Result<(), String> {
        redis::cmd("RESTORE-ASKING")
            .arg(key)
            .arg(0)
            .arg(&payload)
            .arg(extra)
            .query::<()>(con)
            .map_err(|e| format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or("")).trim_end().to_owned())
    };
    restore_asking(&mut con, "dst", &[]).unwrap();
    assert_eq!(common::get(&mut con, "dst").as_deref(), Some("value"));
    assert_eq!(restore_asking(&mut con, "dst", &[]).unwrap_err(), "BUSYKEY Target key name already exists.");
    restore_asking(&mut con, "dst", &["REPLACE"]).unwrap();
    assert_eq!(fail(&mut con, &["RESTORE-ASKING", "k", "0", "junk"]), "ERR DUMP payload version or checksum are wrong");
    assert!(fail(&mut con, &["RESTORE-ASKING", "k"]).contains("wrong number of arguments for 'restore-asking'"));
    // COMMAND INFO: RESTORE's entry plus the "asking" flag, as Redis 7.0.15 has it.
    let info: Vec<redis::Value> = run(&mut con, &["COMMAND", "INFO", "restore-asking"]);
    let redis::Value::Array(items) = &info[0] else { panic!("{info:?}") };
    let flags: Vec<String> = redis::from_redis_value(items[2].clone()).unwrap();
    assert_eq!(flags, ["write", "denyoom", "asking"]);
    let cats: Vec<String> = redis::from_redis_value(items[6].clone()).unwrap();
    assert_eq!(cats, ["@keyspace", "@write", "@slow", "@dangerous"]);
}
