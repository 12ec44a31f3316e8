//! Persistence: the journal keeps every acknowledged write across restarts and kill -9,
//! replays exactly (TTLs, random pops, transactions), cuts a torn tail, refuses damaged
//! data with a repair command that works, and writes nothing when persistence is off.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{TestServer, wait_until};
use redis::Value;

fn journal_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("journal-"))
        .collect();
    files.sort();
    files
}

fn info_field(con: &mut redis::Connection, section: &str, field: &str) -> String {
    let info: String = redis::cmd("INFO").arg(section).query(con).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}"))
        .trim()
        .to_owned()
}

/// Commands that build one value of every type, with TTLs, in several databases.
const WRITES: &[&[&str]] = &[
    &["SET", "str", "hello"],
    &["SET", "int", "41"],
    &["INCR", "int"],
    &["INCRBYFLOAT", "float", "2.5"],
    &["APPEND", "str", " world"],
    &["SET", "ttl", "v", "EX", "1000"],
    &["SET", "gone", "v", "PX", "1"],
    &["RPUSH", "list", "a", "b", "c", "d"],
    &["LPOP", "list"],
    &["HSET", "hash", "f1", "v1", "f2", "v2"],
    &["HINCRBY", "hash", "n", "5"],
    &["SADD", "set", "x", "y", "z", "w", "v"],
    &["SPOP", "set"],
    &["SPOP", "set", "2"],
    &["SADD", "ints", "1", "2", "3"],
    &["ZADD", "zset", "1.5", "a", "2", "b", "-3", "c"],
    &["ZINCRBY", "zset", "10", "a"],
    &["PFADD", "hll", "a", "b", "c"],
    &["SETBIT", "bits", "100", "1"],
    &["GEOADD", "geo", "13.361389", "38.115556", "Palermo"],
    &["XADD", "stream", "*", "f", "v"],
    &["XADD", "stream", "*", "f", "w"],
    &["XGROUP", "CREATE", "stream", "g", "0"],
    &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "stream", ">"],
    &["BF.ADD", "bloom", "item"],
    &["EXPIRE", "list", "5000"],
    &["RENAME", "str", "renamed"],
    &["SELECT", "3"],
    &["SET", "db3", "three"],
    &["SELECT", "5"],
    &["SET", "doomed", "x"],
    &["FLUSHDB"],
    &["SELECT", "0"],
];

/// Reads whose replies must be identical before and after a restart.
const READS: &[&[&str]] = &[
    &["GET", "renamed"],
    &["GET", "int"],
    &["GET", "float"],
    &["PEXPIRETIME", "ttl"],
    &["EXISTS", "gone"],
    &["LRANGE", "list", "0", "-1"],
    &["PEXPIRETIME", "list"],
    &["HGETALL", "hash"],
    &["SMEMBERS", "set"],
    &["OBJECT", "ENCODING", "ints"],
    &["ZRANGE", "zset", "0", "-1", "WITHSCORES"],
    &["PFCOUNT", "hll"],
    &["GET", "hll"],
    &["GET", "bits"],
    &["GEOPOS", "geo", "Palermo"],
    &["XRANGE", "stream", "-", "+"],
    &["XPENDING", "stream", "g"],
    &["BF.EXISTS", "bloom", "item"],
    &["DBSIZE"],
];

fn run_all(con: &mut redis::Connection, commands: &[&[&str]]) -> Vec<Value> {
    commands
        .iter()
        .map(|c| {
            let mut cmd = redis::cmd(c[0]);
            for arg in &c[1..] {
                cmd.arg(*arg);
            }
            cmd.query::<Value>(con).unwrap_or_else(|e| panic!("{c:?}: {e}"))
        })
        .collect()
}

fn snapshot_of_reads(con: &mut redis::Connection) -> Vec<Value> {
    let mut values = run_all(con, READS);
    redis::cmd("SELECT").arg(3).query::<()>(con).unwrap();
    values.extend(run_all(con, &[&["GET", "db3"], &["DBSIZE"]]));
    redis::cmd("SELECT").arg(5).query::<()>(con).unwrap();
    values.extend(run_all(con, &[&["DBSIZE"]]));
    redis::cmd("SELECT").arg(0).query::<()>(con).unwrap();
    values
}

