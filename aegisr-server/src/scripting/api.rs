//! The `redis` table scripts see: call/pcall (reaching the running command's context
//! through the engine's hidden table), replies, logging, digests and Redis's constants.

use std::ffi::{CStr, c_int};

use mlua::{Lua, MultiValue, Table, Value, ffi};

use super::sandbox::INTERNAL_CHUNK;

/// An error reply a script raises (redis.call's failure, a wrong redis.setresp...):
/// becomes the error table {err=, source=, line=}, with the location of the script line
/// that called, taken when raised (a tail call `return redis.call(...)` leaves no frame
/// to find later).
#[derive(Debug)]
pub struct ErrorReply {
    pub text: String,
    pub location: Option<(String, usize)>,
}

impl std::fmt::Display for ErrorReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for ErrorReply {}

/// The script line running now: the innermost frame that is neither C (Rust) nor the
/// sandbox's own code.
pub fn script_location(lua: &Lua) -> Option<(String, usize)> {
    for level in 0..64 {
        let (what, source, line) = lua.inspect_stack(level, |debug| {
            let source = debug.source();
            (source.what, source.source.as_deref().unwrap_or("").to_owned(), debug.current_line())
        })?;
        if what != "C" && what != "tail" && !source.starts_with(INTERNAL_CHUNK) {
            return Some((source, line?));
        }
    }
    None
}

/// Raises `text` as an error reply from the calling script line.
pub fn raise(lua: &Lua, text: impl Into<String>) -> mlua::Error {
    mlua::Error::external(ErrorReply { text: text.into(), location: script_location(lua) })
}

/// redis.call (`raise_error`) and redis.pcall: runs the command through the run's `raw`
/// function (set by the engine for the length of a run). Returns the reply, and whether
/// the C function in front (see [`forward`]) must raise it: redis.call raises a failed
/// command's error table itself, as Redis 7 does (a script's `pcall` gets its `err`
/// string, an `xpcall` handler the table).
fn call(lua: &Lua, hidden: &Table, args: CallArgs, raise_error: bool) -> mlua::Result<(Value, bool)> {
    let resp: i64 = hidden.get("resp")?;
    let (reply, failed) = call_raw(lua, hidden, resp, args)?;
    Ok((reply, failed && raise_error))
}

/// Where redis.call's and redis.pcall's Rust functions are kept (in Lua's registry) for
/// the C functions in front of them (see [`forward`]): direct, and packed.
const CALL: [&CStr; 2] = [c"aegisr.call", c"aegisr.call.packed"];
const PCALL: [&CStr; 2] = [c"aegisr.pcall", c"aegisr.pcall.packed"];

/// The C function scripts see as redis.call (`keys` = [`CALL`]) or redis.pcall: it calls
/// the Rust function with the arguments, or, past [`PACK_ABOVE`] of them, with their count
/// and a table of them, then returns the reply or raises it (see [`call`]). A Rust
/// function cannot receive more than about 8000 arguments (mlua
/// checks for stack room first) where Redis's C function takes them all; and a C function,
/// unlike a Lua wrapper, keeps the calling script line on the stack even when the script
/// tail-calls it (`return redis.call(...)`), which error replies name.
///
/// # Safety
/// Called by Lua as a C function, with `keys` naming functions stored in the registry.
unsafe fn forward(state: *mut ffi::lua_State, keys: [&CStr; 2]) -> c_int {
    // SAFETY (all calls below): `state` is the running Lua state calling this C function;
    // Lua guarantees LUA_MINSTACK (20) free slots to a C function, and at most four are
    // pushed here beyond the arguments.
    unsafe {
        let count = ffi::lua_gettop(state);
        if usize::try_from(count).is_ok_and(|n| n <= PACK_ABOVE) {
            ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, keys[0].as_ptr());
            ffi::lua_insert(state, 1);
            ffi::lua_call(state, count, 2);
        } else {
            ffi::lua_createtable(state, count, 0);
            for i in 1..=count {
                ffi::lua_pushvalue(state, i);
                ffi::lua_rawseti(state, -2, ffi::lua_Integer::from(i));
            }
            ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, keys[1].as_ptr());
            ffi::lua_pushinteger(state, ffi::lua_Integer::from(count));
            ffi::lua_pushvalue(state, -3);
            ffi::lua_call(state, 2, 2);
        }
        // (reply, raise): raised, the reply is the error value; nothing here owns
        // anything a longjmp out of this frame would skip.
        let raise = ffi::lua_toboolean(state, -1) != 0;
        ffi::lua_settop(state, -2);
        if raise {
            ffi::lua_error(state);
        }
        1
    }
}

