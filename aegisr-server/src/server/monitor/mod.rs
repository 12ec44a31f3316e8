//! MONITOR: every command any client runs, as a line, for the clients that asked. The
//! dispatcher pays one relaxed load per command while no monitor is attached. Each line is
//! formatted once and shared by every monitor; each monitor queues lines in a mailbox its
//! connection (or gRPC stream) drains, bounded by `client-output-buffer-limit normal` (the
//! class Redis counts monitors in): a monitor that does not keep up is cut off, never
//! waited for.

mod line;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

pub use line::{format_line, redacted_args};

use super::ClientHandle;
use crate::pubsub::OutputLimit;

/// The bound on a monitor's queue while the normal class has no limit (Redis's default):
/// Redis would let it grow for ever; a monitor left behind by a busy node must not take
/// the node's memory with it.
pub const UNLIMITED_FALLBACK: OutputLimit = OutputLimit { hard: 64 * 1024 * 1024, soft: 0, soft_secs: 0 };

/// The attached monitors.
#[derive(Default)]
pub struct Monitors {
    /// How many are attached: what the dispatcher reads on every command.
    attached: AtomicUsize,
    feeds: RwLock<Vec<Arc<MonitorFeed>>>,
}

#[derive(Default)]
struct Queue {
    /// Lines without their RESP framing.
    lines: VecDeque<Bytes>,
    bytes: usize,
    over_soft_since: Option<Instant>,
    cut: bool,
}

/// One monitoring client's queue of lines.
pub struct MonitorFeed {
    pub client: Arc<ClientHandle>,
    queue: Mutex<Queue>,
    /// Woken when the queue goes from empty to non-empty.
    pub wake: Notify,
}

impl MonitorFeed {
    /// Takes every queued line.
    pub fn drain(&self) -> VecDeque<Bytes> {
        let mut queue = self.queue.lock();
        queue.bytes = 0;
        queue.over_soft_since = None;
        std::mem::take(&mut queue.lines)
    }

    /// Whether the monitor was cut off for passing its output buffer limit.
    pub fn cut_off(&self) -> bool {
        self.queue.lock().cut
    }

    /// Queues `line`, or cuts the monitor off (kills its client) if that takes it over
    /// `limit`.
    fn push(&self, line: &Bytes, limit: OutputLimit) {
        if self.client.kill.is_cancelled() {
            return;
        }
        let mut queue = self.queue.lock();
        if queue.cut {
            return;
        }
        // What the line costs on the wire, with its framing.
        queue.bytes += line.len() + 3;
        queue.lines.push_back(line.clone());
        let bytes = queue.bytes as u64;
        if limit.exceeded(bytes, &mut queue.over_soft_since) {
            queue.cut = true;
            queue.bytes = 0;
            let dropped = std::mem::take(&mut queue.lines);
            drop(queue);
            drop(dropped);
            tracing::info!(client = %self.client.addr, "closing a MONITOR client over its output buffer limit");
            self.client.kill.cancel();
            return;
        }
        let was_empty = queue.lines.len() == 1;
        drop(queue);
        if was_empty {
            self.wake.notify_one();
        }
    }
}

impl Monitors {
    /// Whether any monitor is attached: one relaxed load, the whole cost of MONITOR for a
    /// node nobody monitors.
    #[inline]
    pub fn active(&self) -> bool {
        self.attached.load(Ordering::Relaxed) > 0
    }

    /// Attaches `client` as a monitor; lines flow until [`Monitors::detach`].
    pub fn attach(&self, client: Arc<ClientHandle>) -> Arc<MonitorFeed> {
        let feed = Arc::new(MonitorFeed { client, queue: Mutex::new(Queue::default()), wake: Notify::new() });
        let mut feeds = self.feeds.write();
        feeds.push(feed.clone());
        self.attached.store(feeds.len(), Ordering::Relaxed);
        feed
    }

    pub fn detach(&self, feed: &Arc<MonitorFeed>) {
        let mut feeds = self.feeds.write();
        feeds.retain(|f| !Arc::ptr_eq(f, feed));
        self.attached.store(feeds.len(), Ordering::Relaxed);
    }

    /// Sends one command (`args`, run by the client at `addr` ending in database `db`) to
    /// every monitor. `limit` is the normal class's output buffer limit.
    pub fn feed(&self, db: usize, addr: &str, args: &[&[u8]], limit: OutputLimit) {
        let feeds = self.feeds.read();
        if feeds.is_empty() {
            return;
        }
        let limit = if limit.hard == 0 && limit.soft == 0 { UNLIMITED_FALLBACK } else { limit };
        let line = format_line(std::time::SystemTime::now(), db, addr, args);
        for feed in feeds.iter() {
            feed.push(&line, limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{ClientRegistry, Door};

    #[test]
    fn lines_reach_every_monitor_until_detached() {
        let registry = ClientRegistry::default();
        let a = registry.register(Door::Resp, "1.2.3.4:5".into(), String::new(), 1, 10).unwrap();
        let monitors = Monitors::default();
        assert!(!monitors.active());
        let feed = monitors.attach(a.client.clone());
        assert!(monitors.active());
        monitors.feed(2, "9.9.9.9:1", &[b"get", b"k"], OutputLimit::default());
        let lines = feed.drain();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].ends_with(b" [2 9.9.9.9:1] \"get\" \"k\""));
        monitors.detach(&feed);
        assert!(!monitors.active());
    }

    #[test]
    fn a_monitor_over_its_limit_is_cut_off() {
        let registry = ClientRegistry::default();
        let a = registry.register(Door::Resp, "1.2.3.4:5".into(), String::new(), 1, 10).unwrap();
        let monitors = Monitors::default();
        let feed = monitors.attach(a.client.clone());
        let limit = OutputLimit { hard: 1000, soft: 0, soft_secs: 0 };
        let value = vec![b'x'; 100];
        let args: [&[u8]; 2] = [b"set", &value];
        for _ in 0..20 {
            monitors.feed(0, "9.9.9.9:1", &args, limit);
        }
        assert!(a.client.kill.is_cancelled());
        assert!(feed.drain().is_empty());
    }
}
