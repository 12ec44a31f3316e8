//! Client-side caching (CLIENT TRACKING), as Redis's tracking.c: which clients read which
//! keys, and the invalidation messages sent when those keys change.
//!
//! Default mode: the keys a tracking client reads are remembered in one table (key ->
//! client ids, for all databases, as Redis); the first change to such a key sends every
//! client remembered on it an invalidation and forgets the key. BCAST mode: a client
//! names prefixes and hears of every changed key starting with one of them, whoever read
//! it. Messages go through the clients' pub/sub mailboxes: a RESP3 push `invalidate`, or,
//! for a client redirecting to a RESP2 subscriber, a message on `__redis__:invalidate`.
//!
//! Every change calls [`Tracking::invalidate`] from the keyspace notifier, guarded by
//! [`Tracking::active`]: one relaxed load while no client tracks.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use bytes::Bytes;
use parking_lot::Mutex;

use super::mailbox::{Published, Subscriber};
use crate::config::Limits;
use crate::server::ClientHandle;

type Ids = HashSet<u64, foldhash::fast::RandomState>;

/// The options of CLIENT TRACKING ON that change what a client hears of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mode {
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
}

/// One tracking client.
struct Tracker {
    client: Arc<ClientHandle>,
    /// The client that receives the invalidations; 0: the tracker itself.
    redirect: u64,
    /// The redirect target has gone away (CLIENT LIST's flag R).
    broken: bool,
    mode: Mode,
    /// BCAST prefixes, in Redis's (sorted) order.
    prefixes: BTreeSet<Bytes>,
}

impl Tracker {
    /// Mirrors the state into the client handle, for CLIENT LIST.
    fn report(&self) {
        self.client.set_tracking(Some((self.redirect, self.broken, self.mode.bcast)));
    }
}

#[derive(Default)]
struct State {
    /// Default mode: the keys read, and who read them.
    keys: HashMap<Bytes, Ids, foldhash::fast::RandomState>,
    /// Client ids in `keys`, summed over keys (INFO's tracking_total_items).
    items: usize,
    trackers: HashMap<u64, Tracker, foldhash::fast::RandomState>,
    /// BCAST: prefix -> the clients that registered it.
    prefixes: BTreeMap<Bytes, BTreeSet<u64>>,
    /// Every connection that can receive pushes (tracking clients, subscribers), by id.
    mailboxes: HashMap<u64, Weak<Subscriber>, foldhash::fast::RandomState>,
}

/// The node's tracking state.
#[derive(Default)]
pub struct Tracking {
    /// Tracking clients: what every write tests first.
    clients: AtomicUsize,
    /// Keys in the table as of its last change: lets [`Tracking::bound`], run before every
    /// command while someone tracks, skip the lock when the table is within its bound.
    table_keys: AtomicUsize,
    state: Mutex<State>,
}

/// The command running on this thread, while someone tracks: whose it is (NOLOOP), and the
/// keys it changed that BCAST clients must hear of, sent together once it ends (Redis
/// sends them per event loop, one message per prefix).
#[derive(Default)]
struct Scope {
    client: u64,
    depth: u32,
    /// The command's own work has begun (its admission is done): invalidations for its
    /// client are written after its reply from now on.
    running: bool,
    /// Each key with the client that changed it (0: none).
    bcast: Vec<(Bytes, u64)>,
}

thread_local! {
    static SCOPE: RefCell<Scope> = RefCell::default();
}

const INVALIDATE_PUSH: &[u8] = b">2\r\n$10\r\ninvalidate\r\n";
const INVALIDATE_MESSAGE: &[u8] = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";

/// Whether a message for client `to` goes after the reply of the command running on this
/// thread: when that command is `to`'s own and has been admitted (see [`Tracking::running`]).
fn after_reply(to: u64) -> bool {
    SCOPE.with(|s| {
        let scope = s.borrow();
        scope.running && scope.client == to
    })
}

/// `keys` as a RESP array of bulk strings.
fn key_array<'k>(keys: impl ExactSizeIterator<Item = &'k [u8]>) -> Vec<u8> {
    let mut out = format!("*{}\r\n", keys.len()).into_bytes();
    for key in keys {
        out.extend_from_slice(format!("${}\r\n", key.len()).as_bytes());
        out.extend_from_slice(key);
        out.extend_from_slice(b"\r\n");
    }
    out
}

impl Tracking {
    /// Whether any client tracks: one relaxed load.
    #[inline]
    pub fn active(&self) -> bool {
        self.clients.load(Ordering::Relaxed) != 0
    }

