//! CONFIG REWRITE: writes the running configuration back into the TOML file the node was
//! started with, as Redis rewrites redis.conf (a redis.conf is rewritten by
//! `redis_conf::rewritten`, in its own format). The file is edited, not regenerated: its
//! comments, layout, key order and the spelling of values that did not change ("2gb") are
//! kept. An option the file sets is updated when its value changed; an option it does not
//! set is appended only when its value differs from the default; keys that are not options
//! are left alone. The new file replaces the old one atomically (a temporary file beside
//! it, synced, then renamed, and the directory synced).

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;

use toml_edit::{DocumentMut, Item, Value};

use super::options::{self, OptionKind, OptionSpec};
use super::store::{ConfigStore, normalize};

/// Why the file could not be rewritten; `Display` is Redis's error text.
#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    #[error("ERR The server is running without a config file")]
    NoFile,
    #[error("ERR Rewriting config file: {0}")]
    Io(#[from] std::io::Error),
    #[error("ERR Rewriting config file: {0}")]
    Parse(String),
}

/// Rewrites the node's config file with the values `store` holds now; a redis.conf also
/// gets `users` (ACL LIST's lines) unless an aclfile holds them.
pub fn rewrite(store: &ConfigStore, users: &[String]) -> Result<(), RewriteError> {
    let path = store.file().ok_or(RewriteError::NoFile)?;
    // A file deleted since the start is written anew, as Redis does.
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e.into()),
    };
    let current = store.matching(&[b"*"]);
    let updated = if super::redis_conf::is_redis_conf(&path, &text) {
        let users = store.string("aclfile").is_empty().then_some(users);
        super::redis_conf::rewritten(&text, &current, users)
    } else {
        rewritten(&text, &current)?
    };
    if updated != text {
        write_atomically(&path, updated.as_bytes())?;
    }
    Ok(())
}

/// `text` (a TOML config file) updated to hold `current`, every option's value in CONFIG
/// GET's form.
pub fn rewritten(text: &str, current: &[(&'static str, String)]) -> Result<String, RewriteError> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| RewriteError::Parse(e.to_string()))?;
    // The file's key for each option it sets (it may spell it `maxmemory_policy`).
    let in_file: HashMap<&'static str, String> =
        doc.iter().filter_map(|(key, _)| options::find(key).map(|spec| (spec.name, key.to_owned()))).collect();
    for (name, value) in current {
        let Some(spec) = options::find(name) else { continue };
        match in_file.get(spec.name) {
            Some(key) => {
                let old = doc.get(key).and_then(Item::as_value);
                // Unchanged (whatever its spelling): left exactly as written.
                if old.and_then(raw_of).is_some_and(|raw| normalize(spec, &raw).as_deref() == Ok(value.as_str())) {
                    continue;
                }
                let mut new = toml_value(spec, value, old);
                if let Some(old) = old {
                    // Keeps the spacing and a trailing comment of the line.
                    *new.decor_mut() = old.decor().clone();
                }
                doc[key.as_str()] = Item::Value(new);
            }
            None => {
                if normalize(spec, spec.default).is_ok_and(|default| default == *value) {
                    continue;
                }
                doc[spec.name] = Item::Value(toml_value(spec, value, None));
            }
        }
    }
    Ok(doc.to_string())
}

/// A value of the file as the raw text an option is set from (as the loader reads it).
fn raw_of(value: &Value) -> Option<String> {
    Some(match value {
        Value::String(s) => s.value().clone(),
        Value::Integer(i) => i.value().to_string(),
        Value::Boolean(b) => if *b.value() { "yes" } else { "no" }.to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string().trim().to_owned(), str::to_owned))
            .collect::<Vec<_>>()
            .join(" "),
        _ => return None,
    })
}

