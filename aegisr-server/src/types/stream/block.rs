//! A block of consecutive stream entries, packed into one byte buffer (Redis keeps a
//! listpack per radix-tree node; this is the same idea). IDs are stored as differences from
//! the block's master ID (its first entry's), and an entry whose field names are the
//! block's master fields (those of its first entry) stores only its values.
//!
//! Entry layout: a header byte, then either the values (same fields) or a field count and
//! field/value pairs; every string is a varint length and its bytes. The header holds the
//! flags (deleted, same fields) and the ID as a difference from the previous entry's (the
//! master's for the first): bit 2 says "same millisecond", and bits 3-7 hold the sequence
//! step minus one (same millisecond) or the millisecond step minus one (followed by the
//! sequence as a varint), 31 meaning "a varint follows". IDs made by `*` at any rate thus
//! take one or two bytes. Deleting an entry sets its flag; the bytes stay until the whole
//! block goes, as in Redis.

use super::id::StreamId;

const DELETED: u8 = 1;
const SAME_FIELDS: u8 = 1 << 1;
const SAME_MS: u8 = 1 << 2;
/// The header's 5-bit step field; its largest value means a varint follows.
const STEP_SHIFT: u32 = 3;
const STEP_ESCAPE: u64 = 31;

/// A run of entries sharing a master ID and master fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    master: StreamId,
    /// The ID of the last entry stored (deleted or not).
    last: StreamId,
    /// The master field names: a count, then each name length-prefixed.
    fields: Box<[u8]>,
    data: Vec<u8>,
    live: u32,
    deleted: u32,
}

/// One entry of a block, located; its fields are read on demand.
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    pub id: StreamId,
    block: &'a Block,
    /// Offset of the entry's flags byte.
    at: usize,
    /// Offset of the entry's field data (after the ID).
    body: usize,
}

impl<'a> EntryRef<'a> {
    fn same_fields(&self) -> bool {
        self.block.data[self.at] & SAME_FIELDS != 0
    }

    pub fn is_deleted(&self) -> bool {
        self.block.data[self.at] & DELETED != 0
    }

    /// Number of field/value pairs.
    pub fn pair_count(&self) -> usize {
        if self.same_fields() {
            self.block.master_field_count()
        } else {
            read_varint(&self.block.data, self.body).map_or(0, |(n, _)| n as usize)
        }
    }

    /// The field/value pairs, in insertion order.
    pub fn pairs(&self) -> Pairs<'a> {
        let data = &self.block.data[..];
        if self.same_fields() {
            let (count, names) = read_varint(&self.block.fields, 0).unwrap_or((0, 0));
            Pairs { data, at: self.body, left: count as usize, names: Some((&self.block.fields, names)) }
        } else {
            let (count, at) = read_varint(data, self.body).unwrap_or((0, self.body));
            Pairs { data, at, left: count as usize, names: None }
        }
    }
}

