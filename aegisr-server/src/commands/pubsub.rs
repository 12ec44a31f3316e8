//! Pub/sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE SUNSUBSCRIBE
//! PUBLISH SPUBLISH PUBSUB. Confirmations are push frames in RESP3 and arrays in RESP2,
//! one per channel, as Redis sends them. Messages themselves are written by the door from
//! the client's mailbox (see `crate::pubsub`).

use std::sync::Arc;

use bytes::Bytes;

use super::table::{CommandSpec, Flags, Group, KeyRange};
use super::{CommandError, CommandResult, Ctx, Session};
use crate::pubsub::{NameSet, Subscriber, Subscriptions};
use crate::reply::{Protocol, ReplySink};
use crate::server::{Door, Server};

/// Which list of a client's subscriptions a command works on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Space {
    Channels,
    Patterns,
    Shard,
}

impl Space {
    fn list(self, subs: &mut Subscriptions) -> &mut NameSet {
        match self {
            Space::Channels => &mut subs.channels,
            Space::Patterns => &mut subs.patterns,
            Space::Shard => &mut subs.shard_channels,
        }
    }

    /// The count a confirmation carries: shard channels are counted apart.
    fn count(self, subs: &Subscriptions) -> usize {
        match self {
            Space::Shard => subs.shard_channels.len(),
            _ => subs.count(),
        }
    }
}

