//! The Data service: Execute, Pipeline (one session per stream, replies in order) and
//! Subscribe (arrives with pub/sub).

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use aegisr_proto::v1::{self, data_server::Data};

use super::convert::to_proto;
use crate::commands::blocking::{self, ReplyTarget};
use crate::commands::{self, Ctx, Session};
use crate::reply::{Protocol, Reply, ReplySink, ReplyTree};
use crate::server::{Door, Server, ServerStats};

pub struct DataService {
    server: Arc<Server>,
}

impl DataService {
    pub fn new(server: Arc<Server>) -> DataService {
        DataService { server }
    }
}

impl ReplyTarget for ReplyTree {
    fn with_sink(&mut self, _protocol: Protocol, write: &mut dyn FnMut(&mut dyn ReplySink)) {
        write(self);
    }
}

/// Runs one command on `session`, returning its reply. A blocking command that finds
/// nothing waits here (the gRPC call stays open) until it is served or times out; if the
/// caller cancels the call, this future is dropped and the wait with it.
async fn run(server: &Server, session: &mut Session, args: &[Bytes]) -> v1::Reply {
    let mut tree = ReplyTree::new();
    {
        let mut ctx = Ctx::new(server, &mut *session, &mut tree);
        let spec = commands::execute(&mut ctx, args);
        session.client.touch(spec.map_or("NULL", |s| s.name));
    }
    if session.block.is_some() {
        blocking::wait(server, session, args, &mut tree, std::future::pending()).await;
    }
    ServerStats::add(&server.stats.total_commands_processed, 1);
    let reply = tree
        .take()
        .into_iter()
        .next()
        .unwrap_or_else(|| Reply::Error("ERR the server is shutting down or the client was closed".into()));
    if matches!(reply, Reply::Error(_)) {
        ServerStats::add(&server.stats.total_error_replies, 1);
    }
    to_proto(reply)
}

fn peer(request_addr: Option<std::net::SocketAddr>) -> String {
    request_addr.map(|a| a.to_string()).unwrap_or_default()
}

type ReplyStream = Pin<Box<dyn Stream<Item = Result<v1::Reply, Status>> + Send + 'static>>;
type MessageStream = Pin<Box<dyn Stream<Item = Result<v1::Message, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl Data for DataService {
    async fn execute(&self, request: Request<v1::Command>) -> Result<Response<v1::Reply>, Status> {
        let addr = peer(request.remote_addr());
        let command = request.into_inner();
        let server = &*self.server;
        let registration = server
            .clients
            .register(Door::Grpc, addr, String::new(), -1, usize::MAX)
            .ok_or_else(|| Status::resource_exhausted("max number of clients reached"))?;
        let mut session = Session::new(registration.client.clone());
        session.protocol = Protocol::Resp3;
        let db = usize::try_from(command.db).unwrap_or(usize::MAX);
        if db >= server.keyspace.databases() {
            return Ok(Response::new(aegisr_proto::Reply::error("ERR DB index is out of range")));
        }
        session.select(db);
        let reply = run(server, &mut session, &command.args).await;
        commands::transaction::end_session(server, &mut session);
        Ok(Response::new(reply))
    }

    type PipelineStream = ReplyStream;

    async fn pipeline(&self, request: Request<Streaming<v1::Command>>) -> Result<Response<ReplyStream>, Status> {
        let addr = peer(request.remote_addr());
        let mut commands = request.into_inner();
        let server = self.server.clone();
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(async move {
            let Some(registration) = server.clients.register(Door::Grpc, addr, String::new(), -1, usize::MAX) else {
                return;
            };
            let mut session = Session::new(registration.client.clone());
            session.protocol = Protocol::Resp3;
            while let Some(next) = commands.next().await {
                let reply = match next {
                    Ok(command) => Ok(run(&server, &mut session, &command.args).await),
                    Err(status) => Err(status),
                };
                let failed = reply.is_err();
                if tx.send(reply).await.is_err() || failed || session.quit || server.shutdown.is_cancelled() {
                    break;
                }
            }
            commands::transaction::end_session(&server, &mut session);
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    type SubscribeStream = MessageStream;

    async fn subscribe(&self, _request: Request<v1::SubscribeRequest>) -> Result<Response<MessageStream>, Status> {
        Err(Status::unimplemented("pub/sub is not built yet in this release of Aegisr"))
    }
}
