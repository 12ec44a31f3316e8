//! [`ClusterClient`]: a gRPC client for an Aegisr cluster that sends each command to the
//! primary owning its key's slot, following the cluster's redirections as Redis Cluster
//! clients do.
//!
//! The slot map comes from Admin `ClusterStatus` (it carries every member's gRPC port;
//! `CLUSTER SLOTS` gives only RESP addresses). A `MOVED` refreshes the map and retries on
//! the node it names; an `ASK` sends `ASKING` and the command on one `Pipeline` call to the
//! node it names; a `TRYAGAIN` waits briefly and retries. Redirections are bounded.
//!
//! Limitation: the key is taken to be the first argument after the command name, which
//! holds for the single-key commands and for multi-key commands whose keys share a slot
//! (`MSET {u}a 1 {u}b 2`). Commands whose first key is elsewhere (`EVAL script 1 key`,
//! `XREAD ... STREAMS key`, `OBJECT ENCODING key`) go to the slot of that other argument
//! and are then corrected by `MOVED`, at the cost of one extra round trip. Commands
//! without arguments go to any primary.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::Reply;
use crate::client::{Client, ClientError};
use crate::slot::key_slot;
use crate::v1::ClusterStatusReply;

/// MOVED / ASK redirections followed for one command before its last error reply is
/// returned as is.
const MAX_REDIRECTS: u32 = 16;
/// How long one command is retried on TRYAGAIN / CLUSTERDOWN / an unreachable node.
const RETRY_FOR: Duration = Duration::from_secs(5);
/// The first TRYAGAIN back-off; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_millis(200);
/// How long connecting to one node may take: a member that is down must not hold up
/// reading the map from the others.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A redirection in an error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// `MOVED slot host:port`: the slot belongs to that node (a RESP address).
    Moved {
        /// The slot.
        slot: u16,
        /// The owner's RESP address.
        addr: String,
    },
    /// `ASK slot host:port`: the slot is migrating; ask that node, once, with `ASKING`.
    Ask {
        /// The slot.
        slot: u16,
        /// The migration target's RESP address.
        addr: String,
    },
    /// `TRYAGAIN ...`: the keys are moving right now; retry shortly.
    TryAgain,
    /// `CLUSTERDOWN ...`: the slot has no owner, or the node cannot take writes for now
    /// (it lost its write lease); retry shortly with a fresh map.
    ClusterDown,
}

/// The redirection an error reply carries, if any.
pub fn parse_redirect(reply: &Reply) -> Option<Redirect> {
    let message = reply.as_error()?.message.as_str();
    let mut words = message.split_whitespace();
    let code = words.next()?;
    match code {
        "TRYAGAIN" => Some(Redirect::TryAgain),
        "CLUSTERDOWN" => Some(Redirect::ClusterDown),
        "MOVED" | "ASK" => {
            let slot = words.next()?.parse().ok()?;
            let addr = words.next()?.to_owned();
            Some(if code == "MOVED" { Redirect::Moved { slot, addr } } else { Redirect::Ask { slot, addr } })
        }
        _ => None,
    }
}

/// `host:port`, with IPv6 hosts in brackets.
fn address(host: &str, port: u32) -> String {
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// A run of slots and the gRPC address of its group's primary.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owner {
    start: u16,
    end: u16,
    grpc: String,
}

/// What the client knows of the cluster, derived from one `ClusterStatus`.
#[derive(Debug, Clone, Default)]
struct Topology {
    owners: Vec<Owner>,
    /// RESP address (as MOVED/ASK name it) -> gRPC address.
    grpc_of_resp: HashMap<String, String>,
    /// Every member's gRPC address (for refreshing the map when some are down).
    members: Vec<String>,
}