/// `value` as a TOML value: of the type the file used for it (`old`) when it fits, else an
/// integer for numbers, a boolean for yes/no options, a string for the rest.
fn toml_value(spec: &OptionSpec, value: &str, old: Option<&Value>) -> Value {
    let as_int = || value.parse::<i64>().ok().map(Value::from);
    let as_bool = || match value {
        "yes" => Some(Value::from(true)),
        "no" => Some(Value::from(false)),
        _ => None,
    };
    let kept = match old {
        Some(Value::Integer(_)) => as_int(),
        Some(Value::Boolean(_)) => as_bool(),
        Some(Value::Array(_)) => Some(Value::Array(value.split_whitespace().collect())),
        Some(Value::String(_)) => Some(Value::from(value)),
        _ => None,
    };
    kept.or_else(|| match spec.kind {
        OptionKind::Bool => as_bool(),
        OptionKind::Int { .. } => as_int(),
        OptionKind::Memory { .. } | OptionKind::MemoryOrPercent => {
            value.parse::<u64>().ok().map(|bytes| Value::from(with_unit(bytes)))
        }
        _ => None,
    })
    .unwrap_or_else(|| Value::from(value))
}

/// A size in the largest unit that divides it, as Redis writes sizes back ("100mb").
pub(super) fn with_unit(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "gb"), (1 << 20, "mb"), (1 << 10, "kb")];
    match UNITS.iter().find(|(unit, _)| bytes > 0 && bytes % unit == 0) {
        Some((unit, name)) => format!("{}{name}", bytes / unit),
        None => bytes.to_string(),
    }
}

/// Replaces `path` with `bytes`: a temporary file in the same directory, synced, renamed
/// over it, then the directory synced, so a crash leaves the old file or the new one.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.rewrite-{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Every option's value (CONFIG GET's form) of a store given `changes`.
    pub(in crate::config) fn current(changes: &[(&str, &str)]) -> Vec<(&'static str, String)> {
        let store = ConfigStore::new();
        let pairs: Vec<(String, String)> = changes.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        store.set_many(&pairs, true).unwrap();
        store.matching(&[b"*"])
    }

    #[test]
    fn changed_options_are_updated_and_new_ones_appended() {
        let text = "# Aegisr config\n\n# how often\nhz = 20 # per second\nmaxmemory = \"2gb\"\nmy_own_key = \"kept\"\n";
        let now = current(&[("hz", "50"), ("maxmemory", "2gb"), ("maxmemory-policy", "allkeys-lru")]);
        let out = rewritten(text, &now).unwrap();
        assert_eq!(
            out,
            "# Aegisr config\n\n# how often\nhz = 50 # per second\nmaxmemory = \"2gb\"\nmy_own_key = \"kept\"\nmaxmemory-policy = \"allkeys-lru\"\n"
        );
    }

    #[test]
    fn defaults_are_not_added_and_types_follow_the_option() {
        let now = current(&[
            ("appendonly", "no"),
            ("maxclients", "77"),
            ("bind", "127.0.0.1 ::1"),
            ("maxmemory", "104857600"),
            ("proto-max-bulk-len", "1048577"),
        ]);
        let out = rewritten("", &now).unwrap();
        assert_eq!(
            out,
            "appendonly = false\nbind = \"127.0.0.1 ::1\"\nmaxclients = 77\nmaxmemory = \"100mb\"\nproto-max-bulk-len = \"1048577\"\n"
        );
        let out = rewritten("bind = [\"127.0.0.1\"]\nappendonly = \"yes\"\nmaxmemory = 5\n", &now).unwrap();
        assert_eq!(
            out,
            "bind = [\"127.0.0.1\", \"::1\"]\nappendonly = \"no\"\nmaxmemory = 104857600\nmaxclients = 77\nproto-max-bulk-len = \"1048577\"\n"
        );
    }

    #[test]
    fn an_option_set_back_to_its_default_is_still_written_where_the_file_sets_it() {
        let out = rewritten("hz = 20\n", &current(&[])).unwrap();
        assert_eq!(out, "hz = 10\n");
    }

    #[test]
    fn a_broken_file_is_reported() {
        assert!(matches!(rewritten("hz = = 1", &current(&[])), Err(RewriteError::Parse(_))));
    }
}
