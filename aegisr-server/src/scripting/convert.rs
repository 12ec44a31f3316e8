//! Conversions between replies and Lua values, as Redis documents them
//! (https://redis.io/docs/interact/programmability/lua-api/).
//!
//! Command reply -> Lua, RESP2 (the default): integer -> number, bulk -> string, null ->
//! false, array -> table, status -> {ok=...}, error -> {err=...}; RESP3 types a command
//! writes are first seen as their RESP2 form (map -> flat array, set -> array, double ->
//! string, boolean -> 1/0). After `redis.setresp(3)`: map -> {map={...}}, set ->
//! {set={member=true}}, double -> {double=n}, big number -> {big_number="..."}, boolean ->
//! boolean, null -> nil.
//!
//! Lua -> reply: number -> integer (truncated), string -> bulk, table -> array (up to the
//! first nil) unless it has a string `err` (error), `ok` (status), `double`, `big_number`,
//! `map` or `set` field; true -> 1 and false -> null, or RESP3 booleans once the script
//! called `redis.setresp(3)`; nil -> null.

use mlua::{Lua, Table, Value};

use crate::reply::{Reply, ReplySink, format_double};

/// Nesting deeper than this is refused (a self-referencing table would never end): Redis
/// stops where Lua's C stack (8000 slots) is full, after 7995 levels.
const MAX_DEPTH: usize = 7994;

/// A command's reply as the script sees it.
pub fn reply_to_lua(lua: &Lua, reply: Reply, resp3: bool) -> mlua::Result<Value> {
    Ok(match reply {
        Reply::Integer(n) => Value::Number(n as f64),
        Reply::Bulk(bytes) => Value::String(lua.create_string(bytes)?),
        Reply::Simple(text) => Value::Table(single(lua, "ok", Value::String(lua.create_string(text)?))?),
        Reply::Error(text) => {
            let table = error_table(lua, text.trim_end_matches(['\r', '\n']))?;
            // Counted when the command replied it: not again if the script passes it on.
            table.raw_set(PASSED_ON, true)?;
            Value::Table(table)
        }
        Reply::Null | Reply::NullArray if resp3 => Value::Nil,
        Reply::Null | Reply::NullArray => Value::Boolean(false),
        Reply::Array(items) | Reply::Push(items) => Value::Table(sequence(lua, items, resp3)?),
        Reply::Set(items) if resp3 => {
            let set = lua.create_table_with_capacity(0, items.len())?;
            for item in items {
                set.raw_set(reply_to_lua(lua, item, resp3)?, true)?;
            }
            Value::Table(single(lua, "set", Value::Table(set))?)
        }
        Reply::Set(items) => Value::Table(sequence(lua, items, resp3)?),
        Reply::Map(pairs) if resp3 => {
            let map = lua.create_table_with_capacity(0, pairs.len())?;
            for (key, value) in pairs {
                map.raw_set(reply_to_lua(lua, key, resp3)?, reply_to_lua(lua, value, resp3)?)?;
            }
            Value::Table(single(lua, "map", Value::Table(map))?)
        }
        Reply::Map(pairs) => {
            let flat = pairs.into_iter().flat_map(|(k, v)| [k, v]).collect();
            Value::Table(sequence(lua, flat, resp3)?)
        }
        Reply::Double(value) if resp3 => Value::Table(single(lua, "double", Value::Number(value))?),
        Reply::Double(value) => Value::String(lua.create_string(format_double(value))?),
        Reply::Boolean(value) if resp3 => Value::Boolean(value),
        Reply::Boolean(value) => Value::Number(if value { 1.0 } else { 0.0 }),
        Reply::BigNumber(digits) if resp3 => {
            Value::Table(single(lua, "big_number", Value::String(lua.create_string(digits)?))?)
        }
        Reply::BigNumber(digits) => Value::String(lua.create_string(digits)?),
        Reply::Verbatim(format, text) if resp3 => {
            let inner = lua.create_table()?;
            inner.set("format", format)?;
            inner.set("string", lua.create_string(text)?)?;
            Value::Table(single(lua, "verbatim_string", Value::Table(inner))?)
        }
        Reply::Verbatim(_, text) => Value::String(lua.create_string(text)?),
    })
}

/// The field Redis 7.0 sets in the error table of a command's error reply: the error was
/// counted when the command replied it.
const PASSED_ON: &str = "ignore_error_stats_update";

/// An error table, `{err=text}`.
pub fn error_table(lua: &Lua, text: &str) -> mlua::Result<Table> {
    single(lua, "err", Value::String(lua.create_string(text)?))
}

/// Whether error table `t` holds a command's error reply (see [`PASSED_ON`]).
pub fn passed_on(t: &Table) -> bool {
    // Any true value, as Lua's truth.
    matches!(t.raw_get::<Value>(PASSED_ON), Ok(v) if !matches!(v, Value::Nil | Value::Boolean(false)))
}

/// The error replies in a script's reply, for the error statistics: those the script made
/// itself (counted as they are sent), and how many it passed on from the commands it called
/// (counted already, when those replied; each still makes the script's command fail).
#[derive(Debug, Default)]
pub struct ReplyErrors {
    pub own: Vec<String>,
    pub passed_on: u64,
}

