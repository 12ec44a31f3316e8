//! Observability: INFO commandstats / errorstats / latencystats / cpu / aegisr, CONFIG
//! RESETSTAT, SLOWLOG, LATENCY HISTOGRAM, the Prometheus endpoint (checked with a real
//! parser) and the Admin gRPC calls (WatchStats, SlowLog, Clients, ConfigGet/Set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use aegisr_proto::Client;
use common::{TestServer, fail, now_ms, run, wait_until};
use redis::Value;

/// `field -> value` of the INFO sections asked for.
fn info(con: &mut redis::Connection, section: &str) -> HashMap<String, String> {
    let text: String = run(con, &["INFO", section]);
    text.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// The `key=value` pairs of an INFO value such as `calls=1,usec=3,...`.
fn pairs(value: &str) -> HashMap<String, String> {
    value.split(',').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// `(status code, body)` of an HTTP GET.
fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

fn scrape(server: &TestServer) -> prometheus_parse::Scrape {
    let (status, body) = http_get(server.metrics.expect("metrics address"), "/metrics");
    assert_eq!(status, 200);
    prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).expect("valid exposition")
}

/// The value of the sample `metric` whose labels include `labels`.
fn sample(scrape: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape.samples.iter().find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))).map(
        |s| match &s.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => *v,
            prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            prometheus_parse::Value::Summary(_) => f64::NAN,
        },
    )
}

#[test]
fn commandstats_and_errorstats_follow_the_commands_run() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    for i in 0..3 {
        run::<()>(&mut con, &["SET", &format!("k{i}"), "v"]);
    }
    run::<()>(&mut con, &["LPUSH", "list", "a"]);
    assert!(fail(&mut con, &["GET"]).starts_with("ERR wrong number of arguments"));
    assert!(fail(&mut con, &["GET", "list"]).starts_with("WRONGTYPE"));
    assert!(fail(&mut con, &["NOSUCHCOMMAND"]).starts_with("ERR unknown command"));
    run::<Vec<String>>(&mut con, &["CONFIG", "GET", "hz"]);

    let stats = info(&mut con, "commandstats");
    let set = pairs(&stats["cmdstat_set"]);
    assert_eq!(set["calls"], "3");
    assert_eq!((set["rejected_calls"].as_str(), set["failed_calls"].as_str()), ("0", "0"));
    assert!(set["usec_per_call"].parse::<f64>().unwrap() >= 0.0);
    // As Redis: the arity error is a rejected call, the WRONGTYPE a failed (but made) call.
    let get = pairs(&stats["cmdstat_get"]);
    assert_eq!((get["calls"].as_str(), get["rejected_calls"].as_str(), get["failed_calls"].as_str()), ("1", "1", "1"));
    assert_eq!(pairs(&stats["cmdstat_config|get"])["calls"], "1");
    assert!(!stats.keys().any(|k| k.contains("nosuchcommand")));

    let errors = info(&mut con, "errorstats");
    assert_eq!(errors["errorstat_ERR"], "count=2");
    assert_eq!(errors["errorstat_WRONGTYPE"], "count=1");

    let latency = info(&mut con, "latencystats");
    let set = pairs(&latency["latency_percentiles_usec_set"]);
    let (p50, p99): (f64, f64) = (set["p50"].parse().unwrap(), set["p99"].parse().unwrap());
    assert!(p50 > 0.0 && p50 <= p99, "{set:?}");
    assert!(set.contains_key("p99.9"));

    // Default INFO has errorstats and cpu but not commandstats; ALL has every section.
    let default: String = run(&mut con, &["INFO"]);
    assert!(default.contains("# Errorstats\r\n") && default.contains("# CPU\r\nused_cpu_sys:"));
    assert!(!default.contains("# Commandstats"));
    // Redis's section order, Modules (empty) and Cluster included.
    let headers: Vec<&str> = default.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        headers,
        [
            "# Server",
            "# Clients",
            "# Memory",
            "# Persistence",
            "# Stats",
            "# Replication",
            "# CPU",
            "# Modules",
            "# Errorstats",
            "# Cluster",
            "# Keyspace"
        ]
    );
    assert!(default.contains("# Cluster\r\ncluster_enabled:0\r\n"), "{default}");
    // Fields Redis's own tests poll.
    for field in ["configured_hz:", "lazyfree_pending_objects:0", "total_forks:0", "tracking_clients:0"] {
        assert!(default.contains(field), "{field}");
    }
    let all: String = run(&mut con, &["INFO", "all"]);
    for section in ["# Commandstats", "# Latencystats", "# Aegisr"] {
        assert!(all.contains(section), "{section}");
    }
    let cpu = info(&mut con, "cpu");
    assert!(cpu["used_cpu_user"].parse::<f64>().unwrap() >= 0.0);
    // The threads that run commands are a part of the process.
    let main_thread: f64 = cpu["used_cpu_user_main_thread"].parse().unwrap();
    assert!(main_thread >= 0.0 && main_thread <= cpu["used_cpu_user"].parse::<f64>().unwrap() + 0.01, "{cpu:?}");
    // Every field of Redis 7.0.15's INFO ALL that monitoring tools read, by section.
    let redis_fields: &[(&str, &[&str])] = &[
        ("clients", &["cluster_connections", "client_recent_max_input_buffer", "client_recent_max_output_buffer"]),
        ("memory", &["active_defrag_running"]),
        (
            "persistence",
            &[
                "current_save_keys_processed",
                "current_save_keys_total",
                "rdb_current_bgsave_time_sec",
                "aof_last_rewrite_time_sec",
                "aof_current_rewrite_time_sec",
                "aof_rewrites",
                "aof_rewrites_consecutive_failures",
            ],
        ),
        (
            "stats",
            &[
                "total_net_repl_input_bytes",
                "total_net_repl_output_bytes",
                "instantaneous_input_repl_kbps",
                "instantaneous_output_repl_kbps",
                "unexpected_error_replies",
                "dump_payload_sanitizations",
                "reply_buffer_shrinks",
                "reply_buffer_expands",
            ],
        ),
        ("cpu", &["used_cpu_sys_main_thread", "used_cpu_user_main_thread"]),
    ];
    for (section, fields) in redis_fields {
        let got = info(&mut con, section);
        for field in *fields {
            assert!(got.contains_key(*field), "{section}: {field}");
        }
    }
    // Nothing saved yet: Redis's -1.
    let persistence = info(&mut con, "persistence");
    assert_eq!(persistence["rdb_last_bgsave_time_sec"], "-1");
    assert_eq!(persistence["rdb_current_bgsave_time_sec"], "-1");

    let ours = info(&mut con, "aegisr");
    let shards: usize = ours["shards"].parse().unwrap();
    let per_shard: usize =
        (0..shards).map(|i| pairs(&ours[&format!("shard{i}")])["keys"].parse::<usize>().unwrap()).sum();
    assert_eq!(per_shard, 4);

    run::<()>(&mut con, &["CONFIG", "RESETSTAT"]);
    let stats = info(&mut con, "commandstats");
    assert!(!stats.contains_key("cmdstat_set"), "{stats:?}");
    assert!(info(&mut con, "errorstats").is_empty());
    run::<()>(&mut con, &["SET", "k", "v"]);
    assert_eq!(pairs(&info(&mut con, "commandstats")["cmdstat_set"])["calls"], "1");
}

