//! One session with a node: a gRPC channel plus a `Data.Pipeline` stream, so
//! that SELECT, MULTI/EXEC, WATCH and CLIENT SETNAME persist from one command
//! to the next as on a redis-cli TCP connection. A broken session is dropped
//! and opened again (re-selecting the database) on the next command.

use std::time::Duration;

use aegisr_proto::v1::{ClusterRebalanceReply, ClusterRemoveNodeReply, ClusterStatusReply, Command, InfoReply};
use aegisr_proto::{Bytes, Client, ClientError, Reply};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Endpoint;

/// A connection or transport failure, as one line for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ConnectionError(String);

impl ConnectionError {
    /// A problem to report as is (a file that cannot be opened...).
    pub(crate) fn new(what: String) -> Self {
        Self(what)
    }
}

struct Session {
    commands: mpsc::Sender<Command>,
    replies: tonic::Streaming<Reply>,
}

/// A lazily opened, self-healing session with one node.
pub(crate) struct Connection {
    host: String,
    port: u16,
    connect_timeout: Duration,
    db: u32,
    client: Option<Client>,
    session: Option<Session>,
    /// The last attempt to reach the node failed (for the REPL's prompt).
    down: bool,
    /// Whether to learn the node's role at each (re)connection (the REPL's prompt shows
    /// it; one-shot commands skip the extra call).
    fetch_role: bool,
    /// The node's role (INFO replication `role:`) as of the last connection.
    role: Option<String>,
    /// (user, password) every call authenticates with, if given (`--user`, `--pass`).
    credentials: Option<(Option<String>, String)>,
}

impl Connection {
    pub(crate) fn new(host: &str, port: u16, db: u32, connect_timeout: Duration) -> Self {
        Self {
            host: host.to_owned(),
            port,
            connect_timeout,
            db,
            client: None,
            session: None,
            down: false,
            fetch_role: false,
            role: None,
            credentials: None,
        }
    }

    /// Authenticates every call as `user` (the default user when `None`) with `password`.
    pub(crate) fn set_credentials(&mut self, user: Option<String>, password: String) {
        self.credentials = Some((user, password));
        self.client = None;
        self.session = None;
    }

    /// `host:port`, with brackets around an IPv6 host.
    pub(crate) fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The database the session is in (follows SELECT and RESET).
    pub(crate) fn db(&self) -> u32 {
        self.db
    }

    /// Learn the node's role at each (re)connection, for [`Connection::role`].
    pub(crate) fn fetch_role(&mut self) {
        self.fetch_role = true;
    }

    /// The node's role (`master`, `slave`...) as of the last connection, when known.
    pub(crate) fn role(&self) -> Option<&str> {
        self.role.as_deref()
    }

    /// Whether a session is open right now.
    pub(crate) fn is_connected(&self) -> bool {
        self.session.is_some()
    }

    /// Whether the last attempt to reach the node failed.
    pub(crate) fn is_down(&self) -> bool {
        self.down
    }

    /// Forgets the session (e.g. after Ctrl-C during a blocking command); the
    /// server ends its side when the stream closes.
    pub(crate) fn drop_session(&mut self) {
        self.session = None;
    }

    async fn client(&mut self) -> Result<&mut Client, ConnectionError> {
        if self.client.is_none() {
            let uri = format!("http://{}", self.addr());
            let endpoint = Endpoint::from_shared(uri)
                .map_err(|e| ConnectionError(format!("Invalid address {}: {e}", self.addr())))?
                .connect_timeout(self.connect_timeout)
                .tcp_nodelay(true)
                // Notice a node that vanished without closing the connection.
                .http2_keep_alive_interval(Duration::from_secs(10))
                .keep_alive_timeout(Duration::from_secs(10));
            let channel = match endpoint.connect().await {
                Ok(channel) => channel,
                Err(error) => {
                    self.down = true;
                    return Err(self.cannot_connect(&error));
                }
            };
            let client = match &self.credentials {
                Some((user, password)) => Client::with_credentials(channel, user.as_deref(), password)
                    .map_err(|e| ConnectionError(e.to_string()))?,
                None => Client::from_channel(channel),
            };
            self.client = Some(client);
        }
        self.client.as_mut().ok_or_else(|| ConnectionError("not connected".to_owned()))
    }

    /// Makes sure a session is open, connecting and re-selecting if needed.
    pub(crate) async fn connect(&mut self) -> Result<(), ConnectionError> {
        if self.session.is_some() {
            return Ok(());
        }
        let (commands, receiver) = mpsc::channel(64);
        let call = self.client().await?.data().pipeline(ReceiverStream::new(receiver)).await;
        let replies = match call {
            Ok(response) => response.into_inner(),
            Err(status) => return Err(self.lost(&ClientError::Status(status))),
        };
        self.session = Some(Session { commands, replies });
        self.down = false;
        if self.fetch_role {
            // Once per connection, not per command: a role changes with a failover, which
            // drops the connection.
            self.role = self.read_role().await;
        }
        if self.db != 0 {
            let reply = self.roundtrip(vec![Bytes::from_static(b"SELECT"), Bytes::from(self.db.to_string())]).await?;
            if let Some(error) = reply.as_error() {
                self.session = None;
                return Err(ConnectionError(format!("Cannot select database {}: {}", self.db, error.message)));
            }
        }
        Ok(())
    }

