//! Lua scripting (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT), as Redis 7 embeds Lua 5.1,
//! and functions (FUNCTION, FCALL: [`functions`]), which have a Lua state of their own as
//! in Redis; what follows holds for both.
//!
//! One Lua state serves the whole node's scripts, behind a mutex. A script locks every shard while it
//! runs (it may touch keys it did not declare, and must look atomic to everyone), so
//! scripts run one at a time whatever the number of states; a single state keeps the
//! compiled scripts in one place, gives INFO one memory figure and SCRIPT FLUSH one thing to
//! reset, as in Redis. Lock order: the shards, then the state. SCRIPT LOAD takes the state
//! alone and never a shard after it, so no cycle is possible.
//!
//! What a running script shares with other threads (SCRIPT KILL, the BUSY check) is in
//! [`RunState`], atomics outside the state's mutex: a kill request raises a flag that the
//! instruction-count hook checks every [`HOOK_INSTRUCTIONS`] instructions.
//!
//! While a script runs, every other client is answered as Redis answers it, whichever
//! worker thread serves it, the script's own included, and with a single worker:
//!
//! - **Where a script runs.** The RESP door hands EVAL, EVALSHA, FCALL (and their _RO
//!   forms, and EXEC of a transaction that queued one) to `server::off_loop`: the worker's
//!   thread runs the command between two turns of its event loop, right after the turn
//!   that read it, so a short script costs no thread hop and no wake-up of another thread.
//!   The client's session (database, protocol, name, id, ACL user, MULTI state) goes with
//!   the command and comes back with its reply; the script's effects are journaled and
//!   replicated as one record as before ([`crate::commands`]' scripting family).
//! - **A long script.** The Lua hook (every [`HOOK_INSTRUCTIONS`] instructions) calls
//!   [`RunState::on_hook`]: once a script has run for [`LONG_SCRIPT_MS`], it asks the
//!   worker's stand-in thread to drive the worker's event loop until the script is done
//!   (`server::let_others_run`): the worker's other clients are served meanwhile, on the
//!   stand-in thread.
//! - **Other clients' commands** never wait on a shard lock the script holds (which would
//!   leave no way to answer them). The doors first wait, asynchronously, in
//!   [`RunState::busy_or_ended`] (`commands::wait_for_script`), as Redis reads no command
//!   before busy-reply-threshold; then, if the script still runs, the command gets the BUSY
//!   error ([`RunState::busy_now`]) unless it is flagged allow-busy: SCRIPT KILL, FUNCTION
//!   KILL and FUNCTION STATS answer at once, SHUTDOWN NOSAVE stops the node (the hook stops
//!   the script, even one that wrote), SHUTDOWN without NOSAVE gets BUSY. WATCH, UNWATCH
//!   and DISCARD of watched keys lock shards: they wait for the script's end. A client
//!   blocked on a key (BLPOP...) that the script wakes is served after the script, never
//!   answered BUSY. Background work on the control runtime (save rules, expiry, gRPC
//!   INFO and WatchStats) skips or waits for a running script rather than lock a shard.
//! - **The script's own client** waits for its reply; if it disconnects or is killed
//!   meanwhile, the script still runs to its end (or to SCRIPT KILL), as in Redis.
//!
//! A command on another worker that passed the BUSY check just as a script started would
//! find its shard taken and wait, blocking its worker, for the script's end. So a RESP
//! command runs admitted ([`RunState::admit`]), and a script marks itself running and
//! waits for the admitted commands of other threads before it takes the shards (see
//! [`admission`]). Left out: a script inside EXEC runs on the shards the transaction
//! already holds (so it cannot wait for others), gRPC commands are not admitted, and a
//! script sent over gRPC runs on the control runtime (its other work waits for it), not
//! off a worker's loop.

pub mod admission;
mod api;
mod bit;
mod cjson;
mod cmsgpack;
pub mod convert;
mod engine;
pub mod functions;
mod lib_args;
mod lua_struct;
mod sandbox;
mod shebang;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

pub use engine::{Call, Compiled, Engine, RunError};
pub use shebang::{FLAG_NAMES, ScriptFlags};

/// How often (in Lua VM instructions) a running script checks for SCRIPT KILL, as Redis.
pub const HOOK_INSTRUCTIONS: u32 = 100_000;

