//! The RESP door under load and abuse: pipelining, many clients, inline commands, and every
//! kind of malformed input. Bad input gets Redis's error and a close; nobody else notices.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::time::Duration;

use common::TestServer;

fn rss_of(server: &TestServer) -> u64 {
    let statm = std::fs::read_to_string(format!("/proc/{}/statm", server.pid())).unwrap();
    statm.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 4096
}

#[test]
fn ten_thousand_pipelined_commands_in_one_write() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let mut batch = Vec::new();
    for i in 0..10_000 {
        let key = format!("key:{i}");
        let val = format!("v{i}");
        batch.extend_from_slice(
            format!("*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{val}\r\n", key.len(), val.len()).as_bytes(),
        );
    }
    for i in 0..10_000 {
        let key = format!("key:{i}");
        batch.extend_from_slice(format!("*2\r\n$3\r\nGET\r\n${}\r\n{key}\r\n", key.len()).as_bytes());
    }
    raw.send(&batch);
    let oks = raw.read_exact_len(5 * 10_000);
    assert!(oks.chunks(5).all(|c| c == b"+OK\r\n"));
    for i in 0..10_000 {
        let val = format!("v{i}");
        assert_eq!(raw.read_line(), format!("${}\r\n", val.len()));
        assert_eq!(raw.read_line(), format!("{val}\r\n"), "reply {i} out of order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_clients() {
    let server = TestServer::start();
    let client = server.client();
    let mut tasks = Vec::new();
    for c in 0..200 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut con = common::connect(&client).await;
            for i in 0..50 {
                let key = format!("c{c}:k{i}");
                let _: () = redis::cmd("SET").arg(&key).arg(i).query_async(&mut con).await.unwrap();
                let n: i64 = redis::cmd("INCR").arg(&key).query_async(&mut con).await.unwrap();
                assert_eq!(n, i + 1);
            }
            let _: () = redis::cmd("INCR").arg("shared").query_async(&mut con).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut con = server.conn().await;
    let shared: i64 = redis::cmd("GET").arg("shared").query_async(&mut con).await.unwrap();
    assert_eq!(shared, 200, "INCR must be atomic across clients");
    let size: i64 = redis::cmd("DBSIZE").query_async(&mut con).await.unwrap();
    assert_eq!(size, 200 * 50 + 1);
}

#[test]
fn inline_commands_work() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"PING\r\nSET greeting \"hello world\"\r\nGET greeting\n\r\nECHO 'it\\'s'\r\n");
    assert_eq!(raw.read_line(), "+PONG\r\n");
    assert_eq!(raw.read_line(), "+OK\r\n");
    assert_eq!(raw.read_line(), "$11\r\n");
    assert_eq!(raw.read_line(), "hello world\r\n");
    assert_eq!(raw.read_line(), "$4\r\n");
    assert_eq!(raw.read_line(), "it's\r\n");
}

/// Sends `input` on a fresh connection and expects `error` then a close; then checks that
/// a client connected all along still works.
fn assert_protocol_error(server: &TestServer, bystander: &mut redis::Connection, input: &[u8], error: &str) {
    let mut raw = server.raw();
    raw.send(input);
    assert_eq!(
        raw.read_line(),
        format!("-ERR Protocol error: {error}\r\n"),
        "for input {:?}",
        String::from_utf8_lossy(&input[..input.len().min(40)])
    );
    assert!(raw.is_closed(), "connection must be closed after a protocol error");
    assert_eq!(redis::cmd("PING").query::<String>(bystander).unwrap(), "PONG");
}