    /// The `role` field of INFO replication, or `None` if it cannot be read.
    async fn read_role(&mut self) -> Option<String> {
        let client = self.client.as_mut()?;
        let info = client.info(&["replication"]).await.ok()?;
        info.sections.into_iter().find(|s| s.name == "replication")?.fields.remove("role")
    }

    /// Runs one command on the session and returns its reply (an error reply
    /// is an `Ok`). Tracks SELECT and RESET for the prompt and reconnects.
    pub(crate) async fn execute(&mut self, args: Vec<Bytes>) -> Result<Reply, ConnectionError> {
        self.connect().await?;
        let reply = self.roundtrip(args.clone()).await?;
        if reply.as_error().is_none() {
            self.track_db(&args);
        }
        Ok(reply)
    }

    /// Sends every command, then reads every reply: one round trip for a batch
    /// (used by the key scanners). Not for SELECT.
    pub(crate) async fn execute_batch(&mut self, batch: Vec<Vec<Bytes>>) -> Result<Vec<Reply>, ConnectionError> {
        self.connect().await?;
        let count = batch.len();
        for args in batch {
            self.send(args).await?;
        }
        let mut replies = Vec::with_capacity(count);
        for _ in 0..count {
            replies.push(self.receive().await?);
        }
        Ok(replies)
    }

    fn track_db(&mut self, args: &[Bytes]) {
        let Some(name) = args.first() else { return };
        if name.eq_ignore_ascii_case(b"select") && args.len() == 2 {
            if let Some(db) = std::str::from_utf8(&args[1]).ok().and_then(|s| s.parse().ok()) {
                self.db = db;
            }
        } else if name.eq_ignore_ascii_case(b"reset") {
            self.db = 0;
        }
    }

    async fn roundtrip(&mut self, args: Vec<Bytes>) -> Result<Reply, ConnectionError> {
        self.send(args).await?;
        self.receive().await
    }

    async fn send(&mut self, args: Vec<Bytes>) -> Result<(), ConnectionError> {
        let sent = match &self.session {
            Some(session) => session.commands.send(Command { args, db: 0 }).await.is_ok(),
            None => false,
        };
        if sent { Ok(()) } else { Err(self.closed()) }
    }

    async fn receive(&mut self) -> Result<Reply, ConnectionError> {
        let Some(session) = self.session.as_mut() else { return Err(self.closed()) };
        match session.replies.message().await {
            Ok(Some(reply)) => Ok(reply),
            Ok(None) => Err(self.closed()),
            Err(status) => Err(self.lost(&ClientError::Status(status))),
        }
    }

    /// Admin.Info for `sections`.
    pub(crate) async fn info(&mut self, sections: &[&str]) -> Result<InfoReply, ConnectionError> {
        let result = self.client().await?.info(sections).await;
        result.map_err(|e| self.lost(&e))
    }

    /// Data.Subscribe: the stream of messages.
    pub(crate) async fn subscribe(
        &mut self,
        request: aegisr_proto::v1::SubscribeRequest,
    ) -> Result<tonic::Streaming<aegisr_proto::v1::Message>, ConnectionError> {
        let result = self.client().await?.subscribe(request).await;
        result.map_err(|e| self.lost(&e))
    }

    /// Admin.Monitor: a line for every command the node runs.
    pub(crate) async fn monitor(&mut self) -> Result<tonic::Streaming<aegisr_proto::v1::MonitorLine>, ConnectionError> {
        let result = self.client().await?.monitor().await;
        result.map_err(|e| self.lost(&e))
    }

    /// Admin.Backup into `writer`, calling `progress(done, total)` as bytes arrive.
    pub(crate) async fn backup(
        &mut self,
        writer: impl std::io::Write,
        progress: impl FnMut(u64, u64),
    ) -> Result<aegisr_proto::v1::BackupManifest, ConnectionError> {
        let result = self.client().await?.backup_with_progress(writer, progress).await;
        result.map_err(|e| self.failed("Backup", &e))
    }

    /// Admin.Restore of the backup file read from `reader`.
    pub(crate) async fn restore(
        &mut self,
        reader: impl std::io::Read + Send + 'static,
        merge: bool,
        progress: impl FnMut(u64, u64) + Send + 'static,
    ) -> Result<aegisr_proto::v1::RestoreReply, ConnectionError> {
        let result = self.client().await?.restore_with_progress(reader, merge, progress).await;
        result.map_err(|e| self.failed("Restore", &e))
    }

    /// A failed backup or restore: the node's refusal (its status says why), a file
    /// problem, or a lost connection.
    fn failed(&mut self, what: &str, error: &ClientError) -> ConnectionError {
        match error {
            // A status the node sent has no transport error beneath it.
            ClientError::Status(status) if std::error::Error::source(status).is_none() => {
                ConnectionError(format!("{what} refused by {}: {}", self.addr(), status.message()))
            }
            ClientError::Io(e) => ConnectionError(format!("{what} failed: {e}")),
            ClientError::Backup(why) => ConnectionError(format!("{what} failed: {why}")),
            _ => self.lost(error),
        }
    }

