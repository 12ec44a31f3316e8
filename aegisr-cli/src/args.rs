//! The command line (clap derive). `-h` is the host, as in redis-cli, so help
//! is `--help` only.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Operator subcommands vs. server commands:
  A first word that is one of the subcommands above, written in lower case, runs that
  subcommand. Anything else is sent to the server as a command. To send a server command
  whose name is a subcommand, write it in upper case or put `--` before it:
    aegisr-cli info memory        # the `info` subcommand: pretty sections
    aegisr-cli INFO memory        # the server's INFO command, printed as it replies
    aegisr-cli -- scan 0 COUNT 5  # the server's SCAN command

Examples:
  aegisr-cli                              # interactive REPL on 127.0.0.1:7379
  aegisr-cli -p 7380 set greeting hello   # one command, then exit
  aegisr-cli -n 2 --json hgetall user:1   # database 2, JSON output
  aegisr-cli -r 5 -i 1 INCR visits        # five times, one second apart
  printf 'set a 1\\nincr a\\n' | aegisr-cli # commands from stdin, one per line
  aegisr-cli stat                         # a line of server stats per second

Output: redis-cli's layout on a terminal (tables for tabular replies that fit; --no-table
turns them off), --raw when stdout is not a terminal (as redis-cli; --no-raw forces the
layout). Colours only on a terminal and when NO_COLOR is unset.

Exit status: 0 on success, 1 when a reply was an error, 2 on usage or connection errors.";

/// aegisr-cli: the Aegisr command-line client (a REPL, one-shot commands and operator
/// tools) speaking gRPC.
#[derive(Debug, Parser)]
#[command(
    name = "aegisr-cli",
    version,
    about,
    after_long_help = AFTER_HELP,
    after_help = "Run `aegisr-cli --help` for the subcommand rule, examples and exit status.",
    disable_help_flag = true,
    disable_help_subcommand = true
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: Global,

    /// Send the command N times (-1: forever).
    #[arg(short = 'r', long = "repeat", value_name = "N", default_value_t = 1, allow_negative_numbers = true)]
    pub repeat: i64,

    /// Wait SECS between repeats (fractions allowed, e.g. 0.1).
    #[arg(short = 'i', long = "interval", value_name = "SECS", default_value_t = 0.0)]
    pub interval: f64,

    #[command(subcommand)]
    pub op: Option<Op>,

    /// A server command and its arguments, e.g. `SET key value`. Without one: the REPL on a
    /// terminal, or one command per line from stdin.
    #[arg(value_name = "COMMAND", trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<OsString>,
}

/// Options every subcommand takes as well.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// Server host.
    #[arg(
        short = 'h',
        long = "host",
        value_name = "HOST",
        default_value = "127.0.0.1",
        env = "AEGISR_CLI_HOST",
        global = true
    )]
    pub host: String,

    /// Server gRPC port (aegisr-server --grpc-port).
    #[arg(
        short = 'p',
        long = "port",
        value_name = "PORT",
        default_value_t = 7379,
        env = "AEGISR_CLI_PORT",
        global = true
    )]
    pub port: u16,

    /// Database number.
    #[arg(short = 'n', long = "db", value_name = "DB", default_value_t = 0, global = true)]
    pub db: u32,

    /// Password for a node that requires one (requirepass or an ACL user's), sent with
    /// every call as `authorization` metadata.
    #[arg(
        short = 'a',
        long = "pass",
        visible_alias = "password",
        value_name = "PASSWORD",
        env = "AEGISR_CLI_AUTH",
        hide_env_values = true,
        global = true
    )]
    pub pass: Option<String>,

    /// ACL user name to authenticate as, with --pass [default: the default user].
    #[arg(long = "user", value_name = "USER", global = true, requires = "pass")]
    pub user: Option<String>,

    /// Seconds to wait for the connection.
    #[arg(short = 't', long = "timeout", value_name = "SECS", default_value_t = 5.0, global = true)]
    pub timeout: f64,

    /// Print bare values (default when stdout is not a terminal).
    #[arg(long, global = true, conflicts_with_all = ["no_raw", "csv", "json"])]
    pub raw: bool,

    /// Print redis-cli's layout even when stdout is not a terminal.
    #[arg(long, global = true, conflicts_with_all = ["csv", "json"])]
    pub no_raw: bool,

    /// Print replies as CSV.
    #[arg(long, global = true, conflicts_with = "json")]
    pub csv: bool,

    /// Print each reply as one JSON document.
    #[arg(long, global = true)]
    pub json: bool,

    /// Never print tabular replies as tables.
    #[arg(long, global = true)]
    pub no_table: bool,

    /// Print help (see more with --help).
    #[arg(long, action = ArgAction::Help, global = true)]
    pub help: Option<bool>,
}