#[test]
fn every_type_survives_a_restart_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let mut server = TestServer::start_in(dir.path(), &[]);
        let mut con = server.sync_conn();
        run_all(&mut con, WRITES);
        // A transaction, and a blocking pop served later by a push.
        let _: () =
            redis::pipe().atomic().cmd("SET").arg("tx1").arg("a").cmd("INCR").arg("tx2").query(&mut con).unwrap();
        let reads = snapshot_of_reads(&mut con);
        let _: () = redis::cmd("SHUTDOWN").query(&mut con).unwrap_or(());
        assert!(server.wait_exit().success());
        reads
    };
    let server = TestServer::start_in(dir.path(), &[]);
    let mut con = server.sync_conn();
    assert_eq!(snapshot_of_reads(&mut con), before);
    let tx: (String, i64) = redis::pipe().cmd("GET").arg("tx1").cmd("GET").arg("tx2").query(&mut con).unwrap();
    assert_eq!(tx, ("a".to_owned(), 1));
    // The replay itself is not counted as clients' commands.
    assert_eq!(info_field(&mut con, "persistence", "aof_enabled"), "1");
}

/// Writers that record what the server acknowledged: a counter per writer, and pairs of
/// keys a transaction always sets together.
fn write_until_stopped(
    server: &TestServer,
    writers: usize,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<u64>> {
    (0..writers)
        .map(|w| {
            let client = server.client();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let Ok(mut con) = client.get_connection() else { return 0 };
                let mut acked = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let reply: redis::RedisResult<(u64, u64)> = redis::pipe()
                        .atomic()
                        .cmd("INCR")
                        .arg(format!("counter:{w}"))
                        .cmd("INCR")
                        .arg(format!("mirror:{w}"))
                        .query(&mut con);
                    match reply {
                        Ok((n, m)) => {
                            assert_eq!(n, m);
                            acked = n;
                        }
                        Err(_) => break,
                    }
                }
                acked
            })
        })
        .collect()
}

#[test]
fn kill_9_under_appendfsync_always_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let writers = 4;
    let mut floor = vec![0u64; writers];
    for round in 0..3 {
        let mut server = TestServer::start_in(dir.path(), &["--appendfsync", "always"]);
        let stop = Arc::new(AtomicBool::new(false));
        let handles = write_until_stopped(&server, writers, &stop);
        // Let the writers get going, a different amount each round, then pull the plug.
        let mut con = server.sync_conn();
        let target = 50 * (round + 1) as u64;
        wait_until(Duration::from_secs(30), || {
            let n: Option<u64> = redis::cmd("GET").arg("counter:0").query(&mut con).unwrap();
            n.unwrap_or(0) >= floor[0] + target
        });
        server.kill9();
        stop.store(true, Ordering::Relaxed);
        let acked: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();

        let server = TestServer::start_in(dir.path(), &["--appendfsync", "always"]);
        let mut con = server.sync_conn();
        for (w, &acked) in acked.iter().enumerate() {
            let (n, m): (Option<u64>, Option<u64>) = redis::pipe()
                .cmd("GET")
                .arg(format!("counter:{w}"))
                .cmd("GET")
                .arg(format!("mirror:{w}"))
                .query(&mut con)
                .unwrap();
            let (n, m) = (n.unwrap_or(0), m.unwrap_or(0));
            assert_eq!(n, m, "round {round}: a transaction was applied in part (writer {w})");
            assert!(n >= acked, "round {round}: writer {w} had {acked} acknowledged, {n} survived");
            // At most the one transaction in flight when the server died is extra.
            assert!(n <= acked + 1, "round {round}: writer {w}: {n} survived but only {acked} were sent");
            floor[w] = n;
        }
    }
}

