//! Reading Redis's RDB values, as its DUMP payloads carry them (RESTORE, MIGRATE from a
//! Redis). Every encoding of RDB versions up to 11 is read: plain, ziplist, listpack,
//! intset, zipmap, quicklist, LZF-compressed and integer-encoded strings, the three stream
//! layouts. Each value is transcoded into the value codec's bytes and built by its decoder
//! (`persist::codec`), which checks what the engine relies on (no empty aggregates, no
//! duplicates, streams in order) exactly as for Aegisr's own payloads. Module values
//! (RedisBloom's filters among them) are refused.

use std::borrow::Cow;
use std::collections::HashMap;

use super::packed::{self, Element};
use super::*;
use crate::persist::codec::{self, put_bytes, put_f64, put_i64, put_id, put_len, put_u64};
use crate::types::Value;
use crate::types::stream::{ENTRIES_READ_UNKNOWN, StreamId};
use crate::types::zset::entry_cmp;

/// Why an RDB value could not be read (RESTORE answers "Bad data format").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad RDB data: {0}")]
pub struct RdbError(pub &'static str);

type Result<T> = std::result::Result<T, RdbError>;

/// Whether a DUMP payload of RDB `version` is read: those Redis 7.2 and older write.
pub fn reads_version(version: u16) -> bool {
    (1..=NEWEST_READ).contains(&version)
}

/// Builds the value of a DUMP payload's body (`type value`, the trailer taken off).
pub fn decode_dump(body: &[u8], limits: &codec::Limits) -> Result<Value> {
    let mut cursor = Cursor::slice(body);
    let kind = cursor.u8()?;
    let value = read_value(kind, &mut cursor, limits)?;
    if cursor.at != cursor.len {
        return Err(RdbError("trailing bytes"));
    }
    Ok(value)
}

/// Reads one value of RDB type `kind` from `cursor`.
pub(super) fn read_value(kind: u8, cursor: &mut Cursor<'_>, limits: &codec::Limits) -> Result<Value> {
    let mut out = Vec::new();
    transcode(kind, cursor, &mut out)?;
    let mut value = codec::decode_value_with(&out, limits).map_err(|e| RdbError(e.what))?;
    if kind == TYPE_STREAM_LISTPACKS
        && let Value::Stream(stream) = &mut value
    {
        // RDB before version 10 kept no read counters: each group's is estimated from its
        // last delivered ID, as Redis does when it loads such a stream.
        let groups: Vec<(Vec<u8>, StreamId)> = stream.groups().map(|(name, g)| (name.to_vec(), g.last_id)).collect();
        for (name, last_delivered) in groups {
            let estimate = stream.entries_before(last_delivered);
            if let Some(group) = stream.group_mut(&name) {
                group.entries_read = estimate;
            }
        }
    }
    Ok(value)
}

/// A bounds-checked reader of RDB primitives, over bytes in memory or a file read as it
/// goes (whose bytes it checksums on the way).
pub(super) struct Cursor<'a> {
    input: Input<'a>,
    /// Bytes read so far, and in all.
    pub(super) at: u64,
    len: u64,
}

enum Input<'a> {
    Slice(&'a [u8]),
    Reader(Box<dyn std::io::Read + 'a>, crc::Digest<'static, u64>),
}

