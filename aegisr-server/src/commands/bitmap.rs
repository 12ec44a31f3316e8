//! The bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP. Bitmaps are ordinary string
//! values (GET, APPEND and friends see the same bytes); the bit operations are in
//! `types::bitmap`.

use std::sync::atomic::Ordering;

use super::table::{CommandSpec, Flags, Group, KeyRange};
use super::{Class, Ctx, args, errors::CommandError, errors::CommandResult};
use crate::types::bitmap::{self as data, BitOp, FieldType, Overflow};
use crate::types::{Value, ValueRef};

const READ: Flags = Flags::READONLY;
const READ_FAST: Flags = Flags::READONLY.or(Flags::FAST);
const WRITE: Flags = Flags::WRITE.or(Flags::DENYOOM);

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
        group: Group::Bitmap,
        since,
        summary,
        syntax,
        handler: Some(handler),
        ..CommandSpec::BASE
    }
}

pub const COMMANDS: &[CommandSpec] = &[
    spec(
        "setbit",
        4,
        WRITE,
        "2.2.0",
        "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.",
        "key offset value",
        setbit,
    ),
    spec("getbit", 3, READ_FAST, "2.2.0", "Returns a bit value by offset.", "key offset", getbit),
    spec(
        "bitcount",
        -2,
        READ,
        "2.6.0",
        "Counts the number of set bits (population counting) in a string.",
        "key [start end [BYTE | BIT]]",
        bitcount,
    ),
    spec(
        "bitpos",
        -3,
        READ,
        "2.8.7",
        "Finds the first set (1) or clear (0) bit in a string.",
        "key bit [start [end [BYTE | BIT]]]",
        bitpos,
    ),
    CommandSpec {
        keys: KeyRange { first: 2, last: -1, step: 1 },
        ..spec(
            "bitop",
            -4,
            WRITE,
            "2.6.0",
            "Performs bitwise operations on multiple strings, and stores the result.",
            "AND | OR | XOR | NOT destkey key [key ...]",
            bitop,
        )
    },
    CommandSpec {
        name: "bitfield",
        arity: -2,
        flags: WRITE,
        keys: KeyRange::FIRST,
        group: Group::Bitmap,
        since: "3.2.0",
        summary: "Performs arbitrary bitfield integer operations on strings.",
        syntax: "key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> ...]]",
        handler: Some(bitfield),
        ..CommandSpec::BASE
    },
    spec(
        "bitfield_ro",
        -2,
        READ_FAST,
        "6.0.0",
        "Performs arbitrary read-only bitfield integer operations on strings.",
        "key [GET encoding offset [GET encoding offset ...]]",
        bitfield_ro,
    ),
];

const BIT_OFFSET_ERR: &str = "bit offset is not an integer or out of range";

/// A bit offset as Redis's `getBitOffsetFromArgument` reads it: a non-negative integer whose
/// byte index stays below `proto-max-bulk-len` (so SETBIT never allocates more than that).
fn bit_offset(ctx: &Ctx<'_>, arg: &[u8]) -> Result<u64, CommandError> {
    field_offset(ctx, arg, None)
}

/// A bit offset, or for BITFIELD (`field` given) also `#N`: the N-th field of that width.
fn field_offset(ctx: &Ctx<'_>, arg: &[u8], field: Option<FieldType>) -> Result<u64, CommandError> {
    let max_bytes = ctx.server.config.limits().proto_max_bulk_len.load(Ordering::Relaxed);
    let offset = match (arg, field) {
        ([b'#', n @ ..], Some(ty)) if !n.is_empty() => {
            crate::types::string::parse_i64(n).and_then(|n| n.checked_mul(i64::from(ty.bits)))
        }
        _ => crate::types::string::parse_i64(arg),
    };
    offset
        .and_then(|n| u64::try_from(n).ok())
        .filter(|n| (n >> 3) < max_bytes)
        .ok_or_else(|| CommandError::err(BIT_OFFSET_ERR))
}

