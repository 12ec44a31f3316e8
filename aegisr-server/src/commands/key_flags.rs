//! Key flags: what a command does to each of its keys, as Redis 7's key specs say it
//! (`RO`/`RW`/`OW`/`RM` plus `access`/`update`/`insert`/`delete`). COMMAND GETKEYSANDFLAGS
//! answers from here. The flags come from Redis's key specs (the table COMMAND INFO writes,
//! see `key_specs`), one entry per key in the order `CommandSpec::keys_of` finds them, the
//! last entry serving every further key (MSET's pairs, ZUNIONSTORE's sources).

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
fn per_key(spec: &CommandSpec, args: &[&[u8]]) -> Vec<u16> {
    match spec.name {
        // SET ... GET reads the old value; a plain SET overwrites it.
        "set" if args.iter().skip(3).any(|a| is(a, "get")) => vec![RW | ACCESS | UPDATE],
        "set" => vec![OW | UPDATE],
        "bitfield" if bitfield_reads_only(args) => vec![RO | ACCESS],
        name => table(name).unwrap_or_else(|| {
            vec![if spec.flags.contains(Flags::WRITE) { RW | ACCESS | UPDATE } else { RO | ACCESS }]
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

/// The flags of each key position: those of Redis 7's key specs (see `key_specs`), one
/// per spec, but for sharded pubsub's channels, which are not keys there (`not_key`), and
/// SORT's BY/GET patterns, a spec that finds no key (SORT's keys are the sorted one and
/// STORE's). Aegisr's own commands have theirs here.
fn table(name: &str) -> Option<Vec<u16>> {
    match name {
        "sort" => return Some(vec![RO | ACCESS, OW | UPDATE]),
        // RedisBloom: adding creates the filter or adds to it, reading reads.
        "bf.add" | "bf.madd" | "bf.insert" | "bf.reserve" => return Some(vec![RW | INSERT]),
        "bf.card" | "bf.exists" | "bf.info" | "bf.mexists" => return Some(vec![RO | ACCESS]),
        _ => {}
    }
    let flags: Vec<u16> = super::key_specs::redis_key_flags(name)?
        .filter(|names| !names.contains(&"not_key"))
        .map(|names| {
            // Other names (variable_flags, incomplete) say how the spec finds its keys.
            KeyFlags::NAMES.iter().filter(|(_, n)| names.contains(n)).fold(0, |all, (flag, _)| all | flag)
        })
        .collect();
    (!flags.is_empty()).then_some(flags)
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
