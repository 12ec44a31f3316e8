//! aegisr-cli, Aegisr's command-line client, speaking gRPC (`aegisr.v1`).
//!
//! - With no command on a terminal: an interactive REPL (`repl`) with completion and
//!   hints from the server's `COMMAND DOCS`, history and `help`.
//! - One-shot: `aegisr-cli [-h HOST] [-p PORT] [-n DB] COMMAND ARGS...`, or one command
//!   per line from stdin (`oneshot`).
//! - Operator subcommands (`ops`): `info`, `stat`, `latency`, `bigkeys`, `memkeys`,
//!   `scan`, `subscribe`, `backup`, `restore`, `cluster ...`, `shutdown`. A first word that names one, in
//!   lower case, is that subcommand; anything else (or anything after `--`) is a server command.
//!
//! Every command runs on one session (`connection`): a `Data.Pipeline` stream, so
//! SELECT, MULTI/EXEC and WATCH behave as on a redis-cli connection. Replies are printed
//! by `render` in redis-cli's layout, `--raw`, `--csv` or `--json`.
//!
//! The library's public surface is [`run`] (the binary's `main`) and [`command`] (the
//! clap definition, for man pages and completions).

mod args;
mod connection;
mod docs;
mod oneshot;
mod ops;
mod output;
mod render;
mod repl;
mod split;
mod table;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};

use args::Cli;
use connection::Connection;
use output::Output;

/// The clap definition of `aegisr-cli`, for man pages and shell completions.
pub fn command() -> clap::Command {
    Cli::command()
}

/// When a usage error involves a word that is both an operator subcommand and a server
/// command (`aegisr-cli latency doctor`), how to send the server command instead.
fn clash_tip(args: &[String]) -> Option<String> {
    let command = Cli::command();
    let word = args.iter().find(|a| command.get_subcommands().any(|s| s.get_name() == a.as_str()))?;
    Some(format!(
        "tip: `{word}` is aegisr-cli's operator subcommand; to send the server's {upper} command, write it in \
         upper case (`aegisr-cli {upper} ...`) or after `--` (`aegisr-cli -- {word} ...`).",
        upper = word.to_uppercase()
    ))
}

/// Parses the process arguments and runs: the REPL, a one-shot command, commands from
/// stdin, or an operator subcommand. Returns the process exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            if !error.use_stderr() {
                return ExitCode::SUCCESS;
            }
            let args: Vec<String> = std::env::args().skip(1).collect();
            if let Some(tip) = clash_tip(&args) {
                eprintln!("{tip}");
            }
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("aegisr-cli: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let output = Output::new(&cli.global);
    let timeout = Duration::try_from_secs_f64(cli.global.timeout).unwrap_or(Duration::from_secs(5));
    let mut connection = Connection::new(&cli.global.host, cli.global.port, cli.global.db, timeout);
    if let Some(pass) = &cli.global.pass {
        connection.set_credentials(cli.global.user.clone(), pass.clone());
    }
    let status = if let Some(op) = cli.op {
        runtime.block_on(ops::run(op, &mut connection, &output))
    } else if !cli.command.is_empty() {
        let args = cli.command.iter().map(|a| a.as_encoded_bytes().to_vec()).collect();
        let interval = Duration::try_from_secs_f64(cli.interval).unwrap_or_default();
        runtime.block_on(oneshot::run_command(&mut connection, &output, args, cli.repeat, interval))
    } else if std::io::stdin().is_terminal() {
        repl::run(&runtime, &mut connection, &output)
    } else {
        runtime.block_on(oneshot::run_stdin(&mut connection, &output, cli.repeat))
    };
    status.exit_code()
}