    /// Another node with this connection's settings (timeout), in database 0.
    pub(crate) fn sibling(&self, host: &str, port: u16) -> Connection {
        let mut sibling = Connection::new(host, port, 0, self.connect_timeout);
        sibling.credentials = self.credentials.clone();
        sibling
    }

    /// Admin.ClusterStatus.
    pub(crate) async fn cluster_status(&mut self) -> Result<ClusterStatusReply, ConnectionError> {
        let result = self.client().await?.cluster_status().await;
        result.map_err(|e| self.failed("Cluster status", &e))
    }

    /// Admin.ClusterRemoveNode.
    pub(crate) async fn cluster_remove_node(&mut self, node: &str) -> Result<ClusterRemoveNodeReply, ConnectionError> {
        let result = self.client().await?.cluster_remove_node(node).await;
        result.map_err(|e| self.failed("Removing the node", &e))
    }

    /// Admin.ClusterRebalance.
    pub(crate) async fn cluster_rebalance(&mut self) -> Result<ClusterRebalanceReply, ConnectionError> {
        let result = self.client().await?.cluster_rebalance().await;
        result.map_err(|e| self.failed("Cluster rebalance", &e))
    }

    /// Admin.Shutdown.
    pub(crate) async fn shutdown(&mut self, save: Option<bool>) -> Result<(), ConnectionError> {
        let result = self.client().await?.shutdown(save).await;
        self.session = None;
        self.client = None;
        result.map_err(|e| ConnectionError(format!("Shutdown of {} failed: {}", self.addr(), cause(&e))))
    }

    fn cannot_connect(&self, error: &(dyn std::error::Error + 'static)) -> ConnectionError {
        ConnectionError(format!(
            "Could not connect to Aegisr at {}: {}. Is aegisr-server running there, and is {} its gRPC port \
             (--grpc-port, default 7379; not the RESP --port)?",
            self.addr(),
            cause(error),
            self.port
        ))
    }

    fn lost(&mut self, error: &ClientError) -> ConnectionError {
        // Refused credentials are the node's answer, not a lost connection.
        if let ClientError::Status(status) = error
            && matches!(status.code(), tonic::Code::Unauthenticated | tonic::Code::PermissionDenied)
        {
            self.session = None;
            return ConnectionError(format!(
                "{} (the node at {} needs credentials: --user, --pass)",
                status.message(),
                self.addr()
            ));
        }
        self.session = None;
        self.client = None;
        self.down = true;
        ConnectionError(format!(
            "Connection to Aegisr at {} lost: {}. The next command reconnects; check that the server is up.",
            self.addr(),
            cause(error)
        ))
    }

    fn closed(&mut self) -> ConnectionError {
        self.session = None;
        self.client = None;
        self.down = true;
        ConnectionError(format!(
            "Connection to Aegisr at {} closed by the server. The next command reconnects; check that the server is up.",
            self.addr()
        ))
    }
}

/// The innermost cause of an error chain, without the `(os error N)` suffix:
/// "Connection refused" rather than "transport error".
fn cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = error;
    while let Some(next) = innermost.source() {
        innermost = next;
    }
    let mut text = innermost.to_string();
    if let Some(status) = find_status(error) {
        text = status.message().to_owned();
        if text.is_empty() {
            text = format!("{:?}", status.code());
        }
    }
    match text.find(" (os error") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

fn find_status<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a tonic::Status> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(status) = e.downcast_ref::<tonic::Status>() {
            return Some(status);
        }
        if let Some(ClientError::Status(status)) = e.downcast_ref::<ClientError>() {
            return Some(status);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_bracket_ipv6() {
        let c = Connection::new("127.0.0.1", 7379, 0, Duration::from_secs(1));
        assert_eq!(c.addr(), "127.0.0.1:7379");
        assert_eq!(Connection::new("::1", 1, 0, Duration::from_secs(1)).addr(), "[::1]:1");
    }

    #[test]
    fn tracks_select_and_reset() {
        let mut c = Connection::new("h", 1, 0, Duration::from_secs(1));
        c.track_db(&[Bytes::from_static(b"select"), Bytes::from_static(b"3")]);
        assert_eq!(c.db(), 3);
        c.track_db(&[Bytes::from_static(b"GET"), Bytes::from_static(b"5")]);
        assert_eq!(c.db(), 3);
        c.track_db(&[Bytes::from_static(b"RESET")]);
        assert_eq!(c.db(), 0);
    }

    #[tokio::test]
    async fn refused_connection_is_one_helpful_line() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let mut c = Connection::new("127.0.0.1", port, 0, Duration::from_secs(2));
        let error = c.execute(vec![Bytes::from_static(b"PING")]).await.unwrap_err().to_string();
        assert!(!error.contains('\n'), "{error}");
        assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");
        assert!(error.contains("Connection refused"), "{error}");
        assert!(error.contains("--grpc-port"), "{error}");
    }
}
