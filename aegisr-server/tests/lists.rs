//! The list commands through a real client, checked against Redis 7's documented replies
//! and errors: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM
//! LTRIM LPOS LMOVE RPOPLPUSH LMPOP, RESP2/RESP3 nulls, WRONGTYPE, and the listpack /
//! quicklist conversion.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, fail, run, set};
use redis::{Connection, Value};

const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn range(con: &mut Connection, key: &str) -> Vec<String> {
    run(con, &["LRANGE", key, "0", "-1"])
}

fn encoding(con: &mut Connection, key: &str) -> String {
    run(con, &["OBJECT", "ENCODING", key])
}

/// Sends one command on a raw socket and returns the first line of its reply, so RESP2's
/// `$-1` and `*-1` can be told apart.
fn raw_line(server: &TestServer, resp3: bool, args: &[&str]) -> String {
    let mut raw = server.raw();
    if resp3 {
        raw.command(&[b"HELLO", b"3"]);
        // Skip the HELLO map: read until the line that ends it is unknown, so use a PING
        // marker after it.
        raw.command(&[b"PING", b"hello-done"]);
        while !raw.read_line().contains("hello-done") {}
    }
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    raw.command(&args);
    raw.read_line()
}

#[test]
fn push_pop_and_length() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<i64>(&mut con, &["RPUSH", "l", "a", "b", "c"]), 3);
    assert_eq!(run::<i64>(&mut con, &["LPUSH", "l", "x", "y"]), 5);
    assert_eq!(range(&mut con, "l"), ["y", "x", "a", "b", "c"]);
    assert_eq!(run::<i64>(&mut con, &["LLEN", "l"]), 5);
    assert_eq!(run::<i64>(&mut con, &["LLEN", "nokey"]), 0);
    assert_eq!(run::<Option<String>>(&mut con, &["LPOP", "l"]).as_deref(), Some("y"));
    assert_eq!(run::<Option<String>>(&mut con, &["RPOP", "l"]).as_deref(), Some("c"));
    assert_eq!(run::<Vec<String>>(&mut con, &["LPOP", "l", "2"]), ["x", "a"]);
    assert_eq!(run::<Vec<String>>(&mut con, &["LPOP", "l", "0"]), Vec::<String>::new());
    // A count past the length pops everything and deletes the key.
    assert_eq!(run::<Vec<String>>(&mut con, &["RPOP", "l", "10"]), ["b"]);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "l"]), 0);
    assert_eq!(run::<Option<String>>(&mut con, &["LPOP", "l"]), None);
    assert_eq!(fail(&mut con, &["LPOP", "l", "-1"]), "ERR value is out of range, must be positive");
    assert_eq!(fail(&mut con, &["RPOP", "l", "x"]), "ERR value is out of range, must be positive");
    assert_eq!(fail(&mut con, &["LPOP", "l", "1", "2"]), "ERR wrong number of arguments for 'lpop' command");
    // The X variants only touch existing lists.
    assert_eq!(run::<i64>(&mut con, &["LPUSHX", "l", "a"]), 0);
    assert_eq!(run::<i64>(&mut con, &["RPUSHX", "l", "a", "b"]), 0);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "l"]), 0);
    run::<i64>(&mut con, &["RPUSH", "l", "m"]);
    assert_eq!(run::<i64>(&mut con, &["LPUSHX", "l", "a", "b"]), 3);
    assert_eq!(run::<i64>(&mut con, &["RPUSHX", "l", "z"]), 4);
    assert_eq!(range(&mut con, "l"), ["b", "a", "m", "z"]);
    // Binary-safe elements.
    let binary = b"a\x00b\r\n\xff".to_vec();
    let _: i64 = redis::cmd("RPUSH").arg("bin").arg(&binary).arg("").query(&mut con).unwrap();
    let got: Vec<Vec<u8>> = redis::cmd("LRANGE").arg("bin").arg(0).arg(-1).query(&mut con).unwrap();
    assert_eq!(got, [binary, Vec::new()]);
}

