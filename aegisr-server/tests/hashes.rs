//! The hash commands through a real client, checked against Redis 7's documented replies
//! and errors: HSET HSETNX HGET HMGET HMSET HGETALL HDEL HEXISTS HLEN HKEYS HVALS HSTRLEN
//! HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, RESP3 shapes, WRONGTYPE, and the listpack /
//! hashtable conversion.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};

use common::{TestServer, fail, run, set};
use redis::{Connection, Value};

const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn encoding(con: &mut Connection, key: &str) -> String {
    run(con, &["OBJECT", "ENCODING", key])
}

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

#[test]
fn set_get_and_delete_fields() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<i64>(&mut con, &["HSET", "h", "a", "1", "b", "2", "a", "3"]), 2);
    assert_eq!(run::<i64>(&mut con, &["HSET", "h", "a", "4"]), 0);
    assert_eq!(run::<Option<String>>(&mut con, &["HGET", "h", "a"]).as_deref(), Some("4"));
    assert_eq!(run::<Option<String>>(&mut con, &["HGET", "h", "zz"]), None);
    assert_eq!(run::<Option<String>>(&mut con, &["HGET", "nokey", "a"]), None);
    assert_eq!(fail(&mut con, &["HSET", "h", "a", "1", "b"]), "ERR wrong number of arguments for 'hset' command");
    assert_eq!(fail(&mut con, &["HMSET", "h", "a", "1", "b"]), "ERR wrong number of arguments for 'hmset' command");
    assert_eq!(run::<String>(&mut con, &["HMSET", "h", "c", "5", "d", "6"]), "OK");
    assert_eq!(run::<i64>(&mut con, &["HSETNX", "h", "c", "9"]), 0);
    assert_eq!(run::<i64>(&mut con, &["HSETNX", "h", "e", "9"]), 1);
    assert_eq!(run::<i64>(&mut con, &["HSETNX", "new", "f", "v"]), 1);
    assert_eq!(
        run::<Vec<Option<String>>>(&mut con, &["HMGET", "h", "a", "zz", "e"]),
        [Some("4".into()), None, Some("9".into())]
    );
    assert_eq!(run::<Vec<Option<String>>>(&mut con, &["HMGET", "nokey", "a", "b"]), [None, None]);
    // A listpack hash keeps insertion order.
    assert_eq!(run::<Vec<String>>(&mut con, &["HKEYS", "h"]), ["a", "b", "c", "d", "e"]);
    assert_eq!(run::<Vec<String>>(&mut con, &["HVALS", "h"]), ["4", "2", "5", "6", "9"]);
    assert_eq!(run::<Vec<String>>(&mut con, &["HGETALL", "h"]), ["a", "4", "b", "2", "c", "5", "d", "6", "e", "9"]);
    assert_eq!(run::<Vec<String>>(&mut con, &["HGETALL", "nokey"]), Vec::<String>::new());
    assert_eq!(run::<Vec<String>>(&mut con, &["HKEYS", "nokey"]), Vec::<String>::new());
    assert_eq!(run::<Vec<String>>(&mut con, &["HVALS", "nokey"]), Vec::<String>::new());
    assert_eq!(run::<i64>(&mut con, &["HLEN", "h"]), 5);
    assert_eq!(run::<i64>(&mut con, &["HLEN", "nokey"]), 0);
    assert_eq!(run::<i64>(&mut con, &["HEXISTS", "h", "b"]), 1);
    assert_eq!(run::<i64>(&mut con, &["HEXISTS", "h", "zz"]), 0);
    assert_eq!(run::<i64>(&mut con, &["HEXISTS", "nokey", "b"]), 0);
    run::<i64>(&mut con, &["HSET", "h", "long", "hello world"]);
    assert_eq!(run::<i64>(&mut con, &["HSTRLEN", "h", "long"]), 11);
    assert_eq!(run::<i64>(&mut con, &["HSTRLEN", "h", "zz"]), 0);
    assert_eq!(run::<i64>(&mut con, &["HSTRLEN", "nokey", "zz"]), 0);
    assert_eq!(run::<i64>(&mut con, &["HDEL", "h", "a", "zz", "a", "b"]), 2);
    assert_eq!(run::<i64>(&mut con, &["HDEL", "nokey", "a"]), 0);
    assert_eq!(run::<Vec<String>>(&mut con, &["HKEYS", "h"]), ["c", "d", "e", "long"]);
    assert_eq!(run::<i64>(&mut con, &["HDEL", "h", "c", "d", "e", "long"]), 4);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "h"]), 0, "an emptied hash is deleted");
    // Binary-safe fields and values.
    let (field, value) = (b"f\x00\r\n".to_vec(), b"\xff\x00v".to_vec());
    let _: i64 = redis::cmd("HSET").arg("bin").arg(&field).arg(&value).query(&mut con).unwrap();
    let got: Vec<u8> = redis::cmd("HGET").arg("bin").arg(&field).query(&mut con).unwrap();
    assert_eq!(got, value);
}

