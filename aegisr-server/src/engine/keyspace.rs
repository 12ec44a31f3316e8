//! The keyspace: N shards, each a mutex over its slots' tables in every database. A command
//! locks the shards of its keys, in ascending shard order, so multi-key commands are atomic
//! and cannot deadlock; the lock is held for the data operation only.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, Ordering};

use parking_lot::{Mutex, MutexGuard};
use smallvec::SmallVec;

use super::db::{DbShard, Entry, SlotTable};
use super::held::{ShardRef, Tx};
use super::slot::{SLOT_COUNT, key_slot};
use super::watch::{WatchFlag, Watches};
use crate::persist::capture;
use crate::persist::journal::Journal;
use crate::persist::snapshot::SnapshotRun;
use crate::pubsub::notify::{Class, Notifier};
use crate::types::{Value, ValueKind, ValueRef};

/// Index of a shard in the keyspace.
pub type ShardIndex = usize;

/// Per-shard counters, summed by INFO.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyspaceStats {
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    /// Keys deleted to get under maxmemory (engine/evict.rs).
    pub evicted_keys: u64,
}

impl std::ops::AddAssign for KeyspaceStats {
    fn add_assign(&mut self, other: KeyspaceStats) {
        self.keyspace_hits += other.keyspace_hits;
        self.keyspace_misses += other.keyspace_misses;
        self.expired_keys += other.expired_keys;
        self.evicted_keys += other.evicted_keys;
    }
}

pub(crate) struct Shard {
    /// One table set per logical database, allocated on first write.
    dbs: Box<[Option<Box<DbShard>>]>,
    slot_count: usize,
    pub(crate) stats: KeyspaceStats,
    /// Where the active expiry sweep resumes, per database.
    pub(crate) expire_cursor: Box<[usize]>,
    /// Per database: the average time to live of its keys with a deadline here, in ms, as
    /// active expiry estimates it (0: none).
    pub(crate) avg_ttl_ms: Box<[u64]>,
    /// Clients watching keys of this shard (WATCH).
    pub(crate) watches: Watches,
    /// The snapshot run `snapshot_taken` is about (see `persist::snapshot`).
    pub(crate) snapshot_epoch: u64,
    /// Which of this shard's slots that run has already taken the image of (a bit per
    /// slot of the shard).
    pub(crate) snapshot_taken: Vec<u64>,
    /// Changes logged since the node started (summed for the save rules and INFO).
    pub(crate) changes: u64,
    /// Where each database's slot tables are, published for [`Keyspace::prefetch`].
    tables: TableAddresses,
}

/// The address of each database's slot-table array in a shard, readable without the shard's
/// lock. Only ever used as a prefetch hint: a stale address costs a wasted prefetch, never a
/// read.
type TableAddresses = std::sync::Arc<[AtomicPtr<SlotTable>]>;

impl Shard {
    /// Publishes where database `db`'s slot tables are now (after they were created, taken
    /// or swapped).
    fn publish(&self, db: usize) {
        if let Some(address) = self.tables.get(db) {
            let tables = self.db(db).map_or(std::ptr::null_mut(), |t| t.slots.as_ptr().cast_mut());
            address.store(tables, Ordering::Relaxed);
        }
    }

    pub(crate) fn db(&self, db: usize) -> Option<&DbShard> {
        self.dbs.get(db)?.as_deref()
    }

    pub(crate) fn db_mut(&mut self, db: usize) -> Option<&mut DbShard> {
        self.dbs.get_mut(db)?.as_deref_mut()
    }

    fn db_or_create(&mut self, db: usize) -> &mut DbShard {
        if self.dbs[db].is_none() {
            self.dbs[db] = Some(Box::new(DbShard::new(self.slot_count)));
            self.publish(db);
        }
        // Just made if it was missing.
        self.dbs[db].get_or_insert_with(|| Box::new(DbShard::new(self.slot_count)))
    }

    /// Takes a database's tables out, leaving it empty; the caller drops them outside the lock.
    pub(crate) fn take_db(&mut self, db: usize) -> Option<Box<DbShard>> {
        let taken = self.dbs.get_mut(db)?.take();
        self.publish(db);
        taken
    }

    pub(crate) fn swap_dbs(&mut self, a: usize, b: usize) {
        self.dbs.swap(a, b);
        self.avg_ttl_ms.swap(a, b);
        self.publish(a);
        self.publish(b);
    }

