//! SORT and SORT_RO through the redis crate. Expected values are Redis 7.0.15's replies to
//! the same commands.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, fail, run};
use redis::Value;

fn strings(con: &mut redis::Connection, args: &[&str]) -> Vec<String> {
    run(con, args)
}

#[test]
fn numeric_alpha_desc_and_limit() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["RPUSH", "l", "3", "1", "2", "10", "1.5", "-4"]);
    assert_eq!(strings(&mut c, &["SORT", "l"]), ["-4", "1", "1.5", "2", "3", "10"]);
    assert_eq!(strings(&mut c, &["SORT", "l", "DESC"]), ["10", "3", "2", "1.5", "1", "-4"]);
    assert_eq!(strings(&mut c, &["SORT", "l", "ALPHA"]), ["-4", "1", "1.5", "10", "2", "3"]);
    assert_eq!(strings(&mut c, &["SORT", "l", "ALPHA", "DESC", "LIMIT", "1", "3"]), ["2", "10", "1.5"]);
    assert_eq!(strings(&mut c, &["SORT", "l", "LIMIT", "-5", "2"]), ["-4", "1"]);
    assert_eq!(strings(&mut c, &["SORT", "l", "LIMIT", "2", "-1"]), ["1.5", "2", "3", "10"]);
    assert!(strings(&mut c, &["SORT", "l", "LIMIT", "10", "2"]).is_empty());
    assert!(strings(&mut c, &["SORT", "l", "LIMIT", "0", "0"]).is_empty());
    assert_eq!(strings(&mut c, &["SORT_RO", "l", "DESC", "LIMIT", "0", "2"]), ["10", "3"]);
    // An empty element sorts as 0 (Redis parses with strtod).
    run::<i64>(&mut c, &["RPUSH", "e", "1.5", "", "-1"]);
    assert_eq!(strings(&mut c, &["SORT", "e"]), ["-1", "", "1.5"]);
    // Infinities parse; equal scores fall back to the elements' bytes.
    run::<i64>(&mut c, &["RPUSH", "inf", "inf", "-inf", "1", "+inf", "01", "1.0"]);
    assert_eq!(strings(&mut c, &["SORT", "inf"]), ["-inf", "01", "1", "1.0", "+inf", "inf"]);
    // Sets and sorted sets.
    run::<i64>(&mut c, &["SADD", "st", "5", "3", "9"]);
    assert_eq!(strings(&mut c, &["SORT", "st"]), ["3", "5", "9"]);
    run::<i64>(&mut c, &["ZADD", "z", "1", "c", "2", "b", "3", "a"]);
    assert_eq!(strings(&mut c, &["SORT", "z", "ALPHA"]), ["a", "b", "c"]);
    assert!(strings(&mut c, &["SORT", "nokey"]).is_empty());
}

#[test]
fn by_nosort_keeps_the_stored_order() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["RPUSH", "l", "3", "1", "2"]);
    assert_eq!(strings(&mut c, &["SORT", "l", "BY", "nosort"]), ["3", "1", "2"]);
    assert_eq!(strings(&mut c, &["SORT", "l", "BY", "nosort", "DESC"]), ["2", "1", "3"]);
    run::<i64>(&mut c, &["ZADD", "z", "1", "c", "2", "b", "3", "a"]);
    assert_eq!(strings(&mut c, &["SORT", "z", "BY", "nosort"]), ["c", "b", "a"]);
    assert_eq!(strings(&mut c, &["SORT", "z", "BY", "nosort", "DESC"]), ["a", "b", "c"]);
    assert_eq!(strings(&mut c, &["SORT", "z", "BY", "nosort", "LIMIT", "1", "1"]), ["b"]);
    // A set stored unsorted is sorted alphabetically, so the stored order is deterministic.
    run::<i64>(&mut c, &["SADD", "st", "b", "a", "c"]);
    assert_eq!(run::<i64>(&mut c, &["SORT", "st", "BY", "nosort", "STORE", "sd"]), 3);
    assert_eq!(strings(&mut c, &["LRANGE", "sd", "0", "-1"]), ["a", "b", "c"]);
}

#[test]
fn by_and_get_patterns_read_strings_and_hash_fields() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["RPUSH", "l", "3", "1", "2", "10"]);
    run::<String>(&mut c, &["MSET", "w_3", "30", "w_1", "10", "w_2", "-1", "w_10", "5"]);
    assert_eq!(strings(&mut c, &["SORT", "l", "BY", "w_*"]), ["2", "10", "1", "3"]);
    assert_eq!(
        strings(&mut c, &["SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*"]),
        ["2", "-1", "10", "5", "1", "10", "3", "30"]
    );
    run::<i64>(&mut c, &["HSET", "h_1", "f", "a"]);
    run::<i64>(&mut c, &["HSET", "h_3", "f", "c"]);
    let got: Vec<Option<String>> = run(&mut c, &["SORT", "l", "BY", "w_*", "GET", "h_*->f"]);
    assert_eq!(got, [None, None, Some("a".into()), Some("c".into())]);
    // Missing weights sort first in ALPHA, as 0 numerically.
    assert_eq!(strings(&mut c, &["SORT", "l", "BY", "h_*->f", "ALPHA"]), ["2", "10", "1", "3"]);
    run::<i64>(&mut c, &["RPUSH", "e", "b", "a", "c"]);
    assert_eq!(strings(&mut c, &["SORT", "e", "BY", "missing_*"]), ["a", "b", "c"]);
    // A GET pattern without `*` names nothing.
    let got: Vec<Option<String>> = run(&mut c, &["SORT", "e", "ALPHA", "GET", "fixed"]);
    assert_eq!(got, [None, None, None]);
    // A weight key of another type is missing.
    run::<i64>(&mut c, &["SADD", "w_bad", "x"]);
    run::<i64>(&mut c, &["RPUSH", "one", "bad"]);
    assert_eq!(strings(&mut c, &["SORT", "one", "BY", "w_*"]), ["bad"]);
}

