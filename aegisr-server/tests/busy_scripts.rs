//! A long script (EVAL, FCALL) while other clients keep talking to the node: whichever
//! worker thread a client is served by, the script's own included, and with a single worker
//! (`--threads 1`), it gets the BUSY error once busy-reply-threshold has passed and may
//! SCRIPT KILL / FUNCTION KILL the script, or SHUTDOWN NOSAVE the node once the script has
//! written, as Redis 7 answers every client while a script runs.
//!
//! Under `worker-placement spread` workers take connections in turn (round robin, in
//! accept order), so the connection opened `workers` connections after the script's is
//! served by the script's own worker.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{RawConn, TestServer, run, wait_until};

const BUSY_SCRIPT: &str = "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
const BUSY_FUNCTION: &str =
    "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n";
const UNKILLABLE: &str = "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n";

/// The SHA1 digest Redis names a script by.
fn sha(script: &str) -> String {
    redis::Script::new(script).get_hash().to_owned()
}

/// Reads one whole reply, as the raw RESP text.
fn read_reply(conn: &mut RawConn) -> String {
    let line = conn.read_line();
    assert!(!line.is_empty(), "connection closed");
    let (kind, rest) = line.split_at(1);
    let n: i64 = rest.trim_end().parse().unwrap_or(0);
    let mut reply = line.clone();
    match kind {
        "$" | "=" | "!" if n >= 0 => {
            let body = conn.read_exact_len(usize::try_from(n).unwrap() + 2);
            reply.push_str(&String::from_utf8_lossy(&body));
        }
        "*" | "~" | ">" => (0..n).for_each(|_| reply.push_str(&read_reply(conn))),
        "%" | "|" => (0..2 * n).for_each(|_| reply.push_str(&read_reply(conn))),
        _ => {}
    }
    reply
}

