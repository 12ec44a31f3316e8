//! Pub/sub: channels, patterns and shard channels, and who listens to them.
//!
//! PUBLISH looks its channel up under a read lock of one of 16 buckets and queues the
//! message in each subscriber's mailbox, so publishers on different channels never meet,
//! and fan-out costs one queue push per receiver. Patterns are matched against every
//! published channel (as Redis does); a publish pays nothing for them while none exist.
//! Subscribing and unsubscribing take the write lock of one bucket.

pub mod mailbox;
pub mod notify;
pub mod tracking;

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::RwLock;

pub use mailbox::{Delivered, Delivery, Kind, OutputLimit, Published, Subscriber};

use crate::engine::glob::string_match;

type Listeners = HashMap<Bytes, Vec<Arc<Subscriber>>, foldhash::fast::RandomState>;

const BUCKETS: usize = 16;

/// A namespace of exact names: channels, or shard channels.
struct Names {
    buckets: [RwLock<Listeners>; BUCKETS],
    hasher: foldhash::fast::RandomState,
}

impl Default for Names {
    fn default() -> Names {
        Names { buckets: std::array::from_fn(|_| RwLock::default()), hasher: Default::default() }
    }
}

impl Names {
    fn bucket(&self, name: &[u8]) -> &RwLock<Listeners> {
        &self.buckets[self.hasher.hash_one(name) as usize % BUCKETS]
    }

    fn add(&self, name: &Bytes, subscriber: &Arc<Subscriber>) {
        self.bucket(name).write().entry(name.clone()).or_default().push(subscriber.clone());
    }

    fn remove(&self, name: &[u8], subscriber: &Arc<Subscriber>) {
        let mut bucket = self.bucket(name).write();
        if let Some(list) = bucket.get_mut(name) {
            list.retain(|s| !Arc::ptr_eq(s, subscriber));
            if list.is_empty() {
                bucket.remove(name);
            }
        }
    }

    fn count(&self, name: &[u8]) -> usize {
        self.bucket(name).read().get(name).map_or(0, Vec::len)
    }

    /// How many names have subscribers.
    fn len(&self) -> usize {
        self.buckets.iter().map(|b| b.read().len()).sum()
    }

    /// Active names matching `pattern` (all when `None`).
    fn matching(&self, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let mut out = Vec::new();
        for bucket in &self.buckets {
            out.extend(bucket.read().keys().filter(|n| pattern.is_none_or(|p| string_match(p, n, false))).cloned());
        }
        out
    }
}

/// The node's pub/sub state.
#[derive(Default)]
pub struct PubSub {
    channels: Names,
    shard_channels: Names,
    patterns: RwLock<Listeners>,
    /// Pattern subscriptions, so a publish skips the pattern lock while there are none.
    pattern_subscriptions: AtomicUsize,
    /// Subscribers cut off by their output buffer limit (INFO).
    pub cut_off: AtomicU64,
    /// Client-side caching: who reads what, and their invalidations.
    pub tracking: tracking::Tracking,
}

impl PubSub {
    /// Publishes `payload` on `channel` (or a shard channel); returns how many received it.
    pub fn publish(&self, channel: &[u8], payload: &[u8], shard: bool, limit: OutputLimit) -> usize {
        let mut receivers = 0;
        let names = if shard { &self.shard_channels } else { &self.channels };
        let kind = if shard { Kind::SMessage } else { Kind::Message };
        // Copied once, when someone receives it.
        let mut copied: Option<(Bytes, Bytes)> = None;
        let mut owned =
            || copied.get_or_insert_with(|| (Bytes::copy_from_slice(channel), Bytes::copy_from_slice(payload))).clone();
        if let Some(list) = names.bucket(channel).read().get(channel) {
            let (channel, payload) = owned();
            let message = Arc::new(Published::new(kind, None, channel, payload));
            for subscriber in list {
                receivers += self.count_cut(subscriber, subscriber.deliver(message.clone(), limit));
            }
        }
        if !shard && self.pattern_subscriptions.load(Ordering::Acquire) > 0 {
            for (pattern, list) in self.patterns.read().iter() {
                if !string_match(pattern, channel, false) {
                    continue;
                }
                let (channel, payload) = owned();
                let message = Arc::new(Published::new(Kind::PMessage, Some(pattern.clone()), channel, payload));
                for subscriber in list {
                    receivers += self.count_cut(subscriber, subscriber.deliver(message.clone(), limit));
                }
            }
        }
        receivers
    }