/// A script still running after this long (milliseconds on the wall clock, so 1-2 ms) is a
/// long one: its worker's other clients are served meanwhile (see [`RunState::on_hook`]).
pub const LONG_SCRIPT_MS: u64 = 2;

/// The node's scripting state.
pub struct Scripting {
    /// The Lua state and the compiled scripts. Created on first use.
    engine: parking_lot::Mutex<Option<Engine>>,
    pub run: Arc<RunState>,
    /// Cached scripts, for INFO (read without the state's lock).
    pub cached: AtomicUsize,
    /// Bytes the Lua state uses, as of its last use, for INFO.
    pub memory: AtomicUsize,
    /// Bytes of the cached scripts' bodies and digests, for INFO.
    pub script_bytes: AtomicUsize,
    /// Function libraries (FUNCTION, FCALL): a Lua state of their own, as in Redis.
    pub functions: functions::Functions,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call commands flagged noscript (for
    /// tests that need CLIENT LIST inside a script, as Redis's do).
    pub deny_disabled: std::sync::atomic::AtomicBool,
}

impl Scripting {
    /// `shutdown` stops a running script too: the node must be able to stop while one
    /// loops.
    pub fn new(shutdown: tokio_util::sync::CancellationToken) -> Scripting {
        Scripting {
            engine: parking_lot::Mutex::new(None),
            run: Arc::new(RunState { shutdown, ..RunState::default() }),
            cached: AtomicUsize::new(0),
            memory: AtomicUsize::new(0),
            script_bytes: AtomicUsize::new(0),
            functions: functions::Functions::default(),
            deny_disabled: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

/// The script running now, if any, as other threads see it.
#[derive(Default)]
pub struct RunState {
    running: AtomicBool,
    /// Milliseconds since the Unix epoch after which other clients get BUSY.
    busy_after_ms: AtomicU64,
    /// SCRIPT KILL asked the running script to stop.
    kill: AtomicBool,
    /// The running script has called a write command: it can no longer be killed.
    wrote: AtomicBool,
    shutdown: tokio_util::sync::CancellationToken,
    /// The running script is a function (FCALL): what FUNCTION STATS shows of it.
    function: parking_lot::Mutex<Option<RunningFunction>>,
    is_function: AtomicBool,
    /// Milliseconds since the Unix epoch when the running script started.
    started_ms: AtomicU64,
    /// The running script has asked its worker to let its other clients be served (see
    /// [`RunState::on_hook`]).
    released: AtomicBool,
    /// Notified when a script ends: other clients' commands wait on it (see
    /// [`RunState::busy_or_ended`]).
    ended: tokio::sync::Notify,
    /// The threads running a client's command now (see [`admission`]).
    admission: admission::Admission,
}

/// A function running now (FUNCTION STATS).
#[derive(Debug, Clone)]
pub struct RunningFunction {
    pub name: String,
    /// The FCALL that runs it.
    pub command: Vec<bytes::Bytes>,
    pub started: std::time::Instant,
}

/// What SCRIPT KILL or FUNCTION KILL found.
pub enum KillOutcome {
    Killed,
    NotBusy,
    Unkillable,
    /// A function runs and SCRIPT KILL was asked, or a script and FUNCTION KILL: the BUSY
    /// error naming the right command.
    WrongKind(&'static str),
}

/// The BUSY error while an EVAL script runs.
pub const BUSY_SCRIPT: &str = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
/// The BUSY error while a function runs.
pub const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

thread_local! {
    /// True on the thread running a script: its own commands never get BUSY.
    static IN_SCRIPT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is running a script (its commands are the script's).
pub fn in_script() -> bool {
    IN_SCRIPT.with(std::cell::Cell::get)
}

impl RunState {
    /// Marks a script as started; other clients get BUSY once `threshold_ms` have passed
    /// (0: at once, as Redis's busy-reply-threshold 0).
    pub(crate) fn start(&self, threshold_ms: u64) -> RunGuard<'_> {
        self.kill.store(false, Ordering::Relaxed);
        self.wrote.store(false, Ordering::Relaxed);
        self.released.store(false, Ordering::Relaxed);
        self.mark_running(threshold_ms);
        IN_SCRIPT.with(|s| s.set(true));
        RunGuard { state: self }
    }

    /// Marks a script as running from now, other clients getting BUSY after `threshold_ms`.
    /// Sequentially consistent: the half of [`admission`]'s protocol on the script's side.
    fn mark_running(&self, threshold_ms: u64) {
        let now = crate::engine::wall_ms().max(0) as u64;
        self.started_ms.store(now, Ordering::Relaxed);
        self.busy_after_ms.store(now + threshold_ms, Ordering::Relaxed);
        self.running.store(true, Ordering::SeqCst);
    }

    /// For a script about to lock every shard: marks a script as running, so other
    /// clients' commands wait for it from now on, then waits for those already admitted
    /// (see [`admission`]). [`RunState::start`] follows once the shards are held.
    pub(crate) fn announce(&self, threshold_ms: u64) {
        self.mark_running(threshold_ms);
        self.admission.wait_for_others();
    }

    /// Admits another client's command on this thread, to run now; `None` while a script
    /// runs or is about to (the caller waits for it, then asks again). Dropping the
    /// admission ends it: hold it only while the command runs, never across a wait.
    pub fn admit(&self) -> Option<admission::Admitted<'_>> {
        let admitted = self.admission.enter();
        if self.running.load(Ordering::SeqCst) && !in_script() {
            return None;
        }
        Some(admitted)
    }

    /// Admits a command that runs while a script runs: it gets BUSY, or is one a busy
    /// node still runs (SCRIPT KILL...), and touches no shard either way.
    pub fn admit_while_busy(&self) -> admission::Admitted<'_> {
        self.admission.enter()
    }

    /// Marks a function as started, as [`RunState::start`] a script.
    pub(crate) fn start_function(&self, threshold_ms: u64, running: RunningFunction) -> RunGuard<'_> {
        *self.function.lock() = Some(running);
        self.is_function.store(true, Ordering::Relaxed);
        self.start(threshold_ms)
    }

    /// The function running now, if a function runs.
    pub fn running_function(&self) -> Option<RunningFunction> {
        if !self.running.load(Ordering::Acquire) {
            return None;
        }
        self.function.lock().clone()
    }

    /// The BUSY error for other clients, naming the kill command for what runs.
    pub fn busy_error(&self) -> &'static str {
        if self.is_function.load(Ordering::Relaxed) { BUSY_FUNCTION } else { BUSY_SCRIPT }
    }

    /// Whether a script is running now.
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    pub(crate) fn note_write(&self) {
        self.wrote.store(true, Ordering::Relaxed);
    }

    /// Whether the running script has run a write command.
    pub(crate) fn wrote(&self) -> bool {
        self.wrote.load(Ordering::Relaxed)
    }

    /// Whether the running script was asked to stop (SCRIPT KILL, or the node shuts down).
    pub(crate) fn kill_requested(&self) -> bool {
        self.kill.load(Ordering::Relaxed) || self.shutdown.is_cancelled()
    }

    /// SCRIPT KILL (`function` false) or FUNCTION KILL (true).
    pub fn kill(&self, function: bool) -> KillOutcome {
        if !self.running.load(Ordering::Acquire) {
            return KillOutcome::NotBusy;
        }
        if self.wrote.load(Ordering::Relaxed) {
            return KillOutcome::Unkillable;
        }
        let running_function = self.is_function.load(Ordering::Relaxed);
        if running_function != function {
            return KillOutcome::WrongKind(if running_function { BUSY_FUNCTION } else { BUSY_SCRIPT });
        }
        self.kill.store(true, Ordering::Relaxed);
        KillOutcome::Killed
    }

    /// Called by the Lua hook of a running script (every [`HOOK_INSTRUCTIONS`]
    /// instructions, counted across runs): once a script has run for [`LONG_SCRIPT_MS`],
    /// its worker is asked, once, to let a stand-in thread serve the worker's other clients
    /// while it runs (see `server::workers`), so that they get BUSY and can SCRIPT KILL it.
    pub(crate) fn on_hook(&self) {
        if !self.running.load(Ordering::Relaxed) || self.released.load(Ordering::Relaxed) {
            return;
        }
        let now = crate::engine::wall_ms().max(0) as u64;
        if now.saturating_sub(self.started_ms.load(Ordering::Relaxed)) >= LONG_SCRIPT_MS
            && !self.released.swap(true, Ordering::Relaxed)
        {
            crate::server::let_others_run();
        }
    }

    /// For another client's command: whether it gets BUSY now, i.e. a script has run past
    /// busy-reply-threshold. Never blocks; one relaxed load when no script runs. The doors
    /// first wait (asynchronously) in [`RunState::busy_or_ended`] while the script is
    /// young, as Redis reads no command then.
    pub fn busy_now(&self) -> bool {
        if !self.running.load(Ordering::Relaxed) || in_script() {
            return false;
        }
        crate::engine::wall_ms().max(0) as u64 >= self.busy_after_ms.load(Ordering::Relaxed)
    }

    /// Whether a script run by another client (not this thread's) is running now.
    pub fn others_running(&self) -> bool {
        self.running.load(Ordering::Acquire) && !in_script()
    }

    /// Completes once no script runs or the running one has run past busy-reply-threshold
    /// (other clients then get BUSY). Waits without blocking the thread.
    pub async fn busy_or_ended(&self) {
        self.wait(true).await;
    }

    /// Completes once no script runs. Waits without blocking the thread.
    pub async fn ended(&self) {
        self.wait(false).await;
    }

    async fn wait(&self, until_busy: bool) {
        loop {
            let ended = self.ended.notified();
            tokio::pin!(ended);
            // Registered before looking, so an end between the look and the wait is seen.
            ended.as_mut().enable();
            if !self.running.load(Ordering::Acquire) {
                return;
            }
            if !until_busy {
                ended.await;
                continue;
            }
            let now = crate::engine::wall_ms().max(0) as u64;
            let after = self.busy_after_ms.load(Ordering::Relaxed);
            if now >= after {
                return;
            }
            tokio::select! {
                () = ended => {}
                () = tokio::time::sleep(std::time::Duration::from_millis(after - now)) => {}
            }
        }
    }
}

/// Ends the run (even when the script fails or panics).
pub(crate) struct RunGuard<'a> {
    state: &'a RunState,
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        IN_SCRIPT.with(|s| s.set(false));
        self.state.running.store(false, Ordering::Release);
        if self.state.is_function.swap(false, Ordering::Relaxed) {
            *self.state.function.lock() = None;
        }
        self.state.kill.store(false, Ordering::Relaxed);
        self.state.ended.notify_waiters();
    }
}

