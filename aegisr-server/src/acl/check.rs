//! The permission check: may a user run a command with these arguments (command or
//! subcommand, every key with the access it needs, every channel)?

use super::catalog::catalog;
use super::user::{READ, READ_WRITE, Selector, User, WRITE};
use crate::commands::table::{CommandSpec, Flags};
use crate::engine::glob::glob_match;

/// Why a command was refused, in Redis's order of precedence between selectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Command,
    Key,
    Channel,
}

impl Reason {
    /// ACL LOG's `reason` field.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
        }
    }
}

/// A refusal: why, and the argument at fault (the key or channel), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub reason: Reason,
    /// Index in the arguments (name first) of the key or channel refused.
    pub at: usize,
}

/// Checks `args` (name first) of command `spec` against every selector of `user`: one
/// allowing it is enough. The refusal reported is the most specific one (Redis's order:
/// command, key, channel; then the furthest argument).
pub fn check(user: &User, spec: &CommandSpec, args: &[&[u8]]) -> Result<(), Denied> {
    let mut worst: Option<Denied> = None;
    for selector in std::iter::once(&user.root).chain(&user.selectors) {
        match check_selector(selector, spec, args) {
            Ok(()) => return Ok(()),
            Err(denied) => {
                if worst.as_ref().is_none_or(|w| (denied.reason, denied.at) > (w.reason, w.at)) {
                    worst = Some(denied);
                }
            }
        }
    }
    worst.map_or(Ok(()), Err)
}

pub fn check_selector(selector: &Selector, spec: &CommandSpec, args: &[&[u8]]) -> Result<(), Denied> {
    let deny = |reason, at| Err(Denied { reason, at });
    if !spec.flags.contains(Flags::NO_AUTH) && !selector.allows_command(catalog().id_of_spec(spec).unwrap_or(0)) {
        let id = catalog().id_of_spec(spec).unwrap_or(0);
        let first_arg_ok = args.get(1).is_some_and(|first| {
            selector
                .first_args_of(id)
                .is_some_and(|allowed| allowed.iter().any(|a| a.as_bytes().eq_ignore_ascii_case(first)))
        });
        if !first_arg_ok {
            return deny(Reason::Command, 0);
        }
    }
    if !selector.all_keys && has_keys(spec) {
        for (nth, at) in key_positions(spec, args).into_iter().enumerate() {
            let needed = key_access(spec, nth, args);
            let key = &args[at];
            let allowed = selector
                .keys
                .iter()
                .any(|(pattern, flags)| flags & needed == needed && glob_match(pattern, key, false));
            if !allowed {
                return deny(Reason::Key, at);
            }
        }
    }
    if !selector.all_channels {
        for (at, is_pattern) in channel_positions(spec, args) {
            let channel = &args[at];
            let allowed = selector.channels.iter().any(|pattern| {
                // A pattern subscribed to must be one of the user's patterns, literally.
                if is_pattern { pattern[..] == channel[..] } else { glob_match(pattern, channel, false) }
            });
            if !allowed {
                return deny(Reason::Channel, at);
            }
        }
    }
    Ok(())
}

/// Whether some selector of `user` allows channel `name` (a pattern subscribed to when
/// `is_pattern`: it must be one of the user's patterns, literally).
pub fn channel_allowed(user: &User, name: &[u8], is_pattern: bool) -> bool {
    std::iter::once(&user.root).chain(&user.selectors).any(|selector| {
        selector.all_channels
            || selector
                .channels
                .iter()
                .any(|pattern| if is_pattern { pattern[..] == name[..] } else { glob_match(pattern, name, false) })
    })
}

fn has_keys(spec: &CommandSpec) -> bool {
    // The shard channels are keys to the cluster (they pick its slot) but channels to ACLs,
    // as Redis's NOT_KEY key specs say.
    let channels_only = matches!(spec.name, "spublish" | "ssubscribe" | "sunsubscribe");
    !channels_only
        && (spec.keys.first > 0 || spec.numkeys_at.is_some() || !spec.keyword_keys.is_empty() || spec.keys_fn.is_some())
}

