//! The `cmsgpack` library Redis loads (lua-cmsgpack): `pack`, `unpack`, `unpack_one` and
//! `unpack_limit`, byte for byte and error for error as Redis's copy.
//!
//! Packing: a table whose keys are exactly 1..n is an array, any other a map (in the
//! table's own order); tables nested 16 deep pack as nil (so a table that contains itself
//! packs instead of looping); integral numbers pack as the smallest integer, others as a
//! float when a float holds them exactly, else as a double; functions and userdata as nil.
//! Unpacking reads the types lua-cmsgpack reads (no bin or ext types).

use mlua::{Lua, MultiValue, Value, Variadic};

use super::lib_args::{MAX_STACK, arg_error, check_bytes, check_number, lib_error};

/// Tables this deep pack as nil (lua-cmsgpack's LUACMSGPACK_MAX_NESTING).
const MAX_NESTING: usize = 16;

const TOO_MANY: &str = "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)";

pub fn install(lua: &Lua) -> mlua::Result<()> {
    let cmsgpack = lua.create_table()?;
    cmsgpack.set(
        "pack",
        lua.create_function(|lua, args: Variadic<Value>| {
            if args.is_empty() {
                return Err(arg_error(lua, 0, "pack", "MessagePack pack needs input."));
            }
            // lua-cmsgpack makes room on Lua's stack for a copy of its arguments.
            if args.len() * 2 > MAX_STACK {
                return Err(arg_error(lua, 0, "pack", "Too many arguments for MessagePack pack."));
            }
            let mut out = Vec::new();
            for value in args.iter() {
                encode(value, 0, &mut out)?;
            }
            lua.create_string(out)
        })?,
    )?;
    cmsgpack.set(
        "unpack",
        lua.create_function(|lua, args: Variadic<Value>| {
            let input = check_bytes(lua, args.first(), 1, "unpack")?;
            unpack(lua, &input, 0, 0)
        })?,
    )?;
    cmsgpack.set(
        "unpack_one",
        lua.create_function(|lua, args: Variadic<Value>| {
            let input = check_bytes(lua, args.first(), 1, "unpack_one")?;
            let offset = integer_arg(lua, args.get(1), 2, "unpack_one", true)?;
            unpack(lua, &input, 1, offset)
        })?,
    )?;
    cmsgpack.set(
        "unpack_limit",
        lua.create_function(|lua, args: Variadic<Value>| {
            let input = check_bytes(lua, args.first(), 1, "unpack_limit")?;
            let limit = integer_arg(lua, args.get(1), 2, "unpack_limit", false)?;
            let offset = integer_arg(lua, args.get(2), 3, "unpack_limit", true)?;
            unpack(lua, &input, limit, offset)
        })?,
    )?;
    lua.globals().set("cmsgpack", cmsgpack)
}

