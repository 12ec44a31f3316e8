//! Observability: per-command statistics, error counts, the slow log, CPU times, and the
//! Prometheus endpoint. The dispatcher records each command here; INFO, SLOWLOG, LATENCY,
//! `/metrics` and the Admin gRPC stream read it.

pub mod clock;
pub mod commands;
pub mod cpu;
pub mod errors;
pub mod histogram;
pub mod http;
pub mod latency_monitor;
pub mod prometheus;
pub mod slowlog;

use std::cell::Cell;
use std::sync::atomic::Ordering;

pub use commands::{CommandStats, CommandTotals, Outcome};
pub use errors::ErrorStats;
pub use slowlog::{SlowEntry, SlowLog};

use crate::commands::Ctx;
use crate::commands::table::{self, CommandSpec, Flags};
use crate::server::{Server, ServerStats};

/// The node's observability state.
pub struct Metrics {
    pub commands: CommandStats,
    pub errors: ErrorStats,
    pub slowlog: SlowLog,
    /// LATENCY LATEST / HISTORY: shared with the keyspace, which records its eviction
    /// events.
    pub latency: std::sync::Arc<latency_monitor::LatencyMonitor>,
    clock: clock::Rate,
}

impl Default for Metrics {
    fn default() -> Self {
        // Built now rather than inside the first command's timing.
        commands::prepare();
        Metrics {
            commands: CommandStats::default(),
            errors: ErrorStats::default(),
            slowlog: SlowLog::default(),
            latency: std::sync::Arc::default(),
            clock: clock::Rate::measure(),
        }
    }
}

impl Metrics {
    /// CONFIG RESETSTAT (the slow log is kept, as in Redis).
    pub fn reset(&self) {
        self.commands.reset();
        self.errors.reset();
    }
}

