//! The sorted set commands: ZADD and friends, the ZRANGE family (by rank, score and lex,
//! either direction, with LIMIT and WITHSCORES, and ZRANGESTORE), removals by range, pops,
//! random picks, the multi-key algebra (ZUNION, ZINTER, ZDIFF, their STORE forms and
//! ZINTERCARD, which also take plain sets as inputs with score 1) and ZSCAN. The data
//! operations are in `types::zset`.

use std::collections::HashMap;
use std::collections::hash_map::Entry as MapEntry;

use bytes::Bytes;

use crate::config::EncodingLimits;

use super::set::{positive, random_count, ranged, scan_reply};
use super::table::{CommandSpec, Flags, Group, Handler, KeyRange};
use super::{
    BlockOn, Class, Ctx, args, block_timeout, errors::CommandError, errors::CommandResult, read_typed, typed,
    update_typed, update_typed_unless,
};
use crate::engine::Locked;
use crate::engine::glob::glob_match;
use crate::reply::{Protocol, ReplySink, format_double};
use crate::types::set::sample_positions;
use crate::types::zset::{LexBound, LexRange, ScoreBound, ScoreRange, ZSet, ZSetLimits, ZSetRef, entry_cmp};
use crate::types::{Value, ValueRef};

const READ: Flags = Flags::READONLY;
const READ_FAST: Flags = Flags::READONLY.or(Flags::FAST);
const WRITE: Flags = Flags::WRITE.or(Flags::DENYOOM);
const WRITE_FAST: Flags = Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST);
/// Commands that only remove members never grow memory: Redis does not mark them denyoom.
const REMOVE: Flags = Flags::WRITE;
const REMOVE_FAST: Flags = Flags::WRITE.or(Flags::FAST);
const MOVABLE: Flags = Flags::MOVABLE_KEYS;
/// Blocking commands: write, blocking, not allowed in scripts (as Redis flags them).
const BLOCKING: Flags = Flags::WRITE.or(Flags::NOSCRIPT).or(Flags::BLOCKING).or(Flags::FAST);

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
        group: Group::SortedSet,
        since,
        summary,
        syntax,
        handler: Some(handler),
        ..CommandSpec::BASE
    }
}

const ONE: KeyRange = KeyRange::FIRST;
const NONE: KeyRange = KeyRange::NONE;

