//! The string commands: GET/SET and their variants, counters, ranges, multi-key MGET/MSET
//! and LCS. Argument parsing and replies live here; the data operations are in
//! `types::string`.

use std::sync::atomic::Ordering;

use super::table::{CommandSpec, Flags, Group, KeyRange};
use super::{Class, Ctx, args, errors::CommandError, errors::CommandResult};
use crate::engine::PACK_LIMIT;
use crate::types::string::{self as data, LcsError, StrBytes};
use crate::types::{Value, ValueKind, ValueRef};

const READ: Flags = Flags::READONLY;
const READ_FAST: Flags = Flags::READONLY.or(Flags::FAST);
const WRITE: Flags = Flags::WRITE.or(Flags::DENYOOM);
const WRITE_FAST: Flags = Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST);
/// GETDEL and GETEX never grow memory, so Redis does not mark them denyoom.
const WRITE_FAST_NO_GROWTH: Flags = Flags::WRITE.or(Flags::FAST);

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
        group: Group::String,
        since,
        summary,
        syntax,
        handler: Some(handler),
        ..CommandSpec::BASE
    }
}

pub(super) const COMMANDS: &[CommandSpec] = &[
    spec("get", 2, READ_FAST, "1.0.0", "Get the value of a key", "key", get),
    spec(
        "set",
        -3,
        WRITE,
        "1.0.0",
        "Set the string value of a key",
        "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
        set,
    ),
    spec("setnx", 3, WRITE_FAST, "1.0.0", "Set the value of a key, only if the key does not exist", "key value", setnx),
    spec("setex", 4, WRITE, "2.0.0", "Set the value and expiration of a key", "key seconds value", setex),
    spec(
        "psetex",
        4,
        WRITE,
        "2.6.0",
        "Set the value and expiration in milliseconds of a key",
        "key milliseconds value",
        psetex,
    ),
    spec(
        "getset",
        3,
        WRITE_FAST,
        "1.0.0",
        "Set the string value of a key and return its old value",
        "key value",
        getset,
    ),
    spec("getdel", 2, WRITE_FAST_NO_GROWTH, "6.2.0", "Get the value of a key and delete the key", "key", getdel),
    spec(
        "getex",
        -2,
        WRITE_FAST_NO_GROWTH,
        "6.2.0",
        "Get the value of a key and optionally set its expiration",
        "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]",
        getex,
    ),
    CommandSpec {
        keys: KeyRange::ALL,
        ..spec("mget", -2, READ_FAST, "1.0.0", "Get the values of all the given keys", "key [key ...]", mget)
    },
    CommandSpec {
        keys: KeyRange::PAIRS,
        ..spec("mset", -3, WRITE, "1.0.1", "Set multiple keys to multiple values", "key value [key value ...]", mset)
    },
    CommandSpec {
        keys: KeyRange::PAIRS,
        ..spec(
            "msetnx",
            -3,
            WRITE,
            "1.0.1",
            "Set multiple keys to multiple values, only if none of the keys exist",
            "key value [key value ...]",
            msetnx,
        )
    },
    spec("append", 3, WRITE_FAST, "2.0.0", "Append a value to a key", "key value", append),
    spec("strlen", 2, READ_FAST, "2.2.0", "Get the length of the value stored in a key", "key", strlen),
    spec("incr", 2, WRITE_FAST, "1.0.0", "Increment the integer value of a key by one", "key", incr),
    spec("decr", 2, WRITE_FAST, "1.0.0", "Decrement the integer value of a key by one", "key", decr),
    spec(
        "incrby",
        3,
        WRITE_FAST,
        "1.0.0",
        "Increment the integer value of a key by the given amount",
        "key increment",
        incrby,
    ),
    spec(
        "decrby",
        3,
        WRITE_FAST,
        "1.0.0",
        "Decrement the integer value of a key by the given number",
        "key decrement",
        decrby,
    ),
    spec(
        "incrbyfloat",
        3,
        WRITE_FAST,
        "2.6.0",
        "Increment the float value of a key by the given amount",
        "key increment",
        incrbyfloat,
    ),
    spec("getrange", 4, READ, "2.4.0", "Get a substring of the string stored at a key", "key start end", getrange),
    spec(
        "setrange",
        4,
        WRITE,
        "2.2.0",
        "Overwrite part of a string at key starting at the specified offset",
        "key offset value",
        setrange,
    ),
    spec("substr", 4, READ, "1.0.0", "Get a substring of the string stored at a key", "key start end", getrange),
    CommandSpec {
        keys: KeyRange::TWO,
        ..spec(
            "lcs",
            -3,
            READ,
            "7.0.0",
            "Find longest common substring",
            "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]",
            lcs,
        )
    },
];