impl<'a> Cursor<'a> {
    pub(super) fn slice(input: &'a [u8]) -> Cursor<'a> {
        Cursor { input: Input::Slice(input), at: 0, len: input.len() as u64 }
    }

    /// A file of `len` bytes, read through `reader`.
    pub(super) fn reader(reader: impl std::io::Read + 'a, len: u64) -> Cursor<'a> {
        Cursor { input: Input::Reader(Box::new(reader), CRC64.digest()), at: 0, len }
    }

    /// The checksum of what a file cursor read so far.
    pub(super) fn checksum(&self) -> Option<u64> {
        match &self.input {
            Input::Reader(_, digest) => Some(digest.clone().finalize()),
            Input::Slice(_) => None,
        }
    }
}

/// Special string encodings (a length whose top two bits are set).
const ENC_INT8: u64 = 0;
const ENC_INT16: u64 = 1;
const ENC_INT32: u64 = 2;
const ENC_LZF: u64 = 3;

impl<'a> Cursor<'a> {
    /// The next `n` bytes: borrowed from memory, read from a file (never more than the
    /// file has left, so a lying length allocates nothing).
    fn take(&mut self, n: usize) -> Result<Cow<'a, [u8]>> {
        if n as u64 > self.len - self.at {
            return Err(RdbError("unexpected end"));
        }
        let start = self.at as usize;
        self.at += n as u64;
        match &mut self.input {
            Input::Slice(input) => {
                let input: &'a [u8] = input;
                Ok(Cow::Borrowed(&input[start..start + n]))
            }
            Input::Reader(reader, digest) => {
                let mut bytes = vec![0; n];
                reader.read_exact(&mut bytes).map_err(|_| RdbError("cannot read the file"))?;
                digest.update(&bytes);
                Ok(Cow::Owned(bytes))
            }
        }
    }

    /// `N` bytes as an array.
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.take(N)?.as_ref().try_into().map_err(|_| RdbError("unexpected end"))
    }

    pub(super) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub(super) fn u64_le(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(super) fn u32_le(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A length, and whether it is a special string encoding instead.
    fn len_or_encoding(&mut self) -> Result<(u64, bool)> {
        let first = self.u8()?;
        Ok(match first >> 6 {
            0 => (u64::from(first & 0x3F), false),
            1 => ((u64::from(first & 0x3F) << 8) | u64::from(self.u8()?), false),
            2 => match first {
                0x80 => (u64::from(u32::from_be_bytes(self.array()?)), false),
                0x81 => (u64::from_be_bytes(self.array()?), false),
                _ => return Err(RdbError("unknown length encoding")),
            },
            _ => (u64::from(first & 0x3F), true),
        })
    }

    pub(super) fn len(&mut self) -> Result<u64> {
        match self.len_or_encoding()? {
            (n, false) => Ok(n),
            _ => Err(RdbError("an encoded string where a length belongs")),
        }
    }

    /// A count of items each taking at least `min_bytes`: no more than the input can hold,
    /// so nothing is allocated for a count the bytes do not back.
    fn count(&mut self, min_bytes: usize) -> Result<usize> {
        let n = self.len()?;
        let left = self.len - self.at;
        if n.saturating_mul(min_bytes as u64) > left {
            return Err(RdbError("count larger than the data"));
        }
        Ok(n as usize)
    }

    pub(super) fn string(&mut self) -> Result<Cow<'a, [u8]>> {
        match self.len_or_encoding()? {
            (n, false) => self.take(usize::try_from(n).map_err(|_| RdbError("length overflows"))?),
            (ENC_INT8, true) => Ok(Cow::Owned((self.u8()? as i8).to_string().into_bytes())),
            (ENC_INT16, true) => {
                let n = i16::from_le_bytes(self.array()?);
                Ok(Cow::Owned(n.to_string().into_bytes()))
            }
            (ENC_INT32, true) => {
                let n = i32::from_le_bytes(self.array()?);
                Ok(Cow::Owned(n.to_string().into_bytes()))
            }
            (ENC_LZF, true) => {
                let compressed = usize::try_from(self.len()?).map_err(|_| RdbError("length overflows"))?;
                let original = usize::try_from(self.len()?).map_err(|_| RdbError("length overflows"))?;
                let data = self.take(compressed)?;
                // LZF expands at most about 256 times: a claimed length beyond that is a lie
                // that would otherwise be allocated.
                if original > compressed.saturating_mul(256) + 64 {
                    return Err(RdbError("compressed string claims too large a length"));
                }
                super::lzf::decompress(&data, original).map(Cow::Owned).ok_or(RdbError("bad LZF data"))
            }
            _ => Err(RdbError("unknown string encoding")),
        }
    }

    /// A score as RDB_TYPE_ZSET writes it: a length byte (253 NaN, 254 +inf, 255 -inf) and
    /// the number as text.
    fn text_double(&mut self) -> Result<f64> {
        match self.u8()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            len => {
                let text = self.take(usize::from(len))?;
                parse_f64(&text)
            }
        }
    }

