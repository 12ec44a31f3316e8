//! The HyperLogLog commands: PFADD PFCOUNT PFMERGE. A HyperLogLog is an ordinary string
//! value in Redis's format (`types::hll`), so DUMP/GET/SET move it between servers.

use bytes::Bytes;

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
        // Redis adds may_replicate (counting one key refreshes its cached cardinality);
        // the table has no such flag.
        flags: Flags::READONLY,
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

fn pfadd(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CommandResult {
    let key = &args[1][..];
    let elements = &args[2..];
    let mut locked = ctx.lock(key);
    let changed = match locked.get(key) {
        Some(entry) => update_hll(entry, |bytes| data::add(bytes, elements))?,
        None => {
            let mut bytes = data::new_dense();
            data::add(&mut bytes, elements).map_err(hll_error)?;
            locked.set(key, Value::Str(bytes));
            // Creating the key counts as a change, even with no elements.
            true
        }
    };
    if changed {
        ctx.notify(Class::String, "pfadd", key);
    }
    drop(locked);
    ctx.out.integer(i64::from(changed));
    Ok(())
}

fn pfcount(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CommandResult {
    let keys = &args[1..];
    let mut locked = ctx.lock_keys(keys);
    let count = if let [key] = keys {
        match locked.read(key) {
            None => 0,
            Some(entry) => {
                let cached = data::cached_count(&hll_bytes(entry.value())?);
                match cached {
                    Some(n) => n,
                    None => update_hll(entry, |bytes| {
                        // Counting refreshes the cached cardinality, as Redis does.
                        let n = data::estimate(&data::registers(bytes)?);
                        data::set_cached_count(bytes, n);
                        Ok(n)
                    })?,
                }
            }
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

fn pfmerge(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CommandResult {
    let dest = &args[1][..];
    let mut locked = ctx.lock_keys(&args[1..]);
    // The destination takes part in the union, as in Redis.
    let mut max = vec![0u8; data::REGISTERS];
    for key in &args[1..] {
        if let Some(entry) = locked.read(key) {
            data::merge_into(&mut max, &hll_bytes(entry.value())?).map_err(hll_error)?;
        }
    }
    match locked.get(dest) {
        Some(entry) => update_hll(entry, |bytes| data::store_registers(bytes, &max))?,
        None => {
            let mut bytes = data::new_dense();
            data::store_registers(&mut bytes, &max).map_err(hll_error)?;
            locked.set(dest, Value::Str(bytes));
        }
    }
    ctx.notify(Class::String, "pfadd", dest);
    drop(locked);
    ctx.out.ok();
    Ok(())
}
