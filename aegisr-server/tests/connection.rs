//! Connection commands through real clients: PING ECHO HELLO AUTH SELECT QUIT RESET CLIENT.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fail, run, wait_until};
use redis::Value;

/// Reads a HELLO reply up to its last item, the empty `modules` array.
fn read_through_empty_modules(raw: &mut common::RawConn) -> String {
    let mut text = String::new();
    while !text.ends_with("modules\r\n*0\r\n") {
        let line = raw.read_line();
        assert!(!line.is_empty(), "connection closed mid-reply: {text}");
        text.push_str(&line);
    }
    text
}

fn cmd(name: &str) -> redis::Cmd {
    redis::cmd(name)
}

#[test]
fn ping_and_echo() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(cmd("PING").query::<String>(&mut con).unwrap(), "PONG");
    assert_eq!(cmd("PING").arg("hello").query::<String>(&mut con).unwrap(), "hello");
    assert_eq!(cmd("ECHO").arg(&b"bin\x00ary"[..]).query::<Vec<u8>>(&mut con).unwrap(), b"bin\x00ary");
    let err = cmd("ECHO").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("wrong number of arguments for 'echo' command"), "{err}");
    let err = cmd("PING").arg("a").arg("b").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("wrong number of arguments for 'ping' command"), "{err}");
}

#[test]
fn hello_switches_protocol_and_describes_the_server() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.command(&[b"HELLO", b"3"]);
    let first = raw.read_line();
    assert_eq!(first, "%7\r\n", "RESP3 map header");
    // Now in RESP3: a missing key is `_`.
    let rest = read_through_empty_modules(&mut raw);
    assert!(rest.contains("proto\r\n:3\r\n"), "{rest}");
    assert!(rest.contains("mode\r\n$10\r\nstandalone"), "{rest}");
    raw.command(&[b"CLIENT", b"GETNAME"]);
    assert_eq!(raw.read_line(), "_\r\n");
    raw.command(&[b"HELLO", b"2"]);
    assert_eq!(raw.read_line(), "*14\r\n");

    let mut con = server.sync_conn();
    let err = cmd("HELLO").arg(4).query::<Value>(&mut con).unwrap_err();
    assert_eq!(err.code(), Some("NOPROTO"));
    let err = cmd("HELLO").arg("x").query::<Value>(&mut con).unwrap_err();
    assert!(err.to_string().contains("Protocol version is not an integer or out of range"));
    let err = cmd("HELLO").arg(3).arg("AUTH").arg("nobody").arg("pw").query::<Value>(&mut con).unwrap_err();
    assert_eq!(err.code(), Some("WRONGPASS"));
    let _: Value = cmd("HELLO").arg(2).arg("SETNAME").arg("conn-a").query(&mut con).unwrap();
    assert_eq!(cmd("CLIENT").arg("GETNAME").query::<String>(&mut con).unwrap(), "conn-a");
}

#[tokio::test]
async fn resp3_clients_work() {
    let server = TestServer::start();
    let mut con = server.client_resp3().get_multiplexed_async_connection().await.unwrap();
    let reply: Value = cmd("HELLO").query_async(&mut con).await.unwrap();
    assert!(matches!(reply, Value::Map(_)), "{reply:?}");
    let reply: Value = cmd("CONFIG").arg("GET").arg("maxclients").query_async(&mut con).await.unwrap();
    assert_eq!(
        reply,
        Value::Map(vec![(Value::BulkString(b"maxclients".to_vec()), Value::BulkString(b"10000".to_vec()))])
    );
    let reply: Value = cmd("CLIENT").arg("INFO").query_async(&mut con).await.unwrap();
    assert!(matches!(reply, Value::VerbatimString { .. }), "{reply:?}");
}

#[test]
fn auth_without_a_password_configured() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let err = cmd("AUTH").arg("secret").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("AUTH <password> called without any password configured"), "{err}");
    assert_eq!(cmd("AUTH").arg("default").arg("anything").query::<String>(&mut con).unwrap(), "OK");
    assert_eq!(cmd("AUTH").arg("bob").arg("x").query::<String>(&mut con).unwrap_err().code(), Some("WRONGPASS"));
}

