//! DEBUG: Redis's developer command, off unless `enable-debug-command` allows it. Only
//! SLEEP is implemented (what tests of latency tooling need).

use std::time::Duration;

use bytes::Bytes;

use super::args::is;
use super::errors::{CommandError, CommandResult};
use super::table::{CommandSpec, Flags, Group};
use super::{Ctx, redis_help};

fn allowed(ctx: &Ctx<'_>) -> bool {
    match ctx.server.config.string("enable-debug-command").as_str() {
        "yes" => true,
        // Redis's `islocalClient`: the loopback addresses exactly.
        "local" => {
            ctx.session.client.addr.rsplit_once(':').is_some_and(|(host, _)| {
                matches!(host.trim_start_matches('[').trim_end_matches(']'), "127.0.0.1" | "::1")
            })
        }
        _ => false,
    }
}

fn debug(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CommandResult {
    if !allowed(ctx) {
        return Err(CommandError::err(
            "DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
        ));
    }
    match args.len() {
        2 if is(&args[1], "help") => {
            redis_help(ctx.out, "DEBUG", &["SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed."]);
            Ok(())
        }
        3 if is(&args[1], "sleep") => {
            // As Redis (strtod): what does not parse is 0; negative or absurd values too.
            let seconds = std::str::from_utf8(&args[2]).ok().and_then(|s| s.trim().parse::<f64>().ok()).unwrap_or(0.0);
            let pause = Duration::try_from_secs_f64(seconds).unwrap_or(Duration::ZERO);
            // Blocks this worker thread, as DEBUG SLEEP blocks Redis's only one.
            std::thread::sleep(pause);
            ctx.out.ok();
            Ok(())
        }
        _ => Err(CommandError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            String::from_utf8_lossy(&args[1])
        ))),
    }
}

pub(super) const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "debug",
    arity: -2,
    flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
    group: Group::Server,
    since: "1.0.0",
    summary: "A container for debugging commands.",
    syntax: "subcommand [argument [argument ...]]",
    handler: Some(debug),
    ..CommandSpec::BASE
}];
