//! MULTI / EXEC / DISCARD / WATCH / UNWATCH through real clients, following Redis 7's
//! documented behaviour (and its own test suite's expectations): queueing, EXECABORT,
//! runtime errors inside EXEC, WATCH with writes, expiry, FLUSH and SWAPDB, atomicity
//! across shards under concurrent clients, and the RESP2/RESP3 null of an aborted EXEC.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{TestServer, fail, get, run, set, wait_until};
use redis::Value;

fn exec(con: &mut redis::Connection) -> Value {
    run(con, &["EXEC"])
}

fn queued(con: &mut redis::Connection, args: &[&str]) {
    assert_eq!(run::<String>(con, args), "QUEUED", "{args:?}");
}

/// A simple-string reply as the redis crate decodes it.
fn okay(v: &str) -> Value {
    if v == "OK" { Value::Okay } else { Value::SimpleString(v.to_owned()) }
}

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

#[test]
fn multi_exec_runs_the_queued_commands_in_order() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["RPUSH", "mylist", "a", "b", "c"]);
    assert_eq!(run::<String>(&mut c, &["MULTI"]), "OK");
    queued(&mut c, &["LRANGE", "mylist", "0", "-1"]);
    queued(&mut c, &["PING"]);
    queued(&mut c, &["SET", "x", "1"]);
    queued(&mut c, &["INCR", "x"]);
    assert_eq!(
        exec(&mut c),
        Value::Array(vec![
            Value::Array(vec![bulk("a"), bulk("b"), bulk("c")]),
            okay("PONG"),
            okay("OK"),
            Value::Int(2),
        ])
    );
    // An empty transaction replies an empty array.
    run::<String>(&mut c, &["MULTI"]);
    assert_eq!(exec(&mut c), Value::Array(vec![]));
}

#[test]
fn discard_drops_the_queue_and_the_errors_of_misuse_are_redis_s() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["RPUSH", "mylist", "a", "b", "c"]);
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["DEL", "mylist"]);
    assert_eq!(run::<String>(&mut c, &["DISCARD"]), "OK");
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "mylist", "0", "-1"]), ["a", "b", "c"]);

    assert_eq!(fail(&mut c, &["EXEC"]), "ERR EXEC without MULTI");
    assert_eq!(fail(&mut c, &["DISCARD"]), "ERR DISCARD without MULTI");
    run::<String>(&mut c, &["MULTI"]);
    // Neither error aborts the open transaction.
    assert_eq!(fail(&mut c, &["MULTI"]), "ERR MULTI calls can not be nested");
    assert_eq!(fail(&mut c, &["WATCH", "x"]), "ERR WATCH inside MULTI is not allowed");
    queued(&mut c, &["PING"]);
    assert_eq!(exec(&mut c), Value::Array(vec![okay("PONG")]));
}

#[test]
fn an_error_while_queueing_aborts_exec_and_clears_the_state() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["SET", "foo1{t}", "bar1"]);
    assert!(fail(&mut c, &["NON-EXISTING-COMMAND"]).starts_with("ERR unknown command"));
    queued(&mut c, &["SET", "foo2{t}", "bar2"]);
    assert_eq!(fail(&mut c, &["EXEC"]), "EXECABORT Transaction discarded because of previous errors.");
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "foo1{t}", "foo2{t}"]), 0);
    assert_eq!(run::<String>(&mut c, &["PING"]), "PONG", "no longer in MULTI");

    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["SET", "foo1{t}", "bar1"]);
    assert_eq!(fail(&mut c, &["GET"]), "ERR wrong number of arguments for 'get' command");
    assert!(fail(&mut c, &["EXEC"]).starts_with("EXECABORT"));
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "foo1{t}"]), 0);

    // A command that cannot run in a transaction is refused and aborts it too.
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(fail(&mut c, &["SHUTDOWN"]), "ERR Command not allowed inside a transaction");
    assert!(fail(&mut c, &["EXEC"]).starts_with("EXECABORT"));
    assert_eq!(get(&mut c, "foo"), None);
}

