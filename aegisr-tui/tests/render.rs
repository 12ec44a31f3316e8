//! Each view drawn on an 80x24 `TestBackend` from given figures: what a person would see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aegisr_proto::Bytes;
use aegisr_proto::v1::{ClientInfo, CommandStats, DbStats, NodeStats, SlowLogEntry};
use aegisr_tui::app::{App, Update};
use aegisr_tui::ui;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

fn stats() -> NodeStats {
    NodeStats {
        role: "master".into(),
        uptime_seconds: 3725,
        used_memory: 512 * 1024 * 1024,
        maxmemory: 1024 * 1024 * 1024,
        connected_clients: 7,
        blocked_clients: 1,
        ops_per_sec: 12_500.0,
        p50_usec: 12.3,
        p99_usec: 250.0,
        worker_threads: 2,
        worker_clients: vec![7, 0],
        shards: 32,
        expired_keys: 11,
        evicted_keys: 0,
        keyspace_hits: 40,
        keyspace_misses: 2,
        keyspace: vec![DbStats { db: 0, keys: 4242, expires: 17 }, DbStats { db: 3, keys: 5, expires: 0 }],
        commands: vec![
            CommandStats {
                name: "get".into(),
                calls: 900,
                usec: 1800,
                ops_per_sec: 9000.0,
                p50_usec: 2.0,
                p99_usec: 9.0,
                ..Default::default()
            },
            CommandStats {
                name: "set".into(),
                calls: 100,
                usec: 5000,
                ops_per_sec: 1000.0,
                p50_usec: 40.0,
                p99_usec: 90.0,
                failed_calls: 3,
                ..Default::default()
            },
            CommandStats { name: "config|get".into(), calls: 1, usec: 10, ..Default::default() },
        ],
        ..Default::default()
    }
}

fn app(color: bool) -> App {
    let mut app = App::new(&["127.0.0.1:7379".to_owned(), "127.0.0.1:7380".to_owned()], color);
    for ops in [100.0, 5000.0, 12_500.0] {
        app.apply(Update::Stats(0, Box::new(NodeStats { ops_per_sec: ops, ..stats() })));
    }
    app.apply(Update::Down(1, "connection refused".into()));
    app.apply(Update::SlowLog(
        0,
        vec![SlowLogEntry {
            id: 41,
            timestamp: 0,
            duration_usec: 15_000,
            args: vec![Bytes::from_static(b"KEYS"), Bytes::from_static(b"*")],
            client_addr: "127.0.0.1:5555".into(),
            client_name: String::new(),
        }],
    ));
    app.apply(Update::Clients(
        0,
        vec![
            ClientInfo {
                id: 5,
                addr: "127.0.0.1:40001".into(),
                name: "worker".into(),
                age_seconds: 90,
                idle_seconds: 2,
                db: 0,
                last_command: "get".into(),
                line: String::new(),
            },
            ClientInfo {
                id: 9,
                addr: "127.0.0.1:40002".into(),
                name: "batch".into(),
                age_seconds: 30,
                idle_seconds: 20,
                db: 3,
                last_command: "set".into(),
                line: String::new(),
            },
        ],
    ));
    app
}

/// The screen as text lines, and the terminal for colour checks.
fn render(app: &App, width: u16, height: u16) -> (String, Terminal<TestBackend>) {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui::draw(frame, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    (text, terminal)
}

fn press(app: &mut App, code: KeyCode) {
    app.key(KeyEvent::new(code, KeyModifiers::NONE));
}

/// The colour of the first cell showing `needle`.
fn color_of(terminal: &Terminal<TestBackend>, needle: &str) -> Color {
    let buffer = terminal.backend().buffer();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width).map(|x| buffer[(x, y)].symbol().to_owned()).collect();
        if let Some(x) = line.find(needle) {
            let column = line[..x].chars().count() as u16;
            return buffer[(column, y)].fg;
        }
    }
    panic!("{needle} not on screen");
}

