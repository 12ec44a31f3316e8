//! Authentication and ACLs as Redis 7.0: requirepass, AUTH / HELLO AUTH / RESET, users
//! with limited commands, keys and channels, ACL LIST / GETUSER / LOG / DELUSER / LOAD /
//! SAVE, transactions, and the gRPC door's credentials. Expected texts are Redis 7.0.15's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use aegisr_proto::{Client, SubscribeRequest};
use common::{RawConn, TestServer, fail, run, wait_until};

const NOAUTH: &str = "-NOAUTH Authentication required.\r\n";
const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const NOPERM_KEY: &str = "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n";
const NOPERM_CHANNEL: &str = "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n";

/// A raw connection authenticated as `user`.
fn login(server: &TestServer, user: &str, password: &str) -> RawConn {
    let mut raw = server.raw();
    raw.expect(&["AUTH", user, password], "+OK\r\n");
    raw
}

#[test]
fn requirepass_needs_auth_before_anything_else() {
    let server = TestServer::start_with(&["--requirepass", "secret"]);
    let mut raw = server.raw();
    raw.expect(&["PING"], NOAUTH);
    raw.expect(&["GET", "k"], NOAUTH);
    raw.expect(&["AUTH", "wrong"], WRONGPASS);
    raw.expect(&["AUTH", "default", "wrong"], WRONGPASS);
    raw.expect(&["AUTH", "a", "b", "c"], "-ERR syntax error\r\n");
    raw.expect(&["AUTH", "secret"], "+OK\r\n");
    raw.expect(&["PING"], "+PONG\r\n");
    raw.expect(&["ACL", "WHOAMI"], "$7\r\ndefault\r\n");
    // RESET goes back to the default user, unauthenticated while it needs a password.
    raw.expect(&["RESET"], "+RESET\r\n");
    raw.expect(&["PING"], NOAUTH);
    raw.expect(&["QUIT"], "+OK\r\n");

    let mut raw = server.raw();
    raw.expect(
        &["HELLO", "3"],
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n",
    );
    raw.expect(&["HELLO", "3", "AUTH", "default", "wrong"], WRONGPASS);
    raw.command(&[b"HELLO", b"3", b"AUTH", b"default", b"secret", b"SETNAME", b"me"]);
    assert_eq!(raw.read_line(), "%7\r\n");

    // A client with the password in its URL.
    let url = format!("redis://:secret@{}", server.url().trim_start_matches("redis://"));
    let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
    common::set(&mut con, "k", "v");
    // CONFIG SET requirepass is ACL SETUSER default resetpass >password.
    let listed: Vec<String> = run(&mut con, &["ACL", "LIST"]);
    assert_eq!(
        listed,
        ["user default on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~* &* +@all"]
    );
    // Secrets never show in the slow log (nor in MONITOR).
    run::<()>(&mut con, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    run::<()>(&mut con, &["AUTH", "default", "secret"]);
    let slow: Vec<Vec<redis::Value>> = run(&mut con, &["SLOWLOG", "GET", "1"]);
    let shown: Vec<String> = redis::from_redis_value_ref(&slow[0][3]).unwrap();
    assert_eq!(shown, ["AUTH", "(redacted)", "(redacted)"]);
    run::<()>(&mut con, &["CONFIG", "SET", "requirepass", ""]);
    let slow: Vec<Vec<redis::Value>> = run(&mut con, &["SLOWLOG", "GET", "1"]);
    let shown: Vec<String> = redis::from_redis_value_ref(&slow[0][3]).unwrap();
    assert_eq!(shown, ["CONFIG", "SET", "requirepass", "(redacted)"]);
    let listed: Vec<String> = run(&mut con, &["ACL", "LIST"]);
    assert_eq!(listed, ["user default on nopass ~* &* +@all"]);
    let mut raw = server.raw();
    raw.expect(&["GET", "k"], "$1\r\nv\r\n");
    raw.expect(
        &["AUTH", "x"],
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n",
    );
    // Any password opens a nopass user.
    raw.expect(&["AUTH", "default", "x"], "+OK\r\n");
}

#[test]
fn a_connection_made_before_requirepass_stays_authenticated() {
    let server = TestServer::start();
    let mut before = server.raw();
    before.expect(&["CONFIG", "SET", "requirepass", "pw"], "+OK\r\n");
    before.expect(&["PING"], "+PONG\r\n");
    let mut after = server.raw();
    after.expect(&["PING"], NOAUTH);
    assert_eq!(server.redis_cli(&["CONFIG", "GET", "requirepass"]).map(|s| s.contains("NOAUTH")), Some(true));
}

#[test]
fn limited_users_get_noperm() {
    let server = TestServer::start();
    let mut admin = server.sync_conn();
    run::<()>(
        &mut admin,
        &[
            "ACL",
            "SETUSER",
            "lim",
            "on",
            ">pw",
            "~k*",
            "%R~r*",
            "&ch*",
            "+get",
            "+set",
            "+publish",
            "+subscribe",
            "+psubscribe",
            "+multi",
            "+exec",
            "+config|get",
        ],
    );
    let mut raw = login(&server, "lim", "pw");
    raw.expect(&["ACL", "WHOAMI"], "-NOPERM this user has no permissions to run the 'acl|whoami' command\r\n");
    raw.expect(&["SET", "k1", "v"], "+OK\r\n");
    raw.expect(&["GET", "k1"], "$1\r\nv\r\n");
    raw.expect(&["GET", "x"], NOPERM_KEY);
    // Read-only patterns: readable, not writable.
    raw.expect(&["GET", "r1"], "$-1\r\n");
    raw.expect(&["SET", "r1", "v"], NOPERM_KEY);
    raw.expect(&["HGET", "k", "f"], "-NOPERM this user has no permissions to run the 'hget' command\r\n");
    raw.expect(
        &["CONFIG", "SET", "hz", "10"],
        "-NOPERM this user has no permissions to run the 'config|set' command\r\n",
    );
    raw.command(&[b"CONFIG", b"GET", b"hz"]);
    assert_eq!(raw.read_line(), "*2\r\n");
    raw.read_exact_len("$2\r\nhz\r\n$2\r\n10\r\n".len());
    raw.expect(&["PUBLISH", "ch1", "m"], ":0\r\n");
    raw.expect(&["PUBLISH", "zz", "m"], NOPERM_CHANNEL);
    // A pattern must be one of the user's patterns, literally.
    raw.expect(&["PSUBSCRIBE", "c*"], NOPERM_CHANNEL);
    // CLIENT LIST names the user.
    let list: String = run(&mut admin, &["CLIENT", "LIST"]);
    assert!(list.lines().any(|l| l.contains(" user=lim ")), "{list}");
    assert!(list.lines().any(|l| l.contains(" user=default ")), "{list}");

    // The log: newest first, a repeat counted into its entry.
    raw.expect(&["PUBLISH", "zz", "m"], NOPERM_CHANNEL);
    let log: Vec<redis::Value> = run(&mut admin, &["ACL", "LOG"]);
    let fields = |entry: &redis::Value| -> Vec<(String, String)> {
        let redis::Value::Array(items) = entry else { panic!("{entry:?}") };
        items
            .chunks(2)
            .map(|kv| {
                let key: String = redis::from_redis_value_ref(&kv[0]).unwrap();
                let value = match &kv[1] {
                    redis::Value::Int(n) => n.to_string(),
                    other => redis::from_redis_value_ref::<String>(other).unwrap(),
                };
                (key, value)
            })
            .collect()
    };
    let first = fields(&log[0]);
    let names: Vec<&str> = first.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["count", "reason", "context", "object", "username", "age-seconds", "client-info"]);
    let value = |entry: &[(String, String)], key: &str| entry.iter().find(|(k, _)| k == key).unwrap().1.clone();
    assert_eq!(value(&first, "count"), "2");
    assert_eq!(value(&first, "reason"), "channel");
    assert_eq!(value(&first, "context"), "toplevel");
    assert_eq!(value(&first, "object"), "zz");
    assert_eq!(value(&first, "username"), "lim");
    assert!(value(&first, "client-info").contains("user=lim"));
    let reasons: Vec<(String, String)> =
        log.iter().map(fields).map(|e| (value(&e, "reason"), value(&e, "object"))).collect();
    assert!(reasons.contains(&("key".into(), "x".into())), "{reasons:?}");
    assert!(reasons.contains(&("command".into(), "hget".into())), "{reasons:?}");
    let one: Vec<redis::Value> = run(&mut admin, &["ACL", "LOG", "1"]);
    assert_eq!(one.len(), 1);
    run::<()>(&mut admin, &["ACL", "LOG", "RESET"]);
    let empty: Vec<redis::Value> = run(&mut admin, &["ACL", "LOG"]);
    assert!(empty.is_empty());

    // DRYRUN answers for any user without running anything.
    let dry: String = run(&mut admin, &["ACL", "DRYRUN", "lim", "get", "x"]);
    assert_eq!(dry, "This user has no permissions to access the 'x' key");
    let dry: String = run(&mut admin, &["ACL", "DRYRUN", "lim", "publish", "zz", "m"]);
    assert_eq!(dry, "This user has no permissions to access the 'zz' channel");
    let dry: String = run(&mut admin, &["ACL", "DRYRUN", "lim", "hget", "k", "f"]);
    assert_eq!(dry, "This user has no permissions to run the 'hget' command");
    let ok: String = run(&mut admin, &["ACL", "DRYRUN", "lim", "get", "k"]);
    assert_eq!(ok, "OK");
    assert_eq!(fail(&mut admin, &["ACL", "DRYRUN", "nobody", "get", "k"]), "ERR User 'nobody' not found");
    assert_eq!(fail(&mut admin, &["ACL", "DRYRUN", "lim", "nosuch"]), "ERR Command 'nosuch' not found");

    // SORT's BY and GET patterns read keys no check saw: only for users with every key.
    run::<()>(&mut admin, &["ACL", "SETUSER", "lim", "+sort"]);
    raw.expect(
        &["SORT", "k1", "BY", "nosort"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    raw.expect(&["SORT", "k1", "BY", "w_*"], "-ERR BY option of SORT denied due to insufficient ACL permissions.\r\n");
    raw.expect(&["SORT", "k1", "GET", "#"], "-ERR GET option of SORT denied due to insufficient ACL permissions.\r\n");

    // A changed user is seen by its connections at their next command.
    run::<()>(&mut admin, &["ACL", "SETUSER", "lim", "allkeys"]);
    raw.expect(&["GET", "x"], "$-1\r\n");
    raw.expect(&["SORT", "nokey", "BY", "w_*", "GET", "#"], "*0\r\n");
    run::<()>(&mut admin, &["ACL", "SETUSER", "lim", "off"]);
    server.raw().expect(&["AUTH", "lim", "pw"], WRONGPASS);
}

#[test]
fn transactions_check_when_queued_and_again_at_exec() {
    let server = TestServer::start();
    let mut admin = server.sync_conn();
    run::<()>(&mut admin, &["ACL", "SETUSER", "tx", "on", ">pw", "~k*", "+get", "+set", "+multi", "+exec"]);
    let mut raw = login(&server, "tx", "pw");
    raw.expect(&["MULTI"], "+OK\r\n");
    raw.expect(&["GET", "x"], NOPERM_KEY);
    raw.expect(&["EXEC"], "-EXECABORT Transaction discarded because of previous errors.\r\n");
    raw.expect(&["MULTI"], "+OK\r\n");
    raw.expect(&["SET", "k", "v"], "+QUEUED\r\n");
    raw.expect(&["GET", "k"], "+QUEUED\r\n");
    run::<()>(&mut admin, &["ACL", "SETUSER", "tx", "-get"]);
    raw.expect(
        &["EXEC"],
        "*2\r\n+OK\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand\r\n",
    );
    let log: Vec<Vec<redis::Value>> = run(&mut admin, &["ACL", "LOG", "1"]);
    let context: String = redis::from_redis_value_ref(&log[0][5]).unwrap();
    assert_eq!(context, "multi");

    // AUTH inside MULTI is queued, and runs at EXEC.
    let server = TestServer::start_with(&["--requirepass", "pw"]);
    let mut raw = login(&server, "default", "pw");
    run::<()>(&mut server.sync_conn_as("pw"), &["ACL", "SETUSER", "other", "on", ">o", "+@all", "~*"]);
    raw.expect(&["MULTI"], "+OK\r\n");
    raw.expect(&["AUTH", "other", "wrong"], "+QUEUED\r\n");
    raw.expect(&["AUTH", "other", "o"], "+QUEUED\r\n");
    raw.expect(&["EXEC"], &format!("*2\r\n{WRONGPASS}+OK\r\n"));
    raw.expect(&["ACL", "WHOAMI"], "$5\r\nother\r\n");
    // Unauthenticated, MULTI itself is refused.
    let mut raw = server.raw();
    raw.expect(&["MULTI"], NOAUTH);
}

/// A connection with the default user's password, for a server started with one.
trait ConnAs {
    fn sync_conn_as(&self, password: &str) -> redis::Connection;
}

impl ConnAs for TestServer {
    fn sync_conn_as(&self, password: &str) -> redis::Connection {
        let url = format!("redis://:{password}@{}", self.url().trim_start_matches("redis://"));
        redis::Client::open(url).unwrap().get_connection().unwrap()
    }
}

#[test]
fn list_and_getuser_describe_users_as_redis() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<()>(
        &mut con,
        &[
            "ACL",
            "SETUSER",
            "alice",
            "on",
            ">p1",
            "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
            "~foo*",
            "%R~bar*",
            "%W~baz*",
            "&chan*",
            "+get",
            "+@hash",
            "-hdel",
            "+config|get",
            "-@dangerous",
        ],
    );
    run::<()>(&mut con, &["ACL", "SETUSER", "bob"]);
    run::<()>(&mut con, &["ACL", "SETUSER", "sel", "(~foo", "+get)"]);
    run::<()>(&mut con, &["ACL", "SETUSER", "y", "reset"]);
    run::<()>(&mut con, &["ACL", "SETUSER", "z", "-@all", "+@slow"]);
    run::<()>(&mut con, &["ACL", "SETUSER", "first", "+select|0"]);
    let listed: Vec<String> = run(&mut con, &["ACL", "LIST"]);
    // Redis 7.0.15 gives these lines for the same rules.
    assert_eq!(
        listed,
        [
            "user alice on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 ~foo* %R~bar* %W~baz* resetchannels &chan* -@all +@hash +get -hdel",
            "user bob off resetchannels -@all",
            "user default on nopass ~* &* +@all",
            "user first off resetchannels -@all +select|0",
            "user sel off resetchannels -@all (~foo resetchannels -@all +get)",
            "user y off sanitize-payload resetchannels -@all",
            "user z off resetchannels -@all +@slow",
        ]
    );
    let users: Vec<String> = run(&mut con, &["ACL", "USERS"]);
    assert_eq!(users, ["alice", "bob", "default", "first", "sel", "y", "z"]);

    // GETUSER: flags, passwords, commands, keys, channels, selectors (RESP3: a map, flags a set).
    let mut raw = server.raw_resp3();
    raw.expect(
        &["ACL", "GETUSER", "sel"],
        "%6\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$9\r\npasswords\r\n*0\r\n$8\r\ncommands\r\n$5\r\n-@all\r\n$4\r\nkeys\r\n$0\r\n\r\n$8\r\nchannels\r\n$0\r\n\r\n$9\r\nselectors\r\n*1\r\n%3\r\n$8\r\ncommands\r\n$10\r\n-@all +get\r\n$4\r\nkeys\r\n$4\r\n~foo\r\n$8\r\nchannels\r\n$0\r\n\r\n",
    );
    raw.expect(&["ACL", "GETUSER", "nobody"], "_\r\n");
    let user: Vec<redis::Value> = run(&mut con, &["ACL", "GETUSER", "alice"]);
    let field = |name: &str| -> redis::Value {
        let at = user.iter().position(|v| redis::from_redis_value_ref::<String>(v).ok().as_deref() == Some(name));
        user[at.unwrap() + 1].clone()
    };
    assert_eq!(redis::from_redis_value::<Vec<String>>(field("flags")).unwrap(), ["on"]);
    assert_eq!(redis::from_redis_value::<String>(field("commands")).unwrap(), "-@all +@hash +get -hdel");
    assert_eq!(redis::from_redis_value::<String>(field("keys")).unwrap(), "~foo* %R~bar* %W~baz*");
    assert_eq!(redis::from_redis_value::<String>(field("channels")).unwrap(), "&chan*");
    assert_eq!(redis::from_redis_value::<Vec<String>>(field("passwords")).unwrap().len(), 2);

    // Errors, all or nothing.
    let errors = [
        (vec!["bogus"], "ERR Error in ACL SETUSER modifier 'bogus': Syntax error"),
        (vec!["+nosuch"], "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"),
        (
            vec!["+config|get|x"],
            "ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported",
        ),
        (
            vec!["<nopw"],
            "ERR Error in ACL SETUSER modifier '<nopw': The password you are trying to remove from the user does not exist",
        ),
        (
            vec!["allkeys", "~a"],
            "ERR Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
        ),
        (vec!["(+set"], "ERR Unmatched parenthesis in acl selector starting at '(+set'."),
    ];
    for (rules, expected) in errors {
        let mut args = vec!["ACL", "SETUSER", "bob", "on"];
        args.extend(rules);
        assert_eq!(fail(&mut con, &args), expected);
    }
    let bob: Vec<String> = run(&mut con, &["ACL", "LIST"]);
    assert!(bob.contains(&"user bob off resetchannels -@all".to_owned()));
    assert_eq!(
        fail(&mut con, &["ACL", "SETUSER", "a b", "on"]),
        "ERR Usernames can't contain spaces or null characters"
    );
    assert_eq!(fail(&mut con, &["ACL", "DELUSER", "default"]), "ERR The 'default' user cannot be removed");
    assert_eq!(run::<i64>(&mut con, &["ACL", "DELUSER", "bob", "nosuch", "y"]), 2);

    let cats: Vec<String> = run(&mut con, &["ACL", "CAT"]);
    assert_eq!(&cats[..3], ["keyspace", "read", "write"]);
    let dangerous: Vec<String> = run(&mut con, &["ACL", "CAT", "dangerous"]);
    assert!(dangerous.contains(&"acl|setuser".to_owned()) && dangerous.contains(&"flushall".to_owned()));
    assert_eq!(fail(&mut con, &["ACL", "CAT", "nosuch"]), "ERR Unknown category 'nosuch'");
    let pass: String = run(&mut con, &["ACL", "GENPASS"]);
    assert_eq!(pass.len(), 64);
    assert!(pass.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(run::<String>(&mut con, &["ACL", "GENPASS", "5"]).len(), 2);
    assert_eq!(
        fail(&mut con, &["ACL", "GENPASS", "0"]),
        "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
    );
}

#[test]
fn deleting_a_user_disconnects_its_clients() {
    let server = TestServer::start();
    let mut admin = server.sync_conn();
    run::<()>(&mut admin, &["ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*"]);
    let mut victim = login(&server, "gone", "pw");
    let mut killed_by_user = login(&server, "gone", "pw");
    victim.expect(&["PING"], "+PONG\r\n");
    // CLIENT KILL USER kills them one way...
    assert_eq!(run::<i64>(&mut admin, &["CLIENT", "KILL", "USER", "gone"]), 2);
    assert!(killed_by_user.is_closed());
    assert_eq!(fail(&mut admin, &["CLIENT", "KILL", "USER", "nosuch"]), "ERR No such user 'nosuch'");
    // ... DELUSER the other, the deleting client included (after its reply).
    let mut victim = login(&server, "gone", "pw");
    let mut itself = login(&server, "gone", "pw");
    itself.expect(&["ACL", "DELUSER", "gone"], ":1\r\n");
    assert!(itself.is_closed());
    assert!(victim.is_closed());
    assert!(wait_until(Duration::from_secs(5), || {
        !run::<String>(&mut admin, &["CLIENT", "LIST"]).contains("user=gone")
    }));
}

#[test]
fn subscribers_lose_channels_they_may_no_longer_use() {
    let server = TestServer::start();
    let mut admin = server.sync_conn();
    run::<()>(&mut admin, &["ACL", "SETUSER", "sub", "on", ">pw", "&news*", "&sport", "+@pubsub", "+ping"]);
    let mut news = login(&server, "sub", "pw");
    news.expect(&["SUBSCRIBE", "news1"], "*3\r\n$9\r\nsubscribe\r\n$5\r\nnews1\r\n:1\r\n");
    let mut sport = login(&server, "sub", "pw");
    sport.expect(&["PSUBSCRIBE", "sport"], "*3\r\n$10\r\npsubscribe\r\n$5\r\nsport\r\n:1\r\n");
    // Still allowed: nobody is disconnected.
    run::<()>(&mut admin, &["ACL", "SETUSER", "sub", "&other"]);
    news.expect(&["PING"], "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    run::<()>(&mut admin, &["ACL", "SETUSER", "sub", "resetchannels", "&news*"]);
    assert!(sport.is_closed());
    news.expect(&["PING"], "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
}

#[test]
fn acl_file_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.acl");
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(
        fail(&mut con, &["ACL", "SAVE"]),
        "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
    );
    drop(con);
    drop(server);

    std::fs::write(&path, "user a on >p ~* +get\n").unwrap();
    let server = TestServer::start_with(&["--aclfile", path.to_str().unwrap()]);
    let mut con = server.sync_conn();
    let listed: Vec<String> = run(&mut con, &["ACL", "LIST"]);
    assert_eq!(
        listed,
        [
            "user a on #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~* resetchannels -@all +get",
            "user default on nopass ~* &* +@all",
        ]
    );
    run::<()>(&mut con, &["ACL", "SETUSER", "q", "on", ">x"]);
    run::<()>(&mut con, &["ACL", "SAVE"]);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        saved,
        "user a on #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~* resetchannels -@all +get\nuser default on nopass ~* &* +@all\nuser q on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 resetchannels -@all\n"
    );
    // A bad file changes nothing, and says every problem.
    std::fs::write(&path, "user a on >p ~* +get\nuser b on +nosuch\nbogus line\n").unwrap();
    let error = fail(&mut con, &["ACL", "LOAD"]);
    let file = path.display();
    assert_eq!(
        error,
        format!(
            "ERR {file}:2: Error in applying operation '+nosuch': Unknown command or category name in ACL. {file}:3 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        )
    );
    assert_eq!(run::<Vec<String>>(&mut con, &["ACL", "USERS"]), ["a", "default", "q"]);
    let mut q = login(&server, "q", "x");
    std::fs::write(&path, "user b on nopass ~* +@all\n").unwrap();
    run::<()>(&mut con, &["ACL", "LOAD"]);
    assert_eq!(run::<Vec<String>>(&mut con, &["ACL", "USERS"]), ["b", "default"]);
    // The users that were replaced lose their connections.
    assert!(q.is_closed());
    drop(server);

    // A relative path is in the data directory, as Redis (working in its dir) reads it.
    std::fs::write(dir.path().join("relative.acl"), "user r on nopass ~* +@all\n").unwrap();
    let server = TestServer::start_in(dir.path(), &["--aclfile", "relative.acl"]);
    let mut con = server.sync_conn();
    assert_eq!(run::<Vec<String>>(&mut con, &["ACL", "USERS"]), ["default", "r"]);
    run::<()>(&mut con, &["ACL", "SETUSER", "s", "on", "nopass"]);
    run::<()>(&mut con, &["ACL", "SAVE"]);
    assert!(std::fs::read_to_string(dir.path().join("relative.acl")).unwrap().contains("user s on nopass"));
}

#[tokio::test]
async fn grpc_calls_need_credentials_when_a_password_is_required() {
    let server = TestServer::start_with(&["--requirepass", "secret"]);
    let mut anonymous = Client::connect(server.grpc_url()).await.unwrap();
    let status = match anonymous.execute(["PING"]).await {
        Err(aegisr_proto::ClientError::Status(status)) => status,
        other => panic!("{other:?}"),
    };
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    assert_eq!(status.message(), "NOAUTH Authentication required.");
    let endpoint = || tonic::transport::Endpoint::from_shared(server.grpc_url()).unwrap().connect_lazy();
    let mut wrong = Client::with_credentials(endpoint(), None, "nope").unwrap();
    let status = match wrong.execute(["PING"]).await {
        Err(aegisr_proto::ClientError::Status(status)) => status,
        other => panic!("{other:?}"),
    };
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    assert_eq!(status.message(), "WRONGPASS invalid username-password pair or user is disabled.");

    let mut default = Client::with_credentials(endpoint(), None, "secret").unwrap();
    assert_eq!(default.execute(["SET", "k1", "v"]).await.unwrap().as_str(), Some("OK"));
    assert_eq!(
        default
            .execute(["ACL", "SETUSER", "g", "on", ">gp", "~k*", "&news", "+get", "+subscribe"])
            .await
            .unwrap()
            .as_str(),
        Some("OK")
    );
    assert!(default.info(&[]).await.is_ok());

    // A limited user: its permissions hold on this door too.
    let mut limited = Client::with_credentials(endpoint(), Some("g"), "gp").unwrap();
    assert_eq!(limited.execute(["GET", "k1"]).await.unwrap().as_str(), Some("v"));
    let reply = limited.execute(["GET", "other"]).await.unwrap();
    assert_eq!(
        reply.as_error().unwrap().message,
        "NOPERM this user has no permissions to access one of the keys used as arguments"
    );
    let reply = limited.execute(["SET", "k1", "x"]).await.unwrap();
    assert_eq!(reply.as_error().unwrap().message, "NOPERM this user has no permissions to run the 'set' command");
    // The Admin service is the operator's: it needs every command.
    let status = limited.info(&[]).await.unwrap_err();
    assert!(matches!(status, aegisr_proto::ClientError::Status(s) if s.code() == tonic::Code::PermissionDenied));
    // Subscribing to a channel the user may not use is refused.
    let wanted = SubscribeRequest { channels: vec!["sports".into()], ..Default::default() };
    let status = match limited.subscribe(wanted).await {
        Err(aegisr_proto::ClientError::Status(status)) => status,
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("subscribed to a forbidden channel"),
    };
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let wanted = SubscribeRequest { channels: vec!["news".into()], ..Default::default() };
    assert!(limited.subscribe(wanted).await.is_ok());
}

#[test]
fn a_client_that_must_authenticate_cannot_send_long_commands() {
    let server = TestServer::start_with(&["--requirepass", "secret"]);
    // Redis's limits before AUTH: at most 10 arguments of at most 16 KB each; the
    // connection is closed after the protocol error, and nothing is buffered for it.
    let mut raw = server.raw();
    raw.send(b"*100\r\n");
    assert_eq!(raw.read_line(), "-ERR Protocol error: unauthenticated multibulk length\r\n");
    assert!(raw.is_closed());
    let mut raw = server.raw();
    raw.send(b"*1\r\n$100000000\r\n");
    assert_eq!(raw.read_line(), "-ERR Protocol error: unauthenticated bulk length\r\n");
    assert!(raw.is_closed());
    // Within the limits: the usual NOAUTH, then AUTH; after it, no such limit.
    let mut raw = server.raw();
    let eleven: Vec<&str> = std::iter::once("MSET").chain(std::iter::repeat_n("k", 10)).collect();
    raw.expect(&eleven[..10], NOAUTH);
    raw.expect(&["AUTH", "secret"], "+OK\r\n");
    raw.expect(&eleven, "+OK\r\n");
    let big = "v".repeat(100_000);
    raw.expect(&["SET", "big", &big], "+OK\r\n");
    // Without a password nobody has to authenticate: no limit either.
    let open = TestServer::start();
    let mut raw = open.raw();
    raw.expect(&eleven, "+OK\r\n");
}

#[test]
fn acl_errors_and_log_entries_as_redis() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // What precedes the last `|` must name a command: GET has no subcommands.
    assert_eq!(
        fail(&mut con, &["ACL", "SETUSER", "u", "+get|key1|key2"]),
        "ERR Error in ACL SETUSER modifier '+get|key1|key2': Unknown command or category name in ACL"
    );
    assert_eq!(
        fail(&mut con, &["ACL", "SETUSER", "u", "-get|key1|key2"]),
        "ERR Error in ACL SETUSER modifier '-get|key1|key2': Unknown command or category name in ACL"
    );
    assert_eq!(
        fail(&mut con, &["ACL", "SETUSER", "u", "+config|get|x"]),
        "ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported"
    );
    assert_eq!(fail(&mut con, &["ACL", "CAT", "NON_EXISTS"]), "ERR Unknown category 'NON_EXISTS'");
    assert_eq!(
        fail(&mut con, &["ACL", "CAT", "NON_EXISTS", "NON_EXISTS2"]),
        "ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP."
    );
    // A failed AUTH is logged with the command's name as sent.
    run::<()>(&mut con, &["ACL", "SETUSER", "antirez", "on", ">right"]);
    let mut raw = server.raw();
    raw.expect(&["AUTH", "antirez", "wrong"], WRONGPASS);
    raw.expect(&["hello", "2", "AUTH", "antirez", "wrong"], WRONGPASS);
    let log: Vec<Vec<redis::Value>> = run(&mut con, &["ACL", "LOG"]);
    let objects: Vec<String> = log
        .iter()
        .map(|entry| {
            let at = entry.iter().position(|v| matches!(v, redis::Value::BulkString(b) if b == b"object")).unwrap();
            redis::from_redis_value_ref(&entry[at + 1]).unwrap()
        })
        .collect();
    assert_eq!(objects, ["hello", "AUTH"], "newest first");
}

#[test]
fn shard_channels_are_checked_as_channels() {
    let server = TestServer::start();
    let mut admin = server.sync_conn();
    run::<()>(&mut admin, &["ACL", "SETUSER", "psuser", "on", ">pw", "resetchannels", "&foo:1", "&bar:*", "+@all"]);
    let mut raw = login(&server, "psuser", "pw");
    raw.expect(&["SPUBLISH", "foo:1", "hi"], ":0\r\n");
    raw.expect(&["SPUBLISH", "bar:2", "hi"], ":0\r\n");
    raw.expect(&["SPUBLISH", "zap", "hi"], NOPERM_CHANNEL);
    raw.expect(&["SSUBSCRIBE", "zap"], NOPERM_CHANNEL);
    raw.expect(&["SSUBSCRIBE", "foo:1"], "*3\r\n$10\r\nssubscribe\r\n$5\r\nfoo:1\r\n:1\r\n");
    // Keys are not what is checked: a user with no key patterns may still publish.
    run::<()>(&mut admin, &["ACL", "SETUSER", "nokeys", "on", ">pw", "resetkeys", "&news", "+spublish"]);
    let mut raw = login(&server, "nokeys", "pw");
    raw.expect(&["SPUBLISH", "news", "hi"], ":0\r\n");
    raw.expect(&["SPUBLISH", "other", "hi"], NOPERM_CHANNEL);
}

#[test]
fn key_checks_as_redis_for_migrate_bitfield_and_sort() {
    let server = TestServer::start();
    let mut admin = server.sync_conn();
    // MIGRATE's keys are checked like any other command's.
    run::<()>(&mut admin, &["ACL", "SETUSER", "mover", "on", ">pw", "~k*", "+migrate"]);
    let dry: String = run(&mut admin, &["ACL", "DRYRUN", "mover", "MIGRATE", "h", "1", "write", "0", "500"]);
    assert_eq!(dry, "This user has no permissions to access the 'write' key");
    // BITFIELD of GETs needs read access only.
    run::<()>(&mut admin, &["ACL", "SETUSER", "reader", "on", ">pw", "%R~read*", "+@all"]);
    let mut raw = login(&server, "reader", "pw");
    raw.expect(&["BITFIELD", "readstr", "GET", "u4", "0"], "*1\r\n:0\r\n");
    raw.expect(&["BITFIELD", "readstr", "SET", "u4", "0", "1"], NOPERM_KEY);
    // SORT BY / GET need read access to every key: `%R~*` is enough, `%W~*` is not.
    run::<i64>(&mut admin, &["LPUSH", "mylist", "1"]);
    run::<()>(&mut admin, &["ACL", "SETUSER", "sorter", "on", ">pw", "(+sort ~mylist %W~*)"]);
    let mut raw = login(&server, "sorter", "pw");
    raw.expect(
        &["SORT", "mylist", "BY", "v*"],
        "-ERR BY option of SORT denied due to insufficient ACL permissions.\r\n",
    );
    run::<()>(&mut admin, &["ACL", "SETUSER", "sorter", "clearselectors", "(+sort ~mylist %R~*)"]);
    raw.expect(&["SORT", "mylist", "BY", "v*"], "*1\r\n$1\r\n1\r\n");
}