#[test]
fn a_runtime_error_fails_only_its_command() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.expect(&["SET", "s", "text"], "+OK\r\n");
    raw.expect(&["MULTI"], "+OK\r\n");
    raw.expect(&["SET", "a", "1"], "+QUEUED\r\n");
    raw.expect(&["LPOP", "s"], "+QUEUED\r\n");
    raw.expect(&["INCR", "a"], "+QUEUED\r\n");
    raw.expect(&["EXEC"], "*3\r\n+OK\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n:2\r\n");
    let mut c = server.sync_conn();
    assert_eq!(get(&mut c, "a").as_deref(), Some("2"));
}

#[test]
fn commands_that_rewrite_themselves_and_blocking_commands_do_not_wait() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["SADD", "myset", "a"]);
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["SPOP", "myset"]);
    assert_eq!(exec(&mut c), Value::Array(vec![bulk("a")]));
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "myset"]), 0);

    run::<String>(&mut c, &["MULTI"]);
    for cmd in [
        &["BLPOP", "empty_list{t}", "0"][..],
        &["BRPOP", "empty_list{t}", "0"],
        &["BRPOPLPUSH", "empty_list1{t}", "empty_list2{t}", "0"],
        &["BLMOVE", "empty_list1{t}", "empty_list2{t}", "LEFT", "LEFT", "0"],
        &["BZPOPMIN", "empty_zset{t}", "0"],
        &["BZPOPMAX", "empty_zset{t}", "0"],
    ] {
        queued(&mut c, cmd);
    }
    assert_eq!(exec(&mut c), Value::Array(vec![Value::Nil; 6]), "blocking commands time out at once");
    // And one with data is served.
    run::<i64>(&mut c, &["RPUSH", "l", "x"]);
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["BLPOP", "l", "0"]);
    assert_eq!(exec(&mut c), Value::Array(vec![Value::Array(vec![bulk("l"), bulk("x")])]));
}

#[test]
fn exec_fails_when_a_watched_key_was_modified() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let mut other = server.sync_conn();

    // Not modified: runs.
    assert_eq!(run::<String>(&mut c, &["WATCH", "x{t}", "y{t}", "z{t}"]), "OK");
    run::<String>(&mut c, &["WATCH", "k{t}"]);
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["PING"]);
    assert_eq!(exec(&mut c), Value::Array(vec![okay("PONG")]));

    // Modified by this client, 1 key of 1.
    set(&mut c, "x", "30");
    run::<String>(&mut c, &["WATCH", "x"]);
    set(&mut c, "x", "40");
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["PING"]);
    assert_eq!(exec(&mut c), Value::Nil);

    // Modified by another client, 1 key of 5.
    set(&mut c, "x{t}", "30");
    run::<String>(&mut c, &["WATCH", "a{t}", "b{t}", "x{t}", "k{t}", "z{t}"]);
    set(&mut other, "x{t}", "40");
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["SET", "x{t}", "from-tx"]);
    assert_eq!(exec(&mut c), Value::Nil);
    assert_eq!(get(&mut c, "x{t}").as_deref(), Some("40"), "nothing of the aborted transaction ran");

    // A key created by another client counts; so do in-place changes and deletions.
    for change in [&["SET", "new", "1"][..], &["APPEND", "x", "!"], &["RPUSH", "x2", "a"], &["DEL", "x"]] {
        set(&mut c, "x", "30");
        run::<i64>(&mut c, &["DEL", "new", "x2"]);
        run::<String>(&mut c, &["WATCH", change[1]]);
        run::<Value>(&mut other, change);
        run::<String>(&mut c, &["MULTI"]);
        queued(&mut c, &["PING"]);
        assert_eq!(exec(&mut c), Value::Nil, "{change:?} must abort EXEC");
    }

    // EXPIRE on a watched key is a change.
    set(&mut c, "x", "foo");
    run::<String>(&mut c, &["WATCH", "x"]);
    run::<i64>(&mut other, &["EXPIRE", "x", "10"]);
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["PING"]);
    assert_eq!(exec(&mut c), Value::Nil);

    // A read of the watched key is not a change, nor is a write to another database.
    run::<String>(&mut c, &["SELECT", "5"]);
    set(&mut c, "x", "30");
    run::<String>(&mut c, &["WATCH", "x"]);
    get(&mut other, "x");
    run::<String>(&mut other, &["SELECT", "1"]);
    set(&mut other, "x", "10");
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["PING"]);
    assert_eq!(exec(&mut c), Value::Array(vec![okay("PONG")]));
}