#[test]
fn overview_shows_each_node_and_its_figures() {
    let (screen, terminal) = render(&app(true), 80, 24);
    for want in [
        "127.0.0.1:7379",
        "UP",
        "role master",
        "up 1h2m",
        "keys 4247",
        "clients 7 (1 blocked)",
        "ops/s 12.5k",
        "p50 12.3us",
        "p99 250.0us",
        "threads 2 (clients 7/0)",
        "memory 512.0M / 1.0G (50%)",
        "127.0.0.1:7380",
        "DOWN",
        "connection refused",
    ] {
        assert!(screen.contains(want), "{want:?} missing from\n{screen}");
    }
    assert_eq!(color_of(&terminal, "DOWN"), Color::Red);
    assert_eq!(color_of(&terminal, "UP"), Color::Green);
    // The sparkline draws bars for the ops history.
    assert!(screen.contains('█'), "{screen}");
}

#[test]
fn no_color_draws_without_colours() {
    let (screen, terminal) = render(&app(false), 80, 24);
    assert!(screen.contains("DOWN"));
    let buffer = terminal.backend().buffer();
    assert!(buffer.content().iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset));
}

#[test]
fn commands_view_sorts_by_calls_or_time() {
    let mut app = app(true);
    press(&mut app, KeyCode::Char('2'));
    let (screen, _) = render(&app, 80, 24);
    assert!(screen.contains("commands by calls"), "{screen}");
    let (get, set) = (screen.find("get ").unwrap(), screen.find("set ").unwrap());
    assert!(get < set, "get has more calls\n{screen}");
    assert!(screen.contains("config|get"));
    press(&mut app, KeyCode::Char('s'));
    let (screen, _) = render(&app, 80, 24);
    assert!(screen.contains("commands by time"));
    assert!(screen.find("set ").unwrap() < screen.find("get ").unwrap(), "set took longer\n{screen}");
    // Filter: only matching commands remain.
    for c in "/conf".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    let (screen, _) = render(&app, 80, 24);
    assert!(screen.contains("config|get") && !screen.contains("set "), "{screen}");
}

#[test]
fn slowlog_view_lists_entries() {
    let mut app = app(true);
    press(&mut app, KeyCode::Char('3'));
    let (screen, _) = render(&app, 80, 24);
    for want in ["41", "15.00ms", "KEYS *", "127.0.0.1:5555"] {
        assert!(screen.contains(want), "{want:?} missing from\n{screen}");
    }
}

#[test]
fn clients_view_sorts_and_asks_before_killing() {
    let mut app = app(true);
    press(&mut app, KeyCode::Char('4'));
    let (screen, _) = render(&app, 80, 24);
    assert!(screen.contains("worker") && screen.contains("batch") && screen.contains("clients by id"), "{screen}");
    assert!(screen.find("worker").unwrap() < screen.find("batch").unwrap());
    press(&mut app, KeyCode::Char('s'));
    let (screen, _) = render(&app, 80, 24);
    assert!(screen.contains("clients by idle"));
    assert!(screen.find("batch").unwrap() < screen.find("worker").unwrap(), "most idle first\n{screen}");
    press(&mut app, KeyCode::Char('k'));
    let (screen, _) = render(&app, 80, 24);
    assert!(screen.contains("Kill client 9 (127.0.0.1:40002)? y/n"), "{screen}");
}

#[test]
fn keyspace_view_shows_databases() {
    let mut app = app(true);
    press(&mut app, KeyCode::Char('5'));
    let (screen, _) = render(&app, 80, 24);
    for want in ["db0", "4242", "17", "db3", "expired 11", "hits 40", "127.0.0.1:7380 DOWN"] {
        assert!(screen.contains(want), "{want:?} missing from\n{screen}");
    }
}

#[test]
fn help_overlay_and_small_terminals() {
    let mut app = app(true);
    press(&mut app, KeyCode::Char('?'));
    let (screen, _) = render(&app, 80, 24);
    assert!(screen.contains("help") && screen.contains("kill the selected client"), "{screen}");
    press(&mut app, KeyCode::Esc);
    // Smaller than 80x24 still draws, without panicking, in every view.
    for view in ['1', '2', '3', '4', '5'] {
        press(&mut app, KeyCode::Char(view));
        for (w, h) in [(80, 24), (40, 10), (10, 3), (1, 1)] {
            render(&app, w, h);
        }
    }
}

