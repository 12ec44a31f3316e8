//! Command-line options. Names follow redis-benchmark (`-h -p -c -n -P -d -r -a`) and
//! memtier_benchmark (`--ratio`, `--command`, `--key-pattern`, `--test-time`, `--threads`)
//! where they exist, so users of either feel at home.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser, ValueEnum};

use crate::workload::ValueSize;

const EXAMPLES: &str = "\
Examples:
  # 100k requests, SET:GET 1:10 (the default mix), 50 connections, against 127.0.0.1:6379
  aegisr-bench

  # 30 s, 2 threads x 25 connections, pipelines of 16, 1 KiB values
  aegisr-bench --threads 2 --clients 25 --pipeline 16 --test-time 30 --data-size 1024

  # Only PING, as fast as possible
  aegisr-bench --command PING -n 1000000 -P 32

  # A custom mix: LPUSH twice as often as LRANGE, zipfian keys, values of 10 to 100 bytes
  aegisr-bench --command \"LPUSH __key__ __data__\" --command-ratio 2 \\
               --command \"LRANGE __key__ 0 9\" --command-ratio 1 \\
               --key-pattern zipf --zipf-exponent 0.99 --data-size-range 10-100

  # Open loop at 50k ops/s: latency counted from each request's scheduled send time
  aegisr-bench --rate 50000 --test-time 20 --warmup 5 --prefill

  # Aegisr's gRPC door, Pipeline RPCs of 8 commands
  aegisr-bench --protocol grpc -p 7379 --pipeline 8

  # Machine-readable results and an HdrHistogram interval log for plotting
  aegisr-bench --json > result.json --hdr-log latency.hlog

  # Pub/sub: 1 publisher (pipeline 16), 50 subscribers, 64 B payloads, vs another server
  aegisr-bench --pubsub --subscribers 50 -P 16 -d 64 --test-time 5 -p 6379 --compare 127.0.0.1:6380

  # Same workload against two servers, alternating rounds, ratios per metric
  aegisr-bench -p 6379 --compare 127.0.0.1:6380 --rounds 3 --test-time 10

Placeholders in --command: __key__ is replaced by <key-prefix><n> with n drawn from the key
space by --key-pattern; __data__ by a value of --data-size bytes. Every __key__ in one command
gets the same key.";

/// The wire protocol to benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Protocol {
    /// RESP2 over TCP: Aegisr, Redis, Valkey, any Redis-compatible server.
    Resp,
    /// Aegisr's gRPC `Data` service (`Execute`, or `Pipeline` when --pipeline > 1).
    Grpc,
}

/// How keys are drawn from the key space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyPatternArg {
    /// Every key equally likely (memtier `R`).
    #[value(alias = "R", alias = "random")]
    Uniform,
    /// Keys in order, each thread walking its own slice (memtier `S`).
    #[value(alias = "S")]
    Sequential,
    /// Zipfian, skewed by --zipf-exponent (key 0 hottest).
    #[value(alias = "Z", alias = "zipfian")]
    Zipf,
}

/// A load generator for Aegisr and any Redis-compatible server (RESP), and for Aegisr's gRPC.
#[derive(Debug, Clone, Parser)]
#[command(name = "aegisr-bench", version, after_long_help = EXAMPLES, after_help = "See --help for examples.")]
// `-h` is the host, as in redis-benchmark; help is `--help` only.
#[command(disable_help_flag = true)]
pub struct Args {
    /// Pub/sub mode: --publishers PUBLISH (pipelined by --pipeline) --data-size payloads to
    /// one channel read by --subscribers connections; reports messages delivered per second
    /// and publish-to-receive latency. With --compare, alternating rounds against both.
    #[arg(long)]
    pub pubsub: bool,

    /// Publishing connections in --pubsub mode.
    #[arg(long, default_value_t = 1)]
    pub publishers: usize,

    /// Subscribing connections in --pubsub mode.
    #[arg(long, default_value_t = 50)]
    pub subscribers: usize,

    /// Server host name or address.
    #[arg(short = 'h', short_alias = 's', long, visible_alias = "server", default_value = "127.0.0.1")]
    pub host: String,

    /// Server port [default: 6379 for RESP, 7379 for gRPC].
    #[arg(short = 'p', long)]
    pub port: Option<u16>,

    /// Protocol to speak.
    #[arg(long, value_enum, default_value_t = Protocol::Resp)]
    pub protocol: Protocol,

    /// The target is a cluster node: read the slot map from it and send each request to the
    /// primary owning its key's slot (RESP: CLUSTER SLOTS, a connection per node for each
    /// client, MOVED / ASK / TRYAGAIN followed; gRPC: aegisr_proto::ClusterClient, one
    /// Execute per request). The report adds the requests each node answered.
    #[arg(long)]
    pub cluster: bool,

    /// Password: AUTH is sent on every connection (gRPC: `authorization` metadata on every
    /// call; not with --cluster).
    #[arg(short = 'a', long, visible_alias = "authenticate", env = "AEGISR_BENCH_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,

    /// User name for AUTH (ACL), used with --password.
    #[arg(long)]
    pub user: Option<String>,

    /// Database number (RESP: SELECTed on connect; gRPC: sent with every command).
    #[arg(long, default_value_t = 0)]
    pub dbnum: u32,

    /// Connections per thread; the total is --threads x --clients.
    #[arg(short = 'c', long, default_value_t = 50)]
    pub clients: usize,

    /// Client threads, each with its own event loop (one is enough to saturate most servers
    /// on a small machine; raise it for big servers).
    #[arg(short = 't', long, default_value_t = 1)]
    pub threads: usize,