impl Topology {
    fn from_status(status: &ClusterStatusReply) -> Topology {
        let grpc_of_member: HashMap<u64, String> =
            status.members.iter().map(|m| (m.id, address(&m.host, m.grpc_port))).collect();
        let primary_of_group: HashMap<u32, u64> = status.groups.iter().map(|g| (g.id, g.primary)).collect();
        let mut owners: Vec<Owner> = status
            .slots
            .iter()
            .filter_map(|r| {
                let grpc = grpc_of_member.get(primary_of_group.get(&r.group)?)?.clone();
                Some(Owner { start: u16::try_from(r.start).ok()?, end: u16::try_from(r.end).ok()?, grpc })
            })
            .collect();
        owners.sort_by_key(|o| o.start);
        let grpc_of_resp =
            status.members.iter().map(|m| (address(&m.host, m.resp_port), address(&m.host, m.grpc_port))).collect();
        let members = status.members.iter().map(|m| address(&m.host, m.grpc_port)).collect();
        Topology { owners, grpc_of_resp, members }
    }

    fn owner(&self, slot: u16) -> Option<&str> {
        let at = self.owners.partition_point(|o| o.end < slot);
        self.owners.get(at).filter(|o| o.start <= slot).map(|o| o.grpc.as_str())
    }
}

/// A slot-routing client for an Aegisr cluster (see the module documentation). Cloning
/// copies the slot map and shares the connections' channels.
#[derive(Debug, Clone)]
pub struct ClusterClient {
    /// The addresses given at connection, tried when no known member answers.
    seeds: Vec<String>,
    /// One channel per node, by gRPC address, opened on first use.
    clients: HashMap<String, Client>,
    topology: Topology,
    status: ClusterStatusReply,
}

impl ClusterClient {
    /// Connects to the cluster through the node at `addr` (its gRPC `host:port`) and reads
    /// the slot map.
    pub async fn connect(addr: impl Into<String>) -> Result<Self, ClientError> {
        let addr = addr.into();
        let mut client = ClusterClient {
            seeds: vec![addr],
            clients: HashMap::new(),
            topology: Topology::default(),
            status: ClusterStatusReply::default(),
        };
        client.refresh().await?;
        Ok(client)
    }

