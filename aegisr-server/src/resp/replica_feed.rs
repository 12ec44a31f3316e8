//! A Redis replica (or any client that sent SYNC or PSYNC without `rdb-only`) following
//! this node: the dataset as an RDB file, then every write as Redis propagates it, read
//! from the journal's replication backlog (`persist::backlog`) and put in Redis's form
//! (`persist::redis_form`). The file is made slot by slot while the node serves; each
//! slot's position in the record stream says which records after the start the file
//! already holds, so none is sent twice and none is missed.
//!
//! The replica's `REPLCONF ACK <offset>` (its offset in the stream sent) are read on the
//! same connection and mapped back to journal positions: WAIT, `min-replicas-to-write`,
//! ROLE and INFO replication count a Redis replica as they count a cluster replica. A
//! replica that falls further behind than the backlog holds is disconnected; one whose
//! link broke may continue its stream (`resp::replica_resume`).

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::parser::{ParseLimits, RequestParser};
use super::rdb_transfer::{self, Form};
use super::replica_resume::{Mark, PIECE, ReplicaStream, frames};
use crate::commands::args::is;
use crate::commands::sync::FeedFrom;
use crate::commands::{ArgViews, Session};
use crate::persist::journal::Journal;
use crate::persist::redis_form::Covered;
use crate::server::{ClientType, Server, ServerStats};
/// Cluster node ids are small numbers the control plane gives out; a Redis replica is
/// registered among the node's replicas under its client id with this bit set.
const REDIS_REPLICA: u64 = 1 << 63;
/// A replica's input beyond this (it only sends REPLCONF ACK) ends the link.
const MAX_INPUT: usize = 64 * 1024;

/// Ends every stream to a Redis replica and forgets them, so that each replica comes back
/// for a full sync: this node's data was replaced by a file from the master it follows,
/// which no stream of its journal carries.
pub(crate) fn end_all(server: &Server) {
    server.redis_replicas.forget_all();
    for client in server.clients.all() {
        if client.client_type() == ClientType::Replica {
            client.kill.cancel();
        }
    }
}

/// Serves the replica on `stream`: the file and the stream after it, or the rest of a
/// stream it continues, until it goes away, falls behind or the node stops.
pub(super) async fn serve(
    server: &Arc<Server>,
    stream: &mut TcpStream,
    session: &Session,
    journal: Arc<Journal>,
    from: FeedFrom,
) {
    let client = &session.client;
    let feed = match from {
        FeedFrom::File { replid, offset } => {
            let form = if session.capa_eof { Form::Eof } else { Form::Length };
            let parts = crate::persist::rdb::Parts::default();
            let Some(export) = rdb_transfer::transfer(server, stream, parts, form, Some(journal.clone())).await else {
                return;
            };
            ServerStats::add(&server.stats.sync_full, 1);
            let covered = Covered { slot_lsns: export.slot_lsns, functions_lsn: export.functions_lsn };
            server.redis_replicas.started(replid, &journal, covered, offset)
        }
        FeedFrom::Resume(feed) => feed,
    };
    let Some(start) = feed.first() else { return };
    let (ip, _) = client.addr.rsplit_once(':').unwrap_or((client.addr.as_str(), ""));
    let port = session.listening_port.unwrap_or(0);
    let node = REDIS_REPLICA | client.id;
    feed.served_to(node);
    let link = server.replication.replica_connected(node, format!("{ip}:{port}"), start.lsn);
    tracing::info!(replica = %client.addr, "a Redis replica is in sync at offset {}; streaming writes", start.bytes);
    let killed = client.kill.clone();
    let ended = tokio::select! {
        ended = follow(server, stream, &journal, &feed, start, node, link) => ended,
        () = killed.cancelled() => "it was killed (CLIENT KILL) or the node is shutting down".into(),
    };
    server.replication.replica_gone(node, link);
    tracing::info!(replica = %client.addr, "replica link closed: {ended}");
}

