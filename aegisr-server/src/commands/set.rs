//! The set commands: membership, random picks and pops, the multi-key algebra (SINTER,
//! SUNION, SDIFF and their STORE forms) and SSCAN. The data operations are in
//! `types::set`; multi-key commands lock all their keys at once so they are atomic.

use std::sync::atomic::Ordering;

use crate::config::EncodingLimits;

use super::table::{CommandSpec, Flags, Group, Handler, KeyRange};
use super::{Class, Ctx, args, errors::CommandError, errors::CommandResult, read_typed, typed, update_typed};
use crate::engine::Locked;
use crate::engine::glob::glob_match;
use crate::reply::ReplySink;
use crate::types::set::{Member, Set, SetLimits, sample_positions};
use crate::types::{Value, ValueRef};

const READ: Flags = Flags::READONLY;
const READ_FAST: Flags = Flags::READONLY.or(Flags::FAST);
const WRITE: Flags = Flags::WRITE.or(Flags::DENYOOM);
const WRITE_FAST: Flags = Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST);
/// Commands that only remove members never grow memory: Redis does not mark them denyoom.
const REMOVE_FAST: Flags = Flags::WRITE.or(Flags::FAST);

/// One table row; positional arguments keep the table compact and readable.
#[allow(clippy::too_many_arguments)]
const fn spec(
    name: &'static str,
    arity: i32,
    flags: Flags,
    keys: KeyRange,
    since: &'static str,
    summary: &'static str,
    syntax: &'static str,
    handler: Handler,
) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        keys,
        group: Group::Set,
        since,
        summary,
        syntax,
        handler: Some(handler),
        ..CommandSpec::BASE
    }
}

const ONE: KeyRange = KeyRange::FIRST;
const ALL: KeyRange = KeyRange::ALL;

pub(super) const COMMANDS: &[CommandSpec] = &[
    spec("sadd", -3, WRITE_FAST, ONE, "1.0.0", "Add one or more members to a set", "key member [member ...]", sadd),
    spec(
        "srem",
        -3,
        REMOVE_FAST,
        ONE,
        "1.0.0",
        "Remove one or more members from a set",
        "key member [member ...]",
        srem,
    ),
    spec(
        "sismember",
        3,
        READ_FAST,
        ONE,
        "1.0.0",
        "Determine if a given value is a member of a set",
        "key member",
        sismember,
    ),
    spec(
        "smismember",
        -3,
        READ_FAST,
        ONE,
        "6.2.0",
        "Returns the membership associated with the given elements for a set",
        "key member [member ...]",
        smismember,
    ),
    spec("smembers", 2, READ, ONE, "1.0.0", "Get all the members in a set", "key", smembers),
    spec("scard", 2, READ_FAST, ONE, "1.0.0", "Get the number of members in a set", "key", scard),
    spec(
        "spop",
        -2,
        REMOVE_FAST,
        ONE,
        "1.0.0",
        "Remove and return one or multiple random members from a set",
        "key [count]",
        spop,
    ),
    spec(
        "srandmember",
        -2,
        READ,
        ONE,
        "1.0.0",
        "Get one or multiple random members from a set",
        "key [count]",
        srandmember,
    ),
    spec(
        "smove",
        4,
        REMOVE_FAST,
        KeyRange::TWO,
        "1.0.0",
        "Move a member from one set to another",
        "source destination member",
        smove,
    ),
    spec("sinter", -2, READ, ALL, "1.0.0", "Intersect multiple sets", "key [key ...]", sinter),
    CommandSpec {
        numkeys_at: Some(1),
        ..spec(
            "sintercard",
            -3,
            READ.or(Flags::MOVABLE_KEYS),
            KeyRange::NONE,
            "7.0.0",
            "Intersect multiple sets and return the cardinality of the result",
            "numkeys key [key ...] [LIMIT limit]",
            sintercard,
        )
    },
    spec(
        "sinterstore",
        -3,
        WRITE,
        ALL,
        "1.0.0",
        "Intersect multiple sets and store the resulting set in a key",
        "destination key [key ...]",
        sinterstore,
    ),
    spec("sunion", -2, READ, ALL, "1.0.0", "Add multiple sets", "key [key ...]", sunion),
    spec(
        "sunionstore",
        -3,
        WRITE,
        ALL,
        "1.0.0",
        "Add multiple sets and store the resulting set in a key",
        "destination key [key ...]",
        sunionstore,
    ),
    spec("sdiff", -2, READ, ALL, "1.0.0", "Subtract multiple sets", "key [key ...]", sdiff),
    spec(
        "sdiffstore",
        -3,
        WRITE,
        ALL,
        "1.0.0",
        "Subtract multiple sets and store the resulting set in a key",
        "destination key [key ...]",
        sdiffstore,
    ),
    spec(
        "sscan",
        -3,
        READ,
        ONE,
        "2.8.0",
        "Incrementally iterate Set elements",
        "key cursor [MATCH pattern] [COUNT count]",
        sscan,
    ),
];

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The set thresholds currently configured.
fn limits(ctx: &Ctx<'_>) -> SetLimits {
    let e = &ctx.server.config.limits().encoding;
    SetLimits {
        max_intset_entries: EncodingLimits::size(&e.set_max_intset_entries),
        max_listpack_entries: EncodingLimits::size(&e.set_max_listpack_entries),
        max_listpack_value: EncodingLimits::size(&e.set_max_listpack_value),
    }
}

