//! Redis's options beyond the ones Aegisr acts on through its own flags: every option a
//! Redis 7.0 `CONFIG GET *` lists is known here (with its aliases), and the ones that have a
//! meaning for a standalone node act as in Redis: min-replicas-to-write,
//! acl-pubsub-default, latency-tracking-info-percentiles, logfile and pidfile.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestServer;

fn config_set(con: &mut redis::Connection, name: &str, value: &str) -> redis::RedisResult<String> {
    redis::cmd("CONFIG").arg("SET").arg(name).arg(value).query(con)
}

fn config_get(con: &mut redis::Connection, name: &str) -> Vec<String> {
    redis::cmd("CONFIG").arg("GET").arg(name).query(con).unwrap()
}

fn error_text(result: redis::RedisResult<impl std::fmt::Debug>) -> String {
    let error = result.expect_err("an error reply");
    format!("{} {}", error.code().unwrap_or_default(), error.detail().unwrap_or_default())
}

/// The names a Redis 7.0.15 `CONFIG GET *` lists (aliases included), all of which Aegisr
/// must take.
const REDIS_7_0_OPTIONS: &[&str] = &[
    "acl-pubsub-default",
    "aclfile",
    "acllog-max-len",
    "active-defrag-cycle-max",
    "active-defrag-cycle-min",
    "active-defrag-ignore-bytes",
    "active-defrag-max-scan-fields",
    "active-defrag-threshold-lower",
    "active-defrag-threshold-upper",
    "active-expire-effort",
    "activedefrag",
    "activerehashing",
    "always-show-logo",
    "aof-disable-auto-gc",
    "aof-load-truncated",
    "aof-rewrite-incremental-fsync",
    "aof-timestamp-enabled",
    "aof-use-rdb-preamble",
    "aof_rewrite_cpulist",
    "appenddirname",
    "appendfilename",
    "appendfsync",
    "appendonly",
    "auto-aof-rewrite-min-size",
    "auto-aof-rewrite-percentage",
    "bgsave_cpulist",
    "bind",
    "bind-source-addr",
    "bio_cpulist",
    "busy-reply-threshold",
    "client-output-buffer-limit",
    "client-query-buffer-limit",
    "cluster-allow-pubsubshard-when-down",
    "cluster-allow-reads-when-down",
    "cluster-allow-replica-migration",
    "cluster-announce-bus-port",
    "cluster-announce-hostname",
    "cluster-announce-ip",
    "cluster-announce-port",
    "cluster-announce-tls-port",
    "cluster-config-file",
    "cluster-enabled",
    "cluster-link-sendbuf-limit",
    "cluster-migration-barrier",
    "cluster-node-timeout",
    "cluster-port",
    "cluster-preferred-endpoint-type",
    "cluster-replica-no-failover",
    "cluster-replica-validity-factor",
    "cluster-require-full-coverage",
    "cluster-slave-no-failover",
    "cluster-slave-validity-factor",
    "crash-log-enabled",
    "crash-memcheck-enabled",
    "daemonize",
    "databases",
    "dbfilename",
    "dir",
    "disable-thp",
    "dynamic-hz",
    "enable-debug-command",
    "enable-module-command",
    "enable-protected-configs",
    "hash-max-listpack-entries",
    "hash-max-listpack-value",
    "hash-max-ziplist-entries",
    "hash-max-ziplist-value",
    "hll-sparse-max-bytes",
    "hz",
    "ignore-warnings",
    "io-threads",
    "io-threads-do-reads",
    "jemalloc-bg-thread",
    "latency-monitor-threshold",
    "latency-tracking",
    "latency-tracking-info-percentiles",
    "lazyfree-lazy-eviction",
    "lazyfree-lazy-expire",
    "lazyfree-lazy-server-del",
    "lazyfree-lazy-user-del",
    "lazyfree-lazy-user-flush",
    "lfu-decay-time",
    "lfu-log-factor",
    "list-compress-depth",
    "list-max-listpack-size",
    "list-max-ziplist-size",
    "logfile",
    "loglevel",
    "lua-time-limit",
    "masterauth",
    "masteruser",
    "maxclients",
    "maxmemory",
    "maxmemory-clients",
    "maxmemory-eviction-tenacity",
    "maxmemory-policy",
    "maxmemory-samples",
    "min-replicas-max-lag",
    "min-replicas-to-write",
    "min-slaves-max-lag",
    "min-slaves-to-write",
    "no-appendfsync-on-rewrite",
    "notify-keyspace-events",
    "oom-score-adj",
    "oom-score-adj-values",
    "pidfile",
    "port",
    "proc-title-template",
    "propagation-error-behavior",
    "protected-mode",
    "proto-max-bulk-len",
    "rdb-del-sync-files",
    "rdb-save-incremental-fsync",
    "rdbchecksum",
    "rdbcompression",
    "repl-backlog-size",
    "repl-backlog-ttl",
    "repl-disable-tcp-nodelay",
    "repl-diskless-load",
    "repl-diskless-sync",
    "repl-diskless-sync-delay",
    "repl-diskless-sync-max-replicas",
    "repl-ping-replica-period",
    "repl-ping-slave-period",
    "repl-timeout",
    "replica-announce-ip",
    "replica-announce-port",
    "replica-announced",
    "replica-ignore-disk-write-errors",
    "replica-ignore-maxmemory",
    "replica-lazy-flush",
    "replica-priority",
    "replica-read-only",
    "replica-serve-stale-data",
    "replicaof",
    "requirepass",
    "sanitize-dump-payload",
    "save",
    "server_cpulist",
    "set-max-intset-entries",
    "set-proc-title",
    "shutdown-on-sigint",
    "shutdown-on-sigterm",
    "shutdown-timeout",
    "slave-announce-ip",
    "slave-announce-port",
    "slave-ignore-maxmemory",
    "slave-lazy-flush",
    "slave-priority",
    "slave-read-only",
    "slave-serve-stale-data",
    "slaveof",
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "socket-mark-id",
    "stop-writes-on-bgsave-error",
    "stream-node-max-bytes",
    "stream-node-max-entries",
    "supervised",
    "syslog-enabled",
    "syslog-facility",
    "syslog-ident",
    "tcp-backlog",
    "tcp-keepalive",
    "timeout",
    "tls-auth-clients",
    "tls-ca-cert-dir",
    "tls-ca-cert-file",
    "tls-cert-file",
    "tls-ciphers",
    "tls-ciphersuites",
    "tls-client-cert-file",
    "tls-client-key-file",
    "tls-client-key-file-pass",
    "tls-cluster",
    "tls-dh-params-file",
    "tls-key-file",
    "tls-key-file-pass",
    "tls-port",
    "tls-prefer-server-ciphers",
    "tls-protocols",
    "tls-replication",
    "tls-session-cache-size",
    "tls-session-cache-timeout",
    "tls-session-caching",
    "tracking-table-max-keys",
    "unixsocket",
    "unixsocketperm",
    "zset-max-listpack-entries",
    "zset-max-listpack-value",
    "zset-max-ziplist-entries",
    "zset-max-ziplist-value",
];