    /// Lets tracking messages reach the connection owning `mailbox`.
    pub fn register_mailbox(&self, id: u64, mailbox: &Arc<Subscriber>) {
        self.state.lock().mailboxes.insert(id, Arc::downgrade(mailbox));
    }

    /// A client disconnected: it stops tracking, and those redirecting to it now have a
    /// broken redirect.
    pub fn client_gone(&self, id: u64) {
        self.disable(id);
        let mut state = self.state.lock();
        state.mailboxes.remove(&id);
        for tracker in state.trackers.values_mut().filter(|t| t.redirect == id) {
            tracker.broken = true;
            tracker.report();
        }
    }

    /// Whether client `id` tracks, and its BCAST prefixes (to check new ones against).
    pub fn prefixes_of(&self, id: u64) -> Vec<Bytes> {
        self.state.lock().trackers.get(&id).map(|t| t.prefixes.iter().cloned().collect()).unwrap_or_default()
    }

    /// CLIENT TRACKING ON (options already validated): replaces the redirect and the
    /// flags, adds the BCAST prefixes (all keys, the empty prefix, when none is given).
    pub fn enable(&self, client: &Arc<ClientHandle>, redirect: u64, mode: Mode, prefixes: &[Bytes]) {
        let mut state = self.state.lock();
        let id = client.id;
        if !state.trackers.contains_key(&id) {
            self.clients.fetch_add(1, Ordering::Relaxed);
        }
        let tracker = state.trackers.entry(id).or_insert_with(|| Tracker {
            client: client.clone(),
            redirect: 0,
            broken: false,
            mode: Mode::default(),
            prefixes: BTreeSet::new(),
        });
        tracker.redirect = redirect;
        tracker.broken = false;
        tracker.mode = mode;
        let mut added = Vec::new();
        if mode.bcast {
            let empty = [Bytes::new()];
            let wanted = if prefixes.is_empty() { &empty[..] } else { prefixes };
            for prefix in wanted {
                if tracker.prefixes.insert(prefix.clone()) {
                    added.push(prefix.clone());
                }
            }
        }
        tracker.report();
        for prefix in added {
            state.prefixes.entry(prefix).or_default().insert(id);
        }
    }

    /// CLIENT TRACKING OFF. The keys it read stay in the table until they change, as in
    /// Redis: the ids of clients no longer tracking are skipped then.
    pub fn disable(&self, id: u64) {
        let mut state = self.state.lock();
        let Some(tracker) = state.trackers.remove(&id) else { return };
        self.clients.fetch_sub(1, Ordering::Relaxed);
        tracker.client.set_tracking(None);
        for prefix in &tracker.prefixes {
            if let Some(ids) = state.prefixes.get_mut(prefix) {
                ids.remove(&id);
                if ids.is_empty() {
                    state.prefixes.remove(prefix);
                }
            }
        }
    }

    /// CLIENT TRACKINGINFO's redirect, broken-redirect flag and prefixes; `None` when the
    /// client does not track.
    pub fn info(&self, id: u64) -> Option<(u64, bool, Vec<Bytes>)> {
        let state = self.state.lock();
        let tracker = state.trackers.get(&id)?;
        Some((tracker.redirect, tracker.broken, tracker.prefixes.iter().cloned().collect()))
    }

    /// INFO: tracking clients, keys in the table, items (key-client pairs), BCAST prefixes.
    pub fn totals(&self) -> (usize, usize, usize, usize) {
        let state = self.state.lock();
        (state.trackers.len(), state.keys.len(), state.items, state.prefixes.len())
    }

