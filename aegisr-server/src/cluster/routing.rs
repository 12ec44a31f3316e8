//! What a node derives from the cluster map to route commands: who owns each slot,
//! whether this node serves a request, and where a client goes otherwise (Redis Cluster's
//! `-MOVED`, `-ASK`, `-TRYAGAIN`, `-CROSSSLOT`, `-CLUSTERDOWN`).

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::map::{ClusterMap, GroupId, Member, NodeId};
use crate::engine::slot::SLOT_COUNT;

const UNASSIGNED: GroupId = GroupId::MAX;

/// One version of the map, with a slot -> group table for the hot path.
#[derive(Debug, Clone)]
pub struct Routing {
    pub map: Arc<ClusterMap>,
    pub me: NodeId,
    /// This node's group, if it has one.
    pub group: Option<GroupId>,
    /// Whether this node is its group's primary.
    pub primary: bool,
    owners: Box<[GroupId]>,
    /// Slots this node's group has just given away (slot -> the group it went to) whose
    /// new owner may not have applied the flip yet: clients are sent there with `-ASK`,
    /// not `-MOVED`, until the move's source hears it has (`Router::handoff_confirmed`).
    /// Every node applies the flip on its own: a target a little late still redirects
    /// the slot to the source, so a MOVED could come straight back, a loop a cluster
    /// client gives up on (seen under load). Redis avoids it by flipping the target
    /// first; here the target serves ASKING clients before and after its flip alike.
    handed_off: Arc<BTreeMap<u16, GroupId>>,
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Run it here.
    Serve,
    /// The slot lives elsewhere for good: `-MOVED slot host:port`.
    Moved { slot: u16, addr: String },
    /// The key has moved on to the slot's new owner: `-ASK slot host:port`, once.
    Ask { slot: u16, addr: String },
    /// Some keys have moved and some not, mid-migration: `-TRYAGAIN`.
    TryAgain,
    /// The keys are in different slots: `-CROSSSLOT`.
    CrossSlot,
    /// No group owns the slot: `-CLUSTERDOWN`.
    Down,
}

impl Verdict {
    /// The error a client gets, or `None` to serve.
    pub fn error(&self) -> Option<String> {
        match self {
            Verdict::Serve => None,
            Verdict::Moved { slot, addr } => Some(format!("MOVED {slot} {addr}")),
            Verdict::Ask { slot, addr } => Some(format!("ASK {slot} {addr}")),
            Verdict::TryAgain => Some("TRYAGAIN Multiple keys request during rehashing of slot".into()),
            Verdict::CrossSlot => Some("CROSSSLOT Keys in request don't hash to the same slot".into()),
            Verdict::Down => Some("CLUSTERDOWN Hash slot not served".into()),
        }
    }
}

/// What a request brings to the routing decision.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub slot: u16,
    /// It changes data.
    pub write: bool,
    /// It names more than one key.
    pub multiple_keys: bool,
    /// The client sent READONLY: a replica may serve its reads.
    pub readonly_client: bool,
    /// The client sent ASKING just before.
    pub asking: bool,
}

/// Which of the request's keys this node has (checked only mid-migration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    pub missing: usize,
    pub present: usize,
}

impl Routing {
    pub fn new(map: Arc<ClusterMap>, me: NodeId) -> Routing {
        let mut owners = vec![UNASSIGNED; SLOT_COUNT].into_boxed_slice();
        for range in &map.slots {
            for slot in range.start..=range.end {
                if let Some(cell) = owners.get_mut(usize::from(slot)) {
                    *cell = range.group;
                }
            }
        }
        let group = map.members.get(&me).and_then(|m| m.group);
        let primary = map.is_primary(me);
        Routing { map, me, group, primary, owners, handed_off: Arc::default() }
    }

    /// The slots `next` (the routing after this one) still hands off: those already handed
    /// off that the target still owns, and those whose move from this node's group the
    /// new map has finished. Only a primary staying its group's primary hands off.
    fn handed_off_in(&self, next: &Routing) -> BTreeMap<u16, GroupId> {
        let mut handed = BTreeMap::new();
        if !next.primary || next.group.is_none() || next.group != self.group {
            return handed;
        }
        for (&slot, &to) in self.handed_off.iter() {
            if next.owner(slot) == Some(to) {
                handed.insert(slot, to);
            }
        }
        if self.primary {
            for (&slot, m) in &self.map.migrations {
                let finished = !next.map.migrations.contains_key(&slot) && next.owner(slot) == Some(m.to);
                if Some(m.from) == self.group && finished {
                    handed.insert(slot, m.to);
                }
            }
        }
        handed
    }

