#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, stderr, stdout};

#[test]
fn one_shot_commands_print_like_redis_cli() {
    let server = TestServer::start();
    let out = server.run(&["--no-raw", "SET", "greeting", "hello world"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "OK\n");
    assert_eq!(stdout(&server.run(&["--no-raw", "get", "greeting"])), "\"hello world\"\n");
    assert_eq!(stdout(&server.run(&["--no-raw", "get", "missing"])), "(nil)\n");
    assert_eq!(stdout(&server.run(&["--no-raw", "incr", "n"])), "(integer) 1\n");
    server.run(&["rpush", "list", "a", "b\nc"]);
    assert_eq!(stdout(&server.run(&["--no-raw", "lrange", "list", "0", "-1"])), "1) \"a\"\n2) \"b\\nc\"\n");
    // Arguments that look like flags after the command belong to the command.
    assert_eq!(stdout(&server.run(&["--no-raw", "incrby", "n", "-5"])), "(integer) -4\n");
}

#[test]
fn output_is_raw_when_piped_and_json_or_csv_on_request() {
    let server = TestServer::start();
    server.run(&["hset", "h", "f1", "v1", "f2", "2"]);
    // stdout is a pipe here, so the default is --raw, as in redis-cli.
    assert_eq!(stdout(&server.run(&["hgetall", "h"])), "f1 v1\nf2 2\n");
    assert_eq!(stdout(&server.run(&["--raw", "get", "missing"])), "\n");
    assert_eq!(stdout(&server.run(&["--json", "hgetall", "h"])), "{\"f1\":\"v1\",\"f2\":\"2\"}\n");
    assert_eq!(stdout(&server.run(&["--csv", "hgetall", "h"])), "\"f1\",\"v1\",\"f2\",\"2\"\n");
    server.run(&["zadd", "z", "1.5", "m", "2", "n"]);
    let json = stdout(&server.run(&["--json", "zrange", "z", "0", "-1", "withscores"]));
    assert_eq!(json, "[[\"m\",1.5],[\"n\",2]]\n");
    assert_eq!(stdout(&server.run(&["--json", "get", "missing"])), "null\n");
    // No colours when stdout is not a terminal.
    let out = server.run(&["--no-raw", "nosuchcommand"]);
    assert!(!stdout(&out).contains('\u{1b}'), "{:?}", stdout(&out));
}

#[test]
fn error_replies_exit_non_zero() {
    let server = TestServer::start();
    server.run(&["set", "s", "x"]);
    let out = server.run(&["--no-raw", "lpush", "s", "y"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "(error) WRONGTYPE Operation against a key holding the wrong kind of value\n");
    let out = server.run(&["--json", "nosuchcommand"]);
    assert_eq!(out.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(value["error"].as_str().unwrap().starts_with("ERR unknown command"), "{value}");
}

#[test]
fn database_option_and_repeat() {
    let server = TestServer::start();
    server.run(&["-n", "3", "set", "k", "in3"]);
    assert_eq!(stdout(&server.run(&["-n", "3", "get", "k"])), "in3\n");
    assert_eq!(stdout(&server.run(&["get", "k"])), "\n");
    let out = server.run(&["-n", "99", "get", "k"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("DB index is out of range"), "{}", stderr(&out));
    let out = server.run(&["-r", "3", "-i", "0.01", "incr", "counter"]);
    assert_eq!(stdout(&out), "1\n2\n3\n");
}

#[test]
fn commands_from_stdin_one_per_line() {
    let server = TestServer::start();
    let input = b"set a 1\nincr a\n\nget \"a\"\nset q \"two\nlines\"\nget q\nlpush a x\nget a\n";
    let out = server.run_stdin(&["--no-raw"], input);
    assert_eq!(
        stdout(&out),
        "OK\n(integer) 2\n\"2\"\nOK\n\"two\\nlines\"\n\
         (error) WRONGTYPE Operation against a key holding the wrong kind of value\n\"2\"\n"
    );
    assert_eq!(out.status.code(), Some(1), "an error reply makes the exit status 1");
    let out = server.run_stdin(&[], b"set x 1\nset x 'unbalanced\n");
    assert_eq!(stdout(&out), "OK\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("line 2: Invalid argument(s)"), "{}", stderr(&out));
    // SELECT persists within the run: it is one session.
    let out = server.run_stdin(&[], b"select 4\nset k v4\nget k\n");
    assert_eq!(stdout(&out), "OK\nOK\nv4\n");
    assert_eq!(stdout(&server.run(&["-n", "4", "get", "k"])), "v4\n");
}

#[test]
fn multi_exec_works_on_the_session() {
    let server = TestServer::start();
    let out = server.run_stdin(&["--no-raw"], b"multi\nincr t\nincr t\nexec\n");
    assert_eq!(stdout(&out), "OK\nQUEUED\nQUEUED\n1) (integer) 1\n2) (integer) 2\n");
}

#[test]
fn help_comes_from_the_server_table() {
    let server = TestServer::start();
    let out = server.run(&["help", "get"]);
    assert!(stdout(&out).contains("\n  GET key\n  summary: Get the value of a key\n"), "{}", stdout(&out));
    let out = server.run(&["help", "@string"]);
    assert!(stdout(&out).contains("  SET key value"), "{}", stdout(&out));
}

#[test]
fn connection_errors_name_the_address() {
    let port = {
        // On an address no other test binds: a server of a parallel test cannot take the port.
        let listener = std::net::TcpListener::bind("127.0.0.77:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aegisr-cli"))
        .args(["-h", "127.0.0.77", "-p", &port.to_string(), "ping"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains(&format!("127.0.0.77:{port}")) && message.contains("--grpc-port"), "{message}");
}

#[test]
fn usage_errors_and_help() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aegisr-cli")).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("-h, --host <HOST>"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aegisr-cli"))
        .args(["--raw", "--json", "get", "k"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_subcommand_used_like_a_server_command_gets_a_tip() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aegisr-cli")).args(["scan", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(message.contains("write it in upper case (`aegisr-cli SCAN ...`)"), "{message}");
}
