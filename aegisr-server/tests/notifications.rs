//! Keyspace notifications through the redis crate's pub/sub API, after Redis's own tests
//! (pubsub.tcl, "Keyspace notifications: ..."): keyspace and keyevent channels, masking
//! by class, each class's events in Redis 7.0's order, "new", "keymiss", keys expired on
//! access and by the background cycle, and CONFIG SET/GET of `notify-keyspace-events`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fail, run, wait_until};

/// A client subscribed to every keyspace and keyevent channel (`__key*__:*`, as Redis's
/// tests do), and a client that runs commands in database 9.
struct Watcher {
    events: redis::PubSub<'static>,
    con: redis::Connection,
}

/// Published after a step's commands: events are published before a command replies, so
/// once this arrives every event of the step has too. The pattern matches it.
const MARKER: &str = "__keymarker__:end";

impl Watcher {
    fn new(server: &TestServer, flags: &str) -> Watcher {
        let mut con = server.sync_conn();
        run::<()>(&mut con, &["SELECT", "9"]);
        run::<()>(&mut con, &["FLUSHALL"]);
        run::<()>(&mut con, &["CONFIG", "SET", "notify-keyspace-events", flags]);
        // The crate's PubSub borrows its connection and unsubscribes when dropped; the
        // connection is leaked so the subscription lives as long as the test.
        let mut events = Box::leak(Box::new(server.sync_conn())).as_pubsub();
        events.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        events.psubscribe("__key*__:*").unwrap();
        assert!(wait_until(Duration::from_secs(10), || run::<i64>(&mut con, &["PUBSUB", "NUMPAT"]) == 1));
        Watcher { events, con }
    }

    fn run(&mut self, args: &[&str]) {
        run::<redis::Value>(&mut self.con, args);
    }

    /// The next message, as "channel payload".
    fn next(&mut self) -> String {
        let msg = self.events.get_message().expect("an event within 10 s");
        format!("{} {}", msg.get_channel_name(), msg.get_payload::<String>().unwrap())
    }

    /// Runs `commands`, then returns every event they caused, in order.
    fn events(&mut self, commands: &[&[&str]]) -> Vec<String> {
        for args in commands {
            self.run(args);
        }
        run::<i64>(&mut self.con, &["PUBLISH", MARKER, "."]);
        let mut seen = Vec::new();
        loop {
            let event = self.next();
            if event.starts_with(MARKER) {
                return seen;
            }
            seen.push(event);
        }
    }
}

fn keyspace(events: &[(&str, &str)]) -> Vec<String> {
    events.iter().map(|(key, event)| format!("__keyspace@9__:{key} {event}")).collect()
}

#[test]
fn keyspace_events_name_the_event() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "KA");
    assert_eq!(w.events(&[&["SET", "foo", "bar"]]), ["__keyspace@9__:foo set"]);
}

#[test]
fn keyevent_events_name_the_key() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "EA");
    assert_eq!(w.events(&[&["SET", "foo", "bar"]]), ["__keyevent@9__:set foo"]);
}

#[test]
fn both_kinds_keyspace_first() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "KEA");
    assert_eq!(w.events(&[&["SET", "foo", "bar"]]), ["__keyspace@9__:foo set", "__keyevent@9__:set foo"]);
}

#[test]
fn classes_mask_events() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "KEl");
    let got = w.events(&[&["SET", "foo", "bar"], &["LPUSH", "mylist", "a"], &["DEL", "mylist"]]);
    assert_eq!(got, ["__keyspace@9__:mylist lpush", "__keyevent@9__:lpush mylist"]);
}

#[test]
fn nothing_is_published_without_k_or_e() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "A");
    assert!(w.events(&[&["SET", "foo", "bar"], &["DEL", "foo"]]).is_empty());
    run::<()>(&mut w.con, &["CONFIG", "SET", "notify-keyspace-events", ""]);
    assert!(w.events(&[&["SET", "foo", "bar"]]).is_empty());
}

