//! Server commands through real clients: COMMAND, INFO, CONFIG, TIME.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestServer;
use redis::Value;

fn cmd(name: &str) -> redis::Cmd {
    redis::cmd(name)
}

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Okay => "OK".into(),
        other => panic!("not text: {other:?}"),
    }
}

#[test]
fn command_info_describes_commands_like_redis() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let count: i64 = cmd("COMMAND").arg("COUNT").query(&mut con).unwrap();
    let all: Vec<Value> = cmd("COMMAND").query(&mut con).unwrap();
    assert_eq!(all.len() as i64, count);
    assert!(count >= 15, "{count}");

    let info: Vec<Value> =
        cmd("COMMAND").arg("INFO").arg("get").arg("nosuch").arg("client|setname").query(&mut con).unwrap();
    assert_eq!(info.len(), 3);
    let Value::Array(get) = &info[0] else { panic!("{info:?}") };
    assert_eq!(get.len(), 10);
    assert_eq!(text(&get[0]), "get");
    assert_eq!(get[1], Value::Int(2));
    let Value::Array(flags) = &get[2] else { panic!() };
    let flags: Vec<String> = flags.iter().map(text).collect();
    assert!(flags.contains(&"readonly".to_string()) && flags.contains(&"fast".to_string()), "{flags:?}");
    assert_eq!((&get[3], &get[4], &get[5]), (&Value::Int(1), &Value::Int(1), &Value::Int(1)));
    let Value::Array(cats) = &get[6] else { panic!() };
    let cats: Vec<String> = cats.iter().map(text).collect();
    assert!(cats.contains(&"@read".to_string()) && cats.contains(&"@string".to_string()), "{cats:?}");
    assert_eq!(info[1], Value::Nil);
    let Value::Array(setname) = &info[2] else { panic!() };
    assert_eq!(text(&setname[0]), "client|setname");
    assert_eq!(setname[1], Value::Int(3));
    // A missing command is a nil bulk string in RESP2 (`$-1`), as Redis writes it.
    server.raw().expect(&["COMMAND", "INFO", "nosuch"], "*1\r\n$-1\r\n");
    // In RESP3 flags, categories, tips, key specs and absent subcommands are sets.
    server.raw_resp3().expect(
        &["COMMAND", "INFO", "config|get"],
        "*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n~4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n\
         :0\r\n:0\r\n:0\r\n~3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n~0\r\n~0\r\n~0\r\n",
    );
    // Categories come in the order of Redis's category table, whatever implies them.
    let cats_of = |con: &mut redis::Connection, name: &str| -> Vec<String> {
        let info: Vec<Value> = cmd("COMMAND").arg("INFO").arg(name).query(con).unwrap();
        let Value::Array(entry) = &info[0] else { panic!("{info:?}") };
        let Value::Array(cats) = &entry[6] else { panic!("{entry:?}") };
        cats.iter().map(text).collect()
    };
    assert_eq!(cats_of(&mut con, "config|get"), ["@admin", "@slow", "@dangerous"]);
    assert_eq!(cats_of(&mut con, "client|list"), ["@admin", "@slow", "@dangerous", "@connection"]);
    assert_eq!(cats_of(&mut con, "get"), ["@read", "@string", "@fast"]);
    // Redis 7.0.15's: a container is only @slow (its subcommands carry the categories);
    // SORT is in the categories of what it sorts; WAIT is a connection command.
    for container in ["client", "object", "pubsub", "xinfo", "xgroup", "function", "script", "pubsub|help"] {
        assert_eq!(cats_of(&mut con, container), ["@slow"], "{container}");
    }
    assert_eq!(cats_of(&mut con, "sort"), ["@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"]);
    assert_eq!(cats_of(&mut con, "sort_ro"), ["@read", "@set", "@sortedset", "@list", "@slow", "@dangerous"]);
    assert_eq!(cats_of(&mut con, "wait"), ["@slow", "@connection"]);
    let keyspace: Vec<String> = cmd("ACL").arg("CAT").arg("keyspace").query(&mut con).unwrap();
    assert!(!keyspace.iter().any(|c| c == "sort" || c == "wait" || c == "object"), "{keyspace:?}");
    server.raw().expect(&["COMMAND", "INFO", "pubsub|help"], "*1\r\n*10\r\n$11\r\npubsub|help\r\n:2\r\n*2\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n*0\r\n*0\r\n*0\r\n");
}

