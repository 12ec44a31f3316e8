//! Network partitions between cluster nodes on one machine, without root: each node binds
//! its own loopback address (`--bind`, `--cluster-announce-ip`, `--bind-source-addr`) and
//! announces, as its cluster port, a proxy made here that forwards to the real one
//! (`--cluster-announce-bus-port`). The proxy knows which node a connection comes from by
//! its source address, so it can cut a node off from the others in both directions and let
//! them through again: loudly (connections dropped, new ones refused, as a rejecting
//! firewall) or silently (nothing gets through, nothing is closed, as a dead link: senders
//! find out only by their timeouts, and what was sent arrives after the heal, as TCP
//! retransmits it). Clients reach the nodes' RESP ports directly: a node cut off from the
//! cluster still serves them.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How a node is cut off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Connections between it and the others are closed, new ones refused.
    Refuse,
    /// Nothing passes and nothing is closed: connections stall (new ones are accepted but
    /// reach the node only after the heal), as over a link that went dead.
    Silent,
}

/// One forwarded connection: both of its sockets, to cut it.
struct Link {
    from: IpAddr,
    to: IpAddr,
    sockets: [TcpStream; 2],
    done: Arc<AtomicBool>,
}

#[derive(Default)]
struct Shared {
    /// The node cut off from the others, by its address, and how.
    isolated: Mutex<Option<(IpAddr, Cut)>>,
    links: Mutex<Vec<Link>>,
    stop: AtomicBool,
}

impl Shared {
    /// Whether (and how) traffic between `from` and `to` is cut.
    fn cut(&self, from: IpAddr, to: IpAddr) -> Option<Cut> {
        let isolated = *self.isolated.lock().unwrap();
        isolated.filter(|(node, _)| from != to && (*node == from || *node == to)).map(|(_, cut)| cut)
    }

    /// Waits while traffic between `from` and `to` is silently cut; returns whether it may
    /// pass now (false: refused, or the network stops).
    fn wait_passable(&self, from: IpAddr, to: IpAddr) -> bool {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return false;
            }
            match self.cut(from, to) {
                None => return true,
                Some(Cut::Refuse) => return false,
                Some(Cut::Silent) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    }
}

/// The proxies in front of the nodes' cluster ports, one per node; stops them when dropped.
pub struct Network {
    shared: Arc<Shared>,
    nodes: Vec<Node>,
    threads: Vec<JoinHandle<()>>,
}

/// Where one node is.
pub struct Node {
    pub ip: Ipv4Addr,
    /// The node's real cluster port (`--cluster-port`).
    pub cluster_port: u16,
    /// The proxy's port, announced as the node's cluster port.
    pub proxy_port: u16,
}

impl Network {
    /// A proxy for a node on each of `ips` (loopback addresses other tests do not use, so
    /// that the cluster ports picked here stay free until the nodes bind them).
    pub fn new(ips: &[Ipv4Addr]) -> Network {
        let shared = Arc::new(Shared::default());
        let mut nodes = Vec::new();
        let mut threads = Vec::new();
        for &ip in ips {
            // The node's cluster port must be known before it starts (it is joined through
            // the proxy before it is ready): a port free now on its own address.
            let cluster_port = TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap().port();
            let listener = TcpListener::bind((ip, 0)).unwrap_or_else(|e| panic!("binding {ip}: {e}"));
            listener.set_nonblocking(true).unwrap();
            let proxy_port = listener.local_addr().unwrap().port();
            let target = SocketAddr::from((ip, cluster_port));
            let shared = shared.clone();
            threads.push(std::thread::spawn(move || accept_loop(&listener, target, &shared)));
            nodes.push(Node { ip, cluster_port, proxy_port });
        }
        Network { shared, nodes, threads }
    }

    pub fn node(&self, index: usize) -> &Node {
        &self.nodes[index]
    }

