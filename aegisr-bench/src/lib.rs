//! aegisr-bench: a load generator for Aegisr and any Redis-compatible server.
//!
//! It speaks RESP (hand-written encoder and reply scanner, one write per pipeline, no
//! allocation per reply) and Aegisr's gRPC (`Execute`, `Pipeline`). A workload is a weighted mix
//! of command templates with `__key__`/`__data__` placeholders over a key space drawn uniformly,
//! sequentially or from a Zipf distribution. Runs are closed-loop (as fast as the server answers)
//! or open-loop (`--rate`, latency counted from each request's scheduled send time, which
//! corrects coordinated omission). Latencies go into one HDR histogram per command; results are
//! printed as a table, JSON or CSV, and can be written as an HdrHistogram interval log.
//!
//! Modules: [`cli`] (options), [`workload`] (what to send), [`resp`] and [`grpc`] (how),
//! [`cluster`] (`--cluster`: routing by slot), [`runner`] (threads x connections), [`stats`] (histograms), [`report`] and [`compare`]
//! (output).

pub mod cli;
pub mod cluster;
pub mod compare;
pub mod grpc;
pub mod pubsub;
pub mod report;
pub mod resp;
pub mod runner;
pub mod stats;
pub mod workload;

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;

use cli::{Args, KeyPatternArg, Protocol};
use report::{Report, RunInfo};
use runner::{Limit, RunSpec, Target};
use workload::{CommandTemplate, KeyPattern, ValueSize, Workload};

/// Requests sent when neither --requests nor --test-time is given (as redis-benchmark).
const DEFAULT_REQUESTS: u64 = 100_000;

