//! The string commands through a real client, checked against Redis 7's documented replies
//! and errors: GET SET (all options) SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX
//! APPEND STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT GETRANGE SETRANGE SUBSTR LCS.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aegisr_server::engine::slot::key_slot;
use common::{TestServer, fail, get, now_ms, run, wait_until};
use redis::{Connection, Value};

fn pttl(con: &mut Connection, key: &str) -> i64 {
    run(con, &["PTTL", key])
}

const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const NOT_FLOAT: &str = "ERR value is not a valid float";

#[test]
fn get_and_set() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(get(&mut con, "nokey"), None);
    assert_eq!(run::<String>(&mut con, &["SET", "k", "hello"]), "OK");
    assert_eq!(get(&mut con, "k").as_deref(), Some("hello"));
    assert_eq!(run::<String>(&mut con, &["set", "k", "world"]), "OK");
    assert_eq!(get(&mut con, "k").as_deref(), Some("world"));
    // Binary safe, empty values allowed.
    let binary = b"a\x00b\r\n\xffc".to_vec();
    let _: () = redis::cmd("SET").arg("bin").arg(&binary).query(&mut con).unwrap();
    assert_eq!(redis::cmd("GET").arg("bin").query::<Vec<u8>>(&mut con).unwrap(), binary);
    assert_eq!(run::<String>(&mut con, &["SET", "empty", ""]), "OK");
    assert_eq!(get(&mut con, "empty").as_deref(), Some(""));
    // Integers read back exactly as written, canonical or not.
    for text in ["123", "-9223372036854775808", "007", "+1", "9223372036854775808", "1.0"] {
        let _: () = run(&mut con, &["SET", "n", text]);
        assert_eq!(get(&mut con, "n").as_deref(), Some(text));
    }
    assert_eq!(fail(&mut con, &["GET"]), "ERR wrong number of arguments for 'get' command");
    assert_eq!(fail(&mut con, &["GET", "a", "b"]), "ERR wrong number of arguments for 'get' command");
    assert_eq!(fail(&mut con, &["SET", "k"]), "ERR wrong number of arguments for 'set' command");
}

#[test]
fn get_of_a_missing_key_is_resp3_null() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.command(&[b"HELLO", b"3"]);
    raw.command(&[b"GET", b"nokey"]);
    // Skip the HELLO map, then expect `_`.
    let mut line = raw.read_line();
    while line != "_\r\n" {
        assert!(!line.is_empty(), "connection closed");
        line = raw.read_line();
    }
    let mut raw = server.raw();
    raw.command(&[b"GET", b"nokey"]);
    assert_eq!(raw.read_line(), "$-1\r\n");
}

#[test]
fn set_conditions_and_get_option() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // NX / XX reply nil when the condition fails.
    assert_eq!(run::<Option<String>>(&mut con, &["SET", "k", "v1", "XX"]), None);
    assert_eq!(get(&mut con, "k"), None);
    assert_eq!(run::<Option<String>>(&mut con, &["SET", "k", "v1", "NX"]).as_deref(), Some("OK"));
    assert_eq!(run::<Option<String>>(&mut con, &["SET", "k", "v2", "NX"]), None);
    assert_eq!(get(&mut con, "k").as_deref(), Some("v1"));
    assert_eq!(run::<Option<String>>(&mut con, &["SET", "k", "v2", "xx"]).as_deref(), Some("OK"));
    assert_eq!(get(&mut con, "k").as_deref(), Some("v2"));
    // GET replies the old value (or nil) instead of OK.
    assert_eq!(run::<Option<String>>(&mut con, &["SET", "k", "v3", "GET"]).as_deref(), Some("v2"));
    assert_eq!(run::<Option<String>>(&mut con, &["SET", "new", "x", "GET"]), None);
    assert_eq!(get(&mut con, "new").as_deref(), Some("x"));
    // Redis 7: NX and GET together; the old value comes back whether or not it is set.
    assert_eq!(run::<Option<String>>(&mut con, &["SET", "k", "v4", "NX", "GET"]).as_deref(), Some("v3"));
    assert_eq!(get(&mut con, "k").as_deref(), Some("v3"));
    assert_eq!(run::<Option<String>>(&mut con, &["SET", "nx-get", "v", "NX", "GET"]), None);
    assert_eq!(get(&mut con, "nx-get").as_deref(), Some("v"));
    assert_eq!(run::<Option<String>>(&mut con, &["SET", "xx-get", "v", "XX", "GET"]), None);
    assert_eq!(get(&mut con, "xx-get"), None);
    // Options repeat freely when they do not conflict.
    assert_eq!(run::<Option<String>>(&mut con, &["SET", "k", "v5", "GET", "GET", "XX", "XX"]).as_deref(), Some("v3"));
    assert_eq!(run::<String>(&mut con, &["SET", "k", "v6", "EX", "100", "EX", "200"]), "OK");
    let ttl = pttl(&mut con, "k");
    assert!(ttl > 190_000 && ttl <= 200_000, "last EX wins: {ttl}");
}

