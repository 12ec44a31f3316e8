//! Per-command call counts, errors and latency histograms.
//!
//! Every thread that runs commands records into a slot of its own (found through a
//! thread-local), with plain relaxed loads and stores: one writer per slot, so no atomic
//! read-modify-write, no lock, no shared cache line on the hot path. Readers (INFO, the
//! Prometheus endpoint, the Admin stream) add the slots up. CONFIG RESETSTAT does not
//! touch the slots (a writer could overwrite a reset); it records the totals at that
//! moment as a baseline that later reads subtract.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;

use super::histogram::BUCKETS;
use crate::commands::table::{self, CommandSpec};

/// Every command and subcommand, in a fixed order, and each one's position in it.
struct Index {
    specs: Vec<&'static CommandSpec>,
    /// By the spec's address: the specs `resolve` returns are those of the table itself.
    by_address: HashMap<usize, usize, foldhash::fast::RandomState>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let specs: Vec<&'static CommandSpec> =
        table::all().into_iter().flat_map(|c| std::iter::once(c).chain(c.subcommands.iter())).collect();
    let by_address = specs.iter().enumerate().map(|(i, s)| (std::ptr::from_ref(*s) as usize, i)).collect();
    Index { specs, by_address }
});

/// Builds the command index (done at start, not on the first command).
pub fn prepare() {
    LazyLock::force(&INDEX);
}

