//! The HyperLogLog commands: PFADD PFCOUNT PFMERGE PFSELFTEST. A HyperLogLog is an ordinary string
//! value in Redis's format (`types::hll`), so DUMP/GET/SET move it between servers.

use super::table::{CommandSpec, Flags, Group, KeyRange};
use super::{Class, Ctx, errors::CommandError, errors::CommandResult};
use crate::engine::Entry;
use crate::types::hll::{self as data, HllError};
use crate::types::{Value, ValueRef};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "pfadd",
        arity: -2,
        flags: Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST),
        keys: KeyRange::FIRST,
        group: Group::HyperLogLog,
        since: "2.8.9",
        summary: "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.",
        syntax: "key [element [element ...]]",
        handler: Some(pfadd),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pfcount",
        arity: -2,
        // May replicate: counting one key refreshes its cached cardinality (a write in
        // Redis's stream, though Aegisr keeps the cache out of the value).
        flags: Flags::READONLY.or(Flags::MAY_REPLICATE),
        keys: KeyRange::ALL,
        group: Group::HyperLogLog,
        since: "2.8.9",
        summary: "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).",
        syntax: "key [key ...]",
        handler: Some(pfcount),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pfmerge",
        arity: -2,
        flags: Flags::WRITE.or(Flags::DENYOOM),
        keys: KeyRange::ALL,
        group: Group::HyperLogLog,
        since: "2.8.9",
        summary: "Merges one or more HyperLogLog values into a single key.",
        syntax: "destkey [sourcekey [sourcekey ...]]",
        handler: Some(pfmerge),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pfdebug",
        arity: 3,
        flags: Flags::WRITE.or(Flags::DENYOOM).or(Flags::ADMIN),
        keys: KeyRange { first: 2, last: 2, step: 1 },
        group: Group::HyperLogLog,
        since: "2.8.9",
        summary: "Internal commands for debugging HyperLogLog values.",
        syntax: "subcommand key",
        handler: Some(pfdebug),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "pfselftest",
        arity: 1,
        flags: Flags::ADMIN,
        keys: KeyRange::NONE,
        group: Group::HyperLogLog,
        since: "2.8.9",
        summary: "An internal command for testing HyperLogLog values.",
        syntax: "",
        handler: Some(pfselftest),
        ..CommandSpec::BASE
    },
];

fn hll_error(e: HllError) -> CommandError {
    match e {
        HllError::Invalid => CommandError::Message("WRONGTYPE Key is not a valid HyperLogLog string value.".into()),
        HllError::Corrupted => CommandError::Message("INVALIDOBJ Corrupted HLL object detected".into()),
    }
}

