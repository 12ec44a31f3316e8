//! Keyspace notifications (`notify-keyspace-events`): a change to a key is published as
//! `__keyspace@<db>__:<key>` with the event name as message and `__keyevent@<db>__:<event>`
//! with the key as message, for the classes of events the option enables.
//!
//! Events are published synchronously, where they happen, usually while the command still
//! holds the key's shard. That keeps them in the order the changes were made, per key, as
//! Redis's single thread does: publishing after unlocking would let two clients' events for
//! one key overtake each other. It cannot deadlock: publishing takes only pub/sub bucket
//! and mailbox locks, and nothing holding one of those ever takes a shard lock. It costs
//! one relaxed load when notifications are off, as the flags are mirrored into an atomic.
//!
//! Commands call [`crate::commands::Ctx::notify`] right where Redis calls
//! `notifyKeyspaceEvent`, e.g. `ctx.notify(Class::Stream, "xadd", key)`; the engine calls
//! the [`Notifier`] itself for "new", "expired" and "keymiss", and the eviction code will
//! call [`Notifier::evicted`].
//!
//! Every change also reaches client-side caching (`super::tracking`), notifications on or
//! off: one more relaxed load while no client tracks.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::{BufMut, Bytes, BytesMut};

use super::PubSub;
use crate::config::Limits;

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub const KEYSPACE: u32 = 1 << 0;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub const KEYEVENT: u32 = 1 << 1;

/// A class of events (the flag letter in brackets), with Redis's bit values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Class {
    /// `g`: commands on any type (DEL, EXPIRE, RENAME...).
    Generic = 1 << 2,
    /// `$`
    String = 1 << 3,
    /// `l`
    List = 1 << 4,
    /// `s`
    Set = 1 << 5,
    /// `h`
    Hash = 1 << 6,
    /// `z`
    ZSet = 1 << 7,
    /// `x`: a key deleted because its deadline passed.
    Expired = 1 << 8,
    /// `e`: a key deleted to free memory (maxmemory).
    Evicted = 1 << 9,
    /// `t`
    Stream = 1 << 10,
    /// `m`: a read of a key that does not exist.
    KeyMiss = 1 << 11,
    /// `d`: module commands (RedisBloom's BF.*).
    Module = 1 << 13,
    /// `n`: a key created.
    New = 1 << 14,
}

/// `A`: every class except key misses and new keys, as in Redis.
const ALL: u32 = Class::Generic as u32
    | Class::String as u32
    | Class::List as u32
    | Class::Set as u32
    | Class::Hash as u32
    | Class::ZSet as u32
    | Class::Expired as u32
    | Class::Evicted as u32
    | Class::Stream as u32
    | Class::Module as u32;

/// Letters in CONFIG GET's order after `A` would stand for them.
const CLASS_LETTERS: [(u8, u32); 11] = [
    (b'g', Class::Generic as u32),
    (b'$', Class::String as u32),
    (b'l', Class::List as u32),
    (b's', Class::Set as u32),
    (b'h', Class::Hash as u32),
    (b'z', Class::ZSet as u32),
    (b'x', Class::Expired as u32),
    (b'e', Class::Evicted as u32),
    (b't', Class::Stream as u32),
    (b'd', Class::Module as u32),
    (b'n', Class::New as u32),
];

/// CONFIG SET's complaint about a letter that is not a class.
pub const BAD_FLAG: &str = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/// Parses `notify-keyspace-events` letters into flags (Redis's
/// `keyspaceEventsStringToFlags`); `None` for an unknown letter.
pub fn parse_flags(text: &str) -> Option<u32> {
    text.bytes().try_fold(0, |flags, letter| {
        let bit = match letter {
            b'A' => ALL,
            b'K' => KEYSPACE,
            b'E' => KEYEVENT,
            b'm' => Class::KeyMiss as u32,
            _ => CLASS_LETTERS.iter().find(|(l, _)| *l == letter)?.1,
        };
        Some(flags | bit)
    })
}

/// Flags as CONFIG GET shows them (Redis's `keyspaceEventsFlagsToString`): `A` replaces the
/// classes it covers, and then `n` is not shown even when set, exactly as Redis does.
pub fn format_flags(flags: u32) -> String {
    let mut out = String::new();
    if flags & ALL == ALL {
        out.push('A');
    } else {
        out.extend(CLASS_LETTERS.iter().filter(|(_, bit)| flags & bit != 0).map(|(l, _)| char::from(*l)));
    }
    for (letter, bit) in [('K', KEYSPACE), ('E', KEYEVENT), ('m', Class::KeyMiss as u32)] {
        if flags & bit != 0 {
            out.push(letter);
        }
    }
    out
}

/// The flags the hot path tests: 0 unless some channel (`K` or `E`) is on, so a single
/// test against the class decides whether there is anything to publish.
pub fn effective_flags(flags: u32) -> u32 {
    if flags & (KEYSPACE | KEYEVENT) == 0 { 0 } else { flags }
}

/// Publishes keyspace events; reachable from the engine (`Keyspace::notifier`) and from
/// commands (`Ctx::notify`).
pub struct Notifier {
    hub: Arc<PubSub>,
    /// Holds the flags (`notify_keyspace_events`, see [`effective_flags`]) and the pub/sub
    /// output limit, both kept current by CONFIG SET.
    limits: Arc<Limits>,
}

impl Default for Notifier {
    /// A notifier that never publishes (flags stay 0): for a keyspace without a server.
    fn default() -> Notifier {
        Notifier { hub: Arc::default(), limits: Arc::default() }
    }
}

impl Notifier {
    pub fn new(hub: Arc<PubSub>, limits: Arc<Limits>) -> Notifier {
        Notifier { hub, limits }
    }

