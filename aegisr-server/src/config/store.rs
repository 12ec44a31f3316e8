//! The live configuration: every option's current value, kept in CONFIG GET's text form,
//! plus atomics for the few values the hot path reads.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};

use super::options::{self, Effect, OPTIONS, OptionKind, OptionSpec};
use super::units::parse_memory;
use crate::engine::glob::glob_match;

/// Why a configuration change was refused; `Display` is CONFIG SET's error text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("ERR Unknown option or number of arguments for CONFIG SET - '{0}'")]
    Unknown(String),
    #[error("ERR CONFIG SET failed (possibly related to argument '{0}') - can't set immutable config")]
    Immutable(String),
    #[error("ERR CONFIG SET failed (possibly related to argument '{0}') - can't set protected config")]
    Protected(String),
    #[error("ERR CONFIG SET failed (possibly related to argument '{0}') - duplicate parameter")]
    Duplicate(String),
    #[error("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")]
    Invalid { name: String, reason: String },
}

/// Values read on every request, mirrored from the store so readers need no lock.
#[derive(Debug, Default)]
pub struct Limits {
    pub proto_max_bulk_len: AtomicU64,
    pub min_replicas_to_write: AtomicU64,
    pub min_replicas_max_lag: AtomicU64,
    pub query_buffer_limit: AtomicU64,
    pub maxclients: AtomicU64,
    pub timeout_secs: AtomicU64,
    pub hz: AtomicU64,
    pub lazy_user_flush: AtomicU64,
    pub pubsub_hard: AtomicU64,
    pub pubsub_soft: AtomicU64,
    pub pubsub_soft_secs: AtomicU64,
    /// `client-output-buffer-limit normal`: bounds what waits for a MONITOR client.
    pub normal_hard: AtomicU64,
    pub normal_soft: AtomicU64,
    pub normal_soft_secs: AtomicU64,
    /// `latency-monitor-threshold`, milliseconds; 0: the latency monitor is off.
    pub latency_monitor_threshold: AtomicU64,
    /// `latency-tracking`: whether each command's latency goes into its histogram (INFO
    /// latencystats).
    pub latency_tracking: AtomicBool,
    /// `slowlog-log-slower-than`, microseconds; negative: off.
    pub slowlog_slower_than: AtomicI64,
    /// `notify-keyspace-events` as flags, 0 while neither `K` nor `E` is set (see
    /// `pubsub::notify::effective_flags`): every write tests it.
    pub notify_keyspace_events: AtomicU32,
    /// `appendfsync`: 0 always, 1 everysec, 2 no (see `persist::journal::FsyncPolicy`).
    pub appendfsync: std::sync::atomic::AtomicU8,
    /// `maxmemory` in bytes (0: no limit): read before every command.
    pub maxmemory: AtomicU64,
    /// `maxmemory-policy` as `engine::evict::Policy as u32`: read on every key access (LRU
    /// and LFU keep different access data).
    pub maxmemory_policy: AtomicU32,
    pub maxmemory_samples: AtomicU64,
    pub maxmemory_eviction_tenacity: AtomicU64,
    pub lfu_log_factor: AtomicU64,
    pub lfu_decay_time: AtomicU64,
    /// `min-replicas-ack`: replicas that must acknowledge a write before its reply.
    pub min_replicas_ack: AtomicU64,
    /// `repl-backlog-size`: bytes the replication backlog keeps.
    pub repl_backlog_size: AtomicU64,
    pub encoding: EncodingLimits,
}

/// The data types' encoding thresholds, read by every write to a list, hash, set, sorted
/// set or stream (looking them up by name cost 1% of an LPUSH).
#[derive(Debug, Default)]
pub struct EncodingLimits {
    pub list_max_listpack_size: AtomicI64,
    pub hash_max_listpack_entries: AtomicI64,
    pub hash_max_listpack_value: AtomicI64,
    pub set_max_intset_entries: AtomicI64,
    pub set_max_listpack_entries: AtomicI64,
    pub set_max_listpack_value: AtomicI64,
    pub zset_max_listpack_entries: AtomicI64,
    pub zset_max_listpack_value: AtomicI64,
    pub stream_node_max_entries: AtomicI64,
    pub stream_node_max_bytes: AtomicI64,
}

