#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Drives the interactive REPL through a pseudo-terminal.

mod common;

use common::TestServer;

#[test]
fn repl_completes_runs_and_exits_on_ctrl_d() {
    let server = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let history = home.path().join("history");
    let mut command = server.cli();
    command.env("NO_COLOR", "1").env("TERM", "xterm").env("HOME", home.path()).env("AEGISR_CLI_HISTFILE", &history);
    let mut repl = rexpect::session::spawn_command(command, Some(20_000)).unwrap();
    // A standalone node is a master, as INFO replication says.
    let prompt = format!("127.0.0.1:{} (master)> ", server.grpc.port());
    repl.exp_string(&prompt).unwrap();

    repl.send_line("set greeting \"hello world\"").unwrap();
    repl.exp_string("OK").unwrap();
    repl.exp_string(&prompt).unwrap();

    // Tab completes the only command starting with `getr`, in the case typed.
    repl.send("getr").unwrap();
    repl.send("\t").unwrap();
    repl.flush().unwrap();
    repl.exp_string("getrange ").unwrap();
    repl.send_line("greeting 0 4").unwrap();
    repl.exp_string("\"hello\"").unwrap();
    repl.exp_string(&prompt).unwrap();

    // SELECT shows in the prompt; help comes from the server's table.
    repl.send_line("select 2").unwrap();
    repl.exp_string(&format!("127.0.0.1:{}[2] (master)> ", server.grpc.port())).unwrap();
    repl.send_line("help lpush").unwrap();
    repl.exp_string("LPUSH key element [element ...]").unwrap();
    repl.send_line("lrange nolist 0 -1").unwrap();
    repl.exp_string("(empty array)").unwrap();

    repl.send_control('d').unwrap();
    repl.exp_eof().unwrap();
    let saved = std::fs::read_to_string(&history).unwrap();
    assert!(saved.contains("set greeting \"hello world\"") && saved.contains("select 2"), "{saved}");
}

#[test]
fn repl_reports_a_lost_server_and_reconnects_on_the_next_command() {
    let server = TestServer::start();
    let port = server.grpc.port();
    let mut command = server.cli();
    command.env("NO_COLOR", "1").env("TERM", "xterm").args(["-n", "1"]);
    let mut repl = rexpect::session::spawn_command(command, Some(20_000)).unwrap();
    let prompt = format!("127.0.0.1:{port}[1] (master)> ");
    repl.exp_string(&prompt).unwrap();
    repl.send_line("set k before").unwrap();
    repl.exp_string("OK").unwrap();
    repl.exp_string(&prompt).unwrap();

    drop(server);
    repl.send_line("get k").unwrap();
    repl.exp_string(&format!("127.0.0.1:{port}")).unwrap();
    repl.exp_string("The next command reconnects").unwrap();
    repl.exp_string("not connected> ").unwrap();

    // A new server on the same port: the next command reconnects and re-selects db 1.
    let server = TestServer::start_on(port);
    repl.send_line("set k after").unwrap();
    repl.exp_string("OK").unwrap();
    repl.exp_string(&prompt).unwrap();
    repl.send_line("get k").unwrap();
    repl.exp_string("\"after\"").unwrap();
    repl.send_control('d').unwrap();
    repl.exp_eof().unwrap();
    assert_eq!(common::stdout(&server.run(&["-n", "1", "get", "k"])), "after\n", "written in db 1");
}
