//! The gRPC door (`aegisr.v1`): the Data service runs commands through the same table and
//! keyspace as RESP; the Admin service exposes node state and control.

mod admin;
pub mod auth;
mod cluster_admin;
mod convert;
mod data;
mod watch;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;

use aegisr_proto::v1::admin_server::AdminServer;
use aegisr_proto::v1::data_server::DataServer;

use crate::server::Server;

/// Serves gRPC on `listener` until shutdown.
pub async fn serve(server: Arc<Server>, listener: TcpListener) {
    let shutdown = server.shutdown.clone();
    // The builder's tcp_nodelay applies only to sockets tonic accepts itself; these come
    // from our listener, so set it here. Without it a pipelined stream stalls on Nagle and
    // delayed ACKs (about 40 ms per round trip).
    let incoming = TcpListenerStream::new(listener).map(|accepted| {
        if let Ok(stream) = &accepted {
            let _ = stream.set_nodelay(true);
        }
        accepted
    });
    let serving = tonic::transport::Server::builder()
        .add_service(DataServer::with_interceptor(data::DataService::new(server.clone()), auth::data(server.clone())))
        .add_service(AdminServer::with_interceptor(admin::AdminService::new(server.clone()), auth::admin(server)))
        .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    // Graceful shutdown lets in-flight calls finish, but an idle client may keep its
    // connection open indefinitely: give calls a grace period, then close regardless.
    let grace = async {
        shutdown.cancelled().await;
        tokio::time::sleep(GRACE).await;
    };
    tokio::select! {
        result = serving => {
            if let Err(e) = result {
                tracing::error!("gRPC listener failed: {e}");
            }
        }
        () = grace => tracing::debug!("gRPC connections still open after the grace period; closing them"),
    }
}

/// How long in-flight gRPC calls get to finish at shutdown.
const GRACE: std::time::Duration = std::time::Duration::from_secs(1);
