//! Failure detection. Every node tells the Raft leader it is alive (with its data
//! replication offset) about every 100 ms; the leader keeps when it last heard from each
//! node and, from that table, promotes a replica of a group whose primary went silent for
//! the failover timeout, and removes a node silent for the node-gone timeout. The same
//! heartbeats give each node its write lease (see [`Health::lease_valid`]).

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::cluster::map::{ClusterMap, Group, GroupId, NodeId};

/// What the leader knows of one node.
#[derive(Debug, Clone, Copy)]
struct Seen {
    at: Instant,
    offset: u64,
    /// Whether a heartbeat actually arrived (entries start as a grace period when a node
    /// becomes leader, and those do not count towards a lease).
    heard: bool,
    /// Since when the node counts towards this leader's lease: when this leader issued the
    /// stamp the node's latest heartbeat carried back (so a round trip ago at least).
    vouched: Option<Instant>,
}

/// The process's origin of heartbeat stamps.
fn stamp_origin() -> Instant {
    static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// A stamp for a heartbeat reply: this process's clock, never 0 (0 means "none").
pub fn stamp() -> u64 {
    u64::try_from(stamp_origin().elapsed().as_nanos()).unwrap_or(u64::MAX).saturating_add(1)
}

/// When this process issued `stamp`; `None` for 0 or a stamp it cannot have issued yet.
pub fn stamped_at(stamp: u64) -> Option<Instant> {
    let at = stamp_origin().checked_add(Duration::from_nanos(stamp.checked_sub(1)?))?;
    (at <= Instant::now()).then_some(at)
}

/// How long a node has been silent, and its last reported offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub silent_for: Duration,
    pub offset: u64,
}

/// What the leader should do about silent nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Promote {
        group: GroupId,
        node: NodeId,
    },
    Remove(NodeId),
    /// Make a live learner a Raft voter (there are fewer voters than wanted).
    AddVoter(NodeId),
    /// A group's primary is silent and none of its replicas is live: nothing can be done
    /// but say so (its slots are unavailable until one of its nodes returns).
    Stranded(GroupId),
}

/// The heartbeat table (meaningful on the leader) and this node's own lease.
#[derive(Default)]
pub struct Health {
    table: Mutex<HashMap<NodeId, Seen>>,
    /// When this node's last heartbeat was acknowledged by a leader holding its lease.
    acknowledged: Mutex<Option<Instant>>,
    /// The leader this node last got a heartbeat reply from, and when: if this node
    /// becomes leader, that is the last sign of life it knows of its predecessor.
    last_reply: Mutex<Option<(NodeId, Instant)>>,
    /// Groups and nodes acted on recently, and until when they are left alone: long
    /// enough for the change to be applied and the nodes concerned to heartbeat.
    cooling: Mutex<HashMap<Subject, Instant>>,
}

/// What an action is about, for its cool-down: one promotion per group at a time
/// (whichever replica), one removal per node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Subject {
    Group(GroupId),
    Node(NodeId),
    Voter(NodeId),
}

impl Action {
    fn subject(self) -> Subject {
        match self {
            Action::Promote { group, .. } => Subject::Group(group),
            Action::Remove(node) => Subject::Node(node),
            Action::AddVoter(node) => Subject::Voter(node),
            // Shares the group's subject: said again only once a promotion could be tried.
            Action::Stranded(group) => Subject::Group(group),
        }
    }
}

impl Health {
    /// A heartbeat from `node` arrived (on the leader); `vouched`: since when it counts
    /// towards the lease (see [`Seen::vouched`]), if it carried a stamp of this leader.
    pub fn record(&self, node: NodeId, offset: u64, vouched: Option<Instant>) {
        let mut table = self.table.lock();
        // A request without a stamp (the node's first to this leader) takes nothing away.
        let vouched = vouched.max(table.get(&node).and_then(|s| s.vouched));
        table.insert(node, Seen { at: Instant::now(), offset, heard: true, vouched });
    }

