//! The cluster map: the state the control plane replicates. Every node applies the same
//! [`Change`]s in the same order (they are Raft log entries), so every node derives the
//! same members, shard groups and slot owners. Placement rules live here, in `apply`, so
//! they are deterministic and testable without a network.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::slot::SLOT_COUNT;

/// A node's Raft identity (random at first start, kept in the data dir).
pub type NodeId = u64;
/// A shard group: one primary and its replicas, owning a set of slots.
pub type GroupId = u32;

/// One member of the cluster and how to reach it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: NodeId,
    /// The 40-hex-digit name Redis clients see (`CLUSTER MYID`, `CLUSTER NODES`).
    pub name: String,
    /// The address other nodes and clients use (an IP, as Redis Cluster announces).
    pub host: String,
    pub resp_port: u16,
    pub grpc_port: u16,
    pub cluster_port: u16,
    /// The group this node serves in; `None` only while it is being removed.
    pub group: Option<GroupId>,
}

/// A shard group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub primary: NodeId,
    pub replicas: Vec<NodeId>,
}

/// A slot being moved between groups: keys are copied while the source serves, then one
/// [`Change::FinishMigration`] flips ownership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Migration {
    pub from: GroupId,
    pub to: GroupId,
}

/// A contiguous run of slots owned by one group (the map stores runs, not 16,384 cells).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotRange {
    pub start: u16,
    /// Inclusive, as in `CLUSTER SLOTS`.
    pub end: u16,
    pub group: GroupId,
}

/// The replicated cluster configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterMap {
    /// Bumped by every change that moves a role or a slot (Redis's config epoch).
    pub epoch: u64,
    /// Replicas each group should have (`--replicas`, fixed by the first node).
    pub replicas_wanted: u32,
    pub members: BTreeMap<NodeId, Member>,
    pub groups: BTreeMap<GroupId, Group>,
    /// Slot owners as sorted, non-overlapping runs; a slot in no run is unassigned.
    pub slots: Vec<SlotRange>,
    pub migrations: BTreeMap<u16, Migration>,
    next_group: GroupId,
    /// The epoch of the last change that moved a role (a member in or out, a group's
    /// primary or replicas); slot moves bump `epoch` only. 0 in maps saved before it was
    /// kept (see [`ClusterMap::roles_epoch`]).
    #[serde(default)]
    roles_changed_at: u64,
}

/// One entry of the control plane's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// The first node of a new cluster: it becomes group 0's primary with every slot.
    Bootstrap { member: Member, replicas_wanted: u32 },
    /// A node joins; `apply` places it (see [`ClusterMap::apply`]).
    Join(Member),
    /// A node leaves for good; its group is healed from spare capacity.
    Remove(NodeId),
    /// Make `node` (a replica of `group`) the group's primary; the old primary, if still a
    /// member, becomes its replica.
    Promote { group: GroupId, node: NodeId },
    /// Start moving `slot` to group `to`.
    BeginMigration { slot: u16, to: GroupId },
    /// The keys of `slot` are all at the target: it owns the slot from now on.
    FinishMigration { slot: u16 },
    /// Give up moving `slot`; the source keeps it.
    AbortMigration { slot: u16 },
    /// [`Change::BeginMigration`] for several slots at once (all or none).
    BeginMigrations { slots: Vec<u16>, to: GroupId },
    /// [`Change::FinishMigration`] for several slots at once (all or none).
    FinishMigrations { slots: Vec<u16> },
    /// A member restarted with other addresses (host or ports): the map takes them, its
    /// place in its group is unchanged.
    UpdateMember(Member),
}

/// Why a change was refused (the log entry is kept; it simply has no effect).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ChangeError {
    #[error("the cluster is already bootstrapped")]
    AlreadyBootstrapped,
    #[error("the cluster is not bootstrapped")]
    NotBootstrapped,
    #[error("node {0} is already a member")]
    AlreadyMember(NodeId),
    #[error("unknown node {0}")]
    UnknownNode(NodeId),
    #[error("unknown shard group {0}")]
    UnknownGroup(GroupId),
    #[error("node {node} is not a replica of group {group}")]
    NotAReplica { node: NodeId, group: GroupId },
    #[error("slot {0} is out of range")]
    BadSlot(u16),
    #[error("slot {0} is already migrating")]
    AlreadyMigrating(u16),
    #[error("slot {0} is not migrating")]
    NotMigrating(u16),
    #[error("slot {slot} is already owned by group {group}")]
    AlreadyOwned { slot: u16, group: GroupId },
    #[error("slot {0} has no owner")]
    Unassigned(u16),
}