#[test]
fn malformed_frames_get_protocol_errors_and_nobody_else_notices() {
    let server = TestServer::start();
    let mut bystander = server.sync_conn();
    assert_protocol_error(&server, &mut bystander, b"*1\r\n+PING\r\n", "expected '$', got '+'");
    assert_protocol_error(&server, &mut bystander, b"*1\r\n$-3\r\n", "invalid bulk length");
    assert_protocol_error(&server, &mut bystander, b"*1\r\n$abc\r\n", "invalid bulk length");
    assert_protocol_error(&server, &mut bystander, b"*1\r\n$536870913\r\n", "invalid bulk length");
    assert_protocol_error(&server, &mut bystander, b"*-\r\n", "invalid multibulk length");
    assert_protocol_error(&server, &mut bystander, b"*2147483648\r\n", "invalid multibulk length");
    assert_protocol_error(&server, &mut bystander, b"SET k \"unterminated\r\n", "unbalanced quotes in request");
    let mut long = vec![b'*'];
    long.extend(std::iter::repeat_n(b'9', 70 * 1024));
    assert_protocol_error(&server, &mut bystander, &long, "too big mbulk count string");
    let inline = vec![b'a'; 70 * 1024];
    assert_protocol_error(&server, &mut bystander, &inline, "too big inline request");
}

#[test]
fn claimed_lengths_do_not_allocate() {
    let server = TestServer::start();
    let mut bystander = server.sync_conn();
    let before = rss_of(&server);
    // Claim 2^31-1 arguments and a 500 MB bulk, send a few bytes, and hold the connections.
    let mut huge_count = server.raw();
    huge_count.send(b"*2147483647\r\n$3\r\nSET\r\n");
    let mut huge_bulk = server.raw();
    huge_bulk.send(b"*2\r\n$3\r\nGET\r\n$524288000\r\nabc");
    assert_eq!(redis::cmd("PING").query::<String>(&mut bystander).unwrap(), "PONG");
    let after = rss_of(&server);
    assert!(after < before + 32 * 1024 * 1024, "RSS grew from {before} to {after}");
}

#[test]
fn truncated_frame_then_close_leaves_the_server_healthy() {
    let server = TestServer::start();
    for input in [&b"*3\r\n$3\r\nSET\r\n$1\r\nk"[..], b"*2\r\n$3\r\nGET", b"$5\r\nhel", b"*1\r\n$4\r\nPI"] {
        let mut raw = server.raw();
        raw.send(input);
        raw.stream.shutdown(std::net::Shutdown::Both).unwrap();
    }
    let mut con = server.sync_conn();
    assert_eq!(redis::cmd("PING").query::<String>(&mut con).unwrap(), "PONG");
    assert_eq!(redis::cmd("EXISTS").arg("k").query::<i64>(&mut con).unwrap(), 0);
}

#[test]
fn command_errors_keep_the_connection_open() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let err = redis::cmd("NOSUCHCMD").arg("a").arg("b").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b'"), "{err}");
    let err = redis::cmd("GET").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("wrong number of arguments for 'get' command"), "{err}");
    let _: () = redis::cmd("SET").arg("n").arg("abc").query(&mut con).unwrap();
    let err = redis::cmd("INCR").arg("n").query::<i64>(&mut con).unwrap_err();
    assert!(err.to_string().contains("value is not an integer or out of range"), "{err}");
    let _: () = redis::cmd("SET").arg("n").arg(i64::MAX).query(&mut con).unwrap();
    let err = redis::cmd("INCRBY").arg("n").arg(1).query::<i64>(&mut con).unwrap_err();
    assert!(err.to_string().contains("increment or decrement would overflow"), "{err}");
    assert_eq!(redis::cmd("PING").query::<String>(&mut con).unwrap(), "PONG");
}

#[test]
fn a_big_value_round_trips_in_pieces() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let value = vec![b'x'; 8 * 1024 * 1024];
    let _: () = redis::cmd("SET").arg("big").arg(&value).query(&mut con).unwrap();
    let back: Vec<u8> = redis::cmd("GET").arg("big").query(&mut con).unwrap();
    assert_eq!(back.len(), value.len());
    // The same through a raw socket, written a byte at a time for the header.
    let mut raw = server.raw();
    for b in b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" {
        raw.stream.write_all(&[*b]).unwrap();
        raw.stream.flush().unwrap();
    }
    assert_eq!(raw.read_line(), format!("${}\r\n", value.len()));
    raw.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(raw.read_exact_len(value.len() + 2).len(), value.len() + 2);
}
