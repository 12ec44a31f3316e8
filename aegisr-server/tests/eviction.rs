//! maxmemory and eviction against the real server: every policy holds the limit while
//! clients write and evicts the kind of keys it should (volatile-* only keys with a TTL,
//! volatile-ttl the soonest deadlines, allkeys-lru / allkeys-lfu the least recently /
//! frequently used), OOM under noeviction, CONFIG SET maxmemory at run time, the keyspace
//! event and WATCH seeing an eviction, and INFO's memory fields.
//!
//! Memory figures are the server's own (INFO used_memory). Limits are set relative to what
//! the server uses before a test writes, so the tests do not depend on its baseline, and
//! the statistical checks have wide margins so that sampling cannot make them flaky.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fail, run, wait_until};

/// Values of 1 KB: memory is then mostly values, and a few thousand keys make megabytes.
const VALUE_LEN: usize = 1000;

/// How far over maxmemory INFO may see the node right after a write: the command that
/// ran, and the per-thread allocation counts not yet folded into the total.
const SLACK: u64 = 256 * 1024;

fn info_field(c: &mut redis::Connection, section: &str, field: &str) -> String {
    let text: String = run(c, &["INFO", section]);
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("INFO {section} has no {field}:\n{text}"))
        .trim()
        .to_owned()
}

fn info_u64(c: &mut redis::Connection, section: &str, field: &str) -> u64 {
    info_field(c, section, field).parse().unwrap()
}

/// These tests measure eviction to within a few hundred KB of tiny limits, so they run
/// without the journal, whose buffers come and go by hundreds of KB under a write burst
/// (eviction leaves them out, as Redis does its AOF buffers; `persistence.rs` checks
/// eviction with the journal on).
const MEMORY_ONLY: &[&str] = &["--persistence", "none"];

/// Used memory as maxmemory counts it: without what Redis's INFO calls
/// `mem_not_counted_for_evict` (here the journal's buffers).
fn used(c: &mut redis::Connection) -> u64 {
    info_u64(c, "memory", "used_memory") - info_u64(c, "memory", "mem_not_counted_for_evict")
}

/// Writes keys `prefix:from..prefix:to`, 100 per pipeline, with a TTL (seconds, plus
/// the key's number so deadlines are ordered like the keys) when `ttl` is set. After each
/// pipeline calls `check`.
fn write_keys(
    c: &mut redis::Connection,
    prefix: &str,
    range: std::ops::Range<usize>,
    ttl: Option<usize>,
    mut check: impl FnMut(&mut redis::Connection),
) {
    let value = "v".repeat(VALUE_LEN);
    let mut batch = redis::pipe();
    for i in range.clone() {
        let cmd = batch.cmd("SET").arg(format!("{prefix}:{i}")).arg(&value);
        if let Some(ttl) = ttl {
            cmd.arg("EX").arg(ttl + i);
        }
        cmd.ignore();
        if (i + 1 - range.start) % 100 == 0 || i + 1 == range.end {
            batch.query::<()>(c).unwrap();
            batch = redis::pipe();
            check(c);
        }
    }
}

fn exists(c: &mut redis::Connection, key: &str) -> bool {
    run::<i64>(c, &["EXISTS", key]) == 1
}

fn surviving(c: &mut redis::Connection, prefix: &str, range: std::ops::Range<usize>) -> usize {
    range.filter(|i| exists(c, &format!("{prefix}:{i}"))).count()
}