/// `luaL_checkinteger` (or `luaL_optinteger`, 0 when absent, if `optional`): a number,
/// truncated.
fn integer_arg(lua: &Lua, value: Option<&Value>, position: usize, function: &str, optional: bool) -> mlua::Result<i64> {
    if optional && value.is_none_or(Value::is_nil) {
        return Ok(0);
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(check_number(lua, value, position, function)? as i64)
}

fn encode(value: &Value, level: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    match value {
        Value::String(s) => encode_bytes(&s.as_bytes(), out),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(n) => encode_integer(*n, out),
        Value::Number(n) => encode_number(*n, out),
        Value::Table(t) if level < MAX_NESTING => encode_table(t, level, out)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

fn encode_number(n: f64, out: &mut Vec<u8>) {
    // 2^63: integral doubles below it (and from -2^63) are 64-bit integers.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n) {
        #[allow(clippy::cast_possible_truncation)]
        encode_integer(n as i64, out);
        return;
    }
    #[allow(clippy::cast_possible_truncation)]
    let single = n as f32;
    // NaN never equals itself: it packs as a double, as in lua-cmsgpack.
    if f64::from(single) == n {
        out.push(0xca);
        out.extend_from_slice(&single.to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_integer(n: i64, out: &mut Vec<u8>) {
    // The smallest encoding, as lua-cmsgpack picks it (unsigned forms for n >= 0).
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    match n {
        0..=127 => out.push(n as u8),
        128..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        0x1_0000_0000.. => {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
        -32..=-1 => out.push(n as u8),
        -128..=-33 => out.extend_from_slice(&[0xd0, n as u8]),
        -32768..=-129 => {
            out.push(0xd1);
            out.extend_from_slice(&(n as i16).to_be_bytes());
        }
        -2_147_483_648..=-32769 => {
            out.push(0xd2);
            out.extend_from_slice(&(n as i32).to_be_bytes());
        }
        _ => {
            out.push(0xd3);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// A header for a length: the fixed form below `fixed_limit`, else the 8-bit (if `one`
/// is given), 16-bit or 32-bit form. Lengths past 32 bits cannot be packed.
fn encode_length(len: usize, fixed: u8, fixed_limit: usize, one: Option<u8>, two: u8, four: u8, out: &mut Vec<u8>) {
    #[allow(clippy::cast_possible_truncation)]
    if len < fixed_limit {
        out.push(fixed | len as u8);
    } else if let Some(one) = one
        && len <= 0xff
    {
        out.extend_from_slice(&[one, len as u8]);
    } else if len <= 0xffff {
        out.push(two);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(four);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    encode_length(bytes.len(), 0xa0, 32, Some(0xd9), 0xda, 0xdb, out);
    out.extend_from_slice(bytes);
}

fn encode_table(t: &mlua::Table, level: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    // An array when every key is a positive integer (that a C int holds) and the largest
    // is their count: keys 1..n exactly.
    let mut count = 0i64;
    let mut max = 0i64;
    let mut array = true;
    for pair in t.pairs::<Value, Value>() {
        let (key, _) = pair?;
        count += 1;
        let index = match key {
            Value::Integer(n) if n > 0 && n <= i64::from(i32::MAX) => Some(n),
            #[allow(clippy::cast_possible_truncation)]
            Value::Number(n) if n > 0.0 && n.fract() == 0.0 && n <= f64::from(i32::MAX) => Some(n as i64),
            _ => None,
        };
        match index {
            Some(index) => max = max.max(index),
            None => array = false,
        }
    }
    if array && max == count {
        let len = t.raw_len();
        encode_length(len, 0x90, 16, None, 0xdc, 0xdd, out);
        for i in 1..=len {
            encode(&t.raw_get::<Value>(i)?, level + 1, out)?;
        }
    } else {
        encode_length(usize::try_from(count).unwrap_or(0), 0x80, 16, None, 0xde, 0xdf, out);
        for pair in t.pairs::<Value, Value>() {
            let (key, value) = pair?;
            encode(&key, level + 1, out)?;
            encode(&value, level + 1, out)?;
        }
    }
    Ok(())
}

/// Why decoding stopped.
enum Stop {
    /// lua-cmsgpack's MP_CUR_ERROR_EOF.
    Missing,
    /// MP_CUR_ERROR_BADFMT.
    BadFormat,
    /// Anything else, raised as is.
    Lua(mlua::Error),
}

impl From<mlua::Error> for Stop {
    fn from(e: mlua::Error) -> Stop {
        Stop::Lua(e)
    }
}

struct Cursor<'a> {
    input: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Stop> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.input.len()).ok_or(Stop::Missing)?;
        let bytes = &self.input[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Stop> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn length<const N: usize>(&mut self) -> Result<usize, Stop> {
        Ok(self.array::<N>()?.iter().fold(0usize, |len, &b| (len << 8) | usize::from(b)))
    }
}

/// lua-cmsgpack's `mp_unpack_full`: `limit` values from `offset` (all of them when both
/// are 0); unless all are asked for, the offset to go on from comes first (-1 at the end).
fn unpack(lua: &Lua, input: &[u8], limit: i64, offset: i64) -> mlua::Result<MultiValue> {
    if offset < 0 || limit < 0 {
        return Err(lib_error(
            lua,
            format!("Invalid request to unpack with offset of {offset} and limit of {}.", input.len()),
        ));
    }
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    if start > input.len() {
        return Err(lib_error(lua, format!("Start offset {offset} greater than input length {}.", input.len())));
    }
    let all = limit == 0 && offset == 0;
    let limit = if all { i64::MAX } else { limit };
    let mut cursor = Cursor { input, at: start };
    let mut values = MultiValue::new();
    let mut count = 0i64;
    while cursor.at < input.len() && count < limit {
        match decode(lua, &mut cursor, values.len()) {
            Ok(value) => values.push_back(value),
            Err(Stop::Missing) => return Err(lib_error(lua, "Missing bytes in input.")),
            Err(Stop::BadFormat) => return Err(lib_error(lua, "Bad data format in input.")),
            Err(Stop::Lua(e)) => return Err(e),
        }
        count += 1;
    }
    if !all {
        let next = if cursor.at == input.len() { -1 } else { i64::try_from(cursor.at).unwrap_or(-1) };
        values.push_front(Value::Integer(next));
    }
    Ok(values)
}

/// What a decoded value goes into: nothing (it is a result), or a table being filled.
enum Open {
    /// An array: its table, its declared length, the index of the next element.
    Array(mlua::Table, usize, usize),
    /// A map: its table, the pairs left, and the key read whose value comes next.
    Map(mlua::Table, usize, Option<Value>),
}

impl Open {
    /// The slots of Lua's stack lua-cmsgpack fills meanwhile: the table, and the index
    /// (or key) of the element being read.
    fn slots(&self) -> usize {
        match self {
            Open::Array(..) => 2,
            Open::Map(_, _, key) => 1 + usize::from(key.is_some()),
        }
    }
}

/// A value's first bytes: a value, or the start of a table.
enum Item {
    Value(Value),
    Array(usize),
    Map(usize),
}

/// One value, tables nested in it included. Nesting is kept on the heap, not the native
/// stack: it is only bounded, as in lua-cmsgpack, by Lua's stack (`results` values are on
/// it already, beside the input).
fn decode(lua: &Lua, c: &mut Cursor<'_>, results: usize) -> Result<Value, Stop> {
    let mut open: Vec<Open> = Vec::new();
    let mut slots = 1 + results;
    loop {
        // luaL_checkstack(L, 1, ...) before each value.
        if slots + 1 > MAX_STACK {
            return Err(Stop::Lua(lib_error(lua, TOO_MANY)));
        }
        let mut value = match read_item(lua, c)? {
            Item::Value(value) => value,
            Item::Array(len) => {
                // luaL_checkstack(L, 1, ...) once the table is pushed.
                if slots + 2 > MAX_STACK {
                    return Err(Stop::Lua(lib_error(lua, "stack overflow (in function mp_decode_to_lua_array)")));
                }
                let table = lua.create_table_with_capacity(len.min(c.input.len() - c.at), 0)?;
                if len == 0 {
                    Value::Table(table)
                } else {
                    open.push(Open::Array(table, len, 1));
                    slots += 2;
                    continue;
                }
            }
            Item::Map(len) => {
                let table = lua.create_table_with_capacity(0, len.min(c.input.len() - c.at))?;
                if len == 0 {
                    Value::Table(table)
                } else {
                    open.push(Open::Map(table, len, None));
                    slots += 1;
                    continue;
                }
            }
        };
        // Into the innermost open table; one it completes goes into the next.
        loop {
            let Some(innermost) = open.last_mut() else { return Ok(value) };
            let complete = match innermost {
                Open::Array(table, len, next) => {
                    table.raw_set(*next, value)?;
                    *next += 1;
                    *next > *len
                }
                Open::Map(table, left, key) => match key.take() {
                    None => {
                        *key = Some(value);
                        slots += 1;
                        break;
                    }
                    Some(key) => {
                        slots -= 1;
                        match key {
                            Value::Nil => {
                                return Err(Stop::Lua(mlua::Error::RuntimeError("table index is nil".into())));
                            }
                            Value::Number(n) if n.is_nan() => {
                                return Err(Stop::Lua(mlua::Error::RuntimeError("table index is NaN".into())));
                            }
                            key => table.raw_set(key, value)?,
                        }
                        *left -= 1;
                        *left == 0
                    }
                },
            };
            if !complete {
                break;
            }
            let Some(done) = open.pop() else { break };
            slots -= done.slots();
            value = match done {
                Open::Array(table, ..) | Open::Map(table, ..) => Value::Table(table),
            };
        }
    }
}

fn read_item(lua: &Lua, c: &mut Cursor<'_>) -> Result<Item, Stop> {
    let [kind] = c.array::<1>()?;
    let string = |c: &mut Cursor<'_>, len: usize| -> Result<Item, Stop> {
        Ok(Item::Value(Value::String(lua.create_string(c.take(len)?)?)))
    };
    let value = match kind {
        0xc0 => Value::Nil,
        0xc2 => Value::Boolean(false),
        0xc3 => Value::Boolean(true),
        0xcc => Value::Integer(i64::from(c.array::<1>()?[0])),
        0xcd => Value::Integer(i64::from(u16::from_be_bytes(c.array()?))),
        0xce => Value::Integer(i64::from(u32::from_be_bytes(c.array()?))),
        // Past i64::MAX a Lua number holds it only approximately, as in lua-cmsgpack.
        #[allow(clippy::cast_precision_loss)]
        0xcf => {
            let n = u64::from_be_bytes(c.array()?);
            i64::try_from(n).map_or(Value::Number(n as f64), Value::Integer)
        }
        0xd0 => Value::Integer(i64::from(i8::from_be_bytes(c.array()?))),
        0xd1 => Value::Integer(i64::from(i16::from_be_bytes(c.array()?))),
        0xd2 => Value::Integer(i64::from(i32::from_be_bytes(c.array()?))),
        0xd3 => Value::Integer(i64::from_be_bytes(c.array()?)),
        0xca => Value::Number(f64::from(f32::from_be_bytes(c.array()?))),
        0xcb => Value::Number(f64::from_be_bytes(c.array()?)),
        0xd9 => {
            let len = c.length::<1>()?;
            return string(c, len);
        }
        0xda => {
            let len = c.length::<2>()?;
            return string(c, len);
        }
        0xdb => {
            let len = c.length::<4>()?;
            return string(c, len);
        }
        0xdc => return Ok(Item::Array(c.length::<2>()?)),
        0xdd => return Ok(Item::Array(c.length::<4>()?)),
        0xde => return Ok(Item::Map(c.length::<2>()?)),
        0xdf => return Ok(Item::Map(c.length::<4>()?)),
        0x00..=0x7f => Value::Integer(i64::from(kind)),
        0xe0..=0xff => Value::Integer(i64::from(i8::from_be_bytes([kind]))),
        0xa0..=0xbf => return string(c, usize::from(kind & 0x1f)),
        0x90..=0x9f => return Ok(Item::Array(usize::from(kind & 0x0f))),
        0x80..=0x8f => return Ok(Item::Map(usize::from(kind & 0x0f))),
        _ => return Err(Stop::BadFormat),
    };
    Ok(Item::Value(value))
}