#[test]
fn set_expiry_options() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["SET", "k", "v", "EX", "100"]);
    let ttl = pttl(&mut con, "k");
    assert!(ttl > 90_000 && ttl <= 100_000, "{ttl}");
    let _: () = run(&mut con, &["SET", "k", "v", "PX", "50000"]);
    let ttl = pttl(&mut con, "k");
    assert!(ttl > 40_000 && ttl <= 50_000, "{ttl}");
    let at = now_ms() + 300_000;
    let _: () = run(&mut con, &["SET", "k", "v", "PXAT", &at.to_string()]);
    let ttl = pttl(&mut con, "k");
    assert!(ttl > 290_000 && ttl <= 300_000, "{ttl}");
    let at_secs = now_ms() / 1000 + 400;
    let _: () = run(&mut con, &["SET", "k", "v", "EXAT", &at_secs.to_string()]);
    let ttl = pttl(&mut con, "k");
    assert!(ttl > 390_000 && ttl <= 400_000, "{ttl}");
    // KEEPTTL keeps the deadline; a plain SET drops it.
    let _: () = run(&mut con, &["SET", "k", "v2", "KEEPTTL"]);
    let ttl = pttl(&mut con, "k");
    assert!(ttl > 390_000, "{ttl}");
    assert_eq!(get(&mut con, "k").as_deref(), Some("v2"));
    let _: () = run(&mut con, &["SET", "k", "v2", "KEEPTTL", "KEEPTTL"]);
    assert!(pttl(&mut con, "k") > 390_000, "KEEPTTL may repeat");
    let _: () = run(&mut con, &["SET", "k", "v3"]);
    assert_eq!(pttl(&mut con, "k"), -1);
    // KEEPTTL on a missing key just sets it.
    let _: () = run(&mut con, &["SET", "fresh", "v", "KEEPTTL"]);
    assert_eq!(pttl(&mut con, "fresh"), -1);
    // A deadline in the past: OK, and the key is gone.
    assert_eq!(run::<String>(&mut con, &["SET", "k", "v", "PXAT", "1"]), "OK");
    assert_eq!(get(&mut con, "k"), None);
    assert_eq!(run::<String>(&mut con, &["SET", "k", "v", "EXAT", "1"]), "OK");
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "k"]), 0);
    // A short expiry really expires.
    let _: () = run(&mut con, &["SET", "short", "v", "PX", "30"]);
    assert!(wait_until(Duration::from_secs(5), || get(&mut con, "short").is_none()));
}

#[test]
fn set_option_errors_change_nothing() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["SET", "k", "orig"]);
    let conflicts: &[&[&str]] = &[
        &["NX", "XX"],
        &["XX", "NX"],
        &["EX", "10", "PX", "100"],
        &["PX", "100", "EX", "10"],
        &["EX", "10", "EXAT", "10"],
        &["PXAT", "10", "PX", "10"],
        &["EX", "10", "KEEPTTL"],
        &["KEEPTTL", "PX", "10"],
        &["KEEPTTL", "EXAT", "10"],
        &["EX"],
        &["PX"],
        &["NX", "EX"],
        &["PERSIST"],
        &["FOO"],
        &["EX", "10", "10"],
    ];
    for options in conflicts {
        let mut args = vec!["SET", "k", "new"];
        args.extend_from_slice(options);
        assert_eq!(fail(&mut con, &args), SYNTAX, "{args:?}");
    }
    let invalid = "ERR invalid expire time in 'set' command";
    let bad_values: &[(&[&str], &str)] = &[
        (&["EX", "abc"], NOT_INT),
        (&["EX", "1.5"], NOT_INT),
        (&["EX", "0"], invalid),
        (&["EX", "-1"], invalid),
        (&["PX", "0"], invalid),
        (&["EXAT", "0"], invalid),
        (&["PXAT", "-5"], invalid),
        // Overflows once converted to milliseconds or added to the current time.
        (&["EX", "9223372036854775"], invalid),
        (&["EXAT", "9223372036854776"], invalid),
        (&["PX", "9223372036854775807"], invalid),
        (&["EX", "9223372036854775808"], NOT_INT),
    ];
    for (options, want) in bad_values {
        let mut args = vec!["SET", "k", "new"];
        args.extend_from_slice(options);
        assert_eq!(fail(&mut con, &args), *want, "{args:?}");
        let mut with_get = args.clone();
        with_get.push("GET");
        assert_eq!(fail(&mut con, &with_get), *want, "{with_get:?}");
    }
    assert_eq!(get(&mut con, "k").as_deref(), Some("orig"));
    assert_eq!(pttl(&mut con, "k"), -1);
    // EXAT's largest valid value is accepted.
    assert_eq!(run::<String>(&mut con, &["SET", "k", "v", "EXAT", "9223372036854775"]), "OK");
    assert!(pttl(&mut con, "k") > 0);
}

#[test]
fn setnx_setex_psetex() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<i64>(&mut con, &["SETNX", "k", "a"]), 1);
    assert_eq!(run::<i64>(&mut con, &["SETNX", "k", "b"]), 0);
    assert_eq!(get(&mut con, "k").as_deref(), Some("a"));

    assert_eq!(run::<String>(&mut con, &["SETEX", "k", "10", "hello"]), "OK");
    assert_eq!(get(&mut con, "k").as_deref(), Some("hello"));
    let ttl = pttl(&mut con, "k");
    assert!(ttl > 5_000 && ttl <= 10_000, "{ttl}");
    assert_eq!(run::<String>(&mut con, &["PSETEX", "k", "100000", "world"]), "OK");
    assert_eq!(get(&mut con, "k").as_deref(), Some("world"));
    let ttl = pttl(&mut con, "k");
    assert!(ttl > 90_000 && ttl <= 100_000, "{ttl}");

    assert_eq!(fail(&mut con, &["SETEX", "k", "0", "v"]), "ERR invalid expire time in 'setex' command");
    assert_eq!(fail(&mut con, &["SETEX", "k", "-10", "v"]), "ERR invalid expire time in 'setex' command");
    assert_eq!(fail(&mut con, &["SETEX", "k", "9223372036854775", "v"]), "ERR invalid expire time in 'setex' command");
    assert_eq!(fail(&mut con, &["PSETEX", "k", "0", "v"]), "ERR invalid expire time in 'psetex' command");
    assert_eq!(fail(&mut con, &["SETEX", "k", "ten", "v"]), NOT_INT);
    assert_eq!(fail(&mut con, &["SETEX", "k", "10"]), "ERR wrong number of arguments for 'setex' command");
    assert_eq!(get(&mut con, "k").as_deref(), Some("world"), "errors set nothing");

    let _: () = run(&mut con, &["PSETEX", "short", "20", "v"]);
    assert!(wait_until(Duration::from_secs(5), || get(&mut con, "short").is_none()));
}

