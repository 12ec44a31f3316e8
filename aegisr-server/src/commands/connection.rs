//! Connection commands: PING ECHO HELLO AUTH SELECT QUIT RESET CLIENT.

use super::Ctx;
use super::args::{int, is, lower};
use super::errors::{CommandError, CommandResult};
use super::table::{CommandSpec, Flags, Group};
use crate::reply::Protocol;

/// The Redis version Aegisr is compatible with, as HELLO and INFO report it.
pub const REDIS_VERSION: &str = "7.2.0";

fn ping(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args.len() > 2 {
        return Err(CommandError::WrongArity("ping".into()));
    }
    // A RESP2 subscriber gets a ["pong", message] array, as Redis sends.
    if super::pubsub::in_subscribed_mode(ctx.session) {
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(args.get(1).map_or(&b""[..], |m| &m[..]));
        return Ok(());
    }
    match args.get(1) {
        Some(message) => ctx.out.bulk(message),
        None => ctx.out.simple("PONG"),
    }
    Ok(())
}

fn echo(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    ctx.out.bulk(args[1]);
    Ok(())
}

fn auth(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (user, password): (&[u8], &[u8]) = match args.len() {
        2 => {
            // As Redis: the one-argument form is refused while the default user has no password.
            if ctx.server.acl.default_user().user().nopass {
                return Err(CommandError::err(
                    "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
                ));
            }
            (b"default", args[1])
        }
        3 => (args[1], args[2]),
        _ => return Err(CommandError::Syntax),
    };
    super::acl::authenticate(ctx, "auth", args[0], user, password)?;
    ctx.out.ok();
    Ok(())
}

fn hello(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut protocol = None;
    let mut name = None;
    let mut credentials = None;
    let mut i = 1;
    if let Some(version) = args.get(1) {
        let version =
            int(version).map_err(|_| CommandError::err("Protocol version is not an integer or out of range"))?;
        protocol = Some(match version {
            2 => Protocol::Resp2,
            3 => Protocol::Resp3,
            _ => return Err(CommandError::Message("NOPROTO unsupported protocol version".into())),
        });
        i = 2;
    }
    while i < args.len() {
        let more = args.len() - i - 1;
        if is(args[i], "auth") && more >= 2 {
            credentials = Some((&args[i + 1], &args[i + 2]));
            i += 3;
        } else if is(args[i], "setname") && more >= 1 {
            name = Some(args[i + 1]);
            i += 2;
        } else {
            return Err(CommandError::err(format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(args[i])
            )));
        }
    }
    if let Some((user, password)) = credentials {
        super::acl::authenticate(ctx, "hello", args[0], user, password)?;
    }
    if !ctx.session.authenticated {
        return Err(CommandError::Message(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into(),
        ));
    }
    if let Some(name) = name {
        validate_name(name, "Client names")?;
        ctx.session.client.set_name(&String::from_utf8_lossy(name));
    }
    if let Some(p) = protocol {
        ctx.session.protocol = p;
        ctx.session.client.set_resp(p.version() as u8);
        ctx.out.set_protocol(p);
        // A RESP3 connection hears pushes without subscribing: the invalidations another
        // client redirects to it (CLIENT TRACKING ... REDIRECT) reach it through a mailbox.
        if p == Protocol::Resp3 && ctx.session.client.door == crate::server::Door::Resp {
            super::pubsub::subscriptions(ctx.server, ctx.session);
        }
    }
    // The reply is written in the protocol just chosen, as Redis does.
    let out = &mut *ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.integer(ctx.session.protocol.version());
    out.bulk(b"id");
    out.integer(i64::try_from(ctx.session.client.id).unwrap_or(i64::MAX));
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
    Ok(())
}

fn select(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let db = int(args[1])?;
    if db != 0 && ctx.server.router.get().is_some() {
        return Err(CommandError::err("SELECT is not allowed in cluster mode"));
    }
    let db =
        usize::try_from(db).ok().filter(|&d| d < ctx.server.keyspace.databases()).ok_or(CommandError::DbOutOfRange)?;
    ctx.session.select(db);
    ctx.out.ok();
    Ok(())
}

fn quit(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    ctx.session.quit = true;
    ctx.out.ok();
    Ok(())
}

fn reset(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::end_session(ctx.server, ctx.session);
    ctx.session.select(0);
    ctx.session.protocol = Protocol::Resp2;
    ctx.session.client.set_resp(2);
    ctx.session.client.set_name("");
    ctx.session.readonly = false;
    ctx.session.asking = false;
    super::acl::reset_user(ctx.server, ctx.session);
    ctx.out.simple("RESET");
    Ok(())
}

