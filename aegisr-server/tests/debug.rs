//! DEBUG's subcommands as Redis's tests use them: OBJECT, DIGEST / DIGEST-VALUE (equal
//! before and after RELOAD, zeros when empty), RELOAD keeping values and expiries,
//! POPULATE, SET-ACTIVE-EXPIRE, PROTOCOL, ERROR, and the refusal when DEBUG is off.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fail, run, wait_until};

const ZEROS: &str = "0000000000000000000000000000000000000000";

#[test]
fn digest_is_zeros_when_empty_and_survives_a_reload() {
    let (server, _dir) = TestServer::start_with_debug(&[]);
    let mut c = server.sync_conn();
    assert_eq!(run::<String>(&mut c, &["DEBUG", "DIGEST"]), ZEROS);
    run::<()>(&mut c, &["SET", "s", "hello"]);
    run::<()>(&mut c, &["SET", "n", "12345"]);
    run::<()>(&mut c, &["RPUSH", "l", "a", "b", "c"]);
    run::<()>(&mut c, &["HSET", "h", "f1", "v1", "f2", "v2"]);
    run::<()>(&mut c, &["SADD", "set", "x", "y", "1"]);
    run::<()>(&mut c, &["ZADD", "z", "1.5", "a", "2", "b"]);
    run::<()>(&mut c, &["XADD", "x", "1-1", "f", "v"]);
    run::<()>(&mut c, &["SET", "ttl", "v", "EX", "1000"]);
    run::<()>(&mut c, &["SELECT", "5"]);
    run::<()>(&mut c, &["SET", "other", "db"]);
    let before: String = run(&mut c, &["DEBUG", "DIGEST"]);
    assert_eq!(before.len(), 40);
    assert_ne!(before, ZEROS);
    assert_eq!(run::<String>(&mut c, &["DEBUG", "RELOAD"]), "OK");
    assert_eq!(run::<String>(&mut c, &["DEBUG", "DIGEST"]), before);
    run::<()>(&mut c, &["SELECT", "0"]);
    assert_eq!(run::<String>(&mut c, &["GET", "s"]), "hello");
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "l", "0", "-1"]), ["a", "b", "c"]);
    let ttl: i64 = run(&mut c, &["TTL", "ttl"]);
    assert!((990..=1000).contains(&ttl), "the expiry survives: {ttl}");
    // Any change shows; an equal value in another encoding does not.
    run::<()>(&mut c, &["SET", "s", "hellO"]);
    assert_ne!(run::<String>(&mut c, &["DEBUG", "DIGEST"]), before);
    run::<()>(&mut c, &["SET", "s", "hello"]);
    assert_eq!(run::<String>(&mut c, &["DEBUG", "DIGEST"]), before);
    run::<()>(&mut c, &["PERSIST", "ttl"]);
    assert_ne!(run::<String>(&mut c, &["DEBUG", "DIGEST"]), before, "expiry flags count");
    run::<()>(&mut c, &["FLUSHALL"]);
    assert_eq!(run::<String>(&mut c, &["DEBUG", "DIGEST"]), ZEROS);
}

#[test]
fn digest_value_ignores_order_in_unordered_types() {
    let (server, _dir) = TestServer::start_with_debug(&[]);
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["SADD", "a", "x", "y", "z"]);
    run::<()>(&mut c, &["SADD", "b", "z", "y", "x"]);
    run::<()>(&mut c, &["RPUSH", "l1", "x", "y"]);
    run::<()>(&mut c, &["RPUSH", "l2", "y", "x"]);
    let digests: Vec<String> = run(&mut c, &["DEBUG", "DIGEST-VALUE", "a", "b", "l1", "l2", "missing"]);
    assert_eq!(digests[0], digests[1]);
    assert_ne!(digests[2], digests[3]);
    assert_eq!(digests[4], ZEROS);
    // A set past the listpack limit digests as the same small one would.
    let members: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
    let mut big = vec!["SADD", "big1"];
    big.extend(members.iter().map(String::as_str));
    run::<()>(&mut c, &big);
    run::<()>(&mut c, &["CONFIG", "SET", "set-max-listpack-entries", "1000"]);
    big[1] = "big2";
    run::<()>(&mut c, &big);
    let big: Vec<String> = run(&mut c, &["DEBUG", "DIGEST-VALUE", "big1", "big2"]);
    assert_eq!(big[0], big[1]);
}

