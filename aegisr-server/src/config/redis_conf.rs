//! Redis's own config file format, so a redis.conf works unchanged: one directive per line,
//! `name arg...`, arguments split as Redis splits them (double quotes with `\n`, `\xHH`...
//! escapes, single quotes), `#` comments, `include` of other files. A directive given twice
//! keeps its last value, except `save` and `client-output-buffer-limit`, whose lines add
//! up, as in Redis; `user` lines define ACL users, as an ACL file's do. What Aegisr does
//! not do at all (modules, renamed commands, Sentinel) stops the start with the line that
//! asks for it, rather than being skipped: a skipped `rename-command` would leave a
//! command open.

use std::path::Path;

use super::options::{self, OptionKind, OptionSpec};
use super::store::normalize;

/// Deepest chain of `include`s followed (a file including itself stops here).
const MAX_INCLUDE_DEPTH: usize = 16;

/// Whether `text`, read from `path`, is a redis.conf rather than a TOML file: by the
/// extension when it says (`.toml`, `.conf`), else by the first directive, which in TOML
/// is `name = value` or a `[table]`.
pub fn is_redis_conf(path: &Path, text: &str) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => return false,
        Some("conf") => return true,
        _ => {}
    }
    let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')) else {
        return false;
    };
    if first.starts_with('[') {
        return false;
    }
    let name_end = first.find(|c: char| c.is_whitespace() || c == '=').unwrap_or(first.len());
    !first[name_end..].trim_start().starts_with('=')
}

/// What a redis.conf sets.
#[derive(Debug, Default)]
pub struct RedisConf {
    /// Options as `(name, value)` pairs for the registry (values of several arguments
    /// joined by spaces), each option once.
    pub options: Vec<(String, String)>,
    /// Its `user` lines, as written.
    pub users: Vec<String>,
}

/// Reads the redis.conf at `path`, and the files it includes.
pub fn read(path: &Path) -> anyhow::Result<RedisConf> {
    let mut folded = Folded::default();
    read_into(path, 0, &mut folded)?;
    Ok(RedisConf { options: folded.pairs, users: folded.users })
}

/// The directives read so far.
#[derive(Default)]
struct Folded {
    pairs: Vec<(String, String)>,
    users: Vec<String>,
}

impl Folded {
    fn set(&mut self, name: &str, value: String) {
        match self.pairs.iter_mut().find(|(n, _)| n == name) {
            Some((_, old)) => *old = value,
            None => self.pairs.push((name.to_owned(), value)),
        }
    }

    /// A line that adds to what earlier lines of the same directive set.
    fn add(&mut self, name: &str, value: String) {
        match self.pairs.iter_mut().find(|(n, _)| n == name) {
            Some((_, old)) if !old.is_empty() => {
                old.push(' ');
                old.push_str(&value);
            }
            Some((_, old)) => *old = value,
            None => self.pairs.push((name.to_owned(), value)),
        }
    }
}

fn read_into(path: &Path, depth: usize, folded: &mut Folded) -> anyhow::Result<()> {
    if depth > MAX_INCLUDE_DEPTH {
        anyhow::bail!("{}: includes nested deeper than {MAX_INCLUDE_DEPTH} files", path.display());
    }
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    for (number, line) in text.lines().enumerate() {
        directive(line, depth, folded).map_err(|reason| {
            anyhow::anyhow!("{}, line {}: '{}': {reason}", path.display(), number + 1, line.trim())
        })?;
    }
    Ok(())
}

/// Applies one line of a config file.
fn directive(line: &str, depth: usize, folded: &mut Folded) -> Result<(), String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(());
    }
    let args = split_args(line).ok_or("unbalanced quotes in configuration line")?;
    let Some((name, rest)) = args.split_first() else { return Ok(()) };
    let name = name.to_ascii_lowercase();
    match name.as_str() {
        "include" => {
            let [file] = rest else { return Err("include takes one file".into()) };
            read_into(Path::new(file), depth + 1, folded).map_err(|e| format!("{e:#}"))
        }
        "rename-command" => Err("rename-command is not supported: deny the command with ACL rules instead".into()),
        "loadmodule" => Err("modules are not supported".into()),
        "sentinel" => Err("Aegisr is not a Sentinel: its cluster mode fails over by itself (--cluster)".into()),
        "user" if rest.is_empty() => Err("user takes a name and its rules".into()),
        "user" => {
            folded.users.push(line.to_owned());
            Ok(())
        }
        _ if rest.is_empty() => Err("Bad directive or wrong number of arguments".into()),
        // Each line adds a rule or a class, as in Redis; `save ""` clears the rules.
        "save" | "client-output-buffer-limit" => {
            let value = rest.join(" ");
            if name == "save" && value.is_empty() {
                folded.set(&name, value);
            } else {
                folded.add(&name, value);
            }
            Ok(())
        }
        _ => match options::find(&name) {
            // Under the option's own name: a file may give it under an alias too (slaveof).
            Some(spec) => {
                folded.set(spec.name, rest.join(" "));
                Ok(())
            }
            None => Err("Bad directive or wrong number of arguments".into()),
        },
    }
}

