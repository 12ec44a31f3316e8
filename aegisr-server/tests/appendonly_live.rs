//! CONFIG SET appendonly while the node runs: switched on, the journal starts with a
//! snapshot and keeps every write after it across kill -9; switched off, the journal is
//! closed and snapshots carry the data; a directory whose journal does not continue its
//! snapshot (the node stopped between the switch and that snapshot) is refused at start.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{TestServer, fail, get, run, set, wait_until};

fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix))
        .filter(|p| !p.to_str().unwrap().ends_with(".tmp"))
        .collect();
    found.sort();
    found
}

fn info_field(con: &mut redis::Connection, field: &str) -> String {
    let info: String = run(con, &["INFO", "persistence"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO persistence"))
        .trim()
        .to_owned()
}

/// Waits for the snapshot CONFIG SET appendonly yes starts, as Redis's tests wait for the
/// AOF rewrite.
fn wait_for_rewrite(con: &mut redis::Connection) {
    assert!(
        wait_until(Duration::from_secs(20), || info_field(con, "aof_rewrite_in_progress") == "0"
            && info_field(con, "aof_rewrite_scheduled") == "0"),
        "the snapshot after the switch did not finish"
    );
}

/// [`wait_for_rewrite`], then the one snapshot file in `dir`.
fn rewritten_snapshot(con: &mut redis::Connection, dir: &Path) -> PathBuf {
    wait_for_rewrite(con);
    let snapshots = files(dir, "snapshot-");
    assert_eq!(snapshots.len(), 1, "{snapshots:?}");
    snapshots[0].clone()
}

#[test]
fn switched_on_the_journal_keeps_every_write_after_it() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut server = TestServer::start_in(dir.path(), &["--appendonly", "no", "--save", ""]);
        let mut con = server.sync_conn();
        set(&mut con, "before", "1");
        run::<()>(&mut con, &["SET", "ttl", "x", "EX", "1000"]);
        assert_eq!(info_field(&mut con, "aof_enabled"), "0");
        assert!(files(dir.path(), "journal-").is_empty());
        let _: () = run(&mut con, &["CONFIG", "SET", "appendonly", "yes"]);
        assert_eq!(run::<Vec<String>>(&mut con, &["CONFIG", "GET", "appendonly"]), ["appendonly", "yes"]);
        assert_eq!(info_field(&mut con, "aof_enabled"), "1");
        let snapshot = rewritten_snapshot(&mut con, dir.path());
        // The journal starts where the snapshot does; nothing older is left.
        let segments = files(dir.path(), "journal-");
        assert_eq!(segments.len(), 1, "{segments:?}");
        let lsn = |p: &Path, prefix: &str| -> u64 {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.strip_prefix(prefix).unwrap().split('.').next().unwrap().parse().unwrap()
        };
        assert_eq!(lsn(&segments[0], "journal-"), lsn(&snapshot, "snapshot-"));
        set(&mut con, "after", "2");
        let _: i64 = run(&mut con, &["INCR", "after"]);
        // Logged records are on disk once the journal says so (appendfsync everysec).
        let written: u64 = info_field(&mut con, "aof_appended_offset").parse().unwrap();
        assert!(wait_until(Duration::from_secs(10), || {
            info_field(&mut con, "aof_synced_offset").parse::<u64>().unwrap() >= written
        }));
        server.kill9();
    }
    // Started with the journal on (as a CONFIG REWRITE would have saved it): the snapshot
    // and the journal after it hold both the writes before the switch and after.
    let server = TestServer::start_in(dir.path(), &["--appendonly", "yes", "--save", ""]);
    let mut con = server.sync_conn();
    assert_eq!(get(&mut con, "before").as_deref(), Some("1"));
    assert_eq!(get(&mut con, "after").as_deref(), Some("3"));
    let ttl: i64 = run(&mut con, &["TTL", "ttl"]);
    assert!((900..=1000).contains(&ttl), "{ttl}");
}

#[test]
fn switched_off_the_journal_is_closed_and_snapshots_carry_the_data() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut server = TestServer::start_in(dir.path(), &["--appendonly", "yes", "--save", ""]);
        let mut con = server.sync_conn();
        set(&mut con, "k", "journaled");
        let _: () = run(&mut con, &["CONFIG", "SET", "appendonly", "no"]);
        assert_eq!(info_field(&mut con, "aof_enabled"), "0");
        let before = std::fs::metadata(&files(dir.path(), "journal-")[0]).unwrap().len();
        set(&mut con, "k", "not journaled");
        assert_eq!(std::fs::metadata(&files(dir.path(), "journal-")[0]).unwrap().len(), before);
        // A snapshot without the journal holds everything: the old segments go with it.
        let _: () = run(&mut con, &["SAVE"]);
        assert!(files(dir.path(), "journal-").is_empty());
        // Setting the value it has is no switch at all.
        let _: () = run(&mut con, &["CONFIG", "SET", "appendonly", "no"]);
        server.kill9();
    }
    let server = TestServer::start_in(dir.path(), &["--appendonly", "no"]);
    let mut con = server.sync_conn();
    assert_eq!(get(&mut con, "k").as_deref(), Some("not journaled"));
}

