//! One RESP connection: read what is there, run every complete command in it, write all
//! replies with one write, repeat. One read and one write per batch is what makes
//! pipelining cheap; nothing here blocks on another connection.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::BytesMut;
use smallvec::SmallVec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::parser::{ParseLimits, RequestParser};
use super::writer::RespWriter;
use crate::commands::blocking::{self, Unblocked};
use crate::commands::client_reply::{self, ReplyMode};
use crate::commands::sync::SyncStart;
use crate::commands::table::CommandSpec;
use crate::commands::{self, ArgViews, Ctx, ScriptWait, Session};
use crate::pubsub::Subscriber;
use crate::reply::{Protocol, ReplySink};
use crate::scripting::admission::Admitted;
use crate::server::monitor::MonitorFeed;
use crate::server::{Destination, Registration, Seat, Server, ServerStats};

use super::buffers::{self, CHUNK as READ_CHUNK};
/// Largest extra read buffer reserved at once while a big argument arrives, so memory
/// follows the bytes received, not the length a client claims.
const MAX_READ_RESERVE: usize = 1024 * 1024;
/// Replies are written out once this much is pending, even mid-batch.
const FLUSH_AT: usize = 64 * 1024;

enum Next {
    Continue,
    Close,
    /// SYNC or PSYNC: send the RDB file, then close or follow with the writes.
    Sync(SyncStart),
}

/// How a connection's time on a worker ends.
enum Ended {
    Closed,
    /// It moves to another worker (see [`Seat::should_move`]), with its socket.
    Moving(std::net::TcpStream, Destination),
}

/// What a connection carries from batch to batch, and from worker to worker.
struct Conn {
    session: Session,
    parser: RequestParser,
    input: BytesMut,
    output: BytesMut,
    seat: Seat,
}

pub(super) async fn run(server: &Arc<Server>, stream: TcpStream, registration: &Registration<'_>, seat: Seat) {
    let mut session = Session::new(registration.client.clone());
    // Authenticated from the start only while the default user needs no password.
    session.authenticated = !server.acl.auth_required();
    let mut conn =
        Box::new(Conn { session, parser: RequestParser::new(), input: BytesMut::new(), output: BytesMut::new(), seat });
    let mut ended = serve(server, stream, &mut conn).await;
    // A connection that moves goes on as a task of its new worker. This task, which holds
    // its registration, waits for it there, and sends it on if it moves again.
    while let Ended::Moving(stream, destination) = ended {
        let server = server.clone();
        let moved = destination.spawn(async move {
            let mut conn = conn;
            let ended = match TcpStream::from_std(stream) {
                Ok(stream) => serve(&server, stream, &mut conn).await,
                Err(_) => Ended::Closed,
            };
            (conn, ended)
        });
        (conn, ended) = match moved.await {
            Ok(back) => back,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Its worker stopped: the node is shutting down.
            Err(_) => return,
        };
    }
    let session = &mut conn.session;
    // Forgetting watched keys locks their shards, which a running script holds.
    if session.watching.is_some() {
        server.scripting.run.ended().await;
    }
    commands::end_session(server, session);
    server.pubsub.tracking.client_gone(session.client.id);
}