thread_local! {
    /// The command this thread recorded last and its position: a pipeline repeats one
    /// command, and comparing an address is cheaper than hashing it.
    static LAST_INDEX: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// The position of `spec` in the statistics.
pub fn index_of(spec: &'static CommandSpec) -> Option<usize> {
    let address = std::ptr::from_ref(spec) as usize;
    let (last, index) = LAST_INDEX.with(std::cell::Cell::get);
    if last == address {
        return Some(index);
    }
    let index = INDEX.by_address.get(&address).copied()?;
    LAST_INDEX.with(|last| last.set((address, index)));
    Some(index)
}

/// One command's counters in one slot.
#[repr(align(64))]
struct Cell {
    calls: AtomicU64,
    nanos: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
    latency: [AtomicU64; BUCKETS],
}

impl Default for Cell {
    fn default() -> Cell {
        Cell {
            calls: AtomicU64::new(0),
            nanos: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            latency: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// Adds to a counter only this thread writes: a load and a store, not a locked add.
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
}

/// One thread's counters for every command.
struct Slot {
    cells: Box<[Cell]>,
}

/// What became of one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Ran; `failures` of its replies were errors as Redis counts them (one for any number
    /// of errors it produced, plus one per error of a command it called that a script
    /// passed on): `failed_calls` grows by that much.
    Ran { failures: u64 },
    /// Refused before running (arity, not allowed now): not a call.
    Rejected,
}

/// One command's totals.
#[derive(Debug, Clone)]
pub struct CommandTotals {
    pub name: &'static str,
    pub calls: u64,
    pub nanos: u64,
    pub rejected: u64,
    pub failed: u64,
    pub latency: Box<[u64; BUCKETS]>,
}

impl CommandTotals {
    fn zero(name: &'static str) -> CommandTotals {
        CommandTotals { name, calls: 0, nanos: 0, rejected: 0, failed: 0, latency: Box::new([0; BUCKETS]) }
    }

    pub fn usec(&self) -> u64 {
        self.nanos / 1000
    }

    /// Whether this command was ever called or refused since the last reset.
    pub fn seen(&self) -> bool {
        self.calls > 0 || self.rejected > 0
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's slot in each `CommandStats` it has recorded into (one, but for tests
    /// running several nodes in one process).
    static SLOTS: RefCell<Vec<(u64, Arc<Slot>)>> = const { RefCell::new(Vec::new()) };
}

/// The node's per-command statistics.
pub struct CommandStats {
    id: u64,
    slots: Mutex<Vec<Arc<Slot>>>,
    baseline: Mutex<Option<Vec<CommandTotals>>>,
}

impl Default for CommandStats {
    fn default() -> Self {
        CommandStats::new()
    }
}

impl CommandStats {
    pub fn new() -> CommandStats {
        CommandStats {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            slots: Mutex::new(Vec::new()),
            baseline: Mutex::new(None),
        }
    }

    /// Records one command run on this thread; its latency too if `track_latency`
    /// (`latency-tracking`).
    pub fn record(&self, index: usize, nanos: u64, outcome: Outcome, track_latency: bool) {
        self.with_slot(|slot| {
            let Some(cell) = slot.cells.get(index) else { return };
            let failures = match outcome {
                Outcome::Rejected => {
                    bump(&cell.rejected, 1);
                    return;
                }
                Outcome::Ran { failures } => failures,
            };
            bump(&cell.calls, 1);
            bump(&cell.nanos, nanos);
            if track_latency {
                bump(&cell.latency[super::histogram::bucket_of(nanos)], 1);
            }
            if failures > 0 {
                bump(&cell.failed, failures);
            }
        });
    }

    fn with_slot(&self, record: impl FnOnce(&Slot)) {
        SLOTS.with(|slots| {
            let mut slots = slots.borrow_mut();
            if let Some((_, slot)) = slots.iter().find(|(id, _)| *id == self.id) {
                record(slot);
                return;
            }
            // First command on this thread: make its slot, and forget the slots of nodes
            // that are gone (only this thread still holds them).
            slots.retain(|(_, slot)| Arc::strong_count(slot) > 1);
            let slot = Arc::new(Slot { cells: (0..INDEX.specs.len()).map(|_| Cell::default()).collect() });
            self.slots.lock().push(slot.clone());
            record(&slot);
            slots.push((self.id, slot));
        });
    }

    fn raw_totals(&self) -> Vec<CommandTotals> {
        let mut totals: Vec<CommandTotals> = INDEX.specs.iter().map(|s| CommandTotals::zero(s.name)).collect();
        for slot in self.slots.lock().iter() {
            for (total, cell) in totals.iter_mut().zip(slot.cells.iter()) {
                total.calls += cell.calls.load(Ordering::Relaxed);
                total.nanos += cell.nanos.load(Ordering::Relaxed);
                total.rejected += cell.rejected.load(Ordering::Relaxed);
                total.failed += cell.failed.load(Ordering::Relaxed);
                for (sum, count) in total.latency.iter_mut().zip(cell.latency.iter()) {
                    *sum += count.load(Ordering::Relaxed);
                }
            }
        }
        totals
    }

    /// Every command's totals since the start or the last reset, in table order.
    pub fn totals(&self) -> Vec<CommandTotals> {
        let mut totals = self.raw_totals();
        if let Some(baseline) = &*self.baseline.lock() {
            for (total, base) in totals.iter_mut().zip(baseline) {
                total.calls = total.calls.saturating_sub(base.calls);
                total.nanos = total.nanos.saturating_sub(base.nanos);
                total.rejected = total.rejected.saturating_sub(base.rejected);
                total.failed = total.failed.saturating_sub(base.failed);
                for (sum, b) in total.latency.iter_mut().zip(base.latency.iter()) {
                    *sum = sum.saturating_sub(*b);
                }
            }
        }
        totals
    }

    /// The totals of the commands called or refused since the last reset.
    pub fn seen(&self) -> Vec<CommandTotals> {
        self.totals().into_iter().filter(CommandTotals::seen).collect()
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        let raw = self.raw_totals();
        *self.baseline.lock() = Some(raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_across_threads_and_reset() {
        let stats = Arc::new(CommandStats::new());
        let get = index_of(table::lookup(b"get").unwrap()).unwrap();
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let stats = stats.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        stats.record(get, 2_000, Outcome::Ran { failures: 0 }, true);
                    }
                    stats.record(get, 5_000, Outcome::Ran { failures: 1 }, true);
                    stats.record(get, 0, Outcome::Rejected, true);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let seen = stats.seen();
        assert_eq!(seen.len(), 1);
        let g = &seen[0];
        assert_eq!((g.name, g.calls, g.failed, g.rejected), ("get", 3003, 3, 3));
        assert_eq!(g.usec(), 3 * (1000 * 2 + 5));
        assert_eq!(g.latency.iter().sum::<u64>(), 3003);
        stats.reset();
        assert!(stats.seen().is_empty());
        stats.record(get, 1_000, Outcome::Ran { failures: 0 }, true);
        assert_eq!(stats.seen()[0].calls, 1);
    }

    #[test]
    fn subcommands_have_their_own_index() {
        let config = table::lookup(b"config").unwrap();
        let get = config.subcommand(b"get").unwrap();
        assert_ne!(index_of(config), index_of(get));
        assert!(index_of(get).is_some());
    }
}
