//! Software prefetch: a hint to the CPU to start loading a cache line that is about to be
//! read, so the miss overlaps other work instead of stalling it.

/// Starts loading the cache line at `address` into every cache level. Never reads through
/// the pointer: any address, dangling or null, is fine.
#[inline]
pub fn prefetch_read<T>(address: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint that cannot fault and does not access memory
    // architecturally: it is sound for any address, valid or not. SSE is part of x86-64.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(address.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_address_can_be_prefetched() {
        let value = 7u64;
        prefetch_read(&value);
        prefetch_read(std::ptr::null::<u64>());
        prefetch_read(usize::MAX as *const u8);
        // A freed allocation's address.
        let freed = Box::into_raw(Box::new([0u8; 64]));
        // SAFETY: `freed` came from Box::into_raw just above and is freed once.
        drop(unsafe { Box::from_raw(freed) });
        prefetch_read(freed);
        assert_eq!(value, 7);
    }
}