async fn serve(server: &Arc<Server>, mut stream: TcpStream, conn: &mut Conn) -> Ended {
    let Conn { session, parser, input, output, seat } = conn;
    let client = &session.client.clone();
    // Made once, not per read: waiting on a token registers with it, and this loop may
    // wait a million times a second. The client's kill is a child of the server's
    // shutdown: this covers both.
    let killed = client.kill.cancelled();
    tokio::pin!(killed);
    let mut batches = 0u32;
    loop {
        match run_batch(server, session, parser, input, output, &mut stream).await {
            Ok(Next::Continue) => {}
            Ok(Next::Sync(SyncStart::RdbOnly)) => {
                client.set_replica();
                super::rdb_transfer::send(server, &mut stream, session.rdb_parts).await;
                return Ended::Closed;
            }
            Ok(Next::Sync(SyncStart::Replica { journal, from })) => {
                client.set_replica();
                super::replica_feed::serve(server, &mut stream, session, journal, from).await;
                return Ended::Closed;
            }
            Ok(Next::Close) | Err(_) => return Ended::Closed,
        }
        // What is left of the input: a command not yet complete.
        client.set_query_buffer(input.len());
        // The client's own token, cancelled with the server's: every worker reading the
        // server's token after each batch would share the lock it reads under. A client
        // that waits for its input is closed in that wait (`killed` below); this check is
        // for one whose input never runs dry, and reads the token (under its mutex) every
        // eighth batch only: the lock was a visible share of a short batch's cost.
        batches = batches.wrapping_add(1);
        if batches % 8 == 0 && client.kill.is_cancelled() {
            return Ended::Closed;
        }
        // Between two batches nothing is in flight (the replies are written), so the
        // connection can move; what is left of its input goes with it.
        if let Some(destination) = seat.should_move() {
            return match stream.into_std() {
                Ok(stream) => Ended::Moving(stream, destination),
                Err(_) => Ended::Closed,
            };
        }
        let limits = server.config.limits();
        // What a half-received command has parsed already does not count (see `unparsed`).
        let buffered = parser.unparsed(input.len());
        if parser.in_progress() && buffered as u64 > limits.query_buffer_limit.load(Ordering::Relaxed) {
            tracing::warn!(client = %client.addr, "closing client that reached max query buffer length ({buffered} bytes)");
            return Ended::Closed;
        }
        // Waiting, the connection holds no buffer unless a command is half received.
        buffers::give_back(input);
        buffers::give_back(output);
        let timeout = limits.timeout_secs.load(Ordering::Relaxed);
        let receive = async {
            // Buffers are taken once there is something to read. `read_buf` then reads
            // once, and a short read clears the socket's readiness: one recv per wake-up.
            stream.readable().await?;
            if input.capacity() == 0 {
                *input = buffers::take();
            }
            input.reserve(parser.wanted(input.len()).clamp(READ_CHUNK, MAX_READ_RESERVE));
            stream.read_buf(input).await
        };
        let read = async {
            if timeout == 0 {
                Some(receive.await)
            } else {
                tokio::time::timeout(Duration::from_secs(timeout), receive).await.ok()
            }
        };
        let subscriber = session.subscriptions.as_ref().map(|s| s.subscriber.clone());
        let read = tokio::select! {
            read = read => read,
            () = messages(subscriber.as_deref()) => {
                if let Some(subscriber) = &subscriber {
                    write_messages(subscriber, session.protocol, output);
                    // A subscriber that does not read blocks here; its mailbox then fills
                    // up to the output buffer limit, which kills it: stop writing then.
                    if !write_unless_killed(server, &mut stream, output, client).await {
                        return Ended::Closed;
                    }
                }
                continue;
            }
            () = monitor_lines(session.monitor.as_deref()) => {
                if let Some(feed) = &session.monitor {
                    write_monitor_lines(feed, output);
                    // As for a subscriber: a monitor that does not read blocks here while
                    // its queue fills up to the output buffer limit, which kills it.
                    if !write_unless_killed(server, &mut stream, output, client).await {
                        return Ended::Closed;
                    }
                }
                continue;
            }
            () = &mut killed => return Ended::Closed,
        };
        match read {
            Some(Ok(0)) | Some(Err(_)) | None => return Ended::Closed,
            Some(Ok(n)) => {
                if output.capacity() == 0 {
                    *output = buffers::take();
                }
                client.set_query_buffer(input.len());
                ServerStats::add(&server.stats.total_net_input_bytes, n as u64);
                ServerStats::add(&server.stats.total_reads_processed, 1);
            }
        }
    }
}

