//! The `cjson` library Redis loads (lua-cjson 2.1.0): `encode`, `decode`, `null`, `new`
//! and the configuration functions, with lua-cjson's output and error messages.
//!
//! Encoding: a table whose keys are all positive integers is an array (up to its largest
//! key, holes as null; an excessively sparse one is refused, or made an object if
//! `encode_sparse_array` says so), any other an object in the table's own order; numbers
//! as `%.14g` (`encode_number_precision`); '/' and control characters escaped. Decoding:
//! JSON null is `cjson.null` (a NULL light userdata); NaN, Infinity, hexadecimal and
//! leading zeros are read unless `decode_invalid_numbers(false)`. The settings belong to a
//! module table (`cjson.new()` makes another) and last as long as the Lua state, as in
//! Redis. Nesting is walked with a heap stack, not native recursion.

use std::sync::Arc;

use parking_lot::Mutex;

use mlua::{LightUserData, Lua, Table, Value, Variadic};

use super::lib_args::{arg_error, check_bytes, check_number};

mod decode;
mod encode;

use decode::decode;
use encode::encode;

/// What `encode_invalid_numbers` allows: NaN and infinities refused, written, or null.
#[derive(Clone, Copy, PartialEq)]
enum InvalidNumbers {
    Off,
    On,
    Null,
}

#[derive(Clone)]
struct Config {
    sparse_convert: bool,
    sparse_ratio: i64,
    sparse_safe: i64,
    encode_max_depth: i64,
    decode_max_depth: i64,
    /// Significant digits of a number (1 to 14).
    precision: i64,
    keep_buffer: bool,
    encode_invalid: InvalidNumbers,
    decode_invalid: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            precision: 14,
            keep_buffer: true,
            encode_invalid: InvalidNumbers::Off,
            decode_invalid: true,
        }
    }
}

/// A module's settings, shared by its functions (a Lua state runs on one thread at a time).
type Shared = Arc<Mutex<Config>>;

