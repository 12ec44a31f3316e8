//! The set commands through a real client, checked against Redis 7's documented replies and
//! errors: SADD SREM SISMEMBER SMISMEMBER SMEMBERS SCARD SPOP SRANDMEMBER SMOVE SINTER
//! SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN, encodings, RESP3 types.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use common::{TestServer, fail, run, set};
use redis::Connection;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";

fn members(con: &mut Connection, key: &str) -> HashSet<String> {
    run(con, &["SMEMBERS", key])
}

fn strs(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn encoding(con: &mut Connection, key: &str) -> String {
    run(con, &["OBJECT", "ENCODING", key])
}

fn exists(con: &mut Connection, key: &str) -> bool {
    run::<i64>(con, &["EXISTS", key]) == 1
}

#[test]
fn add_remove_and_membership() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<i64>(&mut con, &["SADD", "s", "a", "b", "a", "c"]), 3);
    assert_eq!(run::<i64>(&mut con, &["SADD", "s", "c", "d"]), 1);
    assert_eq!(members(&mut con, "s"), strs(&["a", "b", "c", "d"]));
    assert_eq!(run::<i64>(&mut con, &["SCARD", "s"]), 4);
    assert_eq!(run::<i64>(&mut con, &["SCARD", "nokey"]), 0);
    assert_eq!(run::<i64>(&mut con, &["SISMEMBER", "s", "a"]), 1);
    assert_eq!(run::<i64>(&mut con, &["SISMEMBER", "s", "z"]), 0);
    assert_eq!(run::<i64>(&mut con, &["SISMEMBER", "nokey", "z"]), 0);
    assert_eq!(run::<Vec<i64>>(&mut con, &["SMISMEMBER", "s", "a", "z", "d"]), vec![1, 0, 1]);
    assert_eq!(run::<Vec<i64>>(&mut con, &["SMISMEMBER", "nokey", "a", "b"]), vec![0, 0]);
    assert_eq!(run::<i64>(&mut con, &["SREM", "s", "a", "z", "b"]), 2);
    assert_eq!(run::<i64>(&mut con, &["SREM", "nokey", "a"]), 0);
    assert_eq!(members(&mut con, "s"), strs(&["c", "d"]));
    // The last member removed deletes the key.
    assert_eq!(run::<i64>(&mut con, &["SREM", "s", "c", "d"]), 2);
    assert!(!exists(&mut con, "s"));
    assert_eq!(members(&mut con, "nokey"), HashSet::new());
    // Binary-safe members.
    let binary = b"x\x00\xff\r\n".to_vec();
    assert_eq!(redis::cmd("SADD").arg("bin").arg(&binary).query::<i64>(&mut con).unwrap(), 1);
    assert_eq!(redis::cmd("SISMEMBER").arg("bin").arg(&binary).query::<i64>(&mut con).unwrap(), 1);
    assert_eq!(fail(&mut con, &["SADD", "s"]), "ERR wrong number of arguments for 'sadd' command");
    assert_eq!(fail(&mut con, &["SISMEMBER", "s"]), "ERR wrong number of arguments for 'sismember' command");
}

#[test]
fn wrongtype_on_every_command() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    set(&mut con, "str", "x");
    run::<i64>(&mut con, &["SADD", "s", "a"]);
    for cmd in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SMEMBERS", "str"],
        &["SCARD", "str"],
        &["SPOP", "str"],
        &["SPOP", "str", "2"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "2"],
        &["SMOVE", "str", "s", "a"],
        &["SMOVE", "s", "str", "a"],
        &["SINTER", "s", "str"],
        &["SINTER", "nokey", "str"],
        &["SINTERCARD", "2", "s", "str"],
        &["SINTERSTORE", "d", "s", "str"],
        &["SUNION", "s", "str"],
        &["SUNIONSTORE", "d", "str"],
        &["SDIFF", "s", "str"],
        &["SDIFFSTORE", "d", "s", "str"],
        &["SSCAN", "str", "0"],
    ] {
        assert_eq!(fail(&mut con, cmd), WRONGTYPE, "{cmd:?}");
    }
    // A missing source makes SMOVE a no-op before the destination's type is checked.
    assert_eq!(run::<i64>(&mut con, &["SMOVE", "nokey", "str", "a"]), 0);
    assert_eq!(members(&mut con, "s"), strs(&["a"]));
}