pub(super) const COMMANDS: &[CommandSpec] = &[
    spec(
        "zadd",
        -4,
        WRITE_FAST,
        ONE,
        "1.2.0",
        "Add one or more members to a sorted set, or update its score if it already exists",
        "key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]",
        zadd,
    ),
    spec(
        "zincrby",
        4,
        WRITE_FAST,
        ONE,
        "1.2.0",
        "Increment the score of a member in a sorted set",
        "key increment member",
        zincrby,
    ),
    spec(
        "zrem",
        -3,
        REMOVE_FAST,
        ONE,
        "1.2.0",
        "Remove one or more members from a sorted set",
        "key member [member ...]",
        zrem,
    ),
    spec("zcard", 2, READ_FAST, ONE, "1.2.0", "Get the number of members in a sorted set", "key", zcard),
    spec(
        "zcount",
        4,
        READ_FAST,
        ONE,
        "2.0.0",
        "Count the members in a sorted set with scores within the given values",
        "key min max",
        zcount,
    ),
    spec(
        "zlexcount",
        4,
        READ_FAST,
        ONE,
        "2.8.9",
        "Count the number of members in a sorted set between a given lexicographical range",
        "key min max",
        zlexcount,
    ),
    spec(
        "zscore",
        3,
        READ_FAST,
        ONE,
        "1.2.0",
        "Get the score associated with the given member in a sorted set",
        "key member",
        zscore,
    ),
    spec(
        "zmscore",
        -3,
        READ_FAST,
        ONE,
        "6.2.0",
        "Get the score associated with the given members in a sorted set",
        "key member [member ...]",
        zmscore,
    ),
    spec(
        "zrank",
        -3,
        READ_FAST,
        ONE,
        "2.0.0",
        "Determine the index of a member in a sorted set",
        "key member [WITHSCORE]",
        zrank,
    ),
    spec(
        "zrevrank",
        -3,
        READ_FAST,
        ONE,
        "2.0.0",
        "Determine the index of a member in a sorted set, with scores ordered from high to low",
        "key member [WITHSCORE]",
        zrevrank,
    ),
    spec(
        "zrange",
        -4,
        READ,
        ONE,
        "1.2.0",
        "Return a range of members in a sorted set",
        "key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]",
        zrange,
    ),
    spec(
        "zrangestore",
        -5,
        WRITE,
        KeyRange::TWO,
        "6.2.0",
        "Store a range of members from sorted set into another key",
        "dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]",
        zrangestore,
    ),
    spec(
        "zrevrange",
        -4,
        READ,
        ONE,
        "1.2.0",
        "Return a range of members in a sorted set, by index, with scores ordered from high to low",
        "key start stop [WITHSCORES]",
        zrevrange,
    ),
    spec(
        "zrangebyscore",
        -4,
        READ,
        ONE,
        "1.0.5",
        "Return a range of members in a sorted set, by score",
        "key min max [WITHSCORES] [LIMIT offset count]",
        zrangebyscore,
    ),
    spec(
        "zrevrangebyscore",
        -4,
        READ,
        ONE,
        "2.2.0",
        "Return a range of members in a sorted set, by score, with scores ordered from high to low",
        "key max min [WITHSCORES] [LIMIT offset count]",
        zrevrangebyscore,
    ),
    spec(
        "zrangebylex",
        -4,
        READ,
        ONE,
        "2.8.9",
        "Return a range of members in a sorted set, by lexicographical range",
        "key min max [LIMIT offset count]",
        zrangebylex,
    ),
    spec(
        "zrevrangebylex",
        -4,
        READ,
        ONE,
        "2.8.9",
        "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
        "key max min [LIMIT offset count]",
        zrevrangebylex,
    ),
    spec(
        "zremrangebyrank",
        4,
        REMOVE,
        ONE,
        "2.0.0",
        "Remove all members in a sorted set within the given indexes",
        "key start stop",
        zremrangebyrank,
    ),
    spec(
        "zremrangebyscore",
        4,
        REMOVE,
        ONE,
        "1.2.0",
        "Remove all members in a sorted set within the given scores",
        "key min max",
        zremrangebyscore,
    ),
    spec(
        "zremrangebylex",
        4,
        REMOVE,
        ONE,
        "2.8.9",
        "Remove all members in a sorted set between the given lexicographical range",
        "key min max",
        zremrangebylex,
    ),
    spec(
        "zpopmin",
        -2,
        REMOVE_FAST,
        ONE,
        "5.0.0",
        "Remove and return members with the lowest scores in a sorted set",
        "key [count]",
        zpopmin,
    ),
    spec(
        "zpopmax",
        -2,
        REMOVE_FAST,
        ONE,
        "5.0.0",
        "Remove and return members with the highest scores in a sorted set",
        "key [count]",
        zpopmax,
    ),
    CommandSpec {
        numkeys_at: Some(1),
        ..spec(
            "zmpop",
            -4,
            REMOVE.or(MOVABLE),
            NONE,
            "7.0.0",
            "Remove and return members with scores in a sorted set",
            "numkeys key [key ...] MIN | MAX [COUNT count]",
            zmpop,
        )
    },
    CommandSpec {
        keys: KeyRange { first: 1, last: -2, step: 1 },
        ..spec(
            "bzpopmin",
            -3,
            BLOCKING,
            NONE,
            "5.0.0",
            "Remove and return the member with the lowest score from one of the sorted sets, or block until one is available",
            "key [key ...] timeout",
            bzpopmin,
        )
    },
    CommandSpec {
        keys: KeyRange { first: 1, last: -2, step: 1 },
        ..spec(
            "bzpopmax",
            -3,
            BLOCKING,
            NONE,
            "5.0.0",
            "Remove and return the member with the highest score from one of the sorted sets, or block until one is available",
            "key [key ...] timeout",
            bzpopmax,
        )
    },
    CommandSpec {
        numkeys_at: Some(2),
        ..spec(
            "bzmpop",
            -5,
            Flags::WRITE.or(Flags::BLOCKING).or(MOVABLE),
            NONE,
            "7.0.0",
            "Remove and return members with scores in a sorted set or block until one is available",
            "timeout numkeys key [key ...] MIN | MAX [COUNT count]",
            bzmpop,
        )
    },
    spec(
        "zrandmember",
        -2,
        READ,
        ONE,
        "6.2.0",
        "Get one or multiple random elements from a sorted set",
        "key [count [WITHSCORES]]",
        zrandmember,
    ),
    CommandSpec {
        numkeys_at: Some(1),
        ..spec(
            "zunion",
            -3,
            READ.or(MOVABLE),
            NONE,
            "6.2.0",
            "Add multiple sorted sets",
            "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]",
            zunion,
        )
    },
    CommandSpec {
        numkeys_at: Some(1),
        ..spec(
            "zinter",
            -3,
            READ.or(MOVABLE),
            NONE,
            "6.2.0",
            "Intersect multiple sorted sets",
            "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]",
            zinter,
        )
    },
    CommandSpec {
        numkeys_at: Some(1),
        ..spec(
            "zdiff",
            -3,
            READ.or(MOVABLE),
            NONE,
            "6.2.0",
            "Subtract multiple sorted sets",
            "numkeys key [key ...] [WITHSCORES]",
            zdiff,
        )
    },
    CommandSpec {
        numkeys_at: Some(2),
        ..spec(
            "zunionstore",
            -4,
            WRITE.or(MOVABLE),
            ONE,
            "2.0.0",
            "Add multiple sorted sets and store the resulting sorted set in a new key",
            "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]",
            zunionstore,
        )
    },
    CommandSpec {
        numkeys_at: Some(2),
        ..spec(
            "zinterstore",
            -4,
            WRITE.or(MOVABLE),
            ONE,
            "2.0.0",
            "Intersect multiple sorted sets and store the resulting sorted set in a new key",
            "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]",
            zinterstore,
        )
    },
    CommandSpec {
        numkeys_at: Some(2),
        ..spec(
            "zdiffstore",
            -4,
            WRITE.or(MOVABLE),
            ONE,
            "6.2.0",
            "Subtract multiple sorted sets and store the resulting sorted set in a new key",
            "destination numkeys key [key ...]",
            zdiffstore,
        )
    },
    CommandSpec {
        numkeys_at: Some(1),
        ..spec(
            "zintercard",
            -3,
            READ.or(MOVABLE),
            NONE,
            "7.0.0",
            "Intersect multiple sorted sets and return the cardinality of the result",
            "numkeys key [key ...] [LIMIT limit]",
            zintercard,
        )
    },
    spec(
        "zscan",
        -3,
        READ,
        ONE,
        "2.8.0",
        "Incrementally iterate sorted sets elements and associated scores",
        "key cursor [MATCH pattern] [COUNT count]",
        zscan,
    ),
];

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The sorted set thresholds currently configured (ZADD and GEOADD read them).
pub(super) fn limits(ctx: &Ctx<'_>) -> ZSetLimits {
    let e = &ctx.server.config.limits().encoding;
    ZSetLimits {
        max_listpack_entries: EncodingLimits::size(&e.zset_max_listpack_entries),
        max_listpack_value: EncodingLimits::size(&e.zset_max_listpack_value),
    }
}

