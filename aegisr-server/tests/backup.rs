//! Backup and restore through the Admin gRPC service, driven by the Rust client
//! (`aegisr_proto::Client::backup` / `restore`) against real server processes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use aegisr_proto::{Client, ClientError};
use common::{TestServer, get, run, set};
use redis::Value;

/// Commands that build one value of every type, with TTLs, in several databases.
const WRITES: &[&[&str]] = &[
    &["SET", "str", "hello"],
    &["SET", "int", "42"],
    &["INCRBYFLOAT", "float", "2.5"],
    &["SET", "ttl", "v", "EX", "1000"],
    &["RPUSH", "list", "a", "b", "c"],
    &["PEXPIRE", "list", "5000000"],
    &["HSET", "hash", "f1", "v1", "f2", "v2"],
    &["SADD", "set", "x", "y", "z"],
    &["SADD", "ints", "1", "2", "3"],
    &["ZADD", "zset", "1.5", "a", "2", "b", "-3", "c"],
    &["PFADD", "hll", "a", "b", "c"],
    &["SETBIT", "bits", "100", "1"],
    &["GEOADD", "geo", "13.361389", "38.115556", "Palermo"],
    &["XADD", "stream", "1-1", "f", "v"],
    &["XADD", "stream", "2-1", "f", "w"],
    &["XGROUP", "CREATE", "stream", "g", "0"],
    &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "stream", ">"],
    &["BF.ADD", "bloom", "item"],
    &["SELECT", "3"],
    &["SET", "db3", "three"],
    &["SELECT", "0"],
];

