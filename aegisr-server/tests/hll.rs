//! The HyperLogLog commands through a real client: PFADD PFCOUNT PFMERGE. Exact counts and
//! value bytes were taken from Redis 7.0.15 (redis-cli against a local redis-server) for the
//! same inputs: a HyperLogLog here is the same string Redis stores.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, fail, run, set};
use redis::Connection;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";

fn pfadd(con: &mut Connection, key: &str, elements: impl IntoIterator<Item = String>) -> i64 {
    let mut cmd = redis::cmd("PFADD");
    cmd.arg(key);
    for e in elements {
        cmd.arg(e);
    }
    cmd.query(con).unwrap()
}

fn get_bytes(con: &mut Connection, key: &str) -> Vec<u8> {
    redis::cmd("GET").arg(key).query(con).unwrap()
}

fn set_bytes(con: &mut Connection, key: &str, bytes: &[u8]) {
    redis::cmd("SET").arg(key).arg(bytes).query::<()>(con).unwrap();
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

#[test]
fn pfadd_and_pfcount() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // The PFADD docs example.
    assert_eq!(run::<i64>(&mut con, &["PFADD", "hll", "a", "b", "c", "d", "e", "f", "g"]), 1);
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "hll"]), 7);
    assert_eq!(run::<i64>(&mut con, &["PFADD", "hll", "a", "b"]), 0);
    assert_eq!(run::<i64>(&mut con, &["PFADD", "hll", "h"]), 1);
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "hll"]), 8);
    // No elements: creates the key (1), then changes nothing (0).
    assert_eq!(run::<i64>(&mut con, &["PFADD", "empty"]), 1);
    assert_eq!(run::<i64>(&mut con, &["PFADD", "empty"]), 0);
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "empty"]), 0);
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "nokey"]), 0);
    // Stored as an ordinary string.
    assert_eq!(run::<String>(&mut con, &["TYPE", "hll"]), "string");
    assert!(get_bytes(&mut con, "hll").starts_with(b"HYLL"));
    // Exact counts from Redis for the same inputs.
    assert_eq!(pfadd(&mut con, "az", ('a'..='z').map(String::from)), 1);
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "az"]), 25);
    assert_eq!(pfadd(&mut con, "e10k", (0..10_000).map(|i| format!("element:{i}"))), 1);
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "e10k"]), 10017);
    // Several keys: the union, and no key changes.
    let before = get_bytes(&mut con, "az");
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "az", "e10k", "nokey"]), 10045);
    assert_eq!(get_bytes(&mut con, "az"), before);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "nokey"]), 0);
}

#[test]
fn counts_within_the_standard_error() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let mut added = 0u64;
    for chunk in (0..100_000u64).collect::<Vec<_>>().chunks(10_000) {
        pfadd(&mut con, "n", chunk.iter().map(u64::to_string));
        added += chunk.len() as u64;
        let count: u64 = run(&mut con, &["PFCOUNT", "n"]);
        let error = (count as f64 - added as f64).abs() / added as f64;
        assert!(error < 0.03, "{count} for {added}");
    }
    // Redis 7.0.15 gives exactly this count, and the same bytes (cached count included).
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "n"]), 99565);
    let bytes = get_bytes(&mut con, "n");
    assert_eq!(bytes.len(), 12304);
    assert_eq!(&bytes[..16], b"HYLL\x00\x00\x00\x00\xed\x84\x01\x00\x00\x00\x00\x00");
    assert_eq!(fnv1a(&bytes), 16_172_291_597_049_121_646);
    // An element already counted leaves the cached count valid.
    assert_eq!(run::<i64>(&mut con, &["PFADD", "n", "1"]), 0);
    assert_eq!(&get_bytes(&mut con, "n")[..16], &bytes[..16]);
}

#[test]
fn pfmerge() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // The PFMERGE docs example.
    run::<i64>(&mut con, &["PFADD", "hll1", "foo", "bar", "zap", "a"]);
    run::<i64>(&mut con, &["PFADD", "hll2", "a", "b", "c", "foo"]);
    assert_eq!(run::<String>(&mut con, &["PFMERGE", "hll3", "hll1", "hll2"]), "OK");
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "hll3"]), 6);
    // The destination takes part in the union.
    run::<i64>(&mut con, &["PFADD", "d", "x", "y"]);
    assert_eq!(run::<String>(&mut con, &["PFMERGE", "d", "hll1", "nokey"]), "OK");
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "d"]), 6);
    // A merge into a missing key with no sources creates an empty HyperLogLog.
    assert_eq!(run::<String>(&mut con, &["PFMERGE", "new"]), "OK");
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "new"]), 0);
    assert_eq!(run::<String>(&mut con, &["TYPE", "new"]), "string");
    // The destination keeps its TTL (it is updated, not replaced).
    run::<()>(&mut con, &["EXPIRE", "d", "100"]);
    run::<String>(&mut con, &["PFMERGE", "d", "hll2"]);
    assert!(run::<i64>(&mut con, &["TTL", "d"]) > 0);
}

