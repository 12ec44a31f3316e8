//! The command table: one declarative entry per command, the single source of truth for
//! dispatch, arity, flags, key positions, ACL categories and documentation (COMMAND INFO,
//! COMMAND DOCS, CLI hints).

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{Ctx, errors::CommandResult};

/// A command implementation: arguments include the command name (and subcommand).
pub type Handler = fn(&mut Ctx<'_>, &[&[u8]]) -> CommandResult;

/// Command flags, named as Redis's COMMAND INFO names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    pub const NONE: Flags = Flags(0);
    pub const WRITE: Flags = Flags(1);
    pub const READONLY: Flags = Flags(1 << 1);
    pub const DENYOOM: Flags = Flags(1 << 2);
    pub const ADMIN: Flags = Flags(1 << 3);
    pub const PUBSUB: Flags = Flags(1 << 4);
    pub const NOSCRIPT: Flags = Flags(1 << 5);
    pub const BLOCKING: Flags = Flags(1 << 6);
    pub const LOADING: Flags = Flags(1 << 7);
    pub const STALE: Flags = Flags(1 << 8);
    pub const FAST: Flags = Flags(1 << 9);
    pub const NO_AUTH: Flags = Flags(1 << 10);
    pub const MOVABLE_KEYS: Flags = Flags(1 << 11);
    pub const NO_MULTI: Flags = Flags(1 << 12);
    pub const ALLOW_BUSY: Flags = Flags(1 << 13);
    pub const SKIP_SLOWLOG: Flags = Flags(1 << 14);
    /// Runs as if ASKING came first (RESTORE-ASKING): served for a slot being imported.
    pub const ASKING: Flags = Flags(1 << 15);
    /// Refused unless its `enable-*-command` option allows the client (DEBUG, MODULE LOAD,
    /// LOADEX, UNLOAD), before anything else is checked. Not shown by COMMAND INFO, as in
    /// Redis.
    pub const PROTECTED: Flags = Flags(1 << 16);
    /// The command may have no keys (EVAL, FCALL with 0 keys): COMMAND GETKEYS answers an
    /// empty list rather than an error.
    pub const NO_MANDATORY_KEYS: Flags = Flags(1 << 17);
    /// Redis refuses the command while it loads a dataset asynchronously (diskless
    /// replication with swapdb), which Aegisr never does: reported by COMMAND, nothing else.
    pub const NO_ASYNC_LOADING: Flags = Flags(1 << 18);
    /// Runs a script (EVAL, FCALL...): shown to MONITOR before the commands the script
    /// runs, not after, as Redis's script commands feed MONITOR themselves.
    pub const SKIP_MONITOR: Flags = Flags(1 << 19);
    /// Neither a read nor a write, yet it may add to the replication stream (PUBLISH,
    /// PFCOUNT, EVAL...): a write pause holds it and read-only scripts may not call it.
    pub const MAY_REPLICATE: Flags = Flags(1 << 20);

    const NAMES: [(Flags, &'static str); 20] = [
        (Flags::WRITE, "write"),
        (Flags::READONLY, "readonly"),
        (Flags::DENYOOM, "denyoom"),
        (Flags::ADMIN, "admin"),
        (Flags::PUBSUB, "pubsub"),
        (Flags::NOSCRIPT, "noscript"),
        (Flags::BLOCKING, "blocking"),
        (Flags::LOADING, "loading"),
        (Flags::STALE, "stale"),
        (Flags::SKIP_MONITOR, "skip_monitor"),
        (Flags::SKIP_SLOWLOG, "skip_slowlog"),
        (Flags::ASKING, "asking"),
        (Flags::FAST, "fast"),
        (Flags::NO_AUTH, "no_auth"),
        (Flags::MAY_REPLICATE, "may_replicate"),
        (Flags::NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (Flags::NO_ASYNC_LOADING, "no_async_loading"),
        (Flags::MOVABLE_KEYS, "movablekeys"),
        (Flags::NO_MULTI, "no_multi"),
        (Flags::ALLOW_BUSY, "allow_busy"),
    ];

    pub const fn or(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flag names, in Redis's order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Flags::NAMES.into_iter().filter(move |(f, _)| self.contains(*f)).map(|(_, n)| n)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, other: Flags) -> Flags {
        self.or(other)
    }
}

/// Where a command's keys are: `first` and `last` argument index (negative `last` counts
/// from the end, -1 is the last argument) every `step` arguments. `first == 0`: no keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRange {
    pub first: i32,
    pub last: i32,
    pub step: i32,
}

impl KeyRange {
    pub const NONE: KeyRange = KeyRange { first: 0, last: 0, step: 0 };
    pub const FIRST: KeyRange = KeyRange { first: 1, last: 1, step: 1 };
    pub const ALL: KeyRange = KeyRange { first: 1, last: -1, step: 1 };
    pub const TWO: KeyRange = KeyRange { first: 1, last: 2, step: 1 };
    pub const PAIRS: KeyRange = KeyRange { first: 1, last: -1, step: 2 };

    /// The key arguments of `args` (the full vector, name first).
    pub fn keys<'a>(&self, args: &[&'a [u8]]) -> impl Iterator<Item = &'a [u8]> {
        self.indexes(args.len()).map(|at| args[at])
    }

    /// The indexes of the key arguments in a vector of `len` arguments (name first).
    pub fn indexes(&self, len: usize) -> std::iter::StepBy<std::ops::Range<usize>> {
        let len = len as i64;
        let first = i64::from(self.first);
        let last = if self.last < 0 { len + i64::from(self.last) } else { i64::from(self.last) };
        let step = usize::try_from(self.step.max(1)).unwrap_or(1);
        let range = if first == 0 || last < first || last >= len { 0..0 } else { first as usize..last as usize + 1 };
        range.step_by(step)
    }
}