/// Sets maxmemory to what the node uses now plus `headroom` bytes; returns the limit.
fn limit_at(c: &mut redis::Connection, headroom: u64) -> u64 {
    let limit = used(c) + headroom;
    run::<()>(c, &["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    limit
}

#[test]
fn every_policy_holds_the_limit_and_volatile_policies_spare_keys_without_ttl() {
    let server = TestServer::start_with(MEMORY_ONLY);
    let mut c = server.sync_conn();
    for policy in [
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", "0"]);
        run::<()>(&mut c, &["FLUSHALL"]);
        run::<()>(&mut c, &["CONFIG", "SET", "maxmemory-policy", policy]);
        // 300 keys without a TTL, then a limit 2 MB above, then 6 MB of keys with one.
        write_keys(&mut c, "persistent", 0..300, None, |_| {});
        let limit = limit_at(&mut c, 2 << 20);
        let evicted_before = info_u64(&mut c, "stats", "evicted_keys");
        let mut worst = 0;
        write_keys(&mut c, "volatile", 0..6000, Some(100_000), |c| worst = worst.max(used(c)));
        assert!(worst <= limit + SLACK, "{policy}: used {worst} over maxmemory {limit}");
        let evicted = info_u64(&mut c, "stats", "evicted_keys") - evicted_before;
        // About 4 MB of 1 KB values had to go.
        assert!(evicted >= 3000, "{policy}: only {evicted} evicted");
        let persistent = surviving(&mut c, "persistent", 0..300);
        if policy.starts_with("volatile") {
            assert_eq!(persistent, 300, "{policy} evicted a key without a TTL");
        } else {
            assert!(persistent < 300, "{policy} never evicted a key without a TTL ({evicted} evicted)");
        }
        let keys: u64 = run(&mut c, &["DBSIZE"]);
        assert!(keys < 6300 - 3000, "{policy}: {keys} keys left");
    }
}

#[test]
fn volatile_policies_refuse_writes_once_only_keys_without_ttl_are_left() {
    let server = TestServer::start_with(&["--persistence", "none", "--maxmemory-policy", "volatile-lru"]);
    let mut c = server.sync_conn();
    write_keys(&mut c, "persistent", 0..2000, None, |_| {});
    write_keys(&mut c, "volatile", 0..100, Some(1000), |_| {});
    // 1 MB below what the node uses, while the keys with a TTL hold some 100 KB: every one
    // of them goes, and the node is still over.
    let limit = used(&mut c) - (1 << 20);
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    // Eviction runs in slices of maxmemory-eviction-tenacity (a command that ends a slice
    // still over the limit runs, as in Redis): wait until every candidate is gone.
    assert!(wait_until(Duration::from_secs(10), || info_u64(&mut c, "stats", "evicted_keys") == 100));
    assert_eq!(fail(&mut c, &["SET", "new", "value"]), "OOM command not allowed when used memory > 'maxmemory'.");
    assert_eq!(surviving(&mut c, "volatile", 0..100), 0);
    assert_eq!(surviving(&mut c, "persistent", 0..2000), 2000);
    assert_eq!(info_u64(&mut c, "stats", "evicted_keys"), 100);
}

#[test]
fn volatile_ttl_evicts_the_soonest_deadlines_first() {
    let server = TestServer::start_with(&["--persistence", "none", "--maxmemory-policy", "volatile-ttl"]);
    let mut c = server.sync_conn();
    let limit = limit_at(&mut c, 2 << 20);
    // Key i expires in 100000 + i seconds: the lower its number, the sooner.
    write_keys(&mut c, "k", 0..4000, Some(100_000), |c| assert!(used(c) <= limit + SLACK));
    let kept: usize = run(&mut c, &["DBSIZE"]);
    assert!((500..3000).contains(&kept), "{kept} keys fit");
    // In exact deadline order the survivors would be the last `kept` keys. Sampling is
    // approximate (a key never sampled stays, as in Redis): most of them, and almost none
    // of the first quarter.
    let latest = surviving(&mut c, "k", 4000 - kept.min(1000)..4000);
    assert!(latest * 10 >= kept.min(1000) * 8, "the latest deadlines stay: {latest} of {}", kept.min(1000));
    let soonest = surviving(&mut c, "k", 0..1000);
    assert!(soonest <= 5, "the soonest deadlines go first: {soonest} of the first 1000 stayed");
}

/// Writes cold keys, lets them age (or reads hot keys many times), reads the hot ones,
/// then writes new keys until about half the cold keys must go: the hot keys survive.
fn hot_keys_survive(policy: &str, hot_reads: usize) {
    let server = TestServer::start_with(&["--persistence", "none", "--maxmemory-policy", policy]);
    let mut c = server.sync_conn();
    write_keys(&mut c, "cold", 0..1500, None, |_| {});
    write_keys(&mut c, "hot", 0..200, None, |_| {});
    if policy.ends_with("lru") {
        // The LRU clock counts seconds: the cold keys must be idle for at least two.
        let aged = wait_until(Duration::from_secs(10), || {
            run::<i64>(&mut c, &["OBJECT", "IDLETIME", "cold:0"]) >= 2
                && run::<i64>(&mut c, &["OBJECT", "IDLETIME", "hot:0"]) >= 2
        });
        assert!(aged);
    }
    for _ in 0..hot_reads {
        let mut reads = redis::pipe();
        for i in 0..200 {
            reads.cmd("GET").arg(format!("hot:{i}")).ignore();
        }
        reads.query::<()>(&mut c).unwrap();
    }
    let limit = limit_at(&mut c, 100 << 10);
    // About 800 KB over the limit: some 700-800 of the 1500 cold keys must go.
    write_keys(&mut c, "new", 0..900, None, |c| assert!(used(c) <= limit + SLACK));
    let evicted = info_u64(&mut c, "stats", "evicted_keys");
    assert!(evicted >= 500, "{policy}: {evicted} evicted");
    let hot = surviving(&mut c, "hot", 0..200);
    let cold = surviving(&mut c, "cold", 0..1500);
    assert!(hot >= 180, "{policy}: only {hot} of 200 hot keys survived ({cold} of 1500 cold)");
    assert!(cold <= 1500 - 400, "{policy}: the cold keys were spared ({cold} of 1500)");
}

#[test]
fn allkeys_lru_keeps_recently_read_keys() {
    hot_keys_survive("allkeys-lru", 1);
}

#[test]
fn allkeys_lfu_keeps_frequently_read_keys() {
    // 30 reads take the counter from 5 to about 8, above every key read once or never.
    hot_keys_survive("allkeys-lfu", 30);
}

#[test]
fn noeviction_refuses_writes_but_reads_and_deletes_work() {
    let server = TestServer::start_with(MEMORY_ONLY);
    let mut c = server.sync_conn();
    write_keys(&mut c, "k", 0..100, None, |_| {});
    let oom = "OOM command not allowed when used memory > 'maxmemory'.";
    // Transactions queued before the limit: EXEC of one that writes is refused and the
    // transaction discarded; one that only reads runs (Redis's execCommandAbort).
    let mut writer = server.sync_conn();
    let mut reader = server.sync_conn();
    run::<()>(&mut writer, &["MULTI"]);
    run::<()>(&mut writer, &["SET", "k:0", "x"]);
    run::<()>(&mut reader, &["MULTI"]);
    run::<()>(&mut reader, &["STRLEN", "k:0"]);
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", "1"]);
    assert_eq!(fail(&mut writer, &["EXEC"]), format!("EXECABORT Transaction discarded because of: {oom}"));
    assert_eq!(fail(&mut writer, &["EXEC"]), "ERR EXEC without MULTI");
    assert_eq!(run::<Vec<i64>>(&mut reader, &["EXEC"]), [VALUE_LEN as i64]);
    assert_eq!(fail(&mut c, &["SET", "k:0", "x"]), oom);
    assert_eq!(fail(&mut c, &["LPUSH", "list", "x"]), oom);
    assert_eq!(fail(&mut c, &["INCR", "n"]), oom);
    assert_eq!(run::<String>(&mut c, &["GET", "k:1"]).len(), VALUE_LEN);
    assert_eq!(run::<i64>(&mut c, &["DEL", "k:1", "k:2"]), 2);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k:3", "100"]), 1, "EXPIRE is not denyoom");
    // Inside MULTI any queued command is refused and EXEC aborts, as in Redis.
    run::<()>(&mut c, &["MULTI"]);
    assert_eq!(fail(&mut c, &["GET", "k:4"]), oom);
    assert_eq!(fail(&mut c, &["EXEC"]), "EXECABORT Transaction discarded because of previous errors.");
    assert_eq!(run::<i64>(&mut c, &["DBSIZE"]), 98);
    assert_eq!(info_u64(&mut c, "stats", "evicted_keys"), 0);
    // Lifting the limit lets writes through again.
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", "0"]);
    run::<()>(&mut c, &["SET", "k:0", "x"]);
}

#[test]
fn config_set_maxmemory_applies_at_once_and_evicts_in_the_background() {
    let server = TestServer::start_with(&["--persistence", "none", "--maxmemory-policy", "allkeys-random"]);
    let mut c = server.sync_conn();
    write_keys(&mut c, "k", 0..3000, None, |_| {});
    let before = used(&mut c);
    let limit = before - (1 << 20);
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    assert_eq!(info_u64(&mut c, "memory", "maxmemory"), limit);
    assert_eq!(info_field(&mut c, "memory", "maxmemory_policy"), "allkeys-random");
    // No write needed: the background ticker evicts too (INFO itself may as well).
    let mut other = server.sync_conn();
    assert!(wait_until(Duration::from_secs(10), || used(&mut other) <= limit + SLACK));
    let keys: i64 = run(&mut c, &["DBSIZE"]);
    // About a third (a key is about 1 KB); connections waiting hold no buffers, so the
    // limit may be reached a few keys short of 1,000.
    assert!((1000..=2100).contains(&keys), "about 1 MB of 3 MB evicted: {keys} keys left");
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", "100mb"]);
    assert_eq!(run::<Vec<String>>(&mut c, &["CONFIG", "GET", "maxmemory"]), ["maxmemory", "104857600"]);
    assert_eq!(info_field(&mut c, "memory", "maxmemory_human"), "100.00M");
}

#[test]
fn evictions_are_published_and_break_watches() {
    let server = TestServer::start_with(&["--persistence", "none", "--maxmemory-policy", "allkeys-random"]);
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "Ee"]);
    let mut sub_conn = server.sync_conn();
    let mut events = sub_conn.as_pubsub();
    events.subscribe("__keyevent@0__:evicted").unwrap();
    events.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write_keys(&mut c, "k", 0..10, None, |_| {});
    let mut watcher = server.sync_conn();
    run::<()>(&mut watcher, &["WATCH", "k:0"]);
    // A limit nothing fits under: the SET evicts every key, then is refused.
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", "1"]);
    assert!(fail(&mut c, &["SET", "x", "y"]).starts_with("OOM"));
    assert_eq!(run::<i64>(&mut c, &["DBSIZE"]), 0);
    assert_eq!(info_u64(&mut c, "stats", "evicted_keys"), 10);
    let mut evicted: Vec<String> = (0..10).map(|_| events.get_message().unwrap().get_payload().unwrap()).collect();
    evicted.sort();
    let mut want: Vec<String> = (0..10).map(|i| format!("k:{i}")).collect();
    want.sort();
    assert_eq!(evicted, want);
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", "0"]);
    run::<()>(&mut watcher, &["MULTI"]);
    run::<()>(&mut watcher, &["SET", "k:0", "again"]);
    assert_eq!(run::<Option<Vec<String>>>(&mut watcher, &["EXEC"]), None, "the watched key was evicted");
}

