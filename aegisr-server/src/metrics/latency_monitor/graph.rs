//! LATENCY GRAPH: the ASCII sparkline Redis draws of an event's samples (latency.c's
//! `latencyCommandGenSparkeline` over sparkline.c, filled style, 4 rows, 80 columns), each
//! sample labelled with how long ago it was taken.

use super::Sample;

/// Columns of one band of the graph (Redis's `LATENCY_GRAPH_COLS`).
const COLUMNS: usize = 80;
/// Rows of the sparkline itself.
const ROWS: usize = 4;
/// The filled style's characters, lowest first; a column above them is drawn with `|`.
const FILL: [u8; 3] = *b"_o#";

/// The graph of `event`'s `samples` (oldest first) with its all-time maximum `max`, as of
/// Unix second `now`.
pub fn render(event: &str, samples: &[Sample], max: u64, now: i64) -> String {
    let high = samples.iter().map(|s| s.ms).max().unwrap_or(0);
    let low = samples.iter().map(|s| s.ms).min().unwrap_or(0);
    let mut out = format!("{event} - high {high} ms, low {low} ms (all time high {max} ms)\n");
    out.push_str(&"-".repeat(COLUMNS));
    out.push('\n');
    let labels: Vec<String> = samples.iter().map(|s| ago(now - s.time)).collect();
    for (band, start) in (0..samples.len()).step_by(COLUMNS).enumerate() {
        if band > 0 {
            out.push('\n');
        }
        let end = (start + COLUMNS).min(samples.len());
        band_rows(&mut out, &samples[start..end], &labels[start..end], low as f64, high as f64);
    }
    out
}

/// "12s", "3m", "5h", "2d": how long ago a sample was taken.
fn ago(elapsed: i64) -> String {
    match elapsed {
        e if e < 60 => format!("{e}s"),
        e if e < 3600 => format!("{}m", e / 60),
        e if e < 3600 * 24 => format!("{}h", e / 3600),
        e => format!("{}d", e / (3600 * 24)),
    }
}

/// One band of up to [`COLUMNS`] samples: the sparkline rows, a blank line, then the labels
/// written vertically (sparkline.c's `sparklineRenderRange`).
fn band_rows(out: &mut String, samples: &[Sample], labels: &[String], min: f64, max: f64) {
    let steps = (FILL.len() * ROWS) as i64;
    let range = if max - min == 0.0 { 1.0 } else { max - min };
    // Redis truncates twice: `(int)(relval * steps) / relmax`, then into an int.
    let step_of =
        |ms: u64| (((ms as f64 - min) * steps as f64).trunc() / range).trunc().clamp(0.0, (steps - 1) as f64) as i64;
    let steps_of: Vec<i64> = samples.iter().map(|s| step_of(s.ms)).collect();
    let mut line = Vec::with_capacity(samples.len());
    for row in 0..ROWS {
        line.clear();
        for &step in &steps_of {
            let index = step - ((ROWS - row - 1) * FILL.len()) as i64;
            line.push(match usize::try_from(index) {
                Ok(i) if i < FILL.len() => FILL[i],
                Ok(_) => b'|',
                Err(_) => b' ',
            });
        }
        push_line(out, &line);
    }
    // The margin between the graph and the labels.
    push_line(out, &vec![b' '; samples.len()]);
    let tallest = labels.iter().map(String::len).max().unwrap_or(0);
    for row in 0..tallest {
        line.clear();
        line.extend(labels.iter().map(|l| l.as_bytes().get(row).copied().unwrap_or(b' ')));
        push_line(out, &line);
    }
}

fn push_line(out: &mut String, line: &[u8]) {
    out.extend(line.iter().map(|&b| char::from(b)));
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_redis_draws_it() {
        // Redis 7.0.15 drew this from these samples (LATENCY HISTORY), asked at 1795747305.
        let samples = [(1795747301, 20), (1795747302, 50), (1795747304, 3), (1795747305, 12)]
            .map(|(time, ms)| Sample { time, ms });
        let graph = render("command", &samples, 50, 1795747305);
        let expected = "command - high 50 ms, low 3 ms (all time high 50 ms)\n".to_owned()
            + &"-".repeat(80)
            + "\n #  \n |  \no|  \n||_#\n    \n4310\nssss\n";
        assert_eq!(graph, expected);
    }

    #[test]
    fn flat_series_and_long_labels() {
        let samples = [Sample { time: 1000, ms: 7 }, Sample { time: 1000 + 7200, ms: 7 }];
        let graph = render("expire-cycle", &samples, 9, 1000 + 7200 + 90000);
        let body: Vec<&str> = graph.lines().skip(2).collect();
        // Equal values all sit at the bottom step.
        assert_eq!(body, ["  ", "  ", "  ", "__", "  ", "11", "dd"]);
        assert!(graph.starts_with("expire-cycle - high 7 ms, low 7 ms (all time high 9 ms)\n"));
    }

    #[test]
    fn more_samples_than_columns_make_bands() {
        let samples: Vec<Sample> = (0..100).map(|i| Sample { time: 5000 + i, ms: 1 + i as u64 }).collect();
        let graph = render("command", &samples, 100, 5100);
        let lines: Vec<&str> = graph.lines().collect();
        // Header, rule, then 4 + 1 + 3 rows of 80 columns ("1m", "59s"...), a blank line,
        // and 4 + 1 + 3 of 20 ("20s"..."1s").
        assert_eq!(lines.len(), 2 + 8 + 1 + 8);
        assert!(lines[2..10].iter().all(|l| l.len() == 80));
        assert_eq!(lines[10], "");
        assert!(lines[11..].iter().all(|l| l.len() == 20));
    }
}