/// The bytes of a string value, or WRONGTYPE.
fn string_of(value: ValueRef<'_>) -> Result<crate::types::string::StrBytes<'_>, CommandError> {
    value.string_bytes().ok_or(CommandError::WrongType)
}

fn setbit(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = args[1];
    let offset = bit_offset(ctx, args[2])?;
    let on = match args[3] {
        b"0" => false,
        b"1" => true,
        _ => return Err(CommandError::err("bit is not an integer or out of range")),
    };
    let mut locked = ctx.lock(key);
    let (old, changed) = match super::get_string(&mut locked, key) {
        // In place: the key keeps its expiry.
        Some(entry) => {
            string_of(entry.value())?;
            entry.update(|v| {
                let mut bytes = match std::mem::replace(v, Value::Str(Vec::new())) {
                    Value::Str(s) => s,
                    other => other.string_bytes().map(|b| b.to_vec()).unwrap_or_default(),
                };
                let len = bytes.len();
                let old = data::set_bit(&mut bytes, offset, on);
                let grew = bytes.len() != len;
                *v = Value::Str(bytes);
                (old, grew || old != on)
            })
        }
        None => {
            let mut bytes = Vec::new();
            data::set_bit(&mut bytes, offset, on);
            super::set_raw_string(&mut locked, key, bytes);
            (false, true)
        }
    };
    // Only a real change is an event: a new key, a longer string, or a flipped bit.
    if changed {
        ctx.notify(Class::String, "setbit", key);
    } else {
        locked.unchanged();
    }
    ctx.out.integer(i64::from(old));
    Ok(())
}

fn getbit(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let offset = bit_offset(ctx, args[2])?;
    let mut locked = ctx.lock(args[1]);
    let bit = match locked.read(args[1]) {
        Some(entry) => data::get_bit(&string_of(entry.value())?, offset),
        None => false,
    };
    ctx.out.integer(i64::from(bit));
    Ok(())
}

/// BYTE or BIT: whether a range counts bits.
fn unit(arg: &[u8]) -> Result<bool, CommandError> {
    if args::is(arg, "bit") {
        Ok(true)
    } else if args::is(arg, "byte") {
        Ok(false)
    } else {
        Err(CommandError::Syntax)
    }
}

fn bitcount(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    // Redis 7.0 looks the key up first: a missing key counts 0 whatever the range says.
    let Some(entry) = locked.read(args[1]) else {
        drop(locked);
        ctx.out.integer(0);
        return Ok(());
    };
    let bytes = string_of(entry.value())?;
    let range = match args.len() {
        2 => data::resolve_range(0, -1, bytes.len() as i64 * 8),
        4 | 5 => {
            let (start, end) = (args::int(args[2])?, args::int(args[3])?);
            let bits = args.get(4).map(|a| unit(a)).transpose()?.unwrap_or(false);
            if start < 0 && end < 0 && start > end {
                // Redis answers 0 here before clamping (`BITCOUNT k -1 -100`), though the
                // clamped range would be the first unit.
                None
            } else if bits {
                data::resolve_range(start, end, bytes.len() as i64 * 8)
            } else {
                data::resolve_range(start, end, bytes.len() as i64).map(|(s, e)| (s * 8, e * 8 + 7))
            }
        }
        _ => return Err(CommandError::Syntax),
    };
    let count = range.map_or(0, |(first, last)| data::count_bits(&bytes, first, last));
    drop(locked);
    ctx.out.integer(i64::try_from(count).unwrap_or(i64::MAX));
    Ok(())
}

fn bitpos(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let bit = match args::int(args[2])? {
        0 => false,
        1 => true,
        _ => return Err(CommandError::err("The bit argument must be 1 or 0.")),
    };
    let mut locked = ctx.lock(args[1]);
    // A missing key is an endless run of 0 bits (Redis 7.0 answers before reading the range).
    let Some(entry) = locked.read(args[1]) else {
        drop(locked);
        ctx.out.integer(if bit { -1 } else { 0 });
        return Ok(());
    };
    let bytes = string_of(entry.value())?;
    let len = bytes.len() as i64;
    let (range, end_given) = match args.len() {
        3 => (data::resolve_range(0, -1, len * 8), false),
        4..=6 => {
            let start = args::int(args[3])?;
            let bits = args.get(5).map(|a| unit(a)).transpose()?.unwrap_or(false);
            let end = args.get(4).map(|a| args::int(a)).transpose()?;
            let range = if bits {
                data::resolve_range(start, end.unwrap_or(-1), len * 8)
            } else {
                data::resolve_range(start, end.unwrap_or(-1), len).map(|(s, e)| (s * 8, e * 8 + 7))
            };
            (range, end.is_some())
        }
        _ => return Err(CommandError::Syntax),
    };
    let pos = match range {
        None => -1,
        Some((first, last)) => match data::find_bit(&bytes, bit, first, last) {
            Some(pos) => i64::try_from(pos).unwrap_or(i64::MAX),
            None if bit || end_given => -1,
            // Looking for a 0 with no end given: the string continues with zero bits, so
            // the answer is the first bit after the range (Redis's rule for all-ones).
            None => i64::try_from(last + 1).unwrap_or(i64::MAX),
        },
    };
    drop(locked);
    ctx.out.integer(pos);
    Ok(())
}

fn bitop(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let op = match args::lower(args[1]).as_str() {
        "and" => BitOp::And,
        "or" => BitOp::Or,
        "xor" => BitOp::Xor,
        "not" => BitOp::Not,
        _ => return Err(CommandError::Syntax),
    };
    let (dest, sources) = (&args[2], &args[3..]);
    if op == BitOp::Not && sources.len() != 1 {
        return Err(CommandError::err("BITOP NOT must be called with a single source key."));
    }
    let mut locked = ctx.lock_keys(&args[2..]);
    let mut values: Vec<Vec<u8>> = Vec::with_capacity(sources.len());
    for key in sources {
        match locked.read(key) {
            Some(entry) => values.push(string_of(entry.value())?.to_vec()),
            None => values.push(Vec::new()),
        }
    }
    let refs: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
    let result = data::bit_op(op, &refs);
    let len = result.len();
    // Redis reports BITOP's result as a plain "set".
    if result.is_empty() {
        if locked.remove(dest).is_some() {
            ctx.notify(Class::Generic, "del", dest);
        }
    } else {
        super::set_raw_string(&mut locked, dest, result);
        ctx.notify(Class::String, "set", dest);
    }
    drop(locked);
    ctx.out.integer(i64::try_from(len).unwrap_or(i64::MAX));
    Ok(())
}

/// One BITFIELD operation, parsed.
#[derive(Debug, Clone, Copy)]
enum FieldOp {
    Get { ty: FieldType, offset: u64 },
    Set { ty: FieldType, offset: u64, value: i64, overflow: Overflow },
    Incr { ty: FieldType, offset: u64, by: i64, overflow: Overflow },
}

/// Parses every operation of BITFIELD before anything runs, with Redis's errors.
fn field_ops(ctx: &Ctx<'_>, args: &[&[u8]]) -> Result<Vec<FieldOp>, CommandError> {
    const TYPE_ERR: &str =
        "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < args.len() {
        let remaining = args.len() - j - 1;
        let sub = args[j];
        let takes = if args::is(sub, "get") && remaining >= 2 {
            2
        } else if (args::is(sub, "set") || args::is(sub, "incrby")) && remaining >= 3 {
            3
        } else if args::is(sub, "overflow") && remaining >= 1 {
            overflow = match args::lower(args[j + 1]).as_str() {
                "wrap" => Overflow::Wrap,
                "sat" => Overflow::Sat,
                "fail" => Overflow::Fail,
                _ => return Err(CommandError::err("Invalid OVERFLOW type specified")),
            };
            j += 2;
            continue;
        } else {
            return Err(CommandError::Syntax);
        };
        let ty = FieldType::parse(args[j + 1]).ok_or_else(|| CommandError::err(TYPE_ERR))?;
        let offset = field_offset(ctx, args[j + 2], Some(ty))?;
        ops.push(if takes == 2 {
            FieldOp::Get { ty, offset }
        } else if args::is(sub, "set") {
            FieldOp::Set { ty, offset, value: args::int(args[j + 3])?, overflow }
        } else {
            FieldOp::Incr { ty, offset, by: args::int(args[j + 3])?, overflow }
        });
        j += 1 + takes;
    }
    Ok(ops)
}

