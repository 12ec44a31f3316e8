//! Test harness: starts the real `aegisr-server` binary on free loopback ports and hands out
//! real clients (the `redis` crate, raw TCP, the gRPC client).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod partition;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running server process, killed when dropped.
pub struct TestServer {
    child: Child,
    pub resp: SocketAddr,
    pub grpc: SocketAddr,
    /// The HTTP /metrics endpoint (on a free port unless the flags say otherwise).
    pub metrics: Option<SocketAddr>,
    /// The cluster bus, in cluster mode (`--cluster`, `--join`).
    pub cluster: Option<SocketAddr>,
    /// Log lines the server printed (stdout), collected in the background.
    pub log: mpsc::Receiver<String>,
    /// What the server printed up to "Ready to accept connections" (recovery's messages).
    pub startup_log: Vec<String>,
    /// The data directory, removed with the server unless the test owns it (`start_in`).
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(&[])
    }

    /// Starts a server that takes DEBUG (`enable-debug-command yes`, which only a
    /// configuration file can set), with extra flags. Keep the directory while it runs.
    #[allow(dead_code)]
    pub fn start_with_debug(args: &[&str]) -> (TestServer, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("aegisr.toml");
        std::fs::write(&path, "enable-debug-command = \"yes\"\n").expect("config file");
        let path = path.to_str().expect("UTF-8 path").to_owned();
        let args: Vec<&str> = ["--config", path.as_str()].into_iter().chain(args.iter().copied()).collect();
        (TestServer::start_with(&args), dir)
    }

    /// Starts the server with extra flags; waits (30 s at most) until it is ready.
    pub fn start_with(args: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().to_path_buf();
        TestServer::launch(Some(dir), &path, args)
    }

    /// Starts the server on a data directory the test keeps (to restart on it).
    pub fn start_in(dir: &std::path::Path, args: &[&str]) -> TestServer {
        TestServer::launch(None, dir, args)
    }

    /// Runs the server on `dir` expecting it to refuse to start: its exit status and
    /// everything it printed (30 s at most).
    pub fn start_failing(dir: &std::path::Path, args: &[&str]) -> (std::process::ExitStatus, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aegisr-server"))
            .args(["--port", "0", "--grpc-port", "0", "--metrics-port", "-1", "--dir"])
            .arg(dir)
            .args(args)
            .env_remove("AEGISR_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn aegisr-server");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                let mut text = String::new();
                child.stdout.take().expect("stdout").read_to_string(&mut text).expect("read stdout");
                child.stderr.take().expect("stderr").read_to_string(&mut text).expect("read stderr");
                return (status, text);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the server did not exit within 30 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process with SIGKILL (no chance to flush anything) and reaps it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn launch(owned: Option<tempfile::TempDir>, dir: &std::path::Path, args: &[&str]) -> TestServer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aegisr-server"))
            .args(["--port", "0", "--grpc-port", "0", "--metrics-port", "0", "--threads", "2", "--dir"])
            .arg(dir)
            .args(args)
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
        let (mut resp, mut grpc, mut metrics, mut cluster) = (None, None, None, None);
        let mut startup_log = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).expect("server did not become ready within 30 s");
            startup_log.push(line.clone());
            if let Some(addr) = line.split("RESP listening on ").nth(1) {
                resp = resp.or(addr.trim().parse().ok());
            }
            if let Some(addr) = line.split("gRPC listening on ").nth(1) {
                grpc = grpc.or(addr.trim().parse().ok());
            }
            if let Some(addr) = line.split("metrics listening on ").nth(1) {
                metrics = metrics.or(addr.trim().parse().ok());
            }
            if let Some(addr) = line.split("cluster bus listening on ").nth(1) {
                cluster = cluster.or(addr.trim().parse().ok());
            }
            if line.contains("Ready to accept connections") {
                break;
            }
        }
        TestServer {
            child,
            resp: resp.expect("RESP address"),
            grpc: grpc.expect("gRPC address"),
            metrics,
            cluster,
            log: rx,
            startup_log,
            _dir: owned,
        }
    }

    pub fn url(&self) -> String {
        format!("redis://{}/", self.resp)
    }

    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url()).expect("client")
    }

    /// A client speaking RESP3 (HELLO 3 on connect).
    pub fn client_resp3(&self) -> redis::Client {
        redis::Client::open(format!("{}?protocol=resp3", self.url())).expect("client")
    }

    pub async fn conn(&self) -> redis::aio::MultiplexedConnection {
        connect(&self.client()).await
    }

    /// A blocking connection, for tests that do not need async.
    pub fn sync_conn(&self) -> redis::Connection {
        self.client().get_connection().expect("connect")
    }

    /// A raw TCP connection, for protocol-level tests.
    pub fn raw(&self) -> RawConn {
        let stream = TcpStream::connect(self.resp).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        RawConn { stream }
    }

    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit (deadline 20 s) and returns its status.
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

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// A raw connection switched to RESP3 (the HELLO reply skipped).
    pub fn raw_resp3(&self) -> RawConn {
        let mut raw = self.raw();
        raw.command(&[b"HELLO", b"3"]);
        raw.command(&[b"PING"]);
        while raw.read_line() != "+PONG\r\n" {}
        raw
    }

    /// Runs `redis-cli` against this server, if it is installed; `None` otherwise.
    pub fn redis_cli(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("redis-cli")
            .args(["-h", &self.resp.ip().to_string(), "-p", &self.resp.port().to_string()])
            .args(args)
            .output()
            .ok()?;
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Opens a multiplexed connection with generous timeouts: a loaded 2-core CI machine can
/// be slower than the redis crate's defaults.
pub async fn connect(client: &redis::Client) -> redis::aio::MultiplexedConnection {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(20)))
        .set_response_timeout(Some(Duration::from_secs(20)));
    client.get_multiplexed_async_connection_with_config(&config).await.expect("connect")
}

