//! WAITAOF (Redis 7.2): a client's writes synced to the local journal and acknowledged by
//! replicas, with Redis's errors and reply shape.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, fail, run};

#[test]
fn waitaof_reports_the_local_sync_and_the_replicas() {
    // The default: persistence on, appendonly yes, appendfsync everysec.
    let server = TestServer::start();
    let mut c = server.sync_conn();
    assert_eq!(run::<Vec<i64>>(&mut c, &["WAITAOF", "0", "0", "0"]), [1, 0], "nothing written yet");
    run::<()>(&mut c, &["SET", "k", "v"]);
    // The sync is asked for at once: well under everysec's second, and no timeout needed.
    let started = Instant::now();
    assert_eq!(run::<Vec<i64>>(&mut c, &["WAITAOF", "1", "0", "0"]), [1, 0]);
    assert!(started.elapsed() < Duration::from_secs(5));
    // No replica: the timeout ends the wait with what was reached.
    let started = Instant::now();
    assert_eq!(run::<Vec<i64>>(&mut c, &["WAITAOF", "1", "1", "200"]), [1, 0]);
    assert!(started.elapsed() >= Duration::from_millis(190));
    // Inside MULTI it answers at once.
    run::<()>(&mut c, &["MULTI"]);
    run::<()>(&mut c, &["WAITAOF", "1", "1", "0"]);
    let replies: Vec<Vec<i64>> = run(&mut c, &["EXEC"]);
    assert_eq!(replies, [[1, 0]]);
    // appendfsync no: still synced when asked.
    run::<()>(&mut c, &["CONFIG", "SET", "appendfsync", "no"]);
    run::<()>(&mut c, &["SET", "k", "w"]);
    assert_eq!(run::<Vec<i64>>(&mut c, &["WAITAOF", "1", "0", "0"]), [1, 0]);

    assert_eq!(fail(&mut c, &["WAITAOF", "x", "0", "0"]), "ERR value is not an integer or out of range");
    assert_eq!(fail(&mut c, &["WAITAOF", "0", "0", "-1"]), "ERR timeout is negative");
    assert_eq!(fail(&mut c, &["WAITAOF", "0", "0", "t"]), "ERR timeout is not an integer or out of range");
    assert!(fail(&mut c, &["WAITAOF", "0", "0"]).contains("wrong number of arguments"));
}

#[test]
fn waitaof_without_a_journal_refuses_a_local_ack() {
    let server = TestServer::start_with(&["--persistence", "none"]);
    let mut c = server.sync_conn();
    assert_eq!(
        fail(&mut c, &["WAITAOF", "1", "0", "0"]),
        "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled."
    );
    run::<()>(&mut c, &["SET", "k", "v"]);
    assert_eq!(run::<Vec<i64>>(&mut c, &["WAITAOF", "0", "0", "0"]), [0, 0]);
}
