//! The list commands (not the blocking ones): pushes and pops at both ends, index and range
//! access, LINSERT/LREM/LTRIM/LPOS, and the moves between lists (LMOVE, RPOPLPUSH, LMPOP).
//! Argument parsing and replies live here; the data operations are in `types::list`.
//!
//! Errors come in Redis's order: where Redis parses an argument only after looking the key
//! up (LINDEX, LSET), so do we, so a missing key or WRONGTYPE wins over a bad index.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use smallvec::SmallVec;

use super::table::{CommandSpec, Flags, Group, KeyRange};
use super::{
    BlockOn, Class, Ctx, args, block_timeout, errors::CommandError, errors::CommandResult, typed, update_typed,
};
use crate::engine::Locked;
use crate::reply::ReplySink;
use crate::types::Value;
use crate::types::compact_bytes::CompactBytes;
use crate::types::list::{End, Limit, List, normalize_range};

const READ: Flags = Flags::READONLY;
const READ_FAST: Flags = Flags::READONLY.or(Flags::FAST);
const WRITE: Flags = Flags::WRITE;
const WRITE_FAST: Flags = Flags::WRITE.or(Flags::FAST);
const WRITE_GROW: Flags = Flags::WRITE.or(Flags::DENYOOM);
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
        group: Group::List,
        since,
        summary,
        syntax,
        handler: Some(handler),
        ..CommandSpec::BASE
    }
}

