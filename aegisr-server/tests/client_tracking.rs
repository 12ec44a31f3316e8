//! Client-side caching (CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO) through real
//! connections, with the reply bytes Redis 7.0.15 sends: RESP3 `invalidate` pushes after
//! the reply of the command that caused them, RESP2 redirection to a subscriber of
//! `__redis__:invalidate`, BCAST prefixes, OPTIN / OPTOUT, NOLOOP, flushes, expiry, the
//! table bound, and INFO / CLIENT LIST.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{RawConn, TestServer, fail, run, wait_until};

/// The push a RESP3 tracking client receives for `keys`.
fn push(keys: &[&str]) -> String {
    let mut out = format!(">2\r\n$10\r\ninvalidate\r\n*{}\r\n", keys.len());
    for k in keys {
        out.push_str(&format!("${}\r\n{k}\r\n", k.len()));
    }
    out
}

/// The message a RESP2 subscriber receives for a redirected invalidation.
fn message(keys: &[&str]) -> String {
    let mut out = format!("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*{}\r\n", keys.len());
    for k in keys {
        out.push_str(&format!("${}\r\n{k}\r\n", k.len()));
    }
    out
}

fn client_id(raw: &mut RawConn) -> String {
    raw.command(&[b"CLIENT", b"ID"]);
    raw.read_line().trim_start_matches(':').trim_end().to_owned()
}

/// Reads exactly `expected`: what arrives next on the connection.
fn receive(raw: &mut RawConn, expected: &str) {
    let got = raw.read_exact_len(expected.len());
    assert_eq!(String::from_utf8_lossy(&got), expected);
}

/// Nothing is pending on the connection: a PING's reply is the next thing to arrive.
fn nothing_pending(raw: &mut RawConn) {
    raw.expect(&["PING"], "+PONG\r\n");
    raw.expect(&["PING"], "+PONG\r\n");
}

#[test]
fn a_read_key_is_invalidated_once_after_the_writers_reply() {
    let server = TestServer::start();
    let mut tracker = server.raw_resp3();
    let mut other = server.raw();
    tracker.expect(&["CLIENT", "TRACKING", "on"], "+OK\r\n");
    tracker.expect(&["GET", "k"], "_\r\n");
    // Its own write: the invalidation comes after the reply, as in Redis 7.
    tracker.expect(&["SET", "k", "v"], "+OK\r\n");
    receive(&mut tracker, &push(&["k"]));
    // Forgotten once invalidated: another write sends nothing until the key is read again.
    other.expect(&["SET", "k", "w"], "+OK\r\n");
    nothing_pending(&mut tracker);
    tracker.expect(&["GET", "k"], "$1\r\nw\r\n");
    other.expect(&["DEL", "k"], ":1\r\n");
    receive(&mut tracker, &push(&["k"]));
    // Keys of multi-key reads are all tracked; each change is its own message.
    tracker.expect(&["MGET", "a", "b"], "*2\r\n_\r\n_\r\n");
    other.expect(&["MSET", "a", "1", "b", "2"], "+OK\r\n");
    let mut got = [tracker.read_exact_len(push(&["a"]).len()), tracker.read_exact_len(push(&["b"]).len())]
        .map(|b| String::from_utf8(b).unwrap());
    got.sort();
    assert_eq!(got, [push(&["a"]), push(&["b"])]);
    // A write command's keys are not tracked.
    tracker.expect(&["INCR", "n"], ":1\r\n");
    other.expect(&["INCR", "n"], ":2\r\n");
    nothing_pending(&mut tracker);
    // OFF: no more invalidations.
    tracker.expect(&["GET", "x"], "_\r\n");
    tracker.expect(&["CLIENT", "TRACKING", "off"], "+OK\r\n");
    other.expect(&["SET", "x", "1"], "+OK\r\n");
    nothing_pending(&mut tracker);
}

