//! The sorted set commands through a real client, checked against Redis 7's documented
//! replies and errors: ZADD (all options) ZINCRBY ZREM ZCARD ZCOUNT ZLEXCOUNT ZSCORE ZMSCORE
//! ZRANK ZREVRANK, the ZRANGE family and ZRANGESTORE, ZREMRANGEBY*, ZPOPMIN ZPOPMAX ZMPOP
//! ZRANDMEMBER, ZUNION ZINTER ZDIFF (and STORE forms) ZINTERCARD, ZSCAN; encodings; RESP3.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use common::{TestServer, fail, run, set};
use redis::Connection;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const NOT_FLOAT: &str = "ERR value is not a valid float";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const MINMAX_FLOAT: &str = "ERR min or max is not a float";
const MINMAX_LEX: &str = "ERR min or max not valid string range item";

fn exists(con: &mut Connection, key: &str) -> bool {
    run::<i64>(con, &["EXISTS", key]) == 1
}

fn encoding(con: &mut Connection, key: &str) -> String {
    run(con, &["OBJECT", "ENCODING", key])
}

fn range(con: &mut Connection, args: &[&str]) -> Vec<String> {
    run(con, args)
}

fn s(items: &[&str]) -> Vec<String> {
    items.iter().map(|x| x.to_string()).collect()
}

#[test]
fn zadd_options() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<i64>(&mut con, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]), 3);
    assert_eq!(run::<i64>(&mut con, &["ZADD", "z", "1.5", "a", "10", "d"]), 1);
    assert_eq!(run::<i64>(&mut con, &["ZADD", "z", "CH", "1.5", "a", "11", "d", "0", "e"]), 2);
    assert_eq!(run::<i64>(&mut con, &["ZADD", "z", "NX", "100", "a", "5", "f"]), 1);
    assert_eq!(run::<f64>(&mut con, &["ZSCORE", "z", "a"]), 1.5);
    assert_eq!(run::<i64>(&mut con, &["ZADD", "z", "XX", "CH", "100", "a", "5", "g"]), 1);
    assert!(!run::<Vec<String>>(&mut con, &["ZRANGE", "z", "0", "-1"]).contains(&"g".to_string()));
    // GT/LT only move scores one way; CH counts the changes.
    assert_eq!(run::<i64>(&mut con, &["ZADD", "z", "GT", "CH", "50", "a"]), 0);
    assert_eq!(run::<i64>(&mut con, &["ZADD", "z", "GT", "CH", "200", "a"]), 1);
    assert_eq!(run::<i64>(&mut con, &["ZADD", "z", "LT", "CH", "300", "a", "1", "b"]), 1);
    assert_eq!(run::<f64>(&mut con, &["ZSCORE", "z", "a"]), 200.0);
    assert_eq!(run::<f64>(&mut con, &["ZSCORE", "z", "b"]), 1.0);
    // GT and LT still add new members.
    assert_eq!(run::<i64>(&mut con, &["ZADD", "z", "GT", "7", "new"]), 1);
    // INCR replies the new score, or nil when nothing was done.
    assert_eq!(run::<f64>(&mut con, &["ZADD", "z", "INCR", "5", "b"]), 6.0);
    assert_eq!(run::<Option<f64>>(&mut con, &["ZADD", "z", "INCR", "NX", "5", "b"]), None);
    assert_eq!(run::<Option<f64>>(&mut con, &["ZADD", "z", "INCR", "XX", "5", "nope"]), None);
    assert_eq!(run::<Option<f64>>(&mut con, &["ZADD", "z", "INCR", "GT", "-1", "b"]), None);
    assert_eq!(run::<f64>(&mut con, &["ZADD", "z", "INCR", "GT", "1", "b"]), 7.0);
    assert_eq!(run::<i64>(&mut con, &["ZADD", "nokey", "XX", "1", "a"]), 0);
    assert!(!exists(&mut con, "nokey"));
    // Infinities are scores; NaN is not.
    assert_eq!(run::<i64>(&mut con, &["ZADD", "inf", "inf", "p", "-inf", "n", "+inf", "q"]), 3);
    assert_eq!(run::<String>(&mut con, &["ZSCORE", "inf", "n"]), "-inf");
    assert_eq!(fail(&mut con, &["ZADD", "inf", "INCR", "-inf", "p"]), "ERR resulting score is not a number (NaN)");
    assert_eq!(fail(&mut con, &["ZADD", "z", "nan", "a"]), NOT_FLOAT);
    assert_eq!(fail(&mut con, &["ZADD", "z", "x", "a"]), NOT_FLOAT);
    assert_eq!(fail(&mut con, &["ZADD", "z", "1", "a", "2"]), SYNTAX);
    assert_eq!(fail(&mut con, &["ZADD", "z", "NX", "1"]), SYNTAX);
    assert_eq!(fail(&mut con, &["ZADD", "z", "1"]), "ERR wrong number of arguments for 'zadd' command");
    assert_eq!(
        fail(&mut con, &["ZADD", "z", "NX", "XX", "1", "a"]),
        "ERR XX and NX options at the same time are not compatible"
    );
    for bad in [&["GT", "NX"][..], &["LT", "NX"], &["GT", "LT"]] {
        let mut cmd = vec!["ZADD", "z"];
        cmd.extend_from_slice(bad);
        cmd.extend_from_slice(&["1", "a"]);
        assert_eq!(fail(&mut con, &cmd), "ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    assert_eq!(
        fail(&mut con, &["ZADD", "z", "INCR", "1", "a", "2", "b"]),
        "ERR INCR option supports a single increment-element pair"
    );
    // A failed ZADD changes nothing.
    assert_eq!(fail(&mut con, &["ZADD", "z", "1", "x1", "bad", "x2"]), NOT_FLOAT);
    assert_eq!(run::<Option<f64>>(&mut con, &["ZSCORE", "z", "x1"]), None);
}

