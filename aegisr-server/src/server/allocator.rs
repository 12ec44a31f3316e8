//! The memory allocator: mimalloc for the server binary, wrapped in [`CountingAlloc`], which
//! counts the bytes allocated so INFO's `used_memory` and maxmemory eviction see the heap
//! without asking the operating system. MEMORY PURGE asks mimalloc to return the memory it
//! holds but no longer uses (freed connection buffers, emptied pages) to the operating
//! system, as Redis's MEMORY PURGE does with jemalloc.
//!
//! Counting costs a thread-local add per allocation: each thread keeps its own drift and
//! folds it into the global counter only once it exceeds [`FOLD_BYTES`] either way, so the
//! hot path touches no shared cache line. The global figure is therefore off by at most
//! `FOLD_BYTES` per thread, which [`used`] narrows by adding the calling thread's own drift
//! (the thread that evicts sees its own frees at once).
//!
//! The sizes counted are mimalloc's usable sizes (the size class actually taken), not the
//! sizes asked for, so the count follows what the allocator really holds.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

/// A thread folds its drift into the global count past this many bytes (either sign).
pub const FOLD_BYTES: i64 = 32 * 1024;

/// Bytes allocated, all threads' folded drift together.
static ALLOCATED: AtomicI64 = AtomicI64::new(0);
/// The highest value `ALLOCATED` has reached.
static PEAK: AtomicU64 = AtomicU64::new(0);
/// Whether a [`CountingAlloc`] has counted anything: false in processes (unit tests, tools)
/// whose global allocator is another one, where [`used`] then has no figure.
static ACTIVE: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// This thread's allocations minus its frees since it last folded. A `const` initialised
    /// `Cell` without `Drop`: reading it never allocates nor registers a destructor, so the
    /// allocator can use it, also while the thread is being torn down.
    static DRIFT: Cell<i64> = const { Cell::new(0) };
}

/// Adds `delta` bytes to this thread's drift, folding it into the global count when large.
#[inline]
fn count(delta: i64) {
    let folded = DRIFT.try_with(|drift| {
        let now = drift.get() + delta;
        if (-FOLD_BYTES..=FOLD_BYTES).contains(&now) {
            drift.set(now);
            None
        } else {
            drift.set(0);
            Some(now)
        }
    });
    match folded {
        Ok(None) => {}
        Ok(Some(now)) => fold(now),
        // No thread-local storage any more (thread exit): count globally.
        Err(_) => fold(delta),
    }
}

#[cold]
fn fold(delta: i64) {
    let total = ALLOCATED.fetch_add(delta, Ordering::Relaxed) + delta;
    PEAK.fetch_max(u64::try_from(total).unwrap_or(0), Ordering::Relaxed);
    if !ACTIVE.load(Ordering::Relaxed) {
        ACTIVE.store(true, Ordering::Relaxed);
    }
}

/// Bytes allocated through [`CountingAlloc`] (the global count plus this thread's drift),
/// or `None` when it is not the global allocator.
pub fn used() -> Option<u64> {
    if !ACTIVE.load(Ordering::Relaxed) {
        return None;
    }
    let own = DRIFT.try_with(Cell::get).unwrap_or(0);
    Some(u64::try_from(ALLOCATED.load(Ordering::Relaxed) + own).unwrap_or(0))
}

/// The highest count seen (INFO's `used_memory_peak`), at least `used`.
pub fn peak(used: u64) -> u64 {
    PEAK.fetch_max(used, Ordering::Relaxed).max(used)
}

/// Bytes allocated when the node finished starting (INFO's `used_memory_startup`).
static STARTUP: AtomicU64 = AtomicU64::new(0);

/// Records the current count as the node's start-up footprint.
pub fn mark_startup() {
    STARTUP.store(used().unwrap_or(0), Ordering::Relaxed);
}

pub fn startup() -> u64 {
    STARTUP.load(Ordering::Relaxed)
}

/// mimalloc, counting what it hands out.
pub struct CountingAlloc;

