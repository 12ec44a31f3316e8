//! The bitmap commands through a real client, checked against Redis 7's documented replies
//! and errors: SETBIT GETBIT BITCOUNT BITPOS BITOP, and their interplay with string commands.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, fail, get, run, set};
use redis::Connection;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";

fn set_bytes(con: &mut Connection, key: &str, bytes: &[u8]) {
    redis::cmd("SET").arg(key).arg(bytes).query::<()>(con).unwrap();
}

fn get_bytes(con: &mut Connection, key: &str) -> Option<Vec<u8>> {
    redis::cmd("GET").arg(key).query(con).unwrap()
}

#[test]
fn setbit_and_getbit() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // The SETBIT docs example.
    assert_eq!(run::<i64>(&mut con, &["SETBIT", "mykey", "7", "1"]), 0);
    assert_eq!(run::<i64>(&mut con, &["SETBIT", "mykey", "7", "0"]), 1);
    assert_eq!(get(&mut con, "mykey").as_deref(), Some("\0"));
    // Growing pads with zero bytes.
    assert_eq!(run::<i64>(&mut con, &["SETBIT", "mykey", "100", "1"]), 0);
    assert_eq!(run::<i64>(&mut con, &["STRLEN", "mykey"]), 13);
    assert_eq!(run::<i64>(&mut con, &["GETBIT", "mykey", "100"]), 1);
    assert_eq!(run::<i64>(&mut con, &["GETBIT", "mykey", "99"]), 0);
    assert_eq!(run::<i64>(&mut con, &["GETBIT", "mykey", "1000000"]), 0);
    assert_eq!(run::<i64>(&mut con, &["GETBIT", "nokey", "0"]), 0);
    assert_eq!(run::<String>(&mut con, &["TYPE", "mykey"]), "string");
    // Bits of an ordinary string, MSB first: "A" is 0b01000001.
    set(&mut con, "s", "A");
    let bits: Vec<i64> = (0..8).map(|i| run(&mut con, &["GETBIT", "s", &i.to_string()])).collect();
    assert_eq!(bits, [0, 1, 0, 0, 0, 0, 0, 1]);
    assert_eq!(run::<i64>(&mut con, &["SETBIT", "s", "6", "1"]), 0);
    assert_eq!(get(&mut con, "s").as_deref(), Some("C"));
    run::<i64>(&mut con, &["APPEND", "s", "x"]);
    assert_eq!(get(&mut con, "s").as_deref(), Some("Cx"));
    // An integer-encoded string is its decimal text: "12" is 0x31 0x32.
    set(&mut con, "n", "12");
    assert_eq!(run::<i64>(&mut con, &["GETBIT", "n", "7"]), 1);
    assert_eq!(run::<i64>(&mut con, &["SETBIT", "n", "6", "1"]), 0);
    assert_eq!(get(&mut con, "n").as_deref(), Some("32"));
    // The key keeps its TTL.
    run::<()>(&mut con, &["EXPIRE", "n", "100"]);
    run::<i64>(&mut con, &["SETBIT", "n", "0", "0"]);
    assert!(run::<i64>(&mut con, &["TTL", "n"]) > 0);
}

#[test]
fn setbit_errors_and_limits() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    for offset in ["-1", "abc", "1.5", "4294967296", "99999999999999999999"] {
        assert_eq!(fail(&mut con, &["SETBIT", "k", offset, "1"]), BAD_OFFSET, "{offset}");
    }
    assert_eq!(fail(&mut con, &["GETBIT", "k", "-1"]), BAD_OFFSET);
    for value in ["2", "-1", "01", "x", ""] {
        assert_eq!(fail(&mut con, &["SETBIT", "k", "0", value]), "ERR bit is not an integer or out of range");
    }
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "k"]), 0);
    // The offset is bounded by proto-max-bulk-len (in bytes).
    run::<()>(&mut con, &["CONFIG", "SET", "proto-max-bulk-len", "1048576"]);
    assert_eq!(fail(&mut con, &["SETBIT", "k", "8388608", "1"]), BAD_OFFSET);
    assert_eq!(run::<i64>(&mut con, &["SETBIT", "k", "8388607", "1"]), 0);
    assert_eq!(run::<i64>(&mut con, &["STRLEN", "k"]), 1048576);
    assert_eq!(fail(&mut con, &["SETBIT", "k"]), "ERR wrong number of arguments for 'setbit' command");
}

