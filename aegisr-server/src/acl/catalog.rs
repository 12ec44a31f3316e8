//! The commands and categories ACL rules name: every command and subcommand gets an id
//! (a bit in a selector's bitmap, as in Redis), and the categories each belongs to.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::commands::table::{self, CommandSpec};

/// Redis 7.0's ACL categories, in its order (ACL CAT lists them so), then Aegisr's own
/// `bloom` for the BF.* commands.
pub const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
    "bloom",
];

/// Every command and subcommand, numbered.
pub struct Catalog {
    /// By id: top-level commands sorted by name, each followed by its subcommands.
    pub specs: Vec<&'static CommandSpec>,
    /// Per id, a bit per category (index in [`CATEGORIES`]).
    pub categories: Vec<u32>,
    /// Per id, the ids of its subcommands (empty for a plain command).
    pub subcommands: Vec<Vec<usize>>,
    /// Per id, whether it is a subcommand.
    pub is_sub: Vec<bool>,
    by_name: HashMap<&'static str, usize>,
}

impl Catalog {
    fn build() -> Catalog {
        let mut catalog = Catalog {
            specs: Vec::new(),
            categories: Vec::new(),
            subcommands: Vec::new(),
            is_sub: Vec::new(),
            by_name: HashMap::new(),
        };
        for spec in table::all() {
            let id = catalog.push(spec, false);
            let subs: Vec<usize> = spec.subcommands.iter().map(|sub| catalog.push(sub, true)).collect();
            catalog.subcommands[id] = subs;
        }
        catalog
    }

    fn push(&mut self, spec: &'static CommandSpec, is_sub: bool) -> usize {
        let id = self.specs.len();
        let mut bits = 0u32;
        for cat in spec.acl_categories() {
            if let Some(at) = category_index(cat.trim_start_matches('@')) {
                bits |= 1 << at;
            }
        }
        self.specs.push(spec);
        self.categories.push(bits);
        self.subcommands.push(Vec::new());
        self.is_sub.push(is_sub);
        self.by_name.insert(spec.name, id);
        id
    }

    /// How many ids there are.
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// The id of a command (`get`) or subcommand (`config|get`), any case.
    pub fn id_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name.to_ascii_lowercase().as_str()).copied()
    }

    /// The id of a command of the table.
    pub fn id_of_spec(&self, spec: &CommandSpec) -> Option<usize> {
        self.by_name.get(spec.name).copied()
    }

    /// Whether command `id` is in category `cat` (an index in [`CATEGORIES`]).
    pub fn in_category(&self, id: usize, cat: usize) -> bool {
        self.categories[id] & (1 << cat) != 0
    }
}

/// The index of category `name` (without `@`), any case.
pub fn category_index(name: &str) -> Option<usize> {
    CATEGORIES.iter().position(|c| c.eq_ignore_ascii_case(name))
}

/// The catalog of this build's command table.
pub fn catalog() -> &'static Catalog {
    static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::build);
    &CATALOG
}
