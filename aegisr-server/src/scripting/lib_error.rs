//! Errors raised by the libraries written here (`bit`, `cjson`, `cmsgpack`, `struct`), worded
//! and placed as their C originals raise them with `luaL_error`: prefixed with the calling
//! script line ("user_script:3: ...").

use std::fmt::Display;

use mlua::Lua;

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
pub fn type_error(expected: &str, value: Option<&mlua::Value>) -> String {
    let got = value.map_or("no value", |v| if v.is_nil() { "nil" } else { v.type_name() });
    format!("{expected} expected, got {got}")
}