#[test]
fn counters() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<i64>(&mut con, &["HINCRBY", "h", "n", "5"]), 5);
    assert_eq!(run::<i64>(&mut con, &["HINCRBY", "h", "n", "-7"]), -2);
    assert_eq!(fail(&mut con, &["HINCRBY", "h", "n", "x"]), NOT_INT);
    run::<i64>(&mut con, &["HSET", "h", "s", "abc", "sp", " 1", "big", "9223372036854775800"]);
    assert_eq!(fail(&mut con, &["HINCRBY", "h", "s", "1"]), "ERR hash value is not an integer");
    assert_eq!(fail(&mut con, &["HINCRBY", "h", "sp", "1"]), "ERR hash value is not an integer");
    assert_eq!(fail(&mut con, &["HINCRBY", "h", "big", "100"]), "ERR increment or decrement would overflow");
    assert_eq!(
        fail(&mut con, &["HINCRBY", "h", "n", "-9223372036854775807"]),
        "ERR increment or decrement would overflow"
    );
    // A failed increment on a missing key creates nothing.
    assert_eq!(fail(&mut con, &["HINCRBYFLOAT", "nokey", "f", "x"]), "ERR value is not a valid float");
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "nokey"]), 0);

    assert_eq!(run::<String>(&mut con, &["HINCRBYFLOAT", "h", "f", "10.5"]), "10.5");
    assert_eq!(run::<String>(&mut con, &["HINCRBYFLOAT", "h", "f", "0.1"]), "10.6");
    assert_eq!(run::<String>(&mut con, &["HINCRBYFLOAT", "h", "f", "-0.6"]), "10");
    assert_eq!(run::<String>(&mut con, &["HINCRBYFLOAT", "h", "n", "2.5"]), "0.5");
    run::<i64>(&mut con, &["HSET", "h", "e", "5.0e3", "inf", "inf"]);
    assert_eq!(run::<String>(&mut con, &["HINCRBYFLOAT", "h", "e", "200"]), "5200");
    assert_eq!(run::<i64>(&mut con, &["HINCRBY", "h", "e", "1"]), 5201);
    assert_eq!(fail(&mut con, &["HINCRBYFLOAT", "h", "s", "1"]), "ERR hash value is not a float");
    assert_eq!(fail(&mut con, &["HINCRBYFLOAT", "h", "sp", "1"]), "ERR hash value is not a float");
    assert_eq!(fail(&mut con, &["HINCRBYFLOAT", "h", "f", "x"]), "ERR value is not a valid float");
    assert_eq!(fail(&mut con, &["HINCRBYFLOAT", "h", "f", "nan"]), "ERR value is not a valid float");
    assert_eq!(fail(&mut con, &["HINCRBYFLOAT", "h", "f", "inf"]), "ERR value is NaN or Infinity");
    assert_eq!(fail(&mut con, &["HINCRBYFLOAT", "h", "f", "-inf"]), "ERR value is NaN or Infinity");
    assert_eq!(fail(&mut con, &["HINCRBYFLOAT", "h", "inf", "1"]), "ERR increment would produce NaN or Infinity");
    assert_eq!(run::<Option<String>>(&mut con, &["HGET", "h", "f"]).as_deref(), Some("10"));
    // Long double arithmetic, as INCRBYFLOAT: no "1e-17" left by 1/41 - 1/41, and 1e400 is
    // a number.
    assert_eq!(run::<String>(&mut con, &["HINCRBYFLOAT", "h", "z", "0.024390243902439025"]), "0.02439024390243902");
    assert_eq!(run::<String>(&mut con, &["HINCRBYFLOAT", "h", "z", "-0.024390243902439025"]), "0");
    let big = run::<String>(&mut con, &["HINCRBYFLOAT", "h", "big", "1e400"]);
    assert!(big.len() == 401 && big.starts_with("10000000000000000000281880683947586514"), "{big}");
    assert_eq!(fail(&mut con, &["HINCRBYFLOAT", "h", "f", "1e5000"]), "ERR value is not a valid float");
    // In RESP3 HINCRBYFLOAT still replies a bulk string.
    let mut c3 = server.client_resp3().get_connection().unwrap();
    assert_eq!(run::<Value>(&mut c3, &["HINCRBYFLOAT", "h", "f", "1"]), bulk("11"));
}

