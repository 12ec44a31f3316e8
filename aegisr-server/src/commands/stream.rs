//! The stream commands: XADD and the range reads, trimming and deletion, XREAD (blocking
//! too), and consumer groups (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM),
//! XINFO and XSETID. Argument parsing, error order and reply shapes follow Redis 7.0; the
//! data operations are in `types::stream`.

mod propagation;

use std::sync::Arc;

use bytes::Bytes;

use crate::config::EncodingLimits;
use crate::persist::capture::Logged;

use super::table::{CommandSpec, Flags, Group, Handler, KeyRange};
use super::{BlockOn, Class, Ctx, args, errors::CommandError, errors::CommandResult, typed, update_typed};
use crate::reply::{Protocol, ReplySink};
use crate::types::Value;
use crate::types::stream::id::{self, Seq};
use crate::types::stream::{
    AddError, AutoClaim, ClaimOptions, ENTRIES_READ_UNKNOWN, EntryRef, NewId, SetIdError, Stream, StreamId,
    StreamLimits, Trim,
};

const SUB_KEY: KeyRange = KeyRange { first: 2, last: 2, step: 1 };

const fn spec(
    name: &'static str,
    arity: i32,
    flags: Flags,
    since: &'static str,
    summary: &'static str,
    syntax: &'static str,
    handler: Handler,
) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        keys: KeyRange::FIRST,
        group: Group::Stream,
        since,
        summary,
        syntax,
        handler: Some(handler),
        ..CommandSpec::BASE
    }
}

const fn sub(
    name: &'static str,
    arity: i32,
    flags: Flags,
    since: &'static str,
    summary: &'static str,
    syntax: &'static str,
    handler: Handler,
) -> CommandSpec {
    CommandSpec { keys: SUB_KEY, ..spec(name, arity, flags, since, summary, syntax, handler) }
}

const READ: Flags = Flags::READONLY;
const WRITE: Flags = Flags::WRITE;
const WRITE_FAST: Flags = Flags::WRITE.or(Flags::FAST);
const WRITE_GROW: Flags = Flags::WRITE.or(Flags::DENYOOM);

pub(super) const COMMANDS: &[CommandSpec] = &[
    spec(
        "xadd",
        -5,
        WRITE_GROW.or(Flags::FAST),
        "5.0.0",
        "Appends a new entry to a stream",
        "key [NOMKSTREAM] [MAXLEN | MINID [= | ~] threshold [LIMIT count]] * | id field value [field value ...]",
        xadd,
    ),
    spec("xlen", 2, READ.or(Flags::FAST), "5.0.0", "Return the number of entries in a stream", "key", xlen),
    spec(
        "xrange",
        -4,
        READ,
        "5.0.0",
        "Return a range of elements in a stream, with IDs matching the specified IDs interval",
        "key start end [COUNT count]",
        xrange,
    ),
    spec(
        "xrevrange",
        -4,
        READ,
        "5.0.0",
        "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
        "key end start [COUNT count]",
        xrevrange,
    ),
    spec(
        "xdel",
        -3,
        WRITE_FAST,
        "5.0.0",
        "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
        "key id [id ...]",
        xdel,
    ),
    spec(
        "xtrim",
        -4,
        WRITE,
        "5.0.0",
        "Trims the stream to (approximately if '~' is passed) a certain size",
        "key MAXLEN | MINID [= | ~] threshold [LIMIT count]",
        xtrim,
    ),
    CommandSpec {
        keys: KeyRange::NONE,
        ..spec(
            "xread",
            -4,
            READ.or(Flags::BLOCKING).or(Flags::MOVABLE_KEYS),
            "5.0.0",
            "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
            "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]",
            xread,
        )
    },
    CommandSpec {
        keys: KeyRange::NONE,
        ..spec(
            "xreadgroup",
            -7,
            WRITE.or(Flags::BLOCKING).or(Flags::MOVABLE_KEYS),
            "5.0.0",
            "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
            "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]",
            xreadgroup,
        )
    },
    CommandSpec {
        name: "xgroup",
        arity: -2,
        group: Group::Stream,
        since: "5.0.0",
        summary: "A container for consumer groups commands",
        syntax: "<subcommand> [<arg> ...]",
        subcommands: &[
            sub(
                "xgroup|create",
                -5,
                WRITE_GROW,
                "5.0.0",
                "Create a consumer group.",
                "key group id | $ [MKSTREAM] [ENTRIESREAD entries-read]",
                xgroup_create,
            ),
            sub(
                "xgroup|createconsumer",
                5,
                WRITE_GROW,
                "6.2.0",
                "Create a consumer in a consumer group.",
                "key group consumer",
                xgroup_createconsumer,
            ),
            sub(
                "xgroup|delconsumer",
                5,
                WRITE,
                "5.0.0",
                "Delete a consumer from a consumer group.",
                "key group consumer",
                xgroup_delconsumer,
            ),
            sub("xgroup|destroy", 4, WRITE, "5.0.0", "Destroy a consumer group.", "key group", xgroup_destroy),
            CommandSpec {
                name: "xgroup|help",
                arity: 2,
                flags: Flags::LOADING.or(Flags::STALE),
                group: Group::Stream,
                since: "5.0.0",
                summary: "Show helpful text about the different subcommands",
                handler: Some(xgroup_help),
                ..CommandSpec::BASE
            },
            sub(
                "xgroup|setid",
                -5,
                WRITE,
                "5.0.0",
                "Set a consumer group to an arbitrary last delivered ID value.",
                "key group id | $ [ENTRIESREAD entries-read]",
                xgroup_setid,
            ),
        ],
        ..CommandSpec::BASE
    },
    spec(
        "xack",
        -4,
        WRITE_FAST,
        "5.0.0",
        "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
        "key group id [id ...]",
        xack,
    ),
    spec(
        "xpending",
        -3,
        READ,
        "5.0.0",
        "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
        "key group [[IDLE min-idle-time] start end count [consumer]]",
        xpending,
    ),
    spec(
        "xclaim",
        -6,
        WRITE_FAST,
        "5.0.0",
        "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
        "key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]",
        xclaim,
    ),
    spec(
        "xautoclaim",
        -6,
        WRITE_FAST,
        "6.2.0",
        "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
        "key group consumer min-idle-time start [COUNT count] [JUSTID]",
        xautoclaim,
    ),
    CommandSpec {
        name: "xinfo",
        arity: -2,
        group: Group::Stream,
        since: "5.0.0",
        summary: "A container for stream introspection commands",
        syntax: "<subcommand> [<arg> ...]",
        subcommands: &[
            sub(
                "xinfo|consumers",
                4,
                READ,
                "5.0.0",
                "List the consumers in a consumer group",
                "key group",
                xinfo_consumers,
            ),
            sub("xinfo|groups", 3, READ, "5.0.0", "List the consumer groups of a stream", "key", xinfo_groups),
            CommandSpec {
                name: "xinfo|help",
                arity: 2,
                flags: Flags::LOADING.or(Flags::STALE),
                group: Group::Stream,
                since: "5.0.0",
                summary: "Show helpful text about the different subcommands",
                handler: Some(xinfo_help),
                ..CommandSpec::BASE
            },
            sub(
                "xinfo|stream",
                -3,
                READ,
                "5.0.0",
                "Get information about a stream",
                "key [FULL [COUNT count]]",
                xinfo_stream,
            ),
        ],
        ..CommandSpec::BASE
    },
    spec(
        "xsetid",
        -3,
        WRITE_GROW.or(Flags::FAST),
        "5.0.0",
        "An internal command for replicating stream values",
        "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]",
        xsetid,
    ),
];