#[test]
fn command_info_reports_redis_key_specs_tips_and_flags() {
    let server = TestServer::start();
    // BITOP's destination and sources are two key specs, as Redis 7 writes them (bytes
    // taken from Redis 7.0's reply).
    server.raw().expect(
        &["COMMAND", "INFO", "bitop"],
        "*1\r\n*10\r\n$5\r\nbitop\r\n:-4\r\n*2\r\n+write\r\n+denyoom\r\n:2\r\n:-1\r\n:1\r\n*3\r\n+@write\r\n\
         +@bitmap\r\n+@slow\r\n*0\r\n*2\r\n*6\r\n$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n$12\r\nbegin_search\r\n\
         *4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n\
         $4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\n\
         limit\r\n:0\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n\
         $5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:3\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\n\
         range\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n",
    );
    // Tips are bulk strings.
    server.raw().expect(
        &["COMMAND", "INFO", "keys"],
        "*1\r\n*10\r\n$4\r\nkeys\r\n:2\r\n*1\r\n+readonly\r\n:0\r\n:0\r\n:0\r\n*4\r\n+@keyspace\r\n+@read\r\n\
         +@slow\r\n+@dangerous\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\nnondeterministic_output_order\r\n\
         *0\r\n*0\r\n",
    );
    let mut con = server.sync_conn();
    let entry = |con: &mut redis::Connection, name: &str| -> Vec<Value> {
        let info: Vec<Value> = cmd("COMMAND").arg("INFO").arg(name).query(con).unwrap();
        let Value::Array(entry) = &info[0] else { panic!("{info:?}") };
        entry.clone()
    };
    let names = |v: &Value| -> Vec<String> {
        let Value::Array(items) = v else { panic!("{v:?}") };
        items.iter().map(text).collect()
    };
    // Redis's own test suite: XREAD is marked with movablekeys, SET is not.
    assert!(names(&entry(&mut con, "xread")[2]).contains(&"movablekeys".to_string()));
    assert!(!names(&entry(&mut con, "set")[2]).contains(&"movablekeys".to_string()));
    assert!(names(&entry(&mut con, "hello")[2]).contains(&"allow_busy".to_string()));
    assert!(names(&entry(&mut con, "bgsave")[2]).contains(&"no_async_loading".to_string()));
    assert_eq!(names(&entry(&mut con, "command|info")[6]), ["@slow", "@connection"]);
    // SORT's STORE key is an "unknown" spec with Redis's note.
    let Value::Array(specs) = &entry(&mut con, "sort")[8] else { panic!() };
    assert_eq!(specs.len(), 3);
    let Value::Array(store) = &specs[2] else { panic!("{specs:?}") };
    assert_eq!(text(&store[0]), "notes");
    assert!(text(&store[1]).starts_with("For the optional STORE keyword"), "{store:?}");
    // A command of Aegisr's own gets key specs from its table.
    let Value::Array(specs) = &entry(&mut con, "bf.add")[8] else { panic!() };
    assert_eq!(specs.len(), 1);
}

