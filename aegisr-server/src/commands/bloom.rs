//! The Bloom filter commands, as the RedisBloom module names and answers them: BF.RESERVE
//! BF.ADD BF.MADD BF.INSERT BF.EXISTS BF.MEXISTS BF.INFO BF.CARD. Replies and error texts are
//! RedisBloom's (some of its errors carry no `ERR` code, and BF.INSERT reads its options by
//! their first letters, as RedisBloom does); in RESP3 the added/exists answers are booleans
//! and BF.INFO is a map. The filter itself is `types::bloom`.

use std::sync::atomic::Ordering;

use super::table::{CommandSpec, Flags, Group, Handler, KeyRange};
use super::{Ctx, errors::CommandError, errors::CommandResult, read_typed, update_typed};
use crate::reply::{Protocol, ReplySink};
use crate::types::bloom::BloomError;
use crate::types::string::{parse_f64, parse_i64};
use crate::types::{ScalableBloom, Value};

const WRITE: Flags = Flags::WRITE.or(Flags::DENYOOM);
const WRITE_FAST: Flags = Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST);
const READ: Flags = Flags::READONLY;
const READ_FAST: Flags = Flags::READONLY.or(Flags::FAST);

/// RedisBloom's defaults for a filter that BF.ADD, BF.MADD or BF.INSERT creates.
const DEFAULT_ERROR_RATE: f64 = 0.01;
const DEFAULT_CAPACITY: u64 = 100;
const DEFAULT_EXPANSION: u32 = 2;

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
        group: Group::Bloom,
        since,
        summary,
        syntax,
        handler: Some(handler),
        ..CommandSpec::BASE
    }
}

pub const COMMANDS: &[CommandSpec] = &[
    spec(
        "bf.reserve",
        -4,
        WRITE_FAST,
        "1.0.0",
        "Creates a new Bloom Filter",
        "key error_rate capacity [EXPANSION expansion] [NONSCALING]",
        reserve,
    ),
    spec("bf.add", 3, WRITE_FAST, "1.0.0", "Adds an item to a Bloom Filter", "key item", add),
    spec(
        "bf.madd",
        -3,
        WRITE,
        "1.0.0",
        "Adds one or more items to a Bloom Filter. A filter will be created if it does not exist",
        "key item [item ...]",
        madd,
    ),
    spec(
        "bf.insert",
        -4,
        WRITE,
        "1.0.0",
        "Adds one or more items to a Bloom Filter. A filter will be created if it does not exist",
        "key [CAPACITY capacity] [ERROR error] [EXPANSION expansion] [NOCREATE] [NONSCALING] ITEMS item [item ...]",
        insert,
    ),
    spec("bf.exists", 3, READ_FAST, "1.0.0", "Checks whether an item exists in a Bloom Filter", "key item", exists),
    spec(
        "bf.mexists",
        -3,
        READ,
        "1.0.0",
        "Checks whether one or more items exist in a Bloom Filter",
        "key item [item ...]",
        mexists,
    ),
    spec(
        "bf.info",
        -2,
        READ_FAST,
        "1.0.0",
        "Returns information about a Bloom Filter",
        "key [CAPACITY | SIZE | FILTERS | ITEMS | EXPANSION]",
        info,
    ),
    spec("bf.card", 2, READ_FAST, "2.4.4", "Returns the cardinality of a Bloom filter", "key", card),
];

/// RedisBloom's error texts (sent verbatim: the first word is the error code).
fn bloom_error(text: &str) -> CommandError {
    CommandError::Message(text.to_owned())
}

fn not_found() -> CommandError {
    bloom_error("ERR not found")
}

/// The error for a filter that could not be created, or could not grow, within the limit.
fn creation_error(e: BloomError) -> CommandError {
    match e {
        BloomError::Full => bloom_error("ERR non scaling filter is full"),
        BloomError::TooLarge => bloom_error("ERR Insufficient memory to create filter"),
    }
}

/// The error for one item that could not be added.
fn add_error(e: BloomError) -> CommandError {
    match e {
        BloomError::Full => bloom_error("ERR non scaling filter is full"),
        BloomError::TooLarge => bloom_error("ERR problem inserting into filter"),
    }
}