#[test]
fn pop_and_random_members() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["SADD", "s", "a", "b", "c", "d", "e"]);
    let all = strs(&["a", "b", "c", "d", "e"]);
    let one: String = run(&mut con, &["SRANDMEMBER", "s"]);
    assert!(all.contains(&one));
    let three: Vec<String> = run(&mut con, &["SRANDMEMBER", "s", "3"]);
    assert_eq!(three.iter().collect::<HashSet<_>>().len(), 3, "distinct");
    assert!(three.iter().all(|m| all.contains(m)));
    let everything: Vec<String> = run(&mut con, &["SRANDMEMBER", "s", "100"]);
    assert_eq!(everything.into_iter().collect::<HashSet<_>>(), all);
    let repeats: Vec<String> = run(&mut con, &["SRANDMEMBER", "s", "-20"]);
    assert_eq!(repeats.len(), 20);
    assert!(repeats.iter().all(|m| all.contains(m)));
    assert_eq!(run::<Vec<String>>(&mut con, &["SRANDMEMBER", "s", "0"]), Vec::<String>::new());
    assert_eq!(run::<Option<String>>(&mut con, &["SRANDMEMBER", "nokey"]), None);
    assert_eq!(run::<Vec<String>>(&mut con, &["SRANDMEMBER", "nokey", "5"]), Vec::<String>::new());
    assert_eq!(fail(&mut con, &["SRANDMEMBER", "s", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(
        fail(&mut con, &["SRANDMEMBER", "s", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(fail(&mut con, &["SRANDMEMBER", "s", "1", "2"]), SYNTAX);
    assert_eq!(run::<i64>(&mut con, &["SCARD", "s"]), 5, "SRANDMEMBER does not remove");

    let popped: String = run(&mut con, &["SPOP", "s"]);
    assert!(all.contains(&popped));
    let two: HashSet<String> = run(&mut con, &["SPOP", "s", "2"]);
    assert_eq!(two.len(), 2);
    assert!(!two.contains(&popped));
    assert_eq!(run::<i64>(&mut con, &["SCARD", "s"]), 2);
    assert_eq!(run::<Vec<String>>(&mut con, &["SPOP", "s", "0"]), Vec::<String>::new());
    let rest: HashSet<String> = run(&mut con, &["SPOP", "s", "10"]);
    assert_eq!(rest.len(), 2);
    assert!(!exists(&mut con, "s"), "popping everything deletes the key");
    assert_eq!(run::<Option<String>>(&mut con, &["SPOP", "nokey"]), None);
    assert_eq!(run::<Vec<String>>(&mut con, &["SPOP", "nokey", "3"]), Vec::<String>::new());
    assert_eq!(fail(&mut con, &["SPOP", "s", "-1"]), "ERR value is out of range, must be positive");
    assert_eq!(fail(&mut con, &["SPOP", "s", "x"]), "ERR value is out of range, must be positive");
    assert_eq!(fail(&mut con, &["SPOP", "s", "1", "2"]), SYNTAX);

    // The last member popped deletes the key; intsets and hashtables pop as well.
    run::<i64>(&mut con, &["SADD", "i", "1", "2", "3"]);
    assert_eq!(run::<Vec<String>>(&mut con, &["SPOP", "i", "3"]).len(), 3);
    assert!(!exists(&mut con, "i"));
    let many: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
    let mut sadd = vec!["SADD", "h"];
    sadd.extend(many.iter().map(String::as_str));
    run::<i64>(&mut con, &sadd);
    assert_eq!(encoding(&mut con, "h"), "hashtable");
    let popped: HashSet<String> = run(&mut con, &["SPOP", "h", "150"]);
    assert_eq!(popped.len(), 150);
    assert_eq!(run::<i64>(&mut con, &["SCARD", "h"]), 150);
    let left = members(&mut con, "h");
    assert!(popped.is_disjoint(&left));
}

#[test]
fn smove() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["SADD", "a", "1", "2"]);
    run::<i64>(&mut con, &["SADD", "b", "x"]);
    assert_eq!(run::<i64>(&mut con, &["SMOVE", "a", "b", "1"]), 1);
    assert_eq!(members(&mut con, "a"), strs(&["2"]));
    assert_eq!(members(&mut con, "b"), strs(&["1", "x"]));
    assert_eq!(run::<i64>(&mut con, &["SMOVE", "a", "b", "nope"]), 0);
    assert_eq!(run::<i64>(&mut con, &["SMOVE", "a", "a", "2"]), 1);
    assert_eq!(run::<i64>(&mut con, &["SMOVE", "a", "a", "nope"]), 0);
    assert_eq!(run::<i64>(&mut con, &["SMOVE", "nokey", "b", "x"]), 0);
    // Moving the last member deletes the source and creates the destination.
    assert_eq!(run::<i64>(&mut con, &["SMOVE", "a", "new", "2"]), 1);
    assert!(!exists(&mut con, "a"));
    assert_eq!(members(&mut con, "new"), strs(&["2"]));
    assert_eq!(encoding(&mut con, "new"), "intset");
    // Already in the destination: removed from the source only.
    run::<i64>(&mut con, &["SADD", "c", "x", "y"]);
    assert_eq!(run::<i64>(&mut con, &["SMOVE", "c", "b", "x"]), 1);
    assert_eq!(members(&mut con, "c"), strs(&["y"]));
    assert_eq!(members(&mut con, "b"), strs(&["1", "x"]));
}

#[test]
fn algebra_and_store() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["SADD", "a", "1", "2", "3", "4", "5"]);
    run::<i64>(&mut con, &["SADD", "b", "4", "5", "6", "x"]);
    run::<i64>(&mut con, &["SADD", "c", "5", "x", "y"]);
    assert_eq!(run::<HashSet<String>>(&mut con, &["SINTER", "a", "b"]), strs(&["4", "5"]));
    assert_eq!(run::<HashSet<String>>(&mut con, &["SINTER", "a", "b", "c"]), strs(&["5"]));
    assert_eq!(run::<HashSet<String>>(&mut con, &["SINTER", "a", "nokey"]), HashSet::new());
    assert_eq!(run::<HashSet<String>>(&mut con, &["SINTER", "a"]), strs(&["1", "2", "3", "4", "5"]));
    assert_eq!(
        run::<HashSet<String>>(&mut con, &["SUNION", "a", "b", "c", "nokey"]),
        strs(&["1", "2", "3", "4", "5", "6", "x", "y"])
    );
    assert_eq!(run::<HashSet<String>>(&mut con, &["SDIFF", "a", "b", "c"]), strs(&["1", "2", "3"]));
    assert_eq!(run::<HashSet<String>>(&mut con, &["SDIFF", "a", "nokey"]), strs(&["1", "2", "3", "4", "5"]));
    assert_eq!(run::<HashSet<String>>(&mut con, &["SDIFF", "nokey", "a"]), HashSet::new());

    assert_eq!(run::<i64>(&mut con, &["SINTERCARD", "2", "a", "b"]), 2);
    assert_eq!(run::<i64>(&mut con, &["SINTERCARD", "2", "a", "b", "LIMIT", "1"]), 1);
    assert_eq!(run::<i64>(&mut con, &["SINTERCARD", "2", "a", "b", "limit", "0"]), 2);
    assert_eq!(run::<i64>(&mut con, &["SINTERCARD", "2", "a", "nokey"]), 0);
    assert_eq!(fail(&mut con, &["SINTERCARD", "0", "a"]), "ERR numkeys should be greater than 0");
    assert_eq!(fail(&mut con, &["SINTERCARD", "x", "a"]), "ERR numkeys should be greater than 0");
    assert_eq!(
        fail(&mut con, &["SINTERCARD", "3", "a", "b"]),
        "ERR Number of keys can't be greater than number of args"
    );
    assert_eq!(fail(&mut con, &["SINTERCARD", "2", "a", "b", "LIMIT", "-1"]), "ERR LIMIT can't be negative");
    assert_eq!(fail(&mut con, &["SINTERCARD", "2", "a", "b", "LIMIT"]), SYNTAX);
    assert_eq!(fail(&mut con, &["SINTERCARD", "2", "a", "b", "foo"]), SYNTAX);

    // STORE forms overwrite any value and its TTL; an empty result deletes the destination.
    set(&mut con, "d", "string");
    run::<i64>(&mut con, &["EXPIRE", "d", "100"]);
    assert_eq!(run::<i64>(&mut con, &["SINTERSTORE", "d", "a", "b"]), 2);
    assert_eq!(members(&mut con, "d"), strs(&["4", "5"]));
    assert_eq!(run::<i64>(&mut con, &["TTL", "d"]), -1);
    assert_eq!(encoding(&mut con, "d"), "intset");
    assert_eq!(run::<i64>(&mut con, &["SUNIONSTORE", "d", "a", "b"]), 7);
    assert_eq!(encoding(&mut con, "d"), "listpack");
    assert_eq!(run::<i64>(&mut con, &["SDIFFSTORE", "d", "a", "b"]), 3);
    assert_eq!(members(&mut con, "d"), strs(&["1", "2", "3"]));
    // The destination may be one of the sources.
    assert_eq!(run::<i64>(&mut con, &["SUNIONSTORE", "d", "d", "c"]), 6);
    assert_eq!(members(&mut con, "d"), strs(&["1", "2", "3", "5", "x", "y"]));
    assert_eq!(run::<i64>(&mut con, &["SINTERSTORE", "d", "a", "nokey"]), 0);
    assert!(!exists(&mut con, "d"));
    set(&mut con, "d", "string");
    assert_eq!(run::<i64>(&mut con, &["SDIFFSTORE", "d", "a", "a"]), 0);
    assert!(!exists(&mut con, "d"));
    assert_eq!(fail(&mut con, &["SINTERSTORE", "d"]), "ERR wrong number of arguments for 'sinterstore' command");
}

#[test]
fn encodings_follow_the_thresholds() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<()>(&mut con, &["CONFIG", "SET", "set-max-intset-entries", "4"]);
    run::<()>(&mut con, &["CONFIG", "SET", "set-max-listpack-entries", "3"]);
    run::<()>(&mut con, &["CONFIG", "SET", "set-max-listpack-value", "5"]);
    run::<i64>(&mut con, &["SADD", "i", "1", "2", "3", "4"]);
    assert_eq!(encoding(&mut con, "i"), "intset");
    run::<i64>(&mut con, &["SADD", "i", "5"]);
    assert_eq!(encoding(&mut con, "i"), "hashtable");
    run::<i64>(&mut con, &["SADD", "l", "1", "a"]);
    assert_eq!(encoding(&mut con, "l"), "listpack");
    run::<i64>(&mut con, &["SADD", "l", "b"]);
    assert_eq!(encoding(&mut con, "l"), "listpack");
    run::<i64>(&mut con, &["SADD", "l", "c"]);
    assert_eq!(encoding(&mut con, "l"), "hashtable");
    run::<i64>(&mut con, &["SADD", "v", "abcdef"]);
    assert_eq!(encoding(&mut con, "v"), "hashtable");
    // Never converted back.
    run::<i64>(&mut con, &["SREM", "l", "a", "b", "c"]);
    assert_eq!(encoding(&mut con, "l"), "hashtable");
    assert_eq!(members(&mut con, "l"), strs(&["1"]));
    // Non-canonical integers are strings.
    run::<i64>(&mut con, &["SADD", "n", "01"]);
    assert_eq!(encoding(&mut con, "n"), "listpack");
    assert_eq!(run::<String>(&mut con, &["TYPE", "n"]), "set");
}

