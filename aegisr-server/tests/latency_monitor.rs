//! The latency monitor: LATENCY LATEST / HISTORY / RESET / DOCTOR over events recorded
//! while `latency-monitor-threshold` is set, DEBUG SLEEP to make a slow command, and the
//! expire and eviction cycle events.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fail, run, wait_until};
use redis::Value;

/// A server that accepts DEBUG from loopback clients (a config file, as in Redis the
/// option cannot be changed at run time).
fn debug_server(extra: &[&str]) -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aegisr.toml");
    std::fs::write(&path, "enable-debug-command = \"local\"\n").unwrap();
    let mut args = vec!["--config", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    (TestServer::start_with(&args), dir)
}

fn int(value: &Value) -> i64 {
    match value {
        Value::Int(n) => *n,
        other => panic!("not an integer: {other:?}"),
    }
}

/// LATENCY LATEST as `(event, time, latest ms, max ms)`.
fn latest(con: &mut redis::Connection) -> Vec<(String, i64, i64, i64)> {
    let rows: Vec<Vec<Value>> = run(con, &["LATENCY", "LATEST"]);
    rows.iter()
        .map(|row| {
            let Value::BulkString(name) = &row[0] else { panic!("{row:?}") };
            (String::from_utf8(name.clone()).unwrap(), int(&row[1]), int(&row[2]), int(&row[3]))
        })
        .collect()
}

#[test]
fn debug_is_refused_unless_enabled() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(
        fail(&mut con, &["DEBUG", "SLEEP", "0"]),
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
    );
    assert!(fail(&mut con, &["CONFIG", "SET", "enable-debug-command", "yes"]).contains("can't set immutable config"));
}

#[test]
fn slow_commands_are_recorded_once_the_threshold_is_set() {
    let (server, _dir) = debug_server(&[]);
    let mut con = server.sync_conn();
    let threshold: Vec<String> = run(&mut con, &["CONFIG", "GET", "latency-monitor-threshold"]);
    assert_eq!(threshold, ["latency-monitor-threshold", "0"]);
    // Off by default: nothing is recorded, and the doctor says how to turn it on.
    let _: () = run(&mut con, &["DEBUG", "SLEEP", "0.02"]);
    assert!(latest(&mut con).is_empty());
    assert!(run::<String>(&mut con, &["LATENCY", "DOCTOR"]).starts_with("I'm sorry, Dave, I can't do that."));

    let _: () = run(&mut con, &["CONFIG", "SET", "latency-monitor-threshold", "1"]);
    assert!(run::<String>(&mut con, &["LATENCY", "DOCTOR"]).starts_with("Dave, no latency spike was observed"));
    let before = common::now_ms() / 1000;
    let _: () = run(&mut con, &["DEBUG", "SLEEP", "0.02"]);
    let _: () = run(&mut con, &["DEBUG", "SLEEP", "0.03"]);
    let after = common::now_ms() / 1000;
    let rows = latest(&mut con);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (event, time, ms, max) = rows[0].clone();
    assert_eq!(event, "command");
    assert!((before..=after).contains(&time), "{time} not in {before}..={after}");
    assert!(ms >= 30 && max >= 30 && ms < 1000, "{rows:?}");
    // One sample a second at most, holding that second's largest.
    let history: Vec<(i64, i64)> = run(&mut con, &["LATENCY", "HISTORY", "command"]);
    assert!((1..=2).contains(&history.len()), "{history:?}");
    assert_eq!(history.last().unwrap(), &(time, ms));
    assert!(history.iter().all(|&(t, _)| (before..=after).contains(&t)));
    assert!(run::<Vec<(i64, i64)>>(&mut con, &["LATENCY", "HISTORY", "nosuch"]).is_empty());
    let doctor: String = run(&mut con, &["LATENCY", "DOCTOR"]);
    assert!(doctor.contains("1. command: "), "{doctor}");
    // LATENCY GRAPH: Redis's header, an 80-column rule, the sparkline's four rows of one
    // column per sample, a blank row, and each sample's age written downwards.
    let graph: String = run(&mut con, &["LATENCY", "GRAPH", "command"]);
    let lines: Vec<&str> = graph.lines().collect();
    let all_time = history.iter().map(|&(_, ms)| ms).max().unwrap();
    assert!(
        lines[0].starts_with("command - high ") && lines[0].ends_with(&format!("(all time high {all_time} ms)")),
        "{graph}"
    );
    assert_eq!(lines[1], "-".repeat(80));
    assert!(lines[2..].iter().all(|l| l.len() == history.len()), "{graph}");
    assert!(lines[2..6].iter().all(|l| l.bytes().all(|b| b" _o#|".contains(&b))), "{graph}");
    assert_eq!(lines[6].trim(), "");
    assert!(lines.last().unwrap().bytes().all(|b| b == b's'), "{graph}");
    assert_eq!(fail(&mut con, &["LATENCY", "GRAPH", "nosuch"]), "ERR No samples available for event 'nosuch'");
    assert!(fail(&mut con, &["LATENCY", "GRAPH"]).contains("wrong number of arguments for 'latency|graph'"));

    // A fast command under the threshold records nothing.
    let _: () = run(&mut con, &["SET", "k", "v"]);
    assert_eq!(latest(&mut con).len(), 1);
    assert_eq!(run::<i64>(&mut con, &["LATENCY", "RESET", "command", "nosuch", "command"]), 1);
    assert!(latest(&mut con).is_empty());
    assert_eq!(run::<i64>(&mut con, &["LATENCY", "RESET"]), 0);

    // Back to 0: off again.
    let _: () = run(&mut con, &["CONFIG", "SET", "latency-monitor-threshold", "0"]);
    let _: () = run(&mut con, &["DEBUG", "SLEEP", "0.02"]);
    assert!(latest(&mut con).is_empty());
    assert!(
        fail(&mut con, &["CONFIG", "SET", "latency-monitor-threshold", "-1"]).contains("argument must be between 0")
    );
}

