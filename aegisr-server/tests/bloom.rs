//! The Bloom filter commands through a real client: BF.RESERVE BF.ADD BF.MADD BF.INSERT
//! BF.EXISTS BF.MEXISTS BF.INFO BF.CARD, with RedisBloom's replies and error texts (from its
//! documentation and its own test suite: sizes, sub-filter counts and BF.INFO figures below
//! are the ones RedisBloom reports for the same commands).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, fail, run, set};
use redis::{Connection, Value};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn madd(con: &mut Connection, key: &str, items: impl IntoIterator<Item = String>) -> Vec<i64> {
    let mut cmd = redis::cmd("BF.MADD");
    cmd.arg(key);
    for item in items {
        cmd.arg(item);
    }
    cmd.query(con).unwrap()
}

fn mexists(con: &mut Connection, key: &str, items: impl IntoIterator<Item = String>) -> Vec<i64> {
    let mut cmd = redis::cmd("BF.MEXISTS");
    cmd.arg(key);
    for item in items {
        cmd.arg(item);
    }
    cmd.query(con).unwrap()
}

/// BF.INFO in RESP2: the flat name/value list.
fn info(con: &mut Connection, key: &str) -> Vec<Value> {
    run(con, &["BF.INFO", key])
}

#[test]
fn add_exists_and_card() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<i64>(&mut con, &["BF.ADD", "bf", "foo"]), 1);
    assert_eq!(run::<i64>(&mut con, &["BF.ADD", "bf", "foo"]), 0);
    assert_eq!(run::<i64>(&mut con, &["BF.EXISTS", "bf", "foo"]), 1);
    assert_eq!(run::<i64>(&mut con, &["BF.EXISTS", "bf", "bar"]), 0);
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.MADD", "bf", "foo", "bar"]), [0, 1]);
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.MADD", "bf2", "foo", "bar", "baz"]), [1, 1, 1]);
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.MADD", "bf2", "foo", "new1", "bar"]), [0, 1, 0]);
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.MEXISTS", "bf2", "nonexist", "foo"]), [0, 1]);
    assert_eq!(run::<i64>(&mut con, &["BF.CARD", "bf2"]), 4);
    // A missing key: nothing exists, the cardinality is 0, and nothing is created.
    assert_eq!(run::<i64>(&mut con, &["BF.EXISTS", "nokey", "foo"]), 0);
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.MEXISTS", "nokey", "a", "b", "c"]), [0, 0, 0]);
    assert_eq!(run::<i64>(&mut con, &["BF.CARD", "nokey"]), 0);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "nokey"]), 0);
    // The type as RedisBloom names it; module values are "raw".
    assert_eq!(run::<String>(&mut con, &["TYPE", "bf"]), "MBbloom--");
    assert_eq!(run::<String>(&mut con, &["OBJECT", "ENCODING", "bf"]), "raw");
    // Arity.
    for args in [&["BF.ADD", "bf"][..], &["BF.ADD", "bf", "a", "b"], &["BF.EXISTS", "bf"], &["BF.MADD", "bf"]] {
        assert!(fail(&mut con, args).starts_with("ERR wrong number of arguments"), "{args:?}");
    }
    assert_eq!(fail(&mut con, &["BF.CARD"]), "ERR wrong number of arguments for 'bf.card' command");
}

