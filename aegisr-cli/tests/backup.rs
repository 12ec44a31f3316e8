//! `aegisr-cli backup FILE` and `aegisr-cli restore FILE [--merge] [--yes]` against real
//! servers: a dataset round-trips through a file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, stderr, stdout};

fn get(server: &TestServer, key: &str) -> String {
    stdout(&server.run(&["get", key]))
}

#[test]
fn a_dataset_round_trips_through_a_backup_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("node.aegisr");
    let file_arg = file.to_str().unwrap();

    let source = TestServer::start();
    source.run(&["set", "greeting", "hello"]);
    source.run(&["hset", "user:1", "name", "ada", "born", "1815"]);
    source.run(&["set", "session", "s", "EX", "1000"]);
    let out = source.run(&["backup", file_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with(&format!("Backup written to {file_arg}: 3 keys,")), "{}", stdout(&out));
    assert!(file.exists() && !dir.path().join("node.aegisr.partial").exists());
    // An existing file is kept unless --force.
    let out = source.run(&["backup", file_arg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("exists; pass --force"), "{}", stderr(&out));
    assert!(source.run(&["backup", file_arg, "--force"]).status.success());

    let target = TestServer::start();
    target.run(&["set", "local", "x"]);
    // Without a terminal, a restore needs --yes; nothing changes without it.
    let out = target.run(&["restore", file_arg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pass --yes"), "{}", stderr(&out));
    assert_eq!(get(&target, "local"), "x\n");

    let out = target.run(&["restore", file_arg, "--merge", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Restored 3 keys"), "{}", stdout(&out));
    assert_eq!(get(&target, "local"), "x\n");
    assert_eq!(get(&target, "greeting"), "hello\n");

    let out = target.run(&["restore", file_arg, "-y"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("replaced; 4 keys dropped"), "{}", stdout(&out));
    assert_eq!(get(&target, "local"), "\n");
    assert_eq!(stdout(&target.run(&["hget", "user:1", "born"])), "1815\n");
    let ttl: i64 = stdout(&target.run(&["ttl", "session"])).trim().parse().unwrap();
    assert!(ttl > 990 && ttl <= 1000, "{ttl}");
}

#[test]
fn a_damaged_backup_file_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("node.aegisr");
    let file_arg = file.to_str().unwrap();
    let source = TestServer::start();
    source.run(&["set", "k", "v"]);
    assert!(source.run(&["backup", file_arg]).status.success());
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 30;
    bytes[last] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();

    let target = TestServer::start();
    target.run(&["set", "mine", "1"]);
    let out = target.run(&["restore", file_arg, "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(text.contains("Restore refused by") && text.contains("checksum"), "{text}");
    assert_eq!(get(&target, "mine"), "1\n");

    std::fs::write(&file, b"not a backup").unwrap();
    let out = target.run(&["restore", file_arg, "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not an Aegisr backup file"), "{}", stderr(&out));
    let out = target.run(&["restore", dir.path().join("missing").to_str().unwrap(), "--yes"]);
    assert!(stderr(&out).contains("Cannot open"), "{}", stderr(&out));
}