/// Off and on again in one run: the segments of the first journal are stale once writes
/// went unlogged, and must not come back in front of the new one.
#[test]
fn off_and_on_again_drops_the_stale_journal() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut server = TestServer::start_in(dir.path(), &["--appendonly", "yes", "--save", ""]);
        let mut con = server.sync_conn();
        set(&mut con, "k", "first");
        let _: () = run(&mut con, &["CONFIG", "SET", "appendonly", "no"]);
        set(&mut con, "k", "unlogged");
        let _: i64 = run(&mut con, &["DEL", "k"]);
        set(&mut con, "gone", "1");
        let _: () = run(&mut con, &["CONFIG", "SET", "appendonly", "yes"]);
        rewritten_snapshot(&mut con, dir.path());
        assert_eq!(files(dir.path(), "journal-").len(), 1);
        let _: i64 = run(&mut con, &["DEL", "gone"]);
        set(&mut con, "last", "2");
        let _: () = run(&mut con, &["CONFIG", "SET", "appendfsync", "always"]);
        set(&mut con, "synced", "3");
        server.kill9();
    }
    let server = TestServer::start_in(dir.path(), &["--appendonly", "yes"]);
    let mut con = server.sync_conn();
    assert_eq!(get(&mut con, "k"), None);
    assert_eq!(get(&mut con, "gone"), None);
    assert_eq!(get(&mut con, "last").as_deref(), Some("2"));
    assert_eq!(get(&mut con, "synced").as_deref(), Some("3"));
}

/// The node stopped after the switch and before the snapshot that follows it: the snapshot
/// on disk and the new journal each hold part of the history. Built here from the files of
/// two runs (the window is too short to hit with kill -9): the start is refused with what
/// happened and what to do, and `--appendonly no` loads the snapshot alone.
#[test]
fn a_journal_that_does_not_continue_the_snapshot_is_refused() {
    let old = tempfile::tempdir().unwrap();
    {
        let mut server = TestServer::start_in(old.path(), &["--appendonly", "no", "--save", ""]);
        let mut con = server.sync_conn();
        set(&mut con, "snapshotted", "1");
        let _: () = run(&mut con, &["SAVE"]);
        let _: () = run(&mut con, &["CONFIG", "SET", "appendonly", "yes"]);
        rewritten_snapshot(&mut con, old.path());
        set(&mut con, "journaled", "2");
        let _: () = redis::cmd("SHUTDOWN").query(&mut con).unwrap_or(());
        assert!(server.wait_exit().success());
    }
    // The first run's snapshot (taken without the journal) beside the second's journal.
    let dir = tempfile::tempdir().unwrap();
    {
        let mut server = TestServer::start_in(dir.path(), &["--appendonly", "no", "--save", ""]);
        let mut con = server.sync_conn();
        set(&mut con, "snapshotted", "1");
        let _: () = run(&mut con, &["SAVE"]);
        let _: () = redis::cmd("SHUTDOWN").query(&mut con).unwrap_or(());
        assert!(server.wait_exit().success());
    }
    let segment = files(old.path(), "journal-").pop().unwrap();
    std::fs::copy(&segment, dir.path().join(segment.file_name().unwrap())).unwrap();
    let (status, output) = TestServer::start_failing(dir.path(), &["--appendonly", "yes"]);
    assert!(!status.success());
    assert!(output.contains("the journal does not continue it"), "{output}");
    assert!(output.contains("--appendonly no"), "{output}");
    let server = TestServer::start_in(dir.path(), &["--appendonly", "no"]);
    let mut con = server.sync_conn();
    assert_eq!(get(&mut con, "snapshotted").as_deref(), Some("1"));
    assert_eq!(get(&mut con, "journaled"), None);
}

#[test]
fn the_switch_is_refused_where_there_is_nowhere_to_write() {
    let server = TestServer::start_with(&["--persistence", "none", "--appendonly", "no"]);
    let mut con = server.sync_conn();
    let error = fail(&mut con, &["CONFIG", "SET", "appendonly", "yes"]);
    assert!(
        error.starts_with("ERR CONFIG SET failed (possibly related to argument 'appendonly') - persistence is off"),
        "{error}"
    );
    assert_eq!(run::<Vec<String>>(&mut con, &["CONFIG", "GET", "appendonly"]), ["appendonly", "no"]);
    // Saying it stays off is fine, and so is writing back the default (yes) a cache node
    // shows, which writes nothing either way.
    let _: () = run(&mut con, &["CONFIG", "SET", "appendonly", "no"]);
    let server = TestServer::start_with(&["--persistence", "none"]);
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["CONFIG", "SET", "appendonly", "yes"]);
    assert_eq!(info_field(&mut con, "aof_enabled"), "0");
}

/// Redis's other.tcl "EXPIRES after AOF reload (without rewrite)": switched on, the journal
/// plus its snapshot reload (DEBUG LOADAOF) with every TTL as it was.
#[test]
fn ttls_survive_a_reload_after_the_switch() {
    let (server, _config) = TestServer::start_with_debug(&["--appendonly", "no"]);
    let mut con = server.sync_conn();
    let _: () = run(&mut con, &["CONFIG", "SET", "appendonly", "yes"]);
    let _: () = run(&mut con, &["SET", "x", "v"]);
    let _: i64 = run(&mut con, &["EXPIRE", "x", "1000"]);
    let _: () = run(&mut con, &["SETEX", "y", "2000", "v"]);
    let _: () = run(&mut con, &["PSETEX", "py", "2000000", "v"]);
    wait_for_rewrite(&mut con);
    let _: () = run(&mut con, &["DEBUG", "LOADAOF"]);
    for (key, low, high) in [("x", 900, 1000), ("y", 1900, 2000), ("py", 1900, 2000)] {
        let ttl: i64 = run(&mut con, &["TTL", key]);
        assert!((low..=high).contains(&ttl), "{key}: {ttl}");
    }
    let _: () = run(&mut con, &["CONFIG", "SET", "appendonly", "no"]);
}
