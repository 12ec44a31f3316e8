//! Streams: an append-only log of entries keyed by [`StreamId`], with consumer groups.
//!
//! Entries live in [`Block`]s of up to `stream-node-max-entries` entries (and
//! `stream-node-max-bytes` bytes), kept in an ordered map by each block's first ID, the
//! way Redis keeps listpacks in a radix tree: a range query finds its first block in
//! O(log n) and then reads entries in order. The bookkeeping Redis 7 keeps is kept here
//! too (entries added, first and last IDs, largest deleted ID), so that consumer group
//! lag is computed the same way.

pub mod block;
pub mod group;
pub mod id;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use block::{Block, EntryRef};
pub use group::{Consumer, ENTRIES_READ_UNKNOWN, Group, Pending};
pub use id::StreamId;

/// How big a block may grow before a new one starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// Entries per block, deleted ones included; 0: no limit.
    pub node_max_entries: usize,
    /// Bytes per block; 0: no limit (Redis caps a listpack at 1 GB).
    pub node_max_bytes: usize,
}

impl Default for StreamLimits {
    fn default() -> StreamLimits {
        StreamLimits { node_max_entries: 100, node_max_bytes: 4096 }
    }
}

/// The ID XADD was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewId {
    /// `*`: the time now, or the next sequence.
    Auto,
    /// `<ms>-*`: that millisecond, next free sequence.
    AutoSeq(u64),
    Explicit(StreamId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddError {
    /// The ID is not above the stream's last ID.
    NotGreater,
    /// The last ID is the largest there is.
    Exhausted,
}

/// What XTRIM and XADD's trimming options ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

/// Why XSETID refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetIdError {
    BelowMaxDeleted,
    BelowTop,
    EntriesAddedBelowLength,
}

/// XCLAIM's options, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimOptions {
    pub min_idle: i64,
    /// The delivery time to record.
    pub delivery_time: i64,
    pub retry_count: Option<u64>,
    pub force: bool,
    pub justid: bool,
}

/// What XAUTOCLAIM asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoClaim {
    pub min_idle: i64,
    /// The first PEL ID to look at.
    pub start: StreamId,
    /// Most results (claimed or deleted); the PEL is scanned at most ten times as far.
    pub count: usize,
    pub justid: bool,
}

/// XAUTOCLAIM's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoClaimed {
    /// Where the next call should start (0-0: the PEL was scanned to its end).
    pub next: StreamId,
    pub claimed: Vec<StreamId>,
    /// Pending IDs whose entries no longer exist; removed from the PEL.
    pub deleted: Vec<StreamId>,
    /// Whether claiming created the consumer (Redis publishes `xgroup-createconsumer`).
    pub consumer_created: bool,
    /// See [`Claimed::changes`].
    pub changes: Vec<(StreamId, Pending)>,
}