/// The most memory one filter may take: a client asking for a huge capacity or a tiny error
/// rate gets an error, not an allocation. proto-max-bulk-len (512 MB by default) is the
/// server's limit on one value.
fn max_filter_bytes(ctx: &Ctx<'_>) -> u64 {
    ctx.server.config.limits().proto_max_bulk_len.load(Ordering::Relaxed)
}

/// A yes/no answer: an integer in RESP2, a boolean in RESP3 (as RedisBloom replies).
fn yes_no(out: &mut dyn ReplySink, protocol: Protocol, value: bool) {
    match protocol {
        Protocol::Resp3 => out.boolean(value),
        Protocol::Resp2 => out.integer(i64::from(value)),
    }
}

/// How to create a filter that an adding command finds missing.
struct CreateOptions {
    /// `None`: reply "ERR not found" instead (BF.INSERT ... NOCREATE).
    create: Option<(u64, f64, Option<u32>)>,
}

const DEFAULT_CREATE: CreateOptions =
    CreateOptions { create: Some((DEFAULT_CAPACITY, DEFAULT_ERROR_RATE, Some(DEFAULT_EXPANSION))) };

/// Adds `items` in order, stopping after the first that fails (as RedisBloom does).
fn add_all(bf: &mut ScalableBloom, items: &[&[u8]], max_bytes: u64) -> Vec<Result<bool, BloomError>> {
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let result = bf.add(item, max_bytes);
        let failed = result.is_err();
        results.push(result);
        if failed {
            break;
        }
    }
    results
}

/// Adds `items` to the filter at `key`, creating it as `options` say when missing.
fn add_items(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    items: &[&[u8]],
    options: &CreateOptions,
) -> Result<Vec<Result<bool, BloomError>>, CommandError> {
    let max_bytes = max_filter_bytes(ctx);
    let mut locked = ctx.lock(key);
    // A key of another type is refused with WRONGTYPE: no change, so nothing is logged.
    match super::get_typed::<ScalableBloom>(&mut locked, key) {
        Some(entry) => update_typed(entry, |bf: &mut ScalableBloom| add_all(bf, items, max_bytes)),
        None => {
            let (capacity, error, expansion) = options.create.ok_or_else(not_found)?;
            let mut bf = ScalableBloom::new(capacity, error, expansion, max_bytes).map_err(creation_error)?;
            let results = add_all(&mut bf, items, max_bytes);
            locked.set(key, Value::Bloom(Box::new(bf)));
            Ok(results)
        }
    }
}

/// The reply of the multi-item adders: one answer per item tried, the last perhaps an error.
fn write_add_results(ctx: &mut Ctx<'_>, results: &[Result<bool, BloomError>]) {
    let protocol = ctx.session.protocol;
    ctx.out.array(results.len());
    for result in results {
        match result {
            Ok(added) => yes_no(ctx.out, protocol, *added),
            Err(e) => ctx.out.error(&add_error(*e).to_string()),
        }
    }
}

fn parse_error_rate(arg: &[u8]) -> Result<f64, CommandError> {
    let rate = parse_f64(arg).ok_or_else(|| bloom_error("ERR bad error rate"))?;
    // RedisBloom's text, trailing space included.
    if rate <= 0.0 || rate >= 1.0 {
        return Err(bloom_error("ERR (0 < error rate range < 1) "));
    }
    Ok(rate)
}

fn parse_capacity(arg: &[u8]) -> Result<u64, CommandError> {
    let capacity = parse_i64(arg).ok_or_else(|| bloom_error("ERR bad capacity"))?;
    u64::try_from(capacity).ok().filter(|&c| c > 0).ok_or_else(|| bloom_error("ERR (capacity should be larger than 0)"))
}

