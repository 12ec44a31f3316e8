//! Observability commands: SLOWLOG and LATENCY. The figures are kept by `crate::metrics`.

use super::Ctx;
use super::args::lower;
use super::errors::{CommandError, CommandResult};
use super::table::{CommandSpec, Flags, Group};
use crate::metrics::{histogram, latency_monitor::doctor};
use crate::types::string::parse_i64;

/// Entries SLOWLOG GET returns without a count.
const DEFAULT_GET_COUNT: usize = 10;

fn slowlog_get(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let count = match args.get(2) {
        None => Some(DEFAULT_GET_COUNT),
        Some(arg) => match parse_i64(arg) {
            Some(-1) => None,
            Some(n) if n >= 0 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => return Err(CommandError::err("count should be greater than or equal to -1")),
        },
    };
    let entries = ctx.server.metrics.slowlog.get(count);
    let out = &mut *ctx.out;
    out.array(entries.len());
    for e in entries {
        out.array(6);
        out.integer(i64::try_from(e.id).unwrap_or(i64::MAX));
        out.integer(e.timestamp);
        out.integer(i64::try_from(e.duration_us).unwrap_or(i64::MAX));
        out.array(e.args.len());
        for a in &e.args {
            out.bulk(a);
        }
        out.bulk(e.client_addr.as_bytes());
        out.bulk(e.client_name.as_bytes());
    }
    Ok(())
}

fn slowlog_len(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    ctx.out.count(ctx.server.metrics.slowlog.len());
    Ok(())
}

fn slowlog_reset(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    ctx.server.metrics.slowlog.reset();
    ctx.out.ok();
    Ok(())
}

/// LATENCY HISTOGRAM [command ...]: per command (a container: each subcommand), its calls and the cumulative count of
/// calls under each power of two microseconds (1, 2, 4...), listing only the powers at
/// which the count grows, as Redis 7. Our bounds are powers of two nanoseconds from 1024,
/// so "1 us" is 1.024 us.
fn latency_histogram(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let wanted: Vec<String> = args[2..].iter().map(|a| lower(a)).collect();
    let commands: Vec<_> = ctx
        .server
        .metrics
        .commands
        .seen()
        .into_iter()
        .filter(|c| c.calls > 0 && (wanted.is_empty() || wanted.iter().any(|w| names(w, c.name))))
        .collect();
    let out = &mut *ctx.out;
    out.map(commands.len());
    for c in commands {
        out.bulk(c.name.as_bytes());
        out.map(2);
        out.bulk(b"calls");
        out.integer(i64::try_from(c.calls).unwrap_or(i64::MAX));
        out.bulk(b"histogram_usec");
        let mut points = Vec::new();
        let (mut cumulative, mut bucket, mut last) = (0u64, 0usize, 0u64);
        for log2 in 10..=40u32 {
            while bucket < histogram::BUCKETS && histogram::upper_bound(bucket) <= 1u64 << log2 {
                cumulative += c.latency[bucket];
                bucket += 1;
            }
            if cumulative > last {
                points.push((1i64 << (log2 - 10), cumulative));
                last = cumulative;
            }
            if cumulative == c.calls {
                break;
            }
        }
        out.map(points.len());
        for (usec, count) in points {
            out.integer(usec);
            out.integer(i64::try_from(count).unwrap_or(i64::MAX));
        }
    }
    Ok(())
}

/// Whether LATENCY HISTOGRAM's `wanted` names `command`: itself, or, for a container
/// (CLIENT, CONFIG...), each of its subcommands (`client|id`), as Redis lists them.
fn names(wanted: &str, command: &str) -> bool {
    command.strip_prefix(wanted).is_some_and(|rest| rest.is_empty() || rest.starts_with('|'))
}

/// LATENCY LATEST: per event, `[event, time of the latest sample, its milliseconds, the
/// all-time maximum]` (the latency monitor records events while
/// `latency-monitor-threshold` is set).
fn latency_latest(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let latest = ctx.server.metrics.latency.latest();
    let out = &mut *ctx.out;
    out.array(latest.len());
    for row in latest {
        out.array(4);
        out.bulk(row.event.as_bytes());
        out.integer(row.time);
        out.integer(i64::try_from(row.ms).unwrap_or(i64::MAX));
        out.integer(i64::try_from(row.max).unwrap_or(i64::MAX));
    }
    Ok(())
}

/// LATENCY HISTORY event: `[[time, milliseconds], ...]`, oldest first.
fn latency_history(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let samples = ctx.server.metrics.latency.history(args[2]);
    let out = &mut *ctx.out;
    out.array(samples.len());
    for sample in samples {
        out.array(2);
        out.integer(sample.time);
        out.integer(i64::try_from(sample.ms).unwrap_or(i64::MAX));
    }
    Ok(())
}

/// LATENCY GRAPH event: Redis's ASCII graph of the event's samples (verbatim in RESP3).
fn latency_graph(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let Some((event, samples, max)) = ctx.server.metrics.latency.series(args[2]) else {
        return Err(CommandError::err(format!(
            "No samples available for event '{}'",
            String::from_utf8_lossy(args[2])
        )));
    };
    let graph = crate::metrics::latency_monitor::graph::render(event, &samples, max, unix_seconds());
    ctx.out.verbatim("txt", graph.as_bytes());
    Ok(())
}