#[test]
fn command_getkeys_list_and_docs() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let keys: Vec<String> =
        cmd("COMMAND").arg("GETKEYS").arg("MSET").arg("a").arg("1").arg("b").arg("2").query(&mut con).unwrap();
    assert_eq!(keys, ["a", "b"]);
    let err = cmd("COMMAND").arg("GETKEYS").arg("PING").arg("x").query::<Value>(&mut con).unwrap_err();
    assert!(err.to_string().contains("The command has no key arguments"), "{err}");
    let err = cmd("COMMAND").arg("GETKEYS").arg("NOSUCH").arg("x").query::<Value>(&mut con).unwrap_err();
    assert!(err.to_string().contains("Invalid command specified"), "{err}");
    let err = cmd("COMMAND").arg("GETKEYS").arg("GET").arg("a").arg("b").query::<Value>(&mut con).unwrap_err();
    assert!(err.to_string().contains("Invalid number of arguments specified for command"), "{err}");
    // COMMAND GETKEYS takes a command and at least one of its arguments (arity -4).
    for alone in ["GET", "PING"] {
        let err = cmd("COMMAND").arg("GETKEYS").arg(alone).query::<Value>(&mut con).unwrap_err();
        assert!(err.to_string().contains("wrong number of arguments for 'command|getkeys'"), "{err}");
    }
    // XREAD and XREADGROUP: the keys are the first half of what follows STREAMS.
    let keys: Vec<String> =
        cmd("COMMAND").arg(&["GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"]).query(&mut con).unwrap();
    assert_eq!(keys, ["a", "b"]);
    let keys: Vec<String> =
        cmd("COMMAND").arg(&["GETKEYS", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]).query(&mut con).unwrap();
    assert_eq!(keys, ["s"]);

    // Commands whose keys are counted by an argument.
    let keys: Vec<String> = cmd("COMMAND")
        .arg("GETKEYS")
        .arg("ZUNIONSTORE")
        .arg("dest")
        .arg(2)
        .arg("a")
        .arg("b")
        .arg("WEIGHTS")
        .arg(1)
        .arg(2)
        .query(&mut con)
        .unwrap();
    assert_eq!(keys, ["dest", "a", "b"]);
    let keys: Vec<String> =
        cmd("COMMAND").arg("GETKEYS").arg("LMPOP").arg(2).arg("a").arg("b").arg("LEFT").query(&mut con).unwrap();
    assert_eq!(keys, ["a", "b"]);
    let err = cmd("COMMAND")
        .arg("GETKEYS")
        .arg("ZUNIONSTORE")
        .arg("dest")
        .arg(9)
        .arg("a")
        .query::<Value>(&mut con)
        .unwrap_err();
    assert!(err.to_string().contains("Invalid arguments specified for command"), "{err}");

    let names: Vec<String> = cmd("COMMAND").arg("LIST").query(&mut con).unwrap();
    assert!(names.contains(&"get".into()) && names.contains(&"config|set".into()));
    let names: Vec<String> =
        cmd("COMMAND").arg("LIST").arg("FILTERBY").arg("PATTERN").arg("client*").query(&mut con).unwrap();
    assert!(!names.is_empty() && names.iter().all(|n| n.starts_with("client")), "{names:?}");
    let names: Vec<String> =
        cmd("COMMAND").arg("LIST").arg("FILTERBY").arg("ACLCAT").arg("string").query(&mut con).unwrap();
    assert!(names.contains(&"incr".into()) && !names.contains(&"ping".into()), "{names:?}");

    let docs: Value = cmd("COMMAND").arg("DOCS").arg("set").query(&mut con).unwrap();
    let Value::Array(docs) = docs else { panic!("{docs:?}") };
    assert_eq!(text(&docs[0]), "set");
    let Value::Array(fields) = &docs[1] else { panic!() };
    let fields: Vec<String> = fields
        .iter()
        .map(|v| match v {
            Value::BulkString(_) => text(v),
            _ => String::new(),
        })
        .collect();
    assert!(
        fields.contains(&"summary".into()) && fields.contains(&"group".into()) && fields.contains(&"string".into()),
        "{fields:?}"
    );
    // The argument tree, as Redis documents it: the key first, tokens on options.
    let at = fields.iter().position(|f| f == "arguments").expect("an arguments field");
    let Value::Array(arguments) = &fields_of(&docs[1])[at + 1] else { panic!() };
    let first = format!("{:?}", arguments[0]);
    assert!(first.contains("\"key\"") && first.contains("key_spec_index"), "{first}");
    let all = format!("{arguments:?}");
    for expected in ["\"pure-token\"", "\"NX\"", "\"EX\"", "\"oneof\"", "\"optional\""] {
        assert!(all.contains(expected), "{expected} in {all}");
    }
    let lpush: Value = cmd("COMMAND").arg("DOCS").arg("lpush").query(&mut con).unwrap();
    let text = format!("{lpush:?}");
    assert!(text.contains("\"multiple\""), "{text}");
}