    /// Remembers that client `id` read `keys`; past `max_keys` (0: no bound) keys in the
    /// table, some are forgotten, their clients told they changed, as Redis's
    /// `trackingLimitUsedSlots`.
    pub fn remember<'k>(&self, id: u64, keys: impl IntoIterator<Item = &'k [u8]>, max_keys: u64, limits: &Limits) {
        let mut state = self.state.lock();
        for key in keys {
            let inserted = match state.keys.get_mut(key) {
                Some(ids) => ids.insert(id),
                None => state.keys.entry(Bytes::copy_from_slice(key)).or_default().insert(id),
            };
            state.items += usize::from(inserted);
        }
        state.bound(max_keys, limits);
        self.table_keys.store(state.keys.len(), Ordering::Relaxed);
    }

    /// Forgets keys past `max_keys` (0: no bound), their clients told they changed.
    pub fn bound(&self, max_keys: u64, limits: &Limits) {
        let max = usize::try_from(max_keys).unwrap_or(usize::MAX);
        if max > 0 && self.table_keys.load(Ordering::Relaxed) > max {
            let mut state = self.state.lock();
            state.bound(max_keys, limits);
            self.table_keys.store(state.keys.len(), Ordering::Relaxed);
        }
    }

    /// `key` changed: tells the clients that read it, and the BCAST clients of a prefix of
    /// it (at the end of the running command, if any). `by_client`: the running command
    /// changed it, so a NOLOOP client is not told of its own change; an expiry or an
    /// eviction, even one a command runs into, is nobody's change (Redis signals it with no
    /// client).
    pub fn invalidate(&self, key: &[u8], by_client: bool, limits: &Limits) {
        let current = if by_client { SCOPE.with(|s| s.borrow().client) } else { 0 };
        let mut state = self.state.lock();
        state.invalidate_key(key, current, limits);
        self.table_keys.store(state.keys.len(), Ordering::Relaxed);
        if state.prefixes.is_empty() || !state.prefixes.keys().any(|p| key.starts_with(p)) {
            return;
        }
        let key = Bytes::copy_from_slice(key);
        let now = SCOPE.with(|s| {
            let mut scope = s.borrow_mut();
            if scope.depth == 0 {
                return Some(key);
            }
            scope.bcast.push((key, current));
            None
        });
        if let Some(key) = now {
            drop(state);
            // Outside a command (active expiry, eviction): sent at once.
            self.broadcast(vec![(key, 0)], limits);
        }
    }

    /// FLUSHDB / FLUSHALL: every tracking client is told everything changed (a null
    /// invalidation), and the table is emptied.
    pub fn flushed(&self, limits: &Limits) {
        let mut state = self.state.lock();
        state.keys.clear();
        state.items = 0;
        self.table_keys.store(0, Ordering::Relaxed);
        let ids: Vec<(u64, bool)> = state.trackers.iter().map(|(id, t)| (*id, t.client.resp() >= 3)).collect();
        for (id, resp3) in ids {
            let null: &[u8] = if resp3 { b"_\r\n" } else { b"$-1\r\n" };
            state.send(id, null, limits);
        }
    }

    /// Starts a command of client `id` on this thread (calls nest: EXEC).
    pub fn begin(id: u64) {
        SCOPE.with(|s| {
            let mut scope = s.borrow_mut();
            scope.client = id;
            scope.depth += 1;
        });
    }

    /// The command begun by [`Tracking::begin`] has been admitted and runs: what it
    /// invalidates for its own client follows its reply, as Redis postpones it, where an
    /// invalidation made while it was admitted (an eviction, the table's bound) precedes.
    pub fn running() {
        SCOPE.with(|s| s.borrow_mut().running = true);
    }

    /// Ends what [`Tracking::begin`] started; the outermost end sends the BCAST messages.
    pub fn end(&self, limits: &Limits) {
        let finished = SCOPE.with(|s| {
            let mut scope = s.borrow_mut();
            scope.depth = scope.depth.saturating_sub(1);
            (scope.depth == 0).then(|| std::mem::take(&mut scope.bcast))
        });
        let Some(keys) = finished else { return };
        if !keys.is_empty() {
            self.broadcast(keys, limits);
        }
        SCOPE.with(|s| {
            let mut scope = s.borrow_mut();
            scope.client = 0;
            scope.running = false;
        });
    }

    /// Sends `keys` (sorted and deduplicated here, as Redis's radix tree holds them) to the
    /// BCAST clients of each prefix they match: one message per prefix and client. Each key
    /// comes with the client that changed it (0: none, or more than one).
    fn broadcast(&self, mut keys: Vec<(Bytes, u64)>, limits: &Limits) {
        keys.sort_unstable();
        keys.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same && later.1 != kept.1 {
                kept.1 = 0;
            }
            same
        });
        let state = self.state.lock();
        let mut sends = Vec::new();
        for (prefix, ids) in &state.prefixes {
            let matching: Vec<&(Bytes, u64)> = keys.iter().filter(|(k, _)| k.starts_with(prefix)).collect();
            if matching.is_empty() {
                continue;
            }
            let payload = key_array(matching.iter().map(|(k, _)| &k[..]));
            for &id in ids {
                // NOLOOP: not for the client's own changes.
                if state.trackers.get(&id).is_some_and(|t| t.mode.noloop) && matching.iter().any(|(_, by)| *by == id) {
                    let others: Vec<&[u8]> = matching.iter().filter(|(_, by)| *by != id).map(|(k, _)| &k[..]).collect();
                    if !others.is_empty() {
                        sends.push((id, key_array(others.into_iter())));
                    }
                    continue;
                }
                sends.push((id, payload.clone()));
            }
        }
        for (id, payload) in sends {
            state.send(id, &payload, limits);
        }
    }
}