impl EncodingLimits {
    /// A threshold as a size (a negative value counts as 0).
    pub fn size(value: &AtomicI64) -> usize {
        usize::try_from(value.load(Ordering::Relaxed)).unwrap_or(0)
    }
}

impl Limits {
    /// `client-output-buffer-limit normal`.
    pub fn normal(&self) -> crate::pubsub::OutputLimit {
        crate::pubsub::OutputLimit {
            hard: self.normal_hard.load(Ordering::Relaxed),
            soft: self.normal_soft.load(Ordering::Relaxed),
            soft_secs: self.normal_soft_secs.load(Ordering::Relaxed),
        }
    }

    /// `client-output-buffer-limit pubsub`.
    pub fn pubsub(&self) -> crate::pubsub::OutputLimit {
        crate::pubsub::OutputLimit {
            hard: self.pubsub_hard.load(Ordering::Relaxed),
            soft: self.pubsub_soft.load(Ordering::Relaxed),
            soft_secs: self.pubsub_soft_secs.load(Ordering::Relaxed),
        }
    }
}

/// Every option's current value.
pub struct ConfigStore {
    values: RwLock<BTreeMap<&'static str, String>>,
    /// The numeric options (integers, sizes, booleans as 0/1) by exact name, kept as
    /// atomics so commands can read a threshold per call without a lock or a parse.
    numbers: HashMap<&'static str, AtomicI64, foldhash::fast::RandomState>,
    /// Shared with the keyspace notifier, which reads the notification flags and the pub/sub
    /// output limit on every event.
    limits: Arc<Limits>,
    /// No-effect options already logged, so each is logged once.
    warned: Mutex<HashSet<&'static str>>,
    /// The config file the node was started with (`--config`), for CONFIG REWRITE.
    file: Mutex<Option<std::path::PathBuf>>,
    /// The `user` lines of a redis.conf, applied at start as an ACL file's are.
    file_users: Mutex<Vec<String>>,
}

/// Validates `raw` for `spec` and returns it in CONFIG GET's form, or the reason it is bad.
pub(crate) fn normalize(spec: &OptionSpec, raw: &str) -> Result<String, String> {
    match spec.kind {
        OptionKind::Bool => match raw.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        OptionKind::Int { min, max } => {
            let n: i64 = raw.trim().parse().map_err(|_| "argument couldn't be parsed into an integer".to_owned())?;
            if n < min || n > max {
                return Err(format!("argument must be between {min} and {max} inclusive"));
            }
            Ok(n.to_string())
        }
        OptionKind::Memory { min, max } => {
            let n = parse_memory(raw).ok_or_else(|| "argument must be a memory value".to_owned())?;
            if n < min || n > max {
                return Err(format!("argument must be between {min} and {max} inclusive"));
            }
            Ok(n.to_string())
        }
        OptionKind::Enum(choices) => {
            let lower = raw.to_ascii_lowercase();
            if choices.contains(&lower.as_str()) {
                Ok(lower)
            } else {
                Err(format!("argument(s) must be one of the following: {}", choices.join(", ")))
            }
        }
        OptionKind::String => Ok(raw.to_owned()),
        OptionKind::OutputBufferLimits => super::output_limits::merge(super::output_limits::DEFAULT, raw),
        OptionKind::KeyspaceEvents => keyspace_events(raw).map(crate::pubsub::notify::format_flags),
        OptionKind::Flags(words) => {
            let lower = raw.to_ascii_lowercase();
            let given: Vec<&str> = lower.split_ascii_whitespace().collect();
            if given.is_empty() || given.iter().any(|w| !words.contains(w)) {
                return Err(format!("argument(s) must be one of the following: {}", words.join(", ")));
            }
            Ok(given.join(" "))
        }
        OptionKind::OomScoreValues => {
            let values: Vec<&str> = raw.split_ascii_whitespace().collect();
            if values.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            let invalid = || "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".to_owned();
            let numbers = values
                .iter()
                .map(|v| v.parse::<i64>().ok().filter(|n| (-2000..=2000).contains(n)).ok_or_else(invalid))
                .collect::<Result<Vec<i64>, String>>()?;
            Ok(numbers.iter().map(i64::to_string).collect::<Vec<_>>().join(" "))
        }
        OptionKind::MemoryOrPercent => {
            if let Some(bytes) = parse_memory(raw).filter(|&n| i64::try_from(n).is_ok()) {
                return Ok(bytes.to_string());
            }
            // Redis's order: a memory value, else a percentage (digits and `%`, not negative).
            let percent = raw.strip_suffix('%').filter(|digits| !digits.is_empty()).and_then(|d| d.parse::<i64>().ok());
            match percent {
                Some(p) if p > 100 => Err("percentage argument must be less or equal to 100".into()),
                Some(p) if p >= 0 => Ok(format!("{p}%")),
                _ => Err("argument must be a memory or percent value".into()),
            }
        }
        OptionKind::Percentiles => {
            percentiles(raw).map(|list| list.iter().map(|&p| percentile_text(p)).collect::<Vec<_>>().join(" "))
        }
    }
}

