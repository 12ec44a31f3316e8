//! Accepts RESP connections until shutdown, enforcing `maxclients`.

use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::server::{Door, Server, ServerStats, Workers};

/// Serves RESP on `listener`; each connection runs as a task on one of the `workers`.
pub async fn serve(server: Arc<Server>, listener: TcpListener, workers: Arc<Workers>) {
    loop {
        let accepted = tokio::select! {
            () = server.shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(conn) => conn,
            Err(e) => {
                // Out of file descriptors and the like: log, back off briefly, carry on.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        ServerStats::add(&server.stats.total_connections_received, 1);
        let _ = stream.set_nodelay(true);
        // Move the socket to a worker's event loop: it must be registered there.
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(e) => {
                tracing::warn!("cannot hand over a connection from {peer}: {e}");
                continue;
            }
        };
        let server = server.clone();
        workers.spawn(async move {
            let Ok(mut stream) = tokio::net::TcpStream::from_std(stream) else { return };
            let laddr = stream.local_addr().map(|a| a.to_string()).unwrap_or_default();
            let max = usize::try_from(server.config.limits().maxclients.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
            let fd = i64::from(stream.as_raw_fd());
            let Some(registration) = server.clients.register(Door::Resp, peer.to_string(), laddr, fd, max) else {
                ServerStats::add(&server.stats.rejected_connections, 1);
                let _ = stream.write_all(b"-ERR max number of clients reached\r\n").await;
                return;
            };
            super::connection::run(&server, stream, &registration).await;
        });
    }
}
