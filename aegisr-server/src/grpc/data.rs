//! The Data service: Execute, Pipeline (one session per stream, replies in order) and
//! Subscribe (a stream of the messages of channels, patterns and shard channels).

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
use crate::pubsub::{Subscriber, Subscriptions};
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
async fn run(server: &Server, session: &mut Session, args: &[&[u8]]) -> v1::Reply {
    // CLIENT PAUSE holds the command here, before it runs, as on the RESP door (a
    // cancelled call drops the wait).
    if let Some(write) = server.pause.holds(server, args, session.multi.as_ref()) {
        // Counted as blocked while held, as on the RESP door.
        let _counted = blocking::BlockedGauge::new(&server.stats.blocked_clients);
        server.pause.wait(write).await;
    }
    // So does another client's script, until it ends or runs past busy-reply-threshold.
    let wait = commands::script_wait(server, session, args);
    commands::wait_for_script(server, wait).await;
    let mut tree = ReplyTree::new();
    let woken = {
        let mut ctx = Ctx::new(server, &mut *session, &mut tree);
        let (spec, woken) = blocking::collecting_wakes(|| commands::execute(&mut ctx, args));
        session.client.touch(spec.map_or("NULL", |s| s.name));
        woken
    };
    // The blocked clients this command woke are served before its reply, as on RESP.
    blocking::served(woken, None).await;
    if session.block.is_some() {
        blocking::wait(server, session, args, &mut tree, std::future::pending()).await;
    }
    let kept = crate::persist::durable(server, session).await;
    ServerStats::add(&server.stats.total_commands_processed, 1);
    // The command counted its own error reply; these two replace its reply, and count.
    let own_error = |text: &str| {
        crate::metrics::count_error_reply(server, text);
        Reply::Error(text.into())
    };
    let reply = tree
        .take()
        .into_iter()
        .next()
        .unwrap_or_else(|| own_error("ERR the server is shutting down or the client was closed"));
    // Not the reply: it would confirm a write that is not as safe as promised.
    let reply = if kept {
        reply
    } else {
        own_error("NOREPLICAS The write was not acknowledged by enough replicas in time: its outcome is unknown")
    };
    to_proto(reply)
}

/// The user the call authenticated as (see `auth`); `None`: the default user.
fn call_user<T>(request: &Request<T>) -> Option<Arc<crate::acl::UserHandle>> {
    request.extensions().get::<super::auth::CallUser>().map(|u| u.0.clone())
}

/// Makes `session` run as `user` (the default user when `None`).
fn run_as(session: &mut Session, user: Option<Arc<crate::acl::UserHandle>>) {
    if let Some(user) = &user {
        session.client.set_user(&user.name);
    }
    session.user = user;
}