#[test]
fn reserve_and_its_options() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<String>(&mut con, &["BF.RESERVE", "bf", "0.001", "100"]), "OK");
    assert_eq!(
        info(&mut con, "bf"),
        [
            Value::SimpleString("Capacity".into()),
            Value::Int(100),
            Value::SimpleString("Size".into()),
            Value::Int(296),
            Value::SimpleString("Number of filters".into()),
            Value::Int(1),
            Value::SimpleString("Number of items inserted".into()),
            Value::Int(0),
            Value::SimpleString("Expansion rate".into()),
            Value::Int(2),
        ]
    );
    assert_eq!(fail(&mut con, &["BF.RESERVE", "bf", "0.01", "1000"]), "ERR item exists");
    assert_eq!(run::<String>(&mut con, &["BF.RESERVE", "exp", "0.01", "4", "EXPANSION", "4"]), "OK");
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.INFO", "exp", "EXPANSION"]), [4]);
    assert_eq!(run::<String>(&mut con, &["BF.RESERVE", "ns", "0.01", "4", "nonscaling"]), "OK");
    assert_eq!(run::<Vec<Option<i64>>>(&mut con, &["BF.INFO", "ns", "expansion"]), [None]);
    // Bad input, with RedisBloom's texts.
    assert_eq!(fail(&mut con, &["BF.RESERVE", "x", "abc", "100"]), "ERR bad error rate");
    for rate in ["0", "1", "-0.5", "7.7"] {
        assert_eq!(fail(&mut con, &["BF.RESERVE", "x", rate, "100"]), "ERR (0 < error rate range < 1)", "{rate}");
    }
    assert_eq!(fail(&mut con, &["BF.RESERVE", "x", "0.01", "blah"]), "ERR bad capacity");
    assert_eq!(fail(&mut con, &["BF.RESERVE", "x", "0.01", "1.5"]), "ERR bad capacity");
    for capacity in ["0", "-1"] {
        assert_eq!(fail(&mut con, &["BF.RESERVE", "x", "0.01", capacity]), "ERR (capacity should be larger than 0)");
    }
    assert_eq!(fail(&mut con, &["BF.RESERVE", "x", "0.01", "100", "EXPANSION"]), "ERR no expansion");
    assert_eq!(fail(&mut con, &["BF.RESERVE", "x", "0.01", "100", "EXPANSION", "str"]), "ERR bad expansion");
    assert_eq!(
        fail(&mut con, &["BF.RESERVE", "x", "0.01", "100", "EXPANSION", "0"]),
        "ERR expansion should be greater or equal to 1"
    );
    assert_eq!(
        fail(&mut con, &["BF.RESERVE", "x", "0.01", "100", "EXPANSION", "2", "NONSCALING"]),
        "Nonscaling filters cannot expand"
    );
    assert!(fail(&mut con, &["BF.RESERVE", "x", "0.01"]).starts_with("ERR wrong number of arguments"));
    assert!(fail(&mut con, &["BF.RESERVE", "x", "0.01", "1", "a", "b", "c", "d"]).starts_with("ERR wrong number"));
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "x"]), 0);
    // The error text keeps RedisBloom's trailing space.
    let mut raw = server.raw();
    raw.expect(&["BF.RESERVE", "x", "2", "100"], "-ERR (0 < error rate range < 1) \r\n");
}

#[test]
fn huge_filters_are_refused_not_allocated() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let oom = "ERR Insufficient memory to create filter";
    assert_eq!(fail(&mut con, &["BF.RESERVE", "big", "0.0001", "1073741824"]), oom);
    assert_eq!(fail(&mut con, &["BF.RESERVE", "big", "1e-300", "100000000"]), oom);
    assert_eq!(fail(&mut con, &["BF.RESERVE", "big", "0.01", "9223372036854775807"]), oom);
    assert_eq!(fail(&mut con, &["BF.INSERT", "big", "CAPACITY", "9223372036854775807", "ITEMS", "a"]), oom);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "big"]), 0);
    // A filter that would outgrow the limit stops growing, with an error for that item.
    assert_eq!(run::<String>(&mut con, &["CONFIG", "SET", "proto-max-bulk-len", "1048576"]), "OK");
    assert_eq!(run::<String>(&mut con, &["BF.RESERVE", "grow", "0.01", "1", "EXPANSION", "1000000"]), "OK");
    assert_eq!(run::<i64>(&mut con, &["BF.ADD", "grow", "a"]), 1);
    assert_eq!(fail(&mut con, &["BF.ADD", "grow", "b"]), "ERR problem inserting into filter");
    assert_eq!(run::<i64>(&mut con, &["BF.CARD", "grow"]), 1);
}