/// The access the `nth` key of a command needs. Redis decides per key from its key
/// specs; the table knows the command's flags: a command that writes needs write access
/// to its keys, any other read access, except the write commands that only read their
/// sources (SUNIONSTORE dest src..., COPY src dest, SORT src ... STORE dest) and those
/// that also return what they change (INCR, LPOP, GETDEL... need both).
fn key_access(spec: &CommandSpec, nth: usize, args: &[&[u8]]) -> u8 {
    if !spec.flags.contains(Flags::WRITE) {
        return match spec.name {
            // What only looks at a key's existence, type, size or metadata needs no
            // access: any pattern matching the key will do (Redis's RO key specs
            // without ACCESS).
            "exists" | "type" | "strlen" | "touch" | "llen" | "scard" | "zcard" | "hlen" | "sismember" | "xlen"
            | "hstrlen" | "hexists" | "watch" | "object|encoding" | "object|freq" | "object|idletime"
            | "object|refcount" | "memory|usage" => 0,
            // A script may read and write the keys it declares (the _RO forms only read).
            "eval" | "evalsha" | "fcall" => READ_WRITE,
            _ => READ,
        };
    }
    match spec.name {
        // The destination first, then the sources.
        "sunionstore" | "sinterstore" | "sdiffstore" | "zunionstore" | "zinterstore" | "zdiffstore" | "zrangestore"
        | "geosearchstore" | "bitop" | "pfmerge"
            if nth > 0 =>
        {
            READ
        }
        // The source first, then the destination.
        "copy" | "sort" | "georadius" | "georadiusbymember" if nth == 0 => READ,
        // BITFIELD of GETs only reads, as Redis's key spec for it says.
        "bitfield" if bitfield_only_reads(args) => READ,
        // Every key is read and changed (Redis's RW ACCESS key specs).
        "incr" | "decr" | "incrby" | "decrby" | "incrbyfloat" | "getset" | "getdel" | "getex" | "setbit"
        | "bitfield" | "lpop" | "rpop" | "blpop" | "brpop" | "lmpop" | "blmpop" | "hincrby" | "hincrbyfloat"
        | "spop" | "zpopmin" | "zpopmax" | "bzpopmin" | "bzpopmax" | "zmpop" | "bzmpop" | "move" | "migrate" => {
            READ_WRITE
        }
        // The source is read and changed, the destination only changed.
        "lmove" | "blmove" | "rpoplpush" | "brpoplpush" | "rename" | "renamenx" | "smove" if nth == 0 => READ_WRITE,
        // SET ... GET returns the old value.
        "set" if args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get")) => READ_WRITE,
        _ => WRITE,
    }
}

/// Whether a BITFIELD's operations are all GETs (`GET type offset`, OVERFLOW aside).
fn bitfield_only_reads(args: &[&[u8]]) -> bool {
    let mut at = 2;
    while at < args.len() {
        if args[at].eq_ignore_ascii_case(b"get") {
            at += 3;
        } else if args[at].eq_ignore_ascii_case(b"overflow") {
            at += 2;
        } else {
            return false;
        }
    }
    true
}

/// The argument indexes of the command's keys.
fn key_positions(spec: &CommandSpec, args: &[&[u8]]) -> Vec<usize> {
    spec.key_indexes(args).unwrap_or_default()
}