fn fields_of(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) => items,
        other => panic!("{other:?}"),
    }
}

#[test]
fn info_has_redis_sections_and_fields() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let info: String = cmd("INFO").query(&mut con).unwrap();
    for needle in [
        "# Server\r\n",
        "redis_version:",
        "tcp_port:",
        "# Clients\r\n",
        "connected_clients:1",
        "# Memory\r\n",
        "used_memory:",
        "# Stats\r\n",
        "total_commands_processed:",
        "# Keyspace\r\n",
    ] {
        assert!(info.contains(needle), "missing {needle:?} in {info}");
    }
    assert!(info.contains(&format!("tcp_port:{}\r\n", server.resp.port())));
    let _: () = cmd("SET").arg("k").arg("v").query(&mut con).unwrap();
    let _: Option<String> = cmd("GET").arg("k").query(&mut con).unwrap();
    let _: Option<String> = cmd("GET").arg("missing").query(&mut con).unwrap();
    let keyspace: String = cmd("INFO").arg("keyspace").query(&mut con).unwrap();
    assert_eq!(keyspace, "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n");
    let stats: String = cmd("INFO").arg("stats").query(&mut con).unwrap();
    assert!(stats.contains("keyspace_hits:1\r\n") && stats.contains("keyspace_misses:1\r\n"), "{stats}");
    // avg_ttl: active expiry's estimate of the keys with a deadline (ms), as Redis's.
    let _: () = cmd("SET").arg("t").arg("v").arg("EX").arg(1000).query(&mut con).unwrap();
    let avg_ttl = || -> u64 {
        let keyspace: String = cmd("INFO").arg("keyspace").query(&mut server.sync_conn()).unwrap();
        let field = keyspace.split("avg_ttl=").nth(1).unwrap_or_default();
        field.trim_end().parse().unwrap()
    };
    assert!(common::wait_until(std::time::Duration::from_secs(10), || avg_ttl() > 0));
    assert!((990_000..=1_000_000).contains(&avg_ttl()), "{}", avg_ttl());
    assert!(!stats.contains("# Server"));
    assert_eq!(cmd("CONFIG").arg("RESETSTAT").query::<String>(&mut con).unwrap(), "OK");
    let stats: String = cmd("INFO").arg("stats").query(&mut con).unwrap();
    assert!(stats.contains("keyspace_hits:0\r\n"), "{stats}");
}