#[test]
fn missing_keys_reply_the_right_nulls() {
    let server = TestServer::start();
    // RESP2: a nil string without a count, a nil array with one.
    assert_eq!(raw_line(&server, false, &["LPOP", "nokey"]), "$-1\r\n");
    assert_eq!(raw_line(&server, false, &["LPOP", "nokey", "0"]), "*-1\r\n");
    assert_eq!(raw_line(&server, false, &["RPOP", "nokey", "2"]), "*-1\r\n");
    assert_eq!(raw_line(&server, false, &["LMPOP", "1", "nokey", "LEFT"]), "*-1\r\n");
    assert_eq!(raw_line(&server, false, &["LINDEX", "nokey", "0"]), "$-1\r\n");
    assert_eq!(raw_line(&server, false, &["LPOS", "nokey", "a"]), "$-1\r\n");
    assert_eq!(raw_line(&server, false, &["LPOS", "nokey", "a", "COUNT", "1"]), "*0\r\n");
    assert_eq!(raw_line(&server, false, &["RPOPLPUSH", "nokey", "x"]), "$-1\r\n");
    // RESP3: one null for all.
    for args in
        [&["LPOP", "nokey"][..], &["LPOP", "nokey", "0"], &["LMPOP", "1", "nokey", "RIGHT"], &["LINDEX", "nokey", "1"]]
    {
        assert_eq!(raw_line(&server, true, args), "_\r\n", "{args:?}");
    }
    let mut c3 = server.client_resp3().get_connection().unwrap();
    assert_eq!(run::<Value>(&mut c3, &["LMOVE", "nokey", "x", "LEFT", "LEFT"]), Value::Nil);
    assert_eq!(run::<Value>(&mut c3, &["LRANGE", "nokey", "0", "-1"]), Value::Array(vec![]));
    run::<i64>(&mut c3, &["RPUSH", "l", "a"]);
    assert_eq!(run::<Value>(&mut c3, &["LPOP", "l", "0"]), Value::Array(vec![]));
    assert_eq!(run::<Value>(&mut c3, &["LINDEX", "l", "5"]), Value::Nil);
}