/// Operator subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Op {
    /// Server information, section by section, aligned.
    #[command(
        disable_help_flag = true,
        after_long_help = "Examples:\n  aegisr-cli info\n  aegisr-cli info memory stats\n  aegisr-cli info all --json"
    )]
    Info {
        /// Sections (server, clients, memory, stats, keyspace, all...); default: the default set.
        #[arg(value_name = "SECTION")]
        sections: Vec<String>,
    },
    /// Rolling server stats, a line per interval: keys, memory, clients, blocked, requests/s,
    /// connections (like `redis-cli --stat`).
    #[command(
        disable_help_flag = true,
        after_long_help = "Examples:\n  aegisr-cli stat\n  aegisr-cli stat --count 10 --every 0.5"
    )]
    Stat {
        /// Stop after N lines.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
        /// Seconds between lines.
        #[arg(long, value_name = "SECS", default_value_t = 1.0)]
        every: f64,
    },
    /// PING round-trip latency over gRPC: live min/avg/p50/p99/max in milliseconds.
    #[command(
        disable_help_flag = true,
        after_long_help = "Runs until Ctrl-C, or until --count samples.\n\nExamples:\n  aegisr-cli latency\n  \
                           aegisr-cli latency --count 1000"
    )]
    Latency {
        /// Stop after N samples.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
        /// Milliseconds between samples.
        #[arg(long, value_name = "MS", default_value_t = 10)]
        pause_ms: u64,
    },
    /// The biggest key of each type by length (STRLEN, LLEN, HLEN, SCARD, ZCARD), found with
    /// SCAN, so the server is never blocked.
    #[command(
        disable_help_flag = true,
        after_long_help = "Examples:\n  aegisr-cli bigkeys\n  aegisr-cli bigkeys --pattern 'user:*' --pause 0.01"
    )]
    Bigkeys(ScanOpts),
    /// The keys using the most memory (MEMORY USAGE), found with SCAN; when the server has no
    /// MEMORY USAGE, an estimate from lengths, said so in the output.
    #[command(
        disable_help_flag = true,
        after_long_help = "Examples:\n  aegisr-cli memkeys\n  aegisr-cli memkeys --count 1000"
    )]
    Memkeys(ScanOpts),
    /// Lists keys with SCAN (never blocking the server), one per line.
    #[command(
        disable_help_flag = true,
        after_long_help = "Examples:\n  aegisr-cli scan\n  aegisr-cli scan --pattern 'session:*' --type hash\n  \
                           aegisr-cli -n 3 scan --count 1000 | wc -l"
    )]
    Scan {
        #[command(flatten)]
        opts: ScanOpts,
        /// Only keys of this type (string, list, hash, set, zset...).
        #[arg(long = "type", value_name = "TYPE")]
        key_type: Option<String>,
    },
    /// Prints every command the node runs, as it runs it (MONITOR, over the Admin Monitor
    /// stream), in redis-cli --monitor's format, until Ctrl-C. Watching costs the node:
    /// use it for debugging, not as a permanent feed.
    #[command(
        disable_help_flag = true,
        after_long_help = "Each line is `<unix time> [<db> <client address>] \"command\" \"arg\" ...`, \
                           as Redis's MONITOR shows it; AUTH secrets show as \"(redacted)\".\n\n\
                           Examples:\n  aegisr-cli monitor\n  aegisr-cli monitor | grep '\"set\"'\n  \
                           aegisr-cli monitor --count 100 > sample.txt"
    )]
    Monitor {
        /// Stop after N lines.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },
    /// Prints messages published to channels (and patterns, shard channels) as they arrive,
    /// until Ctrl-C.
    #[command(
        disable_help_flag = true,
        after_long_help = "Examples:\n  aegisr-cli subscribe news alerts\n  aegisr-cli subscribe --pattern 'orders.*'\n  \
                           aegisr-cli subscribe --shard cart:{42} --count 10"
    )]
    Subscribe {
        /// Channels to subscribe to.
        #[arg(value_name = "CHANNEL")]
        channels: Vec<String>,
        /// Glob patterns of channels (PSUBSCRIBE), repeatable.
        #[arg(long = "pattern", value_name = "GLOB")]
        patterns: Vec<String>,
        /// Shard channels (SSUBSCRIBE), repeatable.
        #[arg(long = "shard", value_name = "CHANNEL")]
        shard_channels: Vec<String>,
        /// Stop after N messages.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },
    /// Streams a consistent backup of the node into FILE (Admin Backup): a snapshot taken
    /// while the node serves, with a manifest and a checksum per MiB, checked as it arrives.
    #[command(
        disable_help_flag = true,
        after_long_help = "FILE is written whole or not at all (through FILE.partial). Restore it with \
                           `aegisr-cli restore FILE`.\n\nExamples:\n  aegisr-cli backup nightly.aegisr\n  \
                           aegisr-cli -h db1 -p 7379 backup /backups/db1.aegisr --force"
    )]
    Backup {
        /// The backup file to write.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Overwrite FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Restores a backup FILE into the node (Admin Restore). The node verifies all of it
    /// (checksums, structure, every value) before touching any data, then replaces its whole
    /// dataset at once, or with --merge overwrites only the keys the backup holds.
    #[command(
        disable_help_flag = true,
        after_long_help = "Asks for confirmation on a terminal unless --yes; without a terminal, --yes is \
                           required.\n\nExamples:\n  aegisr-cli restore nightly.aegisr\n  \
                           aegisr-cli restore nightly.aegisr --merge --yes"
    )]
    Restore {
        /// The backup file (from `aegisr-cli backup`).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Keep the node's other keys: the backup's keys overwrite those of the same name.
        #[arg(long)]
        merge: bool,
        /// Do not ask for confirmation.
        #[arg(short = 'y', long)]
        yes: bool,
    },
    /// Cluster operations over the Admin API: status, nodes, slots, failover, remove-node,
    /// rebalance, add-node. Give any member's gRPC address with -h/-p.
    #[command(
        disable_help_flag = true,
        after_long_help = "Nodes join by themselves (`aegisr-server --join <member's cluster bus address>`) and \
                           slots move by themselves to even out the shard groups; these commands show and steer \
                           that.\n\nExamples:\n  aegisr-cli -p 7379 cluster status\n  aegisr-cli cluster nodes --json\n  \
                           aegisr-cli cluster failover 3f9a1c2e"
    )]
    Cluster {
        #[command(subcommand)]
        op: ClusterOp,
    },
    /// Stops the server gracefully through the Admin Shutdown RPC.
    #[command(
        disable_help_flag = true,
        after_long_help = "Examples:\n  aegisr-cli shutdown\n  aegisr-cli -p 7380 shutdown --nosave"
    )]
    Shutdown {
        /// Save before stopping.
        #[arg(long, conflicts_with = "nosave")]
        save: bool,
        /// Do not save before stopping.
        #[arg(long)]
        nosave: bool,
    },
}

