//! Blocking list commands (BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP) through real clients: served
//! at once when they can be, parked until a push otherwise, timeouts, errors, and a client
//! that leaves while blocked losing nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, fail, run, wait_until};
use redis::Value;

/// Waits until the server reports `n` blocked clients.
fn wait_blocked(server: &TestServer, n: usize) {
    let mut con = server.sync_conn();
    let want = format!("blocked_clients:{n}\r\n");
    assert!(
        wait_until(Duration::from_secs(10), || run::<String>(&mut con, &["INFO", "clients"]).contains(&want)),
        "never saw {n} blocked clients"
    );
}

#[test]
fn served_at_once_when_an_element_is_there() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["RPUSH", "b", "x", "y"]);
    // The first non-empty key in argument order is served.
    let got: Vec<String> = run(&mut c, &["BLPOP", "a", "b", "0"]);
    assert_eq!(got, ["b", "x"]);
    let got: Vec<String> = run(&mut c, &["BRPOP", "a", "b", "1"]);
    assert_eq!(got, ["b", "y"]);
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "b"]), 0, "an emptied list is deleted");
    run::<i64>(&mut c, &["RPUSH", "src", "1", "2", "3"]);
    assert_eq!(run::<String>(&mut c, &["BRPOPLPUSH", "src", "dst", "0"]), "3");
    assert_eq!(run::<String>(&mut c, &["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]), "1");
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "dst", "0", "-1"]), ["3", "1"]);
    let got: Value = run(&mut c, &["BLMPOP", "0", "2", "nothing", "dst", "RIGHT", "COUNT", "5"]);
    assert_eq!(
        got,
        Value::Array(vec![
            Value::BulkString(b"dst".to_vec()),
            Value::Array(vec![Value::BulkString(b"1".to_vec()), Value::BulkString(b"3".to_vec())])
        ])
    );
}

#[test]
fn timeouts_reply_null_after_the_wait() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let started = Instant::now();
    raw.send(b"BLPOP missing 0.2\r\n");
    assert_eq!(raw.read_line(), "*-1\r\n");
    assert!(started.elapsed() >= Duration::from_millis(200), "returned after {:?}", started.elapsed());
    // Redis answers a timed-out BLMOVE (and BRPOPLPUSH) with a null array in RESP2, like
    // every blocked list command, though it serves a bulk string.
    raw.send(b"BLMOVE missing dst LEFT LEFT 0.05\r\n");
    assert_eq!(raw.read_line(), "*-1\r\n");
    raw.send(b"BRPOPLPUSH missing dst 0.05\r\n");
    assert_eq!(raw.read_line(), "*-1\r\n");
    raw.send(b"BLMPOP 0.05 1 missing LEFT\r\n");
    assert_eq!(raw.read_line(), "*-1\r\n");
    // RESP3: null.
    raw.send(b"HELLO 3\r\n");
    while raw.read_line() != "*0\r\n" {}
    raw.send(b"BRPOP missing 0.05\r\n");
    assert_eq!(raw.read_line(), "_\r\n");
}

#[test]
fn a_push_wakes_the_blocked_client() {
    let server = TestServer::start();
    let mut blocked = server.raw();
    // The PING behind the BLPOP waits its turn.
    blocked.send(b"BLPOP queue other 0\r\nPING\r\n");
    wait_blocked(&server, 1);
    let mut c = server.sync_conn();
    assert_eq!(run::<i64>(&mut c, &["RPUSH", "queue", "job-1"]), 1);
    assert_eq!(blocked.read_line(), "*2\r\n");
    assert_eq!(blocked.read_line(), "$5\r\n");
    assert_eq!(blocked.read_line(), "queue\r\n");
    assert_eq!(blocked.read_line(), "$5\r\n");
    assert_eq!(blocked.read_line(), "job-1\r\n");
    assert_eq!(blocked.read_line(), "+PONG\r\n");
    wait_blocked(&server, 0);
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "queue"]), 0, "the element went to the blocked client");
}