#[test]
fn events_carry_the_database_number() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "KEg$");
    w.run(&["SELECT", "3"]);
    assert_eq!(w.events(&[&["SET", "k", "v"]]), ["__keyspace@3__:k set", "__keyevent@3__:set k"]);
}

#[test]
fn generic_events() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "Kg");
    let got = w.events(&[
        &["SET", "foo", "bar"],
        &["EXPIRE", "foo", "100"],
        &["EXPIRE", "missing", "100"],
        &["PERSIST", "foo"],
        &["PERSIST", "foo"],
        &["DEL", "foo", "foo", "missing"],
        &["SET", "foo", "bar"],
        &["EXPIRE", "foo", "-1"],
        &["SET", "foo", "bar"],
        &["PEXPIREAT", "foo", "1"],
    ]);
    let want = keyspace(&[("foo", "expire"), ("foo", "persist"), ("foo", "del"), ("foo", "del"), ("foo", "del")]);
    assert_eq!(got, want);
}

#[test]
fn rename_move_and_copy() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "KEgn");
    w.run(&["SET", "a", "1"]);
    w.events(&[]);
    // The destination is created (a "new" event) before the rename events, as Redis's
    // dbAdd runs first; renaming onto an existing key deletes and re-creates it.
    let got = w.events(&[&["RENAME", "a", "b"]]);
    let want = [
        "__keyspace@9__:b new",
        "__keyevent@9__:new b",
        "__keyspace@9__:a rename_from",
        "__keyevent@9__:rename_from a",
        "__keyspace@9__:b rename_to",
        "__keyevent@9__:rename_to b",
    ];
    assert_eq!(got, want);
    w.run(&["SET", "c", "1"]);
    w.events(&[]);
    let got = w.events(&[&["RENAME", "b", "c"], &["RENAME", "c", "c"], &["RENAMENX", "c", "c"]]);
    let want = [
        "__keyspace@9__:c new",
        "__keyevent@9__:new c",
        "__keyspace@9__:b rename_from",
        "__keyevent@9__:rename_from b",
        "__keyspace@9__:c rename_to",
        "__keyevent@9__:rename_to c",
    ];
    assert_eq!(got, want);
    let got = w.events(&[&["COPY", "c", "d"], &["COPY", "c", "d"], &["COPY", "c", "d", "DB", "2"]]);
    let want = [
        "__keyspace@9__:d new",
        "__keyevent@9__:new d",
        "__keyspace@9__:d copy_to",
        "__keyevent@9__:copy_to d",
        "__keyspace@2__:d new",
        "__keyevent@2__:new d",
        "__keyspace@2__:d copy_to",
        "__keyevent@2__:copy_to d",
    ];
    assert_eq!(got, want);
    let got = w.events(&[&["MOVE", "d", "2"], &["MOVE", "c", "2"]]);
    let want = [
        "__keyspace@2__:c new",
        "__keyevent@2__:new c",
        "__keyspace@9__:c move_from",
        "__keyevent@9__:move_from c",
        "__keyspace@2__:c move_to",
        "__keyevent@2__:move_to c",
    ];
    assert_eq!(got, want);
}

#[test]
fn string_events() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "K$g");
    let got = w.events(&[
        &["SET", "s", "v", "EX", "100"],
        &["SET", "s", "v", "NX"],
        &["MSET", "a", "1", "b", "2"],
        &["INCR", "a"],
        &["DECRBY", "a", "2"],
        &["INCRBYFLOAT", "a", "1.5"],
        &["APPEND", "s", "x"],
        &["SETRANGE", "s", "0", ""],
        &["SETRANGE", "s", "0", "y"],
        &["SETEX", "t", "100", "v"],
        &["GETSET", "t", "w"],
        &["GETEX", "t", "EX", "100"],
        &["GETEX", "t", "PERSIST"],
        &["GETDEL", "t"],
        &["SETBIT", "bits", "3", "1"],
        &["SETBIT", "bits", "3", "1"],
        &["BITFIELD", "bits", "SET", "u8", "0", "255"],
        &["BITOP", "NOT", "inv", "bits"],
        &["PFADD", "hll", "x"],
        &["PFADD", "hll", "x"],
        &["PFMERGE", "hll2", "hll"],
    ]);
    let want = keyspace(&[
        ("s", "set"),
        ("s", "expire"),
        ("a", "set"),
        ("b", "set"),
        ("a", "incrby"),
        ("a", "incrby"),
        ("a", "incrbyfloat"),
        ("s", "append"),
        ("s", "setrange"),
        ("t", "set"),
        ("t", "expire"),
        ("t", "set"),
        ("t", "expire"),
        ("t", "persist"),
        ("t", "del"),
        ("bits", "setbit"),
        ("bits", "setbit"),
        ("inv", "set"),
        ("hll", "pfadd"),
        ("hll2", "pfadd"),
    ]);
    assert_eq!(got, want);
}