/// Where the global `pcall` finds the Rust function that turns an error raised from Rust
/// into its message.
const ERROR_MESSAGE: &CStr = c"aegisr.error_message";

/// The global `pcall` scripts see, as Redis's `luaRedisPcall`: Lua's pcall, except that a
/// caught error table gives its `err` string (what `pcall(redis.call, ...)` returns in
/// Redis 7), and an error raised from Rust (an argument error of the `redis` API) its
/// message.
///
/// # Safety
/// Called by Lua as a C function, after [`install_pcall`] stored [`ERROR_MESSAGE`].
unsafe extern "C-unwind" fn script_pcall(state: *mut ffi::lua_State) -> c_int {
    // SAFETY (all calls below): `state` is the running Lua state calling this C function;
    // after the call below at most three values are on the stack (the placeholder and the
    // error, then the function and its argument), within the LUA_MINSTACK (20) slots Lua
    // guarantees; before it, one more than the arguments, checked.
    unsafe {
        ffi::luaL_checkany(state, 1);
        ffi::luaL_checkstack(state, 1, std::ptr::null());
        let count = ffi::lua_gettop(state);
        // The placeholder for the status, below the function and its arguments.
        ffi::lua_pushboolean(state, 1);
        ffi::lua_insert(state, 1);
        if ffi::lua_pcall(state, count - 1, ffi::LUA_MULTRET, 0) == 0 {
            return ffi::lua_gettop(state);
        }
        // [placeholder, error]
        if ffi::lua_istable(state, -1) != 0 {
            ffi::lua_getfield(state, -1, c"err".as_ptr());
            if ffi::lua_isstring(state, -1) != 0 {
                ffi::lua_replace(state, -2);
            } else {
                ffi::lua_settop(state, -2);
            }
        } else if ffi::lua_isuserdata(state, -1) != 0 {
            ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, ERROR_MESSAGE.as_ptr());
            ffi::lua_insert(state, -2);
            ffi::lua_call(state, 1, 1);
        }
        ffi::lua_pushboolean(state, 0);
        ffi::lua_replace(state, 1);
        2
    }
}

/// Replaces the global `pcall` with [`script_pcall`].
fn install_pcall(lua: &Lua) -> mlua::Result<()> {
    // An error raised from Rust reaches Lua as userdata; its message is what Redis's C
    // function would have raised. Any other value is kept.
    let message = lua.create_function(|lua, value: Value| match value {
        Value::Error(error) => Ok(Value::String(lua.create_string(super::engine::error_message(&error))?)),
        other => Ok(other),
    })?;
    lua.set_named_registry_value(&ERROR_MESSAGE.to_string_lossy(), message)?;
    // SAFETY: `script_pcall` follows the C function protocol and finds its Rust function
    // in the registry, stored just above.
    let pcall = unsafe { lua.create_c_function(script_pcall) }?;
    lua.globals().raw_set("pcall", pcall)
}

unsafe extern "C-unwind" fn forward_call(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua calls this as the C function redis.call, installed by `install_call`.
    unsafe { forward(state, CALL) }
}

unsafe extern "C-unwind" fn forward_pcall(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: as `forward_call`, for redis.pcall.
    unsafe { forward(state, PCALL) }
}

/// redis.call (`raise_error`) or redis.pcall: the Rust functions in the registry, and the
/// C function in front of them (see [`forward`]).
fn install_call(lua: &Lua, hidden: Table, raise_error: bool) -> mlua::Result<mlua::Function> {
    let h = hidden.clone();
    let direct =
        lua.create_function(move |lua, args: MultiValue| call(lua, &h, CallArgs::Listed(args), raise_error))?;
    let packed = lua.create_function(move |lua, (count, args): (i64, Table)| {
        call(lua, &hidden, CallArgs::Packed(count, args), raise_error)
    })?;
    let keys = if raise_error { CALL } else { PCALL };
    lua.set_named_registry_value(&keys[0].to_string_lossy(), direct)?;
    lua.set_named_registry_value(&keys[1].to_string_lossy(), packed)?;
    let front: ffi::lua_CFunction = if raise_error { forward_call } else { forward_pcall };
    // SAFETY: `forward_call` and `forward_pcall` follow the C function protocol (see
    // `forward`) and find their Rust functions in the registry, stored just above.
    unsafe { lua.create_c_function(front) }
}