#[test]
fn redis_sparse_values_are_read() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // PFADD az a..z on Redis 7.0.15 stores this 90-byte sparse value.
    let az = b"\x48\x59\x4c\x4c\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x44\x45\x8c\x42\x26\x80\x40\x89\x88\x46\xe8\x94\x41\x75\x84\x40\xec\x84\x0e\x80\x40\xc4\x84\x44\x90\x94\x44\x66\x80\x42\x62\x80\x44\x3c\x84\x38\x80\x40\x8f\x80\x41\xac\x80\x47\xd1\x80\x43\xb0\x80\x42\xed\x84\x41\xfc\x8c\x43\x93\x84\x43\x18\x88\x40\xdf\x80\x42\x6d\x80\x41\xd0\x80\x40\x7e\x84\x08";
    set_bytes(&mut con, "az", az);
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "az"]), 25);
    assert_eq!(run::<i64>(&mut con, &["PFADD", "az", "a", "b"]), 0);
    assert_eq!(run::<i64>(&mut con, &["PFADD", "az", "a", "zz"]), 1);
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "az"]), 26);
    // An empty sparse value: one XZERO opcode for all 16384 registers.
    let mut sparse = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80".to_vec();
    sparse.extend_from_slice(&[0x7f, 0xff]);
    set_bytes(&mut con, "sparse", &sparse);
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "sparse"]), 0);
    assert_eq!(run::<i64>(&mut con, &["PFADD", "sparse", "a", "b", "c"]), 1);
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "sparse"]), 3);
    // Opcodes that do not cover the registers exactly.
    set_bytes(&mut con, "bad", b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01");
    assert_eq!(fail(&mut con, &["PFCOUNT", "bad"]), "INVALIDOBJ Corrupted HLL object detected");
}

#[test]
fn wrong_types() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["RPUSH", "list", "a"]);
    run::<i64>(&mut con, &["PFADD", "h", "a"]);
    for args in [
        &["PFADD", "list", "x"][..],
        &["PFCOUNT", "list"],
        &["PFCOUNT", "h", "list"],
        &["PFMERGE", "list", "h"],
        &["PFMERGE", "h", "list"],
    ] {
        assert_eq!(fail(&mut con, args), WRONGTYPE, "{args:?}");
    }
    set(&mut con, "s", "not an hll");
    set_bytes(&mut con, "dense-bad", b"HYLL\x00short");
    set_bytes(&mut con, "enc-bad", b"HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    for key in ["s", "dense-bad", "enc-bad"] {
        assert_eq!(fail(&mut con, &["PFADD", key, "x"]), NOT_HLL, "{key}");
        assert_eq!(fail(&mut con, &["PFCOUNT", key]), NOT_HLL, "{key}");
        assert_eq!(fail(&mut con, &["PFCOUNT", "h", key]), NOT_HLL, "{key}");
        assert_eq!(fail(&mut con, &["PFMERGE", "h", key]), NOT_HLL, "{key}");
    }
    assert_eq!(run::<String>(&mut con, &["GET", "s"]), "not an hll");
    assert_eq!(fail(&mut con, &["PFADD"]), "ERR wrong number of arguments for 'pfadd' command");
}

