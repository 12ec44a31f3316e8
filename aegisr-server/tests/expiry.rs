//! Key expiry through a real client: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT and their options,
//! TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST, and keys disappearing both when read after
//! their deadline (lazy expiry) and on their own (active expiry).

// Test helpers outside #[test] functions unwrap too: a failed call is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fail, get, now_ms, run, set, wait_until};
use redis::Connection;

fn err(c: &mut Connection, args: &[&str]) -> String {
    fail(c, args)
}

fn int(c: &mut Connection, args: &[&str]) -> i64 {
    run(c, args)
}

/// Waits until the wall clock (which the server shares) is past `deadline_ms`.
fn wait_past(deadline_ms: i64) {
    assert!(wait_until(Duration::from_secs(30), || now_ms() > deadline_ms));
}

#[test]
fn keys_vanish_when_read_after_their_deadline() {
    // A slow active cycle, so most keys are still in the table when they are read.
    let server = TestServer::start_with(&["--hz", "1"]);
    let mut c = server.sync_conn();
    // Far enough ahead that setting up cannot overrun it even on a loaded machine.
    let deadline = now_ms() + 1000;
    let mut pipe = redis::pipe();
    for i in 0..50 {
        let k = format!("lazy:{i}");
        pipe.cmd("SET").arg(&k).arg("v").ignore();
        pipe.cmd("PEXPIREAT").arg(&k).arg(deadline).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    set(&mut c, "forever", "v");
    assert_eq!(get(&mut c, "lazy:0").as_deref(), Some("v"));
    wait_past(deadline);
    for i in 0..50 {
        let k = format!("lazy:{i}");
        match i % 5 {
            0 => assert_eq!(get(&mut c, &k), None, "{k}"),
            1 => assert_eq!(int(&mut c, &["EXISTS", &k]), 0, "{k}"),
            2 => assert_eq!(int(&mut c, &["TTL", &k]), -2, "{k}"),
            3 => assert_eq!(int(&mut c, &["PERSIST", &k]), 0, "{k}"),
            _ => assert_eq!(int(&mut c, &["EXPIRE", &k, "100"]), 0, "{k}"),
        }
    }
    assert_eq!(get(&mut c, "forever").as_deref(), Some("v"));
    // Every expired key is gone from the count too (read ones at once, the others by the sweep).
    assert!(wait_until(Duration::from_secs(10), || int(&mut c, &["DBSIZE"]) == 1));
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
    assert_eq!(keys, ["forever"]);
}

#[test]
fn keys_are_removed_without_being_read() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let mut pipe = redis::pipe();
    for i in 0..500 {
        let k = format!("active:{i}");
        pipe.cmd("SET").arg(&k).arg("v").ignore();
        pipe.cmd("PEXPIRE").arg(&k).arg(100 + (i % 10) * 20).ignore();
    }
    for i in 0..20 {
        pipe.cmd("SET").arg(format!("keep:{i}")).arg("v").ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    // Nothing reads the keys: only DBSIZE, which does not expire anything itself.
    assert!(
        wait_until(Duration::from_secs(15), || int(&mut c, &["DBSIZE"]) == 20),
        "active expiry left {} keys",
        int(&mut c, &["DBSIZE"])
    );
    let info: String = redis::cmd("INFO").arg("stats").query(&mut c).unwrap();
    let expired = info.lines().find_map(|l| l.strip_prefix("expired_keys:")).map(|v| v.trim().parse::<u64>().unwrap());
    if let Some(expired) = expired {
        assert_eq!(expired, 500, "{info}");
    }
}

#[test]
fn ttl_pttl_and_expiretime() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(int(&mut c, &[cmd, "nokey"]), -2, "{cmd}");
    }
    set(&mut c, "k", "v");
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(int(&mut c, &[cmd, "k"]), -1, "{cmd}");
    }
    assert_eq!(int(&mut c, &["EXPIRE", "k", "100"]), 1);
    let ttl = int(&mut c, &["TTL", "k"]);
    assert!((99..=100).contains(&ttl), "{ttl}");
    let pttl = int(&mut c, &["PTTL", "k"]);
    assert!(pttl > 95_000 && pttl <= 100_000, "{pttl}");
    assert_eq!(int(&mut c, &["PEXPIRE", "k", "1500"]), 1);
    // TTL rounds to the nearest second.
    let ttl = int(&mut c, &["TTL", "k"]);
    assert!((1..=2).contains(&ttl), "{ttl}");

    // Absolute deadlines read back exactly.
    let at = now_ms() / 1000 + 3600;
    assert_eq!(int(&mut c, &["EXPIREAT", "k", &at.to_string()]), 1);
    assert_eq!(int(&mut c, &["EXPIRETIME", "k"]), at);
    assert_eq!(int(&mut c, &["PEXPIRETIME", "k"]), at * 1000);
    let at_ms = now_ms() + 7_200_123;
    assert_eq!(int(&mut c, &["PEXPIREAT", "k", &at_ms.to_string()]), 1);
    assert_eq!(int(&mut c, &["PEXPIRETIME", "k"]), at_ms);
    // EXPIRETIME rounds to the nearest second (Redis: `(ms + 500) / 1000`).
    assert_eq!(int(&mut c, &["EXPIRETIME", "k"]), (at_ms + 500) / 1000);
    let at_ms = (now_ms() / 1000 + 7200) * 1000 + 499;
    assert_eq!(int(&mut c, &["PEXPIREAT", "k", &at_ms.to_string()]), 1);
    assert_eq!(int(&mut c, &["EXPIRETIME", "k"]), at_ms / 1000);
    assert_eq!(int(&mut c, &["PEXPIREAT", "k", &(at_ms + 1).to_string()]), 1);
    assert_eq!(int(&mut c, &["EXPIRETIME", "k"]), at_ms / 1000 + 1);
    let ttl = int(&mut c, &["TTL", "k"]);
    assert!((7195..=7200).contains(&ttl), "{ttl}");
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"] {
        assert_eq!(err(&mut c, &[cmd]), format!("ERR wrong number of arguments for '{}' command", cmd.to_lowercase()));
    }
}

