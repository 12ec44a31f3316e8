//! Shards held for a transaction. EXEC locks every shard its queued commands (and watched
//! keys) need, once, in ascending order; each queued command then borrows those shards
//! instead of locking them, so the whole transaction is atomic and cannot deadlock.

use std::cell::Cell;
use std::ops::{Deref, DerefMut};

use parking_lot::MutexGuard;

use super::keyspace::{Shard, ShardIndex};

/// The shards a transaction holds, lent to one command (or keyspace walk) at a time.
pub struct HeldShards<'a> {
    /// A `Vec`, not a `SmallVec`: its drop must not touch the borrowed shards, so the
    /// holder can be borrowed for as long as the shards themselves.
    shards: Vec<(ShardIndex, Cell<Option<&'a mut Shard>>)>,
}

/// Where a keyspace operation takes its shards from: `None` locks them, `Some` borrows them
/// from the transaction that holds them.
pub type Tx<'a> = Option<&'a HeldShards<'a>>;

impl<'a> HeldShards<'a> {
    /// Lends out `guards` (already locked in ascending order).
    pub(crate) fn new(guards: &'a mut [(ShardIndex, MutexGuard<'_, Shard>)]) -> HeldShards<'a> {
        HeldShards { shards: guards.iter_mut().map(|(i, g)| (*i, Cell::new(Some(&mut **g)))).collect() }
    }

    /// A holder over shards already borrowed (a script run inside EXEC re-lends the
    /// transaction's shards, taken out with [`HeldShards::take_all`]).
    pub(crate) fn from_shards(shards: impl IntoIterator<Item = (ShardIndex, &'a mut Shard)>) -> HeldShards<'a> {
        HeldShards { shards: shards.into_iter().map(|(i, s)| (i, Cell::new(Some(s)))).collect() }
    }

    /// Takes every shard not lent out of the holder; give them back with
    /// [`HeldShards::give_back`].
    pub(crate) fn take_all(&self) -> Vec<(ShardIndex, &'a mut Shard)> {
        self.shards.iter().filter_map(|(i, cell)| cell.take().map(|s| (*i, s))).collect()
    }

    /// Returns shards taken with [`HeldShards::take_all`].
    pub(crate) fn give_back(&self, shards: Vec<(ShardIndex, &'a mut Shard)>) {
        for (index, shard) in shards {
            if let Some((_, cell)) = self.shards.iter().find(|(i, _)| *i == index) {
                cell.set(Some(shard));
            }
        }
    }

    fn lend(&'a self, index: ShardIndex) -> Option<ShardRef<'a>> {
        let (_, cell) = self.shards.iter().find(|(i, _)| *i == index)?;
        match cell.take() {
            Some(shard) => Some(ShardRef::Lent { shard: Some(shard), home: cell }),
            // Two live borrows of one shard would be a deadlock outside a transaction.
            None => panic!("engine invariant: shard {index} borrowed twice"),
        }
    }
}

/// A shard as an operation holds it: locked by the operation, or lent by the transaction.
pub(crate) enum ShardRef<'a> {
    Locked(MutexGuard<'a, Shard>),
    Lent { shard: Option<&'a mut Shard>, home: &'a Cell<Option<&'a mut Shard>> },
}

impl<'a> ShardRef<'a> {
    /// Shard `index` (whose mutex is `lock`): borrowed from `tx` when it holds it, else locked now.
    pub(crate) fn acquire(lock: &'a parking_lot::Mutex<Shard>, index: ShardIndex, tx: Tx<'a>) -> ShardRef<'a> {
        match tx.and_then(|held| held.lend(index)) {
            Some(lent) => lent,
            None => {
                debug_assert!(tx.is_none(), "a transaction must hold every shard its commands use ({index})");
                ShardRef::Locked(lock.lock())
            }
        }
    }
}

impl Deref for ShardRef<'_> {
    type Target = Shard;

    fn deref(&self) -> &Shard {
        match self {
            ShardRef::Locked(guard) => guard,
            ShardRef::Lent { shard: Some(shard), .. } => shard,
            ShardRef::Lent { shard: None, .. } => unreachable!("a lent shard is only given back on drop"),
        }
    }
}

impl DerefMut for ShardRef<'_> {
    fn deref_mut(&mut self) -> &mut Shard {
        match self {
            ShardRef::Locked(guard) => &mut *guard,
            ShardRef::Lent { shard: Some(shard), .. } => shard,
            ShardRef::Lent { shard: None, .. } => unreachable!("a lent shard is only given back on drop"),
        }
    }
}

impl Drop for ShardRef<'_> {
    fn drop(&mut self) {
        if let ShardRef::Lent { shard, home } = self {
            home.set(shard.take());
        }
    }
}
