//! SORT and SORT_RO: sort the elements of a list, set or sorted set, numerically or
//! lexicographically, optionally by weights and with values fetched from other keys
//! (`BY`/`GET` patterns: `*` is replaced by the element, `->field` reads a hash field).
//!
//! Keys named by patterns are only known while sorting, so a command with a pattern holds
//! every shard for its duration (as Redis holds its single thread); without one, only the
//! source and destination are locked.

use std::cmp::Ordering;

use super::args::{int, is};
use super::table::{CommandSpec, Flags, Group, KeyRange};
use super::{Class, CommandError, CommandResult, Ctx};
use crate::engine::Locked;
use crate::types::list::{End, List};
use crate::types::{Value, ValueRef};

struct SortOptions<'a> {
    by: Option<&'a [u8]>,
    /// `BY` a pattern without `*`: keep the stored order.
    dont_sort: bool,
    limit: Option<(i64, i64)>,
    gets: Vec<&'a [u8]>,
    desc: bool,
    alpha: bool,
    store: Option<&'a [u8]>,
}

impl SortOptions<'_> {
    fn uses_patterns(&self) -> bool {
        self.by.is_some_and(|p| p.contains(&b'*')) || self.gets.iter().any(|g| *g != b"#")
    }
}

/// `full_key_access`: whether the user may read any key; BY and GET patterns, which read
/// keys no ACL check saw, are refused otherwise (as Redis).
fn parse<'a>(args: &[&'a [u8]], allow_store: bool, full_key_access: bool) -> Result<SortOptions<'a>, CommandError> {
    let mut opts = SortOptions {
        by: None,
        dont_sort: false,
        limit: None,
        gets: Vec::new(),
        desc: false,
        alpha: false,
        store: None,
    };
    let mut i = 2;
    while i < args.len() {
        let arg = &args[i];
        let left = args.len() - i - 1;
        if is(arg, "asc") {
            opts.desc = false;
        } else if is(arg, "desc") {
            opts.desc = true;
        } else if is(arg, "alpha") {
            opts.alpha = true;
        } else if is(arg, "limit") && left >= 2 {
            opts.limit = Some((int(args[i + 1])?, int(args[i + 2])?));
            i += 2;
        } else if is(arg, "store") && left >= 1 && allow_store {
            opts.store = Some(args[i + 1]);
            i += 1;
        } else if is(arg, "by") && left >= 1 {
            let pattern = args[i + 1];
            if pattern.contains(&b'*') && !full_key_access {
                return Err(CommandError::err("BY option of SORT denied due to insufficient ACL permissions."));
            }
            opts.by = Some(pattern);
            opts.dont_sort = !pattern.contains(&b'*');
            i += 1;
        } else if is(arg, "get") && left >= 1 {
            if !full_key_access {
                return Err(CommandError::err("GET option of SORT denied due to insufficient ACL permissions."));
            }
            opts.gets.push(args[i + 1]);
            i += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    Ok(opts)
}

/// The value a pattern names for `element`: `#` is the element itself; `prefix*suffix` a
/// string key; `prefix*suffix->field` a hash field. Missing keys and other types: `None`.
fn lookup(locked: &mut Locked<'_>, pattern: &[u8], element: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(element.to_vec());
    }
    let star = pattern.iter().position(|&c| c == b'*')?;
    let rest = &pattern[star + 1..];
    let (suffix, field) = match rest.windows(2).position(|w| w == b"->") {
        Some(arrow) if arrow + 2 < rest.len() => (&rest[..arrow], Some(&rest[arrow + 2..])),
        _ => (rest, None),
    };
    let key = [&pattern[..star], element, suffix].concat();
    let entry = locked.read(&key)?;
    match (entry.value(), field) {
        (ValueRef::Hash(hash), Some(field)) => hash.get(field).map(<[u8]>::to_vec),
        (value, None) => value.string_bytes().map(|b| b.to_vec()),
        _ => None,
    }
}

