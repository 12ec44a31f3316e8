//! MIGRATE between two real nodes: single keys and the KEYS form, COPY and REPLACE, TTLs,
//! the target's database, errors from the target (BUSYKEY, AUTH) and from the network,
//! cached connections, and the journal seeing the moved keys deleted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fail, get, run, set, wait_until};

fn target_addr(server: &TestServer) -> (String, String) {
    (server.resp.ip().to_string(), server.resp.port().to_string())
}

/// `MIGRATE host port <rest...>` to `target`.
fn migrate(con: &mut redis::Connection, target: &TestServer, rest: &[&str]) -> redis::RedisResult<String> {
    let (host, port) = target_addr(target);
    let mut cmd = redis::cmd("MIGRATE");
    cmd.arg(host).arg(port);
    for arg in rest {
        cmd.arg(*arg);
    }
    cmd.query(con)
}

#[test]
fn keys_move_with_their_ttls_and_are_deleted_here() {
    let source = TestServer::start();
    let target = TestServer::start();
    let (mut src, mut dst) = (source.sync_conn(), target.sync_conn());
    set(&mut src, "k", "hello");
    run::<()>(&mut src, &["SET", "t", "v", "PX", "100000"]);
    run::<()>(&mut src, &["RPUSH", "l", "a", "b", "c"]);

    assert_eq!(migrate(&mut src, &target, &["k", "0", "5000"]).unwrap(), "OK");
    assert_eq!(get(&mut src, "k"), None);
    assert_eq!(get(&mut dst, "k").as_deref(), Some("hello"));

    // The KEYS form: missing keys are skipped; the TTL goes with the key.
    assert_eq!(migrate(&mut src, &target, &["", "0", "5000", "KEYS", "t", "l", "missing"]).unwrap(), "OK");
    assert_eq!(run::<i64>(&mut src, &["EXISTS", "t", "l"]), 0);
    let ttl: i64 = run(&mut dst, &["PTTL", "t"]);
    assert!((90_000..=100_000).contains(&ttl), "{ttl}");
    assert_eq!(run::<Vec<String>>(&mut dst, &["LRANGE", "l", "0", "-1"]), ["a", "b", "c"]);

    // Nothing to move.
    assert_eq!(migrate(&mut src, &target, &["missing", "0", "5000"]).unwrap(), "NOKEY");
    assert_eq!(migrate(&mut src, &target, &["", "0", "5000", "KEYS", "missing"]).unwrap(), "NOKEY");

    // Into another database of the target.
    set(&mut src, "d", "3");
    assert_eq!(migrate(&mut src, &target, &["d", "3", "5000"]).unwrap(), "OK");
    run::<()>(&mut dst, &["SELECT", "3"]);
    assert_eq!(get(&mut dst, "d").as_deref(), Some("3"));
    run::<()>(&mut dst, &["SELECT", "0"]);
    set(&mut src, "d0", "0");
    assert_eq!(migrate(&mut src, &target, &["d0", "0", "5000"]).unwrap(), "OK");
    assert_eq!(get(&mut dst, "d0").as_deref(), Some("0"));
}

#[test]
fn an_existing_key_needs_replace_and_copy_keeps_the_source() {
    let source = TestServer::start();
    let target = TestServer::start();
    let (mut src, mut dst) = (source.sync_conn(), target.sync_conn());
    set(&mut src, "x", "new");
    set(&mut dst, "x", "old");
    let error =
        fail(&mut src, &["MIGRATE", &target.resp.ip().to_string(), &target.resp.port().to_string(), "x", "0", "5000"]);
    assert_eq!(error, "ERR Target instance replied with error: BUSYKEY Target key name already exists.");
    assert_eq!(get(&mut src, "x").as_deref(), Some("new"), "a key the target refused stays");

    assert_eq!(migrate(&mut src, &target, &["x", "0", "5000", "COPY", "REPLACE"]).unwrap(), "OK");
    assert_eq!(get(&mut src, "x").as_deref(), Some("new"));
    assert_eq!(get(&mut dst, "x").as_deref(), Some("new"));

    // Of several keys, those the target took move, the refused one stays.
    set(&mut src, "y", "1");
    let error = migrate(&mut src, &target, &["", "0", "5000", "KEYS", "x", "y"]).unwrap_err();
    assert!(error.to_string().contains("BUSYKEY"), "{error}");
    assert_eq!(get(&mut src, "x").as_deref(), Some("new"));
    assert_eq!(get(&mut src, "y"), None);
    assert_eq!(get(&mut dst, "y").as_deref(), Some("1"));
}