pub(super) fn bulk_member(out: &mut dyn ReplySink, m: Member<'_>) {
    m.with_bytes(|b| out.bulk(b));
}

/// A non-negative integer argument, Redis's `getPositiveLongFromObjectOrReply`: anything
/// else (a non-integer included) is "value is out of range, must be positive".
pub(super) fn positive(arg: &[u8]) -> Result<usize, CommandError> {
    ranged(arg, 0, "value is out of range, must be positive")
}

/// An integer argument of at least `min`, Redis's `getRangeLongFromObjectOrReply` with a
/// message: a non-integer gets the same message as an out-of-range value.
pub(super) fn ranged(arg: &[u8], min: i64, message: &str) -> Result<usize, CommandError> {
    args::int(arg)
        .ok()
        .filter(|&n| n >= min)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| CommandError::err(message))
}

/// The most elements a random-pick reply with repeats may have: the count is the client's,
/// so it is bounded (by proto-max-bulk-len / 16, 32M elements by default) instead of
/// filling memory with a reply Redis would also take minutes to build.
pub(super) fn max_repeat_picks(ctx: &Ctx<'_>) -> i64 {
    let max = ctx.server.config.limits().proto_max_bulk_len.load(Ordering::Relaxed) / 16;
    i64::try_from(max).unwrap_or(i64::MAX).max(1)
}