#[test]
fn every_redis_option_is_known_with_redis_defaults_and_checks() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let listed: Vec<String> = config_get(&mut con, "*");
    let names: std::collections::HashSet<&str> = listed.chunks(2).map(|pair| pair[0].as_str()).collect();
    let missing: Vec<&&str> = REDIS_7_0_OPTIONS.iter().filter(|name| !names.contains(**name)).collect();
    assert!(missing.is_empty(), "CONFIG GET * lacks {missing:?}");
    // Redis's hidden test hooks answer their exact name only, never a pattern.
    assert!(!names.contains("key-load-delay"), "hidden from patterns");
    assert!(config_get(&mut con, "key-load-*").is_empty());
    assert_eq!(config_get(&mut con, "KEY-LOAD-DELAY"), ["key-load-delay", "0"]);
    assert_eq!(config_set(&mut con, "rdb-key-save-delay", "100").unwrap(), "OK");
    assert_eq!(config_get(&mut con, "rdb-key-save-delay"), ["rdb-key-save-delay", "100"]);

    // Redis's defaults, as CONFIG GET shows them.
    for (name, default) in [
        ("repl-ping-replica-period", "10"),
        ("repl-ping-slave-period", "10"),
        ("min-replicas-max-lag", "10"),
        ("latency-tracking-info-percentiles", "50 99 99.9"),
        ("oom-score-adj-values", "0 200 800"),
        ("shutdown-on-sigterm", "default"),
        ("dbfilename", "dump.rdb"),
        ("acl-pubsub-default", "resetchannels"),
        ("tls-port", "0"),
        ("slaveof", ""),
    ] {
        assert_eq!(config_get(&mut con, name), [name, default], "{name}");
    }

    // Aegisr's own default where Redis's is too small for it: the backlog also lets cluster
    // replicas resume (Valkey 8 raised it too, to 10 MB).
    assert_eq!(config_get(&mut con, "repl-backlog-size"), ["repl-backlog-size", "67108864"]);

    // Settable ones keep what is set, under either name; bad values get Redis's errors.
    assert_eq!(config_set(&mut con, "repl-ping-slave-period", "3600").unwrap(), "OK");
    assert_eq!(config_get(&mut con, "repl-ping-replica-period"), ["repl-ping-replica-period", "3600"]);
    assert_eq!(config_set(&mut con, "shutdown-on-sigterm", "NOSAVE now").unwrap(), "OK");
    assert_eq!(config_get(&mut con, "shutdown-on-sigterm"), ["shutdown-on-sigterm", "nosave now"]);
    assert_eq!(
        error_text(config_set(&mut con, "slave-priority", "abc")),
        "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument couldn't be parsed into an integer"
    );
    assert_eq!(
        error_text(config_set(&mut con, "oom-score-adj-values", "0 200 9000")),
        "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - Invalid oom-score-adj-values, elements must be between -2000 and 2000."
    );
    assert_eq!(
        error_text(config_set(&mut con, "SLAVEOF", "127.0.0.1 6380")),
        "ERR CONFIG SET failed (possibly related to argument 'SLAVEOF') - can't set immutable config"
    );
    // Protected as in Redis while enable-protected-configs is no (its default).
    assert_eq!(
        error_text(config_set(&mut con, "dbfilename", "other.rdb")),
        "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config"
    );
    assert_eq!(
        error_text(config_set(&mut con, "dir", "/tmp")),
        "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
    );
    // What Aegisr does not do at all is refused rather than silently ignored.
    let refused = error_text(config_set(&mut con, "tls-port", "6380"));
    assert!(refused.contains("possibly related to argument 'tls-port'") && refused.contains("TLS"), "{refused}");
    assert_eq!(config_set(&mut con, "tls-port", "0").unwrap(), "OK");
}