    /// Reads the slot map again, from the first node that answers (known members first,
    /// then the address given at connection).
    pub async fn refresh(&mut self) -> Result<(), ClientError> {
        let mut candidates = self.topology.members.clone();
        candidates.extend(self.seeds.iter().cloned());
        let mut last_error = None;
        for addr in candidates {
            let result = match self.client(&addr).await {
                Ok(client) => client.cluster_status().await,
                Err(e) => Err(e),
            };
            match result {
                Ok(status) => {
                    self.topology = Topology::from_status(&status);
                    self.status = status;
                    return Ok(());
                }
                Err(e) => {
                    self.clients.remove(&addr);
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| ClientError::InvalidAddress("no cluster node to ask".to_owned())))
    }

    /// The cluster status the slot map was last read from.
    pub fn status(&self) -> &ClusterStatusReply {
        &self.status
    }

    /// The gRPC address of the primary owning `slot`, per the current map.
    pub fn owner_of(&self, slot: u16) -> Option<&str> {
        self.topology.owner(slot)
    }

    /// The gRPC addresses of the primaries owning slots, in slot order, without repeats.
    pub fn primaries(&self) -> Vec<String> {
        let mut seen = Vec::new();
        for owner in &self.topology.owners {
            if !seen.contains(&owner.grpc) {
                seen.push(owner.grpc.clone());
            }
        }
        seen
    }

    async fn client(&mut self, addr: &str) -> Result<&mut Client, ClientError> {
        if !self.clients.contains_key(addr) {
            let uri = crate::client::normalize_addr(addr)?;
            let endpoint = tonic::transport::Endpoint::from_shared(uri)
                .map_err(|e| ClientError::InvalidAddress(format!("{addr}: {e}")))?
                .connect_timeout(CONNECT_TIMEOUT)
                .tcp_nodelay(true);
            let client = Client::from_channel(endpoint.connect().await?);
            self.clients.insert(addr.to_owned(), client);
        }
        self.clients.get_mut(addr).ok_or_else(|| ClientError::InvalidAddress(addr.to_owned()))
    }

    /// Where a command goes first: the owner of its first key's slot, or any primary.
    fn route(&self, args: &[Bytes]) -> String {
        let owner = args.get(1).and_then(|key| self.topology.owner(key_slot(key)));
        owner
            .or_else(|| self.topology.owners.first().map(|o| o.grpc.as_str()))
            .or_else(|| self.seeds.first().map(String::as_str))
            .unwrap_or_default()
            .to_owned()
    }

    /// The gRPC address of the node MOVED or ASK named (by its RESP address).
    async fn grpc_of(&mut self, resp: &str) -> Option<String> {
        if let Some(grpc) = self.topology.grpc_of_resp.get(resp) {
            return Some(grpc.clone());
        }
        // A node the map did not hold yet: read it again.
        self.refresh().await.ok()?;
        self.topology.grpc_of_resp.get(resp).cloned()
    }

    /// Runs one command on the primary owning its key's slot (see the module documentation
    /// for which argument is the key). Redirection errors are followed; other error
    /// replies come back as `Ok` replies, as with [`Client::execute`].
    pub async fn execute<I, A>(&mut self, args: I) -> Result<Reply, ClientError>
    where
        I: IntoIterator<Item = A>,
        A: AsRef<[u8]>,
    {
        let args: Vec<Bytes> = args.into_iter().map(|a| Bytes::copy_from_slice(a.as_ref())).collect();
        Ok(self.execute_routed(args).await?.0)
    }

    /// [`ClusterClient::execute`] that also says which node (gRPC address) answered.
    pub async fn execute_routed(&mut self, args: Vec<Bytes>) -> Result<(Reply, String), ClientError> {
        let mut target = self.route(&args);
        let mut asking = false;
        let mut backoff = FIRST_BACKOFF;
        let mut redirects = 0;
        let retry_until = Instant::now() + RETRY_FOR;
        loop {
            let reply = match self.send(&target, &args, asking).await {
                Ok(reply) => reply,
                // The node may be gone (failover, removal): read the map again and retry.
                Err(error) if Instant::now() < retry_until && is_unreachable(&error) => {
                    self.clients.remove(&target);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    if self.refresh().await.is_ok() {
                        target = self.route(&args);
                    }
                    asking = false;
                    continue;
                }
                Err(error) => return Err(error),
            };
            let Some(redirect) = parse_redirect(&reply) else { return Ok((reply, target)) };
            asking = false;
            match redirect {
                Redirect::Moved { .. } | Redirect::Ask { .. } if redirects >= MAX_REDIRECTS => {
                    return Ok((reply, target));
                }
                Redirect::TryAgain | Redirect::ClusterDown if Instant::now() >= retry_until => {
                    return Ok((reply, target));
                }
                Redirect::Moved { addr, .. } => {
                    redirects += 1;
                    self.wait_after(redirects, &mut backoff).await;
                    self.refresh().await?;
                    target = match self.grpc_of(&addr).await {
                        Some(grpc) => grpc,
                        None => self.route(&args),
                    };
                }
                Redirect::Ask { addr, .. } => {
                    redirects += 1;
                    self.wait_after(redirects, &mut backoff).await;
                    match self.grpc_of(&addr).await {
                        Some(grpc) => {
                            target = grpc;
                            asking = true;
                        }
                        None => return Ok((reply, target)),
                    }
                }
                Redirect::TryAgain | Redirect::ClusterDown => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    if redirect == Redirect::ClusterDown {
                        // Ownership may be changing: ask the map again (a failed read keeps
                        // the old one; the wait goes on).
                        let _ = self.refresh().await;
                    }
                    target = self.route(&args);
                }
            }
        }
    }

