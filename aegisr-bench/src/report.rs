//! Results for people (a table) and for machines (JSON, CSV, HdrHistogram interval log).

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use comfy_table::{CellAlignment, Table, presets};
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use serde::Serialize;

use crate::runner::RunResult;
use crate::stats::Summary;

/// The settings a result was measured with, echoed in every output.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// `host:port`.
    pub server: String,
    /// `resp` or `grpc`.
    pub protocol: String,
    /// OS threads.
    pub threads: usize,
    /// Connections per thread.
    pub clients: usize,
    /// Requests in flight per connection.
    pub pipeline: usize,
    /// Requests asked for, if a count.
    pub requests: Option<u64>,
    /// Run time asked for, if a duration.
    pub test_time_secs: Option<f64>,
    /// Open-loop rate, if any.
    pub rate: Option<f64>,
    /// The command mix, e.g. `SET __key__ __data__ x1, GET __key__ x10`.
    pub workload: String,
    /// Key space size.
    pub keyspace: u64,
    /// Key distribution.
    pub key_pattern: String,
    /// Value size(s), e.g. `32` or `32-1024`.
    pub data_size: String,
}

/// One row of results.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Command label, or `ALL` for the total.
    pub command: String,
    /// The figures.
    #[serde(flatten)]
    pub summary: Summary,
    /// The first error reply, if there were errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

/// A whole result, as JSON prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Settings.
    pub config: RunInfo,
    /// Measured run time.
    pub duration_secs: f64,
    /// One row per command.
    pub commands: Vec<Row>,
    /// All commands together.
    pub total: Row,
    /// The error that cut the run short; the figures are partial when set.
    pub error: Option<String>,
    /// `--cluster`: requests each node answered, by address.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub nodes: std::collections::BTreeMap<String, u64>,
}

impl Report {
    /// Summarizes a run; `labels` name the workload's commands.
    pub fn new(config: RunInfo, labels: &[String], result: &RunResult) -> Report {
        let elapsed = result.elapsed;
        let commands = labels
            .iter()
            .zip(&result.stats.commands)
            .map(|(label, stats)| Row {
                command: label.clone(),
                summary: Summary::of(stats, elapsed),
                first_error: stats.first_error.clone(),
            })
            .collect();
        let total = result.stats.total();
        Report {
            config,
            duration_secs: elapsed.as_secs_f64(),
            commands,
            total: Row { command: "ALL".to_owned(), summary: Summary::of(&total, elapsed), first_error: None },
            error: result.error.clone(),
            nodes: result.stats.nodes.clone(),
        }
    }

    /// The rows of the table: every command, then the total when there are several.
    fn rows(&self) -> Vec<&Row> {
        let mut rows: Vec<&Row> = self.commands.iter().collect();
        if rows.len() > 1 {
            rows.push(&self.total);
        }
        rows
    }

    /// The human-readable report: a summary line, a table, and the first error of each
    /// command that had errors.
    pub fn to_text(&self) -> String {
        let c = &self.config;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} ({}), {} thread{} x {} connections, pipeline {}, {} in {:.3} s",
            c.server,
            c.protocol,
            c.threads,
            if c.threads == 1 { "" } else { "s" },
            c.clients,
            c.pipeline,
            plural(self.total.summary.ops, "request"),
            self.duration_secs,
        );
        let _ = writeln!(
            out,
            "workload: {}; {} keys, {}, values {} bytes{}",
            c.workload,
            c.keyspace,
            c.key_pattern,
            c.data_size,
            c.rate.map(|r| format!("; open loop at {r} req/s (latency from scheduled send time)")).unwrap_or_default()
        );
        let mut table = Table::new();
        table.load_preset(presets::UTF8_FULL_CONDENSED);
        table.set_header([
            "Command", "Ops", "Ops/s", "Errors", "Mean ms", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "Max ms",
        ]);
        for row in self.rows() {
            let s = &row.summary;
            table.add_row([
                row.command.clone(),
                s.ops.to_string(),
                format!("{:.0}", s.ops_per_sec),
                s.errors.to_string(),
                format!("{:.3}", s.mean_ms),
                format!("{:.3}", s.p50_ms),
                format!("{:.3}", s.p90_ms),
                format!("{:.3}", s.p99_ms),
                format!("{:.3}", s.p999_ms),
                format!("{:.3}", s.max_ms),
            ]);
        }
        for column in 1..10 {
            if let Some(col) = table.column_mut(column) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        let _ = writeln!(out, "{table}");
        for row in &self.commands {
            if let Some(e) = &row.first_error {
                let _ = writeln!(out, "{}: {} error replies, first: {e}", row.command, row.summary.errors);
            }
        }
        if !self.nodes.is_empty() {
            let total: u64 = self.nodes.values().sum();
            let _ = writeln!(out, "requests per node:");
            for (node, n) in &self.nodes {
                let share = if total == 0 { 0.0 } else { *n as f64 * 100.0 / total as f64 };
                let _ = writeln!(out, "  {node:<24} {n:>10}  {share:5.1}%");
            }
        }
        if self.error.is_some() {
            let _ = writeln!(out, "(partial results: the run was cut short)");
        }
        out
    }

    /// CSV with a header line; one line per command, then `ALL`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("command,ops,errors,ops_per_sec,mean_ms,p50_ms,p90_ms,p99_ms,p999_ms,max_ms\n");
        for row in self.commands.iter().chain(std::iter::once(&self.total)) {
            let s = &row.summary;
            let _ = writeln!(
                out,
                "{},{},{},{:.1},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3}",
                csv_field(&row.command),
                s.ops,
                s.errors,
                s.ops_per_sec,
                s.mean_ms,
                s.p50_ms,
                s.p90_ms,
                s.p99_ms,
                s.p999_ms,
                s.max_ms
            );
        }
        out
    }

    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"cannot encode JSON: {e}\"}}"))
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