#[test]
fn sscan_returns_everything() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // Small: everything in one call, cursor 0.
    run::<i64>(&mut con, &["SADD", "small", "a", "b", "1"]);
    let (cursor, found): (String, Vec<String>) = run(&mut con, &["SSCAN", "small", "0"]);
    assert_eq!(cursor, "0");
    assert_eq!(found.into_iter().collect::<HashSet<_>>(), strs(&["a", "b", "1"]));
    let (_, found): (String, Vec<String>) = run(&mut con, &["SSCAN", "small", "0", "MATCH", "[a-z]"]);
    assert_eq!(found.into_iter().collect::<HashSet<_>>(), strs(&["a", "b"]));
    let (cursor, found): (String, Vec<String>) = run(&mut con, &["SSCAN", "nokey", "0"]);
    assert_eq!((cursor.as_str(), found.len()), ("0", 0));
    assert_eq!(fail(&mut con, &["SSCAN", "small", "x"]), "ERR invalid cursor");
    assert_eq!(fail(&mut con, &["SSCAN", "small", "0", "COUNT", "0"]), SYNTAX);
    assert_eq!(fail(&mut con, &["SSCAN", "small", "0", "COUNT"]), SYNTAX);
    assert_eq!(fail(&mut con, &["SSCAN", "small", "0", "TYPE", "set"]), SYNTAX);

    // Large: many calls, every member present throughout is returned.
    let many: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    let mut sadd = vec!["SADD", "big"];
    sadd.extend(many.iter().map(String::as_str));
    run::<i64>(&mut con, &sadd);
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let (next, found): (String, Vec<String>) = run(&mut con, &["SSCAN", "big", &cursor, "COUNT", "50"]);
        seen.extend(found);
        // Change the set while scanning: remove odd members, add new ones.
        run::<i64>(&mut con, &["SREM", "big", &format!("m{}", calls * 2 + 1)]);
        run::<i64>(&mut con, &["SADD", "big", &format!("new{calls}")]);
        calls += 1;
        if next == "0" {
            break;
        }
        cursor = next;
    }
    assert!(calls > 5, "the scan took several calls");
    for i in (0..1000).step_by(2) {
        assert!(seen.contains(&format!("m{i}")), "m{i} missed");
    }
}