#[test]
fn everysec_keeps_what_was_synced_and_never_a_partial_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start_in(dir.path(), &[]);
    let mut con = server.sync_conn();
    for i in 0..500 {
        let _: () = redis::cmd("SET").arg(format!("k{i}")).arg(i).query(&mut con).unwrap();
    }
    // everysec: within about a second everything written is synced.
    wait_until(Duration::from_secs(5), || {
        info_field(&mut con, "persistence", "aof_synced_offset")
            == info_field(&mut con, "persistence", "aof_appended_offset")
    });
    // More writes, then an immediate kill: some of these may be lost, never out of order.
    let mut pipe = redis::pipe();
    for i in 500..2000 {
        pipe.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
    }
    let _: () = pipe.query(&mut con).unwrap();
    server.kill9();

    let server = TestServer::start_in(dir.path(), &[]);
    // The journal reserves space ahead of its writes: the kill left it zero-filled after the
    // last record, and the start cut it off (or cut a record the kill tore, with it).
    let log = &server.startup_log;
    assert!(
        log.iter().any(|l| l.contains("of space reserved after the last record") || l.contains("cutting the journal")),
        "{log:?}"
    );
    for file in journal_files(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        // Every value here is ASCII digits: no record ends in a zero byte. (A segment of
        // its 20-byte header alone ends in a checksum byte, which may be zero.)
        if bytes.len() > 20 {
            assert_ne!(bytes.last(), Some(&0), "{} still ends in reserved space", file.display());
        }
    }
    let mut con = server.sync_conn();
    let present: Vec<bool> =
        (0..2000).map(|i| redis::cmd("EXISTS").arg(format!("k{i}")).query::<bool>(&mut con).unwrap()).collect();
    assert!(present[..500].iter().all(|&p| p), "synced writes were lost");
    let kept = present.iter().take_while(|&&p| p).count();
    assert!(present[kept..].iter().all(|&p| !p), "the journal kept a write but lost an earlier one");
}

fn write_and_stop(dir: &Path, keys: usize) {
    let mut server = TestServer::start_in(dir, &[]);
    let mut con = server.sync_conn();
    for i in 0..keys {
        let _: () = redis::cmd("SET").arg(format!("key:{i}")).arg(format!("value-{i}")).query(&mut con).unwrap();
    }
    let _: () = redis::cmd("SHUTDOWN").query(&mut con).unwrap_or(());
    // A clean shutdown writes out and syncs the journal before exiting.
    assert!(server.wait_exit().success());
}

#[test]
fn a_torn_last_record_is_cut_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    write_and_stop(dir.path(), 20);
    let last = journal_files(dir.path()).pop().unwrap();
    // Half a record: a length and checksum with only part of the payload.
    let mut file = std::fs::OpenOptions::new().append(true).open(&last).unwrap();
    std::io::Write::write_all(&mut file, &[40, 0, 0, 0, 1, 2, 3, 4, 1, 0, 0]).unwrap();
    drop(file);

    let server = TestServer::start_in(dir.path(), &[]);
    let mut con = server.sync_conn();
    let n: usize = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, 20);
    let log = &server.startup_log;
    assert!(log.iter().any(|l| l.contains("cutting the journal")), "no warning in {log:?}");
}

#[test]
fn a_segment_whose_creation_a_crash_interrupted_is_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    write_and_stop(dir.path(), 20);
    // What a kill during a segment's creation leaves: the file under its temporary name,
    // shorter than a header (a finished segment is only ever renamed into place).
    let torn = dir.path().join("journal-00000000000099999999.log.tmp");
    std::fs::write(&torn, b"AEGI").unwrap();

    let server = TestServer::start_in(dir.path(), &[]);
    let mut con = server.sync_conn();
    let n: usize = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, 20);
    assert!(!torn.exists(), "the torn segment is removed");
    assert!(journal_files(dir.path()).iter().all(|f| !f.to_string_lossy().ends_with(".tmp")));
}

