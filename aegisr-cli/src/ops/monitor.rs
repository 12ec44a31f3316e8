//! `monitor`: prints every command the node runs, as redis-cli --monitor does ("OK", then
//! one line per command), through the gRPC Admin.Monitor stream, until Ctrl-C or --count
//! lines.

use crate::connection::{Connection, ConnectionError};
use crate::output::{Output, Status};

pub(super) async fn run(
    connection: &mut Connection,
    output: &Output,
    count: Option<u64>,
) -> Result<Status, ConnectionError> {
    let mut stream = connection.monitor().await?;
    output.text("OK\n");
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut received = 0u64;
    while count.is_none_or(|c| received < c) {
        let line = tokio::select! {
            line = stream.message() => line,
            _ = &mut ctrl_c => break,
        };
        match line {
            Ok(Some(line)) => output.text(&format!("{}\n", line.line)),
            Ok(None) => break,
            Err(status) => {
                output.problem(&format!("the monitor stream ended: {}", status.message()));
                return Ok(Status::Failed);
            }
        }
        received += 1;
    }
    Ok(Status::Ok)
}