/// Writes every interval of `result` to `path` as an HdrHistogram interval log (the format of
/// Java's `HistogramLogWriter`, which HistogramLogAnalyzer and hdr-plot read): per interval, one
/// untagged histogram of all commands and one tagged with each command's label. Values are
/// microseconds; the max column is in milliseconds.
pub fn write_hdr_log(path: &Path, labels: &[String], result: &RunResult) -> io::Result<()> {
    let mut file = io::BufWriter::new(std::fs::File::create(path)?);
    let mut serializer = V2DeflateSerializer::new();
    let mut builder = IntervalLogWriterBuilder::new();
    builder
        .add_comment("aegisr-bench latency log; values in microseconds")
        .with_start_time(result.started)
        .with_base_time(result.started)
        .with_max_value_divisor(1000.0);
    let mut log = builder.begin_log_with(&mut file, &mut serializer)?;
    let to_io = |e| io::Error::other(format!("cannot write histogram: {e:?}"));
    for interval in &result.intervals {
        let total = interval.stats.total();
        log.write_histogram(&total.latency, interval.start, interval.length, None).map_err(to_io)?;
        for (label, stats) in labels.iter().zip(&interval.stats.commands) {
            if stats.ops() == 0 {
                continue;
            }
            // Tags cannot hold separators; labels are command names, so this only guards odd ones.
            let tag_text: String = label.chars().map(|c| if c.is_whitespace() || c == ',' { '_' } else { c }).collect();
            log.write_histogram(&stats.latency, interval.start, interval.length, Tag::new(&tag_text)).map_err(to_io)?;
        }
    }
    drop(log);
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Interval;
    use crate::stats::Stats;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use std::time::{Duration, SystemTime};

    fn result() -> RunResult {
        let mut stats = Stats::new(2);
        for us in 1..=100 {
            stats.record(0, us * 10, None);
            stats.record(1, us * 20, (us == 7).then_some(&b"ERR boom"[..]));
        }
        RunResult {
            intervals: vec![
                Interval { start: Duration::ZERO, length: Duration::from_secs(1), stats: stats.clone() },
                Interval { start: Duration::from_secs(1), length: Duration::from_secs(1), stats: stats.clone() },
            ],
            stats,
            elapsed: Duration::from_secs(2),
            started: SystemTime::now(),
            error: None,
        }
    }

    fn info() -> RunInfo {
        RunInfo {
            server: "127.0.0.1:6379".into(),
            protocol: "resp".into(),
            threads: 1,
            clients: 2,
            pipeline: 1,
            requests: Some(200),
            test_time_secs: None,
            rate: None,
            workload: "x".into(),
            keyspace: 10,
            key_pattern: "uniform".into(),
            data_size: "3".into(),
        }
    }

    #[test]
    fn json_and_csv_hold_every_command_and_the_total() {
        let report = Report::new(info(), &["SET".into(), "GET".into()], &result());
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["total"]["ops"], 200);
        assert_eq!(json["total"]["ops_per_sec"], 100.0);
        assert_eq!(json["commands"][1]["command"], "GET");
        assert_eq!(json["commands"][1]["errors"], 1);
        assert_eq!(json["commands"][1]["first_error"], "ERR boom");
        assert_eq!(json["config"]["clients"], 2);
        assert!(json["error"].is_null());
        let csv = report.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[3].starts_with("ALL,200,1,100.0,"));
        let text = report.to_text();
        assert!(text.contains("GET: 1 error replies, first: ERR boom"), "{text}");
        assert!(text.contains("p99.9 ms"));
    }

    #[test]
    fn hdr_log_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lat.hlog");
        write_hdr_log(&path, &["SET".into(), "GET".into()], &result()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let mut tags = Vec::new();
        for entry in IntervalLogIterator::new(&bytes) {
            if let LogEntry::Interval(h) = entry.unwrap() {
                tags.push(h.tag().map(|t| t.as_str().to_owned()));
            }
        }
        assert_eq!(tags, [None, Some("SET".into()), Some("GET".into()), None, Some("SET".into()), Some("GET".into())]);
    }
}