#[test]
fn damage_in_the_middle_stops_the_start_and_check_data_repairs_it() {
    let dir = tempfile::tempdir().unwrap();
    write_and_stop(dir.path(), 50);
    let segment = journal_files(dir.path()).into_iter().find(|p| std::fs::metadata(p).unwrap().len() > 100).unwrap();
    let mut bytes = std::fs::read(&segment).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&segment, &bytes).unwrap();

    let (status, output) = TestServer::start_failing(dir.path(), &[]);
    assert!(!status.success());
    let name = segment.file_name().unwrap().to_str().unwrap();
    assert!(output.contains(name), "{output}");
    assert!(output.contains("offset"), "{output}");
    assert!(output.contains("check-data"), "{output}");

    let check = |repair: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aegisr-server"));
        cmd.arg("check-data").arg(dir.path());
        if repair {
            cmd.arg("--repair");
        }
        let out = cmd.output().unwrap();
        (out.status, String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (status, report) = check(false);
    assert!(!status.success(), "{report}");
    assert!(report.contains("drops") && report.contains("--repair"), "{report}");
    let (status, report) = check(true);
    assert!(status.success(), "{report}");
    let (status, report) = check(false);
    assert!(status.success(), "{report}");

    let server = TestServer::start_in(dir.path(), &[]);
    let mut con = server.sync_conn();
    let n: usize = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert!(n > 0 && n < 50, "kept {n} keys");
    // What was kept is a prefix of what was written, values intact.
    for i in 0..n {
        let v: String = redis::cmd("GET").arg(format!("key:{i}")).query(&mut con).unwrap();
        assert_eq!(v, format!("value-{i}"));
    }
}

#[test]
fn persistence_none_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), &["--persistence", "none"]);
    let mut con = server.sync_conn();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut con).unwrap();
    assert_eq!(info_field(&mut con, "persistence", "aof_enabled"), "0");
    drop(server);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn appendfsync_is_a_live_option() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let get = |con: &mut redis::Connection, name: &str| -> String {
        let pair: Vec<String> = redis::cmd("CONFIG").arg("GET").arg(name).query(con).unwrap();
        pair[1].clone()
    };
    assert_eq!(get(&mut con, "appendfsync"), "everysec");
    assert_eq!(get(&mut con, "appendonly"), "yes");
    let _: () = redis::cmd("CONFIG").arg("SET").arg("appendfsync").arg("always").query(&mut con).unwrap();
    assert_eq!(info_field(&mut con, "persistence", "aof_fsync_policy"), "always");
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut con).unwrap();
    assert_eq!(
        info_field(&mut con, "persistence", "aof_synced_offset"),
        info_field(&mut con, "persistence", "aof_appended_offset"),
        "under always a reply comes after the sync"
    );
    let err = redis::cmd("CONFIG").arg("SET").arg("appendfsync").arg("sometimes").query::<()>(&mut con).unwrap_err();
    assert!(err.to_string().contains("appendfsync"), "{err}");
}

fn wait_for_snapshot(con: &mut redis::Connection, saves: u64) {
    assert!(
        wait_until(Duration::from_secs(30), || {
            info_field(con, "persistence", "rdb_bgsave_in_progress") == "0"
                && info_field(con, "persistence", "rdb_saves").parse::<u64>().unwrap() >= saves
        }),
        "no snapshot within 30 s"
    );
}

fn snapshot_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "snap"))
        .collect()
}