impl Scripting {
    /// Runs `f` with the Lua state, created on first use.
    pub fn with_engine<R>(&self, f: impl FnOnce(&mut Engine) -> R) -> Result<R, String> {
        let mut slot = self.engine.lock();
        if slot.is_none() {
            *slot = Some(Engine::new(self.run.clone()).map_err(|e| format!("cannot start Lua: {e}"))?);
        }
        let Some(engine) = slot.as_mut() else {
            return Err("cannot start Lua".into());
        };
        let result = f(engine);
        self.cached.store(engine.script_count(), Ordering::Relaxed);
        self.memory.store(engine.used_memory(), Ordering::Relaxed);
        self.script_bytes.store(engine.script_bytes(), Ordering::Relaxed);
        Ok(result)
    }

    /// SCRIPT FLUSH: a fresh state, as Redis.
    pub fn flush(&self) {
        let mut slot = self.engine.lock();
        *slot = None;
        self.cached.store(0, Ordering::Relaxed);
        self.memory.store(0, Ordering::Relaxed);
        self.script_bytes.store(0, Ordering::Relaxed);
    }

    /// Whether the script with this digest (lower-case hex) is cached.
    pub fn exists(&self, sha: &str) -> bool {
        self.engine.lock().as_ref().is_some_and(|e| e.has(sha))
    }

    /// The flags of the cached script with this digest; `None` if it is not cached.
    pub fn flags(&self, sha: &str) -> Option<ScriptFlags> {
        self.engine.lock().as_ref().and_then(|e| e.flags(sha))
    }

    /// Whether EVAL / EVALSHA / FCALL `args` runs a script that declares `no-writes` (its
    /// shebang, its cached flags, its function's): Redis then does not count the call as
    /// one that may replicate (a write pause lets it through).
    pub fn declares_no_writes(&self, command: &str, args: &[&[u8]]) -> bool {
        let Some(target) = args.get(1) else { return false };
        let flags = match command {
            "eval" => shebang::parse(target).ok().map(|(flags, _)| flags),
            "evalsha" => self.flags(&String::from_utf8_lossy(target).to_ascii_lowercase()),
            "fcall" => self.functions.flags(&String::from_utf8_lossy(target)),
            _ => None,
        };
        flags.is_some_and(|flags| flags.no_writes)
    }
}

/// The SHA1 digest of `bytes`, in lower-case hex (script names, redis.sha1hex).
pub fn sha1_hex(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string()
}