#[test]
fn store_writes_a_list_and_an_empty_result_deletes_the_destination() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["RPUSH", "l", "3", "1", "2"]);
    run::<i64>(&mut c, &["HSET", "h_1", "f", "a"]);
    assert_eq!(run::<i64>(&mut c, &["SORT", "l", "STORE", "dst"]), 3);
    assert_eq!(strings(&mut c, &["LRANGE", "dst", "0", "-1"]), ["1", "2", "3"]);
    // Missing GET values are stored as empty strings.
    assert_eq!(run::<i64>(&mut c, &["SORT", "l", "GET", "h_*->f", "STORE", "dst2"]), 3);
    assert_eq!(strings(&mut c, &["LRANGE", "dst2", "0", "-1"]), ["a", "", ""]);
    assert_eq!(run::<i64>(&mut c, &["SORT", "nokey", "STORE", "dst"]), 0);
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "dst"]), 0);
    // Storing replaces any type and clears a TTL.
    run::<String>(&mut c, &["SET", "str", "x", "EX", "100"]);
    assert_eq!(run::<i64>(&mut c, &["SORT", "l", "STORE", "str"]), 3);
    assert_eq!(run::<i64>(&mut c, &["TTL", "str"]), -1);
    assert_eq!(run::<String>(&mut c, &["TYPE", "str"]), "list");

    // A SORT ... STORE, even of nothing, changes a watched destination.
    run::<i64>(&mut c, &["LPUSH", "foo", "bar"]);
    run::<String>(&mut c, &["WATCH", "foo"]);
    run::<i64>(&mut c, &["SORT", "emptylist", "STORE", "foo"]);
    run::<String>(&mut c, &["MULTI"]);
    run::<String>(&mut c, &["PING"]);
    assert_eq!(run::<Value>(&mut c, &["EXEC"]), Value::Nil);
}

#[test]
fn bad_input_gets_redis_s_errors() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["RPUSH", "l", "1", "a"]);
    assert_eq!(fail(&mut c, &["SORT", "l"]), "ERR One or more scores can't be converted into double");
    assert_eq!(strings(&mut c, &["SORT", "l", "ALPHA"]), ["1", "a"]);
    assert_eq!(fail(&mut c, &["SORT", "l", "LIMIT", "x", "1"]), "ERR value is not an integer or out of range");
    assert_eq!(fail(&mut c, &["SORT", "l", "FOO"]), "ERR syntax error");
    assert_eq!(fail(&mut c, &["SORT", "l", "STORE"]), "ERR syntax error");
    assert_eq!(fail(&mut c, &["SORT", "l", "LIMIT", "1"]), "ERR syntax error");
    assert_eq!(fail(&mut c, &["SORT_RO", "l", "ALPHA", "STORE", "d"]), "ERR syntax error");
    run::<i64>(&mut c, &["RPUSH", "nan", "nan", "1"]);
    assert_eq!(fail(&mut c, &["SORT", "nan"]), "ERR One or more scores can't be converted into double");
    run::<String>(&mut c, &["SET", "s", "str"]);
    run::<i64>(&mut c, &["HSET", "h", "a", "1"]);
    for key in ["s", "h"] {
        assert_eq!(fail(&mut c, &["SORT", key]), "WRONGTYPE Operation against a key holding the wrong kind of value");
    }
    assert_eq!(fail(&mut c, &["SORT"]), "ERR wrong number of arguments for 'sort' command");
}

#[test]
fn sort_with_patterns_runs_inside_a_transaction() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["RPUSH", "l", "2", "1"]);
    run::<String>(&mut c, &["MSET", "w_1", "9", "w_2", "1"]);
    run::<String>(&mut c, &["MULTI"]);
    run::<String>(&mut c, &["SET", "w_1", "0"]);
    run::<String>(&mut c, &["SORT", "l", "BY", "w_*", "GET", "w_*", "STORE", "out"]);
    run::<String>(&mut c, &["LRANGE", "out", "0", "-1"]);
    let replies: (String, i64, Vec<String>) = run(&mut c, &["EXEC"]);
    assert_eq!(replies, ("OK".to_owned(), 2, vec!["0".to_owned(), "1".to_owned()]));
}

#[test]
fn weights_are_read_as_strtod_reads_them() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["RPUSH", "l", "1", "2"]);
    run::<()>(&mut c, &["MSET", "w_1", "0x5", "w_2", " 3"]);
    // Hex and a leading space are fine with strtod.
    assert_eq!(strings(&mut c, &["SORT", "l", "BY", "w_*"]), ["2", "1"]);
    // Anything after the number, or a range error (a subnormal result is one), is not.
    for weight in ["5 ", "1e400", "1e-310", "nan"] {
        run::<()>(&mut c, &["SET", "w_1", weight]);
        assert_eq!(
            fail(&mut c, &["SORT", "l", "BY", "w_*"]),
            "ERR One or more scores can't be converted into double",
            "{weight:?}"
        );
    }
}