#[test]
fn config_get_and_set() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let found: Vec<String> = cmd("CONFIG").arg("GET").arg("maxmemory*").arg("hz").query(&mut con).unwrap();
    assert_eq!(
        found,
        [
            "hz",
            "10",
            "maxmemory",
            "0",
            "maxmemory-clients",
            "0",
            "maxmemory-eviction-tenacity",
            "10",
            "maxmemory-policy",
            "noeviction",
            "maxmemory-samples",
            "5"
        ]
    );
    let found: Vec<String> = cmd("CONFIG").arg("GET").arg("proto-max-bulk-len").query(&mut con).unwrap();
    assert_eq!(found, ["proto-max-bulk-len", "536870912"]);
    let found: Vec<String> = cmd("CONFIG").arg("GET").arg("no-such-thing").query(&mut con).unwrap();
    assert!(found.is_empty());

    assert_eq!(
        cmd("CONFIG")
            .arg("SET")
            .arg("hz")
            .arg("20")
            .arg("maxmemory-policy")
            .arg("allkeys-lru")
            .query::<String>(&mut con)
            .unwrap(),
        "OK"
    );
    let found: Vec<String> = cmd("CONFIG").arg("GET").arg("hz").query(&mut con).unwrap();
    assert_eq!(found, ["hz", "20"]);
    // A Redis option without meaning here is kept, so tools that set it keep working.
    assert_eq!(cmd("CONFIG").arg("SET").arg("activerehashing").arg("no").query::<String>(&mut con).unwrap(), "OK");

    // All or nothing: the bad second pair leaves hz unchanged.
    let err = cmd("CONFIG")
        .arg("SET")
        .arg("hz")
        .arg("30")
        .arg("maxclients")
        .arg("lots")
        .query::<String>(&mut con)
        .unwrap_err();
    assert!(err.to_string().contains("CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"), "{err}");
    let found: Vec<String> = cmd("CONFIG").arg("GET").arg("hz").query(&mut con).unwrap();
    assert_eq!(found, ["hz", "20"]);

    let err = cmd("CONFIG").arg("SET").arg("nosuch").arg("1").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("Unknown option or number of arguments for CONFIG SET - 'nosuch'"), "{err}");
    let err = cmd("CONFIG").arg("SET").arg("databases").arg("4").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("can't set immutable config"), "{err}");
    let err = cmd("CONFIG").arg("SET").arg("maxmemory-samples").arg("0").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("argument must be between 1 and 2147483647 inclusive"), "{err}");
    let err = cmd("CONFIG").arg("SET").arg("hz").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("wrong number of arguments for 'config|set' command"), "{err}");
    let err = cmd("CONFIG").arg("SET").arg("maxmemory-policy").arg("sometimes").query::<String>(&mut con).unwrap_err();
    assert!(
        err.to_string()
            .contains("argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random"),
        "{err}"
    );
    assert_eq!(cmd("CONFIG").arg("SET").arg("proto-max-bulk-len").arg("2mb").query::<String>(&mut con).unwrap(), "OK");
    let found: Vec<String> = cmd("CONFIG").arg("GET").arg("proto-max-bulk-len").query(&mut con).unwrap();
    assert_eq!(found, ["proto-max-bulk-len", "2097152"]);
}

#[test]
fn config_set_maxclients_applies_to_new_connections() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(cmd("CONFIG").arg("SET").arg("maxclients").arg("2").query::<String>(&mut con).unwrap(), "OK");
    let mut second = server.sync_conn();
    assert_eq!(cmd("PING").query::<String>(&mut second).unwrap(), "PONG");
    let mut raw = server.raw();
    assert_eq!(raw.read_line(), "-ERR max number of clients reached\r\n");
    assert!(raw.is_closed());
    let info: String = cmd("INFO").arg("stats").query(&mut con).unwrap();
    assert!(info.contains("rejected_connections:1\r\n"), "{info}");
}

#[test]
fn time_is_now() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let (secs, micros): (u64, u64) = cmd("TIME").query(&mut con).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(secs.abs_diff(now) <= 2 && micros < 1_000_000);
}

#[test]
fn config_and_command_help_are_redis_texts() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let help: Vec<String> = cmd("CONFIG").arg("HELP").query(&mut con).unwrap();
    assert_eq!(
        help,
        [
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "HELP",
            "    Prints this help.",
        ]
    );
    let help: Vec<String> = cmd("COMMAND").arg("HELP").query(&mut con).unwrap();
    assert_eq!(help.len(), 21, "{help:?}");
    assert_eq!(help[0], "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    assert_eq!(help[1..3], ["(no subcommand)", "    Return details about all Redis commands."]);
    assert_eq!(
        help[17..],
        [
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
            "HELP",
            "    Prints this help."
        ]
    );
}