#[test]
fn bitcount() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // The BITCOUNT docs example.
    set(&mut con, "mykey", "foobar");
    assert_eq!(run::<i64>(&mut con, &["BITCOUNT", "mykey"]), 26);
    assert_eq!(run::<i64>(&mut con, &["BITCOUNT", "mykey", "0", "0"]), 4);
    assert_eq!(run::<i64>(&mut con, &["BITCOUNT", "mykey", "1", "1"]), 6);
    assert_eq!(run::<i64>(&mut con, &["BITCOUNT", "mykey", "1", "1", "BYTE"]), 6);
    assert_eq!(run::<i64>(&mut con, &["BITCOUNT", "mykey", "5", "30", "BIT"]), 17);
    assert_eq!(run::<i64>(&mut con, &["BITCOUNT", "mykey", "-2", "-1"]), 7);
    assert_eq!(run::<i64>(&mut con, &["BITCOUNT", "mykey", "3", "1"]), 0);
    assert_eq!(run::<i64>(&mut con, &["BITCOUNT", "mykey", "0", "-100"]), 4);
    // Both ends negative and reversed: 0, before clamping would make it the first byte.
    assert_eq!(run::<i64>(&mut con, &["BITCOUNT", "mykey", "-1", "-100"]), 0);
    assert_eq!(run::<i64>(&mut con, &["BITCOUNT", "mykey", "-1", "-100", "BIT"]), 0);
    assert_eq!(run::<i64>(&mut con, &["BITCOUNT", "mykey", "-100", "100", "bit"]), 26);
    assert_eq!(run::<i64>(&mut con, &["BITCOUNT", "nokey"]), 0);
    assert_eq!(fail(&mut con, &["BITCOUNT", "mykey", "0"]), SYNTAX);
    assert_eq!(fail(&mut con, &["BITCOUNT", "mykey", "0", "1", "nibble"]), SYNTAX);
    assert_eq!(fail(&mut con, &["BITCOUNT", "mykey", "0", "1", "bit", "x"]), SYNTAX);
    assert_eq!(fail(&mut con, &["BITCOUNT", "mykey", "0", "x"]), NOT_INT);
    // Redis 7.0 answers 0 for a missing key before looking at the range.
    assert_eq!(run::<i64>(&mut con, &["BITCOUNT", "nokey", "a", "b"]), 0);
}

#[test]
fn bitpos() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // The BITPOS docs examples.
    set_bytes(&mut con, "mykey", b"\xff\xf0\x00");
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "mykey", "0"]), 12);
    set_bytes(&mut con, "mykey", b"\x00\xff\xf0");
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "mykey", "1", "0"]), 8);
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "mykey", "1", "2"]), 16);
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "mykey", "1", "2", "-1", "BYTE"]), 16);
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "mykey", "1", "7", "15", "BIT"]), 8);
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "mykey", "1", "7", "-3", "BIT"]), 8);
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "mykey", "0", "9", "14", "bit"]), -1);
    set_bytes(&mut con, "mykey", b"\x00\x00\x00");
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "mykey", "1"]), -1);
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "mykey", "0"]), 0);
    // All ones: with no end the string is taken as padded with zeros on the right.
    set_bytes(&mut con, "ones", b"\xff\xff\xff");
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "ones", "0"]), 24);
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "ones", "0", "0"]), 24);
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "ones", "0", "0", "-1"]), -1);
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "ones", "0", "1", "-1", "bit"]), -1);
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "ones", "0", "3"]), -1);
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "ones", "1", "5", "2"]), -1);
    // A missing key is an endless run of zeros.
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "nokey", "1"]), -1);
    assert_eq!(run::<i64>(&mut con, &["BITPOS", "nokey", "0"]), 0);
    assert_eq!(fail(&mut con, &["BITPOS", "ones", "2"]), "ERR The bit argument must be 1 or 0.");
    assert_eq!(fail(&mut con, &["BITPOS", "ones", "x"]), NOT_INT);
    assert_eq!(fail(&mut con, &["BITPOS", "ones", "1", "0", "1", "foo"]), SYNTAX);
    assert_eq!(fail(&mut con, &["BITPOS", "ones", "1", "0", "x"]), NOT_INT);
}