    pub fn owner(&self, slot: u16) -> Option<GroupId> {
        self.owners.get(usize::from(slot)).copied().filter(|&g| g != UNASSIGNED)
    }

    /// `host:port` (RESP) of `group`'s primary.
    pub fn primary_addr(&self, group: GroupId) -> Option<String> {
        self.map.primary_of(group).map(resp_addr)
    }

    /// Decides where a request for one slot goes. `presence` is asked only while the slot
    /// migrates, where the answer depends on which keys are still here.
    pub fn route(&self, request: Request, presence: impl FnOnce() -> Presence) -> Verdict {
        let slot = request.slot;
        let Some(owner) = self.owner(slot) else { return Verdict::Down };
        let moved = |group| match self.primary_addr(group) {
            Some(addr) => Verdict::Moved { slot, addr },
            None => Verdict::Down,
        };
        let Some(mine) = self.group else { return moved(owner) };
        let migration = self.map.migrations.get(&slot);
        if owner == mine {
            if !self.primary {
                // A replica serves reads to clients that asked for it; the rest go to
                // the primary, as Redis Cluster replicas do.
                return if request.readonly_client && !request.write { Verdict::Serve } else { moved(owner) };
            }
            if let Some(migration) = migration.filter(|m| m.from == mine) {
                let here = presence();
                if here.missing > 0 {
                    if here.present > 0 {
                        return Verdict::TryAgain;
                    }
                    return match self.primary_addr(migration.to) {
                        Some(addr) => Verdict::Ask { slot, addr },
                        None => Verdict::Serve,
                    };
                }
            }
            return Verdict::Serve;
        }
        if self.primary && request.asking && migration.is_some_and(|m| m.to == mine) {
            if request.multiple_keys && presence().missing > 0 {
                return Verdict::TryAgain;
            }
            return Verdict::Serve;
        }
        if self.handed_off.get(&slot) == Some(&owner) {
            if let Some(addr) = self.primary_addr(owner) {
                return Verdict::Ask { slot, addr };
            }
        }
        moved(owner)
    }
}

/// The address clients use for `member`.
pub fn resp_addr(member: &Member) -> String {
    format!("{}:{}", member.host, member.resp_port)
}

/// The current routing, swapped whole when the map changes (readers never wait).
#[derive(Debug)]
pub struct Router {
    current: ArcSwap<Routing>,
}

impl Router {
    pub fn new(map: Arc<ClusterMap>, me: NodeId) -> Router {
        Router { current: ArcSwap::from_pointee(Routing::new(map, me)) }
    }

    /// The current routing. A guard, not a clone: no reference count is touched on the
    /// hot path (every command in cluster mode); hold it briefly.
    pub fn load(&self) -> arc_swap::Guard<Arc<Routing>> {
        self.current.load()
    }

    /// Publishes a new version of the map.
    pub fn publish(&self, map: Arc<ClusterMap>) {
        let next = Routing::new(map, self.current.load().me);
        // Compare-and-swap: a confirmed handoff may be stored meanwhile.
        self.current.rcu(|current| {
            let mut next = next.clone();
            next.handed_off = Arc::new(current.handed_off_in(&next));
            next
        });
    }