#[test]
fn a_write_that_changes_nothing_is_no_change() {
    // Redis signals WATCH, counts a change (rdb_changes_since_last_save) and logs a write
    // command only when it changed something: SADD of a member already there, SREM of one
    // that is not, and the like, are none of those.
    let server = TestServer::start_with(&["--save", ""]);
    let mut c = server.sync_conn();
    let mut other = server.sync_conn();
    run::<Value>(&mut c, &["SADD", "s", "a"]);
    run::<Value>(&mut c, &["ZADD", "z", "1", "a"]);
    run::<Value>(&mut c, &["RPUSH", "l", "a"]);
    run::<Value>(&mut c, &["HSET", "h", "f", "1"]);
    run::<Value>(&mut c, &["SETBIT", "b", "1", "1"]);
    run::<Value>(&mut c, &["PFADD", "p", "a"]);
    run::<Value>(&mut c, &["SET", "k", "v"]);
    let changes = |c: &mut redis::Connection| -> i64 {
        let info: String = run(c, &["INFO", "persistence"]);
        info.lines()
            .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("rdb_changes_since_last_save")
    };
    let before = changes(&mut c);
    let noops: &[&[&str]] = &[
        &["SADD", "s", "a"],
        &["SREM", "s", "zz"],
        &["SMOVE", "s", "s2", "zz"],
        &["ZADD", "z", "1", "a"],
        &["ZADD", "z", "XX", "2", "b"],
        &["ZINCRBY", "z", "0", "a"],
        &["ZREM", "z", "zz"],
        &["ZREMRANGEBYSCORE", "z", "5", "6"],
        &["LREM", "l", "0", "zz"],
        &["LINSERT", "l", "BEFORE", "zz", "x"],
        &["HDEL", "h", "zz"],
        &["HSETNX", "h", "f", "2"],
        &["SETBIT", "b", "1", "1"],
        &["PFADD", "p", "a"],
        &["SETRANGE", "k", "0", ""],
        &["PERSIST", "k"],
        &["DEL", "nokey"],
        &["SREM", "nokey", "a"],
        &["LPOP", "nokey"],
        &["COPY", "s", "k"],
    ];
    for noop in noops {
        run::<String>(&mut c, &["WATCH", "s", "z", "l", "h", "b", "p", "k", "nokey"]);
        run::<Value>(&mut other, noop);
        run::<String>(&mut c, &["MULTI"]);
        queued(&mut c, &["PING"]);
        assert_eq!(exec(&mut c), Value::Array(vec![okay("PONG")]), "{noop:?} aborted EXEC");
    }
    assert_eq!(changes(&mut c), before, "a write that changed nothing was counted");
    // A real change still counts and still aborts.
    run::<String>(&mut c, &["WATCH", "s"]);
    run::<Value>(&mut other, &["SADD", "s", "b"]);
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["PING"]);
    assert_eq!(exec(&mut c), Value::Nil);
    assert_eq!(changes(&mut c), before + 1);
    // Refused writes are no change either: WRONGTYPE, INCR of a non-integer, LSET out of range.
    let refused: &[&[&str]] = &[
        &["SADD", "k", "a"],
        &["INCR", "k"],
        &["LSET", "l", "9", "x"],
        &["SMOVE", "s", "k", "a"],
        &["LMOVE", "l", "k", "LEFT", "LEFT"],
    ];
    for refused in refused {
        run::<String>(&mut c, &["WATCH", "k", "l", "h", "s"]);
        assert!(redis::cmd(refused[0]).arg(&refused[1..]).query::<Value>(&mut other).is_err(), "{refused:?}");
        run::<String>(&mut c, &["MULTI"]);
        queued(&mut c, &["PING"]);
        assert_eq!(exec(&mut c), Value::Array(vec![okay("PONG")]), "{refused:?} aborted EXEC");
    }
    assert_eq!(changes(&mut c), before + 1);
    // Emptying a database is a change, as in Redis (the save rules see it); SWAPDB too.
    run::<String>(&mut c, &["FLUSHDB"]);
    assert_eq!(changes(&mut c), before + 2);
    run::<String>(&mut c, &["SWAPDB", "0", "1"]);
    assert_eq!(changes(&mut c), before + 3);
}

