//! An async client over the `Data` and `Admin` services.

use bytes::Bytes;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use crate::backup::{self, BackupFileReader};
use crate::v1::{
    BackupManifest, BackupRequest, ClientInfo, ClientsRequest, ClusterRebalanceReply, ClusterRebalanceRequest,
    ClusterRemoveNodeReply, ClusterRemoveNodeRequest, ClusterStatusReply, ClusterStatusRequest, Command,
    ConfigGetRequest, ConfigSetRequest, InfoReply, InfoRequest, Message, MonitorLine, MonitorRequest, NodeStats, Reply,
    RestoreReply, ShutdownRequest, SlowLogReply, SlowLogRequest, SubscribeRequest, WatchStatsRequest,
    admin_client::AdminClient, data_client::DataClient, shutdown_request::Save,
};

/// Errors returned by [`Client`].
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The connection could not be made or broke.
    #[error("transport error: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The server answered with a gRPC status other than OK.
    #[error("rpc failed: {0}")]
    Status(#[from] tonic::Status),
    /// The address given to [`Client::connect`] is not a usable URI.
    #[error("invalid address: {0}")]
    InvalidAddress(String),
    /// A user name or password that cannot travel in gRPC metadata (not visible ASCII).
    #[error("invalid credentials: {0}")]
    InvalidCredentials(String),
    /// Reading or writing a backup file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A backup file or stream is not well formed, or fails its checksums.
    #[error("{0}")]
    Backup(String),
}

/// A connection to an Aegisr node over gRPC (one HTTP/2 channel shared by
/// both services). Cloning is cheap and shares the channel.
#[derive(Debug, Clone)]
pub struct Client {
    data: DataClient<InterceptedService<Channel, Credentials>>,
    admin: AdminClient<InterceptedService<Channel, Credentials>>,
}

/// The `authorization` metadata every call carries once credentials are given (see
/// [`Client::with_credentials`]): `<user> <password>`, or the password alone for the
/// default user, as the server's AUTH takes them.
#[derive(Debug, Clone, Default)]
pub struct Credentials(Option<tonic::metadata::AsciiMetadataValue>);

impl tonic::service::Interceptor for Credentials {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}

impl Client {
    /// Connects to `addr`, given as `host:port` or `http://host:port`
    /// (`http://` is assumed when no scheme is given).
    pub async fn connect(addr: impl Into<String>) -> Result<Self, ClientError> {
        let uri = normalize_addr(&addr.into())?;
        let endpoint =
            Endpoint::from_shared(uri.clone()).map_err(|e| ClientError::InvalidAddress(format!("{uri}: {e}")))?;
        Ok(Self::from_channel(endpoint.connect().await?))
    }

    /// Wraps an already configured channel (timeouts, TLS, lazy connect...).
    pub fn from_channel(channel: Channel) -> Self {
        Self::with_interceptor(channel, Credentials::default())
    }

    fn with_interceptor(channel: Channel, credentials: Credentials) -> Self {
        Self {
            data: DataClient::with_interceptor(channel.clone(), credentials.clone()),
            admin: AdminClient::with_interceptor(channel, credentials),
        }
    }

    /// Like [`Client::from_channel`], authenticating every call as `user` (the default
    /// user when `None`) with `password`, for a node that requires a password.
    pub fn with_credentials(channel: Channel, user: Option<&str>, password: &str) -> Result<Self, ClientError> {
        let text = match user {
            Some(user) => format!("{user} {password}"),
            None => password.to_owned(),
        };
        let value = text
            .parse::<tonic::metadata::AsciiMetadataValue>()
            .map_err(|_| ClientError::InvalidCredentials("user names and passwords must be visible ASCII".into()))?;
        Ok(Self::with_interceptor(channel, Credentials(Some(value))))
    }

