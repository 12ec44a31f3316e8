//! Writing RDB files: the header, each key's entry in the plain encodings (streams as
//! Redis 7.0's listpacks), function libraries, and the checksummed end.

use super::*;
use crate::types::ValueRef;
use crate::types::stream::{Stream, StreamId};

/// Entries per stream listpack, Redis's `stream-node-max-entries` default.
pub const STREAM_NODE_ENTRIES: usize = 100;

/// A value Redis's RDB format has no type for.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "key '{key}' is a bloom filter, which Redis keeps in the RedisBloom module's own format: it cannot be written to an RDB file"
)]
pub struct Unsupported {
    pub key: String,
}

/// The file's checksum, kept over everything written (the trailer covers all before it).
pub struct Checksum(crc::Digest<'static, u64>);

impl Default for Checksum {
    fn default() -> Checksum {
        Checksum(CRC64.digest())
    }
}

impl Checksum {
    /// Counts `bytes`, written next.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The end of the file: the EOF opcode and the checksum of everything, this included.
    pub fn finish(mut self) -> Vec<u8> {
        let mut end = vec![OPCODE_EOF];
        self.0.update(&end);
        end.extend_from_slice(&self.0.finalize().to_le_bytes());
        end
    }
}

/// The header and aux fields Redis writes (its loader reads and ignores them).
pub fn header(out: &mut Vec<u8>, now_secs: i64, used_memory: u64) {
    out.extend_from_slice(format!("REDIS{VERSION:04}").as_bytes());
    let ctime = now_secs.to_string();
    let used = used_memory.to_string();
    let aux: [(&str, &str); 5] = [
        ("redis-ver", crate::commands::REDIS_VERSION),
        ("redis-bits", "64"),
        ("ctime", &ctime),
        ("used-mem", &used),
        ("aof-base", "0"),
    ];
    for (name, value) in aux {
        out.push(OPCODE_AUX);
        put_string(out, name.as_bytes());
        put_string(out, value.as_bytes());
    }
}

/// Switches the database the following entries go to.
pub fn select_db(out: &mut Vec<u8>, db: usize) {
    out.push(OPCODE_SELECTDB);
    put_len(out, db as u64);
}

/// One function library (FUNCTION LOAD's code).
pub fn function(out: &mut Vec<u8>, code: &[u8]) {
    out.push(OPCODE_FUNCTION2);
    put_string(out, code);
}

/// One key with its value and expiry (Unix ms).
pub fn entry(out: &mut Vec<u8>, key: &[u8], value: ValueRef<'_>, expiry: Option<i64>) -> Result<(), Unsupported> {
    let Some(kind) = value_type(value) else {
        return Err(Unsupported { key: String::from_utf8_lossy(key).into_owned() });
    };
    if let Some(at) = expiry {
        out.push(OPCODE_EXPIRETIME_MS);
        out.extend_from_slice(&at.to_le_bytes());
    }
    out.push(kind);
    put_string(out, key);
    put_value(out, value);
    Ok(())
}

/// A value as the body of Redis's DUMP payload (`type value`, before the trailer DUMP
/// adds with [`VERSION`]), or `None` for a bloom filter, which has no RDB form.
pub fn dump_body(value: ValueRef<'_>) -> Option<Vec<u8>> {
    let kind = value_type(value)?;
    let mut out = vec![kind];
    put_value(&mut out, value);
    Some(out)
}

/// The RDB type a value is written as; `None` for a bloom filter.
fn value_type(value: ValueRef<'_>) -> Option<u8> {
    Some(match value {
        ValueRef::Int(_) | ValueRef::Str(_) => TYPE_STRING,
        ValueRef::List(_) => TYPE_LIST,
        ValueRef::Set(_) => TYPE_SET,
        ValueRef::Hash(_) => TYPE_HASH,
        ValueRef::ZSet(_) => TYPE_ZSET_2,
        ValueRef::Stream(_) => TYPE_STREAM_LISTPACKS_2,
        ValueRef::Bloom(_) => return None,
    })
}

/// A value's body in the encoding of its [`value_type`].
fn put_value(out: &mut Vec<u8>, value: ValueRef<'_>) {
    match value {
        ValueRef::Int(n) => put_int_string(out, n),
        ValueRef::Str(s) => put_string(out, s),
        ValueRef::List(list) => {
            put_len(out, list.len() as u64);
            for element in list.iter() {
                put_string(out, element);
            }
        }
        ValueRef::Set(set) => {
            put_len(out, set.len() as u64);
            for member in set.iter() {
                member.with_bytes(|b| put_string(out, b));
            }
        }
        ValueRef::Hash(hash) => {
            put_len(out, hash.len() as u64);
            for (field, value) in hash.iter() {
                put_string(out, field);
                put_string(out, value);
            }
        }
        ValueRef::ZSet(zset) => {
            put_len(out, zset.len() as u64);
            for (member, score) in zset.iter_from(0, false) {
                put_string(out, member);
                out.extend_from_slice(&score.to_le_bytes());
            }
        }
        ValueRef::Stream(stream) => put_stream(out, stream),
        ValueRef::Bloom(_) => {}
    }
}

/// Redis's length encoding: 6 bits, 14 bits (big-endian), or a marker and 32 or 64 bits
/// big-endian.
fn put_len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push(n as u8);
    } else if n < 1 << 14 {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else if n <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// An integer string value: Redis's integer encodings up to 32 bits, decimal text beyond.
fn put_int_string(out: &mut Vec<u8>, n: i64) {
    if let Ok(n) = i8::try_from(n) {
        out.push(0xC0);
        out.extend_from_slice(&n.to_le_bytes());
    } else if let Ok(n) = i16::try_from(n) {
        out.push(0xC1);
        out.extend_from_slice(&n.to_le_bytes());
    } else if let Ok(n) = i32::try_from(n) {
        out.push(0xC2);
        out.extend_from_slice(&n.to_le_bytes());
    } else {
        put_string(out, n.to_string().as_bytes());
    }
}

/// A stream ID as Redis keys its radix trees and PELs: 128 bits big-endian.
fn raw_id(id: StreamId) -> [u8; 16] {
    let mut raw = [0; 16];
    raw[..8].copy_from_slice(&id.ms.to_be_bytes());
    raw[8..].copy_from_slice(&id.seq.to_be_bytes());
    raw
}

/// A stream as Redis 7.0's `rdbSaveObject` writes one: its listpack nodes (each keyed by
/// its first entry's ID, the master entry), then its counters and consumer groups.
fn put_stream(out: &mut Vec<u8>, stream: &Stream) {
    let entries = stream.range(StreamId::MIN, StreamId::MAX, false, 0);
    let nodes: Vec<_> = entries.chunks(STREAM_NODE_ENTRIES).collect();
    put_len(out, nodes.len() as u64);
    for node in &nodes {
        let master = node[0].id;
        put_string(out, &raw_id(master));
        let mut lp = Listpack::default();
        // Master entry: count, deleted, the first entry's fields, a 0 terminator.
        let master_fields: Vec<&[u8]> = node[0].pairs().map(|(field, _)| field).collect();
        lp.int(node.len() as i64);
        lp.int(0);
        lp.int(master_fields.len() as i64);
        for field in &master_fields {
            lp.string(field);
        }
        lp.int(0);
        for entry in node.iter() {
            let same_fields = entry.pair_count() == master_fields.len()
                && entry.pairs().zip(&master_fields).all(|((field, _), master)| field == *master);
            // IDs ascend, and every ID of a node is at or after its master's.
            lp.int(if same_fields { 2 } else { 0 });
            lp.int(entry.id.ms.wrapping_sub(master.ms) as i64);
            lp.int(entry.id.seq.wrapping_sub(master.seq) as i64);
            let fields = entry.pair_count();
            if same_fields {
                for (_, value) in entry.pairs() {
                    lp.string(value);
                }
            } else {
                lp.int(fields as i64);
                for (field, value) in entry.pairs() {
                    lp.string(field);
                    lp.string(value);
                }
            }
            // The entry's element count, for walking the node backwards.
            let count = 3 + fields + if same_fields { 0 } else { fields + 1 };
            lp.int(count as i64);
        }
        put_string(out, &lp.finish());
    }
    put_len(out, stream.len());
    let first = if stream.is_empty() { StreamId::MIN } else { stream.first_id() };
    for id in [stream.last_id(), first, stream.max_deleted_id()] {
        put_len(out, id.ms);
        put_len(out, id.seq);
    }
    put_len(out, stream.entries_added());
    let groups = stream.groups();
    put_len(out, groups.len() as u64);
    for (name, group) in groups {
        put_string(out, name);
        put_len(out, group.last_id.ms);
        put_len(out, group.last_id.seq);
        // -1 (unknown) as Redis writes it: the same 64 bits, unsigned.
        put_len(out, group.entries_read as u64);
        put_len(out, group.pel.len() as u64);
        for (id, pending) in &group.pel {
            out.extend_from_slice(&raw_id(*id));
            out.extend_from_slice(&pending.delivery_time.to_le_bytes());
            put_len(out, pending.delivery_count);
        }
        put_len(out, group.consumers.len() as u64);
        for (consumer_name, consumer) in &group.consumers {
            put_string(out, consumer_name);
            out.extend_from_slice(&consumer.seen_time.to_le_bytes());
            let pending: Vec<&StreamId> = consumer.pending.iter().filter(|id| group.pel.contains_key(id)).collect();
            put_len(out, pending.len() as u64);
            for id in pending {
                out.extend_from_slice(&raw_id(*id));
            }
        }
    }
}

/// Redis's listpack, built by appending: a header (total bytes, element count), elements
/// each followed by its length backwards, and an end byte.
#[derive(Default)]
pub(super) struct Listpack {
    body: Vec<u8>,
    count: usize,
}

impl Listpack {
    pub(super) fn int(&mut self, n: i64) {
        let start = self.body.len();
        let b = &mut self.body;
        if (0..=127).contains(&n) {
            b.push(n as u8);
        } else if (-4096..=4095).contains(&n) {
            let u = (n as u64) & 0x1FFF;
            b.extend_from_slice(&[0xC0 | (u >> 8) as u8, u as u8]);
        } else if let Ok(n) = i16::try_from(n) {
            b.push(0xF1);
            b.extend_from_slice(&n.to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&n) {
            b.push(0xF2);
            b.extend_from_slice(&n.to_le_bytes()[..3]);
        } else if let Ok(n) = i32::try_from(n) {
            b.push(0xF3);
            b.extend_from_slice(&n.to_le_bytes());
        } else {
            b.push(0xF4);
            b.extend_from_slice(&n.to_le_bytes());
        }
        self.close(start);
    }

    pub(super) fn string(&mut self, s: &[u8]) {
        let start = self.body.len();
        let b = &mut self.body;
        let len = s.len();
        if len < 64 {
            b.push(0x80 | len as u8);
        } else if len < 4096 {
            b.extend_from_slice(&[0xE0 | (len >> 8) as u8, len as u8]);
        } else {
            b.push(0xF0);
            b.extend_from_slice(&(len as u32).to_le_bytes());
        }
        b.extend_from_slice(s);
        self.close(start);
    }

    /// Appends the back-length of the element that began at `start`: its size in 7-bit
    /// groups, most significant first, each but the first flagged with the top bit.
    fn close(&mut self, start: usize) {
        let l = (self.body.len() - start) as u64;
        let used = crate::types::list::listpack_backlen_size(self.body.len() - start);
        for i in (0..used).rev() {
            let group = ((l >> (7 * i)) & 127) as u8;
            self.body.push(if i == used - 1 { group } else { group | 128 });
        }
        self.count += 1;
    }

    pub(super) fn finish(self) -> Vec<u8> {
        let total = 6 + self.body.len() + 1;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(&(self.count.min(65535) as u16).to_le_bytes());
        out.extend_from_slice(&self.body);
        out.push(0xFF);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_use_redis_encodings() {
        let enc = |n: u64| {
            let mut out = Vec::new();
            put_len(&mut out, n);
            out
        };
        assert_eq!(enc(5), [5]);
        assert_eq!(enc(300), [0x41, 0x2C]);
        assert_eq!(enc(70_000), [0x80, 0, 1, 0x11, 0x70]);
        assert_eq!(enc(1 << 40), [0x81, 0, 0, 1, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn listpack_elements_carry_their_back_length() {
        let mut lp = Listpack::default();
        lp.int(5);
        lp.int(-1);
        lp.string(b"ab");
        lp.string(&[b'x'; 200]);
        let bytes = lp.finish();
        // 7-bit int + backlen; 13-bit int (two's complement) + backlen; 6-bit string +
        // backlen; 12-bit string (202 bytes) + two-byte backlen.
        assert_eq!(&bytes[6..8], &[5, 1]);
        assert_eq!(&bytes[8..11], &[0xDF, 0xFF, 2]);
        assert_eq!(&bytes[11..15], &[0x82, b'a', b'b', 3]);
        assert_eq!(&bytes[15..17], &[0xE0, 200]);
        assert_eq!(&bytes[bytes.len() - 3..], &[202 >> 7, (202 & 127) | 128, 0xFF]);
        assert_eq!(u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize, bytes.len());
        assert_eq!(u16::from_le_bytes([bytes[4], bytes[5]]), 4);
    }

    #[test]
    fn the_checksum_covers_the_eof_opcode() {
        let mut sum = Checksum::default();
        let mut file = Vec::new();
        header(&mut file, 0, 0);
        sum.update(&file);
        let end = sum.finish();
        file.extend_from_slice(&end[..1]);
        assert_eq!(end[1..], CRC64.checksum(&file).to_le_bytes());
    }
}