#[test]
fn index_range_set_insert_rem_trim() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["RPUSH", "l", "a", "b", "c", "d", "e"]);
    assert_eq!(run::<Option<String>>(&mut con, &["LINDEX", "l", "0"]).as_deref(), Some("a"));
    assert_eq!(run::<Option<String>>(&mut con, &["LINDEX", "l", "-1"]).as_deref(), Some("e"));
    assert_eq!(run::<Option<String>>(&mut con, &["LINDEX", "l", "5"]), None);
    assert_eq!(run::<Option<String>>(&mut con, &["LINDEX", "l", "-6"]), None);
    assert_eq!(fail(&mut con, &["LINDEX", "l", "x"]), NOT_INT);
    // Redis looks the key up before it parses the index.
    assert_eq!(run::<Option<String>>(&mut con, &["LINDEX", "nokey", "x"]), None);
    assert_eq!(run::<Vec<String>>(&mut con, &["LRANGE", "l", "1", "-2"]), ["b", "c", "d"]);
    assert_eq!(run::<Vec<String>>(&mut con, &["LRANGE", "l", "-100", "100"]), ["a", "b", "c", "d", "e"]);
    assert_eq!(run::<Vec<String>>(&mut con, &["LRANGE", "l", "3", "1"]), Vec::<String>::new());
    assert_eq!(run::<Vec<String>>(&mut con, &["LRANGE", "l", "9", "10"]), Vec::<String>::new());
    assert_eq!(fail(&mut con, &["LRANGE", "l", "x", "1"]), NOT_INT);

    assert_eq!(run::<String>(&mut con, &["LSET", "l", "-2", "D"]), "OK");
    assert_eq!(fail(&mut con, &["LSET", "l", "5", "x"]), "ERR index out of range");
    assert_eq!(fail(&mut con, &["LSET", "nokey", "0", "x"]), "ERR no such key");
    assert_eq!(fail(&mut con, &["LSET", "nokey", "x", "x"]), "ERR no such key");
    assert_eq!(fail(&mut con, &["LSET", "l", "x", "x"]), NOT_INT);
    assert_eq!(range(&mut con, "l"), ["a", "b", "c", "D", "e"]);

    assert_eq!(run::<i64>(&mut con, &["LINSERT", "l", "BEFORE", "c", "X"]), 6);
    assert_eq!(run::<i64>(&mut con, &["LINSERT", "l", "after", "e", "Y"]), 7);
    assert_eq!(run::<i64>(&mut con, &["LINSERT", "l", "AFTER", "zz", "Y"]), -1);
    assert_eq!(run::<i64>(&mut con, &["LINSERT", "nokey", "AFTER", "a", "Y"]), 0);
    assert_eq!(fail(&mut con, &["LINSERT", "l", "MIDDLE", "a", "Y"]), SYNTAX);
    assert_eq!(range(&mut con, "l"), ["a", "b", "X", "c", "D", "e", "Y"]);

    run::<i64>(&mut con, &["RPUSH", "r", "a", "b", "a", "c", "a", "b"]);
    assert_eq!(run::<i64>(&mut con, &["LREM", "r", "-1", "a"]), 1);
    assert_eq!(range(&mut con, "r"), ["a", "b", "a", "c", "b"]);
    assert_eq!(run::<i64>(&mut con, &["LREM", "r", "1", "b"]), 1);
    assert_eq!(range(&mut con, "r"), ["a", "a", "c", "b"]);
    assert_eq!(run::<i64>(&mut con, &["LREM", "r", "0", "a"]), 2);
    assert_eq!(run::<i64>(&mut con, &["LREM", "r", "0", "zz"]), 0);
    assert_eq!(run::<i64>(&mut con, &["LREM", "nokey", "0", "zz"]), 0);
    assert_eq!(fail(&mut con, &["LREM", "r", "x", "a"]), NOT_INT);
    assert_eq!(run::<i64>(&mut con, &["LREM", "r", "0", "c"]), 1);
    assert_eq!(run::<i64>(&mut con, &["LREM", "r", "0", "b"]), 1);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "r"]), 0, "an emptied list is deleted");

    run::<i64>(&mut con, &["RPUSH", "t", "1", "2", "3", "4", "5"]);
    assert_eq!(run::<String>(&mut con, &["LTRIM", "t", "1", "-2"]), "OK");
    assert_eq!(range(&mut con, "t"), ["2", "3", "4"]);
    assert_eq!(run::<String>(&mut con, &["LTRIM", "t", "-100", "100"]), "OK");
    assert_eq!(range(&mut con, "t"), ["2", "3", "4"]);
    assert_eq!(fail(&mut con, &["LTRIM", "t", "0", "x"]), NOT_INT);
    assert_eq!(run::<String>(&mut con, &["LTRIM", "t", "2", "1"]), "OK");
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "t"]), 0);
    assert_eq!(run::<String>(&mut con, &["LTRIM", "nokey", "0", "1"]), "OK");
}

