//! Redis's RDB format, so data moves between Redis and Aegisr both ways. Written
//! ([`write`], version 10, Redis 7.0's; 7.2 loads it too): what `redis-cli --rdb` receives
//! from SYNC, and DUMP's payloads, so a dataset or a key can leave Aegisr for Redis or any
//! tool that reads RDB. Read ([`read`], every version up to 11, Redis 7.2's): Redis's DUMP
//! payloads, so RESTORE and Redis's MIGRATE bring keys in; and whole files ([`file`]), so a
//! Redis's dump.rdb is imported at start ([`import`]).
//!
//! Values are written in the plain encodings every Redis since 2.x loads (a list as
//! RDB_TYPE_LIST, a set as RDB_TYPE_SET, a sorted set as RDB_TYPE_ZSET_2, a hash as
//! RDB_TYPE_HASH): Redis converts them to its compact forms by its own thresholds on load.
//! Streams have no plain encoding: they are written as Redis 7.0 keeps them
//! (RDB_TYPE_STREAM_LISTPACKS_2, listpacks of up to [`STREAM_NODE_ENTRIES`] entries). Bloom
//! filters are a RedisBloom module type in Redis, whose format is that module's: they are
//! refused ([`Unsupported`]).
//!
//! ```text
//! file   "REDIS0010" aux* (SELECTDB db entry*)* function* 0xFF crc64:u64LE
//! aux    0xFA string string
//! entry  [0xFC expire_ms:i64LE] type:u8 key:string value
//! ```

pub mod file;
pub mod import;
mod lzf;
mod packed;
pub mod read;
pub mod write;

pub use write::{Checksum, Unsupported, dump_body, entry, function, header, select_db};

/// What an RDB file holds: the keys, the function libraries, or both (REPLCONF
/// rdb-filter-only, `redis-cli --functions-rdb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    pub keys: bool,
    pub functions: bool,
}

impl Default for Parts {
    fn default() -> Parts {
        Parts { keys: true, functions: true }
    }
}

/// The RDB version written (files and DUMP payloads): Redis 7.0's, which 7.2 loads too.
pub const VERSION: u16 = 10;
/// The newest RDB version read (Redis 7.2's).
const NEWEST_READ: u16 = 11;

// Value types (`rdb.h`).
const TYPE_STRING: u8 = 0;
const TYPE_LIST: u8 = 1;
const TYPE_SET: u8 = 2;
const TYPE_ZSET: u8 = 3;
const TYPE_HASH: u8 = 4;
const TYPE_ZSET_2: u8 = 5;
const TYPE_MODULE: u8 = 6;
const TYPE_MODULE_2: u8 = 7;
const TYPE_HASH_ZIPMAP: u8 = 9;
const TYPE_LIST_ZIPLIST: u8 = 10;
const TYPE_SET_INTSET: u8 = 11;
const TYPE_ZSET_ZIPLIST: u8 = 12;
const TYPE_HASH_ZIPLIST: u8 = 13;
const TYPE_LIST_QUICKLIST: u8 = 14;
const TYPE_STREAM_LISTPACKS: u8 = 15;
const TYPE_HASH_LISTPACK: u8 = 16;
const TYPE_ZSET_LISTPACK: u8 = 17;
const TYPE_LIST_QUICKLIST_2: u8 = 18;
const TYPE_STREAM_LISTPACKS_2: u8 = 19;
const TYPE_SET_LISTPACK: u8 = 20;
const TYPE_STREAM_LISTPACKS_3: u8 = 21;

// Opcodes between entries.
const OPCODE_FUNCTION2: u8 = 245;
const OPCODE_AUX: u8 = 250;
const OPCODE_EXPIRETIME_MS: u8 = 252;
const OPCODE_SELECTDB: u8 = 254;
const OPCODE_EOF: u8 = 255;

/// Redis's CRC-64 (Jones), the file's checksum.
pub(crate) const CRC64: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_REDIS);