#[test]
fn select_keeps_databases_apart() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let err = cmd("SELECT").arg(16).query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("DB index is out of range"), "{err}");
    let err = cmd("SELECT").arg("x").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("value is not an integer or out of range"), "{err}");
    let err = cmd("SELECT").arg(-1).query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("DB index is out of range"), "{err}");
    assert_eq!(cmd("SELECT").arg(15).query::<String>(&mut con).unwrap(), "OK");
    let info: String = cmd("CLIENT").arg("INFO").query(&mut con).unwrap();
    assert!(info.contains(" db=15 "), "{info}");
}

#[test]
fn quit_closes_after_its_reply() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n");
    assert_eq!(raw.read_line(), "+OK\r\n");
    assert!(raw.is_closed(), "connection must close after QUIT");
}

#[test]
fn reset_restores_defaults() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"HELLO 3 SETNAME x\r\n");
    read_through_empty_modules(&mut raw);
    raw.send(b"SELECT 3\r\nRESET\r\nCLIENT GETNAME\r\nCLIENT INFO\r\n");
    assert_eq!(raw.read_line(), "+OK\r\n");
    assert_eq!(raw.read_line(), "+RESET\r\n");
    assert_eq!(raw.read_line(), "$-1\r\n", "RESP2 and no name after RESET");
    let _len = raw.read_line();
    let info = raw.read_line();
    assert!(info.contains(" db=0 ") && info.contains(" resp=2 "), "{info}");
}

#[test]
fn client_subcommands() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let id: i64 = cmd("CLIENT").arg("ID").query(&mut con).unwrap();
    assert!(id > 0);
    assert_eq!(cmd("CLIENT").arg("GETNAME").query::<Option<String>>(&mut con).unwrap(), None);
    assert_eq!(cmd("CLIENT").arg("SETNAME").arg("worker-1").query::<String>(&mut con).unwrap(), "OK");
    assert_eq!(cmd("CLIENT").arg("GETNAME").query::<String>(&mut con).unwrap(), "worker-1");
    let err = cmd("CLIENT").arg("SETNAME").arg("has space").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("Client names cannot contain spaces, newlines or special characters."), "{err}");
    assert_eq!(cmd("CLIENT").arg("SETINFO").arg("LIB-NAME").arg("mylib").query::<String>(&mut con).unwrap(), "OK");
    assert_eq!(cmd("CLIENT").arg("SETINFO").arg("lib-ver").arg("1.2").query::<String>(&mut con).unwrap(), "OK");
    let err = cmd("CLIENT").arg("SETINFO").arg("color").arg("red").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("Unrecognized option 'color'"), "{err}");

    let info: String = cmd("CLIENT").arg("INFO").query(&mut con).unwrap();
    assert!(info.starts_with(&format!("id={id} addr=127.0.0.1:")), "{info}");
    for field in ["name=worker-1 ", "lib-name=mylib ", "lib-ver=1.2", "cmd=client|info ", "db=0 "] {
        assert!(info.contains(field), "{field} missing in {info}");
    }
    assert!(info.ends_with('\n'));

    let mut other = server.sync_conn();
    let other_id: i64 = cmd("CLIENT").arg("ID").query(&mut other).unwrap();
    let list: String = cmd("CLIENT").arg("LIST").query(&mut con).unwrap();
    assert_eq!(list.lines().count(), 2, "{list}");
    let list: String = cmd("CLIENT").arg("LIST").arg("ID").arg(other_id).query(&mut con).unwrap();
    assert!(list.starts_with(&format!("id={other_id} ")) && list.lines().count() == 1, "{list}");
    // Any integer is an ID one may ask for; those of no client list nothing.
    let list: String = cmd("CLIENT").arg("LIST").arg("ID").arg(0).arg(-5).query(&mut con).unwrap();
    assert_eq!(list, "");
    let err = cmd("CLIENT").arg("LIST").arg("ID").arg("abc").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("Invalid client ID"), "{err}");
    let err = cmd("CLIENT").arg("NOPE").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("unknown subcommand 'NOPE'. Try CLIENT HELP."), "{err}");
    // Redis 7.0's text, line for line.
    let help: Vec<String> = cmd("CLIENT").arg("HELP").query(&mut con).unwrap();
    assert_eq!(help.len(), 48, "{help:?}");
    assert_eq!(help[0], "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    assert_eq!(
        help[1..3],
        ["CACHING (YES|NO)", "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes."]
    );
    assert!(help.contains(&"    Assign the name <name> to the current connection.".to_owned()), "{help:?}");
    assert_eq!(
        help[44..],
        ["NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.", "HELP", "    Prints this help."]
    );
    // The query buffer holds the command being run: CLIENT INFO's own 26 bytes, as Redis.
    let mut raw = server.raw();
    raw.command(&[b"CLIENT", b"INFO"]);
    let own = raw.read_line();
    let body = String::from_utf8(raw.read_exact_len(own[1..].trim_end().parse::<usize>().unwrap() + 2)).unwrap();
    assert!(body.contains(" qbuf=26 qbuf-free="), "{body}");
    let list: String = cmd("CLIENT").arg("LIST").query(&mut con).unwrap();
    assert!(list.lines().filter(|l| !l.contains("cmd=client|list")).all(|l| l.contains(" qbuf=0 ")), "{list}");
}