#[test]
fn min_replicas_to_write_refuses_writes_without_replicas() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let _: () = redis::cmd("SET").arg("x").arg("some value").query(&mut con).unwrap();
    assert_eq!(config_set(&mut con, "min-slaves-to-write", "1").unwrap(), "OK");
    let noreplicas = "NOREPLICAS Not enough good replicas to write.";

    assert_eq!(error_text(redis::cmd("SET").arg("x").arg("1").query::<()>(&mut con)), noreplicas);
    let value: String = redis::cmd("GET").arg("x").query(&mut con).unwrap();
    assert_eq!(value, "some value");
    // Scripts, as in Redis's scripting.tcl "not enough good replicas".
    let read_only = "#!lua flags=no-writes\nreturn redis.call('get','x')";
    let value: String = redis::cmd("EVAL").arg(read_only).arg(1).arg("x").query(&mut con).unwrap();
    assert_eq!(value, "some value");
    let legacy_read = "return redis.call('get','x')";
    let value: String = redis::cmd("EVAL").arg(legacy_read).arg(1).arg("x").query(&mut con).unwrap();
    assert_eq!(value, "some value");
    let declared = "#!lua\nreturn redis.call('get','x')";
    assert_eq!(error_text(redis::cmd("EVAL").arg(declared).arg(1).arg("x").query::<String>(&mut con)), noreplicas);
    let legacy_write = "return redis.call('set','x','1')";
    let refused = error_text(redis::cmd("EVAL").arg(legacy_write).arg(1).arg("x").query::<String>(&mut con));
    assert!(refused.starts_with(noreplicas), "{refused}");

    // A transaction that writes is discarded; one that only reads runs.
    let mut other = server.sync_conn();
    let _: () = redis::cmd("MULTI").query(&mut other).unwrap();
    let queued = redis::cmd("INCR").arg("x").query::<String>(&mut other);
    assert_eq!(error_text(queued), noreplicas);
    let aborted = error_text(redis::cmd("EXEC").query::<Vec<String>>(&mut other));
    assert!(aborted.starts_with("EXECABORT"), "{aborted}");
    let read: Vec<String> = redis::pipe().atomic().cmd("GET").arg("x").query(&mut other).unwrap();
    assert_eq!(read, ["some value"]);
    // Queued while writes were allowed, refused at EXEC (multi.tcl "exec with write commands
    // and state change").
    assert_eq!(config_set(&mut con, "min-replicas-to-write", "0").unwrap(), "OK");
    let _: () = redis::cmd("MULTI").query(&mut other).unwrap();
    let _: String = redis::cmd("INCR").arg("x").query(&mut other).unwrap();
    assert_eq!(config_set(&mut con, "min-replicas-to-write", "2").unwrap(), "OK");
    let aborted = error_text(redis::cmd("EXEC").query::<Vec<String>>(&mut other));
    assert!(aborted.contains("EXECABORT") && aborted.contains("NOREPLICAS"), "{aborted}");
    assert_eq!(redis::cmd("MULTI").query::<String>(&mut other).unwrap(), "OK", "the transaction was discarded");
    let _: () = redis::cmd("DISCARD").query(&mut other).unwrap();

    // max-lag 0 turns the check off, as Redis's checkGoodReplicasStatus.
    assert_eq!(config_set(&mut con, "min-replicas-max-lag", "0").unwrap(), "OK");
    let _: () = redis::cmd("SET").arg("x").arg("2").query(&mut con).unwrap();
    assert_eq!(config_set(&mut con, "min-replicas-max-lag", "10").unwrap(), "OK");
    assert_eq!(config_set(&mut con, "min-replicas-to-write", "0").unwrap(), "OK");
    let _: () = redis::cmd("SET").arg("x").arg("3").query(&mut con).unwrap();
}