pub(super) const COMMANDS: &[CommandSpec] = &[
    spec(
        "lpush",
        -3,
        WRITE_GROW_FAST,
        "1.0.0",
        "Prepend one or multiple elements to a list",
        "key element [element ...]",
        lpush,
    ),
    spec(
        "rpush",
        -3,
        WRITE_GROW_FAST,
        "1.0.0",
        "Append one or multiple elements to a list",
        "key element [element ...]",
        rpush,
    ),
    spec(
        "lpushx",
        -3,
        WRITE_GROW_FAST,
        "2.2.0",
        "Prepend an element to a list, only if the list exists",
        "key element [element ...]",
        lpushx,
    ),
    spec(
        "rpushx",
        -3,
        WRITE_GROW_FAST,
        "2.2.0",
        "Append an element to a list, only if the list exists",
        "key element [element ...]",
        rpushx,
    ),
    spec("lpop", -2, WRITE_FAST, "1.0.0", "Remove and get the first elements in a list", "key [count]", lpop),
    spec("rpop", -2, WRITE_FAST, "1.0.0", "Remove and get the last elements in a list", "key [count]", rpop),
    spec("llen", 2, READ_FAST, "1.0.0", "Get the length of a list", "key", llen),
    spec("lrange", 4, READ, "1.0.0", "Get a range of elements from a list", "key start stop", lrange),
    spec("lindex", 3, READ, "1.0.0", "Get an element from a list by its index", "key index", lindex),
    spec(
        "lset",
        4,
        WRITE_GROW,
        "1.0.0",
        "Set the value of an element in a list by its index",
        "key index element",
        lset,
    ),
    spec(
        "linsert",
        5,
        WRITE_GROW,
        "2.2.0",
        "Insert an element before or after another element in a list",
        "key BEFORE | AFTER pivot element",
        linsert,
    ),
    spec("lrem", 4, WRITE, "1.0.0", "Remove elements from a list", "key count element", lrem),
    spec("ltrim", 4, WRITE, "1.0.0", "Trim a list to the specified range", "key start stop", ltrim),
    spec(
        "lpos",
        -3,
        READ,
        "6.0.6",
        "Return the index of matching elements on a list",
        "key element [RANK rank] [COUNT num-matches] [MAXLEN len]",
        lpos,
    ),
    CommandSpec {
        keys: KeyRange::TWO,
        ..spec(
            "lmove",
            5,
            WRITE_GROW,
            "6.2.0",
            "Pop an element from a list, push it to another list and return it",
            "source destination LEFT | RIGHT LEFT | RIGHT",
            lmove,
        )
    },
    CommandSpec {
        keys: KeyRange::TWO,
        ..spec(
            "rpoplpush",
            3,
            WRITE_GROW,
            "1.2.0",
            "Remove the last element in a list, prepend it to another list and return it",
            "source destination",
            rpoplpush,
        )
    },
    CommandSpec {
        flags: Flags::WRITE.or(Flags::MOVABLE_KEYS),
        keys: KeyRange::NONE,
        numkeys_at: Some(1),
        ..spec(
            "lmpop",
            -4,
            WRITE,
            "7.0.0",
            "Pop elements from a list",
            "numkeys key [key ...] LEFT | RIGHT [COUNT count]",
            lmpop,
        )
    },
    CommandSpec {
        keys: KeyRange { first: 1, last: -2, step: 1 },
        ..spec(
            "blpop",
            -3,
            BLOCKING_WRITE,
            "2.0.0",
            "Remove and get the first element in a list, or block until one is available",
            "key [key ...] timeout",
            blpop,
        )
    },
    CommandSpec {
        keys: KeyRange { first: 1, last: -2, step: 1 },
        ..spec(
            "brpop",
            -3,
            BLOCKING_WRITE,
            "2.0.0",
            "Remove and get the last element in a list, or block until one is available",
            "key [key ...] timeout",
            brpop,
        )
    },
    CommandSpec {
        keys: KeyRange::TWO,
        ..spec(
            "brpoplpush",
            4,
            BLOCKING_WRITE.or(Flags::DENYOOM),
            "2.2.0",
            "Pop an element from a list, push it to another list and return it; or block until one is available",
            "source destination timeout",
            brpoplpush,
        )
    },
    CommandSpec {
        keys: KeyRange::TWO,
        ..spec(
            "blmove",
            6,
            BLOCKING_WRITE.or(Flags::DENYOOM),
            "6.2.0",
            "Pop an element from a list, push it to another list and return it; or block until one is available",
            "source destination LEFT | RIGHT LEFT | RIGHT timeout",
            blmove,
        )
    },
    CommandSpec {
        flags: Flags::WRITE.or(Flags::BLOCKING).or(Flags::MOVABLE_KEYS),
        keys: KeyRange::NONE,
        numkeys_at: Some(2),
        ..spec(
            "blmpop",
            -5,
            BLOCKING_WRITE,
            "7.0.0",
            "Pop elements from a list, or block until one is available",
            "timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]",
            blmpop,
        )
    },
];

/// Blocking commands: write, blocking, not allowed in scripts (as Redis flags them).
const BLOCKING_WRITE: Flags = Flags::WRITE.or(Flags::NOSCRIPT).or(Flags::BLOCKING);

/// The listpack limit, read per command so CONFIG SET takes effect at once.
pub(super) fn limit(ctx: &Ctx<'_>) -> Limit {
    Limit::from_fill(ctx.server.config.limits().encoding.list_max_listpack_size.load(Ordering::Relaxed))
}

/// Deletes `key` if its list became empty, as Redis does (with its "del" event); the value
/// is freed after the lock.
fn remove_if_empty(ctx: &Ctx<'_>, locked: &mut Locked<'_>, key: &[u8], empty: bool) {
    if empty {
        drop(locked.remove(key));
        ctx.notify(Class::Generic, "del", key);
    }
}

/// The keyspace event of a push at `end`.
fn push_event(end: End) -> &'static str {
    match end {
        End::Left => "lpush",
        End::Right => "rpush",
    }
}

/// The events of a pop from `end` of `key`: "lpop" or "rpop", then "del" if it emptied
/// the list (the key is already gone).
fn notify_popped(ctx: &Ctx<'_>, key: &[u8], end: End, deleted: bool) {
    ctx.notify(
        Class::List,
        match end {
            End::Left => "lpop",
            End::Right => "rpop",
        },
        key,
    );
    if deleted {
        ctx.notify(Class::Generic, "del", key);
    }
}

