//! The hash commands: field reads and writes, counters, HRANDFIELD and HSCAN. Argument
//! parsing and replies live here; the data operations are in `types::hash`.
//!
//! Errors come in Redis's order: numeric arguments (HINCRBY's increment, HRANDFIELD's count,
//! HSCAN's cursor) are parsed before the key is looked up; HSCAN's options only after.

use std::sync::atomic::Ordering;

use super::table::{CommandSpec, Flags, Group, KeyRange};
use super::{Class, Ctx, args, errors::CommandError, errors::CommandResult, typed, update_typed, update_typed_unless};
use crate::engine::Locked;
use crate::engine::glob::glob_match;
use crate::reply::Protocol;
use crate::types::Value;
use crate::types::hash::{Hash, HashRef, Limits};
use crate::types::long_double::{LongDouble, Parsed};
use crate::types::string::{StringError, incr_by_float, parse_i64};

const READ: Flags = Flags::READONLY;
const READ_FAST: Flags = Flags::READONLY.or(Flags::FAST);
const WRITE_FAST: Flags = Flags::WRITE.or(Flags::FAST);
const WRITE_GROW_FAST: Flags = Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST);

const fn spec(
    name: &'static str,
    arity: i32,
    flags: Flags,
    since: &'static str,
    summary: &'static str,
    syntax: &'static str,
    handler: super::table::Handler,
) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        keys: KeyRange::FIRST,
        group: Group::Hash,
        since,
        summary,
        syntax,
        handler: Some(handler),
        ..CommandSpec::BASE
    }
}

pub(super) const COMMANDS: &[CommandSpec] = &[
    spec(
        "hset",
        -4,
        WRITE_GROW_FAST,
        "2.0.0",
        "Set the string value of a hash field",
        "key field value [field value ...]",
        hset,
    ),
    spec(
        "hsetnx",
        4,
        WRITE_GROW_FAST,
        "2.0.0",
        "Set the value of a hash field, only if the field does not exist",
        "key field value",
        hsetnx,
    ),
    spec("hget", 3, READ_FAST, "2.0.0", "Get the value of a hash field", "key field", hget),
    spec(
        "hmget",
        -3,
        READ_FAST,
        "2.0.0",
        "Get the values of all the given hash fields",
        "key field [field ...]",
        hmget,
    ),
    spec(
        "hmset",
        -4,
        WRITE_GROW_FAST,
        "2.0.0",
        "Set multiple hash fields to multiple values",
        "key field value [field value ...]",
        hmset,
    ),
    spec("hgetall", 2, READ, "2.0.0", "Get all the fields and values in a hash", "key", hgetall),
    spec("hdel", -3, WRITE_FAST, "2.0.0", "Delete one or more hash fields", "key field [field ...]", hdel),
    spec("hexists", 3, READ_FAST, "2.0.0", "Determine if a hash field exists", "key field", hexists),
    spec("hlen", 2, READ_FAST, "2.0.0", "Get the number of fields in a hash", "key", hlen),
    spec("hkeys", 2, READ, "2.0.0", "Get all the fields in a hash", "key", hkeys),
    spec("hvals", 2, READ, "2.0.0", "Get all the values in a hash", "key", hvals),
    spec("hstrlen", 3, READ_FAST, "3.2.0", "Get the length of the value of a hash field", "key field", hstrlen),
    spec(
        "hincrby",
        4,
        WRITE_GROW_FAST,
        "2.0.0",
        "Increment the integer value of a hash field by the given number",
        "key field increment",
        hincrby,
    ),
    spec(
        "hincrbyfloat",
        4,
        WRITE_GROW_FAST,
        "2.6.0",
        "Increment the float value of a hash field by the given amount",
        "key field increment",
        hincrbyfloat,
    ),
    spec(
        "hrandfield",
        -2,
        READ,
        "6.2.0",
        "Get one or multiple random fields from a hash",
        "key [count [WITHVALUES]]",
        hrandfield,
    ),
    spec(
        "hscan",
        -3,
        READ,
        "2.8.0",
        "Incrementally iterate hash fields and associated values",
        "key cursor [MATCH pattern] [COUNT count]",
        hscan,
    ),
];

