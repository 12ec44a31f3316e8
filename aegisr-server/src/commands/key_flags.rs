//! Key flags: what a command does to each of its keys, as Redis 7's key specs say it
//! (`RO`/`RW`/`OW`/`RM` plus `access`/`update`/`insert`/`delete`). COMMAND GETKEYSANDFLAGS
//! answers from here. The flags are taken from Redis 7.0's key specs, one entry per key in
//! the order `CommandSpec::keys_of` finds them, the last entry serving every further key
//! (MSET's pairs, ZUNIONSTORE's sources).

use super::args::is;
use super::table::{CommandSpec, Flags};

/// A set of key flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyFlags(u16);

const RO: u16 = 1;
const RW: u16 = 1 << 1;
const OW: u16 = 1 << 2;
const RM: u16 = 1 << 3;
const ACCESS: u16 = 1 << 4;
const UPDATE: u16 = 1 << 5;
const INSERT: u16 = 1 << 6;
const DELETE: u16 = 1 << 7;

impl KeyFlags {
    /// The flag names in the order Redis writes them (`addReplyFlagsForKeyArgs`).
    const NAMES: [(u16, &'static str); 8] = [
        (RO, "RO"),
        (RW, "RW"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
    ];

    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES.into_iter().filter(move |(f, _)| self.0 & f != 0).map(|(_, n)| n)
    }
}

/// The flags of each key `keys_of` (or XREAD's STREAMS) finds in `args` (name first), for
/// the command `spec` that `args` resolved to.
pub fn of_keys(spec: &CommandSpec, args: &[&[u8]], count: usize) -> Vec<KeyFlags> {
    let table = per_key(spec, args);
    (0..count).map(|i| KeyFlags(table.get(i).or(table.last()).copied().unwrap_or(RO | ACCESS))).collect()
}

/// The flags by key position, from Redis's key specs; SET and BITFIELD have variable flags
/// that depend on their arguments (Redis's `setGetKeys` and `bitfieldGetKeys`).
fn per_key(spec: &CommandSpec, args: &[&[u8]]) -> &'static [u16] {
    match spec.name {
        // SET ... GET reads the old value; a plain SET overwrites it.
        "set" if args.iter().skip(3).any(|a| is(a, "get")) => &[RW | ACCESS | UPDATE],
        "set" => &[OW | UPDATE],
        "bitfield" if bitfield_reads_only(args) => &[RO | ACCESS],
        name => table(name).unwrap_or(if spec.flags.contains(Flags::WRITE) {
            &[RW | ACCESS | UPDATE]
        } else {
            &[RO | ACCESS]
        }),
    }
}

/// Whether BITFIELD's subcommands are all well-formed GETs (and OVERFLOWs): anything else,
/// a syntax error included, is taken as a write, as Redis does.
fn bitfield_reads_only(args: &[&[u8]]) -> bool {
    let mut i = 2;
    while i < args.len() {
        let remaining = args.len() - i - 1;
        if is(args[i], "get") && remaining >= 2 {
            i += 3;
        } else if is(args[i], "overflow") && remaining >= 1 {
            i += 2;
        } else {
            return false;
        }
    }
    true
}

