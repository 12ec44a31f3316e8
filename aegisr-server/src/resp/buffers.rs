//! The read and write buffers of connections that wait. A connection between two batches
//! holds no buffer: it hands its empty input and output buffers to its worker's pool and
//! takes a pair again when its next request arrives. So an idle connection costs no
//! buffer memory (Redis frees an idle client's query buffer after 2 s), and a worker's
//! busy connections reuse the same few buffers, which stay in its cache.

use std::cell::RefCell;

use bytes::BytesMut;

/// The size a buffer starts with: one read's worth.
pub const CHUNK: usize = 16 * 1024;
/// Buffers kept per worker thread: about as many as connections one turn of its loop
/// serves; beyond that they are freed.
const POOL_MAX: usize = 64;
/// A buffer grown past this (a big argument or reply) is freed, not kept; so is one with
/// less than [`CHUNK`] left.
const KEEP_AT_MOST: usize = 4 * CHUNK;

thread_local! {
    static POOL: RefCell<Vec<BytesMut>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of at least [`CHUNK`] bytes: a kept one if there is one.
pub fn take() -> BytesMut {
    let mut buffer = POOL.with_borrow_mut(Vec::pop).unwrap_or_default();
    buffer.reserve(CHUNK);
    buffer
}

/// Gives `buffer` back if it is empty (it is left as it is otherwise): kept for the next
/// [`take`] on this thread, or freed.
pub fn give_back(buffer: &mut BytesMut) {
    if !buffer.is_empty() || buffer.capacity() == 0 {
        return;
    }
    let buffer = std::mem::take(buffer);
    // Under a chunk left: what remains of a buffer whose start went into stored values
    // (arguments are split off, not copied), which may hold a big allocation alive.
    if (CHUNK..=KEEP_AT_MOST).contains(&buffer.capacity()) {
        POOL.with_borrow_mut(|pool| {
            if pool.len() < POOL_MAX {
                pool.push(buffer);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_buffer_is_kept_and_reused_and_a_filled_one_stays() {
        let mut buffer = take();
        assert!(buffer.capacity() >= CHUNK);
        buffer.extend_from_slice(b"half a command");
        give_back(&mut buffer);
        assert_eq!(&buffer[..], b"half a command", "a buffer holding input stays with its connection");
        buffer.clear();
        let address = buffer.as_ptr();
        give_back(&mut buffer);
        assert_eq!(buffer.capacity(), 0);
        assert_eq!(take().as_ptr(), address, "the same allocation comes back");
    }

    #[test]
    fn big_buffers_are_freed_and_the_pool_is_bounded() {
        let mut big = BytesMut::with_capacity(KEEP_AT_MOST * 2);
        give_back(&mut big);
        assert_eq!(big.capacity(), 0);
        assert_eq!(POOL.with_borrow(Vec::len), 0);
        for _ in 0..POOL_MAX + 10 {
            let mut buffer = BytesMut::with_capacity(CHUNK);
            give_back(&mut buffer);
        }
        assert_eq!(POOL.with_borrow(Vec::len), POOL_MAX);
    }
}