/// `(calls, rejected_calls, failed_calls)` of `command` in INFO commandstats.
fn calls(con: &mut redis::Connection, command: &str) -> (u64, u64, u64) {
    let stats = info(con, "commandstats");
    let Some(value) = stats.get(&format!("cmdstat_{command}")) else { return (0, 0, 0) };
    let p = pairs(value);
    (p["calls"].parse().unwrap(), p["rejected_calls"].parse().unwrap(), p["failed_calls"].parse().unwrap())
}

/// `errorstat_<code>` counts and `total_error_replies`, then a reset of the statistics.
fn errors_then_reset(con: &mut redis::Connection) -> (Vec<(String, String)>, u64) {
    let mut errors: Vec<(String, String)> = info(con, "errorstats").into_iter().collect();
    errors.sort();
    let total = info(con, "stats")["total_error_replies"].parse().unwrap();
    run::<()>(con, &["CONFIG", "RESETSTAT"]);
    (errors, total)
}

fn counts(pairs: &[(&str, u64)]) -> Vec<(String, String)> {
    pairs.iter().map(|(code, n)| (format!("errorstat_{code}"), format!("count={n}"))).collect()
}

#[test]
fn a_script_passing_on_a_commands_error_counts_it_once() {
    // Redis's "Consistent eval error reporting": an error is counted by the command that
    // replied it; the script's command fails when it replies an error, counted or not.
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<()>(&mut con, &["CONFIG", "RESETSTAT"]);

    let error = fail(&mut con, &["EVAL", "return redis.call('select', 99)", "0"]);
    assert!(error.starts_with("ERR DB index is out of range script: "), "{error}");
    assert_eq!((calls(&mut con, "select"), calls(&mut con, "eval")), ((1, 0, 1), (1, 0, 1)));
    assert_eq!(errors_then_reset(&mut con), (counts(&[("ERR", 1)]), 1));

    // Caught by redis.pcall: the script itself does not fail.
    let script = "local t = redis.pcall('select', 99) return t['err']";
    assert_eq!(run::<String>(&mut con, &["EVAL", script, "0"]), "ERR DB index is out of range");
    assert_eq!((calls(&mut con, "select"), calls(&mut con, "eval")), ((1, 0, 1), (1, 0, 0)));
    assert_eq!(errors_then_reset(&mut con), (counts(&[("ERR", 1)]), 1));

    // Returned as is, nested, raised with error(): still once; each passed on is a failure.
    // (A raw connection: the redis crate takes an error inside an array as the reply's.)
    let mut raw = server.raw();
    let script = "return {redis.pcall('select', 99), redis.pcall('select', 99)}";
    raw.expect(&["EVAL", script, "0"], "*2\r\n-ERR DB index is out of range\r\n-ERR DB index is out of range\r\n");
    assert_eq!(calls(&mut con, "eval"), (1, 0, 2));
    assert_eq!(errors_then_reset(&mut con), (counts(&[("ERR", 2)]), 2));
    fail(&mut con, &["EVAL", "error(redis.pcall('select', 99))", "0"]);
    assert_eq!(errors_then_reset(&mut con), (counts(&[("ERR", 1)]), 1));

    // An error table the script makes is its own: counted when replied, nested too.
    let script = "local t = redis.pcall('select', 99) return redis.error_reply(t.err)";
    fail(&mut con, &["EVAL", script, "0"]);
    assert_eq!(errors_then_reset(&mut con), (counts(&[("ERR", 2)]), 2));
    assert_eq!(
        fail(&mut con, &["EVAL", "return redis.error_reply('MY_ERR_CODE custom msg')", "0"]),
        "MY_ERR_CODE custom msg"
    );
    raw.expect(
        &["EVAL", "return {1, {err='NESTED x'}, {err='NESTED y'}}", "0"],
        "*3\r\n:1\r\n-NESTED x\r\n-NESTED y\r\n",
    );
    assert_eq!(calls(&mut con, "eval"), (2, 0, 2));
    assert_eq!(errors_then_reset(&mut con), (counts(&[("MY_ERR_CODE", 1), ("NESTED", 2)]), 3));

    // Refused before running: the command's rejected call, counted once.
    let script = "redis.pcall('nosuch') redis.pcall('get') redis.pcall('multi') return 1";
    assert_eq!(run::<i64>(&mut con, &["EVAL", script, "0"]), 1);
    assert_eq!(
        (calls(&mut con, "get"), calls(&mut con, "multi"), calls(&mut con, "eval")),
        ((0, 1, 0), (0, 1, 0), (1, 0, 0))
    );
    assert_eq!(errors_then_reset(&mut con), (counts(&[("ERR", 3)]), 3));
    let error = fail(&mut con, &["EVAL_RO", "return redis.call('set', 'x', 'y')", "1", "x"]);
    assert!(error.starts_with("ERR Write commands are not allowed from read-only scripts. script:"), "{error}");
    assert_eq!((calls(&mut con, "set"), calls(&mut con, "eval_ro")), ((0, 1, 0), (1, 0, 1)));
    assert_eq!(errors_then_reset(&mut con), (counts(&[("ERR", 1)]), 1));
    // The script's own mistake in calling is counted only if it replies with it.
    assert_eq!(run::<i64>(&mut con, &["EVAL", "redis.pcall() return 1", "0"]), 1);
    assert_eq!(errors_then_reset(&mut con), (counts(&[]), 0));

    // Over maxmemory when it starts, a script that does not declare allow-oom may not
    // grow memory (Redis's pre-command OOM state).
    run::<()>(&mut con, &["CONFIG", "SET", "maxmemory", "1"]);
    let error = fail(&mut con, &["EVAL", "return redis.call('set', 'x', 'y')", "1", "x"]);
    assert!(error.starts_with("OOM command not allowed when used memory > 'maxmemory'. script:"), "{error}");
    assert_eq!((calls(&mut con, "set"), calls(&mut con, "eval")), ((0, 1, 0), (1, 0, 1)));
    let script = "#!lua flags=allow-oom\nreturn redis.call('set', 'x', 'y')";
    assert_eq!(run::<String>(&mut con, &["EVAL", script, "1", "x"]), "OK");
    run::<()>(&mut con, &["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(errors_then_reset(&mut con), (counts(&[("OOM", 1)]), 1));
}

#[test]
fn errors_outside_commands_are_counted_too() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<()>(&mut con, &["CONFIG", "RESETSTAT"]);

    // A command refused inside MULTI: a rejected call, then EXECABORT.
    run::<()>(&mut con, &["MULTI"]);
    assert!(fail(&mut con, &["SET"]).starts_with("ERR wrong number of arguments"));
    assert!(fail(&mut con, &["EXEC"]).starts_with("EXECABORT"));
    assert_eq!((calls(&mut con, "set"), calls(&mut con, "exec")), ((0, 1, 0), (1, 0, 1)));
    assert_eq!(errors_then_reset(&mut con), (counts(&[("ERR", 1), ("EXECABORT", 1)]), 2));

    // A protocol error, on a connection of its own.
    let mut raw = server.raw();
    raw.send(b"*abc\r\n");
    assert_eq!(raw.read_line(), "-ERR Protocol error: invalid multibulk length\r\n");
    assert!(raw.is_closed());
    assert_eq!(errors_then_reset(&mut con), (counts(&[("ERR", 1)]), 1));

    // A blocked command is a call when it times out, a failed one when unblocked with an
    // error.
    let _: Value = run(&mut con, &["BLPOP", "nothing", "0.01"]);
    assert_eq!(calls(&mut con, "blpop"), (1, 0, 0));
    let mut blocked = server.sync_conn();
    let id: i64 = run(&mut blocked, &["CLIENT", "ID"]);
    let waiter = std::thread::spawn(move || fail(&mut blocked, &["BLPOP", "nothing", "100"]));
    assert!(common::wait_until(Duration::from_secs(10), || info(&mut con, "clients")["blocked_clients"] == "1"));
    assert_eq!(info(&mut con, "clients")["clients_in_timeout_table"], "1", "it waits with a timeout");
    assert_eq!(run::<i64>(&mut con, &["CLIENT", "UNBLOCK", &id.to_string(), "ERROR"]), 1);
    assert_eq!(waiter.join().unwrap(), "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    assert_eq!(calls(&mut con, "blpop"), (2, 0, 1));
    assert_eq!(info(&mut con, "clients")["clients_in_timeout_table"], "0");
    assert_eq!(errors_then_reset(&mut con), (counts(&[("UNBLOCKED", 1)]), 1));
}

#[test]
fn errorstats_flooded_with_codes_stop_counting_by_code() {
    // Redis 7.2: past 128 distinct codes the table gives way to ERRORSTATS_DISABLED until
    // CONFIG RESETSTAT; total_error_replies goes on counting.
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<()>(&mut con, &["CONFIG", "RESETSTAT"]);
    let script = "return redis.error_reply(string.format('E%s my error message', ARGV[1]))";
    for j in 1..=200 {
        assert_eq!(fail(&mut con, &["EVAL", script, "0", &j.to_string()]), format!("E{j} my error message"));
    }
    assert!(fail(&mut con, &["GET"]).starts_with("ERR wrong number"));
    assert_eq!(errors_then_reset(&mut con), (counts(&[("ERRORSTATS_DISABLED", 1)]), 201));
    // A code longer than Redis reads counts as ERR; INFO's separators become '_'.
    fail(&mut con, &["EVAL", &format!("return redis.error_reply('{} x')", "X".repeat(40)), "0"]);
    fail(&mut con, &["EVAL", "return redis.error_reply('A:B#C x')", "0"]);
    assert_eq!(errors_then_reset(&mut con), (counts(&[("A_B_C", 1), ("ERR", 1)]), 2));
}

#[test]
fn instantaneous_rates_follow_the_load() {
    // Redis's rates: sampled every 100 ms, the mean of the last 16 samples.
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let rate = |con: &mut redis::Connection, field: &str| -> f64 { info(con, "stats")[field].parse().unwrap() };
    let mut load = server.sync_conn();
    let busy = wait_until(Duration::from_secs(20), || {
        let mut pipe = redis::pipe();
        for i in 0..500 {
            pipe.cmd("SET").arg(format!("k{i}")).arg("v").ignore();
        }
        let () = pipe.query(&mut load).unwrap();
        rate(&mut con, "instantaneous_ops_per_sec") > 0.0
    });
    assert!(busy);
    assert!(rate(&mut con, "instantaneous_input_kbps") > 0.0);
    assert!(rate(&mut con, "total_reads_processed") > 0.0 && rate(&mut con, "total_writes_processed") > 0.0);
    assert!(rate(&mut con, "instantaneous_output_kbps") > 0.0);
    let memory = info(&mut con, "memory");
    let total: u64 = memory["total_system_memory"].parse().unwrap();
    assert!(total > 0);
    let used: u64 = memory["used_memory"].parse().unwrap();
    let overhead: u64 = memory["used_memory_overhead"].parse().unwrap();
    let dataset: u64 = memory["used_memory_dataset"].parse().unwrap();
    assert_eq!(overhead + dataset, used);
}

#[test]
fn keys_flushed_asynchronously_are_counted_as_lazily_freed() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let mut pipe = redis::pipe();
    for i in 0..1000 {
        pipe.cmd("SET").arg(format!("k{i}")).arg("v").ignore();
    }
    let () = pipe.query(&mut con).unwrap();
    run::<()>(&mut con, &["FLUSHALL", "ASYNC"]);
    let memory = |con: &mut redis::Connection| info(con, "memory");
    assert!(wait_until(Duration::from_secs(10), || memory(&mut con)["lazyfree_pending_objects"] == "0"));
    assert_eq!(memory(&mut con)["lazyfreed_objects"], "1000");
    run::<()>(&mut con, &["CONFIG", "RESETSTAT"]);
    assert_eq!(memory(&mut con)["lazyfreed_objects"], "0");
}

#[test]
fn time_over_maxmemory_is_counted() {
    let server = TestServer::start_with(&["--persistence", "none"]);
    let mut con = server.sync_conn();
    let exceeded = |con: &mut redis::Connection| -> (u64, u64) {
        let stats = info(con, "stats");
        (
            stats["current_eviction_exceeded_time"].parse().unwrap(),
            stats["total_eviction_exceeded_time"].parse().unwrap(),
        )
    };
    assert_eq!(exceeded(&mut con), (0, 0));
    run::<()>(&mut con, &["CONFIG", "SET", "maxmemory", "1"]);
    assert!(fail(&mut con, &["SET", "k", "v"]).starts_with("OOM"));
    assert!(wait_until(Duration::from_secs(10), || exceeded(&mut con).0 >= 20));
    run::<()>(&mut con, &["CONFIG", "SET", "maxmemory", "0"]);
    // Back under the limit (the ticker checks too): the clock stops, the total keeps it.
    assert!(wait_until(Duration::from_secs(10), || exceeded(&mut con).0 == 0));
    assert!(exceeded(&mut con).1 >= 20);
    run::<()>(&mut con, &["CONFIG", "RESETSTAT"]);
    assert_eq!(exceeded(&mut con), (0, 0));
}

#[test]
fn commands_in_a_transaction_are_counted_each() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: Value = redis::pipe().atomic().cmd("INCR").arg("n").cmd("INCR").arg("n").query(&mut con).unwrap();
    let stats = info(&mut con, "commandstats");
    assert_eq!(pairs(&stats["cmdstat_incr"])["calls"], "2");
    assert_eq!(pairs(&stats["cmdstat_exec"])["calls"], "1");
    assert_eq!(pairs(&stats["cmdstat_multi"])["calls"], "1");
}