#[test]
fn getset_and_getdel() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<Option<String>>(&mut con, &["GETSET", "k", "1"]), None);
    assert_eq!(get(&mut con, "k").as_deref(), Some("1"));
    let _: () = run(&mut con, &["INCR", "k"]);
    let _: () = run(&mut con, &["PEXPIRE", "k", "100000"]);
    assert_eq!(run::<Option<String>>(&mut con, &["GETSET", "k", "0"]).as_deref(), Some("2"));
    assert_eq!(pttl(&mut con, "k"), -1, "GETSET drops the TTL like SET");

    assert_eq!(run::<Option<String>>(&mut con, &["GETDEL", "k"]).as_deref(), Some("0"));
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "k"]), 0);
    assert_eq!(run::<Option<String>>(&mut con, &["GETDEL", "k"]), None);
}

#[test]
fn getex_options() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["SET", "k", "v"]);
    assert_eq!(run::<Option<String>>(&mut con, &["GETEX", "k"]).as_deref(), Some("v"));
    assert_eq!(pttl(&mut con, "k"), -1);
    assert_eq!(run::<Option<String>>(&mut con, &["GETEX", "k", "EX", "100"]).as_deref(), Some("v"));
    let ttl = pttl(&mut con, "k");
    assert!(ttl > 90_000 && ttl <= 100_000, "{ttl}");
    assert_eq!(run::<Option<String>>(&mut con, &["GETEX", "k", "PX", "200000"]).as_deref(), Some("v"));
    let ttl = pttl(&mut con, "k");
    assert!(ttl > 190_000 && ttl <= 200_000, "{ttl}");
    let at = now_ms() + 300_000;
    let _: Option<String> = run(&mut con, &["GETEX", "k", "PXAT", &at.to_string()]);
    let ttl = pttl(&mut con, "k");
    assert!(ttl > 290_000 && ttl <= 300_000, "{ttl}");
    let at_secs = now_ms() / 1000 + 400;
    let _: Option<String> = run(&mut con, &["GETEX", "k", "EXAT", &at_secs.to_string()]);
    let ttl = pttl(&mut con, "k");
    assert!(ttl > 390_000 && ttl <= 400_000, "{ttl}");
    // Plain GETEX leaves the TTL alone; PERSIST removes it.
    let _: Option<String> = run(&mut con, &["GETEX", "k"]);
    assert!(pttl(&mut con, "k") > 390_000);
    assert_eq!(run::<Option<String>>(&mut con, &["GETEX", "k", "PERSIST"]).as_deref(), Some("v"));
    assert_eq!(pttl(&mut con, "k"), -1);
    assert_eq!(run::<Option<String>>(&mut con, &["GETEX", "k", "PERSIST", "PERSIST"]).as_deref(), Some("v"));
    // A past absolute deadline replies the value, then deletes the key.
    assert_eq!(run::<Option<String>>(&mut con, &["GETEX", "k", "PXAT", "1"]).as_deref(), Some("v"));
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "k"]), 0);
    // A missing key is nil, even before the expiry value is checked (as in Redis).
    assert_eq!(run::<Option<String>>(&mut con, &["GETEX", "nokey", "EX", "abc"]), None);
    assert_eq!(run::<Option<String>>(&mut con, &["GETEX", "nokey", "EX", "0"]), None);

    let _: () = run(&mut con, &["SET", "k", "v"]);
    for options in [
        &["NX"][..],
        &["XX"],
        &["GET"],
        &["KEEPTTL"],
        &["PERSIST", "EX", "10"],
        &["EX", "10", "PERSIST"],
        &["EX"],
        &["EX", "10", "PX", "10"],
    ] {
        let mut args = vec!["GETEX", "k"];
        args.extend_from_slice(options);
        assert_eq!(fail(&mut con, &args), SYNTAX, "{args:?}");
    }
    // Syntax is checked even for a missing key.
    assert_eq!(fail(&mut con, &["GETEX", "nokey", "NX"]), SYNTAX);
    assert_eq!(fail(&mut con, &["GETEX", "k", "EX", "abc"]), NOT_INT);
    assert_eq!(fail(&mut con, &["GETEX", "k", "EX", "0"]), "ERR invalid expire time in 'getex' command");
    assert_eq!(fail(&mut con, &["GETEX", "k", "PX", "-1"]), "ERR invalid expire time in 'getex' command");
    assert_eq!(pttl(&mut con, "k"), -1, "errors change nothing");
    let _: Option<String> = run(&mut con, &["GETEX", "k", "PX", "20"]);
    assert!(wait_until(Duration::from_secs(5), || get(&mut con, "k").is_none()));
}

#[test]
fn mget_mset_msetnx() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<String>(&mut con, &["MSET", "a", "1", "b", "2", "c", "3"]), "OK");
    assert_eq!(
        run::<Vec<Option<String>>>(&mut con, &["MGET", "a", "nokey", "c", "b", "a"]),
        vec![Some("1".into()), None, Some("3".into()), Some("2".into()), Some("1".into())]
    );
    // Duplicate keys: the last value wins.
    let _: () = run(&mut con, &["MSET", "d", "x", "d", "y"]);
    assert_eq!(get(&mut con, "d").as_deref(), Some("y"));
    // MSET drops TTLs like SET.
    let _: () = run(&mut con, &["PEXPIRE", "a", "100000"]);
    let _: () = run(&mut con, &["MSET", "a", "10"]);
    assert_eq!(pttl(&mut con, "a"), -1);

    assert_eq!(run::<i64>(&mut con, &["MSETNX", "a", "x", "new1", "y"]), 0);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "new1"]), 0, "MSETNX sets none if any exists");
    assert_eq!(get(&mut con, "a").as_deref(), Some("10"));
    assert_eq!(run::<i64>(&mut con, &["MSETNX", "new1", "x", "new2", "y"]), 1);
    assert_eq!(run::<Vec<String>>(&mut con, &["MGET", "new1", "new2"]), vec!["x", "y"]);

    for name in ["MSET", "MSETNX"] {
        let want = format!("ERR wrong number of arguments for '{}' command", name.to_lowercase());
        assert_eq!(fail(&mut con, &[name, "a"]), want);
        assert_eq!(fail(&mut con, &[name, "a", "1", "b"]), want);
    }
    assert_eq!(fail(&mut con, &["MGET"]), "ERR wrong number of arguments for 'mget' command");
    assert_eq!(get(&mut con, "a").as_deref(), Some("10"));
}

