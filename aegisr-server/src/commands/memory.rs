//! MEMORY USAGE / STATS / MALLOC-STATS / PURGE / DOCTOR / HELP.
//!
//! USAGE is exact for what an entry keeps in its own block (the key, small strings, packed
//! hashes and sorted sets) and, like Redis, an estimate from up to SAMPLES elements for the
//! larger aggregates behind it.

use super::args::{is, uint};
use super::table::{CommandSpec, Flags, Group, KeyRange};
use super::{CommandError, CommandResult, Ctx};
use crate::types::{Value, ValueRef};

/// Redis's default sample size for aggregates.
const DEFAULT_SAMPLES: usize = 5;
/// What an allocation and a table slot cost beyond their payload, about.
const SLOT_AND_HEADER: usize = 16;

/// Average of `f` over up to `samples` items (all with 0), times the item count.
fn extrapolate<T>(items: impl Iterator<Item = T>, len: usize, samples: usize, f: impl Fn(T) -> usize) -> usize {
    let take = if samples == 0 { len } else { samples.min(len) };
    if take == 0 {
        return 0;
    }
    let sampled: usize = items.take(take).map(f).sum();
    sampled / take * len
}

fn value_size(value: ValueRef<'_>, samples: usize) -> usize {
    match value {
        ValueRef::Int(_) => 0,
        ValueRef::Str(s) => s.len(),
        ValueRef::List(l) => extrapolate(l.iter(), l.len(), samples, |e| e.len() + 2),
        ValueRef::Hash(h) => extrapolate(h.iter(), h.len(), samples, |(f, v)| f.len() + v.len() + 48),
        ValueRef::Set(s) => extrapolate(s.iter(), s.len(), samples, |m| m.with_bytes(<[u8]>::len) + 24),
        ValueRef::ZSet(z) => extrapolate(z.iter_from(0, false), z.len(), samples, |(m, _)| m.len() + 80),
        ValueRef::Bloom(b) => usize::try_from(b.size()).unwrap_or(usize::MAX),
        ValueRef::Stream(s) => usize::try_from(s.len()).unwrap_or(usize::MAX).saturating_mul(16),
    }
}