#[test]
fn list_events_pop_before_del() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "Klg");
    let got = w.events(&[
        &["LPUSH", "mylist", "a"],
        &["RPUSH", "mylist", "a"],
        &["LPUSHX", "missing", "a"],
        &["LINSERT", "mylist", "BEFORE", "a", "b"],
        &["LINSERT", "mylist", "BEFORE", "zz", "b"],
        &["LSET", "mylist", "0", "c"],
        &["LREM", "mylist", "0", "c"],
        &["LTRIM", "mylist", "0", "-1"],
        &["RPOP", "mylist"],
        &["LPOP", "mylist"],
        &["RPUSH", "src", "1", "2"],
        &["LMOVE", "src", "dst", "LEFT", "RIGHT"],
        &["RPOPLPUSH", "src", "dst"],
        &["LMPOP", "1", "dst", "LEFT", "COUNT", "5"],
    ]);
    let want = keyspace(&[
        ("mylist", "lpush"),
        ("mylist", "rpush"),
        ("mylist", "linsert"),
        ("mylist", "lset"),
        ("mylist", "lrem"),
        ("mylist", "ltrim"),
        ("mylist", "rpop"),
        ("mylist", "lpop"),
        ("mylist", "del"),
        ("src", "rpush"),
        // Redis pushes before it pops.
        ("dst", "rpush"),
        ("src", "lpop"),
        ("dst", "lpush"),
        ("src", "rpop"),
        ("src", "del"),
        ("dst", "lpop"),
        ("dst", "del"),
    ]);
    assert_eq!(got, want);
}

#[test]
fn blocking_pops_report_as_their_plain_forms() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "Klg");
    let mut blocked = server.sync_conn();
    run::<()>(&mut blocked, &["SELECT", "9"]);
    let waiter = std::thread::spawn(move || run::<Vec<String>>(&mut blocked, &["BLPOP", "q", "10"]));
    assert!(wait_until(Duration::from_secs(10), || {
        run::<String>(&mut w.con, &["INFO", "clients"]).contains("blocked_clients:1\r\n")
    }));
    w.run(&["RPUSH", "q", "job"]);
    assert_eq!(waiter.join().unwrap(), ["q", "job"]);
    let got = w.events(&[]);
    assert_eq!(got, keyspace(&[("q", "rpush"), ("q", "lpop"), ("q", "del")]));
}

#[test]
fn set_events() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "Ksg");
    let got = w.events(&[
        &["SADD", "myset", "a", "b", "c", "d"],
        &["SADD", "myset", "a"],
        &["SREM", "myset", "x"],
        &["SMOVE", "myset", "other", "a"],
        &["SREM", "myset", "b", "c"],
        &["SPOP", "myset"],
        &["SINTERSTORE", "inter", "other", "other"],
        &["SUNIONSTORE", "union", "other", "missing"],
        &["SDIFFSTORE", "inter", "other", "other"],
    ]);
    let want = keyspace(&[
        ("myset", "sadd"),
        ("myset", "srem"),
        ("other", "sadd"),
        ("myset", "srem"),
        ("myset", "spop"),
        ("myset", "del"),
        ("inter", "sinterstore"),
        ("union", "sunionstore"),
        ("inter", "del"),
    ]);
    assert_eq!(got, want);
}

