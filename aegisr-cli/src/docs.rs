//! The server's command table, read once from `COMMAND DOCS`, for completion,
//! hints and `help`. Nothing here is a copy of the table: a command the
//! server adds shows up without changing the CLI.

use std::fmt::Write as _;

use aegisr_proto::v1::reply::Kind;
use aegisr_proto::{Bytes, Reply};

use crate::connection::{Connection, ConnectionError};

/// One command (or subcommand, named `container|sub`) as COMMAND DOCS tells.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CommandDoc {
    pub name: String,
    pub summary: String,
    pub since: String,
    pub group: String,
    /// The arguments after the name, e.g. `key value [NX | XX]`.
    pub syntax: String,
    pub subcommands: Vec<CommandDoc>,
}

impl CommandDoc {
    /// The name to show: `CONFIG GET` for `config|get`.
    pub(crate) fn display_name(&self) -> String {
        self.name.replace('|', " ").to_uppercase()
    }

    /// The word after the container for a subcommand (`get` for `config|get`).
    pub(crate) fn sub_name(&self) -> &str {
        self.name.rsplit('|').next().unwrap_or(&self.name)
    }
}

/// All commands, sorted by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Docs {
    pub commands: Vec<CommandDoc>,
}

impl Docs {
    /// Asks the server for its table. An error reply gives an empty table.
    pub(crate) async fn fetch(connection: &mut Connection) -> Result<Self, ConnectionError> {
        let reply = connection.execute(vec![Bytes::from_static(b"COMMAND"), Bytes::from_static(b"DOCS")]).await?;
        Ok(Self::parse(&reply))
    }

