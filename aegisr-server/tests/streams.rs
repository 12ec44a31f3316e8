//! Streams through real clients: appends and IDs, ranges, trimming, deletion, XREAD (also
//! blocking), consumer groups end to end, introspection, and the errors Redis 7.0 gives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{RawConn, TestServer, fail, run, wait_until};
use redis::Value;

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

/// `[id, [field, value, ...]]` as the redis crate reads it.
fn entry(id: &str, pairs: &[&str]) -> Value {
    Value::Array(vec![bulk(id), Value::Array(pairs.iter().map(|p| bulk(p)).collect())])
}

fn entries(list: &[(&str, &[&str])]) -> Value {
    Value::Array(list.iter().map(|(id, pairs)| entry(id, pairs)).collect())
}

fn ids(con: &mut redis::Connection, args: &[&str]) -> Vec<String> {
    let reply: Value = run(con, args);
    let Value::Array(items) = reply else { panic!("{args:?}: {reply:?}") };
    items
        .into_iter()
        .map(|item| match item {
            Value::Array(mut pair) => match pair.remove(0) {
                Value::BulkString(id) => String::from_utf8(id).unwrap(),
                other => panic!("{other:?}"),
            },
            Value::BulkString(id) => String::from_utf8(id).unwrap(),
            other => panic!("{other:?}"),
        })
        .collect()
}

/// Waits until the server reports `n` blocked clients.
fn wait_blocked(server: &TestServer, n: usize) {
    let mut con = server.sync_conn();
    let want = format!("blocked_clients:{n}\r\n");
    assert!(
        wait_until(Duration::from_secs(10), || run::<String>(&mut con, &["INFO", "clients"]).contains(&want)),
        "never saw {n} blocked clients"
    );
}

/// Reads `n` reply lines from a raw connection, joined.
fn lines(raw: &mut RawConn, n: usize) -> String {
    (0..n).map(|_| raw.read_line()).collect()
}

#[test]
fn xadd_ids_and_their_errors() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    assert_eq!(run::<String>(&mut c, &["XADD", "s", "1-1", "a", "1"]), "1-1");
    assert_eq!(run::<String>(&mut c, &["XADD", "s", "1-*", "a", "2"]), "1-2");
    assert_eq!(run::<String>(&mut c, &["XADD", "s", "5", "a", "3"]), "5-0");
    assert_eq!(run::<String>(&mut c, &["XADD", "s", "7-*", "a", "4"]), "7-0");
    let top = "ERR The ID specified in XADD is equal or smaller than the target stream top item";
    assert_eq!(fail(&mut c, &["XADD", "s", "7-0", "a", "1"]), top);
    assert_eq!(fail(&mut c, &["XADD", "s", "6-*", "a", "1"]), top);
    let invalid = "ERR Invalid stream ID specified as stream command argument";
    for bad in ["x", "1-", "-1", "1-2-3", "+", "-"] {
        assert_eq!(fail(&mut c, &["XADD", "s", bad, "a", "1"]), invalid, "{bad}");
    }
    assert_eq!(
        fail(&mut c, &["XADD", "new", "0-0", "a", "1"]),
        "ERR The ID specified in XADD must be greater than 0-0"
    );
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "new"]), 0, "a refused XADD creates nothing");
    assert_eq!(run::<String>(&mut c, &["XADD", "new", "0-*", "a", "1"]), "0-1");
    // An automatic ID follows the clock, and never goes below the last ID.
    let now = common::now_ms();
    let auto: String = run(&mut c, &["XADD", "clock", "*", "f", "v"]);
    let ms: i64 = auto.split('-').next().unwrap().parse().unwrap();
    assert!((now - 5_000..now + 5_000).contains(&ms), "{auto}");
    run::<String>(&mut c, &["XADD", "future", "99999999999999-5", "f", "v"]);
    assert_eq!(run::<String>(&mut c, &["XADD", "future", "*", "f", "v"]), "99999999999999-6");
    // Arity: fields and values come in pairs.
    let arity = "ERR wrong number of arguments for 'xadd' command";
    assert_eq!(fail(&mut c, &["XADD", "s", "*", "a"]), arity);
    assert_eq!(fail(&mut c, &["XADD", "s", "*", "a", "1", "b"]), arity);
    assert_eq!(fail(&mut c, &["XADD", "s", "MAXLEN", "1"]), arity);
    // NOMKSTREAM: nothing created, a null reply.
    assert_eq!(run::<Value>(&mut c, &["XADD", "none", "NOMKSTREAM", "*", "a", "1"]), Value::Nil);
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "none"]), 0);
    assert_eq!(run::<String>(&mut c, &["XADD", "s", "NOMKSTREAM", "8-0", "a", "5"]), "8-0");
    assert_eq!(run::<i64>(&mut c, &["XLEN", "s"]), 5);
    assert_eq!(run::<i64>(&mut c, &["XLEN", "none"]), 0);
    assert_eq!(run::<String>(&mut c, &["TYPE", "s"]), "stream");
    assert_eq!(run::<String>(&mut c, &["OBJECT", "ENCODING", "s"]), "stream");
    // The largest ID is the last one possible.
    run::<String>(&mut c, &["XADD", "max", "18446744073709551615-18446744073709551615", "a", "1"]);
    assert_eq!(
        fail(&mut c, &["XADD", "max", "*", "a", "1"]),
        "ERR The stream has exhausted the last possible ID, unable to add more items"
    );
}

