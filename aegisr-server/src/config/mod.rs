//! Configuration: command-line flags, an optional config file (TOML, or a redis.conf as
//! Redis reads it) and `AEGISR_*` environment variables, validated into one
//! [`ConfigStore`] that CONFIG GET/SET read and change at run time. Option names are
//! Redis's wherever Redis has the option.

mod cli;
mod options;
mod output_limits;
mod redis_conf;
mod rewrite;
mod store;
mod units;

pub use cli::{Cli, Tool};
pub use options::{Effect, OPTIONS, OptionKind, OptionSpec, PROTECTED_IN_REDIS, find as find_option};
pub use rewrite::{RewriteError, rewrite};
pub use store::{ConfigError, ConfigStore, EncodingLimits, Limits};
pub(crate) use store::{percentile_text, percentiles};
pub use units::parse_memory;