    /// Parses a COMMAND DOCS reply (RESP3 maps or RESP2 flat arrays).
    pub(crate) fn parse(reply: &Reply) -> Self {
        let mut commands = parse_table(reply);
        commands.sort_by(|a, b| a.name.cmp(&b.name));
        Self { commands }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// The command named `name` (any case).
    pub(crate) fn find(&self, name: &str) -> Option<&CommandDoc> {
        self.commands.iter().find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Every group, sorted, deduplicated.
    pub(crate) fn groups(&self) -> Vec<&str> {
        let mut groups: Vec<&str> = self.commands.iter().map(|c| c.group.as_str()).filter(|g| !g.is_empty()).collect();
        groups.sort_unstable();
        groups.dedup();
        groups
    }

    /// The text of `help <topic>`: a command (`help get`, `help config get`)
    /// or a group (`help @string`).
    pub(crate) fn help(&self, topic: &[String]) -> String {
        let Some(first) = topic.first() else { return banner() };
        if let Some(group) = first.strip_prefix('@') {
            let mut out = String::new();
            for command in self.commands.iter().filter(|c| c.group.eq_ignore_ascii_case(group)) {
                describe(command, false, &mut out);
            }
            if out.is_empty() {
                let _ = writeln!(out, "No commands in group @{group}. Groups: @{}", self.groups().join(" @"));
            }
            return out;
        }
        let Some(command) = self.find(first) else {
            return format!("No help for '{first}': the server has no such command. Try `help @<group>`.\n");
        };
        let sub = topic.get(1).and_then(|s| command.subcommands.iter().find(|c| c.sub_name().eq_ignore_ascii_case(s)));
        let mut out = String::new();
        match sub {
            Some(sub) => describe(sub, false, &mut out),
            None => describe(command, true, &mut out),
        }
        out
    }
}

/// What `help` alone prints.
fn banner() -> String {
    format!(
        "aegisr-cli {}\nTo get help about commands type:\n      \"help @<group>\" to get a list of commands in <group>\n      \
         \"help <command>\" for help on <command>\n      \"help <tab>\" to get a list of possible help topics\n      \
         \"quit\" to exit\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// redis-cli's help layout: a blank line, the synopsis, then summary, since
/// and group indented two spaces.
fn describe(command: &CommandDoc, with_subcommands: bool, out: &mut String) {
    let _ = writeln!(out, "\n  {} {}", command.display_name(), command.syntax);
    let _ = writeln!(out, "  summary: {}", command.summary);
    let _ = writeln!(out, "  since: {}", command.since);
    let _ = writeln!(out, "  group: {}", command.group);
    if with_subcommands && !command.subcommands.is_empty() {
        let _ = writeln!(out, "  subcommands:");
        for sub in &command.subcommands {
            let _ = writeln!(out, "    {} {}", sub.display_name(), sub.syntax);
        }
    }
}

/// `(key, value)` pairs of a map, or of a flat RESP2 array.
fn pairs(reply: &Reply) -> Vec<(&Reply, &Reply)> {
    match reply.kind.as_ref() {
        Some(Kind::Map(m)) => m.entries.iter().filter_map(|e| Some((e.key.as_ref()?, e.value.as_ref()?))).collect(),
        Some(Kind::Array(a)) => a.items.chunks_exact(2).map(|p| (&p[0], &p[1])).collect(),
        _ => Vec::new(),
    }
}

fn parse_table(reply: &Reply) -> Vec<CommandDoc> {
    pairs(reply)
        .into_iter()
        .filter_map(|(name, fields)| {
            let mut doc = CommandDoc { name: name.as_str()?.to_lowercase(), ..CommandDoc::default() };
            for (field, value) in pairs(fields) {
                let text = || value.as_str().unwrap_or_default().to_owned();
                match field.as_str()? {
                    "summary" => doc.summary = text(),
                    "since" => doc.since = text(),
                    "group" => doc.group = text(),
                    "syntax" => doc.syntax = text(),
                    "subcommands" => {
                        doc.subcommands = parse_table(value);
                        doc.subcommands.sort_by(|a, b| a.name.cmp(&b.name));
                    }
                    _ => {}
                }
            }
            Some(doc)
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn entry(name: &str, group: &str, syntax: &str, subs: Vec<(Reply, Reply)>) -> (Reply, Reply) {
        let mut fields = vec![
            (Reply::bulk("summary"), Reply::bulk(format!("Does {name}"))),
            (Reply::bulk("since"), Reply::bulk("1.0.0")),
            (Reply::bulk("group"), Reply::bulk(group.to_owned())),
            (Reply::bulk("syntax"), Reply::bulk(syntax.to_owned())),
        ];
        if !subs.is_empty() {
            fields.push((Reply::bulk("subcommands"), Reply::map(subs)));
        }
        (Reply::bulk(name.to_owned()), Reply::map(fields))
    }

    /// A small table shaped like the server's COMMAND DOCS reply.
    pub(crate) fn sample() -> Docs {
        Docs::parse(&Reply::map(vec![
            entry("set", "string", "key value [NX | XX] [GET]", vec![]),
            entry("get", "string", "key", vec![]),
            entry("getrange", "string", "key start end", vec![]),
            entry("lpush", "list", "key element [element ...]", vec![]),
            entry(
                "config",
                "server",
                "<subcommand> [arguments]",
                vec![
                    entry("config|set", "server", "parameter value [parameter value ...]", vec![]),
                    entry("config|get", "server", "parameter [parameter ...]", vec![]),
                ],
            ),
        ]))
    }

    #[test]
    fn parses_commands_and_subcommands_sorted() {
        let docs = sample();
        let names: Vec<&str> = docs.commands.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["config", "get", "getrange", "lpush", "set"]);
        let config = docs.find("CONFIG").unwrap();
        assert_eq!(config.subcommands[0].name, "config|get");
        assert_eq!(config.subcommands[0].sub_name(), "get");
        assert_eq!(config.subcommands[0].display_name(), "CONFIG GET");
        assert_eq!(docs.find("get").unwrap().syntax, "key");
        assert_eq!(docs.groups(), ["list", "server", "string"]);
    }

    #[test]
    fn parses_flat_resp2_arrays_too() {
        let flat = Reply::array(vec![
            Reply::bulk("get"),
            Reply::array(vec![Reply::bulk("summary"), Reply::bulk("Get"), Reply::bulk("group"), Reply::bulk("string")]),
        ]);
        let docs = Docs::parse(&flat);
        assert_eq!(docs.find("get").unwrap().group, "string");
        assert!(Docs::parse(&Reply::error("ERR x")).is_empty());
    }

    #[test]
    fn help_for_command_subcommand_and_group() {
        let docs = sample();
        let get = docs.help(&["get".into()]);
        assert_eq!(get, "\n  GET key\n  summary: Does get\n  since: 1.0.0\n  group: string\n");
        let config = docs.help(&["config".into()]);
        assert!(config.contains("subcommands:\n    CONFIG GET parameter [parameter ...]\n"), "{config}");
        let sub = docs.help(&["CONFIG".into(), "set".into()]);
        assert!(sub.starts_with("\n  CONFIG SET parameter value"), "{sub}");
        let group = docs.help(&["@string".into()]);
        assert!(group.contains("  GET key\n") && group.contains("  SET key value") && !group.contains("LPUSH"));
        assert!(docs.help(&["@nope".into()]).contains("Groups: @list @server @string"));
        assert!(docs.help(&["nope".into()]).contains("no such command"));
        assert!(docs.help(&[]).contains("\"help @<group>\""));
    }
}
