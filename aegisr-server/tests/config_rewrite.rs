//! CONFIG REWRITE: the running configuration goes back into the config file the node was
//! started with, comments and layout kept, and a restart with that file has the values.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, fail, run};

const ORIGINAL: &str = "\
# Aegisr test configuration.
# The comments must survive CONFIG REWRITE.

# Active expiry passes per second.
hz = 20 # tuned for the test

maxmemory = \"64mb\"   # written in units: left as is while unchanged
";

/// A key that is no option: refused at start, but one edited in by hand while the node
/// runs is left alone by a rewrite.
const HAND_EDITED: &str = "not_an_option_of_ours = \"left alone\"\n";

#[test]
fn without_a_config_file_rewrite_is_refused_as_by_redis() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(fail(&mut con, &["CONFIG", "REWRITE"]), "ERR The server is running without a config file");
}

#[test]
fn rewrite_keeps_comments_and_a_restart_has_the_new_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aegisr.toml");
    std::fs::write(&path, ORIGINAL).unwrap();
    {
        let server = TestServer::start_with(&["--config", path.to_str().unwrap()]);
        let mut con = server.sync_conn();
        let info: String = run(&mut con, &["INFO", "server"]);
        assert!(info.contains(&format!("config_file:{}\r\n", path.display())), "{info}");
        let _: () = run(&mut con, &["CONFIG", "SET", "hz", "42", "maxmemory-policy", "allkeys-lru"]);
        std::fs::write(&path, format!("{ORIGINAL}{HAND_EDITED}")).unwrap();
        let _: () = run(&mut con, &["CONFIG", "REWRITE"]);
    }
    let text = std::fs::read_to_string(&path).unwrap();
    // Still TOML, comments and unknown keys where they were.
    let table: toml::Table = text.parse().unwrap();
    assert_eq!(table["hz"].as_integer(), Some(42));
    assert_eq!(table["maxmemory-policy"].as_str(), Some("allkeys-lru"));
    assert_eq!(table["not_an_option_of_ours"].as_str(), Some("left alone"));
    assert!(text.starts_with("# Aegisr test configuration.\n# The comments must survive CONFIG REWRITE.\n\n# Active expiry passes per second.\nhz = 42 # tuned for the test\n"), "{text}");
    assert!(text.contains("maxmemory = \"64mb\"   # written in units: left as is while unchanged\n"), "{text}");
    // Options at their defaults are not added.
    assert!(!table.contains_key("maxclients"), "{text}");
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "{names:?}");

    // The unknown key would stop the node at start (as it should): take it out, restart.
    std::fs::write(&path, text.replace(HAND_EDITED, "")).unwrap();
    let server = TestServer::start_with(&["--config", path.to_str().unwrap()]);
    let mut con = server.sync_conn();
    let values: Vec<String> = run(&mut con, &["CONFIG", "GET", "hz"]);
    assert_eq!(values, ["hz", "42"]);
    let values: Vec<String> = run(&mut con, &["CONFIG", "GET", "maxmemory-policy"]);
    assert_eq!(values, ["maxmemory-policy", "allkeys-lru"]);
    let values: Vec<String> = run(&mut con, &["CONFIG", "GET", "maxmemory"]);
    assert_eq!(values, ["maxmemory", "67108864"]);
}

/// Directives as Debian's redis.conf writes them (quoted values, repeated `save` and
/// `client-output-buffer-limit` lines, units), and an included file.
const REDIS_CONF: &str = "\
# Redis configuration file example.
bind 127.0.0.1 -::1
protected-mode yes
tcp-backlog 511
timeout 0
daemonize no
loglevel notice
databases 16
proc-title-template \"{title} {listen-addr} {server-mode}\"
save 3600 1
save 300 100
notify-keyspace-events \"\"
hash-max-listpack-entries 512
list-max-listpack-size -2
client-output-buffer-limit normal 0 0 0
client-output-buffer-limit replica 256mb 64mb 60
client-output-buffer-limit pubsub 32mb 8mb 60
maxmemory-policy volatile-lru
hz 10
";