#[test]
fn point_reads_and_zincrby() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["ZADD", "z", "1", "a", "2", "b", "2", "c", "3", "d"]);
    assert_eq!(run::<f64>(&mut con, &["ZINCRBY", "z", "2.5", "a"]), 3.5);
    assert_eq!(run::<f64>(&mut con, &["ZINCRBY", "z", "-1", "new"]), -1.0);
    assert_eq!(fail(&mut con, &["ZINCRBY", "z", "x", "a"]), NOT_FLOAT);
    assert_eq!(run::<f64>(&mut con, &["ZINCRBY", "inf", "inf", "m"]), f64::INFINITY);
    assert_eq!(fail(&mut con, &["ZINCRBY", "inf", "-inf", "m"]), "ERR resulting score is not a number (NaN)");
    assert_eq!(run::<Option<f64>>(&mut con, &["ZSCORE", "z", "nope"]), None);
    assert_eq!(run::<Option<f64>>(&mut con, &["ZSCORE", "nokey", "a"]), None);
    assert_eq!(
        run::<Vec<Option<f64>>>(&mut con, &["ZMSCORE", "z", "b", "nope", "a"]),
        vec![Some(2.0), None, Some(3.5)]
    );
    assert_eq!(run::<Vec<Option<f64>>>(&mut con, &["ZMSCORE", "nokey", "a"]), vec![None]);
    assert_eq!(run::<i64>(&mut con, &["ZCARD", "z"]), 5);
    assert_eq!(run::<i64>(&mut con, &["ZCARD", "nokey"]), 0);
    // Order: new(-1) b(2) c(2) d(3) a(3.5): ties by member.
    assert_eq!(run::<i64>(&mut con, &["ZRANK", "z", "c"]), 2);
    assert_eq!(run::<i64>(&mut con, &["ZREVRANK", "z", "c"]), 2);
    assert_eq!(run::<i64>(&mut con, &["ZRANK", "z", "a"]), 4);
    assert_eq!(run::<i64>(&mut con, &["ZREVRANK", "z", "a"]), 0);
    assert_eq!(run::<Option<i64>>(&mut con, &["ZRANK", "z", "nope"]), None);
    assert_eq!(run::<Option<i64>>(&mut con, &["ZRANK", "nokey", "a"]), None);
    assert_eq!(run::<(i64, f64)>(&mut con, &["ZRANK", "z", "a", "WITHSCORE"]), (4, 3.5));
    assert_eq!(run::<(i64, f64)>(&mut con, &["ZREVRANK", "z", "a", "withscore"]), (0, 3.5));
    assert_eq!(run::<Option<Vec<String>>>(&mut con, &["ZRANK", "z", "nope", "WITHSCORE"]), None);
    assert_eq!(fail(&mut con, &["ZRANK", "z", "a", "WITHSCORES"]), SYNTAX);
    assert_eq!(
        fail(&mut con, &["ZRANK", "z", "a", "WITHSCORE", "x"]),
        "ERR wrong number of arguments for 'zrank' command"
    );
    assert_eq!(run::<i64>(&mut con, &["ZCOUNT", "z", "2", "3"]), 3);
    assert_eq!(run::<i64>(&mut con, &["ZCOUNT", "z", "(2", "3"]), 1);
    assert_eq!(run::<i64>(&mut con, &["ZCOUNT", "z", "-inf", "+inf"]), 5);
    assert_eq!(run::<i64>(&mut con, &["ZCOUNT", "z", "3", "2"]), 0);
    assert_eq!(run::<i64>(&mut con, &["ZCOUNT", "nokey", "0", "1"]), 0);
    assert_eq!(fail(&mut con, &["ZCOUNT", "z", "x", "1"]), MINMAX_FLOAT);
    // strtod reads nothing from "": Redis takes "(" as "(0" (7.0.15 answers so).
    assert_eq!(fail(&mut con, &["ZCOUNT", "z", "1x", "1"]), MINMAX_FLOAT);
    let scores_in_0_1: i64 = run(&mut con, &["ZCOUNT", "z", "(0", "1"]);
    assert_eq!(run::<i64>(&mut con, &["ZCOUNT", "z", "(", "1"]), scores_in_0_1);
    assert_eq!(run::<i64>(&mut con, &["ZREM", "z", "nope", "b", "c"]), 2);
    assert_eq!(run::<i64>(&mut con, &["ZREM", "nokey", "a"]), 0);
    assert_eq!(run::<i64>(&mut con, &["ZREM", "z", "a", "d", "new"]), 3);
    assert!(!exists(&mut con, "z"), "the last member removed deletes the key");
}

