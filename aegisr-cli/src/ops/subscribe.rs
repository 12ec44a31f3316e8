//! `subscribe`: prints the messages of channels, patterns and shard channels as they arrive,
//! through the gRPC Data.Subscribe stream, until Ctrl-C or --count messages.

use aegisr_proto::Reply;
use aegisr_proto::v1::SubscribeRequest;

use crate::connection::{Connection, ConnectionError};
use crate::output::{Output, Status};

pub(super) async fn run(
    connection: &mut Connection,
    output: &Output,
    request: SubscribeRequest,
    count: Option<u64>,
) -> Result<Status, ConnectionError> {
    let mut stream = connection.subscribe(request).await?;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut received = 0u64;
    while count.is_none_or(|c| received < c) {
        let message = tokio::select! {
            message = stream.message() => message,
            _ = &mut ctrl_c => break,
        };
        let message = match message {
            Ok(Some(message)) => message,
            Ok(None) => break,
            Err(status) => {
                output.problem(&format!("the subscription ended: {}", status.message()));
                return Ok(Status::Failed);
            }
        };
        // The shape redis-cli prints: message, channel, payload (pmessage adds the pattern).
        let mut parts = Vec::with_capacity(4);
        if message.pattern.is_empty() {
            parts.push(Reply::bulk(&b"message"[..]));
        } else {
            parts.push(Reply::bulk(&b"pmessage"[..]));
            parts.push(Reply::bulk(message.pattern));
        }
        parts.push(Reply::bulk(message.channel));
        parts.push(Reply::bulk(message.payload));
        output.reply(&Reply::push(parts));
        received += 1;
    }
    Ok(Status::Ok)
}
