//! The Lua state: compiling scripts into the cache, and running one with its KEYS, ARGV and
//! a `redis.call` that reaches the calling command's context for the length of the run.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use bytes::Bytes;
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};

use super::convert::ReplyErrors;
use super::shebang::{self, ScriptFlags};
use super::{HOOK_INSTRUCTIONS, RunState, api, convert, sandbox};
use crate::reply::{Reply, ReplySink};

/// The chunk name Redis gives scripts: errors read `user_script:1: ...`.
const CHUNK_NAME: &str = "@user_script";

/// The chunk name Redis gives function libraries.
const FUNCTION_CHUNK_NAME: &str = "@user_function";

/// How long a library's code may run at FUNCTION LOAD, as Redis's `LOAD_TIMEOUT_MS`.
const LOAD_TIMEOUT_MS: i64 = 500;

/// Calls a function's callback with its keys and arguments under `xpcall` (Lua 5.1's
/// `xpcall` passes no arguments).
const CALL_WITH: &str = r#"
local xpcall = xpcall
return function(f, handler, keys, args)
  return xpcall(function() return f(keys, args) end, handler)
end
"#;

/// Redis's text when SCRIPT KILL stops a script.
const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";

/// The Lua state and its compiled scripts.
pub struct Engine {
    lua: Lua,
    scripts: HashMap<String, (Function, ScriptFlags)>,
    /// Where the run's `redis.call` (`raw`) and protocol (`resp`) are kept.
    hidden: Table,
    /// The real globals: KEYS and ARGV are set here, scripts see them through `env`.
    globals: Table,
    /// The read-only view of the globals scripts run in.
    env: Table,
    xpcall: Function,
    /// Turns any error into Redis's error table {err=, source=, line=}.
    handler: Function,
    /// The environment function libraries are compiled in: the load-time API while a
    /// library loads (`set_loading(true)`), the globals afterwards.
    fenv: Table,
    set_loading: Function,
    call_with: Function,
    /// What `redis.register_function` registers while a library loads.
    registered: Arc<parking_lot::Mutex<Option<Vec<Registered>>>>,
    /// Milliseconds since the epoch after which a loading library is stopped; 0: none.
    load_deadline: Arc<AtomicI64>,
    /// The callbacks of the loaded functions, by lowercased name.
    callbacks: HashMap<String, Function>,
    /// Bytes of the cached scripts' bodies (INFO's used_memory_scripts_eval).
    script_bytes: usize,
}

/// The hook that watches every run: every [`HOOK_INSTRUCTIONS`] instructions it lets the
/// node answer others (BUSY), stops a library that loads for too long, and raises Redis's
/// error once SCRIPT KILL or FUNCTION KILL asked. From then on (`killing`) it also fires on
/// every line, as Redis's does, so a script that catches the error with pcall and loops is
/// stopped at its next line outside the pcall; the next run's first line puts it back.
fn install_hook(lua: &Lua, run: Arc<RunState>, deadline: Arc<AtomicI64>, killing: bool) -> mlua::Result<()> {
    let every = HookTriggers::new().every_nth_instruction(HOOK_INSTRUCTIONS);
    let triggers = if killing { every.every_line() } else { every };
    lua.set_hook(triggers, move |lua, _debug| {
        if run.kill_requested() {
            if !killing {
                install_hook(lua, run.clone(), deadline.clone(), true)?;
            }
            return Err(mlua::Error::RuntimeError(KILLED.to_owned()));
        }
        if killing {
            install_hook(lua, run.clone(), deadline.clone(), false)?;
        }
        run.on_hook();
        let until = deadline.load(Ordering::Relaxed);
        if until != 0 && crate::engine::wall_ms() > until {
            return Err(mlua::Error::RuntimeError("ERR FUNCTION LOAD timeout".to_owned()));
        }
        Ok(VmState::Continue)
    })
}

