//! Generic keyspace commands: deleting, renaming, copying and moving keys, enumerating them
//! (KEYS, SCAN, RANDOMKEY), whole-database operations (DBSIZE, FLUSHDB, FLUSHALL, SWAPDB),
//! expiry (EXPIRE and friends, TTL, PERSIST) and OBJECT introspection.

use std::sync::atomic::Ordering;

use super::args;
use super::errors::{CommandError, CommandResult};
use super::table::{CommandSpec, Flags, Group, KeyRange};
use super::{Class, Ctx};
use crate::engine::ScanFilter;
use crate::types::{Value, ValueKind, ValueRef};

/// The key arguments of OBJECT's subcommands: the one after the subcommand name.
const SUB_KEY: KeyRange = KeyRange { first: 2, last: 2, step: 1 };

pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "del",
        arity: -2,
        flags: Flags::WRITE,
        keys: KeyRange::ALL,
        since: "1.0.0",
        summary: "Deletes one or more keys.",
        syntax: "key [key ...]",
        handler: Some(del),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "unlink",
        arity: -2,
        flags: Flags::WRITE.or(Flags::FAST),
        keys: KeyRange::ALL,
        since: "4.0.0",
        summary: "Asynchronously deletes one or more keys.",
        syntax: "key [key ...]",
        handler: Some(unlink),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "exists",
        arity: -2,
        flags: Flags::READONLY.or(Flags::FAST),
        keys: KeyRange::ALL,
        since: "1.0.0",
        summary: "Determines whether one or more keys exist.",
        syntax: "key [key ...]",
        handler: Some(exists),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "type",
        arity: 2,
        flags: Flags::READONLY.or(Flags::FAST),
        keys: KeyRange::FIRST,
        since: "1.0.0",
        summary: "Determines the type of value stored at a key.",
        syntax: "key",
        handler: Some(type_),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "rename",
        arity: 3,
        flags: Flags::WRITE,
        keys: KeyRange::TWO,
        since: "1.0.0",
        summary: "Renames a key and overwrites the destination.",
        syntax: "key newkey",
        handler: Some(rename),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "renamenx",
        arity: 3,
        flags: Flags::WRITE.or(Flags::FAST),
        keys: KeyRange::TWO,
        since: "1.0.0",
        summary: "Renames a key only when the target key name doesn't exist.",
        syntax: "key newkey",
        handler: Some(renamenx),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "copy",
        arity: -3,
        flags: Flags::WRITE.or(Flags::DENYOOM),
        keys: KeyRange::TWO,
        since: "6.2.0",
        summary: "Copies the value of a key to a new key.",
        syntax: "source destination [DB destination-db] [REPLACE]",
        handler: Some(copy),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "move",
        arity: 3,
        flags: Flags::WRITE.or(Flags::FAST),
        keys: KeyRange::FIRST,
        since: "1.0.0",
        summary: "Moves a key to another database.",
        syntax: "key db",
        handler: Some(move_),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "touch",
        arity: -2,
        flags: Flags::READONLY.or(Flags::FAST),
        keys: KeyRange::ALL,
        since: "3.2.1",
        summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed.",
        syntax: "key [key ...]",
        handler: Some(touch),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "keys",
        arity: 2,
        flags: Flags::READONLY,
        acl: &["@dangerous"],
        since: "1.0.0",
        summary: "Returns all key names that match a pattern.",
        syntax: "pattern",
        handler: Some(keys),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "scan",
        arity: -2,
        flags: Flags::READONLY,
        since: "2.8.0",
        summary: "Iterates over the key names in the database.",
        syntax: "cursor [MATCH pattern] [COUNT count] [TYPE type]",
        handler: Some(scan),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "randomkey",
        arity: 1,
        flags: Flags::READONLY,
        since: "1.0.0",
        summary: "Returns a random key name from the database.",
        handler: Some(randomkey),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "dbsize",
        arity: 1,
        flags: Flags::READONLY.or(Flags::FAST),
        group: Group::Server,
        acl: &["@keyspace"],
        since: "1.0.0",
        summary: "Returns the number of keys in the database.",
        handler: Some(dbsize),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "flushdb",
        arity: -1,
        flags: Flags::WRITE,
        group: Group::Server,
        acl: &["@keyspace", "@dangerous"],
        since: "1.0.0",
        summary: "Remove all keys from the current database.",
        syntax: "[ASYNC | SYNC]",
        handler: Some(flushdb),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "flushall",
        arity: -1,
        flags: Flags::WRITE,
        group: Group::Server,
        acl: &["@keyspace", "@dangerous"],
        since: "1.0.0",
        summary: "Removes all keys from all databases.",
        syntax: "[ASYNC | SYNC]",
        handler: Some(flushall),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "swapdb",
        arity: 3,
        flags: Flags::WRITE.or(Flags::FAST),
        group: Group::Server,
        acl: &["@keyspace", "@dangerous"],
        since: "4.0.0",
        summary: "Swaps two Redis databases.",
        syntax: "index1 index2",
        handler: Some(swapdb),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "expire",
        arity: -3,
        flags: Flags::WRITE.or(Flags::FAST),
        keys: KeyRange::FIRST,
        since: "1.0.0",
        summary: "Sets the expiration time of a key in seconds.",
        syntax: "key seconds [NX | XX | GT | LT]",
        handler: Some(expire),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pexpire",
        arity: -3,
        flags: Flags::WRITE.or(Flags::FAST),
        keys: KeyRange::FIRST,
        since: "2.6.0",
        summary: "Sets the expiration time of a key in milliseconds.",
        syntax: "key milliseconds [NX | XX | GT | LT]",
        handler: Some(pexpire),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "expireat",
        arity: -3,
        flags: Flags::WRITE.or(Flags::FAST),
        keys: KeyRange::FIRST,
        since: "1.2.0",
        summary: "Sets the expiration time of a key to a Unix timestamp.",
        syntax: "key unix-time-seconds [NX | XX | GT | LT]",
        handler: Some(expireat),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pexpireat",
        arity: -3,
        flags: Flags::WRITE.or(Flags::FAST),
        keys: KeyRange::FIRST,
        since: "2.6.0",
        summary: "Sets the expiration time of a key to a Unix milliseconds timestamp.",
        syntax: "key unix-time-milliseconds [NX | XX | GT | LT]",
        handler: Some(pexpireat),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "expiretime",
        arity: 2,
        flags: Flags::READONLY.or(Flags::FAST),
        keys: KeyRange::FIRST,
        since: "7.0.0",
        summary: "Returns the expiration time of a key as a Unix timestamp.",
        syntax: "key",
        handler: Some(expiretime),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pexpiretime",
        arity: 2,
        flags: Flags::READONLY.or(Flags::FAST),
        keys: KeyRange::FIRST,
        since: "7.0.0",
        summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.",
        syntax: "key",
        handler: Some(pexpiretime),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "ttl",
        arity: 2,
        flags: Flags::READONLY.or(Flags::FAST),
        keys: KeyRange::FIRST,
        since: "1.0.0",
        summary: "Returns the expiration time in seconds of a key.",
        syntax: "key",
        handler: Some(ttl),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pttl",
        arity: 2,
        flags: Flags::READONLY.or(Flags::FAST),
        keys: KeyRange::FIRST,
        since: "2.6.0",
        summary: "Returns the expiration time in milliseconds of a key.",
        syntax: "key",
        handler: Some(pttl),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "persist",
        arity: 2,
        flags: Flags::WRITE.or(Flags::FAST),
        keys: KeyRange::FIRST,
        since: "2.2.0",
        summary: "Removes the expiration time of a key.",
        syntax: "key",
        handler: Some(persist),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "object",
        arity: -2,
        since: "2.2.3",
        summary: "A container for object introspection commands.",
        syntax: "<subcommand> [<arg> ...]",
        subcommands: &[
            CommandSpec {
                name: "object|encoding",
                arity: 3,
                flags: Flags::READONLY,
                keys: SUB_KEY,
                since: "2.2.3",
                summary: "Returns the internal encoding of a Redis object.",
                syntax: "key",
                handler: Some(object_encoding),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "object|freq",
                arity: 3,
                flags: Flags::READONLY,
                keys: SUB_KEY,
                since: "4.0.0",
                summary: "Returns the logarithmic access frequency counter of a Redis object.",
                syntax: "key",
                handler: Some(object_freq),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "object|idletime",
                arity: 3,
                flags: Flags::READONLY,
                keys: SUB_KEY,
                since: "2.2.3",
                summary: "Returns the time since the last access to a Redis object.",
                syntax: "key",
                handler: Some(object_idletime),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "object|refcount",
                arity: 3,
                flags: Flags::READONLY,
                keys: SUB_KEY,
                since: "2.2.3",
                summary: "Returns the reference count of a value of a key.",
                syntax: "key",
                handler: Some(object_refcount),
                ..CommandSpec::BASE
            },
            CommandSpec {
                name: "object|help",
                arity: 2,
                flags: Flags::LOADING.or(Flags::STALE),
                since: "6.2.0",
                summary: "Returns helpful text about the different subcommands.",
                handler: Some(object_help),
                ..CommandSpec::BASE
            },
        ],
        ..CommandSpec::BASE
    },
];