/// Whether a RESP2 client in subscribed mode may run `spec`.
pub(super) fn allowed_while_subscribed(session: &Session, spec: &CommandSpec) -> Result<(), CommandError> {
    let subscribed = session.subscriptions.as_ref().is_some_and(|s| !s.is_empty());
    if session.protocol == Protocol::Resp3 || !subscribed {
        return Ok(());
    }
    let name = spec.name.split('|').next().unwrap_or(spec.name);
    match name {
        "subscribe" | "unsubscribe" | "psubscribe" | "punsubscribe" | "ssubscribe" | "sunsubscribe" | "ping"
        | "quit" | "reset" => Ok(()),
        _ => Err(CommandError::err(format!(
            "Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        ))),
    }
}

/// Whether the client is in RESP2 subscribed mode (PING replies differently there).
pub(super) fn in_subscribed_mode(session: &Session) -> bool {
    session.protocol == Protocol::Resp2 && session.subscriptions.as_ref().is_some_and(|s| !s.is_empty())
}

fn confirm(out: &mut dyn ReplySink, kind: &str, name: Option<&[u8]>, count: usize) {
    out.push(3);
    out.bulk(kind.as_bytes());
    out.bulk_or_null(name);
    out.count(count);
}

/// The client's subscriptions, created with its mailbox on first use; the mailbox is also
/// where client-side caching sends its invalidations.
pub(super) fn subscriptions<'s>(server: &Server, session: &'s mut Session) -> &'s mut Subscriptions {
    let client = &session.client;
    session.subscriptions.get_or_insert_with(|| {
        let mailbox = Arc::new(Subscriber::new(client.clone()));
        server.pubsub.tracking.register_mailbox(client.id, &mailbox);
        Box::new(Subscriptions::new(mailbox))
    })
}

fn subscribe_in(ctx: &mut Ctx<'_>, args: &[&[u8]], space: Space) -> CommandResult {
    if ctx.session.client.door == Door::Grpc {
        return Err(CommandError::err("subscriptions over gRPC use the Data.Subscribe call"));
    }
    let subs = subscriptions(ctx.server, ctx.session);
    let kind = match space {
        Space::Channels => "subscribe",
        Space::Patterns => "psubscribe",
        Space::Shard => "ssubscribe",
    };
    for name in &args[1..] {
        let name = &Bytes::copy_from_slice(name);
        if space.list(subs).insert(name.clone()) {
            match space {
                Space::Channels => ctx.server.pubsub.subscribe(name, &subs.subscriber, false),
                Space::Shard => ctx.server.pubsub.subscribe(name, &subs.subscriber, true),
                Space::Patterns => ctx.server.pubsub.psubscribe(name, &subs.subscriber),
            }
        }
        confirm(ctx.out, kind, Some(name), space.count(subs));
    }
    subs.report();
    Ok(())
}

fn unsubscribe_in(ctx: &mut Ctx<'_>, args: &[&[u8]], space: Space) -> CommandResult {
    let kind = match space {
        Space::Channels => "unsubscribe",
        Space::Patterns => "punsubscribe",
        Space::Shard => "sunsubscribe",
    };
    let Some(subs) = ctx.session.subscriptions.as_mut() else {
        // Nothing subscribed: one confirmation per name, or a null one.
        if args.len() == 1 {
            confirm(ctx.out, kind, None, 0);
        }
        for name in &args[1..] {
            confirm(ctx.out, kind, Some(name), 0);
        }
        return Ok(());
    };
    let names: Vec<Bytes> =
        if args.len() == 1 { space.list(subs).iter().cloned().collect() } else { super::owned_args(&args[1..]) };
    if names.is_empty() {
        confirm(ctx.out, kind, None, space.count(subs));
    }
    for name in &names {
        if space.list(subs).remove(name) {
            match space {
                Space::Channels => ctx.server.pubsub.unsubscribe(name, &subs.subscriber, false),
                Space::Shard => ctx.server.pubsub.unsubscribe(name, &subs.subscriber, true),
                Space::Patterns => ctx.server.pubsub.punsubscribe(name, &subs.subscriber),
            }
        }
        confirm(ctx.out, kind, Some(name), space.count(subs));
    }
    subs.report();
    Ok(())
}

fn subscribe(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    subscribe_in(ctx, args, Space::Channels)
}

fn psubscribe(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    subscribe_in(ctx, args, Space::Patterns)
}

fn ssubscribe(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    subscribe_in(ctx, args, Space::Shard)
}

fn unsubscribe(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    unsubscribe_in(ctx, args, Space::Channels)
}

fn punsubscribe(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    unsubscribe_in(ctx, args, Space::Patterns)
}

fn sunsubscribe(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    unsubscribe_in(ctx, args, Space::Shard)
}

fn publish_in(ctx: &mut Ctx<'_>, args: &[&[u8]], shard: bool) -> CommandResult {
    let limit = ctx.server.config.limits().pubsub();
    let receivers = ctx.server.pubsub.publish(args[1], args[2], shard, limit);
    // In a cluster the other nodes' subscribers get it too; the count is this node's
    // receivers, as Redis Cluster replies.
    if let Some(router) = ctx.server.router.get() {
        let routing = router.load();
        let (channel, message) = (Bytes::copy_from_slice(args[1]), Bytes::copy_from_slice(args[2]));
        ctx.server.fanout.publish(&routing.map, routing.me, &channel, &message, shard);
    }
    // Replicas get it too, in its place among the writes (Redis 7 propagates it); WAIT
    // then waits for them to have it, as in Redis.
    let end = crate::persist::messages::propagate(ctx.server, ctx.session.db, args);
    ctx.session.write_lsn = ctx.session.write_lsn.max(end);
    ctx.out.count(receivers);
    Ok(())
}

fn publish(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    publish_in(ctx, args, false)
}

fn spublish(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    publish_in(ctx, args, true)
}

fn channels_in(ctx: &mut Ctx<'_>, args: &[&[u8]], shard: bool) -> CommandResult {
    let pattern = args.get(2).map(|p| &p[..]);
    let channels = ctx.server.pubsub.channels(pattern, shard);
    ctx.out.array(channels.len());
    for c in &channels {
        ctx.out.bulk(c);
    }
    Ok(())
}

fn numsub_in(ctx: &mut Ctx<'_>, args: &[&[u8]], shard: bool) -> CommandResult {
    // A flat array of channel, count pairs in both protocols, as Redis replies.
    ctx.out.array((args.len() - 2) * 2);
    for channel in &args[2..] {
        ctx.out.bulk(channel);
        ctx.out.count(ctx.server.pubsub.subscriber_count(channel, shard));
    }
    Ok(())
}

/// CHANNELS and SHARDCHANNELS take one pattern at most; Redis words more as a bad subcommand.
fn at_most_one_pattern(args: &[&[u8]]) -> CommandResult {
    if args.len() > 3 {
        return Err(CommandError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            String::from_utf8_lossy(args[1])
        )));
    }
    Ok(())
}

fn pubsub_channels(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    at_most_one_pattern(args)?;
    channels_in(ctx, args, false)
}

fn pubsub_shardchannels(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    at_most_one_pattern(args)?;
    channels_in(ctx, args, true)
}

fn pubsub_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::redis_help(
        ctx.out,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(())
}

fn pubsub_numsub(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    numsub_in(ctx, args, false)
}

fn pubsub_shardnumsub(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    numsub_in(ctx, args, true)
}

fn pubsub_numpat(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    ctx.out.count(ctx.server.pubsub.pattern_count());
    Ok(())
}

/// Drops every subscription of a client that goes away or RESETs.
pub fn end_session(server: &Server, session: &mut Session) {
    if let Some(mut subs) = session.subscriptions.take() {
        subs.clear(&server.pubsub);
    }
}

