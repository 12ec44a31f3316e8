//! Command-line flags. Each flag is also read from `AEGISR_<NAME>` and from the config file
//! given with `--config` (or first, as redis-server takes it); flags beat the environment,
//! which beats the file, which beats the defaults. The file may set any option of the
//! registry by its Redis name, in TOML or in redis.conf's own format.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;

use super::store::ConfigStore;

/// Aegisr: an in-memory data store that speaks RESP2/RESP3 and gRPC.
#[derive(Debug, Parser)]
#[command(name = "aegisr-server", version, about, long_about = None, args_override_self = true, disable_help_subcommand = true, after_help = "\
Examples:
  aegisr-server                          # RESP on 127.0.0.1:6379, gRPC on 127.0.0.1:7379
  aegisr-server --port 0 --grpc-port 0   # free ports, printed at start
  aegisr-server --metrics-port -1        # no HTTP /metrics endpoint
  aegisr-server --config aegisr.toml     # any option by its Redis name, e.g. hz = 20
  aegisr-server /etc/redis/redis.conf    # or a redis.conf, as redis-server reads it
  aegisr-server --notify-keyspace-events KEA   # any other option, as redis-server takes it
  aegisr-server --cluster                # a one-node cluster owning every slot
  aegisr-server --port 6380 --join 127.0.0.1:16379   # join it (its cluster port)