/// The elements of the value at `key`, in stored order, reversed for `desc` (what an
/// unsorted DESC returns for a list or sorted set). WRONGTYPE for strings and hashes.
fn elements(locked: &mut Locked<'_>, key: &[u8], desc: bool) -> Result<(Vec<Vec<u8>>, bool), CommandError> {
    let Some(entry) = locked.read(key) else {
        return Ok((Vec::new(), false));
    };
    Ok(match entry.value() {
        ValueRef::List(list) if desc => (list.iter_rev().map(<[u8]>::to_vec).collect(), false),
        ValueRef::List(list) => (list.iter().map(<[u8]>::to_vec).collect(), false),
        ValueRef::Set(set) => (set.iter().map(|m| m.to_vec()).collect(), true),
        ValueRef::ZSet(z) => {
            let first = if desc { z.len().saturating_sub(1) } else { 0 };
            (z.iter_from(first, desc).map(|(member, _)| member.to_vec()).collect(), false)
        }
        _ => return Err(CommandError::WrongType),
    })
}

/// What an element is sorted by.
enum SortKey {
    Score(f64),
    Bytes(Option<Vec<u8>>),
}

fn sort_keys(
    locked: &mut Locked<'_>,
    elements: &[Vec<u8>],
    opts: &SortOptions<'_>,
) -> Result<Vec<SortKey>, CommandError> {
    elements
        .iter()
        .map(|element| {
            let weight = match opts.by {
                Some(pattern) => lookup(locked, pattern, element),
                None => Some(element.clone()),
            };
            if opts.alpha {
                return Ok(SortKey::Bytes(weight));
            }
            match weight {
                // A missing weight key sorts as 0.
                None => Ok(SortKey::Score(0.0)),
                // As Redis: strtod must read the whole weight (an empty one is 0, leading
                // spaces pass) without a range error (a subnormal result is one).
                Some(w) => {
                    let read = crate::types::strtod::strtod(&w);
                    (read.len == w.len() && !read.range_error && !read.value.is_nan())
                        .then_some(SortKey::Score(read.value))
                        .ok_or_else(|| CommandError::err("One or more scores can't be converted into double"))
                }
            }
        })
        .collect()
}

fn compare(a: (&SortKey, &[u8]), b: (&SortKey, &[u8])) -> Ordering {
    match (a.0, b.0) {
        // Equal scores fall back to the elements, so the result is deterministic.
        (SortKey::Score(x), SortKey::Score(y)) => {
            x.partial_cmp(y).unwrap_or(Ordering::Equal).then_with(|| a.1.cmp(b.1))
        }
        // A missing weight sorts first.
        (SortKey::Bytes(x), SortKey::Bytes(y)) => x.cmp(y),
        (SortKey::Score(_), SortKey::Bytes(_)) => Ordering::Less,
        (SortKey::Bytes(_), SortKey::Score(_)) => Ordering::Greater,
    }
}

/// Redis's LIMIT arithmetic: a negative offset is 0, a negative count means "to the end".
fn window(len: usize, limit: Option<(i64, i64)>) -> std::ops::Range<usize> {
    let Some((offset, count)) = limit else { return 0..len };
    let start = usize::try_from(offset.max(0)).unwrap_or(usize::MAX).min(len);
    let end = match usize::try_from(count) {
        Ok(count) => start.saturating_add(count).min(len),
        Err(_) => len,
    };
    start..end
}