#[test]
fn lpos_options() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["RPUSH", "l", "a", "b", "c", "a", "b", "c", "a"]);
    assert_eq!(run::<Option<i64>>(&mut con, &["LPOS", "l", "b"]), Some(1));
    assert_eq!(run::<Option<i64>>(&mut con, &["LPOS", "l", "zz"]), None);
    assert_eq!(run::<Option<i64>>(&mut con, &["LPOS", "l", "a", "RANK", "-1"]), Some(6));
    assert_eq!(run::<Option<i64>>(&mut con, &["LPOS", "l", "a", "RANK", "2"]), Some(3));
    assert_eq!(run::<Option<i64>>(&mut con, &["LPOS", "l", "a", "RANK", "9"]), None);
    assert_eq!(run::<Vec<i64>>(&mut con, &["LPOS", "l", "a", "COUNT", "0"]), [0, 3, 6]);
    assert_eq!(run::<Vec<i64>>(&mut con, &["LPOS", "l", "a", "RANK", "-2", "COUNT", "0"]), [3, 0]);
    assert_eq!(run::<Vec<i64>>(&mut con, &["LPOS", "l", "a", "RANK", "2", "COUNT", "2", "MAXLEN", "4"]), [3]);
    assert_eq!(run::<Option<i64>>(&mut con, &["LPOS", "l", "c", "RANK", "-1", "MAXLEN", "2"]), Some(5));
    assert_eq!(run::<Option<i64>>(&mut con, &["LPOS", "l", "c", "RANK", "-1", "MAXLEN", "1"]), None);
    assert_eq!(run::<Vec<i64>>(&mut con, &["LPOS", "l", "zz", "COUNT", "1"]), Vec::<i64>::new());
    // The last COUNT wins.
    assert_eq!(run::<Vec<i64>>(&mut con, &["LPOS", "l", "a", "COUNT", "1", "COUNT", "2"]), [0, 3]);
    assert_eq!(
        fail(&mut con, &["LPOS", "l", "a", "RANK", "0"]),
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
    );
    assert_eq!(fail(&mut con, &["LPOS", "l", "a", "RANK", "x"]), NOT_INT);
    assert_eq!(fail(&mut con, &["LPOS", "l", "a", "COUNT", "-1"]), "ERR COUNT can't be negative");
    assert_eq!(fail(&mut con, &["LPOS", "l", "a", "COUNT", "x"]), "ERR COUNT can't be negative");
    assert_eq!(fail(&mut con, &["LPOS", "l", "a", "MAXLEN", "-1"]), "ERR MAXLEN can't be negative");
    assert_eq!(fail(&mut con, &["LPOS", "l", "a", "RANK"]), SYNTAX);
    assert_eq!(fail(&mut con, &["LPOS", "l", "a", "FOO", "1"]), SYNTAX);
    // Redis 7.0 takes LONG_MIN as a rank: every match from the tail qualifies.
    assert_eq!(run::<Option<i64>>(&mut con, &["LPOS", "l", "a", "RANK", "-9223372036854775808"]), Some(6));
    assert_eq!(run::<Vec<i64>>(&mut con, &["LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", "1"]), [6, 3, 0]);
}

#[test]
fn moves_between_lists() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["RPUSH", "src", "a", "b", "c"]);
    assert_eq!(run::<Option<String>>(&mut con, &["LMOVE", "src", "dst", "LEFT", "RIGHT"]).as_deref(), Some("a"));
    assert_eq!(run::<Option<String>>(&mut con, &["LMOVE", "src", "dst", "right", "left"]).as_deref(), Some("c"));
    assert_eq!(range(&mut con, "dst"), ["c", "a"]);
    assert_eq!(run::<Option<String>>(&mut con, &["RPOPLPUSH", "dst", "src"]).as_deref(), Some("a"));
    assert_eq!(range(&mut con, "src"), ["a", "b"]);
    assert_eq!(fail(&mut con, &["LMOVE", "src", "dst", "LEFT", "MIDDLE"]), SYNTAX);
    assert_eq!(run::<Option<String>>(&mut con, &["LMOVE", "nokey", "dst", "LEFT", "LEFT"]), None);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "nokey"]), 0);
    // The same list: a rotation, and a one-element list survives it.
    assert_eq!(run::<Option<String>>(&mut con, &["LMOVE", "src", "src", "LEFT", "RIGHT"]).as_deref(), Some("a"));
    assert_eq!(range(&mut con, "src"), ["b", "a"]);
    assert_eq!(run::<Option<String>>(&mut con, &["RPOPLPUSH", "src", "src"]).as_deref(), Some("a"));
    assert_eq!(range(&mut con, "src"), ["a", "b"]);
    run::<i64>(&mut con, &["RPUSH", "one", "x"]);
    assert_eq!(run::<Option<String>>(&mut con, &["RPOPLPUSH", "one", "one"]).as_deref(), Some("x"));
    assert_eq!(range(&mut con, "one"), ["x"]);
    // Moving the last element deletes the source.
    assert_eq!(run::<Option<String>>(&mut con, &["RPOPLPUSH", "one", "new"]).as_deref(), Some("x"));
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "one"]), 0);
    assert_eq!(range(&mut con, "new"), ["x"]);
    // A destination of the wrong type fails before the source changes.
    set(&mut con, "str", "v");
    assert_eq!(fail(&mut con, &["LMOVE", "src", "str", "LEFT", "LEFT"]), WRONGTYPE);
    assert_eq!(fail(&mut con, &["RPOPLPUSH", "src", "str"]), WRONGTYPE);
    assert_eq!(fail(&mut con, &["RPOPLPUSH", "str", "src"]), WRONGTYPE);
    assert_eq!(range(&mut con, "src"), ["a", "b"]);
}

