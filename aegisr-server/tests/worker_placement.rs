//! Which worker thread serves a connection (`worker-placement`): at low load every
//! connection is on worker 0; `spread` moves connections between workers while they are
//! open, and each keeps everything about its session (database, name, transaction,
//! subscriptions, a half-sent command); back under `adaptive`, a quiet node gathers them on
//! worker 0 again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{RawConn, TestServer, run, wait_until};

/// INFO's `worker_clients`: connections per worker.
fn worker_clients(admin: &mut redis::Connection) -> Vec<usize> {
    let info: String = run(admin, &["INFO", "server"]);
    let line = info.lines().find_map(|l| l.strip_prefix("worker_clients:")).expect("worker_clients in INFO");
    line.trim().split(',').map(|n| n.parse().expect("a count")).collect()
}

/// Four connections, each in its own kind of state.
struct Clients {
    in_db3: RawConn,
    named: RawConn,
    in_multi: RawConn,
    subscriber: RawConn,
    queued: usize,
}

impl Clients {
    fn open(server: &TestServer) -> Clients {
        let mut in_db3 = server.raw();
        in_db3.expect(&["SELECT", "3"], "+OK\r\n");
        in_db3.expect(&["SET", "k", "three"], "+OK\r\n");
        let mut named = server.raw();
        named.expect(&["CLIENT", "SETNAME", "bee"], "+OK\r\n");
        let mut in_multi = server.raw();
        in_multi.expect(&["MULTI"], "+OK\r\n");
        let mut subscriber = server.raw();
        subscriber.expect(&["SUBSCRIBE", "ch"], "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
        Clients { in_db3, named, in_multi, subscriber, queued: 0 }
    }

    /// One command on each connection, checking its state is intact; a connection moves
    /// only between two of its batches, so this is what lets them move.
    fn round(&mut self) {
        // Sent in two writes: the half that arrives first may travel with the connection.
        self.in_db3.send(b"*2\r\n$3\r\nGET\r\n$1\r");
        self.in_db3.send(b"\nk\r\n");
        assert_eq!(String::from_utf8_lossy(&self.in_db3.read_exact_len(11)), "$5\r\nthree\r\n");
        self.named.expect(&["CLIENT", "GETNAME"], "$3\r\nbee\r\n");
        self.in_multi.expect(&["INCR", "n"], "+QUEUED\r\n");
        self.queued += 1;
        self.subscriber.expect(&["PING"], "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    }

    /// Every state survived the moves: the transaction runs whole, messages arrive.
    fn check(mut self, admin: &mut redis::Connection) {
        self.in_multi.command(&[b"EXEC"]);
        assert_eq!(self.in_multi.read_line(), format!("*{}\r\n", self.queued));
        for n in 1..=self.queued {
            assert_eq!(self.in_multi.read_line(), format!(":{n}\r\n"));
        }
        assert_eq!(run::<i64>(admin, &["PUBLISH", "ch", "hello"]), 1);
        let message = "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n";
        assert_eq!(String::from_utf8_lossy(&self.subscriber.read_exact_len(message.len())), message);
        self.named.expect(&["CLIENT", "GETNAME"], "$3\r\nbee\r\n");
        self.in_db3.expect(&["DBSIZE"], ":1\r\n");
    }
}

#[test]
fn connections_gather_on_one_worker_at_low_load() {
    let server = TestServer::start_with(&["--threads", "2"]);
    let mut admin = server.sync_conn();
    let clients = Clients::open(&server);
    assert_eq!(worker_clients(&mut admin), vec![5, 0]);
    drop(clients);
    assert!(wait_until(Duration::from_secs(10), || worker_clients(&mut admin) == vec![1, 0]));
}

#[test]
fn connections_move_between_workers_with_their_sessions() {
    let server = TestServer::start_with(&["--threads", "2"]);
    let mut admin = server.sync_conn();
    let mut clients = Clients::open(&server);
    run::<()>(&mut admin, &["CONFIG", "SET", "worker-placement", "spread"]);
    // Five connections (the four and this one) over two workers: two move.
    let spread = wait_until(Duration::from_secs(20), || {
        clients.round();
        worker_clients(&mut admin) == vec![3, 2]
    });
    assert!(spread, "connections did not spread: {:?}", worker_clients(&mut admin));
    clients.round();
    // Back to adaptive: a quiet node gathers them on worker 0.
    run::<()>(&mut admin, &["CONFIG", "SET", "worker-placement", "adaptive"]);
    let gathered = wait_until(Duration::from_secs(20), || {
        clients.round();
        worker_clients(&mut admin) == vec![5, 0]
    });
    assert!(gathered, "connections did not gather: {:?}", worker_clients(&mut admin));
    clients.check(&mut admin);
}

#[test]
fn spread_places_new_connections_in_turn() {
    let server = TestServer::start_with(&["--threads", "2", "--worker-placement", "spread"]);
    let mut admin = server.sync_conn();
    let _others: Vec<RawConn> = (0..3).map(|_| server.raw()).collect();
    assert!(wait_until(Duration::from_secs(10), || worker_clients(&mut admin) == vec![2, 2]));
    let got: Vec<String> = run(&mut admin, &["CONFIG", "GET", "worker-placement"]);
    assert_eq!(got, ["worker-placement", "spread"]);
    let error = common::fail(&mut admin, &["CONFIG", "SET", "worker-placement", "everywhere"]);
    assert!(error.contains("argument(s) must be one of the following"), "{error}");
}

/// Clients pipelining INCRs (each pipeline sent in two writes that split a command) while
/// the node spreads them, gathers them and spreads them again: every reply arrives, in
/// order, exactly once.
#[test]
fn pipelining_clients_lose_nothing_while_they_move() {
    let server = TestServer::start_with(&["--threads", "2"]);
    let mut admin = server.sync_conn();
    let mut clients: Vec<(RawConn, u64)> = (0..6).map(|_| (server.raw(), 0)).collect();
    let mut rounds = 0usize;
    // One pipeline of 20 INCRs on every client; the load stays light (one client at a
    // time), so the balancer sees a quiet node.
    let mut round = |clients: &mut Vec<(RawConn, u64)>| {
        for (client, (conn, count)) in clients.iter_mut().enumerate() {
            let key = format!("counter:{client}");
            let incr = format!("*2\r\n$4\r\nINCR\r\n${}\r\n{key}\r\n", key.len()).into_bytes();
            let pipeline: Vec<u8> = incr.iter().copied().cycle().take(incr.len() * 20).collect();
            let cut = 7 + (rounds * 13 + client) % (pipeline.len() - 14);
            conn.send(&pipeline[..cut]);
            conn.send(&pipeline[cut..]);
            for _ in 0..20 {
                *count += 1;
                assert_eq!(conn.read_line(), format!(":{count}\r\n"), "client {client}");
            }
        }
        rounds += 1;
    };
    let deadline = Duration::from_secs(20);
    for (policy, want) in [("spread", [4, 3]), ("adaptive", [7, 0]), ("spread", [4, 3])] {
        run::<()>(&mut admin, &["CONFIG", "SET", "worker-placement", policy]);
        let reached = wait_until(deadline, || {
            round(&mut clients);
            worker_clients(&mut admin) == want
        });
        assert!(reached, "{policy}: {:?}", worker_clients(&mut admin));
    }
    for (client, (_, count)) in clients.iter().enumerate() {
        let stored: u64 = run(&mut admin, &["GET", &format!("counter:{client}")]);
        assert_eq!(stored, *count);
    }
}