/// BF.RESERVE key error_rate capacity [EXPANSION expansion] [NONSCALING]
fn reserve(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args.len() > 7 {
        return Err(CommandError::WrongArity("bf.reserve".to_owned()));
    }
    let key = args[1];
    let error = parse_error_rate(args[2])?;
    let capacity = parse_capacity(args[3])?;
    // RedisBloom looks the options up by name wherever they are and ignores other words.
    let options = &args[4..];
    let nonscaling = options.iter().any(|a| a.eq_ignore_ascii_case(b"nonscaling"));
    let mut expansion = DEFAULT_EXPANSION;
    if let Some(at) = options.iter().position(|a| a.eq_ignore_ascii_case(b"expansion")) {
        let Some(value) = options.get(at + 1) else {
            return Err(bloom_error("ERR no expansion"));
        };
        if nonscaling {
            return Err(bloom_error("Nonscaling filters cannot expand"));
        }
        let n = parse_i64(value).ok_or_else(|| bloom_error("ERR bad expansion"))?;
        if n < 1 {
            return Err(bloom_error("ERR expansion should be greater or equal to 1"));
        }
        expansion = u32::try_from(n).map_err(|_| bloom_error("ERR bad expansion"))?;
    }
    let max_bytes = max_filter_bytes(ctx);
    let mut locked = ctx.lock(key);
    if let Some(entry) = locked.get(key) {
        let refusal = match entry.value() {
            crate::types::ValueRef::Bloom(_) => bloom_error("ERR item exists"),
            _ => CommandError::WrongType,
        };
        // Refused: the key is left as it was, and the command is not logged.
        locked.unchanged();
        return Err(refusal);
    }
    let bf =
        ScalableBloom::new(capacity, error, (!nonscaling).then_some(expansion), max_bytes).map_err(creation_error)?;
    locked.set(key, Value::Bloom(Box::new(bf)));
    drop(locked);
    ctx.out.ok();
    Ok(())
}

/// BF.ADD key item
fn add(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let results = add_items(ctx, args[1], &args[2..3], &DEFAULT_CREATE)?;
    match results.first() {
        Some(Ok(added)) => yes_no(ctx.out, ctx.session.protocol, *added),
        Some(Err(e)) => return Err(add_error(*e)),
        None => return Err(add_error(BloomError::TooLarge)),
    }
    Ok(())
}

/// BF.MADD key item [item ...]
fn madd(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let results = add_items(ctx, args[1], &args[2..], &DEFAULT_CREATE)?;
    write_add_results(ctx, &results);
    Ok(())
}

/// The ASCII-lowercased byte at `i` of an option word (0 past its end).
fn letter(arg: &[u8], i: usize) -> u8 {
    arg.get(i).map_or(0, u8::to_ascii_lowercase)
}

/// BF.INSERT key [CAPACITY c] [ERROR e] [EXPANSION n] [NOCREATE] [NONSCALING] ITEMS item...
fn insert(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let arity = || CommandError::WrongArity("bf.insert".to_owned());
    let (mut capacity, mut error, mut expansion) =
        (DEFAULT_CAPACITY as i64, DEFAULT_ERROR_RATE, i64::from(DEFAULT_EXPANSION));
    let (mut create, mut nonscaling) = (true, false);
    let mut items_at = None;
    let mut pos = 2;
    // RedisBloom tells the options apart by their first letters (the second for ERROR and
    // EXPANSION, the third for NOCREATE and NONSCALING); so do we.
    while pos < args.len() && items_at.is_none() {
        let option = args[pos];
        match letter(option, 0) {
            b'i' => {
                pos += 1;
                items_at = Some(pos);
            }
            b'e' => {
                pos += 1;
                let value = args.get(pos).ok_or_else(arity)?;
                if letter(option, 1) == b'r' {
                    error = parse_f64(value).ok_or_else(|| bloom_error("Bad error rate"))?;
                } else {
                    expansion = parse_i64(value).ok_or_else(|| bloom_error("Bad expansion"))?;
                }
                pos += 1;
            }
            b'c' => {
                pos += 1;
                let value = args.get(pos).ok_or_else(arity)?;
                capacity = parse_i64(value).ok_or_else(|| bloom_error("Bad capacity"))?;
                pos += 1;
            }
            b'n' => {
                if letter(option, 2) == b'c' {
                    create = false;
                } else {
                    nonscaling = true;
                }
                pos += 1;
            }
            _ => return Err(bloom_error("Unknown argument received")),
        }
    }
    let items_at = items_at.filter(|&at| at < args.len()).ok_or_else(arity)?;
    let bad_argument = || bloom_error("Bad argument received");
    if !(error > 0.0 && error < 1.0) {
        return Err(bad_argument());
    }
    let capacity = u64::try_from(capacity).ok().filter(|&c| c > 0).ok_or_else(bad_argument)?;
    let expansion = u32::try_from(expansion).ok().filter(|&n| n > 0).ok_or_else(bad_argument)?;
    let options = CreateOptions { create: create.then_some((capacity, error, (!nonscaling).then_some(expansion))) };
    let results = add_items(ctx, args[1], &args[items_at..], &options)?;
    write_add_results(ctx, &results);
    Ok(())
}