fn usage(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut samples = DEFAULT_SAMPLES;
    let mut i = 3;
    while i < args.len() {
        if is(args[i], "samples") && i + 1 < args.len() {
            samples = uint(args[i + 1])?;
            i += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let key = &args[2];
    let mut locked = ctx.lock(key);
    let size = locked.peek(key).map(|entry| {
        let boxed =
            if entry.is_boxed() { std::mem::size_of::<Value>() + value_size(entry.value(), samples) } else { 0 };
        entry.block_len() + SLOT_AND_HEADER + boxed
    });
    drop(locked);
    match size {
        Some(n) => ctx.out.count(n),
        None => ctx.out.null(),
    }
    Ok(())
}

fn purge(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    crate::server::allocator::purge();
    ctx.out.ok();
    Ok(())
}

/// MEMORY STATS: Redis's fields, in its order, from what Aegisr counts. The allocator
/// counts every byte handed out; client buffers are not counted apart (they are in the
/// dataset figure), and the per-database table overhead is the key tables' slots.
fn stats(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    use crate::server::info::rss_bytes;
    let server = ctx.server;
    let memory = crate::server::info::MemoryUse::now(server);
    let (used, startup, aof_buffer, backlog) = (memory.used, memory.startup, memory.aof_buffer, memory.backlog);
    let (overhead, dataset) = (memory.overhead, memory.dataset);
    let peak = crate::server::allocator::peak(used);
    let rss = rss_bytes();
    let databases: Vec<(usize, usize, usize)> = server
        .keyspace
        .db_sizes(ctx.tx)
        .into_iter()
        .enumerate()
        .filter(|&(_, (keys, _))| keys > 0)
        .map(|(db, (keys, expires))| (db, keys, expires))
        .collect();
    let keys: usize = databases.iter().map(|&(_, keys, _)| keys).sum();
    let net = used.saturating_sub(startup);
    let percent = |part: u64, whole: u64| if whole == 0 { 0.0 } else { part as f64 * 100.0 / whole as f64 };
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let int = |n: u64| Stat::Int(i64::try_from(n).unwrap_or(i64::MAX));
    let difference = Stat::Int(i64::try_from(rss).unwrap_or(i64::MAX) - i64::try_from(used).unwrap_or(i64::MAX));
    let per_key = if keys == 0 { 0 } else { net / keys as u64 };
    let before: [(&str, Stat); 10] = [
        ("peak.allocated", int(peak)),
        ("total.allocated", int(used)),
        ("startup.allocated", int(startup)),
        ("replication.backlog", int(backlog)),
        ("clients.slaves", Stat::Int(0)),
        ("clients.normal", Stat::Int(0)),
        ("cluster.links", Stat::Int(0)),
        ("aof.buffer", int(aof_buffer)),
        ("lua.caches", Stat::Int(0)),
        ("functions.caches", Stat::Int(0)),
    ];
    let after: [(&str, Stat); 17] = [
        ("overhead.total", int(overhead)),
        ("keys.count", int(keys as u64)),
        ("keys.bytes-per-key", int(per_key)),
        ("dataset.bytes", int(dataset)),
        ("dataset.percentage", Stat::Float(percent(dataset, net))),
        ("peak.percentage", Stat::Float(percent(used, peak))),
        ("allocator.allocated", int(used)),
        ("allocator.active", int(used)),
        ("allocator.resident", int(rss)),
        ("allocator-fragmentation.ratio", Stat::Float(1.0)),
        ("allocator-fragmentation.bytes", Stat::Int(0)),
        ("allocator-rss.ratio", Stat::Float(ratio(rss, used))),
        ("allocator-rss.bytes", difference),
        ("rss-overhead.ratio", Stat::Float(1.0)),
        ("rss-overhead.bytes", Stat::Int(0)),
        ("fragmentation", Stat::Float(ratio(rss, used))),
        ("fragmentation.bytes", difference),
    ];
    let out = &mut *ctx.out;
    out.map(before.len() + databases.len() + after.len());
    Stat::write_all(out, &before);
    for (db, keys, expires) in databases {
        out.bulk(format!("db.{db}").as_bytes());
        out.map(2);
        // A key table slot is one pointer; expiry times live in the entries themselves.
        out.bulk(b"overhead.hashtable.main");
        out.count(keys * std::mem::size_of::<usize>());
        out.bulk(b"overhead.hashtable.expires");
        out.count(expires * std::mem::size_of::<u64>());
    }
    Stat::write_all(out, &after);
    Ok(())
}

/// One MEMORY STATS value: Redis replies with integers for bytes and counts, doubles for
/// ratios and percentages.
#[derive(Clone, Copy)]
enum Stat {
    Int(i64),
    Float(f64),
}

impl Stat {
    fn write_all(out: &mut dyn crate::reply::ReplySink, fields: &[(&str, Stat)]) {
        for &(name, value) in fields {
            out.bulk(name.as_bytes());
            match value {
                Stat::Int(n) => out.integer(n),
                Stat::Float(x) => out.double(x),
            }
        }
    }
}

/// MEMORY MALLOC-STATS: Redis's answer when its allocator has no report (mimalloc's
/// figures are in MEMORY STATS and INFO memory).
fn malloc_stats(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    ctx.out.verbatim("txt", b"Stats not supported for the current allocator");
    Ok(())
}

fn doctor(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    ctx.out.verbatim(
        "txt",
        b"Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.",
    );
    Ok(())
}

const MEMORY: CommandSpec = CommandSpec { group: Group::Server, since: "4.0.0", ..CommandSpec::BASE };

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "memory",
    arity: -2,
    summary: "A container for memory diagnostics commands.",
    syntax: "<subcommand> [<arg> ...]",
    subcommands: &[
        CommandSpec {
            name: "memory|usage",
            arity: -3,
            flags: Flags::READONLY,
            keys: KeyRange { first: 2, last: 2, step: 1 },
            summary: "Estimates the memory usage of a key.",
            syntax: "key [SAMPLES count]",
            handler: Some(usage),
            ..MEMORY
        },
        CommandSpec {
            name: "memory|stats",
            arity: 2,
            summary: "Returns details about memory usage.",
            handler: Some(stats),
            ..MEMORY
        },
        CommandSpec {
            name: "memory|malloc-stats",
            arity: 2,
            summary: "Returns the allocator statistics.",
            handler: Some(malloc_stats),
            ..MEMORY
        },
        CommandSpec {
            name: "memory|purge",
            arity: 2,
            summary: "Asks the allocator to release memory.",
            handler: Some(purge),
            ..MEMORY
        },
        CommandSpec {
            name: "memory|doctor",
            arity: 2,
            summary: "Outputs a memory problems report.",
            handler: Some(doctor),
            ..MEMORY
        },
        CommandSpec {
            name: "memory|help",
            arity: 2,
            flags: Flags::LOADING.or(Flags::STALE),
            summary: "Returns helpful text about the different subcommands.",
            handler: Some(memory_help),
            ..MEMORY
        },
    ],
    ..MEMORY
}];

/// MEMORY HELP in Redis's words.
fn memory_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::redis_help(
        ctx.out,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}