/// A reply length (lengths are far below i64::MAX).
fn int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `LEFT` or `RIGHT`, else a syntax error.
fn end_of(arg: &[u8]) -> Result<End, CommandError> {
    if args::is(arg, "left") {
        Ok(End::Left)
    } else if args::is(arg, "right") {
        Ok(End::Right)
    } else {
        Err(CommandError::Syntax)
    }
}

/// Pushes `elems` at `end` of `list`, converting it first if they would outgrow a listpack.
fn push_all(list: &mut List, end: End, elems: &[&[u8]], limit: Limit) {
    let bytes = elems.iter().map(|e| e.len()).sum();
    list.prepare_growth(bytes, elems.len(), limit);
    for elem in elems {
        list.push(end, elem);
    }
}

fn push(ctx: &mut Ctx<'_>, args: &[&[u8]], end: End, only_existing: bool) -> CommandResult {
    let key = args[1];
    let elems = &args[2..];
    let limit = limit(ctx);
    let mut locked = ctx.lock(key);
    let len = match super::get_typed::<List>(&mut locked, key) {
        Some(entry) => update_typed::<List, _>(entry, |list| {
            push_all(list, end, elems, limit);
            list.len()
        })?,
        None if only_existing => 0,
        None => {
            let mut list = List::new();
            push_all(&mut list, end, elems, limit);
            let len = list.len();
            locked.set(key, Value::List(list));
            len
        }
    };
    if len > 0 {
        ctx.notify(Class::List, push_event(end), key);
    }
    drop(locked);
    ctx.out.count(len);
    Ok(())
}

fn lpush(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    push(ctx, args, End::Left, false)
}

fn rpush(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    push(ctx, args, End::Right, false)
}

fn lpushx(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    push(ctx, args, End::Left, true)
}

fn rpushx(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    push(ctx, args, End::Right, true)
}

/// Pops up to `count` elements from `end` of the list at `key` (`None` when there is no such
/// key); deletes the key when it empties, and says whether it did. The caller publishes the
/// events ([`notify_popped`]), after those Redis publishes first.
fn pop_some(
    locked: &mut Locked<'_>,
    key: &[u8],
    end: End,
    count: usize,
    limit: Limit,
) -> Result<Option<(Elements, bool)>, CommandError> {
    let Some(entry) = super::get_typed::<List>(locked, key) else {
        return Ok(None);
    };
    let (popped, empty) = update_typed::<List, _>(entry, |list| {
        let n = count.min(list.len());
        let popped: Elements = (0..n).filter_map(|_| list.pop(end)).collect();
        list.after_shrink(limit);
        (popped, list.is_empty())
    })?;
    if empty {
        drop(locked.remove(key));
    }
    Ok(Some((popped, empty)))
}

/// LPOP and RPOP. Without a count: one element or nil. With one: an array (nil array for a
/// missing key; an empty array for a count of 0 on an existing list).
fn pop(ctx: &mut Ctx<'_>, args: &[&[u8]], end: End) -> CommandResult {
    let key = args[1];
    if args.len() > 3 {
        return Err(CommandError::WrongArity(args::lower(args[0])));
    }
    let count = match args.get(2) {
        Some(arg) => Some(
            args::int(arg)
                .ok()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| CommandError::err("value is out of range, must be positive"))?,
        ),
        None => None,
    };
    let limit = limit(ctx);
    let mut locked = ctx.lock(key);
    let popped = pop_some(&mut locked, key, end, count.unwrap_or(1), limit)?;
    match &popped {
        Some((popped, deleted)) if !popped.is_empty() => notify_popped(ctx, key, end, *deleted),
        // A count of 0 pops nothing: no change, as in Redis.
        _ => locked.unchanged(),
    }
    drop(locked);
    match (count, popped) {
        (None, popped) => ctx.out.bulk_or_null(popped.as_ref().and_then(|(p, _)| p.first()).map(|e| &e[..])),
        (Some(_), None) => ctx.out.null_array(),
        (Some(_), Some((popped, _))) => bulks(ctx, &popped),
    }
    Ok(())
}

