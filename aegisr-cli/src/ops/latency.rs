//! `latency`: PING round trips over gRPC, with live min/avg/p50/p99/max.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use aegisr_proto::Bytes;
use hdrhistogram::Histogram;

use crate::connection::{Connection, ConnectionError};
use crate::output::{Output, Status};

/// The summary line for the samples so far (microseconds, shown in ms).
pub(crate) fn summary(histogram: &Histogram<u64>) -> String {
    let ms = |us: u64| us as f64 / 1000.0;
    format!(
        "min: {:.3}, avg: {:.3}, p50: {:.3}, p99: {:.3}, max: {:.3} ms ({} samples)",
        ms(histogram.min()),
        histogram.mean() / 1000.0,
        ms(histogram.value_at_quantile(0.5)),
        ms(histogram.value_at_quantile(0.99)),
        ms(histogram.max()),
        histogram.len()
    )
}

pub(super) async fn run(
    connection: &mut Connection,
    output: &Output,
    count: Option<u64>,
    pause: Duration,
) -> Result<Status, ConnectionError> {
    // 1 µs to 1 hour with 3 significant digits: a few tens of KB.
    let Ok(mut histogram) = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3) else {
        output.problem("aegisr-cli: cannot create the latency histogram");
        return Ok(Status::Failed);
    };
    // On a terminal the line is redrawn in place; otherwise a line a second.
    let terminal = std::io::stdout().is_terminal();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut last_print = Instant::now();
    while count.is_none_or(|c| histogram.len() < c) {
        let start = Instant::now();
        let reply = tokio::select! {
            reply = connection.execute(vec![Bytes::from_static(b"PING")]) => reply?,
            _ = &mut ctrl_c => break,
        };
        let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX).max(1);
        if let Some(error) = reply.as_error() {
            output.problem(&format!("PING failed: {}", error.message));
            return Ok(Status::ErrorReply);
        }
        histogram.saturating_record(micros);
        if terminal && last_print.elapsed() >= Duration::from_millis(100) {
            output.text(&format!("\r\x1b[0K{}", summary(&histogram)));
            last_print = Instant::now();
        } else if !terminal && last_print.elapsed() >= Duration::from_secs(1) {
            output.text(&format!("{}\n", summary(&histogram)));
            last_print = Instant::now();
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = &mut ctrl_c => break,
        }
    }
    if histogram.is_empty() {
        output.text("\nno samples\n");
    } else {
        output.text(&format!("{}{}\n", if terminal { "\r\x1b[0K" } else { "" }, summary(&histogram)));
    }
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_in_milliseconds() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for us in [100, 200, 300, 400, 10_000] {
            h.record(us).unwrap();
        }
        let text = summary(&h);
        // The histogram keeps 3 significant digits, so 10 ms may read 10.007.
        assert!(text.starts_with("min: 0.100, avg: 2.20"), "{text}");
        assert!(text.contains(", p50: 0.300, p99: 10.0"), "{text}");
        assert!(text.contains(", max: 10.0") && text.ends_with(" ms (5 samples)"), "{text}");
    }
}
