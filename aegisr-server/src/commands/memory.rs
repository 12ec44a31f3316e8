//! MEMORY USAGE / PURGE / DOCTOR / HELP.
//!
//! USAGE is exact for what an entry keeps in its own block (the key, small strings, packed
//! hashes and sorted sets) and, like Redis, an estimate from up to SAMPLES elements for the
//! larger aggregates behind it.

use bytes::Bytes;

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

fn usage(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CommandResult {
    let mut samples = DEFAULT_SAMPLES;
    let mut i = 3;
    while i < args.len() {
        if is(&args[i], "samples") && i + 1 < args.len() {
            samples = uint(&args[i + 1])?;
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

fn purge(ctx: &mut Ctx<'_>, _args: &[Bytes]) -> CommandResult {
    crate::server::allocator::purge();
    ctx.out.ok();
    Ok(())
}

fn doctor(ctx: &mut Ctx<'_>, _args: &[Bytes]) -> CommandResult {
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
            summary: "Returns helpful text about the different subcommands.",
            handler: Some(memory_help),
            ..MEMORY
        },
    ],
    ..MEMORY
}];

/// MEMORY HELP in Redis's words.
fn memory_help(ctx: &mut Ctx<'_>, _args: &[Bytes]) -> CommandResult {
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