    /// Logs and counts a cut-off; returns 1 if the message was queued (a receiver).
    fn count_cut(&self, subscriber: &Subscriber, delivered: Delivered) -> usize {
        if delivered == Delivered::CutOff {
            self.cut_off.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                client = %subscriber.client.addr,
                id = subscriber.client.id,
                "closing subscriber that exceeded client-output-buffer-limit pubsub"
            );
        }
        usize::from(delivered == Delivered::Queued)
    }

    pub fn subscribe(&self, channel: &Bytes, subscriber: &Arc<Subscriber>, shard: bool) {
        if shard { &self.shard_channels } else { &self.channels }.add(channel, subscriber);
    }

    pub fn unsubscribe(&self, channel: &[u8], subscriber: &Arc<Subscriber>, shard: bool) {
        if shard { &self.shard_channels } else { &self.channels }.remove(channel, subscriber);
    }

    pub fn psubscribe(&self, pattern: &Bytes, subscriber: &Arc<Subscriber>) {
        self.patterns.write().entry(pattern.clone()).or_default().push(subscriber.clone());
        self.pattern_subscriptions.fetch_add(1, Ordering::AcqRel);
    }

    pub fn punsubscribe(&self, pattern: &[u8], subscriber: &Arc<Subscriber>) {
        let mut patterns = self.patterns.write();
        if let Some(list) = patterns.get_mut(pattern) {
            let before = list.len();
            list.retain(|s| !Arc::ptr_eq(s, subscriber));
            self.pattern_subscriptions.fetch_sub(before - list.len(), Ordering::AcqRel);
            if list.is_empty() {
                patterns.remove(pattern);
            }
        }
    }

    /// Channels with at least one subscriber, optionally matching a glob (PUBSUB CHANNELS).
    pub fn channels(&self, pattern: Option<&[u8]>, shard: bool) -> Vec<Bytes> {
        if shard { &self.shard_channels } else { &self.channels }.matching(pattern)
    }

    /// Subscribers of a channel (PUBSUB NUMSUB), patterns not counted, as in Redis.
    pub fn subscriber_count(&self, channel: &[u8], shard: bool) -> usize {
        if shard { &self.shard_channels } else { &self.channels }.count(channel)
    }

    /// Distinct patterns subscribed to (PUBSUB NUMPAT).
    pub fn pattern_count(&self) -> usize {
        self.patterns.read().len()
    }

    /// Every subscription of the subscribers `wanted` selects: (subscriber, name, whether
    /// it is a pattern). ACL uses it to find the subscriptions a user may no longer have.
    pub fn subscriptions_where(&self, wanted: impl Fn(&Subscriber) -> bool) -> Vec<(Arc<Subscriber>, Bytes, bool)> {
        let mut out = Vec::new();
        let mut collect = |listeners: &Listeners, is_pattern: bool| {
            for (name, subscribers) in listeners {
                out.extend(subscribers.iter().filter(|s| wanted(s)).map(|s| (s.clone(), name.clone(), is_pattern)));
            }
        };
        for names in [&self.channels, &self.shard_channels] {
            for bucket in &names.buckets {
                collect(&bucket.read(), false);
            }
        }
        collect(&self.patterns.read(), true);
        out
    }

    /// Channels with subscribers and distinct patterns, for INFO.
    pub fn totals(&self) -> (usize, usize, usize) {
        (self.channels.len(), self.pattern_count(), self.shard_channels.len())
    }
}

/// The names one client subscribed to: a set, so SUBSCRIBE and UNSUBSCRIBE with many
/// names cost O(names), not O(names²). Like Redis's dict, it has no order.
pub type NameSet = hashbrown::HashSet<Bytes, foldhash::fast::RandomState>;