/// How a command ended, as the dispatcher saw it.
pub enum Ended<'e> {
    /// Ran; it failed all the same if it wrote error replies of its own on the way (see
    /// [`count_error_reply`]).
    Ran,
    /// Ran and replied with this error.
    Failed(&'e str),
    /// Ran and replied with an error counted where it arose: a script's error that a
    /// command it called replied (the error statistics have it once, from that command).
    FailedCounted,
    /// Refused before running with this error: unknown, wrong arity, not allowed now.
    Rejected(&'e str),
}

/// This thread's error replies, for attributing them to commands: those counted, how many
/// of them the commands recorded so far account for (what lies between is the running
/// command's: Redis compares `stat_total_error_replies` with the count at its last command
/// the same way, which leaves a script's inner commands their own errors), and the errors
/// passed on already counted since the last command recorded (each a failure of the
/// command passing it on).
#[derive(Clone, Copy)]
struct Tally {
    counted: u64,
    seen: u64,
    passed_on: u64,
}

thread_local! {
    static TALLY: Cell<Tally> = const { Cell::new(Tally { counted: 0, seen: 0, passed_on: 0 }) };
}

fn update_tally<R>(change: impl FnOnce(&mut Tally) -> R) -> R {
    TALLY.with(|cell| {
        let mut tally = cell.get();
        let result = change(&mut tally);
        cell.set(tally);
        result
    })
}

/// Counts one error reply (INFO's `errorstat_<CODE>` and `total_error_replies`), as
/// Redis's `afterErrorReply`: every error a client is sent, and every error a command
/// called from a script replies.
pub fn count_error_reply(server: &Server, text: &str) {
    server.metrics.errors.record(text);
    ServerStats::add(&server.stats.total_error_replies, 1);
    update_tally(|t| t.counted += 1);
}

/// An error reply written but counted already where it arose (see [`Ended::FailedCounted`]).
pub fn note_passed_on_error() {
    update_tally(|t| t.passed_on += 1);
}

/// A command starts on this thread: errors counted before it are not its own.
pub fn command_started() {
    update_tally(|t| t.seen = t.counted);
}

/// The running command's failures, from what was counted since it started (or since the
/// last command recorded, one its script called): one if it produced any error reply, and
/// one per error it passed on.
fn take_failures() -> u64 {
    update_tally(|t| {
        let produced = t.counted > t.seen;
        t.seen = t.counted;
        std::mem::take(&mut t.passed_on) + u64::from(produced)
    })
}

/// Records a command that ends where it starts, outside the dispatcher: refused inside
/// MULTI or by a script's checks, or a blocked command that timed out or was unblocked.
pub fn record_now(ctx: &Ctx<'_>, args: &[&[u8]], spec: Option<&'static CommandSpec>, ended: Ended<'_>) {
    command_started();
    let now = clock::now();
    record(ctx, args, spec, ended, now, now);
}

/// Records one command that ran (or was refused) on this thread, `started` being when the
/// dispatcher got it (`clock::now()`). Costs one clock read and a few thread-local stores; the slow log is
/// touched only by slow commands.
pub fn record(
    ctx: &Ctx<'_>,
    args: &[&[u8]],
    spec: Option<&'static CommandSpec>,
    ended: Ended<'_>,
    started: clock::Stamp,
    ended_at: clock::Stamp,
) {
    let metrics = &ctx.server.metrics;
    let (rejected, error) = match ended {
        Ended::Ran => (false, None),
        Ended::Failed(text) => (false, Some(text)),
        Ended::FailedCounted => {
            note_passed_on_error();
            (false, None)
        }
        Ended::Rejected(text) => (true, Some(text)),
    };
    if let Some(text) = error {
        count_error_reply(ctx.server, text);
    }
    let failures = take_failures();
    let outcome = if rejected { Outcome::Rejected } else { Outcome::Ran { failures } };
    // A command refused for its arity is still counted against it, as Redis does.
    let spec = spec.or_else(|| if outcome == Outcome::Rejected { rejected_spec(args) } else { None });
    let Some(spec) = spec else { return };
    let Some(index) = commands::index_of(spec) else { return };
    let nanos = metrics.clock.nanos_between(started, ended_at);
    let limits = ctx.server.config.limits();
    metrics.commands.record(index, nanos, outcome, limits.latency_tracking.load(Ordering::Relaxed));
    if outcome == Outcome::Rejected {
        return;
    }
    let latency_threshold = limits.latency_monitor_threshold.load(Ordering::Relaxed);
    if latency_threshold > 0 {
        // Redis's split: commands flagged fast are their own event.
        let event = if spec.flags.contains(Flags::FAST) { "fast-command" } else { "command" };
        metrics.latency.add_if_needed(latency_threshold, event, std::time::Duration::from_nanos(nanos));
    }
    let slower_than = limits.slowlog_slower_than.load(Ordering::Relaxed);
    let micros = nanos / 1000;
    if slower_than >= 0 && micros >= slower_than.unsigned_abs() && !spec.flags.contains(Flags::SKIP_SLOWLOG) {
        let client = &ctx.session.client;
        let max_len = usize::try_from(ctx.server.config.u64("slowlog-max-len")).unwrap_or(usize::MAX);
        // Secrets (AUTH's, requirepass's) are redacted here too, as Redis does.
        // (The slow log copies what it keeps of each argument, a prefix of a big value.)
        let shown: Vec<&[u8]> = crate::server::monitor::redacted_args(args)
            .iter()
            .zip(args)
            .map(|(shown, &arg)| if std::ptr::eq(shown.as_ptr(), arg.as_ptr()) { arg } else { b"(redacted)" })
            .collect();
        metrics.slowlog.push(&shown, micros, client.addr.clone(), client.name(), max_len);
    }
}

/// The command (or subcommand) `args` names, whatever its arity.
fn rejected_spec(args: &[&[u8]]) -> Option<&'static CommandSpec> {
    let spec = table::lookup(args.first()?)?;
    if spec.subcommands.is_empty() {
        return Some(spec);
    }
    args.get(1).and_then(|sub| spec.subcommand(sub)).or(Some(spec))
}
