//! The value codec: one byte format for every data type, used by DUMP/RESTORE, snapshot
//! files and backups.
//!
//! The format describes the data, not the in-memory representation: a hash is its pairs
//! whether it is a listpack or a table, a set its members whatever its encoding. Decoding
//! picks the representation the engine would pick for the same data under the configured
//! `*-max-listpack-*` / `*-max-intset-*` limits ([`Limits`]), as Redis's RDB loading does, so
//! `OBJECT ENCODING` after a round trip is what Redis reports for the same data.
//!
//! Layout: a one-byte type tag, then the body. Lengths and counts are LEB128 varints, byte
//! strings a varint length and the raw bytes, floats their 8 IEEE bytes little-endian
//! (bit-exact: -0.0, infinities), signed integers zigzag varints.
//!
//! | tag | type | body |
//! | --- | --- | --- |
//! | 0 | string holding an integer | zigzag `i64` |
//! | 1 | other string (HyperLogLogs included) | bytes |
//! | 2 | list | count, then each element's bytes, head to tail |
//! | 3 | hash | pair count, then field bytes, value bytes |
//! | 4 | set | count, then each member's bytes |
//! | 5 | sorted set | count, then member bytes and score `f64`, ascending |
//! | 6 | Bloom filter | items, expansion (0: non-scaling), sub-filter count, then each sub-filter: capacity, error `f64`, hashes, items, word count, words (`u64` LE) |
//! | 7 | stream | entry count, then each entry: ms step from the previous ID, seq, pair count, field/value bytes; then the last ID, the largest deleted ID, entries added; then the groups: count, then each: name, last-delivered ID, entries-read (zigzag), consumer count, then each consumer: name, seen-time (zigzag), pending count, then each pending entry: ID, delivery time (zigzag), delivery count |
//!
//! Decoding never trusts the input: every length is checked against the bytes left before
//! anything is allocated for it, duplicates and misordered entries are refused (they would
//! break the engine's invariants), trailing bytes are an error. Values do not contain
//! values, so there is no nesting to bound.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::config::ConfigStore;
use crate::types::bloom::OwnedSubFilter;
use crate::types::list::{self, listpack_entry_size};
use crate::types::listpack::put_varint;
use crate::types::set::SetLimits;
use crate::types::stream::{Consumer, NewId, Pending, StreamId, StreamLimits};
use crate::types::zset::{ZSetLimits, encode_score, entry_cmp};
use crate::types::{Hash, List, ScalableBloom, Set, Stream, Value, ValueRef, ZSet, hash};

/// Version of the value encoding; written in DUMP payloads and snapshot headers.
pub const CODEC_VERSION: u16 = 1;

pub(crate) const TAG_INT: u8 = 0;
pub(crate) const TAG_STR: u8 = 1;
pub(crate) const TAG_LIST: u8 = 2;
pub(crate) const TAG_HASH: u8 = 3;
pub(crate) const TAG_SET: u8 = 4;
pub(crate) const TAG_ZSET: u8 = 5;
pub(crate) const TAG_BLOOM: u8 = 6;
pub(crate) const TAG_STREAM: u8 = 7;

/// What was wrong and at which byte offset (Display gives a one-line message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value encoding: {what} at byte {offset}")]
pub struct CodecError {
    /// Offset in the input where the problem was found.
    pub offset: usize,
    pub what: &'static str,
}

/// The thresholds that choose each type's representation, from the config (the same
/// options the commands read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub list: list::Limit,
    pub hash: hash::Limits,
    pub set: SetLimits,
    pub zset: ZSetLimits,
    pub stream: StreamLimits,
}

impl Default for Limits {
    /// Redis's defaults.
    fn default() -> Limits {
        Limits {
            list: list::Limit::from_fill(-2),
            hash: hash::Limits::new(512, 64),
            set: SetLimits::default(),
            zset: ZSetLimits::default(),
            stream: StreamLimits::default(),
        }
    }
}