impl ClusterMap {
    /// The group owning `slot`, if any.
    pub fn owner(&self, slot: u16) -> Option<GroupId> {
        let at = self.slots.partition_point(|r| r.end < slot);
        self.slots.get(at).filter(|r| r.start <= slot).map(|r| r.group)
    }

    /// Slot runs of `group`, in slot order.
    pub fn ranges_of(&self, group: GroupId) -> impl DoubleEndedIterator<Item = &SlotRange> {
        self.slots.iter().filter(move |r| r.group == group)
    }

    /// How many slots `group` owns.
    pub fn slot_count(&self, group: GroupId) -> usize {
        self.ranges_of(group).map(|r| usize::from(r.end - r.start) + 1).sum()
    }

    /// The primary member of `group`.
    pub fn primary_of(&self, group: GroupId) -> Option<&Member> {
        self.groups.get(&group).and_then(|g| self.members.get(&g.primary))
    }

    /// The epoch of the last change that moved a role: a node routing by this epoch or a
    /// later one knows what it is (whether it is a primary, of which group), though it may
    /// not know of the latest slot moves yet.
    pub fn roles_epoch(&self) -> u64 {
        if self.roles_changed_at == 0 { self.epoch } else { self.roles_changed_at }
    }

    /// A change moved a role: a new epoch, which is also the roles' epoch.
    fn roles_changed(&mut self) {
        self.epoch += 1;
        self.roles_changed_at = self.epoch;
    }

    /// Whether `node` is its group's primary.
    pub fn is_primary(&self, node: NodeId) -> bool {
        self.groups.values().any(|g| g.primary == node)
    }

    /// Applies one log entry. Refused changes leave the map untouched.
    pub fn apply(&mut self, change: &Change) -> Result<(), ChangeError> {
        match change {
            Change::Bootstrap { member, replicas_wanted } => self.bootstrap(member, *replicas_wanted),
            Change::Join(member) => self.join(member),
            Change::Remove(node) => self.remove(*node),
            Change::Promote { group, node } => self.promote(*group, *node),
            Change::BeginMigration { slot, to } => self.begin_migration(*slot, *to),
            Change::FinishMigration { slot } => self.finish_migration(*slot),
            Change::AbortMigration { slot } => {
                self.migrations.remove(slot).map(|_| ()).ok_or(ChangeError::NotMigrating(*slot))
            }
            Change::BeginMigrations { slots, to } => {
                self.all_or_none(|map| slots.iter().try_for_each(|&slot| map.begin_migration(slot, *to)))
            }
            Change::FinishMigrations { slots } => {
                self.all_or_none(|map| slots.iter().try_for_each(|&slot| map.finish_migration(slot)))
            }
            Change::UpdateMember(member) => self.update_member(member),
        }
    }

    /// Runs `change` on a copy and keeps the result only if all of it succeeded.
    fn all_or_none(
        &mut self,
        change: impl FnOnce(&mut ClusterMap) -> Result<(), ChangeError>,
    ) -> Result<(), ChangeError> {
        let mut copy = self.clone();
        change(&mut copy)?;
        *self = copy;
        Ok(())
    }

    fn bootstrap(&mut self, member: &Member, replicas_wanted: u32) -> Result<(), ChangeError> {
        if !self.members.is_empty() {
            return Err(ChangeError::AlreadyBootstrapped);
        }
        let group = self.new_group(member.id, Vec::new());
        self.members.insert(member.id, Member { group: Some(group), ..member.clone() });
        self.replicas_wanted = replicas_wanted;
        self.slots = vec![SlotRange { start: 0, end: (SLOT_COUNT - 1) as u16, group }];
        self.roles_changed();
        Ok(())
    }

