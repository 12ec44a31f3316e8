//! The dataset as an RDB file, sent to a client that asked with SYNC or PSYNC: after
//! `REPLCONF rdb-only 1` (`redis-cli --rdb`; see `commands::sync`), or as a Redis
//! replica's first step (`resp::replica_feed` streams the writes that follow it).
//!
//! The file is encoded on a thread of its own, slot by slot as a snapshot is (no fork, no
//! copy of the dataset: memory grows by the chunks in flight), and streamed in Redis's
//! diskless form, whose length is not known ahead: `$EOF:<40 random characters>\r\n`, the
//! file, then the same 40 characters (or, to a client that cannot read that form, spooled
//! to the data directory and sent after its length). A failure before the first chunk is an
//! error reply; after it, the connection closes without the end mark, which the client
//! reports.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use crate::persist::snapshot::RdbExport;

use crate::server::{Server, ServerStats};

/// Chunks encoded ahead of the socket: the encoder waits beyond that for a slow reader.
const CHUNKS_AHEAD: usize = 4;

/// Sends the file, then returns (the connection is closed after it).
pub(super) async fn send(server: &Arc<Server>, stream: &mut TcpStream, parts: crate::persist::rdb::Parts) {
    let _ = transfer(server, stream, parts, Form::Eof, None).await;
}

/// How the file is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// `$EOF:<mark>\r\n`, the file, the mark: the length need not be known ahead (a
    /// client that said `REPLCONF capa eof`, as Redis's replicas and `redis-cli --rdb` do).
    Eof,
    /// `$<length>\r\n` then the file: for a client that did not. The file is written to
    /// a temporary directory in the data directory first, to learn its length, rather than
    /// held in memory.
    Length,
}

/// Sends the dataset as an RDB file in `form`; with `journal`, notes where each slot's
/// image stands in the journal's record stream (for a replica that follows the stream
/// next). `None` if the file could not be sent whole (the caller closes the connection).
pub(super) async fn transfer(
    server: &Arc<Server>,
    stream: &mut TcpStream,
    parts: crate::persist::rdb::Parts,
    form: Form,
    journal: Option<Arc<crate::persist::journal::Journal>>,
) -> Option<RdbExport> {
    let (chunks, mut received) = mpsc::channel::<anyhow::Result<Vec<u8>>>(CHUNKS_AHEAD);
    let (done, finished) = oneshot::channel();
    let encoder = server.clone();
    let spawned = std::thread::Builder::new().name("aegisr-rdb-export".into()).spawn(move || {
        match export(&encoder, parts, journal, &chunks) {
            Ok(export) => {
                let _ = done.send(export);
            }
            Err(e) => {
                let _ = chunks.blocking_send(Err(e));
            }
        }
    });
    if let Err(e) = spawned {
        let _ = write(server, stream, format!("-ERR cannot start the RDB export: {e}\r\n").as_bytes()).await;
        return None;
    }
    let first = match received.recv().await {
        Some(Ok(first)) => first,
        Some(Err(e)) => {
            tracing::warn!("RDB export refused: {e:#}");
            let _ = write(server, stream, format!("-ERR {e:#}\r\n").as_bytes()).await;
            return None;
        }
        None => return None,
    };
    let sent = match form {
        Form::Eof => send_until_mark(server, stream, first, &mut received).await,
        Form::Length => send_with_length(server, stream, first, &mut received).await,
    };
    if !sent {
        return None;
    }
    finished.await.ok()
}

async fn send_until_mark(
    server: &Server,
    stream: &mut TcpStream,
    first: Vec<u8>,
    received: &mut mpsc::Receiver<anyhow::Result<Vec<u8>>>,
) -> bool {
    let mark = crate::server::random_hex40();
    if write(server, stream, format!("$EOF:{mark}\r\n").as_bytes()).await.is_err()
        || write(server, stream, &first).await.is_err()
    {
        return false;
    }
    while let Some(chunk) = received.recv().await {
        match chunk {
            Ok(chunk) => {
                if write(server, stream, &chunk).await.is_err() {
                    return false;
                }
            }
            Err(e) => {
                tracing::warn!("RDB export stopped part way, closing the connection: {e:#}");
                return false;
            }
        }
    }
    write(server, stream, mark.as_bytes()).await.is_ok()
}

async fn send_with_length(
    server: &Server,
    stream: &mut TcpStream,
    first: Vec<u8>,
    received: &mut mpsc::Receiver<anyhow::Result<Vec<u8>>>,
) -> bool {
    let spooled = async {
        // Removed when dropped, or at the next transfer if the node dies first.
        let dir = crate::persist::backup::temp_dir(server, "sync")?;
        let file = dir.path().join("dump.rdb");
        let mut out = tokio::fs::File::create(&file).await?;
        out.write_all(&first).await?;
        let mut length = first.len() as u64;
        while let Some(chunk) = received.recv().await {
            let chunk = chunk?;
            out.write_all(&chunk).await?;
            length += chunk.len() as u64;
        }
        out.flush().await?;
        anyhow::Ok((dir, file, length))
    };
    let (_dir, file, length) = match spooled.await {
        Ok(spooled) => spooled,
        Err(e) => {
            tracing::warn!("RDB export for a replica failed: {e:#}");
            let _ = write(server, stream, format!("-ERR {e:#}\r\n").as_bytes()).await;
            return false;
        }
    };
    if write(server, stream, format!("${length}\r\n").as_bytes()).await.is_err() {
        return false;
    }
    let Ok(mut input) = tokio::fs::File::open(&file).await else { return false };
    let mut piece = vec![0; 1 << 16];
    loop {
        match input.read(&mut piece).await {
            Ok(0) => return true,
            Ok(n) => {
                if write(server, stream, &piece[..n]).await.is_err() {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
}

/// Writes `bytes`, giving up after `repl-timeout` seconds without progress: while the file
/// is sent, writes to slots not yet encoded encode them ahead and keep them in memory, so a
/// client that stops reading must not hold the export open for ever.
async fn write(server: &Server, stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    let timeout = std::time::Duration::from_secs(server.config.u64("repl-timeout").max(1));
    tokio::time::timeout(timeout, stream.write_all(bytes))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "the client stopped reading the RDB file"))??;
    ServerStats::add(&server.stats.total_net_repl_output_bytes, bytes.len() as u64);
    Ok(())
}

/// Encodes the dataset into `chunks` once no snapshot is being written (one at a time).
fn export(
    server: &Server,
    parts: crate::persist::rdb::Parts,
    journal: Option<Arc<crate::persist::journal::Journal>>,
    chunks: &mpsc::Sender<anyhow::Result<Vec<u8>>>,
) -> anyhow::Result<RdbExport> {
    let claim = loop {
        match crate::persist::claim_snapshots(server) {
            Ok(claim) => break claim,
            Err(crate::persist::SaveError::InProgress) => {
                if chunks.is_closed() {
                    anyhow::bail!("the client went away");
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => return Err(e.into()),
        }
    };
    let started = std::time::Instant::now();
    let export = crate::persist::snapshot::export_rdb(
        &server.keyspace,
        &server.scripting.functions,
        journal,
        crate::server::info::used_memory(),
        parts,
        |chunk| chunks.blocking_send(Ok(chunk)).map_err(|_| anyhow::anyhow!("the client went away")),
    )?;
    drop(claim);
    tracing::info!(keys = export.keys, "RDB file encoded in {:.3} s", started.elapsed().as_secs_f64());
    Ok(export)
}