impl Limits {
    /// The limits currently configured.
    pub fn from_config(config: &ConfigStore) -> Limits {
        let get = |name: &str| usize::try_from(config.i64(name)).unwrap_or(0);
        Limits {
            list: list::Limit::from_fill(config.i64("list-max-listpack-size")),
            hash: hash::Limits::new(config.i64("hash-max-listpack-entries"), config.i64("hash-max-listpack-value")),
            set: SetLimits {
                max_intset_entries: get("set-max-intset-entries"),
                max_listpack_entries: get("set-max-listpack-entries"),
                max_listpack_value: get("set-max-listpack-value"),
            },
            zset: ZSetLimits {
                max_listpack_entries: get("zset-max-listpack-entries"),
                max_listpack_value: get("zset-max-listpack-value"),
            },
            stream: StreamLimits {
                node_max_entries: get("stream-node-max-entries"),
                node_max_bytes: get("stream-node-max-bytes"),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------

pub(crate) fn put_u64(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

pub(crate) fn put_len(out: &mut Vec<u8>, n: usize) {
    put_u64(out, n as u64);
}

pub(crate) fn put_i64(out: &mut Vec<u8>, n: i64) {
    put_u64(out, ((n << 1) ^ (n >> 63)) as u64);
}

pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

pub(crate) fn put_f64(out: &mut Vec<u8>, x: f64) {
    out.extend_from_slice(&x.to_bits().to_le_bytes());
}

pub(crate) fn put_id(out: &mut Vec<u8>, id: StreamId) {
    put_u64(out, id.ms);
    put_u64(out, id.seq);
}

/// Appends the encoding of `value` to `out`.
pub fn encode_value(value: ValueRef<'_>, out: &mut Vec<u8>) {
    match value {
        ValueRef::Int(n) => {
            out.push(TAG_INT);
            put_i64(out, n);
        }
        ValueRef::Str(s) => {
            out.reserve(s.len() + 6);
            out.push(TAG_STR);
            put_bytes(out, s);
        }
        ValueRef::List(l) => {
            out.push(TAG_LIST);
            put_len(out, l.len());
            for elem in l.iter() {
                put_bytes(out, elem);
            }
        }
        ValueRef::Hash(h) => {
            out.push(TAG_HASH);
            put_len(out, h.len());
            for (field, value) in h.iter() {
                put_bytes(out, field);
                put_bytes(out, value);
            }
        }
        ValueRef::Set(s) => {
            out.push(TAG_SET);
            put_len(out, s.len());
            for member in s.iter() {
                member.with_bytes(|b| put_bytes(out, b));
            }
        }
        ValueRef::ZSet(z) => {
            out.push(TAG_ZSET);
            put_len(out, z.len());
            for (member, score) in z.iter_from(0, false) {
                put_bytes(out, member);
                put_f64(out, score);
            }
        }
        ValueRef::Bloom(b) => encode_bloom(b, out),
        ValueRef::Stream(s) => encode_stream(s, out),
    }
}

fn encode_bloom(b: &ScalableBloom, out: &mut Vec<u8>) {
    out.push(TAG_BLOOM);
    put_u64(out, b.items());
    put_u64(out, b.expansion().map_or(0, u64::from));
    let filters = b.sub_filters();
    put_len(out, filters.len());
    for f in filters {
        put_u64(out, f.capacity);
        put_f64(out, f.error);
        put_u64(out, u64::from(f.hashes));
        put_u64(out, f.items);
        put_len(out, f.words.len());
        out.reserve(f.words.len() * 8);
        for word in f.words {
            out.extend_from_slice(&word.to_le_bytes());
        }
    }
}

fn encode_stream(s: &Stream, out: &mut Vec<u8>) {
    out.push(TAG_STREAM);
    let entries = s.range(StreamId::MIN, StreamId::MAX, false, 0);
    put_len(out, entries.len());
    let mut prev = StreamId::MIN;
    for entry in &entries {
        // Entries ascend, so the millisecond step is never negative.
        put_u64(out, entry.id.ms.wrapping_sub(prev.ms));
        put_u64(out, entry.id.seq);
        put_len(out, entry.pair_count());
        for (field, value) in entry.pairs() {
            put_bytes(out, field);
            put_bytes(out, value);
        }
        prev = entry.id;
    }
    put_id(out, s.last_id());
    put_id(out, s.max_deleted_id());
    put_u64(out, s.entries_added());
    let groups = s.groups();
    put_len(out, groups.len());
    for (name, group) in groups {
        put_bytes(out, name);
        put_id(out, group.last_id);
        put_i64(out, group.entries_read);
        put_len(out, group.consumers.len());
        for (consumer_name, consumer) in &group.consumers {
            put_bytes(out, consumer_name);
            put_i64(out, consumer.seen_time);
            // Every pending entry belongs to exactly one consumer: stored under it, the
            // ownership cannot be inconsistent after decoding.
            let pending: Vec<(StreamId, &Pending)> =
                consumer.pending.iter().filter_map(|id| group.pel.get(id).map(|p| (*id, p))).collect();
            put_len(out, pending.len());
            for (id, p) in pending {
                put_id(out, id);
                put_i64(out, p.delivery_time);
                put_u64(out, p.delivery_count);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

/// A cursor over the input; every read is bounds-checked.
#[derive(Clone)]
struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

type Result<T> = std::result::Result<T, CodecError>;

impl<'a> Reader<'a> {
    fn new(input: &'a [u8]) -> Reader<'a> {
        Reader { input, pos: 0 }
    }

    fn error(&self, what: &'static str) -> CodecError {
        CodecError { offset: self.pos, what }
    }

    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    fn u8(&mut self) -> Result<u8> {
        let byte = *self.input.get(self.pos).ok_or_else(|| self.error("unexpected end"))?;
        self.pos += 1;
        Ok(byte)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.error("length past the end"));
        }
        let bytes = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn u64(&mut self) -> Result<u64> {
        let start = self.pos;
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            // The tenth byte may only carry the top bit.
            if shift == 63 && bits > 1 {
                self.pos = start;
                return Err(self.error("varint overflows 64 bits"));
            }
            n |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(n);
            }
        }
        self.pos = start;
        Err(self.error("varint too long"))
    }

    fn i64(&mut self) -> Result<i64> {
        let z = self.u64()?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    fn u32(&mut self) -> Result<u32> {
        let start = self.pos;
        let n = self.u64()?;
        u32::try_from(n).map_err(|_| CodecError { offset: start, what: "number out of range" })
    }

    /// A count of things that each take at least `min_size` bytes: refused when the input
    /// left could not hold them, so no allocation sized by it can exceed the input.
    fn count(&mut self, min_size: usize) -> Result<usize> {
        let start = self.pos;
        let n = self.u64()?;
        match usize::try_from(n) {
            Ok(n) if n.checked_mul(min_size).is_some_and(|bytes| bytes <= self.remaining()) => Ok(n),
            _ => Err(CodecError { offset: start, what: "count larger than the input" }),
        }
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.count(1)?;
        self.take(n)
    }

    fn f64(&mut self) -> Result<f64> {
        let bytes = self.take(8)?;
        let mut buf = [0u8; 8];
        buf.copy_from_slice(bytes);
        Ok(f64::from_bits(u64::from_le_bytes(buf)))
    }

    fn id(&mut self) -> Result<StreamId> {
        Ok(StreamId::new(self.u64()?, self.u64()?))
    }
}

/// Decodes one value that fills `input` exactly (trailing bytes are an error), in the
/// representations Redis's default limits choose. Use [`decode_value_with`] with
/// [`Limits::from_config`] to honour the configured limits.
pub fn decode_value(input: &[u8]) -> std::result::Result<Value, CodecError> {
    decode_value_with(input, &Limits::default())
}

/// Decodes one value that fills `input` exactly, in the representations `limits` choose.
pub fn decode_value_with(input: &[u8], limits: &Limits) -> std::result::Result<Value, CodecError> {
    let mut r = Reader::new(input);
    let value = match r.u8()? {
        TAG_INT => Value::Int(r.i64()?),
        TAG_STR => Value::from_vec(r.bytes()?.to_vec()),
        TAG_LIST => Value::List(decode_list(&mut r, limits.list)?),
        TAG_HASH => Value::Hash(decode_hash(&mut r, limits.hash)?),
        TAG_SET => Value::Set(decode_set(&mut r, &limits.set)?),
        TAG_ZSET => Value::ZSet(decode_zset(&mut r, &limits.zset)?),
        TAG_BLOOM => Value::Bloom(Box::new(decode_bloom(&mut r)?)),
        TAG_STREAM => Value::Stream(Box::new(decode_stream(&mut r, limits.stream)?)),
        _ => {
            r.pos = 0;
            return Err(r.error("unknown type tag"));
        }
    };
    if r.remaining() != 0 {
        return Err(r.error("trailing bytes"));
    }
    Ok(value)
}

/// An aggregate's element count: at least one (the engine never stores an empty
/// aggregate; Redis refuses them too), each element at least `min_size` bytes.
fn aggregate_count(r: &mut Reader<'_>, min_size: usize) -> Result<usize> {
    let start = r.pos;
    match r.count(min_size)? {
        0 => Err(CodecError { offset: start, what: "empty aggregate" }),
        n => Ok(n),
    }
}

/// Reads `count` byte strings, checking them; returns the input span they occupy.
fn skip_strings(r: &mut Reader<'_>, count: usize, mut each: impl FnMut(&[u8])) -> Result<std::ops::Range<usize>> {
    let start = r.pos;
    for _ in 0..count {
        each(r.bytes()?);
    }
    Ok(start..r.pos)
}

/// True when two of `items` are equal. Small aggregates (the listpack ones) are compared
/// pairwise without allocating; larger ones sorted.
fn has_duplicates<'a>(count: usize, items: impl Iterator<Item = &'a [u8]> + Clone) -> bool {
    if count <= 16 {
        let mut rest = items;
        while let Some(item) = rest.next() {
            if rest.clone().any(|other| other == item) {
                return true;
            }
        }
        return false;
    }
    let mut sorted: Vec<&[u8]> = items.collect();
    sorted.sort_unstable();
    sorted.windows(2).any(|w| w[0] == w[1])
}

/// The fields of a hash body already checked by [`decode_hash`].
fn hash_fields(body: &[u8], count: usize) -> impl Iterator<Item = &[u8]> + Clone {
    let mut again = Reader::new(body);
    (0..count).map_while(move |_| {
        let field = again.bytes().ok()?;
        again.bytes().ok()?;
        Some(field)
    })
}

fn decode_list(r: &mut Reader<'_>, limit: list::Limit) -> Result<List> {
    let count = aggregate_count(r, 1)?;
    // A first pass checks the elements and sizes the list as a real listpack, to choose
    // the representation as Redis does when loading: a listpack if one would hold it all.
    let mut lp_bytes = 0usize;
    let span = skip_strings(r, count, |e| lp_bytes = lp_bytes.saturating_add(listpack_entry_size(e)))?;
    let mut list = List::new();
    list.prepare_growth(lp_bytes, count, limit);
    let mut again = Reader::new(&r.input[span]);
    for _ in 0..count {
        list.push(list::End::Right, again.bytes()?);
    }
    Ok(list)
}

fn decode_hash(r: &mut Reader<'_>, limits: hash::Limits) -> Result<Hash> {
    let at = r.pos;
    let count = aggregate_count(r, 2)?;
    let mut longest = 0usize;
    let span = skip_strings(r, count * 2, |s| longest = longest.max(s.len()))?;
    let duplicate = CodecError { offset: at, what: "duplicate hash field" };
    if count <= limits.entries && longest <= limits.value {
        // The pairs are already in listpack element layout (varint length, bytes): the
        // listpack is the count and a copy of them.
        let body = &r.input[span];
        if has_duplicates(count, hash_fields(body, count)) {
            return Err(duplicate);
        }
        let mut lp = Vec::with_capacity(body.len() + 10);
        put_varint(&mut lp, count * 2);
        lp.extend_from_slice(body);
        return Ok(Hash::from_packed(&lp));
    }
    let mut h = Hash::new();
    // Zero limits: the first insert converts to the table form, which this hash needs.
    let table = hash::Limits { entries: 0, value: 0 };
    let mut again = Reader::new(&r.input[span]);
    for _ in 0..count {
        let (field, value) = (again.bytes()?, again.bytes()?);
        if !h.insert(field, value, table) {
            return Err(duplicate);
        }
    }
    Ok(h)
}

fn decode_set(r: &mut Reader<'_>, limits: &SetLimits) -> Result<Set> {
    let at = r.pos;
    let count = aggregate_count(r, 1)?;
    let span = skip_strings(r, count, |_| {})?;
    let mut again = Reader::new(&r.input[span.clone()]);
    let first = Reader::new(&r.input[span]).bytes()?;
    // Created and filled as SADD with all the members would (Redis's loading does the
    // same conversions member by member).
    let mut set = Set::for_members(Some(first), count, limits);
    for _ in 0..count {
        if !set.insert(again.bytes()?, limits) {
            return Err(CodecError { offset: at, what: "duplicate set member" });
        }
    }
    Ok(set)
}

fn decode_zset(r: &mut Reader<'_>, limits: &ZSetLimits) -> Result<ZSet> {
    let at = r.pos;
    let count = aggregate_count(r, 9)?;
    let start = r.pos;
    let mut longest = 0usize;
    let mut prev: Option<(&[u8], f64)> = None;
    for _ in 0..count {
        let member = r.bytes()?;
        let score = r.f64()?;
        if score.is_nan() {
            return Err(r.error("NaN score"));
        }
        if prev.is_some_and(|(m, s)| entry_cmp(s, m, score, member) != std::cmp::Ordering::Less) {
            return Err(r.error("sorted set entries out of order"));
        }
        longest = longest.max(member.len());
        prev = Some((member, score));
    }
    let body = &r.input[start..r.pos];
    let duplicate = CodecError { offset: at, what: "duplicate sorted set member" };
    let entries = |body| zset_entries(body, count);
    if count <= limits.max_listpack_entries && longest <= limits.max_listpack_value {
        if has_duplicates(count, entries(body).map(|(m, _)| m)) {
            return Err(duplicate);
        }
        // Built directly in the engine's listpack layout: member, then the packed score.
        let mut lp = Vec::with_capacity(body.len() + 10);
        put_varint(&mut lp, count * 2);
        for (member, score) in entries(body) {
            put_varint(&mut lp, member.len());
            lp.extend_from_slice(member);
            // -0 is stored as 0, as the engine stores every score.
            let (bytes, len) = encode_score(if score == 0.0 { 0.0 } else { score });
            put_varint(&mut lp, len);
            lp.extend_from_slice(&bytes[..len]);
        }
        return Ok(ZSet::from_packed(&lp));
    }
    let mut z = ZSet::for_members(count, longest, limits);
    for (member, score) in entries(body) {
        if z.set_score(member, score, limits).is_some() {
            return Err(duplicate);
        }
    }
    Ok(z)
}

/// The (member, score) pairs of a sorted set body already checked by [`decode_zset`].
fn zset_entries(body: &[u8], count: usize) -> impl Iterator<Item = (&[u8], f64)> + Clone {
    let mut again = Reader::new(body);
    (0..count).map_while(move |_| Some((again.bytes().ok()?, again.f64().ok()?)))
}

fn decode_bloom(r: &mut Reader<'_>) -> Result<ScalableBloom> {
    let at = r.pos;
    let items = r.u64()?;
    let expansion = match r.u32()? {
        0 => None,
        n => Some(n),
    };
    // Each sub-filter takes at least 13 bytes (capacity, error, hashes, items, words).
    let count = r.count(13)?;
    let mut filters = Vec::with_capacity(count);
    for _ in 0..count {
        let capacity = r.u64()?;
        let error = r.f64()?;
        let hashes = r.u32()?;
        let filter_items = r.u64()?;
        let words = r.count(8)?;
        let bytes = r.take(words * 8)?;
        let words: Box<[u64]> = bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        filters.push(OwnedSubFilter { words, capacity, error, hashes, items: filter_items });
    }
    ScalableBloom::from_parts(filters, items, expansion)
        .ok_or(CodecError { offset: at, what: "inconsistent Bloom filter" })
}

fn decode_stream(r: &mut Reader<'_>, limits: StreamLimits) -> Result<Stream> {
    // An entry takes at least 5 bytes: two ID varints, a pair count, one field and value.
    let count = r.count(5)?;
    let mut stream = Stream::new();
    let mut pairs: Vec<&[u8]> = Vec::new();
    let mut prev = StreamId::MIN;
    for _ in 0..count {
        let at = r.pos;
        let ms = prev.ms.checked_add(r.u64()?).ok_or_else(|| r.error("stream ID overflows"))?;
        let id = StreamId::new(ms, r.u64()?);
        let pair_count = r.count(2)?;
        if pair_count == 0 {
            return Err(r.error("stream entry without fields"));
        }
        pairs.clear();
        for _ in 0..pair_count * 2 {
            pairs.push(r.bytes()?);
        }
        stream
            .add(NewId::Explicit(id), &pairs, 0, limits)
            .map_err(|_| CodecError { offset: at, what: "stream IDs not ascending" })?;
        prev = id;
    }
    let at = r.pos;
    let (last_id, max_deleted, entries_added) = (r.id()?, r.id()?, r.u64()?);
    if !stream.restore_counters(last_id, max_deleted, entries_added) {
        return Err(CodecError { offset: at, what: "inconsistent stream counters" });
    }
    // A group takes at least 5 bytes: name, two ID varints, entries read, consumer count.
    let groups = r.count(5)?;
    for _ in 0..groups {
        let at = r.pos;
        let name = r.bytes()?;
        let last_delivered = r.id()?;
        let entries_read = r.i64()?;
        if entries_read < crate::types::stream::ENTRIES_READ_UNKNOWN {
            return Err(r.error("negative entries-read"));
        }
        if !stream.create_group(name, last_delivered, entries_read) {
            return Err(CodecError { offset: at, what: "duplicate consumer group" });
        }
        let group = stream.group_mut(name).ok_or(CodecError { offset: at, what: "consumer group lost" })?;
        let consumers = r.count(3)?;
        for _ in 0..consumers {
            let at = r.pos;
            let consumer_name: Arc<[u8]> = Arc::from(r.bytes()?);
            let seen_time = r.i64()?;
            if group.consumers.contains_key(&consumer_name) {
                return Err(CodecError { offset: at, what: "duplicate consumer" });
            }
            let mut pending = BTreeSet::new();
            let entries = r.count(4)?;
            for _ in 0..entries {
                let at = r.pos;
                let id = r.id()?;
                let delivery_time = r.i64()?;
                let delivery_count = r.u64()?;
                if group.pel.contains_key(&id) {
                    return Err(CodecError { offset: at, what: "entry pending twice" });
                }
                group.pel.insert(id, Pending { consumer: consumer_name.clone(), delivery_time, delivery_count });
                pending.insert(id);
            }
            group.consumers.insert(consumer_name, Consumer { seen_time, pending });
        }
    }
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::list::End;
    use crate::types::stream::Group;

    fn encode(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode_value(ValueRef::from(value), &mut out);
        out
    }

    /// Encodes, decodes, and checks the value came back equal, re-encodes identically,
    /// and has the representation `encoding`.
    fn round_trip(value: &Value, limits: &Limits, encoding: &str) -> Value {
        let bytes = encode(value);
        let back = decode_value_with(&bytes, limits).unwrap();
        assert_eq!(encode(&back), bytes, "re-encoding differs");
        assert_eq!(back.encoding(), encoding);
        assert_eq!(back.kind(), value.kind());
        back
    }

    fn list_of(n: usize, elem: impl Fn(usize) -> Vec<u8>, limit: list::Limit) -> Value {
        let mut l = List::new();
        for i in 0..n {
            let e = elem(i);
            l.prepare_growth(e.len(), 1, limit);
            l.push(End::Right, &e);
        }
        Value::List(l)
    }

    fn hash_of(n: usize, value_len: usize, limits: hash::Limits) -> Value {
        let mut h = Hash::new();
        for i in 0..n {
            h.insert(format!("field:{i}").as_bytes(), &vec![b'v'; value_len], limits);
        }
        Value::Hash(h)
    }

    fn set_of(members: &[Vec<u8>], limits: &SetLimits) -> Value {
        let mut s = Set::for_members(members.first().map(|m| &m[..]), members.len(), limits);
        for m in members {
            s.insert(m, limits);
        }
        Value::Set(s)
    }

    fn zset_of(entries: &[(f64, Vec<u8>)], limits: &ZSetLimits) -> Value {
        let longest = entries.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        let mut z = ZSet::for_members(entries.len(), longest, limits);
        for (score, member) in entries {
            z.set_score(member, *score, limits);
        }
        Value::ZSet(z)
    }

    fn sample_stream() -> Stream {
        let limits = StreamLimits { node_max_entries: 3, node_max_bytes: 4096 };
        let mut s = Stream::new();
        for i in 1..=10u64 {
            let pairs: Vec<Vec<u8>> = if i % 4 == 0 {
                vec![b"other".to_vec(), i.to_string().into_bytes(), b"x".to_vec(), vec![0, 255, 10]]
            } else {
                vec![b"field".to_vec(), i.to_string().into_bytes()]
            };
            s.add(NewId::Explicit(StreamId::new(1_000 + i * 7, i % 3)), &pairs, 0, limits).unwrap();
        }
        assert!(s.delete(StreamId::new(1_000 + 3 * 7, 0)));
        s.set_id(StreamId::new(5_000, 9), Some(42), None).unwrap();
        assert!(s.create_group(b"g1", StreamId::new(1_000 + 5 * 7, 2), 5));
        assert!(s.create_group(b"g2", StreamId::MIN, ENTRIES_READ_UNKNOWN));
        assert!(s.create_group(b"empty", StreamId::new(7, 7), 0));
        let g: &mut Group = s.group_mut(b"g1").unwrap();
        let (alice, _) = g.consumer(b"alice", 1_700_000_000_123);
        let (bob, _) = g.consumer(b"bob", -5);
        g.create_consumer(b"idle", 99);
        for (i, who) in [(1u64, &alice), (2, &bob), (5, &alice)] {
            let p = g.assign(StreamId::new(1_000 + i * 7, i % 3), who, 1_700_000_000_000 + i as i64);
            p.delivery_count = i * 3;
        }
        // A pending entry whose stream entry was deleted stays pending, as in Redis.
        g.assign(StreamId::new(1_000 + 3 * 7, 0), &bob, 12).delivery_count = 1;
        s
    }

    use crate::types::stream::ENTRIES_READ_UNKNOWN;

    fn sample_bloom(scaling: bool) -> ScalableBloom {
        let mut bf = ScalableBloom::new(10, 0.01, scaling.then_some(2), u64::MAX / 2).unwrap();
        for i in 0..if scaling { 100 } else { 10 } {
            bf.add(format!("item{i}").as_bytes(), u64::MAX / 2).unwrap();
        }
        bf
    }

    /// One value of every type and representation, for the mutation tests.
    fn samples() -> Vec<Value> {
        let d = Limits::default();
        vec![
            Value::Int(-12345),
            Value::Str(b"hello world".to_vec()),
            list_of(5, |i| format!("e{i}").into_bytes(), d.list),
            list_of(300, |i| vec![b'x'; i % 40], d.list),
            hash_of(4, 5, d.hash),
            hash_of(3, 100, d.hash),
            set_of(&[b"3".to_vec(), b"-7".to_vec(), b"100".to_vec()], &d.set),
            set_of(&[b"a".to_vec(), b"b".to_vec(), b"1".to_vec()], &d.set),
            zset_of(&[(1.5, b"a".to_vec()), (f64::INFINITY, b"b".to_vec()), (-3.0, b"c".to_vec())], &d.zset),
            zset_of(&[(1.0, vec![b'm'; 70]), (2.0, b"short".to_vec())], &d.zset),
            Value::Bloom(Box::new(sample_bloom(true))),
            Value::Stream(Box::new(sample_stream())),
        ]
    }

    #[test]
    fn strings() {
        let d = Limits::default();
        for n in [0, 1, -1, 63, -64, 64, 10_000, i64::MAX, i64::MIN] {
            assert_eq!(round_trip(&Value::Int(n), &d, "int"), Value::Int(n));
        }
        assert_eq!(encode(&Value::Int(5)), [TAG_INT, 10]);
        for s in [&b""[..], b"a", b"007", b"-0", b"1 ", &[0u8, 255, 13, 10], &[b'y'; 44]] {
            assert_eq!(round_trip(&Value::Str(s.to_vec()), &d, "embstr"), Value::Str(s.to_vec()));
        }
        let big = vec![0xa5u8; 1 << 20];
        assert_eq!(round_trip(&Value::Str(big.clone()), &d, "raw"), Value::Str(big));
        // A string holding a canonical integer comes back as an integer, as Redis loads it.
        assert_eq!(decode_value(&encode(&Value::Str(b"123".to_vec()))).unwrap(), Value::Int(123));
    }

    #[test]
    fn lists_choose_the_representation_by_the_limit() {
        let d = Limits::default();
        let small = list_of(10, |i| format!("elem{i}").into_bytes(), d.list);
        assert_eq!(round_trip(&small, &d, "listpack"), small);
        let ints = list_of(100, |i| (i as i64 * 1_000_003 - 50_000_000).to_string().into_bytes(), d.list);
        assert_eq!(round_trip(&ints, &d, "listpack"), ints);
        let big = list_of(5_000, |i| format!("element number {i}").into_bytes(), d.list);
        assert_eq!(big.encoding(), "quicklist");
        assert_eq!(round_trip(&big, &d, "quicklist"), big);
        let one_huge = list_of(1, |_| vec![7u8; 100_000], d.list);
        assert_eq!(round_trip(&one_huge, &d, "quicklist"), one_huge);
        // A count limit (list-max-listpack-size 4).
        let counted = Limits { list: list::Limit::from_fill(4), ..d };
        assert_eq!(round_trip(&small, &counted, "quicklist"), small);
        let four = list_of(4, |i| vec![b'a' + i as u8], d.list);
        assert_eq!(round_trip(&four, &counted, "listpack"), four);
        // Exactly at the byte limit (-2: 8 KiB): what pushing the elements would give.
        for n in [813, 814, 815, 816] {
            let built = list_of(n, |_| b"abcdefgh".to_vec(), d.list);
            round_trip(&built, &d, built.encoding());
        }
    }

    #[test]
    fn hashes_in_both_forms() {
        let d = Limits::default();
        let small = hash_of(20, 10, d.hash);
        assert_eq!(round_trip(&small, &d, "listpack"), small);
        let long_value = hash_of(2, 65, d.hash);
        assert_eq!(round_trip(&long_value, &d, "hashtable"), long_value);
        let at_limit = hash_of(512, 64, d.hash);
        assert_eq!(round_trip(&at_limit, &d, "listpack"), at_limit);
        let many = hash_of(513, 1, d.hash);
        assert_eq!(round_trip(&many, &d, "hashtable"), many);
        let big = hash_of(20_000, 3, d.hash);
        assert_eq!(round_trip(&big, &d, "hashtable"), big);
        // The configured limits decide, not the form the value had.
        let tight = Limits { hash: hash::Limits::new(5, 64), ..d };
        assert_eq!(round_trip(&small, &tight, "hashtable"), small);
        let mut shrunk = hash_of(600, 1, d.hash);
        if let Value::Hash(h) = &mut shrunk {
            for i in 3..600 {
                h.remove(format!("field:{i}").as_bytes());
            }
        }
        assert_eq!(shrunk.encoding(), "hashtable");
        assert_eq!(round_trip(&shrunk, &d, "listpack"), shrunk);
        // Insertion order of a listpack hash is kept.
        let back = decode_value(&encode(&small)).unwrap();
        let Value::Hash(h) = back else { panic!("not a hash") };
        let fields: Vec<Vec<u8>> = h.iter().map(|(f, _)| f.to_vec()).collect();
        let expected: Vec<Vec<u8>> = (0..20).map(|i| format!("field:{i}").into_bytes()).collect();
        assert_eq!(fields, expected);
    }

    #[test]
    fn sets_in_all_three_forms() {
        let d = Limits::default();
        let ints: Vec<Vec<u8>> = (0..512).map(|i: i64| (i * 7919 - 1_000_000).to_string().into_bytes()).collect();
        let intset = set_of(&ints, &d.set);
        assert_eq!(round_trip(&intset, &d, "intset"), intset);
        let extreme = set_of(&[i64::MIN.to_string().into_bytes(), i64::MAX.to_string().into_bytes()], &d.set);
        assert_eq!(round_trip(&extreme, &d, "intset"), extreme);
        let too_many: Vec<Vec<u8>> = (0..513).map(|i: i64| i.to_string().into_bytes()).collect();
        let big_ints = set_of(&too_many, &d.set);
        assert_eq!(round_trip(&big_ints, &d, "hashtable"), big_ints);
        let words: Vec<Vec<u8>> = (0..128).map(|i| format!("w{i}").into_bytes()).collect();
        let listpack = set_of(&words, &d.set);
        assert_eq!(round_trip(&listpack, &d, "listpack"), listpack);
        let mixed = set_of(&[b"1".to_vec(), b"x".to_vec()], &d.set);
        assert_eq!(round_trip(&mixed, &d, "listpack"), mixed);
        let long = set_of(&[vec![b'l'; 65]], &d.set);
        assert_eq!(round_trip(&long, &d, "hashtable"), long);
        let many: Vec<Vec<u8>> = (0..10_000).map(|i| format!("member:{i}").into_bytes()).collect();
        let table = set_of(&many, &d.set);
        assert_eq!(round_trip(&table, &d, "hashtable"), table);
        let no_intsets = Limits { set: SetLimits { max_intset_entries: 2, ..d.set }, ..d };
        assert_eq!(round_trip(&intset, &no_intsets, "hashtable"), intset);
    }

    #[test]
    fn sorted_sets_keep_scores_bit_exact() {
        let d = Limits::default();
        let scores = [
            0.0,
            1.0,
            -1.0,
            0.1,
            1e-300,
            f64::MIN_POSITIVE / 4.0,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            4_503_599_627_370_497.0,
            -123_456_789.0,
        ];
        let entries: Vec<(f64, Vec<u8>)> =
            scores.iter().enumerate().map(|(i, s)| (*s, format!("m{i}").into_bytes())).collect();
        let small = zset_of(&entries, &d.zset);
        let back = round_trip(&small, &d, "listpack");
        assert_eq!(back, small);
        let forced = Limits { zset: ZSetLimits { max_listpack_entries: 0, max_listpack_value: 0 }, ..d };
        let skip = round_trip(&small, &forced, "skiplist");
        for value in [&back, &skip] {
            let Value::ZSet(z) = value else { panic!("not a zset") };
            for (score, member) in &entries {
                assert_eq!(z.score(member).map(f64::to_bits), Some(score.to_bits()), "{score}");
            }
        }
        // -0 is stored as 0 by the engine; a payload carrying -0 decodes to 0 too.
        let mut bytes = vec![TAG_ZSET, 1, 1, b'z'];
        bytes.extend_from_slice(&(-0.0f64).to_bits().to_le_bytes());
        for limits in [&d, &forced] {
            let Value::ZSet(z) = decode_value_with(&bytes, limits).unwrap() else { panic!("not a zset") };
            assert_eq!(z.score(b"z").map(f64::to_bits), Some(0.0f64.to_bits()));
        }
        let big: Vec<(f64, Vec<u8>)> = (0..5_000).map(|i| (f64::from(i % 97), format!("k{i}").into_bytes())).collect();
        let big = zset_of(&big, &d.zset);
        assert_eq!(round_trip(&big, &d, "skiplist"), big);
        let long_member = zset_of(&[(1.0, vec![b'q'; 65])], &d.zset);
        assert_eq!(round_trip(&long_member, &d, "skiplist"), long_member);
    }

    #[test]
    fn bloom_filters_keep_every_layer() {
        let d = Limits::default();
        for scaling in [true, false] {
            let bf = sample_bloom(scaling);
            let value = Value::Bloom(Box::new(bf.clone()));
            let Value::Bloom(back) = round_trip(&value, &d, "raw") else { panic!("not a bloom") };
            assert_eq!(*back, bf);
            assert_eq!(
                (back.items(), back.capacity(), back.filter_count(), back.expansion()),
                (bf.items(), bf.capacity(), bf.filter_count(), bf.expansion())
            );
            assert!((0..10).all(|i| back.contains(format!("item{i}").as_bytes())));
        }
        assert!(sample_bloom(true).filter_count() > 2);
    }

    #[test]
    fn streams_keep_entries_counters_and_groups() {
        let d = Limits::default();
        let s = sample_stream();
        let Value::Stream(back) = round_trip(&Value::Stream(Box::new(s.clone())), &d, "stream") else {
            panic!("not a stream")
        };
        assert_eq!(back.len(), s.len());
        assert_eq!(back.last_id(), s.last_id());
        assert_eq!(back.first_id(), s.first_id());
        assert_eq!(back.max_deleted_id(), s.max_deleted_id());
        assert_eq!(back.entries_added(), s.entries_added());
        type Pairs = Vec<(Vec<u8>, Vec<u8>)>;
        let ids = |s: &Stream| -> Vec<(StreamId, Pairs)> {
            s.range(StreamId::MIN, StreamId::MAX, false, 0)
                .iter()
                .map(|e| (e.id, e.pairs().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()))
                .collect()
        };
        assert_eq!(ids(&back), ids(&s));
        let groups: Vec<(&[u8], &Group)> = back.groups().collect();
        let original: Vec<(&[u8], &Group)> = s.groups().collect();
        assert_eq!(groups, original);
        // Consumers and the PEL share one name allocation again.
        let g = back.group(b"g1").unwrap();
        for p in g.pel.values() {
            let (name, _) = g.consumers.get_key_value(&p.consumer).unwrap();
            assert!(Arc::ptr_eq(name, &p.consumer));
        }
        // An empty stream with groups (XGROUP CREATE ... MKSTREAM, or everything deleted).
        let mut empty = Stream::new();
        empty.create_group(b"g", StreamId::new(5, 5), 3);
        round_trip(&Value::Stream(Box::new(empty)), &d, "stream");
        round_trip(&Value::Stream(Box::new(Stream::new())), &d, "stream");
    }

    /// Decoding speed for a snapshot-like mix (run with `--ignored --nocapture`, in
    /// release for meaningful figures).
    #[test]
    #[ignore]
    fn decode_speed() {
        let d = Limits::default();
        let mix = [
            encode(&Value::Str(b"value:0000000001:abcdefgh".to_vec())),
            encode(&Value::Int(1234567)),
            encode(&hash_of(5, 8, d.hash)),
            encode(&zset_of(&[(1.0, b"a".to_vec()), (2.0, b"b".to_vec()), (3.0, b"c".to_vec())], &d.zset)),
            encode(&set_of(&[b"1".to_vec(), b"2".to_vec(), b"3".to_vec()], &d.set)),
            encode(&list_of(5, |i| format!("e{i}").into_bytes(), d.list)),
        ];
        let started = std::time::Instant::now();
        let n = 1_100_000;
        let mut kept = 0usize;
        for i in 0..n {
            kept += decode_value_with(&mix[i % mix.len()], &d).map_or(0, |v| v.kind() as usize);
        }
        eprintln!("decoded {n} values in {:?} ({kept})", started.elapsed());
    }

    #[test]
    fn structural_errors_are_reported_with_offsets() {
        let err = |bytes: &[u8]| decode_value(bytes).unwrap_err();
        assert_eq!(err(&[]).what, "unexpected end");
        assert_eq!(err(&[99]), CodecError { offset: 0, what: "unknown type tag" });
        assert_eq!(err(&[TAG_INT, 2, 0]), CodecError { offset: 2, what: "trailing bytes" });
        assert_eq!(err(&[TAG_STR, 5, b'a']).what, "count larger than the input");
        assert_eq!(err(&[TAG_LIST, 0]).what, "empty aggregate");
        assert_eq!(
            err(&[TAG_INT, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).what,
            "varint overflows 64 bits"
        );
        // Counts far beyond the input are refused before anything is allocated.
        let mut huge = vec![TAG_LIST];
        put_u64(&mut huge, u64::MAX / 2);
        assert_eq!(err(&huge).what, "count larger than the input");
        assert_eq!(err(&[TAG_SET, 2, 1, b'a', 1, b'a']).what, "duplicate set member");
        assert_eq!(err(&[TAG_HASH, 2, 1, b'f', 0, 1, b'f', 0]).what, "duplicate hash field");
        let mut z = vec![TAG_ZSET, 2];
        for (m, s) in [(b'a', 2.0f64), (b'b', 1.0)] {
            z.extend_from_slice(&[1, m]);
            z.extend_from_slice(&s.to_bits().to_le_bytes());
        }
        assert_eq!(err(&z).what, "sorted set entries out of order");
        let mut nan = vec![TAG_ZSET, 1, 1, b'a'];
        nan.extend_from_slice(&f64::NAN.to_bits().to_le_bytes());
        assert_eq!(err(&nan).what, "NaN score");
        assert!(err(&[TAG_STR, 1]).to_string().starts_with("invalid value encoding: "));
    }

    #[test]
    fn damaged_encodings_fail_cleanly() {
        let d = Limits::default();
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        let mut checked = 0;
        for value in samples() {
            let bytes = encode(&value);
            assert!(decode_value_with(&bytes, &d).is_ok());
            // Every truncation is an error (the format has no optional tail).
            for cut in 0..bytes.len() {
                assert!(decode_value_with(&bytes[..cut], &d).is_err(), "cut at {cut} of {:?}", value.kind());
            }
            // Trailing garbage is an error.
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(decode_value_with(&longer, &d).is_err());
            // Bit flips, byte replacements, insertions and deletions never panic; whatever
            // decodes is a consistent value (it encodes and decodes again).
            for _ in 0..600 {
                let mut mutated = bytes.clone();
                for _ in 0..rng.usize(1..4) {
                    let at = rng.usize(..mutated.len());
                    match rng.u8(..4) {
                        0 => mutated[at] ^= 1 << rng.u8(..8),
                        1 => mutated[at] = rng.u8(..),
                        2 => mutated.insert(at, rng.u8(..)),
                        _ => {
                            mutated.remove(at);
                        }
                    }
                    if mutated.is_empty() {
                        break;
                    }
                }
                if let Ok(decoded) = decode_value_with(&mutated, &d) {
                    let again = encode(&decoded);
                    assert!(decode_value_with(&again, &d).is_ok());
                }
                checked += 1;
            }
        }
        assert!(checked >= 5_000);
        // Random bytes after each tag.
        for _ in 0..4_000 {
            let mut bytes = vec![rng.u8(..9)];
            bytes.extend((0..rng.usize(..64)).map(|_| rng.u8(..)));
            let _ = decode_value_with(&bytes, &d);
        }
    }
}