#[test]
fn expire_options() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    assert_eq!(int(&mut c, &["EXPIRE", "nokey", "100"]), 0);
    assert_eq!(int(&mut c, &["EXPIRE", "nokey", "100", "NX"]), 0);
    set(&mut c, "k", "v");
    // XX needs an existing TTL, NX needs none.
    assert_eq!(int(&mut c, &["EXPIRE", "k", "100", "XX"]), 0);
    assert_eq!(int(&mut c, &["TTL", "k"]), -1);
    // GT never beats "no TTL" (infinite); LT always does.
    assert_eq!(int(&mut c, &["EXPIRE", "k", "100", "GT"]), 0);
    assert_eq!(int(&mut c, &["TTL", "k"]), -1);
    assert_eq!(int(&mut c, &["EXPIRE", "k", "100", "nx"]), 1);
    assert_eq!(int(&mut c, &["EXPIRE", "k", "200", "NX"]), 0);
    let ttl = int(&mut c, &["TTL", "k"]);
    assert!((99..=100).contains(&ttl), "{ttl}");
    assert_eq!(int(&mut c, &["EXPIRE", "k", "200", "XX"]), 1);
    assert!(int(&mut c, &["TTL", "k"]) > 190);
    // GT: only a later deadline; an equal one is refused.
    assert_eq!(int(&mut c, &["EXPIRE", "k", "100", "GT"]), 0);
    assert_eq!(int(&mut c, &["EXPIRE", "k", "300", "GT"]), 1);
    assert!(int(&mut c, &["TTL", "k"]) > 290);
    let at = int(&mut c, &["PEXPIRETIME", "k"]);
    assert_eq!(int(&mut c, &["PEXPIREAT", "k", &at.to_string(), "GT"]), 0);
    assert_eq!(int(&mut c, &["PEXPIREAT", "k", &at.to_string(), "LT"]), 0);
    // LT: only an earlier deadline.
    assert_eq!(int(&mut c, &["EXPIRE", "k", "400", "LT"]), 0);
    assert_eq!(int(&mut c, &["EXPIRE", "k", "50", "LT"]), 1);
    let ttl = int(&mut c, &["TTL", "k"]);
    assert!((49..=50).contains(&ttl), "{ttl}");
    assert_eq!(int(&mut c, &["EXPIRE", "k", "60", "XX", "GT"]), 1);
    assert_eq!(int(&mut c, &["EXPIRE", "k", "70", "XX", "LT"]), 0);
    // LT on a key without a TTL sets it.
    set(&mut c, "plain", "v");
    assert_eq!(int(&mut c, &["PEXPIRE", "plain", "100000", "LT"]), 1);
    assert!(int(&mut c, &["PTTL", "plain"]) > 90_000);
    // Options apply to every form.
    let far = (now_ms() / 1000 + 10_000).to_string();
    assert_eq!(int(&mut c, &["EXPIREAT", "plain", &far, "NX"]), 0);
    assert_eq!(int(&mut c, &["EXPIREAT", "plain", &far, "GT"]), 1);
    assert_eq!(int(&mut c, &["EXPIRETIME", "plain"]).to_string(), far);

    // Incompatible and unknown options, checked before the number and the key.
    let nx_error = "ERR NX and XX, GT or LT options at the same time are not compatible";
    assert_eq!(err(&mut c, &["EXPIRE", "k", "10", "NX", "XX"]), nx_error);
    assert_eq!(err(&mut c, &["EXPIRE", "k", "10", "NX", "GT"]), nx_error);
    assert_eq!(err(&mut c, &["PEXPIRE", "k", "10", "LT", "NX"]), nx_error);
    assert_eq!(err(&mut c, &["EXPIRE", "nokey", "x", "NX", "XX"]), nx_error);
    assert_eq!(
        err(&mut c, &["EXPIRE", "k", "10", "GT", "LT"]),
        "ERR GT and LT options at the same time are not compatible"
    );
    assert_eq!(
        err(&mut c, &["EXPIREAT", "k", "10", "lt", "gt"]),
        "ERR GT and LT options at the same time are not compatible"
    );
    assert_eq!(err(&mut c, &["EXPIRE", "k", "10", "Foo"]), "ERR Unsupported option Foo");
    assert_eq!(err(&mut c, &["EXPIRE", "k", "abc", "foo"]), "ERR Unsupported option foo");
    assert_eq!(err(&mut c, &["EXPIRE", "k", "abc"]), "ERR value is not an integer or out of range");
    assert_eq!(err(&mut c, &["EXPIRE", "k", "1.5"]), "ERR value is not an integer or out of range");
    assert_eq!(err(&mut c, &["EXPIRE", "k"]), "ERR wrong number of arguments for 'expire' command");
    // A refused or failed EXPIRE changed nothing.
    assert!(int(&mut c, &["TTL", "k"]) > 50);
}