fn single(lua: &Lua, field: &str, value: Value) -> mlua::Result<Table> {
    let table = lua.create_table_with_capacity(0, 1)?;
    table.raw_set(field, value)?;
    Ok(table)
}

fn sequence(lua: &Lua, items: Vec<Reply>, resp3: bool) -> mlua::Result<Table> {
    let table = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.into_iter().enumerate() {
        table.raw_set(i + 1, reply_to_lua(lua, item, resp3)?)?;
    }
    Ok(table)
}

/// A Lua number as Redis's `(long long)` cast makes it: truncated; what has no integer
/// value (NaN, out of range) is what x86 gives for it, the minimum.
pub fn lua_number_to_integer(n: f64) -> i64 {
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) { n as i64 } else { i64::MIN }
}

/// Writes a script's return value as a reply. `resp3`: the script called
/// `redis.setresp(3)` (booleans then stay booleans). Iterative, with an explicit stack: a
/// table may nest (or contain itself) thousands of levels deep.
pub fn lua_to_sink(value: &Value, out: &mut dyn ReplySink, resp3: bool) -> ReplyErrors {
    let mut errors = ReplyErrors::default();
    let mut work = vec![(value.clone(), 0usize)];
    while let Some((value, depth)) = work.pop() {
        if depth > MAX_DEPTH {
            const TOO_DEEP: &str = "ERR reached lua stack limit";
            out.error(TOO_DEEP);
            errors.own.push(TOO_DEEP.to_owned());
            continue;
        }
        match value {
            Value::Nil => out.null(),
            Value::Boolean(b) if resp3 => out.boolean(b),
            Value::Boolean(true) => out.integer(1),
            Value::Boolean(false) => out.null(),
            Value::Integer(n) => out.integer(n),
            Value::Number(n) => out.integer(lua_number_to_integer(n)),
            Value::String(s) => out.bulk(&s.as_bytes()),
            Value::Table(t) => {
                // Children go on the stack last first, so they come out in order.
                let children = table_to_sink(&t, out, &mut errors);
                work.extend(children.into_iter().rev().map(|v| (v, depth + 1)));
            }
            // Functions, userdata, threads: Redis replies with a null.
            _ => out.null(),
        }
    }
    errors
}

/// Writes a table's own reply (or its header) and returns the values that follow it.
fn table_to_sink(t: &Table, out: &mut dyn ReplySink, errors: &mut ReplyErrors) -> Vec<Value> {
    if let Ok(Value::String(err)) = t.raw_get::<Value>("err") {
        let text = err.to_string_lossy();
        // The text is the whole error, code included; Redis adds none.
        let text = text.strip_prefix('-').unwrap_or(&text).trim_end_matches(['\r', '\n']);
        out.error(text);
        if passed_on(t) {
            errors.passed_on += 1;
        } else {
            errors.own.push(text.to_owned());
        }
        return Vec::new();
    }
    if let Ok(Value::String(ok)) = t.raw_get::<Value>("ok") {
        let text = ok.to_string_lossy().replace(['\r', '\n'], " ");
        out.simple(&text);
        return Vec::new();
    }
    match t.raw_get::<Value>("double") {
        Ok(Value::Number(n)) => {
            out.double(n);
            return Vec::new();
        }
        Ok(Value::Integer(n)) => {
            out.double(n as f64);
            return Vec::new();
        }
        _ => {}
    }
    if let Ok(Value::String(digits)) = t.raw_get::<Value>("big_number") {
        let text = digits.to_string_lossy().replace(['\r', '\n'], " ");
        out.big_number(&text);
        return Vec::new();
    }
    if let Ok(Value::Table(map)) = t.raw_get::<Value>("map") {
        let pairs: Vec<(Value, Value)> = map.pairs::<Value, Value>().filter_map(Result::ok).collect();
        out.map(pairs.len());
        return pairs.into_iter().flat_map(|(k, v)| [k, v]).collect();
    }
    if let Ok(Value::Table(set)) = t.raw_get::<Value>("set") {
        let members: Vec<Value> = set.pairs::<Value, Value>().filter_map(|p| p.ok().map(|(k, _)| k)).collect();
        out.set(members.len());
        return members;
    }
    if let Ok(Value::Table(verbatim)) = t.raw_get::<Value>("verbatim_string")
        && let (Ok(Value::String(format)), Ok(Value::String(text))) =
            (verbatim.raw_get::<Value>("format"), verbatim.raw_get::<Value>("string"))
    {
        // Redis writes three characters of the format, padded with spaces.
        let format: String = format
            .as_bytes()
            .iter()
            .map(|&b| if b.is_ascii() { char::from(b) } else { '?' })
            .chain(std::iter::repeat(' '))
            .take(3)
            .collect();
        out.verbatim(&format, &text.as_bytes());
        return Vec::new();
    }
    // An array, up to the first nil.
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(v),
        }
    }
    out.array(items.len());
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_truncate_as_redis() {
        assert_eq!(lua_number_to_integer(3.99), 3);
        assert_eq!(lua_number_to_integer(-3.7), -3);
        assert_eq!(lua_number_to_integer(1e20), i64::MIN);
        assert_eq!(lua_number_to_integer(f64::NAN), i64::MIN);
    }
}