#[test]
fn redis_cli_talks_to_the_server() {
    let server = TestServer::start();
    let Some(out) = server.redis_cli(&["PING"]) else {
        eprintln!("redis-cli is not installed; skipping");
        return;
    };
    assert_eq!(out.trim(), "PONG");
    assert_eq!(server.redis_cli(&["-3", "HELLO"]).unwrap().lines().next(), Some("server redis"));
    assert_eq!(server.redis_cli(&["ECHO", "hi there"]).unwrap().trim(), "hi there");
}

#[test]
fn client_kill_by_address_and_by_filters() {
    let server = TestServer::start();
    let mut admin = server.sync_conn();
    let mut victim = server.raw();
    victim.expect(&["CLIENT", "SETNAME", "victim"], "+OK\r\n");
    let list: String = run(&mut admin, &["CLIENT", "LIST"]);
    let line = list.lines().find(|l| l.contains("name=victim")).unwrap();
    let field = |name: &str| line.split(' ').find_map(|f| f.strip_prefix(name)).unwrap().to_owned();
    let (addr, id) = (field("addr="), field("id="));
    // The old form: OK, then the connection is gone.
    assert_eq!(run::<String>(&mut admin, &["CLIENT", "KILL", &addr]), "OK");
    assert!(wait_until(Duration::from_secs(10), || victim.is_closed()));
    assert_eq!(fail(&mut admin, &["CLIENT", "KILL", &addr]), "ERR No such client");
    assert_eq!(run::<i64>(&mut admin, &["CLIENT", "KILL", "ID", &id]), 0, "already gone");

    let mut second = server.raw();
    second.expect(&["CLIENT", "SETNAME", "second"], "+OK\r\n");
    // SKIPME yes (the default) spares the caller; TYPE master matches nobody here.
    assert_eq!(run::<i64>(&mut admin, &["CLIENT", "KILL", "TYPE", "master"]), 0);
    assert_eq!(run::<i64>(&mut admin, &["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]), 1);
    assert!(wait_until(Duration::from_secs(10), || second.is_closed()));
    assert_eq!(run::<String>(&mut admin, &["PING"]), "PONG");
    assert_eq!(fail(&mut admin, &["CLIENT", "KILL", "ID", "0"]), "ERR client-id should be greater than 0");
    assert_eq!(fail(&mut admin, &["CLIENT", "KILL", "TYPE", "bogus"]), "ERR Unknown client type 'bogus'");
    assert_eq!(fail(&mut admin, &["CLIENT", "KILL", "ID"]), "ERR No such client", "three arguments: the old form");
    assert_eq!(fail(&mut admin, &["CLIENT", "KILL", "ID", "1", "SKIPME"]), "ERR syntax error");
    assert_eq!(fail(&mut admin, &["CLIENT", "KILL", "SKIPME", "maybe"]), "ERR syntax error");
    assert_eq!(fail(&mut admin, &["CLIENT", "KILL", "USER", "nobody"]), "ERR No such user 'nobody'");
}

#[test]
fn client_pause_holds_writes_or_everything_until_the_deadline_or_unpause() {
    use std::time::Instant;
    let server = TestServer::start();
    let mut admin = server.sync_conn();
    let mut c = server.sync_conn();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    // WRITE: reads go on, writes wait for the deadline.
    let _: () = redis::cmd("CLIENT").arg("PAUSE").arg(400).arg("WRITE").query(&mut admin).unwrap();
    let started = Instant::now();
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");
    let _: () = redis::cmd("SET").arg("k").arg("w").query(&mut c).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300), "the write was not held");
    // ALL: reads wait too.
    let _: () = redis::cmd("CLIENT").arg("PAUSE").arg(300).query(&mut admin).unwrap();
    let started = Instant::now();
    let _: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200), "the read was not held");
    // UNPAUSE lifts a long pause at once (CLIENT UNPAUSE itself is never held).
    let _: () = redis::cmd("CLIENT").arg("PAUSE").arg(60_000).arg("ALL").query(&mut admin).unwrap();
    let _: () = redis::cmd("CLIENT").arg("UNPAUSE").query(&mut admin).unwrap();
    let started = Instant::now();
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "w");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Bad arguments get Redis's errors.
    let e = redis::cmd("CLIENT").arg("PAUSE").arg("soon").query::<()>(&mut admin).unwrap_err();
    assert!(e.to_string().contains("timeout is not an integer or out of range"), "{e}");
    let e = redis::cmd("CLIENT").arg("PAUSE").arg(10).arg("READS").query::<()>(&mut admin).unwrap_err();
    assert!(e.to_string().contains("CLIENT PAUSE mode must be WRITE or ALL"), "{e}");
    let e = redis::cmd("CLIENT").arg("PAUSE").arg(-1).query::<()>(&mut admin).unwrap_err();
    assert!(e.to_string().contains("timeout is negative"), "{e}");
}