/// OBJECT HELP, in Redis's words.
fn object_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::redis_help(
        ctx.out,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
    Ok(())
}

/// A count as a RESP integer.
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A database index argument: an integer, that fits a C `int`, within `databases`; each
/// failure has its own Redis error.
fn db_index(ctx: &Ctx<'_>, arg: &[u8]) -> Result<usize, CommandError> {
    let n = i32::try_from(args::int(arg)?)
        .map_err(|_| CommandError::IntOutOfRange { min: i32::MIN.into(), max: i32::MAX.into() })?;
    usize::try_from(n).ok().filter(|&db| db < ctx.server.keyspace.databases()).ok_or(CommandError::DbOutOfRange)
}

// ---------------------------------------------------------------------------------------
// Deleting and testing keys
// ---------------------------------------------------------------------------------------

/// DEL and UNLINK. Removed values are dropped after the shard locks are released, so
/// freeing them never lengthens the critical section.
fn del(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    delete(ctx, args, ctx.server.config.bool("lazyfree-lazy-user-del"))
}

/// UNLINK: DEL whose large values are freed in the background.
fn unlink(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    delete(ctx, args, true)
}

/// Deletes `args[1..]`; the values are freed once no shard is held, the large ones on the
/// lazy-free thread with `lazy`.
fn delete(ctx: &mut Ctx<'_>, args: &[&[u8]], lazy: bool) -> CommandResult {
    let keys = &args[1..];
    let freed: Vec<Value> = {
        let mut locked = ctx.lock_keys(keys);
        keys.iter()
            .filter_map(|key| {
                let value = locked.remove(key)?;
                ctx.notify(Class::Generic, "del", key);
                Some(value)
            })
            .collect()
    };
    ctx.out.integer(count(freed.len()));
    if lazy {
        ctx.server.keyspace.free_lazily(freed);
    }
    Ok(())
}

