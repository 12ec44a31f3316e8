//! A subscriber's mailbox: what publishers queue for it and its connection writes out.
//! Publishing costs a push under a short lock, never a network wait; the connection drains
//! the whole queue into one write. The queue is bounded by `client-output-buffer-limit
//! pubsub`: past the hard limit, or past the soft limit for longer than its seconds, the
//! subscriber is cut off (its client is killed) and its queue freed.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::server::ClientHandle;

/// How a message reached the subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Message,
    PMessage,
    SMessage,
    /// A client-side caching invalidation (or tracking notice), framed in advance.
    Invalidate,
}

/// One published message as its subscribers receive it, shared by all of them: each
/// mailbox holds a reference, and the wire frame is encoded once per protocol, by the
/// first subscriber connection that writes it.
#[derive(Debug)]
pub struct Published {
    pub kind: Kind,
    /// The pattern that matched (pattern subscriptions only).
    pub pattern: Option<Bytes>,
    pub channel: Bytes,
    pub payload: Bytes,
    /// An invalidation caused by the command its own receiver is running: written after
    /// that command's reply (Redis postpones those), where every other message goes before.
    pub after_reply: bool,
    resp2: OnceLock<Bytes>,
    resp3: OnceLock<Bytes>,
}

impl Published {
    pub fn new(kind: Kind, pattern: Option<Bytes>, channel: Bytes, payload: Bytes) -> Published {
        Published {
            kind,
            pattern,
            channel,
            payload,
            after_reply: false,
            resp2: OnceLock::new(),
            resp3: OnceLock::new(),
        }
    }

    /// A message whose frame is already encoded (tracking invalidations: the framing
    /// depends on the receiving connection, decided when it is queued).
    pub fn preformatted(frame: Bytes, after_reply: bool) -> Published {
        let cell = |f: &Bytes| {
            let cell = OnceLock::new();
            let _ = cell.set(f.clone());
            cell
        };
        Published {
            kind: Kind::Invalidate,
            pattern: None,
            channel: Bytes::new(),
            after_reply,
            resp2: cell(&frame),
            resp3: cell(&frame),
            payload: frame,
        }
    }

    /// The frame a RESP2 (array) or RESP3 (push) subscriber receives.
    pub fn frame(&self, resp3: bool) -> &Bytes {
        let cell = if resp3 { &self.resp3 } else { &self.resp2 };
        cell.get_or_init(|| {
            let kind: &[u8] = match self.kind {
                Kind::Message => b"message",
                Kind::PMessage => b"pmessage",
                Kind::SMessage => b"smessage",
                Kind::Invalidate => b"invalidate",
            };
            let parts = 3 + usize::from(self.pattern.is_some());
            let mut out = Vec::with_capacity(48 + self.channel.len() + self.payload.len());
            out.extend_from_slice(format!("{}{parts}\r\n", if resp3 { '>' } else { '*' }).as_bytes());
            let mut bulk = |b: &[u8]| {
                out.extend_from_slice(format!("${}\r\n", b.len()).as_bytes());
                out.extend_from_slice(b);
                out.extend_from_slice(b"\r\n");
            };
            bulk(kind);
            if let Some(p) = &self.pattern {
                bulk(p);
            }
            bulk(&self.channel);
            bulk(&self.payload);
            Bytes::from(out)
        })
    }

    /// What the message costs in a queue, about what it costs on the wire.
    fn cost(&self) -> usize {
        self.channel.len() + self.payload.len() + self.pattern.as_ref().map_or(0, Bytes::len) + 48
    }
}

/// One message for one subscriber.
pub type Delivery = Arc<Published>;

/// The output buffer limit of a class of clients (0 disables a bound).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_secs: u64,
}

impl OutputLimit {
    /// Whether `bytes` queued for a client are past this limit: over the hard limit, or
    /// over the soft one for longer than its seconds. As Redis's
    /// `checkClientOutputBufferLimits`, going over the soft limit starts the clock
    /// (`over_soft_since`) and never cuts at once, even with 0 seconds.
    pub fn exceeded(&self, bytes: u64, over_soft_since: &mut Option<Instant>) -> bool {
        let over_hard = self.hard > 0 && bytes > self.hard;
        let over_soft = self.soft > 0 && bytes > self.soft;
        let soft_expired = match (over_soft, *over_soft_since) {
            (true, Some(since)) => since.elapsed() > Duration::from_secs(self.soft_secs),
            (true, None) => {
                *over_soft_since = Some(Instant::now());
                false
            }
            (false, _) => {
                *over_soft_since = None;
                false
            }
        };
        over_hard || soft_expired
    }
}

#[derive(Default)]
struct Inbox {
    queue: VecDeque<Delivery>,
    bytes: usize,
    over_soft_since: Option<Instant>,
    cut: bool,
}

/// A subscribed client, as publishers see it.
pub struct Subscriber {
    pub client: Arc<ClientHandle>,
    inbox: Mutex<Inbox>,
    /// Something is queued: lets [`Subscriber::drain`], called after every command of a
    /// RESP3 or subscribed connection, skip the lock when nothing is (a message queued
    /// just after the check wakes the connection through `wake`).
    pending: std::sync::atomic::AtomicBool,
    /// Woken when the queue goes from empty to non-empty.
    pub wake: Notify,
}

/// What [`Subscriber::deliver`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    Queued,
    /// The subscriber was over its limit and has just been cut off.
    CutOff,
    /// Already cut off: dropped.
    Dropped,
}

impl Subscriber {
    pub fn new(client: Arc<ClientHandle>) -> Subscriber {
        Subscriber {
            client,
            inbox: Mutex::new(Inbox::default()),
            pending: std::sync::atomic::AtomicBool::new(false),
            wake: Notify::new(),
        }
    }

    /// Queues `delivery`, or cuts the subscriber off if that takes it over `limit`.
    pub fn deliver(&self, delivery: Delivery, limit: OutputLimit) -> Delivered {
        // A killed client is gone for PUBLISH at once (as Redis frees it in CLIENT KILL),
        // even before its connection task has unsubscribed it.
        if self.client.kill.is_cancelled() {
            return Delivered::Dropped;
        }
        let mut inbox = self.inbox.lock();
        if inbox.cut {
            return Delivered::Dropped;
        }
        inbox.bytes += delivery.cost();
        inbox.queue.push_back(delivery);
        self.pending.store(true, std::sync::atomic::Ordering::Release);
        let bytes = inbox.bytes as u64;
        if limit.exceeded(bytes, &mut inbox.over_soft_since) {
            inbox.cut = true;
            inbox.bytes = 0;
            let dropped = std::mem::take(&mut inbox.queue);
            drop(inbox);
            drop(dropped);
            self.client.kill.cancel();
            return Delivered::CutOff;
        }
        let was_empty = inbox.queue.len() == 1;
        drop(inbox);
        if was_empty {
            self.wake.notify_one();
        }
        Delivered::Queued
    }

    /// Takes everything queued.
    pub fn drain(&self) -> VecDeque<Delivery> {
        if !self.pending.load(std::sync::atomic::Ordering::Acquire) {
            return VecDeque::new();
        }
        let mut inbox = self.inbox.lock();
        self.pending.store(false, std::sync::atomic::Ordering::Relaxed);
        inbox.bytes = 0;
        inbox.over_soft_since = None;
        std::mem::take(&mut inbox.queue)
    }

    /// Bytes waiting in the queue (CLIENT LIST's omem).
    pub fn queued_bytes(&self) -> usize {
        self.inbox.lock().bytes
    }
}
