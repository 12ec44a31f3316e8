//! Operator subcommands: `info`, `stat`, `latency`, `bigkeys`, `memkeys`,
//! `scan`, `monitor`, `subscribe`, `backup`, `restore`, `shutdown`.

mod backup;
mod info;
mod keys;
mod latency;
mod monitor;
mod scan;
mod stat;
mod subscribe;

use std::time::Duration;

use crate::args::Op;
use crate::connection::Connection;
use crate::output::{Output, Status};

/// Runs one operator subcommand.
pub(crate) async fn run(op: Op, connection: &mut Connection, output: &Output) -> Status {
    let result = match op {
        Op::Info { sections } => info::run(connection, output, &sections).await,
        Op::Stat { count, every } => stat::run(connection, output, count, seconds(every, 1.0)).await,
        Op::Latency { count, pause_ms } => {
            latency::run(connection, output, count, Duration::from_millis(pause_ms)).await
        }
        Op::Bigkeys(opts) => keys::run(connection, output, &opts, keys::Measure::Length).await,
        Op::Memkeys(opts) => keys::run(connection, output, &opts, keys::Measure::Memory).await,
        Op::Scan { opts, key_type } => scan::run(connection, output, &opts, key_type.as_deref()).await,
        Op::Monitor { count } => monitor::run(connection, output, count).await,
        Op::Subscribe { channels, patterns, shard_channels, count } => {
            let request = aegisr_proto::v1::SubscribeRequest { channels, patterns, shard_channels };
            subscribe::run(connection, output, request, count).await
        }
        Op::Backup { file, force } => backup::backup(connection, output, &file, force).await,
        Op::Restore { file, merge, yes } => backup::restore(connection, output, &file, merge, yes).await,
        Op::Shutdown { save, nosave } => {
            let save = if save {
                Some(true)
            } else if nosave {
                Some(false)
            } else {
                None
            };
            connection.shutdown(save).await.map(|()| {
                output.text("OK\n");
                Status::Ok
            })
        }
    };
    result.unwrap_or_else(|error| {
        output.problem(&error.to_string());
        Status::Failed
    })
}

/// A duration from a number of seconds given on the command line; `fallback`
/// when it is negative or not finite.
pub(crate) fn seconds(secs: f64, fallback: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or_else(|_| Duration::from_secs_f64(fallback))
}