/// Keys whose hash slots are in different halves of the slot space, hence in different
/// shards whatever the shard count.
fn keys_in_different_shards() -> (String, String) {
    let low = (0..).map(|i| format!("low-{i}")).find(|k| key_slot(k.as_bytes()) < 8192).unwrap();
    let high = (0..).map(|i| format!("high-{i}")).find(|k| key_slot(k.as_bytes()) >= 8192).unwrap();
    (low, high)
}

#[test]
fn mset_is_atomic_across_shards() {
    let server = TestServer::start_with(&["--shards", "16"]);
    let (k1, k2) = keys_in_different_shards();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = ["x", "y"]
        .into_iter()
        .map(|v| {
            let mut con = server.sync_conn();
            let (k1, k2, stop) = (k1.clone(), k2.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let val = format!("{v}{n}");
                    let _: () = run(&mut con, &["MSET", &k1, &val, &k2, &val]);
                    n += 1;
                }
            })
        })
        .collect();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["MSET", &k1, "init", &k2, "init"]);
    for _ in 0..2000 {
        let values: Vec<Option<String>> = run(&mut con, &["MGET", &k1, &k2]);
        assert_eq!(values[0], values[1], "MGET saw half of an MSET");
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }

    // MSETNX races: for each round exactly one of two overlapping MSETNX wins, and the
    // winner's values are all there.
    for round in 0..50 {
        let (a, b) = (format!("{k1}-{round}"), format!("{k2}-{round}"));
        let handles: Vec<_> = ["p", "q"]
            .into_iter()
            .map(|v| {
                let mut con = server.sync_conn();
                let (a, b) = (a.clone(), b.clone());
                std::thread::spawn(move || (v, run::<i64>(&mut con, &["MSETNX", &a, v, &b, v])))
            })
            .collect();
        let results: Vec<(&str, i64)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners: Vec<_> = results.iter().filter(|(_, r)| *r == 1).collect();
        assert_eq!(winners.len(), 1, "{results:?}");
        let values: Vec<String> = run(&mut con, &["MGET", &a, &b]);
        assert_eq!(values, vec![winners[0].0, winners[0].0]);
    }
}

#[test]
fn append_and_strlen() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "k"]), 0);
    assert_eq!(run::<i64>(&mut con, &["APPEND", "k", "Hello"]), 5);
    assert_eq!(run::<i64>(&mut con, &["APPEND", "k", " World"]), 11);
    assert_eq!(get(&mut con, "k").as_deref(), Some("Hello World"));
    assert_eq!(run::<i64>(&mut con, &["APPEND", "k", ""]), 11);
    assert_eq!(run::<i64>(&mut con, &["STRLEN", "k"]), 11);
    assert_eq!(run::<i64>(&mut con, &["STRLEN", "nokey"]), 0);
    // Integers: length of the decimal form; appending digits keeps a number.
    let _: () = run(&mut con, &["SET", "n", "-123"]);
    assert_eq!(run::<i64>(&mut con, &["STRLEN", "n"]), 4);
    assert_eq!(run::<i64>(&mut con, &["APPEND", "n", "4"]), 5);
    assert_eq!(run::<i64>(&mut con, &["INCR", "n"]), -1233);
    assert_eq!(run::<i64>(&mut con, &["APPEND", "n", "x"]), 6);
    assert_eq!(get(&mut con, "n").as_deref(), Some("-1233x"));
    // APPEND keeps the TTL.
    let _: () = run(&mut con, &["PEXPIRE", "k", "100000"]);
    let _: () = run(&mut con, &["APPEND", "k", "!"]);
    assert!(pttl(&mut con, "k") > 90_000);
    assert_eq!(run::<i64>(&mut con, &["APPEND", "empty", ""]), 0);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "empty"]), 1, "APPEND creates even an empty string");
}