#[test]
fn resp3_reply_types() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["SADD", "s", "a"]);
    let mut raw = server.raw_resp3();
    raw.expect(&["SMEMBERS", "s"], "~1\r\n$1\r\na\r\n");
    raw.expect(&["SMEMBERS", "nokey"], "~0\r\n");
    raw.expect(&["SINTER", "s"], "~1\r\n$1\r\na\r\n");
    raw.expect(&["SUNION", "s"], "~1\r\n$1\r\na\r\n");
    raw.expect(&["SDIFF", "s"], "~1\r\n$1\r\na\r\n");
    raw.expect(&["SRANDMEMBER", "s", "1"], "*1\r\n$1\r\na\r\n");
    raw.expect(&["SRANDMEMBER", "nokey"], "_\r\n");
    raw.expect(&["SPOP", "nokey"], "_\r\n");
    raw.expect(&["SPOP", "nokey", "1"], "~0\r\n");
    raw.expect(&["SPOP", "s", "1"], "~1\r\n$1\r\na\r\n");
}

#[test]
fn command_table_entries() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let info: Vec<redis::Value> = run(&mut con, &["COMMAND", "INFO", "sadd", "sintercard", "smove"]);
    let text = format!("{info:?}");
    assert!(text.contains("denyoom") && text.contains("movablekeys"), "{text}");
    assert!(run::<i64>(&mut con, &["COMMAND", "COUNT"]) > 17);
}