/// Parses the command line, runs, prints; returns the process exit code (0 success, 1 failure,
/// 2 bad usage).
pub fn main_entry() -> ExitCode {
    let args = Args::parse();
    match execute(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the causes joined, no backtrace.
            eprintln!("aegisr-bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the workload the options describe.
pub fn build_workload(args: &Args) -> anyhow::Result<Workload> {
    let mut commands: Vec<(CommandTemplate, u32)> = Vec::new();
    let ratio = match (&args.ratio, args.command.is_empty()) {
        (Some(r), _) => Some(r.as_str()),
        (None, true) => Some("set:get=1:10"),
        (None, false) => None,
    };
    if let Some(ratio) = ratio {
        for (name, weight) in workload::parse_ratio(ratio)? {
            let text = workload::builtin_template(&name).unwrap_or("PING");
            commands.push((CommandTemplate::parse(text)?, weight));
        }
    }
    if args.command_ratio.len() > args.command.len() {
        bail!("{} --command-ratio values for {} --command templates", args.command_ratio.len(), args.command.len());
    }
    for (i, text) in args.command.iter().enumerate() {
        let weight = args.command_ratio.get(i).copied().unwrap_or(1);
        commands.push((CommandTemplate::parse(text)?, weight));
    }
    let key_pattern = match args.key_pattern {
        KeyPatternArg::Uniform => KeyPattern::Uniform,
        KeyPatternArg::Sequential => KeyPattern::Sequential,
        KeyPatternArg::Zipf => KeyPattern::Zipf { exponent: args.zipf_exponent },
    };
    let value_size = args.data_size_range.unwrap_or(ValueSize::Fixed(args.data_size));
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    Ok(Workload::new(commands, args.keyspace, args.key_prefix.clone(), key_pattern, value_size, seed)?)
}

fn check_args(args: &Args) -> anyhow::Result<()> {
    if args.clients == 0 || args.threads == 0 || args.pipeline == 0 {
        bail!("--clients, --threads and --pipeline must be at least 1");
    }
    if args.requests == Some(0) {
        bail!("--requests must be at least 1");
    }
    if args.test_time.is_some_and(|d| d.is_zero()) {
        bail!("--test-time must be longer than 0");
    }
    if let Some(rate) = args.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        bail!("--rate must be a positive number of requests per second");
    }
    if args.pubsub && (args.publishers == 0 || args.subscribers == 0) {
        bail!("--publishers and --subscribers must be at least 1");
    }
    if args.rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    if !(args.connect_timeout.is_finite() && args.connect_timeout > 0.0) {
        bail!("--connect-timeout must be a positive number of seconds");
    }
    Ok(())
}

fn describe_workload(workload: &Workload) -> String {
    workload.commands.iter().zip(&workload.weights).map(|(c, w)| format!("{c} x{w}")).collect::<Vec<_>>().join(", ")
}

fn run_info(args: &Args, address: &str, workload: &Workload) -> RunInfo {
    RunInfo {
        server: address.to_owned(),
        protocol: match args.protocol {
            Protocol::Resp => "resp",
            Protocol::Grpc => "grpc",
        }
        .to_owned(),
        threads: args.threads,
        clients: args.clients,
        pipeline: args.pipeline,
        requests: requests_limit(args),
        test_time_secs: args.test_time.map(|d| d.as_secs_f64()),
        rate: args.rate,
        workload: describe_workload(workload),
        keyspace: workload.keyspace,
        key_pattern: match workload.key_pattern {
            KeyPattern::Uniform => "uniform".to_owned(),
            KeyPattern::Sequential => "sequential".to_owned(),
            KeyPattern::Zipf { exponent } => format!("zipf (exponent {exponent})"),
        },
        data_size: match workload.value_size {
            ValueSize::Fixed(n) => n.to_string(),
            ValueSize::Range { min, max } => format!("{min}-{max}"),
        },
    }
}

fn requests_limit(args: &Args) -> Option<u64> {
    match (args.requests, args.test_time) {
        (Some(n), _) => Some(n),
        (None, None) => Some(DEFAULT_REQUESTS),
        (None, Some(_)) => None,
    }
}

/// Prefills and warms up `spec`'s target; errors are fatal.
fn prepare(args: &Args, spec: &RunSpec) -> anyhow::Result<()> {
    if args.prefill {
        let set = CommandTemplate::parse("SET __key__ __data__")?;
        let w = &spec.workload;
        let prefill_workload = Workload::new(
            vec![(set, 1)],
            w.keyspace,
            w.key_prefix.clone(),
            KeyPattern::Sequential,
            w.value_size,
            w.seed,
        )?;
        let prefill = RunSpec {
            workload: Arc::new(prefill_workload),
            limit: Limit::Requests(w.keyspace),
            rate: None,
            pipeline: spec.pipeline.max(16),
            progress: spec.progress.as_ref().map(|_| "prefill".to_owned()),
            ..spec.clone()
        };
        let result = runner::run(&prefill);
        if let Some(e) = result.error {
            bail!("prefill of {} failed: {e}", spec.target.address);
        }
        if result.stats.errors() > 0 {
            let first = result.stats.total().first_error.unwrap_or_default();
            bail!("prefill of {} got {} error replies, first: {first}", spec.target.address, result.stats.errors());
        }
    }
    if let Some(warmup) = args.warmup {
        let warm = RunSpec {
            limit: Limit::Duration(warmup),
            progress: spec.progress.as_ref().map(|_| "warm-up".to_owned()),
            ..spec.clone()
        };
        if let Some(e) = runner::run(&warm).error {
            bail!("warm-up against {} failed: {e}", spec.target.address);
        }
    }
    Ok(())
}

fn print_output(args: &Args, text: String, json: String, csv: String) {
    if args.json {
        emit(&format!("{json}\n"));
    } else if args.csv {
        emit(&csv);
    } else {
        emit(&text);
    }
}

/// Writes `text` to stdout. When the reader went away (`aegisr-bench ... | head`), the
/// program ends quietly, as a Unix tool does, instead of panicking as `println!` would.
fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("aegisr-bench: cannot write the results: {e}");
        }
        std::process::exit(1);
    }
}

