//! MONITOR on the RESP door and the Admin.Monitor gRPC stream: every command another
//! client runs, as a Redis-formatted line, in order; a monitor that does not read is cut
//! off at its output buffer limit without harming anyone else.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fail, run, wait_until};

/// Splits `1700000000.123456 [0 127.0.0.1:5000] "set" "k"` into the time, the database,
/// the client address and the rest, checking the time's shape (seconds, a dot, six digits)
/// and that it is now, give or take a minute.
fn parse_line(line: &str) -> (u64, String, String) {
    let (time, rest) = line.split_once(' ').unwrap();
    let (secs, micros) = time.split_once('.').unwrap();
    assert_eq!(micros.len(), 6, "{line}");
    assert!(micros.bytes().all(|b| b.is_ascii_digit()), "{line}");
    let secs: i64 = secs.parse().unwrap();
    assert!((secs - common::now_ms() / 1000).abs() < 60, "{line}");
    let rest = rest.strip_prefix('[').unwrap();
    let (client, command) = rest.split_once("] ").unwrap();
    let (db, addr) = client.split_once(' ').unwrap();
    (db.parse().unwrap(), addr.to_owned(), command.to_owned())
}

/// The next monitor line from a raw connection, without its `+` and `\r\n`.
fn next_line(monitor: &mut common::RawConn) -> String {
    let line = monitor.read_line();
    line.strip_prefix('+')
        .and_then(|l| l.strip_suffix("\r\n"))
        .unwrap_or_else(|| panic!("not a line: {line:?}"))
        .to_owned()
}

fn monitors(con: &mut redis::Connection) -> usize {
    let list: String = run(con, &["CLIENT", "LIST"]);
    list.lines().filter(|l| l.contains(" flags=O ")).count()
}