/// Waits while CLIENT PAUSE holds this command, after sending the replies so far (the
/// client sees everything before the held command answered). CLIENT UNPAUSE itself is
/// never held, so a pause can always be lifted.
async fn held_by_pause(
    server: &Server,
    session: &mut Session,
    args: &[&[u8]],
    output: &mut BytesMut,
    stream: &mut TcpStream,
) -> std::io::Result<()> {
    let Some(write) = server.pause.holds(server, args, session.multi.as_ref()) else { return Ok(()) };
    send_pending(server, session, output, stream).await?;
    // A client held by a pause counts as blocked, as Redis's postponed clients do.
    let _counted = blocking::BlockedGauge::new(&server.stats.blocked_clients);
    server.pause.wait(write).await;
    Ok(())
}

/// Sends the replies so far (once durable), before the connection waits.
async fn send_pending(
    server: &Server,
    session: &mut Session,
    output: &mut BytesMut,
    stream: &mut TcpStream,
) -> std::io::Result<()> {
    if !output.is_empty() {
        unconfirmed_closes(crate::persist::durable(server, session).await)?;
        write_out(server, stream, output).await?;
    }
    Ok(())
}

/// Waits while another client's script holds this command back (see
/// [`commands::script_wait`]), after sending the replies so far, as for a pause.
async fn held_by_script(
    server: &Server,
    session: &mut Session,
    args: &[&[u8]],
    output: &mut BytesMut,
    stream: &mut TcpStream,
) -> std::io::Result<()> {
    let wait = commands::script_wait(server, session, args);
    if wait == ScriptWait::Nothing {
        return Ok(());
    }
    send_pending(server, session, output, stream).await?;
    commands::wait_for_script(server, wait).await;
    Ok(())
}

/// Admits a command that found a script running, or starting, once it may run (see
/// `scripting::admission`): after the script, or at once when it gets BUSY.
async fn admit_after_script<'s>(
    server: &'s Server,
    session: &mut Session,
    args: &[&[u8]],
    output: &mut BytesMut,
    stream: &mut TcpStream,
) -> std::io::Result<crate::scripting::admission::Admitted<'s>> {
    loop {
        held_by_script(server, session, args, output, stream).await?;
        let run = &server.scripting.run;
        if let Some(admitted) = run.admit() {
            return Ok(admitted);
        }
        let wait = commands::script_wait(server, session, args);
        if wait == ScriptWait::Nothing || (wait == ScriptWait::BusyOrEnd && run.busy_now()) {
            return Ok(run.admit_while_busy());
        }
    }
}

/// Runs a command that may run long (see [`commands::runs_off_loop`]) off the worker's
/// event loop: the session and the output buffer go with it to the worker's thread and
/// come back with the reply written. Returns the command that ran and the blocked clients
/// it woke.
async fn run_off_loop(
    server: &Arc<Server>,
    session: &mut Session,
    args: &[&[u8]],
    output: &mut BytesMut,
) -> (Option<&'static CommandSpec>, Vec<blocking::Wake>) {
    // One box for all of it: what travels to the job and back is a pointer. The arguments
    // are views of the input buffer, which stays here: they go copied.
    let mut job = Box::new(OffLoop {
        server: server.clone(),
        session: std::mem::replace(session, Session::new(session.client.clone())),
        out: std::mem::take(output),
        args: commands::owned_args(args),
        spec: None,
        woken: Vec::new(),
    });
    let job = crate::server::off_loop(move || {
        job.run();
        job
    })
    .await;
    let OffLoop { session: owned, out, spec, woken, .. } = *job;
    *session = owned;
    *output = out;
    (spec, woken)
}

/// A command run off the loop, with what it runs with.
struct OffLoop {
    server: Arc<Server>,
    session: Session,
    out: BytesMut,
    args: Vec<bytes::Bytes>,
    spec: Option<&'static CommandSpec>,
    woken: Vec<blocking::Wake>,
}

impl OffLoop {
    /// Runs the command, its reply written into `out`.
    fn run(&mut self) {
        let OffLoop { server, session, out, args, spec, woken } = self;
        let mut writer = RespWriter::new(out, session.protocol);
        let mut ctx = Ctx::new(server, session, &mut writer);
        (*spec, *woken) = blocking::collecting_wakes(|| commands::execute(&mut ctx, &commands::views(args)));
    }
}