#[test]
fn acl_pubsub_default_gives_new_users_their_channels() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let list = |con: &mut redis::Connection| -> Vec<String> { redis::cmd("ACL").arg("LIST").query(con).unwrap() };
    let _: () = redis::cmd("ACL").arg("SETUSER").arg("before").arg("on").query(&mut con).unwrap();
    assert_eq!(config_set(&mut con, "acl-pubsub-default", "allchannels").unwrap(), "OK");
    let _: () = redis::cmd("ACL").arg("SETUSER").arg("after").arg("on").arg("(+get ~x)").query(&mut con).unwrap();
    let _: () = redis::cmd("ACL").arg("SETUSER").arg("reset").arg("on").arg("reset").query(&mut con).unwrap();
    assert_eq!(
        list(&mut con),
        [
            "user after on &* -@all (~x &* -@all +get)",
            "user before on resetchannels -@all",
            "user default on nopass ~* &* +@all",
            "user reset off sanitize-payload &* -@all",
        ]
    );
    assert_eq!(config_set(&mut con, "acl-pubsub-default", "resetchannels").unwrap(), "OK");
    let _: () = redis::cmd("ACL").arg("SETUSER").arg("later").query(&mut con).unwrap();
    assert!(list(&mut con).contains(&"user later off resetchannels -@all".to_owned()));
}

#[test]
fn latencystats_reports_the_configured_percentiles() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let line = |con: &mut redis::Connection| -> String {
        let info: String = redis::cmd("INFO").arg("latencystats").query(con).unwrap();
        info.lines().find(|l| l.starts_with("latency_percentiles_usec_ping:")).unwrap_or_default().to_owned()
    };
    let _: () = redis::cmd("PING").query(&mut con).unwrap();
    let keys = |line: &str| -> Vec<String> {
        let values = line.split_once(':').map_or("", |(_, v)| v);
        values.split(',').filter(|v| !v.is_empty()).map(|v| v.split('=').next().unwrap_or("").to_owned()).collect()
    };
    assert_eq!(keys(&line(&mut con)), ["p50", "p99", "p99.9"]);
    assert_eq!(config_set(&mut con, "latency-tracking-info-percentiles", "0 99.99999999 12.5").unwrap(), "OK");
    assert_eq!(
        config_get(&mut con, "latency-tracking-info-percentiles"),
        ["latency-tracking-info-percentiles", "0 100 12.5"]
    );
    assert_eq!(keys(&line(&mut con)), ["p0", "p100", "p12.5"]);
    assert_eq!(config_set(&mut con, "latency-tracking-info-percentiles", "").unwrap(), "OK");
    assert_eq!(line(&mut con), "latency_percentiles_usec_ping:");
    // latency-tracking no: what runs meanwhile gets no histogram (Redis's disable/enable).
    assert_eq!(config_set(&mut con, "latency-tracking-info-percentiles", "50").unwrap(), "OK");
    let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query(&mut con).unwrap();
    assert_eq!(config_set(&mut con, "latency-tracking", "no").unwrap(), "OK");
    let _: () = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(line(&mut con), "");
    assert_eq!(config_set(&mut con, "latency-tracking", "yes").unwrap(), "OK");
    let _: () = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(keys(&line(&mut con)), ["p50"]);
    assert_eq!(
        error_text(config_set(&mut con, "latency-tracking-info-percentiles", "50 101")),
        "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
    );
}