    /// Every key of local slot `local` in every database, with its value and deadline
    /// (snapshots).
    pub(crate) fn for_each_entry_in_slot(
        &self,
        local: usize,
        mut f: impl FnMut(usize, &[u8], ValueRef<'_>, Option<i64>),
    ) {
        for (db, table) in self.dbs.iter().enumerate() {
            let Some(slot) = table.as_ref().and_then(|t| t.slots.get(local)) else { continue };
            for entry in slot.iter() {
                let expiry = if entry.has_expiry() { slot.expiry(entry.key()) } else { None };
                f(db, entry.key(), entry.value(), expiry);
            }
        }
    }

    /// Whether snapshot run `epoch` has taken local slot `local` yet.
    pub(crate) fn slot_taken(&self, epoch: u64, local: usize) -> bool {
        self.snapshot_epoch == epoch
            && self.snapshot_taken.get(local / 64).is_some_and(|w| w & (1 << (local % 64)) != 0)
    }

    pub(crate) fn mark_slot_taken(&mut self, epoch: u64, local: usize) {
        if self.snapshot_epoch != epoch {
            self.snapshot_epoch = epoch;
            self.snapshot_taken.clear();
            self.snapshot_taken.resize(self.slot_count.div_ceil(64), 0);
        }
        if let Some(word) = self.snapshot_taken.get_mut(local / 64) {
            *word |= 1 << (local % 64);
        }
    }
}

/// A dataset's tables built outside the keyspace: per shard, per database (a restore).
pub(crate) struct StagedTables {
    shards: Vec<Box<[Option<Box<DbShard>>]>>,
}

/// Cache-line aligned so neighbouring shard locks do not share a line.
#[repr(align(128))]
struct ShardCell(Mutex<Shard>);

/// Counts of the background freeing of flushed databases and unlinked values, and the
/// thread that frees the values (started on first use).
#[derive(Debug, Default)]
struct LazyFree {
    pending: std::sync::atomic::AtomicU64,
    freed: std::sync::atomic::AtomicU64,
    worker: Mutex<Option<std::sync::mpsc::Sender<Vec<Value>>>>,
}

impl LazyFree {
    /// Hands `values` to the freeing thread; gives them back if it cannot run.
    fn send(self: &Arc<LazyFree>, values: Vec<Value>) -> Result<(), Vec<Value>> {
        let mut worker = self.worker.lock();
        if worker.is_none() {
            let (sender, receiver) = std::sync::mpsc::channel::<Vec<Value>>();
            let counts = self.clone();
            let spawned = std::thread::Builder::new().name("aegisr-lazyfree".into()).spawn(move || {
                for batch in receiver {
                    let n = batch.len() as u64;
                    drop(batch);
                    // Freed before no longer pending: who sees none pending sees them freed.
                    counts.freed.fetch_add(n, Ordering::Release);
                    counts.pending.fetch_sub(n, Ordering::Release);
                }
            });
            match spawned {
                Ok(_) => *worker = Some(sender),
                Err(e) => {
                    tracing::warn!("could not start the lazy-free thread ({e}); freeing inline");
                    return Err(values);
                }
            }
        }
        let Some(sender) = worker.as_ref() else { return Err(values) };
        let n = values.len() as u64;
        self.pending.fetch_add(n, Ordering::Relaxed);
        sender.send(values).map_err(|returned| {
            self.pending.fetch_sub(n, Ordering::Relaxed);
            returned.0
        })
    }
}

/// All keys of all databases, split into shards by hash slot.
pub struct Keyspace {
    shards: Box<[ShardCell]>,
    /// Each shard's [`TableAddresses`], read without its lock to prefetch. Apart from the
    /// shards: a line a lock holder keeps writing (the lock word, the shard's counters)
    /// would otherwise miss in every other core's prefetch.
    table_addresses: Box<[TableAddresses]>,
    /// Clients blocked until a key exists (BLPOP...).
    waiters: super::blocking::Waiters,
    /// log2 of slots per shard: a slot's shard is `slot >> slot_shift`.
    slot_shift: u32,
    databases: usize,
    /// Publishes the keyspace events the engine itself causes ("new", "expired",
    /// "keymiss"), and those of commands through `Ctx::notify`.
    notifier: Notifier,
    /// The append-only journal, once recovery has finished (none: persistence is off, or
    /// `appendonly no`). CONFIG SET appendonly switches it while the node runs.
    journal: arc_swap::ArcSwapOption<Journal>,
    /// Whether `journal` holds one: every write asks for the journal as it releases its
    /// shards, and without one this load is all it costs (arc_swap's load is not free).
    journal_on: std::sync::atomic::AtomicBool,
    /// The snapshot being written, if any: a write over several shards makes sure it
    /// does not straddle the snapshot (see [`Keyspace::settle_snapshot`]).
    snapshot: parking_lot::RwLock<Option<std::sync::Arc<SnapshotRun>>>,
    snapshot_active: std::sync::atomic::AtomicBool,
    /// Whether the data is kept on disk (journal or snapshots): writes are then armed in
    /// `persist::capture` so snapshots can keep them whole.
    persistent: std::sync::atomic::AtomicBool,
    /// DEBUG SET-ACTIVE-EXPIRE 0: only lazy expiry (on access) removes keys.
    pub(super) active_expire_off: std::sync::atomic::AtomicBool,
    /// Appliers of a primary's stream running on this node (a replica): while there are,
    /// only the applier, on the primary's clock, deletes expired keys (see
    /// [`Keyspace::follow_primary`]).
    pub(super) primary_appliers: std::sync::atomic::AtomicUsize,
    /// While CLIENT PAUSE is on (until this wall-clock ms; 0: not), expired keys are
    /// hidden but not deleted, as Redis skips expiry during a pause: a deletion would be a
    /// write, which the pause holds.
    pub(super) expiry_held_until: std::sync::atomic::AtomicI64,
    /// maxmemory eviction: its configuration and candidate pool (engine/evict.rs). Also
    /// decides what a key access records (LRU time or LFU counter).
    pub(crate) eviction: super::evict::Eviction,
    /// Keys of flushed databases being freed on a background thread (FLUSHALL ASYNC), and
    /// how many were (INFO's `lazyfree_pending_objects`, `lazyfreed_objects`).
    lazyfree: Arc<LazyFree>,
}

impl Keyspace {
    /// A keyspace of `shard_count` shards (rounded to a power of two in 1..=16384) and
    /// `databases` logical databases.
    pub fn new(shard_count: usize, databases: usize) -> Keyspace {
        let shard_count = shard_count.clamp(1, SLOT_COUNT).next_power_of_two();
        let slot_count = SLOT_COUNT / shard_count;
        let databases = databases.max(1);
        let table_addresses: Box<[TableAddresses]> =
            (0..shard_count).map(|_| (0..databases).map(|_| AtomicPtr::new(std::ptr::null_mut())).collect()).collect();
        let shards = table_addresses
            .iter()
            .map(|tables| {
                ShardCell(Mutex::new(Shard {
                    dbs: (0..databases).map(|_| None).collect(),
                    slot_count,
                    stats: KeyspaceStats::default(),
                    expire_cursor: vec![0; databases].into_boxed_slice(),
                    avg_ttl_ms: vec![0; databases].into_boxed_slice(),
                    watches: Watches::default(),
                    snapshot_epoch: 0,
                    snapshot_taken: Vec::new(),
                    changes: 0,
                    tables: tables.clone(),
                }))
            })
            .collect();
        Keyspace {
            shards,
            table_addresses,
            waiters: Default::default(),
            slot_shift: slot_count.trailing_zeros(),
            databases,
            notifier: Notifier::default(),
            journal: arc_swap::ArcSwapOption::empty(),
            journal_on: std::sync::atomic::AtomicBool::new(false),
            snapshot: parking_lot::RwLock::new(None),
            snapshot_active: std::sync::atomic::AtomicBool::new(false),
            persistent: std::sync::atomic::AtomicBool::new(false),
            active_expire_off: std::sync::atomic::AtomicBool::new(false),
            primary_appliers: std::sync::atomic::AtomicUsize::new(0),
            expiry_held_until: std::sync::atomic::AtomicI64::new(0),
            eviction: super::evict::Eviction::new(Default::default()),
            lazyfree: Arc::default(),
        }
    }

    /// Reads the maxmemory options from `limits` (a keyspace made by [`Keyspace::new`] has
    /// no memory limit).
    pub fn with_limits(mut self, limits: std::sync::Arc<crate::config::Limits>) -> Keyspace {
        self.eviction = super::evict::Eviction::new(limits);
        self
    }

    /// Publishes keyspace events through `notifier` (a keyspace made by [`Keyspace::new`]
    /// publishes none).
    pub fn with_notifier(mut self, notifier: Notifier) -> Keyspace {
        self.notifier = notifier;
        self
    }

    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    /// Starts logging every change to `journal` (after recovery, or when CONFIG SET
    /// appendonly turns it on), or stops logging with `None`; returns the journal that was
    /// on. Call it between commands' shard sections: a command logs to the journal it
    /// finds when it releases its shards.
    pub fn set_journal(&self, journal: Option<std::sync::Arc<Journal>>) -> Option<std::sync::Arc<Journal>> {
        let on = journal.is_some();
        // The flag is down while the journal is swapped: a reader sees the flag up only
        // with a journal in place.
        self.journal_on.store(false, Ordering::Release);
        let previous = self.journal.swap(journal);
        self.journal_on.store(on, Ordering::Release);
        previous
    }

    /// Marks the data as kept on disk (set once at start).
    pub fn set_persistent(&self) {
        self.persistent.store(true, std::sync::atomic::Ordering::Release);
    }

    pub fn persistent(&self) -> bool {
        self.persistent.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn journal(&self) -> Option<std::sync::Arc<Journal>> {
        self.journal.load_full()
    }

    /// Runs `f` with the journal, without touching its reference count: for what every
    /// write does (two threads counting references on one line would trade it back and
    /// forth).
    pub(crate) fn with_journal<R>(&self, f: impl FnOnce(Option<&Journal>) -> R) -> R {
        if !self.journal_on.load(Ordering::Acquire) {
            return f(None);
        }
        f(self.journal.load().as_deref())
    }

    /// The clients blocked on keys.
    pub fn waiters(&self) -> &super::blocking::Waiters {
        &self.waiters
    }

    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    pub fn databases(&self) -> usize {
        self.databases
    }

    /// The shard holding `key`.
    pub fn shard_of(&self, key: &[u8]) -> ShardIndex {
        usize::from(key_slot(key)) >> self.slot_shift
    }

    /// Asks the CPU to start loading the slot table `key` would be looked up in, without
    /// locking anything: a connection calls it as soon as it has parsed a command, so the
    /// table is in cache by the time the command locks its shard (on a large keyspace that
    /// load is one of the few cache misses a small command makes). A hint only.
    pub fn prefetch(&self, db: usize, key: &[u8]) {
        let (index, slot) = self.split_slot(key);
        self.prefetch_slot_table(db, index, slot);
    }

    /// Starts loading the table of `slot` (local to shard `index`) in `db`, unlocked.
    fn prefetch_slot_table(&self, db: usize, index: ShardIndex, slot: usize) {
        let Some(address) = self.table_addresses.get(index).and_then(|tables| tables.get(db)) else { return };
        let tables = address.load(Ordering::Relaxed);
        if !tables.is_null() {
            super::prefetch::prefetch_read(tables.wrapping_add(slot));
        }
    }

    /// Prefetches what looking up each of `keys` will read, for a pipeline about to run:
    /// the slot tables, then the buckets, then the entries' blocks, each stage for every
    /// key before the next, so the cache misses of all the keys overlap instead of
    /// stalling one command after another. Shards another thread holds are skipped (a hint
    /// only; nothing waits).
    pub fn prefetch_keys(&self, db: usize, keys: &[&[u8]]) {
        if keys.len() < 2 {
            return;
        }
        let mut found: SmallVec<[(ShardIndex, usize, u64); 16]> = SmallVec::new();
        for key in keys {
            let (index, slot) = self.split_slot(key);
            self.prefetch_slot_table(db, index, slot);
            found.push((index, slot, super::key_table::key_hash(key)));
        }
        found.sort_unstable_by_key(|&(index, ..)| index);
        let mut guards: SmallVec<[(ShardIndex, MutexGuard<'_, Shard>); 16]> = SmallVec::new();
        for &(index, ..) in &found {
            if guards.last().is_none_or(|(last, _)| *last != index) {
                if let Some(guard) = self.shards.get(index).and_then(|cell| cell.0.try_lock()) {
                    guards.push((index, guard));
                }
            }
        }
        fn table<'g>(
            guards: &'g [(ShardIndex, MutexGuard<'_, Shard>)],
            db: usize,
            index: ShardIndex,
            slot: usize,
        ) -> Option<&'g SlotTable> {
            let at = guards.binary_search_by_key(&index, |(i, _)| *i).ok()?;
            guards[at].1.dbs.get(db)?.as_deref()?.slots.get(slot)
        }
        for &(index, slot, hash) in &found {
            if let Some(table) = table(&guards, db, index, slot) {
                table.prefetch_bucket(hash);
            }
        }
        for &(index, slot, hash) in &found {
            if let Some(table) = table(&guards, db, index, slot) {
                table.prefetch_entry(hash);
            }
        }
    }

