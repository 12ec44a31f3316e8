//! A double-ended queue kept in fixed-size chunks, for large lists (Redis keeps a large
//! list as a chain of listpack nodes for the same reason).
//!
//! A `VecDeque` grows by doubling: the push that finds a deque of a million elements full
//! copies all of them into a new buffer twice the size, stalling its shard (and the worker
//! running it) for tens of milliseconds. Here a push at either end at most starts a new
//! chunk of [`CHUNK`] elements; nothing already stored moves.
//!
//! Every chunk but the first and the last is full, so the chunk holding an index is found
//! by division, and LINDEX/LSET stay O(1). A chunk grows as a `VecDeque` does, doubling up
//! to [`CHUNK`] (a power of two, so a full chunk wastes nothing): a list just past the
//! listpack limit, or a short end chunk, holds no more room than twice its elements.

use std::collections::VecDeque;
use std::collections::vec_deque;
use std::iter::Flatten;

/// Elements per chunk (small in unit tests, so they cross chunk boundaries).
const CHUNK: usize = if cfg!(test) { 4 } else { 128 };

/// See the module docs.
#[derive(Debug, Clone)]
pub struct ChunkedDeque<T> {
    chunks: VecDeque<VecDeque<T>>,
    len: usize,
}

impl<T> Default for ChunkedDeque<T> {
    fn default() -> ChunkedDeque<T> {
        ChunkedDeque { chunks: VecDeque::new(), len: 0 }
    }
}

impl<T> ChunkedDeque<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push_front(&mut self, value: T) {
        if self.chunks.front().is_none_or(|chunk| chunk.len() == CHUNK) {
            self.chunks.push_front(VecDeque::new());
        }
        if let Some(chunk) = self.chunks.front_mut() {
            chunk.push_front(value);
            self.len += 1;
        }
    }

    pub fn push_back(&mut self, value: T) {
        if self.chunks.back().is_none_or(|chunk| chunk.len() == CHUNK) {
            self.chunks.push_back(VecDeque::new());
        }
        if let Some(chunk) = self.chunks.back_mut() {
            chunk.push_back(value);
            self.len += 1;
        }
    }

    pub fn pop_front(&mut self) -> Option<T> {
        let chunk = self.chunks.front_mut()?;
        let value = chunk.pop_front()?;
        if chunk.is_empty() {
            self.chunks.pop_front();
        }
        self.len -= 1;
        Some(value)
    }

    pub fn pop_back(&mut self) -> Option<T> {
        let chunk = self.chunks.back_mut()?;
        let value = chunk.pop_back()?;
        if chunk.is_empty() {
            self.chunks.pop_back();
        }
        self.len -= 1;
        Some(value)
    }

    /// The chunk and the position in it of element `index` (which must be `< len`).
    fn locate(&self, index: usize) -> (usize, usize) {
        let first = self.chunks.front().map_or(0, VecDeque::len);
        if index < first {
            (0, index)
        } else {
            let rest = index - first;
            (1 + rest / CHUNK, rest % CHUNK)
        }
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        if index >= self.len {
            return None;
        }
        let (chunk, at) = self.locate(index);
        self.chunks.get(chunk)?.get(at)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        if index >= self.len {
            return None;
        }
        let (chunk, at) = self.locate(index);
        self.chunks.get_mut(chunk)?.get_mut(at)
    }

    /// The elements front to back.
    pub fn iter(&self) -> Iter<'_, T> {
        self.range(0, self.len)
    }

    /// `count` elements from `start` on (fewer past the end).
    pub fn range(&self, start: usize, count: usize) -> Iter<'_, T> {
        let remaining = count.min(self.len.saturating_sub(start));
        if remaining == 0 {
            return Iter { head: Default::default(), rest: self.chunks.range(0..0).flatten(), remaining: 0 };
        }
        let (chunk, at) = self.locate(start);
        Iter {
            head: self.chunks.get(chunk).map_or_else(Default::default, |c| c.range(at..)),
            rest: self.chunks.range((chunk + 1).min(self.chunks.len())..).flatten(),
            remaining,
        }
    }

    /// The elements back to front.
    pub fn iter_rev(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().rev().flat_map(|chunk| chunk.iter().rev())
    }

    /// The elements in one `VecDeque`, for an edit in the middle (then collected back).
    pub fn into_vec_deque(self) -> VecDeque<T> {
        let mut all = VecDeque::with_capacity(self.len);
        for chunk in self.chunks {
            all.extend(chunk);
        }
        all
    }
}

impl<T> FromIterator<T> for ChunkedDeque<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> ChunkedDeque<T> {
        let mut deque = ChunkedDeque::default();
        for item in items {
            deque.push_back(item);
        }
        deque
    }
}

/// The elements of a [`ChunkedDeque`] in order: the rest of a first chunk, then whole ones.
pub struct Iter<'a, T> {
    head: vec_deque::Iter<'a, T>,
    rest: Flatten<vec_deque::Iter<'a, VecDeque<T>>>,
    remaining: usize,
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        self.head.next().or_else(|| self.rest.next())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Push(bool, u32),
        Pop(bool),
        Set(usize, u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (any::<bool>(), any::<u32>()).prop_map(|(front, v)| Op::Push(front, v)),
            2 => any::<bool>().prop_map(Op::Pop),
            1 => (0usize..40, any::<u32>()).prop_map(|(i, v)| Op::Set(i, v)),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_vecdeque(ops in prop::collection::vec(op(), 1..200)) {
            let mut deque = ChunkedDeque::default();
            let mut model = VecDeque::new();
            for op in ops {
                match op {
                    Op::Push(true, v) => { deque.push_front(v); model.push_front(v); }
                    Op::Push(false, v) => { deque.push_back(v); model.push_back(v); }
                    Op::Pop(true) => prop_assert_eq!(deque.pop_front(), model.pop_front()),
                    Op::Pop(false) => prop_assert_eq!(deque.pop_back(), model.pop_back()),
                    Op::Set(i, v) => {
                        let got = deque.get_mut(i).map(|slot| *slot = v).is_some();
                        let want = model.get_mut(i).map(|slot| *slot = v).is_some();
                        prop_assert_eq!(got, want);
                    }
                }
                prop_assert_eq!(deque.len(), model.len());
                prop_assert!(deque.iter().eq(model.iter()));
                prop_assert_eq!(deque.iter().len(), model.len());
                prop_assert!(deque.iter_rev().eq(model.iter().rev()));
                for i in 0..model.len() + 2 {
                    prop_assert_eq!(deque.get(i), model.get(i));
                }
                for (start, count) in [(0, 3), (1, 5), (3, 100), (model.len(), 1)] {
                    prop_assert!(deque.range(start, count).eq(model.iter().skip(start).take(count)));
                }
                prop_assert_eq!(deque.clone().into_vec_deque(), model.clone());
            }
        }
    }

    #[test]
    fn middle_chunks_stay_full() {
        let mut deque: ChunkedDeque<usize> = (0..CHUNK * 5 + 1).collect();
        for i in 0..CHUNK + 2 {
            deque.push_front(i);
            deque.pop_back();
        }
        let lens: Vec<usize> = deque.chunks.iter().map(VecDeque::len).collect();
        assert!(lens[1..lens.len() - 1].iter().all(|&n| n == CHUNK), "{lens:?}");
    }
}
