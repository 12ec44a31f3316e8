//! One feed per node: connects, streams `WatchStats`, polls the slow log and clients with
//! each message, and reports the node down (then retries every second) when any of it
//! fails.

use std::sync::mpsc::Sender;
use std::time::Duration;

use aegisr_proto::Client;

use crate::app::Update;
use crate::cluster::{Snapshot, address};

/// How long a connection attempt may take before the node is shown down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const RETRY: Duration = Duration::from_secs(1);
/// Slow log entries fetched per update.
const SLOWLOG_ENTRIES: u32 = 128;

/// (user, password) every node is called with (`--user`, `--pass`), set once at start.
static CREDENTIALS: std::sync::OnceLock<(Option<String>, String)> = std::sync::OnceLock::new();

/// Authenticates every call to every node as `user` with `password`.
pub fn set_credentials(user: Option<String>, password: String) {
    let _ = CREDENTIALS.set((user, password));
}

async fn connect(addr: &str) -> Result<Client, String> {
    let connecting = async {
        match CREDENTIALS.get() {
            Some((user, password)) => {
                Client::connect_with_credentials(addr.to_owned(), user.as_deref(), password).await
            }
            None => Client::connect(addr.to_owned()).await,
        }
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("connection timed out".to_owned()),
    }
}

/// Streams until the connection fails; returns why.
async fn stream(index: usize, addr: &str, interval_ms: u32, updates: &Sender<Update>) -> String {
    let mut client = match connect(addr).await {
        Ok(client) => client,
        Err(e) => return e,
    };
    let mut stats = match client.watch_stats(interval_ms).await {
        Ok(stream) => stream,
        Err(e) => return e.to_string(),
    };
    loop {
        let next = match stats.message().await {
            Ok(Some(next)) => next,
            Ok(None) => return "stream ended".to_owned(),
            Err(status) => return status.message().to_owned(),
        };
        if updates.send(Update::Stats(index, Box::new(next))).is_err() {
            return String::new();
        }
        let slowlog = client.slowlog(SLOWLOG_ENTRIES, false).await.map(|r| r.entries);
        let clients = client.clients().await;
        match (slowlog, clients) {
            (Ok(slowlog), Ok(clients)) => {
                let _ = updates.send(Update::SlowLog(index, slowlog));
                let _ = updates.send(Update::Clients(index, clients));
            }
            (Err(e), _) | (_, Err(e)) => return e.to_string(),
        }
    }
}

/// Feeds `updates` with node `index`'s figures for ever (until the receiver goes).
pub async fn run(index: usize, addr: String, interval_ms: u32, updates: Sender<Update>) {
    loop {
        let why = stream(index, &addr, interval_ms, &updates).await;
        if updates.send(Update::Down(index, why)).is_err() {
            return;
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// CLIENT KILL ID `id` on the node; reports the outcome as a notice.
pub async fn kill(addr: String, id: u64, updates: Sender<Update>) {
    let text = match connect(&addr).await {
        Ok(mut client) => match client.execute(["CLIENT", "KILL", "ID", &id.to_string()]).await {
            Ok(reply) => match reply.as_integer() {
                Some(1) => format!("client {id} killed"),
                _ => format!("client {id}: {reply}"),
            },
            Err(e) => format!("kill failed: {e}"),
        },
        Err(e) => format!("kill failed: {e}"),
    };
    let _ = updates.send(Update::Notice(text));
}

/// Reads the cluster through whichever node answers (the members known so far, then the
/// addresses given), every `interval_ms`, with the leader's heartbeat figures when the
/// leader can be asked. Ends at once when the first node to answer is not in cluster mode.
pub async fn cluster(seeds: Vec<String>, interval_ms: u32, updates: Sender<Update>) {
    let mut members: Vec<String> = Vec::new();
    let interval = Duration::from_millis(u64::from(interval_ms));
    // The node last read from, kept while it answers.
    let mut current: Option<Client> = None;
    loop {
        let mut status = None;
        if let Some(client) = &mut current {
            status = client.cluster_status().await.ok();
        }
        if status.is_none() {
            current = None;
            for addr in members.iter().chain(&seeds) {
                let Ok(mut client) = connect(addr).await else { continue };
                match client.cluster_status().await {
                    Ok(answer) => {
                        status = Some(answer);
                        current = Some(client);
                        break;
                    }
                    Err(aegisr_proto::ClientError::Status(s)) if s.code() == tonic::Code::FailedPrecondition => return,
                    Err(_) => {}
                }
            }
        }
        if let Some(status) = status {
            let health =
                if status.leader == Some(status.myself) { status.health.clone() } else { leader_health(&status).await };
            members = status.members.iter().map(|m| address(&m.host, m.grpc_port)).collect();
            if updates.send(Update::Cluster(Box::new(Snapshot { status, health }))).is_err() {
                return;
            }
        }
        tokio::time::sleep(interval).await;
    }
}

/// The heartbeat figures only the control plane's leader has (empty if it cannot be asked).
async fn leader_health(status: &aegisr_proto::v1::ClusterStatusReply) -> Vec<aegisr_proto::v1::ClusterNodeHealth> {
    let Some(leader) = status.leader.and_then(|id| status.members.iter().find(|m| m.id == id)) else {
        return Vec::new();
    };
    match connect(&address(&leader.host, leader.grpc_port)).await {
        Ok(mut client) => client.cluster_status().await.map(|s| s.health).unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}
