//! DEBUG DIGEST and DIGEST-VALUE: a SHA-1 signature of the data, equal on two nodes
//! holding the same keys, values and expiry flags whatever their encodings (a listpack and
//! a hash table of the same fields agree), as Redis's tests use it to compare a dataset
//! before and after a reload or between a primary and its replica. Built as Redis builds
//! its own (ordered parts mixed in turn, unordered ones XORed); the bytes are Aegisr's.

use sha1_smol::Sha1;

use crate::persist::codec;
use crate::reply::format_double;
use crate::types::ValueRef;

pub type Digest = [u8; 20];

fn sha1(data: &[u8]) -> Digest {
    Sha1::from(data).digest().bytes()
}

pub fn xor_into(digest: &mut Digest, other: &Digest) {
    for (d, o) in digest.iter_mut().zip(other) {
        *d ^= o;
    }
}

/// Folds `data` in where order matters: the result depends on what came before.
fn mix(digest: &mut Digest, data: &[u8]) {
    xor_into(digest, &sha1(data));
    *digest = sha1(digest);
}

/// Folds in a part whose position does not matter (a set member, a hash field).
fn xor_part(digest: &mut Digest, parts: &[&[u8]]) {
    let mut part = [0u8; 20];
    for p in parts {
        mix(&mut part, p);
    }
    xor_into(digest, &part);
}

/// The signature of a value alone (DIGEST-VALUE).
pub fn value(value: ValueRef<'_>) -> Digest {
    let mut digest = [0u8; 20];
    match value {
        ValueRef::Int(n) => mix(&mut digest, itoa::Buffer::new().format(n).as_bytes()),
        ValueRef::Str(s) => mix(&mut digest, s),
        ValueRef::List(list) => list.iter().for_each(|e| mix(&mut digest, e)),
        ValueRef::Set(set) => set.iter().for_each(|m| m.with_bytes(|b| xor_part(&mut digest, &[b]))),
        ValueRef::Hash(hash) => hash.iter().for_each(|(f, v)| xor_part(&mut digest, &[f, v])),
        ValueRef::ZSet(zset) => zset
            .iter_from(0, false)
            .for_each(|(member, score)| xor_part(&mut digest, &[member, format_double(score).as_bytes()])),
        // Their serialization is canonical: the same content gives the same bytes.
        ValueRef::Bloom(_) | ValueRef::Stream(_) => {
            let mut bytes = Vec::new();
            codec::encode_value(value, &mut bytes);
            mix(&mut digest, &bytes);
        }
    }
    digest
}

/// The signature of one key: its name, its value, and whether it has an expiry.
pub fn key(name: &[u8], value_digest: &Digest, expires: bool) -> Digest {
    let mut digest = [0u8; 20];
    mix(&mut digest, name);
    mix(&mut digest, value_digest);
    if expires {
        mix(&mut digest, b"!!expire!!");
    }
    digest
}

/// Adds a database's keys (their XOR, `keys`) to the node's signature.
pub fn add_database(total: &mut Digest, db: usize, keys: &Digest) {
    let mut part = [0u8; 20];
    mix(&mut part, &(db as u32).to_be_bytes());
    xor_into(&mut part, keys);
    mix(total, &part);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unordered_parts_do_not_depend_on_order_and_ordered_ones_do() {
        let (mut a, mut b) = ([0u8; 20], [0u8; 20]);
        xor_part(&mut a, &[b"x"]);
        xor_part(&mut a, &[b"y"]);
        xor_part(&mut b, &[b"y"]);
        xor_part(&mut b, &[b"x"]);
        assert_eq!(a, b);
        let (mut c, mut d) = ([0u8; 20], [0u8; 20]);
        mix(&mut c, b"x");
        mix(&mut c, b"y");
        mix(&mut d, b"y");
        mix(&mut d, b"x");
        assert_ne!(c, d);
        assert_eq!(value(ValueRef::Int(12)), value(ValueRef::Str(b"12")), "an integer digests as its text");
    }
}