/// Writes `output` out; false if the write failed or the client was killed meanwhile.
async fn write_unless_killed(
    server: &Server,
    stream: &mut TcpStream,
    output: &mut BytesMut,
    client: &crate::server::ClientHandle,
) -> bool {
    tokio::select! {
        written = write_out(server, stream, output) => written.is_ok(),
        () = client.kill.cancelled() => false,
    }
}

/// The connection ends (its pending replies unsent) when its writes could not be kept as
/// promised (see [`crate::persist::durable`]).
fn unconfirmed_closes(durable: bool) -> std::io::Result<()> {
    if durable { Ok(()) } else { Err(std::io::Error::other("writes not acknowledged by enough replicas")) }
}

/// Runs every complete command in `input` and writes the replies.
async fn run_batch(
    server: &Arc<Server>,
    session: &mut Session,
    parser: &mut RequestParser,
    input: &mut BytesMut,
    output: &mut BytesMut,
    stream: &mut TcpStream,
) -> std::io::Result<Next> {
    let limits = ParseLimits {
        max_bulk_len: server.config.limits().proto_max_bulk_len.load(Ordering::Relaxed),
        unauthenticated: !session.authenticated && server.acl.auth_required(),
    };
    let mut commands = 0u64;
    let mut last = None;
    let mut next = Next::Continue;
    // A command of this batch ran off the loop (see `run_off_loop`).
    let mut ran_off_loop = false;
    // A pipeline's keys are prefetched together (the first commands' at least); a command
    // past those gets its slot table prefetched once parsed.
    let mut peeked = 0;
    // The admission of commands run back to back, held from one to the next and dropped
    // before any wait (see below).
    let mut admitted: Option<Admitted<'_>> = None;
    session.last_end = None;
    if !parser.in_progress() {
        let mut keys = SmallVec::<[&[u8]; 16]>::new();
        peeked = RequestParser::peek_keys(input, &mut keys) as u64;
        if keys.len() > 1 {
            server.keyspace.prefetch_keys(session.db, &keys);
        } else {
            peeked = 0;
        }
    }
    loop {
        let mut args = ArgViews::new();
        match parser.next(input, limits, &mut args) {
            Ok(true) => {
                if commands >= peeked {
                    // Most commands name a key first: start loading its slot table now.
                    if let Some(key) = args.get(1) {
                        server.keyspace.prefetch(session.db, key);
                    }
                }
                if server.pause.active() {
                    admitted = None;
                    held_by_pause(server, session, &args, output, stream).await?;
                    session.last_end = None;
                }
                let runs_long = commands::runs_off_loop(session, &args);
                // A command is admitted until it has run: a script starting waits for the
                // admitted ones (see `scripting::admission`). Commands run back to back
                // share one admission, taken by the first: it is held without a break, so
                // no script can have taken the shards since its check. One that finds a
                // script running waits for it first, as does a script of its own. Either
                // wait sends the replies so far, so this comes before `reply_at`. (Boxed:
                // a rare path's future would grow this one, which every command goes
                // through.)
                let mut admitted_alone = None;
                if runs_long {
                    admitted = None;
                    if server.scripting.run.is_running() {
                        Box::pin(held_by_script(server, session, &args, output, stream)).await?;
                        session.last_end = None;
                    }
                } else if admitted.is_none() {
                    admitted = server.scripting.run.admit();
                    if admitted.is_none() {
                        // Admitted after a script, or to get BUSY while one runs: for this
                        // command only, the next one checks again.
                        admitted_alone =
                            Some(Box::pin(admit_after_script(server, session, &args, output, stream)).await?);
                        session.last_end = None;
                    }
                }
                let reply_at = output.len();
                let (ran, woken) = if runs_long {
                    let ran = run_off_loop(server, session, &args, output).await;
                    // The job ran after this turn of the event loop, and the connection
                    // resumes a turn after the job: the next command is not back to back.
                    session.last_end = None;
                    ran_off_loop = true;
                    ran
                } else {
                    // Back to back with the command before (no wait between them), this
                    // command's duration starts where that one's ended.
                    session.next_start = session.last_end.take();
                    let mut writer = RespWriter::new(output, session.protocol);
                    let mut ctx = Ctx::new(server, session, &mut writer);
                    blocking::collecting_wakes(|| commands::execute(&mut ctx, &args))
                };
                last = ran.or(last);
                drop(admitted_alone);
                // CLIENT REPLY OFF / SKIP: the reply is dropped (a blocked command's once
                // it is written).
                if session.reply != ReplyMode::On && session.block.is_none() {
                    client_reply::settle(&mut session.reply, output, reply_at, ran);
                }
                if let Some(subscriptions) = &session.subscriptions {
                    // What a subscriber's own command published to it (PUBLISH to itself,
                    // keyspace events of its writes) goes before the reply, as in Redis.
                    write_messages_before(&subscriptions.subscriber, session.protocol, output, reply_at);
                }
                commands += 1;
                if !woken.is_empty() {
                    // The clients this command woke are served before its reply and before
                    // this client's next command, as in Redis (see `engine::blocking`).
                    admitted = None;
                    blocking::served(woken, None).await;
                    session.last_end = None;
                }
                if session.block.is_some() {
                    // A blocking command found nothing: send what is pending, park the
                    // client until it is served or times out, then carry on with the batch.
                    // Its arguments stay where they are: nothing is read meanwhile.
                    admitted = None;
                    unconfirmed_closes(crate::persist::durable(server, session).await)?;
                    write_out(server, stream, output).await?;
                    let subscriber = session.subscriptions.as_ref().map(|s| s.subscriber.clone());
                    let protocol = session.protocol;
                    let wait = blocking::wait(server, session, &args, output, closed(stream));
                    let unblocked = match subscriber {
                        Some(subscriber) => wait_receiving(server, stream, &subscriber, protocol, wait).await,
                        None => wait.await,
                    };
                    session.last_end = None;
                    if matches!(unblocked, Unblocked::Abandoned) {
                        next = Next::Close;
                        break;
                    }
                    if session.reply != ReplyMode::On {
                        client_reply::settle(&mut session.reply, output, 0, None);
                    }
                    continue;
                }
                if session.quit {
                    next = Next::Close;
                    break;
                }
                if let Some(start) = session.sync.take() {
                    next = Next::Sync(start);
                    break;
                }
                if output.len() >= FLUSH_AT {
                    admitted = None;
                    unconfirmed_closes(crate::persist::durable(server, session).await)?;
                    write_out(server, stream, output).await?;
                    session.last_end = None;
                }
            }
            Ok(false) => break,
            Err(e) => {
                let text = e.to_string();
                RespWriter::new(output, session.protocol).error(&text);
                crate::metrics::count_error_reply(server, &text);
                tracing::debug!(client = %session.client.addr, "protocol error: {}", e.0);
                next = Next::Close;
                break;
            }
        }
    }
    drop(admitted);
    if commands > 0 {
        ServerStats::add(&server.stats.total_commands_processed, commands);
        session.client.touch(last.map_or("NULL", |c| c.name));
    }
    if !output.is_empty() {
        unconfirmed_closes(crate::persist::durable(server, session).await)?;
        // Let the worker run every other ready connection before this one writes, as Redis
        // writes all replies after its event loop has read every ready client: a client
        // served by many connections (a benchmark, a pooled app) is then woken once per
        // round while it is busy reading, not once per connection after it went back to
        // sleep. Those wake-ups were half the kernel time per request at -P 16. After a
        // command run off the loop that is done: the worker ran its jobs once it had served
        // every ready connection, and one more turn would only poll the driver again.
        if !ran_off_loop {
            tokio::task::yield_now().await;
        }
        write_out(server, stream, output).await?;
    }
    Ok(next)
}