#[test]
fn a_snapshot_plus_the_journal_after_it_restores_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start_in(dir.path(), &["--appendfsync", "always"]);
    let mut con = server.sync_conn();
    run_all(&mut con, WRITES);
    let mut pipe = redis::pipe();
    for i in 0..2000 {
        pipe.cmd("SET").arg(format!("before:{i}")).arg(i).ignore();
    }
    let _: () = pipe.query(&mut con).unwrap();
    let lastsave: i64 = redis::cmd("LASTSAVE").query(&mut con).unwrap();
    let started: String = redis::cmd("BGSAVE").query(&mut con).unwrap();
    assert_eq!(started, "Background saving started");
    wait_for_snapshot(&mut con, 1);
    assert!(redis::cmd("LASTSAVE").query::<i64>(&mut con).unwrap() >= lastsave);
    assert_eq!(snapshot_files(dir.path()).len(), 1);
    // The journal before the snapshot is gone; only the segment after it is left.
    assert_eq!(journal_files(dir.path()).len(), 1);
    // Writes after the snapshot live in the journal only.
    for i in 0..300 {
        let _: () = redis::cmd("SET").arg(format!("after:{i}")).arg(i).query(&mut con).unwrap();
    }
    let _: () = redis::cmd("DEL").arg("before:7").query(&mut con).unwrap();
    let reads = snapshot_of_reads(&mut con);
    let size: usize = redis::cmd("DBSIZE").query(&mut con).unwrap();
    server.kill9();

    let server = TestServer::start_in(dir.path(), &[]);
    assert!(
        server.startup_log.iter().any(|l| l.contains("snapshot") && l.contains("loaded")),
        "{:?}",
        server.startup_log
    );
    let mut con = server.sync_conn();
    assert_eq!(snapshot_of_reads(&mut con), reads);
    assert_eq!(redis::cmd("DBSIZE").query::<usize>(&mut con).unwrap(), size);
    assert!(!redis::cmd("EXISTS").arg("before:7").query::<bool>(&mut con).unwrap());
    assert_eq!(redis::cmd("GET").arg("after:299").query::<i64>(&mut con).unwrap(), 299);
    assert_eq!(redis::cmd("GET").arg("before:1999").query::<i64>(&mut con).unwrap(), 1999);
}

#[test]
fn writes_across_shards_during_snapshots_are_never_half_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start_in(dir.path(), &["--appendfsync", "always", "--shards", "64"]);
    let mut con = server.sync_conn();
    // Enough data that a snapshot takes a while.
    let mut pipe = redis::pipe();
    for i in 0..50_000 {
        pipe.cmd("SET").arg(format!("filler:{i}")).arg("x".repeat(20)).ignore();
    }
    let _: () = pipe.query(&mut con).unwrap();
    // Two lists in different shards hold 100 items between them; movers shuttle items.
    let _: () = redis::cmd("RPUSH").arg("list:a").arg((0..100).collect::<Vec<_>>()).query(&mut con).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let client = server.client();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut con = client.get_connection().unwrap();
                let mut acked = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    // Counters in different slots, hence (mostly) different shards, moved
                    // together by one transaction: replaying any part twice, or not at
                    // all, would show for ever.
                    let done: redis::RedisResult<(u64, u64, u64)> = redis::pipe()
                        .atomic()
                        .cmd("INCR")
                        .arg(format!("left:{w}"))
                        .cmd("INCR")
                        .arg(format!("right:{w}:x"))
                        .cmd("INCR")
                        .arg(format!("{w}:middle"))
                        .query(&mut con);
                    let (from, to) = if acked % 2 == 0 { ("list:a", "list:b") } else { ("list:b", "list:a") };
                    let moved: redis::RedisResult<Option<String>> =
                        redis::cmd("LMOVE").arg(from).arg(to).arg("LEFT").arg("RIGHT").query(&mut con);
                    if done.is_err() || moved.is_err() {
                        break;
                    }
                    acked += 1;
                }
                acked
            })
        })
        .collect();
    for round in 1..=3 {
        let _: String = redis::cmd("BGSAVE").query(&mut con).unwrap();
        wait_for_snapshot(&mut con, round);
    }
    server.kill9();
    stop.store(true, Ordering::Relaxed);
    let acked: Vec<u64> = writers.into_iter().map(|h| h.join().unwrap()).collect();

    let server = TestServer::start_in(dir.path(), &[]);
    let mut con = server.sync_conn();
    for (w, &acked) in acked.iter().enumerate() {
        let values: Vec<Option<u64>> = redis::cmd("MGET")
            .arg(format!("left:{w}"))
            .arg(format!("right:{w}:x"))
            .arg(format!("{w}:middle"))
            .query(&mut con)
            .unwrap();
        let first = values[0].unwrap_or(0);
        assert!(values.iter().all(|v| v.unwrap_or(0) == first), "writer {w}: a transaction half kept: {values:?}");
        assert!(first >= acked && first <= acked + 1, "writer {w}: {first} kept, {acked} acknowledged");
    }
    let (a, b): (usize, usize) =
        redis::pipe().cmd("LLEN").arg("list:a").cmd("LLEN").arg("list:b").query(&mut con).unwrap();
    assert_eq!(a + b, 100, "LMOVE replayed twice or lost across a snapshot ({a} + {b})");
}