#[test]
fn scaling_keeps_members_and_bounds_false_positives() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // RedisBloom's own figures: capacity 4 and 100 items make 23, 5 and 4 sub-filters for
    // expansions 1, 2 and 4.
    for (expansion, filters) in [("1", 23), ("2", 5), ("4", 4)] {
        let key = format!("exp{expansion}");
        run::<String>(&mut con, &["BF.RESERVE", &key, "0.01", "4", "EXPANSION", expansion]);
        for i in 0..100 {
            run::<i64>(&mut con, &["BF.ADD", &key, &i.to_string()]);
        }
        assert_eq!(run::<Vec<i64>>(&mut con, &["BF.INFO", &key, "FILTERS"]), [filters], "expansion {expansion}");
        assert!(mexists(&mut con, &key, (0..100).map(|i| i.to_string())).iter().all(|&f| f == 1));
    }
    // Far beyond the initial capacity, with the default filter.
    let members = 20_000;
    for chunk in (0..members).collect::<Vec<_>>().chunks(1000) {
        madd(&mut con, "big", chunk.iter().map(|i| format!("member:{i}")));
    }
    let filters: Vec<i64> = run(&mut con, &["BF.INFO", "big", "FILTERS"]);
    assert!(filters[0] >= 8, "{filters:?}");
    let capacity: Vec<i64> = run(&mut con, &["BF.INFO", "big", "CAPACITY"]);
    assert!(capacity[0] >= members, "{capacity:?}");
    // No false negatives, ever.
    assert!(mexists(&mut con, "big", (0..members).map(|i| format!("member:{i}"))).iter().all(|&f| f == 1));
    // False positives within about twice the requested 1% (the hash is fixed: deterministic).
    let probes = 10_000;
    let positives: i64 = mexists(&mut con, "big", (0..probes).map(|i| format!("other:{i}"))).iter().sum();
    assert!(positives <= probes / 50, "{positives} false positives in {probes}");
    let card: i64 = run(&mut con, &["BF.CARD", "big"]);
    assert!(card <= members && card > members - members / 50, "{card}");
}

#[test]
fn non_scaling_filters_fill_up() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<String>(&mut con, &["BF.RESERVE", "bf", "0.01", "3", "NONSCALING"]);
    for i in 0..3 {
        assert_eq!(run::<i64>(&mut con, &["BF.ADD", "bf", &i.to_string()]), 1);
    }
    assert_eq!(fail(&mut con, &["BF.ADD", "bf", "extra"]), "ERR non scaling filter is full");
    // An item already there is still answered.
    assert_eq!(run::<i64>(&mut con, &["BF.ADD", "bf", "0"]), 0);
    // BF.MADD stops at the first item that does not fit, with the error in its place.
    let mut raw = server.raw();
    raw.expect(&["BF.MADD", "bf", "1", "extra", "more"], "*2\r\n:0\r\n-ERR non scaling filter is full\r\n");
    raw.expect(&["BF.INSERT", "bf", "ITEMS", "x"], "*1\r\n-ERR non scaling filter is full\r\n");
    assert_eq!(run::<i64>(&mut con, &["BF.CARD", "bf"]), 3);
}

#[test]
fn insert_and_its_options() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(
        run::<Vec<i64>>(
            &mut con,
            &["BF.INSERT", "f", "ERROR", "0.001", "CAPACITY", "50000", "EXPANSION", "2", "ITEMS", "foo"]
        ),
        [1]
    );
    // Options only matter when the filter is created.
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.INSERT", "f", "ERROR", "0.1", "ITEMS", "foo", "bar", "baz"]), [0, 1, 1]);
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.INFO", "f", "CAPACITY"]), [50000]);
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.INFO", "f", "ITEMS"]), [3]);
    // Defaults: capacity 100, expansion 2.
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.INSERT", "d", "ITEMS", "a", "b", "a"]), [1, 1, 0]);
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.INFO", "d", "CAPACITY"]), [100]);
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.INFO", "d", "SIZE"]), [240]);
    // NONSCALING and NOCREATE.
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.INSERT", "n", "CAPACITY", "2", "NONSCALING", "ITEMS", "a"]), [1]);
    assert_eq!(run::<Vec<Option<i64>>>(&mut con, &["BF.INFO", "n", "EXPANSION"]), [None]);
    assert_eq!(fail(&mut con, &["BF.INSERT", "missing", "NOCREATE", "ITEMS", "foo", "bar"]), "ERR not found");
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "missing"]), 0);
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.INSERT", "f", "NOCREATE", "ITEMS", "qux"]), [1]);
    // Bad input.
    let arity = "ERR wrong number of arguments for 'bf.insert' command";
    assert_eq!(fail(&mut con, &["BF.INSERT", "missing"]), arity);
    assert_eq!(fail(&mut con, &["BF.INSERT", "missing", "NOCREATE", "ITEMS"]), arity);
    assert_eq!(fail(&mut con, &["BF.INSERT", "missing", "NOCREATE", "CAPACITY"]), arity);
    assert_eq!(fail(&mut con, &["BF.INSERT", "missing", "CAPACITY", "10"]), arity);
    assert_eq!(fail(&mut con, &["BF.INSERT", "missing", "DONTEXIST", "NOCREATE"]), "Unknown argument received");
    assert_eq!(fail(&mut con, &["BF.INSERT", "missing", "CAPACITY", "0.3", "ITEMS", "a"]), "Bad capacity");
    assert_eq!(fail(&mut con, &["BF.INSERT", "missing", "ERROR", "big", "ITEMS", "a"]), "Bad error rate");
    assert_eq!(fail(&mut con, &["BF.INSERT", "missing", "EXPANSION", "big", "ITEMS", "a"]), "Bad expansion");
    for bad in [
        &["CAPACITY", "0"][..],
        &["CAPACITY", "-5"],
        &["ERROR", "0"],
        &["ERROR", "1"],
        &["ERROR", "1.5"],
        &["EXPANSION", "0"],
        &["EXPANSION", "-1"],
    ] {
        let mut args = vec!["BF.INSERT", "missing"];
        args.extend_from_slice(bad);
        args.extend_from_slice(&["ITEMS", "a"]);
        assert_eq!(fail(&mut con, &args), "Bad argument received", "{bad:?}");
    }
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "missing"]), 0);
}