async fn follow(
    server: &Arc<Server>,
    stream: &mut TcpStream,
    journal: &Arc<Journal>,
    feed: &ReplicaStream,
    start: Mark,
    node: u64,
    link: u64,
) -> String {
    let backlog = journal.backlog();
    let mut grown = backlog.subscribe();
    let mut ack_wanted = server.replication.ack_requests();
    // The journal position the last GETACK was sent for.
    let mut ack_asked = 0;
    let Mark { mut bytes, lsn: mut at, mut form } = start;
    let mut out = Vec::new();
    let mut input = BytesMut::new();
    let mut parser = RequestParser::new();
    let ping_period = || Duration::from_secs(server.config.u64("repl-ping-replica-period").max(1));
    let mut next_ping = tokio::time::Instant::now() + ping_period();
    loop {
        // The journal switched off or replaced (CONFIG SET appendonly): this stream ends.
        if !server.keyspace.journal().is_some_and(|j| Arc::ptr_eq(&j, journal)) {
            return "the journal it followed was closed".into();
        }
        let pieces = match backlog.read(at, PIECE) {
            Ok(pieces) => pieces,
            Err(e) => return format!("it fell behind the replication backlog ({e})"),
        };
        out.clear();
        for (lsn, data) in &pieces {
            for frame in frames(*lsn, data) {
                match frame {
                    Ok((record, record_at, _)) => form.record(&record, record_at, feed.covered(), &mut out),
                    Err(e) => return e,
                }
            }
            at = lsn + data.len() as u64;
        }
        if tokio::time::Instant::now() >= next_ping {
            crate::persist::redis_form::put(&mut out, &[b"PING".as_slice()]);
            next_ping = tokio::time::Instant::now() + ping_period();
        }
        if !out.is_empty() {
            if let Err(e) = send(server, stream, &out).await {
                return e;
            }
            bytes += out.len() as u64;
        }
        if !pieces.is_empty() || !out.is_empty() {
            feed.mark(Mark { bytes, lsn: at, form: form.clone() });
        }
        // A WAIT waits for what has now been sent: ask for an acknowledgement at once, as a
        // Redis master does, instead of waiting for the replica's one a second. A Redis
        // replica acknowledges the offset before the GETACK: the mark just made.
        let wanted = *ack_wanted.borrow_and_update();
        if wanted > ack_asked && at >= wanted {
            out.clear();
            crate::persist::redis_form::put(&mut out, &[b"REPLCONF".as_slice(), b"GETACK", b"*"]);
            if let Err(e) = send(server, stream, &out).await {
                return e;
            }
            bytes += out.len() as u64;
            feed.mark(Mark { bytes, lsn: at, form: form.clone() });
            ack_asked = wanted;
        }
        if !pieces.is_empty() {
            continue;
        }
        tokio::select! {
            changed = grown.changed() => if changed.is_err() { return "the journal closed".into() },
            changed = ack_wanted.changed() => if changed.is_err() { return "the node is stopping".into() },
            () = tokio::time::sleep_until(next_ping) => {}
            read = stream.read_buf(&mut input) => match read {
                Ok(0) => return "the replica closed the connection".into(),
                Err(e) => return format!("read failed: {e}"),
                Ok(_) => {
                    if let Err(e) = acknowledgements(server, &mut parser, &mut input, feed, node, link) {
                        return e;
                    }
                }
            },
        }
    }
}

/// Writes `out` to the replica, which must take it within `repl-timeout`.
async fn send(server: &Server, stream: &mut TcpStream, out: &[u8]) -> Result<(), String> {
    let timeout = Duration::from_secs(server.config.u64("repl-timeout").max(1));
    match tokio::time::timeout(timeout, stream.write_all(out)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("write failed: {e}")),
        Err(_) => return Err("it stopped reading".into()),
    }
    ServerStats::add(&server.stats.total_net_repl_output_bytes, out.len() as u64);
    Ok(())
}

/// Reads what the replica sent: `REPLCONF ACK <offset>`, once a second and after each
/// GETACK. Anything else is ignored, as a Redis master ignores it.
fn acknowledgements(
    server: &Server,
    parser: &mut RequestParser,
    input: &mut BytesMut,
    feed: &ReplicaStream,
    node: u64,
    link: u64,
) -> Result<(), String> {
    if input.len() > MAX_INPUT {
        return Err("the replica sent too much".into());
    }
    loop {
        let mut args = ArgViews::new();
        match parser.next(input, ParseLimits { max_bulk_len: MAX_INPUT as u64, unauthenticated: false }, &mut args) {
            Ok(true) => {
                if args.len() >= 3 && is(args[0], "replconf") && is(args[1], "ack") {
                    let offset = std::str::from_utf8(args[2]).ok().and_then(|o| o.parse::<u64>().ok());
                    if let Some(lsn) = offset.and_then(|offset| feed.acked(offset)) {
                        server.replication.replica_acked(node, link, lsn);
                    }
                }
            }
            Ok(false) => return Ok(()),
            Err(e) => return Err(format!("the replica sent something unreadable: {e}")),
        }
    }
}