#[test]
fn slowlog_captures_slow_commands() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // The default threshold (10 ms) lets quick commands through.
    assert_eq!(
        run::<Vec<String>>(&mut con, &["CONFIG", "GET", "slowlog-*"]),
        ["slowlog-log-slower-than", "10000", "slowlog-max-len", "128"]
    );
    run::<()>(&mut con, &["SET", "quick", "v"]);
    let logged: Vec<Vec<Value>> = run(&mut con, &["SLOWLOG", "GET", "-1"]);
    assert!(!logged.iter().any(|e| e[3]
        == Value::Array(vec![
            Value::BulkString(b"SET".to_vec()),
            Value::BulkString(b"quick".to_vec()),
            Value::BulkString(b"v".to_vec())
        ])));

    run::<()>(&mut con, &["CLIENT", "SETNAME", "slowpoke"]);
    run::<()>(&mut con, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    let long = "x".repeat(200);
    run::<()>(&mut con, &["SET", "big", &long]);
    let entries: Vec<Value> = run(&mut con, &["SLOWLOG", "GET", "1"]);
    assert_eq!(entries.len(), 1);
    let Value::Array(entry) = &entries[0] else { panic!("{entries:?}") };
    assert_eq!(entry.len(), 6);
    let Value::Int(timestamp) = entry[1] else { panic!("{entry:?}") };
    assert!((timestamp - now_ms() / 1000).abs() <= 5);
    assert!(matches!(entry[2], Value::Int(d) if d >= 0));
    let args: Vec<String> = redis::from_redis_value(entry[3].clone()).unwrap();
    assert_eq!(args[..2], ["SET", "big"]);
    assert_eq!(args[2], format!("{}... (72 more bytes)", "x".repeat(128)));
    let addr: String = redis::from_redis_value(entry[4].clone()).unwrap();
    assert!(addr.starts_with("127.0.0.1:"));
    assert_eq!(redis::from_redis_value::<String>(entry[5].clone()).unwrap(), "slowpoke");

    let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    let mut args = vec!["DEL"];
    args.extend(many.iter().map(String::as_str));
    run::<i64>(&mut con, &args);
    let entries: Vec<Value> = run(&mut con, &["SLOWLOG", "GET", "1"]);
    let Value::Array(entry) = &entries[0] else { panic!() };
    let args: Vec<String> = redis::from_redis_value(entry[3].clone()).unwrap();
    assert_eq!(args.len(), 32);
    assert_eq!(args[31], "... (10 more arguments)");

    // Newest first, ids increasing; GET defaults to 10, -1 is all.
    let ids = |con: &mut redis::Connection, count: &str| -> Vec<i64> {
        let entries: Vec<Vec<Value>> = run(con, &["SLOWLOG", "GET", count]);
        entries.iter().map(|e| redis::from_redis_value(e[0].clone()).unwrap()).collect()
    };
    for _ in 0..12 {
        run::<()>(&mut con, &["SET", "k", "v"]);
    }
    let all = ids(&mut con, "-1");
    assert!(all.windows(2).all(|w| w[0] > w[1]), "{all:?}");
    let entries: Vec<Value> = run(&mut con, &["SLOWLOG", "GET"]);
    assert_eq!(entries.len(), 10);
    assert!(fail(&mut con, &["SLOWLOG", "GET", "-2"]).contains("count should be greater than or equal to -1"));

    run::<()>(&mut con, &["CONFIG", "SET", "slowlog-max-len", "3"]);
    run::<()>(&mut con, &["SET", "k", "v"]);
    assert_eq!(run::<i64>(&mut con, &["SLOWLOG", "LEN"]), 3);
    run::<()>(&mut con, &["SLOWLOG", "RESET"]);
    // RESET itself ran over the threshold and is logged after the log was emptied.
    assert!(run::<i64>(&mut con, &["SLOWLOG", "LEN"]) <= 1);
    run::<()>(&mut con, &["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    run::<()>(&mut con, &["SLOWLOG", "RESET"]);
    run::<()>(&mut con, &["SET", "k", "v"]);
    assert_eq!(run::<i64>(&mut con, &["SLOWLOG", "LEN"]), 0);
    // Redis 7.0's text, line for line.
    let help: Vec<String> = run(&mut con, &["SLOWLOG", "HELP"]);
    assert_eq!(
        help,
        [
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
            "HELP",
            "    Prints this help.",
        ]
    );
}

#[test]
fn latency_histogram_is_cumulative_by_powers_of_two() {
    let server = TestServer::start();
    let mut con = server.client_resp3().get_connection().unwrap();
    for _ in 0..5 {
        run::<()>(&mut con, &["SET", "k", "v"]);
    }
    let reply: Value = run(&mut con, &["LATENCY", "HISTOGRAM", "set", "nosuch"]);
    let Value::Map(commands) = reply else { panic!("{reply:?}") };
    assert_eq!(commands.len(), 1);
    assert_eq!(redis::from_redis_value::<String>(commands[0].0.clone()).unwrap(), "set");
    let Value::Map(fields) = &commands[0].1 else { panic!() };
    assert_eq!(redis::from_redis_value::<String>(fields[0].0.clone()).unwrap(), "calls");
    assert_eq!(fields[0].1, Value::Int(5));
    let Value::Map(points) = &fields[1].1 else { panic!() };
    let points: Vec<(i64, i64)> = points
        .iter()
        .map(|(k, v)| (redis::from_redis_value(k.clone()).unwrap(), redis::from_redis_value(v.clone()).unwrap()))
        .collect();
    assert!(points.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1), "{points:?}");
    assert!(points.iter().all(|(usec, _)| (*usec as u64).is_power_of_two()));
    assert_eq!(points.last().unwrap().1, 5);
    let all: Value = run(&mut con, &["LATENCY", "HISTOGRAM"]);
    let Value::Map(all) = all else { panic!() };
    assert!(all.len() >= 2);
    // A container command stands for its subcommands; a subcommand for itself.
    run::<()>(&mut con, &["CONFIG", "RESETSTAT"]);
    run::<i64>(&mut con, &["CLIENT", "ID"]);
    run::<String>(&mut con, &["CLIENT", "LIST"]);
    let names = |con: &mut redis::Connection, args: &[&str]| -> Vec<String> {
        let Value::Map(commands) = run::<Value>(con, args) else { panic!() };
        commands.into_iter().map(|(name, _)| redis::from_redis_value(name).unwrap()).collect()
    };
    assert_eq!(names(&mut con, &["LATENCY", "HISTOGRAM", "client"]), ["client|id", "client|list"]);
    assert_eq!(names(&mut con, &["LATENCY", "HISTOGRAM", "CLIENT|ID"]), ["client|id"]);
    assert_eq!(names(&mut con, &["LATENCY", "HISTOGRAM", "clie"]), Vec::<String>::new());
    assert_eq!(run::<Vec<Value>>(&mut con, &["LATENCY", "LATEST"]), []);
}

#[test]
fn metrics_endpoint_parses_and_counters_move() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    for i in 0..5 {
        run::<()>(&mut con, &["SET", &format!("k{i}"), "v"]);
    }
    let _ = fail(&mut con, &["INCR", "k0"]);
    run::<()>(&mut con, &["SELECT", "3"]);
    run::<()>(&mut con, &["SET", "x", "1", "EX", "100"]);
    let _ = fail(&mut con, &["SELECT", "3", "4"]);

    let first = scrape(&server);
    assert_eq!(sample(&first, "aegisr_commands_total", &[("cmd", "set")]), Some(6.0));
    assert_eq!(sample(&first, "aegisr_keys", &[("db", "0")]), Some(5.0));
    assert_eq!(sample(&first, "aegisr_keys", &[("db", "3")]), Some(1.0));
    assert_eq!(sample(&first, "aegisr_expiring_keys", &[("db", "3")]), Some(1.0));
    assert_eq!(sample(&first, "aegisr_command_errors_total", &[("cmd", "incr"), ("kind", "failed")]), Some(1.0));
    assert_eq!(sample(&first, "aegisr_command_errors_total", &[("cmd", "select"), ("kind", "rejected")]), Some(1.0));
    assert_eq!(sample(&first, "aegisr_errors_total", &[("code", "ERR")]), Some(2.0));
    assert_eq!(sample(&first, "aegisr_connected_clients", &[]), Some(1.0));
    assert!(sample(&first, "aegisr_memory_used_bytes", &[]).unwrap() > 0.0);
    assert!(sample(&first, "aegisr_uptime_seconds", &[]).is_some());
    assert!(sample(&first, "aegisr_expired_keys_total", &[]).is_some());
    // The histogram: cumulative buckets ending in +Inf = the call count.
    let histogram = first
        .samples
        .iter()
        .find(|s| s.metric == "aegisr_command_duration_seconds" && s.labels.get("cmd") == Some("set"))
        .expect("set histogram");
    let prometheus_parse::Value::Histogram(buckets) = &histogram.value else { panic!("{:?}", histogram.value) };
    assert!(buckets.windows(2).all(|w| w[0].less_than < w[1].less_than && w[0].count <= w[1].count));
    assert_eq!(buckets.last().unwrap().count, 6.0);
    assert!(buckets.last().unwrap().less_than.is_infinite());
    let families: Vec<_> = first.docs.keys().collect();
    assert!(families.iter().all(|name| name.starts_with("aegisr_")), "{families:?}");

    for _ in 0..10 {
        run::<()>(&mut con, &["SET", "k", "v"]);
    }
    let second = scrape(&server);
    assert_eq!(sample(&second, "aegisr_commands_total", &[("cmd", "set")]), Some(16.0));
    assert!(
        sample(&second, "aegisr_commands_processed_total", &[]).unwrap()
            > sample(&first, "aegisr_commands_processed_total", &[]).unwrap()
    );

    let metrics = server.metrics.unwrap();
    assert_eq!(http_get(metrics, "/healthz").0, 200);
    assert_eq!(http_get(metrics, "/readyz"), (200, "ready\n".to_owned()));
    assert_eq!(http_get(metrics, "/nosuch").0, 404);
}