fn null_value() -> Value {
    // lua-cjson's null is a light userdata NULL pointer.
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

pub fn install(lua: &Lua) -> mlua::Result<()> {
    let cjson = module(lua)?;
    lua.globals().set("cjson", cjson)
}

/// A module table with its own settings (what `require "cjson"` or `cjson.new()` gives).
fn module(lua: &Lua) -> mlua::Result<Table> {
    let config: Shared = Arc::new(Mutex::new(Config::default()));
    let cjson = lua.create_table()?;
    let c = config.clone();
    cjson.set(
        "encode",
        lua.create_function(move |lua, args: Variadic<Value>| {
            if args.len() != 1 {
                return Err(arg_error(lua, 1, "encode", "expected 1 argument"));
            }
            let settings = c.lock().clone();
            lua.create_string(encode(lua, &settings, &args[0])?)
        })?,
    )?;
    let c = config.clone();
    cjson.set(
        "decode",
        lua.create_function(move |lua, args: Variadic<Value>| {
            if args.len() != 1 {
                return Err(arg_error(lua, 1, "decode", "expected 1 argument"));
            }
            let text = check_bytes(lua, args.first(), 1, "decode")?;
            let settings = c.lock().clone();
            decode(lua, &settings, &text)
        })?,
    )?;
    let c = config.clone();
    cjson.set(
        "encode_sparse_array",
        lua.create_function(move |lua, args: Variadic<Value>| {
            check_count(lua, &args, 3, "encode_sparse_array")?;
            let mut config = c.lock();
            let convert = bool_option(lua, args.first(), "encode_sparse_array", &mut config.sparse_convert)?;
            let ratio = integer_option(lua, &args, 2, "encode_sparse_array", 0, MAX_INT, &mut config.sparse_ratio)?;
            let safe = integer_option(lua, &args, 3, "encode_sparse_array", 0, MAX_INT, &mut config.sparse_safe)?;
            Ok((convert, ratio, safe))
        })?,
    )?;
    cjson.set(
        "encode_max_depth",
        integer_setting(lua, &config, "encode_max_depth", MAX_INT, |c| &mut c.encode_max_depth)?,
    )?;
    cjson.set(
        "decode_max_depth",
        integer_setting(lua, &config, "decode_max_depth", MAX_INT, |c| &mut c.decode_max_depth)?,
    )?;
    cjson.set(
        "encode_number_precision",
        integer_setting(lua, &config, "encode_number_precision", 14, |c| &mut c.precision)?,
    )?;
    cjson.set("encode_keep_buffer", bool_setting(lua, &config, "encode_keep_buffer", |c| &mut c.keep_buffer)?)?;
    let c = config.clone();
    cjson.set(
        "encode_invalid_numbers",
        lua.create_function(move |lua, args: Variadic<Value>| {
            check_count(lua, &args, 1, "encode_invalid_numbers")?;
            let mut config = c.lock();
            match args.first() {
                None | Some(Value::Nil) => {}
                Some(Value::Boolean(b)) => {
                    config.encode_invalid = if *b { InvalidNumbers::On } else { InvalidNumbers::Off };
                }
                other => {
                    config.encode_invalid = match choice(lua, other, "encode_invalid_numbers", &["off", "on", "null"])?
                    {
                        0 => InvalidNumbers::Off,
                        1 => InvalidNumbers::On,
                        _ => InvalidNumbers::Null,
                    };
                }
            }
            Ok(match config.encode_invalid {
                InvalidNumbers::Off => Value::Boolean(false),
                InvalidNumbers::On => Value::Boolean(true),
                InvalidNumbers::Null => Value::String(lua.create_string("null")?),
            })
        })?,
    )?;
    cjson.set(
        "decode_invalid_numbers",
        bool_setting(lua, &config, "decode_invalid_numbers", |c| &mut c.decode_invalid)?,
    )?;
    cjson.set("new", lua.create_function(|lua, ()| module(lua))?)?;
    cjson.set("null", null_value())?;
    cjson.set("_NAME", "cjson")?;
    cjson.set("_VERSION", "2.1.0")?;
    Ok(cjson)
}

/// The largest setting lua-cjson takes (a C int).
const MAX_INT: i64 = i32::MAX as i64;

/// A configuration function of one integer setting in `1..=max` (and none given: its value).
fn integer_setting(
    lua: &Lua,
    config: &Shared,
    name: &'static str,
    max: i64,
    field: fn(&mut Config) -> &mut i64,
) -> mlua::Result<mlua::Function> {
    let config = config.clone();
    lua.create_function(move |lua, args: Variadic<Value>| {
        check_count(lua, &args, 1, name)?;
        integer_option(lua, &args, 1, name, 1, max, field(&mut config.lock()))
    })
}

/// A configuration function of one boolean setting.
fn bool_setting(
    lua: &Lua,
    config: &Shared,
    name: &'static str,
    field: fn(&mut Config) -> &mut bool,
) -> mlua::Result<mlua::Function> {
    let config = config.clone();
    lua.create_function(move |lua, args: Variadic<Value>| {
        check_count(lua, &args, 1, name)?;
        bool_option(lua, args.first(), name, field(&mut config.lock()))
    })
}

/// lua-cjson's `json_arg_init`: at most `most` arguments.
fn check_count(lua: &Lua, args: &[Value], most: usize, function: &str) -> mlua::Result<()> {
    if args.len() > most {
        return Err(arg_error(lua, most + 1, function, "found too many arguments"));
    }
    Ok(())
}

/// `luaL_checkoption`: the index of `value` among `options`.
fn choice(lua: &Lua, value: Option<&Value>, function: &str, options: &[&str]) -> mlua::Result<usize> {
    let text = String::from_utf8_lossy(&check_bytes(lua, value, 1, function)?).into_owned();
    options
        .iter()
        .position(|o| *o == text)
        .ok_or_else(|| arg_error(lua, 1, function, format!("invalid option '{text}'")))
}

/// A boolean setting (`true`/`false` or "on"/"off"), set unless nil; its value now.
fn bool_option(lua: &Lua, value: Option<&Value>, function: &str, setting: &mut bool) -> mlua::Result<bool> {
    match value {
        None | Some(Value::Nil) => {}
        Some(Value::Boolean(b)) => *setting = *b,
        other => *setting = choice(lua, other, function, &["off", "on"])? == 1,
    }
    Ok(*setting)
}

/// An integer setting in `min..=max`, set unless nil; its value now.
fn integer_option(
    lua: &Lua,
    args: &[Value],
    position: usize,
    function: &str,
    min: i64,
    max: i64,
    setting: &mut i64,
) -> mlua::Result<i64> {
    let value = args.get(position - 1);
    if value.is_none_or(Value::is_nil) {
        return Ok(*setting);
    }
    #[allow(clippy::cast_possible_truncation)]
    let n = check_number(lua, value, position, function)? as i64;
    if !(min..=max).contains(&n) {
        // lua-cjson names the first argument whichever is out of range.
        return Err(arg_error(lua, 1, function, format!("expected integer between {min} and {max}")));
    }
    *setting = n;
    Ok(n)
}
