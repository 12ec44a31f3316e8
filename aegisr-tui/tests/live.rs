//! End to end: the `aegisr-tui` binary in a pseudo-terminal (80x24) against a live
//! `aegisr-server`, read back through a terminal emulator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server binary next to ours in `target/<profile>/`, built with the workspace if
/// this test run has not got it.
fn server_binary() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_aegisr-tui")).parent().unwrap().to_path_buf();
    let path = dir.join(format!("aegisr-server{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut build = Command::new(env!("CARGO"));
        build.args(["build", "--workspace", "--bins"]).current_dir(workspace);
        if dir.ends_with("release") {
            build.arg("--release");
        }
        assert!(build.status().unwrap().success(), "cargo build --workspace failed");
    }
    path
}

struct Server {
    child: Child,
    resp: SocketAddr,
    grpc: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(server_binary())
        .args(["--port", "0", "--grpc-port", "0", "--metrics-port", "-1", "--threads", "1", "--dir"])
        .arg(dir.path())
        .env_remove("AEGISR_LOG")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut resp, mut grpc) = (None, None);
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(a) = line.split("RESP listening on ").nth(1) {
            resp = a.trim().parse().ok();
        }
        if let Some(a) = line.split("gRPC listening on ").nth(1) {
            grpc = a.trim().parse().ok();
        }
        if line.contains("Ready to accept connections") {
            break;
        }
    }
    Server { child, resp: resp.unwrap(), grpc: grpc.unwrap(), _dir: dir }
}

/// Sends RESP commands and reads one reply line each.
fn resp(addr: SocketAddr, commands: &[&[&str]]) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    for args in commands {
        let mut out = format!("*{}\r\n", args.len());
        for a in *args {
            out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        stream.write_all(out.as_bytes()).unwrap();
        let mut byte = [0u8; 1];
        let mut line = Vec::new();
        while !line.ends_with(b"\r\n") {
            stream.read_exact(&mut byte).unwrap();
            line.push(byte[0]);
        }
    }
}

/// Reads the pty into the emulator until the screen shows every one of `wanted` (30 s).
fn wait_for(session: &mut expectrl::Session, screen: &mut vt100::Parser, wanted: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut buf = [0u8; 8192];
    loop {
        let contents = screen.screen().contents();
        if wanted.iter().all(|w| contents.contains(w)) {
            return contents;
        }
        assert!(Instant::now() < deadline, "never saw {wanted:?}; screen:\n{contents}");
        match session.try_read(&mut buf) {
            Ok(0) => panic!("aegisr-tui exited; screen:\n{contents}"),
            Ok(n) => screen.process(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("reading the pty: {e}; screen:\n{contents}"),
        }
    }
}

#[test]
fn console_shows_a_live_node_and_a_dead_one() {
    let server = start_server();
    resp(
        server.resp,
        &[&["SET", "a", "1"], &["SET", "b", "2"], &["SET", "c", "3", "EX", "100"], &["CLIENT", "SETNAME", "x"]],
    );
    // A port with nothing listening: that node shows DOWN. On an address no other test binds,
    // so a server of a parallel test cannot take the freed port.
    let dead = std::net::TcpListener::bind("127.0.0.77:0").unwrap().local_addr().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_aegisr-tui"));
    command.args([server.grpc.to_string(), dead.to_string(), "--interval".into(), "200".into()]);
    command.env("TERM", "xterm-256color").env("NO_COLOR", "1");
    let mut session = expectrl::Session::spawn(command).unwrap();
    session.get_process_mut().set_window_size(80, 24).unwrap();
    let mut screen = vt100::Parser::new(24, 80, 0);

    let overview = wait_for(&mut session, &mut screen, &["role master", "keys 3", "DOWN", "UP", "1 Overview"]);
    assert!(overview.contains(&server.grpc.to_string()), "{overview}");

    session.send("2").unwrap();
    wait_for(&mut session, &mut screen, &["commands by calls", "set", "client|setname"]);
    session.send("5").unwrap();
    wait_for(&mut session, &mut screen, &["db0", "expiring"]);
    session.send("?").unwrap();
    wait_for(&mut session, &mut screen, &["kill the selected client"]);
    session.send("q").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while session.is_alive().unwrap() {
        assert!(Instant::now() < deadline, "q did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
}