fn cluster_snapshot(epoch: u64, primary: u64, replica: u64) -> aegisr_tui::cluster::Snapshot {
    use aegisr_proto::v1::{ClusterGroup, ClusterMember, ClusterNodeHealth, ClusterSlotRange, ClusterStatusReply};
    let member = |id: u64| ClusterMember {
        id,
        name: format!("{id}a2b3c4d5e6f{:0>28}", id),
        host: "127.0.0.1".into(),
        resp_port: 6000 + id as u32,
        grpc_port: 7000 + id as u32,
        cluster_port: 16000 + id as u32,
        role: if id == replica { "replica".into() } else { "primary".into() },
        group: Some(if id == 3 { 1 } else { 0 }),
    };
    let health = |id: u64, offset: u64| ClusterNodeHealth { id, seconds_since_heartbeat: Some(0.04), offset };
    aegisr_tui::cluster::Snapshot {
        status: ClusterStatusReply {
            epoch,
            replicas_wanted: 1,
            members: vec![member(1), member(2), member(3)],
            groups: vec![
                ClusterGroup { id: 0, primary, replicas: vec![replica], slot_count: 8192 },
                ClusterGroup { id: 1, primary: 3, replicas: vec![], slot_count: 8192 },
            ],
            slots: vec![
                ClusterSlotRange { start: 0, end: 8191, group: 0 },
                ClusterSlotRange { start: 8192, end: 16383, group: 1 },
            ],
            migrations: Vec::new(),
            leader: Some(3),
            myself: 3,
            lease_valid: true,
            health: Vec::new(),
        },
        health: vec![health(primary, 1500), health(replica, 1200), health(3, 900)],
    }
}

#[test]
fn cluster_view_shows_the_slot_map_roles_lag_and_a_failover() {
    let mut app = App::new(&["127.0.0.1:7003".to_owned()], true);
    app.apply(Update::Cluster(Box::new(cluster_snapshot(5, 1, 2))));
    assert_eq!(app.nodes.len(), 3, "every member is watched");
    press(&mut app, KeyCode::Char('6'));
    let (screen, _) = render(&app, 100, 24);
    for want in [
        "6 Cluster",
        "ok",
        "epoch 5",
        "leader 3a2b3c4d 127.0.0.1:6003",
        "3 members",
        "2 groups",
        "16384/16384 slots",
        "0-8191",
        "8192-16383",
        "300 B",
        "40 ms",
        "watching the cluster at epoch 5",
    ] {
        assert!(screen.contains(want), "{want:?} missing from\n{screen}");
    }
    assert!(screen.contains("0000000000"), "the slot bar shows group 0's half\n{screen}");
    assert!(screen.contains("1111111111"), "and group 1's\n{screen}");
    assert!(!screen.contains("NEW"), "{screen}");

    // A failover: the replica becomes primary at a new epoch, highlighted.
    app.apply(Update::Cluster(Box::new(cluster_snapshot(6, 2, 1))));
    // The selection (first row) off the new primary's row, to see its own colour.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    let (screen, terminal) = render(&app, 100, 24);
    for want in [
        "epoch 6",
        "2a2b3c4d NEW",
        "epoch 5 -> 6",
        "FAILOVER group 0: 2a2b3c4d (127.0.0.1:6002) is primary (was 1a2b3c4d",
    ] {
        assert!(screen.contains(want), "{want:?} missing from\n{screen}");
    }
    assert_eq!(color_of(&terminal, "2a2b3c4d NEW"), Color::Yellow);
    assert_eq!(color_of(&terminal, "FAILOVER"), Color::Yellow);
    // Without colour the new primary still stands out in words.
    app.color = false;
    let (screen, _) = render(&app, 100, 24);
    assert!(screen.contains("2a2b3c4d NEW"), "{screen}");
}