#[test]
fn integer_counters() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<i64>(&mut con, &["INCR", "c"]), 1);
    assert_eq!(run::<i64>(&mut con, &["INCR", "c"]), 2);
    assert_eq!(run::<i64>(&mut con, &["DECR", "c"]), 1);
    assert_eq!(run::<i64>(&mut con, &["DECR", "d"]), -1);
    assert_eq!(run::<i64>(&mut con, &["INCRBY", "c", "10"]), 11);
    assert_eq!(run::<i64>(&mut con, &["INCRBY", "c", "-20"]), -9);
    assert_eq!(run::<i64>(&mut con, &["DECRBY", "c", "3"]), -12);
    assert_eq!(run::<i64>(&mut con, &["DECRBY", "c", "-12"]), 0);
    assert_eq!(run::<i64>(&mut con, &["INCRBY", "e", "5"]), 5);
    assert_eq!(get(&mut con, "c").as_deref(), Some("0"));
    // Docs example.
    let _: () = run(&mut con, &["SET", "mykey", "10"]);
    assert_eq!(run::<i64>(&mut con, &["INCR", "mykey"]), 11);
    assert_eq!(get(&mut con, "mykey").as_deref(), Some("11"));
    assert_eq!(run::<String>(&mut con, &["OBJECT", "ENCODING", "mykey"]), "int");

    // Values that are not canonical integers are refused, and left alone.
    for bad in ["abc", "1.5", " 1", "1 ", "+1", "007", "-0", "", "9223372036854775808"] {
        let _: () = run(&mut con, &["SET", "bad", bad]);
        assert_eq!(fail(&mut con, &["INCR", "bad"]), NOT_INT, "{bad:?}");
        assert_eq!(get(&mut con, "bad").as_deref(), Some(bad));
    }
    for bad in ["abc", "1.5", "", "9223372036854775808", " 1"] {
        assert_eq!(fail(&mut con, &["INCRBY", "c", bad]), NOT_INT, "{bad:?}");
        assert_eq!(fail(&mut con, &["DECRBY", "c", bad]), NOT_INT, "{bad:?}");
    }
    // Overflow in both directions.
    let _: () = run(&mut con, &["SET", "big", "9223372036854775807"]);
    assert_eq!(fail(&mut con, &["INCR", "big"]), "ERR increment or decrement would overflow");
    assert_eq!(fail(&mut con, &["INCRBY", "big", "1"]), "ERR increment or decrement would overflow");
    assert_eq!(run::<i64>(&mut con, &["INCRBY", "big", "-1"]), i64::MAX - 1);
    let _: () = run(&mut con, &["SET", "small", "-9223372036854775808"]);
    assert_eq!(fail(&mut con, &["DECR", "small"]), "ERR increment or decrement would overflow");
    assert_eq!(fail(&mut con, &["DECRBY", "small", "1"]), "ERR increment or decrement would overflow");
    assert_eq!(get(&mut con, "small").as_deref(), Some("-9223372036854775808"));
    assert_eq!(fail(&mut con, &["DECRBY", "c", "-9223372036854775808"]), "ERR decrement would overflow");
    assert_eq!(run::<i64>(&mut con, &["INCRBY", "c", "-9223372036854775808"]), i64::MIN);

    // The TTL survives.
    let _: () = run(&mut con, &["SET", "t", "5", "EX", "100"]);
    assert_eq!(run::<i64>(&mut con, &["INCR", "t"]), 6);
    assert_eq!(run::<i64>(&mut con, &["DECRBY", "t", "2"]), 4);
    assert!(pttl(&mut con, "t") > 90_000);
}

#[test]
fn incrbyfloat() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // The Redis docs example.
    let _: () = run(&mut con, &["SET", "mykey", "10.50"]);
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "mykey", "0.1"]), "10.6");
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "mykey", "-5"]), "5.6");
    let _: () = run(&mut con, &["SET", "mykey", "5.0e3"]);
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "mykey", "2.0e2"]), "5200");
    assert_eq!(get(&mut con, "mykey").as_deref(), Some("5200"));
    // Decimal results as Redis's long doubles give them.
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "f", "0.1"]), "0.1");
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "f", "0.2"]), "0.3");
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "f", "-0.3"]), "0");
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "f", "-.5"]), "-0.5");
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "f", "1e-20"]), "-0.5");
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "i", "3"]), "3");
    assert_eq!(run::<i64>(&mut con, &["INCR", "i"]), 4, "an integral result is an integer again");
    // Redis's "No negative zero" test (1.0/41 as Tcl prints it, then its opposite): the
    // long double sum prints 17 decimals, and back to "0", not "-0" or 1e-17.
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "z", "0.024390243902439025"]), "0.02439024390243902");
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "z", "-0.024390243902439025"]), "0");
    // 1e400 overflows an f64 but not a long double: printed in full, binary digits and all.
    let _: () = run(&mut con, &["SET", "big", "1"]);
    let big = run::<String>(&mut con, &["INCRBYFLOAT", "big", "1e400"]);
    assert!(big.len() == 401 && big.starts_with("10000000000000000000281880683947586514"), "{big}");

    assert_eq!(fail(&mut con, &["INCRBYFLOAT", "f", "abc"]), NOT_FLOAT);
    assert_eq!(fail(&mut con, &["INCRBYFLOAT", "f", "nan"]), NOT_FLOAT);
    assert_eq!(fail(&mut con, &["INCRBYFLOAT", "f", ""]), NOT_FLOAT);
    assert_eq!(fail(&mut con, &["INCRBYFLOAT", "f", " 1"]), NOT_FLOAT);
    let _: () = run(&mut con, &["SET", "s", "hello"]);
    assert_eq!(fail(&mut con, &["INCRBYFLOAT", "s", "1"]), NOT_FLOAT);
    let nan_inf = "ERR increment would produce NaN or Infinity";
    assert_eq!(fail(&mut con, &["INCRBYFLOAT", "f", "inf"]), nan_inf);
    assert_eq!(fail(&mut con, &["INCRBYFLOAT", "f", "-inf"]), nan_inf);
    // Redis adds in long doubles: past an f64's range is still finite, past a long
    // double's is not.
    let _: () = run(&mut con, &["SET", "huge", "1.1e4932"]);
    assert_eq!(fail(&mut con, &["INCRBYFLOAT", "huge", "1e4932"]), nan_inf);
    assert_eq!(fail(&mut con, &["INCRBYFLOAT", "huge", "1e5000"]), NOT_FLOAT, "beyond a long double");
    assert_eq!(get(&mut con, "f").as_deref(), Some("-0.5"), "errors change nothing");
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "nokey"]), 0);
    assert_eq!(fail(&mut con, &["INCRBYFLOAT", "nokey", "inf"]), nan_inf);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "nokey"]), 0);

    let _: () = run(&mut con, &["SET", "t", "1.5", "PX", "100000"]);
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "t", "1"]), "2.5");
    assert!(pttl(&mut con, "t") > 90_000, "INCRBYFLOAT keeps the TTL");
}