#[test]
fn sorted_set_events() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "Kzg");
    let got = w.events(&[
        &["ZADD", "myzset", "1", "a", "2", "b", "3", "c"],
        &["ZADD", "myzset", "1", "a"],
        &["ZINCRBY", "myzset", "5", "a"],
        &["ZREM", "myzset", "x", "c"],
        &["ZREMRANGEBYSCORE", "myzset", "100", "200"],
        &["ZREMRANGEBYSCORE", "myzset", "2", "2"],
        &["ZREMRANGEBYRANK", "myzset", "0", "0"],
        &["ZADD", "z2", "1", "a", "2", "b"],
        &["ZUNIONSTORE", "u", "1", "z2"],
        &["ZRANGESTORE", "r", "z2", "0", "0"],
        &["ZPOPMIN", "z2"],
        &["ZPOPMAX", "z2", "5"],
        &["GEOADD", "geo", "13.361389", "38.115556", "Palermo"],
    ]);
    let want = keyspace(&[
        ("myzset", "zadd"),
        ("myzset", "zincr"),
        ("myzset", "zrem"),
        ("myzset", "zremrangebyscore"),
        ("myzset", "zremrangebyrank"),
        ("myzset", "del"),
        ("z2", "zadd"),
        ("u", "zunionstore"),
        ("r", "zrangestore"),
        ("z2", "zpopmin"),
        ("z2", "zpopmax"),
        ("z2", "del"),
        ("geo", "zadd"),
    ]);
    assert_eq!(got, want);
}

#[test]
fn hash_events() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "Khg");
    let got = w.events(&[
        &["HSET", "myhash", "yes", "1"],
        &["HSETNX", "myhash", "yes", "2"],
        &["HINCRBY", "myhash", "yes", "10"],
        &["HINCRBYFLOAT", "myhash", "f", "1.5"],
        &["HDEL", "myhash", "nope"],
        &["HDEL", "myhash", "yes", "f"],
    ]);
    let want = keyspace(&[
        ("myhash", "hset"),
        ("myhash", "hincrby"),
        ("myhash", "hincrbyfloat"),
        ("myhash", "hdel"),
        ("myhash", "del"),
    ]);
    assert_eq!(got, want);
}

#[test]
fn sort_store_events() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "Klg");
    w.run(&["RPUSH", "l", "2", "1"]);
    w.events(&[]);
    let got = w.events(&[&["SORT", "l", "STORE", "sorted"], &["SORT", "missing", "STORE", "sorted"]]);
    assert_eq!(got, keyspace(&[("sorted", "sortstore"), ("sorted", "del")]));
}

#[test]
fn new_keys_come_before_the_command_event() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "KEn$l");
    let got = w.events(&[&["SET", "foo", "bar"], &["SET", "foo", "baz"], &["LPUSH", "l", "a"]]);
    let want = [
        "__keyspace@9__:foo new",
        "__keyevent@9__:new foo",
        "__keyspace@9__:foo set",
        "__keyevent@9__:set foo",
        "__keyspace@9__:foo set",
        "__keyevent@9__:set foo",
        "__keyspace@9__:l new",
        "__keyevent@9__:new l",
        "__keyspace@9__:l lpush",
        "__keyevent@9__:lpush l",
    ];
    assert_eq!(got, want);
    // A (so everything but m and n) hides n from CONFIG GET, but n stays on, as in Redis.
    run::<()>(&mut w.con, &["CONFIG", "SET", "notify-keyspace-events", "KAn"]);
    let got = w.events(&[&["SET", "other", "x"]]);
    assert_eq!(got, keyspace(&[("other", "new"), ("other", "set")]));
}

