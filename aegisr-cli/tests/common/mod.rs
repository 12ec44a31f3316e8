//! Test harness: starts the real `aegisr-server` binary on free loopback ports and runs the
//! real `aegisr-cli` binary against its gRPC port.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The `aegisr-server` binary of this build: next to the test executable's `deps/`
/// directory. `cargo test --workspace` builds it (the server's own tests need it); when it
/// is missing (e.g. `cargo test -p aegisr-cli` on a fresh target) it is built here.
pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let binary = profile_dir.join(format!("aegisr-server{}", std::env::consts::EXE_SUFFIX));
    // One build for all the tests of this process that get here at once.
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = BUILD.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !binary.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--workspace", "--bins"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build of aegisr-server failed");
    }
    assert!(binary.exists(), "{} not found", binary.display());
    binary
}

/// A running server process, killed when dropped.
pub struct TestServer {
    child: Child,
    pub grpc: SocketAddr,
    pub resp: SocketAddr,
    /// The cluster bus, in cluster mode (`--cluster`, `--join`).
    pub cluster: Option<SocketAddr>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts the server on free ports; waits (30 s at most) until it is ready.
    pub fn start() -> TestServer {
        TestServer::start_on(0)
    }

    /// Starts the server with its gRPC door on `grpc_port` (0: a free port).
    pub fn start_on(grpc_port: u16) -> TestServer {
        TestServer::start_with(grpc_port, &[])
    }

    /// Starts the server with `extra` options (e.g. `--cluster`), its gRPC door on
    /// `grpc_port` (0: a free port).
    pub fn start_with(grpc_port: u16, extra: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(server_binary())
            .args(["--port", "0", "--threads", "2", "--grpc-port", &grpc_port.to_string(), "--dir"])
            .arg(dir.path())
            .args(extra)
            .env_remove("AEGISR_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn aegisr-server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let (mut resp, mut grpc, mut cluster) = (None, None, None);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).expect("server did not become ready within 30 s");
            if let Some(addr) = line.split("RESP listening on ").nth(1) {
                resp = resp.or(addr.trim().parse().ok());
            }
            if let Some(addr) = line.split("gRPC listening on ").nth(1) {
                grpc = grpc.or(addr.trim().parse().ok());
            }
            if let Some(addr) = line.split("cluster bus listening on ").nth(1) {
                cluster = cluster.or(addr.trim().parse().ok());
            }
            if line.contains("Ready to accept connections") {
                break;
            }
        }
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || while rx.recv().is_ok() {});
        TestServer { child, grpc: grpc.expect("gRPC address"), resp: resp.expect("RESP address"), cluster, _dir: dir }
    }

    /// `aegisr-cli -p <grpc port>` followed by `args`, ready to run.
    pub fn cli(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_aegisr-cli"));
        command.args(["-p", &self.grpc.port().to_string()]).env_remove("NO_COLOR").env("AEGISR_CLI_HISTFILE", "");
        command.env_remove("AEGISR_CLI_HOST").env_remove("AEGISR_CLI_PORT");
        command
    }

    /// Runs the CLI with `args` and empty stdin.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cli().args(args).stdin(Stdio::null()).output().expect("run aegisr-cli")
    }

    /// Runs the CLI with `args`, feeding `input` on stdin.
    pub fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .cli()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn aegisr-cli");
        child.stdin.take().expect("stdin").write_all(input).expect("write stdin");
        child.wait_with_output().expect("wait aegisr-cli")
    }

    /// Waits (20 s at most) for the server process to exit.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not exit within 20 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