#[test]
fn trackinginfo_getredir_and_client_list_show_the_state() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    assert_eq!(run::<i64>(&mut c, &["CLIENT", "GETREDIR"]), -1);
    let mut raw = server.raw();
    let off = "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n";
    raw.expect(&["CLIENT", "TRACKINGINFO"], off);
    raw.expect(&["CLIENT", "TRACKING", "on", "OPTIN", "NOLOOP"], "+OK\r\n");
    raw.expect(&["CLIENT", "GETREDIR"], ":0\r\n");
    raw.expect(&["CLIENT", "CACHING", "yes"], "+OK\r\n");
    raw.expect(
        &["CLIENT", "TRACKINGINFO"],
        "*6\r\n$5\r\nflags\r\n*4\r\n$2\r\non\r\n$5\r\noptin\r\n$11\r\ncaching-yes\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n",
    );
    let mut resp3 = server.raw_resp3();
    resp3.expect(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b", "PREFIX", "a"], "+OK\r\n");
    resp3.expect(
        &["CLIENT", "TRACKINGINFO"],
        "%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n",
    );
    let list: String = run(&mut c, &["CLIENT", "LIST"]);
    let flags: Vec<(&str, &str)> = list
        .lines()
        .map(|l| {
            let field = |name: &str| l.split(' ').find_map(|f| f.strip_prefix(name)).unwrap();
            (field("flags="), field("redir="))
        })
        .collect();
    assert!(flags.contains(&("t", "0")) && flags.contains(&("tB", "0")) && flags.contains(&("N", "-1")), "{list}");
    let info: String = run(&mut c, &["INFO"]);
    for line in ["tracking_clients:2\r\n", "tracking_total_prefixes:2\r\n"] {
        assert!(info.contains(line), "{line} in {info}");
    }
    raw.expect(&["CLIENT", "TRACKING", "off"], "+OK\r\n");
    raw.expect(&["CLIENT", "GETREDIR"], ":-1\r\n");
    resp3.expect(&["RESET"], "+RESET\r\n");
    let info: String = run(&mut c, &["INFO", "clients"]);
    assert!(info.contains("tracking_clients:0\r\n"), "{info}");
}