#[test]
fn key_misses_are_reported_for_reads_only() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "Km");
    let got = w.events(&[
        &["GET", "a"],
        &["HGET", "b", "f"],
        &["EXISTS", "c"],
        &["TTL", "d"],
        &["SET", "e", "1"],
        &["GET", "e"],
        &["DEL", "f"],
    ]);
    assert_eq!(got, keyspace(&[("a", "keymiss"), ("b", "keymiss"), ("c", "keymiss"), ("d", "keymiss")]));
}

#[test]
fn expired_events_on_access() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "Ex");
    // Slow the background cycle down so the key is found by the access first.
    run::<()>(&mut w.con, &["CONFIG", "SET", "hz", "1"]);
    w.run(&["PSETEX", "foo", "100", "1"]);
    assert!(wait_until(Duration::from_secs(10), || run::<i64>(&mut w.con, &["EXISTS", "foo"]) == 0));
    assert_eq!(w.next(), "__keyevent@9__:expired foo");
}

#[test]
fn expired_events_from_the_background_cycle() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "Ex");
    w.run(&["SET", "foo", "bar", "PX", "100"]);
    w.run(&["SET", "bar", "bar", "PX", "100"]);
    // Nobody touches the keys: the active expiry cycle deletes them and reports it.
    let mut got = [w.next(), w.next()];
    got.sort();
    assert_eq!(got, ["__keyevent@9__:expired bar", "__keyevent@9__:expired foo"]);
    assert_eq!(run::<i64>(&mut w.con, &["DBSIZE"]), 0);
}

#[test]
fn an_expired_key_overwritten_is_expired_then_new() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "KExn$");
    w.run(&["SET", "foo", "1", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(20));
    // Whichever removes it first, the SET's lookup or the background cycle, reports it
    // before the key is created again.
    let got = w.events(&[&["SET", "foo", "2"]]);
    let want = [
        "__keyspace@9__:foo new",
        "__keyevent@9__:new foo",
        "__keyspace@9__:foo set",
        "__keyevent@9__:set foo",
        "__keyspace@9__:foo expired",
        "__keyevent@9__:expired foo",
        "__keyspace@9__:foo new",
        "__keyevent@9__:new foo",
        "__keyspace@9__:foo set",
        "__keyevent@9__:set foo",
    ];
    assert_eq!(got, want);
}

#[test]
fn transactions_publish_each_command_s_events() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "K$l");
    let mut pipe = redis::pipe();
    pipe.atomic().cmd("SET").arg("a").arg("1").cmd("LPUSH").arg("b").arg("x").cmd("INCR").arg("a");
    let _: redis::Value = pipe.query(&mut w.con).unwrap();
    assert_eq!(w.events(&[]), keyspace(&[("a", "set"), ("b", "lpush"), ("a", "incrby")]));
}

#[test]
fn config_get_shows_redis_normal_form_and_bad_letters_are_refused() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let get = |con: &mut redis::Connection| -> String {
        let (_, value): (String, String) = run(con, &["CONFIG", "GET", "notify-keyspace-events"]);
        value
    };
    assert_eq!(get(&mut con), "");
    for (set, shown) in
        [("KEA", "AKE"), ("gKx$mn", "g$xnKm"), ("AmnKE", "AKEm"), ("g$lshzxetdKE", "AKE"), ("lE", "lE"), ("", "")]
    {
        run::<()>(&mut con, &["CONFIG", "SET", "notify-keyspace-events", set]);
        assert_eq!(get(&mut con), shown, "{set}");
    }
    run::<()>(&mut con, &["CONFIG", "SET", "notify-keyspace-events", "Kg"]);
    assert_eq!(
        fail(&mut con, &["CONFIG", "SET", "notify-keyspace-events", "Kq"]),
        "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
    );
    assert_eq!(get(&mut con), "gK", "a refused value changes nothing");
}