#[test]
fn appendonly_no_keeps_snapshots_only() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut server = TestServer::start_in(dir.path(), &["--appendonly", "no"]);
        let mut con = server.sync_conn();
        let _: () = redis::cmd("SET").arg("saved").arg("1").query(&mut con).unwrap();
        let _: () = redis::cmd("SAVE").query(&mut con).unwrap();
        let _: () = redis::cmd("SET").arg("at-shutdown").arg("2").query(&mut con).unwrap();
        assert_eq!(info_field(&mut con, "persistence", "aof_enabled"), "0");
        assert_eq!(info_field(&mut con, "persistence", "rdb_changes_since_last_save"), "1");
        // With save rules set, a clean shutdown takes a last snapshot, as Redis does.
        let _: () = redis::cmd("SHUTDOWN").query(&mut con).unwrap_or(());
        assert!(server.wait_exit().success());
    }
    assert!(journal_files(dir.path()).is_empty());
    assert_eq!(snapshot_files(dir.path()).len(), 1);
    let server = TestServer::start_in(dir.path(), &["--appendonly", "no"]);
    let mut con = server.sync_conn();
    let values: Vec<Option<String>> = redis::cmd("MGET").arg("saved").arg("at-shutdown").query(&mut con).unwrap();
    assert_eq!(values, vec![Some("1".to_owned()), Some("2".to_owned())]);
    assert_eq!(info_field(&mut con, "persistence", "rdb_last_load_keys_loaded"), "2");
}

/// Switching modes across restarts: a snapshot taken with the journal off holds all the
/// data, so the journal segments an earlier `appendonly yes` run left are dropped with it;
/// the next start with the journal on must not replay them over the newer snapshot (it
/// brought back the old value before).
#[test]
fn a_snapshot_taken_without_the_journal_supersedes_old_segments() {
    let dir = tempfile::tempdir().unwrap();
    let stop = |server: &mut TestServer, con: &mut redis::Connection| {
        let _: () = redis::cmd("SHUTDOWN").query(con).unwrap_or(());
        assert!(server.wait_exit().success());
    };
    {
        let mut server = TestServer::start_in(dir.path(), &["--appendonly", "yes"]);
        let mut con = server.sync_conn();
        let _: () = redis::cmd("SET").arg("k").arg("old").query(&mut con).unwrap();
        stop(&mut server, &mut con);
    }
    assert!(!journal_files(dir.path()).is_empty());
    {
        let mut server = TestServer::start_in(dir.path(), &["--appendonly", "no"]);
        let mut con = server.sync_conn();
        let _: () = redis::cmd("SET").arg("k").arg("new").query(&mut con).unwrap();
        let _: () = redis::cmd("SAVE").query(&mut con).unwrap();
        stop(&mut server, &mut con);
    }
    assert!(journal_files(dir.path()).is_empty(), "the snapshot superseded the old segments");
    let server = TestServer::start_in(dir.path(), &["--appendonly", "yes"]);
    let mut con = server.sync_conn();
    let value: String = redis::cmd("GET").arg("k").query(&mut con).unwrap();
    assert_eq!(value, "new");
}