/// The size mimalloc really reserved for `ptr`.
#[inline]
fn usable(ptr: *mut u8) -> i64 {
    // SAFETY: `ptr` is a live block from mimalloc (just allocated, or about to be freed by
    // the caller, which owns it); mi_usable_size only reads the block's page header.
    let size = unsafe { libmimalloc_sys::mi_usable_size(ptr.cast()) };
    i64::try_from(size).unwrap_or(i64::MAX)
}

// SAFETY: every method forwards to mimalloc's GlobalAlloc implementation with the caller's
// own arguments, so it upholds the same contract; the counting around it reads block sizes
// of live blocks only and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        let ptr = unsafe { mimalloc::MiMalloc.alloc(layout) };
        if !ptr.is_null() {
            count(usable(ptr));
        }
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `alloc_zeroed`'s contract.
        let ptr = unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(usable(ptr));
        }
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-usable(ptr));
        // SAFETY: forwarded as is; `ptr` came from this allocator with `layout`.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let before = usable(ptr);
        // SAFETY: forwarded as is; the caller upholds `realloc`'s contract.
        let moved = unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        // On failure the old block is untouched and still counted.
        if !moved.is_null() {
            count(usable(moved) - before);
        }
        moved
    }
}

/// Returns freed memory to the operating system: the calling thread's heap and any
/// abandoned pages (mimalloc heaps are per thread; the others purge on their own schedule).
pub fn purge() {
    // SAFETY: mi_collect takes no pointers; it only walks mimalloc's own heaps, and is safe
    // to call from any thread at any time (also when mimalloc is not the global allocator:
    // it then has nothing to collect).
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// Turns transparent huge pages off for the whole process (`disable-thp`, as Redis does with
/// the same call), or leaves them to the system's setting. With huge pages, mimalloc's
/// partly used 2 MB pages stay resident in full: 4 KB pages keep resident memory close to
/// what the keys take.
pub fn disable_transparent_huge_pages(disable: bool) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_THP_DISABLE takes integers only and changes one flag of this
        // process's memory map; no memory is read or written through the arguments.
        let rc = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, libc::c_ulong::from(disable), 0, 0, 0) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = disable;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_can_be_called_any_time() {
        let data = vec![0u8; 1 << 20];
        drop(data);
        super::purge();
        super::purge();
    }

    /// The test binary's global allocator is the system's, so the wrapper is called
    /// directly: allocations raise the count by at least their size, frees and shrinking
    /// reallocations give it back, and what a thread leaves unfolded stays within a fold.
    #[test]
    fn counting_alloc_counts_allocations_and_frees() {
        let a = CountingAlloc;
        let base = used_now();
        let layout = Layout::from_size_align(1 << 20, 16).unwrap();
        // SAFETY: a non-zero-size layout; every block is freed once below with its layout.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            let grown = used_now() - base;
            // mimalloc rounds a large block up to its size class (an eighth at most).
            assert!((1 << 20..=(1 << 20) * 9 / 8).contains(&grown), "{grown}");
            let q = a.realloc(p, layout, 1 << 10);
            assert!(!q.is_null());
            let small = Layout::from_size_align(1 << 10, 16).unwrap();
            assert!((used_now() - base) < 64 * 1024, "shrunk");
            a.dealloc(q, small);
            let z = a.alloc_zeroed(layout);
            assert!(!z.is_null() && *z == 0 && *z.add((1 << 20) - 1) == 0);
            a.dealloc(z, layout);
            // Many small blocks: counted by their usable size, folded as they go.
            let tiny = Layout::from_size_align(24, 8).unwrap();
            let blocks: Vec<*mut u8> = (0..10_000).map(|_| a.alloc(tiny)).collect();
            let held = used_now() - base;
            assert!((24 * 10_000..=32 * 10_000 + 1024).contains(&held), "{held}");
            for b in blocks {
                a.dealloc(b, tiny);
            }
        }
        assert_eq!(used_now(), base, "everything given back");
        assert!(used().is_some(), "a fold happened, so the counter reports");
        assert!(peak(0) >= 1 << 20);
    }

    /// Global count plus this thread's drift, as `used` reports it (whatever the flag).
    fn used_now() -> i64 {
        ALLOCATED.load(Ordering::Relaxed) + DRIFT.with(Cell::get)
    }
}