#[test]
fn getrange_and_substr() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["SET", "mykey", "This is a string"]);
    let cases: &[(&str, &str, &str)] = &[
        ("0", "3", "This"),
        ("-3", "-1", "ing"),
        ("0", "-1", "This is a string"),
        ("10", "100", "string"),
        ("5", "3", ""),
        ("-1", "-5", ""),
        ("16", "20", ""),
        ("-100", "-50", "T"),
        ("0", "-100", "T"),
        ("-9223372036854775808", "9223372036854775807", "This is a string"),
    ];
    for (start, end, want) in cases {
        for name in ["GETRANGE", "SUBSTR"] {
            assert_eq!(run::<String>(&mut con, &[name, "mykey", start, end]), *want, "{name} {start} {end}");
        }
    }
    assert_eq!(run::<String>(&mut con, &["GETRANGE", "nokey", "0", "-1"]), "");
    let _: () = run(&mut con, &["SET", "n", "12345"]);
    assert_eq!(run::<String>(&mut con, &["GETRANGE", "n", "1", "2"]), "23");
    let _: () = run(&mut con, &["SET", "e", ""]);
    assert_eq!(run::<String>(&mut con, &["GETRANGE", "e", "0", "-1"]), "");
    assert_eq!(fail(&mut con, &["GETRANGE", "mykey", "a", "1"]), NOT_INT);
    assert_eq!(fail(&mut con, &["GETRANGE", "nokey", "0", "1.5"]), NOT_INT);
    assert_eq!(fail(&mut con, &["GETRANGE", "mykey", "0"]), "ERR wrong number of arguments for 'getrange' command");
}

#[test]
fn setrange() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // Docs examples.
    let _: () = run(&mut con, &["SET", "key1", "Hello World"]);
    assert_eq!(run::<i64>(&mut con, &["SETRANGE", "key1", "6", "Redis"]), 11);
    assert_eq!(get(&mut con, "key1").as_deref(), Some("Hello Redis"));
    assert_eq!(run::<i64>(&mut con, &["SETRANGE", "key2", "6", "Redis"]), 11);
    assert_eq!(redis::cmd("GET").arg("key2").query::<Vec<u8>>(&mut con).unwrap(), b"\0\0\0\0\0\0Redis");
    // Growing an existing value pads with zero bytes.
    let _: () = run(&mut con, &["SET", "k", "ab"]);
    assert_eq!(run::<i64>(&mut con, &["SETRANGE", "k", "4", "cd"]), 6);
    assert_eq!(redis::cmd("GET").arg("k").query::<Vec<u8>>(&mut con).unwrap(), b"ab\0\0cd");
    // On an integer.
    let _: () = run(&mut con, &["SET", "n", "123"]);
    assert_eq!(run::<i64>(&mut con, &["SETRANGE", "n", "0", "9"]), 3);
    assert_eq!(run::<i64>(&mut con, &["INCR", "n"]), 924);
    // An empty value writes nothing: the current length, and no key is created.
    assert_eq!(run::<i64>(&mut con, &["SETRANGE", "key1", "100", ""]), 11);
    assert_eq!(run::<i64>(&mut con, &["SETRANGE", "nokey", "0", ""]), 0);
    assert_eq!(run::<i64>(&mut con, &["SETRANGE", "nokey", "536870912", ""]), 0);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "nokey"]), 0);
    // Offsets: negative, non-integer, beyond 512 MB (refused before allocating).
    assert_eq!(fail(&mut con, &["SETRANGE", "key1", "-1", "x"]), "ERR offset is out of range");
    assert_eq!(fail(&mut con, &["SETRANGE", "key1", "x", "x"]), NOT_INT);
    let too_large = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    assert_eq!(fail(&mut con, &["SETRANGE", "key1", "536870912", "x"]), too_large);
    assert_eq!(fail(&mut con, &["SETRANGE", "key1", "536870911", "xy"]), too_large);
    assert_eq!(fail(&mut con, &["SETRANGE", "nokey", "9223372036854775807", "x"]), too_large);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "nokey"]), 0);
    assert_eq!(get(&mut con, "key1").as_deref(), Some("Hello Redis"));
    // The TTL survives.
    let _: () = run(&mut con, &["PEXPIRE", "key1", "100000"]);
    assert_eq!(run::<i64>(&mut con, &["SETRANGE", "key1", "0", "J"]), 11);
    assert!(pttl(&mut con, "key1") > 90_000);
}

#[test]
fn string_size_limit_follows_proto_max_bulk_len() {
    let server = TestServer::start_with(&["--proto-max-bulk-len", "1mb"]);
    let mut con = server.sync_conn();
    let too_large = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    assert_eq!(run::<i64>(&mut con, &["SETRANGE", "k", "1048575", "x"]), 1_048_576);
    assert_eq!(fail(&mut con, &["SETRANGE", "k", "1048576", "x"]), too_large);
    assert_eq!(fail(&mut con, &["APPEND", "k", "y"]), too_large);
    assert_eq!(run::<i64>(&mut con, &["STRLEN", "k"]), 1_048_576);
    // LCS refuses a table larger than the limit: 1001 * 1001 cells of 4 bytes > 1 MB.
    let a = "a".repeat(1000);
    let _: () = run(&mut con, &["MSET", "x", &a, "y", &a]);
    assert_eq!(
        fail(&mut con, &["LCS", "x", "y"]),
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
    );
    assert_eq!(
        fail(&mut con, &["LCS", "x", "y", "LEN"]),
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
    );
    // 400 * 400 * 4 bytes fits.
    let b = "b".repeat(400);
    let _: () = run(&mut con, &["MSET", "x", &b, "y", &b]);
    assert_eq!(run::<i64>(&mut con, &["LCS", "x", "y", "LEN"]), 400);
}