#[test]
fn flushall_with_save_rules_saves_the_emptied_dataset() {
    let dir = tempfile::tempdir().unwrap();
    {
        // Snapshots only, save rules set (the default ones): Redis saves right after
        // FLUSHALL, so a crash then cannot bring the flushed keys back from the last save.
        let mut server = TestServer::start_in(dir.path(), &["--appendonly", "no"]);
        let mut con = server.sync_conn();
        let _: () = redis::cmd("SET").arg("saved").arg("1").query(&mut con).unwrap();
        let _: () = redis::cmd("SAVE").query(&mut con).unwrap();
        let _: () = redis::cmd("SET").arg("unsaved").arg("2").query(&mut con).unwrap();
        let _: () = redis::cmd("FLUSHALL").query(&mut con).unwrap();
        // Redis's test suite: "FLUSHALL should reset the dirty counter to 0 if we enable save".
        assert_eq!(info_field(&mut con, "persistence", "rdb_changes_since_last_save"), "0");
        server.kill9();
    }
    {
        let mut server = TestServer::start_in(dir.path(), &["--appendonly", "no"]);
        let mut con = server.sync_conn();
        let size: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
        assert_eq!(size, 0, "a key flushed before the crash came back");
        // Without save rules, FLUSHALL counts as a change like any other ("FLUSHALL should not
        // reset the dirty counter if we disable save").
        let _: () = redis::cmd("CONFIG").arg("SET").arg("save").arg("").query(&mut con).unwrap();
        let _: () = redis::cmd("SET").arg("key").arg("value").query(&mut con).unwrap();
        let _: () = redis::cmd("FLUSHALL").query(&mut con).unwrap();
        let changes: i64 = info_field(&mut con, "persistence", "rdb_changes_since_last_save").parse().unwrap();
        assert!(changes > 0, "{changes}");
        server.kill9();
    }
}

#[test]
fn a_damaged_snapshot_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut server = TestServer::start_in(dir.path(), &[]);
        let mut con = server.sync_conn();
        for i in 0..100 {
            let _: () = redis::cmd("SET").arg(format!("k{i}")).arg(i).query(&mut con).unwrap();
        }
        let _: () = redis::cmd("SAVE").query(&mut con).unwrap();
        let _: () = redis::cmd("SHUTDOWN").query(&mut con).unwrap_or(());
        assert!(server.wait_exit().success());
    }
    let snapshot = snapshot_files(dir.path()).pop().unwrap();
    let mut bytes = std::fs::read(&snapshot).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&snapshot, &bytes).unwrap();
    let (status, output) = TestServer::start_failing(dir.path(), &[]);
    assert!(!status.success());
    assert!(output.contains(snapshot.file_name().unwrap().to_str().unwrap()), "{output}");
    assert!(output.contains("checksum"), "{output}");
}

/// A small tmpfs mounted for the test (root only; the test says so and passes elsewhere).
struct SmallDisk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then_some(SmallDisk { path, _dir: dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.path).status();
    }
}

#[test]
fn a_full_disk_refuses_writes_with_misconf_keeps_reads_and_recovers() {
    let Some(disk) = SmallDisk::mount("2m") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    // Room to free later.
    std::fs::write(disk.path.join("ballast"), vec![0u8; 512 * 1024]).unwrap();
    let mut server = TestServer::start_in(&disk.path, &["--save", ""]);
    let mut con = server.sync_conn();
    let _: () = redis::cmd("SET").arg("kept").arg("before").query(&mut con).unwrap();
    let value = "v".repeat(16 * 1024);
    let mut acked = 0;
    let mut refused = None;
    for i in 0..1000 {
        match redis::cmd("SET").arg(format!("fill:{i}")).arg(&value).query::<()>(&mut con) {
            Ok(()) => acked = i + 1,
            Err(e) => {
                refused = Some(e.to_string());
                break;
            }
        }
        // The flusher notices within a few milliseconds; give it the chance.
        std::thread::sleep(Duration::from_millis(2));
    }
    let refused = refused.expect("the disk never filled up");
    assert!(refused.contains("MISCONF") && refused.contains("AOF"), "{refused}");
    assert_eq!(info_field(&mut con, "persistence", "aof_last_write_status"), "err");
    // Reads and the rest of the server keep working.
    assert_eq!(redis::cmd("GET").arg("kept").query::<String>(&mut con).unwrap(), "before");
    let _: String = redis::cmd("PING").query(&mut con).unwrap();
    // Space comes back: writes resume by themselves.
    std::fs::remove_file(disk.path.join("ballast")).unwrap();
    for i in 0..acked {
        let _: () = redis::cmd("DEL").arg(format!("fill:{i}")).query(&mut con).unwrap_or(());
    }
    assert!(
        wait_until(Duration::from_secs(10), || redis::cmd("SET").arg("after").arg("1").query::<()>(&mut con).is_ok()),
        "writes did not resume"
    );
    assert_eq!(info_field(&mut con, "persistence", "aof_last_write_status"), "ok");
    let _: () = redis::cmd("SHUTDOWN").query(&mut con).unwrap_or(());
    assert!(server.wait_exit().success());
    let server = TestServer::start_in(&disk.path, &["--save", ""]);
    let mut con = server.sync_conn();
    assert_eq!(redis::cmd("GET").arg("kept").query::<String>(&mut con).unwrap(), "before");
    assert_eq!(redis::cmd("GET").arg("after").query::<String>(&mut con).unwrap(), "1");
    drop(server);
}