/// The bytes of a HyperLogLog value: WRONGTYPE for another type, Redis's HLL message for a
/// string that is not one.
fn hll_bytes(value: ValueRef<'_>) -> Result<crate::types::string::StrBytes<'_>, CommandError> {
    let bytes = value.string_bytes().ok_or(CommandError::WrongType)?;
    data::validate(&bytes).map_err(hll_error)?;
    Ok(bytes)
}

/// Applies `change` to the HyperLogLog bytes of `entry` in place (checked valid first).
fn update_hll<R>(
    entry: &mut Entry,
    change: impl FnOnce(&mut Vec<u8>) -> Result<R, HllError>,
) -> Result<R, CommandError> {
    hll_bytes(entry.value())?;
    entry.update(|v| {
        let mut bytes = match std::mem::replace(v, Value::Str(Vec::new())) {
            Value::Str(s) => s,
            other => other.string_bytes().map(|b| b.to_vec()).unwrap_or_default(),
        };
        let result = change(&mut bytes);
        *v = Value::Str(bytes);
        result.map_err(hll_error)
    })
}

/// `hll-sparse-max-bytes`: the largest sparse value before it becomes dense.
fn sparse_max_bytes(ctx: &Ctx<'_>) -> usize {
    usize::try_from(ctx.server.config.i64("hll-sparse-max-bytes")).unwrap_or(0)
}

/// PFDEBUG <GETREG | DECODE | ENCODING | TODENSE> key: Redis's debugging subcommands.
fn pfdebug(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let sub = args[1].to_ascii_lowercase();
    let key = args[2];
    let mut locked = ctx.lock(key);
    let Some(entry) = super::get_string(&mut locked, key) else {
        return Err(CommandError::err("The specified key does not exist"));
    };
    // As Redis, the key must hold an HLL whatever the subcommand, even an unknown one.
    let valid = hll_bytes(entry.value()).map(|_| ());
    // Only a conversion to dense changes the value: Redis propagates PFDEBUG then alone.
    let mut converted = false;
    let result = valid.and_then(|()| match &sub[..] {
        b"getreg" => {
            // Redis converts a sparse value to dense first (and keeps it so).
            converted = update_hll(entry, data::make_dense)?;
            let regs = data::registers(&hll_bytes(entry.value())?).map_err(hll_error)?;
            Ok(Debugged::Registers(regs))
        }
        b"decode" => {
            let bytes = hll_bytes(entry.value())?;
            if !data::is_sparse(&bytes) {
                return Err(CommandError::err("HLL encoding is not sparse"));
            }
            Ok(Debugged::Decoded(data::decode_sparse(&bytes).map_err(hll_error)?))
        }
        b"encoding" => {
            let sparse = data::is_sparse(&hll_bytes(entry.value())?);
            Ok(Debugged::Text((if sparse { "sparse" } else { "dense" }).to_owned()))
        }
        b"todense" => {
            converted = update_hll(entry, data::make_dense)?;
            Ok(Debugged::Converted(converted))
        }
        _ => Err(CommandError::err(format!("Unknown PFDEBUG subcommand '{}'", String::from_utf8_lossy(args[1])))),
    });
    if !converted {
        locked.unchanged();
    }
    drop(locked);
    match result? {
        Debugged::Registers(regs) => {
            ctx.out.array(regs.len());
            for r in regs {
                ctx.out.integer(i64::from(r));
            }
        }
        Debugged::Text(text) => ctx.out.simple(&text),
        Debugged::Decoded(text) => ctx.out.bulk(text.as_bytes()),
        Debugged::Converted(converted) => ctx.out.integer(i64::from(converted)),
    }
    Ok(())
}

/// What a PFDEBUG subcommand answers.
enum Debugged {
    Registers(Vec<u8>),
    /// A status reply (ENCODING).
    Text(String),
    /// A bulk reply (DECODE's register runs, as Redis sends them).
    Decoded(String),
    Converted(bool),
}

fn pfadd(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = args[1];
    let elements = &args[2..];
    let sparse_max = sparse_max_bytes(ctx);
    let mut locked = ctx.lock(key);
    let changed = match super::get_string(&mut locked, key) {
        // A string that is not a HyperLogLog is refused before anything changes.
        Some(entry) => {
            let added = update_hll(entry, |bytes| data::add(bytes, elements, sparse_max));
            locked.unless_refused(added)?
        }
        None => {
            let mut bytes = data::new_sparse();
            data::add(&mut bytes, elements, sparse_max).map_err(hll_error)?;
            // Redis marks the cached count stale whenever PFADD changed something, and
            // creating the key is a change even with no elements.
            data::invalidate_cache(&mut bytes);
            super::set_raw_string(&mut locked, key, bytes);
            // Creating the key counts as a change, even with no elements.
            true
        }
    };
    if changed {
        ctx.notify(Class::String, "pfadd", key);
    } else {
        locked.unchanged();
    }
    drop(locked);
    ctx.out.integer(i64::from(changed));
    Ok(())
}

fn pfcount(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let keys = &args[1..];
    let mut locked = ctx.lock_keys(keys);
    let count = if let [key] = keys {
        match locked.read(key).map(|entry| hll_bytes(entry.value()).map(|b| data::cached_count(&b))) {
            None => 0,
            Some(cached) => match cached? {
                Some(n) => n,
                // Counting refreshes the cached cardinality, as Redis does, through a write
                // lookup (the read counted the hit). The registers, all that a replay or a
                // replica needs, stay as they were, so the refresh is kept out of the journal
                // (PFCOUNT is no write here, see its flags), of the change count and of WATCH.
                None => {
                    let n = match super::get_string(&mut locked, key) {
                        Some(entry) => update_hll(entry, |bytes| {
                            let n = data::estimate(&data::registers(bytes)?);
                            data::set_cached_count(bytes, n);
                            Ok(n)
                        }),
                        None => Ok(0),
                    };
                    locked.unchanged();
                    n?
                }
            },
        }
    } else {
        // Several keys: count their union without changing any of them.
        let mut max = vec![0u8; data::REGISTERS];
        for key in keys {
            if let Some(entry) = locked.read(key) {
                data::merge_into(&mut max, &hll_bytes(entry.value())?).map_err(hll_error)?;
            }
        }
        data::estimate(&max)
    };
    drop(locked);
    ctx.out.integer(i64::try_from(count).unwrap_or(i64::MAX));
    Ok(())
}

fn pfmerge(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let dest = args[1];
    let sparse_max = sparse_max_bytes(ctx);
    let mut locked = ctx.lock_keys(&args[1..]);
    // The destination takes part in the union, as in Redis.
    let mut max = vec![0u8; data::REGISTERS];
    let mut any_dense = false;
    for key in &args[1..] {
        if let Some(entry) = locked.read(key) {
            let bytes = hll_bytes(entry.value())?;
            any_dense |= !data::is_sparse(&bytes);
            data::merge_into(&mut max, &bytes).map_err(hll_error)?;
        }
    }
    match locked.get(dest) {
        Some(entry) => update_hll(entry, |bytes| data::store_registers(bytes, &max, any_dense, sparse_max))?,
        None => {
            let mut bytes = data::new_sparse();
            data::store_registers(&mut bytes, &max, any_dense, sparse_max).map_err(hll_error)?;
            super::set_raw_string(&mut locked, dest, bytes);
        }
    }
    ctx.notify(Class::String, "pfadd", dest);
    drop(locked);
    ctx.out.ok();
    Ok(())
}

/// PFSELFTEST: checks this node's HyperLogLog code, as Redis's does: the same elements
/// added to a sparse and to a dense value give equal registers, and the estimate of up to
/// 100,000 distinct elements stays within five standard errors (1.04/sqrt(16384) each).
fn pfselftest(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let failed = |what: String| CommandError::Message(format!("TESTFAILED {what}"));
    let internal = |e: HllError| failed(format!("{e:?}"));
    let mut sparse = data::new_sparse();
    let mut dense = data::new_dense();
    let mut added = 0u64;
    for checkpoint in [10u64, 100, 1_000, 10_000, 100_000] {
        let batch: Vec<[u8; 8]> =
            (added..checkpoint).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes()).collect();
        data::add(&mut sparse, &batch, usize::MAX).map_err(internal)?;
        data::add(&mut dense, &batch, usize::MAX).map_err(internal)?;
        added = checkpoint;
        let registers = data::registers(&dense).map_err(internal)?;
        if data::registers(&sparse).map_err(internal)? != registers {
            return Err(failed(format!("sparse and dense registers differ after {added} elements")));
        }
        let estimate = data::estimate(&registers) as f64;
        let allowed = if added <= 10 { 1.0 } else { added as f64 * 5.0 * 1.04 / 128.0 };
        if (estimate - added as f64).abs() > allowed {
            return Err(failed(format!("too big error. card:{added} estimate:{estimate}")));
        }
    }
    ctx.out.ok();
    Ok(())
}
