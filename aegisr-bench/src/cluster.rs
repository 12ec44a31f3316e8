//! `--cluster`: requests go to the primary owning their key's slot. RESP mode reads the
//! slot map with `CLUSTER SLOTS`, keeps one connection per node for each client (so each
//! node gets a pool of `threads x clients` connections), sends a pipeline's requests to
//! their owners at once, and follows `MOVED` (re-reading the map), `ASK` (`ASKING` first)
//! and `TRYAGAIN` (a short wait) one request at a time. gRPC mode uses
//! [`aegisr_proto::ClusterClient`].
//!
//! The key is the first argument after the command name (the templates' `__key__`).

use std::collections::HashMap;
use std::time::Duration;

use aegisr_proto::slot::key_slot;
use bytes::Bytes;

use crate::resp::{RespConnection, encode_command};

/// Redirections and waits (doubling up to 200 ms: about 5 s in all) for one request
/// before its last error is recorded.
const MAX_REDIRECTS: u32 = 32;

/// Slot runs and the RESP address of their primary, as `CLUSTER SLOTS` gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotMap {
    runs: Vec<(u16, u16, String)>,
}

impl SlotMap {
    /// The map in a `CLUSTER SLOTS` reply (its RESP bytes).
    pub fn parse(reply: &[u8]) -> Result<SlotMap, String> {
        let (value, _) = Value::parse(reply, 0).ok_or("CLUSTER SLOTS: unreadable reply")?;
        let Value::Array(entries) = value else {
            return Err(match value {
                Value::Error(e) => format!("CLUSTER SLOTS failed: {e} (is the server in cluster mode?)"),
                _ => "CLUSTER SLOTS: not an array".to_owned(),
            });
        };
        let mut runs = Vec::with_capacity(entries.len());
        for entry in entries {
            let Value::Array(fields) = entry else { return Err("CLUSTER SLOTS: an entry is not an array".into()) };
            let (Some(Value::Int(start)), Some(Value::Int(end)), Some(Value::Array(primary))) =
                (fields.first(), fields.get(1), fields.get(2))
            else {
                return Err("CLUSTER SLOTS: an entry lacks its slots or primary".into());
            };
            let (Some(Value::Bulk(host)), Some(Value::Int(port))) = (primary.first(), primary.get(1)) else {
                return Err("CLUSTER SLOTS: a primary lacks its address".into());
            };
            let (Ok(start), Ok(end)) = (u16::try_from(*start), u16::try_from(*end)) else {
                return Err("CLUSTER SLOTS: slot out of range".into());
            };
            let host = String::from_utf8_lossy(host);
            let port = u16::try_from(*port).map_err(|_| "CLUSTER SLOTS: port out of range")?;
            runs.push((start, end, crate::cli::join_host_port(&host, port)));
        }
        runs.sort_by_key(|r| r.0);
        Ok(SlotMap { runs })
    }

    /// The RESP address of the primary owning `slot`.
    pub fn owner(&self, slot: u16) -> Option<&str> {
        let at = self.runs.partition_point(|r| r.1 < slot);
        self.runs.get(at).filter(|r| r.0 <= slot).map(|r| r.2.as_str())
    }

    /// Where a request goes: the owner of its key's slot, or the first node.
    pub fn route(&self, args: &[Bytes]) -> Option<&str> {
        args.get(1).and_then(|key| self.owner(key_slot(key))).or_else(|| self.runs.first().map(|r| r.2.as_str()))
    }
}

/// Enough of RESP's values to read `CLUSTER SLOTS`.
enum Value {
    Int(i64),
    Bulk(Vec<u8>),
    Array(Vec<Value>),
    Error(String),
    Other,
}