    /// Redirections beyond the first few mean the nodes disagree for now (one has applied
    /// a migration step the other has not yet: ASK there, MOVED back): give them time.
    async fn wait_after(&self, redirects: u32, backoff: &mut Duration) {
        if redirects > 2 {
            tokio::time::sleep(*backoff).await;
            *backoff = (*backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn send(&mut self, target: &str, args: &[Bytes], asking: bool) -> Result<Reply, ClientError> {
        let client = self.client(target).await?;
        if !asking {
            return client.execute(args.iter()).await;
        }
        // ASKING holds for the next command of the same session: one Pipeline call.
        let replies = client.pipeline(vec![vec![Bytes::from_static(b"ASKING")], args.to_vec()]).await?;
        replies.into_iter().nth(1).ok_or_else(|| {
            ClientError::Status(tonic::Status::data_loss("the pipeline returned no reply for the command"))
        })
    }
}

/// Whether the error says the node could not be reached (as opposed to an answer).
fn is_unreachable(error: &ClientError) -> bool {
    match error {
        ClientError::Transport(_) => true,
        ClientError::Status(status) => {
            matches!(status.code(), tonic::Code::Unavailable | tonic::Code::Cancelled)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::{ClusterGroup, ClusterMember, ClusterSlotRange};

    #[test]
    fn redirects_are_parsed() {
        let moved = Reply::error("MOVED 3999 127.0.0.1:6381");
        assert_eq!(parse_redirect(&moved), Some(Redirect::Moved { slot: 3999, addr: "127.0.0.1:6381".into() }));
        let ask = Reply::error("ASK 12182 [::1]:7000");
        assert_eq!(parse_redirect(&ask), Some(Redirect::Ask { slot: 12182, addr: "[::1]:7000".into() }));
        let again = Reply::error("TRYAGAIN Multiple keys request during rehashing of slot");
        assert_eq!(parse_redirect(&again), Some(Redirect::TryAgain));
        let down = Reply::error("CLUSTERDOWN The cluster is down");
        assert_eq!(parse_redirect(&down), Some(Redirect::ClusterDown));
        for other in ["ERR unknown command", "MOVED", "MOVED x 1.2.3.4:5", "ASK 5", "CROSSSLOT Keys"] {
            assert_eq!(parse_redirect(&Reply::error(other)), None, "{other}");
        }
        assert_eq!(parse_redirect(&Reply::simple("MOVED 1 h:1")), None, "only errors redirect");
    }

    fn member(id: u64, port: u32) -> ClusterMember {
        ClusterMember {
            id,
            name: format!("{id:040x}"),
            host: "127.0.0.1".into(),
            resp_port: port,
            grpc_port: port + 1000,
            cluster_port: port + 10000,
            role: "primary".into(),
            group: None,
        }
    }

    #[test]
    fn the_map_routes_slots_to_primaries_grpc_ports() {
        let status = ClusterStatusReply {
            members: vec![member(1, 6000), member(2, 6001), member(3, 6002)],
            groups: vec![
                ClusterGroup { id: 0, primary: 1, replicas: vec![3], slot_count: 8192 },
                ClusterGroup { id: 1, primary: 2, replicas: vec![], slot_count: 8191 },
            ],
            slots: vec![
                ClusterSlotRange { start: 8192, end: 16382, group: 1 },
                ClusterSlotRange { start: 0, end: 8191, group: 0 },
            ],
            ..ClusterStatusReply::default()
        };
        let topology = Topology::from_status(&status);
        assert_eq!(topology.owner(0), Some("127.0.0.1:7000"));
        assert_eq!(topology.owner(8191), Some("127.0.0.1:7000"));
        assert_eq!(topology.owner(8192), Some("127.0.0.1:7001"));
        assert_eq!(topology.owner(16383), None, "unassigned");
        assert_eq!(topology.grpc_of_resp["127.0.0.1:6002"], "127.0.0.1:7002");
        assert_eq!(topology.members.len(), 3);
    }
}