#[test]
fn zrange_family() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]);
    assert_eq!(range(&mut con, &["ZRANGE", "z", "0", "2"]), s(&["a", "b", "c"]));
    assert_eq!(range(&mut con, &["ZRANGE", "z", "-2", "-1", "WITHSCORES"]), s(&["d", "4", "e", "5"]));
    assert_eq!(range(&mut con, &["ZRANGE", "z", "3", "1"]), s(&[]));
    assert_eq!(range(&mut con, &["ZRANGE", "z", "-100", "100"]).len(), 5);
    assert_eq!(range(&mut con, &["ZRANGE", "z", "0", "1", "REV"]), s(&["e", "d"]));
    assert_eq!(range(&mut con, &["ZRANGE", "z", "2", "4", "BYSCORE"]), s(&["b", "c", "d"]));
    assert_eq!(
        range(&mut con, &["ZRANGE", "z", "(1", "+inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"]),
        s(&["c", "3", "d", "4"])
    );
    assert_eq!(range(&mut con, &["ZRANGE", "z", "4", "2", "BYSCORE", "REV"]), s(&["d", "c", "b"]));
    assert_eq!(range(&mut con, &["ZRANGE", "nokey", "0", "-1"]), s(&[]));
    assert_eq!(
        fail(&mut con, &["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"]),
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    );
    assert_eq!(
        fail(&mut con, &["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"]),
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
    );
    assert_eq!(fail(&mut con, &["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"]), SYNTAX);
    assert_eq!(fail(&mut con, &["ZRANGE", "z", "0", "1", "REV", "REV"]), SYNTAX);
    assert_eq!(fail(&mut con, &["ZRANGE", "z", "0", "1", "LIMIT", "0"]), SYNTAX);
    assert_eq!(fail(&mut con, &["ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "x", "1"]), NOT_INT);
    assert_eq!(fail(&mut con, &["ZRANGE", "z", "0", "x"]), NOT_INT);
    assert_eq!(fail(&mut con, &["ZRANGE", "z", "a", "b", "BYSCORE"]), MINMAX_FLOAT);
    assert_eq!(fail(&mut con, &["ZRANGE", "z", "a", "b", "BYLEX"]), MINMAX_LEX);

    assert_eq!(range(&mut con, &["ZREVRANGE", "z", "0", "1", "WITHSCORES"]), s(&["e", "5", "d", "4"]));
    assert_eq!(fail(&mut con, &["ZREVRANGE", "z", "0", "1", "BYSCORE"]), SYNTAX);
    assert_eq!(range(&mut con, &["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2"]), s(&["b", "c"]));
    assert_eq!(range(&mut con, &["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2"]), s(&[]));
    assert_eq!(range(&mut con, &["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "3", "-1"]), s(&["d", "e"]));
    assert_eq!(range(&mut con, &["ZRANGEBYSCORE", "z", "(1", "(4"]), s(&["b", "c"]));
    assert_eq!(fail(&mut con, &["ZRANGEBYSCORE", "z", "1", "2", "REV"]), SYNTAX);
    assert_eq!(range(&mut con, &["ZREVRANGEBYSCORE", "z", "+inf", "(3", "WITHSCORES"]), s(&["e", "5", "d", "4"]));
    assert_eq!(range(&mut con, &["ZREVRANGEBYSCORE", "z", "5", "1", "LIMIT", "1", "2"]), s(&["d", "c"]));
    assert_eq!(range(&mut con, &["ZREVRANGEBYSCORE", "z", "1", "5"]), s(&[]));

    run::<i64>(&mut con, &["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"]);
    assert_eq!(range(&mut con, &["ZRANGEBYLEX", "l", "-", "+"]).len(), 5);
    assert_eq!(range(&mut con, &["ZRANGEBYLEX", "l", "[b", "(e"]), s(&["b", "c", "d"]));
    assert_eq!(range(&mut con, &["ZRANGEBYLEX", "l", "(b", "[e", "LIMIT", "1", "2"]), s(&["d", "e"]));
    assert_eq!(range(&mut con, &["ZREVRANGEBYLEX", "l", "[d", "-"]), s(&["d", "c", "b", "a"]));
    assert_eq!(range(&mut con, &["ZRANGE", "l", "+", "[c", "BYLEX", "REV", "LIMIT", "0", "2"]), s(&["e", "d"]));
    assert_eq!(fail(&mut con, &["ZRANGEBYLEX", "l", "a", "c"]), MINMAX_LEX);
    assert_eq!(
        fail(&mut con, &["ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"]),
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
    );
    assert_eq!(run::<i64>(&mut con, &["ZLEXCOUNT", "l", "[b", "(d"]), 2);
    assert_eq!(run::<i64>(&mut con, &["ZLEXCOUNT", "l", "-", "+"]), 5);
    assert_eq!(run::<i64>(&mut con, &["ZLEXCOUNT", "nokey", "-", "+"]), 0);
    assert_eq!(fail(&mut con, &["ZLEXCOUNT", "l", "a", "+"]), MINMAX_LEX);
}

#[test]
fn zrangestore_and_removals() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    set(&mut con, "dst", "string");
    run::<i64>(&mut con, &["EXPIRE", "dst", "100"]);
    assert_eq!(run::<i64>(&mut con, &["ZRANGESTORE", "dst", "z", "1", "2"]), 2);
    assert_eq!(range(&mut con, &["ZRANGE", "dst", "0", "-1", "WITHSCORES"]), s(&["b", "2", "c", "3"]));
    assert_eq!(run::<i64>(&mut con, &["TTL", "dst"]), -1);
    assert_eq!(
        run::<i64>(&mut con, &["ZRANGESTORE", "dst", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "3"]),
        3
    );
    assert_eq!(range(&mut con, &["ZRANGE", "dst", "0", "-1"]), s(&["b", "c", "d"]));
    assert_eq!(fail(&mut con, &["ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"]), SYNTAX);
    assert_eq!(run::<i64>(&mut con, &["ZRANGESTORE", "dst", "nokey", "0", "-1"]), 0);
    assert!(!exists(&mut con, "dst"));
    run::<i64>(&mut con, &["ZRANGESTORE", "dst", "z", "0", "-1"]);
    assert_eq!(run::<i64>(&mut con, &["ZRANGESTORE", "dst", "z", "5", "9"]), 0);
    assert!(!exists(&mut con, "dst"));

    assert_eq!(run::<i64>(&mut con, &["ZREMRANGEBYRANK", "z", "-1", "-1"]), 1);
    assert_eq!(run::<i64>(&mut con, &["ZREMRANGEBYRANK", "z", "5", "10"]), 0);
    assert_eq!(fail(&mut con, &["ZREMRANGEBYRANK", "z", "x", "1"]), NOT_INT);
    assert_eq!(range(&mut con, &["ZRANGE", "z", "0", "-1"]), s(&["a", "b", "c"]));
    assert_eq!(run::<i64>(&mut con, &["ZREMRANGEBYSCORE", "z", "(1", "2"]), 1);
    assert_eq!(fail(&mut con, &["ZREMRANGEBYSCORE", "z", "x", "1"]), MINMAX_FLOAT);
    assert_eq!(run::<i64>(&mut con, &["ZREMRANGEBYSCORE", "nokey", "1", "2"]), 0);
    assert_eq!(run::<i64>(&mut con, &["ZREMRANGEBYSCORE", "z", "-inf", "+inf"]), 2);
    assert!(!exists(&mut con, "z"));
    run::<i64>(&mut con, &["ZADD", "l", "0", "a", "0", "b", "0", "c"]);
    assert_eq!(run::<i64>(&mut con, &["ZREMRANGEBYLEX", "l", "[a", "(c"]), 2);
    assert_eq!(fail(&mut con, &["ZREMRANGEBYLEX", "l", "a", "c"]), MINMAX_LEX);
    assert_eq!(run::<i64>(&mut con, &["ZREMRANGEBYLEX", "l", "-", "+"]), 1);
    assert!(!exists(&mut con, "l"));
}

#[test]
fn pops_and_random_members() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(range(&mut con, &["ZPOPMIN", "p"]), s(&["a", "1"]));
    assert_eq!(range(&mut con, &["ZPOPMAX", "p"]), s(&["d", "4"]));
    assert_eq!(range(&mut con, &["ZPOPMIN", "p", "0"]), s(&[]));
    assert_eq!(fail(&mut con, &["ZPOPMIN", "p", "-1"]), "ERR value is out of range, must be positive");
    assert_eq!(fail(&mut con, &["ZPOPMIN", "p", "1", "2"]), SYNTAX);
    assert_eq!(range(&mut con, &["ZPOPMAX", "p", "10"]), s(&["c", "3", "b", "2"]));
    assert!(!exists(&mut con, "p"));
    assert_eq!(range(&mut con, &["ZPOPMIN", "nokey"]), s(&[]));

    run::<i64>(&mut con, &["ZADD", "p", "1", "a", "2", "b", "3", "c"]);
    let popped: (String, Vec<(String, f64)>) = run(&mut con, &["ZMPOP", "2", "nokey", "p", "MIN", "COUNT", "2"]);
    assert_eq!(popped, ("p".into(), vec![("a".into(), 1.0), ("b".into(), 2.0)]));
    let popped: (String, Vec<(String, f64)>) = run(&mut con, &["ZMPOP", "1", "p", "max", "count", "5"]);
    assert_eq!(popped, ("p".into(), vec![("c".into(), 3.0)]));
    assert!(!exists(&mut con, "p"));
    assert_eq!(run::<Option<Vec<String>>>(&mut con, &["ZMPOP", "1", "p", "MIN"]), None);
    assert_eq!(fail(&mut con, &["ZMPOP", "0", "p", "MIN"]), "ERR numkeys should be greater than 0");
    assert_eq!(fail(&mut con, &["ZMPOP", "5", "p", "MIN"]), SYNTAX);
    assert_eq!(fail(&mut con, &["ZMPOP", "1", "p", "MIDDLE"]), SYNTAX);
    assert_eq!(fail(&mut con, &["ZMPOP", "1", "p", "MIN", "COUNT", "0"]), "ERR count should be greater than 0");
    assert_eq!(fail(&mut con, &["ZMPOP", "1", "p", "MIN", "COUNT", "1", "COUNT", "1"]), SYNTAX);

    run::<i64>(&mut con, &["ZADD", "r", "1", "a", "2", "b", "3", "c"]);
    let all: HashSet<String> = ["a", "b", "c"].iter().map(|x| x.to_string()).collect();
    assert!(all.contains(&run::<String>(&mut con, &["ZRANDMEMBER", "r"])));
    let two: Vec<String> = run(&mut con, &["ZRANDMEMBER", "r", "2"]);
    assert_eq!(two.iter().collect::<HashSet<_>>().len(), 2);
    let everything: Vec<String> = run(&mut con, &["ZRANDMEMBER", "r", "10"]);
    assert_eq!(everything.into_iter().collect::<HashSet<_>>(), all);
    let repeats: Vec<(String, f64)> = run(&mut con, &["ZRANDMEMBER", "r", "-7", "WITHSCORES"]);
    assert_eq!(repeats.len(), 7);
    assert!(repeats.iter().all(|(m, s)| all.contains(m) && *s >= 1.0));
    assert_eq!(range(&mut con, &["ZRANDMEMBER", "r", "0"]), s(&[]));
    assert_eq!(run::<Option<String>>(&mut con, &["ZRANDMEMBER", "nokey"]), None);
    assert_eq!(range(&mut con, &["ZRANDMEMBER", "nokey", "3"]), s(&[]));
    assert_eq!(fail(&mut con, &["ZRANDMEMBER", "r", "1", "foo"]), SYNTAX);
    assert_eq!(fail(&mut con, &["ZRANDMEMBER", "r", "x"]), NOT_INT);
    // With WITHSCORES the reply has twice the count: past half a long Redis refuses it with
    // its own message (before any cap on repeated picks).
    assert_eq!(
        fail(&mut con, &["ZRANDMEMBER", "r", "-9223372036854770000", "WITHSCORES"]),
        "ERR value is out of range"
    );
    assert_eq!(
        fail(&mut con, &["ZRANDMEMBER", "r", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(fail(&mut con, &["ZRANDMEMBER", "r", "x", "foo"]), NOT_INT, "the count is read first");
}

#[test]
fn union_inter_diff() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["ZADD", "a", "1", "x", "2", "y", "3", "z"]);
    run::<i64>(&mut con, &["ZADD", "b", "10", "y", "20", "z", "30", "w"]);
    run::<i64>(&mut con, &["SADD", "c", "x", "y", "w", "q"]);
    assert_eq!(
        range(&mut con, &["ZUNION", "2", "a", "b", "WITHSCORES"]),
        s(&["x", "1", "y", "12", "z", "23", "w", "30"])
    );
    assert_eq!(
        range(&mut con, &["ZUNION", "3", "a", "b", "c", "WEIGHTS", "2", "1", "5", "AGGREGATE", "MAX", "WITHSCORES"]),
        s(&["q", "5", "x", "5", "y", "10", "z", "20", "w", "30"])
    );
    assert_eq!(range(&mut con, &["ZINTER", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"]), s(&["y", "2", "z", "3"]));
    assert_eq!(range(&mut con, &["ZINTER", "3", "a", "b", "c"]), s(&["y"]));
    assert_eq!(range(&mut con, &["ZINTER", "2", "a", "nokey"]), s(&[]));
    assert_eq!(
        range(&mut con, &["ZINTER", "2", "a", "c", "WEIGHTS", "0", "inf", "WITHSCORES"]),
        s(&["x", "inf", "y", "inf"])
    );
    // inf + -inf is NaN, which aggregates as 0.
    assert_eq!(
        range(&mut con, &["ZUNION", "2", "a", "c", "WEIGHTS", "inf", "-inf", "WITHSCORES"]),
        s(&["q", "-inf", "w", "-inf", "x", "0", "y", "0", "z", "inf"])
    );
    assert_eq!(range(&mut con, &["ZDIFF", "2", "a", "b", "WITHSCORES"]), s(&["x", "1"]));
    assert_eq!(range(&mut con, &["ZDIFF", "2", "b", "c"]), s(&["z"]));
    assert_eq!(range(&mut con, &["ZDIFF", "2", "nokey", "a"]), s(&[]));
    assert_eq!(fail(&mut con, &["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "2"]), SYNTAX);
    assert_eq!(fail(&mut con, &["ZUNION", "0", "a"]), "ERR at least 1 input key is needed for 'zunion' command");
    assert_eq!(fail(&mut con, &["ZUNION", "x", "a"]), NOT_INT);
    assert_eq!(fail(&mut con, &["ZUNION", "3", "a", "b"]), SYNTAX);
    assert_eq!(fail(&mut con, &["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"]), "ERR weight value is not a float");
    assert_eq!(fail(&mut con, &["ZUNION", "2", "a", "b", "WEIGHTS", "1"]), SYNTAX);
    assert_eq!(fail(&mut con, &["ZUNION", "2", "a", "b", "AGGREGATE", "AVG"]), SYNTAX);

    set(&mut con, "d", "string");
    run::<i64>(&mut con, &["EXPIRE", "d", "100"]);
    assert_eq!(run::<i64>(&mut con, &["ZUNIONSTORE", "d", "2", "a", "b"]), 4);
    assert_eq!(run::<i64>(&mut con, &["TTL", "d"]), -1);
    assert_eq!(
        range(&mut con, &["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        s(&["x", "1", "y", "12", "z", "23", "w", "30"])
    );
    assert_eq!(encoding(&mut con, "d"), "listpack");
    assert_eq!(fail(&mut con, &["ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"]), SYNTAX);
    assert_eq!(run::<i64>(&mut con, &["ZINTERSTORE", "d", "2", "d", "c", "WEIGHTS", "1", "0"]), 3);
    assert_eq!(range(&mut con, &["ZRANGE", "d", "0", "-1"]), s(&["x", "y", "w"]));
    assert_eq!(run::<i64>(&mut con, &["ZDIFFSTORE", "d", "2", "a", "b"]), 1);
    assert_eq!(run::<i64>(&mut con, &["ZINTERSTORE", "d", "2", "a", "nokey"]), 0);
    assert!(!exists(&mut con, "d"));
    assert_eq!(
        fail(&mut con, &["ZINTERSTORE", "d", "0", "a"]),
        "ERR at least 1 input key is needed for 'zinterstore' command"
    );

    assert_eq!(run::<i64>(&mut con, &["ZINTERCARD", "2", "a", "b"]), 2);
    assert_eq!(run::<i64>(&mut con, &["ZINTERCARD", "2", "a", "b", "LIMIT", "1"]), 1);
    assert_eq!(run::<i64>(&mut con, &["ZINTERCARD", "3", "a", "b", "c"]), 1);
    assert_eq!(fail(&mut con, &["ZINTERCARD", "2", "a", "b", "LIMIT", "-1"]), "ERR LIMIT can't be negative");
    assert_eq!(fail(&mut con, &["ZINTERCARD", "2", "a", "b", "WITHSCORES"]), SYNTAX);
    assert_eq!(
        fail(&mut con, &["ZINTERCARD", "0", "a"]),
        "ERR at least 1 input key is needed for 'zintercard' command"
    );
}

#[test]
fn wrongtype_on_every_command() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    set(&mut con, "str", "x");
    run::<i64>(&mut con, &["ZADD", "z", "1", "a"]);
    for cmd in [
        &["ZADD", "str", "1", "a"][..],
        &["ZINCRBY", "str", "1", "a"],
        &["ZREM", "str", "a"],
        &["ZCARD", "str"],
        &["ZCOUNT", "str", "0", "1"],
        &["ZLEXCOUNT", "str", "-", "+"],
        &["ZSCORE", "str", "a"],
        &["ZMSCORE", "str", "a"],
        &["ZRANK", "str", "a"],
        &["ZREVRANK", "str", "a"],
        &["ZRANGE", "str", "0", "-1"],
        &["ZRANGESTORE", "d", "str", "0", "-1"],
        &["ZREVRANGE", "str", "0", "-1"],
        &["ZRANGEBYSCORE", "str", "0", "1"],
        &["ZREVRANGEBYSCORE", "str", "1", "0"],
        &["ZRANGEBYLEX", "str", "-", "+"],
        &["ZREVRANGEBYLEX", "str", "+", "-"],
        &["ZREMRANGEBYRANK", "str", "0", "1"],
        &["ZREMRANGEBYSCORE", "str", "0", "1"],
        &["ZREMRANGEBYLEX", "str", "-", "+"],
        &["ZPOPMIN", "str"],
        &["ZPOPMAX", "str", "0"],
        &["ZMPOP", "2", "nokey", "str", "MIN"],
        &["ZRANDMEMBER", "str"],
        &["ZUNION", "2", "z", "str"],
        &["ZINTER", "2", "nokey", "str"],
        &["ZDIFF", "1", "str"],
        &["ZUNIONSTORE", "d", "1", "str"],
        &["ZINTERSTORE", "d", "2", "z", "str"],
        &["ZDIFFSTORE", "d", "1", "str"],
        &["ZINTERCARD", "1", "str"],
        &["ZSCAN", "str", "0"],
    ] {
        assert_eq!(fail(&mut con, cmd), WRONGTYPE, "{cmd:?}");
    }
    // ZMPOP stops at the first non-empty sorted set.
    let popped: (String, Vec<(String, f64)>) = run(&mut con, &["ZMPOP", "2", "z", "str", "MIN"]);
    assert_eq!(popped.0, "z");
}

#[test]
fn encodings_follow_the_thresholds() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<()>(&mut con, &["CONFIG", "SET", "zset-max-listpack-entries", "3"]);
    run::<()>(&mut con, &["CONFIG", "SET", "zset-max-listpack-value", "5"]);
    run::<i64>(&mut con, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(encoding(&mut con, "z"), "listpack");
    run::<i64>(&mut con, &["ZADD", "z", "4", "d"]);
    assert_eq!(encoding(&mut con, "z"), "skiplist");
    run::<i64>(&mut con, &["ZREM", "z", "a", "b", "c"]);
    assert_eq!(encoding(&mut con, "z"), "skiplist", "never converted back");
    run::<i64>(&mut con, &["ZADD", "long", "1", "abcdef"]);
    assert_eq!(encoding(&mut con, "long"), "skiplist");
    run::<i64>(&mut con, &["ZADD", "many", "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(encoding(&mut con, "many"), "skiplist");
    // Stored results take the encoding their size calls for.
    assert_eq!(run::<i64>(&mut con, &["ZUNIONSTORE", "small", "1", "many", "WEIGHTS", "1"]), 4);
    assert_eq!(encoding(&mut con, "small"), "skiplist");
    run::<i64>(&mut con, &["ZRANGESTORE", "small", "many", "0", "1"]);
    assert_eq!(encoding(&mut con, "small"), "listpack");
    assert_eq!(run::<String>(&mut con, &["TYPE", "small"]), "zset");

    // The skiplist answers like the listpack.
    for i in 0..200 {
        run::<i64>(&mut con, &["ZADD", "big", &i.to_string(), &format!("m{i:03}")]);
    }
    assert_eq!(run::<i64>(&mut con, &["ZRANK", "big", "m150"]), 150);
    assert_eq!(run::<i64>(&mut con, &["ZREVRANK", "big", "m150"]), 49);
    assert_eq!(range(&mut con, &["ZRANGE", "big", "100", "102"]), s(&["m100", "m101", "m102"]));
    assert_eq!(range(&mut con, &["ZRANGE", "big", "103", "(100", "BYSCORE", "REV"]), s(&["m103", "m102", "m101"]));
    assert_eq!(run::<i64>(&mut con, &["ZCOUNT", "big", "10", "(20"]), 10);
    assert_eq!(run::<i64>(&mut con, &["ZREMRANGEBYRANK", "big", "0", "99"]), 100);
    assert_eq!(range(&mut con, &["ZPOPMIN", "big"]), s(&["m100", "100"]));
}

#[test]
fn zscan_returns_everything() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["ZADD", "small", "1", "a", "2.5", "b"]);
    let (cursor, found): (String, Vec<String>) = run(&mut con, &["ZSCAN", "small", "0"]);
    assert_eq!((cursor.as_str(), found), ("0", s(&["a", "1", "b", "2.5"])));
    let (_, found): (String, Vec<String>) = run(&mut con, &["ZSCAN", "small", "0", "MATCH", "b*"]);
    assert_eq!(found, s(&["b", "2.5"]));
    let (cursor, found): (String, Vec<String>) = run(&mut con, &["ZSCAN", "nokey", "0"]);
    assert_eq!((cursor.as_str(), found.len()), ("0", 0));
    assert_eq!(fail(&mut con, &["ZSCAN", "small", "x"]), "ERR invalid cursor");
    assert_eq!(fail(&mut con, &["ZSCAN", "small", "0", "COUNT", "0"]), SYNTAX);

    for chunk in 0..10 {
        let mut cmd = vec!["ZADD".to_string(), "big".to_string()];
        for i in chunk * 100..(chunk + 1) * 100 {
            cmd.push(i.to_string());
            cmd.push(format!("m{i}"));
        }
        let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        run::<i64>(&mut con, &args);
    }
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let (next, found): (String, Vec<String>) = run(&mut con, &["ZSCAN", "big", &cursor, "COUNT", "40"]);
        assert_eq!(found.len() % 2, 0);
        seen.extend(found.chunks(2).map(|p| p[0].clone()));
        run::<i64>(&mut con, &["ZREM", "big", &format!("m{}", calls * 2 + 1)]);
        run::<i64>(&mut con, &["ZADD", "big", "5", &format!("new{calls}")]);
        calls += 1;
        if next == "0" {
            break;
        }
        cursor = next;
    }
    assert!(calls > 5);
    for i in (0..1000).step_by(2) {
        assert!(seen.contains(&format!("m{i}")), "m{i} missed");
    }
}

#[test]
fn resp3_reply_types() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["ZADD", "z", "1", "a", "2.5", "b"]);
    let mut raw = server.raw_resp3();
    raw.expect(&["ZSCORE", "z", "b"], ",2.5\r\n");
    raw.expect(&["ZSCORE", "z", "nope"], "_\r\n");
    raw.expect(&["ZMSCORE", "z", "a", "nope"], "*2\r\n,1\r\n_\r\n");
    raw.expect(&["ZINCRBY", "z", "0", "a"], ",1\r\n");
    raw.expect(&["ZRANGE", "z", "0", "-1", "WITHSCORES"], "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
    raw.expect(&["ZRANGE", "z", "0", "0"], "*1\r\n$1\r\na\r\n");
    raw.expect(&["ZUNION", "1", "z", "WITHSCORES"], "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
    raw.expect(&["ZRANK", "z", "b", "WITHSCORE"], "*2\r\n:1\r\n,2.5\r\n");
    raw.expect(&["ZRANK", "z", "nope", "WITHSCORE"], "_\r\n");
    raw.expect(&["ZRANDMEMBER", "z", "-1", "WITHSCORES"], "*1\r\n*2\r\n$1\r\n");
    raw.read_line();
    raw.read_line();
    raw.expect(&["ZSCAN", "z", "0"], "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n");
    raw.expect(&["ZADD", "z", "INCR", "XX", "1", "nope"], "_\r\n");
    raw.expect(&["ZMPOP", "1", "nokey", "MIN"], "_\r\n");
    // A pop without a count is one flat pair; with a count, pairs.
    raw.expect(&["ZPOPMIN", "z"], "*2\r\n$1\r\na\r\n,1\r\n");
    raw.expect(&["ZPOPMIN", "z", "1"], "*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
    run::<i64>(&mut con, &["ZADD", "z", "3", "c"]);
    raw.expect(&["ZMPOP", "1", "z", "MIN"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nc\r\n,3\r\n");
}

#[test]
fn resp2_shapes() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["ZADD", "z", "1", "a", "2.5", "b"]);
    let mut raw = server.raw();
    raw.expect(&["ZSCORE", "z", "b"], "$3\r\n2.5\r\n");
    raw.expect(&["ZSCORE", "z", "nope"], "$-1\r\n");
    raw.expect(&["ZRANK", "z", "nope", "WITHSCORE"], "*-1\r\n");
    raw.expect(&["ZRANGE", "z", "0", "-1", "WITHSCORES"], "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n");
    raw.expect(&["ZMPOP", "1", "z", "MAX"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n$3\r\n2.5\r\n");
    raw.expect(&["ZMPOP", "1", "nokey", "MAX"], "*-1\r\n");
}

#[test]
fn scores_are_read_as_strtod_reads_them() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    // Hex floats are numbers to strtod.
    assert_eq!(run::<i64>(&mut c, &["ZADD", "z", "0x10", "a", "0x1p3", "b", "0X1", "c"]), 3);
    assert_eq!(run::<String>(&mut c, &["ZSCORE", "z", "a"]), "16");
    assert_eq!(run::<String>(&mut c, &["ZINCRBY", "z", "0x.8", "b"]), "8.5");
    // getDoubleFromObject: no leading space, nothing after the number, no overflow to
    // infinity or underflow to zero ("inf" itself is fine).
    for score in [" 1", "1 ", "1e400", "-1e400", "1e-400", "1_0", ""] {
        assert_eq!(fail(&mut c, &["ZADD", "z", score, "x"]), NOT_FLOAT, "{score:?}");
    }
    assert_eq!(run::<i64>(&mut c, &["ZADD", "z", "infinity", "x"]), 1);
    assert_eq!(fail(&mut c, &["ZUNIONSTORE", "o", "1", "z", "WEIGHTS", "1e400"]), "ERR weight value is not a float");
    assert_eq!(run::<i64>(&mut c, &["ZUNIONSTORE", "o", "1", "z", "WEIGHTS", "0x2"]), 4);
    assert_eq!(run::<String>(&mut c, &["ZSCORE", "o", "a"]), "32");
    // zslParseRange only wants strtod to read everything: leading spaces, an empty bound
    // (0) and an overflowing one pass.
    assert_eq!(range(&mut c, &["ZRANGEBYSCORE", "z", " 1", "0x9"]), ["c", "b"]);
    assert_eq!(range(&mut c, &["ZRANGEBYSCORE", "z", "(", "1"]), ["c"]);
    assert_eq!(run::<i64>(&mut c, &["ZCOUNT", "z", "", "+inf"]), 4);
    assert_eq!(run::<i64>(&mut c, &["ZCOUNT", "z", "-1e400", "1e400"]), 4);
    assert_eq!(fail(&mut c, &["ZCOUNT", "z", "1 ", "2"]), MINMAX_FLOAT);
    assert_eq!(fail(&mut c, &["ZCOUNT", "z", "nan", "2"]), MINMAX_FLOAT);
}

#[test]
fn lex_ranges_over_unequal_scores_answer_as_redis_7_0() {
    // Redis leaves lex ranges over unequal scores unspecified; on a small (listpack) set
    // its walk gives these, which Redis 7.0.15 answers.
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: i64 = run(&mut con, &["ZADD", "z", "-100", "2", "0", "-1", "5", "b", "6", "a", "7", "c"]);
    assert_eq!(range(&mut con, &["ZRANGEBYLEX", "z", "(1", "[a"]), s(&["2", "-1"]));
    assert_eq!(range(&mut con, &["ZRANGEBYLEX", "z", "[b", "[c"]), s(&["b", "a", "c"]));
    assert_eq!(range(&mut con, &["ZRANGEBYLEX", "z", "-", "+"]), s(&["2", "-1", "b", "a", "c"]));
    assert_eq!(range(&mut con, &["ZRANGEBYLEX", "z", "[2", "[b"]), s(&["2", "-1", "b", "a"]));
    assert_eq!(range(&mut con, &["ZREVRANGEBYLEX", "z", "[c", "[b"]), s(&["c"]));
    assert_eq!(range(&mut con, &["ZREVRANGEBYLEX", "z", "[b", "[2"]), s(&["a", "b"]));
    assert_eq!(range(&mut con, &["ZREVRANGEBYLEX", "z", "+", "-"]), s(&["c", "a", "b", "-1", "2"]));
    assert_eq!(run::<i64>(&mut con, &["ZLEXCOUNT", "z", "[b", "[c"]), 3);
    // Nothing when the last member is below the minimum.
    let _: i64 = run(&mut con, &["ZADD", "y", "1", "2", "2", "-1"]);
    assert_eq!(range(&mut con, &["ZRANGEBYLEX", "y", "(1", "[a"]), s(&[]));
    assert_eq!(run::<i64>(&mut con, &["ZREMRANGEBYLEX", "y", "(1", "[a"]), 0);
}