#[test]
fn the_target_password_is_sent_and_its_refusal_reported() {
    let source = TestServer::start();
    let target = TestServer::start_with(&["--requirepass", "secret"]);
    let mut src = source.sync_conn();
    set(&mut src, "k", "v");
    let error = migrate(&mut src, &target, &["k", "0", "5000"]).unwrap_err();
    assert!(error.to_string().contains("Target instance replied with error: NOAUTH"), "{error}");
    let error = migrate(&mut src, &target, &["k", "0", "5000", "AUTH", "wrong"]).unwrap_err();
    assert!(error.to_string().contains("Target instance replied with error: WRONGPASS"), "{error}");
    assert_eq!(get(&mut src, "k").as_deref(), Some("v"));
    assert_eq!(migrate(&mut src, &target, &["k", "0", "5000", "AUTH", "secret"]).unwrap(), "OK");
    assert_eq!(migrate(&mut src, &target, &["k", "0", "5000", "AUTH2", "default", "secret"]).unwrap(), "NOKEY");
    let mut dst = target.sync_conn();
    run::<()>(&mut dst, &["AUTH", "secret"]);
    assert_eq!(get(&mut dst, "k").as_deref(), Some("v"));
}

#[test]
fn bad_arguments_and_unreachable_targets_get_redis_errors() {
    let source = TestServer::start();
    let mut src = source.sync_conn();
    set(&mut src, "k", "v");
    // A port nothing listens on, on an address no other test binds.
    let closed = std::net::TcpListener::bind("127.0.0.77:0").unwrap().local_addr().unwrap().port().to_string();
    let error = fail(&mut src, &["MIGRATE", "127.0.0.77", &closed, "k", "0", "500"]);
    assert_eq!(error, "IOERR error or timeout writing to target instance");
    assert_eq!(get(&mut src, "k").as_deref(), Some("v"));
    let error = fail(&mut src, &["MIGRATE", "127.0.0.1", "1", "k", "0", "500", "KEYS", "k"]);
    assert_eq!(error, "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");
    assert_eq!(fail(&mut src, &["MIGRATE", "127.0.0.1", "1", "k", "0", "500", "BOGUS"]), "ERR syntax error");
    assert_eq!(fail(&mut src, &["MIGRATE", "127.0.0.1", "1", "k", "0", "500", "AUTH"]), "ERR syntax error");
    let error = fail(&mut src, &["MIGRATE", "127.0.0.1", "1", "k", "x", "500"]);
    assert_eq!(error, "ERR value is not an integer or out of range");
    assert!(fail(&mut src, &["MIGRATE", "127.0.0.1", "1", "k", "0"]).starts_with("ERR wrong number of arguments"));
    let keys: Vec<String> =
        run(&mut src, &["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5", "AUTH", "p", "KEYS", "a", "b"]);
    assert_eq!(keys, ["a", "b"]);

    // A target that accepts but never answers: the timeout ends the wait, and the key stays.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let error = fail(&mut src, &["MIGRATE", "127.0.0.1", &port, "k", "0", "300"]);
    assert_eq!(error, "IOERR error or timeout reading to target instance");
    assert_eq!(get(&mut src, "k").as_deref(), Some("v"));
    assert_eq!(run::<String>(&mut src, &["PING"]), "PONG", "the server is still serving");
}

#[test]
fn connections_are_cached_then_closed_when_idle() {
    let source = TestServer::start();
    let target = TestServer::start();
    let (mut src, mut dst) = (source.sync_conn(), target.sync_conn());
    let clients = |dst: &mut redis::Connection| -> String {
        let info: String = run(dst, &["INFO", "clients"]);
        info.lines().find_map(|l| l.strip_prefix("connected_clients:")).unwrap().to_owned()
    };
    assert_eq!(clients(&mut dst), "1");
    for key in ["a", "b", "c"] {
        set(&mut src, key, "v");
        assert_eq!(migrate(&mut src, &target, &[key, "0", "5000"]).unwrap(), "OK");
    }
    assert_eq!(clients(&mut dst), "2", "one connection for all three");
    // Closed after ten idle seconds.
    assert!(wait_until(Duration::from_secs(30), || clients(&mut dst) == "1"));
}

#[test]
fn the_journal_records_the_moved_keys_as_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let target = TestServer::start();
    {
        let source = TestServer::start_in(dir.path(), &["--appendfsync", "always"]);
        let mut src = source.sync_conn();
        set(&mut src, "moved", "1");
        set(&mut src, "copied", "2");
        assert_eq!(migrate(&mut src, &target, &["moved", "0", "5000"]).unwrap(), "OK");
        assert_eq!(migrate(&mut src, &target, &["copied", "0", "5000", "COPY"]).unwrap(), "OK");
    }
    let source = TestServer::start_in(dir.path(), &[]);
    let mut src = source.sync_conn();
    assert_eq!(get(&mut src, "moved"), None);
    assert_eq!(get(&mut src, "copied").as_deref(), Some("2"));
}