/// Reads whose replies must be identical on the source and on the restored node.
const READS: &[&[&str]] = &[
    &["GET", "str"],
    &["GET", "int"],
    &["GET", "float"],
    &["PEXPIRETIME", "ttl"],
    &["LRANGE", "list", "0", "-1"],
    &["PEXPIRETIME", "list"],
    &["HGETALL", "hash"],
    &["SMEMBERS", "set"],
    &["OBJECT", "ENCODING", "ints"],
    &["ZRANGE", "zset", "0", "-1", "WITHSCORES"],
    &["PFCOUNT", "hll"],
    &["GET", "bits"],
    &["GEOPOS", "geo", "Palermo"],
    &["XRANGE", "stream", "-", "+"],
    &["XPENDING", "stream", "g"],
    &["BF.EXISTS", "bloom", "item"],
    &["SELECT", "3"],
    &["GET", "db3"],
    &["SELECT", "0"],
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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn client(rt: &tokio::runtime::Runtime, server: &TestServer) -> Client {
    rt.block_on(Client::connect(server.grpc_url())).unwrap()
}

/// A backup of `server`, as the bytes of a backup file.
fn backup(rt: &tokio::runtime::Runtime, server: &TestServer) -> Vec<u8> {
    let mut file = Vec::new();
    let manifest = rt.block_on(client(rt, server).backup(&mut file)).unwrap();
    assert_eq!(manifest.format_version, 1);
    assert!(manifest.total_bytes > 0 && !manifest.run_id.is_empty());
    file
}

fn restore(
    rt: &tokio::runtime::Runtime,
    server: &TestServer,
    file: Vec<u8>,
    merge: bool,
) -> Result<aegisr_proto::v1::RestoreReply, ClientError> {
    rt.block_on(client(rt, server).restore(std::io::Cursor::new(file), merge))
}

fn dbsize(con: &mut redis::Connection) -> i64 {
    run(con, &["DBSIZE"])
}

/// The gRPC status of a failed restore.
fn refused(result: Result<aegisr_proto::v1::RestoreReply, ClientError>) -> tonic::Status {
    match result {
        Err(ClientError::Status(status)) => status,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The offset of the snapshot data in a backup file (after magic, length and manifest).
fn data_start(file: &[u8]) -> usize {
    12 + u32::from_le_bytes(file[8..12].try_into().unwrap()) as usize
}

#[test]
fn a_backup_under_concurrent_writes_restores_every_type_and_ttl_consistently() {
    let rt = runtime();
    let source = TestServer::start();
    let mut con = source.sync_conn();
    run_all(&mut con, WRITES);
    let expected = run_all(&mut con, READS);
    // Writers keep going during the backup: each MSET sets two keys in different shards
    // to the same value, so a consistent backup has both or neither, and equal.
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let mut con = source.sync_conn();
            let (stop, rounds) = (stop.clone(), rounds.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let value = format!("{w}-{n}");
                    let _: () = redis::cmd("MSET")
                        .arg(format!("pair:{w}:{}:a", n % 500))
                        .arg(&value)
                        .arg(format!("pair:{w}:{}:b", n % 500))
                        .arg(&value)
                        .query(&mut con)
                        .unwrap();
                    let _: i64 = redis::cmd("INCR").arg(format!("count:{w}")).query(&mut con).unwrap();
                    rounds.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    assert!(common::wait_until(Duration::from_secs(10), || rounds.load(Ordering::Relaxed) > 200));
    let file = backup(&rt, &source);
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }

    let target = TestServer::start_with(&["--persistence", "none"]);
    let mut tcon = target.sync_conn();
    set(&mut tcon, "stale", "x");
    let reply = restore(&rt, &target, file, false).unwrap();
    assert!(!reply.snapshot_written, "--persistence none writes no snapshot");
    assert_eq!(reply.keys_replaced, 1);
    assert_eq!(get(&mut tcon, "stale"), None);
    assert_eq!(run_all(&mut tcon, READS), expected);
    let ttl: i64 = run(&mut tcon, &["PTTL", "ttl"]);
    assert!(ttl > 990_000 && ttl <= 1_000_000, "{ttl}");
    for w in 0..2 {
        for n in 0..500 {
            let a = get(&mut tcon, &format!("pair:{w}:{n}:a"));
            let b = get(&mut tcon, &format!("pair:{w}:{n}:b"));
            assert_eq!(a, b, "pair {w}:{n} is half in the backup");
        }
    }
    assert_eq!(dbsize(&mut tcon) as u64 + 1, reply.keys_loaded, "db 3 holds one key");
}

#[test]
fn replace_empties_every_database_and_merge_keeps_other_keys() {
    let rt = runtime();
    let source = TestServer::start_with(&["--persistence", "none"]);
    let mut con = source.sync_conn();
    set(&mut con, "shared", "from-backup");
    set(&mut con, "only-in-backup", "b");
    let file = backup(&rt, &source);

    let target = TestServer::start_with(&["--persistence", "none"]);
    let mut tcon = target.sync_conn();
    let prepare = |tcon: &mut redis::Connection| {
        let _: () = run(tcon, &["FLUSHALL"]);
        set(tcon, "shared", "local");
        set(tcon, "only-local", "l");
        let _: () = run(tcon, &["SELECT", "2"]);
        set(tcon, "in-db2", "x");
        let _: () = run(tcon, &["SELECT", "0"]);
    };

    prepare(&mut tcon);
    let reply = restore(&rt, &target, file.clone(), true).unwrap();
    assert_eq!((reply.keys_loaded, reply.keys_replaced), (2, 0));
    assert_eq!(get(&mut tcon, "shared").as_deref(), Some("from-backup"));
    assert_eq!(get(&mut tcon, "only-in-backup").as_deref(), Some("b"));
    assert_eq!(get(&mut tcon, "only-local").as_deref(), Some("l"));
    let _: () = run(&mut tcon, &["SELECT", "2"]);
    assert_eq!(get(&mut tcon, "in-db2").as_deref(), Some("x"));
    let _: () = run(&mut tcon, &["SELECT", "0"]);

    prepare(&mut tcon);
    // A transaction watching a key the restore replaces fails, as after FLUSHALL.
    let mut watcher = target.sync_conn();
    let _: () = run(&mut watcher, &["WATCH", "only-local"]);
    let reply = restore(&rt, &target, file, false).unwrap();
    let exec: Option<Vec<String>> = redis::pipe().atomic().cmd("SET").arg("w").arg("1").query(&mut watcher).unwrap();
    assert_eq!(exec, None, "EXEC after a restore changed a watched key");
    assert_eq!((reply.keys_loaded, reply.keys_replaced), (2, 3));
    assert_eq!(get(&mut tcon, "shared").as_deref(), Some("from-backup"));
    assert_eq!(get(&mut tcon, "only-local"), None);
    let _: () = run(&mut tcon, &["SELECT", "2"]);
    assert_eq!(dbsize(&mut tcon), 0);
}

#[test]
fn a_damaged_or_truncated_backup_is_refused_and_the_data_is_untouched() {
    let rt = runtime();
    let source = TestServer::start_with(&["--persistence", "none"]);
    let mut con = source.sync_conn();
    // Random values (incompressible), over a MiB in all: several checksummed chunks.
    let mut rng = fastrand::Rng::with_seed(7);
    let mut pipe = redis::pipe();
    for i in 0..4000 {
        let value: String = (0..i % 700).map(|_| rng.alphanumeric()).collect();
        pipe.cmd("SET").arg(format!("key:{i}")).arg(value).ignore();
    }
    let _: () = pipe.query(&mut con).unwrap();
    set(&mut con, "key:701", "v");
    let file = backup(&rt, &source);
    let start = data_start(&file);
    assert!(file.len() - start > 1 << 20, "the backup spans several chunks");

    let target = TestServer::start_with(&["--persistence", "none"]);
    let mut tcon = target.sync_conn();
    set(&mut tcon, "keep", "me");
    let unchanged = |tcon: &mut redis::Connection| {
        assert_eq!(get(tcon, "keep").as_deref(), Some("me"));
        assert_eq!(dbsize(tcon), 1);
    };

    // One flipped bit in the data: its chunk's checksum fails.
    let mut flipped = file.clone();
    let at = file.len() - 1000;
    flipped[at] ^= 0x10;
    let chunk = format!("chunk {} ", (at - start) >> 20);
    let status = refused(restore(&rt, &target, flipped, false));
    assert_eq!(status.code(), tonic::Code::DataLoss, "{status:?}");
    assert!(status.message().contains(&chunk) && status.message().contains("checksum"), "{status:?}");
    unchanged(&mut tcon);

    // Cut short.
    let status = refused(restore(&rt, &target, file[..file.len() - 100].to_vec(), false));
    assert_eq!(status.code(), tonic::Code::DataLoss, "{status:?}");
    assert!(status.message().contains("cut short"), "{status:?}");
    unchanged(&mut tcon);

    // Damage inside the snapshot with a manifest forged to match: the snapshot's own
    // section checksums catch it.
    let mut forged = file.clone();
    forged[start + 5000] ^= 0x01;
    let mut manifest = aegisr_proto::read_manifest(&mut forged.as_slice()).unwrap();
    let data = &forged[start..];
    manifest.chunk_crc32c = data.chunks(manifest.chunk_size as usize).map(crc32c::crc32c).collect();
    manifest.crc32c = crc32c::crc32c(data);
    let mut rebuilt = b"AEGISRB1".to_vec();
    let encoded = prost::Message::encode_to_vec(&manifest);
    rebuilt.extend_from_slice(&(encoded.len() as u32).to_le_bytes());
    rebuilt.extend_from_slice(&encoded);
    rebuilt.extend_from_slice(data);
    let status = refused(restore(&rt, &target, rebuilt, false));
    assert_eq!(status.code(), tonic::Code::DataLoss, "{status:?}");
    assert!(status.message().contains("section checksum mismatch"), "{status:?}");
    unchanged(&mut tcon);

    // Another format version: unusable, said so.
    manifest.format_version = 9;
    let mut other = b"AEGISRB1".to_vec();
    let encoded = prost::Message::encode_to_vec(&manifest);
    other.extend_from_slice(&(encoded.len() as u32).to_le_bytes());
    other.extend_from_slice(&encoded);
    other.extend_from_slice(&file[start..]);
    let status = refused(restore(&rt, &target, other, false));
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("format version 9"), "{status:?}");

    // Not a backup file at all: the client says so before sending anything.
    let error = restore(&rt, &target, b"hello, not a backup".to_vec(), false).unwrap_err();
    assert!(error.to_string().contains("not an Aegisr backup file"), "{error}");
    unchanged(&mut tcon);

    // The intact file still restores.
    let reply = restore(&rt, &target, file, false).unwrap();
    assert_eq!(reply.keys_loaded, 4000);
    assert_eq!(get(&mut tcon, "key:701").as_deref(), Some("v"));
}

#[test]
fn a_restart_after_a_restore_comes_back_with_the_restored_data() {
    let rt = runtime();
    let source = TestServer::start_with(&["--persistence", "none"]);
    let mut con = source.sync_conn();
    set(&mut con, "restored", "yes");
    let _: () = run(&mut con, &["HSET", "h", "f", "v"]);
    let file = backup(&rt, &source);

    let dir = tempfile::tempdir().unwrap();
    // What a node that died during a backup leaves; the next backup or restore removes it.
    let stale = dir.path().join("backup-999999999-0.tmp");
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join("snapshot-00000000000000000000.snap"), b"half").unwrap();
    {
        let mut server = TestServer::start_in(dir.path(), &["--appendfsync", "always"]);
        let mut scon = server.sync_conn();
        for i in 0..100 {
            set(&mut scon, &format!("old:{i}"), "x");
        }
        let reply = restore(&rt, &server, file, false).unwrap();
        assert!(reply.snapshot_written);
        set(&mut scon, "after", "1");
        // No chance to save anything more: the journal and the restore's snapshot must do.
        server.kill9();
    }
    let server = TestServer::start_in(dir.path(), &[]);
    let mut scon = server.sync_conn();
    assert_eq!(get(&mut scon, "restored").as_deref(), Some("yes"));
    assert_eq!(get(&mut scon, "after").as_deref(), Some("1"));
    assert_eq!(get(&mut scon, "old:5"), None);
    let h: Vec<String> = run(&mut scon, &["HGETALL", "h"]);
    assert_eq!(h, ["f", "v"]);
    assert_eq!(dbsize(&mut scon), 3);
    // No temporary files are left in the data directory.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The backup itself became the node's one snapshot.
    let snapshots = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("snapshot-"))
        .count();
    assert_eq!(snapshots, 1);
}