/// The command groups of COMMAND DOCS, each with its ACL category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Bitmap,
    /// RedisBloom's commands (BF.*), a module's in Redis.
    Bloom,
    Cluster,
    Connection,
    Generic,
    Geo,
    Hash,
    HyperLogLog,
    List,
    Server,
    Set,
    PubSub,
    SortedSet,
    Stream,
    String,
    Transactions,
    Scripting,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Bitmap => "bitmap",
            // Redis puts every module command in the "module" group.
            Group::Bloom => "module",
            Group::Cluster => "cluster",
            Group::Connection => "connection",
            Group::Generic => "generic",
            Group::Geo => "geo",
            Group::Hash => "hash",
            Group::HyperLogLog => "hyperloglog",
            Group::List => "list",
            Group::Server => "server",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::PubSub => "pubsub",
            Group::Stream => "stream",
            Group::String => "string",
            Group::Transactions => "transactions",
            Group::Scripting => "scripting",
        }
    }

    fn acl_category(self) -> Option<&'static str> {
        match self {
            Group::Bitmap => Some("@bitmap"),
            Group::Bloom => Some("@bloom"),
            Group::Cluster => None,
            Group::Connection => Some("@connection"),
            Group::Generic => Some("@keyspace"),
            Group::Geo => Some("@geo"),
            Group::Hash => Some("@hash"),
            Group::HyperLogLog => Some("@hyperloglog"),
            Group::List => Some("@list"),
            Group::Server => None,
            Group::Set => Some("@set"),
            Group::SortedSet => Some("@sortedset"),
            // The pubsub flag already implies @pubsub.
            Group::PubSub => None,
            Group::Stream => Some("@stream"),
            Group::String => Some("@string"),
            Group::Transactions => Some("@transaction"),
            Group::Scripting => Some("@scripting"),
        }
    }
}

/// A key found after a keyword, from argument `start_from` on (Redis's "keyword" key
/// spec): `GEORADIUS ... STORE key`. The first match wins; a keyword in the last position
/// has no key after it and does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeywordKey {
    pub keyword: &'static str,
    pub start_from: usize,
}

impl KeywordKey {
    /// The key argument this spec finds in `args` (name first), if any.
    pub fn find(&self, args: &[&[u8]]) -> Option<usize> {
        let last = args.len().checked_sub(1)?;
        let at = (self.start_from.max(1)..last).find(|&i| args[i].eq_ignore_ascii_case(self.keyword.as_bytes()))?;
        Some(at + 1)
    }
}

/// A command's own key finder: the key indexes of `args` (name first), `None` when the
/// arguments do not say.
pub type KeysFn = fn(&[&[u8]]) -> Option<Vec<usize>>;