/// Completes when messages wait in the subscriber's mailbox; never without one.
async fn messages(subscriber: Option<&Subscriber>) {
    match subscriber {
        Some(subscriber) => subscriber.wake.notified().await,
        None => std::future::pending().await,
    }
}

/// Completes when lines wait in the monitor's queue; never for a client not monitoring.
async fn monitor_lines(feed: Option<&MonitorFeed>) {
    match feed {
        Some(feed) => feed.wake.notified().await,
        None => std::future::pending().await,
    }
}

/// Appends every queued MONITOR line as a simple string (in RESP2 and RESP3 alike).
fn write_monitor_lines(feed: &MonitorFeed, output: &mut BytesMut) {
    for line in feed.drain() {
        output.extend_from_slice(b"+");
        output.extend_from_slice(&line);
        output.extend_from_slice(b"\r\n");
    }
}

/// Appends every queued message, as RESP3 pushes or RESP2 arrays (encoded once per
/// message, whatever the number of subscribers).
fn write_messages(subscriber: &Subscriber, protocol: Protocol, output: &mut BytesMut) {
    for message in subscriber.drain() {
        output.extend_from_slice(message.frame(protocol == Protocol::Resp3));
    }
}

/// [`write_messages`], but inserted at `at`, before the reply that starts there; except
/// tracking invalidations, which Redis sends after the reply of the command that caused
/// them (a client caching the value it just read must then drop it).
fn write_messages_before(subscriber: &Subscriber, protocol: Protocol, output: &mut BytesMut, at: usize) {
    let queued = subscriber.drain();
    if queued.is_empty() {
        return;
    }
    let resp3 = protocol == Protocol::Resp3;
    let reply = output.split_off(at);
    for message in queued.iter().filter(|m| !m.after_reply) {
        output.extend_from_slice(message.frame(resp3));
    }
    output.unsplit(reply);
    for message in queued.iter().filter(|m| m.after_reply) {
        output.extend_from_slice(message.frame(resp3));
    }
}

