//! `--compare`: the same workload against two servers in alternating rounds (A B, B A, A B...,
//! so slow drift of the machine favours neither), results merged per server, and the ratio of
//! every metric printed.

use std::fmt::Write as _;
use std::time::Duration;

use comfy_table::{CellAlignment, Table, presets};
use serde::Serialize;

use crate::report::{Report, Row, RunInfo};
use crate::runner::{self, RunResult, RunSpec};
use crate::stats::{Stats, Summary};

/// Results of one server over all rounds.
#[derive(Debug, Clone)]
pub struct Accumulated {
    /// Merged stats.
    pub stats: Stats,
    /// Sum of the rounds' run times.
    pub elapsed: Duration,
}

/// Runs `rounds` rounds over `specs[0]` and `specs[1]`, alternating which goes first. Stops at
/// the first error, returning what was measured so far and the error.
pub fn run_rounds(specs: [&RunSpec; 2], rounds: u32) -> ([Accumulated; 2], Option<String>) {
    let commands = specs[0].workload.commands.len();
    let mut acc = [0, 1].map(|_| Accumulated { stats: Stats::new(commands), elapsed: Duration::ZERO });
    for round in 0..rounds {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let mut spec = specs[side].clone();
            spec.progress = spec.progress.map(|_| format!("{}/{} {}", round + 1, rounds, ["A", "B"][side]));
            let result: RunResult = runner::run(&spec);
            acc[side].stats.merge(&result.stats);
            acc[side].elapsed += result.elapsed;
            if let Some(e) = result.error {
                return (acc, Some(e));
            }
        }
    }
    (acc, None)
}

/// One metric of both servers.
#[derive(Debug, Clone, Serialize)]
pub struct MetricRatio {
    /// e.g. `ALL ops/s`.
    pub metric: String,
    /// First server.
    pub a: f64,
    /// Compared server.
    pub b: f64,
    /// `b / a` (null when `a` is 0).
    pub ratio: Option<f64>,
}

/// The comparison, as JSON prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// First server's report (all rounds merged).
    pub a: Report,
    /// Compared server's report.
    pub b: Report,
    /// Rounds per server.
    pub rounds: u32,
    /// Every metric side by side.
    pub ratios: Vec<MetricRatio>,
}

fn metrics(prefix: &str, s: &Summary) -> Vec<(String, f64)> {
    [
        ("ops/s", s.ops_per_sec),
        ("mean ms", s.mean_ms),
        ("p50 ms", s.p50_ms),
        ("p90 ms", s.p90_ms),
        ("p99 ms", s.p99_ms),
        ("p99.9 ms", s.p999_ms),
        ("max ms", s.max_ms),
    ]
    .into_iter()
    .map(|(name, v)| (format!("{prefix} {name}"), v))
    .collect()
}

impl Comparison {
    /// Builds the comparison from both servers' accumulated results.
    pub fn new(
        infos: [RunInfo; 2],
        labels: &[String],
        acc: &[Accumulated; 2],
        rounds: u32,
        error: Option<String>,
    ) -> Comparison {
        let [info_a, info_b] = infos;
        let report = |info: RunInfo, acc: &Accumulated| {
            let result = RunResult {
                stats: acc.stats.clone(),
                elapsed: acc.elapsed,
                started: std::time::SystemTime::now(),
                intervals: Vec::new(),
                error: error.clone(),
            };
            Report::new(info, labels, &result)
        };
        let a = report(info_a, &acc[0]);
        let b = report(info_b, &acc[1]);
        let rows = |r: &Report| -> Vec<(String, f64)> {
            let mut all: Vec<&Row> = vec![&r.total];
            if r.commands.len() > 1 {
                all.extend(&r.commands);
            }
            all.iter().flat_map(|row| metrics(&row.command, &row.summary)).collect()
        };
        let ratios = rows(&a)
            .into_iter()
            .zip(rows(&b))
            .map(|((metric, a), (_, b))| MetricRatio { metric, a, b, ratio: (a > 0.0).then(|| b / a) })
            .collect();
        Comparison { a, b, rounds, ratios }
    }

    /// The human-readable comparison.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "A = {}, B = {}; {} round{} each, alternating; ratio = B / A",
            self.a.config.server,
            self.b.config.server,
            self.rounds,
            if self.rounds == 1 { "" } else { "s" }
        );
        let mut table = Table::new();
        table.load_preset(presets::UTF8_FULL_CONDENSED);
        table.set_header(["Metric", "A", "B", "B / A"]);
        for m in &self.ratios {
            let digits = if m.metric.ends_with("ops/s") { 0 } else { 3 };
            table.add_row([
                m.metric.clone(),
                format!("{:.*}", digits, m.a),
                format!("{:.*}", digits, m.b),
                m.ratio.map(|r| format!("{r:.3}")).unwrap_or_else(|| "-".to_owned()),
            ]);
        }
        for column in 1..4 {
            if let Some(col) = table.column_mut(column) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        let _ = writeln!(out, "{table}");
        out
    }

    /// CSV: `metric,a,b,ratio`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("metric,a,b,ratio\n");
        for m in &self.ratios {
            let _ =
                writeln!(out, "{},{},{},{}", m.metric, m.a, m.b, m.ratio.map(|r| r.to_string()).unwrap_or_default());
        }
        out
    }

    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"cannot encode JSON: {e}\"}}"))
    }
}
