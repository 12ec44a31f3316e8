//! CLIENT REPLY (ON / OFF / SKIP) and CLIENT UNBLOCK (TIMEOUT / ERROR) through raw
//! connections, with the bytes Redis 7.0.15 sends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{RawConn, TestServer, fail, run, wait_until};

fn client_id(raw: &mut RawConn) -> String {
    raw.command(&[b"CLIENT", b"ID"]);
    raw.read_line().trim_start_matches(':').trim_end().to_owned()
}

/// Waits until client `id` shows as blocked (flag b) in CLIENT LIST.
fn wait_blocked(server: &TestServer, id: &str) {
    let mut c = server.sync_conn();
    let prefix = format!("id={id} ");
    assert!(
        wait_until(Duration::from_secs(10), || {
            run::<String>(&mut c, &["CLIENT", "LIST"])
                .lines()
                .any(|l| l.starts_with(&prefix) && l.contains(" flags=b "))
        }),
        "client {id} never blocked"
    );
}

#[test]
fn reply_off_skip_and_on() {
    let server = TestServer::start();
    let mut raw = server.raw();
    // OFF: nothing at all, errors included, until ON (whose OK is sent).
    raw.command(&[b"CLIENT", b"REPLY", b"OFF"]);
    raw.command(&[b"SET", b"a", b"1"]);
    raw.command(&[b"NOSUCHCOMMAND"]);
    raw.command(&[b"CLIENT", b"REPLY", b"SKIP"]);
    raw.expect(&["CLIENT", "REPLY", "ON"], "+OK\r\n");
    // SKIP: its own reply and the next command's are dropped.
    raw.command(&[b"CLIENT", b"REPLY", b"SKIP"]);
    raw.command(&[b"GET", b"a"]);
    raw.expect(&["GET", "a"], "$1\r\n1\r\n");
    raw.expect(&["CLIENT", "REPLY", "maybe"], "-ERR syntax error\r\n");
    raw.expect(&["CLIENT", "REPLY"], "-ERR wrong number of arguments for 'client|reply' command\r\n");
    // A blocked command's reply is skipped when it comes.
    raw.command(&[b"CLIENT", b"REPLY", b"SKIP"]);
    raw.command(&[b"BLPOP", b"nothing", b"0.05"]);
    raw.expect(&["PING"], "+PONG\r\n");
}

#[test]
fn pushes_still_arrive_while_replies_are_off() {
    let server = TestServer::start();
    let mut raw = server.raw_resp3();
    let mut other = server.raw();
    raw.command(&[b"CLIENT", b"REPLY", b"OFF"]);
    raw.command(&[b"CLIENT", b"TRACKING", b"on"]);
    raw.command(&[b"GET", b"k"]);
    // The client's commands have run once its CLIENT LIST line shows it tracking.
    let mut c = server.sync_conn();
    assert!(wait_until(Duration::from_secs(10), || {
        run::<String>(&mut c, &["INFO", "stats"]).contains("tracking_total_keys:1\r\n")
    }));
    other.expect(&["SET", "k", "1"], "+OK\r\n");
    let push = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n";
    assert_eq!(String::from_utf8_lossy(&raw.read_exact_len(push.len())), push);
    raw.expect(&["CLIENT", "REPLY", "ON"], "+OK\r\n");
}

/// (UN)SUBSCRIBE's confirmations are pushes in Redis: CLIENT REPLY OFF does not silence
/// them, in RESP3 or RESP2, nor the messages (Redis's pubsub.tcl).
/// Reads exactly `expected`: what arrives next on the connection.
fn receive(raw: &mut RawConn, expected: &[u8]) {
    assert_eq!(String::from_utf8_lossy(&raw.read_exact_len(expected.len())), String::from_utf8_lossy(expected));
}