/// Writes `count` keys in one pipeline.
fn fill(con: &mut redis::Connection, count: usize, ttl_ms: Option<u64>) {
    let mut pipe = redis::pipe();
    for i in 0..count {
        let cmd = pipe.cmd("SET").arg(format!("key:{i}")).arg("some value of a few bytes");
        if let Some(ms) = ttl_ms {
            cmd.arg("PX").arg(ms);
        }
        cmd.ignore();
    }
    let () = pipe.query(con).unwrap();
}

#[test]
fn expire_and_eviction_cycles_are_recorded() {
    let server = TestServer::start_with(&["--persistence", "none"]);
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["CONFIG", "SET", "latency-monitor-threshold", "1"]);
    // Keys that all expire at once: the active expiry cycle that removes them takes a while.
    fill(&mut con, 100_000, Some(1));
    assert!(
        wait_until(Duration::from_secs(20), || latest(&mut con).iter().any(|row| row.0 == "expire-cycle")),
        "{:?}",
        latest(&mut con)
    );
    // A limit far below what the keys take: the next command evicts them all, in one cycle
    // (unlimited tenacity; the default 10 ends a cycle after 500 µs, under the 1 ms
    // threshold, so whether a cycle was recorded depended on the machine's speed).
    fill(&mut con, 100_000, None);
    let _: () = run(&mut con, &["CONFIG", "SET", "maxmemory-eviction-tenacity", "100"]);
    let _: () = run(&mut con, &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
    let _: () = run(&mut con, &["CONFIG", "SET", "maxmemory", "1mb"]);
    assert!(
        wait_until(Duration::from_secs(20), || latest(&mut con).iter().any(|row| row.0 == "eviction-cycle")),
        "{:?}",
        latest(&mut con)
    );
    let _: () = run(&mut con, &["CONFIG", "SET", "maxmemory", "0"]);
}
