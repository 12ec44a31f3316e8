//! The dataset as an RDB file, sent to a client that asked with SYNC or PSYNC after
//! `REPLCONF rdb-only 1` (`redis-cli --rdb`; see `commands::sync`).
//!
//! The file is encoded on a thread of its own, slot by slot as a snapshot is (no fork, no
//! copy of the dataset: memory grows by the chunks in flight), and streamed in Redis's
//! diskless form, whose length is not known ahead: `$EOF:<40 random characters>\r\n`, the
//! file, then the same 40 characters. A failure before the first chunk is an error reply;
//! after it, the connection closes without the end mark, which the client reports.

use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::server::{Server, ServerStats};

/// Chunks encoded ahead of the socket: the encoder waits beyond that for a slow reader.
const CHUNKS_AHEAD: usize = 4;

/// Sends the file, then returns (the connection is closed after it).
pub(super) async fn send(server: &Arc<Server>, stream: &mut TcpStream, parts: crate::persist::rdb::Parts) {
    let (chunks, mut received) = mpsc::channel::<anyhow::Result<Vec<u8>>>(CHUNKS_AHEAD);
    let encoder = server.clone();
    let spawned = std::thread::Builder::new().name("aegisr-rdb-export".into()).spawn(move || {
        if let Err(e) = export(&encoder, parts, &chunks) {
            let _ = chunks.blocking_send(Err(e));
        }
    });
    if let Err(e) = spawned {
        let _ = write(server, stream, format!("-ERR cannot start the RDB export: {e}\r\n").as_bytes()).await;
        return;
    }
    let first = match received.recv().await {
        Some(Ok(first)) => first,
        Some(Err(e)) => {
            tracing::warn!("RDB export refused: {e:#}");
            let _ = write(server, stream, format!("-ERR {e:#}\r\n").as_bytes()).await;
            return;
        }
        None => return,
    };
    let mark = crate::server::random_hex40();
    if write(server, stream, format!("$EOF:{mark}\r\n").as_bytes()).await.is_err()
        || write(server, stream, &first).await.is_err()
    {
        return;
    }
    while let Some(chunk) = received.recv().await {
        match chunk {
            Ok(chunk) => {
                if write(server, stream, &chunk).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!("RDB export stopped part way, closing the connection: {e:#}");
                return;
            }
        }
    }
    let _ = write(server, stream, mark.as_bytes()).await;
}

/// Writes `bytes`, giving up after `repl-timeout` seconds without progress: while the file
/// is sent, writes to slots not yet encoded encode them ahead and keep them in memory, so a
/// client that stops reading must not hold the export open for ever.
async fn write(server: &Server, stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    let timeout = std::time::Duration::from_secs(server.config.u64("repl-timeout").max(1));
    tokio::time::timeout(timeout, stream.write_all(bytes))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "the client stopped reading the RDB file"))??;
    ServerStats::add(&server.stats.total_net_output_bytes, bytes.len() as u64);
    Ok(())
}

/// Encodes the dataset into `chunks` once no snapshot is being written (one at a time).
fn export(
    server: &Server,
    parts: crate::persist::rdb::Parts,
    chunks: &mpsc::Sender<anyhow::Result<Vec<u8>>>,
) -> anyhow::Result<()> {
    let claim = loop {
        match crate::persist::claim_snapshots(server) {
            Ok(claim) => break claim,
            Err(crate::persist::SaveError::InProgress) => {
                if chunks.is_closed() {
                    return Ok(());
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => return Err(e.into()),
        }
    };
    let started = std::time::Instant::now();
    let keys = crate::persist::snapshot::export_rdb(
        &server.keyspace,
        &server.scripting.functions,
        crate::server::info::used_memory(),
        parts,
        |chunk| chunks.blocking_send(Ok(chunk)).map_err(|_| anyhow::anyhow!("the client went away")),
    )?;
    drop(claim);
    tracing::info!(keys, "RDB file sent (REPLCONF rdb-only) in {:.3} s", started.elapsed().as_secs_f64());
    Ok(())
}