#[test]
fn config_takes_the_ziplist_aliases() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let get = |con: &mut redis::Connection, pattern: &str| -> Vec<String> {
        let mut found: Vec<String> = cmd("CONFIG").arg("GET").arg(pattern).query(con).unwrap();
        // Pairs in any order.
        let mut pairs: Vec<String> = found.chunks(2).map(|p| p.join("=")).collect();
        pairs.sort();
        found.clear();
        pairs
    };
    assert_eq!(
        cmd("CONFIG").arg("SET").arg("hash-max-ziplist-entries").arg("64").query::<String>(&mut con).unwrap(),
        "OK"
    );
    assert_eq!(get(&mut con, "hash-max-listpack-entries"), ["hash-max-listpack-entries=64"]);
    assert_eq!(get(&mut con, "hash-max-*-entries"), ["hash-max-listpack-entries=64", "hash-max-ziplist-entries=64"]);
    assert_eq!(get(&mut con, "list-max-ziplist-size"), ["list-max-ziplist-size=-2"]);
    assert_eq!(get(&mut con, "zset-max-ziplist-value"), ["zset-max-ziplist-value=64"]);
    // Parameters Redis's own tests set, accepted and kept although they change nothing here.
    for (name, value) in [("list-compress-depth", "1"), ("latency-tracking", "no"), ("maxmemory-clients", "1024")] {
        assert_eq!(cmd("CONFIG").arg("SET").arg(name).arg(value).query::<String>(&mut con).unwrap(), "OK");
        assert_eq!(get(&mut con, name), [format!("{name}={value}")]);
    }
}