#[test]
fn object_populate_and_active_expire() {
    let (server, _dir) = TestServer::start_with_debug(&[]);
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["SET", "s", "hello"]);
    let line: String = run(&mut c, &["DEBUG", "OBJECT", "s"]);
    assert!(line.starts_with("Value at:") && line.contains(" refcount:1 encoding:embstr serializedlength:"), "{line}");
    assert!(line.contains(" lru_seconds_idle:"), "{line}");
    assert_eq!(fail(&mut c, &["DEBUG", "OBJECT", "missing"]), "ERR no such key");

    assert_eq!(run::<String>(&mut c, &["DEBUG", "POPULATE", "100"]), "OK");
    assert_eq!(run::<i64>(&mut c, &["DBSIZE"]), 101);
    assert_eq!(run::<String>(&mut c, &["GET", "key:42"]), "value:42");
    run::<()>(&mut c, &["SET", "key:7", "mine"]);
    run::<()>(&mut c, &["DEBUG", "POPULATE", "10", "p", "10"]);
    assert_eq!(run::<Vec<u8>>(&mut c, &["GET", "p:3"]), b"value:3\0\0\0");
    run::<()>(&mut c, &["DEBUG", "POPULATE", "10"]);
    assert_eq!(run::<String>(&mut c, &["GET", "key:7"]), "mine", "existing keys are kept");
    assert_eq!(fail(&mut c, &["DEBUG", "POPULATE", "-1"]), "ERR value is out of range, must be positive");
    assert_eq!(
        fail(&mut c, &["DEBUG", "POPULATE", "1", "big", "99999999999"]),
        "ERR value size is larger than proto-max-bulk-len"
    );

    // With the sweep off a key past its deadline stays until it is touched.
    run::<()>(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    run::<()>(&mut c, &["SET", "short", "v", "PX", "1"]);
    // Longer than several sweeps (10 a second); nothing may have removed the key.
    std::thread::sleep(Duration::from_millis(300));
    let info: String = run(&mut c, &["INFO", "stats"]);
    assert!(info.contains("expired_keys:0"), "{info}");
    assert_eq!(run::<Option<String>>(&mut c, &["GET", "short"]), None, "lazy expiry still works");
    run::<()>(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    run::<()>(&mut c, &["SET", "short2", "v", "PX", "1"]);
    wait_until(Duration::from_secs(10), || {
        let info: String = run(&mut c, &["INFO", "stats"]);
        info.contains("expired_keys:2")
    });
}

#[test]
fn protocol_error_and_refusal() {
    let (server, _dir) = TestServer::start_with_debug(&[]);
    let mut raw = server.raw_resp3();
    for (kind, expected) in [
        ("bignum", "(1234567999999999999999999999999999999\r\n".to_owned()),
        ("double", ",3.141\r\n".to_owned()),
        ("true", "#t\r\n".to_owned()),
        ("null", "_\r\n".to_owned()),
    ] {
        raw.send(format!("DEBUG PROTOCOL {kind}\r\n").as_bytes());
        assert_eq!(raw.read_line(), expected, "{kind}");
    }
    raw.send(b"DEBUG PROTOCOL attrib\r\n");
    let attribute = [
        "|1\r\n",
        "$14\r\n",
        "key-popularity\r\n",
        "*2\r\n",
        "$7\r\n",
        "key:123\r\n",
        ":90\r\n",
        "$39\r\n",
        "Some real reply following the attribute\r\n",
    ];
    for line in attribute {
        assert_eq!(raw.read_line(), line);
    }
    let mut c = server.sync_conn();
    assert_eq!(fail(&mut c, &["DEBUG", "PROTOCOL", "push"]), "ERR RESP2 is not supported by this command");
    assert!(fail(&mut c, &["DEBUG", "PROTOCOL", "nope"]).starts_with("ERR Wrong protocol type name"));
    assert_eq!(fail(&mut c, &["DEBUG", "ERROR", "MYCODE something broke"]), "MYCODE something broke");
    assert!(fail(&mut c, &["DEBUG", "NOPE"]).contains("Try DEBUG HELP"));

    let plain = TestServer::start();
    let mut c = plain.sync_conn();
    assert!(fail(&mut c, &["DEBUG", "DIGEST"]).starts_with("ERR DEBUG command not allowed"));
    // Refused before it is queued, so the transaction is aborted (as Redis's processCommand).
    let mut raw = plain.raw();
    raw.command(&[b"MULTI"]);
    assert_eq!(raw.read_line(), "+OK\r\n");
    raw.command(&[b"DEBUG", b"SLEEP", b"0"]);
    assert!(raw.read_line().starts_with("-ERR DEBUG command not allowed"));
    raw.command(&[b"MODULE", b"UNLOAD", b"x"]);
    assert!(raw.read_line().starts_with("-ERR MODULE command not allowed. If the enable-module-command option"));
    raw.command(&[b"MODULE", b"LIST"]);
    assert_eq!(raw.read_line(), "+QUEUED\r\n");
    raw.command(&[b"EXEC"]);
    assert_eq!(raw.read_line(), "-EXECABORT Transaction discarded because of previous errors.\r\n");
}

/// DEBUG LOADAOF loads the data directory (snapshot and journal) in place of the dataset,
/// as a restart would: what the journal logged is what comes back. An approximate trim is
/// logged exactly (as Redis propagates it), so a reload under another
/// `stream-node-max-entries` trims to the same length (Redis's "XADD with ~ MAXLEN can
/// propagate correctly").
#[test]
fn loadaof_loads_what_the_journal_holds() {
    let (server, _dir) = TestServer::start_with_debug(&["--appendonly", "yes"]);
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["SET", "a", "1", "EX", "100"]);
    run::<()>(&mut c, &["RPUSH", "l", "x", "y"]);
    run::<()>(
        &mut c,
        &["FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 'hi' end)"],
    );
    for _ in 0..100 {
        run::<String>(&mut c, &["XADD", "s", "*", "item", "v"]);
    }
    run::<String>(&mut c, &["XADD", "s", "MAXLEN", "~", "100", "*", "item", "v"]);
    assert_eq!(run::<i64>(&mut c, &["XLEN", "s"]), 101, "~ trims whole nodes only");
    for _ in 0..10 {
        run::<String>(&mut c, &["XADD", "t", "*", "item", "v"]);
    }
    assert_eq!(run::<i64>(&mut c, &["XTRIM", "t", "MAXLEN", "~", "5", "LIMIT", "100"]), 0);
    let digest: String = run(&mut c, &["DEBUG", "DIGEST"]);
    run::<()>(&mut c, &["SAVE"]);
    // Some of it after the snapshot: the journal's tail is loaded on top of it.
    run::<()>(&mut c, &["SET", "b", "2"]);
    run::<()>(&mut c, &["DEL", "b"]);
    run::<()>(&mut c, &["CONFIG", "SET", "stream-node-max-entries", "1"]);
    assert_eq!(run::<String>(&mut c, &["DEBUG", "LOADAOF"]), "OK");
    assert_eq!(run::<String>(&mut c, &["DEBUG", "DIGEST"]), digest);
    assert_eq!(run::<i64>(&mut c, &["XLEN", "s"]), 101);
    let ttl: i64 = run(&mut c, &["TTL", "a"]);
    assert!((95..=100).contains(&ttl), "the expiry comes back: {ttl}");
    assert_eq!(run::<String>(&mut c, &["FCALL", "f", "0"]), "hi");
    // Journal only, now that the snapshot is older than these.
    run::<String>(&mut c, &["XADD", "s", "MAXLEN", "~", "50", "*", "item", "v"]);
    run::<()>(&mut c, &["FUNCTION", "DELETE", "lib"]);
    let len: i64 = run(&mut c, &["XLEN", "s"]);
    run::<()>(&mut c, &["CONFIG", "SET", "stream-node-max-entries", "100"]);
    assert_eq!(run::<String>(&mut c, &["DEBUG", "LOADAOF"]), "OK");
    assert_eq!(run::<i64>(&mut c, &["XLEN", "s"]), len);
    assert_eq!(run::<Vec<redis::Value>>(&mut c, &["FUNCTION", "LIST"]), Vec::<redis::Value>::new());
    // Clients keep working on the loaded data.
    assert_eq!(run::<i64>(&mut c, &["RPUSH", "l", "z"]), 3);
}

