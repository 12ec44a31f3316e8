//! Accepts RESP connections until shutdown, enforcing `maxclients`.

use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::server::{Door, Server, ServerStats, Workers};

/// The reply to a connection refused by protected mode, in Redis's words.
pub(crate) const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Protected mode: while the default user needs no password, only this host may connect.
pub(crate) fn protected(server: &Server, peer: std::net::SocketAddr) -> bool {
    !peer.ip().to_canonical().is_loopback()
        && server.config.bool("protected-mode")
        && server.acl.default_user().user().nopass
}

/// Serves RESP on `listener` until shutdown or until `stop` is cancelled (CONFIG SET port
/// moved the door); each connection runs as a task on one of the `workers`.
pub async fn serve(
    server: Arc<Server>,
    listener: TcpListener,
    workers: Arc<Workers>,
    stop: tokio_util::sync::CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            () = server.shutdown.cancelled() => return,
            () = stop.cancelled() => return,
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
        let spread = crate::server::balancer::spread_configured(&server.config);
        let server = server.clone();
        workers.spawn_connection(spread, |seat| async move {
            let Ok(mut stream) = tokio::net::TcpStream::from_std(stream) else { return };
            if protected(&server, peer) {
                let _ = stream.write_all(DENIED.as_bytes()).await;
                return;
            }
            let laddr = stream.local_addr().map(|a| a.to_string()).unwrap_or_default();
            let max = usize::try_from(server.config.limits().maxclients.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
            let fd = i64::from(stream.as_raw_fd());
            let Some(registration) = server.clients.register(Door::Resp, peer.to_string(), laddr, fd, max) else {
                ServerStats::add(&server.stats.rejected_connections, 1);
                let _ = stream.write_all(b"-ERR max number of clients reached\r\n").await;
                return;
            };
            super::connection::run(&server, stream, &registration, seat).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigStore;

    #[test]
    fn protected_mode_refuses_other_hosts_while_default_has_no_password() {
        let server = Server::new(ConfigStore::new(), 1);
        let remote: std::net::SocketAddr = "192.0.2.7:5000".parse().unwrap_or_else(|_| unreachable!());
        let local: std::net::SocketAddr = "127.0.0.1:5000".parse().unwrap_or_else(|_| unreachable!());
        let mapped: std::net::SocketAddr = "[::ffff:127.0.0.1]:5000".parse().unwrap_or_else(|_| unreachable!());
        assert!(protected(&server, remote));
        assert!(!protected(&server, local));
        assert!(!protected(&server, mapped));
        server.acl.set_requirepass("pw");
        assert!(!protected(&server, remote));
        server.acl.set_requirepass("");
        let off = [("protected-mode".to_owned(), "no".to_owned())];
        assert!(server.config.set_many(&off, false).is_ok());
        assert!(!protected(&server, remote));
    }
}