/// One command (or subcommand).
#[derive(Debug)]
pub struct CommandSpec {
    /// Lower-case name; subcommands are named `container|sub` as in Redis 7.
    pub name: &'static str,
    /// Redis's arity: positive is exact, negative is a minimum; the name counts.
    pub arity: i32,
    pub flags: Flags,
    pub keys: KeyRange,
    /// For commands whose keys are counted by an argument (`ZUNION numkeys key ...`): the
    /// index of that count; the keys follow it. They come after any `keys` range.
    pub numkeys_at: Option<usize>,
    /// Keys that follow a keyword (`STORE key`); they come after the others.
    pub keyword_keys: &'static [KeywordKey],
    /// For the few commands whose keys no range or keyword describes (MIGRATE's KEYS
    /// form): their key indexes, instead of all the above (Redis's `getkeys_proc`).
    pub keys_fn: Option<KeysFn>,
    pub group: Group,
    /// Extra ACL categories beyond those the flags and group imply (e.g. "@dangerous").
    pub acl: &'static [&'static str],
    /// Version of Redis (or Aegisr) that introduced the command.
    pub since: &'static str,
    pub summary: &'static str,
    /// The arguments after the name, in Redis's documentation syntax.
    pub syntax: &'static str,
    pub handler: Option<Handler>,
    pub subcommands: &'static [CommandSpec],
}

/// Redis's ACL categories in the order of its table (`ACLCommandCategories`), which is
/// the order COMMAND INFO lists a command's categories in.
const ACL_CATEGORY_ORDER: &[&str] = &[
    "@keyspace",
    "@read",
    "@write",
    "@set",
    "@sortedset",
    "@list",
    "@hash",
    "@string",
    "@bitmap",
    "@hyperloglog",
    "@geo",
    "@stream",
    "@pubsub",
    "@admin",
    "@fast",
    "@slow",
    "@blocking",
    "@dangerous",
    "@connection",
    "@transaction",
    "@scripting",
];

impl CommandSpec {
    /// A base to fill with struct update syntax: `CommandSpec { name, .., ..CommandSpec::BASE }`.
    pub const BASE: CommandSpec = CommandSpec {
        name: "",
        arity: 1,
        flags: Flags::NONE,
        keys: KeyRange::NONE,
        numkeys_at: None,
        keyword_keys: &[],
        keys_fn: None,
        group: Group::Generic,
        acl: &[],
        since: "1.0.0",
        summary: "",
        syntax: "",
        handler: None,
        subcommands: &[],
    };

    /// Whether `argc` arguments (name included) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = i64::try_from(argc).unwrap_or(i64::MAX);
        let arity = i64::from(self.arity);
        if arity >= 0 { argc == arity } else { argc >= -arity }
    }

    /// Every key argument of `args` (name first): the fixed range, then the counted keys.
    /// `None` when a key count is not a number or claims more arguments than there are.
    pub fn keys_of<'a>(&self, args: &[&'a [u8]]) -> Option<Vec<&'a [u8]>> {
        Some(self.key_indexes(args)?.into_iter().map(|at| args[at]).collect())
    }

    /// The indexes in `args` of [`CommandSpec::keys_of`]'s keys, in the same order.
    pub fn key_indexes(&self, args: &[&[u8]]) -> Option<Vec<usize>> {
        if let Some(keys_fn) = self.keys_fn {
            return keys_fn(args);
        }
        let mut keys: Vec<usize> = self.keys.indexes(args.len()).collect();
        if let Some(at) = self.numkeys_at {
            let count = args.get(at).and_then(|n| crate::types::string::parse_i64(n))?;
            let count = usize::try_from(count).ok()?;
            let end = at.checked_add(1)?.checked_add(count)?;
            if end > args.len() {
                return None;
            }
            keys.extend(at + 1..end);
        }
        keys.extend(self.keyword_keys.iter().filter_map(|k| k.find(args)));
        Some(keys)
    }

    /// ACL categories, as COMMAND INFO lists them.
    pub fn acl_categories(&self) -> Vec<&'static str> {
        let mut cats = Vec::new();
        let f = self.flags;
        if f.contains(Flags::WRITE) {
            cats.push("@write");
        }
        // As Redis's setImplicitACLCategories: read-only scripting commands (EVAL_RO,
        // FCALL_RO) are not @read.
        if f.contains(Flags::READONLY) && self.group != Group::Scripting {
            cats.push("@read");
        }
        // Redis gives each command its categories in its own table entry; they follow the
        // group but for containers (only @slow: the subcommands carry the categories), SORT
        // and SORT_RO (the types they sort, in `acl`) and WAIT / WAITAOF (@connection).
        let own_categories =
            !self.subcommands.is_empty() || matches!(self.name, "sort" | "sort_ro" | "wait" | "waitaof");
        if !own_categories {
            cats.extend(self.group.acl_category());
        }
        if f.contains(Flags::ADMIN) {
            cats.extend(["@admin", "@dangerous"]);
        }
        if f.contains(Flags::PUBSUB) {
            cats.push("@pubsub");
        }
        if f.contains(Flags::BLOCKING) {
            cats.push("@blocking");
        }
        cats.push(if f.contains(Flags::FAST) { "@fast" } else { "@slow" });
        for extra in self.acl {
            if !cats.contains(extra) {
                cats.push(extra);
            }
        }
        // Redis lists them in the order of its category table, whatever their source.
        cats.sort_by_key(|c| ACL_CATEGORY_ORDER.iter().position(|o| o == c).unwrap_or(usize::MAX));
        cats
    }

    /// The subcommand named by `arg`, if this is a container.
    pub fn subcommand(&self, arg: &[u8]) -> Option<&'static CommandSpec> {
        self.subcommands.iter().find(|s| {
            let sub = s.name.rsplit('|').next().unwrap_or(s.name);
            arg.eq_ignore_ascii_case(sub.as_bytes())
        })
    }
}