/// A percentile as Redis prints it: `%f`, then trailing zeros and point trimmed (`99.9`).
pub(crate) fn percentile_text(p: f64) -> String {
    let fixed = format!("{p:.6}");
    fixed.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `latency-tracking-info-percentiles`' numbers, as Redis checks them.
pub(crate) fn percentiles(raw: &str) -> Result<Vec<f64>, String> {
    raw.split_ascii_whitespace()
        .map(|word| {
            let p = crate::types::string::parse_f64(word.as_bytes())
                .ok_or_else(|| "Invalid latency-tracking-info-percentiles parameters".to_owned())?;
            if !(0.0..=100.0).contains(&p) {
                return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".to_owned());
            }
            Ok(p)
        })
        .collect()
}

/// Parses `notify-keyspace-events` letters.
fn keyspace_events(raw: &str) -> Result<u32, String> {
    crate::pubsub::notify::parse_flags(raw).ok_or_else(|| crate::pubsub::notify::BAD_FLAG.to_owned())
}

impl Default for ConfigStore {
    fn default() -> Self {
        ConfigStore::new()
    }
}

impl ConfigStore {
    /// Every option at its default.
    pub fn new() -> ConfigStore {
        // Defaults are stored normalized ("512mb" as bytes), as CONFIG GET shows them.
        let values = OPTIONS
            .iter()
            .map(|o| (o.name, normalize(o, o.default).unwrap_or_else(|_| o.default.to_owned())))
            .collect();
        let numbers = OPTIONS
            .iter()
            .filter(|o| {
                !matches!(
                    o.kind,
                    OptionKind::Enum(_)
                        | OptionKind::String
                        | OptionKind::OutputBufferLimits
                        | OptionKind::KeyspaceEvents
                        | OptionKind::Flags(_)
                        | OptionKind::OomScoreValues
                        | OptionKind::Percentiles
                        | OptionKind::MemoryOrPercent
                )
            })
            .map(|o| (o.name, AtomicI64::new(0)))
            .collect();
        let store = ConfigStore {
            values: RwLock::new(values),
            numbers,
            limits: Arc::default(),
            warned: Mutex::new(HashSet::new()),
            file: Mutex::new(None),
            file_users: Mutex::new(Vec::new()),
        };
        store.refresh_limits();
        store
    }

    /// A store holding this one's current values, for a staging node that loads data the
    /// way this node would (DEBUG LOADAOF); it shares nothing with this one.
    pub fn duplicate(&self) -> ConfigStore {
        let copy = ConfigStore::new();
        *copy.values.write() = self.values.read().clone();
        copy.refresh_limits();
        copy
    }

    /// Sets several options at once: all are validated first, then all applied, so either
    /// every one changes or none does. `startup` allows options that only apply at start.
    pub fn set_many(&self, pairs: &[(String, String)], startup: bool) -> Result<(), ConfigError> {
        self.set_many_then(pairs, startup, |_| Ok(()))
    }

    /// [`ConfigStore::set_many`] with a step between validating and applying: `prepare`
    /// gets each `(given name, option, normalized value)` and readies what lives outside
    /// the store (binding a new port); if it fails, nothing is applied (Redis's rollback
    /// when an option's apply fails).
    pub fn set_many_then<T>(
        &self,
        pairs: &[(String, String)],
        startup: bool,
        prepare: impl FnOnce(&[(&str, &'static str, &str)]) -> Result<T, ConfigError>,
    ) -> Result<T, ConfigError> {
        let mut checked = Vec::with_capacity(pairs.len());
        // The flags come from what was set, not from CONFIG GET's text, which drops `n`
        // after `A` while Redis keeps it set.
        let mut notify_flags = None;
        // Errors name the option as given (Redis: a bad value's name lowercased, the rest
        // as typed), so an alias is reported as the alias.
        for (name, raw) in pairs {
            let spec = options::find(name).ok_or_else(|| ConfigError::Unknown(name.clone()))?;
            if checked.iter().any(|(s, _): &(&OptionSpec, String)| s.name == spec.name) {
                return Err(ConfigError::Duplicate(name.clone()));
            }
            let immutable = options::IMMUTABLE_IN_REDIS.contains(&spec.name);
            if immutable && !startup {
                return Err(ConfigError::Immutable(name.clone()));
            }
            let value = match spec.kind {
                // Classes not named keep their current limits.
                OptionKind::OutputBufferLimits => super::output_limits::merge(&self.string(spec.name), raw),
                _ => normalize(spec, raw),
            }
            .map_err(|reason| ConfigError::Invalid { name: name.to_ascii_lowercase(), reason })?;
            // Read at start only here, though Redis changes it live (appendonly, port...):
            // setting it to what it already is changes nothing and is accepted, so tools
            // that write back every option they read keep working; another value is refused.
            if spec.effect == Effect::Startup && !startup && self.get(spec.name).is_none_or(|current| current != value)
            {
                return Err(ConfigError::Immutable(name.clone()));
            }
            if let Effect::DefaultOnly(why) = spec.effect
                && normalize(spec, spec.default).is_ok_and(|default| default != value)
            {
                return Err(ConfigError::Invalid { name: name.to_ascii_lowercase(), reason: why.to_owned() });
            }
            if matches!(spec.kind, OptionKind::KeyspaceEvents) {
                notify_flags = keyspace_events(raw).ok();
            }
            checked.push((spec, value));
        }
        let prepared = {
            let view: Vec<(&str, &'static str, &str)> = pairs
                .iter()
                .zip(&checked)
                .map(|((given, _), (spec, value))| (given.as_str(), spec.name, value.as_str()))
                .collect();
            prepare(&view)?
        };
        {
            let mut values = self.values.write();
            for (spec, value) in &checked {
                values.insert(spec.name, value.clone());
            }
        }
        for (spec, value) in &checked {
            if let Effect::NoEffect(why) = spec.effect {
                if self.warned.lock().insert(spec.name) {
                    tracing::warn!(
                        "option '{}' set to '{value}' is accepted but has no effect in Aegisr: {why}",
                        spec.name
                    );
                }
            }
        }
        self.refresh_limits();
        if let Some(flags) = notify_flags {
            let flags = crate::pubsub::notify::effective_flags(flags);
            self.limits.notify_keyspace_events.store(flags, Ordering::Relaxed);
        }
        Ok(prepared)
    }

    fn refresh_limits(&self) {
        {
            let values = self.values.read();
            for (name, number) in &self.numbers {
                let value = values.get(name).map_or(0, |v| match v.as_str() {
                    "yes" => 1,
                    "no" => 0,
                    v => v.parse::<i64>().unwrap_or(i64::MAX),
                });
                number.store(value, Ordering::Relaxed);
            }
        }
        let l = &self.limits;
        l.proto_max_bulk_len.store(self.u64("proto-max-bulk-len"), Ordering::Relaxed);
        l.query_buffer_limit.store(self.u64("client-query-buffer-limit"), Ordering::Relaxed);
        l.maxclients.store(self.u64("maxclients"), Ordering::Relaxed);
        l.timeout_secs.store(self.u64("timeout"), Ordering::Relaxed);
        l.hz.store(self.u64("hz"), Ordering::Relaxed);
        l.lazy_user_flush.store(u64::from(self.bool("lazyfree-lazy-user-flush")), Ordering::Relaxed);
        let pubsub = super::output_limits::limit_of(&self.string("client-output-buffer-limit"), "pubsub");
        l.pubsub_hard.store(pubsub.hard, Ordering::Relaxed);
        l.pubsub_soft.store(pubsub.soft, Ordering::Relaxed);
        l.pubsub_soft_secs.store(pubsub.soft_secs, Ordering::Relaxed);
        let normal = super::output_limits::limit_of(&self.string("client-output-buffer-limit"), "normal");
        l.normal_hard.store(normal.hard, Ordering::Relaxed);
        l.normal_soft.store(normal.soft, Ordering::Relaxed);
        l.normal_soft_secs.store(normal.soft_secs, Ordering::Relaxed);
        l.latency_monitor_threshold.store(self.u64("latency-monitor-threshold"), Ordering::Relaxed);
        l.latency_tracking.store(self.bool("latency-tracking"), Ordering::Relaxed);
        l.slowlog_slower_than.store(self.i64("slowlog-log-slower-than"), Ordering::Relaxed);
        let fsync = crate::persist::journal::FsyncPolicy::parse(&self.string("appendfsync"))
            .unwrap_or(crate::persist::journal::FsyncPolicy::EverySec);
        l.appendfsync.store(fsync as u8, Ordering::Relaxed);
        l.maxmemory.store(self.u64("maxmemory"), Ordering::Relaxed);
        let policy = crate::engine::evict::Policy::from_name(&self.string("maxmemory-policy"));
        l.maxmemory_policy.store(policy as u32, Ordering::Relaxed);
        l.maxmemory_samples.store(self.u64("maxmemory-samples"), Ordering::Relaxed);
        l.maxmemory_eviction_tenacity.store(self.u64("maxmemory-eviction-tenacity"), Ordering::Relaxed);
        l.lfu_log_factor.store(self.u64("lfu-log-factor"), Ordering::Relaxed);
        l.lfu_decay_time.store(self.u64("lfu-decay-time"), Ordering::Relaxed);
        l.min_replicas_ack.store(self.u64("min-replicas-ack"), Ordering::Relaxed);
        l.repl_backlog_size.store(self.u64("repl-backlog-size"), Ordering::Relaxed);
        l.min_replicas_to_write.store(self.u64("min-replicas-to-write"), Ordering::Relaxed);
        l.min_replicas_max_lag.store(self.u64("min-replicas-max-lag"), Ordering::Relaxed);
        let e = &l.encoding;
        for (atomic, name) in [
            (&e.list_max_listpack_size, "list-max-listpack-size"),
            (&e.hash_max_listpack_entries, "hash-max-listpack-entries"),
            (&e.hash_max_listpack_value, "hash-max-listpack-value"),
            (&e.set_max_intset_entries, "set-max-intset-entries"),
            (&e.set_max_listpack_entries, "set-max-listpack-entries"),
            (&e.set_max_listpack_value, "set-max-listpack-value"),
            (&e.zset_max_listpack_entries, "zset-max-listpack-entries"),
            (&e.zset_max_listpack_value, "zset-max-listpack-value"),
            (&e.stream_node_max_entries, "stream-node-max-entries"),
            (&e.stream_node_max_bytes, "stream-node-max-bytes"),
        ] {
            atomic.store(self.i64(name), Ordering::Relaxed);
        }
    }

    /// Remembers the config file the node was started with.
    pub fn set_file(&self, path: std::path::PathBuf) {
        *self.file.lock() = Some(path);
    }

    pub fn set_file_users(&self, lines: Vec<String>) {
        *self.file_users.lock() = lines;
    }

    /// The `user` lines of the config file (a redis.conf's), to apply at start.
    pub fn file_users(&self) -> Vec<String> {
        self.file_users.lock().clone()
    }

    /// The config file the node was started with, if any.
    pub fn file(&self) -> Option<std::path::PathBuf> {
        self.file.lock().clone()
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The hot-path values, for a component that outlives a borrow of the store.
    pub fn shared_limits(&self) -> Arc<Limits> {
        self.limits.clone()
    }

    /// The current value of an option, in CONFIG GET's form.
    pub fn get(&self, name: &str) -> Option<String> {
        let spec = options::find(name)?;
        self.values.read().get(spec.name).cloned()
    }

    /// Every `(name, value)` whose name matches one of the glob `patterns` (CONFIG GET).
    pub fn matching(&self, patterns: &[&[u8]]) -> Vec<(&'static str, String)> {
        let values = self.values.read();
        let wanted = |name: &str| {
            if options::HIDDEN.contains(&name) {
                return patterns.iter().any(|p| p.eq_ignore_ascii_case(name.as_bytes()));
            }
            patterns.iter().any(|p| glob_match(p, name.as_bytes(), true))
        };
        let mut found: Vec<(&'static str, String)> =
            values.iter().filter(|(name, _)| wanted(name)).map(|(name, value)| (*name, value.clone())).collect();
        // As Redis, a pattern matching an alias lists it too, with the option's value.
        for (alias, name) in options::ALIASES {
            if wanted(alias)
                && let Some(value) = values.get(name)
            {
                found.push((alias, value.clone()));
            }
        }
        found
    }

    /// An integer or memory option (0 if absent or negative).
    pub fn u64(&self, name: &str) -> u64 {
        match self.numbers.get(name) {
            Some(number) => u64::try_from(number.load(Ordering::Relaxed)).unwrap_or(0),
            None => self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0),
        }
    }

    /// A signed integer option (0 if absent). Cheap for an exact option name.
    pub fn i64(&self, name: &str) -> i64 {
        match self.numbers.get(name) {
            Some(number) => number.load(Ordering::Relaxed),
            None => self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0),
        }
    }

    pub fn bool(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v == "yes")
    }

    pub fn string(&self, name: &str) -> String {
        self.get(name).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn set_many_is_all_or_nothing() {
        let store = ConfigStore::new();
        let err = store.set_many(&pairs(&[("hz", "20"), ("maxclients", "abc")]), false);
        assert!(matches!(err, Err(ConfigError::Invalid { .. })));
        assert_eq!(store.get("hz").as_deref(), Some("10"));
        store.set_many(&pairs(&[("hz", "20"), ("proto-max-bulk-len", "2mb")]), false).unwrap();
        assert_eq!(store.get("hz").as_deref(), Some("20"));
        assert_eq!(store.limits().proto_max_bulk_len.load(Ordering::Relaxed), 2 * 1024 * 1024);
        // Redis's own check: a bad percentage fails the whole CONFIG SET, maxmemory too.
        let err = store.set_many(&pairs(&[("maxmemory", "10000001"), ("maxmemory-clients", "200%")]), false);
        assert_eq!(
            err.unwrap_err().to_string(),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100"
        );
        assert_eq!(store.get("maxmemory").as_deref(), Some("0"));
        store.set_many(&pairs(&[("maxmemory-clients", "10%")]), false).unwrap();
        assert_eq!(store.get("maxmemory-clients").as_deref(), Some("10%"));
        store.set_many(&pairs(&[("maxmemory-clients", "1mb")]), false).unwrap();
        assert_eq!(store.get("maxmemory-clients").as_deref(), Some("1048576"));
        assert!(store.set_many(&pairs(&[("maxmemory-clients", "-5%")]), false).is_err());
    }

    #[test]
    fn errors_name_the_argument() {
        let store = ConfigStore::new();
        assert_eq!(
            store.set_many(&pairs(&[("nosuch", "1")]), false).unwrap_err().to_string(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"
        );
        assert!(matches!(store.set_many(&pairs(&[("databases", "4")]), false), Err(ConfigError::Immutable(_))));
        // Inert, but immutable in Redis too: refused at run time, taken at start.
        assert!(matches!(store.set_many(&pairs(&[("daemonize", "yes")]), false), Err(ConfigError::Immutable(_))));
        assert!(store.set_many(&pairs(&[("daemonize", "yes")]), true).is_ok());
        assert!(matches!(store.set_many(&pairs(&[("hz", "1"), ("HZ", "2")]), false), Err(ConfigError::Duplicate(_))));
        assert!(store.set_many(&pairs(&[("databases", "4")]), true).is_ok());
        // A start-only option keeps its value: setting that value again is accepted.
        assert!(store.set_many(&pairs(&[("databases", "4")]), false).is_ok());
        assert!(store.set_many(&pairs(&[("aclfile", "")]), false).is_ok());
        assert!(matches!(store.set_many(&pairs(&[("aclfile", "/x")]), false), Err(ConfigError::Immutable(_))));
    }

    #[test]
    fn get_matches_globs() {
        let store = ConfigStore::new();
        let found = store.matching(&[b"maxmemory*"]);
        assert_eq!(
            found.iter().map(|f| f.0).collect::<Vec<_>>(),
            ["maxmemory", "maxmemory-clients", "maxmemory-eviction-tenacity", "maxmemory-policy", "maxmemory-samples"]
        );
    }
}
