//! Consumer groups: the group's pending entries list (PEL), its consumers with their own
//! pending sets, and its read position. Data only; the stream applies the rules.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::id::StreamId;

/// Redis's `SCG_INVALID_ENTRIES_READ`: the group's read counter is unknown.
pub const ENTRIES_READ_UNKNOWN: i64 = -1;

/// A delivered, not yet acknowledged entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The consumer it was last delivered to.
    pub consumer: Arc<[u8]>,
    /// When it was last delivered (Unix ms).
    pub delivery_time: i64,
    pub delivery_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Consumer {
    /// When the consumer last read or claimed (Unix ms); Redis 7.0's only consumer clock.
    pub seen_time: i64,
    /// Its pending entries (the group PEL holds the details).
    pub pending: BTreeSet<StreamId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The last ID delivered to the group.
    pub last_id: StreamId,
    /// Entries the group has read, or [`ENTRIES_READ_UNKNOWN`].
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Pending>,
    /// By name (sorted, as Redis's radix tree lists them).
    pub consumers: BTreeMap<Arc<[u8]>, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group { last_id, entries_read, pel: BTreeMap::new(), consumers: BTreeMap::new() }
    }

    /// The consumer's shared name, creating the consumer if needed, and refreshes its
    /// seen-time. Returns the name and whether it was created.
    pub fn consumer(&mut self, name: &[u8], now: i64) -> (Arc<[u8]>, bool) {
        if let Some(key) = self.consumers.get_key_value(name).map(|(k, _)| k.clone()) {
            if let Some(consumer) = self.consumers.get_mut(name) {
                consumer.seen_time = now;
            }
            return (key, false);
        }
        let key: Arc<[u8]> = Arc::from(name);
        self.consumers.insert(key.clone(), Consumer { seen_time: now, pending: BTreeSet::new() });
        (key, true)
    }

    /// Creates a consumer if absent (XGROUP CREATECONSUMER); true if created.
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(Arc::from(name), Consumer { seen_time: now, pending: BTreeSet::new() });
        true
    }

    /// Deletes a consumer and its pending entries; returns how many it had, `None` if absent.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pending {
            self.pel.remove(id);
        }
        Some(consumer.pending.len())
    }

    /// Removes `id` from the PEL and from its consumer's set; true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        self.remove_pending(id).is_some()
    }

    /// Removes `id` from the PEL and from its consumer's set; returns what it was.
    pub fn remove_pending(&mut self, id: StreamId) -> Option<Pending> {
        let pending = self.pel.remove(&id)?;
        if let Some(consumer) = self.consumers.get_mut(&pending.consumer) {
            consumer.pending.remove(&id);
        }
        Some(pending)
    }

    /// Makes `consumer` the owner of the pending `id` (creating the PEL entry with count 0
    /// when absent), moving it from its previous owner.
    pub fn assign(&mut self, id: StreamId, consumer: &Arc<[u8]>, delivery_time: i64) -> &mut Pending {
        let previous = self.pel.get(&id).map(|p| p.consumer.clone());
        if let Some(previous) = previous.filter(|p| p != consumer) {
            if let Some(old) = self.consumers.get_mut(&previous) {
                old.pending.remove(&id);
            }
        }
        if let Some(owner) = self.consumers.get_mut(consumer) {
            owner.pending.insert(id);
        }
        let pending = self.pel.entry(id).or_insert_with(|| Pending {
            consumer: consumer.clone(),
            delivery_time,
            delivery_count: 0,
        });
        pending.consumer = consumer.clone();
        pending.delivery_time = delivery_time;
        pending
    }
}