#[test]
fn info_fields_and_errors() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<String>(&mut con, &["BF.RESERVE", "bf", "0.001", "100"]);
    for (field, value) in [("capacity", 100), ("SIZE", 296), ("Filters", 1), ("items", 0), ("expansion", 2)] {
        assert_eq!(run::<Vec<i64>>(&mut con, &["BF.INFO", "bf", field]), [value], "{field}");
    }
    assert_eq!(fail(&mut con, &["BF.INFO", "bf", "wrong_value"]), "Invalid information value");
    assert!(fail(&mut con, &["BF.INFO", "bf", "capacity", "size"]).starts_with("ERR wrong number of arguments"));
    assert!(fail(&mut con, &["BF.INFO"]).starts_with("ERR wrong number of arguments"));
    assert_eq!(fail(&mut con, &["BF.INFO", "nokey"]), "ERR not found");
    assert_eq!(fail(&mut con, &["BF.INFO", "nokey", "wrong_value"]), "ERR not found");
    // The docs example: one item in a default filter.
    run::<i64>(&mut con, &["BF.ADD", "bf1", "observation1"]);
    let mut raw = server.raw();
    raw.expect(
        &["BF.INFO", "bf1"],
        "*10\r\n+Capacity\r\n:100\r\n+Size\r\n:240\r\n+Number of filters\r\n:1\r\n\
         +Number of items inserted\r\n:1\r\n+Expansion rate\r\n:2\r\n",
    );
    raw.expect(&["BF.INFO", "bf1", "CAPACITY"], "*1\r\n:100\r\n");
    run::<String>(&mut con, &["BF.RESERVE", "ns", "0.01", "10", "NONSCALING"]);
    raw.expect(&["BF.INFO", "ns", "EXPANSION"], "*1\r\n$-1\r\n");
}

#[test]
fn resp3_replies_are_booleans_and_maps() {
    let server = TestServer::start();
    let mut raw = server.raw_resp3();
    raw.expect(&["BF.ADD", "bf1", "observation1"], "#t\r\n");
    raw.expect(&["BF.ADD", "bf1", "observation1"], "#f\r\n");
    raw.expect(&["BF.EXISTS", "bf1", "observation1"], "#t\r\n");
    raw.expect(&["BF.EXISTS", "nokey", "observation1"], "#f\r\n");
    raw.expect(&["BF.MADD", "bf1", "a", "observation1"], "*2\r\n#t\r\n#f\r\n");
    raw.expect(&["BF.MEXISTS", "bf1", "a", "zzz"], "*2\r\n#t\r\n#f\r\n");
    raw.expect(&["BF.INSERT", "bf1", "ITEMS", "b", "b"], "*2\r\n#t\r\n#f\r\n");
    raw.expect(&["BF.CARD", "bf1"], ":3\r\n");
    raw.expect(
        &["BF.INFO", "bf1"],
        "%5\r\n+Capacity\r\n:100\r\n+Size\r\n:240\r\n+Number of filters\r\n:1\r\n\
         +Number of items inserted\r\n:3\r\n+Expansion rate\r\n:2\r\n",
    );
    raw.expect(&["BF.INFO", "bf1", "items"], "%1\r\n+Number of items inserted\r\n:3\r\n");
    raw.expect(&["BF.RESERVE", "ns", "0.01", "10", "NONSCALING"], "+OK\r\n");
    raw.expect(&["BF.INFO", "ns", "expansion"], "%1\r\n+Expansion rate\r\n_\r\n");
}