#[test]
fn lcs_examples_from_the_docs() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["MSET", "key1", "ohmytext", "key2", "mynewtext"]);
    assert_eq!(run::<String>(&mut con, &["LCS", "key1", "key2"]), "mytext");
    assert_eq!(run::<i64>(&mut con, &["LCS", "key1", "key2", "LEN"]), 6);

    let idx: Value = run(&mut con, &["LCS", "key1", "key2", "IDX"]);
    let range = |s: i64, e: i64| Value::Array(vec![Value::Int(s), Value::Int(e)]);
    let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
    let matches =
        Value::Array(vec![Value::Array(vec![range(4, 7), range(5, 8)]), Value::Array(vec![range(2, 3), range(0, 1)])]);
    assert_eq!(idx, Value::Array(vec![bulk("matches"), matches.clone(), bulk("len"), Value::Int(6)]));

    let filtered: Value = run(&mut con, &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]);
    assert_eq!(
        filtered,
        Value::Array(vec![
            bulk("matches"),
            Value::Array(vec![Value::Array(vec![range(4, 7), range(5, 8), Value::Int(4)])]),
            bulk("len"),
            Value::Int(6),
        ])
    );
    let all_with_len: Value = run(&mut con, &["LCS", "key1", "key2", "idx", "withmatchlen", "minmatchlen", "-5"]);
    assert_eq!(
        all_with_len,
        Value::Array(vec![
            bulk("matches"),
            Value::Array(vec![
                Value::Array(vec![range(4, 7), range(5, 8), Value::Int(4)]),
                Value::Array(vec![range(2, 3), range(0, 1), Value::Int(2)]),
            ]),
            bulk("len"),
            Value::Int(6),
        ])
    );
    // Missing keys are empty strings.
    assert_eq!(run::<String>(&mut con, &["LCS", "key1", "nokey"]), "");
    assert_eq!(run::<i64>(&mut con, &["LCS", "nokey", "nokey2", "LEN"]), 0);
    let empty: Value = run(&mut con, &["LCS", "key1", "nokey", "IDX"]);
    assert_eq!(empty, Value::Array(vec![bulk("matches"), Value::Array(vec![]), bulk("len"), Value::Int(0)]));
    // WITHMATCHLEN alone is accepted and ignored.
    assert_eq!(run::<String>(&mut con, &["LCS", "key1", "key2", "WITHMATCHLEN"]), "mytext");

    assert_eq!(
        fail(&mut con, &["LCS", "key1", "key2", "IDX", "LEN"]),
        "ERR If you want both the length and indexes, please just use IDX."
    );
    assert_eq!(fail(&mut con, &["LCS", "key1", "key2", "FOO"]), SYNTAX);
    assert_eq!(fail(&mut con, &["LCS", "key1", "key2", "MINMATCHLEN"]), SYNTAX);
    assert_eq!(fail(&mut con, &["LCS", "key1", "key2", "MINMATCHLEN", "x"]), NOT_INT);
    assert_eq!(fail(&mut con, &["LCS", "key1"]), "ERR wrong number of arguments for 'lcs' command");

    // Keys in different shards.
    let (k1, k2) = keys_in_different_shards();
    let _: () = run(&mut con, &["MSET", &k1, "ohmytext", &k2, "mynewtext"]);
    assert_eq!(run::<String>(&mut con, &["LCS", &k1, &k2]), "mytext");
}

#[test]
fn lcs_idx_is_a_map_in_resp3() {
    let server = TestServer::start();
    let mut con = server.client_resp3().get_connection().unwrap();
    let _: () = run(&mut con, &["MSET", "key1", "ohmytext", "key2", "mynewtext"]);
    let reply: Value = run(&mut con, &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]);
    let range = |s: i64, e: i64| Value::Array(vec![Value::Int(s), Value::Int(e)]);
    assert_eq!(
        reply,
        Value::Map(vec![
            (
                Value::BulkString(b"matches".to_vec()),
                Value::Array(vec![Value::Array(vec![range(4, 7), range(5, 8), Value::Int(4)])])
            ),
            (Value::BulkString(b"len".to_vec()), Value::Int(6)),
        ])
    );
    assert_eq!(run::<Value>(&mut con, &["GET", "nokey"]), Value::Nil);
}

#[test]
fn encodings_follow_the_value() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let encoding = |con: &mut Connection, key: &str| run::<String>(con, &["OBJECT", "ENCODING", key]);
    let _: () = run(&mut con, &["SET", "i", "12345"]);
    assert_eq!(encoding(&mut con, "i"), "int");
    let _: () = run(&mut con, &["SET", "s", "hello"]);
    assert_eq!(encoding(&mut con, "s"), "embstr");
    let _: () = run(&mut con, &["SET", "r", &"x".repeat(45)]);
    assert_eq!(encoding(&mut con, "r"), "raw");
    let _: () = run(&mut con, &["INCR", "c"]);
    assert_eq!(encoding(&mut con, "c"), "int");
    let _: () = run(&mut con, &["MSET", "m1", "7", "m2", "seven"]);
    assert_eq!(encoding(&mut con, "m1"), "int");
    assert_eq!(encoding(&mut con, "m2"), "embstr");
    // A refused INCR leaves the value, and its encoding, as they were.
    let _: () = run(&mut con, &["SET", "big", "12345678901234567890"]);
    assert!(fail(&mut con, &["INCR", "big"]).contains("not an integer"));
    assert_eq!(encoding(&mut con, "big"), "embstr");
    // Redis turns a string it edits in place into a raw buffer; a new value is embstr again.
    run::<i64>(&mut con, &["APPEND", "m2", "!"]);
    assert_eq!(encoding(&mut con, "m2"), "raw");
    run::<i64>(&mut con, &["SETRANGE", "s", "0", "J"]);
    assert_eq!(encoding(&mut con, "s"), "raw");
    let _: () = run(&mut con, &["SET", "s", "again"]);
    assert_eq!(encoding(&mut con, "s"), "embstr");
}