/// Commands with more arguments than this reach the run's `raw` function in one table:
/// pushed one by one they could pass Lua's limit of 8000 values on a C function's stack
/// (a script may call `redis.call('lpush', key, unpack(t))` with 7999 of them, as Redis's
/// tests do).
const PACK_ABOVE: usize = 1000;

/// A call's arguments: listed, or in a table with their count (nil ones included).
enum CallArgs {
    Listed(MultiValue),
    Packed(i64, Table),
}

/// Calls the run's `raw` function as (resp, count, table) when the arguments are packed,
/// else (resp, 0, arguments...): (reply, whether it is an error).
fn call_raw(lua: &Lua, hidden: &Table, resp: i64, args: CallArgs) -> mlua::Result<(Value, bool)> {
    let raw: mlua::Function = hidden.get("raw")?;
    let args = match args {
        CallArgs::Listed(listed) if listed.len() > PACK_ABOVE => {
            CallArgs::Packed(i64::try_from(listed.len()).unwrap_or(i64::MAX), lua.create_sequence_from(listed)?)
        }
        other => other,
    };
    match args {
        CallArgs::Listed(listed) => {
            let mut call_args = MultiValue::with_capacity(listed.len() + 2);
            call_args.push_back(Value::Integer(resp));
            call_args.push_back(Value::Integer(0));
            call_args.extend(listed);
            raw.call(call_args)
        }
        CallArgs::Packed(count, table) => raw.call((resp, count, table)),
    }
}

/// The constants and `redis.log` every `redis` table has (scripts', and a library's at
/// load time).
fn install_common(lua: &Lua, redis: &Table) -> mlua::Result<()> {
    redis.set("REDIS_VERSION", crate::commands::REDIS_VERSION)?;
    redis.set("REDIS_VERSION_NUM", version_num(crate::commands::REDIS_VERSION))?;
    for (name, value) in [("LOG_DEBUG", 0), ("LOG_VERBOSE", 1), ("LOG_NOTICE", 2), ("LOG_WARNING", 3)] {
        redis.set(name, value)?;
    }
    redis.set("log", lua.create_function(log)?)?;
    Ok(())
}

/// The globals a function library's code sees while it loads, as Redis's: only `redis`,
/// with `register_function`, `log` and the constants (the sandbox makes reading anything
/// else an error).
pub fn install_load_api(lua: &Lua, registered: Registry) -> mlua::Result<Table> {
    let redis = lua.create_table()?;
    install_common(lua, &redis)?;
    redis.set(
        "register_function",
        lua.create_function(move |lua, args: MultiValue| register_function(lua, &registered, args))?,
    )?;
    let api = lua.create_table()?;
    api.set("redis", redis)?;
    Ok(api)
}

/// Where `redis.register_function` puts what it registers: `None` outside FUNCTION LOAD.
pub type Registry = std::sync::Arc<parking_lot::Mutex<Option<Vec<super::engine::Registered>>>>;

/// An error `redis.register_function` raises: "ERR " and Redis's text.
fn load_error<T>(text: &str) -> mlua::Result<T> {
    Err(mlua::Error::RuntimeError(format!("ERR {text}")))
}

/// A string argument as Lua's `lua_isstring` accepts it: a string or a number.
fn lua_string(lua: &Lua, value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(_) | Value::Number(_) => {
            lua.coerce_string(value.clone()).ok().flatten().map(|s| s.as_bytes().to_vec())
        }
        _ => None,
    }
}