#[test]
fn new_values_are_sparse_until_they_outgrow_it_and_pfdebug_shows_it() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    // Redis 7.0.15's replies for the same commands.
    assert_eq!(run::<i64>(&mut c, &["PFADD", "h", "a", "b", "c"]), 1);
    // ENCODING is a status reply, DECODE a bulk string.
    assert_eq!(run::<redis::Value>(&mut c, &["PFDEBUG", "ENCODING", "h"]), redis::Value::SimpleString("sparse".into()));
    assert_eq!(
        run::<redis::Value>(&mut c, &["PFDEBUG", "DECODE", "h"]),
        redis::Value::BulkString(b"Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603".to_vec())
    );
    assert_eq!(run::<i64>(&mut c, &["STRLEN", "h"]), 27);
    assert_eq!(run::<i64>(&mut c, &["PFADD", "t", "a"]), 1);
    assert_eq!(run::<i64>(&mut c, &["PFDEBUG", "TODENSE", "t"]), 1);
    assert_eq!(run::<i64>(&mut c, &["PFDEBUG", "TODENSE", "t"]), 0);
    // GETREG converts a sparse value to dense, for good.
    let regs: Vec<i64> = run(&mut c, &["PFDEBUG", "GETREG", "h"]);
    assert_eq!((regs.len(), regs.iter().filter(|&&r| r > 0).count()), (16384, 3));
    assert_eq!(run::<String>(&mut c, &["PFDEBUG", "ENCODING", "h"]), "dense");
    assert_eq!(run::<i64>(&mut c, &["PFDEBUG", "TODENSE", "h"]), 0);
    assert_eq!(run::<i64>(&mut c, &["PFCOUNT", "h"]), 3);
    assert_eq!(fail(&mut c, &["PFDEBUG", "DECODE", "h"]), "ERR HLL encoding is not sparse");
    assert_eq!(fail(&mut c, &["PFDEBUG", "FOO", "h"]), "ERR Unknown PFDEBUG subcommand 'FOO'");
    // The key is checked before the subcommand.
    run::<()>(&mut c, &["SET", "str", "x"]);
    assert_eq!(fail(&mut c, &["PFDEBUG", "FOO", "str"]), "WRONGTYPE Key is not a valid HyperLogLog string value.");
    assert_eq!(fail(&mut c, &["PFDEBUG", "GETREG", "nokey"]), "ERR The specified key does not exist");
    // Past hll-sparse-max-bytes the value becomes dense.
    run::<String>(&mut c, &["CONFIG", "SET", "hll-sparse-max-bytes", "100"]);
    let elements: Vec<String> = (0..200).map(|i| format!("e{i}")).collect();
    let mut args = vec!["PFADD", "grow"];
    args.extend(elements.iter().map(String::as_str));
    run::<i64>(&mut c, &args);
    assert_eq!(run::<String>(&mut c, &["PFDEBUG", "ENCODING", "grow"]), "dense");
    // Merging sparse inputs keeps a sparse destination; a dense input makes it dense.
    run::<String>(&mut c, &["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]);
    run::<i64>(&mut c, &["PFADD", "s1", "x"]);
    run::<i64>(&mut c, &["PFADD", "s2", "y"]);
    run::<String>(&mut c, &["PFMERGE", "m", "s1", "s2"]);
    assert_eq!(run::<String>(&mut c, &["PFDEBUG", "ENCODING", "m"]), "sparse");
    assert_eq!(run::<i64>(&mut c, &["PFCOUNT", "m"]), 2);
    run::<String>(&mut c, &["PFMERGE", "m", "h"]);
    assert_eq!(run::<String>(&mut c, &["PFDEBUG", "ENCODING", "m"]), "dense");
    assert_eq!(run::<i64>(&mut c, &["PFCOUNT", "m"]), 5);
}

#[test]
fn a_new_value_is_raw_with_its_cached_count_stale() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // Redis 7.0.15's bytes: an empty sparse value whose cache-invalid bit is set, since
    // creating the key is a change even with no elements; PFCOUNT then caches 0.
    assert_eq!(run::<i64>(&mut con, &["PFADD", "h"]), 1);
    let stale = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff".to_vec();
    assert_eq!(run::<Vec<u8>>(&mut con, &["GET", "h"]), stale);
    assert_eq!(run::<i64>(&mut con, &["PFCOUNT", "h"]), 0);
    assert_eq!(run::<Vec<u8>>(&mut con, &["GET", "h"]), b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff".to_vec());
    for key in ["h", "merged"] {
        let _: () = run(&mut con, &["PFMERGE", "merged", "h"]);
        assert_eq!(run::<String>(&mut con, &["OBJECT", "ENCODING", key]), "raw", "{key}");
    }
}

#[test]
fn pfselftest_passes_and_lolwut_names_the_version() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<String>(&mut con, &["PFSELFTEST"]), "OK");
    let art: String = run(&mut con, &["LOLWUT"]);
    assert!(art.contains("Redis ver. "), "{art}");
    let art: String = run(&mut con, &["LOLWUT", "VERSION", "6", "20"]);
    assert!(art.lines().next().is_some_and(|l| l.len() == 20), "{art}");
    assert!(fail(&mut con, &["LOLWUT", "VERSION", "x"]).contains("not an integer"));
}