/// The pairs of one entry.
pub struct Pairs<'a> {
    data: &'a [u8],
    at: usize,
    left: usize,
    /// For same-field entries: the master field list and the offset of the next name.
    names: Option<(&'a [u8], usize)>,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let field = match &mut self.names {
            Some((names, at)) => {
                let (field, next) = read_bytes(names, *at)?;
                *at = next;
                field
            }
            None => {
                let (field, next) = read_bytes(self.data, self.at)?;
                self.at = next;
                field
            }
        };
        let (value, next) = read_bytes(self.data, self.at)?;
        self.at = next;
        Some((field, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Pairs<'_> {}

impl Block {
    /// A block whose master entry is `id` with `pairs` (field, value, field, value...).
    pub fn new<B: AsRef<[u8]>>(id: StreamId, pairs: &[B]) -> Block {
        let mut fields = Vec::new();
        write_varint(&mut fields, (pairs.len() / 2) as u64);
        for field in pairs.iter().step_by(2) {
            write_bytes(&mut fields, field.as_ref());
        }
        let mut block = Block { master: id, last: id, fields: fields.into(), data: Vec::new(), live: 0, deleted: 0 };
        block.push(id, pairs);
        block
    }

    pub fn master(&self) -> StreamId {
        self.master
    }

    pub fn last(&self) -> StreamId {
        self.last
    }

    /// Live (not deleted) entries.
    pub fn live(&self) -> usize {
        self.live as usize
    }

    /// Entries stored, deleted ones included.
    pub fn stored(&self) -> usize {
        (self.live + self.deleted) as usize
    }

    /// Bytes of packed data (for the node size limit).
    pub fn bytes(&self) -> usize {
        self.data.len() + self.fields.len()
    }

    /// Heap bytes held (for MEMORY USAGE-like estimates).
    pub fn allocated(&self) -> usize {
        self.data.capacity() + self.fields.len() + std::mem::size_of::<Block>()
    }

    fn master_field_count(&self) -> usize {
        read_varint(&self.fields, 0).map_or(0, |(n, _)| n as usize)
    }

    /// Whether `pairs` has exactly the master field names.
    fn has_master_fields<B: AsRef<[u8]>>(&self, pairs: &[B]) -> bool {
        let Some((count, mut at)) = read_varint(&self.fields, 0) else {
            return false;
        };
        if count as usize != pairs.len() / 2 {
            return false;
        }
        for field in pairs.iter().step_by(2) {
            match read_bytes(&self.fields, at) {
                Some((name, next)) if name == field.as_ref() => at = next,
                _ => return false,
            }
        }
        true
    }

    /// The string bytes of a new entry, as Redis counts them against the node byte limit.
    pub fn encoded_len<B: AsRef<[u8]>>(pairs: &[B]) -> usize {
        pairs.iter().map(|p| p.as_ref().len()).sum()
    }

    /// Appends an entry; `id` must be above every ID in the block and at least the master.
    pub fn push<B: AsRef<[u8]>>(&mut self, id: StreamId, pairs: &[B]) {
        let same = self.has_master_fields(pairs);
        let prev = if self.data.is_empty() { self.before_master() } else { self.last };
        let mut header = if same { SAME_FIELDS } else { 0 };
        let (step, seq) = if id.ms == prev.ms {
            header |= SAME_MS;
            (id.seq.wrapping_sub(prev.seq).wrapping_sub(1), None)
        } else {
            (id.ms - prev.ms - 1, Some(id.seq))
        };
        header |= (step.min(STEP_ESCAPE) as u8) << STEP_SHIFT;
        self.data.push(header);
        if step >= STEP_ESCAPE {
            write_varint(&mut self.data, step - STEP_ESCAPE);
        }
        if let Some(seq) = seq {
            write_varint(&mut self.data, seq);
        }
        if same {
            for value in pairs.iter().skip(1).step_by(2) {
                write_bytes(&mut self.data, value.as_ref());
            }
        } else {
            write_varint(&mut self.data, (pairs.len() / 2) as u64);
            for item in pairs {
                write_bytes(&mut self.data, item.as_ref());
            }
        }
        self.last = id;
        self.live += 1;
    }

    /// Gives back spare capacity once no more entries will be appended.
    pub fn seal(&mut self) {
        self.data.shrink_to_fit();
    }

    /// What the first entry's ID is encoded against: just below the master, so that the
    /// master itself is "the next sequence".
    fn before_master(&self) -> StreamId {
        StreamId::new(self.master.ms, self.master.seq.wrapping_sub(1))
    }

    /// Every entry in order, deleted ones included.
    pub fn entries(&self) -> Entries<'_> {
        Entries { block: self, at: 0, prev: self.before_master() }
    }

    /// The live entries, last first (the block is decoded front to back once).
    pub fn live_entries_rev(&self) -> impl Iterator<Item = EntryRef<'_>> {
        let all: Vec<EntryRef<'_>> = self.entries().filter(|e| !e.is_deleted()).collect();
        all.into_iter().rev()
    }

    /// The live entry `id`, if present.
    pub fn find(&self, id: StreamId) -> Option<EntryRef<'_>> {
        self.entries().take_while(|e| e.id <= id).find(|e| e.id == id && !e.is_deleted())
    }

    /// Marks the live entry `id` deleted; false if there is none.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some(at) = self.find(id).map(|e| e.at) else {
            return false;
        };
        self.mark_deleted(at);
        true
    }

    fn mark_deleted(&mut self, at: usize) {
        self.data[at] |= DELETED;
        self.live -= 1;
        self.deleted += 1;
    }

    /// Deletes live entries from the front: at most `max`, and none from the first entry
    /// (deleted or not) at or above `below`. Returns how many.
    pub fn delete_front(&mut self, max: usize, below: Option<StreamId>) -> usize {
        let mut marked = Vec::new();
        for entry in self.entries() {
            if marked.len() >= max || below.is_some_and(|b| entry.id >= b) {
                break;
            }
            if !entry.is_deleted() {
                marked.push(entry.at);
            }
        }
        for &at in &marked {
            self.mark_deleted(at);
        }
        marked.len()
    }

    /// The first live entry.
    pub fn first_live(&self) -> Option<EntryRef<'_>> {
        self.entries().find(|e| !e.is_deleted())
    }

    /// The last live entry.
    pub fn last_live(&self) -> Option<EntryRef<'_>> {
        self.entries().filter(|e| !e.is_deleted()).last()
    }

    /// Decodes the entry at `at`, which follows the entry `prev`: the entry and the offset
    /// of the next one.
    fn decode(&self, at: usize, prev: StreamId) -> Option<(EntryRef<'_>, usize)> {
        let flags = *self.data.get(at)?;
        let mut body = at + 1;
        let mut step = u64::from(flags >> STEP_SHIFT);
        if step == STEP_ESCAPE {
            let (more, next) = read_varint(&self.data, body)?;
            step = step.wrapping_add(more);
            body = next;
        }
        let id = if flags & SAME_MS != 0 {
            StreamId::new(prev.ms, prev.seq.wrapping_add(1).wrapping_add(step))
        } else {
            let (seq, next) = read_varint(&self.data, body)?;
            body = next;
            StreamId::new(prev.ms.wrapping_add(1).wrapping_add(step), seq)
        };
        let mut end = body;
        let strings = if flags & SAME_FIELDS != 0 {
            self.master_field_count()
        } else {
            let (count, after) = read_varint(&self.data, body)?;
            end = after;
            (count as usize).saturating_mul(2)
        };
        for _ in 0..strings {
            let (_, after) = read_bytes(&self.data, end)?;
            end = after;
        }
        Some((EntryRef { id, block: self, at, body }, end))
    }
}