impl Value {
    /// The value at `pos` and the position after it; `None` if incomplete or not RESP.
    fn parse(buf: &[u8], pos: usize) -> Option<(Value, usize)> {
        let kind = *buf.get(pos)?;
        let cr = pos + 1 + buf.get(pos + 1..)?.windows(2).position(|w| w == b"\r\n")?;
        let line = std::str::from_utf8(&buf[pos + 1..cr]).ok()?;
        let after = cr + 2;
        match kind {
            b':' => Some((Value::Int(line.parse().ok()?), after)),
            b'-' => Some((Value::Error(line.to_owned()), after)),
            b'+' => Some((Value::Bulk(line.as_bytes().to_vec()), after)),
            b'$' => {
                let len: i64 = line.parse().ok()?;
                let Ok(len) = usize::try_from(len) else { return Some((Value::Other, after)) };
                let bytes = buf.get(after..after.checked_add(len)?)?.to_vec();
                Some((Value::Bulk(bytes), after + len + 2))
            }
            b'*' => {
                let len: i64 = line.parse().ok()?;
                let Ok(len) = usize::try_from(len) else { return Some((Value::Other, after)) };
                // Bounded by the bytes present: every element takes at least 3.
                let mut items = Vec::with_capacity(len.min(buf.len() / 3));
                let mut at = after;
                for _ in 0..len {
                    let (item, next) = Value::parse(buf, at)?;
                    items.push(item);
                    at = next;
                }
                Some((Value::Array(items), at))
            }
            _ => Some((Value::Other, after)),
        }
    }
}

/// A redirection in an error reply's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// `MOVED slot host:port`.
    Moved(String),
    /// `ASK slot host:port`.
    Ask(String),
    /// `TRYAGAIN ...` or `CLUSTERDOWN ...`.
    TryAgain,
}

/// The redirection `error` (an error reply's text) carries, if any.
pub fn redirect(error: &[u8]) -> Option<Redirect> {
    // CLUSTERDOWN: a primary without its write lease for a moment (a node joining, a
    // failover): waited out like TRYAGAIN.
    if error.starts_with(b"TRYAGAIN") || error.starts_with(b"CLUSTERDOWN") {
        return Some(Redirect::TryAgain);
    }
    let text = std::str::from_utf8(error).ok()?;
    let mut words = text.split_whitespace();
    let code = words.next()?;
    let addr = words.nth(1)?.to_owned();
    match code {
        "MOVED" => Some(Redirect::Moved(addr)),
        "ASK" => Some(Redirect::Ask(addr)),
        _ => None,
    }
}

/// Opens a RESP connection to one node (AUTH and the like done); errors are one line.
pub type Connector =
    std::rc::Rc<dyn Fn(String) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<RespConnection, String>>>>>;

/// One benchmark client's view of a cluster over RESP: the slot map and a connection per
/// node, opened on first use.
pub struct RespCluster {
    seed: String,
    pub(crate) map: SlotMap,
    connections: HashMap<String, RespConnection>,
    connect: Connector,
}

impl RespCluster {
    /// Reads the slot map through `seed` (a node's RESP address).
    pub async fn connect(seed: &str, connect: Connector) -> Result<RespCluster, String> {
        let mut cluster =
            RespCluster { seed: seed.to_owned(), map: SlotMap::default(), connections: HashMap::new(), connect };
        cluster.refresh().await?;
        Ok(cluster)
    }

    /// The connection to `addr`, opened if need be.
    pub async fn connection(&mut self, addr: &str) -> Result<&mut RespConnection, String> {
        if !self.connections.contains_key(addr) {
            let connection = (self.connect)(addr.to_owned()).await?;
            self.connections.insert(addr.to_owned(), connection);
        }
        self.connections.get_mut(addr).ok_or_else(|| format!("no connection to {addr}"))
    }

    /// Reads the slot map again (`CLUSTER SLOTS`) from a known node, or the seed.
    pub async fn refresh(&mut self) -> Result<(), String> {
        let mut candidates: Vec<String> = self.connections.keys().cloned().collect();
        candidates.push(self.seed.clone());
        let mut last = String::new();
        for addr in candidates {
            let result = match self.connection(&addr).await {
                Ok(connection) => {
                    encode_command(&mut connection.out, &["CLUSTER", "SLOTS"]);
                    match connection.flush().await {
                        Ok(()) => connection.read_reply_bytes().await.map_err(|e| format!("{addr}: {e}")),
                        Err(e) => Err(format!("{addr}: {e}")),
                    }
                }
                Err(e) => Err(e),
            };
            match result.and_then(|bytes| SlotMap::parse(&bytes)) {
                Ok(map) => {
                    self.map = map;
                    return Ok(());
                }
                Err(e) => {
                    self.connections.remove(&addr);
                    last = e;
                }
            }
        }
        Err(last)
    }