#[test]
fn ranges_both_ways_with_counts_and_exclusive_ends() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    for i in 1..=5 {
        run::<String>(&mut c, &["XADD", "s", &format!("{i}-0"), "f", &i.to_string(), "g", "x"]);
    }
    run::<String>(&mut c, &["XADD", "s", "6-0", "other", "field"]);
    assert_eq!(
        run::<Value>(&mut c, &["XRANGE", "s", "2", "3"]),
        entries(&[("2-0", &["f", "2", "g", "x"]), ("3-0", &["f", "3", "g", "x"])])
    );
    assert_eq!(ids(&mut c, &["XRANGE", "s", "-", "+"]), ["1-0", "2-0", "3-0", "4-0", "5-0", "6-0"]);
    assert_eq!(ids(&mut c, &["XREVRANGE", "s", "+", "-", "COUNT", "2"]), ["6-0", "5-0"]);
    assert_eq!(ids(&mut c, &["XRANGE", "s", "(2-0", "(5-0"]), ["3-0", "4-0"]);
    // A bare millisecond as an exclusive end means its last sequence, so 5-0 is in.
    assert_eq!(ids(&mut c, &["XREVRANGE", "s", "(5", "(2"]), ["5-0", "4-0", "3-0"]);
    assert_eq!(ids(&mut c, &["XREVRANGE", "s", "(5-0", "(2-0"]), ["4-0", "3-0"]);
    assert_eq!(ids(&mut c, &["XRANGE", "s", "4", "2"]), Vec::<String>::new());
    assert_eq!(run::<Value>(&mut c, &["XRANGE", "s", "6", "+"]), entries(&[("6-0", &["other", "field"])]));
    // COUNT 0 (or negative) is a null array on an existing stream; a missing one is empty.
    assert_eq!(run::<Value>(&mut c, &["XRANGE", "s", "-", "+", "COUNT", "0"]), Value::Nil);
    assert_eq!(run::<Value>(&mut c, &["XRANGE", "nokey", "-", "+"]), Value::Array(vec![]));
    let invalid = "ERR Invalid stream ID specified as stream command argument";
    for (start, end) in [("(-", "+"), ("-", "(+"), ("(", "+"), ("x", "+"), ("-", "1-x")] {
        assert_eq!(fail(&mut c, &["XRANGE", "s", start, end]), invalid, "{start} {end}");
    }
    assert_eq!(
        fail(&mut c, &["XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"]),
        "ERR invalid start ID for the interval"
    );
    assert_eq!(fail(&mut c, &["XRANGE", "s", "-", "(0-0"]), "ERR invalid end ID for the interval");
    assert_eq!(fail(&mut c, &["XRANGE", "s", "-", "+", "COUNT"]), "ERR syntax error");
    assert_eq!(fail(&mut c, &["XRANGE", "s", "-", "+", "COUNT", "x"]), "ERR value is not an integer or out of range");
}

#[test]
fn large_streams_span_many_blocks() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let mut pipe = redis::pipe();
    for i in 1..=2500u32 {
        // Field names change now and then, so some entries carry their own fields.
        let field = if i % 250 == 0 { "odd" } else { "f" };
        pipe.cmd("XADD").arg("big").arg(format!("{i}-1")).arg(field).arg(i).ignore();
    }
    pipe.query::<()>(&mut c).unwrap();
    assert_eq!(run::<i64>(&mut c, &["XLEN", "big"]), 2500);
    let got = ids(&mut c, &["XRANGE", "big", "1199", "1201-5"]);
    assert_eq!(got, ["1199-1", "1200-1", "1201-1"]);
    assert_eq!(run::<Value>(&mut c, &["XRANGE", "big", "1250", "1250"]), entries(&[("1250-1", &["odd", "1250"])]));
    let back = ids(&mut c, &["XREVRANGE", "big", "(1001-1", "-", "COUNT", "3"]);
    assert_eq!(back, ["1000-1", "999-1", "998-1"]);
    let all = ids(&mut c, &["XRANGE", "big", "-", "+"]);
    assert_eq!(all.len(), 2500);
    let info: Value = run(&mut c, &["XINFO", "STREAM", "big"]);
    let Value::Array(fields) = info else { panic!() };
    assert_eq!(fields[2], bulk("radix-tree-keys"));
    assert_eq!(fields[3], Value::Int(25), "blocks of 100 entries");
}

#[test]
fn trimming_exact_approximate_and_by_id() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let fill = |c: &mut redis::Connection, key: &str, n: u32| {
        let mut pipe = redis::pipe();
        for i in 1..=n {
            pipe.cmd("XADD").arg(key).arg(format!("{i}-0")).arg("f").arg("v").ignore();
        }
        pipe.query::<()>(c).unwrap();
    };
    fill(&mut c, "s", 1000);
    // Exact trimming keeps exactly N.
    assert_eq!(run::<i64>(&mut c, &["XTRIM", "s", "MAXLEN", "=", "990"]), 10);
    assert_eq!(run::<i64>(&mut c, &["XLEN", "s"]), 990);
    assert_eq!(ids(&mut c, &["XRANGE", "s", "-", "+", "COUNT", "1"]), ["11-0"]);
    // Approximate trimming removes whole blocks only and keeps at least N.
    assert_eq!(run::<i64>(&mut c, &["XTRIM", "s", "MAXLEN", "~", "900"]), 90);
    assert_eq!(run::<i64>(&mut c, &["XLEN", "s"]), 900);
    assert_eq!(run::<i64>(&mut c, &["XTRIM", "s", "MAXLEN", "~", "850"]), 0);
    assert_eq!(run::<i64>(&mut c, &["XTRIM", "s", "MAXLEN", "~", "10", "LIMIT", "250"]), 200);
    assert_eq!(run::<i64>(&mut c, &["XLEN", "s"]), 700);
    assert_eq!(run::<i64>(&mut c, &["XTRIM", "s", "MINID", "650"]), 349);
    assert_eq!(ids(&mut c, &["XRANGE", "s", "-", "+", "COUNT", "1"]), ["650-0"]);
    // On XADD, trimming happens after the append.
    fill(&mut c, "t", 10);
    assert_eq!(run::<String>(&mut c, &["XADD", "t", "MAXLEN", "3", "11-0", "f", "v"]), "11-0");
    assert_eq!(ids(&mut c, &["XRANGE", "t", "-", "+"]), ["9-0", "10-0", "11-0"]);
    assert_eq!(run::<String>(&mut c, &["XADD", "t", "MINID", "=", "11", "12-0", "f", "v"]), "12-0");
    assert_eq!(run::<i64>(&mut c, &["XLEN", "t"]), 2);
    for (args, err) in [
        (&["XTRIM", "t", "MAXLEN", "-1"][..], "ERR The MAXLEN argument must be >= 0."),
        (
            &["XTRIM", "t", "MAXLEN", "1", "LIMIT", "5"],
            "ERR syntax error, LIMIT cannot be used without the special ~ option",
        ),
        (&["XTRIM", "t", "MAXLEN", "~", "1", "LIMIT", "-1"], "ERR The LIMIT argument must be >= 0."),
        (
            &["XTRIM", "t", "MAXLEN", "1", "MINID", "1"],
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
        ),
        (
            &["XTRIM", "t", "LIMIT", "1"],
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ),
        (&["XTRIM", "t", "FOO", "1"], "ERR syntax error"),
        (&["XTRIM", "t", "MINID", "+"], "ERR Invalid stream ID specified as stream command argument"),
        (&["XADD", "t", "MAXLEN", "x", "*", "f", "v"], "ERR value is not an integer or out of range"),
    ] {
        assert_eq!(fail(&mut c, args), err, "{args:?}");
    }
    assert_eq!(run::<i64>(&mut c, &["XTRIM", "missing", "MAXLEN", "0"]), 0);
    // A stream trimmed to nothing stays, empty.
    assert_eq!(run::<i64>(&mut c, &["XTRIM", "t", "MAXLEN", "0"]), 2);
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "t"]), 1);
}