/// BF.EXISTS key item
fn exists(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let found = check_items(ctx, args[1], &args[2..3])?;
    yes_no(ctx.out, ctx.session.protocol, found.first().copied().unwrap_or(false));
    Ok(())
}

/// BF.MEXISTS key item [item ...]
fn mexists(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let found = check_items(ctx, args[1], &args[2..])?;
    let protocol = ctx.session.protocol;
    ctx.out.array(found.len());
    for f in found {
        yes_no(ctx.out, protocol, f);
    }
    Ok(())
}

/// Whether each item may be in the filter at `key` (all no when there is no filter).
fn check_items(ctx: &mut Ctx<'_>, key: &[u8], items: &[&[u8]]) -> Result<Vec<bool>, CommandError> {
    let mut locked = ctx.lock(key);
    Ok(match read_typed::<ScalableBloom>(&mut locked, key)? {
        Some(bf) => items.iter().map(|item| bf.contains(item)).collect(),
        None => vec![false; items.len()],
    })
}

/// What BF.INFO reports, read under the lock and written after it.
struct Info {
    capacity: u64,
    size: u64,
    filters: usize,
    items: u64,
    expansion: Option<u32>,
}

/// The BF.INFO fields: (selector, reply name).
const INFO_FIELDS: [(&str, &str); 5] = [
    ("capacity", "Capacity"),
    ("size", "Size"),
    ("filters", "Number of filters"),
    ("items", "Number of items inserted"),
    ("expansion", "Expansion rate"),
];

fn write_info_value(out: &mut dyn ReplySink, info: &Info, field: usize) {
    let n = |out: &mut dyn ReplySink, v: u64| out.integer(i64::try_from(v).unwrap_or(i64::MAX));
    match field {
        0 => n(out, info.capacity),
        1 => n(out, info.size),
        2 => out.count(info.filters),
        3 => n(out, info.items),
        // A non-scaling filter has no expansion rate: RedisBloom replies a null.
        _ => match info.expansion {
            Some(e) => out.integer(i64::from(e)),
            None => out.null(),
        },
    }
}

/// BF.INFO key [CAPACITY | SIZE | FILTERS | ITEMS | EXPANSION]
fn info(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args.len() > 3 {
        return Err(CommandError::WrongArity("bf.info".to_owned()));
    }
    let key = args[1];
    let mut locked = ctx.lock(key);
    let bf = read_typed::<ScalableBloom>(&mut locked, key)?.ok_or_else(not_found)?;
    let info = Info {
        capacity: bf.capacity(),
        size: bf.size(),
        filters: bf.filter_count(),
        items: bf.items(),
        expansion: bf.expansion(),
    };
    drop(locked);
    let resp3 = ctx.session.protocol == Protocol::Resp3;
    let fields: Vec<usize> = match args.get(2) {
        None => (0..INFO_FIELDS.len()).collect(),
        Some(selector) => {
            let field = INFO_FIELDS
                .iter()
                .position(|(name, _)| selector.eq_ignore_ascii_case(name.as_bytes()))
                .ok_or_else(|| bloom_error("Invalid information value"))?;
            vec![field]
        }
    };
    // One field in RESP2 is a one-element array holding the value, without its name.
    let named = resp3 || fields.len() > 1;
    if resp3 {
        ctx.out.map(fields.len());
    } else {
        ctx.out.array(if named { fields.len() * 2 } else { 1 });
    }
    for field in fields {
        if named {
            ctx.out.simple(INFO_FIELDS[field].1);
        }
        write_info_value(ctx.out, &info, field);
    }
    Ok(())
}

/// BF.CARD key
fn card(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let key = args[1];
    let mut locked = ctx.lock(key);
    let items = read_typed::<ScalableBloom>(&mut locked, key)?.map_or(0, ScalableBloom::items);
    drop(locked);
    ctx.out.integer(i64::try_from(items).unwrap_or(i64::MAX));
    Ok(())
}