Connect with: redis-cli -p 6379")]
pub struct Cli {
    /// Config file with options by their Redis names: TOML (`maxclients = 5000`) or a
    /// redis.conf (`maxclients 5000`), told apart by the extension or the first line.
    #[arg(long, env = "AEGISR_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The config file given first, as redis-server takes it (the same as --config).
    #[arg(value_name = "CONFIG_FILE", conflicts_with = "config")]
    pub config_file: Option<PathBuf>,
    /// Addresses to listen on, space separated [default: 127.0.0.1].
    #[arg(long, env = "AEGISR_BIND", value_name = "ADDR")]
    pub bind: Option<String>,
    /// RESP port; 0 picks a free port [default: 6379].
    #[arg(long, env = "AEGISR_PORT")]
    pub port: Option<u16>,
    /// gRPC port (Data and Admin services); 0 picks a free port [default: 7379].
    #[arg(long, env = "AEGISR_GRPC_PORT")]
    pub grpc_port: Option<u16>,
    /// HTTP port of /metrics, /healthz and /readyz; 0 picks a free port, -1 turns it off
    /// [default: 9379].
    #[arg(long, env = "AEGISR_METRICS_PORT", allow_hyphen_values = true, value_name = "PORT")]
    pub metrics_port: Option<i32>,
    /// Data directory [default: ./aegisr-data].
    #[arg(long, env = "AEGISR_DIR", value_name = "PATH")]
    pub dir: Option<String>,
    /// Worker threads; 0 means one per core [default: 0].
    #[arg(long, env = "AEGISR_THREADS")]
    pub threads: Option<u32>,
    /// Which worker serves a connection: adaptive (gather on one worker, spread when it is
    /// saturated and a core is spare) or spread (as many on each) [default: adaptive].
    #[arg(long, env = "AEGISR_WORKER_PLACEMENT", value_name = "POLICY")]
    pub worker_placement: Option<String>,
    /// Keyspace shards, a power of two; 0 picks 16 per worker thread [default: 0].
    #[arg(long, env = "AEGISR_SHARDS")]
    pub shards: Option<u32>,
    /// Number of logical databases [default: 16].
    #[arg(long, env = "AEGISR_DATABASES")]
    pub databases: Option<u32>,
    /// Most clients connected at once [default: 10000].
    #[arg(long, env = "AEGISR_MAXCLIENTS")]
    pub maxclients: Option<u32>,
    /// Close clients idle for this many seconds, 0 for never [default: 0].
    #[arg(long, env = "AEGISR_TIMEOUT", value_name = "SECONDS")]
    pub timeout: Option<u32>,
    /// Active expiry passes per second [default: 10].
    #[arg(long, env = "AEGISR_HZ")]
    pub hz: Option<u32>,
    /// Largest bulk string a client may send, e.g. 512mb [default: 512mb].
    #[arg(long, env = "AEGISR_PROTO_MAX_BULK_LEN", value_name = "SIZE")]
    pub proto_max_bulk_len: Option<String>,
    /// Most bytes pending in one client's unfinished command [default: 1gb].
    #[arg(long, env = "AEGISR_CLIENT_QUERY_BUFFER_LIMIT", value_name = "SIZE")]
    pub client_query_buffer_limit: Option<String>,
    /// Memory limit, e.g. 100mb or 2gb; past it keys are evicted by --maxmemory-policy; 0
    /// for none [default: 0].
    #[arg(long, env = "AEGISR_MAXMEMORY", value_name = "SIZE")]
    pub maxmemory: Option<String>,
    /// Which keys to evict past maxmemory: noeviction, allkeys-lru, allkeys-lfu,
    /// allkeys-random, volatile-lru, volatile-lfu, volatile-random or volatile-ttl
    /// [default: noeviction].
    #[arg(long, env = "AEGISR_MAXMEMORY_POLICY", value_name = "POLICY")]
    pub maxmemory_policy: Option<String>,
    /// debug, verbose, notice, warning or nothing [default: notice].
    #[arg(long, env = "AEGISR_LOGLEVEL", value_name = "LEVEL")]
    pub loglevel: Option<String>,
    /// text, or json: one JSON object per line for log shippers [default: text].
    #[arg(long, env = "AEGISR_LOG_FORMAT", value_name = "text|json")]
    pub log_format: Option<String>,
    /// on: keep the data in --dir (journal and snapshots); none: memory only, nothing is
    /// written [default: on].
    #[arg(long, env = "AEGISR_PERSISTENCE", value_name = "on|none")]
    pub persistence: Option<String>,
    /// yes: log every write to the journal; no: snapshots only (--save, SAVE, BGSAVE)
    /// [default: yes].
    #[arg(long, env = "AEGISR_APPENDONLY", value_name = "yes|no")]
    pub appendonly: Option<String>,
    /// When the journal is synced: always (before each reply, shared by concurrent
    /// writers), everysec, or no (left to the OS) [default: everysec].
    #[arg(long, env = "AEGISR_APPENDFSYNC", value_name = "always|everysec|no")]
    pub appendfsync: Option<String>,
    /// yes: no transparent huge pages for this process (leaner memory per key, as Redis);
    /// no: the allocator may use them (fewer TLB misses on large datasets) [default: yes].
    #[arg(long, env = "AEGISR_DISABLE_THP", value_name = "yes|no")]
    pub disable_thp: Option<String>,
    /// Snapshot rules, "<seconds> <changes> ..."; "" for none [default: "3600 1 300 100 60 10000"].
    #[arg(long, env = "AEGISR_SAVE", value_name = "RULES", allow_hyphen_values = true)]
    pub save: Option<String>,
    /// Run as a cluster node; with no cluster state yet, bootstrap a one-node cluster
    /// owning every slot.
    #[arg(long, env = "AEGISR_CLUSTER")]
    pub cluster: bool,
    /// Join the cluster that has a member at HOST:PORT, its cluster port (implies
    /// --cluster; ignored once this node has cluster state).
    #[arg(long, env = "AEGISR_JOIN", value_name = "HOST:PORT")]
    pub join: Option<String>,
    /// Follow this Redis master from the start, "HOST PORT", as REPLICAOF does: the node
    /// takes the master's data and every write it makes (standalone nodes).
    #[arg(long, env = "AEGISR_REPLICAOF", value_name = "\"HOST PORT\"")]
    pub replicaof: Option<String>,
    /// Replicas per shard group, set by the node that bootstraps the cluster [default: 1].
    #[arg(long, env = "AEGISR_REPLICAS", value_name = "N")]
    pub replicas: Option<u32>,
    /// Cluster bus port (Raft, joins, heartbeats); 0 picks a free port [default: the RESP
    /// port + 10000].
    #[arg(long, env = "AEGISR_CLUSTER_PORT", allow_hyphen_values = true, value_name = "PORT")]
    pub cluster_port: Option<i32>,
    /// Address announced to other nodes and clients [default: the bind address if it is
    /// one specific IP, else 127.0.0.1].
    #[arg(long, env = "AEGISR_CLUSTER_ANNOUNCE_IP", value_name = "IP")]
    pub cluster_announce_ip: Option<String>,
    /// Cluster port announced to the other nodes, e.g. one forwarded to the cluster port by
    /// NAT or a proxy; 0 announces the real one [default: 0].
    #[arg(long, env = "AEGISR_CLUSTER_ANNOUNCE_BUS_PORT", value_name = "PORT")]
    pub cluster_announce_bus_port: Option<u16>,
    /// Local address of the connections this node opens to other cluster nodes [default:
    /// chosen by the OS].
    #[arg(long, env = "AEGISR_BIND_SOURCE_ADDR", value_name = "IP")]
    pub bind_source_addr: Option<String>,
    /// Milliseconds of missed heartbeats before a primary's replica is promoted
    /// [default: 1000].
    #[arg(long, env = "AEGISR_FAILOVER_TIMEOUT", value_name = "MS")]
    pub failover_timeout: Option<u64>,
    /// Milliseconds of silence before a node is removed from the cluster for good; 0 for
    /// never [default: 60000].
    #[arg(long, env = "AEGISR_NODE_GONE_TIMEOUT", value_name = "MS")]
    pub node_gone_timeout: Option<u64>,
    /// Quorum writes: a primary replies to a write only once N replicas have applied it
    /// (no acknowledged write lost on failover); 0 is asynchronous, as Redis [default: 0].
    #[arg(long, env = "AEGISR_MIN_REPLICAS_ACK", value_name = "N")]
    pub min_replicas_ack: Option<u32>,
    /// The default user's password: clients must AUTH (gRPC: `authorization` metadata)
    /// [default: none].
    #[arg(long, env = "AEGISR_REQUIREPASS", value_name = "PASSWORD")]
    pub requirepass: Option<String>,
    /// ACL file of users (`user <name> <rules>` lines), loaded at start and by ACL LOAD,
    /// written by ACL SAVE [default: none].
    #[arg(long, env = "AEGISR_ACLFILE", value_name = "FILE")]
    pub aclfile: Option<String>,
    /// Write the log to this file (appended) instead of standard output [default: none].
    #[arg(long, env = "AEGISR_LOGFILE", value_name = "FILE")]
    pub logfile: Option<String>,
    /// Write the process ID to this file at start, and remove it at shutdown [default: none].
    #[arg(long, env = "AEGISR_PIDFILE", value_name = "FILE")]
    pub pidfile: Option<String>,
    #[command(subcommand)]
    pub command: Option<Tool>,
    /// Options without a flag of their own, given as redis-server takes them:
    /// `--name value...` (see [`Cli::parse_args`]).
    #[arg(skip)]
    pub other: Vec<(String, String)>,
    /// `--user <name> <rules>...`: ACL users, as a redis.conf's `user` lines.
    #[arg(skip)]
    pub users: Vec<String>,
}