    /// Places a joining node. A new group is formed only when the newcomer plus the
    /// replicas that groups have beyond `replicas_wanted` can give it a primary and its
    /// replicas; the newcomer is the new group's primary (it starts with no slots, which
    /// the rebalancer then migrates to it). Otherwise the newcomer becomes a replica of the
    /// group with the fewest replicas (ties: lowest group id).
    fn join(&mut self, member: &Member) -> Result<(), ChangeError> {
        if self.members.is_empty() {
            return Err(ChangeError::NotBootstrapped);
        }
        if self.members.contains_key(&member.id) {
            return Err(ChangeError::AlreadyMember(member.id));
        }
        let wanted = self.replicas_wanted as usize;
        let spares = self.spare_replicas();
        if spares.len() >= wanted {
            let taken: Vec<NodeId> = spares.into_iter().take(wanted).collect();
            for node in &taken {
                self.detach(*node);
            }
            let group = self.new_group(member.id, taken.clone());
            for node in taken {
                if let Some(m) = self.members.get_mut(&node) {
                    m.group = Some(group);
                }
            }
            self.members.insert(member.id, Member { group: Some(group), ..member.clone() });
        } else {
            let group = self.neediest_group().ok_or(ChangeError::NotBootstrapped)?;
            if let Some(g) = self.groups.get_mut(&group) {
                g.replicas.push(member.id);
            }
            self.members.insert(member.id, Member { group: Some(group), ..member.clone() });
        }
        self.roles_changed();
        Ok(())
    }

    /// Removes a node for good. A primary is replaced by its first replica; a group left
    /// short of replicas takes a spare from a group that has more than it needs; a group
    /// left with no node at all is dissolved and its slots become unassigned.
    fn remove(&mut self, node: NodeId) -> Result<(), ChangeError> {
        if self.members.remove(&node).is_none() {
            return Err(ChangeError::UnknownNode(node));
        }
        let Some(group) = self.detach(node) else {
            self.roles_changed();
            return Ok(());
        };
        if self.groups.get(&group).is_some_and(|g| g.primary == node) {
            match self.groups.get_mut(&group).filter(|g| !g.replicas.is_empty()) {
                Some(g) => g.primary = g.replicas.remove(0),
                None => {
                    self.groups.remove(&group);
                    self.slots.retain(|r| r.group != group);
                    self.migrations.retain(|_, m| m.from != group && m.to != group);
                    self.roles_changed();
                    return Ok(());
                }
            }
        }
        self.heal(group);
        self.roles_changed();
        Ok(())
    }

    fn update_member(&mut self, member: &Member) -> Result<(), ChangeError> {
        let known = self.members.get_mut(&member.id).ok_or(ChangeError::UnknownNode(member.id))?;
        *known = Member { group: known.group, ..member.clone() };
        // Clients learn addresses from the map: a new epoch tells them to refresh it.
        self.roles_changed();
        Ok(())
    }

    fn promote(&mut self, group: GroupId, node: NodeId) -> Result<(), ChangeError> {
        let g = self.groups.get_mut(&group).ok_or(ChangeError::UnknownGroup(group))?;
        let at = g.replicas.iter().position(|&r| r == node).ok_or(ChangeError::NotAReplica { node, group })?;
        g.replicas[at] = g.primary;
        g.primary = node;
        self.roles_changed();
        Ok(())
    }

    fn begin_migration(&mut self, slot: u16, to: GroupId) -> Result<(), ChangeError> {
        if usize::from(slot) >= SLOT_COUNT {
            return Err(ChangeError::BadSlot(slot));
        }
        if !self.groups.contains_key(&to) {
            return Err(ChangeError::UnknownGroup(to));
        }
        if self.migrations.contains_key(&slot) {
            return Err(ChangeError::AlreadyMigrating(slot));
        }
        let from = self.owner(slot).ok_or(ChangeError::Unassigned(slot))?;
        if from == to {
            return Err(ChangeError::AlreadyOwned { slot, group: to });
        }
        self.migrations.insert(slot, Migration { from, to });
        Ok(())
    }

    fn finish_migration(&mut self, slot: u16) -> Result<(), ChangeError> {
        let migration = self.migrations.remove(&slot).ok_or(ChangeError::NotMigrating(slot))?;
        self.assign(slot, slot, migration.to);
        self.epoch += 1;
        Ok(())
    }