fn bulks(ctx: &mut Ctx<'_>, items: &[CompactBytes]) {
    ctx.out.array(items.len());
    for item in items {
        ctx.out.bulk(item);
    }
}

fn lpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    pop(ctx, args, End::Left)
}

fn rpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    pop(ctx, args, End::Right)
}

fn llen(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let len = match locked.read(args[1]) {
        Some(entry) => typed::<List>(entry.value())?.len(),
        None => 0,
    };
    drop(locked);
    ctx.out.count(len);
    Ok(())
}

fn lrange(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let start = args::int(args[2])?;
    let end = args::int(args[3])?;
    let mut locked = ctx.lock(args[1]);
    let Some(entry) = locked.read(args[1]) else {
        ctx.out.array(0);
        return Ok(());
    };
    let list = typed::<List>(entry.value())?;
    match normalize_range(list.len(), start, end) {
        Some((start, end)) => {
            ctx.out.array(end - start + 1);
            for elem in list.range(start, end) {
                ctx.out.bulk(elem);
            }
        }
        None => ctx.out.array(0),
    }
    Ok(())
}

fn lindex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let Some(entry) = locked.read(args[1]) else {
        ctx.out.null();
        return Ok(());
    };
    let list = typed::<List>(entry.value())?;
    let index = args::int(args[2])?;
    ctx.out.bulk_or_null(list.get(index));
    Ok(())
}

fn lset(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, elem) = (args[1], args[3]);
    let limit = limit(ctx);
    let mut locked = ctx.lock(key);
    let entry = super::get_typed::<List>(&mut locked, key).ok_or(CommandError::NoSuchKey)?;
    typed::<List>(entry.value())?;
    // Redis checks the type first, then the index: a bad index changes nothing.
    let index = match args::int(args[2]) {
        Ok(index) => index,
        Err(e) => {
            locked.unchanged();
            return Err(e);
        }
    };
    let done = update_typed::<List, _>(entry, |list| {
        list.prepare_growth(elem.len(), 1, limit);
        let done = list.set(index, elem);
        list.after_shrink(limit);
        done
    })?;
    if done {
        ctx.notify(Class::List, "lset", key);
    } else {
        locked.unchanged();
    }
    drop(locked);
    if !done {
        return Err(CommandError::err("index out of range"));
    }
    ctx.out.ok();
    Ok(())
}

fn linsert(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let after = if args::is(args[2], "after") {
        true
    } else if args::is(args[2], "before") {
        false
    } else {
        return Err(CommandError::Syntax);
    };
    let (key, pivot, elem) = (args[1], args[3], args[4]);
    let limit = limit(ctx);
    let mut locked = ctx.lock(key);
    let reply = match super::get_typed::<List>(&mut locked, key) {
        None => 0,
        Some(entry) => update_typed::<List, _>(entry, |list| {
            list.prepare_growth(elem.len(), 1, limit);
            list.insert(pivot, after, elem).map_or(-1, int)
        })?,
    };
    if reply > 0 {
        ctx.notify(Class::List, "linsert", key);
    } else {
        locked.unchanged();
    }
    drop(locked);
    ctx.out.integer(reply);
    Ok(())
}

