//! One-shot commands: from the command line (`-r N -i SECS` to repeat) or
//! from stdin, one per line with redis-cli's quoting rules.

use std::io::BufRead;
use std::time::Duration;

use aegisr_proto::Bytes;

use crate::connection::Connection;
use crate::docs::Docs;
use crate::output::{Output, Status};
use crate::split::{SplitError, split};

/// Runs `args` `repeat` times (forever when negative), `interval` apart.
pub(crate) async fn run_command(
    connection: &mut Connection,
    output: &Output,
    args: Vec<Vec<u8>>,
    repeat: i64,
    interval: Duration,
) -> Status {
    let mut status = Status::Ok;
    let mut done = 0i64;
    while repeat < 0 || done < repeat {
        if done > 0 && !interval.is_zero() {
            tokio::time::sleep(interval).await;
        }
        status = status.max(run_one(connection, output, &args).await);
        if status == Status::Failed {
            break;
        }
        done += 1;
    }
    status
}

/// Runs one command line's arguments: `help ...` locally, anything else on
/// the server.
pub(crate) async fn run_one(connection: &mut Connection, output: &Output, args: &[Vec<u8>]) -> Status {
    let Some(name) = args.first() else { return Status::Ok };
    if name.eq_ignore_ascii_case(b"help") || name.as_slice() == b"?" {
        let topic: Vec<String> = args[1..].iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        return match Docs::fetch(connection).await {
            Ok(docs) => {
                output.text(&docs.help(&topic));
                Status::Ok
            }
            Err(error) => {
                output.problem(&error.to_string());
                Status::Failed
            }
        };
    }
    let args = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
    match connection.execute(args).await {
        Ok(reply) => output.reply(&reply),
        Err(error) => {
            output.problem(&error.to_string());
            Status::Failed
        }
    }
}

/// Runs every line of stdin as a command; a quoted string may span lines.
/// Stops at the first connection failure; an error reply does not stop it.
pub(crate) async fn run_stdin(connection: &mut Connection, output: &Output, repeat: i64) -> Status {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock();
    let mut status = Status::Ok;
    let mut pending: Vec<u8> = Vec::new();
    let mut number = 0usize;
    // The line a (possibly multi-line) command started on, for messages.
    let mut first = 1usize;
    loop {
        let mut line = Vec::new();
        let read = match lines.read_until(b'\n', &mut line) {
            Ok(read) => read,
            Err(error) => {
                output.problem(&format!("aegisr-cli: cannot read stdin: {error}"));
                return Status::Failed;
            }
        };
        number += 1;
        if pending.is_empty() {
            first = number;
        }
        if read == 0 {
            if !pending.is_empty() {
                output.problem(&format!("line {first}: {}", SplitError::Unterminated));
                status = status.max(Status::Failed);
            }
            return status;
        }
        pending.extend_from_slice(&line);
        let text = pending.strip_suffix(b"\n").unwrap_or(&pending);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        let args = match split(text) {
            Ok(args) => args,
            // The quoted string goes on in the next line.
            Err(SplitError::Unterminated) => continue,
            Err(error) => {
                output.problem(&format!("line {first}: {error}"));
                status = status.max(Status::Failed);
                pending.clear();
                continue;
            }
        };
        pending.clear();
        if args.is_empty() {
            continue;
        }
        let ran = run_command(connection, output, args, repeat.max(1), Duration::ZERO).await;
        status = status.max(ran);
        if ran == Status::Failed {
            return status;
        }
    }
}
