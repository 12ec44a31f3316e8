//! The generic keyspace commands, through a real client: DEL, UNLINK, EXISTS, TYPE, RENAME,
//! RENAMENX, COPY, MOVE, TOUCH, KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB and
//! OBJECT. Expected values come from Redis 7's documented behaviour.

// Test helpers outside #[test] functions unwrap too: a failed call is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{TestServer, fail, get, run, set, wait_until};
use redis::{Connection, Value};

fn q<T: redis::FromRedisValue>(c: &mut Connection, args: &[&str]) -> T {
    run(c, args)
}

fn err(c: &mut Connection, args: &[&str]) -> String {
    fail(c, args)
}

/// A connection with database `db` selected (the client sends SELECT on connect).
fn conn_db(server: &TestServer, db: u32) -> Connection {
    redis::Client::open(format!("redis://{}/{db}", server.resp)).unwrap().get_connection().unwrap()
}

#[test]
fn del_unlink_exists_and_type() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    for k in ["a", "b", "c", "d"] {
        set(&mut c, k, "v");
    }
    // EXISTS counts a key named twice twice.
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "a", "a", "b", "nokey"]), 3);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "nokey"]), 0);
    // DEL counts each removed key once.
    assert_eq!(q::<i64>(&mut c, &["DEL", "a", "nokey", "a"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "a"]), 0);
    assert_eq!(get(&mut c, "a"), None);
    assert_eq!(q::<i64>(&mut c, &["UNLINK", "b", "c", "nokey"]), 2);
    assert_eq!(q::<i64>(&mut c, &["DEL", "nokey"]), 0);
    assert_eq!(q::<String>(&mut c, &["TYPE", "d"]), "string");
    assert_eq!(q::<String>(&mut c, &["TYPE", "nokey"]), "none");
    set(&mut c, "n", "12");
    assert_eq!(q::<String>(&mut c, &["TYPE", "n"]), "string");
    assert_eq!(err(&mut c, &["DEL"]), "ERR wrong number of arguments for 'del' command");
    assert_eq!(err(&mut c, &["UNLINK"]), "ERR wrong number of arguments for 'unlink' command");
    assert_eq!(err(&mut c, &["EXISTS"]), "ERR wrong number of arguments for 'exists' command");
    assert_eq!(err(&mut c, &["TYPE", "a", "b"]), "ERR wrong number of arguments for 'type' command");
    // Many keys over many shards in one atomic DEL.
    let keys: Vec<String> = (0..500).map(|i| format!("many:{i}")).collect();
    for k in &keys {
        set(&mut c, k, "x");
    }
    let mut del = redis::cmd("DEL");
    for k in &keys {
        del.arg(k);
    }
    assert_eq!(del.query::<i64>(&mut c).unwrap(), 500);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 2);
}

#[test]
fn rename_and_renamenx() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    assert_eq!(err(&mut c, &["RENAME", "nokey", "x"]), "ERR no such key");
    assert_eq!(err(&mut c, &["RENAMENX", "nokey", "x"]), "ERR no such key");
    assert_eq!(err(&mut c, &["RENAME", "nokey", "nokey"]), "ERR no such key");
    set(&mut c, "a", "1");
    // Renaming a key to itself is fine (RENAME) or a no-op refusal (RENAMENX).
    assert_eq!(q::<String>(&mut c, &["RENAME", "a", "a"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["RENAMENX", "a", "a"]), 0);
    assert_eq!(get(&mut c, "a").as_deref(), Some("1"));
    // RENAME overwrites.
    set(&mut c, "b", "2");
    assert_eq!(q::<String>(&mut c, &["RENAME", "a", "b"]), "OK");
    assert_eq!(get(&mut c, "a"), None);
    assert_eq!(get(&mut c, "b").as_deref(), Some("1"));
    // RENAMENX refuses an existing target and leaves both alone.
    set(&mut c, "c", "3");
    assert_eq!(q::<i64>(&mut c, &["RENAMENX", "b", "c"]), 0);
    assert_eq!(get(&mut c, "b").as_deref(), Some("1"));
    assert_eq!(get(&mut c, "c").as_deref(), Some("3"));
    assert_eq!(q::<i64>(&mut c, &["RENAMENX", "b", "d"]), 1);
    assert_eq!(get(&mut c, "b"), None);
    assert_eq!(get(&mut c, "d").as_deref(), Some("1"));
    // Keys in different slots and shards.
    for i in 0..50 {
        let (from, to) = (format!("from:{i}"), format!("to:{i}"));
        set(&mut c, &from, &i.to_string());
        assert_eq!(q::<String>(&mut c, &["RENAME", &from, &to]), "OK");
        assert_eq!(get(&mut c, &to), Some(i.to_string()));
        assert_eq!(q::<i64>(&mut c, &["EXISTS", &from]), 0);
    }
    assert_eq!(err(&mut c, &["RENAME", "a"]), "ERR wrong number of arguments for 'rename' command");
}