#[test]
fn wrong_types_both_ways() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    set(&mut con, "str", "v");
    run::<i64>(&mut con, &["LPUSH", "list", "a"]);
    for key in ["str", "list"] {
        for args in [
            &["BF.ADD", key, "a"][..],
            &["BF.MADD", key, "a", "b"],
            &["BF.EXISTS", key, "a"],
            &["BF.MEXISTS", key, "a"],
            &["BF.INSERT", key, "ITEMS", "a"],
            &["BF.INSERT", key, "NOCREATE", "ITEMS", "a"],
            &["BF.RESERVE", key, "0.01", "100"],
            &["BF.INFO", key],
            &["BF.CARD", key],
        ] {
            assert_eq!(fail(&mut con, args), WRONGTYPE, "{args:?}");
        }
    }
    assert_eq!(run::<String>(&mut con, &["GET", "str"]), "v");
    run::<i64>(&mut con, &["BF.ADD", "bf", "a"]);
    for args in [
        &["GET", "bf"][..],
        &["APPEND", "bf", "x"],
        &["INCR", "bf"],
        &["LPUSH", "bf", "x"],
        &["HSET", "bf", "f", "v"],
        &["SADD", "bf", "x"],
        &["ZADD", "bf", "1", "x"],
        &["PFADD", "bf", "x"],
        &["STRLEN", "bf"],
    ] {
        assert_eq!(fail(&mut con, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(run::<i64>(&mut con, &["BF.EXISTS", "bf", "a"]), 1);
}

#[test]
fn generic_key_commands_work_on_filters() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<Vec<i64>>(&mut con, &["BF.MADD", "bf", "a", "b", "c"]);
    // COPY is a deep copy: the two filters change independently.
    assert_eq!(run::<i64>(&mut con, &["COPY", "bf", "copy"]), 1);
    run::<i64>(&mut con, &["BF.ADD", "copy", "d"]);
    assert_eq!(run::<i64>(&mut con, &["BF.CARD", "copy"]), 4);
    assert_eq!(run::<i64>(&mut con, &["BF.CARD", "bf"]), 3);
    assert_eq!(run::<i64>(&mut con, &["BF.EXISTS", "bf", "d"]), 0);
    // RENAME keeps the filter.
    run::<String>(&mut con, &["RENAME", "bf", "renamed"]);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "bf"]), 0);
    assert_eq!(run::<Vec<i64>>(&mut con, &["BF.MEXISTS", "renamed", "a", "b", "c"]), [1, 1, 1]);
    assert_eq!(run::<String>(&mut con, &["TYPE", "renamed"]), "MBbloom--");
    // SCAN ... TYPE knows the type name.
    let (_, keys): (String, Vec<String>) = run(&mut con, &["SCAN", "0", "TYPE", "MBbloom--", "COUNT", "100"]);
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, ["copy", "renamed"]);
    // EXPIRE, TTL, PERSIST, and expiry removes the filter.
    assert_eq!(run::<i64>(&mut con, &["EXPIRE", "renamed", "100"]), 1);
    assert!(run::<i64>(&mut con, &["TTL", "renamed"]) > 0);
    run::<i64>(&mut con, &["BF.ADD", "renamed", "e"]);
    assert!(run::<i64>(&mut con, &["TTL", "renamed"]) > 0, "adding keeps the TTL");
    assert_eq!(run::<i64>(&mut con, &["PEXPIRE", "renamed", "1"]), 1);
    assert!(common::wait_until(std::time::Duration::from_secs(5), || run::<i64>(&mut con, &["EXISTS", "renamed"]) == 0));
    assert_eq!(fail(&mut con, &["BF.INFO", "renamed"]), "ERR not found");
    // DEL.
    assert_eq!(run::<i64>(&mut con, &["DEL", "copy"]), 1);
    assert_eq!(run::<i64>(&mut con, &["BF.CARD", "copy"]), 0);
}

#[test]
fn command_table_entries() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let info: Vec<Value> = run(&mut con, &["COMMAND", "INFO", "bf.add", "bf.exists"]);
    let text = format!("{info:?}");
    assert!(text.contains("bloom"), "{text}");
    assert!(run::<i64>(&mut con, &["COMMAND", "COUNT"]) > 0);
    let keys: Vec<String> = run(&mut con, &["COMMAND", "GETKEYS", "BF.INSERT", "k", "ITEMS", "a"]);
    assert_eq!(keys, ["k"]);
}
