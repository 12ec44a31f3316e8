//! SYNC, PSYNC and REPLCONF: the front of Redis's replication handshake. Aegisr serves the
//! part that hands over a dataset: a client that said `REPLCONF rdb-only 1` (as
//! `redis-cli --rdb` does) gets the dataset as an RDB file (`persist::rdb`), and the
//! connection closes after it. Following the command stream as a Redis replica is not
//! served: SYNC and PSYNC without rdb-only say so.

use super::args::is;
use super::table::{CommandSpec, Flags, Group};
use super::{CommandError, CommandResult, Ctx};

/// Why a replica's SYNC or PSYNC is refused.
const NOT_SERVED: &str = "ERR Aegisr does not stream its writes to Redis replicas; only an RDB copy of the dataset is served, to a client that sent REPLCONF rdb-only 1 first (as redis-cli --rdb does)";

fn sync(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    start_transfer(ctx)
}

/// PSYNC replid offset: with rdb-only, a full resynchronisation (Redis answers
/// `+FULLRESYNC <replid> <offset>` before the file).
fn psync(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    start_transfer(ctx)?;
    let offset = crate::cluster::replication::offset(ctx.server);
    ctx.out.simple(&format!("FULLRESYNC {} {offset}", ctx.server.run_id));
    Ok(())
}

fn start_transfer(ctx: &mut Ctx<'_>) -> CommandResult {
    if !ctx.session.rdb_only {
        return Err(CommandError::Message(NOT_SERVED.into()));
    }
    // The door sends the file once this command's batch has replied (see
    // `resp::rdb_transfer`).
    ctx.session.send_rdb = true;
    Ok(())
}

/// REPLCONF option value [option value ...]: what a replica says of itself. `rdb-only`
/// is kept; the other options Redis's replicas and tools send are accepted.
fn replconf(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args.len() % 2 == 0 {
        return Err(CommandError::Message("ERR syntax error".into()));
    }
    let mut rdb_only = ctx.session.rdb_only;
    let mut parts = ctx.session.rdb_parts;
    for pair in args[1..].chunks_exact(2) {
        let (option, value) = (pair[0], pair[1]);
        if is(option, "rdb-filter-only") {
            // Include filters: only "functions" exists; none at all is an empty file.
            parts = crate::persist::rdb::Parts { keys: false, functions: false };
            for filter in value.split(u8::is_ascii_whitespace).filter(|f| !f.is_empty()) {
                if !is(filter, "functions") {
                    return Err(CommandError::Message(format!(
                        "ERR Unsupported rdb-filter-only option: {}",
                        String::from_utf8_lossy(filter)
                    )));
                }
                parts.functions = true;
            }
        } else if is(option, "rdb-only") {
            rdb_only = match value {
                b"1" => true,
                b"0" => false,
                _ => return Err(CommandError::Message("ERR Value is not an integer or out of range".into())),
            };
        } else if !["listening-port", "ip-address", "capa"].iter().any(|o| is(option, o)) {
            return Err(CommandError::Message(format!(
                "ERR Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(option)
            )));
        }
    }
    ctx.session.rdb_only = rdb_only;
    ctx.session.rdb_parts = parts;
    ctx.out.ok();
    Ok(())
}

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "sync",
        arity: 1,
        acl: &["@admin", "@slow", "@dangerous"],
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::NO_ASYNC_LOADING).or(Flags::NO_MULTI),
        group: Group::Server,
        since: "1.0.0",
        summary: "An internal command used in replication.",
        handler: Some(sync),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "psync",
        arity: -3,
        acl: &["@admin", "@slow", "@dangerous"],
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::NO_ASYNC_LOADING).or(Flags::NO_MULTI),
        group: Group::Server,
        since: "2.8.0",
        summary: "An internal command used in replication.",
        syntax: "replicationid offset",
        handler: Some(psync),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "replconf",
        arity: -1,
        acl: &["@admin", "@slow", "@dangerous"],
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE).or(Flags::ALLOW_BUSY),
        group: Group::Server,
        since: "3.0.0",
        summary: "An internal command for configuring the replication stream.",
        handler: Some(replconf),
        ..CommandSpec::BASE
    },
];