/// Expected keys, each with its flags.
type KeysAndFlags<'a> = &'a [(&'a str, &'a [&'a str])];

/// COMMAND GETKEYSANDFLAGS as `[(key, [flag, ...]), ...]`.
fn keys_and_flags(con: &mut redis::Connection, command: &[&str]) -> Vec<(String, Vec<String>)> {
    let reply: Vec<Value> = cmd("COMMAND").arg("GETKEYSANDFLAGS").arg(command).query(con).unwrap();
    reply
        .iter()
        .map(|entry| {
            let Value::Array(pair) = entry else { panic!("{entry:?}") };
            let Value::Array(flags) = &pair[1] else { panic!("{pair:?}") };
            (text(&pair[0]), flags.iter().map(text).collect())
        })
        .collect()
}

#[test]
fn command_getkeysandflags_as_redis_7() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // Each expectation is what Redis 7.0.15 answers.
    let cases: &[(&[&str], KeysAndFlags)] = &[
        (&["SET", "k", "v"], &[("k", &["OW", "update"])]),
        (&["SET", "k", "v", "GET"], &[("k", &["RW", "access", "update"])]),
        (&["GET", "k"], &[("k", &["RO", "access"])]),
        (&["LMOVE", "a", "b", "LEFT", "RIGHT"], &[("a", &["RW", "access", "delete"]), ("b", &["RW", "insert"])]),
        (&["DEL", "a", "b"], &[("a", &["RM", "delete"]), ("b", &["RM", "delete"])]),
        (&["SORT", "a", "BY", "x", "STORE", "b", "GET", "y"], &[("a", &["RO", "access"]), ("b", &["OW", "update"])]),
        (
            &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s1", "s2", "0", "0"],
            &[("s1", &["RO", "access"]), ("s2", &["RO", "access"])],
        ),
        (
            &["ZUNIONSTORE", "d", "2", "a", "b"],
            &[("d", &["OW", "update"]), ("a", &["RO", "access"]), ("b", &["RO", "access"])],
        ),
        (&["MSET", "a", "1", "b", "2"], &[("a", &["OW", "update"]), ("b", &["OW", "update"])]),
        (&["BITFIELD", "k", "GET", "u8", "0"], &[("k", &["RO", "access"])]),
        (&["BITFIELD", "k", "SET", "u8", "0", "1"], &[("k", &["RW", "access", "update"])]),
        (&["OBJECT", "ENCODING", "k"], &[("k", &["RO"])]),
    ];
    for (command, expected) in cases {
        let expected: Vec<(String, Vec<String>)> =
            expected.iter().map(|(k, flags)| (k.to_string(), flags.iter().map(|f| f.to_string()).collect())).collect();
        assert_eq!(keys_and_flags(&mut con, command), expected, "{command:?}");
    }
    let error = |con: &mut redis::Connection, args: &[&str]| -> String {
        cmd("COMMAND").arg("GETKEYSANDFLAGS").arg(args).query::<Value>(con).unwrap_err().to_string()
    };
    assert!(error(&mut con, &["PING", "x"]).contains("The command has no key arguments"));
    assert!(error(&mut con, &["SPUBLISH", "ch", "m"]).contains("The command has no key arguments"));
    assert!(error(&mut con, &["NOSUCH", "x"]).contains("Invalid command specified"));
    assert!(error(&mut con, &["GET", "a", "b"]).contains("Invalid number of arguments specified for command"));
    assert!(error(&mut con, &["ZUNIONSTORE", "d", "5", "a"]).contains("Invalid arguments specified for command"));
    assert!(error(&mut con, &["GET"]).contains("wrong number of arguments for 'command|getkeysandflags'"));
    // RESP3: each key's flags are a set.
    server.raw_resp3().expect(
        &["COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT"],
        "*2\r\n*2\r\n$1\r\na\r\n~3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n~2\r\n+RW\r\n+insert\r\n",
    );
}

#[test]
fn module_commands_load_nothing() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let list: Vec<Value> = cmd("MODULE").arg("LIST").query(&mut con).unwrap();
    assert!(list.is_empty());
    let help: Vec<String> = cmd("MODULE").arg("HELP").query(&mut con).unwrap();
    assert_eq!(help[0], "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    assert_eq!(help.len(), 11);
    // Protected by enable-module-command, off by default as in Redis.
    let refused = "MODULE command not allowed. If the enable-module-command option is set to \"local\"";
    for args in [&["LOAD", "/x.so"][..], &["LOADEX", "/x.so"], &["UNLOAD", "x"]] {
        let err = cmd("MODULE").arg(args).query::<Value>(&mut con).unwrap_err();
        assert!(err.to_string().contains(refused), "{args:?}: {err}");
    }
    let err = cmd("MODULE").arg("LOAD").query::<Value>(&mut con).unwrap_err();
    assert!(err.to_string().contains("wrong number of arguments for 'module|load'"), "{err}");

    // Allowed: a load fails as one Redis could not do, with the reason in the log.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aegisr.toml");
    std::fs::write(&path, "enable-module-command = \"local\"\n").unwrap();
    let server = TestServer::start_with(&["--config", path.to_str().unwrap()]);
    let mut con = server.sync_conn();
    for args in [&["LOAD", "/x.so", "arg"][..], &["LOADEX", "/x.so", "CONFIG", "a", "b", "ARGS", "c"]] {
        let err = cmd("MODULE").arg(args).query::<Value>(&mut con).unwrap_err();
        assert!(err.to_string().contains("Error loading the extension. Please check the server logs."), "{err}");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let logged = loop {
        match server.log.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
            Ok(line) if line.contains("Module /x.so failed to load: Aegisr cannot load Redis modules") => break true,
            Ok(_) => {}
            Err(_) => break false,
        }
    };
    assert!(logged, "the failed load is logged with its reason");
    let err = cmd("MODULE").arg("UNLOAD").arg("bf").query::<Value>(&mut con).unwrap_err();
    assert!(err.to_string().contains("Error unloading module: no such module with that name"), "{err}");
}