/// Runs the operations on `bytes` (already grown to hold every written field) and returns
/// one reply per operation (`None`: an overflow refused by OVERFLOW FAIL), and whether the
/// string changed: it `grew`, or a write changed a field (Redis's test for its event).
fn run_field_ops(bytes: &mut Vec<u8>, ops: &[FieldOp], grew: bool) -> (Vec<Option<i64>>, bool) {
    let mut changed = false;
    let results = ops
        .iter()
        .map(|op| match *op {
            FieldOp::Get { ty, offset } => Some(data::get_field(bytes, offset, ty)),
            FieldOp::Set { ty, offset, value, overflow } => {
                let old = data::get_field(bytes, offset, ty);
                let new = ty.apply(value, 0, overflow)?;
                data::set_field(bytes, offset, ty, new);
                changed |= grew || new != old;
                Some(old)
            }
            FieldOp::Incr { ty, offset, by, overflow } => {
                let old = data::get_field(bytes, offset, ty);
                let new = ty.apply(old, by, overflow)?;
                data::set_field(bytes, offset, ty, new);
                changed |= grew || new != old;
                Some(new)
            }
        })
        .collect();
    (results, changed)
}

fn reply_fields(ctx: &mut Ctx<'_>, results: &[Option<i64>]) {
    ctx.out.array(results.len());
    for r in results {
        match r {
            Some(n) => ctx.out.integer(*n),
            None => ctx.out.null(),
        }
    }
}