#[test]
fn evictions_are_journaled_and_stay_evicted_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (kept, evicted) = {
        let mut server = TestServer::start_in(dir.path(), &["--maxmemory-policy", "allkeys-random"]);
        let mut con = server.sync_conn();
        let used: u64 = info_field(&mut con, "memory", "used_memory").parse().unwrap();
        let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(used + (2 << 20)).query(&mut con).unwrap();
        let value = "v".repeat(1024);
        for i in 0..6000 {
            let _: () = redis::cmd("SET").arg(format!("k:{i}")).arg(&value).query(&mut con).unwrap();
        }
        // Every command evicts down to maxmemory before it runs, CONFIG SET's too: the count
        // is read once nothing can be evicted any more.
        let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(0).query(&mut con).unwrap();
        let evicted: u64 = info_field(&mut con, "stats", "evicted_keys").parse().unwrap();
        assert!(evicted > 1000, "only {evicted} evicted");
        let kept: Vec<String> = redis::cmd("KEYS").arg("k:*").query(&mut con).unwrap();
        let _: () = redis::cmd("SHUTDOWN").query(&mut con).unwrap_or(());
        assert!(server.wait_exit().success());
        (kept, evicted)
    };
    let server = TestServer::start_in(dir.path(), &[]);
    let mut con = server.sync_conn();
    let mut after: Vec<String> = redis::cmd("KEYS").arg("k:*").query(&mut con).unwrap();
    let mut kept = kept;
    kept.sort();
    after.sort();
    assert_eq!(after.len() as u64 + evicted, 6000);
    assert_eq!(after, kept, "the replayed dataset differs from the one that was evicted from");
}

#[test]
fn bgsave_and_bgrewriteaof_inside_exec_are_scheduled_and_then_run() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), &[]);
    let mut con = server.sync_conn();
    // As Redis: a transaction does not start a snapshot itself, it schedules one.
    let replies: Vec<Value> = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("foo")
        .arg("bar")
        .cmd("BGREWRITEAOF")
        .cmd("BGSAVE")
        .query(&mut con)
        .unwrap();
    assert_eq!(
        replies[1..],
        [
            Value::SimpleString("Background append only file rewriting scheduled".into()),
            Value::SimpleString("Background saving scheduled".into())
        ]
    );
    wait_for_snapshot(&mut con, 1);
    assert_eq!(snapshot_files(dir.path()).len(), 1);
    assert_eq!(info_field(&mut con, "persistence", "aof_rewrite_scheduled"), "0");
    // With the journal on, that snapshot was its rewrite.
    assert_eq!(info_field(&mut con, "persistence", "aof_rewrites"), "1");
    assert_eq!(info_field(&mut con, "persistence", "aof_last_rewrite_time_sec"), "0");
    assert_eq!(info_field(&mut con, "persistence", "rdb_current_bgsave_time_sec"), "-1");

    let memory_only = TestServer::start_with(&["--persistence", "none"]);
    let mut con = memory_only.sync_conn();
    let refused = redis::pipe().atomic().cmd("BGSAVE").query::<Vec<Value>>(&mut con).unwrap_err();
    assert!(refused.to_string().contains("persistence is off"), "{refused}");
}