    pub(crate) fn split_slot(&self, key: &[u8]) -> (ShardIndex, usize) {
        let slot = usize::from(key_slot(key));
        (slot >> self.slot_shift, slot & ((1 << self.slot_shift) - 1))
    }

    /// Shard `index`: borrowed from the transaction `tx` when there is one, else locked.
    pub(crate) fn shard<'a>(&'a self, index: ShardIndex, tx: Tx<'a>) -> ShardRef<'a> {
        ShardRef::acquire(&self.shards[index].0, index, tx)
    }

    /// Locks the shard of one key.
    pub fn lock_key(&self, db: usize, key: &[u8]) -> Locked<'_> {
        self.lock_shard(db, self.shard_of(key), None)
    }

    /// Locks the shards of all `keys`, in ascending shard order.
    pub fn lock_keys<'k>(&self, db: usize, keys: impl IntoIterator<Item = &'k [u8]>) -> Locked<'_> {
        self.lock_shards(db, keys.into_iter().map(|k| self.shard_of(k)), None)
    }

    /// Locks (or borrows from `tx`) the given shards, any order, duplicates allowed, in
    /// ascending order.
    pub fn lock_shards<'a>(
        &'a self,
        db: usize,
        shards: impl IntoIterator<Item = ShardIndex>,
        tx: Tx<'a>,
    ) -> Locked<'a> {
        let mut wanted: SmallVec<[ShardIndex; 4]> = shards.into_iter().collect();
        wanted.sort_unstable();
        wanted.dedup();
        let guards = wanted.into_iter().map(|i| (i, self.shard(i, tx))).collect();
        self.locked(db, guards, tx)
    }

    /// [`Keyspace::lock_shards`] for the one shard of a single-key command, the common case.
    pub fn lock_shard<'a>(&'a self, db: usize, shard: ShardIndex, tx: Tx<'a>) -> Locked<'a> {
        let mut guards = SmallVec::new();
        guards.push((shard, self.shard(shard, tx)));
        self.locked(db, guards, tx)
    }

    fn locked<'a>(
        &'a self,
        db: usize,
        mut guards: SmallVec<[(ShardIndex, ShardRef<'a>); 1]>,
        tx: Tx<'a>,
    ) -> Locked<'a> {
        if tx.is_none() && self.snapshot_active.load(std::sync::atomic::Ordering::Acquire) && capture::armed() {
            let slots = capture::slots();
            self.settle_snapshot(guards.iter_mut().map(|(i, g)| (*i, &mut **g)), slots.as_deref());
        }
        Locked {
            keyspace: self,
            guards,
            db: db.min(self.databases - 1),
            now: Cell::new(0),
            dirty: false,
            watched: SmallVec::new(),
        }
    }

    /// Locks `shards` (sorted, deduplicated here) for a transaction, which lends them to its
    /// commands through [`super::HeldShards`].
    pub(crate) fn lock_for_transaction(
        &self,
        shards: impl IntoIterator<Item = ShardIndex>,
    ) -> Vec<(ShardIndex, MutexGuard<'_, Shard>)> {
        let mut wanted: Vec<ShardIndex> = shards.into_iter().filter(|&i| i < self.shards.len()).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut guards: Vec<_> = wanted.into_iter().map(|i| (i, self.shards[i].0.lock())).collect();
        self.settle_snapshot(guards.iter_mut().map(|(i, g)| (*i, &mut **g)), None);
        guards
    }

    /// Starts snapshot `run`: from now on writes over several shards settle it first.
    pub(crate) fn begin_snapshot(&self, run: std::sync::Arc<SnapshotRun>) {
        *self.snapshot.write() = Some(run);
        self.snapshot_active.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Whether a snapshot is being written (writes then say which slots they touch).
    pub fn snapshot_running(&self) -> bool {
        self.snapshot_active.load(std::sync::atomic::Ordering::Acquire)
    }

    pub(crate) fn end_snapshot(&self) {
        self.snapshot_active.store(false, std::sync::atomic::Ordering::Release);
        *self.snapshot.write() = None;
    }

    /// Called with `shards` held by a write about to run; `slots` are the hash slots of its
    /// keys, `None` when they are not known (then every slot of the held shards counts). A
    /// snapshot takes each slot's image at its own moment, so a write over slots some of
    /// which are already in the image and some not would be half in it, and the journal
    /// could not replay it. So the slots not yet taken are taken now, before the write: it
    /// then follows every one of its slots' images and is replayed whole.
    fn settle_snapshot<'s>(&self, shards: impl Iterator<Item = (ShardIndex, &'s mut Shard)>, slots: Option<&[u16]>) {
        if !self.snapshot_active.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let Some(run) = self.snapshot.read().clone() else { return };
        let mut shards: SmallVec<[(ShardIndex, &mut Shard); 4]> = shards.collect();
        let per_shard = 1usize << self.slot_shift;
        // (position in `shards`, local slot) of every slot the write may touch.
        let relevant: Vec<(usize, usize)> = match slots {
            Some(slots) => slots
                .iter()
                .filter_map(|&slot| {
                    let slot = usize::from(slot);
                    let at = shards.iter().position(|(i, _)| *i == slot >> self.slot_shift)?;
                    Some((at, slot & (per_shard - 1)))
                })
                .collect(),
            None => (0..shards.len()).flat_map(|at| (0..per_shard).map(move |local| (at, local))).collect(),
        };
        let taken = relevant.iter().filter(|&&(at, local)| shards[at].1.slot_taken(run.epoch, local)).count();
        if taken == 0 || taken == relevant.len() {
            return;
        }
        for (at, local) in relevant {
            let (index, shard) = &mut shards[at];
            if !shard.slot_taken(run.epoch, local) {
                run.take_slot(self, (*index << self.slot_shift) + local, shard);
            }
        }
    }

    /// Shard `index` for the snapshot writer: its image is taken under its lock.
    pub(crate) fn with_shard<R>(&self, index: ShardIndex, f: impl FnOnce(&mut Shard) -> R) -> R {
        let mut shard = self.shard(index, None);
        f(&mut shard)
    }

    /// The slots of shard `index`: `[first, first + count)`.
    pub(crate) fn shard_slots(&self, index: ShardIndex) -> (usize, usize) {
        let count = 1usize << self.slot_shift;
        (index * count, count)
    }

    /// Changes made so far, summed over shards (the save rules count them).
    pub fn changes(&self) -> u64 {
        (0..self.shards.len()).map(|i| self.shard(i, None).changes).sum()
    }

    /// [`Keyspace::changes`] for a background check that must not wait long: `None` when
    /// a shard stays held for `patience` (a script holds them all while it runs).
    pub fn changes_within(&self, patience: std::time::Duration) -> Option<u64> {
        let mut total = 0;
        for cell in &self.shards {
            total += cell.0.try_lock_for(patience)?.changes;
        }
        Some(total)
    }

    /// Counts a change made beside the keys (a function library) for the save rules.
    pub fn count_change(&self) {
        self.shard(0, None).changes += 1;
    }

    /// Forgets the changes counted while loading the data directory.
    pub fn reset_changes(&self) {
        for i in 0..self.shards.len() {
            self.shard(i, None).changes = 0;
        }
    }

    /// Number of keys in `db` (expired keys not yet collected included, as in Redis).
    pub fn db_size<'a>(&'a self, db: usize, tx: Tx<'a>) -> usize {
        (0..self.shards.len()).map(|i| self.shard(i, tx).db(db).map_or(0, |d| d.key_count)).sum()
    }

    /// Number of keys of hash slot `slot` in `db` (CLUSTER COUNTKEYSINSLOT), in O(1).
    pub fn count_keys_in_slot<'a>(&'a self, db: usize, slot: u16, tx: Tx<'a>) -> usize {
        let (index, local) = self.split_slot_number(slot);
        self.shard(index, tx).db(db).and_then(|d| d.slots.get(local)).map_or(0, |t| t.len())
    }

    /// Up to `count` keys of hash slot `slot` in `db` (CLUSTER GETKEYSINSLOT, slot
    /// migration), in O(keys returned).
    pub fn keys_in_slot<'a>(&'a self, db: usize, slot: u16, count: usize, tx: Tx<'a>) -> Vec<bytes::Bytes> {
        let (index, local) = self.split_slot_number(slot);
        let shard = self.shard(index, tx);
        let Some(table) = shard.db(db).and_then(|d| d.slots.get(local)) else { return Vec::new() };
        table.iter().take(count).map(|e| bytes::Bytes::copy_from_slice(e.key())).collect()
    }

    fn split_slot_number(&self, slot: u16) -> (ShardIndex, usize) {
        let slot = usize::from(slot) & (SLOT_COUNT - 1);
        (slot >> self.slot_shift, slot & ((1 << self.slot_shift) - 1))
    }

    /// `(keys, keys with an expiry)` per database, for INFO keyspace.
    pub fn db_sizes<'a>(&'a self, tx: Tx<'a>) -> Vec<(usize, usize)> {
        let mut sizes = vec![(0, 0); self.databases];
        for index in 0..self.shards.len() {
            let shard = self.shard(index, tx);
            for (db, size) in sizes.iter_mut().enumerate() {
                if let Some(d) = shard.db(db) {
                    size.0 += d.key_count;
                    size.1 += d.expire_count;
                }
            }
        }
        sizes
    }

    /// Per database, the average time to live of its keys with a deadline (ms, estimated by
    /// active expiry; 0 when none): the shards' estimates weighted by their keys with one.
    pub fn avg_ttls<'a>(&'a self, tx: Tx<'a>) -> Vec<u64> {
        let mut sums = vec![(0u128, 0u128); self.databases];
        for index in 0..self.shards.len() {
            let shard = self.shard(index, tx);
            for (db, sum) in sums.iter_mut().enumerate() {
                let (Some(d), avg) = (shard.db(db), shard.avg_ttl_ms[db]) else { continue };
                if avg > 0 {
                    sum.0 += u128::from(avg) * d.expire_count as u128;
                    sum.1 += d.expire_count as u128;
                }
            }
        }
        sums.into_iter()
            .map(|(total, weight)| u64::try_from(total.checked_div(weight).unwrap_or(0)).unwrap_or(0))
            .collect()
    }

    /// Keys in each shard, all databases together, for INFO aegisr.
    pub fn shard_key_counts<'a>(&'a self, tx: Tx<'a>) -> Vec<usize> {
        (0..self.shards.len())
            .map(|i| {
                let shard = self.shard(i, tx);
                (0..self.databases).filter_map(|db| shard.db(db)).map(|d| d.key_count).sum()
            })
            .collect()
    }

    /// Counters summed over shards.
    pub fn stats<'a>(&'a self, tx: Tx<'a>) -> KeyspaceStats {
        let mut total = KeyspaceStats::default();
        for index in 0..self.shards.len() {
            total += self.shard(index, tx).stats;
        }
        total
    }

    pub fn reset_stats<'a>(&'a self, tx: Tx<'a>) {
        for index in 0..self.shards.len() {
            self.shard(index, tx).stats = KeyspaceStats::default();
        }
        self.lazyfree.freed.store(0, Ordering::Relaxed);
        self.eviction.reset_stats();
    }

    /// How long the node has been over maxmemory now, and in all since the last CONFIG
    /// RESETSTAT (ms).
    pub fn eviction_exceeded_ms(&self) -> (u64, u64) {
        self.eviction.exceeded_ms()
    }

    /// Empties one database, or all of them. The tables are detached under each shard's lock
    /// and freed afterwards: on this thread, or on a background thread when `lazy`.
    pub fn flush<'a>(&'a self, db: Option<usize>, lazy: bool, tx: Tx<'a>) {
        let mut detached = Vec::new();
        let all: Vec<usize> = match db {
            Some(db) => vec![db],
            None => (0..self.databases).collect(),
        };
        // Every shard is held at once, so the flush is one point in the journal's order.
        let mut shards: Vec<_> = (0..self.shards.len()).map(|i| self.shard(i, tx)).collect();
        if tx.is_none() {
            self.settle_snapshot(shards.iter_mut().enumerate().map(|(i, s)| (i, &mut **s)), None);
        }
        for shard in &mut shards {
            for &db in &all {
                // A watched key that exists is deleted: its watchers see a change.
                self.touch_watched(shard, db, &[db]);
                detached.extend(shard.take_db(db));
            }
        }
        // Deleting keys is a change (what the save rules count), flushing nothing is none.
        if let Some(first) = shards.first_mut().filter(|_| detached.iter().any(|d| d.key_count > 0)) {
            first.changes += 1;
        }
        self.log_keyless();
        drop(shards);
        // Consumers blocked in XREADGROUP on a flushed stream learn it is gone (Redis scans
        // for them; waking every blocked client to look again is simpler and as correct).
        self.waiters.signal_all();
        if lazy && !detached.is_empty() {
            let keys: u64 = detached.iter().map(|d| d.key_count as u64).sum();
            let lazyfree = self.lazyfree.clone();
            lazyfree.pending.fetch_add(keys, Ordering::Relaxed);
            let counted = lazyfree.clone();
            let spawned = std::thread::Builder::new().name("aegisr-lazyfree".into()).spawn(move || {
                drop(detached);
                // Freed before no longer pending: who sees none pending sees them freed.
                counted.freed.fetch_add(keys, Ordering::Release);
                counted.pending.fetch_sub(keys, Ordering::Release);
            });
            if let Err(e) = spawned {
                tracing::warn!("could not start a lazy-free thread ({e}); freed inline");
                lazyfree.pending.fetch_sub(keys, Ordering::Relaxed);
            }
        }
    }

    /// Frees `values` (deleted keys' values, no shard held): those whose freeing walks
    /// more than [`LAZYFREE_THRESHOLD`] allocations on the lazy-free thread, so a
    /// connection's worker does not stall on a huge set (UNLINK, and DEL with
    /// `lazyfree-lazy-user-del`), the rest here.
    ///
    /// [`LAZYFREE_THRESHOLD`]: crate::types::LAZYFREE_THRESHOLD
    pub fn free_lazily(&self, values: Vec<Value>) {
        let (later, now): (Vec<Value>, Vec<Value>) =
            values.into_iter().partition(|v| v.free_effort() > crate::types::LAZYFREE_THRESHOLD);
        drop(now);
        if !later.is_empty()
            && let Err(returned) = self.lazyfree.send(later)
        {
            drop(returned);
        }
    }

    /// Keys waiting to be freed in the background, and keys freed so far that way.
    pub fn lazyfree_counts(&self) -> (u64, u64) {
        let pending = self.lazyfree.pending.load(Ordering::Acquire);
        (pending, self.lazyfree.freed.load(Ordering::Acquire))
    }

    /// Logs the running keyless write (FLUSHALL, FLUSHDB, SWAPDB); call it with every
    /// shard held.
    fn log_keyless(&self) {
        self.with_journal(|journal| {
            if let Some(journal) = journal {
                capture::commit(journal, super::now_ms());
            }
        });
    }

    /// Exchanges two databases atomically (SWAPDB): all shards are locked first.
    pub fn swap_dbs<'a>(&'a self, a: usize, b: usize, tx: Tx<'a>) {
        let mut shards: Vec<_> = (0..self.shards.len()).map(|i| self.shard(i, tx)).collect();
        if tx.is_none() {
            self.settle_snapshot(shards.iter_mut().enumerate().map(|(i, s)| (i, &mut **s)), None);
        }
        for shard in &mut shards {
            // A watched key changes if it exists on either side.
            self.touch_watched(shard, a, &[a, b]);
            self.touch_watched(shard, b, &[a, b]);
            shard.swap_dbs(a, b);
        }
        if let Some(first) = shards.first_mut() {
            first.changes += 1;
        }
        self.log_keyless();
        drop(shards);
        // Keys appear in both databases: blocked clients look again.
        self.waiters.signal_all();
    }

    /// Builds the tables of a whole dataset outside the keyspace, with no lock held (a
    /// restore, `persist::backup`): every `(db, key, value, deadline)` in the shard and
    /// slot it belongs to here. [`Keyspace::replace_with`] swaps them in.
    pub(crate) fn build_tables<'k>(
        &self,
        entries: impl IntoIterator<Item = (usize, &'k [u8], Value, Option<i64>)>,
    ) -> StagedTables {
        let slot_count = SLOT_COUNT / self.shards.len();
        let access = super::db::secs(super::now_ms());
        let mut shards: Vec<Box<[Option<Box<DbShard>>]>> =
            (0..self.shards.len()).map(|_| (0..self.databases).map(|_| None).collect()).collect();
        for (db, key, value, deadline) in entries {
            let (shard, slot) = self.split_slot(key);
            let Some(tables) = shards.get_mut(shard).and_then(|dbs| dbs.get_mut(db)) else { continue };
            let table = tables.get_or_insert_with(|| Box::new(DbShard::new(slot_count)));
            table.insert(slot, Entry::new(key, value, access));
            if deadline.is_some() {
                table.set_expiry(slot, key, deadline);
            }
        }
        StagedTables { shards }
    }

    /// Replaces every database with `staged` at one point: every shard is held while its
    /// tables are exchanged (pointer swaps, whatever the data's size), so clients see the
    /// dataset from before or from after, never a mix. Returns the keys dropped; their
    /// tables are freed on a thread of their own after the shards are released.
    /// `before_swap` runs with every shard held, before the exchange; if it fails nothing
    /// is exchanged (a restore makes the new data durable there).
    pub(crate) fn replace_with<T, E>(
        &self,
        staged: StagedTables,
        before_swap: impl FnOnce() -> Result<T, E>,
    ) -> Result<(u64, T), E> {
        self.replace_built(|| before_swap().map(|ready| (staged, ready)))
    }

    /// As [`Keyspace::replace_with`], with the new tables built by `build` while every
    /// shard is already held: nothing a client writes can fall between the data `build`
    /// reads and the swap (DEBUG LOADAOF, which loads what the journal holds).
    pub(crate) fn replace_built<T, E>(
        &self,
        build: impl FnOnce() -> Result<(StagedTables, T), E>,
    ) -> Result<(u64, T), E> {
        let mut locked = self.lock_shards(0, 0..self.shards.len(), None);
        let (staged, ready) = build()?;
        debug_assert_eq!(staged.shards.len(), self.shards.len(), "staged tables of another shape");
        let mut dropped = 0u64;
        let mut detached = Vec::new();
        for ((_, shard), new) in locked.guards.iter_mut().zip(staged.shards) {
            for (db, table) in new.into_vec().into_iter().enumerate() {
                // Watchers of a key that exists before or after see a change.
                self.touch_watched(shard, db, &[db]);
                let Some(slot) = shard.dbs.get_mut(db) else { continue };
                if let Some(old) = std::mem::replace(slot, table) {
                    dropped += old.key_count as u64;
                    detached.push(old);
                }
                shard.publish(db);
                self.touch_watched(shard, db, &[db]);
            }
        }
        locked.dirty = true;
        drop(locked);
        // Keys may have appeared that blocked clients wait for.
        self.waiters.signal_all();
        if !detached.is_empty() {
            let spawned = std::thread::Builder::new().name("aegisr-lazyfree".into()).spawn(move || drop(detached));
            if let Err(e) = spawned {
                tracing::warn!("could not start a lazy-free thread ({e}); freed inline");
            }
        }
        Ok((dropped, ready))
    }

    /// Takes every database's tables out of this keyspace, leaving it empty: a staging
    /// keyspace of the same shape hands what it loaded to [`Keyspace::replace_built`].
    pub(crate) fn take_tables(&self) -> StagedTables {
        let mut locked = self.lock_shards(0, 0..self.shards.len(), None);
        let mut shards = Vec::with_capacity(self.shards.len());
        for (_, shard) in locked.guards.iter_mut() {
            let taken: Box<[Option<Box<DbShard>>]> = shard.dbs.iter_mut().map(Option::take).collect();
            for db in 0..taken.len() {
                shard.publish(db);
            }
            shards.push(taken);
        }
        StagedTables { shards }
    }

    /// Merges a restored backup in (`persist::backup`): every `(db, key, value, deadline)`
    /// is stored, overwriting a key of the same name, with every shard held throughout so
    /// clients see the dataset from before or from after, never a mix.
    pub(crate) fn merge_in<'k>(&self, entries: impl IntoIterator<Item = (usize, &'k [u8], Value, Option<i64>)>) {
        let mut locked = self.lock_shards(0, 0..self.shards.len(), None);
        for (db, key, value, deadline) in entries {
            locked.set_in(db, key, value);
            if let Some(at) = deadline {
                locked.load_expiry(db, key, at);
            }
        }
    }

    /// Raises the watchers of the keys of `db` in `shard` that are live in any of `dbs`.
    fn touch_watched(&self, shard: &Shard, db: usize, dbs: &[usize]) {
        let now = super::now_ms();
        shard.watches.touch_where(db, |key| {
            let (_, slot) = self.split_slot(key);
            dbs.iter().any(|&d| {
                shard.db(d).is_some_and(|t| t.slots[slot].get(key).is_some() && t.slots[slot].is_live(key, now))
            })
        });
    }

    /// Runs `f` on each shard's tables of `db` in shard order, one shard locked at a time.
    pub(crate) fn for_each_db_shard<'a>(
        &'a self,
        db: usize,
        tx: Tx<'a>,
        mut f: impl FnMut(ShardIndex, &mut DbShard, i64),
    ) {
        for index in 0..self.shards.len() {
            let mut shard = self.shard(index, tx);
            let now = super::now_ms();
            if let Some(d) = shard.db_mut(db) {
                f(index, d, now);
            }
        }
    }

    pub(crate) fn slot_shift(&self) -> u32 {
        self.slot_shift
    }
}