/// The `idle=` field of `id`'s line in CLIENT LIST.
fn idle_of(con: &mut redis::Connection, id: i64) -> u64 {
    let list: String = cmd("CLIENT").arg("LIST").query(con).unwrap();
    let line = list.lines().find(|l| l.starts_with(&format!("id={id} "))).expect("client listed");
    let field = line.split(' ').find_map(|f| f.strip_prefix("idle=")).expect("idle field");
    field.parse().unwrap()
}

#[test]
fn client_list_counts_idle_seconds_from_the_last_command() {
    let server = TestServer::start();
    let mut quiet = server.sync_conn();
    let mut watcher = server.sync_conn();
    let id: i64 = cmd("CLIENT").arg("ID").query(&mut quiet).unwrap();
    assert_eq!(idle_of(&mut watcher, id), 0);
    // Idle time grows while the client sends nothing...
    assert!(wait_until(Duration::from_secs(10), || idle_of(&mut watcher, id) >= 1), "idle never grew");
    // ...and a command starts it again from zero.
    let _: String = cmd("PING").query(&mut quiet).unwrap();
    assert_eq!(idle_of(&mut watcher, id), 0);
}

/// Redis's pause.tcl: a client held by CLIENT PAUSE counts in INFO's blocked_clients until
/// the pause is lifted (tests wait for it there); one whose command is not held does not.
#[test]
fn clients_held_by_a_pause_count_as_blocked() {
    let server = TestServer::start();
    let mut admin = server.sync_conn();
    let blocked = |con: &mut redis::Connection| {
        let text: String = redis::cmd("INFO").arg("clients").query(con).unwrap();
        text.lines().find_map(|l| l.strip_prefix("blocked_clients:")).unwrap_or("").trim().to_owned()
    };
    let _: () = redis::cmd("CLIENT").arg("PAUSE").arg(60_000).arg("WRITE").query(&mut admin).unwrap();
    let mut reader = server.sync_conn();
    let _: Option<String> = redis::cmd("GET").arg("k").query(&mut reader).unwrap();
    assert_eq!(blocked(&mut admin), "0", "a read is not held");
    let mut writer = server.sync_conn();
    let held = std::thread::spawn(move || redis::cmd("SET").arg("k").arg("v").query::<String>(&mut writer).unwrap());
    assert!(common::wait_until(Duration::from_secs(10), || blocked(&mut admin) == "1"), "the held write counts");
    let _: () = redis::cmd("CLIENT").arg("UNPAUSE").query(&mut admin).unwrap();
    assert_eq!(held.join().unwrap(), "OK");
    assert_eq!(blocked(&mut admin), "0");
}