/// `cluster` subcommands. NODE is a node's name (the 40 hex digits of CLUSTER MYID, or a
/// unique prefix of at least 8), its member id, or its RESP or gRPC `host:port`.
#[derive(Debug, Subcommand)]
pub(crate) enum ClusterOp {
    /// One screen: cluster state, epoch, leader, groups with their primary, replicas and
    /// slot counts, migrations in flight, replication lag of each replica.
    #[command(
        disable_help_flag = true,
        after_long_help = "Heartbeat ages and offsets come from the control plane's leader (asked in turn when \
                           the node given is not the leader).\n\nExamples:\n  aegisr-cli cluster status\n  \
                           aegisr-cli -h 10.0.0.5 -p 7379 cluster status --json"
    )]
    Status,
    /// Every member as a table: name, address, role, group, slots, replication offset, last
    /// heartbeat seen by the leader.
    #[command(
        disable_help_flag = true,
        after_long_help = "Examples:\n  aegisr-cli cluster nodes\n  aegisr-cli cluster nodes --json | jq '.[].role'"
    )]
    Nodes,
    /// The slot map: each run of slots, its shard group and the group's primary.
    #[command(
        disable_help_flag = true,
        after_long_help = "Examples:\n  aegisr-cli cluster slots\n  aegisr-cli cluster slots --json"
    )]
    Slots,
    /// Promotes a replica: runs CLUSTER FAILOVER [FORCE] on that replica (over its gRPC
    /// port), then waits until the cluster map shows it primary and prints how long it took.
    #[command(
        disable_help_flag = true,
        after_long_help = "Without --force the replica first catches up with its primary, so no acknowledged \
                           write is lost; --force promotes it at once (use when the primary is unreachable).\n\n\
                           Examples:\n  aegisr-cli cluster failover 3f9a1c2e\n  \
                           aegisr-cli cluster failover --force 127.0.0.1:6380 --wait 10"
    )]
    Failover {
        /// The replica to promote.
        #[arg(value_name = "NODE")]
        node: String,
        /// Promote at once, without waiting for the replica to catch up.
        #[arg(long)]
        force: bool,
        /// Seconds to wait for the map to show the new primary.
        #[arg(long, value_name = "SECS", default_value_t = 30.0)]
        wait: f64,
    },
    /// Removes a node from the cluster for good; its group is healed from spare replicas (a
    /// removed primary is replaced by its first replica; a group left empty loses its slots).
    #[command(
        disable_help_flag = true,
        after_long_help = "Asks for confirmation on a terminal unless --yes; without a terminal, --yes is \
                           required.\n\nExamples:\n  aegisr-cli cluster remove-node 3f9a1c2e\n  \
                           aegisr-cli cluster remove-node 127.0.0.1:6381 --yes"
    )]
    RemoveNode {
        /// The node to remove.
        #[arg(value_name = "NODE")]
        node: String,
        /// Do not ask for confirmation.
        #[arg(short = 'y', long)]
        yes: bool,
    },
    /// Shows the automatic rebalance: slots still to move to even out the groups and the
    /// migrations in flight, with a progress bar until nothing is left to move. The moves
    /// themselves are automatic (the leader starts them when a group forms).
    #[command(
        disable_help_flag = true,
        after_long_help = "Examples:\n  aegisr-cli cluster rebalance\n  aegisr-cli cluster rebalance --wait 0   \
                           # the plan only, no waiting"
    )]
    Rebalance {
        /// Seconds to follow the moves (0: print the plan and return).
        #[arg(long, value_name = "SECS", default_value_t = 600.0)]
        wait: f64,
    },
    /// Prints how to add a node. Nodes join by themselves: start the new node with
    /// `aegisr-server --join <a member's cluster bus address>` (this command prints the
    /// address from the cluster map); the control plane places it as a replica or, when a
    /// whole group can be formed, as a new group's primary that then takes its share of
    /// slots by live migration.
    #[command(disable_help_flag = true, after_long_help = "Examples:\n  aegisr-cli -p 7379 cluster add-node")]
    AddNode,
}

