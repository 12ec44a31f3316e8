//! The memory allocator: mimalloc for the server binary. MEMORY PURGE asks it to return
//! the memory it holds but no longer uses (freed connection buffers, emptied pages) to the
//! operating system, as Redis's MEMORY PURGE does with jemalloc.

/// Returns freed memory to the operating system: the calling thread's heap and any
/// abandoned pages (mimalloc heaps are per thread; the others purge on their own schedule).
pub fn purge() {
    // SAFETY: mi_collect takes no pointers; it only walks mimalloc's own heaps, and is safe
    // to call from any thread at any time (also when mimalloc is not the global allocator:
    // it then has nothing to collect).
    unsafe { libmimalloc_sys::mi_collect(true) };
}

#[cfg(test)]
mod tests {
    #[test]
    fn purge_can_be_called_any_time() {
        let data = vec![0u8; 1 << 20];
        drop(data);
        super::purge();
        super::purge();
    }
}