#[test]
fn blmove_and_blmpop_are_woken_too() {
    let server = TestServer::start();
    let mut mover = server.raw();
    mover.send(b"BLMOVE src dst RIGHT LEFT 0\r\n");
    let mut popper = server.raw();
    popper.send(b"BLMPOP 0 2 a b LEFT COUNT 2\r\n");
    wait_blocked(&server, 2);
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["RPUSH", "src", "v"]);
    assert_eq!(mover.read_line(), "$1\r\n");
    assert_eq!(mover.read_line(), "v\r\n");
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "dst", "0", "-1"]), ["v"]);
    run::<i64>(&mut c, &["RPUSH", "b", "1", "2", "3"]);
    let reply: Vec<String> = (0..8).map(|_| popper.read_line()).collect();
    assert_eq!(reply.concat(), "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "b", "0", "-1"]), ["3"]);
}

#[test]
fn every_blocked_client_is_served_once() {
    let server = TestServer::start();
    let mut clients: Vec<_> = (0..3).map(|_| server.raw()).collect();
    for client in &mut clients {
        client.send(b"BRPOP jobs 0\r\n");
    }
    wait_blocked(&server, 3);
    let mut c = server.sync_conn();
    for i in 0..3 {
        run::<i64>(&mut c, &["LPUSH", "jobs", &format!("j{i}")]);
    }
    let mut got: Vec<String> = clients
        .iter_mut()
        .map(|client| {
            assert_eq!(client.read_line(), "*2\r\n");
            (0..4).map(|_| client.read_line()).collect::<String>()
        })
        .collect();
    got.sort();
    assert_eq!(got, ["$4\r\njobs\r\n$2\r\nj0\r\n", "$4\r\njobs\r\n$2\r\nj1\r\n", "$4\r\njobs\r\n$2\r\nj2\r\n"]);
}

#[test]
fn a_client_that_leaves_while_blocked_takes_nothing() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"BLPOP q 0\r\n");
    wait_blocked(&server, 1);
    raw.stream.shutdown(std::net::Shutdown::Both).unwrap();
    drop(raw);
    wait_blocked(&server, 0);
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["RPUSH", "q", "kept"]);
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "q", "0", "-1"]), ["kept"]);
}

#[test]
fn bad_timeouts_and_wrong_types() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    assert_eq!(fail(&mut c, &["BLPOP", "k", "-1"]), "ERR timeout is negative");
    assert_eq!(fail(&mut c, &["BLPOP", "k", "soon"]), "ERR timeout is not a float or out of range");
    assert_eq!(fail(&mut c, &["BLPOP", "k", " 1"]), "ERR timeout is not a float or out of range");
    // Redis 7.2 reads a long double: infinity, and what only overflows an f64, are numbers
    // too large for a timeout.
    assert_eq!(fail(&mut c, &["BLPOP", "k", "inf"]), "ERR timeout is out of range");
    assert_eq!(fail(&mut c, &["BLPOP", "k", "1e400"]), "ERR timeout is out of range");
    assert_eq!(fail(&mut c, &["BLPOP", "k", "-inf"]), "ERR timeout is negative");
    // A hex float is a number to strtold (0x1p-4: 62.5 ms).
    assert_eq!(run::<Option<Vec<String>>>(&mut c, &["BLPOP", "k", "0x1p-4"]), None);
    assert_eq!(fail(&mut c, &["BLMOVE", "a", "b", "UP", "LEFT", "0"]), "ERR syntax error");
    assert_eq!(fail(&mut c, &["BLMPOP", "0", "0", "k", "LEFT"]), "ERR numkeys should be greater than 0");
    run::<()>(&mut c, &["SET", "s", "v"]);
    assert!(fail(&mut c, &["BLPOP", "s", "0"]).starts_with("WRONGTYPE"));
    assert!(fail(&mut c, &["BRPOPLPUSH", "s", "d", "0"]).starts_with("WRONGTYPE"));
    let info: Vec<Value> = run(&mut c, &["COMMAND", "INFO", "blpop"]);
    let Value::Array(blpop) = &info[0] else { panic!("{info:?}") };
    assert_eq!((&blpop[1], &blpop[3], &blpop[4]), (&Value::Int(-3), &Value::Int(1), &Value::Int(-2)));
}