fn resp3(ctx: &Ctx<'_>) -> bool {
    ctx.session.protocol == Protocol::Resp3
}

fn min_max_not_float() -> CommandError {
    CommandError::err("min or max is not a float")
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CommandError> {
    let min = ScoreBound::parse(min).ok_or_else(min_max_not_float)?;
    let max = ScoreBound::parse(max).ok_or_else(min_max_not_float)?;
    Ok(ScoreRange { min, max })
}

fn parse_lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, CommandError> {
    let bad = || CommandError::err("min or max not valid string range item");
    Ok(LexRange { min: LexBound::parse(min).ok_or_else(bad)?, max: LexBound::parse(max).ok_or_else(bad)? })
}

/// Writes `(member, score)` entries: members only, or with scores as a flat array (RESP2)
/// or as `[member, score]` pairs (RESP3), as Redis 7 does.
fn reply_entries<'a>(
    out: &mut dyn ReplySink,
    resp3: bool,
    withscores: bool,
    len: usize,
    entries: impl Iterator<Item = (&'a [u8], f64)>,
) {
    out.array(if withscores && !resp3 { len * 2 } else { len });
    for (member, score) in entries {
        if withscores {
            if resp3 {
                out.array(2);
            }
            out.bulk(member);
            out.double(score);
        } else {
            out.bulk(member);
        }
    }
}

/// Normalises a rank range as Redis does (negative indexes from the end, clamped); `None`
/// when empty. Returns inclusive `(start, end)`.
fn rank_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    let end = end.min(len - 1);
    Some((usize::try_from(start).ok()?, usize::try_from(end).ok()?))
}

// ---------------------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM and point reads
// ---------------------------------------------------------------------------------------

fn zadd(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zadd_generic(ctx, args, false)
}

fn zincrby(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zadd_generic(ctx, args, true)
}

#[derive(Debug, Default, Clone, Copy)]
struct ZaddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What a ZADD did.
#[derive(Debug, Default)]
struct ZaddOutcome {
    added: i64,
    updated: i64,
    processed: usize,
    score: f64,
}

/// Applies ZADD's pairs to `z` as Redis's `zsetAdd` does; `Err` when an increment
/// produces NaN.
fn zadd_apply(
    z: &mut ZSet,
    pairs: &[(f64, &[u8])],
    f: ZaddFlags,
    limits: &ZSetLimits,
) -> Result<ZaddOutcome, CommandError> {
    let mut out = ZaddOutcome::default();
    for &(score, member) in pairs {
        match z.score(member) {
            Some(current) => {
                if f.nx {
                    continue;
                }
                let new = if f.incr { current + score } else { score };
                if new.is_nan() {
                    return Err(CommandError::err("resulting score is not a number (NaN)"));
                }
                if (f.lt && new >= current) || (f.gt && new <= current) {
                    continue;
                }
                if new != current {
                    z.set_score(member, new, limits);
                    out.updated += 1;
                }
                out.processed += 1;
                out.score = new;
            }
            None if !f.xx => {
                z.set_score(member, score, limits);
                out.added += 1;
                out.processed += 1;
                out.score = score;
            }
            None => {}
        }
    }
    Ok(out)
}

fn zadd_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], zincrby: bool) -> CommandResult {
    let mut f = ZaddFlags { incr: zincrby, ..ZaddFlags::default() };
    let mut i = 2;
    while i < args.len() {
        let a = args[i];
        match () {
            _ if args::is(a, "nx") => f.nx = true,
            _ if args::is(a, "xx") => f.xx = true,
            _ if args::is(a, "ch") => f.ch = true,
            _ if args::is(a, "incr") => f.incr = true,
            _ if args::is(a, "gt") => f.gt = true,
            _ if args::is(a, "lt") => f.lt = true,
            _ => break,
        }
        i += 1;
    }
    let rest = &args[i..];
    if rest.is_empty() || rest.len() % 2 != 0 {
        return Err(CommandError::Syntax);
    }
    if f.nx && f.xx {
        return Err(CommandError::err("XX and NX options at the same time are not compatible"));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CommandError::err("GT, LT, and/or NX options at the same time are not compatible"));
    }
    if f.incr && rest.len() > 2 {
        return Err(CommandError::err("INCR option supports a single increment-element pair"));
    }
    // Inline for a few pairs: most ZADDs add one member, and an allocation is a good part
    // of the cost of one that changes nothing.
    let pairs: smallvec::SmallVec<[(f64, &[u8]); 4]> =
        rest.chunks_exact(2).map(|p| Ok((args::float(p[0])?, p[1]))).collect::<Result<_, CommandError>>()?;
    let longest = pairs.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
    let limits = limits(ctx);
    let key = args[1];
    let mut locked = ctx.lock(key);
    let outcome = match super::get_typed::<ZSet>(&mut locked, key) {
        Some(entry) => {
            let outcome = update_typed_unless::<ZSet, _>(
                entry,
                // Every member already at its score (an increment always answers with one).
                |z| {
                    (!f.incr && pairs.iter().all(|&(score, member)| z.score(member) == Some(score)))
                        .then(|| Ok(ZaddOutcome::default()))
                },
                |z| {
                    z.prepare_for(pairs.len(), longest, &limits);
                    zadd_apply(z, &pairs, f, &limits)
                },
            );
            // An increment to NaN is refused before anything changes (INCR takes one pair).
            locked.unless_refused(outcome.and_then(|outcome| outcome))?
        }
        None if f.xx => ZaddOutcome::default(),
        None => {
            let mut z = ZSet::for_members(pairs.len(), longest, &limits);
            let outcome = zadd_apply(&mut z, &pairs, f, &limits)?;
            if !z.is_empty() {
                locked.set(key, Value::ZSet(z));
            }
            outcome
        }
    };
    if outcome.added > 0 || outcome.updated > 0 {
        ctx.notify(Class::ZSet, if f.incr { "zincr" } else { "zadd" }, key);
    } else {
        locked.unchanged();
    }
    drop(locked);
    if f.incr {
        if outcome.processed > 0 {
            ctx.out.double(outcome.score);
        } else {
            ctx.out.null();
        }
    } else {
        ctx.out.integer(if f.ch { outcome.added + outcome.updated } else { outcome.added });
    }
    Ok(())
}