/// Iterator over a block's entries, deleted ones included.
pub struct Entries<'a> {
    block: &'a Block,
    at: usize,
    /// The ID of the entry before `at`.
    prev: StreamId,
}

impl<'a> Iterator for Entries<'a> {
    type Item = EntryRef<'a>;

    fn next(&mut self) -> Option<EntryRef<'a>> {
        let (entry, next) = self.block.decode(self.at, self.prev)?;
        self.at = next;
        self.prev = entry.id;
        Some(entry)
    }
}

fn write_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn read_varint(data: &[u8], mut at: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = *data.get(at)?;
        at += 1;
        value |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte < 0x80 {
            return Some((value, at));
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn read_bytes(data: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let (len, start) = read_varint(data, at)?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    Some((data.get(start..end)?, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(entry: EntryRef<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
        entry.pairs().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn entries_round_trip_with_shared_and_own_fields() {
        let mut block = Block::new(StreamId::new(10, 5), &[&b"a"[..], b"1", b"b", b"2"]);
        block.push(StreamId::new(10, 6), &[&b"a"[..], b"x", b"b", b"y"]);
        block.push(StreamId::new(12, 0), &[&b"c"[..], b""]);
        block.push(StreamId::new(u64::MAX, u64::MAX), &[&b"a"[..], b"3", b"b", &[b'z'; 300][..]]);
        let ids: Vec<_> = block.entries().map(|e| e.id).collect();
        assert_eq!(
            ids,
            [StreamId::new(10, 5), StreamId::new(10, 6), StreamId::new(12, 0), StreamId::new(u64::MAX, u64::MAX)]
        );
        let all: Vec<_> = block.entries().map(pairs).collect();
        assert_eq!(all[1], [(b"a".to_vec(), b"x".to_vec()), (b"b".to_vec(), b"y".to_vec())]);
        assert_eq!(all[2], [(b"c".to_vec(), b"".to_vec())]);
        assert_eq!(all[3][1].1.len(), 300);
        assert_eq!(block.entries().map(|e| e.pair_count()).collect::<Vec<_>>(), [2, 2, 1, 2]);
        assert_eq!(block.live(), 4);
        assert_eq!(block.last(), StreamId::MAX);
    }

    #[test]
    fn deletion_flags() {
        let mut block = Block::new(StreamId::new(1, 0), &[b"f", b"v"]);
        for seq in 1..5 {
            block.push(StreamId::new(1, seq), &[b"f", b"v"]);
        }
        assert!(block.delete(StreamId::new(1, 2)));
        assert!(!block.delete(StreamId::new(1, 2)));
        assert!(!block.delete(StreamId::new(1, 9)));
        assert!(block.find(StreamId::new(1, 2)).is_none());
        assert_eq!((block.live(), block.stored()), (4, 5));
        assert_eq!(block.delete_front(usize::MAX, Some(StreamId::new(1, 3))), 2);
        assert_eq!(block.delete_front(0, None), 0);
        assert_eq!(block.first_live().map(|e| e.id), Some(StreamId::new(1, 3)));
        assert_eq!(block.last_live().map(|e| e.id), Some(StreamId::new(1, 4)));
        let rev: Vec<_> = block.live_entries_rev().map(|e| e.id.seq).collect();
        assert_eq!(rev, [4, 3]);
    }

    #[test]
    fn same_fields_entries_store_only_values() {
        let mut block = Block::new(StreamId::new(1, 0), &[&b"field-one"[..], b"v"]);
        let before = block.bytes();
        block.push(StreamId::new(1, 1), &[&b"field-one"[..], b"v"]);
        // One header byte (same millisecond, next sequence) and the value.
        assert_eq!(block.bytes() - before, 1 + 2);
    }
}