#[test]
fn exec_and_discard_and_unwatch_end_the_watch() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    for ends_watch in [&["EXEC"][..], &["FAILED-EXEC"]] {
        set(&mut c, "x", "30");
        run::<String>(&mut c, &["WATCH", "x"]);
        if ends_watch == ["FAILED-EXEC"] {
            set(&mut c, "x", "40");
        }
        run::<String>(&mut c, &["MULTI"]);
        queued(&mut c, &["PING"]);
        exec(&mut c);
        set(&mut c, "x", "40");
        run::<String>(&mut c, &["MULTI"]);
        queued(&mut c, &["PING"]);
        assert_eq!(exec(&mut c), Value::Array(vec![okay("PONG")]), "after {ends_watch:?} x is not watched");
    }

    set(&mut c, "x", "30");
    run::<String>(&mut c, &["WATCH", "x"]);
    set(&mut c, "x", "40");
    assert_eq!(run::<String>(&mut c, &["UNWATCH"]), "OK");
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["PING"]);
    assert_eq!(exec(&mut c), Value::Array(vec![okay("PONG")]));
    assert_eq!(run::<String>(&mut c, &["UNWATCH"]), "OK", "UNWATCH with nothing watched");

    // DISCARD clears the dirty flag and the watched keys.
    run::<String>(&mut c, &["WATCH", "x"]);
    set(&mut c, "x", "10");
    run::<String>(&mut c, &["MULTI"]);
    run::<String>(&mut c, &["DISCARD"]);
    set(&mut c, "x", "10");
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["INCR", "x"]);
    assert_eq!(exec(&mut c), Value::Array(vec![Value::Int(11)]));

    // RESET too.
    run::<String>(&mut c, &["WATCH", "x"]);
    set(&mut c, "x", "1");
    run::<String>(&mut c, &["MULTI"]);
    assert_eq!(run::<String>(&mut c, &["RESET"]), "RESET");
    assert_eq!(fail(&mut c, &["EXEC"]), "ERR EXEC without MULTI");
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["INCR", "x"]);
    assert_eq!(exec(&mut c), Value::Array(vec![Value::Int(2)]));
}

#[test]
fn watch_sees_expiry_but_not_stale_keys() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let mut other = server.sync_conn();

    // A key that existed when watched and expired before EXEC changed.
    run::<String>(&mut c, &["SET", "key", "1", "PX", "100"]);
    run::<String>(&mut c, &["WATCH", "key"]);
    assert!(wait_until(Duration::from_secs(5), || run::<i64>(&mut other, &["PTTL", "key"]) == -2));
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["INCR", "key"]);
    assert_eq!(exec(&mut c), Value::Nil);

    // Also when the active expiry cycle removed it.
    run::<String>(&mut c, &["SET", "x", "foo", "PX", "50"]);
    run::<String>(&mut c, &["WATCH", "x"]);
    assert!(wait_until(Duration::from_secs(5), || run::<i64>(&mut other, &["DBSIZE"]) == 0));
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["PING"]);
    assert_eq!(exec(&mut c), Value::Nil);

    // A key already expired when watched: its removal is no change.
    run::<String>(&mut c, &["SET", "x", "foo", "PX", "1"]);
    assert!(wait_until(Duration::from_secs(5), || run::<i64>(&mut other, &["PTTL", "x"]) == -2));
    run::<String>(&mut c, &["WATCH", "x"]);
    assert_eq!(run::<i64>(&mut other, &["EXISTS", "x"]), 0);
    run::<i64>(&mut other, &["DEL", "x"]);
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["PING"]);
    assert_eq!(exec(&mut c), Value::Array(vec![okay("PONG")]));
}