/// The bytes of a string value, or WRONGTYPE.
fn string_of(value: ValueRef<'_>) -> Result<StrBytes<'_>, CommandError> {
    value.string_bytes().ok_or(CommandError::WrongType)
}

/// WRONGTYPE unless `value` is a string.
fn check_string(value: ValueRef<'_>) -> CommandResult {
    if value.kind() == ValueKind::String { Ok(()) } else { Err(CommandError::WrongType) }
}

/// `proto-max-bulk-len`: the largest string a command may build.
fn max_string_len(ctx: &Ctx<'_>) -> u64 {
    ctx.server.config.limits().proto_max_bulk_len.load(Ordering::Relaxed)
}

fn get(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    match locked.read(args[1]) {
        Some(entry) => ctx.out.bulk(&string_of(entry.value())?),
        None => ctx.out.null(),
    }
    Ok(())
}

/// The expiry options shared by SET and GETEX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExpireUnit {
    /// EX: seconds from now.
    Ex,
    /// PX: milliseconds from now.
    Px,
    /// EXAT: Unix time in seconds.
    ExAt,
    /// PXAT: Unix time in milliseconds.
    PxAt,
}

/// An expiry option as given: its unit and its (not yet validated) argument.
#[derive(Debug, Clone, Copy)]
struct Expire<'a> {
    unit: ExpireUnit,
    arg: &'a [u8],
}

impl Expire<'_> {
    /// Validates the argument as Redis's `getExpireMillisecondsOrReply` does and returns the
    /// absolute deadline in Unix milliseconds: non-integers are "not an integer", values
    /// <= 0 or that overflow once converted are an invalid expire time for `command`.
    fn deadline(&self, now: i64, command: &'static str) -> Result<i64, CommandError> {
        let n = args::int(self.arg)?;
        let seconds = matches!(self.unit, ExpireUnit::Ex | ExpireUnit::ExAt);
        let invalid = CommandError::InvalidExpire(command);
        if n <= 0 {
            return Err(invalid);
        }
        let ms = if seconds { n.checked_mul(1000).ok_or(invalid.clone())? } else { n };
        match self.unit {
            ExpireUnit::Ex | ExpireUnit::Px => ms.checked_add(now).ok_or(invalid),
            ExpireUnit::ExAt | ExpireUnit::PxAt => Ok(ms),
        }
    }
}

/// The options of SET (`for_set`) or GETEX, parsed as Redis's
/// `parseExtendedStringArgumentsOrReply` does: any conflicting or unknown option is a
/// syntax error; repeating the same option is allowed (the last expiry wins).
#[derive(Debug, Default)]
struct StringOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<Expire<'a>>,
}

impl<'a> StringOptions<'a> {
    fn parse(options: &'a [&'a [u8]], for_set: bool) -> Result<StringOptions<'a>, CommandError> {
        let mut o = StringOptions::default();
        let mut i = 0;
        while i < options.len() {
            let opt = options[i];
            let next = options.get(i + 1);
            let unit = [
                ("ex", ExpireUnit::Ex),
                ("px", ExpireUnit::Px),
                ("exat", ExpireUnit::ExAt),
                ("pxat", ExpireUnit::PxAt),
            ]
            .into_iter()
            .find(|(word, _)| args::is(opt, word))
            .map(|(_, unit)| unit);
            if for_set && args::is(opt, "nx") && !o.xx {
                o.nx = true;
            } else if for_set && args::is(opt, "xx") && !o.nx {
                o.xx = true;
            } else if for_set && args::is(opt, "get") {
                o.get = true;
            } else if for_set && args::is(opt, "keepttl") && o.expire.is_none() {
                o.keep_ttl = true;
            } else if !for_set && args::is(opt, "persist") && o.expire.is_none() {
                o.persist = true;
            } else if let (Some(unit), Some(next)) = (unit, next) {
                // The same unit may repeat; a different one, KEEPTTL or PERSIST conflicts.
                let compatible = o.expire.is_none_or(|e| e.unit == unit) && !o.keep_ttl && !o.persist;
                if !compatible {
                    return Err(CommandError::Syntax);
                }
                o.expire = Some(Expire { unit, arg: next });
                i += 1;
            } else {
                return Err(CommandError::Syntax);
            }
            i += 1;
        }
        Ok(o)
    }
}