#[test]
fn lmpop() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["RPUSH", "l2", "p", "q", "r"]);
    let reply: (String, Vec<String>) = run(&mut con, &["LMPOP", "2", "nokey", "l2", "RIGHT", "COUNT", "2"]);
    assert_eq!(reply, ("l2".to_owned(), vec!["r".to_owned(), "q".to_owned()]));
    let reply: (String, Vec<String>) = run(&mut con, &["LMPOP", "1", "l2", "left", "COUNT", "5"]);
    assert_eq!(reply, ("l2".to_owned(), vec!["p".to_owned()]));
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "l2"]), 0);
    assert_eq!(run::<Value>(&mut con, &["LMPOP", "2", "l2", "nokey", "LEFT"]), Value::Nil);
    for bad in ["0", "-1", "x"] {
        assert_eq!(fail(&mut con, &["LMPOP", bad, "l", "LEFT"]), "ERR numkeys should be greater than 0");
    }
    for bad in ["0", "-1", "x"] {
        assert_eq!(fail(&mut con, &["LMPOP", "1", "l", "LEFT", "COUNT", bad]), "ERR count should be greater than 0");
    }
    assert_eq!(fail(&mut con, &["LMPOP", "2", "l", "LEFT"]), SYNTAX);
    assert_eq!(fail(&mut con, &["LMPOP", "9999999999999", "l", "LEFT"]), SYNTAX);
    assert_eq!(fail(&mut con, &["LMPOP", "1", "l", "MIDDLE"]), SYNTAX);
    assert_eq!(fail(&mut con, &["LMPOP", "1", "l", "LEFT", "COUNT"]), SYNTAX);
    assert_eq!(fail(&mut con, &["LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"]), SYNTAX);
    assert_eq!(fail(&mut con, &["LMPOP", "1", "l"]), "ERR wrong number of arguments for 'lmpop' command");
    // The first non-empty list wins; a key of another type before it is an error.
    set(&mut con, "str", "v");
    run::<i64>(&mut con, &["RPUSH", "l", "a"]);
    assert_eq!(fail(&mut con, &["LMPOP", "2", "str", "l", "LEFT"]), WRONGTYPE);
    let reply: (String, Vec<String>) = run(&mut con, &["LMPOP", "2", "l", "str", "LEFT"]);
    assert_eq!(reply.0, "l");
}

