//! The gRPC side: Aegisr's `Data.Execute` for single requests and `Data.Pipeline` for
//! batches, through the generated client of `aegisr-proto`.

use std::time::Duration;

use aegisr_proto::{Bytes, Client, Command, Reply};
use tonic::transport::Endpoint;

/// One gRPC connection (its own HTTP/2 channel) and the database its commands run in.
pub struct GrpcConnection {
    client: Client,
    db: u32,
    address: String,
}

fn error_of(reply: &Reply) -> Option<String> {
    reply.as_error().map(|e| e.message.clone())
}

impl GrpcConnection {
    /// Connects to `address` (`host:port`), giving up after `timeout`; with `password`,
    /// every call carries it (and `user`) as `authorization` metadata.
    pub async fn connect(
        address: &str,
        db: u32,
        timeout: Duration,
        user: Option<&str>,
        password: Option<&str>,
    ) -> Result<GrpcConnection, String> {
        let uri = format!("http://{address}");
        let endpoint = Endpoint::from_shared(uri)
            .map_err(|e| format!("invalid address {address}: {e}"))?
            .connect_timeout(timeout)
            .tcp_nodelay(true);
        let channel = endpoint
            .connect()
            .await
            .map_err(|e| format!("cannot connect to {address} (gRPC): {}", source_chain(&e)))?;
        let client = match password {
            Some(password) => Client::with_credentials(channel, user, password).map_err(|e| e.to_string())?,
            None => Client::from_channel(channel),
        };
        Ok(GrpcConnection { client, db, address: address.to_owned() })
    }

    /// Runs one command; returns its error reply, if it is one.
    pub async fn execute(&mut self, args: Vec<Bytes>) -> Result<Option<String>, String> {
        let command = Command { args, db: self.db };
        match self.client.data().execute(command).await {
            Ok(reply) => Ok(error_of(reply.get_ref())),
            Err(status) => Err(format!("gRPC call to {} failed: {}", self.address, status.message())),
        }
    }

    /// Runs a batch: one `Execute` for a single command, one `Pipeline` stream otherwise.
    /// Returns each reply's error, in order.
    pub async fn run_batch(&mut self, batch: Vec<Vec<Bytes>>) -> Result<Vec<Option<String>>, String> {
        if batch.len() == 1 {
            let Some(args) = batch.into_iter().next() else { return Ok(Vec::new()) };
            return Ok(vec![self.execute(args).await?]);
        }
        let sent = batch.len();
        let db = self.db;
        let requests = futures_util::stream::iter(batch.into_iter().map(move |args| Command { args, db }));
        let address = self.address.clone();
        let failed = |status: tonic::Status| format!("gRPC pipeline to {address} failed: {}", status.message());
        let mut replies = self.client.data().pipeline(requests).await.map_err(failed)?.into_inner();
        let mut errors = Vec::with_capacity(sent);
        while let Some(reply) = replies.message().await.map_err(failed)? {
            errors.push(error_of(&reply));
        }
        if errors.len() != sent {
            return Err(format!("gRPC pipeline to {address} returned {} replies for {sent} commands", errors.len()));
        }
        Ok(errors)
    }
}

/// An error with its causes, `a: b: c`, since tonic's transport error alone says only
/// "transport error".
fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