/// redis.register_function(name, callback) or redis.register_function{function_name=,
/// callback=, flags=, description=}, with Redis's checks and errors.
fn register_function(lua: &Lua, registry: &Registry, args: MultiValue) -> mlua::Result<()> {
    if registry.lock().is_none() {
        return load_error("redis.register_function can only be called on FUNCTION LOAD command");
    }
    let mut args = args.into_iter();
    let (first, second) = (args.next(), args.next());
    if first.is_none() || args.next().is_some() {
        return load_error("wrong number of arguments to redis.register_function");
    }
    let mut name = None;
    let mut description = None;
    let mut callback = None;
    let mut flags = super::ScriptFlags { declared: true, ..Default::default() };
    match (first, second) {
        (Some(first), Some(second)) => {
            let Some(n) = lua_string(lua, &first) else {
                return load_error("first argument to redis.register_function must be a string");
            };
            let Value::Function(f) = second else {
                return load_error("second argument to redis.register_function must be a function");
            };
            name = Some(n);
            callback = Some(f);
        }
        (Some(Value::Table(named)), None) => {
            for pair in named.pairs::<Value, Value>() {
                let (key, value) = pair?;
                let Some(key) = lua_string(lua, &key) else {
                    return load_error("named argument key given to redis.register_function is not a string");
                };
                if key.eq_ignore_ascii_case(b"function_name") {
                    let Some(n) = lua_string(lua, &value) else {
                        return load_error("function_name argument given to redis.register_function must be a string");
                    };
                    name = Some(n);
                } else if key.eq_ignore_ascii_case(b"description") {
                    let Some(d) = lua_string(lua, &value) else {
                        return load_error("description argument given to redis.register_function must be a string");
                    };
                    description = Some(bytes::Bytes::from(d));
                } else if key.eq_ignore_ascii_case(b"callback") {
                    let Value::Function(f) = value else {
                        return load_error("callback argument given to redis.register_function must be a function");
                    };
                    callback = Some(f);
                } else if key.eq_ignore_ascii_case(b"flags") {
                    let Value::Table(list) = value else {
                        return load_error(
                            "flags argument to redis.register_function must be a table representing function flags",
                        );
                    };
                    for i in 1.. {
                        let flag = list.get::<Value>(i)?;
                        if flag.is_nil() {
                            break;
                        }
                        let known = lua_string(lua, &flag).is_some_and(|f| flags.set(&String::from_utf8_lossy(&f)));
                        if !known {
                            return load_error("unknown flag given");
                        }
                    }
                } else {
                    return load_error("unknown argument given to redis.register_function");
                }
            }
        }
        _ => {
            return load_error(
                "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
            );
        }
    }
    let Some(name) = name else {
        return load_error("redis.register_function must get a function name argument");
    };
    let Some(callback) = callback else {
        return load_error("redis.register_function must get a callback argument");
    };
    let name = String::from_utf8_lossy(&name).into_owned();
    if !super::shebang::valid_name(&name) {
        return load_error(
            "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        );
    }
    let mut registry = registry.lock();
    let Some(list) = registry.as_mut() else {
        return load_error("redis.register_function can only be called on FUNCTION LOAD command");
    };
    if list.iter().any(|f| f.name == name) {
        return load_error("Function already exists in the library");
    }
    list.push(super::engine::Registered { name, description, flags, callback });
    Ok(())
}

pub fn install(lua: &Lua, hidden: &Table) -> mlua::Result<()> {
    let redis = lua.create_table()?;
    install_common(lua, &redis)?;
    for (name, value) in [("REPL_NONE", 0), ("REPL_AOF", 1), ("REPL_SLAVE", 2), ("REPL_REPLICA", 2), ("REPL_ALL", 3)] {
        redis.set(name, value)?;
    }
    redis.set("error_reply", lua.create_function(|lua, value: Value| reply_table(lua, "err", value))?)?;
    redis.set("status_reply", lua.create_function(|lua, value: Value| reply_table(lua, "ok", value))?)?;
    redis.set(
        "sha1hex",
        lua.create_function(|_, args: MultiValue| match args.front() {
            Some(Value::String(s)) if args.len() == 1 => Ok(super::sha1_hex(&s.as_bytes())),
            Some(v @ (Value::Integer(_) | Value::Number(_))) if args.len() == 1 => {
                Ok(super::sha1_hex(v.to_string()?.as_bytes()))
            }
            _ => Err(mlua::Error::RuntimeError("ERR wrong number of arguments".into())),
        })?,
    )?;
    let h = hidden.clone();
    redis.set(
        "acl_check_cmd",
        lua.create_function(move |lua, args: MultiValue| {
            let (reply, failed) = call_raw(lua, &h, super::engine::ACL_CHECK, CallArgs::Listed(args))?;
            match reply {
                Value::Table(t) if failed => {
                    Err(mlua::Error::RuntimeError(t.raw_get::<String>("err").unwrap_or_default()))
                }
                Value::Integer(n) => Ok(n == 1),
                _ => Ok(false),
            }
        })?,
    )?;
    install_pcall(lua)?;
    let h = hidden.clone();
    redis.set("call", install_call(lua, h, true)?)?;
    let h = hidden.clone();
    redis.set("pcall", install_call(lua, h, false)?)?;
    let h = hidden.clone();
    redis.set(
        "setresp",
        lua.create_function(move |lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(raise(lua, "ERR redis.setresp() requires one argument."));
            }
            match args.front() {
                Some(Value::Integer(n @ (2 | 3))) => h.set("resp", *n),
                Some(Value::Number(n)) if *n == 2.0 || *n == 3.0 => h.set("resp", *n as i64),
                _ => Err(raise(lua, "ERR RESP version must be 2 or 3.")),
            }
        })?,
    )?;
    redis.set(
        "set_repl",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                // Redis's wording, though the function takes one.
                return Err(raise(lua, "ERR redis.set_repl() requires two arguments."));
            }
            let valid = match args.front() {
                Some(Value::Integer(n)) => (0..=3).contains(n),
                Some(Value::Number(n)) => (0.0..=3.0).contains(n) && n.fract() == 0.0,
                _ => false,
            };
            if !valid {
                return Err(raise(
                    lua,
                    "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                ));
            }
            // Effects are what is logged anyway: nothing to change.
            Ok(())
        })?,
    )?;
    redis.set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    redis.set("breakpoint", lua.create_function(|_, ()| Ok(false))?)?;
    redis.set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    lua.globals().set("redis", redis)?;
    Ok(())
}