    /// Sends one request that was redirected until it is answered by its owner; returns
    /// the node that answered and the final error reply, if any.
    pub async fn follow(&mut self, args: &[Bytes], first: Redirect) -> Result<(String, Option<Vec<u8>>), String> {
        let mut redirect = first;
        let mut backoff = Duration::from_millis(2);
        for attempt in 0..MAX_REDIRECTS {
            // Redirections beyond the first few mean the nodes disagree for now (one has
            // applied a migration step the other has not yet): give them time.
            if attempt > 2 && !matches!(redirect, Redirect::TryAgain) {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(200));
            }
            let (addr, asking) = match redirect {
                Redirect::Moved(addr) => {
                    self.refresh().await?;
                    (addr, false)
                }
                Redirect::Ask(addr) => (addr, true),
                Redirect::TryAgain => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(200));
                    (self.map.route(args).unwrap_or(&self.seed).to_owned(), false)
                }
            };
            let connection = self.connection(&addr).await?;
            if asking {
                encode_command(&mut connection.out, &["ASKING"]);
            }
            encode_command(&mut connection.out, args);
            connection.flush().await.map_err(|e| format!("connection to {addr} lost: {e}"))?;
            let mut error = None;
            let replies = if asking { 2 } else { 1 };
            connection
                .read_replies(
                    replies,
                    || {},
                    |i, e| {
                        if i + 1 == replies {
                            error = e.map(<[u8]>::to_vec);
                        }
                    },
                )
                .await
                .map_err(|e| format!("connection to {addr} lost: {e}"))?;
            match error.as_deref().and_then(self::redirect) {
                Some(next) => redirect = next,
                None => return Ok((addr, error)),
            }
        }
        Ok((String::new(), Some(b"ERR too many cluster redirections".to_vec())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_slots_replies_are_read() {
        let reply = b"*2\r\n*3\r\n:0\r\n:8191\r\n*4\r\n$9\r\n127.0.0.1\r\n:7000\r\n$3\r\nabc\r\n*0\r\n\
                      *4\r\n:8192\r\n:16383\r\n*3\r\n$9\r\n127.0.0.1\r\n:7001\r\n$3\r\ndef\r\n*3\r\n$9\r\n127.0.0.1\r\n:7002\r\n$3\r\nghi\r\n";
        let map = SlotMap::parse(reply).unwrap();
        assert_eq!(map.owner(0), Some("127.0.0.1:7000"));
        assert_eq!(map.owner(8192), Some("127.0.0.1:7001"));
        assert_eq!(map.owner(16383), Some("127.0.0.1:7001"));
        let foo = [Bytes::from_static(b"GET"), Bytes::from_static(b"foo")];
        assert_eq!(map.route(&foo), Some("127.0.0.1:7001"), "foo is slot 12182");
        let err = SlotMap::parse(b"-ERR This instance has cluster support disabled\r\n").unwrap_err();
        assert!(err.contains("cluster mode"), "{err}");
        assert!(SlotMap::parse(b"*1\r\n:5\r\n").is_err());
        assert!(SlotMap::parse(b"*3\r\n").is_err(), "incomplete");
    }

    #[test]
    fn redirections_are_recognised() {
        assert_eq!(redirect(b"MOVED 12182 127.0.0.1:7001"), Some(Redirect::Moved("127.0.0.1:7001".into())));
        assert_eq!(redirect(b"ASK 1 10.0.0.1:6379"), Some(Redirect::Ask("10.0.0.1:6379".into())));
        assert_eq!(redirect(b"TRYAGAIN Multiple keys request during rehashing of slot"), Some(Redirect::TryAgain));
        assert_eq!(redirect(b"CLUSTERDOWN The cluster is down"), Some(Redirect::TryAgain));
        assert_eq!(redirect(b"ERR wrong number of arguments"), None);
        assert_eq!(redirect(b"MOVED"), None);
    }
}