fn sort_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], allow_store: bool) -> CommandResult {
    let key = args[1];
    let full_key_access = super::acl::has_full_key_access(ctx, args);
    let opts = parse(args, allow_store, full_key_access)?;
    let mut locked =
        if opts.uses_patterns() { ctx.lock_all() } else { ctx.lock_keys(std::iter::once(key).chain(opts.store)) };
    let (mut elements, is_set) = elements(&mut locked, key, opts.desc)?;
    let mut alpha = opts.alpha;
    let mut by = opts.by;
    let mut dont_sort = opts.dont_sort;
    // A set has no order of its own: storing it unsorted would store a random order, and
    // a script would see one (Redis sorts it then, for replication's sake).
    if dont_sort && is_set && (opts.store.is_some() || crate::scripting::in_script()) {
        (dont_sort, alpha, by) = (false, true, None);
    }
    if !dont_sort {
        let effective = SortOptions { by, alpha, gets: Vec::new(), store: None, ..opts };
        let keys = sort_keys(&mut locked, &elements, &effective)?;
        let mut order: Vec<usize> = (0..elements.len()).collect();
        order.sort_by(|&i, &j| {
            let cmp = compare((&keys[i], &elements[i]), (&keys[j], &elements[j]));
            if opts.desc { cmp.reverse() } else { cmp }
        });
        let mut sorted: Vec<Vec<u8>> = Vec::with_capacity(elements.len());
        for i in order {
            sorted.push(std::mem::take(&mut elements[i]));
        }
        elements = sorted;
    }
    let range = window(elements.len(), opts.limit);
    let mut results: Vec<Option<Vec<u8>>> = Vec::new();
    for element in &elements[range] {
        if opts.gets.is_empty() {
            results.push(Some(element.clone()));
        }
        for pattern in &opts.gets {
            results.push(lookup(&mut locked, pattern, element));
        }
    }
    match opts.store {
        Some(dest) => {
            let count = results.len();
            if results.is_empty() {
                if locked.remove(dest).is_some() {
                    ctx.notify(Class::Generic, "del", dest);
                }
            } else {
                let mut list = List::new();
                let bytes = results.iter().map(|r| r.as_ref().map_or(0, Vec::len)).sum();
                list.prepare_growth(bytes, count, super::list::limit(ctx));
                for r in &results {
                    list.push(End::Right, r.as_deref().unwrap_or_default());
                }
                locked.set(dest, Value::List(list));
                ctx.notify(Class::List, "sortstore", dest);
            }
            drop(locked);
            ctx.out.count(count);
        }
        None => {
            drop(locked);
            ctx.out.array(results.len());
            for r in &results {
                ctx.out.bulk_or_null(r.as_deref());
            }
        }
    }
    Ok(())
}

fn sort(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    sort_generic(ctx, args, true)
}

fn sort_ro(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    sort_generic(ctx, args, false)
}

const SORT_SYNTAX: &str =
    "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]";

/// SORT's keys, found as Redis's `sortGetKeys` does: the sorted key, and the key of the
/// last STORE (the one SORT uses), skipping the arguments of LIMIT, GET and BY.
fn key_indexes(args: &[&[u8]]) -> Option<Vec<usize>> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        if is(args[i], "limit") {
            i += 2;
        } else if is(args[i], "get") || is(args[i], "by") {
            i += 1;
        } else if is(args[i], "store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    Some(keys)
}

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "sort",
        arity: -2,
        flags: Flags::WRITE.or(Flags::DENYOOM).or(Flags::MOVABLE_KEYS),
        keys: KeyRange::FIRST,
        keys_fn: Some(key_indexes),
        group: Group::Generic,
        acl: &["@set", "@sortedset", "@list", "@dangerous"],
        since: "1.0.0",
        summary: "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
        syntax: SORT_SYNTAX,
        handler: Some(sort),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "sort_ro",
        arity: -2,
        flags: Flags::READONLY.or(Flags::MOVABLE_KEYS),
        keys: KeyRange::FIRST,
        group: Group::Generic,
        acl: &["@set", "@sortedset", "@list", "@dangerous"],
        since: "7.0.0",
        summary: "Returns the sorted elements of a list, a set, or a sorted set.",
        syntax: "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]",
        handler: Some(sort_ro),
        ..CommandSpec::BASE
    },
];