#[test]
fn bitop() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // The BITOP docs example.
    set(&mut con, "key1", "foobar");
    set(&mut con, "key2", "abcdef");
    assert_eq!(run::<i64>(&mut con, &["BITOP", "AND", "dest", "key1", "key2"]), 6);
    assert_eq!(get(&mut con, "dest").as_deref(), Some("`bc`ab"));
    assert_eq!(run::<i64>(&mut con, &["BITOP", "or", "dest", "key1", "key2"]), 6);
    assert_eq!(get(&mut con, "dest").as_deref(), Some("goofev"));
    set_bytes(&mut con, "a", b"\xff\x0f");
    set_bytes(&mut con, "b", b"\x0f");
    // Shorter strings and missing keys are zero-padded.
    assert_eq!(run::<i64>(&mut con, &["BITOP", "AND", "dest", "a", "b"]), 2);
    assert_eq!(get_bytes(&mut con, "dest"), Some(b"\x0f\x00".to_vec()));
    assert_eq!(run::<i64>(&mut con, &["BITOP", "XOR", "dest", "a", "b", "nokey"]), 2);
    assert_eq!(get_bytes(&mut con, "dest"), Some(b"\xf0\x0f".to_vec()));
    assert_eq!(run::<i64>(&mut con, &["BITOP", "NOT", "dest", "a"]), 2);
    assert_eq!(get_bytes(&mut con, "dest"), Some(b"\x00\xf0".to_vec()));
    // The destination is overwritten whatever it held, and loses its TTL.
    run::<i64>(&mut con, &["RPUSH", "list", "x"]);
    assert_eq!(run::<i64>(&mut con, &["BITOP", "OR", "list", "a"]), 2);
    assert_eq!(run::<String>(&mut con, &["TYPE", "list"]), "string");
    run::<()>(&mut con, &["EXPIRE", "dest", "100"]);
    run::<i64>(&mut con, &["BITOP", "OR", "dest", "a"]);
    assert_eq!(run::<i64>(&mut con, &["TTL", "dest"]), -1);
    // An empty result deletes the destination.
    assert_eq!(run::<i64>(&mut con, &["BITOP", "AND", "dest", "nokey", "nokey2"]), 0);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "dest"]), 0);
    assert_eq!(
        fail(&mut con, &["BITOP", "NOT", "dest", "a", "b"]),
        "ERR BITOP NOT must be called with a single source key."
    );
    assert_eq!(fail(&mut con, &["BITOP", "NOP", "dest", "a"]), SYNTAX);
    assert_eq!(fail(&mut con, &["BITOP", "AND", "dest"]), "ERR wrong number of arguments for 'bitop' command");
}

#[test]
fn wrong_type() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &["RPUSH", "l", "a"]);
    set(&mut con, "s", "x");
    for args in [
        &["SETBIT", "l", "0", "1"][..],
        &["GETBIT", "l", "0"],
        &["BITCOUNT", "l"],
        &["BITCOUNT", "l", "0", "1"],
        &["BITPOS", "l", "1"],
        &["BITOP", "AND", "dest", "s", "l"],
        &["BITOP", "NOT", "dest", "l"],
    ] {
        assert_eq!(fail(&mut con, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "dest"]), 0);
    assert_eq!(run::<i64>(&mut con, &["LLEN", "l"]), 1);
}

/// A BITFIELD reply: integers, nil for a refused overflow.
fn bitfield(con: &mut Connection, args: &[&str]) -> Vec<Option<i64>> {
    run(con, args)
}