/// Runs `wait` (a RESP3 subscriber blocked in BLPOP, XREAD...) while writing the messages
/// published to the client meanwhile straight to its socket, as Redis pushes them to a
/// blocked client.
async fn wait_receiving(
    server: &Server,
    stream: &TcpStream,
    subscriber: &Subscriber,
    protocol: Protocol,
    wait: impl std::future::Future<Output = Unblocked>,
) -> Unblocked {
    tokio::pin!(wait);
    let mut pushes = BytesMut::new();
    loop {
        tokio::select! {
            // Messages first: one published before the command was served goes before
            // its reply.
            biased;
            () = subscriber.wake.notified() => {
                write_messages(subscriber, protocol, &mut pushes);
                // The blocked command holds the stream for reading (to see the client
                // leave), so this writes through a shared reference. A client that does not
                // read is cut off by its output buffer limit, which kills it.
                let written = tokio::select! {
                    written = write_shared(stream, &pushes) => written.is_ok(),
                    () = subscriber.client.kill.cancelled() => false,
                };
                if !written {
                    return Unblocked::Abandoned;
                }
                ServerStats::add(&server.stats.total_net_output_bytes, pushes.len() as u64);
                ServerStats::add(&server.stats.total_writes_processed, 1);
                pushes.clear();
            }
            unblocked = &mut wait => return unblocked,
        }
    }
}

/// Writes all of `bytes` to `stream` through a shared reference.
async fn write_shared(stream: &TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Completes when the peer closes the connection (or it fails); pending input is left
/// unread for after the block.
async fn closed(stream: &TcpStream) {
    let mut byte = [0u8; 1];
    match stream.peek(&mut byte).await {
        Ok(0) | Err(_) => {}
        // The client sent more commands: they wait their turn; stop watching.
        Ok(_) => std::future::pending().await,
    }
}

async fn write_out(server: &Server, stream: &mut TcpStream, output: &mut BytesMut) -> std::io::Result<()> {
    stream.write_all(output).await?;
    ServerStats::add(&server.stats.total_net_output_bytes, output.len() as u64);
    ServerStats::add(&server.stats.total_writes_processed, 1);
    output.clear();
    Ok(())
}