/// The listpack limits, read per command so CONFIG SET takes effect at once.
fn limits(ctx: &Ctx<'_>) -> Limits {
    let e = &ctx.server.config.limits().encoding;
    Limits::new(e.hash_max_listpack_entries.load(Ordering::Relaxed), e.hash_max_listpack_value.load(Ordering::Relaxed))
}

/// Runs `change` on the hash at `key`, creating it when missing. `change` may fail, in which
/// case a hash it was given for a missing key is not stored.
fn upsert<R>(
    locked: &mut Locked<'_>,
    key: &[u8],
    unchanged: impl FnOnce(HashRef<'_>) -> Option<R>,
    change: impl FnOnce(&mut Hash) -> Result<R, CommandError>,
) -> Result<R, CommandError> {
    match super::get_typed::<Hash>(locked, key) {
        Some(entry) => {
            let changed = update_typed_unless::<Hash, _>(entry, |hash| unchanged(hash).map(Ok), change)?;
            // A refused change (HINCRBY of a field that is not an integer) changed nothing.
            locked.unless_refused(changed)
        }
        None => {
            let mut hash = Hash::new();
            let result = change(&mut hash)?;
            if !hash.is_empty() {
                locked.set(key, Value::Hash(hash));
            }
            Ok(result)
        }
    }
}

/// HSET and HMSET: the number of new fields.
fn set_pairs(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> Result<usize, CommandError> {
    if args.len() % 2 == 1 {
        return Err(CommandError::WrongArity(args::lower(args[0])));
    }
    let key = args[1];
    let limits = limits(ctx);
    let mut locked = ctx.lock(key);
    let pairs = args[2..].chunks_exact(2);
    let added = upsert(
        &mut locked,
        key,
        // Every field already holds its value: nothing to add (still a write, as in Redis).
        |hash| pairs.clone().all(|pair| hash.get(pair[0]) == Some(pair[1])).then_some(0),
        |hash| Ok(pairs.clone().filter(|pair| hash.insert(pair[0], pair[1], limits)).count()),
    )?;
    ctx.notify(Class::Hash, "hset", key);
    Ok(added)
}

fn hset(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let added = set_pairs(ctx, args)?;
    ctx.out.count(added);
    Ok(())
}

fn hmset(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    set_pairs(ctx, args)?;
    ctx.out.ok();
    Ok(())
}

fn hsetnx(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, field, value) = (args[1], args[2], args[3]);
    let limits = limits(ctx);
    let mut locked = ctx.lock(key);
    let added = upsert(
        &mut locked,
        key,
        |hash| hash.contains(field).then_some(false),
        |hash| Ok(!hash.contains(field) && hash.insert(field, value, limits)),
    )?;
    if added {
        ctx.notify(Class::Hash, "hset", key);
    } else {
        locked.unchanged();
    }
    drop(locked);
    ctx.out.integer(i64::from(added));
    Ok(())
}

fn hget(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    match locked.read(args[1]) {
        Some(entry) => ctx.out.bulk_or_null(typed::<Hash>(entry.value())?.get(args[2])),
        None => ctx.out.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let fields = &args[2..];
    let mut locked = ctx.lock(args[1]);
    let hash = match locked.read(args[1]) {
        Some(entry) => Some(typed::<Hash>(entry.value())?),
        None => None,
    };
    ctx.out.array(fields.len());
    for field in fields {
        ctx.out.bulk_or_null(hash.and_then(|h| h.get(field)));
    }
    Ok(())
}

/// HGETALL, HKEYS, HVALS.
fn get_all(ctx: &mut Ctx<'_>, args: &[&[u8]], fields: bool, values: bool) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let Some(entry) = locked.read(args[1]) else {
        if fields && values {
            ctx.out.map(0);
        } else {
            ctx.out.array(0);
        }
        return Ok(());
    };
    let hash = typed::<Hash>(entry.value())?;
    if fields && values {
        ctx.out.map(hash.len());
    } else {
        ctx.out.array(hash.len());
    }
    for (f, v) in hash.iter() {
        if fields {
            ctx.out.bulk(f);
        }
        if values {
            ctx.out.bulk(v);
        }
    }
    Ok(())
}

fn hgetall(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    get_all(ctx, args, true, true)
}

fn hkeys(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    get_all(ctx, args, true, false)
}

fn hvals(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    get_all(ctx, args, false, true)
}

fn hdel(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = args[1];
    let mut locked = ctx.lock(key);
    let removed = match super::get_typed::<Hash>(&mut locked, key) {
        None => 0,
        Some(entry) => {
            let (removed, empty) = update_typed::<Hash, _>(entry, |hash| {
                (args[2..].iter().filter(|f| hash.remove(f)).count(), hash.is_empty())
            })?;
            if removed > 0 {
                ctx.notify(Class::Hash, "hdel", key);
            }
            if empty {
                drop(locked.remove(key));
                ctx.notify(Class::Generic, "del", key);
            }
            removed
        }
    };
    if removed == 0 {
        locked.unchanged();
    }
    drop(locked);
    ctx.out.count(removed);
    Ok(())
}

fn hexists(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let found = match locked.read(args[1]) {
        Some(entry) => typed::<Hash>(entry.value())?.contains(args[2]),
        None => false,
    };
    drop(locked);
    ctx.out.integer(i64::from(found));
    Ok(())
}

fn hlen(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let len = match locked.read(args[1]) {
        Some(entry) => typed::<Hash>(entry.value())?.len(),
        None => 0,
    };
    drop(locked);
    ctx.out.count(len);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let len = match locked.read(args[1]) {
        Some(entry) => typed::<Hash>(entry.value())?.get(args[2]).map_or(0, <[u8]>::len),
        None => 0,
    };
    drop(locked);
    ctx.out.count(len);
    Ok(())
}

fn hincrby(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, field) = (args[1], args[2]);
    let delta = args::int(args[3])?;
    let limits = limits(ctx);
    let mut locked = ctx.lock(key);
    let n = upsert(
        &mut locked,
        key,
        |_| None,
        |hash| {
            let current = match hash.get(field) {
                Some(v) => parse_i64(v).ok_or_else(|| CommandError::err("hash value is not an integer"))?,
                None => 0,
            };
            let n = current.checked_add(delta).ok_or(CommandError::Overflow)?;
            hash.insert(field, itoa::Buffer::new().format(n).as_bytes(), limits);
            Ok(n)
        },
    )?;
    ctx.notify(Class::Hash, "hincrby", key);
    drop(locked);
    ctx.out.integer(n);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, field, incr) = (args[1], args[2], args[3]);
    // Redis reads a long double: "1e400" is an increment, "inf" is refused.
    match LongDouble::parse(incr) {
        None => return Err(CommandError::NotFloat),
        Some(Parsed::Infinite) => return Err(CommandError::err("value is NaN or Infinity")),
        Some(Parsed::Finite(_)) => {}
    }
    let limits = limits(ctx);
    let mut locked = ctx.lock(key);
    let text = upsert(
        &mut locked,
        key,
        |_| None,
        |hash| {
            let current = hash.get(field).unwrap_or(b"0");
            if LongDouble::parse(current).is_none() {
                return Err(CommandError::err("hash value is not a float"));
            }
            let text = incr_by_float(current, incr).map_err(|e| match e {
                StringError::NotFloat => CommandError::err("hash value is not a float"),
                other => CommandError::from(other),
            })?;
            hash.insert(field, text.as_bytes(), limits);
            Ok(text)
        },
    )?;
    // Logged (and streamed to Redis replicas) as the HSET of the result, as Redis
    // propagates it: a replay must not depend on how another build rounds.
    crate::persist::capture::log_as(ctx.session.db, &[b"HSET", key, field, text.as_bytes()]);
    ctx.notify(Class::Hash, "hincrbyfloat", key);
    drop(locked);
    ctx.out.bulk(text.as_bytes());
    Ok(())
}