#[test]
fn flush_and_swapdb_touch_only_watched_keys_that_exist() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let mut other = server.sync_conn();
    let attempt = |c: &mut redis::Connection| {
        run::<String>(c, &["MULTI"]);
        queued(c, &["PING"]);
        exec(c)
    };
    for flush in ["FLUSHALL", "FLUSHDB"] {
        set(&mut c, "x", "30");
        run::<String>(&mut c, &["WATCH", "x"]);
        run::<String>(&mut other, &[flush]);
        assert_eq!(attempt(&mut c), Value::Nil, "{flush} deletes a watched key");

        run::<i64>(&mut c, &["DEL", "x"]);
        run::<String>(&mut c, &["WATCH", "x"]);
        run::<String>(&mut other, &[flush]);
        assert_eq!(attempt(&mut c), Value::Array(vec![okay("PONG")]), "{flush} of a missing key");
    }
    // FLUSHDB of another database does not touch.
    set(&mut c, "x", "30");
    run::<String>(&mut c, &["WATCH", "x"]);
    run::<String>(&mut other, &["SELECT", "3"]);
    run::<String>(&mut other, &["FLUSHDB"]);
    assert_eq!(attempt(&mut c), Value::Array(vec![okay("PONG")]));
    run::<String>(&mut other, &["SELECT", "0"]);

    // SWAPDB: a watched key that exists is swapped away...
    run::<String>(&mut c, &["FLUSHALL"]);
    set(&mut c, "x", "30");
    run::<String>(&mut c, &["WATCH", "x"]);
    run::<String>(&mut other, &["SWAPDB", "0", "1"]);
    assert_eq!(attempt(&mut c), Value::Nil);
    // ...and a missing one appears from the other database.
    run::<String>(&mut c, &["FLUSHALL"]);
    run::<String>(&mut other, &["SELECT", "1"]);
    set(&mut other, "x", "30");
    run::<String>(&mut c, &["WATCH", "x"]);
    run::<String>(&mut other, &["SWAPDB", "0", "1"]);
    assert_eq!(attempt(&mut c), Value::Nil);
    // Missing on both sides: no change.
    run::<String>(&mut c, &["FLUSHALL"]);
    run::<String>(&mut c, &["WATCH", "x"]);
    run::<String>(&mut other, &["SWAPDB", "0", "1"]);
    assert_eq!(attempt(&mut c), Value::Array(vec![okay("PONG")]));

    // Several watched keys and a FLUSHALL, then the client goes on normally.
    run::<String>(&mut c, &["MSET", "a{t}", "a", "b{t}", "b"]);
    run::<String>(&mut c, &["WATCH", "b{t}", "a{t}"]);
    run::<String>(&mut other, &["FLUSHALL"]);
    assert_eq!(run::<String>(&mut c, &["PING"]), "PONG");
    assert_eq!(attempt(&mut c), Value::Nil);
}

#[test]
fn keyspace_wide_commands_run_inside_exec() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<String>(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"]);
    run::<String>(&mut c, &["MULTI"]);
    for cmd in [
        &["DBSIZE"][..],
        &["KEYS", "a*"],
        &["SCAN", "0", "COUNT", "1000", "MATCH", "b"],
        &["RANDOMKEY"],
        &["INFO", "keyspace"],
        &["SELECT", "2"],
        &["SET", "in-two", "x"],
        &["SWAPDB", "2", "3"],
        &["SELECT", "0"],
        &["FLUSHDB"],
        &["DBSIZE"],
    ] {
        queued(&mut c, cmd);
    }
    let Value::Array(replies) = exec(&mut c) else { panic!("EXEC must reply an array") };
    assert_eq!(replies.len(), 11);
    assert_eq!(replies[0], Value::Int(3));
    assert_eq!(replies[1], Value::Array(vec![bulk("a")]));
    assert_eq!(replies[2], Value::Array(vec![bulk("0"), Value::Array(vec![bulk("b")])]));
    let info: String = redis::from_redis_value(replies[4].clone()).unwrap();
    assert!(info.contains("db0:keys=3"), "{info}");
    assert_eq!(replies[10], Value::Int(0));
    run::<String>(&mut c, &["SELECT", "3"]);
    assert_eq!(get(&mut c, "in-two").as_deref(), Some("x"));
}

#[test]
fn an_aborted_exec_is_a_null_array_in_resp2_and_a_null_in_resp3() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    for (mut raw, null) in [(server.raw(), "*-1\r\n"), (server.raw_resp3(), "_\r\n")] {
        raw.expect(&["WATCH", "w"], "+OK\r\n");
        set(&mut c, "w", "changed");
        raw.expect(&["MULTI"], "+OK\r\n");
        raw.expect(&["PING"], "+QUEUED\r\n");
        raw.expect(&["EXEC"], null);
    }
}