#[test]
fn subscription_confirmations_arrive_while_replies_are_off() {
    let server = TestServer::start();
    let mut publisher = server.sync_conn();
    let mut resp3 = server.raw_resp3();
    resp3.command(&[b"CLIENT", b"REPLY", b"OFF"]);
    resp3.command(&[b"SUBSCRIBE", b"channel"]);
    receive(&mut resp3, b">3\r\n$9\r\nsubscribe\r\n$7\r\nchannel\r\n:1\r\n");
    resp3.command(&[b"PSUBSCRIBE", b"ch*"]);
    receive(&mut resp3, b">3\r\n$10\r\npsubscribe\r\n$3\r\nch*\r\n:2\r\n");
    assert_eq!(run::<i64>(&mut publisher, &["PUBLISH", "channel", "hello"]), 2);
    receive(&mut resp3, b">3\r\n$7\r\nmessage\r\n$7\r\nchannel\r\n$5\r\nhello\r\n");
    receive(&mut resp3, b">4\r\n$8\r\npmessage\r\n$3\r\nch*\r\n$7\r\nchannel\r\n$5\r\nhello\r\n");
    resp3.command(&[b"UNSUBSCRIBE", b"channel"]);
    receive(&mut resp3, b">3\r\n$11\r\nunsubscribe\r\n$7\r\nchannel\r\n:1\r\n");
    // Other replies stay silenced: PING answers nothing, CLIENT REPLY ON answers OK.
    resp3.command(&[b"PING"]);
    resp3.expect(&["CLIENT", "REPLY", "ON"], "+OK\r\n");

    let mut resp2 = server.raw();
    resp2.command(&[b"CLIENT", b"REPLY", b"SKIP"]);
    resp2.command(&[b"SUBSCRIBE", b"other"]);
    receive(&mut resp2, b"*3\r\n$9\r\nsubscribe\r\n$5\r\nother\r\n:1\r\n");
}

#[test]
fn unblock_with_timeout_or_error() {
    let server = TestServer::start();
    let mut blocked = server.raw();
    let id = client_id(&mut blocked);
    let mut c = server.sync_conn();

    blocked.command(&[b"BLPOP", b"l", b"0"]);
    wait_blocked(&server, &id);
    assert_eq!(run::<i64>(&mut c, &["CLIENT", "UNBLOCK", &id]), 1);
    assert_eq!(blocked.read_exact_len(5), b"*-1\r\n");
    assert_eq!(run::<i64>(&mut c, &["CLIENT", "UNBLOCK", &id]), 0, "not blocked any more");

    blocked.command(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"]);
    wait_blocked(&server, &id);
    assert_eq!(run::<i64>(&mut c, &["CLIENT", "UNBLOCK", &id, "ERROR"]), 1);
    let error = "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n";
    assert_eq!(String::from_utf8_lossy(&blocked.read_exact_len(error.len())), error);

    blocked.command(&[b"BLPOP", b"l", b"0"]);
    wait_blocked(&server, &id);
    assert_eq!(run::<i64>(&mut c, &["CLIENT", "UNBLOCK", &id, "error"]), 1);
    assert_eq!(String::from_utf8_lossy(&blocked.read_exact_len(error.len())), error);

    // RESP3: a timeout is a null; WAIT answers with the replicas that acknowledged.
    blocked.expect(&["HELLO", "3"], "");
    blocked.command(&[b"PING"]);
    while blocked.read_line() != "+PONG\r\n" {}
    blocked.command(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"]);
    wait_blocked(&server, &id);
    assert_eq!(run::<i64>(&mut c, &["CLIENT", "UNBLOCK", &id, "TIMEOUT"]), 1);
    assert_eq!(blocked.read_exact_len(3), b"_\r\n");
    blocked.command(&[b"WAIT", b"1", b"0"]);
    wait_blocked(&server, &id);
    assert_eq!(run::<i64>(&mut c, &["CLIENT", "UNBLOCK", &id]), 1);
    assert_eq!(blocked.read_exact_len(4), b":0\r\n");
    blocked.command(&[b"BZPOPMIN", b"z", b"0"]);
    wait_blocked(&server, &id);
    assert_eq!(run::<i64>(&mut c, &["CLIENT", "UNBLOCK", &id]), 1);
    assert_eq!(blocked.read_exact_len(3), b"_\r\n");
}

#[test]
fn unblock_arguments_and_clients_not_blocked() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let me: i64 = run(&mut c, &["CLIENT", "ID"]);
    assert_eq!(run::<i64>(&mut c, &["CLIENT", "UNBLOCK", &me.to_string()]), 0);
    assert_eq!(run::<i64>(&mut c, &["CLIENT", "UNBLOCK", "99999", "ERROR"]), 0);
    assert_eq!(
        fail(&mut c, &["CLIENT", "UNBLOCK", "1", "foo"]),
        "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    );
    assert_eq!(fail(&mut c, &["CLIENT", "UNBLOCK", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(
        fail(&mut c, &["CLIENT", "UNBLOCK", "1", "timeout", "x"]),
        "ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP."
    );
    // A client held by CLIENT PAUSE is not blocked in a command: left alone.
    let mut paused = server.raw();
    let id = client_id(&mut paused);
    run::<String>(&mut c, &["CLIENT", "PAUSE", "10000", "WRITE"]);
    paused.command(&[b"SET", b"a", b"1"]);
    assert_eq!(run::<i64>(&mut c, &["CLIENT", "UNBLOCK", &id]), 0);
    run::<String>(&mut c, &["CLIENT", "UNPAUSE"]);
    assert_eq!(paused.read_exact_len(5), b"+OK\r\n");
}