/// Runs what `args` asks for, printing results; `Err` carries the one-line failure (results
/// measured before it have been printed).
pub fn execute(args: &Args) -> anyhow::Result<()> {
    check_args(args)?;
    if args.pubsub {
        return run_pubsub(args);
    }
    let workload = Arc::new(build_workload(args)?);
    let limit = match (requests_limit(args), args.test_time) {
        (Some(n), _) => Limit::Requests(n),
        (None, Some(d)) => Limit::Duration(d),
        (None, None) => Limit::Requests(DEFAULT_REQUESTS),
    };
    let target = |address: String| Target {
        address,
        protocol: args.protocol,
        password: args.password.clone(),
        user: args.user.clone(),
        db: args.dbnum,
        connect_timeout: Duration::from_secs_f64(args.connect_timeout),
        cluster: args.cluster,
    };
    let spec = RunSpec {
        target: target(args.address()),
        workload: Arc::clone(&workload),
        threads: args.threads,
        clients: args.clients,
        pipeline: args.pipeline,
        limit,
        rate: args.rate,
        progress: (!args.quiet).then(|| "bench".to_owned()),
    };
    let compared = args.compare.as_ref().map(|address| RunSpec { target: target(address.clone()), ..spec.clone() });

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start tokio")?;
    for s in std::iter::once(&spec).chain(compared.as_ref()) {
        runtime.block_on(runner::preflight(&s.target, &workload)).map_err(anyhow::Error::msg)?;
    }
    drop(runtime);
    for s in std::iter::once(&spec).chain(compared.as_ref()) {
        prepare(args, s)?;
    }

    if let Some(compared) = &compared {
        let (acc, error) = compare::run_rounds([&spec, compared], args.rounds);
        let infos =
            [run_info(args, &spec.target.address, &workload), run_info(args, &compared.target.address, &workload)];
        let comparison = compare::Comparison::new(infos, &workload.labels, &acc, args.rounds, error.clone());
        if acc.iter().any(|a| a.stats.ops() > 0) || error.is_none() {
            print_output(args, comparison.to_text(), comparison.to_json(), comparison.to_csv());
        }
        if let Some(e) = error {
            bail!("{e}");
        }
        return Ok(());
    }

    let result = runner::run(&spec);
    let report = Report::new(run_info(args, &spec.target.address, &workload), &workload.labels, &result);
    if result.stats.ops() > 0 || result.error.is_none() {
        print_output(args, report.to_text(), report.to_json(), report.to_csv());
    }
    if let Some(path) = &args.hdr_log {
        report::write_hdr_log(path, &workload.labels, &result)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(e) = result.error {
        bail!("{e}");
    }
    Ok(())
}

/// `--pubsub`: publishers and subscribers on one channel, alternating rounds against the
/// compared server if any.
fn run_pubsub(args: &Args) -> anyhow::Result<()> {
    let duration = args.test_time.unwrap_or(Duration::from_secs(10));
    let spec = |address: String| pubsub::PubSubSpec {
        address,
        publishers: args.publishers,
        subscribers: args.subscribers,
        payload: args.data_size,
        pipeline: args.pipeline,
        duration,
    };
    let targets: Vec<String> = std::iter::once(args.address()).chain(args.compare.clone()).collect();
    let rounds = if targets.len() > 1 { args.rounds } else { 1 };
    emit(&format!(
        "pub/sub: {} publisher(s), pipeline {}, {} subscribers, {} B payloads, {} s per run, {rounds} round(s)\n",
        args.publishers,
        args.pipeline,
        args.subscribers,
        args.data_size,
        duration.as_secs_f64()
    ));
    emit(&format!("{}\n", pubsub::HEADER));
    let mut medians: Vec<Vec<(f64, u64)>> = vec![Vec::new(); targets.len()];
    for _ in 0..rounds {
        for (i, address) in targets.iter().enumerate() {
            let result = pubsub::run(&spec(address.clone()))?;
            emit(&format!("{}\n", pubsub::describe(address, &result)));
            medians[i].push((result.delivered_per_sec, result.latency_us.value_at_quantile(0.99)));
        }
    }
    if targets.len() > 1 {
        let median = |v: &mut Vec<(f64, u64)>, pick: fn(&(f64, u64)) -> f64| {
            let mut xs: Vec<f64> = v.iter().map(pick).collect();
            xs.sort_by(f64::total_cmp);
            xs[xs.len() / 2]
        };
        let (a_rate, a_p99) = (median(&mut medians[0], |x| x.0), median(&mut medians[0], |x| x.1 as f64));
        let (b_rate, b_p99) = (median(&mut medians[1], |x| x.0), median(&mut medians[1], |x| x.1 as f64));
        emit(&format!(
            "medians: delivered/s {a_rate:.0} vs {b_rate:.0} (ratio {:.2}); p99 {a_p99:.0} us vs {b_p99:.0} us (ratio {:.2})\n",
            a_rate / b_rate,
            a_p99 / b_p99
        ));
    }
    Ok(())
}