fn bitfield(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let ops = field_ops(ctx, args)?;
    // The last bit any SET or INCRBY touches: the string grows to hold it (even when the
    // write itself is then refused by OVERFLOW FAIL, as in Redis).
    let highest = ops
        .iter()
        .filter_map(|op| match *op {
            FieldOp::Get { .. } => None,
            FieldOp::Set { ty, offset, .. } | FieldOp::Incr { ty, offset, .. } => {
                Some(offset.saturating_add(u64::from(ty.bits) - 1))
            }
        })
        .max();
    let Some(highest) = highest else {
        return read_fields(ctx, args[1], &ops);
    };
    let key = args[1];
    let mut locked = ctx.lock(key);
    // Returns whether the string grew.
    let grow = |bytes: &mut Vec<u8>| {
        let len = usize::try_from(highest >> 3).unwrap_or(usize::MAX).saturating_add(1);
        let grows = bytes.len() < len;
        if grows {
            bytes.resize(len, 0);
        }
        grows
    };
    let (results, changed) = match super::get_string(&mut locked, key) {
        Some(entry) => {
            string_of(entry.value())?;
            entry.update(|v| {
                let mut bytes = match std::mem::replace(v, Value::Str(Vec::new())) {
                    Value::Str(s) => s,
                    other => other.string_bytes().map(|b| b.to_vec()).unwrap_or_default(),
                };
                let grew = grow(&mut bytes);
                let results = run_field_ops(&mut bytes, &ops, grew);
                *v = Value::Str(bytes);
                results
            })
        }
        None => {
            let mut bytes = Vec::new();
            let grew = grow(&mut bytes);
            let results = run_field_ops(&mut bytes, &ops, grew);
            super::set_raw_string(&mut locked, key, bytes);
            results
        }
    };
    if changed {
        ctx.notify(Class::String, "setbit", key);
    } else {
        locked.unchanged();
    }
    drop(locked);
    reply_fields(ctx, &results);
    Ok(())
}

/// BITFIELD with only GETs: a plain read; a missing key reads as zeros.
fn read_fields(ctx: &mut Ctx<'_>, key: &[u8], ops: &[FieldOp]) -> CommandResult {
    let mut locked = ctx.lock(key);
    let results: Vec<Option<i64>> = match locked.read(key) {
        Some(entry) => {
            let bytes = string_of(entry.value())?;
            ops.iter()
                .map(|op| match *op {
                    FieldOp::Get { ty, offset } => Some(data::get_field(&bytes, offset, ty)),
                    _ => None,
                })
                .collect()
        }
        None => vec![Some(0); ops.len()],
    };
    drop(locked);
    reply_fields(ctx, &results);
    Ok(())
}

fn bitfield_ro(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let ops = field_ops(ctx, args)?;
    if ops.iter().any(|op| !matches!(op, FieldOp::Get { .. })) {
        return Err(CommandError::err("BITFIELD_RO only supports the GET subcommand"));
    }
    read_fields(ctx, args[1], &ops)
}
