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
    /// All commands together, per round, in round order: what the median and the spread
    /// between rounds are computed from (merged stats hide a noisy round).
    pub rounds: Vec<Summary>,
}

/// Runs `rounds` rounds over `specs[0]` and `specs[1]`, alternating which goes first. Stops at
/// the first error, returning what was measured so far and the error.
pub fn run_rounds(specs: [&RunSpec; 2], rounds: u32) -> ([Accumulated; 2], Option<String>) {
    let commands = specs[0].workload.commands.len();
    let mut acc =
        [0, 1].map(|_| Accumulated { stats: Stats::new(commands), elapsed: Duration::ZERO, rounds: Vec::new() });
    for round in 0..rounds {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let mut spec = specs[side].clone();
            spec.progress = spec.progress.map(|_| format!("{}/{} {}", round + 1, rounds, ["A", "B"][side]));
            let result: RunResult = runner::run(&spec);
            acc[side].stats.merge(&result.stats);
            acc[side].elapsed += result.elapsed;
            if result.error.is_none() {
                acc[side].rounds.push(Summary::of(&result.stats.total(), result.elapsed));
            }
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
    /// Round by round, all commands together.
    pub per_round: PerRound,
}

/// The rounds one by one: medians are robust to one disturbed round, and the spread says how
/// noisy the machine was.
#[derive(Debug, Clone, Serialize)]
pub struct PerRound {
    /// First server's ops/s in each completed round.
    pub a_ops_per_sec: Vec<f64>,
    /// Compared server's ops/s in each completed round.
    pub b_ops_per_sec: Vec<f64>,
    /// First server's p99 (ms) in each completed round.
    pub a_p99_ms: Vec<f64>,
    /// Compared server's p99 (ms) in each completed round.
    pub b_p99_ms: Vec<f64>,
    /// Median of `a_ops_per_sec`.
    pub a_median_ops_per_sec: f64,
    /// Median of `b_ops_per_sec`.
    pub b_median_ops_per_sec: f64,
    /// `b_median / a_median` (null when a's median is 0).
    pub median_ops_ratio: Option<f64>,
    /// Half the max/min range of a's ops/s over its median, in percent.
    pub a_spread_pct: f64,
    /// The same for b.
    pub b_spread_pct: f64,
}

/// The median of `xs` (the mean of the middle two for an even count; 0 when empty).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Half the max-min range relative to the median, in percent (0 for fewer than two values).
pub fn spread_pct(xs: &[f64]) -> f64 {
    let m = median(xs);
    if xs.len() < 2 || m <= 0.0 {
        return 0.0;
    }
    let max = xs.iter().copied().fold(f64::MIN, f64::max);
    let min = xs.iter().copied().fold(f64::MAX, f64::min);
    (max - min) / 2.0 / m * 100.0
}

impl PerRound {
    /// From both servers' per-round summaries.
    pub fn new(a: &[Summary], b: &[Summary]) -> PerRound {
        let ops = |s: &[Summary]| s.iter().map(|x| x.ops_per_sec).collect::<Vec<_>>();
        let p99 = |s: &[Summary]| s.iter().map(|x| x.p99_ms).collect::<Vec<_>>();
        let (a_ops, b_ops) = (ops(a), ops(b));
        let (a_median, b_median) = (median(&a_ops), median(&b_ops));
        PerRound {
            a_spread_pct: spread_pct(&a_ops),
            b_spread_pct: spread_pct(&b_ops),
            a_ops_per_sec: a_ops,
            b_ops_per_sec: b_ops,
            a_p99_ms: p99(a),
            b_p99_ms: p99(b),
            a_median_ops_per_sec: a_median,
            b_median_ops_per_sec: b_median,
            median_ops_ratio: (a_median > 0.0).then(|| b_median / a_median),
        }
    }
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
        let per_round = PerRound::new(&acc[0].rounds, &acc[1].rounds);
        Comparison { a, b, rounds, ratios, per_round }
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
        let p = &self.per_round;
        let list = |xs: &[f64]| xs.iter().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(" ");
        let _ = writeln!(
            out,
            "ops/s per round: A {} (median {:.0}, spread ±{:.1}%), B {} (median {:.0}, spread ±{:.1}%); median B / A {}",
            list(&p.a_ops_per_sec),
            p.a_median_ops_per_sec,
            p.a_spread_pct,
            list(&p.b_ops_per_sec),
            p.b_median_ops_per_sec,
            p.b_spread_pct,
            p.median_ops_ratio.map(|r| format!("{r:.3}")).unwrap_or_else(|| "-".to_owned())
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(ops_per_sec: f64, p99_ms: f64) -> Summary {
        Summary {
            ops: 1,
            errors: 0,
            ops_per_sec,
            mean_ms: 0.0,
            p50_ms: 0.0,
            p90_ms: 0.0,
            p99_ms,
            p999_ms: 0.0,
            max_ms: 0.0,
        }
    }

    #[test]
    fn medians_and_spreads() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(spread_pct(&[100.0]), 0.0);
        // Range 90..110 around a median of 100: ±10%.
        assert!((spread_pct(&[110.0, 90.0, 100.0]) - 10.0).abs() < 1e-9);
    }

    #[test]
    fn per_round_ratio_is_of_the_medians() {
        // One disturbed round of A (10) does not drag its median down as a merged mean would.
        let a = [summary(100.0, 1.0), summary(10.0, 9.0), summary(110.0, 1.2)];
        let b = [summary(200.0, 0.5), summary(190.0, 0.6), summary(210.0, 0.4)];
        let p = PerRound::new(&a, &b);
        assert_eq!(p.a_median_ops_per_sec, 100.0);
        assert_eq!(p.b_median_ops_per_sec, 200.0);
        assert_eq!(p.median_ops_ratio, Some(2.0));
        assert_eq!(p.a_p99_ms, vec![1.0, 9.0, 1.2]);
        assert!((p.b_spread_pct - 5.0).abs() < 1e-9);
        assert_eq!(PerRound::new(&[], &b).median_ops_ratio, None);
    }
}