/// Client names and library names are printable ASCII without spaces, as in Redis.
fn validate_name(name: &[u8], what: &str) -> CommandResult {
    if name.iter().all(|&c| (b'!'..=b'~').contains(&c)) {
        Ok(())
    } else {
        Err(CommandError::err(format!("{what} cannot contain spaces, newlines or special characters.")))
    }
}

/// CLIENT HELP in Redis's words (7.0's text).
fn client_help(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    super::redis_help(
        ctx.out,
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    );
    Ok(())
}

/// CLIENT KILL addr (the old form: OK or an error), or CLIENT KILL <filter value> ...
/// (the count of clients killed). A client killing itself gets its reply first.
/// CLIENT PAUSE timeout [WRITE | ALL]: the held commands wait in their connections (see
/// `server::pause`).
fn client_pause(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let millis = crate::types::string::parse_i64(args[2])
        .ok_or_else(|| CommandError::err("timeout is not an integer or out of range"))?;
    if millis < 0 {
        return Err(CommandError::err("timeout is negative"));
    }
    let all = match args.get(3) {
        None => true,
        Some(_) if args.len() > 4 => return Err(CommandError::Syntax),
        Some(mode) if mode.eq_ignore_ascii_case(b"all") => true,
        Some(mode) if mode.eq_ignore_ascii_case(b"write") => false,
        Some(_) => return Err(CommandError::err("CLIENT PAUSE mode must be WRITE or ALL")),
    };
    ctx.server.pause.pause(std::time::Duration::from_millis(millis as u64), all);
    ctx.server.keyspace.hold_expiry(Some(crate::engine::wall_ms().saturating_add(millis)));
    ctx.out.ok();
    Ok(())
}

fn client_unpause(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    ctx.server.pause.unpause();
    ctx.server.keyspace.hold_expiry(None);
    ctx.out.ok();
    Ok(())
}