    /// This node became leader: every member starts with a grace period of one timeout
    /// (the new leader has heard from nobody yet), with the offsets it knew, if any;
    /// except the previous leader, silent since its last heartbeat reply to this node (it
    /// is usually why there was an election, so its failover is not delayed further).
    pub fn start_leading(&self, members: impl IntoIterator<Item = NodeId>) {
        let now = Instant::now();
        let predecessor = *self.last_reply.lock();
        let mut table = self.table.lock();
        let offsets: HashMap<NodeId, u64> = table.iter().map(|(n, s)| (*n, s.offset)).collect();
        table.clear();
        for node in members {
            let offset = offsets.get(&node).copied().unwrap_or(0);
            let at = match predecessor {
                Some((leader, at)) if leader == node => at,
                _ => now,
            };
            table.insert(node, Seen { at, offset, heard: false, vouched: None });
        }
        self.cooling.lock().clear();
    }

    /// Members the table does not know yet (they joined after this node became leader)
    /// start with a grace period too, so that one dying before its first heartbeat is
    /// still noticed.
    pub fn track(&self, members: impl IntoIterator<Item = NodeId>) {
        let now = Instant::now();
        let mut table = self.table.lock();
        for node in members {
            table.entry(node).or_insert(Seen { at: now, offset: 0, heard: false, vouched: None });
        }
    }

    /// The leader answered the heartbeat this node sent at `sent`; `lease`: it also
    /// acknowledged it (it holds its lease). The lease counts from the sending: the
    /// leader's failure detector counts from the (later) arrival, so this node's lease
    /// always ends before the leader could fail it over.
    pub fn replied(&self, leader: NodeId, lease: bool, sent: Instant) {
        *self.last_reply.lock() = Some((leader, sent));
        if lease {
            *self.acknowledged.lock() = Some(sent);
        }
    }

    /// Per node: how long since its last heartbeat (`None`: not heard of) and its offset.
    pub fn observations(&self) -> HashMap<NodeId, Observation> {
        let now = Instant::now();
        self.table
            .lock()
            .iter()
            .map(|(n, s)| (*n, Observation { silent_for: now.saturating_duration_since(s.at), offset: s.offset }))
            .collect()
    }

    /// Per node: time since its last real heartbeat and its offset.
    pub fn heard(&self, node: NodeId) -> Option<(Duration, u64)> {
        let s = *self.table.lock().get(&node)?;
        s.heard.then(|| (s.at.elapsed(), s.offset))
    }

    /// The lease: as leader, a majority of `voters` (itself included) vouched for it within
    /// `lease` (heartbeats carrying back stamps it issued that recently); as follower, a
    /// leader holding its lease acknowledged it within `lease`.
    pub fn lease_valid(&self, me: NodeId, leading: bool, voters: &BTreeSet<NodeId>, lease: Duration) -> bool {
        if leading {
            let table = self.table.lock();
            let fresh = voters.iter().filter(|&&v| v == me || Self::vouched_within(&table, v, lease)).count();
            fresh * 2 > voters.len()
        } else {
            self.acknowledged.lock().is_some_and(|at| at.elapsed() < lease)
        }
    }

    /// Whether `node` counts towards this leader's lease: a heartbeat of it carried back a
    /// stamp this leader issued within `lease`.
    pub fn vouches(&self, node: NodeId, lease: Duration) -> bool {
        Self::vouched_within(&self.table.lock(), node, lease)
    }

    fn vouched_within(table: &HashMap<NodeId, Seen>, node: NodeId, lease: Duration) -> bool {
        table.get(&node).and_then(|s| s.vouched).is_some_and(|at| at.elapsed() < lease)
    }