    fn stream_id(&mut self) -> Result<StreamId> {
        Ok(StreamId::new(self.len()?, self.len()?))
    }

    /// A stream ID as the radix trees key it: 128 bits big-endian.
    fn raw_id(&mut self) -> Result<StreamId> {
        let raw: [u8; 16] = self.array()?;
        let half = |b: &[u8]| u64::from_be_bytes(b.try_into().unwrap_or_default());
        Ok(StreamId::new(half(&raw[..8]), half(&raw[8..])))
    }
}

fn parse_f64(text: &[u8]) -> Result<f64> {
    crate::types::string::parse_f64(text).ok_or(RdbError("bad score"))
}

fn element_f64(e: &Element<'_>) -> Result<f64> {
    match e {
        Element::Int(n) => Ok(*n as f64),
        Element::Bytes(b) => parse_f64(b),
    }
}

fn put_strings<'b>(out: &mut Vec<u8>, tag: u8, items: impl ExactSizeIterator<Item = Cow<'b, [u8]>>) {
    out.push(tag);
    put_len(out, items.len());
    for item in items {
        put_bytes(out, &item);
    }
}

/// A field and its value.
type Pair<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

fn put_pairs(out: &mut Vec<u8>, pairs: &[Pair<'_>]) {
    out.push(codec::TAG_HASH);
    put_len(out, pairs.len());
    for (field, value) in pairs {
        put_bytes(out, field);
        put_bytes(out, value);
    }
}

fn put_zset(out: &mut Vec<u8>, mut entries: Vec<(Cow<'_, [u8]>, f64)>) -> Result<()> {
    if entries.iter().any(|(_, score)| score.is_nan()) {
        return Err(RdbError("NaN score"));
    }
    // Redis writes a skiplist from the highest score down; the codec wants ascending.
    entries.sort_by(|(m1, s1), (m2, s2)| entry_cmp(*s1, m1, *s2, m2));
    out.push(codec::TAG_ZSET);
    put_len(out, entries.len());
    for (member, score) in &entries {
        put_bytes(out, member);
        put_f64(out, *score);
    }
    Ok(())
}

/// Elements of a packed string in pairs (hash fields and values, zset members and scores).
fn in_pairs(elements: Vec<Element<'_>>) -> Result<Vec<(Element<'_>, Element<'_>)>> {
    if elements.len() % 2 != 0 {
        return Err(RdbError("odd number of elements in a paired encoding"));
    }
    let mut it = elements.into_iter();
    let mut pairs = Vec::new();
    while let (Some(a), Some(b)) = (it.next(), it.next()) {
        pairs.push((a, b));
    }
    Ok(pairs)
}

fn owned(e: &Element<'_>) -> Cow<'static, [u8]> {
    Cow::Owned(e.to_vec())
}

/// The elements of a ziplist (`ziplist`) or a listpack.
fn unpack(ziplist: bool, bytes: &[u8]) -> Result<Vec<Element<'_>>> {
    if ziplist {
        packed::ziplist(bytes).ok_or(RdbError("bad ziplist"))
    } else {
        packed::listpack(bytes).ok_or(RdbError("bad listpack"))
    }
}

/// Reads one value of RDB type `kind` and appends its codec encoding to `out`.
fn transcode(kind: u8, r: &mut Cursor<'_>, out: &mut Vec<u8>) -> Result<()> {
    match kind {
        TYPE_STRING => {
            let s = r.string()?;
            out.push(codec::TAG_STR);
            put_bytes(out, &s);
        }
        TYPE_LIST | TYPE_SET => {
            let n = r.count(1)?;
            let items = (0..n).map(|_| r.string()).collect::<Result<Vec<_>>>()?;
            let tag = if kind == TYPE_LIST { codec::TAG_LIST } else { codec::TAG_SET };
            put_strings(out, tag, items.into_iter());
        }
        TYPE_LIST_ZIPLIST => {
            let zl = r.string()?;
            let items = packed::ziplist(&zl).ok_or(RdbError("bad ziplist"))?;
            put_strings(out, codec::TAG_LIST, items.iter().map(owned));
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let nodes = r.count(1)?;
            let mut items: Vec<Cow<'_, [u8]>> = Vec::new();
            for _ in 0..nodes {
                // Quicklist 2 tags each node: 1 a plain element (a large one), 2 a listpack.
                let container = if kind == TYPE_LIST_QUICKLIST_2 { r.len()? } else { 2 };
                let node = r.string()?;
                match (kind, container) {
                    (TYPE_LIST_QUICKLIST_2, 1) => items.push(Cow::Owned(node.into_owned())),
                    (TYPE_LIST_QUICKLIST_2, 2) => {
                        items.extend(packed::listpack(&node).ok_or(RdbError("bad listpack"))?.iter().map(owned))
                    }
                    (TYPE_LIST_QUICKLIST, _) => {
                        items.extend(packed::ziplist(&node).ok_or(RdbError("bad ziplist"))?.iter().map(owned))
                    }
                    _ => return Err(RdbError("unknown quicklist container")),
                }
            }
            put_strings(out, codec::TAG_LIST, items.into_iter());
        }
        TYPE_SET_INTSET => {
            let is = r.string()?;
            let members = packed::intset(&is).ok_or(RdbError("bad intset"))?;
            put_strings(out, codec::TAG_SET, members.iter().map(|n| Cow::Owned(n.to_string().into_bytes())));
        }
        TYPE_SET_LISTPACK => {
            let lp = r.string()?;
            let members = packed::listpack(&lp).ok_or(RdbError("bad listpack"))?;
            put_strings(out, codec::TAG_SET, members.iter().map(owned));
        }
        TYPE_HASH => {
            let n = r.count(2)?;
            let pairs = (0..n).map(|_| Ok((r.string()?, r.string()?))).collect::<Result<Vec<_>>>()?;
            put_pairs(out, &pairs);
        }
        TYPE_HASH_ZIPMAP => {
            let zm = r.string()?;
            let pairs = packed::zipmap(&zm).ok_or(RdbError("bad zipmap"))?;
            let pairs: Vec<_> =
                pairs.into_iter().map(|(f, v)| (Cow::Owned(f.to_vec()), Cow::Owned(v.to_vec()))).collect();
            put_pairs(out, &pairs);
        }
        TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let packed_pairs = r.string()?;
            let elements = unpack(kind == TYPE_HASH_ZIPLIST, &packed_pairs)?;
            let pairs: Vec<_> = in_pairs(elements)?.iter().map(|(f, v)| (owned(f), owned(v))).collect();
            put_pairs(out, &pairs);
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = r.count(2)?;
            let mut entries = Vec::with_capacity(n);
            for _ in 0..n {
                let member = r.string()?;
                let score = if kind == TYPE_ZSET_2 { f64::from_bits(r.u64_le()?) } else { r.text_double()? };
                entries.push((member, score));
            }
            put_zset(out, entries)?;
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let packed_entries = r.string()?;
            let elements = unpack(kind == TYPE_ZSET_ZIPLIST, &packed_entries)?;
            let entries =
                in_pairs(elements)?.iter().map(|(m, s)| Ok((owned(m), element_f64(s)?))).collect::<Result<Vec<_>>>()?;
            put_zset(out, entries)?;
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 | TYPE_STREAM_LISTPACKS_3 => transcode_stream(kind, r, out)?,
        TYPE_MODULE | TYPE_MODULE_2 => return Err(RdbError("module values are not supported")),
        _ => return Err(RdbError("unknown value type")),
    }
    Ok(())
}

/// Entry flags in a stream listpack.
const STREAM_DELETED: i64 = 1;
const STREAM_SAME_FIELDS: i64 = 2;

type StreamEntry = (StreamId, Vec<(Vec<u8>, Vec<u8>)>);

/// The live entries of one stream listpack node whose master (first) ID is `master`.
fn stream_node(master: StreamId, lp: &[u8], entries: &mut Vec<StreamEntry>) -> Result<()> {
    let bad = RdbError("bad stream listpack");
    let elements = packed::listpack(lp).ok_or(bad.clone())?;
    let mut it = elements.iter();
    let int = |it: &mut std::slice::Iter<'_, Element<'_>>| it.next().and_then(Element::as_int).ok_or(bad.clone());
    // The master entry: live count, deleted count, the fields, a 0.
    let (_count, _deleted) = (int(&mut it)?, int(&mut it)?);
    let master_fields = usize::try_from(int(&mut it)?).map_err(|_| bad.clone())?;
    let fields: Vec<Vec<u8>> = it.by_ref().take(master_fields).map(Element::to_vec).collect();
    if fields.len() != master_fields || it.next().and_then(Element::as_int) != Some(0) {
        return Err(bad);
    }
    while it.len() > 0 {
        let flags = int(&mut it)?;
        let ms = master.ms.wrapping_add(int(&mut it)? as u64);
        let seq = master.seq.wrapping_add(int(&mut it)? as u64);
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = if flags & STREAM_SAME_FIELDS != 0 {
            let values: Vec<Vec<u8>> = it.by_ref().take(master_fields).map(Element::to_vec).collect();
            if values.len() != master_fields {
                return Err(RdbError("bad stream listpack"));
            }
            fields.iter().cloned().zip(values).collect()
        } else {
            let n = usize::try_from(int(&mut it)?).map_err(|_| RdbError("bad stream listpack"))?;
            let mut pairs = Vec::with_capacity(n.min(it.len()));
            for _ in 0..n {
                match (it.next(), it.next()) {
                    (Some(f), Some(v)) => pairs.push((f.to_vec(), v.to_vec())),
                    _ => return Err(RdbError("bad stream listpack")),
                }
            }
            pairs
        };
        let _lp_count = int(&mut it)?;
        if flags & STREAM_DELETED == 0 {
            entries.push((StreamId::new(ms, seq), pairs));
        }
    }
    Ok(())
}

fn transcode_stream(kind: u8, r: &mut Cursor<'_>, out: &mut Vec<u8>) -> Result<()> {
    let nodes = r.count(2)?;
    let mut entries = Vec::new();
    for _ in 0..nodes {
        let key = r.string()?;
        if key.len() != 16 {
            return Err(RdbError("stream node key is not an ID"));
        }
        let master = Cursor::slice(&key).raw_id()?;
        let lp = r.string()?;
        stream_node(master, &lp, &mut entries)?;
    }
    let length = r.len()?;
    if length != entries.len() as u64 {
        return Err(RdbError("stream length does not match its entries"));
    }
    let last_id = r.stream_id()?;
    let (max_deleted, entries_added) = if kind >= TYPE_STREAM_LISTPACKS_2 {
        let _first = r.stream_id()?;
        (r.stream_id()?, r.len()?)
    } else {
        (StreamId::MIN, length)
    };
    out.push(codec::TAG_STREAM);
    put_len(out, entries.len());
    let mut prev = StreamId::MIN;
    for (id, pairs) in &entries {
        if *id < prev {
            return Err(RdbError("stream entries out of order"));
        }
        put_u64(out, id.ms - prev.ms);
        put_u64(out, id.seq);
        put_len(out, pairs.len());
        for (field, value) in pairs {
            put_bytes(out, field);
            put_bytes(out, value);
        }
        prev = *id;
    }
    put_id(out, last_id);
    put_id(out, max_deleted);
    put_u64(out, entries_added);
    let groups = r.count(3)?;
    put_len(out, groups);
    for _ in 0..groups {
        let name = r.string()?;
        let last_delivered = r.stream_id()?;
        let entries_read = if kind >= TYPE_STREAM_LISTPACKS_2 { r.len()? as i64 } else { ENTRIES_READ_UNKNOWN };
        let pel_len = r.count(17)?;
        let mut pel: HashMap<StreamId, (i64, u64)> = HashMap::with_capacity(pel_len);
        for _ in 0..pel_len {
            let id = r.raw_id()?;
            let delivery_time = r.u64_le()? as i64;
            let delivery_count = r.len()?;
            pel.insert(id, (delivery_time, delivery_count));
        }
        put_bytes(out, &name);
        put_id(out, last_delivered);
        put_i64(out, entries_read);
        let consumers = r.count(9)?;
        put_len(out, consumers);
        for _ in 0..consumers {
            let consumer = r.string()?;
            let seen_time = r.u64_le()? as i64;
            if kind == TYPE_STREAM_LISTPACKS_3 {
                let _active_time = r.u64_le()?;
            }
            let pending = r.count(16)?;
            put_bytes(out, &consumer);
            put_i64(out, seen_time);
            put_len(out, pending);
            for _ in 0..pending {
                let id = r.raw_id()?;
                // An entry a consumer holds must be in the group's list, as Redis checks.
                let (delivery_time, delivery_count) =
                    pel.remove(&id).ok_or(RdbError("consumer holds an entry the group does not"))?;
                put_id(out, id);
                put_i64(out, delivery_time);
                put_u64(out, delivery_count);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ValueRef;

    /// A ziplist of `entries` (strings under 64 bytes).
    fn ziplist(entries: &[&[u8]]) -> Vec<u8> {
        let mut zl = vec![0; 10];
        zl[8..10].copy_from_slice(&(entries.len() as u16).to_le_bytes());
        let mut prev = 0;
        for e in entries {
            let start = zl.len();
            zl.push(prev as u8);
            zl.push(e.len() as u8);
            zl.extend_from_slice(e);
            prev = zl.len() - start;
        }
        zl.push(0xFF);
        let len = zl.len() as u32;
        zl[..4].copy_from_slice(&len.to_le_bytes());
        zl
    }

    fn string(out: &mut Vec<u8>, bytes: &[u8]) {
        out.push(bytes.len() as u8);
        out.extend_from_slice(bytes);
    }

    fn decode(body: &[u8]) -> Result<Value> {
        decode_dump(body, &codec::Limits::default())
    }

    #[test]
    fn encodings_of_redis_before_7_0() {
        // A hash as a ziplist (type 13).
        let mut body = vec![TYPE_HASH_ZIPLIST];
        string(&mut body, &ziplist(&[b"f1", b"v1", b"f2", b"v2"]));
        let value = decode(&body).unwrap();
        let ValueRef::Hash(hash) = ValueRef::from(&value) else { panic!("not a hash") };
        assert_eq!(hash.len(), 2);
        // A list as a quicklist of ziplists (type 14), two nodes.
        let mut body = vec![TYPE_LIST_QUICKLIST, 2];
        string(&mut body, &ziplist(&[b"a", b"b"]));
        string(&mut body, &ziplist(&[b"c"]));
        let value = decode(&body).unwrap();
        let ValueRef::List(list) = ValueRef::from(&value) else { panic!("not a list") };
        assert_eq!(list.iter().collect::<Vec<_>>(), [&b"a"[..], b"b", b"c"]);
        // A sorted set with scores as text (type 3): 254 is +inf.
        let mut body = vec![TYPE_ZSET, 2];
        string(&mut body, b"m1");
        string(&mut body, b"2.5");
        string(&mut body, b"m2");
        body.push(254);
        let value = decode(&body).unwrap();
        let ValueRef::ZSet(zset) = ValueRef::from(&value) else { panic!("not a zset") };
        assert_eq!(zset.iter_from(0, false).map(|(_, s)| s).collect::<Vec<_>>(), [2.5, f64::INFINITY]);
    }

    #[test]
    fn bad_values_are_errors_not_panics() {
        // A duplicate hash field, an empty list, a count beyond the data, a module value,
        // a NaN score (253), trailing bytes.
        let mut dup = vec![TYPE_HASH, 2];
        for s in [&b"f"[..], b"1", b"f", b"2"] {
            string(&mut dup, s);
        }
        let mut nan = vec![TYPE_ZSET, 1];
        string(&mut nan, b"m");
        nan.push(253);
        let mut trailing = vec![TYPE_STRING];
        string(&mut trailing, b"v");
        trailing.push(0);
        for body in [
            dup,
            vec![TYPE_LIST, 0],
            vec![TYPE_SET, 0x81, 0xFF, 0, 0, 0, 0, 0, 0, 0],
            vec![TYPE_MODULE_2, 1],
            nan,
            trailing,
        ] {
            assert!(decode(&body).is_err(), "{body:?}");
        }
        // Every prefix of a good stream-free value fails cleanly.
        let mut good = vec![TYPE_LIST_QUICKLIST, 1];
        string(&mut good, &ziplist(&[b"a", b"bb", b"ccc"]));
        for cut in 0..good.len() {
            assert!(decode(&good[..cut]).is_err());
        }
        assert!(decode(&good).is_ok());
    }

    /// A stream of RDB version 9 (type 15: no read counters): each group's is estimated
    /// from its last delivered ID, as Redis does.
    #[test]
    fn legacy_streams_get_their_read_counters_estimated() {
        let mut lp = super::super::write::Listpack::default();
        // Master entry (2 live, 0 deleted, field "f", 0), then 5-0 and 6-0 with its fields.
        for n in [2, 0, 1] {
            lp.int(n);
        }
        lp.string(b"f");
        lp.int(0);
        for (ms, value) in [(0, b"a"), (1, b"b")] {
            lp.int(2);
            lp.int(ms);
            lp.int(0);
            lp.string(value);
            lp.int(4);
        }
        let mut master = [0u8; 16];
        master[7] = 5;
        let mut body = vec![TYPE_STREAM_LISTPACKS, 1];
        string(&mut body, &master);
        let lp = lp.finish();
        body.push(0x40 | (lp.len() >> 8) as u8);
        body.push(lp.len() as u8);
        body.extend_from_slice(&lp);
        // Length 2, last ID 6-0, two groups: g1 delivered up to 5-0, g2 nothing yet.
        body.extend_from_slice(&[2, 6, 0, 2]);
        for (name, ms) in [(b"g1", 5), (b"g2", 0)] {
            string(&mut body, name);
            body.extend_from_slice(&[ms, 0, 0, 0]);
        }
        let value = decode(&body).unwrap();
        let ValueRef::Stream(stream) = ValueRef::from(&value) else { panic!("not a stream") };
        let read: Vec<i64> = stream.groups().map(|(_, g)| g.entries_read).collect();
        assert_eq!(read, [1, 0]);
    }

    /// Redis 7.0.15's DUMP of a stream (three entries, one deleted, a group with one
    /// pending entry): it reads, and no prefix or flipped byte of it panics.
    #[test]
    fn a_redis_stream_payload_and_every_damage_to_it() {
        let hex = "130110000000000000000100000000000000014044440000001900020101010201816602816702000102010001000181760281770205010301000101018276320382773203050100010101dfff020101816f028178020601ff02020001010102030103677270010181ffffffffffffffff01000000000000000100000000000000017307c521a2010000010105616c6963657307c521a201000001000000000000000100000000000000010a007a13d9fdb0260dae";
        let payload: Vec<u8> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        // The trailer: RDB version 10, then the checksum.
        assert_eq!(payload[payload.len() - 10..payload.len() - 8], [10, 0]);
        let body = &payload[..payload.len() - 10];
        let value = decode(body).unwrap();
        let ValueRef::Stream(stream) = ValueRef::from(&value) else { panic!("not a stream") };
        assert_eq!(stream.len(), 2);
        assert_eq!(stream.last_id(), StreamId::new(2, 0));
        assert_eq!(stream.groups().next().map(|(_, g)| g.pel.len()), Some(1));
        for cut in 0..body.len() {
            let _ = decode(&body[..cut]);
        }
        for i in 0..body.len() {
            for bit in [0x01, 0x40, 0x80] {
                let mut flipped = body.to_vec();
                flipped[i] ^= bit;
                let _ = decode(&flipped);
            }
        }
    }
}