#[test]
fn a_redis_conf_is_read_as_redis_reads_it_and_rewritten_in_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let included = dir.path().join("local.conf");
    std::fs::write(&included, "hz 25\nmaxmemory 64mb\n").unwrap();
    let path = dir.path().join("redis.conf");
    std::fs::write(&path, format!("{REDIS_CONF}include {}\n", included.display())).unwrap();
    {
        // Given first, as redis-server takes it (`-::1`: IPv6 loopback if the machine has it).
        let server = TestServer::start_with(&[path.to_str().unwrap()]);
        let mut con = server.sync_conn();
        let get = |con: &mut redis::Connection, name: &str| -> String {
            let pair: Vec<String> = run(con, &["CONFIG", "GET", name]);
            pair[1].clone()
        };
        assert_eq!(get(&mut con, "save"), "3600 1 300 100");
        assert_eq!(get(&mut con, "hz"), "25", "the included file comes after");
        assert_eq!(get(&mut con, "maxmemory"), "67108864");
        assert_eq!(get(&mut con, "maxmemory-policy"), "volatile-lru");
        assert_eq!(get(&mut con, "proc-title-template"), "{title} {listen-addr} {server-mode}");
        assert_eq!(
            get(&mut con, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        let _: () =
            run(&mut con, &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu", "notify-keyspace-events", "Ex"]);
        let _: () = run(&mut con, &["CONFIG", "REWRITE"]);
    }
    let text = std::fs::read_to_string(&path).unwrap();
    // Lines whose option did not change stay as written; changed ones are edited in place;
    // as Redis, the running values go into the main file (hz, maxmemory from the include).
    let unchanged = REDIS_CONF.split("notify-keyspace-events").next().unwrap();
    assert!(text.starts_with(unchanged), "{text}");
    assert!(text.contains("\nnotify-keyspace-events xE\nhash-max-listpack-entries 512\n"), "{text}");
    assert!(text.contains("\nclient-output-buffer-limit replica 256mb 64mb 60\n"), "{text}");
    assert!(text.contains("\nmaxmemory-policy allkeys-lfu\nhz 25\ninclude "), "{text}");
    assert!(text.contains("\n# Generated by CONFIG REWRITE\n") && text.contains("\nmaxmemory 64mb\n"), "{text}");
    let server = TestServer::start_with(&["--config", path.to_str().unwrap()]);
    let mut con = server.sync_conn();
    let policy: Vec<String> = run(&mut con, &["CONFIG", "GET", "maxmemory-policy"]);
    assert_eq!(policy, ["maxmemory-policy", "allkeys-lfu"]);

    // A directive Aegisr cannot honour stops the start, naming the line.
    std::fs::write(&path, "port 6390\nrename-command FLUSHALL \"\"\n").unwrap();
    let (status, output) = TestServer::start_failing(dir.path(), &[path.to_str().unwrap()]);
    assert!(!status.success());
    assert!(output.contains("line 2: 'rename-command FLUSHALL \"\"': rename-command is not supported"), "{output}");
}

#[test]
fn users_of_a_redis_conf_are_loaded_and_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("redis.conf");
    std::fs::write(&path, "requirepass topsecret\nuser alice on >alicepw ~cache:* +get +set\n").unwrap();
    {
        let server = TestServer::start_with(&[path.to_str().unwrap()]);
        let mut raw = server.raw();
        // The file's user, and the default user still behind requirepass.
        raw.expect(&["GET", "cache:1"], "-NOAUTH Authentication required.\r\n");
        raw.expect(&["AUTH", "alice", "alicepw"], "+OK\r\n");
        raw.expect(&["GET", "cache:1"], "$-1\r\n");
        raw.expect(
            &["GET", "other"],
            "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n",
        );
        raw.expect(&["AUTH", "topsecret"], "+OK\r\n");
        raw.expect(&["ACL", "SETUSER", "bob", "on", ">bobpw", "+ping"], "+OK\r\n");
        raw.expect(&["ACL", "DELUSER", "alice"], ":1\r\n");
        raw.expect(&["CONFIG", "REWRITE"], "+OK\r\n");
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\nuser bob on #") && !text.contains("alice"), "{text}");
    let server = TestServer::start_with(&[path.to_str().unwrap()]);
    let mut raw = server.raw();
    raw.expect(&["AUTH", "bob", "bobpw"], "+OK\r\n");
    raw.expect(&["PING"], "+PONG\r\n");
    raw.expect(&["AUTH", "alice", "alicepw"], "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    raw.expect(&["AUTH", "topsecret"], "+OK\r\n");
    drop(server);

    // Users in both the config file and an ACL file: refused, as Redis refuses it.
    let aclfile = dir.path().join("users.acl");
    std::fs::write(&aclfile, "user carol on nopass +@all\n").unwrap();
    std::fs::write(&path, format!("aclfile {}\nuser dave on nopass +@all\n", aclfile.display())).unwrap();
    let (status, output) = TestServer::start_failing(dir.path(), &[path.to_str().unwrap()]);
    assert!(!status.success());
    assert!(
        output.contains("users defined in redis.conf and at the same setting an ACL file path is invalid"),
        "{output}"
    );
}