/// The channels a command names: (argument index, whether it is a pattern).
fn channel_positions(spec: &CommandSpec, args: &[&[u8]]) -> Vec<(usize, bool)> {
    match spec.name {
        "publish" | "spublish" => (args.len() > 1).then_some((1, false)).into_iter().collect(),
        "subscribe" | "ssubscribe" => (1..args.len()).map(|at| (at, false)).collect(),
        "psubscribe" => (1..args.len()).map(|at| (at, true)).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::table::lookup;

    fn user(rules: &[&str]) -> User {
        let mut u = User::new();
        for r in rules {
            u.apply(r.as_bytes()).unwrap();
        }
        u
    }

    fn run(u: &User, args: &[&str]) -> Result<(), Denied> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let spec = crate::commands::resolve(&args).unwrap();
        check(u, spec, &args)
    }

    #[test]
    fn commands_keys_and_channels() {
        let u = user(&["~k*", "%R~r*", "&ch", "+get", "+set", "+publish", "+psubscribe", "+config|get"]);
        assert!(run(&u, &["get", "k1"]).is_ok());
        assert_eq!(run(&u, &["get", "x"]), Err(Denied { reason: Reason::Key, at: 1 }));
        assert!(run(&u, &["get", "r1"]).is_ok());
        assert_eq!(run(&u, &["set", "r1", "v"]).unwrap_err().reason, Reason::Key);
        assert_eq!(run(&u, &["hget", "k", "f"]).unwrap_err().reason, Reason::Command);
        assert!(run(&u, &["publish", "ch", "m"]).is_ok());
        // MIGRATE's keys are found by a function of its own: still checked.
        let migrate = user(&["~k*", "%W~w*", "+migrate"]);
        assert!(run(&migrate, &["migrate", "h", "1", "k1", "0", "500"]).is_ok());
        // It reads and deletes: write access alone is not enough.
        assert_eq!(
            run(&migrate, &["migrate", "h", "1", "w1", "0", "500"]).unwrap_err(),
            Denied { reason: Reason::Key, at: 3 }
        );
        assert_eq!(
            run(&migrate, &["migrate", "h", "1", "", "0", "500", "AUTH", "KEYS", "KEYS", "w1"]).unwrap_err(),
            Denied { reason: Reason::Key, at: 9 }
        );
        assert_eq!(
            run(&migrate, &["migrate", "h", "1", "write", "0", "500"]).unwrap_err(),
            Denied { reason: Reason::Key, at: 3 }
        );
        // A script's declared keys need both accesses, a read-only script's reading only.
        let split = user(&["%R~read*", "%W~write*", "%RW~rw*", "+@all"]);
        assert!(run(&split, &["eval", "", "1", "rw1"]).is_ok());
        assert_eq!(run(&split, &["eval", "", "1", "read"]).unwrap_err(), Denied { reason: Reason::Key, at: 3 });
        assert!(run(&split, &["eval_ro", "", "1", "read"]).is_ok());
        assert!(run(&split, &["eval", "", "0", "read"]).is_ok());
        // BITFIELD of GETs needs read access only.
        let reader = user(&["%R~read*", "+@all"]);
        assert!(run(&reader, &["bitfield", "readstr", "get", "u4", "0"]).is_ok());
        assert!(run(&reader, &["bitfield", "readstr", "overflow", "sat", "get", "u4", "0"]).is_ok());
        assert_eq!(
            run(&reader, &["bitfield", "readstr", "get", "u4", "0", "set", "u4", "0", "1"]).unwrap_err().reason,
            Reason::Key
        );
        assert_eq!(run(&reader, &["bitfield", "readstr", "incrby", "u4", "0", "1"]).unwrap_err().reason, Reason::Key);
        let shard = user(&["~nothing", "&ch", "+spublish", "+ssubscribe"]);
        assert!(run(&shard, &["spublish", "ch", "m"]).is_ok(), "a shard channel is checked as a channel");
        assert!(run(&shard, &["ssubscribe", "ch"]).is_ok());
        assert_eq!(run(&shard, &["spublish", "other", "m"]).unwrap_err(), Denied { reason: Reason::Channel, at: 1 });
        assert_eq!(run(&shard, &["ssubscribe", "ch", "x"]).unwrap_err(), Denied { reason: Reason::Channel, at: 2 });
        assert_eq!(run(&u, &["publish", "other", "m"]).unwrap_err(), Denied { reason: Reason::Channel, at: 1 });
        assert!(run(&u, &["psubscribe", "ch"]).is_ok());
        assert_eq!(run(&u, &["psubscribe", "c*"]).unwrap_err().reason, Reason::Channel);
        assert!(run(&u, &["config", "get", "hz"]).is_ok());
        assert_eq!(run(&u, &["config", "set", "hz", "1"]).unwrap_err().reason, Reason::Command);
        // AUTH and the other no-auth commands are always allowed.
        assert!(run(&u, &["auth", "x"]).is_ok());
        assert!(lookup(b"get").is_some());
    }

    #[test]
    fn sources_of_store_commands_need_read_access_only() {
        let u = user(&["%R~src*", "%W~dst*", "+sunionstore", "+copy", "+set"]);
        assert!(run(&u, &["sunionstore", "dst", "src1", "src2"]).is_ok());
        assert_eq!(run(&u, &["sunionstore", "src1", "dst"]).unwrap_err(), Denied { reason: Reason::Key, at: 1 });
        assert!(run(&u, &["copy", "src", "dst"]).is_ok());
        assert_eq!(run(&u, &["copy", "dst", "src"]).unwrap_err().reason, Reason::Key);
        assert!(run(&u, &["set", "dst", "v"]).is_ok());
        // Metadata needs no access, only a pattern.
        let u = user(&["%W~w*", "+exists", "+get"]);
        assert!(run(&u, &["exists", "w"]).is_ok());
        assert_eq!(run(&u, &["exists", "x"]).unwrap_err().reason, Reason::Key);
        assert_eq!(run(&u, &["get", "w"]).unwrap_err().reason, Reason::Key);
        // Commands returning what they change need both.
        let u = user(&["%W~w*", "~rw*", "+incr", "+set", "+lmove"]);
        assert_eq!(run(&u, &["incr", "w"]).unwrap_err().reason, Reason::Key);
        assert!(run(&u, &["incr", "rw"]).is_ok());
        assert_eq!(run(&u, &["set", "w", "v", "GET"]).unwrap_err().reason, Reason::Key);
        assert!(run(&u, &["lmove", "rw", "w", "left", "right"]).is_ok());
        assert_eq!(run(&u, &["lmove", "w", "rw", "left", "right"]).unwrap_err().reason, Reason::Key);
    }

    #[test]
    fn first_args_and_selectors() {
        let u = user(&["+select|0", "allkeys"]);
        assert!(run(&u, &["select", "0"]).is_ok());
        assert_eq!(run(&u, &["select", "1"]).unwrap_err().reason, Reason::Command);
        let u = user(&["+get", "~a", "(+set ~b)"]);
        assert!(run(&u, &["get", "a"]).is_ok());
        assert!(run(&u, &["set", "b", "1"]).is_ok());
        assert_eq!(run(&u, &["get", "b"]).unwrap_err().reason, Reason::Key);
        assert_eq!(run(&u, &["set", "a", "1"]).unwrap_err().reason, Reason::Key);
    }
}