#[test]
fn hrandfield() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<Option<String>>(&mut con, &["HRANDFIELD", "nokey"]), None);
    assert_eq!(run::<Vec<String>>(&mut con, &["HRANDFIELD", "nokey", "2"]), Vec::<String>::new());
    assert_eq!(run::<Vec<String>>(&mut con, &["HRANDFIELD", "nokey", "-2", "WITHVALUES"]), Vec::<String>::new());
    run::<i64>(&mut con, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    let fields: HashSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    let one: String = run(&mut con, &["HRANDFIELD", "h"]);
    assert!(fields.contains(&one));
    assert_eq!(run::<Vec<String>>(&mut con, &["HRANDFIELD", "h", "0"]), Vec::<String>::new());
    // A positive count: distinct fields, at most the whole hash.
    let all: Vec<String> = run(&mut con, &["HRANDFIELD", "h", "10"]);
    assert_eq!(all.iter().cloned().collect::<HashSet<_>>(), fields);
    assert_eq!(all.len(), 3);
    for _ in 0..20 {
        let two: Vec<String> = run(&mut con, &["HRANDFIELD", "h", "2"]);
        assert_eq!(two.len(), 2);
        assert_ne!(two[0], two[1]);
        assert!(two.iter().all(|f| fields.contains(f)));
    }
    // A negative count: exactly that many, repeats allowed.
    let many: Vec<String> = run(&mut con, &["HRANDFIELD", "h", "-20"]);
    assert_eq!(many.len(), 20);
    assert!(many.iter().all(|f| fields.contains(f)));
    let pairs: Vec<String> = run(&mut con, &["HRANDFIELD", "h", "-5", "WITHVALUES"]);
    assert_eq!(pairs.len(), 10);
    for pair in pairs.chunks(2) {
        assert_eq!(pair[1], (pair[0].as_bytes()[0] - b'a' + 1).to_string());
    }
    assert_eq!(run::<Vec<String>>(&mut con, &["HRANDFIELD", "h", "2", "withvalues"]).len(), 4);
    assert_eq!(fail(&mut con, &["HRANDFIELD", "h", "x"]), NOT_INT);
    assert_eq!(fail(&mut con, &["HRANDFIELD", "h", "1", "FOO"]), SYNTAX);
    assert_eq!(fail(&mut con, &["HRANDFIELD", "h", "1", "WITHVALUES", "x"]), SYNTAX);
    assert_eq!(
        fail(&mut con, &["HRANDFIELD", "h", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(fail(&mut con, &["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"]), "ERR value is out of range");
    // RESP3: WITHVALUES pairs are arrays of two.
    let mut c3 = server.client_resp3().get_connection().unwrap();
    let Value::Array(items) = run::<Value>(&mut c3, &["HRANDFIELD", "h", "-3", "WITHVALUES"]) else { panic!() };
    assert_eq!(items.len(), 3);
    for item in items {
        let Value::Array(pair) = item else { panic!("{item:?}") };
        assert_eq!(pair.len(), 2);
    }
    assert_eq!(run::<Value>(&mut c3, &["HRANDFIELD", "nokey"]), Value::Nil);
}

#[test]
fn resp3_hgetall_is_a_map() {
    let server = TestServer::start();
    let mut c3 = server.client_resp3().get_connection().unwrap();
    run::<i64>(&mut c3, &["HSET", "h", "a", "1", "b", "2"]);
    assert_eq!(
        run::<Value>(&mut c3, &["HGETALL", "h"]),
        Value::Map(vec![(bulk("a"), bulk("1")), (bulk("b"), bulk("2"))])
    );
    assert_eq!(run::<Value>(&mut c3, &["HGETALL", "nokey"]), Value::Map(vec![]));
    assert_eq!(run::<Value>(&mut c3, &["HGET", "h", "zz"]), Value::Nil);
    assert_eq!(run::<Value>(&mut c3, &["HMGET", "h", "zz"]), Value::Array(vec![Value::Nil]));
    assert_eq!(run::<Value>(&mut c3, &["HKEYS", "h"]), Value::Array(vec![bulk("a"), bulk("b")]));
}

/// Runs a full HSCAN and returns every (field, value) it produced, and how many calls.
fn full_scan(con: &mut Connection, key: &str, extra: &[&str]) -> (Vec<(String, String)>, usize) {
    let mut cursor = "0".to_owned();
    let mut found = Vec::new();
    let mut calls = 0;
    loop {
        let mut args = vec!["HSCAN", key, &cursor];
        args.extend_from_slice(extra);
        let (next, items): (String, Vec<String>) = run(con, &args);
        calls += 1;
        found.extend(items.chunks(2).map(|p| (p[0].clone(), p[1].clone())));
        if next == "0" {
            return (found, calls);
        }
        cursor = next;
        assert!(calls < 10_000, "scan does not end");
    }
}

#[test]
fn hscan() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<(String, Vec<String>)>(&mut con, &["HSCAN", "nokey", "0"]), ("0".into(), vec![]));
    // Options are not looked at for a missing key, as in Redis.
    assert_eq!(run::<(String, Vec<String>)>(&mut con, &["HSCAN", "nokey", "0", "FOO"]), ("0".into(), vec![]));
    assert_eq!(fail(&mut con, &["HSCAN", "nokey", "x"]), "ERR invalid cursor");
    run::<i64>(&mut con, &["HSET", "small", "a1", "1", "b1", "2", "a2", "3"]);
    // A listpack hash comes back whole in one call.
    let (next, items): (String, Vec<String>) = run(&mut con, &["HSCAN", "small", "0", "COUNT", "1"]);
    assert_eq!((next.as_str(), items.len()), ("0", 6));
    let (_, items): (String, Vec<String>) = run(&mut con, &["HSCAN", "small", "0", "MATCH", "a*"]);
    assert_eq!(items, ["a1", "1", "a2", "3"]);
    assert_eq!(fail(&mut con, &["HSCAN", "small", "0", "COUNT", "0"]), SYNTAX);
    assert_eq!(fail(&mut con, &["HSCAN", "small", "0", "COUNT", "x"]), NOT_INT);
    assert_eq!(fail(&mut con, &["HSCAN", "small", "0", "COUNT"]), SYNTAX);
    assert_eq!(fail(&mut con, &["HSCAN", "small", "0", "NOVALUES"]), SYNTAX);
    assert_eq!(fail(&mut con, &["HSCAN", "small", "x"]), "ERR invalid cursor");

    // A hashtable is walked in steps and every field comes back.
    let mut args = vec!["HSET".to_owned(), "big".to_owned()];
    for i in 0..600 {
        args.push(format!("f{i}"));
        args.push(format!("v{i}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(run::<i64>(&mut con, &args), 600);
    assert_eq!(encoding(&mut con, "big"), "hashtable");
    let (found, calls) = full_scan(&mut con, "big", &["COUNT", "20"]);
    assert!(calls > 10, "walked in steps ({calls} calls)");
    let map: HashMap<String, String> = found.into_iter().collect();
    assert_eq!(map.len(), 600);
    assert!(map.iter().all(|(f, v)| f[1..] == v[1..]));
    let (found, _) = full_scan(&mut con, "big", &["MATCH", "f1*"]);
    assert_eq!(found.len(), 111);
    // Fields deleted during a scan do not hide the others.
    let mut cursor = "0".to_owned();
    let mut seen = HashSet::new();
    let mut i = 0;
    loop {
        let (next, items): (String, Vec<String>) = run(&mut con, &["HSCAN", "big", &cursor, "COUNT", "7"]);
        seen.extend(items.chunks(2).map(|p| p[0].clone()));
        run::<i64>(&mut con, &["HDEL", "big", &format!("f{}", i * 2)]);
        i += 1;
        if next == "0" {
            break;
        }
        cursor = next;
    }
    for j in 0..600 {
        let field = format!("f{j}");
        if j % 2 == 1 || j / 2 >= i {
            assert!(seen.contains(&field), "{field} missed");
        }
    }
}

#[test]
fn wrong_type_on_every_command() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    set(&mut con, "s", "x");
    let cases: &[&[&str]] = &[
        &["HSET", "s", "a", "1"],
        &["HSETNX", "s", "a", "1"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HMSET", "s", "a", "1"],
        &["HGETALL", "s"],
        &["HDEL", "s", "a"],
        &["HEXISTS", "s", "a"],
        &["HLEN", "s"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HSTRLEN", "s", "a"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "1", "WITHVALUES"],
        &["HSCAN", "s", "0"],
        &["HSCAN", "s", "0", "FOO"],
    ];
    for args in cases {
        assert_eq!(fail(&mut con, args), WRONGTYPE, "{args:?}");
    }
    // Argument errors Redis checks before the key.
    assert_eq!(fail(&mut con, &["HINCRBY", "s", "a", "x"]), NOT_INT);
    assert_eq!(fail(&mut con, &["HINCRBYFLOAT", "s", "a", "x"]), "ERR value is not a valid float");
    assert_eq!(fail(&mut con, &["HRANDFIELD", "s", "x"]), NOT_INT);
    assert_eq!(fail(&mut con, &["HSCAN", "s", "x"]), "ERR invalid cursor");
    assert_eq!(fail(&mut con, &["HSET", "s", "a"]), "ERR wrong number of arguments for 'hset' command");
    run::<i64>(&mut con, &["HSET", "h", "a", "1"]);
    assert_eq!(run::<String>(&mut con, &["TYPE", "h"]), "hash");
    assert_eq!(fail(&mut con, &["LLEN", "h"]), WRONGTYPE);
}

#[test]
fn encoding_follows_the_listpack_limits() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<String>(&mut con, &["CONFIG", "SET", "hash-max-listpack-entries", "3"]);
    run::<String>(&mut con, &["CONFIG", "SET", "hash-max-listpack-value", "5"]);
    run::<i64>(&mut con, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(encoding(&mut con, "h"), "listpack");
    run::<i64>(&mut con, &["HSET", "h", "d", "4"]);
    assert_eq!(encoding(&mut con, "h"), "hashtable");
    // Never back, even when emptied to one field.
    run::<i64>(&mut con, &["HDEL", "h", "a", "b", "c"]);
    assert_eq!(encoding(&mut con, "h"), "hashtable");
    assert_eq!(run::<Vec<String>>(&mut con, &["HGETALL", "h"]), ["d", "4"]);
    run::<i64>(&mut con, &["HSET", "v", "a", "123456"]);
    assert_eq!(encoding(&mut con, "v"), "hashtable");
    run::<i64>(&mut con, &["HSET", "f", "abcdef", "1"]);
    assert_eq!(encoding(&mut con, "f"), "hashtable");
    run::<i64>(&mut con, &["HSETNX", "n", "a", "1"]);
    run::<i64>(&mut con, &["HSETNX", "n", "b", "123456"]);
    assert_eq!(encoding(&mut con, "n"), "hashtable");
    // HINCRBYFLOAT checks the new value's length too.
    run::<i64>(&mut con, &["HSET", "i", "a", "1"]);
    run::<String>(&mut con, &["HINCRBYFLOAT", "i", "a", "1.2345"]);
    assert_eq!(encoding(&mut con, "i"), "hashtable");
    run::<i64>(&mut con, &["HINCRBY", "j", "a", "1"]);
    assert_eq!(encoding(&mut con, "j"), "listpack");
    // Everything keeps working on a hashtable.
    run::<i64>(&mut con, &["HSET", "h", "x", "1", "y", "2", "z", "3"]);
    assert_eq!(run::<i64>(&mut con, &["HLEN", "h"]), 4);
    assert_eq!(run::<i64>(&mut con, &["HINCRBY", "h", "x", "9"]), 10);
    assert_eq!(run::<i64>(&mut con, &["HDEL", "h", "y", "nope"]), 1);
    let mut keys: Vec<String> = run(&mut con, &["HKEYS", "h"]);
    keys.sort();
    assert_eq!(keys, ["d", "x", "z"]);
    assert_eq!(run::<Vec<Option<String>>>(&mut con, &["HMGET", "h", "x", "y"]), [Some("10".into()), None]);
    run::<i64>(&mut con, &["HDEL", "h", "d", "x", "z"]);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "h"]), 0);
}

#[test]
fn command_info_matches_redis() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let cases: &[(&str, i64, &[&str])] = &[
        ("hset", -4, &["write", "denyoom", "fast"]),
        ("hget", 3, &["readonly", "fast"]),
        ("hgetall", 2, &["readonly"]),
        ("hdel", -3, &["write", "fast"]),
        ("hincrbyfloat", 4, &["write", "denyoom", "fast"]),
        ("hrandfield", -2, &["readonly"]),
        ("hscan", -3, &["readonly"]),
    ];
    for (name, arity, flags) in cases {
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
        assert_eq!((&entry[3], &entry[4], &entry[5]), (&Value::Int(1), &Value::Int(1), &Value::Int(1)));
    }
}

#[test]
fn hincrbyfloat_reads_hex_floats_as_strtold_does() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let _: i64 = run(&mut c, &["HSET", "h", "f", "0x10"]);
    assert_eq!(run::<String>(&mut c, &["HINCRBYFLOAT", "h", "f", "0x1"]), "17");
    assert_eq!(fail(&mut c, &["HINCRBYFLOAT", "h", "f", "1 "]), "ERR value is not a valid float");
}