#[test]
fn copy_within_and_across_databases() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let mut db1 = conn_db(&server, 1);
    assert_eq!(q::<i64>(&mut c, &["COPY", "nokey", "x"]), 0);
    set(&mut c, "a", "hello");
    assert_eq!(err(&mut c, &["COPY", "a", "a"]), "ERR source and destination objects are the same");
    assert_eq!(err(&mut c, &["COPY", "a", "a", "DB", "0"]), "ERR source and destination objects are the same");
    assert_eq!(q::<i64>(&mut c, &["COPY", "a", "b"]), 1);
    assert_eq!(get(&mut c, "b").as_deref(), Some("hello"));
    assert_eq!(get(&mut c, "a").as_deref(), Some("hello"));
    // The copy is independent of its source.
    set(&mut c, "a", "changed");
    assert_eq!(get(&mut c, "b").as_deref(), Some("hello"));
    // An existing target needs REPLACE.
    assert_eq!(q::<i64>(&mut c, &["COPY", "a", "b"]), 0);
    assert_eq!(get(&mut c, "b").as_deref(), Some("hello"));
    assert_eq!(q::<i64>(&mut c, &["COPY", "a", "b", "replace"]), 1);
    assert_eq!(get(&mut c, "b").as_deref(), Some("changed"));
    // Another database, same key name.
    assert_eq!(q::<i64>(&mut c, &["COPY", "a", "a", "DB", "1"]), 1);
    assert_eq!(get(&mut db1, "a").as_deref(), Some("changed"));
    assert_eq!(q::<i64>(&mut c, &["COPY", "a", "a", "DB", "1"]), 0);
    set(&mut c, "b", "bee");
    assert_eq!(q::<i64>(&mut c, &["COPY", "b", "a", "DB", "1", "REPLACE"]), 1);
    assert_eq!(get(&mut db1, "a").as_deref(), Some("bee"));
    assert_eq!(q::<i64>(&mut c, &["COPY", "a", "other", "REPLACE", "db", "1"]), 1);
    assert_eq!(get(&mut db1, "other").as_deref(), Some("changed"));
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "other"]), 0);
    // The TTL travels with the copy.
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "a", "1000"]), 1);
    assert_eq!(q::<i64>(&mut c, &["COPY", "a", "withttl"]), 1);
    let ttl: i64 = q(&mut c, &["TTL", "withttl"]);
    assert!((990..=1000).contains(&ttl), "{ttl}");
    assert_eq!(q::<i64>(&mut c, &["COPY", "a", "withttl", "DB", "1"]), 1);
    let ttl: i64 = q(&mut db1, &["TTL", "withttl"]);
    assert!((990..=1000).contains(&ttl), "{ttl}");
    // Replacing a target that has a TTL with a source that has none clears it.
    assert_eq!(q::<i64>(&mut c, &["COPY", "b", "withttl", "REPLACE"]), 1);
    assert_eq!(q::<i64>(&mut c, &["TTL", "withttl"]), -1);
    // Errors.
    assert_eq!(err(&mut c, &["COPY", "a", "b", "DB", "99"]), "ERR DB index is out of range");
    assert_eq!(err(&mut c, &["COPY", "a", "b", "DB", "-1"]), "ERR DB index is out of range");
    assert_eq!(err(&mut c, &["COPY", "a", "b", "DB", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(
        err(&mut c, &["COPY", "a", "b", "DB", "-2147483649"]),
        "ERR value is out of range, value must between -2147483648 and 2147483647"
    );
    assert_eq!(err(&mut c, &["COPY", "a", "b", "DB"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["COPY", "a", "b", "FOO"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["COPY", "a"]), "ERR wrong number of arguments for 'copy' command");
}

#[test]
fn move_between_databases() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let mut db1 = conn_db(&server, 1);
    set(&mut c, "k", "v");
    assert_eq!(q::<i64>(&mut c, &["PEXPIRE", "k", "100000"]), 1);
    assert_eq!(q::<i64>(&mut c, &["MOVE", "k", "1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "k"]), 0);
    assert_eq!(get(&mut db1, "k").as_deref(), Some("v"));
    // The deadline moves with the key.
    let pttl: i64 = q(&mut db1, &["PTTL", "k"]);
    assert!(pttl > 90_000 && pttl <= 100_000, "{pttl}");
    // Missing source, or a target that already exists: 0, nothing changes.
    assert_eq!(q::<i64>(&mut c, &["MOVE", "k", "1"]), 0);
    set(&mut c, "k", "mine");
    assert_eq!(q::<i64>(&mut c, &["MOVE", "k", "1"]), 0);
    assert_eq!(get(&mut c, "k").as_deref(), Some("mine"));
    assert_eq!(get(&mut db1, "k").as_deref(), Some("v"));
    // Back from database 1 to 0, through the other client.
    set(&mut db1, "back", "b");
    assert_eq!(q::<i64>(&mut db1, &["MOVE", "back", "0"]), 1);
    assert_eq!(get(&mut c, "back").as_deref(), Some("b"));
    assert_eq!(q::<i64>(&mut c, &["TTL", "back"]), -1);
    // Errors are checked before the key is looked at.
    assert_eq!(err(&mut c, &["MOVE", "k", "0"]), "ERR source and destination objects are the same");
    assert_eq!(err(&mut c, &["MOVE", "nokey", "0"]), "ERR source and destination objects are the same");
    assert_eq!(err(&mut c, &["MOVE", "k", "16"]), "ERR DB index is out of range");
    assert_eq!(err(&mut c, &["MOVE", "k", "-1"]), "ERR DB index is out of range");
    assert_eq!(err(&mut c, &["MOVE", "k", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(
        err(&mut c, &["MOVE", "k", "99999999999"]),
        "ERR value is out of range, value must between -2147483648 and 2147483647"
    );
    assert_eq!(err(&mut c, &["MOVE", "k", "99999999999999999999"]), "ERR value is not an integer or out of range");
    // SELECT then MOVE from the selected database.
    assert_eq!(q::<String>(&mut c, &["SELECT", "2"]), "OK");
    set(&mut c, "in2", "x");
    assert_eq!(q::<i64>(&mut c, &["MOVE", "in2", "1"]), 1);
    assert_eq!(get(&mut db1, "in2").as_deref(), Some("x"));
}

#[test]
fn touch_counts_and_refreshes() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    set(&mut c, "a", "1");
    set(&mut c, "b", "2");
    assert_eq!(q::<i64>(&mut c, &["TOUCH", "a", "b", "nokey"]), 2);
    assert_eq!(q::<i64>(&mut c, &["TOUCH", "a", "a"]), 2);
    assert_eq!(q::<i64>(&mut c, &["TOUCH", "nokey"]), 0);
    // OBJECT IDLETIME does not count as an access: it grows while we poll it...
    assert!(wait_until(Duration::from_secs(10), || q::<i64>(&mut c, &["OBJECT", "IDLETIME", "a"]) >= 2));
    // ...and TOUCH resets it (idle time has a one-second resolution, so 1 at a tick).
    assert_eq!(q::<i64>(&mut c, &["TOUCH", "a"]), 1);
    assert!(q::<i64>(&mut c, &["OBJECT", "IDLETIME", "a"]) <= 1);
    assert_eq!(err(&mut c, &["TOUCH"]), "ERR wrong number of arguments for 'touch' command");
}

#[test]
fn keys_patterns() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert!(q::<Vec<String>>(&mut c, &["KEYS", "*"]).is_empty());
    for k in ["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "other", "{tag}a", "{tag}b"] {
        set(&mut c, k, "v");
    }
    assert_eq!(sorted(q(&mut c, &["KEYS", "h?llo"])), ["h*llo", "hallo", "hello", "hxllo"]);
    assert_eq!(sorted(q(&mut c, &["KEYS", "h*llo"])), ["h*llo", "hallo", "heeeello", "hello", "hllo", "hxllo"]);
    assert_eq!(sorted(q(&mut c, &["KEYS", "h[ae]llo"])), ["hallo", "hello"]);
    assert_eq!(sorted(q(&mut c, &["KEYS", "h[^e]llo"])), ["h*llo", "hallo", "hxllo"]);
    assert_eq!(sorted(q(&mut c, &["KEYS", "h[a-b]llo"])), ["hallo"]);
    assert_eq!(sorted(q(&mut c, &["KEYS", "h\\*llo"])), ["h*llo"]);
    assert_eq!(sorted(q(&mut c, &["KEYS", "{tag}*"])), ["{tag}a", "{tag}b"]);
    assert_eq!(q::<Vec<String>>(&mut c, &["KEYS", "*"]).len(), 9);
    assert!(q::<Vec<String>>(&mut c, &["KEYS", "nomatch*"]).is_empty());
    // Case-sensitive.
    assert!(q::<Vec<String>>(&mut c, &["KEYS", "HELLO"]).is_empty());
    // Only the selected database.
    let mut db1 = conn_db(&server, 1);
    assert!(q::<Vec<String>>(&mut db1, &["KEYS", "*"]).is_empty());
    assert_eq!(err(&mut c, &["KEYS"]), "ERR wrong number of arguments for 'keys' command");
}

/// Runs a SCAN to completion with extra `opts`; returns every key seen, checking each reply
/// has the documented shape (a string cursor, then an array of keys).
fn full_scan(c: &mut Connection, opts: &[&str]) -> (HashSet<String>, usize) {
    let mut seen = HashSet::new();
    let mut cursor = "0".to_owned();
    let mut calls = 0;
    loop {
        let mut cmd = redis::cmd("SCAN");
        cmd.arg(&cursor);
        for o in opts {
            cmd.arg(*o);
        }
        let (next, keys): (String, Vec<String>) = cmd.query(c).unwrap();
        seen.extend(keys);
        calls += 1;
        assert!(calls < 100_000, "scan does not terminate");
        if next == "0" {
            return (seen, calls);
        }
        assert!(next.parse::<u64>().is_ok(), "cursor {next}");
        cursor = next;
    }
}

#[test]
fn scan_iterates_everything() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let (empty, _) = full_scan(&mut c, &[]);
    assert!(empty.is_empty());
    let mut pipe = redis::pipe();
    for i in 0..1000 {
        pipe.cmd("SET").arg(format!("key:{i}")).arg(i).ignore();
    }
    for i in 0..100 {
        pipe.cmd("SET").arg(format!("other:{i}")).arg(i).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 1100);

    let all: HashSet<String> =
        (0..1000).map(|i| format!("key:{i}")).chain((0..100).map(|i| format!("other:{i}"))).collect();
    // Default COUNT, a small COUNT (many calls), a large COUNT (few calls).
    let (seen, _) = full_scan(&mut c, &[]);
    assert_eq!(seen, all);
    let (seen, small_calls) = full_scan(&mut c, &["COUNT", "7"]);
    assert_eq!(seen, all);
    let (seen, big_calls) = full_scan(&mut c, &["COUNT", "100000"]);
    assert_eq!(seen, all);
    assert!(small_calls > big_calls, "{small_calls} vs {big_calls}");

    // MATCH filters what is returned, not what is visited.
    let (seen, _) = full_scan(&mut c, &["MATCH", "key:1*", "COUNT", "50"]);
    let expected: HashSet<String> = all.iter().filter(|k| k.starts_with("key:1")).cloned().collect();
    assert_eq!(expected.len(), 111);
    assert_eq!(seen, expected);
    let (seen, _) = full_scan(&mut c, &["match", "other:*"]);
    assert_eq!(seen.len(), 100);
    let (seen, _) = full_scan(&mut c, &["MATCH", "*"]);
    assert_eq!(seen, all);
    let (seen, _) = full_scan(&mut c, &["MATCH", "nothing*", "COUNT", "200"]);
    assert!(seen.is_empty());

    // TYPE: every key is a string; other types match nothing but the scan still completes.
    let (seen, _) = full_scan(&mut c, &["TYPE", "string", "COUNT", "100"]);
    assert_eq!(seen, all);
    let (seen, _) = full_scan(&mut c, &["TYPE", "STRING", "MATCH", "other:*"]);
    assert_eq!(seen.len(), 100);
    let (seen, _) = full_scan(&mut c, &["TYPE", "list"]);
    assert!(seen.is_empty());
    let (seen, _) = full_scan(&mut c, &["TYPE", "nosuchtype"]);
    assert!(seen.is_empty());

    // Only the selected database.
    let mut db1 = conn_db(&server, 1);
    let (seen, _) = full_scan(&mut db1, &[]);
    assert!(seen.is_empty());

    // Errors.
    assert_eq!(err(&mut c, &["SCAN", "abc"]), "ERR invalid cursor");
    assert_eq!(err(&mut c, &["SCAN", " 1"]), "ERR invalid cursor");
    assert_eq!(err(&mut c, &["SCAN", "18446744073709551616"]), "ERR invalid cursor");
    assert_eq!(err(&mut c, &["SCAN", "abc", "COUNT", "0"]), "ERR invalid cursor");
    assert_eq!(err(&mut c, &["SCAN", "0", "COUNT", "0"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SCAN", "0", "COUNT", "-5"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SCAN", "0", "COUNT", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(err(&mut c, &["SCAN", "0", "MATCH"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SCAN", "0", "FOO", "bar"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SCAN"]), "ERR wrong number of arguments for 'scan' command");
    // Any unsigned cursor is accepted (a stale or made-up one just ends somewhere).
    let (_, _): (String, Vec<String>) = q(&mut c, &["SCAN", "18446744073709551615"]);
}

#[test]
fn randomkey_and_dbsize() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    assert_eq!(q::<Option<String>>(&mut c, &["RANDOMKEY"]), None);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    set(&mut c, "only", "1");
    assert_eq!(q::<Option<String>>(&mut c, &["RANDOMKEY"]).as_deref(), Some("only"));
    let names: HashSet<String> = (0..20).map(|i| format!("r{i}")).collect();
    for k in &names {
        set(&mut c, k, "x");
    }
    assert_eq!(q::<i64>(&mut c, &["DEL", "only"]), 1);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 20);
    let mut picked = HashSet::new();
    for _ in 0..200 {
        let k: String = q(&mut c, &["RANDOMKEY"]);
        assert!(names.contains(&k), "{k}");
        picked.insert(k);
    }
    // Random, not always the same key.
    assert!(picked.len() > 1);
    let mut db1 = conn_db(&server, 1);
    assert_eq!(q::<i64>(&mut db1, &["DBSIZE"]), 0);
    assert_eq!(q::<Option<String>>(&mut db1, &["RANDOMKEY"]), None);
    assert_eq!(err(&mut c, &["DBSIZE", "x"]), "ERR wrong number of arguments for 'dbsize' command");
    assert_eq!(err(&mut c, &["RANDOMKEY", "x"]), "ERR wrong number of arguments for 'randomkey' command");
}

#[test]
fn flushdb_flushall_and_swapdb() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let mut db1 = conn_db(&server, 1);
    let fill = |c: &mut Connection, prefix: &str, n: usize| {
        for i in 0..n {
            set(c, &format!("{prefix}{i}"), "v");
        }
    };
    fill(&mut c, "zero:", 30);
    fill(&mut db1, "one:", 20);
    // SWAPDB: every client sees the other database's data under its own index.
    assert_eq!(q::<String>(&mut c, &["SWAPDB", "0", "1"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 20);
    assert_eq!(q::<i64>(&mut db1, &["DBSIZE"]), 30);
    assert_eq!(get(&mut c, "one:0").as_deref(), Some("v"));
    assert_eq!(get(&mut db1, "zero:0").as_deref(), Some("v"));
    assert_eq!(q::<String>(&mut c, &["SWAPDB", "1", "0"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 30);
    assert_eq!(q::<String>(&mut c, &["SWAPDB", "0", "0"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 30);
    assert_eq!(err(&mut c, &["SWAPDB", "x", "1"]), "ERR invalid first DB index");
    assert_eq!(err(&mut c, &["SWAPDB", "0", "y"]), "ERR invalid second DB index");
    assert_eq!(err(&mut c, &["SWAPDB", "2147483648", "0"]), "ERR invalid first DB index");
    assert_eq!(err(&mut c, &["SWAPDB", "0", "16"]), "ERR DB index is out of range");
    assert_eq!(err(&mut c, &["SWAPDB", "-1", "0"]), "ERR DB index is out of range");
    assert_eq!(err(&mut c, &["SWAPDB", "0"]), "ERR wrong number of arguments for 'swapdb' command");

    // FLUSHDB empties only the selected database.
    assert_eq!(err(&mut c, &["FLUSHDB", "foo"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["FLUSHDB", "ASYNC", "SYNC"]), "ERR syntax error");
    assert_eq!(q::<String>(&mut c, &["FLUSHDB"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    assert_eq!(q::<i64>(&mut db1, &["DBSIZE"]), 20);
    fill(&mut c, "zero:", 10);
    assert_eq!(q::<String>(&mut c, &["FLUSHDB", "async"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    fill(&mut c, "zero:", 10);
    assert_eq!(q::<String>(&mut c, &["FLUSHDB", "SYNC"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    assert_eq!(get(&mut c, "zero:0"), None);

    // FLUSHALL empties every database, with or without lazy freeing configured.
    fill(&mut c, "zero:", 10);
    assert_eq!(err(&mut c, &["FLUSHALL", "foo"]), "ERR syntax error");
    assert_eq!(q::<String>(&mut c, &["FLUSHALL"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    assert_eq!(q::<i64>(&mut db1, &["DBSIZE"]), 0);
    let _: () = redis::cmd("CONFIG").arg("SET").arg("lazyfree-lazy-user-flush").arg("yes").query(&mut c).unwrap();
    fill(&mut c, "zero:", 10);
    fill(&mut db1, "one:", 10);
    assert_eq!(q::<String>(&mut c, &["FLUSHALL"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    assert_eq!(q::<i64>(&mut db1, &["DBSIZE"]), 0);
    fill(&mut db1, "one:", 10);
    assert_eq!(q::<String>(&mut c, &["FLUSHALL", "ASYNC"]), "OK");
    assert_eq!(q::<i64>(&mut db1, &["DBSIZE"]), 0);
    fill(&mut db1, "one:", 10);
    assert_eq!(q::<String>(&mut db1, &["FLUSHDB"]), "OK");
    assert_eq!(q::<i64>(&mut db1, &["DBSIZE"]), 0);
    // The server keeps working on flushed databases.
    set(&mut c, "after", "1");
    assert_eq!(get(&mut c, "after").as_deref(), Some("1"));
}

#[test]
fn object_subcommands() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    set(&mut c, "int", "12345");
    set(&mut c, "small", "7");
    set(&mut c, "short", "hello");
    set(&mut c, "long", &"x".repeat(100));
    assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", "int"]), "int");
    assert_eq!(q::<String>(&mut c, &["object", "encoding", "short"]), "embstr");
    assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", "long"]), "raw");
    assert_eq!(q::<Option<String>>(&mut c, &["OBJECT", "ENCODING", "nokey"]), None);
    // Shared small integers report Redis's "shared" refcount; other values 1.
    assert_eq!(q::<i64>(&mut c, &["OBJECT", "REFCOUNT", "small"]), 2_147_483_647);
    assert_eq!(q::<i64>(&mut c, &["OBJECT", "REFCOUNT", "int"]), 1);
    assert_eq!(q::<i64>(&mut c, &["OBJECT", "REFCOUNT", "short"]), 1);
    assert_eq!(q::<Option<i64>>(&mut c, &["OBJECT", "REFCOUNT", "nokey"]), None);
    // One-second resolution: a second boundary may pass between SET and OBJECT.
    assert!(q::<i64>(&mut c, &["OBJECT", "IDLETIME", "short"]) <= 1);
    assert_eq!(q::<Option<i64>>(&mut c, &["OBJECT", "IDLETIME", "nokey"]), None);
    assert_eq!(
        err(&mut c, &["OBJECT", "FREQ", "short"]),
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when \
         switching between policies at runtime LRU and LFU data will take some time to adjust."
    );
    assert_eq!(q::<Option<i64>>(&mut c, &["OBJECT", "FREQ", "nokey"]), None);
    let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory-policy").arg("allkeys-lfu").query(&mut c).unwrap();
    let freq: i64 = q(&mut c, &["OBJECT", "FREQ", "short"]);
    assert!((0..=255).contains(&freq), "{freq}");
    assert_eq!(
        err(&mut c, &["OBJECT", "IDLETIME", "short"]),
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when \
         switching between policies at runtime LRU and LFU data will take some time to adjust."
    );
    let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory-policy").arg("volatile-lru").query(&mut c).unwrap();
    assert!(q::<i64>(&mut c, &["OBJECT", "IDLETIME", "short"]) <= 1);

    // HELP lists every subcommand.
    let help: Vec<String> = q(&mut c, &["OBJECT", "HELP"]);
    assert!(help[0].starts_with("OBJECT <subcommand>"), "{help:?}");
    for sub in ["ENCODING", "FREQ", "IDLETIME", "REFCOUNT", "HELP"] {
        assert!(help.iter().any(|l| l.starts_with(sub)), "{sub} missing from {help:?}");
    }
    assert_eq!(err(&mut c, &["OBJECT", "foo"]), "ERR unknown subcommand 'foo'. Try OBJECT HELP.");
    assert_eq!(err(&mut c, &["OBJECT"]), "ERR wrong number of arguments for 'object' command");
    assert_eq!(err(&mut c, &["OBJECT", "ENCODING"]), "ERR wrong number of arguments for 'object|encoding' command");
    assert_eq!(
        err(&mut c, &["OBJECT", "ENCODING", "a", "b"]),
        "ERR wrong number of arguments for 'object|encoding' command"
    );
}

#[test]
fn object_on_a_missing_key_is_a_resp3_null() {
    let server = TestServer::start();
    let mut c = server.client_resp3().get_connection().unwrap();
    let v: Value = redis::cmd("OBJECT").arg("ENCODING").arg("nokey").query(&mut c).unwrap();
    assert_eq!(v, Value::Nil);
    let v: Value = redis::cmd("RANDOMKEY").query(&mut c).unwrap();
    assert_eq!(v, Value::Nil);
    let mut raw = server.raw();
    raw.command(&[b"HELLO", b"3"]);
    // Skip the HELLO map (read up to PING's reply); then the null must be RESP3's `_`.
    raw.command(&[b"PING"]);
    let mut seen = String::new();
    while !seen.ends_with("+PONG\r\n") {
        seen.push_str(&raw.read_line());
    }
    raw.command(&[b"OBJECT", b"ENCODING", b"nokey"]);
    assert_eq!(raw.read_line(), "_\r\n");
    let mut raw2 = server.raw();
    raw2.command(&[b"OBJECT", b"ENCODING", b"nokey"]);
    assert_eq!(raw2.read_line(), "$-1\r\n");
    raw2.command(&[b"TYPE", b"nokey"]);
    assert_eq!(raw2.read_line(), "+none\r\n");
}

#[test]
fn command_table_entries() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    // (name, arity, first key, last key, step) as Redis 7 declares them.
    let expected: &[(&str, i64, i64, i64, i64)] = &[
        ("del", -2, 1, -1, 1),
        ("unlink", -2, 1, -1, 1),
        ("exists", -2, 1, -1, 1),
        ("type", 2, 1, 1, 1),
        ("rename", 3, 1, 2, 1),
        ("renamenx", 3, 1, 2, 1),
        ("copy", -3, 1, 2, 1),
        ("move", 3, 1, 1, 1),
        ("touch", -2, 1, -1, 1),
        ("keys", 2, 0, 0, 0),
        ("scan", -2, 0, 0, 0),
        ("randomkey", 1, 0, 0, 0),
        ("dbsize", 1, 0, 0, 0),
        ("flushdb", -1, 0, 0, 0),
        ("flushall", -1, 0, 0, 0),
        ("swapdb", 3, 0, 0, 0),
        ("expire", -3, 1, 1, 1),
        ("pexpire", -3, 1, 1, 1),
        ("expireat", -3, 1, 1, 1),
        ("pexpireat", -3, 1, 1, 1),
        ("expiretime", 2, 1, 1, 1),
        ("pexpiretime", 2, 1, 1, 1),
        ("ttl", 2, 1, 1, 1),
        ("pttl", 2, 1, 1, 1),
        ("persist", 2, 1, 1, 1),
        ("object", -2, 0, 0, 0),
    ];
    for &(name, arity, first, last, step) in expected {
        let info: Value = redis::cmd("COMMAND").arg("INFO").arg(name).query(&mut c).unwrap();
        let Value::Array(outer) = info else { panic!("{name}: {info:?}") };
        let Some(Value::Array(entry)) = outer.first() else { panic!("{name}: {outer:?}") };
        let ints: Vec<i64> = [1, 3, 4, 5]
            .iter()
            .map(|&i| match &entry[i] {
                Value::Int(n) => *n,
                other => panic!("{name}: {other:?}"),
            })
            .collect();
        assert_eq!(ints, vec![arity, first, last, step], "{name}");
    }
}