/// Whether `user` may subscribe to what `wanted` names: as SUBSCRIBE, SSUBSCRIBE and
/// PSUBSCRIBE of them would be checked on the RESP door.
fn may_subscribe(user: &crate::acl::UserHandle, wanted: &v1::SubscribeRequest) -> Result<(), Status> {
    if user.unrestricted() {
        return Ok(());
    }
    let rules = user.user();
    for (command, names) in
        [("subscribe", &wanted.channels), ("ssubscribe", &wanted.shard_channels), ("psubscribe", &wanted.patterns)]
    {
        if names.is_empty() {
            continue;
        }
        let args: Vec<&[u8]> = std::iter::once(command.as_bytes()).chain(names.iter().map(|n| n.as_bytes())).collect();
        let Ok(spec) = commands::resolve(&args) else { continue };
        if let Err(denied) = crate::acl::check::check(&rules, spec, &args) {
            let text = match denied.reason {
                crate::acl::check::Reason::Command => {
                    format!("NOPERM this user has no permissions to run the '{command}' command")
                }
                _ => "NOPERM this user has no permissions to access one of the channels used as arguments".to_owned(),
            };
            return Err(Status::permission_denied(text));
        }
    }
    Ok(())
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
        let user = call_user(&request);
        let command = request.into_inner();
        let server = &*self.server;
        let registration = server
            .clients
            .register(Door::Grpc, addr, String::new(), -1, usize::MAX)
            .ok_or_else(|| Status::resource_exhausted("max number of clients reached"))?;
        let mut session = Session::new(registration.client.clone());
        session.protocol = Protocol::Resp3;
        run_as(&mut session, user);
        let db = usize::try_from(command.db).unwrap_or(usize::MAX);
        if db >= server.keyspace.databases() {
            return Ok(Response::new(aegisr_proto::Reply::error("ERR DB index is out of range")));
        }
        session.select(db);
        let reply = run(server, &mut session, &commands::views(&command.args)).await;
        commands::end_session(server, &mut session);
        Ok(Response::new(reply))
    }

    type PipelineStream = ReplyStream;

    async fn pipeline(&self, request: Request<Streaming<v1::Command>>) -> Result<Response<ReplyStream>, Status> {
        let addr = peer(request.remote_addr());
        let user = call_user(&request);
        let mut commands = request.into_inner();
        let server = self.server.clone();
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(async move {
            let Some(registration) = server.clients.register(Door::Grpc, addr, String::new(), -1, usize::MAX) else {
                return;
            };
            let mut session = Session::new(registration.client.clone());
            session.protocol = Protocol::Resp3;
            run_as(&mut session, user);
            while let Some(next) = commands.next().await {
                let reply = match next {
                    Ok(command) => Ok(run(&server, &mut session, &commands::views(&command.args)).await),
                    Err(status) => Err(status),
                };
                let failed = reply.is_err();
                if tx.send(reply).await.is_err() || failed || session.quit || server.shutdown.is_cancelled() {
                    break;
                }
            }
            commands::end_session(&server, &mut session);
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    type SubscribeStream = MessageStream;

    async fn subscribe(&self, request: Request<v1::SubscribeRequest>) -> Result<Response<MessageStream>, Status> {
        let addr = peer(request.remote_addr());
        let user = call_user(&request);
        let wanted = request.into_inner();
        if wanted.channels.is_empty() && wanted.patterns.is_empty() && wanted.shard_channels.is_empty() {
            return Err(Status::invalid_argument("subscribe to at least one channel, pattern or shard channel"));
        }
        may_subscribe(user.as_deref().unwrap_or(self.server.acl.default_user()), &wanted)?;
        let server = self.server.clone();
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(async move {
            // Registered for the stream's whole life, so CLIENT LIST shows the subscriber.
            let Some(registration) = server.clients.register(Door::Grpc, addr, String::new(), -1, usize::MAX) else {
                let _ = tx.send(Err(Status::resource_exhausted("max number of clients reached"))).await;
                return;
            };
            if let Some(user) = &user {
                registration.client.set_user(&user.name);
            }
            let subscriber = Arc::new(Subscriber::new(registration.client.clone()));
            let mut subscriptions = Subscriptions::new(subscriber.clone());
            // A name given twice is subscribed once, as SUBSCRIBE a a does.
            for name in wanted.channels.into_iter().map(Bytes::from) {
                if subscriptions.channels.insert(name.clone()) {
                    server.pubsub.subscribe(&name, &subscriber, false);
                }
            }
            for name in wanted.shard_channels.into_iter().map(Bytes::from) {
                if subscriptions.shard_channels.insert(name.clone()) {
                    server.pubsub.subscribe(&name, &subscriber, true);
                }
            }
            for pattern in wanted.patterns.into_iter().map(Bytes::from) {
                if subscriptions.patterns.insert(pattern.clone()) {
                    server.pubsub.psubscribe(&pattern, &subscriber);
                }
            }
            subscriptions.report();
            forward_messages(&server, &subscriber, &tx).await;
            subscriptions.clear(&server.pubsub);
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

/// Sends the subscriber's messages down the stream until the caller cancels it, the
/// subscriber is cut off (output buffer limit) or the server stops.
async fn forward_messages(server: &Server, subscriber: &Subscriber, tx: &mpsc::Sender<Result<v1::Message, Status>>) {
    loop {
        tokio::select! {
            () = subscriber.wake.notified() => {}
            () = tx.closed() => return,
            () = subscriber.client.kill.cancelled() => return,
            () = server.shutdown.cancelled() => return,
        }
        for delivery in subscriber.drain() {
            let message = v1::Message {
                channel: delivery.channel.clone(),
                payload: delivery.payload.clone(),
                pattern: delivery.pattern.clone().unwrap_or_default(),
            };
            // A full stream waits here; meanwhile the mailbox absorbs new messages up to
            // the output buffer limit.
            let sent = tokio::select! {
                sent = tx.send(Ok(message)) => sent.is_ok(),
                () = subscriber.client.kill.cancelled() => false,
            };
            if !sent {
                return;
            }
        }
    }
}
