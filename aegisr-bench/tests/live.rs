//! End-to-end: the built `aegisr-bench` binary against a live `aegisr-server` on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

/// `<workspace>/target/<profile>/`, where cargo put this bench binary and the server's.
fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_aegisr-bench")).parent().unwrap().to_path_buf()
}

/// The server binary, built once (with the whole workspace) if this test run has not got it.
fn server_binary() -> &'static Path {
    static SERVER: OnceLock<PathBuf> = OnceLock::new();
    SERVER.get_or_init(|| {
        let path = bin_dir().join(format!("aegisr-server{}", std::env::consts::EXE_SUFFIX));
        if !path.exists() {
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
            let release = bin_dir().ends_with("release");
            let mut build = Command::new(env!("CARGO"));
            build.args(["build", "--workspace", "--bins"]).current_dir(workspace);
            if release {
                build.arg("--release");
            }
            let status = build.status().expect("run cargo build");
            assert!(status.success(), "cargo build --workspace failed");
        }
        assert!(path.exists(), "{} missing after build", path.display());
        path
    })
}

/// A running server, killed when dropped.
struct Server {
    child: Child,
    resp: SocketAddr,
    grpc: SocketAddr,
    /// The cluster bus, in cluster mode.
    cluster: Option<SocketAddr>,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        Server::start_with(&[])
    }

    /// Starts a server with `extra` options (e.g. `--cluster`).
    fn start_with(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(server_binary())
            .args(["--port", "0", "--grpc-port", "0", "--metrics-port", "-1", "--threads", "1", "--dir"])
            .arg(dir.path())
            .args(extra)
            .env_remove("AEGISR_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn aegisr-server");
        let stdout = child.stdout.take().unwrap();
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
        Server { child, resp: resp.unwrap(), grpc: grpc.unwrap(), cluster, _dir: dir }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `field` from `INFO section` over a fresh connection.
fn info_field(addr: SocketAddr, section: &str, field: &str) -> Option<u64> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = format!("*2\r\n$4\r\nINFO\r\n${}\r\n{section}\r\n", section.len());
    stream.write_all(request.as_bytes()).ok()?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    // A bulk string: read until its final CRLF after the header line.
    loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&reply);
        if let Some((header, body)) = text.split_once("\r\n") {
            let len: usize = header.trim_start_matches('$').parse().ok()?;
            if body.len() >= len + 2 {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&reply);
    text.lines().find_map(|line| line.strip_prefix(&format!("{field}:"))).and_then(|v| v.trim().parse().ok())
}

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aegisr-bench")).args(args).arg("--quiet").output().expect("run aegisr-bench")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "bench failed: {}", stderr(out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn resp_counts_add_up_and_json_is_well_formed() {
    let server = Server::start();
    let port = server.resp.port().to_string();
    let out = bench(&[
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-n",
        "5000",
        "-c",
        "4",
        "--threads",
        "2",
        "-P",
        "3",
        "--ratio",
        "set:get=1:4",
        "--keyspace",
        "500",
        "--json",
    ]);
    let v = json(&out);
    assert_eq!(v["total"]["ops"], 5000);
    assert_eq!(v["total"]["errors"], 0);
    assert_eq!(v["commands"][0]["command"], "SET");
    assert_eq!(v["commands"][1]["command"], "GET");
    let (set, get) = (v["commands"][0]["ops"].as_u64().unwrap(), v["commands"][1]["ops"].as_u64().unwrap());
    assert_eq!(set + get, 5000);
    // Exact per client cycle of 5, give or take one cycle per connection.
    assert!((990..=1010).contains(&set), "SET {set} GET {get}");
    assert!(v["total"]["ops_per_sec"].as_f64().unwrap() > 0.0);
    let p50 = v["total"]["p50_ms"].as_f64().unwrap();
    let p99 = v["total"]["p99_ms"].as_f64().unwrap();
    let max = v["total"]["max_ms"].as_f64().unwrap();
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{v}");
    assert!(v["error"].is_null());
    assert_eq!(v["config"]["threads"], 2);
}