#[test]
fn resp_monitor_sees_other_clients_commands_in_order() {
    let server = TestServer::start();
    let mut monitor = server.raw();
    monitor.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    monitor.expect(&["MONITOR"], "+OK\r\n");

    let mut client = server.raw();
    let addr = client.stream.local_addr().unwrap().to_string();
    client.expect(&["SET", "k", "v"], "+OK\r\n");
    client.expect(&["SELECT", "2"], "+OK\r\n");
    client.expect(&["set", "a b\x01\"", "\u{7f}\n\t"], "+OK\r\n");
    // A command that fails when it runs is shown; one refused before running is not.
    client
        .expect(&["LPUSH", "a b\x01\"", "x"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    client.expect(&["GET"], "-ERR wrong number of arguments for 'get' command\r\n");
    // Admin commands are never shown (Redis 7 hides CONFIG, DEBUG, CLIENT LIST...).
    client.command(&[b"CONFIG", b"GET", b"hz"]);
    client.read_exact_len(b"*2\r\n$2\r\nhz\r\n$2\r\n10\r\n".len());
    // The queued commands show when EXEC runs them, before EXEC.
    client.expect(&["MULTI"], "+OK\r\n");
    client.expect(&["INCR", "n"], "+QUEUED\r\n");
    client.expect(&["EXEC"], "*1\r\n:1\r\n");
    // Secrets are redacted.
    client.command(&[b"AUTH", b"user", b"secret"]);
    client.read_line();
    client.command(&[b"HELLO", b"2", b"AUTH", b"user", b"secret"]);
    client.read_line();

    let expected = [
        (0, r#""SET" "k" "v""#),
        (2, r#""SELECT" "2""#),
        (2, r#""set" "a b\x01\"" "\x7f\n\t""#),
        (2, r#""LPUSH" "a b\x01\"" "x""#),
        (2, r#""MULTI""#),
        (2, r#""INCR" "n""#),
        (2, r#""EXEC""#),
        (2, r#""AUTH" "(redacted)" "(redacted)""#),
        (2, r#""HELLO" "2" "AUTH" "(redacted)" "(redacted)""#),
    ];
    for (db, command) in expected {
        let line = next_line(&mut monitor);
        assert_eq!(parse_line(&line), (db, addr.clone(), command.to_owned()), "{line}");
    }
}

/// A script is shown before the commands it runs, and those as the `lua` client's (Redis
/// feeds EVAL and FCALL to MONITOR itself, before running them).
#[test]
fn scripts_show_before_their_commands_which_come_from_lua() {
    let server = TestServer::start();
    let mut monitor = server.raw();
    monitor.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    monitor.expect(&["MONITOR"], "+OK\r\n");
    let mut client = server.raw();
    let addr = client.stream.local_addr().unwrap().to_string();
    client.expect(&["EVAL", "redis.call('set', KEYS[1], ARGV[1])", "1", "foo", "bar"], "$-1\r\n");
    let library =
        "#!lua name=test\nredis.register_function('test', function() return redis.call('set', 'foo', 'bar') end)";
    client.expect(&["FUNCTION", "LOAD", "REPLACE", library], "$4\r\ntest\r\n");
    client.expect(&["FCALL", "test", "0"], "+OK\r\n");
    let expected = [
        (addr.as_str(), r#""EVAL" "redis.call('set', KEYS[1], ARGV[1])" "1" "foo" "bar""#.to_owned()),
        ("lua", r#""set" "foo" "bar""#.to_owned()),
        (addr.as_str(), format!(r#""FUNCTION" "LOAD" "REPLACE" "{}""#, library.replace('\n', "\\n"))),
        (addr.as_str(), r#""FCALL" "test" "0""#.to_owned()),
        ("lua", r#""set" "foo" "bar""#.to_owned()),
    ];
    for (from, command) in expected {
        let line = next_line(&mut monitor);
        assert_eq!(parse_line(&line), (0, from.to_owned(), command), "{line}");
    }
}

#[test]
fn a_monitor_may_not_touch_the_keyspace_until_reset() {
    let server = TestServer::start();
    let mut monitor = server.raw();
    monitor.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    monitor.expect(&["MONITOR"], "+OK\r\n");
    monitor.expect(&["GET", "k"], "-ERR Replica can't interact with the keyspace\r\n");
    monitor.expect(&["SET", "k", "v"], "-ERR Replica can't interact with the keyspace\r\n");
    monitor.expect(&["PUBLISH", "c", "m"], "-ERR Replica can't interact with the keyspace\r\n");
    // Other commands run, and are shown to the monitor itself after their reply.
    monitor.expect(&["PING"], "+PONG\r\n");
    let line = next_line(&mut monitor);
    assert!(line.ends_with(r#"] "PING""#), "{line}");
    // A second MONITOR is ignored without a reply; RESET ends monitoring.
    monitor.command(&[b"MONITOR"]);
    monitor.expect(&["RESET"], "+RESET\r\n");
    let mut con = server.sync_conn();
    assert_eq!(monitors(&mut con), 0);
    monitor.expect(&["SET", "k", "v"], "+OK\r\n");
    // MONITOR inside a transaction is refused when EXEC runs it, as in Redis.
    monitor.expect(&["MULTI"], "+OK\r\n");
    monitor.expect(&["MONITOR"], "+QUEUED\r\n");
    monitor.expect(&["EXEC"], "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n");
}

#[tokio::test]
async fn grpc_monitor_streams_the_lines() {
    let server = TestServer::start();
    let mut grpc = aegisr_proto::Client::connect(server.grpc_url()).await.unwrap();
    let mut stream = grpc.monitor().await.unwrap();
    let mut con = server.sync_conn();
    assert!(wait_until(Duration::from_secs(10), || monitors(&mut con) == 1));
    // Over the Data service, MONITOR itself is refused: a call wants one reply.
    let reply = grpc.execute(["MONITOR"]).await.unwrap();
    assert_eq!(
        reply.as_error().map(|e| e.message.as_str()),
        Some("ERR MONITOR isn't allowed for DENY BLOCKING client")
    );
    let mut raw = server.raw();
    let addr = raw.stream.local_addr().unwrap().to_string();
    raw.expect(&["SET", "from", "resp"], "+OK\r\n");
    raw.expect(&["GET", "from"], "$4\r\nresp\r\n");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let line = tokio::time::timeout(Duration::from_secs(10), stream.message()).await.unwrap().unwrap().unwrap();
        let (db, from, command) = parse_line(&line.line);
        // The other connections' commands (the redis crate's CLIENT SETINFO) show too.
        if from == addr {
            assert_eq!(db, 0);
            seen.push(command);
        }
    }
    assert_eq!(seen, [r#""SET" "from" "resp""#, r#""GET" "from""#]);
    drop(stream);
    // Waits on the test's runtime, which must run for the client to send the cancel.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while monitors(&mut con) != 0 {
        assert!(std::time::Instant::now() < deadline, "cancelling the stream did not detach the monitor");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn a_monitor_that_never_reads_is_cut_off_at_its_limit() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["CONFIG", "SET", "client-output-buffer-limit", "normal 256kb 0 0"]);
    let mut slow = server.raw();
    slow.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    slow.expect(&["MONITOR"], "+OK\r\n");
    // A monitor that reads, which must go on receiving.
    let mut good = server.raw();
    good.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    good.expect(&["MONITOR"], "+OK\r\n");
    assert_eq!(monitors(&mut con), 2);
    // 64 KB a line: the slow monitor's socket buffers fill, then its queue passes 256 KB.
    let value = "x".repeat(64 * 1024);
    let mut writes = 0;
    while monitors(&mut con) == 2 {
        assert!(writes < 5000, "the slow monitor was never cut off");
        for _ in 0..20 {
            let _: () = run(&mut con, &["SET", "big", &value]);
            writes += 1;
            // The good monitor keeps up.
            let line = next_line(&mut good);
            assert!(line.ends_with(&format!(r#""SET" "big" "{value}""#)));
        }
    }
    let _: () = run(&mut con, &["SET", "after", "1"]);
    assert_eq!(run::<String>(&mut con, &["GET", "after"]), "1");
    assert!(next_line(&mut good).ends_with(r#""SET" "after" "1""#));
    assert!(fail(&mut con, &["NOSUCH"]).contains("unknown command"));
    // The slow one was disconnected: what it reads ends.
    assert!(slow.is_closed());
}

#[tokio::test]
async fn a_grpc_monitor_that_never_reads_is_cut_off_at_its_limit() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["CONFIG", "SET", "client-output-buffer-limit", "normal 256kb 0 0"]);
    let mut grpc = aegisr_proto::Client::connect(server.grpc_url()).await.unwrap();
    // Opened, never read.
    let stream = grpc.monitor().await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while monitors(&mut con) != 1 {
        assert!(std::time::Instant::now() < deadline, "the monitor never appeared");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let value = "x".repeat(64 * 1024);
    let mut writes = 0;
    while monitors(&mut con) == 1 {
        assert!(writes < 5000, "the gRPC monitor was never cut off");
        for _ in 0..20 {
            let reply = grpc.execute(["SET", "big", value.as_str()]).await.unwrap();
            assert_eq!(reply.as_str(), Some("OK"));
            writes += 1;
        }
    }
    // Everyone else is fine.
    assert_eq!(grpc.execute(["GET", "big"]).await.unwrap().as_bulk().map(<[u8]>::len), Some(value.len()));
    // The monitor, reading at last, finds the lines that had reached it, then why it ended.
    let mut stream = stream;
    let mut lines = 0;
    let status = loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.message()).await.unwrap() {
            Ok(Some(_)) => lines += 1,
            Ok(None) => panic!("the stream ended without a status after {lines} lines"),
            Err(status) => break status,
        }
        assert!(lines <= writes, "more lines than commands");
    };
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
}
