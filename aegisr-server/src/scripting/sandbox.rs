//! The sandbox scripts run in, as Redis 7's: no `os`, `io`, `loadfile`, `dofile`, `print`,
//! `setfenv`/`getfenv`, `module`/`require` or `debug`; globals read-only ("Attempt to modify
//! a readonly table"), reading a missing global an error; the libraries scripts use
//! (`redis`, `string`, `table`, `math`, `bit`, `cjson`, `cmsgpack`, `struct`, `coroutine`)
//! read-only too, `setmetatable` on any of them refused; `loadstring` and `load` take
//! source only (a precompiled chunk gets nil), as in Redis.
//!
//! Redis patches its Lua to mark tables read-only; stock Lua 5.1 has no such flag, so here
//! scripts run in an empty proxy environment whose metatable reads through to the real
//! globals and refuses writes, and each library table is replaced by such a proxy. The
//! difference shows only to `pairs()` over `_G` or a library, which sees an empty table.

use mlua::{Function, Lua, Table};

/// Chunk names of the sandbox's own Lua code: error locations skip its frames.
pub const INTERNAL_CHUNK: &str = "=aegisr";

const SANDBOX: &str = r#"
local globals, load_api = ...
local rawget, rawset, error, setmetatable, tostring, type, setfenv, loadstring, load, sub, concat =
      rawget, rawset, error, setmetatable, tostring, type, setfenv, loadstring, load, string.sub, table.concat
local protected = {}
local function refuse() error("Attempt to modify a readonly table", 2) end
-- What getmetatable() shows of a protected table: itself read-only, as Redis's are.
local shown = setmetatable({}, { __newindex = refuse, __metatable = false })
protected[shown] = true
local function readonly(real)
  local proxy = setmetatable({}, {
    __index = real,
    __newindex = refuse,
    __metatable = shown,
  })
  protected[proxy] = true
  return proxy
end
for _, name in ipairs({"os", "io", "loadfile", "dofile", "print", "module", "require", "package",
                       "getfenv", "setfenv", "newproxy", "debug"}) do
  globals[name] = nil
end
-- A read-only table whose names are looked up by `lookup`; reading one it lacks is an
-- error: the scripts' globals, a library's `redis` at load time (which lacks redis.call),
-- and the environment libraries are compiled in.
local function strict(lookup)
  local proxy = setmetatable({}, {
    __index = function(_, key)
      local value = lookup(key)
      if value == nil then
        error("Script attempted to access nonexistent global variable '" .. tostring(key) .. "'", 2)
      end
      return value
    end,
    __newindex = refuse,
    __metatable = shown,
  })
  protected[proxy] = true
  return proxy
end
local function names_of(real) return function(key) return rawget(real, key) end end
local env = strict(names_of(globals))
globals._G = env
globals.rawset = function(t, k, v)
  if protected[t] then error("Attempt to modify a readonly table", 0) end
  return rawset(t, k, v)
end
globals.setmetatable = function(t, m)
  if protected[t] then error("Attempt to modify a readonly table", 0) end
  return setmetatable(t, m)
end
-- Code loaded by a script runs in the same sandbox, and is source only: precompiled
-- chunks (which can break the VM) are refused, as Redis refuses them.
local BINARY = "\27"
globals.loadstring = function(chunk, name)
  if type(chunk) == "string" and sub(chunk, 1, 1) == BINARY then
    return nil, "attempt to load a binary chunk"
  end
  local f, err = loadstring(chunk, name)
  if f then setfenv(f, env) end
  return f, err
end
globals.load = function(reader, name)
  if type(reader) ~= "function" then return load(reader, name) end
  local parts = {}
  while true do
    local part = reader()
    if part == nil or part == "" then break end
    if type(part) ~= "string" then return nil, "reader function must return a string" end
    parts[#parts + 1] = part
  end
  return globals.loadstring(concat(parts), name or "=(load)")
end
-- Libraries show no metatable (Redis marks the tables themselves read-only); only _G
-- does, itself read-only.
local libraries = {}
for _, name in ipairs({"redis", "string", "table", "math", "coroutine", "bit", "cjson", "cmsgpack", "struct"}) do
  if type(globals[name]) == "table" then
    globals[name] = readonly(globals[name])
    libraries[globals[name]] = true
  end
end
local getmetatable = getmetatable
globals.getmetatable = function(t)
  if libraries[t] then return nil end
  return getmetatable(t)
end
load_api.redis = strict(names_of(load_api.redis))
-- Function libraries are compiled in `fenv`: while one loads it reads the load-time API,
-- afterwards (when its functions run) the globals, as Redis swaps its globals' __index.
local loading = false
local fenv = strict(function(key) return rawget(loading and load_api or globals, key) end)
local function set_loading(on) loading = on end
return env, fenv, set_loading
"#;

/// Locks the globals down; returns the environment scripts run in, the one function
/// libraries are compiled in (reading `load_api` while one loads), and the function that
/// switches the latter between loading and running.
pub fn install(lua: &Lua, load_api: &Table) -> mlua::Result<(Table, Table, Function)> {
    lua.load(SANDBOX).set_name(INTERNAL_CHUNK).call((lua.globals(), load_api))
}
