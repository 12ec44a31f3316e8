//! Start-up and shutdown of the real binary: flags, config file, SIGTERM, SHUTDOWN.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::{TestServer, wait_until};

#[test]
fn sigterm_exits_cleanly() {
    let mut server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(redis::cmd("PING").query::<String>(&mut con).unwrap(), "PONG");
    let killed = Command::new("kill").arg("-TERM").arg(server.pid().to_string()).status().unwrap();
    assert!(killed.success());
    let status = server.wait_exit();
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn shutdown_command_exits_cleanly_without_a_reply() {
    let mut server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"SET k v\r\nSHUTDOWN NOSAVE\r\n");
    assert_eq!(raw.read_line(), "+OK\r\n", "replies before SHUTDOWN are written");
    assert!(raw.is_closed());
    let status = server.wait_exit();
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn shutdown_rejects_bad_options() {
    let mut server = TestServer::start();
    let mut con = server.sync_conn();
    let err = redis::cmd("SHUTDOWN").arg("SAVE").arg("NOSAVE").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("syntax error"), "{err}");
    let err = redis::cmd("SHUTDOWN").arg("ABORT").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("No shutdown in progress."), "{err}");
    assert!(server.is_running());
}

#[test]
fn config_file_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aegisr.toml");
    std::fs::write(&path, "hz = 25\nmaxclients = 77\ndatabases = 4\n").unwrap();
    let server = TestServer::start_with(&["--config", path.to_str().unwrap(), "--maxclients", "88"]);
    let mut con = server.sync_conn();
    let got: Vec<String> =
        redis::cmd("CONFIG").arg("GET").arg("hz").arg("maxclients").arg("databases").query(&mut con).unwrap();
    assert_eq!(got, ["databases", "4", "hz", "25", "maxclients", "88"]);
    let err = redis::cmd("SELECT").arg(4).query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("DB index is out of range"));
}

#[test]
fn bad_configuration_is_explained_in_one_line() {
    let out =
        Command::new(env!("CARGO_BIN_EXE_aegisr-server")).args(["--port", "0", "--maxclients", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "aegisr-server: option 'maxclients': argument must be between 1 and 4294967295 inclusive"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_aegisr-server"))
        .args(["--config", "/nonexistent/aegisr.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read config file /nonexistent/aegisr.toml"));
    let out = Command::new(env!("CARGO_BIN_EXE_aegisr-server")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--bind", "--port", "--grpc-port", "--dir", "--threads", "--maxclients", "--config"] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    let server = TestServer::start_with(&["--timeout", "1"]);
    let mut raw = server.raw();
    raw.send(b"PING\r\n");
    assert_eq!(raw.read_line(), "+PONG\r\n");
    let started = std::time::Instant::now();
    assert!(raw.is_closed());
    assert!(started.elapsed() >= Duration::from_millis(900));
    let mut con = server.sync_conn();
    assert!(wait_until(Duration::from_secs(5), || redis::cmd("PING").query::<String>(&mut con).is_ok()));
}

#[test]
fn log_format_json_prints_one_json_object_per_line() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aegisr-server"))
        .args(["--port", "0", "--grpc-port", "0", "--metrics-port", "-1", "--log-format", "json", "--dir"])
        .arg(dir.path())
        .env_remove("AEGISR_LOG")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut messages = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let object: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(object["timestamp"].is_string() && object["level"].is_string(), "{line}");
        let message = object["fields"]["message"].as_str().unwrap_or_default().to_owned();
        let ready = message.contains("Ready to accept connections");
        messages.push(message);
        if ready {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(messages.iter().any(|m| m.starts_with("RESP listening on ")), "{messages:?}");
}