/// Every command family's table.
fn families() -> &'static [&'static [CommandSpec]] {
    &[
        super::acl::COMMANDS,
        super::bitmap::COMMANDS,
        super::bloom::COMMANDS,
        super::cluster::COMMANDS,
        super::geo::COMMANDS,
        super::hll::COMMANDS,
        super::connection::COMMANDS,
        super::debug::COMMANDS,
        super::dump::COMMANDS,
        super::functions::COMMANDS,
        super::hash::COMMANDS,
        super::keys::COMMANDS,
        super::list::COMMANDS,
        super::lolwut::COMMANDS,
        super::memory::COMMANDS,
        super::migrate::COMMANDS,
        super::module::COMMANDS,
        super::monitor::COMMANDS,
        super::persistence::COMMANDS,
        super::observe::COMMANDS,
        super::pubsub::COMMANDS,
        super::replication::COMMANDS,
        super::server::COMMANDS,
        super::set::COMMANDS,
        super::sort::COMMANDS,
        super::stream::COMMANDS,
        super::string::COMMANDS,
        super::sync::COMMANDS,
        super::transaction::COMMANDS,
        super::scripting::COMMANDS,
        super::zset::COMMANDS,
    ]
}

/// Name -> command. foldhash rather than SipHash: the key set is fixed and ours, and this
/// lookup runs once per request.
static BY_NAME: LazyLock<HashMap<&'static str, &'static CommandSpec, foldhash::fast::RandomState>> =
    LazyLock::new(|| families().iter().copied().flatten().map(|c| (c.name, c)).collect());

/// All top-level commands, sorted by name.
pub fn all() -> Vec<&'static CommandSpec> {
    let mut all: Vec<_> = BY_NAME.values().copied().collect();
    all.sort_by_key(|c| c.name);
    all
}

thread_local! {
    /// The command this thread looked up last: pipelines and bulk loads repeat one command,
    /// and comparing the name with it is cheaper than hashing it.
    static LAST_LOOKUP: std::cell::Cell<Option<&'static CommandSpec>> = const { std::cell::Cell::new(None) };
}

/// Finds a command by name, ignoring ASCII case, without allocating for short names.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    let last = LAST_LOOKUP.with(std::cell::Cell::get);
    if let Some(spec) = last.filter(|spec| spec.name.as_bytes().eq_ignore_ascii_case(name)) {
        return Some(spec);
    }
    let found = lookup_by_hash(name);
    if found.is_some() {
        LAST_LOOKUP.with(|last| last.set(found));
    }
    found
}