    /// The targets of `slots` have applied their flip: clients are sent there with
    /// `-MOVED` from now on.
    pub fn handoff_confirmed(&self, slots: &[u16]) {
        if slots.iter().all(|s| !self.current.load().handed_off.contains_key(s)) {
            return;
        }
        self.current.rcu(|current| {
            let mut next = Routing::clone(current);
            let mut handed = (*current.handed_off).clone();
            for slot in slots {
                handed.remove(slot);
            }
            next.handed_off = Arc::new(handed);
            next
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::map::Change;
    use crate::cluster::map::test_member as member;

    /// Node 1 primary of group 0 (replica 2), node 4 primary of group 1 (replica 3);
    /// slot 100 belongs to group 1.
    fn map() -> Arc<ClusterMap> {
        let mut map = ClusterMap::default();
        map.apply(&Change::Bootstrap { member: member(1), replicas_wanted: 1 }).unwrap();
        map.apply(&Change::Join(member(2))).unwrap();
        map.apply(&Change::Join(member(3))).unwrap();
        map.apply(&Change::Join(member(4))).unwrap();
        map.apply(&Change::BeginMigration { slot: 100, to: 1 }).unwrap();
        map.apply(&Change::FinishMigration { slot: 100 }).unwrap();
        Arc::new(map)
    }

    fn read(slot: u16) -> Request {
        Request { slot, write: false, multiple_keys: false, readonly_client: false, asking: false }
    }

    fn none_missing() -> Presence {
        Presence { missing: 0, present: 1 }
    }

    #[test]
    fn owners_serve_and_others_redirect() {
        let map = map();
        let primary0 = Routing::new(map.clone(), 1);
        assert_eq!(primary0.route(read(5), none_missing), Verdict::Serve);
        assert_eq!(
            primary0.route(read(100), none_missing),
            Verdict::Moved { slot: 100, addr: "127.0.0.1:7004".into() }
        );
        let replica0 = Routing::new(map, 2);
        assert_eq!(replica0.route(read(5), none_missing), Verdict::Moved { slot: 5, addr: "127.0.0.1:7001".into() });
        let readonly = Request { readonly_client: true, ..read(5) };
        assert_eq!(replica0.route(readonly, none_missing), Verdict::Serve);
        let write = Request { write: true, ..readonly };
        assert_eq!(replica0.route(write, none_missing), Verdict::Moved { slot: 5, addr: "127.0.0.1:7001".into() });
    }

    #[test]
    fn a_migrating_slot_asks_for_missing_keys() {
        let mut map = (*map()).clone();
        map.apply(&Change::BeginMigration { slot: 7, to: 1 }).unwrap();
        let map = Arc::new(map);
        let source = Routing::new(map.clone(), 1);
        assert_eq!(source.route(read(7), none_missing), Verdict::Serve);
        let gone = || Presence { missing: 1, present: 0 };
        assert_eq!(source.route(read(7), gone), Verdict::Ask { slot: 7, addr: "127.0.0.1:7004".into() });
        let split = || Presence { missing: 1, present: 1 };
        assert_eq!(source.route(Request { multiple_keys: true, ..read(7) }, split), Verdict::TryAgain);

        let target = Routing::new(map, 4);
        assert_eq!(target.route(read(7), gone), Verdict::Moved { slot: 7, addr: "127.0.0.1:7001".into() });
        let asking = Request { asking: true, ..read(7) };
        assert_eq!(target.route(asking, gone), Verdict::Serve);
        assert_eq!(target.route(Request { multiple_keys: true, ..asking }, split), Verdict::TryAgain);
    }

    #[test]
    fn a_slot_just_given_away_is_asked_for_until_the_target_has_it() {
        let mut map = (*map()).clone();
        map.apply(&Change::BeginMigration { slot: 7, to: 1 }).unwrap();
        let router = Router::new(Arc::new(map.clone()), 1);
        map.apply(&Change::FinishMigration { slot: 7 }).unwrap();
        router.publish(Arc::new(map.clone()));
        let ask = Verdict::Ask { slot: 7, addr: "127.0.0.1:7004".into() };
        assert_eq!(router.load().route(read(7), none_missing), ask);
        // Carried over later maps while the target owns the slot.
        map.apply(&Change::Promote { group: 1, node: 3 }).unwrap();
        router.publish(Arc::new(map.clone()));
        let ask = Verdict::Ask { slot: 7, addr: "127.0.0.1:7003".into() };
        assert_eq!(router.load().route(read(7), none_missing), ask);
        // Slot 100 was moved before this node routed by a migrating map: MOVED.
        assert!(matches!(router.load().route(read(100), none_missing), Verdict::Moved { .. }));
        router.handoff_confirmed(&[7]);
        assert_eq!(
            router.load().route(read(7), none_missing),
            Verdict::Moved { slot: 7, addr: "127.0.0.1:7003".into() }
        );
        // Other nodes never hand off.
        let replica = Router::new(Arc::new(map), 2);
        assert!(matches!(replica.load().route(read(7), none_missing), Verdict::Moved { .. }));
    }

    #[test]
    fn unassigned_slots_are_down() {
        let mut map = (*map()).clone();
        map.apply(&Change::Remove(3)).unwrap();
        map.apply(&Change::Remove(4)).unwrap();
        let routing = Routing::new(Arc::new(map), 1);
        assert_eq!(routing.route(read(100), none_missing), Verdict::Down);
        assert_eq!(Verdict::Down.error().unwrap(), "CLUSTERDOWN Hash slot not served");
    }
}