/// Redis 7.0's key spec flags by command. Sharded pubsub's channels are not keys there
/// (`not_key`), and SORT's BY/GET patterns are incomplete specs that find no key.
fn table(name: &str) -> Option<&'static [u16]> {
    Some(match name {
        "append" => &[RW | INSERT],
        "bitcount" => &[RO | ACCESS],
        "bitfield" => &[RW | ACCESS | UPDATE],
        "bitfield_ro" => &[RO | ACCESS],
        "bitop" => &[OW | UPDATE, RO | ACCESS],
        "bitpos" => &[RO | ACCESS],
        "blmove" => &[RW | ACCESS | DELETE, RW | INSERT],
        "blmpop" => &[RW | ACCESS | DELETE],
        "blpop" => &[RW | ACCESS | DELETE],
        "brpop" => &[RW | ACCESS | DELETE],
        "brpoplpush" => &[RW | ACCESS | DELETE, RW | INSERT],
        "bzmpop" => &[RW | ACCESS | DELETE],
        "bzpopmax" => &[RW | ACCESS | DELETE],
        "bzpopmin" => &[RW | ACCESS | DELETE],
        "copy" => &[RO | ACCESS, OW | UPDATE],
        "decr" => &[RW | ACCESS | UPDATE],
        "decrby" => &[RW | ACCESS | UPDATE],
        "del" => &[RM | DELETE],
        "dump" => &[RO | ACCESS],
        "eval" => &[RW | ACCESS | UPDATE],
        "eval_ro" => &[RO | ACCESS],
        "evalsha" => &[RW | ACCESS | UPDATE],
        "evalsha_ro" => &[RO | ACCESS],
        "exists" => &[RO],
        "expire" => &[RW | UPDATE],
        "expireat" => &[RW | UPDATE],
        "expiretime" => &[RO | ACCESS],
        "fcall" => &[RW | ACCESS | UPDATE],
        "fcall_ro" => &[RO | ACCESS],
        "geoadd" => &[RW | UPDATE],
        "geodist" => &[RO | ACCESS],
        "geohash" => &[RO | ACCESS],
        "geopos" => &[RO | ACCESS],
        "georadius" => &[RO | ACCESS, OW | UPDATE, OW | UPDATE],
        "georadius_ro" => &[RO | ACCESS],
        "georadiusbymember" => &[RO | ACCESS, OW | UPDATE, OW | UPDATE],
        "georadiusbymember_ro" => &[RO | ACCESS],
        "geosearch" => &[RO | ACCESS],
        "geosearchstore" => &[OW | UPDATE, RO | ACCESS],
        "get" => &[RO | ACCESS],
        "getbit" => &[RO | ACCESS],
        "getdel" => &[RW | ACCESS | DELETE],
        "getex" => &[RW | ACCESS | UPDATE],
        "getrange" => &[RO | ACCESS],
        "getset" => &[RW | ACCESS | UPDATE],
        "hdel" => &[RW | DELETE],
        "hexists" => &[RO],
        "hget" => &[RO | ACCESS],
        "hgetall" => &[RO | ACCESS],
        "hincrby" => &[RW | ACCESS | UPDATE],
        "hincrbyfloat" => &[RW | ACCESS | UPDATE],
        "hkeys" => &[RO | ACCESS],
        "hlen" => &[RO],
        "hmget" => &[RO | ACCESS],
        "hmset" => &[RW | UPDATE],
        "hrandfield" => &[RO | ACCESS],
        "hscan" => &[RO | ACCESS],
        "hset" => &[RW | UPDATE],
        "hsetnx" => &[RW | INSERT],
        "hstrlen" => &[RO],
        "hvals" => &[RO | ACCESS],
        "incr" => &[RW | ACCESS | UPDATE],
        "incrby" => &[RW | ACCESS | UPDATE],
        "incrbyfloat" => &[RW | ACCESS | UPDATE],
        "lcs" => &[RO | ACCESS],
        "lindex" => &[RO | ACCESS],
        "linsert" => &[RW | INSERT],
        "llen" => &[RO],
        "lmove" => &[RW | ACCESS | DELETE, RW | INSERT],
        "lmpop" => &[RW | ACCESS | DELETE],
        "lpop" => &[RW | ACCESS | DELETE],
        "lpos" => &[RO | ACCESS],
        "lpush" => &[RW | INSERT],
        "lpushx" => &[RW | INSERT],
        "lrange" => &[RO | ACCESS],
        "lrem" => &[RW | DELETE],
        "lset" => &[RW | UPDATE],
        "ltrim" => &[RW | DELETE],
        "memory|usage" => &[RO],
        "mget" => &[RO | ACCESS],
        "migrate" => &[RW | ACCESS | DELETE],
        "move" => &[RW | ACCESS | UPDATE],
        "mset" => &[OW | UPDATE],
        "msetnx" => &[OW | INSERT],
        "object|encoding" => &[RO],
        "object|freq" => &[RO],
        "object|idletime" => &[RO],
        "object|refcount" => &[RO],
        "persist" => &[RW | UPDATE],
        "pexpire" => &[RW | UPDATE],
        "pexpireat" => &[RW | UPDATE],
        "pexpiretime" => &[RO | ACCESS],
        "pfadd" => &[RW | INSERT],
        "pfcount" => &[RW | ACCESS],
        "pfdebug" => &[RW | ACCESS],
        "pfmerge" => &[RW | ACCESS | INSERT, RO | ACCESS],
        "psetex" => &[OW | UPDATE],
        "pttl" => &[RO | ACCESS],
        "rename" => &[RW | ACCESS | DELETE, OW | UPDATE],
        "renamenx" => &[RW | ACCESS | DELETE, OW | INSERT],
        "restore" => &[OW | UPDATE],
        "restore-asking" => &[OW | UPDATE],
        "rpop" => &[RW | ACCESS | DELETE],
        "rpoplpush" => &[RW | ACCESS | DELETE, RW | INSERT],
        "rpush" => &[RW | INSERT],
        "rpushx" => &[RW | INSERT],
        "sadd" => &[RW | INSERT],
        "scard" => &[RO],
        "sdiff" => &[RO | ACCESS],
        "sdiffstore" => &[OW | UPDATE, RO | ACCESS],
        "set" => &[RW | ACCESS | UPDATE],
        "setbit" => &[RW | ACCESS | UPDATE],
        "setex" => &[OW | UPDATE],
        "setnx" => &[OW | INSERT],
        "setrange" => &[RW | UPDATE],
        "sinter" => &[RO | ACCESS],
        "sintercard" => &[RO | ACCESS],
        "sinterstore" => &[RW | UPDATE, RO | ACCESS],
        "sismember" => &[RO],
        "smembers" => &[RO | ACCESS],
        "smismember" => &[RO | ACCESS],
        "smove" => &[RW | ACCESS | DELETE, RW | INSERT],
        "sort" => &[RO | ACCESS, OW | UPDATE],
        "sort_ro" => &[RO | ACCESS],
        "spop" => &[RW | ACCESS | DELETE],
        "srandmember" => &[RO | ACCESS],
        "srem" => &[RW | DELETE],
        "sscan" => &[RO | ACCESS],
        "strlen" => &[RO],
        "substr" => &[RO | ACCESS],
        "sunion" => &[RO | ACCESS],
        "sunionstore" => &[OW | UPDATE, RO | ACCESS],
        "touch" => &[RO],
        "ttl" => &[RO | ACCESS],
        "type" => &[RO],
        "unlink" => &[RM | DELETE],
        "watch" => &[RO],
        "xack" => &[RW | UPDATE],
        "xadd" => &[RW | UPDATE],
        "xautoclaim" => &[RW | DELETE],
        "xclaim" => &[RW | UPDATE],
        "xdel" => &[RW | DELETE],
        "xgroup|create" => &[RW | INSERT],
        "xgroup|createconsumer" => &[RW | INSERT],
        "xgroup|delconsumer" => &[RW | DELETE],
        "xgroup|destroy" => &[RW | DELETE],
        "xgroup|setid" => &[RW | UPDATE],
        "xinfo|consumers" => &[RO | ACCESS],
        "xinfo|groups" => &[RO | ACCESS],
        "xinfo|stream" => &[RO | ACCESS],
        "xlen" => &[RO],
        "xpending" => &[RO | ACCESS],
        "xrange" => &[RO | ACCESS],
        "xread" => &[RO | ACCESS],
        "xreadgroup" => &[RO | ACCESS],
        "xrevrange" => &[RO | ACCESS],
        "xsetid" => &[RW | UPDATE],
        "xtrim" => &[RW | DELETE],
        "zadd" => &[RW | UPDATE],
        "zcard" => &[RO],
        "zcount" => &[RO | ACCESS],
        "zdiff" => &[RO | ACCESS],
        "zdiffstore" => &[OW | UPDATE, RO | ACCESS],
        "zincrby" => &[RW | ACCESS | UPDATE],
        "zinter" => &[RO | ACCESS],
        "zintercard" => &[RO | ACCESS],
        "zinterstore" => &[OW | UPDATE, RO | ACCESS],
        "zlexcount" => &[RO | ACCESS],
        "zmpop" => &[RW | ACCESS | DELETE],
        "zmscore" => &[RO | ACCESS],
        "zpopmax" => &[RW | ACCESS | DELETE],
        "zpopmin" => &[RW | ACCESS | DELETE],
        "zrandmember" => &[RO | ACCESS],
        "zrange" => &[RO | ACCESS],
        "zrangebylex" => &[RO | ACCESS],
        "zrangebyscore" => &[RO | ACCESS],
        "zrangestore" => &[OW | UPDATE, RO | ACCESS],
        "zrank" => &[RO | ACCESS],
        "zrem" => &[RW | DELETE],
        "zremrangebylex" => &[RW | DELETE],
        "zremrangebyrank" => &[RW | DELETE],
        "zremrangebyscore" => &[RW | DELETE],
        "zrevrange" => &[RO | ACCESS],
        "zrevrangebylex" => &[RO | ACCESS],
        "zrevrangebyscore" => &[RO | ACCESS],
        "zrevrank" => &[RO | ACCESS],
        "zscan" => &[RO | ACCESS],
        "zscore" => &[RO | ACCESS],
        "zunion" => &[RO | ACCESS],
        "zunionstore" => &[OW | UPDATE, RO | ACCESS],
        // RedisBloom: adding creates the filter or adds to it, reading reads.
        "bf.add" | "bf.madd" | "bf.insert" => &[RW | INSERT],
        "bf.reserve" => &[RW | INSERT],
        "bf.card" | "bf.exists" | "bf.info" | "bf.mexists" => &[RO | ACCESS],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::table;

    #[test]
    fn every_command_with_keys_has_its_flags() {
        let all = table::all();
        for spec in all.iter().flat_map(|c| std::iter::once(*c).chain(c.subcommands.iter())) {
            let has_keys = spec.keys.first > 0 || spec.numkeys_at.is_some() || !spec.keyword_keys.is_empty();
            let shard_channels = matches!(spec.name, "spublish" | "ssubscribe" | "sunsubscribe");
            if has_keys && !shard_channels {
                assert!(table(spec.name).is_some(), "{} has keys but no key flags", spec.name);
            }
        }
    }

    #[test]
    fn variable_flags() {
        let names = |spec: &str, line: &str| -> Vec<&str> {
            let spec = table::lookup(spec.as_bytes()).unwrap();
            let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
            of_keys(spec, &args, 1)[0].names().collect()
        };
        assert_eq!(names("set", "set k v"), ["OW", "update"]);
        assert_eq!(names("set", "set k v NX GET"), ["RW", "access", "update"]);
        assert_eq!(names("set", "set k get"), ["OW", "update"]);
        assert_eq!(names("bitfield", "bitfield k get u8 0 overflow wrap"), ["RO", "access"]);
        assert_eq!(names("bitfield", "bitfield k get u8 0 set u8 0 1"), ["RW", "access", "update"]);
        assert_eq!(names("bitfield", "bitfield k get u8"), ["RW", "access", "update"]);
    }
}