fn lookup_by_hash(name: &[u8]) -> Option<&'static CommandSpec> {
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        return None;
    }
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    BY_NAME.get(std::str::from_utf8(lower).ok()?).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_well_formed() {
        for c in all() {
            assert_eq!(c.name, c.name.to_ascii_lowercase(), "{}", c.name);
            assert!(!c.summary.is_empty(), "{} has no summary", c.name);
            assert!(c.handler.is_some() || !c.subcommands.is_empty(), "{}: no handler", c.name);
            assert!(c.arity != 0, "{}", c.name);
            for s in c.subcommands {
                assert!(s.name.starts_with(&format!("{}|", c.name)), "{}", s.name);
                assert!(s.handler.is_some() && !s.summary.is_empty(), "{}", s.name);
            }
            if c.keys.first > 0 {
                assert!(!c.flags.contains(Flags::WRITE | Flags::READONLY), "{} both read and write", c.name);
            }
            // A key count or a keyword makes keys movable; SORT_RO's are movable through
            // its BY/GET patterns alone.
            if c.numkeys_at.is_some() || !c.keyword_keys.is_empty() {
                assert!(c.flags.contains(Flags::MOVABLE_KEYS), "{}: movable keys must be flagged", c.name);
            }
        }
    }

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(lookup(b"GeT").map(|c| c.name), Some("get"));
        assert!(lookup(b"nosuchcommand").is_none());
        assert!(lookup(&[b'x'; 100]).is_none());
        // The last command found is remembered: repeated and different names alike resolve.
        for name in [&b"set"[..], b"SET", b"get", b"set", b"se", b"sett", b"GET"] {
            let expected = match name.to_ascii_lowercase().as_slice() {
                b"set" => Some("set"),
                b"get" => Some("get"),
                _ => None,
            };
            assert_eq!(lookup(name).map(|c| c.name), expected, "{}", String::from_utf8_lossy(name));
        }
    }

    #[test]
    fn key_ranges() {
        let args: Vec<&[u8]> = vec![b"mset", b"a", b"1", b"b", b"2"];
        let keys: Vec<_> = KeyRange::PAIRS.keys(&args).collect();
        assert_eq!(keys, vec![args[1], args[3]]);
        let keys: Vec<_> = KeyRange::ALL.keys(&args[..1]).collect();
        assert!(keys.is_empty());
        let zunionstore = lookup(b"zunionstore").unwrap();
        let args: Vec<&[u8]> = vec![b"zunionstore", b"dest", b"2", b"a", b"b", b"WEIGHTS", b"1", b"2"];
        assert_eq!(zunionstore.keys_of(&args).unwrap(), [&b"dest"[..], b"a", b"b"]);
        assert_eq!(zunionstore.key_indexes(&args).unwrap(), [1, 3, 4]);
        let bad: Vec<&[u8]> = vec![b"zunionstore", b"dest", b"9", b"a"];
        assert!(zunionstore.keys_of(&bad).is_none());
    }

    #[test]
    fn keyword_keys() {
        let georadius = lookup(b"georadius").unwrap();
        let keys_of = |args: &[&str]| -> Vec<String> {
            let args: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
            georadius.keys_of(&args).unwrap().into_iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect()
        };
        // As Redis 7.0.15's COMMAND GETKEYS answers.
        assert_eq!(keys_of(&["georadius", "k", "1", "1", "1", "km", "store", "a", "storedist", "b"]), ["k", "a", "b"]);
        assert_eq!(keys_of(&["georadius", "k", "1", "1", "1", "km", "store", "a", "store", "b"]), ["k", "a"]);
        assert_eq!(keys_of(&["georadius", "k", "1", "1", "1", "km", "store"]), ["k"]);
        assert_eq!(keys_of(&["georadius", "k", "1", "1", "1", "store", "x"]), ["k"]);
    }

    #[test]
    fn sort_stores_into_its_last_store_key() {
        let sort = lookup(b"sort").unwrap();
        let keys_of = |args: &[&str]| -> Vec<String> {
            let args: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
            sort.keys_of(&args).unwrap().into_iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect()
        };
        // As Redis's sortGetKeys: the last STORE, the arguments of LIMIT, GET and BY skipped.
        assert_eq!(keys_of(&["sort", "abc", "store", "invalid", "store", "stillbad", "store", "def"]), ["abc", "def"]);
        assert_eq!(keys_of(&["sort", "abc", "get", "store", "limit", "store", "1"]), ["abc"]);
        assert_eq!(keys_of(&["sort", "abc", "by", "x", "STORE", "dst"]), ["abc", "dst"]);
        assert_eq!(keys_of(&["sort", "abc", "store"]), ["abc"]);
    }
}