/// Maintenance tools that run instead of the server.
#[derive(Debug, clap::Subcommand)]
pub enum Tool {
    /// Verify a data directory (journal segments and snapshots) without starting a node;
    /// with --repair, cut the journal at the first damaged record after saying exactly
    /// what would be lost. Exit status 0 when the directory is sound (or repaired).
    CheckData {
        /// The data directory (the server's --dir).
        dir: PathBuf,
        /// Truncate the journal at the first damaged record.
        #[arg(long)]
        repair: bool,
    },
}

impl Cli {
    /// Parses the command line: the flags above, and any other option of the registry as
    /// redis-server takes it, `--name value...` (its values run up to the next `--`
    /// argument: `--notify-keyspace-events KEA`, `--oom-score-adj-values 0 200 800`).
    pub fn parse_args() -> Cli {
        Cli::parse_from_args(std::env::args_os())
    }

    fn parse_from_args<A: Into<std::ffi::OsString>>(args: impl IntoIterator<Item = A>) -> Cli {
        let flags: Vec<String> = <Cli as clap::CommandFactory>::command()
            .get_arguments()
            .filter_map(|a| a.get_long())
            .map(str::to_owned)
            .collect();
        let mut kept = Vec::new();
        let mut other: Vec<(String, String)> = Vec::new();
        let mut users = Vec::new();
        let mut args = args.into_iter().map(Into::into).peekable();
        let is_option = |arg: &std::ffi::OsString| arg.to_str().is_some_and(|a| a.starts_with("--"));
        while let Some(arg) = args.next() {
            // `--name value...` or `--name=value`, for an option that has no flag.
            let given = arg.to_str().and_then(|a| a.strip_prefix("--")).map(|a| match a.split_once('=') {
                Some((name, value)) => (name.to_ascii_lowercase(), Some(value.to_owned())),
                None => (a.to_ascii_lowercase(), None),
            });
            match given {
                Some((name, inline))
                    if name == "user" || (!flags.contains(&name) && super::options::find(&name).is_some()) =>
                {
                    let mut values: Vec<String> = inline.into_iter().collect();
                    if values.is_empty() {
                        while let Some(value) = args.next_if(|a| !is_option(a)) {
                            values.push(value.to_string_lossy().into_owned());
                        }
                    }
                    if name == "user" {
                        users.push(format!("user {}", values.join(" ")));
                        continue;
                    }
                    other.retain(|(n, _)| *n != name);
                    other.push((name, values.join(" ")));
                }
                _ => kept.push(arg),
            }
        }
        let mut cli = Cli::parse_from(kept);
        cli.other = other;
        cli.users = users;
        cli
    }