/// A function a library registered while it loaded.
pub struct Registered {
    pub name: String,
    pub description: Option<bytes::Bytes>,
    pub flags: ScriptFlags,
    pub callback: Function,
}

/// A script compiled from a body.
pub struct Compiled {
    pub sha: String,
    pub flags: ScriptFlags,
}

/// Why a run failed: the error reply, whole (`ERR ... script: <sha>, on @user_script:1.`),
/// and whether it passes on the error of a command the script called (counted in the
/// error statistics already, when that command replied).
#[derive(Debug)]
pub struct RunError {
    pub text: String,
    pub passed_on: bool,
}

impl RunError {
    fn new(text: impl Into<String>) -> RunError {
        RunError { text: text.into(), passed_on: false }
    }
}

impl Engine {
    pub fn new(run: Arc<RunState>) -> mlua::Result<Engine> {
        let lua = Lua::new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH, LuaOptions::default())?;
        let hidden = lua.create_table()?;
        hidden.set("resp", 2)?;
        api::install(&lua, &hidden)?;
        super::bit::install(&lua)?;
        super::cjson::install(&lua)?;
        super::cmsgpack::install(&lua)?;
        super::lua_struct::install(&lua)?;
        let registered = Arc::new(parking_lot::Mutex::new(None));
        let load_api = api::install_load_api(&lua, registered.clone())?;
        let (env, fenv, set_loading) = sandbox::install(&lua, &load_api)?;
        let globals = lua.globals();
        let xpcall: Function = globals.raw_get("xpcall")?;
        let handler = lua.create_function(error_table)?;
        let call_with: Function = lua.load(CALL_WITH).set_name(sandbox::INTERNAL_CHUNK).call(())?;
        let load_deadline = Arc::new(AtomicI64::new(0));
        install_hook(&lua, run, load_deadline.clone(), false)?;
        Ok(Engine {
            lua,
            scripts: HashMap::new(),
            hidden,
            globals,
            env,
            xpcall,
            handler,
            fenv,
            set_loading,
            call_with,
            registered,
            load_deadline,
            callbacks: HashMap::new(),
            script_bytes: 0,
        })
    }

    /// Compiles and runs a library's code (`code`, whose first line `meta` describes) with
    /// the load-time API: the functions it registers, not yet callable (see
    /// [`Engine::install_functions`]). The error is Redis's text without its "ERR " code.
    pub fn compile_library(&mut self, meta: &shebang::LibraryMeta, code: &[u8]) -> Result<Vec<Registered>, String> {
        let body = code.get(meta.body_start..).unwrap_or_default();
        let chunk = self
            .lua
            .load(body)
            .set_name(FUNCTION_CHUNK_NAME)
            .set_environment(self.fenv.clone())
            .into_function()
            .map_err(|e| format!("Error compiling function: {}", compile_message(&e)))?;
        *self.registered.lock() = Some(Vec::new());
        self.load_deadline.store(crate::engine::wall_ms() + LOAD_TIMEOUT_MS, Ordering::Relaxed);
        let loading = self.set_loading.call::<()>(true);
        let outcome = loading.and_then(|()| self.xpcall.call::<MultiValue>((chunk, self.handler.clone())));
        let _ = self.set_loading.call::<()>(false);
        self.load_deadline.store(0, Ordering::Relaxed);
        let registered = self.registered.lock().take().unwrap_or_default();
        let results = outcome.map_err(|e| format!("Error registering functions: {e}"))?;
        let mut results = results.into_iter();
        if !matches!(results.next(), Some(Value::Boolean(true))) {
            let err = match results.next() {
                Some(Value::Table(t)) => t.raw_get::<String>("err").unwrap_or_else(|_| "ERR unknown error".into()),
                _ => "ERR unknown error".into(),
            };
            return Err(format!("Error registering functions: {}", err.strip_prefix('-').unwrap_or(&err)));
        }
        if registered.is_empty() {
            return Err("No functions registered".into());
        }
        Ok(registered)
    }

    /// Makes functions callable (`add`) and forgets others (`remove`).
    pub fn install_functions(&mut self, remove: impl IntoIterator<Item = String>, add: Vec<(String, Function)>) {
        use super::functions::function_key;
        for name in remove {
            self.callbacks.remove(&function_key(&name));
        }
        self.callbacks.extend(add.into_iter().map(|(name, callback)| (function_key(&name), callback)));
    }

    /// Forgets every function.
    pub fn clear_functions(&mut self) {
        self.callbacks.clear();
    }

    /// Runs function `name` with its `keys` and `argv`, as [`Engine::run`] a script.
    pub fn run_function(
        &mut self,
        name: &str,
        keys: &[&[u8]],
        argv: &[&[u8]],
        call: &mut dyn FnMut(Call, Vec<Bytes>) -> Reply,
        out: &mut dyn ReplySink,
    ) -> Result<ReplyErrors, RunError> {
        let Some(callback) = self.callbacks.get(&super::functions::function_key(name)).cloned() else {
            return Err(RunError::new("ERR Function not found"));
        };
        self.run_target(Target::Function(callback), name, keys, argv, call, out)
    }

    pub fn has(&self, sha: &str) -> bool {
        self.scripts.contains_key(sha)
    }

    pub fn script_count(&self) -> usize {
        self.scripts.len()
    }

    pub fn script_bytes(&self) -> usize {
        self.script_bytes
    }

    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }

    /// Compiles `body` into the cache (once per digest). The error is Redis's text without
    /// its "ERR " code: `Error compiling script (new function): user_script:1: ...`.
    pub fn compile(&mut self, body: &[u8]) -> Result<Compiled, String> {
        let sha = super::sha1_hex(body);
        if let Some((_, flags)) = self.scripts.get(&sha) {
            return Ok(Compiled { sha, flags: *flags });
        }
        let (flags, code) = shebang::parse(body)?;
        let function = self
            .lua
            .load(code.as_deref().unwrap_or(body))
            .set_name(CHUNK_NAME)
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| format!("Error compiling script (new function): {}", compile_message(&e)))?;
        self.scripts.insert(sha.clone(), (function, flags));
        self.script_bytes += body.len() + sha.len();
        Ok(Compiled { sha, flags })
    }

    /// The flags of cached script `sha`, if cached.
    pub fn flags(&self, sha: &str) -> Option<ScriptFlags> {
        self.scripts.get(sha).map(|(_, flags)| *flags)
    }

    /// Runs cached script `sha` and writes its reply into `out`. `call` runs one Redis
    /// command from the script, or only checks it against the caller's ACL rules
    /// (`redis.acl_check_cmd`), and returns its reply.
    pub fn run(
        &mut self,
        sha: &str,
        keys: &[&[u8]],
        argv: &[&[u8]],
        call: &mut dyn FnMut(Call, Vec<Bytes>) -> Reply,
        out: &mut dyn ReplySink,
    ) -> Result<ReplyErrors, RunError> {
        let Some(function) = self.scripts.get(sha).map(|(f, _)| f.clone()) else {
            return Err(RunError::new("NOSCRIPT No matching script. Please use EVAL."));
        };
        self.run_target(Target::Script(function), sha, keys, argv, call, out)
    }

    /// Runs a script (KEYS and ARGV as globals) or a function (keys and arguments as its
    /// two arguments); `label` names it in errors (the script's digest, the function's name).
    fn run_target(
        &mut self,
        target: Target,
        label: &str,
        keys: &[&[u8]],
        argv: &[&[u8]],
        call: &mut dyn FnMut(Call, Vec<Bytes>) -> Reply,
        out: &mut dyn ReplySink,
    ) -> Result<ReplyErrors, RunError> {
        let lua_error = |e: mlua::Error| RunError::new(format!("ERR Error running script {label}: {e}"));
        let call = std::cell::RefCell::new(call);
        let outcome = self.lua.scope(|scope| {
            // (resp, packed, args...): `packed` > 0 is how many arguments one table holds.
            let raw = scope.create_function(|lua, (resp, packed, args): (i64, i64, MultiValue)| {
                let resp3 = resp == 3;
                let mode = if resp == ACL_CHECK { Call::AclCheck } else { Call::Run { resp3 } };
                let args = match (packed, args.front()) {
                    (1.., Some(Value::Table(t))) => {
                        (1..=packed).map(|i| t.raw_get::<Value>(i)).collect::<mlua::Result<MultiValue>>()?
                    }
                    _ => args,
                };
                let reply = match command_args(args) {
                    Ok(args) => (call.borrow_mut())(mode, args),
                    // The script's own mistake, not a command's reply: counted only if
                    // the script replies with it.
                    Err(message) => return Ok((Value::Table(convert::error_table(lua, message)?), true)),
                };
                let failed = matches!(reply, Reply::Error(_));
                Ok((convert::reply_to_lua(lua, reply, resp3)?, failed))
            })?;
            self.hidden.set("raw", raw)?;
            self.hidden.set("resp", 2)?;
            let keys = self.lua.create_sequence_from(
                keys.iter().map(|k| self.lua.create_string(k)).collect::<mlua::Result<Vec<_>>>()?,
            )?;
            let argv = self.lua.create_sequence_from(
                argv.iter().map(|a| self.lua.create_string(a)).collect::<mlua::Result<Vec<_>>>()?,
            )?;
            let results: MultiValue = match &target {
                Target::Script(function) => {
                    self.globals.raw_set("KEYS", keys)?;
                    self.globals.raw_set("ARGV", argv)?;
                    self.xpcall.call((function, self.handler.clone()))?
                }
                Target::Function(callback) => self.call_with.call((callback, self.handler.clone(), keys, argv))?,
            };
            self.hidden.set("raw", Value::Nil)?;
            let resp3 = self.hidden.get::<i64>("resp")? == 3;
            let mut results = results.into_iter();
            let ok = matches!(results.next(), Some(Value::Boolean(true)));
            let value = results.next().unwrap_or(Value::Nil);
            if ok { Ok(Ok(convert::lua_to_sink(&value, out, resp3))) } else { Ok(Err(final_error(&value, label))) }
        });
        // A run leaves nothing behind: no stray KEYS/ARGV, garbage collected in steps.
        let _ = self.globals.raw_set("KEYS", Value::Nil);
        let _ = self.globals.raw_set("ARGV", Value::Nil);
        outcome.map_err(lua_error)?
    }
}