/// Redis's set.tcl "SMOVE only notify dstset when the addition is successful": moving a
/// member the destination already holds leaves the destination unchanged, so a client
/// watching it still commits.
#[test]
fn smove_of_a_member_the_destination_holds_does_not_touch_it() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let mut other = server.sync_conn();
    assert_eq!(run::<i64>(&mut con, &["SADD", "src{t}", "a", "b"]), 2);
    assert_eq!(run::<i64>(&mut con, &["SADD", "dst{t}", "a"]), 1);
    let _: () = redis::cmd("WATCH").arg("dst{t}").query(&mut con).unwrap();
    let _: () = redis::cmd("MULTI").query(&mut con).unwrap();
    let _: String = redis::cmd("SADD").arg("dst{t}").arg("c").query(&mut con).unwrap();
    assert_eq!(run::<i64>(&mut other, &["SMOVE", "src{t}", "dst{t}", "a"]), 1);
    let committed: Option<Vec<i64>> = redis::cmd("EXEC").query(&mut con).unwrap();
    assert_eq!(committed, Some(vec![1]));
    assert_eq!(run::<i64>(&mut con, &["SCARD", "dst{t}"]), 2);
    assert_eq!(run::<i64>(&mut con, &["SCARD", "src{t}"]), 1);
}
