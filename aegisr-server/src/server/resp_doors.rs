//! The RESP listeners, which CONFIG SET port moves while the node runs, as Redis does: the
//! new port is bound on every bind address before anything changes (a port in use fails
//! the CONFIG SET, which then changes nothing), then the accept loops move to it.
//! Connections already open stay where they are.

use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Server, Workers};

/// The RESP door's accept loops (none until the node has started them).
#[derive(Default)]
pub struct RespDoors {
    open: Mutex<Option<Doors>>,
}

struct Doors {
    server: Weak<Server>,
    binds: Vec<String>,
    /// Cancelled to stop the current accept loops.
    accepting: CancellationToken,
    workers: Arc<Workers>,
    tracker: TaskTracker,
    /// The runtime the accept loops run on (a listener registers with its reactor).
    runtime: tokio::runtime::Handle,
}

impl RespDoors {
    /// Starts accepting on `listeners` (bound at start to `binds`), on this runtime.
    pub(super) fn open(
        &self,
        server: &Arc<Server>,
        binds: Vec<String>,
        listeners: Vec<tokio::net::TcpListener>,
        workers: Arc<Workers>,
        tracker: TaskTracker,
    ) {
        let accepting = CancellationToken::new();
        let runtime = tokio::runtime::Handle::current();
        // Held while the accept loops start: a client they accept may CONFIG SET port at
        // once, which must find the doors (and their bind addresses) in place.
        let mut open = self.open.lock();
        for listener in listeners {
            tracker.spawn(crate::resp::serve(server.clone(), listener, workers.clone(), accepting.clone()));
        }
        *open = Some(Doors { server: Arc::downgrade(server), binds, accepting, workers, tracker, runtime });
    }

    /// Forgets the doors (their accept loops have stopped: the node is shutting down).
    pub(super) fn close(&self) {
        self.open.lock().take();
    }

    /// Connections each worker serves (none before the doors open).
    pub fn worker_clients(&self) -> Vec<usize> {
        self.open.lock().as_ref().map(|d| d.workers.clients()).unwrap_or_default()
    }

    /// CPU seconds (system, user) of the worker threads.
    pub fn worker_cpu_seconds(&self) -> (f64, f64) {
        self.open.lock().as_ref().map_or((0.0, 0.0), |d| d.workers.cpu_seconds())
    }

    /// Binds `port` on every bind address (0: a free one, the same for all), ready for
    /// [`RespDoors::move_to`]. Nothing changes until then; dropping them undoes this.
    pub fn bind(&self, port: u16) -> std::io::Result<Vec<std::net::TcpListener>> {
        let binds = self.open.lock().as_ref().map(|d| d.binds.clone()).unwrap_or_default();
        if binds.is_empty() {
            // Binding nothing would "move" the door nowhere and report success.
            return Err(std::io::Error::other("the RESP port is not open"));
        }
        let mut port = port;
        let mut listeners = Vec::with_capacity(binds.len());
        for host in &binds {
            let listener = std::net::TcpListener::bind(super::listen_address(host, port))?;
            listener.set_nonblocking(true)?;
            port = listener.local_addr()?.port();
            listeners.push(listener);
        }
        Ok(listeners)
    }

    /// Stops accepting on the old listeners and starts on `listeners`.
    pub fn move_to(&self, listeners: Vec<std::net::TcpListener>) {
        let mut open = self.open.lock();
        let Some(doors) = open.as_mut() else { return };
        let Some(server) = doors.server.upgrade() else { return };
        doors.accepting.cancel();
        doors.accepting = CancellationToken::new();
        let addrs: Vec<std::net::SocketAddr> = listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
        for listener in listeners {
            let (server, workers, accepting) = (server.clone(), doors.workers.clone(), doors.accepting.clone());
            doors.tracker.spawn_on(
                async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => crate::resp::serve(server, listener, workers, accepting).await,
                        Err(e) => tracing::error!("cannot accept on the new RESP port: {e}"),
                    }
                },
                &doors.runtime,
            );
        }
        for addr in &addrs {
            tracing::info!("RESP listening on {addr} (CONFIG SET port)");
        }
        if let Some(first) = addrs.first() {
            super::record_port(&server.config, first.port());
        }
        server.addrs.lock().resp = addrs;
    }
}