    /// [`Client::connect`] with credentials (see [`Client::with_credentials`]).
    pub async fn connect_with_credentials(
        addr: impl Into<String>,
        user: Option<&str>,
        password: &str,
    ) -> Result<Self, ClientError> {
        let uri = normalize_addr(&addr.into())?;
        let endpoint =
            Endpoint::from_shared(uri.clone()).map_err(|e| ClientError::InvalidAddress(format!("{uri}: {e}")))?;
        Self::with_credentials(endpoint.connect().await?, user, password)
    }

    /// Runs one command in database 0, e.g. `execute(["SET", "k", "v"])`.
    /// A RESP error comes back as an `Ok` reply whose kind is `Error`.
    pub async fn execute<I, A>(&mut self, args: I) -> Result<Reply, ClientError>
    where
        I: IntoIterator<Item = A>,
        A: AsRef<[u8]>,
    {
        self.execute_in_db(0, args).await
    }

    /// Runs one command in logical database `db`.
    pub async fn execute_in_db<I, A>(&mut self, db: u32, args: I) -> Result<Reply, ClientError>
    where
        I: IntoIterator<Item = A>,
        A: AsRef<[u8]>,
    {
        let command = Command { args: to_args(args), db };
        Ok(self.data.execute(command).await?.into_inner())
    }

    /// Sends every command on one `Pipeline` stream (one session, so SELECT
    /// and HELLO persist) and returns the replies in the order sent.
    pub async fn pipeline(&mut self, commands: Vec<Vec<Bytes>>) -> Result<Vec<Reply>, ClientError> {
        let sent = commands.len();
        let requests = futures_util::stream::iter(commands.into_iter().map(|args| Command { args, db: 0 }));
        let mut replies_stream = self.data.pipeline(requests).await?.into_inner();
        let mut replies = Vec::with_capacity(sent);
        while let Some(reply) = replies_stream.message().await? {
            replies.push(reply);
        }
        if replies.len() != sent {
            return Err(ClientError::Status(tonic::Status::data_loss(format!(
                "pipeline returned {} replies for {sent} commands",
                replies.len()
            ))));
        }
        Ok(replies)
    }

    /// Subscribes to channels, patterns and shard channels; messages arrive on
    /// the returned stream in publish order until it is dropped.
    pub async fn subscribe(&mut self, request: SubscribeRequest) -> Result<tonic::Streaming<Message>, ClientError> {
        Ok(self.data.subscribe(request).await?.into_inner())
    }

    /// Runs INFO for `sections` (empty means the default sections).
    pub async fn info(&mut self, sections: &[&str]) -> Result<InfoReply, ClientError> {
        let request = InfoRequest { sections: sections.iter().map(|s| (*s).to_owned()).collect() };
        Ok(self.admin.info(request).await?.into_inner())
    }

    /// Shuts the node down: `Some(true)` = SAVE, `Some(false)` = NOSAVE,
    /// `None` = the node's configured default.
    pub async fn shutdown(&mut self, save: Option<bool>) -> Result<(), ClientError> {
        let save = match save {
            None => Save::Default,
            Some(true) => Save::Save,
            Some(false) => Save::Nosave,
        };
        let request = ShutdownRequest { save: save.into() };
        self.admin.shutdown(request).await?;
        Ok(())
    }

    /// Streams the node's figures every `interval_ms` (0: every second) until dropped.
    pub async fn watch_stats(&mut self, interval_ms: u32) -> Result<tonic::Streaming<NodeStats>, ClientError> {
        Ok(self.admin.watch_stats(WatchStatsRequest { interval_ms }).await?.into_inner())
    }

    /// Streams a line for every command the node runs from now on (MONITOR), until
    /// dropped.
    pub async fn monitor(&mut self) -> Result<tonic::Streaming<MonitorLine>, ClientError> {
        Ok(self.admin.monitor(MonitorRequest {}).await?.into_inner())
    }

    /// The newest `count` slow log entries (0: all), emptying the log after when `reset`.
    pub async fn slowlog(&mut self, count: u32, reset: bool) -> Result<SlowLogReply, ClientError> {
        Ok(self.admin.slow_log(SlowLogRequest { count, reset }).await?.into_inner())
    }