/// LATENCY RESET [event ...]: how many events were forgotten.
fn latency_reset(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let events: Vec<&[u8]> = args[2..].iter().map(|a| &a[..]).collect();
    ctx.out.count(ctx.server.metrics.latency.reset(&events));
    Ok(())
}

/// LATENCY DOCTOR: Redis's report on the recorded events (as text; verbatim in RESP3).
fn latency_doctor(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let limits = ctx.server.config.limits();
    let settings = doctor::Settings {
        threshold_ms: limits.latency_monitor_threshold.load(std::sync::atomic::Ordering::Relaxed),
        slowlog_slower_than_us: limits.slowlog_slower_than.load(std::sync::atomic::Ordering::Relaxed),
        hz: limits.hz.load(std::sync::atomic::Ordering::Relaxed),
    };
    let report = doctor::report(&ctx.server.metrics.latency, &settings, unix_seconds());
    ctx.out.verbatim("txt", report.as_bytes());
    Ok(())
}

fn unix_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// SLOWLOG HELP in Redis's words.
fn slowlog_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::redis_help(
        ctx.out,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(())
}

/// LATENCY HELP, with Redis's text.
fn latency_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::redis_help(
        ctx.out,
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
    Ok(())
}

const SERVER: CommandSpec = CommandSpec { group: Group::Server, ..CommandSpec::BASE };
const ADMIN: Flags = Flags::ADMIN.or(Flags::LOADING).or(Flags::STALE);

const SLOWLOG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "slowlog|get",
        arity: -2,
        flags: ADMIN,
        since: "2.2.12",
        summary: "Returns the slow log's entries.",
        syntax: "[count]",
        handler: Some(slowlog_get),
        ..SERVER
    },
    CommandSpec {
        name: "slowlog|help",
        arity: 2,
        flags: Flags::LOADING.or(Flags::STALE),
        since: "6.2.0",
        summary: "Show helpful text about the different subcommands",
        handler: Some(slowlog_help),
        ..SERVER
    },
    CommandSpec {
        name: "slowlog|len",
        arity: 2,
        flags: ADMIN,
        since: "2.2.12",
        summary: "Returns the number of entries in the slow log.",
        handler: Some(slowlog_len),
        ..SERVER
    },
    CommandSpec {
        name: "slowlog|reset",
        arity: 2,
        flags: ADMIN,
        since: "2.2.12",
        summary: "Clears all entries from the slow log.",
        handler: Some(slowlog_reset),
        ..SERVER
    },
];

const LATENCY_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "latency|doctor",
        arity: 2,
        flags: ADMIN.or(Flags::NOSCRIPT),
        since: "2.8.13",
        summary: "Returns a human-readable latency analysis report.",
        handler: Some(latency_doctor),
        ..SERVER
    },
    CommandSpec {
        name: "latency|graph",
        arity: 3,
        flags: ADMIN.or(Flags::NOSCRIPT),
        since: "2.8.13",
        summary: "Returns a latency graph for an event.",
        syntax: "event",
        handler: Some(latency_graph),
        ..SERVER
    },
    CommandSpec {
        name: "latency|help",
        arity: 2,
        flags: Flags::LOADING.or(Flags::STALE),
        since: "2.8.13",
        summary: "Returns helpful text about the different subcommands.",
        handler: Some(latency_help),
        ..SERVER
    },
    CommandSpec {
        name: "latency|histogram",
        arity: -2,
        flags: ADMIN.or(Flags::NOSCRIPT),
        since: "7.0.0",
        summary: "Returns the cumulative distribution of latencies of a subset or all commands.",
        syntax: "[command [command ...]]",
        handler: Some(latency_histogram),
        ..SERVER
    },
    CommandSpec {
        name: "latency|history",
        arity: 3,
        flags: ADMIN.or(Flags::NOSCRIPT),
        since: "2.8.13",
        summary: "Returns timestamp-latency samples for an event.",
        syntax: "event",
        handler: Some(latency_history),
        ..SERVER
    },
    CommandSpec {
        name: "latency|latest",
        arity: 2,
        flags: ADMIN.or(Flags::NOSCRIPT),
        since: "2.8.13",
        summary: "Returns the latest latency samples for all events.",
        handler: Some(latency_latest),
        ..SERVER
    },
    CommandSpec {
        name: "latency|reset",
        arity: -2,
        flags: ADMIN.or(Flags::NOSCRIPT),
        since: "2.8.13",
        summary: "Resets the latency data for one or more events.",
        syntax: "[event [event ...]]",
        handler: Some(latency_reset),
        ..SERVER
    },
];

pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "latency",
        arity: -2,
        since: "2.8.13",
        summary: "A container for latency diagnostics commands.",
        syntax: "<subcommand> [arguments]",
        subcommands: LATENCY_SUBCOMMANDS,
        ..SERVER
    },
    CommandSpec {
        name: "slowlog",
        arity: -2,
        since: "2.2.12",
        summary: "A container for slow log commands.",
        syntax: "<subcommand> [arguments]",
        subcommands: SLOWLOG_SUBCOMMANDS,
        ..SERVER
    },
];