/// The held shard of `key`, and the key's slot. Every key a command touches is locked first:
/// a key of another shard is a bug in the command, not a client error.
fn held_shard<'g>(
    keyspace: &Keyspace,
    guards: &'g mut SmallVec<[(ShardIndex, ShardRef<'_>); 1]>,
    key: &[u8],
) -> (&'g mut Shard, usize) {
    let (index, slot) = keyspace.split_slot(key);
    match guards.iter_mut().find(|(i, _)| *i == index) {
        Some((_, guard)) => (&mut **guard, slot),
        None => panic!("engine invariant: key used without locking its shard {index}"),
    }
}

/// What a lookup of a live entry is for.
#[derive(Clone, Copy)]
enum Lookup {
    /// Looking only (OBJECT, TTL, TYPE): the access time stays as it was.
    Peek,
    /// A read: counts a keyspace hit or miss and updates the access time.
    Read,
    /// The caller may change what it finds: updates the access time; when the key is
    /// there, the command is logged and the key's watchers told (see [`Locked::unchanged`]).
    Write,
    /// [`Lookup::Write`] by a command that works on one kind of value: a key of another
    /// kind (which it refuses with WRONGTYPE) is no change.
    WriteIf(ValueKind),
    /// [`Lookup::WriteIf`] that WATCH does not see.
    WriteUnwatchedIf(ValueKind),
}