    /// The flags that put node `index` on its address behind its proxy.
    pub fn args(&self, index: usize) -> Vec<String> {
        let node = &self.nodes[index];
        let ip = node.ip.to_string();
        [
            "--bind",
            &ip,
            "--cluster-announce-ip",
            &ip,
            "--bind-source-addr",
            &ip,
            "--cluster-port",
            &node.cluster_port.to_string(),
            "--cluster-announce-bus-port",
            &node.proxy_port.to_string(),
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    }

    /// The address other nodes reach node `index` at (its proxy), for `--join`.
    pub fn bus(&self, index: usize) -> String {
        let node = &self.nodes[index];
        format!("{}:{}", node.ip, node.proxy_port)
    }

    /// Cuts node `index` off from every other node, both ways, until [`Network::heal`].
    pub fn partition(&self, index: usize, how: Cut) {
        let ip = IpAddr::V4(self.nodes[index].ip);
        *self.shared.isolated.lock().unwrap() = Some((ip, how));
        if how == Cut::Refuse {
            for link in self.shared.links.lock().unwrap().iter() {
                if self.shared.cut(link.from, link.to).is_some() {
                    for socket in &link.sockets {
                        let _ = socket.shutdown(Shutdown::Both);
                    }
                }
            }
        }
    }

    /// Lets every node reach every other again (stalled connections go on).
    pub fn heal(&self) {
        *self.shared.isolated.lock().unwrap() = None;
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        for link in self.shared.links.lock().unwrap().drain(..) {
            for socket in &link.sockets {
                let _ = socket.shutdown(Shutdown::Both);
            }
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Accepts connections for the node at `target` until the network stops.
fn accept_loop(listener: &TcpListener, target: SocketAddr, shared: &Arc<Shared>) {
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    while !shared.stop.load(Ordering::Relaxed) {
        let (incoming, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(2));
                continue;
            }
            Err(_) => continue,
        };
        let shared = shared.clone();
        threads.push(std::thread::spawn(move || forward(incoming, peer.ip(), target, &shared)));
        threads.retain(|t| !t.is_finished());
    }
    for thread in threads {
        let _ = thread.join();
    }
}

/// Forwards one connection from node `from` to `target` until either side closes.
fn forward(incoming: TcpStream, from: IpAddr, target: SocketAddr, shared: &Arc<Shared>) {
    let to = target.ip();
    // Refused: closed at once. Silently cut: held until the heal, as a SYN retransmitted.
    if !shared.wait_passable(from, to) {
        return;
    }
    let Ok(outgoing) = TcpStream::connect_timeout(&target, Duration::from_secs(1)) else { return };
    incoming.set_nonblocking(false).unwrap();
    let _ = incoming.set_nodelay(true);
    let _ = outgoing.set_nodelay(true);
    let done = Arc::new(AtomicBool::new(false));
    let sockets = [incoming.try_clone().unwrap(), outgoing.try_clone().unwrap()];
    {
        let mut links = shared.links.lock().unwrap();
        links.retain(|l| !l.done.load(Ordering::Relaxed));
        // Refused between the check above and now: do not let it through.
        if shared.cut(from, to) == Some(Cut::Refuse) || shared.stop.load(Ordering::Relaxed) {
            return;
        }
        links.push(Link { from, to, sockets, done: done.clone() });
    }
    let (a, b) = (incoming.try_clone().unwrap(), outgoing.try_clone().unwrap());
    let back = std::thread::spawn({
        let (done, shared) = (done.clone(), shared.clone());
        move || pump(outgoing, incoming, (to, from), &shared, &done)
    });
    pump(a, b, (from, to), shared, &done);
    let _ = back.join();
}

/// Copies bytes from `from` to `to` until either side closes, holding them while the
/// way is silently cut; then closes both.
fn pump(mut from: TcpStream, mut to: TcpStream, way: (IpAddr, IpAddr), shared: &Shared, done: &AtomicBool) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if !shared.wait_passable(way.0, way.1) || to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    // A close does not cross a silent cut either: it arrives with the heal.
    let _ = shared.wait_passable(way.0, way.1);
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
    done.store(true, Ordering::Relaxed);
}