#[test]
fn options_are_checked_as_redis_does() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let cases: &[(&[&str], &str)] = &[
        (&["ON", "REDIRECT", "99999"], "ERR The client ID you want redirect to does not exist"),
        (&["ON", "REDIRECT", "x"], "ERR value is not an integer or out of range"),
        (&["ON", "PREFIX", "a"], "ERR PREFIX option requires BCAST mode to be enabled"),
        (&["ON", "BCAST", "OPTIN"], "ERR OPTIN and OPTOUT are not compatible with BCAST"),
        (&["ON", "OPTIN", "OPTOUT"], "ERR You can't specify both OPTIN mode and OPTOUT mode"),
        (
            &["ON", "BCAST", "PREFIX", "x", "PREFIX", "xy"],
            "ERR Prefix 'x' overlaps with another provided prefix 'xy'. Prefixes for a single client must not overlap.",
        ),
        (&["MAYBE"], "ERR syntax error"),
        (&["ON", "FOO"], "ERR syntax error"),
        (&["ON", "PREFIX"], "ERR syntax error"),
    ];
    for (options, error) in cases {
        let mut args = vec!["CLIENT", "TRACKING"];
        args.extend_from_slice(options);
        assert_eq!(fail(&mut c, &args), *error, "{options:?}");
    }
    assert_eq!(fail(&mut c, &["CLIENT", "TRACKING"]), "ERR wrong number of arguments for 'client|tracking' command");
    // OFF validates the options' syntax only.
    assert_eq!(run::<String>(&mut c, &["CLIENT", "TRACKING", "off", "BCAST", "PREFIX", "a", "PREFIX", "ab"]), "OK");
    assert_eq!(
        fail(&mut c, &["CLIENT", "CACHING", "yes"]),
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
    );
    run::<String>(&mut c, &["CLIENT", "TRACKING", "on", "OPTIN"]);
    assert_eq!(
        fail(&mut c, &["CLIENT", "CACHING", "no"]),
        "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
    );
    assert_eq!(fail(&mut c, &["CLIENT", "CACHING", "maybe"]), "ERR syntax error");
    assert_eq!(
        fail(&mut c, &["CLIENT", "TRACKING", "on", "OPTOUT"]),
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
    );
    assert_eq!(
        fail(&mut c, &["CLIENT", "TRACKING", "on", "BCAST"]),
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
    );
    run::<String>(&mut c, &["CLIENT", "TRACKING", "off"]);
    run::<String>(&mut c, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a"]);
    assert_eq!(
        fail(&mut c, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab"]),
        "ERR Prefix 'ab' overlaps with an existing prefix 'a'. Prefixes for a single client must not overlap."
    );
    let me = run::<i64>(&mut c, &["CLIENT", "ID"]).to_string();
    assert_eq!(
        fail(&mut c, &["CLIENT", "TRACKING", "on", "REDIRECT", &me, "REDIRECT", &me]),
        "ERR A client can only redirect to a single other client"
    );
}

#[test]
fn resp2_invalidations_go_to_a_redirect_subscribed_to_the_channel() {
    let server = TestServer::start();
    let mut sub = server.raw();
    let sub_id = client_id(&mut sub);
    sub.expect(
        &["SUBSCRIBE", "__redis__:invalidate"],
        "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n",
    );
    let mut tracker = server.raw();
    tracker.expect(&["CLIENT", "TRACKING", "on", "REDIRECT", &sub_id], "+OK\r\n");
    tracker.expect(&["CLIENT", "GETREDIR"], &format!(":{sub_id}\r\n"));
    tracker.expect(&["GET", "k"], "$-1\r\n");
    tracker.expect(&["SET", "k", "1"], "+OK\r\n");
    receive(&mut sub, &message(&["k"]));
    // A flush tells every tracking client everything changed: a null.
    tracker.expect(&["FLUSHALL"], "+OK\r\n");
    receive(&mut sub, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n");
    // A RESP2 client without a redirect hears nothing (RESP2 has no pushes).
    let mut plain = server.raw();
    plain.expect(&["CLIENT", "TRACKING", "on"], "+OK\r\n");
    plain.expect(&["GET", "p"], "$-1\r\n");
    plain.expect(&["SET", "p", "1"], "+OK\r\n");
    nothing_pending(&mut plain);
}

#[test]
fn a_broken_redirect_is_reported_to_a_resp3_client() {
    let server = TestServer::start();
    let mut target = server.raw();
    let target_id = client_id(&mut target);
    let mut tracker = server.raw_resp3();
    tracker.expect(&["CLIENT", "TRACKING", "on", "REDIRECT", &target_id], "+OK\r\n");
    tracker.expect(&["GET", "x"], "_\r\n");
    target.expect(&["QUIT"], "+OK\r\n");
    let mut c = server.sync_conn();
    assert!(wait_until(Duration::from_secs(10), || {
        run::<String>(&mut c, &["CLIENT", "LIST"]).lines().any(|l| l.contains("flags=tR "))
    }));
    tracker.expect(&["SET", "x", "2"], "+OK\r\n");
    receive(&mut tracker, &format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{target_id}\r\n"));
    tracker.expect(
        &["CLIENT", "TRACKINGINFO"],
        &format!(
            "%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n$8\r\nredirect\r\n:{target_id}\r\n$8\r\nprefixes\r\n*0\r\n"
        ),
    );
}

#[test]
fn bcast_sends_every_change_under_a_prefix_one_message_per_prefix() {
    let server = TestServer::start();
    let mut tracker = server.raw_resp3();
    let mut other = server.raw();
    tracker.expect(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "b", "NOLOOP"], "+OK\r\n");
    // NOLOOP: its own changes are not sent.
    tracker.expect(&["MSET", "a1", "1", "b1", "2", "c", "3"], "+OK\r\n");
    nothing_pending(&mut tracker);
    // One command's keys come together, sorted, one message per prefix; never read first.
    other.expect(&["MSET", "a2", "1", "b1", "2", "c", "3", "a1", "4"], "+OK\r\n");
    receive(&mut tracker, &(push(&["a1", "a2"]) + &push(&["b1"])));
    // A change reported by two events (SET ... EX: set, expire) is one key.
    other.expect(&["SET", "a3", "1", "EX", "100"], "+OK\r\n");
    receive(&mut tracker, &push(&["a3"]));
    // FLUSHALL reaches BCAST clients too.
    other.expect(&["FLUSHALL"], "+OK\r\n");
    receive(&mut tracker, ">2\r\n$10\r\ninvalidate\r\n_\r\n");
    // BCAST without a prefix: every key.
    let mut all = server.raw_resp3();
    all.expect(&["CLIENT", "TRACKING", "on", "BCAST"], "+OK\r\n");
    other.expect(&["SET", "zz", "1"], "+OK\r\n");
    receive(&mut all, &push(&["zz"]));
}

#[test]
fn optin_and_optout_track_per_command_with_caching() {
    let server = TestServer::start();
    let mut tracker = server.raw_resp3();
    let mut other = server.raw();
    tracker.expect(&["CLIENT", "TRACKING", "on", "OPTIN"], "+OK\r\n");
    tracker.expect(&["GET", "a"], "_\r\n");
    tracker.expect(&["CLIENT", "CACHING", "yes"], "+OK\r\n");
    tracker.expect(&["GET", "b"], "_\r\n");
    // CACHING lasts one command, or a whole transaction.
    tracker.expect(&["GET", "c"], "_\r\n");
    tracker.expect(&["MULTI"], "+OK\r\n");
    tracker.expect(&["CLIENT", "CACHING", "yes"], "+QUEUED\r\n");
    tracker.expect(&["GET", "d"], "+QUEUED\r\n");
    tracker.expect(&["GET", "e"], "+QUEUED\r\n");
    tracker.expect(&["EXEC"], "*3\r\n+OK\r\n_\r\n_\r\n");
    for key in ["a", "b", "c", "d", "e"] {
        other.expect(&["SET", key, "1"], "+OK\r\n");
    }
    receive(&mut tracker, &(push(&["b"]) + &push(&["d"]) + &push(&["e"])));
    nothing_pending(&mut tracker);

    tracker.expect(&["CLIENT", "TRACKING", "off"], "+OK\r\n");
    tracker.expect(&["CLIENT", "TRACKING", "on", "OPTOUT"], "+OK\r\n");
    tracker.expect(&["GET", "a"], "$1\r\n1\r\n");
    tracker.expect(&["CLIENT", "CACHING", "no"], "+OK\r\n");
    tracker.expect(&["GET", "b"], "$1\r\n1\r\n");
    other.expect(&["SET", "b", "2"], "+OK\r\n");
    other.expect(&["SET", "a", "2"], "+OK\r\n");
    receive(&mut tracker, &push(&["a"]));
    nothing_pending(&mut tracker);
}

#[test]
fn expired_keys_are_invalidated_and_the_table_is_bounded() {
    let server = TestServer::start();
    let mut tracker = server.raw_resp3();
    let mut other = server.raw();
    other.expect(&["SET", "k", "v", "PX", "500"], "+OK\r\n");
    tracker.expect(&["CLIENT", "TRACKING", "on"], "+OK\r\n");
    tracker.expect(&["GET", "k"], "$1\r\nv\r\n");
    // Whether active expiry or a lookup removes it, the key is reported changed.
    receive(&mut tracker, &push(&["k"]));

    let mut c = server.sync_conn();
    run::<String>(&mut c, &["CONFIG", "SET", "tracking-table-max-keys", "2"]);
    tracker.command(&[b"MGET", b"a", b"b", b"c", b"d"]);
    receive(&mut tracker, "*4\r\n_\r\n_\r\n_\r\n_\r\n");
    // Two of the four are forgotten at once, their readers told.
    let evicted = tracker.read_exact_len(2 * push(&["a"]).len());
    assert_eq!(String::from_utf8_lossy(&evicted).matches("invalidate").count(), 2);
    let info: String = run(&mut c, &["INFO", "stats"]);
    assert!(info.contains("tracking_total_keys:2\r\n") && info.contains("tracking_total_items:2\r\n"), "{info}");
}

#[test]
fn evicted_keys_are_invalidated() {
    let server = TestServer::start_with(&["--persistence", "none", "--maxmemory-policy", "volatile-lru"]);
    let mut c = server.sync_conn();
    let value = "x".repeat(1000);
    let mut pipe = redis::pipe();
    for i in 0..2000 {
        pipe.cmd("SET").arg(format!("persistent:{i}")).arg(&value).ignore();
    }
    for i in 0..10 {
        pipe.cmd("SET").arg(format!("v:{i}")).arg(&value).arg("EX").arg(1000).ignore();
    }
    pipe.query::<()>(&mut c).unwrap();
    let mut tracker = server.raw_resp3();
    tracker.expect(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "v:"], "+OK\r\n");
    // 1 MB below what the node uses: every key with a TTL is evicted, and reported.
    let used: u64 = run::<String>(&mut c, &["INFO", "memory"])
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", &(used - (1 << 20)).to_string()]);
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 10 {
        let line = tracker.read_line();
        assert!(!line.is_empty(), "connection closed after {seen:?}");
        if line.starts_with("v:") {
            seen.insert(line.trim_end().to_owned());
        }
    }
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", "0"]);
}

/// A lowered tracking-table-max-keys is reached before the next command runs, even one
/// only queued in MULTI: its invalidation comes before that command's reply (Redis's
/// regression test for #11715, with the periodic work paused so the command does it).
#[test]
fn a_lowered_table_bound_is_reached_before_the_next_command() {
    let (server, _dir) = TestServer::start_with_debug(&[]);
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["DEBUG", "PAUSE-CRON", "1"]);
    let mut tracker = server.raw_resp3();
    tracker.expect(&["CLIENT", "TRACKING", "on"], "+OK\r\n");
    tracker.expect(&["MGET", "1{tag}", "2{tag}"], "*2\r\n_\r\n_\r\n");
    tracker.expect(&["MULTI"], "+OK\r\n");
    run::<()>(&mut c, &["CONFIG", "SET", "tracking-table-max-keys", "1"]);
    tracker.command(&[b"PING"]);
    let forgotten = tracker.read_exact_len(push(&["1{tag}"]).len());
    let forgotten = String::from_utf8(forgotten).unwrap();
    assert!(forgotten == push(&["1{tag}"]) || forgotten == push(&["2{tag}"]), "{forgotten}");
    assert_eq!(tracker.read_line(), "+QUEUED\r\n");
    tracker.command(&[b"EXEC"]);
    receive(&mut tracker, "*1\r\n+PONG\r\n");
    run::<()>(&mut c, &["DEBUG", "PAUSE-CRON", "0"]);
}