#[test]
fn metrics_endpoint_can_be_turned_off() {
    let server = TestServer::start_with(&["--metrics-port", "-1"]);
    assert!(server.metrics.is_none());
    assert_eq!(run::<String>(&mut server.sync_conn(), &["PING"]), "PONG");
}

#[tokio::test]
async fn admin_grpc_streams_stats_and_serves_slowlog_clients_and_config() {
    let server = TestServer::start();
    let mut grpc = Client::connect(server.grpc_url()).await.unwrap();
    let mut con = common::connect(&server.client()).await;
    redis::cmd("CLIENT").arg("SETNAME").arg("watcher").query_async::<()>(&mut con).await.unwrap();
    for i in 0..20 {
        redis::cmd("SET").arg(format!("k{i}")).arg("v").query_async::<()>(&mut con).await.unwrap();
    }
    redis::cmd("SET").arg("t").arg("v").arg("EX").arg(100).query_async::<()>(&mut con).await.unwrap();

    let mut stream = grpc.watch_stats(100).await.unwrap();
    let first = stream.message().await.unwrap().unwrap();
    assert_eq!(first.role, "master");
    assert_eq!(first.keyspace.len(), 1);
    assert_eq!((first.keyspace[0].db, first.keyspace[0].keys, first.keyspace[0].expires), (0, 21, 1));
    let set = first.commands.iter().find(|c| c.name == "set").expect("set stats");
    assert_eq!(set.calls, 21);
    assert!(set.p50_usec > 0.0 && set.p50_usec <= set.p99_usec);
    assert!(first.connected_clients >= 1);
    // The test servers run two workers; the one RESP connection is on the first at this load.
    assert_eq!(first.worker_clients, [1, 0]);
    assert!(first.used_memory > 0);

    // Figures move between messages: 50 more SETs show up in the totals and the rate.
    for i in 0..50 {
        redis::cmd("SET").arg(format!("n{i}")).arg("v").query_async::<()>(&mut con).await.unwrap();
    }
    let mut seen = None;
    for _ in 0..50 {
        let stats = stream.message().await.unwrap().unwrap();
        let set = stats.commands.iter().find(|c| c.name == "set").unwrap().clone();
        if set.calls == 71 {
            seen = Some((stats, set));
            break;
        }
    }
    let (stats, _) = seen.expect("the SETs reached the stream");
    assert_eq!(stats.keyspace[0].keys, 71);
    // Once nothing runs, the rate falls to zero.
    let mut idle = false;
    for _ in 0..50 {
        let stats = stream.message().await.unwrap().unwrap();
        if stats.commands.iter().find(|c| c.name == "set").unwrap().ops_per_sec == 0.0 {
            idle = true;
            break;
        }
    }
    assert!(idle);
    drop(stream);

    grpc.config_set(&[("slowlog-log-slower-than", "0")]).await.unwrap();
    assert_eq!(grpc.config_get(&["slowlog-log-*"]).await.unwrap(), [("slowlog-log-slower-than".into(), "0".into())]);
    let err = grpc.config_set(&[("hz", "lots")]).await.unwrap_err();
    assert!(err.to_string().contains("argument couldn't be parsed into an integer"), "{err}");
    redis::cmd("GET").arg("k1").query_async::<String>(&mut con).await.unwrap();
    let slowlog = grpc.slowlog(1, false).await.unwrap();
    assert_eq!(slowlog.entries.len(), 1);
    assert_eq!(slowlog.entries[0].args, ["GET", "k1"]);
    assert_eq!(slowlog.entries[0].client_name, "watcher");
    assert!(slowlog.len >= 1);
    grpc.slowlog(0, true).await.unwrap();
    assert_eq!(grpc.slowlog(0, false).await.unwrap().len, 0);
    let clients = grpc.clients().await.unwrap();
    let watcher = clients.iter().find(|c| c.name == "watcher").expect("our client");
    assert_eq!(watcher.last_command, "get");
    assert!(watcher.addr.starts_with("127.0.0.1:"));
}