fn set(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    // A plain SET (most of them) has nothing to parse.
    let options = if args.len() == 3 { StringOptions::default() } else { StringOptions::parse(&args[3..], true)? };
    let key = args[1];
    let bytes = args[2];
    // A large value is copied before locking so it does not hold up the shard; a small one
    // is packed straight from the request under the lock.
    let large = (bytes.len() > PACK_LIMIT).then(|| Value::from_bytes(bytes));
    let mut locked = ctx.lock(key);
    let deadline = options.expire.map(|e| e.deadline(locked.now(), "set")).transpose()?;
    if options.get || options.nx || options.xx {
        let found = if options.get {
            // SET ... GET replies with the old value whatever happens next; a non-string
            // old value fails the whole command before anything is written.
            match locked.read(key) {
                Some(entry) => {
                    ctx.out.bulk(&string_of(entry.value())?);
                    true
                }
                None => {
                    ctx.out.null();
                    false
                }
            }
        } else {
            locked.exists(key)
        };
        if (options.nx && found) || (options.xx && !found) {
            if !options.get {
                ctx.out.null();
            }
            return Ok(());
        }
    }
    let kept = if options.keep_ttl { locked.get(key) } else { None };
    match kept {
        Some(entry) => {
            // A stream overwritten in place: its blocked XREADGROUP consumers are told.
            let was_stream = matches!(entry.value(), ValueRef::Stream(_));
            entry.set_value(large.unwrap_or_else(|| Value::from_bytes(bytes)));
            if was_stream {
                ctx.server.keyspace.waiters().signal(ctx.session.db, key);
            }
        }
        None => match large {
            Some(value) => locked.set(key, value),
            None => locked.set_string(key, bytes),
        },
    }
    ctx.notify(Class::String, "set", key);
    if let Some(at) = deadline {
        locked.set_expiry(key, deadline);
        ctx.notify(Class::Generic, "expire", key);
        // Redis keeps a key whose EXAT/PXAT is past and expires it on the next access; it
        // is deleted here at once, so that is reported now.
        if at <= locked.now() {
            ctx.notify(Class::Expired, "expired", key);
        }
    }
    if !options.get {
        ctx.out.ok();
    }
    Ok(())
}

fn setnx(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    if locked.exists(args[1]) {
        ctx.out.integer(0);
    } else {
        locked.set(args[1], Value::from_bytes(args[2]));
        ctx.notify(Class::String, "set", args[1]);
        ctx.out.integer(1);
    }
    Ok(())
}

/// SETEX and PSETEX: SET key value with a relative expiry.
fn set_with_expiry(ctx: &mut Ctx<'_>, args: &[&[u8]], unit: ExpireUnit, command: &'static str) -> CommandResult {
    let key = args[1];
    let value = Value::from_bytes(args[3]);
    let mut locked = ctx.lock(key);
    let deadline = Expire { unit, arg: args[2] }.deadline(locked.now(), command)?;
    locked.set(key, value);
    ctx.notify(Class::String, "set", key);
    locked.set_expiry(key, Some(deadline));
    ctx.notify(Class::Generic, "expire", key);
    ctx.out.ok();
    Ok(())
}

fn setex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    set_with_expiry(ctx, args, ExpireUnit::Ex, "setex")
}

fn psetex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    set_with_expiry(ctx, args, ExpireUnit::Px, "psetex")
}

fn getset(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = args[1];
    let value = Value::from_bytes(args[2]);
    let mut locked = ctx.lock(key);
    match locked.read(key) {
        Some(entry) => ctx.out.bulk(&string_of(entry.value())?),
        None => ctx.out.null(),
    }
    // Like SET: the new value drops any expiry.
    locked.set(key, value);
    ctx.notify(Class::String, "set", key);
    Ok(())
}

fn getdel(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = args[1];
    let mut locked = ctx.lock(key);
    match locked.read(key) {
        Some(entry) => ctx.out.bulk(&string_of(entry.value())?),
        None => {
            ctx.out.null();
            return Ok(());
        }
    }
    let removed = locked.remove(key);
    ctx.notify(Class::Generic, "del", key);
    drop(locked);
    // Free the value outside the shard lock.
    drop(removed);
    Ok(())
}

fn getex(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let options = StringOptions::parse(&args[2..], false)?;
    let key = args[1];
    let mut locked = ctx.lock(key);
    let now = locked.now();
    let Some(entry) = locked.read(key) else {
        // As in Redis, a missing key replies nil before the expiry value is looked at.
        ctx.out.null();
        return Ok(());
    };
    check_string(entry.value())?;
    let deadline = options.expire.map(|e| e.deadline(now, "getex")).transpose()?;
    ctx.out.bulk(&string_of(entry.value())?);
    if let Some(at) = deadline {
        // A deadline already past (EXAT/PXAT) deletes the key.
        locked.set_expiry(key, deadline);
        ctx.notify(Class::Generic, if at <= now { "del" } else { "expire" }, key);
    } else if options.persist && matches!(locked.expiry(key), Some(Some(_))) {
        locked.set_expiry(key, None);
        ctx.notify(Class::Generic, "persist", key);
    }
    Ok(())
}