#[test]
fn templates_prefill_duration_csv_and_hdr_log() {
    let server = Server::start();
    let port = server.resp.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("lat.hlog");
    let out = bench(&[
        "-p",
        &port,
        "--test-time",
        "1",
        "--command",
        "SET __key__ __data__",
        "--command",
        "APPEND __key__ x",
        "--command-ratio",
        "1",
        "--command-ratio",
        "2",
        "--key-pattern",
        "zipf",
        "--keyspace",
        "100",
        "--data-size-range",
        "4-64",
        "--prefill",
        "--warmup",
        "200ms",
        "--csv",
        "--hdr-log",
        log.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "command,ops,errors,ops_per_sec,mean_ms,p50_ms,p90_ms,p99_ms,p999_ms,max_ms");
    let ops = |line: &str| line.split(',').nth(1).unwrap().parse::<u64>().unwrap();
    assert!(lines[1].starts_with("SET,") && lines[2].starts_with("APPEND,") && lines[3].starts_with("ALL,"), "{csv}");
    assert_eq!(ops(lines[1]) + ops(lines[2]), ops(lines[3]));
    assert!(ops(lines[3]) > 0);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("Tag=SET,") && text.contains("Tag=APPEND,"), "{text}");
}

#[test]
fn grpc_execute_and_pipeline() {
    let server = Server::start();
    let port = server.grpc.port().to_string();
    for pipeline in ["1", "4"] {
        let out = bench(&["--protocol", "grpc", "-p", &port, "-n", "200", "-c", "2", "-P", pipeline, "--json"]);
        let v = json(&out);
        assert_eq!(v["total"]["ops"], 200, "pipeline {pipeline}");
        assert_eq!(v["total"]["errors"], 0);
        assert_eq!(v["config"]["protocol"], "grpc");
    }
}

#[test]
fn open_loop_rate_holds() {
    let server = Server::start();
    let port = server.resp.port().to_string();
    let out = bench(&["-p", &port, "--rate", "2000", "--test-time", "1", "-c", "4", "--command", "PING", "--json"]);
    let v = json(&out);
    let ops = v["total"]["ops"].as_u64().unwrap();
    assert!((1800..=2010).contains(&ops), "{ops} requests at 2000/s for 1 s");
}

#[test]
fn compare_prints_ratios() {
    let a = Server::start();
    let b = Server::start();
    let (pa, pb) = (a.resp.port().to_string(), format!("127.0.0.1:{}", b.resp.port()));
    let out = bench(&["-p", &pa, "--compare", &pb, "--rounds", "2", "-n", "500", "-c", "2", "--json"]);
    let v = json(&out);
    assert_eq!(v["a"]["total"]["ops"], 1000);
    assert_eq!(v["b"]["total"]["ops"], 1000);
    let ratios = v["ratios"].as_array().unwrap();
    assert_eq!(ratios[0]["metric"], "ALL ops/s");
    assert!(ratios[0]["ratio"].as_f64().unwrap() > 0.0);
    // Each completed round is kept, and the median ratio is of the per-round medians.
    let per_round = &v["per_round"];
    assert_eq!(per_round["a_ops_per_sec"].as_array().unwrap().len(), 2);
    assert_eq!(per_round["b_ops_per_sec"].as_array().unwrap().len(), 2);
    assert_eq!(per_round["a_p99_ms"].as_array().unwrap().len(), 2);
    let (a_median, b_median) =
        (per_round["a_median_ops_per_sec"].as_f64().unwrap(), per_round["b_median_ops_per_sec"].as_f64().unwrap());
    assert!(a_median > 0.0 && b_median > 0.0);
    assert!((per_round["median_ops_ratio"].as_f64().unwrap() - b_median / a_median).abs() < 1e-9);
}

