//! Which threads are running a client's command right now, so a script starts only once
//! the commands already past the BUSY check have finished.
//!
//! A client's command checks whether a script runs before it locks the shards it needs.
//! Without this, a script could take every shard between that check and the command's
//! lock, and the command would wait, blocking its worker thread, until the script ended:
//! possibly never, if the script loops until SCRIPT KILL, which that worker could then not
//! read. So a command marks its thread as admitted before the check, and a script about to
//! run marks itself running and then waits for every other thread's mark to clear (a
//! command that saw no script only has its own work left), before taking the shards.
//!
//! The two sides are the two halves of Dekker's protocol: each writes its flag, then reads
//! the other's, both sequentially consistent, so at least one of them sees the other.
//! Each thread has a counter on a cache line of its own: the hot path writes nothing
//! another thread writes.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counters; threads past this many share them (counting keeps sharing correct).
const SLOTS: usize = 64;

/// How long a script waits for admitted commands before it goes ahead anyway: they finish
/// in microseconds, unless one waits on something else (then the script must not wait on it).
const PATIENCE: Duration = Duration::from_millis(100);

#[repr(align(64))]
#[derive(Default)]
struct Slot(AtomicU32);

/// See the module docs.
pub struct Admission {
    slots: [Slot; SLOTS],
}

impl Default for Admission {
    fn default() -> Admission {
        Admission { slots: std::array::from_fn(|_| Slot::default()) }
    }
}

thread_local! {
    static THREAD_SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

/// This thread's counter.
fn thread_slot() -> usize {
    THREAD_SLOT.with(|slot| {
        if slot.get() == usize::MAX {
            slot.set(NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % SLOTS);
        }
        slot.get()
    })
}

/// A command admitted on this thread; dropping it ends the admission.
pub struct Admitted<'a> {
    slot: &'a AtomicU32,
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.slot.fetch_sub(1, Ordering::Release);
    }
}

impl Admission {
    /// Marks a command running on this thread. The caller then checks for a script with a
    /// sequentially consistent load.
    pub fn enter(&self) -> Admitted<'_> {
        let slot = &self.slots[thread_slot()].0;
        slot.fetch_add(1, Ordering::SeqCst);
        Admitted { slot }
    }

    /// For a script that has just marked itself running: waits until no other thread has
    /// a command admitted (see the module docs). Blocks, briefly. False if it gave up.
    pub fn wait_for_others(&self) -> bool {
        let own = thread_slot();
        let deadline = Instant::now() + PATIENCE;
        let mut spins = 0u32;
        while self.slots.iter().enumerate().any(|(i, slot)| i != own && slot.0.load(Ordering::SeqCst) != 0) {
            if Instant::now() >= deadline {
                tracing::debug!("a script starts while another thread's command is still admitted");
                return false;
            }
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_script_waits_for_admitted_commands_of_other_threads() {
        let admission = Arc::new(Admission::default());
        // This thread's own admission does not hold it up.
        let own = admission.enter();
        assert!(admission.wait_for_others());
        drop(own);

        let (entered_tx, entered_rx) = std::sync::mpsc::channel();
        let (leave_tx, leave_rx) = std::sync::mpsc::channel::<()>();
        // A counter of its own (threads beyond SLOTS share them, and other tests take some).
        let other_slot = (thread_slot() + 1) % SLOTS;
        let other = {
            let admission = admission.clone();
            std::thread::spawn(move || {
                THREAD_SLOT.with(|slot| slot.set(other_slot));
                let admitted = admission.enter();
                entered_tx.send(()).unwrap();
                leave_rx.recv().unwrap();
                drop(admitted);
            })
        };
        entered_rx.recv().unwrap();
        // Another thread's command holds it up until its patience runs out.
        let started = Instant::now();
        assert!(!admission.wait_for_others());
        assert!(started.elapsed() >= PATIENCE);
        leave_tx.send(()).unwrap();
        other.join().unwrap();
        assert!(admission.wait_for_others());
        assert!(admission.slots.iter().all(|s| s.0.load(Ordering::SeqCst) == 0));
    }
}