#[test]
fn xdel_and_xinfo_stream_bookkeeping() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    for i in 1..=4 {
        run::<String>(&mut c, &["XADD", "s", &format!("{i}-0"), "f", "v"]);
    }
    assert_eq!(run::<i64>(&mut c, &["XDEL", "s", "1-0", "3-0", "3-0", "9-0"]), 2);
    assert_eq!(fail(&mut c, &["XDEL", "s", "bad"]), "ERR Invalid stream ID specified as stream command argument");
    assert_eq!(run::<i64>(&mut c, &["XDEL", "missing", "bad"]), 0, "a missing key is looked up first");
    let info: Value = run(&mut c, &["XINFO", "STREAM", "s"]);
    let Value::Array(fields) = info else { panic!() };
    let pairs: Vec<(Value, Value)> = fields.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    let get = |name: &str| pairs.iter().find(|(k, _)| *k == bulk(name)).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(get("length"), Value::Int(2));
    assert_eq!(get("last-generated-id"), bulk("4-0"));
    assert_eq!(get("max-deleted-entry-id"), bulk("3-0"));
    assert_eq!(get("entries-added"), Value::Int(4));
    assert_eq!(get("recorded-first-entry-id"), bulk("2-0"));
    assert_eq!(get("groups"), Value::Int(0));
    assert_eq!(get("first-entry"), entry("2-0", &["f", "v"]));
    assert_eq!(get("last-entry"), entry("4-0", &["f", "v"]));
    // Emptied by XDEL: the key stays, with no first or last entry.
    assert_eq!(run::<i64>(&mut c, &["XDEL", "s", "2-0", "4-0"]), 2);
    let info: Value = run(&mut c, &["XINFO", "STREAM", "s"]);
    let Value::Array(fields) = info else { panic!() };
    assert_eq!(fields[1], Value::Int(0));
    assert_eq!(fields[17], Value::Nil);
    assert_eq!(fields[19], Value::Nil);
    assert_eq!(fail(&mut c, &["XINFO", "STREAM", "missing"]), "ERR no such key");
    assert_eq!(
        fail(&mut c, &["XINFO", "STREAM", "s", "FOO"]),
        "ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."
    );
    // XSETID moves the last ID and the counters.
    assert_eq!(run::<String>(&mut c, &["XSETID", "s", "10-0", "ENTRIESADDED", "7", "MAXDELETEDID", "5-0"]), "OK");
    assert_eq!(
        fail(&mut c, &["XADD", "s", "10-0", "f", "v"]),
        "ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
    assert_eq!(
        fail(&mut c, &["XSETID", "s", "4-0"]),
        "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id"
    );
    assert_eq!(
        fail(&mut c, &["XSETID", "s", "10-0", "MAXDELETEDID", "11-0"]),
        "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
    );
    assert_eq!(fail(&mut c, &["XSETID", "s", "10-0", "ENTRIESADDED", "-1"]), "ERR entries_added must be positive");
    assert_eq!(fail(&mut c, &["XSETID", "missing", "1-0"]), "ERR no such key");
    run::<String>(&mut c, &["XADD", "s", "11-0", "f", "v"]);
    assert_eq!(
        fail(&mut c, &["XSETID", "s", "10-5"]),
        "ERR The ID specified in XSETID is smaller than the target stream top item"
    );
}

#[test]
fn wrong_types_both_ways() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    common::set(&mut c, "str", "v");
    run::<String>(&mut c, &["XADD", "s", "1-0", "f", "v"]);
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    for args in [
        &["XADD", "str", "*", "f", "v"][..],
        &["XLEN", "str"],
        &["XRANGE", "str", "-", "+"],
        &["XDEL", "str", "1-0"],
        &["XTRIM", "str", "MAXLEN", "0"],
        &["XREAD", "STREAMS", "str", "0"],
        &["XGROUP", "CREATE", "str", "g", "$"],
        &["XACK", "str", "g", "1-0"],
        &["XPENDING", "str", "g"],
        &["XINFO", "STREAM", "str"],
        &["XSETID", "str", "1-0"],
        &["GET", "s"],
        &["LPUSH", "s", "x"],
        &["HGET", "s", "f"],
        &["SADD", "s", "m"],
    ] {
        assert_eq!(fail(&mut c, args), wrongtype, "{args:?}");
    }
}

#[test]
fn xread_serves_what_is_newer() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<String>(&mut c, &["XADD", "a", "1-0", "f", "1"]);
    run::<String>(&mut c, &["XADD", "a", "2-0", "f", "2"]);
    run::<String>(&mut c, &["XADD", "b", "5-0", "g", "5"]);
    let got: Value = run(&mut c, &["XREAD", "COUNT", "1", "STREAMS", "a", "b", "nokey", "0", "0", "0"]);
    assert_eq!(
        got,
        Value::Array(vec![
            Value::Array(vec![bulk("a"), entries(&[("1-0", &["f", "1"])])]),
            Value::Array(vec![bulk("b"), entries(&[("5-0", &["g", "5"])])]),
        ])
    );
    let got: Value = run(&mut c, &["XREAD", "STREAMS", "a", "b", "1-0", "5-0"]);
    assert_eq!(got, Value::Array(vec![Value::Array(vec![bulk("a"), entries(&[("2-0", &["f", "2"])])])]));
    // Nothing newer, or `$`: a null array at once without BLOCK.
    assert_eq!(run::<Value>(&mut c, &["XREAD", "STREAMS", "a", "$"]), Value::Nil);
    assert_eq!(run::<Value>(&mut c, &["XREAD", "STREAMS", "a", "2-0"]), Value::Nil);
    let mut raw = server.raw();
    raw.expect(&["XREAD", "STREAMS", "a", "$"], "*-1\r\n");
    // RESP3: a map from stream to entries.
    let mut raw3 = server.raw_resp3();
    raw3.command(&[b"XREAD", b"STREAMS", b"a", b"1-0"]);
    assert_eq!(lines(&mut raw3, 8), "%1\r\n$1\r\na\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n");
    assert_eq!(lines(&mut raw3, 4), "$1\r\nf\r\n$1\r\n2\r\n");
    raw3.command(&[b"XREAD", b"STREAMS", b"a", b"$"]);
    assert_eq!(raw3.read_line(), "_\r\n");
    for (args, err) in [
        (&["XREAD", "STREAMS", "a"][..], "ERR wrong number of arguments for 'xread' command"),
        (
            &["XREAD", "STREAMS", "a", "b", "0"],
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        ),
        (&["XREAD", "COUNT", "1", "a", "0"], "ERR syntax error"),
        (&["XREAD", "BLOCK", "-1", "STREAMS", "a", "0"], "ERR timeout is negative"),
        (&["XREAD", "BLOCK", "x", "STREAMS", "a", "0"], "ERR timeout is not an integer or out of range"),
        (
            &["XREAD", "STREAMS", "a", ">"],
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
        ),
        (&["XREAD", "STREAMS", "a", "bad"], "ERR Invalid stream ID specified as stream command argument"),
        (
            &["XREAD", "GROUP", "g", "c", "STREAMS", "a", "0"],
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
        ),
        (
            &["XREAD", "NOACK", "STREAMS", "a", "0"],
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
        ),
    ] {
        assert_eq!(fail(&mut c, args), err, "{args:?}");
    }
}