#[test]
fn transactions_are_atomic_across_shards_under_concurrency() {
    // Spread: the clients race from different worker threads.
    let server = TestServer::start_with(&["--worker-placement", "spread"]);
    let mut setup = server.sync_conn();
    // Keys in different slots, so in different shards.
    let accounts = ["acct:alpha", "acct:beta", "acct:gamma", "acct:delta"];
    for a in accounts {
        set(&mut setup, a, "1000");
    }
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let mut con = server.sync_conn();
            std::thread::spawn(move || {
                for i in 0..300 {
                    let from = accounts[(w + i) % 4];
                    let to = accounts[(w + i + 1) % 4];
                    let _: Value = redis::pipe()
                        .atomic()
                        .cmd("DECRBY")
                        .arg(from)
                        .arg(7)
                        .cmd("INCRBY")
                        .arg(to)
                        .arg(7)
                        .query(&mut con)
                        .unwrap();
                }
            })
        })
        .collect();
    // Every read inside a transaction sees the total unchanged.
    let mut reader = server.sync_conn();
    while !writers.iter().all(|w| w.is_finished()) {
        let (a, b, c, d): (i64, i64, i64, i64) = redis::pipe()
            .atomic()
            .get(accounts[0])
            .get(accounts[1])
            .get(accounts[2])
            .get(accounts[3])
            .query(&mut reader)
            .unwrap();
        assert_eq!(a + b + c + d, 4000, "a transaction was seen half done");
    }
    for w in writers {
        w.join().unwrap();
    }
    let total: i64 = accounts.iter().map(|a| run::<i64>(&mut setup, &["GET", a])).sum();
    assert_eq!(total, 4000);
}

#[test]
fn watch_makes_check_and_set_safe_under_contention() {
    // Spread: the clients race from different worker threads.
    let server = TestServer::start_with(&["--worker-placement", "spread"]);
    let mut setup = server.sync_conn();
    set(&mut setup, "counter", "0");
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let mut con = server.sync_conn();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    // The optimistic loop of Redis's documentation: read, compute, write if unchanged.
                    loop {
                        run::<String>(&mut con, &["WATCH", "counter"]);
                        let n: i64 = run(&mut con, &["GET", "counter"]);
                        let result: Option<Vec<Value>> = redis::pipe()
                            .atomic()
                            .set("counter", n + 1)
                            .ignore()
                            .get("counter")
                            .query(&mut con)
                            .unwrap();
                        if result.is_some() {
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(run::<i64>(&mut setup, &["GET", "counter"]), 400, "no increment lost");
}

#[tokio::test]
async fn grpc_pipeline_runs_a_transaction_on_its_session() {
    let server = TestServer::start();
    let mut grpc = aegisr_proto::Client::connect(server.grpc_url()).await.unwrap();
    let commands: Vec<Vec<Bytes>> = [&["MULTI"][..], &["SET", "g", "1"], &["INCR", "g"], &["EXEC"]]
        .iter()
        .map(|c| c.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect())
        .collect();
    let replies = grpc.pipeline(commands).await.unwrap();
    assert_eq!(replies.len(), 4);
    assert_eq!(replies[1].as_str(), Some("QUEUED"));
    assert_eq!(format!("{}", replies[3]), "1) OK\n2) (integer) 2");
}

#[test]
fn exec_with_arguments_aborts_the_transaction_and_the_watch() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let abort = "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command";
    // Redis's rejectCommand: a refused EXEC discards the transaction, in MULTI or not.
    assert_eq!(fail(&mut c, &["EXEC", "x"]), abort);
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["SET", "k", "v"]);
    assert_eq!(fail(&mut c, &["EXEC", "x"]), abort);
    assert_eq!(fail(&mut c, &["EXEC"]), "ERR EXEC without MULTI");
    assert_eq!(get(&mut c, "k"), None);
    // ... and forgets the watched keys.
    run::<String>(&mut c, &["WATCH", "x"]);
    set(&mut c, "x", "1");
    assert_eq!(fail(&mut c, &["EXEC", "x"]), abort);
    run::<String>(&mut c, &["MULTI"]);
    queued(&mut c, &["INCR", "x"]);
    assert_eq!(exec(&mut c), Value::Array(vec![Value::Int(2)]));
    // DISCARD's own arity error only flags the transaction, as any queued error.
    run::<String>(&mut c, &["MULTI"]);
    assert_eq!(fail(&mut c, &["DISCARD", "x"]), "ERR wrong number of arguments for 'discard' command");
    assert_eq!(fail(&mut c, &["EXEC"]), "EXECABORT Transaction discarded because of previous errors.");
}