/// What a run calls.
enum Target {
    Script(Function),
    Function(Function),
}

/// What the script's `call` does with a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// Run it (`redis.call`, `redis.pcall`); `resp3`: the protocol the script asked for.
    Run { resp3: bool },
    /// Only check it against the caller's ACL rules (`redis.acl_check_cmd`): the reply is
    /// an integer, 1 if allowed.
    AclCheck,
}

/// The `resp` value `redis.acl_check_cmd` passes to the hidden `raw` function.
pub const ACL_CHECK: i64 = -1;

/// A Lua number as `redis.call` passes it (Redis 7.0's `luaArgsToRedisArgv`): `%.17g`, as
/// a double reply prints it (9007199254740991 in full, not Lua's 9.007199254741e+15; 0.1 as
/// 0.10000000000000001); a NaN with its sign, as the C library prints it ("-nan" for 0/0).
fn number_arg(n: f64) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.to_owned();
    }
    crate::reply::format_double(n)
}

/// The arguments of a `redis.call`: strings, or numbers in full (see [`number_arg`]).
fn command_args(args: MultiValue) -> Result<Vec<Bytes>, &'static str> {
    if args.is_empty() {
        return Err("ERR Please specify at least one argument for this redis lib call");
    }
    let mut out = Vec::with_capacity(args.len());
    for arg in args {
        let bytes = match arg {
            Value::String(s) => Bytes::copy_from_slice(&s.as_bytes()),
            Value::Integer(n) => Bytes::from(n.to_string()),
            Value::Number(n) => Bytes::from(number_arg(n)),
            _ => return Err("ERR Lua redis lib command arguments must be strings or integers"),
        };
        out.push(bytes);
    }
    Ok(out)
}