fn client_kill(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let me = ctx.session.client.id;
    if args.len() == 3 {
        let addr = String::from_utf8_lossy(args[2]);
        let found = ctx.server.clients.all().into_iter().find(|c| c.addr == addr);
        let client = found.ok_or_else(|| CommandError::err("No such client"))?;
        client.kill.cancel();
        ctx.out.ok();
        return Ok(());
    }
    if args.len() % 2 != 0 {
        return Err(CommandError::Syntax);
    }
    let (mut id, mut addr, mut laddr, mut max_age) = (None, None, None, None);
    let mut skip_me = true;
    let mut user = None;
    let mut kind = None;
    for pair in args[2..].chunks(2) {
        let value = &pair[1];
        if is(pair[0], "id") {
            let n = crate::types::string::parse_i64(value).filter(|&n| n > 0);
            id = Some(n.ok_or_else(|| CommandError::err("client-id should be greater than 0"))?);
        } else if is(pair[0], "addr") {
            addr = Some(String::from_utf8_lossy(value).into_owned());
        } else if is(pair[0], "laddr") {
            laddr = Some(String::from_utf8_lossy(value).into_owned());
        } else if is(pair[0], "type") {
            let name = lower(value);
            kind = Some(
                crate::server::ClientType::parse(&name)
                    .ok_or_else(|| CommandError::err(format!("Unknown client type '{name}'")))?,
            );
        } else if is(pair[0], "user") {
            let handle = ctx
                .server
                .acl
                .get(value)
                .ok_or_else(|| CommandError::err(format!("No such user '{}'", String::from_utf8_lossy(value))))?;
            user = Some(handle.name.clone());
        } else if is(pair[0], "skipme") {
            skip_me = match lower(value).as_str() {
                "yes" => true,
                "no" => false,
                _ => return Err(CommandError::Syntax),
            };
        } else if is(pair[0], "maxage") {
            max_age = Some(u64::try_from(crate::commands::args::int(value)?).unwrap_or(0));
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let mut killed = 0;
    for client in ctx.server.clients.all() {
        let matches = id.is_none_or(|id| u64::try_from(id).is_ok_and(|id| id == client.id))
            && addr.as_ref().is_none_or(|a| *a == client.addr)
            && laddr.as_ref().is_none_or(|a| *a == client.laddr)
            && max_age.is_none_or(|age| client.age_secs() >= age)
            && kind.is_none_or(|k| k == client.client_type())
            && user.as_ref().is_none_or(|u| *u == client.user())
            && !(skip_me && client.id == me);
        if matches {
            client.kill.cancel();
            killed += 1;
        }
    }
    ctx.out.count(killed);
    Ok(())
}

fn client_id(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    ctx.out.integer(i64::try_from(ctx.session.client.id).unwrap_or(i64::MAX));
    Ok(())
}

fn client_setname(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    validate_name(args[2], "Client names")?;
    ctx.session.client.set_name(&String::from_utf8_lossy(args[2]));
    ctx.out.ok();
    Ok(())
}

fn client_getname(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    let name = ctx.session.client.name();
    ctx.out.bulk_or_null((!name.is_empty()).then_some(name.as_bytes()));
    Ok(())
}

fn client_setinfo(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let value = String::from_utf8_lossy(args[3]).into_owned();
    if is(args[2], "lib-name") {
        validate_name(args[3], "lib-name")?;
        ctx.session.client.set_lib(Some(&value), None);
    } else if is(args[2], "lib-ver") {
        validate_name(args[3], "lib-ver")?;
        ctx.session.client.set_lib(None, Some(&value));
    } else {
        return Err(CommandError::err(format!("Unrecognized option '{}'", String::from_utf8_lossy(args[2]))));
    }
    ctx.out.ok();
    Ok(())
}

fn client_info(ctx: &mut Ctx<'_>, _args: &[&[u8]]) -> CommandResult {
    // Activity is recorded per batch; record this command now so the line shows it.
    ctx.session.client.touch("client|info");
    let line = format!("{}\n", ctx.session.client.info_line());
    ctx.out.verbatim("txt", line.as_bytes());
    Ok(())
}

fn client_list(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut ids: Option<Vec<u64>> = None;
    let mut kind = None;
    let mut i = 2;
    while i < args.len() {
        if is(args[i], "type") && i + 1 < args.len() {
            let name = lower(args[i + 1]);
            kind = Some(
                crate::server::ClientType::parse(&name)
                    .ok_or_else(|| CommandError::err(format!("Unknown client type '{name}'")))?,
            );
            i += 2;
        } else if is(args[i], "id") && i + 1 < args.len() {
            let mut wanted = Vec::new();
            for arg in &args[i + 1..] {
                // Any integer is a valid ID to ask for; 0 and negative ones match no client.
                let id = int(arg).map_err(|_| CommandError::err("Invalid client ID"))?;
                if let Ok(id) = u64::try_from(id) {
                    wanted.push(id);
                }
            }
            ids = Some(wanted);
            i = args.len();
        } else {
            return Err(CommandError::Syntax);
        }
    }
    ctx.session.client.touch("client|list");
    let mut text = String::new();
    for client in ctx.server.clients.all() {
        if ids.as_ref().is_none_or(|ids| ids.contains(&client.id)) && kind.is_none_or(|k| k == client.client_type()) {
            text.push_str(&client.info_line());
            text.push('\n');
        }
    }
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

fn client_toggle(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if is(args[2], "on") || is(args[2], "off") {
        ctx.out.ok();
        Ok(())
    } else {
        Err(CommandError::Syntax)
    }
}

const CONNECTION: CommandSpec = CommandSpec { group: Group::Connection, ..CommandSpec::BASE };
const FAST_CONN: Flags = Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE).or(Flags::FAST);

const CLIENT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "client|caching",
        arity: 3,
        flags: Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE),
        since: "6.0.0",
        summary: "Instructs the server whether to track the keys in the next request.",
        syntax: "<YES | NO>",
        handler: Some(super::tracking::client_caching),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|getredir",
        arity: 2,
        flags: Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE),
        since: "6.0.0",
        summary: "Returns the client ID to which the connection's tracking notifications are redirected.",
        handler: Some(super::tracking::client_getredir),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|reply",
        arity: 3,
        flags: Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE),
        since: "3.2.0",
        summary: "Instructs the server whether to reply to commands.",
        syntax: "<ON | OFF | SKIP>",
        handler: Some(super::client_reply::client_reply),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|tracking",
        arity: -3,
        flags: Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE),
        since: "6.0.0",
        summary: "Controls server-assisted client-side caching for the connection.",
        syntax: "<ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]",
        handler: Some(super::tracking::client_tracking),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|trackinginfo",
        arity: 2,
        flags: Flags::NOSCRIPT.or(Flags::LOADING).or(Flags::STALE),
        since: "6.2.0",
        summary: "Returns information about server-assisted client-side caching for the connection.",
        handler: Some(super::tracking::client_trackinginfo),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|unblock",
        arity: -3,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        since: "5.0.0",
        summary: "Unblocks a client blocked by a blocking command from a different connection.",
        syntax: "client-id [TIMEOUT | ERROR]",
        handler: Some(super::client_reply::client_unblock),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|getname",
        arity: 2,
        flags: FAST_CONN,
        since: "2.6.9",
        summary: "Returns the name of the connection.",
        handler: Some(client_getname),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|help",
        arity: 2,
        flags: FAST_CONN,
        since: "5.0.0",
        summary: "Returns helpful text about the different subcommands.",
        handler: Some(client_help),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|kill",
        arity: -3,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        since: "2.4.0",
        summary: "Terminates open connections.",
        syntax: "ip:port | <ID client-id | TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB> | USER username | ADDR ip:port | LADDR ip:port | SKIPME <YES | NO> | MAXAGE maxage> [...]",
        handler: Some(client_kill),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|id",
        arity: 2,
        flags: FAST_CONN,
        since: "5.0.0",
        summary: "Returns the unique client ID of the connection.",
        handler: Some(client_id),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|info",
        arity: 2,
        flags: FAST_CONN,
        since: "6.2.0",
        summary: "Returns information about the connection.",
        handler: Some(client_info),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|list",
        arity: -2,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        since: "2.4.0",
        summary: "Lists open connections.",
        syntax: "[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]",
        handler: Some(client_list),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|no-evict",
        arity: 3,
        flags: Flags::ADMIN.or(FAST_CONN),
        since: "7.0.0",
        summary: "Sets the client eviction mode of the connection.",
        syntax: "<ON | OFF>",
        handler: Some(client_toggle),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|no-touch",
        arity: 3,
        flags: FAST_CONN,
        since: "7.2.0",
        summary: "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
        syntax: "<ON | OFF>",
        handler: Some(client_toggle),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|pause",
        arity: -3,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        since: "3.0.0",
        summary: "Suspends commands processing.",
        syntax: "timeout [WRITE | ALL]",
        handler: Some(client_pause),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|unpause",
        arity: 2,
        flags: Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        since: "6.2.0",
        summary: "Resumes processing of clients that were paused.",
        syntax: "",
        handler: Some(client_unpause),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|setinfo",
        arity: 4,
        flags: FAST_CONN,
        since: "7.2.0",
        summary: "Sets information specific to the client or connection.",
        syntax: "<LIB-NAME libname | LIB-VER libver>",
        handler: Some(client_setinfo),
        ..CONNECTION
    },
    CommandSpec {
        name: "client|setname",
        arity: 3,
        flags: FAST_CONN,
        since: "2.6.9",
        summary: "Sets the connection name.",
        syntax: "connection-name",
        handler: Some(client_setname),
        ..CONNECTION
    },
];

pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "auth",
        arity: -2,
        flags: Flags::NOSCRIPT
            .or(Flags::LOADING)
            .or(Flags::STALE)
            .or(Flags::FAST)
            .or(Flags::NO_AUTH)
            .or(Flags::ALLOW_BUSY),
        since: "1.0.0",
        summary: "Authenticates the connection.",
        syntax: "[username] password",
        handler: Some(auth),
        ..CONNECTION
    },
    CommandSpec {
        name: "client",
        arity: -2,
        since: "2.4.0",
        summary: "A container for client connection commands.",
        syntax: "<subcommand> [arguments]",
        subcommands: CLIENT_SUBCOMMANDS,
        ..CONNECTION
    },
    CommandSpec {
        name: "echo",
        arity: 2,
        flags: Flags::FAST.or(Flags::LOADING).or(Flags::STALE),
        since: "1.0.0",
        summary: "Returns the given string.",
        syntax: "message",
        handler: Some(echo),
        ..CONNECTION
    },
    CommandSpec {
        name: "hello",
        arity: -1,
        flags: FAST_CONN.or(Flags::NO_AUTH).or(Flags::ALLOW_BUSY),
        since: "6.0.0",
        summary: "Handshakes with the server, choosing the protocol (RESP2 or RESP3).",
        syntax: "[protover [AUTH username password] [SETNAME clientname]]",
        handler: Some(hello),
        ..CONNECTION
    },
    CommandSpec {
        name: "ping",
        arity: -1,
        flags: Flags::FAST,
        since: "1.0.0",
        summary: "Returns the server's liveliness response.",
        syntax: "[message]",
        handler: Some(ping),
        ..CONNECTION
    },
    CommandSpec {
        name: "quit",
        arity: -1,
        flags: FAST_CONN.or(Flags::NO_AUTH).or(Flags::ALLOW_BUSY),
        since: "1.0.0",
        summary: "Closes the connection.",
        handler: Some(quit),
        ..CONNECTION
    },
    CommandSpec {
        name: "reset",
        arity: 1,
        flags: FAST_CONN.or(Flags::NO_AUTH).or(Flags::ALLOW_BUSY),
        since: "6.2.0",
        summary: "Resets the connection: RESP2, database 0, no name.",
        handler: Some(reset),
        ..CONNECTION
    },
    CommandSpec {
        name: "select",
        arity: 2,
        flags: Flags::LOADING.or(Flags::STALE).or(Flags::FAST),
        since: "1.0.0",
        summary: "Changes the selected database.",
        syntax: "index",
        handler: Some(select),
        ..CONNECTION
    },
];