#[test]
fn a_backup_with_more_databases_than_the_node_is_refused_as_unusable() {
    let rt = runtime();
    let source = TestServer::start_with(&["--persistence", "none"]);
    let mut con = source.sync_conn();
    let _: () = run(&mut con, &["SELECT", "9"]);
    set(&mut con, "in-db9", "x");
    let file = backup(&rt, &source);
    let target = TestServer::start_with(&["--persistence", "none", "--databases", "4"]);
    let status = refused(restore(&rt, &target, file, false));
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("it has 4; start it with --databases"), "{status:?}");
}

/// Restores into a node on `dir` started with `args`, writes once more, kills it with
/// SIGKILL and restarts it: what comes back.
fn restore_write_and_kill(dir: &std::path::Path, args: &[&str], file: Vec<u8>, merge: bool) -> TestServer {
    let rt = runtime();
    let mut server = TestServer::start_in(dir, args);
    let mut con = server.sync_conn();
    for i in 0..50 {
        set(&mut con, &format!("old:{i}"), "x");
    }
    let _: () = run(&mut con, &["SAVE"]);
    set(&mut con, "old:after-save", "x");
    let reply = restore(&rt, &server, file, merge).unwrap();
    assert!(reply.snapshot_written);
    set(&mut con, "after", "1");
    let _: () = run(&mut con, &["INCR", "restored-counter"]);
    if args.contains(&"no") {
        let _: () = run(&mut con, &["SAVE"]);
    }
    server.kill9();
    TestServer::start_in(dir, args)
}