/// `7.0.15` -> 0x07000f, as Redis's REDIS_VERSION_NUM.
fn version_num(version: &str) -> i64 {
    let mut parts = version.split('.').map(|p| p.parse::<i64>().unwrap_or(0));
    let (major, minor, patch) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major << 16) | (minor << 8) | patch
}

/// redis.error_reply / redis.status_reply: {err=...} (with an error code: "ERR " unless
/// the text starts with "-CODE") or {ok=...}. A wrong argument is returned as an error
/// table, not raised, as Redis.
fn reply_table(lua: &Lua, field: &str, value: Value) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    let Value::String(text) = value else {
        table.set("err", "ERR wrong number or type of arguments")?;
        return Ok(table);
    };
    if field == "ok" {
        table.set("ok", text)?;
        return Ok(table);
    }
    // Redis puts a '-' in front if missing, then reads "-CODE message"; with no space,
    // the code is ERR.
    let text = text.to_string_lossy();
    let rest = text.strip_prefix('-').unwrap_or(&text);
    let (code, message) = rest.split_once(' ').unwrap_or(("ERR", rest));
    table.set("err", format!("{code} {}", message.trim_end_matches(['\r', '\n'])))?;
    Ok(table)
}

/// redis.log(level, message...): to the server's log.
fn log(lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    if args.len() < 2 {
        return Err(mlua::Error::RuntimeError("ERR redis.log() requires two arguments or more.".into()));
    }
    let mut args = args.into_iter();
    let level = match args.next() {
        Some(Value::Integer(n)) => n as f64,
        Some(Value::Number(n)) => n,
        _ => return Err(mlua::Error::RuntimeError("ERR First argument must be a number (log level).".into())),
    };
    if !(0.0..=3.0).contains(&level) {
        return Err(mlua::Error::RuntimeError("ERR Invalid debug level.".into()));
    }
    let words: Vec<String> =
        args.filter_map(|v| lua.coerce_string(v).ok().flatten().map(|s| s.to_string_lossy())).collect();
    let message = words.join(" ");
    match level as i64 {
        0 => tracing::debug!(target: "script", "{message}"),
        1 => tracing::info!(target: "script", "{message}"),
        2 => tracing::info!(target: "script", "{message}"),
        _ => tracing::warn!(target: "script", "{message}"),
    }
    Ok(())
}