/// A key evicted before a command runs (the node is over maxmemory) is reported before
/// that command's reply: the command may read what replaced it.
#[test]
fn an_eviction_before_a_command_is_reported_before_its_reply() {
    let server = TestServer::start_with(&["--persistence", "none", "--maxmemory-policy", "volatile-random"]);
    let mut c = server.sync_conn();
    let mut tracker = server.raw_resp3();
    tracker.expect(&["CLIENT", "TRACKING", "on"], "+OK\r\n");
    let used: u64 = run::<String>(&mut c, &["INFO", "memory"])
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", &(used + 100 * 1024).to_string()]);
    tracker.expect(&["SETEX", "volatile-key", "10000", "x"], "+OK\r\n");
    tracker.expect(&["GET", "volatile-key"], "$1\r\nx\r\n");
    // 200 KB: the node is over its limit once this has run, and evicts before the next.
    tracker.expect(&["SETBIT", "big-key", "1600000", "0"], ":0\r\n");
    tracker.command(&[b"GETBIT", b"big-key", b"0"]);
    receive(&mut tracker, &push(&["volatile-key"]));
    assert_eq!(tracker.read_line(), ":0\r\n");
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", "0"]);
}

/// A script that calls a read makes its tracking caller remember the keys the script
/// declared, not the keys its commands name (Redis 7); a script that only writes, and a
/// read-only script that reads nothing, remember nothing.
#[test]
fn scripts_track_their_declared_keys_when_they_read() {
    let server = TestServer::start();
    let mut tracker = server.raw_resp3();
    let mut other = server.raw();
    tracker.expect(&["CLIENT", "TRACKING", "on"], "+OK\r\n");
    tracker.expect(&["EVAL", "redis.call('set', 'key3{t}', 'bar')", "2", "key1{t}", "key2{t}"], "_\r\n");
    other.expect(&["MSET", "key1{t}", "2", "key2{t}", "2"], "+OK\r\n");
    nothing_pending(&mut tracker);
    tracker.expect(&["EVAL", "redis.call('get', 'key3{t}')", "2", "key1{t}", "key2{t}"], "_\r\n");
    other.expect(&["SET", "key3{t}", "x"], "+OK\r\n");
    nothing_pending(&mut tracker);
    other.expect(&["MSET", "key2{t}", "3", "key1{t}", "3"], "+OK\r\n");
    receive(&mut tracker, &push(&["key2{t}"]));
    receive(&mut tracker, &push(&["key1{t}"]));
    tracker.expect(&["EVAL_RO", "redis.call('ping')", "2", "key1{t}", "key2{t}"], "_\r\n");
    other.expect(&["MSET", "key2{t}", "4", "key1{t}", "4"], "+OK\r\n");
    nothing_pending(&mut tracker);
    tracker.expect(&["EVAL_RO", "return redis.call('get', 'key1{t}')", "2", "key1{t}", "key2{t}"], "$1\r\n4\r\n");
    other.expect(&["MSET", "key2{t}", "5", "key1{t}", "5"], "+OK\r\n");
    receive(&mut tracker, &push(&["key2{t}"]));
    receive(&mut tracker, &push(&["key1{t}"]));
}