#[test]
fn blocking_xread_is_woken_by_xadd_with_dollar_fixed_at_block_time() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<String>(&mut c, &["XADD", "s", "1-0", "old", "entry"]);
    let mut blocked = server.raw();
    blocked.command(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"other", b"s", b"$", b"$"]);
    wait_blocked(&server, 1);
    // An entry on a stream nobody waits for wakes no one.
    run::<String>(&mut c, &["XADD", "unrelated", "1-0", "f", "v"]);
    assert_eq!(run::<String>(&mut c, &["XADD", "s", "2-0", "new", "entry"]), "2-0");
    // Only the entry added after the client blocked: `$` was not looked up again.
    assert_eq!(lines(&mut blocked, 4), "*1\r\n*2\r\n$1\r\ns\r\n");
    assert_eq!(lines(&mut blocked, 4), "*1\r\n*2\r\n$3\r\n2-0\r\n");
    assert_eq!(lines(&mut blocked, 5), "*2\r\n$3\r\nnew\r\n$5\r\nentry\r\n");
    wait_blocked(&server, 0);
    // `$` on a missing stream means "anything that will be added".
    blocked.command(&[b"XREAD", b"BLOCK", b"10000", b"STREAMS", b"later", b"$"]);
    wait_blocked(&server, 1);
    run::<String>(&mut c, &["XADD", "later", "5-5", "f", "v"]);
    assert_eq!(lines(&mut blocked, 6), "*1\r\n*2\r\n$5\r\nlater\r\n*1\r\n*2\r\n");
    assert_eq!(lines(&mut blocked, 2), "$3\r\n5-5\r\n");
}

#[test]
fn blocking_xread_times_out_with_a_null() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let started = Instant::now();
    raw.command(&[b"XREAD", b"BLOCK", b"200", b"STREAMS", b"s", b"$"]);
    assert_eq!(raw.read_line(), "*-1\r\n");
    assert!(started.elapsed() >= Duration::from_millis(200), "returned after {:?}", started.elapsed());
    let mut raw3 = server.raw_resp3();
    raw3.command(&[b"XREAD", b"BLOCK", b"50", b"STREAMS", b"s", b"0"]);
    assert_eq!(raw3.read_line(), "_\r\n");
    // Served at once when there is something, BLOCK or not.
    let mut c = server.sync_conn();
    run::<String>(&mut c, &["XADD", "s", "1-0", "f", "v"]);
    let got: Value = run(&mut c, &["XREAD", "BLOCK", "0", "STREAMS", "s", "0"]);
    assert_eq!(got, Value::Array(vec![Value::Array(vec![bulk("s"), entries(&[("1-0", &["f", "v"])])])]));
}