/// A blocked XREAD without COUNT is served at most this many entries per stream when woken
/// (Redis's `XREAD_BLOCKED_DEFAULT_COUNT`).
const BLOCKED_DEFAULT_COUNT: &str = "1000";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn limits(ctx: &Ctx<'_>) -> StreamLimits {
    let e = &ctx.server.config.limits().encoding;
    StreamLimits {
        node_max_entries: EncodingLimits::size(&e.stream_node_max_entries),
        node_max_bytes: EncodingLimits::size(&e.stream_node_max_bytes),
    }
}

fn invalid_id() -> CommandError {
    CommandError::err("Invalid stream ID specified as stream command argument")
}

fn strict_id(arg: &[u8]) -> Result<StreamId, CommandError> {
    id::parse_strict(arg).ok_or_else(invalid_id)
}

fn lossy(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

fn no_key_or_group(key: &[u8], group: &[u8]) -> CommandError {
    CommandError::Message(format!("NOGROUP No such key '{}' or consumer group '{}'", lossy(key), lossy(group)))
}

fn no_group_for_key(key: &[u8], group: &[u8]) -> CommandError {
    CommandError::Message(format!("NOGROUP No such consumer group '{}' for key name '{}'", lossy(group), lossy(key)))
}

/// Tells the transactions watching `key` that it changed (Redis's `signalModifiedKey`), for
/// commands that looked it up with `get_unwatched` and changed what WATCH sees.
fn touch_watchers(locked: &mut crate::engine::Locked<'_>, key: &[u8]) {
    locked.get(key);
}

/// The start of an interval: `(id` is exclusive, so the next ID.
fn range_start(arg: &[u8]) -> Result<StreamId, CommandError> {
    let (id, exclusive) = id::parse_interval(arg, 0).ok_or_else(invalid_id)?;
    if exclusive { id.next().ok_or_else(|| CommandError::err("invalid start ID for the interval")) } else { Ok(id) }
}

fn range_end(arg: &[u8]) -> Result<StreamId, CommandError> {
    let (id, exclusive) = id::parse_interval(arg, u64::MAX).ok_or_else(invalid_id)?;
    if exclusive { id.prev().ok_or_else(|| CommandError::err("invalid end ID for the interval")) } else { Ok(id) }
}

fn write_id(out: &mut dyn ReplySink, id: StreamId) {
    out.bulk(&id.format());
}

/// `[id, [field, value, ...]]`.
fn write_entry(out: &mut dyn ReplySink, entry: &EntryRef<'_>) {
    out.array(2);
    write_id(out, entry.id);
    out.array(entry.pair_count() * 2);
    for (field, value) in entry.pairs() {
        out.bulk(field);
        out.bulk(value);
    }
}

fn write_entries(out: &mut dyn ReplySink, entries: &[EntryRef<'_>]) {
    out.array(entries.len());
    for entry in entries {
        write_entry(out, entry);
    }
}

// ---------------------------------------------------------------------------------------
// XADD, XTRIM: the shared options
// ---------------------------------------------------------------------------------------

/// XADD's and XTRIM's options.
struct AddTrimArgs {
    trim: Option<Trim>,
    approx: bool,
    /// 0: no limit.
    limit: u64,
    nomkstream: bool,
    /// XADD: the ID argument's index and what it asks for.
    id: Option<(usize, NewId)>,
    /// The index of the trim's threshold, and of LIMIT's count if given.
    trim_at: usize,
    limit_at: Option<usize>,
}

/// Parses the options as Redis's `streamParseAddOrTrimArgsOrReply` does, in its order.
fn parse_add_trim(args: &[&[u8]], xadd: bool, node_max_entries: usize) -> Result<AddTrimArgs, CommandError> {
    let mut parsed =
        AddTrimArgs { trim: None, approx: false, limit: 0, nomkstream: false, id: None, trim_at: 0, limit_at: None };
    let mut limit_given = false;
    let mut i = 2;
    let both = || CommandError::err("syntax error, MAXLEN and MINID options at the same time are not compatible");
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = args[i];
        if xadd && opt == b"*" {
            parsed.id = Some((i, NewId::Auto));
            break;
        } else if (args::is(opt, "maxlen") || args::is(opt, "minid")) && more > 0 {
            if parsed.trim.is_some() {
                return Err(both());
            }
            parsed.approx = false;
            let next = args[i + 1];
            if more >= 2 && next == b"~" {
                parsed.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let threshold = &args[i + 1];
            parsed.trim_at = i + 1;
            parsed.trim = Some(if args::is(opt, "maxlen") {
                let max = args::int(threshold)?;
                let max = u64::try_from(max).map_err(|_| CommandError::err("The MAXLEN argument must be >= 0."))?;
                Trim::MaxLen(max)
            } else {
                Trim::MinId(strict_id(threshold)?)
            });
            i += 2;
        } else if args::is(opt, "limit") && more > 0 {
            let limit = args::int(args[i + 1])?;
            parsed.limit = u64::try_from(limit).map_err(|_| CommandError::err("The LIMIT argument must be >= 0."))?;
            parsed.limit_at = Some(i + 1);
            limit_given = true;
            i += 2;
        } else if xadd && args::is(opt, "nomkstream") {
            parsed.nomkstream = true;
            i += 1;
        } else if xadd {
            let (id, seq) = id::parse(opt, 0, true, true).ok_or_else(invalid_id)?;
            let new_id = match seq {
                Seq::Given => NewId::Explicit(id),
                Seq::Auto => NewId::AutoSeq(id.ms),
            };
            parsed.id = Some((i, new_id));
            break;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    if parsed.limit != 0 && parsed.trim.is_none() {
        return Err(CommandError::err("syntax error, LIMIT cannot be used without specifying a trimming strategy"));
    }
    if !xadd && parsed.trim.is_none() {
        return Err(CommandError::err("syntax error, XTRIM must be called with a trimming strategy"));
    }
    if limit_given {
        if !parsed.approx {
            return Err(CommandError::err("syntax error, LIMIT cannot be used without the special ~ option"));
        }
    } else if parsed.approx {
        // Approximate trimming is bounded so that one command cannot run for long.
        let default = (node_max_entries as u64).saturating_mul(100);
        parsed.limit = if default == 0 { 10_000 } else { default };
    } else {
        parsed.limit = 0;
    }
    Ok(parsed)
}

impl AddTrimArgs {
    /// What an approximate trim left, as an exact threshold: the stream's length, or its
    /// first ID (the threshold given when the trim emptied it, which exact trimming empties
    /// too). `None` for an exact trim, which replays as it ran.
    fn exact_threshold(&self, stream: &Stream, args: &[&[u8]]) -> Option<Vec<u8>> {
        match self.trim? {
            _ if !self.approx => None,
            Trim::MaxLen(_) => Some(itoa::Buffer::new().format(stream.len()).as_bytes().to_vec()),
            Trim::MinId(_) if stream.is_empty() => Some(args[self.trim_at].to_vec()),
            Trim::MinId(_) => Some(stream.first_id().format().to_vec()),
        }
    }

    /// Logs the command with its approximate trim made exact at `threshold` (`~` as `=`,
    /// LIMIT dropped), as Redis rewrites what it propagates: how far `~` trims depends on
    /// `stream-node-max-entries`, which a replay or a replica may not share. Call it with
    /// the key's shard held.
    fn log_exact(&self, db: usize, args: &[&[u8]], threshold: &[u8]) {
        let limit = self.limit_at.map_or(0..0, |at| at - 1..at + 1);
        let logged: Vec<&[u8]> = (0..args.len())
            .filter(|i| !limit.contains(i))
            .map(|i| match i {
                _ if i + 1 == self.trim_at => b"=".as_slice(),
                _ if i == self.trim_at => threshold,
                _ => args[i],
            })
            .collect();
        crate::persist::capture::log_as(db, &logged);
    }
}

fn xadd(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let limits = limits(ctx);
    let parsed = parse_add_trim(args, true, limits.node_max_entries)?;
    // Without an ID the options ran out of arguments: the ID is missing.
    let Some((id_at, new_id)) = parsed.id else {
        return Err(CommandError::WrongArity("xadd".into()));
    };
    let pairs = &args[id_at + 1..];
    if pairs.len() < 2 || pairs.len() % 2 == 1 {
        return Err(CommandError::WrongArity("xadd".into()));
    }
    if new_id == NewId::Explicit(StreamId::MIN) {
        return Err(CommandError::err("The ID specified in XADD must be greater than 0-0"));
    }
    let key = &args[1];
    let mut locked = ctx.lock(key);
    let now_ms = u64::try_from(locked.now()).unwrap_or(0);
    let append = |stream: &mut Stream| -> Result<(StreamId, u64, Option<Vec<u8>>), AddError> {
        let id = stream.add(new_id, pairs, now_ms, limits)?;
        let trimmed = parsed.trim.map_or(0, |trim| stream.trim(trim, parsed.approx, parsed.limit));
        Ok((id, trimmed, parsed.exact_threshold(stream, args)))
    };
    let added = match super::get_typed::<Stream>(&mut locked, key) {
        Some(entry) => update_typed::<Stream, _>(entry, append)?,
        None if parsed.nomkstream => {
            ctx.out.null();
            return Ok(());
        }
        None => {
            let mut stream = Stream::new();
            let added = append(&mut stream);
            if added.is_ok() {
                locked.set(key, Value::Stream(Box::new(stream)));
            }
            added
        }
    };
    if let Ok((_, _, Some(threshold))) = &added {
        parsed.log_exact(ctx.session.db, args, threshold);
    }
    // An ID not above the top (or none left) is refused before anything changes.
    let added = locked.unless_refused(added);
    drop(locked);
    let (id, trimmed, _) = added.map_err(|e| match e {
        AddError::NotGreater => {
            CommandError::err("The ID specified in XADD is equal or smaller than the target stream top item")
        }
        AddError::Exhausted => {
            CommandError::err("The stream has exhausted the last possible ID, unable to add more items")
        }
    })?;
    ctx.notify(Class::Stream, "xadd", key);
    if trimmed > 0 {
        ctx.notify(Class::Stream, "xtrim", key);
    }
    // Readers blocked on an existing stream wait for new entries, not for the key.
    ctx.server.keyspace.waiters().signal(ctx.session.db, key);
    write_id(ctx.out, id);
    Ok(())
}

fn xtrim(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let limits = limits(ctx);
    let parsed = parse_add_trim(args, false, limits.node_max_entries)?;
    let Some(trim) = parsed.trim else {
        return Err(CommandError::Syntax);
    };
    let key = &args[1];
    let mut locked = ctx.lock(key);
    let (removed, threshold) = match super::get_typed_unwatched::<Stream>(&mut locked, key) {
        Some(entry) => update_typed::<Stream, _>(entry, |s| {
            (s.trim(trim, parsed.approx, parsed.limit), parsed.exact_threshold(s, args))
        })?,
        None => (0, None),
    };
    if removed > 0 {
        if let Some(threshold) = threshold {
            parsed.log_exact(ctx.session.db, args, &threshold);
        }
        touch_watchers(&mut locked, key);
    } else {
        locked.unchanged();
    }
    drop(locked);
    if removed > 0 {
        ctx.notify(Class::Stream, "xtrim", key);
    }
    ctx.out.integer(i64::try_from(removed).unwrap_or(i64::MAX));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// XLEN, XRANGE, XREVRANGE, XDEL
// ---------------------------------------------------------------------------------------

fn xlen(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = &args[1];
    let mut locked = ctx.lock(key);
    let len = match locked.read(key) {
        Some(entry) => typed::<Stream>(entry.value())?.len(),
        None => 0,
    };
    ctx.out.integer(i64::try_from(len).unwrap_or(i64::MAX));
    Ok(())
}

fn xrange(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    xrange_generic(ctx, args, false)
}

fn xrevrange(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    xrange_generic(ctx, args, true)
}

fn xrange_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], rev: bool) -> CommandResult {
    let (start_arg, end_arg) = if rev { (&args[3], &args[2]) } else { (&args[2], &args[3]) };
    let start = range_start(start_arg)?;
    let end = range_end(end_arg)?;
    // `None`: no COUNT.
    let mut count: Option<usize> = None;
    let mut i = 4;
    while i < args.len() {
        if args::is(args[i], "count") && i + 1 < args.len() {
            count = Some(usize::try_from(args::int(args[i + 1])?).unwrap_or(0));
            i += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let key = &args[1];
    let mut locked = ctx.lock(key);
    let Some(entry) = locked.read(key) else {
        ctx.out.array(0);
        return Ok(());
    };
    let stream = typed::<Stream>(entry.value())?;
    match count {
        Some(0) => ctx.out.null_array(),
        _ => write_entries(ctx.out, &stream.range(start, end, rev, count.unwrap_or(0))),
    }
    Ok(())
}

fn xdel(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = &args[1];
    let mut locked = ctx.lock(key);
    let Some(entry) = super::get_typed_unwatched::<Stream>(&mut locked, key) else {
        ctx.out.integer(0);
        return Ok(());
    };
    typed::<Stream>(entry.value())?;
    // As Redis, the IDs are checked once the key is found: a bad one changes nothing.
    let ids = match args[2..].iter().map(|a| strict_id(a)).collect::<Result<Vec<_>, _>>() {
        Ok(ids) => ids,
        Err(e) => {
            locked.unchanged();
            return Err(e);
        }
    };
    let deleted = update_typed::<Stream, _>(entry, |s| ids.iter().filter(|&&id| s.delete(id)).count())?;
    if deleted > 0 {
        touch_watchers(&mut locked, key);
    } else {
        locked.unchanged();
    }
    drop(locked);
    if deleted > 0 {
        ctx.notify(Class::Stream, "xdel", key);
    }
    ctx.out.count(deleted);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// XREAD, XREADGROUP
// ---------------------------------------------------------------------------------------

/// What one stream of an XREAD asks for.
#[derive(Clone, Copy)]
enum ReadFrom {
    /// Entries after this ID.
    After(StreamId),
    /// XREADGROUP `>`: entries never delivered to the group.
    New,
}

struct ReadArgs<'a> {
    /// `None`: no BLOCK; `Some(None)`: block for ever.
    block: Option<Option<std::time::Duration>>,
    /// 0: no limit.
    count: usize,
    count_given: bool,
    noack: bool,
    group: Option<(&'a [u8], &'a [u8])>,
    keys: &'a [&'a [u8]],
    ids: &'a [&'a [u8]],
}

fn parse_read<'a>(args: &'a [&'a [u8]], xreadgroup: bool) -> Result<ReadArgs<'a>, CommandError> {
    let mut parsed =
        ReadArgs { block: None, count: 0, count_given: false, noack: false, group: None, keys: &[], ids: &[] };
    let mut streams_at = None;
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = args[i];
        if args::is(opt, "block") && more > 0 {
            // As Redis, BLOCK is refused from scripts outright (its name as the script
            // wrote it), not run without blocking as inside MULTI.
            if crate::scripting::in_script() {
                return Err(CommandError::err(format_args!(
                    "{} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(args[0])
                )));
            }
            let ms =
                args::int(args[i + 1]).map_err(|_| CommandError::err("timeout is not an integer or out of range"))?;
            if ms < 0 {
                return Err(CommandError::err("timeout is negative"));
            }
            parsed.block = Some((ms > 0).then(|| std::time::Duration::from_millis(ms as u64)));
            i += 2;
        } else if args::is(opt, "count") && more > 0 {
            parsed.count = usize::try_from(args::int(args[i + 1])?).unwrap_or(0);
            parsed.count_given = true;
            i += 2;
        } else if args::is(opt, "streams") && more > 0 {
            let rest = args.len() - (i + 1);
            if rest % 2 != 0 {
                // Redis 7.0 words it this way for XREADGROUP too.
                return Err(CommandError::err(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            streams_at = Some(i + 1);
            break;
        } else if args::is(opt, "group") && more >= 2 {
            if !xreadgroup {
                return Err(CommandError::err(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            parsed.group = Some((args[i + 1], args[i + 2]));
            i += 3;
        } else if args::is(opt, "noack") {
            if !xreadgroup {
                return Err(CommandError::err(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            parsed.noack = true;
            i += 1;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let Some(at) = streams_at else {
        return Err(CommandError::Syntax);
    };
    if xreadgroup && parsed.group.is_none() {
        return Err(CommandError::err("Missing GROUP option for XREADGROUP"));
    }
    let n = (args.len() - at) / 2;
    parsed.keys = &args[at..at + n];
    parsed.ids = &args[at + n..];
    Ok(parsed)
}

fn xread(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    xread_generic(ctx, args, false)
}

fn xreadgroup(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    xread_generic(ctx, args, true)
}

fn xread_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], xreadgroup: bool) -> CommandResult {
    let read = parse_read(args, xreadgroup)?;
    if xreadgroup {
        // Never logged as itself, also when it fails or blocks after looking its keys up.
        crate::persist::capture::log_nothing();
    }
    let rerun = ctx.session.rerun;
    let now = crate::engine::now_ms();
    let mut locked = ctx.lock_keys(read.keys);

    // Resolve every stream's starting point, checking types, groups and IDs in Redis's order.
    let mut from = Vec::with_capacity(read.keys.len());
    let mut serve = Vec::with_capacity(read.keys.len());
    for (key, id_arg) in read.keys.iter().zip(read.ids) {
        let stream = match locked.read(key) {
            Some(entry) => match typed::<Stream>(entry.value()) {
                Ok(stream) => Some(stream),
                // A blocked XREAD whose key changed type waits on, as in Redis.
                Err(_) if rerun && !xreadgroup => None,
                Err(_) if rerun => {
                    return Err(CommandError::Message("UNBLOCKED the stream key no longer exists".into()));
                }
                Err(e) => return Err(e),
            },
            None => None,
        };
        if let Some((group, _)) = read.group {
            match stream {
                Some(s) if s.group(group).is_some() => {}
                None if rerun => {
                    return Err(CommandError::Message("UNBLOCKED the stream key no longer exists".into()));
                }
                Some(_) if rerun => {
                    return Err(CommandError::Message(
                        "NOGROUP the consumer group this client was blocked on no longer exists".into(),
                    ));
                }
                _ => {
                    return Err(CommandError::Message(format!(
                        "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                        lossy(key),
                        lossy(group)
                    )));
                }
            }
        }
        let start = match &id_arg[..] {
            b"$" if xreadgroup => {
                return Err(CommandError::err(
                    "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ));
            }
            b"$" => ReadFrom::After(stream.map(Stream::last_id).unwrap_or_default()),
            b">" if !xreadgroup => {
                return Err(CommandError::err(
                    "The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ));
            }
            b">" => ReadFrom::New,
            other => ReadFrom::After(strict_id(other)?),
        };
        let served = match (stream, start, read.group) {
            (None, _, _) => false,
            // A consumer's own history is always served, even when empty.
            (Some(_), ReadFrom::After(_), Some(_)) => true,
            (Some(s), ReadFrom::After(after), None) => !s.is_empty() && s.last_live_id() > after,
            (Some(s), ReadFrom::New, Some((group, _))) => {
                !s.is_empty() && s.group(group).is_some_and(|g| s.last_live_id() > g.last_id)
            }
            (Some(_), ReadFrom::New, None) => false,
        };
        from.push(start);
        serve.push(served);
    }

    let served = serve.iter().filter(|&&s| s).count();
    let resp3 = ctx.session.protocol == Protocol::Resp3;
    // XREADGROUP is logged as what it did to the groups (see `propagation`), worked out
    // only when the journal logs the command.
    let db = ctx.session.db;
    let mut log = (read.group.is_some() && crate::persist::capture::armed()).then(|| Logged::new(db));
    if served > 0 {
        if resp3 {
            ctx.out.map(served);
        } else {
            ctx.out.array(served);
        }
    }
    for ((key, &start), &served) in read.keys.iter().zip(&from).zip(&serve) {
        // Redis looks every key up a second time to serve it, counting a hit or miss again.
        let Some(entry) = locked.read(key) else {
            continue;
        };
        match read.group {
            None if served => {
                let Ok(stream) = typed::<Stream>(entry.value()) else {
                    continue;
                };
                let ReadFrom::After(after) = start else {
                    continue;
                };
                if !resp3 {
                    ctx.out.array(2);
                }
                ctx.out.bulk(key);
                let entries = match after.next() {
                    Some(first) => stream.range(first, StreamId::MAX, false, read.count),
                    None => Vec::new(),
                };
                write_entries(ctx.out, &entries);
            }
            // As in Redis 7.0, a stream with nothing to serve is not touched: a consumer is
            // created (and reported) only when it is served.
            Some((group, consumer)) if served => {
                let Some(entry) = super::get_typed_unwatched::<Stream>(&mut locked, key) else {
                    continue;
                };
                let out = &mut *ctx.out;
                let notifier = ctx.server.keyspace.notifier();
                update_typed::<Stream, _>(entry, |s| {
                    let Some((name, created)) = s.group_mut(group).map(|g| g.consumer(consumer, now)) else {
                        return;
                    };
                    if created {
                        notifier.notify(Class::Stream, "xgroup-createconsumer", key, db);
                    }
                    if !resp3 {
                        out.array(2);
                    }
                    out.bulk(key);
                    let log = log.as_mut();
                    match start {
                        ReadFrom::New => {
                            let ids = serve_new(out, s, group, &name, read.count, read.noack, now);
                            if let Some(log) = log {
                                propagation::read_new(log, s, key, group, (&name, created), read.noack, &ids);
                            }
                        }
                        ReadFrom::After(after) => {
                            let found = serve_history(out, s, group, consumer, after, read.count, now);
                            if let Some(log) = log {
                                propagation::read_history(log, s, key, group, (&name, created), &found);
                            }
                        }
                    }
                })?;
            }
            _ => {}
        }
    }
    if let Some(log) = &log {
        crate::persist::capture::log_as_many(log);
    }
    drop(locked);
    if served > 0 {
        return Ok(());
    }
    match read.block {
        Some(timeout) => {
            ctx.session.block = Some(BlockOn {
                keys: super::owned_args(read.keys),
                timeout,
                on_timeout: |out| out.null_array(),
                rerun_args: Some(rerun_args(args, &read, &from)),
            });
        }
        None => ctx.out.null_array(),
    }
    Ok(())
}

/// The command a blocked XREAD runs when woken: `$` is replaced by the ID it stood for when
/// the client blocked (entries added since are what it waits for), and a missing COUNT is
/// Redis's default for blocked readers.
fn rerun_args(args: &[&[u8]], read: &ReadArgs<'_>, from: &[ReadFrom]) -> Vec<Bytes> {
    let mut rerun = Vec::with_capacity(args.len() + 2);
    rerun.push(Bytes::copy_from_slice(args[0]));
    if !read.count_given {
        rerun.push(Bytes::from_static(b"COUNT"));
        rerun.push(Bytes::from_static(BLOCKED_DEFAULT_COUNT.as_bytes()));
    }
    let ids_at = args.len() - read.ids.len();
    rerun.extend(args[1..ids_at].iter().map(|arg| Bytes::copy_from_slice(arg)));
    for (arg, start) in read.ids.iter().zip(from) {
        match start {
            ReadFrom::After(id) if &arg[..] == b"$" => rerun.push(Bytes::from(id.to_string())),
            _ => rerun.push(Bytes::copy_from_slice(arg)),
        }
    }
    rerun
}

fn serve_new(
    out: &mut dyn ReplySink,
    stream: &mut Stream,
    group: &[u8],
    consumer: &Arc<[u8]>,
    count: usize,
    noack: bool,
    now: i64,
) -> Vec<StreamId> {
    let ids = stream.read_new(group, consumer, count, noack, now).unwrap_or_default();
    match (ids.first(), ids.last()) {
        (Some(&first), Some(&last)) => write_entries(out, &stream.range(first, last, false, ids.len())),
        _ => out.array(0),
    }
    ids
}

fn serve_history(
    out: &mut dyn ReplySink,
    stream: &mut Stream,
    group: &[u8],
    consumer: &[u8],
    after: StreamId,
    count: usize,
    now: i64,
) -> Vec<(StreamId, bool)> {
    let Some(start) = after.next() else {
        out.array(0);
        return Vec::new();
    };
    let found = stream.read_history(group, consumer, start, count, now).unwrap_or_default();
    out.array(found.len());
    for &(id, _) in &found {
        match stream.get(id) {
            Some(entry) => write_entry(out, &entry),
            // Pending, but deleted from the stream since.
            None => {
                out.array(2);
                write_id(out, id);
                out.null_array();
            }
        }
    }
    found
}

// ---------------------------------------------------------------------------------------
// XGROUP
// ---------------------------------------------------------------------------------------

fn xgroup_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::redis_help(
        ctx.out,
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
    Ok(())
}

fn subcommand_syntax(args: &[&[u8]]) -> CommandError {
    CommandError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.",
        lossy(args[1])
    ))
}

/// CREATE's and SETID's options: `(MKSTREAM, ENTRIESREAD)`.
fn group_options(args: &[&[u8]], create: bool) -> Result<(bool, i64), CommandError> {
    let (mut mkstream, mut entries_read) = (false, ENTRIES_READ_UNKNOWN);
    let mut i = 5;
    while i < args.len() {
        if create && args::is(args[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if args.len() - i >= 2 && args::is(args[i], "entriesread") {
            entries_read = args::int(args[i + 1])?;
            if entries_read < 0 && entries_read != ENTRIES_READ_UNKNOWN {
                return Err(CommandError::err("value for ENTRIESREAD must be positive or -1"));
            }
            i += 2;
        } else {
            return Err(subcommand_syntax(args));
        }
    }
    Ok((mkstream, entries_read))
}

fn key_must_exist() -> CommandError {
    CommandError::err(
        "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
    )
}

fn xgroup_create(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (mkstream, entries_read) = group_options(args, true)?;
    let key = &args[2];
    let mut locked = ctx.lock(key);
    // Refused once the key is looked up (a bad ID, BUSYGROUP): nothing changed, so nothing
    // is logged, as Redis propagates only a change.
    let created = create_group(&mut locked, args, mkstream, entries_read);
    locked.unless_refused(created)?;
    drop(locked);
    ctx.notify(Class::Stream, "xgroup-create", key);
    ctx.out.ok();
    Ok(())
}

/// XGROUP CREATE on the locked key: creates the group (and, with MKSTREAM, the stream), or
/// says why not.
fn create_group(
    locked: &mut crate::engine::Locked<'_>,
    args: &[&[u8]],
    mkstream: bool,
    entries_read: i64,
) -> CommandResult {
    let (key, group) = (&args[2], &args[3]);
    let exists = match super::get_typed_unwatched::<Stream>(locked, key) {
        Some(entry) => {
            typed::<Stream>(entry.value())?;
            true
        }
        None if mkstream => false,
        None => return Err(key_must_exist()),
    };
    if args.len() > 8 {
        return Err(subcommand_syntax(args));
    }
    let id_arg = &args[4];
    let id_for = |stream: Option<&Stream>| -> Result<StreamId, CommandError> {
        if &id_arg[..] == b"$" { Ok(stream.map(Stream::last_id).unwrap_or_default()) } else { strict_id(id_arg) }
    };
    let created = match super::get_typed_unwatched::<Stream>(locked, key).filter(|_| exists) {
        Some(entry) => {
            let id = id_for(Some(typed::<Stream>(entry.value())?))?;
            update_typed::<Stream, _>(entry, |s| s.create_group(group, id, entries_read))?
        }
        None => {
            let id = id_for(None)?;
            let mut stream = Stream::new();
            stream.create_group(group, id, entries_read);
            locked.set(key, Value::Stream(Box::new(stream)));
            true
        }
    };
    if !created {
        return Err(CommandError::Message("BUSYGROUP Consumer Group name already exists".into()));
    }
    Ok(())
}

fn xgroup_setid(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (_, entries_read) = group_options(args, false)?;
    let (key, group) = (&args[2], &args[3]);
    let mut locked = ctx.lock(key);
    let Some(entry) = super::get_typed_unwatched::<Stream>(&mut locked, key) else {
        return Err(key_must_exist());
    };
    let stream = typed::<Stream>(entry.value())?;
    let id = if stream.group(group).is_none() {
        Err(no_group_for_key(key, group))
    } else if args.len() != 5 && args.len() != 7 {
        Err(subcommand_syntax(args))
    } else if args[4] == b"$" {
        Ok(stream.last_id())
    } else {
        id::parse_plain(args[4], 0).ok_or_else(invalid_id)
    };
    let id = match id {
        Ok(id) => id,
        // Refused before anything changed: not logged.
        Err(e) => {
            locked.unchanged();
            return Err(e);
        }
    };
    update_typed::<Stream, _>(entry, |s| {
        if let Some(g) = s.group_mut(group) {
            g.last_id = id;
            g.entries_read = entries_read;
        }
    })?;
    drop(locked);
    ctx.notify(Class::Stream, "xgroup-setid", key);
    ctx.out.ok();
    Ok(())
}

fn xgroup_destroy(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, group) = (&args[2], &args[3]);
    let mut locked = ctx.lock(key);
    let Some(entry) = super::get_typed_unwatched::<Stream>(&mut locked, key) else {
        return Err(key_must_exist());
    };
    typed::<Stream>(entry.value())?;
    let destroyed = update_typed::<Stream, _>(entry, |s| s.destroy_group(group))?;
    if !destroyed {
        // No such group: nothing changed, as in Redis.
        locked.unchanged();
    }
    drop(locked);
    if destroyed {
        ctx.notify(Class::Stream, "xgroup-destroy", key);
        // Consumers blocked on the group learn it is gone.
        ctx.server.keyspace.waiters().signal(ctx.session.db, key);
    }
    ctx.out.integer(i64::from(destroyed));
    Ok(())
}

fn xgroup_createconsumer(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, group, consumer) = (&args[2], &args[3], &args[4]);
    let now = crate::engine::now_ms();
    let mut locked = ctx.lock(key);
    let Some(entry) = super::get_typed_unwatched::<Stream>(&mut locked, key) else {
        return Err(key_must_exist());
    };
    if typed::<Stream>(entry.value())?.group(group).is_none() {
        locked.unchanged();
        return Err(no_group_for_key(key, group));
    }
    let created =
        update_typed::<Stream, _>(entry, |s| s.group_mut(group).is_some_and(|g| g.create_consumer(consumer, now)))?;
    if !created {
        // The consumer was there: nothing changed, as in Redis.
        locked.unchanged();
    }
    drop(locked);
    if created {
        ctx.notify(Class::Stream, "xgroup-createconsumer", key);
    }
    ctx.out.integer(i64::from(created));
    Ok(())
}

fn xgroup_delconsumer(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, group, consumer) = (&args[2], &args[3], &args[4]);
    let mut locked = ctx.lock(key);
    let Some(entry) = super::get_typed_unwatched::<Stream>(&mut locked, key) else {
        return Err(key_must_exist());
    };
    if typed::<Stream>(entry.value())?.group(group).is_none() {
        locked.unchanged();
        return Err(no_group_for_key(key, group));
    }
    let pending = update_typed::<Stream, _>(entry, |s| s.group_mut(group).and_then(|g| g.delete_consumer(consumer)))?;
    if pending.is_none() {
        // No such consumer: nothing changed, as in Redis.
        locked.unchanged();
    }
    drop(locked);
    // Only a consumer that existed is reported, as in Redis.
    if pending.is_some() {
        ctx.notify(Class::Stream, "xgroup-delconsumer", key);
    }
    ctx.out.count(pending.unwrap_or(0));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// XACK, XPENDING, XCLAIM, XAUTOCLAIM
// ---------------------------------------------------------------------------------------

fn xack(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, group) = (&args[1], &args[2]);
    let mut locked = ctx.lock(key);
    let Some(entry) = locked.read(key) else {
        ctx.out.integer(0);
        return Ok(());
    };
    if typed::<Stream>(entry.value())?.group(group).is_none() {
        ctx.out.integer(0);
        return Ok(());
    }
    // All IDs are checked first: the command acknowledges all or nothing.
    let ids = args[3..].iter().map(|a| strict_id(a)).collect::<Result<Vec<_>, _>>()?;
    // Looked up again as a write (the first lookup counted the hit, as Redis's does).
    let Some(entry) = super::get_typed_unwatched::<Stream>(&mut locked, key) else {
        ctx.out.integer(0);
        return Ok(());
    };
    let acked = update_typed::<Stream, _>(entry, |s| {
        s.group_mut(group).map_or(0, |g| ids.iter().filter(|&&id| g.ack(id)).count())
    })?;
    if acked == 0 {
        // None of the IDs was pending: nothing changed, as in Redis.
        locked.unchanged();
    }
    drop(locked);
    ctx.out.count(acked);
    Ok(())
}

fn xpending(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, group) = (&args[1], &args[2]);
    let summary = args.len() == 3;
    if !summary && !(6..=9).contains(&args.len()) {
        return Err(CommandError::Syntax);
    }
    let mut min_idle = 0;
    let mut range = (StreamId::MIN, StreamId::MAX, 0usize, None);
    if !summary {
        let mut at = 3;
        if args::is(args[3], "idle") {
            min_idle = args::int(args[4])?;
            if args.len() < 8 {
                return Err(CommandError::Syntax);
            }
            at += 2;
        }
        let count = usize::try_from(args::int(args[at + 2])?).unwrap_or(0);
        let start = range_start(args[at])?;
        let end = range_end(args[at + 1])?;
        range = (start, end, count, args.get(at + 3));
    }
    let now = crate::engine::now_ms();
    let mut locked = ctx.lock(key);
    let stream = match locked.read(key) {
        Some(entry) => Some(typed::<Stream>(entry.value())?),
        None => None,
    };
    let Some(g) = stream.and_then(|s| s.group(group)) else {
        return Err(no_key_or_group(key, group));
    };
    let out = &mut *ctx.out;
    if summary {
        out.array(4);
        out.count(g.pel.len());
        match (g.pel.keys().next(), g.pel.keys().next_back()) {
            (Some(&first), Some(&last)) => {
                write_id(out, first);
                write_id(out, last);
                let busy: Vec<_> = g.consumers.iter().filter(|(_, c)| !c.pending.is_empty()).collect();
                out.array(busy.len());
                for (name, consumer) in busy {
                    out.array(2);
                    out.bulk(name);
                    out.bulk(itoa::Buffer::new().format(consumer.pending.len()).as_bytes());
                }
            }
            _ => {
                out.null();
                out.null();
                out.null_array();
            }
        }
        return Ok(());
    }
    let (start, end, count, consumer) = range;
    let ids: Vec<StreamId> = match consumer {
        Some(name) => match g.consumers.get(&name[..]) {
            Some(c) => c.pending.range(start..).take_while(|&&id| id <= end && start <= end).copied().collect(),
            None => Vec::new(),
        },
        None if start <= end => g.pel.range(start..=end).map(|(id, _)| *id).collect(),
        None => Vec::new(),
    };
    let rows: Vec<_> = ids
        .into_iter()
        .filter_map(|id| g.pel.get(&id).map(|p| (id, p)))
        .filter(|(_, p)| min_idle == 0 || now - p.delivery_time >= min_idle)
        .take(count)
        .collect();
    out.array(rows.len());
    for (id, pending) in rows {
        out.array(4);
        write_id(out, id);
        out.bulk(&pending.consumer);
        out.integer((now - pending.delivery_time).max(0));
        out.integer(i64::try_from(pending.delivery_count).unwrap_or(i64::MAX));
    }
    Ok(())
}

fn xclaim(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, group, consumer) = (&args[1], &args[2], &args[3]);
    let now = crate::engine::now_ms();
    // Logged as what it claimed (see `propagation`), never as itself: IDLE and min-idle-time
    // are read against the clock.
    crate::persist::capture::log_nothing();
    let logging = crate::persist::capture::armed();
    let db = ctx.session.db;
    let mut locked = ctx.lock(key);
    let Some(entry) = locked.read(key) else {
        return Err(no_key_or_group(key, group));
    };
    let last_id = match typed::<Stream>(entry.value())?.group(group) {
        Some(g) => g.last_id,
        None => return Err(no_key_or_group(key, group)),
    };
    let min_idle =
        args::int(args[4]).map_err(|_| CommandError::err("Invalid min-idle-time argument for XCLAIM"))?.max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while let Some(id) = args.get(j).and_then(|a| id::parse_strict(a)) {
        ids.push(id);
        j += 1;
    }
    let mut options = ClaimOptions { min_idle, delivery_time: -1, retry_count: None, force: false, justid: false };
    let mut new_last_id = None;
    let mut delivery_given = false;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j];
        let number = |what: &str| {
            args::int(args[j + 1]).map_err(|_| CommandError::err(format!("Invalid {what} option argument for XCLAIM")))
        };
        if args::is(opt, "force") {
            options.force = true;
        } else if args::is(opt, "justid") {
            options.justid = true;
        } else if args::is(opt, "idle") && more > 0 {
            options.delivery_time = now.saturating_sub(number("IDLE")?);
            delivery_given = true;
            j += 1;
        } else if args::is(opt, "time") && more > 0 {
            options.delivery_time = number("TIME")?;
            delivery_given = true;
            j += 1;
        } else if args::is(opt, "retrycount") && more > 0 {
            options.retry_count = u64::try_from(number("RETRYCOUNT")?).ok();
            j += 1;
        } else if args::is(opt, "lastid") && more > 0 {
            let id = strict_id(args[j + 1])?;
            if id > last_id {
                new_last_id = Some(id);
            }
            j += 1;
        } else {
            return Err(CommandError::err(format!("Unrecognized XCLAIM option '{}'", lossy(opt))));
        }
        j += 1;
    }
    // A bogus time (negative, or in the future) means now, as in Redis.
    if !delivery_given || options.delivery_time < 0 || options.delivery_time > now {
        options.delivery_time = now;
    }
    let Some(entry) = super::get_typed_unwatched::<Stream>(&mut locked, key) else {
        return Err(no_key_or_group(key, group));
    };
    let out = &mut *ctx.out;
    let (consumer_created, log) = update_typed::<Stream, _>(entry, |s| {
        if let (Some(id), Some(g)) = (new_last_id, s.group_mut(group)) {
            g.last_id = id;
        }
        let claimed = s.claim(group, consumer, &ids, options, now).unwrap_or_default();
        out.array(claimed.claimed.len());
        for &id in &claimed.claimed {
            match s.get(id) {
                Some(entry) if !options.justid => write_entry(out, &entry),
                Some(_) => write_id(out, id),
                None => out.null(),
            }
        }
        let log = logging.then(|| {
            let mut log = Logged::new(db);
            propagation::claims(&mut log, s, key, group, &claimed.changes, new_last_id.is_some());
            log
        });
        (claimed.consumer_created, log)
    })?;
    if let Some(log) = &log {
        crate::persist::capture::log_as_many(log);
    }
    drop(locked);
    if consumer_created {
        ctx.notify(Class::Stream, "xgroup-createconsumer", key);
    }
    Ok(())
}

fn xautoclaim(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, group, consumer) = (&args[1], &args[2], &args[3]);
    let min_idle =
        args::int(args[4]).map_err(|_| CommandError::err("Invalid min-idle-time argument for XAUTOCLAIM"))?.max(0);
    let start = range_start(args[5])?;
    let mut count = 100usize;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if args::is(args[j], "count") && more > 0 {
            let max = i64::MAX / 16;
            count = args::int(args[j + 1])
                .ok()
                .filter(|n| (1..=max).contains(n))
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| CommandError::err("COUNT must be > 0"))?;
            j += 1;
        } else if args::is(args[j], "justid") {
            justid = true;
        } else {
            return Err(CommandError::Syntax);
        }
        j += 1;
    }
    let now = crate::engine::now_ms();
    // Logged as what it claimed and dropped, as XCLAIM is.
    crate::persist::capture::log_nothing();
    let logging = crate::persist::capture::armed();
    let db = ctx.session.db;
    let mut locked = ctx.lock(key);
    let Some(entry) = locked.read(key) else {
        return Err(no_key_or_group(key, group));
    };
    if typed::<Stream>(entry.value())?.group(group).is_none() {
        return Err(no_key_or_group(key, group));
    }
    // Looked up again as a write (the first lookup counted the hit, as Redis's does).
    let Some(entry) = super::get_typed_unwatched::<Stream>(&mut locked, key) else {
        return Err(no_key_or_group(key, group));
    };
    let out = &mut *ctx.out;
    let (consumer_created, log) = update_typed::<Stream, _>(entry, |s| {
        let Some(result) = s.auto_claim(group, consumer, AutoClaim { min_idle, start, count, justid }, now) else {
            out.null_array();
            return (false, None);
        };
        out.array(3);
        write_id(out, result.next);
        out.array(result.claimed.len());
        for &id in &result.claimed {
            match s.get(id) {
                Some(entry) if !justid => write_entry(out, &entry),
                Some(_) => write_id(out, id),
                None => out.null(),
            }
        }
        out.array(result.deleted.len());
        for &id in &result.deleted {
            write_id(out, id);
        }
        let log = logging.then(|| {
            let mut log = Logged::new(db);
            propagation::claims(&mut log, s, key, group, &result.changes, false);
            log
        });
        (result.consumer_created, log)
    })?;
    if let Some(log) = &log {
        crate::persist::capture::log_as_many(log);
    }
    drop(locked);
    if consumer_created {
        ctx.notify(Class::Stream, "xgroup-createconsumer", key);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// XINFO, XSETID
// ---------------------------------------------------------------------------------------

fn xinfo_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::redis_help(
        ctx.out,
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
    Ok(())
}

fn xinfo_syntax(args: &[&[u8]]) -> CommandError {
    CommandError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try XINFO HELP.",
        lossy(args[1])
    ))
}

fn no_such_key() -> CommandError {
    CommandError::NoSuchKey
}

fn xinfo_stream(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = &args[2];
    let mut locked = ctx.lock(key);
    let Some(entry) = locked.read(key) else {
        return Err(no_such_key());
    };
    let stream = typed::<Stream>(entry.value())?;
    let mut full = None;
    if args.len() > 3 {
        if !args::is(args[3], "full") {
            return Err(xinfo_syntax(args));
        }
        let mut count = 10usize;
        if args.len() > 4 {
            if args.len() != 6 || !args::is(args[4], "count") {
                return Err(xinfo_syntax(args));
            }
            let n = args::int(args[5])?;
            count = if n < 0 { 10 } else { usize::try_from(n).unwrap_or(usize::MAX) };
        }
        full = Some(count);
    }
    let now = crate::engine::now_ms();
    let out = &mut *ctx.out;
    out.map(if full.is_some() { 9 } else { 10 });
    out.bulk(b"length");
    out.integer(i64::try_from(stream.len()).unwrap_or(i64::MAX));
    out.bulk(b"radix-tree-keys");
    out.count(stream.block_count());
    // Redis reports its radix tree's node count; a tree of n blocks has about n + 1.
    out.bulk(b"radix-tree-nodes");
    out.count(stream.block_count() + 1);
    out.bulk(b"last-generated-id");
    write_id(out, stream.last_id());
    out.bulk(b"max-deleted-entry-id");
    write_id(out, stream.max_deleted_id());
    out.bulk(b"entries-added");
    out.integer(i64::try_from(stream.entries_added()).unwrap_or(i64::MAX));
    out.bulk(b"recorded-first-entry-id");
    write_id(out, stream.first_id());
    let Some(count) = full else {
        out.bulk(b"groups");
        out.count(stream.groups().len());
        for (name, rev) in [(&b"first-entry"[..], false), (b"last-entry", true)] {
            out.bulk(name);
            match stream.range(StreamId::MIN, StreamId::MAX, rev, 1).first() {
                Some(entry) => write_entry(out, entry),
                None => out.null(),
            }
        }
        return Ok(());
    };
    out.bulk(b"entries");
    write_entries(out, &stream.range(StreamId::MIN, StreamId::MAX, false, count));
    out.bulk(b"groups");
    out.array(stream.groups().len());
    let limit = if count == 0 { usize::MAX } else { count };
    for (name, group) in stream.groups() {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        write_id(out, group.last_id);
        out.bulk(b"entries-read");
        write_entries_read(out, group.entries_read);
        out.bulk(b"lag");
        write_lag(out, stream.lag(group));
        out.bulk(b"pel-count");
        out.count(group.pel.len());
        out.bulk(b"pending");
        out.array(group.pel.len().min(limit));
        for (id, pending) in group.pel.iter().take(limit) {
            out.array(4);
            write_id(out, *id);
            out.bulk(&pending.consumer);
            out.integer(pending.delivery_time);
            out.integer(i64::try_from(pending.delivery_count).unwrap_or(i64::MAX));
        }
        out.bulk(b"consumers");
        out.array(group.consumers.len());
        for (consumer_name, consumer) in &group.consumers {
            out.map(4);
            out.bulk(b"name");
            out.bulk(consumer_name);
            out.bulk(b"seen-time");
            out.integer(consumer.seen_time);
            out.bulk(b"pel-count");
            out.count(consumer.pending.len());
            out.bulk(b"pending");
            out.array(consumer.pending.len().min(limit));
            for id in consumer.pending.iter().take(limit) {
                out.array(3);
                write_id(out, *id);
                let pending = group.pel.get(id);
                out.integer(pending.map_or(now, |p| p.delivery_time));
                out.integer(pending.map_or(0, |p| i64::try_from(p.delivery_count).unwrap_or(i64::MAX)));
            }
        }
    }
    Ok(())
}

fn write_entries_read(out: &mut dyn ReplySink, entries_read: i64) {
    if entries_read == ENTRIES_READ_UNKNOWN {
        out.null();
    } else {
        out.integer(entries_read);
    }
}

fn write_lag(out: &mut dyn ReplySink, lag: Option<i64>) {
    match lag {
        Some(lag) => out.integer(lag),
        None => out.null(),
    }
}

fn xinfo_groups(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = &args[2];
    let mut locked = ctx.lock(key);
    let Some(entry) = locked.read(key) else {
        return Err(no_such_key());
    };
    let stream = typed::<Stream>(entry.value())?;
    let out = &mut *ctx.out;
    out.array(stream.groups().len());
    for (name, group) in stream.groups() {
        out.map(6);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"consumers");
        out.count(group.consumers.len());
        out.bulk(b"pending");
        out.count(group.pel.len());
        out.bulk(b"last-delivered-id");
        write_id(out, group.last_id);
        out.bulk(b"entries-read");
        write_entries_read(out, group.entries_read);
        out.bulk(b"lag");
        write_lag(out, stream.lag(group));
    }
    Ok(())
}

fn xinfo_consumers(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, group_name) = (&args[2], &args[3]);
    let now = crate::engine::now_ms();
    let mut locked = ctx.lock(key);
    let Some(entry) = locked.read(key) else {
        return Err(no_such_key());
    };
    let Some(group) = typed::<Stream>(entry.value())?.group(group_name) else {
        return Err(no_group_for_key(key, group_name));
    };
    let out = &mut *ctx.out;
    out.array(group.consumers.len());
    for (name, consumer) in &group.consumers {
        out.map(3);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"pending");
        out.count(consumer.pending.len());
        out.bulk(b"idle");
        out.integer((now - consumer.seen_time).max(0));
    }
    Ok(())
}

fn xsetid(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = &args[1];
    let id = strict_id(args[2])?;
    let mut entries_added = None;
    let mut max_deleted = None;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if args::is(args[i], "entriesadded") && more > 0 {
            let n = args::int(args[i + 1])?;
            entries_added = Some(u64::try_from(n).map_err(|_| CommandError::err("entries_added must be positive"))?);
        } else if args::is(args[i], "maxdeletedid") && more > 0 {
            let max = strict_id(args[i + 1])?;
            if id < max {
                return Err(CommandError::err(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
            max_deleted = Some(max);
        } else {
            return Err(CommandError::Syntax);
        }
        i += 2;
    }
    let mut locked = ctx.lock(key);
    let Some(entry) = super::get_typed_unwatched::<Stream>(&mut locked, key) else {
        return Err(no_such_key());
    };
    typed::<Stream>(entry.value())?;
    // An ID below the top (or the like) is refused before anything changes.
    let set = update_typed::<Stream, _>(entry, |s| s.set_id(id, entries_added, max_deleted))?;
    locked.unless_refused(set).map_err(|e| match e {
        SetIdError::BelowMaxDeleted => {
            CommandError::err("The ID specified in XSETID is smaller than current max_deleted_entry_id")
        }
        SetIdError::BelowTop => {
            CommandError::err("The ID specified in XSETID is smaller than the target stream top item")
        }
        SetIdError::EntriesAddedBelowLength => {
            CommandError::err("The entries_added specified in XSETID is smaller than the target stream length")
        }
    })?;
    drop(locked);
    ctx.notify(Class::Stream, "xsetid", key);
    ctx.out.ok();
    Ok(())
}