/// UNLINK frees a large value on the lazy-free thread and counts it (Redis's lazyfree.tcl:
/// a set past 64 elements, a stream of many nodes with a consumer group); a small value is
/// freed at once; DEL does the same with `lazyfree-lazy-user-del yes`.
#[test]
fn unlink_frees_large_values_in_the_background() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let memory = |con: &mut redis::Connection| info(con, "memory");
    let settled = |con: &mut redis::Connection| {
        assert!(wait_until(Duration::from_secs(10), || memory(con)["lazyfree_pending_objects"] == "0"));
        memory(con)["lazyfreed_objects"].clone()
    };
    let members: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    redis::cmd("SADD").arg("big").arg(&members).query::<i64>(&mut con).unwrap();
    run::<i64>(&mut con, &["SADD", "small", "a", "b"]);
    assert_eq!(run::<i64>(&mut con, &["UNLINK", "big", "small"]), 2);
    assert_eq!(settled(&mut con), "1", "only the large set went to the background");
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "big", "small"]), 0);

    run::<()>(&mut con, &["CONFIG", "SET", "stream-node-max-entries", "5"]);
    for i in 0..1000 {
        run::<String>(&mut con, &["XADD", "stream", "*", "foo", &i.to_string()]);
    }
    run::<()>(&mut con, &["XGROUP", "CREATE", "stream", "group", "0"]);
    assert_eq!(run::<i64>(&mut con, &["UNLINK", "stream"]), 1);
    assert_eq!(settled(&mut con), "2");

    redis::cmd("SADD").arg("big").arg(&members).query::<i64>(&mut con).unwrap();
    assert_eq!(run::<i64>(&mut con, &["DEL", "big"]), 1);
    assert_eq!(settled(&mut con), "2", "DEL frees inline by default");
    run::<()>(&mut con, &["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"]);
    redis::cmd("SADD").arg("big").arg(&members).query::<i64>(&mut con).unwrap();
    assert_eq!(run::<i64>(&mut con, &["DEL", "big"]), 1);
    assert_eq!(settled(&mut con), "3");
}
