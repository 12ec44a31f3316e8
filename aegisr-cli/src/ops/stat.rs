//! `stat`: a line of server stats per interval, like `redis-cli --stat`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::connection::{Connection, ConnectionError};
use crate::output::{Output, Status};

/// What one line shows, read from INFO.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Sample {
    pub keys: u64,
    pub memory: String,
    pub clients: u64,
    pub blocked: u64,
    pub requests: u64,
    pub connections: u64,
}

impl Sample {
    pub(crate) fn from_info(text: &str) -> Self {
        let fields: HashMap<&str, &str> = text.lines().filter_map(|l| l.trim_end().split_once(':')).collect();
        let number = |name: &str| fields.get(name).and_then(|v| v.parse().ok()).unwrap_or(0);
        // Keyspace lines look like `db0:keys=2,expires=0,avg_ttl=0`.
        let keys = fields
            .iter()
            .filter(|(name, _)| name.starts_with("db") && name[2..].parse::<u32>().is_ok())
            .filter_map(|(_, value)| value.split(',').find_map(|kv| kv.strip_prefix("keys=")))
            .filter_map(|n| n.parse::<u64>().ok())
            .sum();
        Self {
            keys,
            memory: fields.get("used_memory_human").map_or_else(|| "?".to_owned(), |m| (*m).to_owned()),
            clients: number("connected_clients"),
            blocked: number("blocked_clients"),
            requests: number("total_commands_processed"),
            connections: number("total_connections_received"),
        }
    }
}

const HEADER: &str = "------- data ------- ------------------------- load -------------------------\n\
                      keys       mem        clients  blocked  requests               ops/s     connections\n";

/// One line: `requests` with the delta since the previous sample, and the
/// rate over `elapsed`.
pub(crate) fn line(sample: &Sample, previous: Option<&Sample>, elapsed: Duration) -> String {
    let delta = previous.map_or(0, |p| sample.requests.saturating_sub(p.requests));
    let rate = match previous {
        Some(_) if elapsed.as_secs_f64() > 0.0 => format!("{:.0}", delta as f64 / elapsed.as_secs_f64()),
        _ => "-".to_owned(),
    };
    let requests = format!("{} (+{delta})", sample.requests);
    format!(
        "{:<10} {:<10} {:<8} {:<8} {:<22} {:<9} {}\n",
        sample.keys, sample.memory, sample.clients, sample.blocked, requests, rate, sample.connections
    )
}

pub(super) async fn run(
    connection: &mut Connection,
    output: &Output,
    count: Option<u64>,
    every: Duration,
) -> Result<Status, ConnectionError> {
    let mut previous: Option<(Sample, Instant)> = None;
    let mut printed = 0u64;
    while count.is_none_or(|c| printed < c) {
        if previous.is_some() {
            tokio::time::sleep(every).await;
        }
        let info = connection.info(&["keyspace", "memory", "clients", "stats"]).await?;
        let now = Instant::now();
        let sample = Sample::from_info(&info.text);
        if printed % 20 == 0 {
            output.text(HEADER);
        }
        let elapsed = previous.as_ref().map_or(Duration::ZERO, |(_, at)| now - *at);
        output.text(&line(&sample, previous.as_ref().map(|(s, _)| s), elapsed));
        previous = Some((sample, now));
        printed += 1;
    }
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = "# Clients\r\nconnected_clients:3\r\nblocked_clients:1\r\n# Memory\r\nused_memory_human:1.5M\r\n\
                        # Stats\r\ntotal_connections_received:9\r\ntotal_commands_processed:100\r\n\
                        # Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\ndb3:keys=5,expires=1,avg_ttl=0\r\n";

    #[test]
    fn reads_the_fields_and_sums_keys() {
        let s = Sample::from_info(INFO);
        assert_eq!(s, Sample { keys: 7, memory: "1.5M".into(), clients: 3, blocked: 1, requests: 100, connections: 9 });
    }

    #[test]
    fn rate_is_the_delta_over_the_interval() {
        let first = Sample::from_info(INFO);
        let second = Sample { requests: 150, ..first.clone() };
        let text = line(&second, Some(&first), Duration::from_millis(500));
        assert!(text.contains("150 (+50)"), "{text}");
        assert!(text.split_whitespace().any(|w| w == "100"), "rate 50/0.5s = 100: {text}");
        let text = line(&first, None, Duration::ZERO);
        assert!(text.contains("100 (+0)") && text.contains(" - "), "{text}");
    }
}