/// `line` split into arguments as Redis's `sdssplitargs` does (as an inline command is);
/// `None` for unbalanced quotes (or a closing quote not followed by a space).
pub fn split_args(line: &str) -> Option<Vec<String>> {
    let args = crate::resp::split_inline(line.as_bytes())?;
    Some(args.iter().map(|arg| String::from_utf8_lossy(arg).into_owned()).collect())
}

/// `text` (a redis.conf) updated to hold `current`, every option's value in CONFIG GET's
/// form, as Redis's CONFIG REWRITE edits it: a line whose option changed is rewritten in
/// place (the option's other lines dropped), comments and unchanged lines stay as they are,
/// and options changed from their defaults that the file does not set are appended after a
/// "Generated by CONFIG REWRITE" line. Options set in included files are not followed.
/// `users` (ACL LIST's lines; `None` when an aclfile keeps them) replace the file's `user`
/// lines, or are appended when the node has more than a fresh one's default user.
pub fn rewritten(text: &str, current: &[(&'static str, String)], users: Option<&[String]>) -> String {
    // Each line's option, if it sets one.
    let lines: Vec<&str> = text.lines().collect();
    let option_of = |line: &str| -> Option<&'static OptionSpec> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        split_args(line)?.first().and_then(|name| options::find(name))
    };
    let owners: Vec<Option<&'static OptionSpec>> = lines.iter().map(|l| option_of(l)).collect();
    let mut replaced: Vec<Option<Vec<String>>> = vec![None; lines.len()];
    let mut appended = Vec::new();
    for (name, value) in current {
        let Some(spec) = options::find(name) else { continue };
        let at: Vec<usize> = (0..lines.len()).filter(|&i| owners[i].is_some_and(|o| o.name == spec.name)).collect();
        if at.is_empty() {
            if normalize(spec, spec.default).is_ok_and(|default| default == *value) {
                continue;
            }
            appended.extend(lines_for(spec, value));
            continue;
        }
        // What the file's lines set now, folded as the loader folds them (these are option
        // lines: no `include` is followed, whatever the depth passed).
        let mut folded = Folded::default();
        for &i in &at {
            let _ = directive(lines[i], MAX_INCLUDE_DEPTH, &mut folded);
        }
        let in_file = folded.pairs.pop().map(|(_, v)| v).unwrap_or_default();
        let unchanged = match spec.kind {
            OptionKind::OutputBufferLimits => {
                super::output_limits::merge(&normalize(spec, spec.default).unwrap_or_default(), &in_file).as_deref()
                    == Ok(value.as_str())
            }
            _ => normalize(spec, &in_file).as_deref() == Ok(value.as_str()),
        };
        if unchanged {
            continue;
        }
        replaced[at[0]] = Some(lines_for(spec, value));
        for &i in &at[1..] {
            replaced[i] = Some(Vec::new());
        }
    }
    if let Some(users) = users {
        let user_lines: Vec<usize> = (0..lines.len()).filter(|&i| is_user_line(lines[i])).collect();
        match user_lines.split_first() {
            Some((&first, rest)) => {
                replaced[first] = Some(users.to_vec());
                for &i in rest {
                    replaced[i] = Some(Vec::new());
                }
            }
            None if users != [FRESH_DEFAULT_USER] => appended.extend(users.iter().cloned()),
            None => {}
        }
    }
    let mut out = String::with_capacity(text.len() + 64);
    for (line, replacement) in lines.iter().zip(&replaced) {
        match replacement {
            Some(new) => new.iter().for_each(|l| {
                out.push_str(l);
                out.push('\n');
            }),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    if !appended.is_empty() {
        const MARK: &str = "# Generated by CONFIG REWRITE";
        if !lines.iter().any(|l| l.trim() == MARK) {
            out.push_str(MARK);
            out.push('\n');
        }
        for line in appended {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// ACL LIST's line for the default user of a node that changed no user.
const FRESH_DEFAULT_USER: &str = "user default on nopass ~* &* +@all";

fn is_user_line(line: &str) -> bool {
    split_args(line.trim()).and_then(|args| args.first().map(|a| a.eq_ignore_ascii_case("user"))).unwrap_or(false)
}

/// The lines that set option `spec` to `value` (CONFIG GET's form).
fn lines_for(spec: &OptionSpec, value: &str) -> Vec<String> {
    let words: Vec<&str> = value.split_whitespace().collect();
    match (spec.name, &spec.kind) {
        ("save", _) if words.is_empty() => vec!["save \"\"".to_owned()],
        ("save", _) => words.chunks(2).map(|rule| format!("save {}", rule.join(" "))).collect(),
        (_, OptionKind::OutputBufferLimits) => {
            words.chunks(4).map(|class| format!("{} {}", spec.name, class.join(" "))).collect()
        }
        // Options of several arguments, written as Redis writes them.
        ("bind" | "replicaof", _)
        | (_, OptionKind::Flags(_) | OptionKind::OomScoreValues | OptionKind::Percentiles)
            if !words.is_empty() =>
        {
            vec![format!("{} {}", spec.name, words.join(" "))]
        }
        // Sizes in units, as Redis writes them back ("64mb").
        (_, OptionKind::Memory { .. } | OptionKind::MemoryOrPercent) => match value.parse::<u64>() {
            Ok(bytes) => vec![format!("{} {}", spec.name, super::rewrite::with_unit(bytes))],
            Err(_) => vec![format!("{} {}", spec.name, quote(value))],
        },
        _ => vec![format!("{} {}", spec.name, quote(value))],
    }
}

/// `value` as one argument of a redis.conf line: quoted when it is empty or holds spaces,
/// quotes or control characters, as Redis writes values back.
pub fn quote(value: &str) -> String {
    let plain = !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'');
    if plain {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::super::rewrite::tests::current;
    use super::*;

    fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redis.conf");
        std::fs::write(&path, text).unwrap();
        read(&path).map(|conf| conf.options).map_err(|e| e.to_string())
    }

    #[test]
    fn arguments_split_as_redis_splits_them() {
        let split = |l: &str| split_args(l).unwrap();
        assert_eq!(split("  port   6380 "), ["port", "6380"]);
        assert_eq!(split(r#"notify-keyspace-events """#), ["notify-keyspace-events", ""]);
        assert_eq!(split(r#"x "a b\n\x41\"" 'it\'s' c"#), ["x", "a b\nA\"", "it's", "c"]);
        assert_eq!(split_args(r#"x "open"#), None);
        assert_eq!(split_args(r#"x "a"b"#), None);
        assert_eq!(split_args("x 'a'b"), None);
        for value in ["plain", "", "two words", "q\"uote", "tab\there", "{title} {listen-addr}"] {
            assert_eq!(split(&format!("name {}", quote(value))), ["name", value], "{value:?}");
        }
    }

    #[test]
    fn directives_fold_as_in_redis() {
        let pairs = parse(
            "# comment\nport 7000\nPORT 7001\nsave 900 1\nsave 300 10\nbind 127.0.0.1 ::1\n\
             client-output-buffer-limit normal 0 0 0\nclient-output-buffer-limit pubsub 32mb 8mb 60\n\
             proc-title-template \"{title} {listen-addr} {server-mode}\"\n",
        )
        .unwrap();
        let get = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        assert_eq!(get("port"), Some("7001"));
        assert_eq!(get("save"), Some("900 1 300 10"));
        assert_eq!(get("bind"), Some("127.0.0.1 ::1"));
        assert_eq!(get("client-output-buffer-limit"), Some("normal 0 0 0 pubsub 32mb 8mb 60"));
        assert_eq!(get("proc-title-template"), Some("{title} {listen-addr} {server-mode}"));
        let aliased = parse("slaveof 10.0.0.1 6379\nreplicaof 10.0.0.2 6380\nhash-max-ziplist-entries 7\n").unwrap();
        assert_eq!(
            aliased,
            [
                ("replicaof".to_owned(), "10.0.0.2 6380".to_owned()),
                ("hash-max-listpack-entries".to_owned(), "7".to_owned())
            ]
        );
        let cleared = parse("save 900 1\nsave \"\"\n").unwrap();
        assert_eq!(cleared, [("save".to_owned(), String::new())]);
    }

    #[test]
    fn user_lines_are_kept_for_the_acl() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redis.conf");
        std::fs::write(&path, "user alice on >pw ~* +@all\nport 7000\n  user bob off\n").unwrap();
        let conf = read(&path).unwrap();
        assert_eq!(conf.users, ["user alice on >pw ~* +@all", "user bob off"]);
        assert_eq!(conf.options, [("port".to_owned(), "7000".to_owned())]);
    }

    #[test]
    fn includes_are_followed_and_loops_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("inner.conf");
        std::fs::write(&inner, "hz 20\n").unwrap();
        let outer = dir.path().join("outer.conf");
        std::fs::write(&outer, format!("hz 5\ninclude {}\nmaxclients 9\n", inner.display())).unwrap();
        let pairs = read(&outer).unwrap().options;
        assert_eq!(pairs, [("hz".to_owned(), "20".to_owned()), ("maxclients".to_owned(), "9".to_owned())]);
        let looped = dir.path().join("loop.conf");
        std::fs::write(&looped, format!("include {}\n", looped.display())).unwrap();
        assert!(read(&looped).unwrap_err().to_string().contains("nested deeper"));
    }

    #[test]
    fn what_cannot_be_honoured_stops_the_start_with_its_line() {
        let err = parse("port 7000\nrename-command FLUSHALL \"\"\n").unwrap_err();
        assert!(err.contains("line 2: 'rename-command FLUSHALL \"\"': rename-command is not supported"), "{err}");
        assert!(parse("loadmodule /x.so\n").unwrap_err().contains("modules are not supported"));
        assert!(parse("user\n").unwrap_err().contains("user takes a name"));
        assert!(parse("maxmemory\n").unwrap_err().contains("wrong number of arguments"));
        assert!(parse("no-such-option 1\n").unwrap_err().contains("line 1: 'no-such-option 1': Bad directive"));
        assert!(parse("x \"open\n").unwrap_err().contains("unbalanced quotes"));
    }

    #[test]
    fn config_rewrite_edits_the_file_in_place() {
        let text = "# my redis\nport 6380\nhz 20 \nsave 900 1\nsave 300 10\nslaveof 10.0.0.1 6379\n\n# limits\nmaxmemory 2gb\n";
        // Unchanged (whatever the spelling): the file stays as it is.
        let same = current(&[
            ("port", "6380"),
            ("hz", "20"),
            ("save", "900 1 300 10"),
            ("replicaof", "10.0.0.1 6379"),
            ("maxmemory", "2gb"),
        ]);
        assert_eq!(rewritten(text, &same, None), text);
        let changed = current(&[
            ("port", "6380"),
            ("hz", "50"),
            ("save", "60 5"),
            ("replicaof", "10.0.0.1 6379"),
            ("maxmemory", "2gb"),
            ("maxmemory-policy", "allkeys-lru"),
            ("notify-keyspace-events", "KEA"),
            ("proc-title-template", "{title} {port}"),
        ]);
        assert_eq!(
            rewritten(text, &changed, None),
            "# my redis\nport 6380\nhz 50\nsave 60 5\nslaveof 10.0.0.1 6379\n\n# limits\nmaxmemory 2gb\n\
             # Generated by CONFIG REWRITE\nmaxmemory-policy allkeys-lru\nnotify-keyspace-events AKE\n\
             proc-title-template \"{title} {port}\"\n"
        );
        // What it writes reads back to the same values.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redis.conf");
        std::fs::write(&path, rewritten(text, &changed, None)).unwrap();
        let store = super::super::ConfigStore::new();
        store.set_many(&read(&path).unwrap().options, true).unwrap();
        assert_eq!(store.matching(&[b"*"]), changed);
        // No save rules and every output buffer class.
        let cleared = current(&[("save", ""), ("client-output-buffer-limit", "pubsub 1mb 0 0")]);
        assert_eq!(
            rewritten("save 900 1\n", &cleared, None),
            "save \"\"\n# Generated by CONFIG REWRITE\nclient-output-buffer-limit normal 0 0 0\n\
             client-output-buffer-limit slave 268435456 67108864 60\nclient-output-buffer-limit pubsub 1048576 0 0\n"
        );
    }

    #[test]
    fn config_rewrite_writes_the_users_in_place_of_the_old_lines() {
        let now = current(&[]);
        let users = ["user alice on #abc ~* +@all".to_owned(), "user default on nopass ~* &* +@all".to_owned()];
        let text = "port 6379\nuser alice off\n# more\nuser old on\n";
        assert_eq!(rewritten(text, &now, Some(&users)), format!("port 6379\n{}\n{}\n# more\n", users[0], users[1]));
        // None in the file: added only when there is more than a fresh default user.
        assert_eq!(rewritten("port 6379\n", &now, Some(&users[1..])), "port 6379\n");
        assert_eq!(
            rewritten("port 6379\n", &now, Some(&users)),
            format!("port 6379\n# Generated by CONFIG REWRITE\n{}\n{}\n", users[0], users[1])
        );
        // With an aclfile the users are its: the lines stay.
        assert_eq!(rewritten(text, &now, None), text);
    }

    #[test]
    fn the_format_is_told_by_the_extension_or_the_first_directive() {
        assert!(is_redis_conf(Path::new("a.conf"), "hz = 1"));
        assert!(!is_redis_conf(Path::new("a.toml"), "hz 1"));
        assert!(is_redis_conf(Path::new("config"), "# redis\n\nport 6379\n"));
        assert!(!is_redis_conf(Path::new("config"), "# toml\nport = 6379\n"));
        assert!(!is_redis_conf(Path::new("config"), "[server]\n"));
        assert!(!is_redis_conf(Path::new("config"), "port=6379\n"));
    }
}