    /// The flags given, as `(option name, value)` pairs.
    fn pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut put = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                out.push((name.to_owned(), v));
            }
        };
        put("bind", self.bind.clone());
        put("port", self.port.map(|v| v.to_string()));
        put("grpc-port", self.grpc_port.map(|v| v.to_string()));
        put("metrics-port", self.metrics_port.map(|v| v.to_string()));
        put("dir", self.dir.clone());
        put("threads", self.threads.map(|v| v.to_string()));
        put("worker-placement", self.worker_placement.clone());
        put("shards", self.shards.map(|v| v.to_string()));
        put("databases", self.databases.map(|v| v.to_string()));
        put("maxclients", self.maxclients.map(|v| v.to_string()));
        put("timeout", self.timeout.map(|v| v.to_string()));
        put("hz", self.hz.map(|v| v.to_string()));
        put("proto-max-bulk-len", self.proto_max_bulk_len.clone());
        put("client-query-buffer-limit", self.client_query_buffer_limit.clone());
        put("loglevel", self.loglevel.clone());
        put("log-format", self.log_format.clone());
        put("persistence", self.persistence.clone());
        put("appendonly", self.appendonly.clone());
        put("appendfsync", self.appendfsync.clone());
        put("disable-thp", self.disable_thp.clone());
        put("save", self.save.clone());
        put("maxmemory", self.maxmemory.clone());
        put("maxmemory-policy", self.maxmemory_policy.clone());
        if self.cluster || self.join.is_some() {
            put("cluster-enabled", Some("yes".to_owned()));
        }
        put("join", self.join.clone());
        put("replicaof", self.replicaof.clone());
        put("replicas", self.replicas.map(|v| v.to_string()));
        put("cluster-port", self.cluster_port.map(|v| v.to_string()));
        put("cluster-announce-ip", self.cluster_announce_ip.clone());
        put("cluster-announce-bus-port", self.cluster_announce_bus_port.map(|v| v.to_string()));
        put("bind-source-addr", self.bind_source_addr.clone());
        put("failover-timeout", self.failover_timeout.map(|v| v.to_string()));
        put("min-replicas-ack", self.min_replicas_ack.map(|v| v.to_string()));
        put("node-gone-timeout", self.node_gone_timeout.map(|v| v.to_string()));
        put("requirepass", self.requirepass.clone());
        put("aclfile", self.aclfile.clone());
        put("logfile", self.logfile.clone());
        put("pidfile", self.pidfile.clone());
        out.extend(self.other.iter().cloned());
        out
    }

    /// Builds the validated configuration: defaults, then the file, then flags and env.
    pub fn load(&self) -> anyhow::Result<ConfigStore> {
        let store = ConfigStore::new();
        if let Some(path) = self.config.as_ref().or(self.config_file.as_ref()) {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
            let pairs = if super::redis_conf::is_redis_conf(path, &text) {
                let conf = super::redis_conf::read(path).context("in config file")?;
                store.set_file_users(conf.users);
                conf.options
            } else {
                file_pairs(&text).with_context(|| format!("in config file {}", path.display()))?
            };
            store
                .set_many(&pairs, true)
                .map_err(|e| anyhow::anyhow!("in config file {}: {}", path.display(), plain(&e)))?;
            // Absolute, as Redis keeps it: CONFIG REWRITE writes it back whatever the
            // working directory is by then.
            store.set_file(std::path::absolute(path).unwrap_or_else(|_| path.clone()));
        }
        store.set_many(&self.pairs(), true).map_err(|e| anyhow::anyhow!("{}", plain(&e)))?;
        if !self.users.is_empty() {
            let mut users = store.file_users();
            users.extend(self.users.iter().cloned());
            store.set_file_users(users);
        }
        Ok(store)
    }
}