#[test]
fn bitfield_operations() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // The BITFIELD docs examples.
    assert_eq!(
        bitfield(&mut con, &["BITFIELD", "mykey", "INCRBY", "i5", "100", "1", "GET", "u4", "0"]),
        [Some(1), Some(0)]
    );
    assert_eq!(run::<i64>(&mut con, &["STRLEN", "mykey"]), 14);
    let over = ["BITFIELD", "mykey", "incrby", "u2", "100", "1", "OVERFLOW", "SAT", "incrby", "u2", "102", "1"];
    assert_eq!(bitfield(&mut con, &over), [Some(1), Some(1)]);
    assert_eq!(bitfield(&mut con, &over), [Some(2), Some(2)]);
    assert_eq!(bitfield(&mut con, &over), [Some(3), Some(3)]);
    assert_eq!(bitfield(&mut con, &over), [Some(0), Some(3)]);
    assert_eq!(bitfield(&mut con, &["BITFIELD", "mykey", "OVERFLOW", "FAIL", "incrby", "u2", "102", "1"]), [None]);
    // SET replies the old value; #N addresses the N-th field of the type's width.
    assert_eq!(
        bitfield(&mut con, &["BITFIELD", "f", "SET", "i8", "0", "-100", "GET", "i8", "0", "GET", "u8", "0"]),
        [Some(0), Some(-100), Some(156)]
    );
    assert_eq!(
        bitfield(&mut con, &["BITFIELD", "f", "SET", "u8", "#1", "255", "GET", "u8", "8", "GET", "i8", "#1"]),
        [Some(0), Some(255), Some(-1)]
    );
    assert_eq!(get_bytes(&mut con, "f"), Some(vec![156, 255]));
    // Overflow policies on SET and INCRBY, signed and unsigned, 64-bit included.
    let sat = [
        "BITFIELD", "f", "OVERFLOW", "SAT", "SET", "u8", "0", "300", "SET", "i8", "0", "200", "SET", "i8", "0", "-200",
    ];
    assert_eq!(bitfield(&mut con, &sat), [Some(156), Some(-1), Some(127)]);
    assert_eq!(bitfield(&mut con, &["BITFIELD", "f", "GET", "i8", "0"]), [Some(-128)]);
    assert_eq!(
        bitfield(&mut con, &["BITFIELD", "f", "SET", "i8", "0", "200", "GET", "i8", "0"]),
        [Some(-128), Some(-56)]
    );
    assert_eq!(
        bitfield(&mut con, &["BITFIELD", "f", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "GET", "u8", "0"]),
        [Some(200), Some(255)]
    );
    assert_eq!(
        bitfield(&mut con, &["BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u8", "0", "256", "GET", "u8", "0"]),
        [None, Some(255)]
    );
    assert_eq!(bitfield(&mut con, &["BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "-300"]), [Some(0)]);
    let min = i64::MIN.to_string();
    assert_eq!(
        bitfield(&mut con, &["BITFIELD", "w", "SET", "i64", "0", &min, "INCRBY", "i64", "0", "-1"]),
        [Some(0), Some(i64::MAX)]
    );
    assert_eq!(bitfield(&mut con, &["BITFIELD", "w", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "10"]), [Some(i64::MAX)]);
    assert_eq!(
        bitfield(&mut con, &["BITFIELD", "w", "SET", "u63", "0", "-1", "GET", "u63", "0"]),
        [Some(i64::MAX >> 1), Some(i64::MAX)]
    );
    // A refused write still creates (and sizes) the key, as in Redis.
    assert_eq!(bitfield(&mut con, &["BITFIELD", "g", "OVERFLOW", "FAIL", "SET", "u8", "100", "300"]), [None]);
    assert_eq!(run::<i64>(&mut con, &["STRLEN", "g"]), 14);
    // Reads create nothing.
    assert_eq!(bitfield(&mut con, &["BITFIELD", "nokey", "GET", "u8", "0"]), [Some(0)]);
    assert_eq!(bitfield(&mut con, &["BITFIELD", "nokey"]), []);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "nokey"]), 0);
    // BITFIELD_RO.
    assert_eq!(bitfield(&mut con, &["BITFIELD_RO", "f", "GET", "u8", "0", "GET", "u4", "#3"]), [Some(0), Some(15)]);
    assert_eq!(
        fail(&mut con, &["BITFIELD_RO", "f", "SET", "u8", "0", "1"]),
        "ERR BITFIELD_RO only supports the GET subcommand"
    );
}

