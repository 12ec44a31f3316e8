//! WAIT, WAITAOF, ROLE and REPLICAOF: what a client sees of replication and of its writes'
//! safety, and a standalone node following a Redis master.

use super::args::{int, is};
use super::table::{CommandSpec, Flags, Group};
use super::{BlockOn, CommandError, CommandResult, Ctx};

/// WAIT's and WAITAOF's timeout: milliseconds, 0 for ever, with Redis's errors.
fn wait_timeout(arg: &[u8]) -> Result<i64, CommandError> {
    let timeout = crate::types::string::parse_i64(arg)
        .ok_or_else(|| CommandError::err("timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(CommandError::err("timeout is negative"));
    }
    Ok(timeout)
}

/// WAIT numreplicas timeout: blocks until that many replicas have acknowledged this
/// client's writes, or `timeout` milliseconds (0: for ever); replies with how many have.
fn wait(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let wanted = int(args[1])?;
    let timeout = wait_timeout(args[2])?;
    if crate::cluster::replication::is_replica(ctx.server) {
        return Err(CommandError::err(
            "WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
        ));
    }
    let offset = ctx.session.write_lsn;
    let acked = ctx.server.replication.acked_at_least(offset);
    let wanted = usize::try_from(wanted).unwrap_or(0);
    // Inside a transaction WAIT cannot block: it answers with what is acknowledged now.
    if acked >= wanted || ctx.tx.is_some() {
        ctx.out.count(acked);
        return Ok(());
    }
    ctx.session.wait_acks = Some((offset, wanted));
    ctx.session.block = Some(BlockOn {
        keys: Vec::new(),
        timeout: (timeout > 0).then(|| std::time::Duration::from_millis(timeout as u64)),
        on_timeout: |out| out.integer(0),
        rerun_args: None,
    });
    Ok(())
}

/// WAITAOF numlocal numreplicas timeout: blocks until this client's writes are synced to
/// the local journal (numlocal 1) and acknowledged by `numreplicas` replicas, or
/// `timeout` milliseconds (0: for ever); replies with both counts. The local sync is asked
/// for at once, not left to the next `everysec` one. Replicas count once they have
/// applied the writes (their own journals sync by their own policy).
fn waitaof(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let numlocal = int(args[1])?;
    let numreplicas = int(args[2])?;
    let timeout = wait_timeout(args[3])?;
    if crate::cluster::replication::is_replica(ctx.server) {
        return Err(CommandError::err(
            "WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just local and are not propagated.",
        ));
    }
    let journal = ctx.server.keyspace.journal();
    if numlocal > 0 && journal.is_none() {
        return Err(CommandError::err("WAITAOF cannot be used when numlocal is set but appendonly is disabled."));
    }
    let offset = ctx.session.write_lsn;
    let acks = super::blocking::aof_acks(ctx.server, offset);
    let replicas = usize::try_from(numreplicas).unwrap_or(0);
    let local = numlocal > 0;
    // Inside a transaction WAITAOF cannot block: it answers with what is reached now.
    if (acks.0 || !local) && acks.1 >= replicas || ctx.tx.is_some() {
        super::blocking::write_aof_acks(ctx.out, acks);
        return Ok(());
    }
    ctx.session.wait_aof = Some(super::blocking::AofWait { offset, local, replicas });
    ctx.session.block = Some(BlockOn {
        keys: Vec::new(),
        timeout: (timeout > 0).then(|| std::time::Duration::from_millis(timeout.unsigned_abs())),
        on_timeout: |out| super::blocking::write_aof_acks(out, (false, 0)),
        rerun_args: None,
    });
    Ok(())
}

/// REPLICAOF / SLAVEOF host port: a standalone node follows a Redis master (see
/// [`crate::resp::master_link`]): it drops its data for the master's and refuses its
/// clients' writes until `REPLICAOF NO ONE` makes it a primary again, keeping the data.
/// Aegisr's own replicas are placed by the cluster (`--cluster`, `--join`, `--replicas
/// N`), so a cluster node refuses it, as Redis Cluster does.
fn replicaof(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if ctx.server.router.get().is_some() {
        return Err(CommandError::err("REPLICAOF not allowed in cluster mode."));
    }
    let replication = &ctx.server.replication;
    if is(args[1], "no") && is(args[2], "one") {
        if let Some((host, port)) = replication.upstream() {
            replication.set_upstream(None);
            tracing::info!(
                "MASTER MODE enabled (no longer following {host}:{port}; client {})",
                ctx.session.client.addr
            );
        }
        ctx.out.ok();
        return Ok(());
    }
    let port = crate::types::string::parse_i64(args[2])
        .and_then(|port| u16::try_from(port).ok())
        .ok_or_else(|| CommandError::err("Invalid master port"))?;
    let host = String::from_utf8_lossy(args[1]).into_owned();
    if replication.upstream().is_some_and(|(h, p)| h.eq_ignore_ascii_case(&host) && p == port) {
        ctx.out.simple("OK Already connected to specified master");
        return Ok(());
    }
    let server = ctx.server.shared().ok_or_else(|| CommandError::err("this node cannot follow a master"))?;
    let link = crate::resp::master_link::MasterLink::start(&server, host.clone(), port)
        .map_err(|e| CommandError::err(format!("cannot start following {host}:{port}: {e}")))?;
    replication.set_upstream(Some(link));
    tracing::info!("REPLICAOF {host}:{port} enabled (client {})", ctx.session.client.addr);
    ctx.out.ok();
    Ok(())
}

/// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: Redis's coordinated failover of
/// a standalone primary to one of its replicas, a Redis replica here (see
/// `server::failover`); cluster replicas take over by CLUSTER FAILOVER.
fn failover(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if ctx.server.router.get().is_some() {
        return Err(CommandError::err("FAILOVER not allowed in cluster mode."));
    }
    let (mut abort, mut force) = (false, false);
    let (mut target, mut timeout) = (None, None);
    let mut i = 1;
    while i < args.len() {
        let arg = &args[i];
        if is(arg, "to") && i + 2 < args.len() && target.is_none() {
            let port = u16::try_from(int(args[i + 2])?).map_err(|_| CommandError::err("Invalid port"))?;
            target = Some((String::from_utf8_lossy(args[i + 1]).into_owned(), port));
            i += 3;
        } else if is(arg, "timeout") && i + 1 < args.len() && timeout.is_none() {
            let ms = int(args[i + 1])?;
            if ms <= 0 {
                return Err(CommandError::err("FAILOVER timeout must be greater than 0"));
            }
            timeout = Some(std::time::Duration::from_millis(ms.unsigned_abs()));
            i += 2;
        } else if is(arg, "force") && !force {
            force = true;
            i += 1;
        } else if is(arg, "abort") && !abort {
            abort = true;
            i += 1;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    if abort {
        if target.is_some() || timeout.is_some() || force {
            return Err(CommandError::Syntax);
        }
        if !ctx.server.failover.abort() {
            return Err(CommandError::err("No failover in progress."));
        }
        ctx.out.ok();
        return Ok(());
    }
    let server = ctx.server.shared().ok_or_else(|| CommandError::err("this node cannot fail over"))?;
    let request = crate::server::failover::Request { target, timeout, force };
    crate::server::failover::start(&server, request).map_err(CommandError::Message)?;
    ctx.out.ok();
    Ok(())
}

/// ROLE: `master` with its offset and replicas, or `slave` with its primary and offset.
fn role(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let replication = &ctx.server.replication;
    if crate::cluster::replication::is_replica(ctx.server) {
        let following = replication.following().unwrap_or_default();
        let (host, port) = following.primary.rsplit_once(':').unwrap_or((following.primary.as_str(), "0"));
        ctx.out.array(5);
        ctx.out.bulk(b"slave");
        ctx.out.bulk(host.as_bytes());
        ctx.out.integer(port.parse().unwrap_or(0));
        ctx.out.bulk(if following.link_up { b"connected".as_slice() } else { b"connect" });
        ctx.out.integer(i64::try_from(following.offset).unwrap_or(i64::MAX));
        return Ok(());
    }
    let offset = crate::cluster::replication::offset(ctx.server);
    let replicas = replication.replicas();
    ctx.out.array(3);
    ctx.out.bulk(b"master");
    ctx.out.integer(i64::try_from(offset).unwrap_or(i64::MAX));
    ctx.out.array(replicas.len());
    for (_, link) in replicas {
        let (ip, port) = link.addr.rsplit_once(':').unwrap_or((link.addr.as_str(), "0"));
        ctx.out.array(3);
        ctx.out.bulk(ip.as_bytes());
        ctx.out.bulk(port.as_bytes());
        ctx.out.bulk(link.acked.to_string().as_bytes());
    }
    Ok(())
}

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "wait",
        arity: 3,
        flags: Flags::NOSCRIPT,
        group: Group::Generic,
        acl: &["@connection"],
        since: "3.0.0",
        summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.",
        syntax: "numreplicas timeout",
        handler: Some(wait),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "waitaof",
        arity: 4,
        flags: Flags::NOSCRIPT,
        group: Group::Generic,
        acl: &["@connection"],
        since: "7.2.0",
        summary: "Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the master and/or replicas.",
        syntax: "numlocal numreplicas timeout",
        handler: Some(waitaof),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "replicaof",
        arity: 3,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        group: Group::Server,
        since: "5.0.0",
        summary: "Configures a server as replica of another, or promotes it to a master.",
        syntax: "<host port | NO ONE>",
        handler: Some(replicaof),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "slaveof",
        arity: 3,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::STALE).or(Flags::NO_ASYNC_LOADING),
        group: Group::Server,
        since: "1.0.0",
        summary: "Sets a Redis server as a replica of another, or promotes it to being a master.",
        syntax: "<host port | NO ONE>",
        handler: Some(replicaof),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "failover",
        arity: -1,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::STALE),
        group: Group::Server,
        since: "6.2.0",
        summary: "Starts a coordinated failover from a server to one of its replicas.",
        syntax: "[TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]",
        handler: Some(failover),
        ..CommandSpec::BASE
    },
    CommandSpec {
        name: "role",
        arity: 1,
        acl: &["@admin", "@dangerous"],
        flags: Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST),
        group: Group::Server,
        since: "2.8.12",
        summary: "Returns the replication role.",
        handler: Some(role),
        ..CommandSpec::BASE
    },
];