#[test]
fn object_freq_counts_reads_under_lfu_only() {
    let server = TestServer::start_with(MEMORY_ONLY);
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["SET", "k", "v"]);
    assert!(fail(&mut c, &["OBJECT", "FREQ", "k"]).starts_with("ERR An LFU maxmemory policy is not selected"));
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]);
    // An overwritten key keeps its access field (LRU data here, as in Redis): a new one.
    run::<i64>(&mut c, &["DEL", "k"]);
    run::<()>(&mut c, &["SET", "k", "v"]);
    assert_eq!(run::<i64>(&mut c, &["OBJECT", "FREQ", "k"]), 5, "a new key starts at LFU_INIT_VAL");
    for _ in 0..100 {
        run::<String>(&mut c, &["GET", "k"]);
    }
    let freq: i64 = run(&mut c, &["OBJECT", "FREQ", "k"]);
    assert!((6..=20).contains(&freq), "logarithmic growth: {freq} after 100 reads");
    assert!(fail(&mut c, &["OBJECT", "IDLETIME", "k"]).starts_with("ERR An LFU maxmemory policy is selected"));
}

#[test]
fn info_memory_fields_are_present_and_plausible() {
    let server = TestServer::start_with(MEMORY_ONLY);
    let mut c = server.sync_conn();
    let empty = used(&mut c);
    // 20 MB of values.
    write_keys(&mut c, "k", 0..20_000, None, |_| {});
    let used = used(&mut c);
    let rss = info_u64(&mut c, "memory", "used_memory_rss");
    assert!(used >= empty + 20_000 * VALUE_LEN as u64, "used {used} counts the values");
    assert!(used <= empty + 20_000 * (VALUE_LEN as u64 + 200), "used {used}: at most 200 bytes per key of overhead");
    assert!(used <= rss, "used {used} within rss {rss}");
    // The binary, thread stacks and allocator slack are in RSS only: a sane factor.
    assert!(rss < used * 3, "rss {rss} vs used {used}");
    let ratio: f64 = info_field(&mut c, "memory", "mem_fragmentation_ratio").parse().unwrap();
    assert!((1.0..3.0).contains(&ratio), "{ratio}");
    assert!(info_u64(&mut c, "memory", "used_memory_peak") >= used);
    assert!(info_field(&mut c, "memory", "used_memory_human").ends_with('M'));
    assert!(info_field(&mut c, "memory", "used_memory_peak_human").ends_with('M'));
    assert!(info_u64(&mut c, "memory", "used_memory_dataset") >= 20_000 * VALUE_LEN as u64);
    assert_eq!(info_u64(&mut c, "memory", "maxmemory"), 0);
    assert_eq!(info_field(&mut c, "memory", "maxmemory_human"), "0B");
    assert_eq!(info_field(&mut c, "memory", "maxmemory_policy"), "noeviction");
    assert_eq!(info_u64(&mut c, "stats", "evicted_keys"), 0);
    run::<()>(&mut c, &["FLUSHALL"]);
    assert!(wait_until(Duration::from_secs(5), || self::used(&mut c) < used / 2), "freed memory is no longer counted");
}