    /// Whether events of `class` are published now.
    #[inline]
    pub fn wants(&self, class: Class) -> bool {
        self.limits.notify_keyspace_events.load(Ordering::Relaxed) & class as u32 != 0
    }

    /// Publishes `event` for `key` of database `db` if `class` is enabled.
    #[inline]
    pub fn notify(&self, class: Class, event: &str, key: &[u8], db: usize) {
        self.notify_with(self.flags(), class, event, key, db);
    }

    /// Whether any client tracks keys (CLIENT TRACKING): one relaxed load.
    #[inline]
    pub fn tracking(&self) -> bool {
        self.hub.tracking.active()
    }

    /// The current flags, for a caller that tests several classes with one load.
    #[inline]
    pub fn flags(&self) -> u32 {
        self.limits.notify_keyspace_events.load(Ordering::Relaxed)
    }

    /// [`Notifier::notify`] with flags already loaded by [`Notifier::flags`].
    #[inline]
    pub fn notify_with(&self, flags: u32, class: Class, event: &str, key: &[u8], db: usize) {
        if flags & class as u32 != 0 {
            self.publish(flags, event, key, db);
        }
        // Client-side caching: any change invalidates (a miss changes nothing, and a new
        // key is reported again by the command that created it).
        if self.hub.tracking.active() && !matches!(class, Class::KeyMiss | Class::New) {
            let by_client = !matches!(class, Class::Expired | Class::Evicted);
            self.hub.tracking.invalidate(key, by_client, &self.limits);
        }
    }

    /// FLUSHDB / FLUSHALL: tracking clients are told every key changed, and the tracking
    /// table is emptied even when no client tracks any more (its keys outlive CLIENT
    /// TRACKING OFF, as in Redis).
    pub fn flushed(&self) {
        self.hub.tracking.flushed(&self.limits);
    }

    /// A key deleted to free memory: for the eviction code, which does not exist yet.
    #[allow(dead_code)]
    pub fn evicted(&self, key: &[u8], db: usize) {
        self.notify(Class::Evicted, "evicted", key, db);
    }

    #[cold]
    fn publish(&self, flags: u32, event: &str, key: &[u8], db: usize) {
        let limit = self.limits.pubsub();
        // Keyspace first, then keyevent, as Redis's notifyKeyspaceEvent.
        if flags & KEYSPACE != 0 {
            let channel = channel("__keyspace@", db, key);
            self.hub.publish(&channel, event.as_bytes(), false, limit);
        }
        if flags & KEYEVENT != 0 {
            let channel = channel("__keyevent@", db, event.as_bytes());
            self.hub.publish(&channel, key, false, limit);
        }
    }
}

/// `<prefix><db>__:<name>`.
fn channel(prefix: &str, db: usize, name: &[u8]) -> Bytes {
    let db = db.to_string();
    let mut out = BytesMut::with_capacity(prefix.len() + db.len() + 3 + name.len());
    out.put_slice(prefix.as_bytes());
    out.put_slice(db.as_bytes());
    out.put_slice(b"__:");
    out.put_slice(name);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_as_redis_shows_them() {
        for (set, shown) in [
            ("", ""),
            ("KEA", "AKE"),
            ("gKx$mn", "g$xnKm"),
            ("AmnKE", "AKEm"),
            ("g$lshzxetdKE", "AKE"),
            ("Eg", "gE"),
            ("ggg", "g"),
        ] {
            let flags = parse_flags(set);
            assert_eq!(flags.map(format_flags).as_deref(), Some(shown), "{set}");
        }
        assert_eq!(parse_flags("Kq"), None);
        assert_eq!(parse_flags("AmnKE").map(|f| f & Class::New as u32 != 0), Some(true), "A hides n but keeps it");
    }

    #[test]
    fn evicted_keys_are_published_on_both_channels_when_enabled() {
        use crate::pubsub::{Kind, Subscriber};
        use crate::server::{ClientRegistry, Door};
        let registry = ClientRegistry::default();
        let Some(reg) = registry.register(Door::Resp, "a".into(), String::new(), -1, 10) else { panic!() };
        let hub = Arc::new(PubSub::default());
        let sub = Arc::new(Subscriber::new(reg.client.clone()));
        hub.psubscribe(&Bytes::from_static(b"__key*__:*"), &sub);
        let limits = Arc::new(Limits::default());
        let notifier = Notifier::new(hub, limits.clone());
        notifier.evicted(b"k", 2);
        assert!(sub.drain().is_empty(), "off by default");
        let flags = effective_flags(parse_flags("KEe").unwrap_or(0));
        limits.notify_keyspace_events.store(flags, Ordering::Relaxed);
        assert!(notifier.wants(Class::Evicted) && !notifier.wants(Class::Expired));
        notifier.notify(Class::Expired, "expired", b"k", 2);
        notifier.evicted(b"k", 2);
        let got: Vec<_> = sub.drain().into_iter().map(|d| (d.kind, d.channel.clone(), d.payload.clone())).collect();
        let want = [("__keyspace@2__:k", "evicted"), ("__keyevent@2__:evicted", "k")]
            .map(|(c, p)| (Kind::PMessage, Bytes::from(c), Bytes::from(p)));
        assert_eq!(got, want);
    }

    #[test]
    fn nothing_is_published_without_k_or_e() {
        assert_eq!(effective_flags(parse_flags("A").unwrap_or(0)), 0);
        assert_ne!(effective_flags(parse_flags("Eg").unwrap_or(0)), 0);
        assert_eq!(&channel("__keyevent@", 3, b"del")[..], b"__keyevent@3__:del");
    }
}