/// NOLOOP hides a client's own changes only: a key its own command finds expired was
/// changed by nobody (Redis signals expiry with no client), so a BCAST NOLOOP client hears
/// of it, even when the same command then writes the key; a key it only wrote stays
/// unreported.
#[test]
fn noloop_still_reports_keys_expired_during_the_clients_own_command() {
    let (server, _dir) = TestServer::start_with_debug(&[]);
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let mut redirection = server.raw();
    let id = client_id(&mut redirection);
    redirection.command(&[b"SUBSCRIBE", b"__redis__:invalidate"]);
    receive(&mut redirection, "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n");
    let mut tracker = server.raw();
    tracker.expect(&["CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", &id, "NOLOOP"], "+OK\r\n");
    tracker.expect(&["SET", "mykey{t}", "myval", "PX", "1"], "+OK\r\n");
    tracker.expect(&["SET", "mykeyotherkey{t}", "myval"], "+OK\r\n");
    tracker.expect(&["DEBUG", "SLEEP", "0.01"], "+OK\r\n");
    // Expired (nobody's change), then written (the tracker's): reported once.
    tracker.expect(&["SET", "mykey{t}", "again"], "+OK\r\n");
    tracker.expect(&["SET", "mykeyotherkey{t}", "again"], "+OK\r\n");
    receive(&mut redirection, &message(&["mykey{t}"]));
    redirection.expect(&["PING"], "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    run::<()>(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
}

/// FLUSHALL empties the tracking table even when no client tracks any more: a client that
/// tracks again later is not told of keys it read before.
#[test]
fn flushall_forgets_keys_read_before_tracking_was_turned_off() {
    let server = TestServer::start();
    let mut tracker = server.raw_resp3();
    let mut c = server.sync_conn();
    tracker.expect(&["CLIENT", "TRACKING", "on"], "+OK\r\n");
    tracker.expect(&["GET", "old"], "_\r\n");
    tracker.expect(&["CLIENT", "TRACKING", "off"], "+OK\r\n");
    let info: String = run(&mut c, &["INFO", "stats"]);
    assert!(info.contains("tracking_total_keys:1\r\n"), "{info}");
    run::<()>(&mut c, &["FLUSHALL"]);
    let info: String = run(&mut c, &["INFO", "stats"]);
    assert!(info.contains("tracking_total_keys:0\r\n"), "{info}");
    tracker.expect(&["CLIENT", "TRACKING", "on"], "+OK\r\n");
    run::<()>(&mut c, &["SET", "old", "1"]);
    nothing_pending(&mut tracker);
}

/// A RESP3 connection that neither tracks nor subscribes receives the invalidations
/// redirected to it, CLIENT REPLY OFF or not (pushes are not replies).
#[test]
fn a_plain_resp3_connection_receives_redirected_invalidations() {
    let server = TestServer::start();
    let mut target = server.raw_resp3();
    let id = client_id(&mut target);
    let mut tracker = server.raw();
    let mut other = server.raw();
    tracker.expect(&["CLIENT", "TRACKING", "on", "REDIRECT", &id], "+OK\r\n");
    tracker.expect(&["GET", "foo"], "$-1\r\n");
    other.expect(&["SET", "foo", "bar"], "+OK\r\n");
    receive(&mut target, &push(&["foo"]));
    tracker.expect(&["GET", "foo"], "$3\r\nbar\r\n");
    target.command(&[b"CLIENT", b"REPLY", b"OFF"]);
    other.expect(&["SET", "foo", "bar2"], "+OK\r\n");
    receive(&mut target, &push(&["foo"]));
    target.expect(&["CLIENT", "REPLY", "ON"], "+OK\r\n");
    target.expect(&["PING"], "+PONG\r\n");
}