fn lrem(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let count = args::int(args[2])?;
    let (key, elem) = (args[1], args[3]);
    let limit = limit(ctx);
    let mut locked = ctx.lock(key);
    let removed = match super::get_typed::<List>(&mut locked, key) {
        None => 0,
        Some(entry) => {
            let (removed, empty) = update_typed::<List, _>(entry, |list| {
                let removed = list.remove(count, elem);
                list.after_shrink(limit);
                (removed, list.is_empty())
            })?;
            if removed > 0 {
                ctx.notify(Class::List, "lrem", key);
            }
            remove_if_empty(ctx, &mut locked, key, empty);
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

fn ltrim(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let start = args::int(args[2])?;
    let end = args::int(args[3])?;
    let key = args[1];
    let limit = limit(ctx);
    let mut locked = ctx.lock(key);
    if let Some(entry) = super::get_typed::<List>(&mut locked, key) {
        let (trimmed, empty) = update_typed::<List, _>(entry, |list| {
            let before = list.len();
            list.trim(start, end);
            list.after_shrink(limit);
            (list.len() != before, list.is_empty())
        })?;
        ctx.notify(Class::List, "ltrim", key);
        remove_if_empty(ctx, &mut locked, key, empty);
        if !trimmed {
            // Redis adds what it trimmed to `dirty`: keeping the whole list is not
            // propagated, though it signals the key (its watchers are told) and notifies.
            locked.unlogged();
        }
    }
    drop(locked);
    ctx.out.ok();
    Ok(())
}

const RANK_ZERO: &str = "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";

/// A non-negative LPOS option value; anything else is `what` "can't be negative".
fn non_negative(arg: &[u8], what: &str) -> Result<usize, CommandError> {
    args::int(arg)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| CommandError::err(format!("{what} can't be negative")))
}

fn lpos(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, elem) = (args[1], args[2]);
    // Redis's LONG_MIN rank cannot be negated; it ends up matching everything from the tail
    // (see `List::positions`).
    let mut rank = Some(1i64);
    let (mut count, mut maxlen) = (None, 0usize);
    let mut opts = args[3..].chunks(2);
    for pair in opts.by_ref() {
        let [opt, value] = pair else {
            return Err(CommandError::Syntax);
        };
        if args::is(opt, "rank") {
            let n = args::int(value)?;
            if n == 0 {
                return Err(CommandError::err(RANK_ZERO));
            }
            rank = (n != i64::MIN).then_some(n);
        } else if args::is(opt, "count") {
            count = Some(non_negative(value, "COUNT")?);
        } else if args::is(opt, "maxlen") {
            maxlen = non_negative(value, "MAXLEN")?;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let mut locked = ctx.lock(key);
    let positions = match locked.read(key) {
        Some(entry) => typed::<List>(entry.value())?.positions(elem, rank, count.unwrap_or(1), maxlen),
        None => Vec::new(),
    };
    drop(locked);
    match count {
        Some(_) => {
            ctx.out.array(positions.len());
            for p in positions {
                ctx.out.count(p);
            }
        }
        None => match positions.first() {
            Some(&p) => ctx.out.count(p),
            None => ctx.out.null(),
        },
    }
    Ok(())
}

/// LMOVE and RPOPLPUSH: pops from `from` of the source and pushes at `to` of the
/// destination, atomically across both keys (which may be the same list: a rotation).
fn move_element(ctx: &mut Ctx<'_>, args: &[&[u8]], from: End, to: End) -> CommandResult {
    let moved = try_move(ctx, args[1], args[2], from, to, None)?;
    ctx.out.bulk_or_null(moved.as_deref());
    Ok(())
}

/// Moves one element from `src` to `dst`; `None` when `src` is missing or empty. A move
/// is logged as `logged_as` when given (BLMOVE as the LMOVE it amounts to).
fn try_move(
    ctx: &Ctx<'_>,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
    logged_as: Option<&[&[u8]]>,
) -> Result<Option<CompactBytes>, CommandError> {
    let limit = limit(ctx);
    let mut locked = ctx.lock_keys([&Bytes::copy_from_slice(src), &Bytes::copy_from_slice(dst)]);
    let Some(entry) = super::get_typed::<List>(&mut locked, src) else {
        return Ok(None);
    };
    if typed::<List>(entry.value())?.is_empty() {
        return Ok(None);
    }
    let value = if src == dst {
        let value = update_typed::<List, _>(entry, |list| {
            let value = list.pop(from);
            list.after_shrink(limit);
            if let Some(v) = &value {
                list.prepare_growth(v.len(), 1, limit);
                list.push(to, v);
            }
            value
        })?;
        if value.is_some() {
            ctx.notify(Class::List, push_event(to), dst);
            notify_popped(ctx, src, from, false);
        }
        value
    } else {
        // The destination's type is checked before anything changes: a refusal is no change.
        if locked.peek(dst).is_some_and(|d| typed::<List>(d.value()).is_err()) {
            locked.unchanged();
            return Err(CommandError::WrongType);
        }
        let (mut popped, deleted) = pop_some(&mut locked, src, from, 1, limit)?.unwrap_or_default();
        let popped = popped.pop();
        if let Some(v) = &popped {
            let pushed: &[&[u8]] = &[v];
            match locked.get(dst) {
                Some(dest) => update_typed::<List, _>(dest, |list| push_all(list, to, pushed, limit))?,
                None => {
                    let mut list = List::new();
                    push_all(&mut list, to, pushed, limit);
                    locked.set(dst, Value::List(list));
                }
            }
            // Redis pushes before it pops: the destination's events come first.
            ctx.notify(Class::List, push_event(to), dst);
            notify_popped(ctx, src, from, deleted);
        }
        popped
    };
    if let (Some(args), Some(_)) = (logged_as, &value) {
        crate::persist::capture::log_as(ctx.session.db, args);
    }
    Ok(value)
}

fn lmove(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let from = end_of(args[3])?;
    let to = end_of(args[4])?;
    move_element(ctx, args, from, to)
}

fn rpoplpush(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    move_element(ctx, args, End::Right, End::Left)
}

/// A count that must be at least 1, with LMPOP's own message for anything else.
fn positive(arg: &[u8], message: &str) -> Result<usize, CommandError> {
    args::int(arg)
        .ok()
        .filter(|&n| n >= 1)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| CommandError::err(message))
}

fn lmpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (keys, end, count) = mpop_args(&args[1..])?;
    match try_mpop(ctx, keys, end, count, true)? {
        Some((key, popped)) => mpop_reply(ctx, &key, &popped),
        None => ctx.out.null_array(),
    }
    Ok(())
}

/// `numkeys key [key ...] LEFT|RIGHT [COUNT count]`.
fn mpop_args<'a>(args: &'a [&'a [u8]]) -> Result<(&'a [&'a [u8]], End, usize), CommandError> {
    let numkeys = positive(args[0], "numkeys should be greater than 0")?;
    let where_at = numkeys.checked_add(1).filter(|&i| i < args.len()).ok_or(CommandError::Syntax)?;
    let end = end_of(args[where_at])?;
    let mut count = None;
    let mut i = where_at + 1;
    while i < args.len() {
        match args.get(i + 1) {
            Some(value) if count.is_none() && args::is(args[i], "count") => {
                count = Some(positive(value, "count should be greater than 0")?);
            }
            _ => return Err(CommandError::Syntax),
        }
        i += 2;
    }
    Ok((&args[1..where_at], end, count.unwrap_or(1)))
}

/// Popped elements: most pops take one.
type Elements = SmallVec<[CompactBytes; 1]>;

/// The key popped from and the elements, as LMPOP/BLPOP reply them.
type Popped = (Bytes, Elements);

/// Pops from the first non-empty list of `keys`; `None` when all are missing or empty.
/// Logged as Redis propagates it: `LPOP key count` (LMPOP, BLMPOP: the count popped), or
/// `LPOP key` without `counted` (BLPOP).
fn try_mpop(
    ctx: &Ctx<'_>,
    keys: &[&[u8]],
    end: End,
    count: usize,
    counted: bool,
) -> Result<Option<Popped>, CommandError> {
    let limit = limit(ctx);
    let mut locked = ctx.lock_keys(keys);
    for key in keys {
        let Some(entry) = super::get_typed::<List>(&mut locked, key) else {
            continue;
        };
        if typed::<List>(entry.value())?.is_empty() {
            continue;
        }
        let (popped, deleted) = pop_some(&mut locked, key, end, count, limit)?.unwrap_or_default();
        let name: &[u8] = if end == End::Left { b"LPOP" } else { b"RPOP" };
        crate::persist::capture::log_pop(ctx.session.db, name, key, counted.then_some(popped.len()));
        notify_popped(ctx, key, end, deleted);
        return Ok(Some((Bytes::copy_from_slice(key), popped)));
    }
    Ok(None)
}

fn mpop_reply(ctx: &mut Ctx<'_>, key: &[u8], popped: &[CompactBytes]) {
    ctx.out.array(2);
    ctx.out.bulk(key);
    bulks(ctx, popped);
}

// ---------------------------------------------------------------------------------------
// Blocking variants: served at once when they can be, else the client is parked on the
// keys (see commands::blocking) and the command runs again when one is created.
// ---------------------------------------------------------------------------------------

fn block(ctx: &mut Ctx<'_>, keys: &[&[u8]], timeout: Option<std::time::Duration>, on_timeout: fn(&mut dyn ReplySink)) {
    ctx.session.block = Some(BlockOn { keys: super::owned_args(keys), timeout, on_timeout, rerun_args: None });
}

/// BLPOP and BRPOP: `key [key ...] timeout`.
fn bpop(ctx: &mut Ctx<'_>, args: &[&[u8]], end: End) -> CommandResult {
    let timeout = block_timeout(args[args.len() - 1])?;
    let keys = &args[1..args.len() - 1];
    match try_mpop(ctx, keys, end, 1, false)? {
        Some((key, popped)) => {
            ctx.out.array(2);
            ctx.out.bulk(&key);
            ctx.out.bulk_or_null(popped.first().map(|v| &v[..]));
        }
        None => block(ctx, keys, timeout, |out| out.null_array()),
    }
    Ok(())
}

fn blpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    bpop(ctx, args, End::Left)
}

fn brpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    bpop(ctx, args, End::Right)
}