/// One client's subscriptions; the client's session owns it.
pub struct Subscriptions {
    pub subscriber: Arc<Subscriber>,
    pub channels: NameSet,
    pub patterns: NameSet,
    pub shard_channels: NameSet,
}

impl Subscriptions {
    pub fn new(subscriber: Arc<Subscriber>) -> Subscriptions {
        Subscriptions {
            subscriber,
            channels: NameSet::default(),
            patterns: NameSet::default(),
            shard_channels: NameSet::default(),
        }
    }

    /// Channels plus patterns: the count SUBSCRIBE and PSUBSCRIBE reply with.
    pub fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0 && self.shard_channels.is_empty()
    }

    /// Shows the counts in CLIENT LIST (and the client as a `pubsub` client); call after a
    /// change.
    pub fn report(&self) {
        self.subscriber.client.set_subscribed(self.channels.len(), self.patterns.len(), self.shard_channels.len());
    }

    /// Drops every subscription from `hub`.
    pub fn clear(&mut self, hub: &PubSub) {
        for c in self.channels.drain() {
            hub.unsubscribe(&c, &self.subscriber, false);
        }
        for c in self.shard_channels.drain() {
            hub.unsubscribe(&c, &self.subscriber, true);
        }
        for p in self.patterns.drain() {
            hub.punsubscribe(&p, &self.subscriber);
        }
        self.report();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{ClientRegistry, Door};

    #[test]
    fn publish_reaches_channel_and_pattern_subscribers_in_order() {
        let registry = ClientRegistry::default();
        let reg = registry.register(Door::Resp, "a".into(), String::new(), -1, 10);
        let Some(reg) = reg else { panic!("registered") };
        let hub = PubSub::default();
        let sub = Arc::new(Subscriber::new(reg.client.clone()));
        hub.subscribe(&Bytes::from_static(b"news"), &sub, false);
        hub.psubscribe(&Bytes::from_static(b"n*"), &sub);
        let limit = OutputLimit::default();
        assert_eq!(hub.publish(&Bytes::from_static(b"news"), &Bytes::from_static(b"1"), false, limit), 2);
        assert_eq!(hub.publish(&Bytes::from_static(b"nope"), &Bytes::from_static(b"2"), false, limit), 1);
        assert_eq!(hub.publish(&Bytes::from_static(b"news"), &Bytes::from_static(b"3"), true, limit), 0);
        let got: Vec<_> = sub.drain().into_iter().map(|d| (d.kind, d.payload.clone())).collect();
        let want = [(Kind::Message, "1"), (Kind::PMessage, "1"), (Kind::PMessage, "2")]
            .map(|(k, p)| (k, Bytes::copy_from_slice(p.as_bytes())));
        assert_eq!(got, want);
        hub.punsubscribe(b"n*", &sub);
        hub.unsubscribe(b"news", &sub, false);
        assert_eq!(hub.totals(), (0, 0, 0));
        assert_eq!(hub.pattern_subscriptions.load(Ordering::Acquire), 0);
    }

    #[test]
    fn a_subscriber_over_its_hard_limit_is_cut_off() {
        let registry = ClientRegistry::default();
        let Some(reg) = registry.register(Door::Resp, "a".into(), String::new(), -1, 10) else { panic!() };
        let hub = PubSub::default();
        let sub = Arc::new(Subscriber::new(reg.client.clone()));
        hub.subscribe(&Bytes::from_static(b"c"), &sub, false);
        let limit = OutputLimit { hard: 1000, soft: 0, soft_secs: 0 };
        let payload = Bytes::from(vec![b'x'; 100]);
        for _ in 0..20 {
            hub.publish(&Bytes::from_static(b"c"), &payload, false, limit);
        }
        assert!(reg.client.kill.is_cancelled());
        assert_eq!(hub.cut_off.load(Ordering::Relaxed), 1);
        assert!(sub.drain().is_empty(), "the queue is freed");
    }
}