#[test]
fn logfile_and_pidfile_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("aegisr.log");
    let pid = dir.path().join("aegisr.pid");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aegisr-server"))
        .args(["--port", "0", "--grpc-port", "0", "--metrics-port", "-1", "--persistence", "none", "--dir"])
        .arg(dir.path())
        .arg("--logfile")
        .arg(&log)
        .arg("--pidfile")
        .arg(&pid)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The log goes to the file, so that is where the chosen port is read from.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let logged = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("Ready to accept connections") {
            break text;
        }
        assert!(std::time::Instant::now() < deadline, "not ready: {text}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let written = std::fs::read_to_string(&pid).unwrap();
    assert_eq!(written.trim().parse::<u32>().unwrap(), child.id());
    let resp = logged.lines().find_map(|l| l.split("RESP listening on ").nth(1)).unwrap().trim().to_owned();
    let mut con = redis::Client::open(format!("redis://{resp}")).unwrap().get_connection().unwrap();
    assert_eq!(config_get(&mut con, "logfile"), ["logfile", log.to_str().unwrap()]);
    let refused = error_text(config_set(&mut con, "pidfile", "other.pid"));
    assert!(refused.contains("can't set immutable config"), "{refused}");
    let _ = redis::cmd("SHUTDOWN").arg("NOSAVE").query::<()>(&mut con);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(!pid.exists(), "the pidfile is removed at shutdown");
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert!(!stdout.contains("Ready to accept connections"), "logged to standard output: {stdout}");
}

/// CONFIG SET port moves the RESP door while the node runs (Redis can): the new port takes
/// connections, the old one stops, an open connection stays. A port in use fails the whole
/// CONFIG SET with Redis's words and changes nothing (introspection.tcl "CONFIG SET rollback
/// on apply error").
#[test]
fn config_set_port_moves_the_resp_door() {
    use std::time::Duration;
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let old_port = server.resp.port();

    // A port in use: refused with every option of the call left as it was.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port().to_string();
    let maxmemory = config_get(&mut con, "maxmemory");
    let refused = error_text(
        redis::cmd("CONFIG")
            .arg(&["SET", "maxmemory", "10000001", "port", &taken_port, "client-query-buffer-limit", "10m"])
            .query::<String>(&mut con),
    );
    assert!(
        refused
            .starts_with("ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port"),
        "{refused}"
    );
    assert_eq!(config_get(&mut con, "maxmemory"), maxmemory);
    assert_eq!(config_get(&mut con, "port"), ["port", &old_port.to_string()]);
    drop(taken);

    // A free port: the door moves there.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let new_port = free.local_addr().unwrap().port();
    drop(free);
    assert_eq!(config_set(&mut con, "port", &new_port.to_string()).unwrap(), "OK");
    assert_eq!(config_get(&mut con, "port"), ["port", &new_port.to_string()]);
    let client = redis::Client::open(format!("redis://127.0.0.1:{new_port}")).unwrap();
    let mut moved = client.get_connection().expect("the new port takes connections");
    assert_eq!(redis::cmd("PING").query::<String>(&mut moved).unwrap(), "PONG");
    assert!(
        common::wait_until(Duration::from_secs(10), || std::net::TcpStream::connect(("127.0.0.1", old_port)).is_err()),
        "the old port stops taking connections"
    );
    // The connection made before the move stays.
    assert_eq!(redis::cmd("PING").query::<String>(&mut con).unwrap(), "PONG");
}

#[test]
fn protected_options_follow_enable_protected_configs() {
    // `local`: a client on a loopback address may set them (any option is a flag, as
    // redis-server takes them).
    let server = TestServer::start_with(&["--enable-protected-configs", "local"]);
    let mut con = server.sync_conn();
    assert_eq!(config_set(&mut con, "dbfilename", "other.rdb").unwrap(), "OK");
    assert_eq!(config_get(&mut con, "dbfilename"), ["dbfilename", "other.rdb"]);
    // `dir` stays read at start only here, whatever allows it.
    assert_eq!(
        error_text(config_set(&mut con, "dir", "/tmp")),
        "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set immutable config"
    );
}