/// BLMOVE and BRPOPLPUSH, logged as the LMOVE or RPOPLPUSH they amount to (`logged_as`).
fn bmove(ctx: &mut Ctx<'_>, args: &[&[u8]], from: End, to: End, timeout: &[u8], logged_as: &[&[u8]]) -> CommandResult {
    let timeout = block_timeout(timeout)?;
    match try_move(ctx, args[1], args[2], from, to, Some(logged_as))? {
        Some(value) => ctx.out.bulk(&value),
        // As Redis: inside EXEC, where it cannot block, a null; after a timeout, a null
        // array (the reply of every blocked list command).
        None if ctx.tx.is_some() => ctx.out.null(),
        None => block(ctx, &args[1..2], timeout, |out| out.null_array()),
    }
    Ok(())
}

fn blmove(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let from = end_of(args[3])?;
    let to = end_of(args[4])?;
    bmove(ctx, args, from, to, args[5], &[b"LMOVE", args[1], args[2], args[3], args[4]])
}

fn brpoplpush(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    bmove(ctx, args, End::Right, End::Left, args[3], &[b"RPOPLPUSH", args[1], args[2]])
}

/// BLMPOP `timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`.
fn blmpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let timeout = block_timeout(args[1])?;
    let (keys, end, count) = mpop_args(&args[2..])?;
    match try_mpop(ctx, keys, end, count, true)? {
        Some((key, popped)) => mpop_reply(ctx, &key, &popped),
        None => block(ctx, keys, timeout, |out| out.null_array()),
    }
    Ok(())
}