#[test]
fn group_commands_and_their_errors() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let need_key = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";
    assert_eq!(fail(&mut c, &["XGROUP", "CREATE", "s", "g", "$"]), need_key);
    assert_eq!(run::<String>(&mut c, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]), "OK");
    assert_eq!(run::<i64>(&mut c, &["XLEN", "s"]), 0);
    assert_eq!(fail(&mut c, &["XGROUP", "CREATE", "s", "g", "0"]), "BUSYGROUP Consumer Group name already exists");
    assert_eq!(
        fail(&mut c, &["XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "-3"]),
        "ERR value for ENTRIESREAD must be positive or -1"
    );
    assert_eq!(
        fail(&mut c, &["XGROUP", "CREATE", "s", "g2", "0", "FOO"]),
        "ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."
    );
    assert_eq!(
        fail(&mut c, &["XGROUP", "SETID", "s", "nope", "0"]),
        "NOGROUP No such consumer group 'nope' for key name 's'"
    );
    assert_eq!(run::<i64>(&mut c, &["XGROUP", "CREATECONSUMER", "s", "g", "alice"]), 1);
    assert_eq!(run::<i64>(&mut c, &["XGROUP", "CREATECONSUMER", "s", "g", "alice"]), 0);
    assert_eq!(run::<i64>(&mut c, &["XGROUP", "DELCONSUMER", "s", "g", "nobody"]), 0);
    assert_eq!(run::<i64>(&mut c, &["XGROUP", "DESTROY", "s", "nope"]), 0);
    assert_eq!(fail(&mut c, &["XGROUP", "FOO", "s", "g"]), "ERR unknown subcommand 'FOO'. Try XGROUP HELP.");
    let help: Vec<String> = run(&mut c, &["XGROUP", "HELP"]);
    assert_eq!((help.len(), &help[1][..]), (17, "CREATE <key> <groupname> <id|$> [option]"));
    let help: Vec<String> = run(&mut c, &["XINFO", "HELP"]);
    assert_eq!((help.len(), &help[5][..]), (9, "STREAM <key> [FULL [COUNT <count>]"));
    for i in 1..=3 {
        run::<String>(&mut c, &["XADD", "s", &format!("{i}-0"), "f", &i.to_string()]);
    }
    // SETID with ENTRIESREAD, and the lag it gives.
    assert_eq!(run::<String>(&mut c, &["XGROUP", "SETID", "s", "g", "1-0", "ENTRIESREAD", "1"]), "OK");
    let groups: Value = run(&mut c, &["XINFO", "GROUPS", "s"]);
    assert_eq!(
        groups,
        Value::Array(vec![Value::Array(vec![
            bulk("name"),
            bulk("g"),
            bulk("consumers"),
            Value::Int(1),
            bulk("pending"),
            Value::Int(0),
            bulk("last-delivered-id"),
            bulk("1-0"),
            bulk("entries-read"),
            Value::Int(1),
            bulk("lag"),
            Value::Int(2),
        ])])
    );
    let nogroup = "NOGROUP No such key 's' or consumer group 'nope' in XREADGROUP with GROUP option";
    assert_eq!(fail(&mut c, &["XREADGROUP", "GROUP", "nope", "c", "STREAMS", "s", ">"]), nogroup);
    assert_eq!(
        fail(&mut c, &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"]),
        "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
    );
    assert_eq!(
        fail(&mut c, &["XREADGROUP", "STREAMS", "s", ">"]),
        "ERR wrong number of arguments for 'xreadgroup' command"
    );
    assert_eq!(
        fail(&mut c, &["XREADGROUP", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", ">"]),
        "ERR Missing GROUP option for XREADGROUP"
    );
    assert_eq!(fail(&mut c, &["XPENDING", "s", "nope"]), "NOGROUP No such key 's' or consumer group 'nope'");
    assert_eq!(
        fail(&mut c, &["XCLAIM", "s", "nope", "c", "0", "1-0"]),
        "NOGROUP No such key 's' or consumer group 'nope'"
    );
    assert_eq!(fail(&mut c, &["XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "0"]), "ERR COUNT must be > 0");
    assert_eq!(
        fail(&mut c, &["XINFO", "CONSUMERS", "s", "nope"]),
        "NOGROUP No such consumer group 'nope' for key name 's'"
    );
    assert_eq!(run::<i64>(&mut c, &["XACK", "s", "nope", "bad"]), 0);
    assert_eq!(fail(&mut c, &["XACK", "s", "g", "bad"]), "ERR Invalid stream ID specified as stream command argument");
    assert_eq!(run::<i64>(&mut c, &["XGROUP", "DESTROY", "s", "g"]), 1);
    assert_eq!(run::<Value>(&mut c, &["XINFO", "GROUPS", "s"]), Value::Array(vec![]));
}

#[test]
fn a_crashed_consumer_s_entries_are_reclaimed() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<String>(&mut c, &["XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"]);
    for i in 1..=4 {
        run::<String>(&mut c, &["XADD", "jobs", &format!("{i}-0"), "job", &i.to_string()]);
    }
    // The first worker takes three jobs and "crashes": it never acknowledges them.
    let got: Value = run(&mut c, &["XREADGROUP", "GROUP", "workers", "w1", "COUNT", "3", "STREAMS", "jobs", ">"]);
    assert_eq!(
        got,
        Value::Array(vec![Value::Array(vec![
            bulk("jobs"),
            entries(&[("1-0", &["job", "1"]), ("2-0", &["job", "2"]), ("3-0", &["job", "3"])]),
        ])])
    );
    // A second worker takes the rest, and acknowledges it.
    assert_eq!(ids(&mut c, &["XREADGROUP", "GROUP", "workers", "w2", "STREAMS", "jobs", ">"]).len(), 1);
    assert_eq!(run::<i64>(&mut c, &["XACK", "jobs", "workers", "4-0", "4-0"]), 1);
    assert_eq!(run::<Value>(&mut c, &["XREADGROUP", "GROUP", "workers", "w2", "STREAMS", "jobs", ">"]), Value::Nil);
    let summary: Value = run(&mut c, &["XPENDING", "jobs", "workers"]);
    assert_eq!(
        summary,
        Value::Array(vec![
            Value::Int(3),
            bulk("1-0"),
            bulk("3-0"),
            Value::Array(vec![Value::Array(vec![bulk("w1"), bulk("3")])]),
        ])
    );
    // Not idle long enough yet: nothing is claimed, and the cursor runs to the end.
    let none: Value = run(&mut c, &["XAUTOCLAIM", "jobs", "workers", "w2", "3600000", "0"]);
    assert_eq!(none, Value::Array(vec![bulk("0-0"), Value::Array(vec![]), Value::Array(vec![])]));
    // One job is gone from the stream meanwhile.
    assert_eq!(run::<i64>(&mut c, &["XDEL", "jobs", "2-0"]), 1);
    assert!(wait_until(Duration::from_secs(10), || {
        ids(&mut c, &["XPENDING", "jobs", "workers", "IDLE", "50", "-", "+", "10"]).len() == 3
    }));
    let claimed: Value = run(&mut c, &["XAUTOCLAIM", "jobs", "workers", "w2", "50", "0", "COUNT", "1"]);
    assert_eq!(claimed, Value::Array(vec![bulk("2-0"), entries(&[("1-0", &["job", "1"])]), Value::Array(vec![])]));
    let claimed: Value = run(&mut c, &["XAUTOCLAIM", "jobs", "workers", "w2", "50", "2-0", "JUSTID"]);
    assert_eq!(
        claimed,
        Value::Array(vec![bulk("0-0"), Value::Array(vec![bulk("3-0")]), Value::Array(vec![bulk("2-0")])])
    );
    let detail: Value = run(&mut c, &["XPENDING", "jobs", "workers", "-", "+", "10", "w2"]);
    let Value::Array(rows) = detail else { panic!() };
    assert_eq!(rows.len(), 2);
    let Value::Array(first) = &rows[0] else { panic!() };
    assert_eq!((&first[0], &first[1], &first[3]), (&bulk("1-0"), &bulk("w2"), &Value::Int(2)));
    let Value::Array(second) = &rows[1] else { panic!() };
    assert_eq!(second[3], Value::Int(1), "JUSTID does not count a delivery");
    assert_eq!(ids(&mut c, &["XPENDING", "jobs", "workers", "-", "+", "10", "w1"]), Vec::<String>::new());
    // The history of a consumer: its own pending entries.
    assert_eq!(ids(&mut c, &["XREADGROUP", "GROUP", "workers", "w2", "STREAMS", "jobs", "0"]).len(), 1);
    assert_eq!(run::<i64>(&mut c, &["XACK", "jobs", "workers", "1-0", "3-0"]), 2);
    let summary: Value = run(&mut c, &["XPENDING", "jobs", "workers"]);
    assert_eq!(summary, Value::Array(vec![Value::Int(0), Value::Nil, Value::Nil, Value::Nil]));
    assert_eq!(run::<i64>(&mut c, &["XGROUP", "DELCONSUMER", "jobs", "workers", "w1"]), 0);
}

#[test]
fn xclaim_options() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<String>(&mut c, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    for i in 1..=3 {
        run::<String>(&mut c, &["XADD", "s", &format!("{i}-0"), "f", &i.to_string()]);
    }
    run::<Value>(&mut c, &["XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "s", ">"]);
    // Too recent for a one-hour minimum idle time.
    assert_eq!(run::<Value>(&mut c, &["XCLAIM", "s", "g", "b", "3600000", "1-0"]), Value::Array(vec![]));
    let got: Value = run(&mut c, &["XCLAIM", "s", "g", "b", "0", "1-0", "IDLE", "5000", "RETRYCOUNT", "7"]);
    assert_eq!(got, entries(&[("1-0", &["f", "1"])]));
    let row: Value = run(&mut c, &["XPENDING", "s", "g", "-", "+", "1"]);
    let Value::Array(rows) = row else { panic!() };
    let Value::Array(row) = &rows[0] else { panic!() };
    let Value::Int(idle) = row[2] else { panic!() };
    assert!(idle >= 5000, "{idle}");
    assert_eq!((&row[1], &row[3]), (&bulk("b"), &Value::Int(7)));
    // FORCE puts an entry nobody read into the PEL; LASTID moves the group forward.
    assert_eq!(run::<Vec<String>>(&mut c, &["XCLAIM", "s", "g", "b", "0", "3-0", "JUSTID"]), Vec::<String>::new());
    let got: Vec<String> = run(&mut c, &["XCLAIM", "s", "g", "b", "0", "3-0", "FORCE", "JUSTID", "LASTID", "3-0"]);
    assert_eq!(got, ["3-0"]);
    let info: Value = run(&mut c, &["XINFO", "GROUPS", "s"]);
    let Value::Array(groups) = info else { panic!() };
    let Value::Array(group) = &groups[0] else { panic!() };
    assert_eq!((&group[5], &group[7]), (&Value::Int(3), &bulk("3-0")));
    for (args, err) in [
        (&["XCLAIM", "s", "g", "b", "x", "1-0"][..], "ERR Invalid min-idle-time argument for XCLAIM"),
        (&["XCLAIM", "s", "g", "b", "0", "1-0", "FOO"], "ERR Unrecognized XCLAIM option 'FOO'"),
        (&["XCLAIM", "s", "g", "b", "0", "1-0", "IDLE", "x"], "ERR Invalid IDLE option argument for XCLAIM"),
        (&["XCLAIM", "s", "g", "b", "0", "1-0", "TIME", "x"], "ERR Invalid TIME option argument for XCLAIM"),
        (
            &["XCLAIM", "s", "g", "b", "0", "1-0", "RETRYCOUNT", "x"],
            "ERR Invalid RETRYCOUNT option argument for XCLAIM",
        ),
        (&["XAUTOCLAIM", "s", "g", "b", "x", "0"], "ERR Invalid min-idle-time argument for XAUTOCLAIM"),
        (&["XAUTOCLAIM", "s", "g", "b", "0", "0", "FOO"], "ERR syntax error"),
    ] {
        assert_eq!(fail(&mut c, args), err, "{args:?}");
    }
    // Consumers, with their pending counts.
    let consumers: Value = run(&mut c, &["XINFO", "CONSUMERS", "s", "g"]);
    let Value::Array(list) = consumers else { panic!() };
    let names: Vec<(Value, Value)> = list
        .iter()
        .map(|c| match c {
            Value::Array(fields) => (fields[1].clone(), fields[3].clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names, [(bulk("a"), Value::Int(1)), (bulk("b"), Value::Int(2))]);
}

#[test]
fn blocking_xreadgroup_woken_and_ended() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<String>(&mut c, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    let mut blocked = server.raw();
    blocked.command(&[b"XREADGROUP", b"GROUP", b"g", b"c", b"NOACK", b"BLOCK", b"0", b"STREAMS", b"s", b">"]);
    wait_blocked(&server, 1);
    run::<String>(&mut c, &["XADD", "s", "1-0", "f", "v"]);
    assert_eq!(lines(&mut blocked, 8), "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-0\r\n");
    assert_eq!(lines(&mut blocked, 5), "*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    let summary: Value = run(&mut c, &["XPENDING", "s", "g"]);
    assert_eq!(summary, Value::Array(vec![Value::Int(0), Value::Nil, Value::Nil, Value::Nil]), "NOACK");
    // Destroying the group ends the wait with an error; so does deleting the stream.
    blocked.command(&[b"XREADGROUP", b"GROUP", b"g", b"c", b"BLOCK", b"0", b"STREAMS", b"s", b">"]);
    wait_blocked(&server, 1);
    assert_eq!(run::<i64>(&mut c, &["XGROUP", "DESTROY", "s", "g"]), 1);
    assert_eq!(blocked.read_line(), "-NOGROUP the consumer group this client was blocked on no longer exists\r\n");
    run::<String>(&mut c, &["XGROUP", "CREATE", "s", "g", "$"]);
    blocked.command(&[b"XREADGROUP", b"GROUP", b"g", b"c", b"BLOCK", b"0", b"STREAMS", b"s", b">"]);
    wait_blocked(&server, 1);
    assert_eq!(run::<i64>(&mut c, &["DEL", "s"]), 1);
    assert_eq!(blocked.read_line(), "-UNBLOCKED the stream key no longer exists\r\n");
    // A timeout is a null, as for XREAD.
    run::<String>(&mut c, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    blocked.command(&[b"XREADGROUP", b"GROUP", b"g", b"c", b"BLOCK", b"50", b"STREAMS", b"s", b">"]);
    assert_eq!(blocked.read_line(), "*-1\r\n");
}

#[test]
fn xinfo_stream_full_in_resp3() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<String>(&mut c, &["XADD", "s", "1-1", "a", "1"]);
    run::<String>(&mut c, &["XGROUP", "CREATE", "s", "g", "0"]);
    run::<Value>(&mut c, &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]);
    let mut raw3 = server.raw_resp3();
    raw3.command(&[b"XINFO", b"STREAM", b"s", b"FULL"]);
    let head = lines(&mut raw3, 14);
    assert_eq!(
        head,
        "%9\r\n$6\r\nlength\r\n:1\r\n$15\r\nradix-tree-keys\r\n:1\r\n$16\r\nradix-tree-nodes\r\n:2\r\n$17\r\nlast-generated-id\r\n$3\r\n1-1\r\n"
    );
    let rest = lines(&mut raw3, 22);
    assert_eq!(
        rest,
        "$20\r\nmax-deleted-entry-id\r\n$3\r\n0-0\r\n$13\r\nentries-added\r\n:1\r\n$23\r\nrecorded-first-entry-id\r\n$3\r\n1-1\r\n$7\r\nentries\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    let groups = lines(&mut raw3, 18);
    assert_eq!(
        groups,
        "$6\r\ngroups\r\n*1\r\n%7\r\n$4\r\nname\r\n$1\r\ng\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-1\r\n$12\r\nentries-read\r\n:1\r\n$3\r\nlag\r\n:0\r\n"
    );
}

/// Blocks `raw` in XREADGROUP on group `g` of stream `s`, for ever.
fn block_in_group(server: &TestServer, raw: &mut RawConn) {
    raw.command(&[b"XREADGROUP", b"GROUP", b"g", b"c", b"BLOCK", b"0", b"STREAMS", b"s", b">"]);
    wait_blocked(server, 1);
}

#[test]
fn blocked_xreadgroup_is_told_when_anything_removes_its_stream() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let mut blocked = server.raw();
    let gone = "-UNBLOCKED the stream key no longer exists\r\n";
    let group = ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"];
    // Each way Redis 7.0.15 ends the wait with the same error: the key overwritten by
    // another type (also in place, KEEPTTL), expired, deleted by a past deadline, flushed,
    // or deleted and created again as another type inside a transaction.
    let removals: [&[&[&str]]; 8] = [
        &[&["SET", "s", "x"]],
        &[&["SET", "s", "x", "KEEPTTL"]],
        &[&["PEXPIRE", "s", "1"]],
        &[&["EXPIRE", "s", "-1"]],
        &[&["FLUSHDB"]],
        &[&["FLUSHALL"]],
        &[&["RENAME", "s", "t"]],
        &[&["MULTI"], &["DEL", "s"], &["LPUSH", "s", "a"], &["EXEC"]],
    ];
    for removal in removals {
        run::<()>(&mut c, &["DEL", "s", "t"]);
        run::<String>(&mut c, &group);
        block_in_group(&server, &mut blocked);
        for args in removal {
            run::<Value>(&mut c, args);
        }
        assert_eq!(blocked.read_line(), gone, "{removal:?}");
        wait_blocked(&server, 0);
    }
    // A stream deleted and created again with its group: the consumer waits on, and is
    // served by the next XADD.
    run::<()>(&mut c, &["DEL", "s"]);
    run::<String>(&mut c, &group);
    block_in_group(&server, &mut blocked);
    let mut pipe = redis::pipe();
    pipe.atomic().cmd("DEL").arg("s").cmd("XGROUP").arg(&group[1..]);
    let _: Value = pipe.query(&mut c).unwrap();
    run::<String>(&mut c, &["XADD", "s", "7-0", "f", "v"]);
    assert_eq!(lines(&mut blocked, 8), "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n7-0\r\n");
    assert_eq!(lines(&mut blocked, 5), "*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    // Created again without the group: the group is what is missing.
    block_in_group(&server, &mut blocked);
    let mut pipe = redis::pipe();
    pipe.atomic().cmd("DEL").arg("s").cmd("XADD").arg("s").arg("8-0").arg("f").arg("v");
    let _: Value = pipe.query(&mut c).unwrap();
    assert_eq!(blocked.read_line(), "-NOGROUP the consumer group this client was blocked on no longer exists\r\n");
}

#[test]
fn blocked_xread_waits_on_when_its_stream_is_removed() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let mut blocked = server.raw();
    run::<String>(&mut c, &["XADD", "s", "5-0", "a", "1"]);
    blocked.command(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"]);
    wait_blocked(&server, 1);
    // As in Redis 7.0.15 a plain XREAD is not told: it waits for entries after the ID `$`
    // stood for, whatever happens to the key meanwhile.
    run::<()>(&mut c, &["SET", "s", "x"]);
    run::<i64>(&mut c, &["PEXPIRE", "s", "1"]);
    assert!(wait_until(Duration::from_secs(10), || run::<i64>(&mut c, &["EXISTS", "s"]) == 0));
    run::<String>(&mut c, &["XADD", "s", "1-0", "old", "1"]);
    run::<i64>(&mut c, &["DEL", "s"]);
    run::<String>(&mut c, &["XADD", "s", "2-0", "old", "2"]);
    wait_blocked(&server, 1);
    run::<String>(&mut c, &["XADD", "s", "6-0", "new", "1"]);
    assert_eq!(lines(&mut blocked, 8), "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n6-0\r\n");
    assert_eq!(lines(&mut blocked, 5), "*2\r\n$3\r\nnew\r\n$1\r\n1\r\n");
}

#[test]
fn invalid_ids_are_refused_by_every_command_and_change_nothing() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<String>(&mut c, &["XADD", "s", "1-0", "f", "v"]);
    run::<String>(&mut c, &["XGROUP", "CREATE", "s", "g", "0"]);
    run::<Value>(&mut c, &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]);
    let state = |c: &mut redis::Connection| -> Vec<Value> {
        ["XRANGE s - +", "XPENDING s g", "XINFO GROUPS s", "XLEN s"]
            .iter()
            .map(|q| run::<Value>(c, &q.split(' ').collect::<Vec<_>>()))
            .collect()
    };
    let before = state(&mut c);
    let invalid = "ERR Invalid stream ID specified as stream command argument";
    let templates = [
        "XADD s {} f v",
        "XADD s MINID {} * f v",
        "XRANGE s {} +",
        "XRANGE s - {}",
        "XREVRANGE s {} -",
        "XDEL s {}",
        "XTRIM s MINID {}",
        "XREAD STREAMS s {}",
        "XREADGROUP GROUP g c STREAMS s {}",
        "XACK s g {}",
        "XAUTOCLAIM s g c 0 {}",
        "XPENDING s g {} + 10",
        "XPENDING s g - {} 10",
        "XGROUP CREATE s g2 {}",
        "XGROUP SETID s g {}",
        "XSETID s {}",
        "XSETID s 9-0 MAXDELETEDID {}",
        "XCLAIM s g c 0 1-0 LASTID {}",
        // XCLAIM reads IDs up to the first argument that is not one: the rest are options.
        "XCLAIM s g c 0 {}",
    ];
    for bad in ["x", "1-x", "-1", "1-2-3", "18446744073709551616-0", "1-18446744073709551616", "", "0x10"] {
        for template in templates {
            let args: Vec<&str> = template.split(' ').map(|a| if a == "{}" { bad } else { a }).collect();
            let want = if template == "XCLAIM s g c 0 {}" {
                format!("ERR Unrecognized XCLAIM option '{bad}'")
            } else {
                invalid.to_owned()
            };
            assert_eq!(fail(&mut c, &args), want, "{args:?}");
        }
    }
    assert_eq!(state(&mut c), before, "a refused command changed the stream");
    // Redis reads the numbers with strtoull: a sign or leading blank is accepted.
    assert_eq!(run::<Value>(&mut c, &["XRANGE", "s", "+1", "+"]), entries(&[("1-0", &["f", "v"])]));
    assert_eq!(run::<Value>(&mut c, &["XRANGE", "s", " 1", "+"]), entries(&[("1-0", &["f", "v"])]));
}

#[test]
fn a_consumer_whose_connection_dies_loses_nothing() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<String>(&mut c, &["XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"]);
    for i in 1..=5 {
        run::<String>(&mut c, &["XADD", "jobs", &format!("{i}-0"), "job", &i.to_string()]);
    }
    // w1 takes three jobs, finishes one, and its connection dies.
    {
        let mut w1 = server.sync_conn();
        assert_eq!(
            ids(&mut w1, &["XREADGROUP", "GROUP", "workers", "w1", "COUNT", "3", "STREAMS", "jobs", ">"]),
            ["jobs"]
        );
        assert_eq!(run::<i64>(&mut w1, &["XACK", "jobs", "workers", "1-0"]), 1);
    }
    // w2 takes and finishes the rest.
    let mut w2 = server.sync_conn();
    run::<Value>(&mut w2, &["XREADGROUP", "GROUP", "workers", "w2", "STREAMS", "jobs", ">"]);
    assert_eq!(run::<i64>(&mut w2, &["XACK", "jobs", "workers", "4-0", "5-0"]), 2);
    // w3 blocks for new jobs and dies while waiting: the next job is not lost with it.
    let mut w3 = server.raw();
    w3.command(&[b"XREADGROUP", b"GROUP", b"workers", b"w3", b"BLOCK", b"0", b"STREAMS", b"jobs", b">"]);
    wait_blocked(&server, 1);
    drop(w3);
    wait_blocked(&server, 0);
    run::<String>(&mut c, &["XADD", "jobs", "6-0", "job", "6"]);
    let got: Value = run(&mut w2, &["XREADGROUP", "GROUP", "workers", "w2", "STREAMS", "jobs", ">"]);
    assert_eq!(got, Value::Array(vec![Value::Array(vec![bulk("jobs"), entries(&[("6-0", &["job", "6"])])])]));
    run::<i64>(&mut w2, &["XACK", "jobs", "workers", "6-0"]);
    // The dead consumer still owns its two unfinished jobs, as Redis keeps them; w3, never
    // served, never became a consumer.
    let consumers: Value = run(&mut c, &["XINFO", "CONSUMERS", "jobs", "workers"]);
    let Value::Array(list) = consumers else { panic!() };
    let pending: Vec<(Value, Value)> = list
        .iter()
        .map(|c| match c {
            Value::Array(fields) => (fields[1].clone(), fields[3].clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(pending, [(bulk("w1"), Value::Int(2)), (bulk("w2"), Value::Int(0))]);
    // Once idle long enough, w2 reclaims them with XAUTOCLAIM and finishes them.
    assert!(wait_until(Duration::from_secs(10), || {
        ids(&mut c, &["XPENDING", "jobs", "workers", "IDLE", "20", "-", "+", "10"]).len() == 2
    }));
    let claimed: Value = run(&mut w2, &["XAUTOCLAIM", "jobs", "workers", "w2", "20", "0"]);
    let jobs = entries(&[("2-0", &["job", "2"]), ("3-0", &["job", "3"])]);
    assert_eq!(claimed, Value::Array(vec![bulk("0-0"), jobs, Value::Array(vec![])]));
    let detail: Value = run(&mut c, &["XPENDING", "jobs", "workers", "-", "+", "10"]);
    let Value::Array(rows) = detail else { panic!() };
    for row in &rows {
        let Value::Array(row) = row else { panic!() };
        assert_eq!((&row[1], &row[3]), (&bulk("w2"), &Value::Int(2)), "claimed by w2, delivered twice");
    }
    assert_eq!(run::<i64>(&mut w2, &["XACK", "jobs", "workers", "2-0", "3-0"]), 2);
    let summary: Value = run(&mut c, &["XPENDING", "jobs", "workers"]);
    assert_eq!(summary, Value::Array(vec![Value::Int(0), Value::Nil, Value::Nil, Value::Nil]));
}

#[test]
fn watch_sees_entries_change_but_not_consumer_groups() {
    let server = TestServer::start();
    let mut watcher = server.sync_conn();
    let mut other = server.sync_conn();
    // Whether a transaction watching `s` survives `args` run by another client.
    let mut survives = |args: &[&str]| -> bool {
        run::<()>(&mut watcher, &["FLUSHALL"]);
        run::<String>(&mut watcher, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
        run::<String>(&mut watcher, &["XADD", "s", "1-0", "f", "v"]);
        run::<Value>(&mut watcher, &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]);
        run::<String>(&mut watcher, &["XADD", "s", "2-0", "f", "v"]);
        run::<()>(&mut watcher, &["WATCH", "s"]);
        run::<Value>(&mut other, args);
        let mut pipe = redis::pipe();
        pipe.atomic().cmd("PING");
        let result: Option<(String,)> = pipe.query(&mut watcher).unwrap();
        result.is_some()
    };
    // As Redis 7.0.15: consumer-group bookkeeping and XSETID are invisible to WATCH...
    for args in [
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"][..],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"],
        &["XACK", "s", "g", "1-0"],
        &["XCLAIM", "s", "g", "c2", "0", "1-0"],
        &["XAUTOCLAIM", "s", "g", "c3", "0", "0"],
        &["XGROUP", "CREATE", "s", "g2", "0"],
        &["XGROUP", "SETID", "s", "g", "0"],
        &["XGROUP", "CREATECONSUMER", "s", "g", "c9"],
        &["XGROUP", "DELCONSUMER", "s", "g", "c"],
        &["XGROUP", "DESTROY", "s", "g"],
        &["XSETID", "s", "99-0"],
        // ... and so are trims and deletions that remove nothing.
        &["XTRIM", "s", "MAXLEN", "5"],
        &["XDEL", "s", "9-0"],
    ] {
        assert!(survives(args), "{args:?} aborted the transaction");
    }
    // Entries added or removed, or the key itself, abort it.
    for args in
        [&["XADD", "s", "*", "f", "v"][..], &["XTRIM", "s", "MAXLEN", "0"], &["XDEL", "s", "1-0"], &["DEL", "s"]]
    {
        assert!(!survives(args), "{args:?} did not abort the transaction");
    }
}