fn zrem(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = args[1];
    let mut locked = ctx.lock(key);
    let removed = match super::get_typed::<ZSet>(&mut locked, key) {
        Some(entry) => {
            let (removed, empty) = update_typed::<ZSet, _>(entry, |z| {
                let removed = args[2..].iter().filter(|m| z.remove(m).is_some()).count();
                (removed, z.is_empty())
            })?;
            if removed > 0 {
                ctx.notify(Class::ZSet, "zrem", key);
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
    ctx.out.count(removed);
    Ok(())
}

fn zcard(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let len = read_typed::<ZSet>(&mut locked, args[1])?.map_or(0, ZSetRef::len);
    drop(locked);
    ctx.out.count(len);
    Ok(())
}

fn zscore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let score = read_typed::<ZSet>(&mut locked, args[1])?.and_then(|z| z.score(args[2]));
    drop(locked);
    match score {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let z = read_typed::<ZSet>(&mut locked, args[1])?;
    ctx.out.array(args.len() - 2);
    for m in &args[2..] {
        match z.and_then(|z| z.score(m)) {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn zrank(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zrank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zrank_generic(ctx, args, true)
}

fn zrank_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], rev: bool) -> CommandResult {
    // Redis 7.2 takes at most one option and reports more as an arity error.
    if args.len() > 4 {
        return Err(CommandError::WrongArity(if rev { "zrevrank" } else { "zrank" }.to_owned()));
    }
    let withscore = match args.get(3) {
        None => false,
        Some(a) if args::is(a, "withscore") => true,
        Some(_) => return Err(CommandError::Syntax),
    };
    let mut locked = ctx.lock(args[1]);
    let found = read_typed::<ZSet>(&mut locked, args[1])?
        .and_then(|z| z.rank(args[2]).map(|(r, s)| (if rev { z.len() - 1 - r } else { r }, s)));
    drop(locked);
    match (found, withscore) {
        (Some((rank, _)), false) => ctx.out.count(rank),
        (Some((rank, score)), true) => {
            ctx.out.array(2);
            ctx.out.count(rank);
            ctx.out.double(score);
        }
        (None, false) => ctx.out.null(),
        (None, true) => ctx.out.null_array(),
    }
    Ok(())
}

fn zcount(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let range = parse_score_range(args[2], args[3])?;
    let mut locked = ctx.lock(args[1]);
    let n = read_typed::<ZSet>(&mut locked, args[1])?.map_or(0, |z| range.ranks(z).len());
    drop(locked);
    ctx.out.count(n);
    Ok(())
}

fn zlexcount(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let range = parse_lex_range(args[2], args[3])?;
    let mut locked = ctx.lock(args[1]);
    let n = read_typed::<ZSet>(&mut locked, args[1])?.map_or(0, |z| range.ranks(z).len());
    drop(locked);
    ctx.out.count(n);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The ZRANGE family
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeKind {
    Rank,
    Score,
    Lex,
}

/// A parsed range request.
enum Range {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

struct RangeRequest {
    range: Range,
    rev: bool,
    /// LIMIT offset count (score and lex ranges only).
    limit: Option<(i64, i64)>,
    withscores: bool,
}

/// Parses ZRANGE's arguments as Redis's `zrangeGenericCommand` does. `min_idx` is the
/// index of the first range bound; `kind` and `rev` are fixed by the legacy commands.
fn parse_range(
    args: &[&[u8]],
    min_idx: usize,
    kind: Option<RangeKind>,
    rev: Option<bool>,
    store: bool,
) -> Result<RangeRequest, CommandError> {
    let (mut kind_opt, mut rev_opt) = (kind, rev);
    let mut withscores = false;
    let mut limit = None;
    let mut j = min_idx + 2;
    while j < args.len() {
        let a = args[j];
        let left = args.len() - j - 1;
        if !store && args::is(a, "withscores") {
            withscores = true;
        } else if args::is(a, "limit") && left >= 2 {
            limit = Some((args::int(args[j + 1])?, args::int(args[j + 2])?));
            j += 2;
        } else if rev_opt.is_none() && args::is(a, "rev") {
            rev_opt = Some(true);
        } else if kind_opt.is_none() && args::is(a, "bylex") {
            kind_opt = Some(RangeKind::Lex);
        } else if kind_opt.is_none() && args::is(a, "byscore") {
            kind_opt = Some(RangeKind::Score);
        } else {
            return Err(CommandError::Syntax);
        }
        j += 1;
    }
    let kind = kind_opt.unwrap_or(RangeKind::Rank);
    let rev = rev_opt.unwrap_or(false);
    if limit.is_some() && kind == RangeKind::Rank {
        return Err(CommandError::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && kind == RangeKind::Lex {
        return Err(CommandError::err("syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    // Reversed score and lex ranges are given as max, min.
    let (min, max) = if rev && kind != RangeKind::Rank {
        (&args[min_idx + 1], &args[min_idx])
    } else {
        (&args[min_idx], &args[min_idx + 1])
    };
    let range = match kind {
        RangeKind::Rank => Range::Rank(args::int(min)?, args::int(max)?),
        RangeKind::Score => Range::Score(parse_score_range(min, max)?),
        RangeKind::Lex => Range::Lex(parse_lex_range(min, max)?),
    };
    Ok(RangeRequest { range, rev, limit, withscores })
}

/// The first rank to read and how many entries, for `req` on `z` (reading downwards from
/// the first rank when `req.rev`).
fn select(z: ZSetRef<'_>, req: &RangeRequest) -> (usize, usize) {
    let ranks = match &req.range {
        Range::Rank(start, end) => {
            return match rank_range(*start, *end, z.len()) {
                Some((s, e)) if req.rev => (z.len() - 1 - s, e - s + 1),
                Some((s, e)) => (s, e - s + 1),
                None => (0, 0),
            };
        }
        Range::Score(r) => r.ranks(z),
        Range::Lex(r) if req.rev => r.ranks_rev(z),
        Range::Lex(r) => r.ranks(z),
    };
    let (offset, count) = req.limit.unwrap_or((0, -1));
    // A negative offset selects nothing; a negative count means "all the rest" (Redis).
    let Ok(offset) = usize::try_from(offset) else {
        return (0, 0);
    };
    let available = ranks.len().saturating_sub(offset);
    let n = usize::try_from(count).map_or(available, |c| c.min(available));
    if n == 0 {
        return (0, 0);
    }
    if req.rev { (ranks.end - 1 - offset, n) } else { (ranks.start + offset, n) }
}

fn zrange_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], kind: Option<RangeKind>, rev: Option<bool>) -> CommandResult {
    let req = parse_range(args, 2, kind, rev, false)?;
    let resp3 = resp3(ctx);
    let mut locked = ctx.lock(args[1]);
    let Some(z) = read_typed::<ZSet>(&mut locked, args[1])? else {
        drop(locked);
        ctx.out.array(0);
        return Ok(());
    };
    let (first, n) = select(z, &req);
    reply_entries(ctx.out, resp3, req.withscores, n, z.iter_from(first, req.rev).take(n));
    Ok(())
}

fn zrange(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zrange_generic(ctx, args, None, None)
}

fn zrevrange(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zrange_generic(ctx, args, Some(RangeKind::Rank), Some(true))
}

fn zrangebyscore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zrange_generic(ctx, args, Some(RangeKind::Score), Some(false))
}

fn zrevrangebyscore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zrange_generic(ctx, args, Some(RangeKind::Score), Some(true))
}

fn zrangebylex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zrange_generic(ctx, args, Some(RangeKind::Lex), Some(false))
}

fn zrevrangebylex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zrange_generic(ctx, args, Some(RangeKind::Lex), Some(true))
}

/// Stores `entries` (sorted) at `dst`, or deletes `dst` when there are none; returns the
/// count. Any old value and its TTL are replaced. `event` is the command's keyspace event.
fn store(
    ctx: &Ctx<'_>,
    locked: &mut Locked<'_>,
    dst: &[u8],
    entries: Vec<(f64, Box<[u8]>)>,
    limits: &ZSetLimits,
    event: &str,
) -> usize {
    let n = entries.len();
    if n == 0 {
        if locked.remove(dst).is_some() {
            ctx.notify(Class::Generic, "del", dst);
        }
    } else {
        locked.set(dst, Value::ZSet(ZSet::from_sorted(entries, limits)));
        ctx.notify(Class::ZSet, event, dst);
    }
    n
}

fn zrangestore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let req = parse_range(args, 3, None, None, true)?;
    let limits = limits(ctx);
    let (dst, src) = (args[1], args[2]);
    let mut locked = ctx.lock_keys(&args[1..3]);
    let mut entries: Vec<(f64, Box<[u8]>)> = match read_typed::<ZSet>(&mut locked, src)? {
        Some(z) => {
            let (first, n) = select(z, &req);
            z.iter_from(first, req.rev).take(n).map(|(m, s)| (s, m.into())).collect()
        }
        None => Vec::new(),
    };
    if req.rev {
        entries.reverse();
    }
    let n = store(ctx, &mut locked, dst, entries, &limits, "zrangestore");
    drop(locked);
    ctx.out.count(n);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Removal by range, pops, random members
// ---------------------------------------------------------------------------------------

/// Removes the ranks `range` selects from the sorted set at `key`; returns the count.
/// `event` is the command's keyspace event.
fn zremrange(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    event: &str,
    select: impl FnOnce(&ZSet) -> std::ops::Range<usize>,
) -> CommandResult {
    let mut locked = ctx.lock(key);
    let removed = match super::get_typed::<ZSet>(&mut locked, key) {
        Some(entry) => {
            let (removed, empty) = update_typed::<ZSet, _>(entry, |z| {
                let ranks = select(z);
                (z.remove_ranks(ranks.start, ranks.end), z.is_empty())
            })?;
            if removed > 0 {
                ctx.notify(Class::ZSet, event, key);
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
    ctx.out.count(removed);
    Ok(())
}

fn zremrangebyrank(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (start, end) = (args::int(args[2])?, args::int(args[3])?);
    zremrange(ctx, args[1], "zremrangebyrank", |z| rank_range(start, end, z.len()).map_or(0..0, |(s, e)| s..e + 1))
}

fn zremrangebyscore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let range = parse_score_range(args[2], args[3])?;
    zremrange(ctx, args[1], "zremrangebyscore", |z| range.ranks(z))
}

fn zremrangebylex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let range = parse_lex_range(args[2], args[3])?;
    zremrange(ctx, args[1], "zremrangebylex", |z| range.ranks(z))
}

/// Pops up to `count` entries from the low (or `max`) end, in pop order.
fn pop(z: &mut ZSet, count: usize, max: bool) -> Vec<(Box<[u8]>, f64)> {
    let n = count.min(z.len());
    let first = if max { z.len().saturating_sub(1) } else { 0 };
    let popped: Vec<(Box<[u8]>, f64)> = z.iter_from(first, max).take(n).map(|(m, s)| (m.into(), s)).collect();
    if max {
        z.remove_ranks(z.len() - n, z.len());
    } else {
        z.remove_ranks(0, n);
    }
    popped
}

/// The events of a pop: "zpopmin" or "zpopmax", then "del" when it emptied the key.
fn notify_zpop(ctx: &Ctx<'_>, key: &[u8], max: bool, deleted: bool) {
    ctx.notify(Class::ZSet, if max { "zpopmax" } else { "zpopmin" }, key);
    if deleted {
        ctx.notify(Class::Generic, "del", key);
    }
}

fn zpopmin(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zpop_generic(ctx, args, false)
}

fn zpopmax(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zpop_generic(ctx, args, true)
}

fn zpop_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], max: bool) -> CommandResult {
    if args.len() > 3 {
        return Err(CommandError::Syntax);
    }
    let count = args.get(2).map(|a| positive(a)).transpose()?;
    let key = args[1];
    let resp3 = resp3(ctx);
    let mut locked = ctx.lock(key);
    let popped = match super::get_typed::<ZSet>(&mut locked, key) {
        // A count of 0 replies empty, but only after the type check (as Redis).
        Some(entry) if count == Some(0) => {
            typed::<ZSet>(entry.value())?;
            // Nothing popped: no change, as in Redis.
            locked.unchanged();
            Vec::new()
        }
        Some(entry) => {
            let (popped, empty) = update_typed::<ZSet, _>(entry, |z| {
                let popped = pop(z, count.unwrap_or(1), max);
                (popped, z.is_empty())
            })?;
            if empty {
                locked.remove(key);
            }
            notify_zpop(ctx, key, max, empty);
            popped
        }
        None => Vec::new(),
    };
    drop(locked);
    // Without a count the reply is one flat pair, in RESP3 too.
    let nested = resp3 && count.is_some();
    reply_entries(ctx.out, nested, true, popped.len(), popped.iter().map(|(m, s)| (&m[..], *s)));
    Ok(())
}

fn zmpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (keys, max, count) = zmpop_args(&args[1..])?;
    match try_zmpop(ctx, keys, max, count, true)? {
        Some((key, popped)) => zmpop_reply(ctx, &key, &popped),
        None => ctx.out.null_array(),
    }
    Ok(())
}

/// `numkeys key [key ...] MIN|MAX [COUNT count]`.
fn zmpop_args<'a>(args: &'a [&'a [u8]]) -> Result<(&'a [&'a [u8]], bool, usize), CommandError> {
    let numkeys = ranged(args[0], 1, "numkeys should be greater than 0")?;
    let where_idx = numkeys.saturating_add(1);
    let Some(where_arg) = args.get(where_idx) else {
        return Err(CommandError::Syntax);
    };
    let max = if args::is(where_arg, "max") {
        true
    } else if args::is(where_arg, "min") {
        false
    } else {
        return Err(CommandError::Syntax);
    };
    let mut count = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        if count.is_none() && args::is(args[j], "count") && j + 1 < args.len() {
            count = Some(ranged(args[j + 1], 1, "count should be greater than 0")?);
            j += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    Ok((&args[1..where_idx], max, count.unwrap_or(1)))
}

/// The key popped from and the (member, score) pairs.
type ZPopped = (Bytes, Vec<(Box<[u8]>, f64)>);

/// Pops from the first existing sorted set of `keys`; `None` when none exists. Logged as
/// Redis propagates it: `ZPOPMIN key count` (ZMPOP, BZMPOP: the count popped), or
/// `ZPOPMIN key` without `counted` (BZPOPMIN).
fn try_zmpop(
    ctx: &Ctx<'_>,
    keys: &[&[u8]],
    max: bool,
    count: usize,
    counted: bool,
) -> Result<Option<ZPopped>, CommandError> {
    let mut locked = ctx.lock_keys(keys);
    for key in keys {
        let Some(entry) = super::get_typed::<ZSet>(&mut locked, key) else { continue };
        let (popped, empty) = update_typed::<ZSet, _>(entry, |z| {
            let popped = pop(z, count, max);
            (popped, z.is_empty())
        })?;
        if empty {
            locked.remove(key);
        }
        let name: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        crate::persist::capture::log_pop(ctx.session.db, name, key, counted.then_some(popped.len()));
        notify_zpop(ctx, key, max, empty);
        return Ok(Some((Bytes::copy_from_slice(key), popped)));
    }
    Ok(None)
}

fn zmpop_reply(ctx: &mut Ctx<'_>, key: &[u8], popped: &[(Box<[u8]>, f64)]) {
    ctx.out.array(2);
    ctx.out.bulk(key);
    // Always [member, score] pairs, in RESP2 too.
    reply_entries(ctx.out, true, true, popped.len(), popped.iter().map(|(m, s)| (&m[..], *s)));
}

// ---------------------------------------------------------------------------------------
// Blocking variants (see commands::blocking)
// ---------------------------------------------------------------------------------------

fn block(ctx: &mut Ctx<'_>, keys: &[&[u8]], timeout: Option<std::time::Duration>) {
    ctx.session.block =
        Some(BlockOn { keys: super::owned_args(keys), timeout, on_timeout: |out| out.null_array(), rerun_args: None });
}

/// BZPOPMIN and BZPOPMAX: `key [key ...] timeout`; the reply is key, member, score.
fn bzpop(ctx: &mut Ctx<'_>, args: &[&[u8]], max: bool) -> CommandResult {
    let timeout = block_timeout(args[args.len() - 1])?;
    let keys = &args[1..args.len() - 1];
    match try_zmpop(ctx, keys, max, 1, false)? {
        Some((key, popped)) => {
            let Some((member, score)) = popped.first() else {
                ctx.out.null_array();
                return Ok(());
            };
            ctx.out.array(3);
            ctx.out.bulk(&key);
            ctx.out.bulk(member);
            ctx.out.double(*score);
        }
        None => block(ctx, keys, timeout),
    }
    Ok(())
}

fn bzpopmin(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    bzpop(ctx, args, false)
}

fn bzpopmax(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    bzpop(ctx, args, true)
}

/// BZMPOP `timeout numkeys key [key ...] MIN|MAX [COUNT count]`.
fn bzmpop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let timeout = block_timeout(args[1])?;
    let (keys, max, count) = zmpop_args(&args[2..])?;
    match try_zmpop(ctx, keys, max, count, true)? {
        Some((key, popped)) => zmpop_reply(ctx, &key, &popped),
        None => block(ctx, keys, timeout),
    }
    Ok(())
}

fn zrandmember(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    // Redis's order: the count's range, the syntax, then WITHSCORES's own range (a reply
    // of twice the count must fit a long); our cap on repeated picks comes last.
    if let Some(arg) = args.get(2)
        && args::int(arg)? == i64::MIN
    {
        return Err(CommandError::IntOutOfRange { min: -i64::MAX, max: i64::MAX });
    }
    let withscores = match args.get(3) {
        None => false,
        Some(a) if args.len() == 4 && args::is(a, "withscores") => true,
        Some(_) => return Err(CommandError::Syntax),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&args::int(args[2])?) {
        return Err(CommandError::err("value is out of range"));
    }
    let count = args.get(2).map(|a| random_count(ctx, a)).transpose()?;
    let resp3 = resp3(ctx);
    let mut locked = ctx.lock(args[1]);
    let z = read_typed::<ZSet>(&mut locked, args[1])?;
    let Some(count) = count else {
        match z.and_then(|z| z.get(fastrand::usize(..z.len().max(1)))) {
            Some((m, _)) => ctx.out.bulk(m),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    let Some(z) = z.filter(|z| !z.is_empty() && count != 0) else {
        drop(locked);
        ctx.out.array(0);
        return Ok(());
    };
    if count < 0 {
        let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
        let picks = (0..n).filter_map(|_| z.get(fastrand::usize(..z.len())));
        reply_entries(ctx.out, resp3, withscores, n, picks);
        return Ok(());
    }
    let n = usize::try_from(count).unwrap_or(usize::MAX);
    if n >= z.len() {
        reply_entries(ctx.out, resp3, withscores, z.len(), z.iter_from(0, false));
        return Ok(());
    }
    let picks = sample_positions(z.len(), n);
    reply_entries(ctx.out, resp3, withscores, picks.len(), picks.into_iter().filter_map(|i| z.get(i)));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Combines scores as Redis's `zunionInterAggregate` does (a NaN sum becomes 0).
    fn apply(self, target: &mut f64, value: f64) {
        match self {
            Aggregate::Sum => {
                *target += value;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => *target = target.min(value),
            Aggregate::Max => *target = target.max(value),
        }
    }
}

/// Calls `f(member, score)` for every entry of the sorted set or set at `key` (a set's
/// members score 1); false when the key is missing. Types are checked beforehand, by the
/// read that counted the hit: this is only a look, unseen by WATCH, as for any source.
fn for_each_input(locked: &mut Locked<'_>, key: &[u8], mut f: impl FnMut(&[u8], f64)) -> bool {
    match locked.peek(key).map(|e| e.value()) {
        Some(ValueRef::ZSet(z)) => {
            for (m, s) in z.iter_from(0, false) {
                f(m, s);
            }
            true
        }
        Some(ValueRef::Set(s)) => {
            for m in s.iter() {
                m.with_bytes(|b| f(b, 1.0));
            }
            true
        }
        _ => false,
    }
}

/// The score of `member` in the sorted set or set at `key`.
fn input_score(locked: &mut Locked<'_>, key: &[u8], member: &[u8]) -> Option<f64> {
    match locked.peek(key).map(|e| e.value()) {
        Some(ValueRef::ZSet(z)) => z.score(member),
        Some(ValueRef::Set(s)) => s.contains(member).then_some(1.0),
        _ => None,
    }
}

/// Runs a ZUNION/ZINTER/ZDIFF variant. `store`: the destination is `args[1]`;
/// `card_only`: ZINTERCARD. Follows Redis's `zunionInterDiffGenericCommand`, including its
/// order of checks: key types before options.
fn zsetop(ctx: &mut Ctx<'_>, args: &[&[u8]], op: SetOp, store_to_dst: bool, card_only: bool) -> CommandResult {
    let numkeys_idx = if store_to_dst { 2 } else { 1 };
    let setnum = args::int(args[numkeys_idx])?;
    if setnum < 1 {
        let name = String::from_utf8_lossy(args[0]).to_ascii_lowercase();
        return Err(CommandError::err(format!("at least 1 input key is needed for '{name}' command")));
    }
    let setnum = usize::try_from(setnum).unwrap_or(usize::MAX);
    if setnum > args.len() - numkeys_idx - 1 {
        return Err(CommandError::Syntax);
    }
    let keys = &args[numkeys_idx + 1..numkeys_idx + 1 + setnum];
    let limits = limits(ctx);
    let resp3 = resp3(ctx);
    let mut locked =
        if store_to_dst { ctx.lock_keys(std::iter::once(&args[1]).chain(keys)) } else { ctx.lock_keys(keys) };

    // Types first, and the input sizes (missing keys are empty).
    let mut sizes = Vec::with_capacity(keys.len());
    for key in keys {
        sizes.push(match locked.read(key).map(|e| e.value()) {
            None => 0,
            Some(ValueRef::ZSet(z)) => z.len(),
            Some(ValueRef::Set(s)) => s.len(),
            Some(_) => return Err(CommandError::WrongType),
        });
    }

    let mut weights = vec![1.0f64; keys.len()];
    let mut aggregate = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = numkeys_idx + 1 + setnum;
    while j < args.len() {
        let a = args[j];
        let remaining = args.len() - j;
        if op != SetOp::Diff && !card_only && remaining > setnum && args::is(a, "weights") {
            for (w, arg) in weights.iter_mut().zip(&args[j + 1..j + 1 + setnum]) {
                *w = args::float(arg).map_err(|_| CommandError::err("weight value is not a float"))?;
            }
            j += 1 + setnum;
        } else if op != SetOp::Diff && !card_only && remaining >= 2 && args::is(a, "aggregate") {
            let which = args[j + 1];
            aggregate = if args::is(which, "sum") {
                Aggregate::Sum
            } else if args::is(which, "min") {
                Aggregate::Min
            } else if args::is(which, "max") {
                Aggregate::Max
            } else {
                return Err(CommandError::Syntax);
            };
            j += 2;
        } else if !store_to_dst && !card_only && args::is(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && args::is(a, "limit") {
            limit = ranged(args[j + 1], 0, "LIMIT can't be negative")?;
            j += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }

    let weighted = |score: f64, weight: f64| {
        let v = score * weight;
        if v.is_nan() { 0.0 } else { v }
    };
    let mut result: Vec<(Box<[u8]>, f64)> = match op {
        SetOp::Union => {
            let mut acc: HashMap<Box<[u8]>, f64, foldhash::fast::RandomState> = HashMap::default();
            for (key, &weight) in keys.iter().zip(&weights) {
                for_each_input(&mut locked, key, |m, s| {
                    let v = weighted(s, weight);
                    match acc.entry(m.into()) {
                        MapEntry::Occupied(mut e) => aggregate.apply(e.get_mut(), v),
                        MapEntry::Vacant(e) => {
                            e.insert(v);
                        }
                    }
                });
            }
            acc.into_iter().collect()
        }
        SetOp::Inter => {
            // Walk the smallest input, look members up in the others, smallest first.
            let mut order: Vec<usize> = (0..keys.len()).collect();
            order.sort_by_key(|&i| sizes[i]);
            let mut candidates = Vec::new();
            if sizes[order[0]] > 0 {
                let w = weights[order[0]];
                for_each_input(&mut locked, keys[order[0]], |m, s| {
                    candidates.push((Box::<[u8]>::from(m), weighted(s, w)))
                });
            }
            for &i in &order[1..] {
                if candidates.is_empty() {
                    break;
                }
                candidates.retain_mut(|(m, score)| match input_score(&mut locked, keys[i], m) {
                    Some(s) => {
                        aggregate.apply(score, weighted(s, weights[i]));
                        true
                    }
                    None => false,
                });
            }
            candidates
        }
        SetOp::Diff => {
            let mut candidates = Vec::new();
            for_each_input(&mut locked, keys[0], |m, s| candidates.push((Box::<[u8]>::from(m), s)));
            for key in &keys[1..] {
                if candidates.is_empty() {
                    break;
                }
                candidates.retain(|(m, _)| input_score(&mut locked, key, m).is_none());
            }
            candidates
        }
    };

    if card_only {
        drop(locked);
        let n = if limit == 0 { result.len() } else { result.len().min(limit) };
        ctx.out.count(n);
        return Ok(());
    }
    result.sort_unstable_by(|a, b| entry_cmp(a.1, &a.0, b.1, &b.0));
    if store_to_dst {
        let entries = result.into_iter().map(|(m, s)| (s, m)).collect();
        let event = match op {
            SetOp::Union => "zunionstore",
            SetOp::Inter => "zinterstore",
            SetOp::Diff => "zdiffstore",
        };
        let n = store(ctx, &mut locked, args[1], entries, &limits, event);
        drop(locked);
        ctx.out.count(n);
    } else {
        drop(locked);
        reply_entries(ctx.out, resp3, withscores, result.len(), result.iter().map(|(m, s)| (&m[..], *s)));
    }
    Ok(())
}

fn zunion(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zsetop(ctx, args, SetOp::Union, false, false)
}

fn zinter(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zsetop(ctx, args, SetOp::Inter, false, false)
}

fn zdiff(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zsetop(ctx, args, SetOp::Diff, false, false)
}

fn zunionstore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zsetop(ctx, args, SetOp::Union, true, false)
}

fn zinterstore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zsetop(ctx, args, SetOp::Inter, true, false)
}

fn zdiffstore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zsetop(ctx, args, SetOp::Diff, true, false)
}

fn zintercard(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    zsetop(ctx, args, SetOp::Inter, false, true)
}

// ---------------------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------------------

fn zscan(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let cursor = args::cursor(args[2])?;
    let mut locked = ctx.lock(args[1]);
    let Some(z) = read_typed::<ZSet>(&mut locked, args[1])? else {
        drop(locked);
        scan_reply(ctx.out, 0, 0);
        return Ok(());
    };
    let args::ScanOptions { pattern, count, .. } = args::scan_options(&args[3..], false)?;
    let (next, found) = z.scan(cursor, count);
    let found: Vec<(&[u8], f64)> =
        found.into_iter().filter(|(m, _)| pattern.is_none_or(|p| glob_match(p, m, false))).collect();
    // Scores are bulk strings here, in RESP3 too (as Redis).
    scan_reply(ctx.out, next, found.len() * 2);
    for (m, s) in found {
        ctx.out.bulk(m);
        ctx.out.bulk(format_double(s).as_bytes());
    }
    Ok(())
}