#[tokio::test]
async fn grpc_calls_block_too() {
    let server = TestServer::start();
    let mut grpc = aegisr_proto::Client::connect(server.grpc_url()).await.unwrap();
    let waiting = tokio::spawn(async move { grpc.execute(["BLPOP", "g", "10"]).await.unwrap() });
    tokio::task::spawn_blocking({
        let url = server.url();
        move || {
            let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
            let want = "blocked_clients:1\r\n";
            assert!(wait_until(Duration::from_secs(10), || run::<String>(&mut c, &["INFO", "clients"]).contains(want)));
            run::<i64>(&mut c, &["RPUSH", "g", "hello"]);
        }
    })
    .await
    .unwrap();
    let reply = waiting.await.unwrap();
    let items = reply.as_array().unwrap();
    assert_eq!(items[1].as_bulk(), Some(&b"hello"[..]));
}

#[test]
fn sorted_set_pops_block_too() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["ZADD", "z", "1", "a", "2", "b"]);
    assert_eq!(run::<Vec<String>>(&mut c, &["BZPOPMIN", "none", "z", "0"]), ["z", "a", "1"]);
    assert_eq!(run::<Vec<String>>(&mut c, &["BZPOPMAX", "z", "0"]), ["z", "b", "2"]);
    let mut raw = server.raw();
    raw.send(b"BZPOPMIN z 0.05\r\n");
    assert_eq!(raw.read_line(), "*-1\r\n");
    raw.send(b"BZMPOP 0 1 z MAX COUNT 2\r\n");
    wait_blocked(&server, 1);
    run::<i64>(&mut c, &["ZADD", "z", "5", "x", "7", "y", "1", "w"]);
    let reply: String = (0..14).map(|_| raw.read_line()).collect();
    assert_eq!(reply, "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\ny\r\n$1\r\n7\r\n*2\r\n$1\r\nx\r\n$1\r\n5\r\n");
    assert_eq!(run::<Vec<String>>(&mut c, &["ZRANGE", "z", "0", "-1"]), ["w"]);
}

#[test]
fn blocked_clients_are_served_first_come_first_served() {
    let server = TestServer::start();
    let clients: Vec<_> = (0..3)
        .map(|i| {
            let mut con = server.sync_conn();
            let handle = std::thread::spawn(move || {
                let got: (String, String) = run(&mut con, &["BLPOP", "queue", "0"]);
                got.1
            });
            // Each blocks only after the previous one, so the order is known.
            wait_blocked(&server, i + 1);
            handle
        })
        .collect();
    let mut c = server.sync_conn();
    assert_eq!(run::<i64>(&mut c, &["RPUSH", "queue", "first", "second", "third"]), 3);
    let served: Vec<String> = clients.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(served, ["first", "second", "third"]);

    // One element at a time: the oldest waiter gets each.
    let clients: Vec<_> = (0..3)
        .map(|i| {
            let mut con = server.sync_conn();
            let handle = std::thread::spawn(move || run::<(String, String)>(&mut con, &["BRPOP", "q2", "0"]).1);
            wait_blocked(&server, i + 1);
            handle
        })
        .collect();
    for (i, handle) in clients.into_iter().enumerate() {
        run::<i64>(&mut c, &["LPUSH", "q2", &format!("item{i}")]);
        assert_eq!(handle.join().unwrap(), format!("item{i}"));
    }
}

/// Redis's list.tcl and zset.tcl "LPUSH + DEL + SET should not awake blocked client": a key
/// filled and then replaced by another kind within one transaction leaves the client
/// blocked (no WRONGTYPE); the next push of the right kind serves it.
#[test]
fn a_key_retyped_before_the_wake_up_leaves_the_client_blocked() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    for (block, push, reply) in [
        ("BLPOP list 0", ["LPUSH", "list", "b"], ["*2\r\n", "$4\r\n", "list\r\n", "$1\r\n", "b\r\n"]),
        ("BZPOPMIN list 0", ["ZADD", "list", "1"], ["*3\r\n", "$4\r\n", "list\r\n", "$1\r\n", "b\r\n"]),
    ] {
        let mut blocked = server.raw();
        blocked.send(format!("{block}\r\n").as_bytes());
        wait_blocked(&server, 1);
        let fill: Vec<&str> =
            if push[0] == "ZADD" { vec!["ZADD", "list", "1", "a"] } else { vec!["LPUSH", "list", "a"] };
        let replies: Vec<Value> = redis::pipe()
            .atomic()
            .cmd(fill[0])
            .arg(&fill[1..])
            .cmd("DEL")
            .arg("list")
            .cmd("SET")
            .arg("list")
            .arg("foo")
            .query(&mut c)
            .unwrap();
        assert_eq!(replies.len(), 3);
        // Still blocked once the transaction's wake-up has been handled.
        assert_eq!(run::<String>(&mut c, &["PING"]), "PONG");
        wait_blocked(&server, 1);
        assert_eq!(run::<i64>(&mut c, &["DEL", "list"]), 1);
        let mut args = push.to_vec();
        if args[0] == "ZADD" {
            args.push("b");
        }
        let _: i64 = run(&mut c, &args);
        for line in reply {
            assert_eq!(blocked.read_line(), line, "{block}");
        }
        wait_blocked(&server, 0);
    }
}