    /// Requests in flight per connection: each connection writes this many requests at once
    /// and waits for all replies (RESP: one write; gRPC: one Pipeline RPC).
    #[arg(short = 'P', long, default_value_t = 1)]
    pub pipeline: usize,

    /// Total requests across all connections [default: 100000 unless --test-time is given].
    #[arg(short = 'n', long, conflicts_with = "test_time")]
    pub requests: Option<u64>,

    /// Run for this long instead of a request count: seconds, or with a unit (500ms, 30s, 2m).
    #[arg(long, visible_alias = "duration", value_parser = parse_duration)]
    pub test_time: Option<Duration>,

    /// Value size in bytes for __data__.
    #[arg(short = 'd', long, default_value_t = 32, conflicts_with = "data_size_range")]
    pub data_size: usize,

    /// Value sizes drawn uniformly from MIN-MAX bytes, e.g. 32-1024.
    #[arg(long, value_name = "MIN-MAX")]
    pub data_size_range: Option<ValueSize>,

    /// Number of distinct keys (keys are <key-prefix>0 .. <key-prefix>N-1).
    #[arg(short = 'r', long, visible_alias = "key-maximum", default_value_t = 100_000)]
    pub keyspace: u64,

    /// Prefix of every key.
    #[arg(long, default_value = "key:")]
    pub key_prefix: String,

    /// Key distribution.
    #[arg(long, value_enum, default_value_t = KeyPatternArg::Uniform)]
    pub key_pattern: KeyPatternArg,

    /// Skew of --key-pattern zipf (> 0; 0.99 is YCSB's default, higher is more skewed).
    #[arg(long, default_value_t = 0.99)]
    pub zipf_exponent: f64,

    /// Built-in command mix, e.g. set:get=1:10 or memtier's 1:10 (SET:GET) [default: 1:10
    /// unless --command is given]. Names: set get ping incr del exists append strlen getset
    /// lpush rpush lpop rpop sadd spop hset hget zadd.
    #[arg(long)]
    pub ratio: Option<String>,

    /// A command template, e.g. "LPUSH __key__ __data__"; repeat for a mix.
    #[arg(long, action = ArgAction::Append)]
    pub command: Vec<String>,

    /// Weight of each --command, in the same order [default: 1 each].
    #[arg(long, action = ArgAction::Append)]
    pub command_ratio: Vec<u32>,

    /// Open loop: send this many requests per second in total, on a fixed schedule, and count
    /// each latency from the request's scheduled time (corrects coordinated omission).
    #[arg(long, visible_alias = "rate-limiting")]
    pub rate: Option<f64>,

    /// Run the workload this long first, without recording (seconds or with a unit).
    #[arg(long, value_parser = parse_duration)]
    pub warmup: Option<Duration>,

    /// Before the run, SET every key of the key space once (values of --data-size).
    #[arg(long)]
    pub prefill: bool,

    /// Seed for keys, values and the command mix [default: random].
    #[arg(long)]
    pub seed: Option<u64>,

    /// Print results as JSON on stdout (instead of the table).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,

    /// Print results as CSV on stdout (instead of the table).
    #[arg(long)]
    pub csv: bool,

    /// Write latency histograms to FILE as an HdrHistogram interval log (one histogram per
    /// command per second, tagged with the command; values in microseconds).
    #[arg(long, value_name = "FILE")]
    pub hdr_log: Option<PathBuf>,

    /// Also benchmark this server (HOST:PORT), alternating rounds, and print the ratio of each
    /// metric (compared / first).
    #[arg(long, value_name = "HOST:PORT")]
    pub compare: Option<String>,

    /// Rounds per server with --compare.
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,

    /// Connect timeout, seconds.
    #[arg(long, default_value_t = 5.0)]
    pub connect_timeout: f64,

    /// No progress bar.
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Print help (--help for examples).
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,
}

/// Parses `30`, `30s`, `500ms`, `2m`, `1h`, `1.5s`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("{s:?} is not a duration (e.g. 30, 30s, 500ms, 2m)"))?;
    let seconds = match unit.trim() {
        "" | "s" | "sec" | "secs" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown unit {other:?} in {s:?} (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{s:?} is out of range"))
}

impl Args {
    /// The port to use, defaulting by protocol.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.protocol {
            Protocol::Resp => 6379,
            Protocol::Grpc => 7379,
        })
    }

    /// `host:port` of the main target.
    pub fn address(&self) -> String {
        join_host_port(&self.host, self.port())
    }
}

/// `host:port`, bracketing IPv6 literals.
pub fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn familiar_short_flags() {
        let a =
            Args::try_parse_from(["b", "-h", "10.0.0.1", "-p", "7000", "-c", "4", "-n", "10", "-P", "8", "-d", "5"])
                .unwrap();
        assert_eq!(a.address(), "10.0.0.1:7000");
        assert_eq!((a.clients, a.requests, a.pipeline, a.data_size), (4, Some(10), 8, 5));
        let a = Args::try_parse_from(["b", "--protocol", "grpc", "--key-pattern", "S"]).unwrap();
        assert_eq!(a.port(), 7379);
        assert_eq!(a.key_pattern, KeyPatternArg::Sequential);
        assert!(Args::try_parse_from(["b", "-n", "10", "--test-time", "5"]).is_err());
        let a = Args::try_parse_from(["b", "--command", "PING", "--command", "GET __key__", "--command-ratio", "2"])
            .unwrap();
        assert_eq!(a.command.len(), 2);
        assert_eq!(a.command_ratio, vec![2]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 parsecs").is_err());
    }

    #[test]
    fn ipv6_hosts_are_bracketed() {
        assert_eq!(join_host_port("::1", 6379), "[::1]:6379");
        assert_eq!(join_host_port("[::1]", 6379), "[::1]:6379");
    }
}