fn mget(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let keys = &args[1..];
    let mut locked = ctx.lock_keys(keys);
    ctx.out.array(keys.len());
    for key in keys {
        // A key of another type reads as nil, not as an error.
        let value = locked.read(key).and_then(|entry| entry.value().string_bytes());
        ctx.out.bulk_or_null(value.as_deref());
    }
    Ok(())
}

/// MSET and MSETNX: all keys are locked together, so the whole write is atomic even when
/// the keys live in different shards.
fn mset_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], name: &str, only_new: bool) -> CommandResult {
    if args.len() % 2 == 0 {
        return Err(CommandError::WrongArity(name.to_owned()));
    }
    let pairs = &args[1..];
    let values: Vec<Value> = pairs.chunks_exact(2).map(|pair| Value::from_bytes(pair[1])).collect();
    let mut locked = ctx.lock_keys(pairs.iter().step_by(2));
    if only_new && pairs.iter().step_by(2).any(|key| locked.exists(key)) {
        ctx.out.integer(0);
        return Ok(());
    }
    for (key, value) in pairs.iter().step_by(2).zip(values) {
        locked.set(key, value);
        ctx.notify(Class::String, "set", key);
    }
    if only_new {
        ctx.out.integer(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

fn mset(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    mset_generic(ctx, args, "mset", false)
}

fn msetnx(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    mset_generic(ctx, args, "msetnx", true)
}

fn append(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, tail) = (args[1], args[2]);
    let max = max_string_len(ctx);
    let mut locked = ctx.lock(key);
    let len = match super::get_string(&mut locked, key) {
        // In place: the key keeps its expiry.
        Some(entry) => {
            check_string(entry.value())?;
            entry.try_update(|v| v.append(tail, max))?
        }
        None => {
            locked.set(key, Value::from_bytes(tail));
            tail.len()
        }
    };
    ctx.notify(Class::String, "append", key);
    ctx.out.count(len);
    Ok(())
}

fn strlen(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let len = match locked.read(args[1]) {
        Some(entry) => entry.value().string_len().ok_or(CommandError::WrongType)?,
        None => 0,
    };
    ctx.out.count(len);
    Ok(())
}

/// INCR, DECR, INCRBY, DECRBY: the value is updated in place (keeping its expiry), without
/// allocating when it is already an integer; a missing key counts from 0.
fn incr_by(ctx: &mut Ctx<'_>, key: &[u8], delta: i64) -> CommandResult {
    let mut locked = ctx.lock(key);
    let n = match super::get_string(&mut locked, key) {
        Some(entry) => {
            check_string(entry.value())?;
            // Not an integer, or an overflow: refused, nothing changed.
            let result = entry.try_update(|v| v.incr_by(delta));
            locked.unless_refused(result)?
        }
        None => {
            locked.set(key, Value::Int(delta));
            delta
        }
    };
    ctx.notify(Class::String, "incrby", key);
    ctx.out.integer(n);
    Ok(())
}

fn incr(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    incr_by(ctx, args[1], 1)
}

fn decr(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    incr_by(ctx, args[1], -1)
}

fn incrby(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let delta = args::int(args[2])?;
    incr_by(ctx, args[1], delta)
}

fn decrby(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let delta = args::int(args[2])?;
    // -i64::MIN does not exist.
    let delta = delta.checked_neg().ok_or(CommandError::DecrementOverflow)?;
    incr_by(ctx, args[1], delta)
}

fn incrbyfloat(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = args[1];
    let mut locked = ctx.lock(key);
    let text = match super::get_string(&mut locked, key) {
        Some(entry) => {
            let text = match data::incr_by_float(&string_of(entry.value())?, args[2]) {
                Ok(text) => text,
                // Not a float, or a result that is not one: refused, nothing changed (the
                // entry is still borrowed on the other arm: no `unless_refused` here).
                Err(e) => {
                    locked.unchanged();
                    return Err(e.into());
                }
            };
            // In place: the key keeps its expiry. Redis stores the result as a string, never
            // as an integer (OBJECT ENCODING "embstr" even for "3").
            entry.set_value(Value::Str(text.clone().into_bytes()));
            text
        }
        None => {
            let text = data::incr_by_float(b"0", args[2])?;
            locked.set(key, Value::Str(text.clone().into_bytes()));
            text
        }
    };
    // Logged (and streamed to Redis replicas) as the SET of the result keeping the TTL, as
    // Redis propagates it: a replay must not depend on how another build rounds.
    crate::persist::capture::log_as(ctx.session.db, &[b"SET", key, text.as_bytes(), b"KEEPTTL"]);
    ctx.notify(Class::String, "incrbyfloat", key);
    ctx.out.bulk(text.as_bytes());
    Ok(())
}

/// GETRANGE and SUBSTR.
fn getrange(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let start = args::int(args[2])?;
    let end = args::int(args[3])?;
    let mut locked = ctx.lock(args[1]);
    match locked.read(args[1]) {
        Some(entry) => ctx.out.bulk(data::get_range(&string_of(entry.value())?, start, end)),
        None => ctx.out.bulk(b""),
    }
    Ok(())
}

fn setrange(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (key, bytes) = (args[1], args[3]);
    let offset = u64::try_from(args::int(args[2])?).map_err(|_| CommandError::OffsetOutOfRange)?;
    let max = max_string_len(ctx);
    let mut locked = ctx.lock(key);
    let len = match super::get_string(&mut locked, key) {
        // In place: the key keeps its expiry.
        // Writing nothing answers the length and leaves the value (and its encoding) as is.
        Some(entry) if bytes.is_empty() => entry.value().string_len().ok_or(CommandError::WrongType)?,
        Some(entry) => {
            check_string(entry.value())?;
            // Past proto-max-bulk-len: refused, nothing changed.
            let result = entry.try_update(|v| v.set_range(offset, bytes, max));
            locked.unless_refused(result)?
        }
        // Nothing to write on a missing key creates nothing.
        None if bytes.is_empty() => 0,
        None => {
            let mut value = Value::Str(Vec::new());
            let len = value.set_range(offset, bytes, max)?;
            // set_range leaves a string a string.
            if let Value::Str(bytes) = value {
                super::set_raw_string(&mut locked, key, bytes);
            }
            len
        }
    };
    // Writing nothing changes nothing: no event, no watcher told, nothing logged, as in Redis.
    if bytes.is_empty() {
        locked.unchanged();
    } else {
        ctx.notify(Class::String, "setrange", key);
    }
    ctx.out.count(len);
    Ok(())
}

fn lcs(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (a, b) = {
        // Copy both strings out so the O(n·m) work runs without the shard locks.
        let mut locked = ctx.lock_keys(&args[1..3]);
        let mut fetch = |key: &[u8]| -> Result<Vec<u8>, CommandError> {
            match locked.read(key) {
                Some(entry) => Ok(entry.value().string_bytes().ok_or(CommandError::LcsNotString)?.to_vec()),
                None => Ok(Vec::new()),
            }
        };
        (fetch(args[1])?, fetch(args[2])?)
    };
    let (mut want_len, mut want_idx, mut with_match_len, mut min_match_len) = (false, false, false, 0usize);
    let mut i = 3;
    while i < args.len() {
        let opt = args[i];
        if args::is(opt, "idx") {
            want_idx = true;
        } else if args::is(opt, "len") {
            want_len = true;
        } else if args::is(opt, "withmatchlen") {
            with_match_len = true;
        } else if args::is(opt, "minmatchlen") && i + 1 < args.len() {
            // Negative means no minimum, as in Redis.
            min_match_len = usize::try_from(args::int(args[i + 1])?.max(0)).unwrap_or(usize::MAX);
            i += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    if want_idx && want_len {
        return Err(CommandError::LcsIdxWithLen);
    }
    // Redis bounds the table by proto-max-bulk-len; so do we, which also bounds the time.
    let result = data::lcs(&a, &b, max_string_len(ctx), !want_len, min_match_len).map_err(|e| match e {
        LcsError::StringTooLong => CommandError::LcsStringTooLong,
        LcsError::TableTooLarge => CommandError::LcsTableTooLarge,
        LcsError::OutOfMemory => CommandError::LcsOutOfMemory,
    })?;
    if want_len {
        ctx.out.count(result.len);
    } else if want_idx {
        let out = &mut *ctx.out;
        out.map(2);
        out.bulk(b"matches");
        out.array(result.matches.len());
        for m in &result.matches {
            out.array(2 + usize::from(with_match_len));
            for (start, end) in [m.a, m.b] {
                out.array(2);
                out.count(start);
                out.count(end);
            }
            if with_match_len {
                out.count(m.len);
            }
        }
        out.bulk(b"len");
        out.count(result.len);
    } else {
        ctx.out.bulk(&result.text);
    }
    Ok(())
}