/// name, arity, flags, first key, last key, step.
type InfoRow = (&'static str, i64, &'static [&'static str], i64, i64, i64);

#[test]
fn command_info_describes_the_string_commands() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // name, arity, flags, first key, last key, step: as Redis 7.0's COMMAND INFO lists them.
    let expected: &[InfoRow] = &[
        ("get", 2, &["readonly", "fast"], 1, 1, 1),
        ("set", -3, &["write", "denyoom"], 1, 1, 1),
        ("setnx", 3, &["write", "denyoom", "fast"], 1, 1, 1),
        ("setex", 4, &["write", "denyoom"], 1, 1, 1),
        ("psetex", 4, &["write", "denyoom"], 1, 1, 1),
        ("getset", 3, &["write", "denyoom", "fast"], 1, 1, 1),
        ("getdel", 2, &["write", "fast"], 1, 1, 1),
        ("getex", -2, &["write", "fast"], 1, 1, 1),
        ("mget", -2, &["readonly", "fast"], 1, -1, 1),
        ("mset", -3, &["write", "denyoom"], 1, -1, 2),
        ("msetnx", -3, &["write", "denyoom"], 1, -1, 2),
        ("append", 3, &["write", "denyoom", "fast"], 1, 1, 1),
        ("strlen", 2, &["readonly", "fast"], 1, 1, 1),
        ("incr", 2, &["write", "denyoom", "fast"], 1, 1, 1),
        ("decr", 2, &["write", "denyoom", "fast"], 1, 1, 1),
        ("incrby", 3, &["write", "denyoom", "fast"], 1, 1, 1),
        ("decrby", 3, &["write", "denyoom", "fast"], 1, 1, 1),
        ("incrbyfloat", 3, &["write", "denyoom", "fast"], 1, 1, 1),
        ("getrange", 4, &["readonly"], 1, 1, 1),
        ("setrange", 4, &["write", "denyoom"], 1, 1, 1),
        ("substr", 4, &["readonly"], 1, 1, 1),
        ("lcs", -3, &["readonly"], 1, 2, 1),
    ];
    for (name, arity, flags, first, last, step) in expected {
        let info: Vec<Value> = run(&mut con, &["COMMAND", "INFO", name]);
        let Value::Array(fields) = &info[0] else { panic!("{name}: {info:?}") };
        assert_eq!(fields[0], Value::BulkString(name.as_bytes().to_vec()), "{name}");
        assert_eq!(fields[1], Value::Int(*arity), "{name}");
        let got_flags: Vec<String> = redis::from_redis_value(fields[2].clone()).unwrap();
        assert_eq!(got_flags, *flags, "{name}");
        assert_eq!(fields[3..6], [Value::Int(*first), Value::Int(*last), Value::Int(*step)], "{name}");
    }
}

#[test]
fn edited_strings_are_raw_even_when_they_read_as_numbers() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let encoding = |con: &mut Connection, key: &str| run::<String>(con, &["OBJECT", "ENCODING", key]);
    let _: () = run(&mut con, &["SET", "c", "12"]);
    assert_eq!(run::<i64>(&mut con, &["APPEND", "c", "3"]), 3);
    assert_eq!(encoding(&mut con, "c"), "raw");
    assert_eq!(run::<i64>(&mut con, &["INCR", "c"]), 124);
    assert_eq!(encoding(&mut con, "c"), "int");
    let _: () = run(&mut con, &["SET", "b", "12"]);
    assert_eq!(run::<i64>(&mut con, &["SETRANGE", "b", "0", "3"]), 2);
    assert_eq!(encoding(&mut con, "b"), "raw");
    assert_eq!(run::<i64>(&mut con, &["SETRANGE", "a", "0", "123"]), 3);
    assert_eq!(encoding(&mut con, "a"), "raw");
    // Even an empty APPEND unshares the value; an empty SETRANGE touches nothing.
    let _: () = run(&mut con, &["SET", "e", "12"]);
    assert_eq!(run::<i64>(&mut con, &["APPEND", "e", ""]), 2);
    assert_eq!(encoding(&mut con, "e"), "raw");
    let _: () = run(&mut con, &["SET", "f", "ab"]);
    assert_eq!(run::<i64>(&mut con, &["SETRANGE", "f", "0", ""]), 2);
    assert_eq!(encoding(&mut con, "f"), "embstr");
    // A refused edit (past proto-max-bulk-len) leaves the encoding too.
    let _: () = run(&mut con, &["SET", "g", "ab"]);
    assert_eq!(
        fail(&mut con, &["SETRANGE", "g", "536870912", "x"]),
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    );
    let _: () = run(&mut con, &["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    let big = "x".repeat(1024 * 1024);
    assert!(fail(&mut con, &["APPEND", "g", &big]).starts_with("ERR string exceeds maximum allowed size"));
    assert_eq!(encoding(&mut con, "g"), "embstr");
    // A new key made by APPEND is encoded like SET's value.
    assert_eq!(run::<i64>(&mut con, &["APPEND", "d", "12"]), 2);
    assert_eq!(encoding(&mut con, "d"), "int");
}

#[test]
fn incrbyfloat_reads_hex_floats_as_strtold_does() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["SET", "f", "0x10"]);
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "f", "0x1p-1"]), "16.5");
    assert_eq!(fail(&mut con, &["INCRBYFLOAT", "f", " 1"]), "ERR value is not a valid float");
    assert_eq!(fail(&mut con, &["INCRBYFLOAT", "f", "infinity"]), "ERR increment would produce NaN or Infinity");
}

#[test]
fn incrbyfloat_stores_a_string_even_for_a_whole_result() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["SET", "n", "1"]);
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "n", "1.5"]), "2.5");
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "n", "0.5"]), "3");
    assert_eq!(run::<String>(&mut con, &["OBJECT", "ENCODING", "n"]), "embstr");
    assert_eq!(run::<String>(&mut con, &["INCRBYFLOAT", "new", "2"]), "2");
    assert_eq!(run::<String>(&mut con, &["OBJECT", "ENCODING", "new"]), "embstr");
    assert_eq!(run::<i64>(&mut con, &["INCR", "new"]), 3);
    assert_eq!(run::<String>(&mut con, &["OBJECT", "ENCODING", "new"]), "int");
}
