//! MEMORY USAGE / STATS / MALLOC-STATS / PURGE / DOCTOR / HELP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fail, run, wait_until};

#[test]
fn usage_grows_with_the_value_and_is_nil_for_a_missing_key() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<String>(&mut c, &["SET", "small", "x"]);
    run::<String>(&mut c, &["SET", "large", &"x".repeat(10_000)]);
    let small: i64 = run(&mut c, &["MEMORY", "USAGE", "small"]);
    let large: i64 = run(&mut c, &["MEMORY", "USAGE", "large"]);
    assert!((1..100).contains(&small), "{small}");
    assert!((10_000..11_000).contains(&large), "{large}");
    let missing: Option<i64> = run(&mut c, &["MEMORY", "USAGE", "missing"]);
    assert_eq!(missing, None);
    // Aggregates: a packed hash is exact, a large one estimated from samples.
    run::<i64>(&mut c, &["HSET", "h", "f", "v"]);
    let packed: i64 = run(&mut c, &["MEMORY", "USAGE", "h"]);
    assert!((1..100).contains(&packed), "{packed}");
    let fields: Vec<String> = (0..1000).flat_map(|i| [format!("field{i}"), "value".to_owned()]).collect();
    let mut args = vec!["HSET", "big"];
    args.extend(fields.iter().map(String::as_str));
    run::<i64>(&mut c, &args);
    let big: i64 = run(&mut c, &["MEMORY", "USAGE", "big", "SAMPLES", "0"]);
    assert!(big > 1000 * 15, "{big}");
    assert_eq!(fail(&mut c, &["MEMORY", "USAGE", "big", "SAMPLES"]), "ERR syntax error");
    assert_eq!(
        fail(&mut c, &["MEMORY", "USAGE", "big", "SAMPLES", "x"]),
        "ERR value is not an integer or out of range"
    );
}

fn used_memory(c: &mut redis::Connection) -> i64 {
    let info: String = run(c, &["INFO", "memory"]);
    info.lines().find_map(|l| l.strip_prefix("used_memory:")).and_then(|v| v.parse().ok()).expect("used_memory")
}

/// Redis's lazyfree test, more strictly: once the key of a command of 100,000 arguments is
/// gone, its memory is too, including what the connection, the journal and its capture
/// needed for the command (they had kept it: 3.5 MB after the key was unlinked).
#[test]
fn a_big_command_leaves_nothing_behind_once_its_key_is_unlinked() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    // Once first, so what the first use of each command allocates is counted before.
    run::<i64>(&mut c, &["SADD", "set", "1"]);
    run::<i64>(&mut c, &["UNLINK", "set"]);
    let before = used_memory(&mut c);
    let members: Vec<String> = (0..100_000).map(|i| i.to_string()).collect();
    let mut args = vec!["SADD", "set"];
    args.extend(members.iter().map(String::as_str));
    assert_eq!(run::<i64>(&mut c, &args), 100_000);
    let peak = used_memory(&mut c);
    assert!(peak > before + 1_000_000, "{before} -> {peak}");
    assert_eq!(run::<i64>(&mut c, &["UNLINK", "set"]), 1);
    let mut now = peak;
    let reclaimed = wait_until(Duration::from_secs(10), || {
        now = used_memory(&mut c);
        now < before + 512 * 1024
    });
    assert!(reclaimed, "used memory {before} before the set, {peak} with it, {now} after UNLINK");
}

#[test]
fn purge_doctor_and_help() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    assert_eq!(run::<String>(&mut c, &["MEMORY", "PURGE"]), "OK");
    let doctor: String = run(&mut c, &["MEMORY", "DOCTOR"]);
    assert!(doctor.starts_with("Hi Sam"), "{doctor}");
    // Redis 7.0's text, line for line.
    let help: Vec<String> = run(&mut c, &["MEMORY", "HELP"]);
    assert_eq!(
        help,
        [
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
            "HELP",
            "    Prints this help.",
        ]
    );
}

/// The `THP_enabled` line of the server's /proc status (Linux 5.0+), if the kernel shows it.
#[cfg(target_os = "linux")]
fn thp_enabled(server: &TestServer) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).ok()?;
    status.lines().find_map(|line| line.strip_prefix("THP_enabled:")).map(|v| v.trim().to_owned())
}

#[cfg(target_os = "linux")]
#[test]
fn transparent_huge_pages_are_off_unless_disable_thp_is_no() {
    let server = TestServer::start();
    let Some(state) = thp_enabled(&server) else { return };
    assert_eq!(state, "0", "disable-thp defaults to yes, as in Redis");
    let mut c = server.sync_conn();
    let got: Vec<String> = run(&mut c, &["CONFIG", "GET", "disable-thp"]);
    assert_eq!(got, ["disable-thp", "yes"]);
    // Read at start only, as in Redis.
    assert!(fail(&mut c, &["CONFIG", "SET", "disable-thp", "no"]).contains("disable-thp"));

    let server = TestServer::start_with(&["--disable-thp", "no"]);
    assert_eq!(thp_enabled(&server).as_deref(), Some("1"));
}

#[test]
fn stats_lists_redis_fields_with_a_database_entry_per_non_empty_database() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    for i in 0..10 {
        run::<String>(&mut c, &["SET", &format!("k{i}"), "v"]);
    }
    run::<String>(&mut c, &["SELECT", "3"]);
    run::<String>(&mut c, &["SET", "other", "v"]);
    let stats: Vec<redis::Value> = run(&mut c, &["MEMORY", "STATS"]);
    // RESP2: a flat list of names and values.
    let names: Vec<String> = stats
        .iter()
        .step_by(2)
        .map(|v| match v {
            redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("a field name, not {other:?}"),
        })
        .collect();
    let value = |name: &str| stats[2 * names.iter().position(|n| n == name).unwrap() + 1].clone();
    for name in
        ["peak.allocated", "total.allocated", "startup.allocated", "aof.buffer", "overhead.total", "dataset.bytes"]
    {
        assert!(matches!(value(name), redis::Value::Int(n) if n >= 0), "{name}: {:?}", value(name));
    }
    assert_eq!(value("keys.count"), redis::Value::Int(11));
    assert!(names.contains(&"db.0".to_owned()) && names.contains(&"db.3".to_owned()), "{names:?}");
    assert!(!names.contains(&"db.1".to_owned()), "an empty database is left out");
    assert_eq!(names.first().map(String::as_str), Some("peak.allocated"));
    assert_eq!(names.last().map(String::as_str), Some("fragmentation.bytes"));
    let percentage = match value("peak.percentage") {
        redis::Value::BulkString(b) => String::from_utf8(b).unwrap().parse::<f64>().unwrap(),
        other => panic!("{other:?}"),
    };
    assert!(percentage > 0.0 && percentage <= 100.0, "{percentage}");
}

#[test]
fn malloc_stats_answers_as_redis_without_jemalloc() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let text: String = run(&mut c, &["MEMORY", "MALLOC-STATS"]);
    assert_eq!(text, "Stats not supported for the current allocator");
    assert!(fail(&mut c, &["MEMORY", "STATS", "extra"]).contains("wrong number of arguments"));
}