/// EXISTS: a key named several times counts several times, as in Redis.
fn exists(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let keys = &args[1..];
    let found = {
        let mut locked = ctx.lock_keys(keys);
        keys.iter().filter(|key| exists_or_miss(ctx, &mut locked, key)).count()
    };
    ctx.out.integer(count(found));
    Ok(())
}

/// Whether `key` exists; a missing key is a "keymiss" event, as Redis's lookups for EXISTS,
/// TYPE and the TTL family report it (they look without touching the access time).
fn exists_or_miss(ctx: &Ctx<'_>, locked: &mut crate::engine::Locked<'_>, key: &[u8]) -> bool {
    let found = locked.exists(key);
    if !found {
        ctx.notify(Class::KeyMiss, "keymiss", key);
    }
    found
}

fn type_(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = &args[1];
    let kind = {
        let mut locked = ctx.lock(key);
        let kind = locked.peek(key).map(|e| e.value().kind());
        if kind.is_none() {
            ctx.notify(Class::KeyMiss, "keymiss", key);
        }
        kind
    };
    ctx.out.simple(kind.map_or("none", ValueKind::name));
    Ok(())
}

/// TOUCH: a read of each key (access time and hit/miss statistics), without the value.
fn touch(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let keys = &args[1..];
    let found = {
        let mut locked = ctx.lock_keys(keys);
        keys.iter().filter(|key| locked.read(key).is_some()).count()
    };
    ctx.out.integer(count(found));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Renaming, copying, moving
// ---------------------------------------------------------------------------------------

fn rename(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    match rename_generic(ctx, args[1], args[2], false)? {
        Some(_) => ctx.out.ok(),
        None => ctx.out.integer(0),
    }
    Ok(())
}

fn renamenx(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let renamed = rename_generic(ctx, args[1], args[2], true)?;
    ctx.out.integer(i64::from(renamed.is_some()));
    Ok(())
}

/// Moves `src`'s value and deadline to `dst`. Returns `None` when NX refused, else the
/// value `dst` held before (to be dropped outside the lock). Renaming a key to itself
/// succeeds for RENAME and is refused for RENAMENX, as in Redis.
fn rename_generic(ctx: &Ctx<'_>, src: &[u8], dst: &[u8], nx: bool) -> Result<Option<Option<Value>>, CommandError> {
    let mut locked = ctx.lock_keys([src, dst]);
    let deadline = locked.expiry(src).ok_or(CommandError::NoSuchKey)?;
    if src == dst {
        return Ok((!nx).then_some(None));
    }
    if nx && locked.exists(dst) {
        return Ok(None);
    }
    let value = locked.remove(src).ok_or(CommandError::NoSuchKey)?;
    // The destination is deleted, then created: a "new" event for it, as in Redis.
    let old = locked.remove(dst);
    locked.set(dst, value);
    if deadline.is_some() {
        locked.set_expiry(dst, deadline);
    }
    ctx.notify(Class::Generic, "rename_from", src);
    ctx.notify(Class::Generic, "rename_to", dst);
    Ok(Some(old))
}

/// What the options of COPY asked for.
struct CopyOptions {
    db: usize,
    replace: bool,
}

fn parse_copy_options(ctx: &Ctx<'_>, opts: &[&[u8]]) -> Result<CopyOptions, CommandError> {
    let mut parsed = CopyOptions { db: ctx.session.db, replace: false };
    let mut i = 0;
    while i < opts.len() {
        if args::is(opts[i], "replace") {
            parsed.replace = true;
            i += 1;
        } else if args::is(opts[i], "db") && i + 1 < opts.len() {
            if ctx.server.router.get().is_some() {
                return Err(CommandError::err("Copying to another database is not allowed in cluster mode"));
            }
            parsed.db = db_index(ctx, opts[i + 1])?;
            i += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    Ok(parsed)
}

fn copy(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (src, dst) = (&args[1], &args[2]);
    let opts = parse_copy_options(ctx, &args[3..])?;
    if opts.db == ctx.session.db && src == dst {
        return Err(CommandError::SameObject);
    }
    let (copied, old) = {
        let mut locked = ctx.lock_keys([src, dst]);
        match locked.read(src).map(|e| e.value().to_owned()) {
            None => {
                locked.unchanged();
                (false, None)
            }
            Some(value) => {
                let deadline = locked.expiry(src).flatten();
                if locked.exists_in(opts.db, dst) && !opts.replace {
                    locked.unchanged();
                    (false, None)
                } else {
                    let old = locked.remove_in(opts.db, dst);
                    locked.set_in(opts.db, dst, value);
                    if deadline.is_some() {
                        locked.set_expiry_in(opts.db, dst, deadline);
                    }
                    ctx.notify_in(opts.db, Class::Generic, "copy_to", dst);
                    (true, old)
                }
            }
        }
    };
    ctx.out.integer(i64::from(copied));
    drop(old);
    Ok(())
}

fn move_(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if ctx.server.router.get().is_some() {
        return Err(CommandError::err("MOVE is not allowed in cluster mode"));
    }
    let key = &args[1];
    let target = db_index(ctx, args[2])?;
    let source = ctx.session.db;
    if target == source {
        return Err(CommandError::SameObject);
    }
    let moved = {
        let mut locked = ctx.lock(key);
        match locked.expiry_in(source, key) {
            None => false,
            Some(_) if locked.exists_in(target, key) => false,
            Some(deadline) => match locked.remove_in(source, key) {
                None => false,
                Some(value) => {
                    locked.set_in(target, key, value);
                    if deadline.is_some() {
                        locked.set_expiry_in(target, key, deadline);
                    }
                    ctx.notify_in(source, Class::Generic, "move_from", key);
                    ctx.notify_in(target, Class::Generic, "move_to", key);
                    true
                }
            },
        }
    };
    ctx.out.integer(i64::from(moved));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Enumerating keys
// ---------------------------------------------------------------------------------------

fn keys(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let filter = ScanFilter { pattern: Some(args[1]), kind: None };
    let found = ctx.server.keyspace.keys(ctx.session.db, &filter, ctx.tx);
    ctx.out.bulks(&mut found.iter().map(|k| &k[..]));
    Ok(())
}

fn scan(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let cursor = args::cursor(args[1])?;
    let args::ScanOptions { pattern, count: step, type_name } = args::scan_options(&args[2..], true)?;
    // An unknown type name (every type this server does not store yet included) matches
    // no key, and the cursor still advances, as in Redis 7.0.
    let kind = type_name.map(ValueKind::parse);
    let filter = ScanFilter { pattern, kind: kind.flatten() };
    let (next, mut found) = ctx.server.keyspace.scan(ctx.session.db, cursor, step, &filter, ctx.tx);
    if matches!(kind, Some(None)) {
        found.clear();
    }
    ctx.out.array(2);
    ctx.out.bulk(itoa::Buffer::new().format(next).as_bytes());
    ctx.out.bulks(&mut found.iter().map(|k| &k[..]));
    Ok(())
}

fn randomkey(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let key = ctx.server.keyspace.random_key(ctx.session.db, ctx.tx);
    ctx.out.bulk_or_null(key.as_deref());
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Whole databases
// ---------------------------------------------------------------------------------------

fn dbsize(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let size = ctx.server.keyspace.db_size(ctx.session.db, ctx.tx);
    ctx.out.integer(count(size));
    Ok(())
}

/// FLUSHDB/FLUSHALL's `[ASYNC | SYNC]`: whether to free in the background. Without an
/// option, lazyfree-lazy-user-flush decides.
fn flush_is_lazy(ctx: &Ctx<'_>, args: &[&[u8]]) -> Result<bool, CommandError> {
    match args.get(1..).unwrap_or(&[]) {
        [] => Ok(ctx.server.config.limits().lazy_user_flush.load(Ordering::Relaxed) != 0),
        [opt] if args::is(opt, "async") => Ok(true),
        [opt] if args::is(opt, "sync") => Ok(false),
        _ => Err(CommandError::Syntax),
    }
}

fn flushdb(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let lazy = flush_is_lazy(ctx, args)?;
    ctx.server.keyspace.flush(Some(ctx.session.db), lazy, ctx.tx);
    ctx.server.keyspace.notifier().flushed();
    ctx.out.ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let lazy = flush_is_lazy(ctx, args)?;
    ctx.server.keyspace.flush(None, lazy, ctx.tx);
    ctx.server.keyspace.notifier().flushed();
    crate::persist::after_flushall(ctx.server, ctx.tx.is_some());
    ctx.out.ok();
    Ok(())
}

fn swapdb(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if ctx.server.router.get().is_some() {
        return Err(CommandError::err("SWAPDB is not allowed in cluster mode"));
    }
    let parse = |arg: &[u8], which: &'static str| {
        args::int(arg).ok().and_then(|n| i32::try_from(n).ok()).ok_or(CommandError::InvalidDbIndex(which))
    };
    let (a, b) = (parse(args[1], "first")?, parse(args[2], "second")?);
    let databases = ctx.server.keyspace.databases();
    let in_range = |n: i32| usize::try_from(n).ok().filter(|&db| db < databases);
    let (Some(a), Some(b)) = (in_range(a), in_range(b)) else {
        return Err(CommandError::DbOutOfRange);
    };
    if a != b {
        ctx.server.keyspace.swap_dbs(a, b, ctx.tx);
    }
    ctx.out.ok();
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Expiry
// ---------------------------------------------------------------------------------------

/// The `NX | XX | GT | LT` options of the EXPIRE family.
#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(opts: &[&[u8]]) -> Result<ExpireFlags, CommandError> {
    let mut f = ExpireFlags::default();
    for opt in opts {
        if args::is(opt, "nx") {
            f.nx = true;
        } else if args::is(opt, "xx") {
            f.xx = true;
        } else if args::is(opt, "gt") {
            f.gt = true;
        } else if args::is(opt, "lt") {
            f.lt = true;
        } else {
            return Err(CommandError::UnsupportedOption(String::from_utf8_lossy(opt).into_owned()));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(CommandError::ExpireNxConflict);
    }
    if f.gt && f.lt {
        return Err(CommandError::ExpireGtLtConflict);
    }
    Ok(f)
}

fn expire(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    expire_generic(ctx, args, true, 1000, "expire")
}

fn pexpire(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    expire_generic(ctx, args, true, 1, "pexpire")
}

fn expireat(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    expire_generic(ctx, args, false, 1000, "expireat")
}

fn pexpireat(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    expire_generic(ctx, args, false, 1, "pexpireat")
}

/// The EXPIRE family: `relative` adds the command's time to the argument, `unit` converts it
/// to milliseconds. Options are checked before the number, as Redis does. Negative values
/// are allowed (they delete the key); only arithmetic overflow is an error.
fn expire_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], relative: bool, unit: i64, name: &'static str) -> CommandResult {
    let key = &args[1];
    let flags = parse_expire_flags(&args[3..])?;
    let scaled = args::int(args[2])?.checked_mul(unit).ok_or(CommandError::InvalidExpire(name))?;
    let set = {
        let mut locked = ctx.lock(key);
        let base = if relative { locked.now() } else { 0 };
        let when = scaled.checked_add(base).ok_or(CommandError::InvalidExpire(name))?;
        match locked.expiry(key) {
            None => false,
            Some(current) => {
                let refused = (flags.nx && current.is_some())
                    || (flags.xx && current.is_none())
                    // No deadline counts as an infinite one: GT never beats it, LT always does.
                    || (flags.gt && current.is_none_or(|at| when <= at))
                    || (flags.lt && current.is_some_and(|at| when >= at));
                // A deadline already past deletes the key (set_expiry does that) and
                // still counts as set.
                let set = !refused && locked.set_expiry(key, Some(when));
                if set {
                    ctx.notify(Class::Generic, if when <= locked.now() { "del" } else { "expire" }, key);
                }
                set
            }
        }
    };
    ctx.out.integer(i64::from(set));
    Ok(())
}

/// What the TTL family reports.
#[derive(Clone, Copy)]
enum TtlForm {
    /// Remaining time (TTL, PTTL).
    Remaining,
    /// Absolute Unix time (EXPIRETIME, PEXPIRETIME).
    Absolute,
}

fn ttl_generic(ctx: &mut Ctx<'_>, key: &[u8], form: TtlForm, millis: bool) -> CommandResult {
    let (now, expiry) = {
        let mut locked = ctx.lock(key);
        let expiry = locked.expiry(key);
        if expiry.is_none() {
            ctx.notify(Class::KeyMiss, "keymiss", key);
        }
        (locked.now(), expiry)
    };
    let reply = match expiry {
        None => -2,
        Some(None) => -1,
        Some(Some(at)) => match (form, millis) {
            (TtlForm::Absolute, true) => at,
            (TtlForm::Remaining, true) => at.saturating_sub(now).max(0),
            // Seconds are rounded to the nearest second, EXPIRETIME's too, as Redis does.
            (TtlForm::Absolute, false) => at.saturating_add(500) / 1000,
            (TtlForm::Remaining, false) => at.saturating_sub(now).max(0).saturating_add(500) / 1000,
        },
    };
    ctx.out.integer(reply);
    Ok(())
}

fn ttl(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    ttl_generic(ctx, args[1], TtlForm::Remaining, false)
}

fn pttl(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    ttl_generic(ctx, args[1], TtlForm::Remaining, true)
}

fn expiretime(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    ttl_generic(ctx, args[1], TtlForm::Absolute, false)
}

fn pexpiretime(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    ttl_generic(ctx, args[1], TtlForm::Absolute, true)
}

fn persist(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = &args[1];
    let cleared = {
        let mut locked = ctx.lock(key);
        let cleared = matches!(locked.expiry(key), Some(Some(_))) && locked.set_expiry(key, None);
        if cleared {
            ctx.notify(Class::Generic, "persist", key);
        }
        cleared
    };
    ctx.out.integer(i64::from(cleared));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// OBJECT
// ---------------------------------------------------------------------------------------

/// What OBJECT reports about a key, read with `peek` so looking does not count as access.
struct ObjectInfo {
    encoding: &'static str,
    refcount: i64,
    idle_secs: u64,
    /// The LFU counter, decayed to now (meaningful under an LFU maxmemory-policy only: the
    /// access field holds the LRU time otherwise).
    freq: u8,
}

/// Redis shares the integer objects 0..10000, reported with this refcount.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
const SHARED_INTEGERS: i64 = 10_000;

fn object_info(ctx: &Ctx<'_>, key: &[u8]) -> Option<ObjectInfo> {
    let mut locked = ctx.lock(key);
    let now = locked.now();
    let entry = locked.peek(key)?;
    let refcount = match entry.value() {
        ValueRef::Int(n) if (0..SHARED_INTEGERS).contains(&n) => SHARED_REFCOUNT,
        _ => 1,
    };
    let freq = ctx.server.keyspace.lfu_frequency(entry, now);
    Some(ObjectInfo { encoding: entry.encoding(), refcount, idle_secs: entry.idle_secs(now), freq })
}

fn lfu_policy(ctx: &Ctx<'_>) -> bool {
    ctx.server.keyspace.eviction_policy().lfu()
}

fn object_encoding(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    match object_info(ctx, args[2]) {
        Some(info) => ctx.out.bulk(info.encoding.as_bytes()),
        None => ctx.out.null(),
    }
    Ok(())
}

fn object_refcount(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    match object_info(ctx, args[2]) {
        Some(info) => ctx.out.integer(info.refcount),
        None => ctx.out.null(),
    }
    Ok(())
}

fn object_idletime(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let Some(info) = object_info(ctx, args[2]) else {
        ctx.out.null();
        return Ok(());
    };
    if lfu_policy(ctx) {
        return Err(CommandError::LfuSelected);
    }
    ctx.out.integer(i64::try_from(info.idle_secs).unwrap_or(i64::MAX));
    Ok(())
}

/// The key's logarithmic access counter, decayed by `lfu-decay-time` (engine/evict.rs).
fn object_freq(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let Some(info) = object_info(ctx, args[2]) else {
        ctx.out.null();
        return Ok(());
    };
    if !lfu_policy(ctx) {
        return Err(CommandError::LfuNotSelected);
    }
    ctx.out.integer(i64::from(info.freq));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b<'a>(items: &[&'a str]) -> Vec<&'a [u8]> {
        items.iter().map(|s| s.as_bytes()).collect()
    }

    #[test]
    fn expire_flags_and_their_conflicts() {
        let f = parse_expire_flags(&b(&["xx", "GT"])).unwrap();
        assert!(f.xx && f.gt && !f.nx && !f.lt);
        assert!(parse_expire_flags(&[]).is_ok());
        assert_eq!(parse_expire_flags(&b(&["nx", "lt"])).err(), Some(CommandError::ExpireNxConflict));
        assert_eq!(parse_expire_flags(&b(&["gt", "lt"])).err(), Some(CommandError::ExpireGtLtConflict));
        assert_eq!(
            parse_expire_flags(&b(&["Bad", "nx", "xx"])).err(),
            Some(CommandError::UnsupportedOption("Bad".into()))
        );
    }
}