/// A configuration error without the RESP "ERR CONFIG SET failed" framing.
fn plain(e: &super::ConfigError) -> String {
    use super::ConfigError::*;
    match e {
        Unknown(name) => format!("unknown option '{name}'"),
        Immutable(name) | Protected(name) => format!("option '{name}' cannot be changed"),
        Duplicate(name) => format!("option '{name}' given twice"),
        Invalid { name, reason } => format!("option '{name}': {reason}"),
    }
}

/// The `name = value` pairs of a TOML config file (strings, integers or booleans).
fn file_pairs(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    let table: toml::Table = text.parse()?;
    let mut pairs = Vec::new();
    for (name, value) in table {
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => if b { "yes" } else { "no" }.to_owned(),
            toml::Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(" "),
            other => bail!("option '{name}': unsupported value {other}"),
        };
        pairs.push((name, value));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aegisr.toml");
        std::fs::write(&path, "hz = 20\nmaxclients = 7\nbind = [\"127.0.0.1\", \"::1\"]\nappendonly = true\n").unwrap();
        let cli = Cli::parse_from(["aegisr-server", "--config", path.to_str().unwrap(), "--maxclients", "9"]);
        let store = cli.load().unwrap();
        assert_eq!(store.get("hz").as_deref(), Some("20"));
        assert_eq!(store.get("maxclients").as_deref(), Some("9"));
        assert_eq!(store.get("bind").as_deref(), Some("127.0.0.1 ::1"));
        assert_eq!(store.get("appendonly").as_deref(), Some("yes"));
    }

    #[test]
    fn any_option_is_a_flag_as_redis_server_takes_it() {
        let args = ["aegisr-server", "--notify-keyspace-events", "KEA", "--oom-score-adj-values", "0", "200", "800"];
        let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        args.extend([
            "--hz".into(),
            "20".into(),
            "--Activerehashing".into(),
            "no".into(),
            "--save".into(),
            String::new(),
        ]);
        args.extend(["--slowlog-max-len=7".into(), "--user".into(), "alice".into(), "on".into(), "+get".into()]);
        let store = Cli::parse_from_args(args).load().unwrap();
        assert_eq!(store.get("slowlog-max-len").as_deref(), Some("7"));
        assert_eq!(store.file_users(), ["user alice on +get"]);
        assert_eq!(store.get("notify-keyspace-events").as_deref(), Some("AKE"));
        assert_eq!(store.get("oom-score-adj-values").as_deref(), Some("0 200 800"));
        assert_eq!(store.get("hz").as_deref(), Some("20"));
        assert_eq!(store.get("activerehashing").as_deref(), Some("no"));
        assert_eq!(store.get("save").as_deref(), Some(""));
        let err = Cli::parse_from_args(["aegisr-server", "--lua-time-limit", "x"]).load().err().unwrap();
        assert!(err.to_string().contains("lua-time-limit"), "{err}");
    }

    #[test]
    fn bad_values_are_explained() {
        let cli = Cli::parse_from(["aegisr-server", "--proto-max-bulk-len", "lots"]);
        let err = cli.load().err().unwrap().to_string();
        assert_eq!(err, "option 'proto-max-bulk-len': argument must be a memory value");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "no_such_option = 1\n").unwrap();
        let cli = Cli::parse_from(["aegisr-server", "--config", path.to_str().unwrap()]);
        assert!(cli.load().err().unwrap().to_string().contains("unknown option 'no_such_option'"));
    }
}