/// XCLAIM's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Claimed {
    pub claimed: Vec<StreamId>,
    /// Whether claiming created the consumer (Redis publishes `xgroup-createconsumer`).
    pub consumer_created: bool,
    /// The PEL entries changed, in the order they were: each one claimed as it was left,
    /// and each one dropped (its stream entry gone) as it was before. Redis propagates
    /// every one of them as an XCLAIM that sets it so.
    pub changes: Vec<(StreamId, Pending)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stream {
    blocks: BTreeMap<StreamId, Block>,
    len: u64,
    last_id: StreamId,
    /// The first live entry's ID (0-0 when empty), as Redis 7 records it.
    first_id: StreamId,
    max_deleted: StreamId,
    entries_added: u64,
    groups: BTreeMap<Box<[u8]>, Group>,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn last_id(&self) -> StreamId {
        self.last_id
    }

    pub fn first_id(&self) -> StreamId {
        self.first_id
    }

    pub fn max_deleted_id(&self) -> StreamId {
        self.max_deleted
    }

    pub fn entries_added(&self) -> u64 {
        self.entries_added
    }

    /// Number of blocks (XINFO's radix-tree-keys).
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// Appends an entry (`pairs` is field, value, field, value...); returns its ID.
    pub fn add<B: AsRef<[u8]>>(
        &mut self,
        new_id: NewId,
        pairs: &[B],
        now_ms: u64,
        limits: StreamLimits,
    ) -> Result<StreamId, AddError> {
        if self.last_id == StreamId::MAX {
            return Err(AddError::Exhausted);
        }
        let last = self.last_id;
        let id = match new_id {
            NewId::Auto if now_ms > last.ms => StreamId::new(now_ms, 0),
            NewId::Auto => last.next().ok_or(AddError::Exhausted)?,
            NewId::AutoSeq(ms) if ms == last.ms => {
                StreamId::new(ms, last.seq.checked_add(1).ok_or(AddError::NotGreater)?)
            }
            NewId::AutoSeq(ms) => StreamId::new(ms, 0),
            NewId::Explicit(id) => id,
        };
        if id <= last {
            return Err(AddError::NotGreater);
        }
        let max_bytes = if limits.node_max_bytes == 0 { 1 << 30 } else { limits.node_max_bytes };
        match self.blocks.values_mut().next_back() {
            Some(tail)
                if tail.bytes() + Block::encoded_len(pairs) < max_bytes
                    && (limits.node_max_entries == 0 || tail.stored() < limits.node_max_entries) =>
            {
                tail.push(id, pairs);
            }
            tail => {
                if let Some(tail) = tail {
                    tail.seal();
                }
                self.blocks.insert(id, Block::new(id, pairs));
            }
        }
        self.len += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.len == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Live entries with `start <= id <= end`, ascending (or descending when `rev`); at most
    /// `count` of them unless `count` is 0.
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool, count: usize) -> Vec<EntryRef<'_>> {
        let mut out = Vec::new();
        if start > end {
            return out;
        }
        let full = |out: &Vec<EntryRef<'_>>| count != 0 && out.len() >= count;
        if rev {
            for block in self.blocks.range(..=end).rev().map(|(_, b)| b) {
                if block.last() < start {
                    break;
                }
                for entry in block.live_entries_rev() {
                    if entry.id > end {
                        continue;
                    }
                    if entry.id < start || full(&out) {
                        return out;
                    }
                    out.push(entry);
                }
            }
        } else {
            let from = self.blocks.range(..=start).next_back().map_or(start, |(k, _)| *k);
            for block in self.blocks.range(from..).map(|(_, b)| b) {
                if block.master() > end {
                    break;
                }
                if block.last() < start {
                    continue;
                }
                for entry in block.entries() {
                    if entry.id > end || full(&out) {
                        return out;
                    }
                    if entry.id >= start && !entry.is_deleted() {
                        out.push(entry);
                    }
                }
            }
        }
        out
    }

    /// The live entry `id`.
    pub fn get(&self, id: StreamId) -> Option<EntryRef<'_>> {
        self.blocks.range(..=id).next_back()?.1.find(id)
    }

    pub fn contains(&self, id: StreamId) -> bool {
        self.get(id).is_some()
    }

    /// The last live entry's ID (0-0 when empty).
    pub fn last_live_id(&self) -> StreamId {
        self.blocks.values().rev().find_map(|b| b.last_live().map(|e| e.id)).unwrap_or_default()
    }

    fn refresh_first_id(&mut self) {
        self.first_id = self.blocks.values().find_map(|b| b.first_live().map(|e| e.id)).unwrap_or_default();
    }

    /// Deletes entry `id` (XDEL); true if it was there.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&key, block)) = self.blocks.range_mut(..=id).next_back() else {
            return false;
        };
        if !block.delete(id) {
            return false;
        }
        if block.live() == 0 {
            self.blocks.remove(&key);
        }
        self.len -= 1;
        self.max_deleted = self.max_deleted.max(id);
        if self.len == 0 {
            self.first_id = StreamId::MIN;
        } else if id == self.first_id {
            self.refresh_first_id();
        }
        true
    }

    /// Trims from the oldest entries as Redis does: whole blocks while the target allows,
    /// then (unless `approx`) single entries of the next block. `limit` (0: none) caps the
    /// entries removed, counting whole blocks. Returns how many entries went.
    pub fn trim(&mut self, trim: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0;
        while let Some(mut first) = self.blocks.first_entry() {
            if let Trim::MaxLen(max) = trim {
                if self.len <= max {
                    break;
                }
            }
            let block = first.get_mut();
            let entries = block.live() as u64;
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let whole = match trim {
                Trim::MaxLen(max) => self.len - entries >= max,
                Trim::MinId(min) => block.last() < min,
            };
            if whole {
                first.remove();
                self.len -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let removed = match trim {
                Trim::MaxLen(max) => block.delete_front(usize::try_from(self.len - max).unwrap_or(usize::MAX), None),
                Trim::MinId(min) => block.delete_front(usize::MAX, Some(min)),
            } as u64;
            if block.live() == 0 {
                first.remove();
            }
            self.len -= removed;
            deleted += removed;
            break;
        }
        self.refresh_first_id();
        deleted
    }

    /// XSETID: moves the last ID (and optionally the counters) forward.
    pub fn set_id(
        &mut self,
        id: StreamId,
        entries_added: Option<u64>,
        max_deleted: Option<StreamId>,
    ) -> Result<(), SetIdError> {
        if self.len > 0 {
            if id < self.last_live_id() {
                return Err(SetIdError::BelowTop);
            }
            if entries_added.is_some_and(|n| n < self.len) {
                return Err(SetIdError::EntriesAddedBelowLength);
            }
        }
        if id < self.max_deleted {
            return Err(SetIdError::BelowMaxDeleted);
        }
        self.last_id = id;
        if let Some(n) = entries_added {
            self.entries_added = n;
        }
        if let Some(max) = max_deleted.filter(|m| !m.is_zero()) {
            self.max_deleted = max;
        }
        Ok(())
    }

    /// Sets the bookkeeping a stream had when it was serialized (RESTORE, snapshots), after
    /// its entries were added again. Refused (false, nothing changed) when it contradicts
    /// the entries: a last ID below the last entry's, or fewer entries added than present,
    /// or a largest deleted ID above the last ID.
    pub fn restore_counters(&mut self, last_id: StreamId, max_deleted: StreamId, entries_added: u64) -> bool {
        if last_id < self.last_id || entries_added < self.len || max_deleted > last_id {
            return false;
        }
        self.last_id = last_id;
        self.max_deleted = max_deleted;
        self.entries_added = entries_added;
        true
    }

    // -----------------------------------------------------------------------------------
    // Consumer groups
    // -----------------------------------------------------------------------------------

    pub fn groups(&self) -> impl ExactSizeIterator<Item = (&[u8], &Group)> {
        self.groups.iter().map(|(name, group)| (&name[..], group))
    }

    pub fn group(&self, name: &[u8]) -> Option<&Group> {
        self.groups.get(name)
    }

    pub fn group_mut(&mut self, name: &[u8]) -> Option<&mut Group> {
        self.groups.get_mut(name)
    }

    /// Creates a group; false if one of that name exists.
    pub fn create_group(&mut self, name: &[u8], last_id: StreamId, entries_read: i64) -> bool {
        if self.groups.contains_key(name) {
            return false;
        }
        self.groups.insert(name.into(), Group::new(last_id, entries_read));
        true
    }

    pub fn destroy_group(&mut self, name: &[u8]) -> bool {
        self.groups.remove(name).is_some()
    }

    /// Whether a tombstone may lie at or after `start` (Redis's `streamRangeHasTombstones`
    /// with an open end).
    fn has_tombstones_from(&self, start: StreamId) -> bool {
        if self.len == 0 || self.max_deleted.is_zero() || self.first_id > self.max_deleted {
            return false;
        }
        start <= self.max_deleted
    }

    /// How many entries were added up to and including `id`, when that can be known
    /// (Redis's `streamEstimateDistanceFromFirstEverEntry`); [`ENTRIES_READ_UNKNOWN`] if not.
    pub fn entries_before(&self, id: StreamId) -> i64 {
        let added = i64::try_from(self.entries_added).unwrap_or(i64::MAX);
        if self.entries_added == 0 {
            return 0;
        }
        if self.len == 0 && id <= self.last_id {
            return added;
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return added,
            std::cmp::Ordering::Greater => return ENTRIES_READ_UNKNOWN,
            std::cmp::Ordering::Less => {}
        }
        let len = i64::try_from(self.len).unwrap_or(i64::MAX);
        if self.max_deleted.is_zero() || self.max_deleted < self.first_id {
            match id.cmp(&self.first_id) {
                std::cmp::Ordering::Less => return added - len,
                std::cmp::Ordering::Equal => return added - len + 1,
                std::cmp::Ordering::Greater => {}
            }
        }
        ENTRIES_READ_UNKNOWN
    }

    /// The group's lag (entries not yet delivered to it), `None` when it cannot be known.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        let added = i64::try_from(self.entries_added).unwrap_or(i64::MAX);
        if self.entries_added == 0 {
            return Some(0);
        }
        if group.entries_read != ENTRIES_READ_UNKNOWN && !self.has_tombstones_from(group.last_id) {
            return Some(added - group.entries_read);
        }
        let read = self.entries_before(group.last_id);
        (read != ENTRIES_READ_UNKNOWN).then(|| added - read)
    }

    /// XREADGROUP `>`: delivers up to `count` (0: all) entries after the group's last ID to
    /// `consumer`, moving the group forward and (unless `noack`) recording them as pending.
    /// `None` if the group does not exist.
    pub fn read_new(
        &mut self,
        group: &[u8],
        consumer: &Arc<[u8]>,
        count: usize,
        noack: bool,
        now: i64,
    ) -> Option<Vec<StreamId>> {
        let last = self.groups.get(group)?.last_id;
        let ids: Vec<StreamId> = match last.next() {
            Some(start) => self.range(start, StreamId::MAX, false, count).iter().map(|e| e.id).collect(),
            None => Vec::new(),
        };
        // The counters Redis consults per delivered entry depend only on the stream.
        let steps: Vec<(bool, i64)> =
            ids.iter().map(|&id| (self.has_tombstones_from(id), self.entries_before(id))).collect();
        let any_added = self.entries_added != 0;
        let g = self.groups.get_mut(group)?;
        for (&id, &(tombstones, estimate)) in ids.iter().zip(&steps) {
            if id > g.last_id {
                if g.entries_read != ENTRIES_READ_UNKNOWN && !tombstones {
                    g.entries_read = g.entries_read.saturating_add(1);
                } else if any_added {
                    g.entries_read = estimate;
                }
                g.last_id = id;
            }
            if !noack {
                g.assign(id, consumer, now).delivery_count = 1;
            }
        }
        Some(ids)
    }

    /// XREADGROUP with an ID: the consumer's own pending entries from `start`, at most
    /// `count` (0: all). Each comes with whether its entry still exists; those that do
    /// count as delivered again.
    pub fn read_history(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        start: StreamId,
        count: usize,
        now: i64,
    ) -> Option<Vec<(StreamId, bool)>> {
        let g = self.groups.get(group)?;
        let limit = if count == 0 { usize::MAX } else { count };
        let ids: Vec<StreamId> = g
            .consumers
            .get(consumer)
            .map(|c| c.pending.range(start..).take(limit).copied().collect())
            .unwrap_or_default();
        let found: Vec<(StreamId, bool)> = ids.iter().map(|&id| (id, self.contains(id))).collect();
        let g = self.groups.get_mut(group)?;
        for &(id, exists) in &found {
            if let Some(pending) = g.pel.get_mut(&id).filter(|_| exists) {
                pending.delivery_time = now;
                pending.delivery_count += 1;
            }
        }
        Some(found)
    }

    /// XCLAIM: gives the pending `ids` to `consumer`; returns those claimed. Pending IDs
    /// whose entries are gone are dropped from the PEL. The consumer is created (as in Redis
    /// 7.0) only once an entry is actually claimed. `None` if the group does not exist.
    pub fn claim(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
        options: ClaimOptions,
        now: i64,
    ) -> Option<Claimed> {
        let exists: Vec<bool> = ids.iter().map(|&id| self.contains(id)).collect();
        let g = self.groups.get_mut(group)?;
        let mut owner: Option<Arc<[u8]>> = None;
        let mut out = Claimed::default();
        for (&id, exists) in ids.iter().zip(exists) {
            if !exists {
                if let Some(dropped) = g.remove_pending(id) {
                    out.changes.push((id, dropped));
                }
                continue;
            }
            let forced = options.force && !g.pel.contains_key(&id);
            if !forced {
                let Some(pending) = g.pel.get(&id) else {
                    continue;
                };
                if options.min_idle > 0 && now - pending.delivery_time < options.min_idle {
                    continue;
                }
            }
            let name = owner
                .get_or_insert_with(|| {
                    let (name, created) = g.consumer(consumer, now);
                    out.consumer_created = created;
                    name
                })
                .clone();
            let pending = g.assign(id, &name, options.delivery_time);
            if forced {
                pending.delivery_count = 1;
            }
            match options.retry_count {
                Some(n) => pending.delivery_count = n,
                None if !options.justid => pending.delivery_count += 1,
                None => {}
            }
            out.changes.push((id, pending.clone()));
            out.claimed.push(id);
        }
        Some(out)
    }

    /// XAUTOCLAIM: scans the PEL from `start`, claiming for `consumer` entries idle for at
    /// least `min_idle` ms, up to `count` results in at most `count * 10` PEL steps.
    pub fn auto_claim(&mut self, group: &[u8], consumer: &[u8], request: AutoClaim, now: i64) -> Option<AutoClaimed> {
        let AutoClaim { min_idle, start, count, justid } = request;
        self.groups.get(group)?;
        let mut out = AutoClaimed {
            next: StreamId::MIN,
            claimed: Vec::new(),
            deleted: Vec::new(),
            consumer_created: false,
            changes: Vec::new(),
        };
        let mut attempts = count.saturating_mul(10);
        let mut left = count;
        let mut cursor = Some(start);
        let mut owner: Option<Arc<[u8]>> = None;
        while attempts > 0 && left > 0 {
            attempts -= 1;
            let Some(from) = cursor else {
                break;
            };
            let Some(id) = self.groups.get(group)?.pel.range(from..).next().map(|(id, _)| *id) else {
                cursor = None;
                break;
            };
            cursor = id.next();
            let exists = self.contains(id);
            let g = self.groups.get_mut(group)?;
            if !exists {
                if let Some(dropped) = g.remove_pending(id) {
                    out.changes.push((id, dropped));
                }
                out.deleted.push(id);
                left -= 1;
                continue;
            }
            let idle_enough = g.pel.get(&id).is_some_and(|p| min_idle == 0 || now - p.delivery_time >= min_idle);
            if !idle_enough {
                continue;
            }
            let name = owner
                .get_or_insert_with(|| {
                    let (name, created) = g.consumer(consumer, now);
                    out.consumer_created = created;
                    name
                })
                .clone();
            let pending = g.assign(id, &name, now);
            if !justid {
                pending.delivery_count += 1;
            }
            out.changes.push((id, pending.clone()));
            out.claimed.push(id);
            left -= 1;
        }
        out.next = cursor
            .and_then(|from| self.groups.get(group)?.pel.range(from..).next().map(|(id, _)| *id))
            .unwrap_or_default();
        Some(out)
    }
}

#[cfg(test)]
mod tests;