    /// Sets the owner of `start..=end`, keeping the runs sorted and merged.
    fn assign(&mut self, start: u16, end: u16, group: GroupId) {
        let mut runs = Vec::with_capacity(self.slots.len() + 2);
        for r in &self.slots {
            if r.end < start || r.start > end {
                runs.push(*r);
                continue;
            }
            if r.start < start {
                runs.push(SlotRange { start: r.start, end: start - 1, group: r.group });
            }
            if r.end > end {
                runs.push(SlotRange { start: end + 1, end: r.end, group: r.group });
            }
        }
        runs.push(SlotRange { start, end, group });
        runs.sort_by_key(|r| r.start);
        let mut merged: Vec<SlotRange> = Vec::with_capacity(runs.len());
        for r in runs {
            match merged.last_mut() {
                Some(last) if last.group == r.group && last.end + 1 == r.start => last.end = r.end,
                _ => merged.push(r),
            }
        }
        self.slots = merged;
    }

    fn new_group(&mut self, primary: NodeId, replicas: Vec<NodeId>) -> GroupId {
        let id = self.next_group;
        self.next_group += 1;
        self.groups.insert(id, Group { id, primary, replicas });
        id
    }

    /// Takes `node` out of its group's replica list; returns the group it was in.
    fn detach(&mut self, node: NodeId) -> Option<GroupId> {
        let group = self.groups.values().find(|g| g.primary == node || g.replicas.contains(&node))?.id;
        if let Some(g) = self.groups.get_mut(&group) {
            g.replicas.retain(|&r| r != node);
        }
        Some(group)
    }

    /// Replicas beyond what their groups need, most crowded group first, newest last.
    fn spare_replicas(&self) -> Vec<NodeId> {
        let wanted = self.replicas_wanted as usize;
        let mut groups: Vec<&Group> = self.groups.values().filter(|g| g.replicas.len() > wanted).collect();
        groups.sort_by_key(|g| std::cmp::Reverse(g.replicas.len()));
        groups.iter().flat_map(|g| g.replicas[wanted..].iter().rev().copied()).collect()
    }

    fn neediest_group(&self) -> Option<GroupId> {
        self.groups.values().min_by_key(|g| (g.replicas.len(), g.id)).map(|g| g.id)
    }

    /// Gives `group` spare replicas from other groups until it has what it needs.
    fn heal(&mut self, group: GroupId) {
        let wanted = self.replicas_wanted as usize;
        loop {
            let short = self.groups.get(&group).is_some_and(|g| g.replicas.len() < wanted);
            if !short {
                return;
            }
            let Some(spare) = self.spare_replicas().into_iter().next() else { return };
            self.detach(spare);
            if let Some(g) = self.groups.get_mut(&group) {
                g.replicas.push(spare);
            }
            if let Some(m) = self.members.get_mut(&spare) {
                m.group = Some(group);
            }
        }
    }

    /// A plan that evens out slot counts: `(slot, to)` moves from the most loaded groups to
    /// the least loaded, as few as possible. Slots are taken from the top of each donor's
    /// runs so moved slots stay contiguous.
    pub fn rebalance_plan(&self) -> Vec<(u16, GroupId)> {
        let groups: Vec<GroupId> = self.groups.keys().copied().collect();
        if groups.is_empty() {
            return Vec::new();
        }
        let per_group = SLOT_COUNT / groups.len();
        let extra = SLOT_COUNT % groups.len();
        // The first `extra` groups (by id) get one slot more.
        let target =
            |g: GroupId| per_group + usize::from(groups.iter().position(|&x| x == g).is_some_and(|i| i < extra));
        let mut need: Vec<(GroupId, usize)> = groups
            .iter()
            .filter_map(|&g| {
                let have = self.slot_count(g);
                (have < target(g)).then(|| (g, target(g) - have))
            })
            .collect();
        let mut plan = Vec::new();
        for &donor in &groups {
            let surplus = self.slot_count(donor).saturating_sub(target(donor));
            let slots = self.ranges_of(donor).rev().flat_map(|r| (r.start..=r.end).rev());
            for slot in slots.filter(|s| !self.migrations.contains_key(s)).take(surplus) {
                let Some((to, left)) = need.iter_mut().find(|(_, left)| *left > 0) else { break };
                plan.push((slot, *to));
                *left -= 1;
            }
            need.retain(|(_, left)| *left > 0);
        }
        plan
    }
}