/// A raw socket to the RESP port.
pub struct RawConn {
    pub stream: TcpStream,
}

impl RawConn {
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Reads until `want` bytes have arrived or the peer closes (10 s timeout).
    pub fn read_exact_len(&mut self, want: usize) -> Vec<u8> {
        let mut buf = vec![0u8; want];
        let mut got = 0;
        while got < want {
            match self.stream.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) => panic!("read failed after {got} bytes: {e}"),
            }
        }
        buf.truncate(got);
        buf
    }

    /// Reads one reply line (through `\r\n`).
    pub fn read_line(&mut self) -> String {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            match self.stream.read(&mut byte) {
                Ok(0) => break,
                Ok(_) => line.push(byte[0]),
                Err(e) => panic!("read failed: {e}"),
            }
        }
        String::from_utf8_lossy(&line).into_owned()
    }

    /// Whether the server closed the connection (reads EOF within 10 s).
    pub fn is_closed(&mut self) -> bool {
        let mut buf = [0u8; 256];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
    }

    /// Sends a command and checks the raw reply bytes.
    pub fn expect(&mut self, args: &[&str], expected: &str) {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.command(&args);
        let got = self.read_exact_len(expected.len());
        assert_eq!(String::from_utf8_lossy(&got), expected, "{args:?}");
    }

    /// Sends a command as a RESP multibulk.
    pub fn command(&mut self, args: &[&[u8]]) {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.send(&out);
    }
}

/// A command from its words, name first.
pub fn command(args: &[&str]) -> redis::Cmd {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd
}

/// Runs a command that must succeed and returns its reply.
pub fn run<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&str]) -> T {
    command(args).query(con).unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

/// Runs a command that must fail; returns the error as the server wrote it (`ERR ...`).
pub fn fail(con: &mut redis::Connection, args: &[&str]) -> String {
    match command(args).query::<redis::Value>(con) {
        Ok(v) => panic!("{args:?} succeeded with {v:?}"),
        Err(e) => format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or("")).trim_end().to_owned(),
    }
}

pub fn set(con: &mut redis::Connection, key: &str, value: &str) {
    run::<()>(con, &["SET", key, value]);
}

pub fn get(con: &mut redis::Connection, key: &str) -> Option<String> {
    run(con, &["GET", key])
}

/// Wall-clock Unix milliseconds, which the server on this machine shares.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Polls `check` until it is true or `timeout` passes; returns whether it became true.
pub fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `GET x` on `conn` until it is answered BUSY (a script has run past
/// busy-reply-threshold), within 10 s; returns the last reply line.
pub fn wait_for_busy(conn: &mut RawConn) -> String {
    let mut last = String::new();
    let busy = wait_until(Duration::from_secs(10), || {
        conn.command(&[b"GET", b"x"]);
        last = conn.read_line();
        last.starts_with("-BUSY")
    });
    assert!(busy, "no BUSY reply: {last}");
    last
}

/// How many nodes a cluster node knows (`CLUSTER NODES` lines; 0 if it cannot answer).
pub fn members(node: &TestServer) -> usize {
    redis::cmd("CLUSTER").arg("NODES").query::<String>(&mut node.sync_conn()).map_or(0, |n| n.lines().count())
}

/// The node's `ROLE` ("master", "slave"), or what it answered instead.
pub fn role(node: &TestServer) -> String {
    match redis::cmd("ROLE").query::<redis::Value>(&mut node.sync_conn()) {
        Ok(redis::Value::Array(r)) => match r.first() {
            Some(redis::Value::BulkString(b)) => String::from_utf8_lossy(b).into_owned(),
            other => format!("{other:?}"),
        },
        other => format!("{other:?}"),
    }
}

/// A real Redis (`redis-server`, of the package `.ci/run` installs) on a free
/// loopback port, memory only unless `args` say otherwise; stopped on drop.
#[allow(dead_code)]
pub struct RealRedis {
    child: std::process::Child,
    pub port: u16,
    /// Its working directory: a replica writes the RDB file it receives there.
    _dir: tempfile::TempDir,
}

#[allow(dead_code)]
impl RealRedis {
    pub fn start(args: &[&str]) -> RealRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let dir = tempfile::tempdir().expect("temp dir");
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (package redis-server)");
        let redis = RealRedis { child, port, _dir: dir };
        let client = redis.client();
        assert!(
            wait_until(Duration::from_secs(20), || client
                .get_connection()
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
                .is_ok()),
            "redis-server did not start"
        );
        redis
    }

    pub fn client(&self) -> redis::Client {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("client")
    }

    pub fn conn(&self) -> redis::Connection {
        self.client().get_connection().expect("connect to redis-server")
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
