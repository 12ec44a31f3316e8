//! COMMAND INFO's tips and key specs. For a command Redis 7 has, they are Redis's own,
//! from the table [`redis`] generated from its COMMAND INFO (`scripts/gen_key_specs.py`):
//! what each key spec says about the keys (`RW access delete`...), its notes, and how
//! Redis finds the keys, which for some commands is not how Aegisr's own table finds them
//! (BITOP's destination and sources are two specs; SORT's STORE key is "unknown"). Tools
//! and cluster-aware clients read these as Redis writes them. A command of Aegisr's own
//! (BF.*) gets key specs derived from the command table.

use super::table::{CommandSpec, Flags, KeyRange};
use crate::reply::ReplySink;

mod redis;

/// Tips and key specs Redis reports for one command.
pub(super) struct Meta {
    tips: &'static [&'static str],
    key_specs: &'static [KeySpec],
}

/// One of Redis's key specs.
pub(super) struct KeySpec {
    /// Empty when Redis has none (the field is then left out).
    notes: &'static str,
    flags: &'static [&'static str],
    begin: Begin,
    find: Find,
}

/// Where the search for the keys starts.
pub(super) enum Begin {
    Index(i64),
    /// After `keyword`, searched for from `startfrom` (negative: from the end).
    Keyword(&'static str, i64),
    Unknown,
}

/// How the keys are found from the search start.
pub(super) enum Find {
    Range { last: i64, step: i64, limit: i64 },
    Keynum { at: i64, first: i64, step: i64 },
    Unknown,
}

/// Redis's tips and key specs for `name` (`container|sub` for a subcommand).
fn redis_meta(name: &str) -> Option<&'static Meta> {
    redis::REDIS.binary_search_by(|(n, _)| n.cmp(&name)).ok().map(|at| &redis::REDIS[at].1)
}

/// The flags of each of Redis's key specs for `name`, in order; `None` for a command Redis
/// does not have (COMMAND GETKEYSANDFLAGS derives its key flags from these).
pub(super) fn redis_key_flags(name: &str) -> Option<impl Iterator<Item = &'static [&'static str]>> {
    Some(redis_meta(name)?.key_specs.iter().map(|spec| spec.flags))
}

/// COMMAND INFO's tips and key-spec fields of `spec` (RESP3 sets, as Redis writes them).
pub(super) fn write_tips_and_key_specs(out: &mut dyn ReplySink, spec: &CommandSpec) {
    match redis_meta(spec.name) {
        Some(meta) => {
            out.set(meta.tips.len());
            for tip in meta.tips {
                out.bulk(tip.as_bytes());
            }
            out.set(meta.key_specs.len());
            for key_spec in meta.key_specs {
                write_key_spec(out, key_spec);
            }
        }
        None => {
            out.set(0);
            write_derived(out, spec);
        }
    }
}

/// A search or find of type `kind` whose spec is a map of integers.
fn typed_spec(out: &mut dyn ReplySink, kind: &[u8], fields: &[(&[u8], i64)]) {
    out.bulk(kind);
    out.bulk(b"spec");
    out.map(fields.len());
    for &(name, value) in fields {
        out.bulk(name);
        out.integer(value);
    }
}

/// An "unknown" search or find: Redis cannot tell where the keys are from the arguments.
fn unknown(out: &mut dyn ReplySink) {
    out.bulk(b"unknown");
    out.bulk(b"spec");
    out.map(0);
}

fn write_key_spec(out: &mut dyn ReplySink, spec: &KeySpec) {
    out.map(3 + usize::from(!spec.notes.is_empty()));
    if !spec.notes.is_empty() {
        out.bulk(b"notes");
        out.bulk(spec.notes.as_bytes());
    }
    out.bulk(b"flags");
    out.set(spec.flags.len());
    for flag in spec.flags {
        out.simple(flag);
    }
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    match spec.begin {
        Begin::Index(index) => typed_spec(out, b"index", &[(b"index", index)]),
        Begin::Keyword(keyword, start_from) => {
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(keyword.as_bytes());
            out.bulk(b"startfrom");
            out.integer(start_from);
        }
        Begin::Unknown => unknown(out),
    }
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    match spec.find {
        Find::Range { last, step, limit } => {
            typed_spec(out, b"range", &[(b"lastkey", last), (b"keystep", step), (b"limit", limit)]);
        }
        Find::Keynum { at, first, step } => {
            typed_spec(out, b"keynum", &[(b"keynumidx", at), (b"firstkey", first), (b"keystep", step)]);
        }
        Find::Unknown => unknown(out),
    }
}

/// Key specs derived from the command table, for a command Redis does not have: the key
/// range, the keys counted by an argument, then the keys after a keyword (written over).
fn write_derived(out: &mut dyn ReplySink, spec: &CommandSpec) {
    let access: &'static [&'static str] = if spec.flags.contains(Flags::WRITE) { &["RW"] } else { &["RO"] };
    let mut specs: Vec<KeySpec> = Vec::new();
    if spec.keys.first > 0 {
        let KeyRange { first, last, step } = spec.keys;
        let last = i64::from(if last < 0 { last } else { last - first });
        let find = Find::Range { last, step: i64::from(step), limit: 0 };
        specs.push(KeySpec { notes: "", flags: access, begin: Begin::Index(i64::from(first)), find });
    }
    if let Some(at) = spec.numkeys_at {
        // Redis's "keynum" spec: the count is at the search start, the keys right after it.
        let begin = Begin::Index(i64::try_from(at).unwrap_or(i64::MAX));
        specs.push(KeySpec { notes: "", flags: access, begin, find: Find::Keynum { at: 0, first: 1, step: 1 } });
    }
    for keyword in spec.keyword_keys {
        // A key after a keyword is written over (GEORADIUS ... STORE key), as Redis flags it.
        let begin = Begin::Keyword(keyword.keyword, i64::try_from(keyword.start_from).unwrap_or(i64::MAX));
        let find = Find::Range { last: 0, step: 1, limit: 0 };
        specs.push(KeySpec { notes: "", flags: &["OW", "update"], begin, find });
    }
    // A set in RESP3, as Redis writes it.
    out.set(specs.len());
    for key_spec in &specs {
        write_key_spec(out, key_spec);
    }
}