const PUBSUB: CommandSpec = CommandSpec {
    group: Group::PubSub,
    flags: Flags::PUBSUB.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
    since: "2.0.0",
    ..CommandSpec::BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "subscribe",
        arity: -2,
        summary: "Listens for messages published to channels.",
        syntax: "channel [channel ...]",
        handler: Some(subscribe),
        ..PUBSUB
    },
    CommandSpec {
        name: "unsubscribe",
        arity: -1,
        summary: "Stops listening to messages posted to channels.",
        syntax: "[channel [channel ...]]",
        handler: Some(unsubscribe),
        ..PUBSUB
    },
    CommandSpec {
        name: "psubscribe",
        arity: -2,
        summary: "Listens for messages published to channels that match one or more patterns.",
        syntax: "pattern [pattern ...]",
        handler: Some(psubscribe),
        ..PUBSUB
    },
    CommandSpec {
        name: "punsubscribe",
        arity: -1,
        summary: "Stops listening to messages published to channels that match one or more patterns.",
        syntax: "[pattern [pattern ...]]",
        handler: Some(punsubscribe),
        ..PUBSUB
    },
    CommandSpec {
        name: "ssubscribe",
        arity: -2,
        keys: KeyRange::ALL,
        since: "7.0.0",
        summary: "Listens for messages published to shard channels.",
        syntax: "shardchannel [shardchannel ...]",
        handler: Some(ssubscribe),
        ..PUBSUB
    },
    CommandSpec {
        name: "sunsubscribe",
        arity: -1,
        keys: KeyRange::ALL,
        since: "7.0.0",
        summary: "Stops listening to messages posted to shard channels.",
        syntax: "[shardchannel [shardchannel ...]]",
        handler: Some(sunsubscribe),
        ..PUBSUB
    },
    CommandSpec {
        name: "publish",
        arity: 3,
        flags: Flags::PUBSUB.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST).or(Flags::MAY_REPLICATE),
        summary: "Posts a message to a channel.",
        syntax: "channel message",
        handler: Some(publish),
        ..PUBSUB
    },
    CommandSpec {
        name: "spublish",
        arity: 3,
        flags: Flags::PUBSUB.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST).or(Flags::MAY_REPLICATE),
        keys: KeyRange::FIRST,
        since: "7.0.0",
        summary: "Posts a message to a shard channel.",
        syntax: "shardchannel message",
        handler: Some(spublish),
        ..PUBSUB
    },
    CommandSpec {
        name: "pubsub",
        arity: -2,
        summary: "A container for Pub/Sub commands.",
        syntax: "<subcommand> [<arg> ...]",
        subcommands: &[
            CommandSpec {
                name: "pubsub|channels",
                arity: -2,
                summary: "Returns the active channels.",
                syntax: "[pattern]",
                handler: Some(pubsub_channels),
                ..PUBSUB_SUB
            },
            CommandSpec {
                name: "pubsub|numsub",
                arity: -2,
                summary: "Returns a count of subscribers to channels.",
                syntax: "[channel [channel ...]]",
                handler: Some(pubsub_numsub),
                ..PUBSUB_SUB
            },
            CommandSpec {
                name: "pubsub|numpat",
                arity: 2,
                summary: "Returns a count of unique pattern subscriptions.",
                handler: Some(pubsub_numpat),
                ..PUBSUB_SUB
            },
            CommandSpec {
                name: "pubsub|shardchannels",
                arity: -2,
                since: "7.0.0",
                summary: "Returns the active shard channels.",
                syntax: "[pattern]",
                handler: Some(pubsub_shardchannels),
                ..PUBSUB_SUB
            },
            CommandSpec {
                name: "pubsub|shardnumsub",
                arity: -2,
                since: "7.0.0",
                summary: "Returns the count of subscribers of shard channels.",
                syntax: "[shardchannel [shardchannel ...]]",
                handler: Some(pubsub_shardnumsub),
                ..PUBSUB_SUB
            },
            CommandSpec {
                name: "pubsub|help",
                arity: 2,
                // As Redis: HELP is no pub/sub command (no flag, no @pubsub).
                flags: Flags::LOADING.or(Flags::STALE),
                summary: "Returns helpful text about the different subcommands.",
                handler: Some(pubsub_help),
                ..PUBSUB_SUB
            },
        ],
        // A container has no flags of its own: its subcommands' count.
        flags: Flags::NONE,
        ..PUBSUB
    },
];

const PUBSUB_SUB: CommandSpec = CommandSpec {
    group: Group::PubSub,
    flags: Flags::PUBSUB.or(Flags::LOADING).or(Flags::STALE),
    since: "2.8.0",
    ..CommandSpec::BASE
};