impl State {
    /// Past `max_keys` (0: no bound) keys, forgets some, their clients told they changed,
    /// as Redis's `trackingLimitUsedSlots`.
    fn bound(&mut self, max_keys: u64, limits: &Limits) {
        let max = usize::try_from(max_keys).unwrap_or(usize::MAX);
        while max > 0 && self.keys.len() > max {
            let Some(key) = self.keys.keys().next().cloned() else { break };
            self.invalidate_key(&key, 0, limits);
        }
    }

    /// Default mode: tells the clients that read `key` it changed, and forgets it.
    fn invalidate_key(&mut self, key: &[u8], current: u64, limits: &Limits) {
        let Some(ids) = self.keys.remove(key) else { return };
        self.items -= ids.len();
        let payload = key_array(std::iter::once(key));
        for id in ids {
            // Clients that stopped tracking, or switched to BCAST, are skipped.
            let Some(tracker) = self.trackers.get(&id) else { continue };
            if tracker.mode.bcast || (tracker.mode.noloop && id == current) {
                continue;
            }
            self.send(id, &payload, limits);
        }
    }

    /// Sends an invalidation carrying `payload` (an array of keys, or a null) for tracking
    /// client `id`, as Redis's `sendTrackingMessage`: to the redirect target if any; a
    /// RESP3 connection gets a push, a RESP2 one only as a message of `__redis__:invalidate`
    /// when it is the redirect target and a subscriber.
    fn send(&self, id: u64, payload: &[u8], limits: &Limits) {
        let Some(tracker) = self.trackers.get(&id) else { return };
        let mailbox = |id: u64| self.mailboxes.get(&id).and_then(Weak::upgrade);
        let (target, redirected) = if tracker.redirect != 0 { (tracker.redirect, true) } else { (id, false) };
        if tracker.broken {
            // The client learns its redirect is gone, when it speaks RESP3.
            if let Some(own) = mailbox(id)
                && own.client.resp() >= 3
            {
                let mut frame = b">2\r\n$21\r\ntracking-redir-broken\r\n".to_vec();
                frame.extend_from_slice(format!(":{}\r\n", tracker.redirect).as_bytes());
                own.deliver(Arc::new(Published::preformatted(Bytes::from(frame), after_reply(id))), limits.normal());
            }
            return;
        }
        let Some(to) = mailbox(target) else { return };
        let pubsub = to.client.is_pubsub();
        let header = if to.client.resp() >= 3 {
            INVALIDATE_PUSH
        } else if redirected && pubsub {
            INVALIDATE_MESSAGE
        } else {
            return;
        };
        let frame = Bytes::from([header, payload].concat());
        let limit = if pubsub { limits.pubsub() } else { limits.normal() };
        to.deliver(Arc::new(Published::preformatted(frame, after_reply(target))), limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{ClientRegistry, Door};

    #[test]
    fn a_read_key_is_invalidated_once_and_forgotten() {
        let registry = ClientRegistry::default();
        let Some(reg) = registry.register(Door::Resp, "a".into(), String::new(), -1, 10) else { panic!() };
        reg.client.set_resp(3);
        let tracking = Tracking::default();
        let mailbox = Arc::new(Subscriber::new(reg.client.clone()));
        tracking.register_mailbox(reg.client.id, &mailbox);
        tracking.enable(&reg.client, 0, Mode::default(), &[]);
        assert!(tracking.active());
        let limits = Limits::default();
        tracking.remember(reg.client.id, [&b"k"[..]], 0, &limits);
        assert_eq!(tracking.totals(), (1, 1, 1, 0));
        tracking.invalidate(b"k", true, &limits);
        tracking.invalidate(b"k", true, &limits);
        let frames: Vec<Bytes> = mailbox.drain().iter().map(|m| m.frame(true).clone()).collect();
        assert_eq!(frames, [Bytes::from_static(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n")]);
        assert_eq!(tracking.totals(), (1, 0, 0, 0));
        tracking.disable(reg.client.id);
        assert!(!tracking.active());
    }

    #[test]
    fn the_table_is_bounded_by_max_keys() {
        let registry = ClientRegistry::default();
        let Some(reg) = registry.register(Door::Resp, "a".into(), String::new(), -1, 10) else { panic!() };
        let tracking = Tracking::default();
        tracking.enable(&reg.client, 0, Mode::default(), &[]);
        let keys: Vec<Bytes> = (0..10).map(|i| Bytes::from(format!("k{i}"))).collect();
        tracking.remember(reg.client.id, keys.iter().map(|k| &k[..]), 4, &Limits::default());
        assert_eq!(tracking.totals(), (1, 4, 4, 0));
    }
}