#[test]
fn past_huge_and_negative_deadlines() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    // A deadline in the past deletes the key and still replies 1.
    for (i, args) in [
        vec!["EXPIRE", "-1"],
        vec!["EXPIRE", "0"],
        vec!["PEXPIRE", "-1000"],
        vec!["EXPIREAT", "1"],
        vec!["PEXPIREAT", "0"],
        vec!["PEXPIREAT", "-5"],
        vec!["EXPIRE", "-9223372036854775"],
    ]
    .into_iter()
    .enumerate()
    {
        let k = format!("k{i}");
        set(&mut c, &k, "v");
        assert_eq!(int(&mut c, &[args[0], &k, args[1]]), 1, "{args:?}");
        assert_eq!(get(&mut c, &k), None, "{args:?}");
        assert_eq!(int(&mut c, &["EXISTS", &k]), 0, "{args:?}");
    }
    // LT with a past deadline deletes too; GT refuses on a key without TTL.
    set(&mut c, "lt", "v");
    assert_eq!(int(&mut c, &["EXPIRE", "lt", "-1", "LT"]), 1);
    assert_eq!(int(&mut c, &["EXISTS", "lt"]), 0);
    set(&mut c, "gt", "v");
    assert_eq!(int(&mut c, &["EXPIRE", "gt", "-1", "GT"]), 0);
    assert_eq!(int(&mut c, &["EXISTS", "gt"]), 1);

    // Overflow in the unit conversion or in adding the current time is an error, whether or
    // not the key exists, and names the command.
    set(&mut c, "k", "v");
    for (cmd, value) in [
        ("EXPIRE", "9223372036854775807"),
        ("EXPIRE", "9223372036854775"),
        ("EXPIRE", "-9223372036854775808"),
        ("EXPIRE", "-9223372036854776"),
        ("PEXPIRE", "9223372036854775807"),
        ("EXPIREAT", "9223372036854775807"),
        ("EXPIREAT", "-9223372036854775808"),
    ] {
        let expected = format!("ERR invalid expire time in '{}' command", cmd.to_lowercase());
        assert_eq!(err(&mut c, &[cmd, "k", value]), expected, "{cmd} {value}");
        assert_eq!(err(&mut c, &[cmd, "nokey", value]), expected, "{cmd} {value}");
    }
    assert_eq!(err(&mut c, &["EXPIRE", "k", "9223372036854775808"]), "ERR value is not an integer or out of range");
    assert_eq!(int(&mut c, &["TTL", "k"]), -1);

    // The largest deadlines that fit are accepted.
    assert_eq!(int(&mut c, &["PEXPIREAT", "k", "9223372036854775807"]), 1);
    assert_eq!(int(&mut c, &["PEXPIRETIME", "k"]), i64::MAX);
    assert!(int(&mut c, &["PTTL", "k"]) > 9_000_000_000_000_000_000);
    assert!(int(&mut c, &["TTL", "k"]) > 9_000_000_000_000_000);
    assert_eq!(int(&mut c, &["EXPIREAT", "k", "9223372036854775"]), 1);
    assert_eq!(int(&mut c, &["EXPIRETIME", "k"]), 9_223_372_036_854_775);
    assert_eq!(int(&mut c, &["EXPIRE", "k", "9223372036854"]), 1);
    assert_eq!(get(&mut c, "k").as_deref(), Some("v"));
}

