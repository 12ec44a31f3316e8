#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, stderr, stdout};

#[test]
fn info_subcommand_is_pretty_and_info_command_is_raw() {
    let server = TestServer::start();
    server.run(&["set", "k", "v"]);
    let out = server.run(&["--no-raw", "info", "server", "keyspace"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("# Server\n"), "{text}");
    assert!(text.contains("\n\n# Keyspace\ndb0  keys=1,expires=0"), "{text}");
    let port_line = text.lines().find(|l| l.starts_with("tcp_port ")).unwrap();
    let version_line = text.lines().find(|l| l.starts_with("redis_version ")).unwrap();
    // Values of a section are aligned in one column.
    assert_eq!(port_line.rfind(' '), version_line.rfind(' '), "{text}");
    let json: serde_json::Value = serde_json::from_str(&stdout(&server.run(&["info", "keyspace", "--json"]))).unwrap();
    assert_eq!(json["keyspace"]["db0"], "keys=1,expires=0,avg_ttl=0");
    // Upper case (or `--`) sends the server's INFO command.
    let raw = stdout(&server.run(&["INFO", "keyspace"]));
    assert!(raw.contains("# Keyspace\r\ndb0:keys=1"), "{raw:?}");
    assert_eq!(stdout(&server.run(&["--", "info", "keyspace"])), raw);
}

#[test]
fn scan_lists_keys_by_pattern_and_type() {
    let server = TestServer::start();
    let script: String = (0..250).map(|i| format!("set user:{i} x\n")).collect();
    assert!(server.run_stdin(&[], script.as_bytes()).status.success());
    server.run(&["rpush", "user:list", "a"]);
    server.run(&["set", "other", "y"]);
    let out = server.run(&["scan", "--pattern", "user:*", "--count", "50"]);
    let text = stdout(&out);
    let mut keys: Vec<&str> = text.lines().collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 251, "SCAN may repeat keys but must return each one");
    assert!(!keys.contains(&"other"));
    let out = server.run(&["scan", "--type", "list"]);
    assert_eq!(stdout(&out), "user:list\n");
    let out = server.run(&["-n", "5", "scan"]);
    assert_eq!(stdout(&out), "");
}

#[test]
fn bigkeys_and_memkeys_report_the_biggest_per_type() {
    let server = TestServer::start();
    server.run(&["set", "small", "x"]);
    server.run(&["set", "large", "xxxxxxxxxx"]);
    server.run(&["rpush", "queue", "a", "b", "c"]);
    server.run(&["hset", "user", "name", "n", "age", "1"]);
    server.run(&["sadd", "tags", "t"]);
    server.run(&["zadd", "board", "1", "a", "2", "b"]);
    let out = server.run(&["bigkeys", "--count", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Sampled 6 keys in the keyspace!"), "{text}");
    assert!(text.contains("Biggest string found '\"large\"' has 10 bytes"), "{text}");
    assert!(text.contains("Biggest   list found '\"queue\"' has 3 items"), "{text}");
    assert!(text.contains("Biggest   hash found '\"user\"' has 2 fields"), "{text}");
    assert!(text.contains("Biggest    set found '\"tags\"' has 1 members"), "{text}");
    assert!(text.contains("Biggest   zset found '\"board\"' has 2 members"), "{text}");
    assert!(text.contains("2 string keys with 11 bytes (33.33% of keys, avg size 5.50)"), "{text}");
    // memkeys asks the server's MEMORY USAGE: a key's bytes include its overheads.
    let text = stdout(&server.run(&["memkeys"]));
    assert!(text.contains("(MEMORY USAGE)") && !text.contains("ESTIMATE"), "{text}");
    assert!(text.contains("Sampled 6 keys in the keyspace!"), "{text}");
    let large = text.lines().find(|l| l.starts_with("Biggest string found '\"large\"' has ")).unwrap_or_default();
    let bytes: u64 = large.split_whitespace().nth(5).and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(bytes > 10, "MEMORY USAGE counts more than the value: {text}");
}

#[test]
fn stat_and_latency_print_samples() {
    let server = TestServer::start();
    server.run(&["set", "a", "1"]);
    let out = server.run(&["stat", "--count", "2", "--every", "0.05"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "two header lines and two samples: {text}");
    assert!(lines[1].starts_with("keys") && lines[1].contains("ops/s"), "{text}");
    assert!(lines[2].starts_with("1 "), "one key: {text}");
    let out = server.run(&["latency", "--count", "20", "--pause-ms", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("min: ") && last.contains("p99: ") && last.ends_with("(20 samples)"), "{text}");
}

#[test]
fn shutdown_stops_the_server() {
    let mut server = TestServer::start();
    let out = server.run(&["shutdown", "--nosave"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(server.wait_exit().success());
    let out = server.run(&["ping"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Could not connect"), "{}", stderr(&out));
}

#[test]
fn subcommands_have_help_with_examples() {
    for sub in ["info", "stat", "latency", "bigkeys", "memkeys", "scan", "monitor", "shutdown"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_aegisr-cli")).args([sub, "--help"]).output().unwrap();
        assert!(out.status.success(), "{sub}");
        assert!(stdout(&out).contains(&format!("aegisr-cli {sub}")), "{sub}: {}", stdout(&out));
    }
}

#[test]
fn subscribe_prints_messages_until_its_count() {
    let server = TestServer::start();
    let child = server
        .cli()
        .args(["subscribe", "news", "--pattern", "alerts.*", "--count", "2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Publish until both subscriptions are live (PUBLISH replies how many received it).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while stdout(&server.run(&["pubsub", "numsub", "news"])) != "news\n1\n" {
        assert!(std::time::Instant::now() < deadline, "the subscription never appeared");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(stdout(&server.run(&["publish", "news", "hello"])), "1\n");
    assert_eq!(stdout(&server.run(&["publish", "alerts.fire", "run"])), "1\n");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Not a terminal: raw lines, as redis-cli prints them.
    assert_eq!(stdout(&out), "message\nnews\nhello\npmessage\nalerts.*\nalerts.fire\nrun\n");
}

#[test]
fn monitor_prints_commands_as_redis_cli_does() {
    let server = TestServer::start();
    let child = server
        .cli()
        .args(["monitor", "--count", "2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // CLIENT LIST is an admin command: it never shows on the monitor itself.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !stdout(&server.run(&["client", "list"])).contains(" flags=O ") {
        assert!(std::time::Instant::now() < deadline, "the monitor never appeared");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(server.run(&["set", "k", "a b\n"]).status.success());
    assert!(server.run(&["get", "k"]).status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], "OK");
    // `<seconds>.<micros> [<db> <address>] "arg" ...`
    for (line, command) in lines[1..].iter().zip([r#""set" "k" "a b\n""#, r#""get" "k""#]) {
        let (time, rest) = line.split_once(" [0 ").unwrap();
        assert!(time.split_once('.').is_some_and(|(s, us)| s.parse::<u64>().is_ok() && us.len() == 6), "{line}");
        assert!(rest.ends_with(&format!("] {command}")), "{line}");
    }
}