#[test]
fn replace_and_merge_survive_a_kill_in_every_persistence_mode() {
    let rt = runtime();
    let source = TestServer::start_with(&["--persistence", "none"]);
    let mut con = source.sync_conn();
    set(&mut con, "restored", "yes");
    set(&mut con, "restored-counter", "10");
    let file = backup(&rt, &source);
    for args in [&["--appendfsync", "always"][..], &["--appendonly", "no"][..]] {
        for merge in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let server = restore_write_and_kill(dir.path(), args, file.clone(), merge);
            let mut con = server.sync_conn();
            let case = format!("{args:?} merge={merge}");
            assert_eq!(get(&mut con, "restored").as_deref(), Some("yes"), "{case}");
            assert_eq!(get(&mut con, "restored-counter").as_deref(), Some("11"), "{case}");
            assert_eq!(get(&mut con, "after").as_deref(), Some("1"), "{case}");
            let old = if merge { Some("x") } else { None };
            assert_eq!(get(&mut con, "old:7").as_deref(), old, "{case}");
            assert_eq!(get(&mut con, "old:after-save").as_deref(), old, "{case}");
            assert_eq!(dbsize(&mut con), if merge { 54 } else { 3 }, "{case}");
        }
    }
}

/// The function libraries travel with the keys: a replace brings the backup's libraries in
/// place of the node's (and a restart keeps them), a merge adds them to the node's.
#[test]
fn function_libraries_are_backed_up_and_restored() {
    let rt = runtime();
    let source = TestServer::start_with(&["--persistence", "none"]);
    let mut con = source.sync_conn();
    let _: String = run(
        &mut con,
        &["FUNCTION", "LOAD", "#!lua name=src\nredis.register_function('from_src', function() return 'src' end)"],
    );
    let file = backup(&rt, &source);

    let dir = tempfile::tempdir().unwrap();
    let mut target = TestServer::start_in(dir.path(), &["--appendonly", "yes"]);
    let mut tcon = target.sync_conn();
    let local = "#!lua name=local\nredis.register_function('from_local', function() return 'local' end)";
    let _: String = run(&mut tcon, &["FUNCTION", "LOAD", local]);
    restore(&rt, &target, file.clone(), true).unwrap();
    assert_eq!(run::<String>(&mut tcon, &["FCALL", "from_src", "0"]), "src");
    assert_eq!(run::<String>(&mut tcon, &["FCALL", "from_local", "0"]), "local");
    restore(&rt, &target, file, false).unwrap();
    assert_eq!(run::<String>(&mut tcon, &["FCALL", "from_src", "0"]), "src");
    let gone = common::fail(&mut tcon, &["FCALL", "from_local", "0"]);
    assert_eq!(gone, "ERR Function not found");
    target.kill9();
    let target = TestServer::start_in(dir.path(), &["--appendonly", "yes"]);
    let mut tcon = target.sync_conn();
    assert_eq!(run::<String>(&mut tcon, &["FCALL", "from_src", "0"]), "src");
    assert_eq!(common::fail(&mut tcon, &["FCALL", "from_local", "0"]), "ERR Function not found");
}