#[test]
fn wrong_type_on_every_command() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    set(&mut con, "s", "x");
    let cases: &[&[&str]] = &[
        &["LPUSH", "s", "a"],
        &["RPUSH", "s", "a"],
        &["LPUSHX", "s", "a"],
        &["RPUSHX", "s", "a"],
        &["LPOP", "s"],
        &["RPOP", "s", "2"],
        &["LLEN", "s"],
        &["LRANGE", "s", "0", "-1"],
        &["LINDEX", "s", "0"],
        &["LINDEX", "s", "x"],
        &["LSET", "s", "0", "a"],
        &["LINSERT", "s", "BEFORE", "a", "b"],
        &["LREM", "s", "0", "a"],
        &["LTRIM", "s", "0", "1"],
        &["LPOS", "s", "a"],
        &["LMOVE", "s", "d", "LEFT", "LEFT"],
        &["RPOPLPUSH", "s", "d"],
        &["LMPOP", "1", "s", "LEFT"],
    ];
    for args in cases {
        assert_eq!(fail(&mut con, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(run::<Option<String>>(&mut con, &["GET", "s"]).as_deref(), Some("x"));
    // Argument errors Redis checks first.
    assert_eq!(fail(&mut con, &["LRANGE", "s", "x", "1"]), NOT_INT);
    assert_eq!(fail(&mut con, &["LINSERT", "s", "MIDDLE", "a", "b"]), SYNTAX);
    assert_eq!(fail(&mut con, &["LPOP", "s", "x"]), "ERR value is out of range, must be positive");
    assert_eq!(run::<String>(&mut con, &["TYPE", "d"]), "none");
    run::<i64>(&mut con, &["RPUSH", "l", "a"]);
    assert_eq!(run::<String>(&mut con, &["TYPE", "l"]), "list");
    assert_eq!(fail(&mut con, &["GET", "l"]), WRONGTYPE);
}

#[test]
fn encoding_follows_list_max_listpack_size() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["RPUSH", "l", "a", "b"]);
    assert_eq!(encoding(&mut con, "l"), "listpack");
    // The default (-2) is 8 KiB.
    run::<i64>(&mut con, &["RPUSH", "big", &"x".repeat(9000)]);
    assert_eq!(encoding(&mut con, "big"), "quicklist");
    assert_eq!(run::<i64>(&mut con, &["LPUSH", "big", "small"]), 2);
    run::<Option<String>>(&mut con, &["RPOP", "big"]);
    assert_eq!(encoding(&mut con, "big"), "listpack", "shrinks back below half the limit");
    assert_eq!(range(&mut con, "big"), ["small"]);

    run::<String>(&mut con, &["CONFIG", "SET", "list-max-listpack-size", "4"]);
    run::<i64>(&mut con, &["RPUSH", "c", "1", "2", "3", "4"]);
    assert_eq!(encoding(&mut con, "c"), "listpack");
    run::<i64>(&mut con, &["RPUSH", "c", "5"]);
    assert_eq!(encoding(&mut con, "c"), "quicklist");
    // Everything keeps working on the quicklist.
    assert_eq!(run::<i64>(&mut con, &["LINSERT", "c", "BEFORE", "3", "X"]), 6);
    assert_eq!(run::<String>(&mut con, &["LSET", "c", "0", "Y"]), "OK");
    assert_eq!(run::<Option<String>>(&mut con, &["LINDEX", "c", "-1"]).as_deref(), Some("5"));
    assert_eq!(range(&mut con, "c"), ["Y", "2", "X", "3", "4", "5"]);
    assert_eq!(run::<Vec<i64>>(&mut con, &["LPOS", "c", "X", "COUNT", "0"]), [2]);
    assert_eq!(run::<i64>(&mut con, &["LREM", "c", "0", "X"]), 1);
    run::<String>(&mut con, &["LTRIM", "c", "0", "2"]);
    assert_eq!(encoding(&mut con, "c"), "quicklist");
    run::<Vec<String>>(&mut con, &["LPOP", "c", "2"]);
    assert_eq!(encoding(&mut con, "c"), "listpack");
    assert_eq!(range(&mut con, "c"), ["3"]);

    // A list that converts mid-way through a push keeps every element, in order.
    let many: Vec<String> = (0..50).map(|i| i.to_string()).collect();
    let mut args = vec!["RPUSH", "m"];
    args.extend(many.iter().map(String::as_str));
    assert_eq!(run::<i64>(&mut con, &args), 50);
    assert_eq!(encoding(&mut con, "m"), "quicklist");
    assert_eq!(range(&mut con, "m"), many);
    run::<String>(&mut con, &["CONFIG", "SET", "list-max-listpack-size", "-2"]);
}