#[test]
fn closed_port_fails_cleanly() {
    let port = {
        // On an address no other test binds: a server of a parallel test cannot take the port.
        let listener = std::net::TcpListener::bind("127.0.0.77:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    for protocol in ["resp", "grpc"] {
        let out = bench(&["-h", "127.0.0.77", "-p", &port.to_string(), "--protocol", protocol, "-n", "10"]);
        assert_eq!(out.status.code(), Some(1), "{protocol}");
        let err = stderr(&out);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("cannot connect to 127.0.0.77:"), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_bench_quietly() {
    let server = Server::start();
    let port = server.resp.port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_aegisr-bench"))
        .args(["-p", &port, "-n", "2000", "-c", "2", "--json", "--quiet"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run aegisr-bench");
    // `aegisr-bench ... | head -c 0`: the reader is gone before the results are written.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for aegisr-bench");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn bad_workloads_fail_cleanly() {
    let server = Server::start();
    let port = server.resp.port().to_string();
    let out = bench(&["-p", &port, "-n", "10", "--command", "NOSUCHCMD __key__"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("NOSUCHCMD") && err.to_lowercase().contains("unknown command"), "{err}");
    let out = bench(&["-p", &port, "-n", "10", "-a", "wrong"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("authentication to"), "{}", stderr(&out));
    // A usage error is clap's exit code 2.
    let out = bench(&["-p", &port, "--ratio", "set:get=1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("invalid ratio"), "{}", stderr(&out));
    let out = bench(&["--requests", "10", "--test-time", "1"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn server_closing_mid_run_reports_partial_results() {
    let mut server = Server::start();
    let port = server.resp.port().to_string();
    let child = Command::new(env!("CARGO_BIN_EXE_aegisr-bench"))
        .args(["-p", &port, "--test-time", "20", "-c", "2", "--command", "PING", "--json", "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill the server once the bench is well into its run; the bench must notice, print what
    // it measured and exit 1 well before its 20 s are up.
    let deadline = Instant::now() + Duration::from_secs(15);
    while info_field(server.resp, "stats", "total_commands_processed").unwrap_or(0) < 2000 {
        assert!(Instant::now() < deadline, "bench did not get going");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("lost") || err.contains("closed"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["total"]["ops"].as_u64().unwrap() > 0);
    assert!(v["error"].is_string());
}

/// Two nodes, `--replicas 0`: once the second has formed its group and taken half the
/// slots, both protocols spread requests over both primaries without errors.
#[test]
fn cluster_mode_routes_by_slot_to_every_primary() {
    let first = Server::start_with(&["--cluster", "--cluster-port", "0", "--replicas", "0"]);
    let bus = first.cluster.unwrap().to_string();
    let second = Server::start_with(&["--join", &bus, "--cluster-port", "0", "--replicas", "0"]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let split = runtime.block_on(async {
        let mut admin = aegisr_proto::Client::connect(first.grpc.to_string()).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let status = admin.cluster_status().await.unwrap();
            if status.groups.len() == 2 && status.groups.iter().all(|g| g.slot_count == 8192) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    });
    assert!(split, "the second group takes half the slots");
    for (protocol, port, nodes) in [
        ("resp", first.resp.port(), [first.resp.to_string(), second.resp.to_string()]),
        ("grpc", first.grpc.port(), [first.grpc.to_string(), second.grpc.to_string()]),
    ] {
        let port = port.to_string();
        let out = bench(&[
            "--cluster",
            "--protocol",
            protocol,
            "-p",
            &port,
            "-n",
            "2000",
            "-c",
            "4",
            "-P",
            "8",
            "-r",
            "1000",
            "--json",
        ]);
        let report = json(&out);
        assert_eq!(report["total"]["ops"], 2000, "{protocol}: {report}");
        assert_eq!(report["total"]["errors"], 0, "{protocol}: {report}");
        let counts = &report["nodes"];
        let sum: u64 = nodes.iter().map(|n| counts[n].as_u64().unwrap_or(0)).sum();
        assert_eq!(sum, 2000, "{protocol}: every request counted at a primary: {counts}");
        assert!(nodes.iter().all(|n| counts[n].as_u64().unwrap_or(0) > 500), "{protocol}: both answer: {counts}");
    }
    let out = bench(&["--cluster", "-p", &second.resp.port().to_string(), "-n", "200", "-r", "100"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("requests per node:"), "{text}");
    // A server outside cluster mode is refused with one line.
    let plain = Server::start();
    let out = bench(&["--cluster", "-p", &plain.resp.port().to_string(), "-n", "10"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("cluster"), "{}", stderr(&out));
}