#[test]
fn bitfield_errors() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let bad_type = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    for ty in ["u64", "i65", "i0", "I8", "x", "u"] {
        assert_eq!(fail(&mut con, &["BITFIELD", "k", "GET", ty, "0"]), bad_type, "{ty}");
    }
    for offset in ["-1", "#-1", "#", "x", "#536870912", "4294967296"] {
        assert_eq!(fail(&mut con, &["BITFIELD", "k", "GET", "u8", offset]), BAD_OFFSET, "{offset}");
    }
    assert_eq!(fail(&mut con, &["BITFIELD", "k", "SET", "i8", "0", "x"]), NOT_INT);
    assert_eq!(
        fail(&mut con, &["BITFIELD", "k", "OVERFLOW", "foo", "GET", "i8", "0"]),
        "ERR Invalid OVERFLOW type specified"
    );
    for args in [
        &["BITFIELD", "k", "OVERFLOW"][..],
        &["BITFIELD", "k", "GET", "i8"],
        &["BITFIELD", "k", "FOO"],
        &["BITFIELD", "k", "SET", "i8", "0"],
    ] {
        assert_eq!(fail(&mut con, args), SYNTAX, "{args:?}");
    }
    // Nothing runs when any operation is invalid.
    assert_eq!(fail(&mut con, &["BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u64", "0"]), bad_type);
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "k"]), 0);
    run::<i64>(&mut con, &["RPUSH", "l", "a"]);
    for args in [
        &["BITFIELD", "l", "GET", "i8", "0"][..],
        &["BITFIELD", "l", "SET", "i8", "0", "1"],
        &["BITFIELD_RO", "l", "GET", "i8", "0"],
    ] {
        assert_eq!(fail(&mut con, args), WRONGTYPE, "{args:?}");
    }
}

#[test]
fn new_bitmaps_are_raw_strings() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let encoding = |c: &mut redis::Connection, key: &str| run::<String>(c, &["OBJECT", "ENCODING", key]);
    // Redis builds these values as growable buffers: "raw" however short.
    assert_eq!(run::<i64>(&mut c, &["SETBIT", "a", "7", "1"]), 0);
    assert_eq!(encoding(&mut c, "a"), "raw");
    assert_eq!(run::<Vec<i64>>(&mut c, &["BITFIELD", "b", "SET", "u8", "0", "1"]), [0]);
    assert_eq!(encoding(&mut c, "b"), "raw");
    run::<()>(&mut c, &["SET", "s", "ab"]);
    assert_eq!(run::<i64>(&mut c, &["BITOP", "AND", "c", "s", "s"]), 2);
    assert_eq!(encoding(&mut c, "c"), "raw");
    assert_eq!(run::<i64>(&mut c, &["BITOP", "NOT", "d", "s"]), 2);
    assert_eq!(encoding(&mut c, "d"), "raw");
}

#[test]
fn bitfield_saturation_of_huge_negative_values_is_redis_7_0s() {
    // Redis's overflow check computes the headroom `max - value` in 64 bits, which wraps
    // for a value near -2^63: such a value saturates to the type's maximum there.
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let min = i64::MIN.to_string();
    let near_min = (i64::MIN + 1).to_string();
    let _: Vec<i64> = run(
        &mut con,
        &[
            "BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "i8", "0", &min, "SET", "i1", "8", &min, "SET", "i8", "16",
            &near_min,
        ],
    );
    let value: Vec<u8> = run(&mut con, &["GET", "bf"]);
    assert_eq!(value, b"\x7f\x00\x7f");
}
