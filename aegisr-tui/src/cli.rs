//! Command-line flags.

use clap::Parser;

/// A live console for Aegisr nodes, over their Admin gRPC service.
#[derive(Debug, Parser)]
#[command(
    name = "aegisr-tui",
    version,
    about,
    after_help = "\
Keys: Tab/Shift-Tab or 1-6 views, Left/Right node, Up/Down row, s sort, / filter,
      k kill client (Clients view), ? help, q quit.
Cluster: given one node of a cluster, every member is discovered (Admin ClusterStatus)
and watched, and a Cluster view shows the slot map per group, roles, replication lag
and failovers as they happen.
Examples: aegisr-tui 127.0.0.1:7379 127.0.0.1:7380
          aegisr-tui 10.0.0.5:7379            # a cluster: all its members"
)]
pub struct Args {
    /// gRPC addresses of the nodes (host:port or http://host:port); for a cluster, one
    /// member is enough.
    #[arg(required = true, value_name = "HOST:PORT")]
    pub nodes: Vec<String>,
    /// Milliseconds between updates.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(50..=60_000))]
    pub interval: u32,
    /// Password of nodes that require one (requirepass or an ACL user's, allowed every
    /// command), sent with every call as `authorization` metadata.
    #[arg(short = 'a', long = "pass", value_name = "PASSWORD", env = "AEGISR_TUI_AUTH", hide_env_values = true)]
    pub pass: Option<String>,
    /// ACL user name to authenticate as, with --pass [default: the default user].
    #[arg(long = "user", value_name = "USER", requires = "pass")]
    pub user: Option<String>,
    /// No colours (also when the NO_COLOR environment variable is set).
    #[arg(long)]
    pub no_color: bool,
}

impl Args {
    /// Whether to draw in colour: not with --no-color nor a non-empty NO_COLOR.
    pub fn color(&self) -> bool {
        !self.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }
}