/// A node with busy-reply-threshold at 100 ms, and its worker count.
fn start(flags: &[&str]) -> (TestServer, usize) {
    let flags: Vec<&str> = flags.iter().copied().chain(["--worker-placement", "spread"]).collect();
    let server = TestServer::start_with(&flags);
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "100"]);
    let info: String = run(&mut c, &["INFO", "server"]);
    let workers = info
        .lines()
        .find_map(|l| l.strip_prefix("worker_threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("worker_threads in INFO");
    (server, workers)
}

/// The script's connection, then one served by the same worker and, with several workers,
/// one served by another.
fn clients(server: &TestServer, workers: usize) -> (RawConn, RawConn, Option<RawConn>) {
    let runner = server.raw();
    let other_worker = (workers > 1).then(|| server.raw());
    // Fill the turns of the other workers, so the next connection lands on the runner's.
    let _fillers: Vec<RawConn> = (0..workers.saturating_sub(2)).map(|_| server.raw()).collect();
    let same_worker = server.raw();
    (runner, same_worker, other_worker)
}

/// Sends `args` until the reply is not NOTBUSY (the script has started), within 10 s.
fn until_started(conn: &mut RawConn, args: &[&[u8]]) -> String {
    let mut last = String::new();
    let started = wait_until(Duration::from_secs(10), || {
        conn.command(args);
        last = conn.read_line();
        !last.starts_with("-NOTBUSY")
    });
    assert!(started, "the script did not start: {last}");
    last
}

/// Opens a connection once the node's once-a-second background work (save rules, expiry)
/// has had its turn while the script runs, polling `busy` for BUSY meanwhile.
fn connect_later(server: &TestServer, busy: &mut RawConn, since: Instant, busy_error: &str) -> RawConn {
    let waited = wait_until(Duration::from_secs(10), || {
        busy.command(&[b"GET", b"x"]);
        assert_eq!(busy.read_line(), busy_error);
        since.elapsed() > Duration::from_millis(1500)
    });
    assert!(waited);
    server.raw()
}

fn script_kill_and_shutdown_nosave(flags: &[&str]) {
    let (mut server, workers) = start(flags);
    let (mut runner, mut same, mut other) = clients(&server, workers);
    let mut watcher = server.raw();
    watcher.expect(&["WATCH", "x"], "+OK\r\n");

    runner.command(&[b"EVAL", b"while true do end", b"0"]);
    // Past the threshold every other client gets BUSY, on the script's worker too; PING is
    // no exception (it is not flagged allow-busy in Redis 7).
    assert_eq!(common::wait_for_busy(&mut same), BUSY_SCRIPT);
    same.expect(&["PING"], BUSY_SCRIPT);
    same.expect(&["CLIENT", "KILL", "ADDR", "127.0.0.1:1"], BUSY_SCRIPT);
    if let Some(other) = &mut other {
        assert_eq!(common::wait_for_busy(other), BUSY_SCRIPT);
    }
    // A script is not a function.
    same.expect(&["FUNCTION", "KILL"], BUSY_SCRIPT);
    // HELLO, AUTH, RESET and QUIT are flagged allow-busy in Redis 7: they run at once. A
    // RESET that forgets watched keys (whose shards the script holds) waits for the end.
    same.command(&[b"HELLO", b"2"]);
    assert!(read_reply(&mut same).starts_with("*14\r\n$6\r\nserver\r\n"));
    same.expect(&["AUTH", "pw"], "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n");
    same.expect(&["RESET"], "+RESET\r\n");
    watcher.command(&[b"RESET"]);
    let mut quitter = server.raw();
    quitter.expect(&["QUIT"], "+OK\r\n");
    same.expect(&["SCRIPT", "KILL"], "+OK\r\n");
    assert_eq!(watcher.read_line(), "+RESET\r\n");
    assert_eq!(
        runner.read_line(),
        format!(
            "-ERR Script killed by user with SCRIPT KILL... script: {}, on @user_script:1.\r\n",
            sha("while true do end")
        )
    );
    runner.expect(&["PING"], "+PONG\r\n");
    same.expect(&["PING"], "+PONG\r\n");
    same.expect(&["SCRIPT", "KILL"], "-NOTBUSY No scripts in execution right now.\r\n");

    // A script that wrote cannot be killed; SHUTDOWN without NOSAVE is refused, SHUTDOWN
    // NOSAVE stops the node, also from a connection opened while the script runs.
    let started = Instant::now();
    runner.command(&[b"EVAL", b"redis.call('set', 'w', '1') while true do end", b"0"]);
    assert_eq!(until_started(&mut same, &[b"SCRIPT", b"KILL"]), UNKILLABLE);
    assert_eq!(common::wait_for_busy(&mut same), BUSY_SCRIPT);
    same.expect(&["SHUTDOWN"], BUSY_SCRIPT);
    let mut late = connect_later(&server, &mut same, started, BUSY_SCRIPT);
    late.expect(&["SCRIPT", "KILL"], UNKILLABLE);
    late.command(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(server.wait_exit().success());
}

#[test]
fn a_busy_script_is_answered_and_killed_from_its_own_worker_with_one_thread() {
    script_kill_and_shutdown_nosave(&["--threads", "1"]);
}

#[test]
fn a_busy_script_is_answered_and_killed_from_any_worker() {
    script_kill_and_shutdown_nosave(&[]);
}

const LIBRARY: &str = "#!lua name=lib\n\
    redis.register_function('spin', function() while true do end end)\n\
    redis.register_function('wspin', function() redis.call('set', 'w', '1') while true do end end)";

fn function_kill_and_shutdown_nosave(flags: &[&str]) {
    let (mut server, workers) = start(flags);
    run::<String>(&mut server.sync_conn(), &["FUNCTION", "LOAD", LIBRARY]);
    let (mut runner, mut same, mut other) = clients(&server, workers);

    runner.command(&[b"FCALL", b"spin", b"0"]);
    assert_eq!(common::wait_for_busy(&mut same), BUSY_FUNCTION);
    same.expect(&["PING"], BUSY_FUNCTION);
    if let Some(other) = &mut other {
        assert_eq!(common::wait_for_busy(other), BUSY_FUNCTION);
    }
    // SCRIPT KILL does not stop a function; FUNCTION STATS shows it.
    same.expect(&["SCRIPT", "KILL"], BUSY_FUNCTION);
    same.command(&[b"FUNCTION", b"STATS"]);
    let stats = read_reply(&mut same);
    assert!(stats.starts_with("*4\r\n$14\r\nrunning_script\r\n*6\r\n$4\r\nname\r\n$4\r\nspin\r\n"), "{stats}");
    same.expect(&["FUNCTION", "KILL"], "+OK\r\n");
    assert_eq!(
        runner.read_line(),
        "-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.\r\n"
    );
    runner.expect(&["PING"], "+PONG\r\n");
    same.expect(&["FUNCTION", "KILL"], "-NOTBUSY No scripts in execution right now.\r\n");

    let started = Instant::now();
    runner.command(&[b"FCALL", b"wspin", b"0"]);
    assert_eq!(until_started(&mut same, &[b"FUNCTION", b"KILL"]), UNKILLABLE);
    assert_eq!(common::wait_for_busy(&mut same), BUSY_FUNCTION);
    same.expect(&["SHUTDOWN"], BUSY_FUNCTION);
    let mut late = connect_later(&server, &mut same, started, BUSY_FUNCTION);
    late.expect(&["FUNCTION", "KILL"], UNKILLABLE);
    late.command(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(server.wait_exit().success());
}

#[test]
fn a_busy_function_is_answered_and_killed_from_its_own_worker_with_one_thread() {
    function_kill_and_shutdown_nosave(&["--threads", "1"]);
}

#[test]
fn a_busy_function_is_answered_and_killed_from_any_worker() {
    function_kill_and_shutdown_nosave(&[]);
}

/// A script that runs `before`, then for about `ms` milliseconds of wall-clock time (it
/// calls TIME until then), then `after`.
fn timed_script(before: &str, ms: u64, after: &str) -> String {
    format!(
        "{before} local t = redis.call('time') local stop = t[1] * 1000000 + t[2] + {us} \
         repeat local n = redis.call('time') until n[1] * 1000000 + n[2] >= stop {after} return 'done'",
        us = ms * 1000
    )
}

/// EXEC of a transaction that queued a script runs it as a script: other clients of the
/// worker get BUSY and may kill it; the transaction's reply holds the error.
#[test]
fn a_busy_script_inside_exec_can_be_killed_with_one_thread() {
    let (server, workers) = start(&["--threads", "1"]);
    assert_eq!(workers, 1);
    let (mut runner, mut same, _) = clients(&server, workers);
    runner.expect(&["MULTI"], "+OK\r\n");
    runner.expect(&["SET", "k", "v"], "+QUEUED\r\n");
    runner.expect(&["EVAL", "while true do end", "0"], "+QUEUED\r\n");
    runner.command(&[b"EXEC"]);
    assert_eq!(common::wait_for_busy(&mut same), BUSY_SCRIPT);
    same.expect(&["SCRIPT", "KILL"], "+OK\r\n");
    let killed = format!(
        "-ERR Script killed by user with SCRIPT KILL... script: {}, on @user_script:1.\r\n",
        sha("while true do end")
    );
    assert_eq!(runner.read_line(), "*2\r\n");
    assert_eq!(runner.read_line(), "+OK\r\n");
    assert_eq!(runner.read_line(), killed);
    same.expect(&["GET", "k"], "$1\r\nv\r\n");
}

/// A transaction meeting another client's busy script (Redis's multi.tcl): a command
/// queued meanwhile gets BUSY and dooms the transaction; EXEC sent meanwhile is refused
/// with EXECABORT naming BUSY and ends the transaction. Nothing of it runs either way.
#[test]
fn a_transaction_meeting_a_busy_script_runs_none_of_its_commands() {
    let (server, workers) = start(&[]);
    let (mut runner, mut client, _) = clients(&server, workers);
    client.expect(&["SET", "xx", "1"], "+OK\r\n");
    let killed = format!(
        "-ERR Script killed by user with SCRIPT KILL... script: {}, on @user_script:1.\r\n",
        sha("while true do end")
    );

    // Queued before the script, EXEC while it is busy.
    client.expect(&["MULTI"], "+OK\r\n");
    client.expect(&["INCR", "xx"], "+QUEUED\r\n");
    runner.command(&[b"EVAL", b"while true do end", b"0"]);
    let mut other = server.raw();
    assert_eq!(common::wait_for_busy(&mut other), BUSY_SCRIPT);
    client.expect(&["INCR", "xx"], BUSY_SCRIPT);
    client.expect(
        &["EXEC"],
        "-EXECABORT Transaction discarded because of: BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n",
    );
    other.expect(&["SCRIPT", "KILL"], "+OK\r\n");
    assert_eq!(runner.read_line(), killed);
    // The transaction is over: EXEC has nothing to run, PING is answered at once.
    client.expect(&["EXEC"], "-ERR EXEC without MULTI\r\n");
    client.expect(&["PING", "asdf"], "$4\r\nasdf\r\n");
    client.expect(&["GET", "xx"], "$1\r\n1\r\n");

    // A command queued while busy dooms an EXEC sent after the script.
    client.expect(&["MULTI"], "+OK\r\n");
    client.expect(&["INCR", "xx"], "+QUEUED\r\n");
    runner.command(&[b"EVAL", b"while true do end", b"0"]);
    assert_eq!(common::wait_for_busy(&mut other), BUSY_SCRIPT);
    client.expect(&["INCR", "xx"], BUSY_SCRIPT);
    other.expect(&["SCRIPT", "KILL"], "+OK\r\n");
    assert_eq!(runner.read_line(), killed);
    client.expect(&["EXEC"], "-EXECABORT Transaction discarded because of previous errors.\r\n");
    client.expect(&["GET", "xx"], "$1\r\n1\r\n");
}

/// A client blocked on a key that a busy script creates is served once the script has
/// ended, never answered BUSY (Redis serves blocked clients after the command that woke
/// them); a client that sent a script and went away does not stop it; the script's
/// client context (database, RESP version) is its own.
#[test]
fn blocked_clients_are_served_after_a_busy_script_and_its_client_may_leave() {
    let (server, workers) = start(&[]);
    run::<()>(&mut server.sync_conn(), &["CONFIG", "SET", "busy-reply-threshold", "0"]);
    let (mut runner, mut same, other) = clients(&server, workers);
    let mut blocked = vec![];
    same.expect(&["SELECT", "3"], "+OK\r\n");
    same.command(&[b"BLPOP", b"l1", b"0"]);
    blocked.push((same, "l1"));
    if let Some(mut other) = other {
        other.expect(&["SELECT", "3"], "+OK\r\n");
        other.command(&[b"BLPOP", b"l2", b"0"]);
        blocked.push((other, "l2"));
    }
    let mut watcher = server.raw();
    // Both BLPOPs are registered once the node counts them as blocked.
    let wanted = format!("blocked_clients:{}", blocked.len());
    let registered = wait_until(Duration::from_secs(10), || {
        watcher.command(&[b"INFO", b"clients"]);
        read_reply(&mut watcher).contains(&wanted)
    });
    assert!(registered);
    runner.expect(&["SELECT", "3"], "+OK\r\n");
    runner.command(&[b"HELLO", b"3"]);
    assert!(read_reply(&mut runner).starts_with('%'));
    let script = timed_script("redis.call('rpush', 'l1', 'a') redis.call('rpush', 'l2', 'b')", 300, "");
    runner.command(&[b"EVAL", script.as_bytes(), b"0"]);
    assert_eq!(common::wait_for_busy(&mut watcher), BUSY_SCRIPT);
    assert_eq!(read_reply(&mut runner), "$4\r\ndone\r\n");
    for (mut conn, key) in blocked {
        let value = if key == "l1" { "a" } else { "b" };
        assert_eq!(read_reply(&mut conn), format!("*2\r\n$2\r\n{key}\r\n$1\r\n{value}\r\n"));
    }
    // The script's client kept its database and protocol.
    runner.expect(&["LLEN", "l1"], ":0\r\n");
    runner.expect(&["SET", "in3", "x"], "+OK\r\n");
    runner.expect(&["HGETALL", "nohash"], "%0\r\n");
    watcher.expect(&["GET", "in3"], "$-1\r\n");

    // A client that sends a script and leaves: the script runs to its end.
    let mut leaving = server.raw();
    let script = timed_script("", 200, "redis.call('set', 'left', '1')");
    leaving.command(&[b"EVAL", script.as_bytes(), b"0"]);
    drop(leaving);
    let written = wait_until(Duration::from_secs(10), || {
        watcher.command(&[b"GET", b"left"]);
        read_reply(&mut watcher) == "$1\r\n1\r\n"
    });
    assert!(written);
    watcher.expect(&["PING"], "+PONG\r\n");
}

/// While a script runs, another client's plain read never sees the script half done: it
/// is answered before the script (nothing written yet), or with BUSY (it waited until
/// busy-reply-threshold), or after the script (everything written), in that order; once
/// the script has replied, both clients carry on as usual.
fn reads_see_a_script_whole(flags: &[&str]) {
    let (server, workers) = start(flags);
    let (mut runner, mut same, mut other) = clients(&server, workers);
    let script = timed_script("redis.call('set', 'a', '1')", 400, "redis.call('set', 'b', '1')");
    runner.command(&[b"EVAL", script.as_bytes(), b"0"]);
    let mut readers = vec![&mut same];
    readers.extend(other.as_mut());
    // Each reader's phase: 0 before the script, 1 BUSY, 2 after the script.
    let mut phases = vec![0; readers.len()];
    let mut busy = false;
    let done = wait_until(Duration::from_secs(10), || {
        for (reader, phase) in readers.iter_mut().zip(&mut phases) {
            reader.command(&[b"MGET", b"a", b"b"]);
            let reply = read_reply(reader);
            let seen = match reply.as_str() {
                "*2\r\n$-1\r\n$-1\r\n" => 0,
                BUSY_SCRIPT => 1,
                "*2\r\n$1\r\n1\r\n$1\r\n1\r\n" => 2,
                _ => panic!("a read saw the script half done: {reply:?}"),
            };
            assert!(seen >= *phase, "a read went back from phase {phase} to {seen}");
            *phase = seen;
            busy |= seen == 1;
        }
        phases.iter().all(|&p| p == 2)
    });
    assert!(done, "the script did not end");
    // The reads ran while the script did, not all around it.
    assert!(busy);
    assert_eq!(read_reply(&mut runner), "$4\r\ndone\r\n");
    runner.expect(&["SET", "c", "runner"], "+OK\r\n");
    same.expect(&["GET", "c"], "$6\r\nrunner\r\n");
    same.expect(&["SET", "c", "same"], "+OK\r\n");
    runner.expect(&["GET", "c"], "$4\r\nsame\r\n");
}

#[test]
fn reads_see_a_script_whole_with_one_thread() {
    reads_see_a_script_whole(&["--threads", "1"]);
}

#[test]
fn reads_see_a_script_whole_from_any_worker() {
    reads_see_a_script_whole(&[]);
}

/// Scripts starting while other clients, on every worker, send commands back to back: a
/// command that passed the BUSY check just as a script started must not wait for that
/// script to end (blocking its worker: this one loops until killed). Each client gets a
/// reply to every command, BUSY soon after the script starts, and the script is killed
/// only once they all have.
#[test]
fn commands_racing_a_script_start_never_wait_for_the_whole_script() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let (server, workers) = start(&["--threads", "2"]);
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "0"]);
    let clients = 2 * workers.max(1);
    let stop = Arc::new(AtomicBool::new(false));
    let round = Arc::new(AtomicUsize::new(0));
    // The last round in which each client got BUSY.
    let busy_in: Arc<Vec<AtomicUsize>> = Arc::new((0..clients).map(|_| AtomicUsize::new(0)).collect());
    let hammers: Vec<_> = (0..clients)
        .map(|i| {
            let mut conn = server.raw();
            let (stop, round, busy_in) = (stop.clone(), round.clone(), busy_in.clone());
            let key = format!("k{i}");
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    conn.command(&[b"GET", key.as_bytes()]);
                    // A reply that never comes fails the raw connection's read (10 s).
                    if read_reply(&mut conn).starts_with("-BUSY") {
                        busy_in[i].store(round.load(Ordering::SeqCst), Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    let mut runner = server.raw();
    let mut killer = server.raw();
    for r in 1..=30 {
        round.store(r, Ordering::SeqCst);
        runner.command(&[b"EVAL", b"while true do end", b"0"]);
        let all_busy = wait_until(Duration::from_secs(10), || busy_in.iter().all(|b| b.load(Ordering::SeqCst) == r));
        assert!(all_busy, "round {r}: not every client got BUSY while the script ran");
        killer.expect(&["SCRIPT", "KILL"], "+OK\r\n");
        assert!(read_reply(&mut runner).starts_with("-ERR Script killed by user with SCRIPT KILL..."));
    }
    stop.store(true, Ordering::Relaxed);
    for hammer in hammers {
        hammer.join().unwrap();
    }
}