/// SRANDMEMBER/ZRANDMEMBER's count: any `i64` but `i64::MIN` (as Redis), and a repeat
/// count bounded by [`max_repeat_picks`].
pub(super) fn random_count(ctx: &Ctx<'_>, arg: &[u8]) -> Result<i64, CommandError> {
    let n = args::int(arg)?;
    if n == i64::MIN {
        return Err(CommandError::IntOutOfRange { min: -i64::MAX, max: i64::MAX });
    }
    let max = max_repeat_picks(ctx);
    if n < -max {
        return Err(CommandError::IntOutOfRange { min: -max, max: i64::MAX });
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------
// Single-key commands
// ---------------------------------------------------------------------------------------

fn sadd(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let limits = limits(ctx);
    let key = args[1];
    let members = &args[2..];
    let mut locked = ctx.lock(key);
    let added = match super::get_typed::<Set>(&mut locked, key) {
        Some(entry) => update_typed::<Set, _>(entry, |s| {
            s.prepare_for(members.len(), &limits);
            members.iter().filter(|m| s.insert(m, &limits)).count()
        })?,
        None => {
            let mut s = Set::for_members(Some(members[0]), members.len(), &limits);
            let added = members.iter().filter(|m| s.insert(m, &limits)).count();
            locked.set(key, Value::Set(s));
            added
        }
    };
    if added > 0 {
        ctx.notify(Class::Set, "sadd", key);
    } else {
        locked.unchanged();
    }
    drop(locked);
    ctx.out.count(added);
    Ok(())
}

fn srem(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = args[1];
    let mut locked = ctx.lock(key);
    let removed = match super::get_typed::<Set>(&mut locked, key) {
        Some(entry) => {
            let (removed, empty) = update_typed::<Set, _>(entry, |s| {
                let mut removed = 0;
                for m in &args[2..] {
                    if s.remove(m) {
                        removed += 1;
                        if s.is_empty() {
                            break;
                        }
                    }
                }
                (removed, s.is_empty())
            })?;
            if removed > 0 {
                ctx.notify(Class::Set, "srem", key);
            }
            if empty {
                locked.remove(key);
                ctx.notify(Class::Generic, "del", key);
            }
            removed
        }
        None => 0,
    };
    if removed == 0 {
        locked.unchanged();
    }
    drop(locked);
    ctx.out.integer(removed);
    Ok(())
}

fn sismember(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let found = read_typed::<Set>(&mut locked, args[1])?.is_some_and(|s| s.contains(args[2]));
    drop(locked);
    ctx.out.integer(i64::from(found));
    Ok(())
}

fn smismember(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let set = read_typed::<Set>(&mut locked, args[1])?;
    ctx.out.array(args.len() - 2);
    for m in &args[2..] {
        ctx.out.integer(i64::from(set.is_some_and(|s| s.contains(m))));
    }
    Ok(())
}

fn smembers(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    match read_typed::<Set>(&mut locked, args[1])? {
        Some(s) => {
            ctx.out.set(s.len());
            for m in s.iter() {
                bulk_member(ctx.out, m);
            }
        }
        None => ctx.out.set(0),
    }
    Ok(())
}

fn scard(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let len = read_typed::<Set>(&mut locked, args[1])?.map_or(0, Set::len);
    drop(locked);
    ctx.out.count(len);
    Ok(())
}

fn spop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args.len() > 3 {
        return Err(CommandError::Syntax);
    }
    let count = args.get(2).map(|a| positive(a)).transpose()?;
    let key = args[1];
    let mut locked = ctx.lock(key);
    let Some(entry) = super::get_typed::<Set>(&mut locked, key) else {
        drop(locked);
        match count {
            Some(_) => ctx.out.set(0),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    let (popped, empty) = update_typed::<Set, _>(entry, |s| {
        let popped: Vec<Vec<u8>> = match count {
            None => s.pop_random().into_iter().collect(),
            Some(n) if n >= s.len() => {
                let all = s.iter().map(Member::to_vec).collect();
                *s = Set::default();
                all
            }
            Some(n) => {
                let picks: Vec<Vec<u8>> =
                    sample_positions(s.len(), n).into_iter().filter_map(|i| s.get(i)).map(Member::to_vec).collect();
                for m in &picks {
                    s.remove(m);
                }
                picks
            }
        };
        (popped, s.is_empty())
    })?;
    if !popped.is_empty() {
        ctx.notify(Class::Set, "spop", key);
        // Which members a pop takes is random: the journal records what it removed.
        let mut srem: Vec<&[u8]> = Vec::with_capacity(popped.len() + 2);
        srem.extend([&b"SREM"[..], args[1]]);
        srem.extend(popped.iter().map(|m| &m[..]));
        crate::persist::capture::log_as(ctx.session.db, &srem);
    } else {
        // A count of 0 pops nothing: no change, as in Redis.
        locked.unchanged();
    }
    if empty {
        locked.remove(key);
        ctx.notify(Class::Generic, "del", key);
    }
    drop(locked);
    match count {
        None => ctx.out.bulk_or_null(popped.first().map(|m| &m[..])),
        Some(_) => {
            ctx.out.set(popped.len());
            for m in &popped {
                ctx.out.bulk(m);
            }
        }
    }
    Ok(())
}

fn srandmember(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args.len() > 3 {
        return Err(CommandError::Syntax);
    }
    let count = args.get(2).map(|a| random_count(ctx, a)).transpose()?;
    let mut locked = ctx.lock(args[1]);
    let set = read_typed::<Set>(&mut locked, args[1])?;
    let (Some(count), Some(s)) = (count, set) else {
        match (count, set) {
            (None, Some(s)) => match s.random() {
                Some(m) => bulk_member(ctx.out, m),
                None => ctx.out.null(),
            },
            (None, None) => ctx.out.null(),
            _ => ctx.out.array(0),
        }
        return Ok(());
    };
    if count < 0 {
        // With repeats: each pick independent.
        let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
        ctx.out.array(n);
        for _ in 0..n {
            match s.random() {
                Some(m) => bulk_member(ctx.out, m),
                None => ctx.out.null(),
            }
        }
        return Ok(());
    }
    let n = usize::try_from(count).unwrap_or(usize::MAX);
    if n >= s.len() {
        ctx.out.array(s.len());
        for m in s.iter() {
            bulk_member(ctx.out, m);
        }
        return Ok(());
    }
    let picks = sample_positions(s.len(), n);
    ctx.out.array(picks.len());
    for i in picks {
        match s.get(i) {
            Some(m) => bulk_member(ctx.out, m),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn smove(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let limits = limits(ctx);
    let (src, dst, member) = (args[1], args[2], args[3]);
    let mut locked = ctx.lock_keys(&args[1..3]);
    let reply = 'reply: {
        let Some(entry) = super::get_typed::<Set>(&mut locked, src) else {
            locked.unchanged();
            break 'reply 0;
        };
        let in_src = typed::<Set>(entry.value())?.contains(member);
        // Both types are checked before anything changes: a refusal is no change.
        if locked.peek(dst).is_some_and(|d| typed::<Set>(d.value()).is_err()) {
            locked.unchanged();
            return Err(CommandError::WrongType);
        }
        if src == dst || !in_src {
            locked.unchanged();
            break 'reply i64::from(in_src);
        }
        if let Some(entry) = locked.get(src) {
            let emptied = update_typed::<Set, _>(entry, |s| {
                s.remove(member);
                s.is_empty()
            })?;
            ctx.notify(Class::Set, "srem", src);
            if emptied {
                locked.remove(src);
                ctx.notify(Class::Generic, "del", src);
            }
        }
        // A member the destination already holds leaves it untouched: its watchers are not
        // told of a change (Redis signals the destination only when the member is added).
        let held = locked.peek(dst).is_some_and(|d| typed::<Set>(d.value()).is_ok_and(|s| s.contains(member)));
        let added = !held
            && match locked.get(dst) {
                Some(entry) => update_typed::<Set, _>(entry, |s| s.insert(member, &limits))?,
                None => {
                    let mut s = Set::for_members(Some(member), 1, &limits);
                    s.insert(member, &limits);
                    locked.set(dst, Value::Set(s));
                    true
                }
            };
        if added {
            ctx.notify(Class::Set, "sadd", dst);
        }
        1
    };
    drop(locked);
    ctx.out.integer(reply);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Multi-key algebra
// ---------------------------------------------------------------------------------------

/// The sizes of the sets at `keys` (`None` for missing keys), checking every key's type
/// first, as Redis does: a WRONGTYPE anywhere fails the command.
fn sizes(locked: &mut Locked<'_>, keys: &[&[u8]]) -> Result<Vec<Option<usize>>, CommandError> {
    keys.iter().map(|k| Ok(read_typed::<Set>(locked, k)?.map(Set::len))).collect()
}

/// Runs `f` on the set at `key` (already type-checked and read), if present. Only a look:
/// a source is neither changed nor counted as a hit again (its watchers are not told).
fn with_set<R>(locked: &mut Locked<'_>, key: &[u8], f: impl FnOnce(&Set) -> R) -> Option<R> {
    match locked.peek(key).map(|e| e.value()) {
        Some(ValueRef::Set(s)) => Some(f(s)),
        _ => None,
    }
}

/// The members of the intersection of the sets at `keys`.
fn inter(locked: &mut Locked<'_>, keys: &[&[u8]]) -> Result<Vec<Vec<u8>>, CommandError> {
    let sizes = sizes(locked, keys)?;
    // A missing key is an empty set: the intersection is empty.
    let Some(sizes) = sizes.into_iter().collect::<Option<Vec<usize>>>() else {
        return Ok(Vec::new());
    };
    // Start from the smallest set and filter through the others.
    let smallest = (0..keys.len()).min_by_key(|&i| sizes[i]).unwrap_or(0);
    let mut result: Vec<Vec<u8>> =
        with_set(locked, keys[smallest], |s| s.iter().map(Member::to_vec).collect()).unwrap_or_default();
    for (i, key) in keys.iter().enumerate() {
        if i == smallest || result.is_empty() {
            continue;
        }
        with_set(locked, key, |s| result.retain(|m: &Vec<u8>| s.contains(m)));
    }
    Ok(result)
}

/// The union of the sets at `keys`, as a set built the way Redis builds a result (an
/// intset first, converted as members come).
fn union(locked: &mut Locked<'_>, keys: &[&[u8]], limits: &SetLimits) -> Result<Set, CommandError> {
    sizes(locked, keys)?;
    let mut result = Set::default();
    for key in keys {
        with_set(locked, key, |s| {
            for m in s.iter() {
                m.with_bytes(|b| result.insert(b, limits));
            }
        });
    }
    Ok(result)
}

/// The members of the first set at `keys` that are in none of the others.
fn diff(locked: &mut Locked<'_>, keys: &[&[u8]]) -> Result<Vec<Vec<u8>>, CommandError> {
    sizes(locked, keys)?;
    let mut result: Vec<Vec<u8>> =
        with_set(locked, keys[0], |s| s.iter().map(Member::to_vec).collect()).unwrap_or_default();
    for key in &keys[1..] {
        if result.is_empty() {
            break;
        }
        with_set(locked, key, |s| result.retain(|m| !s.contains(m)));
    }
    Ok(result)
}

fn reply_members(out: &mut dyn ReplySink, members: &[Vec<u8>]) {
    out.set(members.len());
    for m in members {
        out.bulk(m);
    }
}

/// A set of `members`, built as Redis builds a stored result.
fn build(members: &[Vec<u8>], limits: &SetLimits) -> Set {
    let mut s = Set::default();
    for m in members {
        s.insert(m, limits);
    }
    s
}

/// Stores `result` at `dst` (replacing any value and its TTL), or deletes `dst` when the
/// result is empty, as the *STORE commands do; `event` is the command's keyspace event.
fn store(ctx: &Ctx<'_>, locked: &mut Locked<'_>, dst: &[u8], result: Set, event: &str) -> usize {
    let len = result.len();
    if result.is_empty() {
        if locked.remove(dst).is_some() {
            ctx.notify(Class::Generic, "del", dst);
        }
    } else {
        locked.set(dst, Value::Set(result));
        ctx.notify(Class::Set, event, dst);
    }
    len
}

fn sinter(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock_keys(&args[1..]);
    let result = inter(&mut locked, &args[1..])?;
    drop(locked);
    reply_members(ctx.out, &result);
    Ok(())
}

fn sintercard(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let numkeys = ranged(args[1], 1, "numkeys should be greater than 0")?;
    if numkeys > args.len() - 2 {
        return Err(CommandError::err("Number of keys can't be greater than number of args"));
    }
    let keys = &args[2..2 + numkeys];
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if args::is(args[i], "limit") && i + 1 < args.len() {
            limit = ranged(args[i + 1], 0, "LIMIT can't be negative")?;
            i += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let mut locked = ctx.lock_keys(keys);
    let result = inter(&mut locked, keys)?;
    drop(locked);
    let n = if limit == 0 { result.len() } else { result.len().min(limit) };
    ctx.out.count(n);
    Ok(())
}

fn sinterstore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let limits = limits(ctx);
    let mut locked = ctx.lock_keys(&args[1..]);
    let result = inter(&mut locked, &args[2..])?;
    let n = store(ctx, &mut locked, args[1], build(&result, &limits), "sinterstore");
    drop(locked);
    ctx.out.count(n);
    Ok(())
}

fn sunion(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let limits = limits(ctx);
    let mut locked = ctx.lock_keys(&args[1..]);
    let result = union(&mut locked, &args[1..], &limits)?;
    drop(locked);
    ctx.out.set(result.len());
    for m in result.iter() {
        bulk_member(ctx.out, m);
    }
    Ok(())
}

fn sunionstore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let limits = limits(ctx);
    let mut locked = ctx.lock_keys(&args[1..]);
    let result = union(&mut locked, &args[2..], &limits)?;
    let n = store(ctx, &mut locked, args[1], result, "sunionstore");
    drop(locked);
    ctx.out.count(n);
    Ok(())
}

fn sdiff(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock_keys(&args[1..]);
    let result = diff(&mut locked, &args[1..])?;
    drop(locked);
    reply_members(ctx.out, &result);
    Ok(())
}

fn sdiffstore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let limits = limits(ctx);
    let mut locked = ctx.lock_keys(&args[1..]);
    let result = diff(&mut locked, &args[2..])?;
    let n = store(ctx, &mut locked, args[1], build(&result, &limits), "sdiffstore");
    drop(locked);
    ctx.out.count(n);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// SSCAN (and the option parsing ZSCAN shares)
// ---------------------------------------------------------------------------------------

/// Writes a scan reply: the cursor, then the items.
pub(super) fn scan_reply(out: &mut dyn ReplySink, cursor: u64, items: usize) {
    out.array(2);
    out.bulk(itoa::Buffer::new().format(cursor).as_bytes());
    out.array(items);
}

fn sscan(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let cursor = args::cursor(args[2])?;
    let mut locked = ctx.lock(args[1]);
    let Some(set) = read_typed::<Set>(&mut locked, args[1])? else {
        drop(locked);
        scan_reply(ctx.out, 0, 0);
        return Ok(());
    };
    let args::ScanOptions { pattern, count, .. } = args::scan_options(&args[3..], false)?;
    let (next, found) = set.scan(cursor, count);
    let found: Vec<Member<'_>> =
        found.into_iter().filter(|m| pattern.is_none_or(|p| m.with_bytes(|b| glob_match(p, b, false)))).collect();
    scan_reply(ctx.out, next, found.len());
    for m in found {
        bulk_member(ctx.out, m);
    }
    Ok(())
}