    /// Whether `action` may be taken now (its subject is not cooling down); if so, its
    /// subject cools down for `cool_down`.
    pub fn take(&self, action: Action, cool_down: Duration) -> bool {
        let mut cooling = self.cooling.lock();
        let now = Instant::now();
        cooling.retain(|_, until| *until > now);
        if cooling.contains_key(&action.subject()) {
            return false;
        }
        cooling.insert(action.subject(), now + cool_down);
        true
    }
}

/// The live replica of `group` with the highest offset (ties: the lowest node id): live
/// means heard from within `timeout`.
pub fn choose_replica(group: &Group, seen: &HashMap<NodeId, Observation>, timeout: Duration) -> Option<NodeId> {
    group
        .replicas
        .iter()
        .filter_map(|r| seen.get(r).filter(|o| o.silent_for < timeout).map(|o| (*r, o.offset)))
        .max_by_key(|&(node, offset)| (offset, std::cmp::Reverse(node)))
        .map(|(node, _)| node)
}

/// What the leader `me` should do given the heartbeat table: promote a replica where a
/// primary has been silent for `failover`, remove nodes silent for `gone` (if set). The
/// leader never acts on itself.
pub fn decide(
    map: &ClusterMap,
    me: NodeId,
    seen: &HashMap<NodeId, Observation>,
    failover: Duration,
    gone: Option<Duration>,
) -> Vec<Action> {
    let silent = |node: NodeId, limit: Duration| node != me && seen.get(&node).is_some_and(|o| o.silent_for >= limit);
    let mut actions = Vec::new();
    for group in map.groups.values() {
        if silent(group.primary, failover) {
            match choose_replica(group, seen, failover) {
                Some(node) => actions.push(Action::Promote { group: group.id, node }),
                None => actions.push(Action::Stranded(group.id)),
            }
        }
    }
    if let Some(gone) = gone {
        actions.extend(map.members.keys().filter(|&&n| silent(n, gone)).map(|&n| Action::Remove(n)));
    }
    actions
}

/// Whether the leader acknowledges a heartbeat (grants the sender its lease): it must hold
/// its own lease, and the sender must route by a map that has the latest change of roles
/// in the leader's map (its epoch is at least the map's [`ClusterMap::roles_epoch`]). A
/// node that has not applied a promotion yet may still route as the primary it was (it was
/// cut off while another was promoted): leased, it would take writes the new primary never
/// sees. Slot moves do not count: each batch of a rebalance bumps the epoch, and a busy
/// primary (the migration's target, say) applying one a little late lost its lease and
/// refused writes (CLUSTERDOWN), though no role had changed; a node behind on a slot move
/// only redirects (the source holds none of the slot's keys by then, the target serves
/// them to ASKING clients). `sender_epoch` 0: not reported (an older node), acknowledged
/// as before.
pub fn grants_lease(leader_lease: bool, sender_epoch: u64, roles_epoch: u64) -> bool {
    leader_lease && (sender_epoch == 0 || sender_epoch >= roles_epoch)
}