/// The time for access times (LRU seconds, LFU minutes): the command's time if it has read
/// the clock, else the coarse clock, which serves that resolution without reading the
/// hardware counter.
fn access_clock(now: &Cell<i64>) -> i64 {
    match now.get() {
        0 => super::coarse_now_ms(),
        at => at,
    }
}

/// The shards a command holds, and the key operations on them. Every key passed in must
/// belong to a locked shard; the database is the session's unless a method takes one.
pub struct Locked<'a> {
    keyspace: &'a Keyspace,
    guards: SmallVec<[(ShardIndex, ShardRef<'a>); 1]>,
    db: usize,
    /// The command's time, read from the clock when first needed (0 until then): most
    /// commands never need it, and the read is a measurable part of a small command.
    now: Cell<i64>,
    /// Set by every method that may change data: the running command is then logged
    /// when the shards are released.
    dirty: bool,
    /// Watched keys a write lookup found: their watchers are told when the shards are
    /// released, unless the command said it changed nothing ([`Locked::unchanged`]).
    watched: SmallVec<[(usize, Box<[u8]>); 1]>,
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // Before the guards go: the journal's order is the shards' order.
        if self.dirty {
            // The clock is read only with a journal to log to: without one it would be a
            // clock_gettime per write for nothing (3% of a SET -P 16 profile).
            let keyspace = self.keyspace;
            keyspace.with_journal(|journal| {
                if let Some(journal) = journal {
                    capture::commit(journal, self.now());
                }
            });
            if let Some((_, shard)) = self.guards.first_mut() {
                shard.changes += 1;
            }
        }
        // Watchers of the keys looked up for writing, kept unless the command changed
        // nothing after all (`unchanged`); also told for a change that is not logged
        // (`unlogged`).
        if !self.watched.is_empty() {
            for (db, key) in std::mem::take(&mut self.watched) {
                held_shard(self.keyspace, &mut self.guards, &key).0.watches.touch(db, &key);
            }
        }
    }
}