    /// The connected clients (CLIENT LIST).
    pub async fn clients(&mut self) -> Result<Vec<ClientInfo>, ClientError> {
        Ok(self.admin.clients(ClientsRequest {}).await?.into_inner().clients)
    }

    /// The options whose names match any of the glob `patterns` (CONFIG GET).
    pub async fn config_get(&mut self, patterns: &[&str]) -> Result<Vec<(String, String)>, ClientError> {
        let request = ConfigGetRequest { patterns: patterns.iter().map(|p| (*p).to_owned()).collect() };
        let mut values: Vec<_> = self.admin.config_get(request).await?.into_inner().values.into_iter().collect();
        values.sort();
        Ok(values)
    }

    /// Sets options, all or none (CONFIG SET); a refusal is an `InvalidArgument` status.
    pub async fn config_set(&mut self, values: &[(&str, &str)]) -> Result<(), ClientError> {
        let values = values.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.admin.config_set(ConfigSetRequest { values }).await?;
        Ok(())
    }

    /// Streams a consistent backup of the node into `writer` (the file layout described in
    /// `admin.proto`), checking every chunk's checksum as it arrives; returns its manifest.
    pub async fn backup<W: std::io::Write>(&mut self, writer: W) -> Result<BackupManifest, ClientError> {
        self.backup_with_progress(writer, |_, _| {}).await
    }

    /// [`Client::backup`], calling `progress(bytes_done, bytes_total)` as data arrives.
    pub async fn backup_with_progress<W: std::io::Write>(
        &mut self,
        mut writer: W,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<BackupManifest, ClientError> {
        use crate::v1::backup_chunk::Part;
        let mut stream = self.admin.backup(BackupRequest {}).await?.into_inner();
        let manifest = match stream.message().await? {
            Some(crate::v1::BackupChunk { part: Some(Part::Manifest(manifest)) }) => manifest,
            _ => return Err(ClientError::Backup("the backup stream does not start with its manifest".to_owned())),
        };
        backup::write_header(&mut writer, &manifest)?;
        let mut check = backup::Checker::new(&manifest)?;
        progress(0, manifest.total_bytes);
        while let Some(chunk) = stream.message().await? {
            let Some(Part::Data(data)) = chunk.part else {
                return Err(ClientError::Backup("a second manifest in the backup stream".to_owned()));
            };
            check.push(&data)?;
            writer.write_all(&data)?;
            progress(check.received(), manifest.total_bytes);
        }
        check.finish()?;
        writer.flush()?;
        Ok(manifest)
    }

    /// Restores the backup file read from `reader` (as [`Client::backup`] wrote it): the
    /// node checks all of it before touching any data, then replaces its dataset, or with
    /// `merge` overwrites only the keys the backup holds.
    pub async fn restore<R: std::io::Read + Send + 'static>(
        &mut self,
        reader: R,
        merge: bool,
    ) -> Result<RestoreReply, ClientError> {
        self.restore_with_progress(reader, merge, |_, _| {}).await
    }