/// A compile error's message as Lua wrote it (`user_script:1: '=' expected near 'x'`).
fn compile_message(error: &mlua::Error) -> String {
    match error {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// The message an error value carries (an mlua error raised from Rust, e.g. the kill),
/// and the location an error reply was raised from.
fn error_text(error: &mlua::Error) -> (String, Option<(String, usize)>) {
    match error {
        mlua::Error::RuntimeError(text) => (text.clone(), None),
        mlua::Error::CallbackError { cause, .. } => error_text(cause),
        mlua::Error::ExternalError(e) => match e.downcast_ref::<api::ErrorReply>() {
            Some(reply) => (reply.text.clone(), reply.location.clone()),
            None => (e.to_string(), None),
        },
        other => (other.to_string(), None),
    }
}

/// The xpcall handler, as Redis's `__redis__err__handler`: a table {err=, source=, line=}
/// whatever was raised; strings get the ERR code; source and line are those of the script
/// line that raised it.
fn error_table(lua: &Lua, error: Value) -> mlua::Result<Table> {
    let mut location = None;
    let table = match error {
        Value::Table(t) if matches!(t.raw_get::<Value>("err")?, Value::String(_)) => t,
        Value::Error(e) => {
            let (text, raised_at) = error_text(&e);
            location = raised_at;
            let t = lua.create_table()?;
            let is_reply = matches!(*e, mlua::Error::ExternalError(_))
                || matches!(&*e, mlua::Error::CallbackError { cause, .. } if matches!(**cause, mlua::Error::ExternalError(_)));
            t.set("err", if is_reply || text.starts_with("ERR ") { text } else { format!("ERR {text}") })?;
            t
        }
        other => {
            let t = lua.create_table()?;
            let text = lua.coerce_string(other.clone()).ok().flatten().map(|s| s.to_string_lossy());
            // Lua's tostring, as Redis's handler applies it.
            let text = text.unwrap_or_else(|| match &other {
                Value::Nil => "nil".to_owned(),
                Value::Boolean(b) => b.to_string(),
                _ => format!("{}: {:?}", other.type_name(), other.to_pointer()),
            });
            t.set("err", format!("ERR {text}"))?;
            t
        }
    };
    if let Some((source, line)) = location.or_else(|| api::script_location(lua)) {
        table.set("source", source)?;
        table.set("line", line)?;
    }
    Ok(table)
}

/// The client's error for a failed run: `<err> script: <sha>, on <source>:<line>.` (the
/// location when known), as Redis's `luaCallFunction`.
fn final_error(value: &Value, sha: &str) -> RunError {
    let Value::Table(t) = value else {
        return RunError::new(format!("ERR Error running script {sha}, execution failure"));
    };
    let err = t.raw_get::<String>("err").unwrap_or_else(|_| "ERR unknown error".into());
    let source = t.raw_get::<Option<String>>("source").ok().flatten();
    let line = t.raw_get::<Option<i64>>("line").ok().flatten();
    let err = err.strip_prefix('-').unwrap_or(&err).to_owned();
    let text = match (source, line) {
        (Some(source), Some(line)) => format!("{err} script: {sha}, on {source}:{line}."),
        _ => err,
    };
    RunError { text, passed_on: convert::passed_on(t) }
}

/// The message of an error raised from Rust, as a script's `pcall` gets it.
pub(super) fn error_message(error: &mlua::Error) -> String {
    error_text(error).0
}