#[test]
fn loadaof_needs_the_journal() {
    let (server, _dir) = TestServer::start_with_debug(&["--appendonly", "no"]);
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["SET", "a", "1"]);
    assert!(fail(&mut c, &["DEBUG", "LOADAOF"]).contains("journal is off"));
    assert_eq!(run::<String>(&mut c, &["GET", "a"]), "1", "nothing was dropped");
}

/// Redis's functions.tcl "test debug reload different options": NOFLUSH without MERGE
/// would load every key and function twice, which Redis refuses; with MERGE it works.
#[test]
fn reload_options_as_redis() {
    let (server, _dir) = TestServer::start_with_debug(&[]);
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["SET", "k", "v"]);
    assert_eq!(fail(&mut c, &["DEBUG", "RELOAD", "NOFLUSH"]), "ERR Error trying to load the RDB dump");
    assert_eq!(run::<String>(&mut c, &["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"]), "OK");
    assert_eq!(run::<String>(&mut c, &["GET", "k"]), "v");
    assert_eq!(
        fail(&mut c, &["DEBUG", "RELOAD", "FAST"]),
        "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
    );
    run::<()>(&mut c, &["FLUSHALL"]);
    assert_eq!(run::<String>(&mut c, &["DEBUG", "RELOAD", "NOFLUSH"]), "OK", "nothing to load twice");
}

/// Redis's scripting.tcl "Script delete the expired key": DEBUG OBJECT describes a key past
/// its deadline without expiring it; the next real lookup does.
#[test]
fn debug_object_leaves_an_expired_key_alone() {
    let (server, _dir) = TestServer::start_with_debug(&[]);
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let server_ms = |c: &mut redis::Connection| {
        let (secs, micros): (i64, i64) = run(c, &["TIME"]);
        secs * 1000 + micros / 1000
    };
    let set_at = server_ms(&mut c);
    run::<()>(&mut c, &["SET", "key", "value", "PX", "1"]);
    assert!(wait_until(Duration::from_secs(5), || server_ms(&mut c) > set_at + 2));
    let line: String = run(&mut c, &["DEBUG", "OBJECT", "key"]);
    assert!(line.contains("encoding:embstr"), "{line}");
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "key"]), 0);
    assert_eq!(fail(&mut c, &["DEBUG", "OBJECT", "key"]), "ERR no such key");
}