/// A learner to make a voter while there are fewer than `max_voters`: a member of the
/// map heard from within `timeout` (a voter that does not answer would weaken the
/// quorum instead of strengthening it); the lowest id first.
pub fn voter_to_add(
    map: &ClusterMap,
    voters: &BTreeSet<NodeId>,
    max_voters: usize,
    seen: &HashMap<NodeId, Observation>,
    timeout: Duration,
) -> Option<NodeId> {
    if voters.len() >= max_voters {
        return None;
    }
    map.members.keys().copied().find(|n| !voters.contains(n) && seen.get(n).is_some_and(|o| o.silent_for < timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(entries: &[(NodeId, u64, u64)]) -> HashMap<NodeId, Observation> {
        entries
            .iter()
            .map(|&(n, ms, offset)| (n, Observation { silent_for: Duration::from_millis(ms), offset }))
            .collect()
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn the_live_replica_with_the_highest_offset_is_chosen() {
        let group = Group { id: 0, primary: 1, replicas: vec![2, 3, 4, 5] };
        // 4 has the highest offset but is silent too; 2 and 5 tie on offset: lowest id.
        let table = seen(&[(1, 5000, 90), (2, 50, 70), (3, 100, 60), (4, 2000, 99), (5, 10, 70)]);
        assert_eq!(choose_replica(&group, &table, SECOND), Some(2));
        let table = seen(&[(1, 5000, 90), (2, 1000, 70), (3, 100, 80)]);
        assert_eq!(choose_replica(&group, &table, SECOND), Some(3));
        // Nobody live (or never heard of): nothing to promote.
        assert_eq!(choose_replica(&group, &seen(&[(2, 1500, 1)]), SECOND), None);
    }

    #[test]
    fn a_silent_primary_is_replaced_and_gone_nodes_removed() {
        let mut map = ClusterMap::default();
        let member = |id: NodeId| crate::cluster::map::Member {
            id,
            name: format!("{id:040x}"),
            host: "127.0.0.1".into(),
            resp_port: 1,
            grpc_port: 2,
            cluster_port: 3,
            group: None,
        };
        use crate::cluster::map::Change;
        map.apply(&Change::Bootstrap { member: member(1), replicas_wanted: 1 }).unwrap();
        map.apply(&Change::Join(member(2))).unwrap();
        map.apply(&Change::Join(member(3))).unwrap();
        let gone = Some(Duration::from_secs(60));
        // The leader is 2; primary 1 silent for 1.2 s: promote 3 (the higher offset).
        let table = seen(&[(1, 1200, 50), (2, 0, 40), (3, 80, 45)]);
        assert_eq!(decide(&map, 2, &table, SECOND, gone), vec![Action::Promote { group: 0, node: 3 }]);
        // A fourth node forms group 1, (4, [3]); leader 4 sees group 0's primary and its
        // only replica silent: the group is stranded.
        let mut four = map.clone();
        four.apply(&Change::Join(member(4))).unwrap();
        let table = seen(&[(1, 1200, 50), (2, 1500, 40), (3, 0, 45), (4, 0, 0)]);
        assert_eq!(decide(&four, 4, &table, SECOND, None), vec![Action::Stranded(0)]);
        // Within the timeout: nothing.
        assert!(decide(&map, 2, &seen(&[(1, 900, 50), (3, 80, 45)]), SECOND, gone).is_empty());
        // The leader never acts on itself, even if its own entry is stale.
        assert!(decide(&map, 1, &seen(&[(1, 9000, 50), (2, 0, 0), (3, 0, 0)]), SECOND, gone).is_empty());
        // A replica silent past the gone timeout is removed; with no timeout, never.
        let table = seen(&[(1, 0, 50), (2, 61_000, 40), (3, 80, 45)]);
        assert_eq!(decide(&map, 1, &table, SECOND, gone), vec![Action::Remove(2)]);
        assert!(decide(&map, 1, &table, SECOND, None).is_empty());
    }

    #[test]
    fn stamps_read_back_as_when_they_were_issued() {
        let before = Instant::now();
        let issued = stamp();
        let at = stamped_at(issued).unwrap();
        assert!(at >= before.checked_sub(Duration::from_millis(1)).unwrap() && at <= Instant::now());
        assert_eq!(stamped_at(0), None, "no stamp");
        assert_eq!(stamped_at(u64::MAX), None, "not issued yet");
    }

    #[test]
    fn only_a_node_that_applied_the_leaders_roles_gets_a_lease() {
        assert!(grants_lease(true, 7, 7));
        assert!(grants_lease(true, 8, 7), "a node may apply the map before the leader");
        assert!(!grants_lease(true, 6, 7), "behind the leader's roles: it may think it is still primary");
        assert!(!grants_lease(false, 7, 7), "a leader without its own lease grants none");
        assert!(grants_lease(true, 0, 7), "an older node that does not report its epoch");
    }

    #[test]
    fn live_learners_become_voters_up_to_the_limit() {
        let mut map = ClusterMap::default();
        for id in 1..=4 {
            map.members.insert(
                id,
                crate::cluster::map::Member {
                    id,
                    name: String::new(),
                    host: String::new(),
                    resp_port: 0,
                    grpc_port: 0,
                    cluster_port: 0,
                    group: Some(0),
                },
            );
        }
        let voters: BTreeSet<NodeId> = [1, 2].into();
        // 3 is silent: 4 is chosen.
        let table = seen(&[(1, 0, 0), (2, 0, 0), (3, 5000, 0), (4, 10, 0)]);
        assert_eq!(voter_to_add(&map, &voters, 5, &table, SECOND), Some(4));
        assert_eq!(voter_to_add(&map, &voters, 2, &table, SECOND), None, "at the limit");
        let table = seen(&[(1, 0, 0), (2, 0, 0), (3, 5000, 0)]);
        assert_eq!(voter_to_add(&map, &voters, 5, &table, SECOND), None);
    }

    #[test]
    fn actions_cool_down_and_leases_need_a_majority() {
        let health = Health::default();
        let promote = Action::Promote { group: 0, node: 2 };
        assert!(health.take(promote, SECOND));
        assert!(!health.take(Action::Promote { group: 0, node: 3 }, SECOND), "one promotion per group at a time");
        assert!(health.take(Action::Promote { group: 1, node: 3 }, SECOND));
        let quick = Action::Promote { group: 2, node: 3 };
        assert!(health.take(quick, Duration::ZERO));
        assert!(health.take(quick, Duration::ZERO), "after its cool-down");
        // Each subject keeps its own cool-down, whatever the others' are.
        assert!(health.take(Action::Remove(5), Duration::from_secs(60)));
        assert!(health.take(Action::Promote { group: 3, node: 1 }, Duration::ZERO));
        assert!(!health.take(Action::Remove(5), Duration::ZERO));
        assert!(!health.take(promote, Duration::ZERO), "group 0 cools down for a second");

        let voters: BTreeSet<NodeId> = [1, 2, 3].into();
        health.start_leading([1, 2, 3]);
        assert!(!health.lease_valid(1, true, &voters, SECOND), "grace entries are not heartbeats");
        health.record(2, 7, None);
        assert!(!health.lease_valid(1, true, &voters, SECOND), "a heartbeat without this leader's stamp");
        // A heartbeat delayed in the network carries back an old stamp: no lease from it.
        let old = Instant::now();
        std::thread::sleep(Duration::from_millis(30));
        health.record(2, 7, Some(old));
        assert!(!health.lease_valid(1, true, &voters, Duration::from_millis(20)));
        health.record(2, 7, None);
        assert!(health.lease_valid(1, true, &voters, SECOND), "a later heartbeat without a stamp keeps it");
        assert!(!health.vouches(2, Duration::from_millis(20)));
        health.record(2, 7, stamped_at(stamp()));
        assert!(health.lease_valid(1, true, &voters, Duration::from_millis(20)));
        assert!(health.vouches(2, Duration::from_millis(20)));
        assert!(!health.vouches(4, SECOND), "never heard of");
        assert_eq!(health.heard(2).map(|h| h.1), Some(7));
        assert!(!health.lease_valid(2, false, &voters, SECOND));
        health.replied(1, false, Instant::now());
        assert!(!health.lease_valid(2, false, &voters, SECOND), "a leader without its lease");
        health.replied(1, true, Instant::now());
        assert!(health.lease_valid(2, false, &voters, SECOND));
        assert!(!health.lease_valid(2, false, &voters, Duration::ZERO));

        // Node 2 becomes leader: its predecessor 1 is as silent as since its last reply.
        std::thread::sleep(Duration::from_millis(20));
        health.start_leading([1, 2, 3]);
        let seen = health.observations();
        assert!(seen[&1].silent_for >= Duration::from_millis(20));
        assert!(seen[&3].silent_for < Duration::from_millis(20));
    }
}
