//! The HTTP endpoint for operators' tooling: `/metrics` (Prometheus), `/healthz` (the
//! process is up) and `/readyz` (it serves commands: not shutting down).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::server::Server;

async fn metrics(State(server): State<Arc<Server>>) -> impl IntoResponse {
    // Summing the shards' counters locks each shard briefly: off the async thread.
    let text = tokio::task::spawn_blocking(move || super::prometheus::render(&server)).await.unwrap_or_default();
    ([(header::CONTENT_TYPE, super::prometheus::CONTENT_TYPE)], text)
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(server): State<Arc<Server>>) -> (StatusCode, &'static str) {
    if server.shutdown.is_cancelled() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
    } else {
        (StatusCode::OK, "ready\n")
    }
}

/// Serves the endpoint on `listener` until shutdown.
pub async fn serve(server: Arc<Server>, listener: TcpListener) {
    let shutdown = server.shutdown.clone();
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(server);
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await {
        tracing::error!("metrics listener failed: {e}");
    }
}