/// How to walk the keyspace.
#[derive(Debug, Args, Clone)]
pub(crate) struct ScanOpts {
    /// Only keys matching this glob pattern.
    #[arg(long, value_name = "GLOB")]
    pub pattern: Option<String>,
    /// SCAN's COUNT hint: keys looked at per call.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub count: u32,
    /// Seconds to sleep between SCAN calls, to go easier on a busy server.
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    pub pause: f64,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("aegisr-cli").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn lower_case_subcommand_names_are_subcommands() {
        assert!(matches!(parse(&["info", "memory"]).op, Some(Op::Info { .. })));
        assert!(matches!(parse(&["-p", "1", "scan", "--pattern", "a*"]).op, Some(Op::Scan { .. })));
        let cli = parse(&["stat", "-p", "9", "--count", "2"]);
        assert_eq!(cli.global.port, 9);
        assert!(matches!(cli.op, Some(Op::Stat { count: Some(2), .. })));
    }

    #[test]
    fn anything_else_is_a_server_command() {
        let cli = parse(&["-h", "10.0.0.1", "-n", "2", "INFO", "memory"]);
        assert!(cli.op.is_none());
        assert_eq!(cli.global.host, "10.0.0.1");
        assert_eq!(cli.global.db, 2);
        assert_eq!(cli.command, ["INFO", "memory"]);
        assert_eq!(parse(&["--", "scan", "0"]).command, ["scan", "0"]);
        assert_eq!(parse(&["set", "k", "-1", "--raw"]).command, ["set", "k", "-1", "--raw"]);
        assert_eq!(parse(&["get", "info"]).command, ["get", "info"]);
        assert!(parse(&[]).command.is_empty());
    }