#[test]
fn the_option_can_be_given_in_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aegisr.toml");
    std::fs::write(&path, "notify-keyspace-events = \"KEA\"\n").unwrap();
    let server = TestServer::start_with(&["--config", path.to_str().unwrap()]);
    let mut con = server.sync_conn();
    let (_, value): (String, String) = run(&mut con, &["CONFIG", "GET", "notify-keyspace-events"]);
    assert_eq!(value, "AKE");
    let mut events = server.sync_conn();
    events.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut pubsub = events.as_pubsub();
    pubsub.subscribe("__keyevent@0__:del").unwrap();
    assert!(wait_until(Duration::from_secs(10), || {
        let (_, n): (String, i64) = run(&mut con, &["PUBSUB", "NUMSUB", "__keyevent@0__:del"]);
        n == 1
    }));
    run::<()>(&mut con, &["SET", "k", "v"]);
    run::<i64>(&mut con, &["DEL", "k"]);
    assert_eq!(pubsub.get_message().unwrap().get_payload::<String>().unwrap(), "k");
}

#[test]
fn stream_events() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "Kt");
    // Redis 7.0.15 publishes the same events for the same commands.
    let got = w.events(&[
        &["XADD", "s", "*", "a", "1"],
        &["XADD", "s", "MAXLEN", "1", "*", "b", "2"],
        &["XTRIM", "s", "MAXLEN", "0"],
        &["XTRIM", "s", "MAXLEN", "0"],
        &["XADD", "s", "*", "c", "3"],
        &["XDEL", "s", "0-1"],
        &["XGROUP", "CREATE", "s", "g", "$"],
        &["XGROUP", "SETID", "s", "g", "0"],
        &["XGROUP", "CREATECONSUMER", "s", "g", "c1"],
        &["XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "s", ">"],
        // Nothing new for it: no consumer is created, nothing is published.
        &["XREADGROUP", "GROUP", "g", "c3", "STREAMS", "s", ">"],
        &["XGROUP", "DELCONSUMER", "s", "g", "c1"],
        &["XGROUP", "DELCONSUMER", "s", "g", "nobody"],
        &["XSETID", "s", "99999999999999-0"],
        &["XGROUP", "DESTROY", "s", "g"],
    ]);
    let want = [
        "xadd",
        "xadd",
        "xtrim",
        "xtrim",
        "xadd",
        "xgroup-create",
        "xgroup-setid",
        "xgroup-createconsumer",
        "xgroup-createconsumer",
        "xgroup-delconsumer",
        "xsetid",
        "xgroup-destroy",
    ];
    assert_eq!(got, keyspace(&want.map(|e| ("s", e))));
}

#[test]
fn claiming_creates_the_consumer_and_says_so() {
    let server = TestServer::start();
    let mut w = Watcher::new(&server, "Kt");
    w.run(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    w.run(&["XADD", "s", "1-0", "a", "1"]);
    w.run(&["XADD", "s", "2-0", "b", "2"]);
    w.run(&["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"]);
    w.events(&[]);
    // As Redis 7.0.15: a consumer is created (and reported) only when an entry is claimed
    // for it; nothing else in XCLAIM or XAUTOCLAIM publishes an event.
    let got = w.events(&[
        &["XCLAIM", "s", "g", "c2", "0", "1-0"],
        &["XCLAIM", "s", "g", "c3", "3600000", "1-0"],
        &["XCLAIM", "s", "g", "c4", "0", "9-0"],
        &["XCLAIM", "s", "g", "c2", "0", "2-0"],
        &["XAUTOCLAIM", "s", "g", "c5", "3600000", "0"],
        &["XAUTOCLAIM", "s", "g", "c6", "0", "0", "JUSTID"],
        &["XCLAIM", "s", "g", "c7", "0", "1-0", "FORCE", "JUSTID"],
    ]);
    assert_eq!(
        got,
        keyspace(&[("s", "xgroup-createconsumer"), ("s", "xgroup-createconsumer"), ("s", "xgroup-createconsumer")])
    );
    let consumers: Vec<redis::Value> = run(&mut w.con, &["XINFO", "CONSUMERS", "s", "g"]);
    let names: Vec<String> = consumers
        .into_iter()
        .map(|c| match c {
            redis::Value::Array(fields) => redis::from_redis_value(fields[1].clone()).unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["c1", "c2", "c6", "c7"]);
}