/// Writes one field (and its value) of an HRANDFIELD reply; in RESP3 a pair is an array.
fn field_reply(ctx: &mut Ctx<'_>, (field, value): (&[u8], &[u8]), with_values: bool) {
    if with_values {
        if ctx.session.protocol == Protocol::Resp3 {
            ctx.out.array(2);
        }
        ctx.out.bulk(field);
        ctx.out.bulk(value);
    } else {
        ctx.out.bulk(field);
    }
}

fn hrandfield(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = args[1];
    let Some(count_arg) = args.get(2) else {
        let mut locked = ctx.lock(key);
        let Some(entry) = locked.read(key) else {
            ctx.out.null();
            return Ok(());
        };
        let hash = typed::<Hash>(entry.value())?;
        let pick = hash.pair_at(fastrand::usize(..hash.len().max(1))).map(|(f, _)| f);
        ctx.out.bulk_or_null(pick);
        return Ok(());
    };
    let count = args::int(count_arg)?;
    if count == i64::MIN {
        return Err(CommandError::IntOutOfRange { min: -i64::MAX, max: i64::MAX });
    }
    let with_values = match args.get(3) {
        None => false,
        Some(opt) if args.len() == 4 && args::is(opt, "withvalues") => true,
        Some(_) => return Err(CommandError::Syntax),
    };
    // Redis: the reply would not fit a long.
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CommandError::err("value is out of range"));
    }
    let max_reply = ctx.server.config.limits().proto_max_bulk_len.load(Ordering::Relaxed);
    let mut locked = ctx.lock(key);
    let Some(entry) = locked.read(key) else {
        ctx.out.array(0);
        return Ok(());
    };
    let hash = typed::<Hash>(entry.value())?;
    let size = hash.len();
    let wanted = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let items = if with_values && ctx.session.protocol == Protocol::Resp2 { 2 } else { 1 };
    if count < 0 {
        // Repeats allowed: the reply is as long as asked. Redis would build any size; we
        // refuse one larger than proto-max-bulk-len rather than exhaust memory.
        let bytes_per_pick =
            hash.iter().map(|(f, v)| f.len() + if with_values { v.len() } else { 0 } + 32).sum::<usize>() / size.max(1);
        let estimate = u64::try_from(wanted).unwrap_or(u64::MAX).saturating_mul(bytes_per_pick as u64);
        if estimate > max_reply {
            return Err(CommandError::err("value is out of range"));
        }
        ctx.out.array(wanted.saturating_mul(items));
        for _ in 0..wanted {
            if let Some(pair) = hash.pair_at(fastrand::usize(..size)) {
                field_reply(ctx, pair, with_values);
            }
        }
        return Ok(());
    }
    let picks: Vec<usize> = if wanted >= size {
        (0..size).collect()
    } else if wanted.saturating_mul(3) > size {
        // Many of them: shuffle the first `wanted` positions into place.
        let mut all: Vec<usize> = (0..size).collect();
        for i in 0..wanted {
            let j = fastrand::usize(i..size);
            all.swap(i, j);
        }
        all.truncate(wanted);
        all
    } else {
        let mut chosen = hashbrown::HashSet::with_capacity(wanted);
        let mut picks = Vec::with_capacity(wanted);
        while picks.len() < wanted {
            let i = fastrand::usize(..size);
            if chosen.insert(i) {
                picks.push(i);
            }
        }
        picks
    };
    ctx.out.array(picks.len().saturating_mul(items));
    for i in picks {
        if let Some(pair) = hash.pair_at(i) {
            field_reply(ctx, pair, with_values);
        }
    }
    Ok(())
}

/// HSCAN. A listpack hash is returned whole with cursor 0 (as Redis does); a hashtable is
/// walked by position from the top down (see `types::hash`).
fn hscan(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let cursor = args::cursor(args[2])?;
    let mut locked = ctx.lock(args[1]);
    let Some(entry) = locked.read(args[1]) else {
        // Redis replies before it looks at the options.
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.array(0);
        return Ok(());
    };
    let hash = typed::<Hash>(entry.value())?;
    let args::ScanOptions { pattern, count, .. } = args::scan_options(&args[3..], false)?;
    let (next, range) = hash.scan(cursor, count);
    let found: Vec<(&[u8], &[u8])> = range
        .filter_map(|i| hash.pair_at(i))
        .filter(|(f, _)| pattern.is_none_or(|p| glob_match(p, f, false)))
        .collect();
    ctx.out.array(2);
    ctx.out.bulk(itoa::Buffer::new().format(next).as_bytes());
    ctx.out.array(found.len() * 2);
    for (f, v) in found {
        ctx.out.bulk(f);
        ctx.out.bulk(v);
    }
    Ok(())
}