    /// [`Client::restore`], calling `progress(bytes_sent, bytes_total)` as data is sent.
    pub async fn restore_with_progress<R: std::io::Read + Send + 'static>(
        &mut self,
        reader: R,
        merge: bool,
        progress: impl FnMut(u64, u64) + Send + 'static,
    ) -> Result<RestoreReply, ClientError> {
        let file = BackupFileReader::open(reader)?;
        let failure = file.failure();
        let result = self.admin.restore(futures_util::stream::iter(file.into_chunks(merge, progress))).await;
        // A file that could not be read ends the stream early: say so rather than the
        // server's "cut short".
        if let Some(error) = failure.lock().ok().and_then(|mut slot| slot.take()) {
            return Err(ClientError::Io(error));
        }
        Ok(result?.into_inner())
    }

    /// The cluster as the node sees it (Admin ClusterStatus): members, groups, slot owners,
    /// migrations, the leader, the node's lease and (on the leader) heartbeats and offsets.
    /// A node outside cluster mode answers `FailedPrecondition`.
    pub async fn cluster_status(&mut self) -> Result<ClusterStatusReply, ClientError> {
        Ok(self.admin.cluster_status(ClusterStatusRequest {}).await?.into_inner())
    }

    /// Removes a node from the cluster for good; `node` is its name (or a unique prefix of
    /// 8+ hex digits) or its member id.
    pub async fn cluster_remove_node(&mut self, node: &str) -> Result<ClusterRemoveNodeReply, ClientError> {
        let request = ClusterRemoveNodeRequest { node: node.to_owned() };
        Ok(self.admin.cluster_remove_node(request).await?.into_inner())
    }

    /// What is left of the automatic rebalance: slots still to move and migrations in flight.
    pub async fn cluster_rebalance(&mut self) -> Result<ClusterRebalanceReply, ClientError> {
        Ok(self.admin.cluster_rebalance(ClusterRebalanceRequest {}).await?.into_inner())
    }

    /// The generated `Data` client, for calls this wrapper does not cover.
    pub fn data(&mut self) -> &mut DataClient<InterceptedService<Channel, Credentials>> {
        &mut self.data
    }

    /// The generated `Admin` client, for calls this wrapper does not cover.
    pub fn admin(&mut self) -> &mut AdminClient<InterceptedService<Channel, Credentials>> {
        &mut self.admin
    }
}

fn to_args<I, A>(args: I) -> Vec<Bytes>
where
    I: IntoIterator<Item = A>,
    A: AsRef<[u8]>,
{
    args.into_iter().map(|a| Bytes::copy_from_slice(a.as_ref())).collect()
}

/// Turns `host:port` into `http://host:port`; keeps an http(s) URI as is.
pub(crate) fn normalize_addr(addr: &str) -> Result<String, ClientError> {
    let addr = addr.trim();
    if addr.is_empty() {
        return Err(ClientError::InvalidAddress("empty address".to_owned()));
    }
    match addr.split_once("://") {
        None => Ok(format!("http://{addr}")),
        Some(("http" | "https", rest)) if !rest.is_empty() => Ok(addr.to_owned()),
        Some(_) => Err(ClientError::InvalidAddress(format!("{addr}: expected host:port or http://host:port"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_addresses() {
        assert_eq!(normalize_addr("127.0.0.1:6380").unwrap(), "http://127.0.0.1:6380");
        assert_eq!(normalize_addr(" localhost:1 ").unwrap(), "http://localhost:1");
        assert_eq!(normalize_addr("[::1]:7000").unwrap(), "http://[::1]:7000");
        assert_eq!(normalize_addr("http://127.0.0.1:1").unwrap(), "http://127.0.0.1:1");
        assert_eq!(normalize_addr("https://h:1").unwrap(), "https://h:1");
        for bad in ["", "  ", "redis://h:1", "http://"] {
            assert!(matches!(normalize_addr(bad), Err(ClientError::InvalidAddress(_))), "{bad:?}");
        }
    }

    #[test]
    fn args_accept_any_byte_slices() {
        let args = to_args(["GET", "k"]);
        assert_eq!(args, vec![Bytes::from_static(b"GET"), Bytes::from_static(b"k")]);
        let args = to_args(vec![b"SET".to_vec(), vec![0, 255]]);
        assert_eq!(args[1].as_ref(), &[0u8, 255]);
    }

    #[tokio::test]
    async fn connect_rejects_bad_address() {
        let err = Client::connect("ftp://127.0.0.1:1").await.unwrap_err();
        assert!(matches!(err, ClientError::InvalidAddress(_)));
    }

    #[tokio::test]
    async fn connect_to_closed_port_is_transport_error() {
        // Bind then drop to get a loopback port with nothing listening.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let err = Client::connect(format!("127.0.0.1:{port}")).await.unwrap_err();
        assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
    }
}