#[test]
fn persist_and_set_clear_the_ttl() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    assert_eq!(int(&mut c, &["PERSIST", "nokey"]), 0);
    set(&mut c, "k", "v");
    assert_eq!(int(&mut c, &["PERSIST", "k"]), 0);
    assert_eq!(int(&mut c, &["EXPIRE", "k", "100"]), 1);
    assert_eq!(int(&mut c, &["PERSIST", "k"]), 1);
    assert_eq!(int(&mut c, &["TTL", "k"]), -1);
    assert_eq!(int(&mut c, &["PERSIST", "k"]), 0);
    // The key no longer expires.
    assert_eq!(int(&mut c, &["PEXPIRE", "k", "100000"]), 1);
    assert_eq!(int(&mut c, &["PERSIST", "k"]), 1);
    assert_eq!(get(&mut c, "k").as_deref(), Some("v"));
    // A plain SET replaces the value and drops the TTL.
    assert_eq!(int(&mut c, &["EXPIRE", "k", "100"]), 1);
    set(&mut c, "k", "v2");
    assert_eq!(int(&mut c, &["TTL", "k"]), -1);
    // A short TTL cleared in time: the key survives its old deadline.
    let deadline = now_ms() + 1000;
    assert_eq!(int(&mut c, &["PEXPIREAT", "k", &deadline.to_string()]), 1);
    assert_eq!(int(&mut c, &["PERSIST", "k"]), 1);
    wait_past(deadline + 100);
    assert_eq!(get(&mut c, "k").as_deref(), Some("v2"));
}

#[test]
fn rename_move_and_copy_keep_the_ttl() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let mut db1 = redis::Client::open(format!("redis://{}/1", server.resp)).unwrap().get_connection().unwrap();
    set(&mut c, "src", "v");
    assert_eq!(int(&mut c, &["EXPIRE", "src", "1000"]), 1);
    let before = int(&mut c, &["PEXPIRETIME", "src"]);
    assert_eq!(redis::cmd("RENAME").arg("src").arg("dst").query::<String>(&mut c).unwrap(), "OK");
    assert_eq!(int(&mut c, &["PEXPIRETIME", "dst"]), before);
    assert_eq!(int(&mut c, &["TTL", "src"]), -2);
    assert_eq!(int(&mut c, &["RENAMENX", "dst", "dst2"]), 1);
    assert_eq!(int(&mut c, &["PEXPIRETIME", "dst2"]), before);
    // A key without a TTL renamed over one with a TTL: the result has none.
    set(&mut c, "plain", "p");
    assert_eq!(redis::cmd("RENAME").arg("plain").arg("dst2").query::<String>(&mut c).unwrap(), "OK");
    assert_eq!(int(&mut c, &["TTL", "dst2"]), -1);
    assert_eq!(get(&mut c, "dst2").as_deref(), Some("p"));
    // MOVE and COPY carry the deadline too.
    set(&mut c, "m", "v");
    assert_eq!(int(&mut c, &["PEXPIREAT", "m", &before.to_string()]), 1);
    assert_eq!(int(&mut c, &["COPY", "m", "m2"]), 1);
    assert_eq!(int(&mut c, &["PEXPIRETIME", "m2"]), before);
    assert_eq!(int(&mut c, &["MOVE", "m", "1"]), 1);
    assert_eq!(int(&mut db1, &["PEXPIRETIME", "m"]), before);
    // A renamed short-lived key still expires at the original deadline.
    set(&mut c, "short", "v");
    let deadline = now_ms() + 1000;
    assert_eq!(int(&mut c, &["PEXPIREAT", "short", &deadline.to_string()]), 1);
    assert_eq!(redis::cmd("RENAME").arg("short").arg("short2").query::<String>(&mut c).unwrap(), "OK");
    wait_past(deadline);
    assert_eq!(get(&mut c, "short2"), None);
}