/// A member for unit tests: node `id` on loopback, RESP port 7000 + id.
#[cfg(test)]
pub(crate) fn test_member(id: NodeId) -> Member {
    Member {
        id,
        name: format!("{id:040x}"),
        host: "127.0.0.1".into(),
        resp_port: 7000 + id as u16,
        grpc_port: 8000 + id as u16,
        cluster_port: 9000 + id as u16,
        group: None,
    }
}

#[cfg(test)]
mod tests {
    use super::test_member as member;
    use super::*;

    fn cluster(nodes: u64, replicas: u32) -> ClusterMap {
        let mut map = ClusterMap::default();
        map.apply(&Change::Bootstrap { member: member(1), replicas_wanted: replicas }).unwrap();
        for id in 2..=nodes {
            map.apply(&Change::Join(member(id))).unwrap();
        }
        map
    }

    fn shape(map: &ClusterMap) -> Vec<(NodeId, Vec<NodeId>)> {
        map.groups.values().map(|g| (g.primary, g.replicas.clone())).collect()
    }

    #[test]
    fn the_first_node_owns_every_slot() {
        let map = cluster(1, 1);
        assert_eq!(map.slots, vec![SlotRange { start: 0, end: 16383, group: 0 }]);
        assert_eq!(map.owner(0), Some(0));
        assert_eq!(map.owner(16383), Some(0));
        assert_eq!(map.members[&1].group, Some(0));
    }

    #[test]
    fn nodes_join_as_replicas_until_a_whole_group_can_be_formed() {
        // 3 nodes, 1 replica wanted: one group of a primary and two replicas.
        assert_eq!(shape(&cluster(3, 1)), vec![(1, vec![2, 3])]);
        // The 4th node forms a second group, taking the spare replica.
        let four = cluster(4, 1);
        assert_eq!(shape(&four), vec![(1, vec![2]), (4, vec![3])]);
        assert_eq!(four.members[&3].group, Some(1));
        // The new group has no slots until the rebalancer moves them.
        assert_eq!(four.slot_count(1), 0);
        // 6 nodes: three groups of two.
        assert_eq!(shape(&cluster(6, 1)), vec![(1, vec![2]), (4, vec![3]), (6, vec![5])]);
        // No replicas wanted: every node is a primary.
        assert_eq!(shape(&cluster(3, 0)), vec![(1, vec![]), (2, vec![]), (3, vec![])]);
    }

    #[test]
    fn removing_a_primary_promotes_its_replica_and_heals_from_spares() {
        let mut map = cluster(3, 1);
        map.apply(&Change::Remove(1)).unwrap();
        assert_eq!(shape(&map), vec![(2, vec![3])]);
        let mut map = cluster(5, 1);
        // groups: (1,[2,5]) (4,[3])
        assert_eq!(shape(&map), vec![(1, vec![2, 5]), (4, vec![3])]);
        map.apply(&Change::Remove(3)).unwrap();
        assert_eq!(shape(&map), vec![(1, vec![2]), (4, vec![5])]);
        assert_eq!(map.members[&5].group, Some(1));
    }

    #[test]
    fn a_group_left_empty_dissolves_and_its_slots_are_unassigned() {
        let mut map = cluster(2, 0);
        map.apply(&Change::BeginMigration { slot: 100, to: 1 }).unwrap();
        map.apply(&Change::FinishMigration { slot: 100 }).unwrap();
        map.apply(&Change::Remove(2)).unwrap();
        assert_eq!(map.owner(100), None);
        assert_eq!(map.owner(101), Some(0));
    }

    #[test]
    fn promote_swaps_roles_and_bumps_the_epoch() {
        let mut map = cluster(2, 1);
        let epoch = map.epoch;
        map.apply(&Change::Promote { group: 0, node: 2 }).unwrap();
        assert_eq!(shape(&map), vec![(2, vec![1])]);
        assert!(map.epoch > epoch);
        assert_eq!(
            map.apply(&Change::Promote { group: 0, node: 9 }),
            Err(ChangeError::NotAReplica { node: 9, group: 0 })
        );
    }