impl Locked<'_> {
    /// The time this command runs at (Unix ms), fixed for the whole command.
    pub fn now(&self) -> i64 {
        if self.now.get() == 0 {
            self.now.set(super::now_ms());
        }
        self.now.get()
    }

    pub fn db(&self) -> usize {
        self.db
    }

    fn shard_and_slot(&mut self, key: &[u8]) -> (&mut Shard, usize) {
        held_shard(self.keyspace, &mut self.guards, key)
    }

    /// The live entry of `key` in `db`: expired keys are deleted on the way (lazy expiry).
    /// What else the lookup does depends on what it is for (see [`Lookup`]).
    fn live(&mut self, db: usize, key: &[u8], lookup: Lookup) -> Option<&mut Entry> {
        let touch = !matches!(lookup, Lookup::Peek);
        let count = matches!(lookup, Lookup::Read);
        // Read the clock only for a key with a deadline (kept for the rest of the command).
        let now = &self.now;
        let now_ms = || {
            if now.get() == 0 {
                now.set(super::now_ms());
            }
            now.get()
        };
        let keep_expired = self.keyspace.keeps_expired_keys();
        let watched = &mut self.watched;
        let dirty = &mut self.dirty;
        let notifier = &self.keyspace.notifier;
        let eviction = &self.keyspace.eviction;
        let waiters = &self.keyspace.waiters;
        // Borrowing the guards alone, so the clock stays readable.
        let (shard, slot) = held_shard(self.keyspace, &mut self.guards, key);
        let Shard { dbs, stats, watches, .. } = shard;
        let expired_before = stats.expired_keys;
        let found = match dbs.get_mut(db).and_then(|d| d.as_deref_mut()) {
            Some(table) => table.live_entry(slot, key, now_ms, &mut stats.expired_keys, keep_expired),
            None => None,
        };
        if stats.expired_keys != expired_before {
            self.keyspace.with_journal(|journal| journal.map(|j| capture::log_expiry(j, db, key)));
            notifier.notify(Class::Expired, "expired", key, db);
            // Consumers blocked in XREADGROUP on an expired stream learn it is gone (the
            // value is already dropped, so any client blocked on the key looks again).
            waiters.signal(db, key);
        }
        if count {
            if found.is_some() {
                stats.keyspace_hits += 1;
            } else {
                stats.keyspace_misses += 1;
                notifier.notify(Class::KeyMiss, "keymiss", key, db);
            }
        }
        let entry = found?;
        // A write to a key that is there: the command is logged, and its key's watchers
        // told, unless it says it changed nothing after all.
        let (writes, watch) = match lookup {
            Lookup::Write => (true, true),
            Lookup::WriteIf(kind) => (entry.kind() == kind, true),
            Lookup::WriteUnwatchedIf(kind) => (entry.kind() == kind, false),
            Lookup::Peek | Lookup::Read => (false, false),
        };
        if writes {
            *dirty = true;
            if watch && watches.watched(db, key) {
                watched.push((db, key.into()));
            }
        }
        if touch {
            // The LRU clock, or the LFU counter under an LFU maxmemory-policy: seconds and
            // minutes, which the coarse clock serves without reading the hardware counter.
            eviction.touch(entry, access_clock(now));
        }
        Some(entry)
    }

    /// Looks a key up for reading: counts a keyspace hit or miss and updates its access time.
    /// Only a look: the entry cannot be changed through it, so a write command that reads
    /// (GETSET's old value, a *STORE command's sources, SORT) is logged for what it then
    /// writes, not for reading; one that changes what it read looks the key up again for
    /// writing (PFCOUNT refreshing its cached count). Redis propagates a command only when
    /// it changed something.
    pub fn read(&mut self, key: &[u8]) -> Option<&Entry> {
        self.live(self.db, key, Lookup::Read).map(|e| &*e)
    }

    /// The running command changed nothing after all (SADD of members all there, SREM of
    /// members not there, ...): it is not logged, not counted as a change, and the clients
    /// watching the keys it looked up for writing are not told, as Redis, which signals and
    /// propagates a command only when it changed something. Call it only when the whole
    /// command changed nothing.
    pub fn unchanged(&mut self) {
        self.dirty = false;
        self.watched.clear();
    }

    /// The running command changed nothing Redis counts as a change, yet Redis tells the
    /// watchers of the keys it looked up for writing: LTRIM keeping the whole list signals
    /// the key but adds nothing to `server.dirty`, so it is neither propagated nor written
    /// to the AOF. Not logged, not counted as a change; the watchers are still told when
    /// the shards are released.
    pub fn unlogged(&mut self) {
        self.dirty = false;
    }

    /// `result`, the command marked as having changed nothing if it is an error: a write
    /// refused once its key was looked up (INCR of a value that is not an integer), which
    /// Redis refuses before changing anything.
    pub fn unless_refused<T, E>(&mut self, result: Result<T, E>) -> Result<T, E> {
        if result.is_err() {
            self.unchanged();
        }
        result
    }

    /// Looks a key up for writing (no hit/miss counted); its watchers count it as modified
    /// unless the command turns out to change nothing ([`Locked::unchanged`]).
    pub fn get(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.live(self.db, key, Lookup::Write)
    }

    /// [`Locked::get`] for a command that works on one kind of value: a key holding another
    /// kind is returned for the command to refuse with WRONGTYPE, and counts as no change
    /// (Redis replies before touching anything).
    pub fn get_kind(&mut self, key: &[u8], kind: ValueKind) -> Option<&mut Entry> {
        self.live(self.db, key, Lookup::WriteIf(kind))
    }

    /// Looks a key up for writing in another database.
    pub fn get_in(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        self.live(db, key, Lookup::Write)
    }

    /// Looks a key up for a write WATCH does not see: Redis 7.0 changes a stream's consumer
    /// groups and XSETID's fields without `signalModifiedKey`, so a transaction watching the
    /// stream survives them. Otherwise exactly like [`Locked::get_kind`]: a write (whatever
    /// `get` does for persistence, this must do too) unless the key holds another kind than
    /// `kind`, no hit or miss counted.
    pub fn get_kind_unwatched(&mut self, key: &[u8], kind: ValueKind) -> Option<&mut Entry> {
        // Unseen by WATCH, but a change all the same: the journal logs it.
        self.live(self.db, key, Lookup::WriteUnwatchedIf(kind))
    }

    /// Looks a key up without touching its access time (OBJECT, TTL, TYPE).
    pub fn peek(&mut self, key: &[u8]) -> Option<&Entry> {
        self.live(self.db, key, Lookup::Peek).map(|e| &*e)
    }

    /// RESTORE's IDLETIME / FREQ for `key` ([`Keyspace::restore_access`]); looking the key
    /// up for it is not an access.
    pub fn restore_access(&mut self, key: &[u8], idle_secs: Option<u64>, freq: Option<u8>) {
        let now = self.now();
        let keyspace = self.keyspace;
        if let Some(entry) = self.live(self.db, key, Lookup::Peek) {
            keyspace.restore_access(entry, idle_secs, freq, now);
        }
    }

    /// The entry stored under `key`, even past its deadline, which is left alone (DEBUG
    /// OBJECT, which Redis answers from its dictionary without expiring the key).
    pub fn stored(&mut self, key: &[u8]) -> Option<&Entry> {
        let db = self.db;
        let (shard, slot) = held_shard(self.keyspace, &mut self.guards, key);
        shard.db(db)?.slots[slot].get(key)
    }

    /// [`Locked::peek`] in another database.
    pub fn peek_in(&mut self, db: usize, key: &[u8]) -> Option<&Entry> {
        self.live(db, key, Lookup::Peek).map(|e| &*e)
    }

    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.exists_in(self.db, key)
    }

    pub fn exists_in(&mut self, db: usize, key: &[u8]) -> bool {
        self.live(db, key, Lookup::Peek).is_some()
    }

    /// Registers `flag` as a watcher of `key` in `db`; returns whether the key exists now.
    pub fn watch(&mut self, db: usize, key: &[u8], flag: &WatchFlag) -> bool {
        let exists = self.exists_in(db, key);
        self.shard_and_slot(key).0.watches.add(db, key, flag);
        exists
    }

    pub fn unwatch(&mut self, db: usize, key: &[u8], flag: &WatchFlag) {
        self.shard_and_slot(key).0.watches.remove(db, key, flag);
    }

    /// Stores `value` under `key`, replacing any value and dropping any expiry.
    pub fn set(&mut self, key: &[u8], value: Value) {
        let db = self.db;
        self.set_in(db, key, value);
    }

    pub fn set_in(&mut self, db: usize, key: &[u8], value: Value) {
        self.dirty = true;
        let aggregate = !matches!(value, Value::Int(_) | Value::Str(_));
        let flags = self.expire_before_insert(db, key);
        let access = self.access_on_write(db, key);
        let notifier = &self.keyspace.notifier;
        let (shard, slot) = self.shard_and_slot(key);
        shard.watches.touch(db, key);
        let replaced = shard.db_or_create(db).insert(slot, Entry::new(key, value, access));
        if replaced.is_none() {
            notifier.notify_with(flags, Class::New, "new", key, db);
        }
        // A new list or sorted set may be what a blocked client waits for; it retries once
        // this command releases the shard. An overwritten stream is gone for XREADGROUP.
        if aggregate || replaced.as_ref().is_some_and(is_stream) {
            self.keyspace.waiters.signal(db, key);
        }
    }

    /// Stores the string `bytes` under `key` (SET): like [`Locked::set`], but a small value
    /// is packed straight from the request with no intermediate copy. Large values should be
    /// turned into a [`Value`] before locking and stored with `set`.
    pub fn set_string(&mut self, key: &[u8], bytes: &[u8]) {
        self.dirty = true;
        let db = self.db;
        let access = self.access_on_write(db, key);
        let flags = self.expire_before_insert(db, key);
        if bytes.len() <= super::PACK_LIMIT {
            // A value of the size of the one it replaces is written over it.
            let (shard, slot) = self.shard_and_slot(key);
            if shard.db_mut(db).is_some_and(|table| table.overwrite_string(slot, key, bytes, access)) {
                shard.watches.touch(db, key);
                return;
            }
        }
        match Entry::from_string(key, bytes, access) {
            Some(entry) => {
                let notifier = &self.keyspace.notifier;
                let (shard, slot) = self.shard_and_slot(key);
                shard.watches.touch(db, key);
                let replaced = shard.db_or_create(db).insert(slot, entry);
                if replaced.is_none() {
                    notifier.notify_with(flags, Class::New, "new", key, db);
                }
                if replaced.as_ref().is_some_and(is_stream) {
                    self.keyspace.waiters.signal(db, key);
                }
            }
            None => self.set_in(db, key, Value::from_bytes(bytes)),
        }
    }

    /// The access data of a key written now: the time (LRU) or the initial counter (LFU);
    /// under LFU an overwritten key keeps its counter, as Redis's `dbSetValue` (one more
    /// lookup, under LFU policies only).
    fn access_on_write(&mut self, db: usize, key: &[u8]) -> u32 {
        let (now, eviction) = (access_clock(&self.now), &self.keyspace.eviction);
        if !eviction.lfu() {
            return eviction.new_access(now);
        }
        let (shard, slot) = self.shard_and_slot(key);
        shard.db(db).and_then(|t| t.slots[slot].get(key)).map_or_else(|| eviction.new_access(now), Entry::access_secs)
    }

    /// Deletes `key` first if it has expired, when that is observable: an expired key being
    /// overwritten is reported as "expired" then "new", as Redis's lookup before `dbAdd`,
    /// and a tracking client hears of the expiry as nobody's change (which NOLOOP does not
    /// hide). Without notifications or tracking the insert simply replaces it. Returns the
    /// notification flags (one load for the whole insert).
    fn expire_before_insert(&mut self, db: usize, key: &[u8]) -> u32 {
        let notifier = &self.keyspace.notifier;
        let flags = notifier.flags();
        if flags & (Class::New as u32 | Class::Expired as u32) != 0 || notifier.tracking() {
            self.live(db, key, Lookup::Peek);
        }
        flags
    }

    /// Removes a live key and returns its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let db = self.db;
        self.remove_in(db, key)
    }

    pub fn remove_in(&mut self, db: usize, key: &[u8]) -> Option<Value> {
        self.live(db, key, Lookup::Peek)?;
        self.dirty = true;
        let (shard, slot) = self.shard_and_slot(key);
        shard.watches.touch(db, key);
        let value = shard.db_mut(db)?.remove(slot, key).map(Entry::into_value);
        // Consumers blocked on a stream's group learn that the stream is gone.
        if matches!(value, Some(Value::Stream(_))) {
            self.keyspace.waiters.signal(db, key);
        }
        value
    }

    /// `None` if the key is absent, `Some(None)` if it has no expiry, else its deadline.
    pub fn expiry(&mut self, key: &[u8]) -> Option<Option<i64>> {
        let db = self.db;
        self.expiry_in(db, key)
    }

    pub fn expiry_in(&mut self, db: usize, key: &[u8]) -> Option<Option<i64>> {
        if !self.live(db, key, Lookup::Peek)?.has_expiry() {
            return Some(None);
        }
        let (shard, slot) = self.shard_and_slot(key);
        Some(shard.db(db)?.expiry(slot, key))
    }

    /// Sets (or with `None` clears) the deadline of a live key; false if the key is absent.
    /// A deadline already past deletes the key, as Redis does.
    pub fn set_expiry(&mut self, key: &[u8], at: Option<i64>) -> bool {
        let db = self.db;
        self.set_expiry_in(db, key, at)
    }

    pub fn set_expiry_in(&mut self, db: usize, key: &[u8], at: Option<i64>) -> bool {
        if self.live(db, key, Lookup::Peek).is_none() {
            return false;
        }
        self.dirty = true;
        let now = self.now();
        let (shard, slot) = self.shard_and_slot(key);
        shard.watches.touch(db, key);
        let Some(table) = shard.db_mut(db) else {
            return false;
        };
        match at {
            Some(at) if at <= now => {
                if table.remove(slot, key).as_ref().is_some_and(is_stream) {
                    self.keyspace.waiters.signal(db, key);
                }
                true
            }
            _ => table.set_expiry(slot, key, at),
        }
    }

    /// Gives a just-loaded key its deadline, even one already past: the journal's records
    /// after the snapshot may still touch it at times before the deadline.
    pub(crate) fn load_expiry(&mut self, db: usize, key: &[u8], at: i64) {
        let (shard, slot) = self.shard_and_slot(key);
        if let Some(table) = shard.db_mut(db) {
            table.set_expiry(slot, key, Some(at));
        }
    }

    /// The slot table of a key, for commands that scan a slot (CLUSTER GETKEYSINSLOT later).
    #[allow(dead_code)]
    pub(crate) fn slot_table(&mut self, db: usize, key: &[u8]) -> Option<&SlotTable> {
        let (shard, slot) = self.shard_and_slot(key);
        Some(&shard.db(db)?.slots[slot])
    }
}