/// Redis's "Linked LMOVEs", "Circular BRPOPLPUSH" and a pipeline: the clients a push wakes,
/// and those they wake in turn, are served before the push replies and before the pushing
/// client's next command runs (Redis's handleClientsBlockedOnKeys after each command).
#[test]
fn woken_clients_are_served_before_the_push_replies() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let mut rd1 = server.sync_conn();
    let mut rd2 = server.sync_conn();
    let first =
        std::thread::spawn(move || run::<String>(&mut rd1, &["BLMOVE", "l1{t}", "l2{t}", "RIGHT", "LEFT", "0"]));
    wait_blocked(&server, 1);
    let second =
        std::thread::spawn(move || run::<String>(&mut rd2, &["BLMOVE", "l2{t}", "l3{t}", "LEFT", "RIGHT", "0"]));
    wait_blocked(&server, 2);
    assert_eq!(run::<i64>(&mut c, &["RPUSH", "l1{t}", "foo"]), 1);
    // No waiting here: the chain has run when RPUSH replied.
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "l1{t}", "0", "-1"]), Vec::<String>::new());
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "l2{t}", "0", "-1"]), Vec::<String>::new());
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "l3{t}", "0", "-1"]), ["foo"]);
    assert_eq!(first.join().unwrap(), "foo");
    assert_eq!(second.join().unwrap(), "foo");

    // Circular: each moves into the other's list; the element ends where the second put it.
    let mut rd1 = server.sync_conn();
    let mut rd2 = server.sync_conn();
    let first = std::thread::spawn(move || run::<String>(&mut rd1, &["BRPOPLPUSH", "c1{t}", "c2{t}", "0"]));
    wait_blocked(&server, 1);
    let second = std::thread::spawn(move || run::<String>(&mut rd2, &["BRPOPLPUSH", "c2{t}", "c1{t}", "0"]));
    wait_blocked(&server, 2);
    run::<i64>(&mut c, &["RPUSH", "c1{t}", "foo"]);
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "c1{t}", "0", "-1"]), ["foo"]);
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "c2{t}", "0", "-1"]), Vec::<String>::new());
    assert_eq!(first.join().unwrap(), "foo");
    assert_eq!(second.join().unwrap(), "foo");

    // A pipeline: the blocked client is served between the push and the next command.
    let mut rd = server.sync_conn();
    let popped = std::thread::spawn(move || run::<(String, String)>(&mut rd, &["BLPOP", "p", "0"]).1);
    wait_blocked(&server, 1);
    let (pushed, len): (i64, i64) =
        redis::pipe().cmd("RPUSH").arg("p").arg("x").cmd("LLEN").arg("p").query(&mut c).unwrap();
    assert_eq!((pushed, len), (1, 0), "the element was taken before LLEN ran");
    assert_eq!(popped.join().unwrap(), "x");

    // A BLMOVE from a list to itself wakes its own waker: it must not wait for itself.
    let mut rd = server.sync_conn();
    let rotated = std::thread::spawn(move || run::<String>(&mut rd, &["BLMOVE", "r", "r", "LEFT", "RIGHT", "0"]));
    wait_blocked(&server, 1);
    run::<i64>(&mut c, &["RPUSH", "r", "a"]);
    assert_eq!(rotated.join().unwrap(), "a");
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "r", "0", "-1"]), ["a"]);
}