/// Redis's pause.tcl: a WRITE pause holds what may add to the replication stream (PFCOUNT,
/// PUBLISH, EVAL) and an EXEC whose transaction writes; read-only scripts may not call
/// such commands; while paused, expired keys are hidden but not deleted, and the deletion
/// happens once the pause is lifted.
#[test]
fn a_write_pause_holds_what_may_replicate_and_expiry() {
    let server = TestServer::start_with(&["--persistence", "none"]);
    let mut admin = server.sync_conn();
    let blocked = |con: &mut redis::Connection| {
        let text: String = redis::cmd("INFO").arg("clients").query(con).unwrap();
        text.lines().find_map(|l| l.strip_prefix("blocked_clients:")).unwrap_or("").trim().to_owned()
    };
    let expired = |con: &mut redis::Connection| {
        let text: String = redis::cmd("INFO").arg("stats").query(con).unwrap();
        text.lines().find_map(|l| l.strip_prefix("expired_keys:")).unwrap_or("").trim().to_owned()
    };
    let _: i64 = redis::cmd("PFADD").arg("hll").arg("x").query(&mut admin).unwrap();
    let mut tx = server.sync_conn();
    let _: () = redis::cmd("MULTI").query(&mut tx).unwrap();
    let _: String = redis::cmd("SET").arg("k").arg("v").query(&mut tx).unwrap();
    let _: () = redis::cmd("CLIENT").arg("PAUSE").arg(60_000).arg("WRITE").query(&mut admin).unwrap();

    let mut held = Vec::new();
    for command in [&["PFCOUNT", "hll"][..], &["PUBLISH", "ch", "m"], &["EVAL", "return 1", "0"]] {
        let mut con = server.sync_conn();
        let command: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        held.push(std::thread::spawn(move || {
            redis::cmd(&command[0]).arg(&command[1..]).query::<redis::Value>(&mut con)
        }));
    }
    let exec = std::thread::spawn(move || redis::cmd("EXEC").query::<redis::Value>(&mut tx));
    assert!(common::wait_until(Duration::from_secs(10), || blocked(&mut admin) == "4"), "all four are held");
    // A read-only script may not call a command that may replicate.
    let refused =
        redis::cmd("EVAL_RO").arg("return redis.call('pfcount', KEYS[1])").arg(1).arg("hll").query::<i64>(&mut admin);
    let text = refused.unwrap_err().to_string();
    assert!(text.contains("Write commands are not allowed from read-only scripts"), "{text}");
    // A script that declares no-writes may not replicate: it is not held.
    let free: i64 = redis::cmd("EVAL").arg("#!lua flags=no-writes\nreturn 7").arg(0).query(&mut admin).unwrap();
    assert_eq!(free, 7);
    let _: () = redis::cmd("CLIENT").arg("UNPAUSE").query(&mut admin).unwrap();
    for handle in held {
        handle.join().unwrap().unwrap();
    }
    exec.join().unwrap().unwrap();

    // Expiry during a pause: hidden, not deleted.
    let _: () = redis::cmd("SET").arg("soon").arg("v").arg("PX").arg(20).query(&mut admin).unwrap();
    let before = expired(&mut admin);
    let _: () = redis::cmd("CLIENT").arg("PAUSE").arg(60_000).arg("WRITE").query(&mut admin).unwrap();
    assert!(common::wait_until(Duration::from_secs(10), || {
        redis::cmd("GET").arg("soon").query::<Option<String>>(&mut admin).unwrap().is_none()
    }));
    assert_eq!(expired(&mut admin), before, "no key was deleted during the pause");
    let _: () = redis::cmd("CLIENT").arg("UNPAUSE").query(&mut admin).unwrap();
    let _: Option<String> = redis::cmd("GET").arg("soon").query(&mut admin).unwrap();
    let after: u64 = expired(&mut admin).parse().unwrap();
    assert_eq!(after, before.parse::<u64>().unwrap() + 1);
}

/// A connection waiting for its next command holds no read or write buffer: 200 idle
/// connections cost the node about 11 KB each (used memory, by the allocator's count),
/// where they cost 44 KB with their buffers kept.
#[test]
fn idle_connections_hold_no_buffers() {
    fn used_memory(c: &mut redis::Connection) -> i64 {
        let info: String = common::run(c, &["INFO", "memory"]);
        let line = info.lines().find_map(|l| l.strip_prefix("used_memory:")).expect("used_memory");
        line.trim().parse().expect("a number")
    }
    let server = TestServer::start();
    let mut admin = server.sync_conn();
    let before = used_memory(&mut admin);
    let mut idle: Vec<common::RawConn> = (0..200).map(|_| server.raw()).collect();
    for conn in &mut idle {
        conn.expect(&["PING"], "+PONG\r\n");
    }
    let mut per_connection = 0;
    let lean = wait_until(Duration::from_secs(10), || {
        per_connection = (used_memory(&mut admin) - before) / 200;
        per_connection < 16 * 1024
    });
    assert!(lean, "{per_connection} bytes per idle connection");
}
