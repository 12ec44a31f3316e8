//! Arguments and errors of the libraries written here (`bit`, `cjson`, `cmsgpack`,
//! `struct`), read and raised as their C originals do with lauxlib: `lua_tonumber` and
//! `lua_tolstring` conversions, `luaL_check*` refusals naming the argument, and errors
//! prefixed with the calling script line ("user_script:3: ...").

use std::fmt::Display;

use mlua::{Lua, Value};

/// Lua's limit on the values a C function may have on its stack (LUAI_MAXCSTACK): what
/// bounds the values one call returns (and the nesting cmsgpack decodes) in Redis.
pub const MAX_STACK: usize = 8000;

/// `luaL_error`: `message` after the position of the Lua code that called the library
/// function (nothing when that caller is itself a C function, such as `pcall`).
pub fn lib_error(lua: &Lua, message: impl Display) -> mlua::Error {
    let at = lua
        .inspect_stack(1, |debug| (debug.source().short_src.map(|s| s.into_owned()), debug.current_line()))
        .and_then(|(source, line)| Some((source?, line?)));
    match at {
        Some((source, line)) if line > 0 => mlua::Error::RuntimeError(format!("{source}:{line}: {message}")),
        _ => mlua::Error::RuntimeError(message.to_string()),
    }
}

/// `luaL_argerror`: "bad argument #2 to 'unpack' (string expected, got nil)".
pub fn arg_error(lua: &Lua, position: usize, function: &str, message: impl Display) -> mlua::Error {
    lib_error(lua, format!("bad argument #{position} to '{function}' ({message})"))
}

/// `luaL_typerror`'s message: what was expected, and the type of `value` (`None`: no
/// argument there).
pub fn type_error(expected: &str, value: Option<&Value>) -> String {
    let got = value.map_or("no value", |v| if v.is_nil() { "nil" } else { v.type_name() });
    format!("{expected} expected, got {got}")
}

/// `lua_tonumber`: a number, or a string Lua reads as one.
pub fn to_number(lua: &Lua, value: &Value) -> Option<f64> {
    match value {
        Value::Integer(n) => Some(*n as f64),
        Value::Number(n) => Some(*n),
        Value::String(_) => lua.coerce_number(value.clone()).ok().flatten(),
        _ => None,
    }
}

/// `luaL_checknumber` of `value`, argument `position` of `function`.
pub fn check_number(lua: &Lua, value: Option<&Value>, position: usize, function: &str) -> mlua::Result<f64> {
    value.and_then(|v| to_number(lua, v)).ok_or_else(|| arg_error(lua, position, function, type_error("number", value)))
}

/// `luaL_checklstring` of `value`, argument `position` of `function`: a string, or a
/// number as its text.
pub fn check_bytes(lua: &Lua, value: Option<&Value>, position: usize, function: &str) -> mlua::Result<Vec<u8>> {
    match value {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(v @ (Value::Integer(_) | Value::Number(_))) => {
            Ok(lua.coerce_string(v.clone())?.map(|s| s.as_bytes().to_vec()).unwrap_or_default())
        }
        other => Err(arg_error(lua, position, function, type_error("string", other))),
    }
}