/// A command's name, arity, flags and (first, last, step) key positions.
type InfoCase = (&'static str, i64, &'static [&'static str], (i64, i64, i64));

#[test]
fn command_info_matches_redis() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let cases: &[InfoCase] = &[
        ("lpush", -3, &["write", "denyoom", "fast"], (1, 1, 1)),
        ("lpop", -2, &["write", "fast"], (1, 1, 1)),
        ("llen", 2, &["readonly", "fast"], (1, 1, 1)),
        ("lrange", 4, &["readonly"], (1, 1, 1)),
        ("lset", 4, &["write", "denyoom"], (1, 1, 1)),
        ("lrem", 4, &["write"], (1, 1, 1)),
        ("lmove", 5, &["write", "denyoom"], (1, 2, 1)),
        ("rpoplpush", 3, &["write", "denyoom"], (1, 2, 1)),
        ("lmpop", -4, &["write", "movablekeys"], (0, 0, 0)),
    ];
    for (name, arity, flags, keys) in cases {
        let info: Value = run(&mut con, &["COMMAND", "INFO", name]);
        let Value::Array(outer) = info else { panic!("{name}: {info:?}") };
        let Some(Value::Array(entry)) = outer.first() else { panic!("{name}: {outer:?}") };
        assert_eq!(entry[1], Value::Int(*arity), "{name}");
        let Value::Array(got) = &entry[2] else { panic!() };
        let got: Vec<String> = got
            .iter()
            .map(|v| match v {
                Value::SimpleString(s) => s.clone(),
                Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got, *flags, "{name}");
        assert_eq!((&entry[3], &entry[4], &entry[5]), (&Value::Int(keys.0), &Value::Int(keys.1), &Value::Int(keys.2)));
    }
}

/// A quicklist of a few thousand elements spans many chunks, each end partly filled: every
/// command that indexes, ranges, trims or edits it agrees with a plain model (long
/// elements among the short ones, which are stored apart).
#[test]
fn large_lists_across_chunks() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let mut model: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    for i in 0..1500 {
        let elem = if i % 97 == 0 { format!("long-element-{i:0>40}") } else { format!("e{i}") };
        if i % 3 == 0 {
            run::<i64>(&mut con, &["LPUSH", "big", &elem]);
            model.push_front(elem);
        } else {
            run::<i64>(&mut con, &["RPUSH", "big", &elem]);
            model.push_back(elem);
        }
    }
    assert_eq!(encoding(&mut con, "big"), "quicklist");
    let check = |con: &mut Connection, model: &std::collections::VecDeque<String>| {
        assert_eq!(range(con, "big"), model.iter().cloned().collect::<Vec<_>>());
        let len = model.len() as i64;
        assert_eq!(run::<i64>(con, &["LLEN", "big"]), len);
        for i in [0, 1, 127, 128, 129, 500, len - 1, -1, -129, -len] {
            let at = if i < 0 { len + i } else { i } as usize;
            assert_eq!(run::<Option<String>>(con, &["LINDEX", "big", &i.to_string()]).as_ref(), model.get(at));
        }
        let (start, stop) = (300usize, 700usize);
        let want: Vec<String> = model.iter().skip(start).take(stop - start + 1).cloned().collect();
        assert_eq!(run::<Vec<String>>(con, &["LRANGE", "big", &start.to_string(), &stop.to_string()]), want);
        let tail: Vec<String> = model.iter().skip(model.len() - 130).cloned().collect();
        assert_eq!(run::<Vec<String>>(con, &["LRANGE", "big", "-130", "-1"]), tail);
    };
    check(&mut con, &model);
    for i in [0usize, 129, 640, 1499] {
        let value = format!("set-{i}");
        let _: () = run(&mut con, &["LSET", "big", &i.to_string(), &value]);
        model[i] = value;
    }
    check(&mut con, &model);
    for _ in 0..200 {
        assert_eq!(run::<Option<String>>(&mut con, &["LPOP", "big"]), model.pop_front());
        assert_eq!(run::<Option<String>>(&mut con, &["RPOP", "big"]), model.pop_back());
    }
    check(&mut con, &model);
    assert_eq!(run::<i64>(&mut con, &["LINSERT", "big", "BEFORE", "e700", "inserted"]), model.len() as i64 + 1);
    let at = model.iter().position(|e| e == "e700").unwrap();
    model.insert(at, "inserted".to_owned());
    assert_eq!(run::<i64>(&mut con, &["LREM", "big", "1", "e701"]), 1);
    let at = model.iter().position(|e| e == "e701").unwrap();
    model.remove(at);
    check(&mut con, &model);
    let _: () = run(&mut con, &["LTRIM", "big", "5", "-7"]);
    model.truncate(model.len() - 6);
    model.drain(..5);
    check(&mut con, &model);
}