    #[test]
    fn update_member_changes_addresses_not_roles() {
        let mut map = cluster(2, 1);
        let epoch = map.epoch;
        let moved = Member { resp_port: 1, cluster_port: 2, group: None, ..member(2) };
        map.apply(&Change::UpdateMember(moved)).unwrap();
        assert_eq!((map.members[&2].resp_port, map.members[&2].cluster_port), (1, 2));
        assert_eq!(map.members[&2].group, Some(0));
        assert_eq!(shape(&map), vec![(1, vec![2])]);
        assert!(map.epoch > epoch);
        assert_eq!(map.apply(&Change::UpdateMember(member(9))), Err(ChangeError::UnknownNode(9)));
    }

    #[test]
    fn migrations_flip_one_slot_and_keep_runs_merged() {
        let mut map = cluster(2, 0);
        for slot in [16383, 16382, 16381] {
            map.apply(&Change::BeginMigration { slot, to: 1 }).unwrap();
            assert_eq!(map.owner(slot), Some(0), "the source owns it until the flip");
            map.apply(&Change::FinishMigration { slot }).unwrap();
        }
        assert_eq!(
            map.slots,
            vec![SlotRange { start: 0, end: 16380, group: 0 }, SlotRange { start: 16381, end: 16383, group: 1 }]
        );
        assert_eq!(map.apply(&Change::FinishMigration { slot: 5 }), Err(ChangeError::NotMigrating(5)));
        assert_eq!(
            map.apply(&Change::BeginMigration { slot: 5, to: 0 }),
            Err(ChangeError::AlreadyOwned { slot: 5, group: 0 })
        );
        assert_eq!(map.apply(&Change::BeginMigration { slot: 16384, to: 1 }), Err(ChangeError::BadSlot(16384)));
    }

    #[test]
    fn slot_moves_bump_the_epoch_but_not_the_roles_epoch() {
        let mut map = cluster(3, 1);
        assert_eq!(map.roles_epoch(), map.epoch);
        map.apply(&Change::Join(member(4))).unwrap();
        let roles = map.roles_epoch();
        assert_eq!(roles, map.epoch, "a join places the newcomer and moves a replica");
        map.apply(&Change::BeginMigrations { slots: vec![1, 2], to: 1 }).unwrap();
        map.apply(&Change::FinishMigrations { slots: vec![1, 2] }).unwrap();
        assert_eq!(map.epoch, roles + 2);
        assert_eq!(map.roles_epoch(), roles);
        map.apply(&Change::Promote { group: 1, node: 3 }).unwrap();
        assert_eq!(map.roles_epoch(), map.epoch);
        // A map saved before the roles' epoch was kept: every epoch counts as one.
        let mut old = map.clone();
        old.roles_changed_at = 0;
        assert_eq!(old.roles_epoch(), old.epoch);
    }

    #[test]
    fn batched_migrations_are_all_or_nothing() {
        let mut map = cluster(2, 0);
        map.apply(&Change::BeginMigration { slot: 7, to: 1 }).unwrap();
        let before = map.clone();
        assert_eq!(
            map.apply(&Change::BeginMigrations { slots: vec![5, 6, 7], to: 1 }),
            Err(ChangeError::AlreadyMigrating(7))
        );
        assert_eq!(map, before);
        map.apply(&Change::BeginMigrations { slots: vec![5, 6], to: 1 }).unwrap();
        map.apply(&Change::FinishMigrations { slots: vec![5, 6, 7] }).unwrap();
        assert_eq!(map.slot_count(1), 3);
        assert!(map.migrations.is_empty());
    }

    #[test]
    fn rebalance_evens_out_slots() {
        let mut map = cluster(3, 0);
        let plan = map.rebalance_plan();
        assert_eq!(plan.len(), 16384 - 5462);
        for (slot, to) in plan {
            map.apply(&Change::BeginMigration { slot, to }).unwrap();
            map.apply(&Change::FinishMigration { slot }).unwrap();
        }
        assert_eq!([map.slot_count(0), map.slot_count(1), map.slot_count(2)], [5462, 5461, 5461]);
        assert!(map.rebalance_plan().is_empty());
        assert!(map.slots.len() <= 3, "moved slots stay contiguous: {:?}", map.slots);
    }
}