    #[test]
    fn repeat_and_interval() {
        let cli = parse(&["-r", "-1", "-i", "0.5", "incr", "x"]);
        assert_eq!(cli.repeat, -1);
        assert!((cli.interval - 0.5).abs() < f64::EPSILON);
    }

    #[test]
    fn help_is_long_flag_only() {
        let err = Cli::try_parse_from(["aegisr-cli", "--help"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
        let text = err.to_string();
        assert!(text.contains("-h, --host <HOST>") && text.contains("upper case"), "{text}");
        let err = Cli::try_parse_from(["aegisr-cli", "bigkeys", "--help"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
        assert!(err.to_string().contains("aegisr-cli bigkeys --pattern"));
        assert!(Cli::try_parse_from(["aegisr-cli", "--raw", "--json", "get", "k"]).is_err());
    }

    #[test]
    fn cluster_subcommands_parse() {
        let cli = parse(&["cluster", "failover", "--force", "abcdef12"]);
        assert!(
            matches!(cli.op, Some(Op::Cluster { op: ClusterOp::Failover { force: true, ref node, .. } }) if node == "abcdef12")
        );
        assert!(matches!(
            parse(&["cluster", "remove-node", "-y", "1"]).op,
            Some(Op::Cluster { op: ClusterOp::RemoveNode { yes: true, .. } })
        ));
        assert!(matches!(parse(&["cluster", "nodes", "--json"]).op, Some(Op::Cluster { op: ClusterOp::Nodes })));
        // Upper case is the server's CLUSTER command.
        assert_eq!(parse(&["CLUSTER", "INFO"]).command, ["CLUSTER", "INFO"]);
        for sub in ["status", "nodes", "slots", "failover", "remove-node", "rebalance", "add-node"] {
            let err = Cli::try_parse_from(["aegisr-cli", "cluster", sub, "--help"]).unwrap_err();
            assert!(err.to_string().contains("Examples:"), "{sub}: {err}");
        }
    }

    #[test]
    fn backup_and_restore_take_a_file() {
        assert!(matches!(parse(&["backup", "b.aegisr"]).op, Some(Op::Backup { force: false, .. })));
        let cli = parse(&["-p", "9", "restore", "b.aegisr", "--merge", "-y"]);
        assert!(matches!(cli.op, Some(Op::Restore { merge: true, yes: true, .. })));
        assert!(Cli::try_parse_from(["aegisr-cli", "restore"]).is_err());
    }
}