/// Whether `entry` holds a stream: clients blocked in XREADGROUP on its key are woken when
/// it is deleted or overwritten, to be told so (Redis's `signalDeletedKeyAsReady`).
fn is_stream(entry: &Entry) -> bool {
    matches!(entry.value(), ValueRef::Stream(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_remove_and_counts() {
        let ks = Keyspace::new(8, 16);
        {
            let mut l = ks.lock_keys(0, [&b"a"[..], b"b", b"{a}x"]);
            l.set(b"a", Value::Int(1));
            l.set(b"b", Value::from_bytes(b"hello"));
            l.set(b"{a}x", Value::Int(2));
            assert_eq!(l.read(b"a").map(|e| e.value().to_owned()), Some(Value::Int(1)));
            assert_eq!(l.remove(b"{a}x"), Some(Value::Int(2)));
            assert!(l.read(b"missing-but-same-shard-as-a{a}").is_none());
        }
        assert_eq!(ks.db_size(0, None), 2);
        assert_eq!(ks.db_size(1, None), 0);
        let stats = ks.stats(None);
        assert_eq!((stats.keyspace_hits, stats.keyspace_misses), (1, 1));
    }

    /// Moves `key`'s deadline (database 0) to `at` without the checks a command makes.
    fn expire_behind_the_back(l: &mut Locked<'_>, key: &[u8], at: i64) {
        let (shard, slot) = l.shard_and_slot(key);
        if let Some(table) = shard.db_mut(0) {
            table.set_expiry(slot, key, Some(at));
        }
    }

    #[test]
    fn expired_keys_are_invisible_and_collected_on_access() {
        let ks = Keyspace::new(4, 1);
        let mut l = ks.lock_key(0, b"k");
        l.set(b"k", Value::Int(1));
        assert!(l.set_expiry(b"k", Some(l.now() + 60_000)));
        assert_eq!(l.expiry(b"k"), Some(Some(l.now() + 60_000)));
        // Force the deadline into the past behind the command's back.
        let now = l.now();
        expire_behind_the_back(&mut l, b"k", now - 1);
        assert!(l.get(b"k").is_none());
        drop(l);
        assert_eq!(ks.db_size(0, None), 0);
        assert_eq!(ks.stats(None).expired_keys, 1);
    }

    #[test]
    fn a_replica_leaves_expired_keys_to_the_primarys_clock() {
        let ks = Keyspace::new(4, 1);
        let following = ks.follow_primary();
        let mut l = ks.lock_key(0, b"k");
        l.set(b"k", Value::Int(1));
        let now = l.now();
        assert!(l.set_expiry(b"k", Some(now + 60_000)));
        expire_behind_the_back(&mut l, b"k", now - 1);
        // Past its deadline by the replica's clock: invisible to its clients, but kept.
        assert!(l.get(b"k").is_none());
        drop(l);
        assert_eq!(ks.db_size(0, None), 1);
        assert_eq!(ks.active_expire_pass(usize::MAX).expired, 0);
        assert_eq!(ks.db_size(0, None), 1);
        // The applier, on the primary's clock, still before the deadline: the key lives.
        crate::engine::set_replay_clock(now - 10);
        assert!(ks.lock_key(0, b"k").get(b"k").is_some());
        assert_eq!(ks.active_expire_pass(usize::MAX).expired, 0);
        // Once the primary's clock passes the deadline, the applier's sweep deletes it.
        crate::engine::set_replay_clock(now + 10);
        assert_eq!(ks.active_expire_pass(usize::MAX).expired, 1);
        crate::engine::end_replay_clock();
        assert_eq!(ks.db_size(0, None), 0);
        assert_eq!(ks.stats(None).expired_keys, 1);
        drop(following);
        // No longer a replica: expired keys go when met, as on any primary.
        let mut l = ks.lock_key(0, b"j");
        l.set(b"j", Value::Int(1));
        assert!(l.set_expiry(b"j", Some(now + 60_000)));
        expire_behind_the_back(&mut l, b"j", now - 1);
        assert!(l.get(b"j").is_none());
        drop(l);
        assert_eq!(ks.db_size(0, None), 0);
    }

    #[tokio::test]
    async fn clients_blocked_on_a_key_are_woken_when_it_expires_or_a_stream_is_replaced() {
        let ks = Keyspace::new(4, 1);
        let keys = [bytes::Bytes::from("k")];
        async fn wait(guard: &super::super::blocking::WaitGuard<'_>) -> bool {
            tokio::time::timeout(std::time::Duration::from_secs(5), guard.waker.notified()).await.is_ok()
        }
        // Gives `k` a deadline already past, behind the commands' back.
        fn expire_now(l: &mut Locked<'_>) {
            assert!(l.set_expiry(b"k", Some(l.now() + 60_000)));
            let now = l.now();
            let (shard, slot) = l.shard_and_slot(b"k");
            if let Some(table) = shard.db_mut(0) {
                table.set_expiry(slot, b"k", Some(now - 1));
            }
        }
        // Lazy expiry, found by a lookup.
        let guard = ks.waiters().register(0, &keys);
        {
            let mut l = ks.lock_key(0, b"k");
            l.set_string(b"k", b"v");
            expire_now(&mut l);
            assert!(!l.exists(b"k"));
        }
        assert!(wait(&guard).await, "woken by the lazy expiry");
        // A stream overwritten by a string.
        {
            let mut l = ks.lock_key(0, b"k");
            l.set(b"k", Value::Stream(Box::default()));
        }
        assert!(wait(&guard).await, "woken by the new stream");
        ks.lock_key(0, b"k").set_string(b"k", b"v");
        assert!(wait(&guard).await, "woken by the stream's overwrite");
        // Active expiry.
        expire_now(&mut ks.lock_key(0, b"k"));
        assert_eq!(ks.active_expire_pass(usize::MAX).expired, 1);
        assert!(wait(&guard).await, "woken by the active expiry");
    }

    #[test]
    fn a_past_deadline_deletes_the_key() {
        let ks = Keyspace::new(4, 1);
        let mut l = ks.lock_key(0, b"k");
        l.set(b"k", Value::Int(1));
        assert!(l.set_expiry(b"k", Some(0)));
        assert!(!l.exists(b"k"));
    }

    #[test]
    fn lock_order_is_ascending_and_deduplicated() {
        let ks = Keyspace::new(16, 1);
        let l = ks.lock_keys(0, [&b"x"[..], b"y", b"x", b"z"]);
        let order: Vec<_> = l.guards.iter().map(|(i, _)| *i).collect();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(order, sorted);
    }
}
